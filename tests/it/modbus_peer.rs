//! The Modbus driver against independent peers on 127.0.0.1: a pymodbus server with a known register
//! map (types, scaling, all four byte orders, bits, strings, writes, loss and recovery), and a server
//! that answers with garbage (counted, survived, never a panic).
//!
//! pymodbus comes from the venv scripts/test creates (.venv-peers, or WELLCONSOLE_PEERS_PYTHON).
//! Without it the pymodbus test is skipped, unless WELLCONSOLE_REQUIRE_PEERS=1 (as in scripts/test).

use crate::support;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::{KillOnDrop, free_port, peers_python, wait_for, wait_until_listening};
use wellconsole::hub::HubCommand;
use wellconsole::project::{Project, ProjectFiles};
use wellconsole::runtime::{Runtime, RuntimeOptions};
use wellconsole::tag::{BadReason, Quality, Value};

fn start_pymodbus(python: &PathBuf, port: u16) -> KillOnDrop {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers/modbus_server.py");
    let child = Command::new(python)
        .arg(script)
        .arg(port.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let peer = KillOnDrop(child.expect("python starts"));
    wait_until_listening(([127, 0, 0, 1], port).into(), "pymodbus server");
    peer
}

fn driver(name: &str, port: u16, word_order: &str, byte_order: &str) -> String {
    format!(
        "[[driver]]\nname = \"{name}\"\nkind = \"modbus-tcp\"\n[driver.modbus]\nendpoint = \"127.0.0.1:{port}\"\n\
         word_order = \"{word_order}\"\nbyte_order = \"{byte_order}\"\nmax_gap = 0\ntimeout_ms = 500\n\
         poll = [{{ name = \"fast\", period_ms = 100 }}]\n\n"
    )
}

fn tag(name: &str, driver: &str, address: &str, extra: &str) -> String {
    format!("[[tag]]\nname = \"{name}\"\ndriver = \"{driver}\"\naddress = \"{address}\"\n{extra}\n")
}

fn peer_project(port: u16) -> Project {
    let mut s = String::from("[site]\nname = \"pymodbus peer\"\n\n");
    s += &driver("abcd", port, "high-first", "normal");
    s += &driver("cdab", port, "low-first", "normal");
    s += &driver("badc", port, "high-first", "swapped");
    s += &driver("dcba", port, "low-first", "swapped");
    for (name, drv, addr, extra) in [
        ("p/u16", "abcd", "hr:0", ""),
        ("p/i16", "abcd", "hr:1:i16", ""),
        ("p/u32", "abcd", "hr:2:u32", ""),
        ("p/f64", "abcd", "hr:6:f64", ""),
        ("p/bit1", "abcd", "hr:10.1", ""),
        ("p/bit2", "abcd", "hr:10.2", ""),
        ("p/bit3", "abcd", "hr:10.3", ""),
        (
            "p/scaled",
            "abcd",
            "hr:11",
            "gain = 0.15625\nunit = \"psi\"\nrange = [0.0, 5000.0]",
        ),
        ("p/f32_pymodbus", "abcd", "hr:12:f32", ""),
        ("p/name", "abcd", "hr:20:str8", ""),
        ("p/setpoint", "abcd", "hr:30:f32", "writable = true"),
        ("p/counter_sp", "abcd", "hr:40", "writable = true"),
        ("p/flags5", "abcd", "hr:41.5", "writable = true"),
        ("p/flags6", "abcd", "hr:41.6", ""),
        ("p/i32", "abcd", "ir:0:i32", ""),
        ("p/coil0", "abcd", "coil:0", ""),
        ("p/coil1", "abcd", "coil:1", ""),
        ("p/coil3", "abcd", "coil:3", "writable = true"),
        ("p/di1", "abcd", "di:1", ""),
        ("p/f32_cdab", "cdab", "hr:4:f32", ""),
        ("p/f32_badc", "badc", "ir:2:f32", ""),
        ("p/f32_dcba", "dcba", "ir:4:f32", ""),
    ] {
        s += &tag(name, drv, addr, extra);
    }
    Project::load(ProjectFiles::from_memory([("site.toml".to_owned(), s)])).expect("valid peer project")
}

#[test]
fn pymodbus_server_types_orders_writes_and_recovery() {
    let required = std::env::var("WELLCONSOLE_REQUIRE_PEERS").is_ok_and(|v| v == "1");
    let Some(python) = peers_python() else {
        assert!(
            !required,
            "pymodbus is required here (WELLCONSOLE_REQUIRE_PEERS=1): run scripts/test"
        );
        eprintln!("skipped: no pymodbus venv (.venv-peers); scripts/test creates it");
        return;
    };
    let port = free_port();
    let peer = start_pymodbus(&python, port);
    let rt = Runtime::start(peer_project(port), RuntimeOptions::default(), Vec::new(), None).unwrap();
    wait_for(&rt, "every tag good", |s| s.tags.iter().all(|t| t.quality.is_good()));
    let s = rt.snapshot.load();
    let v = |n: &str| s.by_name(n).unwrap().value.clone().unwrap();
    assert_eq!(v("p/u16"), Value::I64(1234));
    assert_eq!(v("p/i16"), Value::I64(-2));
    assert_eq!(v("p/u32"), Value::I64(100_000));
    assert_eq!(v("p/f64"), Value::F64(-9876.5432));
    assert_eq!(
        (v("p/bit1"), v("p/bit2"), v("p/bit3")),
        (Value::Bool(true), Value::Bool(false), Value::Bool(true))
    );
    assert_eq!(v("p/scaled"), Value::F64(2500.0));
    assert_eq!(
        v("p/f32_pymodbus"),
        Value::F64(3.25),
        "pymodbus' own FLOAT32 encoding is high word first"
    );
    assert_eq!(v("p/name"), Value::str("WELL-01"));
    assert_eq!(v("p/i32"), Value::I64(-123_456));
    assert_eq!(
        (v("p/coil0"), v("p/coil1"), v("p/di1")),
        (Value::Bool(true), Value::Bool(false), Value::Bool(true))
    );
    assert_eq!(v("p/f32_cdab"), Value::F64(f64::from(123.456f32)));
    assert_eq!(v("p/f32_badc"), Value::F64(2.5));
    assert_eq!(v("p/f32_dcba"), Value::F64(-7.75));

    // Writes land and are confirmed by read-back; a bit write leaves its neighbours alone.
    let id = |n: &str| rt.project.site.tags.id_of(n).unwrap();
    for (name, value) in [
        ("p/setpoint", Value::F64(47.5)),
        ("p/counter_sp", Value::I64(777)),
        ("p/flags5", Value::Bool(true)),
        ("p/coil3", Value::Bool(true)),
    ] {
        rt.commands
            .try_send(HubCommand::OperatorWrite {
                tag: id(name),
                value: value.clone(),
                by: support::engineer(),
            })
            .unwrap();
        wait_for(&rt, &format!("{name} confirmed"), |s| {
            s.events
                .iter()
                .any(|e| e.ok && e.text.starts_with(&format!("{name} = ")))
        });
        wait_for(&rt, &format!("{name} read back"), |s| {
            s.by_name(name).unwrap().value == Some(value.clone())
        });
    }
    assert_eq!(
        rt.snapshot.load().by_name("p/flags6").unwrap().value,
        Some(Value::Bool(false))
    );
    rt.commands
        .try_send(HubCommand::OperatorWrite {
            tag: id("p/counter_sp"),
            value: Value::F64(70_000.0),
            by: support::engineer(),
        })
        .unwrap();
    wait_for(&rt, "unrepresentable write refused", |s| {
        s.events.iter().any(|e| !e.ok && e.text.contains("p/counter_sp"))
    });

    // Peer stops: every tag of every driver goes CommFail; it restarts: all good again.
    drop(peer);
    wait_for(&rt, "CommFail", |s| {
        s.tags.iter().all(|t| t.quality == Quality::Bad(BadReason::CommFail))
    });
    let _peer = start_pymodbus(&python, port);
    wait_for(&rt, "Good after restart", |s| {
        s.tags.iter().all(|t| t.quality.is_good())
    });
    rt.shutdown();
}

#[test]
fn garbage_answers_are_counted_and_survived() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // A "device" that answers every request with bytes that are not a Modbus frame, until told to stop.
    listener.set_nonblocking(true).unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let server = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(60);
            while !stop.load(std::sync::atomic::Ordering::Relaxed) && Instant::now() < deadline {
                match listener.accept() {
                    Ok((mut s, _)) => {
                        let _ = s.set_nonblocking(false);
                        let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
                        let mut buf = [0u8; 260];
                        if s.read(&mut buf).is_ok() {
                            let _ = s.write_all(&[0x00, 0x01, 0x00, 0x07, 0x00, 0x02, 0xFF, 0x99, 0x42, 0x42, 0x42]);
                        }
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        })
    };
    let site = format!(
        "[site]\nname = \"garbage\"\n\n{}{}",
        driver("junk", port, "high-first", "normal"),
        tag("g/x", "junk", "hr:0", "")
    );
    let project = Project::load(ProjectFiles::from_memory([("site.toml".to_owned(), site)])).unwrap();
    let rt = Runtime::start(project, RuntimeOptions::default(), Vec::new(), None).unwrap();
    wait_for(&rt, "errors counted", |s| s.drivers[0].errors >= 2);
    let s = rt.snapshot.load();
    assert_eq!(s.by_name("g/x").unwrap().quality, Quality::Bad(BadReason::CommFail));
    assert!(s.drivers[0].last_error.is_some());
    rt.shutdown();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    server.join().unwrap();
}

/// A serial line made of a pty pair (socat), the two ends linked under `dir`.
struct PtyPair {
    _socat: KillOnDrop,
    a: PathBuf,
    b: PathBuf,
}

fn pty_pair(dir: &std::path::Path) -> Option<PtyPair> {
    let (a, b) = (dir.join("master"), dir.join("device"));
    // Guarded from the start, so a pair that never comes up does not leave socat running.
    let socat = KillOnDrop(
        Command::new("socat")
            .arg(format!("pty,raw,echo=0,link={}", a.display()))
            .arg(format!("pty,raw,echo=0,link={}", b.display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?,
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while !(a.exists() && b.exists()) {
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Some(PtyPair { _socat: socat, a, b })
}

#[test]
fn rtu_over_a_serial_line_to_a_pymodbus_device() {
    let required = std::env::var("WELLCONSOLE_REQUIRE_PEERS").is_ok_and(|v| v == "1");
    let tmp = tempfile::tempdir().unwrap();
    let (Some(python), Some(line)) = (peers_python(), pty_pair(tmp.path())) else {
        assert!(
            !required,
            "pymodbus and socat are required here (WELLCONSOLE_REQUIRE_PEERS=1)"
        );
        eprintln!("skipped: needs .venv-peers and socat");
        return;
    };
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers/modbus_server.py");
    let spawn_device = || {
        KillOnDrop(
            Command::new(&python)
                .arg(&script)
                .args(["--serial", line.b.to_str().unwrap(), "19200"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("pymodbus serial server starts"),
        )
    };
    let device = spawn_device();
    let site = format!(
        "[site]\nname = \"rtu\"\n\n[[driver]]\nname = \"line1\"\nkind = \"modbus-rtu\"\n[driver.modbus]\n\
         device = \"{}\"\nbaud = 19200\nparity = \"none\"\nunit_id = 1\ntimeout_ms = 300\nmax_gap = 0\n\
         poll = [{{ name = \"p\", period_ms = 200 }}]\n\n{}{}{}{}",
        line.a.display(),
        tag("r/u32", "line1", "hr:2:u32", ""),
        tag("r/f64", "line1", "hr:6:f64", ""),
        tag("r/name", "line1", "hr:20:str8", ""),
        tag("r/setpoint", "line1", "hr:30:f32", "writable = true"),
    );
    let project = Project::load(ProjectFiles::from_memory([("site.toml".to_owned(), site)])).expect("valid");
    assert_eq!(project.site.drivers[0].kind.label(), "modbus-rtu");
    let rt = Runtime::start(project, RuntimeOptions::default(), Vec::new(), None).unwrap();
    wait_for(&rt, "every RTU tag good", |s| {
        s.tags.iter().all(|t| t.quality.is_good())
    });
    let s = rt.snapshot.load();
    assert_eq!(s.by_name("r/u32").unwrap().value, Some(Value::I64(100_000)));
    assert_eq!(s.by_name("r/f64").unwrap().value, Some(Value::F64(-9876.5432)));
    assert_eq!(s.by_name("r/name").unwrap().value, Some(Value::str("WELL-01")));
    let sp = rt.project.site.tags.id_of("r/setpoint").unwrap();
    rt.commands
        .try_send(HubCommand::OperatorWrite {
            tag: sp,
            value: Value::F64(12.25),
            by: support::engineer(),
        })
        .unwrap();
    wait_for(&rt, "RTU write confirmed", |s| {
        s.events
            .iter()
            .any(|e| e.ok && e.text.starts_with("r/setpoint = 12.25"))
    });
    // The device goes silent (line still there): timeouts → CommFail; it answers again → Good.
    drop(device);
    wait_for(&rt, "CommFail on a silent line", |s| {
        s.tags.iter().all(|t| t.quality == Quality::Bad(BadReason::CommFail))
    });
    let _device = spawn_device();
    wait_for(&rt, "Good once the device answers", |s| {
        s.tags.iter().all(|t| t.quality.is_good())
    });
    rt.shutdown();
}

const TRIP_RULES: &str = r#"
[[trip]]
id = "w.overpressure"
name = { en = "Wellhead overpressure", es = "Sobrepresión en cabeza" }
when = "w/pressure > 700"
delay_s = 0.3
action = [{ tag = "w/shutdown", value = true }]
"#;

#[test]
fn a_trip_writes_a_coil_on_a_real_modbus_server_and_records_it() {
    let required = std::env::var("WELLCONSOLE_REQUIRE_PEERS").is_ok_and(|v| v == "1");
    let Some(python) = peers_python() else {
        assert!(!required, "pymodbus is required here (WELLCONSOLE_REQUIRE_PEERS=1)");
        eprintln!("skipped: no pymodbus venv (.venv-peers); scripts/test creates it");
        return;
    };
    let port = free_port();
    let _peer = start_pymodbus(&python, port);
    let site = format!(
        "[site]\nname = \"trip peer\"\n\n{}{}{}",
        driver("plc", port, "high-first", "normal"),
        // Writable so the test can raise the pressure through the same server the trip writes to.
        tag("w/pressure", "plc", "hr:40", "writable = true\nunit = \"psi\""),
        tag("w/shutdown", "plc", "coil:3", "writable = true"),
    );
    let project = Project::load(ProjectFiles::from_memory([
        ("site.toml".to_owned(), site),
        ("alarms/trips.toml".to_owned(), TRIP_RULES.to_owned()),
    ]))
    .expect("valid trip project");
    let tmp = tempfile::tempdir().unwrap();
    let trail = wellconsole::auth::audit::AuditTrail {
        path: tmp.path().join("audit.db"),
        key: std::sync::Arc::new(wellconsole::records::SiteKey::random()),
        external: None,
    };
    let opts = RuntimeOptions {
        audit: Some(trail.clone()),
        ..RuntimeOptions::default()
    };
    let rt = Runtime::start(project, opts, Vec::new(), None).unwrap();
    let id = |n: &str| rt.project.site.tags.id_of(n).unwrap();
    rt.commands
        .try_send(HubCommand::OperatorWrite {
            tag: id("w/pressure"),
            value: Value::I64(100),
            by: support::engineer(),
        })
        .unwrap();
    wait_for(&rt, "pressure 100, coil off", |s| {
        s.by_name("w/pressure").and_then(|t| t.value.clone()) == Some(Value::I64(100))
            && s.by_name("w/shutdown").and_then(|t| t.value.clone()) == Some(Value::Bool(false))
    });
    assert!(rt.trips.load().tripped().next().is_none());

    // The pressure rises past the limit: the trip writes coil 3 on the server, and the poll reads it back.
    rt.commands
        .try_send(HubCommand::OperatorWrite {
            tag: id("w/pressure"),
            value: Value::I64(900),
            by: support::engineer(),
        })
        .unwrap();
    wait_for(&rt, "the trip's coil on in the server", |s| {
        s.by_name("w/shutdown").and_then(|t| t.value.clone()) == Some(Value::Bool(true))
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let v = rt.trips.load();
        let t = &v.trips[0];
        if let Some(l) = &t.latch
            && l.outputs[0].status == wellconsole::trip::OutputStatus::Confirmed
        {
            assert!(l.first_out);
            assert_eq!(t.status, wellconsole::trip::TripStatus::Tripped);
            break;
        }
        assert!(Instant::now() < deadline, "trip output never confirmed: {t:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
    rt.shutdown();
    let conn = wellconsole::auth::audit::open(&trail).unwrap();
    let records = wellconsole::auth::audit::recent(&conn, 50).unwrap();
    let actions: Vec<&str> = records.iter().rev().map(|r| r.entry.action.as_str()).collect();
    assert!(actions.contains(&"trip"), "{actions:?}");
    assert!(actions.contains(&"trip output confirmed"), "{actions:?}");
    let trip = records.iter().find(|r| r.entry.action == "trip").unwrap();
    assert_eq!(trip.entry.target, "w.overpressure");
    assert!(trip.entry.detail.contains("w/pressure = 900"), "{}", trip.entry.detail);
    wellconsole::auth::audit::verify(&conn, &trail).unwrap();
}
