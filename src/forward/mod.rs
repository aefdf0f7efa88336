//! Forwarding to a central PostgreSQL store (`[forward]` in site.toml): every sample the local historian
//! stored, its rollups, the alarm journal and the audit trail, in order, in batches, at a bounded rate.
//!
//! Store-and-forward: the local databases are the buffer. A position per stream (`historian::forward_log`)
//! survives restarts and moves only after the central transaction commits, so a batch is sent at least
//! once; the central keys (tag and time, console and record number) make a second copy a no-op. A dead
//! link or database never slows the console: the forwarder runs on a thread of its own, reads the local
//! files through connections of its own (WAL: it never waits for the writers), and the hub never
//! hears of it.
//!
//! `config` (what to connect to), `schema` (central tables and their versioned migrations), `central`
//! (one connection's writes), `worker` (the thread: connect, send, back off), `stats` (what the console
//! shows), `verify` (`wellconsole forward status|verify`). Nothing here touches the hub, the UI or a
//! driver.

pub mod archive;
pub mod central;
pub mod config;
pub mod records;
pub mod schema;
pub mod stats;
pub mod verify;

pub mod worker;

pub use config::ForwardConfig;
pub use stats::ForwardStats;
pub use worker::{Forwarder, Sources};

/// Why a forwarding step failed; the worker logs it, shows it and tries again.
#[derive(Debug, thiserror::Error)]
pub enum ForwardError {
    /// PostgreSQL's own words (the server's message, or the connection error and its cause).
    #[error("central database: {0}")]
    Pg(String),
    #[error("central database: {0}")]
    Tls(String),
    #[error("central database did not answer within {0} s")]
    Timeout(u64),
    #[error("central database has schema version {found}; this wellconsole knows up to {known}: upgrade it")]
    SchemaTooNew { found: i32, known: i32 },
    #[error("local history: {0}")]
    Local(#[from] crate::historian::forward_log::ForwardLogError),
    #[error("local database: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("{0}")]
    Other(String),
}

impl From<tokio_postgres::Error> for ForwardError {
    fn from(e: tokio_postgres::Error) -> Self {
        if let Some(db) = e.as_db_error() {
            return Self::Pg(format!("{} {}: {}", db.severity(), db.code().code(), db.message()));
        }
        let mut text = e.to_string();
        let mut cause = std::error::Error::source(&e);
        while let Some(c) = cause {
            text.push_str(": ");
            text.push_str(&c.to_string());
            cause = c.source();
        }
        Self::Pg(text)
    }
}
