//! Broken links (`errors.broken_internal_links`, `internal_links`, `external_links`): 404s by
//! the page or site that linked to them. One plan over the `requests` table; a link is internal
//! when its referrer is one of the site's hosts, by the report's rule
//! (`channel::is_site_host`), and ranked as the report ranks them.

use clickpath_analytics::channel::is_site_host;
use clickpath_analytics::report::BrokenLink;
use datafusion::error::Result;
use datafusion::prelude::SessionContext;
use rustc_hash::FxHashMap;

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
    let mut broken_internal = 0;
    let mut internal = Vec::new();
    let mut external: FxHashMap<(String, String), (u64, u64)> = FxHashMap::default();
    for k in 0..hits.len() {
        let host = hosts[k].clone().unwrap_or_default();
        let target = targets[k].clone().unwrap_or_default();
        if is_site_host(&host, site_hosts) {
            broken_internal += hits[k];
            internal.push(BrokenLink {
                source: sources[k].clone().unwrap_or_default(),
                target,
                hits: hits[k],
                sessions: sessions[k],
                in_funnel_sessions: 0,
            });
        } else {
            let e = external.entry((host, target)).or_default();
            e.0 += hits[k];
            e.1 += sessions[k];
        }
    }
    let mut external: Vec<BrokenLink> = external
        .into_iter()
        .map(|((source, target), (hits, sessions))| BrokenLink {
            source,
            target,
            hits,
            sessions,
            in_funnel_sessions: 0,
        })
        .collect();
    for links in [&mut internal, &mut external] {
        // Most sessions first, then most hits, then by source and target (the report's order).
        links.sort_by(|a, b| {
            (b.sessions, b.hits)
                .cmp(&(a.sessions, a.hits))
                .then_with(|| (&a.source, &a.target).cmp(&(&b.source, &b.target)))
        });
        links.truncate(top);
    }
    Ok(BrokenLinks {
        broken_internal_links: broken_internal,
        internal_links: internal,
        external_links: external,
    })
}
