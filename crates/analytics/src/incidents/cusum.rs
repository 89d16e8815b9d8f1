//! Where a count runs above (or below) what was expected: a CUSUM of the Poisson
//! log-likelihood ratio of rate `ratio` x expected against the expected rate (Page's test).
//!
//! Per minute the score is `c ln(r) - e (r - 1)`; the cumulative sum, floored at 0, crossing
//! `h` raises a segment, which starts after the last minute the sum was 0 and ends where it
//! peaked; it is over when the sum is back at 0 or has fallen `h / 2` below its peak (rare
//! events between two incidents do not join them). The segment is then tightened to its best
//! run at a stricter ratio, so that one stray event minutes before does not move its start.
//! `ratio > 1` finds rises, `ratio < 1` falls. With `h = 12` a segment in noise comes about once
//! in e^12 minutes (far more than a year).

/// Segments `[first, last]` (minute indexes, included) whose counts add up to at least
/// `min_count` (rises) or whose expected counts do (falls).
pub fn segments(
    counts: &[f64],
    expected: &[f64],
    ratio: f64,
    h: f64,
    min_count: f64,
) -> Vec<(usize, usize)> {
    let lr = ratio.ln();
    // The best run inside [from, to] at the stricter ratio (Kadane's maximum sum).
    let strict = if ratio > 1.0 { ratio * 2.5 } else { ratio };
    let tighten = |from: usize, to: usize| -> (usize, usize) {
        let (slr, sr) = (strict.ln(), strict - 1.0);
        let (mut best, mut best_at) = (f64::MIN, (from, to));
        let (mut run, mut run_from) = (0.0, from);
        for i in from..=to {
            if run <= 0.0 {
                run = 0.0;
                run_from = i;
            }
            run += counts[i] * slr - expected[i] * sr;
            if run > best {
                best = run;
                best_at = (run_from, i);
            }
        }
        if best > 0.0 { best_at } else { (from, to) }
    };
    let scores: Vec<f64> = counts
        .iter()
        .zip(expected)
        .map(|(&c, &e)| c * lr - e * (ratio - 1.0))
        .collect();
    runs(&scores, h)
        .into_iter()
        .map(|(from, to)| tighten(from, to))
        .filter(|&(from, to)| {
            let total: f64 = if ratio > 1.0 {
                counts[from..=to].iter().sum()
            } else {
                expected[from..=to].iter().sum()
            };
            total >= min_count
        })
        .collect()
}

/// Page's CUSUM over per-minute scores: the sum, floored at 0, crossing `h` raises a segment from
/// after the last minute the sum was 0 to where it peaked; it is over when the sum is back at 0
/// or has fallen `h / 2` below its peak.
fn runs(scores: &[f64], h: f64) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut s = 0.0f64;
    let mut zero_at: Option<usize> = None; // last minute with s == 0
    let mut peak = (0.0f64, 0usize);
    let mut alarmed = false;
    for (i, &x) in scores.iter().enumerate() {
        s = (s + x).max(0.0);
        if alarmed && s <= peak.0 - h / 2.0 {
            out.push((zero_at.map_or(0, |z| z + 1), peak.1));
            alarmed = false;
            s = 0.0;
        }
        if s == 0.0 {
            if alarmed {
                out.push((zero_at.map_or(0, |z| z + 1), peak.1));
                alarmed = false;
            }
            zero_at = Some(i);
            peak = (0.0, i);
            continue;
        }
        if s > peak.0 {
            peak = (s, i);
        }
        if s >= h {
            alarmed = true;
        }
    }
    if alarmed {
        out.push((zero_at.map_or(0, |z| z + 1), peak.1));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_and_a_drop_are_found_where_they_are() {
        // 1 a minute expected; minutes 50..60 have 8, and one stray event at 47.
        let mut counts = vec![0.0; 120];
        for c in &mut counts[50..60] {
            *c = 8.0;
        }
        counts[47] = 1.0;
        let expected = vec![0.2; 120];
        assert_eq!(segments(&counts, &expected, 4.0, 12.0, 5.0), [(50, 59)]);
        // Noise around the rate: nothing.
        let noisy: Vec<f64> = (0..10_000)
            .map(|i| [0.0, 1.0, 2.0, 1.0, 0.0, 3.0][i % 6])
            .collect();
        assert!(segments(&noisy, &vec![1.17; 10_000], 4.0, 12.0, 5.0).is_empty());
        // Two bursts an hour apart with rare events between them stay two.
        let mut counts = vec![0.0; 200];
        for i in (20..30).chain(120..130) {
            counts[i] = 5.0;
        }
        counts[70] = 1.0;
        assert_eq!(
            segments(&counts, &vec![0.1; 200], 4.0, 12.0, 5.0),
            [(20, 29), (120, 129)]
        );
        // 20 a minute expected, 6 in minutes 30..60.
        let mut counts = vec![20.0; 100];
        for c in &mut counts[30..60] {
            *c = 6.0;
        }
        assert_eq!(
            segments(&counts, &vec![20.0; 100], 0.4, 12.0, 30.0),
            [(30, 59)]
        );
    }
}
