//! The tables: `requests` and `sessions` (the manifest's Parquet files), `page_views` (a view),
//! `events` (the error logs' events) and `incidents` (computed when read).

use std::path::Path;
use std::sync::Arc;

use clickpath_model::{dataset_schema, sessions_schema};
use clickpath_store::dataset::Manifest;
use datafusion::datasource::MemTable;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::error::Result;
use datafusion::prelude::SessionContext;

/// Page views of humans.
const PAGE_VIEWS_SQL: &str =
    "CREATE VIEW page_views AS SELECT * FROM requests WHERE is_page_view AND NOT is_bot";

/// A table over `paths` (relative to `dir`), or an empty one.
fn files_table(
    dir: &Path,
    paths: &[&str],
    schema: arrow_schema::SchemaRef,
    sorted_by: Option<&str>,
) -> Result<Arc<dyn datafusion::datasource::TableProvider>> {
    if paths.is_empty() {
        return Ok(Arc::new(MemTable::try_new(schema, vec![vec![]])?));
    }
    let dir = std::path::absolute(dir)?;
    let urls = paths
        .iter()
        .map(|p| ListingTableUrl::parse(dir.join(p).to_string_lossy()))
        .collect::<Result<Vec<_>>>()?;
    let mut options =
        ListingOptions::new(Arc::new(ParquetFormat::default())).with_file_extension(".parquet");
    if let Some(c) = sorted_by {
        options =
            options.with_file_sort_order(vec![vec![datafusion::prelude::col(c).sort(true, false)]]);
    }
    let config = ListingTableConfig::new_with_multi_paths(urls)
        .with_listing_options(options)
        .with_schema(schema);
    Ok(Arc::new(ListingTable::try_new(config)?))
}

pub async fn register(ctx: &SessionContext, dir: &Path, m: &Manifest) -> Result<()> {
    let requests: Vec<&str> = m.files.iter().map(|f| f.path.as_str()).collect();
    // Each file is in `seq` order (ingest writes rows as it reads them, compact merges in that
    // order; `report`'s reader relies on it too): a plan in reading order merges the files
    // instead of sorting their rows.
    ctx.register_table(
        "requests",
        files_table(
            dir,
            &requests,
            dataset_schema(),
            Some(clickpath_model::dataset::SEQ),
        )?,
    )?;
    if m.sessions_table || m.files.is_empty() {
        // The sessions closed in each commit, then those still open at the last one.
        let sessions: Vec<&str> = m
            .sessions
            .iter()
            .chain(&m.open_sessions)
            .map(|f| f.path.as_str())
            .collect();
        ctx.register_table(
            "sessions",
            files_table(dir, &sessions, sessions_schema(), None)?,
        )?;
    }
    ctx.sql(PAGE_VIEWS_SQL).await?;
    // Error-log events are few next to requests: read into memory, `ts` in the dataset's zone.
    let events = clickpath_store::dataset::read_events(dir, m)
        .map_err(|e| datafusion::error::DataFusionError::External(Box::new(e)))?;
    ctx.register_table(
        "events",
        Arc::new(MemTable::try_new(
            clickpath_model::event_schema(),
            vec![events],
        )?),
    )?;
    ctx.register_table(
        "incidents",
        Arc::new(crate::incidents::IncidentsTable::new(std::path::absolute(
            dir,
        )?)),
    )?;
    Ok(())
}
