//! Retention and compaction. Both take the write lock and commit a new manifest; the files it
//! no longer lists are retired, not deleted: they stay on disk for `keep_replaced` seconds, so a
//! reader that loaded the previous manifest (a running `serve`, a long `sql`) reads them to the
//! end and gives the same answer. The first commit after that deletes them.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::Path;

use clickpath_model::dataset_schema;

use super::encode::writer_properties;
use super::manifest::DataFile;
use super::manifest::{RetiredFile, SessionFile};
use super::reader::OrderedReader;
use super::writer::{ParquetTmp, REQUESTS, SESSIONS, commit, unix_now, write_parquet};
use crate::{Error, Result};

/// What a maintenance command changed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Changed {
    pub files_before: usize,
    pub files_after: usize,
    pub rows_removed: u64,
}

/// How long replaced files stay for readers, by default.
pub const KEEP_REPLACED_S: u64 = 3600;

/// Retires `files` for `keep_replaced_s` seconds; files retired before are kept at most that
/// long too (`--keep-replaced 0s` deletes them all now). True when the manifest changed.
pub(crate) fn retire(m: &mut super::Manifest, files: &[String], keep_replaced_s: u64) -> bool {
    let now = unix_now();
    let delete_after = now + keep_replaced_s;
    let mut changed = !files.is_empty();
    for f in &mut m.retired {
        if f.delete_after > delete_after {
            f.delete_after = delete_after;
        }
        changed |= f.delete_after <= now;
    }
    m.retired.extend(files.iter().map(|path| RetiredFile {
        path: path.clone(),
        delete_after,
    }));
    changed
}

/// Removes the days before `before` (`YYYY-MM-DD`), and the error-log event files whose events
/// are all older (their latest local date is before it).
pub fn prune(dir: &Path, before: &str, keep_replaced_s: u64) -> Result<Changed> {
    let (_lock, mut m, _) = super::open_for_write(dir, serde_json::Value::Null)?;
    let files_before = m.files.len();
    let (gone, kept): (Vec<DataFile>, Vec<DataFile>) =
        m.files.drain(..).partition(|f| f.date.as_str() < before);
    m.files = kept;
    let local_date = |micros: i64| {
        let mut t = String::new();
        clickpath_model::format_rfc3339_micros(micros, &mut t);
        t[..10].to_owned()
    };
    let (old_events, events): (Vec<_>, Vec<_>) = m
        .events
        .drain(..)
        .partition(|e| local_date(e.max_local).as_str() < before);
    m.events = events;
    let (old_sessions, sessions): (Vec<_>, Vec<_>) =
        m.sessions.drain(..).partition(|f| f.date.as_str() < before);
    m.sessions = sessions;
    if !gone.is_empty() || !old_sessions.is_empty() {
        m.pruned_before = Some(before.to_owned());
    }
    let changed = Changed {
        files_before,
        files_after: m.files.len(),
        rows_removed: gone.iter().map(|f| f.rows).sum(),
    };
    let gone: Vec<String> = gone
        .into_iter()
        .map(|f| f.path)
        .chain(old_events.into_iter().map(|e| e.path))
        .chain(old_sessions.into_iter().map(|f| f.path))
        .collect();
    if retire(&mut m, &gone, keep_replaced_s) {
        m.commit += 1;
        commit(dir, &mut m, None)?;
    }
    Ok(changed)
}

/// Rewrites every day held in more than one file as one file (rows stay in `seq` order).
pub fn compact(dir: &Path, keep_replaced_s: u64) -> Result<Changed> {
    let (_lock, mut m, _) = super::open_for_write(dir, serde_json::Value::Null)?;
    let files_before = m.files.len();
    let mut by_date: BTreeMap<String, Vec<DataFile>> = BTreeMap::new();
    for f in &m.files {
        by_date.entry(f.date.clone()).or_default().push(f.clone());
    }
    let commit_no = m.commit + 1;
    let schema = dataset_schema();
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    let mut replaced = Vec::new();
    let mut written = Vec::new();
    for (date, files) in by_date.into_iter().filter(|(_, f)| f.len() > 1) {
        let rel = format!("{REQUESTS}/date={date}/compact-{commit_no:08}.parquet");
        let props = writer_properties()
            .into_builder()
            .set_max_row_group_row_count(Some(128 * 1024))
            .build();
        let mut w = ParquetTmp::create(dir.join(&rel), dataset_schema(), props)?;
        let mut rows = 0;
        for batch in OrderedReader::new(dir, files.clone(), &names) {
            // Every column, in the files' (the schema's) order.
            let batch = batch?.with_schema(dataset_schema())?;
            rows += batch.num_rows() as u64;
            w.write(&batch)?;
        }
        let bytes = w.finish()?;
        written.push(DataFile {
            path: rel,
            date,
            rows,
            bytes,
            min_seq: files.iter().map(|f| f.min_seq).min().unwrap_or(0),
            max_seq: files.iter().map(|f| f.max_seq).max().unwrap_or(0),
        });
        replaced.extend(files);
    }
    m.files.retain(|f| !replaced.contains(f));
    m.files.extend(written);
    m.files.sort_by_key(|f| f.min_seq);
    let mut replaced: Vec<String> = replaced.into_iter().map(|f: DataFile| f.path).collect();
    replaced.extend(compact_sessions(dir, &mut m, commit_no)?);
    if retire(&mut m, &replaced, keep_replaced_s) {
        m.commit = commit_no;
        commit(dir, &mut m, None)?;
    }
    Ok(Changed {
        files_before,
        files_after: m.files.len(),
        rows_removed: 0,
    })
}

/// Rewrites the sessions of every date held in more than one file as one file; the replaced
/// files' paths.
fn compact_sessions(dir: &Path, m: &mut super::Manifest, commit_no: u64) -> Result<Vec<String>> {
    let mut by_date: BTreeMap<String, Vec<SessionFile>> = BTreeMap::new();
    for f in &m.sessions {
        by_date.entry(f.date.clone()).or_default().push(f.clone());
    }
    let mut replaced = Vec::new();
    for (date, files) in by_date.into_iter().filter(|(_, f)| f.len() > 1) {
        let mut batches = Vec::new();
        for f in &files {
            let path = dir.join(&f.path);
            let file = File::open(&path).map_err(|e| Error::read(&path, e))?;
            let reader =
                parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)?
                    .build()?;
            for b in reader {
                batches.push(b?);
            }
        }
        let rel = format!("{SESSIONS}/date={date}/compact-{commit_no:08}.parquet");
        let bytes = write_parquet(dir, &rel, clickpath_model::sessions_schema(), &batches)?;
        m.sessions.retain(|f| !files.contains(f));
        m.sessions.push(SessionFile {
            path: rel,
            date,
            rows: files.iter().map(|f| f.rows).sum(),
            bytes,
        });
        replaced.extend(files.into_iter().map(|f| f.path));
    }
    Ok(replaced)
}
