//! Inputs: files, globs, stdin; decompression by content; rotated sets oldest first.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, Result};

/// One input stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    /// What messages call it: the path, or `-` for stdin.
    pub name: String,
    /// `None` for stdin.
    pub path: Option<PathBuf>,
    /// Which server wrote which lines, for a file several servers shipped to
    /// (`clickpath receive`).
    pub origins: Option<Arc<Origins>>,
    /// The file as opened by [`Source::pin`]: every later read is of that file, even once
    /// its name is another file's (a log rotated between two reads).
    pinned: Option<Pinned>,
}

/// An open file shared by the clones of a [`Source`]; equal only to itself.
#[derive(Clone, Debug)]
struct Pinned(Arc<File>);

impl PartialEq for Pinned {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for Pinned {}

/// The server of each run of lines of a file that servers shipped to, by the run's first line
/// number (1-based).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Origins {
    runs: Vec<(u64, Arc<str>)>,
}

impl Origins {
    /// `runs` in line order.
    pub fn new(runs: Vec<(u64, Arc<str>)>) -> Self {
        Self { runs }
    }

    /// The server of line `line`.
    pub fn at(&self, line: u64) -> Option<&Arc<str>> {
        let i = self.runs.partition_point(|(first, _)| *first <= line);
        i.checked_sub(1).map(|i| &self.runs[i].1)
    }
}

impl Source {
    pub fn stdin() -> Self {
        Self {
            name: "-".into(),
            path: None,
            origins: None,
            pinned: None,
        }
    }

    pub fn file(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        Self {
            name: path.display().to_string(),
            path: Some(path),
            origins: None,
            pinned: None,
        }
    }

    /// Opens the file now; every later read of this source (and of its clones) reads the
    /// file it was then, wherever it has been renamed since. An ingest pins its inputs,
    /// newest first, so that a rotation while it reads them cannot hand it the new file in
    /// the place of the old one, nor the new file before the old one's last lines. Stdin and
    /// directories (refused when read, [`Error::IsDirectory`]) are left as they are.
    pub fn pin(&mut self) -> std::io::Result<()> {
        if let Some(p) = &self.path
            && self.pinned.is_none()
        {
            let f = File::open(p)?;
            if !f.metadata()?.is_dir() {
                self.pinned = Some(Pinned(Arc::new(f)));
            }
        }
        Ok(())
    }

    /// The file, from its start: the pinned one, or opened by its path.
    pub fn reopen(&self) -> std::io::Result<File> {
        use std::io::{Seek, SeekFrom};
        match (&self.pinned, &self.path) {
            (Some(Pinned(f)), _) => {
                // A duplicate shares the offset; the reads of a source follow each other.
                let mut f = f.try_clone()?;
                f.seek(SeekFrom::Start(0))?;
                Ok(f)
            }
            (None, Some(p)) => File::open(p),
            (None, None) => Err(std::io::Error::other("stdin cannot be opened again")),
        }
    }

    /// Size on disk (compressed), for progress; 0 for stdin.
    pub fn len(&self) -> u64 {
        match &self.pinned {
            Some(Pinned(f)) => f.metadata().map_or(0, |m| m.len()),
            None => self
                .path
                .as_ref()
                .and_then(|p| std::fs::metadata(p).ok())
                .map_or(0, |m| m.len()),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Compression detected from the first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
    Bzip2,
    Xz,
}

impl Compression {
    pub fn sniff(head: &[u8]) -> Compression {
        match head {
            [0x1f, 0x8b, ..] => Compression::Gzip,
            [0x28, 0xb5, 0x2f, 0xfd, ..] => Compression::Zstd,
            [b'B', b'Z', b'h', ..] => Compression::Bzip2,
            [0xfd, b'7', b'z', b'X', b'Z', 0x00, ..] => Compression::Xz,
            _ => Compression::None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
            Compression::Bzip2 => "bzip2",
            Compression::Xz => "xz",
        }
    }
}

/// Counts bytes read from the underlying (compressed) stream, for progress.
struct Counting<R> {
    inner: R,
    counter: Option<Arc<AtomicU64>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(c) = &self.counter {
            c.fetch_add(n as u64, Ordering::Relaxed);
        }
        Ok(n)
    }
}

/// Opens a source and wraps it in the decoder its first bytes call for.
pub fn open(
    source: &Source,
    progress: Option<Arc<AtomicU64>>,
) -> Result<(Box<dyn Read + Send>, Compression)> {
    let io = |source_err| Error::Io {
        name: source.name.clone(),
        source: source_err,
    };
    let raw: Box<dyn Read + Send> = match &source.path {
        Some(p) => {
            if source.pinned.is_none() && p.is_dir() {
                return Err(Error::IsDirectory { path: p.clone() });
            }
            Box::new(source.reopen().map_err(io)?)
        }
        None => Box::new(stdin_reader()),
    };
    let mut buffered = BufReader::with_capacity(
        256 * 1024,
        Counting {
            inner: raw,
            counter: progress,
        },
    );
    let compression = Compression::sniff(buffered.fill_buf().map_err(io)?);
    let reader: Box<dyn Read + Send> = match compression {
        Compression::None => Box::new(buffered),
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(buffered)),
        Compression::Zstd => {
            Box::new(zstd::stream::read::Decoder::with_buffer(buffered).map_err(io)?)
        }
        Compression::Bzip2 => Box::new(bzip2::bufread::MultiBzDecoder::new(buffered)),
        Compression::Xz => Box::new(xz2::bufread::XzDecoder::new_multi_decoder(buffered)),
    };
    Ok((reader, compression))
}

/// Expands command-line arguments: `-` is stdin, globs are expanded, a directory stands for the
/// files in it (not hidden ones, not its subdirectories: `/var/log/nginx`), rotated sets are put
/// in age order (oldest first).
pub fn expand(args: &[String]) -> Result<Vec<Source>> {
    let mut out = Vec::new();
    for arg in args {
        if arg == "-" {
            out.push(Source::stdin());
            continue;
        }
        let path = Path::new(arg);
        if path.exists() || !arg.contains(['*', '?', '[']) {
            if path.is_dir() {
                out.extend(files_in(path)?.into_iter().map(Source::file));
            } else {
                out.push(Source::file(path));
            }
            continue;
        }
        let mut matched: Vec<PathBuf> = glob_paths(arg)?;
        if matched.is_empty() {
            return Err(Error::NoMatch {
                pattern: arg.clone(),
            });
        }
        matched.sort();
        out.extend(matched.into_iter().map(Source::file));
    }
    Ok(order_rotated(out))
}

/// The regular, not hidden files of a directory, by name.
fn files_in(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::Io {
        name: dir.display().to_string(),
        source: e,
    })?;
    let mut out: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    out.sort();
    if out.is_empty() {
        return Err(Error::EmptyDirectory { path: dir.into() });
    }
    Ok(out)
}

fn glob_paths(pattern: &str) -> Result<Vec<PathBuf>> {
    // A small glob: `*` and `?` in the last path component only.
    let path = Path::new(pattern);
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let pat = path.file_name().and_then(|f| f.to_str()).unwrap_or("");
    let entries = std::fs::read_dir(dir).map_err(|e| Error::Io {
        name: dir.display().to_string(),
        source: e,
    })?;
    let mut out = Vec::new();
    for e in entries.flatten() {
        if let Some(name) = e.file_name().to_str()
            && wildcard(pat.as_bytes(), name.as_bytes())
            && e.path().is_file()
        {
            out.push(if path.parent().is_some_and(|d| d.as_os_str().is_empty()) {
                PathBuf::from(name)
            } else {
                dir.join(name)
            });
        }
    }
    Ok(out)
}

fn wildcard(p: &[u8], s: &[u8]) -> bool {
    match (p.first(), s.first()) {
        (None, None) => true,
        (Some(b'*'), _) => wildcard(&p[1..], s) || (!s.is_empty() && wildcard(p, &s[1..])),
        (Some(b'?'), Some(_)) => wildcard(&p[1..], &s[1..]),
        (Some(a), Some(b)) if a == b => wildcard(&p[1..], &s[1..]),
        _ => false,
    }
}

/// Age rank of a file in its rotated set: `access.log.3.gz` < `access.log.1` <
/// `access.log-20240301` < `access.log` (oldest first).
fn rotation(name: &str) -> (String, (u8, i64)) {
    let mut base = name;
    for ext in [".gz", ".zst", ".bz2", ".xz"] {
        if let Some(b) = base.strip_suffix(ext) {
            base = b;
            break;
        }
    }
    if let Some((b, n)) = base.rsplit_once('.')
        && !n.is_empty()
        && n.len() <= 6
        && n.bytes().all(|c| c.is_ascii_digit())
    {
        return (b.to_owned(), (0, -n.parse::<i64>().unwrap_or(0)));
    }
    if let Some((b, d)) = base.rsplit_once('-')
        && (8..=10).contains(&d.len())
        && d.bytes().all(|c| c.is_ascii_digit())
    {
        return (b.to_owned(), (1, d.parse().unwrap_or(0)));
    }
    (base.to_owned(), (2, 0))
}

/// Sorts each rotated set oldest first; sets keep the order of their first appearance.
pub fn order_rotated(sources: Vec<Source>) -> Vec<Source> {
    type Rank = (u8, i64);
    let mut groups: Vec<(String, Vec<(Rank, Source)>)> = Vec::new();
    for s in sources {
        let (base, rank) = match &s.path {
            Some(p) => rotation(&p.to_string_lossy()),
            None => (String::from("-"), (2, 0)),
        };
        let base = if s.path.is_none() {
            format!("-{}", groups.len())
        } else {
            base
        };
        match groups.iter_mut().find(|(b, _)| *b == base) {
            Some((_, v)) => v.push((rank, s)),
            None => groups.push((base, vec![(rank, s)])),
        }
    }
    groups
        .into_iter()
        .flat_map(|(_, mut v)| {
            v.sort_by_key(|(rank, _)| *rank);
            v.into_iter().map(|(_, s)| s)
        })
        .collect()
}

/// Bytes of a file's head [`fingerprint`] reads at most.
const FINGERPRINT_BYTES: u64 = 1 << 20;

/// What identifies a log file whatever it is called or compressed with: a hash of its first
/// lines (decompressed) up to and including the first line that is not a `#` comment, so that
/// W3C headers, which repeat from file to file, are not enough. A rotated file (renamed,
/// compressed, or copied by copytruncate) keeps its fingerprint; a new file gets another one
/// because its first request has another time. `None` while no such line is complete. Also
/// returns the file's compression.
pub fn fingerprint(source: &Source) -> Result<(Option<String>, Compression)> {
    use std::hash::Hasher;
    let (r, compression) = open(source, None)?;
    let mut head = Vec::new();
    r.take(FINGERPRINT_BYTES)
        .read_to_end(&mut head)
        .map_err(|e| Error::Io {
            name: source.name.clone(),
            source: e,
        })?;
    let mut start = 0;
    while let Some(i) = memchr::memchr(b'\n', &head[start..]) {
        let line = &head[start..start + i];
        start += i + 1;
        if !line.starts_with(b"#") && !line.iter().all(u8::is_ascii_whitespace) {
            let mut h = siphasher::sip128::SipHasher13::new();
            // A receiver's inbox files start with whatever line arrived first, which another
            // of its files may have started with too: their file name is part of who they are.
            if source.origins.is_some()
                && let Some(name) = source.path.as_ref().and_then(|p| p.file_name())
            {
                h.write(name.as_encoded_bytes());
                h.write_u8(0);
            }
            h.write(&head[..start]);
            let hex = format!(
                "{:032x}",
                siphasher::sip128::Hasher128::finish128(&h).as_u128()
            );
            return Ok((Some(hex), compression));
        }
    }
    Ok((None, compression))
}

/// Bytes already read from stdin to look at them (`sniff_error_log`), given back first.
static STDIN_HEAD: std::sync::Mutex<Vec<u8>> = std::sync::Mutex::new(Vec::new());

/// Stdin, with what was read of it to look at it first.
fn stdin_reader() -> impl Read + Send {
    let head = std::mem::take(&mut *STDIN_HEAD.lock().unwrap_or_else(|e| e.into_inner()));
    std::io::Cursor::new(head).chain(std::io::stdin())
}

/// Whether a file is a server error log, from its first lines (stdin's first 64 KiB are read
/// and kept for its reader). Commands read error logs before access logs, so that the events
/// are there when the responses they explain are read.
pub fn sniff_error_log(source: &Source) -> Option<crate::errorlog::ErrorLogKind> {
    if source.path.is_none() {
        let mut raw = Vec::new();
        stdin_reader().take(64 * 1024).read_to_end(&mut raw).ok()?;
        *STDIN_HEAD.lock().unwrap_or_else(|e| e.into_inner()) = raw.clone();
        let decoded: Box<dyn Read> = match Compression::sniff(&raw) {
            Compression::None => Box::new(std::io::Cursor::new(raw)),
            Compression::Gzip => {
                Box::new(flate2::read::MultiGzDecoder::new(std::io::Cursor::new(raw)))
            }
            Compression::Zstd => {
                Box::new(zstd::stream::read::Decoder::new(std::io::Cursor::new(raw)).ok()?)
            }
            Compression::Bzip2 => {
                Box::new(bzip2::read::MultiBzDecoder::new(std::io::Cursor::new(raw)))
            }
            Compression::Xz => Box::new(xz2::read::XzDecoder::new_multi_decoder(
                std::io::Cursor::new(raw),
            )),
        };
        return error_log_head(decoded);
    }
    let (r, _) = open(source, None).ok()?;
    error_log_head(r)
}

fn error_log_head(r: impl Read) -> Option<crate::errorlog::ErrorLogKind> {
    let mut head = Vec::new();
    // What was read before an error (a compressed head cut short) is enough to look at.
    let _ = r.take(64 * 1024).read_to_end(&mut head);
    let end = memchr::memrchr(b'\n', &head).map_or(head.len(), |i| i);
    let lines: Vec<&[u8]> = head[..end]
        .split(|&c| c == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
        .take(200)
        .collect();
    crate::errorlog::detect(&lines).map(|(k, _)| k)
}

/// Error logs first, each group in its given order.
pub fn error_logs_first(sources: Vec<Source>) -> Vec<Source> {
    let (errors, access): (Vec<Source>, Vec<Source>) = sources
        .into_iter()
        .partition(|s| sniff_error_log(s).is_some());
    errors.into_iter().chain(access).collect()
}

/// The text of the given lines (1-based) of a file, read again (at most 8 KiB each; lossy
/// UTF-8). Lines past the end, or a file that cannot be read, give nothing.
pub fn read_lines(
    source: &Source,
    lines: &std::collections::BTreeSet<u64>,
) -> std::collections::BTreeMap<u64, String> {
    let mut out = std::collections::BTreeMap::new();
    let Some(&last) = lines.last() else {
        return out;
    };
    let Ok((r, _)) = open(source, None) else {
        return out;
    };
    let mut r = BufReader::new(r);
    let mut buf = Vec::new();
    let mut n = 0u64;
    while n < last {
        buf.clear();
        match r.read_until(b'\n', &mut buf) {
            Ok(0) | Err(_) => break,
            Ok(_) => n += 1,
        }
        if lines.contains(&n) {
            let line = buf.strip_suffix(b"\n").unwrap_or(&buf);
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let text = String::from_utf8_lossy(&line[..line.len().min(8 << 10)]).into_owned();
            out.insert(n, text);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[Source]) -> Vec<&str> {
        v.iter().map(|s| s.name.as_str()).collect()
    }

    #[test]
    fn rotated_sets_are_read_oldest_first() {
        let given = [
            "a/access.log",
            "a/access.log.1",
            "a/access.log.10.gz",
            "a/access.log.2.gz",
            "other.log",
            "a/access.log.9",
        ];
        let sorted = order_rotated(given.iter().map(Source::file).collect());
        assert_eq!(
            names(&sorted),
            [
                "a/access.log.10.gz",
                "a/access.log.9",
                "a/access.log.2.gz",
                "a/access.log.1",
                "a/access.log",
                "other.log"
            ]
        );
        let dated = ["x.log", "x.log-20240302", "x.log-20240301.gz"];
        let sorted = order_rotated(dated.iter().map(Source::file).collect());
        assert_eq!(
            names(&sorted),
            ["x.log-20240301.gz", "x.log-20240302", "x.log"]
        );
    }

    #[test]
    fn wildcards() {
        assert!(wildcard(b"access.log*", b"access.log.2.gz"));
        assert!(wildcard(b"*.log", b"a.log"));
        assert!(!wildcard(b"*.log", b"a.log.1"));
        assert!(wildcard(b"a?c", b"abc"));
    }

    #[test]
    fn compression_is_sniffed_from_content() {
        assert_eq!(Compression::sniff(&[0x1f, 0x8b, 8]), Compression::Gzip);
        assert_eq!(
            Compression::sniff(&[0x28, 0xb5, 0x2f, 0xfd]),
            Compression::Zstd
        );
        assert_eq!(Compression::sniff(b"BZh91AY"), Compression::Bzip2);
        assert_eq!(
            Compression::sniff(&[0xfd, b'7', b'z', b'X', b'Z', 0]),
            Compression::Xz
        );
        assert_eq!(Compression::sniff(b"127.0.0.1 - -"), Compression::None);
    }
}
