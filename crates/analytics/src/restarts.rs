//! Restarts and crashes of the server, and outages of its upstream, from the error log's
//! events (docs/errors.md, "Restarts").
//!
//! - nginx: the master's `signal 15 (SIGTERM)` / `signal 3 (SIGQUIT)` / `signal 2 (SIGINT)`
//!   starts a stop; `start worker processes` ends it. `worker process N exited on signal S`
//!   ([alert]) is a crash, until `start worker process M`.
//! - Apache: `caught SIGTERM, shutting down` / `caught SIGWINCH, shutting down gracefully`
//!   starts a stop; `resuming normal operations` ends it. `child pid N exit signal ...` is a
//!   crash.
//! - A reload (`SIGHUP`, Apache's graceful restart) or a log rotation (nginx `reopening logs`)
//!   is not a restart: the server keeps answering. They are counted apart.
//! - The upstream restarted when connections to it were refused: a run of at least 3 refused
//!   connects (gaps under 15 s), with the in-flight requests it closed just before and the "no
//!   live upstreams" answers that follow.
//!
//! Stop and start lines are `[notice]`: an nginx `error_log` at Debian's default level `error`
//! hides them (then only the access log's silence tells, see `incidents/`).

use std::collections::BTreeMap;

use crate::explain::{EventInfo, cause_id};

const MICROS: i64 = 1_000_000;
/// Largest gap between refused connects of one upstream outage.
const RUN_GAP: i64 = 15 * MICROS;
/// A crash whose respawn is not logged lasts this long.
const CRASH_S: i64 = MICROS;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RestartKind {
    /// The web server itself (nothing listened, or a worker died).
    Server,
    /// The application behind it refused connections.
    Upstream,
}

impl RestartKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RestartKind::Server => "server",
            RestartKind::Upstream => "upstream",
        }
    }
}

/// One restart, in local time as the error log prints it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Restart {
    pub kind: RestartKind,
    /// `restart` (stopped and started), `crash` (a worker or child died), `outage` (the
    /// upstream), or `silence` (the access log went silent while requests were coming, and no
    /// line says why: inferred).
    pub how: &'static str,
    pub start: i64,
    pub end: i64,
    /// The backend of an upstream outage, when the lines name it (`127.0.0.1:8080`).
    pub upstream: Option<Box<str>>,
    /// The events that tell it (indexes into the explainer's events).
    pub events: Vec<usize>,
}

/// A reload or log rotation: the server went on answering.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reload {
    pub at: i64,
    /// `reload` or `reopen_logs`.
    pub what: &'static str,
}

fn has(m: &str, s: &str) -> bool {
    m.contains(s)
}

/// Restarts, crashes and upstream outages, and the reloads, in time order.
pub fn find(events: &[EventInfo]) -> (Vec<Restart>, Vec<Reload>) {
    let mut order: Vec<usize> = (0..events.len()).collect();
    order.sort_by_key(|&i| events[i].local);
    let mut restarts = Vec::new();
    let mut reloads = Vec::new();
    let mut down: Option<(i64, Vec<usize>)> = None;
    let mut crash: Option<usize> = None;
    let mut reload_at: Option<i64> = None;
    for &i in &order {
        let e = &events[i];
        let m: &str = &e.message;
        let t = e.local;
        let stop = (has(m, "signal 15 (SIGTERM) received")
            || has(m, "signal 3 (SIGQUIT) received")
            || has(m, "signal 2 (SIGINT) received")
            || has(m, "caught SIGTERM, shutting down")
            || has(m, "caught SIGWINCH, shutting down gracefully"))
            && !has(m, "reconfiguring");
        if stop {
            if down.is_none() {
                down = Some((t, vec![i]));
            }
            continue;
        }
        if has(m, "exited on signal") || has(m, "exit signal") {
            if let Some(c) = crash.take() {
                restarts.push(crash_restart(events, c, events[c].local + CRASH_S));
            }
            crash = Some(i);
            continue;
        }
        if has(m, "start worker process ") {
            if let Some(c) = crash.take() {
                restarts.push(crash_restart(events, c, t.max(events[c].local + CRASH_S)));
            }
            continue;
        }
        if has(m, "start worker processes") || has(m, "resuming normal operations") {
            if let Some((start, mut tell)) = down.take() {
                tell.push(i);
                restarts.push(Restart {
                    kind: RestartKind::Server,
                    how: "restart",
                    start,
                    end: t,
                    upstream: None,
                    events: tell,
                });
            } else if reload_at.is_some_and(|r| t - r <= 10 * MICROS) {
                // The end of a graceful restart (a reload), counted when it began.
            }
            continue;
        }
        if has(m, "signal 1 (SIGHUP) received")
            || has(m, "Doing graceful restart")
            || has(m, "Graceful restart requested")
            || has(m, "SIGHUP received.  Attempting to restart")
        {
            reload_at = Some(t);
            reloads.push(Reload {
                at: t,
                what: "reload",
            });
            continue;
        }
        if has(m, "(SIGUSR1) received") && has(m, "reopening logs") {
            reloads.push(Reload {
                at: t,
                what: "reopen_logs",
            });
        }
    }
    if let Some(c) = crash.take() {
        restarts.push(crash_restart(events, c, events[c].local + CRASH_S));
    }
    restarts.extend(upstream_outages(events, &order));
    restarts.sort_by_key(|r| r.start);
    (restarts, reloads)
}

fn crash_restart(events: &[EventInfo], i: usize, end: i64) -> Restart {
    Restart {
        kind: RestartKind::Server,
        how: "crash",
        start: events[i].local,
        end,
        upstream: None,
        events: vec![i],
    }
}

/// Runs of refused connects to one backend, with the closed connections just before and the
/// no-live answers after.
fn upstream_outages(events: &[EventInfo], order: &[usize]) -> Vec<Restart> {
    let (refused, closed, nolive) = (
        cause_id("upstream_refused"),
        cause_id("upstream_closed"),
        cause_id("no_live_upstreams"),
    );
    let mut runs: Vec<Vec<usize>> = Vec::new();
    // The open run of each backend (lines that name none are a backend of their own).
    let mut open: BTreeMap<Option<&str>, usize> = BTreeMap::new();
    for &i in order {
        if events[i].cause != refused {
            continue;
        }
        let key = events[i].upstream.as_deref();
        match open.get(&key).map(|&r| (r, &mut runs[r])) {
            Some((_, run))
                if events[i].local - events[*run.last().expect("a run")].local <= RUN_GAP =>
            {
                run.push(i)
            }
            _ => {
                open.insert(key, runs.len());
                runs.push(vec![i]);
            }
        }
    }
    let mut out = Vec::new();
    // Three refused requests at least (Apache writes two lines for each).
    let requests = |run: &Vec<usize>| {
        let mut firsts: Vec<u32> = run.iter().map(|&i| events[i].first).collect();
        firsts.dedup();
        firsts.len()
    };
    for run in runs.into_iter().filter(|r| requests(r) >= 3) {
        let mut start = events[run[0]].local;
        let mut end = events[*run.last().expect("a run")].local;
        let upstream = events[run[0]].upstream.clone();
        let mut tell = run.clone();
        // In flight when it went down: closed in the seconds before the first refusal.
        for &i in order {
            let e = &events[i];
            let same = e.upstream.is_none() || upstream.is_none() || e.upstream == upstream;
            if e.cause == closed && same && e.local < start && start - e.local <= 2 * MICROS {
                start = start.min(e.local);
                tell.push(i);
            }
        }
        // No live upstreams answered while it was marked down.
        for &i in order {
            let e = &events[i];
            if e.cause == nolive && e.local > end && e.local - end <= RUN_GAP {
                end = e.local;
                tell.push(i);
            }
        }
        tell.sort_unstable();
        out.push(Restart {
            kind: RestartKind::Upstream,
            how: "outage",
            start,
            end: end + MICROS,
            upstream,
            events: tell,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(sec: i64, cause: &str, message: &str) -> EventInfo {
        EventInfo {
            local: sec * MICROS,
            cause: cause_id(cause),
            level: "notice".into(),
            file_id: 0,
            line: 0,
            message: message.into(),
            pid: None,
            upstream: None,
            explained: false,
            first: 0,
        }
    }

    #[test]
    fn stops_crashes_reloads_and_upstream_outages() {
        let events = vec![
            ev(
                10,
                "restart",
                "signal 15 (SIGTERM) received from 1, exiting",
            ),
            ev(10, "restart", "exiting"),
            ev(25, "restart", "start worker processes"),
            ev(
                40,
                "restart",
                "signal 1 (SIGHUP) received from 1, reconfiguring",
            ),
            ev(41, "restart", "start worker processes"),
            ev(60, "crash", "worker process 11926 exited on signal 11"),
            ev(60, "restart", "start worker process 11999"),
            ev(
                70,
                "restart",
                "signal 10 (SIGUSR1) received from 27063, reopening logs",
            ),
            ev(
                99,
                "upstream_closed",
                "upstream prematurely closed connection",
            ),
            ev(
                100,
                "upstream_refused",
                "connect() failed (111: Connection refused)",
            ),
            ev(
                105,
                "upstream_refused",
                "connect() failed (111: Connection refused)",
            ),
            ev(
                118,
                "upstream_refused",
                "connect() failed (111: Connection refused)",
            ),
            ev(125, "no_live_upstreams", "no live upstreams"),
            // A lone refusal later is no outage.
            ev(
                400,
                "upstream_refused",
                "connect() failed (111: Connection refused)",
            ),
            ev(
                500,
                "restart",
                "AH00492: caught SIGWINCH, shutting down gracefully",
            ),
            ev(
                513,
                "restart",
                "AH00489: Apache/2.4.57 (Debian) configured -- resuming normal operations",
            ),
            ev(
                600,
                "restart",
                "AH00493: SIGUSR1 received.  Doing graceful restart",
            ),
            ev(
                601,
                "restart",
                "AH00489: Apache/2.4.57 (Debian) configured -- resuming normal operations",
            ),
            ev(
                700,
                "crash",
                "AH00052: child pid 29425 exit signal Segmentation fault (11)",
            ),
        ];
        // Each line its own request.
        let events: Vec<EventInfo> = (0..)
            .zip(events)
            .map(|(i, e)| EventInfo { first: i, ..e })
            .collect();
        let (restarts, reloads) = find(&events);
        let got: Vec<_> = restarts
            .iter()
            .map(|r| (r.kind, r.how, r.start / MICROS, r.end / MICROS))
            .collect();
        use RestartKind::*;
        assert_eq!(
            got,
            [
                (Server, "restart", 10, 25),
                (Server, "crash", 60, 61),
                (Upstream, "outage", 99, 126),
                (Server, "restart", 500, 513),
                (Server, "crash", 700, 701)
            ]
        );
        let r: Vec<_> = reloads.iter().map(|r| (r.at / MICROS, r.what)).collect();
        assert_eq!(r, [(40, "reload"), (70, "reopen_logs"), (600, "reload")]);
    }
}
