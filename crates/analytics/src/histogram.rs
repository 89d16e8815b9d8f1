//! Fixed-memory histograms of durations in whole seconds: exact medians and percentiles at
//! one-second resolution, whatever the number of sessions.

/// Seconds 0..cap, plus one overflow bucket.
#[derive(Clone, Debug)]
pub struct SecondsHistogram {
    counts: Vec<u64>,
    total: u64,
    sum: f64,
}

impl SecondsHistogram {
    pub fn new(cap_seconds: usize) -> Self {
        Self {
            counts: vec![0; cap_seconds + 1],
            total: 0,
            sum: 0.0,
        }
    }

    /// A histogram of `(whole second, how many)` whose values sum to `sum` (what a query's
    /// `GROUP BY floor(seconds)` gives).
    pub fn from_counts(
        cap_seconds: usize,
        counts: impl IntoIterator<Item = (u64, u64)>,
        sum: f64,
    ) -> Self {
        let mut h = Self::new(cap_seconds);
        for (s, n) in counts {
            let i = (s as usize).min(cap_seconds);
            h.counts[i] += n;
            h.total += n;
        }
        h.sum = sum;
        h
    }

    pub fn add(&mut self, seconds: f64) {
        let s = seconds.max(0.0);
        let i = (s as usize).min(self.counts.len() - 1);
        self.counts[i] += 1;
        self.total += 1;
        self.sum += s;
    }

    pub fn count(&self) -> u64 {
        self.total
    }

    pub fn mean(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.sum / self.total as f64
        }
    }

    /// The smallest whole second at or below which `q` of the values lie (0 when empty).
    pub fn quantile(&self, q: f64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let rank = ((q * self.total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return i as u64;
            }
        }
        (self.counts.len() - 1) as u64
    }

    /// Values in `[from, to)` seconds.
    pub fn between(&self, from: usize, to: usize) -> u64 {
        let to = to.min(self.counts.len());
        self.counts.get(from..to).map_or(0, |c| c.iter().sum())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_and_ranges() {
        let mut h = SecondsHistogram::new(100);
        for s in [1.0, 2.0, 3.0, 4.0, 500.0] {
            h.add(s);
        }
        assert_eq!(h.quantile(0.5), 3);
        assert_eq!(h.quantile(0.9), 100, "overflow lands in the last bucket");
        assert_eq!(h.between(0, 3), 2);
        assert_eq!(h.mean(), 102.0);
        assert_eq!(SecondsHistogram::new(5).quantile(0.5), 0);
    }
}
