//! The report's figures as plans (`clickpath_query::views`) equal the streaming report's over
//! the same dataset: a loggen log (two local days, out-of-order and malformed lines, campaigns)
//! ingested in many commits and two runs, so that sessions cross commits and runs.

use std::path::Path;
use std::process::Command;

use clickpath_analytics::TrafficConfig;
use clickpath_formats::batch::RowOptions;
use clickpath_formats::input::Source;
use clickpath_formats::pipeline::Options;
use clickpath_ingest::{GivenSettings, IngestConfig};
use clickpath_model::{ClientKeyer, Secret};
use clickpath_query::Engine;
use clickpath_query::views::Filter;
use serde_json::{Value, json};

fn loggen(dir: &Path, args: &[&str]) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/tools/loggen.py");
    let out = dir.join("access.log");
    let truth = dir.join("truth.json");
    let status = Command::new("python3")
        .arg(script)
        .args(args)
        .arg("--out")
        .arg(&out)
        .arg("--truth")
        .arg(&truth)
        .status()
        .expect("python3 runs loggen");
    assert!(status.success());
    serde_json::from_str(&std::fs::read_to_string(truth).unwrap()).unwrap()
}

fn options() -> Options {
    Options::new(RowOptions {
        raw_ip: false,
        client_from_forwarded_for: false,
        keyer: ClientKeyer::new(Secret::from_bytes([7; 16])),
        error_log_tz: None,
    })
}

fn ingest(data: &Path, file: &Path) {
    let cfg = IngestConfig {
        dir: data.to_path_buf(),
        settings: GivenSettings {
            site_hosts: vec!["shop.example.com".into()],
            ..Default::default()
        },
        commit_every: 512 << 10,
        geoip: None,
    };
    clickpath_ingest::ingest(&cfg, &[Source::file(file)], options(), || {}).unwrap();
}

/// The report's settings for the dataset (its own session settings), `top` rows per list.
fn report_config(data: &Path, top: usize) -> TrafficConfig {
    let m = clickpath_store::dataset::open_for_read(data).unwrap();
    let s = clickpath_ingest::DatasetSettings::from_json(data, &m.settings).unwrap();
    let mut cfg = s.traffic_config();
    cfg.top = top;
    cfg
}

/// The site's hosts the report used.
fn report_site_hosts(report: &Value) -> Vec<String> {
    report["site"]["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap().to_owned())
        .collect()
}

/// The streaming report over the dataset (`report --data`).
fn streaming_report(data: &Path, cfg: &TrafficConfig) -> Value {
    let m = clickpath_store::dataset::open_for_read(data).unwrap();
    let mut agg = clickpath_analytics::TrafficAggregator::new(cfg.clone());
    clickpath_ingest::replay::replay(data, &m, None, None, &mut agg, None).unwrap();
    serde_json::to_value(agg.finish()).unwrap()
}

#[test]
fn session_figures_as_plans_equal_the_streaming_report() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let truth = loggen(
        d,
        &[
            "--seed",
            "5",
            "--lines",
            "40000",
            "--visitors-per-hour",
            "40",
            "--tz",
            "+0100",
        ],
    );
    // One more human visitor, turned away twice by a WAF after a page view (hand count: one
    // session, two rejected requests, both 403), after loggen's last line.
    let mut whole = std::fs::read(d.join("access.log")).unwrap();
    let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0";
    for (t, path, status) in [
        ("14:00:00", "/", 200),
        ("14:00:05", "/admin", 403),
        ("14:00:09", "/admin", 403),
    ] {
        whole.extend_from_slice(
            format!(
                "198.51.100.7 - - [02/Mar/2024:{t} +0100] \"GET {path} HTTP/1.1\" {status} 512 \"-\" \"{firefox}\"\n"
            )
            .as_bytes(),
        );
    }
    let sessions = truth["human_sessions"].as_u64().unwrap() + 1;
    // Two runs: the first half of the log, then all of it (the open sessions carried over).
    let half = whole.len() / 2;
    let cut = half + whole[half..].iter().position(|&b| b == b'\n').unwrap() + 1;
    let growing = d.join("growing.log");
    std::fs::write(&growing, &whole[..cut]).unwrap();
    let data = d.join("data");
    ingest(&data, &growing);
    std::fs::write(&growing, &whole).unwrap();
    ingest(&data, &growing);

    let top = 50;
    let cfg = report_config(&data, top);
    let report = streaming_report(&data, &cfg);
    let engine = Engine::open(&data).unwrap();
    let plans =
        serde_json::to_value(engine.session_figures(&Filter::default(), &cfg).unwrap()).unwrap();
    // The report itself against loggen's truth, then the plans against the report.
    assert_eq!(report["traffic"]["sessions"], sessions);
    for key in [
        "human_requests",
        "visitors",
        "visitors_new",
        "visitors_returning",
        "sessions",
        "sessions_returning",
        "pageviews",
        "sessions_with_pageviews",
        "pages_per_session",
        "bounces",
        "bounce_rate",
        "session_duration",
        "time_on_page",
    ] {
        assert_eq!(
            plans["traffic"][key], report["traffic"][key],
            "traffic.{key}"
        );
    }
    for key in ["entry", "exit", "paths", "next", "time_on_page"] {
        assert_eq!(plans[key], report["pages"][key], "pages.{key}");
    }
    assert!(report["pages"]["next"]["to"].as_array().unwrap().len() > 3);
    assert_eq!(plans["acquisition"], report["acquisition"]);
    assert_eq!(plans["technology"], report["technology"]);
    let sessions_of = |rows: &Value| -> Value {
        rows.as_array()
            .unwrap()
            .iter()
            .map(|r| json!({"value": r["at"], "count": r["sessions"]}))
            .collect()
    };
    assert_eq!(plans["by_day"], sessions_of(&report["time"]["by_day"]));
    let hours: Value = sessions_of(&report["time"]["by_hour"])
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["count"] != 0)
        .cloned()
        .collect();
    assert_eq!(plans["by_hour"], hours);

    let requests =
        serde_json::to_value(engine.request_figures(&Filter::default(), top).unwrap()).unwrap();
    for key in ["requests", "human_requests", "bot_requests"] {
        assert_eq!(requests[key], report["traffic"][key], "traffic.{key}");
    }
    assert_eq!(requests["period"], report["period"]);
    assert_eq!(requests["statuses"], report["statuses"]);
    assert_eq!(requests["bots"], report["bots"]);
    assert_eq!(requests["top_pages"], report["pages"]["top"]);
    let links = serde_json::to_value(
        engine
            .broken_links(&Filter::default(), &report_site_hosts(&report), top)
            .unwrap(),
    )
    .unwrap();
    for key in ["broken_internal_links", "internal_links", "external_links"] {
        assert_eq!(links[key], report["errors"][key], "errors.{key}");
    }
    assert!(report["errors"]["internal_links"].as_array().unwrap().len() > 3);
    for key in ["rejected_bots", "crawler_not_found"] {
        assert_eq!(requests[key], report["errors"][key], "errors.{key}");
    }
    let humans = clickpath_query::views::rejected_humans(
        &engine.request_figures(&Filter::default(), top).unwrap(),
        &engine.session_figures(&Filter::default(), &cfg).unwrap(),
    );
    assert_eq!(
        serde_json::to_value(humans).unwrap(),
        report["errors"]["rejected_humans"]
    );
    assert!(
        report["errors"]["rejected_humans"]["sessions"]
            .as_u64()
            .unwrap()
            > 0
    );
    let without_sessions = |rows: &Value| -> Value {
        rows.as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let mut r = r.clone();
                r.as_object_mut().unwrap().remove("sessions");
                r
            })
            .collect()
    };
    assert_eq!(
        requests["by_day"],
        without_sessions(&report["time"]["by_day"])
    );
    assert_eq!(
        requests["by_hour"],
        without_sessions(&report["time"]["by_hour"])
    );

    // A filter counts the sessions of its landing channel: each channel's row of the report.
    let mut total = 0;
    for row in report["acquisition"]["channels"].as_array().unwrap() {
        let filter = Filter {
            channel: Some(row["value"].as_str().unwrap().to_owned()),
            ..Default::default()
        };
        let f = engine.session_figures(&filter, &cfg).unwrap();
        assert_eq!(f.traffic.sessions, row["count"].as_u64().unwrap());
        assert_eq!(f.acquisition.channels.len(), 1);
        total += f.traffic.sessions;
    }
    assert_eq!(total, sessions);
}
