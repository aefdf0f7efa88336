//! The read-only HTTP API as the ERP and office tools reach it: `wellconsole serve-api` on a copy of the demo
//! site (its plant running, a sensor failing for alarms), asked by curl over HTTP and HTTPS, with tokens
//! made and revoked by `wellconsole api token` while it runs. History is a known 20 minutes of the demo
//! plant, so pages and rollups are checked to the sample.

use crate::support;
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

/// `support::NOW`, where the stored history begins (20 minutes of it, 10 scans a second).
const FROM: &str = "2026-11-18T11:06:40Z";
const TO: &str = "2026-11-18T11:26:40Z";

fn wellconsole(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_wellconsole"));
    c.args(args).arg("--project").arg(dir).env("RUST_LOG", "warn");
    c
}

fn ok(mut c: Command) -> String {
    let o = c.output().unwrap();
    assert!(
        o.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn token(dir: &Path, name: &str, role: &str) -> String {
    let out = ok(wellconsole(dir, &["api", "token", "add", name, "--role", role]));
    let t = out.trim().to_owned();
    assert!(t.starts_with("wct_"), "{out}");
    t
}

struct Served {
    child: Child,
    url: String,
    stdout: BufReader<ChildStdout>,
    log: PathBuf,
}

impl Served {
    fn start(dir: &Path) -> Self {
        let log = dir.join("serve-api.log");
        let mut child = wellconsole(
            dir,
            &["serve-api", "--speed", "5", "--fault", "sensor-fail:ct01/weight@2"],
        )
        .env("RUST_LOG", "warn,wellconsole=info")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let url = line
            .strip_prefix("serving ")
            .and_then(|l| l.split_whitespace().next())
            .unwrap_or_else(|| {
                panic!(
                    "serve-api said {line:?}; its log:\n{}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                )
            })
            .to_owned();
        Self {
            child,
            url,
            stdout,
            log,
        }
    }

    /// SIGTERM, as a service manager stops it; what it printed after the first line.
    fn stop(mut self) -> String {
        let st = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(st.success());
        let mut rest = String::new();
        self.stdout.read_to_string(&mut rest).unwrap();
        assert!(
            self.child.wait().unwrap().success(),
            "serve-api exited with an error: {rest}"
        );
        rest
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// curl's answer: status, body, headers.
fn curl(url: &str, token: Option<&str>, extra: &[&str]) -> (u16, Vec<u8>, String) {
    let dir = tempfile::tempdir().unwrap();
    let body = dir.path().join("body");
    let headers = dir.path().join("headers");
    let mut c = Command::new("curl");
    c.args(["-s", "--max-time", "30", "-o"])
        .arg(&body)
        .arg("-D")
        .arg(&headers)
        .args(["-w", "%{http_code}"])
        .args(extra);
    if let Some(t) = token {
        c.args(["-H", &format!("Authorization: Bearer {t}")]);
    }
    let out = c.arg(url).output().unwrap();
    let code: u16 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap_or(0);
    (
        code,
        std::fs::read(&body).unwrap_or_default(),
        std::fs::read_to_string(&headers).unwrap_or_default(),
    )
}

fn get(s: &Served, path: &str, token: Option<&str>) -> (u16, Value) {
    let (code, body, _) = curl(&format!("{}{path}", s.url), token, &[]);
    let v = serde_json::from_slice(&body)
        .unwrap_or_else(|e| panic!("{path}: {code} {e}: {}", String::from_utf8_lossy(&body)));
    (code, v)
}

fn wait_for(what: &str, secs: u64, mut f: impl FnMut() -> bool) {
    let until = Instant::now() + Duration::from_secs(secs);
    while !f() {
        assert!(Instant::now() < until, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

const JOB: &[&str] = &[
    "job",
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
    "--client",
    "Operadora del Sur",
    "--client-rep",
    "Luis Vega",
    "--supervisor",
    "Ana Ríos",
    "--operator",
    "Oscar Paz",
    "--objective",
    "Wash sand fill",
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
fn the_office_reads_tags_history_alarms_jobs_and_the_audit_trail_over_http() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path();
    support::copy_demo(dir, "\n[api]\nlisten = \"127.0.0.1:0\"\nmax_page = 5000\n");
    std::fs::create_dir_all(dir.join("history")).unwrap();
    support::demo_history(&dir.join("history/history.db"), 12_000, false);
    ok(wellconsole(dir, JOB));
    let erp = token(dir, "erp", "viewer");
    let boss = token(dir, "boss", "supervisor");
    let s = Served::start(dir);
    assert!(s.url.starts_with("http://127.0.0.1:"), "{}", s.url);

    // Who may ask.
    assert_eq!(get(&s, "/api/v1/health", None).0, 200);
    let (code, _, headers) = curl(&format!("{}/api/v1/tags", s.url), None, &[]);
    assert_eq!(code, 401);
    assert!(headers.to_lowercase().contains("www-authenticate: bearer"), "{headers}");
    assert_eq!(get(&s, "/api/v1/tags", Some("wct_forged")).0, 401);
    let (code, doc) = get(&s, "/openapi.json", None);
    assert_eq!(code, 200);
    assert!(doc["paths"]["/api/v1/history/{tag}"].is_object());

    // Current values, live from the plant.
    wait_for("ct01/depth to read GOOD", 60, || {
        let (code, v) = get(&s, "/api/v1/tags/ct01/depth", Some(&erp));
        code == 200 && v["quality"] == "GOOD" && v["value"].is_number()
    });
    let (code, all) = get(&s, "/api/v1/tags", Some(&erp));
    assert_eq!(code, 200);
    assert!(all["count"].as_u64().unwrap() > 50, "{}", all["count"]);
    let (code, bad) = get(&s, "/api/v1/tags?prefx=ct01", Some(&erp));
    assert_eq!((code, bad["parameter"].as_str()), (400, Some("prefx")));

    // History a page at a time: every stored sample once, in order.
    let mut times: Vec<String> = Vec::new();
    let mut from = FROM.to_owned();
    let mut pages = Vec::new();
    loop {
        let (code, page) = get(
            &s,
            &format!("/api/v1/history/ct01/weight?from={from}&to={TO}&limit=5000"),
            Some(&erp),
        );
        assert_eq!(code, 200, "{page}");
        assert_eq!(page["unit"], "lbf");
        let samples = page["samples"].as_array().unwrap();
        pages.push(samples.len());
        times.extend(samples.iter().map(|x| x["t"].as_str().unwrap().to_owned()));
        assert!(samples.iter().all(|x| x["quality"] == "GOOD" && x["value"].is_number()));
        match page["next"].as_str() {
            Some(n) => from = n.to_owned(),
            None => break,
        }
    }
    assert_eq!(pages, [5000, 5000, 2000]);
    assert_eq!(times.first().map(String::as_str), Some("2026-11-18T11:06:40.000000Z"));
    assert_eq!(times.last().map(String::as_str), Some("2026-11-18T11:26:39.900000Z"));
    assert!(times.windows(2).all(|w| w[0] < w[1]), "pages overlap or go back");
    let (code, bad) = get(&s, "/api/v1/history/ct01/weight?limit=5001", Some(&erp));
    assert_eq!((code, bad["parameter"].as_str()), (400, Some("limit")));
    let (code, bad) = get(&s, "/api/v1/history/ct01/weight?from=2026-11-18%2011:00", Some(&erp));
    assert_eq!((code, bad["parameter"].as_str()), (400, Some("from")));
    let (code, _) = get(&s, "/api/v1/history/no/such/tag", Some(&erp));
    assert_eq!(code, 404);
    // One-minute rollups: every whole minute holds its 600 scans, and together they count every sample.
    let (code, r) = get(
        &s,
        &format!("/api/v1/history/ct01/weight?from={FROM}&to={TO}&resolution=1m"),
        Some(&erp),
    );
    assert_eq!(code, 200, "{r}");
    let buckets = r["buckets"].as_array().unwrap();
    let whole: Vec<&Value> = buckets
        .iter()
        .filter(|b| {
            let t = b["t"].as_str().unwrap();
            t > "2026-11-18T11:07" && t < "2026-11-18T11:26"
        })
        .collect();
    assert_eq!(whole.len(), 19, "{r}");
    let counted: u64 = buckets.iter().map(|b| b["count"].as_u64().unwrap()).sum();
    assert_eq!(counted, 12_000, "the first and last minutes hold the rest");
    assert!(
        whole
            .iter()
            .all(|b| b["count"] == 600 && b["min"].as_f64() <= b["max"].as_f64()),
        "{r}"
    );

    // Alarms: the failed sensor stands, and the journal pages by number.
    wait_for("an active alarm", 60, || {
        let (_, v) = get(&s, "/api/v1/alarms/active", Some(&erp));
        v["alarms"].as_array().is_some_and(|a| !a.is_empty())
    });
    let (code, first) = get(&s, "/api/v1/alarms/journal?limit=1", Some(&erp));
    assert_eq!(code, 200);
    assert_eq!(first["count"], 1);
    let after = first["next_after"].as_i64().unwrap();
    let (_, second) = get(
        &s,
        &format!("/api/v1/alarms/journal?after={after}&limit=1000"),
        Some(&erp),
    );
    assert!(
        second["lines"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["id"].as_i64().unwrap() > after)
    );

    // Jobs, their operations and the ticket.
    let (code, jobs) = get(&s, "/api/v1/jobs", Some(&erp));
    assert_eq!(code, 200);
    assert!(
        jobs["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|j| j["number"] == "CT-2026-0300"),
        "{jobs}"
    );
    let (code, job) = get(&s, "/api/v1/jobs/CT-2026-0300", Some(&erp));
    assert_eq!(code, 200);
    assert_eq!(job["job"]["status"], "DRAFT");
    assert_eq!(get(&s, "/api/v1/jobs/CT-2026-0300/operations", Some(&erp)).0, 200);
    assert_eq!(get(&s, "/api/v1/jobs/CT-9999", Some(&erp)).0, 404);
    let (code, pdf, headers) = curl(
        &format!("{}/api/v1/jobs/CT-2026-0300/ticket.pdf?lang=es", s.url),
        Some(&erp),
        &[],
    );
    assert_eq!(code, 200);
    assert!(pdf.starts_with(b"%PDF-"), "not a PDF");
    assert!(
        headers.to_lowercase().contains("content-type: application/pdf"),
        "{headers}"
    );
    let (code, bad) = get(&s, "/api/v1/jobs/CT-2026-0300/ticket.pdf?lang=fr", Some(&erp));
    assert_eq!((code, bad["parameter"].as_str()), (400, Some("lang")));

    // Well tests (none finished in this short run) and the audit trail, for those who answer for it.
    assert_eq!(get(&s, "/api/v1/well-tests", Some(&erp)).0, 200);
    assert_eq!(get(&s, "/api/v1/well-tests/99999", Some(&erp)).0, 404);
    assert_eq!(get(&s, "/api/v1/audit", Some(&erp)).0, 403);
    let (code, audit) = get(&s, "/api/v1/audit", Some(&boss));
    assert_eq!(code, 200);
    let actions: Vec<&str> = audit["records"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["action"].as_str())
        .collect();
    assert!(actions.contains(&"API token added"), "{actions:?}");

    // Something that is not HTTP is turned away; the API goes on answering.
    let addr = s.url.trim_start_matches("http://");
    let mut raw = std::net::TcpStream::connect(addr).unwrap();
    raw.write_all(b"\x16\x03\x01garbage\r\n\r\n").unwrap();
    let mut answer = Vec::new();
    raw.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    let _ = raw.read_to_end(&mut answer);
    assert_eq!(get(&s, "/api/v1/health", None).0, 200);

    // A revoked token is refused within seconds, without a restart.
    ok(wellconsole(dir, &["api", "token", "revoke", "erp"]));
    wait_for("the revoked token to be refused", 10, || {
        get(&s, "/api/v1/tags/ct01/depth", Some(&erp)).0 == 401
    });
    assert_eq!(get(&s, "/api/v1/tags/ct01/depth", Some(&boss)).0, 200);

    let log = s.log.clone();
    let rest = s.stop();
    assert!(rest.contains("API stopped:"), "{rest}");
    let log = std::fs::read_to_string(log).unwrap();
    assert!(!log.contains('\x1b'), "colour codes in a log file");
    let logged = |caller: &str, path: &str, status: u16| {
        log.lines().any(|l| {
            l.contains("api request")
                && l.contains(&format!("caller=\"{caller}\""))
                && l.contains(&format!("path={path} "))
                && l.contains(&format!("status={status}"))
        })
    };
    assert!(
        logged("erp", "/api/v1/audit", 403),
        "every request is logged with who made it:\n{log}"
    );
    assert!(logged("boss", "/api/v1/audit", 200));
    assert!(logged("-", "/api/v1/tags", 401));
    let listed = ok(wellconsole(dir, &["api", "token", "list"]));
    assert!(listed.contains("boss") && !listed.contains("erp "), "{listed}");
}

#[test]
fn an_api_other_machines_reach_is_https_with_the_sites_certificate() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("site");
    let certs = home.path().join("certs");
    std::fs::create_dir_all(&certs).unwrap();
    support::server_certificate(&certs);

    // Plain HTTP on every interface is refused where the file says it, unless asked for by name.
    support::copy_demo(&dir, "\n[api]\nlisten = \"0.0.0.0:8470\"\n");
    let o = wellconsole(&dir, &["check"]).output().unwrap();
    let said = String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{said}");
    assert!(
        said.contains("site.toml:") && said.contains("allow_plaintext"),
        "{said}"
    );
    let o = wellconsole(&dir, &["serve-api", "--for", "1"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));

    std::fs::create_dir_all(dir.join("certs")).unwrap();
    std::fs::copy(certs.join("server.pem"), dir.join("certs/server.pem")).unwrap();
    std::fs::copy(certs.join("server.key"), dir.join("certs/server.key")).unwrap();
    support::copy_demo(
        &dir,
        "\n[api]\nlisten = \"127.0.0.1:0\"\ntls = { cert_file = \"certs/server.pem\", key_file = \"certs/server.key\" }\n",
    );
    ok(wellconsole(&dir, &["check"]));
    let viewer = token(&dir, "office", "viewer");
    let s = Served::start(&dir);
    assert!(s.url.starts_with("https://127.0.0.1:"), "{}", s.url);
    let ca = certs.join("ca.pem");
    let ca = ca.to_str().unwrap();
    let (code, body, _) = curl(
        &format!("{}/api/v1/tags/ct01/depth", s.url),
        Some(&viewer),
        &["--cacert", ca],
    );
    assert_eq!(code, 200, "{}", String::from_utf8_lossy(&body));
    // A client that does not trust the site's CA does not get through, nor does plain HTTP on the port.
    assert_eq!(curl(&format!("{}/api/v1/health", s.url), None, &[]).0, 0);
    let plain = s.url.replace("https://", "http://");
    assert_ne!(curl(&format!("{plain}/api/v1/health"), None, &[]).0, 200);
    assert_eq!(
        curl(&format!("{}/api/v1/health", s.url), None, &["--cacert", ca]).0,
        200
    );
    s.stop();

    // No [api]: nothing to serve, said plainly.
    let bare = home.path().join("bare");
    support::copy_demo(&bare, "");
    let o = wellconsole(&bare, &["serve-api", "--for", "1"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no [api]"));
}

#[test]
fn the_drivers_page_shows_where_the_api_listens_and_what_it_answered() {
    use egui_kittest::kittest::Queryable;
    use std::sync::atomic::Ordering::Relaxed;
    let stats = std::sync::Arc::new(wellconsole::api::ApiStats::default());
    stats.requests.store(1_250, Relaxed);
    stats.refused.store(17, Relaxed);
    stats.unauthorized.store(9, Relaxed);
    stats.busy.store(3, Relaxed);
    let (tx, _rx) = wellconsole::hub::command_lanes(16, 16);
    let screens = wellconsole::project::Project::demo().unwrap().screens;
    let mut settings = support::test_settings();
    settings.lang = wellconsole::lang::Lang::Es;
    let inputs = wellconsole::ui::ConsoleInputs {
        api: Some(wellconsole::api::ApiStatus {
            url: "https://10.20.0.5:8470".into(),
            stats,
        }),
        ..support::bare_inputs(tx, screens, settings)
    };
    let mut h = crate::console_ui::harness(wellconsole::ui::ConsoleApp::new(inputs, Default::default()));
    h.run();
    support::open_page(&mut h, "Drivers");
    h.get_by_label("API HTTP (solo lectura)");
    h.get_by_label("https://10.20.0.5:8470");
    h.get_by_label("1250");
    h.get_by_label("Sin token válido");
    h.get_by_label("Ocupada (503)");
}
