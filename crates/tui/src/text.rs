//! Log text made safe for the screen, and numbers as the report prints them.
//!
//! Paths, referrers, user agents and raw lines come from whoever sent the request. Before any
//! of it reaches the terminal, every control character (C0, DEL, C1: ESC and CSI start the
//! escape sequences that move the cursor or set the title) and every bidirectional override
//! becomes a visible `?`, and a very long string is cut (the cell cuts it again to its width).

/// Longest text kept of one value, in characters; the widest cell is narrower.
const MAX_CHARS: usize = 512;

/// `s` with nothing that can act on the terminal, at most [`MAX_CHARS`] characters.
pub fn clean(s: &str) -> String {
    let mut out = String::with_capacity(s.len().min(MAX_CHARS));
    for (i, c) in s.chars().enumerate() {
        if i == MAX_CHARS {
            out.push('…');
            break;
        }
        out.push(if acts_on_terminal(c) { '?' } else { c });
    }
    out
}

/// Control characters and the bidirectional controls that reorder what follows them: what
/// log text must not bring to a terminal (also the printed report's and `sql`'s rule).
pub fn acts_on_terminal(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

pub use clickpath_analytics::numbers::thousands;

/// A share in `[0, 1]` as a percentage with one decimal.
pub fn percent(share: f64) -> String {
    format!("{:.1}%", share * 100.0)
}

/// `n` of `total` as a percentage, rounded as the report rounds its shares (empty without a
/// total).
pub fn of(n: u64, total: u64) -> String {
    if total == 0 {
        String::new()
    } else {
        percent(clickpath_analytics::numbers::share(n, total))
    }
}

/// Seconds as `1h02m`, `3m05s` or `42s`.
pub fn seconds(s: i64) -> String {
    match s {
        s if s >= 3600 => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
        s if s >= 60 => format!("{}m{:02}s", s / 60, s % 60),
        s => format!("{s}s"),
    }
}

/// `2024-03-08T13:05:00+01:00` -> `2024-03-08 13:05`.
pub fn short_time(s: &str) -> String {
    let s = clean(s);
    match s.get(..16) {
        Some(p) if s.len() > 16 => p.replacen('T', " ", 1),
        _ => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_sequences_become_visible() {
        // ESC ] 0 ; title BEL sets the window title; ESC [ 2 J clears the screen; CSI (C1).
        let hostile = "/a\u{1b}]0;owned\u{7}\u{1b}[2J\u{9b}31m\r\n\t\u{202e}b";
        let c = clean(hostile);
        assert_eq!(c, "/a?]0;owned??[2J?31m????b");
        assert!(!c.chars().any(|c| c.is_control()));
    }

    #[test]
    fn long_text_is_cut() {
        let long = "é".repeat(10_000);
        let c = clean(&long);
        assert_eq!(c.chars().count(), MAX_CHARS + 1);
        assert!(c.ends_with('…'));
    }

    #[test]
    fn numbers() {
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(999), "999");
        assert_eq!(of(1, 3), "33.3%");
        assert_eq!(of(1, 0), "");
        assert_eq!(seconds(3725), "1h02m");
        assert_eq!(seconds(185), "3m05s");
    }
}
