//! The dataset read back into the report's aggregator: its events first (they explain the
//! responses read after them), then its rows in `seq` order, as the files were read. What
//! `report --data`, the dashboard and SQL's `incidents` table compute from.

use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::types::UInt32Type;
use arrow_array::{BooleanArray, RecordBatch};
use clickpath_model::{dataset as col, field};
use clickpath_store::dataset::{self, Manifest, OrderedReader};

use crate::error::{Error, Result};

/// Which rows to keep (a dashboard filter), given batches with the hit columns and `extra`.
pub type Mask<'a> = &'a dyn Fn(&RecordBatch) -> std::result::Result<BooleanArray, String>;

/// Replays the files of `m` dated `from..=to` into `agg`, keeping the rows `mask` keeps (it
/// reads the extra columns `extra`). Returns the rows replayed per source id.
pub fn replay(
    dir: &Path,
    m: &Manifest,
    from: Option<&str>,
    to: Option<&str>,
    agg: &mut dyn crate::Sink,
    mask: Option<(Mask<'_>, &[&str])>,
) -> Result<Vec<u64>> {
    let files = m.files_between(from, to);
    let mut columns: Vec<&str> = field::ALL.to_vec();
    columns.push(col::COUNTRY);
    columns.push(col::USER_AGENT_LOGGED);
    if let Some((_, extra)) = &mask {
        for c in *extra {
            if !columns.contains(c) {
                columns.push(c);
            }
        }
    }
    for events in dataset::read_events(dir, m)? {
        agg.events(&events);
    }
    let internal = |e: arrow_schema::ArrowError| Error::Internal(e.to_string());
    let mut per_source = vec![0u64; m.sources.len()];
    for batch in OrderedReader::new(dir, files, &columns) {
        let mut batch = batch?;
        if let Some((keep, _)) = &mask {
            let keep = keep(&batch).map_err(Error::Internal)?;
            batch = arrow_select::filter::filter_record_batch(&batch, &keep).map_err(internal)?;
        }
        // The hit columns and the countries looked up at ingest.
        let schema = batch.schema();
        let hit_columns = field::ALL
            .iter()
            .chain([&col::COUNTRY])
            .map(|c| schema.index_of(c))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(internal)?;
        let hit = batch.project(&hit_columns).map_err(internal)?;
        let logged = batch
            .column_by_name(col::USER_AGENT_LOGGED)
            .ok_or_else(|| Error::Internal("no user_agent_logged column".into()))?
            .as_boolean();
        // Runs of rows read with and without user agents.
        let mut start = 0;
        while start < hit.num_rows() {
            let v = logged.value(start);
            let len = (start..hit.num_rows())
                .take_while(|&r| logged.value(r) == v)
                .count();
            agg.requests(&hit.slice(start, len), v);
            start += len;
        }
        if let Some(ids) = hit.column_by_name(field::FILE_ID) {
            for id in ids.as_primitive::<UInt32Type>().values() {
                if let Some(n) = per_source.get_mut(*id as usize) {
                    *n += 1;
                }
            }
        }
    }
    Ok(per_source)
}
