//! The figures of the report that count requests: totals and period, statuses, bots, page views
//! and response times per path, requests per day and hour. Two plans over the `requests` table (one pass for the
//! counts by day, hour, status and bot, one for the paths); the figures are folded from their
//! small results with the report's own ranking.

use std::collections::BTreeMap;

use clickpath_analytics::incidents::TimelineCounts;
use clickpath_analytics::report::{BotRow, Bots, PageSpeed, Period, RejectedReport, Row, Statuses};
use clickpath_analytics::speed::SpeedHistogram;
use clickpath_analytics::{class_rows, rank_bots, ranked, status_class, status_rows};
use clickpath_analytics::{rejected_report, slow_pages};
use datafusion::error::Result;
use datafusion::prelude::SessionContext;
use rustc_hash::FxHashMap;

use super::{Filter, bools, counts, counts_or_null, ints, query, texts};

/// Requests, human requests and page views per local date or hour (`time.by_day`,
/// `time.by_hour` without their sessions).
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct RequestBucket {
    pub at: String,
    pub requests: u64,
    pub human_requests: u64,
    pub pageviews: u64,
}

/// The request figures of one filter.
#[derive(Clone, Debug, serde::Serialize)]
pub struct RequestFigures {
    pub requests: u64,
    pub human_requests: u64,
    pub bot_requests: u64,
    pub period: Option<Period>,
    pub statuses: Statuses,
    pub bots: Bots,
    /// `pages.top`: human page views per path.
    pub top_pages: Vec<Row>,
    pub by_day: Vec<RequestBucket>,
    /// All 24 hours.
    pub by_hour: Vec<RequestBucket>,
    /// `errors.rejected_bots`.
    pub rejected_bots: RejectedReport,
    /// `errors.crawler_not_found`: 404s served to search-engine crawlers, per path.
    pub crawler_not_found: Vec<Row>,
    /// `errors.slow_pages`: response times of human page views per path (logs with durations).
    pub slow_pages: Vec<PageSpeed>,
    /// The timeline's request counts per UTC minute number (`time.timeline`).
    #[serde(skip)]
    pub minutes: Vec<(i64, TimelineCounts)>,
    /// Human requests per status code (index 600: none), for `errors.rejected_humans`.
    #[serde(skip)]
    pub human_statuses: Vec<u64>,
}

/// Requests per local date, local hour, status (600: none; above 599 counted as 599, as the
/// report does), humans or bots, page view or not, and bot.
const COUNTS: &str = "SELECT date,
  ((CAST(date_part('epoch', ts) AS BIGINT) + coalesce(CAST(tz_offset_min AS BIGINT), 0) * 60)
    % 86400 + 86400) % 86400 / 3600 AS hour,
  coalesce(least(CAST(status AS INT), 599), 600) AS code,
  is_bot, is_page_view, bot_name, bot_family,
  count(*), CAST(min(ts) AS BIGINT), CAST(max(ts) AS BIGINT)
FROM requests WHERE {requests} GROUP BY 1, 2, 3, 4, 5, 6, 7";

/// Requests, human requests, human 5xx and error responses per UTC minute number.
const MINUTES: &str = "SELECT CAST(ts AS BIGINT) / 60000000, count(*),
  count(*) FILTER (WHERE NOT is_bot), count(*) FILTER (WHERE NOT is_bot AND status >= 500),
  count(*) FILTER (WHERE status >= 400)
FROM requests WHERE {requests} GROUP BY 1";

/// 404s served to search-engine crawlers, per path.
const CRAWLER_NOT_FOUND: &str = "SELECT coalesce(path, ''), count(*) FROM requests
WHERE is_bot AND bot_family = 'search' AND status = 404 AND {requests} GROUP BY 1";

/// Human page views per path and response-time bucket (null: no duration logged), bot
/// requests per path and bot.
const PATHS: &str = "SELECT is_bot, bot_name, coalesce(path, ''), count(*),
  CASE WHEN NOT is_bot THEN speed_bucket(duration_us) END
FROM requests WHERE (is_bot OR is_page_view) AND {requests} GROUP BY 1, 2, 3, 5";

#[derive(Default)]
struct Bot {
    requests: u64,
    classes: [u64; 6],
}

fn rfc3339(micros: i64) -> String {
    let mut s = String::new();
    clickpath_model::format_rfc3339_micros(micros, &mut s);
    s
}

/// The request figures of the requests `filter` selects; lists hold at most `top` rows (bot
/// families all), as in the report.
pub async fn request_figures(
    ctx: &SessionContext,
    filter: &Filter,
    top: usize,
) -> Result<RequestFigures> {
    let (groups, paths, crawler, minutes) = futures::future::try_join4(
        query(ctx, COUNTS, filter),
        query(ctx, PATHS, filter),
        query(ctx, CRAWLER_NOT_FOUND, filter),
        query(ctx, MINUTES, filter),
    )
    .await?;

    let (dates, hours, codes) = (texts(&groups, 0)?, counts(&groups, 1)?, counts(&groups, 2)?);
    let (is_bot, is_page) = (bools(&groups, 3)?, bools(&groups, 4)?);
    let (names, families, ns) = (texts(&groups, 5)?, texts(&groups, 6)?, counts(&groups, 7)?);
    let (firsts, lasts) = (ints(&groups, 8)?, ints(&groups, 9)?);

    let (mut requests, mut human_requests) = (0u64, 0u64);
    let mut period: Option<(i64, i64)> = None;
    let (mut all, mut human, mut bot) = (vec![0u64; 601], vec![0u64; 601], vec![0u64; 601]);
    let mut days: BTreeMap<String, RequestBucket> = BTreeMap::new();
    let mut by_hour: Vec<RequestBucket> = (0..24)
        .map(|h| RequestBucket {
            at: format!("{h:02}"),
            ..Default::default()
        })
        .collect();
    let mut bots: FxHashMap<(String, String), Bot> = FxHashMap::default();
    let mut families_n: FxHashMap<String, u64> = FxHashMap::default();
    for g in 0..ns.len() {
        let n = ns[g];
        let code = codes[g] as usize;
        requests += n;
        period = Some(match period {
            None => (firsts[g], lasts[g]),
            Some((a, b)) => (a.min(firsts[g]), b.max(lasts[g])),
        });
        all[code] += n;
        let day = days
            .entry(dates[g].clone().unwrap_or_default())
            .or_insert_with_key(|at| RequestBucket {
                at: at.clone(),
                ..Default::default()
            });
        let hour = &mut by_hour[(hours[g] as usize).min(23)];
        day.requests += n;
        hour.requests += n;
        if is_bot[g] {
            bot[code] += n;
            let family = families[g].clone().unwrap_or_default();
            *families_n.entry(family.clone()).or_default() += n;
            let b = bots
                .entry((names[g].clone().unwrap_or_default(), family))
                .or_default();
            b.requests += n;
            b.classes[status_class(code)] += n;
        } else {
            human_requests += n;
            human[code] += n;
            day.human_requests += n;
            hour.human_requests += n;
            if is_page[g] {
                day.pageviews += n;
                hour.pageviews += n;
            }
        }
    }

    let (path_bot, path_name, path_value, path_n) = (
        bools(&paths, 0)?,
        texts(&paths, 1)?,
        texts(&paths, 2)?,
        counts(&paths, 3)?,
    );
    let speed = counts_or_null(&paths, 4)?;
    let mut pages: FxHashMap<String, u64> = FxHashMap::default();
    let mut speeds: FxHashMap<String, Vec<(usize, u64)>> = FxHashMap::default();
    let mut bot_paths: FxHashMap<String, Vec<(String, u64)>> = FxHashMap::default();
    for k in 0..path_n.len() {
        let value = path_value[k].clone().unwrap_or_default();
        if path_bot[k] {
            bot_paths
                .entry(path_name[k].clone().unwrap_or_default())
                .or_default()
                .push((value, path_n[k]));
            continue;
        }
        if let Some(b) = speed[k] {
            speeds
                .entry(value.clone())
                .or_default()
                .push((b as usize, path_n[k]));
        }
        *pages.entry(value).or_default() += path_n[k];
    }
    let speeds: Vec<(String, SpeedHistogram)> = speeds
        .into_iter()
        .map(|(p, c)| (p, SpeedHistogram::from_counts(c)))
        .collect();
    let mut by_name: Vec<BotRow> = bots
        .into_iter()
        .map(|((name, family), b)| BotRow {
            top_paths: ranked(bot_paths.get(&name).cloned().unwrap_or_default(), top),
            name,
            family,
            requests: b.requests,
            statuses: class_rows(&b.classes),
        })
        .collect();
    rank_bots(&mut by_name, top);

    let mut classes = [0u64; 6];
    for (code, &n) in all.iter().enumerate() {
        classes[status_class(code)] += n;
    }
    let bot_requests = requests - human_requests;
    Ok(RequestFigures {
        requests,
        human_requests,
        bot_requests,
        period: period.map(|(a, b)| Period {
            first: rfc3339(a),
            last: rfc3339(b),
        }),
        statuses: Statuses {
            all: status_rows(&all),
            human: status_rows(&human),
            bot: status_rows(&bot),
            classes: class_rows(&classes),
        },
        bots: Bots {
            requests: bot_requests,
            by_family: ranked(families_n, usize::MAX),
            by_name,
        },
        top_pages: ranked(pages, top),
        by_day: days.into_values().collect(),
        by_hour,
        rejected_bots: rejected_report(&bot, 0),
        crawler_not_found: ranked(
            texts(&crawler, 0)?
                .into_iter()
                .map(Option::unwrap_or_default)
                .zip(counts(&crawler, 1)?),
            top,
        ),
        slow_pages: slow_pages(speeds.iter().map(|(p, h)| (p.clone(), h)), top),
        minutes: {
            let c = |i| counts(&minutes, i);
            let (n, human, human_5xx, errors) = (c(1)?, c(2)?, c(3)?, c(4)?);
            ints(&minutes, 0)?
                .into_iter()
                .enumerate()
                .map(|(k, m)| {
                    let counts = TimelineCounts {
                        requests: n[k],
                        human_requests: human[k],
                        human_5xx: human_5xx[k],
                        errors: errors[k],
                        sessions_started: 0,
                    };
                    (m, counts)
                })
                .collect()
        },
        human_statuses: human,
    })
}
