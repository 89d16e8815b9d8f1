//! Logs shipped from many servers to one ingest node (docs/shipping.md): syslog over UDP and
//! TCP (RFC 3164 and 5424, both TCP framings), and an HTTP endpoint for Vector's and Fluent
//! Bit's posts. What comes in is spooled durably (`spool.rs`) before it is acknowledged, then
//! ingested into the dataset by the same ingest as files, each line once, with its server.

mod error;
pub mod framing;
pub mod http;
mod receiver;
pub mod spool;
pub mod syslog;

pub use error::{Error, Result};
pub use receiver::{ReceiverConfig, run};
