//! `clickpath check-format`: detected format, parse rate and rejected lines per file.

use std::process::ExitCode;

use anyhow::Result;
use clickpath_formats::pipeline::{self, FileSummary};
use serde_json::json;

use crate::args::CheckArgs;
use crate::inputs::{Inputs, totals_line};

pub fn run(args: CheckArgs) -> Result<ExitCode> {
    let inputs = Inputs::new(&args.input, false)?;
    let summary = pipeline::run(
        &inputs.sources,
        &inputs.options,
        |_, _| (),
        |()| {
            inputs.progress.tick();
            Ok(())
        },
    )?;
    inputs.finish()?;
    if args.json {
        let files: Vec<_> = summary.files.iter().map(file_json).collect();
        let t = summary.totals();
        let skipped: Vec<_> = summary
            .skipped
            .iter()
            .map(|f| json!({"file": f.source.name, "reason": f.reason, "partly_read": f.partly_read}))
            .collect();
        let doc = json!({
            "files": files,
            "skipped": skipped,
            "total": {
                "lines": t.lines(),
                "requests": t.requests,
                "events": t.events,
                "rejected": t.rejected_total(),
            },
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else {
        for f in &summary.files {
            print_file(f);
        }
        for f in &summary.skipped {
            println!("{}: skipped: {}", f.source.name, f.reason);
        }
        println!("{}", totals_line(&summary));
    }
    // Exit 1 when some lines were rejected or a file skipped, so scripts can tell.
    Ok(
        if summary.totals().rejected_total() > 0 || !summary.skipped.is_empty() {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        },
    )
}

fn rate(f: &FileSummary) -> f64 {
    let parseable = f.stats.requests + f.stats.events + f.stats.rejected_total();
    if parseable == 0 {
        100.0
    } else {
        100.0 * (f.stats.requests + f.stats.events) as f64 / parseable as f64
    }
}

fn file_json(f: &FileSummary) -> serde_json::Value {
    let reasons: serde_json::Map<String, serde_json::Value> = f
        .stats
        .rejected_by_reason()
        .map(|(r, n)| (r.as_str().to_owned(), n.into()))
        .collect();
    let samples: Vec<_> = f
        .stats
        .samples
        .iter()
        .map(|s| {
            json!({
                "line": s.line,
                "reason": s.reason.as_str(),
                "column": s.column + 1,
                "text": s.text,
            })
        })
        .collect();
    json!({
        "file": f.source.name,
        "format": f.format,
        "format_line": f.format_source,
        "compression": f.compression.as_str(),
        "lines": f.stats.lines(),
        "requests": f.stats.requests,
        "events": f.stats.events,
        "read_with_another_preset": f.stats.fallback,
        "rejected": f.stats.rejected_total(),
        "blank": f.stats.blank,
        "directives": f.stats.comments,
        "parse_rate": (rate(f) * 100.0).round() / 100.0,
        "rejected_by_reason": reasons,
        "samples": samples,
    })
}

fn print_file(f: &FileSummary) {
    let detected = match f.detection {
        Some((ok, n)) => format!("detected, {ok}/{n} sample lines"),
        None => "given".to_owned(),
    };
    println!(
        "{}: {} ({detected}), compression {}",
        f.source.name,
        f.format,
        f.compression.as_str()
    );
    if f.format.ends_with("_error") {
        println!(
            "  {} lines: {} events ({} continuation line{}), {} rejected ({:.2}% parsed), {} blank",
            f.stats.lines(),
            f.stats.events,
            f.stats.continuation,
            if f.stats.continuation == 1 { "" } else { "s" },
            f.stats.rejected_total(),
            rate(f),
            f.stats.blank,
        );
    } else {
        println!(
            "  {} lines: {} requests, {} rejected ({:.2}% parsed), {} blank, {} directives",
            f.stats.lines(),
            f.stats.requests,
            f.stats.rejected_total(),
            rate(f),
            f.stats.blank,
            f.stats.comments
        );
    }
    if f.stats.fallback > 0 {
        println!(
            "  {} lines did not fit {} and were read with another preset (runs of {} or more lines: the format changed mid-file)",
            f.stats.fallback,
            f.format,
            clickpath_formats::FALLBACK_RUN
        );
    }
    for (reason, n) in f.stats.rejected_by_reason() {
        println!("  {n:>8}  {reason}");
        for s in f.stats.samples.iter().filter(|s| s.reason == reason) {
            let text: String = s.text.chars().take(160).collect();
            println!(
                "            {}:{}:{}: {}",
                f.source.name,
                s.line,
                s.column + 1,
                text.escape_debug()
            );
        }
    }
}
