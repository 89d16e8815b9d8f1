//! The whole diary: the error log joined to the access log's requests (`explain.rs`), the
//! per-minute series of the whole log (`incidents/series.rs`), restarts (`restarts.rs`) and the
//! incidents built from them, with what each cost (docs/errors.md).
//!
//! The traffic aggregator feeds it every request as it streams by (error logs are read first, so
//! their events are indexed when the responses they explain arrive), and asks it for the report's
//! causes, restarts and incidents at the end.

use std::collections::BTreeMap;

use arrow_array::RecordBatch;
use rustc_hash::{FxHashMap, FxHashSet};

use crate::explain::{self, CauseId, Explainer};
use crate::incidents::{self, Evidence, MINUTE, Series, TimelineCounts};
use crate::numbers::round2;
use crate::report::{
    Before, CauseRow, ErrorLogReport, FirstLines, IncidentRow, LineRef, ReloadRow, RestartRow, Row,
};
use crate::restarts::{self, Restart};
use crate::session::ErrorKind;

const MICROS: i64 = 1_000_000;
/// Seconds without any request that may be a stop of the server, if requests were coming.
const SILENCE_S: i64 = 3;
/// How unlikely a silence must be to be a stop: P < e^-20.
const SILENCE_SURPRISE: f64 = 20.0;
/// The longest silence taken for a stop: a longer one is an absence of traffic (a scanner
/// that went away, a night), not a restart nobody logged.
const SILENCE_MAX: i64 = 600 * MICROS;
/// First error responses kept per minute (an incident shows its first lines).
const FIRST_PER_MINUTE: usize = 3;
/// Lines of each log an incident shows.
const FIRST_LINES: usize = 5;

/// One request, as the diary needs it.
pub(crate) struct Seen<'a> {
    pub ts: i64,
    pub tz: Option<i16>,
    pub client: u64,
    pub status: Option<u16>,
    pub duration_us: Option<u64>,
    pub method: Option<&'a str>,
    pub path: Option<&'a str>,
    pub query: Option<&'a str>,
    pub path_id: u32,
    pub human: bool,
    /// Interned referrer host of a 404 (0: none).
    pub referrer_host: u32,
    pub file_id: u32,
    pub line: u64,
}

#[derive(Default)]
pub(crate) struct Diary {
    pub explainer: Explainer,
    pub series: Series,
    causes: FxHashMap<(u16, CauseId), u64>,
    /// Human 404s by (minute, referrer host) (in order: the live view reads its last hours).
    not_found_from: BTreeMap<(i64, u32), u64>,
    /// Error responses by (minute, path, status).
    error_paths: FxHashMap<(i64, u32, u16), u64>,
    /// Sessions: (first minute, last minute, visitor).
    spans: Vec<(i64, i64, u64)>,
    /// The access log's zones (minutes east) and how many lines printed each.
    zones: FxHashMap<i16, u64>,
    /// The zone the access log printed in each local hour (a daylight-saving change moves it).
    zone_by_local_hour: BTreeMap<i64, i16>,
    last_second: Option<i64>,
    /// The latest request time seen (UTC micros).
    last_ts: Option<i64>,
    silences: Vec<(i64, i64)>,
    events_before_requests: bool,
    requests_seen: bool,
    /// `restarts::find` of the events so far, by how many there were (the live view asks
    /// every minute; events only grow).
    found: std::cell::RefCell<Option<Found>>,
}

/// `restarts::find` of so many events.
type Found = (usize, Vec<Restart>, Vec<restarts::Reload>);

/// What the report needs from the rest of the aggregation to tell an incident.
pub(crate) struct Context<'a> {
    pub site_host_ids: &'a [u32],
    pub path: &'a dyn Fn(u32) -> String,
    /// Lost conversions between two times over errors of some kinds (`ErrorKind` bits: the
    /// first funnel's estimate), if there is a funnel.
    pub lost_between: Option<&'a dyn Fn(i64, i64, u8) -> f64>,
    pub funnel_steps: &'a [String],
    pub average_order_value: Option<f64>,
    /// `--error-log-tz`, minutes east.
    pub zone_flag: Option<i16>,
    pub currency: Option<&'a str>,
}

/// What the diary adds to the report.
pub(crate) struct Told {
    pub causes: Vec<CauseRow>,
    pub restarts: Vec<RestartRow>,
    pub reloads: Vec<ReloadRow>,
    pub incidents: Vec<IncidentRow>,
    pub error_log: Option<ErrorLogReport>,
    pub timeline: Vec<crate::report::TimelineBucket>,
}

fn rfc3339(ts: i64) -> String {
    let mut s = String::new();
    clickpath_model::format_rfc3339_micros(ts, &mut s);
    s
}

fn zone_text(min: i16) -> String {
    let (sign, m) = if min < 0 { ('-', -min) } else { ('+', min) };
    format!("{sign}{:02}:{:02}", m / 60, m % 60)
}

impl Diary {
    pub fn add_events(&mut self, batch: &RecordBatch) {
        if !self.requests_seen {
            self.events_before_requests = true;
        }
        self.explainer.add(batch);
    }

    /// A request streams by; returns its cause (for error responses).
    pub fn request(&mut self, r: &Seen<'_>) -> CauseId {
        self.requests_seen = true;
        self.last_ts = Some(self.last_ts.map_or(r.ts, |t| t.max(r.ts)));
        if let Some(tz) = r.tz {
            *self.zones.entry(tz).or_default() += 1;
            let local_hour = (r.ts + i64::from(tz) * 60 * MICROS).div_euclid(3600 * MICROS);
            self.zone_by_local_hour.insert(local_hour, tz);
        }
        let sec = r.ts.div_euclid(MICROS);
        let new_second = self.last_second.is_none_or(|last| sec > last);
        if let Some(last) = self.last_second
            && sec > last + SILENCE_S
        {
            self.silences.push(((last + 1) * MICROS, sec * MICROS));
        }
        if new_second {
            self.last_second = Some(sec);
            self.series.at(r.ts).active_seconds += 1;
        }
        let minute = r.ts.div_euclid(MINUTE);
        let m = self.series.at(r.ts);
        m.requests += 1;
        if r.human {
            m.human_requests += 1;
        }
        let Some(status) = r.status.filter(|s| *s >= 400) else {
            return explain::NONE;
        };
        m.errors += 1;
        if let Some(class) = incidents::Class::of(status) {
            let first = &mut m.first_errors[class as usize];
            if first.len() < FIRST_PER_MINUTE {
                first.push((r.file_id, r.line));
            }
        }
        if status == 429 {
            m.rate_limited += 1;
        }
        if r.human && status >= 500 {
            m.human_5xx += 1;
        }
        if r.human && status == 404 && r.referrer_host != 0 {
            *self
                .not_found_from
                .entry((minute, r.referrer_host))
                .or_default() += 1;
        }
        *self
            .error_paths
            .entry((minute, r.path_id, status))
            .or_default() += 1;
        let local = r.ts + i64::from(r.tz.unwrap_or(0)) * 60 * MICROS;
        let cause = self.explainer.explain(&explain::Response {
            client: r.client,
            local,
            status,
            duration_us: r.duration_us,
            method: r.method,
            path: r.path,
            query: r.query,
        });
        *self.causes.entry((status, cause)).or_default() += 1;
        self.series.cause(r.ts, status, cause);
        cause
    }

    pub fn last_seen(&self) -> Option<i64> {
        self.last_ts
    }

    pub fn session_started(&mut self, ts: i64) {
        self.series.at(ts).arrivals += 1;
    }

    pub fn session_closed(&mut self, first: i64, last: i64, visitor: u64) {
        self.spans
            .push((first.div_euclid(MINUTE), last.div_euclid(MINUTE), visitor));
    }

    /// A human request answered with `status` that is a step of the first funnel (of `steps`
    /// steps) for each bit `k < steps` of `hits` (bits above are another matcher's): a request
    /// of the step, or a 5xx on its path. A conversion when it is the last step and not an
    /// error (loggen's definition).
    pub fn funnel_steps(&mut self, ts: i64, hits: u64, steps: usize, status: u16) {
        let hits = hits & 1u64.checked_shl(steps as u32).map_or(u64::MAX, |b| b - 1);
        if hits == 0 {
            return;
        }
        let m = self.series.at(ts);
        if m.steps.len() < steps {
            m.steps.resize(steps, 0);
        }
        for k in (0..steps).filter(|k| hits & (1 << k) != 0) {
            m.steps[k] += 1;
            if k + 1 == steps && status < 400 {
                m.conversions += 1;
            }
        }
    }

    /// The error log's local times to UTC: in the flag's zone, else (the access log printing
    /// several) in the zone the access log printed at the nearest local hour, else its zone.
    fn to_utc(&self, zone_flag: Option<i16>) -> impl Fn(i64) -> i64 + '_ {
        let (zone, _) = error_log_zone(&self.zones, zone_flag);
        let by_hour = &self.zone_by_local_hour;
        let follow = zone_flag.is_none() && self.zones.len() > 1;
        move |local: i64| {
            let z = if follow {
                let h = local.div_euclid(3600 * MICROS);
                let before = by_hour.range(..=h).next_back();
                let after = by_hour.range(h..).next();
                match (before, after) {
                    (Some((&b, &zb)), Some((&a, &za))) => {
                        if h - b <= a - h {
                            zb
                        } else {
                            za
                        }
                    }
                    (Some((_, &z)), None) | (None, Some((_, &z))) => z,
                    (None, None) => zone,
                }
            } else {
                zone
            };
            local - i64::from(z) * 60 * MICROS
        }
    }

    /// Restarts in UTC (silences that no restart line tells of included) and reloads.
    fn restarts(&self, to_utc: &dyn Fn(i64) -> i64) -> (Vec<Restart>, Vec<restarts::Reload>) {
        let n = self.explainer.events.len();
        let mut found = self.found.borrow_mut();
        if found.as_ref().is_none_or(|(k, _, _)| *k != n) {
            let (r, l) = restarts::find(&self.explainer.events);
            *found = Some((n, r, l));
        }
        let (mut restarts, reloads) = found
            .as_ref()
            .map(|(_, r, l)| (r.clone(), l.clone()))
            .unwrap_or_default();
        drop(found);
        for r in &mut restarts {
            r.start = to_utc(r.start);
            r.end = to_utc(r.end);
        }
        // Only beside an error log: it is the server's own account, and the silence what its
        // level (or a killed master) left out. From the access log alone a silence says nothing
        // of the server.
        let silences: Vec<(i64, i64)> = self
            .silences
            .iter()
            .copied()
            .filter(|&(a, b)| {
                !self.explainer.is_empty()
                    && b - a <= SILENCE_MAX
                    && self.surprise(a, b) >= SILENCE_SURPRISE
            })
            .collect();
        // A silence no restart line tells of is a stop of the server, inferred.
        for &(a, b) in &silences {
            if !restarts
                .iter()
                .any(|r| r.kind == restarts::RestartKind::Server && a <= r.end && b >= r.start)
            {
                restarts.push(Restart {
                    kind: restarts::RestartKind::Server,
                    how: "silence",
                    start: a,
                    end: b,
                    upstream: None,
                    events: Vec::new(),
                });
            }
        }
        restarts.sort_by_key(|r| r.start);
        (restarts, reloads)
    }

    /// Human 404s from the site's own pages into `series`, now that its hosts are known.
    fn fill_internal_404s(&self, series: &mut Series, site_host_ids: &[u32]) {
        for (&(minute, host), &n) in self.not_found_from.range((series.first, 0)..) {
            if site_host_ids.contains(&host) {
                series.at(minute * MINUTE).human_404_internal += n;
            }
        }
    }

    /// What the detectors see of the minutes from `from` (UTC micros) on, without closing
    /// anything: each detector's windows (not merged), for alerts while the log is written.
    pub fn live(&self, cx: &Context<'_>, from: i64) -> incidents::LiveView {
        let mut series = self.series.tail(from);
        self.fill_internal_404s(&mut series, cx.site_host_ids);
        let to_utc = self.to_utc(cx.zone_flag);
        let (mut restarts, _) = self.restarts(&to_utc);
        restarts.retain(|r| r.end >= series.start_of(0));
        // The traffic-drop detector compares with the half hour after: no use while the log is
        // written (the alert rule compares with the previous days instead).
        let windows = incidents::detect_each(
            &Evidence {
                series: &series,
                restarts: &restarts,
            },
            &[incidents::Kind::TrafficDrop],
        );
        incidents::LiveView {
            series,
            restarts,
            windows,
        }
    }

    /// An incident row for `w` as the report would tell it, from what was seen so far.
    pub fn live_incident(&self, cx: &Context<'_>, w: &incidents::Window) -> IncidentRow {
        let to_utc = self.to_utc(cx.zone_flag);
        let (restarts, _) = self.restarts(&to_utc);
        self.incident(w, &restarts, cx, &to_utc)
    }

    pub fn finish(mut self, cx: &Context<'_>) -> Told {
        let mut series = std::mem::take(&mut self.series);
        self.fill_internal_404s(&mut series, cx.site_host_ids);
        self.series = series;
        let to_utc = self.to_utc(cx.zone_flag);
        let (restarts, reloads) = self.restarts(&to_utc);
        let windows = incidents::detect(&Evidence {
            series: &self.series,
            restarts: &restarts,
        });
        let incidents: Vec<IncidentRow> = windows
            .iter()
            .map(|w| self.incident(w, &restarts, cx, &to_utc))
            .collect();
        let causes = explain::cause_rows(&self.causes);
        let error_log = error_log_report(
            &self.explainer,
            &self.zones,
            cx.zone_flag,
            self.events_before_requests,
        );
        let timeline = self.timeline();
        Told {
            timeline,
            causes,
            restarts: restarts
                .iter()
                .map(|r| RestartRow {
                    kind: r.kind.as_str().to_owned(),
                    how: r.how.to_owned(),
                    start: rfc3339(r.start),
                    end: rfc3339(r.end),
                    upstream: r.upstream.as_deref().map(str::to_owned),
                })
                .collect(),
            reloads: reloads
                .iter()
                .map(|r| ReloadRow {
                    at: rfc3339(to_utc(r.at)),
                    what: r.what.to_owned(),
                })
                .collect(),
            incidents,
            error_log,
        }
    }

    /// The series in at most 240 buckets of whole minutes.
    fn timeline(&self) -> Vec<crate::report::TimelineBucket> {
        let s = &self.series;
        incidents::timeline(s.first, &s.minutes, |m| TimelineCounts {
            requests: m.requests,
            human_requests: m.human_requests,
            human_5xx: m.human_5xx,
            errors: m.errors,
            sessions_started: m.arrivals,
        })
    }

    /// How surprising a silence `[a, b)` is, as -ln P: with a share p of seconds that have a
    /// request (the lower of the five whole minutes before and after it: requests come in
    /// bursts, so seconds count, not requests), L empty seconds in a row have P = (1 - p)^L.
    /// Zero at the log's edges, where traffic may still be ramping up.
    fn surprise(&self, a: i64, b: i64) -> f64 {
        let s = &self.series;
        let (ia, ib) = (s.index(a), s.index(b));
        if ia < 6 || ib + 6 >= s.minutes.len() as i64 {
            return 0.0;
        }
        let share = |from: i64, to: i64| {
            (from..to)
                .map(|i| s.minutes[i as usize].active_seconds as f64)
                .sum::<f64>()
                / ((to - from) as f64 * 60.0)
        };
        let p = share(ia - 5, ia).min(share(ib + 1, ib + 6)).min(0.999);
        -((b - a) as f64 / MICROS as f64) * (1.0 - p).ln()
    }

    fn incident(
        &self,
        w: &incidents::Window,
        restarts: &[Restart],
        cx: &Context<'_>,
        to_utc: &dyn Fn(i64) -> i64,
    ) -> IncidentRow {
        let s = &self.series;
        let (a, b) = (s.index(w.start).max(0), s.index(w.end).max(0));
        let range = || (a as usize..(b as usize).min(s.minutes.len())).map(|i| &s.minutes[i]);
        let sum = |f: &dyn Fn(&incidents::Minute) -> u64| range().map(f).sum::<u64>();
        // Every error class by cause (the JSON), and the incident's own class (the story).
        let mut causes: BTreeMap<String, u64> = BTreeMap::new();
        let mut own: BTreeMap<String, u64> = BTreeMap::new();
        let class = w.kind.class();
        for m in range() {
            for (k, per) in m.causes.iter().enumerate() {
                for (c, &n) in per.iter().enumerate() {
                    if n > 0 {
                        let name = explain::cause_name(c as u8).to_owned();
                        if class.is_some_and(|cl| cl as usize == k) {
                            *own.entry(name.clone()).or_default() += u64::from(n);
                        }
                        *causes.entry(name).or_default() += u64::from(n);
                    }
                }
            }
        }
        let len = b - a;
        let before = |f: &dyn Fn(&incidents::Minute) -> u64| {
            ((a - len).max(0) as usize..a as usize)
                .map(|i| f(&s.minutes[i]))
                .sum::<u64>()
        };
        let human_requests = sum(&|m| m.human_requests);
        let requests = match class {
            None => human_requests,
            Some(_) => own.values().sum(),
        };
        let (ma, mb) = (w.start.div_euclid(MINUTE), w.end.div_euclid(MINUTE));
        let visitors: FxHashSet<u64> = self
            .spans
            .iter()
            .filter(|(f, l, _)| *f < mb && *l >= ma)
            .map(|(_, _, v)| *v)
            .collect();
        let has_funnel = !cx.funnel_steps.is_empty();
        let conversions = has_funnel.then(|| sum(&|m| m.conversions));
        // Over the errors the incident is about (any error for a traffic drop).
        let kinds = match class {
            Some(incidents::Class::ServerError) => ErrorKind::Server.bit(),
            Some(incidents::Class::NotFound) => ErrorKind::NotFound.bit(),
            Some(incidents::Class::Forbidden | incidents::Class::RateLimited) => {
                ErrorKind::Rejected.bit()
            }
            None => u8::MAX,
        };
        let conversions_lost = cx.lost_between.map(|f| round2(f(w.start, w.end, kinds)));
        let money_lost = conversions_lost
            .zip(cx.average_order_value)
            .map(|(l, v)| round2(l * v));
        let funnel_steps = cx
            .funnel_steps
            .iter()
            .enumerate()
            .map(|(k, name)| Row {
                value: name.clone(),
                count: range()
                    .map(|m| u64::from(m.steps.get(k).copied().unwrap_or(0)))
                    .sum(),
            })
            .collect();
        let mut paths: FxHashMap<(u32, u16), u64> = FxHashMap::default();
        for (&(minute, path, status), &n) in &self.error_paths {
            let ours = class.is_none_or(|cl| incidents::Class::of(status) == Some(cl));
            if minute >= ma && minute < mb && ours {
                *paths.entry((path, status)).or_default() += n;
            }
        }
        let mut top: Vec<Row> = paths
            .into_iter()
            .map(|((p, st), n)| Row {
                value: format!("{st} {}", (cx.path)(p)),
                count: n,
            })
            .collect();
        top.sort_by(|x, y| y.count.cmp(&x.count).then(x.value.cmp(&y.value)));
        top.truncate(5);
        let mut first = FirstLines::default();
        for m in range() {
            let lines = match class {
                Some(cl) => m.first_errors[cl as usize].clone(),
                None => m.first_errors.concat(),
            };
            for (f, l) in lines {
                if first.access.len() < FIRST_LINES {
                    first.access.push(LineRef {
                        file: None,
                        file_id: f,
                        line: l,
                        text: None,
                    });
                }
            }
        }
        let mut events: Vec<&explain::EventInfo> = self
            .explainer
            .events
            .iter()
            .filter(|e| {
                let t = to_utc(e.local);
                t >= w.start
                    && t < w.end
                    && e.cause != explain::NONE
                    && explain::cause_name(e.cause) != "tls"
            })
            .collect();
        events.sort_by_key(|e| e.local);
        first.error = events
            .iter()
            .take(FIRST_LINES)
            .map(|e| LineRef {
                file: None,
                file_id: e.file_id,
                line: e.line,
                text: Some(e.message.to_string()),
            })
            .collect();
        let inside: Vec<&Restart> = restarts
            .iter()
            .filter(|r| r.start < w.end && (r.end > w.start || r.start >= w.start))
            .collect();
        let row = IncidentRow {
            kind: w.kind.as_str().to_owned(),
            start: rfc3339(w.start),
            end: rfc3339(w.end),
            duration_s: (w.end - w.start) / MICROS,
            causes,
            requests,
            human_requests,
            sessions_started: sum(&|m| m.arrivals),
            human_visitors: visitors.len() as u64,
            conversions,
            conversions_lost,
            money_lost,
            funnel_steps,
            top_urls: top,
            first_lines: first,
            before: Before {
                requests: before(&|m| m.requests),
                human_5xx: before(&|m| m.human_5xx),
                sessions_started: before(&|m| m.arrivals),
            },
            story: String::new(),
        };
        let story = story(&row, &own, &inside, cx.currency);
        IncidentRow { story, ..row }
    }
}

/// `1 session`, `2 sessions`.
fn plural(n: u64, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// The incident in one paragraph, for people.
fn story(
    r: &IncidentRow,
    own: &BTreeMap<String, u64>,
    restarts: &[&Restart],
    currency: Option<&str>,
) -> String {
    let what = match r.kind.as_str() {
        "server_restart" => {
            // Each way it went down, in order: a crash and a restart in one minute are both told.
            let mut hows: Vec<&str> = Vec::new();
            for x in restarts
                .iter()
                .filter(|x| x.kind == restarts::RestartKind::Server)
            {
                let how = match x.how {
                    "crash" => "lost a worker process (it crashed and was restarted)",
                    "silence" => {
                        "logged nothing while requests were coming (stopped? no line says why)"
                    }
                    _ => "was stopped and started again",
                };
                if !hows.contains(&how) {
                    hows.push(how);
                }
            }
            let how = if hows.is_empty() {
                "stopped".to_owned()
            } else {
                hows.join(", then it ")
            };
            format!("The web server {how}")
        }
        "upstream_outage" => {
            let at = restarts
                .iter()
                .find_map(|x| x.upstream.as_deref())
                .map_or(String::new(), |u| format!(" ({u})"));
            format!(
                "The application behind the web server{at} refused connections (it was down or restarting)"
            )
        }
        "rate_limit_storm" => {
            "A flood of requests was held back by the rate limit (429)".to_owned()
        }
        "not_found_storm" => "Pages of the site linked to something missing (404)".to_owned(),
        "error_burst" => "Server errors (5xx) ran far above their usual share".to_owned(),
        "traffic_drop" => "Fewer new visitors arrived than before and after".to_owned(),
        other => other.to_owned(),
    };
    let mut s = format!(
        "{what}, {} to {} ({} min).",
        &r.start[11..16],
        &r.end[11..16],
        r.duration_s / 60
    );
    let mut causes: Vec<(&String, &u64)> = own.iter().collect();
    causes.sort_by(|a, b| b.1.cmp(a.1));
    let what = match r.kind.as_str() {
        "not_found_storm" => "404 responses",
        "rate_limit_storm" => "429 responses",
        "traffic_drop" => "",
        _ => "5xx responses",
    };
    if !what.is_empty() {
        s.push_str(&format!(" {} {what}", r.requests));
        if !causes.is_empty() {
            let list: Vec<String> = causes
                .iter()
                .map(|(c, n)| {
                    if c.as_str() == "none" {
                        format!("{n} with no error-log line")
                    } else {
                        format!("{n} {c}")
                    }
                })
                .collect();
            s.push_str(&format!(" ({})", list.join(", ")));
        }
        s.push('.');
    }
    s.push_str(&format!(
        " {} started",
        plural(r.sessions_started, "session")
    ));
    if let Some(c) = r.conversions {
        s.push_str(&format!(", {}", plural(c, "conversion")));
    }
    if let Some(l) = r.conversions_lost.filter(|l| *l > 0.0) {
        s.push_str(&format!("; about {l} conversions lost"));
        if let Some(m) = r.money_lost {
            s.push_str(&format!(" ({m} {})", currency.unwrap_or("")).replace(" )", ")"));
        }
    }
    s.push('.');
    s
}

/// The zone of the error log's local times: the flag's, else the one most access lines print
/// (`zones`: lines per zone, minutes east), else UTC; and where it came from.
pub fn error_log_zone(zones: &FxHashMap<i16, u64>, flag: Option<i16>) -> (i16, &'static str) {
    if let Some(z) = flag {
        return (z, "flag");
    }
    match zones
        .iter()
        .max_by_key(|&(z, n)| (n, std::cmp::Reverse(*z)))
    {
        Some((&z, _)) => (z, "access log"),
        None => (0, "assumed"),
    }
}

/// `error_log`: what the error logs held (None without events), from the events read, the
/// access lines per zone and `--error-log-tz`; `events_first`: the events were read before the
/// access lines (else responses before them could not be explained).
pub fn error_log_report(
    explainer: &Explainer,
    zones: &FxHashMap<i16, u64>,
    zone_flag: Option<i16>,
    events_first: bool,
) -> Option<ErrorLogReport> {
    let (zone, zone_from) = error_log_zone(zones, zone_flag);
    let follow = zone_flag.is_none() && zones.len() > 1;
    (!explainer.events.is_empty()).then(|| {
        let mut by_level: BTreeMap<&str, u64> = BTreeMap::new();
        let mut by_cause: BTreeMap<&str, u64> = BTreeMap::new();
        for e in &explainer.events {
            *by_level.entry(&e.level).or_default() += 1;
            *by_cause.entry(explain::cause_name(e.cause)).or_default() += 1;
        }
        let rows = |m: BTreeMap<&str, u64>| {
            let mut v: Vec<Row> = m
                .into_iter()
                .map(|(k, n)| Row {
                    value: k.to_owned(),
                    count: n,
                })
                .collect();
            v.sort_by(|a, b| b.count.cmp(&a.count).then(a.value.cmp(&b.value)));
            v
        };
        let notice = by_level.contains_key("notice");
        let mut notes = Vec::new();
        if !notice {
            notes.push("No [notice] lines: either the server was not stopped, started or reloaded in this period, or the error log's level hides those lines (nginx `error_log ... error`, Debian's default); then restarts are inferred from silences of the access log and [alert] worker exits only. `error_log /var/log/nginx/error.log notice;` (Apache: `LogLevel warn core:info`) shows them.".to_owned());
        }
        if follow {
            let mut zs: Vec<String> = zones.keys().map(|&z| zone_text(z)).collect();
            zs.sort();
            notes.push(format!("The access log prints several zones ({}): each error-log time is read in the zone the access log printed at that local hour.", zs.join(", ")));
        }
        if !events_first {
            notes.push("Error logs were read after access lines: responses before them could not be explained.".to_owned());
        }
        ErrorLogReport {
            events: explainer.events.len() as u64,
            explaining: explainer.explaining(),
            by_level: rows(by_level),
            by_cause: rows(by_cause),
            zone: zone_text(zone),
            zone_from: zone_from.to_owned(),
            notes,
        }
    })
}
