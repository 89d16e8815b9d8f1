//! The parallel parse: one reader, N parser threads, results in input order.
//!
//! ```text
//! reader thread ──chunks──▶ parser threads (N) ──(seq, T)──▶ caller's thread: reorder ▶ sink
//!      ▲                         │
//!      └──── recycled buffers ◀──┘
//! ```
//! The reader decompresses, cuts newline-aligned chunks and numbers their lines; parsers turn a
//! chunk into one [`RecordBatch`] and hand it to the caller's `map` (run in parallel: Parquet
//! encoding, NDJSON serialisation, partial aggregates); the caller's thread receives the mapped
//! values in input order and gives them to `sink`. A fixed number of tickets bounds the chunks
//! in flight, so memory does not grow with the input.

use std::io::{Read, Seek, SeekFrom, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};

use arrow_array::RecordBatch;

use crate::batch::RowOptions;
use crate::chunk::{self, parse_chunk};
use crate::detect::detect;
use crate::error::{Error, Result};
use crate::input::{Compression, Source, open};
use crate::rejects::LineStats;
use crate::spec::{Format, FormatRef};
use crate::w3c;

/// Bytes of a file's head that autodetection samples.
const DETECT_BYTES: usize = 256 * 1024;
/// Longest line kept whole; a longer one is cut (and will be rejected).
const MAX_LINE: usize = 64 << 20;

/// How to parse.
#[derive(Clone)]
pub struct Options {
    /// The format of every input; `None` detects it per file.
    pub format: Option<FormatRef>,
    pub rows: RowOptions,
    /// Parser threads (0: one per core).
    pub threads: usize,
    /// Target chunk size in bytes.
    pub chunk_bytes: usize,
    /// Incremented with the bytes read from disk (compressed), for a progress bar.
    pub progress: Option<Arc<AtomicU64>>,
    /// Where every rejected line goes, whole, as `file:line:column<TAB>reason<TAB>line`.
    pub rejects: Option<Arc<Mutex<Box<dyn Write + Send>>>>,
    /// Where to start each source (by index; missing: from the beginning).
    pub resume: Vec<Resume>,
    /// Leave the last line of a plain file unread when it has no newline yet (a writer may be in
    /// the middle of it). Compressed files are complete: their last line is read.
    pub whole_lines_only: bool,
}

/// Where to start reading a source again: `clickpath ingest` resumes files it has read before.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Resume {
    /// Decompressed bytes already read; always just after a newline.
    pub offset: u64,
    /// Lines in those bytes.
    pub lines: u64,
}

/// How far the input has been read once a batch is handed to the sink.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Position {
    /// Index of the source in the slice given to [`run`].
    pub source: usize,
    /// Decompressed bytes of that source read, this batch included.
    pub offset: u64,
    /// Lines of that source read, this batch included.
    pub lines: u64,
}

/// Inputs smaller than this are read in [`SMALL_CHUNK_BYTES`] chunks by
/// [`Options::size_chunks_for`].
pub const SMALL_INPUT_BYTES: u64 = 256 << 20;
/// The chunk size of small inputs.
pub const SMALL_CHUNK_BYTES: usize = 128 << 10;

impl Options {
    /// Chunks for a pass whose output is small (a report): a small input in small chunks, so
    /// that its memory is what its own figures need, not the chunks in flight (the 100 MiB
    /// loggen file: 26 MiB with 128 KiB chunks, 28.5 with 256 KiB, 99 with 4 MiB, 0.28 s
    /// instead of 0.25 s); a large one in the default chunks, for speed (256 KiB chunks cost
    /// 18% more time on 1 GiB; docs/benchmarks.md). Stdin, of
    /// unknown size (0), is read as small.
    pub fn size_chunks_for(&mut self, input_bytes: u64) {
        if input_bytes < SMALL_INPUT_BYTES {
            self.chunk_bytes = SMALL_CHUNK_BYTES;
        }
    }

    pub fn new(rows: RowOptions) -> Self {
        Self {
            format: None,
            rows,
            threads: 0,
            chunk_bytes: 4 << 20,
            progress: None,
            rejects: None,
            resume: Vec::new(),
            whole_lines_only: false,
        }
    }
}

/// What was read from one input.
#[derive(Clone, Debug)]
pub struct FileSummary {
    pub source: Source,
    /// Name of the format used (preset name or `custom`).
    pub format: String,
    pub format_source: String,
    pub compression: Compression,
    /// Lines of the detection sample that parsed, and lines sampled (None with `--format`).
    pub detection: Option<(usize, usize)>,
    pub stats: LineStats,
}

/// An input that was not read, or not to its end: the others were read all the same.
#[derive(Clone, Debug)]
pub struct Skipped {
    pub source: Source,
    /// What was wrong and what to do (the error's message, without the file's name).
    pub reason: String,
    /// Some of its lines were read before the problem (they count).
    pub partly_read: bool,
}

/// What was read from all inputs.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    pub files: Vec<FileSummary>,
    /// Inputs skipped (unknown format, binary, unreadable), in input order.
    pub skipped: Vec<Skipped>,
}

impl Summary {
    /// Line accounting of all files together.
    pub fn totals(&self) -> LineStats {
        let mut t = LineStats::default();
        for f in &self.files {
            t.merge(f.stats.clone());
        }
        t
    }
}

pub(crate) struct Chunk {
    pub(crate) seq: u64,
    pub(crate) file_id: u32,
    /// Where the input stands after this chunk.
    pub(crate) end: Position,
    /// Number of lines before this chunk in its file.
    pub(crate) first_line: u64,
    pub(crate) data: Vec<u8>,
    /// Format in force from each byte offset (W3C `#Fields:` may change it).
    pub(crate) formats: Vec<(usize, FormatRef)>,
    /// Tried in order on a line the format rejects.
    pub(crate) fallbacks: Arc<Vec<FormatRef>>,
    /// Up to [`FALLBACK_RUN`] - 1 lines before and after the chunk (copies), so that a run of
    /// lines in another format is judged the same wherever chunk boundaries fall. Empty without
    /// fallbacks.
    pub(crate) before: Vec<u8>,
    pub(crate) after: Vec<u8>,
}

enum Event<T> {
    FileStart(FileSummary),
    Skipped(Skipped),
    Parsed(LineStats, T, Position),
}

/// Sink errors are boxed: the caller decides what failing to write means.
pub type SinkError = Box<dyn std::error::Error + Send + Sync>;

/// Parses every source in order. `map` runs on the parser threads with each batch and the format
/// it was read with; `sink` receives its results in input order on the calling thread.
pub fn run<T, M, S>(sources: &[Source], opts: &Options, map: M, mut sink: S) -> Result<Summary>
where
    T: Send,
    M: Fn(&Format, RecordBatch) -> T + Sync,
    S: FnMut(T) -> std::result::Result<(), SinkError>,
{
    run_with_positions(sources, opts, map, |out, _| sink(out))
}

/// [`run`], with the sink also told how far each source has been read (for checkpoints).
pub fn run_with_positions<T, M, S>(
    sources: &[Source],
    opts: &Options,
    map: M,
    mut sink: S,
) -> Result<Summary>
where
    T: Send,
    M: Fn(&Format, RecordBatch) -> T + Sync,
    S: FnMut(T, Position) -> std::result::Result<(), SinkError>,
{
    let threads = if opts.threads == 0 {
        std::thread::available_parallelism().map_or(2, |n| n.get())
    } else {
        opts.threads
    };
    let in_flight = threads * 3;
    let stop = AtomicBool::new(false);
    let (work_tx, work_rx) = sync_channel::<Chunk>(threads);
    let work_rx = Arc::new(Mutex::new(work_rx));
    let (done_tx, done_rx) = sync_channel::<(u64, Event<T>)>(in_flight);
    let (pool_tx, pool_rx) = sync_channel::<Vec<u8>>(in_flight + threads + 2);
    let (ticket_tx, ticket_rx) = sync_channel::<()>(in_flight);
    for _ in 0..in_flight {
        ticket_tx.send(()).expect("room for every ticket");
    }

    let mut summary = Summary::default();
    let mut failure: Option<Error> = None;
    std::thread::scope(|scope| {
        {
            let done_tx = done_tx.clone();
            let stop = &stop;
            scope.spawn(move || {
                let reader = Reader {
                    opts,
                    work_tx,
                    done_tx,
                    pool_rx,
                    ticket_rx,
                    stop,
                    seq: 0,
                };
                reader.run(sources);
            });
        }
        for _ in 0..threads {
            let work_rx = Arc::clone(&work_rx);
            let done_tx = done_tx.clone();
            let pool_tx = pool_tx.clone();
            let map = &map;
            scope.spawn(move || {
                loop {
                    let next = work_rx.lock().map(|rx| rx.recv());
                    let Ok(Ok(chunk)) = next else { break };
                    let (batch, stats) = parse_chunk(&chunk, opts.rows, opts.rejects.is_some());
                    let (seq, end) = (chunk.seq, chunk.end);
                    let _ = pool_tx.try_send(chunk.data);
                    let out = map(&chunk.formats[0].1, batch);
                    if done_tx.send((seq, Event::Parsed(stats, out, end))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(work_rx);
        drop(done_tx);
        drop(pool_tx);

        let mut pending = std::collections::BTreeMap::new();
        let mut next = 0u64;
        'recv: for (seq, event) in done_rx.iter() {
            pending.insert(seq, event);
            while let Some(event) = pending.remove(&next) {
                next += 1;
                match event {
                    Event::FileStart(f) => summary.files.push(f),
                    Event::Skipped(s) => summary.skipped.push(s),
                    Event::Parsed(mut stats, out, end) => {
                        let _ = ticket_tx.send(());
                        if let (Some(w), Some(f)) = (&opts.rejects, summary.files.last())
                            && let Err(e) = write_rejects(w, &f.source.name, &mut stats)
                        {
                            failure = Some(e);
                            break 'recv;
                        }
                        if let Some(f) = summary.files.last_mut() {
                            f.stats.merge(stats);
                        }
                        if let Err(e) = sink(out, end) {
                            failure = Some(Error::Sink(e));
                            break 'recv;
                        }
                    }
                }
            }
        }
        stop.store(true, Ordering::Relaxed);
        drop(ticket_tx);
        drop(done_rx);
    });
    match failure {
        Some(e) => Err(e),
        None => Ok(summary),
    }
}

struct Reader<'a, T> {
    opts: &'a Options,
    work_tx: SyncSender<Chunk>,
    done_tx: SyncSender<(u64, Event<T>)>,
    pool_rx: Receiver<Vec<u8>>,
    ticket_rx: Receiver<()>,
    stop: &'a AtomicBool,
    seq: u64,
}

impl<T> Reader<'_, T> {
    fn run(mut self, sources: &[Source]) {
        for (file_id, source) in sources.iter().enumerate() {
            let before = self.seq;
            if let Err(e) = self.file(file_id as u32, source) {
                if self.stop.load(Ordering::Relaxed) {
                    return;
                }
                // One bad file never stops the others: it is reported and skipped. (Its start
                // and at least one chunk were sent when it was partly read.)
                let partly_read = self.seq > before + 1;
                let seq = self.next_seq();
                let message = e.to_string();
                let prefix = format!("{}: ", source.name);
                let skipped = Skipped {
                    source: source.clone(),
                    reason: message.strip_prefix(&prefix).unwrap_or(&message).to_owned(),
                    partly_read,
                };
                if self.done_tx.send((seq, Event::Skipped(skipped))).is_err() {
                    return;
                }
            }
            if self.stop.load(Ordering::Relaxed) {
                return;
            }
        }
    }

    fn buffer(&self) -> Vec<u8> {
        let mut b = self
            .pool_rx
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(self.opts.chunk_bytes + 64 * 1024));
        b.clear();
        b
    }

    /// Reads until `buf` holds `want` bytes or the stream ends; returns true at the end.
    fn fill(&self, r: &mut dyn Read, buf: &mut Vec<u8>, want: usize, name: &str) -> Result<bool> {
        let need = want.saturating_sub(buf.len()) as u64;
        let got = r.take(need).read_to_end(buf).map_err(|e| Error::Io {
            name: name.to_owned(),
            source: e,
        })?;
        Ok((got as u64) < need)
    }

    fn file(&mut self, file_id: u32, source: &Source) -> Result<()> {
        let resume = self
            .opts
            .resume
            .get(file_id as usize)
            .copied()
            .unwrap_or_default();
        let (mut r, compression) = open(source, self.opts.progress.clone())?;
        let chunk = self.opts.chunk_bytes.max(1);
        let mut buf = self.buffer();
        // Detection looks at up to DETECT_BYTES, whatever the chunk size.
        let mut eof = self.fill(&mut r, &mut buf, chunk.max(DETECT_BYTES), &source.name)?;
        let (format, detection, fallbacks) = match &self.opts.format {
            Some(f) => (Arc::clone(f), None, Arc::new(Vec::new())),
            None => {
                let head = if eof {
                    &buf[..]
                } else {
                    &buf[..memchr::memrchr(b'\n', &buf).map_or(0, |i| i + 1)]
                };
                let d = detect(&source.name, head)?;
                (d.format, Some((d.parsed, d.sampled)), Arc::new(d.fallbacks))
            }
        };
        let seq = self.next_seq();
        let start = FileSummary {
            source: source.clone(),
            format: format.name.clone(),
            format_source: format.source.clone(),
            compression,
            detection,
            stats: LineStats::default(),
        };
        if self.done_tx.send((seq, Event::FileStart(start))).is_err() {
            return Ok(());
        }
        let mut current = format;
        let mut lines_before = resume.lines;
        let mut offset = 0u64;
        if resume.offset > 0 {
            match (&source.path, compression, current.is_w3c()) {
                // A plain file in a format without `#Fields:` changes: seek.
                (Some(_), Compression::None, None) => {
                    let io = |e| Error::Io {
                        name: source.name.clone(),
                        source: e,
                    };
                    let mut f = source.reopen().map_err(io)?;
                    f.seek(SeekFrom::Start(resume.offset)).map_err(io)?;
                    if let Some(p) = &self.opts.progress {
                        p.fetch_add(resume.offset, Ordering::Relaxed);
                    }
                    r = Box::new(std::io::BufReader::with_capacity(256 * 1024, f));
                    buf.clear();
                    eof = false;
                    offset = resume.offset;
                }
                // Otherwise read through, following the format.
                _ => {
                    while offset < resume.offset {
                        if buf.is_empty() {
                            if eof {
                                break;
                            }
                            eof = self.fill(&mut r, &mut buf, chunk, &source.name)?;
                            continue;
                        }
                        let take = buf.len().min((resume.offset - offset) as usize);
                        self.formats_in(&buf[..take], &mut current)?;
                        buf.drain(..take);
                        offset += take as u64;
                    }
                }
            }
        }
        let whole_lines_only = self.opts.whole_lines_only && compression == Compression::None;
        let mut want = chunk;
        // The last lines of the previous chunk (context for fallbacks).
        let mut tail: Vec<u8> = Vec::new();
        loop {
            if buf.is_empty() && eof {
                return Ok(());
            }
            if !eof && buf.len() < want {
                eof = self.fill(&mut r, &mut buf, want, &source.name)?;
                continue;
            }
            let window = buf.len().min(want);
            let cut = if eof && buf.len() <= want {
                match memchr::memrchr(b'\n', &buf) {
                    _ if !whole_lines_only || buf.last() == Some(&b'\n') => buf.len(),
                    Some(i) => i + 1,
                    // Only a line still being written: leave it for the next run.
                    None => return Ok(()),
                }
            } else {
                match memchr::memrchr(b'\n', &buf[..window]) {
                    // With fallbacks, the chunk ends a few lines earlier so that the lines after
                    // it are at hand as context.
                    Some(i) => i + 1,
                    // A line longer than the chunk: read more, up to MAX_LINE, then cut it.
                    None if want < MAX_LINE => {
                        want *= 2;
                        continue;
                    }
                    None => window,
                }
            };
            // An error log's events stay whole: the chunk ends before the last event's first line.
            let cut = match current.error_log() {
                Some(kind) if !(eof && buf.len() <= want) => {
                    match crate::errorlog::last_event_start(kind, &buf[..cut]) {
                        0 => cut,
                        at => at,
                    }
                }
                _ => cut,
            };
            want = chunk;
            let mut rest = self.buffer();
            rest.extend_from_slice(&buf[cut..]);
            buf.truncate(cut);
            let (before, after) = if fallbacks.is_empty() {
                (Vec::new(), Vec::new())
            } else {
                // Context for runs in another format: the lines before (from earlier chunks)
                // and after (read ahead into the next chunk's buffer).
                let n = chunk::FALLBACK_RUN - 1;
                while !eof
                    && chunk::first_lines(&rest, n)
                        .iter()
                        .filter(|&&c| c == b'\n')
                        .count()
                        < n
                {
                    let more = rest.len() + 64 * 1024;
                    eof = self.fill(&mut r, &mut rest, more, &source.name)?;
                }
                let after = chunk::first_lines(&rest, n).to_vec();
                let before = std::mem::take(&mut tail);
                tail = if bytecount::count(&buf, b'\n') >= n {
                    chunk::last_lines(&buf, n).to_vec()
                } else {
                    let mut joined = before.clone();
                    joined.extend_from_slice(&buf);
                    chunk::last_lines(&joined, n).to_vec()
                };
                (before, after)
            };
            let formats = self.formats_in(&buf, &mut current)?;
            let mut lines = bytecount::count(&buf, b'\n') as u64;
            if buf.last() != Some(&b'\n') {
                lines += 1;
            }
            if self.ticket_rx.recv().is_err() || self.stop.load(Ordering::Relaxed) {
                return Ok(());
            }
            let seq = self.next_seq();
            offset += cut as u64;
            let chunk_msg = Chunk {
                seq,
                file_id,
                end: Position {
                    source: file_id as usize,
                    offset,
                    lines: lines_before + lines,
                },
                first_line: lines_before,
                data: buf,
                formats,
                fallbacks: Arc::clone(&fallbacks),
                before,
                after,
            };
            if self.work_tx.send(chunk_msg).is_err() {
                return Ok(());
            }
            lines_before += lines;
            buf = rest;
        }
    }

    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq - 1
    }

    /// The format at the chunk's start, then each `#Fields:` change inside it.
    fn formats_in(&self, data: &[u8], current: &mut FormatRef) -> Result<Vec<(usize, FormatRef)>> {
        let mut out = vec![(0, Arc::clone(current))];
        if current.is_w3c().is_none() {
            return Ok(out);
        }
        for at in memchr::memmem::find_iter(data, b"#Fields:") {
            if at != 0 && data[at - 1] != b'\n' {
                continue;
            }
            let end = memchr::memchr(b'\n', &data[at..]).map_or(data.len(), |i| at + i);
            let line = &data[at..end];
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if let Some(fields) = w3c::fields_directive(line) {
                if fields == current.source {
                    continue;
                }
                let f = w3c::compile_fields(&current.name, fields)?;
                *current = Arc::new(f);
                out.push((at, Arc::clone(current)));
            }
        }
        Ok(out)
    }
}

fn write_rejects(
    out: &Mutex<Box<dyn Write + Send>>,
    name: &str,
    stats: &mut LineStats,
) -> Result<()> {
    let mut w = out
        .lock()
        .map_err(|_| Error::Internal("rejects writer poisoned".into()))?;
    let io = |e| Error::Io {
        name: "the rejected-lines file".into(),
        source: e,
    };
    for (line, reject, text) in stats.kept.drain(..) {
        write!(
            w,
            "{name}:{line}:{}\t{}\t",
            reject.column + 1,
            reject.reason.as_str()
        )
        .map_err(io)?;
        w.write_all(&text).map_err(io)?;
        w.write_all(b"\n").map_err(io)?;
    }
    Ok(())
}

/// Parses a whole in-memory text with one format (tests, fuzzing, check tools).
pub fn parse_bytes(format: &FormatRef, data: &[u8], rows: RowOptions) -> (RecordBatch, LineStats) {
    let chunk = Chunk {
        seq: 0,
        file_id: 0,
        end: Position::default(),
        first_line: 0,
        data: data.to_vec(),
        formats: vec![(0, Arc::clone(format))],
        fallbacks: Arc::new(Vec::new()),
        before: Vec::new(),
        after: Vec::new(),
    };
    let (batch, stats) = parse_chunk(&chunk, rows, false);
    (batch, stats)
}
