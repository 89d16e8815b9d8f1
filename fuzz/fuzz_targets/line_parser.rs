//! Any bytes, parsed with every preset (the error-log ones too): no panic, and every line
//! accounted for (a row per request, or per error-log event).
#![no_main]

use std::sync::{Arc, OnceLock};

use clickpath_formats::batch::RowOptions;
use clickpath_formats::pipeline::parse_bytes;
use clickpath_formats::presets::PRESETS;
use clickpath_formats::Format;
use clickpath_model::{ClientKeyer, Secret};
use libfuzzer_sys::fuzz_target;

fn formats() -> &'static [Arc<Format>] {
    static F: OnceLock<Vec<Arc<Format>>> = OnceLock::new();
    F.get_or_init(|| PRESETS.iter().map(|p| Arc::new(p.compile().unwrap())).collect())
}

fuzz_target!(|data: &[u8]| {
    let rows = RowOptions { raw_ip: true, client_from_forwarded_for: true, keyer: ClientKeyer::new(Secret::from_bytes([1; 16])), error_log_tz: None };
    for f in formats() {
        let (batch, stats) = parse_bytes(f, data, rows);
        assert_eq!(batch.num_rows() as u64, stats.requests + stats.events);
    }
});
