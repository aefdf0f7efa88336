//! The site key: 32 random bytes in a 0600 file, made at a site's first start, that seal its records —
//! the audit trail's HMAC-SHA-256 chain, its anchor and every user record. Without the key nobody can
//! forge a record that verifies, which a plain hash chain could not promise (anyone can recompute one).
//!
//! The key is never logged, displayed or written anywhere but its own file; `Debug` and `id` show only a
//! key id (a MAC of a fixed text), which is what records store to say which key sealed them.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::path::{Path, PathBuf};

pub type HmacSha256 = Hmac<Sha256>;

const KEY_BYTES: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("site key {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("site key {path}: not a key (expected {} hexadecimal digits on one line)", KEY_BYTES * 2)]
    Malformed { path: PathBuf },
    #[error(
        "site key {path} is missing, but this site's records were sealed with key {sealed}: restore the key file \
         from its backup (a new key cannot vouch for old records, and making one would hide whatever happened to it)"
    )]
    Missing { path: PathBuf, sealed: String },
    #[error("site key {path} is key {found}, but this site's records were sealed with key {sealed}")]
    Wrong {
        path: PathBuf,
        found: String,
        sealed: String,
    },
}

pub struct SiteKey {
    bytes: [u8; KEY_BYTES],
    id: String,
}

impl std::fmt::Debug for SiteKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SiteKey({})", self.id)
    }
}

pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// 64 hex digits as 32 bytes (a key or a MAC).
pub fn unhex(s: &str) -> Option<[u8; KEY_BYTES]> {
    let s = s.trim();
    if s.len() != KEY_BYTES * 2 || !s.is_ascii() {
        return None;
    }
    let mut out = [0u8; KEY_BYTES];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(&s[i * 2..i * 2 + 2], 16).ok()?;
    }
    Some(out)
}

impl SiteKey {
    pub fn from_bytes(bytes: [u8; KEY_BYTES]) -> Self {
        let mut k = Self {
            bytes,
            id: String::new(),
        };
        k.id = hex(&k.mac_of(&[b"wellconsole site key id"])[..8]);
        k
    }

    /// A fresh random key (tests, and `load_or_create` at a first start).
    pub fn random() -> Self {
        use argon2::password_hash::rand_core::{OsRng, RngCore};
        let mut bytes = [0u8; KEY_BYTES];
        OsRng.fill_bytes(&mut bytes);
        Self::from_bytes(bytes)
    }

    /// Reads the key at `path`, or makes one there (0600, written and synced before use) when there is
    /// none. `sealed` is the id of the key the existing records were sealed with, if any: a missing or
    /// different key is then refused rather than replaced.
    pub fn load_or_create(path: &Path, sealed: Option<&str>) -> Result<Self, KeyError> {
        let io = |source| KeyError::Io {
            path: path.to_path_buf(),
            source,
        };
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let key = unhex(&text).map(Self::from_bytes).ok_or_else(|| KeyError::Malformed {
                    path: path.to_path_buf(),
                })?;
                match sealed {
                    Some(s) if s != key.id => Err(KeyError::Wrong {
                        path: path.to_path_buf(),
                        found: key.id,
                        sealed: s.to_owned(),
                    }),
                    _ => Ok(key),
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if let Some(s) = sealed {
                    return Err(KeyError::Missing {
                        path: path.to_path_buf(),
                        sealed: s.to_owned(),
                    });
                }
                let key = Self::random();
                if let Some(dir) = path.parent() {
                    super::create_private_dir(dir).map_err(io)?;
                }
                let mut o = std::fs::OpenOptions::new();
                o.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut o, super::FILE_MODE);
                let mut f = o.open(path).map_err(io)?;
                use std::io::Write;
                f.write_all(format!("{}\n", hex(&key.bytes)).as_bytes()).map_err(io)?;
                f.sync_all().map_err(io)?;
                tracing::info!(path = %path.display(), key = %key.id, "site key created: back it up with the records");
                Ok(key)
            }
            Err(e) => Err(io(e)),
        }
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// A MAC keyed with the site key over `parts`, each length-prefixed so that no two different part
    /// lists share an encoding.
    fn mac_over(&self, parts: &[&[u8]]) -> HmacSha256 {
        // HMAC takes keys of any length; 32 bytes never fails.
        let mut m =
            <HmacSha256 as Mac>::new_from_slice(&self.bytes).unwrap_or_else(|_| unreachable!("HMAC accepts any key"));
        for p in parts {
            m.update(&(p.len() as u64).to_le_bytes());
            m.update(p);
        }
        m
    }

    /// The MAC of `parts`.
    pub fn mac_of(&self, parts: &[&[u8]]) -> [u8; 32] {
        self.mac_over(parts).finalize().into_bytes().into()
    }

    /// Whether `expected_hex` is the MAC of `parts`, compared in constant time.
    pub fn verify(&self, parts: &[&[u8]], expected_hex: &str) -> bool {
        unhex(expected_hex).is_some_and(|expected| self.mac_over(parts).verify_slice(&expected).is_ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_made_once_kept_private_and_never_replaced_under_sealed_records() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("records").join("site.key");
        let k1 = SiteKey::load_or_create(&path, None).unwrap();
        let k2 = SiteKey::load_or_create(&path, Some(k1.id())).unwrap();
        assert_eq!(k1.id(), k2.id());
        assert_eq!(k1.mac_of(&[b"x"]), k2.mac_of(&[b"x"]));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        // Debug shows the id, never the key.
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!format!("{k1:?}").contains(text.trim()));
        assert!(format!("{k1:?}").contains(k1.id()));
        // Gone while sealed records exist: refused, not silently replaced.
        std::fs::remove_file(&path).unwrap();
        let e = SiteKey::load_or_create(&path, Some(k1.id())).unwrap_err();
        assert!(matches!(e, KeyError::Missing { .. }), "{e}");
        assert!(!path.exists());
        // Another key where the records name this one: refused.
        let other = SiteKey::load_or_create(&path, None).unwrap();
        assert!(matches!(
            SiteKey::load_or_create(&path, Some(k1.id())),
            Err(KeyError::Wrong { .. })
        ));
        assert_ne!(other.id(), k1.id());
        std::fs::write(&path, "not a key\n").unwrap();
        assert!(matches!(
            SiteKey::load_or_create(&path, None),
            Err(KeyError::Malformed { .. })
        ));
    }

    #[test]
    fn macs_verify_only_with_the_same_key_and_parts() {
        let k = SiteKey::from_bytes([7; 32]);
        let m = hex(&k.mac_of(&[b"ab", b"c"]));
        assert!(k.verify(&[b"ab", b"c"], &m));
        assert!(!k.verify(&[b"a", b"bc"], &m), "length prefixes keep parts apart");
        assert!(!SiteKey::from_bytes([8; 32]).verify(&[b"ab", b"c"], &m));
        assert!(!k.verify(&[b"ab", b"c"], "zz"));
    }
}
