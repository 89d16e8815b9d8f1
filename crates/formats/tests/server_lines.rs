//! Lines real servers write that were misread or refused, and damaged lines that must stay
//! damaged (issue 11): each case written from the server's documentation or a public fixture.

mod common;

use clickpath_formats::detect::detect;
use clickpath_formats::rejects::RejectReason;
use common::{Row, parse, parse_files};

const UA: &str = "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0";

fn combined(i: usize) -> String {
    format!(
        "192.0.2.{} - - [01/Mar/2024:10:{:02}:00 +0000] \"GET /p/{i} HTTP/1.1\" 200 512 \"https://www.google.com/\" \"{UA}\"\n",
        i % 200 + 1,
        i % 60
    )
}

/// `combined(i)` cut right after the byte count (what `common` reads).
fn cut(i: usize) -> String {
    let l = combined(i);
    format!("{}\n", &l[..l.find(" \"https").unwrap()])
}

fn detect_and_parse(text: &str) -> (String, Vec<Row>, clickpath_formats::rejects::LineStats) {
    let d = detect("test", text.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    let name = d.format.name.clone();
    let (rows, stats) = parse(std::sync::Arc::try_unwrap(d.format).unwrap(), text);
    (name, rows, stats)
}

fn files(text: &str) -> (Vec<Row>, clickpath_formats::rejects::LineStats) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("access.log");
    std::fs::write(&p, text).unwrap();
    parse_files(&[p])
}

#[test]
fn a_few_cut_lines_do_not_make_a_combined_log_common() {
    // 32 whole lines and 3 cut before the referrer, among them: combined is detected and the
    // cut lines are rejected as truncated, never read as common requests without an agent.
    let mut text = String::new();
    for i in 0..35 {
        text += &if [5, 6, 20].contains(&i) {
            cut(i)
        } else {
            combined(i)
        };
    }
    let (name, _, _) = detect_and_parse(&text);
    assert_eq!(name, "combined");
    // Through the real pipeline (chunks of 64 bytes: every boundary is somewhere else).
    let (rows, stats) = files(&text);
    assert_eq!(rows.len(), 32);
    assert_eq!(stats.rejected(RejectReason::Truncated), 3);
    assert_eq!(stats.fallback, 0);
    assert!(rows.iter().all(|r| r.user_agent.as_deref() == Some(UA)));
}

#[test]
fn a_changed_format_is_read_with_the_fallback_wherever_chunks_end() {
    // 210 combined lines (past the detection sample), then the format changed to common for 12
    // lines (a run), then a single cut line among combined lines again (damaged: truncated).
    let mut text = String::new();
    for i in 0..210 {
        text += &combined(i);
    }
    for i in 210..222 {
        text += &cut(i);
    }
    for i in 222..240 {
        text += &if i == 230 { cut(i) } else { combined(i) };
    }
    let (rows, stats) = files(&text);
    assert_eq!(stats.fallback, 12);
    assert_eq!(rows.len(), 239);
    assert_eq!(stats.rejected(RejectReason::Truncated), 1);
    // Runs shorter than FALLBACK_RUN are damage.
    let mut text = String::new();
    for i in 0..240 {
        text += &if (210..210 + clickpath_formats::FALLBACK_RUN - 1).contains(&i) {
            cut(i)
        } else {
            combined(i)
        };
    }
    let (_, stats) = files(&text);
    assert_eq!(
        (stats.fallback, stats.rejected_total()),
        (0, clickpath_formats::FALLBACK_RUN as u64 - 1)
    );
}

#[test]
fn a_virtual_host_before_the_client_with_or_without_port() {
    let text = concat!(
        "vhost1.example.org 192.0.2.7 - - [10/Oct/2000:13:55:36 -0700] \"GET /a HTTP/1.1\" 200 2326 \"-\" \"curl/8\"\n",
        "example.com:80 198.51.100.3 - - [10/Oct/2000:13:55:37 -0700] \"GET /b HTTP/1.1\" 200 2326 \"-\" \"curl/8\"\n",
    );
    let (name, rows, stats) = detect_and_parse(text);
    assert_eq!((name.as_str(), stats.requests), ("vhost_combined", 2));
    let got: Vec<_> = rows
        .iter()
        .map(|r| (r.host.as_deref(), r.ip.as_deref()))
        .collect();
    assert_eq!(
        got,
        [
            (Some("vhost1.example.org"), Some("192.0.2.7")),
            (Some("example.com"), Some("198.51.100.3"))
        ]
    );
    let common = "www.example.org:443 203.0.113.9 - - [01/Mar/2024:00:00:01 +0000] \"GET / HTTP/1.1\" 200 512\n";
    let (name, rows, _) = detect_and_parse(common);
    assert_eq!(
        (name.as_str(), rows[0].host.as_deref()),
        ("vhost_common", Some("www.example.org"))
    );
}

#[test]
fn a_client_list_first_is_the_first_client() {
    // nginx logging $proxy_add_x_forwarded_for (client, then each proxy) as the first field.
    let text = concat!(
        "10.0.0.2, 10.0.0.1, 127.0.0.1 - - [01/Mar/2024:00:00:01 +0000] \"GET /a HTTP/1.1\" 200 5 \"-\" \"curl/8\"\n",
        "10.0.0.3 - - [01/Mar/2024:00:00:02 +0000] \"GET /b HTTP/1.1\" 200 5 \"-\" \"curl/8\"\n",
        "2001:db8::7, 10.0.0.1 - - [01/Mar/2024:00:00:03 +0000] \"GET /c HTTP/1.1\" 200 5 \"-\" \"curl/8\"\n",
    );
    let (name, rows, stats) = detect_and_parse(text);
    assert_eq!((name.as_str(), stats.requests), ("combined", 3));
    let got: Vec<_> = rows
        .iter()
        .map(|r| (r.ip.as_deref(), r.host.as_deref(), r.user_agent.as_deref()))
        .collect();
    assert_eq!(
        got,
        [
            (Some("10.0.0.2"), None, Some("curl/8")),
            (Some("10.0.0.3"), None, Some("curl/8")),
            (Some("2001:db8::7"), None, Some("curl/8"))
        ]
    );
}

#[test]
fn quoted_fields_logged_as_a_bare_dash() {
    // S3 batch operations and lifecycle actions: request, referrer and agent are `-` unquoted.
    let owner = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be";
    let text = format!(
        "{owner} bucket1 [06/Feb/2019:00:00:38 +0000] 192.0.2.3 {owner} 3E57427F3EXAMPLE REST.GET.VERSIONING - \"GET /bucket1?versioning HTTP/1.1\" 200 - 113 - 7 - \"-\" \"S3Console/0.4\" - s9lz= SigV2 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader bucket1.s3.us-west-1.amazonaws.com TLSV1.2 - -\n\
         {owner} bucket1 [06/Feb/2019:00:01:00 +0000] - svc:s3.amazonaws.com 4C6D8E2F0EXAMPLE BATCH.DELETE.OBJECT photos/a.jpg - 204 - - 1234 - - - - - SigV4 ECDHE-RSA-AES128-GCM-SHA256 - bucket1.s3.us-west-1.amazonaws.com TLSv1.2 - -\n\
         {owner} bucket1 [06/Feb/2019:00:02:00 +0000] - AmazonS3 5A6B7C8D9EXAMPLE S3.EXPIRE.OBJECT photos/b.jpg - - - - - - - - - - - - - - - -\n"
    );
    let (name, rows, stats) = detect_and_parse(&text);
    assert_eq!(
        (name.as_str(), stats.requests, stats.rejected_total()),
        ("s3", 3, 0)
    );
    assert_eq!(rows[0].user_agent.as_deref(), Some("S3Console/0.4"));
    assert_eq!(
        (
            rows[1].status,
            rows[1].path.as_deref(),
            rows[1].user_agent.as_deref()
        ),
        (Some(204), None, None)
    );
    assert_eq!(rows[2].status, None);
    // combined with a bare `-` referrer and a quoted agent, and both bare.
    let text = concat!(
        "192.0.2.1 - - [01/Mar/2024:00:00:01 +0000] \"GET / HTTP/1.1\" 200 512 - \"curl/8\"\n",
        "192.0.2.1 - - [01/Mar/2024:00:00:02 +0000] \"GET / HTTP/1.1\" 200 - - -\n",
    );
    let f = clickpath_formats::presets::resolve("combined").unwrap();
    let (rows, stats) = parse(f, text);
    assert_eq!(stats.requests, 2);
    assert_eq!(
        (
            rows[0].bytes,
            rows[0].referrer.as_deref(),
            rows[0].user_agent.as_deref()
        ),
        (Some(512), None, Some("curl/8"))
    );
    assert_eq!((rows[1].bytes, rows[1].user_agent.as_deref()), (None, None));
}

#[test]
fn w3c_quoted_fields_dialects_and_encodings() {
    let text = "#Fields: date time c-ip cs-method cs-uri-stem c-status cs(User-Agent) cs(Cookie) x-duration\n\
        2024-03-01 10:00:00 192.0.2.1 GET /shop/item?id=7 200 Mozilla/5.0%20(Windows%20NT%2010.0)%20+extra \"a=b; c=d\" 0.250\n\
        2024-03-01 10:00:01 192.0.2.2 GET /x 404 Mozilla/5.0+(iPhone) \"say \"\"hi\"\"\" 1\n";
    let (rows, stats) = files(text);
    assert_eq!((stats.requests, stats.rejected_total()), (2, 0));
    let r = &rows[0];
    assert_eq!(
        (r.path.as_deref(), r.query.as_deref(), r.status),
        (Some("/shop/item"), Some("id=7"), Some(200))
    );
    assert_eq!(
        r.user_agent.as_deref(),
        Some("Mozilla/5.0 (Windows NT 10.0) +extra")
    );
    assert_eq!(r.duration_us, Some(250_000));
    assert_eq!(rows[1].user_agent.as_deref(), Some("Mozilla/5.0 (iPhone)"));
    // CloudFront writes `%2520` for a space in a user agent (encoded twice).
    let cf = "#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query\n\
        2019-12-04\t21:02:31\tLAX1\t392\t192.0.2.100\tGET\td1.cloudfront.net\t/index.html\t200\t-\tMozilla/5.0%2520(Windows%2520NT%252010.0)\t-\n";
    let (rows, _) = files(cf);
    assert_eq!(
        rows[0].user_agent.as_deref(),
        Some("Mozilla/5.0 (Windows NT 10.0)")
    );
}

#[test]
fn w3c_files_without_their_header_are_inferred_or_refused_clearly() {
    // IIS 6's default field list (a site name third), header stripped.
    let iis6 = "2009-08-17 05:30:52 W3SVC20 10.0.0.5 GET /index.html - 80 - 66.249.65.1 Googlebot/2.1+(+http://www.google.com/bot.html) 200 0 0\n\
        2009-08-17 05:31:02 W3SVC20 10.0.0.5 GET /about.html a=1 80 - 66.249.65.2 Mozilla/5.0+(Windows) 404 0 2\n";
    let d = detect("u_ex.log", iis6.as_bytes()).unwrap();
    assert_eq!(d.format.name, "w3c");
    assert!(
        d.format.source.contains("s-sitename"),
        "{}",
        d.format.source
    );
    let (rows, stats) = parse(std::sync::Arc::try_unwrap(d.format).unwrap(), iis6);
    assert_eq!(stats.requests, 2);
    assert_eq!(
        (
            rows[1].ip.as_deref(),
            rows[1].status,
            rows[1].query.as_deref()
        ),
        (Some("66.249.65.2"), Some(404), Some("a=1"))
    );
    // Seven fields no known layout has: an error that says how to pass the field list.
    let odd = "2024-03-01 10:00:00 192.0.2.1 GET /a 200 15\n";
    let err = detect("odd.log", odd.as_bytes()).unwrap_err().to_string();
    assert!(
        err.contains("without its #Fields: line, with 7 fields")
            && err.contains("--format '#Fields:"),
        "{err}"
    );
}

#[test]
fn json_lines_whose_time_key_is_another_name() {
    let text = concat!(
        r#"{"logged_at":"2024-03-01T10:00:00+01:00","ip":"192.0.2.1","method":"GET","url":"/a","status":200}"#,
        "\n",
        r#"{"epoch_ms":1709287200123,"ip":"192.0.2.1","method":"GET","url":"/b","status":404}"#,
        "\n",
        r#"{"req":{"when":"01/Mar/2024:10:00:00 +0000"},"ip":"192.0.2.1","url":"/c","status":200}"#,
        "\n",
    );
    let (name, rows, stats) = detect_and_parse(text);
    assert_eq!((name.as_str(), stats.requests), ("nginx_json", 3));
    let ts: Vec<&str> = rows.iter().map(|r| r.ts.as_str()).collect();
    assert_eq!(
        ts,
        [
            "2024-03-01T09:00:00Z",
            "2024-03-01T10:00:00.123000Z",
            "2024-03-01T10:00:00Z"
        ]
    );
}
