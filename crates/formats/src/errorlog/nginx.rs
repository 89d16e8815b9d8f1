//! nginx's error log: `YYYY/MM/DD HH:MM:SS [level] PID#TID: [*CONN ]message[, client: ...,
//! server: ..., request: "...", upstream: "...", host: "...", referrer: "..."]`.

use clickpath_model::micros_from_civil;

use super::{EventSlots, num};

pub(crate) fn starts_event(l: &[u8]) -> bool {
    l.len() > 22
        && l[4] == b'/'
        && l[7] == b'/'
        && l[10] == b' '
        && l[13] == b':'
        && l[16] == b':'
        && l[19] == b' '
        && l[20] == b'['
        && l[..4].iter().all(u8::is_ascii_digit)
}

/// The fields nginx appends after the message, in the order it writes them.
const KEYS: [&[u8]; 8] = [
    b"client: ",
    b"server: ",
    b"request: ",
    b"subrequest: ",
    b"upstream: ",
    b"host: ",
    b"referrer: ",
    b"login: ",
];

/// Where the appended fields start: the first `, client: ` (or `, server: ` alone).
fn tail_start(rest: &[u8]) -> Option<usize> {
    memchr::memmem::find(rest, b", client: ").or_else(|| memchr::memmem::find(rest, b", server: "))
}

/// Whether `s` starts with `, <known key>`.
fn at_next_key(s: &[u8]) -> bool {
    s.strip_prefix(b", ")
        .is_some_and(|r| KEYS.iter().any(|k| r.starts_with(k)))
}

pub(crate) fn parse(t: &[u8]) -> Option<EventSlots<'_>> {
    if !starts_event(t) {
        return None;
    }
    let d = |a: usize, b: usize| num(&t[a..b]).map(|v| v as u32);
    let (y, mo, da) = (d(0, 4)?, d(5, 7)?, d(8, 10)?);
    let (h, mi, s) = (d(11, 13)?, d(14, 16)?, d(17, 19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&da) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let local = micros_from_civil(i64::from(y), mo, da, h, mi, s.min(59), 0, 0);
    let close = memchr::memchr(b']', &t[21..])? + 21;
    let level = &t[21..close];
    let mut rest = t
        .get(close + 1..)?
        .strip_prefix(b" ")
        .unwrap_or(&t[close + 1..]);
    let mut e = EventSlots {
        local,
        level,
        ..Default::default()
    };
    // PID#TID:
    if let Some(colon) = memchr::memchr(b':', rest)
        && let Some(hash) = memchr::memchr(b'#', &rest[..colon])
        && let (Some(pid), Some(tid)) = (num(&rest[..hash]), num(&rest[hash + 1..colon]))
    {
        e.pid = u32::try_from(pid).ok();
        e.tid = Some(tid);
        rest = rest[colon + 1..]
            .strip_prefix(b" ")
            .unwrap_or(&rest[colon + 1..]);
    }
    // *CONN
    if let Some(r) = rest.strip_prefix(b"*") {
        let n = r.iter().take_while(|c| c.is_ascii_digit()).count();
        if n > 0 {
            e.connection = num(&r[..n]);
            rest = r[n..].strip_prefix(b" ").unwrap_or(&r[n..]);
        }
    }
    let (message, mut tail) = match tail_start(rest) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, &rest[rest.len()..]),
    };
    // Lines after the fields' line continue the message (the fields end at its line break).
    if let Some(nl) = memchr::memchr(b'\n', tail) {
        e.more = &tail[nl..];
    }
    e.message = message;
    e.body = message;
    while let Some(r) = tail.strip_prefix(b", ") {
        let Some(key) = KEYS.iter().find(|k| r.starts_with(k)) else {
            break;
        };
        let v = &r[key.len()..];
        let (value, used) = if let Some(q) = v.strip_prefix(b"\"") {
            // Up to the quote that ends the value: the one before the next field or the end.
            let mut end = None;
            let mut from = 0;
            while let Some(i) = memchr::memchr(b'"', &q[from..]) {
                let at = from + i;
                // (or before a line break: continuation lines after the fields)
                if at + 1 == q.len()
                    || at_next_key(&q[at + 1..])
                    || matches!(q[at + 1], b'\n' | b'\r')
                {
                    end = Some(at);
                    break;
                }
                from = at + 1;
            }
            let end = end.unwrap_or(q.len());
            (&q[..end], 1 + (end + 1).min(q.len()))
        } else {
            let mut end = memchr::memchr2(b'\n', b'\r', v).unwrap_or(v.len());
            let mut from = 0;
            while let Some(i) = memchr::memchr(b',', &v[from..end]) {
                let at = from + i;
                if at_next_key(&v[at..]) {
                    end = at;
                    break;
                }
                from = at + 1;
            }
            (&v[..end], end)
        };
        match *key {
            b"client: " => e.client = Some(value),
            b"server: " => e.server = Some(value),
            b"request: " => e.request = Some(value),
            b"upstream: " => e.upstream = Some(value),
            b"host: " => e.host = Some(value),
            b"referrer: " => e.referrer = Some(value),
            _ => {}
        }
        tail = &r[key.len() + used.min(v.len())..];
    }
    e.errno = super::errno_in(message);
    Some(e)
}
