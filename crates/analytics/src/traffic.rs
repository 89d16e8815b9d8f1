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

use arrow_array::cast::AsArray;
use arrow_array::types::{Int16Type, TimestampMicrosecondType, UInt16Type, UInt64Type};
use arrow_array::{Array, RecordBatch};
use clickpath_model::{field, format_rfc3339_micros};
use rustc_hash::FxHashMap;

use crate::agent::Agents;
use crate::channel::{Channel, ClickIds, Utm, campaign_params, channel, referrer_host, strip_www};
use crate::config::{TrafficConfig, VisitorKey};
use crate::histogram::SecondsHistogram;
use crate::interner::Interner;
use crate::report::*;

const MICROS: i64 = 1_000_000;
/// Lines up to this late (behind the latest time seen) still join their session.
const OUT_OF_ORDER_SLACK_S: i64 = 120;
const SWEEP_EVERY_S: i64 = 60;

/// Where a session landed from: interned referrer host, UTM set, click ids, request host.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
struct Landing {
    referrer_host: u32,
    utm: u32,
    clicks: ClickIds,
    vhost: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct VisitorId {
    client: u64,
    agent: u32,
}

struct Session {
    first: i64,
    last: i64,
    /// Local day of the last request (for the midnight split).
    last_day: i64,
    first_local: i64,
    agent: u32,
    returning: bool,
    landing: Landing,
    /// Time of the page view the landing came from (None: from the first request).
    landing_at: Option<i64>,
    /// (time, path id) of each page view, in arrival order.
    pages: Vec<(i64, u32)>,
}

/// (utm_source, utm_medium, utm_campaign)
type CampaignKey = (Option<String>, Option<String>, Option<String>);

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
    sessions_by_agent: FxHashMap<u32, u64>,
    last_referrer: (String, u32),
}

fn opt(a: &arrow_array::StringArray, r: usize) -> Option<&str> {
    a.is_valid(r).then(|| a.value(r))
}

fn local_seconds(ts: i64, tz: Option<i16>) -> i64 {
    ts.div_euclid(MICROS) + i64::from(tz.unwrap_or(0)) * 60
}

impl TrafficAggregator {
    pub fn new(cfg: TrafficConfig) -> Self {
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
            durations: SecondsHistogram::new(24 * 3600),
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
            sessions_by_agent: FxHashMap::default(),
            last_referrer: (String::new(), 0),
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

    /// Folds one batch (hit schema, in input order) into the report.
    pub fn add(&mut self, batch: &RecordBatch) {
        let col = |n| batch.column_by_name(n).expect("hit schema column");
        let ts = col(field::TS).as_primitive::<TimestampMicrosecondType>();
        let tz = col(field::TZ_OFFSET_MIN).as_primitive::<Int16Type>();
        let client = col(field::CLIENT).as_primitive::<UInt64Type>();
        let host = col(field::HOST).as_string::<i32>();
        let method = col(field::METHOD).as_string::<i32>();
        let path = col(field::PATH).as_string::<i32>();
        let query = col(field::QUERY).as_string::<i32>();
        let status = col(field::STATUS).as_primitive::<UInt16Type>();
        let referrer = col(field::REFERRER).as_string::<i32>();
        let ua = col(field::USER_AGENT).as_string::<i32>();

        for r in 0..batch.num_rows() {
            let t = ts.value(r);
            let tzr = tz.is_valid(r).then(|| tz.value(r));
            let st = status.is_valid(r).then(|| status.value(r));
            let st_index = st.map_or(600, |s| usize::from(s.min(599)));
            self.requests += 1;
            self.clock = self.clock.max(t);
            self.first_ts = Some(self.first_ts.map_or(t, |f| f.min(t)));
            self.last_ts = Some(self.last_ts.map_or(t, |l| l.max(t)));
            self.status_all[st_index] += 1;
            let local = local_seconds(t, tzr);
            let day = local.div_euclid(86_400);
            let hour = (local.rem_euclid(86_400) / 3600) as usize;
            self.by_day.entry(day).or_default().requests += 1;
            self.by_hour[hour].requests += 1;

            let agent_id = self.agents.id(opt(ua, r));
            let p = opt(path, r);
            if self.agents.get(agent_id).bot.is_some() {
                self.bot_requests += 1;
                self.status_bot[st_index] += 1;
                let path_id = p.map_or(0, |p| self.paths.intern(p));
                let b = self.bots.entry(agent_id).or_default();
                b.requests += 1;
                b.classes[st.map_or(0, |s| usize::from(s / 100).min(5))] += 1;
                *b.paths.entry(path_id).or_default() += 1;
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
            let timeout = self.cfg.session_timeout_s * MICROS;
            let split = match self.active.get(&visitor) {
                None => true,
                Some(s) => {
                    t > s.last + timeout
                        || t < s.first - timeout
                        || (self.cfg.split_at_midnight && day != s.last_day)
                        || (self.cfg.split_on_campaign
                            && page_landing.is_some_and(|l| l.utm != 0 && l.utm != s.landing.utm))
                }
            };
            if split {
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
                self.active.insert(
                    visitor,
                    Session {
                        first: t,
                        last: t,
                        last_day: day,
                        first_local: local,
                        agent: agent_id,
                        returning,
                        landing,
                        landing_at: None,
                        pages: Vec::new(),
                    },
                );
            }
            let s = self.active.get_mut(&visitor).expect("session just ensured");
            if t < s.first {
                s.first = t;
                s.first_local = local;
            }
            if t > s.last {
                s.last = t;
                s.last_day = day;
            }
            if let (true, Some(p)) = (is_page, p) {
                let id = self.paths.intern(p);
                s.pages.push((t, id));
                if s.landing_at.is_none_or(|at| t < at) {
                    s.landing_at = Some(t);
                    s.landing = page_landing.expect("page views have a landing");
                }
                self.pageviews += 1;
                *self.pageviews_by_path.entry(id).or_default() += 1;
                self.by_day.get_mut(&day).expect("just inserted").pageviews += 1;
                self.by_hour[hour].pageviews += 1;
            }
        }
        if self.clock >= self.last_sweep.saturating_add(SWEEP_EVERY_S * MICROS) {
            self.sweep();
        }
    }

    /// Closes the sessions the clock has left behind.
    fn sweep(&mut self) {
        self.last_sweep = self.clock;
        let horizon = self.clock - (self.cfg.session_timeout_s + OUT_OF_ORDER_SLACK_S) * MICROS;
        let expired: Vec<VisitorId> = self
            .active
            .iter()
            .filter(|(_, s)| s.last < horizon)
            .map(|(k, _)| *k)
            .collect();
        for k in expired {
            if let Some(s) = self.active.remove(&k) {
                self.close(s);
            }
        }
    }

    fn close(&mut self, mut s: Session) {
        self.sessions += 1;
        if s.returning {
            self.sessions_returning += 1;
        }
        *self.sessions_by_agent.entry(s.agent).or_default() += 1;
        *self.landings.entry(s.landing).or_default() += 1;
        let day = s.first_local.div_euclid(86_400);
        self.by_day.entry(day).or_default().sessions += 1;
        self.by_hour[(s.first_local.rem_euclid(86_400) / 3600) as usize].sessions += 1;
        self.durations
            .add((s.last - s.first) as f64 / MICROS as f64);
        if s.pages.is_empty() {
            return;
        }
        s.pages.sort_by_key(|&(t, _)| t);
        self.sessions_with_pages += 1;
        if s.pages.len() == 1 {
            self.bounces += 1;
        }
        *self.entry.entry(s.pages[0].1).or_default() += 1;
        *self.exit.entry(s.pages[s.pages.len() - 1].1).or_default() += 1;
        let mut journey = [0u32; 3];
        for (slot, &(_, id)) in journey.iter_mut().zip(&s.pages) {
            *slot = id;
        }
        *self.journeys.entry(journey).or_default() += 1;
        self.censored += 1;
        for pair in s.pages.windows(2) {
            let ((t0, from), (t1, to)) = (pair[0], pair[1]);
            let secs = (t1 - t0) as f64 / MICROS as f64;
            self.time_on_page.add(secs);
            let e = self.time_on_page_by_path.entry(from).or_default();
            e.0 += 1;
            e.1 += (t1 - t0) as u64;
            if Some(from) == self.next_from {
                *self.next.entry(to).or_default() += 1;
            }
        }
        if let Some(from) = self.next_from {
            self.next_views += s.pages.iter().filter(|&&(_, id)| id == from).count() as u64;
            if s.pages[s.pages.len() - 1].1 == from {
                self.next_exits += 1;
            }
        }
    }

    /// Closes every open session and builds the report.
    pub fn finish(mut self) -> TrafficReport {
        let open: Vec<Session> = self.active.drain().map(|(_, s)| s).collect();
        for s in open {
            self.close(s);
        }
        let top = self.cfg.top;
        let (site_hosts, hosts_from) = self.site_hosts();
        let site_ids: Vec<u32> = site_hosts
            .iter()
            .filter_map(|h| self.hosts.lookup(h))
            .collect();
        let paths = &self.paths;
        let path_rows = |m: &FxHashMap<u32, u64>| {
            ranked(m.iter().map(|(&k, &v)| (paths.get(k).to_owned(), v)), top)
        };

        // Acquisition, from each session's landing.
        let mut channels: FxHashMap<Channel, u64> = FxHashMap::default();
        let mut campaigns: FxHashMap<CampaignKey, u64> = FxHashMap::default();
        let mut terms: FxHashMap<String, u64> = FxHashMap::default();
        let mut contents: FxHashMap<String, u64> = FxHashMap::default();
        let mut domains: FxHashMap<String, u64> = FxHashMap::default();
        for (l, &n) in &self.landings {
            let utm = &self.utms[l.utm as usize];
            let host = (l.referrer_host != 0).then(|| self.hosts.get(l.referrer_host));
            let internal = l.referrer_host != 0
                && (l.referrer_host == l.vhost
                    || site_ids.contains(&l.referrer_host)
                    || host
                        .is_some_and(|h| site_hosts.iter().any(|s| strip_www(s) == strip_www(h))));
            *channels
                .entry(channel(host, internal, utm, l.clicks))
                .or_default() += n;
            if !utm.is_empty() {
                *campaigns
                    .entry((utm.source.clone(), utm.medium.clone(), utm.campaign.clone()))
                    .or_default() += n;
            }
            if let Some(t) = &utm.term {
                *terms.entry(t.clone()).or_default() += n;
            }
            if let Some(c) = &utm.content {
                *contents.entry(c.clone()).or_default() += n;
            }
            if let (Some(h), false) = (host, internal) {
                *domains.entry(strip_www(h).to_owned()).or_default() += n;
            }
        }
        let mut campaign_rows: Vec<Campaign> = campaigns
            .into_iter()
            .map(|((source, medium, campaign), sessions)| Campaign {
                source,
                medium,
                campaign,
                sessions,
            })
            .collect();
        campaign_rows.sort_by(|a, b| {
            b.sessions.cmp(&a.sessions).then_with(|| {
                (&a.source, &a.medium, &a.campaign).cmp(&(&b.source, &b.medium, &b.campaign))
            })
        });
        campaign_rows.truncate(top);

        // Technology, per session.
        let mut devices: FxHashMap<String, u64> = FxHashMap::default();
        let mut browsers: FxHashMap<String, u64> = FxHashMap::default();
        let mut oses: FxHashMap<String, u64> = FxHashMap::default();
        for (&agent, &n) in &self.sessions_by_agent {
            let a = self.agents.get(agent);
            *devices.entry(a.device.as_str().to_owned()).or_default() += n;
            *browsers.entry(a.browser.clone()).or_default() += n;
            *oses.entry(a.os.clone()).or_default() += n;
        }

        // Bots.
        let mut by_family: FxHashMap<String, u64> = FxHashMap::default();
        let mut by_name: FxHashMap<(String, String), BotStats> = FxHashMap::default();
        for (&agent, b) in &self.bots {
            let (name, family) = self
                .agents
                .get(agent)
                .bot
                .clone()
                .expect("bot agents have a name");
            *by_family.entry(family.as_str().to_owned()).or_default() += b.requests;
            let e = by_name
                .entry((name, family.as_str().to_owned()))
                .or_default();
            e.requests += b.requests;
            for (x, y) in e.classes.iter_mut().zip(b.classes) {
                *x += y;
            }
            for (&p, &n) in &b.paths {
                *e.paths.entry(p).or_default() += n;
            }
        }
        let mut bot_rows: Vec<BotRow> = by_name
            .into_iter()
            .map(|((name, family), b)| BotRow {
                name,
                family,
                requests: b.requests,
                statuses: class_rows(&b.classes),
                top_paths: path_rows(&b.paths),
            })
            .collect();
        bot_rows.sort_by(|a, b| {
            b.requests
                .cmp(&a.requests)
                .then_with(|| a.name.cmp(&b.name))
        });
        bot_rows.truncate(top);

        let journeys = ranked(
            self.journeys.iter().map(|(j, &n)| {
                let parts: Vec<&str> = j
                    .iter()
                    .take_while(|&&id| id != 0)
                    .map(|&id| paths.get(id))
                    .collect();
                (parts.join(" > "), n)
            }),
            top,
        );
        let mut page_times: Vec<PageTime> = self
            .time_on_page_by_path
            .iter()
            .map(|(&id, &(n, total))| PageTime {
                path: paths.get(id).to_owned(),
                measured: n,
                mean_s: round2(total as f64 / n as f64 / MICROS as f64),
            })
            .collect();
        page_times.sort_by(|a, b| {
            b.measured
                .cmp(&a.measured)
                .then_with(|| a.path.cmp(&b.path))
        });
        page_times.truncate(top);

        let mut all_classes = [0u64; 6];
        for (code, &n) in self.status_all.iter().enumerate() {
            all_classes[if code == 600 { 0 } else { (code / 100).min(5) }] += n;
        }
        let visitors = self.visitors.len() as u64;
        let returning = self.visitors.values().filter(|&&n| n > 1).count() as u64;
        let d = &self.durations;
        let day_rows = self
            .by_day
            .iter()
            .map(|(&day, b)| bucket(day_label(day), b))
            .collect();
        let hour_rows = self
            .by_hour
            .iter()
            .enumerate()
            .map(|(h, b)| bucket(format!("{h:02}"), b))
            .collect();
        let ts_label = |t: i64| {
            let mut s = String::new();
            format_rfc3339_micros(t, &mut s);
            s
        };

        TrafficReport {
            settings: Settings {
                session_timeout_s: self.cfg.session_timeout_s,
                split_at_midnight: self.cfg.split_at_midnight,
                split_on_campaign: self.cfg.split_on_campaign,
                visitor_key: match self.cfg.visitor_key {
                    VisitorKey::IpUa => "ip+ua".into(),
                    VisitorKey::Ip => "ip".into(),
                },
                top,
            },
            period: self.first_ts.zip(self.last_ts).map(|(f, l)| Period {
                first: ts_label(f),
                last: ts_label(l),
            }),
            site: Site {
                hosts: site_hosts,
                hosts_from,
            },
            traffic: Traffic {
                requests: self.requests,
                human_requests: self.human_requests,
                bot_requests: self.bot_requests,
                visitors,
                visitors_new: visitors - returning,
                visitors_returning: returning,
                sessions: self.sessions,
                sessions_returning: self.sessions_returning,
                pageviews: self.pageviews,
                sessions_with_pageviews: self.sessions_with_pages,
                pages_per_session: round2(ratio(self.pageviews, self.sessions_with_pages)),
                bounces: self.bounces,
                bounce_rate: round4(ratio(self.bounces, self.sessions_with_pages)),
                session_duration: Durations {
                    mean_s: round2(d.mean()),
                    median_s: d.quantile(0.5),
                    p90_s: d.quantile(0.9),
                    buckets: [
                        ("0-10s", 0, 10),
                        ("10-30s", 10, 30),
                        ("30-60s", 30, 60),
                        ("1-3min", 60, 180),
                        ("3-10min", 180, 600),
                        ("10-30min", 600, 1800),
                        ("30min+", 1800, usize::MAX),
                    ]
                    .into_iter()
                    .map(|(l, a, b)| Row {
                        value: l.into(),
                        count: d.between(a, b),
                    })
                    .collect(),
                },
                time_on_page: TimeOnPage {
                    measured: self.time_on_page.count(),
                    censored: self.censored,
                    mean_s: round2(self.time_on_page.mean()),
                    median_s: self.time_on_page.quantile(0.5),
                },
            },
            pages: Pages {
                top: path_rows(&self.pageviews_by_path),
                entry: path_rows(&self.entry),
                exit: path_rows(&self.exit),
                paths: journeys,
                next: self.next_from.map(|from| NextPages {
                    from: paths.get(from).to_owned(),
                    views: self.next_views,
                    exits: self.next_exits,
                    to: path_rows(&self.next),
                }),
                time_on_page: page_times,
            },
            acquisition: Acquisition {
                channels: ranked(
                    channels
                        .into_iter()
                        .map(|(c, n)| (c.as_str().to_owned(), n)),
                    usize::MAX,
                ),
                campaigns: campaign_rows,
                terms: ranked(terms, top),
                contents: ranked(contents, top),
                referrer_domains: ranked(domains, top),
            },
            technology: Technology {
                devices: ranked(devices, usize::MAX),
                browsers: ranked(browsers, top),
                os: ranked(oses, top),
            },
            statuses: Statuses {
                all: status_rows(&self.status_all),
                human: status_rows(&self.status_human),
                bot: status_rows(&self.status_bot),
                classes: class_rows(&all_classes),
            },
            bots: Bots {
                requests: self.bot_requests,
                by_family: ranked(by_family, usize::MAX),
                by_name: bot_rows,
            },
            time: Time {
                by_day: day_rows,
                by_hour: hour_rows,
            },
        }
    }

    /// The site's hosts: given, else the vhosts in the log, else the referrer host seen most.
    fn site_hosts(&self) -> (Vec<String>, String) {
        if !self.cfg.site_hosts.is_empty() {
            let hosts = self
                .cfg
                .site_hosts
                .iter()
                .map(|h| h.to_ascii_lowercase())
                .collect();
            return (hosts, "flag".into());
        }
        if !self.vhosts_seen.is_empty() {
            let mut hosts: Vec<String> = self
                .vhosts_seen
                .keys()
                .map(|&id| self.hosts.get(id).to_owned())
                .collect();
            hosts.sort();
            return (hosts, "vhost".into());
        }
        match self
            .referrer_hosts_seen
            .iter()
            .max_by_key(|&(&id, &n)| (n, std::cmp::Reverse(id)))
        {
            Some((&id, _)) => (vec![self.hosts.get(id).to_owned()], "referrers".into()),
            None => (Vec::new(), "none".into()),
        }
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// Most counted first, ties by value; at most `top` rows.
fn ranked(items: impl IntoIterator<Item = (String, u64)>, top: usize) -> Vec<Row> {
    let mut rows: Vec<Row> = items
        .into_iter()
        .map(|(value, count)| Row { value, count })
        .collect();
    rows.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
    rows.truncate(top);
    rows
}

fn status_rows(counts: &[u64]) -> Vec<Row> {
    counts
        .iter()
        .enumerate()
        .filter(|&(_, &n)| n > 0)
        .map(|(code, &n)| Row {
            value: if code == 600 {
                "none".into()
            } else {
                code.to_string()
            },
            count: n,
        })
        .collect()
}

fn class_rows(classes: &[u64; 6]) -> Vec<Row> {
    ["none", "1xx", "2xx", "3xx", "4xx", "5xx"]
        .iter()
        .zip(classes)
        .filter(|&(_, &n)| n > 0)
        .map(|(l, &n)| Row {
            value: (*l).into(),
            count: n,
        })
        .collect()
}

fn day_label(day: i64) -> String {
    let (y, m, d) = clickpath_model::civil_from_days(day);
    format!("{y:04}-{m:02}-{d:02}")
}

fn bucket(at: String, b: &Bucket) -> TimeBucket {
    TimeBucket {
        at,
        requests: b.requests,
        human_requests: b.human,
        pageviews: b.pageviews,
        sessions: b.sessions,
    }
}
