//! `clickpath ingest`: logs into the dataset, each line once (the work is `clickpath-ingest`'s).

use std::process::ExitCode;

use anyhow::Result;
use clickpath_ingest::{Discard, IngestConfig, Outcome, Sink};

use std::path::Path;

use crate::args::{DataArgs, IngestArgs, SessionArgs};
use crate::commands::report::read_config;
use crate::inputs::{Inputs, exit_status, report_skipped, totals_line};

pub fn run(args: IngestArgs) -> Result<ExitCode> {
    let outcome = ingest(&args)?;
    report_skipped(&outcome.summary);
    eprintln!("clickpath: {}", totals_line(&outcome.summary));
    eprintln!("clickpath: {}", outcome.added);
    Ok(exit_status(&outcome.summary))
}

/// The ingest `args` ask for (also `serve`'s, into its temporary dataset).
pub fn config(args: &IngestArgs) -> Result<IngestConfig> {
    dataset_config(
        &args.data,
        &args.session,
        args.raw_ip,
        args.geoip.as_deref(),
        args.config.as_deref(),
        args.commit_every,
    )
}

/// Where and how rows are written: the dataset, its settings from the flags and the config
/// file's site hosts (`ingest`, `serve`, `watch` and `receive`).
pub fn dataset_config(
    data: &DataArgs,
    session: &SessionArgs,
    raw_ip: bool,
    geoip: Option<&Path>,
    config: Option<&Path>,
    commit_every: u64,
) -> Result<IngestConfig> {
    let file = read_config(config, &[])?;
    let mut settings = session.given(&file.site_hosts);
    settings.raw_ip = raw_ip;
    settings.geoip = geoip.is_some();
    Ok(IngestConfig {
        dir: data.dir(),
        settings,
        commit_every,
        geoip: geoip.map(Path::to_path_buf),
    })
}

/// Ingests the new lines of `args`' files into its dataset.
pub fn ingest(args: &IngestArgs) -> Result<Outcome> {
    let outcome = ingest_into(args, &mut Discard)?;
    for s in notices(&outcome) {
        eprintln!("clickpath: {s}");
    }
    Ok(outcome)
}

/// What an ingest has to say besides its totals: an unfinished ingest cleaned up, files passed
/// over and why.
pub fn notices(outcome: &Outcome) -> Vec<String> {
    let mut said = Vec::new();
    if outcome.removed > 0 {
        said.push(format!(
            "removed {} file(s) of an ingest that did not finish; it resumed from the last commit",
            outcome.removed
        ));
    }
    said.extend(
        outcome
            .passed_over
            .iter()
            .map(|(name, why)| format!("{name}: {why}")),
    );
    said
}

/// [`ingest`] without its messages, each batch also handed to `sink` (`watch`).
pub fn ingest_into(args: &IngestArgs, sink: &mut dyn Sink) -> Result<Outcome> {
    let cfg = config(args)?;
    let inputs = Inputs::new(&args.input, args.raw_ip)?;
    let outcome = clickpath_ingest::ingest_into(
        &cfg,
        &inputs.sources,
        inputs.options.clone(),
        || inputs.progress.tick(),
        sink,
    )?;
    inputs.finish()?;
    Ok(outcome)
}
