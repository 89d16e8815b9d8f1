//! Properties: what a format writer writes, the parser reads back field for field; and no input
//! whatsoever makes a parser panic.

mod common;

use clickpath_formats::presets::{PRESETS, preset};
use clickpath_model::civil_from_days;
use common::{Row, parse};
use proptest::prelude::*;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

#[derive(Debug, Clone)]
struct Hit {
    ip: String,
    secs: i64,
    offset_min: i16,
    method: &'static str,
    path: String,
    query: Option<String>,
    status: u16,
    bytes: Option<u64>,
    referrer: Option<String>,
    user_agent: Option<String>,
}

fn ip() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<[u8; 4]>().prop_map(|b| format!("{}.{}.{}.{}", b[0], b[1], b[2], b[3])),
        any::<[u16; 8]>().prop_map(|w| w
            .iter()
            .map(|x| format!("{x:x}"))
            .collect::<Vec<_>>()
            .join(":")),
    ]
}

fn hit() -> impl Strategy<Value = Hit> {
    (
        ip(),
        0i64..4_102_444_800,
        (-48i16..=56).prop_map(|q| q * 15),
        prop::sample::select(vec![
            "GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "PROPFIND",
        ]),
        "/[a-zA-Z0-9/._~%é日-]{0,40}",
        prop::option::of("[a-zA-Z0-9=&%+._-]{1,30}"),
        100u16..600,
        prop::option::of(0u64..10_000_000_000),
        // Hostile text: quotes, backslashes, control characters, non-ASCII.
        prop::option::of("[ -~\u{1}\u{7f}é€😀\"\\\\]{1,60}"),
        prop::option::of("[ -~\u{1}é€😀\"\\\\]{1,80}"),
    )
        .prop_map(
            |(ip, secs, offset_min, method, path, query, status, bytes, referrer, user_agent)| {
                Hit {
                    ip,
                    secs,
                    offset_min,
                    method,
                    path,
                    query,
                    status,
                    bytes,
                    referrer: referrer.filter(|r| r != "-"),
                    user_agent: user_agent.filter(|u| u != "-"),
                }
            },
        )
}

/// Apache's escaping of quoted fields: `"` and `\` backslashed, control bytes as `\xhh`.
fn apache_escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out
}

fn json_escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

fn clf_time(h: &Hit) -> String {
    let local = h.secs + i64::from(h.offset_min) * 60;
    let (y, m, d) = civil_from_days(local.div_euclid(86_400));
    let sod = local.rem_euclid(86_400);
    let off = h.offset_min.unsigned_abs();
    format!(
        "{d:02}/{}/{y:04}:{:02}:{:02}:{:02} {}{:02}{:02}",
        MONTHS[m as usize - 1],
        sod / 3600,
        sod / 60 % 60,
        sod % 60,
        if h.offset_min < 0 { '-' } else { '+' },
        off / 60,
        off % 60
    )
}

fn target(h: &Hit) -> String {
    match &h.query {
        Some(q) => format!("{}?{q}", h.path),
        None => h.path.clone(),
    }
}

fn combined_line(h: &Hit) -> String {
    let dash = |v: &Option<String>| v.as_deref().map_or("-".to_owned(), apache_escape);
    format!(
        "{} - - [{}] \"{} {} HTTP/1.1\" {} {} \"{}\" \"{}\"",
        h.ip,
        clf_time(h),
        h.method,
        target(h),
        h.status,
        h.bytes.map_or("-".to_owned(), |b| b.to_string()),
        dash(&h.referrer),
        dash(&h.user_agent),
    )
}

fn json_line(h: &Hit) -> String {
    let opt = |v: &Option<String>| v.as_deref().map_or("-".to_owned(), json_escape);
    format!(
        r#"{{"time_local":"{}","remote_addr":"{}","request":"{} {} HTTP/1.1","status":{},"body_bytes_sent":{},"http_referer":"{}","http_user_agent":"{}"}}"#,
        clf_time(h),
        h.ip,
        h.method,
        json_escape(&target(h)),
        h.status,
        h.bytes.unwrap_or(0),
        opt(&h.referrer),
        opt(&h.user_agent),
    )
}

fn check(h: &Hit, r: &Row, bytes: Option<u64>) {
    let mut ts = String::new();
    clickpath_model::format_rfc3339_micros(h.secs * 1_000_000, &mut ts);
    assert_eq!(r.ts, ts);
    assert_eq!(r.tz, Some(h.offset_min));
    assert_eq!(r.ip.as_deref(), Some(h.ip.as_str()));
    assert_eq!(r.method.as_deref(), Some(h.method));
    assert_eq!(r.path.as_deref(), Some(h.path.as_str()));
    assert_eq!(r.query, h.query);
    assert_eq!(r.status, Some(h.status));
    assert_eq!(r.bytes, bytes);
    assert_eq!(r.referrer, h.referrer);
    assert_eq!(r.user_agent, h.user_agent);
    assert!(!r.junk);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn combined_writer_round_trips(hits in prop::collection::vec(hit(), 1..8)) {
        let text: String = hits.iter().map(|h| combined_line(h) + "\n").collect();
        let (rows, stats) = parse(preset("combined").unwrap().compile().unwrap(), &text);
        prop_assert_eq!(stats.rejected_total(), 0, "{:?}", stats.samples);
        prop_assert_eq!(rows.len(), hits.len());
        for (h, r) in hits.iter().zip(&rows) {
            check(h, r, h.bytes);
        }
    }

    #[test]
    fn nginx_json_writer_round_trips(hits in prop::collection::vec(hit(), 1..8)) {
        let text: String = hits.iter().map(|h| json_line(h) + "\n").collect();
        let (rows, stats) = parse(preset("nginx_json").unwrap().compile().unwrap(), &text);
        prop_assert_eq!(stats.rejected_total(), 0, "{:?}", stats.samples);
        // One row per hit written: a zip over fewer rows would check nothing.
        prop_assert_eq!(rows.len(), hits.len());
        for (h, r) in hits.iter().zip(&rows) {
            check(h, r, Some(h.bytes.unwrap_or(0)));
        }
    }

    /// Every preset survives arbitrary bytes and mutated real lines, and accounts for each line.
    #[test]
    fn no_input_panics(noise in prop::collection::vec(any::<u8>(), 0..400), h in hit(), cut in 0usize..300, byte in any::<u8>()) {
        let mut line = combined_line(&h).into_bytes();
        let at = cut.min(line.len());
        line.insert(at, byte);
        let mut text = noise.clone();
        text.push(b'\n');
        text.extend_from_slice(&line);
        text.push(b'\n');
        text.extend_from_slice(&line[..at]);
        for p in PRESETS {
            let format = std::sync::Arc::new(p.compile().unwrap());
            let (batch, stats) = clickpath_formats::pipeline::parse_bytes(&format, &text, common::rows_opts());
            let lines = text.iter().filter(|&&c| c == b'\n').count() + usize::from(text.last() != Some(&b'\n'));
            prop_assert_eq!(stats.lines(), lines as u64);
            prop_assert_eq!(batch.num_rows() as u64, stats.requests + stats.events);
        }
    }
}
