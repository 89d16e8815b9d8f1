//! The pages: the self-contained report file, the dashboard and the login form.
//!
//! The report file inlines the stylesheet, the script and the data; its Content-Security-Policy
//! allows exactly that script and that stylesheet (by hash), so nothing else can run even if a
//! log string escaped its JSON. The data is JSON in a `<script type="application/json">` with
//! `<`, `>` and `&` written as `\u003c` etc., so no log string can end the element.

use base64::Engine;
use sha2::{Digest, Sha256};

/// The script both pages run.
pub const APP_JS: &str = include_str!("../assets/app.js");
/// Their stylesheet.
pub const APP_CSS: &str = include_str!("../assets/app.css");

/// `'sha256-...'` of an inline element's text, as CSP wants it.
fn csp_hash(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// JSON safe inside `<script type="application/json">`: `<`, `>` and `&` only occur inside
/// JSON strings, where `\u003c` means the same character.
pub fn script_json(value: &serde_json::Value) -> String {
    let text = serde_json::to_string(value).expect("a JSON value serialises");
    let mut out = String::with_capacity(text.len() + 64);
    for c in text.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// Text for HTML element content and quoted attributes.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The policy of the report file (a `<meta>` element: a file has no headers).
pub fn report_csp() -> String {
    format!(
        "default-src 'none'; script-src {}; style-src {}; img-src data:; base-uri 'none'; form-action 'none'",
        csp_hash(APP_JS),
        csp_hash(APP_CSS)
    )
}

/// The report as one HTML file: opens offline, fetches nothing.
pub fn report_page(report: &serde_json::Value, title: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{css}</style>
</head>
<body data-mode="report">
<header class="top"><h1>{title}</h1><span class="meta" id="period"></span></header>
<div id="error"></div>
<main id="report"><noscript>This report draws its tables and charts with JavaScript; the data is in the report-data element of this file.</noscript></main>
<div id="drill" hidden></div>
<script type="application/json" id="report-data">{data}</script>
<script>{js}</script>
</body>
</html>
"#,
        csp = escape(&report_csp()),
        title = escape(title),
        css = APP_CSS,
        data = script_json(report),
        js = APP_JS,
    )
}

/// The dashboard shell; the script fetches the figures from the API.
pub fn dashboard_page(user: Option<&str>, csrf: Option<&str>) -> String {
    let logout = match (user, csrf) {
        (Some(user), Some(csrf)) => format!(
            r#"<form class="logout" method="post" action="/logout"><span class="meta">{}</span> <input type="hidden" name="csrf" value="{}"><button type="submit">Log out</button></form>"#,
            escape(user),
            escape(csrf)
        ),
        _ => String::new(),
    };
    format!(
        r#"{head}
<body data-mode="live">
<header class="top"><h1>clickpath dashboard</h1><span class="meta" id="period"></span><span class="live" id="live">live</span>{logout}</header>
<form class="filters" id="filters">
<label>From <input type="date" name="from"></label>
<label>To <input type="date" name="to"></label>
<label>Channel <select name="channel"><option value="">all</option></select></label>
<label>Campaign <select name="campaign"><option value="">all</option></select></label>
<label>Device <select name="device"><option value="">all</option></select></label>
<label>Country <select name="country"><option value="">all</option></select></label>
<label>Traffic <select name="audience"><option value="">humans and bots</option><option value="humans">humans only</option><option value="bots">bots only</option></select></label>
</form>
<div id="error"></div>
<main id="report"><noscript>The dashboard needs JavaScript; the same figures are at /api/report.</noscript></main>
<div id="drill" hidden></div>
<script src="/assets/app.js"></script>
</body>
</html>
"#,
        head = served_head("clickpath dashboard")
    )
}

/// The start of a page the server serves: its stylesheet comes from `/assets` (CSP `'self'`).
fn served_head(title: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{}</title>
<link rel="stylesheet" href="/assets/app.css">
</head>"#,
        escape(title)
    )
}

/// The login form. `error` is our own text, never a log's.
pub fn login_page(csrf: &str, error: Option<&str>) -> String {
    let error = error
        .map(|e| format!(r#"<p class="error" id="login-error">{}</p>"#, escape(e)))
        .unwrap_or_default();
    format!(
        r#"{head}
<body>
<form class="login" method="post" action="/login">
<h1>clickpath</h1>
{error}
<input type="hidden" name="csrf" value="{csrf}">
<label>User <input name="user" autocomplete="username" required autofocus></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">Log in</button>
</form>
</body>
</html>
"#,
        csrf = escape(csrf),
        head = served_head("clickpath: log in"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_strings_cannot_end_the_data_element() {
        let v =
            serde_json::json!({"path": "</script><script>alert(1)</script>", "q": "a&b>c\u{2028}"});
        let page = report_page(&v, "t");
        assert_eq!(
            page.matches("</script>").count(),
            2,
            "only our two elements end"
        );
        let inner = script_json(&v);
        assert!(!inner.contains('<') && !inner.contains('>') && !inner.contains('&'));
        let back: serde_json::Value = serde_json::from_str(&inner).unwrap();
        assert_eq!(back, v);
    }

    #[test]
    fn our_own_assets_hold_nothing_that_ends_their_element() {
        assert!(!APP_JS.to_ascii_lowercase().contains("</script"));
        assert!(!APP_CSS.to_ascii_lowercase().contains("</style"));
        assert!(!APP_JS.contains("innerHTML") && !APP_JS.contains("eval("));
    }

    #[test]
    fn the_policy_names_the_inline_script_by_hash() {
        let csp = report_csp();
        assert!(csp.starts_with("default-src 'none'; script-src 'sha256-"));
        assert!(!csp.contains("unsafe"));
    }
}
