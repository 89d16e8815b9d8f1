//! The web server stopped or a worker crashed: the error log's restarts of the server, and
//! silences of the access log (nothing logged while requests were coming) that no restart line
//! tells of (an `error_log` at level `error` hides them).

use super::Evidence;
use crate::restarts::RestartKind;

pub fn detect(ev: &Evidence<'_>) -> Vec<(i64, i64)> {
    ev.restarts
        .iter()
        .filter(|r| r.kind == RestartKind::Server)
        .map(|r| (r.start, r.end))
        .collect()
}
