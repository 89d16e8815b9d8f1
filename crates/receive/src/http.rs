//! What an HTTP shipper posts, as lines: plain text (one line per line: Vector's `text` codec,
//! `curl --data-binary @access.log`), newline-delimited JSON records (Vector's `json` codec
//! with `newline_delimited` framing, Fluent Bit's `json_lines`) or a JSON array of records
//! (Vector's default `json` framing, Fluent Bit's `json`). A record's line is its `message`
//! (Vector) or `log` (Fluent Bit) string, its server its `host` or `hostname`; a record with no
//! such string is kept whole, as a JSON line (a JSON access log posted as records).

use serde_json::Value;

/// One line and the server it names (None: the request's).
#[derive(Debug, PartialEq, Eq)]
pub struct Record {
    pub server: Option<String>,
    pub line: Vec<u8>,
}

/// What a body held.
#[derive(Debug, Default)]
pub struct Decoded {
    pub records: Vec<Record>,
    /// JSON records that were not JSON, kept as lines (the ingest counts them rejected, with
    /// their file and line): (record number, why), the first few.
    pub bad: Vec<(usize, String)>,
    pub bad_count: usize,
}

/// Reads a body; `json` when the request's Content-Type names JSON.
pub fn decode(body: &[u8], json: bool) -> Decoded {
    let mut out = Decoded::default();
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    if json && first == Some(&b'[') {
        match serde_json::from_slice::<Vec<Value>>(body) {
            Ok(values) => {
                for v in values {
                    out.records.push(record(v, None));
                }
                return out;
            }
            Err(e) => {
                out.bad.push((1, format!("not a JSON array: {e}")));
                out.bad_count = 1;
                // Kept as it came: the ingest shows it rejected with its line.
                lines(body, &mut out);
                return out;
            }
        }
    }
    if !json {
        lines(body, &mut out);
        return out;
    }
    for (i, line) in body.split(|&b| b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<Value>(line) {
            Ok(v) => out.records.push(record(v, Some(line))),
            Err(e) => {
                out.bad_count += 1;
                if out.bad.len() < 5 {
                    out.bad.push((i + 1, format!("not JSON: {e}")));
                }
                out.records.push(Record {
                    server: None,
                    line: line.to_vec(),
                });
            }
        }
    }
    out
}

fn lines(body: &[u8], out: &mut Decoded) {
    for line in body.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if !line.is_empty() {
            out.records.push(Record {
                server: None,
                line: line.to_vec(),
            });
        }
    }
}

fn record(v: Value, raw: Option<&[u8]>) -> Record {
    let text = |keys: &[&str]| {
        keys.iter()
            .find_map(|k| v.get(*k).and_then(Value::as_str))
            .map(str::to_string)
    };
    let server = text(&["host", "hostname"]);
    let line = match text(&["message", "log"]) {
        Some(m) => m.trim_end_matches(['\n', '\r']).as_bytes().to_vec(),
        None => match (raw, &v) {
            (_, Value::String(s)) => s.as_bytes().to_vec(),
            (Some(raw), _) => raw.to_vec(),
            (None, _) => v.to_string().into_bytes(),
        },
    };
    Record { server, line }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vector_ndjson_and_fluent_bit_json_lines() {
        // Vector's http sink, `encoding.codec = "json"`, `framing.method = "newline_delimited"`,
        // events of its `file` source.
        let body = br#"{"file":"/var/log/nginx/access.log","host":"web-1","message":"line one","source_type":"file","timestamp":"2024-03-01T10:00:00Z"}
{"host":"web-1","message":"line two\n"}
"#;
        let d = decode(body, true);
        assert_eq!(d.records.len(), 2);
        assert_eq!(d.records[0].server.as_deref(), Some("web-1"));
        assert_eq!(d.records[1].line, b"line two");
        // Fluent Bit's http output, `Format json_lines`, records of its `tail` input.
        let d = decode(b"{\"date\":1709287200.123,\"log\":\"line three\"}\n", true);
        assert_eq!(
            d.records,
            vec![Record {
                server: None,
                line: b"line three".to_vec()
            }]
        );
    }

    #[test]
    fn arrays_text_and_bad_records() {
        let d = decode(br#"[{"log":"a","hostname":"h"},"b",{"status":200}]"#, true);
        let lines: Vec<&[u8]> = d.records.iter().map(|r| r.line.as_slice()).collect();
        assert_eq!(lines, vec![&b"a"[..], b"b", br#"{"status":200}"#]);
        // A JSON access log posted as text stays text.
        let d = decode(b"{\"ts\":1}\r\n\n{\"ts\":2}", false);
        assert_eq!(d.records.len(), 2);
        assert_eq!(d.records[0].line, b"{\"ts\":1}");
        let d = decode(b"{\"message\":\"ok\"}\n{not json\n", true);
        assert_eq!(d.bad_count, 1);
        assert_eq!(d.bad[0].0, 2);
        assert_eq!(d.records[1].line, b"{not json");
    }
}
