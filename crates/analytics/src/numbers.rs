//! How the report rounds: shares to 4 decimals, seconds and money to 2.

/// `a / b`, 0 when `b` is 0.
pub fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// `a / b` rounded to 4 decimals (a rate or share).
pub fn share(a: u64, b: u64) -> f64 {
    round4(ratio(a, b))
}

/// Rounded to 2 decimals; `-0` (an empty `f64` sum starts at `-0.0`) becomes 0.
pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0 + 0.0
}

pub fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0 + 0.0
}

/// `1234567` -> `1,234,567`, as the printed report and `clickpath top` show counts.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_empty_sum_rounds_to_plus_zero() {
        let empty: f64 = std::iter::empty::<f64>().sum();
        assert_eq!(super::round2(empty).to_string(), "0");
        assert_eq!(super::round4(-0.00001).to_string(), "0");
        assert_eq!(super::round2(1.005_1), 1.01);
    }
}
