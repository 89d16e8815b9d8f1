//! A Parquet file of requests, one row group per parsed chunk.
//!
//! [`ParquetEncoder::encode`] turns a batch into encoded column chunks on whichever thread calls
//! it; [`ParquetSink::append`] splices them into the file in order. This is arrow-rs's documented
//! way to encode in parallel (`ArrowColumnWriter`), so the output is an ordinary Parquet file
//! with the Arrow schema embedded (timestamps keep their UTC zone).

use std::io::Write;
use std::sync::Arc;

use arrow_array::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_writer::{ArrowColumnChunk, ArrowRowGroupWriterFactory, compute_leaves};
use parquet::basic::{Compression, Encoding};
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::file::writer::SerializedFileWriter;

use crate::{Error, Result};
use clickpath_model::{field, hit_schema};

/// Encoded columns of one row group.
pub struct EncodedRowGroup(Vec<ArrowColumnChunk>);

/// Encodes batches into row groups; shared by the parser threads.
#[derive(Clone)]
pub struct ParquetEncoder {
    factory: Arc<ArrowRowGroupWriterFactory>,
}

impl ParquetEncoder {
    pub fn encode(&self, batch: &RecordBatch) -> Result<EncodedRowGroup> {
        let schema = hit_schema();
        let mut writers = self.factory.create_column_writers(0)?;
        let mut out = Vec::with_capacity(writers.len());
        let mut w = writers.iter_mut();
        for (array, f) in batch.columns().iter().zip(schema.fields()) {
            for leaf in compute_leaves(f, array)? {
                w.next()
                    .ok_or_else(|| Error::Internal("more leaves than column writers".into()))?
                    .write(&leaf)?;
            }
        }
        for writer in writers {
            out.push(writer.close()?);
        }
        Ok(EncodedRowGroup(out))
    }
}

/// The output file.
pub struct ParquetSink<W: Write + Send> {
    writer: SerializedFileWriter<W>,
    rows: u64,
}

impl<W: Write + Send> ParquetSink<W> {
    /// Starts a file: Snappy pages, dictionaries for strings, delta-encoded line numbers.
    pub fn create(out: W) -> Result<(Self, ParquetEncoder)> {
        let mut props = WriterProperties::builder().set_compression(Compression::SNAPPY);
        // Min/max of free-text columns cost a string compare per value and prune nothing
        // useful; time, status and sizes keep their statistics.
        for f in hit_schema().fields() {
            if f.data_type() == &arrow_schema::DataType::Utf8 {
                props = props.set_column_statistics_enabled(
                    f.name().as_str().into(),
                    EnabledStatistics::None,
                );
            }
        }
        let props = props
            .set_column_encoding(field::LINE.into(), Encoding::DELTA_BINARY_PACKED)
            .set_column_dictionary_enabled(field::LINE.into(), false)
            .set_created_by(format!("clickpath {}", env!("CARGO_PKG_VERSION")))
            .build();
        let (writer, factory) =
            ArrowWriter::try_new(out, hit_schema(), Some(props))?.into_serialized_writer()?;
        Ok((
            Self { writer, rows: 0 },
            ParquetEncoder {
                factory: Arc::new(factory),
            },
        ))
    }

    pub fn append(&mut self, group: EncodedRowGroup) -> Result<()> {
        let mut rg = self.writer.next_row_group()?;
        for chunk in group.0 {
            chunk.append_to_row_group(&mut rg)?;
        }
        let meta = rg.close()?;
        self.rows += meta.num_rows() as u64;
        Ok(())
    }

    /// Writes the footer; returns the rows written.
    pub fn finish(self) -> Result<u64> {
        self.writer.close()?;
        Ok(self.rows)
    }
}
