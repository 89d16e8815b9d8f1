//! `clickpath top`: the live terminal dashboard (`clickpath-tui`) over the dashboard's own
//! backend: the files are followed into a temporary dataset as `serve --follow` does, every
//! report is `report --data`'s for the filter, and a drill-down is `/api/requests`'.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use clickpath_server::{Backend, Drill, Filter};
use clickpath_tui::{Answer, App, Pairs};

use super::report;
use super::serve::{self, DatasetBackend, Feed, Opened};
use crate::args::{ReportArgs, TopArgs};

struct TopSource {
    backend: DatasetBackend,
    feed: Feed,
    /// A watcher's alert state, for a dataset given with `--data`.
    alerts: Option<PathBuf>,
    _temporary: Option<tempfile::TempDir>,
}

fn query(pairs: &Pairs) -> HashMap<String, String> {
    pairs.iter().cloned().collect()
}

impl clickpath_tui::Source for TopSource {
    fn answer(&mut self, filter: &Pairs) -> Result<Answer, String> {
        let f = Filter::from_query(&query(filter), &[])?;
        let (_, doc) = self.backend.report(&f).map_err(|e| e.message)?;
        let report = serde_json::from_value(doc).map_err(|e| format!("the report: {e}"))?;
        let alerts = self
            .alerts
            .as_ref()
            .filter(|dir| dir.join("state.json").exists())
            .map(|dir| {
                clickpath_alerts::engine::saved_alert_states(dir)
                    .into_iter()
                    .map(|((name, state), k)| (name, state, k))
                    .collect()
            });
        Ok(Answer {
            report,
            alerts,
            filter: filter.clone(),
        })
    }

    fn requests(&mut self, filter: &Pairs, drill: &Pairs) -> Result<(u64, Vec<String>), String> {
        let f = Filter::from_query(&query(filter), &[])?;
        let d = Drill::from_query(&query(drill))?;
        let v = self.backend.requests(&f, &d).map_err(|e| e.message)?;
        let lines = v["requests"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| {
                let text = r["raw"].as_str().or(r["summary"].as_str()).unwrap_or("");
                format!(
                    "{}:{}  {text}",
                    r["file"].as_str().unwrap_or("?"),
                    r["line"]
                )
            })
            .collect();
        Ok((v["total"].as_u64().unwrap_or(0), lines))
    }

    fn follow(&mut self) -> Result<bool, String> {
        let (changed, said) = self
            .feed
            .poll_quietly()
            .map_err(|e| format!("following: {e:#}"))?;
        match said.into_iter().next() {
            Some(s) if !changed => Err(s),
            _ => Ok(changed),
        }
    }
}

pub fn run(args: TopArgs) -> Result<ExitCode> {
    let interactive = std::io::stdout().is_terminal() && std::io::stdin().is_terminal();
    if !interactive && args.screen.is_none() {
        // Piped or redirected: the printed report of the same inputs.
        return report::run(ReportArgs {
            input: args.input,
            json: false,
            csv: None,
            html: None,
            data: args.data,
            from: None,
            to: None,
            settings: args.settings,
            geoip: args.geoip,
        });
    }
    let name = if args.input.files.is_empty() {
        args.data.as_ref().map_or_else(
            || "the default dataset".to_owned(),
            |d| d.display().to_string(),
        )
    } else {
        args.input.files.join(" ")
    };
    let Opened {
        dir,
        feed,
        temporary,
        report,
    } = serve::open(
        &args.input,
        args.data.as_ref(),
        &args.settings,
        args.geoip.as_ref(),
    )?;
    let mut source = TopSource {
        backend: DatasetBackend::new(dir.clone(), report),
        alerts: temporary.is_none().then(|| dir.join("alerts")),
        feed,
        _temporary: temporary,
    };
    let color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    if let Some((w, h)) = args.screen {
        use clickpath_tui::Source;
        let mut app = App::new(&name, false);
        app.set_answer(source.answer(&Pairs::new()).map_err(anyhow::Error::msg)?);
        for line in clickpath_tui::draw::screen_text(&app, w, h) {
            println!("{line}");
        }
        return Ok(ExitCode::SUCCESS);
    }
    clickpath_tui::run(
        source,
        &name,
        color,
        Duration::from_millis(args.poll_ms.max(50)),
    )
    .context("the terminal")?;
    Ok(ExitCode::SUCCESS)
}
