//! `clickpath watch`: follows the logs into the dataset and evaluates the alert rules as lines
//! come (the work is `clickpath-alerts`'s; docs/alerts.md).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use arrow_array::RecordBatch;
use arrow_array::cast::AsArray;
use arrow_array::types::TimestampMicrosecondType;
use clickpath_alerts::engine::WINDOW;
use clickpath_alerts::metrics::{self, Snapshot};
use clickpath_alerts::notify::{self, Receiver};
use clickpath_alerts::{AlertsConfig, Engine, Live, Settings};
use clickpath_model::{field, format_date, parse_date};
use clickpath_store::dataset::Manifest;
use serde::Deserialize;

use crate::args::{DataArgs, IngestArgs, InputArgs, ReportArgs, ReportSettings, WatchArgs};
use crate::commands::{ingest, report};

/// The `[alerts]` section of a config file (the rest is `report`'s).
pub fn alerts_config(path: Option<&Path>) -> Result<AlertsConfig> {
    #[derive(Deserialize)]
    struct File {
        #[serde(default)]
        alerts: AlertsConfig,
    }
    let Some(path) = path else {
        return Ok(AlertsConfig::default());
    };
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let f: File = toml::from_str(&text)
        .map_err(|e| anyhow::anyhow!("{}: {}", path.display(), e.to_string().trim_end()))?;
    Ok(f.alerts)
}

/// The config's alert settings with `--notify` receivers added, and the receivers built.
pub fn settings(config: Option<&Path>, notify: &[String]) -> Result<(Settings, Vec<Receiver>)> {
    let mut settings = alerts_config(config)?.build()?;
    for spec in notify {
        settings.receivers.push(notify::from_spec(spec)?);
    }
    let receivers = settings
        .receivers
        .iter()
        .enumerate()
        .map(|(i, c)| notify::build(c, i))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((settings, receivers))
}

pub fn wall_micros() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64)
}

/// The report's settings over the dataset `dir`.
pub fn traffic_config(
    dir: &Path,
    settings: &ReportSettings,
) -> Result<clickpath_analytics::TrafficConfig> {
    report::config(&ReportArgs {
        input: InputArgs::default(),
        json: true,
        csv: None,
        html: None,
        data: Some(dir.to_owned()),
        from: None,
        to: None,
        settings: settings.clone(),
        geoip: None,
    })
}

/// Rows with `ts >= from`.
fn since(from: i64) -> clickpath_ingest::replay::Mask {
    std::sync::Arc::new(move |b: &RecordBatch| {
        let ts = b
            .column_by_name(field::TS)
            .and_then(|c| c.as_primitive_opt::<TimestampMicrosecondType>())
            .ok_or("no ts column")?;
        Ok(ts
            .iter()
            .map(|t| Some(t.is_some_and(|t| t >= from)))
            .collect())
    })
}

/// Replays the dataset's recent rows into `live`: from 6 hours before the last minute
/// evaluated (a restart: minutes after it are evaluated now), or on a first start its last day,
/// only to warm the rules up.
fn warm_up(dir: &Path, live: &mut Live) -> Result<()> {
    let Some(m) = Manifest::load(dir)? else {
        return Ok(());
    };
    let until = live.engine.evaluated_until();
    let (from_ts, quiet) = match until {
        Some(u) => (u * 60_000_000 - WINDOW, Some(u)),
        None => {
            let last = m.files.iter().map(|f| f.date.as_str()).max();
            let day = last.and_then(parse_date).unwrap_or(0);
            ((day - 1) * 86_400_000_000, Some(i64::MAX))
        }
    };
    // Files are by local date: a day earlier holds every row of the UTC time.
    let first_date = format_date(from_ts.div_euclid(86_400_000_000) - 1);
    live.quiet_until(quiet);
    let keep = since(from_ts);
    clickpath_ingest::replay::replay(
        dir,
        &m,
        Some(&first_date),
        None,
        live,
        Some((keep, &[field::TS])),
    )?;
    if quiet == Some(i64::MAX) {
        // From here on, what comes is news.
        live.quiet_until(live.current_minute().map(|c| c - 1));
    }
    Ok(())
}

fn source_names(dir: &Path) -> Vec<String> {
    Manifest::load(dir)
        .ok()
        .flatten()
        .map(|m| m.sources.iter().map(|s| s.name.clone()).collect())
        .unwrap_or_default()
}

/// Directories to watch for file events: those of the inputs.
fn watched_dirs(files: &[String]) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = files
        .iter()
        .filter(|f| *f != "-")
        .map(|f| {
            let p = Path::new(f);
            if p.is_dir() {
                p.to_owned()
            } else {
                p.parent()
                    .filter(|d| !d.as_os_str().is_empty())
                    .map_or_else(|| PathBuf::from("."), Path::to_owned)
            }
        })
        .collect();
    dirs.sort();
    dirs.dedup();
    dirs
}

fn snapshot(live: &Live, lines: (u64, u64)) -> Snapshot {
    let e = &live.engine;
    let mut alerts = std::collections::BTreeMap::new();
    for a in e.alerts().by_fingerprint.values() {
        *alerts
            .entry((a.rule.clone(), a.status.as_str().to_owned()))
            .or_insert(0) += 1;
    }
    let classes = ["none", "1xx", "2xx", "3xx", "4xx", "5xx"];
    Snapshot {
        host: e.host().to_owned(),
        requests_by_class: classes
            .iter()
            .zip(live.by_class)
            .map(|(c, n)| ((*c).to_owned(), n))
            .collect(),
        human_requests: e.totals.0,
        bot_requests: e.totals.1,
        conversions: e
            .funnel()
            .map(|f| [(f.to_owned(), e.totals.2)].into())
            .unwrap_or_default(),
        active_sessions: live.aggregator().map_or(0, |a| a.open_sessions() as u64),
        lines_read: lines.0,
        lines_rejected: lines.1,
        events_read: live.events,
        lag_seconds: live
            .last_seen()
            .map_or(0.0, |t| ((wall_micros() - t) as f64 / 1e6).max(0.0)),
        alerts,
        fired: e.fired,
        resolved: e.resolved,
        receivers: e.deliveries(),
    }
}

pub fn run(args: WatchArgs) -> Result<ExitCode> {
    if args.input.files.is_empty() {
        anyhow::bail!(
            "give the log files to follow (access and error logs; globs and directories are fine)"
        );
    }
    let dir = args.data.dir();
    let state_dir = args
        .state
        .state
        .clone()
        .unwrap_or_else(|| dir.join("alerts"));
    let (settings, receivers) = settings(args.settings.config.as_deref(), &args.notify)?;
    if receivers.is_empty() {
        eprintln!(
            "clickpath: no receiver (--notify or [[alerts.receiver]]): alerts are only printed"
        );
    }
    let ingest_args = IngestArgs {
        input: InputArgs {
            quiet: true,
            ..args.input.clone()
        },
        data: DataArgs {
            data: Some(dir.clone()),
        },
        session: args.settings.session.clone(),
        raw_ip: false,
        commit_every: 256 << 20,
        geoip: None,
        config: args.settings.config.clone(),
    };
    // A new dataset takes what the files hold now (it warms the rules up, nothing is told);
    // files without a complete line yet are waited for.
    let mut said = false;
    while clickpath_ingest::stored_settings(&dir)?.is_none() {
        let out = ingest::ingest_into(&ingest_args, &mut clickpath_ingest::Discard)?;
        if clickpath_ingest::stored_settings(&dir)?.is_some() {
            eprintln!("clickpath: {}", crate::inputs::totals_line(&out.summary));
            break;
        }
        if args.once {
            anyhow::bail!("no complete line in the files yet");
        }
        if !said {
            eprintln!("clickpath: waiting for the first lines");
            said = true;
        }
        std::thread::sleep(Duration::from_millis(args.poll_ms));
    }
    let traffic = traffic_config(&dir, &args.settings)?;
    let host = traffic
        .site_hosts
        .first()
        .cloned()
        .unwrap_or_else(|| "-".into());
    let funnel = traffic.funnels.first().map(|f| f.name.clone());
    let mut engine = Engine::open(&state_dir, settings, &host)?;
    engine.set_funnel(funnel);
    engine.start_delivery(receivers)?;
    engine.source_names = Box::new({
        let dir = dir.clone();
        move || source_names(&dir)
    });
    let mut live = Live::new(traffic, engine);
    warm_up(&dir, &mut live)?;
    live.follow();
    let mut lines = (0u64, 0u64);
    let exposed: Arc<Mutex<Snapshot>> = Arc::new(Mutex::new(snapshot(&live, (0, 0))));
    if let Some(bind) = args.metrics {
        let s = exposed.clone();
        let addr = clickpath_server::serve_metrics(
            bind,
            Arc::new(move || metrics::text(&s.lock().map(|s| s.clone()).unwrap_or_default())),
        )?;
        eprintln!("clickpath: metrics at http://{addr}/metrics");
    }
    // inotify wakes the loop at once; the poll is the fallback (and finds new files).
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let _watcher = {
        use ::notify::Watcher;
        let tx = tx.clone();
        match ::notify::recommended_watcher(move |_: ::notify::Result<::notify::Event>| {
            let _ = tx.send(());
        }) {
            Ok(mut w) => {
                for d in watched_dirs(&args.input.files) {
                    if let Err(e) = w.watch(&d, ::notify::RecursiveMode::NonRecursive) {
                        eprintln!("clickpath: cannot watch {} ({e}); polling it", d.display());
                    }
                }
                Some(w)
            }
            Err(e) => {
                eprintln!(
                    "clickpath: no file events ({e}); polling every {} ms",
                    args.poll_ms
                );
                None
            }
        }
    };
    eprintln!(
        "clickpath: watching {} file argument(s) into {}; alert state in {}",
        args.input.files.len(),
        dir.display(),
        state_dir.display()
    );
    let mut last_growth = Instant::now();
    let mut seen = (live.requests, live.events);
    loop {
        let round = ingest::ingest_into(&ingest_args, &mut live);
        live.end_round();
        if args.once {
            live.end_round();
        }
        match round {
            Ok(out) => {
                let t = out.summary.totals();
                lines.0 += t.lines();
                lines.1 += t.rejected_total();
            }
            // A file renamed away mid-read, a disk full: said, and tried again.
            Err(e) => eprintln!("clickpath: watching: {e:#}"),
        }
        if (live.requests, live.events) != seen {
            seen = (live.requests, live.events);
            last_growth = Instant::now();
        }
        live.tick_and_dispatch(Some(last_growth.elapsed().as_micros() as i64));
        let (told, error) = live.take();
        for n in told {
            eprintln!(
                "clickpath: {} ({} alert(s), id {})",
                n.subject(),
                n.alerts.len(),
                n.id
            );
        }
        if let Some(e) = error {
            // Journals are how nothing is lost: without them, stop.
            return Err(e.into());
        }
        if let Ok(mut s) = exposed.lock() {
            *s = snapshot(&live, lines);
        }
        if args.once {
            // Until the receivers took what is due (a bounded wait).
            let start = Instant::now();
            while live.engine.deliveries().iter().any(|d| d.3 > 0)
                && start.elapsed() < Duration::from_secs(30)
            {
                std::thread::sleep(Duration::from_millis(50));
            }
            return Ok(ExitCode::SUCCESS);
        }
        let _ = rx.recv_timeout(Duration::from_millis(args.poll_ms));
        // One pass for a burst of events.
        std::thread::sleep(Duration::from_millis(20));
        while rx.try_recv().is_ok() {}
    }
}
