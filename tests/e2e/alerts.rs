//! `clickpath watch`: alerts while the logs are written, told to real receivers.
//!
//! The week test writes a loggen week progressively (rotated at midnight as logrotate does)
//! with one incident of each kind on its own day, and checks against loggen's truth that each
//! incident is told as one story led by the rule docs/alerts.md names for its kind, resolved
//! after it ends; that the clean days raise nothing; that a receiver down during an incident
//! gets it all once back; and that a `kill -9` of the watcher during an incident loses nothing.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::receiver::Receiver;
use crate::{clickpath, loggen};

/// A temporary directory; `CLICKPATH_TEST_KEEP=1` keeps it (the watcher's stderr is in
/// `watch*.log`).
fn test_dir() -> (Option<tempfile::TempDir>, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().to_owned();
    if std::env::var_os("CLICKPATH_TEST_KEEP").is_some() {
        eprintln!("files kept in {}", tmp.keep().display());
        return (None, path);
    }
    (Some(tmp), path)
}

fn tool(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/tools")
        .join(name)
}

/// Writes loggen's lines with `from <= time < until` into `dir/out`, rotating at midnight.
fn write_logs(dir: &Path, from: Option<&str>, until: Option<&str>, speed: u32) {
    let mut c = Command::new("python3");
    c.arg(tool("replay_logs.py"))
        .args(["access.log", "error.log", "out", "--rotate", "--speed"])
        .arg(speed.to_string())
        .current_dir(dir);
    if let Some(f) = from {
        c.args(["--from", f]);
    }
    if let Some(u) = until {
        c.args(["--until", u]);
    }
    assert!(c.status().unwrap().success());
}

/// `clickpath watch out` with the test's config and `extra` arguments; its stderr in `log`.
fn watch(dir: &Path, extra: &[String], log: &str) -> Child {
    clickpath(dir)
        .args([
            "watch",
            "out",
            "--data",
            "data",
            "-c",
            "cfg.toml",
            "--poll-ms",
            "100",
        ])
        .args(extra)
        .env("CLICKPATH_SMTP_PASSWORD", "s3cret")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join(log)).unwrap())
        .spawn()
        .unwrap()
}

/// The last minute the watcher evaluated (UTC micros of its start), from its saved state.
fn evaluated_until(dir: &Path) -> Option<i64> {
    let text = std::fs::read_to_string(dir.join("data/alerts/state.json")).ok()?;
    let v: Value = serde_json::from_str(&text).ok()?;
    v["evaluated_until"].as_i64().map(|m| m * 60_000_000)
}

fn micros(rfc3339: &str) -> i64 {
    clickpath_model::parse_rfc3339(rfc3339).unwrap_or_else(|| panic!("time {rfc3339}"))
}

fn wait_until(what: &str, limit: Duration, ok: impl Fn() -> bool) {
    let until = Instant::now() + limit;
    while !ok() {
        assert!(Instant::now() < until, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// One story told to the receiver: from a firing notification to the one that resolves all.
#[derive(Debug)]
struct Episode {
    lead: String,
    starts_at: i64,
    resolved_at: Option<i64>,
    rules: Vec<String>,
    notifications: usize,
}

fn episodes(bodies: &[Value]) -> Vec<Episode> {
    let mut out: Vec<Episode> = Vec::new();
    let mut open = false;
    for b in bodies {
        let alerts = b["alerts"].as_array().unwrap();
        let firing: Vec<&Value> = alerts.iter().filter(|a| a["status"] == "firing").collect();
        if !open && !firing.is_empty() {
            out.push(Episode {
                lead: firing[0]["labels"]["alertname"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
                starts_at: firing
                    .iter()
                    .map(|a| micros(a["startsAt"].as_str().unwrap()))
                    .min()
                    .unwrap(),
                resolved_at: None,
                rules: Vec::new(),
                notifications: 0,
            });
            open = true;
        }
        let Some(e) = out.last_mut() else { continue };
        e.notifications += 1;
        for a in alerts {
            let name = a["labels"]["alertname"].as_str().unwrap().to_owned();
            if !e.rules.contains(&name) {
                e.rules.push(name.clone());
            }
            if a["status"] == "resolved" && name == e.lead {
                e.resolved_at = Some(micros(a["endsAt"].as_str().unwrap()));
            }
        }
        if firing.is_empty() {
            open = false;
        }
    }
    out
}

#[test]
fn a_week_of_incidents_each_told_once_through_a_receiver_outage_and_a_kill() {
    let (_tmp, path) = test_dir();
    let dir = path.as_path();
    // One incident a day after a clean first day (the traffic-drop rule learns the day before).
    let truth = loggen(
        dir,
        &[
            "--seed",
            "21",
            "--lines",
            "470000",
            "--visitors-per-hour",
            "90",
            "--start-date",
            "2026-03-02T00:00",
            "--error-log",
            "error.log",
            "--incident",
            "outage-5xx@+1d10h+15m",
            "--incident",
            "404-storm@+2d11h+20m",
            "--incident",
            "bot-surge@+3d14h+15m",
            "--incident",
            "restart@+4d10h+20m",
            "--incident",
            "server-restart@+5d12h+1m",
            "--incident",
            "traffic-drop@+6d11h+90m:0.2",
        ],
    );
    let incidents = truth["incidents"].as_array().unwrap().clone();
    assert_eq!(incidents.len(), 6);
    assert!(
        incidents.iter().all(|i| i["complete"] == true),
        "loggen's lines cover every incident"
    );
    std::fs::write(
        dir.join("cfg.toml"),
        r#"site_hosts = ["shop.example.com"]
[[funnel]]
name = "checkout"
steps = [ { name = "product", path = "/product/*" }, { name = "cart", path = "/cart" },
  { name = "confirm", path = "/checkout/confirm" } ]
[alerts]
group_wait = "1s"
group_interval = "1s"
"#,
    )
    .unwrap();
    std::fs::create_dir(dir.join("out")).unwrap();
    let mut receiver = Receiver::start();
    let url = receiver.url();
    // The first lines (a new dataset: they only warm the rules up).
    write_logs(dir, None, Some("2026-03-02T00:05:00Z"), 100_000);
    let notify = ["--notify".to_owned(), format!("webhook:{url}")];
    let mut watcher = watch(dir, &notify, "watch-1.log");
    wait_until("the first evaluation", Duration::from_secs(60), || {
        dir.join("data/alerts").is_dir()
    });
    // Up to the morning of the 404 storm.
    write_logs(
        dir,
        Some("2026-03-02T00:05:00Z"),
        Some("2026-03-04T10:00:00Z"),
        40_000,
    );
    wait_until(
        "the watcher to reach 2026-03-04 09:55",
        Duration::from_secs(240),
        || evaluated_until(dir).is_some_and(|t| t >= micros("2026-03-04T09:55:00Z")),
    );
    // The receiver is down through the whole storm.
    receiver.pause();
    write_logs(
        dir,
        Some("2026-03-04T10:00:00Z"),
        Some("2026-03-04T13:00:00Z"),
        40_000,
    );
    wait_until(
        "the watcher to pass the storm",
        Duration::from_secs(240),
        || evaluated_until(dir).is_some_and(|t| t >= micros("2026-03-04T12:55:00Z")),
    );
    let before_resume = receiver.len();
    std::thread::sleep(Duration::from_secs(2));
    receiver.resume();
    // Then the upstream restart's alert fires, and the watcher is killed in the middle of it.
    write_logs(
        dir,
        Some("2026-03-04T13:00:00Z"),
        Some("2026-03-06T10:08:00Z"),
        40_000,
    );
    assert!(
        receiver.wait_for(Duration::from_secs(240), |b| b
            .iter()
            .any(|n| { n["alerts"][0]["labels"]["alertname"] == "upstream_outage" })),
        "the upstream outage is told before the kill"
    );
    watcher.kill().unwrap(); // SIGKILL
    watcher.wait().unwrap();
    let mut watcher = watch(dir, &notify, "watch-2.log");
    write_logs(dir, Some("2026-03-06T10:08:00Z"), None, 40_000);
    let last_end = micros(incidents[5]["end"].as_str().unwrap());
    wait_until(
        "the watcher to pass the last incident",
        Duration::from_secs(300),
        || evaluated_until(dir).is_some_and(|t| t >= last_end + 30 * 60_000_000),
    );
    // The last resolved notice (traffic drop) is delivered.
    std::thread::sleep(Duration::from_secs(4));
    watcher.kill().unwrap();
    watcher.wait().unwrap();

    // Notifications received twice: at most the one in flight at the kill, same content.
    let bodies = receiver.bodies();
    let mut seen: HashMap<String, Value> = HashMap::new();
    let mut unique = Vec::new();
    let mut repeats = 0;
    for b in &bodies {
        let id = b["notificationId"].as_str().unwrap().to_owned();
        match seen.get(&id) {
            Some(first) => {
                repeats += 1;
                assert_eq!(
                    first["alerts"], b["alerts"],
                    "a repeat is the same notification"
                );
            }
            None => {
                seen.insert(id, b.clone());
                unique.push(b.clone());
            }
        }
    }
    assert!(repeats <= 1, "{repeats} notifications were sent again");
    // The id is also the Idempotency-Key header.
    for (b, key) in bodies.iter().zip(receiver.header("Idempotency-Key")) {
        assert_eq!(key.as_deref(), b["notificationId"].as_str());
    }
    // Alertmanager's webhook payload.
    for b in &unique {
        assert_eq!(b["version"], "4");
        assert!(b["groupKey"].as_str().unwrap().contains("shop.example.com"));
        for a in b["alerts"].as_array().unwrap() {
            assert_eq!(a["fingerprint"].as_str().unwrap().len(), 16);
            assert!(a["startsAt"].as_str().unwrap().ends_with('Z'));
        }
    }
    let told = episodes(&unique);
    let lead_for = |kind: &str| match kind {
        "outage-5xx" => "error_burst",
        "404-storm" => "not_found_storm",
        "bot-surge" => "rate_limit_storm",
        "restart" => "upstream_outage",
        "server-restart" => "server_restart",
        "traffic-drop" => "traffic_drop",
        other => panic!("{other}"),
    };
    let summary: Vec<String> = told
        .iter()
        .map(|e| {
            format!(
                "{} {} {:?}",
                e.lead,
                clickpath_alerts::payload::rfc3339(e.starts_at),
                e.rules
            )
        })
        .collect();
    assert_eq!(
        told.len(),
        incidents.len(),
        "one story per incident: {summary:#?}"
    );
    for (inc, e) in incidents.iter().zip(&told) {
        let kind = inc["kind"].as_str().unwrap();
        let (start, end) = (
            micros(inc["start"].as_str().unwrap()),
            micros(inc["end"].as_str().unwrap()),
        );
        assert_eq!(e.lead, lead_for(kind), "{kind}: {summary:#?}");
        assert!(
            e.starts_at >= start - 5 * 60_000_000 && e.starts_at < end,
            "{kind} told from {} (incident {start}..{end})",
            e.starts_at
        );
        let resolved = e
            .resolved_at
            .unwrap_or_else(|| panic!("{kind} was never resolved: {e:?}"));
        assert!(
            resolved > start && resolved <= end + 15 * 60_000_000,
            "{kind} resolved at {resolved}"
        );
    }
    // The storm was told once the receiver was back: firing, then resolved, in order.
    let after: Vec<Value> = bodies[before_resume..].to_vec();
    let storm: Vec<&Value> = after
        .iter()
        .filter(|b| b["alerts"][0]["labels"]["alertname"] == "not_found_storm")
        .collect();
    assert!(
        storm.len() >= 2 && storm[0]["status"] == "firing",
        "{storm:#?}"
    );
    assert_eq!(storm.last().unwrap()["status"], "resolved");
    // What a person needs to act is in the alert.
    let first_outage = unique
        .iter()
        .find(|b| b["alerts"][0]["labels"]["alertname"] == "upstream_outage")
        .unwrap();
    let ann = &first_outage["alerts"][0]["annotations"];
    assert!(
        ann["summary"].as_str().unwrap().contains("refused"),
        "{ann}"
    );
    assert!(
        ann["causes"].as_str().unwrap().contains("upstream_refused"),
        "{ann}"
    );
    assert!(ann["first_error_lines"].as_str().is_some(), "{ann}");
    assert_eq!(
        first_outage["alerts"][0]["labels"]["upstream"],
        "127.0.0.1:8080"
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A CA and a server certificate for 127.0.0.1 it signed (openssl).
fn pki(dir: &Path) {
    let sh = |args: &str| {
        let ok = Command::new("sh")
            .args(["-c", args])
            .current_dir(dir)
            .stderr(Stdio::null())
            .status()
            .unwrap()
            .success();
        assert!(ok, "{args}");
    };
    sh(
        "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=test-ca -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign",
    );
    sh("openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr -subj /CN=127.0.0.1");
    std::fs::write(
        dir.join("ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    sh(
        "openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem -days 2 -extfile ext",
    );
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A real SMTP server (aiosmtpd: STARTTLS, then a login) on a free port.
fn smtp_server(dir: &Path) -> (Killed, u16) {
    let mut child = Command::new("python3")
        .arg(tool("smtp_server.py"))
        .args(["srv.pem", "srv.key", "ana", "s3cret", "mails"])
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 with aiosmtpd (.ci/run installs it)");
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    let port = line.trim().parse().expect("the SMTP server's port");
    (Killed(child), port)
}

fn mails(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for n in 1.. {
        let Ok(m) = std::fs::read_to_string(dir.join(format!("mails/{n}.eml"))) else {
            break;
        };
        out.push((
            m,
            std::fs::read_to_string(dir.join(format!("mails/{n}.login"))).unwrap(),
        ));
    }
    out
}

#[test]
fn mail_command_silence_and_a_prometheus_scrape() {
    let (_tmp, path) = test_dir();
    let dir = path.as_path();
    let truth = loggen(
        dir,
        &[
            "--seed",
            "8",
            "--lines",
            "60000",
            "--visitors-per-hour",
            "300",
            "--start-date",
            "2026-05-04T06:00",
            "--error-log",
            "error.log",
            "--incident",
            "restart@+3h+15m",
            "--incident",
            "outage-5xx@+5h+15m",
        ],
    );
    let incidents = truth["incidents"].as_array().unwrap();
    pki(dir);
    let (_smtp, smtp_port) = smtp_server(dir);
    std::fs::write(
        dir.join("cfg.toml"),
        "site_hosts = [\"shop.example.com\"]\n[alerts]\ngroup_wait = \"1s\"\ngroup_interval = \"1s\"\n",
    )
    .unwrap();
    std::fs::create_dir(dir.join("out")).unwrap();
    write_logs(dir, None, Some("2026-05-04T06:05:00Z"), 100_000);
    let metrics = free_port();
    let _watcher = Killed(watch(
        dir,
        &[
            "--notify".to_owned(),
            format!("smtp://ana@127.0.0.1:{smtp_port}?to=ops@example.com&ca=ca.pem"),
            "--notify".to_owned(),
            "cmd:cat >> told.jsonl; echo >> told.jsonl".to_owned(),
            "--metrics".to_owned(),
            format!("127.0.0.1:{metrics}"),
        ],
        "watch.log",
    ));
    // Debian's Prometheus scrapes the watcher every second.
    let prom = free_port();
    std::fs::write(
        dir.join("prometheus.yml"),
        format!(
            "global: {{scrape_interval: 1s}}\nscrape_configs:\n  - job_name: clickpath\n    static_configs: [{{targets: ['127.0.0.1:{metrics}']}}]\n"
        ),
    )
    .unwrap();
    let _prometheus = Killed(
        Command::new("prometheus")
            .arg("--config.file=prometheus.yml")
            .arg("--storage.tsdb.path=tsdb")
            .arg(format!("--web.listen-address=127.0.0.1:{prom}"))
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("Debian's prometheus (.ci/run installs it)"),
    );
    wait_until("the watcher's state", Duration::from_secs(60), || {
        dir.join("data/alerts").is_dir()
    });
    // The application restart is told; the error burst after it is silenced (planned).
    write_logs(
        dir,
        Some("2026-05-04T06:05:00Z"),
        Some("2026-05-04T10:30:00Z"),
        20_000,
    );
    let (code, out, _) = crate::run(clickpath(dir).args([
        "alerts",
        "silence",
        "--data",
        "data",
        "--for",
        "2h",
        "alertname=error_burst",
    ]));
    assert_eq!(code, 0);
    assert!(out.contains("alertname=\"error_burst\""), "{out}");
    write_logs(dir, Some("2026-05-04T10:30:00Z"), None, 20_000);
    let end = micros(incidents[1]["end"].as_str().unwrap());
    wait_until(
        "the watcher to pass the second incident",
        Duration::from_secs(180),
        || evaluated_until(dir).is_some_and(|t| t >= end + 20 * 60_000_000),
    );
    std::thread::sleep(Duration::from_secs(3));

    // The command got Alertmanager's payload on stdin: the restart, firing then resolved.
    let told: Vec<Value> = std::fs::read_to_string(dir.join("told.jsonl"))
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let names: Vec<(String, String)> = told
        .iter()
        .map(|n| {
            (
                n["alerts"][0]["labels"]["alertname"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
                n["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            ("upstream_outage".to_owned(), "firing".to_owned()),
            ("upstream_outage".to_owned(), "resolved".to_owned())
        ],
        "the silenced error burst is not told"
    );
    let start = micros(incidents[0]["start"].as_str().unwrap());
    assert_eq!(
        micros(told[0]["alerts"][0]["startsAt"].as_str().unwrap()),
        start
    );
    // The same two by e-mail, over STARTTLS, after a login.
    let m = mails(dir);
    assert_eq!(m.len(), 2, "{m:?}");
    assert!(
        m[0].0
            .contains("Subject: [FIRING:1] upstream_outage shop.example.com"),
        "{}",
        m[0].0
    );
    assert!(
        m[1].0.contains("Subject: [RESOLVED:1] upstream_outage"),
        "{}",
        m[1].0
    );
    assert!(m[0].0.contains(&format!(
        "Message-ID: <{}@clickpath>",
        told[0]["notificationId"].as_str().unwrap()
    )));
    assert_eq!(m[0].1, "ana\nops@example.com");
    // Prometheus scraped the watcher: the requests it counts are the log's well-formed lines.
    let lines: u64 = truth["status_counts"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    let addr = format!("127.0.0.1:{prom}");
    let query = |q: &str| -> Option<f64> {
        let r = crate::http::get(&addr, &format!("/api/v1/query?query={q}"));
        let v = r.json();
        v["data"]["result"][0]["value"][1].as_str()?.parse().ok()
    };
    wait_until(
        "Prometheus to have the last scrape",
        Duration::from_secs(30),
        || query("sum(clickpath_requests_total)") == Some(lines as f64),
    );
    // Alerts that fired, told or not (inhibited, silenced): as many as the history lists.
    let history = std::fs::read_to_string(dir.join("data/alerts/history.jsonl")).unwrap();
    let fired = history
        .lines()
        .filter(|l| l.contains("\"status\":\"firing\""))
        .count();
    assert!(fired >= 3, "{history}");
    assert_eq!(query("clickpath_alerts_fired_total"), Some(fired as f64));
    assert_eq!(
        query("sum(clickpath_notifications_sent_total)"),
        Some(4.0),
        "2 notifications to each of 2 receivers"
    );
    // A wrong password is a clear failure of that receiver.
    let (code, out, _) = crate::run(
        clickpath(dir)
            .args(["alerts", "test", "--notify"])
            .arg(format!(
                "smtp://ana@127.0.0.1:{smtp_port}?to=ops@example.com&ca=ca.pem"
            ))
            .env("CLICKPATH_SMTP_PASSWORD", "wrong"),
    );
    assert_eq!(code, 1);
    assert!(out.contains("FAILED") && out.contains("535"), "{out}");
}

#[test]
fn bad_receivers_and_rules_are_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("a.log"), "").unwrap();
    let watch =
        |args: &[&str]| crate::run(clickpath(dir).args(["watch", "a.log", "--once"]).args(args));
    let (code, _, err) = watch(&["--notify", "pager:123"]);
    assert_ne!(code, 0);
    assert!(
        err.contains("`pager:123` is not a receiver") && err.contains("webhook:URL"),
        "{err}"
    );
    // A password on the command line is refused: it would be in `ps` and shell history.
    let (code, _, err) = watch(&["--notify", "smtp://ana:secret@127.0.0.1:587?to=a@b"]);
    assert_ne!(code, 0);
    assert!(err.contains("no password in the URL"), "{err}");
    assert!(
        !err.contains("secret@"),
        "the password is not printed: {err}"
    );
    let (code, _, err) = watch(&["--notify", "smtp://ana@127.0.0.1:587?to=a@b"]);
    assert_ne!(code, 0);
    assert!(err.contains("CLICKPATH_SMTP_PASSWORD"), "{err}");
    std::fs::write(
        dir.join("c.toml"),
        "[alerts.rules.error_bursts]\nfor = \"2m\"\n",
    )
    .unwrap();
    let (code, _, err) = watch(&["-c", "c.toml"]);
    assert_ne!(code, 0);
    assert!(
        err.contains("no rule `error_bursts`") && err.contains("error_burst,"),
        "{err}"
    );
    std::fs::write(dir.join("c.toml"), "[alerts]\ngroup_wait = \"soon\"\n").unwrap();
    let (code, _, err) = watch(&["-c", "c.toml"]);
    assert_ne!(code, 0);
    assert!(err.contains("`soon` is not a duration"), "{err}");
    std::fs::write(dir.join("c.toml"), "[alerts]\ngroup_waits = \"1s\"\n").unwrap();
    let (code, _, err) = watch(&["-c", "c.toml"]);
    assert_ne!(code, 0);
    assert!(
        err.contains("c.toml") && err.contains("group_waits"),
        "{err}"
    );
    let (code, _, err) =
        crate::run(clickpath(dir).args(["alerts", "silence", "--for", "1h", "host"]));
    assert_ne!(code, 0);
    assert!(err.contains("`host` is not a silence matcher"), "{err}");
}

/// The dashboard's `/metrics`: the bundled sample's figures against its loggen truth.
#[test]
fn the_dashboard_serves_the_datasets_metrics() {
    let tmp = tempfile::tempdir().unwrap();
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/sample");
    let truth: Value =
        serde_json::from_str(&std::fs::read_to_string(sample.join("truth.json")).unwrap()).unwrap();
    let access = sample.join("access.log.gz");
    let server = crate::http::Server::start(tmp.path(), &[access.to_str().unwrap()]);
    let r = crate::http::get(&format!("127.0.0.1:{}", server.port()), "/metrics");
    assert_eq!(r.status, 200);
    assert!(
        r.header("content-type")
            .unwrap()
            .contains("openmetrics-text")
    );
    let value = |prefix: &str| -> u64 {
        r.body
            .lines()
            .filter(|l| l.starts_with(prefix))
            .map(|l| l.rsplit(' ').next().unwrap().parse::<u64>().unwrap())
            .sum()
    };
    let lines: u64 = truth["status_counts"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(value("clickpath_requests_total{"), lines, "{}", r.body);
    assert_eq!(
        value("clickpath_audience_requests_total{host=\"shop.example.com\",audience=\"bot\"}"),
        truth["bot_requests"].as_u64().unwrap()
    );
    assert_eq!(
        value("clickpath_requests_total{host=\"shop.example.com\",class=\"5xx\"}"),
        ["500", "502", "503", "504"]
            .iter()
            .map(|s| truth["status_counts"][*s].as_u64().unwrap_or(0))
            .sum::<u64>()
    );
}
