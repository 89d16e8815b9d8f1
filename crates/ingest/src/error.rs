//! Errors of an ingest: what stopped it and what to do.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Formats(#[from] clickpath_formats::Error),
    #[error(transparent)]
    Store(#[from] clickpath_store::Error),
    #[error(transparent)]
    Analytics(#[from] clickpath_analytics::Error),
    #[error("{}", settings_message(.dir, .setting, .dataset, .given))]
    Settings {
        dir: PathBuf,
        /// The flag or config key.
        setting: String,
        dataset: String,
        given: String,
    },
    #[error(
        "ingest reads files, which it must find again to resume; for stdin use `clickpath parse` or `clickpath report`"
    )]
    Stdin,
    #[error("{path} is damaged: {message}")]
    Damaged { path: PathBuf, message: String },
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("internal error (a clickpath bug, please report it): {0}")]
    Internal(String),
}

fn settings_message(dir: &std::path::Path, setting: &str, dataset: &str, given: &str) -> String {
    format!(
        "{} was ingested with {setting} {dataset}; this run asks for {given}. Sessions, page views \
         and channels are derived once, at ingest, so one dataset has one setting: leave the \
         option out (the dataset's is used), or ingest into another --data directory",
        dir.display()
    )
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
