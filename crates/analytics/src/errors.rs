//! Errors that cost visitors, outside the funnel view: broken links (404s by where the link
//! was), rejected requests served to humans vs bots, and slow pages.

use rustc_hash::FxHashMap;

use crate::channel::is_site_host;
use crate::funnel::Names;
use crate::report::*;
use crate::session::{ClosedSession, ErrorKind};
use crate::speed::SpeedHistogram;

/// (referrer host, referrer path, target path)
type LinkKey = (u32, u32, u32);

#[derive(Default)]
struct LinkCount {
    hits: u64,
    sessions: u64,
    in_funnel: u64,
}

#[derive(Default)]
pub(crate) struct ErrorStats {
    links: FxHashMap<LinkKey, LinkCount>,
    crawler_404: FxHashMap<u32, u64>,
    rejected_sessions: u64,
    page_speed: FxHashMap<u32, SpeedHistogram>,
}

impl ErrorStats {
    /// A 404 served to a bot (bots have no sessions); `search` for search-engine crawlers.
    pub fn bot_not_found(&mut self, referrer: (u32, u32), target: u32, search: bool) {
        let l = self
            .links
            .entry((referrer.0, referrer.1, target))
            .or_default();
        l.hits += 1;
        if search {
            *self.crawler_404.entry(target).or_default() += 1;
        }
    }

    /// A human session; `in_funnel` tells whether each event lies inside a funnel.
    pub fn add_session(&mut self, s: &ClosedSession<'_>, in_funnel: &dyn Fn(i64) -> bool) {
        let mut seen: Vec<LinkKey> = Vec::new();
        let mut rejected = false;
        for e in s.events {
            if e.page
                && let Some(d) = e.duration_us
            {
                self.page_speed.entry(e.path).or_default().add(d);
            }
            rejected |= ErrorKind::of(e.status) == Some(ErrorKind::Rejected);
            if e.status != 404 {
                continue;
            }
            let key = (e.referrer.0, e.referrer.1, e.path);
            let l = self.links.entry(key).or_default();
            l.hits += 1;
            if !seen.contains(&key) {
                seen.push(key);
                l.sessions += 1;
                l.in_funnel += u64::from(in_funnel(e.ts));
            }
        }
        self.rejected_sessions += u64::from(rejected);
    }

    pub fn finish(
        self,
        names: &dyn Names,
        status_human: &[u64],
        status_bot: &[u64],
        top: usize,
    ) -> ErrorsReport {
        let links: Vec<(String, BrokenLink)> = self
            .links
            .iter()
            .filter(|((host, _, _), _)| *host != 0)
            .map(|(&(host, ref_path, target), c)| {
                (
                    names.host(host).to_owned(),
                    BrokenLink {
                        source: names.path(ref_path).to_owned(),
                        target: names.path(target).to_owned(),
                        hits: c.hits,
                        sessions: c.sessions,
                        in_funnel_sessions: c.in_funnel,
                    },
                )
            })
            .collect();
        let site_hosts = names.site_hosts();
        let (broken_internal, internal, external) =
            group_broken_links(links, &|h| is_site_host(h, site_hosts), top);
        let mut crawler: Vec<Row> = self
            .crawler_404
            .iter()
            .map(|(&p, &n)| Row {
                value: names.path(p).to_owned(),
                count: n,
            })
            .collect();
        crawler.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
        crawler.truncate(top);
        let slow = slow_pages(
            self.page_speed
                .iter()
                .map(|(&p, h)| (names.path(p).to_owned(), h)),
            top,
        );
        ErrorsReport {
            causes: Vec::new(),
            broken_internal_links: broken_internal,
            internal_links: internal,
            external_links: external,
            crawler_not_found: crawler,
            rejected_humans: rejected_report(status_human, self.rejected_sessions),
            rejected_bots: rejected_report(status_bot, 0),
            slow_pages: slow,
        }
    }
}

/// `errors.slow_pages` from the response times of human page views per path: most viewed
/// first, at most `top`.
pub fn slow_pages<'a>(
    pages: impl IntoIterator<Item = (String, &'a SpeedHistogram)>,
    top: usize,
) -> Vec<PageSpeed> {
    let mut slow: Vec<PageSpeed> = pages
        .into_iter()
        .map(|(path, h)| PageSpeed {
            path,
            views: h.count(),
            p50_ms: h.quantile_ms(0.5).unwrap_or(0),
            p95_ms: h.quantile_ms(0.95).unwrap_or(0),
        })
        .collect();
    slow.sort_by(|a, b| b.views.cmp(&a.views).then_with(|| a.path.cmp(&b.path)));
    slow.truncate(top);
    slow
}

/// Rejected requests (401, 403, 405, 429, 444, 499...) from requests per status code (index
/// 600: none) and the human sessions that met one.
pub fn rejected_report(counts: &[u64], sessions: u64) -> RejectedReport {
    let by_status: Vec<Row> = counts
        .iter()
        .enumerate()
        .filter(|&(code, &n)| {
            n > 0 && code < 600 && ErrorKind::of(code as u16) == Some(ErrorKind::Rejected)
        })
        .map(|(code, &n)| Row {
            value: code.to_string(),
            count: n,
        })
        .collect();
    RejectedReport {
        requests: by_status.iter().map(|r| r.count).sum(),
        sessions,
        by_status,
    }
}

/// Broken links by kind from `(referrer host, link with its source page)`: the hits of 404s
/// whose referrer is one of the site's hosts (`is_site`), those links, and the others summed per
/// (referrer host, target) with the host as their source; each kind ranked by sessions, hits,
/// source and target, at most `top`.
pub fn group_broken_links(
    links: Vec<(String, BrokenLink)>,
    is_site: &dyn Fn(&str) -> bool,
    top: usize,
) -> (u64, Vec<BrokenLink>, Vec<BrokenLink>) {
    let mut broken_internal = 0;
    let mut internal = Vec::new();
    let mut external: FxHashMap<(String, String), BrokenLink> = FxHashMap::default();
    for (host, link) in links {
        if is_site(&host) {
            broken_internal += link.hits;
            internal.push(link);
            continue;
        }
        let e = external
            .entry((host.clone(), link.target.clone()))
            .or_insert_with(|| BrokenLink {
                source: host,
                target: link.target.clone(),
                hits: 0,
                sessions: 0,
                in_funnel_sessions: 0,
            });
        e.hits += link.hits;
        e.sessions += link.sessions;
        e.in_funnel_sessions += link.in_funnel_sessions;
    }
    let mut external: Vec<BrokenLink> = external.into_values().collect();
    for v in [&mut internal, &mut external] {
        v.sort_by(|a, b| {
            (b.sessions, b.hits)
                .cmp(&(a.sessions, a.hits))
                .then_with(|| (&a.source, &a.target).cmp(&(&b.source, &b.target)))
        });
        v.truncate(top);
    }
    (broken_internal, internal, external)
}
