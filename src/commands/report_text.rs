//! The traffic report as terminal tables, readable at 100 columns. Every string that comes from
//! a log is escaped before it reaches the terminal (no control sequences).

use std::fmt::Write;

use clickpath_analytics::TrafficReport;
use clickpath_analytics::report::Row;
use clickpath_formats::pipeline::Summary;

use crate::inputs::totals_line;

const WIDTH: usize = 100;
const NUM: usize = 12;

/// Log text made safe for a terminal: control characters are shown escaped.
pub fn safe(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

fn fit(s: &str, width: usize) -> String {
    let s = safe(s);
    if s.chars().count() <= width {
        s
    } else {
        let mut t: String = s.chars().take(width.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// `1234567` -> `1,234,567`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn pct(n: u64, total: u64) -> String {
    if total == 0 {
        String::new()
    } else {
        format!("{:.1}%", 100.0 * n as f64 / total as f64)
    }
}

fn duration(s: f64) -> String {
    let s = s.round() as u64;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m {:02}s", s / 60, s % 60),
        _ => format!("{}h {:02}m", s / 3600, s / 60 % 60),
    }
}

fn table(out: &mut String, title: &str, counted: &str, rows: &[Row], total: u64) {
    if rows.is_empty() {
        return;
    }
    let label = WIDTH - NUM - 8 - 2;
    let _ = writeln!(out, "\n{title:<label$}  {counted:>NUM$} {:>7}", "share");
    for r in rows {
        let _ = writeln!(
            out,
            "  {:<label$}{:>NUM$} {:>7}",
            fit(&r.value, label),
            thousands(r.count),
            pct(r.count, total)
        );
    }
}

pub fn render(summary: &Summary, r: &TrafficReport) -> String {
    let mut o = String::new();
    let t = &r.traffic;
    match &r.period {
        Some(p) => {
            let _ = writeln!(o, "clickpath traffic report: {} .. {}", p.first, p.last);
        }
        None => {
            let _ = writeln!(o, "clickpath traffic report: no requests");
        }
    }
    let _ = writeln!(o, "{}", totals_line(summary));
    if !r.site.hosts.is_empty() {
        let _ = writeln!(
            o,
            "site hosts ({}): {}",
            r.site.hosts_from,
            fit(&r.site.hosts.join(", "), 70)
        );
    }
    let kv = |o: &mut String, k: &str, v: String| {
        let _ = writeln!(o, "  {k:<22}{v}");
    };
    let _ = writeln!(o, "\nTraffic (humans; bots are counted apart)");
    kv(
        &mut o,
        "Visitors",
        format!(
            "{} ({} new, {} returning)",
            thousands(t.visitors),
            thousands(t.visitors_new),
            thousands(t.visitors_returning)
        ),
    );
    kv(
        &mut o,
        "Sessions",
        format!(
            "{} ({} with page views)",
            thousands(t.sessions),
            thousands(t.sessions_with_pageviews)
        ),
    );
    kv(
        &mut o,
        "Page views",
        format!(
            "{} ({:.2} per session)",
            thousands(t.pageviews),
            t.pages_per_session
        ),
    );
    kv(
        &mut o,
        "Bounce rate",
        format!(
            "{:.1}% ({} one-page sessions)",
            100.0 * t.bounce_rate,
            thousands(t.bounces)
        ),
    );
    let d = &t.session_duration;
    kv(
        &mut o,
        "Session duration",
        format!(
            "median {}, mean {}, p90 {}",
            duration(d.median_s as f64),
            duration(d.mean_s),
            duration(d.p90_s as f64)
        ),
    );
    let top = &t.time_on_page;
    kv(
        &mut o,
        "Time on page",
        format!(
            "median {}, mean {} ({} measured, {} last pages not measurable)",
            duration(top.median_s as f64),
            duration(top.mean_s),
            thousands(top.measured),
            thousands(top.censored)
        ),
    );
    kv(
        &mut o,
        "Requests",
        format!(
            "{} human, {} bot",
            thousands(t.human_requests),
            thousands(t.bot_requests)
        ),
    );

    table(
        &mut o,
        "Session duration",
        "sessions",
        &d.buckets,
        t.sessions,
    );
    table(
        &mut o,
        "Channels",
        "sessions",
        &r.acquisition.channels,
        t.sessions,
    );
    if !r.acquisition.campaigns.is_empty() {
        let rows: Vec<Row> = r
            .acquisition
            .campaigns
            .iter()
            .map(|c| {
                let f = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
                Row {
                    value: format!("{} / {} / {}", f(&c.source), f(&c.medium), f(&c.campaign)),
                    count: c.sessions,
                }
            })
            .collect();
        table(
            &mut o,
            "Campaigns (source / medium / campaign)",
            "sessions",
            &rows,
            t.sessions,
        );
    }
    table(
        &mut o,
        "Referrer domains",
        "sessions",
        &r.acquisition.referrer_domains,
        t.sessions,
    );
    table(&mut o, "Top pages", "page views", &r.pages.top, t.pageviews);
    table(
        &mut o,
        "Entry pages",
        "sessions",
        &r.pages.entry,
        t.sessions_with_pageviews,
    );
    table(
        &mut o,
        "Exit pages",
        "sessions",
        &r.pages.exit,
        t.sessions_with_pageviews,
    );
    table(
        &mut o,
        "Top paths (first three pages)",
        "sessions",
        &r.pages.paths,
        t.sessions_with_pageviews,
    );
    if let Some(n) = &r.pages.next {
        let title = format!(
            "After {} ({} views, {} exits)",
            fit(&n.from, 40),
            thousands(n.views),
            thousands(n.exits)
        );
        table(&mut o, &title, "next views", &n.to, n.views);
    }
    table(
        &mut o,
        "Devices",
        "sessions",
        &r.technology.devices,
        t.sessions,
    );
    table(
        &mut o,
        "Browsers",
        "sessions",
        &r.technology.browsers,
        t.sessions,
    );
    table(
        &mut o,
        "Operating systems",
        "sessions",
        &r.technology.os,
        t.sessions,
    );
    table(
        &mut o,
        "Status codes (all requests)",
        "requests",
        &r.statuses.all,
        t.requests,
    );
    table(
        &mut o,
        "Bots by family",
        "requests",
        &r.bots.by_family,
        r.bots.requests,
    );
    let bots: Vec<Row> = r
        .bots
        .by_name
        .iter()
        .map(|b| {
            let classes: Vec<String> = b
                .statuses
                .iter()
                .map(|s| format!("{} {}", s.value, thousands(s.count)))
                .collect();
            Row {
                value: format!("{} [{}] {}", b.name, b.family, classes.join(", ")),
                count: b.requests,
            }
        })
        .collect();
    table(&mut o, "Bots", "requests", &bots, r.bots.requests);
    let days: Vec<Row> = r
        .time
        .by_day
        .iter()
        .map(|b| Row {
            value: format!(
                "{}  {:>10} human  {:>9} page views  {:>8} sessions",
                b.at,
                thousands(b.human_requests),
                thousands(b.pageviews),
                thousands(b.sessions)
            ),
            count: b.requests,
        })
        .collect();
    table(
        &mut o,
        "Days (local time of the log)",
        "requests",
        &days,
        t.requests,
    );
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_text_cannot_drive_the_terminal() {
        assert_eq!(safe("a\u{1b}[31mred\u{7}"), "a\\u{1b}[31mred\\u{7}");
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(duration(125.0), "2m 05s");
    }
}
