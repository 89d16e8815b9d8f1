//! CSV export (RFC 4180 quoting), same columns as NDJSON.

use std::io::Write;

use arrow_array::cast::AsArray;
use arrow_array::types::{Int16Type, TimestampMicrosecondType, UInt16Type, UInt32Type, UInt64Type};
use arrow_array::{Array, RecordBatch};
use clickpath_model::{field, format_rfc3339_micros};

use crate::TextOptions;

fn columns(opts: TextOptions) -> Vec<&'static str> {
    field::ALL
        .into_iter()
        .filter(|&c| opts.raw_ip || c != field::IP)
        .collect()
}

/// The header line.
pub fn csv_header(opts: TextOptions) -> Vec<u8> {
    let mut out = columns(opts).join(",").into_bytes();
    out.extend_from_slice(b"\r\n");
    out
}

fn cell(out: &mut Vec<u8>, s: &str) {
    if s.bytes().any(|c| matches!(c, b',' | b'"' | b'\r' | b'\n')) {
        out.push(b'"');
        out.extend_from_slice(s.replace('"', "\"\"").as_bytes());
        out.push(b'"');
    } else {
        out.extend_from_slice(s.as_bytes());
    }
}

/// Encodes every row of `batch` as a CSV record; empty cells are nulls.
pub fn encode_csv(batch: &RecordBatch, opts: TextOptions) -> Vec<u8> {
    let mut out = Vec::with_capacity(batch.num_rows() * 300);
    let names = columns(opts);
    let mut t = String::new();
    for r in 0..batch.num_rows() {
        for (i, name) in names.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            let a = batch.column_by_name(name).expect("hit schema column");
            if a.is_null(r) {
                continue;
            }
            match *name {
                field::TS => {
                    t.clear();
                    format_rfc3339_micros(
                        a.as_primitive::<TimestampMicrosecondType>().value(r),
                        &mut t,
                    );
                    out.extend_from_slice(t.as_bytes());
                }
                field::TZ_OFFSET_MIN => {
                    let _ = write!(out, "{}", a.as_primitive::<Int16Type>().value(r));
                }
                field::CLIENT => {
                    let _ = write!(out, "{:016x}", a.as_primitive::<UInt64Type>().value(r));
                }
                field::STATUS => {
                    let _ = write!(out, "{}", a.as_primitive::<UInt16Type>().value(r));
                }
                field::BYTES | field::DURATION_US | field::LINE => {
                    let _ = write!(out, "{}", a.as_primitive::<UInt64Type>().value(r));
                }
                field::FILE_ID => {
                    let _ = write!(out, "{}", a.as_primitive::<UInt32Type>().value(r));
                }
                field::JUNK => {
                    let _ = write!(out, "{}", a.as_boolean().value(r));
                }
                _ => cell(&mut out, a.as_string::<i32>().value(r)),
            }
        }
        out.extend_from_slice(b"\r\n");
    }
    out
}
