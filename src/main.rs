//! clickpath: access logs in, marketing answers out.
//!
//! This binary holds the command line (clap), turns flags into library options and prints
//! results. Library crates do the work: `clickpath-formats` reads logs into Arrow batches,
//! `clickpath-store` writes them out. Errors are `anyhow` here and only here.

mod args;
mod commands;
mod inputs;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    match commands::run(cli) {
        Ok(code) => code,
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            eprintln!("clickpath: error: {err:#}");
            ExitCode::from(2)
        }
    }
}

/// `clickpath parse big.log | head` must end quietly.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || e.to_string().contains("Broken pipe")
    })
}
