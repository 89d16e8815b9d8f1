//! The figures of the report that count sessions: the headline figures, entry and exit pages,
//! journeys, acquisition, technology, sessions per day and hour. Plans over the `sessions`
//! table; the report's ranking (most first, ties by value) is each query's `ORDER BY`.

use clickpath_analytics::histogram::SecondsHistogram;
use clickpath_analytics::numbers::{ratio, round2, share};
use clickpath_analytics::report::{Acquisition, Campaign, Durations, Row, Technology};
use clickpath_analytics::{MAX_SESSION_S, session_durations};
use datafusion::error::Result;
use datafusion::prelude::SessionContext;

use super::{Filter, counts, numbers, query, rows, texts};

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
}

/// The session figures of one filter.
#[derive(Clone, Debug, serde::Serialize)]
pub struct SessionFigures {
    pub traffic: SessionTraffic,
    /// `pages.entry`, `pages.exit`, `pages.paths`.
    pub entry: Vec<Row>,
    pub exit: Vec<Row>,
    pub paths: Vec<Row>,
    pub acquisition: Acquisition,
    pub technology: Technology,
    /// Sessions per local date and per hour of day of their start (`time.by_day[].sessions`).
    pub by_day: Vec<Row>,
    pub by_hour: Vec<Row>,
}

const HEADLINE: &str = "SELECT count(*), count(DISTINCT visitor), sum(requests), sum(page_views),
  sum(CASE WHEN page_views > 0 THEN 1 ELSE 0 END), sum(CASE WHEN page_views = 1 THEN 1 ELSE 0 END),
  sum(duration_s), count(country)
FROM sessions WHERE {sessions}";

const RETURNING_VISITORS: &str = "SELECT count(*) FROM
  (SELECT visitor FROM sessions WHERE {sessions} GROUP BY visitor HAVING count(*) > 1)";

const DURATIONS: &str =
    "SELECT CAST(floor(duration_s) AS BIGINT), count(*) FROM sessions WHERE {sessions} GROUP BY 1";

/// Sessions per value of `column` (rows with a value), most first, at most `top`.
fn ranking(column: &str, top: usize) -> String {
    format!(
        "SELECT {column}, count(*) AS n FROM sessions WHERE {column} IS NOT NULL AND {{sessions}}
         GROUP BY 1 ORDER BY n DESC, 1 LIMIT {top}"
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

const BY_DAY: &str = "SELECT date, count(*) FROM sessions WHERE {sessions} GROUP BY 1 ORDER BY 1";
const BY_HOUR: &str = "SELECT hour, count(*) FROM sessions WHERE {sessions} GROUP BY 1 ORDER BY 1";

/// The session figures of the sessions `filter` selects; lists of values hold at most `top` rows
/// (channels and devices all), as in the report.
pub async fn session_figures(
    ctx: &SessionContext,
    filter: &Filter,
    top: usize,
) -> Result<SessionFigures> {
    let top_sql = |sql: &str| sql.replace("{top}", &top.to_string());
    let texts_of = [
        HEADLINE.to_owned(),
        RETURNING_VISITORS.to_owned(),
        DURATIONS.to_owned(),
        ranking("entry_page", top),
        ranking("exit_page", top),
        ranking("journey", top),
        ranking("channel", usize::MAX >> 1),
        top_sql(CAMPAIGNS),
        ranking("utm_term", top),
        ranking("utm_content", top),
        ranking("referrer_domain", top),
        ranking("device", usize::MAX >> 1),
        ranking("browser", top),
        ranking("os", top),
        top_sql(COUNTRIES),
        BY_DAY.to_owned(),
        BY_HOUR.to_owned(),
    ];
    // The plans run at once: each is small, and together they keep both cores busy.
    let results =
        futures::future::try_join_all(texts_of.iter().map(|q| query(ctx, q, filter))).await?;
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
    ]: [_; 17] = results.try_into().expect("one result per plan");

    let c = |i| counts(&headline, i).map(|v| v.first().copied().unwrap_or(0));
    let (sessions, visitors, human_requests, pageviews, with_pages, bounces) =
        (c(0)?, c(1)?, c(2)?, c(3)?, c(4)?, c(5)?);
    let duration_sum = numbers(&headline, 6)?.first().copied().unwrap_or(0.0);
    let with_countries = c(7)? > 0;
    let visitors_returning = counts(&returning, 0)?.first().copied().unwrap_or(0);
    let histogram = SecondsHistogram::from_counts(
        MAX_SESSION_S,
        counts(&durations, 0)?
            .into_iter()
            .zip(counts(&durations, 1)?),
        duration_sum,
    );
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
    let by_day = texts(&by_day, 0)?
        .into_iter()
        .zip(counts(&by_day, 1)?)
        .map(|(d, n)| Row {
            value: d.unwrap_or_default(),
            count: n,
        })
        .collect();
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
        },
        entry: rows(&entry, "")?,
        exit: rows(&exit, "")?,
        paths: rows(&paths, "")?,
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
        by_day,
        by_hour,
    })
}
