//! `clickpath report`: the traffic report, as terminal tables, JSON or CSV files.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use std::sync::Arc;

use arrow_array::RecordBatch;
use clickpath_analytics::funnel_config::funnel_shorthand;
use clickpath_analytics::geo::GeoDb;
use clickpath_analytics::report::Row;
use clickpath_analytics::{FileConfig, Money, TrafficAggregator, TrafficConfig, TrafficReport};
use clickpath_formats::Format;
use clickpath_formats::input::{self, Compression, Source};
use clickpath_formats::pipeline::{self, FileSummary, Summary};
use clickpath_formats::rejects::LineStats;
use clickpath_formats::spec::FieldKind;
use clickpath_ingest::DatasetSettings;
use clickpath_model::parse_date;
use clickpath_store::dataset;
use serde::Serialize;
use serde_json::json;

use crate::args::ReportArgs;
use crate::commands::report_text;
use crate::commands::selection::{self, Selection};
use crate::inputs::{Inputs, exit_status, report_skipped};

/// Version of the JSON contract (docs/report-json.md).
pub const REPORT_VERSION: u32 = 1;

/// Reads a config file (TOML) and adds `--funnel` shorthands.
pub fn read_config(path: Option<&Path>, funnels: &[String]) -> Result<FileConfig> {
    let mut cfg = match path {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            toml::from_str::<FileConfig>(&text)
                .map_err(|e| anyhow::anyhow!("{}: {}", path.display(), e.to_string().trim_end()))?
        }
        None => FileConfig::default(),
    };
    for spec in funnels {
        cfg.funnel.push(funnel_shorthand(spec)?);
    }
    Ok(cfg)
}

/// The settings sessions are computed with: a dataset's own (flags and the config's
/// `site_hosts` must agree with them), else the flags' and the config's.
pub fn settings(report: &ReportArgs, file: &FileConfig) -> Result<DatasetSettings> {
    let given = report.settings.session.given(&file.site_hosts);
    Ok(match &report.data {
        Some(dir) => match clickpath_ingest::stored_settings(dir)? {
            Some(stored) => given.check(dir, &stored)?,
            None => {
                // Says there is no dataset and how to make one.
                dataset::open_for_read(dir)?;
                anyhow::bail!("no dataset in {}", dir.display())
            }
        },
        None => given.or_defaults(),
    })
}

pub fn config(report: &ReportArgs) -> Result<TrafficConfig> {
    let args = &report.settings;
    let file = read_config(args.config.as_deref(), &args.funnels)?;
    let (funnels, goals) = match &args.config {
        Some(path) => file
            .build()
            .with_context(|| format!("in {}", path.display()))?,
        None => file.build()?,
    };
    let s = settings(report, &file)?;
    Ok(TrafficConfig {
        top: args.top,
        next_from: Some(args.next_from.clone()),
        funnels,
        goals,
        money: Money {
            average_order_value: file.average_order_value,
            currency: file.currency.clone(),
        },
        days: date_range(report.from.as_deref(), report.to.as_deref()),
        error_log_tz: report.input.error_log_tz,
        geo: match &report.geoip {
            Some(path) => Some(Arc::new(GeoDb::open(path)?)),
            None => None,
        },
        ..s.traffic_config()
    })
}

/// Day numbers of `--from` / `--to`.
fn date_range(from: Option<&str>, to: Option<&str>) -> Option<(i64, i64)> {
    // Both were checked by the flag parser.
    let day = |s: &str| parse_date(s).unwrap_or_default();
    (from.is_some() || to.is_some()).then(|| (from.map_or(i64::MIN, day), to.map_or(i64::MAX, day)))
}

/// A parsed batch: requests of an access log (and whether it logs user agents), or events of an
/// error log.
pub enum Parsed {
    Requests(RecordBatch, bool),
    Events(RecordBatch),
}

impl Parsed {
    pub fn of(format: &Format, batch: RecordBatch) -> Parsed {
        if format.error_log().is_some() {
            Parsed::Events(batch)
        } else {
            Parsed::Requests(batch, format.logs(FieldKind::UserAgent))
        }
    }
}

/// Reads the logs, or the dataset with `--data`, into the aggregator.
fn aggregate(args: &ReportArgs, agg: &mut TrafficAggregator, geo: bool) -> Result<Summary> {
    if let Some(dir) = &args.data {
        if !args.input.files.is_empty() {
            anyhow::bail!("give either log files or --data DIR, not both");
        }
        if geo {
            anyhow::bail!(
                "a dataset's countries are looked up when it is ingested (`clickpath ingest --geoip FILE.mmdb`); --geoip goes with log files"
            );
        }
        let m = dataset::open_for_read(dir)?;
        return from_dataset(dir, &m, args.from.as_deref(), args.to.as_deref(), agg, None);
    }
    // Addresses are parsed only for the GeoIP lookup; the report never prints them.
    let mut inputs = Inputs::new(&args.input, geo)?;
    // Error logs first: their events explain the responses read after them.
    inputs.sources = input::error_logs_first(std::mem::take(&mut inputs.sources));
    let total: u64 = inputs.sources.iter().map(input::Source::len).sum();
    inputs.options.size_chunks_for(total);
    if total < pipeline::SMALL_INPUT_BYTES {
        crate::one_malloc_arena();
    }
    let summary = pipeline::run(&inputs.sources, &inputs.options, Parsed::of, |parsed| {
        inputs.progress.tick();
        match parsed {
            Parsed::Requests(batch, user_agents_logged) => agg.add(&batch, user_agents_logged),
            Parsed::Events(batch) => agg.add_events(&batch),
        }
        Ok(())
    })?;
    inputs.finish()?;
    report_skipped(&summary);
    Ok(summary)
}

/// The dataset's rows, in ingest order, as the aggregator reads log batches; only the
/// selected ones when a dashboard filter is given.
pub fn from_dataset(
    dir: &Path,
    m: &dataset::Manifest,
    from: Option<&str>,
    to: Option<&str>,
    agg: &mut TrafficAggregator,
    filter: Option<&clickpath_server::Filter>,
) -> Result<Summary> {
    let files = m.files_between(from, to);
    let selection = match filter {
        Some(f) => Selection::new(dir, m, &files, f)?,
        None => None,
    };
    let per_source = clickpath_ingest::replay::replay(dir, m, from, to, agg, selection.map(mask))?;
    Ok(summary_of(m, per_source))
}

/// As [`from_dataset`] for `filter` into `agg`, and in the same reading every row of the
/// period into `all`: the summaries of both.
pub fn from_dataset_with_all(
    dir: &Path,
    m: &dataset::Manifest,
    (from, to): (Option<&str>, Option<&str>),
    agg: &mut TrafficAggregator,
    all: &mut TrafficAggregator,
    filter: &clickpath_server::Filter,
) -> Result<(Summary, Summary)> {
    let files = m.files_between(from, to);
    let Some(selection) = Selection::new(dir, m, &files, filter)? else {
        // The filter keeps every row: one reading, one aggregation.
        let summary = from_dataset(dir, m, from, to, all, None)?;
        let again = from_dataset(dir, m, from, to, agg, None)?;
        return Ok((again, summary));
    };
    let (kept, every) =
        clickpath_ingest::replay::replay_with_all(dir, m, from, to, agg, all, mask(selection))?;
    Ok((summary_of(m, kept), summary_of(m, every)))
}

/// A selection as the replay's mask, with the columns it reads.
fn mask(s: Selection) -> (clickpath_ingest::replay::Mask, &'static [&'static str]) {
    let keep: clickpath_ingest::replay::Mask =
        std::sync::Arc::new(move |b: &RecordBatch| s.mask(b).map_err(|e| format!("{e:#}")));
    (keep, &selection::COLUMNS[..])
}

/// What was replayed from each of the dataset's sources, as a report's input.
fn summary_of(m: &dataset::Manifest, per_source: Vec<u64>) -> Summary {
    let mut summary = Summary::default();
    for (s, n) in m.sources.iter().zip(per_source) {
        summary.files.push(FileSummary {
            source: Source::file(&s.name),
            format: s.format.clone(),
            format_source: String::new(),
            compression: Compression::None,
            detection: None,
            stats: {
                let mut stats = LineStats::default();
                stats.requests = n;
                stats
            },
        });
    }
    summary
}

pub fn run(args: ReportArgs) -> Result<ExitCode> {
    let config = config(&args)?;
    let geo = config.geo.is_some();
    let mut agg = TrafficAggregator::new(config);
    let summary = aggregate(&args, &mut agg, geo)?;
    let report = agg.finish();
    if let Some(path) = &args.html {
        let page =
            clickpath_server::html::report_page(&document(&summary, &report), "clickpath report");
        std::fs::write(path, page).with_context(|| format!("cannot write {}", path.display()))?;
        eprintln!("clickpath: wrote the report to {}", path.display());
    } else if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&document(&summary, &report))?
        );
    } else if let Some(dir) = &args.csv {
        write_csv(dir, &summary, &report)?;
        eprintln!("clickpath: wrote the report's tables to {}", dir.display());
    } else {
        print!("{}", report_text::render(&summary, &report));
    }
    Ok(exit_status(&summary))
}

/// What was read: per file and in total.
pub fn input_json(summary: &Summary) -> serde_json::Value {
    let t = summary.totals();
    let files: Vec<_> = summary
        .files
        .iter()
        .map(|f| {
            json!({
                "file": f.source.name,
                "format": f.format,
                "compression": f.compression.as_str(),
                "lines": f.stats.lines(),
                "requests": f.stats.requests,
                "events": f.stats.events,
                "rejected": f.stats.rejected_total(),
                "read_with_another_format": f.stats.fallback,
            })
        })
        .collect();
    let skipped: Vec<_> = summary
        .skipped
        .iter()
        .map(|f| {
            json!({
                "file": f.source.name,
                "reason": f.reason,
                "partly_read": f.partly_read,
            })
        })
        .collect();
    let reasons: serde_json::Map<String, serde_json::Value> = t
        .rejected_by_reason()
        .map(|(r, n)| (r.as_str().to_owned(), n.into()))
        .collect();
    json!({
        "files": files,
        "lines": t.lines(),
        "requests": t.requests,
        "events": t.events,
        "continuation_lines": t.continuation,
        "rejected": t.rejected_total(),
        "rejected_by_reason": reasons,
        "blank": t.blank,
        "directives": t.comments,
        "read_with_another_format": t.fallback,
        "skipped": skipped,
    })
}

#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    generator: String,
    input: serde_json::Value,
    #[serde(flatten)]
    report: &'a TrafficReport,
}

pub fn document(summary: &Summary, report: &TrafficReport) -> serde_json::Value {
    let mut doc = serde_json::to_value(Document {
        version: REPORT_VERSION,
        generator: format!("clickpath {}", env!("CARGO_PKG_VERSION")),
        input: input_json(summary),
        report,
    })
    .expect("the report serialises");
    first_lines(&mut doc, summary);
    doc
}

/// The files and texts of the incidents' first lines, read back from the logs where they are.
fn first_lines(doc: &mut serde_json::Value, summary: &Summary) {
    use std::collections::{BTreeMap, BTreeSet};
    let Some(incidents) = doc["incidents"].as_array_mut() else {
        return;
    };
    let refs = |inc: &serde_json::Value| -> Vec<(u32, u64)> {
        ["access", "error"]
            .iter()
            .flat_map(|k| {
                inc["first_lines"][k]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
            })
            .filter_map(|r| Some((r["file_id"].as_u64()? as u32, r["line"].as_u64()?)))
            .collect()
    };
    let mut wanted: BTreeMap<u32, BTreeSet<u64>> = BTreeMap::new();
    for inc in incidents.iter() {
        for (f, l) in refs(inc) {
            wanted.entry(f).or_default().insert(l);
        }
    }
    let texts: BTreeMap<u32, BTreeMap<u64, String>> = wanted
        .iter()
        .filter_map(|(&f, lines)| {
            let source = &summary.files.get(f as usize)?.source;
            Some((f, input::read_lines(source, lines)))
        })
        .collect();
    for inc in incidents.iter_mut() {
        for k in ["access", "error"] {
            for r in inc["first_lines"][k].as_array_mut().into_iter().flatten() {
                let (Some(f), Some(l)) = (r["file_id"].as_u64(), r["line"].as_u64()) else {
                    continue;
                };
                if let Some(file) = summary.files.get(f as usize) {
                    r["file"] = file.source.name.clone().into();
                }
                if let Some(t) = texts.get(&(f as u32)).and_then(|m| m.get(&l)) {
                    r["text"] = t.clone().into();
                }
                // The index is the command's (or the dataset's): the name says it for both.
                if let Some(o) = r.as_object_mut() {
                    o.remove("file_id");
                }
            }
        }
    }
}

fn write_csv(dir: &Path, summary: &Summary, r: &TrafficReport) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let write = |name: &str, header: &str, lines: Vec<String>| -> Result<()> {
        let path = dir.join(name);
        let mut text = format!("{header}\r\n");
        for l in lines {
            text.push_str(&l);
            text.push_str("\r\n");
        }
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))
    };
    let rows = |rows: &[Row]| {
        rows.iter()
            .map(|r| format!("{},{}", cell(&r.value), r.count))
            .collect::<Vec<_>>()
    };
    let t = &r.traffic;
    let totals = summary.totals();
    let summary_rows = [
        ("lines", totals.lines() as f64),
        ("requests", t.requests as f64),
        ("rejected", totals.rejected_total() as f64),
        ("human_requests", t.human_requests as f64),
        ("bot_requests", t.bot_requests as f64),
        ("visitors", t.visitors as f64),
        ("sessions", t.sessions as f64),
        ("pageviews", t.pageviews as f64),
        ("pages_per_session", t.pages_per_session),
        ("bounce_rate", t.bounce_rate),
        (
            "session_duration_median_s",
            t.session_duration.median_s as f64,
        ),
    ];
    write(
        "summary.csv",
        "metric,value",
        summary_rows
            .iter()
            .map(|(k, v)| format!("{k},{v}"))
            .collect(),
    )?;
    write("pages.csv", "path,pageviews", rows(&r.pages.top))?;
    write("entry_pages.csv", "path,sessions", rows(&r.pages.entry))?;
    write("exit_pages.csv", "path,sessions", rows(&r.pages.exit))?;
    write("paths.csv", "first_pages,sessions", rows(&r.pages.paths))?;
    write(
        "channels.csv",
        "channel,sessions",
        rows(&r.acquisition.channels),
    )?;
    write(
        "campaigns.csv",
        "source,medium,campaign,sessions",
        r.acquisition
            .campaigns
            .iter()
            .map(|c| {
                let f = |v: &Option<String>| cell(v.as_deref().unwrap_or(""));
                format!(
                    "{},{},{},{}",
                    f(&c.source),
                    f(&c.medium),
                    f(&c.campaign),
                    c.sessions
                )
            })
            .collect(),
    )?;
    write(
        "referrer_domains.csv",
        "domain,sessions",
        rows(&r.acquisition.referrer_domains),
    )?;
    write(
        "devices.csv",
        "device,sessions",
        rows(&r.technology.devices),
    )?;
    write(
        "browsers.csv",
        "browser,sessions",
        rows(&r.technology.browsers),
    )?;
    write("os.csv", "os,sessions", rows(&r.technology.os))?;
    write("statuses.csv", "status,requests", rows(&r.statuses.all))?;
    write(
        "bots.csv",
        "name,family,requests",
        r.bots
            .by_name
            .iter()
            .map(|b| format!("{},{},{}", cell(&b.name), b.family, b.requests))
            .collect(),
    )?;
    let time = |b: &[clickpath_analytics::report::TimeBucket]| {
        b.iter()
            .map(|b| {
                format!(
                    "{},{},{},{},{}",
                    b.at, b.requests, b.human_requests, b.pageviews, b.sessions
                )
            })
            .collect::<Vec<_>>()
    };
    write(
        "by_day.csv",
        "date,requests,human_requests,pageviews,sessions",
        time(&r.time.by_day),
    )?;
    write(
        "by_hour.csv",
        "hour,requests,human_requests,pageviews,sessions",
        time(&r.time.by_hour),
    )?;
    Ok(())
}

/// RFC 4180 quoting; a leading `=`, `+`, `-` or `@` is prefixed with `'` so spreadsheets do not
/// run log content as a formula.
fn cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}
