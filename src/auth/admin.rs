//! The site's users as the command line administers them: a change to one user (`wellconsole users`)
//! and a login outside the console (`wellconsole write`), each made and recorded in the audit trail with
//! its real outcome, done or refused. Owns no store or trail format (`users` and `audit` do). It never
//! prompts, prints or reads the environment: passwords come in as arguments, and what the person reads
//! and the exit code stay with the binary.

use super::audit::{self, AuditEntry, AuditError, AuditTrail};
use super::users::{FailReason, UserError, UserStore, UserStoreConfig};
use super::{Actor, Role};
use crate::tag::Timestamp;
use rusqlite::Connection;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error(transparent)]
    Audit(#[from] AuditError),
    /// The change was refused or failed; recorded as such.
    #[error(transparent)]
    User(#[from] UserError),
    /// The store could not be read at a login: that must never pass for "no such user".
    #[error("{}: the user store cannot be read", .path.display())]
    StoreUnreadable {
        path: PathBuf,
        #[source]
        source: UserError,
    },
}

/// A change to one user. No `Debug`: it may hold a password.
pub enum UserChange {
    /// Forgets the user's failed logins and lifts a lockout.
    Unlock {
        name: String,
    },
    Add {
        name: String,
        role: Role,
        password: String,
    },
    SetPassword {
        name: String,
        password: String,
    },
    /// Sets anew the role and password of a record that fails its seal, and seals it again.
    Restore {
        name: String,
        role: Role,
        password: String,
    },
    Disable {
        name: String,
    },
    Enable {
        name: String,
    },
}

impl UserChange {
    /// The audit trail's words for the change (also what the command line says when it is done).
    pub fn action(&self) -> &'static str {
        match self {
            UserChange::Unlock { .. } => "user unlocked",
            UserChange::Add { .. } => "user added",
            UserChange::SetPassword { .. } => "password changed",
            UserChange::Restore { .. } => "user record restored",
            UserChange::Disable { .. } => "user disabled",
            UserChange::Enable { .. } => "user enabled",
        }
    }

    /// The user changed.
    pub fn user(&self) -> &str {
        match self {
            UserChange::Unlock { name }
            | UserChange::Add { name, .. }
            | UserChange::SetPassword { name, .. }
            | UserChange::Restore { name, .. }
            | UserChange::Disable { name }
            | UserChange::Enable { name } => name.as_str(),
        }
    }

    /// Makes the change; what the audit trail records as its detail (never a password).
    fn make(&self, store: &UserStore, now: Timestamp) -> Result<String, UserError> {
        match self {
            UserChange::Unlock { name } => store.unlock(name).map(|n| format!("failed logins of {n} forgotten")),
            UserChange::Add { name, role, password } => {
                store.add(name, *role, password, now).map(|()| format!("role {role}"))
            }
            UserChange::SetPassword { name, password } => {
                store.set_password(name, password, now).map(|()| String::new())
            }
            UserChange::Restore { name, role, password } => store
                .restore(name, *role, password, now)
                .map(|()| format!("role {role}, new password, sealed again")),
            UserChange::Disable { name } => store.set_disabled(name, true, now).map(|()| String::new()),
            UserChange::Enable { name } => store.set_disabled(name, false, now).map(|()| String::new()),
        }
    }
}

/// Makes `change` in `store` as `by`'s act at `now` and records it in `trail` (open as `conn`), done or
/// refused; a refusal comes back as the store's error, after it is recorded.
pub fn change_user(
    store: &UserStore,
    trail: &AuditTrail,
    conn: &mut Connection,
    by: &Actor,
    change: &UserChange,
    now: Timestamp,
) -> Result<(), AdminError> {
    let outcome = change.make(store, now);
    let (allowed, detail) = match &outcome {
        Ok(detail) => (true, detail.clone()),
        Err(e) => (false, e.to_string()),
    };
    audit::append(
        conn,
        trail,
        &AuditEntry::by(now, by, change.action(), change.user(), detail, allowed),
    )?;
    outcome?;
    Ok(())
}

/// Logs `name` in outside the console, as the console's login does: the store's lockout, an answer that
/// takes the same time whatever the cause, and the try in the audit trail with its real cause (the person
/// is told the same words whatever it was: `UserError::LoginFailed`). `command` is what the login is for,
/// recorded with a successful one. The console's back-off counts failures in a row at one console; each
/// command line is one try, and the store's lockout counts them all.
/// `Ok(Err(why))`: refused, and recorded.
pub fn command_line_login(
    store: &UserStoreConfig,
    trail: &AuditTrail,
    name: &str,
    password: &str,
    command: &str,
) -> Result<Result<Actor, FailReason>, AdminError> {
    let mut conn = audit::open(trail)?;
    let answer = store.check_login(name, password, Duration::ZERO);
    let now = Timestamp::now();
    let attempted = Actor::new(name, Role::Viewer);
    let entry = |by: &Actor, action: &str, detail: String, allowed: bool| {
        AuditEntry::by(now, by, action, "command line", detail, allowed)
    };
    let mut entries = Vec::new();
    let outcome = match answer {
        Ok(actor) => {
            entries.push(entry(&actor, "login", command.to_owned(), true));
            Ok(Ok(actor))
        }
        Err(UserError::LoginFailed(why)) => {
            entries.push(entry(&attempted, "login", why.to_string(), false));
            if matches!(why, FailReason::LockedNow { .. }) {
                entries.push(entry(&attempted, "account locked", why.to_string(), true));
            }
            Ok(Err(why))
        }
        Err(e) => {
            entries.push(entry(&attempted, "login", e.to_string(), false));
            Err(AdminError::StoreUnreadable {
                path: store.path.clone(),
                source: e,
            })
        }
    };
    for e in &entries {
        audit::append(&mut conn, trail, e)?;
    }
    outcome
}
