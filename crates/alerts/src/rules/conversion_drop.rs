//! Conversions of the first funnel far below what the sessions arriving would give at the usual
//! rate (a CUSUM for a fall to `ratio` of it, the usual rate learned from the recent hours
//! without the low minutes, twice).

use clickpath_analytics::incidents::{Kind, cusum};

use super::{Active, Input};
use crate::config::Rule;

pub fn eval(input: &Input<'_>, rule: &Rule) -> Vec<Active> {
    let s = &input.view.series;
    let conversions = s.values(|m| m.conversions);
    let arrivals = s.values(|m| m.arrivals);
    let n = conversions.len();
    if n == 0 || conversions.iter().sum::<f64>() == 0.0 {
        return Vec::new(); // no funnel, or nothing converted yet to learn from
    }
    let mut low = vec![false; n];
    let mut found = Vec::new();
    let mut expected = Vec::new();
    for _ in 0..2 {
        let (c, a) = conversions
            .iter()
            .zip(&arrivals)
            .zip(&low)
            .filter(|(_, l)| !**l)
            .fold((0.0, 0.0), |(c, a), ((x, y), _)| (c + x, a + y));
        let rate = c / a.max(1.0);
        expected = arrivals.iter().map(|a| a * rate).collect();
        found = cusum::segments(&conversions, &expected, rule.ratio, 12.0, rule.min_expected);
        low.iter_mut().for_each(|l| *l = false);
        for &(x, z) in &found {
            low[x..=z].iter_mut().for_each(|l| *l = true);
        }
    }
    let Some(&(x, z)) = found.last() else {
        return Vec::new();
    };
    let (start, end) = (s.start_of(x), s.start_of(z + 1));
    if end < input.minute() {
        return Vec::new();
    }
    let inside: f64 = conversions[x..=z].iter().sum();
    let exp: f64 = expected[x..=z].iter().sum();
    let mut a = Active::new(Kind::TrafficDrop, start, end);
    a.value = Some(inside);
    a.baseline = Some(exp);
    a.summary = Some(format!(
        "{inside:.0} conversions since {}, against {exp:.1} expected from the sessions that arrived.",
        crate::payload::clock(start)
    ));
    vec![a]
}
