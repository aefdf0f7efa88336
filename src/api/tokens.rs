//! Who may call the API: named tokens, each with a role (viewer unless given), kept in the site's records
//! (`api-tokens.db`, 0600). A token is shown once, when it is made; the store keeps only its SHA-256, and
//! each row is sealed with the site key, so a row edited outside wellconsole (a viewer's token made admin
//! with sqlite3) is refused like a tampered user record.
//!
//! Owns the store and the lookup table the server checks requests against. It must not audit or print:
//! the command line records each change in the audit trail and shows the token to the person.

use crate::auth::Role;
use crate::records::SiteKey;
use crate::records::key::hex;
use crate::tag::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS api_token (
    name TEXT PRIMARY KEY COLLATE NOCASE,
    role TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE,
    created INTEGER NOT NULL,
    mac TEXT NOT NULL
);";

/// Tokens start with this, so a leaked one is recognised by secret scanners and people.
pub const PREFIX: &str = "wct_";

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("API token store: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("token name '{0}' must be 1-32 letters, digits, '.', '_' or '-'")]
    BadName(String),
    #[error("a token named '{0}' exists already (revoke it first to replace it)")]
    Exists(String),
    #[error("no token named '{0}'")]
    Unknown(String),
}

/// A token as listed (never the token itself).
#[derive(Debug, Clone, PartialEq)]
pub struct TokenInfo {
    pub name: String,
    pub role: Role,
    pub created: Timestamp,
    /// False when the row no longer matches its seal: refused by the server.
    pub sealed: bool,
}

/// The caller a request's token names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub name: String,
    pub role: Role,
}

/// Token hash (hex) → its caller: what the server looks a request's token up in.
pub type TokenTable = HashMap<String, Caller>;

/// A stored row: name, role, hash, created, seal.
type Row = (String, String, String, i64, String);

pub struct TokenStore {
    conn: Connection,
    key: Arc<SiteKey>,
}

fn valid_name(name: &str) -> bool {
    (1..=32).contains(&name.len()) && name.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
}

/// The SHA-256 of a token as presented, hex: what the store keeps and the server looks up.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

fn seal(key: &SiteKey, name: &str, role: Role, hash: &str, created: i64) -> String {
    hex(&key.mac_of(&[
        b"api token",
        name.to_lowercase().as_bytes(),
        role.name().as_bytes(),
        hash.as_bytes(),
        &created.to_le_bytes(),
    ]))
}

fn sealed(key: &SiteKey, name: &str, role: &str, hash: &str, created: i64, mac: &str) -> bool {
    key.verify(
        &[
            b"api token",
            name.to_lowercase().as_bytes(),
            role.as_bytes(),
            hash.as_bytes(),
            &created.to_le_bytes(),
        ],
        mac,
    )
}

impl TokenStore {
    /// Opens (creating 0600) the store at `path`.
    pub fn open(path: &Path, key: Arc<SiteKey>) -> Result<Self, TokenError> {
        Ok(Self {
            conn: crate::records::open(path, SCHEMA)?,
            key,
        })
    }

    /// Makes a token named `name` for `role`; the token, to be shown once.
    pub fn add(&self, name: &str, role: Role, now: Timestamp) -> Result<String, TokenError> {
        use argon2::password_hash::rand_core::{OsRng, RngCore};
        if !valid_name(name) {
            return Err(TokenError::BadName(name.to_owned()));
        }
        let exists: Option<String> = self
            .conn
            .query_row("SELECT name FROM api_token WHERE name = ?1", [name], |r| r.get(0))
            .optional()?;
        if let Some(n) = exists {
            return Err(TokenError::Exists(n));
        }
        let mut secret = [0u8; 32];
        OsRng.fill_bytes(&mut secret);
        let token = format!("{PREFIX}{}", hex(&secret));
        let hash = token_hash(&token);
        let mac = seal(&self.key, name, role, &hash, now.0);
        self.conn.execute(
            "INSERT INTO api_token (name, role, hash, created, mac) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![name, role.name(), hash, now.0, mac],
        )?;
        Ok(token)
    }

    /// Revokes the token named `name`: it is refused from the server's next look at the store (2 s).
    pub fn revoke(&self, name: &str) -> Result<(), TokenError> {
        match self.conn.execute("DELETE FROM api_token WHERE name = ?1", [name])? {
            0 => Err(TokenError::Unknown(name.to_owned())),
            _ => Ok(()),
        }
    }

    /// Every row, by name.
    fn rows(&self) -> Result<Vec<Row>, TokenError> {
        let mut stmt = self
            .conn
            .prepare("SELECT name, role, hash, created, mac FROM api_token ORDER BY name")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn list(&self) -> Result<Vec<TokenInfo>, TokenError> {
        let mut out = Vec::new();
        for (name, role, hash, created, mac) in self.rows()? {
            let ok = sealed(&self.key, &name, &role, &hash, created, &mac);
            out.push(TokenInfo {
                role: Role::parse(&role).unwrap_or(Role::Viewer),
                sealed: ok && Role::parse(&role).is_some(),
                name,
                created: Timestamp(created),
            });
        }
        Ok(out)
    }

    /// The tokens the server accepts (every sealed row), and the names of rows that fail their seal (left
    /// out; the server says so in its log when that list changes).
    pub fn table(&self) -> Result<(TokenTable, Vec<String>), TokenError> {
        let mut out = TokenTable::new();
        let mut refused = Vec::new();
        for (name, role, hash, created, mac) in self.rows()? {
            match Role::parse(&role).filter(|_| sealed(&self.key, &name, &role, &hash, created, &mac)) {
                Some(role) => {
                    out.insert(hash, Caller { name, role });
                }
                None => refused.push(name),
            }
        }
        Ok((out, refused))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(dir: &Path, key: &Arc<SiteKey>) -> TokenStore {
        TokenStore::open(&dir.join("api-tokens.db"), key.clone()).unwrap()
    }

    #[test]
    fn a_token_is_kept_only_as_its_hash_and_looked_up_by_it() {
        let dir = tempfile::tempdir().unwrap();
        let key = Arc::new(SiteKey::random());
        let s = store(dir.path(), &key);
        let token = s.add("erp", Role::Viewer, Timestamp(1)).unwrap();
        assert!(token.starts_with(PREFIX) && token.len() == PREFIX.len() + 64);
        let raw = std::fs::read(dir.path().join("api-tokens.db")).unwrap();
        assert!(
            !raw.windows(token.len()).any(|w| w == token.as_bytes()),
            "the token itself is stored"
        );
        let (table, _) = s.table().unwrap();
        assert_eq!(
            table.get(&token_hash(&token)),
            Some(&Caller {
                name: "erp".into(),
                role: Role::Viewer
            })
        );
        assert!(!table.contains_key(&token_hash("wct_guess")));
        assert!(matches!(
            s.add("ERP", Role::Admin, Timestamp(2)),
            Err(TokenError::Exists(_))
        ));
        assert!(matches!(
            s.add("a b", Role::Viewer, Timestamp(2)),
            Err(TokenError::BadName(_))
        ));
        s.revoke("erp").unwrap();
        assert!(s.table().unwrap().0.is_empty());
        assert!(matches!(s.revoke("erp"), Err(TokenError::Unknown(_))));
    }

    #[test]
    fn a_row_edited_outside_wellconsole_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let key = Arc::new(SiteKey::random());
        let s = store(dir.path(), &key);
        let token = s.add("office", Role::Viewer, Timestamp(1)).unwrap();
        s.add("boss", Role::Supervisor, Timestamp(1)).unwrap();
        s.conn
            .execute("UPDATE api_token SET role = 'admin' WHERE name = 'office'", [])
            .unwrap();
        let (table, refused) = s.table().unwrap();
        assert!(!table.contains_key(&token_hash(&token)));
        assert_eq!(table.len(), 1);
        assert_eq!(refused, ["office"]);
        let listed = s.list().unwrap();
        assert!(listed.iter().any(|t| t.name == "office" && !t.sealed));
        assert!(listed.iter().any(|t| t.name == "boss" && t.sealed));
        // Another site's key opens nothing.
        let other = store(dir.path(), &Arc::new(SiteKey::random()));
        assert!(other.table().unwrap().0.is_empty());
    }
}
