//! The `incidents` table: the report's incidents (docs/errors.md) over the whole dataset,
//! computed when a query reads it (a pass over every row, as `report --data`), with the
//! dataset's own settings and no funnel (so no conversions).

use std::path::PathBuf;
use std::sync::Arc;

use arrow_array::builder::{
    Int64Builder, StringBuilder, TimestampMicrosecondBuilder, UInt64Builder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use async_trait::async_trait;
use clickpath_analytics::TrafficAggregator;
use clickpath_ingest::DatasetSettings;
use datafusion::catalog::Session;
use datafusion::datasource::{MemTable, TableProvider, TableType};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::Expr;
use datafusion::physical_plan::ExecutionPlan;

fn schema() -> SchemaRef {
    let ts = || DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
    Arc::new(Schema::new(vec![
        Field::new("kind", DataType::Utf8, false),
        Field::new("start", ts(), false),
        Field::new("end", ts(), false),
        Field::new("duration_s", DataType::Int64, false),
        Field::new("requests", DataType::UInt64, false),
        Field::new("human_requests", DataType::UInt64, false),
        Field::new("sessions_started", DataType::UInt64, false),
        Field::new("human_visitors", DataType::UInt64, false),
        Field::new("causes", DataType::Utf8, false),
        Field::new("story", DataType::Utf8, false),
    ]))
}

#[derive(Debug)]
pub struct IncidentsTable {
    dir: PathBuf,
    schema: SchemaRef,
}

impl IncidentsTable {
    pub fn new(dir: PathBuf) -> Self {
        Self {
            dir,
            schema: schema(),
        }
    }

    fn compute(&self) -> std::result::Result<RecordBatch, String> {
        let m = clickpath_store::dataset::open_for_read(&self.dir).map_err(|e| e.to_string())?;
        let s = DatasetSettings::from_json(&self.dir, &m.settings).map_err(|e| e.to_string())?;
        let mut agg = TrafficAggregator::new(s.traffic_config());
        clickpath_ingest::replay::replay(&self.dir, &m, None, None, &mut agg, None)
            .map_err(|e| e.to_string())?;
        let report = agg.finish();
        let n = report.incidents.len();
        let mut kind = StringBuilder::new();
        let mut start = TimestampMicrosecondBuilder::with_capacity(n).with_timezone("UTC");
        let mut end = TimestampMicrosecondBuilder::with_capacity(n).with_timezone("UTC");
        let mut duration = Int64Builder::new();
        let (mut requests, mut human, mut sessions, mut visitors) = (
            UInt64Builder::new(),
            UInt64Builder::new(),
            UInt64Builder::new(),
            UInt64Builder::new(),
        );
        let (mut causes, mut story) = (StringBuilder::new(), StringBuilder::new());
        let micros =
            |t: &str| clickpath_model::parse_rfc3339(t).ok_or_else(|| format!("bad time {t}"));
        for i in &report.incidents {
            kind.append_value(&i.kind);
            start.append_value(micros(&i.start)?);
            end.append_value(micros(&i.end)?);
            duration.append_value(i.duration_s);
            requests.append_value(i.requests);
            human.append_value(i.human_requests);
            sessions.append_value(i.sessions_started);
            visitors.append_value(i.human_visitors);
            causes.append_value(serde_json::to_string(&i.causes).map_err(|e| e.to_string())?);
            story.append_value(&i.story);
        }
        let columns: Vec<ArrayRef> = vec![
            Arc::new(kind.finish()),
            Arc::new(start.finish()),
            Arc::new(end.finish()),
            Arc::new(duration.finish()),
            Arc::new(requests.finish()),
            Arc::new(human.finish()),
            Arc::new(sessions.finish()),
            Arc::new(visitors.finish()),
            Arc::new(causes.finish()),
            Arc::new(story.finish()),
        ];
        RecordBatch::try_new(self.schema.clone(), columns).map_err(|e| e.to_string())
    }
}

#[async_trait]
impl TableProvider for IncidentsTable {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::View
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let batch = self.compute().map_err(DataFusionError::Execution)?;
        let mem = MemTable::try_new(self.schema.clone(), vec![vec![batch]])?;
        mem.scan(state, projection, filters, limit).await
    }
}
