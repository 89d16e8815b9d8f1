//! Encoding dataset columns into Parquet column chunks on any thread.
//!
//! The stateless columns of a batch are encoded on the parser threads and the few columns that
//! depend on earlier requests (`seq`, `session_id`, `is_bot`, `bot_*`) on the ingest thread; the
//! chunks of one row group are then appended to whichever day's file the rows belong to. Every
//! file shares one schema and one set of writer properties, so chunks are interchangeable.

use std::sync::OnceLock;

use arrow_array::ArrayRef;
use arrow_schema::DataType;
use clickpath_model::{dataset, dataset_schema, field};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_writer::{ArrowColumnChunk, ArrowRowGroupWriterFactory, compute_leaves};
use parquet::basic::{Compression, Encoding, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties};

use crate::{Error, Result};

/// Columns of free text: no min/max statistics (they cost a compare per value and prune
/// nothing useful).
const NO_STATISTICS: [&str; 9] = [
    field::IP,
    field::PATH,
    field::QUERY,
    field::REFERRER,
    field::USER_AGENT,
    field::HOST,
    dataset::BROWSER,
    dataset::OS,
    dataset::REFERRER_HOST,
];

/// Zstd pages, dictionaries for strings, delta-encoded counters; statistics on time, date,
/// status, sequence and the small classification columns.
pub fn writer_properties() -> WriterProperties {
    let mut props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(
            ZstdLevel::try_new(1).expect("valid level"),
        ))
        .set_created_by(format!("clickpath {}", env!("CARGO_PKG_VERSION")));
    for f in dataset_schema().fields() {
        if f.data_type() == &DataType::Utf8 && NO_STATISTICS.contains(&f.name().as_str()) {
            props = props
                .set_column_statistics_enabled(f.name().as_str().into(), EnabledStatistics::None);
        }
    }
    for counter in [field::LINE, dataset::SEQ] {
        props = props
            .set_column_encoding(counter.into(), Encoding::DELTA_BINARY_PACKED)
            .set_column_dictionary_enabled(counter.into(), false);
    }
    props.build()
}

fn factory() -> Result<&'static ArrowRowGroupWriterFactory> {
    static FACTORY: OnceLock<std::result::Result<ArrowRowGroupWriterFactory, String>> =
        OnceLock::new();
    FACTORY
        .get_or_init(|| {
            let writer =
                ArrowWriter::try_new(std::io::sink(), dataset_schema(), Some(writer_properties()))
                    .map_err(|e| e.to_string())?;
            let (_, factory) = writer.into_serialized_writer().map_err(|e| e.to_string())?;
            Ok(factory)
        })
        .as_ref()
        .map_err(|e| Error::Internal(format!("Parquet writer setup: {e}")))
}

/// Encoded column chunks of one row group, by column index (some columns may still be missing).
#[derive(Default)]
pub struct ColumnChunks(pub(crate) Vec<(usize, ArrowColumnChunk)>);

impl ColumnChunks {
    /// Encodes `columns` (index in the dataset schema, values) and adds them.
    pub fn encode(&mut self, columns: &[(usize, &ArrayRef)]) -> Result<()> {
        let schema = dataset_schema();
        let mut writers = factory()?.create_column_writers(0)?;
        for &(i, array) in columns {
            let f = schema.field(i);
            // Every column of the dataset is a primitive leaf: leaf index = column index.
            let mut leaves = compute_leaves(f, array)?;
            let (Some(leaf), true) = (leaves.pop(), leaves.is_empty()) else {
                return Err(Error::Internal(format!(
                    "column {} is not one leaf",
                    f.name()
                )));
            };
            writers[i].write(&leaf)?;
        }
        let mut taken: Vec<Option<_>> = writers.into_iter().map(Some).collect();
        for &(i, _) in columns {
            let w = taken[i]
                .take()
                .ok_or_else(|| Error::Internal("column encoded twice".into()))?;
            self.0.push((i, w.close()?));
        }
        Ok(())
    }

    pub(crate) fn into_sorted(mut self) -> Result<Vec<ArrowColumnChunk>> {
        self.0.sort_by_key(|c| c.0);
        let width = dataset_schema().fields().len();
        if self.0.len() != width || self.0.iter().enumerate().any(|(i, c)| c.0 != i) {
            return Err(Error::Internal(format!(
                "row group has {} of {width} columns",
                self.0.len()
            )));
        }
        Ok(self.0.into_iter().map(|c| c.1).collect())
    }
}
