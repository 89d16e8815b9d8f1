//! The watcher's Prometheus metrics (text exposition by `prometheus-client`), built from a
//! snapshot at each scrape.

use std::collections::BTreeMap;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

/// What the watcher knows at a scrape.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    pub host: String,
    /// Requests read, by status class (`2xx`... `none`).
    pub requests_by_class: BTreeMap<String, u64>,
    /// Requests of the whole minutes evaluated: human and bot.
    pub human_requests: u64,
    pub bot_requests: u64,
    /// Conversions of the first funnel in the minutes evaluated, by funnel.
    pub conversions: BTreeMap<String, u64>,
    pub active_sessions: u64,
    pub lines_read: u64,
    pub lines_rejected: u64,
    pub events_read: u64,
    /// Seconds between now and the latest log time read.
    pub lag_seconds: f64,
    /// Alerts by (alertname, state).
    pub alerts: BTreeMap<(String, String), u64>,
    pub fired: u64,
    pub resolved: u64,
    /// Receivers: (name, sent, failed, waiting).
    pub receivers: Vec<(String, u64, u64, usize)>,
}

type L = Vec<(String, String)>;

fn counter(reg: &mut Registry, name: &str, help: &str, rows: &[(L, u64)]) {
    let f = Family::<L, Counter>::default();
    for (labels, v) in rows {
        f.get_or_create(labels).inc_by(*v);
    }
    reg.register(name, help, f);
}

fn gauge(reg: &mut Registry, name: &str, help: &str, rows: &[(L, i64)]) {
    let f = Family::<L, Gauge>::default();
    for (labels, v) in rows {
        f.get_or_create(labels).set(*v);
    }
    reg.register(name, help, f);
}

fn l(pairs: &[(&str, &str)]) -> L {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

pub fn text(s: &Snapshot) -> String {
    let mut reg = Registry::with_prefix("clickpath");
    let h = s.host.as_str();
    counter(
        &mut reg,
        "requests",
        "Requests read, by status class",
        &s.requests_by_class
            .iter()
            .map(|(c, n)| (l(&[("host", h), ("class", c)]), *n))
            .collect::<Vec<_>>(),
    );
    counter(
        &mut reg,
        "audience_requests",
        "Requests of the whole minutes evaluated, human or bot",
        &[
            (l(&[("host", h), ("audience", "human")]), s.human_requests),
            (l(&[("host", h), ("audience", "bot")]), s.bot_requests),
        ],
    );
    counter(
        &mut reg,
        "conversions",
        "Conversions (the funnel's last step, not an error) in the minutes evaluated",
        &s.conversions
            .iter()
            .map(|(f, n)| (l(&[("host", h), ("funnel", f)]), *n))
            .collect::<Vec<_>>(),
    );
    gauge(
        &mut reg,
        "active_sessions",
        "Human sessions open (a request within the session timeout)",
        &[(l(&[("host", h)]), s.active_sessions as i64)],
    );
    counter(
        &mut reg,
        "lines_read",
        "Log lines read",
        &[(l(&[]), s.lines_read)],
    );
    counter(
        &mut reg,
        "lines_rejected",
        "Log lines rejected (not in the format)",
        &[(l(&[]), s.lines_rejected)],
    );
    counter(
        &mut reg,
        "error_log_events",
        "Error-log events read",
        &[(l(&[]), s.events_read)],
    );
    let lag =
        prometheus_client::metrics::gauge::Gauge::<f64, std::sync::atomic::AtomicU64>::default();
    lag.set(s.lag_seconds);
    reg.register(
        "lag_seconds",
        "Seconds between now and the latest log time read",
        lag,
    );
    gauge(
        &mut reg,
        "alerts",
        "Alerts by name and state (pending, firing, resolved not yet told)",
        &s.alerts
            .iter()
            .map(|((a, st), n)| (l(&[("alertname", a), ("state", st)]), *n as i64))
            .collect::<Vec<_>>(),
    );
    counter(
        &mut reg,
        "alerts_fired",
        "Alerts that started firing",
        &[(l(&[]), s.fired)],
    );
    counter(
        &mut reg,
        "alerts_resolved",
        "Alerts that resolved",
        &[(l(&[]), s.resolved)],
    );
    counter(
        &mut reg,
        "notifications_sent",
        "Notifications delivered, by receiver",
        &s.receivers
            .iter()
            .map(|(r, sent, _, _)| (l(&[("receiver", r)]), *sent))
            .collect::<Vec<_>>(),
    );
    counter(
        &mut reg,
        "notifications_failed",
        "Delivery attempts that failed (retried), by receiver",
        &s.receivers
            .iter()
            .map(|(r, _, failed, _)| (l(&[("receiver", r)]), *failed))
            .collect::<Vec<_>>(),
    );
    gauge(
        &mut reg,
        "notifications_waiting",
        "Notifications in the journal not yet delivered, by receiver",
        &s.receivers
            .iter()
            .map(|(r, _, _, w)| (l(&[("receiver", r)]), *w as i64))
            .collect::<Vec<_>>(),
    );
    let mut out = String::new();
    encode(&mut out, &reg).expect("writing to a String");
    out
}
