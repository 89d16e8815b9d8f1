//! What a compiled format is: a sequence of literals and typed fields (positional logs), or a
//! table of JSON key paths to fields (JSON logs).

use std::sync::Arc;

/// What a field of the log means, independent of the syntax that named it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldKind {
    /// Present in the line but not kept (`%l`, `$remote_user`, `%^`, unknown variables...).
    Skip,
    /// Client address (IP or hostname).
    Client,
    /// `address:port` (load balancers); the port is dropped.
    ClientPort,
    /// `X-Forwarded-For`: the client and the proxies it went through.
    ForwardedFor,
    /// Virtual host / server name.
    Host,
    /// Virtual host with an optional `:port` (dropped): Apache `%v:%p` or `%v` alone.
    HostPort,
    /// Full request line `METHOD TARGET PROTOCOL`.
    Request,
    Method,
    /// Request target with its query (`$request_uri`).
    Uri,
    /// Path without the query (`%U`, `cs-uri-stem`).
    Path,
    /// Query string without `?` (`%q` keeps a leading `?`, which is dropped).
    Query,
    Protocol,
    Status,
    Bytes,
    Referrer,
    UserAgent,
    Time(TimeKind),
    Duration(DurationUnit),
}

/// How a timestamp is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeKind {
    /// `10/Oct/2000:13:55:36 -0700`, with optional fraction and optional zone; Apache `%t` adds
    /// the brackets as literals.
    Clf,
    /// `2000-10-10T13:55:36.123-07:00` / `...Z` / no zone (UTC).
    Iso8601,
    /// Date alone: `2000-10-10` (W3C) or `10/Oct/2000` (GoAccess `%d`).
    Date,
    /// Time of day alone: `13:55:36` with optional fraction.
    TimeOfDay,
    /// Seconds since the epoch, with optional fraction (`$msec`, Caddy `ts`).
    EpochSeconds,
    EpochMillis,
    EpochMicros,
    /// Whichever of ISO 8601, CLF or epoch seconds the value is (JSON logs with generic keys).
    Any,
}

/// Unit of a request duration field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DurationUnit {
    /// Decimal seconds (`$request_time`, ALB, CloudFront `time-taken`).
    Seconds,
    Millis,
    Micros,
    Nanos,
}

/// How the log escaped a field's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// As is.
    Plain,
    /// Backslash escapes inside quoted fields: `\"`, `\\`, `\xHH` (Apache, nginx default).
    Backslash,
    /// JSON string escapes (nginx `escape=json`, JSON logs).
    Json,
    /// `+` stands for a space (W3C / IIS).
    Plus,
    /// A W3C user agent: percent-encoded when it holds `%20` (some writers, whose `+` is a
    /// literal plus), else `+` for a space (IIS).
    PlusOrPercent,
    /// Percent-encoded (CloudFront); `%25XX`, which CloudFront writes for a `%XX` in the value
    /// (a user agent with `%2520` for a space), is decoded twice.
    Percent,
}

/// One field of a positional format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldSpec {
    pub kind: FieldKind,
    pub encoding: Encoding,
    /// Enclosed in double quotes: ends at an unescaped quote followed by the next literal.
    pub quoted: bool,
}

/// One step of a positional format.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Token {
    Literal(Vec<u8>),
    Field(FieldSpec),
}

/// A compiled log format, shared by all parser threads.
#[derive(Debug, PartialEq, Eq)]
pub struct Format {
    /// Preset name, or `custom` for a user's format line.
    pub name: String,
    /// The format line it was compiled from (shown by `check-format`).
    pub source: String,
    pub layout: Layout,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Layout {
    /// Literals and fields in order. `w3c` marks files whose `#Fields:` directives may replace
    /// the layout mid-file.
    Positional {
        tokens: Vec<Token>,
        w3c: Option<W3cDialect>,
    },
    /// A JSON object per line; each entry maps a dotted key path (`request.headers.User-Agent`)
    /// to a field. Arrays yield their first element.
    Json { keys: Vec<(String, FieldSpec)> },
    /// A server's error log: events, not requests (`crate::errorlog`).
    ErrorLog(crate::errorlog::ErrorLogKind),
}

/// Which W3C dialect: IIS (space separated, `+` for spaces, time-taken in ms) or CloudFront
/// (tab separated, percent-encoded, time-taken in seconds).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum W3cDialect {
    Iis,
    CloudFront,
}

impl Format {
    pub fn is_w3c(&self) -> Option<W3cDialect> {
        match &self.layout {
            Layout::Positional { w3c, .. } => *w3c,
            Layout::Json { .. } | Layout::ErrorLog(_) => None,
        }
    }

    /// The kind of error log, when this format reads one (its batches have the event schema).
    pub fn error_log(&self) -> Option<crate::errorlog::ErrorLogKind> {
        match &self.layout {
            Layout::ErrorLog(k) => Some(*k),
            _ => None,
        }
    }

    /// The error-log format of `kind`.
    pub fn for_error_log(kind: crate::errorlog::ErrorLogKind) -> Format {
        Format {
            name: kind.name().to_owned(),
            source: kind.name().to_owned(),
            layout: Layout::ErrorLog(kind),
        }
    }

    /// Whether the format has a field of this kind.
    pub fn logs(&self, kind: FieldKind) -> bool {
        self.kinds().contains(&kind)
    }

    /// Fields this format can fill, for `check-format` and scoring.
    pub fn kinds(&self) -> Vec<FieldKind> {
        match &self.layout {
            Layout::Positional { tokens, .. } => tokens
                .iter()
                .filter_map(|t| match t {
                    Token::Field(f) if f.kind != FieldKind::Skip => Some(f.kind),
                    _ => None,
                })
                .collect(),
            Layout::Json { keys } => keys.iter().map(|(_, f)| f.kind).collect(),
            Layout::ErrorLog(_) => Vec::new(),
        }
    }
}

pub type FormatRef = Arc<Format>;
