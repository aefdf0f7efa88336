//! The audit trail: who did what, when, and whether it was allowed — append-only in SQLite and
//! hash-chained, so an edited, deleted or reordered record is found by `verify`.
//!
//! Each record carries the SHA-256 of the previous record's hash and its own fields; the first links to
//! 64 zeros. Triggers refuse UPDATE and DELETE (a careless edit fails loudly); whoever bypasses them
//! still breaks the chain at the first record they touched. Pure storage: callers decide what to record.

use crate::tag::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::time::Duration;

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("audit trail {path}: {source}")]
    Open { path: PathBuf, source: rusqlite::Error },
    #[error("audit trail: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("audit record {seq} is broken: {why}")]
    Broken { seq: i64, why: String },
}

/// What happened, before it is numbered and chained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub at: Timestamp,
    pub user: String,
    pub role: String,
    /// What was attempted, e.g. `login`, `user added`, `alarm acknowledged`.
    pub action: String,
    /// What it was done to (a user, an alarm, a tag).
    pub target: String,
    pub detail: String,
    /// False for a refused attempt: refusals are recorded like actions.
    pub allowed: bool,
}

impl AuditEntry {
    /// What `by` did (or was refused) to `target` at `at`.
    pub fn by(
        at: Timestamp,
        by: &crate::auth::Actor,
        action: &str,
        target: impl Into<String>,
        detail: impl Into<String>,
        allowed: bool,
    ) -> Self {
        Self {
            at,
            user: by.user.clone(),
            role: by.role.to_string(),
            action: action.to_owned(),
            target: target.into(),
            detail: detail.into(),
            allowed,
        }
    }
}

/// A stored record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub seq: i64,
    pub entry: AuditEntry,
    pub prev_hash: String,
    pub hash: String,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS audit(
    seq INTEGER PRIMARY KEY,
    t INTEGER NOT NULL,
    user TEXT NOT NULL,
    role TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT NOT NULL,
    allowed INTEGER NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
";

/// Opens (creating if needed) the audit trail.
pub fn open(path: &Path) -> Result<Connection, AuditError> {
    crate::records::open(path, SCHEMA).map_err(|source| AuditError::Open {
        path: path.to_path_buf(),
        source,
    })
}

/// The hash of a record: SHA-256 over the previous hash and every field, length-prefixed so that no two
/// different records share an encoding.
pub fn hash(seq: i64, e: &AuditEntry, prev_hash: &str) -> String {
    let mut h = Sha256::new();
    let mut field = |b: &[u8]| {
        h.update((b.len() as u64).to_le_bytes());
        h.update(b);
    };
    field(prev_hash.as_bytes());
    field(&seq.to_le_bytes());
    field(&e.at.0.to_le_bytes());
    field(e.user.as_bytes());
    field(e.role.as_bytes());
    field(e.action.as_bytes());
    field(e.target.as_bytes());
    field(e.detail.as_bytes());
    field(&[u8::from(e.allowed)]);
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Appends one record at the end of the chain (in one write transaction, so two writers cannot fork it).
pub fn append(conn: &mut Connection, e: &AuditEntry) -> Result<AuditRecord, AuditError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let last: Option<(i64, String)> = tx
        .query_row("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    let (seq, prev_hash) = match last {
        Some((s, h)) => (s + 1, h),
        None => (1, GENESIS.to_owned()),
    };
    let hash = hash(seq, e, &prev_hash);
    tx.execute(
        "INSERT INTO audit(seq, t, user, role, action, target, detail, allowed, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            seq, e.at.0, e.user, e.role, e.action, e.target, e.detail, e.allowed, prev_hash, hash
        ],
    )?;
    tx.commit()?;
    Ok(AuditRecord {
        seq,
        entry: e.clone(),
        prev_hash,
        hash,
    })
}

fn records(conn: &Connection, sql: &str, arg: i64) -> Result<Vec<AuditRecord>, AuditError> {
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map([arg], |r| {
        Ok(AuditRecord {
            seq: r.get(0)?,
            entry: AuditEntry {
                at: Timestamp(r.get(1)?),
                user: r.get(2)?,
                role: r.get(3)?,
                action: r.get(4)?,
                target: r.get(5)?,
                detail: r.get(6)?,
                allowed: r.get(7)?,
            },
            prev_hash: r.get(8)?,
            hash: r.get(9)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

const COLUMNS: &str = "seq, t, user, role, action, target, detail, allowed, prev_hash, hash";

/// The newest `limit` records, newest first.
pub fn recent(conn: &Connection, limit: usize) -> Result<Vec<AuditRecord>, AuditError> {
    records(
        conn,
        &format!("SELECT {COLUMNS} FROM audit ORDER BY seq DESC LIMIT ?1"),
        i64::try_from(limit).unwrap_or(i64::MAX),
    )
}

/// The whole chain checked: record numbers 1, 2, 3… with none missing, each linking to the one before and
/// hashing to what it says. Returns the number of records and the head hash (worth writing down: it also
/// catches records cut off the end).
pub fn verify(conn: &Connection) -> Result<(i64, String), AuditError> {
    let mut prev = GENESIS.to_owned();
    let mut expected = 1;
    let mut from = 0;
    loop {
        let batch = records(
            conn,
            &format!("SELECT {COLUMNS} FROM audit WHERE seq > ?1 ORDER BY seq LIMIT 10000"),
            from,
        )?;
        if batch.is_empty() {
            return Ok((expected - 1, prev));
        }
        for r in batch {
            if r.seq != expected {
                return Err(AuditError::Broken {
                    seq: expected,
                    why: format!("missing (the next record is {})", r.seq),
                });
            }
            if r.prev_hash != prev {
                return Err(AuditError::Broken {
                    seq: r.seq,
                    why: "it does not link to the record before it".into(),
                });
            }
            if hash(r.seq, &r.entry, &r.prev_hash) != r.hash {
                return Err(AuditError::Broken {
                    seq: r.seq,
                    why: "its contents were changed after it was written".into(),
                });
            }
            prev = r.hash;
            expected += 1;
            from = r.seq;
        }
    }
}

/// Entries queued for the writer thread.
pub const QUEUE: usize = 4_096;

/// The audit trail's writer thread: rooms that record operator actions hand it entries without waiting
/// (the hub thread must never wait on a disk). Dropping every sender and calling `stop` writes what is queued.
pub struct AuditWriter {
    thread: Option<std::thread::JoinHandle<()>>,
    failures: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl AuditWriter {
    pub fn start(path: &Path) -> Result<(Self, crossbeam_channel::Sender<AuditEntry>), AuditError> {
        let mut conn = open(path)?;
        let (tx, rx) = crossbeam_channel::bounded::<AuditEntry>(QUEUE);
        let failures = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let f = failures.clone();
        let thread = std::thread::Builder::new()
            .name("audit-writer".into())
            .spawn(move || {
                for e in rx {
                    // Retried a few times (a locked file clears); then logged loudly and counted.
                    let mut tries = 0;
                    while let Err(err) = append(&mut conn, &e) {
                        tries += 1;
                        if tries == 5 {
                            f.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            tracing::error!(error = %err, action = %e.action, user = %e.user, "audit record NOT written");
                            break;
                        }
                        std::thread::sleep(Duration::from_millis(200));
                    }
                }
            })
            .map_err(|e| AuditError::Open {
                path: path.to_path_buf(),
                source: rusqlite::Error::InvalidParameterName(format!("cannot start the audit writer: {e}")),
            })?;
        Ok((
            Self {
                thread: Some(thread),
                failures,
            },
            tx,
        ))
    }

    /// Records that could not be written.
    pub fn failures(&self) -> u64 {
        self.failures.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn stop(mut self) {
        if let Some(t) = self.thread.take()
            && t.join().is_err()
        {
            tracing::error!("audit writer panicked");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(i: i64) -> AuditEntry {
        AuditEntry {
            at: Timestamp(1_795_000_000_000_000 + i),
            user: "ana".into(),
            role: "operator".into(),
            action: "alarm acknowledged".into(),
            target: format!("esp0{i}/motor_temp:HI"),
            detail: String::new(),
            allowed: i % 2 == 0,
        }
    }

    fn chain(n: i64) -> (tempfile::TempDir, Connection) {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = open(&dir.path().join("audit.db")).unwrap();
        for i in 1..=n {
            append(&mut conn, &entry(i)).unwrap();
        }
        (dir, conn)
    }

    /// Tampering the way someone with the file would: around the triggers.
    fn tamper(conn: &Connection, sql: &str) {
        conn.execute_batch(&format!(
            "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete; {sql}"
        ))
        .unwrap();
    }

    #[test]
    fn an_intact_chain_verifies() {
        let (_d, conn) = chain(5);
        let (n, head) = verify(&conn).unwrap();
        assert_eq!(n, 5);
        assert_eq!(head, recent(&conn, 1).unwrap()[0].hash);
        let (_d, empty) = chain(0);
        assert_eq!(verify(&empty).unwrap(), (0, GENESIS.to_owned()));
    }

    #[test]
    fn edits_and_deletes_are_refused_by_the_database() {
        let (_d, conn) = chain(3);
        assert!(conn.execute("UPDATE audit SET user = 'x' WHERE seq = 2", []).is_err());
        assert!(conn.execute("DELETE FROM audit WHERE seq = 2", []).is_err());
        assert_eq!(verify(&conn).unwrap().0, 3);
    }

    #[test]
    fn every_kind_of_tampering_names_the_first_broken_record() {
        let cases = [
            ("UPDATE audit SET user = 'boss' WHERE seq = 3", 3, "changed"),
            ("UPDATE audit SET allowed = 1 WHERE seq = 5", 5, "changed"),
            ("UPDATE audit SET t = t + 1 WHERE seq = 2", 2, "changed"),
            ("DELETE FROM audit WHERE seq = 4", 4, "missing"),
            ("DELETE FROM audit WHERE seq = 1", 1, "missing"),
            ("UPDATE audit SET detail = 'x' WHERE seq = 2", 2, "changed"),
            // Reordered: two records swap their numbers.
            (
                "UPDATE audit SET seq = 100 WHERE seq = 3; UPDATE audit SET seq = 3 WHERE seq = 4; UPDATE audit SET seq = 4 WHERE seq = 100",
                3,
                "link",
            ),
        ];
        for (sql, seq, why) in cases {
            let (_d, conn) = chain(6);
            tamper(&conn, sql);
            match verify(&conn) {
                Err(AuditError::Broken { seq: s, why: w }) => {
                    assert_eq!(s, seq, "{sql}");
                    assert!(w.contains(why), "{sql}: {w}");
                }
                other => panic!("{sql}: {other:?}"),
            }
        }
        // A forger who recomputes the hash of the record they changed breaks the next record's link.
        let (_d, conn) = chain(6);
        let mut r = recent(&conn, 6).unwrap().into_iter().find(|r| r.seq == 2).unwrap();
        r.entry.user = "boss".into();
        let forged = hash(2, &r.entry, &r.prev_hash);
        tamper(
            &conn,
            &format!("UPDATE audit SET user = 'boss', hash = '{forged}' WHERE seq = 2"),
        );
        match verify(&conn) {
            Err(AuditError::Broken { seq: 3, why }) => assert!(why.contains("link"), "{why}"),
            other => panic!("{other:?}"),
        }
    }
}
