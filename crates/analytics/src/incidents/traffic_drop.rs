//! Fewer new human visitors than the time around (loggen's `traffic-drop`).
//!
//! Candidates are runs below the time around them (a CUSUM for a fall to half of the median of
//! the minutes 15 to 60 minutes away on both sides); one is kept when it is a valley: its
//! arrivals are under 75% of both the 30 minutes before and the 30 minutes after it, beyond chance (P < e^-6: a candidate is already rare). A fall that goes
//! on (the evening) is not a valley.

use super::Evidence;

const AROUND: usize = 30;

/// P(X <= k) for X ~ Poisson(lambda), in logs, by summing terms (k is a count of a log).
pub fn ln_poisson_cdf(k: f64, lambda: f64) -> f64 {
    if lambda <= 0.0 {
        return 0.0;
    }
    let k = k.floor() as u64;
    let mut term = -lambda; // ln P(0)
    let mut acc = term;
    for i in 1..=k {
        term += lambda.ln() - (i as f64).ln();
        acc = acc.max(term) + (1.0 + (-(acc - term).abs()).exp()).ln();
    }
    acc
}

/// Each minute's baseline: the median of the minutes 15 to 60 minutes before and after it (the
/// time of day around it, not the minute's own neighbourhood, which a drop would lower).
fn baseline(arrivals: &[f64]) -> Vec<Option<f64>> {
    (0..arrivals.len())
        .map(|m| {
            let mut around: Vec<f64> = (m.saturating_sub(60)..m.saturating_sub(15))
                .chain((m + 16).min(arrivals.len())..(m + 61).min(arrivals.len()))
                .map(|i| arrivals[i])
                .collect();
            if around.len() < 30 {
                return None;
            }
            around.sort_by(f64::total_cmp);
            Some(around[around.len() / 2])
        })
        .collect()
}

/// Runs below half the baseline (a CUSUM).
fn candidates(arrivals: &[f64]) -> Vec<(usize, usize)> {
    let base = baseline(arrivals);
    // Minutes without a baseline score nothing.
    let counts: Vec<f64> = arrivals
        .iter()
        .zip(&base)
        .map(|(c, b)| if b.is_some() { *c } else { 0.0 })
        .collect();
    let expected: Vec<f64> = base.iter().map(|b| b.unwrap_or(0.0)).collect();
    super::cusum::segments(&counts, &expected, 0.5, 12.0, 30.0)
}

/// The most likely window of a candidate: the run (within 15 minutes of it) with the best
/// score at the fall the candidate shows (not the fixed half the search used), twice.
fn refine(arrivals: &[f64], base: &[Option<f64>], a: usize, z: usize) -> (usize, usize) {
    let (mut a, mut z) = (a, z);
    for _ in 0..2 {
        let inside: f64 = arrivals[a..=z].iter().sum();
        let expected: f64 = base[a..=z].iter().map(|b| b.unwrap_or(0.0)).sum();
        if expected <= 0.0 {
            break;
        }
        let r = (inside / expected).clamp(0.05, 0.9);
        let (lr, r1) = (r.ln(), r - 1.0);
        let (lo, hi) = (a.saturating_sub(15), (z + 15).min(arrivals.len() - 1));
        let (mut best, mut best_at) = (f64::MIN, (a, z));
        let (mut run, mut from) = (0.0, lo);
        for i in lo..=hi {
            let Some(e) = base[i] else { continue };
            if run <= 0.0 {
                run = 0.0;
                from = i;
            }
            run += arrivals[i] * lr - e * r1;
            if run > best {
                best = run;
                best_at = (from, i);
            }
        }
        (a, z) = best_at;
    }
    (a, z)
}

pub fn detect(ev: &Evidence<'_>) -> Vec<(i64, i64)> {
    let s = ev.series;
    let arrivals = s.values(|m| m.arrivals);
    let n = arrivals.len();
    let base = baseline(&arrivals);
    let mut out = Vec::new();
    for (a, z) in candidates(&arrivals) {
        let (a, z) = refine(&arrivals, &base, a, z);
        if a < AROUND || z + AROUND >= n {
            continue; // no half hour on both sides to compare with
        }
        let mean =
            |from: usize, to: usize| arrivals[from..to].iter().sum::<f64>() / (to - from) as f64;
        let inside: f64 = arrivals[a..=z].iter().sum();
        let len = (z + 1 - a) as f64;
        let around = mean(a - AROUND, a).min(mean(z + 1, z + 1 + AROUND));
        let limit = 0.75 * around * len;
        if inside < limit && ln_poisson_cdf(inside, limit) < -6.0 {
            out.push((s.start_of(a), s.start_of(z + 1)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn poisson_tail() {
        // P(X <= 0 | 3) = e^-3
        assert!((super::ln_poisson_cdf(0.0, 3.0) + 3.0).abs() < 1e-9);
        // P(X <= 1 | 1) = 2/e
        assert!((super::ln_poisson_cdf(1.0, 1.0) - (2.0f64.ln() - 1.0)).abs() < 1e-9);
    }
}
