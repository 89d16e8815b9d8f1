//! Reading the `requests` table back in ingest order (by `seq`) from any set of its files.
//!
//! Each file is sorted by `seq`; files of one commit interleave only where the input crossed
//! midnight, and compacted files span many commits. The merge opens a file only when the
//! output reaches its first `seq` and emits runs of consecutive rows from one file as slices, so
//! it costs little more than reading, and holds one batch per overlapping file.

use std::fs::File;
use std::path::Path;

use std::sync::Arc;

use arrow_array::BooleanArray;
use arrow_array::cast::AsArray;
use arrow_array::types::UInt64Type;
use arrow_array::{RecordBatch, new_null_array};
use arrow_schema::{FieldRef, Schema};
use clickpath_model::dataset;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{
    ArrowPredicateFn, ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder, RowFilter,
};

use super::manifest::DataFile;
use crate::{Error, Result};

struct Open {
    path: std::path::PathBuf,
    reader: ParquetRecordBatchReader,
    batch: RecordBatch,
    pos: usize,
    seq_col: usize,
    /// Columns added to the schema after this file was written (read as nulls).
    missing: Vec<FieldRef>,
    /// The filter, where Parquet could not apply it while decoding (a file without one of
    /// its columns): applied to each batch read.
    after: Option<Keep>,
}

/// Which rows of a batch of the filter's columns to keep (a message says why it could not say).
pub type Keep =
    Arc<dyn Fn(&RecordBatch) -> std::result::Result<BooleanArray, String> + Send + Sync>;

/// A batch of a file, with its missing columns, through the filter it still needs.
fn prepared(batch: RecordBatch, missing: &[FieldRef], after: Option<&Keep>) -> Result<RecordBatch> {
    let batch = with_missing(batch, missing)?;
    match after {
        None => Ok(batch),
        Some(keep) => {
            let keep = keep(&batch).map_err(Error::Internal)?;
            Ok(arrow_select::filter::filter_record_batch(&batch, &keep)?)
        }
    }
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
    filter: Option<(Vec<String>, Keep)>,
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
            filter: None,
        }
    }

    /// Only the rows `keep` keeps, given batches of `columns` (which the reader must read too):
    /// Parquet decodes the other columns of the rows kept only.
    pub fn filtered(mut self, columns: &[&str], keep: Keep) -> Self {
        for c in columns {
            if !self.columns.iter().any(|have| have == c) {
                self.columns.insert(self.columns.len() - 1, (*c).to_owned());
            }
        }
        self.filter = Some((columns.iter().map(|c| (*c).to_owned()).collect(), keep));
        self
    }

    fn open_next(&mut self) -> Result<()> {
        let f = &self.files[self.next_file];
        self.next_file += 1;
        let path = self.dir.join(&f.path);
        let file = File::open(&path).map_err(|e| Error::read(&path, e))?;
        let damaged = |detail| Error::Damaged {
            path: path.clone(),
            detail,
        };
        let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(damaged)?;
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
        let mut after = None;
        let mut builder = builder;
        if let Some((names, keep)) = &self.filter {
            let have: Option<Vec<usize>> = names
                .iter()
                .map(|n| builder.schema().index_of(n).ok())
                .collect();
            match have {
                Some(have) => {
                    let keep = keep.clone();
                    let columns = ProjectionMask::roots(builder.parquet_schema(), have);
                    let predicate = ArrowPredicateFn::new(columns, move |b: RecordBatch| {
                        keep(&b).map_err(arrow_schema::ArrowError::ComputeError)
                    });
                    builder = builder.with_row_filter(RowFilter::new(vec![Box::new(predicate)]));
                }
                None => after = Some(keep.clone()),
            }
        }
        let mut reader = builder
            .with_projection(mask)
            .with_batch_size(16 * 1024)
            .build()
            .map_err(damaged)?;
        // The projected batch keeps file order; find `seq` in it. (A filter can leave a
        // batch without rows: the first with rows opens the file.)
        while let Some(batch) = reader.next() {
            let batch = prepared(
                batch.map_err(|e| damaged(e.into()))?,
                &missing,
                after.as_ref(),
            )?;
            let seq_col = batch
                .schema()
                .index_of(dataset::SEQ)
                .map_err(|e| Error::Internal(e.to_string()))?;
            if batch.num_rows() > 0 {
                self.open.push(Open {
                    path,
                    reader,
                    batch,
                    pos: 0,
                    seq_col,
                    missing,
                    after,
                });
                break;
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
                // The next batch with rows, if any (a filter can leave none in one).
                let mut next = None;
                for b in o.reader.by_ref() {
                    let b = b.map_err(|e| Error::Damaged {
                        path: o.path.clone(),
                        detail: e.into(),
                    })?;
                    let b = prepared(b, &o.missing, o.after.as_ref())?;
                    if b.num_rows() > 0 {
                        next = Some(b);
                        break;
                    }
                }
                match next {
                    Some(b) => {
                        o.batch = b;
                        o.pos = 0;
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

/// The rows of the `sessions` table (its closed sessions, then those open at the last commit),
/// `columns` only; None for a dataset written before the table.
pub fn read_sessions(
    dir: &Path,
    m: &super::Manifest,
    columns: &[&str],
) -> Result<Option<Vec<RecordBatch>>> {
    if !m.sessions_table {
        return Ok(None);
    }
    let mut out = Vec::new();
    for f in m.sessions.iter().chain(&m.open_sessions) {
        let path = dir.join(&f.path);
        let file = File::open(&path).map_err(|e| Error::read(&path, e))?;
        let damaged = |detail| Error::Damaged {
            path: path.clone(),
            detail,
        };
        let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(damaged)?;
        let indices = columns
            .iter()
            .map(|c| builder.schema().index_of(c))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let mask = ProjectionMask::roots(builder.parquet_schema(), indices);
        for batch in builder.with_projection(mask).build().map_err(damaged)? {
            out.push(batch.map_err(|e| damaged(e.into()))?);
        }
    }
    Ok(Some(out))
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

    /// A file with `path` and `country` of rows `seq` 3..=8, in two row groups.
    fn newer_file(dir: &Path) -> DataFile {
        let schema = Arc::new(Schema::new(vec![
            Field::new(field::PATH, DataType::Utf8, true),
            Field::new(dataset::COUNTRY, DataType::Utf8, true),
            Field::new(dataset::SEQ, DataType::UInt64, false),
        ]));
        let file = File::create(dir.join("new.parquet")).unwrap();
        let props = parquet::file::properties::WriterProperties::builder()
            .set_max_row_group_row_count(Some(3))
            .build();
        let mut w =
            parquet::arrow::ArrowWriter::try_new(file, schema.clone(), Some(props)).unwrap();
        let batch = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(StringArray::from(vec!["/b", "/c", "/d", "/e", "/b", "/f"])),
                Arc::new(StringArray::from(vec![
                    Some("fr"),
                    Some("de"),
                    Some("fr"),
                    Some("fr"),
                    None,
                    Some("fr"),
                ])),
                Arc::new(UInt64Array::from(vec![3, 4, 5, 6, 7, 8])),
            ],
        )
        .unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
        DataFile {
            path: "new.parquet".into(),
            date: "2024-03-02".into(),
            rows: 6,
            bytes: 0,
            min_seq: 3,
            max_seq: 8,
        }
    }

    #[test]
    fn a_filter_keeps_the_same_rows_in_files_with_and_without_its_columns() {
        let dir = tempfile::tempdir().unwrap();
        let files = vec![older_file(dir.path()), newer_file(dir.path())];
        // Not "/b", and not from "de": the older file has no countries (nulls).
        let keep: Keep = Arc::new(|b: &RecordBatch| {
            let path = b
                .column_by_name(field::PATH)
                .ok_or("no path")?
                .as_string::<i32>();
            let country = b
                .column_by_name(dataset::COUNTRY)
                .ok_or("no country")?
                .as_string::<i32>();
            Ok((0..b.num_rows())
                .map(|r| Some(path.value(r) != "/b" && country.value(r) != "de"))
                .collect())
        });
        let batches: Vec<RecordBatch> = OrderedReader::new(dir.path(), files, &[field::PATH])
            .filtered(&[field::PATH, dataset::COUNTRY], keep)
            .collect::<Result<_>>()
            .unwrap();
        let kept: Vec<(u64, String)> = batches
            .iter()
            .flat_map(|b| {
                let seq = b
                    .column_by_name(dataset::SEQ)
                    .unwrap()
                    .as_primitive::<UInt64Type>();
                let path = b.column_by_name(field::PATH).unwrap().as_string::<i32>();
                (0..b.num_rows())
                    .map(|r| (seq.value(r), path.value(r).to_owned()))
                    .collect::<Vec<_>>()
            })
            .collect();
        // By hand: 1 /a (old, no country) kept, 2 /b not; 3 /b not, 4 /c (de) not, 5 /d, 6 /e
        // kept, 7 /b not, 8 /f kept.
        let want = [(1, "/a"), (5, "/d"), (6, "/e"), (8, "/f")];
        assert_eq!(kept, want.map(|(s, p)| (s, p.to_owned())).to_vec(),);
    }
}
