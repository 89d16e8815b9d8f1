//! Writing request batches out: Parquet (columns encoded on the parser threads, row groups
//! appended in order), NDJSON and CSV.
//!
//! Every writer has two halves: an `encode` function that turns one batch into bytes or encoded
//! column chunks (pure, runs in parallel) and a sink that appends them to the output in order.

mod csv;
pub mod dataset;
pub mod error;
mod ndjson;
mod parquet_file;

pub use csv::{csv_header, encode_csv};
pub use error::{Error, Result};
pub use ndjson::{encode_events_ndjson, encode_ndjson};
pub use parquet_file::{EncodedRowGroup, ParquetEncoder, ParquetSink};

/// Which columns a text export shows: `ip` only when raw addresses were asked for.
#[derive(Clone, Copy, Debug)]
pub struct TextOptions {
    pub raw_ip: bool,
}
