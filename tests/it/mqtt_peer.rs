//! The MQTT driver against independent peers on 127.0.0.1: a Mosquitto broker (Debian package),
//! `mosquitto_pub` publishing JSON, and a pysparkplug edge node (PyPI) that can be made to skip sequence
//! numbers, ignore commands, kill its device, send garbage and die. Then the broker itself is stopped and
//! restarted.
//!
//! Skipped when Mosquitto or the peers' venv is missing, unless WELLCONSOLE_REQUIRE_PEERS=1 (scripts/test).

use crate::support;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;
use support::{KillOnDrop, free_port, mosquitto_bin, peers_python, peers_required, start_mosquitto, wait_for};
use wellconsole::hub::{HubCommand, Snapshot};
use wellconsole::project::{Project, ProjectFiles};
use wellconsole::runtime::{Runtime, RuntimeOptions};
use wellconsole::tag::{BadReason, Quality, Timestamp, Value};

const GROUP: &str = "peer-site";
const NODE: &str = "edge7";

fn project(port: u16) -> Project {
    let spb = |device: &str, metric: &str| format!("spBv1.0/{GROUP}/{NODE}/{device}#{metric}");
    let mut s = format!(
        "[site]\nname = \"mqtt peers\"\n\n[[driver]]\nname = \"broker\"\nkind = \"mqtt\"\n[driver.mqtt]\n\
         broker = \"127.0.0.1:{port}\"\nsparkplug_host_id = \"wc-test\"\ntimeout_ms = 3000\n\n\
         [[driver.mqtt.json]]\nfilter = \"plant/+/telemetry\"\ntimestamp = \"/ts\"\n\n"
    );
    let tags: [(&str, String, &str); 14] = [
        (
            "j/temp",
            "plant/esp01/telemetry#/motor/temp_f".into(),
            "type = \"f64\"\nunit = \"degF\"",
        ),
        (
            "j/running",
            "plant/esp01/telemetry#/running".into(),
            "type = \"bool\"\nstale_after_ms = 60000",
        ),
        ("j/mode", "plant/esp01/telemetry#/mode".into(), "type = \"string\""),
        ("j/starts", "plant/esp01/telemetry#/starts".into(), "type = \"i64\""),
        ("j/raw", "plant/flow".into(), "gain = 0.5\nstale_after_ms = 60000"),
        ("s/power", format!("spBv1.0/{GROUP}/{NODE}#Site/Power"), ""),
        ("s/temp", spb("esp01", "Motor/Temp"), ""),
        ("s/running", spb("esp01", "Running"), "type = \"bool\""),
        ("s/starts", spb("esp01", "Starts"), "type = \"i64\""),
        ("s/mode", spb("esp01", "Mode"), "type = \"string\""),
        ("s/sp", spb("esp01", "Frequency SP"), "writable = true\nunit = \"Hz\""),
        ("s/total", spb("esp01", "Total"), "type = \"i64\""),
        (
            "s/ro",
            format!("spBv1.0/{GROUP}/{NODE}#Node Control/Rebirth"),
            "type = \"i64\"\nwritable = true",
        ),
        ("s/absent", spb("esp01", "Not/In/Birth"), ""),
    ];
    for (name, address, extra) in tags {
        s += &format!("[[tag]]\nname = \"{name}\"\ndriver = \"broker\"\naddress = \"{address}\"\n{extra}\n\n");
    }
    Project::load(ProjectFiles::from_memory([("site.toml".to_owned(), s)])).expect("valid peer project")
}

fn pub_json(port: u16, topic: &str, payload: &str) {
    let st = Command::new("mosquitto_pub")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-q",
            "1",
            "-t",
            topic,
            "-m",
            payload,
        ])
        .status()
        .expect("mosquitto_pub runs");
    assert!(st.success(), "mosquitto_pub {topic}");
}

/// The pysparkplug edge node, with its stdout lines arriving on a channel.
struct Edge {
    child: KillOnDrop,
    lines: crossbeam_channel::Receiver<String>,
}

impl Edge {
    fn start(python: &Path, port: u16) -> Self {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers/sparkplug_edge.py");
        let mut child = Command::new(python)
            .arg(script)
            .args([&port.to_string(), GROUP, NODE])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python starts");
        let out = child.stdout.take().unwrap();
        let (tx, lines) = crossbeam_channel::bounded(1024);
        std::thread::spawn(move || {
            for l in BufReader::new(out).lines().map_while(Result::ok) {
                let _ = tx.send(l);
            }
        });
        Edge {
            child: KillOnDrop(child),
            lines,
        }
    }

    fn send(&mut self, cmd: &str) {
        let stdin = self.child.0.stdin.as_mut().unwrap();
        writeln!(stdin, "{cmd}").unwrap();
        stdin.flush().unwrap();
    }

    /// Waits for a line starting with `prefix`; returns it.
    fn expect(&self, prefix: &str) -> String {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(l) if l.starts_with(prefix) => return l,
                Ok(_) => {}
                Err(_) => panic!("edge node never said '{prefix}'"),
            }
        }
    }
}

/// The retained Sparkplug STATE message of host `wc-test`, read with mosquitto_sub.
fn retained_state(port: u16) -> serde_json::Value {
    let o = Command::new("mosquitto_sub")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-t",
            "spBv1.0/STATE/wc-test",
            "-C",
            "1",
            "-W",
            "10",
        ])
        .output()
        .expect("mosquitto_sub runs");
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("STATE payload {:?}: {e}", o.stdout))
}

fn q(s: &Snapshot, name: &str) -> Quality {
    s.by_name(name).unwrap().quality
}

fn v(s: &Snapshot, name: &str) -> Option<Value> {
    s.by_name(name).unwrap().value.clone()
}

fn detail(s: &Snapshot) -> String {
    s.drivers[0].detail.as_deref().map_or(String::new(), |d| d.to_string())
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

#[test]
fn json_and_sparkplug_peers_values_commands_faults_and_broker_restart() {
    let (Some(broker_bin), Some(python)) = (mosquitto_bin(), peers_python()) else {
        assert!(
            !peers_required(),
            "mosquitto and the peers' venv are required here (WELLCONSOLE_REQUIRE_PEERS=1)"
        );
        eprintln!("skipped: no mosquitto or no .venv-peers (scripts/test installs both)");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let port = free_port();
    let broker = start_mosquitto(&broker_bin, tmp.path(), port);
    let rt = Runtime::start(project(port), RuntimeOptions::default(), Vec::new(), None).unwrap();
    wait_for(&rt, "driver connected", |s| {
        s.drivers[0].state == wellconsole::driver::DriverState::Running
    });
    // No edge node yet: the driver says whose birth it waits for (Drivers page, stats JSON).
    wait_for(&rt, "waiting for the edge node's birth", |s| {
        s.drivers[0]
            .waiting_for_birth
            .iter()
            .any(|w| w.node == format!("{GROUP}/{NODE}"))
    });
    // The subscription is acknowledged asynchronously; retained-free JSON must not race it.
    std::thread::sleep(Duration::from_millis(300));

    // JSON: typed values with the payload's timestamp; a bare-number topic with scaling.
    pub_json(
        port,
        "plant/esp01/telemetry",
        r#"{"ts": 1795000000123, "motor": {"temp_f": 212.5}, "running": true, "mode": "AUTO", "starts": 17}"#,
    );
    pub_json(port, "plant/flow", "250");
    wait_for(&rt, "JSON values", |s| {
        v(s, "j/starts") == Some(Value::I64(17)) && v(s, "j/raw").is_some()
    });
    let s = rt.snapshot.load();
    assert_eq!(v(&s, "j/temp"), Some(Value::F64(212.5)));
    assert_eq!(v(&s, "j/running"), Some(Value::Bool(true)));
    assert_eq!(v(&s, "j/mode"), Some(Value::str("AUTO")));
    assert_eq!(v(&s, "j/raw"), Some(Value::F64(125.0)));
    assert_eq!(s.by_name("j/temp").unwrap().source_ts, Timestamp(1_795_000_000_123_000));
    // A null is a failed sensor; malformed JSON is counted and changes nothing.
    pub_json(port, "plant/esp01/telemetry", r#"{"motor": {"temp_f": null}}"#);
    wait_for(&rt, "null → SensorFail", |s| {
        q(s, "j/temp") == Quality::Bad(BadReason::SensorFail)
    });
    pub_json(port, "plant/esp01/telemetry", "{oops");
    wait_for(&rt, "malformed counted", |s| {
        s.drivers[0].errors >= 1 && detail(s).contains("malformed 1")
    });
    assert_eq!(q(&rt.snapshot.load(), "j/running"), Quality::Good);

    // Sparkplug: births give values of every type; aliased DDATA updates them.
    let mut edge = Edge::start(&python, port);
    edge.expect("BIRTH");
    wait_for(&rt, "Sparkplug births", |s| {
        v(s, "s/total").is_some() && v(s, "s/power").is_some()
    });
    wait_for(&rt, "no birth awaited", |s| s.drivers[0].waiting_for_birth.is_empty());
    let s = rt.snapshot.load();
    assert_eq!(v(&s, "s/power"), Some(Value::F64(410.5)));
    assert_eq!(v(&s, "s/temp"), Some(Value::F64(180.5)));
    assert_eq!(v(&s, "s/running"), Some(Value::Bool(true)));
    assert_eq!(v(&s, "s/starts"), Some(Value::I64(-3)));
    assert_eq!(v(&s, "s/mode"), Some(Value::str("AUTO")));
    assert_eq!(v(&s, "s/total"), Some(Value::I64(12_345_678_901)));
    assert_eq!(q(&s, "s/absent"), Quality::Bad(BadReason::WaitingForData));
    edge.send("temp 190.25");
    wait_for(&rt, "aliased DDATA", |s| v(s, "s/temp") == Some(Value::F64(190.25)));

    // A write goes out as a DCMD typed by the birth (Float), and is confirmed by the DDATA echo.
    write(&rt, "s/sp", Value::F64(55.5));
    assert_eq!(edge.expect("DCMD"), "DCMD Frequency SP 55.5");
    wait_for(&rt, "write confirmed", |s| {
        s.events.iter().any(|e| e.ok && e.text.starts_with("s/sp = "))
    });
    assert_eq!(v(&rt.snapshot.load(), "s/sp"), Some(Value::F64(55.5)));
    // A value the metric's type cannot hold is refused before it is sent.
    write(&rt, "s/ro", Value::I64(7));
    wait_for(&rt, "Boolean refuses 7", |s| {
        s.events.iter().any(|e| !e.ok && e.text.contains("s/ro"))
    });
    // Sparkplug B has no acknowledgement: a node that never reports the value back fails the write timeout_ms
    // (3 s) after the first send, however often it is sent again (the trip engine resends every 2 s).
    edge.send("deaf");
    edge.expect("OK deaf");
    let first_sent = Timestamp::now();
    for _ in 0..4 {
        write(&rt, "s/sp", Value::F64(57.0));
        std::thread::sleep(Duration::from_millis(900));
    }
    let unconfirmed = |s: &Snapshot| {
        s.events
            .iter()
            .find(|e| !e.ok && e.text.starts_with("write of 57.000 to s/sp failed"))
            .cloned()
    };
    wait_for(&rt, "unconfirmed write failed", |s| unconfirmed(s).is_some());
    let failed = unconfirmed(&rt.snapshot.load()).unwrap();
    assert!(
        failed.at.saturating_since(first_sent) < Duration::from_millis(4_500),
        "failed {:?} after the first send, resends must not extend the deadline: {}",
        failed.at.saturating_since(first_sent),
        failed.text
    );
    assert!(
        failed.text.contains("not reported back within 3000 ms"),
        "{}",
        failed.text
    );
    assert_eq!(v(&rt.snapshot.load(), "s/sp"), Some(Value::F64(55.5)));

    // A sequence gap makes the host ask for a rebirth, and the node's answer is taken.
    edge.send("gap");
    edge.send("temp 191.0");
    edge.expect("REBIRTH");
    edge.expect("BIRTH 2");
    wait_for(&rt, "gap counted", |s| detail(s).contains("seq gaps 1"));
    // Garbage is counted, not fatal.
    edge.send("garbage");
    wait_for(&rt, "garbage counted", |s| s.drivers[0].errors >= 2);
    edge.send("temp 192.0");
    wait_for(&rt, "still decoding", |s| v(s, "s/temp") == Some(Value::F64(192.0)));

    // DDEATH: the device's tags go CommFail, the node's stay good.
    edge.send("ddeath");
    wait_for(&rt, "DDEATH", |s| q(s, "s/temp") == Quality::Bad(BadReason::CommFail));
    assert!(q(&rt.snapshot.load(), "s/power").is_good());
    // NDEATH: everything of the node goes CommFail; JSON tags are untouched.
    edge.send("quit");
    wait_for(&rt, "NDEATH", |s| q(s, "s/power") == Quality::Bad(BadReason::CommFail));
    assert!(q(&rt.snapshot.load(), "j/running").is_good());
    drop(edge);

    // The broker dies: every tag CommFail at once. It comes back: the driver reconnects and resubscribes.
    drop(broker);
    wait_for(&rt, "all CommFail", |s| {
        s.tags.iter().all(|t| t.quality == Quality::Bad(BadReason::CommFail))
    });
    let _broker = start_mosquitto(&broker_bin, tmp.path(), port);
    wait_for(&rt, "reconnected", |s| {
        s.drivers[0].state == wellconsole::driver::DriverState::Running
    });
    std::thread::sleep(Duration::from_millis(300));
    pub_json(port, "plant/esp01/telemetry", r#"{"running": false}"#);
    wait_for(&rt, "JSON good again", |s| {
        v(s, "j/running") == Some(Value::Bool(false)) && q(s, "j/running").is_good()
    });
    let edge = Edge::start(&python, port);
    edge.expect("BIRTH");
    wait_for(&rt, "Sparkplug good again", |s| {
        q(s, "s/temp").is_good() && q(s, "s/power").is_good()
    });
    // The host's STATE is retained on the broker: online while connected, offline after a clean stop.
    assert_eq!(retained_state(port)["online"], serde_json::Value::Bool(true));
    rt.shutdown();
    assert_eq!(retained_state(port)["online"], serde_json::Value::Bool(false));
}

fn sh(dir: &Path, program: &str, args: &[&str]) {
    let st = Command::new(program)
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(st.success(), "{program} {args:?} failed");
}

/// A throw-away CA, a server certificate for 127.0.0.1 and a password file, made with the openssl and
/// mosquitto_passwd command-line tools.
fn tls_material(dir: &Path) {
    crate::support::server_certificate(dir);
    sh(dir, "mosquitto_passwd", &["-b", "-c", "passwd", "console", "s3cret"]);
}

fn tls_project(dir: &Path, port: u16, password: &str) -> Project {
    std::fs::create_dir_all(dir.join("certs")).unwrap();
    std::fs::copy(dir.parent().unwrap().join("ca.pem"), dir.join("certs/ca.pem")).unwrap();
    std::fs::write(
        dir.join("site.toml"),
        format!(
            "[site]\nname = \"tls\"\n\n[[driver]]\nname = \"broker\"\nkind = \"mqtt\"\n[driver.mqtt]\n\
             broker = \"127.0.0.1:{port}\"\nusername = \"console\"\npassword = \"{password}\"\n\
             tls = {{ ca_file = \"certs/ca.pem\" }}\n\n\
             [[tag]]\nname = \"t/flow\"\ndriver = \"broker\"\naddress = \"plant/flow\"\n"
        ),
    )
    .unwrap();
    Project::load(ProjectFiles::from_dir(dir).unwrap()).expect("valid TLS project")
}

#[test]
fn tls_broker_with_username_and_password() {
    let Some(bin) = support::mosquitto_or_skip() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    tls_material(d);
    let port = free_port();
    let conf = d.join("mosquitto.conf");
    std::fs::write(
        &conf,
        format!(
            "listener {port} 127.0.0.1\ncafile {0}/ca.pem\ncertfile {0}/server.pem\nkeyfile {0}/server.key\n\
             password_file {0}/passwd\nallow_anonymous false\npersistence false\n\
             # Run as root (CI containers), mosquitto would drop to its own user, who cannot read the key.\n\
             user root\n",
            d.display()
        ),
    )
    .unwrap();
    let broker = KillOnDrop(
        Command::new(&bin)
            .arg("-c")
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    support::wait_until_listening(([127, 0, 0, 1], port).into(), "mosquitto (TLS)");

    let good = Runtime::start(
        tls_project(&d.join("good"), port, "s3cret"),
        RuntimeOptions::default(),
        Vec::new(),
        None,
    )
    .unwrap();
    let bad = Runtime::start(
        tls_project(&d.join("bad"), port, "wrong"),
        RuntimeOptions::default(),
        Vec::new(),
        None,
    )
    .unwrap();
    wait_for(&good, "TLS session up", |s| {
        s.drivers[0].state == wellconsole::driver::DriverState::Running
    });
    std::thread::sleep(Duration::from_millis(300));
    let ca = d.join("ca.pem");
    let st = Command::new("mosquitto_pub")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "--cafile",
            ca.to_str().unwrap(),
        ])
        .args([
            "-u",
            "console",
            "-P",
            "s3cret",
            "-q",
            "1",
            "-t",
            "plant/flow",
            "-m",
            "42.5",
        ])
        .status()
        .unwrap();
    assert!(st.success());
    wait_for(&good, "value over TLS", |s| v(s, "t/flow") == Some(Value::F64(42.5)));
    wait_for(&bad, "wrong password refused", |s| {
        s.drivers[0].state == wellconsole::driver::DriverState::Failed
            && s.drivers[0]
                .last_error
                .as_deref()
                .is_some_and(|e| e.contains("refused"))
    });
    assert_eq!(q(&bad.snapshot.load(), "t/flow"), Quality::Bad(BadReason::CommFail));
    good.shutdown();
    bad.shutdown();
    drop(broker);
}

/// The audit trail's head published to a real broker: someone who rolls the whole records folder back
/// (trail and local anchor together, which the local anchor cannot catch) is caught by the broker's copy.
#[test]
fn the_audit_head_on_a_broker_catches_a_records_folder_rolled_back_whole() {
    let Some(broker_bin) = support::mosquitto_or_skip() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let port = free_port();
    let _broker = start_mosquitto(&broker_bin, tmp.path(), port);
    let dir = tmp.path().join("site");
    std::fs::create_dir_all(dir.join("data")).unwrap();
    std::fs::write(
        dir.join("data/well.csv"),
        "md_ft,inc_deg,azi_deg\n0,0,0\n1000,0,0\n2000,30,90\n5000,30,90\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("site.toml"),
        format!(
            "[site]\nname = \"Pad 7\"\n\n[records]\nanchor_mqtt = \"127.0.0.1:{port}\"\n\n[[driver]]\nname = \"sim\"\nkind = \"sim\"\n\n[driver.sim]\nct_survey = \"data/well.csv\"\nesp_wells = 1\n\n[[tag]]\nname = \"ct01/depth\"\ndriver = \"sim\"\n"
        ),
    )
    .unwrap();
    let cli = |args: &[&str]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_wellconsole"));
        c.args(["--project", dir.to_str().unwrap()])
            .args(args)
            .env("RUST_LOG", "error")
            .env("NEW_PASSWORD", "pozo-caliente-7");
        c.output().expect("binary runs")
    };
    let out = |o: &std::process::Output| {
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    };
    let o = cli(&[
        "users",
        "add",
        "ana",
        "--role",
        "operator",
        "--password-env",
        "NEW_PASSWORD",
    ]);
    assert!(o.status.success(), "{}", out(&o));
    // A copy of the whole records folder as it is now (what a thief with the disk would keep).
    let records = dir.join("history");
    let copy = tmp.path().join("copy");
    std::fs::create_dir_all(&copy).unwrap();
    for f in std::fs::read_dir(&records).unwrap().flatten() {
        std::fs::copy(f.path(), copy.join(f.file_name())).unwrap();
    }
    let o = cli(&[
        "users",
        "add",
        "sam",
        "--role",
        "supervisor",
        "--password-env",
        "NEW_PASSWORD",
    ]);
    assert!(o.status.success(), "{}", out(&o));
    let o = cli(&["audit", "verify"]);
    assert!(o.status.success(), "{}", out(&o));
    assert!(
        out(&o).contains(&format!(
            "external anchor at mqtt://127.0.0.1:{port}/wellconsole/Pad_7/audit-anchor: agrees at record 2"
        )),
        "{}",
        out(&o)
    );
    // The console's writer keeps the broker's head current too.
    {
        use wellconsole::auth::audit::{self, AuditEntry};
        let project = Project::load(ProjectFiles::from_dir(&dir).unwrap()).unwrap();
        let recs = project.records().unwrap();
        let trail = project.audit_trail(&recs);
        let opts = RuntimeOptions {
            audit: Some(trail.clone()),
            ..RuntimeOptions::default()
        };
        let rt = Runtime::start(project, opts, Vec::new(), None).unwrap();
        rt.commands
            .try_send(HubCommand::Record(AuditEntry::system(
                Timestamp::now(),
                "test",
                "audit",
                "third",
            )))
            .unwrap();
        let ext = trail.external.clone().unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            let head = audit::external::fetch(&ext)
                .unwrap()
                .map(|t| audit::parse_anchor(&trail, &t).unwrap());
            if head.is_some_and(|a| a.seq == 3) {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the broker's head never reached record 3"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        let _ = rt.shutdown();
    }
    // The folder rolled back whole: locally consistent, and caught by the broker's head.
    for f in std::fs::read_dir(&records).unwrap().flatten() {
        std::fs::remove_file(f.path()).unwrap();
    }
    for f in std::fs::read_dir(&copy).unwrap().flatten() {
        std::fs::copy(f.path(), records.join(f.file_name())).unwrap();
    }
    let o = cli(&["audit", "verify"]);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(
        out(&o).contains("the audit trail was rolled back: the external anchor at mqtt://127.0.0.1:")
            && out(&o).contains("says 3 records, the trail ends at 1"),
        "{}",
        out(&o)
    );
}
