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
    keep_freed_memory();
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

/// Parsing allocates and frees buffers of a few MiB per chunk. glibc would hand them back to the
/// kernel and fault them in again for the next chunk (an eighth of the CPU time of an ingest);
/// keeping up to 32 MiB blocks on the heap and not trimming it below 256 MiB reuses them.
fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator parameters; called before any thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 256 << 20);
    }
}

/// One malloc arena for all threads, for a pass whose memory should be what its figures need (a
/// report of a small input): glibc gives each thread that meets a locked arena its own, and
/// their free lists add up (the 100 MiB loggen file's report: 26.4 -> 24.9 MiB, same time;
/// docs/benchmarks.md). Call before the pass starts its threads.
pub(crate) fn one_malloc_arena() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator parameters; no other thread allocates yet.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
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
