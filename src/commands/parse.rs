//! `clickpath parse`: normalised records as NDJSON, CSV or Parquet.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clickpath_formats::pipeline::{self, SinkError};
use clickpath_store::{
    ParquetSink, TextOptions, csv_header, encode_csv, encode_events_ndjson, encode_ndjson,
};

use crate::args::{OutputFormat, ParseArgs};
use crate::inputs::{Inputs, exit_status, report_skipped, totals_line};

pub fn run_to<W: Write + Send>(args: &ParseArgs, inputs: &Inputs, out: W) -> Result<ExitCode> {
    let text = TextOptions {
        raw_ip: args.raw_ip,
    };
    // Error logs' events are another record: NDJSON holds both, a table one kind.
    let errors = |format: &clickpath_formats::Format| -> Result<(), SinkError> {
        match format.error_log() {
            Some(_) if args.to != OutputFormat::Ndjson => Err(
                "error-log events are another record than requests: write them with --to ndjson, \
                 or ingest them and query the `events` table (clickpath sql)"
                    .into(),
            ),
            _ => Ok(()),
        }
    };
    let summary = match args.to {
        OutputFormat::Parquet => {
            let (mut sink, encoder) = ParquetSink::create(out)?;
            let summary = pipeline::run(
                &inputs.sources,
                &inputs.options,
                |format, batch| errors(format).map(|()| encoder.encode(&batch)),
                |encoded| -> Result<(), SinkError> {
                    inputs.progress.tick();
                    sink.append(encoded??)?;
                    Ok(())
                },
            )?;
            sink.finish()?;
            summary
        }
        OutputFormat::Ndjson | OutputFormat::Csv => {
            let mut out = BufWriter::with_capacity(1 << 20, out);
            let csv = args.to == OutputFormat::Csv;
            if csv {
                out.write_all(&csv_header(text))?;
            }
            let summary = pipeline::run(
                &inputs.sources,
                &inputs.options,
                |format, batch| {
                    errors(format)?;
                    Ok(if format.error_log().is_some() {
                        encode_events_ndjson(&batch, text)
                    } else if csv {
                        encode_csv(&batch, text)
                    } else {
                        encode_ndjson(&batch, text)
                    })
                },
                |bytes: Result<Vec<u8>, SinkError>| -> Result<(), SinkError> {
                    inputs.progress.tick();
                    out.write_all(&bytes?)?;
                    Ok(())
                },
            )?;
            out.flush()?;
            summary
        }
    };
    inputs.finish()?;
    report_skipped(&summary);
    eprintln!("clickpath: {}", totals_line(&summary));
    Ok(exit_status(&summary))
}

pub fn run(args: ParseArgs) -> Result<ExitCode> {
    let inputs = Inputs::new(&args.input, args.raw_ip)?;
    match &args.output {
        Some(path) => {
            let file =
                File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
            run_to(&args, &inputs, file)
        }
        None => {
            use std::io::IsTerminal;
            if args.to == OutputFormat::Parquet && std::io::stdout().is_terminal() {
                anyhow::bail!("Parquet is binary: write it to a file with -o FILE (or pipe it)");
            }
            run_to(&args, &inputs, std::io::stdout())
        }
    }
}
