//! Headless Chromium driven over WebDriver (Debian's `chromium` and `chromium-driver`).

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::http::http;

pub struct Browser {
    driver: Child,
    addr: String,
    session: String,
}

impl Browser {
    /// A new browser; `args` are extra Chromium switches.
    pub fn start(args: &[&str]) -> Browser {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (Debian package chromium-driver; .ci/run installs it)");
        let addr = format!("127.0.0.1:{port}");
        let start = Instant::now();
        loop {
            let ready = std::net::TcpStream::connect(&addr).is_ok()
                && http(&addr, "GET", "/status", &[], None).json()["value"]["ready"] == true;
            if ready {
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "chromedriver did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let mut chrome_args = vec![
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--window-size=1280,2000",
        ];
        chrome_args.extend_from_slice(args);
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "unhandledPromptBehavior": "ignore",
            "goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": chrome_args}
        }}});
        let mut b = Browser {
            driver,
            addr,
            session: String::new(),
        };
        let v = b.call("POST", "/session", Some(caps));
        b.session = v["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {v}"))
            .to_owned();
        b
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let body = body.map(|b| b.to_string());
        let mut headers = vec![];
        if body.is_some() {
            headers.push(("Content-Type", "application/json"));
        }
        http(&self.addr, method, path, &headers, body.as_deref()).json()["value"].clone()
    }

    fn cmd(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let v = self.call(method, &format!("/session/{}{path}", self.session), body);
        if let Some(e) = v.get("error") {
            panic!("WebDriver {path}: {e} {}", v["message"]);
        }
        v
    }

    pub fn goto(&self, url: &str) {
        self.cmd("POST", "/url", Some(json!({ "url": url })));
    }

    pub fn url(&self) -> String {
        self.cmd("GET", "/url", None).as_str().unwrap().to_owned()
    }

    /// Runs `script` (a function body) in the page.
    pub fn eval(&self, script: &str) -> Value {
        self.cmd(
            "POST",
            "/execute/sync",
            Some(json!({ "script": script, "args": [] })),
        )
    }

    /// Polls `script` until it returns something truthy.
    pub fn wait(&self, script: &str) -> Value {
        let start = Instant::now();
        loop {
            let v = self.eval(script);
            if !(v.is_null() || v == false || v == 0 || v == "") {
                return v;
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "timed out waiting for: {script}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn element(&self, css: &str) -> String {
        let v = self.cmd(
            "POST",
            "/element",
            Some(json!({"using": "css selector", "value": css})),
        );
        v.as_object()
            .unwrap()
            .values()
            .next()
            .unwrap()
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// A real click (the browser's input pipeline, not a script).
    pub fn click(&self, css: &str) {
        let id = self.element(css);
        self.cmd("POST", &format!("/element/{id}/click"), Some(json!({})));
    }

    pub fn type_into(&self, css: &str, text: &str) {
        let id = self.element(css);
        self.cmd(
            "POST",
            &format!("/element/{id}/value"),
            Some(json!({ "text": text })),
        );
    }

    /// The text of an open alert, if a script opened one.
    pub fn alert(&self) -> Option<String> {
        let v = self.call(
            "GET",
            &format!("/session/{}/alert/text", self.session),
            None,
        );
        v.as_str().map(str::to_owned)
    }

    /// A PNG of the window, when `CLICKPATH_SCREENSHOTS` names a directory (docs/ does).
    pub fn screenshot(&self, name: &str) {
        let Some(dir) = std::env::var_os("CLICKPATH_SCREENSHOTS") else {
            return;
        };
        use base64::Engine;
        let png = self.cmd("GET", "/screenshot", None);
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap())
            .unwrap();
        std::fs::write(Path::new(&dir).join(name), bytes).unwrap();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = http(
                &self.addr,
                "DELETE",
                &format!("/session/{}", self.session),
                &[],
                None,
            );
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
