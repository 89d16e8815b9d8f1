//! The HTTP routes, access control and the headers every response carries.
//!
//! Login: a form posts user, password and a token that must equal the `cp_login` cookie set
//! with the form (no login CSRF); failures are limited per client address. A session is a
//! random 256-bit cookie (`HttpOnly`, `SameSite=Strict`, `Secure` under TLS) kept in memory;
//! its CSRF token guards logout, the only other state-changing request. API tokens (`Bearer`)
//! are accepted on `GET /api/...` only: they read, never change anything.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::connect_info::Connected;
use axum::extract::{ConnectInfo, Form, Query, Request, State as Extract};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::WatchStream;

use crate::html::{self, APP_CSS, APP_JS};
use crate::tls::TlsListener;
use crate::users::{UsersFile, constant_time_eq, random_token};
use crate::{Backend, BackendError, Drill, Filter, Live};

const SESSION_COOKIE: &str = "cp_session";
const LOGIN_COOKIE: &str = "cp_login";
const SESSION_TTL: Duration = Duration::from_secs(12 * 3600);
/// Failed logins allowed per client address within [`FAILURE_WINDOW`].
const MAX_FAILURES: u32 = 5;
const FAILURE_WINDOW: Duration = Duration::from_secs(60);
/// Reports kept per data version (a dashboard's filters come back to the same few).
const CACHED_REPORTS: usize = 64;

/// The client's address.
#[derive(Clone, Copy, Debug)]
pub struct Peer(pub SocketAddr);

impl Connected<axum::serve::IncomingStream<'_, tokio::net::TcpListener>> for Peer {
    fn connect_info(s: axum::serve::IncomingStream<'_, tokio::net::TcpListener>) -> Self {
        Peer(*s.remote_addr())
    }
}

impl Connected<axum::serve::IncomingStream<'_, TlsListener>> for Peer {
    fn connect_info(s: axum::serve::IncomingStream<'_, TlsListener>) -> Self {
        Peer(*s.remote_addr())
    }
}

struct Session {
    user: String,
    csrf: String,
    expires: Instant,
}

struct Failures {
    since: Instant,
    count: u32,
}

#[derive(Default)]
struct Cache {
    version: u64,
    reports: HashMap<Filter, Arc<serde_json::Value>>,
}

pub struct Inner {
    backend: Arc<dyn Backend>,
    users: Option<UsersFile>,
    trusted_proxies: Vec<ipnet::IpNet>,
    tls: bool,
    live: Live,
    sessions: Mutex<HashMap<String, Session>>,
    failures: Mutex<HashMap<IpAddr, Failures>>,
    cache: Mutex<Cache>,
}

#[derive(Clone)]
pub struct State(Arc<Inner>);

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn json_error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, axum::Json(json!({ "error": message.into() }))).into_response()
}

fn see_other(to: &'static str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response()
}

impl State {
    pub fn new(
        backend: Arc<dyn Backend>,
        users: Option<UsersFile>,
        tls: bool,
        live: Live,
        trusted_proxies: Vec<ipnet::IpNet>,
    ) -> Self {
        State(Arc::new(Inner {
            backend,
            users,
            trusted_proxies,
            tls,
            live,
            sessions: Mutex::default(),
            failures: Mutex::default(),
            cache: Mutex::default(),
        }))
    }

    pub fn login_required(&self) -> bool {
        self.0.users.is_some()
    }

    fn set_cookie(&self, name: &str, value: &str, path: &str, max_age: u64) -> HeaderValue {
        let secure = if self.0.tls { "; Secure" } else { "" };
        HeaderValue::from_str(&format!(
            "{name}={value}; Path={path}; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
        ))
        .expect("cookie values are base64url")
    }

    /// The logged-in user and their CSRF token; a user removed from the users file since has
    /// no session any more.
    fn session(&self, headers: &HeaderMap) -> Option<(String, String)> {
        let id = cookie(headers, SESSION_COOKIE)?;
        let users = self.0.users.as_ref()?.current();
        let mut sessions = lock(&self.0.sessions);
        let s = sessions.get(id).filter(|s| s.expires > Instant::now())?;
        if !users.users.iter().any(|u| u.name == s.user) {
            sessions.remove(id);
            return None;
        }
        Some((s.user.clone(), s.csrf.clone()))
    }

    /// The client: the peer, or behind a trusted reverse proxy the last address of
    /// `X-Forwarded-For` that is not a trusted proxy itself.
    fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let trusted = |ip: &IpAddr| self.0.trusted_proxies.iter().any(|n| n.contains(ip));
        if !trusted(&peer) {
            return peer;
        }
        let forwarded: Vec<IpAddr> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|a| a.trim().parse().ok())
            .collect();
        forwarded
            .into_iter()
            .rev()
            .find(|ip| !trusted(ip))
            .unwrap_or(peer)
    }

    /// For `GET /api/...`: the refusal, unless login is off or the request has a session
    /// cookie or a read-only token.
    fn refuse_read(&self, headers: &HeaderMap) -> Option<Response> {
        let users = self.0.users.as_ref()?;
        if let Some(auth) = headers.get(header::AUTHORIZATION) {
            let token = auth
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .unwrap_or_default();
            return match users.current().token_name(token.trim()) {
                Some(_) => None,
                None => Some(json_error(
                    StatusCode::UNAUTHORIZED,
                    "unknown API token (create one with `clickpath user token NAME`)",
                )),
            };
        }
        if self.session(headers).is_some() {
            return None;
        }
        Some(json_error(
            StatusCode::UNAUTHORIZED,
            "log in at /login, or send `Authorization: Bearer TOKEN`",
        ))
    }

    /// Counts a login attempt from `ip` before its password is checked (in one step, so that
    /// parallel attempts cannot all pass the check): the seconds to wait when the address had
    /// too many failures. A successful attempt is taken back with [`State::attempt_succeeded`].
    fn reserve_attempt(&self, ip: IpAddr) -> Result<(), u64> {
        let mut failures = lock(&self.0.failures);
        failures.retain(|_, f| f.since.elapsed() < FAILURE_WINDOW);
        let f = failures.entry(ip).or_insert(Failures {
            since: Instant::now(),
            count: 0,
        });
        if f.count >= MAX_FAILURES {
            return Err((FAILURE_WINDOW - f.since.elapsed()).as_secs() + 1);
        }
        f.count += 1;
        Ok(())
    }

    fn attempt_succeeded(&self, ip: IpAddr) {
        if let Some(f) = lock(&self.0.failures).get_mut(&ip) {
            f.count = f.count.saturating_sub(1);
        }
    }

    /// The login form with a fresh form token in its cookie.
    fn login_form(&self, status: StatusCode, error: Option<&str>) -> Response {
        let csrf = random_token(24);
        let mut res = (status, Html(html::login_page(&csrf, error))).into_response();
        res.headers_mut().append(
            header::SET_COOKIE,
            self.set_cookie(LOGIN_COOKIE, &csrf, "/login", 3600),
        );
        res
    }

    /// The report for `filter` from the data as it is now: cached per data version (a
    /// dataset's commit, also one made by another process), computed from one snapshot.
    async fn report(&self, filter: Filter) -> Result<Arc<serde_json::Value>, BackendError> {
        let backend = self.0.backend.clone();
        let version = blocking(move || backend.version()).await?;
        {
            let mut cache = lock(&self.0.cache);
            if cache.version != version {
                cache.reports.clear();
                cache.version = version;
            }
            if let Some(r) = cache.reports.get(&filter) {
                return Ok(r.clone());
            }
        }
        let backend = self.0.backend.clone();
        let f = filter.clone();
        let (computed_at, report) = blocking(move || backend.report(&f)).await?;
        let report = Arc::new(report);
        let mut cache = lock(&self.0.cache);
        if cache.version == computed_at {
            if cache.reports.len() >= CACHED_REPORTS {
                cache.reports.clear();
            }
            cache.reports.insert(filter, report.clone());
        }
        Ok(report)
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, BackendError> + Send + 'static,
) -> Result<T, BackendError> {
    tokio::task::spawn_blocking(f).await.unwrap_or_else(|e| {
        Err(BackendError {
            bad_request: false,
            message: format!("the query failed: {e}"),
        })
    })
}

fn backend_error(e: BackendError) -> Response {
    let status = if e.bad_request {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::INTERNAL_SERVER_ERROR
    };
    json_error(status, e.message)
}

pub fn router(state: State) -> Router {
    Router::new()
        .route("/", get(dashboard))
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
        .route("/assets/app.js", get(app_js))
        .route("/assets/app.css", get(app_css))
        .route("/api/report", get(api_report))
        .route("/api/requests", get(api_requests))
        .route("/api/error-lines", get(api_error_lines))
        .route("/api/events", get(api_events))
        .route("/metrics", get(metrics))
        .fallback(|| async { json_error(StatusCode::NOT_FOUND, "no such page") })
        .layer(middleware::from_fn_with_state(state.clone(), guard))
        .with_state(state)
}

/// Host names a dashboard without login answers to: a page on another site that resolves its
/// own name to 127.0.0.1 (DNS rebinding) gets nothing.
fn loopback_host(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let name = match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    };
    matches!(name, "localhost" | "127.0.0.1" | "[::1]")
}

/// Security headers on every response; the loopback host check.
async fn guard(Extract(s): Extract<State>, req: Request, next: Next) -> Response {
    let mut res = if !s.login_required() && !loopback_host(req.headers()) {
        (
            StatusCode::MISDIRECTED_REQUEST,
            "this dashboard has no login and answers to localhost and 127.0.0.1 only",
        )
            .into_response()
    } else {
        next.run(req).await
    };
    let h = res.headers_mut();
    let set = |h: &mut HeaderMap, k: &'static str, v: &'static str| {
        h.insert(k, HeaderValue::from_static(v));
    };
    set(
        h,
        "content-security-policy",
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    set(h, "x-content-type-options", "nosniff");
    set(h, "x-frame-options", "DENY");
    set(h, "referrer-policy", "no-referrer");
    set(h, "cross-origin-opener-policy", "same-origin");
    set(h, "cross-origin-resource-policy", "same-origin");
    set(
        h,
        "permissions-policy",
        "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    );
    set(h, "cache-control", "no-store");
    if s.0.tls {
        set(h, "strict-transport-security", "max-age=31536000");
    }
    res
}

async fn dashboard(Extract(s): Extract<State>, headers: HeaderMap) -> Response {
    if !s.login_required() {
        return Html(html::dashboard_page(None, None)).into_response();
    }
    match s.session(&headers) {
        Some((user, csrf)) => Html(html::dashboard_page(Some(&user), Some(&csrf))).into_response(),
        None => see_other("/login"),
    }
}

async fn login_form(Extract(s): Extract<State>) -> Response {
    if !s.login_required() {
        return see_other("/");
    }
    s.login_form(StatusCode::OK, None)
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    user: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
}

async fn login(
    Extract(s): Extract<State>,
    ConnectInfo(peer): ConnectInfo<Peer>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    if s.0.users.is_none() {
        return see_other("/");
    }
    let expected = cookie(&headers, LOGIN_COOKIE).unwrap_or_default();
    if expected.is_empty() || !constant_time_eq(expected.as_bytes(), form.csrf.as_bytes()) {
        return s.login_form(
            StatusCode::FORBIDDEN,
            Some("The login form expired or came from another page; log in again."),
        );
    }
    let ip = s.client(peer.0.ip(), &headers);
    if let Err(wait) = s.reserve_attempt(ip) {
        let mut res = s.login_form(
            StatusCode::TOO_MANY_REQUESTS,
            Some(&format!(
                "Too many failed logins from your address; try again in {wait} s."
            )),
        );
        res.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(wait));
        return res;
    }
    let user = form.user.clone();
    let st = s.clone();
    let ok = tokio::task::spawn_blocking(move || {
        st.0.users
            .as_ref()
            .is_some_and(|u| u.current().verify_password(&form.user, &form.password))
    })
    .await
    .unwrap_or(false);
    if !ok {
        return s.login_form(
            StatusCode::UNAUTHORIZED,
            Some("Wrong user name or password."),
        );
    }
    s.attempt_succeeded(ip);
    let id = random_token(32);
    {
        let mut sessions = lock(&s.0.sessions);
        let now = Instant::now();
        sessions.retain(|_, v| v.expires > now);
        sessions.insert(
            id.clone(),
            Session {
                user,
                csrf: random_token(24),
                expires: now + SESSION_TTL,
            },
        );
    }
    let mut res = see_other("/");
    let h = res.headers_mut();
    h.append(
        header::SET_COOKIE,
        s.set_cookie(SESSION_COOKIE, &id, "/", SESSION_TTL.as_secs()),
    );
    h.append(
        header::SET_COOKIE,
        s.set_cookie(LOGIN_COOKIE, "", "/login", 0),
    );
    res
}

#[derive(Deserialize)]
struct LogoutForm {
    #[serde(default)]
    csrf: String,
}

async fn logout(
    Extract(s): Extract<State>,
    headers: HeaderMap,
    Form(form): Form<LogoutForm>,
) -> Response {
    let Some((_, csrf)) = s.session(&headers) else {
        return see_other("/login");
    };
    if !constant_time_eq(csrf.as_bytes(), form.csrf.as_bytes()) {
        return json_error(StatusCode::FORBIDDEN, "missing or wrong CSRF token");
    }
    if let Some(id) = cookie(&headers, SESSION_COOKIE) {
        lock(&s.0.sessions).remove(id);
    }
    let mut res = see_other("/login");
    res.headers_mut()
        .append(header::SET_COOKIE, s.set_cookie(SESSION_COOKIE, "", "/", 0));
    res
}

async fn app_js() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        APP_JS,
    )
        .into_response()
}

async fn app_css() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], APP_CSS).into_response()
}

async fn api_report(
    Extract(s): Extract<State>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Some(refusal) = s.refuse_read(&headers) {
        return refusal;
    }
    let filter = match Filter::from_query(&q, &[]) {
        Ok(f) => f,
        Err(e) => return json_error(StatusCode::BAD_REQUEST, e),
    };
    match s.report(filter).await {
        Ok(r) => axum::Json(r.as_ref()).into_response(),
        Err(e) => backend_error(e),
    }
}

/// Prometheus metrics of the whole dataset (a token or a session, like the API).
async fn metrics(Extract(s): Extract<State>, headers: HeaderMap) -> Response {
    if let Some(refusal) = s.refuse_read(&headers) {
        return refusal;
    }
    let report = match s.report(Filter::default()).await {
        Ok(r) => r,
        Err(e) => return backend_error(e),
    };
    let backend = s.0.backend.clone();
    match tokio::task::spawn_blocking(move || backend.metrics(&report)).await {
        Ok(Some(text)) => (
            [(
                axum::http::header::CONTENT_TYPE,
                crate::metrics::CONTENT_TYPE,
            )],
            text,
        )
            .into_response(),
        _ => json_error(StatusCode::NOT_FOUND, "no metrics".to_owned()),
    }
}

async fn api_requests(
    Extract(s): Extract<State>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Some(refusal) = s.refuse_read(&headers) {
        return refusal;
    }
    let parsed = Filter::from_query(&q, &crate::DRILL_KEYS)
        .and_then(|f| Drill::from_query(&q).map(|d| (f, d)));
    let (filter, drill) = match parsed {
        Ok(p) => p,
        Err(e) => return json_error(StatusCode::BAD_REQUEST, e),
    };
    let backend = s.0.backend.clone();
    match blocking(move || backend.requests(&filter, &drill)).await {
        Ok(r) => axum::Json(r).into_response(),
        Err(e) => backend_error(e),
    }
}

async fn api_error_lines(
    Extract(s): Extract<State>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Some(refusal) = s.refuse_read(&headers) {
        return refusal;
    }
    if let Some(k) = q.keys().find(|k| !crate::LINES_KEYS.contains(&k.as_str())) {
        return json_error(
            StatusCode::BAD_REQUEST,
            format!(
                "unknown parameter `{k}`; use {}",
                crate::LINES_KEYS.join(", ")
            ),
        );
    }
    let drill = match Drill::from_query(&q) {
        Ok(d) => d,
        Err(e) => return json_error(StatusCode::BAD_REQUEST, e),
    };
    let backend = s.0.backend.clone();
    match blocking(move || backend.error_lines(&drill)).await {
        Ok(r) => axum::Json(r).into_response(),
        Err(e) => backend_error(e),
    }
}

async fn api_events(Extract(s): Extract<State>, headers: HeaderMap) -> Response {
    if let Some(refusal) = s.refuse_read(&headers) {
        return refusal;
    }
    let changes = WatchStream::from_changes(s.0.live.0.subscribe())
        .map(|v| Ok::<_, Infallible>(Event::default().event("update").data(v.to_string())));
    Sse::new(changes)
        .keep_alive(KeepAlive::default())
        .into_response()
}
