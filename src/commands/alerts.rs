//! `clickpath alerts`: silences, a test notification to every receiver, and a backfill of the
//! rules over the dataset's history.

use std::process::ExitCode;

use anyhow::{Context, Result};
use clickpath_alerts::payload::{Notification, NotifiedAlert};
use clickpath_alerts::{Engine, Live, silence};

use crate::args::{AlertStateArg, AlertsCommand, DataArgs};
use crate::commands::watch::{self, wall_micros};

fn state_dir(data: &DataArgs, state: &AlertStateArg) -> std::path::PathBuf {
    state
        .state
        .clone()
        .unwrap_or_else(|| data.dir().join("alerts"))
}

pub fn run(c: AlertsCommand) -> Result<ExitCode> {
    match c {
        AlertsCommand::Silence {
            data,
            state,
            length,
            comment,
            matchers,
        } => {
            let m = silence::matchers(&matchers)?;
            let dir = state_dir(&data, &state);
            let s = silence::add(&dir, m, wall_micros(), length * 1_000_000, &comment)?;
            println!(
                "silence {} until {} for {}",
                s.id,
                clickpath_alerts::payload::rfc3339(s.ends_at),
                clickpath_alerts::labels::text(&s.matchers)
            );
            Ok(ExitCode::SUCCESS)
        }
        AlertsCommand::Silences { data, state } => {
            let now = wall_micros();
            for s in silence::load(&state_dir(&data, &state))?
                .iter()
                .filter(|s| s.ends_at > now)
            {
                println!(
                    "{}\tuntil {}\t{}\t{}",
                    s.id,
                    clickpath_alerts::payload::rfc3339(s.ends_at),
                    clickpath_alerts::labels::text(&s.matchers),
                    s.comment
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        AlertsCommand::Test { notify, config } => {
            let (_, receivers) = watch::settings(config.as_deref(), &notify)?;
            if receivers.is_empty() {
                anyhow::bail!("no receiver: give --notify or a config with [[alerts.receiver]]");
            }
            let now = wall_micros();
            let labels: clickpath_alerts::labels::Labels = [
                ("alertname".to_owned(), "clickpath_test".to_owned()),
                ("severity".to_owned(), "none".to_owned()),
            ]
            .into();
            let n = Notification {
                id: format!("test-{now}"),
                group_key: "{}:{alertname=\"clickpath_test\"}".into(),
                group_labels: labels.clone(),
                status: "firing".into(),
                alerts: vec![NotifiedAlert {
                    status: "firing".into(),
                    fingerprint: clickpath_alerts::labels::fingerprint(&labels),
                    labels,
                    annotations: [(
                        "summary".to_owned(),
                        "A test notification from `clickpath alerts test`.".to_owned(),
                    )]
                    .into(),
                    starts_at: now,
                    ends_at: None,
                    generator_url: String::new(),
                }],
                external_url: String::new(),
                created: now,
            };
            let mut failed = 0;
            for r in receivers {
                match r.notifier.send(&n, &r.name) {
                    Ok(()) => println!("{} ({}): sent", r.name, r.kind),
                    Err(e) => {
                        failed += 1;
                        println!("{} ({}): FAILED: {e}", r.name, r.kind);
                    }
                }
            }
            Ok(if failed == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        AlertsCommand::Backfill {
            data,
            from,
            to,
            json,
            settings,
        } => {
            let dir = data.dir();
            let (alert_settings, _) = watch::settings(settings.config.as_deref(), &[])?;
            let traffic = watch::traffic_config(&dir, &settings)?;
            let host = traffic
                .site_hosts
                .first()
                .cloned()
                .unwrap_or_else(|| "-".into());
            let tmp = tempfile::tempdir().context("cannot create a temporary state")?;
            let engine = Engine::open(tmp.path(), alert_settings, &host)?;
            let mut live = Live::new(traffic, engine);
            let m = clickpath_store::dataset::open_for_read(&dir)?;
            live.quiet_until(None);
            clickpath_ingest::replay::replay(
                &dir,
                &m,
                from.as_deref(),
                to.as_deref(),
                &mut live,
                None,
            )?;
            let text =
                std::fs::read_to_string(tmp.path().join("history.jsonl")).unwrap_or_default();
            if json {
                print!("{text}");
            } else {
                for line in text.lines() {
                    let v: serde_json::Value = serde_json::from_str(line)?;
                    let s = |k: &str| v[k].as_str().unwrap_or("").to_owned();
                    println!(
                        "{}  {:<8} {:<16} since {}  {}",
                        s("at"),
                        s("status"),
                        s("alertname"),
                        s("startsAt"),
                        s("summary")
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
