//! The `sessions` table's rows (docs/dataset.md, "The sessions table"): what ingest keeps of each
//! open session beside its id, and the Arrow batch of the sessions that closed. Every figure is
//! taken the way the streaming report takes it (`traffic/`): pages in time order, ties in
//! arrival order; the landing is the earliest page view (else the first request); device,
//! browser, OS and country are the first request's.

use std::sync::Arc;

use arrow_array::builder::{
    Date32Builder, Float64Builder, StringBuilder, TimestampMicrosecondBuilder, UInt8Builder,
    UInt64Builder,
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

/// A batch of the sessions table (`clickpath_model::sessions_schema`) of `(id, span, row)`.
pub fn sessions_batch<'a>(
    rows: impl ExactSizeIterator<Item = (u64, &'a Span, &'a SessionRow)>,
) -> RecordBatch {
    let n = rows.len();
    let mut id = UInt64Builder::with_capacity(n);
    let mut visitor = UInt64Builder::with_capacity(n);
    let mut date = Date32Builder::with_capacity(n);
    let mut hour = UInt8Builder::with_capacity(n);
    let mut started = TimestampMicrosecondBuilder::with_capacity(n).with_timezone("UTC");
    let mut ended = TimestampMicrosecondBuilder::with_capacity(n).with_timezone("UTC");
    let mut duration = Float64Builder::with_capacity(n);
    let mut counts: [UInt64Builder; 4] = std::array::from_fn(|_| UInt64Builder::with_capacity(n));
    let mut strings: [StringBuilder; 15] = std::array::from_fn(|_| StringBuilder::new());
    for (sid, span, s) in rows {
        id.append_value(sid);
        visitor.append_value(s.visitor);
        date.append_value(s.first_local.div_euclid(86_400) as i32);
        hour.append_value((s.first_local.rem_euclid(86_400) / 3600) as u8);
        started.append_value(span.first);
        ended.append_value(span.last);
        duration.append_value((span.last - span.first) as f64 / MICROS as f64);
        for (b, v) in
            counts
                .iter_mut()
                .zip([s.requests, s.page_views, s.server_errors, s.client_errors])
        {
            b.append_value(v);
        }
        let journey = (!s.pages.is_empty()).then(|| {
            s.pages
                .iter()
                .map(|p| p.1.as_str())
                .collect::<Vec<_>>()
                .join(" > ")
        });
        let l = &s.landing;
        let values: [Option<&str>; 15] = [
            s.pages.first().map(|p| p.1.as_str()),
            s.exit.as_ref().map(|p| p.1.as_str()),
            journey.as_deref(),
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
        for (b, v) in strings.iter_mut().zip(values) {
            b.append_option(v);
        }
    }
    let [requests, page_views, server_errors, client_errors] = counts.map(|mut b| b.finish());
    let mut strings = strings
        .map(|mut b| Arc::new(b.finish()) as ArrayRef)
        .into_iter();
    let mut next = || strings.next().expect("15 string columns");
    let columns: Vec<ArrayRef> = vec![
        Arc::new(id.finish()),
        Arc::new(visitor.finish()),
        Arc::new(date.finish()),
        Arc::new(hour.finish()),
        Arc::new(started.finish()),
        Arc::new(ended.finish()),
        Arc::new(duration.finish()),
        Arc::new(requests),
        Arc::new(page_views),
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
        Arc::new(server_errors),
        Arc::new(client_errors),
    ];
    RecordBatch::try_new(clickpath_model::sessions_schema(), columns)
        .expect("columns follow the sessions schema")
}
