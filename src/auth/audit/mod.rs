//! The audit trail: who did what, when, and whether it was allowed — append-only in SQLite and sealed
//! with the site key, so an edited, deleted, reordered or cut-off record is found by `verify`.
//!
//! Each record carries an HMAC-SHA-256 (keyed with the site key, `records::key`) of the previous record's
//! MAC and its own fields; the first links to 64 zeros. Without the key nobody can recompute a chain
//! that verifies. Triggers refuse UPDATE and DELETE (a careless edit fails loudly). After every commit the
//! head (sequence number and MAC, itself sealed) is written to an anchor file beside the database, so
//! records cut off the end, or the whole trail deleted, are found too. Someone with the whole disk can
//! roll the database and the anchor back together; only an anchor kept elsewhere catches that.
//!
//! Pure storage: callers decide what to record. The writer thread and its spill are in `spool`.

pub mod external;
pub mod spool;

pub use spool::{AuditSink, AuditStats, AuditWriter};

use crate::records::SiteKey;
use crate::records::key::hex;
use crate::tag::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
const CHAIN: &str = "hmac-sha256";

/// Where a site's audit trail is and the key that seals it.
#[derive(Debug, Clone)]
pub struct AuditTrail {
    pub path: PathBuf,
    pub key: Arc<SiteKey>,
    /// Where the head is also published, off this machine (`None`: the local anchor only).
    pub external: Option<external::ExternalAnchor>,
}

impl AuditTrail {
    /// The audit trail of a site's records.
    pub fn of(records: &crate::records::Records) -> Self {
        Self {
            path: records.audit(),
            key: records.key.clone(),
            external: None,
        }
    }

    /// The anchor: the head of the chain after the last commit.
    pub fn anchor_path(&self) -> PathBuf {
        self.path.with_extension("anchor")
    }

    /// Entries that waited on disk for the writer (an append-only file of JSON lines).
    pub fn spill_path(&self) -> PathBuf {
        self.path.with_extension("spill")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("audit trail {path}: {source}")]
    Open { path: PathBuf, source: rusqlite::Error },
    #[error("audit trail: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("audit trail {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("audit trail {path} was sealed with key {sealed}, not with this site key ({key})")]
    WrongKey { path: PathBuf, sealed: String, key: String },
    #[error("{0}")]
    Tampered(Tamper),
    #[error("external audit anchor: {0}")]
    External(String),
}

/// What `verify` found wrong, in the words of the person who has to report it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tamper {
    /// A record is gone from the middle of the chain.
    Missing { seq: i64, next: i64 },
    /// A record does not link to the one before it: records were reordered, inserted or replaced.
    Relinked { seq: i64 },
    /// A record's contents do not match its MAC.
    Edited { seq: i64 },
    /// The anchor names more records than the trail has: records were cut off the end (all of them when
    /// `found` is 0).
    Truncated { anchored: i64, found: i64 },
    /// The record the anchor names is not the one in the trail: the chain was rewritten from there.
    Replaced { seq: i64 },
    /// The trail has records but its anchor file is gone.
    AnchorMissing { records: i64 },
    /// The anchor file was not written with this site's key.
    AnchorForged,
    /// The broker's head names more records than the trail has: the disk was rolled back.
    RolledBack { broker: String, anchored: i64, found: i64 },
    /// The record the broker's head names is not the one in the trail.
    RewrittenSinceExternal { broker: String, seq: i64 },
    /// The trail has records but the broker holds no head for it (removed there, or never published).
    ExternalMissing { broker: String, records: i64 },
}

impl std::fmt::Display for Tamper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Tamper::Missing { seq, next } => {
                write!(f, "audit record {seq} is broken: missing (the next record is {next})")
            }
            Tamper::Relinked { seq } => write!(
                f,
                "audit record {seq} is broken: it does not link to the record before it (records reordered, inserted or replaced)"
            ),
            Tamper::Edited { seq } => {
                write!(
                    f,
                    "audit record {seq} is broken: its contents were changed after it was written"
                )
            }
            Tamper::Truncated { anchored, found: 0 } => write!(
                f,
                "the audit trail was deleted: its anchor says {anchored} records, the trail has none"
            ),
            Tamper::Truncated { anchored, found } => write!(
                f,
                "audit records were cut off the end: the anchor says {anchored} records, the trail ends at {found}"
            ),
            Tamper::Replaced { seq } => write!(
                f,
                "audit record {seq} is not the record the anchor names: the trail was rewritten from there"
            ),
            Tamper::AnchorMissing { records } => write!(
                f,
                "the audit anchor is missing (the trail has {records} records): records cut off the end cannot be ruled out"
            ),
            Tamper::AnchorForged => write!(f, "the audit anchor was not written with this site's key"),
            Tamper::RolledBack {
                broker,
                anchored,
                found,
            } => write!(
                f,
                "the audit trail was rolled back: the external anchor at {broker} says {anchored} records, the trail ends at {found}"
            ),
            Tamper::ExternalMissing { broker, records } => write!(
                f,
                "the external anchor at {broker} holds no head, but the trail has {records} records (removed from the broker, or never published)"
            ),
            Tamper::RewrittenSinceExternal { broker, seq } => write!(
                f,
                "audit record {seq} is not the record the external anchor at {broker} names: the trail was rewritten from there"
            ),
        }
    }
}

/// What happened, before it is numbered and chained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

    /// What the console itself did or found (no person acted).
    pub fn system(at: Timestamp, action: &str, target: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            at,
            user: "system".into(),
            role: "-".into(),
            action: action.to_owned(),
            target: target.into(),
            detail: detail.into(),
            allowed: true,
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
CREATE TABLE IF NOT EXISTS audit_meta(k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
";

/// The table in which a trail names the key that sealed it (`records::sealed_key_id`).
pub const META_TABLE: &str = "audit_meta";

/// Opens (creating if needed) the audit trail, checking that it was sealed with this site's key. A trail
/// from before keys (plain SHA-256 chain) is moved aside whole and a new, keyed one started; its first
/// record says where the old one went.
pub fn open(trail: &AuditTrail) -> Result<Connection, AuditError> {
    let path = &trail.path;
    let open_err = |source| AuditError::Open {
        path: path.clone(),
        source,
    };
    let conn = crate::records::open(path, SCHEMA).map_err(open_err)?;
    let meta: Option<String> = conn
        .query_row("SELECT v FROM audit_meta WHERE k = 'key_id'", [], |r| r.get(0))
        .optional()?;
    match meta {
        Some(id) if id == trail.key.id() => Ok(conn),
        Some(id) => Err(AuditError::WrongKey {
            path: path.clone(),
            sealed: id,
            key: trail.key.id().to_owned(),
        }),
        None => {
            let first = records(
                &conn,
                &format!("SELECT {COLUMNS} FROM audit WHERE seq > ?1 ORDER BY seq LIMIT 1"),
                0,
            )?;
            let legacy = match first.first() {
                None => None,
                Some(r) if r.seq == 1 && r.prev_hash == GENESIS && legacy_hash(1, &r.entry, GENESIS) == r.hash => {
                    let (n, head): (i64, String) = conn.query_row(
                        "SELECT COUNT(*), (SELECT hash FROM audit ORDER BY seq DESC LIMIT 1) FROM audit",
                        [],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )?;
                    Some((n, head))
                }
                // Records, no key id, and not an old plain chain: the key id was removed.
                Some(_) => {
                    return Err(AuditError::WrongKey {
                        path: path.clone(),
                        sealed: "(removed from the file)".into(),
                        key: trail.key.id().to_owned(),
                    });
                }
            };
            let Some((n, head)) = legacy else {
                seal(&conn, trail)?;
                return Ok(conn);
            };
            drop(conn);
            let kept = set_aside(path, "legacy")?;
            let mut conn = crate::records::open(path, SCHEMA).map_err(open_err)?;
            seal(&conn, trail)?;
            let note = AuditEntry::system(
                Timestamp::now(),
                "audit trail sealed with the site key",
                "audit",
                format!(
                    "the earlier SHA-256 trail ({n} records, head {head}) was kept as {}",
                    kept.display()
                ),
            );
            append(&mut conn, trail, &note)?;
            Ok(conn)
        }
    }
}

fn seal(conn: &Connection, trail: &AuditTrail) -> Result<(), AuditError> {
    conn.execute(
        "INSERT OR IGNORE INTO audit_meta(k, v) VALUES ('key_id', ?1), ('chain', ?2)",
        params![trail.key.id(), CHAIN],
    )?;
    Ok(())
}

/// Moves a trail (and its WAL files) aside as `audit-WHY-<unix seconds>.db`; the new name.
fn set_aside(path: &Path, why: &str) -> Result<PathBuf, AuditError> {
    let secs = Timestamp::now().0 / 1_000_000;
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("audit");
    let kept = path.with_file_name(format!("{stem}-{why}-{secs}.db"));
    let io = |source| AuditError::Io {
        path: path.to_path_buf(),
        source,
    };
    std::fs::rename(path, &kept).map_err(io)?;
    for ext in ["db-wal", "db-shm"] {
        let side = path.with_extension(ext);
        if side.exists() {
            std::fs::rename(&side, kept.with_extension(ext)).map_err(io)?;
        }
    }
    Ok(kept)
}

/// The MAC of a record: HMAC-SHA-256 with the site key over the previous MAC and every field,
/// length-prefixed so that no two different records share an encoding.
pub fn hash(key: &SiteKey, seq: i64, e: &AuditEntry, prev_hash: &str) -> String {
    hex(&key.mac_of(&fields(seq, e, prev_hash).each()))
}

struct Fields<'a> {
    prev: &'a [u8],
    seq: [u8; 8],
    at: [u8; 8],
    e: &'a AuditEntry,
    allowed: [u8; 1],
}

impl Fields<'_> {
    fn each(&self) -> [&[u8]; 9] {
        [
            self.prev,
            &self.seq,
            &self.at,
            self.e.user.as_bytes(),
            self.e.role.as_bytes(),
            self.e.action.as_bytes(),
            self.e.target.as_bytes(),
            self.e.detail.as_bytes(),
            &self.allowed,
        ]
    }
}

fn fields<'a>(seq: i64, e: &'a AuditEntry, prev_hash: &'a str) -> Fields<'a> {
    Fields {
        prev: prev_hash.as_bytes(),
        seq: seq.to_le_bytes(),
        at: e.at.0.to_le_bytes(),
        e,
        allowed: [u8::from(e.allowed)],
    }
}

/// The unkeyed SHA-256 of the first release, to recognise a trail written before site keys.
fn legacy_hash(seq: i64, e: &AuditEntry, prev_hash: &str) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for b in fields(seq, e, prev_hash).each() {
        h.update((b.len() as u64).to_le_bytes());
        h.update(b);
    }
    hex(&h.finalize())
}

/// Appends records at the end of the chain in one write transaction (so two writers cannot fork it);
/// the new head. Does not write the anchor (`write_anchor`).
pub fn append_batch(conn: &mut Connection, key: &SiteKey, batch: &[AuditEntry]) -> Result<(i64, String), AuditError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let last: Option<(i64, String)> = tx
        .query_row("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    let (mut seq, mut prev) = last.unwrap_or((0, GENESIS.to_owned()));
    {
        let mut insert = tx.prepare_cached(
            "INSERT INTO audit(seq, t, user, role, action, target, detail, allowed, prev_hash, hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?;
        for e in batch {
            seq += 1;
            let h = hash(key, seq, e, &prev);
            insert.execute(params![
                seq, e.at.0, e.user, e.role, e.action, e.target, e.detail, e.allowed, prev, h
            ])?;
            prev = h;
        }
    }
    tx.commit()?;
    Ok((seq, prev))
}

/// Appends one record and moves the anchor to it (the command line's way; the console uses the writer).
pub fn append(conn: &mut Connection, trail: &AuditTrail, e: &AuditEntry) -> Result<AuditRecord, AuditError> {
    let (seq, hash) = append_batch(conn, &trail.key, std::slice::from_ref(e))?;
    let text = write_anchor(trail, seq, &hash)?;
    if let Some(ext) = &trail.external
        && let Err(why) = external::publish_once(ext, &text)
    {
        // The record is in the trail and its local anchor; the broker gets the head next time.
        tracing::warn!(broker = %ext, error = %why, "audit anchor not published");
    }
    let prev_hash = records(conn, &format!("SELECT {COLUMNS} FROM audit WHERE seq = ?1"), seq)?
        .pop()
        .map_or_else(|| GENESIS.to_owned(), |r| r.prev_hash);
    Ok(AuditRecord {
        seq,
        entry: e.clone(),
        prev_hash,
        hash,
    })
}

/// The head of the chain as the anchor file keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    pub seq: i64,
    pub head: String,
}

/// What an anchor's MAC covers, handed to `f` (sealing and checking use the one list).
fn with_anchor_parts<T>(a: &Anchor, f: impl FnOnce(&[&[u8]]) -> T) -> T {
    f(&[b"wellconsole audit anchor", &a.seq.to_le_bytes(), a.head.as_bytes()])
}

fn anchor_mac(key: &SiteKey, a: &Anchor) -> String {
    with_anchor_parts(a, |p| hex(&key.mac_of(p)))
}

/// Writes the anchor (temporary file, synced, renamed over the old one: never half written); its text.
pub fn write_anchor(trail: &AuditTrail, seq: i64, head: &str) -> Result<String, AuditError> {
    let path = trail.anchor_path();
    let a = Anchor {
        seq,
        head: head.to_owned(),
    };
    let text = format!(
        "wellconsole audit anchor\nseq {seq}\nhead {head}\nmac {}\n",
        anchor_mac(&trail.key, &a)
    );
    crate::records::replace_file(&path, text.as_bytes()).map_err(|source| AuditError::Io { path, source })?;
    Ok(text)
}

/// Reads the anchor: `Ok(None)` when there is none, `Err(AnchorForged)` when it does not carry this
/// site's MAC.
pub fn read_anchor(trail: &AuditTrail) -> Result<Option<Anchor>, AuditError> {
    let path = trail.anchor_path();
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(AuditError::Io { path, source }),
    };
    parse_anchor(trail, &text).map(Some)
}

/// An anchor's text checked against the site key.
pub fn parse_anchor(trail: &AuditTrail, text: &str) -> Result<Anchor, AuditError> {
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name).and_then(|v| v.strip_prefix(' ')))
            .map(str::to_owned)
    };
    let parsed = (|| {
        let a = Anchor {
            seq: field("seq")?.parse().ok()?,
            head: field("head")?,
        };
        Some((a, field("mac")?))
    })();
    match parsed {
        Some((a, mac)) if with_anchor_parts(&a, |p| trail.key.verify(p, &mac)) => Ok(a),
        _ => Err(AuditError::Tampered(Tamper::AnchorForged)),
    }
}

fn records(conn: &Connection, sql: &str, arg: i64) -> Result<Vec<AuditRecord>, AuditError> {
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map([arg], record_from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A record from a row of `COLUMNS`.
fn record_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AuditRecord> {
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
}

const COLUMNS: &str = "seq, t, user, role, action, target, detail, allowed, prev_hash, hash";

/// Whether the trail records users being added: then a user store that is missing or empty was removed,
/// not never made (the console refuses to start as if the site had no users).
pub fn users_were_added(trail: &AuditTrail) -> Result<bool, AuditError> {
    if !trail.path.exists() {
        return Ok(false);
    }
    let conn = open(trail)?;
    Ok(conn
        .prepare("SELECT 1 FROM audit WHERE action = 'user added' AND allowed = 1 LIMIT 1")?
        .exists([])?)
}

/// The newest `limit` records, newest first.
pub fn recent(conn: &Connection, limit: usize) -> Result<Vec<AuditRecord>, AuditError> {
    records(
        conn,
        &format!("SELECT {COLUMNS} FROM audit ORDER BY seq DESC LIMIT ?1"),
        i64::try_from(limit).unwrap_or(i64::MAX),
    )
}

/// Up to `limit` records after record `seq`, oldest first: what is forwarded to a central store.
pub fn after(conn: &Connection, seq: i64, limit: usize) -> Result<Vec<AuditRecord>, AuditError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM audit WHERE seq > ?1 ORDER BY seq LIMIT ?2"
    ))?;
    let rows = stmt.query_map(params![seq, limit], record_from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// How many records follow record `seq`.
pub fn count_after(conn: &Connection, seq: i64) -> Result<u64, AuditError> {
    let n: i64 = conn
        .prepare_cached("SELECT COUNT(*) FROM audit WHERE seq > ?1")?
        .query_row(params![seq], |r| r.get(0))?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// What a passing `verify` vouches for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub records: i64,
    pub head: String,
    /// The anchor it was checked against (`None`: an empty trail with no anchor yet).
    pub anchor: Option<Anchor>,
}

/// The whole chain checked: record numbers 1, 2, 3… with none missing, each linking to the one before and
/// carrying the MAC of its contents; then against the anchor, which catches records cut off the end and a
/// trail deleted whole. Local only (the Audit page runs it every few seconds); `verify_external` asks the
/// broker.
pub fn verify(conn: &Connection, trail: &AuditTrail) -> Result<Verified, AuditError> {
    let (records_n, head) = verify_chain(conn, &trail.key)?;
    let anchor = read_anchor(trail)?;
    check_anchor(anchor.as_ref(), records_n, |seq| head_at(conn, seq))?;
    Ok(Verified {
        records: records_n,
        head,
        anchor,
    })
}

/// A verified trail of `records` records against the broker's head, where the site has one (`Ok(None)`:
/// none configured, or an empty trail and an empty broker).
pub fn verify_external(conn: &Connection, trail: &AuditTrail, records: i64) -> Result<Option<Anchor>, AuditError> {
    match &trail.external {
        Some(ext) => external::verify_against(trail, ext, records, |seq| head_at(conn, seq)),
        None => Ok(None),
    }
}

/// The MAC of record `seq`, if it exists.
fn head_at(conn: &Connection, seq: i64) -> Result<Option<String>, AuditError> {
    Ok(conn
        .query_row("SELECT hash FROM audit WHERE seq = ?1", [seq], |r| r.get(0))
        .optional()?)
}

fn check_anchor(
    anchor: Option<&Anchor>,
    records_n: i64,
    head_of: impl Fn(i64) -> Result<Option<String>, AuditError>,
) -> Result<(), AuditError> {
    match anchor {
        None if records_n > 0 => Err(AuditError::Tampered(Tamper::AnchorMissing { records: records_n })),
        None => Ok(()),
        Some(a) if a.seq > records_n => Err(AuditError::Tampered(Tamper::Truncated {
            anchored: a.seq,
            found: records_n,
        })),
        // The anchor may lag the trail by the commit it was being written for when the power went.
        Some(a) if a.seq == 0 => Ok(()),
        Some(a) => match head_of(a.seq)? {
            Some(h) if h == a.head => Ok(()),
            _ => Err(AuditError::Tampered(Tamper::Replaced { seq: a.seq })),
        },
    }
}

/// The number of records and the head, or the first broken record.
fn verify_chain(conn: &Connection, key: &SiteKey) -> Result<(i64, String), AuditError> {
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
                return Err(AuditError::Tampered(Tamper::Missing {
                    seq: expected,
                    next: r.seq,
                }));
            }
            if r.prev_hash != prev {
                return Err(AuditError::Tampered(Tamper::Relinked { seq: r.seq }));
            }
            if !key.verify(&fields(r.seq, &r.entry, &r.prev_hash).each(), &r.hash) {
                return Err(AuditError::Tampered(Tamper::Edited { seq: r.seq }));
            }
            prev = r.hash;
            expected += 1;
            from = r.seq;
        }
    }
}

/// At start: the trail's end against its anchor (cheap: one record, not the whole chain). A trail that
/// fails is moved aside with its anchor — kept as evidence, never extended — and a new trail begins with
/// a record of what was found. `Ok(None)`: all well.
pub fn check_at_start(trail: &AuditTrail) -> Result<Option<(Tamper, Option<PathBuf>)>, AuditError> {
    let exists = trail.path.is_file();
    if exists {
        // A trail from before keys is moved aside and a sealed one begun (and anchored) first, so its
        // missing anchor is not mistaken for a finding.
        drop(open(trail)?);
    }
    let anchor = match read_anchor(trail) {
        Ok(a) => a,
        Err(AuditError::Tampered(t)) => {
            return set_aside_with_anchor(trail, t, exists).map(Some);
        }
        Err(e) => return Err(e),
    };
    if !exists {
        return match anchor {
            Some(a) if a.seq > 0 => set_aside_with_anchor(
                trail,
                Tamper::Truncated {
                    anchored: a.seq,
                    found: 0,
                },
                false,
            )
            .map(Some),
            _ => Ok(None),
        };
    }
    let conn = open(trail)?;
    let n: i64 = conn.query_row("SELECT COALESCE(MAX(seq), 0) FROM audit", [], |r| r.get(0))?;
    let found = check_anchor(anchor.as_ref(), n, |seq| head_at(&conn, seq));
    drop(conn);
    match found {
        Ok(()) => Ok(None),
        // A missing anchor alone: re-anchored where the trail stands, and said so in the trail.
        Err(AuditError::Tampered(t @ Tamper::AnchorMissing { .. })) => Ok(Some((t, None))),
        Err(AuditError::Tampered(t)) => set_aside_with_anchor(trail, t, true).map(Some),
        Err(e) => Err(e),
    }
}

fn set_aside_with_anchor(
    trail: &AuditTrail,
    t: Tamper,
    with_db: bool,
) -> Result<(Tamper, Option<PathBuf>), AuditError> {
    let kept = if with_db {
        set_aside(&trail.path, "tampered")?
    } else {
        let secs = Timestamp::now().0 / 1_000_000;
        trail.path.with_file_name(format!("audit-tampered-{secs}.db"))
    };
    let anchor = trail.anchor_path();
    if anchor.exists() {
        std::fs::rename(&anchor, kept.with_extension("anchor")).map_err(|source| AuditError::Io {
            path: anchor.clone(),
            source,
        })?;
    }
    Ok((t, Some(kept)))
}

#[cfg(test)]
mod tests;
