//! Which error-log event explains an error response of the access log (docs/errors.md, "The
//! join").
//!
//! Both logs name the client (hashed with the same key) and the time; nginx's lines also carry
//! the request line, Apache's a path for some messages. A response is explained by an unused
//! event of the same client whose time lies in the response's window and whose cause can give
//! that status: nginx's `$time_local` is the end of the request, so its line has the same second;
//! Apache's `%t` is the start, so its line comes up to the request's duration later (a timeout's
//! by the whole timeout). The window is [t - 2 s, t + duration + 2 s] (with no duration logged,
//! up to 305 s for a timeout behind a 502/504). Among candidates, one naming the same request
//! wins, then the nearest in time. Apache lines of one request (same pid and thread, within a
//! second) are one event, so that `AH00957` (no client) and `AH01114` (the client) count once.
//! Events that name no client (Apache's `AH00940`) explain responses of a matching status in the
//! same seconds. A response nothing explains has cause `none`: an application's own 500 leaves
//! no line in the server's log.

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};

use arrow_array::cast::AsArray;
use arrow_array::types::{TimestampMicrosecondType, UInt32Type, UInt64Type};
use arrow_array::{Array, RecordBatch, StringArray};
use clickpath_model::event;
use rustc_hash::{FxHashMap, FxHasher};

const MICROS: i64 = 1_000_000;
/// Slack around a response's window.
const SLACK: i64 = 2 * MICROS;
/// How long after a response's logged start a timeout's line may come when no duration is
/// logged.
const TIMEOUT_WAIT: i64 = 305 * MICROS;

/// A cause of an event, or none.
pub type CauseId = u8;
/// No event explains the response.
pub const NONE: CauseId = 0;

/// The causes in report order: `none`, then `clickpath_model::event::CAUSES`.
pub fn cause_name(c: CauseId) -> &'static str {
    if c == NONE {
        "none"
    } else {
        event::CAUSES[usize::from(c - 1)]
    }
}

pub fn cause_id(name: &str) -> CauseId {
    event::CAUSES
        .iter()
        .position(|c| *c == name)
        .map_or(NONE, |i| i as u8 + 1)
}

fn is(c: CauseId, name: &str) -> bool {
    c != NONE && cause_name(c) == name
}

/// Whether a response with `status` can be the one an event of cause `c` is about.
fn can_explain(c: CauseId, status: u16) -> bool {
    match cause_name(c) {
        // What nginx and httpd answer when the upstream fails (a 500 is the application's).
        "upstream_refused" | "upstream_closed" | "upstream_timeout" | "no_live_upstreams" => {
            matches!(status, 502..=504)
        }
        "file_not_found" => matches!(status, 404 | 410),
        "forbidden" => status == 403,
        "rate_limited" => matches!(status, 429 | 503 | 444),
        "other" => (500..600).contains(&status),
        _ => false,
    }
}

/// 0 when `c` is what servers answer `status` for (502: refused or closed, 503: no live
/// upstream, 504: timed out), else 1: among candidates, the usual one wins.
fn affinity(c: CauseId, status: u16) -> u8 {
    let usual = match status {
        502 => matches!(cause_name(c), "upstream_refused" | "upstream_closed"),
        503 => cause_name(c) == "no_live_upstreams",
        504 => cause_name(c) == "upstream_timeout",
        _ => true,
    };
    u8::from(!usual)
}

/// Whole seconds between an event and a response: access logs print seconds, so an event in
/// the response's second is as near as can be told (the earliest such event goes first).
fn seconds_apart(event: i64, response: i64) -> i64 {
    (event.div_euclid(MICROS) - response.div_euclid(MICROS)).abs()
}

/// When several lines are one event (Apache), the cause that tells most.
fn rank(c: CauseId) -> u8 {
    match cause_name(c) {
        "upstream_timeout" => 0,
        "upstream_refused" => 1,
        "no_live_upstreams" => 2,
        "upstream_closed" => 3,
        "none" | "other" => 9,
        _ => 4,
    }
}

/// What an explaining event names of its request.
#[derive(Clone, Debug)]
enum Target {
    /// A hash of the request target (`METHOD path?query`), from nginx's `request:`.
    Request(u64),
    /// A URL or file path (Apache): it names the request when it ends with the request's path.
    Path(Box<str>),
    None,
}

#[derive(Clone, Debug)]
struct Candidate {
    /// Local time as printed, microseconds.
    local: i64,
    cause: CauseId,
    target: Target,
    used: bool,
    /// Index of the event in [`Explainer::events`].
    event: u32,
}

/// One event as the reports keep it.
#[derive(Clone, Debug)]
pub struct EventInfo {
    pub local: i64,
    pub cause: CauseId,
    pub level: Box<str>,
    pub file_id: u32,
    pub line: u64,
    pub message: Box<str>,
    pub pid: Option<u32>,
    /// The backend it names, `host:port` or a host or an nginx upstream group (`app`).
    pub upstream: Option<Box<str>>,
    /// Explains an access-log response (set on the first line of a group).
    pub explained: bool,
    /// The first event of its request's lines (Apache writes two or three per request): itself
    /// for most.
    pub first: u32,
}

impl Explainer {
    /// Events that explain an access-log response, every line of a request's group counted.
    pub fn explaining(&self) -> u64 {
        let events = &self.events;
        events
            .iter()
            .filter(|e| events[e.first as usize].explained)
            .count() as u64
    }
}

struct Group {
    at: i64,
    first: u32,
    cause: CauseId,
    codes: Vec<Box<str>>,
    has_path: bool,
    client: Option<u64>,
}

/// An error response of the access log, as the join needs it.
#[derive(Clone, Copy, Debug)]
pub struct Response<'a> {
    pub client: u64,
    /// Local time, microseconds as the access log printed it (UTC + its offset).
    pub local: i64,
    pub status: u16,
    pub duration_us: Option<u64>,
    pub method: Option<&'a str>,
    pub path: Option<&'a str>,
    pub query: Option<&'a str>,
}

/// `errors.causes` from error responses per (status, cause): by status, most first within one.
pub fn cause_rows(
    counts: &rustc_hash::FxHashMap<(u16, CauseId), u64>,
) -> Vec<crate::report::CauseRow> {
    let mut causes: Vec<crate::report::CauseRow> = counts
        .iter()
        .map(|(&(status, cause), &n)| crate::report::CauseRow {
            status,
            cause: cause_name(cause).to_owned(),
            requests: n,
        })
        .collect();
    causes.sort_by(|a, b| {
        a.status
            .cmp(&b.status)
            .then(b.requests.cmp(&a.requests))
            .then(a.cause.cmp(&b.cause))
    });
    causes
}

/// Hash of a request target as both logs name it.
pub fn target_hash(method: Option<&str>, path: Option<&str>, query: Option<&str>) -> u64 {
    let mut h = FxHasher::default();
    method.unwrap_or("").hash(&mut h);
    path.unwrap_or("").hash(&mut h);
    query.unwrap_or("").hash(&mut h);
    h.finish()
}

/// The events of the error logs read, indexed for the join.
#[derive(Default)]
pub struct Explainer {
    by_client: FxHashMap<u64, Vec<Candidate>>,
    /// Events that name no client, by local second.
    clientless: BTreeMap<i64, Vec<Candidate>>,
    /// Every event, in the order read.
    pub events: Vec<EventInfo>,
    /// Apache: the open group of lines per (file, pid, tid): when it began, its first event
    /// (its candidate is found again through `placed`), the message codes it has, and whether
    /// it names a path.
    groups: FxHashMap<(u32, u32, u64), Vec<Group>>,
    /// Where each event's candidate is: (client or None, position).
    placed: Vec<Option<(Option<u64>, usize)>>,
    sorted: bool,
}

/// `http://127.0.0.1:8080/path` -> `127.0.0.1:8080`.
fn backend(url: &str) -> Box<str> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.split('/').next().unwrap_or(rest).into()
}

fn text_at(a: &StringArray, r: usize) -> Option<&str> {
    a.is_valid(r).then(|| a.value(r))
}

impl Explainer {
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Adds a batch of the event schema.
    pub fn add(&mut self, batch: &RecordBatch) {
        let col = |n: &str| batch.column_by_name(n).expect("event schema column");
        let local = col(event::LOCAL_TIME).as_primitive::<TimestampMicrosecondType>();
        let s = |n: &str| col(n).as_string::<i32>().clone();
        let (level, message, cause, code) = (
            s(event::LEVEL),
            s(event::MESSAGE),
            s(event::CAUSE),
            s(event::CODE),
        );
        let (method, path, query) = (s(event::METHOD), s(event::PATH), s(event::QUERY));
        let pid = col(event::PID).as_primitive::<UInt32Type>().clone();
        let connection = col(event::CONNECTION).as_primitive::<UInt64Type>().clone();
        let tid = col(event::TID).as_primitive::<UInt64Type>().clone();
        let client = col(event::CLIENT).as_primitive::<UInt64Type>().clone();
        let file_id = col(event::FILE_ID).as_primitive::<UInt32Type>().clone();
        let line = col(event::LINE).as_primitive::<UInt64Type>().clone();
        let upstream = s(event::UPSTREAM);
        for r in 0..batch.num_rows() {
            let t = local.value(r);
            let c = cause_id(cause.value(r));
            let idx = self.events.len() as u32;
            let info = EventInfo {
                local: t,
                cause: c,
                level: level.value(r).into(),
                file_id: file_id.value(r),
                line: line.value(r),
                message: message.value(r).into(),
                pid: pid.is_valid(r).then(|| pid.value(r)),
                upstream: text_at(&upstream, r).map(backend),
                explained: false,
                first: idx,
            };
            let target = match (text_at(&method, r), text_at(&path, r)) {
                (Some(m), p) => Target::Request(target_hash(Some(m), p, text_at(&query, r))),
                (None, Some(p)) => Target::Path(p.into()),
                (None, None) => Target::None,
            };
            let who = client.is_valid(r).then(|| client.value(r));
            // Apache: lines of the same request share pid and thread within a second (nginx's
            // name their connection or request).
            if connection.is_null(r) && method.is_null(r) {
                let key = (file_id.value(r), pid.value(r), tid.value(r));
                let this_code = text_at(&code, r).unwrap_or("");
                let has_path = matches!(target, Target::Path(_));
                // One request's lines complete each other: a line joins the oldest open group of
                // its thread that lacks what it brings (the client, or the path of that client),
                // never with a code twice; "no live upstreams" stands alone.
                let nolive = cause_id("no_live_upstreams");
                let joins = |g: &Group| {
                    let brings = (g.client.is_none() && who.is_some())
                        || (!g.has_path && has_path && who.is_some() && g.client == who);
                    t - g.at <= MICROS
                        && brings
                        && c != nolive
                        && g.cause != nolive
                        && !g.codes.iter().any(|x| &**x == this_code)
                };
                if pid.is_valid(r) && tid.is_valid(r) {
                    let open = self.groups.entry(key).or_default();
                    open.retain(|g| t - g.at <= MICROS);
                    if let Some(k) = open.iter().position(joins) {
                        let first = open[k].first;
                        if self.merge(first, who, c, &target) {
                            let g = &mut self.groups.get_mut(&key).expect("just seen")[k];
                            g.codes.push(this_code.into());
                            g.has_path |= has_path;
                            g.client = g.client.or(who);
                            // Apache's AH01114 names the host only: the group's AH00957 has
                            // the port.
                            let upstream = self.events[first as usize]
                                .upstream
                                .clone()
                                .or(info.upstream.clone());
                            self.events.push(EventInfo {
                                first,
                                upstream,
                                ..info
                            });
                            self.placed.push(None);
                            continue;
                        }
                    }
                    self.groups.entry(key).or_default().push(Group {
                        at: t,
                        first: idx,
                        cause: c,
                        codes: vec![this_code.into()],
                        has_path,
                        client: who,
                    });
                }
            }
            self.events.push(info);
            // A line that names no client explains only as an upstream's failure (Apache's
            // AH00940, AH00957): startup notices and the like say nothing of a response.
            let explains = c != NONE
                && [500, 502, 404, 403, 429]
                    .iter()
                    .any(|&st| can_explain(c, st))
                && (who.is_some()
                    || matches!(
                        cause_name(c),
                        "upstream_refused"
                            | "upstream_closed"
                            | "upstream_timeout"
                            | "no_live_upstreams"
                    ));
            if !explains {
                self.placed.push(None);
                continue;
            }
            let cand = Candidate {
                local: t,
                cause: c,
                target,
                used: false,
                event: idx,
            };
            match who {
                Some(w) => {
                    let v = self.by_client.entry(w).or_default();
                    v.push(cand);
                    self.placed.push(Some((Some(w), v.len() - 1)));
                }
                None => {
                    let v = self.clientless.entry(t.div_euclid(MICROS)).or_default();
                    v.push(cand);
                    self.placed.push(Some((None, v.len() - 1)));
                }
            }
            self.sorted = false;
        }
    }

    /// Adds a line to the group of event `first`; false when it is another request's.
    fn merge(&mut self, first: u32, who: Option<u64>, c: CauseId, target: &Target) -> bool {
        let Some(Some((client, pos))) = self.placed.get(first as usize).cloned() else {
            return false;
        };
        // A group without client that now learns one moves to that client.
        let cand = match client {
            Some(cl) => {
                if who.is_some_and(|w| w != cl) {
                    return false;
                }
                &mut self.by_client.get_mut(&cl).expect("placed")[pos]
            }
            None => {
                let sec = self.events[first as usize].local.div_euclid(MICROS);
                let moved = {
                    let v = self.clientless.get_mut(&sec).expect("placed");
                    if let Some(w) = who {
                        let cand = v[pos].clone();
                        v[pos].used = true; // a tombstone: the candidate lives on below
                        v[pos].cause = NONE;
                        Some((w, cand))
                    } else {
                        None
                    }
                };
                match moved {
                    Some((w, cand)) => {
                        let v = self.by_client.entry(w).or_default();
                        v.push(cand);
                        let p = v.len() - 1;
                        self.placed[first as usize] = Some((Some(w), p));
                        &mut v[p]
                    }
                    None => &mut self.clientless.get_mut(&sec).expect("placed")[pos],
                }
            }
        };
        if rank(c) < rank(cand.cause) {
            cand.cause = c;
        }
        if matches!(cand.target, Target::None) {
            cand.target = target.clone();
        }
        true
    }

    fn sort(&mut self) {
        if self.sorted {
            return;
        }
        for v in self.by_client.values_mut() {
            v.sort_by_key(|c| c.local);
        }
        // Positions changed: groups are complete once responses are being explained.
        for p in &mut self.placed {
            *p = None;
        }
        self.groups.clear();
        self.sorted = true;
    }

    /// The cause of a response. Marks the event used.
    pub fn explain(&mut self, r: &Response<'_>) -> CauseId {
        let Response {
            client,
            local,
            status,
            duration_us,
            method,
            path,
            query,
        } = *r;
        if self.events.is_empty() {
            return NONE;
        }
        self.sort();
        let d = duration_us.map_or(0, |d| d.min(i64::MAX as u64) as i64);
        let lo = local - SLACK;
        let hi = local + d + SLACK;
        let far = if duration_us.is_none() && matches!(status, 502 | 504) {
            local + TIMEOUT_WAIT
        } else {
            hi
        };
        let request = target_hash(method, path, query);
        let mut found: Option<(u8, u8, i64, usize)> = None;
        if let Some(v) = self.by_client.get(&client) {
            let from = v.partition_point(|c| c.local < lo);
            for (i, c) in v.iter().enumerate().skip(from) {
                if c.local > far {
                    break;
                }
                if c.used || !can_explain(c.cause, status) {
                    continue;
                }
                if c.local > hi && !is(c.cause, "upstream_timeout") {
                    continue;
                }
                let names = match &c.target {
                    Target::Request(h) => {
                        if *h != request {
                            continue;
                        }
                        0
                    }
                    // A URL path, or a file under the document root.
                    Target::Path(p) => {
                        if !path.is_some_and(|q| p.ends_with(q)) {
                            continue;
                        }
                        0
                    }
                    Target::None => 1,
                };
                let key = (
                    names,
                    affinity(c.cause, status),
                    seconds_apart(c.local, local),
                    i,
                );
                if found.is_none_or(|f| key < f) {
                    found = Some(key);
                }
            }
        }
        // Events that name no client (the same seconds, a cause that gives this status) weigh
        // as events that name no request.
        let mut best: Option<(u8, u8, i64, i64, usize)> = None;
        for (&sec, v) in self
            .clientless
            .range(lo.div_euclid(MICROS)..=hi.div_euclid(MICROS))
        {
            for (i, c) in v.iter().enumerate() {
                if c.used || !can_explain(c.cause, status) {
                    continue;
                }
                let key = (
                    1,
                    affinity(c.cause, status),
                    seconds_apart(c.local, local),
                    sec,
                    i,
                );
                if best.is_none_or(|b| key < b) {
                    best = Some(key);
                }
            }
        }
        let client_wins = match (found, best) {
            (Some(f), Some(b)) => (f.0, f.1, f.2) <= (b.0, b.1, b.2),
            (f, _) => f.is_some(),
        };
        if client_wins && let Some((_, _, _, i)) = found {
            let c = &mut self.by_client.get_mut(&client).expect("found")[i];
            c.used = true;
            let (cause, event) = (c.cause, c.event);
            self.events[event as usize].explained = true;
            return cause;
        }
        if let Some((_, _, _, sec, i)) = best {
            let c = &mut self.clientless.get_mut(&sec).expect("found")[i];
            c.used = true;
            let (cause, event) = (c.cause, c.event);
            self.events[event as usize].explained = true;
            return cause;
        }
        NONE
    }
}
