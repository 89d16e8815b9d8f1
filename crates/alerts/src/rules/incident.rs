//! The report's incident detectors as rules: a detector's window that reaches the current
//! minute or the one before holds now (a CUSUM window ends where its score peaked, so a window
//! that stopped growing a minute ago is over).

use clickpath_analytics::incidents::{Kind, MINUTE};

use super::{Active, Input};
use crate::config::Rule;

fn holding(input: &Input<'_>, kind: Kind) -> Vec<Active> {
    let minute = input.minute();
    input
        .view
        .windows
        .iter()
        .filter(|w| w.kind == kind && w.end >= minute && w.start <= input.now)
        .map(|w| Active::new(kind, w.start, w.end))
        .collect()
}

pub fn server_restart(input: &Input<'_>, _: &Rule) -> Vec<Active> {
    holding(input, Kind::ServerRestart)
}

pub fn upstream_outage(input: &Input<'_>, _: &Rule) -> Vec<Active> {
    let mut out = holding(input, Kind::UpstreamOutage);
    for a in &mut out {
        // The backend that refused, from the error log (one alert per window).
        let (s, e) = (a.window.start, a.window.end + MINUTE);
        if let Some(up) = input
            .view
            .restarts
            .iter()
            .filter(|r| r.start < e && r.end >= s)
            .find_map(|r| r.upstream.clone())
        {
            a.labels.insert("upstream".into(), up.to_string());
        }
    }
    out
}

pub fn rate_limit_storm(input: &Input<'_>, _: &Rule) -> Vec<Active> {
    holding(input, Kind::RateLimitStorm)
}

pub fn not_found_storm(input: &Input<'_>, _: &Rule) -> Vec<Active> {
    holding(input, Kind::NotFoundStorm)
}

pub fn error_burst(input: &Input<'_>, _: &Rule) -> Vec<Active> {
    holding(input, Kind::ErrorBurst)
}
