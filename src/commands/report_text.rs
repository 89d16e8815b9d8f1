//! The traffic report as terminal tables, readable at 100 columns. Every string that comes from
//! a log is escaped before it reaches the terminal (no control sequences).

use std::fmt::Write;

use clickpath_analytics::TrafficReport;
use clickpath_analytics::numbers::thousands;
use clickpath_analytics::report::Row;
use clickpath_formats::pipeline::Summary;

use crate::inputs::totals_line;

const WIDTH: usize = 100;
const NUM: usize = 13;

/// Log text made safe for a terminal: control characters and bidirectional controls are
/// shown escaped (`\u{202e}`).
pub fn safe(s: &str) -> String {
    s.chars()
        .map(|c| {
            if clickpath_tui::text::acts_on_terminal(c) {
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

/// Word-wrapped text, indented.
fn paragraph(out: &mut String, indent: &str, text: &str) {
    let mut line = String::from(indent);
    for word in safe(text).split(' ') {
        if line.len() > indent.len() && line.len() + 1 + word.len() > WIDTH {
            let _ = writeln!(out, "{line}");
            line = String::from(indent);
        }
        if line.len() > indent.len() {
            line.push(' ');
        }
        line.push_str(word);
    }
    let _ = writeln!(out, "{line}");
}

/// `note: text`, wrapped under itself.
fn note(o: &mut String, text: &str) {
    let mut line = String::from("note:");
    for word in text.split(' ') {
        if line.len() + 1 + word.len() > WIDTH {
            let _ = writeln!(o, "{line}");
            line = String::from("     ");
        }
        line.push(' ');
        line.push_str(word);
    }
    let _ = writeln!(o, "{line}");
}

/// Incidents first (what went wrong, why, what it cost), then restarts and the causes of the
/// error responses, when an error log was read.
fn diary(o: &mut String, r: &TrafficReport) {
    if let Some(e) = &r.error_log {
        let _ = writeln!(
            o,
            "error log: {} events, {} explain a response; times read in UTC{} ({})",
            thousands(e.events),
            thousands(e.explaining),
            e.zone,
            e.zone_from
        );
        for n in &e.notes {
            note(o, n);
        }
    }
    if !r.incidents.is_empty() {
        let _ = writeln!(o, "\nIncidents");
        for (k, i) in r.incidents.iter().enumerate() {
            let _ = writeln!(
                o,
                "  {}. {} {} .. {}",
                k + 1,
                i.kind,
                &i.start[..16],
                &i.end[11..16]
            );
            paragraph(o, "     ", &i.story);
            if !i.top_urls.is_empty() {
                let urls: Vec<String> = i
                    .top_urls
                    .iter()
                    .take(3)
                    .map(|u| format!("{} ({})", fit(&u.value, 40), thousands(u.count)))
                    .collect();
                paragraph(o, "     top: ", &urls.join(", "));
            }
        }
    }
    if !r.restarts.is_empty() || !r.reloads.is_empty() {
        let _ = writeln!(o, "\nRestarts (UTC)");
        for x in &r.restarts {
            let _ = writeln!(
                o,
                "  {:<9} {:<8} {} .. {}{}",
                x.kind,
                x.how,
                &x.start[..19],
                &x.end[11..19],
                x.upstream
                    .as_deref()
                    .map_or(String::new(), |u| format!("  {u}"))
            );
        }
        if !r.reloads.is_empty() {
            let _ = writeln!(
                o,
                "  {} reload(s) and log rotation(s): the server kept answering",
                r.reloads.len()
            );
        }
    }
    if r.error_log.is_some() && !r.errors.causes.is_empty() {
        let _ = writeln!(
            o,
            "\n{:<60}{:>NUM$}",
            "Error responses by cause (status, error-log cause)", "requests"
        );
        for c in r.errors.causes.iter().filter(|c| c.status >= 403) {
            let _ = writeln!(
                o,
                "  {:<58}{:>NUM$}",
                format!("{} {}", c.status, c.cause),
                thousands(c.requests)
            );
        }
        let _ = writeln!(
            o,
            "  (`none`: the error log says nothing of it; an application's own 500 leaves no line there)"
        );
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
    for n in &r.notes {
        note(&mut o, n);
    }
    if !r.site.hosts.is_empty() {
        let _ = writeln!(
            o,
            "site hosts ({}): {}",
            r.site.hosts_from,
            fit(&r.site.hosts.join(", "), 70)
        );
    }
    diary(&mut o, r);
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
    if let Some(countries) = &r.technology.countries {
        table(&mut o, "Countries", "sessions", countries, t.sessions);
    }
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
    render_funnels(&mut o, r);
    render_errors(&mut o, r);
    o
}

fn money(v: f64, currency: Option<&str>) -> String {
    match currency {
        Some(c) => format!("{v:.2} {}", safe(c)),
        None => format!("{v:.2}"),
    }
}

fn render_funnels(o: &mut String, r: &TrafficReport) {
    let cur = r.currency.as_deref();
    for f in &r.funnels {
        let _ = writeln!(
            o,
            "\nFunnel {} ({} mode): {} conversions, {:.1}% of sessions entering it",
            fit(&f.name, 40),
            f.mode,
            thousands(f.conversions),
            100.0 * f.conversion_rate
        );
        let _ = writeln!(
            o,
            "  {:<24}{:>10} {:>8} {:>8} {:>9} {:>10} {:>12}",
            "step", "sessions", "of prev", "of first", "drop-off", "median", "left/error"
        );
        for s in &f.steps {
            let median = s
                .median_s_from_previous
                .map_or(String::new(), |m| duration(m as f64));
            let _ = writeln!(
                o,
                "  {:<24}{:>10} {:>7.1}% {:>7.1}% {:>9} {:>10} {:>12}",
                fit(&s.name, 23),
                thousands(s.sessions),
                100.0 * s.conversion_from_previous,
                100.0 * s.conversion_from_first,
                thousands(s.drop_off),
                median,
                format!(
                    "{}/{}",
                    thousands(s.left_here),
                    thousands(s.left_after_error)
                ),
            );
        }
        if let Some(rev) = f.revenue {
            let _ = writeln!(
                o,
                "  revenue (conversions x average order value): {}",
                money(rev, cur)
            );
        }
        if f.mode == "window" {
            continue;
        }
        let se = &f.server_errors;
        let _ = writeln!(
            o,
            "  sessions with a 5xx on a step's URL: {} ({} did not convert)",
            thousands(se.sessions),
            thousands(se.not_converted)
        );
        for k in f.errors_in_funnel.iter().filter(|k| k.sessions > 0) {
            let _ = writeln!(
                o,
                "  in-funnel {:<10} errors: {:>8} sessions, {:>8} did not convert",
                k.kind,
                thousands(k.sessions),
                thousands(k.not_converted)
            );
        }
        if let Some(l) = &f.lost_conversions {
            let value = l
                .value
                .map_or(String::new(), |v| format!(" ({})", money(v, cur)));
            let _ = writeln!(
                o,
                "  estimated conversions lost to errors: {:.1}{value}",
                l.estimate
            );
        }
        let rows: Vec<Row> = f
            .error_paths
            .iter()
            .map(|e| Row {
                value: format!("{} {}", e.status, e.path),
                count: e.not_converted,
            })
            .collect();
        table(
            o,
            "  Errors in the funnel (status path)",
            "not converted",
            &rows,
            f.steps[0].sessions,
        );
    }
    for g in &r.goals {
        let value = g
            .value
            .map_or(String::new(), |v| format!(", value {}", money(v, cur)));
        let _ = writeln!(
            o,
            "\nGoal {}: {} conversions, {:.2}% of sessions{value}",
            fit(&g.name, 40),
            thousands(g.conversions),
            100.0 * g.conversion_rate
        );
        let rows: Vec<Row> = g
            .by_channel
            .iter()
            .map(|c| Row {
                value: format!("{} ({:.2}%)", c.value, 100.0 * c.conversion_rate),
                count: c.conversions,
            })
            .collect();
        table(
            o,
            "  Conversions by channel (rate)",
            "conversions",
            &rows,
            g.conversions,
        );
    }
}

fn render_errors(o: &mut String, r: &TrafficReport) {
    let e = &r.errors;
    let _ = writeln!(
        o,
        "\nBroken links: {} 404 responses with a referrer on the site",
        thousands(e.broken_internal_links)
    );
    let links = |v: &[clickpath_analytics::report::BrokenLink]| -> Vec<Row> {
        v.iter()
            .map(|l| Row {
                value: format!("{} -> {}", l.source, l.target),
                count: l.hits,
            })
            .collect()
    };
    table(
        o,
        "Internal broken links (source -> missing page)",
        "hits",
        &links(&e.internal_links),
        e.broken_internal_links,
    );
    let external: u64 = e.external_links.iter().map(|l| l.hits).sum();
    table(
        o,
        "404s from other sites (redirect these)",
        "hits",
        &links(&e.external_links),
        external,
    );
    let crawler: u64 = e.crawler_not_found.iter().map(|l| l.count).sum();
    table(
        o,
        "404s served to search crawlers",
        "hits",
        &e.crawler_not_found,
        crawler,
    );
    let h = &e.rejected_humans;
    let _ = writeln!(
        o,
        "\nRejected requests (401/403/405/429/444/499...): {} to humans in {} sessions, {} to bots",
        thousands(h.requests),
        thousands(h.sessions),
        thousands(e.rejected_bots.requests)
    );
    table(
        o,
        "Rejected requests served to humans",
        "requests",
        &h.by_status,
        h.requests,
    );
    if !e.slow_pages.is_empty() {
        let rows: Vec<Row> = e
            .slow_pages
            .iter()
            .map(|p| Row {
                value: format!("{}  p50 {} ms, p95 {} ms", p.path, p.p50_ms, p.p95_ms),
                count: p.views,
            })
            .collect();
        table(o, "Response times of pages", "views", &rows, 0);
    }
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
