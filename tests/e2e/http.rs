//! A small HTTP/1.1 client over a TCP socket (every header under the test's control) and a
//! `clickpath serve` process on a free loopback port.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::clickpath;

pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", self.status, self.body))
    }

    /// `name=value` of a Set-Cookie header for `name`.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.all("set-cookie")
            .into_iter()
            .filter_map(|c| c.split(';').next())
            .find(|kv| kv.starts_with(&format!("{name}=")))
            .map(str::to_owned)
    }
}

fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = body.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(
            std::str::from_utf8(&body[..end])
                .unwrap()
                .split(';')
                .next()
                .unwrap()
                .trim(),
            16,
        )
        .unwrap();
        if size == 0 {
            break;
        }
        out.extend_from_slice(&body[end + 2..end + 2 + size]);
        body = &body[end + 2 + size + 2..];
    }
    out
}

fn head(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> String {
    let mut req = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\n");
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        req.push_str(&format!("Host: {addr}\r\n"));
    }
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if let Some(b) = body {
        req.push_str(&format!("Content-Length: {}\r\n", b.len()));
    }
    req.push_str("\r\n");
    req.push_str(body.unwrap_or_default());
    req
}

/// One request on a new connection.
pub fn http(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Response {
    let mut s = TcpStream::connect(addr).expect("connect to the server");
    s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    s.write_all(head(addr, method, path, headers, body).as_bytes())
        .unwrap();
    // Read by Content-Length or chunks: some servers (chromedriver) keep the connection open.
    let mut raw = Vec::new();
    let mut buf = [0u8; 64 << 10];
    let complete = |raw: &[u8]| -> bool {
        let Some(split) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
            return false;
        };
        let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
        let body = &raw[split + 4..];
        if let Some(n) = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|n| n.trim().parse::<usize>().ok())
        {
            return body.len() >= n;
        }
        head.contains("transfer-encoding: chunked") && body.ends_with(b"0\r\n\r\n")
    };
    while !complete(&raw) {
        let n = s.read(&mut buf).expect("read the response");
        if n == 0 {
            break;
        }
        raw.extend_from_slice(&buf[..n]);
    }
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a header block");
    let text = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = text.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    if headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"))
    {
        body = dechunk(&body);
    }
    Response {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

pub fn get(addr: &str, path: &str) -> Response {
    http(addr, "GET", path, &[], None)
}

/// An open event stream: its lines as they come.
pub fn event_stream(addr: &str, path: &str, headers: &[(&str, &str)]) -> BufReader<TcpStream> {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    s.write_all(head(addr, "GET", path, headers, None).as_bytes())
        .unwrap();
    BufReader::new(s)
}

/// `clickpath serve` on 127.0.0.1 and a free port; killed when dropped.
pub struct Server {
    child: Child,
    /// `127.0.0.1:PORT`
    pub addr: String,
    /// Kept so the thread draining the server's stderr goes on (a full pipe would block it).
    _stderr: mpsc::Receiver<String>,
}

impl Server {
    pub fn start(dir: &Path, args: &[&str]) -> Server {
        Self::try_start(dir, args)
            .unwrap_or_else(|(code, err)| panic!("serve exited {code}: {err}"))
    }

    /// Err: the exit code and everything the server printed.
    pub fn try_start(dir: &Path, args: &[&str]) -> Result<Server, (i32, String)> {
        let mut cmd = clickpath(dir);
        cmd.arg("serve");
        if !args.contains(&"--bind") {
            cmd.args(["--bind", "127.0.0.1:0"]);
        }
        if !args.contains(&"--users") {
            cmd.args(["--users", "no-users.json"]);
        }
        let mut child = cmd
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start clickpath serve");
        let (tx, rx) = mpsc::channel();
        let err = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut seen = String::new();
        loop {
            match rx.recv_timeout(Duration::from_secs(120)) {
                Ok(line) => {
                    seen.push_str(&line);
                    seen.push('\n');
                    if let Some(rest) = line
                        .split("://")
                        .nth(1)
                        .filter(|_| line.contains("dashboard at"))
                    {
                        let addr = rest.split('/').next().unwrap().to_owned();
                        return Ok(Server {
                            child,
                            addr,
                            _stderr: rx,
                        });
                    }
                }
                Err(_) => {
                    let code = child.wait().ok().and_then(|s| s.code()).unwrap_or(-1);
                    return Err((code, seen));
                }
            }
        }
    }

    /// The port (the server may be bound to another address than 127.0.0.1).
    pub fn port(&self) -> &str {
        self.addr.rsplit(':').next().unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
