//! The local user store: names, roles and Argon2id password hashes in SQLite, each record sealed with the
//! site key, plus failed-login counts and temporary lockouts.
//!
//! Passwords are never stored or logged. A failed login tells the person the same thing whatever the
//! cause — unknown name, wrong password, disabled or locked account, a record that fails its seal — and
//! takes the same time (an Argon2 check runs in every case), so the console tells a stranger nothing
//! about which names exist; the audit trail gets the real cause (`FailReason`). Names are unique without
//! regard to case ("ana" and "ANA" are one user). A record edited outside wellconsole (say, a viewer made
//! admin with sqlite3) no longer matches its MAC and is refused at login.

use super::policy::{self, Weakness};
use super::{Actor, Role};
use crate::records::SiteKey;
use crate::records::key::hex;
use crate::tag::Timestamp;
use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rusqlite::{Connection, OptionalExtension, params};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

pub use super::policy::MIN_PASSWORD;

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
    #[error("{0}")]
    WeakPassword(#[from] Weakness),
    #[error("could not hash the password: {0}")]
    Hash(String),
    /// Deliberately vague for the person (see the module comment); the reason is for the audit trail.
    #[error("wrong user name or password, or the account is disabled or locked")]
    LoginFailed(FailReason),
    /// A change to a record that fails its seal would seal whatever was forged into it.
    #[error(
        "user '{0}' fails its integrity check (edited outside wellconsole): `wellconsole users restore {0} --role ROLE` sets its role and password anew"
    )]
    Tampered(String),
}

/// Why a login failed, for the audit trail only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailReason {
    UnknownUser,
    WrongPassword {
        failures: u32,
    },
    /// Wrong password, and that failure locked the account.
    LockedNow {
        failures: u32,
        until: Timestamp,
    },
    Locked {
        until: Timestamp,
    },
    Disabled,
    /// The record does not carry this site's MAC: edited outside wellconsole.
    RecordTampered,
}

impl std::fmt::Display for FailReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FailReason::UnknownUser => f.write_str("no such user"),
            FailReason::WrongPassword { failures } => write!(f, "wrong password ({failures} in a row)"),
            FailReason::LockedNow { failures, until } => write!(
                f,
                "wrong password ({failures} in a row): account locked until {}",
                until.to_rfc3339()
            ),
            FailReason::Locked { until } => write!(f, "account locked until {}", until.to_rfc3339()),
            FailReason::Disabled => f.write_str("account disabled"),
            FailReason::RecordTampered => {
                f.write_str("the user record fails its integrity check (edited outside wellconsole): refused")
            }
        }
    }
}

/// Temporary lockout after failed logins (site.toml `[security]`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lockout {
    /// Wrong passwords in a row that lock an account (0: never locked).
    pub after: u32,
    /// How long a locked account stays locked (an admin may unlock it sooner).
    pub duration: Duration,
}

impl Default for Lockout {
    fn default() -> Self {
        Self {
            after: 5,
            duration: Duration::from_secs(15 * 60),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserInfo {
    pub name: String,
    pub role: Role,
    pub disabled: bool,
    pub created: Timestamp,
    /// Locked by failed logins until then.
    pub locked_until: Option<Timestamp>,
    /// False when the record does not carry this site's MAC.
    pub sealed: bool,
}

/// Where the user store is and what guards it; cheap to clone (a login opens it on its own thread).
#[derive(Debug, Clone)]
pub struct UserStoreConfig {
    pub path: PathBuf,
    pub key: Arc<SiteKey>,
    pub lockout: Lockout,
}

/// The least time a login check takes to answer, whatever the outcome, so that a failure's cause (a write for
/// a counted wrong password, none for an unknown name) does not show in its timing.
pub const MIN_LOGIN_ANSWER: Duration = Duration::from_millis(300);

impl UserStoreConfig {
    pub fn open(&self) -> Result<UserStore, UserError> {
        UserStore::open(&self.path, self.key.clone(), self.lockout)
    }

    /// Opens the store and checks a login (`UserStore::login`), answering no sooner than `wait` (a
    /// console's back-off) and never sooner than `MIN_LOGIN_ANSWER`. Blocks for that long: the console runs
    /// it on a thread of its own, the command line waits.
    pub fn check_login(&self, name: &str, password: &str, wait: Duration) -> Result<Actor, UserError> {
        let started = std::time::Instant::now();
        let answer = self.open().and_then(|s| s.login(name, password, Timestamp::now()));
        if let Some(rest) = wait.max(MIN_LOGIN_ANSWER).checked_sub(started.elapsed()) {
            std::thread::sleep(rest);
        }
        answer
    }
}

pub struct UserStore {
    conn: Connection,
    key: Arc<SiteKey>,
    lockout: Lockout,
    /// This open added the `mac` column: a store from before seals, whose records may be sealed once.
    upgraded: bool,
}

fn valid_name(n: &str) -> bool {
    !n.is_empty()
        && n.len() <= 32
        && n.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

fn hash_password(name: &str, password: &str) -> Result<String, UserError> {
    policy::check(name, password)?;
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| UserError::Hash(e.to_string()))
}

/// A hash of a random password, checked against when there is no record, so that an unknown name costs
/// the same Argon2 time as a known one.
fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(SaltString::generate(&mut OsRng).as_str().as_bytes(), &salt)
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS users(
    name TEXT PRIMARY KEY COLLATE NOCASE,
    role TEXT NOT NULL,
    hash TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    created INTEGER NOT NULL,
    changed INTEGER NOT NULL,
    mac TEXT
);
CREATE TABLE IF NOT EXISTS users_meta(k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS login_failures(
    name TEXT PRIMARY KEY COLLATE NOCASE,
    failures INTEGER NOT NULL,
    locked_until INTEGER NOT NULL DEFAULT 0
)";

struct Row {
    name: String,
    role: String,
    hash: String,
    disabled: bool,
    created: i64,
    changed: i64,
    mac: Option<String>,
}

const ROW: &str = "name, role, hash, disabled, created, changed, mac";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    Ok(Row {
        name: r.get(0)?,
        role: r.get(1)?,
        hash: r.get(2)?,
        disabled: r.get(3)?,
        created: r.get(4)?,
        changed: r.get(5)?,
        mac: r.get(6)?,
    })
}

impl Row {
    /// What a user record's MAC covers, handed to `f` (sealing and checking use the one list).
    fn with_parts<T>(&self, f: impl FnOnce(&[&[u8]]) -> T) -> T {
        f(&[
            b"wellconsole user",
            self.name.as_bytes(),
            self.role.as_bytes(),
            self.hash.as_bytes(),
            &[u8::from(self.disabled)],
            &self.created.to_le_bytes(),
            &self.changed.to_le_bytes(),
        ])
    }

    fn mac(&self, key: &SiteKey) -> String {
        self.with_parts(|p| hex(&key.mac_of(p)))
    }

    fn sealed(&self, key: &SiteKey) -> bool {
        self.mac
            .as_deref()
            .is_some_and(|m| self.with_parts(|p| key.verify(p, m)))
    }
}

/// The table in which a user store names the key that sealed it (`records::sealed_key_id`).
pub const META_TABLE: &str = "users_meta";

impl UserStore {
    pub fn open(path: &Path, key: Arc<SiteKey>, lockout: Lockout) -> Result<Self, UserError> {
        let conn = crate::records::open(path, SCHEMA).map_err(|source| UserError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        // A store from before seals: add the column (its records are sealed once, when the site key is
        // made, and refused after that until a password is set again).
        let has_mac: bool = conn
            .prepare("SELECT 1 FROM pragma_table_info('users') WHERE name = 'mac'")?
            .exists([])?;
        if !has_mac {
            conn.execute_batch("ALTER TABLE users ADD COLUMN mac TEXT")?;
        }
        // Made now, not at the first unknown name: that login would take longer than the others.
        decoy_hash();
        // Older stores compared names with case; this refuses a second "ANA" beside "ana" at the database.
        if let Err(e) =
            conn.execute_batch("CREATE UNIQUE INDEX IF NOT EXISTS users_name_nocase ON users(name COLLATE NOCASE)")
        {
            tracing::warn!(error = %e, path = %path.display(), "user names that differ only in case exist; new ones are refused all the same");
        }
        conn.execute(
            "INSERT OR IGNORE INTO users_meta(k, v) VALUES ('key_id', ?1)",
            [key.id()],
        )?;
        Ok(Self {
            conn,
            key,
            lockout,
            upgraded: !has_mac,
        })
    }

    fn find(&self, name: &str) -> Result<Option<Row>, UserError> {
        // An exact match first, should an older store hold names that differ only in case.
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {ROW} FROM users WHERE name = ?1 COLLATE NOCASE ORDER BY name = ?1 DESC LIMIT 1"),
                [name],
                row,
            )
            .optional()?)
    }

    /// Rewrites a record with a fresh seal; only for a record that passed its own (see `Tampered`).
    fn write(&self, r: &Row) -> Result<(), UserError> {
        self.conn.execute(
            "UPDATE users SET role = ?2, hash = ?3, disabled = ?4, changed = ?5, mac = ?6 WHERE name = ?1",
            params![r.name, r.role, r.hash, r.disabled, r.changed, r.mac(&self.key)],
        )?;
        Ok(())
    }

    pub fn add(&self, name: &str, role: Role, password: &str, now: Timestamp) -> Result<(), UserError> {
        if !valid_name(name) {
            return Err(UserError::BadName(name.to_owned()));
        }
        if let Some(existing) = self.find(name)? {
            return Err(UserError::Exists(existing.name));
        }
        let r = Row {
            name: name.to_owned(),
            role: role.name().to_owned(),
            hash: hash_password(name, password)?,
            disabled: false,
            created: now.0,
            changed: now.0,
            mac: None,
        };
        let n = self.conn.execute(
            "INSERT OR IGNORE INTO users(name, role, hash, disabled, created, changed, mac) VALUES (?1, ?2, ?3, 0, ?4, ?4, ?5)",
            params![r.name, r.role, r.hash, now.0, r.mac(&self.key)],
        )?;
        if n == 0 {
            return Err(UserError::Exists(name.to_owned()));
        }
        Ok(())
    }

    fn existing(&self, name: &str) -> Result<Row, UserError> {
        self.find(name)?.ok_or_else(|| UserError::Unknown(name.to_owned()))
    }

    /// An existing record that carries its seal: changes start only from there.
    fn sealed_record(&self, name: &str) -> Result<Row, UserError> {
        let r = self.existing(name)?;
        if r.sealed(&self.key) {
            Ok(r)
        } else {
            Err(UserError::Tampered(r.name))
        }
    }

    /// Sets a record's role and password anew and seals it: what an admin does with a record that failed
    /// its seal (nothing of the edited record is trusted but its name and creation time).
    pub fn restore(&self, name: &str, role: Role, password: &str, now: Timestamp) -> Result<(), UserError> {
        let mut r = self.existing(name)?;
        r.role = role.name().to_owned();
        r.hash = hash_password(&r.name, password)?;
        r.disabled = false;
        r.changed = now.0;
        self.write(&r)
    }

    pub fn set_password(&self, name: &str, password: &str, now: Timestamp) -> Result<(), UserError> {
        let mut r = self.sealed_record(name)?;
        r.hash = hash_password(&r.name, password)?;
        r.changed = now.0;
        self.write(&r)
    }

    pub fn set_disabled(&self, name: &str, disabled: bool, now: Timestamp) -> Result<(), UserError> {
        let mut r = self.sealed_record(name)?;
        r.disabled = disabled;
        r.changed = now.0;
        self.write(&r)
    }

    /// Ends a lockout and forgets the failed logins; the user's stored name.
    pub fn unlock(&self, name: &str) -> Result<String, UserError> {
        let r = self.existing(name)?;
        self.conn
            .execute("DELETE FROM login_failures WHERE name = ?1", [&r.name])?;
        Ok(r.name)
    }

    /// Seals records that have no MAC yet, when this open brought the store from before seals (once, as
    /// the key is made); otherwise a record without a MAC stays refused.
    pub fn seal_unsealed(&self) -> Result<usize, UserError> {
        if !self.upgraded {
            return Ok(0);
        }
        let rows: Vec<Row> = self
            .conn
            .prepare(&format!("SELECT {ROW} FROM users WHERE mac IS NULL"))?
            .query_map([], row)?
            .collect::<Result<_, _>>()?;
        for r in &rows {
            self.write(r)?;
        }
        Ok(rows.len())
    }

    /// Whether the store has any user at all (then people log in; `--user/--role` do not apply).
    pub fn any(&self) -> Result<bool, UserError> {
        Ok(self.conn.prepare("SELECT 1 FROM users LIMIT 1")?.exists([])?)
    }

    pub fn list(&self, now: Timestamp) -> Result<Vec<UserInfo>, UserError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {ROW}, (SELECT locked_until FROM login_failures f WHERE f.name = users.name) FROM users ORDER BY name"
        ))?;
        let rows = stmt.query_map([], |r| Ok((row(r)?, r.get::<_, Option<i64>>(7)?)))?;
        let mut out = Vec::new();
        for x in rows {
            let (r, locked) = x?;
            out.push(UserInfo {
                // An unknown role in the file grants the least.
                role: Role::parse(&r.role).unwrap_or(Role::Viewer),
                disabled: r.disabled,
                created: Timestamp(r.created),
                locked_until: locked.filter(|&t| t > now.0).map(Timestamp),
                sealed: r.sealed(&self.key),
                name: r.name,
            });
        }
        Ok(out)
    }

    /// Checks a name and password at `now`; the actor to act as on success. Every failure takes an Argon2
    /// check and answers alike (`UserError::LoginFailed`); wrong passwords count towards a lockout.
    pub fn login(&self, name: &str, password: &str, now: Timestamp) -> Result<Actor, UserError> {
        let found = self.find(name)?;
        let hash = found.as_ref().map_or(decoy_hash(), |r| r.hash.as_str());
        let password_ok = PasswordHash::new(hash)
            .is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok());
        let Some(r) = found else {
            return Err(UserError::LoginFailed(FailReason::UnknownUser));
        };
        if !r.sealed(&self.key) {
            return Err(UserError::LoginFailed(FailReason::RecordTampered));
        }
        let (earlier, locked_until): (u32, i64) = self
            .conn
            .query_row(
                "SELECT failures, locked_until FROM login_failures WHERE name = ?1",
                [&r.name],
                |x| Ok((x.get(0)?, x.get(1)?)),
            )
            .optional()?
            .unwrap_or((0, 0));
        if locked_until > now.0 {
            return Err(UserError::LoginFailed(FailReason::Locked {
                until: Timestamp(locked_until),
            }));
        }
        if r.disabled {
            return Err(UserError::LoginFailed(FailReason::Disabled));
        }
        if !password_ok {
            // Counted in the database in one statement: consoles failing at once all count.
            let failures: u32 = self.conn.query_row(
                "INSERT INTO login_failures(name, failures, locked_until) VALUES (?1, 1, 0)
                 ON CONFLICT(name) DO UPDATE SET failures = failures + 1 RETURNING failures",
                [&r.name],
                |x| x.get(0),
            )?;
            let lock = self.lockout.after > 0 && failures >= self.lockout.after;
            let until = Timestamp(
                now.0
                    .saturating_add(i64::try_from(self.lockout.duration.as_micros()).unwrap_or(i64::MAX)),
            );
            if lock {
                // A lock starts the count again: after it ends, `after` more tries lock it again.
                self.conn.execute(
                    "UPDATE login_failures SET failures = 0, locked_until = ?2 WHERE name = ?1",
                    params![r.name, until.0],
                )?;
            }
            return Err(UserError::LoginFailed(if lock {
                FailReason::LockedNow { failures, until }
            } else {
                FailReason::WrongPassword { failures }
            }));
        }
        if earlier > 0 || locked_until > 0 {
            self.conn
                .execute("DELETE FROM login_failures WHERE name = ?1", [&r.name])?;
        }
        Ok(Actor::new(r.name, Role::parse(&r.role).unwrap_or(Role::Viewer)))
    }
}

#[cfg(test)]
mod tests;
