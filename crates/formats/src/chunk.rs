//! One chunk of lines into one batch: each line is read with the detected format; lines it
//! rejects may be read with a fallback preset, but only as a change of format, never as one
//! damaged line.
//!
//! A fallback is used for a run of at least [`FALLBACK_RUN`] consecutive lines that the detected
//! format rejects and a fallback reads (a `log_format` changed from combined to common makes
//! such a run). A shorter run is damaged lines (cut short, or garbled): each is rejected with the
//! detected format's reason, `truncated` for a line that is a prefix of the format. Runs at the edges of the
//! chunk count the context lines the reader copied from around it, so chunk boundaries change
//! nothing.

use arrow_array::RecordBatch;

use crate::batch::{HitBuilder, RowOptions, Slots};
use crate::errorlog::{ErrorLogKind, EventBuilder};
use crate::line::parse_line;
use crate::pipeline::Chunk;
use crate::rejects::{LineStats, Reject, RejectReason};
use crate::spec::{Format, FormatRef};

/// Consecutive lines in another format that make a change of format. Damaged lines come alone
/// or in short bursts (a crash, a full disk); a changed format goes on.
pub const FALLBACK_RUN: usize = 8;

/// The first `n` whole lines of `data`.
pub(crate) fn first_lines(data: &[u8], n: usize) -> &[u8] {
    let mut end = 0;
    for _ in 0..n {
        match memchr::memchr(b'\n', &data[end..]) {
            Some(i) => end += i + 1,
            None => break,
        }
    }
    &data[..end]
}

/// The last `n` lines of `data` (which ends at a line end).
pub(crate) fn last_lines(data: &[u8], n: usize) -> &[u8] {
    let body = data.strip_suffix(b"\n").unwrap_or(data);
    let mut start = body.len();
    for _ in 0..n {
        match memchr::memrchr(b'\n', &body[..start]) {
            Some(i) => start = i,
            None => return data,
        }
    }
    &data[start + 1..]
}

/// How the detected format and its fallbacks read one line.
enum LineRead<'a> {
    Parsed(Slots<'a>),
    Blank,
    Comment,
    Rejected(Reject),
    /// Rejected by the detected format and read by a fallback.
    Fallback(Slots<'a>, Reject),
}

fn read_line<'a>(format: &Format, fallbacks: &[FormatRef], line: &'a [u8]) -> LineRead<'a> {
    if line.iter().all(u8::is_ascii_whitespace) {
        return LineRead::Blank;
    }
    if format.is_w3c().is_some() && line.first() == Some(&b'#') {
        return LineRead::Comment;
    }
    let mut slots = Slots::default();
    match parse_line(format, line, &mut slots) {
        Ok(()) => LineRead::Parsed(slots),
        Err(reject) => {
            for f in fallbacks {
                let mut slots = Slots::default();
                if parse_line(f, line, &mut slots).is_ok() && slots.has_time() {
                    return LineRead::Fallback(slots, reject);
                }
            }
            LineRead::Rejected(reject)
        }
    }
}

/// Lines of a context copy, `\r` removed.
fn context_lines(context: &[u8]) -> impl DoubleEndedIterator<Item = &[u8]> {
    let body = context.strip_suffix(b"\n").unwrap_or(context);
    body.split(|&c| c == b'\n')
        .filter(move |_| !context.is_empty())
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
}

/// A line a fallback read, waiting to know whether it belongs to a run.
struct Pending<'a> {
    line_no: u64,
    line: &'a [u8],
    slots: Slots<'a>,
    reject: Reject,
}

struct ChunkParser<'c> {
    chunk: &'c Chunk,
    builder: HitBuilder,
    stats: LineStats,
    chunk_utf8: bool,
    keep_rejects: bool,
}

impl ChunkParser<'_> {
    fn push(&mut self, slots: &Slots<'_>, line: &[u8], line_no: u64, fallback: bool) {
        let utf8 = self.chunk_utf8 || simdutf8::basic::from_utf8(line).is_ok();
        match self.builder.push(slots, self.chunk.file_id, line_no, utf8) {
            Ok(()) => {
                self.stats.requests += 1;
                self.stats.fallback += u64::from(fallback);
            }
            Err(r) => self.reject(r, line, line_no),
        }
    }

    fn reject(&mut self, r: Reject, line: &[u8], line_no: u64) {
        self.stats
            .reject(r, self.chunk.file_id, line_no, line, self.keep_rejects);
    }

    /// How many context lines (from the chunk outwards) a fallback also reads.
    fn context_run<'a>(&self, format: &Format, lines: impl Iterator<Item = &'a [u8]>) -> usize {
        let mut n = 0;
        for line in lines.take(FALLBACK_RUN - 1) {
            match read_line(format, &self.chunk.fallbacks, line) {
                LineRead::Fallback(..) => n += 1,
                LineRead::Blank => {}
                _ => break,
            }
        }
        n
    }

    /// Keeps a run that is long enough (counting the context at a chunk edge), else rejects it.
    fn settle(
        &mut self,
        run: &mut Vec<Pending<'_>>,
        format: &Format,
        at_start: bool,
        at_end: bool,
    ) {
        if run.is_empty() {
            return;
        }
        let mut len = run.len();
        if at_start && len < FALLBACK_RUN {
            len += self.context_run(format, context_lines(&self.chunk.before).rev());
        }
        if at_end && len < FALLBACK_RUN {
            len += self.context_run(format, context_lines(&self.chunk.after));
        }
        let keep = len >= FALLBACK_RUN;
        for p in run.drain(..) {
            if keep {
                self.push(&p.slots, p.line, p.line_no, true);
            } else {
                self.reject(p.reject, p.line, p.line_no);
            }
        }
    }
}

/// The event being read: its line number, first line and continuation lines.
type OpenEvent<'a> = (u64, &'a [u8], Vec<&'a [u8]>);

/// Parses one chunk of an error log into a batch of events: a line that starts an event opens
/// it, the lines after it that do not are its continuation.
fn parse_events(
    chunk: &Chunk,
    kind: ErrorLogKind,
    rows: RowOptions,
    keep_rejects: bool,
) -> (RecordBatch, LineStats) {
    let data = &chunk.data;
    let mut builder = EventBuilder::new(rows.raw_ip, rows.keyer, rows.error_log_tz);
    let mut stats = LineStats::default();
    let mut open: Option<OpenEvent<'_>> = None;
    let mut joined = Vec::new();
    let mut flush = |open: Option<OpenEvent<'_>>, stats: &mut LineStats| {
        let Some((no, first, more)) = open else {
            return;
        };
        let text: &[u8] = if more.is_empty() {
            first
        } else {
            joined.clear();
            joined.extend_from_slice(first);
            for l in &more {
                joined.push(b'\n');
                joined.extend_from_slice(l);
            }
            &joined
        };
        stats.continuation += more.len() as u64;
        match kind.parse(text) {
            Some(e) => {
                builder.push(&e, more.len() as u32, chunk.file_id, no);
                stats.events += 1;
            }
            None => stats.reject(
                Reject::at(RejectReason::BadTimestamp, 0),
                chunk.file_id,
                no,
                first,
                keep_rejects,
            ),
        }
    };
    let mut start = 0usize;
    let mut line_no = chunk.first_line;
    while start < data.len() {
        let end = memchr::memchr(b'\n', &data[start..]).map_or(data.len(), |i| start + i);
        line_no += 1;
        let raw = &data[start..end];
        let line = raw.strip_suffix(b"\r").unwrap_or(raw);
        start = end + 1;
        if kind.starts_event(line) {
            flush(open.take(), &mut stats);
            open = Some((line_no, line, Vec::new()));
        } else if let Some((_, _, more)) = open.as_mut() {
            more.push(line);
        } else if line.iter().all(u8::is_ascii_whitespace) {
            stats.blank += 1;
        } else {
            stats.reject(
                Reject::at(RejectReason::NoEvent, 0),
                chunk.file_id,
                line_no,
                line,
                keep_rejects,
            );
        }
    }
    flush(open.take(), &mut stats);
    (builder.finish(), stats)
}

/// Parses one chunk into a batch (of requests, or of events for an error log).
pub(crate) fn parse_chunk(
    chunk: &Chunk,
    rows: RowOptions,
    keep_rejects: bool,
) -> (RecordBatch, LineStats) {
    if let Some(kind) = chunk.formats[0].1.error_log() {
        return parse_events(chunk, kind, rows, keep_rejects);
    }
    let data = &chunk.data;
    let formats = &chunk.formats;
    let mut p = ChunkParser {
        chunk,
        builder: HitBuilder::new(rows, data.len() / 160 + 16),
        stats: LineStats::default(),
        chunk_utf8: simdutf8::basic::from_utf8(data).is_ok(),
        keep_rejects,
    };
    let mut fmt_index = 0;
    let mut format: &Format = &formats[0].1;
    let mut start = 0usize;
    let mut line_no = chunk.first_line;
    let mut run: Vec<Pending<'_>> = Vec::new();
    let mut run_at_start = true;
    while start < data.len() {
        let end = memchr::memchr(b'\n', &data[start..]).map_or(data.len(), |i| start + i);
        line_no += 1;
        while fmt_index + 1 < formats.len() && formats[fmt_index + 1].0 <= start {
            fmt_index += 1;
            format = &formats[fmt_index].1;
        }
        let raw = &data[start..end];
        let line = raw.strip_suffix(b"\r").unwrap_or(raw);
        start = end + 1;
        let read = read_line(format, &chunk.fallbacks, line);
        if !matches!(read, LineRead::Fallback(..) | LineRead::Blank) {
            p.settle(&mut run, format, run_at_start, false);
            run_at_start = false;
        }
        match read {
            LineRead::Blank => p.stats.blank += 1,
            LineRead::Comment => p.stats.comments += 1,
            LineRead::Parsed(slots) => p.push(&slots, line, line_no, false),
            LineRead::Rejected(reject) => p.reject(reject, line, line_no),
            LineRead::Fallback(slots, reject) => run.push(Pending {
                line_no,
                line,
                slots,
                reject,
            }),
        }
    }
    p.settle(&mut run, format, run_at_start, true);
    (p.builder.finish(), p.stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_helpers_take_whole_lines() {
        assert_eq!(first_lines(b"c\nd\npartial", 2), b"c\nd\n");
        assert_eq!(first_lines(b"partial", 2), b"");
        assert_eq!(last_lines(b"a\nb\nc\n", 2), b"b\nc\n");
        assert_eq!(last_lines(b"a\n", 2), b"a\n");
        let lines: Vec<&[u8]> = context_lines(b"x\r\ny\n").collect();
        assert_eq!(lines, [&b"x"[..], b"y"]);
        assert_eq!(context_lines(b"").count(), 0);
    }
}
