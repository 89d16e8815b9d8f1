//! W3C extended logs whose `#` header lines were stripped (log shippers and export tools do
//! that): the field list is inferred from the number of fields and the values.
//!
//! Each known layout of IIS and CloudFront with that many fields is checked column by column
//! against what the sample's values look like (a date, a time, an address, a method, a path, a
//! status...). Exactly one layout that fits is used; none or several is an error that says how
//! to pass the field list with `--format '#Fields: ...'`.

use crate::w3c::{CLOUDFRONT_DEFAULT_FIELDS, IIS_DEFAULT_FIELDS};

/// Field lists writers use by default or commonly, IIS first.
const LAYOUTS: &[&str] = &[
    IIS_DEFAULT_FIELDS,
    // IIS 7.0 and IIS 6 defaults.
    "date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) sc-status sc-substatus sc-win32-status time-taken",
    "date time s-sitename s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) sc-status sc-substatus sc-win32-status",
    "date time s-sitename s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) sc-status sc-substatus sc-win32-status time-taken",
    "date time s-sitename s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) sc-status sc-substatus sc-win32-status sc-bytes cs-bytes time-taken",
    // IIS with every field ticked, and Azure App Service.
    "date time s-sitename s-computername s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs-version cs(User-Agent) cs(Cookie) cs(Referer) cs-host sc-status sc-substatus sc-win32-status sc-bytes cs-bytes time-taken",
    "date time s-sitename cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Cookie) cs(Referer) cs-host sc-status sc-substatus sc-win32-status sc-bytes cs-bytes time-taken",
    CLOUDFRONT_DEFAULT_FIELDS,
    "date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header cs-protocol cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher x-edge-response-result-type cs-protocol-version fle-status fle-encrypted-fields c-port time-to-first-byte x-edge-detailed-result-type sc-content-type sc-content-len sc-range-start sc-range-end",
];

/// What the sample says about a header-less W3C file.
#[derive(Debug, PartialEq, Eq)]
pub enum Inference {
    /// Not a W3C file (lines do not start with a date and a time).
    NotW3c,
    /// The one layout that fits every sampled line.
    Fields(&'static str),
    /// No known layout fits: the number of fields, and what the values look like.
    Unknown { fields: usize },
    /// Several layouts fit.
    Ambiguous(Vec<&'static str>),
}

fn is_date(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter().filter(|c| c.is_ascii_digit()).count() == 8
}

fn is_time(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() >= 8
        && b[2] == b':'
        && b[5] == b':'
        && b[..8].iter().filter(|c| c.is_ascii_digit()).count() == 6
}

fn is_number(v: &str) -> bool {
    !v.is_empty() && v.bytes().all(|c| c.is_ascii_digit())
}

fn is_decimal(v: &str) -> bool {
    !v.is_empty() && v.bytes().all(|c| c.is_ascii_digit() || c == b'.')
}

fn is_address(v: &str) -> bool {
    let ipv4 = v.split('.').count() == 4 && v.split('.').all(is_number);
    let ipv6 = v.contains(':')
        && v.bytes()
            .all(|c| c.is_ascii_hexdigit() || c == b':' || c == b'.');
    ipv4 || ipv6
}

/// Whether a value can be in the named field.
fn fits(field: &str, v: &str) -> bool {
    let dash = v == "-";
    match field.to_ascii_lowercase().as_str() {
        "date" => is_date(v),
        "time" => is_time(v),
        "s-ip" | "c-ip" => is_address(v) || dash,
        "cs-method" => !v.is_empty() && v.bytes().all(|c| c.is_ascii_uppercase()),
        "cs-uri-stem" => v.starts_with('/') || dash,
        "s-port" | "c-port" => is_number(v) && v.len() <= 5,
        "sc-status" => (is_number(v) && v.len() == 3) || dash,
        "sc-substatus" | "sc-win32-status" | "sc-bytes" | "cs-bytes" | "sc-content-len" => {
            is_number(v) || dash
        }
        "time-taken" | "time-to-first-byte" => is_decimal(v) || dash,
        "cs(referer)" => dash || v.contains("://"),
        "s-sitename" => v.starts_with("W3SVC") || dash,
        "cs-version" | "cs-protocol-version" => v.starts_with("HTTP/") || dash,
        "cs-protocol" => matches!(v, "http" | "https" | "ws" | "wss" | "-"),
        "x-edge-location" => {
            v.len() >= 3 && v.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
        }
        "x-edge-result-type" | "x-edge-response-result-type" | "x-edge-detailed-result-type" => {
            v.bytes().all(|c| c.is_ascii_alphanumeric()) && !v.is_empty()
        }
        _ => !v.is_empty(),
    }
}

/// Infers the layout of `lines` (sample lines without `#` lines).
pub fn infer(lines: &[&[u8]]) -> Inference {
    let texts: Vec<&str> = lines
        .iter()
        .filter_map(|l| std::str::from_utf8(l).ok())
        .collect();
    let Some(first) = texts.first() else {
        return Inference::NotW3c;
    };
    let tab = first.contains('\t');
    let split = |l: &'static str| -> Vec<&'static str> { l.split_whitespace().collect() };
    let values: Vec<Vec<&str>> = texts
        .iter()
        .map(|l| {
            if tab {
                l.split('\t').collect()
            } else {
                l.split(' ').collect()
            }
        })
        .collect();
    let w3c_like = values
        .iter()
        .filter(|v| v.len() > 2 && is_date(v[0]) && is_time(v[1]))
        .count();
    if w3c_like * 2 <= values.len() {
        return Inference::NotW3c;
    }
    let count = {
        // The most common number of fields.
        let mut counts = std::collections::BTreeMap::<usize, usize>::new();
        for v in &values {
            *counts.entry(v.len()).or_default() += 1;
        }
        counts
            .into_iter()
            .max_by_key(|&(n, c)| (c, n))
            .map_or(0, |(n, _)| n)
    };
    let fitting: Vec<&'static str> = LAYOUTS
        .iter()
        .copied()
        .filter(|layout| {
            let fields = split(layout);
            let cloudfront = fields.iter().any(|f| f.starts_with("x-edge"));
            fields.len() == count
                && cloudfront == tab
                && values
                    .iter()
                    .filter(|v| v.len() == count)
                    .all(|v| fields.iter().zip(v).all(|(f, x)| fits(f, x)))
        })
        .collect();
    match fitting.as_slice() {
        [] => Inference::Unknown { fields: count },
        [one] => Inference::Fields(one),
        _ => Inference::Ambiguous(fitting),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<&[u8]> {
        text.lines().map(str::as_bytes).collect()
    }

    #[test]
    fn each_known_layout_is_told_apart_by_its_values() {
        // IIS 8.5 default (15 fields) and IIS 6 with time-taken (15 fields, a site name third).
        let iis85 = "2015-10-17 16:27:13 172.31.22.76 GET /index.html - 80 - 190.234.105.254 Mozilla/5.0 - 200 0 0 698";
        assert_eq!(infer(&lines(iis85)), Inference::Fields(IIS_DEFAULT_FIELDS));
        let iis6 = "2009-08-17 05:30:52 W3SVC20 10.0.0.5 GET /index.html - 80 - 66.249.65.1 Googlebot/2.1 200 0 0 15";
        assert_eq!(infer(&lines(iis6)), Inference::Fields(LAYOUTS[3]));
        // 17 fields: IIS 7.0 as in the waikolai corpus (bytes both ways).
        let iis7 = "2009-08-17 05:30:52 W3SVC20 10.0.0.5 GET / - 80 - 66.249.65.1 Googlebot/2.1 200 0 0 4120 250 15";
        assert_eq!(infer(&lines(iis7)), Inference::Fields(LAYOUTS[4]));
    }

    #[test]
    fn unknown_and_other_files_are_said_so() {
        let odd = "2015-10-17 16:27:13 GET /index.html 200";
        assert_eq!(infer(&lines(odd)), Inference::Unknown { fields: 5 });
        let clf = "192.0.2.1 - - [01/Mar/2024:00:00:01 +0000] \"GET / HTTP/1.1\" 200 1";
        assert_eq!(infer(&lines(clf)), Inference::NotW3c);
    }
}
