//! The report against loggen's ground truth (`../shared/tools/loggen.py --truth`), on small
//! generated files of several seeds, formats, time zones and incidents. Every figure the truth
//! gives for traffic must match exactly.

use std::path::Path;

use serde_json::Value;

use crate::{clickpath, loggen, run};

/// loggen's bot families, as the bot names clickpath reports.
const FAMILIES: &[(&str, &[&str])] = &[
    ("googlebot", &["Googlebot"]),
    ("bingbot", &["bingbot"]),
    ("ahrefsbot", &["AhrefsBot"]),
    ("python-requests", &["python-requests"]),
    ("headless-chrome", &["HeadlessChrome"]),
    ("curl", &["curl"]),
    // loggen's scanners include Go-http-client, an HTTP library by clickpath's taxonomy.
    ("scanner", &["zgrab", "Censys", "Nmap", "Go-http-client"]),
    ("tls-junk", &["(no user agent)"]),
    ("monitor", &["UptimeRobot"]),
    ("scraper", &["PriceScoutBot"]),
];

/// The example configuration that ships in the repository (its checkout funnel is loggen's).
fn example_config() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/clickpath.toml")
}

fn check(args: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let truth = loggen(dir.path(), args);
    let (code, out, err) = run(clickpath(dir.path())
        .args([
            "report",
            "--json",
            "--top",
            "1000",
            "access.log",
            "--config",
        ])
        .arg(example_config()));
    assert_eq!(code, 0, "{err}");
    let r: Value = serde_json::from_str(&out).unwrap();
    let t = &r["traffic"];
    let ctx = format!("loggen {args:?}");
    assert_eq!(
        r["input"]["rejected"], truth["malformed_lines"],
        "{ctx}: malformed lines"
    );
    assert_eq!(
        r["input"]["requests"], truth["valid_requests"],
        "{ctx}: requests"
    );
    assert_eq!(
        t["visitors"], truth["human_visitors_ip_ua"],
        "{ctx}: visitors"
    );
    assert_eq!(t["sessions"], truth["human_sessions"], "{ctx}: sessions");
    assert_eq!(
        t["pageviews"], truth["human_pageviews"],
        "{ctx}: page views"
    );
    assert_eq!(
        t["human_requests"], truth["human_requests"],
        "{ctx}: human requests"
    );
    assert_eq!(
        t["bot_requests"], truth["bot_requests"],
        "{ctx}: bot requests"
    );
    let statuses: serde_json::Map<String, Value> = r["statuses"]["all"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            (
                row["value"].as_str().unwrap().to_owned(),
                row["count"].clone(),
            )
        })
        .collect();
    assert_eq!(
        Value::Object(statuses),
        truth["status_counts"],
        "{ctx}: status counts"
    );
    let by_name = r["bots"]["by_name"].as_array().unwrap();
    for (family, n) in truth["bot_requests_by_family"].as_object().unwrap() {
        let names = FAMILIES
            .iter()
            .find(|(f, _)| f == family)
            .unwrap_or_else(|| panic!("unknown loggen family {family}"))
            .1;
        let ours: u64 = by_name
            .iter()
            .filter(|b| names.contains(&b["name"].as_str().unwrap()))
            .map(|b| b["requests"].as_u64().unwrap())
            .sum();
        assert_eq!(ours, n.as_u64().unwrap(), "{ctx}: bot family {family}");
    }
    // The checkout funnel, step by step, and the errors that cost it.
    let funnel = &r["funnels"][0];
    let steps: Vec<(String, u64)> = funnel["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_owned(),
                s["sessions"].as_u64().unwrap(),
            )
        })
        .collect();
    let want: Vec<(String, u64)> = truth["funnel_sequential"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_u64().unwrap()))
        .collect();
    assert_eq!(steps.len(), want.len(), "{ctx}");
    for (name, n) in &want {
        assert!(
            steps.contains(&(name.clone(), *n)),
            "{ctx}: step {name}: {steps:?} vs {want:?}"
        );
    }
    // In order, the last step's sessions are the funnel's conversions; loggen's `conversions`
    // (sessions with a confirmation in any order) is the `order` goal (the last step's pattern).
    assert_eq!(
        funnel["conversions"], truth["funnel_sequential"]["confirm"],
        "{ctx}: conversions"
    );
    assert_eq!(r["goals"][0]["name"], "order");
    assert_eq!(
        r["goals"][0]["conversions"], truth["conversions"],
        "{ctx}: sessions with an order"
    );
    let restart = args
        .iter()
        .any(|a| a.starts_with("restart@") || a.starts_with("outage-5xx@"));
    let server = &funnel["server_errors"];
    if restart {
        // A restart answers every page 502/503 for a while: more step URLs get a 5xx than
        // loggen's payment-only count.
        assert!(
            server["sessions"].as_u64() >= truth["sessions_payment_5xx"].as_u64(),
            "{ctx}"
        );
    } else {
        assert_eq!(
            server["sessions"], truth["sessions_payment_5xx"],
            "{ctx}: sessions with a 5xx"
        );
        assert_eq!(
            server["not_converted"], truth["sessions_payment_5xx_not_converted"],
            "{ctx}: of those, not converted"
        );
    }
    assert_eq!(
        r["errors"]["broken_internal_links"], truth["status_404_internal_referrer"],
        "{ctx}: internal broken links"
    );
    // Visitor split and sessions agree with each other.
    let returning = truth["visitors_by_session_count"].as_object().unwrap();
    let one = returning.get("1").and_then(Value::as_u64).unwrap_or(0);
    assert_eq!(t["visitors_new"], one, "{ctx}: visitors with one session");
}

#[test]
fn combined_utc_with_sporadic_payment_errors() {
    check(&["--seed", "7", "--lines", "30000", "--format", "combined"]);
}

#[test]
fn vhost_combined_behind_utc_over_midnight() {
    check(&[
        "--seed",
        "11",
        "--lines",
        "25000",
        "--format",
        "vhost_combined",
        "--tz",
        "-0500",
        "--start-date",
        "2024-03-01T23:30",
    ]);
}

#[test]
fn nginx_json_ahead_of_utc_with_more_malformed_lines() {
    check(&[
        "--seed",
        "23",
        "--lines",
        "20000",
        "--format",
        "json",
        "--tz",
        "+0530",
        "--malformed-rate",
        "0.003",
    ]);
}

#[test]
fn returning_visitors_and_incidents() {
    // Low traffic over many hours so visitors come back; a scraper surge and a restart.
    check(&[
        "--seed",
        "5",
        "--lines",
        "40000",
        "--visitors-per-hour",
        "300",
        "--incident",
        "bot-surge@+2h+3m:15",
        "--incident",
        "restart@+3h+10m",
        "--ooo-rate",
        "0.01",
    ]);
}
