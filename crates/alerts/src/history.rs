//! What the previous days looked like: new human sessions per minute, for the traffic-drop
//! rule's "same time on previous days". Kept 8 days, saved with the alert state.

use std::collections::BTreeMap;

use clickpath_analytics::incidents::{MINUTE, Series};
use serde::{Deserialize, Serialize};

const DAY_MINUTES: i64 = 1440;
const KEEP_DAYS: i64 = 8;

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct History {
    /// The first minute recorded (minute number, UTC): minutes from here on without an entry
    /// had no arrival.
    pub first: Option<i64>,
    /// Minute number -> arrivals (minutes with none are left out).
    pub arrivals: BTreeMap<i64, u32>,
    /// The last minute recorded.
    pub last: Option<i64>,
}

impl History {
    /// Records the complete minutes of `series` before minute number `until`.
    pub fn record(&mut self, series: &Series, until: i64) {
        for (i, m) in series.minutes.iter().enumerate() {
            let minute = series.first + i as i64;
            if minute >= until || self.last.is_some_and(|l| minute <= l) {
                continue;
            }
            if m.arrivals > 0 {
                self.arrivals.insert(minute, m.arrivals as u32);
            }
            self.first.get_or_insert(minute);
            self.last = Some(minute);
        }
        if let Some(last) = self.last {
            let keep_from = last - KEEP_DAYS * DAY_MINUTES;
            self.arrivals = self.arrivals.split_off(&keep_from);
            if self.first.is_some_and(|f| f < keep_from) {
                self.first = Some(keep_from);
            }
        }
    }

    /// Arrivals in minutes `[from, to)` (minute numbers), if all of them were recorded.
    pub fn sum(&self, from: i64, to: i64) -> Option<u64> {
        let (first, last) = (self.first?, self.last?);
        if from < first || to - 1 > last {
            return None;
        }
        Some(
            self.arrivals
                .range(from..to)
                .map(|(_, &n)| u64::from(n))
                .sum(),
        )
    }

    /// The median of the same minutes `[from, to)` on each previous day recorded (at most 7),
    /// and how many days there were.
    pub fn same_time_before(&self, from: i64, to: i64) -> Option<(f64, usize)> {
        let mut sums: Vec<u64> = (1..KEEP_DAYS)
            .filter_map(|d| self.sum(from - d * DAY_MINUTES, to - d * DAY_MINUTES))
            .collect();
        if sums.is_empty() {
            return None;
        }
        sums.sort_unstable();
        let n = sums.len();
        let median = if n % 2 == 1 {
            sums[n / 2] as f64
        } else {
            (sums[n / 2 - 1] + sums[n / 2]) as f64 / 2.0
        };
        Some((median, n))
    }
}

/// The minute number of `ts` (UTC micros).
pub fn minute_of(ts: i64) -> i64 {
    ts.div_euclid(MINUTE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn previous_days_median() {
        let mut h = History::default();
        let mut s = Series::default();
        // Three days of 2 arrivals a minute, a fourth day with 10.
        for day in 0..4i64 {
            for m in 0..DAY_MINUTES {
                let n = if day == 3 { 10 } else { 2 };
                s.at((day * DAY_MINUTES + m) * MINUTE).arrivals = n;
            }
        }
        h.record(&s, 5 * DAY_MINUTES);
        let at = 4 * DAY_MINUTES + 600;
        // 30 minutes on days 3, 2, 1, 0 before: 300, 60, 60, 60 -> median 60.
        assert_eq!(h.same_time_before(at - 30, at), Some((60.0, 4)));
        // Nothing recorded 8 days before.
        assert_eq!(h.sum(-8 * DAY_MINUTES, -8 * DAY_MINUTES + 30), None);
    }
}
