//! Table tests: every preset, autodetected and by name, on hand-written lines with the nasty
//! cases (`-` fields, IPv6, escaped quotes, junk requests, offsets, CRLF, `#Fields` changes).

mod common;

use clickpath_formats::detect::detect;
use clickpath_formats::presets::{preset, resolve};
use clickpath_formats::rejects::RejectReason;
use common::{Row, parse, some};

/// Detects the format of `text`, checks it is `want`, and parses the text with it.
fn detect_and_parse(want: &str, text: &str) -> Vec<Row> {
    let d = detect("test", text.as_bytes()).unwrap_or_else(|e| panic!("{want}: {e}"));
    assert_eq!(d.format.name, want, "detected format");
    let format = std::sync::Arc::try_unwrap(d.format).unwrap();
    let (rows, stats) = parse(format, text);
    assert_eq!(stats.rejected_total(), 0, "{want}: {:?}", stats.samples);
    if !text.starts_with('#') {
        // Naming the preset gives the same rows.
        let (by_name, _) = parse(preset(want).unwrap().compile().unwrap(), text);
        assert_eq!(by_name, rows);
    }
    rows
}

#[test]
fn combined_with_nasty_cases() {
    let text = concat!(
        r#"2001:db8::1 - frank [10/Oct/2000:13:55:36 -0700] "GET /a/b.html?x=1&y=%20z HTTP/1.1" 200 2326 "http://example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)""#,
        "\n",
        r#"192.0.2.7 - - [01/Mar/2024:10:00:00 +0530] "GET /q HTTP/1.1" 304 - "-" "UA with \"quoted\" part""#,
        "\n",
        r#"45.47.72.162 - - [01/Mar/2024:00:01:10 +0000] "\x16\x03\x01\x00\xF5\x01\x00" 400 157 "-" "-""#,
        "\n",
        r#"198.51.100.4 - - [01/Mar/2024:00:01:11 +0000] "-" 408 0 "-" "-""#,
        "\n",
        r#"198.51.100.5 - - [01/Mar/2024:00:01:12 +0000] "GET http://proxy.example:8080/x?y HTTP/1.1" 200 1 "-" "curl/8.0" "-""#,
        "\r\n",
    );
    let rows = detect_and_parse("combined", text);
    assert_eq!(rows.len(), 5);
    assert_eq!(
        rows[0],
        Row {
            ts: "2000-10-10T20:55:36Z".into(),
            tz: Some(-420),
            ip: some("2001:db8::1"),
            host: None,
            method: some("GET"),
            path: some("/a/b.html"),
            query: some("x=1&y=%20z"),
            protocol: some("HTTP/1.1"),
            status: Some(200),
            bytes: Some(2326),
            referrer: some("http://example.com/start.html"),
            user_agent: some("Mozilla/4.08 [en] (Win98; I ;Nav)"),
            duration_us: None,
            junk: false,
            line: 1,
        }
    );
    assert_eq!(
        (rows[1].ts.as_str(), rows[1].tz),
        ("2024-03-01T04:30:00Z", Some(330))
    );
    assert_eq!((rows[1].bytes, rows[1].referrer.as_deref()), (None, None));
    assert_eq!(
        rows[1].user_agent.as_deref(),
        Some(r#"UA with "quoted" part"#)
    );
    // A TLS handshake on port 80 is still a request with a status, flagged as junk.
    assert!(rows[2].junk);
    assert_eq!(
        (rows[2].method.as_deref(), rows[2].status),
        (None, Some(400))
    );
    assert_eq!(
        rows[2].path.as_deref(),
        Some(r"\x16\x03\x01\x00\xF5\x01\x00")
    );
    assert!(rows[3].junk && rows[3].path.as_deref() == Some("-"));
    // Absolute URL in the request line: host comes from it, the port is dropped; the trailing
    // X-Forwarded-For field and the CR are tolerated.
    assert_eq!(
        (
            rows[4].host.as_deref(),
            rows[4].path.as_deref(),
            rows[4].query.as_deref()
        ),
        (Some("proxy.example"), Some("/x"), Some("y"))
    );
    assert_eq!(rows[4].user_agent.as_deref(), Some("curl/8.0"));
}

#[test]
fn common_with_hostnames_and_http09() {
    let text = "in24.inetnebr.com - - [01/Aug/1995:00:00:01 -0400] \"GET /shuttle/missions/sts-68/news/sts-68-mcc-05.txt HTTP/1.0\" 200 1839\n\
                uplherc.upl.com - - [01/Aug/1995:00:00:07 -0400] \"GET /\" 304 0\n";
    let rows = detect_and_parse("common", text);
    assert_eq!(rows[0].ip.as_deref(), Some("in24.inetnebr.com"));
    assert_eq!(rows[0].ts, "1995-08-01T04:00:01Z");
    assert_eq!(
        (rows[1].path.as_deref(), rows[1].protocol.as_deref()),
        (Some("/"), None)
    );
    assert_eq!(rows[1].status, Some(304));
}

#[test]
fn vhost_formats() {
    let text = r#"shop.example.com:443 203.0.113.9 - - [01/Mar/2024:00:00:01 +0000] "GET /product/1 HTTP/2.0" 200 30191 "https://www.google.com/" "Mozilla/5.0""#;
    let rows = detect_and_parse("vhost_combined", text);
    assert_eq!(
        (rows[0].host.as_deref(), rows[0].ip.as_deref()),
        (Some("shop.example.com"), Some("203.0.113.9"))
    );
    let text =
        r#"www.example.org 203.0.113.9 - - [01/Mar/2024:00:00:01 +0000] "GET / HTTP/1.1" 200 512"#;
    let rows = detect_and_parse("vhost_common", text);
    assert_eq!(rows[0].host.as_deref(), Some("www.example.org"));
}

#[test]
fn nginx_json_with_escapes() {
    let text = concat!(
        r#"{"time_local":"01/Mar/2024:00:00:01 +0100","remote_addr":"2607:fb90::1","remote_user":"-","request":"GET /p?q=%22a%22 HTTP/2.0","status":200,"body_bytes_sent":29960,"http_referer":"https://www.google.co.uk/","http_user_agent":"Mozilla/5.0 \"x\" \u00e9","host":"shop.example.com","request_time":"0.012"}"#,
        "\n",
        r#"{"time_local":"01/Mar/2024:00:00:02 +0100","remote_addr":"192.0.2.1","request":"\u0016\u0003\u0001","status":"400","body_bytes_sent":"0","http_referer":"","http_user_agent":"-"}"#,
        "\n",
    );
    let rows = detect_and_parse("nginx_json", text);
    assert_eq!(rows[0].ts, "2024-02-29T23:00:01Z");
    assert_eq!(rows[0].user_agent.as_deref(), Some("Mozilla/5.0 \"x\" é"));
    assert_eq!(
        (rows[0].host.as_deref(), rows[0].duration_us),
        (Some("shop.example.com"), Some(12_000))
    );
    assert_eq!(rows[0].query.as_deref(), Some("q=%22a%22"));
    assert!(rows[1].junk);
    assert_eq!(
        (
            rows[1].status,
            rows[1].referrer.as_deref(),
            rows[1].user_agent.as_deref()
        ),
        (Some(400), None, None)
    );
}

#[test]
fn caddy_json() {
    let text = r#"{"level":"info","ts":1646861401.5241024,"logger":"http.log.access","msg":"handled request","request":{"remote_ip":"127.0.0.1","remote_port":"41342","client_ip":"127.0.0.2","proto":"HTTP/2.0","method":"GET","host":"localhost","uri":"/a?b=c","headers":{"User-Agent":["curl/7.82.0","second"],"Accept":["*/*"],"Referer":["https://x.example/"]},"tls":{"resumed":false,"version":772}},"bytes_read":0,"user_id":"","duration":0.000929675,"size":10900,"status":200,"resp_headers":{"Server":["Caddy"]}}"#;
    let rows = detect_and_parse("caddy", text);
    let r = &rows[0];
    assert_eq!(r.ts, "2022-03-09T21:30:01.524102Z");
    assert_eq!(
        (r.ip.as_deref(), r.host.as_deref()),
        (Some("127.0.0.2"), Some("localhost"))
    );
    assert_eq!(
        (r.method.as_deref(), r.path.as_deref(), r.query.as_deref()),
        (Some("GET"), Some("/a"), Some("b=c"))
    );
    assert_eq!(
        (r.user_agent.as_deref(), r.referrer.as_deref()),
        (Some("curl/7.82.0"), Some("https://x.example/"))
    );
    assert_eq!(
        (r.status, r.bytes, r.duration_us),
        (Some(200), Some(10900), Some(929))
    );
}

#[test]
fn traefik_json_and_clf() {
    let text = r#"{"ClientAddr":"10.0.0.1:57878","ClientHost":"10.0.0.1","ClientPort":"57878","DownstreamContentSize":19,"DownstreamStatus":404,"Duration":1234567,"RequestHost":"example.com","RequestMethod":"GET","RequestPath":"/foo?x=1","RequestProtocol":"HTTP/1.1","StartUTC":"2024-03-01T10:00:00.123456789Z","request_User-Agent":"curl/7.68.0","level":"info","msg":"","time":"2024-03-01T10:00:00Z"}"#;
    let r = &detect_and_parse("traefik_json", text)[0];
    assert_eq!(
        (r.ts.as_str(), r.status, r.duration_us),
        ("2024-03-01T10:00:00.123456Z", Some(404), Some(1234))
    );
    assert_eq!(
        (
            r.path.as_deref(),
            r.query.as_deref(),
            r.user_agent.as_deref()
        ),
        (Some("/foo"), Some("x=1"), Some("curl/7.68.0"))
    );

    let text = r#"192.168.1.10 - - [01/Mar/2024:10:00:00 +0000] "GET /api/x HTTP/1.1" 200 42 "-" "Go-http-client/1.1" 1234 "api@docker" "http://172.17.0.3:80" 7ms"#;
    let r = &detect_and_parse("traefik_clf", text)[0];
    assert_eq!(
        (r.duration_us, r.user_agent.as_deref()),
        (Some(7_000), Some("Go-http-client/1.1"))
    );
}

#[test]
fn w3c_iis_with_crlf_plus_and_mid_file_fields() {
    let text = "#Software: Microsoft Internet Information Services 8.5\r\n\
        #Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\r\n\
        2015-10-17 16:27:13 172.31.22.76 GET /index.html a=1 80 - 190.234.105.254 Mozilla/5.0+(Windows+NT+10.0) http://ref.example/ 200 0 0 698\r\n\
        #Fields: date time c-ip cs-method cs-uri-stem sc-status sc-bytes cs-host\r\n\
        2016-01-01 00:00:01 ::1 POST /login 302 120 www.example.com\r\n\
        2016-01-01 00:00:02 ::1 GET /a b 200 120 www.example.com\r\n";
    let d = detect("iis", text.as_bytes()).unwrap();
    assert_eq!(d.format.name, "w3c");
    // The pipeline handles the mid-file #Fields change.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("u_ex.log");
    std::fs::write(&path, text).unwrap();
    let (rows, stats) = common::parse_files(&[path]);
    assert_eq!(
        (stats.requests, stats.comments, stats.rejected_total()),
        (2, 3, 1)
    );
    // An unencoded space in a field makes one field too many.
    assert_eq!(stats.rejected(RejectReason::WrongFieldCount), 1);
    let r = &rows[0];
    assert_eq!(
        (r.ts.as_str(), r.method.as_deref(), r.query.as_deref()),
        ("2015-10-17T16:27:13Z", Some("GET"), Some("a=1"))
    );
    assert_eq!(
        r.user_agent.as_deref(),
        Some("Mozilla/5.0 (Windows NT 10.0)")
    );
    assert_eq!(
        (r.ip.as_deref(), r.duration_us, r.line),
        (Some("190.234.105.254"), Some(698_000), 3)
    );
    let r = &rows[1];
    assert_eq!(
        (r.ip.as_deref(), r.status, r.bytes, r.host.as_deref()),
        (Some("::1"), Some(302), Some(120), Some("www.example.com"))
    );
}

#[test]
fn cloudfront_tab_separated_percent_encoded() {
    let text = "#Version: 1.0\n#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header cs-protocol cs-bytes time-taken\n\
        2019-12-04\t21:02:31\tLAX1\t392\t192.0.2.100\tGET\td111111abcdef8.cloudfront.net\t/index.html\t200\t-\tMozilla/5.0%20(Windows%20NT%2010.0;%20Win64;%20x64)\tq=1\t-\tHit\tSOX4xwn4XV6Q4rgb7XiVGOHms_BGlTAC4KyHmureZmBNrjGdRLiNIQ==\twww.example.com\thttps\t23\t0.001\n";
    let rows = detect_and_parse("cloudfront", text);
    let r = &rows[0];
    assert_eq!(
        (r.ts.as_str(), r.host.as_deref(), r.path.as_deref()),
        (
            "2019-12-04T21:02:31Z",
            Some("www.example.com"),
            Some("/index.html")
        )
    );
    assert_eq!(
        r.user_agent.as_deref(),
        Some("Mozilla/5.0 (Windows NT 10.0; Win64; x64)")
    );
    assert_eq!(
        (r.bytes, r.duration_us, r.query.as_deref()),
        (Some(392), Some(1_000), Some("q=1"))
    );
}

#[test]
fn aws_load_balancers_and_s3() {
    let alb = r#"http 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 "GET http://www.example.com:80/path?a=b HTTP/1.1" "curl/7.46.0" - - arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337262-36d228ad5d99923122bbe354" "-" "-" 0 2018-07-02T22:22:48.364000Z "forward" "-" "-" "10.0.0.1:80" "200" "-" "-""#;
    let r = &detect_and_parse("alb", alb)[0];
    assert_eq!(
        (r.ts.as_str(), r.ip.as_deref(), r.status, r.bytes),
        (
            "2018-07-02T22:23:00.186641Z",
            Some("192.168.131.39"),
            Some(200),
            Some(366)
        )
    );
    assert_eq!(
        (r.host.as_deref(), r.path.as_deref(), r.query.as_deref()),
        (Some("www.example.com"), Some("/path"), Some("a=b"))
    );
    assert_eq!(r.duration_us, Some(1_000));

    let elb = r#"2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.000073 0.001048 0.000057 200 200 0 29 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.38.0" - -"#;
    let r = &detect_and_parse("elb", elb)[0];
    assert_eq!(
        (
            r.ip.as_deref(),
            r.duration_us,
            r.bytes,
            r.user_agent.as_deref()
        ),
        (
            Some("192.168.131.39"),
            Some(1048),
            Some(29),
            Some("curl/7.38.0")
        )
    );

    let s3 = r#"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be awsexamplebucket1 [06/Feb/2019:00:00:38 +0000] 192.0.2.3 79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be 3E57427F3EXAMPLE REST.GET.VERSIONING - "GET /awsexamplebucket1?versioning HTTP/1.1" 200 - 113 - 7 - "-" "S3Console/0.4" - s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234= SigV2 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader awsexamplebucket1.s3.us-west-1.amazonaws.com TLSV1.2 - -"#;
    let r = &detect_and_parse("s3", s3)[0];
    assert_eq!(
        (r.host.as_deref(), r.ip.as_deref(), r.bytes, r.duration_us),
        (
            Some("awsexamplebucket1"),
            Some("192.0.2.3"),
            Some(113),
            Some(7_000)
        )
    );
    assert_eq!(
        (
            r.path.as_deref(),
            r.query.as_deref(),
            r.user_agent.as_deref()
        ),
        (
            Some("/awsexamplebucket1"),
            Some("versioning"),
            Some("S3Console/0.4")
        )
    );
}

#[test]
fn haproxy_behind_syslog() {
    let text = r#"Feb  6 12:14:14 localhost haproxy[14389]: 10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 {1wt.eu} {} "GET /index.html HTTP/1.1""#;
    let r = &detect_and_parse("haproxy", text)[0];
    assert_eq!(
        (r.ts.as_str(), r.tz, r.ip.as_deref()),
        ("2009-02-06T12:14:14.655000Z", None, Some("10.0.1.2"))
    );
    assert_eq!(
        (r.status, r.bytes, r.duration_us, r.path.as_deref()),
        (Some(200), Some(2750), Some(109_000), Some("/index.html"))
    );
}

#[test]
fn haproxy_on_stdout() {
    let text = r#"10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 404 2750 - - ---- 1/1/1/1/0 0/0 "GET /x HTTP/1.1""#;
    let r = &detect_and_parse("haproxy_stdout", text)[0];
    assert_eq!(
        (r.ip.as_deref(), r.status, r.duration_us, r.path.as_deref()),
        (Some("10.0.1.2"), Some(404), Some(109_000), Some("/x"))
    );
}

#[test]
fn users_own_format_lines() {
    // An nginx log_format directive pasted whole, with request_time, XFF and host.
    let nginx = resolve(r#"log_format main '$remote_addr - $remote_user [$time_local] "$request" ' '$status $body_bytes_sent "$http_referer" ' '"$http_user_agent" $request_time "$http_x_forwarded_for" $host';"#).unwrap();
    let (rows, _) = parse(
        nginx,
        r#"203.0.113.1 - - [01/Mar/2024:10:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "Mozilla/5.0" 0.250 "198.51.100.1, 10.0.0.1" shop.example.com"#,
    );
    assert_eq!(
        (rows[0].duration_us, rows[0].host.as_deref()),
        (Some(250_000), Some("shop.example.com"))
    );

    // An Apache LogFormat line with %D, %{X-Forwarded-For}i, %v and %p.
    let apache = resolve(r#"LogFormat "%v:%p %h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\" %D \"%{X-Forwarded-For}i\"" custom"#).unwrap();
    let (rows, _) = parse(
        apache,
        r#"www.example.com:80 203.0.113.1 - - [01/Mar/2024:10:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "Mozilla/5.0" 1532 "-""#,
    );
    assert_eq!(
        (rows[0].duration_us, rows[0].host.as_deref()),
        (Some(1532), Some("www.example.com"))
    );

    // GoAccess specifiers: the zone skipped by %^ is honoured.
    let goaccess = resolve(r#"%h %^[%d:%t %^] "%r" %s %b "%R" "%u""#).unwrap();
    let (rows, stats) = parse(
        goaccess,
        r#"203.0.113.1 - - [01/Mar/2024:10:00:00 +0200] "GET /x HTTP/1.1" 404 5 "https://r.example/" "Mozilla/5.0""#,
    );
    assert_eq!(stats.rejected_total(), 0);
    assert_eq!(
        (
            rows[0].ts.as_str(),
            rows[0].referrer.as_deref(),
            rows[0].user_agent.as_deref()
        ),
        (
            "2024-03-01T08:00:00Z",
            Some("https://r.example/"),
            Some("Mozilla/5.0")
        )
    );

    // A JSON template with unquoted numbers.
    let json = resolve(r#"{"t":"$time_iso8601","ip":"$remote_addr","r":"$request","s":$status,"b":$body_bytes_sent}"#).unwrap();
    let (rows, _) = parse(
        json,
        r#"{"t":"2024-03-01T10:00:00+00:00","ip":"192.0.2.1","r":"GET / HTTP/1.1","s":503,"b":0}"#,
    );
    assert_eq!((rows[0].status, rows[0].bytes), (Some(503), Some(0)));
}

#[test]
fn bad_lines_are_counted_by_reason() {
    let format = preset("combined").unwrap().compile().unwrap();
    let text = concat!(
        r#"192.0.2.1 - - [01/Mar/2024:00:01:03 +0000] "GET /static"#,
        "\n",
        r#"om/category/x" "Mozilla/5.0""#,
        "\n",
        r#"192.0.2.1 - - [01-Mar-2024:00:01:03 +0000] "GET / HTTP/1.1" 200 1 "-" "-""#,
        "\n",
        r#"192.0.2.1 - - [01/Mar/2024:00:01:03 +0000] "GET / HTTP/1.1" 2x0 1 "-" "-""#,
        "\n",
        r#"192.0.2.1 - - [01/Mar/2024:00:01:03 +0000] "GET / HTTP/1.1" 200 12a "-" "-""#,
        "\n",
        r#"192.0.2.1 [01/Mar/2024:00:01:03 +0000] "GET / HTTP/1.1" 200 1 "-" "-""#,
        "\n",
        "\n",
        r#"192.0.2.1 - - [01/Mar/2024:00:01:03 +0000] "GET / HTTP/1.1" 200 1 "-" "-""#,
        "\n",
    );
    let (rows, stats) = parse(format, text);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].line, 8);
    let got: Vec<(RejectReason, u64)> = stats.rejected_by_reason().collect();
    assert_eq!(
        got,
        [
            // The cut request line, and the line missing `%l %u` (the format ran past its end).
            (RejectReason::Truncated, 2),
            (RejectReason::BadClient, 1),
            (RejectReason::BadTimestamp, 1),
            (RejectReason::BadStatus, 1),
            (RejectReason::BadNumber, 1),
        ]
    );
    assert_eq!((stats.blank, stats.lines()), (1, 8));
    let sample = stats
        .samples
        .iter()
        .find(|s| s.reason == RejectReason::BadTimestamp)
        .unwrap();
    assert_eq!((sample.line, sample.column), (3, 15));
}

#[test]
fn unknown_format_error_says_what_was_tried() {
    let err = detect("notes.txt", b"hello world\nthis is not a log\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("notes.txt: unknown log format"), "{err}");
    assert!(
        err.contains("combined") && err.contains("0/2 lines"),
        "{err}"
    );
    assert!(err.contains("--format"), "{err}");
}

#[test]
fn json_lines_with_generic_keys() {
    let text = r#"{"@timestamp":"2024-03-01T10:00:00.250+01:00","ip":"192.0.2.8","method":"GET","url":"/p?x=1","protocol":"HTTP/1.1","status":302,"bytes":0,"referer":"-","user_agent":"curl/8.0","duration":0.5}"#;
    let r = &detect_and_parse("nginx_json", text)[0];
    assert_eq!(
        (r.ts.as_str(), r.ip.as_deref(), r.method.as_deref()),
        (
            "2024-03-01T09:00:00.250000Z",
            Some("192.0.2.8"),
            Some("GET")
        )
    );
    assert_eq!(
        (
            r.path.as_deref(),
            r.query.as_deref(),
            r.status,
            r.duration_us
        ),
        (Some("/p"), Some("x=1"), Some(302), Some(500_000))
    );
    assert_eq!(
        (r.referrer.as_deref(), r.user_agent.as_deref()),
        (None, Some("curl/8.0"))
    );
}

#[test]
fn w3c_lines_without_their_header() {
    // Some pipelines strip the # lines: the default field lists still recognise the files.
    let iis = "2015-10-17 16:27:13 172.31.22.76 GET / - 80 - 190.234.105.254 Mozilla/5.0+(Windows) - 200 0 0 698\n";
    let r = &detect_and_parse("w3c", iis)[0];
    assert_eq!(
        (r.status, r.user_agent.as_deref(), r.duration_us),
        (Some(200), Some("Mozilla/5.0 (Windows)"), Some(698_000))
    );
    let cf = "2019-12-04\t21:02:31\tLAX1\t392\t192.0.2.100\tGET\td111111abcdef8.cloudfront.net\t/index.html\t200\t-\tcurl/8.0\t-\t-\tHit\tSOX4\twww.example.com\thttps\t23\t0.001\t-\tTLSv1.3\tTLS_AES_128_GCM_SHA256\tHit\tHTTP/2.0\n";
    let r = &detect_and_parse("cloudfront", cf)[0];
    assert_eq!(
        (r.host.as_deref(), r.protocol.as_deref(), r.query.as_deref()),
        (Some("www.example.com"), Some("HTTP/2.0"), None)
    );
}
