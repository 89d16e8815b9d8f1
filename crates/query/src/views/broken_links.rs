//! Broken links (`errors.broken_internal_links`, `internal_links`, `external_links`): 404s by
//! the page or site that linked to them. One plan over the `requests` table, grouped and ranked
//! by the report's own `group_broken_links`.

use clickpath_analytics::channel::is_site_host;
use clickpath_analytics::group_broken_links;
use clickpath_analytics::report::BrokenLink;
use datafusion::error::Result;
use datafusion::prelude::SessionContext;

use super::{Filter, counts, query, texts};

/// 404s with a referrer: hits (humans and bots) and the human sessions that met each.
const LINKS: &str = "SELECT referrer_host, referrer_path(referrer), coalesce(path, ''), count(*),
  count(DISTINCT CASE WHEN NOT is_bot THEN session_id END)
FROM requests WHERE status = 404 AND referrer_host IS NOT NULL AND {requests}
GROUP BY 1, 2, 3";

/// What the report's `errors` says of broken links.
#[derive(Clone, Debug, serde::Serialize)]
pub struct BrokenLinks {
    pub broken_internal_links: u64,
    pub internal_links: Vec<BrokenLink>,
    pub external_links: Vec<BrokenLink>,
}

/// The broken links of the requests `filter` selects, `top` of each kind. Their
/// `in_funnel_sessions` need the funnels, which have no plans yet: 0 here (the report's figure
/// without funnels).
pub async fn broken_links(
    ctx: &SessionContext,
    filter: &Filter,
    site_hosts: &[String],
    top: usize,
) -> Result<BrokenLinks> {
    let rows = query(ctx, LINKS, filter).await?;
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
                    in_funnel_sessions: 0,
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
