//! One file per command.

mod alerts;
mod check_format;
mod formats;
mod ingest;
mod maintenance;
mod parse;
mod receive;
mod report;
mod report_text;
mod selection;
mod serve;
#[cfg(feature = "sql")]
mod sql;
mod top;
mod user;
mod watch;

use std::process::ExitCode;

use crate::args::{Cli, Command};

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Parse(a) => parse::run(a),
        Command::CheckFormat(a) => check_format::run(a),
        Command::Report(a) => report::run(a),
        Command::Formats => formats::run(),
        Command::Ingest(a) => ingest::run(a),
        #[cfg(feature = "sql")]
        Command::Sql(a) => sql::run(a),
        #[cfg(not(feature = "sql"))]
        Command::Sql(_) => anyhow::bail!(
            "this clickpath was built without SQL (Apache DataFusion): build it with \
             `cargo build --release` (SQL is a default feature), not --no-default-features"
        ),
        Command::Prune(a) => maintenance::prune(a),
        Command::Compact(a) => maintenance::compact(a),
        Command::Serve(a) => serve::run(a),
        Command::User(c) => user::run(c),
        Command::Top(a) => top::run(a),
        Command::Watch(a) => watch::run(a),
        Command::Receive(a) => receive::run(a),
        Command::Alerts(c) => alerts::run(c),
    }
}
