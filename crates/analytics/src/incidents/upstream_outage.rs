//! The application behind the server refused connections (restarted or down): the error log's
//! upstream outages (loggen's `restart`).

use super::Evidence;
use crate::restarts::RestartKind;

pub fn detect(ev: &Evidence<'_>) -> Vec<(i64, i64)> {
    ev.restarts
        .iter()
        .filter(|r| r.kind == RestartKind::Upstream)
        .map(|r| (r.start, r.end))
        .collect()
}
