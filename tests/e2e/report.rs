//! `clickpath report`: terminal tables, JSON, CSV, configuration, hostile log content.

use serde_json::Value;

use crate::{clickpath, run};

fn sample() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/sample/access.log.gz")
}

fn example_config() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/clickpath.toml")
}

#[test]
fn terminal_report_of_the_shipped_sample() {
    let dir = tempfile::tempdir().unwrap();
    let truth: Value = serde_json::from_str(
        &std::fs::read_to_string(sample().with_file_name("truth.json")).unwrap(),
    )
    .unwrap();
    // The README's quick start: both logs of the sample.
    let (code, out, err) = run(clickpath(dir.path())
        .arg("report")
        .arg(sample())
        .arg(sample().with_file_name("error.log.gz"))
        .arg("--config")
        .arg(example_config()));
    assert_eq!(code, 0, "{err}");
    let visitors = truth["human_visitors_ip_ua"].as_u64().unwrap();
    assert!(
        out.contains(&format!("  Visitors              {visitors} ")),
        "{out}"
    );
    let lines = 20_000 + truth["error_log"]["total_lines"].as_u64().unwrap();
    assert!(
        out.contains(&format!("read {lines} lines from 2 file(s)")),
        "{out}"
    );
    // The injected outage, told, with the causes of its 5xx.
    let incident = &truth["incidents"][0];
    assert_eq!(incident["kind"], "outage-5xx");
    assert!(
        out.contains("Incidents\n  1. error_burst 2024-03-01T10:"),
        "{out}"
    );
    assert!(
        out.contains("Server errors (5xx) ran far above their usual share"),
        "{out}"
    );
    for (status, causes) in truth["error_log"]["explained"].as_object().unwrap() {
        for (cause, n) in causes.as_object().unwrap() {
            if cause != "none" {
                let row = format!("  {status} {cause} ");
                let line = out
                    .lines()
                    .find(|l| l.starts_with(&row))
                    .unwrap_or_else(|| panic!("no row {row}: {out}"));
                assert!(line.trim_end().ends_with(&format!(" {n}")), "{line}: {n}");
            }
        }
    }
    assert!(out.contains("Funnel checkout (session mode)"), "{out}");
    assert!(out.contains("Goal order:"), "{out}");
    assert!(out.contains("Broken links:"), "{out}");
    for line in out.lines() {
        assert!(
            line.chars().count() <= 100,
            "wider than 100 columns: {line}"
        );
    }
}

#[test]
fn hostile_log_content_is_escaped_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let evil_ua =
        r#"Mozilla/5.0 (X11; Linux x86_64) Firefox/121.0 \x1b[2J<script>alert(1)</script>"#;
    let line = |t: &str, path: &str| {
        format!(
            "192.0.2.1 - - [01/Mar/2024:10:00:{t} +0000] \"GET {path} HTTP/1.1\" 200 1 \"-\" \"{evil_ua}\"\n"
        )
    };
    let text = [
        line("00", "/=cmd|' /C calc'!A0"),
        line("05", "/\\x1b]0;owned\\x07"),
        // A right-to-left override, raw in the log: "/order/\u{202e}cba" shows as
        // "/order/abc" on a terminal that obeys it.
        line("07", "/order/\u{202e}cba"),
    ]
    .concat();
    std::fs::write(dir.path().join("a.log"), text).unwrap();
    let (code, out, err) = run(clickpath(dir.path()).args(["report", "a.log", "--top", "50"]));
    assert_eq!(code, 0, "{err}");
    assert!(
        !out.contains('\u{1b}') && !out.contains('\u{7}'),
        "raw control characters reached the terminal"
    );
    assert!(out.contains("\\u{1b}"), "{out}");
    assert!(
        !out.contains('\u{202e}'),
        "a bidi override reached the terminal"
    );
    assert!(out.contains("/order/\\u{202e}cba"), "{out}");
    // JSON keeps the text, escaped as JSON.
    let (_, json, _) =
        run(clickpath(dir.path()).args(["report", "a.log", "--json", "--top", "50"]));
    let r: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(r["technology"]["browsers"][0]["value"], "Firefox");
    let tops: Vec<&str> = r["pages"]["top"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["value"].as_str().unwrap())
        .collect();
    assert!(tops.contains(&"/\u{1b}]0;owned\u{7}"), "{tops:?}");
    // SQL's table escapes text inside nested values too (the sessions' page steps).
    let (code, _, err) = run(clickpath(dir.path()).args(["ingest", "-q", "--data", "d", "a.log"]));
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = run(clickpath(dir.path()).args([
        "sql",
        "--data",
        "d",
        "SELECT page_steps FROM sessions WHERE page_views > 1",
    ]));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("owned") && out.contains("gap_us: 5000000"),
        "{out}"
    );
    assert!(!out.contains('\u{1b}') && !out.contains('\u{7}'), "{out}");
    // CSV cells that a spreadsheet would run as formulas are defused.
    let campaign = "192.0.2.9 - - [01/Mar/2024:11:00:00 +0000] \"GET /?utm_source=%3DHYPERLINK(1)&utm_medium=x HTTP/1.1\" 200 1 \"-\" \"Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0\"\n";
    let mut text = std::fs::read_to_string(dir.path().join("a.log")).unwrap();
    text.push_str(campaign);
    std::fs::write(dir.path().join("a.log"), text).unwrap();
    let (code, _, err) = run(clickpath(dir.path()).args(["report", "a.log", "--csv", "out"]));
    assert_eq!(code, 0, "{err}");
    let campaigns = std::fs::read_to_string(dir.path().join("out/campaigns.csv")).unwrap();
    assert!(campaigns.contains("'=hyperlink(1),x,,1\r\n"), "{campaigns}");
    let summary = std::fs::read_to_string(dir.path().join("out/summary.csv")).unwrap();
    assert!(summary.contains("sessions,2\r\n"), "{summary}");
}

#[test]
fn funnel_shorthand_and_top() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = run(clickpath(dir.path())
        .args([
            "report",
            "--json",
            "--top",
            "3",
            "--funnel",
            "buy:/product/*,/cart,/checkout/confirm",
        ])
        .arg(sample()));
    assert_eq!(code, 0, "{err}");
    let r: Value = serde_json::from_str(&out).unwrap();
    let steps: Vec<&str> = r["funnels"][0]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(steps, ["/product/*", "/cart", "/checkout/confirm"]);
    assert_eq!(r["pages"]["top"].as_array().unwrap().len(), 3);
    assert_eq!(r["version"], 1);
}

#[test]
fn configuration_errors_name_the_file_and_the_mistake() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.log"),
        "192.0.2.1 - - [01/Mar/2024:10:00:00 +0000] \"GET / HTTP/1.1\" 200 1\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("bad.toml"),
        "[[funnel]]\nname = \"f\"\nstep = []\n",
    )
    .unwrap();
    let (code, _, err) =
        run(clickpath(dir.path()).args(["report", "a.log", "--config", "bad.toml"]));
    assert_eq!(code, 2);
    assert!(
        err.contains("bad.toml") && err.contains("unknown field `step`"),
        "{err}"
    );
    std::fs::write(
        dir.path().join("bad.toml"),
        "[[goal]]\nname = \"g\"\nfunnel = \"nope\"\n",
    )
    .unwrap();
    let (code, _, err) =
        run(clickpath(dir.path()).args(["report", "a.log", "--config", "bad.toml"]));
    assert_eq!(code, 2);
    assert!(
        err.contains("in bad.toml") && err.contains("no funnel named `nope`"),
        "{err}"
    );
    let (code, _, err) =
        run(clickpath(dir.path()).args(["report", "a.log", "--funnel", "nocolon"]));
    assert_eq!(code, 2);
    assert!(err.contains("NAME:/step1"), "{err}");
    let (code, _, err) =
        run(clickpath(dir.path()).args(["report", "a.log", "--session-timeout", "ten"]));
    assert_eq!(code, 2);
    assert!(err.contains("not a duration"), "{err}");
}

#[test]
fn countries_from_a_maxmind_database() {
    let dir = tempfile::tempdir().unwrap();
    crate::mmdb::write_country_db(
        &dir.path().join("geo.mmdb"),
        &[([192, 0, 2, 0], 24, "DE"), ([198, 51, 100, 0], 24, "FR")],
    );
    let ua = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0";
    let text: String = [
        "192.0.2.1",
        "192.0.2.77",
        "198.51.100.3",
        "203.0.113.9",
        "2001:db8::1",
    ]
    .iter()
    .map(|ip| {
        format!("{ip} - - [01/Mar/2024:10:00:00 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"{ua}\"\n")
    })
    .collect();
    std::fs::write(dir.path().join("a.log"), text).unwrap();
    let (code, out, err) =
        run(clickpath(dir.path()).args(["report", "a.log", "--json", "--geoip", "geo.mmdb"]));
    assert_eq!(code, 0, "{err}");
    let r: Value = serde_json::from_str(&out).unwrap();
    let rows: Vec<(&str, u64)> = r["technology"]["countries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["value"].as_str().unwrap(), c["count"].as_u64().unwrap()))
        .collect();
    assert_eq!(rows, [("DE", 2), ("unknown", 2), ("FR", 1)]);
    assert!(
        !out.contains("192.0.2.1"),
        "addresses never reach the report"
    );
    let (code, _, err) = run(clickpath(dir.path()).args(["report", "a.log", "--geoip", "a.log"]));
    assert_eq!(code, 2);
    assert!(
        err.contains("cannot read the GeoIP database a.log"),
        "{err}"
    );
}

#[test]
fn a_log_without_user_agents_counts_its_requests_as_humans() {
    // NCSA common has no user-agent field: nothing tells bots apart, so nothing is a bot.
    let dir = tempfile::tempdir().unwrap();
    let nasa =
        crate::corpus().join("nasa-http-1995-sample/NASA_access_log_Aug95.head.WRAPPED-LINES.txt");
    let (code, out, err) = run(clickpath(dir.path()).arg("report").arg(&nasa));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("note: Some lines come from a format without user agents"),
        "{out}"
    );
    for line in out.lines() {
        assert!(
            line.chars().count() <= 100,
            "wider than 100 columns: {line}"
        );
    }
    let (_, json, _) = run(clickpath(dir.path()).args(["report", "--json"]).arg(&nasa));
    let r: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        (
            r["traffic"]["human_requests"].as_u64(),
            r["traffic"]["bot_requests"].as_u64()
        ),
        (Some(1841), Some(0))
    );
    assert!(r["traffic"]["visitors"].as_u64().unwrap() > 100);
    assert_eq!(r["notes"].as_array().unwrap().len(), 1);
}

#[test]
fn countries_looked_up_at_ingest_reach_the_dataset_report_and_not_the_addresses() {
    let dir = tempfile::tempdir().unwrap();
    crate::mmdb::write_country_db(
        &dir.path().join("geo.mmdb"),
        &[([192, 0, 2, 0], 24, "DE"), ([198, 51, 100, 0], 24, "FR")],
    );
    let ua = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0";
    let text: String = ["192.0.2.1", "192.0.2.77", "198.51.100.3", "203.0.113.9"]
        .iter()
        .map(|ip| {
            format!(
                "{ip} - - [01/Mar/2024:10:00:00 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"{ua}\"\n"
            )
        })
        .collect();
    std::fs::write(dir.path().join("a.log"), text).unwrap();
    let (code, _, err) = run(clickpath(dir.path()).args([
        "ingest", "-q", "--data", "data", "--geoip", "geo.mmdb", "a.log",
    ]));
    assert_eq!(code, 0, "{err}");
    let json = |args: &[&str]| -> Value {
        let (code, out, err) = run(clickpath(dir.path()).args(["report", "--json"]).args(args));
        assert_eq!(code, 0, "{err}");
        serde_json::from_str(&out).unwrap()
    };
    let from_data = json(&["--data", "data"]);
    let from_file = json(&["--geoip", "geo.mmdb", "a.log"]);
    assert_eq!(
        from_data["technology"]["countries"],
        from_file["technology"]["countries"]
    );
    assert_eq!(from_data["technology"]["countries"][0]["value"], "DE");
    let (_, rows, _) = run(clickpath(dir.path()).args([
        "sql", "--data", "data", "--output", "csv",
        "SELECT count(*) FILTER (WHERE ip IS NOT NULL) AS ips, count(country) AS countries FROM requests",
    ]));
    assert_eq!(rows.trim(), "ips,countries\n0,3");
    let (code, _, err) =
        run(clickpath(dir.path()).args(["report", "--data", "data", "--geoip", "geo.mmdb"]));
    assert_eq!(code, 2);
    assert!(err.contains("looked up when it is ingested"), "{err}");
    // The dashboard filters by it.
    let server = crate::http::Server::start(dir.path(), &["--data", "data"]);
    let de = crate::http::get(&server.addr, "/api/report?country=DE").json();
    assert_eq!(de["traffic"]["sessions"], 2);
    let (code, _, _) =
        run(clickpath(dir.path()).args(["ingest", "-q", "--data", "plain", "a.log"]));
    assert_eq!(code, 0);
    let server = crate::http::Server::start(dir.path(), &["--data", "plain"]);
    let r = crate::http::get(&server.addr, "/api/report?country=DE");
    assert_eq!(r.status, 400);
    assert!(
        r.body.contains("ingest the logs with `--geoip"),
        "{}",
        r.body
    );
}
