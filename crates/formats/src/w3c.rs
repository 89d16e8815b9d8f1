//! W3C extended log files (IIS, CloudFront): the layout is declared by `#Fields:` directives,
//! which may change mid-file (a server restart, a config change).

use crate::compile::from_fields;
use crate::error::Result;
use crate::spec::{DurationUnit, Encoding, FieldKind, Format, TimeKind, W3cDialect};

/// IIS's default field set, used when a file has no `#Fields:` line.
pub const IIS_DEFAULT_FIELDS: &str = "date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken";
/// CloudFront standard log fields (tab separated in data lines).
pub const CLOUDFRONT_DEFAULT_FIELDS: &str = "date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header cs-protocol cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher x-edge-response-result-type cs-protocol-version";

/// The field list of a `#Fields:` directive line, if it is one.
pub fn fields_directive(line: &[u8]) -> Option<&str> {
    let rest = line.strip_prefix(b"#Fields:")?;
    std::str::from_utf8(rest).ok().map(str::trim)
}

/// CloudFront is recognised by its `x-edge-*` fields; anything else is IIS-style.
pub fn dialect(fields: &str) -> W3cDialect {
    if fields.split_whitespace().any(|f| f.starts_with("x-edge")) {
        W3cDialect::CloudFront
    } else {
        W3cDialect::Iis
    }
}

/// Compiles a W3C field list.
pub fn compile_fields(name: &str, fields: &str) -> Result<Format> {
    let dialect = dialect(fields);
    let (text, agent) = match dialect {
        W3cDialect::Iis => (Encoding::Plus, Encoding::PlusOrPercent),
        W3cDialect::CloudFront => (Encoding::Percent, Encoding::Percent),
    };
    let plain = Encoding::Plain;
    let mapped: Vec<(FieldKind, Encoding)> = fields
        .split_whitespace()
        .map(|f| match f.to_ascii_lowercase().as_str() {
            "date" => (FieldKind::Time(TimeKind::Date), plain),
            "time" => (FieldKind::Time(TimeKind::TimeOfDay), plain),
            "c-ip" => (FieldKind::Client, plain),
            "cs-method" => (FieldKind::Method, plain),
            "cs-uri-stem" => (FieldKind::Path, plain),
            "cs-uri-query" => (FieldKind::Query, plain),
            "cs-uri" => (FieldKind::Uri, plain),
            // Some writers name the status `c-status` or `s-status`.
            "sc-status" | "c-status" | "s-status" => (FieldKind::Status, plain),
            "sc-bytes" => (FieldKind::Bytes, plain),
            "cs(user-agent)" => (FieldKind::UserAgent, agent),
            "cs(referer)" | "cs(referrer)" => (FieldKind::Referrer, text),
            "cs-host" | "cs(host)" | "x-host-header" => (FieldKind::Host, plain),
            "cs-version" | "cs-protocol-version" => (FieldKind::Protocol, plain),
            "time-taken" => (
                FieldKind::Duration(match dialect {
                    W3cDialect::Iis => DurationUnit::Millis,
                    W3cDialect::CloudFront => DurationUnit::Seconds,
                }),
                plain,
            ),
            // Decimal seconds (Windows Media Services and others).
            "x-duration" => (FieldKind::Duration(DurationUnit::Seconds), plain),
            _ => (FieldKind::Skip, plain),
        })
        .collect();
    let separator = match dialect {
        W3cDialect::Iis => " ",
        W3cDialect::CloudFront => "\t",
    };
    from_fields(name, fields, &mapped, separator, dialect)
}
