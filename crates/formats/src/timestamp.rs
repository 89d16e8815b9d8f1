//! Timestamp parsers, hand-written for speed: no allocation, no date library.
//! Each returns microseconds since the epoch in UTC and the UTC offset the log printed.

use clickpath_model::{days_from_civil, micros_from_civil};

/// Parsed instant: UTC micros and the printed offset in minutes (None: no zone, taken as UTC).
pub(crate) type Instant = (i64, Option<i16>);

fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() {
        return None;
    }
    let mut v = 0u32;
    for &c in b {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v * 10 + u32::from(d);
    }
    Some(v)
}

fn month(b: &[u8]) -> Option<u32> {
    if b.len() != 3 {
        return None;
    }
    let m = [b[0] | 0x20, b[1] | 0x20, b[2] | 0x20];
    Some(match &m {
        b"jan" => 1,
        b"feb" => 2,
        b"mar" => 3,
        b"apr" => 4,
        b"may" => 5,
        b"jun" => 6,
        b"jul" => 7,
        b"aug" => 8,
        b"sep" => 9,
        b"oct" => 10,
        b"nov" => 11,
        b"dec" => 12,
        _ => return None,
    })
}

fn valid_date(y: u32, m: u32, d: u32) -> bool {
    if !(1..=12).contains(&m) || d == 0 || !(1000..=9999).contains(&y) {
        return false;
    }
    let leap = (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400);
    let days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    d <= days[m as usize - 1]
}

/// `.123` / `,123456` after seconds: micros and bytes consumed.
fn fraction(b: &[u8]) -> (u32, usize) {
    if !matches!(b.first(), Some(b'.' | b',')) {
        return (0, 0);
    }
    let n = b[1..].iter().take_while(|c| c.is_ascii_digit()).count();
    let mut micros = 0u32;
    for i in 0..6 {
        micros = micros * 10 + if i < n { u32::from(b[1 + i] - b'0') } else { 0 };
    }
    (micros, 1 + n)
}

/// `+0100`, `-07:00`, `Z`: minutes east of UTC and bytes consumed.
fn zone(b: &[u8]) -> Option<(i16, usize)> {
    match b.first()? {
        b'Z' | b'z' => Some((0, 1)),
        s @ (b'+' | b'-') => {
            let (h, m, n) = if b.len() >= 6 && b[3] == b':' {
                (digits(&b[1..3])?, digits(&b[4..6])?, 6)
            } else if b.len() >= 5 {
                (digits(&b[1..3])?, digits(&b[3..5])?, 5)
            } else if b.len() == 3 {
                (digits(&b[1..3])?, 0, 3)
            } else {
                return None;
            };
            if h > 23 || m > 59 {
                return None;
            }
            let off = (h * 60 + m) as i16;
            Some((if *s == b'-' { -off } else { off }, n))
        }
        _ => None,
    }
}

/// `HH:MM:SS[.frac]` -> (h, m, s, micros, consumed).
fn clock(b: &[u8]) -> Option<(u32, u32, u32, u32, usize)> {
    if b.len() < 8 || b[2] != b':' || b[5] != b':' {
        return None;
    }
    let (h, m, s) = (digits(&b[0..2])?, digits(&b[3..5])?, digits(&b[6..8])?);
    if h > 23 || m > 59 || s > 60 {
        return None;
    }
    let (us, n) = fraction(&b[8..]);
    Some((h, m, s.min(59), us, 8 + n))
}

/// `10/Oct/2000:13:55:36 -0700`; fraction and zone optional (HAProxy has `.655` and no zone).
pub(crate) fn clf(b: &[u8]) -> Option<Instant> {
    if b.len() < 20 || b[2] != b'/' || b[6] != b'/' || b[11] != b':' {
        return None;
    }
    let (d, mo, y) = (digits(&b[0..2])?, month(&b[3..6])?, digits(&b[7..11])?);
    if !valid_date(y, mo, d) {
        return None;
    }
    let (h, mi, s, us, n) = clock(&b[12..])?;
    let rest = &b[12 + n..];
    let off = match rest {
        [] => None,
        [b' ', z @ ..] => {
            let (o, used) = zone(z)?;
            if used != z.len() {
                return None;
            }
            Some(o)
        }
        _ => return None,
    };
    Some((
        micros_from_civil(
            i64::from(y),
            mo,
            d,
            h,
            mi,
            s,
            us,
            i32::from(off.unwrap_or(0)),
        ),
        off,
    ))
}

/// `2000-10-10T13:55:36.123-07:00`, `2000-10-10 13:55:36Z`, or without zone (UTC).
pub(crate) fn iso8601(b: &[u8]) -> Option<Instant> {
    if b.len() < 19 || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let days = date_iso(&b[..10])?;
    let (h, mi, s, us, n) = clock(&b[11..])?;
    let rest = &b[11 + n..];
    let off = if rest.is_empty() {
        None
    } else {
        let (o, used) = zone(rest)?;
        if used != rest.len() {
            return None;
        }
        Some(o)
    };
    let secs = days * 86_400 + i64::from(h * 3600 + mi * 60 + s) - i64::from(off.unwrap_or(0)) * 60;
    Some((secs * 1_000_000 + i64::from(us), off))
}

fn date_iso(b: &[u8]) -> Option<i64> {
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, m, d) = (digits(&b[0..4])?, digits(&b[5..7])?, digits(&b[8..10])?);
    valid_date(y, m, d).then(|| days_from_civil(i64::from(y), m, d))
}

/// A date alone: `2000-10-10` or `10/Oct/2000`; days since the epoch.
pub(crate) fn date(b: &[u8]) -> Option<i64> {
    if b.len() == 11 && b[2] == b'/' && b[6] == b'/' {
        let (d, m, y) = (digits(&b[0..2])?, month(&b[3..6])?, digits(&b[7..11])?);
        return valid_date(y, m, d).then(|| days_from_civil(i64::from(y), m, d));
    }
    date_iso(b)
}

/// A time of day alone: micros since midnight.
pub(crate) fn time_of_day(b: &[u8]) -> Option<i64> {
    let (h, m, s, us, n) = clock(b)?;
    (n == b.len()).then(|| i64::from(h * 3600 + m * 60 + s) * 1_000_000 + i64::from(us))
}

/// A non-negative decimal `123` or `123.456`: integer part and fraction in micro-units.
fn decimal(b: &[u8]) -> Option<(u64, u32)> {
    let (int, frac) = match memchr::memchr(b'.', b) {
        Some(i) => (&b[..i], &b[i..]),
        None => (b, &b[b.len()..]),
    };
    if int.is_empty() || int.len() > 15 {
        return None;
    }
    let mut v = 0u64;
    for &c in int {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v * 10 + u64::from(d);
    }
    let (micros, n) = fraction(frac);
    (n == frac.len()).then_some((v, micros))
}

/// Decimal seconds (`1709287200.123`) or integer millis/micros since the epoch.
pub(crate) fn epoch(b: &[u8], unit_micros: i64) -> Option<Instant> {
    let (v, frac) = decimal(b)?;
    let micros = i64::try_from(v).ok()?.checked_mul(unit_micros)?
        + i64::from(frac) * unit_micros / 1_000_000;
    Some((micros, None))
}

/// A duration in `unit`, as microseconds; `-` and negative values (ALB's `-1`) are absent.
pub(crate) fn duration_micros(b: &[u8], unit: crate::spec::DurationUnit) -> Option<u64> {
    use crate::spec::DurationUnit::*;
    let (v, f_us) = decimal(b)?;
    match unit {
        Seconds => v.checked_mul(1_000_000)?.checked_add(u64::from(f_us)),
        Millis => v.checked_mul(1_000)?.checked_add(u64::from(f_us) / 1_000),
        Micros => Some(v),
        Nanos => Some(v / 1_000),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clickpath_model::format_rfc3339_micros;

    fn show(i: Option<Instant>) -> String {
        match i {
            None => "none".into(),
            Some((t, off)) => {
                let mut s = String::new();
                format_rfc3339_micros(t, &mut s);
                format!("{s} {off:?}")
            }
        }
    }

    #[test]
    fn clf_times() {
        let cases = [
            (
                "10/Oct/2000:13:55:36 -0700",
                "2000-10-10T20:55:36Z Some(-420)",
            ),
            ("01/Mar/2024:00:00:01 +0000", "2024-03-01T00:00:01Z Some(0)"),
            (
                "22/Jan/2019:03:56:14 +0330",
                "2019-01-22T00:26:14Z Some(210)",
            ),
            (
                "06/Feb/2009:12:14:14.655",
                "2009-02-06T12:14:14.655000Z None",
            ),
            ("29/Feb/2023:00:00:00 +0000", "none"),
            ("01-Mar-2024:00:00:01 +0000", "none"),
            ("01/Mar/2024:24:00:01 +0000", "none"),
            ("01/Mar/2024:00:00:01 +0000x", "none"),
            ("01/Foo/2024:00:00:01 +0000", "none"),
            ("01/Mar/2024:00:00", "none"),
        ];
        for (raw, want) in cases {
            assert_eq!(show(clf(raw.as_bytes())), want, "{raw}");
        }
    }

    #[test]
    fn iso_and_epoch_times() {
        let cases = [
            (
                iso8601(b"2018-07-02T22:23:00.186641Z"),
                "2018-07-02T22:23:00.186641Z Some(0)",
            ),
            (
                iso8601(b"2024-03-01T10:00:00+01:00"),
                "2024-03-01T09:00:00Z Some(60)",
            ),
            (iso8601(b"2024-03-01 10:00:00"), "2024-03-01T10:00:00Z None"),
            (
                iso8601(b"2024-03-01T10:00:00.123456789Z"),
                "2024-03-01T10:00:00.123456Z Some(0)",
            ),
            (iso8601(b"2024-13-01T10:00:00Z"), "none"),
            (
                epoch(b"1646861401.5241024", 1_000_000),
                "2022-03-09T21:30:01.524102Z None",
            ),
            (
                epoch(b"1709287200123", 1_000),
                "2024-03-01T10:00:00.123000Z None",
            ),
            (epoch(b"17x", 1_000_000), "none"),
        ];
        for (got, want) in cases {
            assert_eq!(show(got), want);
        }
    }

    #[test]
    fn durations_in_each_unit() {
        use crate::spec::DurationUnit::*;
        assert_eq!(duration_micros(b"0.000929", Seconds), Some(929));
        assert_eq!(duration_micros(b"1698", Millis), Some(1_698_000));
        assert_eq!(duration_micros(b"1234567", Nanos), Some(1_234));
        assert_eq!(duration_micros(b"42", Micros), Some(42));
        assert_eq!(duration_micros(b"-1", Seconds), None);
        assert_eq!(duration_micros(b"-", Seconds), None);
        assert_eq!(
            duration_micros(b"999999999999999", Seconds),
            None,
            "overflow is no duration"
        );
    }
}
