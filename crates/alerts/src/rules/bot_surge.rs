//! Bot requests far above their usual count per minute (a CUSUM for a rise to `ratio` x the
//! mean minute of the recent hours), at least `min_expected` of them in the run: crawlers come
//! in bursts, so the bar is high (loggen's `bot-surge` scraper makes 1,200 a minute).

use clickpath_analytics::incidents::{Kind, cusum};

use super::{Active, Input};
use crate::config::Rule;

pub fn eval(input: &Input<'_>, rule: &Rule) -> Vec<Active> {
    let s = &input.view.series;
    let bots = s.values(|m| m.requests - m.human_requests);
    if bots.len() < 30 {
        return Vec::new(); // not enough minutes for a usual count
    }
    let usual = (bots.iter().sum::<f64>() / bots.len() as f64).max(1.0);
    let expected = vec![usual; bots.len()];
    let found = cusum::segments(&bots, &expected, rule.ratio, 12.0, rule.min_expected);
    let Some(&(x, z)) = found.last() else {
        return Vec::new();
    };
    let (start, end) = (s.start_of(x), s.start_of(z + 1));
    if end < input.minute() {
        return Vec::new();
    }
    let inside: f64 = bots[x..=z].iter().sum();
    let minutes = (z + 1 - x) as f64;
    let mut a = Active::new(Kind::RateLimitStorm, start, end);
    a.value = Some(inside / minutes);
    a.baseline = Some(usual);
    a.summary = Some(format!(
        "{:.0} bot requests a minute since {}, against {usual:.0} usually.",
        inside / minutes,
        crate::payload::clock(start)
    ));
    vec![a]
}
