//! Splitting a request line `METHOD TARGET PROTOCOL` into its parts.

/// The parts of a request line, borrowed from it.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct RequestParts<'a> {
    pub method: &'a [u8],
    /// Host of an absolute-form target (`GET http://host:80/x`), port removed.
    pub host: Option<&'a [u8]>,
    pub path: &'a [u8],
    pub query: Option<&'a [u8]>,
    pub protocol: Option<&'a [u8]>,
}

/// `None` for junk: no method of capital letters, no target, a TLS handshake, `-`...
pub(crate) fn split(line: &[u8]) -> Option<RequestParts<'_>> {
    let sp = memchr::memchr(b' ', line)?;
    let method = &line[..sp];
    if method.is_empty()
        || method.len() > 24
        || !method
            .iter()
            .all(|c| c.is_ascii_uppercase() || *c == b'-' || *c == b'_')
    {
        return None;
    }
    let rest = &line[sp + 1..];
    let (target, protocol) = match memchr::memrchr(b' ', rest) {
        Some(i) if rest[i + 1..].starts_with(b"HTTP/") || rest[i + 1..].starts_with(b"HTTPS/") => {
            (&rest[..i], Some(&rest[i + 1..]))
        }
        _ => (rest, None),
    };
    if target.is_empty() {
        return None;
    }
    let (host, target) = split_absolute(target);
    let (path, query) = match memchr::memchr(b'?', target) {
        Some(q) => (&target[..q], Some(&target[q + 1..])),
        None => (target, None),
    };
    Some(RequestParts {
        method,
        host,
        path,
        query,
        protocol,
    })
}

/// `http://host:80/path?q` -> (Some(host), `/path?q`); origin-form targets pass through.
pub(crate) fn split_absolute(target: &[u8]) -> (Option<&[u8]>, &[u8]) {
    let after = if let Some(r) = target.strip_prefix(b"http://") {
        r
    } else if let Some(r) = target.strip_prefix(b"https://") {
        r
    } else {
        return (None, target);
    };
    let end = after
        .iter()
        .position(|&c| c == b'/' || c == b'?')
        .unwrap_or(after.len());
    let authority = &after[..end];
    // Drop userinfo and port (keep IPv6 brackets intact).
    let authority = match memchr::memrchr(b'@', authority) {
        Some(i) => &authority[i + 1..],
        None => authority,
    };
    let host = match memchr::memrchr(b':', authority) {
        Some(i) if !authority[i..].contains(&b']') => &authority[..i],
        _ => authority,
    };
    let path: &[u8] = if end == after.len() {
        b"/"
    } else {
        &after[end..]
    };
    (Some(host), path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(b: &[u8]) -> &str {
        std::str::from_utf8(b).unwrap()
    }

    #[test]
    fn request_lines() {
        let r = split(b"GET /a/b?x=1&y HTTP/1.1").unwrap();
        assert_eq!(
            (s(r.method), s(r.path), r.query.map(s), r.protocol.map(s)),
            ("GET", "/a/b", Some("x=1&y"), Some("HTTP/1.1"))
        );
        let r = split(b"GET http://www.example.com:80/ HTTP/1.1").unwrap();
        assert_eq!((r.host.map(s), s(r.path)), (Some("www.example.com"), "/"));
        let r = split(b"CONNECT https://[2001:db8::1]:443 HTTP/1.1").unwrap();
        assert_eq!((r.host.map(s), s(r.path)), (Some("[2001:db8::1]"), "/"));
        // HTTP/0.9: no protocol.
        let r = split(b"GET /index.html").unwrap();
        assert_eq!((s(r.path), r.protocol), ("/index.html", None));
        // A path with a space keeps it.
        let r = split(b"GET /a b HTTP/1.0").unwrap();
        assert_eq!(s(r.path), "/a b");
    }

    #[test]
    fn junk_request_lines() {
        for junk in [
            &b"\\x16\\x03\\x01\\x00\\xF5\\x01"[..],
            b"-",
            b"",
            b"get / HTTP/1.1",
            b"GET ",
            b"\x16\x03\x01 \x00",
        ] {
            assert_eq!(split(junk), None, "{junk:?}");
        }
    }
}
