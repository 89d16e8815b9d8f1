//! A funnel's figures from sessions handed over as rows, as the plans read them
//! (`crates/query/src/views/funnels.rs`): the streaming report's own `FunnelStats`, fed the
//! same events, so that both give the same report.

use crate::explain::CauseId;
use crate::funnel::{FunnelStats, LostEstimate, Money, Names};
use crate::funnel_config::Funnel;
use crate::interner::Interner;
use crate::matcher::{Request, match_bits};
use crate::report::FunnelReport;
use crate::session::{ClosedSession, Event, Landing, VisitorId};

/// A request of a session, as the funnel needs it.
#[derive(Clone, Debug, Default)]
pub struct RowEvent<'a> {
    /// UTC micros.
    pub ts: i64,
    pub path: Option<&'a str>,
    pub query: Option<&'a str>,
    pub method: Option<&'a str>,
    pub status: Option<u16>,
    pub page: bool,
    pub duration_us: Option<u64>,
    /// What the error log says caused an error response.
    pub cause: CauseId,
}

/// A session: its landing's channel and campaign label, its first request's device, its
/// first page view, and its page views, error responses and requests matching a step, in time
/// order (ties in reading order).
#[derive(Clone, Debug, Default)]
pub struct RowSession<'a> {
    pub visitor: u64,
    pub channel: String,
    /// `source / medium / campaign` (`campaign_label`), None without UTM parameters.
    pub campaign: Option<String>,
    pub device: String,
    pub entry: Option<String>,
    pub events: Vec<RowEvent<'a>>,
}

/// One funnel over sessions added in the order they began (a window-mode funnel follows each
/// visitor across sessions).
pub struct PlannedFunnel {
    stats: FunnelStats,
    paths: Interner,
    /// Landings as (channel, campaign), by the id kept in `Landing::utm`.
    landings: Vec<(String, Option<String>)>,
    landing_ids: rustc_hash::FxHashMap<(String, Option<String>), u32>,
    devices: Interner,
    events: Vec<Event>,
}

impl PlannedFunnel {
    pub fn new(funnel: Funnel) -> Self {
        PlannedFunnel {
            stats: FunnelStats::new(funnel, 0),
            paths: Interner::new(),
            landings: Vec::new(),
            landing_ids: Default::default(),
            devices: Interner::new(),
            events: Vec::new(),
        }
    }

    /// Adds a session; returns when it was inside the funnel (session mode), as the report
    /// ties errors to the funnel.
    pub fn add(&mut self, s: &RowSession<'_>) -> Option<(i64, i64)> {
        self.events.clear();
        for e in &s.events {
            let (matches, path_matches) = match e.path {
                Some(p) => match_bits(
                    self.stats.matchers(),
                    &Request {
                        method: e.method,
                        path: p,
                        query: e.query,
                        status: e.status,
                        is_pageview: e.page,
                    },
                ),
                None => (0, 0),
            };
            let status = e.status.unwrap_or(0);
            // The events the streaming report keeps of a session (for this funnel).
            if !(e.page || status >= 400 || matches != 0) {
                continue;
            }
            self.events.push(Event {
                ts: e.ts,
                path: e.path.map_or(0, |p| self.paths.intern(p)),
                status,
                page: e.page,
                matches,
                path_matches,
                duration_us: e.duration_us,
                referrer: (0, 0),
                cause: e.cause,
            });
        }
        let key = (s.channel.clone(), s.campaign.clone());
        let landing = match self.landing_ids.get(&key) {
            Some(&id) => id,
            None => {
                let id = self.landings.len() as u32;
                self.landings.push(key.clone());
                self.landing_ids.insert(key, id);
                id
            }
        };
        let closed = ClosedSession {
            visitor: VisitorId {
                client: s.visitor,
                agent: 0,
            },
            events: &self.events,
            landing: Landing {
                utm: landing,
                ..Default::default()
            },
            agent: self.devices.intern(&s.device),
            entry: s.entry.as_deref().map(|p| self.paths.intern(p)),
        };
        self.stats.add_session(&closed)
    }

    /// The lost-conversion estimate, for a session-mode funnel (the incidents' cost).
    pub fn lost_estimate(&self) -> Option<LostEstimate> {
        self.stats
            .is_session_mode()
            .then(|| self.stats.lost_estimate())
    }

    pub fn finish(self, money: &Money, top: usize) -> FunnelReport {
        let names = RowNames {
            paths: &self.paths,
            landings: &self.landings,
            devices: &self.devices,
        };
        self.stats.finish(&names, money, top)
    }
}

struct RowNames<'a> {
    paths: &'a Interner,
    landings: &'a [(String, Option<String>)],
    devices: &'a Interner,
}

impl Names for RowNames<'_> {
    fn path(&self, id: u32) -> &str {
        self.paths.get(id)
    }
    fn channel(&self, l: &Landing) -> String {
        self.landings[l.utm as usize].0.clone()
    }
    fn campaign(&self, l: &Landing) -> Option<String> {
        self.landings[l.utm as usize].1.clone()
    }
    fn device(&self, agent: u32) -> String {
        self.devices.get(agent).to_owned()
    }
    // Funnels name no hosts.
    fn host(&self, _: u32) -> &str {
        ""
    }
    fn site_hosts(&self) -> &[String] {
        &[]
    }
}
