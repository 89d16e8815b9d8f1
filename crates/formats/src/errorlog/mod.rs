//! Server error logs: nginx `error.log` and Apache httpd `error_log` (2.4's default
//! `ErrorLogFormat`, and 2.2's), read beside access logs by the same pipeline into the event
//! record (`clickpath_model::event`).
//!
//! An event starts with a line in the log's prefix form (a time, a level...); lines that do not
//! are its continuation (a PHP stack trace, FastCGI's stderr) and are kept with it. The reader
//! cuts chunks only before an event's first line, so an event is never split. A custom Apache
//! `ErrorLogFormat` is not read (docs/errors.md says why).

mod apache;
mod builder;
pub mod cause;
mod nginx;

pub use builder::EventBuilder;
pub use cause::{Cause, classify};

/// Which server wrote the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorLogKind {
    /// `2024/03/01 10:29:01 [error] 11926#11926: *14500 message, client: ...`
    Nginx,
    /// `[Fri Mar 01 10:29:01.050576 2024] [proxy:error] [pid 29424:tid 1402...] message`, or
    /// 2.2's `[Fri Mar 01 10:29:01 2024] [error] [client 192.0.2.1] message`.
    Apache,
}

impl ErrorLogKind {
    /// The preset name a file read as this kind shows.
    pub fn name(self) -> &'static str {
        match self {
            ErrorLogKind::Nginx => "nginx_error",
            ErrorLogKind::Apache => "apache_error",
        }
    }

    /// Whether `line` is the first line of an event.
    pub fn starts_event(self, line: &[u8]) -> bool {
        match self {
            ErrorLogKind::Nginx => nginx::starts_event(line),
            ErrorLogKind::Apache => apache::starts_event(line),
        }
    }

    pub(crate) fn parse<'a>(self, text: &'a [u8]) -> Option<EventSlots<'a>> {
        match self {
            ErrorLogKind::Nginx => nginx::parse(text),
            ErrorLogKind::Apache => apache::parse(text),
        }
    }
}

/// The error-log kind most of the sample's lines start events of, if at least a third do.
pub fn detect(lines: &[&[u8]]) -> Option<(ErrorLogKind, usize)> {
    [ErrorLogKind::Nginx, ErrorLogKind::Apache]
        .into_iter()
        .map(|k| (k, lines.iter().filter(|l| k.starts_event(l)).count()))
        .filter(|&(_, n)| n > 0 && n * 3 >= lines.len())
        .max_by_key(|&(_, n)| n)
}

/// Where the last event that starts in `data` (after its first line) begins: a chunk cut there
/// keeps each event whole. `data.len()` when no event starts after the first line.
pub(crate) fn last_event_start(kind: ErrorLogKind, data: &[u8]) -> usize {
    let mut end = data.len();
    // Lines from the end: the start of the last line that starts an event.
    while end > 0 {
        let line_end = end;
        let start =
            memchr::memrchr(b'\n', &data[..line_end.saturating_sub(1)]).map_or(0, |i| i + 1);
        if start == 0 {
            return data.len();
        }
        let line = &data[start..line_end];
        if kind.starts_event(line) {
            return start;
        }
        end = start;
    }
    data.len()
}

/// What one event said, borrowed from its text (the first line, or all its lines joined).
#[derive(Debug, Default)]
pub(crate) struct EventSlots<'a> {
    /// Local time as printed, microseconds (no zone).
    pub local: i64,
    pub level: &'a [u8],
    pub module: Option<&'a [u8]>,
    pub pid: Option<u32>,
    pub tid: Option<u64>,
    pub connection: Option<u64>,
    pub client: Option<&'a [u8]>,
    pub server: Option<&'a [u8]>,
    pub request: Option<&'a [u8]>,
    /// A path the message names (Apache: `returned by /x`, a file, `proxy:http://host/x`).
    pub path: Option<&'a [u8]>,
    pub upstream: Option<&'a [u8]>,
    pub host: Option<&'a [u8]>,
    pub referrer: Option<&'a [u8]>,
    pub code: Option<&'a [u8]>,
    pub errno: Option<i32>,
    pub message: &'a [u8],
    /// Continuation lines after nginx's appended fields (`\n...`): the message's end.
    pub more: &'a [u8],
    /// The text the cause is read from: after the time, level and pid, codes included.
    pub body: &'a [u8],
}

/// Decimal digits (at most 19) as a number.
pub(crate) fn num(b: &[u8]) -> Option<u64> {
    if b.is_empty() || b.len() > 19 {
        return None;
    }
    b.iter().try_fold(0u64, |acc, &c| {
        let d = c.wrapping_sub(b'0');
        (d <= 9).then(|| acc * 10 + u64::from(d))
    })
}

/// `(111: ...` or `(111)...`: the number.
pub(crate) fn errno_in(message: &[u8]) -> Option<i32> {
    let mut from = 0;
    while let Some(i) = memchr::memchr(b'(', &message[from..]) {
        let at = from + i + 1;
        let n = message[at..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if (1..=6).contains(&n) && matches!(message.get(at + n), Some(b':' | b')')) {
            return std::str::from_utf8(&message[at..at + n]).ok()?.parse().ok();
        }
        from = at;
    }
    None
}

#[cfg(test)]
mod tests;
