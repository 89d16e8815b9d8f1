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
        } => parse_separated(tokens, *dialect, line, slots),
        Layout::Positional { tokens, w3c: None } => {
            parse_from(tokens, line, 0, false, slots, &mut 0)
        }
        Layout::Json { keys } => json::parse_object(keys, line, slots),
        Layout::ErrorLog(_) => Err(Reject::at(RejectReason::NotThisFormat, 0)),
    }
}

/// A W3C line: every field is separated, so a line must have exactly as many as declared. A
/// field may be quoted (`"a=b; c=d"`, a cookie with spaces; `""` inside stands for a quote).
fn parse_separated<'a>(
    tokens: &[Token],
    dialect: W3cDialect,
    line: &'a [u8],
    slots: &mut Slots<'a>,
) -> Result<(), Reject> {
    let sep = match dialect {
        W3cDialect::Iis => b' ',
        W3cDialect::CloudFront => b'\t',
    };
    let fields = || {
        tokens.iter().filter_map(|t| match t {
            Token::Field(f) => Some(f),
            Token::Literal(_) => None,
        })
    };
    // Count first: a wrong count says more than the first value that fails to parse.
    let mut pos = 0;
    let mut count = 0;
    while let Some((_, next)) = w3c_field(line, pos, sep) {
        count += 1;
        pos = next;
    }
    if count != fields().count() {
        return Err(Reject::at(RejectReason::WrongFieldCount, 0));
    }
    let mut pos = 0;
    for field in fields() {
        let Some(((start, end), next)) = w3c_field(line, pos, sep) else {
            return Err(Reject::at(RejectReason::WrongFieldCount, pos));
        };
        capture(field, &line[start..end], slots).map_err(|r| Reject::at(r, start))?;
        pos = next;
    }
    Ok(())
}

/// The W3C field starting at `pos` (None past the line's end): its value's bounds and where the
/// next field starts.
fn w3c_field(line: &[u8], pos: usize, sep: u8) -> Option<((usize, usize), usize)> {
    if pos > line.len() {
        return None;
    }
    let rest = &line[pos..];
    if rest.first() == Some(&b'"')
        && let Some(close) = closing_w3c_quote(rest, sep)
    {
        return Some(((pos + 1, pos + close), pos + close + 2));
    }
    let len = memchr::memchr(sep, rest).unwrap_or(rest.len());
    Some(((pos, pos + len), pos + len + 1))
}

/// The closing quote of a quoted W3C field (`""` is a quote inside), followed by the separator
/// or the line's end.
fn closing_w3c_quote(field: &[u8], sep: u8) -> Option<usize> {
    let mut j = 1;
    while let Some(q) = memchr::memchr(b'"', &field[j..]) {
        let at = j + q;
        match field.get(at + 1) {
            Some(b'"') => j = at + 2,
            Some(&c) if c == sep => return Some(at),
            None => return Some(at),
            Some(_) => j = at + 1,
        }
    }
    None
}

/// Quoted fields tried per line before giving up (quotes inside unescaped request lines make a
/// field end ambiguous; each candidate end is tried in turn).
const MAX_ATTEMPTS: u32 = 32;

/// The literal at `k` with its leading quote dropped when `skip_quote` (the quoted field before
/// it was logged as a bare `-`).
fn literal(tokens: &[Token], k: usize, skip_quote: bool) -> Option<&[u8]> {
    match tokens.get(k) {
        Some(Token::Literal(l)) if skip_quote => Some(l.strip_prefix(b"\"").unwrap_or(l)),
        Some(Token::Literal(l)) => Some(l),
        _ => None,
    }
}

/// Whether the line at `at` continues with the literal at `k` (or its bare-dash form).
fn literal_matches(tokens: &[Token], k: usize, skip_quote: bool, line: &[u8], at: usize) -> bool {
    let Some(lit) = literal(tokens, k, skip_quote) else {
        return false;
    };
    let rest = &line[at.min(line.len())..];
    if lit.is_empty() && k + 1 == tokens.len() {
        // The end of the format: the line ends, or extra fields follow a blank.
        return matches!(rest.first(), None | Some(b' ' | b'\t'));
    }
    rest.starts_with(lit) || bare_dash(tokens, k, lit, line, at).is_some()
}

/// A quoted field logged as an unquoted `-` (S3 batch operations, some proxies): when the
/// literal `lit` (at `k`, opening the quoted field at `k + 1`) matches the line at `at` without
/// its quote and is followed by `-` and by the literal after the field without its quote, the
/// bytes of `lit` and the dash.
fn bare_dash(tokens: &[Token], k: usize, lit: &[u8], line: &[u8], at: usize) -> Option<usize> {
    let head = lit.strip_suffix(b"\"")?;
    let quoted_next = matches!(tokens.get(k + 1), Some(Token::Field(f)) if f.quoted);
    let closes = matches!(tokens.get(k + 2), Some(Token::Literal(l)) if l.starts_with(b"\""));
    if !(quoted_next && closes) {
        return None;
    }
    let rest = &line[at..];
    let dash = head.len();
    (rest.starts_with(head)
        && rest.get(dash) == Some(&b'-')
        && literal_matches(tokens, k + 2, true, line, at + dash + 1))
    .then_some(dash + 1)
}

fn parse_from<'a>(
    tokens: &[Token],
    line: &'a [u8],
    mut pos: usize,
    mut skip_quote: bool,
    slots: &mut Slots<'a>,
    attempts: &mut u32,
) -> Result<(), Reject> {
    let mut i = 0;
    while i < tokens.len() {
        match &tokens[i] {
            Token::Literal(_) => {
                let lit = literal(tokens, i, skip_quote).unwrap_or_default();
                skip_quote = false;
                if line[pos..].starts_with(lit) {
                    pos += lit.len();
                } else if let Some(n) = bare_dash(tokens, i, lit, line, pos) {
                    // The quoted field was logged as `-`: no value; the literal after it has
                    // no opening quote either.
                    pos += n;
                    i += 2;
                    skip_quote = true;
                    continue;
                } else if line.len() - pos < lit.len() && lit.starts_with(&line[pos..]) {
                    return Err(Reject::at(RejectReason::Truncated, pos));
                } else {
                    return Err(Reject::at(RejectReason::NotThisFormat, pos));
                }
            }
            Token::Field(field) => {
                let next = literal(tokens, i + 1, false);
                if field.quoted {
                    // Try each plausible closing quote; the first that lets the rest of the
                    // line parse wins, else the first candidate's error is reported.
                    let mut first_err = None;
                    let mut from = pos;
                    while let Some(end) = quoted_end(tokens, i + 1, line, from, field) {
                        *attempts += 1;
                        let r = capture(field, &line[pos..end], slots)
                            .map_err(|r| Reject::at(r, pos))
                            .and_then(|()| {
                                parse_from(&tokens[i + 1..], line, end, false, slots, attempts)
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
                let (plain, bare) =
                    field_ends(tokens, i + 1, line, pos, field.kind == FieldKind::Client);
                let end = match (plain, bare) {
                    (Some(plain), Some(bare)) => {
                        // The plain end first; if the rest does not parse, the field after
                        // was a bare `-` (`200 1234 - "Mozilla/5.0"`).
                        let saved = slots.clone();
                        let mut first_err = None;
                        for end in [plain, bare] {
                            let r = capture(field, &line[pos..end], slots)
                                .map_err(|r| Reject::at(r, pos))
                                .and_then(|()| {
                                    parse_from(&tokens[i + 1..], line, end, false, slots, attempts)
                                });
                            match r {
                                Ok(()) => return Ok(()),
                                Err(e) => {
                                    first_err.get_or_insert(e);
                                    *slots = saved.clone();
                                }
                            }
                        }
                        return Err(first_err.expect("two attempts"));
                    }
                    (Some(end), None) | (None, Some(end)) => end,
                    (None, None) => return Err(Reject::at(RejectReason::Truncated, pos)),
                };
                capture(field, &line[pos..end], slots).map_err(|r| Reject::at(r, pos))?;
                pos = end;
            }
        }
        i += 1;
    }
    Ok(())
}

/// The first plausible closing quote of a quoted field at or after `from`; the literal after
/// the field is at `k`.
fn quoted_end(
    tokens: &[Token],
    k: usize,
    line: &[u8],
    from: usize,
    field: &FieldSpec,
) -> Option<usize> {
    let next = literal(tokens, k, false).unwrap_or(b"\"");
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
        } else if after.starts_with(next) || bare_dash(tokens, k, next, line, at).is_some() {
            return Some(at);
        }
    }
    None
}

/// Where an unquoted field starting at `pos` ends, the literal after it being at `k`: where that
/// literal is, and an earlier end where it matches in its bare-dash form (a quoted field after
/// this one logged as `-`). A client field may be a list (`10.0.0.2, 10.0.0.1, 127.0.0.1`, nginx
/// behind proxies): it ends at the first literal not after a comma.
fn field_ends(
    tokens: &[Token],
    k: usize,
    line: &[u8],
    pos: usize,
    list: bool,
) -> (Option<usize>, Option<usize>) {
    let rest = &line[pos..];
    let Some(next) = literal(tokens, k, false) else {
        // Last field: up to the next blank, the rest of the line is tolerated (extra fields
        // appended by the server config).
        let len = rest
            .iter()
            .position(|&c| c == b' ' || c == b'\t')
            .unwrap_or(rest.len());
        return (Some(pos + len), None);
    };
    let mut from = 0;
    let plain = loop {
        match find_literal(&rest[from..], next).map(|i| from + i) {
            Some(end) if list && end > 0 && rest[end - 1] == b',' && end < rest.len() => {
                from = end + 1;
            }
            end => break end,
        }
    };
    let bare = next.strip_suffix(b"\"").and_then(|head| {
        let limit = plain.unwrap_or(rest.len());
        find_bare_dash(tokens, k, head, line, pos, pos + limit)
    });
    (plain.map(|e| pos + e), bare)
}

/// The first position in `from..to` where the literal at `k` matches in its bare-dash form.
fn find_bare_dash(
    tokens: &[Token],
    k: usize,
    head: &[u8],
    line: &[u8],
    from: usize,
    to: usize,
) -> Option<usize> {
    let lit = literal(tokens, k, false)?;
    let mut at = from;
    while at < to {
        let i = if head.is_empty() {
            memchr::memchr(b'-', &line[at..to])?
        } else {
            find_literal(&line[at..to], head)?
        };
        if bare_dash(tokens, k, lit, line, at + i).is_some() {
            return Some(at + i);
        }
        at += i + 1;
    }
    None
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
        // A list (`client, proxy1, proxy2`): the first address is the client.
        FieldKind::Client => slots.client = client(first_of_list(v))?,
        FieldKind::ClientPort => slots.client = client(strip_port(v))?,
        FieldKind::ForwardedFor => slots.forwarded_for = first_forwarded(v),
        FieldKind::Host => slots.host = text(v),
        FieldKind::HostPort => slots.host = text(strip_port(v)),
        FieldKind::Request => slots.request = raw(v),
        FieldKind::Method => slots.method = text(v),
        FieldKind::Uri => slots.uri = text(v),
        // Some W3C writers put the query inside `cs-uri-stem`.
        FieldKind::Path => match memchr::memchr(b'?', v) {
            Some(q) => {
                slots.path = text(&v[..q]);
                slots.query = slots.query.or(raw(&v[q + 1..]));
            }
            None => slots.path = text(v),
        },
        FieldKind::Query => {
            if let Some(q) = text(v.strip_prefix(b"?").unwrap_or(v)) {
                slots.query = Some(q);
            }
        }
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

/// The first element of `a, b, c`.
fn first_of_list(v: &[u8]) -> &[u8] {
    match memchr::memchr(b',', v) {
        Some(i) => v[..i].trim_ascii(),
        None => v,
    }
}

/// The original client of `X-Forwarded-For: client, proxy1, proxy2`, if it is an address.
fn first_forwarded(v: &[u8]) -> Option<&[u8]> {
    client(strip_port(first_of_list(v))).ok().flatten()
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
