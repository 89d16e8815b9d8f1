//! The receiver's inbox (`DATA/inbox/`): what servers shipped, one file per kind of log
//! (access, error) with the server of each run of lines beside it, appended in arrival order
//! and made durable before anything is acknowledged. The dataset ingests these files like any log (each line once, by offset), so
//! a line acknowledged is never lost and never counted twice.
//!
//! A commit appends, fsyncs the files written, then replaces `inbox/state.json` (each file's
//! committed length and the ids of the batches committed) by an atomic rename. At start the
//! files are cut back to their committed length: a kill during a commit leaves bytes no one
//! was told were taken, and the retried batch writes them again. A batch whose commit finished
//! but whose reply was lost is known by its id and taken once.

use std::collections::{HashMap, HashSet, VecDeque};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clickpath_formats::input::Origins;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A file is closed for writing once it has this many bytes and was ingested whole.
pub const SEGMENT_BYTES: u64 = 64 << 20;
/// Batch ids are kept this long (a shipper's retries come within minutes) ...
const BATCH_ID_SECONDS: i64 = 24 * 3600;
/// ... and at most this many.
const BATCH_IDS: usize = 200_000;

const STATE: &str = "state.json";

/// Which log a line belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Access,
    Error,
}

impl Kind {
    /// Error-log lines (nginx's and Apache's) go apart: the dataset reads them as events.
    pub fn of(line: &[u8]) -> Kind {
        use clickpath_formats::errorlog::ErrorLogKind;
        if ErrorLogKind::Nginx.starts_event(line) || ErrorLogKind::Apache.starts_event(line) {
            Kind::Error
        } else {
            Kind::Access
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Kind::Access => "access",
            Kind::Error => "error",
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Segment {
    /// Relative to the inbox.
    file: String,
    kind: Kind,
    /// Bytes committed.
    len: u64,
    /// Lines committed.
    lines: u64,
    /// Bytes of its servers file (`<file>.servers`: `FIRST_LINE<TAB>SERVER` per run) committed.
    runs_len: u64,
    /// No longer written to (rotated, or its lines could not be read).
    #[serde(default)]
    closed: bool,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct State {
    segments: Vec<Segment>,
    /// Every server that shipped lines, in order of arrival.
    servers: Vec<String>,
    /// The number of the last file made (files are never renumbered, even once pruned).
    #[serde(default)]
    last_file: u64,
    /// (batch id, unix seconds committed), oldest first.
    batches: VecDeque<(String, i64)>,
}

/// A file of the inbox for the ingest, with the server of each of its lines.
#[derive(Clone, Debug)]
pub struct SpooledFile {
    pub path: PathBuf,
    pub kind: Kind,
    pub len: u64,
    pub origins: Arc<Origins>,
}

/// What a segment holds beyond its last commit.
struct Pending {
    len: u64,
    lines: u64,
    runs: Vec<(u64, Arc<str>)>,
    runs_bytes: Vec<u8>,
}

pub struct Spool {
    dir: PathBuf,
    state: State,
    batch_ids: HashSet<String>,
    servers: HashSet<String>,
    /// The committed runs of each segment.
    runs: Vec<Vec<(u64, Arc<str>)>>,
    /// Open segment per kind: its index in `state.segments` and its file.
    open: HashMap<Kind, (usize, File)>,
    /// Segments written since the last commit.
    pending: HashMap<usize, Pending>,
}

fn runs_path(data: &Path) -> PathBuf {
    let mut p = data.as_os_str().to_owned();
    p.push(".servers");
    PathBuf::from(p)
}

/// Cuts `path` back to `len` bytes (what was committed).
fn cut(path: &Path, len: u64) -> Result<()> {
    let f = OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| Error::io(path, e))?;
    let on_disk = f.metadata().map_err(|e| Error::io(path, e))?.len();
    if on_disk > len {
        f.set_len(len).map_err(|e| Error::io(path, e))?;
        f.sync_all().map_err(|e| Error::io(path, e))?;
    } else if on_disk < len {
        return Err(Error::Damaged {
            path: path.to_path_buf(),
            message: format!("{on_disk} bytes where {len} were committed (was the inbox edited?)"),
        });
    }
    Ok(())
}

fn read_runs(path: &Path, len: u64) -> Result<Vec<(u64, Arc<str>)>> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let text = String::from_utf8_lossy(&bytes[..(len as usize).min(bytes.len())]).into_owned();
    let mut runs = Vec::new();
    for line in text.lines() {
        let parsed = line
            .split_once('\t')
            .and_then(|(n, server)| Some((n.parse().ok()?, Arc::from(server))));
        match parsed {
            Some(run) => runs.push(run),
            None => {
                return Err(Error::Damaged {
                    path: path.to_path_buf(),
                    message: format!("`{line}` is not FIRST_LINE<TAB>SERVER"),
                });
            }
        }
    }
    Ok(runs)
}

impl Spool {
    /// Opens (or creates) the inbox at `dir`, cutting every file back to its committed length
    /// and removing files no commit listed.
    pub fn open(dir: &Path) -> Result<Spool> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let path = dir.join(STATE);
        let mut state: State = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| Error::Damaged {
                path: path.clone(),
                message: e.to_string(),
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => State::default(),
            Err(e) => return Err(Error::io(&path, e)),
        };
        let mut listed = HashSet::new();
        let mut runs = Vec::new();
        for s in &state.segments {
            let data = dir.join(&s.file);
            cut(&data, s.len)?;
            let r = runs_path(&data);
            cut(&r, s.runs_len)?;
            runs.push(read_runs(&r, s.runs_len)?);
            listed.insert(data);
            listed.insert(r);
        }
        // Files of a first commit that did not finish.
        for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
            let p = entry.map_err(|e| Error::io(dir, e))?.path();
            let ours = p.extension().is_some_and(|e| e == "log" || e == "servers");
            if ours && !listed.contains(&p) {
                std::fs::remove_file(&p).map_err(|e| Error::io(&p, e))?;
            }
        }
        // Never a name in use (a state written before files were numbered apart).
        let numbers = state.segments.iter().filter_map(|s| {
            s.file
                .strip_suffix(".log")?
                .rsplit('.')
                .next()?
                .parse::<u64>()
                .ok()
        });
        state.last_file = numbers.fold(state.last_file, u64::max);
        let batch_ids = state.batches.iter().map(|(id, _)| id.clone()).collect();
        let servers = state.servers.iter().cloned().collect();
        Ok(Spool {
            dir: dir.to_path_buf(),
            state,
            batch_ids,
            servers,
            runs,
            open: HashMap::new(),
            pending: HashMap::new(),
        })
    }

    /// Whether a batch of this id was committed (within the last day).
    pub fn has_batch(&self, id: &str) -> bool {
        self.batch_ids.contains(id)
    }

    /// Servers that shipped lines.
    pub fn servers(&self) -> usize {
        self.servers.len()
    }

    pub fn has_server(&self, server: &str) -> bool {
        self.servers.contains(server)
    }

    /// Appends whole lines (each ending in a newline) that `server` wrote to its `kind` log;
    /// durable and visible to the ingest only after [`Spool::commit`]. All servers' lines go
    /// to one file per kind, in arrival order: a visitor moving between servers is read in the
    /// order of their requests.
    pub fn append(&mut self, server: &str, kind: Kind, lines: &[u8]) -> Result<()> {
        debug_assert!(lines.is_empty() || lines.ends_with(b"\n"));
        if !self.open.contains_key(&kind) {
            let index = match self
                .state
                .segments
                .iter()
                .rposition(|s| s.kind == kind && !s.closed)
            {
                Some(i) => i,
                None => self.new_segment(kind),
            };
            let p = self.dir.join(&self.state.segments[index].file);
            let f = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&p)
                .map_err(|e| Error::io(&p, e))?;
            self.open.insert(kind, (index, f));
        }
        let (index, file) = self.open.get_mut(&kind).expect("opened above");
        let index = *index;
        let seg = &self.state.segments[index];
        let data = self.dir.join(&seg.file);
        file.write_all(lines).map_err(|e| Error::io(&data, e))?;
        let committed = &self.runs[index];
        let p = self.pending.entry(index).or_insert_with(|| Pending {
            len: seg.len,
            lines: seg.lines,
            runs: Vec::new(),
            runs_bytes: Vec::new(),
        });
        let last = p.runs.last().or(committed.last()).map(|(_, s)| s.as_ref());
        if last != Some(server) {
            let first = p.lines + 1;
            p.runs.push((first, Arc::from(server)));
            p.runs_bytes
                .extend_from_slice(format!("{first}\t{server}\n").as_bytes());
        }
        p.len += lines.len() as u64;
        p.lines += memchr::memchr_iter(b'\n', lines).count() as u64;
        if self.servers.insert(server.to_string()) {
            self.state.servers.push(server.to_string());
        }
        Ok(())
    }

    fn new_segment(&mut self, kind: Kind) -> usize {
        self.state.last_file += 1;
        self.state.segments.push(Segment {
            file: format!("{}.{}.log", kind.as_str(), self.state.last_file),
            kind,
            len: 0,
            lines: 0,
            runs_len: 0,
            closed: false,
        });
        self.runs.push(Vec::new());
        self.state.segments.len() - 1
    }

    /// Makes what was appended durable, with the ids of the batches it holds. `now` is unix
    /// seconds (ids older than a day are forgotten).
    pub fn commit(&mut self, batches: &[String], now: i64) -> Result<()> {
        if self.pending.is_empty() && batches.is_empty() {
            return Ok(());
        }
        for (index, p) in std::mem::take(&mut self.pending) {
            let seg = &mut self.state.segments[index];
            let data = self.dir.join(&seg.file);
            if let Some((_, f)) = self.open.get(&seg.kind) {
                f.sync_data().map_err(|e| Error::io(&data, e))?;
            }
            let r = runs_path(&data);
            let mut rf = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&r)
                .map_err(|e| Error::io(&r, e))?;
            rf.write_all(&p.runs_bytes).map_err(|e| Error::io(&r, e))?;
            rf.sync_data().map_err(|e| Error::io(&r, e))?;
            seg.len = p.len;
            seg.lines = p.lines;
            seg.runs_len += p.runs_bytes.len() as u64;
            self.runs[index].extend(p.runs);
        }
        for id in batches {
            if self.batch_ids.insert(id.clone()) {
                self.state.batches.push_back((id.clone(), now));
            }
        }
        while let Some((id, at)) = self.state.batches.front() {
            if self.state.batches.len() <= BATCH_IDS && *at >= now - BATCH_ID_SECONDS {
                break;
            }
            self.batch_ids.remove(id);
            self.state.batches.pop_front();
        }
        self.save()
    }

    /// Saves the state (also after [`Spool::close`], with nothing to commit).
    pub fn save(&self) -> Result<()> {
        let path = self.dir.join(STATE);
        let tmp = self.dir.join("state.json.tmp");
        let bytes = serde_json::to_vec(&self.state).map_err(|e| Error::Damaged {
            path: path.clone(),
            message: e.to_string(),
        })?;
        let mut f = File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
        f.write_all(&bytes).map_err(|e| Error::io(&tmp, e))?;
        f.sync_all().map_err(|e| Error::io(&tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| Error::io(&path, e))?;
        File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| Error::io(&self.dir, e))
    }

    #[cfg(test)]
    fn files(&self) -> Vec<SpooledFile> {
        self.files_where(|_, _| true)
    }

    /// The committed files for which `wanted(path, committed length)` holds, for the ingest
    /// (their servers are copied only for those).
    pub fn files_where(&self, wanted: impl Fn(&Path, u64) -> bool) -> Vec<SpooledFile> {
        self.state
            .segments
            .iter()
            .zip(&self.runs)
            .filter_map(|(s, runs)| {
                let path = self.dir.join(&s.file);
                (s.len > 0 && wanted(&path, s.len)).then(|| SpooledFile {
                    path,
                    kind: s.kind,
                    len: s.len,
                    origins: Arc::new(Origins::new(runs.clone())),
                })
            })
            .collect()
    }

    /// Stops writing to the file at `path` (its lines could not be read, or it is full): the
    /// next lines of its kind start a new file. Call between commits; saved by the next commit or [`Spool::save`].
    pub fn close(&mut self, path: &Path) {
        debug_assert!(self.pending.is_empty());
        if let Some(i) = self
            .state
            .segments
            .iter()
            .position(|s| self.dir.join(&s.file) == path)
        {
            let s = &mut self.state.segments[i];
            s.closed = true;
            self.open.remove(&s.kind);
        }
    }

    /// Deletes the closed files that `ingested` says the dataset has read whole and that were
    /// last written before `before` (a time): their lines are in the dataset. Call between
    /// commits. Returns the paths deleted (the state is saved when there are any).
    pub fn prune(
        &mut self,
        before: std::time::SystemTime,
        ingested: impl Fn(&Path, u64) -> bool,
    ) -> Result<Vec<PathBuf>> {
        debug_assert!(self.pending.is_empty());
        let mut gone = Vec::new();
        let mut keep = Vec::new();
        let mut runs = Vec::new();
        for (seg, r) in std::mem::take(&mut self.state.segments)
            .into_iter()
            .zip(std::mem::take(&mut self.runs))
        {
            let data = self.dir.join(&seg.file);
            let old = std::fs::metadata(&data)
                .and_then(|m| m.modified())
                .is_ok_and(|t| t < before);
            if seg.closed && old && ingested(&data, seg.len) {
                gone.push(data);
            } else {
                keep.push(seg);
                runs.push(r);
            }
        }
        self.state.segments = keep;
        self.runs = runs;
        if gone.is_empty() {
            return Ok(gone);
        }
        // Indexes moved: the open files are opened again when next written.
        self.open.clear();
        self.save()?;
        for data in &gone {
            for p in [data.clone(), runs_path(data)] {
                match std::fs::remove_file(&p) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(Error::io(&p, e)),
                }
            }
        }
        Ok(gone)
    }

    /// Open files at least [`SEGMENT_BYTES`] long.
    pub fn full(&self) -> Vec<PathBuf> {
        self.state
            .segments
            .iter()
            .filter(|s| !s.closed && s.len >= SEGMENT_BYTES)
            .map(|s| self.dir.join(&s.file))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(f: &SpooledFile) -> String {
        std::fs::read_to_string(&f.path).unwrap()
    }

    #[test]
    fn a_kill_during_a_commit_cuts_the_file_back_and_the_retry_writes_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Spool::open(dir.path()).unwrap();
        s.append("web-1", Kind::Access, b"a\nb\n").unwrap();
        s.commit(&["batch-1".into()], 100).unwrap();
        // Appended, then killed before the commit: nobody was told these lines were taken.
        s.append("web-2", Kind::Access, b"c\n").unwrap();
        drop(s);
        let mut s = Spool::open(dir.path()).unwrap();
        assert_eq!(read(&s.files()[0]), "a\nb\n");
        assert_eq!(s.servers(), 1);
        // The shipper retries both batches: the first is known, the second is new.
        assert!(s.has_batch("batch-1"));
        assert!(!s.has_batch("batch-2"));
        s.append("web-2", Kind::Access, b"c\n").unwrap();
        s.commit(&["batch-2".into()], 101).unwrap();
        drop(s);
        let s = Spool::open(dir.path()).unwrap();
        let f = &s.files()[0];
        assert_eq!(read(f), "a\nb\nc\n");
        assert_eq!(f.origins.at(2).map(|s| s.as_ref()), Some("web-1"));
        assert_eq!(f.origins.at(3).map(|s| s.as_ref()), Some("web-2"));
        assert!(s.has_batch("batch-2"));
    }

    #[test]
    fn a_first_file_never_committed_is_removed() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Spool::open(dir.path()).unwrap();
        s.append("web-1", Kind::Access, b"a\n").unwrap();
        drop(s);
        let s = Spool::open(dir.path()).unwrap();
        assert!(s.files().is_empty());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn servers_interleave_in_one_file_per_kind_and_a_closed_file_is_not_written() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Spool::open(dir.path()).unwrap();
        s.append("web-1", Kind::Access, b"a\n").unwrap();
        s.append("web-2", Kind::Access, b"b\nc\n").unwrap();
        s.append("web-1", Kind::Error, b"e\n").unwrap();
        s.append("web-1", Kind::Access, b"d\n").unwrap();
        s.commit(&[], 1).unwrap();
        let files = s.files();
        assert_eq!(files.len(), 2);
        let who = |f: &SpooledFile, line| f.origins.at(line).map(|s| s.to_string());
        assert_eq!(read(&files[0]), "a\nb\nc\nd\n");
        assert_eq!(
            (1..=4)
                .map(|l| who(&files[0], l).unwrap())
                .collect::<Vec<_>>(),
            ["web-1", "web-2", "web-2", "web-1"]
        );
        assert_eq!(who(&files[1], 1).as_deref(), Some("web-1"));
        s.close(&files[0].path.clone());
        s.append("web-1", Kind::Access, b"f\n").unwrap();
        s.commit(&[], 2).unwrap();
        let files = s.files();
        assert_eq!(files.len(), 3);
        assert_eq!(read(&files[0]), "a\nb\nc\nd\n");
        assert_eq!(read(&files[2]), "f\n");
        assert_eq!(who(&files[2], 1).as_deref(), Some("web-1"));
    }

    #[test]
    fn pruning_deletes_closed_old_files_the_dataset_has_read_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Spool::open(dir.path()).unwrap();
        s.append("web-1", Kind::Access, b"a\n").unwrap();
        s.append("web-1", Kind::Error, b"e\n").unwrap();
        s.commit(&[], 1).unwrap();
        let first = s.files()[0].path.clone();
        s.close(&first);
        s.append("web-2", Kind::Access, b"b\n").unwrap();
        s.commit(&[], 2).unwrap();
        let later = std::time::SystemTime::now() + std::time::Duration::from_secs(60);
        // Not read whole by the dataset: kept.
        assert!(s.prune(later, |_, _| false).unwrap().is_empty());
        assert_eq!(first.file_name().unwrap(), "access.1.log");
        // Read whole, but written after the cut: kept.
        let long_ago = std::time::SystemTime::UNIX_EPOCH;
        assert!(s.prune(long_ago, |_, _| true).unwrap().is_empty());
        // Closed, old and read: deleted, with its servers file; the open ones stay.
        assert_eq!(s.prune(later, |_, _| true).unwrap(), vec![first.clone()]);
        assert!(!first.exists() && !runs_path(&first).exists());
        s.append("web-2", Kind::Access, b"c\n").unwrap();
        s.commit(&[], 3).unwrap();
        drop(s);
        let s = Spool::open(dir.path()).unwrap();
        let files = s.files();
        assert_eq!(files.len(), 2);
        assert_eq!(read(&files[0]), "e\n");
        assert_eq!(read(&files[1]), "b\nc\n");
        // Never the name of a pruned file again.
        assert_eq!(files[1].path.file_name().unwrap(), "access.3.log");
        assert_eq!(files[1].origins.at(2).map(|s| s.as_ref()), Some("web-2"));
    }

    #[test]
    fn batch_ids_are_forgotten_after_a_day() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Spool::open(dir.path()).unwrap();
        s.commit(&["old".into()], 0).unwrap();
        s.commit(&["new".into()], BATCH_ID_SECONDS + 1).unwrap();
        assert!(!s.has_batch("old"));
        assert!(s.has_batch("new"));
    }
}
