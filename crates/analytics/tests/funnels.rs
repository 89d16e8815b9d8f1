//! Funnels, goals and error impact on small hand-written logs with response times.

mod common;

use clickpath_analytics::report::TrafficReport;
use clickpath_analytics::{FileConfig, Money, TrafficConfig};
use clickpath_formats::presets::resolve;

const UA: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0";
const FORMAT: &str = r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time"#;

const CONFIG: &str = r#"
average_order_value = 50.0
currency = "EUR"

[[funnel]]
name = "checkout"
steps = [
  { name = "product",  path = "/product/*" },
  { name = "cart",     path = "/cart" },
  { name = "checkout", path = "/checkout" },
  { name = "payment",  path = "/checkout/payment" },
  { name = "confirm",  path = "/checkout/confirm" },
]

[[funnel]]
name = "within a day"
mode = "window"
window = "24h"
steps = [{ name = "product", path = "/product/*" }, { name = "confirm", path = "/checkout/confirm" }]

[[goal]]
name = "order"
funnel = "checkout"

[[goal]]
name = "add to cart"
path = "/cart/add"
method = "POST"
status = "3xx"
"#;

/// `ip HH:MM:SS METHOD target status [referrer] duration_s`
fn log(lines: &[(&str, &str, &str, &str, u16, &str, &str)]) -> String {
    lines
        .iter()
        .map(|(ip, time, method, target, status, referrer, dur)| {
            format!("{ip} - - [01/Mar/2024:{time} +0000] \"{method} {target} HTTP/1.1\" {status} 10 \"{referrer}\" \"{UA}\" {dur}\n")
        })
        .collect()
}

fn report(text: &str) -> TrafficReport {
    let file: FileConfig = toml::from_str(CONFIG).unwrap();
    let (funnels, goals) = file.build().unwrap();
    let cfg = TrafficConfig {
        funnels,
        goals,
        money: Money {
            average_order_value: file.average_order_value,
            currency: file.currency.clone(),
        },
        site_hosts: vec!["shop.example.com".into()],
        ..TrafficConfig::default()
    };
    common::report_of(resolve(FORMAT).unwrap(), text, cfg)
}

const S: &str = "https://shop.example.com/";

fn shop() -> String {
    log(&[
        // A: reaches checkout, gets a 500 on payment, leaves.
        (
            "192.0.2.1",
            "10:00:00",
            "GET",
            "/product/1?utm_source=news&utm_medium=email&utm_campaign=may",
            200,
            "-",
            "0.080",
        ),
        (
            "192.0.2.1",
            "10:01:00",
            "POST",
            "/cart/add",
            302,
            S,
            "0.020",
        ),
        ("192.0.2.1", "10:01:01", "GET", "/cart", 200, S, "0.050"),
        ("192.0.2.1", "10:02:00", "GET", "/checkout", 200, S, "0.150"),
        (
            "192.0.2.1",
            "10:03:00",
            "GET",
            "/checkout/payment",
            500,
            S,
            "2.500",
        ),
        // B: converts, no error; the confirm page is slow.
        (
            "192.0.2.2",
            "10:00:00",
            "GET",
            "/product/2",
            200,
            "https://www.google.com/",
            "0.090",
        ),
        ("192.0.2.2", "10:00:30", "GET", "/cart", 200, S, "0.050"),
        ("192.0.2.2", "10:01:30", "GET", "/checkout", 200, S, "0.150"),
        (
            "192.0.2.2",
            "10:02:30",
            "GET",
            "/checkout/payment",
            200,
            S,
            "0.400",
        ),
        (
            "192.0.2.2",
            "10:03:30",
            "GET",
            "/checkout/confirm?order=1",
            200,
            S,
            "1.200",
        ),
        // C: product, cart, leaves without error; a confirm page before the funnel does not count.
        (
            "192.0.2.3",
            "10:00:00",
            "GET",
            "/checkout/confirm",
            200,
            "-",
            "0.100",
        ),
        (
            "192.0.2.3",
            "10:00:10",
            "GET",
            "/product/3",
            200,
            S,
            "0.070",
        ),
        ("192.0.2.3", "10:00:20", "GET", "/cart", 200, S, "0.040"),
        // D: product, follows an internal link to a missing product (404), leaves.
        (
            "192.0.2.4",
            "10:00:00",
            "GET",
            "/product/4",
            200,
            "https://t.co/x",
            "0.060",
        ),
        (
            "192.0.2.4",
            "10:00:10",
            "GET",
            "/product/999",
            404,
            "https://shop.example.com/product/4",
            "0.010",
        ),
        // E: product now, confirm 3 hours later in another session: a conversion in the 24 h
        // window funnel only. Rate-limited once (429) on the way.
        (
            "192.0.2.5",
            "10:00:00",
            "GET",
            "/product/5",
            200,
            "-",
            "0.060",
        ),
        (
            "192.0.2.5",
            "13:00:00",
            "GET",
            "/search?q=x",
            429,
            "-",
            "0.001",
        ),
        (
            "192.0.2.5",
            "13:00:05",
            "GET",
            "/checkout/confirm",
            200,
            "-",
            "0.100",
        ),
        // An inbound link from another site to a missing page.
        (
            "192.0.2.6",
            "10:00:00",
            "GET",
            "/old-page",
            404,
            "https://blog.example.org/post",
            "0.010",
        ),
    ])
}

#[test]
fn steps_in_order_with_times_and_error_impact() {
    let r = report(&shop());
    let f = &r.funnels[0];
    let steps: Vec<(&str, u64)> = f
        .steps
        .iter()
        .map(|s| (s.name.as_str(), s.sessions))
        .collect();
    assert_eq!(
        steps,
        [
            ("product", 5),
            ("cart", 3),
            ("checkout", 2),
            ("payment", 1),
            ("confirm", 1)
        ]
    );
    assert_eq!(
        (f.conversions, f.conversion_rate, f.revenue),
        (1, 0.2, Some(50.0))
    );
    assert_eq!(
        (f.steps[1].conversion_from_previous, f.steps[1].drop_off),
        (0.6, 2)
    );
    // cart after product: 61 s (A), 30 s (B), 10 s (C).
    assert_eq!(
        (
            f.steps[1].median_s_from_previous,
            f.steps[1].p90_s_from_previous
        ),
        (Some(30), Some(61))
    );
    // The contract figure: one session got a 5xx on a step URL and did not convert.
    assert_eq!(
        (f.server_errors.sessions, f.server_errors.not_converted),
        (1, 1)
    );
    let kinds: Vec<(&str, u64, u64)> = f
        .errors_in_funnel
        .iter()
        .map(|k| (k.kind.as_str(), k.sessions, k.not_converted))
        .collect();
    assert_eq!(
        kinds,
        [
            ("server", 1, 1),
            ("rejected", 0, 0),
            ("not_found", 1, 1),
            ("other_4xx", 0, 0),
            ("any", 2, 2)
        ]
    );
    let paths: Vec<(u16, &str, u64)> = f
        .error_paths
        .iter()
        .map(|e| (e.status, e.path.as_str(), e.not_converted))
        .collect();
    // Ties put server errors first.
    assert_eq!(
        paths,
        [(500, "/checkout/payment", 1), (404, "/product/999", 1)]
    );
    // Who left where: A after checkout (after an error), C after cart, D and E after product.
    let left: Vec<(u64, u64)> = f
        .steps
        .iter()
        .map(|s| (s.left_here, s.left_after_error))
        .collect();
    assert_eq!(left, [(2, 1), (1, 0), (1, 1), (0, 0), (0, 0)]);
    // Lost conversions: A errored at checkout (clean rate from checkout: B 1/1) + D errored at
    // product (clean rate from product: B of B, C, E = 1/3).
    let lost = f.lost_conversions.as_ref().unwrap();
    assert_eq!(lost.by_step[2].lost, 1.0);
    assert_eq!(
        (
            lost.by_step[0].errored_and_left,
            lost.by_step[0].clean_conversion_rate
        ),
        (1, 0.3333)
    );
    assert_eq!(lost.estimate, 1.33);
    assert_eq!(lost.value, Some(66.5));
    // Response times of step page views, and conversion by landing speed.
    // 1.2 s, reported as the upper bound of its histogram bucket (within 25%).
    assert!(
        f.steps[4]
            .duration_p50_ms
            .is_some_and(|ms| (1200..=1500).contains(&ms))
    );
    let speed: Vec<(&str, u64, u64)> = f
        .by_speed
        .iter()
        .map(|b| (b.bucket.as_str(), b.sessions, b.conversions))
        .collect();
    // Landing page views: A, B, D and E's first session under 100 ms; C's and E's second
    // session's landing (a confirm page) took 100 ms.
    assert_eq!(speed, [("<100ms", 4, 1), ("100-300ms", 2, 0)]);
    // Breakdown by channel: B came from Google.
    let b = f.breakdown.as_ref().unwrap();
    let organic = b
        .channel
        .iter()
        .find(|c| c.value == "organic_search")
        .unwrap();
    assert_eq!(
        (organic.steps.clone(), organic.conversion_rate),
        (vec![1, 1, 1, 1, 1], 1.0)
    );
    assert_eq!(b.campaign[0].value, "news / email / may");
}

#[test]
fn window_funnels_cross_sessions() {
    let r = report(&shop());
    let w = &r.funnels[1];
    assert_eq!(w.mode, "window");
    // B converts in-session, E across two sessions; C's confirm came before its product.
    assert_eq!((w.steps[0].sessions, w.conversions), (5, 2));
}

#[test]
fn goals_broken_links_and_rejected_requests() {
    let r = report(&shop());
    let goals: Vec<(&str, u64, Option<f64>)> = r
        .goals
        .iter()
        .map(|g| (g.name.as_str(), g.conversions, g.value))
        .collect();
    // A goal is its pattern anywhere in a session: B, C and E reached the confirm page (only B
    // through the funnel in order).
    assert_eq!(goals, [("order", 3, Some(150.0)), ("add to cart", 1, None)]);
    assert_eq!(
        r.goals[1]
            .by_channel
            .iter()
            .find(|c| c.value == "email")
            .unwrap()
            .conversions,
        1
    );
    let e = &r.errors;
    assert_eq!(e.broken_internal_links, 1);
    let l = &e.internal_links[0];
    assert_eq!(
        (
            l.source.as_str(),
            l.target.as_str(),
            l.hits,
            l.sessions,
            l.in_funnel_sessions
        ),
        ("/product/4", "/product/999", 1, 1, 1)
    );
    let x = &e.external_links[0];
    assert_eq!(
        (x.source.as_str(), x.target.as_str(), x.in_funnel_sessions),
        ("blog.example.org", "/old-page", 0)
    );
    assert_eq!(
        (e.rejected_humans.requests, e.rejected_humans.sessions),
        (1, 1)
    );
    assert_eq!(e.rejected_humans.by_status[0].value, "429");
    let slow = e
        .slow_pages
        .iter()
        .find(|p| p.path == "/checkout/confirm")
        .unwrap();
    assert_eq!(slow.views, 3);
}

#[test]
fn configuration_mistakes_are_explained() {
    let cases = [
        (
            "[[funnel]]\nname = \"f\"\nsteps = []\n",
            "funnel `f` has no steps",
        ),
        (
            "[[funnel]]\nname = \"f\"\nsteps = [{ name = \"a\", path = \"/a\" }]\n[[goal]]\nname = \"g\"\nfunnel = \"nope\"\n",
            "no funnel named `nope`",
        ),
        (
            "[[funnel]]\nname = \"f\"\nwindow = \"1h\"\nsteps = [{ name = \"a\", path = \"/a\" }]\n",
            "needs mode = \"window\"",
        ),
        (
            "[[funnel]]\nname = \"f\"\nsteps = [{ name = \"a\", regex = \"(\" }]\n",
            "funnel `f`, step 1 `a`: bad regex",
        ),
    ];
    for (toml_text, want) in cases {
        let file: FileConfig = toml::from_str(toml_text).unwrap();
        let err = file.build().unwrap_err().to_string();
        assert!(err.contains(want), "{err}");
    }
    let err = toml::from_str::<FileConfig>("[[funnel]]\nname = \"f\"\nstep = []\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown field `step`"), "{err}");
}
