use super::*;

fn store(dir: &Path, lockout: Lockout) -> UserStore {
    UserStore::open(&dir.join("users.db"), Arc::new(SiteKey::from_bytes([3; 32])), lockout).unwrap()
}

fn reason(r: Result<Actor, UserError>) -> FailReason {
    match r {
        Err(UserError::LoginFailed(why)) => why,
        other => panic!("expected a failed login, got {other:?}"),
    }
}

const T0: Timestamp = Timestamp(1_800_000_000_000_000);

fn after(secs: i64) -> Timestamp {
    Timestamp(T0.0 + secs * 1_000_000)
}

#[test]
fn add_login_change_and_disable() {
    let dir = tempfile::tempdir().unwrap();
    let users = store(dir.path(), Lockout::default());
    users.add("ana", Role::Operator, "pozo-caliente-7", T0).unwrap();
    assert!(matches!(
        users.add("ana", Role::Admin, "otra-clave-99", T0),
        Err(UserError::Exists(_))
    ));
    assert!(matches!(
        users.add("bad name", Role::Admin, "otra-clave-99", T0),
        Err(UserError::BadName(_))
    ));
    for (pw, why) in [
        ("short", Weakness::TooShort),
        ("        ", Weakness::Blank),
        ("12345678", Weakness::Pattern),
        ("password", Weakness::Common),
        ("aaaaaaaa", Weakness::Pattern),
        ("luis12345", Weakness::HasName),
    ] {
        match users.add("luis", Role::Admin, pw, T0) {
            Err(UserError::WeakPassword(w)) => assert_eq!(w, why, "{pw:?}"),
            other => panic!("{pw:?}: {other:?}"),
        }
    }
    assert_eq!(
        users.login("ana", "pozo-caliente-7", T0).unwrap(),
        Actor::new("ana", Role::Operator)
    );
    // Unknown name and wrong password: one answer for the person, the cause for the audit trail.
    let unknown = users.login("nobody", "pozo-caliente-7", T0).unwrap_err();
    let wrong = users.login("ana", "wrong-password", T0).unwrap_err();
    assert_eq!(unknown.to_string(), wrong.to_string());
    assert_eq!(
        wrong.to_string(),
        "wrong user name or password, or the account is disabled or locked"
    );
    assert_eq!(reason(Err(unknown)), FailReason::UnknownUser);
    assert_eq!(reason(Err(wrong)), FailReason::WrongPassword { failures: 1 });
    users.set_password("ana", "nueva-clave-2026", T0).unwrap();
    assert!(users.login("ana", "pozo-caliente-7", T0).is_err());
    assert!(users.login("ana", "nueva-clave-2026", T0).is_ok());
    users.set_disabled("ana", true, T0).unwrap();
    assert_eq!(reason(users.login("ana", "nueva-clave-2026", T0)), FailReason::Disabled);
    assert!(matches!(
        users.set_disabled("nobody", true, T0),
        Err(UserError::Unknown(_))
    ));
    let list = users.list(T0).unwrap();
    assert_eq!(list.len(), 1);
    assert!(list[0].disabled && list[0].sealed);
    // The hash is Argon2id and salted: the password itself is nowhere in the file.
    let raw = std::fs::read(dir.path().join("users.db")).unwrap();
    assert!(!raw.windows(16).any(|w| w == b"nueva-clave-2026"));
}

#[test]
fn names_are_unique_without_regard_to_case_and_log_in_either_way() {
    let dir = tempfile::tempdir().unwrap();
    let users = store(dir.path(), Lockout::default());
    users.add("ana", Role::Operator, "pozo-caliente-7", T0).unwrap();
    match users.add("ANA", Role::Admin, "otra-clave-99", T0) {
        Err(UserError::Exists(n)) => assert_eq!(n, "ana"),
        other => panic!("{other:?}"),
    }
    // Around the store's own check: the database refuses it too.
    let conn = Connection::open(dir.path().join("users.db")).unwrap();
    assert!(
        conn.execute(
            "INSERT INTO users(name, role, hash, created, changed) VALUES ('Ana', 'admin', 'x', 0, 0)",
            []
        )
        .is_err()
    );
    assert_eq!(
        users.login("ANA", "pozo-caliente-7", T0).unwrap(),
        Actor::new("ana", Role::Operator),
        "the stored name acts, whatever case was typed"
    );
}

#[test]
fn wrong_passwords_lock_an_account_for_a_while_and_an_admin_can_unlock_it() {
    let dir = tempfile::tempdir().unwrap();
    let lockout = Lockout {
        after: 3,
        duration: Duration::from_secs(600),
    };
    let users = store(dir.path(), lockout);
    users.add("sam", Role::Admin, "turno-noche-44", T0).unwrap();
    assert_eq!(
        reason(users.login("sam", "guess-1", after(1))),
        FailReason::WrongPassword { failures: 1 }
    );
    assert_eq!(
        reason(users.login("sam", "guess-2", after(2))),
        FailReason::WrongPassword { failures: 2 }
    );
    assert_eq!(
        reason(users.login("sam", "guess-3", after(3))),
        FailReason::LockedNow {
            failures: 3,
            until: after(603)
        }
    );
    // The right password does not open a locked account, and says nothing different to the person.
    let e = users.login("sam", "turno-noche-44", after(10)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "wrong user name or password, or the account is disabled or locked"
    );
    assert_eq!(reason(Err(e)), FailReason::Locked { until: after(603) });
    assert_eq!(users.list(after(10)).unwrap()[0].locked_until, Some(after(603)));
    // It ends by itself …
    assert!(users.login("sam", "turno-noche-44", after(604)).is_ok());
    assert_eq!(users.list(after(604)).unwrap()[0].locked_until, None);
    // … or when an admin unlocks it; a success forgets earlier failures.
    for i in 0..3 {
        let _ = users.login("sam", "guess", after(700 + i));
    }
    assert!(users.login("sam", "turno-noche-44", after(710)).is_err());
    assert_eq!(users.unlock("SAM").unwrap(), "sam");
    assert!(users.login("sam", "turno-noche-44", after(711)).is_ok());
    let _ = users.login("sam", "guess", after(712));
    assert!(users.login("sam", "turno-noche-44", after(713)).is_ok());
    assert_eq!(
        reason(users.login("sam", "guess", after(714))),
        FailReason::WrongPassword { failures: 1 }
    );
}

#[test]
fn a_record_edited_outside_wellconsole_is_refused_until_its_password_is_set_again() {
    let dir = tempfile::tempdir().unwrap();
    let users = store(dir.path(), Lockout::default());
    users.add("eva", Role::Viewer, "solo-mirar-2026", T0).unwrap();
    users.add("ana", Role::Operator, "pozo-caliente-7", T0).unwrap();
    let conn = Connection::open(dir.path().join("users.db")).unwrap();
    conn.execute("UPDATE users SET role = 'admin' WHERE name = 'eva'", [])
        .unwrap();
    // Copying another user's hash and MAC does not help either: the MAC covers the name.
    conn.execute(
        "UPDATE users SET hash = (SELECT hash FROM users WHERE name = 'eva'), mac = (SELECT mac FROM users WHERE name = 'eva') WHERE name = 'ana'",
        [],
    )
    .unwrap();
    assert_eq!(
        reason(users.login("eva", "solo-mirar-2026", T0)),
        FailReason::RecordTampered
    );
    assert_eq!(
        reason(users.login("ana", "solo-mirar-2026", T0)),
        FailReason::RecordTampered
    );
    assert!(users.list(T0).unwrap().iter().all(|u| !u.sealed));
    // Changing a forged record would seal the forgery: refused, whoever asks.
    assert!(matches!(
        users.set_password("eva", "otra-vez-mirar-9", T0),
        Err(UserError::Tampered(n)) if n == "eva"
    ));
    assert!(matches!(
        users.set_disabled("eva", false, T0),
        Err(UserError::Tampered(_))
    ));
    // An admin restores it with a role and password given anew; nothing forged survives.
    users.restore("eva", Role::Viewer, "otra-vez-mirar-9", T0).unwrap();
    assert_eq!(
        users.login("eva", "otra-vez-mirar-9", T0).unwrap(),
        Actor::new("eva", Role::Viewer)
    );
    // Another key cannot vouch for this site's records.
    let other = UserStore::open(
        &dir.path().join("users.db"),
        Arc::new(SiteKey::from_bytes([4; 32])),
        Lockout::default(),
    )
    .unwrap();
    assert_eq!(
        reason(other.login("eva", "otra-vez-mirar-9", T0)),
        FailReason::RecordTampered
    );
}

#[test]
fn a_store_from_before_seals_is_sealed_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("users.db");
    let conn = Connection::open(&path).unwrap();
    let hash = hash_password("ana", "pozo-caliente-7").unwrap();
    conn.execute_batch(
        "CREATE TABLE users(name TEXT PRIMARY KEY, role TEXT NOT NULL, hash TEXT NOT NULL,
         disabled INTEGER NOT NULL DEFAULT 0, created INTEGER NOT NULL, changed INTEGER NOT NULL)",
    )
    .unwrap();
    conn.execute("INSERT INTO users VALUES ('ana', 'operator', ?1, 0, 1, 1)", [&hash])
        .unwrap();
    drop(conn);
    let users = store(dir.path(), Lockout::default());
    assert_eq!(
        reason(users.login("ana", "pozo-caliente-7", T0)),
        FailReason::RecordTampered
    );
    assert_eq!(users.seal_unsealed().unwrap(), 1);
    assert!(users.login("ana", "pozo-caliente-7", T0).is_ok());
    // Later, a record whose MAC was cleared is not sealed again: only the upgrading open seals.
    let conn = Connection::open(&path).unwrap();
    conn.execute("UPDATE users SET role = 'admin', mac = NULL", []).unwrap();
    let users = store(dir.path(), Lockout::default());
    assert_eq!(users.seal_unsealed().unwrap(), 0);
    assert_eq!(
        reason(users.login("ana", "pozo-caliente-7", T0)),
        FailReason::RecordTampered
    );
}
