//! JSON log lines: one object per line, fields picked by dotted key path.
//!
//! A small scanner walks the object without building values: each scalar is looked up by its
//! path (`request.headers.User-Agent`) in the format's key table and captured as a slice of the
//! line. Arrays give their first element (Caddy's header lists).

use crate::batch::Slots;
use crate::line::capture;
use crate::rejects::{Reject, RejectReason};
use crate::spec::FieldSpec;
use crate::timestamp;

struct Scanner<'a, 'k> {
    s: &'a [u8],
    i: usize,
    keys: &'k [(String, FieldSpec)],
    path: Vec<u8>,
    /// The first value under a key the format does not name that looks like the request's time
    /// (`"logged_at":"2024-03-01T10:00:00Z"`, `"epoch":1709287200`): used when no known time
    /// key is present.
    time_candidate: Option<(i64, Option<i16>)>,
}

type Step<T> = Result<T, Reject>;

pub(crate) fn parse_object<'a>(
    keys: &[(String, FieldSpec)],
    line: &'a [u8],
    slots: &mut Slots<'a>,
) -> Result<(), Reject> {
    let mut sc = Scanner {
        s: line,
        i: 0,
        keys,
        path: Vec::with_capacity(64),
        time_candidate: None,
    };
    sc.ws();
    if sc.peek() != Some(b'{') {
        return Err(Reject::at(RejectReason::BadJson, sc.i));
    }
    sc.object(slots)?;
    sc.ws();
    if sc.i != line.len() {
        return Err(Reject::at(RejectReason::BadJson, sc.i));
    }
    if !slots.has_time() {
        slots.instant = sc.time_candidate;
    }
    Ok(())
}

/// Whether a key's last segment names a time (`ts`, `logged_at_time`, `date`, `epoch`...).
fn time_key(path: &[u8]) -> bool {
    let last = path.rsplit(|&c| c == b'.').next().unwrap_or(path);
    let last = last.to_ascii_lowercase();
    let has = |w: &[u8]| memchr::memmem::find(&last, w).is_some();
    matches!(last.as_slice(), b"ts" | b"t" | b"@t" | b"at")
        || last.ends_with(b"_ts")
        || last.ends_with(b"_at")
        || has(b"time")
        || has(b"date")
        || has(b"epoch")
}

/// A timestamp in a value of an unknown key: ISO 8601 or CLF text, or, under a key that names a
/// time, epoch seconds, milliseconds or microseconds (told apart by their size).
fn time_value(v: &[u8], quoted: bool, key: &[u8]) -> Option<(i64, Option<i16>)> {
    if let Some(t) = timestamp::iso8601(v).or_else(|| timestamp::clf(v)) {
        return Some(t);
    }
    if !time_key(key) || (quoted && v.is_empty()) {
        return None;
    }
    let whole = v.split(|&c| c == b'.').next()?;
    let unit = match whole.len() {
        9..=11 => 1_000_000,
        12..=14 => 1_000,
        15..=17 => 1,
        _ => return None,
    };
    timestamp::epoch(v, unit)
}

impl<'a> Scanner<'a, '_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            self.i += 1;
        }
    }

    fn fail<T>(&self) -> Step<T> {
        let reason = if self.i >= self.s.len() {
            RejectReason::Truncated
        } else {
            RejectReason::BadJson
        };
        Err(Reject::at(reason, self.i))
    }

    fn expect(&mut self, c: u8) -> Step<()> {
        self.ws();
        if self.peek() == Some(c) {
            self.i += 1;
            Ok(())
        } else {
            self.fail()
        }
    }

    /// A string's contents (escapes left in place), after its opening quote.
    fn string(&mut self) -> Step<&'a [u8]> {
        let start = self.i;
        loop {
            let Some(q) = memchr::memchr2(b'"', b'\\', &self.s[self.i..]) else {
                self.i = self.s.len();
                return self.fail();
            };
            self.i += q;
            if self.s[self.i] == b'\\' {
                self.i += 2;
                if self.i > self.s.len() {
                    self.i = self.s.len();
                    return self.fail();
                }
            } else {
                let out = &self.s[start..self.i];
                self.i += 1;
                return Ok(out);
            }
        }
    }

    fn object(&mut self, slots: &mut Slots<'a>) -> Step<()> {
        self.expect(b'{')?;
        self.ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Ok(());
        }
        let base = self.path.len();
        loop {
            self.expect(b'"')?;
            let key = self.string()?;
            self.expect(b':')?;
            self.path.truncate(base);
            if base > 0 {
                self.path.push(b'.');
            }
            self.path.extend_from_slice(key);
            self.value(slots)?;
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    self.path.truncate(base);
                    return Ok(());
                }
                _ => return self.fail(),
            }
        }
    }

    fn value(&mut self, slots: &mut Slots<'a>) -> Step<()> {
        self.ws();
        match self.peek() {
            Some(b'{') => self.object(slots),
            Some(b'[') => {
                self.i += 1;
                let mut first = true;
                loop {
                    self.ws();
                    if self.peek() == Some(b']') {
                        self.i += 1;
                        return Ok(());
                    }
                    if first {
                        self.value(slots)?;
                        first = false;
                    } else {
                        // Later elements are walked but not captured.
                        let saved = std::mem::take(&mut self.path);
                        let r = self.value(slots);
                        self.path = saved;
                        r?;
                    }
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.i += 1,
                        Some(b']') => {}
                        _ => return self.fail(),
                    }
                }
            }
            Some(b'"') => {
                self.i += 1;
                let at = self.i;
                let v = self.string()?;
                self.deliver(v, at, true, slots)
            }
            Some(_) => {
                let start = self.i;
                while let Some(c) = self.peek() {
                    if matches!(c, b',' | b'}' | b']' | b' ' | b'\t' | b'\r' | b'\n') {
                        break;
                    }
                    self.i += 1;
                }
                let v = &self.s[start..self.i];
                match v {
                    b"" => self.fail(),
                    b"null" | b"true" | b"false" => Ok(()),
                    _ => self.deliver(v, start, false, slots),
                }
            }
            None => self.fail(),
        }
    }

    fn deliver(&mut self, v: &'a [u8], at: usize, quoted: bool, slots: &mut Slots<'a>) -> Step<()> {
        if self.path.is_empty() {
            return Ok(());
        }
        match self.keys.iter().find(|(k, _)| k.as_bytes() == self.path) {
            Some((_, spec)) => capture(spec, v, slots).map_err(|r| Reject::at(r, at))?,
            None if self.time_candidate.is_none() && !slots.has_time() => {
                self.time_candidate = time_value(v, quoted, &self.path);
            }
            None => {}
        }
        Ok(())
    }
}
