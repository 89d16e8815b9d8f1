//! Field slots of one line, and the column builders they are appended to.
//!
//! A line parser fills [`Slots`] with slices borrowed from the line (no allocation); a complete
//! line is then checked and appended to every column of [`HitBuilder`] at once, so a rejected
//! line never leaves a half-written row.

use std::sync::Arc;

use arrow_array::builder::ArrayBuilder;
use arrow_array::builder::{
    BooleanBuilder, Int16Builder, StringBuilder, TimestampMicrosecondBuilder, UInt16Builder,
    UInt32Builder, UInt64Builder,
};
use arrow_array::{ArrayRef, RecordBatch};
use clickpath_model::{ClientKeyer, hit_schema};

use crate::decode::decode_into;
use crate::rejects::{Reject, RejectReason};
use crate::request_line;
use crate::spec::Encoding;

/// A field value as it appears in the line, with the escaping to undo.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Raw<'a> {
    pub bytes: &'a [u8],
    pub encoding: Encoding,
}

/// Everything one line said, before it becomes a row.
#[derive(Default, Debug, Clone)]
pub(crate) struct Slots<'a> {
    pub instant: Option<(i64, Option<i16>)>,
    pub date_days: Option<i64>,
    pub time_of_day: Option<i64>,
    pub client: Option<&'a [u8]>,
    /// The first address of `X-Forwarded-For`, when the format logs it.
    pub forwarded_for: Option<&'a [u8]>,
    pub host: Option<Raw<'a>>,
    pub request: Option<Raw<'a>>,
    pub method: Option<Raw<'a>>,
    pub uri: Option<Raw<'a>>,
    pub path: Option<Raw<'a>>,
    pub query: Option<Raw<'a>>,
    pub protocol: Option<Raw<'a>>,
    pub status: Option<u16>,
    pub bytes: Option<u64>,
    pub referrer: Option<Raw<'a>>,
    pub user_agent: Option<Raw<'a>>,
    pub duration_us: Option<u64>,
}

impl Slots<'_> {
    /// A full timestamp, or a date and a time of day (W3C): what makes a line a request.
    pub(crate) fn has_time(&self) -> bool {
        self.instant.is_some() || (self.date_days.is_some() && self.time_of_day.is_some())
    }

    /// How many fields the line filled (autodetection prefers the format that reads most).
    pub(crate) fn filled(&self) -> usize {
        [
            self.instant.is_some(),
            self.date_days.is_some(),
            self.time_of_day.is_some(),
            self.client.is_some(),
            self.host.is_some(),
            self.request.is_some(),
            self.method.is_some(),
            self.uri.is_some(),
            self.path.is_some(),
            self.query.is_some(),
            self.protocol.is_some(),
            self.status.is_some(),
            self.bytes.is_some(),
            self.referrer.is_some(),
            self.user_agent.is_some(),
            self.duration_us.is_some(),
        ]
        .iter()
        .filter(|&&b| b)
        .count()
    }
}

/// Options that shape rows: raw addresses or keys only.
#[derive(Clone, Copy, Debug)]
pub struct RowOptions {
    /// Keep the client address in the `ip` column (otherwise only its keyed hash is kept).
    pub raw_ip: bool,
    /// Take the client from the first `X-Forwarded-For` address when the log has one (sites
    /// behind a proxy or load balancer that logs its own address as the client).
    pub client_from_forwarded_for: bool,
    pub keyer: ClientKeyer,
    /// The zone of error logs' local times (minutes east), when known: events then get their
    /// UTC `ts` as they are read.
    pub error_log_tz: Option<i16>,
}

/// Typed column builders for the hit schema.
pub struct HitBuilder {
    opts: RowOptions,
    ts: TimestampMicrosecondBuilder,
    tz: Int16Builder,
    ip: StringBuilder,
    client: UInt64Builder,
    host: StringBuilder,
    method: StringBuilder,
    path: StringBuilder,
    query: StringBuilder,
    protocol: StringBuilder,
    status: UInt16Builder,
    bytes: UInt64Builder,
    referrer: StringBuilder,
    user_agent: StringBuilder,
    duration: UInt64Builder,
    junk: BooleanBuilder,
    file_id: UInt32Builder,
    line: UInt64Builder,
    scratch: Vec<u8>,
    last_client: Vec<u8>,
    last_key: Option<u64>,
}

/// Appends `raw` (decoded, valid UTF-8) or null.
fn put(b: &mut StringBuilder, raw: Option<Raw<'_>>, utf8: bool, scratch: &mut Vec<u8>) {
    let Some(raw) = raw else {
        b.append_null();
        return;
    };
    let decoded = decode_into(raw.bytes, raw.encoding, scratch);
    let bytes: &[u8] = if decoded { scratch } else { raw.bytes };
    put_bytes(b, bytes, utf8 && !decoded);
}

fn put_bytes(b: &mut StringBuilder, bytes: &[u8], known_utf8: bool) {
    if known_utf8 {
        debug_assert!(std::str::from_utf8(bytes).is_ok());
        // SAFETY: `known_utf8` is only true for an undecoded slice of a line that was validated
        // as UTF-8, and every field boundary lies at an ASCII delimiter or at the start or end of
        // a match of a UTF-8 literal, which in valid UTF-8 text are character boundaries.
        b.append_value(unsafe { std::str::from_utf8_unchecked(bytes) });
    } else {
        b.append_value(String::from_utf8_lossy(bytes));
    }
}

impl HitBuilder {
    pub fn new(opts: RowOptions, rows: usize) -> Self {
        let strings = |avg: usize| StringBuilder::with_capacity(rows, rows * avg);
        Self {
            opts,
            ts: TimestampMicrosecondBuilder::with_capacity(rows).with_timezone("UTC"),
            tz: Int16Builder::with_capacity(rows),
            ip: strings(if opts.raw_ip { 16 } else { 0 }),
            client: UInt64Builder::with_capacity(rows),
            host: strings(8),
            method: strings(4),
            path: strings(32),
            query: strings(8),
            protocol: strings(8),
            status: UInt16Builder::with_capacity(rows),
            bytes: UInt64Builder::with_capacity(rows),
            referrer: strings(32),
            user_agent: strings(100),
            duration: UInt64Builder::with_capacity(rows),
            junk: BooleanBuilder::with_capacity(rows),
            file_id: UInt32Builder::with_capacity(rows),
            line: UInt64Builder::with_capacity(rows),
            scratch: Vec::new(),
            last_client: Vec::new(),
            last_key: None,
        }
    }

    pub fn len(&self) -> usize {
        self.ts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends one complete row, or rejects the line without touching any column.
    pub(crate) fn push(
        &mut self,
        s: &Slots<'_>,
        file_id: u32,
        line: u64,
        utf8: bool,
    ) -> Result<(), Reject> {
        let (ts, tz) = match (s.instant, s.date_days, s.time_of_day) {
            (Some(i), _, _) => i,
            (None, Some(d), Some(t)) => (d * 86_400_000_000 + t, None),
            _ => return Err(Reject::at(RejectReason::MissingTimestamp, 0)),
        };
        // The request line, split; explicit method/path/query/protocol fields win.
        let mut method = s.method;
        let mut path = s.path;
        let mut query = s.query;
        let mut protocol = s.protocol;
        let mut host = s.host;
        let mut junk = false;
        let raw = |bytes, r: Raw<'_>| Raw {
            bytes,
            encoding: r.encoding,
        };
        if let Some(req) = s.request {
            match request_line::split(req.bytes) {
                Some(p) => {
                    method = method.or(Some(raw(p.method, req)));
                    path = path.or(Some(raw(p.path, req)));
                    if s.query.is_none() {
                        query = p.query.map(|q| raw(q, req));
                    }
                    protocol = protocol.or(p.protocol.map(|v| raw(v, req)));
                    host = host.or(p.host.map(|h| raw(h, req)));
                }
                None if path.is_none() => {
                    junk = true;
                    // Kept as logged (still escaped) so binary junk stays printable.
                    path = Some(Raw {
                        bytes: req.bytes,
                        encoding: Encoding::Plain,
                    });
                }
                None => {}
            }
        }
        if let Some(uri) = s.uri {
            let (h, target) = request_line::split_absolute(uri.bytes);
            host = host.or(h.map(|h| raw(h, uri)));
            match memchr::memchr(b'?', target) {
                Some(q) => {
                    path = path.or(Some(raw(&target[..q], uri)));
                    query = query.or(Some(raw(&target[q + 1..], uri)));
                }
                None => path = path.or(Some(raw(target, uri))),
            }
        }
        let query = query.filter(|q| !q.bytes.is_empty());

        self.ts.append_value(ts);
        self.tz.append_option(tz);
        let client = match s.forwarded_for {
            Some(f) if self.opts.client_from_forwarded_for => Some(f),
            _ => s.client,
        };
        let key = match client {
            Some(c) if self.last_key.is_some() && self.last_client == c => self.last_key.unwrap(),
            c => {
                let k = self.opts.keyer.client(c);
                if let Some(c) = c {
                    self.last_client.clear();
                    self.last_client.extend_from_slice(c);
                    self.last_key = Some(k);
                }
                k
            }
        };
        self.client.append_value(key);
        match client {
            Some(c) if self.opts.raw_ip => put_bytes(&mut self.ip, c, utf8),
            _ => self.ip.append_null(),
        }
        let sc = &mut self.scratch;
        put(&mut self.host, host, utf8, sc);
        put(&mut self.method, method, utf8, sc);
        put(&mut self.path, path, utf8, sc);
        put(&mut self.query, query, utf8, sc);
        put(&mut self.protocol, protocol, utf8, sc);
        self.status.append_option(s.status);
        self.bytes.append_option(s.bytes);
        put(&mut self.referrer, s.referrer, utf8, sc);
        put(&mut self.user_agent, s.user_agent, utf8, sc);
        self.duration.append_option(s.duration_us);
        self.junk.append_value(junk);
        self.file_id.append_value(file_id);
        self.line.append_value(line);
        Ok(())
    }

    /// The rows so far as a batch of the hit schema; the builder is empty afterwards.
    pub fn finish(&mut self) -> RecordBatch {
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.ts.finish()),
            Arc::new(self.tz.finish()),
            Arc::new(self.ip.finish()),
            Arc::new(self.client.finish()),
            Arc::new(self.host.finish()),
            Arc::new(self.method.finish()),
            Arc::new(self.path.finish()),
            Arc::new(self.query.finish()),
            Arc::new(self.protocol.finish()),
            Arc::new(self.status.finish()),
            Arc::new(self.bytes.finish()),
            Arc::new(self.referrer.finish()),
            Arc::new(self.user_agent.finish()),
            Arc::new(self.duration.finish()),
            Arc::new(self.junk.finish()),
            Arc::new(self.file_id.finish()),
            Arc::new(self.line.finish()),
        ];
        RecordBatch::try_new(hit_schema(), columns).expect("columns follow the hit schema")
    }
}
