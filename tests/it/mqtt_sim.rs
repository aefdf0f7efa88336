//! The console reading the demo plant through Mosquitto from `wellconsole sim --mqtt` (our own edge
//! node, a separate process): Sparkplug B for the CT unit and ESPs, JSON for the separator, a setpoint
//! written through DCMD and followed by the plant, simulated sensor and communication faults.

use crate::support;

use std::process::{Command, Stdio};
use support::{KillOnDrop, free_port, start_mosquitto, wait_for};
use wellconsole::hub::{HubCommand, Snapshot};
use wellconsole::project::{Project, ProjectFiles};
use wellconsole::runtime::{Runtime, RuntimeOptions};
use wellconsole::tag::{BadReason, Quality, Value};

const EXAMPLE: &str = include_str!("../../examples/mqtt-site/site.toml");

fn quality(s: &Snapshot, tag: &str) -> Quality {
    s.by_name(tag).unwrap().quality
}

fn value(s: &Snapshot, tag: &str) -> Option<Value> {
    s.by_name(tag).unwrap().value.clone()
}

#[test]
fn example_project_matches_the_publisher() {
    let o = Command::new(env!("CARGO_BIN_EXE_wellconsole"))
        .args(["sim", "--mqtt-site-for", "127.0.0.1:1883"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(o.stdout).unwrap(),
        EXAMPLE,
        "regenerate examples/mqtt-site/site.toml"
    );
}

#[test]
fn console_reads_the_simulator_over_sparkplug_and_json() {
    let Some(bin) = support::mosquitto_or_skip() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let port = free_port();
    let _broker = start_mosquitto(&bin, tmp.path(), port);
    let broker = format!("127.0.0.1:{port}");
    let site = EXAMPLE.replace("127.0.0.1:1883", &broker);
    let project = Project::load(ProjectFiles::from_memory([("site.toml".to_owned(), site)])).expect("valid");
    let rt = Runtime::start(project, RuntimeOptions::default(), Vec::new(), None).unwrap();
    wait_for(&rt, "connected", |s| {
        s.drivers[0].state == wellconsole::driver::DriverState::Running
    });
    let _sim = KillOnDrop(
        Command::new(env!("CARGO_BIN_EXE_wellconsole"))
            .args(["sim", "--mqtt", &broker, "--speed", "5", "--every", "100000"])
            .args(["--fault", "sensor-fail:ct01/weight@0", "--fault", "comm-loss:esp03@20"])
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("sim starts"),
    );

    wait_for(&rt, "CT over Sparkplug, separator over JSON", |s| {
        quality(s, "ct01/depth").is_good() && quality(s, "sep01/pressure").is_good()
    });
    let s = rt.snapshot.load();
    assert!(value(&s, "ct01/depth").unwrap().as_f64().unwrap() >= 2_500.0);
    assert_eq!(value(&s, "ct01/job_phase"), Some(Value::str("RIH")));
    assert_eq!(value(&s, "sep01/well_on_test"), Some(Value::str("esp01")));
    assert_eq!(value(&s, "esp01/running"), Some(Value::Bool(true)));
    assert!(matches!(value(&s, "ct01/trips"), Some(Value::I64(_))));
    assert_eq!(
        quality(&s, "ct01/weight"),
        Quality::Bad(BadReason::SensorFail),
        "a failed sensor is published as a null metric"
    );

    // A setpoint written through DCMD, confirmed by the DDATA read-back, followed by the drive.
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

    // The simulated comm loss of one well is a DDEATH: that well goes CommFail, the others stay good.
    wait_for(&rt, "esp03 lost", |s| {
        quality(s, "esp03/motor_temp") == Quality::Bad(BadReason::CommFail)
    });
    let s = rt.snapshot.load();
    assert!(quality(&s, "esp02/motor_temp").is_good());
    assert!(quality(&s, "ct01/depth").is_good());
    rt.shutdown();
}
