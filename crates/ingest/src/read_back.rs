//! The raw log lines behind dataset rows (the dashboard's drill-down): read back from the log
//! files where they still are, and kept only when the line, parsed again with the format its
//! file was ingested with, is the same request (time, method, path, query, status). A file
//! rotated or rewritten since gives nothing rather than the wrong line.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{TimestampMicrosecondType, UInt16Type};
use arrow_array::{Array, RecordBatch};
use clickpath_formats::batch::RowOptions;
use clickpath_formats::input::{self, Source};
use clickpath_formats::pipeline::parse_bytes;
use clickpath_formats::presets::{preset, resolve};
use clickpath_formats::spec::FormatRef;
use clickpath_formats::w3c;
use clickpath_model::{ClientKeyer, Secret, field};
use clickpath_store::dataset::{Manifest, SourceEntry};

/// Longest raw line returned.
pub const MAX_RAW_LINE: usize = 8 << 10;

/// What identifies a request in its line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestKey {
    pub ts: Option<i64>,
    pub method: Option<String>,
    pub path: Option<String>,
    pub query: Option<String>,
    pub status: Option<u16>,
}

impl RequestKey {
    /// Row `r` of a batch with the hit columns `ts`, `method`, `path`, `query`, `status`.
    pub fn of(batch: &RecordBatch, r: usize) -> Option<RequestKey> {
        let text = |name: &str| {
            let a = batch.column_by_name(name)?.as_string_opt::<i32>()?;
            a.is_valid(r).then(|| a.value(r).to_owned())
        };
        let ts = batch
            .column_by_name(field::TS)?
            .as_primitive_opt::<TimestampMicrosecondType>()?;
        let status = batch
            .column_by_name(field::STATUS)?
            .as_primitive_opt::<UInt16Type>()?;
        Some(RequestKey {
            ts: ts.is_valid(r).then(|| ts.value(r)),
            method: text(field::METHOD),
            path: text(field::PATH),
            query: text(field::QUERY),
            status: status.is_valid(r).then(|| status.value(r)),
        })
    }
}

/// The format `s` was ingested with; for W3C files, `fields` is the `#Fields:` line in force.
fn format_of(s: &SourceEntry, fields: Option<&str>) -> Option<FormatRef> {
    let w3c_name = matches!(s.format.as_str(), "w3c" | "cloudfront");
    let f = match fields {
        Some(fields) => w3c::compile_fields(&s.format, fields).ok()?,
        None if w3c_name && !s.format_line.is_empty() => {
            w3c::compile_fields(&s.format, &s.format_line).ok()?
        }
        None => match preset(&s.format) {
            Some(p) => p.compile().ok()?,
            None if !s.format_line.is_empty() => resolve(&s.format_line).ok()?,
            None => return None,
        },
    };
    Some(Arc::new(f))
}

fn rows() -> RowOptions {
    RowOptions {
        raw_ip: false,
        client_from_forwarded_for: false,
        keyer: ClientKeyer::new(Secret::from_bytes([0; 16])),
        error_log_tz: None,
    }
}

/// The lines `(file id, line number)` wanted, each with the request it must read as: the
/// lines that do, by (file id, line).
pub fn read_back(m: &Manifest, wanted: &[(u32, u64, RequestKey)]) -> BTreeMap<(u32, u64), String> {
    let mut by_file: BTreeMap<u32, BTreeSet<u64>> = BTreeMap::new();
    for (id, line, _) in wanted {
        by_file.entry(*id).or_default().insert(*line);
    }
    let keys: BTreeMap<(u32, u64), &RequestKey> =
        wanted.iter().map(|(i, l, k)| ((*i, *l), k)).collect();
    let mut out = BTreeMap::new();
    for (id, lines) in by_file {
        let Some(source) = m.sources.get(id as usize) else {
            continue;
        };
        let path = Path::new(source.path.as_deref().unwrap_or(&source.name));
        if !path.is_file() {
            continue;
        }
        let Ok((reader, _)) = input::open(&Source::file(path), None) else {
            continue;
        };
        let mut format = format_of(source, None);
        let last = *lines.last().expect("a set per file has a line");
        let mut reader = BufReader::new(reader);
        let mut buf = Vec::new();
        let mut n = 0u64;
        while n < last {
            buf.clear();
            match reader.read_until(b'\n', &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => n += 1,
            }
            let line = buf
                .strip_suffix(b"\n")
                .unwrap_or(&buf)
                .strip_suffix(b"\r")
                .unwrap_or_else(|| buf.strip_suffix(b"\n").unwrap_or(&buf));
            if let Some(fields) = w3c::fields_directive(line) {
                format = format_of(source, Some(fields));
                continue;
            }
            if !lines.contains(&n) {
                continue;
            }
            let Some(f) = &format else { continue };
            let (batch, _) = parse_bytes(f, line, rows());
            let same = batch.num_rows() == 1
                && RequestKey::of(&batch, 0).as_ref() == keys.get(&(id, n)).copied();
            if same {
                let text = String::from_utf8_lossy(&line[..line.len().min(MAX_RAW_LINE)]);
                out.insert((id, n), text.into_owned());
            }
        }
    }
    out
}
