//! The office's side of the well tests, as `wellconsole production …` on the demo site: the tests the runner
//! recorded listed for people and as JSON, signed, approved and rejected by the roles for each (refusals
//! said, exit 1, and audited), one test shown with its well's inflow curve, its certificate written once as
//! a PDF (never over a file, never into the records), and the tests exported as JSON and CSV.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use wellconsole::production::model::Measured;
use wellconsole::production::store::ProductionStore;
use wellconsole::tag::Timestamp;

/// `wellconsole` with a records folder of its own (the demo keeps its records under XDG_DATA_HOME).
fn wellconsole(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wellconsole"))
        .args(args)
        .env("RUST_LOG", "error")
        .env("XDG_DATA_HOME", home)
        .output()
        .expect("binary runs")
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn refused(o: &Output) -> String {
    assert_eq!(
        o.status.code(),
        Some(1),
        "refused with exit 1\nstdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The demo's records folder under `home`.
fn records(home: &Path) -> PathBuf {
    home.join("wellconsole").join("demo")
}

/// A test as the runner would have measured it on `well`, starting `start_s` seconds after the tests'
/// epoch (as the store's own tests build one).
fn measured(well: &str, start_s: i64, oil_stb_d: f64) -> Measured {
    let at = |s: i64| Timestamp(1_800_000_000_000_000 + s * 1_000_000);
    let water_bbl_d = 180.0;
    Measured {
        well: well.into(),
        separator: "sep01".into(),
        routed_at: at(start_s - 3600),
        stable_at: at(start_s - 600),
        start: at(start_s),
        end: at(start_s + 4 * 3600),
        oil_stb_d,
        water_bbl_d,
        gas_mscf_d: 210.0,
        // No oil: GOR and WOR are undefined, not infinite.
        gor_scf_stb: (oil_stb_d > 0.0).then_some(210_000.0 / oil_stb_d),
        wor: (oil_stb_d > 0.0).then_some(water_bbl_d / oil_stb_d),
        water_cut: Some(water_bbl_d / (oil_stb_d + water_bbl_d)),
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

/// The test ids of a `production tests` table, top to bottom.
fn listed_ids(table: &str) -> Vec<i64> {
    table
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next()?.parse().ok())
        .collect()
}

#[test]
fn well_tests_are_listed_decided_certified_and_exported_from_the_command_line() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    let listed = ok(&wellconsole(home, &["production", "tests"]));
    assert!(listed.contains("(no well tests)"), "{listed}");

    // The runner's tests, as the console's writer records them.
    let db = records(home).join("production.db");
    let mut store = ProductionStore::open(&db).unwrap();
    let first = store.insert_measured(&measured("esp01", 0, 420.0)).unwrap();
    let dry = store.insert_measured(&measured("esp02", 3_600, 0.0)).unwrap();
    let last = store.insert_measured(&measured("esp01", 86_400, 400.0)).unwrap();
    store.set_note(last, "choke 32/64, \"steady\"").unwrap();
    drop(store);
    let (first_s, dry_s) = (first.to_string(), dry.to_string());

    // Listed newest first, the undefined ratios said as such.
    let table = ok(&wellconsole(home, &["production", "tests"]));
    assert!(table.starts_with("id  well"), "{table}");
    assert!(table.contains("GOR scf/STB") && table.contains("p_wf psi"), "{table}");
    assert_eq!(listed_ids(&table), [last, dry, first], "{table}");
    let dry_row = table.lines().find(|l| l.contains("esp02")).expect("the dry test's row");
    assert!(dry_row.contains("undefined"), "{dry_row}");
    assert!(!table.contains("inf"), "never infinity: {table}");
    let one = ok(&wellconsole(home, &["production", "tests", "--limit", "1"]));
    assert_eq!(listed_ids(&one), [last], "{one}");
    assert!(one.contains("--limit N shows more"), "{one}");

    let json = ok(&wellconsole(home, &["production", "tests", "--json"]));
    let v: serde_json::Value = serde_json::from_str(&json).expect("production tests --json is JSON");
    let tests = v.as_array().expect("an array of tests");
    assert_eq!(tests.len(), 3, "{v}");
    assert_eq!(tests[1]["id"], dry, "{v}");
    assert!(
        tests[1]["m"]["gor_scf_stb"].is_null(),
        "an undefined ratio is null: {v}"
    );
    assert_eq!(tests[0]["status"], "pending", "{v}");
    let esp01 = ok(&wellconsole(
        home,
        &["production", "tests", "--well", "esp01", "--json"],
    ));
    let v: serde_json::Value = serde_json::from_str(&esp01).unwrap();
    assert_eq!(v.as_array().map(Vec::len), Some(2), "{v}");

    // An operator signs as the tester but may not approve; an engineer approves.
    let why = refused(&wellconsole(
        home,
        &[
            "production",
            "approve",
            &first_s,
            "--role",
            "operator",
            "--user",
            "otto",
        ],
    ));
    assert!(why.contains("may not approve"), "{why}");
    ok(&wellconsole(
        home,
        &["production", "sign", &first_s, "--role", "operator", "--user", "otto"],
    ));
    let said = ok(&wellconsole(
        home,
        &[
            "production",
            "approve",
            &first_s,
            "--note",
            "good test",
            "--role",
            "engineer",
            "--user",
            "eve",
        ],
    ));
    assert!(said.contains("approved"), "{said}");
    let why = refused(&wellconsole(
        home,
        &["production", "approve", &first_s, "--role", "engineer", "--user", "eve"],
    ));
    assert!(why.contains("approved already"), "{why}");

    // A rejection needs its reason: without one it is a usage error, and nothing changes.
    let o = wellconsole(home, &["production", "reject", &dry_s, "--role", "engineer"]);
    assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--reason"));
    ok(&wellconsole(
        home,
        &[
            "production",
            "reject",
            &dry_s,
            "--reason",
            "no oil: the separator's dump valve stuck",
            "--role",
            "supervisor",
            "--user",
            "sara",
        ],
    ));
    let approved = ok(&wellconsole(home, &["production", "tests", "--status", "approved"]));
    assert_eq!(listed_ids(&approved), [first], "{approved}");

    let log = ok(&wellconsole(home, &["audit", "list"]));
    let target = format!("test {first} esp01");
    for line in [
        format!("otto (operator) well_test.approve {target} REFUSED refused: otto (operator) may not"),
        format!("otto (operator) well_test.sign {target} signed as the tester"),
        format!("eve (engineer) well_test.approve {target} pending → approved"),
        format!("sara (supervisor) well_test.reject test {dry} esp02 pending → rejected: no oil"),
    ] {
        assert!(log.contains(&line), "{line}:\n{log}");
    }

    // One test, every field, and the well's inflow curve as of that test.
    let shown = ok(&wellconsole(home, &["production", "show", &first_s]));
    for want in [
        "ESP-01 (esp01), approved",
        "approved by eve",
        "otto at",
        "good test",
        "Inflow as of this test",
        "Vogel IPR, one-point fit",
    ] {
        assert!(shown.contains(want), "{want}:\n{shown}");
    }
    let json = ok(&wellconsole(home, &["production", "show", &dry_s, "--json"]));
    let v: serde_json::Value = serde_json::from_str(&json).expect("production show --json is JSON");
    assert_eq!(v["test"]["status"], "rejected", "{v}");
    assert!(v["test"]["m"]["wor"].is_null(), "{v}");
    assert!(
        v["inflow"]["fit"].is_null() && v["inflow"]["problem"].is_string(),
        "{v}"
    );
    let json = ok(&wellconsole(home, &["production", "show", &first_s, "--json"]));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(v["inflow"]["aof_stb_d"].as_f64().is_some_and(|q| q > 600.0), "{v}");
    let why = refused(&wellconsole(home, &["production", "show", "99"]));
    assert!(why.contains("well test 99 does not exist"), "{why}");

    certificates(home, &first_s, first);
    exports(home, first, last);
}

/// The certificate: written once to a new PDF by someone who is not a viewer, never into the records;
/// every try audited.
fn certificates(home: &Path, id: &str, first: i64) {
    let pdf = home.join("certificate.pdf");
    let pdf_s = pdf.to_str().unwrap();
    let run = |path: &str| {
        let eve = ["--role", "engineer", "--user", "eve"];
        let words = ["production", "export", id, "--pdf", path, "--lang", "es"];
        wellconsole(home, &[&words[..], &eve[..]].concat())
    };
    let said = ok(&run(pdf_s));
    assert!(said.contains("written to"), "{said}");
    let bytes = std::fs::read(&pdf).expect("the certificate is written");
    assert!(bytes.starts_with(b"%PDF-"), "a PDF");
    let why = refused(&run(pdf_s));
    assert!(why.contains("never replaces a file"), "{why}");
    assert_eq!(std::fs::read(&pdf).unwrap(), bytes, "the first certificate stays");
    let inside = records(home).join("certificate.pdf");
    let why = refused(&run(inside.to_str().unwrap()));
    assert!(why.contains("records' folder"), "{why}");
    assert!(!inside.exists());
    let viewer = home.join("viewer.pdf");
    let why = refused(&wellconsole(
        home,
        &[
            "production",
            "export",
            id,
            "--pdf",
            viewer.to_str().unwrap(),
            "--role",
            "viewer",
        ],
    ));
    assert!(why.contains("may not"), "{why}");
    assert!(!viewer.exists());

    let log = ok(&wellconsole(home, &["audit", "list"]));
    let target = format!("test {first} esp01");
    for line in [
        format!("eve (engineer) well_test.export {target} to {pdf_s}"),
        format!("eve (engineer) well_test.export {target} REFUSED to {pdf_s}: refused:"),
        format!("(viewer) well_test.export {target} REFUSED"),
    ] {
        assert!(log.contains(&line), "{line}:\n{log}");
    }
}

/// The tests as CSV (a header with units, one row per test, RFC 4180 quoting) and JSON, to standard
/// output or a file; never into the records.
fn exports(home: &Path, first: i64, last: i64) {
    let csv = ok(&wellconsole(home, &["production", "export", "--csv"]));
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 4, "a header and one row per test:\n{csv}");
    assert!(lines[0].starts_with("id,well,separator,status,"), "{}", lines[0]);
    assert!(
        lines[0].contains("oil_stb_d") && lines[0].contains("pwf_psi"),
        "{}",
        lines[0]
    );
    assert!(csv.contains("\r\n"), "RFC 4180 line ends");
    assert!(
        lines[1].starts_with(&format!("{last},esp01,sep01,pending,")),
        "{}",
        lines[1]
    );
    assert!(
        lines[1].contains(",\"choke 32/64, \"\"steady\"\"\","),
        "a note quoted: {}",
        lines[1]
    );

    let file = home.join("tests.csv");
    ok(&wellconsole(
        home,
        &[
            "production",
            "export",
            "--csv",
            file.to_str().unwrap(),
            "--well",
            "esp01",
        ],
    ));
    let written = std::fs::read_to_string(&file).unwrap();
    assert_eq!(written.lines().count(), 3, "{written}");

    let json = ok(&wellconsole(home, &["production", "export", "--json"]));
    let v: serde_json::Value = serde_json::from_str(&json).expect("production export --json is JSON");
    assert_eq!(v.as_array().map(Vec::len), Some(3), "{v}");
    let one = ok(&wellconsole(
        home,
        &["production", "export", &first.to_string(), "--json"],
    ));
    let v: serde_json::Value = serde_json::from_str(&one).unwrap();
    assert_eq!(v[0]["id"], first, "{v}");

    let inside = records(home).join("tests.json");
    let why = refused(&wellconsole(
        home,
        &["production", "export", "--json", inside.to_str().unwrap()],
    ));
    assert!(why.contains("records' folder"), "{why}");
    assert!(!inside.exists());
    let why = refused(&wellconsole(
        home,
        &["production", "export", "--csv", "--role", "engineer"],
    ));
    assert!(why.contains("are for --pdf"), "{why}");
}
