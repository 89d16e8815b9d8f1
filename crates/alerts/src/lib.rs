//! Alerts while the logs are written (docs/alerts.md): built-in rules over the incident
//! detectors (`rules/`), each alert's state in log time (`state.rs`: pending, firing,
//! resolved, with `for` and `keep_firing_for`), Alertmanager's grouping, inhibition and
//! silences on the wall clock (`dispatch.rs`, `silence.rs`), a journal per receiver
//! (`journal.rs`) and the notifiers (`notify/`). `live.rs` feeds the rules from an ingest.

pub mod config;
pub mod dispatch;
pub mod engine;
mod error;
mod files;
pub mod history;
pub mod journal;
pub mod labels;
pub mod live;
pub mod metrics;
pub mod notify;
pub mod payload;
pub mod rules;
pub mod silence;
pub mod state;

pub use config::{AlertsConfig, Settings};
pub use engine::Engine;
pub use error::{Error, Result};
pub use live::Live;
