//! How the report rounds: shares to 4 decimals, seconds and money to 2.

/// `a / b`, 0 when `b` is 0.
pub(crate) fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// `a / b` rounded to 4 decimals (a rate or share).
pub(crate) fn share(a: u64, b: u64) -> f64 {
    round4(ratio(a, b))
}

pub(crate) fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

pub(crate) fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}
