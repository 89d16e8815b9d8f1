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
    /// Adds logs to the dataset (Parquet, partitioned by day): only lines not ingested before,
    /// across appends, renames, compression and copytruncate rotation.
    Ingest(IngestArgs),
    /// SQL over the dataset (Apache DataFusion): tables requests, sessions, page_views and
    /// clickpath's functions (docs/sql.md).
    Sql(SqlArgs),
    /// Deletes the days older than a retention period from the dataset.
    Prune(PruneArgs),
    /// Rewrites each day held in several files as one file.
    Compact(CompactArgs),
    /// The dashboard: the report in the browser, with filters, drill-down to log lines and live
    /// refresh (`--follow`). Listens on 127.0.0.1:8080; other addresses need a login.
    Serve(ServeArgs),
    /// Who may log in to the dashboard, and read-only API tokens.
    #[command(subcommand)]
    User(UserCommand),
    /// The live dashboard in the terminal: panels of the report's figures, following the logs
    /// as they grow; filters, search, sorting and drill-down to log lines (docs/top.md).
    Top(TopArgs),
    /// Follows access and error logs as they grow and tells people about incidents while they
    /// happen: built-in rules, grouping, inhibition, silences, webhooks, e-mail, commands
    /// (docs/alerts.md).
    Watch(WatchArgs),
    /// Takes the logs of many servers over the network (syslog over UDP and TCP, HTTP posts
    /// as Vector and Fluent Bit send them) into the dataset, each line once, with its server
    /// (docs/shipping.md).
    Receive(ReceiveArgs),
    /// Silences, a test notification, and what the rules would have raised over history.
    #[command(subcommand)]
    Alerts(AlertsCommand),
}

#[derive(Args, Debug)]
pub struct TopArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Show this dataset (default when no FILE is given: the default dataset, as for ingest).
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// How often the files (or the dataset) are read again for new lines, in milliseconds.
    #[arg(long, default_value_t = 1000, value_name = "MS")]
    pub poll_ms: u64,
    /// Print one screen of this size (`80x24`) as text once the report is ready, and exit.
    #[arg(long, value_name = "COLSxROWS", value_parser = parse_size)]
    pub screen: Option<(u16, u16)>,
    #[command(flatten)]
    pub settings: ReportSettings,
    /// Countries for the log files given (see `ingest --geoip`).
    #[arg(long, value_name = "FILE.mmdb")]
    pub geoip: Option<PathBuf>,
}

/// `80x24` as (columns, rows).
fn parse_size(s: &str) -> Result<(u16, u16), String> {
    s.split_once('x')
        .and_then(|(w, h)| Some((w.parse().ok()?, h.parse().ok()?)))
        .filter(|&(w, h): &(u16, u16)| w >= 20 && h >= 8)
        .ok_or_else(|| format!("`{s}` is not a size like 80x24 (at least 20x8)"))
}

#[derive(Args, Debug)]
pub struct WatchArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// The dataset the logs are ingested into (exactly once, as `clickpath ingest` does).
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub state: AlertStateArg,
    /// A receiver (repeatable): `webhook:URL`, `slack:URL`, `alertmanager:URL`,
    /// `smtp://user@host:587?to=ADDR` (password in $CLICKPATH_SMTP_PASSWORD) or `cmd:COMMAND`.
    /// Added to the config's `[[alerts.receiver]]`.
    #[arg(long = "notify", value_name = "RECEIVER")]
    pub notify: Vec<String>,
    /// How often to look for new lines when no file event came (inotify wakes it at once).
    #[arg(long, default_value_t = 1000, value_name = "MS")]
    pub poll_ms: u64,
    /// Serve Prometheus metrics on this address (`/metrics`).
    #[arg(long, value_name = "ADDR:PORT")]
    pub metrics: Option<std::net::SocketAddr>,
    /// Read what the files hold, evaluate, deliver, and exit (no following).
    #[arg(long)]
    pub once: bool,
    #[command(flatten)]
    pub settings: ReportSettings,
}

/// Where the alert state (alerts, groups, journals, silences) is kept.
#[derive(Args, Debug, Clone)]
pub struct AlertStateArg {
    /// Alert state directory (default: DATA/alerts, beside the dataset's files).
    #[arg(long = "state", value_name = "DIR")]
    pub state: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum AlertsCommand {
    /// Mutes the alerts whose labels match (`host=shop.example.com alertname=traffic_drop`)
    /// for a while: a planned maintenance.
    Silence {
        #[command(flatten)]
        data: DataArgs,
        #[command(flatten)]
        state: AlertStateArg,
        /// How long.
        #[arg(long = "for", value_parser = parse_duration, value_name = "DURATION")]
        length: i64,
        /// Why (shown by `alerts silences`).
        #[arg(long, default_value = "")]
        comment: String,
        /// `label=value`, all must match.
        #[arg(required = true, value_name = "LABEL=VALUE")]
        matchers: Vec<String>,
    },
    /// The silences in force.
    Silences {
        #[command(flatten)]
        data: DataArgs,
        #[command(flatten)]
        state: AlertStateArg,
    },
    /// Sends a test notification to every receiver and says how each went.
    Test {
        /// Receivers as for `watch --notify`.
        #[arg(long = "notify", value_name = "RECEIVER")]
        notify: Vec<String>,
        /// The config with `[[alerts.receiver]]`.
        #[arg(long, short = 'c', value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Evaluates the rules over the dataset's history and lists what would have fired, and
    /// when (to tune thresholds); nothing is sent.
    Backfill {
        #[command(flatten)]
        data: DataArgs,
        #[arg(long, value_parser = parse_date, value_name = "YYYY-MM-DD")]
        from: Option<String>,
        #[arg(long, value_parser = parse_date, value_name = "YYYY-MM-DD")]
        to: Option<String>,
        /// As JSON lines.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        settings: ReportSettings,
    },
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Serve this dataset (default when no FILE is given: the default dataset, as for ingest).
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Keep reading the files as they grow (and the dataset as others ingest into it); open
    /// dashboards refresh.
    #[arg(long)]
    pub follow: bool,
    /// How often `--follow` looks for new lines.
    #[arg(long, default_value = "2s", value_parser = parse_duration, value_name = "DURATION")]
    pub poll: i64,
    /// Address and port to listen on. Anything but loopback requires users (`clickpath user add`).
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR:PORT")]
    pub bind: std::net::SocketAddr,
    #[command(flatten)]
    pub users: UsersFileArg,
    /// Serve HTTPS with this PEM certificate chain (with --tls-key).
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The certificate's PEM private key.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    #[command(flatten)]
    pub settings: ReportSettings,
    /// Countries for the log files given (see `ingest --geoip`).
    #[arg(long, value_name = "FILE.mmdb")]
    pub geoip: Option<PathBuf>,
    /// A reverse proxy in front of the dashboard (address or CIDR, repeatable): its
    /// `X-Forwarded-For` names the client, so that the login limit is per client.
    #[arg(long = "trusted-proxy", value_name = "ADDR[/BITS]", value_parser = parse_net)]
    pub trusted_proxies: Vec<clickpath_server::IpNet>,
}

/// `10.0.0.0/8`, or one address.
pub fn parse_net(s: &str) -> Result<clickpath_server::IpNet, String> {
    s.parse::<clickpath_server::IpNet>()
        .or_else(|_| {
            s.parse::<std::net::IpAddr>()
                .map(clickpath_server::IpNet::from)
        })
        .map_err(|_| format!("`{s}` is not an address or a network like 10.0.0.0/8"))
}

/// Where the dashboard's users are.
#[derive(Args, Debug, Clone)]
pub struct UsersFileArg {
    /// Users file (default: $CLICKPATH_USERS, else $XDG_CONFIG_HOME/clickpath/users.json, else
    /// ~/.config/clickpath/users.json). Login is required when it lists anyone.
    #[arg(long = "users", value_name = "FILE")]
    pub path: Option<PathBuf>,
}

impl UsersFileArg {
    pub fn path(&self) -> PathBuf {
        located(
            &self.path,
            "CLICKPATH_USERS",
            ("XDG_CONFIG_HOME", ".config"),
            "users.json",
        )
    }
}

/// The flag's path, else `$env`, else `$XDG_.../clickpath/name`, else `~/home_dir/clickpath/name`.
fn located(
    given: &Option<PathBuf>,
    env: &str,
    (xdg, home_dir): (&str, &str),
    name: &str,
) -> PathBuf {
    if let Some(p) = given {
        return p.clone();
    }
    if let Some(p) = std::env::var_os(env) {
        return PathBuf::from(p);
    }
    let base = std::env::var_os(xdg)
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(home_dir)))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("clickpath").join(name)
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Adds a user, or sets a new password: the password is read from standard input.
    Add {
        name: String,
        #[command(flatten)]
        users: UsersFileArg,
    },
    /// Removes a user or an API token.
    Remove {
        name: String,
        #[command(flatten)]
        users: UsersFileArg,
    },
    /// Lists users and API tokens.
    List {
        #[command(flatten)]
        users: UsersFileArg,
    },
    /// Creates a read-only API token (printed once) for scripts: `Authorization: Bearer TOKEN`.
    Token {
        name: String,
        #[command(flatten)]
        users: UsersFileArg,
    },
}

/// Where the dataset lives.
#[derive(Args, Debug, Clone)]
pub struct DataArgs {
    /// Dataset directory (default: $CLICKPATH_DATA, else $XDG_DATA_HOME/clickpath/data, else
    /// ~/.local/share/clickpath/data).
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
}

impl DataArgs {
    pub fn dir(&self) -> PathBuf {
        located(
            &self.data,
            "CLICKPATH_DATA",
            ("XDG_DATA_HOME", ".local/share"),
            "data",
        )
    }
}

/// How sessions and page views are derived (fixed for a dataset: left out, a dataset's own are
/// used; given, they must agree with it).
#[derive(Args, Debug, Clone, Default)]
pub struct SessionArgs {
    /// Idle time that ends a session, e.g. `30m`, `900s`, `1h` (default 30m).
    #[arg(long, value_parser = parse_duration)]
    pub session_timeout: Option<i64>,
    /// Start a new session at local midnight.
    #[arg(long)]
    pub split_at_midnight: bool,
    /// Start a new session when a page view brings another UTM campaign.
    #[arg(long)]
    pub split_on_campaign: bool,
    /// What identifies a visitor (default ip+ua).
    #[arg(long, value_enum)]
    pub visitor_key: Option<VisitorKeyArg>,
    /// The site's own host (repeatable); referrers from it are internal. Inferred when absent.
    #[arg(long = "site-host", value_name = "HOST")]
    pub site_hosts: Vec<String>,
    /// Path prefix of API calls, which are not page views (repeatable; default /api/).
    #[arg(long = "api-prefix", value_name = "PREFIX")]
    pub api_prefixes: Vec<String>,
}

impl SessionArgs {
    /// What these flags ask for, with more site hosts (a config file's).
    pub fn given(&self, more_site_hosts: &[String]) -> clickpath_ingest::GivenSettings {
        let mut site_hosts = self.site_hosts.clone();
        site_hosts.extend(more_site_hosts.iter().cloned());
        clickpath_ingest::GivenSettings {
            session_timeout_s: self.session_timeout,
            split_at_midnight: self.split_at_midnight,
            split_on_campaign: self.split_on_campaign,
            visitor_key: self.visitor_key.map(Into::into),
            site_hosts,
            api_prefixes: self.api_prefixes.clone(),
            raw_ip: false,
            geoip: false,
        }
    }
}

#[derive(Args, Debug)]
pub struct IngestArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub session: SessionArgs,
    /// Keep client IP addresses in the dataset (otherwise only the keyed `client` hash).
    #[arg(long)]
    pub raw_ip: bool,
    /// Commit (publish rows and checkpoint every file's position) after this many bytes of log.
    #[arg(long, default_value = "256MiB", value_parser = parse_bytes, value_name = "SIZE")]
    pub commit_every: u64,
    /// Look up each client's country in a MaxMind-format database (GeoLite2-Country.mmdb) and
    /// keep it in the `country` column; the address itself is kept only with --raw-ip.
    #[arg(long, value_name = "FILE.mmdb")]
    pub geoip: Option<PathBuf>,
    /// Take the site's hosts from this config file (`site_hosts`, as `report -c` reads it).
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct ReceiveArgs {
    /// Syslog over UDP (RFC 3164 or 5424; nginx's `access_log syslog:server=ADDR`), e.g.
    /// 127.0.0.1:5514. What UDP loses, it loses: docs/shipping.md.
    #[arg(long, value_name = "ADDR:PORT")]
    pub syslog_udp: Option<std::net::SocketAddr>,
    /// Syslog over TCP (rsyslog's omfwd, syslog-ng's network(); octet-counted or one message
    /// per line).
    #[arg(long, value_name = "ADDR:PORT")]
    pub syslog_tcp: Option<std::net::SocketAddr>,
    /// HTTP posts to /ingest (Vector's http sink, Fluent Bit's http output, curl); answered
    /// 200 once the lines are on disk.
    #[arg(long, value_name = "ADDR:PORT")]
    pub http: Option<std::net::SocketAddr>,
    /// A file holding the token HTTP posts must carry (`Authorization: Bearer TOKEN`); required
    /// when --http listens beyond loopback.
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// How often what was received is ingested into the dataset (each round is a commit).
    #[arg(long, default_value = "5s", value_parser = parse_duration, value_name = "DURATION")]
    pub ingest_every: i64,
    /// Refuse lines of more servers than this (a UDP sender can claim any hostname).
    #[arg(long, default_value_t = 1000, value_name = "N")]
    pub max_servers: usize,
    /// Delete inbox files (closed at 64 MiB) once the dataset has read them whole and they are
    /// older than this many days, e.g. `7d` (default: kept; drill-down to raw lines needs them).
    #[arg(long, value_parser = parse_days, value_name = "DAYS")]
    pub keep_inbox: Option<i64>,
    /// The lines' format (a preset or your server's format line); detected when absent, per
    /// inbox file (all servers' lines of one kind of log: docs/shipping.md).
    #[arg(long, short = 'f')]
    pub format: Option<String>,
    /// Take the client from the first X-Forwarded-For address when the format logs it.
    #[arg(long)]
    pub client_from_forwarded_for: bool,
    /// The zone of error logs' local times (`+0100`, `UTC`); default: the access lines'.
    #[arg(long, value_name = "ZONE", value_parser = parse_zone)]
    pub error_log_tz: Option<i16>,
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub session: SessionArgs,
    /// Keep client IP addresses in the dataset (otherwise only the keyed `client` hash).
    #[arg(long)]
    pub raw_ip: bool,
    /// Look up each client's country in a MaxMind-format database.
    #[arg(long, value_name = "FILE.mmdb")]
    pub geoip: Option<PathBuf>,
    /// Take the site's hosts from this config file (`site_hosts`).
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum SqlOutput {
    Table,
    Csv,
    Json,
    Parquet,
}

#[derive(Args, Debug)]
pub struct SqlArgs {
    /// The query (several statements separated by `;`: the last one's result is printed).
    pub query: String,
    #[command(flatten)]
    pub data: DataArgs,
    /// Output format (`json`: one object per line).
    #[arg(long, value_enum, default_value = "table")]
    pub output: SqlOutput,
    /// Output file (default: stdout; required for parquet on a terminal).
    #[arg(long, short = 'o')]
    pub out: Option<PathBuf>,
}

/// How long compact and prune keep the files they replace, for readers still on them.
#[derive(Args, Debug)]
pub struct KeepReplaced {
    /// Keep replaced files this long for readers that started before (e.g. `1h`, `0s`); the
    /// first write to the dataset after that deletes them.
    #[arg(long = "keep-replaced", default_value = "1h", value_parser = parse_duration_or_zero, value_name = "DURATION")]
    pub seconds: i64,
}

#[derive(Args, Debug)]
pub struct CompactArgs {
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub keep: KeepReplaced,
}

#[derive(Args, Debug)]
pub struct PruneArgs {
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub keep: KeepReplaced,
    /// Delete days older than this many days before today (UTC), e.g. `400d`.
    #[arg(long, value_parser = parse_days, value_name = "DAYS")]
    pub older_than: i64,
}

/// `400d` or `400`.
pub fn parse_days(s: &str) -> Result<i64, String> {
    s.strip_suffix('d')
        .unwrap_or(s)
        .parse::<i64>()
        .ok()
        .filter(|n| *n >= 0)
        .ok_or_else(|| format!("`{s}` is not a number of days like 400d"))
}

/// `256MiB`, `1GiB`, `64k`, or plain bytes.
pub fn parse_bytes(s: &str) -> Result<u64, String> {
    let bad = || format!("`{s}` is not a size like 256MiB, 1GiB or 65536");
    let digits = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let n: u64 = s[..digits].parse().map_err(|_| bad())?;
    let unit = match s[digits..].to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err(bad()),
    };
    n.checked_mul(unit).filter(|n| *n > 0).ok_or_else(bad)
}

/// Flags shared by every command that reads logs.
#[derive(Args, Debug, Clone, Default)]
pub struct InputArgs {
    /// Log files (plain, gzip, zstd, bzip2 or xz; globs; `-` for stdin). Rotated sets are read
    /// oldest first.
    #[arg(value_name = "FILE")]
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
    /// The zone of error logs' local times (`+0100`, `-05:00`, `UTC`): error logs print none.
    /// Default: the zone the access lines print.
    #[arg(long, value_name = "ZONE", value_parser = parse_zone)]
    pub error_log_tz: Option<i16>,
}

/// `+0100`, `+01:00`, `-0530`, `UTC` or `Z`: minutes east of UTC.
pub fn parse_zone(s: &str) -> Result<i16, String> {
    let bad = || format!("`{s}` is not a UTC offset like +0100, -05:00 or UTC");
    if s.eq_ignore_ascii_case("utc") || s == "Z" {
        return Ok(0);
    }
    let (sign, rest) = match s.as_bytes().first() {
        Some(b'+') => (1, &s[1..]),
        Some(b'-') => (-1, &s[1..]),
        _ => return Err(bad()),
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if digits.len() != 4 || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return Err(bad());
    }
    let (h, m): (i16, i16) = (
        digits[..2].parse().map_err(|_| bad())?,
        digits[2..].parse().map_err(|_| bad())?,
    );
    if h > 14 || m > 59 {
        return Err(bad());
    }
    Ok(sign * (h * 60 + m))
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

impl From<VisitorKeyArg> for clickpath_analytics::VisitorKey {
    fn from(k: VisitorKeyArg) -> Self {
        match k {
            VisitorKeyArg::IpUa => Self::IpUa,
            VisitorKeyArg::Ip => Self::Ip,
        }
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum VisitorKeyArg {
    /// Client address and user agent.
    #[value(name = "ip+ua")]
    IpUa,
    /// Client address alone.
    Ip,
}

#[derive(Args, Debug, Clone)]
pub struct ReportArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Print the report as JSON (the contract in docs/report-json.md).
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// Write one CSV file per table into this directory.
    #[arg(long, value_name = "DIR")]
    pub csv: Option<PathBuf>,
    /// Write the report as one self-contained HTML file (charts; opens offline).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["json", "csv"])]
    pub html: Option<PathBuf>,
    /// Read the dataset (see `clickpath ingest`) instead of log files.
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// First day to report (`YYYY-MM-DD`, the log's local date).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub from: Option<String>,
    /// Last day to report (`YYYY-MM-DD`, included).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub to: Option<String>,
    #[command(flatten)]
    pub settings: ReportSettings,
    /// Countries from a MaxMind-format database (GeoLite2-Country.mmdb). Addresses are read in
    /// memory for the lookup and never written out.
    #[arg(long, value_name = "FILE.mmdb")]
    pub geoip: Option<PathBuf>,
}

/// How the report is computed, for `report` and `serve`.
#[derive(Args, Debug, Clone)]
pub struct ReportSettings {
    /// Rows per table.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
    #[command(flatten)]
    pub session: SessionArgs,
    /// Show the pages visited after this one.
    #[arg(long, value_name = "PATH", default_value = "/")]
    pub next_from: String,
    /// Funnels, goals, site hosts and average order value (docs/funnels.md).
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// A funnel without a config file: `NAME:/step1,/step2,...` (path globs; repeatable).
    #[arg(long = "funnel", value_name = "NAME:PATHS")]
    pub funnels: Vec<String>,
}

/// `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Result<String, String> {
    match clickpath_model::parse_date(s) {
        Some(_) => Ok(s.to_owned()),
        None => Err(format!("`{s}` is not a date like 2026-11-29")),
    }
}

/// A duration, or `0`/`0s`.
pub fn parse_duration_or_zero(s: &str) -> Result<i64, String> {
    if s.trim_end_matches(['s', 'm', 'h']) == "0" {
        return Ok(0);
    }
    parse_duration(s)
}

/// `30m`, `900s`, `1h`, `1h30m` or plain seconds, more than zero; in seconds.
pub fn parse_duration(s: &str) -> Result<i64, String> {
    let bad = || format!("`{s}` is not a duration like 30m, 900s or 1h30m");
    if let Ok(n) = s.parse::<i64>() {
        return if n > 0 { Ok(n) } else { Err(bad()) };
    }
    // Days are for `prune --older-than`'s own parser, not here.
    match clickpath_model::parse_duration_micros(s) {
        Some(us) if us > 0 && !s.contains('d') => Ok(us / 1_000_000),
        _ => Err(bad()),
    }
}
