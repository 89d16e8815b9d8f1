//! Logs shipped to `clickpath receive` by real shippers: Debian's nginx logging straight to it
//! over syslog (UDP), rsyslog relaying a file it tails (TCP, RFC 5424, octet-counted), and HTTP
//! posts in Vector's and Fluent Bit's documented formats with the receiver killed mid-stream.
//! What the dataset holds is checked against what the servers wrote to their own files and
//! against the report over the very lines that were sent.

use std::io::{Read, Write};
use std::net::{TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::real_servers::{
    Daemon, binary, free_port, get, nginx_daemon, site, wait_for_port, write_nginx_conf,
};
use super::{clickpath, loggen, run};

/// `clickpath receive` with these arguments, restartable; its stderr kept per run.
struct Receiver {
    dir: PathBuf,
    args: Vec<String>,
    child: Option<Child>,
    runs: usize,
}

impl Receiver {
    /// `receive --data data --ingest-every 1s` and `listeners` (and any other flags).
    fn start(dir: &Path, listeners: &[&str]) -> Receiver {
        let args: Vec<String> = ["--data", "data", "--ingest-every", "1s"]
            .iter()
            .chain(listeners)
            .map(|s| s.to_string())
            .collect();
        let mut r = Receiver {
            dir: dir.to_path_buf(),
            args,
            child: None,
            runs: 0,
        };
        r.restart();
        r
    }

    fn restart(&mut self) {
        self.runs += 1;
        let err =
            std::fs::File::create(self.dir.join(format!("receive-{}.err", self.runs))).unwrap();
        let child = clickpath(&self.dir)
            .arg("receive")
            .args(&self.args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(err)
            .spawn()
            .unwrap();
        self.child = Some(child);
        let listeners = self
            .args
            .iter()
            .filter(|a| a.starts_with("--syslog") || *a == "--http")
            .count();
        wait_until(Duration::from_secs(20), "the receiver listens", || {
            self.stderr_of(self.runs)
                .matches("clickpath: receiving ")
                .count()
                == listeners
        });
    }

    fn stderr_of(&self, run: usize) -> String {
        std::fs::read_to_string(self.dir.join(format!("receive-{run}.err"))).unwrap_or_default()
    }

    fn log(&self) -> String {
        (1..=self.runs)
            .map(|r| self.stderr_of(r))
            .collect::<Vec<_>>()
            .join("\n--- restart ---\n")
    }

    /// SIGKILL: nothing is flushed, nothing is said.
    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// SIGTERM: it commits and ingests what it has, then exits 0.
    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            super::real_servers::signal(c.id(), "TERM");
            let status = c.wait().unwrap();
            assert!(status.success(), "receive exited {status}: {}", self.log());
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.kill();
    }
}

fn wait_until(limit: Duration, what: &str, mut ok: impl FnMut() -> bool) {
    let until = Instant::now() + limit;
    while !ok() {
        assert!(Instant::now() < until, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// One SQL query's rows (JSON objects).
fn sql(dir: &Path, query: &str) -> Vec<Value> {
    let (code, out, err) =
        run(clickpath(dir).args(["sql", "--data", "data", "--output", "json", query]));
    assert_eq!(code, 0, "{err}");
    out.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn count(dir: &Path, query: &str) -> u64 {
    if !dir.join("data/manifest.json").exists() {
        return 0;
    }
    sql(dir, query)[0]["n"].as_u64().unwrap()
}

fn rows(dir: &Path) -> u64 {
    count(dir, "SELECT count(*) AS n FROM requests")
}

fn report(dir: &Path, args: &[&str]) -> Value {
    let (code, out, err) = run(clickpath(dir).args(["report", "--json", "-q"]).args(args));
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap()
}

fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap()
        .trim()
        .to_string()
}

/// The figures of two reports that must agree when they read the same requests.
fn figures(r: &Value) -> Value {
    serde_json::json!({
        "requests": r["traffic"]["requests"],
        "visitors": r["traffic"]["visitors"],
        "sessions": r["traffic"]["sessions"],
        "page_views": r["traffic"]["pageviews"],
        "statuses": r["statuses"]["all"],
        "causes": r["errors"]["causes"],
    })
}

#[test]
fn nginx_logs_straight_to_the_receiver_over_syslog_and_udp_loses_what_is_sent_while_it_is_down() {
    let bin = binary("/usr/sbin/nginx", "nginx");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    site(&dir);
    let (port, udp) = (free_port(), free_udp_port());
    let d = dir.display();
    // nginx writes its own files too: what it logged, whatever reached the receiver.
    write_nginx_conf(
        &dir,
        1,
        &format!("error_log syslog:server=127.0.0.1:{udp},tag=nginx notice;"),
        &format!(
            r#"  access_log syslog:server=127.0.0.1:{udp},tag=nginx combined;
  server {{
    listen 127.0.0.1:{port};
    server_name shop.test;
    root {d}/www;
    location /admin/ {{ deny all; }}
  }}"#
        ),
    );
    let mut receiver = Receiver::start(&dir, &["--syslog-udp", &format!("127.0.0.1:{udp}")]);
    let mut nginx: Daemon = nginx_daemon(&bin, &dir);
    nginx.start();
    wait_for_port(port);
    for _ in 0..20 {
        assert_eq!(get(port, "/static/app.css"), 200);
    }
    for n in 0..5 {
        assert_eq!(get(port, &format!("/static/missing-{n}.png")), 404);
    }
    for _ in 0..3 {
        assert_eq!(get(port, "/admin/"), 403);
    }
    wait_until(
        Duration::from_secs(30),
        "28 requests are in the dataset",
        || rows(&dir) == 28,
    );
    // Every line, with the host nginx named in its syslog header.
    let by_server = sql(
        &dir,
        "SELECT server, count(*) AS n FROM requests GROUP BY server",
    );
    assert_eq!(
        by_server,
        vec![serde_json::json!({"server": hostname(), "n": 28})],
        "{}",
        receiver.log()
    );

    // Down: UDP has no acknowledgement, so what nginx sends now is lost (docs/shipping.md).
    receiver.kill();
    for n in 0..4 {
        assert_eq!(get(port, &format!("/static/lost-{n}.png")), 404);
    }
    receiver.restart();
    for n in 0..6 {
        assert_eq!(get(port, &format!("/static/after-{n}.png")), 404);
    }
    wait_until(
        Duration::from_secs(30),
        "34 requests are in the dataset",
        || rows(&dir) == 34,
    );
    nginx.stop();
    receiver.stop();
    assert_eq!(
        rows(&dir),
        34,
        "nothing doubled after the restart: {}",
        receiver.log()
    );
    assert_eq!(
        count(
            &dir,
            "SELECT count(*) AS n FROM requests WHERE path LIKE '/static/lost-%'"
        ),
        0
    );
    assert_eq!(
        count(
            &dir,
            "SELECT count(*) AS n FROM requests WHERE path LIKE '/static/after-%'"
        ),
        6
    );

    // The dataset says what nginx's own files say of the same requests: the access log without
    // the 4 lines sent while the receiver was down, and its error log joined (the error lines
    // came over syslog too).
    let lines = std::fs::read_to_string(dir.join("access.log")).unwrap();
    let kept: String = lines
        .lines()
        .filter(|l| !l.contains("/static/lost-"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(kept.lines().count(), 34);
    std::fs::write(dir.join("kept.log"), kept).unwrap();
    let errors = std::fs::read_to_string(dir.join("error.log")).unwrap();
    let kept_errors: String = errors
        .lines()
        .filter(|l| !l.contains("/static/lost-"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(dir.join("kept-error.log"), kept_errors).unwrap();
    let from_files = report(&dir, &["kept.log", "kept-error.log"]);
    let from_dataset = report(&dir, &["--data", "data"]);
    assert_eq!(figures(&from_dataset), figures(&from_files));
    let causes = from_dataset["errors"]["causes"].as_array().unwrap();
    let requests_of = |cause: &str| {
        causes
            .iter()
            .find(|c| c["cause"] == cause)
            .map(|c| c["requests"].as_u64().unwrap())
    };
    assert_eq!(requests_of("file_not_found"), Some(11), "{causes:?}");
    assert_eq!(requests_of("forbidden"), Some(3), "{causes:?}");
}

#[test]
fn rsyslog_relays_a_file_it_tails_over_tcp() {
    let rsyslogd = binary("/usr/sbin/rsyslogd", "rsyslog");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let truth = loggen(&dir, &["--seed", "4", "--lines", "6000"]);
    let tcp = free_port();
    let mut receiver = Receiver::start(&dir, &["--syslog-tcp", &format!("127.0.0.1:{tcp}")]);
    std::fs::create_dir_all(dir.join("rsyslog")).unwrap();
    let d = dir.display();
    std::fs::write(
        dir.join("rsyslog.conf"),
        format!(
            r#"global(workDirectory="{d}/rsyslog" maxMessageSize="64k")
module(load="imfile")
input(type="imfile" file="{d}/access.log" tag="access" freshStartTail="off")
action(type="omfwd" target="127.0.0.1" port="{tcp}" protocol="tcp"
       TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format"
       action.resumeRetryCount="-1" queue.type="linkedList")
"#
        ),
    )
    .unwrap();
    let mut rsyslog = Command::new(rsyslogd)
        .args(["-n", "-f"])
        .arg(dir.join("rsyslog.conf"))
        .arg("-i")
        .arg(dir.join("rsyslog/rsyslogd.pid"))
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("rsyslog.err")).unwrap())
        .spawn()
        .unwrap();
    let valid = truth["valid_requests"].as_u64().unwrap();
    let waited = Instant::now() + Duration::from_secs(60);
    while rows(&dir) < valid && Instant::now() < waited {
        std::thread::sleep(Duration::from_millis(200));
    }
    let _ = rsyslog.kill();
    let _ = rsyslog.wait();
    receiver.stop();
    let rs_err = std::fs::read_to_string(dir.join("rsyslog.err")).unwrap_or_default();
    assert_eq!(
        rows(&dir),
        valid,
        "rsyslog: {rs_err}\nreceiver: {}",
        receiver.log()
    );
    assert_eq!(
        sql(
            &dir,
            "SELECT server, count(*) AS n FROM requests GROUP BY server"
        ),
        vec![serde_json::json!({"server": hostname(), "n": valid})]
    );
    // The same figures as the report over the file rsyslog read, and loggen's truth.
    let from_dataset = report(&dir, &["--data", "data"]);
    assert_eq!(
        figures(&from_dataset),
        figures(&report(&dir, &["access.log"]))
    );
    assert_eq!(from_dataset["traffic"]["sessions"], truth["human_sessions"]);
}

/// A minimal HTTP/1.1 POST on loopback: (status, body).
fn post(port: u16, target: &str, headers: &[(&str, &str)], body: &[u8]) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut head = format!(
        "POST {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

#[test]
fn http_shippers_lose_and_double_nothing_when_the_receiver_is_killed_mid_stream() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let truth = loggen(&dir, &["--seed", "5", "--lines", "40000"]);
    let http = free_port();
    let mut receiver = Receiver::start(&dir, &["--http", &format!("127.0.0.1:{http}")]);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools/ship_http.py");
    let mut shipper = Command::new("python3")
        .arg(script)
        .args([
            "--url",
            &format!("http://127.0.0.1:{http}/ingest"),
            "--log",
            "access.log",
            "--out-dir",
            ".",
        ])
        .current_dir(&dir)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("shipper.err")).unwrap())
        .spawn()
        .unwrap();
    // Killed three times while the batches come, at different points of their commits.
    let progress = |dir: &Path| -> u64 {
        std::fs::read_to_string(dir.join("progress.json"))
            .ok()
            .and_then(|t| serde_json::from_str::<Value>(&t).ok())
            .and_then(|v| v["lines"].as_u64())
            .unwrap_or(0)
    };
    for (k, at) in [6_000u64, 17_000, 29_000].into_iter().enumerate() {
        wait_until(Duration::from_secs(120), "the shipper gets on", || {
            progress(&dir) >= at || shipper.try_wait().unwrap().is_some()
        });
        std::thread::sleep(Duration::from_millis(37 * k as u64));
        receiver.kill();
        std::thread::sleep(Duration::from_millis(300));
        receiver.restart();
    }
    let status = shipper.wait().unwrap();
    let shipper_err = std::fs::read_to_string(dir.join("shipper.err")).unwrap_or_default();
    assert!(status.success(), "{shipper_err}");
    receiver.stop();
    let done: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("done.json")).unwrap()).unwrap();
    assert_eq!(done["lines"], truth["total_lines"]);
    // The kills came mid-stream: batches had to be sent again.
    assert!(done["retries"].as_u64().unwrap() >= 3, "{done}");

    // Every request once: per server, what the report reads in the lines that server sent.
    let valid = truth["valid_requests"].as_u64().unwrap();
    assert_eq!(
        rows(&dir),
        valid,
        "retries {}, duplicates {}: {}",
        done["retries"],
        done["duplicates"],
        receiver.log()
    );
    for s in ["web-1", "web-2", "web-3"] {
        let sent = report(&dir, &[&format!("sent-{s}.log")]);
        let q = format!("SELECT count(*) AS n FROM requests WHERE server = '{s}'");
        assert_eq!(
            Some(count(&dir, &q)),
            sent["input"]["requests"].as_u64(),
            "{s}"
        );
    }
    // A visitor moving between servers is one visitor with one session: the figures of the
    // whole log, and loggen's truth.
    let from_dataset = report(&dir, &["--data", "data"]);
    assert_eq!(
        figures(&from_dataset),
        figures(&report(&dir, &["access.log"]))
    );
    assert_eq!(from_dataset["traffic"]["sessions"], truth["human_sessions"]);
    assert_eq!(
        from_dataset["traffic"]["visitors"],
        truth["human_visitors_ip_ua"]
    );
}

#[test]
fn bad_input_gets_a_clear_answer_and_the_good_lines_go_in() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let (http, tcp) = (free_port(), free_port());
    std::fs::write(dir.join("token"), "0123456789abcdef0123\n").unwrap();
    let (http_at, tcp_at) = (format!("127.0.0.1:{http}"), format!("127.0.0.1:{tcp}"));
    let mut receiver = Receiver::start(
        &dir,
        &[
            "--http",
            &http_at,
            "--syslog-tcp",
            &tcp_at,
            "--token-file",
            "token",
        ],
    );
    let line = r#"192.0.2.1 - - [01/Mar/2024:10:00:00 +0000] "GET /a HTTP/1.1" 200 5 "-" "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0""#;
    let auth = ("Authorization", "Bearer 0123456789abcdef0123");

    let (status, body) = post(http, "/ingest", &[], line.as_bytes());
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("Bearer"), "{body}");
    let (status, body) = post(http, "/ingest?server=a%20b", &[auth], line.as_bytes());
    assert_eq!(status, 400, "{body}");
    let (status, body) = post(
        http,
        "/ingest",
        &[auth, ("Content-Encoding", "br")],
        line.as_bytes(),
    );
    assert_eq!(status, 415, "{body}");
    let (status, body) = post(
        http,
        "/ingest",
        &[auth, ("Content-Encoding", "gzip")],
        b"not gzip",
    );
    assert_eq!(status, 400, "{body}");
    // One record that is not JSON: the others go in, it is kept as a line (the ingest rejects
    // it with its file and line) and the answer says which.
    let ndjson = format!(
        "{}\n{{oops\n{}\n",
        serde_json::json!({"message": line, "host": "web-1"}),
        serde_json::json!({"log": line})
    );
    let (status, body) = post(
        http,
        "/ingest?server=web-1",
        &[auth, ("Content-Type", "application/x-ndjson")],
        ndjson.as_bytes(),
    );
    assert_eq!(status, 200, "{body}");
    let answer: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answer["accepted"], 3);
    assert_eq!(answer["not_json"], 1);
    assert!(
        answer["problems"][0]
            .as_str()
            .unwrap()
            .starts_with("record 2: not JSON"),
        "{answer}"
    );
    // A batch sent again (its answer was lost: the receiver was killed between its commit and
    // its reply) is known by its content and taken once; so is one with the same
    // Idempotency-Key.
    let (status, body) = post(
        http,
        "/ingest?server=web-1",
        &[auth, ("Content-Type", "application/x-ndjson")],
        ndjson.as_bytes(),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["duplicate"],
        true
    );
    // Basic credentials with the token as password (Fluent Bit's http_User / http_Passwd).
    let basic = format!(
        "Basic {}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            "fluent:0123456789abcdef0123"
        )
    );
    for _ in 0..2 {
        let (status, body) = post(
            http,
            "/ingest?server=web-2",
            &[("Authorization", &basic), ("Idempotency-Key", "batch-77")],
            line.as_bytes(),
        );
        assert_eq!(status, 200, "{body}");
    }

    // Syslog over TCP: a raw line without <PRI>, a frame too long and a bad octet count are
    // counted and skipped; the good frames on the same connection go in.
    let mut s = TcpStream::connect(("127.0.0.1", tcp)).unwrap();
    let good = format!("<134>1 2024-03-01T10:00:01Z web-3 access - - - {line}");
    let mut stream = Vec::new();
    stream.extend_from_slice(b"GET / a raw line, no syslog header\n");
    stream.extend_from_slice(format!("{} {good}", good.len()).as_bytes());
    stream.extend_from_slice(format!("{} <134>", 2 << 20).as_bytes());
    stream.extend(std::iter::repeat_n(b'x', (2 << 20) - 5));
    stream.extend_from_slice(b"12x4 nonsense\n");
    stream.extend_from_slice(format!("{good}\n").as_bytes());
    s.write_all(&stream).unwrap();
    drop(s);

    // 2 good HTTP lines of web-1 (+1 kept bad one, rejected at ingest), 1 of web-2, 2 of web-3.
    wait_until(
        Duration::from_secs(30),
        "5 requests are in the dataset",
        || rows(&dir) == 5,
    );
    let health = {
        let mut s = TcpStream::connect(("127.0.0.1", http)).unwrap();
        s.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        serde_json::from_str::<Value>(out.split_once("\r\n\r\n").unwrap().1).unwrap()
    };
    assert_eq!(health["duplicate_batches"], 2);
    assert_eq!(
        health["rejected"],
        serde_json::json!({"no_priority": 1, "too_long": 1, "bad_frame": 1})
    );
    receiver.stop();
    assert_eq!(
        sql(
            &dir,
            "SELECT server, count(*) AS n FROM requests GROUP BY server ORDER BY server"
        ),
        vec![
            serde_json::json!({"server": "web-1", "n": 2}),
            serde_json::json!({"server": "web-2", "n": 1}),
            serde_json::json!({"server": "web-3", "n": 2}),
        ]
    );
    // The bad record is in the inbox and rejected with its place: check-format names it.
    let (_, out, _) = run(clickpath(&dir).args(["check-format", "data/inbox/access.1.log"]));
    assert!(out.contains("access.1.log:2:1: {oops"), "{out}");

    // Beyond loopback without a token: refused before listening.
    let (code, _, err) =
        run(clickpath(&dir).args(["receive", "--data", "data", "--http", "0.0.0.0:1"]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--token-file"), "{err}");
}
