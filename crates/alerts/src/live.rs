//! The watcher's side of an ingest: every batch the ingest adds (or a replay hands back) goes
//! into the report's aggregator, cut at each minute of log time, and the rules are evaluated
//! at the end of each minute. Time is the log's: a log replayed faster than real time raises
//! the same alerts at the same log times.
//!
//! The aggregator grows with the visitors and paths it has seen, so it is renewed: a new one
//! starts every 6 hours of log time beside the old, and the rules read the oldest, which has
//! seen 6 to 12 hours; so memory stays bounded and the rules always have 6 hours to learn from.

use std::collections::VecDeque;

use arrow_array::cast::AsArray;
use arrow_array::types::TimestampMicrosecondType;
use arrow_array::{Array, RecordBatch};
use clickpath_analytics::incidents::MINUTE;
use clickpath_analytics::{TrafficAggregator, TrafficConfig};
use clickpath_ingest::Sink;
use clickpath_model::field;

use crate::engine::{Engine, WINDOW};
use crate::history::minute_of;

const RENEW: i64 = WINDOW / MINUTE;

pub struct Live {
    cfg: TrafficConfig,
    /// (first minute, aggregator), oldest first.
    aggs: VecDeque<(i64, TrafficAggregator)>,
    pub engine: Engine,
    /// The minute being filled.
    minute: Option<i64>,
    /// Minutes up to this one are not evaluated (seen before a restart, replayed to warm up).
    quiet_until: Option<i64>,
    pub requests: u64,
    pub events: u64,
    /// Requests by status class: none, 1xx ... 5xx.
    pub by_class: [u64; 6],
    /// Error-log events of the recent hours, for a new aggregator (a restart at the moment of
    /// a renewal must not be missed, and a replay hands all events first).
    recent_events: Vec<RecordBatch>,
    told: Vec<crate::payload::Notification>,
    error: Option<crate::Error>,
    /// Following: requests are held one round (one ingest) before they count, see
    /// [`Live::end_round`].
    deferred: bool,
    this_round: Vec<(RecordBatch, bool)>,
    held: Vec<(RecordBatch, bool)>,
}

/// Held requests beyond this are counted at once (a watcher catching up on a long stop).
const HOLD_MAX: usize = 1_000_000;

/// The rows of an event batch whose local time is at or after `cut` (UTC micros, a day early:
/// local times).
fn events_since(batch: &RecordBatch, cut: i64) -> Option<RecordBatch> {
    let local = batch
        .column_by_name(clickpath_model::event::LOCAL_TIME)?
        .as_primitive_opt::<TimestampMicrosecondType>()?;
    let keep: arrow_array::BooleanArray = local
        .iter()
        .map(|t| Some(t.is_some_and(|t| t >= cut - 86_400_000_000)))
        .collect();
    let out = arrow_select::filter::filter_record_batch(batch, &keep).ok()?;
    (out.num_rows() > 0).then_some(out)
}

impl Live {
    pub fn new(cfg: TrafficConfig, engine: Engine) -> Live {
        Live {
            cfg,
            aggs: VecDeque::new(),
            engine,
            minute: None,
            quiet_until: None,
            requests: 0,
            events: 0,
            by_class: [0; 6],
            recent_events: Vec::new(),
            told: Vec::new(),
            error: None,
            deferred: false,
            this_round: Vec::new(),
            held: Vec::new(),
        }
    }

    /// While following: a server writes a request's error-log line before its access line, but
    /// an ingest may read the error log just before the line is written and the access log just
    /// after. So requests are held until the next ingest has read the error logs again: each
    /// error line is in before the requests it explains, and before their minute is evaluated.
    pub fn follow(&mut self) {
        self.deferred = true;
    }

    /// One ingest is over: the requests held from the one before now count.
    pub fn end_round(&mut self) {
        let held = std::mem::replace(&mut self.held, std::mem::take(&mut self.this_round));
        for (b, logged) in held {
            self.count(&b, logged);
        }
        if self.held.iter().map(|(b, _)| b.num_rows()).sum::<usize>() > HOLD_MAX {
            for (b, logged) in std::mem::take(&mut self.held) {
                self.count(&b, logged);
            }
        }
    }

    /// Until `minute` (minute number), batches only warm the aggregators up.
    pub fn quiet_until(&mut self, minute: Option<i64>) {
        self.quiet_until = minute;
    }

    /// The minute being filled (minute number).
    pub fn current_minute(&self) -> Option<i64> {
        self.minute
    }

    /// The aggregator the rules read.
    pub fn aggregator(&self) -> Option<&TrafficAggregator> {
        self.aggs.front().map(|(_, a)| a)
    }

    /// The log's latest time seen.
    pub fn last_seen(&self) -> Option<i64> {
        self.aggs.back().and_then(|(_, a)| a.last_seen())
    }

    fn feed(&mut self, batch: &RecordBatch, logged: bool) {
        if batch.num_rows() == 0 {
            return;
        }
        for (_, a) in &mut self.aggs {
            a.add(batch, logged);
        }
    }

    /// The minute `done` is over (the next line is in minute `next`).
    fn close_minute(&mut self, done: i64, next: i64) {
        let quiet = self.quiet_until.is_some_and(|q| done <= q);
        if !quiet {
            let mut at = vec![(done + 1) * MINUTE - 1];
            if next - 1 > done {
                // After a gap, once at its end too (nothing came in between).
                at.push(next * MINUTE - 1);
            }
            for t in at {
                if let Some((_, agg)) = self.aggs.front() {
                    self.engine.evaluate(agg, t, true, None);
                }
                self.dispatch(Some(t));
            }
        }
        // Renewal: the new aggregator gets the events of the hours the rules read.
        if self
            .aggs
            .back()
            .is_none_or(|(first, _)| next - first >= RENEW)
        {
            let cut = next * MINUTE - WINDOW;
            self.recent_events = self
                .recent_events
                .iter()
                .filter_map(|b| events_since(b, cut))
                .collect();
            let mut agg = TrafficAggregator::new(self.cfg.clone());
            for b in &self.recent_events {
                agg.add_events(b);
            }
            self.aggs.push_back((next, agg));
        }
        while self.aggs.len() > 2
            || (self.aggs.len() > 1
                && self
                    .aggs
                    .front()
                    .is_some_and(|(first, _)| next - first >= 2 * RENEW))
        {
            self.aggs.pop_front();
        }
    }

    /// Notifications due, into the journals; an error is kept for [`Live::take_error`].
    fn dispatch(&mut self, log: Option<i64>) {
        match self.engine.dispatch(log) {
            Ok(sent) => self.told.extend(sent),
            Err(e) => {
                if self.error.is_none() {
                    self.error = Some(e);
                }
            }
        }
    }

    /// The notifications made since the last call, and the first error (a journal that could
    /// not be written).
    pub fn take(&mut self) -> (Vec<crate::payload::Notification>, Option<crate::Error>) {
        (std::mem::take(&mut self.told), self.error.take())
    }

    /// Evaluates between minutes (alerts may fire as soon as a minute seen in part shows it;
    /// they stop only at whole minutes) and dispatches.
    pub fn tick_and_dispatch(&mut self, silent_for: Option<i64>) {
        self.tick(silent_for);
        let log = self.last_seen();
        self.dispatch(log);
    }

    /// An evaluation between minutes (each round while following): alerts may fire as soon
    /// as a minute seen in part shows it; they stop only at whole minutes.
    fn tick(&mut self, silent_for: Option<i64>) {
        let Some(now) = self.last_seen() else { return };
        if self.quiet_until.is_some_and(|q| minute_of(now) <= q) {
            return;
        }
        if let Some((_, agg)) = self.aggs.front() {
            self.engine.evaluate(agg, now, false, silent_for);
        }
    }
}

impl Sink for Live {
    fn events(&mut self, batch: &RecordBatch) {
        self.events += batch.num_rows() as u64;
        if self.aggs.is_empty() {
            // Its first minute is set by the first request.
            self.aggs
                .push_back((0, TrafficAggregator::new(self.cfg.clone())));
        }
        for (_, a) in &mut self.aggs {
            a.add_events(batch);
        }
        self.recent_events.push(batch.clone());
    }

    fn requests(&mut self, hit: &RecordBatch, logged: bool) {
        self.requests += hit.num_rows() as u64;
        if self.deferred {
            self.this_round.push((hit.clone(), logged));
        } else {
            self.count(hit, logged);
        }
    }
}

impl Live {
    /// Requests into the aggregators, cut at each minute, evaluated at its end.
    fn count(&mut self, hit: &RecordBatch, logged: bool) {
        if let Some(st) = hit
            .column_by_name(field::STATUS)
            .and_then(|c| c.as_primitive_opt::<arrow_array::types::UInt16Type>())
        {
            for v in st.iter() {
                let k = v.map_or(0, |s| usize::from(s / 100).clamp(1, 5));
                self.by_class[k] += 1;
            }
        }
        let Some(ts) = hit
            .column_by_name(field::TS)
            .and_then(|c| c.as_primitive_opt::<TimestampMicrosecondType>())
        else {
            return;
        };
        let ts = ts.clone();
        let mut from = 0;
        for i in 0..hit.num_rows() {
            if ts.is_null(i) {
                continue;
            }
            let m = minute_of(ts.value(i));
            let cur = match self.minute {
                Some(c) => c,
                None => {
                    self.minute = Some(m);
                    match self.aggs.back_mut() {
                        // Started by error-log events: its time starts now.
                        Some((first, _)) => *first = m,
                        None => self
                            .aggs
                            .push_back((m, TrafficAggregator::new(self.cfg.clone()))),
                    }
                    continue;
                }
            };
            // Lines a few seconds late stay in the minute being filled.
            if m > cur {
                self.feed(&hit.slice(from, i - from), logged);
                from = i;
                self.minute = Some(m);
                self.close_minute(cur, m);
            }
        }
        self.feed(&hit.slice(from, hit.num_rows() - from), logged);
    }
}
