//! The figures of the report that count sessions: the headline figures, entry and exit pages,
//! journeys, acquisition, technology, sessions per day and hour. Plans over the `sessions`
//! table; the report's ranking (most first, ties by value) is each query's `ORDER BY`.

use clickpath_analytics::histogram::SecondsHistogram;
use clickpath_analytics::numbers::{ratio, round2, share};
use clickpath_analytics::report::{
    Acquisition, Campaign, Durations, NextPages, PageTime, Row, Technology, TimeOnPage,
};
use clickpath_analytics::{
    MAX_SESSION_S, TrafficConfig, rank_page_times, ranked, session_durations,
};
use datafusion::error::Result;
use datafusion::prelude::SessionContext;

use super::{Filter, counts, ints, numbers, query, query_with, rows, texts};

const MICROS: f64 = 1_000_000.0;

/// What the report's `traffic` says of sessions and human visitors.
#[derive(Clone, Debug, serde::Serialize)]
pub struct SessionTraffic {
    pub human_requests: u64,
    pub visitors: u64,
    pub visitors_new: u64,
    pub visitors_returning: u64,
    pub sessions: u64,
    pub sessions_returning: u64,
    pub pageviews: u64,
    pub sessions_with_pageviews: u64,
    pub pages_per_session: f64,
    pub bounces: u64,
    pub bounce_rate: f64,
    pub session_duration: Durations,
    pub time_on_page: TimeOnPage,
}

/// The session figures of one filter.
#[derive(Clone, Debug, serde::Serialize)]
pub struct SessionFigures {
    pub traffic: SessionTraffic,
    /// `pages.entry`, `pages.exit`, `pages.paths`.
    pub entry: Vec<Row>,
    pub exit: Vec<Row>,
    pub paths: Vec<Row>,
    /// `pages.next`: what follows the report's chosen page.
    pub next: Option<NextPages>,
    /// `pages.time_on_page`.
    pub time_on_page: Vec<PageTime>,
    pub acquisition: Acquisition,
    pub technology: Technology,
    /// Sessions per local date and per hour of day of their start (`time.by_day[].sessions`).
    pub by_day: Vec<Row>,
    pub by_hour: Vec<Row>,
    /// Sessions that met a rejected request (`errors.rejected_humans.sessions`).
    pub rejected_sessions: u64,
    /// Sessions per UTC minute number of their first request (`time.timeline`).
    #[serde(skip)]
    pub arrivals: Vec<(i64, u64)>,
}

const HEADLINE: &str = "SELECT count(*), count(DISTINCT visitor), sum(requests), sum(page_views),
  sum(CASE WHEN page_views > 0 THEN 1 ELSE 0 END), sum(CASE WHEN page_views = 1 THEN 1 ELSE 0 END),
  sum(duration_s), count(country), sum(CASE WHEN rejected > 0 THEN 1 ELSE 0 END)
FROM sessions WHERE {sessions}";

const RETURNING_VISITORS: &str = "SELECT count(*) FROM
  (SELECT visitor FROM sessions WHERE {sessions} GROUP BY visitor HAVING count(*) > 1)";

const DURATIONS: &str =
    "SELECT CAST(floor(duration_s) AS BIGINT), count(*) FROM sessions WHERE {sessions} GROUP BY 1";

/// Sessions per value of `column` (rows with a value), most first, at most `top` (None: all).
fn ranking(column: &str, top: Option<usize>) -> String {
    let limit = top.map_or(String::new(), |n| format!("LIMIT {n}"));
    format!(
        "SELECT {column}, count(*) AS n FROM sessions WHERE {column} IS NOT NULL AND {{sessions}}
         GROUP BY 1 ORDER BY n DESC, 1 {limit}"
    )
}

const CAMPAIGNS: &str = "SELECT utm_source, utm_medium, utm_campaign, count(*) AS n FROM sessions
WHERE (utm_source IS NOT NULL OR utm_medium IS NOT NULL OR utm_campaign IS NOT NULL
  OR utm_term IS NOT NULL OR utm_content IS NOT NULL) AND {sessions}
GROUP BY 1, 2, 3
ORDER BY n DESC, 1 ASC NULLS FIRST, 2 ASC NULLS FIRST, 3 ASC NULLS FIRST LIMIT {top}";

const COUNTRIES: &str =
    "SELECT coalesce(country, 'unknown'), count(*) AS n FROM sessions WHERE {sessions}
GROUP BY 1 ORDER BY n DESC, 1 LIMIT {top}";

/// One pass over each page view followed by another (`page_steps`): time on page per whole
/// second (the report's histogram), per path, and the pages that follow the chosen one (`{to}`),
/// each a grouping set.
const STEPS: &str = "SELECT grouping(sec), grouping(path), sec, path, to_path, count(*),
  sum(gap)
FROM (SELECT CAST(floor(get_field(s, 'gap_us') / 1000000.0) AS BIGINT) AS sec,
        get_field(s, 'path') AS path, {to} AS to_path, get_field(s, 'gap_us') AS gap
      FROM (SELECT unnest(page_steps) AS s FROM sessions WHERE {sessions}))
GROUP BY GROUPING SETS ((sec), (path), (to_path))";

/// Sessions the chosen page ended.
const EXITS: &str = "SELECT count(*) FROM sessions WHERE exit_page = {value} AND {sessions}";

const BY_DAY: &str = "SELECT date, count(*) FROM sessions WHERE {sessions} GROUP BY 1 ORDER BY 1";
const BY_HOUR: &str = "SELECT hour, count(*) FROM sessions WHERE {sessions} GROUP BY 1 ORDER BY 1";
/// Sessions per UTC minute of their first request read (files without `arrived`: their
/// earliest).
const ARRIVALS: &str = "SELECT CAST(coalesce(arrived, started) AS BIGINT) / 60000000, count(*)
FROM sessions WHERE {sessions} GROUP BY 1";

/// The session figures of the sessions `filter` selects, as the report with `cfg` counts them:
/// lists of values hold at most `cfg.top` rows (channels and devices all), `next` follows
/// `cfg.next_from`.
pub async fn session_figures(
    ctx: &SessionContext,
    filter: &Filter,
    cfg: &TrafficConfig,
) -> Result<SessionFigures> {
    let top = cfg.top;
    let top_sql = |sql: &str| sql.replace("{top}", &top.to_string());
    let texts_of = [
        HEADLINE.to_owned(),
        RETURNING_VISITORS.to_owned(),
        DURATIONS.to_owned(),
        ranking("entry_page", Some(top)),
        ranking("exit_page", Some(top)),
        ranking("journey", Some(top)),
        ranking("channel", None),
        top_sql(CAMPAIGNS),
        ranking("utm_term", Some(top)),
        ranking("utm_content", Some(top)),
        ranking("referrer_domain", Some(top)),
        ranking("device", None),
        ranking("browser", Some(top)),
        ranking("os", Some(top)),
        top_sql(COUNTRIES),
        BY_DAY.to_owned(),
        BY_HOUR.to_owned(),
        ARRIVALS.to_owned(),
    ];
    let next_from = cfg.next_from.as_deref();
    let steps = STEPS.replace(
        "{to}",
        if next_from.is_some() {
            "CASE WHEN get_field(s, 'path') = {value} THEN get_field(s, 'next_path') END"
        } else {
            "CAST(NULL AS VARCHAR)"
        },
    );
    // The plans run at once: each is small, and together they keep both cores busy.
    let (results, steps, exits) = futures::future::try_join3(
        futures::future::try_join_all(texts_of.iter().map(|q| query(ctx, q, filter))),
        query_with(ctx, &steps, filter, next_from),
        async {
            match next_from {
                Some(_) => query_with(ctx, EXITS, filter, next_from).await.map(Some),
                None => Ok(None),
            }
        },
    )
    .await?;
    let [
        headline,
        returning,
        durations,
        entry,
        exit,
        paths,
        channels,
        campaigns,
        terms,
        contents,
        domains,
        devices,
        browsers,
        oses,
        countries,
        by_day,
        by_hour,
        arrivals,
    ]: [_; 18] = results.try_into().expect("one result per plan");

    let c = |i| counts(&headline, i).map(|v| v.first().copied().unwrap_or(0));
    let (sessions, visitors, human_requests, pageviews, with_pages, bounces) =
        (c(0)?, c(1)?, c(2)?, c(3)?, c(4)?, c(5)?);
    let duration_sum = numbers(&headline, 6)?.first().copied().unwrap_or(0.0);
    let with_countries = c(7)? > 0;
    let rejected_sessions = c(8)?;
    let visitors_returning = counts(&returning, 0)?.first().copied().unwrap_or(0);
    let histogram = SecondsHistogram::from_counts(
        MAX_SESSION_S,
        counts(&durations, 0)?
            .into_iter()
            .zip(counts(&durations, 1)?),
        duration_sum,
    );
    // The grouping sets of `STEPS`: by second, by path, by the next page.
    let (no_sec, no_path) = (counts(&steps, 0)?, counts(&steps, 1)?);
    let (secs, step_paths, to_paths) = (counts(&steps, 2)?, texts(&steps, 3)?, texts(&steps, 4)?);
    let (ns, totals) = (counts(&steps, 5)?, numbers(&steps, 6)?);
    let (mut histogram_counts, mut gap_sum) = (Vec::new(), 0.0);
    let (mut page_times, mut to, mut followed) = (Vec::new(), Vec::new(), 0);
    for k in 0..ns.len() {
        if no_sec[k] == 0 {
            histogram_counts.push((secs[k], ns[k]));
            gap_sum += totals[k];
        } else if no_path[k] == 0 {
            let path = step_paths[k].clone().unwrap_or_default();
            if Some(path.as_str()) == next_from {
                followed = ns[k];
            }
            page_times.push(PageTime {
                path,
                measured: ns[k],
                mean_s: round2(totals[k] / ns[k] as f64 / MICROS),
            });
        } else if let Some(p) = &to_paths[k] {
            to.push((p.clone(), ns[k]));
        }
    }
    let gaps = SecondsHistogram::from_counts(
        cfg.session_timeout_s.max(1) as usize,
        histogram_counts,
        gap_sum / MICROS,
    );
    rank_page_times(&mut page_times, top);
    let next = match (next_from, exits) {
        (Some(from), Some(exits)) => {
            let exits = counts(&exits, 0)?.first().copied().unwrap_or(0);
            Some(NextPages {
                from: from.to_owned(),
                views: followed + exits,
                exits,
                to: ranked(to, top),
            })
        }
        _ => None,
    };
    let campaign_rows = {
        let (s, m, k, n) = (
            texts(&campaigns, 0)?,
            texts(&campaigns, 1)?,
            texts(&campaigns, 2)?,
            counts(&campaigns, 3)?,
        );
        s.into_iter()
            .zip(m)
            .zip(k)
            .zip(n)
            .map(|(((source, medium), campaign), sessions)| Campaign {
                source,
                medium,
                campaign,
                sessions,
            })
            .collect()
    };
    let by_hour = counts(&by_hour, 0)?
        .into_iter()
        .zip(counts(&by_hour, 1)?)
        .map(|(h, n)| Row {
            value: format!("{h:02}"),
            count: n,
        })
        .collect();
    Ok(SessionFigures {
        traffic: SessionTraffic {
            human_requests,
            visitors,
            visitors_new: visitors - visitors_returning,
            visitors_returning,
            sessions,
            // A visitor's first session is new, each later one returning.
            sessions_returning: sessions - visitors,
            pageviews,
            sessions_with_pageviews: with_pages,
            pages_per_session: round2(ratio(pageviews, with_pages)),
            bounces,
            bounce_rate: share(bounces, with_pages),
            session_duration: session_durations(&histogram),
            time_on_page: TimeOnPage {
                measured: gaps.count(),
                // The last page view of each session with page views has no next one.
                censored: with_pages,
                mean_s: round2(gaps.mean()),
                median_s: gaps.quantile(0.5),
            },
        },
        entry: rows(&entry, "")?,
        exit: rows(&exit, "")?,
        paths: rows(&paths, "")?,
        next,
        time_on_page: page_times,
        acquisition: Acquisition {
            channels: rows(&channels, "")?,
            campaigns: campaign_rows,
            terms: rows(&terms, "")?,
            contents: rows(&contents, "")?,
            referrer_domains: rows(&domains, "")?,
        },
        technology: Technology {
            devices: rows(&devices, "")?,
            browsers: rows(&browsers, "")?,
            os: rows(&oses, "")?,
            countries: with_countries
                .then(|| rows(&countries, "unknown"))
                .transpose()?,
        },
        by_day: rows(&by_day, "")?,
        by_hour,
        rejected_sessions,
        arrivals: ints(&arrivals, 0)?
            .into_iter()
            .zip(counts(&arrivals, 1)?)
            .collect(),
    })
}
