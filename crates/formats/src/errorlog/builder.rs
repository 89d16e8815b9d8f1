//! Events into the columns of the event schema (`clickpath_model::event`).

use std::sync::Arc;

use arrow_array::builder::{
    Int16Builder, Int32Builder, StringBuilder, TimestampMicrosecondBuilder, UInt32Builder,
    UInt64Builder,
};
use arrow_array::{ArrayRef, RecordBatch};
use clickpath_model::{ClientKeyer, event_schema};

use super::{EventSlots, cause};
use crate::request_line;

/// Appends an optional text, replacing invalid UTF-8.
fn put(b: &mut StringBuilder, v: Option<&[u8]>) {
    match v {
        Some(v) => match std::str::from_utf8(v) {
            Ok(s) => b.append_value(s),
            Err(_) => b.append_value(String::from_utf8_lossy(v)),
        },
        None => b.append_null(),
    }
}

pub struct EventBuilder {
    raw_ip: bool,
    zone: Option<i16>,
    keyer: ClientKeyer,
    local: TimestampMicrosecondBuilder,
    ts: TimestampMicrosecondBuilder,
    tz: Int16Builder,
    level: StringBuilder,
    module: StringBuilder,
    pid: UInt32Builder,
    tid: UInt64Builder,
    connection: UInt64Builder,
    ip: StringBuilder,
    client: UInt64Builder,
    server: StringBuilder,
    method: StringBuilder,
    path: StringBuilder,
    query: StringBuilder,
    protocol: StringBuilder,
    upstream: StringBuilder,
    host: StringBuilder,
    referrer: StringBuilder,
    code: StringBuilder,
    errno: Int32Builder,
    message: StringBuilder,
    cause: StringBuilder,
    continuation: UInt32Builder,
    file_id: UInt32Builder,
    line: UInt64Builder,
}

impl EventBuilder {
    pub fn new(raw_ip: bool, keyer: ClientKeyer, zone: Option<i16>) -> Self {
        Self {
            raw_ip,
            zone,
            keyer,
            local: TimestampMicrosecondBuilder::new(),
            ts: TimestampMicrosecondBuilder::new().with_timezone("UTC"),
            tz: Int16Builder::new(),
            level: StringBuilder::new(),
            module: StringBuilder::new(),
            pid: UInt32Builder::new(),
            tid: UInt64Builder::new(),
            connection: UInt64Builder::new(),
            ip: StringBuilder::new(),
            client: UInt64Builder::new(),
            server: StringBuilder::new(),
            method: StringBuilder::new(),
            path: StringBuilder::new(),
            query: StringBuilder::new(),
            protocol: StringBuilder::new(),
            upstream: StringBuilder::new(),
            host: StringBuilder::new(),
            referrer: StringBuilder::new(),
            code: StringBuilder::new(),
            errno: Int32Builder::new(),
            message: StringBuilder::new(),
            cause: StringBuilder::new(),
            continuation: UInt32Builder::new(),
            file_id: UInt32Builder::new(),
            line: UInt64Builder::new(),
        }
    }

    pub(crate) fn push(&mut self, e: &EventSlots<'_>, continuation: u32, file_id: u32, line: u64) {
        self.local.append_value(e.local);
        self.ts
            .append_option(self.zone.map(|z| e.local - i64::from(z) * 60_000_000));
        self.tz.append_option(self.zone);
        put(&mut self.level, Some(e.level));
        put(&mut self.module, e.module);
        self.pid.append_option(e.pid);
        self.tid.append_option(e.tid);
        self.connection.append_option(e.connection);
        match e.client {
            Some(c) if !c.is_empty() && c != b"-" => {
                self.client.append_value(self.keyer.client(Some(c)));
                put(&mut self.ip, self.raw_ip.then_some(c));
            }
            _ => {
                self.client.append_null();
                self.ip.append_null();
            }
        }
        put(&mut self.server, e.server);
        let req = e.request.and_then(request_line::split);
        put(&mut self.method, req.as_ref().map(|r| r.method));
        put(&mut self.path, req.as_ref().map(|r| r.path).or(e.path));
        put(&mut self.query, req.as_ref().and_then(|r| r.query));
        put(&mut self.protocol, req.as_ref().and_then(|r| r.protocol));
        put(&mut self.upstream, e.upstream);
        put(&mut self.host, e.host);
        put(&mut self.referrer, e.referrer.filter(|r| *r != b"-"));
        put(&mut self.code, e.code);
        self.errno.append_option(e.errno);
        if e.more.is_empty() {
            put(&mut self.message, Some(e.message));
        } else {
            put(&mut self.message, Some(&[e.message, e.more].concat()));
        }
        self.cause.append_value(cause::classify(e.body).as_str());
        self.continuation.append_value(continuation);
        self.file_id.append_value(file_id);
        self.line.append_value(line);
    }

    pub fn finish(&mut self) -> RecordBatch {
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.local.finish()),
            Arc::new(self.ts.finish()),
            Arc::new(self.tz.finish()),
            Arc::new(self.level.finish()),
            Arc::new(self.module.finish()),
            Arc::new(self.pid.finish()),
            Arc::new(self.tid.finish()),
            Arc::new(self.connection.finish()),
            Arc::new(self.ip.finish()),
            Arc::new(self.client.finish()),
            Arc::new(self.server.finish()),
            Arc::new(self.method.finish()),
            Arc::new(self.path.finish()),
            Arc::new(self.query.finish()),
            Arc::new(self.protocol.finish()),
            Arc::new(self.upstream.finish()),
            Arc::new(self.host.finish()),
            Arc::new(self.referrer.finish()),
            Arc::new(self.code.finish()),
            Arc::new(self.errno.finish()),
            Arc::new(self.message.finish()),
            Arc::new(self.cause.finish()),
            Arc::new(self.continuation.finish()),
            Arc::new(self.file_id.finish()),
            Arc::new(self.line.finish()),
        ];
        RecordBatch::try_new(event_schema(), columns).expect("columns follow the event schema")
    }
}
