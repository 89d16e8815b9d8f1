//! The canonical request record of clickpath.
//!
//! Every log line that parses becomes one row of the [`hit_schema`] Arrow schema: the parsers in
//! `clickpath-formats` append straight into columns of this shape, the writers in
//! `clickpath-store` turn the batches into Parquet, NDJSON or CSV, and the reports read them.
//! Field names live in [`field`] and nowhere else.
//!
//! This crate also owns the pseudonymous client key ([`ClientKeyer`]): raw client addresses are
//! replaced by a keyed hash before anything leaves the parser unless the user asks for raw IPs.

mod client_key;
pub mod dataset;
pub mod error;
pub mod event;
pub mod field;
mod schema;
pub mod sessions;
mod time;

pub use client_key::{ClientKeyer, Secret, constant_time_eq};
pub use dataset::dataset_schema;
pub use error::{Error, Result};
pub use event::event_schema;
pub use schema::hit_schema;
pub use sessions::sessions_schema;
pub use time::{
    civil_from_days, days_from_civil, format_date, format_rfc3339_micros, micros_from_civil,
    parse_date, parse_duration_micros, parse_rfc3339,
};
