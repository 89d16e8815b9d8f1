//! `clickpath formats`: the preset table.

use std::process::ExitCode;

use clickpath_formats::presets::PRESETS;

pub fn run() -> anyhow::Result<ExitCode> {
    for p in PRESETS {
        println!("{:<16} {}\n{:<16} {}\n", p.name, p.about, "", p.source());
    }
    Ok(ExitCode::SUCCESS)
}
