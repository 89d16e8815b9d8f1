//! A webhook receiver on a loopback port: a real HTTP server (one thread, HTTP/1.1, one
//! request per connection) that keeps every JSON body it is sent. It can be stopped (the port
//! then refuses connections) and started again on the same port.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub struct Received {
    pub headers: Vec<(String, String)>,
    pub body: serde_json::Value,
}

pub struct Receiver {
    pub port: u16,
    got: Arc<Mutex<Vec<Received>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Receiver {
    pub fn start() -> Receiver {
        let mut r = Receiver {
            port: 0,
            got: Arc::default(),
            stop: Arc::default(),
            thread: None,
        };
        r.listen();
        r
    }

    fn listen(&mut self) {
        let listener = TcpListener::bind(("127.0.0.1", self.port)).expect("bind the receiver");
        self.port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        self.stop.store(false, Ordering::SeqCst);
        let (got, stop) = (self.got.clone(), self.stop.clone());
        self.thread = Some(std::thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((s, _)) => {
                        s.set_nonblocking(false).unwrap();
                        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                        if let Some(r) = read_request(&s) {
                            got.lock().unwrap().push(r);
                            let mut w = &s;
                            let _ = w.write_all(
                                b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                            );
                        }
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        }));
    }

    /// Stops listening: connections are refused until [`Receiver::resume`].
    pub fn pause(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
    }

    pub fn resume(&mut self) {
        self.listen();
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hook", self.port)
    }

    pub fn bodies(&self) -> Vec<serde_json::Value> {
        self.got
            .lock()
            .unwrap()
            .iter()
            .map(|r| r.body.clone())
            .collect()
    }

    pub fn len(&self) -> usize {
        self.got.lock().unwrap().len()
    }

    /// The value of header `name` of each request received.
    pub fn header(&self, name: &str) -> Vec<Option<String>> {
        let got = self.got.lock().unwrap();
        got.iter()
            .map(|r| {
                r.headers
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.clone())
            })
            .collect()
    }

    /// Waits (at most `limit`) until `ok` holds for the bodies received.
    pub fn wait_for(&self, limit: Duration, ok: impl Fn(&[serde_json::Value]) -> bool) -> bool {
        let until = Instant::now() + limit;
        while Instant::now() < until {
            if ok(&self.bodies()) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        ok(&self.bodies())
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.pause();
    }
}

fn read_request(s: &std::net::TcpStream) -> Option<Received> {
    let mut r = BufReader::new(s);
    let mut first = String::new();
    r.read_line(&mut first).ok()?;
    if first.is_empty() {
        return None;
    }
    let mut headers = Vec::new();
    let mut len = 0usize;
    loop {
        let mut line = String::new();
        r.read_line(&mut line).ok()?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (k, v) = line.split_once(':')?;
        if k.eq_ignore_ascii_case("content-length") {
            len = v.trim().parse().ok()?;
        }
        headers.push((k.to_owned(), v.trim().to_owned()));
    }
    let mut body = vec![0; len];
    r.read_exact(&mut body).ok()?;
    Some(Received {
        headers,
        body: serde_json::from_slice(&body).ok()?,
    })
}
