//! Debian's nginx and Apache httpd as reverse proxies on loopback, in front of an application
//! this test runs (and stops), under failures the test induces: a missing file, a denied path,
//! the rate limit, an application error, a slow and a hanging-up application, a backend that is
//! not there, a reload, a log reopening, a worker killed with SIGSEGV, a stop and start of the
//! server, and the application going down. The servers write their own access and error logs;
//! the expected causes are what each server does in each case (counted by hand below, from the
//! servers' documented behaviour and the responses this test received).

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::{clickpath, run};

const UA: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0";

/// The application: `/slow` answers after 2.5 s, `/close` hangs up without an answer, `/fail`
/// is a 500, the rest a 200. Dropping it closes its port (connections are then refused).
struct App {
    port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl App {
    fn start() -> App {
        App::start_on(0)
    }

    /// On `port` (0: any free one).
    fn start_on(port: u16) -> App {
        let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            while !flag.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((s, _)) => {
                        std::thread::spawn(move || serve(s));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        App {
            port,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for App {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(mut s: TcpStream) {
    s.set_nonblocking(false).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let line = String::from_utf8_lossy(&head);
    let path = line.split(' ').nth(1).unwrap_or("/").to_owned();
    let status = if path.starts_with("/close") {
        return; // hang up: the proxy reads no status line
    } else if path.starts_with("/slow") {
        std::thread::sleep(Duration::from_millis(2500));
        "200 OK"
    } else if path.starts_with("/fail") {
        "500 Internal Server Error"
    } else {
        "200 OK"
    };
    let _ = write!(
        s,
        "HTTP/1.1 {status}\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n"
    );
}

/// A free loopback port (bound and released; nothing else here races for it).
pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One GET through the proxy; its status.
pub(crate) fn get(port: u16, path: &str) -> u16 {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: shop.test\r\nUser-Agent: {UA}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out);
    text.split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status for {path}: {text:?}"))
}

pub(crate) fn wait_for_port(port: u16) {
    let until = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < until, "nothing listens on {port}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub(crate) fn signal(pid: u32, sig: &str) {
    let ok = Command::new("kill")
        .args(["-s", sig, &pid.to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -s {sig} {pid}");
}

fn children(pid: u32) -> Vec<u32> {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|c| c.parse().ok())
        .collect()
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn secs(t: &Value) -> i64 {
    clickpath_model::parse_rfc3339(t.as_str().unwrap()).unwrap() / 1_000_000
}

pub(crate) fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|u| u.split_whitespace().next().map(|u| u == "0"))
        .unwrap_or(false)
}

pub(crate) fn binary(path: &str, package: &str) -> PathBuf {
    let p = PathBuf::from(path);
    assert!(
        p.exists(),
        "{path} is missing: `apt-get install {package}` (.ci/run installs it)"
    );
    p
}

/// A directory the servers' unprivileged workers can read.
pub(crate) fn site(dir: &Path) {
    std::fs::create_dir_all(dir.join("www/static")).unwrap();
    std::fs::write(dir.join("www/static/app.css"), "body{}\n").unwrap();
    std::fs::create_dir_all(dir.join("tmp")).unwrap();
    std::fs::create_dir_all(dir.join("run")).unwrap();
    for d in [dir.to_path_buf(), dir.join("www"), dir.join("www/static")] {
        std::fs::set_permissions(&d, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    }
    std::fs::set_permissions(
        dir.join("tmp"),
        std::os::unix::fs::PermissionsExt::from_mode(0o777),
    )
    .unwrap();
}

/// Writes `dir/nginx.conf`: nginx in the foreground (as root's own user when root), its pid,
/// temporary files and logs in `dir` (`error.log` at `notice`, `access.log` combined), with
/// `main` added to the main context and `http` to the `http` block.
pub(crate) fn write_nginx_conf(dir: &Path, workers: u32, main: &str, http: &str) {
    let user = if is_root() { "user root;" } else { "" };
    let d = dir.display();
    std::fs::write(
        dir.join("nginx.conf"),
        format!(
            r#"{user}
worker_processes {workers};
error_log {d}/error.log notice;
{main}
pid {d}/run/nginx.pid;
daemon off;
events {{ worker_connections 64; }}
http {{
  access_log {d}/access.log combined;
  client_body_temp_path {d}/tmp/body; proxy_temp_path {d}/tmp/proxy;
  fastcgi_temp_path {d}/tmp/fastcgi; uwsgi_temp_path {d}/tmp/uwsgi; scgi_temp_path {d}/tmp/scgi;
{http}
}}
"#
        ),
    )
    .unwrap();
}

/// nginx run from `dir/nginx.conf`, its error log in `dir`; stopped gracefully (SIGQUIT).
pub(crate) fn nginx_daemon(bin: &Path, dir: &Path) -> Daemon {
    let (bin, dir) = (bin.to_owned(), dir.to_owned());
    Daemon::new("QUIT", move || {
        let mut c = Command::new(&bin);
        c.arg("-p")
            .arg(&dir)
            .arg("-c")
            .arg(dir.join("nginx.conf"))
            .arg("-e")
            .arg(dir.join("error.log"));
        c
    })
}

/// The statuses the test received, and what the report says of the logs.
struct Outcome {
    statuses: BTreeMap<u16, u64>,
    report: Value,
}

fn report(dir: &Path) -> Value {
    let (code, out, err) =
        run(clickpath(dir).args(["report", "--json", "-q", "access.log", "error.log"]));
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap()
}

/// The server's error log, for a failure's message.
fn error_log(dir: &Path) -> String {
    format!(
        "the error log:\n{}",
        std::fs::read_to_string(dir.join("error.log")).unwrap_or_default()
    )
}

fn causes(r: &Value) -> BTreeMap<(u64, String), u64> {
    r["errors"]["causes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                (
                    c["status"].as_u64().unwrap(),
                    c["cause"].as_str().unwrap().to_owned(),
                ),
                c["requests"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// The report's statuses equal the responses the test received: every line was read.
fn assert_statuses(o: &Outcome) {
    let ours: BTreeMap<u16, u64> = o.report["statuses"]["all"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["value"].as_str().unwrap().parse().unwrap(),
                s["count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(ours, o.statuses);
}

/// `(kind, how)` restarts found within `[from, to]` seconds.
fn restart_between(r: &Value, kind: &str, how: &str, from: i64, to: i64) -> Option<Value> {
    r["restarts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| {
            x["kind"] == kind
                && x["how"] == how
                && secs(&x["start"]) >= from
                && secs(&x["start"]) <= to
        })
        .cloned()
}

struct Stamps {
    crash: i64,
    stop: i64,
    start: i64,
    app_down: i64,
}

/// A server process the test starts, stops gracefully with `stop_signal` and starts again.
pub(crate) struct Daemon {
    command: Box<dyn Fn() -> Command>,
    stop_signal: &'static str,
    child: Option<Child>,
}

impl Daemon {
    fn new(stop_signal: &'static str, command: impl Fn() -> Command + 'static) -> Daemon {
        Daemon {
            command: Box::new(command),
            stop_signal,
            child: None,
        }
    }
    pub(crate) fn start(&mut self) {
        let child = (self.command)()
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.child = Some(child);
    }
    fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }
    /// A graceful stop, waited for (killed after 15 s).
    pub(crate) fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            signal(c.id(), self.stop_signal);
            let until = Instant::now() + Duration::from_secs(15);
            while c.try_wait().unwrap().is_none() {
                if Instant::now() > until {
                    let _ = c.kill();
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

#[test]
fn nginx_error_log_explains_its_errors_and_tells_its_restarts() {
    let bin = binary("/usr/sbin/nginx", "nginx");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    site(&dir);
    let app = App::start();
    let (port, gone1, gone2) = (free_port(), free_port(), free_port());
    let d = dir.display();
    write_nginx_conf(
        &dir,
        2,
        "",
        &format!(
            r#"  limit_req_zone $binary_remote_addr zone=perip:1m rate=1r/s;
  upstream app {{ server 127.0.0.1:{app}; }}
  upstream gone {{
    zone gone 64k;
    server 127.0.0.1:{gone1} max_fails=1 fail_timeout=60s;
    server 127.0.0.1:{gone2} max_fails=1 fail_timeout=60s;
  }}
  server {{
    listen 127.0.0.1:{port};
    server_name shop.test;
    root {d}/www;
    location /static/ {{ }}
    location /admin/ {{ deny all; }}
    location /limited/ {{
      limit_req zone=perip burst=2 nodelay; limit_req_status 429;
      proxy_pass http://app;
    }}
    location /gone/ {{ proxy_pass http://gone; }}
    location / {{ proxy_pass http://app; proxy_read_timeout 1s; }}
  }}"#,
            app = app.port
        ),
    );
    let mut nginx = nginx_daemon(&bin, &dir);
    nginx.start();
    wait_for_port(port);

    let mut statuses: BTreeMap<u16, u64> = BTreeMap::new();
    let mut ask = |path: &str| {
        let s = get(port, path);
        *statuses.entry(s).or_default() += 1;
        s
    };
    for _ in 0..4 {
        assert_eq!(ask("/ok"), 200);
    }
    assert_eq!(ask("/static/app.css"), 200);
    for n in 0..3 {
        assert_eq!(ask(&format!("/static/missing-{n}.png")), 404);
    }
    for _ in 0..2 {
        assert_eq!(ask("/admin/"), 403);
        assert_eq!(ask("/fail"), 500);
        assert_eq!(ask("/close"), 502);
    }
    assert_eq!(ask("/slow"), 504);
    // 1 r/s with a burst of 2: of 8 requests at once at least 5 are refused; how many exactly
    // depends on the clock, so the count is the 429s received.
    let limited = (0..8).filter(|_| ask("/limited/x") == 429).count() as u64;
    assert!(limited >= 4, "{limited} 429s");
    // Both servers of `gone` refuse: the first request tries both (two lines) and marks them
    // down; the second finds no live upstream.
    assert_eq!(ask("/gone/a"), 502);
    assert_eq!(ask("/gone/b"), 502);

    let master = nginx.pid();
    signal(master, "HUP");
    std::thread::sleep(Duration::from_millis(1500));
    signal(master, "USR1");
    std::thread::sleep(Duration::from_millis(500));
    let worker = *children(master).first().expect("a worker");
    let crash = now();
    signal(worker, "SEGV");
    std::thread::sleep(Duration::from_millis(1500));
    let stop = now();
    nginx.stop();
    std::thread::sleep(Duration::from_millis(1200));
    let start = now();
    nginx.start();
    wait_for_port(port);
    assert_eq!(ask("/ok"), 200);
    let app_down = now();
    let app_addr = format!("127.0.0.1:{}", app.port);
    drop(app);
    for _ in 0..3 {
        assert_eq!(ask("/ok"), 502);
    }
    nginx.stop();

    let o = Outcome {
        statuses,
        report: report(&dir),
    };
    assert_statuses(&o);
    let expected: BTreeMap<(u64, String), u64> = [
        ((403, "forbidden"), 2),            // `deny all`: "access forbidden by rule"
        ((404, "file_not_found"), 3),       // open() "..." failed (2: No such file or directory)
        ((500, "none"), 2),                 // the application's own: nginx logs nothing
        ((502, "upstream_closed"), 2),      // "upstream prematurely closed connection"
        ((502, "upstream_refused"), 1 + 3), // `gone`'s first request, the app down
        ((502, "no_live_upstreams"), 1),    // `gone`'s second request
        ((504, "upstream_timeout"), 1),     // "upstream timed out (110: ...)"
        ((429, "rate_limited"), limited),   // "limiting requests, excess: ..."
    ]
    .into_iter()
    .map(|((s, c), n)| ((s, c.to_owned()), n))
    .collect();
    assert_eq!(causes(&o.report), expected, "{}", error_log(&dir));
    check_story(
        &o.report,
        &Stamps {
            crash,
            stop,
            start,
            app_down,
        },
        &app_addr,
    );
    let reloads: Vec<&str> = o.report["reloads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["what"].as_str().unwrap())
        .collect();
    assert_eq!(reloads, ["reload", "reopen_logs"]);
}

/// The crash, the restart and the application's outage, each once, at the times the test
/// caused them (the logs have whole seconds: one second of slack each side).
fn check_story(r: &Value, t: &Stamps, app: &str) {
    let restarts = r["restarts"].as_array().unwrap();
    assert_eq!(restarts.len(), 3, "{restarts:?}");
    assert!(
        restart_between(r, "server", "crash", t.crash - 1, t.crash + 2).is_some(),
        "crash at {}: {restarts:?}",
        t.crash
    );
    let restart = restart_between(r, "server", "restart", t.stop - 1, t.stop + 1)
        .unwrap_or_else(|| panic!("stop at {}: {restarts:?}", t.stop));
    assert!(
        (secs(&restart["end"]) - t.start).abs() <= 2,
        "started at {}: {restart}",
        t.start
    );
    let outage = restart_between(r, "upstream", "outage", t.app_down - 1, t.app_down + 2)
        .unwrap_or_else(|| panic!("app down at {}: {restarts:?}", t.app_down));
    // The backend that was down, as both servers name it.
    assert_eq!(outage["upstream"], app);
    // The restart and the crash are incidents with a story.
    let stories: Vec<&str> = r["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["kind"] == "server_restart")
        .map(|i| i["story"].as_str().unwrap())
        .collect();
    assert!(
        stories.iter().any(|s| s.contains("crashed"))
            && stories.iter().any(|s| s.contains("stopped and started")),
        "{stories:?}"
    );
}

#[test]
fn apache_error_log_explains_its_errors_and_tells_its_restarts() {
    let bin = binary("/usr/sbin/apache2", "apache2");
    let m = "/usr/lib/apache2/modules";
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    site(&dir);
    let app = App::start();
    let (port, gone) = (free_port(), free_port());
    let user = if is_root() {
        "User www-data\nGroup www-data"
    } else {
        ""
    };
    let d = dir.display();
    // Debian's module set for a reverse proxy; `LogLevel warn core:info` is the level at which
    // httpd logs missing files (AH00128). `retry=0`: every request tries the backend again
    // (the default 60 s would answer later ones without trying, AH00940).
    std::fs::write(
        dir.join("httpd.conf"),
        format!(
            r#"ServerRoot {d}
ServerName shop.test
Listen 127.0.0.1:{port}
PidFile {d}/run/httpd.pid
DefaultRuntimeDir {d}/run
LoadModule mpm_event_module {m}/mod_mpm_event.so
LoadModule authz_core_module {m}/mod_authz_core.so
LoadModule authz_host_module {m}/mod_authz_host.so
LoadModule proxy_module {m}/mod_proxy.so
LoadModule proxy_http_module {m}/mod_proxy_http.so
{user}
ErrorLog {d}/error.log
LogLevel warn core:info
LogFormat "%h %l %u %t \"%r\" %>s %O \"%{{Referer}}i\" \"%{{User-Agent}}i\"" combined
CustomLog {d}/access.log combined
DocumentRoot {d}/www
<Directory {d}/www>
  Require all granted
</Directory>
<Location /admin/>
  Require all denied
</Location>
ProxyPass /static/ !
ProxyPass /gone/ http://127.0.0.1:{gone}/ retry=0
ProxyPass / http://127.0.0.1:{app}/ timeout=1 retry=0
"#,
            app = app.port
        ),
    )
    .unwrap();
    // Graceful stop: SIGWINCH, as Debian's `apachectl graceful-stop`.
    let mut httpd = Daemon::new("WINCH", {
        let (bin, conf) = (bin.clone(), dir.join("httpd.conf"));
        move || {
            let mut c = Command::new(&bin);
            c.arg("-f").arg(&conf).arg("-DFOREGROUND");
            c
        }
    });
    httpd.start();
    wait_for_port(port);

    let mut statuses: BTreeMap<u16, u64> = BTreeMap::new();
    let mut ask = |path: &str| {
        let s = get(port, path);
        *statuses.entry(s).or_default() += 1;
        s
    };
    for _ in 0..4 {
        assert_eq!(ask("/ok"), 200);
    }
    assert_eq!(ask("/static/app.css"), 200);
    for n in 0..3 {
        assert_eq!(ask(&format!("/static/missing-{n}.png")), 404);
    }
    for _ in 0..2 {
        assert_eq!(ask("/admin/"), 403);
        assert_eq!(ask("/fail"), 500);
        assert_eq!(ask("/close"), 502);
    }
    // httpd answers a read timeout with 502 (AH01102 with (70007)).
    assert_eq!(ask("/slow"), 502);
    for _ in 0..2 {
        assert_eq!(ask("/gone/a"), 503);
    }

    let parent = httpd.pid();
    signal(parent, "USR1"); // graceful restart: a reload
    std::thread::sleep(Duration::from_millis(1500));
    let child = *children(parent).first().expect("a child");
    let crash = now();
    signal(child, "SEGV");
    std::thread::sleep(Duration::from_millis(1500));
    let stop = now();
    httpd.stop();
    std::thread::sleep(Duration::from_millis(1200));
    let start = now();
    httpd.start();
    wait_for_port(port);
    assert_eq!(ask("/ok"), 200);
    let app_down = now();
    let app_addr = format!("127.0.0.1:{}", app.port);
    drop(app);
    for _ in 0..3 {
        assert_eq!(ask("/ok"), 503);
    }
    httpd.stop();

    let o = Outcome {
        statuses,
        report: report(&dir),
    };
    assert_statuses(&o);
    let expected: BTreeMap<(u64, String), u64> = [
        ((403, "forbidden"), 2), // AH01630: client denied by server configuration
        ((404, "file_not_found"), 3), // AH00128: File does not exist
        ((500, "none"), 2),      // the application's own: httpd logs nothing
        ((502, "upstream_closed"), 2), // AH01102 error reading status line + AH00898
        ((502, "upstream_timeout"), 1), // (70007)The timeout specified has expired: AH01102
        ((503, "upstream_refused"), 2 + 3), // (111)Connection refused: AH00957 + AH01114
    ]
    .into_iter()
    .map(|((s, c), n)| ((s, c.to_owned()), n))
    .collect();
    assert_eq!(causes(&o.report), expected, "{}", error_log(&dir));
    check_story(
        &o.report,
        &Stamps {
            crash,
            stop,
            start,
            app_down,
        },
        &app_addr,
    );
    let reloads: Vec<&str> = o.report["reloads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["what"].as_str().unwrap())
        .collect();
    assert_eq!(reloads, ["reload"]);
}

/// `clickpath watch` on nginx's own logs while the test stops the application behind it and
/// starts it again: the upstream outage alert, naming the backend, and its resolved notice
/// reach a webhook receiver.
#[test]
fn nginx_upstream_stopped_and_started_is_alerted_then_resolved() {
    let bin = binary("/usr/sbin/nginx", "nginx");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    site(&dir);
    let app = App::start();
    let app_port = app.port;
    let port = free_port();
    write_nginx_conf(
        &dir,
        1,
        "",
        &format!(
            "  upstream app {{ server 127.0.0.1:{app_port}; }}
  server {{ listen 127.0.0.1:{port}; location / {{ proxy_pass http://app; }} }}"
        ),
    );
    let mut nginx = nginx_daemon(&bin, &dir);
    nginx.start();
    wait_for_port(port);
    for _ in 0..5 {
        assert_eq!(get(port, "/ok"), 200);
    }
    let receiver = crate::receiver::Receiver::start();
    std::fs::write(
        dir.join("cfg.toml"),
        "[alerts]\ngroup_wait = \"0s\"\ngroup_interval = \"0s\"\n[alerts.rules.upstream_outage]\nkeep_firing_for = \"0\"\n",
    )
    .unwrap();
    let mut watcher = clickpath(&dir)
        .args([
            "watch",
            "access.log",
            "error.log",
            "--data",
            "data",
            "-c",
            "cfg.toml",
        ])
        .args(["--poll-ms", "200", "--notify"])
        .arg(format!("webhook:{}", receiver.url()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("watch.log")).unwrap())
        .spawn()
        .unwrap();
    // Steady traffic: the log's clock moves on.
    let stop = Arc::new(AtomicBool::new(false));
    let traffic = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                get(port, "/ok");
                std::thread::sleep(Duration::from_millis(100));
            }
        })
    };
    std::thread::sleep(Duration::from_secs(3));
    let stopped = now();
    drop(app); // the application goes down: nginx's connects are refused
    std::thread::sleep(Duration::from_secs(3));
    let app = App::start_on(app_port);
    let started = now();
    let firing = |b: &[Value]| {
        b.iter()
            .find(|n| {
                n["status"] == "firing"
                    && n["alerts"][0]["labels"]["alertname"] == "upstream_outage"
            })
            .cloned()
    };
    assert!(
        receiver.wait_for(Duration::from_secs(60), |b| firing(b).is_some()),
        "no alert: {}",
        std::fs::read_to_string(dir.join("watch.log")).unwrap()
    );
    let f = firing(&receiver.bodies()).unwrap();
    let alert = &f["alerts"][0];
    assert_eq!(alert["labels"]["upstream"], format!("127.0.0.1:{app_port}"));
    let starts = secs(&alert["startsAt"]);
    // Whole minutes: the minute the first refusal was in.
    assert!(starts <= stopped + 1 && stopped - starts < 61, "{alert}");
    assert!(
        alert["annotations"]["causes"]
            .as_str()
            .unwrap()
            .contains("upstream_refused"),
        "{alert}"
    );
    // Resolved once whole minutes without refusals went by (keep_firing_for 0).
    let resolved = |b: &[Value]| {
        b.iter()
            .find(|n| {
                n["alerts"].as_array().unwrap().iter().any(|a| {
                    a["status"] == "resolved" && a["labels"]["alertname"] == "upstream_outage"
                })
            })
            .cloned()
    };
    assert!(
        receiver.wait_for(Duration::from_secs(200), |b| resolved(b).is_some()),
        "not resolved"
    );
    let r = resolved(&receiver.bodies()).unwrap();
    let ends = secs(&r["alerts"][0]["endsAt"]);
    assert!(ends >= started - 1 && ends - started <= 61, "{r}");
    assert_eq!(r["alerts"][0]["fingerprint"], alert["fingerprint"]);
    stop.store(true, Ordering::SeqCst);
    traffic.join().unwrap();
    let _ = watcher.kill();
    let _ = watcher.wait();
    drop(app);
    nginx.stop();
}
