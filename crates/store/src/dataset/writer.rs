//! Writing to a dataset: one writer at a time (a lock file), day files written under temporary
//! names, and commits that publish them with the new manifest in one rename.
//!
//! A commit: finish and fsync every day file, rename it to its final name, write the session
//! state, then write `manifest.json.tmp`, fsync it and rename it over `manifest.json`. The
//! manifest is the truth: a crash at any point leaves the previous manifest, and the files it
//! does not list (temporary or renamed) are removed when the next writer opens the dataset.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use clickpath_model::dataset_schema;
use parquet::arrow::ArrowWriter;
use parquet::file::writer::SerializedFileWriter;

use super::encode::{ColumnChunks, writer_properties};
use super::manifest::{DataFile, MANIFEST, Manifest};
use crate::{Error, Result};

pub const LOCK: &str = ".lock";
pub const REQUESTS: &str = "requests";
pub const STATE: &str = "state";
pub const EVENTS: &str = "events";
pub const SESSIONS: &str = "sessions";

/// Holds the dataset's write lock until dropped.
pub struct DatasetLock {
    _file: File,
}

impl DatasetLock {
    pub fn acquire(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|e| Error::write(dir, e))?;
        let path = dir.join(LOCK);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| Error::write(&path, e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let holder = std::fs::read_to_string(&path).unwrap_or_default();
                let holder = holder.trim();
                return Err(Error::Locked {
                    dir: dir.to_path_buf(),
                    holder: if holder.is_empty() {
                        "process unknown".into()
                    } else {
                        holder.into()
                    },
                });
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(Error::write(&path, e)),
        }
        file.set_len(0).map_err(|e| Error::write(&path, e))?;
        writeln!(file, "pid {}", std::process::id()).map_err(|e| Error::write(&path, e))?;
        Ok(Self { _file: file })
    }
}

fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::write(dir, e))
}

/// Writes `bytes` to `path` durably: temporary file, fsync, rename, fsync of the directory.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    let result = (|| {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::write(path, e));
    }
    sync_dir(path.parent().unwrap_or(Path::new(".")))
}

pub(crate) fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Removes what no manifest lists: temporary files and files of commits that did not finish.
pub(crate) fn remove_unlisted(dir: &Path, m: &Manifest) -> Result<usize> {
    let mut keep: std::collections::HashSet<PathBuf> = m
        .files
        .iter()
        .map(|f| dir.join(&f.path))
        .chain(m.retired.iter().map(|f| dir.join(&f.path)))
        .chain(m.events.iter().map(|f| dir.join(&f.path)))
        .chain(m.sessions.iter().map(|f| dir.join(&f.path)))
        .chain(m.open_sessions.iter().map(|f| dir.join(&f.path)))
        .collect();
    if let Some(s) = &m.session_state {
        keep.insert(dir.join(s));
    }
    let mut removed = 0;
    let mut dirs = vec![
        dir.join(REQUESTS),
        dir.join(STATE),
        dir.join(EVENTS),
        dir.join(SESSIONS),
    ];
    while let Some(d) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
            } else if !keep.contains(&p) {
                std::fs::remove_file(&p).map_err(|e| Error::write(&p, e))?;
                removed += 1;
            }
        }
    }
    let _ = std::fs::remove_file(dir.join(MANIFEST).with_extension("tmp"));
    Ok(removed)
}

struct DayFile {
    tmp: PathBuf,
    path: String,
    writer: SerializedFileWriter<BufWriter<File>>,
    rows: u64,
    min_seq: u64,
    max_seq: u64,
}

/// Day files being written for the next commit.
pub struct PendingCommit {
    dir: PathBuf,
    commit: u64,
    days: BTreeMap<String, DayFile>,
}

impl PendingCommit {
    pub fn new(dir: &Path, commit: u64) -> Self {
        Self {
            dir: dir.to_path_buf(),
            commit,
            days: BTreeMap::new(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.days.is_empty()
    }

    /// Appends one row group of rows `seqs` (first, last) to the file of `date`.
    pub fn append(
        &mut self,
        date: &str,
        seqs: (u64, u64),
        rows: u64,
        chunks: ColumnChunks,
    ) -> Result<()> {
        if !self.days.contains_key(date) {
            let rel = format!("{REQUESTS}/date={date}/part-{:08}.parquet", self.commit);
            let (tmp, out) = create_tmp(&self.dir.join(&rel))?;
            let (writer, _) =
                ArrowWriter::try_new(out, dataset_schema(), Some(writer_properties()))?
                    .into_serialized_writer()?;
            self.days.insert(
                date.to_owned(),
                DayFile {
                    tmp,
                    path: rel,
                    writer,
                    rows: 0,
                    min_seq: seqs.0,
                    max_seq: seqs.1,
                },
            );
        }
        let day = self.days.get_mut(date).expect("just inserted");
        let mut rg = day.writer.next_row_group()?;
        for chunk in chunks.into_sorted()? {
            chunk.append_to_row_group(&mut rg)?;
        }
        rg.close()?;
        day.rows += rows;
        day.min_seq = day.min_seq.min(seqs.0);
        day.max_seq = day.max_seq.max(seqs.1);
        Ok(())
    }

    /// Finishes the files durably under their final names; returns their manifest entries.
    pub fn finish(self) -> Result<Vec<DataFile>> {
        let mut out = Vec::new();
        let mut dirs = Vec::new();
        for (date, day) in self.days {
            let final_path = self.dir.join(&day.path);
            let bytes = close_and_rename(day.writer.into_inner()?, &day.tmp, &final_path)?;
            dirs.push(final_path.parent().expect("in a directory").to_path_buf());
            out.push(DataFile {
                path: day.path,
                date,
                rows: day.rows,
                bytes,
                min_seq: day.min_seq,
                max_seq: day.max_seq,
            });
        }
        if !out.is_empty() {
            // A commit of error-log events only has no day file (nor, at first, this folder).
            dirs.push(self.dir.join(REQUESTS));
        }
        for d in dirs {
            sync_dir(&d)?;
        }
        Ok(out)
    }
}

/// Parquet properties of the small tables (events, sessions): zstd level 1.
fn zstd_properties() -> parquet::file::properties::WriterProperties {
    parquet::file::properties::WriterProperties::builder()
        .set_compression(parquet::basic::Compression::ZSTD(
            parquet::basic::ZstdLevel::try_new(1).expect("valid level"),
        ))
        .build()
}

/// A Parquet file being written under a temporary name beside its final one.
pub(crate) struct ParquetTmp {
    tmp: PathBuf,
    path: PathBuf,
    writer: ArrowWriter<BufWriter<File>>,
}

impl ParquetTmp {
    /// Starts `path` (its folder made if need be) as `path.tmp`.
    pub(crate) fn create(
        path: PathBuf,
        schema: arrow_schema::SchemaRef,
        props: parquet::file::properties::WriterProperties,
    ) -> Result<Self> {
        let (tmp, out) = create_tmp(&path)?;
        let writer = ArrowWriter::try_new(out, schema, Some(props))?;
        Ok(Self { tmp, path, writer })
    }

    pub(crate) fn write(&mut self, batch: &arrow_array::RecordBatch) -> Result<()> {
        Ok(self.writer.write(batch)?)
    }

    /// Closes the file, fsyncs it and renames it to its final name (its folder is not synced:
    /// the caller syncs each folder once); its size.
    pub(crate) fn finish(self) -> Result<u64> {
        close_and_rename(self.writer.into_inner()?, &self.tmp, &self.path)
    }
}

/// The temporary file `path.tmp` beside `path` (its folder made if need be), buffered.
fn create_tmp(path: &Path) -> Result<(PathBuf, BufWriter<File>)> {
    let parent = path.parent().expect("in a directory");
    std::fs::create_dir_all(parent).map_err(|e| Error::write(parent, e))?;
    let tmp = path.with_extension("parquet.tmp");
    let file = File::create(&tmp).map_err(|e| Error::write(&tmp, e))?;
    Ok((tmp, BufWriter::with_capacity(1 << 20, file)))
}

/// The end of a Parquet file written as `tmp`: flushed, fsynced and renamed to `path` (its
/// folder is not synced: the caller syncs each folder once); its size.
fn close_and_rename(out: BufWriter<File>, tmp: &Path, path: &Path) -> Result<u64> {
    let file = out
        .into_inner()
        .map_err(|e| Error::write(tmp, e.into_error()))?;
    file.sync_all().map_err(|e| Error::write(tmp, e))?;
    let bytes = file.metadata().map_err(|e| Error::write(tmp, e))?.len();
    std::fs::rename(tmp, path).map_err(|e| Error::write(path, e))?;
    Ok(bytes)
}

/// Writes `batches` as the Parquet file `dir/rel` (zstd), durably under its final name; its size.
pub(crate) fn write_parquet(
    dir: &Path,
    rel: &str,
    schema: arrow_schema::SchemaRef,
    batches: &[arrow_array::RecordBatch],
) -> Result<u64> {
    let path = dir.join(rel);
    let parent = path.parent().expect("in a directory").to_path_buf();
    let mut w = ParquetTmp::create(path, schema, zstd_properties())?;
    for b in batches {
        w.write(b)?;
    }
    let bytes = w.finish()?;
    sync_dir(&parent)?;
    Ok(bytes)
}

/// Writes the events of one commit as `events/part-<commit>.parquet` (durably, under its final
/// name); the caller lists the entry in the manifest it then commits.
pub fn write_events(
    dir: &Path,
    commit: u64,
    batches: &[arrow_array::RecordBatch],
) -> Result<Option<super::manifest::EventFile>> {
    use arrow_array::cast::AsArray;
    use arrow_array::types::TimestampMicrosecondType;
    let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
    if rows == 0 {
        return Ok(None);
    }
    let (mut lo, mut hi) = (i64::MAX, i64::MIN);
    for b in batches {
        let local = b
            .column_by_name(clickpath_model::event::LOCAL_TIME)
            .ok_or_else(|| Error::Internal("an event batch without local_time".into()))?
            .as_primitive::<TimestampMicrosecondType>();
        for v in local.values() {
            lo = lo.min(*v);
            hi = hi.max(*v);
        }
    }
    let rel = format!("{EVENTS}/part-{commit:08}.parquet");
    let bytes = write_parquet(dir, &rel, clickpath_model::event_schema(), batches)?;
    Ok(Some(super::manifest::EventFile {
        path: rel,
        rows: rows as u64,
        bytes,
        min_local: lo,
        max_local: hi,
    }))
}

/// The sessions that close during one commit, written as they come (so that a commit's sessions
/// cost a row group's buffers, not their whole columns) to
/// `sessions/date=<date>/part-<commit>.parquet`, one file per local date of their start, under
/// temporary names until [`PendingSessions::finish`]; the caller lists the files in the manifest
/// it then commits.
pub struct PendingSessions {
    dir: PathBuf,
    commit: u64,
    days: BTreeMap<i32, SessionDay>,
}

struct SessionDay {
    rel: String,
    file: ParquetTmp,
    rows: u64,
}

impl PendingSessions {
    pub fn new(dir: &Path, commit: u64) -> Self {
        Self {
            dir: dir.to_path_buf(),
            commit,
            days: BTreeMap::new(),
        }
    }

    /// Appends a batch of the sessions schema.
    pub fn append(&mut self, batch: &arrow_array::RecordBatch) -> Result<()> {
        use arrow_array::cast::AsArray;
        use arrow_array::types::Date32Type;
        let dates = batch
            .column_by_name(clickpath_model::sessions::DATE)
            .ok_or_else(|| Error::Internal("a sessions batch without date".into()))?
            .as_primitive::<Date32Type>()
            .values();
        let mut days: Vec<i32> = dates.to_vec();
        days.sort_unstable();
        days.dedup();
        for &day in &days {
            let part = if days.len() == 1 {
                batch.clone()
            } else {
                let keep =
                    arrow_array::BooleanArray::from_iter(dates.iter().map(|&d| Some(d == day)));
                arrow_select::filter::filter_record_batch(batch, &keep)?
            };
            let d = match self.days.entry(day) {
                std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::btree_map::Entry::Vacant(e) => {
                    let date = clickpath_model::format_date(i64::from(day));
                    let rel = format!("{SESSIONS}/date={date}/part-{:08}.parquet", self.commit);
                    let file = ParquetTmp::create(
                        self.dir.join(&rel),
                        clickpath_model::sessions_schema(),
                        zstd_properties(),
                    )?;
                    e.insert(SessionDay { rel, file, rows: 0 })
                }
            };
            d.rows += part.num_rows() as u64;
            d.file.write(&part)?;
        }
        Ok(())
    }

    /// Closes the files under their final names (durably).
    pub fn finish(self) -> Result<Vec<super::manifest::SessionFile>> {
        let mut out = Vec::with_capacity(self.days.len());
        let mut dirs = Vec::new();
        for (day, d) in self.days {
            let bytes = d.file.finish()?;
            let path = self.dir.join(&d.rel);
            dirs.push(path.parent().expect("in a directory").to_path_buf());
            out.push(super::manifest::SessionFile {
                path: d.rel,
                date: clickpath_model::format_date(i64::from(day)),
                rows: d.rows,
                bytes,
            });
        }
        if !out.is_empty() {
            dirs.push(self.dir.join(SESSIONS));
        }
        for d in dirs {
            sync_dir(&d)?;
        }
        Ok(out)
    }
}

/// Writes the sessions open at this commit (a batch of the sessions schema) as
/// `sessions/open-<commit>.parquet`, lists it in `m` and retires the previous one (readers of an
/// earlier manifest may be reading it).
pub fn write_open_sessions(
    dir: &Path,
    m: &mut Manifest,
    batch: &arrow_array::RecordBatch,
) -> Result<()> {
    let rel = format!("{SESSIONS}/open-{:08}.parquet", m.commit);
    let bytes = write_parquet(
        dir,
        &rel,
        clickpath_model::sessions_schema(),
        std::slice::from_ref(batch),
    )?;
    let new = super::manifest::SessionFile {
        path: rel,
        date: String::new(),
        rows: batch.num_rows() as u64,
        bytes,
    };
    if let Some(old) = m.open_sessions.replace(new) {
        super::maintenance::retire(m, &[old.path], super::maintenance::KEEP_REPLACED_S);
    }
    Ok(())
}

/// Publishes `m` (whose `commit` is the new number) with its session state.
pub fn commit(dir: &Path, m: &mut Manifest, session_state: Option<&[u8]>) -> Result<()> {
    let old_state = m.session_state.clone();
    if let Some(state) = session_state {
        let rel = format!("{STATE}/sessions-{:08}.json", m.commit);
        let path = dir.join(&rel);
        std::fs::create_dir_all(dir.join(STATE)).map_err(|e| Error::write(&path, e))?;
        write_atomic(&path, state)?;
        m.session_state = Some(rel);
    }
    // Retired files whose readers have had their time go with this commit.
    let now = unix_now();
    let (expired, kept): (Vec<_>, Vec<_>) =
        m.retired.drain(..).partition(|f| f.delete_after <= now);
    m.retired = kept;
    let text = serde_json::to_vec_pretty(m).map_err(|e| Error::Internal(e.to_string()))?;
    write_atomic(&dir.join(MANIFEST), &text)?;
    for f in expired {
        let p = dir.join(&f.path);
        let _ = std::fs::remove_file(&p);
        if let Some(parent) = p.parent() {
            // Only empty day directories go.
            let _ = std::fs::remove_dir(parent);
        }
    }
    if let Some(old) = old_state
        && Some(&old) != m.session_state.as_ref()
    {
        let _ = std::fs::remove_file(dir.join(old));
    }
    Ok(())
}
