//! `manifest.json`: the list of files that make up the dataset, where each source log was read
//! up to, and the session state. Replaced atomically (write, fsync, rename) by every commit:
//! a reader that loads it sees one consistent version.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

pub const MANIFEST: &str = "manifest.json";
pub const FORMAT: &str = "clickpath-dataset";
pub const VERSION: u32 = 1;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Always `clickpath-dataset`.
    pub format: String,
    pub version: u32,
    /// Number of the last commit (0: empty dataset).
    pub commit: u64,
    /// `seq` of the next request.
    pub next_seq: u64,
    /// What the derived columns were computed with (session rules, visitor key, page rules).
    pub settings: serde_json::Value,
    /// Data files, oldest commit first.
    pub files: Vec<DataFile>,
    /// Every log file ingested, by fingerprint.
    pub sources: Vec<SourceEntry>,
    /// Open sessions and robots.txt fetchers at the end of the last commit (relative path).
    pub session_state: Option<String>,
    /// Files compact or prune took out of the dataset, kept on disk for readers that loaded an
    /// earlier manifest until `delete_after` (docs/dataset.md, "Maintenance under readers").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub retired: Vec<RetiredFile>,
    /// Files of the `events` table (error-log events), one per commit that had any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<EventFile>,
    /// Files of the `sessions` table (the sessions closed in a commit, per local date of their
    /// start); the sessions still open are in the session state.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sessions: Vec<SessionFile>,
    /// The sessions open at the end of the last commit, as rows of the sessions table (each
    /// commit writes a new file and retires the one before).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_sessions: Option<SessionFile>,
    /// The dataset has kept the sessions table since its first commit (false for datasets
    /// written before it existed: their `sessions` table cannot be read).
    #[serde(default)]
    pub sessions_table: bool,
    /// The UTC offsets (minutes east) the ingested access lines printed, and how many did:
    /// error logs print none, and take the most common one.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub zones: std::collections::BTreeMap<i16, u64>,
    /// The latest date `prune` kept the days from (absent if it never ran): a session that
    /// began before it lost its first requests, and its row of the sessions table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pruned_before: Option<String>,
}

/// One Parquet file of the `sessions` table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionFile {
    pub path: String,
    /// Local date of every session's earliest request, `YYYY-MM-DD`.
    pub date: String,
    pub rows: u64,
    pub bytes: u64,
}

/// One Parquet file of the `events` table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventFile {
    pub path: String,
    pub rows: u64,
    pub bytes: u64,
    /// Local times (as printed, microseconds) of its first and last events.
    pub min_local: i64,
    pub max_local: i64,
}

/// A file no longer part of the dataset, deleted by the first commit after `delete_after`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetiredFile {
    pub path: String,
    /// Unix seconds.
    pub delete_after: u64,
}

/// One Parquet file of the `requests` table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataFile {
    /// Relative to the dataset directory, `/`-separated.
    pub path: String,
    /// Local date of every row, `YYYY-MM-DD`.
    pub date: String,
    pub rows: u64,
    pub bytes: u64,
    pub min_seq: u64,
    pub max_seq: u64,
}

/// One log file, whatever it is called now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceEntry {
    /// The `file_id` of its rows.
    pub id: u32,
    /// Hash of its first lines (see `clickpath_formats::input::fingerprint`).
    pub fingerprint: String,
    /// The name it had when last read, as given on the command line.
    pub name: String,
    /// Its absolute, canonical path when last read (drill-down reads lines back from it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Format it was read with.
    pub format: String,
    /// The format line of that format (a preset's or the user's), to read lines back.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub format_line: String,
    /// Decompressed bytes read (always at a line end).
    pub offset: u64,
    /// Lines read.
    pub lines: u64,
    /// Rows added to the dataset.
    pub requests: u64,
}

impl Manifest {
    pub fn empty(settings: serde_json::Value) -> Self {
        Self {
            format: FORMAT.into(),
            version: VERSION,
            settings,
            sessions_table: true,
            ..Self::default()
        }
    }

    /// Reads `DIR/manifest.json`; `None` when the directory holds no dataset yet.
    pub fn load(dir: &Path) -> Result<Option<Manifest>> {
        let path = dir.join(MANIFEST);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            // Nothing there, or a path under a file (the writer will say it cannot write).
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
                ) =>
            {
                return Ok(None);
            }
            Err(e) => return Err(Error::read(&path, e)),
        };
        let m: Manifest = serde_json::from_str(&text).map_err(|e| Error::Dataset {
            dir: dir.to_path_buf(),
            problem: format!("{MANIFEST} is not a clickpath manifest ({e})"),
        })?;
        if m.format != FORMAT || m.version != VERSION {
            return Err(Error::Dataset {
                dir: dir.to_path_buf(),
                problem: format!(
                    "{MANIFEST} is {} version {}; this clickpath reads {FORMAT} version {VERSION}",
                    m.format, m.version
                ),
            });
        }
        Ok(Some(m))
    }

    /// Files whose date is within `from..=to` (`YYYY-MM-DD`, either bound optional).
    pub fn files_between(&self, from: Option<&str>, to: Option<&str>) -> Vec<DataFile> {
        self.files
            .iter()
            .filter(|f| from.is_none_or(|d| f.date.as_str() >= d))
            .filter(|f| to.is_none_or(|d| f.date.as_str() <= d))
            .cloned()
            .collect()
    }

    pub fn rows(&self) -> u64 {
        self.files.iter().map(|f| f.rows).sum()
    }

    /// The zone most ingested access lines printed (minutes east).
    pub fn zone(&self) -> Option<i16> {
        self.zones
            .iter()
            .max_by_key(|&(z, n)| (*n, std::cmp::Reverse(*z)))
            .map(|(z, _)| *z)
    }
}
