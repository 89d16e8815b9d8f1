//! Each receiver's queue on disk: notifications are appended (and synced) before the alert
//! state that made them is saved, and delivered in order; a receiver that is down gets them
//! all, in order, once it is back. `<receiver>.jsonl` holds the notifications,
//! `<receiver>.delivered` how many of them were delivered. A kill between a delivery and its
//! mark sends that one notification again, with the same id.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result, io};
use crate::files::write_atomic;
use crate::payload::Notification;

/// Compact the file when this many delivered notifications are in front.
const COMPACT_AFTER: usize = 1000;

pub struct Journal {
    path: PathBuf,
    done_path: PathBuf,
    entries: Vec<Notification>,
    ids: HashSet<String>,
    delivered: usize,
}

fn safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

impl Journal {
    pub fn open(dir: &Path, receiver: &str) -> Result<Journal> {
        let dir = dir.join("journal");
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        let path = dir.join(format!("{}.jsonl", safe(receiver)));
        let done_path = dir.join(format!("{}.delivered", safe(receiver)));
        let mut entries = Vec::new();
        match std::fs::read(&path) {
            Ok(bytes) => {
                let lines: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
                let last = lines.len().saturating_sub(1);
                for (i, line) in lines.iter().enumerate() {
                    if line.is_empty() {
                        continue;
                    }
                    match serde_json::from_slice::<Notification>(line) {
                        Ok(n) => entries.push(n),
                        // A last line cut by a kill while it was appended: that notification
                        // is made again after the restart (its state was not saved).
                        Err(_) if i == last => {}
                        Err(e) => {
                            return Err(Error::Damaged {
                                path: path.clone(),
                                message: format!("line {}: {e}", i + 1),
                            });
                        }
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(&path)(e)),
        }
        let delivered = match std::fs::read_to_string(&done_path) {
            Ok(s) => s.trim().parse::<usize>().map_err(|e| Error::Damaged {
                path: done_path.clone(),
                message: e.to_string(),
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
            Err(e) => return Err(io(&done_path)(e)),
        }
        .min(entries.len());
        let ids = entries.iter().map(|n| n.id.clone()).collect();
        let mut j = Journal {
            path,
            done_path,
            entries,
            ids,
            delivered,
        };
        j.rewrite()?; // drops a cut last line
        Ok(j)
    }

    fn rewrite(&mut self) -> Result<()> {
        let mut text = Vec::new();
        for n in &self.entries {
            serde_json::to_writer(&mut text, n).expect("json");
            text.push(b'\n');
        }
        write_atomic(&self.path, &text)?;
        write_atomic(&self.done_path, self.delivered.to_string().as_bytes())
    }

    /// Appends `n` unless a notification with its id is already there (made again after a
    /// restart). Returns whether it was added.
    pub fn append(&mut self, n: &Notification) -> Result<bool> {
        if !self.ids.insert(n.id.clone()) {
            return Ok(false);
        }
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(io(&self.path))?;
        let mut line = serde_json::to_vec(n).expect("json");
        line.push(b'\n');
        f.write_all(&line).map_err(io(&self.path))?;
        f.sync_data().map_err(io(&self.path))?;
        self.entries.push(n.clone());
        Ok(true)
    }

    /// The next notification to deliver.
    pub fn next(&self) -> Option<Notification> {
        self.entries.get(self.delivered).cloned()
    }

    /// The notification with id `id` was delivered.
    pub fn delivered(&mut self, id: &str) -> Result<()> {
        if self.entries.get(self.delivered).is_some_and(|n| n.id == id) {
            self.delivered += 1;
            write_atomic(&self.done_path, self.delivered.to_string().as_bytes())?;
            if self.delivered >= COMPACT_AFTER && self.delivered == self.entries.len() {
                // Keep the ids of the last ones, for notifications made again after a restart.
                self.entries.drain(..self.delivered.saturating_sub(100));
                self.delivered = self.entries.len();
                self.ids = self.entries.iter().map(|n| n.id.clone()).collect();
                self.rewrite()?;
            }
        }
        Ok(())
    }

    pub fn pending(&self) -> usize {
        self.entries.len() - self.delivered
    }
}
