//! Command-line flags.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "clickpath",
    version,
    about = "Access logs in, marketing answers out."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Normalised records out of any access log: NDJSON, CSV or Parquet.
    Parse(ParseArgs),
    /// Which format each file is in, how much of it parses, and why lines were rejected.
    CheckFormat(CheckArgs),
    /// The built-in format presets.
    Formats,
}

/// Flags shared by every command that reads logs.
#[derive(Args, Debug, Clone)]
pub struct InputArgs {
    /// Log files (plain, gzip, zstd, bzip2 or xz; globs; `-` for stdin). Rotated sets are read
    /// oldest first.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<String>,
    /// A preset name (see `clickpath formats`) or your server's format line: nginx
    /// `log_format`, Apache `LogFormat`, GoAccess `log-format`, or a W3C `#Fields:` line.
    /// Detected per file when absent.
    #[arg(long, short = 'f')]
    pub format: Option<String>,
    /// Parser threads (default: one per core).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Hide the progress bar.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Ndjson,
    Csv,
    Parquet,
}

#[derive(Args, Debug)]
pub struct ParseArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "ndjson")]
    pub to: OutputFormat,
    /// Output file (default: stdout).
    #[arg(long, short = 'o')]
    pub output: Option<PathBuf>,
    /// Keep client IP addresses (otherwise only a keyed pseudonymous `client` key is written).
    #[arg(long)]
    pub raw_ip: bool,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}
