//! End-to-end tests of the `clickpath` binary: real files in a temp dir, real processes.

mod alerts;
mod browser;
mod corpus;
mod dashboard;
mod dataset;
mod error_log;
mod goaccess;
mod http;
mod mmdb;
mod openapi;
mod parse;
mod real_servers;
mod receiver;
mod report;
mod shipping;
mod sql_docs;
mod top;
mod trust;
mod truth;
mod webdriver;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The binary under test, with its secret in `dir` (never the user's).
pub fn clickpath(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_clickpath"));
    c.env("CLICKPATH_SECRET_FILE", dir.join("secret"));
    c.current_dir(dir);
    c
}

/// Runs and returns (exit code, stdout, stderr).
pub fn run(cmd: &mut Command) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.stdin(Stdio::null()).output().expect("run clickpath");
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

/// `../shared/corpus/real`, next to the repository (CI has it too).
pub fn corpus() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/real");
    assert!(
        p.is_dir(),
        "the real-log corpus is missing at {}",
        p.display()
    );
    p
}

/// Runs `../shared/tools/loggen.py ARGS` in `dir`, writing `access.log`; returns its truth.
pub fn loggen(dir: &Path, args: &[&str]) -> serde_json::Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/tools/loggen.py");
    let status = Command::new("python3")
        .arg(script)
        .args(args)
        .args(["--out", "access.log", "--truth", "truth.json"])
        .current_dir(dir)
        .status()
        .expect("python3 runs loggen.py");
    assert!(status.success());
    serde_json::from_str(&std::fs::read_to_string(dir.join("truth.json")).unwrap()).unwrap()
}
