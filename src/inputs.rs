//! Shared by every command that reads logs: inputs, options, progress bar, line totals.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use std::io::Write;
use std::sync::Mutex;

use anyhow::{Context, Result};
use clickpath_formats::batch::RowOptions;
use clickpath_formats::input::{Source, expand};
use clickpath_formats::pipeline::{Options, Summary};
use clickpath_formats::presets::resolve;
use clickpath_model::{ClientKeyer, Secret};
use indicatif::{ProgressBar, ProgressStyle};

use crate::args::InputArgs;

/// Everything needed to run the parse pipeline over the user's inputs.
pub struct Inputs {
    pub sources: Vec<Source>,
    pub options: Options,
    pub progress: Progress,
}

impl Inputs {
    pub fn new(args: &InputArgs, raw_ip: bool) -> Result<Self> {
        if args.files.is_empty() {
            anyhow::bail!("no log file given: name files or globs (`-` reads stdin)");
        }
        let sources = expand(&args.files)?;
        let mut options = options(args, raw_ip)?;
        let total: u64 = sources.iter().map(Source::len).sum();
        let progress = Progress::new(total, args.quiet);
        options.progress = Some(Arc::clone(&progress.read));
        Ok(Self {
            sources,
            options,
            progress,
        })
    }
}

/// The parse options `args` ask for (without inputs: `receive` names its own files).
pub fn options(args: &InputArgs, raw_ip: bool) -> Result<Options> {
    let secret_path = Secret::default_path();
    let secret = Secret::load_or_create(&secret_path)?;
    let mut options = Options::new(RowOptions {
        raw_ip,
        client_from_forwarded_for: args.client_from_forwarded_for,
        keyer: ClientKeyer::new(secret),
        error_log_tz: args.error_log_tz,
    });
    options.threads = args.threads;
    if let Some(f) = &args.format {
        options.format = Some(Arc::new(resolve(f)?));
    }
    if let Some(path) = &args.rejects {
        let file = std::fs::File::create(path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        let out: Box<dyn Write + Send> = Box::new(std::io::BufWriter::new(file));
        options.rejects = Some(Arc::new(Mutex::new(out)));
    }
    Ok(options)
}

impl Inputs {
    /// After the parse: clears the progress bar and flushes the rejected-lines file.
    pub fn finish(&self) -> Result<()> {
        self.progress.finish();
        if let Some(w) = &self.options.rejects {
            w.lock()
                .map_err(|_| anyhow::anyhow!("the rejected-lines writer was poisoned"))?
                .flush()
                .context("cannot write the rejected lines")?;
        }
        Ok(())
    }
}

/// A progress bar on stderr when it is a terminal and the input is large enough to wait for.
pub struct Progress {
    read: Arc<AtomicU64>,
    bar: Option<ProgressBar>,
}

impl Progress {
    fn new(total: u64, quiet: bool) -> Self {
        let show = !quiet && std::io::stderr().is_terminal() && total > 32 << 20;
        let bar = show.then(|| {
            let bar = ProgressBar::new(total);
            bar.set_style(
                ProgressStyle::with_template(
                    "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
                )
                .expect("valid template"),
            );
            bar
        });
        Self {
            read: Arc::new(AtomicU64::new(0)),
            bar,
        }
    }

    pub fn tick(&self) {
        if let Some(b) = &self.bar {
            b.set_position(self.read.load(Ordering::Relaxed));
        }
    }

    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

/// The one-paragraph account of what was read, for stderr.
pub fn totals_line(summary: &Summary) -> String {
    let t = summary.totals();
    let mut s = format!(
        "read {} lines from {} file(s): {} requests, {} rejected",
        t.lines(),
        summary.files.len(),
        t.requests,
        t.rejected_total()
    );
    let reasons: Vec<String> = t
        .rejected_by_reason()
        .map(|(r, n)| format!("{} {n}", r.as_str()))
        .collect();
    if !reasons.is_empty() {
        s.push_str(&format!(" ({})", reasons.join(", ")));
    }
    if t.events > 0 {
        s.push_str(&format!(", {} error-log events", t.events));
        if t.continuation > 0 {
            s.push_str(&format!(
                " ({} continuation line{})",
                t.continuation,
                if t.continuation == 1 { "" } else { "s" }
            ));
        }
    }
    if t.blank + t.comments > 0 {
        s.push_str(&format!(
            ", {} blank, {} directive lines",
            t.blank, t.comments
        ));
    }
    if t.fallback > 0 {
        s.push_str(&format!(
            "; {} lines read with another format than their file's",
            t.fallback
        ));
    }
    if !summary.skipped.is_empty() {
        let names: Vec<&str> = summary
            .skipped
            .iter()
            .map(|f| f.source.name.as_str())
            .collect();
        s.push_str(&format!(
            "\n  {} file(s) skipped: {}",
            names.len(),
            names.join(", ")
        ));
    }
    if t.rejected_total() > 0 || !summary.skipped.is_empty() {
        s.push_str(
            "\n  `clickpath check-format FILE` shows the rejected lines and why a file was skipped",
        );
    }
    s
}

/// Says on stderr why each skipped input was skipped (what was tried, how to pass `--format`).
pub fn report_skipped(summary: &Summary) {
    for f in &summary.skipped {
        let what = if f.partly_read {
            "stopped reading"
        } else {
            "skipped"
        };
        eprintln!("clickpath: {what} {}: {}", f.source.name, f.reason);
    }
}

/// Exit status of a command that read logs: 0 when every input was read, 1 when some were
/// skipped (the output is complete for the others; docs/formats.md, "Exit status").
pub fn exit_status(summary: &Summary) -> std::process::ExitCode {
    if summary.skipped.is_empty() {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::from(1)
    }
}
