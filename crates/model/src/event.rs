//! The error-log event record: one row per event of a server's error log (nginx `error.log`,
//! Apache `error_log`), continuation lines included. The column names are constants here and
//! nowhere else (docs/record.md, "The error-log event").

use std::sync::{Arc, OnceLock};

use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};

/// The time as the server printed it: its local time, no zone (error logs print none).
pub const LOCAL_TIME: &str = "local_time";
/// UTC, when the zone is known (`--error-log-tz`, or the access log of the same run or
/// dataset); null until then.
pub const TS: &str = "ts";
/// The zone `ts` was computed with, minutes east of UTC.
pub const TZ_OFFSET_MIN: &str = "tz_offset_min";
/// Severity as logged: `emerg`, `alert`, `crit`, `error`, `warn`, `notice`, `info`, `debug`
/// (Apache's `trace1`...`trace8` too).
pub const LEVEL: &str = "level";
/// Apache's module (`proxy_http`); null for nginx.
pub const MODULE: &str = "module";
pub const PID: &str = "pid";
/// nginx's thread id (`PID#TID`), Apache's `tid`.
pub const TID: &str = "tid";
/// nginx's connection number (`*N`).
pub const CONNECTION: &str = "connection";
/// The client address as logged; null unless raw IPs were asked for.
pub const IP: &str = "ip";
/// Keyed hash of the client address (the access record's `client`), null when none is named.
pub const CLIENT: &str = "client";
/// nginx `server:` (the server block's name).
pub const SERVER: &str = "server";
/// The request line, split like the access record's.
pub const METHOD: &str = "method";
pub const PATH: &str = "path";
pub const QUERY: &str = "query";
pub const PROTOCOL: &str = "protocol";
/// The backend: nginx `upstream:`, the server Apache mod_proxy names (`127.0.0.1:8080`).
pub const UPSTREAM: &str = "upstream";
/// nginx `host:`.
pub const HOST: &str = "host";
/// nginx `referrer:`, Apache `referer:`.
pub const REFERRER: &str = "referrer";
/// Apache's message code (`AH01114`).
pub const CODE: &str = "code";
/// The system error number the line names (`(111: Connection refused)`, `(111)Connection
/// refused:`).
pub const ERRNO: &str = "errno";
/// The message, continuation lines joined with `\n`, without the fields above.
pub const MESSAGE: &str = "message";
/// What the message says happened (a fixed list, docs/errors.md).
pub const CAUSE: &str = "cause";
/// Lines after the first that belong to the event (a PHP stack trace).
pub const CONTINUATION_LINES: &str = "continuation_lines";
pub const FILE_ID: &str = "file_id";
/// Line number of the event's first line, 1-based.
pub const LINE: &str = "line";

/// All columns in schema order.
pub const ALL: [&str; 25] = [
    LOCAL_TIME,
    TS,
    TZ_OFFSET_MIN,
    LEVEL,
    MODULE,
    PID,
    TID,
    CONNECTION,
    IP,
    CLIENT,
    SERVER,
    METHOD,
    PATH,
    QUERY,
    PROTOCOL,
    UPSTREAM,
    HOST,
    REFERRER,
    CODE,
    ERRNO,
    MESSAGE,
    CAUSE,
    CONTINUATION_LINES,
    FILE_ID,
    LINE,
];

/// The causes an event is classified into, in docs order.
pub const CAUSES: [&str; 12] = [
    "upstream_refused",
    "upstream_closed",
    "upstream_timeout",
    "no_live_upstreams",
    "file_not_found",
    "forbidden",
    "rate_limited",
    "crash",
    "restart",
    "config",
    "tls",
    "other",
];

/// The schema of error-log events.
pub fn event_schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            let utf8 = |name: &str| Field::new(name, DataType::Utf8, true);
            Arc::new(Schema::new(vec![
                Field::new(
                    LOCAL_TIME,
                    DataType::Timestamp(TimeUnit::Microsecond, None),
                    false,
                ),
                Field::new(
                    TS,
                    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
                    true,
                ),
                Field::new(TZ_OFFSET_MIN, DataType::Int16, true),
                Field::new(LEVEL, DataType::Utf8, false),
                utf8(MODULE),
                Field::new(PID, DataType::UInt32, true),
                Field::new(TID, DataType::UInt64, true),
                Field::new(CONNECTION, DataType::UInt64, true),
                utf8(IP),
                Field::new(CLIENT, DataType::UInt64, true),
                utf8(SERVER),
                utf8(METHOD),
                utf8(PATH),
                utf8(QUERY),
                utf8(PROTOCOL),
                utf8(UPSTREAM),
                utf8(HOST),
                utf8(REFERRER),
                utf8(CODE),
                Field::new(ERRNO, DataType::Int32, true),
                Field::new(MESSAGE, DataType::Utf8, false),
                Field::new(CAUSE, DataType::Utf8, false),
                Field::new(CONTINUATION_LINES, DataType::UInt32, false),
                Field::new(FILE_ID, DataType::UInt32, false),
                Field::new(LINE, DataType::UInt64, false),
            ]))
        })
        .clone()
}

#[cfg(test)]
mod tests {
    #[test]
    fn schema_columns_follow_the_field_list() {
        let schema = super::event_schema();
        let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        assert_eq!(names, super::ALL);
    }
}
