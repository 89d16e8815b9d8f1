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
    ingest_with(data, file, false)
}

/// [`ingest`], sessions split at local midnight or not.
fn ingest_with(data: &Path, file: &Path, split_at_midnight: bool) {
    let cfg = IngestConfig {
        dir: data.to_path_buf(),
        settings: GivenSettings {
            site_hosts: vec!["shop.example.com".into()],
            split_at_midnight,
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

/// The example `clickpath.toml` (two funnels, one in window mode, three goals, money).
fn example_config() -> clickpath_analytics::FileConfig {
    let example = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/clickpath.toml"),
    )
    .unwrap();
    toml::from_str(&example).unwrap()
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
    streaming_report_of(data, cfg, None)
}

/// The streaming report of one local date (`report --data --from D --to D`).
fn streaming_report_of(data: &Path, cfg: &TrafficConfig, date: Option<&str>) -> Value {
    let m = clickpath_store::dataset::open_for_read(data).unwrap();
    let mut cfg = cfg.clone();
    if let Some(d) = date {
        let day = clickpath_model::parse_date(d).unwrap();
        cfg.days = Some((day, day));
    }
    let mut agg = clickpath_analytics::TrafficAggregator::new(cfg);
    clickpath_ingest::replay::replay(data, &m, date, date, &mut agg, None).unwrap();
    serde_json::to_value(agg.finish()).unwrap()
}

/// The first place where `a` and `b` differ (`path: a != b`), or None.
fn first_difference(path: &str, a: &Value, b: &Value) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter().find_map(|k| {
                let (u, v) = (&x.get(k), &y.get(k));
                match (u, v) {
                    (Some(u), Some(v)) => first_difference(&format!("{path}.{k}"), u, v),
                    _ => Some(format!("{path}.{k}: {u:?} != {v:?}")),
                }
            })
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (u, v))| first_difference(&format!("{path}[{i}]"), u, v)),
        _ => (a != b).then(|| format!("{path}: {a} != {b}")),
    }
}

/// The whole report as plans is the streaming report, every figure.
fn assert_planned_report(engine: &Engine, filter: &Filter, cfg: &TrafficConfig, report: &Value) {
    let planned = engine
        .report(filter, cfg)
        .unwrap()
        .expect("the dataset names its site");
    let planned = serde_json::to_value(planned).unwrap();
    if let Some(d) = first_difference("report", &planned, report) {
        panic!("{filter:?}: {d}");
    }
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
    // Two more human visitors. One turned away twice by a WAF after a page view (hand count: one
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
    // And one whose second line, written later, is 100 s earlier (hand count: one session,
    // begun at 14:30 where it arrived, though its earliest request is at 14:29).
    for (t, path) in [("14:30:50", "/"), ("14:29:10", "/about")] {
        whole.extend_from_slice(
            format!(
                "198.51.100.8 - - [02/Mar/2024:{t} +0100] \"GET {path} HTTP/1.1\" 200 512 \"-\" \"{firefox}\"\n"
            )
            .as_bytes(),
        );
    }
    let sessions = truth["human_sessions"].as_u64().unwrap() + 2;
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
    let mut cfg = report_config(&data, top);
    // The example's goals (a funnel's last step, a POST answered 3xx, a regex with a value).
    cfg.goals = example_config().build().unwrap().1;
    let report = streaming_report(&data, &cfg);
    let engine = Engine::open(&data).unwrap();
    assert_planned_report(&engine, &Filter::default(), &cfg, &report);
    // One date: a session counts on the date of its earliest request, all of it, so the days'
    // sessions add up to loggen's (the streaming report of one date cuts a session across
    // midnight in two, one part on each day).
    let one_day = |day: &str| Filter {
        from: Some(day.into()),
        to: Some(day.into()),
        ..Default::default()
    };
    let days = ["2024-03-01", "2024-03-02"];
    let by_day: u64 = days
        .iter()
        .map(|d| {
            engine
                .report(&one_day(d), &cfg)
                .unwrap()
                .unwrap()
                .traffic
                .sessions
        })
        .sum();
    assert_eq!(json!(by_day), sessions);
    // Where sessions end at midnight, both ways of reading one date agree, every figure.
    let split = d.join("split");
    ingest_with(&split, &d.join("growing.log"), true);
    let mut split_cfg = report_config(&split, top);
    split_cfg.goals = cfg.goals.clone();
    let split_engine = Engine::open(&split).unwrap();
    for day in days {
        let report = streaming_report_of(&split, &split_cfg, Some(day));
        assert_planned_report(&split_engine, &one_day(day), &split_cfg, &report);
    }
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
    // A combined log has no response times: no slow pages on either side.
    assert_eq!(requests["slow_pages"], report["errors"]["slow_pages"]);
    let links = serde_json::to_value(
        engine
            .broken_links(&Filter::default(), &report_site_hosts(&report), None, top)
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

    let goals =
        serde_json::to_value(engine.goals(&Filter::default(), &cfg.goals, top).unwrap()).unwrap();
    assert_eq!(goals, report["goals"]);
    // loggen's shop takes orders and adds to carts (it has no newsletter).
    for g in &report["goals"].as_array().unwrap()[..2] {
        assert!(g["conversions"].as_u64().unwrap() > 0, "{g}");
    }
    let email = Filter {
        channel: Some("email".into()),
        ..Default::default()
    };
    let email_goals = engine.goals(&email, &cfg.goals, top).unwrap();
    let email_row = |g: &Value| -> Value {
        g["by_channel"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["value"] == "email")
            .unwrap()["conversions"]
            .clone()
    };
    for (plan, whole) in email_goals.iter().zip(report["goals"].as_array().unwrap()) {
        assert_eq!(json!(plan.conversions), email_row(whole), "{}", plan.name);
    }

    // The timeline: per minute (out-of-order lines start their sessions where they arrived).
    let timeline = clickpath_query::views::timeline(
        &engine.request_figures(&Filter::default(), top).unwrap(),
        &engine.session_figures(&Filter::default(), &cfg).unwrap(),
    );
    let timeline = serde_json::to_value(timeline).unwrap();
    assert_eq!(timeline, report["time"]["timeline"]);
    let started: u64 = timeline
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["sessions_started"].as_u64().unwrap())
        .sum();
    assert_eq!(started, sessions);

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

#[test]
fn slow_pages_as_a_plan_equal_the_streaming_report() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let truth = loggen(d, &["--seed", "8", "--lines", "6000", "--format", "json"]);
    // loggen writes no response times: each JSON line gets nginx's `request_time`, 0-2.047 s
    // spread by line number.
    let text = std::fs::read_to_string(d.join("access.log")).unwrap();
    let mut timed = String::new();
    for (i, line) in text.lines().enumerate() {
        match line.strip_suffix('}') {
            Some(open) if line.starts_with('{') => {
                let ms = (i * 7919) % 2048;
                timed.push_str(&format!(
                    "{open},\"request_time\":\"{}.{:03}\"}}\n",
                    ms / 1000,
                    ms % 1000
                ));
            }
            _ => {
                timed.push_str(line);
                timed.push('\n');
            }
        }
    }
    std::fs::write(d.join("timed.log"), timed).unwrap();
    let data = d.join("data");
    ingest(&data, &d.join("timed.log"));
    let cfg = report_config(&data, 10_000);
    let report = streaming_report(&data, &cfg);
    assert_eq!(report["traffic"]["sessions"], truth["human_sessions"]);
    let engine = Engine::open(&data).unwrap();
    let requests =
        serde_json::to_value(engine.request_figures(&Filter::default(), 10_000).unwrap()).unwrap();
    let slow = &requests["slow_pages"];
    assert_eq!(slow, &report["errors"]["slow_pages"]);
    // Every human page view has a time: their views add up to the page views.
    let views: u64 = slow
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["views"].as_u64().unwrap())
        .sum();
    assert_eq!(views, report["traffic"]["pageviews"].as_u64().unwrap());
    assert!(slow[0]["p95_ms"].as_u64().unwrap() > slow[0]["p50_ms"].as_u64().unwrap());
}

#[test]
fn error_causes_and_funnels_as_plans_equal_the_streaming_report_and_loggen() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let err = d.join("error.log");
    let truth = loggen(
        d,
        &[
            "--seed",
            "9",
            "--lines",
            "30000",
            "--visitors-per-hour",
            "60",
            "--incident",
            "outage-5xx@+13h+20m",
            "--incident",
            "server-restart@+6h+2m",
            "--error-log",
            err.to_str().unwrap(),
            "--error-log-format",
            "nginx",
        ],
    );
    let data = d.join("data");
    ingest(&data, &err);
    ingest(&data, &d.join("access.log"));
    let mut cfg = report_config(&data, 50);
    let example = example_config();
    cfg.funnels = example.build().unwrap().0;
    cfg.money = clickpath_analytics::Money {
        average_order_value: example.average_order_value,
        currency: example.currency.clone(),
    };
    let report = streaming_report(&data, &cfg);
    let engine = Engine::open(&data).unwrap();
    assert_planned_report(&engine, &Filter::default(), &cfg, &report);
    let (causes, error_log) = engine.causes(&Filter::default(), None).unwrap();
    let causes = serde_json::to_value(causes).unwrap();
    assert_eq!(causes, report["errors"]["causes"]);
    let error_log = serde_json::to_value(error_log).unwrap();
    assert_eq!(error_log, report["error_log"]);
    // loggen's truth of the error log: its lines by level.
    let by_level: serde_json::Map<String, Value> = error_log["by_level"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["value"].as_str().unwrap().to_owned(), r["count"].clone()))
        .collect();
    assert_eq!(
        Value::Object(by_level),
        truth["error_log"]["lines_by_level"]
    );
    // loggen's truth: each 5xx, 404, 403 and 429 response's cause.
    let explained = truth["error_log"]["explained"].as_object().unwrap();
    let mut checked = 0;
    for row in causes.as_array().unwrap() {
        let status = row["status"].as_u64().unwrap();
        if !(status >= 500 || [403, 404, 429].contains(&status)) {
            continue;
        }
        let want = &explained[&status.to_string()][row["cause"].as_str().unwrap()];
        assert_eq!(&row["requests"], want, "{row}");
        checked += 1;
    }
    let kinds: usize = explained
        .values()
        .map(|c| c.as_object().unwrap().len())
        .sum();
    assert_eq!(checked, kinds);
    assert!(kinds >= 6, "{explained:?}");

    // The example's funnels (session and window mode) over the same log: steps, errors in the
    // funnel with their causes, lost conversions, breakdowns.
    let planned = engine
        .funnels(&Filter::default(), &cfg.funnels, &cfg.money, 50)
        .unwrap();
    let funnels = serde_json::to_value(&planned.reports).unwrap();
    assert_eq!(funnels, report["funnels"]);
    // The broken links met inside a funnel.
    let links = engine
        .broken_links(
            &Filter::default(),
            &report_site_hosts(&report),
            Some(&planned),
            50,
        )
        .unwrap();
    let links = serde_json::to_value(links).unwrap();
    for key in ["internal_links", "external_links"] {
        assert_eq!(links[key], report["errors"][key], "errors.{key}");
    }
    let in_funnel: u64 = report["errors"]["internal_links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["in_funnel_sessions"].as_u64().unwrap())
        .sum();
    assert!(in_funnel > 0);
    assert_eq!(funnels.as_array().unwrap().len(), 2);
    // loggen's truth: sessions per step of the checkout funnel, in order.
    let checkout = &report["funnels"][0];
    for step in checkout["steps"].as_array().unwrap() {
        let name = step["name"].as_str().unwrap();
        assert_eq!(step["sessions"], truth["funnel_sequential"][name], "{name}");
    }
    assert_eq!(checkout["conversions"], truth["conversions"]);
    let causes_in_funnel: u64 = checkout["lost_conversions"]["by_step"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["errored_by_cause"].as_object().unwrap().iter())
        .filter(|(cause, _)| *cause != "none")
        .map(|(_, n)| n.as_u64().unwrap())
        .sum();
    assert!(causes_in_funnel > 0, "{checkout}");
    // The restarts, reloads and incidents, told with the funnel's lost conversions.
    let stories = engine
        .incidents(
            &Filter::default(),
            &cfg,
            Some(&planned),
            &report_site_hosts(&report),
        )
        .unwrap();
    assert_eq!(json!(stories.restarts), report["restarts"]);
    assert_eq!(json!(stories.reloads), report["reloads"]);
    assert_eq!(json!(stories.incidents), report["incidents"]);
    // RFC 3339 UTC to the second, which compare as text.
    let second = |t: &str| t[..19].to_owned();
    // loggen's truth: the web server stopped once, and that stop is an incident, as is the
    // outage; the outage's window saw requests for the funnel's steps.
    let kinds: Vec<&str> = stories.incidents.iter().map(|i| i.kind.as_str()).collect();
    assert!(kinds.len() >= 2, "{kinds:?}");
    let injected = truth["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == "outage-5xx")
        .unwrap();
    let (from, to) = (
        second(injected["start"].as_str().unwrap()),
        second(injected["end"].as_str().unwrap()),
    );
    let outage = stories
        .incidents
        .iter()
        .find(|i| second(&i.start) < to && second(&i.end) > from)
        .expect("the outage is an incident");
    assert!(outage.human_requests > 0 && outage.causes["upstream_timeout"] > 0);
    assert!(
        outage.funnel_steps.iter().any(|s| s.count > 0),
        "{outage:?}"
    );
    let servers: Vec<&Value> = truth["error_log"]["restarts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["kind"] == "server")
        .collect();
    let planned_servers = stories.restarts.iter().filter(|r| r.kind == "server");
    assert_eq!(planned_servers.count(), servers.len());
    let stop = stories
        .incidents
        .iter()
        .find(|i| i.kind == "server_restart")
        .expect("the stop is an incident");
    assert!(second(&stop.start) <= second(servers[0]["start"].as_str().unwrap()));
    assert!(second(&stop.end) >= second(servers[0]["end"].as_str().unwrap()));

    // A filter: the email sessions' funnel is the report's email row of the breakdown.
    let email = Filter {
        channel: Some("email".into()),
        ..Default::default()
    };
    let planned = engine
        .funnels(&email, &cfg.funnels, &cfg.money, 50)
        .unwrap()
        .reports;
    let row = checkout["breakdown"]["channel"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["value"] == "email")
        .unwrap();
    let planned_steps: Vec<u64> = planned[0].steps.iter().map(|s| s.sessions).collect();
    assert_eq!(json!(planned_steps), row["steps"]);
}
