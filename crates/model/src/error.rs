//! Errors of the model crate.

use std::path::PathBuf;

/// What went wrong, phrased so the user knows what to do.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The secret used to pseudonymise client addresses could not be read or created.
    #[error(
        "cannot use the pseudonymisation secret {path}: {source} (set CLICKPATH_SECRET_FILE to a writable path)"
    )]
    Secret {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The secret file exists but does not hold 32 hex digits.
    #[error(
        "the pseudonymisation secret {path} is not 32 hex digits: delete it to create a new one (client keys will change)"
    )]
    BadSecret { path: PathBuf },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
