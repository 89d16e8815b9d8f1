//! One JSON object per request (`clickpath parse --to ndjson`).

use std::io::Write;

use arrow_array::cast::AsArray;
use arrow_array::types::{Int16Type, TimestampMicrosecondType, UInt16Type, UInt32Type, UInt64Type};
use arrow_array::{Array, RecordBatch};
use clickpath_model::{field, format_rfc3339_micros};

use crate::TextOptions;

/// Writes `s` as a JSON string literal (control characters escaped).
pub(crate) fn json_string(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &c) in bytes.iter().enumerate() {
        let esc: &[u8] = match c {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..=0x1f | 0x7f => {
                out.extend_from_slice(&bytes[start..i]);
                let _ = write!(out, "\\u{c:04x}");
                start = i + 1;
                continue;
            }
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        out.extend_from_slice(esc);
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Encodes every row of `batch` (hit schema) as an NDJSON line.
pub fn encode_ndjson(batch: &RecordBatch, opts: TextOptions) -> Vec<u8> {
    let col = |name| batch.column_by_name(name).expect("hit schema column");
    let ts = col(field::TS).as_primitive::<TimestampMicrosecondType>();
    let tz = col(field::TZ_OFFSET_MIN).as_primitive::<Int16Type>();
    let ip = col(field::IP).as_string::<i32>();
    let client = col(field::CLIENT).as_primitive::<UInt64Type>();
    let strings = [
        (field::HOST, col(field::HOST).as_string::<i32>()),
        (field::METHOD, col(field::METHOD).as_string::<i32>()),
        (field::PATH, col(field::PATH).as_string::<i32>()),
        (field::QUERY, col(field::QUERY).as_string::<i32>()),
        (field::PROTOCOL, col(field::PROTOCOL).as_string::<i32>()),
    ];
    let status = col(field::STATUS).as_primitive::<UInt16Type>();
    let bytes = col(field::BYTES).as_primitive::<UInt64Type>();
    let referrer = col(field::REFERRER).as_string::<i32>();
    let ua = col(field::USER_AGENT).as_string::<i32>();
    let duration = col(field::DURATION_US).as_primitive::<UInt64Type>();
    let junk = col(field::JUNK).as_boolean();
    let file_id = col(field::FILE_ID).as_primitive::<UInt32Type>();
    let line = col(field::LINE).as_primitive::<UInt64Type>();

    let mut out = Vec::with_capacity(batch.num_rows() * 400);
    let mut t = String::with_capacity(32);
    for r in 0..batch.num_rows() {
        t.clear();
        format_rfc3339_micros(ts.value(r), &mut t);
        let _ = write!(
            out,
            "{{\"{}\":\"{t}\",\"{}\":",
            field::TS,
            field::TZ_OFFSET_MIN
        );
        opt_num(&mut out, tz.is_valid(r).then(|| i64::from(tz.value(r))));
        if opts.raw_ip {
            let _ = write!(out, ",\"{}\":", field::IP);
            opt_str(&mut out, ip.is_valid(r).then(|| ip.value(r)));
        }
        let _ = write!(out, ",\"{}\":\"{:016x}\"", field::CLIENT, client.value(r));
        for (name, a) in &strings {
            let _ = write!(out, ",\"{name}\":");
            opt_str(&mut out, a.is_valid(r).then(|| a.value(r)));
        }
        let _ = write!(out, ",\"{}\":", field::STATUS);
        opt_num(
            &mut out,
            status.is_valid(r).then(|| i64::from(status.value(r))),
        );
        let _ = write!(out, ",\"{}\":", field::BYTES);
        opt_num(&mut out, bytes.is_valid(r).then(|| bytes.value(r) as i64));
        let _ = write!(out, ",\"{}\":", field::REFERRER);
        opt_str(&mut out, referrer.is_valid(r).then(|| referrer.value(r)));
        let _ = write!(out, ",\"{}\":", field::USER_AGENT);
        opt_str(&mut out, ua.is_valid(r).then(|| ua.value(r)));
        let _ = write!(out, ",\"{}\":", field::DURATION_US);
        opt_num(
            &mut out,
            duration.is_valid(r).then(|| duration.value(r) as i64),
        );
        let _ = writeln!(
            out,
            ",\"{}\":{},\"{}\":{},\"{}\":{}}}",
            field::JUNK,
            junk.value(r),
            field::FILE_ID,
            file_id.value(r),
            field::LINE,
            line.value(r)
        );
    }
    out
}

fn opt_str(out: &mut Vec<u8>, v: Option<&str>) {
    match v {
        Some(s) => json_string(out, s),
        None => out.extend_from_slice(b"null"),
    }
}

fn opt_num(out: &mut Vec<u8>, v: Option<i64>) {
    match v {
        Some(n) => {
            let _ = write!(out, "{n}");
        }
        None => out.extend_from_slice(b"null"),
    }
}

/// Encodes every row of an error-log event batch (`clickpath_model::event`) as an NDJSON line:
/// every column, times in RFC 3339, the client key in hex, `ip` only with raw IPs.
pub fn encode_events_ndjson(batch: &RecordBatch, opts: TextOptions) -> Vec<u8> {
    use arrow_array::types::{Int32Type, TimestampMicrosecondType as Ts};
    use arrow_schema::DataType;
    use clickpath_model::event;
    let schema = batch.schema();
    let mut out = Vec::with_capacity(batch.num_rows() * 300);
    let mut t = String::with_capacity(32);
    for r in 0..batch.num_rows() {
        out.push(b'{');
        let mut first = true;
        for (i, f) in schema.fields().iter().enumerate() {
            let name = f.name().as_str();
            if name == event::IP && !opts.raw_ip {
                continue;
            }
            if !first {
                out.push(b',');
            }
            first = false;
            json_string(&mut out, name);
            out.push(b':');
            let c = batch.column(i);
            if c.is_null(r) {
                out.extend_from_slice(b"null");
                continue;
            }
            match c.data_type() {
                DataType::Utf8 => json_string(&mut out, c.as_string::<i32>().value(r)),
                DataType::Timestamp(_, _) => {
                    t.clear();
                    let v = c.as_primitive::<Ts>().value(r);
                    format_rfc3339_micros(v, &mut t);
                    if name == event::LOCAL_TIME {
                        // Local time as printed: no zone.
                        t.pop();
                    }
                    json_string(&mut out, &t);
                }
                DataType::UInt64 if name == event::CLIENT => {
                    let _ = write!(out, "\"{:016x}\"", c.as_primitive::<UInt64Type>().value(r));
                }
                DataType::UInt64 => {
                    let _ = write!(out, "{}", c.as_primitive::<UInt64Type>().value(r));
                }
                DataType::UInt32 => {
                    let _ = write!(out, "{}", c.as_primitive::<UInt32Type>().value(r));
                }
                DataType::Int32 => {
                    let _ = write!(out, "{}", c.as_primitive::<Int32Type>().value(r));
                }
                DataType::Int16 => {
                    let _ = write!(out, "{}", c.as_primitive::<Int16Type>().value(r));
                }
                _ => out.extend_from_slice(b"null"),
            }
        }
        out.extend_from_slice(b"}\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_for_json() {
        let mut out = Vec::new();
        json_string(&mut out, "a\"b\\c\n\u{1}é<script>");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#""a\"b\\c\n\u0001é<script>""#
        );
    }
}
