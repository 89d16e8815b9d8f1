//! The alert engine: evaluates the rules at log times (`evaluate`), turns alerts into
//! notifications on the wall clock (`dispatch`, into each receiver's journal), and saves its
//! state (alerts, groups, the previous days' arrivals, the last minute evaluated) after each
//! dispatch, so that a restarted watcher goes on where it stopped.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clickpath_analytics::TrafficAggregator;
use clickpath_analytics::incidents::{Kind, MINUTE, Window};
use serde::{Deserialize, Serialize};

use crate::config::Settings;
use crate::dispatch::Dispatcher;
use crate::error::{Error, Result, io};
use crate::files::write_atomic;
use crate::history::{History, minute_of};
use crate::journal::Journal;
use crate::notify::Receiver;
use crate::notify::deliver::{self, Queue};
use crate::payload::{Notification, rfc3339};
use crate::rules::{self, Input};
use crate::state::{Alert, Alerts, Change, Status};

/// The minutes the rules see (the report's detectors learn the usual from them).
pub const WINDOW: i64 = 6 * 60 * MINUTE;
const STATE_VERSION: u32 = 1;

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Saved {
    version: u32,
    alerts: Alerts,
    dispatcher: Dispatcher,
    history: History,
    /// The last whole minute evaluated (minute number, UTC).
    evaluated_until: Option<i64>,
    /// The delivery clock when saved (micros).
    clock: i64,
}

/// The delivery clock (`group_wait`, `group_interval`, `repeat_interval`): the wall clock, run
/// ahead by the log's own clock while the watcher reads faster than real time (catching up after
/// a stop, a backfill), so that incidents hours apart in the log are not one group because they
/// were read within a second. Monotone; continued across restarts.
struct Clock {
    base: i64,
    wall0: std::time::Instant,
    log0: Option<i64>,
}

impl Clock {
    fn now(&mut self, log: Option<i64>) -> i64 {
        let wall = self.wall0.elapsed().as_micros() as i64;
        let log = match (self.log0, log) {
            (Some(l0), Some(l)) => (l - l0).max(0),
            (None, Some(l)) => {
                self.log0 = Some(l);
                0
            }
            _ => 0,
        };
        self.base + wall.max(log)
    }
}

pub struct Engine {
    dir: PathBuf,
    settings: Settings,
    host: String,
    saved: Saved,
    queues: Vec<(String, Arc<Queue>)>,
    clock: Clock,
    saved_at: std::time::Instant,
    /// File names by source id, asked for when an alert's first lines are named (rarely:
    /// when it fires or resolves).
    pub source_names: Box<dyn Fn() -> Vec<String> + Send>,
    /// Alerts that fired and resolved since the start (for `/metrics`).
    pub fired: u64,
    pub resolved: u64,
    /// Human requests, bot requests and conversions of the whole minutes evaluated.
    pub totals: (u64, u64, u64),
    funnel: Option<String>,
}

fn kind_named(name: &str) -> Kind {
    Kind::named(name).unwrap_or(Kind::TrafficDrop)
}

fn state_path(dir: &Path) -> PathBuf {
    dir.join("state.json")
}

/// Alerts by (alertname, state) in the saved state of `dir`, read only (the dashboard's
/// `/metrics`); empty when there is none.
pub fn saved_alert_states(dir: &Path) -> BTreeMap<(String, String), u64> {
    let mut out = BTreeMap::new();
    let Some(saved) = std::fs::read(state_path(dir))
        .ok()
        .and_then(|b| serde_json::from_slice::<Saved>(&b).ok())
    else {
        return out;
    };
    for a in saved.alerts.by_fingerprint.values() {
        *out.entry((a.rule.clone(), a.status.as_str().to_owned()))
            .or_default() += 1;
    }
    out
}

impl Engine {
    /// Opens (or starts) the alert state in `dir`; `host` is the `host` label.
    pub fn open(dir: &Path, settings: Settings, host: &str) -> Result<Engine> {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let p = state_path(dir);
        let saved = match std::fs::read(&p) {
            Ok(b) => {
                let s: Saved = serde_json::from_slice(&b).map_err(|e| Error::Damaged {
                    path: p.clone(),
                    message: e.to_string(),
                })?;
                if s.version != STATE_VERSION {
                    return Err(Error::Damaged {
                        path: p,
                        message: format!(
                            "state version {} (this clickpath writes {STATE_VERSION})",
                            s.version
                        ),
                    });
                }
                s
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Saved {
                version: STATE_VERSION,
                ..Saved::default()
            },
            Err(e) => return Err(io(&p)(e)),
        };
        Ok(Engine {
            saved_at: std::time::Instant::now(),
            clock: Clock {
                base: saved.clock,
                wall0: std::time::Instant::now(),
                log0: None,
            },
            dir: dir.to_owned(),
            host: settings.host.clone().unwrap_or_else(|| host.to_owned()),
            settings,
            saved,
            queues: Vec::new(),
            source_names: Box::new(Vec::new),
            fired: 0,
            resolved: 0,
            totals: (0, 0, 0),
            funnel: None,
        })
    }

    /// The `host` label.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The first funnel's name (conversions in the metrics).
    pub fn funnel(&self) -> Option<&str> {
        self.funnel.as_deref()
    }

    pub fn set_funnel(&mut self, name: Option<String>) {
        self.funnel = name;
    }

    /// Starts one delivery thread per receiver over its journal.
    pub fn start_delivery(&mut self, receivers: Vec<Receiver>) -> Result<()> {
        for r in receivers {
            let q = Queue::new(Journal::open(&self.dir, &r.name)?);
            self.queues.push((r.name.clone(), q.clone()));
            deliver::spawn(r, q);
        }
        Ok(())
    }

    /// Receivers with their queues: (name, sent, failed, waiting).
    pub fn deliveries(&self) -> Vec<(String, u64, u64, usize)> {
        use std::sync::atomic::Ordering::Relaxed;
        self.queues
            .iter()
            .map(|(n, q)| {
                let waiting = q.journal.lock().map(|j| j.pending()).unwrap_or(0);
                (
                    n.clone(),
                    q.sent.load(Relaxed),
                    q.failed.load(Relaxed),
                    waiting,
                )
            })
            .collect()
    }

    pub fn evaluated_until(&self) -> Option<i64> {
        self.saved.evaluated_until
    }

    pub fn alerts(&self) -> &Alerts {
        &self.saved.alerts
    }

    /// Evaluates every rule at log time `now` (UTC micros) over what `agg` has seen. `complete`:
    /// `now` is the end of a whole minute, which is then recorded as evaluated. `silent_for`:
    /// wall-clock micros since the logs last grew (while following).
    pub fn evaluate(
        &mut self,
        agg: &TrafficAggregator,
        now: i64,
        complete: bool,
        silent_for: Option<i64>,
    ) -> Vec<Change> {
        let view = agg.live(now - WINDOW);
        let minute = minute_of(now);
        if complete {
            // The minute before the evaluated one (lines come a few seconds late).
            self.saved.history.record(&view.series, minute);
            let i = view.series.index(now);
            if let Some(m) = usize::try_from(i)
                .ok()
                .and_then(|i| view.series.minutes.get(i))
            {
                self.totals.0 += m.human_requests;
                self.totals.1 += m.requests - m.human_requests;
                self.totals.2 += m.conversions;
            }
        }
        let input = Input {
            view: &view,
            history: &self.saved.history,
            now,
            silent_for,
        };
        let mut held = Vec::new();
        for rule in &self.settings.rules {
            let Some(r) = rules::registered(rule.name) else {
                continue;
            };
            for a in (r.eval)(&input, rule) {
                let mut labels = self.settings.base_labels(rule, &self.host);
                labels.extend(a.labels.clone());
                held.push((rule, labels, a));
            }
        }
        let changes = self
            .saved
            .alerts
            .step(now, held, complete, &self.settings.rules);
        for c in &changes {
            match c {
                Change::Firing(_) => self.fired += 1,
                Change::Resolved(_) => self.resolved += 1,
            }
        }
        // What a person needs: when an alert fires and when it resolves (the figures of
        // the window then; between the two they would cost a pass over the sessions a minute).
        let stale: Vec<String> = self
            .saved
            .alerts
            .by_fingerprint
            .values()
            .filter(|a| {
                a.status != Status::Pending
                    && (a.annotations.is_empty()
                        || changes.iter().any(|c| matches!(c, Change::Resolved(f) | Change::Firing(f) if *f == a.fingerprint)))
            })
            .map(|a| a.fingerprint.clone())
            .collect();
        for fp in stale {
            let ann = {
                let a = &self.saved.alerts.by_fingerprint[&fp];
                self.annotations(a, agg)
            };
            if let Some(a) = self.saved.alerts.by_fingerprint.get_mut(&fp) {
                a.annotations = ann;
            }
        }
        if !changes.is_empty() {
            self.write_history(&changes, now);
        }
        if complete {
            self.saved.evaluated_until = Some(minute);
        }
        changes
    }

    /// Appends each change to `history.jsonl` (the alert history; `alerts backfill` prints it).
    fn write_history(&self, changes: &[Change], now: i64) {
        use std::io::Write;
        let p = self.dir.join("history.jsonl");
        let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&p)
        else {
            eprintln!("clickpath: cannot write {}", p.display());
            return;
        };
        for c in changes {
            let (fp, status) = match c {
                Change::Firing(fp) => (fp, "firing"),
                Change::Resolved(fp) => (fp, "resolved"),
            };
            let Some(a) = self.saved.alerts.by_fingerprint.get(fp) else {
                continue;
            };
            let line = serde_json::json!({
                "at": rfc3339(now),
                "status": status,
                "alertname": a.rule,
                "labels": a.labels,
                "fingerprint": a.fingerprint,
                "startsAt": rfc3339(a.starts_at),
                "endsAt": (status == "resolved").then(|| rfc3339(a.window_end)),
                "value": a.value,
                "baseline": a.baseline,
                "summary": a.summary.clone().or_else(|| a.annotations.get("summary").cloned()),
            });
            let _ = writeln!(f, "{line}");
        }
    }

    fn annotations(&self, a: &Alert, agg: &TrafficAggregator) -> BTreeMap<String, String> {
        let w = Window {
            kind: kind_named(&a.kind),
            start: a.starts_at,
            end: a.window_end.max(a.starts_at + MINUTE),
        };
        let row = agg.live_incident(&w);
        let mut m = BTreeMap::new();
        m.insert(
            "summary".to_owned(),
            a.summary.clone().unwrap_or_else(|| row.story.clone()),
        );
        if a.summary.is_some() {
            m.insert("description".to_owned(), row.story.clone());
        }
        m.insert("since".to_owned(), rfc3339(a.starts_at));
        if let Some(v) = a.value {
            m.insert("value".to_owned(), format!("{v:.1}"));
        }
        if let Some(b) = a.baseline {
            m.insert("baseline".to_owned(), format!("{b:.1}"));
        }
        let mut causes: Vec<(&String, &u64)> = row.causes.iter().collect();
        causes.sort_by(|x, y| y.1.cmp(x.1).then(x.0.cmp(y.0)));
        if !causes.is_empty() {
            let c: Vec<String> = causes.iter().map(|(k, n)| format!("{k} {n}")).collect();
            m.insert("causes".to_owned(), c.join(", "));
        }
        m.insert("error_responses".to_owned(), row.requests.to_string());
        m.insert(
            "sessions_started".to_owned(),
            row.sessions_started.to_string(),
        );
        m.insert(
            "affected_visitors".to_owned(),
            row.human_visitors.to_string(),
        );
        m.insert(
            "before".to_owned(),
            format!(
                "{} requests, {} human 5xx, {} sessions started in the same time just before",
                row.before.requests, row.before.human_5xx, row.before.sessions_started
            ),
        );
        if let Some(c) = row.conversions {
            m.insert("conversions".to_owned(), c.to_string());
        }
        if let Some(l) = row.conversions_lost {
            m.insert("conversions_lost".to_owned(), format!("{l}"));
        }
        if let Some(l) = row.money_lost {
            m.insert("money_lost".to_owned(), format!("{l}"));
        }
        if !row.top_urls.is_empty() {
            let t: Vec<String> = row
                .top_urls
                .iter()
                .take(3)
                .map(|r| format!("{} ({})", r.value, r.count))
                .collect();
            m.insert("top_urls".to_owned(), t.join("; "));
        }
        let errors: Vec<String> = row
            .first_lines
            .error
            .iter()
            .filter_map(|l| l.text.clone())
            .take(3)
            .collect();
        if !errors.is_empty() {
            m.insert("first_error_lines".to_owned(), errors.join("\n"));
        }
        let names = if row.first_lines.access.is_empty() {
            Vec::new()
        } else {
            (self.source_names)()
        };
        let access: Vec<String> = row
            .first_lines
            .access
            .iter()
            .take(3)
            .map(|l| {
                let name = names.get(l.file_id as usize).map_or("?", String::as_str);
                format!("{name}:{}", l.line)
            })
            .collect();
        if !access.is_empty() {
            m.insert("first_access_lines".to_owned(), access.join(" "));
        }
        if let Some(url) = &self.settings.dashboard_url {
            let class = match w.kind.class() {
                Some(clickpath_analytics::incidents::Class::ServerError) => "&class=5xx",
                Some(clickpath_analytics::incidents::Class::NotFound) => "&class=404",
                Some(clickpath_analytics::incidents::Class::RateLimited) => "&class=429",
                Some(clickpath_analytics::incidents::Class::Forbidden) => "&class=403",
                None => "",
            };
            m.insert(
                "dashboard".to_owned(),
                format!(
                    "{}/api/requests?start={}&end={}{class}",
                    url.trim_end_matches('/'),
                    rfc3339(w.start),
                    rfc3339(w.end)
                ),
            );
        }
        m
    }

    /// The notifications due now (`log`: the log's latest time), appended to every receiver's
    /// journal (synced) and handed to the delivery threads; then the state is saved.
    pub fn dispatch(&mut self, log: Option<i64>) -> Result<Vec<Notification>> {
        let clock = self.clock.now(log);
        self.saved.clock = clock;
        // Silences are planned on the wall clock.
        let silences = crate::silence::load(&self.dir)?;
        let wall = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_micros() as i64);
        let silences: Vec<_> = silences.into_iter().filter(|s| s.mutes_at(wall)).collect();
        let out =
            self.saved
                .dispatcher
                .flush(&mut self.saved.alerts, &self.settings, &silences, clock);
        for n in &out {
            for (_, q) in &self.queues {
                let mut j = q.journal.lock().unwrap_or_else(|e| e.into_inner());
                j.append(n)?;
                q.wake.notify_all();
            }
        }
        // After the journals: a kill before this save evaluates the same minutes again after
        // the restart and makes the same notifications, which the journals already hold.
        if !out.is_empty() || self.saved_at.elapsed() >= std::time::Duration::from_secs(2) {
            self.save()?;
            self.saved_at = std::time::Instant::now();
        }
        Ok(out)
    }

    pub fn save(&self) -> Result<()> {
        write_atomic(
            &state_path(&self.dir),
            &serde_json::to_vec(&self.saved).expect("json"),
        )
    }
}
