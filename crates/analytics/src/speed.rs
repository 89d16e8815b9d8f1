//! Response-time histograms: log-spaced millisecond buckets (each 25% wider than the last), so
//! percentiles cost ~60 counters per page and are within 25% of the true value.

const BUCKETS: usize = 64;
const GROWTH: f64 = 1.25;

/// Upper bound in ms of bucket `i` (bucket 0 holds 0 ms).
fn upper_ms(i: usize) -> u64 {
    if i == 0 {
        0
    } else {
        GROWTH.powi(i as i32 - 1).ceil() as u64
    }
}

fn bucket_of(ms: u64) -> usize {
    if ms == 0 {
        return 0;
    }
    ((ms as f64).ln() / GROWTH.ln()).ceil() as usize + 1
}

#[derive(Clone, Debug)]
pub struct SpeedHistogram {
    counts: [u64; BUCKETS],
    total: u64,
}

impl Default for SpeedHistogram {
    fn default() -> Self {
        Self {
            counts: [0; BUCKETS],
            total: 0,
        }
    }
}

/// The bucket of a response time in microseconds (the `speed_bucket` SQL function).
pub fn bucket_index(micros: u64) -> usize {
    bucket_of(micros / 1000).min(BUCKETS - 1)
}

impl SpeedHistogram {
    pub fn add(&mut self, micros: u64) {
        self.counts[bucket_index(micros)] += 1;
        self.total += 1;
    }

    /// A histogram from counts per bucket ([`bucket_index`]); indexes past the last bucket
    /// count in the last.
    pub fn from_counts(counts: impl IntoIterator<Item = (usize, u64)>) -> Self {
        let mut h = Self::default();
        for (i, n) in counts {
            h.counts[i.min(BUCKETS - 1)] += n;
            h.total += n;
        }
        h
    }

    pub fn count(&self) -> u64 {
        self.total
    }

    /// Upper bound (ms) of the bucket holding quantile `q`.
    pub fn quantile_ms(&self, q: f64) -> Option<u64> {
        if self.total == 0 {
            return None;
        }
        let rank = ((q * self.total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return Some(upper_ms(i));
            }
        }
        Some(upper_ms(BUCKETS - 1))
    }
}

/// Landing speed buckets for conversion by speed.
pub const SPEED_BUCKETS: [(&str, u64); 5] = [
    ("<100ms", 100_000),
    ("100-300ms", 300_000),
    ("300ms-1s", 1_000_000),
    ("1-3s", 3_000_000),
    ("3s+", u64::MAX),
];

pub fn speed_bucket(micros: u64) -> usize {
    SPEED_BUCKETS
        .iter()
        .position(|&(_, hi)| micros < hi)
        .unwrap_or(SPEED_BUCKETS.len() - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_within_a_bucket() {
        let mut h = SpeedHistogram::default();
        for ms in 1..=100u64 {
            h.add(ms * 1000);
        }
        let p50 = h.quantile_ms(0.5).unwrap();
        let p95 = h.quantile_ms(0.95).unwrap();
        assert!((50..=63).contains(&p50), "{p50}");
        assert!((95..=119).contains(&p95), "{p95}");
        assert_eq!(SpeedHistogram::default().quantile_ms(0.5), None);
        assert_eq!(speed_bucket(99_999), 0);
        assert_eq!(speed_bucket(3_000_000), 4);
    }
}
