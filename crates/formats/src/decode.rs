//! Undoing the escapes a log format applied to a field.

use crate::spec::Encoding;

/// Decodes `raw` into `out` if it needs decoding; returns whether it did.
pub(crate) fn decode_into(raw: &[u8], encoding: Encoding, out: &mut Vec<u8>) -> bool {
    match encoding {
        Encoding::Plain => false,
        Encoding::Backslash => {
            if memchr::memchr(b'\\', raw).is_none() {
                return false;
            }
            out.clear();
            let mut i = 0;
            while i < raw.len() {
                let c = raw[i];
                if c == b'\\' && i + 1 < raw.len() {
                    match raw[i + 1] {
                        b'x' if i + 3 < raw.len() => {
                            if let (Some(h), Some(l)) = (hex(raw[i + 2]), hex(raw[i + 3])) {
                                out.push(h << 4 | l);
                                i += 4;
                                continue;
                            }
                            out.push(c);
                        }
                        b'"' | b'\\' => {
                            out.push(raw[i + 1]);
                            i += 2;
                            continue;
                        }
                        b'n' => {
                            out.push(b'\n');
                            i += 2;
                            continue;
                        }
                        b't' => {
                            out.push(b'\t');
                            i += 2;
                            continue;
                        }
                        _ => out.push(c),
                    }
                } else {
                    out.push(c);
                }
                i += 1;
            }
            true
        }
        Encoding::Json => {
            if memchr::memchr(b'\\', raw).is_none() {
                return false;
            }
            out.clear();
            let mut i = 0;
            while i < raw.len() {
                let c = raw[i];
                if c != b'\\' || i + 1 >= raw.len() {
                    out.push(c);
                    i += 1;
                    continue;
                }
                let e = raw[i + 1];
                i += 2;
                match e {
                    b'n' => out.push(b'\n'),
                    b't' => out.push(b'\t'),
                    b'r' => out.push(b'\r'),
                    b'b' => out.push(8),
                    b'f' => out.push(12),
                    b'u' => {
                        let Some(mut cp) = hex4(raw.get(i..i + 4)) else {
                            out.extend_from_slice(b"\\u");
                            continue;
                        };
                        i += 4;
                        if (0xD800..0xDC00).contains(&cp)
                            && raw.get(i..i + 2) == Some(b"\\u")
                            && let Some(lo) = hex4(raw.get(i + 2..i + 6))
                            && (0xDC00..0xE000).contains(&lo)
                        {
                            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                            i += 6;
                        }
                        let ch = char::from_u32(cp).unwrap_or(char::REPLACEMENT_CHARACTER);
                        let mut buf = [0u8; 4];
                        out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                    }
                    other => out.push(other),
                }
            }
            true
        }
        Encoding::Plus => {
            if memchr::memchr(b'+', raw).is_none() {
                return false;
            }
            out.clear();
            out.extend(raw.iter().map(|&c| if c == b'+' { b' ' } else { c }));
            true
        }
        Encoding::PlusOrPercent => {
            if memchr::memmem::find(raw, b"%20").is_some() {
                decode_into(raw, Encoding::Percent, out)
            } else {
                decode_into(raw, Encoding::Plus, out)
            }
        }
        Encoding::Percent => {
            if memchr::memchr(b'%', raw).is_none() {
                return false;
            }
            percent_decode(raw, out);
            if has_escaped_percent(raw) {
                let once = std::mem::take(out);
                percent_decode(&once, out);
            }
            true
        }
    }
}

fn percent_decode(raw: &[u8], out: &mut Vec<u8>) {
    out.clear();
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'%'
            && i + 2 < raw.len()
            && let (Some(h), Some(l)) = (hex(raw[i + 1]), hex(raw[i + 2]))
        {
            out.push(h << 4 | l);
            i += 3;
        } else {
            out.push(raw[i]);
            i += 1;
        }
    }
}

/// `%25` followed by two hex digits: a percent escape that was itself escaped.
fn has_escaped_percent(raw: &[u8]) -> bool {
    memchr::memmem::find_iter(raw, b"%25").any(|at| {
        raw.get(at + 3).copied().and_then(hex).is_some()
            && raw.get(at + 4).copied().and_then(hex).is_some()
    })
}

fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

fn hex4(s: Option<&[u8]>) -> Option<u32> {
    let s = s?;
    s.iter()
        .try_fold(0u32, |acc, &c| Some(acc << 4 | u32::from(hex(c)?)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(raw: &str, e: Encoding) -> String {
        let mut out = Vec::new();
        if decode_into(raw.as_bytes(), e, &mut out) {
            String::from_utf8_lossy(&out).into_owned()
        } else {
            raw.to_owned()
        }
    }

    #[test]
    fn each_encoding_is_undone() {
        let cases = [
            (
                r#"say \"hi\" \\ \x22"#,
                Encoding::Backslash,
                r#"say "hi" \ ""#,
            ),
            (r"trailing \", Encoding::Backslash, r"trailing \"),
            (r"\x4", Encoding::Backslash, r"\x4"),
            (r#"a\"b\u00e9\ud83d\ude00\n"#, Encoding::Json, "a\"bé😀\n"),
            (r"\u12", Encoding::Json, r"\u12"),
            (
                "Mozilla/5.0+(Windows+NT)",
                Encoding::Plus,
                "Mozilla/5.0 (Windows NT)",
            ),
            (
                "Mozilla/5.0%20(X11)%2",
                Encoding::Percent,
                "Mozilla/5.0 (X11)%2",
            ),
            ("100%", Encoding::Percent, "100%"),
            (
                "Mozilla/5.0%2520(Windows%2520NT%252010.0)",
                Encoding::Percent,
                "Mozilla/5.0 (Windows NT 10.0)",
            ),
            ("a%2Bb%20c", Encoding::Percent, "a+b c"),
            (
                "Mozilla/5.0+(Windows+NT)",
                Encoding::PlusOrPercent,
                "Mozilla/5.0 (Windows NT)",
            ),
            (
                "Googlebot/2.1;%20+http://www.google.com/bot.html",
                Encoding::PlusOrPercent,
                "Googlebot/2.1; +http://www.google.com/bot.html",
            ),
            ("a+b%20", Encoding::Plain, "a+b%20"),
        ];
        for (raw, e, want) in cases {
            assert_eq!(dec(raw, e), want, "{raw} as {e:?}");
        }
    }
}
