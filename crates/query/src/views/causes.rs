//! `errors.causes` and `error_log`: the error responses a filter selects by status and the
//! error-log event that explains them, through the report's own join
//! (`clickpath_analytics::explain`), and what the error logs held. The events
//! are few and read as the report reads them (`read_events`, in the manifest's order); the
//! responses are a plan over `requests` in the order they were read (`seq`), since an event
//! explains the first response it fits.

use arrow_array::RecordBatch;
use clickpath_analytics::error_log_report;
use clickpath_analytics::explain::{self, CauseId, Explainer, Response};
use clickpath_analytics::report::{CauseRow, ErrorLogReport};
use datafusion::error::Result;
use datafusion::prelude::SessionContext;
use rustc_hash::FxHashMap;

use super::{Filter, counts, counts_or_null, ints, query, texts};

/// Error responses in reading order, with what the join compares.
const ERRORS: &str =
    "SELECT client, CAST(ts AS BIGINT), coalesce(CAST(tz_offset_min AS BIGINT), 0),
  status, duration_us, method, path, query, seq
FROM requests WHERE status >= 400 AND {requests} ORDER BY seq";

/// Access lines per zone they print (minutes east).
const ZONES: &str = "SELECT CAST(tz_offset_min AS BIGINT), count(*) FROM requests
WHERE tz_offset_min IS NOT NULL AND {requests} GROUP BY 1";

/// The selected error responses' causes: by `seq`, counted by (status, cause), and the join's
/// state after them (which events explained one).
pub(super) struct Explained {
    pub by_seq: FxHashMap<u64, CauseId>,
    counts: FxHashMap<(u16, CauseId), u64>,
    explainer: Explainer,
}

/// Explains the error responses `filter` selects, in reading order, by the dataset's events.
pub(super) async fn explain_responses(
    ctx: &SessionContext,
    events: &[RecordBatch],
    filter: &Filter,
) -> Result<Explained> {
    let rows = query(ctx, ERRORS, filter).await?;
    let mut explainer = Explainer::default();
    for b in events {
        explainer.add(b);
    }
    let (client, ts, tz, status) = (
        counts(&rows, 0)?,
        ints(&rows, 1)?,
        ints(&rows, 2)?,
        counts(&rows, 3)?,
    );
    let duration = counts_or_null(&rows, 4)?;
    let (method, path, q) = (texts(&rows, 5)?, texts(&rows, 6)?, texts(&rows, 7)?);
    let seq = counts(&rows, 8)?;
    let mut counts_by: FxHashMap<(u16, CauseId), u64> = FxHashMap::default();
    let mut by_seq = FxHashMap::default();
    for r in 0..client.len() {
        let status = status[r] as u16;
        let cause = explainer.explain(&Response {
            client: client[r],
            local: ts[r] + tz[r] * 60 * 1_000_000,
            status,
            duration_us: duration[r],
            method: method[r].as_deref(),
            path: path[r].as_deref(),
            query: q[r].as_deref(),
        });
        *counts_by.entry((status, cause)).or_default() += 1;
        if cause != explain::NONE {
            by_seq.insert(seq[r], cause);
        }
    }
    Ok(Explained {
        by_seq,
        counts: counts_by,
        explainer,
    })
}

/// The causes of the selected error responses, given the dataset's error-log `events`, and the
/// error logs' summary (`zone_flag`: `--error-log-tz`).
pub async fn causes(
    ctx: &SessionContext,
    events: &[RecordBatch],
    filter: &Filter,
    zone_flag: Option<i16>,
) -> Result<(Vec<CauseRow>, Option<ErrorLogReport>)> {
    let (explained, zones) = futures::future::try_join(
        explain_responses(ctx, events, filter),
        query(ctx, ZONES, filter),
    )
    .await?;
    let zones: FxHashMap<i16, u64> = ints(&zones, 0)?
        .into_iter()
        .map(|z| z as i16)
        .zip(counts(&zones, 1)?)
        .collect();
    // The dataset's events are read before its requests, as `report --data` reads them.
    let error_log = error_log_report(&explained.explainer, &zones, zone_flag, true);
    Ok((explain::cause_rows(&explained.counts), error_log))
}
