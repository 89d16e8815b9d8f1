//! Apache httpd's error log: 2.4's default `ErrorLogFormat`
//! (`[%{u}t] [%-m:%l] [pid %P:tid %T] %E: [client %a] %M, referer %{Referer}i`) and 2.2's
//! `[%t] [%l] [client %a] %M`.

use clickpath_model::micros_from_civil;

use super::{EventSlots, num};

const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

pub(crate) fn starts_event(l: &[u8]) -> bool {
    // `[Fri Mar 01 10:29:01` at least.
    l.len() > 26
        && l[0] == b'['
        && l[4] == b' '
        && l[8] == b' '
        && l[11] == b' '
        && l[14] == b':'
        && l[17] == b':'
        && l[1..4].iter().all(u8::is_ascii_alphabetic)
        && MONTHS.iter().any(|m| &l[5..8] == *m)
}

/// `[Fri Mar 01 10:29:01.050576 2024]`: local micros and the bytes consumed.
fn time(t: &[u8]) -> Option<(i64, usize)> {
    let close = memchr::memchr(b']', t)?;
    // `Fri Mar 01 10:29:01` and a year at least; a `]` before that is no time.
    let inner = t.get(1..close).filter(|i| i.len() >= 24)?;
    let month = MONTHS.iter().position(|m| &inner[4..7] == *m)? as u32 + 1;
    let day = num(inner[8..10].trim_ascii())? as u32;
    let c = &inner[11..];
    let (h, mi, s) = (num(&c[0..2])?, num(&c[3..5])?, num(&c[6..8])?);
    let mut i = 8;
    let mut micros = 0u32;
    if c.get(i) == Some(&b'.') {
        let n = c[i + 1..].iter().take_while(|x| x.is_ascii_digit()).count();
        for k in 0..6 {
            micros = micros * 10
                + if k < n {
                    u32::from(c[i + 1 + k] - b'0')
                } else {
                    0
                };
        }
        i += 1 + n;
    }
    let year = num(c.get(i..)?.trim_ascii())?;
    if !(1..=31).contains(&day) || h > 23 || mi > 59 || s > 60 || !(1000..=9999).contains(&year) {
        return None;
    }
    let local = micros_from_civil(
        year as i64,
        month,
        day,
        h as u32,
        mi as u32,
        (s as u32).min(59),
        micros,
        0,
    );
    Some((local, close + 1))
}

/// `1.2.3.4:5678` / `2001:db8::1:5678` (2.4 prints the port) or `1.2.3.4` (2.2).
fn strip_port(v: &[u8], with_port: bool) -> &[u8] {
    if !with_port {
        return v;
    }
    match memchr::memrchr(b':', v) {
        Some(i) if v[i + 1..].iter().all(u8::is_ascii_digit) && i + 1 < v.len() => &v[..i],
        _ => v,
    }
}

/// A URL or file path the message names, for joining with the access log.
fn named_path(m: &[u8]) -> Option<&[u8]> {
    let after = |needle: &[u8]| {
        memchr::memmem::find(m, needle).map(|i| {
            let v = &m[i + needle.len()..];
            let end = v
                .iter()
                .position(|&c| c == b' ' || c == b',' || c == b'\'')
                .unwrap_or(v.len());
            &v[..end]
        })
    };
    let p = after(b"returned by ")
        .or_else(|| after(b"File does not exist: "))
        .or_else(|| after(b"script '"))
        .or_else(|| after(b"client denied by server configuration: "))?;
    // `proxy:http://127.0.0.1:8080/admin/` -> `/admin/`
    let p = match p.strip_prefix(b"proxy:") {
        Some(url) => {
            let rest = url.splitn(2, |&c| c == b':').nth(1).unwrap_or(url);
            let rest = rest.strip_prefix(b"//").unwrap_or(rest);
            &rest[memchr::memchr(b'/', rest)?..]
        }
        None => p,
    };
    p.starts_with(b"/").then_some(p)
}

/// The backend a mod_proxy message names: `127.0.0.1:8080` (AH00957, AH01102) or a host
/// (AH01114, AH00940).
fn named_upstream(m: &[u8]) -> Option<&[u8]> {
    [
        &b"attempt to connect to "[..],
        b"error reading status line from remote server ",
        b"failed to make connection to backend: ",
        b"disabled connection for (",
    ]
    .iter()
    .find_map(|needle| {
        let v = &m[memchr::memmem::find(m, needle)? + needle.len()..];
        let end = v
            .iter()
            .position(|&c| c == b' ' || c == b')' || c == b',')
            .unwrap_or(v.len());
        (end > 0).then(|| &v[..end])
    })
}

pub(crate) fn parse(t: &[u8]) -> Option<EventSlots<'_>> {
    if !starts_event(t) {
        return None;
    }
    let (local, mut i) = time(t)?;
    let mut e = EventSlots {
        local,
        ..Default::default()
    };
    let block = |t: &'_ [u8], i: usize| -> Option<(usize, usize)> {
        let r = t.get(i..)?;
        let r2 = r.strip_prefix(b" [")?;
        let close = memchr::memchr(b']', r2)?;
        Some((i + 2, i + 2 + close))
    };
    // [module:level] or [level]
    let (a, b) = block(t, i)?;
    let lv = &t[a..b];
    match memchr::memrchr(b':', lv) {
        Some(c) => {
            e.module = (c > 0).then(|| &lv[..c]);
            e.level = &lv[c + 1..];
        }
        None => e.level = lv,
    }
    i = b + 1;
    // [pid N:tid N] or [pid N] (2.4)
    let mut v24 = false;
    if let Some((a, b)) = block(t, i)
        && let Some(p) = t[a..b].strip_prefix(b"pid ")
    {
        v24 = true;
        let (pid, tid) = match memchr::memchr(b':', p) {
            Some(c) => (&p[..c], p[c + 1..].strip_prefix(b"tid ")),
            None => (p, None),
        };
        e.pid = num(pid).and_then(|v| u32::try_from(v).ok());
        e.tid = tid.and_then(num);
        i = b + 1;
    }
    let mut rest = t.get(i..).unwrap_or_default().trim_ascii_start();
    e.body = rest;
    // Any order of: `(errno)Text: `, `[client a:p] `, `[remote a:p] `, `AHnnnnn: `.
    loop {
        if let Some(r) = rest.strip_prefix(b"[client ")
            && let Some(c) = memchr::memchr(b']', r)
        {
            e.client = Some(strip_port(&r[..c], v24));
            rest = r[c + 1..].trim_ascii_start();
        } else if let Some(r) = rest.strip_prefix(b"[remote ")
            && let Some(c) = memchr::memchr(b']', r)
        {
            rest = r[c + 1..].trim_ascii_start();
        } else if rest.first() == Some(&b'(')
            && let Some(c) = memchr::memchr(b')', rest)
            && c > 1
            && rest[1..c].iter().all(|x| x.is_ascii_digit() || *x == b'-')
            && let Some(colon) = memchr::memmem::find(&rest[c..], b": ")
            && e.errno.is_none()
        {
            e.errno = std::str::from_utf8(&rest[1..c])
                .ok()
                .and_then(|s| s.parse().ok());
            rest = &rest[c + colon + 2..];
        } else if rest.len() > 8
            && rest.starts_with(b"AH")
            && rest[2..7].iter().all(u8::is_ascii_digit)
            && rest[7] == b':'
            && e.code.is_none()
        {
            e.code = Some(&rest[..7]);
            rest = rest[8..].trim_ascii_start();
        } else {
            break;
        }
    }
    // `, referer: X` at the end.
    let message = match memchr::memmem::rfind(rest, b", referer: ") {
        Some(r) => {
            e.referrer = Some(&rest[r + 11..]);
            &rest[..r]
        }
        None => rest,
    };
    e.message = message;
    e.path = named_path(message);
    e.upstream = named_upstream(message);
    Some(e)
}
