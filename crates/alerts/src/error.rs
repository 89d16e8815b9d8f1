//! What can go wrong with alerts, and what the user can do about it.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("alerts config: {0}")]
    Config(String),
    #[error(
        "`{spec}` is not a receiver: {why} (webhook:URL, slack:URL, alertmanager:URL, smtp://user@host:587?to=ADDR, cmd:COMMAND)"
    )]
    Receiver { spec: String, why: String },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: damaged ({message}); move it away to start with an empty alert state", path.display())]
    Damaged { path: PathBuf, message: String },
    #[error("receiver {receiver}: {message}")]
    Delivery { receiver: String, message: String },
    #[error("`{0}` is not a silence matcher like host=shop.example.com or alertname=error_burst")]
    Matcher(String),
}

pub type Result<T> = std::result::Result<T, Error>;

pub(crate) fn io(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_owned(),
        source,
    }
}
