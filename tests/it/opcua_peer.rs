//! The OPC UA driver and browse command against an independent server on 127.0.0.1: asyncua (PyPI),
//! with a known address space (tests/peers/opcua_server.py). Types, status codes, subscriptions, writes
//! with the node's own type and read-back, an unknown node, server loss and restart; a secure session
//! (Basic256Sha256 SignAndEncrypt) with user name and password, and a refused password; the browse
//! command's values, its tag names from different start nodes, and its quiet close.
//!
//! Skipped without the peers' venv, unless WELLCONSOLE_REQUIRE_PEERS=1 (scripts/test).

use crate::support;

use std::path::Path;
use std::process::{Command, Stdio};
use support::{KillOnDrop, free_port, peers_python, peers_required, wait_for, wait_until_listening};
use wellconsole::driver::DriverState;
use wellconsole::hub::{HubCommand, Snapshot};
use wellconsole::project::{Project, ProjectFiles};
use wellconsole::runtime::{Runtime, RuntimeOptions};
use wellconsole::tag::{BadReason, Quality, Value};

fn start_server(python: &Path, port: u16, extra: &[&str]) -> KillOnDrop {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/opcua_server.py");
    let child = Command::new(python)
        .arg(script)
        .arg(port.to_string())
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("python starts");
    let server = KillOnDrop(child);
    wait_until_listening(([127, 0, 0, 1], port).into(), "asyncua server");
    server
}

fn site(port: u16, security: &str, pki: &Path) -> String {
    let mut s = format!(
        "[site]\nname = \"opcua peer\"\n\n[[driver]]\nname = \"plc\"\nkind = \"opcua\"\n[driver.opcua]\n\
         endpoint = \"opc.tcp://127.0.0.1:{port}/wellconsole/\"\n{security}\npki_dir = \"{}\"\n\
         trust_server_certs = true\ntimeout_ms = 3000\n\
         subscription = [{{ name = \"fast\", publishing_ms = 100 }}, {{ name = \"slow\", publishing_ms = 1000, sampling_ms = 500 }}]\n\n",
        pki.display()
    );
    for (name, node, extra) in [
        ("w/pressure", "Pressure", "poll = \"slow\""),
        ("w/temp", "Temp", ""),
        ("w/starts", "Starts", "type = \"i64\""),
        ("w/count", "Count", "type = \"i64\""),
        ("w/running", "Running", "type = \"bool\""),
        ("w/mode", "Mode", "type = \"string\""),
        ("w/setpoint", "Setpoint", "writable = true"),
        ("w/speed", "Speed", "type = \"i64\"\nwritable = true"),
        ("w/faulty", "Faulty", ""),
        ("w/counter", "Counter", "type = \"i64\""),
        ("w/nope", "DoesNotExist", ""),
    ] {
        s += &format!("[[tag]]\nname = \"{name}\"\ndriver = \"plc\"\naddress = \"ns=2;s=Well1.{node}\"\n{extra}\n\n");
    }
    s
}

fn load(site: String) -> Project {
    Project::load(ProjectFiles::from_memory([("site.toml".to_owned(), site)])).expect("valid OPC UA project")
}

fn v(s: &Snapshot, name: &str) -> Option<Value> {
    s.by_name(name).unwrap().value.clone()
}

fn q(s: &Snapshot, name: &str) -> Quality {
    s.by_name(name).unwrap().quality
}

fn counter(s: &Snapshot) -> i64 {
    match v(s, "w/counter") {
        Some(Value::I64(n)) if q(s, "w/counter").is_good() => n,
        _ => -1,
    }
}

fn write(rt: &Runtime, name: &str, value: Value) {
    let tag = rt.project.site.tags.id_of(name).unwrap();
    rt.commands
        .try_send(HubCommand::OperatorWrite {
            tag,
            value,
            by: support::engineer(),
        })
        .unwrap();
}

fn python_or_skip() -> Option<std::path::PathBuf> {
    let p = peers_python();
    if p.is_none() {
        assert!(
            !peers_required(),
            "the peers' venv (asyncua) is required here (WELLCONSOLE_REQUIRE_PEERS=1)"
        );
        eprintln!("skipped: no .venv-peers (scripts/test creates it)");
    }
    p
}

#[test]
fn asyncua_types_status_writes_unknown_node_and_restart() {
    let Some(python) = python_or_skip() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let port = free_port();
    let server = start_server(&python, port, &[]);
    let rt = Runtime::start(
        load(site(port, "", &tmp.path().join("pki"))),
        RuntimeOptions::default(),
        Vec::new(),
        None,
    )
    .unwrap();
    wait_for(&rt, "values", |s| {
        v(s, "w/mode").is_some() && v(s, "w/pressure").is_some()
    });
    let s = rt.snapshot.load();
    assert_eq!(v(&s, "w/pressure"), Some(Value::F64(1234.5)));
    assert_eq!(v(&s, "w/temp"), Some(Value::F64(180.25)));
    assert_eq!(v(&s, "w/starts"), Some(Value::I64(-3)));
    assert_eq!(v(&s, "w/count"), Some(Value::I64(42)));
    assert_eq!(v(&s, "w/running"), Some(Value::Bool(true)));
    assert_eq!(v(&s, "w/mode"), Some(Value::str("AUTO")));
    assert_eq!(s.drivers[0].kind, "opcua");
    wait_for(&rt, "status codes kept", |s| {
        q(s, "w/faulty") == Quality::Bad(BadReason::SensorFail)
            && q(s, "w/nope") == Quality::Bad(BadReason::ConfigError)
    });
    assert!(
        rt.snapshot.load().drivers[0]
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("Well1.DoesNotExist")),
        "the refused node is named for the engineer"
    );
    let c0 = counter(&rt.snapshot.load());
    wait_for(&rt, "subscription delivers changes", |s| counter(s) > c0 + 2);

    // Writes use the node's own type (Double, Int16) and are confirmed by reading back.
    write(&rt, "w/setpoint", Value::F64(55.5));
    wait_for(&rt, "setpoint confirmed", |s| {
        s.events.iter().any(|e| e.ok && e.text.starts_with("w/setpoint = 55.5"))
    });
    wait_for(&rt, "setpoint value", |s| v(s, "w/setpoint") == Some(Value::F64(55.5)));
    write(&rt, "w/speed", Value::I64(-12));
    wait_for(&rt, "speed confirmed", |s| v(s, "w/speed") == Some(Value::I64(-12)));
    write(&rt, "w/speed", Value::I64(70_000));
    wait_for(&rt, "Int16 refuses 70000", |s| {
        s.events
            .iter()
            .any(|e| !e.ok && e.text.contains("w/speed") && e.text.contains("does not fit"))
    });

    // Server gone: every tag CommFail at once. Back: a new session, subscriptions recreated, values flow.
    drop(server);
    wait_for(&rt, "CommFail", |s| {
        s.tags.iter().all(|t| t.quality == Quality::Bad(BadReason::CommFail))
    });
    let _server = start_server(&python, port, &[]);
    wait_for(&rt, "values again after restart", |s| {
        counter(s) > 2 && q(s, "w/mode").is_good()
    });
    // The new session learns that the unknown node is still unknown a moment after values flow again.
    wait_for(&rt, "the unknown node still counts (Degraded)", |s| {
        s.drivers[0].state == DriverState::Degraded
    });
    rt.shutdown();
}

#[test]
fn asyncua_secure_session_with_user_name_and_a_refused_password() {
    let Some(python) = python_or_skip() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let certs = tmp.path().join("server-certs");
    std::fs::create_dir_all(&certs).unwrap();
    let port = free_port();
    let _server = start_server(&python, port, &["--secure", certs.to_str().unwrap(), "--users"]);
    let secure = "security_policy = \"Basic256Sha256\"\nsecurity_mode = \"SignAndEncrypt\"\nusername = \"operator\"";
    let good = Runtime::start(
        load(site(
            port,
            &format!("{secure}\npassword = \"s3cret\""),
            &tmp.path().join("pki"),
        )),
        RuntimeOptions::default(),
        Vec::new(),
        None,
    )
    .unwrap();
    let bad = Runtime::start(
        load(site(
            port,
            &format!("{secure}\npassword = \"wrong\""),
            &tmp.path().join("pki2"),
        )),
        RuntimeOptions::default(),
        Vec::new(),
        None,
    )
    .unwrap();
    wait_for(&good, "values over an encrypted session", |s| {
        v(s, "w/pressure") == Some(Value::F64(1234.5))
    });
    write(&good, "w/setpoint", Value::F64(61.0));
    wait_for(&good, "write over an encrypted session", |s| {
        v(s, "w/setpoint") == Some(Value::F64(61.0))
    });
    wait_for(&bad, "refused password", |s| {
        s.drivers[0].state == DriverState::Failed && s.drivers[0].last_error.is_some()
    });
    assert_eq!(q(&bad.snapshot.load(), "w/pressure"), Quality::Bad(BadReason::CommFail));
    assert!(
        tmp.path().join("pki/own/cert.der").exists(),
        "the client made its application certificate in its PKI directory"
    );
    // Sign (without encryption), through the browse command, password from the environment.
    let o = Command::new(env!("CARGO_BIN_EXE_wellconsole"))
        .args([
            "opcua",
            "browse",
            &format!("opc.tcp://127.0.0.1:{port}/wellconsole/"),
            "--node",
            "ns=2;s=Well1",
        ])
        .args([
            "--security-policy",
            "Basic256Sha256",
            "--security-mode",
            "Sign",
            "--trust-server-cert",
        ])
        .args(["--username", "operator", "--password-env", "PEER_PW", "--pki-dir"])
        .arg(tmp.path().join("pki3"))
        .env("PEER_PW", "s3cret")
        .env("RUST_LOG", "off")
        .output()
        .unwrap();
    let tree = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success() && tree.contains("Pressure  [ns=2;s=Well1.Pressure]"),
        "{tree}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    good.shutdown();
    bad.shutdown();
}

#[test]
fn browse_prints_the_tree_and_tags_that_load() {
    let Some(python) = python_or_skip() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let port = free_port();
    let _server = start_server(&python, port, &[]);
    let endpoint = format!("opc.tcp://127.0.0.1:{port}/wellconsole/");
    let pki = tmp.path().join("pki");
    let run = |extra: &[&str]| {
        let o = Command::new(env!("CARGO_BIN_EXE_wellconsole"))
            .args(["opcua", "browse", &endpoint, "--pki-dir", pki.to_str().unwrap()])
            .args(extra)
            .env("RUST_LOG", "off")
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8(o.stdout).unwrap()
    };
    let tree = run(&["--depth", "2"]);
    for line in [
        "Well1  [ns=2;s=Well1]  Object",
        "  Setpoint  [ns=2;s=Well1.Setpoint]  Variable  Double = 50.0  (writable)",
        "  Mode  [ns=2;s=Well1.Mode]  Variable  String = \"AUTO\"",
        // A Bad value is its status, not a value.
        "  Faulty  [ns=2;s=Well1.Faulty]  Variable  Double = BadSensorFailure",
        "  Profile  [ns=2;s=Well1.Profile]  Variable  Double = [1.5, 2.0, 3.25]",
    ] {
        assert!(tree.contains(&format!("{line}\n")), "{line}\n{tree}");
    }
    let tags = run(&["--node", "ns=2;s=Well1", "--tags-for", "plc"]);
    assert!(
        tags.contains(
            "name = \"well1/speed\"\ndriver = \"plc\"\naddress = \"ns=2;s=Well1.Speed\"\ntype = \"i64\"\nwritable = true"
        ),
        "{tags}"
    );
    // A node's tag name does not depend on where the browse started.
    let from_well = names_by_address(&tags);
    let from_objects = names_by_address(&run(&["--depth", "3", "--tags-for", "plc"]));
    let from_pump = names_by_address(&run(&["--node", "ns=2;s=Well1.Pump", "--tags-for", "plc"]));
    assert_eq!(from_pump["ns=2;s=Well1.Pump.Current"], "well1/pump/current");
    for (address, name) in from_well.iter().chain(&from_pump) {
        assert_eq!(from_objects.get(address), Some(name), "{address}");
    }
    // Pasted into a project, they load (the array is not a tag).
    let project = format!(
        "[site]\nname = \"pasted\"\n[[driver]]\nname = \"plc\"\nkind = \"opcua\"\n[driver.opcua]\nendpoint = \"{endpoint}\"\n\n{tags}"
    );
    let p = load(project);
    assert_eq!(p.site.tags.len(), 11);
}

/// Generated `[[tag]]` entries as address → name.
fn names_by_address(tags: &str) -> std::collections::BTreeMap<String, String> {
    tags.split("\n\n")
        .filter_map(|entry| {
            let field = |key: &str| {
                entry
                    .lines()
                    .find_map(|l| l.strip_prefix(key))
                    .map(|v| v.trim_matches('"').to_owned())
            };
            Some((field("address = ")?, field("name = ")?))
        })
        .collect()
}

#[test]
fn browse_closes_its_session_without_a_warning() {
    let Some(python) = python_or_skip() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let port = free_port();
    let _server = start_server(&python, port, &[]);
    // The default log filter, as an integrator runs it.
    let o = Command::new(env!("CARGO_BIN_EXE_wellconsole"))
        .args(["opcua", "browse", &format!("opc.tcp://127.0.0.1:{port}/wellconsole/")])
        .args(["--node", "ns=2;s=Well1", "--pki-dir"])
        .arg(tmp.path().join("pki"))
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    assert!(!stderr.contains("Transport disconnected"), "{stderr}");
}

/// A self-signed user certificate and key (PEM) with the given common name, made with openssl.
fn user_certificate(dir: &Path, cn: &str) {
    let st = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            &format!("/CN={cn}"),
        ])
        .args(["-keyout", &format!("{cn}.key"), "-out", &format!("{cn}.pem")])
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("openssl runs");
    assert!(st.success());
}

#[test]
fn asyncua_x509_user_identity_accepted_and_refused() {
    let Some(python) = python_or_skip() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let certs = tmp.path().join("server-certs");
    let project = tmp.path().join("project");
    std::fs::create_dir_all(&certs).unwrap();
    std::fs::create_dir_all(project.join("certs")).unwrap();
    user_certificate(&project.join("certs"), "operator");
    user_certificate(&project.join("certs"), "intruder");
    let port = free_port();
    let _server = start_server(&python, port, &["--secure", certs.to_str().unwrap(), "--cert-users"]);
    let runtime = |user: &str| {
        let identity = format!(
            "security_policy = \"Basic256Sha256\"\nuser_cert = \"certs/{user}.pem\"\nuser_key = \"certs/{user}.key\""
        );
        std::fs::write(project.join("site.toml"), site(port, &identity, &tmp.path().join(user))).unwrap();
        let p = Project::load(ProjectFiles::from_dir(&project).unwrap()).expect("valid X.509 project");
        Runtime::start(p, RuntimeOptions::default(), Vec::new(), None).unwrap()
    };
    let good = runtime("operator");
    let bad = runtime("intruder");
    wait_for(&good, "values with an X.509 user", |s| {
        v(s, "w/pressure") == Some(Value::F64(1234.5))
    });
    wait_for(&bad, "unknown user certificate refused", |s| {
        s.drivers[0].state == DriverState::Failed
            && s.drivers[0]
                .last_error
                .as_deref()
                .is_some_and(|e| e.contains("BadUserAccessDenied"))
    });
    good.shutdown();
    bad.shutdown();
}
