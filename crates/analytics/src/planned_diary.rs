//! The restarts, reloads and incidents from rows, as the plans read them
//! (`crates/query/src/views/incidents.rs`): the streaming report's own diary (`diary.rs`), fed
//! the same requests in the order they were read and the same sessions, so that both tell the
//! same stories.

use arrow_array::RecordBatch;

use crate::diary::{Context, Diary, Seen};
use crate::funnel::{LostEstimate, Money};
use crate::funnel_config::{Funnel, FunnelMode};
use crate::interner::Interner;
use crate::matcher::{Request, match_bits};
use crate::report::{IncidentRow, ReloadRow, RestartRow};

/// A request, as the diary needs it. The text fields matter only for error responses and a
/// human's requests that may be a step of the first funnel; the others may leave them out.
#[derive(Clone, Copy, Debug, Default)]
pub struct RowRequest<'a> {
    /// UTC micros.
    pub ts: i64,
    pub tz: Option<i16>,
    pub client: u64,
    pub status: Option<u16>,
    pub duration_us: Option<u64>,
    pub method: Option<&'a str>,
    pub path: Option<&'a str>,
    pub query: Option<&'a str>,
    pub referrer: Option<&'a str>,
    pub page: bool,
    pub human: bool,
    pub file_id: u32,
    pub line: u64,
}

/// What the diary tells of the selected rows.
#[derive(Clone, Debug, Default)]
pub struct Stories {
    pub restarts: Vec<RestartRow>,
    pub reloads: Vec<ReloadRow>,
    pub incidents: Vec<IncidentRow>,
}

/// The diary over rows handed over one by one: requests in reading order, then sessions.
pub struct PlannedDiary {
    diary: Diary,
    paths: Interner,
    hosts: Interner,
    /// The first session-mode funnel, whose steps the incidents count.
    first_funnel: Option<Funnel>,
}

impl PlannedDiary {
    /// A diary that knows the error logs' `events` (read before any request, as the report
    /// reads them) and the report's `funnels`.
    pub fn new(events: &[RecordBatch], funnels: &[Funnel]) -> Self {
        let mut diary = Diary::default();
        for b in events {
            diary.add_events(b);
        }
        PlannedDiary {
            diary,
            paths: Interner::new(),
            hosts: Interner::new(),
            first_funnel: funnels
                .iter()
                .find(|f| f.mode == FunnelMode::Session)
                .cloned(),
        }
    }

    /// The next request read.
    pub fn request(&mut self, r: &RowRequest<'_>) {
        let error = r.status.is_some_and(|s| s >= 400);
        let path_id = match r.path {
            Some(p) if error => self.paths.intern(p),
            _ => 0,
        };
        // As the report names a referrer host (`TrafficAggregator::referrer_host_id`).
        let referrer_host = match r.referrer {
            Some(rf) if r.human && r.status == Some(404) => crate::channel::referrer_host(rf)
                .map_or(0, |h| self.hosts.intern(&h.to_ascii_lowercase())),
            _ => 0,
        };
        self.diary.request(&Seen {
            ts: r.ts,
            tz: r.tz,
            client: r.client,
            status: r.status,
            duration_us: r.duration_us,
            method: r.method,
            path: r.path,
            query: r.query,
            path_id,
            human: r.human,
            referrer_host,
            file_id: r.file_id,
            line: r.line,
        });
        if let (true, Some(f), Some(p)) = (r.human, &self.first_funnel, r.path) {
            let req = Request {
                method: r.method,
                path: p,
                query: r.query,
                status: r.status,
                is_pageview: r.page,
            };
            let (matches, path_matches) = match_bits(f.steps.iter().map(|(_, m)| m), &req);
            self.diary.funnel_steps(
                r.ts,
                matches | path_matches,
                f.steps.len(),
                r.status.unwrap_or(0),
            );
        }
    }

    /// A session: when it arrived (its first request read), its first and last request
    /// (UTC micros) and its visitor.
    pub fn session(&mut self, arrived: i64, first: i64, last: i64, visitor: u64) {
        self.diary.session_started(arrived);
        self.diary.session_closed(first, last, visitor);
    }

    /// The stories, with the site's hosts, the first funnel's estimate of lost conversions
    /// (`lost`), money settings and `--error-log-tz` (`zone_flag`).
    pub fn finish(
        self,
        site_hosts: &[String],
        lost: Option<&LostEstimate>,
        money: &Money,
        zone_flag: Option<i16>,
    ) -> Stories {
        let site_ids: Vec<u32> = site_hosts
            .iter()
            .filter_map(|h| self.hosts.lookup(&h.to_ascii_lowercase()))
            .collect();
        let paths = &self.paths;
        let path_name = |id: u32| paths.get(id).to_owned();
        let between = |a: i64, b: i64, kinds: u8| lost.map_or(0.0, |l| l.between(a, b, kinds));
        let steps: Vec<String> = self
            .first_funnel
            .as_ref()
            .map(|f| f.steps.iter().map(|(n, _)| n.clone()).collect())
            .unwrap_or_default();
        let cx = Context {
            site_host_ids: &site_ids,
            path: &path_name,
            lost_between: self
                .first_funnel
                .is_some()
                .then_some(&between as &dyn Fn(i64, i64, u8) -> f64),
            funnel_steps: &steps,
            average_order_value: money.average_order_value,
            zone_flag,
            currency: money.currency.as_deref(),
        };
        let told = self.diary.finish(&cx);
        Stories {
            restarts: told.restarts,
            reloads: told.reloads,
            incidents: told.incidents,
        }
    }
}
