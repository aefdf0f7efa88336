//! Latched trips, active E-stops and running bypasses, kept in the alarm journal's database so a console
//! restart does not quietly clear them: the plant is still shut down, and the console must say so (and keep
//! driving the outputs) until someone resets it.
//!
//! The hub never waits on it: the trip service hands whole snapshots (a handful of rows) to one writer thread,
//! which keeps only the newest and replaces the table in one transaction.

use super::engine::{Cause, SavedBypass, SavedLatch, SavedTrips};
use crate::auth::{Actor, Role};
use crate::tag::Timestamp;
use crossbeam_channel::{Receiver, Sender, TrySendError, bounded};
use rusqlite::{Connection, params};
use std::path::Path;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS trip_latch(
    id TEXT PRIMARY KEY,
    estop INTEGER NOT NULL,
    t INTEGER NOT NULL,
    cause TEXT NOT NULL,
    first_out INTEGER NOT NULL,
    user TEXT,
    role TEXT
);
CREATE TABLE IF NOT EXISTS trip_bypass(
    id TEXT PRIMARY KEY,
    until INTEGER NOT NULL,
    user TEXT NOT NULL,
    role TEXT NOT NULL,
    reason TEXT NOT NULL
);
";

fn cause_name(c: Cause) -> &'static str {
    match c {
        Cause::Condition => "condition",
        Cause::InputBad => "input-bad",
        Cause::Estop => "estop",
    }
}

fn cause_of(s: &str) -> Cause {
    match s {
        "input-bad" => Cause::InputBad,
        "estop" => Cause::Estop,
        _ => Cause::Condition,
    }
}

pub fn open(path: &Path) -> rusqlite::Result<Connection> {
    crate::records::open(path, SCHEMA)
}

pub fn load(conn: &Connection) -> rusqlite::Result<SavedTrips> {
    let actor = |user: Option<String>, role: Option<String>| match (user, role) {
        (Some(u), Some(r)) => Some(Actor::new(u, Role::parse(&r).unwrap_or(Role::Viewer))),
        _ => None,
    };
    let mut st = conn.prepare("SELECT id, estop, t, cause, first_out, user, role FROM trip_latch ORDER BY t")?;
    let latches = st
        .query_map([], |r| {
            Ok(SavedLatch {
                id: r.get(0)?,
                estop: r.get(1)?,
                at: Timestamp(r.get(2)?),
                cause: cause_of(&r.get::<_, String>(3)?),
                first_out: r.get(4)?,
                by: actor(r.get(5)?, r.get(6)?),
            })
        })?
        .collect::<Result<_, _>>()?;
    let mut st = conn.prepare("SELECT id, until, user, role, reason FROM trip_bypass")?;
    let bypasses = st
        .query_map([], |r| {
            Ok(SavedBypass {
                id: r.get(0)?,
                until: Timestamp(r.get(1)?),
                by: Actor::new(
                    r.get::<_, String>(2)?,
                    Role::parse(&r.get::<_, String>(3)?).unwrap_or(Role::Viewer),
                ),
                reason: r.get(4)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(SavedTrips { latches, bypasses })
}

pub fn save(conn: &mut Connection, s: &SavedTrips) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    tx.execute("DELETE FROM trip_latch", [])?;
    tx.execute("DELETE FROM trip_bypass", [])?;
    for l in &s.latches {
        tx.execute(
            "INSERT INTO trip_latch(id, estop, t, cause, first_out, user, role) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                l.id,
                l.estop,
                l.at.0,
                cause_name(l.cause),
                l.first_out,
                l.by.as_ref().map(|a| a.user.clone()),
                l.by.as_ref().map(|a| a.role.to_string())
            ],
        )?;
    }
    for b in &s.bypasses {
        tx.execute(
            "INSERT INTO trip_bypass(id, until, user, role, reason) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![b.id, b.until.0, b.by.user, b.by.role.to_string(), b.reason],
        )?;
    }
    tx.commit()
}

/// The writer thread. Dropping the sender and calling `stop` writes the last snapshot.
pub struct TripStateWriter {
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TripStateWriter {
    /// Opens the store, reads what was saved, and starts the writer.
    pub fn start(path: &Path) -> rusqlite::Result<(Self, Sender<SavedTrips>, SavedTrips)> {
        let mut conn = open(path)?;
        let saved = load(&conn)?;
        let (tx, rx) = bounded::<SavedTrips>(8);
        let thread = std::thread::Builder::new()
            .name("trip-state".into())
            .spawn(move || writer_loop(&mut conn, &rx))
            .map_err(|e| rusqlite::Error::InvalidParameterName(format!("cannot start the trip state writer: {e}")))?;
        Ok((Self { thread: Some(thread) }, tx, saved))
    }

    pub fn stop(mut self) {
        if let Some(t) = self.thread.take()
            && t.join().is_err()
        {
            tracing::error!("trip state writer panicked");
        }
    }
}

fn writer_loop(conn: &mut Connection, rx: &Receiver<SavedTrips>) {
    while let Ok(first) = rx.recv() {
        // Only the newest snapshot matters.
        let newest = rx.try_iter().last().unwrap_or(first);
        if let Err(e) = save(conn, &newest) {
            tracing::error!(error = %e, "latched trips NOT saved; a restart would not show them");
        }
    }
}

/// Hands a snapshot to the writer without waiting; a full queue keeps it for the next try.
pub fn offer(tx: &Sender<SavedTrips>, s: SavedTrips) -> Option<SavedTrips> {
    match tx.try_send(s) {
        Ok(()) => None,
        Err(TrySendError::Full(s)) => Some(s),
        Err(TrySendError::Disconnected(_)) => None,
    }
}
