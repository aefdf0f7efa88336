//! Calculated tags in a running console: derived on the hub in the scan that brought their inputs (every
//! published snapshot agrees with itself), and a tag like any other for alarms and trips.

use std::time::{Duration, Instant};
use wellconsole::project::{Project, ProjectFiles};
use wellconsole::runtime::{Runtime, RuntimeOptions};
use wellconsole::tag::Value;
use wellconsole::trip::TripStatus;

/// An alarm and a trip on the demo's calculated pump ΔP (far below what the pump makes, so both act).
const ON_CALC: &str = r#"
[[alarm]]
tag = "esp01/pump_dp"
type = "hi"
limit = 10.0
priority = "low"
message = { en = "Pump dP high (test)", es = "dP de la bomba alto (prueba)" }

[[trip]]
id = "test.pump_dp"
name = { en = "Pump dP (test)", es = "dP de la bomba (prueba)" }
when = "esp01/pump_dp > 10 and esp01/hydraulic_hp >= 0"
action = [{ tag = "ct01/shutdown", value = true }]
"#;

fn demo_with_rules() -> Project {
    let demo = ProjectFiles::from_dir(std::path::Path::new(env!("CARGO_MANIFEST_DIR"))).expect("the demo reads");
    let files = demo
        .iter()
        .map(|(rel, text)| (rel.to_owned(), text.to_owned()))
        .chain([("alarms/calc_test.toml".to_owned(), ON_CALC.to_owned())]);
    Project::load(ProjectFiles::from_memory(files)).expect("the demo with rules on calculated tags loads")
}

fn f64_of(v: &Option<Value>) -> Option<f64> {
    v.as_ref()?.as_f64()
}

#[test]
fn calculated_tags_agree_with_their_inputs_in_every_snapshot_and_alarm_and_trip_like_any_tag() {
    let opts = RuntimeOptions {
        speed: Some(10.0),
        ..RuntimeOptions::default()
    };
    let rt = Runtime::start(demo_with_rules(), opts, Vec::new(), None).unwrap();
    crate::support::wait_for(&rt, "pump ΔP computed", |s| {
        s.by_name("esp01/pump_dp").is_some_and(|t| t.quality.is_good())
    });
    // Snapshot after snapshot, the derived value is exactly its inputs' difference: it was applied in the
    // scan that brought them, before the hub published.
    let until = Instant::now() + Duration::from_secs(2);
    let mut seen = 0;
    let mut last_seq = 0;
    while Instant::now() < until {
        let snap = rt.snapshot.load();
        if snap.seq != last_seq {
            last_seq = snap.seq;
            let dp = f64_of(&snap.by_name("esp01/pump_dp").unwrap().value).unwrap();
            let discharge = f64_of(&snap.by_name("esp01/discharge_pressure").unwrap().value).unwrap();
            let intake = f64_of(&snap.by_name("esp01/intake_pressure").unwrap().value).unwrap();
            assert_eq!(dp, discharge - intake, "snapshot {}", snap.seq);
            seen += 1;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(seen > 5, "{seen} snapshots looked at");
    let calc = rt
        .snapshot
        .load()
        .drivers
        .iter()
        .find(|d| d.name == "calc")
        .cloned()
        .expect("a calc driver");
    assert!(
        calc.samples_in > 0,
        "what the engine makes is counted on the calc driver"
    );
    // The alarm and the trip on it act.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !rt
        .alarms
        .view
        .load()
        .rows
        .iter()
        .any(|r| &*r.def.id == "esp01/pump_dp:HI")
    {
        assert!(Instant::now() < deadline, "the alarm on a calculated tag never came in");
        std::thread::sleep(Duration::from_millis(50));
    }
    let tripped = |rt: &Runtime| {
        rt.trips
            .load()
            .trips
            .iter()
            .any(|t| &*t.def.id == "test.pump_dp" && t.status == TripStatus::Tripped)
    };
    while !tripped(&rt) {
        assert!(Instant::now() < deadline, "the trip on calculated tags never latched");
        std::thread::sleep(Duration::from_millis(50));
    }
    rt.shutdown();
}
