//! The traffic report: humans apart from bots, visitors, sessions, page views, journeys,
//! channels, campaigns, devices, statuses and time, in one streaming pass over the request
//! batches that `clickpath-formats` produces.
//!
//! Why not a query engine here: sessions need the requests of each visitor in time order with
//! per-visitor state, which a single ordered pass does in memory bounded by the visitors active
//! within the session timeout. The batches keep the hit schema, so the same figures can be
//! computed by SQL over the Parquet dataset later.

mod agent;
pub mod bots;
pub mod channel;
pub mod config;
pub mod derived;
mod diary;
pub use diary::{error_log_report, error_log_zone};
pub mod error;
mod errors;
pub use errors::{group_broken_links, rejected_report, slow_pages};
pub mod explain;
mod funnel;
pub mod funnel_config;
pub mod geo;
pub mod histogram;
mod hits;
pub mod incidents;
mod interner;
pub mod matcher;
pub mod numbers;
pub mod pages;
pub mod planned_diary;
pub mod planned_funnel;
pub mod report;
pub mod restarts;
mod session;
pub mod session_rule;
pub mod session_table;
pub mod sessionizer;
pub mod site_hosts;
pub mod speed;
mod traffic;

pub use agent::{Agent, Agents, Device, ROBOTS_TXT_FETCHER_NAME};
pub use config::{TrafficConfig, VisitorKey};
pub use derived::{DeriveConfig, Derived, Deriver, SessionInput};
pub use error::{Error, Result};
pub use funnel::{LostEstimate, Money, campaign_label, goal_value, rate_rows};
pub use funnel_config::FileConfig;
pub use report::TrafficReport;
pub use session_rule::SessionRules;
pub use session_table::{RowFacts, SessionRow, SessionsBuilder};
pub use sessionizer::{Open, SessionOutput, SessionState, Sessionizer};
pub use traffic::{
    MAX_SESSION_S, TrafficAggregator, class_rows, rank_bots, rank_page_times, ranked,
    session_durations, status_class, status_rows,
};
