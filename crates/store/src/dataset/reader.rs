//! Reading the `requests` table back in ingest order (by `seq`) from any set of its files.
//!
//! Each file is sorted by `seq`; files of one commit interleave only where the input crossed
//! midnight, and compacted files span many commits. The merge opens a file only when the
//! output reaches its first `seq` and emits runs of consecutive rows from one file as slices, so
//! it costs little more than reading, and holds one batch per overlapping file.

use std::fs::File;
use std::path::Path;

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::UInt64Type;
use arrow_array::{RecordBatch, new_null_array};
use arrow_schema::{FieldRef, Schema};
use clickpath_model::dataset;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};

use super::manifest::DataFile;
use crate::{Error, Result};

struct Open {
    reader: ParquetRecordBatchReader,
    batch: RecordBatch,
    pos: usize,
    seq_col: usize,
    /// Columns added to the schema after this file was written (read as nulls).
    missing: Vec<FieldRef>,
}

/// A batch of a file with the columns it predates appended as nulls (new columns are always
/// added at the end of the schema, so the order stays the schema's).
fn with_missing(batch: RecordBatch, missing: &[FieldRef]) -> Result<RecordBatch> {
    if missing.is_empty() {
        return Ok(batch);
    }
    let n = batch.num_rows();
    let mut fields: Vec<FieldRef> = batch.schema().fields().iter().cloned().collect();
    let mut columns = batch.columns().to_vec();
    for f in missing {
        fields.push(f.clone());
        columns.push(new_null_array(f.data_type(), n));
    }
    Ok(RecordBatch::try_new(
        Arc::new(Schema::new(fields)),
        columns,
    )?)
}

impl Open {
    fn head(&self) -> u64 {
        self.batch
            .column(self.seq_col)
            .as_primitive::<UInt64Type>()
            .value(self.pos)
    }
}

/// Batches of the chosen columns and `seq`, in the files' column order, in `seq` order.
pub struct OrderedReader {
    dir: std::path::PathBuf,
    files: Vec<DataFile>,
    next_file: usize,
    columns: Vec<String>,
    open: Vec<Open>,
}

impl OrderedReader {
    pub fn new(dir: &Path, mut files: Vec<DataFile>, columns: &[&str]) -> Self {
        files.sort_by_key(|f| f.min_seq);
        let mut columns: Vec<String> = columns.iter().map(|c| c.to_string()).collect();
        columns.retain(|c| c != dataset::SEQ);
        columns.push(dataset::SEQ.into());
        Self {
            dir: dir.to_path_buf(),
            files,
            next_file: 0,
            columns,
            open: Vec::new(),
        }
    }

    fn open_next(&mut self) -> Result<()> {
        let f = &self.files[self.next_file];
        self.next_file += 1;
        let path = self.dir.join(&f.path);
        let file = File::open(&path).map_err(|e| Error::read(&path, e))?;
        let builder = ParquetRecordBatchReaderBuilder::try_new(file)?;
        let schema = builder.parquet_schema();
        let mut indices = Vec::new();
        let mut missing = Vec::new();
        for name in &self.columns {
            match builder.schema().index_of(name) {
                Ok(i) => indices.push(i),
                Err(_) => {
                    let newer = dataset::dataset_schema()
                        .field_with_name(name)
                        .ok()
                        .filter(|f| f.is_nullable())
                        .cloned();
                    let Some(field) = newer else {
                        return Err(Error::Dataset {
                            dir: self.dir.clone(),
                            problem: format!("{} has no column {name}", f.path),
                        });
                    };
                    missing.push(Arc::new(field));
                }
            }
        }
        let mask = ProjectionMask::roots(schema, indices.iter().copied());
        let mut reader = builder
            .with_projection(mask)
            .with_batch_size(16 * 1024)
            .build()?;
        // The projected batch keeps file order; find `seq` in it.
        if let Some(batch) = reader.next() {
            let batch = with_missing(batch?, &missing)?;
            let seq_col = batch
                .schema()
                .index_of(dataset::SEQ)
                .map_err(|e| Error::Internal(e.to_string()))?;
            if batch.num_rows() > 0 {
                self.open.push(Open {
                    reader,
                    batch,
                    pos: 0,
                    seq_col,
                    missing,
                });
            }
        }
        Ok(())
    }

    fn next_slice(&mut self) -> Result<Option<RecordBatch>> {
        loop {
            let frontier = self.open.iter().map(Open::head).min();
            if self.next_file < self.files.len()
                && frontier.is_none_or(|s| self.files[self.next_file].min_seq <= s)
            {
                self.open_next()?;
                continue;
            }
            let Some(frontier) = frontier else {
                return Ok(None);
            };
            let i = self
                .open
                .iter()
                .position(|o| o.head() == frontier)
                .expect("a head is the minimum");
            let limit = self
                .open
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, o)| o.head())
                .chain(self.files.get(self.next_file).map(|f| f.min_seq))
                .min()
                .unwrap_or(u64::MAX);
            let o = &mut self.open[i];
            let seqs = o
                .batch
                .column(o.seq_col)
                .as_primitive::<UInt64Type>()
                .values();
            let end = o.pos + seqs[o.pos..].partition_point(|&s| s < limit);
            let out = o.batch.slice(o.pos, end - o.pos);
            o.pos = end;
            if o.pos == o.batch.num_rows() {
                match o.reader.next() {
                    Some(b) => {
                        o.batch = with_missing(b?, &o.missing)?;
                        o.pos = 0;
                        if o.batch.num_rows() == 0 {
                            self.open.swap_remove(i);
                        }
                    }
                    None => {
                        self.open.swap_remove(i);
                    }
                }
            }
            if out.num_rows() > 0 {
                return Ok(Some(out));
            }
        }
    }
}

impl Iterator for OrderedReader {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_slice().transpose()
    }
}

/// Every event of the dataset's `events` table, in commit order; `ts` filled in with the
/// dataset's zone (the one most access lines print) where ingest could not yet.
pub fn read_events(dir: &Path, m: &super::Manifest) -> Result<Vec<RecordBatch>> {
    use arrow_array::types::{Int16Type, TimestampMicrosecondType};
    use arrow_array::{Array, Int16Array, TimestampMicrosecondArray};
    use clickpath_model::event;
    let zone = m.zone();
    let schema = clickpath_model::event_schema();
    let mut out = Vec::new();
    for f in &m.events {
        let path = dir.join(&f.path);
        let file = File::open(&path).map_err(|e| Error::read(&path, e))?;
        for batch in ParquetRecordBatchReaderBuilder::try_new(file)?.build()? {
            let batch = batch?;
            let Some(zone) = zone else {
                out.push(batch);
                continue;
            };
            let ts_i = schema.index_of(event::TS)?;
            let tz_i = schema.index_of(event::TZ_OFFSET_MIN)?;
            let local = batch
                .column_by_name(event::LOCAL_TIME)
                .ok_or_else(|| Error::Internal("events without local_time".into()))?
                .as_primitive::<TimestampMicrosecondType>();
            let ts = batch
                .column(ts_i)
                .as_primitive::<TimestampMicrosecondType>();
            let tz = batch.column(tz_i).as_primitive::<Int16Type>();
            let filled_ts: TimestampMicrosecondArray = (0..batch.num_rows())
                .map(|r| {
                    Some(if ts.is_valid(r) {
                        ts.value(r)
                    } else {
                        local.value(r) - i64::from(zone) * 60_000_000
                    })
                })
                .collect::<TimestampMicrosecondArray>()
                .with_timezone("UTC");
            let filled_tz: Int16Array = (0..batch.num_rows())
                .map(|r| Some(if tz.is_valid(r) { tz.value(r) } else { zone }))
                .collect();
            let mut columns = batch.columns().to_vec();
            columns[ts_i] = Arc::new(filled_ts);
            columns[tz_i] = Arc::new(filled_tz);
            out.push(RecordBatch::try_new(schema.clone(), columns)?);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{StringArray, UInt64Array};
    use arrow_schema::{DataType, Field};
    use clickpath_model::field;

    /// A file written before the `country` column existed: it holds `seq` and `path` only.
    fn older_file(dir: &Path) -> DataFile {
        let schema = Arc::new(Schema::new(vec![
            Field::new(field::PATH, DataType::Utf8, true),
            Field::new(dataset::SEQ, DataType::UInt64, false),
        ]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(StringArray::from(vec!["/a", "/b"])),
                Arc::new(UInt64Array::from(vec![1, 2])),
            ],
        )
        .unwrap();
        let file = File::create(dir.join("old.parquet")).unwrap();
        let mut w = parquet::arrow::ArrowWriter::try_new(file, schema, None).unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
        DataFile {
            path: "old.parquet".into(),
            date: "2024-03-01".into(),
            rows: 2,
            bytes: 0,
            min_seq: 1,
            max_seq: 2,
        }
    }

    #[test]
    fn columns_added_to_the_schema_later_read_as_nulls_from_older_files() {
        let dir = tempfile::tempdir().unwrap();
        let f = older_file(dir.path());
        let batches: Vec<RecordBatch> = OrderedReader::new(
            dir.path(),
            vec![f.clone()],
            &[field::PATH, dataset::COUNTRY],
        )
        .collect::<Result<_>>()
        .unwrap();
        let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
        assert_eq!(rows, 2);
        let country = batches[0].column_by_name(dataset::COUNTRY).unwrap();
        assert_eq!(country.null_count(), country.len());
        assert_eq!(
            batches[0]
                .column_by_name(field::PATH)
                .unwrap()
                .as_string::<i32>()
                .value(1),
            "/b"
        );
        // A column the dataset always had cannot be missing: the file is damaged.
        let err = OrderedReader::new(dir.path(), vec![f], &[dataset::IS_BOT])
            .next()
            .unwrap()
            .unwrap_err()
            .to_string();
        assert!(err.contains("old.parquet has no column is_bot"), "{err}");
    }
}
