//! Parsing one line with a compiled [`Format`] into field slots.

use crate::batch::{Raw, Slots};
use crate::rejects::{Reject, RejectReason};
use crate::spec::{Encoding, FieldKind, FieldSpec, Format, Layout, TimeKind, Token, W3cDialect};
use crate::{json, timestamp};

/// Parses `line` (without its line ending) into `slots`.
pub(crate) fn parse_line<'a>(
    format: &Format,
    line: &'a [u8],
    slots: &mut Slots<'a>,
) -> Result<(), Reject> {
    match &format.layout {
        Layout::Positional {
            tokens,
            w3c: Some(dialect),
        } => {
            // Every field is separated: a line must have exactly as many as declared.
            let sep = match dialect {
                W3cDialect::Iis => b' ',
                W3cDialect::CloudFront => b'\t',
            };
            let fields = tokens
                .iter()
                .filter(|t| matches!(t, Token::Field(_)))
                .count();
            if memchr::memchr_iter(sep, line).count() + 1 != fields {
                return Err(Reject::at(RejectReason::WrongFieldCount, 0));
            }
            parse_positional(tokens, line, slots)
        }
        Layout::Positional { tokens, w3c: None } => parse_positional(tokens, line, slots),
        Layout::Json { keys } => json::parse_object(keys, line, slots),
    }
}

fn parse_positional<'a>(
    tokens: &[Token],
    line: &'a [u8],
    slots: &mut Slots<'a>,
) -> Result<(), Reject> {
    parse_from(tokens, line, 0, slots, &mut 0)
}

/// Quoted fields tried per line before giving up (quotes inside unescaped request lines make a
/// field end ambiguous; each candidate end is tried in turn).
const MAX_ATTEMPTS: u32 = 32;

fn parse_from<'a>(
    tokens: &[Token],
    line: &'a [u8],
    mut pos: usize,
    slots: &mut Slots<'a>,
    attempts: &mut u32,
) -> Result<(), Reject> {
    for (i, token) in tokens.iter().enumerate() {
        match token {
            Token::Literal(lit) => {
                if line[pos..].starts_with(lit) {
                    pos += lit.len();
                } else if line.len() - pos < lit.len() && lit.starts_with(&line[pos..]) {
                    return Err(Reject::at(RejectReason::Truncated, pos));
                } else {
                    return Err(Reject::at(RejectReason::NotThisFormat, pos));
                }
            }
            Token::Field(field) => {
                let next = match tokens.get(i + 1) {
                    Some(Token::Literal(l)) => Some(l.as_slice()),
                    _ => None,
                };
                if field.quoted {
                    // Try each plausible closing quote; the first that lets the rest of the
                    // line parse wins, else the first candidate's error is reported.
                    let mut first_err = None;
                    let mut from = pos;
                    while let Some(end) = quoted_end(line, from, field, next.unwrap_or(b"\"")) {
                        *attempts += 1;
                        let r = capture(field, &line[pos..end], slots)
                            .map_err(|r| Reject::at(r, pos))
                            .and_then(|()| {
                                parse_from(&tokens[i + 1..], line, end, slots, attempts)
                            });
                        match r {
                            Ok(()) => return Ok(()),
                            Err(e) => {
                                first_err.get_or_insert(e);
                            }
                        }
                        if *attempts >= MAX_ATTEMPTS {
                            break;
                        }
                        from = end + 1;
                    }
                    if first_err.is_none() && next == Some(b"\"") && i + 2 == tokens.len() {
                        // The format's last field is quoted and the line was cut inside it: keep
                        // the request with what is there (as GoAccess does), up to the line end.
                        return capture(field, &line[pos..], slots).map_err(|r| Reject::at(r, pos));
                    }
                    return Err(first_err.unwrap_or(Reject::at(RejectReason::Truncated, pos)));
                }
                let end =
                    field_end(line, pos, next).ok_or(Reject::at(RejectReason::Truncated, pos))?;
                capture(field, &line[pos..end], slots).map_err(|r| Reject::at(r, pos))?;
                pos = end;
            }
        }
    }
    Ok(())
}

/// The first plausible closing quote of a quoted field at or after `from`.
fn quoted_end(line: &[u8], from: usize, field: &FieldSpec, next: &[u8]) -> Option<usize> {
    let escapes = matches!(field.encoding, Encoding::Backslash | Encoding::Json);
    let mut j = from;
    while let Some(q) = memchr::memchr(b'"', &line[j..]) {
        let at = j + q;
        j = at + 1;
        if escapes && preceded_by_odd_backslashes(line, at) {
            continue;
        }
        let after = &line[at..];
        if next.len() == 1 {
            // Only the closing quote: it must end the line or be followed by a blank.
            if matches!(after.get(1), None | Some(b' ' | b'\t')) {
                return Some(at);
            }
        } else if after.starts_with(next) {
            return Some(at);
        }
    }
    None
}

/// Where an unquoted field starting at `pos` ends.
fn field_end(line: &[u8], pos: usize, next: Option<&[u8]>) -> Option<usize> {
    let rest = &line[pos..];
    let Some(next) = next else {
        // Last field: up to the next blank, the rest of the line is tolerated (extra fields
        // appended by the server config).
        return Some(
            pos + rest
                .iter()
                .position(|&c| c == b' ' || c == b'\t')
                .unwrap_or(rest.len()),
        );
    };
    find_literal(rest, next).map(|i| pos + i)
}

/// First occurrence of a (short) literal: `memchr` on its first byte, then a compare. Cheaper
/// than building a substring searcher for every field of every line.
fn find_literal(hay: &[u8], lit: &[u8]) -> Option<usize> {
    let (&first, tail) = lit.split_first()?;
    let mut from = 0;
    while let Some(i) = memchr::memchr(first, &hay[from..]) {
        let at = from + i;
        if hay[at + 1..].starts_with(tail) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

fn preceded_by_odd_backslashes(s: &[u8], i: usize) -> bool {
    s[..i].iter().rev().take_while(|&&c| c == b'\\').count() % 2 == 1
}

fn is_dash(v: &[u8]) -> bool {
    v == b"-" || v.is_empty()
}

/// Stores one field value in its slot.
pub(crate) fn capture<'a>(
    field: &FieldSpec,
    v: &'a [u8],
    slots: &mut Slots<'a>,
) -> Result<(), RejectReason> {
    let raw = |bytes| {
        Some(Raw {
            bytes,
            encoding: field.encoding,
        })
    };
    let text = |v: &'a [u8]| if is_dash(v) { None } else { raw(v) };
    match field.kind {
        FieldKind::Skip => {}
        FieldKind::Client => slots.client = client(v)?,
        FieldKind::ClientPort => slots.client = client(strip_port(v))?,
        FieldKind::ForwardedFor => slots.forwarded_for = first_forwarded(v),
        FieldKind::Host => slots.host = text(v),
        FieldKind::Request => slots.request = raw(v),
        FieldKind::Method => slots.method = text(v),
        FieldKind::Uri => slots.uri = text(v),
        FieldKind::Path => slots.path = text(v),
        FieldKind::Query => slots.query = text(v.strip_prefix(b"?").unwrap_or(v)),
        FieldKind::Protocol => slots.protocol = text(v),
        FieldKind::Referrer => slots.referrer = text(v),
        FieldKind::UserAgent => slots.user_agent = text(v),
        FieldKind::Status => slots.status = status(v)?,
        FieldKind::Bytes => {
            slots.bytes = if is_dash(v) {
                None
            } else {
                Some(number(v).ok_or(RejectReason::BadNumber)?)
            }
        }
        FieldKind::Duration(unit) => slots.duration_us = timestamp::duration_micros(v, unit),
        FieldKind::Time(kind) => {
            let bad = RejectReason::BadTimestamp;
            match kind {
                TimeKind::Clf => slots.instant = Some(timestamp::clf(v).ok_or(bad)?),
                TimeKind::Iso8601 => slots.instant = Some(timestamp::iso8601(v).ok_or(bad)?),
                TimeKind::EpochSeconds => {
                    slots.instant = Some(timestamp::epoch(v, 1_000_000).ok_or(bad)?)
                }
                TimeKind::EpochMillis => {
                    slots.instant = Some(timestamp::epoch(v, 1_000).ok_or(bad)?)
                }
                TimeKind::EpochMicros => slots.instant = Some(timestamp::epoch(v, 1).ok_or(bad)?),
                TimeKind::Any => {
                    let t = timestamp::iso8601(v)
                        .or_else(|| timestamp::clf(v))
                        .or_else(|| timestamp::epoch(v, 1_000_000));
                    slots.instant = Some(t.ok_or(bad)?)
                }
                TimeKind::Date => slots.date_days = Some(timestamp::date(v).ok_or(bad)?),
                TimeKind::TimeOfDay => {
                    slots.time_of_day = Some(timestamp::time_of_day(v).ok_or(bad)?)
                }
            }
        }
    }
    Ok(())
}

fn number(v: &[u8]) -> Option<u64> {
    if v.is_empty() || v.len() > 19 {
        return None;
    }
    v.iter().try_fold(0u64, |acc, &c| {
        let d = c.wrapping_sub(b'0');
        (d <= 9).then(|| acc * 10 + u64::from(d))
    })
}

/// 3-digit status 100..=599; `-`, `-1` and `000` (no response) are null.
fn status(v: &[u8]) -> Result<Option<u16>, RejectReason> {
    if is_dash(v) || v == b"-1" || v == b"000" {
        return Ok(None);
    }
    match number(v) {
        Some(n @ 100..=599) if v.len() == 3 => Ok(Some(n as u16)),
        _ => Err(RejectReason::BadStatus),
    }
}

/// A client address or hostname: no blanks, quotes or other punctuation.
fn client(v: &[u8]) -> Result<Option<&[u8]>, RejectReason> {
    if is_dash(v) {
        return Ok(None);
    }
    let ok = v.len() <= 255
        && v.iter().all(|&c| {
            c.is_ascii_alphanumeric() || matches!(c, b'.' | b':' | b'-' | b'_' | b'[' | b']' | b'%')
        });
    if ok {
        Ok(Some(v))
    } else {
        Err(RejectReason::BadClient)
    }
}

/// The original client of `X-Forwarded-For: client, proxy1, proxy2`, if it is an address.
fn first_forwarded(v: &[u8]) -> Option<&[u8]> {
    let first = v.split(|&c| c == b',').next()?.trim_ascii();
    client(strip_port(first)).ok().flatten()
}

/// `192.0.2.1:2817` -> `192.0.2.1`; `[2001:db8::1]:443` -> `2001:db8::1`.
fn strip_port(v: &[u8]) -> &[u8] {
    if let Some(inner) = v.strip_prefix(b"[") {
        return match memchr::memchr(b']', inner) {
            Some(i) => &inner[..i],
            None => v,
        };
    }
    match memchr::memrchr(b':', v) {
        Some(i) if v[i + 1..].iter().all(u8::is_ascii_digit) && i + 1 < v.len() => {
            let host = &v[..i];
            // A bare IPv6 address has more colons and no port we could tell apart.
            if memchr::memchr(b':', host).is_some() && !host.contains(&b'.') {
                v
            } else {
                host
            }
        }
        _ => v,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_stripped() {
        assert_eq!(strip_port(b"192.0.2.1:2817"), b"192.0.2.1");
        assert_eq!(strip_port(b"[2001:db8::1]:443"), b"2001:db8::1");
        assert_eq!(strip_port(b"2001:db8::1"), b"2001:db8::1");
        assert_eq!(strip_port(b"host.example"), b"host.example");
    }

    #[test]
    fn statuses() {
        assert_eq!(status(b"200"), Ok(Some(200)));
        assert_eq!(status(b"-"), Ok(None));
        assert_eq!(status(b"-1"), Ok(None));
        assert_eq!(status(b"2000"), Err(RejectReason::BadStatus));
        assert_eq!(status(b"099"), Err(RejectReason::BadStatus));
        assert_eq!(status(b"20x"), Err(RejectReason::BadStatus));
    }
}
