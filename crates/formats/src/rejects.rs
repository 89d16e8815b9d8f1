//! Rejected lines are data: counted per reason, with the first samples kept for inspection.

use std::fmt;

/// Why a line was not turned into a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RejectReason {
    /// The line ended before the format did: a cut-off write, a wrapped line, missing fields.
    Truncated,
    /// Text where the format expects other text: another format.
    NotThisFormat,
    /// A separated format (W3C) line with more or fewer fields than its `#Fields:` declares.
    WrongFieldCount,
    /// The client field is not an address or hostname (a line that lost its beginning).
    BadClient,
    BadTimestamp,
    /// No time field in the line (JSON logs missing the key).
    MissingTimestamp,
    BadStatus,
    /// A size or other number that is not a number.
    BadNumber,
    /// A JSON log line that is not a JSON object.
    BadJson,
    /// An error-log line that is no event's first line and follows none (a file read from the
    /// middle of an event).
    NoEvent,
}

impl RejectReason {
    pub const ALL: [RejectReason; 10] = [
        RejectReason::Truncated,
        RejectReason::NotThisFormat,
        RejectReason::WrongFieldCount,
        RejectReason::BadClient,
        RejectReason::BadTimestamp,
        RejectReason::MissingTimestamp,
        RejectReason::BadStatus,
        RejectReason::BadNumber,
        RejectReason::BadJson,
        RejectReason::NoEvent,
    ];

    /// Stable snake_case name used in JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            RejectReason::Truncated => "truncated",
            RejectReason::NotThisFormat => "not_this_format",
            RejectReason::WrongFieldCount => "wrong_field_count",
            RejectReason::BadClient => "bad_client",
            RejectReason::BadTimestamp => "bad_timestamp",
            RejectReason::MissingTimestamp => "missing_timestamp",
            RejectReason::BadStatus => "bad_status",
            RejectReason::BadNumber => "bad_number",
            RejectReason::BadJson => "bad_json",
            RejectReason::NoEvent => "no_event",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for RejectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RejectReason::Truncated => "truncated (line ends before the format does)",
            RejectReason::NotThisFormat => "not this format (unexpected text)",
            RejectReason::WrongFieldCount => "wrong field count",
            RejectReason::BadClient => "bad client address",
            RejectReason::BadTimestamp => "bad timestamp",
            RejectReason::MissingTimestamp => "no timestamp",
            RejectReason::BadStatus => "bad status",
            RejectReason::BadNumber => "bad number",
            RejectReason::BadJson => "not a JSON object",
            RejectReason::NoEvent => "an error-log line that follows no event",
        })
    }
}

/// A rejection with the byte column where parsing stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reject {
    pub reason: RejectReason,
    pub column: usize,
}

impl Reject {
    pub(crate) fn at(reason: RejectReason, column: usize) -> Self {
        Self { reason, column }
    }
}

/// One kept rejected line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RejectSample {
    pub file_id: u32,
    pub line: u64,
    pub reason: RejectReason,
    /// 0-based byte column where parsing stopped.
    pub column: usize,
    /// The line (lossy UTF-8, cut at [`SAMPLE_CHARS`] characters).
    pub text: String,
}

/// Samples kept per reason.
pub const SAMPLES_PER_REASON: usize = 5;
const SAMPLE_CHARS: usize = 300;

/// Line accounting for one file (or one chunk, merged in order).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LineStats {
    /// Lines that became requests.
    pub requests: u64,
    /// Of those, lines read with another preset than the file's (a format change mid-file).
    pub fallback: u64,
    /// Empty lines.
    pub blank: u64,
    /// Directive or comment lines (W3C `#Fields:` ...).
    pub comments: u64,
    /// Error logs: events read (their first lines).
    pub events: u64,
    /// Error logs: lines after an event's first line that belong to it.
    pub continuation: u64,
    rejected: [u64; RejectReason::ALL.len()],
    pub samples: Vec<RejectSample>,
    /// Every rejected line of the chunk, whole, when they are kept (`--rejects FILE`); the
    /// pipeline writes them out in order and empties this.
    pub kept: Vec<(u64, Reject, Vec<u8>)>,
}

impl LineStats {
    /// All lines seen.
    pub fn lines(&self) -> u64 {
        self.requests
            + self.events
            + self.blank
            + self.comments
            + self.continuation
            + self.rejected_total()
    }

    pub fn rejected_total(&self) -> u64 {
        self.rejected.iter().sum()
    }

    pub fn rejected(&self, reason: RejectReason) -> u64 {
        self.rejected[reason.index()]
    }

    /// Reasons with a non-zero count, in a stable order.
    pub fn rejected_by_reason(&self) -> impl Iterator<Item = (RejectReason, u64)> + '_ {
        RejectReason::ALL
            .into_iter()
            .map(|r| (r, self.rejected(r)))
            .filter(|&(_, n)| n > 0)
    }

    pub(crate) fn reject(
        &mut self,
        reject: Reject,
        file_id: u32,
        line: u64,
        text: &[u8],
        keep: bool,
    ) {
        if keep {
            self.kept.push((line, reject, text.to_vec()));
        }
        let n = &mut self.rejected[reject.reason.index()];
        *n += 1;
        if *n as usize <= SAMPLES_PER_REASON {
            self.samples.push(RejectSample {
                file_id,
                line,
                reason: reject.reason,
                column: reject.column,
                text: String::from_utf8_lossy(text)
                    .chars()
                    .take(SAMPLE_CHARS)
                    .collect(),
            });
        }
    }

    /// Adds a later chunk's counts; keeps the earliest samples per reason.
    pub fn merge(&mut self, later: LineStats) {
        self.requests += later.requests;
        self.fallback += later.fallback;
        self.blank += later.blank;
        self.comments += later.comments;
        self.continuation += later.continuation;
        self.events += later.events;
        for s in later.samples {
            let kept = self.samples.iter().filter(|k| k.reason == s.reason).count();
            if kept < SAMPLES_PER_REASON {
                self.samples.push(s);
            }
        }
        for (a, b) in self.rejected.iter_mut().zip(later.rejected) {
            *a += b;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_adds_counts_and_keeps_first_samples() {
        let mut a = LineStats::default();
        let mut b = LineStats::default();
        for i in 0..4 {
            a.reject(Reject::at(RejectReason::Truncated, 3), 0, i, b"abc", false);
            b.reject(
                Reject::at(RejectReason::Truncated, 3),
                0,
                100 + i,
                b"abc",
                false,
            );
        }
        b.requests = 7;
        a.merge(b);
        assert_eq!(a.rejected(RejectReason::Truncated), 8);
        assert_eq!(a.lines(), 15);
        let lines: Vec<u64> = a.samples.iter().map(|s| s.line).collect();
        assert_eq!(lines, [0, 1, 2, 3, 100]);
    }
}
