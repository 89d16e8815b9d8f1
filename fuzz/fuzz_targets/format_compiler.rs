//! Any format line in any syntax compiles or fails with an error, and a compiled format parses
//! its own source text without panicking.
#![no_main]

use std::sync::Arc;

use clickpath_formats::batch::RowOptions;
use clickpath_formats::compile::{Syntax, compile};
use clickpath_formats::pipeline::parse_bytes;
use clickpath_model::{ClientKeyer, Secret};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(line) = std::str::from_utf8(data) else { return };
    let rows = RowOptions { raw_ip: false, client_from_forwarded_for: false, keyer: ClientKeyer::new(Secret::from_bytes([1; 16])), error_log_tz: None };
    for syntax in [Syntax::Nginx, Syntax::Apache, Syntax::GoAccess] {
        if let Ok(f) = compile("fuzz", line, syntax) {
            let _ = parse_bytes(&Arc::new(f), data, rows);
        }
    }
    let _ = clickpath_formats::presets::resolve(line);
});
