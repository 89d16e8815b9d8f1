//! When a visitor's session starts and ends: written once, called by the streaming report
//! (`traffic/`), ingest's session ids (`sessionizer.rs`) and SQL's `sessionize` (crates/query).
//!
//! A request joins its visitor's open session unless it comes more than the idle timeout after
//! the session's last request (or before its first: a line written late), or, when configured,
//! on another local day than the session's last request, or as a page view that brings another
//! campaign than the session's landing. Readers that see all visitors also close sessions the
//! stream's clock has left behind by the timeout plus [`OUT_OF_ORDER_SLACK_S`]; a line later than
//! that starts a new session (SQL's `sessionize` sees one visitor at a time and cannot do this:
//! docs/sql.md).

use serde::{Deserialize, Serialize};

const MICROS: i64 = 1_000_000;
/// Lines up to this late (behind the latest time seen) still join their session.
pub const OUT_OF_ORDER_SLACK_S: i64 = 120;
/// Sessions are swept when the clock has moved this far since the last sweep (checked per
/// request, so that batch boundaries change nothing).
pub const SWEEP_EVERY_S: i64 = 60;

/// Session rules, fixed for a dataset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRules {
    pub timeout_s: i64,
    pub split_at_midnight: bool,
    pub split_on_campaign: bool,
}

impl Default for SessionRules {
    fn default() -> Self {
        Self {
            timeout_s: 30 * 60,
            split_at_midnight: false,
            split_on_campaign: false,
        }
    }
}

/// What the rule knows of an open session. Times in microseconds, days are local day numbers;
/// a campaign is any non-zero identity of a UTM set (0: none).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    pub first: i64,
    pub last: i64,
    pub last_day: i64,
    /// Campaign of the landing (the earliest page view, else the first request).
    #[serde(rename = "utm")]
    pub campaign: u64,
    /// Time of the page view the landing came from (None: from the first request).
    pub landing_at: Option<i64>,
}

/// One request as the rule sees it.
#[derive(Clone, Copy, Debug)]
pub struct Arrival {
    pub ts: i64,
    pub day: i64,
    pub page: bool,
    /// The request's campaign (0: none).
    pub campaign: u64,
}

impl SessionRules {
    /// Whether `a` starts a new session of a visitor whose open session is `open`.
    pub fn starts_new(&self, open: Option<&Span>, a: &Arrival) -> bool {
        let Some(s) = open else { return true };
        let timeout = self.timeout_s * MICROS;
        a.ts > s.last + timeout
            || a.ts < s.first - timeout
            || (self.split_at_midnight && a.day != s.last_day)
            || (self.split_on_campaign && a.page && a.campaign != 0 && a.campaign != s.campaign)
    }

    /// Sessions whose last request is before this are closed, once the stream's clock is at
    /// `clock`.
    pub fn horizon(&self, clock: i64) -> i64 {
        clock - (self.timeout_s + OUT_OF_ORDER_SLACK_S) * MICROS
    }

    /// Whether the clock has moved far enough since `last_sweep` to sweep again.
    pub fn sweep_due(clock: i64, last_sweep: i64) -> bool {
        clock >= last_sweep.saturating_add(SWEEP_EVERY_S * MICROS)
    }
}

impl Span {
    /// The session `a` starts.
    pub fn start(a: &Arrival) -> Self {
        Span {
            first: a.ts,
            last: a.ts,
            last_day: a.day,
            campaign: a.campaign,
            landing_at: None,
        }
    }

    /// Adds `a` to the session; true when it is a page view earlier than the landing so far
    /// (the session's landing is now this request).
    pub fn join(&mut self, a: &Arrival) -> bool {
        self.first = self.first.min(a.ts);
        if a.ts > self.last {
            self.last = a.ts;
            self.last_day = a.day;
        }
        let lands = a.page && self.landing_at.is_none_or(|at| a.ts < at);
        if lands {
            self.landing_at = Some(a.ts);
            self.campaign = a.campaign;
        }
        lands
    }
}

/// Sessions of one visitor's requests in the order given: the number (1, 2, ...) of each
/// request's session. What SQL's `sessionize` computes.
pub fn number_sessions(rules: &SessionRules, arrivals: impl Iterator<Item = Arrival>) -> Vec<u64> {
    let mut open: Option<Span> = None;
    let mut n = 0;
    arrivals
        .map(|a| {
            if rules.starts_new(open.as_ref(), &a) {
                n += 1;
                open = Some(Span::start(&a));
            }
            if let Some(s) = open.as_mut() {
                s.join(&a);
            }
            n
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(min: i64, day: i64, page: bool, campaign: u64) -> Arrival {
        Arrival {
            ts: min * 60 * MICROS,
            day,
            page,
            campaign,
        }
    }

    #[test]
    fn each_setting_splits_where_it_says() {
        let plain = SessionRules::default();
        // 0, 29, 58 min: one session; 89 min (31 min idle): a new one.
        let a = [
            at(0, 0, true, 0),
            at(29, 0, true, 0),
            at(58, 0, true, 0),
            at(89, 0, true, 0),
        ];
        assert_eq!(number_sessions(&plain, a.into_iter()), [1, 1, 1, 2]);
        // Midnight between the 2nd and 3rd request.
        let b = [at(0, 0, true, 0), at(10, 0, true, 0), at(20, 1, true, 0)];
        assert_eq!(number_sessions(&plain, b.into_iter()), [1, 1, 1]);
        let midnight = SessionRules {
            split_at_midnight: true,
            ..plain
        };
        assert_eq!(number_sessions(&midnight, b.into_iter()), [1, 1, 2]);
        // A page view with another campaign; an asset with one does not count, nor no campaign.
        let c = [
            at(0, 0, true, 7),
            at(1, 0, false, 9),
            at(2, 0, true, 0),
            at(3, 0, true, 9),
            at(4, 0, true, 9),
        ];
        assert_eq!(number_sessions(&plain, c.into_iter()), [1, 1, 1, 1, 1]);
        let campaign = SessionRules {
            split_on_campaign: true,
            ..plain
        };
        assert_eq!(number_sessions(&campaign, c.into_iter()), [1, 1, 1, 2, 2]);
    }

    #[test]
    fn a_late_line_joins_and_an_earlier_page_view_becomes_the_landing() {
        let rules = SessionRules {
            split_on_campaign: true,
            ..SessionRules::default()
        };
        let mut s = Span::start(&at(10, 0, false, 0));
        assert!(!s.join(&at(10, 0, false, 0)));
        assert!(s.join(&at(12, 0, true, 5)));
        // A page view written late, before the landing so far: it is the landing now.
        assert!(s.join(&at(11, 0, true, 6)));
        assert_eq!((s.first, s.campaign), (10 * 60 * MICROS, 6));
        assert!(!rules.starts_new(Some(&s), &at(13, 0, true, 6)));
        assert!(rules.starts_new(Some(&s), &at(13, 0, true, 5)));
        // More than the timeout before the first request: another session.
        assert!(rules.starts_new(Some(&s), &at(-25, 0, false, 0)));
    }
}
