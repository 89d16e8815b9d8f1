use super::*;

fn one(kind: ErrorLogKind, line: &str) -> EventSlots<'_> {
    kind.parse(line.as_bytes())
        .unwrap_or_else(|| panic!("does not parse: {line}"))
}

fn s(v: Option<&[u8]>) -> Option<&str> {
    v.map(|b| std::str::from_utf8(b).unwrap())
}

#[test]
fn nginx_lines_with_every_field() {
    let l = r#"2024/03/01 10:29:01 [error] 11926#11926: *14500 connect() failed (111: Connection refused) while connecting to upstream, client: 204.19.140.7, server: shop.example.com, request: "GET /product/1252?x=1 HTTP/1.1", upstream: "http://127.0.0.1:8080/product/1252", host: "shop.example.com", referrer: "https://shop.example.com/product/2046""#;
    let e = one(ErrorLogKind::Nginx, l);
    assert_eq!(
        (e.level, e.pid, e.tid, e.connection),
        (&b"error"[..], Some(11926), Some(11926), Some(14500))
    );
    assert_eq!(
        std::str::from_utf8(e.message).unwrap(),
        "connect() failed (111: Connection refused) while connecting to upstream"
    );
    assert_eq!(s(e.client), Some("204.19.140.7"));
    assert_eq!(s(e.server), Some("shop.example.com"));
    assert_eq!(s(e.request), Some("GET /product/1252?x=1 HTTP/1.1"));
    assert_eq!(s(e.upstream), Some("http://127.0.0.1:8080/product/1252"));
    assert_eq!(s(e.referrer), Some("https://shop.example.com/product/2046"));
    assert_eq!(e.errno, Some(111));
    assert_eq!(classify(e.body), Cause::UpstreamRefused);
    // 2024-03-01T10:29:01 as printed (local, no zone).
    assert_eq!(e.local, 1_709_288_941_000_000);
    // A process line: no connection, no client.
    let e = one(
        ErrorLogKind::Nginx,
        "2024/03/01 10:10:00 [notice] 1369#1369: signal 15 (SIGTERM) received from 1, exiting",
    );
    assert_eq!(
        (e.connection, e.client, e.level),
        (None, None, &b"notice"[..])
    );
    assert_eq!(classify(e.body), Cause::Restart);
    // A quote inside the request line, and a TLS line whose server is an address.
    let e = one(
        ErrorLogKind::Nginx,
        r#"2024/03/01 10:00:00 [error] 7#7: *3 open() "/var/www/a"b" failed (2: No such file or directory), client: ::1, server: _, request: "GET /a"b HTTP/1.1", host: "localhost""#,
    );
    assert_eq!(s(e.request), Some(r#"GET /a"b HTTP/1.1"#));
    assert_eq!((s(e.client), s(e.host)), (Some("::1"), Some("localhost")));
    let e = one(
        ErrorLogKind::Nginx,
        "2024/03/01 10:27:29 [crit] 11926#11926: *13186 SSL_do_handshake() failed (SSL: error:0A00006C:SSL routines::bad key share) while SSL handshaking, client: 185.116.4.198, server: 0.0.0.0:443",
    );
    assert_eq!(
        (s(e.server), classify(e.body)),
        (Some("0.0.0.0:443"), Cause::Tls)
    );
}

#[test]
fn apache_24_and_22_lines() {
    let k = ErrorLogKind::Apache;
    let e = one(
        k,
        "[Fri Mar 01 10:29:01.050688 2024] [proxy_http:error] [pid 29424:tid 140293937084096] [client 176.212.117.160:35877] AH01114: HTTP: failed to make connection to backend: 127.0.0.1, referer: https://shop.example.com/product/4734",
    );
    assert_eq!(
        (e.module, e.level, e.pid, e.tid),
        (
            Some(&b"proxy_http"[..]),
            &b"error"[..],
            Some(29424),
            Some(140293937084096)
        )
    );
    assert_eq!(
        (s(e.client), s(e.code)),
        (Some("176.212.117.160"), Some("AH01114"))
    );
    assert_eq!(s(e.referrer), Some("https://shop.example.com/product/4734"));
    assert_eq!(classify(e.body), Cause::UpstreamRefused);
    assert_eq!(e.local, 1_709_288_941_050_688);
    // errno before the client; an IPv6 client with its port.
    let e = one(
        k,
        "[Fri Mar 01 10:49:02.942304 2024] [proxy_http:error] [pid 29509:tid 140293953869504] (70007)The timeout specified has expired: [client 2003:e6:9249:5ae4:b679:204e:67a2:c986:38198] AH01102: error reading status line from remote server 127.0.0.1:8080, referer: https://outlook.live.com/",
    );
    assert_eq!(e.errno, Some(70007));
    assert_eq!(s(e.client), Some("2003:e6:9249:5ae4:b679:204e:67a2:c986"));
    assert_eq!(classify(e.body), Cause::UpstreamTimeout);
    // Paths the messages name.
    let e = one(
        k,
        "[Fri Mar 01 10:17:28.578389 2024] [proxy:error] [pid 29424:tid 1] [client 103.10.174.203:60946] AH00898: Error reading from remote server returned by /checkout/payment, referer: https://shop.example.com/checkout/payment",
    );
    assert_eq!(s(e.path), Some("/checkout/payment"));
    let e = one(
        k,
        "[Fri Mar 01 10:00:38.417429 2024] [authz_core:error] [pid 1370:tid 1] [client 45.92.18.197:48798] AH01630: client denied by server configuration: proxy:http://127.0.0.1:8080/admin/",
    );
    assert_eq!(
        (s(e.path), classify(e.body)),
        (Some("/admin/"), Cause::Forbidden)
    );
    // 2.2: no pid, no port.
    let e = one(
        k,
        "[Wed Oct 11 14:32:52 2000] [error] [client 127.0.0.1] client denied by server configuration: /export/home/live/ap/htdocs/test",
    );
    assert_eq!(
        (s(e.client), e.module, e.pid),
        (Some("127.0.0.1"), None, None)
    );
    assert_eq!(s(e.path), Some("/export/home/live/ap/htdocs/test"));
    // A level nobody lists and a module-less level (`[:error]`, mod_php).
    let e = one(
        k,
        "[Tue Mar 05 01:02:03.000001 2024] [:trace8] [pid 1] something",
    );
    assert_eq!((e.module, e.level), (None, &b"trace8"[..]));
}

#[test]
fn detection_and_event_boundaries() {
    let nginx = b"2024/03/01 10:00:00 [error] 1#1: *1 a, client: 1.2.3.4, server: s\n\
        2024/03/01 10:00:01 [error] 1#1: *2 FastCGI sent in stderr: \"PHP message: boom\n\
        #0 /var/www/index.php(3): f()\n\
        #1 {main}\" while reading response header from upstream, client: 1.2.3.4, server: s\n";
    let lines: Vec<&[u8]> = nginx
        .split(|&c| c == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(detect(&lines), Some((ErrorLogKind::Nginx, 2)));
    // A chunk may end only before an event's first line.
    let cut = last_event_start(ErrorLogKind::Nginx, nginx);
    assert!(nginx[cut..].starts_with(b"2024/03/01 10:00:01"));
    assert_eq!(
        last_event_start(ErrorLogKind::Nginx, &nginx[..cut]),
        cut - (cut - nginx.iter().position(|&c| c == b'\n').unwrap() - 1)
    );
    let access = b"192.0.2.1 - - [01/Mar/2024:00:00:01 +0000] \"GET / HTTP/1.1\" 200 1\n";
    let lines: Vec<&[u8]> = vec![&access[..access.len() - 1]];
    assert_eq!(detect(&lines), None);
}

#[test]
fn errno_is_the_first_number_in_parentheses() {
    assert_eq!(
        errno_in(b"connect() failed (111: Connection refused)"),
        Some(111)
    );
    assert_eq!(errno_in(b"(70007)The timeout"), Some(70007));
    assert_eq!(errno_in(b"open() (x) failed (2: No such file)"), Some(2));
    assert_eq!(errno_in(b"nothing (here)"), None);
}

/// Found by the fuzzer: a line that starts like an Apache event but closes its time early.
#[test]
fn a_time_closed_too_early_is_no_event() {
    for line in [
        // (the fuzzer's: `]` right after the seconds' first digit)
        "[Tue Dec 01 11:51:4] \"GET / HTTP/1.1\" 200 2890 \"-\" \"Mozilla/4.0\"",
        "[Fri Mar 01 10:29:01] [error] [client 1.2.3.4] message",
        "[Fri Mar 01 10:29:01.5] [error] [client 1.2.3.4] message!",
    ] {
        assert!(super::apache::parse(line.as_bytes()).is_none(), "{line}");
    }
}
