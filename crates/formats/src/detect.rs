//! Autodetection: which preset reads a file, judged on a sample of its first lines.

use std::sync::Arc;

use crate::batch::Slots;
use crate::error::{Attempt, Error, Result};
use crate::headerless::{self, Inference};
use crate::line::parse_line;
use crate::presets::PRESETS;
use crate::rejects::{Reject, RejectReason};
use crate::spec::{Format, Layout, W3cDialect};
use crate::w3c;

/// Lines looked at.
pub const SAMPLE_LINES: usize = 200;
/// A preset that reads at least this share (in percent) of the lines the best preset reads
/// competes on the fields it fills (docs/formats.md, "Detection").
pub const NEARLY_ALL_PERCENT: usize = 90;

/// The chosen format and how well it read the sample.
#[derive(Debug, Clone)]
pub struct Detection {
    pub format: Arc<Format>,
    pub parsed: usize,
    pub sampled: usize,
    /// Other presets of the same kind, best first: a line the chosen format rejects is tried
    /// with these before it counts as rejected (files whose format changed mid-way).
    pub fallbacks: Vec<Arc<Format>>,
}

/// Parses a line the way the pipeline would: the number of fields it filled, or why it is not
/// a request.
pub(crate) fn check_line(format: &Format, line: &[u8]) -> Result<usize, Reject> {
    let mut slots = Slots::default();
    parse_line(format, line, &mut slots)?;
    if slots.has_time() {
        Ok(slots.filled())
    } else {
        Err(Reject::at(RejectReason::MissingTimestamp, 0))
    }
}

/// Lines of a sample: complete lines, `\r` removed, blank lines skipped, numbered from 1.
fn sample_lines(head: &[u8]) -> impl Iterator<Item = (u64, &[u8])> {
    head.split(|&c| c == b'\n')
        .enumerate()
        .map(|(i, l)| (i as u64 + 1, l.strip_suffix(b"\r").unwrap_or(l)))
        .filter(|(_, l)| !l.iter().all(u8::is_ascii_whitespace))
        .take(SAMPLE_LINES)
}

/// Picks the preset that reads most of `head` (a file's first bytes, cut at a line end).
///
/// Among the presets that read at least [`NEARLY_ALL_PERCENT`] of the lines the best one reads,
/// the one that fills most fields over the sample wins (combined beats common when a few lines
/// are cut before the referrer); then the one that reads more lines, then the earlier preset in
/// the table. The winner must read at least half of the sampled lines.
pub fn detect(name: &str, head: &[u8]) -> Result<Detection> {
    // W3C files declare their layout.
    if let Some(fields) = sample_lines(head).find_map(|(_, l)| w3c::fields_directive(l)) {
        let name = match w3c::dialect(fields) {
            W3cDialect::CloudFront => "cloudfront",
            W3cDialect::Iis => "w3c",
        };
        let format = w3c::compile_fields(name, fields)?;
        let lines: Vec<_> = sample_lines(head)
            .filter(|(_, l)| !l.starts_with(b"#"))
            .collect();
        let parsed = lines
            .iter()
            .filter(|(_, l)| check_line(&format, l).is_ok())
            .count();
        return Ok(Detection {
            format: Arc::new(format),
            parsed,
            sampled: lines.len(),
            fallbacks: Vec::new(),
        });
    }
    let lines: Vec<_> = sample_lines(head).collect();
    // Server error logs (events, not requests).
    let texts: Vec<&[u8]> = lines.iter().map(|(_, l)| *l).collect();
    if let Some((kind, parsed)) = crate::errorlog::detect(&texts) {
        return Ok(Detection {
            format: Arc::new(Format::for_error_log(kind)),
            parsed,
            sampled: texts.len(),
            fallbacks: Vec::new(),
        });
    }
    let data: Vec<&[u8]> = lines
        .iter()
        .map(|(_, l)| *l)
        .filter(|l| !l.starts_with(b"#"))
        .collect();
    match headerless::infer(&data) {
        Inference::NotW3c => {}
        Inference::Fields(fields) => {
            let name = match w3c::dialect(fields) {
                W3cDialect::CloudFront => "cloudfront",
                W3cDialect::Iis => "w3c",
            };
            let format = w3c::compile_fields(name, fields)?;
            let parsed = data
                .iter()
                .filter(|l| check_line(&format, l).is_ok())
                .count();
            return Ok(Detection {
                format: Arc::new(format),
                parsed,
                sampled: data.len(),
                fallbacks: Vec::new(),
            });
        }
        Inference::Unknown { fields } => {
            return Err(Error::HeaderlessW3c {
                name: name.to_owned(),
                fields,
                candidates: Vec::new(),
            });
        }
        Inference::Ambiguous(candidates) => {
            return Err(Error::HeaderlessW3c {
                name: name.to_owned(),
                fields: data
                    .first()
                    .map_or(0, |l| l.split(|&c| c == b' ' || c == b'\t').count()),
                candidates: candidates.iter().map(|c| c.to_string()).collect(),
            });
        }
    }
    if lines.is_empty() {
        return Ok(Detection {
            format: Arc::new(PRESETS[0].compile()?),
            parsed: 0,
            sampled: 0,
            fallbacks: Vec::new(),
        });
    }
    let json = lines
        .iter()
        .filter(|(_, l)| l.first() == Some(&b'{'))
        .count()
        * 2
        > lines.len();
    let mut attempts = Vec::new();
    let mut scored: Vec<(usize, usize, Format)> = Vec::new();
    for preset in PRESETS {
        let format = preset.compile()?;
        if format.error_log().is_some() {
            continue;
        }
        if matches!(format.layout, Layout::Json { .. }) != json {
            continue;
        }
        let mut parsed = 0;
        let mut filled = 0;
        let mut first_failure = None;
        for (n, l) in &lines {
            match check_line(&format, l) {
                Ok(f) => {
                    parsed += 1;
                    filled += f;
                }
                Err(r) if first_failure.is_none() => {
                    first_failure = Some((
                        *n,
                        r.reason.to_string(),
                        r.column,
                        String::from_utf8_lossy(l).into_owned(),
                    ))
                }
                Err(_) => {}
            }
        }
        attempts.push(Attempt {
            preset: preset.name.to_owned(),
            parsed,
            sampled: lines.len(),
            first_failure,
        });
        scored.push((parsed, filled, format));
    }
    // The richest preset among those that read nearly as many lines as the best one: `common`
    // reads every combined line (it ignores trailing text), so parsing most lines alone would
    // throw referrers and user agents away for a whole file because a few lines were cut.
    let best = scored.iter().map(|s| s.0).max().unwrap_or(0);
    let nearly = (best * NEARLY_ALL_PERCENT).div_ceil(100);
    scored.sort_by_key(|s| std::cmp::Reverse((s.0 >= nearly, s.1, s.0)));
    let mut ranked = scored.into_iter();
    match ranked.next() {
        Some((parsed, _, format)) if parsed > 0 && parsed * 2 >= lines.len() => Ok(Detection {
            format: Arc::new(format),
            parsed,
            sampled: lines.len(),
            fallbacks: ranked.map(|(_, _, f)| Arc::new(f)).collect(),
        }),
        // NUL bytes and nothing readable: a binary file. (Logs truncated by logrotate's
        // copytruncate may start with NULs, but then their later lines parse.)
        _ if memchr::memchr(0, head).is_some() => Err(Error::Binary {
            name: name.to_owned(),
        }),
        _ => Err(Error::UnknownFormat {
            name: name.to_owned(),
            attempts,
        }),
    }
}

#[cfg(test)]
mod tests;
