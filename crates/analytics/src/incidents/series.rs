//! Counts per UTC minute over the whole log: what the detectors read, and what an incident's
//! window sums (sessions started, conversions, errors by cause...).

use crate::explain::CauseId;
use crate::report::TimelineBucket;

pub const MINUTE: i64 = 60_000_000;

/// One minute of the log.
#[derive(Clone, Debug, Default)]
pub struct Minute {
    pub requests: u64,
    /// Seconds of the minute with at least one request.
    pub active_seconds: u64,
    pub human_requests: u64,
    pub human_5xx: u64,
    /// Human 404s whose referrer is one of the site's pages (filled in at the end, when the
    /// site's hosts are known).
    pub human_404_internal: u64,
    /// 429 answers (rate limits), humans and bots.
    pub rate_limited: u64,
    /// Human sessions whose first request is in this minute.
    pub arrivals: u64,
    /// Human requests that reach the first funnel's last step.
    pub conversions: u64,
    /// 5xx, 404, 403 and 429 responses (classes, in that order) by cause (index:
    /// `explain::CauseId`).
    pub causes: [[u32; 13]; 4],
    /// Error responses (status >= 400), humans and bots.
    pub errors: u64,
    /// Requests per step of the first funnel (its page views, and the 5xx on its paths).
    pub steps: Vec<u32>,
    /// The first error responses of the minute per class (as `causes`): (file id, line).
    pub first_errors: [Vec<(u32, u64)>; 4],
}

/// The responses an incident may be about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    ServerError = 0,
    NotFound = 1,
    Forbidden = 2,
    RateLimited = 3,
}

impl Class {
    pub fn of(status: u16) -> Option<Class> {
        match status {
            500..=599 => Some(Class::ServerError),
            404 => Some(Class::NotFound),
            403 => Some(Class::Forbidden),
            429 => Some(Class::RateLimited),
            _ => None,
        }
    }
}

/// Minutes from the first seen, UTC.
#[derive(Clone, Debug, Default)]
pub struct Series {
    /// Minute number (UTC micros / 60 s) of `minutes[0]`.
    pub first: i64,
    pub minutes: Vec<Minute>,
}

impl Series {
    /// The minute of `ts` (UTC micros), created as needed.
    pub fn at(&mut self, ts: i64) -> &mut Minute {
        let m = ts.div_euclid(MINUTE);
        if self.minutes.is_empty() {
            self.first = m;
        }
        if m < self.first {
            let pad = (self.first - m) as usize;
            self.minutes
                .splice(0..0, std::iter::repeat_with(Minute::default).take(pad));
            self.first = m;
        }
        let i = (m - self.first) as usize;
        if i >= self.minutes.len() {
            self.minutes.resize_with(i + 1, Minute::default);
        }
        &mut self.minutes[i]
    }

    /// A copy of the minutes from the one holding `from` (UTC micros) on.
    pub fn tail(&self, from: i64) -> Series {
        let skip = self.index(from).clamp(0, self.minutes.len() as i64) as usize;
        Series {
            first: self.first + skip as i64,
            minutes: self.minutes[skip..].to_vec(),
        }
    }

    /// Index of the minute that holds `ts` (may be out of range).
    pub fn index(&self, ts: i64) -> i64 {
        ts.div_euclid(MINUTE) - self.first
    }

    /// UTC micros of the start of minute `i`.
    pub fn start_of(&self, i: usize) -> i64 {
        (self.first + i as i64) * MINUTE
    }

    /// One value per minute.
    pub fn values(&self, f: impl Fn(&Minute) -> u64) -> Vec<f64> {
        self.minutes.iter().map(|m| f(m) as f64).collect()
    }

    /// Records an error response's cause.
    pub fn cause(&mut self, ts: i64, status: u16, cause: CauseId) {
        if let Some(class) = Class::of(status) {
            self.at(ts).causes[class as usize][usize::from(cause)] += 1;
        }
    }
}

/// What a timeline bucket counts, for one minute or a bucket of them.
#[derive(Clone, Copy, Debug, Default)]
pub struct TimelineCounts {
    pub requests: u64,
    pub human_requests: u64,
    pub human_5xx: u64,
    /// Error responses (status >= 400), humans and bots.
    pub errors: u64,
    /// Human sessions whose first request (the first read) is in the minute.
    pub sessions_started: u64,
}

/// `time.timeline`: consecutive minutes from UTC minute number `first` in at most 240 buckets
/// of whole minutes (the same number each, the last one shorter).
pub fn timeline<M>(
    first: i64,
    minutes: &[M],
    counts: impl Fn(&M) -> TimelineCounts,
) -> Vec<TimelineBucket> {
    let n = minutes.len();
    let per = n.div_ceil(240).max(1);
    (0..n)
        .step_by(per)
        .map(|i| {
            let mut c = TimelineCounts::default();
            for m in &minutes[i..(i + per).min(n)] {
                let m = counts(m);
                c.requests += m.requests;
                c.human_requests += m.human_requests;
                c.human_5xx += m.human_5xx;
                c.errors += m.errors;
                c.sessions_started += m.sessions_started;
            }
            let mut at = String::new();
            clickpath_model::format_rfc3339_micros((first + i as i64) * MINUTE, &mut at);
            TimelineBucket {
                at,
                minutes: ((i + per).min(n) - i) as u32,
                requests: c.requests,
                human_requests: c.human_requests,
                human_5xx: c.human_5xx,
                errors: c.errors,
                sessions_started: c.sessions_started,
            }
        })
        .collect()
}
