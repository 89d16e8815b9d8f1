//! The users file: who may log in to the dashboard (argon2 password hashes) and the read-only
//! API tokens (SHA-256 of the token; the token itself is shown once, when created).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::Error;

/// Shortest password `user add` accepts.
pub const MIN_PASSWORD_CHARS: usize = 12;

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Users {
    #[serde(default)]
    pub users: Vec<User>,
    #[serde(default)]
    pub tokens: Vec<Token>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    pub name: String,
    /// PHC string (`$argon2id$...`).
    pub password: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Token {
    pub name: String,
    /// Hex SHA-256 of the token.
    pub sha256: String,
}

fn sha256_hex(s: &str) -> String {
    Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `n` random bytes from the operating system, base64url.
pub fn random_token(n: usize) -> String {
    use base64::Engine;
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).expect("the operating system's random source");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn check_name(name: &str) -> Result<(), Error> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._@-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(Error::Invalid(format!(
            "`{name}` is not a user name: use 1 to 64 letters, digits, `.`, `_`, `@` or `-`"
        )))
    }
}

impl Users {
    /// Reads the file; a missing file is no users.
    pub fn load(path: &Path) -> Result<Self, Error> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Users::default()),
            Err(e) => return Err(Error::io(path, e)),
        };
        serde_json::from_str(&text).map_err(|e| Error::Damaged {
            path: path.display().to_string(),
            message: e.to_string(),
        })
    }

    /// Writes the file readable by its owner only, replacing it atomically.
    pub fn save(&self, path: &Path) -> Result<(), Error> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        let tmp = path.with_extension("tmp");
        let text = serde_json::to_string_pretty(self).expect("users serialise");
        {
            use std::io::Write;
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create(true).truncate(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut f = options.open(&tmp).map_err(|e| Error::io(&tmp, e))?;
            f.write_all(text.as_bytes())
                .and_then(|_| f.sync_all())
                .map_err(|e| Error::io(&tmp, e))?;
        }
        std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
    }

    /// Adds the user, or sets a new password for an existing one.
    pub fn set_password(&mut self, name: &str, password: &str) -> Result<(), Error> {
        check_name(name)?;
        if password.chars().count() < MIN_PASSWORD_CHARS {
            return Err(Error::Invalid(format!(
                "the password is too short: use at least {MIN_PASSWORD_CHARS} characters"
            )));
        }
        let salt = SaltString::encode_b64(random_token(16).as_bytes())
            .map_err(|e| Error::Invalid(e.to_string()))?;
        let hash = Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map_err(|e| Error::Invalid(e.to_string()))?
            .to_string();
        match self.users.iter_mut().find(|u| u.name == name) {
            Some(u) => u.password = hash,
            None => self.users.push(User {
                name: name.to_owned(),
                password: hash,
            }),
        }
        Ok(())
    }

    /// Removes a user or a token by name; false when there was none.
    pub fn remove(&mut self, name: &str) -> bool {
        let before = self.users.len() + self.tokens.len();
        self.users.retain(|u| u.name != name);
        self.tokens.retain(|t| t.name != name);
        before != self.users.len() + self.tokens.len()
    }

    /// A new read-only API token; only its hash is kept.
    pub fn add_token(&mut self, name: &str) -> Result<String, Error> {
        check_name(name)?;
        if self.tokens.iter().any(|t| t.name == name) {
            return Err(Error::Invalid(format!(
                "a token named `{name}` exists; remove it first (`clickpath user remove {name}`)"
            )));
        }
        let token = format!("cp_{}", random_token(32));
        self.tokens.push(Token {
            name: name.to_owned(),
            sha256: sha256_hex(&token),
        });
        Ok(token)
    }

    /// Whether anyone can log in or call the API with a token.
    pub fn is_empty(&self) -> bool {
        self.users.is_empty() && self.tokens.is_empty()
    }

    /// Checks a password (slow on purpose: argon2). An unknown user costs the same time.
    pub fn verify_password(&self, name: &str, password: &str) -> bool {
        static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        let user = self.users.iter().find(|u| u.name == name);
        let stored = match user {
            Some(u) => u.password.as_str(),
            None => DUMMY.get_or_init(|| {
                let salt = SaltString::encode_b64(b"clickpath-dummy").expect("a valid salt");
                Argon2::default()
                    .hash_password(b"no such user", &salt)
                    .expect("argon2 hashes")
                    .to_string()
            }),
        };
        let Ok(hash) = PasswordHash::new(stored) else {
            return false;
        };
        let ok = Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok();
        ok && user.is_some()
    }

    /// The token's name, when the token is one of ours.
    pub fn token_name(&self, token: &str) -> Option<&str> {
        let h = sha256_hex(token);
        self.tokens
            .iter()
            .find(|t| constant_time_eq(t.sha256.as_bytes(), h.as_bytes()))
            .map(|t| t.name.as_str())
    }
}

/// The users file as a running server sees it: read again whenever it changes on disk, so
/// `clickpath user remove` and a removed token take effect without a restart. A file that no
/// longer reads keeps the last good version (and says so on stderr).
pub struct UsersFile {
    path: PathBuf,
    state: Mutex<(Option<Stamp>, Arc<Users>)>,
}

/// What tells a changed file: size, modification time and inode (replaced by rename).
type Stamp = (u64, Option<std::time::SystemTime>, u64);

fn stamp(path: &Path) -> Option<Stamp> {
    let m = std::fs::metadata(path).ok()?;
    #[cfg(unix)]
    let ino = std::os::unix::fs::MetadataExt::ino(&m);
    #[cfg(not(unix))]
    let ino = 0;
    Some((m.len(), m.modified().ok(), ino))
}

impl UsersFile {
    pub fn open(path: &Path) -> Result<Self, Error> {
        let users = Users::load(path)?;
        Ok(UsersFile {
            path: path.to_path_buf(),
            state: Mutex::new((stamp(path), Arc::new(users))),
        })
    }

    /// The users now.
    pub fn current(&self) -> Arc<Users> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let now = stamp(&self.path);
        if now != state.0 {
            match Users::load(&self.path) {
                Ok(u) => *state = (now, Arc::new(u)),
                Err(e) => eprintln!("clickpath: {e}; keeping the users read before"),
            }
        }
        Arc::clone(&state.1)
    }
}

pub use clickpath_model::constant_time_eq;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_and_tokens_round_trip_through_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users.json");
        let mut u = Users::load(&path).unwrap();
        assert!(u.is_empty());
        u.set_password("ana", "correct horse battery").unwrap();
        let token = u.add_token("cron").unwrap();
        u.save(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("correct horse") && !text.contains(&token));
        let u = Users::load(&path).unwrap();
        assert!(u.verify_password("ana", "correct horse battery"));
        assert!(!u.verify_password("ana", "correct horse batterY"));
        assert!(!u.verify_password("bob", "correct horse battery"));
        assert_eq!(u.token_name(&token), Some("cron"));
        assert_eq!(u.token_name("cp_guess"), None);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn weak_input_is_refused_with_the_rule() {
        let mut u = Users::default();
        let e = u.set_password("ana", "short").unwrap_err().to_string();
        assert!(e.contains("at least 12"), "{e}");
        let e = u
            .set_password("a b", "long enough password")
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a user name"), "{e}");
    }
}
