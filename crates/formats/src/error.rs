//! Errors of the formats crate. Rejected lines are not errors (see [`crate::rejects`]); these
//! stop a command.

use std::path::PathBuf;

/// A preset that was tried on a file, with how far it got.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub preset: String,
    pub parsed: usize,
    pub sampled: usize,
    /// The first line it failed on: line number, reason, column and text.
    pub first_failure: Option<(u64, String, usize, String)>,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read {name}: {source}")]
    Io {
        name: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: is a directory; pass the files in it, e.g. '{path}/*.log'")]
    IsDirectory { path: PathBuf },
    #[error("{path}: the directory has no files to read")]
    EmptyDirectory { path: PathBuf },
    #[error("{pattern}: no file matches")]
    NoMatch { pattern: String },
    #[error("bad format line `{format}`: {reason}")]
    BadFormatString { format: String, reason: String },
    #[error(
        "unknown preset `{name}`; presets are: {known}. A format line (nginx log_format, Apache LogFormat or GoAccess specifiers) is also accepted"
    )]
    UnknownPreset { name: String, known: String },
    #[error(
        "{name}: a binary file (NUL bytes and no line in a known format), not a text access log; compressed logs are read when they are gzip, zstd, bzip2 or xz"
    )]
    Binary { name: String },
    #[error("{}", headerless_message(.name, *.fields, .candidates))]
    HeaderlessW3c {
        name: String,
        fields: usize,
        /// Known field lists that fit the values (empty: none fits).
        candidates: Vec<String>,
    },
    #[error("{}", unknown_format_message(.name, .attempts))]
    UnknownFormat {
        name: String,
        attempts: Vec<Attempt>,
    },
    /// The consumer of parsed batches failed (writing output).
    #[error("{0}")]
    Sink(Box<dyn std::error::Error + Send + Sync>),
    /// A bug in clickpath, not in the input.
    #[error("internal error (a clickpath bug, please report it): {0}")]
    Internal(String),
}

fn headerless_message(name: &str, fields: usize, candidates: &[String]) -> String {
    let mut s = format!(
        "{name}: a W3C extended log (IIS, CloudFront) without its #Fields: line, with {fields} fields per line; "
    );
    if candidates.is_empty() {
        s.push_str("no known field list fits its values.");
    } else {
        s.push_str("several field lists fit its values:");
        for c in candidates {
            s.push_str("\n  ");
            s.push_str(c);
        }
    }
    s.push_str(
        "\nPass the field list your server writes (the #Fields: line of another log file of it) with --format, e.g.\n  \
         --format '#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken'",
    );
    s
}

fn unknown_format_message(name: &str, attempts: &[Attempt]) -> String {
    use std::fmt::Write;
    let mut s = format!("{name}: unknown log format. Presets tried on the first lines:");
    let mut sorted: Vec<&Attempt> = attempts.iter().collect();
    sorted.sort_by_key(|a| std::cmp::Reverse(a.parsed));
    for a in sorted.iter().take(6) {
        let _ = write!(s, "\n  {:<16} {}/{} lines", a.preset, a.parsed, a.sampled);
        if let Some((line, reason, col, text)) = &a.first_failure {
            let shown: String = text.chars().take(120).collect();
            let _ = write!(
                s,
                "; line {line} col {}: {reason}: {}",
                col + 1,
                shown.escape_debug()
            );
        }
    }
    s.push_str(
        "\nPass the format line from your server config with --format, e.g.\n  \
         --format '$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent' (nginx)\n  \
         --format '%h %l %u %t \"%r\" %>s %b' (Apache)\n\
         or a preset name with --format (see `clickpath formats`).",
    );
    s
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
