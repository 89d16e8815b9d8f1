//! Errors of the receiver: what stopped it and what to do.

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{path} is damaged: {message}; move the inbox aside to start a new one (what it held and was ingested stays in the dataset)"
    )]
    Damaged { path: PathBuf, message: String },
    #[error("cannot listen on {what} {addr}: {source} (is another receiver running there?)")]
    Listen {
        what: &'static str,
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
}

impl Error {
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        Error::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
