//! `clickpath sql`: a query over the dataset, printed as a table, CSV, JSON lines or Parquet.

use std::fs::File;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use arrow_array::cast::AsArray;
use arrow_array::{ArrayRef, RecordBatch, StringArray};
use arrow_schema::DataType;
use clickpath_query::Engine;
use clickpath_query::datafusion::arrow;

use crate::args::{SqlArgs, SqlOutput};
use crate::commands::report_text::safe;

/// String columns with control characters escaped: log text must not drive the terminal.
/// `batch` with its nested columns (lists, structs, maps: the sessions' `page_steps`) as text,
/// as the table shows them (`[{path: /, next_path: /cart, gap_us: 5000000}]`): CSV has no
/// nested values.
fn nested_as_text(batch: &RecordBatch) -> Result<RecordBatch> {
    let mut fields = Vec::new();
    let mut columns: Vec<ArrayRef> = Vec::new();
    for (f, c) in batch.schema().fields().iter().zip(batch.columns()) {
        if c.data_type().is_nested() {
            let fmt = arrow::util::display::ArrayFormatter::try_new(
                c.as_ref(),
                &arrow::util::display::FormatOptions::default(),
            )?;
            let text: StringArray = (0..c.len())
                .map(|r| c.is_valid(r).then(|| fmt.value(r).to_string()))
                .collect();
            fields.push(arrow_schema::Field::new(f.name(), DataType::Utf8, true));
            columns.push(Arc::new(text));
        } else {
            fields.push(f.as_ref().clone());
            columns.push(Arc::clone(c));
        }
    }
    Ok(RecordBatch::try_new(
        Arc::new(arrow_schema::Schema::new(fields)),
        columns,
    )?)
}

/// `batch` with every text value (nested ones too) escaped for a terminal.
fn terminal_safe(batch: &RecordBatch) -> Result<RecordBatch> {
    let batch = nested_as_text(batch)?;
    let columns: Vec<ArrayRef> = batch
        .columns()
        .iter()
        .map(|c| match c.data_type() {
            DataType::Utf8 => Arc::new(
                c.as_string::<i32>()
                    .iter()
                    .map(|v| v.map(safe))
                    .collect::<StringArray>(),
            ) as ArrayRef,
            _ => Arc::clone(c),
        })
        .collect();
    Ok(RecordBatch::try_new(batch.schema(), columns)?)
}

pub fn run(args: SqlArgs) -> Result<ExitCode> {
    let dir = args.data.dir();
    let engine = Engine::open(&dir)?;
    let batches = engine.sql(&args.query)?;
    let out: Box<dyn Write + Send> = match &args.out {
        Some(p) => {
            Box::new(File::create(p).with_context(|| format!("cannot create {}", p.display()))?)
        }
        None => {
            if args.output == SqlOutput::Parquet && std::io::stdout().is_terminal() {
                anyhow::bail!("Parquet is binary: write it to a file with -o FILE (or pipe it)");
            }
            Box::new(std::io::stdout())
        }
    };
    let mut out = std::io::BufWriter::new(out);
    match args.output {
        SqlOutput::Table => {
            let safe: Vec<RecordBatch> =
                batches.iter().map(terminal_safe).collect::<Result<_>>()?;
            writeln!(
                out,
                "{}",
                arrow::util::pretty::pretty_format_batches(&safe)?
            )?;
            let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
            eprintln!("clickpath: {rows} row(s)");
        }
        SqlOutput::Csv => {
            let mut w = arrow::csv::WriterBuilder::new()
                .with_header(true)
                .build(&mut out);
            for b in &batches {
                w.write(&nested_as_text(b)?)?;
            }
        }
        SqlOutput::Json => {
            let mut w = arrow::json::LineDelimitedWriter::new(&mut out);
            for b in &batches {
                w.write(b)?;
            }
            w.finish()?;
        }
        SqlOutput::Parquet => {
            let schema = match batches.first() {
                Some(b) => b.schema(),
                None => Arc::new(arrow_schema::Schema::empty()),
            };
            let mut w = parquet::arrow::ArrowWriter::try_new(&mut out, schema, None)?;
            for b in &batches {
                w.write(b)?;
            }
            w.close()?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
