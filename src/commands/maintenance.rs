//! `clickpath prune` and `clickpath compact`.

use std::process::ExitCode;

use anyhow::Result;
use clickpath_model::format_date;
use clickpath_store::dataset;

use crate::args::{CompactArgs, PruneArgs};

pub fn prune(args: PruneArgs) -> Result<ExitCode> {
    let dir = args.data.dir();
    dataset::open_for_read(&dir)?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let before = format_date(now.div_euclid(86_400) - args.older_than);
    let c = dataset::prune(&dir, &before, args.keep.seconds as u64)?;
    eprintln!(
        "clickpath: removed {} requests in {} file(s) dated before {before}; {} file(s) left",
        c.rows_removed,
        c.files_before - c.files_after,
        c.files_after
    );
    Ok(ExitCode::SUCCESS)
}

pub fn compact(args: CompactArgs) -> Result<ExitCode> {
    let dir = args.data.dir();
    dataset::open_for_read(&dir)?;
    let c = dataset::compact(&dir, args.keep.seconds as u64)?;
    eprintln!(
        "clickpath: {} file(s) before, {} after",
        c.files_before, c.files_after
    );
    Ok(ExitCode::SUCCESS)
}
