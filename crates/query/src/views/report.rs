//! The whole report as plans: every part's plan in this module run for one filter, and the
//! parts put together as the streaming report puts its own (`TrafficAggregator::finish`).

use arrow_array::RecordBatch;
use clickpath_analytics::TrafficConfig;
use clickpath_analytics::report::{
    ErrorsReport, Pages, Settings, Site, Time, TimeBucket, Traffic, TrafficReport, notes,
};
use datafusion::error::Result;
use datafusion::prelude::SessionContext;
use rustc_hash::FxHashMap;

use super::{
    Filter, bools, broken_links, causes, funnels, goals, incidents, query, rejected_humans,
    request_figures, session_figures, timeline,
};

/// Whether a selected request came from a format without user agents.
const USER_AGENTS_MISSING: &str =
    "SELECT count(*) > 0 FROM requests WHERE NOT user_agent_logged AND {requests}";

/// The report of what `filter` selects, with the dataset's error-log `events`; None when the
/// settings name no site host (the streaming report then infers them from every request).
pub async fn report(
    ctx: &SessionContext,
    events: &[RecordBatch],
    filter: &Filter,
    cfg: &TrafficConfig,
) -> Result<Option<TrafficReport>> {
    if cfg.site_hosts.is_empty() {
        return Ok(None);
    }
    let hosts: Vec<String> = cfg
        .site_hosts
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    let top = cfg.top;
    let (sessions, requests, funnels, goals, (causes, error_log), missing) = futures::try_join!(
        session_figures(ctx, filter, cfg),
        request_figures(ctx, filter, top),
        funnels(ctx, events, filter, &cfg.funnels, &cfg.money, top),
        goals(ctx, filter, &cfg.goals, top),
        causes(ctx, events, filter, cfg.error_log_tz),
        query(ctx, USER_AGENTS_MISSING, filter),
    )?;
    let (links, stories) = futures::try_join!(
        broken_links(ctx, filter, &hosts, &funnels.in_funnel, top),
        incidents(
            ctx,
            events,
            filter,
            &cfg.funnels,
            funnels.lost.as_ref(),
            &cfg.money,
            &hosts,
            cfg.error_log_tz,
        ),
    )?;
    let user_agents_missing = bools(&missing, 0)?.first().copied().unwrap_or(false);

    // Sessions per day and hour beside the requests'.
    let sessions_at = |rows: &[clickpath_analytics::report::Row]| -> FxHashMap<String, u64> {
        rows.iter().map(|r| (r.value.clone(), r.count)).collect()
    };
    let (days, hours) = (
        sessions_at(&sessions.by_day),
        sessions_at(&sessions.by_hour),
    );
    let buckets = |rows: Vec<super::requests::RequestBucket>, sessions: &FxHashMap<String, u64>| {
        rows.into_iter()
            .map(|b| TimeBucket {
                sessions: sessions.get(&b.at).copied().unwrap_or(0),
                at: b.at,
                requests: b.requests,
                human_requests: b.human_requests,
                pageviews: b.pageviews,
            })
            .collect()
    };
    // What reads both figures first; then each part moves into its place.
    let timeline = timeline(&requests, &sessions);
    let rejected_humans = rejected_humans(&requests, &sessions);
    let t = sessions.traffic;
    Ok(Some(TrafficReport {
        settings: Settings::of(cfg),
        period: requests.period,
        site: Site {
            hosts,
            hosts_from: cfg.site_hosts_from.clone(),
        },
        traffic: Traffic {
            requests: requests.requests,
            human_requests: requests.human_requests,
            bot_requests: requests.bot_requests,
            visitors: t.visitors,
            visitors_new: t.visitors_new,
            visitors_returning: t.visitors_returning,
            sessions: t.sessions,
            sessions_returning: t.sessions_returning,
            pageviews: t.pageviews,
            sessions_with_pageviews: t.sessions_with_pageviews,
            pages_per_session: t.pages_per_session,
            bounces: t.bounces,
            bounce_rate: t.bounce_rate,
            session_duration: t.session_duration,
            time_on_page: t.time_on_page,
        },
        pages: Pages {
            top: requests.top_pages,
            entry: sessions.entry,
            exit: sessions.exit,
            paths: sessions.paths,
            next: sessions.next,
            time_on_page: sessions.time_on_page,
        },
        acquisition: sessions.acquisition,
        technology: sessions.technology,
        statuses: requests.statuses,
        bots: requests.bots,
        time: Time {
            by_day: buckets(requests.by_day, &days),
            by_hour: buckets(requests.by_hour, &hours),
            timeline,
        },
        funnels: funnels.reports,
        goals,
        errors: ErrorsReport {
            broken_internal_links: links.broken_internal_links,
            internal_links: links.internal_links,
            external_links: links.external_links,
            crawler_not_found: requests.crawler_not_found,
            rejected_humans,
            rejected_bots: requests.rejected_bots,
            slow_pages: requests.slow_pages,
            causes,
        },
        restarts: stories.restarts,
        reloads: stories.reloads,
        incidents: stories.incidents,
        error_log,
        currency: cfg.money.currency.clone(),
        notes: notes(user_agents_missing),
    }))
}
