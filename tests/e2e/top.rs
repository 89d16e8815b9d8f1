//! `clickpath top`: screens at 80x24 and 160x48 whose figures are the `report --json` ones, a
//! hostile log that cannot act on the terminal, and the live dashboard in a real terminal
//! (tmux): following a growing log, keys, and the terminal restored after `q` and SIGTERM.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;
use unicode_width::UnicodeWidthStr;

use crate::browser::grouped as thousands;
use crate::{clickpath, run};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn sample_args() -> Vec<String> {
    let s = root().join("testdata/sample");
    vec![
        "-c".into(),
        root().join("examples/clickpath.toml").display().to_string(),
        s.join("access.log.gz").display().to_string(),
        s.join("error.log.gz").display().to_string(),
    ]
}

fn report_json(dir: &Path, inputs: &[String]) -> Value {
    let (code, out, err) = run(clickpath(dir).arg("report").arg("--json").args(inputs));
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap()
}

fn screen(dir: &Path, size: &str, inputs: &[String]) -> Vec<String> {
    let (code, out, err) = run(clickpath(dir).args(["top", "--screen", size]).args(inputs));
    assert_eq!(code, 0, "{err}");
    out.lines().map(str::to_owned).collect()
}

fn count(v: &Value) -> String {
    thousands(v.as_u64().unwrap())
}

fn pct(v: &Value) -> String {
    format!("{:.1}%", v.as_f64().unwrap() * 100.0)
}

fn class(doc: &Value, c: &str) -> u64 {
    doc["statuses"]["classes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["value"] == c)
        .map_or(0, |r| r["count"].as_u64().unwrap())
}

/// The screen's line holding a table row whose first cell is `first` (after the border).
fn row_of<'a>(lines: &'a [String], first: &str) -> Vec<&'a str> {
    lines
        .iter()
        .filter(|l| {
            l.split('│')
                .any(|cell| cell.split("  ").next().map(str::trim) == Some(first))
        })
        .map(String::as_str)
        .collect()
}

fn assert_fits(lines: &[String], w: usize, h: usize) {
    assert_eq!(lines.len(), h, "one line per terminal row");
    for l in lines {
        assert!(l.width() <= w, "wider than {w}: {l:?}");
        assert!(
            !l.chars().any(char::is_control),
            "a control character: {l:?}"
        );
    }
}

#[test]
fn screens_show_the_reports_figures_at_80x24_and_160x48() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = sample_args();
    let doc = report_json(dir.path(), &inputs);
    let t = &doc["traffic"];

    let small = screen(dir.path(), "80x24", &inputs);
    assert_fits(&small, 80, 24);
    // Headline: the report's figures.
    assert!(small[0].starts_with("clickpath top LIVE"), "{}", small[0]);
    for (label, v) in [
        ("Requests", count(&t["requests"])),
        ("Visitors", count(&t["visitors"])),
        ("Sessions", count(&t["sessions"])),
        ("Views", count(&t["pageviews"])),
        ("Bounce", pct(&t["bounce_rate"])),
    ] {
        assert!(
            small[1].contains(&format!("{label} {v}")),
            "{label} {v} in {}",
            small[1]
        );
    }
    let funnel = &doc["funnels"][0];
    for (label, v) in [
        (
            format!("Conv. {}", funnel["name"].as_str().unwrap()),
            pct(&funnel["conversion_rate"]),
        ),
        ("5xx".into(), thousands(class(&doc, "5xx"))),
        ("4xx".into(), thousands(class(&doc, "4xx"))),
        (
            "Incidents".into(),
            doc["incidents"].as_array().unwrap().len().to_string(),
        ),
        ("Bots".into(), count(&t["bot_requests"])),
    ] {
        assert!(
            small[2].contains(&format!("{label} {v}")),
            "{label} {v} in {}",
            small[2]
        );
    }
    // Layout at 80x24: headline 3 rows, the live strip 2, the tab bar, two panels stacked
    // (rows 7-15 and 16-23), the status line.
    assert!(small[3].starts_with("req/"), "{}", small[3]);
    assert!(small[4].starts_with("errors "), "{}", small[4]);
    assert!(
        small[5].starts_with(" 1 Traffic by day  2 Channels"),
        "{}",
        small[5]
    );
    assert!(small[6].starts_with("┌ 1 Traffic by day"), "{}", small[6]);
    assert!(small[15].starts_with("┌ 2 Channels"), "{}", small[15]);
    assert!(small[22].starts_with('└'));
    assert!(small[23].ends_with("q quit"), "{}", small[23]);
    // The channels panel: each channel that fits (five rows) with its sessions.
    for ch in doc["acquisition"]["channels"]
        .as_array()
        .unwrap()
        .iter()
        .take(5)
    {
        let rows = row_of(&small, ch["value"].as_str().unwrap());
        assert_eq!(rows.len(), 1, "{ch} once in {small:#?}");
        assert!(
            rows[0].contains(&format!(" {} ", count(&ch["count"]))),
            "{ch}: {}",
            rows[0]
        );
    }

    // Not a terminal (here stdout is a pipe): the printed report of the same files.
    let (code, piped, err) = run(clickpath(dir.path()).arg("top").args(&inputs));
    assert_eq!(code, 0, "{err}");
    let (_, printed, _) = run(clickpath(dir.path()).arg("report").args(&inputs));
    assert_eq!(piped, printed);
    assert!(piped.contains(&count(&t["requests"])));

    let wide = screen(dir.path(), "160x48", &inputs);
    assert_fits(&wide, 160, 48);
    // Three panels side by side, three rows of them, the first under the tab bar.
    let mut last = 5;
    for titles in [
        ["┌ 1 Traffic by day", "┌ 2 Channels", "┌ 3 Campaigns"],
        ["┌ 4 Top pages", "┌ 5 Entry pages", "┌ 6 Exit pages"],
        [
            "┌ 7 Funnel checkout",
            "┌ 8 Funnel checkout-7d",
            "┌ 9 Incidents",
        ],
    ] {
        let row = wide.iter().position(|l| l.starts_with(titles[0])).unwrap();
        assert!(row > last, "{titles:?} below the row before");
        assert!(row - last >= 8 || last == 5, "panels at least 8 rows high");
        for t in titles {
            assert!(wide[row].contains(t), "{t} in row {row}: {}", wide[row]);
        }
        last = row;
    }
    assert!(wide.iter().position(|l| l.starts_with("┌ 1 ")) == Some(6));
    // The funnel's steps (panel 7, the left column from `last`): sessions, conversion from the
    // step before and drop-off of each, from the report.
    for s in funnel["steps"].as_array().unwrap() {
        let cells: Vec<&str> = wide[last..]
            .iter()
            .filter_map(|l| l.split('│').nth(1))
            .map(|c| c.split_whitespace().collect::<Vec<_>>())
            .find(|c| c.first() == s["name"].as_str().as_ref())
            .unwrap_or_else(|| panic!("step {s} in {wide:#?}"));
        assert_eq!(
            cells[1..4],
            [
                count(&s["sessions"]).as_str(),
                pct(&s["conversion_from_previous"]).as_str(),
                count(&s["drop_off"]).as_str()
            ],
            "step {s}"
        );
    }
    // The top pages, with their views.
    for p in doc["pages"]["top"].as_array().unwrap().iter().take(10) {
        let rows = row_of(&wide, p["value"].as_str().unwrap());
        assert!(
            rows.iter()
                .any(|r| r.contains(&format!(" {} ", count(&p["count"])))),
            "{p} in {rows:?}"
        );
    }
}

#[test]
fn drill_downs_ask_for_what_the_web_dashboard_asks_for() {
    let dir = tempfile::tempdir().unwrap();
    let doc = report_json(dir.path(), &sample_args());
    let report: clickpath_analytics::TrafficReport = serde_json::from_value(doc.clone()).unwrap();
    let panels = clickpath_tui::panels::panels(&report, None);
    let rows = |title: &str| {
        panels
            .iter()
            .find(|p| p.title == title)
            .unwrap()
            .rows
            .clone()
    };
    let pairs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
        v.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    };
    // The sample's one incident, loggen's outage-5xx at 10:00 (README): its 5xx responses in
    // its window, as the dashboard's incidentDrill asks.
    let inc = &doc["incidents"][0];
    assert_eq!(inc["kind"], "error_burst");
    let start = inc["start"].as_str().unwrap();
    let drill = rows("Incidents")
        .into_iter()
        .find(|r| r.drill.iter().any(|(k, v)| k == "start" && v == start))
        .unwrap()
        .drill;
    assert_eq!(
        drill,
        pairs(&[
            ("start", start),
            ("end", inc["end"].as_str().unwrap()),
            ("class", "5xx")
        ])
    );
    // A broken link: the 404s of its target, as the dashboard's table asks.
    let link = &doc["errors"]["internal_links"][0];
    let first = &rows("Broken links")[0];
    assert_eq!(
        first.drill,
        pairs(&[
            ("status", "404"),
            ("path", link["target"].as_str().unwrap())
        ])
    );
}

#[test]
fn a_hostile_log_cannot_act_on_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    // Escape sequences (clear screen, move the cursor, set the title, C1 CSI), bidirectional
    // overrides, a 5,000-character path and wide characters, in path, referrer and agent.
    let evil = [
        "/\u{1b}[2J\u{1b}[H\u{1b}]0;pwned\u{7}",
        "/\u{9b}31mred\u{202e}evil/",
        &format!("/{}", "漢字🎉".repeat(1700)),
    ];
    let mut log = String::new();
    for (i, p) in evil.iter().enumerate() {
        for k in 0..3 {
            log.push_str(&format!(
                "10.0.0.{i} - - [01/Mar/2024:10:0{k}:00 +0000] \"GET {p} HTTP/1.1\" 200 12 \"https://x.example/{p}\" \"Mozilla/5.0 {p}\"\n"
            ));
        }
    }
    std::fs::write(dir.path().join("evil.log"), log.as_bytes()).unwrap();
    let inputs = vec!["evil.log".to_owned()];
    let doc = report_json(dir.path(), &inputs);
    assert_eq!(doc["traffic"]["requests"], 9, "every line is a request");
    // Down to the smallest size `--screen` takes, where panels are narrower than their text.
    for (w, h) in [(80, 24), (160, 48), (20, 8), (37, 11)] {
        let lines = screen(dir.path(), &format!("{w}x{h}"), &inputs);
        assert_fits(&lines, w, h);
        if w >= 80 {
            assert!(lines[1].contains("Requests 9 "), "{}", lines[1]);
        }
        let text = lines.join("\n");
        assert!(!text.contains('\u{1b}') && !text.contains('\u{202e}'));
        if w == 160 {
            // The top pages (panel 4, on the first screen at this size) show them escaped.
            assert!(
                text.contains("/?[2J?[H?]0;pwned?"),
                "shown, escaped: {text}"
            );
            assert!(text.contains("/?31mred?evil/"), "{text}");
            assert!(text.contains("/漢字🎉漢字"), "{text}");
        }
    }
}

/// A tmux server of its own, ended on drop.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn new() -> Tmux {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Tmux {
            socket: format!("clickpath-top-{}-{n}", std::process::id()),
        }
    }

    fn cmd(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .output()
            .expect("tmux runs (Debian package tmux)");
        assert!(
            out.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn screen(&self) -> String {
        self.cmd(&["capture-pane", "-p", "-t", "top"])
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "top"];
        args.extend(keys);
        self.cmd(&args);
    }

    fn literally(&self, text: &str) {
        self.cmd(&["send-keys", "-t", "top", "-l", text]);
    }

    fn pane(&self, what: &str) -> String {
        self.cmd(&["display-message", "-p", "-t", "top", what])
            .trim()
            .to_owned()
    }

    /// Waits (at most 60 s) until the screen satisfies `ok`.
    fn wait(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if ok(&s) {
                return s;
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "waited for {what}; the screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Starts `clickpath top ARGS` in a 120x36 terminal, from a shell that says how it ended.
    fn start(&self, dir: &Path, args: &str) {
        let bin = env!("CARGO_BIN_EXE_clickpath");
        let command = format!(
            "cd {} && CLICKPATH_SECRET_FILE=secret {bin} top {args}; echo EXITED $?; \
             stty -a | tr ' ;' '\\n\\n' | grep -x -e -icanon -e icanon; sleep 600",
            dir.display()
        );
        self.cmd(&[
            "new-session",
            "-d",
            "-s",
            "top",
            "-x",
            "120",
            "-y",
            "36",
            "sh",
            "-c",
            &command,
        ]);
    }

    /// `clickpath top growing.log` in a new terminal, once it shows `requests`; and its pid.
    fn showing(dir: &Path, requests: &str) -> (Tmux, String) {
        let tmux = Tmux::new();
        tmux.start(dir, "growing.log");
        let pid = tmux.pid();
        tmux.wait("the figures", |s| {
            s.contains(&format!("Requests {requests} "))
        });
        (tmux, pid)
    }

    /// clickpath's pid: the child of the pane's shell.
    fn pid(&self) -> String {
        let shell = self.pane("#{pane_pid}");
        let start = Instant::now();
        loop {
            let out = Command::new("pgrep").args(["-P", &shell]).output().unwrap();
            let pid = String::from_utf8_lossy(&out.stdout).trim().to_owned();
            if !pid.is_empty() {
                return pid;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "no clickpath under {shell}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The program ended; the terminal is back on its normal screen, the cursor shown, out of
    /// raw mode (`stty` sees canonical input again). Returns the exit status the shell saw.
    fn assert_restored(&self) -> String {
        let s = self.wait("the shell after clickpath", |s| s.contains("icanon"));
        assert!(
            s.lines().any(|l| l == "icanon"),
            "canonical mode again: {s}"
        );
        assert_eq!(
            self.pane("#{alternate_on}"),
            "0",
            "left the alternate screen"
        );
        assert_eq!(
            self.pane("#{cursor_flag}"),
            "1",
            "the cursor is shown again"
        );
        s.split("EXITED ")
            .nth(1)
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap()
            .to_owned()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}

#[test]
fn live_in_a_real_terminal_follows_the_log_and_restores_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    crate::loggen(
        d,
        &[
            "--seed",
            "7",
            "--lines",
            "3000",
            "--start-date",
            "2024-03-08",
            "--malformed-rate",
            "0",
        ],
    );
    let full = std::fs::read_to_string(d.join("access.log")).unwrap();
    let lines: Vec<&str> = full.lines().collect();
    std::fs::write(d.join("growing.log"), lines[..1000].join("\n") + "\n").unwrap();
    let doc = report_json(d, &["access.log".to_owned()]);
    let requests = count(&doc["traffic"]["requests"]);

    let tmux = Tmux::new();
    tmux.start(d, "--poll-ms 200 growing.log");
    tmux.pid();
    tmux.wait("the first figures", |s| s.contains("Requests 1,000 "));
    // The log grows: the screen follows to the full report's figures.
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(d.join("growing.log"))
        .unwrap();
    std::io::Write::write_all(&mut f, (lines[1000..].join("\n") + "\n").as_bytes()).unwrap();
    let s = tmux.wait("the full log's figures", |s| {
        s.contains(&format!("Requests {requests} "))
    });
    assert!(
        s.contains(&format!("Sessions {} ", count(&doc["traffic"]["sessions"]))),
        "{s}"
    );

    // Panel 4 (top pages) expanded, then the requests behind its first row: as many as the
    // log has lines for that path (counted here from the raw lines).
    tmux.keys(&["4", "Enter"]);
    let top = &doc["pages"]["top"][0]["value"];
    tmux.wait("the expanded top pages", |s| s.contains("┌ 4 Top pages"));
    tmux.keys(&["Enter"]);
    let path = top.as_str().unwrap();
    let behind = lines
        .iter()
        .filter(|l| {
            l.split('"')
                .nth(1)
                .and_then(|r| r.split(' ').nth(1))
                .map(|t| t.split('?').next())
                == Some(Some(path))
        })
        .count() as u64;
    let s = tmux.wait("the drill-down", |s| s.contains("request(s)"));
    assert!(
        s.contains(&format!(
            "Top pages: {path} — {} request(s)",
            thousands(behind)
        )),
        "{behind} requests of {path}: {s}"
    );
    assert!(
        s.contains("access.log:") || s.contains("growing.log:"),
        "{s}"
    );
    tmux.keys(&["Escape", "Escape"]);

    // The keys' help, closed by any key.
    tmux.keys(&["?"]);
    tmux.wait("the help", |s| s.contains("keys (any key closes)"));
    tmux.keys(&["x"]);
    tmux.wait("the help closed", |s| !s.contains("keys (any key closes)"));

    // A search across panels.
    tmux.keys(&["/"]);
    tmux.literally("checkout");
    tmux.keys(&["Enter"]);
    let s = tmux.wait("the search", |s| s.contains("search \"checkout\""));
    assert!(s.contains("/checkout"), "{s}");
    tmux.keys(&["Escape"]);

    // A filter from the prompt: the email channel's sessions, as the report counts them.
    let email = doc["acquisition"]["channels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["value"] == "email")
        .map(|c| count(&c["count"]))
        .unwrap();
    tmux.keys(&[":"]);
    tmux.literally("channel=email");
    tmux.keys(&["Enter"]);
    let s = tmux.wait("the filtered figures", |s| s.contains("channel=email"));
    let s = if s.contains(&format!("Sessions {email} ")) {
        s
    } else {
        tmux.wait("the email sessions", |s| {
            s.contains(&format!("Sessions {email} "))
        })
    };
    assert!(s.contains("channel=email"), "{s}");
    // A wrong filter is said.
    tmux.keys(&[":", "C-u"]);
    tmux.literally(" chanel=x");
    tmux.keys(&["Enter"]);
    tmux.wait("the filter's error", |s| {
        s.contains("unknown parameter `chanel`")
    });

    tmux.keys(&["q"]);
    assert_eq!(tmux.assert_restored(), "0", "q exits with 0");
    drop(tmux);

    // SIGTERM: the terminal is restored too.
    let (tmux, pid) = Tmux::showing(d, &requests);
    assert_eq!(
        tmux.pane("#{alternate_on}"),
        "1",
        "full-screen while it runs"
    );
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    tmux.assert_restored();
    drop(tmux);

    // The terminal hangs up (its tmux server ends, as an SSH session that drops): clickpath
    // ends too, instead of reading a terminal that is gone.
    let (tmux, pid) = Tmux::showing(d, &requests);
    drop(tmux);
    let start = Instant::now();
    while Path::new(&format!("/proc/{pid}")).exists() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "clickpath {pid} still runs after the hang-up"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}
