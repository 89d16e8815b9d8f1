//! Fewer new human visitors in the last 30 minutes than at the same time on the previous days
//! (the median of up to 7), beyond chance. Untrained (silent) until a previous day's same
//! minutes were recorded: at most 24 h of log time. Quiet hours (fewer than `min_expected`
//! arrivals expected) are not judged.

use clickpath_analytics::incidents::{Kind, MINUTE, ln_poisson_cdf};

use super::{Active, Input};
use crate::config::Rule;
use crate::history::minute_of;

const WINDOW: i64 = 30;

pub fn eval(input: &Input<'_>, rule: &Rule) -> Vec<Active> {
    let to = minute_of(input.minute());
    let from = to - WINDOW;
    let s = &input.view.series;
    let (a, b) = (from - s.first, to - s.first);
    if a < 0 || b > s.minutes.len() as i64 {
        return Vec::new();
    }
    let seen: u64 = s.minutes[a as usize..b as usize]
        .iter()
        .map(|m| m.arrivals)
        .sum();
    let Some((expected, days)) = input.history.same_time_before(from, to) else {
        return Vec::new(); // not trained yet
    };
    if expected < rule.min_expected {
        return Vec::new();
    }
    let limit = rule.ratio * expected;
    // Below the ratio, and unlikely even at 1.5 x the ratio of what is usual (P < e^-6).
    if (seen as f64) < limit && ln_poisson_cdf(seen as f64, (limit * 1.5).min(expected)) < -6.0 {
        let mut a = Active::new(Kind::TrafficDrop, from * MINUTE, to * MINUTE);
        a.value = Some(seen as f64);
        a.baseline = Some(expected);
        a.summary = Some(format!(
            "{seen} new human sessions in the last {WINDOW} minutes, against {expected:.0} at the same time on the previous {days} day(s)."
        ));
        return vec![a];
    }
    Vec::new()
}
