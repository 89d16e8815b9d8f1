//! The `sessions` table's rows (docs/dataset.md, "The sessions table"): what ingest keeps of each
//! open session beside its id, and the Arrow batch of the sessions that closed. Every figure is
//! taken the way the streaming report takes it (`traffic/`): pages in time order, ties in
//! arrival order; the landing is the earliest page view (else the first request); device,
//! browser, OS and country are the first request's.

use std::sync::Arc;

use arrow_array::builder::{
    ArrayBuilder, Date32Builder, Float64Builder, StringBuilder, TimestampMicrosecondBuilder,
    UInt8Builder, UInt64Builder,
};
use arrow_array::{ArrayRef, RecordBatch};
use serde::{Deserialize, Serialize};

use crate::channel::{campaign_params, is_internal, strip_www};
use crate::session_rule::Span;

const MICROS: i64 = 1_000_000;

/// How many page views the journey keeps (the report's `pages.paths`).
const JOURNEY_PAGES: usize = 3;

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
    pub requests: u64,
    pub page_views: u64,
    pub server_errors: u64,
    pub client_errors: u64,
    /// The first page views by time: (UTC micros, path).
    pub pages: Vec<(i64, String)>,
    /// The last page view by time.
    pub exit: Option<(i64, String)>,
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
    #[allow(clippy::too_many_arguments)]
    pub fn add(
        &mut self,
        ts: i64,
        page: bool,
        earliest: bool,
        lands: bool,
        r: &RowFacts<'_>,
        site_hosts: &[String],
    ) {
        self.requests += 1;
        if earliest {
            self.first_local = r.local;
        }
        match r.status {
            Some(500..=599) => self.server_errors += 1,
            Some(400..=499) => self.client_errors += 1,
            _ => {}
        }
        if lands {
            self.landing = landing(r, site_hosts);
        }
        if !page {
            return;
        }
        self.page_views += 1;
        let path = r.path.unwrap_or_default();
        // After every page view at or before `ts`: a stable sort by time.
        let at = self.pages.partition_point(|p| p.0 <= ts);
        if at < JOURNEY_PAGES {
            self.pages.insert(at, (ts, path.to_owned()));
            self.pages.truncate(JOURNEY_PAGES);
        }
        match &mut self.exit {
            Some((t, p)) if ts >= *t => {
                *t = ts;
                p.clear();
                p.push_str(path);
            }
            Some(_) => {}
            None => self.exit = Some((ts, path.to_owned())),
        }
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
    duration: Float64Builder,
    counts: [UInt64Builder; 4],
    strings: [StringBuilder; 15],
    journey: String,
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
            duration: Float64Builder::new(),
            counts: std::array::from_fn(|_| UInt64Builder::new()),
            strings: std::array::from_fn(|_| StringBuilder::new()),
            journey: String::new(),
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
        self.duration
            .append_value((span.last - span.first) as f64 / MICROS as f64);
        for (b, v) in
            self.counts
                .iter_mut()
                .zip([s.requests, s.page_views, s.server_errors, s.client_errors])
        {
            b.append_value(v);
        }
        self.journey.clear();
        for (i, p) in s.pages.iter().enumerate() {
            if i > 0 {
                self.journey.push_str(" > ");
            }
            self.journey.push_str(&p.1);
        }
        let l = &s.landing;
        let values: [Option<&str>; 15] = [
            s.pages.first().map(|p| p.1.as_str()),
            s.exit.as_ref().map(|p| p.1.as_str()),
            (!s.pages.is_empty()).then_some(self.journey.as_str()),
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

    /// The batch of the sessions pushed since the last `finish` (`clickpath_model::sessions_schema`).
    pub fn finish(&mut self) -> RecordBatch {
        let [requests, page_views, server_errors, client_errors] =
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
        ];
        RecordBatch::try_new(clickpath_model::sessions_schema(), columns)
            .expect("columns follow the sessions schema")
    }
}
