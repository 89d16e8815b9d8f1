//! The followed logs went silent: nothing written for `after` (wall clock) while the recent
//! hour's traffic says at least `min_expected` requests should have come in that time.

use clickpath_analytics::incidents::{Kind, MINUTE};

use super::{Active, Input};
use crate::config::Rule;

pub fn eval(input: &Input<'_>, rule: &Rule) -> Vec<Active> {
    let Some(silent) = input.silent_for.filter(|s| *s >= rule.after) else {
        return Vec::new();
    };
    let s = &input.view.series;
    let recent = &s.minutes[s.minutes.len().saturating_sub(60)..];
    if recent.is_empty() {
        return Vec::new();
    }
    let per_minute = recent.iter().map(|m| m.requests).sum::<u64>() as f64 / recent.len() as f64;
    let expected = per_minute * rule.after as f64 / MINUTE as f64;
    if expected < rule.min_expected {
        return Vec::new();
    }
    let mut a = Active::new(Kind::ServerRestart, input.minute(), input.minute() + MINUTE);
    a.value = Some(0.0);
    a.baseline = Some(expected);
    a.summary = Some(format!(
        "No new line in the followed logs for {} min, after {per_minute:.0} requests a minute in the hour before.",
        silent / MINUTE
    ));
    vec![a]
}
