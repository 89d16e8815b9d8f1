//! One thread per receiver: it sends its journal's notifications in order, retrying a failed
//! one with backoff (1 s doubling to 60 s) until it goes through; nothing behind it is sent
//! before it, so a receiver back after ten minutes gets every notification, in order.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use super::Receiver;
use crate::journal::Journal;

/// A receiver's journal, shared by the evaluation (appends) and its delivery thread.
pub struct Queue {
    pub journal: Mutex<Journal>,
    pub wake: Condvar,
    pub sent: AtomicU64,
    pub failed: AtomicU64,
}

impl Queue {
    pub fn new(journal: Journal) -> Arc<Queue> {
        Arc::new(Queue {
            journal: Mutex::new(journal),
            wake: Condvar::new(),
            sent: AtomicU64::new(0),
            failed: AtomicU64::new(0),
        })
    }
}

pub fn spawn(receiver: Receiver, queue: Arc<Queue>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut backoff = Duration::from_secs(1);
        loop {
            let next = {
                let j = queue.journal.lock().unwrap_or_else(|e| e.into_inner());
                match j.next() {
                    Some(n) => n,
                    None => {
                        let _ = queue.wake.wait_timeout(j, Duration::from_secs(1));
                        continue;
                    }
                }
            };
            match receiver.notifier.send(&next, &receiver.name) {
                Ok(()) => {
                    queue.sent.fetch_add(1, Ordering::Relaxed);
                    backoff = Duration::from_secs(1);
                    let mut j = queue.journal.lock().unwrap_or_else(|e| e.into_inner());
                    if let Err(e) = j.delivered(&next.id) {
                        eprintln!("clickpath: receiver {}: {e}", receiver.name);
                    }
                }
                Err(e) => {
                    queue.failed.fetch_add(1, Ordering::Relaxed);
                    eprintln!(
                        "clickpath: receiver {} ({}): {e}; retrying in {} s",
                        receiver.name,
                        receiver.kind,
                        backoff.as_secs()
                    );
                    std::thread::sleep(backoff);
                    backoff = (backoff * 2).min(Duration::from_secs(60));
                }
            }
        }
    })
}
