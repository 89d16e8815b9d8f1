//! `restarts`, `reloads` and `incidents`: the report's own diary
//! (`clickpath_analytics::planned_diary`) fed every selected request in the order it was read
//! (`seq`), the selected sessions, and the dataset's error-log events. The detectors read a
//! per-minute series built in reading order (a second counts as active when it is later than
//! every second read before it, and a silence is a gap in that order), so the requests come
//! sorted by `seq`; only the error responses and a human's requests that may be a step of the
//! first funnel carry their text columns through the sort.

use arrow_array::RecordBatch;
use clickpath_analytics::funnel_config::{Funnel, FunnelMode};
use clickpath_analytics::planned_diary::{PlannedDiary, RowRequest, Stories};
use clickpath_analytics::{LostEstimate, Money};
use datafusion::error::Result;
use datafusion::prelude::SessionContext;
use futures::StreamExt;

use super::{
    Filter, bools, column, counts, counts_or_null, ints, matcher_condition, query, stream_values,
    texts,
};

/// Every selected request in reading order; the text columns only where `{wide}` holds.
const REQUESTS: &str = "SELECT seq, CAST(ts AS BIGINT), CAST(tz_offset_min AS BIGINT), is_bot,
  status, client, duration_us, file_id, line, is_page_view,
  CASE WHEN {wide} THEN method END, CASE WHEN {wide} THEN path END,
  CASE WHEN {wide} THEN query END, CASE WHEN {wide} THEN referrer END
FROM requests WHERE {requests} ORDER BY seq";

/// The selected sessions: when each arrived (files without `arrived`: when it started), its
/// first and last request, its visitor.
const SESSIONS: &str = "SELECT CAST(coalesce(arrived, started) AS BIGINT), CAST(started AS BIGINT),
  CAST(ended AS BIGINT), visitor FROM sessions WHERE {sessions}";

/// The restarts, reloads and incidents of what `filter` selects, given the dataset's error-log
/// `events`, the report's `funnels` with the first session-mode one's estimate of lost
/// conversions (`lost`, from `views::funnels`), the site's hosts and `--error-log-tz`.
#[allow(clippy::too_many_arguments)]
pub async fn incidents(
    ctx: &SessionContext,
    events: &[RecordBatch],
    filter: &Filter,
    funnels: &[Funnel],
    lost: Option<&LostEstimate>,
    money: &Money,
    site_hosts: &[String],
    zone_flag: Option<i16>,
) -> Result<Stories> {
    let mut diary = PlannedDiary::new(events, funnels);
    // An error response, or a human's request that may be a step of the first funnel.
    let mut values = Vec::new();
    let mut wide = vec!["status >= 400".to_owned()];
    if let Some(f) = funnels.iter().find(|f| f.mode == FunnelMode::Session) {
        for (_, m) in &f.steps {
            let cond = matcher_condition(m, &mut values);
            wide.push(format!("(NOT is_bot AND {cond})"));
        }
    }
    let sql = REQUESTS.replace("{wide}", &format!("({})", wide.join(" OR ")));
    let mut stream = stream_values(ctx, &sql, filter, &values).await?;
    while let Some(batch) = stream.next().await {
        let batch = batch?;
        let b = std::slice::from_ref(&batch);
        let (ts, bot, status) = (ints(b, 1)?, bools(b, 3)?, counts_or_null(b, 4)?);
        let tz = column(
            b,
            2,
            &arrow_schema::DataType::Int64,
            |a: &arrow_array::Int64Array, r| a.value(r),
        )?;
        let (client, duration) = (counts(b, 5)?, counts_or_null(b, 6)?);
        let (file_id, line, page) = (counts(b, 7)?, counts(b, 8)?, bools(b, 9)?);
        let (method, path, q, referrer) =
            (texts(b, 10)?, texts(b, 11)?, texts(b, 12)?, texts(b, 13)?);
        for r in 0..ts.len() {
            diary.request(&RowRequest {
                ts: ts[r],
                tz: tz[r].map(|z| z as i16),
                client: client[r],
                status: status[r].map(|s| s as u16),
                duration_us: duration[r],
                method: method[r].as_deref(),
                path: path[r].as_deref(),
                query: q[r].as_deref(),
                referrer: referrer[r].as_deref(),
                page: page[r],
                human: !bot[r],
                file_id: file_id[r] as u32,
                line: line[r],
            });
        }
    }
    let sessions = query(ctx, SESSIONS, filter).await?;
    let (arrived, first, last, visitor) = (
        ints(&sessions, 0)?,
        ints(&sessions, 1)?,
        ints(&sessions, 2)?,
        counts(&sessions, 3)?,
    );
    for k in 0..arrived.len() {
        diary.session(arrived[k], first[k], last[k], visitor[k]);
    }
    Ok(diary.finish(site_hosts, lost, money, zone_flag))
}
