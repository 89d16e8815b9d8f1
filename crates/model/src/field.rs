//! Column names of the request record: the one place where they are spelled.
//!
//! They are also the keys of `clickpath parse --to ndjson` and the Parquet column names, so they
//! are part of the public contract (docs/record.md).

/// Request time in UTC, microseconds (`Timestamp(Microsecond, "UTC")`).
pub const TS: &str = "ts";
/// The UTC offset the log printed, in minutes east of UTC; null when the log had none (UTC).
pub const TZ_OFFSET_MIN: &str = "tz_offset_min";
/// Client address as logged (IPv4, IPv6 or a hostname). Null unless raw IPs were requested.
pub const IP: &str = "ip";
/// Keyed hash of the client address: stable for one secret, not reversible without it.
pub const CLIENT: &str = "client";
/// Virtual host (from `%v`, `$host`, `cs-host`, an absolute request URL...).
pub const HOST: &str = "host";
/// HTTP method; null for a junk request line.
pub const METHOD: &str = "method";
/// Path without the query string, as the client sent it (not percent-decoded).
pub const PATH: &str = "path";
/// Query string without the `?`; null when there was none.
pub const QUERY: &str = "query";
/// Protocol, e.g. `HTTP/1.1`.
pub const PROTOCOL: &str = "protocol";
/// HTTP status code; null where the log has none (`-`, HAProxy `-1`).
pub const STATUS: &str = "status";
/// Response size in bytes; null for `-`.
pub const BYTES: &str = "bytes";
/// Referrer; null for `-`.
pub const REFERRER: &str = "referrer";
/// User agent; null for `-`.
pub const USER_AGENT: &str = "user_agent";
/// Request duration in microseconds, where the log has one.
pub const DURATION_US: &str = "duration_us";
/// The request line was not `METHOD TARGET [PROTOCOL]` (TLS handshake, binary, `-`): it is still
/// a request with a status, and its raw text is kept in `path`.
pub const JUNK: &str = "junk";
/// Index of the input file in the command's list of inputs (0-based).
pub const FILE_ID: &str = "file_id";
/// Line number in that (decompressed) file, 1-based.
pub const LINE: &str = "line";

/// All columns in schema order.
pub const ALL: [&str; 17] = [
    TS,
    TZ_OFFSET_MIN,
    IP,
    CLIENT,
    HOST,
    METHOD,
    PATH,
    QUERY,
    PROTOCOL,
    STATUS,
    BYTES,
    REFERRER,
    USER_AGENT,
    DURATION_US,
    JUNK,
    FILE_ID,
    LINE,
];
