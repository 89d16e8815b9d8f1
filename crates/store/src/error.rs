//! Errors of the store crate.

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot write {what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read {what}: {source}")]
    Read {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("Arrow: {0}")]
    Arrow(#[from] arrow_schema::ArrowError),
    #[error("Parquet: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    #[error(
        "cannot read {path}: {detail}; the file was changed or damaged outside clickpath: \
         restore it from a backup, or ingest the logs again into a new dataset"
    )]
    Damaged {
        path: PathBuf,
        /// Said in the message, not as a cause after it (the advice comes last).
        detail: parquet::errors::ParquetError,
    },
    #[error("dataset {dir}: {problem}")]
    Dataset { dir: PathBuf, problem: String },
    #[error(
        "dataset {dir} is being written by another clickpath ({holder}); wait for it to finish, \
         or run the commands one after the other"
    )]
    Locked { dir: PathBuf, holder: String },
    #[error("internal error (a clickpath bug, please report it): {0}")]
    Internal(String),
}

impl Error {
    pub fn write(path: &Path, source: std::io::Error) -> Self {
        Error::Io {
            what: path.display().to_string(),
            source,
        }
    }

    pub fn read(path: &Path, source: std::io::Error) -> Self {
        Error::Read {
            what: path.display().to_string(),
            source,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
