//! Broken links (`errors.broken_internal_links`, `internal_links`, `external_links`): 404s by
//! the page or site that linked to them. One plan over the `requests` table, grouped and ranked
//! by the report's own `group_broken_links`; with funnels, one more for the sessions that met a
//! link inside a funnel.

use clickpath_analytics::channel::is_site_host;
use clickpath_analytics::group_broken_links;
use clickpath_analytics::report::BrokenLink;
use datafusion::error::Result;
use datafusion::prelude::SessionContext;

use rustc_hash::FxHashMap;

use super::{Filter, counts, ints, query, texts};

/// 404s with a referrer: hits (humans and bots) and the human sessions that met each.
const LINKS: &str = "SELECT referrer_host, referrer_path(referrer), coalesce(path, ''), count(*),
  count(DISTINCT CASE WHEN NOT is_bot THEN session_id END)
FROM requests WHERE status = 404 AND referrer_host IS NOT NULL AND {requests}
GROUP BY 1, 2, 3";

/// Each human session's first 404 of each link, for the links' in-funnel sessions.
const FIRST_HITS: &str = "SELECT referrer_host, referrer_path(referrer), coalesce(path, ''),
  session_id, CAST(min(ts) AS BIGINT)
FROM requests WHERE status = 404 AND referrer_host IS NOT NULL AND NOT is_bot AND {requests}
GROUP BY 1, 2, 3, 4";

/// A link as the plans' rows name it: referrer host, source page, target.
type Link = (Option<String>, Option<String>, Option<String>);

/// What the report's `errors` says of broken links.
#[derive(Clone, Debug, serde::Serialize)]
pub struct BrokenLinks {
    pub broken_internal_links: u64,
    pub internal_links: Vec<BrokenLink>,
    pub external_links: Vec<BrokenLink>,
}

/// The broken links of the requests `filter` selects, `top` of each kind; `in_funnel`: when
/// each session was inside a funnel (`funnels`), a link's session counting in its
/// `in_funnel_sessions` when the first 404 of it came then (empty without funnels).
pub async fn broken_links(
    ctx: &SessionContext,
    filter: &Filter,
    site_hosts: &[String],
    in_funnel: &FxHashMap<u64, Vec<(i64, i64)>>,
    top: usize,
) -> Result<BrokenLinks> {
    let rows = query(ctx, LINKS, filter).await?;
    let mut in_funnel_sessions: FxHashMap<Link, u64> = FxHashMap::default();
    if !in_funnel.is_empty() {
        let first = query(ctx, FIRST_HITS, filter).await?;
        let (hosts, sources, targets) = (texts(&first, 0)?, texts(&first, 1)?, texts(&first, 2)?);
        let (sessions, at) = (counts(&first, 3)?, ints(&first, 4)?);
        for k in 0..sessions.len() {
            let inside = in_funnel
                .get(&sessions[k])
                .is_some_and(|spans| spans.iter().any(|&(a, b)| a <= at[k] && at[k] <= b));
            if inside {
                let key = (hosts[k].clone(), sources[k].clone(), targets[k].clone());
                *in_funnel_sessions.entry(key).or_default() += 1;
            }
        }
    }
    let (hosts, sources, targets) = (texts(&rows, 0)?, texts(&rows, 1)?, texts(&rows, 2)?);
    let (hits, sessions) = (counts(&rows, 3)?, counts(&rows, 4)?);
    let links = (0..hits.len())
        .map(|k| {
            (
                hosts[k].clone().unwrap_or_default(),
                BrokenLink {
                    source: sources[k].clone().unwrap_or_default(),
                    target: targets[k].clone().unwrap_or_default(),
                    hits: hits[k],
                    sessions: sessions[k],
                    in_funnel_sessions: in_funnel_sessions
                        .get(&(hosts[k].clone(), sources[k].clone(), targets[k].clone()))
                        .copied()
                        .unwrap_or(0),
                },
            )
        })
        .collect();
    let (broken_internal, internal, external) =
        group_broken_links(links, &|h| is_site_host(h, site_hosts), top);
    Ok(BrokenLinks {
        broken_internal_links: broken_internal,
        internal_links: internal,
        external_links: external,
    })
}
