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
        Command::Sql(a) => sql::run(a),
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
