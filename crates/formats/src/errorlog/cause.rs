//! What an error-log message says happened: a table of patterns, the first that matches wins.
//! Adding a message = one row here and one case in the table test below.

/// Causes, as the event record and the reports spell them (`clickpath_model::event::CAUSES`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Cause {
    UpstreamRefused,
    UpstreamClosed,
    UpstreamTimeout,
    NoLiveUpstreams,
    FileNotFound,
    Forbidden,
    RateLimited,
    Crash,
    Restart,
    Config,
    Tls,
    Other,
}

impl Cause {
    pub fn as_str(self) -> &'static str {
        clickpath_model::event::CAUSES[self as usize]
    }

    pub fn parse(s: &str) -> Option<Cause> {
        use Cause::*;
        [
            UpstreamRefused,
            UpstreamClosed,
            UpstreamTimeout,
            NoLiveUpstreams,
            FileNotFound,
            Forbidden,
            RateLimited,
            Crash,
            Restart,
            Config,
            Tls,
            Other,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }

    /// The upstream (application) failed: refused, closed, timed out or none left.
    pub fn is_upstream(self) -> bool {
        matches!(
            self,
            Cause::UpstreamRefused
                | Cause::UpstreamClosed
                | Cause::UpstreamTimeout
                | Cause::NoLiveUpstreams
        )
    }
}

/// How a row matches the message.
enum Pattern {
    /// The message contains this text.
    Has(&'static str),
    /// The message is exactly this text (nginx workers' `exit`).
    Is(&'static str),
    /// The message starts with this text (nginx's version line, `nginx/1.24.0`).
    Starts(&'static str),
}

use Cause::*;
use Pattern::{Has, Is, Starts};

/// In order: the specific before the general.
const TABLE: &[(Pattern, Cause)] = &[
    // TLS handshakes come with a client and `while SSL handshaking`: before anything generic.
    (Has("SSL_do_handshake() failed"), Tls),
    (Has("while SSL handshaking"), Tls),
    (Has("SSL routines"), Tls),
    (Has("AH02032"), Tls),
    (Has("AH01964"), Tls),
    (Has("AH02008"), Tls),
    // The upstream (nginx proxy/fastcgi, Apache mod_proxy).
    (Has("upstream timed out"), UpstreamTimeout),
    (
        Has("(70007)The timeout specified has expired"),
        UpstreamTimeout,
    ),
    (
        Has("(110: Connection timed out) while reading"),
        UpstreamTimeout,
    ),
    (Has("no live upstreams"), NoLiveUpstreams),
    (Has("AH00940"), NoLiveUpstreams),
    (Has("AH00959"), NoLiveUpstreams),
    (Has("(111: Connection refused)"), UpstreamRefused),
    (Has("(111)Connection refused"), UpstreamRefused),
    (Has("AH00957"), UpstreamRefused),
    (Has("AH01114"), UpstreamRefused),
    (Has("while connecting to upstream"), UpstreamRefused),
    (
        Has("upstream prematurely closed connection"),
        UpstreamClosed,
    ),
    (
        Has("(104: Connection reset by peer) while reading"),
        UpstreamClosed,
    ),
    (Has("upstream sent no valid"), UpstreamClosed),
    (Has("upstream sent invalid"), UpstreamClosed),
    (Has("upstream sent too big header"), UpstreamClosed),
    (Has("upstream sent duplicate header"), UpstreamClosed),
    (Has("(70014)End of file found"), UpstreamClosed),
    (Has("(104)Connection reset by peer"), UpstreamClosed),
    (Has("AH01102"), UpstreamClosed),
    (Has("AH00898"), UpstreamClosed),
    (Has("AH01097"), UpstreamClosed),
    // What the server itself answers.
    (Has("(2: No such file or directory)"), FileNotFound),
    (Has("AH00128"), FileNotFound),
    (Has("File does not exist"), FileNotFound),
    (Has("script not found or unable to stat"), FileNotFound),
    (Has("AH01264"), FileNotFound),
    (Has("access forbidden by rule"), Forbidden),
    (Has("AH01630"), Forbidden),
    (Has("AH01797"), Forbidden),
    (Has("client denied by server configuration"), Forbidden),
    (Has("directory index of"), Forbidden),
    (Has("Directory index forbidden by rule"), Forbidden),
    (Has("(13)Permission denied"), Forbidden),
    (Has("(13: Permission denied)"), Forbidden),
    (Has("AH00035"), Forbidden),
    (Has("limiting requests"), RateLimited),
    (Has("limiting connections"), RateLimited),
    // The server's processes.
    (Has("exited on signal"), Crash),
    (Has("AH00052"), Crash),
    (Has("exit signal"), Crash),
    (Has("Segmentation fault"), Crash),
    (Has("signal 15 (SIGTERM)"), Restart),
    (Has("signal 3 (SIGQUIT)"), Restart),
    (Has("signal 2 (SIGINT)"), Restart),
    (Has("signal 1 (SIGHUP)"), Restart),
    (Has("signal 10 (SIGUSR1)"), Restart),
    (Has("signal 17 (SIGCHLD)"), Restart),
    (Has("signal 29 (SIGIO)"), Restart),
    (Starts("nginx/"), Restart),
    (Has("start worker process"), Restart),
    (Has("start cache "), Restart),
    (Has("exited with code"), Restart),
    (Has("gracefully shutting down"), Restart),
    (Has("reconfiguring"), Restart),
    (Has("reopening logs"), Restart),
    (Has("using the \""), Restart),
    (Has("getrlimit(RLIMIT_NOFILE)"), Restart),
    (Has("built by "), Restart),
    (Has("built with "), Restart),
    (Has("OS: "), Restart),
    (Is("exit"), Restart),
    (Is("exiting"), Restart),
    (Has("AH00489"), Restart),
    (Has("AH00490"), Restart),
    (Has("AH00491"), Restart),
    (Has("AH00492"), Restart),
    (Has("AH00493"), Restart),
    (Has("AH00169"), Restart),
    (Has("AH00171"), Restart),
    (Has("AH00090"), Restart),
    (Has("AH00094"), Restart),
    (Has("AH00163"), Restart),
    (Has("AH00096"), Restart),
    (Has("resuming normal operations"), Restart),
    // Configuration (`nginx -t`, `apachectl configtest`, a bad reload).
    (Has("unknown directive"), Config),
    (Has("invalid number of arguments"), Config),
    (Has("configuration file"), Config),
    (Has("AH00526"), Config),
    (Has("Syntax error"), Config),
    (Has("AH00072"), Config),
    (Has("bind() to"), Config),
    (Has("AH00558"), Config),
];

/// The `Has` patterns in one automaton (one pass over the message instead of one search per
/// pattern), each with its row in [`TABLE`].
fn automaton() -> &'static (aho_corasick::AhoCorasick, Vec<usize>) {
    static A: std::sync::OnceLock<(aho_corasick::AhoCorasick, Vec<usize>)> =
        std::sync::OnceLock::new();
    A.get_or_init(|| {
        let (rows, needles): (Vec<usize>, Vec<&str>) = TABLE
            .iter()
            .enumerate()
            .filter_map(|(i, (p, _))| match p {
                Has(s) => Some((i, *s)),
                _ => None,
            })
            .unzip();
        let ac = aho_corasick::AhoCorasick::new(needles).expect("the table's patterns build");
        (ac, rows)
    })
}

/// The cause of an event's message (without the fields nginx appends: `client:`, ...): the
/// first row of the table that matches.
pub fn classify(message: &[u8]) -> Cause {
    let (ac, rows) = automaton();
    let mut first = ac
        .find_overlapping_iter(message)
        .map(|m| rows[m.pattern().as_usize()])
        .min();
    for (i, (pattern, _)) in TABLE.iter().enumerate() {
        if first.is_some_and(|f| f < i) {
            break;
        }
        let hit = match pattern {
            Has(_) => false,
            Is(s) => message.trim_ascii() == s.as_bytes(),
            Starts(s) => message.starts_with(s.as_bytes()),
        };
        if hit {
            first = Some(i);
            break;
        }
    }
    first.map_or(Other, |i| TABLE[i].1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Messages as nginx 1.24 and Apache 2.4 print them (after the time, level and pid).
    #[test]
    fn each_message_has_its_cause() {
        let cases: &[(&str, Cause)] = &[
            (
                "connect() failed (111: Connection refused) while connecting to upstream",
                UpstreamRefused,
            ),
            (
                "connect() failed (113: No route to host) while connecting to upstream",
                UpstreamRefused,
            ),
            (
                "(111)Connection refused: AH00957: http: attempt to connect to 127.0.0.1:8080 (127.0.0.1:8080) failed",
                UpstreamRefused,
            ),
            (
                "AH01114: HTTP: failed to make connection to backend: 127.0.0.1",
                UpstreamRefused,
            ),
            (
                "upstream prematurely closed connection while reading response header from upstream",
                UpstreamClosed,
            ),
            (
                "recv() failed (104: Connection reset by peer) while reading response header from upstream",
                UpstreamClosed,
            ),
            (
                "(70014)End of file found: AH01102: error reading status line from remote server 127.0.0.1:8080",
                UpstreamClosed,
            ),
            (
                "AH00898: Error reading from remote server returned by /checkout/payment",
                UpstreamClosed,
            ),
            (
                "upstream timed out (110: Connection timed out) while reading response header from upstream",
                UpstreamTimeout,
            ),
            (
                "(70007)The timeout specified has expired: AH01102: error reading status line from remote server 127.0.0.1:8080",
                UpstreamTimeout,
            ),
            (
                "no live upstreams while connecting to upstream",
                NoLiveUpstreams,
            ),
            (
                "AH00940: http: disabled connection for (127.0.0.1:8080)",
                NoLiveUpstreams,
            ),
            (
                "open() \"/var/www/shop/static/img/a.webp\" failed (2: No such file or directory)",
                FileNotFound,
            ),
            (
                "AH00128: File does not exist: /var/www/shop/static/img/a.webp",
                FileNotFound,
            ),
            ("access forbidden by rule", Forbidden),
            (
                "AH01630: client denied by server configuration: proxy:http://127.0.0.1:8080/admin/",
                Forbidden,
            ),
            (
                "directory index of \"/var/www/html/\" is forbidden",
                Forbidden,
            ),
            (
                "limiting requests, excess: 20.488 by zone \"perip\"",
                RateLimited,
            ),
            ("worker process 11926 exited on signal 11", Crash),
            (
                "worker process 11926 exited on signal 11 (core dumped)",
                Crash,
            ),
            (
                "AH00052: child pid 29425 exit signal Segmentation fault (11)",
                Crash,
            ),
            ("signal 15 (SIGTERM) received from 1, exiting", Restart),
            (
                "signal 10 (SIGUSR1) received from 27063, reopening logs",
                Restart,
            ),
            ("signal 1 (SIGHUP) received from 1, reconfiguring", Restart),
            ("start worker processes", Restart),
            ("exiting", Restart),
            ("exit", Restart),
            (
                "AH00492: caught SIGWINCH, shutting down gracefully",
                Restart,
            ),
            (
                "AH00489: Apache/2.4.57 (Debian) configured -- resuming normal operations",
                Restart,
            ),
            (
                "AH00493: SIGUSR1 received.  Doing graceful restart",
                Restart,
            ),
            (
                "unknown directive \"proxy_passs\" in /etc/nginx/sites-enabled/shop:12",
                Config,
            ),
            (
                "AH00526: Syntax error on line 3 of /etc/apache2/sites-enabled/shop.conf:",
                Config,
            ),
            (
                "SSL_do_handshake() failed (SSL: error:0A00006C:SSL routines::bad key share) while SSL handshaking",
                Tls,
            ),
            (
                "an upstream response is buffered to a temporary file /var/cache/nginx/proxy_temp/2/31/0000005312 while reading upstream",
                Other,
            ),
            (
                "FastCGI sent in stderr: \"PHP message: PHP Warning: Undefined variable $x\"",
                Other,
            ),
            ("exit later", Other),
            ("nginx/1.22.1", Restart),
            // Apache 2.0 and 2.2 (Loghub's real Apache_2k.log has the first).
            (
                "Directory index forbidden by rule: /var/www/html/",
                Forbidden,
            ),
            (
                "(13)Permission denied: access to /private denied",
                Forbidden,
            ),
            (
                "script not found or unable to stat: /var/www/cgi-bin/x.cgi",
                FileNotFound,
            ),
            ("mod_jk child workerEnv in error state 6", Other),
            // nginx behind Kubernetes and on BSD, as public posts quote them.
            (
                "upstream timed out (110: Operation timed out) while reading response header from upstream",
                UpstreamTimeout,
            ),
            (
                "upstream sent too big header while reading response header from upstream",
                UpstreamClosed,
            ),
            ("signal 29 (SIGIO) received", Restart),
            (
                "AH00096: removed PID file /run/apache2/apache2.pid (pid=9395)",
                Restart,
            ),
        ];
        for (message, want) in cases {
            assert_eq!(classify(message.as_bytes()), *want, "{message}");
        }
        for c in clickpath_model::event::CAUSES {
            assert_eq!(Cause::parse(c).map(Cause::as_str), Some(c));
        }
    }
}
