//! `production.db`: the site's well tests, as the test runner measured them, with the tester's signature
//! and the supervisor's or engineer's decision, in SQLite.
//!
//! The store enforces the DATA rules, whoever asks: a measurement is checked before it is kept; a test is
//! kept once per (well, start), so the hub service may resend one it is not sure arrived; only a pending
//! test is signed by its tester or approved; a pending or an approved test may be rejected (a meter found
//! wrong later), always with a reason; a rejected test stays rejected; at most `MAX_TESTS` tests are kept.
//! Every change runs in one transaction, so a refused change changes nothing. It does not check who asks
//! (that is `command`'s, with roles and the audit trail), reads no clock (the caller passes the time) and is
//! owned by one thread at a time (the console's production writer, or the command line).
//!
//! The file is created 0600 in WAL mode with `synchronous = FULL` (`records::open`); its schema version is
//! SQLite's `user_version`, and a file of another version is refused rather than misread.

use super::model::{Measured, ProductionError, TestStatus, WellTest, clean_text};
use crate::tag::Timestamp;
use rusqlite::{Connection, OpenFlags, OptionalExtension, Params, Row, TransactionBehavior, params};
use std::path::Path;
use std::time::Duration;

/// The schema this code reads and writes (`PRAGMA user_version`).
pub const SCHEMA_VERSION: i64 = 1;

/// The most tests one file keeps: a well tested weekly for 20 years is about 1,000; 100 such wells fit.
pub const MAX_TESTS: i64 = 100_000;

/// Times are INTEGER microseconds since the epoch (`Timestamp`); a figure that is undefined or was not
/// measured (`None`) is NULL; the status is stored by its code.
pub const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS well_tests(
    id INTEGER PRIMARY KEY,
    well TEXT NOT NULL,
    separator TEXT NOT NULL,
    routed_at INTEGER NOT NULL,
    stable_at INTEGER NOT NULL,
    start_at INTEGER NOT NULL,
    end_at INTEGER NOT NULL,
    oil_stb_d REAL NOT NULL,
    water_bbl_d REAL NOT NULL,
    gas_mscf_d REAL NOT NULL,
    gor_scf_stb REAL,
    wor REAL,
    water_cut REAL,
    bsw REAL,
    separator_psi REAL NOT NULL,
    separator_temp_f REAL,
    whp_psi REAL,
    pwf_psi REAL,
    esp_hz REAL,
    oil_meter_factor REAL NOT NULL,
    water_meter_factor REAL NOT NULL,
    gas_meter_factor REAL NOT NULL,
    shrinkage REAL NOT NULL,
    totalized INTEGER NOT NULL,
    level_compensated INTEGER NOT NULL,
    bad_input_s REAL NOT NULL,
    status TEXT NOT NULL,
    tested_by TEXT,
    tested_at INTEGER,
    decided_by TEXT,
    decided_at INTEGER,
    reason TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    UNIQUE(well, start_at)
);
CREATE INDEX IF NOT EXISTS well_tests_by_start ON well_tests(start_at);
CREATE INDEX IF NOT EXISTS well_tests_by_status ON well_tests(well, status, start_at);";

/// Column order of `test_from_row`.
const COLS: &str = "id, well, separator, routed_at, stable_at, start_at, end_at, oil_stb_d, water_bbl_d, \
    gas_mscf_d, gor_scf_stb, wor, water_cut, bsw, separator_psi, separator_temp_f, whp_psi, pwf_psi, esp_hz, \
    oil_meter_factor, water_meter_factor, gas_meter_factor, shrinkage, totalized, level_compensated, \
    bad_input_s, status, tested_by, tested_at, decided_by, decided_at, reason, note";

/// Which tests `list` returns, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestFilter {
    pub well: Option<String>,
    pub status: Option<TestStatus>,
    pub limit: usize,
}

impl Default for TestFilter {
    /// Every well and status, the newest 100.
    fn default() -> Self {
        Self {
            well: None,
            status: None,
            limit: 100,
        }
    }
}

/// The site's well tests; synchronous, owned by one thread at a time.
pub struct ProductionStore {
    conn: Connection,
}

impl ProductionStore {
    /// Opens `path` for reading and writing, creating it (0600, its folder 0700) with its schema if needed.
    pub fn open(path: &Path) -> Result<Self, ProductionError> {
        let at = |e: rusqlite::Error| ProductionError::Store(format!("{}: {e}", path.display()));
        // The schema comes after the version check: a newer file is refused before its tables are touched.
        let conn = crate::records::open(path, "").map_err(at)?;
        let found = user_version(&conn).map_err(at)?;
        if found != 0 && found != SCHEMA_VERSION {
            return Err(other_version(path, found));
        }
        conn.execute_batch(SCHEMA).map_err(at)?;
        if found == 0 {
            conn.pragma_update(None, "user_version", SCHEMA_VERSION).map_err(at)?;
        }
        Ok(Self { conn })
    }

    /// Opens an existing `path` for queries only (the command line's `production tests`); every change is
    /// refused by SQLite itself.
    pub fn open_read_only(path: &Path) -> Result<Self, ProductionError> {
        let at = |e: rusqlite::Error| ProductionError::Store(format!("{}: {e}", path.display()));
        let conn =
            Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
                .map_err(at)?;
        conn.busy_timeout(Duration::from_secs(5)).map_err(at)?;
        let found = user_version(&conn).map_err(at)?;
        if found != SCHEMA_VERSION {
            return Err(other_version(path, found));
        }
        Ok(Self { conn })
    }

    /// A store that lives in memory only (tests).
    pub fn open_in_memory() -> Result<Self, ProductionError> {
        let conn = Connection::open_in_memory().map_err(db)?;
        conn.execute_batch(SCHEMA).map_err(db)?;
        conn.pragma_update(None, "user_version", SCHEMA_VERSION).map_err(db)?;
        Ok(Self { conn })
    }

    /// SQLite's data_version: changes when ANOTHER connection commits (the writer rebuilds its view then).
    pub fn data_version(&self) -> Result<i64, ProductionError> {
        self.conn.query_row("PRAGMA data_version", (), |r| r.get(0)).map_err(db)
    }

    /// Keeps a measured test as pending and returns its id. The same well's test with the same start is
    /// the same test sent again: its id is returned and nothing changes. Refused when the measurement does
    /// not check, or when the file holds `MAX_TESTS` tests already.
    pub fn insert_measured(&mut self, m: &Measured) -> Result<i64, ProductionError> {
        let well = required_text("well", &m.well)?;
        let separator = required_text("separator", &m.separator)?;
        check_measured(m)?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db)?;
        let known: Option<i64> = tx
            .query_row(
                "SELECT id FROM well_tests WHERE well = ?1 AND start_at = ?2",
                params![well, m.start.0],
                |r| r.get(0),
            )
            .optional()
            .map_err(db)?;
        if let Some(id) = known {
            return Ok(id);
        }
        let kept: i64 = tx
            .query_row("SELECT COUNT(*) FROM well_tests", (), |r| r.get(0))
            .map_err(db)?;
        if kept >= MAX_TESTS {
            return Err(ProductionError::Store(format!(
                "the file holds {kept} well tests, the most it keeps; the test of {well} from {} was not \
                 recorded: move production.db aside (it stays readable) and the console starts a new one",
                m.start.to_rfc3339()
            )));
        }
        tx.execute(
            "INSERT INTO well_tests(well, separator, routed_at, stable_at, start_at, end_at, oil_stb_d, \
             water_bbl_d, gas_mscf_d, gor_scf_stb, wor, water_cut, bsw, separator_psi, separator_temp_f, whp_psi, \
             pwf_psi, esp_hz, oil_meter_factor, water_meter_factor, gas_meter_factor, shrinkage, totalized, \
             level_compensated, bad_input_s, status) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, \
             ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26)",
            params![
                well,
                separator,
                m.routed_at.0,
                m.stable_at.0,
                m.start.0,
                m.end.0,
                m.oil_stb_d,
                m.water_bbl_d,
                m.gas_mscf_d,
                m.gor_scf_stb,
                m.wor,
                m.water_cut,
                m.bsw,
                m.separator_psi,
                m.separator_temp_f,
                m.whp_psi,
                m.pwf_psi,
                m.esp_hz,
                m.meter_factors[0],
                m.meter_factors[1],
                m.meter_factors[2],
                m.shrinkage,
                m.totalized,
                m.level_compensated,
                m.bad_input_s,
                TestStatus::Pending.code(),
            ],
        )
        .map_err(db)?;
        let id = tx.last_insert_rowid();
        tx.commit().map_err(db)?;
        Ok(id)
    }

    pub fn get(&self, id: i64) -> Result<WellTest, ProductionError> {
        test_by_id(&self.conn, id)
    }

    /// Newest first (by the test's start), at most `filter.limit`.
    pub fn list(&self, filter: &TestFilter) -> Result<Vec<WellTest>, ProductionError> {
        let limit = i64::try_from(filter.limit).unwrap_or(i64::MAX);
        query_all(
            &self.conn,
            &format!(
                "SELECT {COLS} FROM well_tests WHERE (?1 IS NULL OR well = ?1) AND (?2 IS NULL OR status = ?2) \
                 ORDER BY start_at DESC, id DESC LIMIT ?3"
            ),
            params![
                filter.well.as_deref().map(str::trim),
                filter.status.map(TestStatus::code),
                limit
            ],
            test_from_row,
        )
    }

    /// A well's approved tests, oldest first: what its inflow curve is fitted to.
    pub fn approved_for(&self, well: &str) -> Result<Vec<WellTest>, ProductionError> {
        query_all(
            &self.conn,
            &format!("SELECT {COLS} FROM well_tests WHERE well = ?1 AND status = ?2 ORDER BY start_at, id"),
            params![well.trim(), TestStatus::Approved.code()],
            test_from_row,
        )
    }

    /// A well's newest `n` approved tests, oldest first (a summary's: its curve and its phase split).
    pub fn approved_newest(&self, well: &str, n: usize) -> Result<Vec<WellTest>, ProductionError> {
        let limit = i64::try_from(n).unwrap_or(i64::MAX);
        let mut newest = query_all(
            &self.conn,
            &format!(
                "SELECT {COLS} FROM well_tests WHERE well = ?1 AND status = ?2 ORDER BY start_at DESC, id DESC LIMIT ?3"
            ),
            params![well.trim(), TestStatus::Approved.code(), limit],
            test_from_row,
        )?;
        newest.reverse();
        Ok(newest)
    }

    /// How many of a well's tests wait for a decision.
    pub fn pending_count(&self, well: &str) -> Result<usize, ProductionError> {
        let n: i64 = self
            .conn
            .query_row(
                "SELECT COUNT(*) FROM well_tests WHERE well = ?1 AND status = ?2",
                params![well.trim(), TestStatus::Pending.code()],
                |r| r.get(0),
            )
            .map_err(db)?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    /// How many tests the file holds.
    pub fn count(&self) -> Result<usize, ProductionError> {
        let n: i64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM well_tests", (), |r| r.get(0))
            .map_err(db)?;
        Ok(usize::try_from(n).unwrap_or(0))
    }
}

// --- people's acts on a test (role-checked and audited by `command`) ---
impl ProductionStore {
    /// The tester (who witnessed the test on the separator) signs a pending test, once.
    pub fn sign_tester(&mut self, id: i64, user: &str, at: Timestamp) -> Result<WellTest, ProductionError> {
        let user = required_text("user", user)?;
        self.change(
            id,
            |t| {
                if t.status != TestStatus::Pending {
                    return Err(wrong(t, "only a pending test is signed by its tester"));
                }
                match &t.tested_by {
                    Some(by) => Err(wrong(t, format!("its tester {by} has signed it already"))),
                    None => Ok(()),
                }
            },
            "UPDATE well_tests SET tested_by = ?2, tested_at = ?3 WHERE id = ?1",
            params![id, user, at.0],
        )
    }

    /// Approves a pending test: from now on it counts for the well's inflow curve. A non-empty `note`
    /// replaces the test's note; an empty one keeps it.
    pub fn approve(&mut self, id: i64, user: &str, at: Timestamp, note: &str) -> Result<WellTest, ProductionError> {
        let user = required_text("user", user)?;
        let note = clean_text("note", note)?;
        self.change(
            id,
            |t| match t.status {
                TestStatus::Pending => Ok(()),
                TestStatus::Approved => Err(wrong(t, "it was approved already")),
                TestStatus::Rejected => Err(wrong(t, "a rejected test stays rejected")),
            },
            "UPDATE well_tests SET status = ?2, decided_by = ?3, decided_at = ?4, \
             note = CASE WHEN ?5 = '' THEN note ELSE ?5 END WHERE id = ?1",
            params![id, TestStatus::Approved.code(), user, at.0, note],
        )
    }

    /// Rejects a pending test, or an approved one found wrong later (a meter out of calibration): kept in
    /// the record with the reason, never counted again. The reason is required.
    pub fn reject(&mut self, id: i64, user: &str, at: Timestamp, reason: &str) -> Result<WellTest, ProductionError> {
        let user = required_text("user", user)?;
        let reason = clean_text("reason", reason)?;
        if reason.is_empty() {
            return Err(ProductionError::Invalid {
                field: "reason",
                reason: "a rejected test needs a reason (what was wrong with it)".into(),
            });
        }
        self.change(
            id,
            |t| match t.status {
                TestStatus::Pending | TestStatus::Approved => Ok(()),
                TestStatus::Rejected => Err(wrong(t, "it was rejected already; a rejected test stays rejected")),
            },
            "UPDATE well_tests SET status = ?2, decided_by = ?3, decided_at = ?4, reason = ?5 WHERE id = ?1",
            params![id, TestStatus::Rejected.code(), user, at.0, reason],
        )
    }

    /// Replaces a test's note (empty clears it), whatever its status: a note changes no figure.
    pub fn set_note(&mut self, id: i64, note: &str) -> Result<WellTest, ProductionError> {
        let note = clean_text("note", note)?;
        self.change(
            id,
            |_| Ok(()),
            "UPDATE well_tests SET note = ?2 WHERE id = ?1",
            params![id, note],
        )
    }

    /// One change to test `id` in one transaction: `check` sees the test as stored and may refuse; then
    /// `sql` runs with `p`; the test is returned as it now stands.
    fn change<P: Params>(
        &mut self,
        id: i64,
        check: impl FnOnce(&WellTest) -> Result<(), ProductionError>,
        sql: &str,
        p: P,
    ) -> Result<WellTest, ProductionError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db)?;
        let before = test_by_id(&tx, id)?;
        check(&before)?;
        tx.execute(sql, p).map_err(db)?;
        let after = test_by_id(&tx, id)?;
        tx.commit().map_err(db)?;
        Ok(after)
    }
}

/// `s` cleaned (`clean_text`) and not empty.
fn required_text(field: &'static str, s: &str) -> Result<String, ProductionError> {
    let t = clean_text(field, s)?;
    if t.is_empty() {
        return Err(ProductionError::Invalid {
            field,
            reason: "must not be empty".into(),
        });
    }
    Ok(t)
}

fn invalid(field: &'static str, reason: String) -> ProductionError {
    ProductionError::Invalid { field, reason }
}

/// The measurement's figures: rates, ratios and durations finite and not negative, fractions within 0..1,
/// meter factors above 0, shrinkage in (0, 1], the test period after the routing and not empty.
fn check_measured(m: &Measured) -> Result<(), ProductionError> {
    let at_least_0 = [
        ("oil_stb_d", Some(m.oil_stb_d)),
        ("water_bbl_d", Some(m.water_bbl_d)),
        ("gas_mscf_d", Some(m.gas_mscf_d)),
        ("bad_input_s", Some(m.bad_input_s)),
        ("gor_scf_stb", m.gor_scf_stb),
        ("wor", m.wor),
        ("esp_hz", m.esp_hz),
    ];
    for (field, v) in at_least_0 {
        if let Some(v) = v
            && !(v.is_finite() && v >= 0.0)
        {
            return Err(invalid(field, format!("{v} must be a finite number of at least 0")));
        }
    }
    for (field, v) in [("water_cut", m.water_cut), ("bsw", m.bsw)] {
        if let Some(v) = v
            && !(0.0..=1.0).contains(&v)
        {
            return Err(invalid(field, format!("{v} must be a fraction from 0 to 1")));
        }
    }
    let finite = [
        ("separator_psi", Some(m.separator_psi)),
        ("separator_temp_f", m.separator_temp_f),
        ("whp_psi", m.whp_psi),
        ("pwf_psi", m.pwf_psi),
    ];
    for (field, v) in finite {
        if let Some(v) = v
            && !v.is_finite()
        {
            return Err(invalid(field, format!("{v} must be a finite number")));
        }
    }
    if let Some(f) = m.meter_factors.iter().find(|f| !(f.is_finite() && **f > 0.0)) {
        return Err(invalid("meter_factors", format!("{f} must be a finite number above 0")));
    }
    if !(m.shrinkage.is_finite() && m.shrinkage > 0.0 && m.shrinkage <= 1.0) {
        return Err(invalid(
            "shrinkage",
            format!(
                "{} must be above 0 and at most 1 (stock-tank barrels per separator barrel)",
                m.shrinkage
            ),
        ));
    }
    if m.end <= m.start {
        return Err(invalid("end", "the test period must end after it starts".into()));
    }
    if m.stable_at < m.routed_at || m.start < m.routed_at {
        return Err(invalid(
            "routed_at",
            "the well must be routed to the separator before it is found stable and tested".into(),
        ));
    }
    Ok(())
}

fn user_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.pragma_query_value(None, "user_version", |r| r.get(0))
}

fn other_version(path: &Path, found: i64) -> ProductionError {
    ProductionError::Store(format!(
        "{} is schema version {found}, this wellconsole reads version {SCHEMA_VERSION}: use the wellconsole \
         that wrote it",
        path.display()
    ))
}

fn wrong(t: &WellTest, why: impl Into<String>) -> ProductionError {
    ProductionError::WrongState {
        id: t.id,
        status: t.status,
        why: why.into(),
    }
}

fn db(e: rusqlite::Error) -> ProductionError {
    ProductionError::Store(e.to_string())
}

fn test_by_id(conn: &Connection, id: i64) -> Result<WellTest, ProductionError> {
    conn.query_row(
        &format!("SELECT {COLS} FROM well_tests WHERE id = ?1"),
        params![id],
        test_from_row,
    )
    .optional()
    .map_err(db)?
    .ok_or(ProductionError::NoSuchTest(id))
}

fn query_all<T, P, F>(conn: &Connection, sql: &str, p: P, f: F) -> Result<Vec<T>, ProductionError>
where
    P: Params,
    F: FnMut(&Row<'_>) -> rusqlite::Result<T>,
{
    let mut stmt = conn.prepare(sql).map_err(db)?;
    let rows = stmt.query_map(p, f).map_err(db)?;
    rows.collect::<rusqlite::Result<Vec<T>>>().map_err(db)
}

/// A row in `COLS` order.
fn test_from_row(r: &Row<'_>) -> rusqlite::Result<WellTest> {
    let code: String = r.get(26)?;
    let status = TestStatus::parse(&code).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            26,
            rusqlite::types::Type::Text,
            Box::new(ProductionError::Store(format!("unknown well test status '{code}'"))),
        )
    })?;
    let m = Measured {
        well: r.get(1)?,
        separator: r.get(2)?,
        routed_at: Timestamp(r.get(3)?),
        stable_at: Timestamp(r.get(4)?),
        start: Timestamp(r.get(5)?),
        end: Timestamp(r.get(6)?),
        oil_stb_d: r.get(7)?,
        water_bbl_d: r.get(8)?,
        gas_mscf_d: r.get(9)?,
        gor_scf_stb: r.get(10)?,
        wor: r.get(11)?,
        water_cut: r.get(12)?,
        bsw: r.get(13)?,
        separator_psi: r.get(14)?,
        separator_temp_f: r.get(15)?,
        whp_psi: r.get(16)?,
        pwf_psi: r.get(17)?,
        esp_hz: r.get(18)?,
        meter_factors: [r.get(19)?, r.get(20)?, r.get(21)?],
        shrinkage: r.get(22)?,
        totalized: r.get(23)?,
        level_compensated: r.get(24)?,
        bad_input_s: r.get(25)?,
    };
    Ok(WellTest {
        id: r.get(0)?,
        m,
        status,
        tested_by: r.get(27)?,
        tested_at: r.get::<_, Option<i64>>(28)?.map(Timestamp),
        decided_by: r.get(29)?,
        decided_at: r.get::<_, Option<i64>>(30)?.map(Timestamp),
        reason: r.get(31)?,
        note: r.get(32)?,
    })
}

/// A plausible measured test of `well` starting `start_s` seconds after the tests' epoch (tests of this
/// room and of the writer).
#[cfg(test)]
pub(crate) fn sample(well: &str, start_s: i64) -> Measured {
    let at = |s: i64| Timestamp(1_800_000_000_000_000 + s * 1_000_000);
    Measured {
        well: well.into(),
        separator: "sep01".into(),
        routed_at: at(start_s - 3600),
        stable_at: at(start_s - 600),
        start: at(start_s),
        end: at(start_s + 4 * 3600),
        oil_stb_d: 420.0,
        water_bbl_d: 180.0,
        gas_mscf_d: 210.0,
        gor_scf_stb: Some(500.0),
        wor: Some(180.0 / 420.0),
        water_cut: Some(0.3),
        bsw: None,
        separator_psi: 120.0,
        separator_temp_f: Some(110.0),
        whp_psi: Some(250.0),
        pwf_psi: Some(1450.0),
        esp_hz: Some(55.0),
        meter_factors: [1.0, 0.98, 1.02],
        shrinkage: 0.95,
        totalized: true,
        level_compensated: true,
        bad_input_s: 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::production::model::TestStatus::{Approved, Pending, Rejected};

    fn at(s: i64) -> Timestamp {
        Timestamp(1_800_000_000_000_000 + s * 1_000_000)
    }

    fn wrong_state(r: Result<WellTest, ProductionError>, status: TestStatus) -> bool {
        matches!(r, Err(ProductionError::WrongState { status: s, .. }) if s == status)
    }

    #[test]
    fn a_measured_test_is_kept_whole_and_a_resend_is_the_same_test() {
        let mut s = ProductionStore::open_in_memory().unwrap();
        let m = sample("esp01", 0);
        let id = s.insert_measured(&m).unwrap();
        let t = s.get(id).unwrap();
        assert_eq!((&t.m, t.status), (&m, Pending));
        assert_eq!(
            (t.tested_by.as_deref(), t.decided_by.as_deref(), t.reason.as_str()),
            (None, None, "")
        );

        // The service sends it again (it did not see the first one land): same id, nothing added.
        assert_eq!(s.insert_measured(&m).unwrap(), id);
        let resent = Measured {
            oil_stb_d: 999.0,
            ..m.clone()
        };
        assert_eq!(s.insert_measured(&resent).unwrap(), id, "keyed by (well, start)");
        assert_eq!(s.get(id).unwrap().m, m, "the first one stays");
        assert_eq!(s.count().unwrap(), 1);

        // Undefined ratios (no oil) are kept as NULL and read back as None.
        let dry = Measured {
            oil_stb_d: 0.0,
            gor_scf_stb: None,
            wor: None,
            water_cut: None,
            pwf_psi: None,
            ..sample("esp02", 0)
        };
        let dry_id = s.insert_measured(&dry).unwrap();
        assert_ne!(dry_id, id);
        assert_eq!(s.get(dry_id).unwrap().m, dry);
        assert_eq!(s.get(77), Err(ProductionError::NoSuchTest(77)));
    }

    #[test]
    fn a_measurement_that_does_not_check_is_refused() {
        let mut s = ProductionStore::open_in_memory().unwrap();
        let base = sample("esp01", 0);
        let cases: Vec<(&str, Measured)> = vec![
            (
                "well",
                Measured {
                    well: "  ".into(),
                    ..base.clone()
                },
            ),
            (
                "oil_stb_d",
                Measured {
                    oil_stb_d: -1.0,
                    ..base.clone()
                },
            ),
            (
                "gas_mscf_d",
                Measured {
                    gas_mscf_d: f64::NAN,
                    ..base.clone()
                },
            ),
            (
                "gor_scf_stb",
                Measured {
                    gor_scf_stb: Some(f64::INFINITY),
                    ..base.clone()
                },
            ),
            (
                "water_cut",
                Measured {
                    water_cut: Some(1.2),
                    ..base.clone()
                },
            ),
            (
                "meter_factors",
                Measured {
                    meter_factors: [1.0, 0.0, 1.0],
                    ..base.clone()
                },
            ),
            (
                "shrinkage",
                Measured {
                    shrinkage: 1.1,
                    ..base.clone()
                },
            ),
            (
                "end",
                Measured {
                    end: base.start,
                    ..base.clone()
                },
            ),
            (
                "routed_at",
                Measured {
                    routed_at: at(10),
                    ..base.clone()
                },
            ),
            (
                "pwf_psi",
                Measured {
                    pwf_psi: Some(f64::NAN),
                    ..base.clone()
                },
            ),
        ];
        for (field, m) in cases {
            let e = s.insert_measured(&m).unwrap_err();
            assert!(
                matches!(e, ProductionError::Invalid { field: f, .. } if f == field),
                "{field}: {e}"
            );
        }
        assert_eq!(s.count().unwrap(), 0);
    }

    #[test]
    fn a_pending_test_is_signed_once_then_approved_once() {
        let mut s = ProductionStore::open_in_memory().unwrap();
        let id = s.insert_measured(&sample("esp01", 0)).unwrap();
        let t = s.sign_tester(id, "otto", at(5)).unwrap();
        assert_eq!((t.tested_by.as_deref(), t.tested_at), (Some("otto"), Some(at(5))));
        assert!(wrong_state(s.sign_tester(id, "olga", at(6)), Pending), "signed once");

        s.set_note(id, "choke 32/64").unwrap();
        let t = s.approve(id, "eve", at(10), "").unwrap();
        assert_eq!(
            (t.status, t.decided_by.as_deref(), t.decided_at),
            (Approved, Some("eve"), Some(at(10)))
        );
        assert_eq!(t.note, "choke 32/64", "an empty approval note keeps the note");
        assert_eq!(t.tested_by.as_deref(), Some("otto"), "the certificate names both");
        assert!(wrong_state(s.approve(id, "eve", at(11), ""), Approved));
        assert!(wrong_state(s.sign_tester(id, "olga", at(12)), Approved));
        assert_eq!(s.approved_for("esp01").unwrap(), vec![t]);
        assert!(s.approved_for("esp02").unwrap().is_empty());

        // A note may still change: it changes no figure.
        assert_eq!(s.set_note(id, " new choke ").unwrap().note, "new choke");
        let next = s.insert_measured(&sample("esp01", 1)).unwrap();
        assert_eq!(s.approve(next, "eve", at(20), "ok").unwrap().note, "ok");
    }

    #[test]
    fn a_rejection_needs_a_reason_and_stays() {
        let mut s = ProductionStore::open_in_memory().unwrap();
        let id = s.insert_measured(&sample("esp01", 0)).unwrap();
        for blank in ["", "   "] {
            let e = s.reject(id, "eve", at(5), blank).unwrap_err();
            assert!(matches!(e, ProductionError::Invalid { field: "reason", .. }), "{e}");
        }
        assert!(matches!(
            s.reject(id, "eve", at(5), "bad\u{7}bell"),
            Err(ProductionError::Invalid { field: "reason", .. })
        ));
        assert_eq!(s.get(id).unwrap().status, Pending, "a refused change changes nothing");

        let t = s.reject(id, "eve", at(5), " slugging: not stable ").unwrap();
        assert_eq!(
            (t.status, t.reason.as_str(), t.decided_by.as_deref()),
            (Rejected, "slugging: not stable", Some("eve"))
        );
        assert!(
            wrong_state(s.approve(id, "sara", at(6), ""), Rejected),
            "a rejected test stays rejected"
        );
        assert!(wrong_state(s.reject(id, "sara", at(6), "again"), Rejected));
        assert!(wrong_state(s.sign_tester(id, "otto", at(6)), Rejected));
        assert_eq!(s.get(id).unwrap(), t);

        // An approved test found wrong later (the oil meter drifted) is rejected with a reason.
        let later = s.insert_measured(&sample("esp01", 100_000)).unwrap();
        s.approve(later, "eve", at(10), "").unwrap();
        let t = s.reject(later, "sara", at(20), "oil meter out of calibration").unwrap();
        assert_eq!(
            (t.status, t.decided_by.as_deref(), t.decided_at),
            (Rejected, Some("sara"), Some(at(20)))
        );
        assert!(s.approved_for("esp01").unwrap().is_empty(), "no longer counted");
        assert!(matches!(
            s.approve(99, "eve", at(1), ""),
            Err(ProductionError::NoSuchTest(99))
        ));
    }

    #[test]
    fn lists_are_newest_first_and_filtered() {
        let mut s = ProductionStore::open_in_memory().unwrap();
        let a = s.insert_measured(&sample("esp01", 0)).unwrap();
        let b = s.insert_measured(&sample("esp02", 20_000)).unwrap();
        let c = s.insert_measured(&sample("esp01", 40_000)).unwrap();
        s.approve(a, "eve", at(1), "").unwrap();
        s.approve(c, "eve", at(2), "").unwrap();
        let ids = |f: TestFilter| s.list(&f).unwrap().iter().map(|t| t.id).collect::<Vec<_>>();
        assert_eq!(ids(TestFilter::default()), [c, b, a]);
        let esp01 = TestFilter {
            well: Some("esp01".into()),
            ..TestFilter::default()
        };
        assert_eq!(ids(esp01.clone()), [c, a]);
        assert_eq!(ids(TestFilter { limit: 1, ..esp01 }), [c]);
        let pending = TestFilter {
            status: Some(Pending),
            ..TestFilter::default()
        };
        assert_eq!(ids(pending), [b]);
        let approved: Vec<i64> = s.approved_for("esp01").unwrap().iter().map(|t| t.id).collect();
        assert_eq!(approved, [a, c], "oldest first");
    }

    #[test]
    fn the_file_keeps_at_most_max_tests() {
        let mut s = ProductionStore::open_in_memory().unwrap();
        s.conn
            .execute_batch(&format!(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {MAX_TESTS})
                 INSERT INTO well_tests(well, separator, routed_at, stable_at, start_at, end_at, oil_stb_d,
                    water_bbl_d, gas_mscf_d, separator_psi, oil_meter_factor, water_meter_factor,
                    gas_meter_factor, shrinkage, totalized, level_compensated, bad_input_s, status)
                 SELECT 'old', 'sep01', i, i, i, i + 1, 1, 1, 1, 100, 1, 1, 1, 1, 0, 0, 0, 'pending' FROM n;"
            ))
            .unwrap();
        assert_eq!(s.count().unwrap(), 100_000);
        let e = s.insert_measured(&sample("esp01", 0)).unwrap_err();
        assert!(
            matches!(&e, ProductionError::Store(m) if m.contains("the most it keeps")),
            "{e}"
        );
        assert_eq!(s.count().unwrap(), 100_000);
        // A resend of a test already kept is still answered.
        let old = Measured {
            routed_at: Timestamp(1),
            stable_at: Timestamp(1),
            start: Timestamp(1),
            end: Timestamp(2),
            ..sample("old", 0)
        };
        assert_eq!(s.insert_measured(&old).unwrap(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn the_file_is_private_and_keeps_its_tests_across_opens() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("records").join("production.db");
        let mut s = ProductionStore::open(&path).unwrap();
        let id = s.insert_measured(&sample("esp01", 0)).unwrap();
        let t = s.approve(id, "eve", at(1), "good test").unwrap();
        drop(s);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{mode:o}");

        let s = ProductionStore::open(&path).unwrap();
        assert_eq!(s.get(id).unwrap(), t);
        drop(s);
        let mut ro = ProductionStore::open_read_only(&path).unwrap();
        assert_eq!(ro.list(&TestFilter::default()).unwrap(), vec![t]);
        assert!(
            matches!(ro.set_note(id, "x"), Err(ProductionError::Store(_))),
            "read only"
        );
        assert!(ProductionStore::open_read_only(&dir.path().join("none.db")).is_err());
    }

    #[test]
    fn a_file_of_another_schema_version_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("production.db");
        drop(ProductionStore::open(&path).unwrap());
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1).unwrap();
        drop(conn);
        for r in [ProductionStore::open(&path), ProductionStore::open_read_only(&path)] {
            let e = r.err().unwrap();
            assert!(e.to_string().contains("schema version 2"), "{e}");
        }
    }

    #[test]
    fn another_connections_commit_changes_the_data_version() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("production.db");
        let watcher = ProductionStore::open(&path).unwrap();
        let v = watcher.data_version().unwrap();
        let mut cli = ProductionStore::open(&path).unwrap();
        cli.insert_measured(&sample("esp01", 0)).unwrap();
        assert_ne!(watcher.data_version().unwrap(), v);
    }
}
