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

fn trail(dir: &Path) -> AuditTrail {
    AuditTrail {
        path: dir.join("audit.db"),
        key: Arc::new(SiteKey::from_bytes([9; 32])),
        external: None,
    }
}

fn chain(n: i64) -> (tempfile::TempDir, AuditTrail, Connection) {
    let dir = tempfile::tempdir().unwrap();
    let t = trail(dir.path());
    let mut conn = open(&t).unwrap();
    for i in 1..=n {
        append(&mut conn, &t, &entry(i)).unwrap();
    }
    (dir, t, conn)
}

/// Tampering the way someone with the file would: around the triggers.
fn tamper(conn: &Connection, sql: &str) {
    conn.execute_batch(&format!(
        "DROP TRIGGER IF EXISTS audit_no_update; DROP TRIGGER IF EXISTS audit_no_delete; {sql}"
    ))
    .unwrap();
}

/// The test entries carry consecutive times: chained in the order they were recorded, the times step by one.
fn assert_in_recorded_order(conn: &Connection) {
    let ts: Vec<i64> = conn
        .prepare("SELECT t FROM audit ORDER BY seq")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(
        ts.windows(2).all(|w| w[1] == w[0] + 1),
        "in the order they were recorded"
    );
}

/// Another connection holding the trail's write lock: the writer cannot commit (the disk "stalls")
/// until it commits.
fn hold_write_lock(t: &AuditTrail) -> Connection {
    let blocker = Connection::open(&t.path).unwrap();
    blocker.execute_batch("BEGIN IMMEDIATE").unwrap();
    blocker
}

fn found(r: Result<Verified, AuditError>) -> Tamper {
    match r {
        Err(AuditError::Tampered(t)) => t,
        other => panic!("expected tampering, got {other:?}"),
    }
}

#[test]
fn an_intact_chain_verifies_against_its_anchor() {
    let (_d, t, conn) = chain(5);
    let v = verify(&conn, &t).unwrap();
    assert_eq!(v.records, 5);
    assert_eq!(v.head, recent(&conn, 1).unwrap()[0].hash);
    assert_eq!(
        v.anchor,
        Some(Anchor {
            seq: 5,
            head: v.head.clone()
        })
    );
    let (_d, t, empty) = chain(0);
    assert_eq!(verify(&empty, &t).unwrap().records, 0);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for p in [t.path.clone(), t.anchor_path()] {
            if p.exists() {
                assert_eq!(std::fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o600);
            }
        }
    }
}

#[test]
fn edits_and_deletes_are_refused_by_the_database() {
    let (_d, t, conn) = chain(3);
    assert!(conn.execute("UPDATE audit SET user = 'x' WHERE seq = 2", []).is_err());
    assert!(conn.execute("DELETE FROM audit WHERE seq = 2", []).is_err());
    assert_eq!(verify(&conn, &t).unwrap().records, 3);
}

#[test]
fn every_kind_of_tampering_is_named() {
    let cases: [(&str, Tamper); 9] = [
        (
            "UPDATE audit SET user = 'boss' WHERE seq = 3",
            Tamper::Edited { seq: 3 },
        ),
        ("UPDATE audit SET allowed = 1 WHERE seq = 5", Tamper::Edited { seq: 5 }),
        ("UPDATE audit SET t = t + 1 WHERE seq = 2", Tamper::Edited { seq: 2 }),
        ("DELETE FROM audit WHERE seq = 4", Tamper::Missing { seq: 4, next: 5 }),
        ("DELETE FROM audit WHERE seq = 1", Tamper::Missing { seq: 1, next: 2 }),
        // Reordered: two records swap their numbers.
        (
            "UPDATE audit SET seq = 100 WHERE seq = 3; UPDATE audit SET seq = 3 WHERE seq = 4; UPDATE audit SET seq = 4 WHERE seq = 100",
            Tamper::Relinked { seq: 3 },
        ),
        // The last records cut off: the chain itself is intact, the anchor is not fooled.
        (
            "DELETE FROM audit WHERE seq > 4",
            Tamper::Truncated { anchored: 6, found: 4 },
        ),
        ("DELETE FROM audit", Tamper::Truncated { anchored: 6, found: 0 }),
        (
            "DROP TABLE audit; CREATE TABLE audit(seq INTEGER PRIMARY KEY, t, user, role, action, target, detail, allowed, prev_hash, hash)",
            Tamper::Truncated { anchored: 6, found: 0 },
        ),
    ];
    for (sql, want) in cases {
        let (_d, t, conn) = chain(6);
        tamper(&conn, sql);
        assert_eq!(found(verify(&conn, &t)), want, "{sql}");
    }
}

#[test]
fn a_forger_without_the_key_cannot_make_a_chain_that_verifies() {
    // Edits a record and recomputes every hash after it the way the first release chained them (SHA-256,
    // no key): every link is consistent, and it still fails at the edited record.
    let (_d, t, conn) = chain(6);
    let mut all = recent(&conn, 6).unwrap();
    all.reverse();
    all[1].entry.user = "boss".into();
    let mut prev = GENESIS.to_owned();
    let mut sql = String::new();
    for r in &all {
        let h = legacy_hash(r.seq, &r.entry, &prev);
        sql += &format!(
            "UPDATE audit SET user = '{}', prev_hash = '{prev}', hash = '{h}' WHERE seq = {};",
            r.entry.user, r.seq
        );
        prev = h;
    }
    tamper(&conn, &sql);
    assert_eq!(found(verify(&conn, &t)), Tamper::Edited { seq: 1 });
    // With a key of their own, the chain verifies under that key only — not this site's.
    let (_d, t, conn) = chain(3);
    let mallory = SiteKey::from_bytes([1; 32]);
    let mut all = recent(&conn, 3).unwrap();
    all.reverse();
    let mut prev = GENESIS.to_owned();
    let mut sql = String::new();
    for r in &all {
        let h = hash(&mallory, r.seq, &r.entry, &prev);
        sql += &format!(
            "UPDATE audit SET prev_hash = '{prev}', hash = '{h}' WHERE seq = {};",
            r.seq
        );
        prev = h;
    }
    tamper(&conn, &sql);
    assert_eq!(found(verify(&conn, &t)), Tamper::Edited { seq: 1 });
}

#[test]
fn the_anchor_catches_what_the_chain_cannot() {
    let (_d, t, conn) = chain(4);
    std::fs::remove_file(t.anchor_path()).unwrap();
    assert_eq!(found(verify(&conn, &t)), Tamper::AnchorMissing { records: 4 });
    // An anchor someone wrote by hand, naming fewer records to cover a cut.
    let head3 = recent(&conn, 2).unwrap()[1].hash.clone();
    std::fs::write(
        t.anchor_path(),
        format!(
            "wellconsole audit anchor\nseq 3\nhead {head3}\nmac {}\n",
            "00".repeat(32)
        ),
    )
    .unwrap();
    assert_eq!(found(verify(&conn, &t)), Tamper::AnchorForged);
    // A chain rewritten from some record on, with a valid anchor at the old head: named where it differs.
    let (_d, t, conn) = chain(4);
    write_anchor(&t, 2, &"ab".repeat(32)).unwrap();
    assert_eq!(found(verify(&conn, &t)), Tamper::Replaced { seq: 2 });
}

#[test]
fn a_trail_that_fails_at_start_is_kept_aside_and_a_new_one_says_why() {
    let (d, t, conn) = chain(5);
    tamper(&conn, "DELETE FROM audit WHERE seq > 3");
    drop(conn);
    let (writer, sink) = AuditWriter::start(&t).unwrap();
    sink.record(entry(10));
    writer.stop();
    let conn = open(&t).unwrap();
    let v = verify(&conn, &t).unwrap();
    assert_eq!(v.records, 2);
    let first = &recent(&conn, 2).unwrap()[1].entry;
    assert_eq!(first.action, "audit trail check failed");
    assert!(
        first
            .detail
            .starts_with("audit records were cut off the end: the anchor says 5 records, the trail ends at 3"),
        "{}",
        first.detail
    );
    let kept: Vec<String> = std::fs::read_dir(d.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("audit-tampered-"))
        .collect();
    assert!(
        kept.iter().any(|n| n.ends_with(".db")) && kept.iter().any(|n| n.ends_with(".anchor")),
        "{kept:?}"
    );
    // The whole trail deleted (database gone, anchor left): found the same way.
    std::fs::remove_file(&t.path).unwrap();
    for ext in ["db-wal", "db-shm"] {
        let _ = std::fs::remove_file(t.path.with_extension(ext));
    }
    let (writer, _sink) = AuditWriter::start(&t).unwrap();
    writer.stop();
    let conn = open(&t).unwrap();
    assert!(
        recent(&conn, 1).unwrap()[0]
            .entry
            .detail
            .starts_with("the audit trail was deleted: its anchor says 2 records")
    );
    assert_eq!(verify(&conn, &t).unwrap().records, 1);
}

#[test]
fn a_trail_from_before_keys_is_kept_and_a_sealed_one_begins() {
    let dir = tempfile::tempdir().unwrap();
    let t = trail(dir.path());
    let conn = crate::records::open(&t.path, "CREATE TABLE audit(seq INTEGER PRIMARY KEY, t INTEGER NOT NULL, user TEXT NOT NULL, role TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL, detail TEXT NOT NULL, allowed INTEGER NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL)").unwrap();
    let mut prev = GENESIS.to_owned();
    for i in 1..=3 {
        let e = entry(i);
        let h = legacy_hash(i, &e, &prev);
        conn.execute(
            "INSERT INTO audit VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                i, e.at.0, e.user, e.role, e.action, e.target, e.detail, e.allowed, prev, h
            ],
        )
        .unwrap();
        prev = h;
    }
    drop(conn);
    assert_eq!(crate::records::sealed_key_id(&t.path, META_TABLE).unwrap(), None);
    let conn = open(&t).unwrap();
    let v = verify(&conn, &t).unwrap();
    assert_eq!(v.records, 1);
    let note = &recent(&conn, 1).unwrap()[0].entry;
    assert!(note.detail.contains("(3 records, head "), "{}", note.detail);
    assert_eq!(
        crate::records::sealed_key_id(&t.path, META_TABLE).unwrap().as_deref(),
        Some(t.key.id())
    );
    // Opened with another key: refused, not re-sealed.
    let other = AuditTrail {
        path: t.path.clone(),
        key: Arc::new(SiteKey::from_bytes([2; 32])),
        external: None,
    };
    assert!(matches!(open(&other), Err(AuditError::WrongKey { .. })));
}

#[test]
fn a_stalled_writer_loses_none_of_100000_entries_and_keeps_their_order() {
    let dir = tempfile::tempdir().unwrap();
    let t = trail(dir.path());
    let (writer, sink) = AuditWriter::start(&t).unwrap();
    let stats = writer.stats();
    let blocker = hold_write_lock(&t);
    let n = 100_000;
    for i in 1..=n {
        sink.record(entry(i));
    }
    assert!(
        stats.spilled.load(std::sync::atomic::Ordering::Relaxed)
            >= (n as u64) - (spool::MEMORY_ENTRIES as u64) - spool::BATCH as u64,
        "beyond memory, entries wait in the spill file"
    );
    assert!(t.spill_path().exists());
    blocker.execute_batch("COMMIT").unwrap();
    drop(blocker);
    writer.stop();
    assert_eq!(stats.lost.load(std::sync::atomic::Ordering::Relaxed), 0);
    let conn = open(&t).unwrap();
    let v = verify(&conn, &t).unwrap();
    assert_eq!(v.records, n);
    assert_in_recorded_order(&conn);
    assert_eq!(
        std::fs::metadata(t.spill_path()).unwrap().len(),
        0,
        "the spill file is empty again"
    );
}

#[test]
fn entries_left_in_the_spill_file_by_a_stop_are_chained_at_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let t = trail(dir.path());
    let (writer, sink) = AuditWriter::start(&t).unwrap();
    let blocker = hold_write_lock(&t);
    for i in 1..=20_000 {
        sink.record(entry(i));
    }
    // The trail stays locked past the stop's deadline: what is left waits on disk, none of it lost.
    writer.stop();
    assert_eq!(writer_lost(&t), 0);
    blocker.execute_batch("COMMIT").unwrap();
    drop(blocker);
    let (writer, sink) = AuditWriter::start(&t).unwrap();
    sink.record(entry(20_001));
    writer.stop();
    let conn = open(&t).unwrap();
    assert_eq!(verify(&conn, &t).unwrap().records, 20_001);
    assert_in_recorded_order(&conn);
}

#[test]
fn a_spill_left_by_a_stop_is_chained_once_however_often_the_console_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let t = trail(dir.path());
    let (writer, sink) = AuditWriter::start(&t).unwrap();
    let blocker = hold_write_lock(&t);
    for i in 1..=12_000 {
        sink.record(entry(i));
    }
    writer.stop();
    blocker.execute_batch("COMMIT").unwrap();
    drop(blocker);
    // Three starts with nothing recorded: the spill is chained by the first and never again.
    for _ in 0..3 {
        let (writer, _sink) = AuditWriter::start(&t).unwrap();
        writer.stop();
        let conn = open(&t).unwrap();
        assert_eq!(verify(&conn, &t).unwrap().records, 12_000);
    }
    // A later spill goes through the same file and is chained whole, in order.
    let (writer, sink) = AuditWriter::start(&t).unwrap();
    let blocker = hold_write_lock(&t);
    for i in 12_001..=24_000 {
        sink.record(entry(i));
    }
    blocker.execute_batch("COMMIT").unwrap();
    drop(blocker);
    writer.stop();
    let conn = open(&t).unwrap();
    assert_eq!(verify(&conn, &t).unwrap().records, 24_000);
    assert_in_recorded_order(&conn);
}

#[test]
fn a_line_slipped_into_the_spill_file_is_chained_as_a_finding_not_as_what_it_claims() {
    let dir = tempfile::tempdir().unwrap();
    let t = trail(dir.path());
    let mut forged = serde_json::to_vec(&AuditEntry {
        user: "boss".into(),
        role: "admin".into(),
        action: "trip reset".into(),
        ..entry(1)
    })
    .unwrap();
    forged.extend_from_slice(format!("\t{}\n", "00".repeat(32)).as_bytes());
    forged.extend_from_slice(b"\xff\xfe not even text\n");
    std::fs::write(t.spill_path(), &forged).unwrap();
    let (writer, _sink) = AuditWriter::start(&t).unwrap();
    writer.stop();
    let conn = open(&t).unwrap();
    let all = recent(&conn, 10).unwrap();
    assert_eq!(all.len(), 2);
    assert!(
        all.iter()
            .all(|r| r.entry.action == "audit spill line refused" && r.entry.user == "system")
    );
    assert!(
        all[1].entry.detail.contains("\"user\":\"boss\""),
        "{}",
        all[1].entry.detail
    );
}

fn writer_lost(t: &AuditTrail) -> u64 {
    // Entries still waiting are lines of the spill file; lost ones would be missing from it and the trail.
    let waiting = std::fs::read_to_string(t.spill_path()).map_or(0, |s| s.lines().count() as u64);
    let conn = Connection::open(&t.path).unwrap();
    let chained: i64 = conn
        .query_row("SELECT COUNT(*) FROM audit", [], |r| r.get(0))
        .unwrap_or(0);
    20_000 - waiting - chained as u64
}
