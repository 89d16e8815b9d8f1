//! Session, page-view and acquisition semantics on small hand-written logs.

mod common;

use clickpath_analytics::{TrafficConfig, TrafficReport};
use clickpath_formats::presets::preset;

const UA: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";

/// One combined line: client, `HH:MM:SS` on 01/Mar/2024 (+0000 unless the time has a zone),
/// request target, status, referrer.
fn line(ip: &str, time: &str, target: &str, status: u16, referrer: &str) -> String {
    let (time, zone) = time.split_once(' ').unwrap_or((time, "+0000"));
    let (day, time) = time.split_once('T').unwrap_or(("01", time));
    format!(
        "{ip} - - [{day}/Mar/2024:{time} {zone}] \"GET {target} HTTP/1.1\" {status} 100 \"{referrer}\" \"{UA}\"\n"
    )
}

fn report(text: &str, cfg: TrafficConfig) -> TrafficReport {
    common::report_of(preset("combined").unwrap().compile().unwrap(), text, cfg)
}

fn rows(r: &[clickpath_analytics::report::Row]) -> Vec<(&str, u64)> {
    r.iter().map(|r| (r.value.as_str(), r.count)).collect()
}

#[test]
fn idle_timeout_splits_and_out_of_order_lines_do_not() {
    let text = [
        line("192.0.2.1", "10:00:00", "/", 200, "-"),
        line(
            "192.0.2.1",
            "10:05:00",
            "/product/1",
            200,
            "https://shop.example.com/",
        ),
        // Written 3 s late by another worker: same session, ordered by time.
        line(
            "192.0.2.1",
            "10:04:57",
            "/static/app.css",
            200,
            "https://shop.example.com/",
        ),
        line(
            "192.0.2.1",
            "10:34:59",
            "/cart",
            200,
            "https://shop.example.com/product/1",
        ),
        // 30 min 1 s after the last request: a new session, landing on an internal referrer.
        line(
            "192.0.2.1",
            "11:05:00",
            "/checkout",
            200,
            "https://shop.example.com/cart",
        ),
    ]
    .concat();
    let r = report(&text, TrafficConfig::default());
    let t = &r.traffic;
    assert_eq!(
        (t.visitors, t.sessions, t.pageviews, t.human_requests),
        (1, 2, 4, 5)
    );
    assert_eq!((t.visitors_returning, t.sessions_returning), (1, 1));
    assert_eq!((t.bounces, t.sessions_with_pageviews), (1, 2));
    // Durations: 34:59 and 0 s; time on page measured for 2 gaps (5:00 and 29:59), 2 censored.
    assert_eq!(rows(&t.session_duration.buckets)[0], ("0-10s", 1));
    assert_eq!(rows(&t.session_duration.buckets)[6], ("30min+", 1));
    assert_eq!((t.time_on_page.measured, t.time_on_page.censored), (2, 2));
    assert_eq!(rows(&r.pages.entry), [("/", 1), ("/checkout", 1)]);
    assert_eq!(rows(&r.pages.exit), [("/cart", 1), ("/checkout", 1)]);
    assert_eq!(rows(&r.pages.paths)[0], ("/ > /product/1 > /cart", 1));
    let next = r.pages.next.as_ref().unwrap();
    assert_eq!((next.from.as_str(), next.views, next.exits), ("/", 1, 0));
    assert_eq!(rows(&next.to), [("/product/1", 1)]);
    assert_eq!(
        rows(&r.acquisition.channels),
        [("direct", 1), ("internal", 1)]
    );
    assert_eq!(
        (r.site.hosts.as_slice(), r.site.hosts_from.as_str()),
        (&["shop.example.com".to_owned()][..], "referrers")
    );
}

#[test]
fn configurable_timeout_midnight_and_campaign_splits() {
    let text = [
        line(
            "192.0.2.9",
            "01T23:50:00",
            "/?utm_source=news&utm_medium=email&utm_campaign=a",
            200,
            "-",
        ),
        line("192.0.2.9", "01T23:59:00", "/product/1", 200, "-"),
        line(
            "192.0.2.9",
            "02T00:01:00",
            "/product/2?utm_source=fb&utm_medium=social&utm_campaign=b",
            200,
            "-",
        ),
        line("192.0.2.9", "02T00:02:00", "/product/3", 200, "-"),
    ]
    .concat();
    assert_eq!(report(&text, TrafficConfig::default()).traffic.sessions, 1);
    let midnight = TrafficConfig {
        split_at_midnight: true,
        ..TrafficConfig::default()
    };
    assert_eq!(report(&text, midnight).traffic.sessions, 2);
    let campaign = TrafficConfig {
        split_on_campaign: true,
        ..TrafficConfig::default()
    };
    let r = report(&text, campaign);
    assert_eq!(r.traffic.sessions, 2);
    assert_eq!(rows(&r.acquisition.channels), [("email", 1), ("social", 1)]);
    let short = TrafficConfig {
        session_timeout_s: 60,
        ..TrafficConfig::default()
    };
    assert_eq!(report(&text, short).traffic.sessions, 3);
}

#[test]
fn visitors_are_ip_and_user_agent_and_bots_are_apart() {
    let text = [
        line("192.0.2.1", "10:00:00", "/", 200, "-"),
        // Same IP, another browser (NAT): another visitor.
        line("192.0.2.1", "10:00:01", "/", 200, "-").replace("Chrome/120", "Chrome/121"),
        line("66.249.66.1", "10:00:02", "/", 200, "-").replace(
            UA,
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        ),
        line("203.0.113.7", "10:00:03", "/robots.txt", 200, "-").replace(UA, "-"),
        // Not page views: an asset, an API call, a 404, a POST, a redirect.
        line(
            "192.0.2.1",
            "10:00:04",
            "/static/a.js",
            200,
            "https://shop.example.com/",
        ),
        line(
            "192.0.2.1",
            "10:00:05",
            "/api/cart",
            200,
            "https://shop.example.com/",
        ),
        line(
            "192.0.2.1",
            "10:00:06",
            "/missing",
            404,
            "https://shop.example.com/",
        ),
        line(
            "192.0.2.1",
            "10:00:07",
            "/cart/add",
            302,
            "https://shop.example.com/",
        )
        .replace("GET", "POST"),
    ]
    .concat();
    let r = report(&text, TrafficConfig::default());
    assert_eq!(
        (r.traffic.visitors, r.traffic.sessions, r.traffic.pageviews),
        (2, 2, 2)
    );
    assert_eq!((r.traffic.human_requests, r.traffic.bot_requests), (6, 2));
    assert_eq!(rows(&r.bots.by_family), [("empty_ua", 1), ("search", 1)]);
    assert_eq!(r.bots.by_name[0].statuses[0].value, "2xx");
    let ip_only = TrafficConfig {
        visitor_key: clickpath_analytics::VisitorKey::Ip,
        ..TrafficConfig::default()
    };
    assert_eq!(report(&text, ip_only).traffic.visitors, 1);
}

#[test]
fn local_time_buckets_follow_the_logged_offset() {
    let text = [
        line("192.0.2.1", "23:30:00 -0200", "/", 200, "-"),
        line("192.0.2.2", "00:30:00 +0000", "/", 200, "-"),
    ]
    .concat();
    let r = report(&text, TrafficConfig::default());
    let days: Vec<(&str, u64)> = r
        .time
        .by_day
        .iter()
        .map(|b| (b.at.as_str(), b.requests))
        .collect();
    // 23:30 -0200 is 01:30 UTC on the 2nd, but the log's local day is the 1st.
    assert_eq!(days, [("2024-03-01", 2)]);
    assert_eq!(
        (r.time.by_hour[23].requests, r.time.by_hour[0].requests),
        (1, 1)
    );
}

#[test]
fn a_browser_that_fetches_robots_txt_is_a_crawler_from_then_on() {
    let text = [
        line("198.51.100.7", "10:00:00", "/", 200, "-"),
        line("198.51.100.7", "10:00:01", "/robots.txt", 200, "-"),
        line("198.51.100.7", "10:00:02", "/product/1", 200, "-"),
        line("198.51.100.7", "10:00:03", "/product/2", 200, "-"),
        // Same address, another browser: still a human.
        line("198.51.100.7", "10:00:04", "/", 200, "-").replace("Chrome/120", "Chrome/121"),
    ]
    .concat();
    let r = report(&text, TrafficConfig::default());
    assert_eq!((r.traffic.human_requests, r.traffic.bot_requests), (2, 3));
    assert_eq!(r.traffic.pageviews, 2);
    assert_eq!(rows(&r.bots.by_family), [("robots_txt", 3)]);
    assert_eq!(r.bots.by_name[0].name, "(robots.txt fetcher)");
}
