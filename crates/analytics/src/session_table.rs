//! The `sessions` table's rows (docs/dataset.md, "The sessions table"): what ingest keeps of each
//! open session beside its id, and the Arrow columns of the sessions that closed. Every figure is
//! taken the way the streaming report takes it (`traffic/`): pages in time order, ties in
//! arrival order; the landing is the earliest page view (else the first request); device,
//! browser, OS and country are the first request's.

use std::sync::Arc;

use arrow_array::builder::{
    ArrayBuilder, Date32Builder, Float64Builder, StringBuilder, TimestampMicrosecondBuilder,
    UInt8Builder, UInt64Builder,
};
use arrow_array::{ArrayRef, ListArray, RecordBatch, StructArray};
use arrow_buffer::OffsetBuffer;
use arrow_schema::DataType;
use serde::{Deserialize, Serialize};

use crate::channel::{campaign_params, is_internal, strip_www};
use crate::session::ErrorKind;
use crate::session_rule::Span;

const MICROS: i64 = 1_000_000;

/// How many page views the journey keeps (the report's `pages.paths`).
const JOURNEY_PAGES: usize = 3;

/// The `page_steps` entries' fields: a page view, the next one, the time between.
const STEP_FIELDS: [&str; 3] = ["path", "next_path", "gap_us"];

/// One request as the sessions table sees it (borrowed from its batch).
#[derive(Clone, Copy, Debug, Default)]
pub struct RowFacts<'a> {
    /// Local time in seconds (UTC plus the log's offset).
    pub local: i64,
    pub path: Option<&'a str>,
    pub query: Option<&'a str>,
    pub status: Option<u16>,
    /// The request's own host (the log's vhost).
    pub host: Option<&'a str>,
    /// The dataset's `referrer_host` (lower case).
    pub referrer_host: Option<&'a str>,
    pub channel: &'a str,
    pub utm_source: Option<&'a str>,
    pub utm_medium: Option<&'a str>,
    pub utm_campaign: Option<&'a str>,
    pub device: &'a str,
    pub browser: &'a str,
    pub os: &'a str,
    pub country: Option<&'a str>,
    pub server: Option<&'a str>,
}

/// Where a session landed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Landing {
    pub channel: String,
    pub referrer_domain: Option<String>,
    pub utm: [Option<String>; 5],
}

/// What the sessions table keeps of a session while it is open.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRow {
    pub visitor: u64,
    /// Local seconds of the earliest request.
    pub first_local: i64,
    /// UTC micros of the first request read (absent in states saved before the column).
    #[serde(default)]
    pub arrived: Option<i64>,
    pub requests: u64,
    pub page_views: u64,
    pub server_errors: u64,
    pub client_errors: u64,
    /// Absent in states saved before the column.
    #[serde(default)]
    pub rejected: u64,
    /// Its page views in arrival order: (UTC micros, path); put in time order when it closes.
    pub views: Vec<(i64, String)>,
    pub landing: Landing,
    pub device: String,
    pub browser: String,
    pub os: String,
    pub country: Option<String>,
    pub server: Option<String>,
}

fn owned(s: Option<&str>) -> Option<String> {
    s.map(str::to_owned)
}

impl SessionRow {
    /// The row of a session whose first request is `r`.
    pub fn start(visitor: u64, r: &RowFacts<'_>, site_hosts: &[String]) -> Self {
        SessionRow {
            visitor,
            first_local: r.local,
            landing: landing(r, site_hosts),
            device: r.device.to_owned(),
            browser: r.browser.to_owned(),
            os: r.os.to_owned(),
            country: owned(r.country),
            server: owned(r.server),
            ..Default::default()
        }
    }

    /// Adds request `r` at `ts` (UTC micros); `earliest`: it is before every request so far;
    /// `lands`: it is the session's landing now (the session rule's `Span::join`).
    pub fn add(
        &mut self,
        ts: i64,
        page: bool,
        earliest: bool,
        lands: bool,
        r: &RowFacts<'_>,
        site_hosts: &[String],
    ) {
        if self.requests == 0 {
            self.arrived = Some(ts);
        }
        self.requests += 1;
        if earliest {
            self.first_local = r.local;
        }
        match r.status {
            Some(500..=599) => self.server_errors += 1,
            Some(400..=499) => self.client_errors += 1,
            _ => {}
        }
        if r.status.and_then(ErrorKind::of) == Some(ErrorKind::Rejected) {
            self.rejected += 1;
        }
        if lands {
            self.landing = landing(r, site_hosts);
        }
        if !page {
            return;
        }
        self.page_views += 1;
        self.views.push((ts, r.path.unwrap_or_default().to_owned()));
    }
}

fn landing(r: &RowFacts<'_>, site_hosts: &[String]) -> Landing {
    let (utm, _) = campaign_params(r.query);
    let referrer_domain = r
        .referrer_host
        .filter(|h| !is_internal(h, r.host, site_hosts))
        .map(|h| strip_www(h).to_owned());
    Landing {
        channel: r.channel.to_owned(),
        referrer_domain,
        utm: [
            owned(r.utm_source),
            owned(r.utm_medium),
            owned(r.utm_campaign),
            utm.term,
            utm.content,
        ],
    }
}

/// Rows of the sessions table as Arrow columns, appended one closed session at a time (a
/// commit's sessions cost their columns' bytes, not their open rows').
pub struct SessionsBuilder {
    id: UInt64Builder,
    visitor: UInt64Builder,
    date: Date32Builder,
    hour: UInt8Builder,
    started: TimestampMicrosecondBuilder,
    ended: TimestampMicrosecondBuilder,
    arrived: TimestampMicrosecondBuilder,
    duration: Float64Builder,
    counts: [UInt64Builder; 5],
    strings: [StringBuilder; 15],
    journey: String,
    step_offsets: Vec<i32>,
    step_paths: [StringBuilder; 2],
    step_gaps: arrow_array::builder::Int64Builder,
    /// Scratch: a session's page views in time order.
    order: Vec<usize>,
}

impl Default for SessionsBuilder {
    fn default() -> Self {
        Self {
            id: UInt64Builder::new(),
            visitor: UInt64Builder::new(),
            date: Date32Builder::new(),
            hour: UInt8Builder::new(),
            started: TimestampMicrosecondBuilder::new().with_timezone("UTC"),
            ended: TimestampMicrosecondBuilder::new().with_timezone("UTC"),
            arrived: TimestampMicrosecondBuilder::new().with_timezone("UTC"),
            duration: Float64Builder::new(),
            counts: std::array::from_fn(|_| UInt64Builder::new()),
            strings: std::array::from_fn(|_| StringBuilder::new()),
            journey: String::new(),
            step_offsets: vec![0],
            step_paths: std::array::from_fn(|_| StringBuilder::new()),
            step_gaps: arrow_array::builder::Int64Builder::new(),
            order: Vec::new(),
        }
    }
}

impl SessionsBuilder {
    pub fn len(&self) -> usize {
        self.id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends session `id`.
    pub fn push(&mut self, id: u64, span: &Span, s: &SessionRow) {
        self.id.append_value(id);
        self.visitor.append_value(s.visitor);
        self.date
            .append_value(s.first_local.div_euclid(86_400) as i32);
        self.hour
            .append_value((s.first_local.rem_euclid(86_400) / 3600) as u8);
        self.started.append_value(span.first);
        self.ended.append_value(span.last);
        self.arrived.append_option(s.arrived);
        self.duration
            .append_value((span.last - span.first) as f64 / MICROS as f64);
        for (b, v) in self.counts.iter_mut().zip([
            s.requests,
            s.page_views,
            s.server_errors,
            s.client_errors,
            s.rejected,
        ]) {
            b.append_value(v);
        }
        // The page views in time order, ties in arrival order (a stable sort), as the report.
        self.order.clear();
        self.order.extend(0..s.views.len());
        self.order.sort_by_key(|&i| s.views[i].0);
        let order = &self.order;
        let view = |k: usize| &s.views[order[k]];
        self.journey.clear();
        for k in 0..order.len().min(JOURNEY_PAGES) {
            if k > 0 {
                self.journey.push_str(" > ");
            }
            self.journey.push_str(&view(k).1);
        }
        for k in 1..order.len() {
            let (from, to) = (view(k - 1), view(k));
            self.step_paths[0].append_value(&from.1);
            self.step_paths[1].append_value(&to.1);
            self.step_gaps.append_value(to.0 - from.0);
        }
        let last = *self.step_offsets.last().expect("starts at 0");
        self.step_offsets
            .push(last + order.len().saturating_sub(1) as i32);
        let l = &s.landing;
        let n = order.len();
        let values: [Option<&str>; 15] = [
            (n > 0).then(|| view(0).1.as_str()),
            (n > 0).then(|| view(n - 1).1.as_str()),
            (n > 0).then_some(self.journey.as_str()),
            Some(&l.channel),
            l.referrer_domain.as_deref(),
            l.utm[0].as_deref(),
            l.utm[1].as_deref(),
            l.utm[2].as_deref(),
            l.utm[3].as_deref(),
            l.utm[4].as_deref(),
            Some(&s.device),
            Some(&s.browser),
            Some(&s.os),
            s.country.as_deref(),
            s.server.as_deref(),
        ];
        for (b, v) in self.strings.iter_mut().zip(values) {
            b.append_option(v);
        }
    }

    /// The `page_steps` column of the sessions pushed since the last `finish`.
    fn page_steps(&mut self) -> ArrayRef {
        let schema = clickpath_model::sessions_schema();
        let DataType::List(item) = schema
            .field_with_name(clickpath_model::sessions::PAGE_STEPS)
            .expect("a sessions column")
            .data_type()
            .clone()
        else {
            unreachable!("page_steps is a list")
        };
        let DataType::Struct(fields) = item.data_type().clone() else {
            unreachable!("of structs")
        };
        debug_assert!(fields.iter().map(|f| f.name().as_str()).eq(STEP_FIELDS));
        let children: Vec<ArrayRef> = vec![
            Arc::new(self.step_paths[0].finish()),
            Arc::new(self.step_paths[1].finish()),
            Arc::new(self.step_gaps.finish()),
        ];
        let steps = StructArray::new(fields, children, None);
        let offsets = std::mem::replace(&mut self.step_offsets, vec![0]);
        Arc::new(ListArray::new(
            item,
            OffsetBuffer::new(offsets.into()),
            Arc::new(steps),
            None,
        ))
    }

    /// The batch of the sessions pushed since the last `finish` (`clickpath_model::sessions_schema`).
    pub fn finish(&mut self) -> RecordBatch {
        let [requests, page_views, server_errors, client_errors, rejected] =
            std::array::from_fn(|i| Arc::new(self.counts[i].finish()) as ArrayRef);
        let mut strings = self
            .strings
            .iter_mut()
            .map(|b| Arc::new(b.finish()) as ArrayRef);
        let mut next = || strings.next().expect("15 string columns");
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.id.finish()),
            Arc::new(self.visitor.finish()),
            Arc::new(self.date.finish()),
            Arc::new(self.hour.finish()),
            Arc::new(self.started.finish()),
            Arc::new(self.ended.finish()),
            Arc::new(self.arrived.finish()),
            Arc::new(self.duration.finish()),
            requests,
            page_views,
            next(), // entry_page
            next(), // exit_page
            next(), // journey
            next(), // channel
            next(), // referrer_domain
            next(), // utm_source
            next(), // utm_medium
            next(), // utm_campaign
            next(), // utm_term
            next(), // utm_content
            next(), // device
            next(), // browser
            next(), // os
            next(), // country
            next(), // server
            server_errors,
            client_errors,
            rejected,
            self.page_steps(),
        ];
        RecordBatch::try_new(clickpath_model::sessions_schema(), columns)
            .expect("columns follow the sessions schema")
    }
}
