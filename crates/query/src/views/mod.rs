//! The report's figures as DataFusion plans over the dataset's tables, one file per part of the
//! report (docs/dataset.md, "The sessions table"). Each is a SQL text with `$n` parameters for a
//! filter's values (never spliced into the text), so that the same plans can run wherever
//! DataFusion runs. The streaming report (`clickpath_analytics::TrafficAggregator`) is the
//! reference: `crates/query/tests/views.rs` requires equal figures.

mod sessions;

pub use sessions::{SessionFigures, session_figures};

use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;
use clickpath_analytics::report::Row;
use datafusion::arrow::compute::cast;
use datafusion::error::{DataFusionError, Result};
use datafusion::prelude::SessionContext;
use datafusion::scalar::ScalarValue;

/// Which sessions a view counts: those that started within the dates and whose landing has the
/// values (the dashboard's filter, docs/dashboard.md).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct SessionFilter {
    /// `YYYY-MM-DD`, included: the local date of the session's first request.
    pub from: Option<String>,
    pub to: Option<String>,
    pub channel: Option<String>,
    pub campaign: Option<String>,
    pub device: Option<String>,
    pub country: Option<String>,
}

impl SessionFilter {
    /// `WHERE ...` over the sessions table (empty for no filter) and its parameter values.
    fn sql(&self) -> (String, Vec<ScalarValue>) {
        let mut terms = Vec::new();
        let mut values = Vec::new();
        let mut add = |term: &str, v: &Option<String>| {
            if let Some(v) = v {
                values.push(ScalarValue::Utf8(Some(v.clone())));
                terms.push(term.replace('?', &format!("${}", values.len())));
            }
        };
        add("date >= CAST(? AS DATE)", &self.from);
        add("date <= CAST(? AS DATE)", &self.to);
        add("channel = ?", &self.channel);
        add("utm_campaign = ?", &self.campaign);
        add("device = ?", &self.device);
        add("country = ?", &self.country);
        if terms.is_empty() {
            (String::new(), values)
        } else {
            (format!("WHERE {}", terms.join(" AND ")), values)
        }
    }
}

/// Runs `sql` (`{where}` replaced by the filter's clause, `{and}` by the same clause's terms
/// after an existing `WHERE`) and returns its rows.
async fn query(
    ctx: &SessionContext,
    sql: &str,
    filter: &SessionFilter,
) -> Result<Vec<RecordBatch>> {
    let (clause, values) = filter.sql();
    let and = clause
        .strip_prefix("WHERE ")
        .map_or(String::new(), |t| format!("AND {t}"));
    let text = sql.replace("{where}", &clause).replace("{and}", &and);
    let mut df = ctx.sql(&text).await?;
    if !values.is_empty() {
        df = df.with_param_values(values)?;
    }
    df.collect().await
}

/// Column `i` of every batch as text (null as None).
fn texts(batches: &[RecordBatch], i: usize) -> Result<Vec<Option<String>>> {
    let mut out = Vec::new();
    for b in batches {
        let a = cast(b.column(i), &DataType::Utf8)?;
        let a = a
            .as_any()
            .downcast_ref::<arrow_array::StringArray>()
            .ok_or_else(|| DataFusionError::Internal("not text".into()))?;
        out.extend((0..a.len()).map(|r| a.is_valid(r).then(|| a.value(r).to_owned())));
    }
    Ok(out)
}

/// Column `i` of every batch as counts (null as 0).
fn counts(batches: &[RecordBatch], i: usize) -> Result<Vec<u64>> {
    let mut out = Vec::new();
    for b in batches {
        let a = cast(b.column(i), &DataType::UInt64)?;
        let a = a
            .as_any()
            .downcast_ref::<arrow_array::UInt64Array>()
            .ok_or_else(|| DataFusionError::Internal("not a count".into()))?;
        out.extend((0..a.len()).map(|r| if a.is_valid(r) { a.value(r) } else { 0 }));
    }
    Ok(out)
}

/// Column `i` of every batch as numbers (null as 0).
fn numbers(batches: &[RecordBatch], i: usize) -> Result<Vec<f64>> {
    let mut out = Vec::new();
    for b in batches {
        let a = cast(b.column(i), &DataType::Float64)?;
        let a = a
            .as_any()
            .downcast_ref::<arrow_array::Float64Array>()
            .ok_or_else(|| DataFusionError::Internal("not a number".into()))?;
        out.extend((0..a.len()).map(|r| if a.is_valid(r) { a.value(r) } else { 0.0 }));
    }
    Ok(out)
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
