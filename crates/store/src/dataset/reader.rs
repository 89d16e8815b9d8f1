//! Reading the `requests` table back in ingest order (by `seq`) from any set of its files.
//!
//! Each file is sorted by `seq`; files of one commit interleave only where the input crossed
//! midnight, and compacted files span many commits. The merge opens a file only when the
//! output reaches its first `seq` and emits runs of consecutive rows from one file as slices, so
//! it costs little more than reading, and holds one batch per overlapping file.

use std::fs::File;
use std::path::Path;

use arrow_array::RecordBatch;
use arrow_array::cast::AsArray;
use arrow_array::types::UInt64Type;
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
        for name in &self.columns {
            let i = builder
                .schema()
                .index_of(name)
                .map_err(|_| Error::Dataset {
                    dir: self.dir.clone(),
                    problem: format!("{} has no column {name}", f.path),
                })?;
            indices.push(i);
        }
        let mask = ProjectionMask::roots(schema, indices.iter().copied());
        let mut reader = builder
            .with_projection(mask)
            .with_batch_size(16 * 1024)
            .build()?;
        // The projected batch keeps file order; find `seq` in it.
        if let Some(batch) = reader.next() {
            let batch = batch?;
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
                        o.batch = b?;
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
