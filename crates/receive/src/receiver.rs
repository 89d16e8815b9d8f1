//! `clickpath receive`: listeners for syslog over UDP and TCP and for HTTP posts, one writer
//! thread that spools what they take (`spool.rs`) and, every round, ingests the inbox into the
//! dataset with the same ingest as files (`clickpath_ingest::ingest`).
//!
//! Listeners hand batches of lines to the writer over a bounded channel. The writer takes all
//! batches waiting, appends them, commits once (one fsync per file) and only then answers the
//! HTTP requests among them: an answer 200 means durable. It also runs the ingest, between
//! commits, so the ingest never reads a byte that is not committed.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use clickpath_formats::input::Source;
use clickpath_formats::pipeline;
use clickpath_ingest::IngestConfig;
use clickpath_model::constant_time_eq;
use tokio::io::AsyncReadExt;

use crate::error::{Error, Result};
use crate::framing::{Frame, Framer};
use crate::spool::{Kind, Spool};
use crate::syslog::{self, Reject};

/// Told once each listener is bound: (what, address).
pub type OnListen = Box<dyn Fn(&str, SocketAddr) + Send + Sync>;

/// What to listen on and where the lines go.
pub struct ReceiverConfig {
    pub ingest: IngestConfig,
    /// Parse options for the inbox's files (format, client keyer, threads).
    pub options: pipeline::Options,
    pub syslog_udp: Option<SocketAddr>,
    pub syslog_tcp: Option<SocketAddr>,
    pub http: Option<SocketAddr>,
    /// Required of HTTP posts (`Authorization: Bearer TOKEN`, or Basic with it as password).
    pub token: Option<String>,
    /// How often the inbox is ingested into the dataset.
    pub ingest_every: Duration,
    /// Servers beyond this many are refused (a UDP sender can claim any hostname).
    pub max_servers: usize,
    /// Inbox files closed, read whole into the dataset and last written longer ago than this
    /// are deleted (None: kept).
    pub keep_inbox: Option<Duration>,
    pub on_listen: OnListen,
    /// Told after each ingest round that added something, and of problems.
    pub on_message: Box<dyn Fn(&str) + Send + Sync>,
}

/// Counters of what came in.
#[derive(Default)]
struct Stats {
    udp: AtomicU64,
    tcp: AtomicU64,
    http: AtomicU64,
    duplicates: AtomicU64,
    rejected: Mutex<BTreeMap<&'static str, u64>>,
}

impl Stats {
    fn reject(&self, why: &'static str, n: u64) {
        if let Ok(mut m) = self.rejected.lock() {
            *m.entry(why).or_default() += n;
        }
    }

    /// Lines received over (UDP, TCP, HTTP).
    fn received(&self) -> (u64, u64, u64) {
        let n = |a: &AtomicU64| a.load(Ordering::Relaxed);
        (n(&self.udp), n(&self.tcp), n(&self.http))
    }

    fn rejected(&self) -> BTreeMap<&'static str, u64> {
        self.rejected.lock().map(|m| m.clone()).unwrap_or_default()
    }
}

/// One batch of lines for the writer.
struct Batch {
    lines: Vec<(Arc<str>, Vec<u8>)>,
    /// Known batches are acknowledged without being written again.
    id: Option<String>,
    /// Told when the batch is durable (HTTP).
    reply: Option<SyncSender<Result<Ack, String>>>,
}

enum Msg {
    Batch(Batch),
    Stop,
}

#[derive(Clone, Copy, Debug)]
struct Ack {
    accepted: usize,
    duplicate: bool,
}

/// Runs until SIGINT or SIGTERM; then commits and ingests what it took, and returns.
pub fn run(cfg: ReceiverConfig) -> Result<()> {
    let inbox = cfg.ingest.dir.join("inbox");
    let spool = Spool::open(&inbox)?;
    let (tx, rx) = std::sync::mpsc::sync_channel::<Msg>(1024);
    let stats = Arc::new(Stats::default());
    let on_message: Arc<dyn Fn(&str) + Send + Sync> = Arc::from(cfg.on_message);
    let writer = Writer {
        spool,
        ingest: cfg.ingest.clone(),
        options: cfg.options.clone(),
        every: cfg.ingest_every,
        max_servers: cfg.max_servers,
        keep_inbox: cfg.keep_inbox,
        stats: Arc::clone(&stats),
        on_message: Arc::clone(&on_message),
        ingested: HashMap::new(),
        skipped: HashSet::new(),
    };
    let writer = std::thread::Builder::new()
        .name("receive-writer".into())
        .spawn(move || writer.run(rx))
        .map_err(|e| Error::io(&inbox, e))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::io(&cfg.ingest.dir, e))?;
    let served = runtime.block_on(async {
        if let Some(addr) = cfg.syslog_udp {
            let sock = udp_socket(addr).map_err(listen_error("syslog udp", addr))?;
            (cfg.on_listen)("syslog udp", sock.local_addr().unwrap_or(addr));
            tokio::spawn(udp(sock, tx.clone(), Arc::clone(&stats)));
        }
        if let Some(addr) = cfg.syslog_tcp {
            let l = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(listen_error("syslog tcp", addr))?;
            (cfg.on_listen)("syslog tcp", l.local_addr().unwrap_or(addr));
            tokio::spawn(tcp(l, tx.clone(), Arc::clone(&stats)));
        }
        if let Some(addr) = cfg.http {
            let l = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(listen_error("http", addr))?;
            (cfg.on_listen)("http", l.local_addr().unwrap_or(addr));
            let app = axum::Router::new()
                .route("/ingest", post(http_ingest))
                .route("/health", get(health))
                .layer(DefaultBodyLimit::max(MAX_BODY))
                .with_state(Arc::new(HttpState {
                    tx: tx.clone(),
                    token: cfg.token.clone(),
                    stats: Arc::clone(&stats),
                }));
            tokio::spawn(async move {
                let _ =
                    axum::serve(l, app.into_make_service_with_connect_info::<SocketAddr>()).await;
            });
        }
        shutdown_signal().await;
        Ok::<_, Error>(())
    });
    // The writer commits and ingests what it has, then stops.
    let _ = tx.send(Msg::Stop);
    runtime.shutdown_timeout(Duration::from_secs(1));
    let written = writer.join().unwrap_or_else(|_| {
        Err(Error::io(
            &cfg.ingest.dir,
            std::io::Error::other("writer panicked"),
        ))
    });
    served.and(written)
}

fn listen_error(what: &'static str, addr: SocketAddr) -> impl FnOnce(std::io::Error) -> Error {
    move |source| Error::Listen { what, addr, source }
}

async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let Ok(mut term) = signal(SignalKind::terminate()) else {
        let _ = tokio::signal::ctrl_c().await;
        return;
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}

/// Hands `msg` to the writer, waiting (off the async threads) when its queue is full.
async fn send(tx: &SyncSender<Msg>, msg: Msg) -> bool {
    match tx.try_send(msg) {
        Ok(()) => true,
        Err(TrySendError::Full(msg)) => {
            let tx = tx.clone();
            tokio::task::spawn_blocking(move || tx.send(msg).is_ok())
                .await
                .unwrap_or(false)
        }
        Err(TrySendError::Disconnected(_)) => false,
    }
}

/// The server a syslog message is from: its HOSTNAME, else the last one its address sent,
/// else the address.
struct Hostnames(HashMap<IpAddr, Arc<str>>);

impl Hostnames {
    fn of(&mut self, peer: IpAddr, hostname: Option<&str>) -> Arc<str> {
        match hostname {
            Some(h) => {
                let known = self.0.get(&peer).filter(|k| k.as_ref() == h);
                match known {
                    Some(k) => Arc::clone(k),
                    None => {
                        let h: Arc<str> = Arc::from(h);
                        if self.0.len() < 65_536 {
                            self.0.insert(peer, Arc::clone(&h));
                        }
                        h
                    }
                }
            }
            None => self
                .0
                .get(&peer)
                .cloned()
                .unwrap_or_else(|| Arc::from(peer.to_string())),
        }
    }
}

/// One syslog frame into `lines`, or counted rejected.
fn take_frame(
    frame: &[u8],
    peer: IpAddr,
    hosts: &mut Hostnames,
    lines: &mut Vec<(Arc<str>, Vec<u8>)>,
    stats: &Stats,
) {
    let text = String::from_utf8_lossy(frame);
    if matches!(text, std::borrow::Cow::Owned(_)) {
        stats.reject(Reject::NotUtf8.as_str(), 1);
    }
    match syslog::parse(&text) {
        Ok(m) => {
            let server = hosts.of(peer, m.hostname);
            lines.push((server, m.line.as_bytes().to_vec()));
        }
        Err(r) => stats.reject(r.as_str(), 1),
    }
}

/// Datagrams are gathered for this long (or [`UDP_BATCH`] lines) before they go to the writer:
/// the writer's queue holds batches, and one per datagram would fill it in a burst.
const UDP_GATHER: Duration = Duration::from_millis(20);
const UDP_BATCH: usize = 4096;
/// The socket's receive buffer asked for (the kernel caps it at `net.core.rmem_max`): room for
/// a burst while the writer runs an ingest round.
const UDP_RECV_BUFFER: usize = 32 << 20;

/// A UDP socket with a large receive buffer.
fn udp_socket(addr: SocketAddr) -> std::io::Result<tokio::net::UdpSocket> {
    use socket2::{Domain, Protocol, Socket, Type};
    let sock = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    // Best effort: a smaller buffer still works, it only drops sooner.
    let _ = sock.set_recv_buffer_size(UDP_RECV_BUFFER);
    sock.set_nonblocking(true)?;
    sock.bind(&addr.into())?;
    tokio::net::UdpSocket::from_std(sock.into())
}

async fn udp(sock: tokio::net::UdpSocket, tx: SyncSender<Msg>, stats: Arc<Stats>) {
    let mut buf = vec![0u8; 65_536];
    let mut hosts = Hostnames(HashMap::new());
    let mut lines = Vec::new();
    let mut started: Option<Instant> = None;
    loop {
        let got = match started {
            None => Some(sock.recv_from(&mut buf).await),
            Some(t) => {
                let left = UDP_GATHER.saturating_sub(t.elapsed());
                tokio::time::timeout(left, sock.recv_from(&mut buf))
                    .await
                    .ok()
            }
        };
        if let Some(Ok((n, peer))) = got {
            take_frame(&buf[..n], peer.ip(), &mut hosts, &mut lines, &stats);
            started.get_or_insert_with(Instant::now);
        }
        // What else is waiting goes in the same batch.
        while lines.len() < UDP_BATCH {
            match sock.try_recv_from(&mut buf) {
                Ok((n, peer)) => take_frame(&buf[..n], peer.ip(), &mut hosts, &mut lines, &stats),
                Err(_) => break,
            }
        }
        let due = started.is_some_and(|t| t.elapsed() >= UDP_GATHER);
        if !lines.is_empty() && (lines.len() >= UDP_BATCH || due) {
            stats.udp.fetch_add(lines.len() as u64, Ordering::Relaxed);
            let batch = Batch {
                lines: std::mem::take(&mut lines),
                id: None,
                reply: None,
            };
            started = None;
            if !send(&tx, Msg::Batch(batch)).await {
                return;
            }
        } else if lines.is_empty() {
            started = None;
        }
    }
}

async fn tcp(listener: tokio::net::TcpListener, tx: SyncSender<Msg>, stats: Arc<Stats>) {
    loop {
        let Ok((mut conn, peer)) = listener.accept().await else {
            continue;
        };
        let tx = tx.clone();
        let stats = Arc::clone(&stats);
        tokio::spawn(async move {
            let mut framer = Framer::default();
            let mut hosts = Hostnames(HashMap::new());
            let mut buf = vec![0u8; 256 << 10];
            loop {
                let n = conn.read(&mut buf).await.unwrap_or(0);
                let eof = n == 0;
                framer.push(&buf[..n]);
                let mut lines = Vec::new();
                while let Some(frame) = framer.next(eof) {
                    match frame {
                        Frame::Message(m) => {
                            take_frame(&m, peer.ip(), &mut hosts, &mut lines, &stats)
                        }
                        Frame::Bad(r) => stats.reject(r.as_str(), 1),
                    }
                }
                stats.tcp.fetch_add(lines.len() as u64, Ordering::Relaxed);
                if !lines.is_empty() {
                    let batch = Batch {
                        lines,
                        id: None,
                        reply: None,
                    };
                    if !send(&tx, Msg::Batch(batch)).await {
                        return;
                    }
                }
                if eof {
                    return;
                }
            }
        });
    }
}

/// The largest body taken (decompressed too).
const MAX_BODY: usize = 64 << 20;

struct HttpState {
    tx: SyncSender<Msg>,
    token: Option<String>,
    stats: Arc<Stats>,
}

fn authorized(headers: &HeaderMap, token: &str) -> bool {
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    if let Some(t) = value.strip_prefix("Bearer ") {
        return constant_time_eq(t.trim().as_bytes(), token.as_bytes());
    }
    value
        .strip_prefix("Basic ")
        .and_then(|b| basic_password(b.trim()))
        .is_some_and(|p| constant_time_eq(p.as_bytes(), token.as_bytes()))
}

/// The password of `Basic` credentials.
fn basic_password(credentials: &str) -> Option<String> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(credentials)
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    text.split_once(':').map(|(_, p)| p.to_string())
}

fn problem(status: StatusCode, message: String) -> Response {
    (status, axum::Json(serde_json::json!({ "error": message }))).into_response()
}

async fn health(State(state): State<Arc<HttpState>>) -> Response {
    let s = &state.stats;
    let (udp, tcp, http) = s.received();
    axum::Json(serde_json::json!({
        "received": { "udp": udp, "tcp": tcp, "http": http },
        "duplicate_batches": s.duplicates.load(Ordering::Relaxed),
        "rejected": s.rejected(),
    }))
    .into_response()
}

async fn http_ingest(
    State(state): State<Arc<HttpState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if let Some(token) = &state.token
        && !authorized(&headers, token)
    {
        return problem(
            StatusCode::UNAUTHORIZED,
            "this receiver wants `Authorization: Bearer TOKEN` (the token of its --token-file)"
                .into(),
        );
    }
    let header_text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let body = match header_text("content-encoding") {
        None | Some("identity") => body.to_vec(),
        Some("gzip") => {
            use std::io::Read;
            let mut out = Vec::new();
            let read = flate2::read::MultiGzDecoder::new(&body[..])
                .take(MAX_BODY as u64 + 1)
                .read_to_end(&mut out);
            match read {
                Ok(_) if out.len() > MAX_BODY => {
                    return problem(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        format!(
                            "the body is over {MAX_BODY} bytes once decompressed: send smaller batches"
                        ),
                    );
                }
                Ok(_) => out,
                Err(e) => {
                    return problem(
                        StatusCode::BAD_REQUEST,
                        format!("the gzip body cannot be read: {e}"),
                    );
                }
            }
        }
        Some(other) => {
            return problem(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!("Content-Encoding {other} is not read: send gzip or nothing"),
            );
        }
    };
    let label = query
        .get("server")
        .map(String::as_str)
        .or_else(|| header_text("x-clickpath-server"));
    if let Some(l) = label
        && !syslog::valid_label(l)
    {
        return problem(
            StatusCode::BAD_REQUEST,
            "the server label must be 1-253 characters without spaces or control characters".into(),
        );
    }
    let json = header_text("content-type").is_some_and(|t| t.contains("json"));
    let decoded = crate::http::decode(&body, json);
    // A retried batch has the same id: the shipper's, else the hash of what it holds.
    let id = match header_text("idempotency-key") {
        Some(k) => format!("key:{k}"),
        None => {
            use std::hash::Hasher;
            let mut h = siphasher::sip128::SipHasher13::new();
            h.write(label.unwrap_or("").as_bytes());
            h.write_u8(0);
            h.write(peer.ip().to_string().as_bytes());
            h.write_u8(0);
            h.write(&body);
            format!(
                "hash:{:032x}",
                siphasher::sip128::Hasher128::finish128(&h).as_u128()
            )
        }
    };
    let fallback: Arc<str> = Arc::from(label.map_or_else(|| peer.ip().to_string(), str::to_string));
    let mut servers: HashMap<String, Arc<str>> = HashMap::new();
    let lines: Vec<(Arc<str>, Vec<u8>)> = decoded
        .records
        .into_iter()
        .map(|r| {
            let server = match (label, r.server) {
                (None, Some(s)) if syslog::valid_label(&s) => {
                    Arc::clone(servers.entry(s.clone()).or_insert_with(|| Arc::from(s)))
                }
                _ => Arc::clone(&fallback),
            };
            (server, r.line)
        })
        .collect();
    let n = lines.len();
    let (reply_tx, reply_rx) = std::sync::mpsc::sync_channel(1);
    let batch = Batch {
        lines,
        id: Some(id),
        reply: Some(reply_tx),
    };
    if !send(&state.tx, Msg::Batch(batch)).await {
        return problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "the receiver is stopping: retry".into(),
        );
    }
    let answer = tokio::task::spawn_blocking(move || reply_rx.recv())
        .await
        .ok()
        .and_then(Result::ok);
    match answer {
        Some(Ok(ack)) => {
            if !ack.duplicate {
                state.stats.http.fetch_add(n as u64, Ordering::Relaxed);
            }
            let bad: Vec<String> = decoded
                .bad
                .iter()
                .map(|(i, why)| format!("record {i}: {why}"))
                .collect();
            axum::Json(serde_json::json!({
                "accepted": ack.accepted,
                "duplicate": ack.duplicate,
                "not_json": decoded.bad_count,
                "problems": bad,
            }))
            .into_response()
        }
        Some(Err(message)) => problem(StatusCode::UNPROCESSABLE_ENTITY, message),
        None => problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "the receiver could not commit the batch (see its log): retry".into(),
        ),
    }
}

/// Why a batch was not appended.
enum Refused {
    TooManyServers(String),
    /// The inbox could not be written: nothing of the group is committed.
    Io(String),
}

/// The writer thread: spools batches and ingests the inbox.
struct Writer {
    spool: Spool,
    ingest: IngestConfig,
    options: pipeline::Options,
    every: Duration,
    max_servers: usize,
    keep_inbox: Option<Duration>,
    stats: Arc<Stats>,
    on_message: Arc<dyn Fn(&str) + Send + Sync>,
    /// Bytes of each inbox file the dataset has (known this run).
    ingested: HashMap<PathBuf, u64>,
    /// Inbox files whose lines could not be read (told once, not read again).
    skipped: HashSet<PathBuf>,
}

impl Writer {
    fn run(mut self, rx: Receiver<Msg>) -> Result<()> {
        let mut next_ingest = Instant::now() + self.every;
        loop {
            let wait = next_ingest.saturating_duration_since(Instant::now());
            let mut stop = false;
            let mut msgs = Vec::new();
            match rx.recv_timeout(wait) {
                Ok(Msg::Stop) => stop = true,
                Ok(Msg::Batch(b)) => msgs.push(b),
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => stop = true,
            }
            while msgs.len() < 512 && !stop {
                match rx.try_recv() {
                    Ok(Msg::Batch(b)) => msgs.push(b),
                    Ok(Msg::Stop) => stop = true,
                    Err(_) => break,
                }
            }
            if !msgs.is_empty() {
                self.write(msgs);
            }
            if stop || Instant::now() >= next_ingest {
                self.ingest_round();
                next_ingest = Instant::now() + self.every;
            }
            if stop {
                return Ok(());
            }
        }
    }

    /// Appends the batches, commits once, then answers them.
    fn write(&mut self, batches: Vec<Batch>) {
        type Reply = Option<SyncSender<Result<Ack, String>>>;
        let answer = |reply: Reply, a: Result<Ack, String>| {
            if let Some(r) = reply {
                let _ = r.send(a);
            }
        };
        let mut ids: Vec<String> = Vec::new();
        let mut pending: Vec<(Reply, usize)> = Vec::new();
        let mut failed: Option<String> = None;
        for b in batches {
            if failed.is_some() {
                pending.push((b.reply, 0));
                continue;
            }
            let duplicate =
                b.id.as_ref()
                    .is_some_and(|id| self.spool.has_batch(id) || ids.contains(id));
            let accepted = b.lines.len();
            if duplicate {
                self.stats.duplicates.fetch_add(1, Ordering::Relaxed);
                answer(
                    b.reply,
                    Ok(Ack {
                        accepted,
                        duplicate: true,
                    }),
                );
                continue;
            }
            match self.append(b.lines) {
                Ok(()) => {
                    ids.extend(b.id);
                    pending.push((b.reply, accepted));
                }
                Err(Refused::TooManyServers(m)) => answer(b.reply, Err(m)),
                Err(Refused::Io(m)) => {
                    failed = Some(m);
                    pending.push((b.reply, 0));
                }
            }
        }
        if failed.is_none() {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64);
            if let Err(e) = self.spool.commit(&ids, now) {
                failed = Some(format!("cannot commit the inbox: {e}"));
            }
        }
        if let Some(m) = &failed {
            // Nothing of this group is durable: back to the last commit, and every sender is
            // told to retry.
            (self.on_message)(m);
            match Spool::open(&self.ingest.dir.join("inbox")) {
                Ok(s) => self.spool = s,
                Err(e) => (self.on_message)(&format!("cannot reopen the inbox: {e}")),
            }
        }
        for (reply, accepted) in pending {
            match &failed {
                Some(m) => answer(reply, Err(m.clone())),
                None => answer(
                    reply,
                    Ok(Ack {
                        accepted,
                        duplicate: false,
                    }),
                ),
            }
        }
    }

    /// One batch's lines into the inbox, by server and kind.
    fn append(&mut self, lines: Vec<(Arc<str>, Vec<u8>)>) -> std::result::Result<(), Refused> {
        let mut by_file: BTreeMap<(&str, Kind), Vec<u8>> = BTreeMap::new();
        let mut new_servers = HashSet::new();
        for (server, line) in &lines {
            let kind = Kind::of(line);
            let buf = by_file.entry((server, kind)).or_default();
            if !self.spool.has_server(server) {
                new_servers.insert(server.as_ref());
            }
            buf.extend_from_slice(line);
            if !line.ends_with(b"\n") {
                buf.push(b'\n');
            }
        }
        let known = self.spool.servers();
        if known + new_servers.len() > self.max_servers {
            self.stats.reject("too_many_servers", lines.len() as u64);
            return Err(Refused::TooManyServers(format!(
                "too many servers: the inbox has {known} and this batch names {} more; the receiver takes {} (--max-servers)",
                new_servers.len(),
                self.max_servers
            )));
        }
        for ((server, kind), buf) in by_file {
            self.spool
                .append(server, kind, &buf)
                .map_err(|e| Refused::Io(format!("cannot write the inbox: {e}")))?;
        }
        Ok(())
    }

    /// Ingests the inbox's new lines into the dataset.
    fn ingest_round(&mut self) {
        let mut files = self.spool.files_where(|path, len| {
            !self.skipped.contains(path) && self.ingested.get(path) != Some(&len)
        });
        if files.is_empty() {
            return;
        }
        // Error logs first, as every command reads them (their events explain the responses).
        files.sort_by_key(|f| f.kind != Kind::Error);
        let sources: Vec<Source> = files
            .iter()
            .map(|f| {
                let mut s = Source::file(&f.path);
                s.origins = Some(Arc::clone(&f.origins));
                s
            })
            .collect();
        match clickpath_ingest::ingest(&self.ingest, &sources, self.options.clone(), || {}) {
            Ok(outcome) => {
                let skipped: Vec<PathBuf> = outcome
                    .summary
                    .skipped
                    .iter()
                    .filter_map(|f| f.source.path.clone())
                    .collect();
                for f in &outcome.summary.skipped {
                    (self.on_message)(&format!(
                        "could not read {}: {}; the next lines go to a new file (give --format when servers log in different formats)",
                        f.source.name, f.reason
                    ));
                }
                for f in &files {
                    if !skipped.contains(&f.path) {
                        self.ingested.insert(f.path.clone(), f.len);
                    }
                }
                let mut closed = false;
                for p in self.spool.full() {
                    self.spool.close(&p);
                    closed = true;
                }
                for p in skipped {
                    self.spool.close(&p);
                    self.skipped.insert(p);
                    closed = true;
                }
                if closed && let Err(e) = self.spool.save() {
                    (self.on_message)(&format!("cannot save the inbox's state: {e}"));
                }
                if let Some(keep) = self.keep_inbox {
                    let before = std::time::SystemTime::now() - keep;
                    let ingested = &self.ingested;
                    match self
                        .spool
                        .prune(before, |p, len| ingested.get(p) == Some(&len))
                    {
                        Ok(gone) => {
                            for p in gone {
                                self.ingested.remove(&p);
                            }
                        }
                        Err(e) => (self.on_message)(&format!("cannot prune the inbox: {e}")),
                    }
                }
                if outcome.rows_added > 0 {
                    let (udp, tcp, http) = self.stats.received();
                    let rejected: Vec<String> = self
                        .stats
                        .rejected()
                        .iter()
                        .map(|(k, v)| format!("{k} {v}"))
                        .collect();
                    (self.on_message)(&format!(
                        "received {} lines (udp {udp}, tcp {tcp}, http {http}) from {} server(s){}; {}",
                        udp + tcp + http,
                        self.spool.servers(),
                        if rejected.is_empty() {
                            String::new()
                        } else {
                            format!(", frames rejected: {}", rejected.join(", "))
                        },
                        outcome.added
                    ));
                }
            }
            Err(e) => (self.on_message)(&format!(
                "ingest into {} failed: {e}; the lines stay in the inbox and the next round retries",
                self.ingest.dir.display()
            )),
        }
    }
}
