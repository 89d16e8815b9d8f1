//! clickpath's functions in SQL (docs/sql.md):
//!
//! - `sessionize(ts, timeout_seconds [, day, campaign]) OVER (PARTITION BY visitor ORDER BY ts)`:
//!   session number (1, 2, ...) of each request of a visitor, by the report's session rule.
//! - `window_funnel(window_seconds, ts, cond1, cond2, ...)`: like ClickHouse's `windowFunnel`,
//!   the number of steps reached in order, each within `window_seconds` of the first step.
//! - `ua_is_bot(ua)`, `ua_bot_family(ua)`, `ua_bot_name(ua)`, `ua_device(ua)`,
//!   `ua_browser(ua)`, `ua_os(ua)`: the user-agent classification of the reports.
//! - `channel(referrer, query, host)`: the marketing channel of a landing request.

use std::sync::{Arc, Mutex};

use arrow_array::builder::{ArrayBuilder, BooleanBuilder, StringBuilder};
use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Int64Type, TimestampMicrosecondType};
use arrow_array::{Array, ArrayRef, BooleanArray, Int64Array, ListArray, UInt64Array};
use arrow_schema::{DataType, Field, FieldRef, TimeUnit};
use clickpath_analytics::channel::{campaign_params, channel, referrer_host, strip_www};
use clickpath_analytics::matcher::{Matcher, Request};
use clickpath_analytics::session_rule::{Arrival, SessionRules, number_sessions};
use clickpath_analytics::{Agent, Agents};
use datafusion::common::{ScalarValue, exec_err, plan_err};
use datafusion::error::Result;
use datafusion::logical_expr::function::{
    AccumulatorArgs, PartitionEvaluatorArgs, StateFieldsArgs, WindowUDFFieldArgs,
};
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, ColumnarValue, EmitTo, GroupsAccumulator,
    PartitionEvaluator, ScalarUDF, Signature, TypeSignature, Volatility, WindowUDF, WindowUDFImpl,
    create_udf,
};
use datafusion::prelude::SessionContext;

pub fn register(ctx: &SessionContext) {
    let agents = Arc::new(Mutex::new(Agents::new()));
    for f in ua_udfs(&agents) {
        ctx.register_udf(f);
    }
    ctx.register_udf(channel_udf());
    ctx.register_udf(referrer_path_udf());
    ctx.register_udf(speed_bucket_udf());
    ctx.register_udf(request_matches_udf());
    ctx.register_udwf(WindowUDF::from(Sessionize::new()));
    ctx.register_udaf(AggregateUDF::from(WindowFunnel::new()));
}

/// An argument as a string array (the engine may pass a scalar or a dictionary).
fn strings(arg: &ColumnarValue, rows: usize) -> Result<ArrayRef> {
    let a = arg.to_array(rows)?;
    Ok(datafusion::arrow::compute::cast(&a, &DataType::Utf8)?)
}

fn rows_of(args: &[ColumnarValue]) -> usize {
    args.iter()
        .find_map(|a| match a {
            ColumnarValue::Array(a) => Some(a.len()),
            ColumnarValue::Scalar(_) => None,
        })
        .unwrap_or(1)
}

/// A function of one user agent: `fill` appends the value for each row's classified agent.
fn ua_udf<B>(
    name: &str,
    returns: DataType,
    agents: Arc<Mutex<Agents>>,
    fill: impl Fn(&mut B, &Agent) + Send + Sync + 'static,
) -> ScalarUDF
where
    B: ArrayBuilder + Default,
{
    create_udf(
        name,
        vec![DataType::Utf8],
        returns,
        Volatility::Immutable,
        Arc::new(move |args: &[ColumnarValue]| {
            let ua = strings(&args[0], rows_of(args))?;
            let ua = ua.as_string::<i32>();
            let mut agents = agents.lock().map_err(|_| {
                datafusion::error::DataFusionError::Internal("agent cache poisoned".into())
            })?;
            let mut out = B::default();
            for r in 0..ua.len() {
                let id = agents.id(ua.is_valid(r).then(|| ua.value(r)));
                fill(&mut out, agents.get(id));
            }
            Ok(ColumnarValue::Array(out.finish()))
        }),
    )
}

fn ua_udfs(agents: &Arc<Mutex<Agents>>) -> Vec<ScalarUDF> {
    let text = |name, f: fn(&Agent) -> Option<&str>| {
        ua_udf(
            name,
            DataType::Utf8,
            Arc::clone(agents),
            move |b: &mut StringBuilder, a| b.append_option(f(a)),
        )
    };
    vec![
        ua_udf(
            "ua_is_bot",
            DataType::Boolean,
            Arc::clone(agents),
            |b: &mut BooleanBuilder, a| b.append_value(a.bot.is_some()),
        ),
        text("ua_bot_family", |a| a.bot.as_ref().map(|b| b.1.as_str())),
        text("ua_bot_name", |a| a.bot.as_ref().map(|b| b.0.as_str())),
        text("ua_device", |a| Some(a.device.as_str())),
        text("ua_browser", |a| Some(&a.browser)),
        text("ua_os", |a| Some(&a.os)),
    ]
}

/// `referrer_path(referrer)`: the path of a referrer URL without query or fragment (`/` when it
/// has none), as the report takes a broken link's source page.
fn referrer_path_udf() -> ScalarUDF {
    create_udf(
        "referrer_path",
        vec![DataType::Utf8],
        DataType::Utf8,
        Volatility::Immutable,
        Arc::new(|args: &[ColumnarValue]| {
            let referrer = strings(&args[0], rows_of(args))?;
            let referrer = referrer.as_string::<i32>();
            let out: arrow_array::StringArray = referrer
                .iter()
                .map(|r| r.map(clickpath_analytics::channel::referrer_path))
                .collect();
            Ok(ColumnarValue::Array(Arc::new(out)))
        }),
    )
}

/// `request_matches(spec, method, path, query, status, is_page_view)`: whether a request matches
/// a funnel step or goal written as JSON (`{"path":"/checkout/**","method":"POST"}`: the keys of
/// a goal in `clickpath.toml`), by the report's own matcher. The spec travels in the plan as a
/// literal, so every engine that has the function evaluates the same rule.
fn request_matches_udf() -> ScalarUDF {
    let compiled: Mutex<Vec<(String, Arc<Matcher>)>> = Mutex::new(Vec::new());
    create_udf(
        "request_matches",
        vec![
            DataType::Utf8,
            DataType::Utf8,
            DataType::Utf8,
            DataType::Utf8,
            DataType::UInt16,
            DataType::Boolean,
        ],
        DataType::Boolean,
        Volatility::Immutable,
        Arc::new(move |args: &[ColumnarValue]| {
            let rows = rows_of(args);
            let [spec, method, path, query] = std::array::from_fn(|i| strings(&args[i], rows));
            let (spec, method, path, query) = (spec?, method?, path?, query?);
            let status = args[4].to_array(rows)?;
            let status = datafusion::arrow::compute::cast(&status, &DataType::UInt16)?;
            let status = status.as_primitive::<arrow_array::types::UInt16Type>();
            let page = args[5].to_array(rows)?;
            let page = page.as_boolean();
            let (spec, method, path, query) = (
                spec.as_string::<i32>(),
                method.as_string::<i32>(),
                path.as_string::<i32>(),
                query.as_string::<i32>(),
            );
            let mut compiled = compiled.lock().map_err(|_| {
                datafusion::error::DataFusionError::Internal("matcher cache poisoned".into())
            })?;
            let mut lookup = |text: &str| -> datafusion::error::Result<Arc<Matcher>> {
                if let Some((_, m)) = compiled.iter().find(|(s, _)| s == text) {
                    return Ok(Arc::clone(m));
                }
                let m =
                    Arc::new(Matcher::from_spec(text).map_err(|e| {
                        datafusion::error::DataFusionError::Execution(e.to_string())
                    })?);
                compiled.push((text.to_owned(), Arc::clone(&m)));
                Ok(m)
            };
            // The plans pass the spec as a literal: one lookup for the whole batch.
            let literal = match &args[0] {
                ColumnarValue::Scalar(_) if rows > 0 && spec.is_valid(0) => {
                    Some(lookup(spec.value(0))?)
                }
                _ => None,
            };
            let mut out = BooleanBuilder::with_capacity(rows);
            for r in 0..rows {
                if spec.is_null(r) || path.is_null(r) {
                    out.append_value(false);
                    continue;
                }
                let m = match &literal {
                    Some(m) => Arc::clone(m),
                    None => lookup(spec.value(r))?,
                };
                out.append_value(m.matches(&Request {
                    method: method.is_valid(r).then(|| method.value(r)),
                    path: path.value(r),
                    query: query.is_valid(r).then(|| query.value(r)),
                    status: status.is_valid(r).then(|| status.value(r)),
                    is_pageview: page.is_valid(r) && page.value(r),
                }));
            }
            Ok(ColumnarValue::Array(Arc::new(out.finish())))
        }),
    )
}

/// `speed_bucket(duration_us)`: the report's response-time bucket (0 for 0 ms, then each 25%
/// wider than the last, 63 at most), from which its slow-page percentiles are read.
fn speed_bucket_udf() -> ScalarUDF {
    create_udf(
        "speed_bucket",
        vec![DataType::UInt64],
        DataType::UInt32,
        Volatility::Immutable,
        Arc::new(|args: &[ColumnarValue]| {
            let d = args[0].to_array(rows_of(args))?;
            let d = datafusion::arrow::compute::cast(&d, &DataType::UInt64)?;
            let out: arrow_array::UInt32Array = d
                .as_primitive::<arrow_array::types::UInt64Type>()
                .iter()
                .map(|d| d.map(|d| clickpath_analytics::speed::bucket_index(d) as u32))
                .collect();
            Ok(ColumnarValue::Array(Arc::new(out)))
        }),
    )
}

fn channel_udf() -> ScalarUDF {
    create_udf(
        "channel",
        vec![DataType::Utf8, DataType::Utf8, DataType::Utf8],
        DataType::Utf8,
        Volatility::Immutable,
        Arc::new(|args: &[ColumnarValue]| {
            let rows = rows_of(args);
            let cols = args
                .iter()
                .map(|a| strings(a, rows))
                .collect::<Result<Vec<_>>>()?;
            let (referrer, query, host) = (
                cols[0].as_string::<i32>(),
                cols[1].as_string::<i32>(),
                cols[2].as_string::<i32>(),
            );
            let opt = |a: &arrow_array::StringArray, r: usize| {
                a.is_valid(r).then(|| a.value(r).to_owned())
            };
            let mut out = StringBuilder::new();
            for r in 0..rows {
                let (utm, clicks) = campaign_params(opt(query, r).as_deref());
                let rh = opt(referrer, r)
                    .as_deref()
                    .and_then(referrer_host)
                    .map(|h| h.to_ascii_lowercase());
                let internal = match (&rh, opt(host, r)) {
                    (Some(rh), Some(h)) => strip_www(rh) == strip_www(&h.to_ascii_lowercase()),
                    _ => false,
                };
                out.append_value(channel(rh.as_deref(), internal, &utm, clicks).as_str());
            }
            Ok(ColumnarValue::Array(Arc::new(out.finish())))
        }),
    )
}

/// `sessionize(ts, timeout_seconds [, day, campaign]) OVER (PARTITION BY visitor ORDER BY ...)`:
/// the session rule of the report and of ingest (`clickpath_analytics::session_rule`), over one
/// visitor's rows in the window's order. With `day` (a local date) a session also ends at
/// midnight; `campaign` is NULL for rows that are not page views and the page view's campaign
/// (`''` for none) otherwise, which also ends a session on a new campaign.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Sessionize {
    signature: Signature,
}

impl Sessionize {
    fn new() -> Self {
        let ts = DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
        Self {
            signature: Signature::one_of(
                vec![
                    TypeSignature::Exact(vec![ts.clone(), DataType::Int64]),
                    TypeSignature::Exact(vec![
                        ts,
                        DataType::Int64,
                        DataType::Date32,
                        DataType::Utf8,
                    ]),
                ],
                Volatility::Immutable,
            ),
        }
    }
}

impl WindowUDFImpl for Sessionize {
    fn name(&self) -> &str {
        "sessionize"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn partition_evaluator(
        &self,
        _: PartitionEvaluatorArgs,
    ) -> Result<Box<dyn PartitionEvaluator>> {
        Ok(Box::new(SessionizeEvaluator))
    }

    fn field(&self, args: WindowUDFFieldArgs) -> Result<FieldRef> {
        Ok(Arc::new(Field::new(args.name(), DataType::UInt64, false)))
    }
}

#[derive(Debug)]
struct SessionizeEvaluator;

impl PartitionEvaluator for SessionizeEvaluator {
    fn evaluate_all(&mut self, values: &[ArrayRef], num_rows: usize) -> Result<ArrayRef> {
        let ts = values[0].as_primitive::<TimestampMicrosecondType>();
        let timeout = values[1].as_primitive::<Int64Type>();
        let day = values.get(2).map(|a| a.as_primitive::<Date32Type>());
        let campaign = values.get(3).map(|a| a.as_string::<i32>());
        let timeout_s = (0..num_rows)
            .find(|&r| timeout.is_valid(r))
            .map_or(1800, |r| timeout.value(r));
        let rules = SessionRules {
            timeout_s,
            split_at_midnight: day.is_some(),
            split_on_campaign: campaign.is_some(),
        };
        let mut last_ts = i64::MIN;
        let arrivals = (0..num_rows).map(|r| {
            // A row without a time keeps the time before it (it joins that session).
            if ts.is_valid(r) {
                last_ts = ts.value(r);
            }
            let page = campaign.is_some_and(|c| c.is_valid(r));
            Arrival {
                ts: last_ts,
                day: day.map_or(0, |d| {
                    if d.is_valid(r) {
                        i64::from(d.value(r))
                    } else {
                        0
                    }
                }),
                page,
                campaign: match campaign {
                    Some(c) if page && !c.value(r).is_empty() => campaign_key(c.value(r)),
                    _ => 0,
                },
            }
        });
        Ok(Arc::new(UInt64Array::from(number_sessions(
            &rules, arrivals,
        ))))
    }
}

/// A non-zero identity of a campaign text.
fn campaign_key(s: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    s.hash(&mut h);
    h.finish() | 1
}

/// `window_funnel(window_seconds, ts, cond1, cond2, ...)`.
#[derive(Debug, PartialEq, Eq, Hash)]
struct WindowFunnel {
    signature: Signature,
}

impl WindowFunnel {
    fn new() -> Self {
        Self {
            signature: Signature::variadic_any(Volatility::Immutable),
        }
    }
}

/// Steps are encoded with their time: `ts_micros * 64 + step` (at most 63 steps).
const MAX_STEPS: usize = 63;

impl AggregateUDFImpl for WindowFunnel {
    fn name(&self) -> &str {
        "window_funnel"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, args: &[DataType]) -> Result<DataType> {
        if args.len() < 3 || args.len() - 2 > MAX_STEPS {
            return plan_err!(
                "window_funnel(window_seconds, ts, cond1, cond2, ...) takes a window, a timestamp and 1 to {MAX_STEPS} conditions"
            );
        }
        if !args[0].is_integer() {
            return plan_err!(
                "window_funnel: the window is a number of seconds, not {}",
                args[0]
            );
        }
        if !matches!(args[1], DataType::Timestamp(..)) {
            return plan_err!(
                "window_funnel: the second argument is a timestamp, not {}",
                args[1]
            );
        }
        if let Some(bad) = args[2..].iter().find(|t| **t != DataType::Boolean) {
            return plan_err!("window_funnel: conditions are booleans, not {bad}");
        }
        Ok(DataType::Int64)
    }

    fn accumulator(&self, _: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(FunnelAccumulator::default()))
    }

    fn groups_accumulator_supported(&self, _: AccumulatorArgs) -> bool {
        true
    }

    fn create_groups_accumulator(&self, _: AccumulatorArgs) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(FunnelGroups::default()))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![
            Arc::new(Field::new(
                format!("{}_window", args.name),
                DataType::Int64,
                true,
            )),
            Arc::new(Field::new_list(
                format!("{}_events", args.name),
                Field::new_list_field(DataType::Int64, true),
                true,
            )),
        ])
    }
}

/// Calls `push(row, event)` for every condition true on a row (event = `ts * 64 + step`);
/// returns the window in seconds (the first non-null value).
fn funnel_events(values: &[ArrayRef], mut push: impl FnMut(usize, i64)) -> Result<Option<i64>> {
    let window = datafusion::arrow::compute::cast(&values[0], &DataType::Int64)?;
    let window_s = window.as_primitive::<Int64Type>().iter().flatten().next();
    if window_s.is_some_and(|w| w < 0) {
        return exec_err!("window_funnel: the window is negative");
    }
    let ts = datafusion::arrow::compute::cast(
        &values[1],
        &DataType::Timestamp(TimeUnit::Microsecond, None),
    )?;
    let ts = ts.as_primitive::<TimestampMicrosecondType>();
    for (step, c) in values[2..].iter().enumerate() {
        let c = c.as_boolean();
        for r in 0..ts.len() {
            if ts.is_valid(r) && c.is_valid(r) && c.value(r) {
                push(r, ts.value(r).saturating_mul(64) + step as i64);
            }
        }
    }
    Ok(window_s)
}

/// Steps reached in order, each within `window_s` of the chain's first step.
fn funnel_level(events: &mut [i64], window_s: i64) -> i64 {
    events.sort_unstable();
    let window = window_s.saturating_mul(1_000_000);
    // Start time of the chain that reached each step.
    let mut start = [None::<i64>; MAX_STEPS];
    let mut reached = 0usize;
    for &e in events.iter() {
        let (t, step) = (e.div_euclid(64), e.rem_euclid(64) as usize);
        if step == 0 {
            start[0] = Some(t);
        } else if let Some(s) = start[step - 1]
            && t <= s.saturating_add(window)
        {
            start[step] = Some(s);
        } else {
            continue;
        }
        reached = reached.max(step + 1);
    }
    reached as i64
}

fn event_lists(lists: impl IntoIterator<Item = Vec<i64>>) -> ListArray {
    ListArray::from_iter_primitive::<Int64Type, _, _>(
        lists.into_iter().map(|l| Some(l.into_iter().map(Some))),
    )
}

/// The aggregation of all groups of a hash aggregate at once.
#[derive(Debug, Default)]
struct FunnelGroups {
    window_s: Option<i64>,
    events: Vec<Vec<i64>>,
    /// Events held (for `size`, which must not walk every group).
    stored: usize,
}

impl GroupsAccumulator for FunnelGroups {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        groups: &[usize],
        filter: Option<&BooleanArray>,
        total: usize,
    ) -> Result<()> {
        self.events.resize_with(total, Vec::new);
        let (events, stored) = (&mut self.events, &mut self.stored);
        let window = funnel_events(values, |r, e| {
            if filter.is_none_or(|f| f.is_valid(r) && f.value(r)) {
                events[groups[r]].push(e);
                *stored += 1;
            }
        })?;
        self.window_s = self.window_s.or(window);
        Ok(())
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let window = self.window_s.unwrap_or(0);
        let taken = emit_to.take_needed(&mut self.events);
        self.stored -= taken.iter().map(Vec::len).sum::<usize>().min(self.stored);
        let out: Int64Array = taken
            .into_iter()
            .map(|mut e| Some(funnel_level(&mut e, window)))
            .collect();
        Ok(Arc::new(out))
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        let lists = emit_to.take_needed(&mut self.events);
        self.stored -= lists.iter().map(Vec::len).sum::<usize>().min(self.stored);
        Ok(vec![
            Arc::new(Int64Array::from(vec![self.window_s; lists.len()])),
            Arc::new(event_lists(lists)),
        ])
    }

    fn merge_batch(&mut self, values: &[ArrayRef], groups: &[usize], total: usize) -> Result<()> {
        self.events.resize_with(total, Vec::new);
        let windows = values[0].as_primitive::<Int64Type>();
        self.window_s = self.window_s.or(windows.iter().flatten().next());
        let lists = values[1].as_list::<i32>();
        for (r, &g) in groups.iter().enumerate() {
            if lists.is_valid(r) {
                let v = lists.value(r);
                let v = v.as_primitive::<Int64Type>();
                self.stored += v.len();
                self.events[g].extend(v.iter().flatten());
            }
        }
        Ok(())
    }

    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        let mut lists = vec![Vec::new(); values[1].len()];
        let window = funnel_events(values, |r, e| {
            if filter.is_none_or(|f| f.is_valid(r) && f.value(r)) {
                lists[r].push(e);
            }
        })?;
        Ok(vec![
            Arc::new(Int64Array::from(vec![window; lists.len()])),
            Arc::new(event_lists(lists)),
        ])
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self)
            + self.events.capacity() * std::mem::size_of::<Vec<i64>>()
            + self.stored * 8
    }
}

/// One group at a time (window functions, and the engine's fallback).
#[derive(Debug, Default)]
struct FunnelAccumulator {
    window_s: Option<i64>,
    events: Vec<i64>,
}

impl Accumulator for FunnelAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let events = &mut self.events;
        let window = funnel_events(values, |_, e| events.push(e))?;
        self.window_s = self.window_s.or(window);
        Ok(())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let level = funnel_level(&mut self.events, self.window_s.unwrap_or(0));
        Ok(ScalarValue::Int64(Some(level)))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.events.capacity() * 8
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let list = event_lists([self.events.clone()]);
        Ok(vec![
            ScalarValue::Int64(self.window_s),
            ScalarValue::List(Arc::new(list)),
        ])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let windows = states[0].as_primitive::<Int64Type>();
        self.window_s = self.window_s.or(windows.iter().flatten().next());
        let lists = states[1].as_list::<i32>();
        for r in 0..lists.len() {
            if lists.is_valid(r) {
                let v = lists.value(r);
                self.events
                    .extend(v.as_primitive::<Int64Type>().iter().flatten());
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{RecordBatch, StringArray, TimestampMicrosecondArray};
    use datafusion::datasource::MemTable;

    /// Runs `sql` over `events(visitor, ts, path)` (times in seconds) and returns the first
    /// column of the result as text, row by row.
    fn query(rows: &[(&str, i64, &str)], sql: &str) -> Vec<String> {
        let schema = Arc::new(arrow_schema::Schema::new(vec![
            Field::new("visitor", DataType::Utf8, false),
            Field::new(
                "ts",
                DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
                false,
            ),
            Field::new("path", DataType::Utf8, false),
        ]));
        let batch = RecordBatch::try_new(
            Arc::clone(&schema),
            vec![
                Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.0))),
                Arc::new(
                    TimestampMicrosecondArray::from_iter_values(
                        rows.iter().map(|r| r.1 * 1_000_000),
                    )
                    .with_timezone("UTC"),
                ),
                Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.2))),
            ],
        )
        .unwrap();
        let ctx = SessionContext::new();
        register(&ctx);
        ctx.register_table(
            "events",
            Arc::new(MemTable::try_new(schema, vec![vec![batch]]).unwrap()),
        )
        .unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let batches = rt.block_on(async { ctx.sql(sql).await.unwrap().collect().await.unwrap() });
        let mut out = Vec::new();
        for b in batches {
            let col = datafusion::arrow::compute::cast(b.column(0), &DataType::Utf8).unwrap();
            out.extend(
                col.as_string::<i32>()
                    .iter()
                    .map(|v| v.unwrap_or("null").to_owned()),
            );
        }
        out
    }

    #[test]
    fn request_matches_is_the_goal_matcher_and_names_a_bad_spec() {
        // Paths of `events`; the method, status and page-view flag are literals in the query.
        let rows = [
            ("v", 0, "/cart/add"),
            ("v", 1, "/cart"),
            ("v", 2, "/cart/add/x"),
        ];
        let m = |spec: &str, method: &str, status: u16, page: bool| {
            query(
                &rows,
                &format!(
                    "SELECT request_matches('{spec}', '{method}', path, NULL, CAST({status} AS SMALLINT UNSIGNED), {page}) FROM events"
                ),
            )
        };
        let post = r#"{"path":"/cart/add","method":"POST","status":"3xx"}"#;
        // Hand-checked: only the exact path, with the method and a 3xx.
        assert_eq!(m(post, "POST", 302, false), ["true", "false", "false"]);
        assert_eq!(m(post, "GET", 302, false), ["false", "false", "false"]);
        assert_eq!(m(post, "POST", 200, false), ["false", "false", "false"]);
        // No method or status: page views only; `*` stays within a segment.
        let glob = r#"{"path":"/cart/*"}"#;
        assert_eq!(m(glob, "GET", 200, true), ["true", "false", "false"]);
        assert_eq!(m(glob, "GET", 200, false), ["false", "false", "false"]);

        let ctx = SessionContext::new();
        register(&ctx);
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let err = rt
            .block_on(async {
                ctx.sql(r#"SELECT request_matches('{"paht":"/x"}', 'GET', '/x', NULL, CAST(200 AS SMALLINT UNSIGNED), true)"#)
                    .await?
                    .collect()
                    .await
            })
            .unwrap_err()
            .to_string();
        assert!(err.contains("paht"), "{err}");
    }

    const FUNNEL: &str = "SELECT window_funnel(60, ts, path = '/a', path = '/b', path = '/c')
        FROM events GROUP BY visitor ORDER BY visitor";

    #[test]
    fn window_funnel_counts_steps_in_order_within_the_window() {
        let rows = [
            // in order, within 60 s: 3 steps
            ("v1", 0, "/a"),
            ("v1", 10, "/b"),
            ("v1", 50, "/c"),
            // /c after the window closed: 2
            ("v2", 0, "/a"),
            ("v2", 30, "/b"),
            ("v2", 61, "/c"),
            // /b before /a does not count; a later /a starts a chain that reaches /b: 2
            ("v3", 0, "/b"),
            ("v3", 5, "/a"),
            ("v3", 100, "/a"),
            ("v3", 120, "/b"),
            // no first step: 0
            ("v4", 0, "/b"),
            ("v4", 1, "/c"),
            // rows arrive out of time order: sorted by time first: 3
            ("v5", 40, "/c"),
            ("v5", 0, "/a"),
            ("v5", 20, "/b"),
        ];
        assert_eq!(query(&rows, FUNNEL), ["3", "2", "2", "0", "3"]);
    }

    #[test]
    fn sessionize_starts_a_session_after_the_timeout() {
        let rows = [
            ("v1", 0, "/"),
            ("v1", 1799, "/"),
            ("v1", 3600, "/"),
            ("v1", 3700, "/"),
            ("v2", 10, "/"),
        ];
        let sql = "SELECT sessionize(ts, 1800) OVER (PARTITION BY visitor ORDER BY ts)
            FROM events ORDER BY visitor, ts";
        assert_eq!(query(&rows, sql), ["1", "1", "2", "2", "1"]);
    }

    #[test]
    fn user_agents_and_channels_classify_as_in_the_report() {
        let rows = [("v", 0, "x")];
        let ua = |f: &str, ua: &str| query(&rows, &format!("SELECT {f}('{ua}') FROM events"));
        let google = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
        assert_eq!(ua("ua_is_bot", google), ["true"]);
        assert_eq!(ua("ua_bot_family", google), ["search"]);
        assert_eq!(ua("ua_bot_name", google), ["Googlebot"]);
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 \
                      (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
        assert_eq!(ua("ua_is_bot", iphone), ["false"]);
        assert_eq!(ua("ua_device", iphone), ["mobile"]);
        let channel = |r: &str, q: &str| {
            query(
                &rows,
                &format!("SELECT channel('{r}', '{q}', 'shop.example.com') FROM events"),
            )
        };
        assert_eq!(channel("https://www.google.de/", ""), ["organic_search"]);
        assert_eq!(
            channel("https://www.google.de/", "gclid=1"),
            ["paid_search"]
        );
        assert_eq!(channel("https://shop.example.com/cart", ""), ["internal"]);
        assert_eq!(channel("", "utm_medium=email"), ["email"]);
    }
}
