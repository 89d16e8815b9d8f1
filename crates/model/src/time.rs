//! Calendar arithmetic without a date library: civil date <-> days since 1970, and RFC 3339.

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Microseconds since the epoch (UTC) of a local civil time printed with `offset_min` minutes
/// east of UTC.
#[allow(clippy::too_many_arguments)]
pub fn micros_from_civil(
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    min: u32,
    sec: u32,
    micros: u32,
    offset_min: i32,
) -> i64 {
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + i64::from(hour) * 3600 + i64::from(min) * 60 + i64::from(sec)
        - i64::from(offset_min) * 60;
    secs * 1_000_000 + i64::from(micros)
}

/// (year, month, day) of a day count since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// `YYYY-MM-DD` of a day count since 1970-01-01 (the dataset's partitions, report days).
pub fn format_date(day: i64) -> String {
    let (y, m, d) = civil_from_days(day);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The day count of a `YYYY-MM-DD` date; `None` for anything else (month 13, February 31).
pub fn parse_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    // Digits only (`parse` would take `+1`).
    let digits = b.iter().enumerate().all(|(i, c)| {
        if i == 4 || i == 7 {
            *c == b'-'
        } else {
            c.is_ascii_digit()
        }
    });
    if b.len() != 10 || !digits {
        return None;
    }
    let (y, m, d) = (
        s[..4].parse().ok()?,
        s[5..7].parse().ok()?,
        s[8..10].parse().ok()?,
    );
    ((1..=12).contains(&m) && (1..=days_in_month(y, m)).contains(&d))
        .then(|| days_from_civil(y, m, d))
}

/// Days of month `m` (1-12) of year `y` (Gregorian).
pub fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// `2024-03-01T10:05:03Z`, with `.ffffff` only when the time has a fraction of a second.
pub fn format_rfc3339_micros(micros: i64, out: &mut String) {
    use std::fmt::Write;
    let secs = micros.div_euclid(1_000_000);
    let frac = micros.rem_euclid(1_000_000);
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400);
    let _ = write!(
        out,
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        sod / 3600,
        sod / 60 % 60,
        sod % 60
    );
    if frac != 0 {
        let _ = write!(out, ".{frac:06}");
    }
    out.push('Z');
}

/// UTC micros of `2024-03-01T10:05:03Z` or `...03.123456Z` (what [`format_rfc3339_micros`]
/// writes).
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    let s = s.strip_suffix('Z')?;
    let (date, time) = s.split_once('T')?;
    let days = parse_date(date)?;
    let (hms, frac) = time.split_once('.').unwrap_or((time, ""));
    let mut parts = hms.split(':').map(|p| p.parse::<i64>().ok());
    let (h, m, sec) = (parts.next()??, parts.next()??, parts.next()??);
    if h > 23 || m > 59 || sec > 60 || frac.len() > 6 || !frac.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let micros: i64 = format!("{frac:0<6}").parse().ok()?;
    Some(((days * 86_400 + h * 3600 + m * 60 + sec) * 1_000_000) + micros)
}

/// `30s`, `5m`, `4h`, `1h30m`, `2d` (units in any order, each a whole number) or `0`, in
/// micros; None for anything else (plain numbers included: the unit is never guessed).
pub fn parse_duration_micros(s: &str) -> Option<i64> {
    let s = s.trim();
    if s == "0" {
        return Some(0);
    }
    let mut total = 0i64;
    let mut num = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let n: i64 = num.parse().ok()?;
        num.clear();
        let unit: i64 = match c {
            'd' => 86_400_000_000,
            'h' => 3_600_000_000,
            'm' => 60_000_000,
            's' => 1_000_000,
            _ => return None,
        };
        total = total.checked_add(n.checked_mul(unit)?)?;
    }
    num.is_empty().then_some(total)
}

#[cfg(test)]
mod tests {
    #[test]
    fn rfc3339_times_read_back() {
        let mut s = String::new();
        super::format_rfc3339_micros(1_709_288_941_050_688, &mut s);
        assert_eq!(super::parse_rfc3339(&s), Some(1_709_288_941_050_688));
        assert_eq!(
            super::parse_rfc3339("1970-01-01T00:01:00Z"),
            Some(60_000_000)
        );
        assert_eq!(super::parse_rfc3339("1970-01-01T00:01:00"), None);
    }

    #[test]
    fn dates_are_days_of_the_calendar() {
        assert_eq!(super::parse_date("1970-01-02"), Some(1));
        assert!(super::parse_date("2024-02-29").is_some());
        for bad in [
            "2024-13-01",
            "2024-02-31",
            "2023-02-29",
            "2024-04-31",
            "2024-00-10",
            "+024-01-01",
            "2024-1-01",
        ] {
            assert_eq!(super::parse_date(bad), None, "{bad}");
        }
    }

    use super::*;

    #[test]
    fn civil_round_trip_over_four_centuries() {
        for days in (-200_000..200_000).step_by(97) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
        }
    }

    #[test]
    fn offsets_are_subtracted_to_reach_utc() {
        // 17/May/2015:10:05:03 +0200 is 08:05:03 UTC.
        let t = micros_from_civil(2015, 5, 17, 10, 5, 3, 0, 120);
        let mut s = String::new();
        format_rfc3339_micros(t, &mut s);
        assert_eq!(s, "2015-05-17T08:05:03Z");
        s.clear();
        format_rfc3339_micros(
            micros_from_civil(1995, 8, 1, 0, 0, 1, 250_000, -240),
            &mut s,
        );
        assert_eq!(s, "1995-08-01T04:00:01.250000Z");
    }
}
