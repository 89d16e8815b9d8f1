//! Silences for planned windows (`clickpath alerts silence --for 30m host=shop.example.com`):
//! alerts whose labels match every matcher are not told while the silence lasts (wall clock).
//! Kept in `silences.json` in the alert state directory, read again at each dispatch.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, io};
use crate::labels::Labels;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Silence {
    pub id: String,
    /// Label name -> value; all must be equal.
    pub matchers: Labels,
    /// Wall clock, UTC micros.
    pub starts_at: i64,
    pub ends_at: i64,
    pub comment: String,
}

impl Silence {
    /// In force at wall time `wall`.
    pub fn mutes_at(&self, wall: i64) -> bool {
        wall >= self.starts_at && wall < self.ends_at
    }

    /// Mutes an alert with `labels` (a silence in force).
    pub fn mutes(&self, labels: &Labels) -> bool {
        self.matchers
            .iter()
            .all(|(k, v)| labels.get(k).is_some_and(|x| x == v))
    }
}

pub fn path(dir: &Path) -> PathBuf {
    dir.join("silences.json")
}

/// The silences (none when there is no file).
pub fn load(dir: &Path) -> Result<Vec<Silence>> {
    let p = path(dir);
    match std::fs::read(&p) {
        Ok(b) => serde_json::from_slice(&b).map_err(|e| Error::Damaged {
            path: p,
            message: e.to_string(),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(io(&p)(e)),
    }
}

/// `name=value` matchers.
pub fn matchers(args: &[String]) -> Result<Labels> {
    let mut m = Labels::new();
    for a in args {
        match a.split_once('=') {
            Some((k, v)) if !k.is_empty() => {
                m.insert(k.to_owned(), v.to_owned());
            }
            _ => return Err(Error::Matcher(a.clone())),
        }
    }
    if m.is_empty() {
        return Err(Error::Matcher(String::new()));
    }
    Ok(m)
}

/// Adds a silence (expired ones are dropped) and returns it.
pub fn add(dir: &Path, matchers: Labels, wall: i64, length: i64, comment: &str) -> Result<Silence> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let mut all = load(dir)?;
    all.retain(|s| s.ends_at > wall);
    let s = Silence {
        id: format!("{:016x}", wall as u64 ^ (all.len() as u64) << 56),
        matchers,
        starts_at: wall,
        ends_at: wall + length,
        comment: comment.to_owned(),
    };
    all.push(s.clone());
    crate::files::write_atomic(&path(dir), &serde_json::to_vec_pretty(&all).expect("json"))?;
    Ok(s)
}
