//! Regression tests of the defects found when clickpath was tried as a new user would (issue
//! 11), end to end with the real binary: each fails on the code before the fix.

use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use crate::dashboard::{add_token, add_user, config, count_of, login_form, post_login, s, sample};
use crate::http::{Server, get, http};
use crate::{clickpath, loggen, run};

const HUMAN: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36";
const GOOGLEBOT: &str = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

/// A combined line; lines 3 and 17 are Googlebot's.
fn combined(i: usize) -> String {
    let ua = if i == 3 || i == 17 { GOOGLEBOT } else { HUMAN };
    format!(
        "192.0.2.{} - - [01/Mar/2024:10:{:02}:00 +0000] \"GET /p/{i} HTTP/1.1\" 200 512 \"https://www.bing.com/\" \"{ua}\"\n",
        i % 5 + 1,
        i % 60
    )
}

/// The line cut right after its byte count.
fn cut(i: usize) -> String {
    let l = combined(i);
    format!("{}\n", &l[..l.find(" \"https").unwrap()])
}

fn report_json(dir: &Path, args: &[&str]) -> (i32, Value) {
    let (code, out, err) = run(clickpath(dir).args(["report", "--json", "-q"]).args(args));
    assert!(code == 0 || code == 1, "{err}");
    (code, serde_json::from_str(&out).unwrap())
}

#[test]
fn cut_lines_do_not_throw_away_the_agents_of_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // 32 whole combined lines and 3 cut before the referrer.
    let mut text = String::new();
    for i in 0..35 {
        text += &if [8, 9, 30].contains(&i) {
            cut(i)
        } else {
            combined(i)
        };
    }
    std::fs::write(d.join("comb.log"), &text).unwrap();
    let (code, out, _) = run(clickpath(d).args(["check-format", "comb.log"]));
    assert_eq!(code, 1);
    assert!(
        out.contains("comb.log: combined (detected, 32/35 sample lines)"),
        "{out}"
    );
    let (_, r) = report_json(d, &["comb.log"]);
    assert_eq!(r["input"]["requests"], 32);
    assert_eq!(r["input"]["rejected_by_reason"]["truncated"], 3);
    assert_eq!(r["input"]["read_with_another_format"], 0);
    // Hand count: lines 3 and 17 are Googlebot; the humans are 5 addresses with one agent.
    assert_eq!(r["traffic"]["bot_requests"], 2);
    assert_eq!(r["traffic"]["visitors"], 5);

    // A real change of format past the detection sample: read with the other preset, and the
    // report says so (JSON and terminal).
    let mut text = String::new();
    for i in 0..210 {
        text += &combined(i);
    }
    for i in 210..222 {
        text += &cut(i);
    }
    std::fs::write(d.join("changed.log"), &text).unwrap();
    let (_, r) = report_json(d, &["changed.log"]);
    assert_eq!(r["input"]["read_with_another_format"], 12);
    assert_eq!(r["input"]["requests"], 222);
    let (code, out, _) = run(clickpath(d).args(["report", "changed.log"]));
    assert_eq!(code, 0);
    assert!(
        out.contains("12 lines read with another format than their file's"),
        "{out}"
    );
}

#[test]
fn a_folder_with_an_error_log_and_a_binary_file_reports_both_logs_and_says_what_it_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("nginx")).unwrap();
    let text: String = (0..40).map(combined).collect();
    std::fs::write(d.join("nginx/access.log"), text).unwrap();
    std::fs::write(
        d.join("nginx/error.log"),
        "2024/03/01 10:29:01 [error] 11926#11926: *14500 connect() failed (111: Connection refused) while connecting to upstream, client: 192.0.2.1, server: shop.example.com, request: \"GET / HTTP/1.1\", upstream: \"http://127.0.0.1:8080/\", host: \"shop.example.com\"\n",
    )
    .unwrap();
    std::fs::write(
        d.join("nginx/notes.bin"),
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\n",
    )
    .unwrap();
    let (code, all) = report_json(d, &["nginx/*.log", "nginx/notes.bin"]);
    // Exit 1: the report is complete for what was read, some input was skipped.
    assert_eq!(code, 1);
    let skipped: Vec<&str> = all["input"]["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["file"].as_str().unwrap())
        .collect();
    assert_eq!(skipped, ["nginx/notes.bin"]);
    let reason = all["input"]["skipped"][0]["reason"].as_str().unwrap();
    assert!(reason.contains("binary"), "{reason}");
    // The error log is read as one: its one event, the refused connection.
    assert_eq!(all["error_log"]["events"], 1);
    let (code, alone) = report_json(d, &["nginx/access.log"]);
    assert_eq!(code, 0);
    assert_eq!(all["traffic"], alone["traffic"]);
    let (code, _, err) = run(clickpath(d).args(["report", "-q", "nginx"]));
    assert_eq!(code, 1);
    assert!(err.contains("skipped nginx/notes.bin: "), "{err}");
}

/// Two local days of loggen, one file per day (as cron would ingest them).
fn two_days(d: &Path) {
    loggen(d, crate::dataset::LOG);
    let text = std::fs::read_to_string(d.join("access.log")).unwrap();
    let (mut day1, mut day2) = (String::new(), String::new());
    for l in text.lines() {
        let out = if l.contains("[02/Mar/2024") {
            &mut day2
        } else {
            &mut day1
        };
        out.push_str(l);
        out.push('\n');
    }
    std::fs::write(d.join("day1.log"), day1).unwrap();
    std::fs::write(d.join("day2.log"), day2).unwrap();
}

#[test]
fn every_dashboard_answer_comes_from_the_dataset_another_process_just_committed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    two_days(d);
    let ingest = |file: &str| {
        let (code, _, err) = run(clickpath(d).args(["ingest", "-q", "--data", "data", file]));
        assert_eq!(code, 0, "{err}");
    };
    ingest("day1.log");
    let server = Server::start(d, &["--data", "data"]);
    let a = &server.addr;
    let before = get(a, "/api/report").json();
    let (_, day1) = report_json(d, &["--data", "data"]);
    assert_eq!(before["traffic"], day1["traffic"]);
    // cron adds the second day while the dashboard runs (no --follow).
    ingest("day2.log");
    let (_, both) = report_json(d, &["--data", "data"]);
    assert!(both["traffic"]["sessions"].as_u64() > day1["traffic"]["sessions"].as_u64());
    let after = get(a, "/api/report").json();
    assert!(after["snapshot"]["commit"].as_u64() > before["snapshot"]["commit"].as_u64());
    assert_eq!(after["traffic"], both["traffic"]);
    let email = get(a, "/api/report?channel=email").json();
    assert_eq!(email["snapshot"], after["snapshot"]);
    assert_eq!(
        email["traffic"]["sessions"].as_u64().unwrap(),
        count_of(&both["acquisition"]["channels"], "email")
    );
    let (_, second) = report_json(d, &["--data", "data", "--from", "2024-03-02"]);
    let day = get(a, "/api/report?from=2024-03-02").json();
    assert!(second["traffic"]["sessions"].as_u64().unwrap() > 0);
    assert_eq!(day["traffic"], second["traffic"]);
}

#[test]
fn impossible_dates_are_refused_by_the_api_and_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[s(&sample())]);
    for q in ["to=2024-13-01", "from=2024-02-31", "from=2023-02-29"] {
        let r = get(&server.addr, &format!("/api/report?{q}"));
        assert_eq!(r.status, 400, "{q}: {}", r.body);
        assert!(
            r.json()["error"]
                .as_str()
                .unwrap()
                .contains("is not a date"),
            "{q}"
        );
    }
    assert_eq!(get(&server.addr, "/api/report?from=2024-02-29").status, 200);
    let (code, _, err) =
        run(clickpath(dir.path()).args(["report", "--from", "2024-02-31", s(&sample())]));
    assert_eq!(code, 2);
    assert!(err.contains("`2024-02-31` is not a date"), "{err}");
}

#[test]
fn a_dataset_is_served_with_its_own_session_settings() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (code, _, err) = run(clickpath(d).args([
        "ingest",
        "-q",
        "--data",
        "data",
        "--session-timeout",
        "10m",
        s(&sample()),
    ]));
    assert_eq!(code, 0, "{err}");
    let refused = Server::try_start(d, &["--data", "data", "--session-timeout", "30m"]);
    let (code, said) = refused.err().expect("refused");
    assert_eq!(code, 2);
    assert!(
        said.contains("ingested with --session-timeout 600s; this run asks for 1800s"),
        "{said}"
    );
    // Left out, the dataset's: the figures of the files read with a 10-minute timeout.
    let (_, files) = report_json(d, &["--session-timeout", "10m", s(&sample())]);
    let (_, thirty) = report_json(d, &[s(&sample())]);
    assert_ne!(files["traffic"]["sessions"], thirty["traffic"]["sessions"]);
    let server = Server::start(d, &["--data", "data"]);
    let api = get(&server.addr, "/api/report").json();
    assert_eq!(api["traffic"], files["traffic"]);
    for c in files["acquisition"]["channels"].as_array().unwrap() {
        let name = c["value"].as_str().unwrap();
        let r = get(&server.addr, &format!("/api/report?channel={name}")).json();
        assert_eq!(r["traffic"]["sessions"], c["count"], "{name}");
    }
}

#[test]
fn drill_down_shows_a_line_only_when_it_reads_as_the_request() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("logs")).unwrap();
    std::fs::create_dir_all(d.join("work")).unwrap();
    std::fs::create_dir_all(d.join("elsewhere")).unwrap();
    let original = crate::dashboard::sample_text();
    std::fs::write(d.join("logs/access.log"), &original).unwrap();
    // Ingested with a relative path from one directory, served from another.
    let (code, _, err) = run(clickpath(&d.join("work")).args([
        "ingest",
        "-q",
        "--data",
        "../data",
        "../logs/access.log",
    ]));
    assert_eq!(code, 0, "{err}");
    let server = Server::start(&d.join("elsewhere"), &["--data", "../data"]);
    let lines: Vec<&str> = original.lines().collect();
    let drill = || get(&server.addr, "/api/requests?path=/&status=200&limit=20").json();
    let r = drill();
    let found = r["requests"].as_array().unwrap();
    assert_eq!(found.len(), 20);
    for f in found {
        let n = f["line"].as_u64().unwrap() as usize;
        assert_eq!(f["raw"], lines[n - 1], "line {n}");
    }
    // The log rewritten with one line more at the top: line N is another request now, and a
    // line that merely contains the path `/` is not shown as this one's.
    let shifted = format!("{}\n{original}", lines[100]);
    std::fs::write(d.join("logs/access.log"), &shifted).unwrap();
    let now: Vec<&str> = shifted.lines().collect();
    let mut shown = 0;
    for f in drill()["requests"].as_array().unwrap() {
        let n = f["line"].as_u64().unwrap() as usize;
        if now[n - 1] == lines[n - 1] {
            assert_eq!(f["raw"], now[n - 1]);
        } else {
            assert_eq!(f["raw"], Value::Null, "line {n}: {}", now[n - 1]);
            shown += 1;
        }
    }
    assert!(shown > 10, "most lines moved");
}

#[test]
fn login_failures_are_counted_before_checking_per_client_and_revocation_is_live() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    add_user(d, "ana", "correct horse battery");
    let token = add_token(d, "script");
    let server = Server::start(d, &["--users", "users.json", s(&sample())]);
    let a = server.addr.clone();
    // 40 wrong passwords at once from one address: 5 failures counted, the rest refused.
    let (csrf, cookie) = login_form(&a);
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..40)
            .map(|i| {
                let (a, csrf, cookie) = (&a, &csrf, &cookie);
                scope
                    .spawn(move || post_login(a, cookie, csrf, "ana", &format!("wrong {i}")).status)
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let count = |s: u16| statuses.iter().filter(|&&x| x == s).count();
    assert_eq!((count(401), count(429)), (5, 35), "{statuses:?}");
    // Without --trusted-proxy, X-Forwarded-For changes nothing: still refused.
    let r = http(
        &a,
        "POST",
        "/login",
        &[
            ("Cookie", &cookie),
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("X-Forwarded-For", "198.51.100.9"),
        ],
        Some(&format!("csrf={csrf}&user=ana&password=x")),
    );
    assert_eq!(r.status, 429);
    drop(server);

    // Behind a trusted proxy, each client has its own limit.
    let server = Server::start(
        d,
        &[
            "--users",
            "users.json",
            "--trusted-proxy",
            "127.0.0.0/8",
            s(&sample()),
        ],
    );
    let a = server.addr.clone();
    let (csrf, cookie) = login_form(&a);
    let attempt = |client: &str, password: &str| {
        http(
            &a,
            "POST",
            "/login",
            &[
                ("Cookie", &cookie),
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("X-Forwarded-For", client),
            ],
            Some(&format!(
                "csrf={csrf}&user=ana&password={}",
                password.replace(' ', "+")
            )),
        )
    };
    let first: Vec<u16> = (0..6)
        .map(|_| attempt("198.51.100.1", "wrong").status)
        .collect();
    assert_eq!(first, [401, 401, 401, 401, 401, 429]);
    assert_eq!(attempt("198.51.100.2", "wrong").status, 401);
    let ok = attempt("198.51.100.3", "correct horse battery");
    assert_eq!(ok.status, 303);
    let session = ok.cookie("cp_session").unwrap();
    assert_eq!(
        http(&a, "GET", "/api/report", &[("Cookie", &session)], None).status,
        200
    );
    let bearer = format!("Bearer {token}");
    assert_eq!(
        http(
            &a,
            "GET",
            "/api/report",
            &[("Authorization", &bearer)],
            None
        )
        .status,
        200
    );
    // Removed from the users file: the running server refuses them at once.
    for name in ["ana", "script"] {
        let (code, _, err) =
            run(clickpath(d).args(["user", "remove", name, "--users", "users.json"]));
        assert_eq!(code, 0, "{err}");
    }
    assert_eq!(
        http(&a, "GET", "/api/report", &[("Cookie", &session)], None).status,
        401
    );
    assert_eq!(
        http(
            &a,
            "GET",
            "/api/report",
            &[("Authorization", &bearer)],
            None
        )
        .status,
        401
    );
}

#[test]
fn compact_keeps_the_files_a_reader_may_still_be_reading() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    loggen(d, crate::dataset::LOG);
    let (code, _, err) = run(clickpath(d).args([
        "ingest",
        "-q",
        "--data",
        "data",
        "--commit-every",
        "256KiB",
        "access.log",
    ]));
    assert_eq!(code, 0, "{err}");
    let (_, reference) = report_json(d, &["--data", "data"]);
    let old: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("data/manifest.json")).unwrap())
            .unwrap();
    let old_files: Vec<String> = old["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_owned())
        .collect();
    assert!(old_files.len() > 10);
    // A reader running while compact rewrites every day.
    let reader = clickpath(d)
        .args(["report", "--json", "-q", "--data", "data"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(150));
    let (code, _, err) = run(clickpath(d).args(["compact", "--data", "data"]));
    assert_eq!(code, 0, "{err}");
    let out = reader.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut during: Value = serde_json::from_slice(&out.stdout).unwrap();
    during.as_object_mut().unwrap().remove("input");
    let mut reference = reference;
    reference.as_object_mut().unwrap().remove("input");
    assert_eq!(during, reference);
    // Every file of the earlier manifest is still there for such readers...
    for f in &old_files {
        assert!(
            d.join("data").join(f).is_file(),
            "{f} was deleted under readers"
        );
    }
    // ... until the grace period is over (0 here): the next write deletes them.
    let (code, _, err) =
        run(clickpath(d).args(["compact", "--data", "data", "--keep-replaced", "0s"]));
    assert_eq!(code, 0, "{err}");
    assert!(old_files.iter().all(|f| !d.join("data").join(f).exists()));
}

#[test]
fn sql_statements_are_split_by_the_parser_not_at_every_semicolon() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (code, _, err) = run(clickpath(d).args(["ingest", "-q", "--data", "data", s(&sample())]));
    assert_eq!(code, 0, "{err}");
    let q = "SELECT 'a;b' AS text; -- a comment; with a semicolon\n\
             /* and; another */ SELECT count(*) AS n, 'x;y' AS s FROM requests WHERE path <> ';'";
    let (code, out, err) = run(clickpath(d).args(["sql", "--data", "data", "--output", "csv", q]));
    assert_eq!(code, 0, "{err}");
    // The sample's truth: 19,998 well-formed requests, none with path `;`.
    assert_eq!(out.trim(), "n,s\n19998,x;y");
}

/// Sessions of a hand-made log under each setting, counted by every path that computes them:
/// the report from the files, the report from the dataset, the dataset's session ids, and SQL's
/// `sessionize` over the dataset.
#[test]
fn each_session_setting_gives_the_same_sessions_through_all_three_paths() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let line = |ip: &str, t: &str, path: &str| {
        format!("{ip} - - [{t} +0000] \"GET {path} HTTP/1.1\" 200 100 \"-\" \"{HUMAN}\"\n")
    };
    let log = [
        // A: 23:50 and 00:10 the next day: one session, two when split at midnight; 20 min
        // apart, two with a 10-minute timeout.
        line("192.0.2.1", "01/Mar/2024:23:50:00", "/"),
        line("192.0.2.1", "02/Mar/2024:00:10:00", "/a"),
        // B: a page view with another campaign 10 min after landing from one: two sessions
        // when split on campaign; 5-minute gaps keep it one otherwise.
        line(
            "192.0.2.2",
            "02/Mar/2024:10:00:00",
            "/?utm_source=news&utm_medium=email&utm_campaign=c1",
        ),
        line("192.0.2.2", "02/Mar/2024:10:05:00", "/p"),
        line(
            "192.0.2.2",
            "02/Mar/2024:10:10:00",
            "/?utm_source=ads&utm_medium=cpc&utm_campaign=c2",
        ),
        // C: 15 minutes apart: two with a 10-minute timeout.
        line("192.0.2.3", "02/Mar/2024:11:00:00", "/"),
        line("192.0.2.3", "02/Mar/2024:11:15:00", "/b"),
    ]
    .concat();
    std::fs::write(d.join("hand.log"), log).unwrap();
    two_days(d);
    let settings: [(&[&str], u64, &str); 4] = [
        (&[], 3, "1800"),
        (
            &["--split-at-midnight"],
            4,
            "1800, date, CAST(NULL AS VARCHAR)",
        ),
        (
            &["--split-on-campaign"],
            4,
            "1800, NULL::date, CASE WHEN is_page_view THEN coalesce(concat_ws('/', utm_source, utm_medium, utm_campaign), '') END",
        ),
        (&["--session-timeout", "10m"], 5, "600"),
    ];
    for (i, (flags, hand, args)) in settings.iter().enumerate() {
        for (log, want) in [("hand.log", Some(*hand)), ("access.log", None)] {
            let data = format!("data-{i}-{log}");
            let (_, files) = report_json(d, &[flags, &[log][..]].concat());
            let sessions = files["traffic"]["sessions"].as_u64().unwrap();
            if let Some(want) = want {
                assert_eq!(sessions, want, "{flags:?} by hand");
            }
            let (code, _, err) = run(clickpath(d)
                .args(["ingest", "-q", "--data", &data])
                .args(*flags)
                .arg(log));
            assert_eq!(code, 0, "{err}");
            let (_, from_data) = report_json(d, &["--data", &data]);
            assert_eq!(from_data["traffic"], files["traffic"], "{flags:?} {log}");
            let sql = |q: &str| {
                let (code, out, err) =
                    run(clickpath(d).args(["sql", "--data", &data, "--output", "csv", q]));
                assert_eq!(code, 0, "{q}: {err}");
                out.lines().nth(1).unwrap().parse::<u64>().unwrap()
            };
            let ids = sql("SELECT count(DISTINCT session_id) FROM requests");
            let sessionize = sql(&format!(
                "SELECT count(*) FROM (SELECT DISTINCT visitor, sessionize(ts, {args}) \
                 OVER (PARTITION BY visitor ORDER BY seq) FROM requests WHERE session_id IS NOT NULL)"
            ));
            assert_eq!((ids, sessionize), (sessions, sessions), "{flags:?} {log}");
        }
    }
}

#[test]
fn serve_and_ingest_take_the_configs_site_hosts_for_the_dataset() {
    // The dashboard over log files with -c: the dataset's channels use the config's hosts, so
    // every channel filter is that channel's row of the report.
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &["-c", s(&config()), s(&sample())]);
    let r = get(&server.addr, "/api/report").json();
    assert_eq!(r["site"]["hosts"][0], "shop.example.com");
    assert_eq!(r["site"]["hosts_from"], "flag");
}
