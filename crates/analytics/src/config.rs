//! Settings of the traffic report.

use crate::funnel::Money;
use crate::funnel_config::{Funnel, Goal};
use crate::pages::PageRules;

/// What identifies a visitor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VisitorKey {
    /// Client address and user agent (default).
    IpUa,
    /// Client address alone.
    Ip,
}

#[derive(Clone, Debug)]
pub struct TrafficConfig {
    /// A session ends after this many seconds without a request.
    pub session_timeout_s: i64,
    /// Start a new session at local midnight.
    pub split_at_midnight: bool,
    /// Start a new session when a page view brings another UTM campaign (Matomo's rule).
    pub split_on_campaign: bool,
    pub visitor_key: VisitorKey,
    pub pages: PageRules,
    /// The site's own hosts; inferred when empty.
    pub site_hosts: Vec<String>,
    /// What the report says they came from (`flag`; a dataset's: `inferred at ingest`).
    pub site_hosts_from: String,
    /// Rows kept per list.
    pub top: usize,
    /// The page whose next pages are reported.
    pub next_from: Option<String>,
    pub funnels: Vec<Funnel>,
    pub goals: Vec<Goal>,
    pub money: Money,
    /// Only requests of these local days (day numbers since 1970-01-01, both included).
    pub days: Option<(i64, i64)>,
    /// Countries per session from the client address (needs the `ip` column filled).
    pub geo: Option<std::sync::Arc<crate::geo::GeoDb>>,
    /// The zone error logs' local times are in (minutes east); None: the access log's.
    pub error_log_tz: Option<i16>,
}

impl Default for TrafficConfig {
    fn default() -> Self {
        Self {
            session_timeout_s: 30 * 60,
            split_at_midnight: false,
            split_on_campaign: false,
            visitor_key: VisitorKey::IpUa,
            pages: PageRules::default(),
            site_hosts: Vec::new(),
            site_hosts_from: "flag".to_owned(),
            top: 10,
            next_from: Some("/".to_owned()),
            funnels: Vec::new(),
            goals: Vec::new(),
            money: Money::default(),
            days: None,
            geo: None,
            error_log_tz: None,
        }
    }
}
