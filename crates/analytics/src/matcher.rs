//! Which requests a funnel step or a goal matches: a path glob or regex, and optionally a
//! method, a status class and query-parameter conditions.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// How a step or goal is written in `clickpath.toml`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MatchConfig {
    /// Glob on the path (without query): `*` within a segment, `**` across segments.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Regular expression on the path (anchored at both ends).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
    /// HTTP method. Without `method` and `status`, only page views match.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Status or status class: `200`, `2xx`, `3xx`...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Query parameters: `{ order = "*" }` (present), `{ utm_source = "google" }` (equal).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub query: std::collections::BTreeMap<String, String>,
}

#[derive(Clone, Debug)]
enum PathRule {
    Glob(Vec<u8>),
    Regex(regex::Regex),
}

/// A compiled matcher.
#[derive(Clone, Debug)]
pub struct Matcher {
    /// What it was compiled from, as JSON (the `request_matches` SQL function's first argument).
    spec: String,
    path: PathRule,
    method: Option<String>,
    status: Option<(u16, u16)>,
    query: Vec<(String, Option<String>)>,
}

/// One request as the matcher sees it.
pub struct Request<'a> {
    pub method: Option<&'a str>,
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub status: Option<u16>,
    pub is_pageview: bool,
}

impl Matcher {
    pub fn compile(cfg: &MatchConfig, what: &str) -> Result<Self> {
        let bad = |reason: String| Error::Config(format!("{what}: {reason}"));
        let path = match (&cfg.path, &cfg.regex) {
            (Some(g), None) => PathRule::Glob(g.as_bytes().to_vec()),
            (None, Some(r)) => PathRule::Regex(
                regex::Regex::new(&format!("^(?:{r})$"))
                    .map_err(|e| bad(format!("bad regex `{r}`: {e}")))?,
            ),
            (Some(_), Some(_)) => return Err(bad("give `path` or `regex`, not both".into())),
            (None, None) => return Err(bad("needs a `path` glob or a `regex`".into())),
        };
        let status = match cfg.status.as_deref() {
            None => None,
            Some(s) => Some(
                parse_status(s)
                    .ok_or_else(|| bad(format!("status `{s}` is not like 200 or 2xx")))?,
            ),
        };
        Ok(Self {
            spec: serde_json::to_string(cfg).expect("a match config serializes"),
            path,
            method: cfg.method.as_ref().map(|m| m.to_ascii_uppercase()),
            status,
            query: cfg
                .query
                .iter()
                .map(|(k, v)| (k.clone(), (v != "*").then(|| v.clone())))
                .collect(),
        })
    }

    /// A matcher from a bare path glob (CLI shorthand).
    pub fn glob(path: &str) -> Self {
        let cfg = MatchConfig {
            path: Some(path.to_owned()),
            ..Default::default()
        };
        Self {
            spec: serde_json::to_string(&cfg).expect("a match config serializes"),
            path: PathRule::Glob(path.as_bytes().to_vec()),
            method: None,
            status: None,
            query: Vec::new(),
        }
    }

    /// The matcher of a [`Matcher::spec`].
    pub fn from_spec(spec: &str) -> Result<Self> {
        let cfg: MatchConfig = serde_json::from_str(spec)
            .map_err(|e| Error::Config(format!("match spec `{spec}`: {e}")))?;
        Self::compile(&cfg, "match spec")
    }

    /// What it was compiled from, as JSON: `{"path":"/checkout/**","method":"POST"}`.
    pub fn spec(&self) -> &str {
        &self.spec
    }

    /// The method a request must have, if any.
    pub fn method(&self) -> Option<&str> {
        self.method.as_deref()
    }

    /// What every matching path begins with: a glob's text before its first wildcard (None for
    /// a regex). A cheap test a query can run before [`Matcher::matches`].
    pub fn path_prefix(&self) -> Option<&str> {
        match &self.path {
            PathRule::Glob(g) => {
                let end = g.iter().position(|&c| c == b'*' || c == b'?');
                std::str::from_utf8(&g[..end.unwrap_or(g.len())]).ok()
            }
            PathRule::Regex(_) => None,
        }
    }

    /// Whether this matcher looks at page views only (no method or status given).
    pub fn pageviews_only(&self) -> bool {
        self.method.is_none() && self.status.is_none()
    }

    /// The path (and query) conditions alone: used to tie an error response to a step.
    pub fn matches_path(&self, path: &str, query: Option<&str>) -> bool {
        let ok = match &self.path {
            PathRule::Glob(g) => glob_match(g, path.as_bytes()),
            PathRule::Regex(r) => r.is_match(path),
        };
        ok && self.query.iter().all(|(k, want)| {
            query_param(query, k).is_some_and(|v| want.as_deref().is_none_or(|w| w == v))
        })
    }

    pub fn matches(&self, r: &Request<'_>) -> bool {
        if self.pageviews_only() && !r.is_pageview {
            return false;
        }
        if let Some(m) = &self.method
            && r.method != Some(m.as_str())
        {
            return false;
        }
        if let Some((lo, hi)) = self.status
            && !r.status.is_some_and(|s| (lo..=hi).contains(&s))
        {
            return false;
        }
        self.matches_path(r.path, r.query)
    }
}

/// The bits (one per matcher, in order) of the matchers request `r` matches, and of those whose
/// path conditions alone it matches when it is a 5xx (a server error on a step's URL).
pub fn match_bits<'a>(matchers: impl Iterator<Item = &'a Matcher>, r: &Request<'_>) -> (u64, u64) {
    let (mut matches, mut path_matches) = (0u64, 0u64);
    let server_error = r.status.is_some_and(|s| s >= 500);
    for (i, m) in matchers.enumerate() {
        if m.matches(r) {
            matches |= 1 << i;
        }
        if server_error && m.matches_path(r.path, r.query) {
            path_matches |= 1 << i;
        }
    }
    (matches, path_matches)
}

fn parse_status(s: &str) -> Option<(u16, u16)> {
    let s = s.trim().to_ascii_lowercase();
    if let Some(class) = s.strip_suffix("xx") {
        let c: u16 = class.parse().ok().filter(|c| (1..=5).contains(c))?;
        return Some((c * 100, c * 100 + 99));
    }
    let n: u16 = s.parse().ok().filter(|n| (100..=599).contains(n))?;
    Some((n, n))
}

fn query_param<'a>(query: Option<&'a str>, key: &str) -> Option<&'a str> {
    query?
        .split('&')
        .map(|p| p.split_once('=').unwrap_or((p, "")))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v)
}

/// `*` any run without `/`, `**` any run, `?` one character other than `/`.
fn glob_match(p: &[u8], s: &[u8]) -> bool {
    match p.split_first() {
        None => s.is_empty(),
        Some((b'*', rest)) => {
            if let Some(after) = rest.strip_prefix(b"*") {
                (0..=s.len()).any(|i| glob_match(after, &s[i..]))
            } else {
                let stop = s.iter().position(|&c| c == b'/').unwrap_or(s.len());
                (0..=stop).any(|i| glob_match(rest, &s[i..]))
            }
        }
        Some((b'?', rest)) => s.first().is_some_and(|&c| c != b'/') && glob_match(rest, &s[1..]),
        Some((c, rest)) => s.first() == Some(c) && glob_match(rest, &s[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_prefix_is_what_every_match_begins_with() {
        // Hand-picked: the text before the first wildcard, the whole glob without one.
        assert_eq!(
            Matcher::glob("/product/*/reviews").path_prefix(),
            Some("/product/")
        );
        assert_eq!(Matcher::glob("/cart").path_prefix(), Some("/cart"));
        assert_eq!(Matcher::glob("**").path_prefix(), Some(""));
        assert!(Matcher::glob("/product/*/reviews").matches_path("/product/7/reviews", None));
        let re = MatchConfig {
            regex: Some("/newsletter/.*".into()),
            ..Default::default()
        };
        assert_eq!(Matcher::compile(&re, "t").unwrap().path_prefix(), None);
    }

    fn req<'a>(
        method: &'a str,
        path: &'a str,
        query: Option<&'a str>,
        status: u16,
        page: bool,
    ) -> Request<'a> {
        Request {
            method: Some(method),
            path,
            query,
            status: Some(status),
            is_pageview: page,
        }
    }

    #[test]
    fn globs() {
        assert!(glob_match(b"/product/*", b"/product/1133"));
        assert!(!glob_match(b"/product/*", b"/product/1133/reviews"));
        assert!(glob_match(b"/product/**", b"/product/1133/reviews"));
        assert!(glob_match(b"/checkout", b"/checkout"));
        assert!(!glob_match(b"/checkout", b"/checkout/payment"));
        assert!(glob_match(b"/p?ge", b"/page"));
        assert!(glob_match(b"*.html", b"index.html"));
    }

    #[test]
    fn conditions() {
        let cfg = MatchConfig {
            path: Some("/checkout/confirm".into()),
            query: [("order".into(), "*".into())].into(),
            ..Default::default()
        };
        let m = Matcher::compile(&cfg, "t").unwrap();
        assert!(m.matches(&req(
            "GET",
            "/checkout/confirm",
            Some("order=12"),
            200,
            true
        )));
        assert!(!m.matches(&req("GET", "/checkout/confirm", None, 200, true)));
        assert!(
            !m.matches(&req(
                "GET",
                "/checkout/confirm",
                Some("order=12"),
                500,
                false
            )),
            "page views only"
        );
        let cfg = MatchConfig {
            path: Some("/cart/add".into()),
            method: Some("post".into()),
            status: Some("3xx".into()),
            ..Default::default()
        };
        let m = Matcher::compile(&cfg, "t").unwrap();
        assert!(m.matches(&req("POST", "/cart/add", None, 302, false)));
        assert!(!m.matches(&req("GET", "/cart/add", None, 302, false)));
        let cfg = MatchConfig {
            regex: Some(r"/product/\d+".into()),
            ..Default::default()
        };
        let m = Matcher::compile(&cfg, "t").unwrap();
        assert!(m.matches(&req("GET", "/product/12", None, 200, true)));
        assert!(!m.matches(&req("GET", "/product/12x", None, 200, true)));
        for (cfg, want) in [
            (MatchConfig::default(), "needs a `path`"),
            (
                MatchConfig {
                    path: Some("/".into()),
                    status: Some("7xx".into()),
                    ..Default::default()
                },
                "status `7xx`",
            ),
            (
                MatchConfig {
                    regex: Some("(".into()),
                    ..Default::default()
                },
                "bad regex",
            ),
        ] {
            let err = Matcher::compile(&cfg, "funnel checkout, step 2")
                .unwrap_err()
                .to_string();
            assert!(err.contains(want) && err.contains("step 2"), "{err}");
        }
    }
}
