//! The office's side of the job record, as `wellconsole job …` on the demo site: a job planned, approved,
//! started and completed by the roles for each step, bad input refused with a clear message and nothing
//! changed, the ticket issued and written as a PDF that reads as the job, and the whole job as JSON.

use std::path::Path;
use std::process::{Command, Output};

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

/// Whether poppler's tools must be here (scripts/test says so) rather than the PDF checks skip.
fn poppler() -> bool {
    let here = Command::new("pdftotext").arg("-v").output().is_ok();
    let required = std::env::var("WELLCONSOLE_REQUIRE_POPPLER").is_ok_and(|v| v == "1");
    if !here {
        assert!(
            !required,
            "pdftotext is required here (WELLCONSOLE_REQUIRE_POPPLER=1): apt-get install poppler-utils"
        );
        eprintln!("pdftotext not installed: the ticket's text is not checked");
    }
    here
}

const NEW: &[&str] = &[
    "job",
    "new",
    "CT-2026-0200",
    "--type",
    "CLN",
    "--well",
    "CT-01",
    "--unit",
    "ct01",
    "--reel",
    "CT-4471",
    "--client",
    "Operadora del Sur",
    "--client-rep",
    "Luis Vega",
    "--supervisor",
    "Ana Ríos",
    "--operator",
    "Oscar Paz",
    "--objective",
    "Wash sand fill to 9,400 ft",
    "--well-depth",
    "9800",
    "--target-depth",
    "9400",
    "--role",
    "engineer",
    "--user",
    "eve",
];

#[test]
fn a_job_goes_from_plan_to_signed_off_paper_from_the_command_line() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    ok(&wellconsole(home, NEW));
    let again = refused(&wellconsole(home, NEW));
    assert!(again.contains("already used"), "{again}");

    // Unknown things are named in the refusal, and nothing is saved.
    let mut bad_well: Vec<&str> = NEW.to_vec();
    bad_well[2] = "CT-2026-0201";
    bad_well[6] = "XX-99";
    ok(&wellconsole(home, &bad_well));
    let why = refused(&wellconsole(
        home,
        &["job", "plan", "CT-2026-0201", "--role", "engineer"],
    ));
    assert!(why.contains("unknown well 'XX-99'"), "{why}");
    let list = ok(&wellconsole(home, &["job", "list", "--json"]));
    let jobs: serde_json::Value = serde_json::from_str(&list).expect("job list --json is JSON");
    let draft = jobs
        .as_array()
        .expect("a list")
        .iter()
        .find(|j| j["number"] == "CT-2026-0201")
        .expect("the job with the unknown well");
    assert_eq!(draft["status"], "DRAFT", "a refused plan leaves the draft: {draft}");

    let n = "CT-2026-0200";
    ok(&wellconsole(home, &["job", "plan", n, "--role", "engineer"]));
    let why = refused(&wellconsole(home, &["job", "approve", n, "--role", "operator"]));
    assert!(why.contains("may not approve"), "an operator may not approve: {why}");
    let why = refused(&wellconsole(home, &["job", "start", n, "--role", "operator"]));
    assert!(
        why.contains("PLANNED"),
        "a planned job is approved before it starts: {why}"
    );
    ok(&wellconsole(home, &["job", "approve", n, "--role", "supervisor"]));
    ok(&wellconsole(home, &["job", "start", n, "--role", "operator"]));

    // One job in progress on a unit.
    let mut second: Vec<&str> = NEW.to_vec();
    second[2] = "CT-2026-0202";
    ok(&wellconsole(home, &second));
    ok(&wellconsole(
        home,
        &["job", "plan", "CT-2026-0202", "--role", "engineer"],
    ));
    ok(&wellconsole(
        home,
        &["job", "approve", "CT-2026-0202", "--role", "engineer"],
    ));
    let why = refused(&wellconsole(
        home,
        &["job", "start", "CT-2026-0202", "--role", "operator"],
    ));
    assert!(why.contains("already has job CT-2026-0200 in progress"), "{why}");
    let why = refused(&wellconsole(home, &["job", "delete", n, "--role", "engineer"]));
    assert!(why.contains("IN_PROGRESS"), "only a draft may be deleted: {why}");

    ok(&wellconsole(home, &["job", "complete", n, "--role", "operator"]));
    let shown = ok(&wellconsole(home, &["job", "show", n]));
    assert!(shown.contains("COMPLETED"), "{shown}");

    // The ticket: issued (its content and hash frozen), then written as a PDF that reads as the job.
    ok(&wellconsole(home, &["job", "issue", n, "--role", "operator"]));
    let pdf = home.join("ticket.pdf");
    ok(&wellconsole(
        home,
        &["job", "ticket", n, "--pdf", pdf.to_str().unwrap(), "--lang", "es"],
    ));
    let bytes = std::fs::read(&pdf).expect("the PDF is written");
    assert!(bytes.starts_with(b"%PDF-"), "a PDF");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&pdf).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the ticket is a record: owner only");
    }
    if poppler() {
        let text = Command::new("pdftotext")
            .args(["-layout"])
            .arg(&pdf)
            .arg("-")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&text.stdout);
        for want in [
            n,
            "CT-01",
            "Operadora del Sur",
            "Luis Vega",
            "CT-4471",
            "Firmas",
            "PENDIENTE",
        ] {
            assert!(
                text.to_uppercase().contains(&want.to_uppercase()),
                "the ticket says {want}:\n{text}"
            );
        }
    }

    // A ticket changed outside the console is reported, and no PDF is made of it.
    let db = home.join("wellconsole/demo/jobs.db");
    let conn = rusqlite::Connection::open(&db).expect("the job records");
    conn.execute(
        "UPDATE tickets SET content_json = replace(content_json, 'Operadora del Sur', 'Otra Operadora')",
        [],
    )
    .unwrap();
    let shown = ok(&wellconsole(home, &["job", "show", n]));
    assert!(shown.contains("TAMPERED"), "{shown}");
    let again = home.join("again.pdf");
    let why = refused(&wellconsole(
        home,
        &["job", "ticket", n, "--pdf", again.to_str().unwrap()],
    ));
    assert!(why.contains("no longer matches"), "{why}");
    assert!(!again.exists(), "no PDF of a changed ticket");
    conn.execute("DELETE FROM tickets", []).unwrap();
    let shown = ok(&wellconsole(home, &["job", "show", n]));
    assert!(
        shown.contains("TAMPERED") && shown.contains("missing"),
        "a deleted ticket is not 'not issued': {shown}"
    );
    let why = refused(&wellconsole(
        home,
        &["job", "ticket", n, "--pdf", again.to_str().unwrap()],
    ));
    assert!(why.contains("missing"), "{why}");
    drop(conn);

    let json = ok(&wellconsole(home, &["job", "export", n, "--json"]));
    let v: serde_json::Value = serde_json::from_str(&json).expect("job export --json is JSON");
    assert_eq!(v["job"]["number"], n, "{v}");
    assert_eq!(v["job"]["status"], "COMPLETED", "{v}");
    assert!(v["job"]["stats"].is_object(), "the frozen statistics are exported: {v}");
    assert!(v["operations"].is_array() && v["signatures"].is_array(), "{v}");
}
