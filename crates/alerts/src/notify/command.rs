//! A command that reads the webhook JSON on its standard input (`CLICKPATH_NOTIFICATION_ID`
//! and `CLICKPATH_STATUS` in its environment); a non-zero exit or a timeout is retried.

use std::io::Write;
use std::process::Stdio;
use std::time::{Duration, Instant};

use super::Notifier;
use crate::payload::Notification;

pub struct Command {
    argv: Vec<String>,
    timeout: Duration,
}

impl Command {
    pub fn new(argv: Vec<String>, timeout: Duration) -> Command {
        Command { argv, timeout }
    }
}

impl Notifier for Command {
    fn send(&self, n: &Notification, receiver: &str) -> Result<(), String> {
        let name = &self.argv[0];
        let mut child = std::process::Command::new(name)
            .args(&self.argv[1..])
            .env("CLICKPATH_NOTIFICATION_ID", &n.id)
            .env("CLICKPATH_STATUS", &n.status)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot run {name}: {e}"))?;
        let body = n.webhook(receiver).to_string();
        if let Some(mut stdin) = child.stdin.take() {
            // A command that does not read its input still gets to run.
            let _ = stdin.write_all(body.as_bytes());
        }
        let start = Instant::now();
        loop {
            match child.try_wait() {
                Ok(Some(status)) if status.success() => return Ok(()),
                Ok(Some(status)) => return Err(format!("{name} exited with {status}")),
                Ok(None) if start.elapsed() > self.timeout => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(format!("{name} ran longer than {:?}, killed", self.timeout));
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                Err(e) => return Err(format!("{name}: {e}")),
            }
        }
    }
}
