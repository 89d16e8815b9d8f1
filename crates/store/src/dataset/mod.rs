//! The dataset: Parquet files of requests partitioned by local date, a manifest that says
//! which files count and how far every log was read, and the session state between ingests.
//! Layout and guarantees: docs/dataset.md.
//!
//! ```text
//! DIR/manifest.json                         the truth (replaced atomically)
//! DIR/requests/date=2026-11-29/part-00000007.parquet
//! DIR/state/sessions-00000007.json          open sessions at the end of commit 7
//! DIR/.lock                                 held by the one writer
//! ```

mod encode;
mod maintenance;
mod manifest;
mod reader;
mod writer;

pub use encode::ColumnChunks;
pub use maintenance::{Changed, KEEP_REPLACED_S, compact, prune};
pub use manifest::{
    DataFile, EventFile, MANIFEST, Manifest, RetiredFile, SessionFile, SourceEntry,
};
pub use reader::{Keep, OrderedReader, read_events, read_sessions};
pub use writer::{
    DatasetLock, PendingCommit, PendingSessions, commit, write_events, write_open_sessions,
};

use std::path::Path;

use crate::Result;

/// Opens a dataset for writing: takes the lock, loads the manifest (or starts an empty one with
/// `settings`), and removes files left by a writer that did not finish.
pub fn open_for_write(
    dir: &Path,
    settings: serde_json::Value,
) -> Result<(DatasetLock, Manifest, usize)> {
    let lock = DatasetLock::acquire(dir)?;
    let m = Manifest::load(dir)?.unwrap_or_else(|| Manifest::empty(settings));
    let removed = writer::remove_unlisted(dir, &m)?;
    Ok((lock, m, removed))
}

/// Loads the manifest for reading; an error that says what to do when there is none.
pub fn open_for_read(dir: &Path) -> Result<Manifest> {
    Manifest::load(dir)?.ok_or_else(|| crate::Error::Dataset {
        dir: dir.to_path_buf(),
        problem: "no dataset here (no manifest.json); create it with `clickpath ingest --data DIR FILE...`".into(),
    })
}
