//! `funnels[]`: each funnel over the sessions a filter selects, by the report's own funnel
//! accounting (`clickpath_analytics::planned_funnel`) fed from two plans: the sessions (their
//! landing, device and first page view) and their human requests that can matter to a funnel
//! (page views, error responses, requests matching a step), in time order, with the causes of
//! the error responses (`causes`).

use arrow_array::{Array, RecordBatch};
use clickpath_analytics::campaign_label;
use clickpath_analytics::explain;
use clickpath_analytics::funnel_config::Funnel;
use clickpath_analytics::planned_funnel::{PlannedFunnel, RowEvent, RowSession};
use clickpath_analytics::report::FunnelReport;
use clickpath_analytics::{LostEstimate, Money};
use datafusion::error::Result;
use datafusion::prelude::SessionContext;
use rustc_hash::FxHashMap;

use super::causes::explain_responses;
use super::{
    Filter, bools, counts, counts_or_null, ints, matcher_condition, query, query_values, strings,
    texts,
};

/// The selected sessions in the order they began.
const SESSIONS: &str = "SELECT session_id, visitor, channel, utm_source, utm_medium, utm_campaign,
  device, entry_page FROM sessions WHERE {sessions} ORDER BY started, session_id";

/// Their human requests that can matter to a funnel. `{steps}`: the funnels' step matchers.
const EVENTS: &str =
    "SELECT session_id, CAST(ts AS BIGINT) AS ts_us, seq, path, query, method, status,
  is_page_view, duration_us FROM requests
WHERE NOT is_bot AND (is_page_view OR status >= 400 OR {steps})
  AND session_id IN (SELECT session_id FROM sessions WHERE {sessions})";

/// The funnels' figures, and when each session was inside a funnel.
#[derive(Debug, Default)]
pub struct Funnels {
    pub reports: Vec<FunnelReport>,
    /// By session id: from entering a session-mode funnel until converting or leaving (the
    /// broken links' `in_funnel_sessions`).
    pub in_funnel: FxHashMap<u64, Vec<(i64, i64)>>,
    /// The first session-mode funnel's estimate of lost conversions (the incidents' cost).
    pub lost: Option<LostEstimate>,
}

/// The funnels' figures over the sessions `filter` selects, given the dataset's error-log
/// `events`; lists of at most `top` rows.
pub async fn funnels(
    ctx: &SessionContext,
    events: &[RecordBatch],
    filter: &Filter,
    funnels: &[Funnel],
    money: &Money,
    top: usize,
) -> Result<Funnels> {
    if funnels.is_empty() {
        return Ok(Funnels::default());
    }
    let mut specs = Vec::new();
    let mut steps = Vec::new();
    for (_, m) in funnels.iter().flat_map(|f| &f.steps) {
        steps.push(matcher_condition(m, &mut specs));
    }
    let events_sql = EVENTS.replace("{steps}", &steps.join(" OR "));
    let (sessions, rows, explained) = futures::future::try_join3(
        query(ctx, SESSIONS, filter),
        query_values(ctx, &events_sql, filter, &specs),
        explain_responses(ctx, events, filter),
    )
    .await?;

    // Each session's events, in time order (ties in reading order), by session id: sorted
    // here, where the text columns stay in their Arrow arrays.
    let (ids, ts, seq) = (counts(&rows, 0)?, ints(&rows, 1)?, counts(&rows, 2)?);
    let (path, q, method) = (strings(&rows, 3)?, strings(&rows, 4)?, strings(&rows, 5)?);
    let (status, page, duration) = (
        counts_or_null(&rows, 6)?,
        bools(&rows, 7)?,
        counts_or_null(&rows, 8)?,
    );
    let mut order: Vec<u32> = (0..ids.len() as u32).collect();
    order.sort_unstable_by_key(|&r| (ids[r as usize], ts[r as usize], seq[r as usize]));
    let mut by_session: FxHashMap<u64, (usize, usize)> = FxHashMap::default();
    for (k, &r) in order.iter().enumerate() {
        by_session.entry(ids[r as usize]).or_insert((k, k)).1 = k + 1;
    }
    let event = |k: usize| {
        let r = order[k] as usize;
        RowEvent {
            ts: ts[r],
            path: text(&path, r),
            query: text(&q, r),
            method: text(&method, r),
            status: status[r].map(|s| s as u16),
            page: page[r],
            duration_us: duration[r],
            cause: explained
                .by_seq
                .get(&seq[r])
                .copied()
                .unwrap_or(explain::NONE),
        }
    };

    let mut planned: Vec<PlannedFunnel> = funnels.iter().cloned().map(PlannedFunnel::new).collect();
    let [channel, source, medium, campaign, device, entry] =
        std::array::from_fn(|i| texts(&sessions, i + 2));
    let (channel, source, medium, campaign, device, entry) =
        (channel?, source?, medium?, campaign?, device?, entry?);
    let (session_ids, visitors) = (counts(&sessions, 0)?, counts(&sessions, 1)?);
    let mut in_funnel: FxHashMap<u64, Vec<(i64, i64)>> = FxHashMap::default();
    for k in 0..session_ids.len() {
        let s = RowSession {
            visitor: visitors[k],
            channel: channel[k].clone().unwrap_or_default(),
            campaign: campaign_label(
                source[k].as_deref(),
                medium[k].as_deref(),
                campaign[k].as_deref(),
            ),
            device: device[k].clone().unwrap_or_default(),
            entry: entry[k].clone(),
            events: by_session
                .get(&session_ids[k])
                .map_or_else(Vec::new, |&(a, b)| (a..b).map(event).collect()),
        };
        for f in &mut planned {
            if let Some(span) = f.add(&s) {
                in_funnel.entry(session_ids[k]).or_default().push(span);
            }
        }
    }
    Ok(Funnels {
        lost: planned.iter().find_map(PlannedFunnel::lost_estimate),
        reports: planned.into_iter().map(|f| f.finish(money, top)).collect(),
        in_funnel,
    })
}

/// Row `r` of a text array, borrowed.
fn text(a: &arrow_array::StringArray, r: usize) -> Option<&str> {
    a.is_valid(r).then(|| a.value(r))
}
