//! The traffic aggregator: one streaming pass over request batches, in input order.
//!
//! Per request it classifies the user agent (cached per distinct string), counts statuses and
//! time buckets, and for humans assigns the request to the visitor's open session. A session
//! closes when its visitor comes back after the idle timeout or when the stream's clock (the
//! latest time seen) passes its last request by the timeout plus a slack for lines written out
//! of order; closed sessions are folded into counters and forgotten. Memory therefore follows
//! the visitors active within the timeout, plus one small entry per distinct visitor (needed for
//! exact new-vs-returning counts).

use std::collections::BTreeMap;

use arrow_array::{Array, RecordBatch};
use rustc_hash::FxHashMap;

use crate::agent::Agents;
use crate::bots::BotFamily;
use crate::channel::{Utm, campaign_params, referrer_host};
use crate::config::{TrafficConfig, VisitorKey};
use crate::diary::{Diary, Seen};
use crate::errors::ErrorStats;
use crate::funnel::{FunnelStats, GoalStats};
use crate::histogram::SecondsHistogram;
use crate::hits::{Hits, opt};
use crate::interner::Interner;
use crate::matcher::{Matcher, Request, match_bits};
use crate::session::{ClosedSession, Event, Landing, VisitorId};
use crate::session_rule::{Arrival, SessionRules, Span};

mod finish;

pub use finish::{
    MAX_SESSION_S, class_rows, rank_bots, rank_page_times, ranked, session_durations, status_class,
    status_rows,
};

const MICROS: i64 = 1_000_000;

struct Session {
    /// First and last request, landing (the rule's view of the session).
    span: Span,
    first_local: i64,
    agent: u32,
    returning: bool,
    landing: Landing,
    visitor: VisitorId,
    /// Interned country code (0: unknown or no GeoIP database).
    country: u32,
    /// Page views, errors and requests matching funnel steps or goals, in arrival order.
    events: Vec<Event>,
}

#[derive(Default)]
struct BotStats {
    requests: u64,
    classes: [u64; 6],
    paths: FxHashMap<u32, u64>,
}

#[derive(Default, Clone, Copy)]
struct Bucket {
    requests: u64,
    human: u64,
    pageviews: u64,
    sessions: u64,
}

/// Accumulates the traffic report over batches of the hit schema.
pub struct TrafficAggregator {
    cfg: TrafficConfig,
    rules: SessionRules,
    agents: Agents,
    paths: Interner,
    hosts: Interner,
    utms: Vec<Utm>,
    utm_ids: FxHashMap<Utm, u32>,
    next_from: Option<u32>,
    active: FxHashMap<VisitorId, Session>,
    visitors: FxHashMap<VisitorId, u32>,
    clock: i64,
    last_sweep: i64,
    first_ts: Option<i64>,
    last_ts: Option<i64>,
    // per request
    requests: u64,
    human_requests: u64,
    bot_requests: u64,
    pageviews: u64,
    status_all: Vec<u64>,
    status_human: Vec<u64>,
    status_bot: Vec<u64>,
    by_day: BTreeMap<i64, Bucket>,
    by_hour: [Bucket; 24],
    bots: FxHashMap<u32, BotStats>,
    referrer_hosts_seen: FxHashMap<u32, u64>,
    vhosts_seen: FxHashMap<u32, u64>,
    pageviews_by_path: FxHashMap<u32, u64>,
    // per session
    sessions: u64,
    sessions_returning: u64,
    sessions_with_pages: u64,
    bounces: u64,
    durations: SecondsHistogram,
    time_on_page: SecondsHistogram,
    time_on_page_by_path: FxHashMap<u32, (u64, u64)>,
    censored: u64,
    entry: FxHashMap<u32, u64>,
    exit: FxHashMap<u32, u64>,
    journeys: FxHashMap<[u32; 3], u64>,
    next: FxHashMap<u32, u64>,
    next_views: u64,
    next_exits: u64,
    landings: FxHashMap<Landing, u64>,
    /// Rows came with countries looked up at ingest.
    has_countries: bool,
    sessions_by_agent: FxHashMap<u32, u64>,
    sessions_by_country: FxHashMap<u32, u64>,
    /// Visitors with a browser user agent that fetched /robots.txt.
    robots_txt_visitors: rustc_hash::FxHashSet<VisitorId>,
    countries: Interner,
    last_referrer: (String, u32),
    /// Funnel steps then goals, each with its bit in `Event::matches`.
    matchers: Vec<Matcher>,
    funnels: Vec<FunnelStats>,
    goals: Vec<GoalStats>,
    errors: ErrorStats,
    /// Some batches came from a format without user agents.
    user_agents_missing: bool,
    /// The error log joined to the requests, the per-minute series, incidents.
    diary: Diary,
    /// The first session-mode funnel: (bit of its first step, steps).
    first_funnel: Option<(usize, usize)>,
}

fn local_seconds(ts: i64, tz: Option<i16>) -> i64 {
    ts.div_euclid(MICROS) + i64::from(tz.unwrap_or(0)) * 60
}

impl TrafficAggregator {
    pub fn new(cfg: TrafficConfig) -> Self {
        let mut matchers = Vec::new();
        let mut funnels = Vec::new();
        for f in &cfg.funnels {
            funnels.push(FunnelStats::new(f.clone(), matchers.len()));
            matchers.extend(f.steps.iter().map(|(_, m)| m.clone()));
        }
        let first_funnel = cfg
            .funnels
            .iter()
            .scan(0usize, |bit, f| {
                let at = *bit;
                *bit += f.steps.len();
                Some((at, f))
            })
            .find(|(_, f)| f.mode == crate::funnel_config::FunnelMode::Session)
            .map(|(at, f)| (at, f.steps.len()));
        let mut goals = Vec::new();
        for g in &cfg.goals {
            goals.push(GoalStats::new(g.clone(), matchers.len()));
            matchers.push(g.matcher.clone());
        }
        let mut paths = Interner::new();
        let next_from = cfg.next_from.as_deref().map(|p| paths.intern(p));
        let timeout = cfg.session_timeout_s.max(1) as usize;
        Self {
            agents: Agents::new(),
            paths,
            hosts: Interner::new(),
            utms: vec![Utm::default()],
            utm_ids: FxHashMap::default(),
            next_from,
            active: FxHashMap::default(),
            visitors: FxHashMap::default(),
            clock: i64::MIN,
            last_sweep: i64::MIN,
            first_ts: None,
            last_ts: None,
            requests: 0,
            human_requests: 0,
            bot_requests: 0,
            pageviews: 0,
            status_all: vec![0; 601],
            status_human: vec![0; 601],
            status_bot: vec![0; 601],
            by_day: BTreeMap::new(),
            by_hour: [Bucket::default(); 24],
            bots: FxHashMap::default(),
            referrer_hosts_seen: FxHashMap::default(),
            vhosts_seen: FxHashMap::default(),
            pageviews_by_path: FxHashMap::default(),
            sessions: 0,
            sessions_returning: 0,
            sessions_with_pages: 0,
            bounces: 0,
            durations: SecondsHistogram::new(finish::MAX_SESSION_S),
            time_on_page: SecondsHistogram::new(timeout),
            time_on_page_by_path: FxHashMap::default(),
            censored: 0,
            entry: FxHashMap::default(),
            exit: FxHashMap::default(),
            journeys: FxHashMap::default(),
            next: FxHashMap::default(),
            next_views: 0,
            next_exits: 0,
            landings: FxHashMap::default(),
            has_countries: false,
            sessions_by_agent: FxHashMap::default(),
            sessions_by_country: FxHashMap::default(),
            robots_txt_visitors: Default::default(),
            countries: Interner::new(),
            last_referrer: (String::new(), 0),
            matchers,
            funnels,
            goals,
            errors: ErrorStats::default(),
            user_agents_missing: false,
            diary: Diary::default(),
            first_funnel,
            rules: SessionRules {
                timeout_s: cfg.session_timeout_s,
                split_at_midnight: cfg.split_at_midnight,
                split_on_campaign: cfg.split_on_campaign,
            },
            cfg,
        }
    }

    fn utm_id(&mut self, utm: Utm) -> u32 {
        if utm == Utm::default() {
            return 0;
        }
        if let Some(&id) = self.utm_ids.get(&utm) {
            return id;
        }
        let id = self.utms.len() as u32;
        self.utms.push(utm.clone());
        self.utm_ids.insert(utm, id);
        id
    }

    fn referrer_host_id(&mut self, referrer: Option<&str>) -> u32 {
        let Some(r) = referrer else { return 0 };
        if self.last_referrer.0 == r {
            return self.last_referrer.1;
        }
        let id = referrer_host(r).map_or(0, |h| self.hosts.intern(&h.to_ascii_lowercase()));
        self.last_referrer = (r.to_owned(), id);
        id
    }

    /// (host id, path id) of a referrer URL, for 404s.
    fn referrer_ids(&mut self, referrer: Option<&str>) -> (u32, u32) {
        let Some(r) = referrer else { return (0, 0) };
        let host = self.referrer_host_id(Some(r));
        (host, self.paths.intern(crate::channel::referrer_path(r)))
    }

    fn landing(
        &mut self,
        referrer: Option<&str>,
        query: Option<&str>,
        vhost: Option<&str>,
    ) -> Landing {
        let (utm, clicks) = campaign_params(query);
        Landing {
            referrer_host: self.referrer_host_id(referrer),
            utm: self.utm_id(utm),
            clicks,
            vhost: vhost.map_or(0, |h| self.hosts.intern(&h.to_ascii_lowercase())),
        }
    }

    /// Indexes a batch of error-log events (the event schema). Error logs are read before the
    /// access logs whose responses they explain.
    pub fn add_events(&mut self, batch: &RecordBatch) {
        self.diary.add_events(batch);
    }

    /// Folds one batch (hit schema, in input order) into the report. `user_agents_logged` is
    /// false for batches read with a format that has no user-agent field (NCSA common): their
    /// requests count as humans and a visitor is an address.
    pub fn add(&mut self, batch: &RecordBatch, user_agents_logged: bool) {
        if !user_agents_logged {
            self.user_agents_missing = true;
        }
        let Hits {
            ts,
            tz,
            client,
            ip,
            host,
            method,
            path,
            query,
            status,
            referrer,
            ua,
            duration,
            country: countries,
            file_id: file_ids,
            line: lines,
        } = Hits::of(batch);
        if countries.is_some_and(|c| c.null_count() < c.len()) {
            self.has_countries = true;
        }

        for r in 0..batch.num_rows() {
            let t = ts.value(r);
            let tzr = tz.is_valid(r).then(|| tz.value(r));
            let st = status.is_valid(r).then(|| status.value(r));
            let st_index = st.map_or(600, |s| usize::from(s.min(599)));
            let local = local_seconds(t, tzr);
            let day = local.div_euclid(86_400);
            if let Some((from, to)) = self.cfg.days
                && (day < from || day > to)
            {
                continue;
            }
            self.requests += 1;
            self.clock = self.clock.max(t);
            if SessionRules::sweep_due(self.clock, self.last_sweep) {
                self.sweep();
            }
            self.first_ts = Some(self.first_ts.map_or(t, |f| f.min(t)));
            self.last_ts = Some(self.last_ts.map_or(t, |l| l.max(t)));
            self.status_all[st_index] += 1;
            let hour = (local.rem_euclid(86_400) / 3600) as usize;
            self.by_day.entry(day).or_default().requests += 1;
            self.by_hour[hour].requests += 1;

            let mut agent_id = if user_agents_logged {
                self.agents.id(opt(ua, r))
            } else {
                self.agents.not_logged()
            };
            let p = opt(path, r);
            if self.agents.get(agent_id).bot.is_none() {
                // Behaviour on top of the user agent: fetching robots.txt makes a visitor a
                // crawler from that request on.
                let who = VisitorId {
                    client: client.value(r),
                    agent: agent_id,
                };
                if p == Some("/robots.txt") {
                    self.robots_txt_visitors.insert(who);
                }
                if !self.robots_txt_visitors.is_empty() && self.robots_txt_visitors.contains(&who) {
                    agent_id = self.agents.robots_txt_fetcher();
                }
            }
            let is_bot = self.agents.get(agent_id).bot.is_some();
            let seen_path = match st {
                Some(code) if code >= 400 => p.map_or(0, |p| self.paths.intern(p)),
                _ => 0,
            };
            let referrer_host = if !is_bot && st == Some(404) {
                self.referrer_host_id(opt(referrer, r))
            } else {
                0
            };
            let cause = self.diary.request(&Seen {
                ts: t,
                tz: tzr,
                client: client.value(r),
                status: st,
                duration_us: duration.is_valid(r).then(|| duration.value(r)),
                method: opt(method, r),
                path: p,
                query: opt(query, r),
                path_id: seen_path,
                human: !is_bot,
                referrer_host,
                file_id: file_ids.value(r),
                line: lines.value(r),
            });
            if is_bot {
                self.bot_requests += 1;
                self.status_bot[st_index] += 1;
                let path_id = p.map_or(0, |p| self.paths.intern(p));
                let b = self.bots.entry(agent_id).or_default();
                b.requests += 1;
                b.classes[st.map_or(0, |s| usize::from(s / 100).min(5))] += 1;
                *b.paths.entry(path_id).or_default() += 1;
                if st == Some(404) {
                    let search = self
                        .agents
                        .get(agent_id)
                        .bot
                        .as_ref()
                        .is_some_and(|b| b.1 == BotFamily::Search);
                    let referrer = self.referrer_ids(opt(referrer, r));
                    self.errors.bot_not_found(referrer, path_id, search);
                }
                continue;
            }
            self.human_requests += 1;
            self.status_human[st_index] += 1;
            self.by_day.get_mut(&day).expect("just inserted").human += 1;
            self.by_hour[hour].human += 1;
            let rh = self.referrer_host_id(opt(referrer, r));
            if rh != 0 {
                *self.referrer_hosts_seen.entry(rh).or_default() += 1;
            }
            if let Some(h) = opt(host, r) {
                let id = self.hosts.intern(&h.to_ascii_lowercase());
                *self.vhosts_seen.entry(id).or_default() += 1;
            }

            let visitor = VisitorId {
                client: client.value(r),
                agent: match self.cfg.visitor_key {
                    VisitorKey::IpUa => agent_id,
                    VisitorKey::Ip => 0,
                },
            };
            let is_page = self.cfg.pages.is_page(opt(method, r), st, p);
            let (q, rf, h) = (opt(query, r), opt(referrer, r), opt(host, r));
            let page_landing = if is_page {
                Some(self.landing(rf, q, h))
            } else {
                None
            };

            // Does this request continue the visitor's open session?
            let arrival = Arrival {
                ts: t,
                day,
                page: is_page,
                campaign: u64::from(page_landing.map_or(0, |l| l.utm)),
            };
            let open = self.active.get(&visitor).map(|s| &s.span);
            if self.rules.starts_new(open, &arrival) {
                if let Some(old) = self.active.remove(&visitor) {
                    self.close(old);
                }
                let seen = self.visitors.entry(visitor).or_insert(0);
                *seen += 1;
                let returning = *seen > 1;
                let landing = match page_landing {
                    Some(l) => l,
                    None => self.landing(rf, q, h),
                };
                let country = match (&self.cfg.geo, opt(ip, r), countries) {
                    (Some(geo), Some(addr), _) => match geo.country(addr) {
                        Some(code) => self.countries.intern(&code),
                        None => 0,
                    },
                    (None, _, Some(c)) => opt(c, r).map_or(0, |code| self.countries.intern(code)),
                    _ => 0,
                };
                let mut span = Span::start(&arrival);
                span.campaign = u64::from(landing.utm);
                self.diary.session_started(t);
                self.active.insert(
                    visitor,
                    Session {
                        span,
                        first_local: local,
                        agent: agent_id,
                        returning,
                        landing,
                        visitor,
                        country,
                        events: Vec::new(),
                    },
                );
            }
            let s = self.active.get_mut(&visitor).expect("session just ensured");
            if t < s.span.first {
                s.first_local = local;
            }
            if s.span.join(&arrival) {
                s.landing = page_landing.expect("page views have a landing");
            }
            // Funnel steps and goals this request matches.
            let (mut matches, mut path_matches) = (0u64, 0u64);
            if !self.matchers.is_empty()
                && let Some(p) = p
            {
                let req = Request {
                    method: opt(method, r),
                    path: p,
                    query: q,
                    status: st,
                    is_pageview: is_page,
                };
                (matches, path_matches) = match_bits(self.matchers.iter(), &req);
            }
            let code = st.unwrap_or(0);
            if is_page || code >= 400 || matches != 0 {
                let path_id = p.map_or(0, |p| self.paths.intern(p));
                let referrer = if code == 404 {
                    self.referrer_ids(rf)
                } else {
                    (0, 0)
                };
                let s = self.active.get_mut(&visitor).expect("session just ensured");
                s.events.push(Event {
                    ts: t,
                    path: path_id,
                    status: code,
                    page: is_page,
                    matches,
                    path_matches,
                    duration_us: duration.is_valid(r).then(|| duration.value(r)),
                    referrer,
                    cause,
                });
                if let Some((bit0, steps)) = self.first_funnel {
                    let hits = (matches | path_matches) >> bit0;
                    self.diary.funnel_steps(t, hits, steps, code);
                }
                if is_page {
                    self.pageviews += 1;
                    *self.pageviews_by_path.entry(path_id).or_default() += 1;
                    self.by_day.get_mut(&day).expect("just inserted").pageviews += 1;
                    self.by_hour[hour].pageviews += 1;
                }
            }
        }
    }

    /// Closes the sessions the clock has left behind.
    fn sweep(&mut self) {
        self.last_sweep = self.clock;
        let horizon = self.rules.horizon(self.clock);
        let expired: Vec<VisitorId> = self
            .active
            .iter()
            .filter(|(_, s)| s.span.last < horizon)
            .map(|(k, _)| *k)
            .collect();
        for k in expired {
            if let Some(s) = self.active.remove(&k) {
                self.close(s);
            }
        }
        for f in &mut self.funnels {
            f.sweep(horizon);
        }
    }

    fn close(&mut self, mut s: Session) {
        self.sessions += 1;
        {
            use std::hash::{Hash, Hasher};
            let mut h = rustc_hash::FxHasher::default();
            s.visitor.hash(&mut h);
            self.diary
                .session_closed(s.span.first, s.span.last, h.finish());
        }
        if s.returning {
            self.sessions_returning += 1;
        }
        *self.sessions_by_agent.entry(s.agent).or_default() += 1;
        *self.sessions_by_country.entry(s.country).or_default() += 1;
        *self.landings.entry(s.landing).or_default() += 1;
        let day = s.first_local.div_euclid(86_400);
        self.by_day.entry(day).or_default().sessions += 1;
        self.by_hour[(s.first_local.rem_euclid(86_400) / 3600) as usize].sessions += 1;
        self.durations
            .add((s.span.last - s.span.first) as f64 / MICROS as f64);
        s.events.sort_by_key(|e| e.ts);
        let pages: Vec<(i64, u32)> = s
            .events
            .iter()
            .filter(|e| e.page)
            .map(|e| (e.ts, e.path))
            .collect();
        let closed = ClosedSession {
            visitor: s.visitor,
            events: &s.events,
            landing: s.landing,
            agent: s.agent,
            entry: pages.first().map(|p| p.1),
        };
        let spans: Vec<(i64, i64)> = self
            .funnels
            .iter_mut()
            .filter_map(|f| f.add_session(&closed))
            .collect();
        for g in &mut self.goals {
            g.add_session(&closed);
        }
        self.errors
            .add_session(&closed, &|t| spans.iter().any(|&(a, b)| a <= t && t <= b));
        if pages.is_empty() {
            return;
        }
        self.sessions_with_pages += 1;
        if pages.len() == 1 {
            self.bounces += 1;
        }
        *self.entry.entry(pages[0].1).or_default() += 1;
        *self.exit.entry(pages[pages.len() - 1].1).or_default() += 1;
        let mut journey = [0u32; 3];
        for (slot, &(_, id)) in journey.iter_mut().zip(&pages) {
            *slot = id;
        }
        *self.journeys.entry(journey).or_default() += 1;
        self.censored += 1;
        for pair in pages.windows(2) {
            let ((t0, from), (t1, to)) = (pair[0], pair[1]);
            self.time_on_page.add((t1 - t0) as f64 / MICROS as f64);
            let e = self.time_on_page_by_path.entry(from).or_default();
            e.0 += 1;
            e.1 += (t1 - t0) as u64;
            if Some(from) == self.next_from {
                *self.next.entry(to).or_default() += 1;
            }
        }
        if let Some(from) = self.next_from {
            self.next_views += pages.iter().filter(|&&(_, id)| id == from).count() as u64;
            if pages[pages.len() - 1].1 == from {
                self.next_exits += 1;
            }
        }
    }
}
