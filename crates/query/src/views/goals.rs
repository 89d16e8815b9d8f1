//! `goals[]`: the sessions with a request matching each goal, by landing channel, campaign,
//! landing page and device. One plan per goal: the selected sessions joined to the human
//! requests that match (the report's matcher, through the `request_matches` SQL function).

use clickpath_analytics::funnel_config::Goal;
use clickpath_analytics::numbers::share;
use clickpath_analytics::report::GoalReport;
use clickpath_analytics::{campaign_label, goal_value, rate_rows};
use datafusion::error::Result;
use datafusion::prelude::SessionContext;

use super::{Filter, counts, matcher_condition, query_values, texts};

/// Sessions and converted sessions per (channel, utm source, medium, campaign, entry page,
/// device). A goal is met by any of the session's requests, whenever it came. `{matches}`:
/// the goal's matcher (`matcher_condition`).
const GOAL: &str = "SELECT s.channel, s.utm_source, s.utm_medium, s.utm_campaign, s.entry_page,
  s.device, count(*), count(h.session_id)
FROM sessions s LEFT JOIN (SELECT DISTINCT session_id FROM requests WHERE NOT is_bot
  AND {matches}) h
  ON s.session_id = h.session_id
WHERE {sessions} GROUP BY 1, 2, 3, 4, 5, 6";

/// `GOAL` for `goal`, with its values.
fn goal_plan(goal: &Goal) -> (String, Vec<&str>) {
    let mut values = Vec::new();
    let matches = matcher_condition(&goal.matcher, &mut values);
    (GOAL.replace("{matches}", &matches), values)
}

/// The goals' figures over the sessions `filter` selects; breakdowns of at most `top` rows.
pub async fn goals(
    ctx: &SessionContext,
    filter: &Filter,
    goals: &[Goal],
    top: usize,
) -> Result<Vec<GoalReport>> {
    let plans: Vec<(String, Vec<&str>)> = goals.iter().map(goal_plan).collect();
    let results = futures::future::try_join_all(
        plans
            .iter()
            .map(|(sql, values)| query_values(ctx, sql, filter, values)),
    )
    .await?;
    goals
        .iter()
        .zip(results)
        .map(|(goal, rows)| {
            let [channel, source, medium, campaign, entry, device] =
                std::array::from_fn(|i| texts(&rows, i));
            let (channel, source, medium, campaign, entry, device) =
                (channel?, source?, medium?, campaign?, entry?, device?);
            let (sessions, converted) = (counts(&rows, 6)?, counts(&rows, 7)?);
            let pair = |k: usize| (sessions[k], converted[k]);
            let by = |value: &dyn Fn(usize) -> Option<String>| {
                let pairs = (0..sessions.len())
                    .filter_map(|k| value(k).map(|v| (v, pair(k))))
                    .collect();
                rate_rows(pairs, top)
            };
            let conversions: u64 = converted.iter().sum();
            Ok(GoalReport {
                name: goal.name.clone(),
                conversions,
                conversion_rate: share(conversions, sessions.iter().sum()),
                value: goal_value(goal, conversions),
                by_channel: by(&|k| channel[k].clone()),
                by_campaign: by(&|k| {
                    campaign_label(
                        source[k].as_deref(),
                        medium[k].as_deref(),
                        campaign[k].as_deref(),
                    )
                }),
                by_landing_page: by(&|k| entry[k].clone()),
                by_device: by(&|k| device[k].clone()),
            })
        })
        .collect()
}
