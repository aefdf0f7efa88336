//! The local user store: names, roles and Argon2id password hashes in SQLite.
//!
//! Passwords are never stored or logged; a failed login says the same thing whether the name is unknown,
//! the password wrong or the account disabled, so the console does not tell a stranger which names exist.

use super::{Actor, Role};
use crate::tag::Timestamp;
use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rusqlite::{Connection, OptionalExtension, params};
use std::path::{Path, PathBuf};

/// NIST SP 800-63B: at least 8 characters.
pub const MIN_PASSWORD: usize = 8;

#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error("user store {path}: {source}")]
    Open { path: PathBuf, source: rusqlite::Error },
    #[error("user store: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("user name '{0}' must be 1-32 letters, digits, '.', '_' or '-'")]
    BadName(String),
    #[error("user '{0}' already exists")]
    Exists(String),
    #[error("no user '{0}'")]
    Unknown(String),
    #[error("the password must have at least {MIN_PASSWORD} characters and differ from the user name")]
    WeakPassword,
    #[error("could not hash the password: {0}")]
    Hash(String),
    /// Deliberately vague (see the module comment).
    #[error("wrong user name or password, or the account is disabled")]
    LoginFailed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserInfo {
    pub name: String,
    pub role: Role,
    pub disabled: bool,
    pub created: Timestamp,
}

pub struct UserStore {
    conn: Connection,
}

fn valid_name(n: &str) -> bool {
    !n.is_empty()
        && n.len() <= 32
        && n.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

fn hash_password(name: &str, password: &str) -> Result<String, UserError> {
    if password.chars().count() < MIN_PASSWORD || password == name {
        return Err(UserError::WeakPassword);
    }
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| UserError::Hash(e.to_string()))
}

impl UserStore {
    pub fn open(path: &Path) -> Result<Self, UserError> {
        const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS users(
            name TEXT PRIMARY KEY,
            role TEXT NOT NULL,
            hash TEXT NOT NULL,
            disabled INTEGER NOT NULL DEFAULT 0,
            created INTEGER NOT NULL,
            changed INTEGER NOT NULL
        )";
        crate::records::open(path, SCHEMA)
            .map(|conn| Self { conn })
            .map_err(|source| UserError::Open {
                path: path.to_path_buf(),
                source,
            })
    }

    pub fn add(&self, name: &str, role: Role, password: &str, now: Timestamp) -> Result<(), UserError> {
        if !valid_name(name) {
            return Err(UserError::BadName(name.to_owned()));
        }
        let hash = hash_password(name, password)?;
        let n = self.conn.execute(
            "INSERT OR IGNORE INTO users(name, role, hash, disabled, created, changed) VALUES (?1, ?2, ?3, 0, ?4, ?4)",
            params![name, role.name(), hash, now.0],
        )?;
        if n == 0 {
            return Err(UserError::Exists(name.to_owned()));
        }
        Ok(())
    }

    pub fn set_password(&self, name: &str, password: &str, now: Timestamp) -> Result<(), UserError> {
        let hash = hash_password(name, password)?;
        self.changed(
            self.conn.execute(
                "UPDATE users SET hash = ?2, changed = ?3 WHERE name = ?1",
                params![name, hash, now.0],
            )?,
            name,
        )
    }

    pub fn set_disabled(&self, name: &str, disabled: bool, now: Timestamp) -> Result<(), UserError> {
        self.changed(
            self.conn.execute(
                "UPDATE users SET disabled = ?2, changed = ?3 WHERE name = ?1",
                params![name, disabled, now.0],
            )?,
            name,
        )
    }

    fn changed(&self, rows: usize, name: &str) -> Result<(), UserError> {
        if rows == 0 {
            Err(UserError::Unknown(name.to_owned()))
        } else {
            Ok(())
        }
    }

    pub fn list(&self) -> Result<Vec<UserInfo>, UserError> {
        let mut stmt = self
            .conn
            .prepare("SELECT name, role, disabled, created FROM users ORDER BY name")?;
        let rows = stmt.query_map([], |r| {
            let role: String = r.get(1)?;
            Ok(UserInfo {
                name: r.get(0)?,
                // An unknown role in the file grants the least.
                role: Role::parse(&role).unwrap_or(Role::Viewer),
                disabled: r.get(2)?,
                created: Timestamp(r.get(3)?),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Checks a name and password; the actor to act as on success.
    pub fn login(&self, name: &str, password: &str) -> Result<Actor, UserError> {
        let row: Option<(String, String, bool)> = self
            .conn
            .query_row("SELECT role, hash, disabled FROM users WHERE name = ?1", [name], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()?;
        let Some((role, hash, disabled)) = row else {
            return Err(UserError::LoginFailed);
        };
        let parsed = PasswordHash::new(&hash).map_err(|_| UserError::LoginFailed)?;
        if disabled || Argon2::default().verify_password(password.as_bytes(), &parsed).is_err() {
            return Err(UserError::LoginFailed);
        }
        Ok(Actor::new(name, Role::parse(&role).unwrap_or(Role::Viewer)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_login_change_and_disable() {
        let dir = tempfile::tempdir().unwrap();
        let users = UserStore::open(&dir.path().join("users.db")).unwrap();
        let now = Timestamp(1);
        users.add("ana", Role::Operator, "pozo-caliente-7", now).unwrap();
        assert!(matches!(
            users.add("ana", Role::Admin, "otra-clave-99", now),
            Err(UserError::Exists(_))
        ));
        assert!(matches!(
            users.add("bad name", Role::Admin, "otra-clave-99", now),
            Err(UserError::BadName(_))
        ));
        assert!(matches!(
            users.add("luis", Role::Admin, "short", now),
            Err(UserError::WeakPassword)
        ));
        assert!(matches!(
            users.add("luis12345", Role::Admin, "luis12345", now),
            Err(UserError::WeakPassword)
        ));
        assert_eq!(
            users.login("ana", "pozo-caliente-7").unwrap(),
            Actor::new("ana", Role::Operator)
        );
        for (name, pw) in [("ana", "wrong-password"), ("nobody", "pozo-caliente-7")] {
            let e = users.login(name, pw).unwrap_err();
            assert_eq!(e.to_string(), "wrong user name or password, or the account is disabled");
        }
        users.set_password("ana", "nueva-clave-2026", now).unwrap();
        assert!(users.login("ana", "pozo-caliente-7").is_err());
        assert!(users.login("ana", "nueva-clave-2026").is_ok());
        users.set_disabled("ana", true, now).unwrap();
        assert!(matches!(
            users.login("ana", "nueva-clave-2026"),
            Err(UserError::LoginFailed)
        ));
        assert!(matches!(
            users.set_disabled("nobody", true, now),
            Err(UserError::Unknown(_))
        ));
        let list = users.list().unwrap();
        assert_eq!(list.len(), 1);
        assert!(list[0].disabled);
        // The hash is Argon2id and salted: the password itself is nowhere in the file.
        let raw = std::fs::read(dir.path().join("users.db")).unwrap();
        assert!(!raw.windows(16).any(|w| w == b"nueva-clave-2026"));
    }
}
