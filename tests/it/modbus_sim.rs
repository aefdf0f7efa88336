//! The console reading the demo plant over Modbus TCP from `wellconsole sim --modbus` (our own server,
//! a separate process on 127.0.0.1): values, writes with confirmation, exceptions, loss and recovery.

use crate::support;

use std::process::{Command, Stdio};
use support::{KillOnDrop, free_port, wait_for};
use wellconsole::hub::{HubCommand, Snapshot};
use wellconsole::project::{Project, ProjectFiles};
use wellconsole::runtime::{Runtime, RuntimeOptions};
use wellconsole::tag::{BadReason, Quality, Value};

const EXAMPLE: &str = include_str!("../../examples/modbus-site/site.toml");

fn start_sim(port: u16) -> KillOnDrop {
    KillOnDrop(
        Command::new(env!("CARGO_BIN_EXE_wellconsole"))
            .args([
                "sim",
                "--modbus",
                &format!("127.0.0.1:{port}"),
                "--speed",
                "5",
                "--every",
                "100000",
            ])
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("sim starts"),
    )
}

fn quality(s: &Snapshot, tag: &str) -> Quality {
    s.by_name(tag).unwrap().quality
}

fn value(s: &Snapshot, tag: &str) -> Option<Value> {
    s.by_name(tag).unwrap().value.clone()
}

#[test]
fn example_project_matches_the_register_map() {
    let o = Command::new(env!("CARGO_BIN_EXE_wellconsole"))
        .args(["sim", "--modbus-site-for", "127.0.0.1:5020"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(o.stdout).unwrap(),
        EXAMPLE,
        "regenerate examples/modbus-site/site.toml"
    );
}

#[test]
fn console_reads_writes_and_rides_through_a_server_restart() {
    reads_writes_and_rides_through_a_server_restart(None);
}

/// The same with the poll groups' reads pipelined, 4 in flight: the same values, exceptions, isolated
/// refusal, confirmed writes and recovery.
#[test]
fn pipelined_console_reads_writes_and_rides_through_a_server_restart() {
    reads_writes_and_rides_through_a_server_restart(Some(4));
}

fn reads_writes_and_rides_through_a_server_restart(pipeline: Option<usize>) {
    let port = free_port();
    // A loaded 2-core CI box running every test at once can stall a 500 ms answer; a timeout ends the
    // session (and fails the write in flight), which is right for a plant and not what this test is about.
    let mut site = EXAMPLE
        .replace("127.0.0.1:5020", &format!("127.0.0.1:{port}"))
        .replacen("timeout_ms = 500\n", "timeout_ms = 5000\n", 1);
    assert!(site.contains("timeout_ms = 5000"), "the example's driver table changed");
    if let Some(n) = pipeline {
        site = site.replacen("max_gap = 8\n", &format!("max_gap = 8\npipeline = {n}\n"), 1);
        assert!(site.contains("pipeline = "), "the example's driver table changed");
    }
    // One tag the server does not map: the device answers with an exception for it alone.
    site.push_str("\n[[tag]]\nname = \"x/unmapped\"\ndriver = \"rtu1\"\naddress = \"ir:5000:f32\"\n");
    // One register past the six ESP setpoints (hr 2000..2011), merged into their read: the server refuses
    // that whole block, and the driver must isolate the one tag it lacks.
    site.push_str(
        "\n[[tag]]\nname = \"x/past_the_setpoints\"\ndriver = \"rtu1\"\naddress = \"hr:2012:f32\"\npoll = \"slow\"\n",
    );
    let project = Project::load(ProjectFiles::from_memory([("site.toml".to_owned(), site)])).expect("valid");
    let sim = start_sim(port);
    let rt = Runtime::start(project, RuntimeOptions::default(), Vec::new(), None).unwrap();

    wait_for(&rt, "CT depth over Modbus", |s| quality(s, "ct01/depth").is_good());
    if let Some(n) = pipeline {
        let detail = rt.snapshot.load().drivers[0].detail.clone();
        assert!(
            detail
                .as_deref()
                .is_some_and(|d| d.ends_with(&format!("up to {n} requests in flight"))),
            "the Drivers page says the link pipelines: {detail:?}"
        );
    }
    // The slow poll group (ESPs, separator) comes in on its own schedule.
    wait_for(&rt, "the slow group's first values", |s| {
        ["sep01/well_on_test", "esp01/running", "ct01/trips"]
            .iter()
            .all(|t| quality(s, t).is_good())
    });
    let s = rt.snapshot.load();
    assert!(value(&s, "ct01/depth").unwrap().as_f64().unwrap() >= 2_500.0);
    assert_eq!(value(&s, "ct01/job_phase"), Some(Value::str("RIH")));
    assert_eq!(value(&s, "sep01/well_on_test"), Some(Value::str("esp01")));
    assert_eq!(value(&s, "esp01/running"), Some(Value::Bool(true)));
    assert!(matches!(value(&s, "ct01/trips"), Some(Value::I64(_))));
    wait_for(&rt, "exception for the unmapped address", |s| {
        quality(s, "x/unmapped") == Quality::Bad(BadReason::ConfigError)
    });
    let d = &rt.snapshot.load().drivers[0];
    assert!(d.exceptions > 0 && d.requests.is_some_and(|n| n > 0));
    assert!(
        d.last_error
            .as_deref()
            .is_some_and(|e| e.contains("IllegalDataAddress")),
        "{:?}",
        d.last_error
    );
    assert!(
        quality(&rt.snapshot.load(), "ct01/depth").is_good(),
        "one bad block does not spoil the others"
    );
    wait_for(&rt, "the setpoints good beside the refused register", |s| {
        quality(s, "x/past_the_setpoints") == Quality::Bad(BadReason::ConfigError)
            && (1..=6).all(|k| quality(s, &format!("esp0{k}/frequency_setpoint")).is_good())
    });

    // A setpoint write is confirmed by read-back and the plant follows it.
    let sp = rt.project.site.tags.id_of("esp02/frequency_setpoint").unwrap();
    rt.commands
        .try_send(HubCommand::OperatorWrite {
            tag: sp,
            value: Value::F64(62.5),
            by: support::engineer(),
        })
        .unwrap();
    wait_for(&rt, "write confirmed", |s| {
        s.events
            .iter()
            .any(|e| e.ok && e.text.contains("esp02/frequency_setpoint = 62.5"))
    });
    wait_for(&rt, "VSD ramps to the new frequency", |s| {
        value(s, "esp02/frequency")
            .and_then(|v| v.as_f64())
            .is_some_and(|hz| (hz - 62.5).abs() < 0.01)
    });
    // Out of the drive's range: the device refuses, the operator is told.
    rt.commands
        .try_send(HubCommand::OperatorWrite {
            tag: sp,
            value: Value::F64(90.0),
            by: support::engineer(),
        })
        .unwrap();
    wait_for(&rt, "refused write reported", |s| {
        s.events.iter().any(|e| !e.ok && e.text.contains("IllegalDataValue"))
    });
    // Read-only tags never reach the device.
    let depth = rt.project.site.tags.id_of("ct01/depth").unwrap();
    rt.commands
        .try_send(HubCommand::OperatorWrite {
            tag: depth,
            value: Value::F64(1.0),
            by: support::engineer(),
        })
        .unwrap();
    wait_for(&rt, "read-only write refused", |s| {
        s.events.iter().any(|e| !e.ok && e.text.contains("not writable"))
    });

    // The server dies: every tag goes CommFail; it comes back: Good again.
    drop(sim);
    wait_for(&rt, "CommFail after the server stops", |s| {
        quality(s, "ct01/depth") == Quality::Bad(BadReason::CommFail)
            && quality(s, "esp06/rate") == Quality::Bad(BadReason::CommFail)
    });
    let s = rt.snapshot.load();
    assert_eq!(s.drivers[0].state, wellconsole::driver::DriverState::Failed);
    assert!(
        value(&s, "ct01/depth").is_some(),
        "the last value stays visible, marked"
    );
    let _sim = start_sim(port);
    wait_for(&rt, "Good after reconnecting", |s| {
        quality(s, "ct01/depth").is_good()
            && quality(s, "esp06/rate").is_good()
            && quality(s, "esp06/frequency_setpoint").is_good()
            && quality(s, "x/past_the_setpoints") == Quality::Bad(BadReason::ConfigError)
    });
    rt.shutdown();
}
