//! Forwarding to a real PostgreSQL server (Debian's, started here on 127.0.0.1): consoles run as the
//! site runs them (separate `wellconsole run --headless` processes on the demo plant), the database is
//! crashed and restarted mid-forward, the link is cut and restored, and a console is killed in the middle
//! of draining a backlog. At the end the central store equals the local records exactly: every sample of
//! every tag and day (count and hash), no duplicate, no gap, the alarm journal, the audit trail with its
//! chain intact.

use crate::support;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::pg::{Link, PASSWORD, PgServer};

/// A copy of the demo project that forwards through `port` (the link), at 1,000 samples a second at most:
/// less than the demo plant makes at 5×, so a backlog is always there to be cut, crashed and killed in
/// the middle of (`forward sync`, unpaced, sends the rest at the end).
fn project(dir: &Path, port: u16) {
    support::copy_demo(
        dir,
        &format!(
            "\n[forward]\nhost = \"127.0.0.1\"\nport = {port}\npassword = \"{PASSWORD}\"\nconsole = \"cab-ct01\"\nbatch = 2000\nmax_rate = 1000\ntimeout_s = 10\n"
        ),
    );
}

fn wellconsole(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_wellconsole"));
    c.args(args).arg("--project").arg(dir).env("RUST_LOG", "warn");
    c
}

/// A headless console on the demo plant at 5× for `secs` seconds, a sensor failing (alarms to journal).
fn console(dir: &Path, secs: u32) -> Child {
    wellconsole(
        dir,
        &[
            "run",
            "--headless",
            "--for",
            &secs.to_string(),
            "--speed",
            "5",
            "--fault",
            "sensor-fail:ct01/weight@3",
        ],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .unwrap()
}

fn finished(mut c: Child) {
    assert!(c.wait().unwrap().success(), "the console exited with an error");
}

/// `forward status`'s count of samples waiting.
fn waiting(dir: &Path) -> u64 {
    let out = wellconsole(dir, &["forward", "status"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "forward status: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = text.lines().find(|l| l.starts_with("waiting: ")).unwrap();
    line["waiting: ".len()..].split(' ').next().unwrap().parse().unwrap()
}

fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn history_journal_and_audit_reach_the_central_store_through_crashes_cuts_and_restarts() {
    let Some(bin) = support::pg::bin_or_skip() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let mut pg = PgServer::start(&bin, &tmp.path().join("pg"));
    let link = Link::new(pg.port);
    let dir = tmp.path().join("site");
    project(&dir, link.port);

    // Audit records: people added to the site.
    for (name, role) in [("ana", "operator"), ("luis", "engineer")] {
        let mut add = wellconsole(&dir, &["users", "add", name, "--role", role])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        std::io::Write::write_all(add.stdin.as_mut().unwrap(), b"Correct-horse-42\n").unwrap();
        assert!(add.wait().unwrap().success());
    }

    // A job record (sent whole, and again when it changes).
    let job = |args: &[&str]| {
        let out = wellconsole(
            &dir,
            &[&["job"], args, &["--user", "luis", "--password-env", "WC_TEST_PW"]].concat(),
        )
        .env("WC_TEST_PW", "Correct-horse-42")
        .output()
        .unwrap();
        assert!(
            out.status.success(),
            "job {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    job(&[
        "new",
        "CT-2026-0300",
        "--type",
        "CLN",
        "--well",
        "CT-01",
        "--unit",
        "ct01",
        "--reel",
        "CT-4471",
    ]);

    // 1. The database crashes while history is being forwarded, and comes back.
    let c = console(&dir, 20);
    wait_until("samples in the central store", || {
        pg.psql("SELECT to_regclass('wc_sample') IS NOT NULL") == "t" && pg.count("SELECT count(*) FROM wc_sample") > 0
    });
    pg.crash();
    std::thread::sleep(Duration::from_secs(3));
    pg.restart();
    finished(c);

    // 2. The link to the database is cut for a while, then restored.
    let c = console(&dir, 12);
    std::thread::sleep(Duration::from_secs(3));
    link.cut();
    std::thread::sleep(Duration::from_secs(5));
    link.restore();
    finished(c);

    wait_until("the job in the central store", || {
        pg.psql("SELECT to_regclass('wc_job') IS NOT NULL") == "t"
            && pg.psql("SELECT doc->'job'->>'number' FROM wc_job") == "CT-2026-0300"
    });
    job(&["cancel", "CT-2026-0300"]);

    // 3. A console runs with the database away: its history queues up locally.
    pg.crash();
    finished(console(&dir, 8));
    let queued = waiting(&dir);
    assert!(queued > 10_000, "a backlog built up: {queued} samples waiting");
    pg.restart();

    // 4. The next console is killed while it drains that backlog.
    let before = pg.count("SELECT count(*) FROM wc_sample");
    let mut c = console(&dir, 30);
    wait_until("the backlog draining", || {
        pg.count("SELECT count(*) FROM wc_sample") > before
    });
    c.kill().unwrap();
    let _ = c.wait();
    assert!(waiting(&dir) > 0, "the console was killed with a backlog left");

    // 5. The last console drains what is left; the command line sends the very last commit.
    finished(console(&dir, 8));
    let out = wellconsole(&dir, &["forward", "sync"]).output().unwrap();
    assert!(
        out.status.success(),
        "forward sync: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(waiting(&dir), 0);

    // Central equals local: every tag-day's count and hash, the journal, the audit trail and its chain.
    let out = wellconsole(&dir, &["forward", "verify"]).output().unwrap();
    let report = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "forward verify:\n{report}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(report.contains(" 0 differ;"), "{report}");
    assert!(report.contains("central store matches local records"), "{report}");
    let history = wellconsole(&dir, &["history", "stats"]).output().unwrap();
    let history = String::from_utf8_lossy(&history.stdout);
    let total: i64 = history
        .lines()
        .find_map(|l| l.strip_prefix("total: "))
        .and_then(|l| l.split(' ').next())
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        pg.count("SELECT count(*) FROM wc_sample"),
        total,
        "no duplicates, no gaps"
    );
    assert!(
        report.contains("jobs local 1 central 1 (0 missing or differing)"),
        "{report}"
    );
    assert_eq!(pg.psql("SELECT status FROM wc_job"), "CANCELLED", "the change was sent");
    assert!(
        pg.count("SELECT count(*) FROM wc_alarm_event WHERE kind = 'activated'") > 0,
        "the sensor failure's alarm"
    );
    assert!(pg.count("SELECT count(*) FROM wc_audit WHERE action = 'user added'") == 2);
    assert_eq!(
        pg.count("SELECT count(*) FROM wc_audit_breaks"),
        0,
        "the audit chain links in the database"
    );
    let local = rusqlite::Connection::open(dir.join("history/history.db")).unwrap();
    let closed: i64 = local
        .query_row("SELECT count(*) FROM rollups WHERE res = 60 AND closed = 1", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(
        pg.count("SELECT count(*) FROM wc_rollup WHERE res = 60 AND closed"),
        closed,
        "every closed 1 min rollup"
    );
    // The trends' archive reads the same history back, raw for a short span, from 1 min rollups for a
    // long one.
    let mut cfg = wellconsole::forward::ForwardConfig::new(
        "127.0.0.1",
        pg.port,
        support::pg::DATABASE,
        support::pg::USER,
        "cab-ct01",
    );
    cfg.password = Some(PASSWORD.into());
    let mut archive = wellconsole::forward::archive::CentralArchive::new(cfg);
    let (first, last): (i64, i64) = {
        let r = pg.psql("SELECT (extract(epoch FROM min(t)) * 1e6)::int8 || ' ' || (extract(epoch FROM max(t)) * 1e6)::int8 FROM wc_sample");
        let mut it = r.split(' ').map(|x| x.parse::<i64>().unwrap());
        (it.next().unwrap(), it.next().unwrap())
    };
    use wellconsole::historian::reader::Archive;
    let raw = archive.trend("ct01/depth", first, last + 1, 200).unwrap();
    assert!(
        raw.iter().map(Vec::len).sum::<usize>() > 100,
        "raw points from the central store"
    );
    let long = archive
        .trend("ct01/depth", first - 86_400_000_000, last + 1, 200)
        .unwrap();
    assert!(!long.is_empty(), "a day's span from the rollups");

    // A new disk under the same console: refused until the name is handed over, then it forwards.
    let other = dir.join("history/replaced.db");
    let other = other.to_str().unwrap();
    let out = wellconsole(&dir, &["run", "--headless", "--for", "2", "--history-db", other])
        .output()
        .unwrap();
    assert!(out.status.success());
    let out = wellconsole(&dir, &["forward", "sync", "--history-db", other])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && said.contains("already sends from another history database"),
        "{said}"
    );
    let out = wellconsole(&dir, &["forward", "adopt", "--history-db", other])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = wellconsole(&dir, &["forward", "sync", "--history-db", other])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let audit = wellconsole(&dir, &["audit", "list", "--limit", "5"]).output().unwrap();
    assert!(
        String::from_utf8_lossy(&audit.stdout).contains("central store name adopted"),
        "the hand-over is in the audit trail"
    );

    // The ERP's view: names, values and readable quality.
    assert!(
        pg.count(
            "SELECT count(*) FROM wc_history WHERE console = 'cab-ct01' AND tag = 'ct01/weight' AND quality = 'bad'"
        ) > 0
    );
}

/// The operator's view of a link that is down: the status bar says the central store is not forwarding,
/// with the samples queued and the oldest's age; the Drivers page has the database, its state, the queue
/// and the reason; once the link is back the bar says so.
#[test]
fn the_status_bar_and_drivers_page_show_what_waits_for_the_central_store() {
    use egui_kittest::kittest::Queryable;
    use std::sync::Arc;
    use std::sync::atomic::Ordering;
    let stats = Arc::new(wellconsole::forward::ForwardStats::new(
        "db.field:5432/wellconsole".into(),
    ));
    stats.backlog_samples.store(8_507, Ordering::Relaxed);
    // Oldest queued sample 3 h 20 min before the console's clock.
    stats
        .oldest_unsent_us
        .store(support::NOW.0 - (3 * 3600 + 20 * 60) * 1_000_000, Ordering::Relaxed);
    stats.failures.store(4, Ordering::Relaxed);
    stats.set_error(Some(
        "central database: error connecting to server: Connection refused".into(),
    ));
    let (tx, _rx) = wellconsole::hub::command_lanes(16, 16);
    let screens = wellconsole::project::Project::demo().unwrap().screens;
    let inputs = wellconsole::ui::ConsoleInputs {
        forward: Some(stats.clone()),
        ..support::bare_inputs(tx, screens, support::test_settings())
    };
    let mut h = crate::console_ui::harness(wellconsole::ui::ConsoleApp::new(inputs, Default::default()));
    h.run();
    h.get_by_label("CENTRAL NOT FORWARDING");
    h.get_by_label("8507 · 3 h 20 min");
    support::open_page(&mut h, "Drivers");
    h.get_by_label("Central store (forwarding)");
    h.get_by_label("db.field:5432/wellconsole");
    h.get_by_label("OFFLINE");
    h.get_by_label("central database: error connecting to server: Connection refused");
    // The link is back and the queue drained.
    stats.connected.store(true, Ordering::Relaxed);
    stats.set_error(None);
    stats.backlog_samples.store(0, Ordering::Relaxed);
    stats.oldest_unsent_us.store(0, Ordering::Relaxed);
    h.run();
    h.get_by_label("central ok");
    assert!(h.query_by_label("CENTRAL NOT FORWARDING").is_none());
    h.get_by_label("connected");
}

/// A nearly full disk under the history, with history past retention held for the central store: the
/// status bar says both.
#[test]
fn a_nearly_full_history_disk_is_shown_with_what_is_held_for_the_central_store() {
    use egui_kittest::kittest::Queryable;
    use std::sync::Arc;
    use std::sync::atomic::Ordering;
    let stats = Arc::new(wellconsole::historian::HistorianStats::default());
    stats.disk_low.store(true, Ordering::Relaxed);
    stats.held_for_forward.store(120_000, Ordering::Relaxed);
    let (app, _rx) = support::console_full(
        None,
        Some(stats),
        None,
        support::demo_snapshot(),
        support::test_settings(),
    );
    let mut h = crate::console_ui::harness(app);
    h.run();
    h.get_by_label("HISTORY DISK LOW");
    h.get_by_label("120000 past retention, not yet forwarded");
}
