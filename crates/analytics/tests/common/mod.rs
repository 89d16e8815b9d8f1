//! Shared by the analytics tests: parse a hand-written log and run the report over it.

use std::sync::Arc;

use clickpath_analytics::{TrafficAggregator, TrafficConfig, TrafficReport};
use clickpath_formats::Format;
use clickpath_formats::batch::RowOptions;
use clickpath_formats::pipeline::parse_bytes;
use clickpath_model::{ClientKeyer, Secret};

/// The report of `text` read with `format`; every line must parse.
pub fn report_of(format: Format, text: &str, cfg: TrafficConfig) -> TrafficReport {
    let rows = RowOptions {
        raw_ip: false,
        client_from_forwarded_for: false,
        keyer: ClientKeyer::new(Secret::from_bytes([3; 16])),
        error_log_tz: None,
    };
    let (batch, stats) = parse_bytes(&Arc::new(format), text.as_bytes(), rows);
    assert_eq!(stats.rejected_total(), 0, "{:?}", stats.samples);
    let mut agg = TrafficAggregator::new(cfg);
    agg.add(&batch, true);
    agg.finish()
}
