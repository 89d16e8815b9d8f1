//! One syslog message (RFC 3164 as nginx and most daemons send it, RFC 5424 as rsyslog and
//! syslog-ng send it) -> the host that sent it and the log line it carries. The header is read by
//! `syslog_loose` (Vector's parser); the message is the line, unchanged.

use syslog_loose::Variant;

/// What a syslog message carries for clickpath.
#[derive(Debug, PartialEq, Eq)]
pub struct Message<'a> {
    /// The HOSTNAME field, when the sender filled it (nginx leaves it empty in its first
    /// messages, before it knows its name).
    pub hostname: Option<&'a str>,
    /// The log line (MSG), without a trailing newline.
    pub line: &'a str,
}

/// Why a frame was not a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reject {
    /// No `<PRI>` at the start: not syslog (a raw line sent to the syslog port).
    NoPriority,
    /// A header and nothing after it.
    Empty,
    /// Not UTF-8 (syslog's header is text; the line's bytes are kept with U+FFFD where they
    /// were not).
    NotUtf8,
    /// A frame longer than the receiver takes (`framing::MAX_FRAME`).
    TooLong,
    /// Octet-counting framing (RFC 6587) whose count is not a number.
    BadFrame,
}

impl Reject {
    pub fn as_str(self) -> &'static str {
        match self {
            Reject::NoPriority => "no_priority",
            Reject::Empty => "empty",
            Reject::NotUtf8 => "not_utf8",
            Reject::TooLong => "too_long",
            Reject::BadFrame => "bad_frame",
        }
    }
}

/// Reads one message.
pub fn parse(text: &str) -> Result<Message<'_>, Reject> {
    let text = text.trim_end_matches(['\n', '\r', '\0']);
    if !text.starts_with('<') {
        return Err(Reject::NoPriority);
    }
    if let Some(line) = without_hostname(text) {
        return Ok(Message {
            hostname: None,
            line,
        });
    }
    let m = syslog_loose::parse_message(text, Variant::Either);
    if m.facility.is_none() {
        return Err(Reject::NoPriority);
    }
    let line = m.msg.trim_end_matches(['\n', '\r']);
    if line.trim().is_empty() {
        return Err(Reject::Empty);
    }
    let hostname = m
        .hostname
        .filter(|h| !h.is_empty() && *h != "-" && valid_label(h));
    Ok(Message { hostname, line })
}

/// The line of an RFC 3164 message whose HOSTNAME is empty (`<189>Dec  1 16:27:48  nginx: ...`,
/// nginx before it knows its name), which a loose parser would take for a message starting
/// with the tag.
fn without_hostname(text: &str) -> Option<&str> {
    let after_pri = text.find('>')? + 1;
    let stamp = text.get(after_pri..after_pri + 15)?;
    let b = stamp.as_bytes();
    let looks = b[3] == b' ' && b[6] == b' ' && b[9] == b':' && b[12] == b':';
    let rest = text.get(after_pri + 15..)?.strip_prefix("  ")?;
    if !looks || rest.starts_with(' ') {
        return None;
    }
    let (tag, line) = rest.split_once(": ")?;
    (!tag.contains(' ') && !line.trim().is_empty()).then_some(line)
}

/// Whether `s` can name a server: 1-253 bytes, no control characters or spaces.
pub fn valid_label(s: &str) -> bool {
    !s.is_empty() && s.len() <= 253 && !s.chars().any(|c| c.is_control() || c.is_whitespace())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nginx_access_line_over_udp() {
        // What Debian's nginx 1.22 sent with `access_log syslog:server=...,tag=nginx combined`
        // (captured on this machine).
        let m = parse(r#"<190>Dec  1 16:27:49 vm nginx: 127.0.0.1 - - [01/Dec/2026:16:27:49 +0000] "GET / HTTP/1.1" 200 3 "-" "curl/7.88.1""#).unwrap();
        assert_eq!(m.hostname, Some("vm"));
        assert_eq!(
            m.line,
            r#"127.0.0.1 - - [01/Dec/2026:16:27:49 +0000] "GET / HTTP/1.1" 200 3 "-" "curl/7.88.1""#
        );
    }

    #[test]
    fn nginx_error_line_before_it_knows_its_hostname() {
        // nginx's first messages have an empty HOSTNAME (two spaces).
        let m = parse(
            "<189>Dec  1 16:27:48  nginx: 2026/12/01 16:27:48 [notice] 20642#20642: nginx/1.22.1",
        )
        .unwrap();
        assert_eq!(
            m.line,
            "2026/12/01 16:27:48 [notice] 20642#20642: nginx/1.22.1"
        );
        assert_ne!(m.hostname, Some("nginx:"));
    }

    #[test]
    fn rfc5424_as_rsyslog_forwards_it() {
        // RSYSLOG_SyslogProtocol23Format of a line imfile read.
        let m = parse("<134>1 2024-03-01T10:00:00.123456+00:00 web-2 access - - - 192.0.2.1 - - [01/Mar/2024:10:00:00 +0000] \"GET /a HTTP/1.1\" 200 5 \"-\" \"x\"\n").unwrap();
        assert_eq!(m.hostname, Some("web-2"));
        assert_eq!(
            m.line,
            "192.0.2.1 - - [01/Mar/2024:10:00:00 +0000] \"GET /a HTTP/1.1\" 200 5 \"-\" \"x\""
        );
    }

    #[test]
    fn not_syslog() {
        assert_eq!(
            parse("192.0.2.1 - - [01/Mar/2024:10:00:00 +0000] \"GET / HTTP/1.1\" 200 5"),
            Err(Reject::NoPriority)
        );
        assert_eq!(
            parse("<13>1 2024-03-01T10:00:00Z web-2 app - - -"),
            Err(Reject::Empty)
        );
    }
}
