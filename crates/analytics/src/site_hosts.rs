//! The site's own hosts when nobody said them (referrers from them are internal): the virtual
//! hosts the log names, else the referrer host human requests name most (a site's pages link
//! to each other). One rule for the report (over the whole log) and for ingest (over the first
//! lines of a new dataset, kept in its settings).

use arrow_array::RecordBatch;
use rustc_hash::FxHashMap;

use crate::agent::Agents;
use crate::channel::referrer_host;
use crate::hits::{Hits, opt};

/// Where inferred hosts came from, as the report says it.
pub const FROM_VHOSTS: &str = "vhost";
pub const FROM_REFERRERS: &str = "referrers";
pub const FROM_NOTHING: &str = "none";

/// The hosts and where they came from, from counts of virtual hosts and referrer hosts of
/// human requests (lowercase).
pub fn infer<'a>(
    vhosts: impl Iterator<Item = (&'a str, u64)>,
    referrer_hosts: impl Iterator<Item = (&'a str, u64)>,
) -> (Vec<String>, &'static str) {
    let mut hosts: Vec<String> = vhosts.map(|(h, _)| h.to_owned()).collect();
    if !hosts.is_empty() {
        hosts.sort();
        hosts.dedup();
        return (hosts, FROM_VHOSTS);
    }
    // Most named, ties to the name first in order.
    match referrer_hosts.max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(a.0))) {
        Some((h, _)) => (vec![h.to_owned()], FROM_REFERRERS),
        None => (Vec::new(), FROM_NOTHING),
    }
}

/// [`infer`] over a batch of the hit schema (ingest's first lines of a new dataset).
pub fn infer_from(batch: &RecordBatch, user_agents_logged: bool) -> (Vec<String>, &'static str) {
    let hits = Hits::of(batch);
    let mut agents = Agents::new();
    let mut vhosts: FxHashMap<String, u64> = FxHashMap::default();
    let mut referrers: FxHashMap<String, u64> = FxHashMap::default();
    for r in 0..batch.num_rows() {
        if user_agents_logged {
            let id = agents.id(opt(hits.ua, r));
            if agents.get(id).bot.is_some() {
                continue;
            }
        }
        if let Some(h) = opt(hits.host, r) {
            *vhosts.entry(h.to_ascii_lowercase()).or_default() += 1;
        }
        if let Some(h) = opt(hits.referrer, r).and_then(referrer_host) {
            *referrers.entry(h.to_ascii_lowercase()).or_default() += 1;
        }
    }
    infer(
        vhosts.iter().map(|(h, n)| (h.as_str(), *n)),
        referrers.iter().map(|(h, n)| (h.as_str(), *n)),
    )
}
