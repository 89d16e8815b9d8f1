//! The error log joined to the access log, against loggen's truth (`--error-log`): the cause of
//! every 4xx/5xx response, the server's restarts and crashes, and the incidents loggen injected,
//! for three seeds, both servers' formats and two time zones.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::{clickpath, loggen, run};

fn example_config() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/clickpath.toml")
}

/// Seconds since the epoch of an RFC 3339 time (`2024-03-01T10:00:00Z`, `...+01:00`).
fn secs(t: &Value) -> i64 {
    let t = t.as_str().unwrap();
    clickpath_model::parse_rfc3339(t).unwrap_or_else(|| panic!("not RFC 3339: {t}")) / 1_000_000
}

/// The incidents of one run: every kind loggen has, at known offsets from the start.
const INCIDENTS: [&str; 8] = [
    "conversion-drop@+1h+20m",
    "restart@+2h+20m",
    "outage-5xx@+3h+10m",
    "404-storm@+4h+15m",
    "bot-surge@+5h+10m",
    "traffic-drop@+6h+30m",
    "server-restart@+7h+1m",
    "server-restart@+7h30m+1m:1",
];

/// The incident kind clickpath names each loggen incident with (docs/errors.md).
fn kind_of(loggen_kind: &str) -> &'static str {
    match loggen_kind {
        "restart" => "upstream_outage",
        "outage-5xx" | "conversion-drop" => "error_burst",
        "404-storm" => "not_found_storm",
        "bot-surge" => "rate_limit_storm",
        "traffic-drop" => "traffic_drop",
        "server-restart" => "server_restart",
        other => panic!("unknown loggen incident {other}"),
    }
}

/// How close an incident's start and end must be to loggen's window, in seconds (`None`: not
/// checked). The detectors work on whole minutes, so 60 s is one minute's rounding. The end of a
/// `restart` (its warm phase: 30 % of the payment requests fail) and the whole of a
/// `conversion-drop` are made of rare requests (a few payments a minute): their edges are as
/// uncertain as those requests are rare (docs/errors.md says so).
fn tolerance(loggen_kind: &str) -> (i64, Option<i64>) {
    match loggen_kind {
        "conversion-drop" => (300, None),
        "restart" => (60, None),
        "traffic-drop" => (60, Some(120)),
        _ => (60, Some(60)),
    }
}

fn report(dir: &std::path::Path, extra: &[&str]) -> Value {
    let (code, out, err) = run(clickpath(dir)
        .args([
            "report",
            "--json",
            "-q",
            "access.log",
            "error.log",
            "--config",
        ])
        .arg(example_config())
        .args(extra));
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap()
}

/// The causes by status equal loggen's `explained` (5xx, 404, 403, 429); the other error
/// statuses (loggen's 400s are TLS junk) have no cause.
fn assert_causes(r: &Value, truth: &Value, ctx: &str) {
    let mut ours: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    for c in r["errors"]["causes"].as_array().unwrap() {
        ours.entry(c["status"].to_string()).or_default().insert(
            c["cause"].as_str().unwrap().to_owned(),
            c["requests"].as_u64().unwrap(),
        );
    }
    let expected: BTreeMap<String, BTreeMap<String, u64>> =
        serde_json::from_value(truth["error_log"]["explained"].clone()).unwrap();
    let (explained, others): (BTreeMap<_, _>, BTreeMap<_, _>) = ours
        .into_iter()
        .partition(|(s, _)| expected.contains_key(s));
    assert_eq!(explained, expected, "{ctx}: causes by status");
    for (status, causes) in others {
        assert_eq!(
            causes.keys().collect::<Vec<_>>(),
            ["none"],
            "{ctx}: {status}"
        );
    }
}

fn check(seed: &str, format: &str, tz: &str) {
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec![
        "--seed",
        seed,
        "--lines",
        "300000",
        "--tz",
        tz,
        "--error-log",
        "error.log",
        "--error-log-format",
        format,
    ];
    for i in INCIDENTS {
        args.extend(["--incident", i]);
    }
    let truth = loggen(dir.path(), &args);
    let r = report(dir.path(), &[]);
    let ctx = format!("seed {seed}, {format}, {tz}");

    // Every error response's cause, exactly.
    let mut ours: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    for c in r["errors"]["causes"].as_array().unwrap() {
        ours.entry(c["status"].to_string()).or_default().insert(
            c["cause"].as_str().unwrap().to_owned(),
            c["requests"].as_u64().unwrap(),
        );
    }
    assert_causes(&r, &truth, &ctx);

    // Every event of the error log read, by level.
    let log = &r["error_log"];
    assert_eq!(
        log["events"], truth["error_log"]["total_lines"],
        "{ctx}: events"
    );
    let levels: BTreeMap<String, u64> = log["by_level"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["value"].as_str().unwrap().to_owned(),
                l["count"].as_u64().unwrap(),
            )
        })
        .collect();
    let expected: BTreeMap<String, u64> =
        serde_json::from_value(truth["error_log"]["lines_by_level"].clone()).unwrap();
    assert_eq!(levels, expected, "{ctx}: events by level");
    assert_eq!(
        log["explaining"], truth["error_log"]["explaining_lines"],
        "{ctx}: events that explain a response"
    );

    // Restarts: the same ones, within a minute.
    let restarts = r["restarts"].as_array().unwrap();
    let expected = truth["error_log"]["restarts"].as_array().unwrap();
    assert_eq!(
        restarts.len(),
        expected.len(),
        "{ctx}: restarts {restarts:?}"
    );
    for t in expected {
        let found = restarts.iter().any(|o| {
            o["kind"] == t["kind"]
                && (t["how"].is_null() || o["how"] == t["how"])
                && (secs(&o["start"]) - secs(&t["start"])).abs() <= 60
                && (secs(&o["end"]) - secs(&t["end"])).abs() <= 60
        });
        assert!(found, "{ctx}: restart {t} not in {restarts:?}");
    }
    // The daily log rotation is a reload or a log reopening, not a restart.
    for at in truth["error_log"]["log_rotations"].as_array().unwrap() {
        let found = r["reloads"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| (secs(&o["at"]) - secs(at)).abs() <= 60);
        assert!(found, "{ctx}: rotation at {at} not in {}", r["reloads"]);
    }

    // Incidents: each injected one found once, with its kind and window; nothing else.
    let incidents = r["incidents"].as_array().unwrap();
    let mut matched = vec![false; incidents.len()];
    for t in truth["incidents"].as_array().unwrap() {
        let lk = t["kind"].as_str().unwrap();
        let (ts, te) = (secs(&t["start"]), secs(&t["end"]));
        let hits: Vec<usize> = (0..incidents.len())
            .filter(|&k| {
                let o = &incidents[k];
                o["kind"] == kind_of(lk) && secs(&o["start"]) < te && secs(&o["end"]) > ts
            })
            .collect();
        assert_eq!(
            hits.len(),
            1,
            "{ctx}: {lk} at {} in {incidents:?}",
            t["start"]
        );
        let o = &incidents[hits[0]];
        matched[hits[0]] = true;
        let (start_tol, end_tol) = tolerance(lk);
        let ds = secs(&o["start"]) - ts;
        assert!(ds.abs() <= start_tol, "{ctx}: {lk} starts {ds:+} s off");
        if let Some(tol) = end_tol {
            let de = secs(&o["end"]) - te;
            assert!(de.abs() <= tol, "{ctx}: {lk} ends {de:+} s off");
            let w = &t["window"];
            if tol == 60 {
                // The window is loggen's: sessions started and conversions within 5%.
                for (ours, theirs) in [
                    ("sessions_started", "human_sessions_started"),
                    ("conversions", "conversions"),
                ] {
                    let (a, b) = (o[ours].as_f64().unwrap(), w[theirs].as_f64().unwrap());
                    assert!(
                        (a - b).abs() <= 0.05 * b.max(1.0),
                        "{ctx}: {lk} {ours} {a}, loggen {b}"
                    );
                }
            } else {
                // A minute or two off: sessions started per second within 15%.
                let ours = o["sessions_started"].as_f64().unwrap()
                    / (secs(&o["end"]) - secs(&o["start"])) as f64;
                let theirs = w["human_sessions_started"].as_f64().unwrap() / (te - ts) as f64;
                assert!(
                    (ours - theirs).abs() <= 0.15 * theirs.max(0.01),
                    "{ctx}: {lk} sessions started per second {ours:.3}, loggen {theirs:.3}"
                );
            }
        }
        assert!(
            !o["story"].as_str().unwrap().is_empty(),
            "{ctx}: {lk} has no story"
        );
    }
    let extra: Vec<&Value> = (0..incidents.len())
        .filter(|&k| !matched[k])
        .map(|k| &incidents[k])
        .collect();
    assert!(
        extra.is_empty(),
        "{ctx}: incidents loggen did not inject: {extra:?}"
    );
}

#[test]
fn seed_1_matches_loggen() {
    for (format, tz) in [("nginx", "+0100"), ("apache", "-0500")] {
        check("1", format, tz);
    }
}

#[test]
fn seed_2_matches_loggen() {
    for (format, tz) in [("apache", "+0100"), ("nginx", "-0500")] {
        check("2", format, tz);
    }
}

#[test]
fn seed_3_matches_loggen() {
    for (format, tz) in [("nginx", "-0500"), ("apache", "+0000")] {
        check("3", format, tz);
    }
}

/// Seven hours of ordinary traffic (the night, the morning rise, sporadic errors, a log rotation):
/// no incident, no restart.
#[test]
fn ordinary_days_have_no_incident() {
    for (seed, format) in [("4", "nginx"), ("5", "apache"), ("6", "nginx")] {
        let dir = tempfile::tempdir().unwrap();
        let truth = loggen(
            dir.path(),
            &[
                "--seed",
                seed,
                "--lines",
                "300000",
                "--tz",
                "+0100",
                "--error-log",
                "error.log",
                "--error-log-format",
                format,
            ],
        );
        assert!(truth["incidents"].as_array().is_none_or(Vec::is_empty));
        let r = report(dir.path(), &[]);
        assert_eq!(
            r["incidents"],
            serde_json::json!([]),
            "seed {seed} {format}"
        );
        assert_eq!(r["restarts"], serde_json::json!([]), "seed {seed} {format}");
    }
}

/// A server's log directory, as logrotate leaves it: `report /var/log/nginx` reads the access
/// and error logs in it, rotated ones too, and gives the same causes as the files one by one.
#[test]
fn a_servers_log_directory() {
    let dir = tempfile::tempdir().unwrap();
    let truth = loggen(
        dir.path(),
        &[
            "--seed",
            "7",
            "--lines",
            "60000",
            "--error-log",
            "error.log",
            "--incident",
            "outage-5xx@+1h+10m",
        ],
    );
    // Rotate both logs at the same line count share: the older halves go to `.1` (the error
    // log compressed, as logrotate's `delaycompress` leaves the second one).
    let logs = dir.path().join("nginx");
    std::fs::create_dir(&logs).unwrap();
    for (name, gz) in [("access.log", false), ("error.log", true)] {
        let text = std::fs::read_to_string(dir.path().join(name)).unwrap();
        let lines: Vec<&str> = text.split_inclusive('\n').collect();
        let (old, new) = lines.split_at(lines.len() / 2);
        std::fs::write(logs.join(name), new.concat()).unwrap();
        if gz {
            let f = std::fs::File::create(logs.join(format!("{name}.1.gz"))).unwrap();
            let mut w = flate2::write::GzEncoder::new(f, flate2::Compression::fast());
            std::io::Write::write_all(&mut w, old.concat().as_bytes()).unwrap();
            w.finish().unwrap();
        } else {
            std::fs::write(logs.join(format!("{name}.1")), old.concat()).unwrap();
        }
    }
    let (code, out, err) = run(clickpath(dir.path())
        .args(["report", "--json", "-q", "nginx", "--config"])
        .arg(example_config()));
    assert_eq!(code, 0, "{err}");
    let r: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["input"]["requests"], truth["valid_requests"]);
    assert_eq!(r["error_log"]["events"], truth["error_log"]["total_lines"]);
    assert_causes(&r, &truth, "a log directory");
    let kinds: Vec<&Value> = r["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| &i["kind"])
        .collect();
    assert_eq!(kinds, ["error_burst"]);
}

/// A daylight-saving change in the middle of the logs (the access log goes from +0100 to +0200,
/// both logs' local times an hour later): restarts on both sides of it keep their UTC times.
#[test]
fn a_daylight_saving_change_is_followed() {
    let dir = tempfile::tempdir().unwrap();
    let truth = loggen(
        dir.path(),
        &[
            "--seed",
            "8",
            "--lines",
            "200000",
            "--tz",
            "+0100",
            "--error-log",
            "error.log",
            "--incident",
            "server-restart@+1h+1m",
            "--incident",
            "server-restart@+4h+1m:1",
        ],
    );
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/scripts/dst.py");
    let ok = std::process::Command::new("python3")
        .arg(script)
        .args(["access.log", "error.log", "2024-03-01T02:30:00"])
        .current_dir(dir.path())
        .status()
        .unwrap()
        .success();
    assert!(ok);
    let r = report(dir.path(), &[]);
    assert_causes(&r, &truth, "across a daylight-saving change");
    let restarts = r["restarts"].as_array().unwrap();
    let expected = truth["error_log"]["restarts"].as_array().unwrap();
    assert_eq!(restarts.len(), expected.len(), "{restarts:?}");
    for t in expected {
        assert!(
            restarts.iter().any(
                |o| o["how"] == t["how"] && (secs(&o["start"]) - secs(&t["start"])).abs() <= 60
            ),
            "{t} not in {restarts:?}"
        );
    }
    let notes = r["error_log"]["notes"].to_string();
    assert!(notes.contains("+01:00, +02:00"), "{notes}");
}

/// What real error logs contain besides clean lines: a banner before the first event, bytes that
/// are not UTF-8, CRLF endings, a level nginx may add one day, a 100 KB FastCGI message, a stack
/// trace after the fields. Nothing is lost, nothing panics, the banner is a rejected line with
/// its file:line.
#[test]
fn messy_error_logs_are_read_whole() {
    let dir = tempfile::tempdir().unwrap();
    let long = "x".repeat(100_000);
    let mut text: Vec<u8> = Vec::new();
    text.extend_from_slice(b"nginx: the configuration file /etc/nginx/nginx.conf syntax is ok\n");
    text.extend_from_slice(b"2024/03/01 10:00:00 [error] 11#11: *1 open() \"/srv/a\xff\xfe.png\" failed (2: No such file or directory), client: 192.0.2.1, server: s, request: \"GET /a%FF.png HTTP/1.1\", host: \"s\"\r\n");
    text.extend_from_slice(b"2024/03/01 10:00:01 [frobnicate] 11#11: something new\n");
    text.extend_from_slice(format!("2024/03/01 10:00:02 [error] 11#11: *2 FastCGI sent in stderr: \"PHP message: {long}\" while reading response header from upstream, client: 192.0.2.1, server: s, request: \"GET /p HTTP/1.1\", upstream: \"fastcgi://unix:/run/php.sock:\", host: \"s\"\n").as_bytes());
    text.extend_from_slice(b"2024/03/01 10:00:03 [crit] 11#11: *3 SSL_do_handshake() failed (SSL: error:0A00006C:SSL routines::bad key share) while SSL handshaking, client: 192.0.2.9, server: 0.0.0.0:443\n");
    text.extend_from_slice(b"#0 /var/www/index.php(3): f()\n");
    text.extend_from_slice(b"2024/03/01 10:00:04 [error] 11#11: *4 limiting requests, excess: 20.5 by zone \"perip\", client: 192.0.2.2, server: s, request: \"GET / HTTP/1.1\", host: \"s\"\n");
    std::fs::write(dir.path().join("error.log"), &text).unwrap();
    let (code, out, err) = run(clickpath(dir.path()).args(["parse", "error.log"]));
    // A rejected line is counted and shown, as in access logs (exit 0: every file was read).
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("1 rejected (no_event 1), 5 error-log events (1 continuation line)"),
        "{err}"
    );
    let events: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let col = |k: &str| -> Vec<Value> { events.iter().map(|e| e[k].clone()).collect() };
    assert_eq!(col("line"), [2, 3, 4, 5, 7].map(Value::from));
    assert_eq!(
        col("level"),
        ["error", "frobnicate", "error", "crit", "error"].map(Value::from)
    );
    assert_eq!(
        col("cause"),
        ["file_not_found", "other", "other", "tls", "rate_limited"].map(Value::from)
    );
    // The two bytes that are not UTF-8 became U+FFFD; CRLF left no `\r` in the last field.
    assert_eq!(
        events[0]["message"],
        "open() \"/srv/a\u{fffd}\u{fffd}.png\" failed (2: No such file or directory)"
    );
    assert_eq!(events[0]["host"], "s");
    assert_eq!(events[2]["message"].as_str().unwrap().len(), 100_083);
    assert_eq!(events[2]["path"], "/p");
    // The stack trace continues the message, not the last field.
    assert_eq!(events[3]["server"], "0.0.0.0:443");
    assert!(
        events[3]["message"]
            .as_str()
            .unwrap()
            .ends_with("while SSL handshaking\n#0 /var/www/index.php(3): f()"),
        "{}",
        events[3]["message"]
    );
    assert_eq!(events[3]["continuation_lines"], 1);
    let (code, out, _) = run(clickpath(dir.path()).args(["check-format", "error.log"]));
    assert_eq!(code, 1);
    assert!(
        out.contains("error.log:1:1: nginx: the configuration file"),
        "{out}"
    );
}

/// Debian's nginx logs at level `error`: no `[notice]` stop and start lines. The server's stops
/// are then the access log's silences while requests were coming, and the report says why it
/// cannot be sure.
#[test]
fn restarts_an_error_level_log_hides_are_found_in_the_access_log() {
    let dir = tempfile::tempdir().unwrap();
    let truth = loggen(
        dir.path(),
        &[
            "--seed",
            "9",
            "--lines",
            "200000",
            "--error-log",
            "full.log",
            "--incident",
            "server-restart@+2h+1m",
            "--incident",
            "server-restart@+4h+1m",
        ],
    );
    let full = std::fs::read_to_string(dir.path().join("full.log")).unwrap();
    let errors: String = full
        .split_inclusive('\n')
        .filter(|l| !l.contains("] [notice] ") && !l.contains(" [notice] "))
        .collect();
    std::fs::write(dir.path().join("error.log"), errors).unwrap();
    let r = report(dir.path(), &[]);
    let restarts = r["restarts"].as_array().unwrap();
    let expected = truth["error_log"]["restarts"].as_array().unwrap();
    assert_eq!(restarts.len(), expected.len(), "{restarts:?}");
    for t in expected {
        assert!(
            restarts
                .iter()
                .any(|o| o["how"] == "silence"
                    && (secs(&o["start"]) - secs(&t["start"])).abs() <= 60),
            "{t} not in {restarts:?}"
        );
    }
    let notes = r["error_log"]["notes"].to_string();
    assert!(notes.contains("No [notice] lines"), "{notes}");
}

/// The dashboard: a filter narrows the figures to some sessions, not the server's story. The
/// shipped sample's outage (loggen's truth: 10:00 to 10:15) is the same incident under a filter
/// that keeps a fifth of the traffic, which alone would have gaps that look like stops; its
/// requests and error-log lines are one click away.
#[test]
fn dashboard_incidents_are_the_sites_under_any_filter() {
    use crate::http::{Server, http};
    let dir = tempfile::tempdir().unwrap();
    let sample = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/sample");
    let truth: Value =
        serde_json::from_str(&std::fs::read_to_string(sample.join("truth.json")).unwrap()).unwrap();
    let (access, error) = (sample.join("access.log.gz"), sample.join("error.log.gz"));
    let server = Server::start(
        dir.path(),
        &[
            "-c",
            example_config().to_str().unwrap(),
            access.to_str().unwrap(),
            error.to_str().unwrap(),
        ],
    );
    let a = &server.addr;
    let all = http(a, "GET", "/api/report", &[], None).json();
    let some = http(
        a,
        "GET",
        "/api/report?device=mobile&audience=humans",
        &[],
        None,
    )
    .json();
    assert!(some["traffic"]["sessions"].as_u64() < all["traffic"]["sessions"].as_u64());
    let t = &truth["incidents"][0];
    let incidents = all["incidents"].as_array().unwrap();
    assert_eq!(incidents.len(), 1, "{incidents:?}");
    assert_eq!(incidents[0]["kind"], "error_burst");
    assert!((secs(&incidents[0]["start"]) - secs(&t["start"])).abs() <= 300);
    assert_eq!(all["restarts"], serde_json::json!([]));
    for k in ["incidents", "restarts", "reloads", "error_log"] {
        assert_eq!(some[k], all[k], "{k}");
    }
    // A fresh server asked the filtered view first reads the period once for both, the
    // selection and the site's story: the same answer as the server that read them apart.
    let other = tempfile::tempdir().unwrap();
    let fresh = Server::start(
        other.path(),
        &[
            "-c",
            example_config().to_str().unwrap(),
            access.to_str().unwrap(),
            error.to_str().unwrap(),
        ],
    );
    let first = http(
        &fresh.addr,
        "GET",
        "/api/report?device=mobile&audience=humans",
        &[],
        None,
    )
    .json();
    for k in [
        "incidents",
        "restarts",
        "reloads",
        "error_log",
        "traffic",
        "funnels",
    ] {
        assert_eq!(first[k], some[k], "{k}");
    }
    // The incident's 5xx responses, and the error-log lines of its window.
    let (start, end) = (
        incidents[0]["start"].as_str().unwrap(),
        incidents[0]["end"].as_str().unwrap(),
    );
    let q = format!("start={start}&end={end}");
    let requests = http(a, "GET", &format!("/api/requests?{q}&class=5xx"), &[], None).json();
    let fivexx: u64 = incidents[0]["top_urls"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["value"].as_str().unwrap().starts_with('5'))
        .map(|u| u["count"].as_u64().unwrap())
        .sum();
    assert!(requests["total"].as_u64().unwrap() >= fivexx);
    for r in requests["requests"].as_array().unwrap() {
        assert!(r["status"].as_u64().unwrap() >= 500, "{r}");
        let t = secs(&r["time"]);
        assert!(t >= secs(&incidents[0]["start"]) && t < secs(&incidents[0]["end"]));
    }
    // The error log's own lines in the window, counted from the file (nginx: the local time
    // starts each line, and the sample's zone is UTC).
    let text = {
        let mut s = String::new();
        std::io::Read::read_to_string(
            &mut flate2::read::MultiGzDecoder::new(std::fs::File::open(&error).unwrap()),
            &mut s,
        )
        .unwrap();
        s
    };
    let stamp = |t: &str| t[..19].replace('-', "/").replace('T', " ");
    let (lo, hi) = (stamp(start), stamp(end));
    let expected = text
        .lines()
        .filter(|l| l.len() > 19 && l[..19] >= *lo && l[..19] < *hi)
        .count() as u64;
    let lines = http(
        a,
        "GET",
        &format!("/api/error-lines?{q}&limit=1000"),
        &[],
        None,
    )
    .json();
    assert_eq!(lines["total"].as_u64().unwrap(), expected);
    assert!(expected > 0);
    assert!(
        lines["events"][0]["raw"]
            .as_str()
            .unwrap()
            .starts_with(&lo[..16])
    );
    let bad = http(a, "GET", "/api/error-lines?start=yesterday", &[], None);
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("not a time"), "{}", bad.body);
}

/// `zcat error.log.gz | clickpath report access.log -`: stdin is looked at too, and read first
/// when it is the error log, so that every response is explained as with the file.
#[test]
fn an_error_log_on_stdin_is_read_first() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let truth = loggen(
        dir.path(),
        &[
            "--seed",
            "10",
            "--lines",
            "30000",
            "--error-log",
            "error.log",
        ],
    );
    let mut child = clickpath(dir.path())
        .args(["report", "--json", "-q", "access.log", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let text = std::fs::read(dir.path().join("error.log")).unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&text));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(out.status.success());
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        r["error_log"]["explaining"],
        truth["error_log"]["explaining_lines"]
    );
    assert_causes(&r, &truth, "an error log on stdin");
}
