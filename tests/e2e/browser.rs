//! The HTML report and the dashboard in a real browser (headless Chromium over WebDriver).

use std::io::Write;
use std::path::Path;

use serde_json::Value;

use crate::dashboard::{add_user, config, count_of, s, sample, sample_text};
use crate::http::Server;
use crate::webdriver::Browser;
use crate::{clickpath, run};

/// Switches that cut the browser off the network: no proxy answers and no name resolves.
const OFFLINE: [&str; 2] = [
    "--proxy-server=127.0.0.1:9",
    "--host-resolver-rules=MAP * ~NOTFOUND",
];

/// The page's figures: `data-kpi` name -> the text shown.
fn kpis(b: &Browser) -> Value {
    b.eval(
        "return Object.fromEntries([...document.querySelectorAll('[data-kpi]')]
           .map(e => [e.dataset.kpi, e.querySelector('.value').textContent]))",
    )
}

/// 2136 -> `2,136`, as the page (and `clickpath top`) print counts.
pub fn grouped(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `2,136` -> 2136.
fn shown(v: &Value) -> u64 {
    v.as_str().unwrap().replace(',', "").parse().unwrap()
}

/// The figures people look at first equal the JSON report's.
fn assert_figures(b: &Browser, report: &Value) {
    let k = kpis(b);
    let t = &report["traffic"];
    for name in ["visitors", "sessions", "pageviews", "bot_requests"] {
        assert_eq!(shown(&k[name]), t[name].as_u64().unwrap(), "{name}");
    }
    let bounce = format!("{:.1}%", t["bounce_rate"].as_f64().unwrap() * 100.0);
    assert_eq!(k["bounce_rate"].as_str().unwrap(), bounce);
    assert_eq!(
        shown(&k["conversions"]),
        report["funnels"][0]["conversions"].as_u64().unwrap()
    );
    assert_eq!(
        shown(&k["broken_internal_links"]),
        report["errors"]["broken_internal_links"].as_u64().unwrap()
    );
}

/// The funnel chart drew one bar per step, longest first, labelled with the step's sessions.
fn assert_funnel_chart(b: &Browser, report: &Value) {
    let bars = b.eval(
        "return [...document.querySelector('section[data-funnel] svg[data-chart=funnel]').querySelectorAll('g')]
           .map(g => [g.dataset.label, Number(g.querySelector('rect.bar').getAttribute('width')),
                      g.querySelector('title').textContent])",
    );
    let steps = report["funnels"][0]["steps"].as_array().unwrap();
    let bars = bars.as_array().unwrap();
    assert_eq!(bars.len(), steps.len());
    for (bar, step) in bars.iter().zip(steps) {
        assert_eq!(bar[0], step["name"]);
        let sessions = step["sessions"].as_u64().unwrap();
        assert!(
            bar[2].as_str().unwrap().contains(&format!(": {sessions}")),
            "{bar}"
        );
    }
    assert!(
        bars.windows(2)
            .all(|w| w[0][1].as_f64() >= w[1][1].as_f64())
    );
    assert!(bars[0][1].as_f64().unwrap() > 100.0);
}

fn json_report(dir: &Path) -> Value {
    let (code, out, err) =
        run(clickpath(dir).args(["report", "-q", "--json", "-c", s(&config()), s(&sample())]));
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap()
}

#[test]
fn the_report_file_opens_offline_with_the_reports_figures() {
    let dir = tempfile::tempdir().unwrap();
    let report = json_report(dir.path());
    let (code, _, err) = run(clickpath(dir.path()).args([
        "report",
        "-q",
        "--html",
        "report.html",
        "-c",
        s(&config()),
        s(&sample()),
    ]));
    assert_eq!(code, 0, "{err}");
    let b = Browser::start(&OFFLINE);
    b.goto(&format!(
        "file://{}",
        dir.path().join("report.html").display()
    ));
    b.wait("return document.body.dataset.rendered === '1'");
    assert_figures(&b, &report);
    assert_funnel_chart(&b, &report);
    // What was read, rejected lines included, heads the page.
    let head = b.eval("return document.getElementById('period').textContent");
    // loggen's truth: its malformed lines are the rejected ones, and the split by reason the
    // page shows adds up to them.
    let truth = crate::dashboard::sample_truth();
    let input = &report["input"];
    assert_eq!(input["rejected"], truth["malformed_lines"]);
    assert_eq!(input["requests"], truth["valid_requests"]);
    let head = head.as_str().unwrap();
    let split = head
        .rsplit_once("lines rejected (")
        .map(|(_, s)| s.trim_end_matches(')'))
        .unwrap_or_else(|| panic!("{head}"));
    let shown: u64 = split
        .split(", ")
        .map(|kv| kv.rsplit_once(' ').unwrap().1.parse::<u64>().unwrap())
        .sum();
    assert_eq!(shown, truth["malformed_lines"].as_u64().unwrap(), "{head}");
    let expected = format!(
        "{} requests, {} lines rejected (",
        grouped(truth["valid_requests"].as_u64().unwrap()),
        truth["malformed_lines"]
    );
    assert!(head.contains(&expected), "{head}");
    // Goals, with the report's conversions.
    let goals = b.eval(
        "const c = [...document.querySelectorAll('section.card')].find(s => s.querySelector('h2').textContent === 'Goals');
         return [...c.querySelector('table').rows].slice(1).map(r => [r.cells[0].textContent, r.cells[1].textContent])",
    );
    let want: Vec<Value> = report["goals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| serde_json::json!([g["name"], grouped(g["conversions"].as_u64().unwrap())]))
        .collect();
    assert!(!want.is_empty());
    assert_eq!(goals, Value::Array(want));
    // Nothing was fetched: every byte came from the file.
    assert_eq!(
        b.eval("return performance.getEntriesByType('resource').length"),
        0
    );
    b.screenshot("report.png");
}

#[test]
fn the_dashboard_shows_the_reports_figures_filters_and_drills_down() {
    let dir = tempfile::tempdir().unwrap();
    let report = json_report(dir.path());
    let server = Server::start(dir.path(), &["-c", s(&config()), s(&sample())]);
    let b = Browser::start(&[]);
    b.goto(&format!("http://{}/", server.addr));
    b.wait("return document.body.dataset.rendered === '1'");
    assert_figures(&b, &report);
    assert_funnel_chart(&b, &report);
    b.screenshot("dashboard.png");
    b.eval("document.querySelector('section[data-funnel]').scrollIntoView()");
    b.screenshot("dashboard-funnel.png");

    // A filter, chosen as a person would, changes the figures to the channel's sessions.
    let email = count_of(&report["acquisition"]["channels"], "email");
    b.click("select[name=channel]");
    b.click("select[name=channel] option[value=email]");
    b.wait("return document.body.dataset.rendered === '2'");
    assert_eq!(shown(&kpis(&b)["sessions"]), email);
    assert!(email < report["traffic"]["sessions"].as_u64().unwrap());

    // A bar of a chart narrows the dashboard to its value.
    b.click("select[name=channel] option[value='']");
    b.wait("return document.body.dataset.rendered === '3'");
    let mobile = count_of(&report["technology"]["devices"], "mobile");
    b.click("svg[data-chart=devices] g[data-label=mobile]");
    b.wait("return document.body.dataset.rendered === '4'");
    assert_eq!(shown(&kpis(&b)["sessions"]), mobile);
    assert_eq!(
        b.eval("return document.querySelector('select[name=device]').value"),
        "mobile"
    );

    // From a figure to its log lines: the 500s of the status table.
    b.click("select[name=device] option[value='']");
    b.wait("return document.body.dataset.rendered === '5'");
    let row = b.eval(
        "const card = [...document.querySelectorAll('section')].find(s => s.querySelector('h2').textContent === 'Status codes');
         const rows = [...card.querySelectorAll('tr')].filter(r => r.cells[0] && r.cells[0].textContent === '500' && r.querySelector('button.drill'));
         rows[0].querySelector('button.drill').id = 'drill-500'; return rows.length",
    );
    assert_eq!(row, 1);
    b.click("#drill-500");
    let lines = b.wait(
        "const p = document.querySelector('#drill:not([hidden]) pre'); return p && p.textContent",
    );
    let lines: Vec<&str> = lines.as_str().unwrap().lines().collect();
    let errors = count_of(&report["statuses"]["all"], "500");
    assert_eq!(lines.len() as u64, errors);
    for l in lines {
        assert!(l.contains("access.log.gz:") && l.contains("\" 500 "), "{l}");
    }
}

#[test]
fn login_is_required_off_loopback() {
    let dir = tempfile::tempdir().unwrap();
    add_user(dir.path(), "ana", "correct horse battery");
    let server = Server::start(
        dir.path(),
        &["--bind", "0.0.0.0:0", "--users", "users.json", s(&sample())],
    );
    let b = Browser::start(&[]);
    b.goto(&format!("http://127.0.0.1:{}/", server.port()));
    assert!(b.url().ends_with("/login"), "{}", b.url());
    assert_eq!(
        b.eval("return document.querySelectorAll('[data-kpi]').length"),
        0
    );
    b.type_into("input[name=user]", "ana");
    b.type_into("input[name=password]", "not the password");
    b.click("button[type=submit]");
    let error =
        b.wait("const e = document.getElementById('login-error'); return e && e.textContent");
    assert_eq!(error, "Wrong user name or password.");
    b.type_into("input[name=user]", "ana");
    b.type_into("input[name=password]", "correct horse battery");
    b.click("button[type=submit]");
    b.wait("return document.body.dataset.rendered === '1'");
    assert_eq!(
        shown(&kpis(&b)["sessions"]),
        crate::dashboard::sample_sessions().0
    );
    b.click("form.logout button");
    b.wait("return location.pathname === '/login'");
    b.goto(&format!("http://127.0.0.1:{}/", server.port()));
    assert!(b.url().ends_with("/login"));
}

/// Attack strings in every field a log carries into the page. Each sets `window.__pwned` or
/// opens an alert if it ever runs.
const HOSTILE: &str = r#"10.0.0.1 - - [01/Mar/2024:10:00:00 +0000] "GET /<script>window.__pwned=1</script> HTTP/1.1" 200 512 "https://shop.example.com/" "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
10.0.0.5 - - [01/Mar/2024:10:00:20 +0000] "GET /search?q=</script><script>alert(2)</script>&utm_source=<img/src=x/onerror=window.__pwned=3>&utm_medium=email&utm_campaign=x'\"-alert(4)-\"\\ HTTP/1.1" 200 512 "javascript:window.__pwned=5" "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
10.0.0.2 - - [01/Mar/2024:10:01:00 +0000] "GET /missing<svg/onload=window.__pwned=6> HTTP/1.1" 404 0 "https://shop.example.com/<b>bold</b><iframe/src=javascript:alert(7)>" "Mozilla/5.0 <img src=x onerror=window.__pwned=8> \"quoted\" \\backslash\\ (Windows NT 10.0) Chrome/120.0"
10.0.0.3 - - [01/Mar/2024:10:02:00 +0000] "GET /robots.txt HTTP/1.1" 200 10 "-" "<script>window.__pwned=9</script>EvilBot/1.0 (+http://evil.example/bot)"
10.0.0.4 - - [01/Mar/2024:10:03:00 +0000] "GET / HTTP/1.1" 200 512 "http://</title><script>alert(10)</script>.example/" "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15"
"#;

/// Only the elements the page script makes, and no event-handler attribute anywhere: markup
/// in a log string would have made others.
fn assert_only_our_elements(b: &Browser) {
    let foreign = b.eval(
        "const ours = new Set(['HTML', 'HEAD', 'META', 'TITLE', 'STYLE', 'LINK', 'SCRIPT', 'BODY', 'HEADER',
           'H1', 'H2', 'H3', 'SPAN', 'DIV', 'MAIN', 'NOSCRIPT', 'SECTION', 'P', 'TABLE', 'THEAD', 'TBODY',
           'TR', 'TH', 'TD', 'BUTTON', 'UL', 'LI', 'PRE', 'FORM', 'LABEL', 'INPUT', 'SELECT', 'OPTION',
           'DETAILS', 'SUMMARY', 'svg', 'g', 'rect', 'text', 'title', 'line']);
         return [...document.querySelectorAll('*')]
           .filter(e => !ours.has(e.tagName) || [...e.attributes].some(a => a.name.startsWith('on')))
           .map(e => e.outerHTML.slice(0, 200))",
    );
    assert_eq!(
        foreign,
        Value::Array(vec![]),
        "elements made from log strings"
    );
    let scripts = if b.url().starts_with("file:") { 2 } else { 1 };
    assert_eq!(b.eval("return document.scripts.length"), scripts);
}

/// Nothing ran, no element came from the data, and the strings are on the page as text.
fn assert_inert(b: &Browser, title: &str) {
    assert_eq!(b.alert(), None, "an alert opened");
    assert_eq!(b.eval("return typeof window.__pwned"), "undefined");
    assert_eq!(b.eval("return document.title"), title);
    assert_only_our_elements(b);
    let text = b.eval("return document.body.innerText");
    let text = text.as_str().unwrap();
    for shown in [
        "/<script>window.__pwned=1</script>",
        "<img/src=x/onerror=window.__pwned=3>",
        "/missing<svg/onload=window.__pwned=6>",
    ] {
        assert!(text.contains(shown), "{shown} is not shown as text");
    }
}

#[test]
fn hostile_log_content_is_shown_as_text_and_runs_nothing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hostile.log"), HOSTILE).unwrap();
    let (code, _, err) = run(clickpath(dir.path()).args([
        "report",
        "-q",
        "--html",
        "hostile.html",
        "--site-host",
        "shop.example.com",
        "hostile.log",
    ]));
    assert_eq!(code, 0, "{err}");
    let html = std::fs::read_to_string(dir.path().join("hostile.html")).unwrap();
    assert_eq!(
        html.matches("<script").count(),
        2,
        "only the page's own two script elements"
    );

    let b = Browser::start(&OFFLINE);
    b.goto(&format!(
        "file://{}",
        dir.path().join("hostile.html").display()
    ));
    b.wait("return document.body.dataset.rendered === '1'");
    assert_inert(&b, "clickpath report");
    // The bot's name is what its user agent says before the first `/`.
    let bots = b.eval("return document.body.innerText.includes('<script>window.__pwned=9<')");
    assert_eq!(bots, true);

    let server = Server::start(
        dir.path(),
        &["--site-host", "shop.example.com", "hostile.log"],
    );
    let b = Browser::start(&[]);
    b.goto(&format!("http://{}/", server.addr));
    b.wait("return document.body.dataset.rendered === '1'");
    assert_inert(&b, "clickpath dashboard");
    // The raw lines of the broken link, user agent and all, as text.
    b.eval(
        "const r = [...document.querySelectorAll('tr')].find(r => r.cells[1] && r.cells[1].textContent.startsWith('/missing'));
         r.querySelector('button.drill').id = 'drill-404';",
    );
    b.click("#drill-404");
    let lines = b.wait(
        "const p = document.querySelector('#drill:not([hidden]) pre'); return p && p.textContent",
    );
    assert!(
        lines
            .as_str()
            .unwrap()
            .contains(r#"<img src=x onerror=window.__pwned=8> \"quoted\" \\backslash\\"#),
        "{lines}"
    );
    assert_inert(&b, "clickpath dashboard");
}

#[test]
fn an_open_dashboard_follows_a_growing_log() {
    let dir = tempfile::tempdir().unwrap();
    let report = json_report(dir.path());
    let text = sample_text();
    let lines: Vec<&str> = text.lines().collect();
    let log = dir.path().join("access.log");
    std::fs::write(&log, lines[..4000].join("\n") + "\n").unwrap();
    let server = Server::start(
        dir.path(),
        &["--follow", "--poll", "1s", "-c", s(&config()), "access.log"],
    );
    let b = Browser::start(&[]);
    b.goto(&format!("http://{}/", server.addr));
    b.wait("return document.body.dataset.rendered === '1'");
    let before = shown(&kpis(&b)["sessions"]);
    assert!(before < report["traffic"]["sessions"].as_u64().unwrap());
    b.wait("return document.getElementById('live').classList.contains('on')");
    let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    f.write_all((lines[4000..].join("\n") + "\n").as_bytes())
        .unwrap();
    drop(f);
    // No reload: the page hears of the new lines and fetches the figures again (the ingest
    // may meet the write half done, so possibly in two steps).
    let sessions = grouped(report["traffic"]["sessions"].as_u64().unwrap());
    b.wait(&format!(
        "return document.querySelector('[data-kpi=sessions] .value').textContent === '{sessions}'"
    ));
    assert_figures(&b, &report);
    let live = b.eval("return document.getElementById('live').textContent");
    assert!(
        live.as_str().unwrap().starts_with("live, updated"),
        "{live}"
    );
}

#[test]
fn real_attack_logs_render_as_text() {
    // Acunetix, Netsparker and w3af scanning DVWA: thousands of real XSS and SQLi payloads.
    let dir = tempfile::tempdir().unwrap();
    let logs: Vec<String> = ["acunetix.txt", "netsparker.txt", "w3af.txt"]
        .iter()
        .map(|f| {
            crate::corpus()
                .join("scanner-attacks-apache")
                .join(f)
                .display()
                .to_string()
        })
        .collect();
    let (code, _, err) = run(clickpath(dir.path())
        .args(["report", "-q", "--top", "500", "--html", "attacks.html"])
        .args(&logs));
    assert_eq!(code, 0, "{err}");
    let b = Browser::start(&OFFLINE);
    b.goto(&format!(
        "file://{}",
        dir.path().join("attacks.html").display()
    ));
    b.wait("return document.body.dataset.rendered === '1'");
    let shown = b.eval(
        "return [...document.querySelectorAll('td')].filter(td => /<script|onerror|javascript:/i.test(td.textContent)).length",
    );
    // Most payloads sit in query strings, which the tables do not show; paths, user agents
    // and referrers carry some.
    assert!(
        shown.as_u64().unwrap() >= 5,
        "the payloads are on the page as text: {shown}"
    );
    assert_eq!(b.alert(), None, "an alert opened");
    assert_only_our_elements(&b);

    // The dashboard, and the raw lines of the pages with payloads.
    let mut args = vec!["--top", "500"];
    args.extend(logs.iter().map(String::as_str));
    let server = Server::start(dir.path(), &args);
    let b = Browser::start(&[]);
    b.goto(&format!("http://{}/", server.addr));
    b.wait("return document.body.dataset.rendered === '1'");
    assert_only_our_elements(&b);
    let found = b.eval(
        "const r = [...document.querySelectorAll('tr')].find(r => r.cells[0] && /<script/i.test(r.cells[0].textContent) && r.querySelector('button.drill'));
         if (!r) return false; r.querySelector('button.drill').id = 'drill-xss'; return true",
    );
    assert_eq!(found, true);
    b.click("#drill-xss");
    let lines = b.wait(
        "const p = document.querySelector('#drill:not([hidden]) pre'); return p && p.textContent",
    );
    assert!(
        lines.as_str().unwrap().to_lowercase().contains("<script"),
        "{lines}"
    );
    assert_eq!(b.alert(), None, "an alert opened");
    assert_only_our_elements(&b);
}

/// The sample's outage on the dashboard: on the timeline, in the incidents table with the
/// report's figures, its story, and its error-log lines one click away (as many as the API has).
#[test]
fn the_incidents_card_tells_the_outage_and_shows_its_error_log_lines() {
    let dir = tempfile::tempdir().unwrap();
    let error_log = sample().with_file_name("error.log.gz");
    let (code, out, err) = run(clickpath(dir.path()).args([
        "report",
        "-q",
        "--json",
        "-c",
        s(&config()),
        s(&sample()),
        s(&error_log),
    ]));
    assert_eq!(code, 0, "{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    let incident = &report["incidents"][0];
    // loggen's truth: one outage, 10:00 to 10:15 UTC.
    let truth = crate::dashboard::sample_truth();
    assert_eq!(truth["incidents"][0]["start"], "2024-03-01T10:00:00Z");
    assert!(
        incident["start"]
            .as_str()
            .unwrap()
            .starts_with("2024-03-01T10:0")
    );

    let server = Server::start(
        dir.path(),
        &["-c", s(&config()), s(&sample()), s(&error_log)],
    );
    let b = Browser::start(&[]);
    b.goto(&format!("http://{}/", server.addr));
    b.wait("return document.body.dataset.rendered === '1'");
    let card = "document.querySelector('section[data-card=incidents]')";
    let row = b.eval(&format!(
        "return [...{card}.querySelector('table').rows[1].cells].map(c => c.textContent)"
    ));
    assert_eq!(row[0], "error burst");
    assert_eq!(row[1], incident["start"]);
    assert_eq!(
        row[3],
        grouped(incident["requests"].as_u64().unwrap()).as_str()
    );
    // The timeline shades the incident.
    assert_eq!(
        b.eval(&format!(
            "return {card}.querySelectorAll('svg[data-chart=timeline] rect.incident').length"
        )),
        1
    );
    b.eval(&format!("{card}.scrollIntoView()"));
    b.click("section[data-card=incidents] details summary");
    let story = b.eval(&format!(
        "return {card}.querySelector('details p').textContent"
    ));
    assert_eq!(story, incident["story"]);
    b.screenshot("dashboard-incidents.png");
    b.eval(&format!(
        "[...{card}.querySelectorAll('details button')].find(x => x.textContent === 'all error-log lines').id = 'lines'"
    ));
    b.click("#lines");
    let shown = b.wait(
        "const p = document.querySelector('#drill:not([hidden]) pre'); return p && p.textContent",
    );
    let api = crate::http::http(
        &server.addr,
        "GET",
        &format!(
            "/api/error-lines?start={}&end={}&limit=200",
            incident["start"].as_str().unwrap(),
            incident["end"].as_str().unwrap()
        ),
        &[],
        None,
    )
    .json();
    let lines: Vec<&str> = shown.as_str().unwrap().lines().collect();
    assert_eq!(
        lines.len() as u64,
        api["events"].as_array().unwrap().len() as u64
    );
    assert!(!lines.is_empty());
    assert!(lines[0].contains("error.log.gz:"), "{}", lines[0]);
    assert_only_our_elements(&b);
}
