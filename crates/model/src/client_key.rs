//! Pseudonymous client keys: a keyed hash of the client address.
//!
//! The secret is 128 random bits kept in a file (created on first use, never printed). Without
//! the file the key cannot be linked back to an address by hashing candidate IPs.

use std::hash::Hasher;
use std::io::Write;
use std::path::{Path, PathBuf};

use siphasher::sip::SipHasher13;

use crate::{Error, Result};

/// The 128-bit secret behind client and visitor keys.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Secret([u8; 16]);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

impl Secret {
    pub const fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    /// Where the secret lives: `$CLICKPATH_SECRET_FILE`, else `$XDG_CONFIG_HOME/clickpath/secret`,
    /// else `~/.config/clickpath/secret`.
    pub fn default_path() -> PathBuf {
        if let Some(p) = std::env::var_os("CLICKPATH_SECRET_FILE") {
            return PathBuf::from(p);
        }
        let base = std::env::var_os("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
            .unwrap_or_else(|| PathBuf::from("."));
        base.join("clickpath").join("secret")
    }

    /// Reads the secret at `path`, creating it (mode 0600) with fresh random bits if absent.
    pub fn load_or_create(path: &Path) -> Result<Self> {
        let io = |source| Error::Secret {
            path: path.to_owned(),
            source,
        };
        match std::fs::read_to_string(path) {
            Ok(text) => Self::from_hex(text.trim()).ok_or_else(|| Error::BadSecret {
                path: path.to_owned(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir).map_err(io)?;
                }
                let secret = Self(random_bytes().map_err(io)?);
                let mut opts = std::fs::OpenOptions::new();
                opts.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
                match opts.open(path) {
                    Ok(mut f) => {
                        writeln!(f, "{}", secret.to_hex()).map_err(io)?;
                        Ok(secret)
                    }
                    // Another process created it first: use theirs.
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                        Self::load_or_create(path)
                    }
                    Err(e) => Err(io(e)),
                }
            }
            Err(e) => Err(io(e)),
        }
    }

    fn from_hex(s: &str) -> Option<Self> {
        if s.len() != 32 {
            return None;
        }
        let mut out = [0u8; 16];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
        }
        Some(Self(out))
    }

    fn to_hex(self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }
}

fn random_bytes() -> std::io::Result<[u8; 16]> {
    let mut buf = [0u8; 16];
    std::io::Read::read_exact(&mut std::fs::File::open("/dev/urandom")?, &mut buf)?;
    Ok(buf)
}

/// Turns client addresses into keyed 64-bit hashes. A visitor is such a key plus the user
/// agent (see `clickpath-analytics`).
#[derive(Clone, Copy, Debug)]
pub struct ClientKeyer {
    k0: u64,
    k1: u64,
}

impl ClientKeyer {
    pub fn new(secret: Secret) -> Self {
        let (a, b) = secret.0.split_at(8);
        Self {
            k0: u64::from_le_bytes(a.try_into().expect("8 bytes")),
            k1: u64::from_le_bytes(b.try_into().expect("8 bytes")),
        }
    }

    /// Key of a client address as logged. `None` (no address) has a key of its own.
    pub fn client(&self, address: Option<&[u8]>) -> u64 {
        let mut h = SipHasher13::new_with_keys(self.k0, self.k1);
        match address {
            Some(a) => {
                h.write_u8(1);
                h.write(a);
            }
            None => h.write_u8(0),
        }
        h.finish()
    }
}

/// Equality that takes the same time wherever the inputs differ (passwords, tokens).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_depend_on_the_secret_and_the_address() {
        let a = ClientKeyer::new(Secret::from_bytes([1; 16]));
        let b = ClientKeyer::new(Secret::from_bytes([2; 16]));
        let ip = Some(&b"192.0.2.1"[..]);
        assert_eq!(a.client(ip), a.client(ip));
        assert_ne!(a.client(ip), b.client(ip));
        assert_ne!(a.client(ip), a.client(Some(b"192.0.2.2")));
        assert_ne!(a.client(None), a.client(Some(b"")));
    }

    #[test]
    fn secret_file_is_created_once_and_reused() {
        let dir = std::env::temp_dir().join(format!("clickpath-secret-{}", std::process::id()));
        let path = dir.join("nested").join("secret");
        let first = Secret::load_or_create(&path).unwrap();
        let second = Secret::load_or_create(&path).unwrap();
        assert_eq!(first, second);
        std::fs::write(&path, "not hex").unwrap();
        let err = Secret::load_or_create(&path).unwrap_err().to_string();
        assert!(err.contains("not 32 hex digits"), "{err}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
