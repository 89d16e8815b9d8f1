//! Logs into the dataset, each line once (docs/dataset.md). `clickpath ingest`, `serve` (files
//! into a temporary dataset) and the watcher all call [`ingest`]; the binary only turns flags
//! into an [`IngestConfig`] and prints the [`Outcome`].
//!
//! Parser threads parse a chunk, derive the stateless columns and encode them for each local
//! day the chunk covers; the calling thread assigns `seq`, sessions and the robots.txt rule in
//! input order, encodes those few columns, appends the row groups to the day files of the next
//! commit and, every `commit_every` bytes and at the end, commits: files, every log's position
//! and the session state are published together.

mod error;
mod read_back;
pub mod replay;
mod settings;

pub use error::{Error, Result};
pub use read_back::{MAX_RAW_LINE, RequestKey, read_back};
pub use settings::{DatasetSettings, GivenSettings};

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use arrow_array::builder::StringBuilder;
use arrow_array::cast::AsArray;
use arrow_array::types::Date32Type;
use arrow_array::{Array, ArrayRef, BooleanArray, RecordBatch, UInt32Array, UInt64Array};
use clickpath_analytics::bots::BotFamily;
use clickpath_analytics::geo::GeoDb;
use clickpath_analytics::{
    DeriveConfig, Deriver, ROBOTS_TXT_FETCHER_NAME, RowFacts, SessionInput, SessionState,
    Sessionizer, SessionsBuilder,
};
use clickpath_formats::input::{Compression, Origins, Source, fingerprint};
use clickpath_formats::pipeline::{self, Position, Resume};
use clickpath_formats::spec::{FieldKind, Format};
use clickpath_model::{dataset as col, dataset_schema, field, format_date};
use clickpath_store::dataset::{
    self, ColumnChunks, Manifest, PendingCommit, PendingSessions, SourceEntry,
};

/// What to ingest into where.
#[derive(Clone, Debug)]
pub struct IngestConfig {
    pub dir: PathBuf,
    /// What the command's flags ask for; a new dataset takes them (or the defaults), an
    /// existing one must agree.
    pub settings: GivenSettings,
    /// Commit (publish rows and checkpoint every file's position) after this many bytes of log.
    pub commit_every: u64,
    /// A MaxMind-format country database for the `country` column.
    pub geoip: Option<PathBuf>,
}

/// What one ingest did.
pub struct Outcome {
    pub summary: pipeline::Summary,
    /// Requests added to the dataset.
    pub rows_added: u64,
    /// The dataset's settings (those of the run).
    pub settings: DatasetSettings,
    /// Files of a writer that did not finish, removed before this run.
    pub removed: usize,
    /// Inputs passed over: (name, why) (no complete line yet, the same file twice).
    pub passed_over: Vec<(String, &'static str)>,
    /// "added N requests to DIR ...", for people.
    pub added: String,
}

/// The settings of the dataset at `dir` (None when there is none yet).
pub fn stored_settings(dir: &Path) -> Result<Option<DatasetSettings>> {
    match Manifest::load(dir)? {
        Some(m) => Ok(Some(DatasetSettings::from_json(dir, &m.settings)?)),
        None => Ok(None),
    }
}

/// What an ingest hands on as it goes, in input order: the watcher's live evaluation; replay
/// (`replay.rs`) hands the dataset's rows back the same way.
pub trait Sink {
    /// Error-log events (`file_id` is the manifest's source id).
    fn events(&mut self, batch: &RecordBatch);
    /// Requests: the hit columns (`field::ALL`) and `country`; `user_agents_logged` says the
    /// format logs user agents.
    fn requests(&mut self, hit: &RecordBatch, user_agents_logged: bool);
}

impl Sink for clickpath_analytics::TrafficAggregator {
    fn events(&mut self, batch: &RecordBatch) {
        self.add_events(batch);
    }
    fn requests(&mut self, hit: &RecordBatch, user_agents_logged: bool) {
        self.add(hit, user_agents_logged);
    }
}

/// A sink that keeps nothing.
pub struct Discard;

impl Sink for Discard {
    fn events(&mut self, _: &RecordBatch) {}
    fn requests(&mut self, _: &RecordBatch, _: bool) {}
}

/// Ingests the new lines of `sources` into `cfg.dir`. `options` are the parse options (format,
/// keyer, rejects file); the ingest sets resume positions and chunk sizes. `tick` runs after
/// each chunk (a progress bar).
pub fn ingest(
    cfg: &IngestConfig,
    sources: &[Source],
    options: pipeline::Options,
    tick: impl FnMut(),
) -> Result<Outcome> {
    ingest_into(cfg, sources, options, tick, &mut Discard)
}

/// [`ingest`], handing each batch to `sink` too, in input order, as it is added.
pub fn ingest_into(
    cfg: &IngestConfig,
    sources: &[Source],
    mut options: pipeline::Options,
    mut tick: impl FnMut(),
    sink: &mut dyn Sink,
) -> Result<Outcome> {
    let dir = cfg.dir.as_path();
    let geo = match &cfg.geoip {
        Some(path) => Some(GeoDb::open(path)?),
        None => None,
    };
    let wanted = match stored_settings(dir)? {
        Some(stored) => cfg.settings.check(dir, &stored)?,
        None => {
            let mut new = cfg.settings.or_defaults();
            // The dataset's channels need the site's hosts once and for all: inferred from the
            // first lines when none are given, by the report's rule.
            if new.site_hosts.is_empty()
                && let Some(hosts) = probe_site_hosts(sources, &options)
            {
                new.site_hosts = hosts;
                new.site_hosts_inferred = true;
            }
            new
        }
    };
    let (_lock, mut manifest, removed) = dataset::open_for_write(dir, wanted.to_json())?;
    // Addresses are parsed for the country lookup even when they are not kept.
    options.rows.raw_ip = wanted.raw_ip || geo.is_some();
    let mut passed_over = Vec::new();
    // Which inputs are new, which were read before and from where.
    let mut to_read = Vec::new();
    let mut resume = Vec::new();
    let mut source_ids = Vec::new();
    // The `server` column of each input's rows.
    let mut servers: Vec<Option<Arc<Origins>>> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    // Each file is opened once, newest first, and read through that handle: a log rotated
    // while this round lists, fingerprints and reads it is still read whole and in order (if
    // `access.log` was opened as the new file, `access.log.1`, opened after, is the old one).
    let mut sources = sources.to_vec();
    let mut gone = vec![false; sources.len()];
    for (s, gone) in sources.iter_mut().zip(&mut gone).rev() {
        // Any other error (no read permission, too many open files) leaves it to be opened
        // by its name, as the fingerprint will, which says what is wrong.
        if let Err(e) = s.pin() {
            *gone = e.kind() == std::io::ErrorKind::NotFound;
        }
    }
    for (s, gone) in sources.into_iter().zip(gone) {
        let Some(path) = &s.path else {
            return Err(Error::Stdin);
        };
        if gone {
            // Rotated away since it was listed: its lines are in the file it became.
            passed_over.push((s.name.clone(), "gone since it was listed, skipped"));
            continue;
        }
        let (fingerprint, compression) = fingerprint(&s)?;
        let Some(fp) = fingerprint else {
            passed_over.push((s.name.clone(), "no complete line yet, nothing to ingest"));
            continue;
        };
        if !seen.insert(fp.clone()) {
            passed_over.push((
                s.name.clone(),
                "same file as an earlier argument (same first lines), skipped",
            ));
            continue;
        }
        let index = match manifest.sources.iter().position(|e| e.fingerprint == fp) {
            Some(i) => {
                // A plain file no longer than what was read has nothing new.
                if compression == Compression::None && s.len() == manifest.sources[i].offset {
                    continue;
                }
                i
            }
            None => {
                manifest.sources.push(SourceEntry {
                    id: manifest.sources.len() as u32,
                    fingerprint: fp,
                    name: s.name.clone(),
                    path: None,
                    format: String::new(),
                    format_line: String::new(),
                    offset: 0,
                    lines: 0,
                    requests: 0,
                });
                manifest.sources.len() - 1
            }
        };
        let entry = &mut manifest.sources[index];
        entry.name = s.name.clone();
        entry.path = std::fs::canonicalize(path)
            .ok()
            .map(|p| p.display().to_string());
        resume.push(Resume {
            offset: entry.offset,
            lines: entry.lines,
        });
        source_ids.push(index as u32);
        servers.push(s.origins.clone());
        to_read.push(s);
    }
    options.resume = resume;
    options.whole_lines_only = true;
    // Large chunks encode well; a commit falls between chunks.
    options.chunk_bytes = (8 << 20).min(cfg.commit_every as usize).max(64 << 10);

    let derive = DeriveConfig {
        visitor_key: wanted.visitor_key(),
        pages: wanted.page_rules(),
        site_hosts: wanted.site_hosts.clone(),
    };
    let state: SessionState = match &manifest.session_state {
        Some(rel) => {
            let path = dir.join(rel);
            let text = std::fs::read(&path).map_err(|source| Error::Read {
                path: path.clone(),
                source,
            })?;
            serde_json::from_slice(&text).map_err(|e| Error::Damaged {
                path,
                message: e.to_string(),
            })?
        }
        None => SessionState::default(),
    };
    let derivers = Mutex::new(Vec::<Deriver>::new());
    let first_commit = manifest.commit + 1;
    let keep_ip = wanted.raw_ip;
    let mut ingest = Ingest {
        dir,
        sessions: Sessionizer::new(wanted.rules(), state, wanted.site_hosts.clone()),
        closed_sessions: SessionsBuilder::default(),
        pending_sessions: PendingSessions::new(dir, first_commit),
        pending: PendingCommit::new(dir, first_commit),
        manifest,
        source_ids: &source_ids,
        bytes_since_commit: 0,
        commit_every: cfg.commit_every,
        read_any: false,
        rows_added: 0,
        commits: 0,
        events: Vec::new(),
        events_added: 0,
    };
    let mut failure: Option<Error> = None;
    let run = pipeline::run_with_positions(
        &to_read,
        &options,
        |format, batch| {
            if format.error_log().is_some() {
                return Ok(Parsed::Events(batch, format.name.clone()));
            }
            let mut d = derivers
                .lock()
                .ok()
                .and_then(|mut v| v.pop())
                .unwrap_or_else(|| Deriver::new(derive.clone()));
            let inputs = InputIds {
                source_ids: &source_ids,
                servers: &servers,
            };
            let out = prepare(&mut d, format, batch, inputs, geo.as_ref(), keep_ip);
            if let Ok(mut v) = derivers.lock() {
                v.push(d);
            }
            out.map(|p| Parsed::Requests(Box::new(p)))
        },
        |prepared, at| {
            tick();
            let r = prepared.map_err(Error::from).and_then(|p| match p {
                Parsed::Requests(p) => {
                    sink.requests(&p.hit, p.user_agents_logged);
                    ingest.add(*p, at)
                }
                Parsed::Events(batch, format) => {
                    let batch = events_with_file_ids(batch, &source_ids)?;
                    sink.events(&batch);
                    ingest.add_events(batch, format, at)
                }
            });
            r.map_err(|e| {
                let message = e.to_string();
                failure = Some(e);
                message.into()
            })
        },
    );
    let summary = match (run, failure) {
        (_, Some(e)) => return Err(e),
        (r, None) => r?,
    };
    if !ingest.pending.is_empty() || ingest.read_any {
        ingest.commit()?;
    }
    let events = if ingest.events_added > 0 {
        format!(
            " and {} error-log event{}",
            ingest.events_added,
            if ingest.events_added == 1 { "" } else { "s" }
        )
    } else {
        String::new()
    };
    let added = format!(
        "added {} requests{events} to {} in {} commit(s); it holds {} requests in {} file(s), {} open session(s) carried over",
        ingest.rows_added,
        dir.display(),
        ingest.commits,
        ingest.manifest.rows(),
        ingest.manifest.files.len(),
        ingest.sessions.open_sessions()
    );
    Ok(Outcome {
        summary,
        rows_added: ingest.rows_added,
        settings: wanted,
        removed,
        passed_over,
        added,
    })
}

/// What a parser thread hands over.
enum Parsed {
    Requests(Box<Prepared>),
    /// Error-log events, and the format's name.
    Events(RecordBatch, String),
}

/// `file_id` of events: the source's id in the manifest.
fn events_with_file_ids(batch: RecordBatch, source_ids: &[u32]) -> Result<RecordBatch> {
    let i = batch
        .schema()
        .index_of(clickpath_model::event::FILE_ID)
        .map_err(|e| Error::Internal(e.to_string()))?;
    let ids: UInt32Array = batch
        .column(i)
        .as_primitive::<arrow_array::types::UInt32Type>()
        .unary(|f| source_ids[f as usize]);
    let mut columns = batch.columns().to_vec();
    columns[i] = Arc::new(ids);
    RecordBatch::try_new(batch.schema(), columns).map_err(|e| Error::Internal(e.to_string()))
}

/// Bytes of the first file the site hosts are inferred from.
const PROBE_BYTES: u64 = 512 << 10;

/// The site hosts of the first readable file's first lines (None: none could be told).
fn probe_site_hosts(sources: &[Source], options: &pipeline::Options) -> Option<Vec<String>> {
    use std::io::Read;
    for s in sources {
        let Ok((reader, _)) = clickpath_formats::input::open(s, None) else {
            continue;
        };
        let mut head = Vec::new();
        if reader.take(PROBE_BYTES).read_to_end(&mut head).is_err() {
            continue;
        }
        if let Some(end) = memchr_last_newline(&head) {
            head.truncate(end);
        }
        let format = match &options.format {
            Some(f) => Arc::clone(f),
            None => match clickpath_formats::detect::detect(&s.name, &head) {
                Ok(d) => d.format,
                Err(_) => continue,
            },
        };
        if format.error_log().is_some() {
            continue; // events name no referrers
        }
        let (batch, _) = pipeline::parse_bytes(&format, &head, options.rows);
        let (hosts, _) =
            clickpath_analytics::site_hosts::infer_from(&batch, format.logs(FieldKind::UserAgent));
        return (!hosts.is_empty()).then_some(hosts);
    }
    None
}

fn memchr_last_newline(b: &[u8]) -> Option<usize> {
    b.iter().rposition(|&c| c == b'\n').map(|i| i + 1)
}

/// Rows of one local day within a chunk, with their stateless columns already encoded.
struct DayPart {
    date: i32,
    /// Row indexes in the chunk.
    rows: Vec<u32>,
    chunks: ColumnChunks,
}

/// What a parser thread hands over for one chunk.
struct Prepared {
    format: String,
    format_line: String,
    /// The access lines' printed zones and how many printed each.
    zones: Vec<(i16, u64)>,
    rows: Vec<SessionInput>,
    ua_bot_family: Vec<Option<&'static str>>,
    ua_bot_name: Vec<Option<Arc<str>>>,
    per_source: Vec<(u32, u64)>,
    parts: Vec<DayPart>,
    /// The hit columns and `country`, for a [`Sink`].
    hit: RecordBatch,
    user_agents_logged: bool,
    /// What the sessions table reads of each row.
    facts: FactColumns,
}

fn opt(a: &arrow_array::StringArray, r: usize) -> Option<&str> {
    a.is_valid(r).then(|| a.value(r))
}

/// The columns the `sessions` table takes of a request, by dataset column.
struct FactColumns {
    columns: Vec<Option<ArrayRef>>,
}

impl FactColumns {
    fn of(stateless: &[(usize, ArrayRef)]) -> Self {
        let mut columns = vec![None; dataset_schema().fields().len()];
        for (i, a) in stateless {
            columns[*i] = Some(a.clone());
        }
        Self { columns }
    }

    /// The columns, typed, for reading row by row.
    fn view(&self) -> FactView<'_> {
        use arrow_array::types::{Int16Type, UInt16Type};
        FactView {
            path: self.strings(field::PATH),
            query: self.strings(field::QUERY),
            host: self.strings(field::HOST),
            status: self.primitive::<UInt16Type>(field::STATUS),
            tz: self.primitive::<Int16Type>(field::TZ_OFFSET_MIN),
            referrer_host: self.strings(col::REFERRER_HOST),
            channel: self.strings(col::CHANNEL),
            utm: [
                self.strings(col::UTM_SOURCE),
                self.strings(col::UTM_MEDIUM),
                self.strings(col::UTM_CAMPAIGN),
            ],
            agent: [
                self.strings(col::DEVICE),
                self.strings(col::BROWSER),
                self.strings(col::OS),
            ],
            country: self.strings(col::COUNTRY),
            server: self.strings(col::SERVER),
        }
    }

    fn strings(&self, name: &str) -> &arrow_array::StringArray {
        let i = dataset_schema().index_of(name).expect("dataset column");
        self.columns[i]
            .as_ref()
            .expect("a stateless column")
            .as_string::<i32>()
    }

    fn primitive<T: arrow_array::ArrowPrimitiveType>(
        &self,
        name: &str,
    ) -> &arrow_array::PrimitiveArray<T> {
        let i = dataset_schema().index_of(name).expect("dataset column");
        self.columns[i]
            .as_ref()
            .expect("a stateless column")
            .as_primitive::<T>()
    }
}

/// [`FactColumns`] typed.
struct FactView<'a> {
    path: &'a arrow_array::StringArray,
    query: &'a arrow_array::StringArray,
    host: &'a arrow_array::StringArray,
    status: &'a arrow_array::UInt16Array,
    tz: &'a arrow_array::Int16Array,
    referrer_host: &'a arrow_array::StringArray,
    channel: &'a arrow_array::StringArray,
    utm: [&'a arrow_array::StringArray; 3],
    /// Device, browser, OS.
    agent: [&'a arrow_array::StringArray; 3],
    country: &'a arrow_array::StringArray,
    server: &'a arrow_array::StringArray,
}

impl<'a> FactView<'a> {
    /// Row `r`, whose time is `ts` (UTC micros).
    fn at(&self, r: usize, ts: i64) -> RowFacts<'a> {
        let offset = if self.tz.is_valid(r) {
            self.tz.value(r)
        } else {
            0
        };
        RowFacts {
            local: ts.div_euclid(1_000_000) + i64::from(offset) * 60,
            path: opt(self.path, r),
            query: opt(self.query, r),
            status: self.status.is_valid(r).then(|| self.status.value(r)),
            host: opt(self.host, r),
            referrer_host: opt(self.referrer_host, r),
            channel: self.channel.value(r),
            utm_source: opt(self.utm[0], r),
            utm_medium: opt(self.utm[1], r),
            utm_campaign: opt(self.utm[2], r),
            device: self.agent[0].value(r),
            browser: self.agent[1].value(r),
            os: self.agent[2].value(r),
            country: opt(self.country, r),
            server: opt(self.server, r),
        }
    }
}

/// Countries of the batch's addresses (all null without a database).
fn countries(batch: &RecordBatch, geo: Option<&GeoDb>) -> ArrayRef {
    let n = batch.num_rows();
    let (Some(geo), Some(ip)) = (
        geo,
        batch
            .column_by_name(field::IP)
            .and_then(|c| c.as_string_opt::<i32>()),
    ) else {
        return arrow_array::new_null_array(&arrow_schema::DataType::Utf8, n);
    };
    let mut seen: HashMap<&str, Option<String>> = HashMap::new();
    let mut out = StringBuilder::with_capacity(n, n * 2);
    for r in 0..n {
        let code = ip
            .is_valid(r)
            .then(|| ip.value(r))
            .and_then(|a| seen.entry(a).or_insert_with(|| geo.country(a)).as_deref());
        out.append_option(code);
    }
    Arc::new(out.finish())
}

/// What each input (by its place in the run) is in the dataset.
#[derive(Clone, Copy)]
struct InputIds<'a> {
    /// Its source id in the manifest.
    source_ids: &'a [u32],
    /// The servers that shipped its lines.
    servers: &'a [Option<Arc<Origins>>],
}

/// The `server` column: the server of each row's line (all null for files read here).
fn servers_column(batch: &RecordBatch, servers: &[Option<Arc<Origins>>]) -> ArrayRef {
    let n = batch.num_rows();
    let (Some(inputs), Some(lines)) = (
        batch.column_by_name(field::FILE_ID),
        batch.column_by_name(field::LINE),
    ) else {
        return arrow_array::new_null_array(&arrow_schema::DataType::Utf8, n);
    };
    if servers.iter().all(Option::is_none) {
        return arrow_array::new_null_array(&arrow_schema::DataType::Utf8, n);
    }
    let inputs = inputs
        .as_primitive::<arrow_array::types::UInt32Type>()
        .values();
    let lines = lines
        .as_primitive::<arrow_array::types::UInt64Type>()
        .values();
    let mut out = StringBuilder::with_capacity(n, n * 8);
    for (&i, &line) in inputs.iter().zip(lines.iter()) {
        let origins = servers.get(i as usize).and_then(Option::as_ref);
        out.append_option(origins.and_then(|o| o.at(line)).map(|s| s.as_ref()));
    }
    Arc::new(out.finish())
}

fn prepare(
    deriver: &mut Deriver,
    format: &Format,
    batch: RecordBatch,
    inputs: InputIds<'_>,
    geo: Option<&GeoDb>,
    keep_ip: bool,
) -> Result<Prepared, clickpath_store::Error> {
    let derived = deriver.derive(&batch, format.logs(FieldKind::UserAgent));
    let country = countries(&batch, geo);
    // file_id: the source's id in the manifest instead of its place on the command line.
    let file_idx = batch.schema().index_of(field::FILE_ID)?;
    let server = servers_column(&batch, inputs.servers);
    let ids: UInt32Array = batch
        .column(file_idx)
        .as_primitive::<arrow_array::types::UInt32Type>()
        .unary(|i| inputs.source_ids[i as usize]);
    let mut per_source: Vec<(u32, u64)> = Vec::new();
    for id in ids.values() {
        match per_source.last_mut() {
            Some((last, n)) if last == id => *n += 1,
            _ => per_source.push((*id, 1)),
        }
    }
    let mut columns: Vec<ArrayRef> = batch.columns().to_vec();
    columns[file_idx] = Arc::new(ids);
    if geo.is_some() && !keep_ip {
        // Read for the country lookup only.
        let ip = batch.schema().index_of(field::IP)?;
        columns[ip] = arrow_array::new_null_array(&arrow_schema::DataType::Utf8, batch.num_rows());
    }
    let schema = dataset_schema();
    let idx = |name: &str| schema.index_of(name).expect("dataset column");
    let mut stateless: Vec<(usize, ArrayRef)> = columns.iter().cloned().enumerate().collect();
    stateless.push((idx(col::DATE), derived.date.clone()));
    stateless.push((idx(col::VISITOR), derived.visitor));
    let first_rest = idx(col::IS_PAGE_VIEW);
    for (k, a) in derived.rest.into_iter().enumerate() {
        stateless.push((first_rest + k, a));
    }
    let hit = {
        let mut fields: Vec<arrow_schema::FieldRef> =
            batch.schema().fields().iter().cloned().collect();
        fields.push(Arc::new(schema.field(idx(col::COUNTRY)).clone()));
        let mut cols = columns.clone();
        cols.push(country.clone());
        RecordBatch::try_new(Arc::new(arrow_schema::Schema::new(fields)), cols)?
    };
    stateless.push((idx(col::COUNTRY), country));
    stateless.push((idx(col::SERVER), server));
    let facts = FactColumns::of(&stateless);
    // Rows by local day, in input order.
    let dates = derived.date.as_primitive::<Date32Type>().values();
    let mut days: Vec<i32> = dates.to_vec();
    days.sort_unstable();
    days.dedup();
    let mut parts = Vec::with_capacity(days.len());
    for date in days {
        let rows: Vec<u32> = (0..dates.len() as u32)
            .filter(|&r| dates[r as usize] == date)
            .collect();
        // Most chunks hold one day: their columns are used as they are.
        let columns: Vec<(usize, ArrayRef)> = if rows.len() == dates.len() {
            stateless.clone()
        } else {
            let take = UInt32Array::from(rows.clone());
            stateless
                .iter()
                .map(|(i, a)| Ok((*i, arrow_select::take::take(a, &take, None)?)))
                .collect::<Result<_, arrow_schema::ArrowError>>()?
        };
        let mut chunks = ColumnChunks::default();
        chunks.encode(&columns.iter().map(|(i, a)| (*i, a)).collect::<Vec<_>>())?;
        parts.push(DayPart { date, rows, chunks });
    }
    let mut zones: Vec<(i16, u64)> = Vec::new();
    if let Some(tz) = batch.column_by_name(field::TZ_OFFSET_MIN) {
        let tz = tz.as_primitive::<arrow_array::types::Int16Type>();
        for v in tz.iter().flatten() {
            match zones.iter_mut().find(|(z, _)| *z == v) {
                Some((_, n)) => *n += 1,
                None => zones.push((v, 1)),
            }
        }
    }
    Ok(Prepared {
        zones,
        format: format.name.clone(),
        format_line: format.source.clone(),
        rows: derived.rows,
        ua_bot_family: derived.ua_bot_family,
        ua_bot_name: derived.ua_bot_name,
        per_source,
        parts,
        hit,
        user_agents_logged: format.logs(FieldKind::UserAgent),
        facts,
    })
}

/// Closed sessions are written to their files in batches of this many.
const SESSIONS_PER_WRITE: usize = 8192;

/// The ingest thread's side: sessions, `seq`, day files and commits.
struct Ingest<'a> {
    dir: &'a Path,
    manifest: Manifest,
    sessions: Sessionizer,
    pending: PendingCommit,
    /// Manifest source id (= index in `sources`) of each input.
    source_ids: &'a [u32],
    bytes_since_commit: u64,
    commit_every: u64,
    /// Some input was read (positions moved), even if no row came of it.
    read_any: bool,
    rows_added: u64,
    commits: u64,
    /// Error-log events since the last commit.
    events: Vec<RecordBatch>,
    /// Sessions closed since the last write to `pending_sessions`.
    closed_sessions: SessionsBuilder,
    /// The files of the sessions closed since the last commit.
    pending_sessions: PendingSessions,
    events_added: u64,
}

impl Ingest<'_> {
    fn add(&mut self, p: Prepared, at: Position) -> Result<()> {
        let base = self.manifest.next_seq;
        let n = p.rows.len();
        let facts = p.facts.view();
        let outputs: Vec<_> = p
            .rows
            .iter()
            .enumerate()
            .map(|(r, input)| {
                self.sessions
                    .next(base + r as u64, input, &facts.at(r, input.ts))
            })
            .collect();
        // A dataset written before the sessions table keeps none (it could not list them all).
        let closed = self.sessions.take_closed();
        if self.manifest.sessions_table {
            for o in closed {
                self.closed_sessions.push(o.id, &o.span, &o.row);
            }
            if self.closed_sessions.len() >= SESSIONS_PER_WRITE {
                self.pending_sessions
                    .append(&self.closed_sessions.finish())?;
            }
        }
        let schema = dataset_schema();
        let idx = |name: &str| schema.index_of(name).expect("dataset column");
        for part in p.parts {
            let rows = &part.rows;
            let seq: ArrayRef = Arc::new(UInt64Array::from_iter_values(
                rows.iter().map(|&r| base + u64::from(r)),
            ));
            let session: ArrayRef = Arc::new(UInt64Array::from_iter(
                rows.iter().map(|&r| outputs[r as usize].session_id),
            ));
            let bot: ArrayRef = Arc::new(BooleanArray::from_iter(
                rows.iter().map(|&r| Some(outputs[r as usize].bot)),
            ));
            let mut family = StringBuilder::new();
            let mut name = StringBuilder::new();
            for &r in rows {
                let r = r as usize;
                if outputs[r].robots_txt_fetcher {
                    family.append_value(BotFamily::RobotsTxt.as_str());
                    name.append_value(ROBOTS_TXT_FETCHER_NAME);
                } else {
                    family.append_option(p.ua_bot_family[r]);
                    name.append_option(p.ua_bot_name[r].as_deref());
                }
            }
            let family: ArrayRef = Arc::new(family.finish());
            let name: ArrayRef = Arc::new(name.finish());
            let mut chunks = part.chunks;
            chunks.encode(&[
                (idx(col::SEQ), &seq),
                (idx(col::SESSION_ID), &session),
                (idx(col::IS_BOT), &bot),
                (idx(col::BOT_FAMILY), &family),
                (idx(col::BOT_NAME), &name),
            ])?;
            let first = base + u64::from(rows[0]);
            let last = base + u64::from(*rows.last().expect("a part has rows"));
            self.pending.append(
                &format_date(i64::from(part.date)),
                (first, last),
                rows.len() as u64,
                chunks,
            )?;
        }
        for (id, count) in p.per_source {
            self.manifest.sources[id as usize].requests += count;
        }
        for (zone, n) in p.zones {
            *self.manifest.zones.entry(zone).or_default() += n;
        }
        self.manifest.next_seq += n as u64;
        self.rows_added += n as u64;
        self.advance(at, p.format, p.format_line)
    }

    /// A batch of error-log events: kept for the next commit's events file.
    fn add_events(&mut self, batch: RecordBatch, format: String, at: Position) -> Result<()> {
        self.events_added += batch.num_rows() as u64;
        self.events.push(batch);
        self.advance(at, format.clone(), format)
    }

    /// The source read up to `at`; commits every `commit_every` bytes.
    fn advance(&mut self, at: Position, format: String, format_line: String) -> Result<()> {
        // Bytes since the last checkpoint.
        let source = &mut self.manifest.sources[self.source_ids[at.source] as usize];
        source.format = format;
        source.format_line = format_line;
        self.bytes_since_commit += at.offset.saturating_sub(source.offset);
        source.offset = at.offset;
        source.lines = at.lines;
        self.read_any = true;
        if self.bytes_since_commit >= self.commit_every {
            self.commit()?;
        }
        Ok(())
    }

    fn commit(&mut self) -> Result<()> {
        let next = self.manifest.commit + 1;
        let pending = std::mem::replace(&mut self.pending, PendingCommit::new(self.dir, next + 1));
        let files = pending.finish()?;
        self.manifest.files.extend(files);
        let events = std::mem::take(&mut self.events);
        if let Some(f) = dataset::write_events(self.dir, next, &events)? {
            self.manifest.events.push(f);
        }
        if self.manifest.sessions_table {
            let mut sessions = std::mem::replace(
                &mut self.pending_sessions,
                PendingSessions::new(self.dir, next + 1),
            );
            let closed = self.closed_sessions.finish();
            if closed.num_rows() > 0 {
                sessions.append(&closed)?;
            }
            self.manifest.sessions.extend(sessions.finish()?);
        }
        self.manifest.commit = next;
        if self.manifest.sessions_table {
            let mut open = SessionsBuilder::default();
            for o in self.sessions.open() {
                open.push(o.id, &o.span, &o.row);
            }
            dataset::write_open_sessions(self.dir, &mut self.manifest, &open.finish())?;
        }
        let state = serde_json::to_vec(&self.sessions.state())
            .map_err(|e| Error::Internal(format!("session state: {e}")))?;
        dataset::commit(self.dir, &mut self.manifest, Some(&state))?;
        self.bytes_since_commit = 0;
        self.commits += 1;
        Ok(())
    }
}
