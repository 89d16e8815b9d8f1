//! The report's figures as DataFusion plans over the dataset's tables, one file per part of the
//! report (docs/dataset.md, "The sessions table"). Each is a SQL text with `$n` parameters for a
//! filter's values (never spliced into the text), so that the same plans can run wherever
//! DataFusion runs. The streaming report (`clickpath_analytics::TrafficAggregator`) is the
//! reference: `crates/query/tests/views.rs` requires equal figures.

mod broken_links;
mod causes;
mod funnels;
mod goals;
mod incidents;
mod report;
mod requests;
mod sessions;

pub use broken_links::{BrokenLinks, broken_links};
pub use causes::causes;
pub use funnels::{Funnels, funnels};
pub use goals::goals;
pub use incidents::incidents;
pub use report::report;
pub use requests::{RequestFigures, request_figures};
pub use sessions::{SessionFigures, session_figures};

use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;
use clickpath_analytics::incidents::TimelineCounts;
use clickpath_analytics::matcher::Matcher;
use clickpath_analytics::report::{Row, TimelineBucket};
use datafusion::arrow::compute::cast;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::SendableRecordBatchStream;
use datafusion::prelude::{DataFrame, SessionContext};
use datafusion::scalar::ScalarValue;

/// `errors.rejected_humans`: the human requests' rejected statuses and the sessions that met one.
pub fn rejected_humans(
    requests: &RequestFigures,
    sessions: &SessionFigures,
) -> clickpath_analytics::report::RejectedReport {
    clickpath_analytics::rejected_report(&requests.human_statuses, sessions.rejected_sessions)
}

/// `time.timeline`: the requests' minutes and the sessions' arrivals, from the first minute
/// with a request to the last, in the report's buckets.
pub fn timeline(requests: &RequestFigures, sessions: &SessionFigures) -> Vec<TimelineBucket> {
    // A session arrives with one of its requests, but a date filter selects sessions by the date
    // of their earliest request and requests by their own: a session that began on the last
    // day may have arrived (its first line read) after it. Its arrival widens the minutes.
    let minute_numbers = || {
        let arrivals = sessions.arrivals.iter().map(|a| a.0);
        requests.minutes.iter().map(|m| m.0).chain(arrivals)
    };
    let (Some(first), Some(last)) = (minute_numbers().min(), minute_numbers().max()) else {
        return Vec::new();
    };
    let mut minutes = vec![TimelineCounts::default(); (last - first + 1) as usize];
    for (m, c) in &requests.minutes {
        minutes[(m - first) as usize] = *c;
    }
    for &(m, n) in &sessions.arrivals {
        minutes[(m - first) as usize].sessions_started += n;
    }
    clickpath_analytics::incidents::timeline(first, &minutes, |c| *c)
}

/// Humans or bots.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Audience {
    Humans,
    Bots,
}

/// What a view counts (the dashboard's filter, docs/dashboard.md): sessions that started within
/// the dates and whose landing has the values; requests within the dates, a human's when its
/// session is selected, a bot's when it has the values itself.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Filter {
    /// `YYYY-MM-DD`, included: the local date of the request (of a session's earliest request).
    pub from: Option<String>,
    pub to: Option<String>,
    pub channel: Option<String>,
    pub campaign: Option<String>,
    pub device: Option<String>,
    pub country: Option<String>,
    /// Humans, bots or (None) both.
    pub audience: Option<Audience>,
}

/// Terms of a `WHERE` with `$n` parameters, and their values.
#[derive(Default)]
struct Terms {
    terms: Vec<String>,
    values: Vec<ScalarValue>,
}

impl Terms {
    /// Adds `term` with its `?` standing for `v`, when there is a `v`.
    fn add(&mut self, term: &str, v: &Option<String>) {
        if let Some(v) = v {
            self.values.push(ScalarValue::Utf8(Some(v.clone())));
            self.terms
                .push(term.replace('?', &format!("${}", self.values.len())));
        }
    }

    fn and(&self) -> String {
        if self.terms.is_empty() {
            "TRUE".into()
        } else {
            self.terms.join(" AND ")
        }
    }
}

impl Filter {
    fn has_values(&self) -> bool {
        self.channel.is_some()
            || self.campaign.is_some()
            || self.device.is_some()
            || self.country.is_some()
    }

    fn values(&self, t: &mut Terms) {
        t.add("channel = ?", &self.channel);
        t.add("utm_campaign = ?", &self.campaign);
        t.add("device = ?", &self.device);
        t.add("country = ?", &self.country);
    }

    /// The condition on the sessions table, and its parameter values.
    fn sessions(&self) -> (String, Vec<ScalarValue>) {
        let mut t = Terms::default();
        t.add("date >= CAST(? AS DATE)", &self.from);
        t.add("date <= CAST(? AS DATE)", &self.to);
        self.values(&mut t);
        let cond = match self.audience {
            Some(Audience::Bots) => "FALSE".into(),
            _ => t.and(),
        };
        (cond, t.values)
    }

    /// The condition on the requests table, and its parameter values.
    fn requests(&self) -> (String, Vec<ScalarValue>) {
        let mut t = Terms::default();
        t.add("date >= CAST(? AS DATE)", &self.from);
        t.add("date <= CAST(? AS DATE)", &self.to);
        let dates = t.and();
        let (humans, bots) = if self.has_values() {
            // Bots by their own values; humans by their session's landing. One list of
            // parameters: each part numbers on from the one before.
            let part = |t: &mut Terms| {
                let before = t.terms.len();
                self.values(t);
                let cond = t.terms[before..].join(" AND ");
                t.terms.truncate(before);
                cond
            };
            let bots = part(&mut t);
            let sessions = part(&mut t);
            (
                format!("session_id IN (SELECT session_id FROM sessions WHERE {sessions})"),
                bots,
            )
        } else {
            ("TRUE".into(), "TRUE".into())
        };
        let who = match self.audience {
            None => format!("((is_bot AND {bots}) OR (NOT is_bot AND {humans}))"),
            Some(Audience::Humans) => format!("(NOT is_bot AND {humans})"),
            Some(Audience::Bots) => format!("(is_bot AND {bots})"),
        };
        (format!("{dates} AND {who}"), t.values)
    }
}

/// A condition true of the requests `m` matches (the report's matcher, through the
/// `request_matches` SQL function), its values appended to `values` (`{value}`, `{value1}`...
/// in [`query_values`]). It tests first what the matcher requires that a plain column test can
/// check (page view, method, the path's beginning), so that the matcher runs only on the rows
/// that pass: the matcher alone decides; these only skip rows it would refuse.
fn matcher_condition<'a>(m: &'a Matcher, values: &mut Vec<&'a str>) -> String {
    let mut terms = Vec::new();
    if m.pageviews_only() {
        terms.push("is_page_view".to_owned());
    }
    if let Some(method) = m.method() {
        values.push(method);
        terms.push(format!("method = {}", value(values.len() - 1)));
    }
    if let Some(prefix) = m.path_prefix().filter(|p| !p.is_empty()) {
        values.push(prefix);
        terms.push(format!("starts_with(path, {})", value(values.len() - 1)));
    }
    values.push(m.spec());
    terms.push(format!(
        "request_matches({}, method, path, query, status, is_page_view)",
        value(values.len() - 1)
    ));
    format!("({})", terms.join(" AND "))
}

/// Runs `sql` with `{sessions}` replaced by the filter's condition on the sessions table and
/// `{requests}` by that on the requests table; returns its rows.
async fn query(ctx: &SessionContext, sql: &str, filter: &Filter) -> Result<Vec<RecordBatch>> {
    query_with(ctx, sql, filter, None).await
}

/// [`query`], `{value}` standing for `value` (a parameter too).
async fn query_with(
    ctx: &SessionContext,
    sql: &str,
    filter: &Filter,
    value: Option<&str>,
) -> Result<Vec<RecordBatch>> {
    query_values(ctx, sql, filter, value.as_slice()).await
}

/// The placeholder of the `k`-th value of [`query_values`]: `{value}`, `{value1}`...
fn value(k: usize) -> String {
    if k == 0 {
        "{value}".to_owned()
    } else {
        format!("{{value{k}}}")
    }
}

/// [`query`], `{value}` standing for the first of `values`, `{value1}`, `{value2}`... for the
/// next ones (parameters too).
async fn query_values(
    ctx: &SessionContext,
    sql: &str,
    filter: &Filter,
    given: &[&str],
) -> Result<Vec<RecordBatch>> {
    prepared(ctx, sql, filter, given).await?.collect().await
}

/// [`query_values`], its rows as they come.
async fn stream_values(
    ctx: &SessionContext,
    sql: &str,
    filter: &Filter,
    given: &[&str],
) -> Result<SendableRecordBatchStream> {
    prepared(ctx, sql, filter, given)
        .await?
        .execute_stream()
        .await
}

/// The plan of [`query_values`].
async fn prepared(
    ctx: &SessionContext,
    sql: &str,
    filter: &Filter,
    given: &[&str],
) -> Result<DataFrame> {
    let (mut text, mut values) = if sql.contains("{sessions}") {
        let (cond, values) = filter.sessions();
        (sql.replace("{sessions}", &cond), values)
    } else {
        let (cond, values) = filter.requests();
        (sql.replace("{requests}", &cond), values)
    };
    for (k, v) in given.iter().enumerate() {
        values.push(ScalarValue::Utf8(Some((*v).to_owned())));
        text = text.replace(&value(k), &format!("${}", values.len()));
    }
    let mut df = ctx.sql(&text).await?;
    if !values.is_empty() {
        df = df.with_param_values(values)?;
    }
    Ok(df)
}

/// Column `i` of every batch cast to `to`, each value read by `get` (None when null).
fn column<A: Array + 'static, T>(
    batches: &[RecordBatch],
    i: usize,
    to: &DataType,
    get: impl Fn(&A, usize) -> T,
) -> Result<Vec<Option<T>>> {
    let mut out = Vec::new();
    for b in batches {
        let a = cast(b.column(i), to)?;
        let a = a
            .as_any()
            .downcast_ref::<A>()
            .ok_or_else(|| DataFusionError::Internal(format!("column {i} is not {to}")))?;
        out.extend((0..a.len()).map(|r| a.is_valid(r).then(|| get(a, r))));
    }
    Ok(out)
}

/// Column `i` of every batch as one text array (cast if need be), its values to borrow.
fn strings(batches: &[RecordBatch], i: usize) -> Result<arrow_array::StringArray> {
    let cast_all = batches
        .iter()
        .map(|b| cast(b.column(i), &DataType::Utf8))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let parts: Vec<&dyn Array> = cast_all.iter().map(|a| a.as_ref()).collect();
    let one = if parts.is_empty() {
        arrow_array::new_empty_array(&DataType::Utf8)
    } else {
        datafusion::arrow::compute::concat(&parts)?
    };
    Ok(one
        .as_any()
        .downcast_ref::<arrow_array::StringArray>()
        .ok_or_else(|| DataFusionError::Internal(format!("column {i} is not text")))?
        .clone())
}

/// Column `i` of every batch as text (null as None).
fn texts(batches: &[RecordBatch], i: usize) -> Result<Vec<Option<String>>> {
    column(
        batches,
        i,
        &DataType::Utf8,
        |a: &arrow_array::StringArray, r| a.value(r).to_owned(),
    )
}

/// Nulls as the type's zero.
fn or_default<T: Default>(v: Vec<Option<T>>) -> Vec<T> {
    v.into_iter().map(Option::unwrap_or_default).collect()
}

/// Column `i` of every batch as counts (null as None).
fn counts_or_null(batches: &[RecordBatch], i: usize) -> Result<Vec<Option<u64>>> {
    column(
        batches,
        i,
        &DataType::UInt64,
        |a: &arrow_array::UInt64Array, r| a.value(r),
    )
}

/// Column `i` of every batch as counts (null as 0).
fn counts(batches: &[RecordBatch], i: usize) -> Result<Vec<u64>> {
    Ok(or_default(counts_or_null(batches, i)?))
}

/// Column `i` of every batch as integers (null as 0).
fn ints(batches: &[RecordBatch], i: usize) -> Result<Vec<i64>> {
    let v = column(
        batches,
        i,
        &DataType::Int64,
        |a: &arrow_array::Int64Array, r| a.value(r),
    );
    Ok(or_default(v?))
}

/// Column `i` of every batch as booleans (null as false).
fn bools(batches: &[RecordBatch], i: usize) -> Result<Vec<bool>> {
    let v = column(
        batches,
        i,
        &DataType::Boolean,
        |a: &arrow_array::BooleanArray, r| a.value(r),
    );
    Ok(or_default(v?))
}

/// Column `i` of every batch as numbers (null as 0).
fn numbers(batches: &[RecordBatch], i: usize) -> Result<Vec<f64>> {
    let v = column(
        batches,
        i,
        &DataType::Float64,
        |a: &arrow_array::Float64Array, r| a.value(r),
    );
    Ok(or_default(v?))
}

/// `(value, count)` rows of a two-column result; a null value is `null_as`.
fn rows(batches: &[RecordBatch], null_as: &str) -> Result<Vec<Row>> {
    Ok(texts(batches, 0)?
        .into_iter()
        .zip(counts(batches, 1)?)
        .map(|(value, count)| Row {
            value: value.unwrap_or_else(|| null_as.to_owned()),
            count,
        })
        .collect())
}
