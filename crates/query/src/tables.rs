//! The tables: `requests` (the manifest's Parquet files), `sessions` and `page_views` (views),
//! `events` (the error logs' events) and `incidents` (computed when read).

use std::path::Path;
use std::sync::Arc;

use clickpath_model::dataset_schema;
use clickpath_store::dataset::Manifest;
use datafusion::datasource::MemTable;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::error::Result;
use datafusion::prelude::SessionContext;

/// One row per session (humans only): when, how long, how many pages, where it landed and left,
/// the channel and campaign of its landing, its device, and its errors.
const SESSIONS_SQL: &str = "
CREATE VIEW sessions AS
SELECT
  session_id,
  min(visitor) AS visitor,
  min(date) AS date,
  min(ts) AS started,
  max(ts) AS ended,
  CAST(date_part('epoch', max(ts)) - date_part('epoch', min(ts)) AS BIGINT) AS duration_s,
  count(*) AS requests,
  sum(CASE WHEN is_page_view THEN 1 ELSE 0 END) AS page_views,
  first_value(CASE WHEN is_page_view THEN path END ORDER BY is_page_view DESC, ts) AS entry_page,
  first_value(CASE WHEN is_page_view THEN path END ORDER BY is_page_view DESC, ts DESC) AS exit_page,
  first_value(channel ORDER BY is_page_view DESC, ts) AS channel,
  first_value(referrer_host ORDER BY is_page_view DESC, ts) AS referrer_host,
  first_value(utm_source ORDER BY is_page_view DESC, ts) AS utm_source,
  first_value(utm_medium ORDER BY is_page_view DESC, ts) AS utm_medium,
  first_value(utm_campaign ORDER BY is_page_view DESC, ts) AS utm_campaign,
  min(device) AS device,
  min(browser) AS browser,
  min(os) AS os,
  sum(CASE WHEN status >= 500 THEN 1 ELSE 0 END) AS server_errors,
  sum(CASE WHEN status >= 400 AND status < 500 THEN 1 ELSE 0 END) AS client_errors
FROM requests
WHERE session_id IS NOT NULL
GROUP BY session_id";

/// Page views of humans.
const PAGE_VIEWS_SQL: &str =
    "CREATE VIEW page_views AS SELECT * FROM requests WHERE is_page_view AND NOT is_bot";

pub async fn register(ctx: &SessionContext, dir: &Path, m: &Manifest) -> Result<()> {
    let schema = dataset_schema();
    if m.files.is_empty() {
        ctx.register_table(
            "requests",
            Arc::new(MemTable::try_new(schema, vec![vec![]])?),
        )?;
    } else {
        let dir = std::path::absolute(dir)?;
        let urls = m
            .files
            .iter()
            .map(|f| ListingTableUrl::parse(dir.join(&f.path).to_string_lossy()))
            .collect::<Result<Vec<_>>>()?;
        let options =
            ListingOptions::new(Arc::new(ParquetFormat::default())).with_file_extension(".parquet");
        let config = ListingTableConfig::new_with_multi_paths(urls)
            .with_listing_options(options)
            .with_schema(schema);
        ctx.register_table("requests", Arc::new(ListingTable::try_new(config)?))?;
    }
    ctx.sql(SESSIONS_SQL).await?;
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
