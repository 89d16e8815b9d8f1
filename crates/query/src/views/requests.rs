//! The figures of the report that count requests: totals and period, statuses, bots, page views
//! per path, requests per day and hour. Plans over the `requests` table.

use clickpath_analytics::class_rows;
use clickpath_analytics::report::{BotRow, Bots, Period, Row, Statuses};
use datafusion::error::Result;
use datafusion::prelude::SessionContext;

use super::{Filter, counts, query, rows, texts};

/// Requests, human requests and page views per local date or hour (`time.by_day`,
/// `time.by_hour` without their sessions).
#[derive(Clone, Debug, serde::Serialize)]
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
}

const TOTALS: &str = "SELECT count(*), sum(CASE WHEN is_bot THEN 0 ELSE 1 END),
  CAST(min(ts) AS BIGINT), CAST(max(ts) AS BIGINT)
FROM requests WHERE {requests}";

/// Requests per status (600: none; above 599 counted as 599, as the report does), humans and
/// bots apart.
const STATUSES: &str = "SELECT coalesce(least(CAST(status AS INT), 599), 600) AS code,
  sum(CASE WHEN is_bot THEN 0 ELSE 1 END), sum(CASE WHEN is_bot THEN 1 ELSE 0 END)
FROM requests WHERE {requests} GROUP BY 1 ORDER BY 1";

const BOT_FAMILIES: &str = "SELECT bot_family, count(*) AS n FROM requests
WHERE is_bot AND {requests} GROUP BY 1 ORDER BY n DESC, 1";

/// Per bot: requests, and requests per status class (`none` for no status or below 100).
const BOTS: &str = "SELECT bot_name, bot_family, count(*) AS n,
  sum(CASE WHEN status IS NULL OR status < 100 THEN 1 ELSE 0 END),
  sum(CASE WHEN status >= 100 AND status < 200 THEN 1 ELSE 0 END),
  sum(CASE WHEN status >= 200 AND status < 300 THEN 1 ELSE 0 END),
  sum(CASE WHEN status >= 300 AND status < 400 THEN 1 ELSE 0 END),
  sum(CASE WHEN status >= 400 AND status < 500 THEN 1 ELSE 0 END),
  sum(CASE WHEN status >= 500 THEN 1 ELSE 0 END)
FROM requests WHERE is_bot AND {requests} GROUP BY 1, 2 ORDER BY n DESC, 1 LIMIT {top}";

/// The most requested paths of each bot of `BOTS`.
const BOT_PATHS: &str = "SELECT bot_name, path, n FROM (
  SELECT bot_name, path, n, row_number() OVER (PARTITION BY bot_name ORDER BY n DESC, path) AS k
  FROM (SELECT bot_name, coalesce(path, '') AS path, count(*) AS n FROM requests
        WHERE is_bot AND {requests} GROUP BY 1, 2))
WHERE k <= {top} ORDER BY bot_name, k";

const TOP_PAGES: &str = "SELECT coalesce(path, ''), count(*) AS n FROM requests
WHERE is_page_view AND NOT is_bot AND {requests} GROUP BY 1 ORDER BY n DESC, 1 LIMIT {top}";

const BY_DAY: &str = "SELECT date, count(*), sum(CASE WHEN is_bot THEN 0 ELSE 1 END),
  sum(CASE WHEN is_page_view AND NOT is_bot THEN 1 ELSE 0 END)
FROM requests WHERE {requests} GROUP BY 1 ORDER BY 1";

/// The local hour: UTC seconds plus the printed offset.
const BY_HOUR: &str = "SELECT
  ((CAST(date_part('epoch', ts) AS BIGINT) + coalesce(CAST(tz_offset_min AS BIGINT), 0) * 60)
    % 86400 + 86400) % 86400 / 3600 AS hour,
  count(*), sum(CASE WHEN is_bot THEN 0 ELSE 1 END),
  sum(CASE WHEN is_page_view AND NOT is_bot THEN 1 ELSE 0 END)
FROM requests WHERE {requests} GROUP BY 1 ORDER BY 1";

fn buckets(
    batches: &[arrow_array::RecordBatch],
    at: impl Fn(String) -> String,
) -> Result<Vec<RequestBucket>> {
    let (keys, n, h, p) = (
        texts(batches, 0)?,
        counts(batches, 1)?,
        counts(batches, 2)?,
        counts(batches, 3)?,
    );
    Ok(keys
        .into_iter()
        .zip(n.into_iter().zip(h).zip(p))
        .map(
            |(k, ((requests, human_requests), pageviews))| RequestBucket {
                at: at(k.unwrap_or_default()),
                requests,
                human_requests,
                pageviews,
            },
        )
        .collect())
}

fn rfc3339(micros: u64) -> String {
    let mut s = String::new();
    clickpath_model::format_rfc3339_micros(micros as i64, &mut s);
    s
}

/// The request figures of the requests `filter` selects; lists hold at most `top` rows (bot
/// families all), as in the report.
pub async fn request_figures(
    ctx: &SessionContext,
    filter: &Filter,
    top: usize,
) -> Result<RequestFigures> {
    let plans: Vec<String> = [
        TOTALS,
        STATUSES,
        BOT_FAMILIES,
        BOTS,
        BOT_PATHS,
        TOP_PAGES,
        BY_DAY,
        BY_HOUR,
    ]
    .iter()
    .map(|q| q.replace("{top}", &top.to_string()))
    .collect();
    let results =
        futures::future::try_join_all(plans.iter().map(|q| query(ctx, q, filter))).await?;
    let [
        totals,
        statuses,
        families,
        bots,
        bot_paths,
        top_pages,
        by_day,
        by_hour,
    ]: [_; 8] = results.try_into().expect("one result per plan");

    let t = counts(&totals, 0)?;
    let requests = t.first().copied().unwrap_or(0);
    let human_requests = counts(&totals, 1)?.first().copied().unwrap_or(0);
    // Timestamps are micros since the epoch; none without requests.
    let period = (requests > 0)
        .then(|| -> Result<Period> {
            Ok(Period {
                first: rfc3339(counts(&totals, 2)?[0]),
                last: rfc3339(counts(&totals, 3)?[0]),
            })
        })
        .transpose()?;

    let (codes, human, bot) = (
        counts(&statuses, 0)?,
        counts(&statuses, 1)?,
        counts(&statuses, 2)?,
    );
    let label = |code: u64| {
        if code == 600 {
            "none".to_owned()
        } else {
            code.to_string()
        }
    };
    let status_rows = |by: &dyn Fn(usize) -> u64| -> Vec<Row> {
        codes
            .iter()
            .enumerate()
            .map(|(i, &c)| Row {
                value: label(c),
                count: by(i),
            })
            .filter(|r| r.count > 0)
            .collect()
    };
    let mut classes = [0u64; 6];
    for (i, &c) in codes.iter().enumerate() {
        let class = if c == 600 {
            0
        } else {
            (c as usize / 100).min(5)
        };
        classes[class] += human[i] + bot[i];
    }
    let statuses = Statuses {
        all: status_rows(&|i| human[i] + bot[i]),
        human: status_rows(&|i| human[i]),
        bot: status_rows(&|i| bot[i]),
        classes: class_rows(&classes),
    };

    let (paths_bot, paths, paths_n) = (
        texts(&bot_paths, 0)?,
        texts(&bot_paths, 1)?,
        counts(&bot_paths, 2)?,
    );
    let names = texts(&bots, 0)?;
    let fams = texts(&bots, 1)?;
    let ns = counts(&bots, 2)?;
    let class_counts: Vec<Vec<u64>> = (3..9).map(|i| counts(&bots, i)).collect::<Result<_>>()?;
    let by_name = names
        .into_iter()
        .enumerate()
        .map(|(i, name)| {
            let name = name.unwrap_or_default();
            let mut c = [0u64; 6];
            for (k, v) in c.iter_mut().enumerate() {
                *v = class_counts[k][i];
            }
            let top_paths = paths_bot
                .iter()
                .zip(&paths)
                .zip(&paths_n)
                .filter(|((b, _), _)| b.as_deref() == Some(name.as_str()))
                .map(|((_, p), &n)| Row {
                    value: p.clone().unwrap_or_default(),
                    count: n,
                })
                .collect();
            BotRow {
                name,
                family: fams[i].clone().unwrap_or_default(),
                requests: ns[i],
                statuses: class_rows(&c),
                top_paths,
            }
        })
        .collect();
    let bot_requests = requests - human_requests;
    let hours = buckets(&by_hour, |h| h)?;
    let by_hour = (0..24)
        .map(|h| {
            hours
                .iter()
                .find(|b| b.at == h.to_string())
                .cloned()
                .map_or(
                    RequestBucket {
                        at: format!("{h:02}"),
                        requests: 0,
                        human_requests: 0,
                        pageviews: 0,
                    },
                    |b| RequestBucket {
                        at: format!("{h:02}"),
                        ..b
                    },
                )
        })
        .collect();
    Ok(RequestFigures {
        requests,
        human_requests,
        bot_requests,
        period,
        statuses,
        bots: Bots {
            requests: bot_requests,
            by_family: rows(&families, "")?,
            by_name,
        },
        top_pages: rows(&top_pages, "")?,
        by_day: buckets(&by_day, |d| d)?,
        by_hour,
    })
}
