//! Shared helpers of the formats crate's tests: parse text, read rows back as strings.

#![allow(dead_code)]

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{Int16Type, TimestampMicrosecondType, UInt16Type, UInt64Type};
use arrow_array::{Array, RecordBatch};
use clickpath_formats::Format;
use clickpath_formats::batch::RowOptions;
use clickpath_formats::pipeline::parse_bytes;
use clickpath_formats::rejects::LineStats;
use clickpath_model::{ClientKeyer, Secret, field, format_rfc3339_micros};

pub fn rows_opts() -> RowOptions {
    RowOptions {
        raw_ip: true,
        client_from_forwarded_for: false,
        keyer: ClientKeyer::new(Secret::from_bytes([7; 16])),
        error_log_tz: None,
    }
}

/// One parsed request as the user sees it in `parse --to ndjson --raw-ip`.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Row {
    pub ts: String,
    pub tz: Option<i16>,
    pub ip: Option<String>,
    pub host: Option<String>,
    pub method: Option<String>,
    pub path: Option<String>,
    pub query: Option<String>,
    pub protocol: Option<String>,
    pub status: Option<u16>,
    pub bytes: Option<u64>,
    pub referrer: Option<String>,
    pub user_agent: Option<String>,
    pub duration_us: Option<u64>,
    pub junk: bool,
    pub line: u64,
}

fn string_at(batch: &RecordBatch, name: &str, r: usize) -> Option<String> {
    let a = batch.column_by_name(name).unwrap().as_string::<i32>();
    a.is_valid(r).then(|| a.value(r).to_owned())
}

fn u64_at(batch: &RecordBatch, name: &str, r: usize) -> Option<u64> {
    let a = batch
        .column_by_name(name)
        .unwrap()
        .as_primitive::<UInt64Type>();
    a.is_valid(r).then(|| a.value(r))
}

pub fn rows(batch: &RecordBatch) -> Vec<Row> {
    let ts = batch
        .column_by_name(field::TS)
        .unwrap()
        .as_primitive::<TimestampMicrosecondType>();
    let tz = batch
        .column_by_name(field::TZ_OFFSET_MIN)
        .unwrap()
        .as_primitive::<Int16Type>();
    let st = batch
        .column_by_name(field::STATUS)
        .unwrap()
        .as_primitive::<UInt16Type>();
    let junk = batch.column_by_name(field::JUNK).unwrap().as_boolean();
    (0..batch.num_rows())
        .map(|r| {
            let mut t = String::new();
            format_rfc3339_micros(ts.value(r), &mut t);
            Row {
                ts: t,
                tz: tz.is_valid(r).then(|| tz.value(r)),
                ip: string_at(batch, field::IP, r),
                host: string_at(batch, field::HOST, r),
                method: string_at(batch, field::METHOD, r),
                path: string_at(batch, field::PATH, r),
                query: string_at(batch, field::QUERY, r),
                protocol: string_at(batch, field::PROTOCOL, r),
                status: st.is_valid(r).then(|| st.value(r)),
                bytes: u64_at(batch, field::BYTES, r),
                referrer: string_at(batch, field::REFERRER, r),
                user_agent: string_at(batch, field::USER_AGENT, r),
                duration_us: u64_at(batch, field::DURATION_US, r),
                junk: junk.value(r),
                line: u64_at(batch, field::LINE, r).unwrap(),
            }
        })
        .collect()
}

pub fn parse(format: Format, text: &str) -> (Vec<Row>, LineStats) {
    let (batch, stats) = parse_bytes(&Arc::new(format), text.as_bytes(), rows_opts());
    (rows(&batch), stats)
}

pub fn some(s: &str) -> Option<String> {
    Some(s.to_owned())
}

/// Runs the real pipeline (framing, detection, threads) over files.
pub fn parse_files(paths: &[std::path::PathBuf]) -> (Vec<Row>, LineStats) {
    use clickpath_formats::input::Source;
    use clickpath_formats::pipeline::{Options, run};
    let sources: Vec<Source> = paths.iter().map(Source::file).collect();
    let mut opts = Options::new(rows_opts());
    opts.chunk_bytes = 64;
    let mut out = Vec::new();
    let summary = run(
        &sources,
        &opts,
        |_, b| rows(&b),
        |r| {
            out.extend(r);
            Ok(())
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    (out, summary.totals())
}
