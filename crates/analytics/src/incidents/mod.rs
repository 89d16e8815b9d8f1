//! Incidents: errors grouped into stories (docs/errors.md, "Incidents"). Each detector reads
//! the per-minute series of the whole log (and the error log's restarts) and returns windows;
//! overlapping windows are one incident, of the kind that tells most. One detector per file, a
//! row each in [`DETECTORS`].
//!
//! Windows are whole minutes: from the start of the minute where the anomaly begins to the end
//! of the minute where it ends.

pub mod cusum;
mod error_burst;
mod not_found_storm;
mod rate_limit_storm;
pub mod series;
mod server_restart;
mod traffic_drop;
mod upstream_outage;

pub use series::{Class, MINUTE, Minute, Series, TimelineCounts, timeline};
pub use traffic_drop::ln_poisson_cdf;

use crate::restarts::Restart;

/// What kind of story an incident tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// The web server stopped (or a worker crashed), and requests were lost or refused.
    ServerRestart,
    /// The application behind the server refused connections.
    UpstreamOutage,
    /// A share of requests far above the usual got 429.
    RateLimitStorm,
    /// Human requests for missing pages linked from the site itself.
    NotFoundStorm,
    /// Human 5xx far above their usual share.
    ErrorBurst,
    /// Fewer new visitors than the time around it had.
    TrafficDrop,
}

impl Kind {
    /// The responses the incident is about (none for a traffic drop: its human requests).
    pub fn class(self) -> Option<Class> {
        match self {
            Kind::ServerRestart | Kind::UpstreamOutage | Kind::ErrorBurst => {
                Some(Class::ServerError)
            }
            Kind::NotFoundStorm => Some(Class::NotFound),
            Kind::RateLimitStorm => Some(Class::RateLimited),
            Kind::TrafficDrop => None,
        }
    }

    /// The kind of that name ([`Kind::as_str`]), as reports and alert states write it.
    pub fn named(name: &str) -> Option<Kind> {
        DETECTORS
            .iter()
            .map(|(k, _)| *k)
            .find(|k| k.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::ServerRestart => "server_restart",
            Kind::UpstreamOutage => "upstream_outage",
            Kind::RateLimitStorm => "rate_limit_storm",
            Kind::NotFoundStorm => "not_found_storm",
            Kind::ErrorBurst => "error_burst",
            Kind::TrafficDrop => "traffic_drop",
        }
    }
}

/// What the detectors read.
pub struct Evidence<'a> {
    pub series: &'a Series,
    /// Restarts in UTC micros (silences of the access log that no restart line tells of
    /// included, as `silence`).
    pub restarts: &'a [Restart],
}

/// A window one detector found: UTC micros, whole minutes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Window {
    pub kind: Kind,
    pub start: i64,
    pub end: i64,
}

type Detector = fn(&Evidence<'_>) -> Vec<(i64, i64)>;

/// The detectors, in the order their kind wins when windows overlap.
pub const DETECTORS: &[(Kind, Detector)] = &[
    (Kind::ServerRestart, server_restart::detect),
    (Kind::UpstreamOutage, upstream_outage::detect),
    (Kind::RateLimitStorm, rate_limit_storm::detect),
    (Kind::NotFoundStorm, not_found_storm::detect),
    (Kind::ErrorBurst, error_burst::detect),
    (Kind::TrafficDrop, traffic_drop::detect),
];

/// `[start, end)` widened to whole minutes.
pub fn whole_minutes(start: i64, end: i64) -> (i64, i64) {
    let s = start.div_euclid(MINUTE) * MINUTE;
    let e = (end.max(start + 1) + MINUTE - 1).div_euclid(MINUTE) * MINUTE;
    (s, e)
}

/// Every detector's windows, each on its own (alerts fire per detector, then group), but those
/// of `skip`.
pub fn detect_each(ev: &Evidence<'_>, skip: &[Kind]) -> Vec<Window> {
    let mut all = Vec::new();
    for (kind, detector) in DETECTORS.iter().filter(|(k, _)| !skip.contains(k)) {
        for (start, end) in detector(ev) {
            let (start, end) = whole_minutes(start, end);
            all.push(Window {
                kind: *kind,
                start,
                end,
            });
        }
    }
    all
}

/// The recent minutes as the detectors saw them while the log is written
/// (`TrafficAggregator::live`).
#[derive(Clone, Debug, Default)]
pub struct LiveView {
    pub series: Series,
    /// Restarts ending in or after the first minute of `series`, UTC micros.
    pub restarts: Vec<Restart>,
    /// Each detector's windows over `series`, not merged.
    pub windows: Vec<Window>,
}

/// Every detector's windows, overlapping ones merged (the earlier detector's kind wins).
pub fn detect(ev: &Evidence<'_>) -> Vec<Window> {
    let mut all = detect_each(ev, &[]);
    all.sort_by_key(|w| (w.start, w.kind));
    let mut merged: Vec<Window> = Vec::new();
    for w in all {
        match merged.last_mut() {
            Some(m) if w.start < m.end => {
                m.end = m.end.max(w.end);
                m.kind = m.kind.min(w.kind);
            }
            _ => merged.push(w),
        }
    }
    merged
}

/// Minutes where `count` runs far above `ratio` x its usual share of `base`, the usual share
/// learned from the log without those minutes (twice). `(start, end)` in UTC micros.
pub fn excess(
    series: &Series,
    count: impl Fn(&Minute) -> u64,
    base: impl Fn(&Minute) -> u64,
    ratio: f64,
    min_count: f64,
) -> Vec<(i64, i64)> {
    const H: f64 = 12.0;
    let counts = series.values(&count);
    let bases = series.values(&base);
    let mut hot = vec![false; counts.len()];
    let mut found = Vec::new();
    for _ in 0..2 {
        let (c, b) = counts
            .iter()
            .zip(&bases)
            .zip(&hot)
            .filter(|(_, h)| !**h)
            .fold((0.0, 0.0), |(c, b), ((x, y), _)| (c + x, b + y));
        // A floor, so that one 5xx in a log with none is not infinitely surprising.
        let p0 = (c.max(0.5)) / b.max(1.0);
        let expected: Vec<f64> = bases.iter().map(|b| b * p0).collect();
        found = cusum::segments(&counts, &expected, ratio, H, min_count);
        hot.iter_mut().for_each(|h| *h = false);
        for &(a, z) in &found {
            hot[a..=z].iter_mut().for_each(|h| *h = true);
        }
    }
    found
        .into_iter()
        .map(|(a, z)| (series.start_of(a), series.start_of(z + 1)))
        .collect()
}
