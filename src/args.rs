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
    /// The traffic report: visitors, sessions, pages, journeys, channels, campaigns, devices,
    /// statuses and bots.
    Report(ReportArgs),
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
    /// Take the client from the first X-Forwarded-For address when the format logs it
    /// (`$http_x_forwarded_for`, `%{X-Forwarded-For}i`): sites behind a proxy or load balancer.
    #[arg(long)]
    pub client_from_forwarded_for: bool,
    /// Parser threads (default: one per core).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Write every rejected line, whole, to this file (`file:line:column<TAB>reason<TAB>line`).
    #[arg(long, value_name = "FILE")]
    pub rejects: Option<PathBuf>,
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

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum VisitorKeyArg {
    /// Client address and user agent.
    #[value(name = "ip+ua")]
    IpUa,
    /// Client address alone.
    Ip,
}

#[derive(Args, Debug)]
pub struct ReportArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Print the report as JSON (the contract in docs/report-json.md).
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// Write one CSV file per table into this directory.
    #[arg(long, value_name = "DIR")]
    pub csv: Option<PathBuf>,
    /// Rows per table.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
    /// Idle time that ends a session, e.g. `30m`, `900s`, `1h`.
    #[arg(long, default_value = "30m", value_parser = parse_duration)]
    pub session_timeout: i64,
    /// Start a new session at local midnight.
    #[arg(long)]
    pub split_at_midnight: bool,
    /// Start a new session when a page view brings another UTM campaign.
    #[arg(long)]
    pub split_on_campaign: bool,
    /// What identifies a visitor.
    #[arg(long, value_enum, default_value = "ip+ua")]
    pub visitor_key: VisitorKeyArg,
    /// The site's own host (repeatable); referrers from it are internal. Inferred when absent.
    #[arg(long = "site-host", value_name = "HOST")]
    pub site_hosts: Vec<String>,
    /// Path prefix of API calls, which are not page views (repeatable; default /api/).
    #[arg(long = "api-prefix", value_name = "PREFIX")]
    pub api_prefixes: Vec<String>,
    /// Show the pages visited after this one.
    #[arg(long, value_name = "PATH", default_value = "/")]
    pub next_from: String,
    /// Funnels, goals, site hosts and average order value (docs/funnels.md).
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// A funnel without a config file: `NAME:/step1,/step2,...` (path globs; repeatable).
    #[arg(long = "funnel", value_name = "NAME:PATHS")]
    pub funnels: Vec<String>,
    /// Countries from a MaxMind-format database (GeoLite2-Country.mmdb). Addresses are read in
    /// memory for the lookup and never written out.
    #[arg(long, value_name = "FILE.mmdb")]
    pub geoip: Option<PathBuf>,
}

/// `30m`, `900s`, `1h`, `1h30m` or plain seconds.
pub fn parse_duration(s: &str) -> Result<i64, String> {
    let bad = || format!("`{s}` is not a duration like 30m, 900s or 1h30m");
    if let Ok(n) = s.parse::<i64>() {
        return if n > 0 { Ok(n) } else { Err(bad()) };
    }
    let mut total = 0i64;
    let mut num = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let n: i64 = num.parse().map_err(|_| bad())?;
        num.clear();
        total += n * match c {
            'h' => 3600,
            'm' => 60,
            's' => 1,
            _ => return Err(bad()),
        };
    }
    if !num.is_empty() || total <= 0 {
        return Err(bad());
    }
    Ok(total)
}
