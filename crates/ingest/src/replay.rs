//! The dataset read back into the report's aggregator: its events first (they explain the
//! responses read after them), then its rows in `seq` order, as the files were read. What
//! `report --data`, the dashboard and SQL's `incidents` table compute from.

use std::path::Path;

use arrow_array::RecordBatch;
use arrow_array::cast::AsArray;
use arrow_array::types::UInt32Type;
use clickpath_model::{dataset as col, field};
use clickpath_store::dataset::{self, Manifest, OrderedReader};

use crate::error::{Error, Result};

/// Which rows to keep (a dashboard filter), given batches of the columns named with it.
pub type Mask = clickpath_store::dataset::Keep;

/// Replays the files of `m` dated `from..=to` into `agg`, keeping the rows `mask` keeps (it
/// reads the columns named with it; the others are decoded for the rows kept only). Returns
/// the rows replayed per source id.
pub fn replay(
    dir: &Path,
    m: &Manifest,
    from: Option<&str>,
    to: Option<&str>,
    agg: &mut dyn crate::Sink,
    mask: Option<(Mask, &[&str])>,
) -> Result<Vec<u64>> {
    let files = m.files_between(from, to);
    let mut columns: Vec<&str> = field::ALL.to_vec();
    columns.push(col::COUNTRY);
    columns.push(col::USER_AGENT_LOGGED);
    for events in dataset::read_events(dir, m)? {
        agg.events(&events);
    }
    let mut reader = OrderedReader::new(dir, files, &columns);
    if let Some((keep, names)) = mask {
        reader = reader.filtered(names, keep);
    }
    let sources = m.sources.len();
    // Reading (Parquet decoding, the filter) on a thread of its own while the sink aggregates
    // what was read before.
    std::thread::scope(|s| {
        let (tx, rx) = std::sync::mpsc::sync_channel(READ_AHEAD);
        let reading = s.spawn(move || {
            let mut per_source = vec![0u64; sources];
            for batch in reader {
                let runs = batch
                    .map_err(Error::from)
                    .and_then(|b| runs(&b, &mut per_source));
                let failed = runs.is_err();
                if tx.send(runs).is_err() || failed {
                    break;
                }
            }
            per_source
        });
        for runs in rx {
            for (hit, logged) in runs? {
                agg.requests(&hit, logged);
            }
        }
        reading
            .join()
            .map_err(|_| Error::Internal("the dataset's reader stopped".into()))
    })
}

/// Replays as [`replay`] does into `selected`, the rows `mask` keeps, and in the same reading
/// every row into `all` (the unfiltered figures a filtered answer also needs), aggregated on a
/// thread of its own. Returns the rows replayed into each per source id.
pub fn replay_with_all(
    dir: &Path,
    m: &Manifest,
    from: Option<&str>,
    to: Option<&str>,
    selected: &mut dyn crate::Sink,
    all: &mut (dyn crate::Sink + Send),
    (keep, names): (Mask, &[&str]),
) -> Result<(Vec<u64>, Vec<u64>)> {
    let files = m.files_between(from, to);
    let mut columns: Vec<&str> = field::ALL.to_vec();
    columns.push(col::COUNTRY);
    columns.push(col::USER_AGENT_LOGGED);
    columns.extend(
        names
            .iter()
            .filter(|c| !columns.contains(c))
            .collect::<Vec<_>>(),
    );
    for events in dataset::read_events(dir, m)? {
        selected.events(&events);
        all.events(&events);
    }
    let reader = OrderedReader::new(dir, files, &columns);
    let sources = m.sources.len();
    std::thread::scope(|s| {
        let (to_selected, from_reader) = std::sync::mpsc::sync_channel(READ_AHEAD);
        let (to_all, for_all) =
            std::sync::mpsc::sync_channel::<Vec<(RecordBatch, bool)>>(READ_AHEAD);
        let reading = s.spawn(move || {
            let (mut kept, mut every) = (vec![0u64; sources], vec![0u64; sources]);
            for batch in reader {
                let both = batch.map_err(Error::from).and_then(|b| {
                    let mask = keep(&b).map_err(Error::Internal)?;
                    let chosen = arrow_select::filter::filter_record_batch(&b, &mask)
                        .map_err(|e| Error::Internal(e.to_string()))?;
                    Ok((runs(&b, &mut every)?, runs(&chosen, &mut kept)?))
                });
                let sent = match both {
                    Ok((every, chosen)) => {
                        to_all.send(every).is_ok() && to_selected.send(Ok(chosen)).is_ok()
                    }
                    Err(e) => {
                        let _ = to_selected.send(Err(e));
                        false
                    }
                };
                if !sent {
                    break;
                }
            }
            (kept, every)
        });
        s.spawn(move || {
            for runs in for_all {
                for (hit, logged) in runs {
                    all.requests(&hit, logged);
                }
            }
        });
        for runs in from_reader {
            for (hit, logged) in runs? {
                selected.requests(&hit, logged);
            }
        }
        reading
            .join()
            .map_err(|_| Error::Internal("the dataset's reader stopped".into()))
    })
}

/// Batches read ahead of the sink.
const READ_AHEAD: usize = 4;

/// `batch` as the sink takes it: its hit columns and countries, in runs of rows read with and
/// without user agents; counts its rows in `per_source`.
fn runs(batch: &RecordBatch, per_source: &mut [u64]) -> Result<Vec<(RecordBatch, bool)>> {
    let internal = |e: arrow_schema::ArrowError| Error::Internal(e.to_string());
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
    let mut runs = Vec::new();
    let mut start = 0;
    while start < hit.num_rows() {
        let v = logged.value(start);
        let len = (start..hit.num_rows())
            .take_while(|&r| logged.value(r) == v)
            .count();
        runs.push((hit.slice(start, len), v));
        start += len;
    }
    if let Some(ids) = hit.column_by_name(field::FILE_ID) {
        for id in ids.as_primitive::<UInt32Type>().values() {
            if let Some(n) = per_source.get_mut(*id as usize) {
                *n += 1;
            }
        }
    }
    Ok(runs)
}
