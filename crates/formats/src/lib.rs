//! Bytes to Arrow batches.
//!
//! The data path, in the order bytes travel:
//! 1. [`input`]: open files or stdin, detect compression from magic bytes (gzip, zstd, bzip2,
//!    xz), order rotated sets oldest first.
//! 2. [`detect`]: pick a preset from a sample of lines (or take the user's `--format`).
//! 3. [`pipeline`]: a reader cuts the stream into newline-aligned chunks (buffers recycled), N
//!    workers parse chunks in parallel, results come back in input order.
//! 4. [`line`]: one compiled [`Format`] (from [`compile`], the single format-string compiler
//!    behind every preset and every user format) tokenizes a line into field slots, which
//!    [`batch`] appends straight into Arrow column builders.
//! 5. [`rejects`]: every line that does not parse is counted by reason, with samples.

pub mod batch;
mod chunk;
pub mod compile;
mod decode;
pub mod detect;
pub mod error;
pub mod errorlog;
mod headerless;
pub mod input;
mod json;
pub mod line;
pub mod pipeline;
pub mod presets;
pub mod rejects;
mod request_line;
pub mod spec;
mod timestamp;
pub mod w3c;

pub use chunk::FALLBACK_RUN;
pub use compile::{Syntax, compile};
pub use error::{Error, Result};
pub use spec::Format;
