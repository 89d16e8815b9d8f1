//! Building the report from the aggregated counters: names for ids, rankings, channels.

use rustc_hash::FxHashMap;

use super::*;
use crate::channel::{Channel, channel, is_internal, strip_www};
use crate::funnel::Names;
use crate::numbers::{ratio, round2, share};
use crate::report::*;
use clickpath_model::format_rfc3339_micros;

/// (utm_source, utm_medium, utm_campaign)
type CampaignKey = (Option<String>, Option<String>, Option<String>);

/// Names for ids once the site's hosts are known.
struct Resolver<'a> {
    agg: &'a TrafficAggregator,
    site_hosts: &'a [String],
}

impl Resolver<'_> {
    /// The dataset's rule (`channel::is_internal`): the referrer is the request's own host or
    /// one of the site's, `www.` aside.
    fn internal(&self, l: &Landing) -> bool {
        l.referrer_host != 0
            && is_internal(
                self.agg.hosts.get(l.referrer_host),
                (l.vhost != 0).then(|| self.agg.hosts.get(l.vhost)),
                self.site_hosts,
            )
    }

    fn channel_of(&self, l: &Landing) -> Channel {
        let host = (l.referrer_host != 0).then(|| self.agg.hosts.get(l.referrer_host));
        channel(
            host,
            self.internal(l),
            &self.agg.utms[l.utm as usize],
            l.clicks,
        )
    }
}

impl Names for Resolver<'_> {
    fn path(&self, id: u32) -> &str {
        self.agg.paths.get(id)
    }

    fn channel(&self, l: &Landing) -> String {
        self.channel_of(l).as_str().to_owned()
    }

    fn campaign(&self, l: &Landing) -> Option<String> {
        let u = &self.agg.utms[l.utm as usize];
        crate::funnel::campaign_label(
            u.source.as_deref(),
            u.medium.as_deref(),
            u.campaign.as_deref(),
        )
    }

    fn device(&self, agent: u32) -> String {
        self.agg.agents.get(agent).device.as_str().to_owned()
    }

    fn host(&self, id: u32) -> &str {
        self.agg.hosts.get(id)
    }

    fn site_hosts(&self) -> &[String] {
        self.site_hosts
    }
}

impl TrafficAggregator {
    /// Runs `f` with what the diary needs from the rest of the aggregation.
    fn diary_context<R>(
        &self,
        funnels: &[crate::funnel::FunnelStats],
        site_ids: &[u32],
        f: impl FnOnce(&crate::diary::Context<'_>) -> R,
    ) -> R {
        let money = &self.cfg.money;
        let first = funnels.iter().find(|f| f.is_session_mode());
        let lost = |a: i64, b: i64, kinds: u8| first.map_or(0.0, |f| f.lost_between(a, b, kinds));
        let path_name = |id: u32| self.paths.get(id).to_owned();
        let steps = first.map(|f| f.step_names()).unwrap_or_default();
        f(&crate::diary::Context {
            site_host_ids: site_ids,
            path: &path_name,
            lost_between: first
                .is_some()
                .then_some(&lost as &dyn Fn(i64, i64, u8) -> f64),
            funnel_steps: &steps,
            average_order_value: money.average_order_value,
            zone_flag: self.cfg.error_log_tz,
            currency: money.currency.as_deref(),
        })
    }

    fn site_ids(&self) -> Vec<u32> {
        self.site_hosts()
            .0
            .iter()
            .filter_map(|h| self.hosts.lookup(h))
            .collect()
    }

    /// What the incident detectors see of the minutes from `from` (UTC micros) on, so far:
    /// nothing is closed, the aggregation goes on (alerts, `crates/alerts`).
    pub fn live(&self, from: i64) -> crate::incidents::LiveView {
        let ids = self.site_ids();
        self.diary_context(&self.funnels, &ids, |cx| self.diary.live(cx, from))
    }

    /// The incident row of window `w` as the report would tell it from what was seen so far
    /// (lost conversions count the sessions already closed).
    pub fn live_incident(&self, w: &crate::incidents::Window) -> crate::report::IncidentRow {
        let ids = self.site_ids();
        self.diary_context(&self.funnels, &ids, |cx| self.diary.live_incident(cx, w))
    }

    /// Human sessions open now.
    pub fn open_sessions(&self) -> usize {
        self.active.len()
    }

    /// The log's latest time seen (UTC micros).
    pub fn last_seen(&self) -> Option<i64> {
        self.diary.last_seen()
    }

    /// Closes every open session and builds the report.
    pub fn finish(mut self) -> TrafficReport {
        let open: Vec<Session> = self.active.drain().map(|(_, s)| s).collect();
        for s in open {
            self.close(s);
        }
        let top = self.cfg.top;
        let funnels = std::mem::take(&mut self.funnels);
        // The diary is told before the funnels: incidents need the first funnel's estimate.
        let diary = std::mem::take(&mut self.diary);
        let goals = std::mem::take(&mut self.goals);
        let errors = std::mem::take(&mut self.errors);
        let (site_hosts, hosts_from) = self.site_hosts();
        let site_ids: Vec<u32> = site_hosts
            .iter()
            .filter_map(|h| self.hosts.lookup(h))
            .collect();
        let resolver = Resolver {
            agg: &self,
            site_hosts: &site_hosts,
        };
        let money = &self.cfg.money;
        let told = self.diary_context(&funnels, &site_ids, |cx| diary.finish(cx));
        let funnel_reports: Vec<FunnelReport> = funnels
            .into_iter()
            .map(|f| f.finish(&resolver, money, top))
            .collect();
        let goal_reports: Vec<GoalReport> = goals
            .into_iter()
            .map(|g| g.finish(&resolver, top))
            .collect();
        let mut error_report = errors.finish(&resolver, &self.status_human, &self.status_bot, top);
        error_report.causes = told.causes;
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
            let internal = resolver.internal(l);
            *channels.entry(resolver.channel_of(l)).or_default() += n;
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
        rank_bots(&mut bot_rows, top);

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
        rank_page_times(&mut page_times, top);

        let mut all_classes = [0u64; 6];
        for (code, &n) in self.status_all.iter().enumerate() {
            all_classes[status_class(code)] += n;
        }
        let visitors = self.visitors.len() as u64;
        let returning = self.visitors.values().filter(|&&n| n > 1).count() as u64;
        let d = &self.durations;
        let day_rows = self
            .by_day
            .iter()
            .map(|(&day, b)| bucket(clickpath_model::format_date(day), b))
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
            restarts: told.restarts,
            reloads: told.reloads,
            incidents: told.incidents,
            error_log: told.error_log,
            settings: Settings::of(&self.cfg),
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
                bounce_rate: share(self.bounces, self.sessions_with_pages),
                session_duration: session_durations(d),
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
                countries: (self.cfg.geo.is_some() || self.has_countries).then(|| {
                    ranked(
                        self.sessions_by_country.iter().map(|(&id, &n)| {
                            let name = if id == 0 {
                                "unknown"
                            } else {
                                self.countries.get(id)
                            };
                            (name.to_owned(), n)
                        }),
                        top,
                    )
                }),
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
                timeline: told.timeline,
            },
            funnels: funnel_reports,
            goals: goal_reports,
            errors: error_report,
            currency: self.cfg.money.currency.clone(),
            notes: crate::report::notes(self.user_agents_missing),
        }
    }

    /// The site's hosts: given, else inferred ([`crate::site_hosts`]) over the whole log.
    fn site_hosts(&self) -> (Vec<String>, String) {
        if !self.cfg.site_hosts.is_empty() {
            let hosts = self
                .cfg
                .site_hosts
                .iter()
                .map(|h| h.to_ascii_lowercase())
                .collect();
            return (hosts, self.cfg.site_hosts_from.clone());
        }
        let (hosts, from) = crate::site_hosts::infer(
            self.vhosts_seen
                .iter()
                .map(|(&id, &n)| (self.hosts.get(id), n)),
            self.referrer_hosts_seen
                .iter()
                .map(|(&id, &n)| (self.hosts.get(id), n)),
        );
        (hosts, from.to_owned())
    }
}

/// Pages with most measured views first, ties by path; at most `top`.
pub fn rank_page_times(rows: &mut Vec<PageTime>, top: usize) {
    rows.sort_by(|a, b| {
        b.measured
            .cmp(&a.measured)
            .then_with(|| a.path.cmp(&b.path))
    });
    rows.truncate(top);
}

/// The class (index into `none`, `1xx`..`5xx`) of a status code index (600: none).
pub fn status_class(code: usize) -> usize {
    if code == 600 { 0 } else { (code / 100).min(5) }
}

/// Bots with most requests first, ties by name; at most `top`.
pub fn rank_bots(rows: &mut Vec<BotRow>, top: usize) {
    rows.sort_by(|a, b| {
        b.requests
            .cmp(&a.requests)
            .then_with(|| a.name.cmp(&b.name))
    });
    rows.truncate(top);
}

/// Most counted first, ties by value; at most `top` rows.
pub fn ranked(items: impl IntoIterator<Item = (String, u64)>, top: usize) -> Vec<Row> {
    let mut rows: Vec<Row> = items
        .into_iter()
        .map(|(value, count)| Row { value, count })
        .collect();
    rows.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
    rows.truncate(top);
    rows
}

/// Requests per status code (index 600: none), the codes with requests.
pub fn status_rows(counts: &[u64]) -> Vec<Row> {
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

/// Requests per status class (`none`, `1xx`..`5xx`), the classes with requests.
pub fn class_rows(classes: &[u64; 6]) -> Vec<Row> {
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

fn bucket(at: String, b: &Bucket) -> TimeBucket {
    TimeBucket {
        at,
        requests: b.requests,
        human_requests: b.human,
        pageviews: b.pageviews,
        sessions: b.sessions,
    }
}

/// The longest session duration the histogram tells apart (longer ones count as this).
pub const MAX_SESSION_S: usize = 24 * 3600;

/// Session durations as the report shows them.
pub fn session_durations(d: &SecondsHistogram) -> Durations {
    Durations {
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
    }
}
