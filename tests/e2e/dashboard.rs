//! `clickpath serve` over HTTP: figures equal the report, filters, drill-down, live updates,
//! the login and its protections, TLS, and the OpenAPI description.

use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::http::{Server, event_stream, get, http};
use crate::{clickpath, run};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn sample() -> PathBuf {
    root().join("testdata/sample/access.log.gz")
}

/// The sample log, decompressed.
pub fn sample_text() -> String {
    let mut text = String::new();
    flate2::read::MultiGzDecoder::new(std::fs::File::open(sample()).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    text
}

/// The sample's human sessions and those landing from the newsletter (`utm_medium=email`,
/// `utm_campaign=weekly_digest`), counted by `tests/e2e/scripts/sessions_by_landing.py`, an
/// independent implementation of loggen's definitions; its total is checked against loggen's
/// truth here.
pub fn sample_sessions() -> (u64, u64) {
    let out = std::process::Command::new("python3")
        .arg(root().join("tests/e2e/scripts/sessions_by_landing.py"))
        .arg(sample())
        .output()
        .expect("python3 runs the session counter");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let truth: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("testdata/sample/truth.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        v["sessions"], truth["human_sessions"],
        "the counter agrees with loggen"
    );
    (
        v["sessions"].as_u64().unwrap(),
        v["by_medium_campaign"]["email/weekly_digest"]
            .as_u64()
            .unwrap(),
    )
}

/// loggen's truth of the sample.
pub fn sample_truth() -> Value {
    serde_json::from_str(
        &std::fs::read_to_string(root().join("testdata/sample/truth.json")).unwrap(),
    )
    .unwrap()
}

pub fn config() -> PathBuf {
    root().join("examples/clickpath.toml")
}

pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The report's JSON without `input` (a dataset has no rejected lines to tell about) and the
/// dashboard's `snapshot` (which commit of the dataset answered).
fn figures(mut v: Value) -> Value {
    v.as_object_mut().unwrap().remove("input");
    v.as_object_mut().unwrap().remove("snapshot");
    v
}

/// The count of `value` in a `[{value, count}]` table of the report (0 when absent).
pub fn count_of(rows: &Value, value: &str) -> u64 {
    rows.as_array()
        .unwrap()
        .iter()
        .find(|r| r["value"] == value)
        .map_or(0, |r| r["count"].as_u64().unwrap())
}

#[test]
fn the_dashboard_figures_are_the_reports_and_filters_select_whole_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = run(clickpath(dir.path()).args([
        "report",
        "-q",
        "--json",
        "-c",
        s(&config()),
        s(&sample()),
    ]));
    assert_eq!(code, 0, "{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    let server = Server::start(dir.path(), &["-c", s(&config()), s(&sample())]);
    let a = &server.addr;
    let api = get(a, "/api/report").json();
    assert_eq!(figures(api.clone()), figures(report.clone()));
    let (sessions, newsletter) = sample_sessions();
    assert_eq!(api["traffic"]["sessions"], sessions);

    // Each channel and device: exactly the sessions the report attributes to it.
    let channels = report["acquisition"]["channels"].as_array().unwrap();
    assert!(channels.len() >= 4);
    for c in channels {
        let name = c["value"].as_str().unwrap();
        let r = get(a, &format!("/api/report?channel={name}")).json();
        assert_eq!(r["traffic"]["sessions"], c["count"], "channel {name}");
        assert_eq!(r["acquisition"]["channels"].as_array().unwrap().len(), 1);
        assert_eq!(
            count_of(&r["acquisition"]["channels"], name),
            c["count"].as_u64().unwrap()
        );
    }
    for d in report["technology"]["devices"].as_array().unwrap() {
        let name = d["value"].as_str().unwrap();
        let r = get(a, &format!("/api/report?device={name}")).json();
        assert_eq!(r["traffic"]["sessions"], d["count"], "device {name}");
    }
    // The newsletter is the sample's only email campaign: the report's email row is its count.
    assert_eq!(
        count_of(&report["acquisition"]["channels"], "email"),
        newsletter
    );
    let email = get(a, "/api/report?channel=email&campaign=weekly_digest").json();
    assert_eq!(email["traffic"]["sessions"], newsletter);

    let humans = get(a, "/api/report?audience=humans").json();
    assert_eq!(humans["traffic"]["sessions"], report["traffic"]["sessions"]);
    assert_eq!(
        humans["traffic"]["pageviews"],
        report["traffic"]["pageviews"]
    );
    assert_eq!(humans["bots"]["requests"], 0);
    let bots = get(a, "/api/report?audience=bots").json();
    assert_eq!(bots["traffic"]["sessions"], 0);
    assert_eq!(bots["bots"]["requests"], report["bots"]["requests"]);
    assert_eq!(
        bots["traffic"]["requests"],
        report["traffic"]["bot_requests"]
    );

    let day = get(a, "/api/report?from=2024-03-01&to=2024-03-01").json();
    assert_eq!(day["traffic"], report["traffic"]);
    let none = get(a, "/api/report?from=2024-03-02").json();
    assert_eq!(none["traffic"]["requests"], 0);

    for (query, says) in [
        ("audience=robots", "use humans or bots"),
        ("from=yesterday", "is not a date"),
        ("chanel=email", "unknown parameter `chanel`"),
        ("country=DE", "no countries"),
    ] {
        let r = get(a, &format!("/api/report?{query}"));
        assert_eq!(r.status, 400, "{query}");
        assert!(
            r.json()["error"].as_str().unwrap().contains(says),
            "{query}: {}",
            r.body
        );
    }
}

#[test]
fn drill_down_returns_the_raw_log_lines_behind_a_figure() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("access.log");
    let text = sample_text();
    std::fs::write(&log, &text).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let server = Server::start(dir.path(), &["access.log"]);
    let a = &server.addr;
    let report = get(a, "/api/report").json();
    let errors = count_of(&report["statuses"]["all"], "500");
    assert!(errors > 0);
    let r = get(a, "/api/requests?status=500&limit=1000").json();
    assert_eq!(r["total"].as_u64().unwrap(), errors);
    let rows = r["requests"].as_array().unwrap();
    assert_eq!(rows.len() as u64, errors);
    for row in rows {
        let n = row["line"].as_u64().unwrap() as usize;
        assert_eq!(row["file"], "access.log");
        assert_eq!(row["raw"].as_str().unwrap(), lines[n - 1], "line {n}");
        assert_eq!(row["status"], 500);
    }
    // Within a filter, and capped by `limit`.
    let cart = get(a, "/api/requests?path=/cart&audience=humans&limit=3").json();
    assert_eq!(cart["requests"].as_array().unwrap().len(), 3);
    assert!(cart["total"].as_u64().unwrap() >= count_of(&report["pages"]["top"], "/cart"));
    for row in cart["requests"].as_array().unwrap() {
        assert!(row["raw"].as_str().unwrap().contains(" /cart"));
        assert_eq!(row["bot"], Value::Null);
    }
    let bad = get(a, "/api/requests?status=abc");
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("not a status code"));
}

const HEADERS: [(&str, &str); 5] = [
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "no-referrer"),
    ("cross-origin-opener-policy", "same-origin"),
    ("cache-control", "no-store"),
];

fn assert_security_headers(r: &crate::http::Response, what: &str) {
    let csp = r
        .header("content-security-policy")
        .unwrap_or_else(|| panic!("{what}: no CSP"));
    assert!(
        csp.contains("default-src 'none'") && csp.contains("script-src 'self'"),
        "{what}: {csp}"
    );
    assert!(!csp.contains("unsafe"), "{what}: {csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
    for (k, v) in HEADERS {
        assert_eq!(r.header(k), Some(v), "{what}: {k}");
    }
}

#[test]
fn every_response_carries_the_security_headers_and_other_hosts_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[s(&sample())]);
    let a = &server.addr;
    let page = get(a, "/");
    assert_eq!(page.status, 200);
    assert!(page.body.contains(r#"<script src="/assets/app.js">"#));
    assert!(!page.body.contains("<script>"), "no inline script");
    for (path, status) in [
        ("/", 200),
        ("/assets/app.js", 200),
        ("/api/report", 200),
        ("/nope", 404),
    ] {
        let r = get(a, path);
        assert_eq!(r.status, status, "{path}");
        assert_security_headers(&r, path);
    }
    assert_eq!(
        get(a, "/assets/app.js").header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert!(
        get(a, "/").header("strict-transport-security").is_none(),
        "HSTS only under TLS"
    );
    // No login on loopback: only loopback host names (DNS rebinding).
    let port = server.port();
    for host in ["localhost", "[::1]", "127.0.0.1"] {
        let r = http(
            a,
            "GET",
            "/api/report",
            &[("Host", &format!("{host}:{port}"))],
            None,
        );
        assert_eq!(r.status, 200, "{host}");
    }
    let r = http(
        a,
        "GET",
        "/api/report",
        &[("Host", "attacker.example:80")],
        None,
    );
    assert_eq!(r.status, 421);
    assert!(r.body.contains("localhost and 127.0.0.1 only"));
    assert_security_headers(&r, "421");
}

/// `clickpath user add NAME` into `dir/users.json`, the password on standard input.
pub fn add_user(dir: &Path, name: &str, password: &str) {
    let mut child = clickpath(dir)
        .args(["user", "add", name, "--users", "users.json"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

pub fn add_token(dir: &Path, name: &str) -> String {
    let (code, out, err) =
        run(clickpath(dir).args(["user", "token", name, "--users", "users.json"]));
    assert_eq!(code, 0, "{err}");
    out.trim().to_owned()
}

/// The hidden CSRF field of a login form, and its cookie.
pub fn login_form(a: &str) -> (String, String) {
    let r = get(a, "/login");
    assert_eq!(r.status, 200);
    let cookie = r.cookie("cp_login").expect("a login form cookie");
    let set = r.all("set-cookie").join(" | ");
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    let field = r.body.split(r#"name="csrf" value=""#).nth(1).unwrap();
    (field.split('"').next().unwrap().to_owned(), cookie)
}

pub fn post_login(
    a: &str,
    cookie: &str,
    csrf: &str,
    user: &str,
    password: &str,
) -> crate::http::Response {
    let body = format!(
        "csrf={csrf}&user={user}&password={}",
        password.replace(' ', "+")
    );
    http(
        a,
        "POST",
        "/login",
        &[
            ("Cookie", cookie),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        Some(&body),
    )
}

#[test]
fn login_sessions_csrf_rate_limit_and_read_only_tokens() {
    let dir = tempfile::tempdir().unwrap();
    add_user(dir.path(), "ana", "correct horse battery");
    let token = add_token(dir.path(), "cron");
    assert!(token.starts_with("cp_") && token.len() > 40);
    let (code, out, _) = run(clickpath(dir.path()).args(["user", "list", "--users", "users.json"]));
    assert_eq!((code, out.as_str()), (0, "user\tana\ntoken\tcron\n"));
    let server = Server::start(dir.path(), &["--users", "users.json", s(&sample())]);
    let a = &server.addr;

    let r = get(a, "/");
    assert_eq!((r.status, r.header("location")), (303, Some("/login")));
    let r = get(a, "/api/report");
    assert_eq!(r.status, 401);
    assert!(r.json()["error"].as_str().unwrap().contains("log in"));
    assert_security_headers(&r, "401");

    // The form's token must come with its cookie (no login CSRF).
    let (csrf, cookie) = login_form(a);
    let r = post_login(a, "cp_login=forged", &csrf, "ana", "correct horse battery");
    assert_eq!(r.status, 403);
    let r = post_login(a, &cookie, &csrf, "ana", "wrong password!!");
    assert_eq!(r.status, 401);
    assert!(r.body.contains("Wrong user name or password"));

    let r = post_login(a, &cookie, &csrf, "ana", "correct horse battery");
    assert_eq!((r.status, r.header("location")), (303, Some("/")));
    let set = r
        .all("set-cookie")
        .into_iter()
        .find(|c| c.starts_with("cp_session="))
        .unwrap()
        .to_owned();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    assert!(!set.contains("Secure"), "plain HTTP: {set}");
    let session = r.cookie("cp_session").unwrap();
    let page = http(a, "GET", "/", &[("Cookie", &session)], None);
    assert_eq!(page.status, 200);
    assert!(page.body.contains("ana") && page.body.contains(r#"action="/logout""#));
    let logout_csrf = page
        .body
        .split(r#"name="csrf" value=""#)
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(
        http(a, "GET", "/api/report", &[("Cookie", &session)], None).status,
        200
    );

    // A token reads the API, and only that.
    let bearer = format!("Bearer {token}");
    let r = http(a, "GET", "/api/report", &[("Authorization", &bearer)], None);
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["traffic"]["sessions"], sample_sessions().0);
    let r = http(
        a,
        "GET",
        "/api/report",
        &[("Authorization", "Bearer cp_guessed")],
        None,
    );
    assert_eq!(r.status, 401);
    assert_eq!(
        http(a, "GET", "/", &[("Authorization", &bearer)], None).status,
        303
    );

    // Logout needs the session's CSRF token.
    let form = [
        ("Cookie", session.as_str()),
        ("Content-Type", "application/x-www-form-urlencoded"),
    ];
    let r = http(a, "POST", "/logout", &form, Some("csrf=wrong"));
    assert_eq!(r.status, 403);
    let r = http(a, "POST", "/logout", &form, Some(""));
    assert_eq!(r.status, 403);
    assert_eq!(
        http(a, "GET", "/api/report", &[("Cookie", &session)], None).status,
        200
    );
    let r = http(
        a,
        "POST",
        "/logout",
        &form,
        Some(&format!("csrf={logout_csrf}")),
    );
    assert_eq!((r.status, r.header("location")), (303, Some("/login")));
    assert_eq!(
        http(a, "GET", "/api/report", &[("Cookie", &session)], None).status,
        401
    );

    // Five failures from an address, then even the right password waits.
    for _ in 0..4 {
        assert_eq!(
            post_login(a, &cookie, &csrf, "ana", "guess guess guess").status,
            401
        );
    }
    let r = post_login(a, &cookie, &csrf, "ana", "correct horse battery");
    assert_eq!(r.status, 429);
    let wait: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=61).contains(&wait));
    assert!(r.body.contains("Too many failed logins"));
}

#[test]
fn a_public_address_needs_a_login() {
    let dir = tempfile::tempdir().unwrap();
    let Err((code, err)) = Server::try_start(dir.path(), &["--bind", "0.0.0.0:0", s(&sample())])
    else {
        panic!("served on 0.0.0.0 without users");
    };
    assert_eq!(code, 2);
    assert!(
        err.contains("refusing to serve on 0.0.0.0:0 without a login"),
        "{err}"
    );
    assert!(err.contains("clickpath user add NAME --users"), "{err}");

    add_user(dir.path(), "ana", "correct horse battery");
    let server = Server::start(
        dir.path(),
        &["--bind", "0.0.0.0:0", "--users", "users.json", s(&sample())],
    );
    let a = format!("127.0.0.1:{}", server.port());
    assert_eq!(get(&a, "/").status, 303);
    assert_eq!(get(&a, "/api/report").status, 401);
    // With a login, any host name is fine (the cookie is what counts).
    let r = http(
        &a,
        "GET",
        "/login",
        &[("Host", "analytics.example.com")],
        None,
    );
    assert_eq!(r.status, 200);
}

#[test]
fn follow_pushes_new_lines_to_open_dashboards() {
    let dir = tempfile::tempdir().unwrap();
    let text = sample_text();
    let lines: Vec<&str> = text.lines().collect();
    let log = dir.path().join("access.log");
    std::fs::write(&log, lines[..5000].join("\n") + "\n").unwrap();
    let server = Server::start(dir.path(), &["--follow", "--poll", "1s", "access.log"]);
    let a = &server.addr;
    let first = get(a, "/api/report").json();
    assert_eq!(first["traffic"]["requests"], 5000);

    let mut events = event_stream(a, "/api/events", &[]);
    let mut status = String::new();
    events.read_line(&mut status).unwrap();
    assert!(status.starts_with("HTTP/1.1 200"), "{status}");
    let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    f.write_all((lines[5000..].join("\n") + "\n").as_bytes())
        .unwrap();
    drop(f);
    let start = Instant::now();
    let mut line = String::new();
    loop {
        line.clear();
        events
            .read_line(&mut line)
            .expect("an update within the read timeout");
        if line.trim() == "event: update" {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "no update event");
    }
    let after = get(a, "/api/report").json();
    // The sample has 2 lines that do not parse.
    assert_eq!(
        after["traffic"]["requests"].as_u64().unwrap(),
        lines.len() as u64 - 2
    );
    let (_, out, _) = run(clickpath(dir.path()).args(["report", "-q", "--json", "access.log"]));
    let direct: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(after["traffic"], direct["traffic"]);
}

#[test]
fn tls_serves_https_with_secure_cookies() {
    let dir = tempfile::tempdir().unwrap();
    let ok = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
        ])
        .args(["-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"])
        .args(["-keyout", "key.pem", "-out", "cert.pem"])
        .current_dir(dir.path())
        .stderr(Stdio::null())
        .status()
        .expect("openssl makes a test certificate");
    assert!(ok.success());
    add_user(dir.path(), "ana", "correct horse battery");
    let server = Server::start(
        dir.path(),
        &[
            "--users",
            "users.json",
            "--tls-cert",
            "cert.pem",
            "--tls-key",
            "key.pem",
            s(&sample()),
        ],
    );
    let curl = |path: &str| {
        let out = Command::new("curl")
            .args(["-sS", "-i", "--max-time", "60", "--cacert", "cert.pem"])
            .arg(format!("https://{}{path}", server.addr))
            .current_dir(dir.path())
            .output()
            .expect("curl");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let login = curl("/login").to_ascii_lowercase();
    assert!(login.starts_with("http/1.1 200"), "{login}");
    assert!(login.contains("strict-transport-security: max-age=31536000"));
    let cookie = login
        .lines()
        .find(|l| l.starts_with("set-cookie: cp_login="))
        .unwrap();
    assert!(
        cookie.contains("; secure") && cookie.contains("httponly"),
        "{cookie}"
    );
    assert!(curl("/api/report").starts_with("HTTP/1.1 401"));
    // Plain HTTP on the TLS port gets no page.
    let mut plain = std::net::TcpStream::connect(&server.addr).unwrap();
    plain
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    plain
        .write_all(b"GET /api/report HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut buf = Vec::new();
    let _ = plain.read_to_end(&mut buf);
    assert!(!String::from_utf8_lossy(&buf).contains("traffic"));
}
