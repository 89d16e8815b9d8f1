//! 429 answers far above their usual level, for minutes on end: a scraper or a flood held back
//! by a rate limit (loggen's `bot-surge`).
//!
//! 429s come in bursts anyway (aggressive crawlers), so this is not a Poisson test: a minute is
//! hot when it has at least 8 times the median count of the minutes that have any (and 50); a
//! storm is 3 hot minutes or more, with gaps of at most one minute.

use super::Evidence;

const FACTOR: f64 = 8.0;
const FLOOR: f64 = 50.0;
const MIN_HOT: usize = 3;

pub fn detect(ev: &Evidence<'_>) -> Vec<(i64, i64)> {
    let s = ev.series;
    let counts = s.values(|m| m.rate_limited);
    let mut some: Vec<f64> = counts.iter().copied().filter(|c| *c > 0.0).collect();
    if some.is_empty() {
        return Vec::new();
    }
    some.sort_by(f64::total_cmp);
    let limit = (some[some.len() / 2] * FACTOR).max(FLOOR);
    let hot: Vec<usize> = (0..counts.len()).filter(|&i| counts[i] >= limit).collect();
    let mut out = Vec::new();
    let mut run: Vec<usize> = Vec::new();
    let mut flush = |run: &mut Vec<usize>| {
        if run.len() >= MIN_HOT {
            out.push((s.start_of(run[0]), s.start_of(run[run.len() - 1] + 1)));
        }
        run.clear();
    };
    for i in hot {
        if run.last().is_some_and(|&l| i > l + 2) {
            flush(&mut run);
        }
        run.push(i);
    }
    flush(&mut run);
    out
}
