//! The alarm state machine, transition by transition, with a controlled clock.

use super::engine::{AlarmCommand, AlarmEngine, FLOOD_THRESHOLD};
use super::state::{AlarmState, EventKind};
use crate::auth::{Actor, Role};
use crate::project::ProjectFiles;
use crate::tag::{
    BadReason, DriverId, Quality, Sample, TagDef, TagDirectory, TagId, TagTable, Timestamp, Value, ValueKind,
};
use AlarmState::*;
use std::sync::Arc;
use std::time::Duration;

/// The console's command type as far as these tests need it: the alarm system's commands.
#[derive(Debug, Clone, PartialEq)]
enum Service {
    Alarm(AlarmCommand),
}

impl crate::hub::ServiceCommand for Service {}

impl crate::hub::Carries<AlarmCommand> for Service {
    fn carried(&self) -> Option<&AlarmCommand> {
        match self {
            Service::Alarm(c) => Some(c),
        }
    }
}

const T0: i64 = 1_795_000_000_000_000;

fn at(secs: f64) -> Timestamp {
    Timestamp(T0 + (secs * 1e6) as i64)
}

fn directory() -> Arc<TagDirectory> {
    let mk = |i: u32, name: &str, kind| TagDef {
        id: TagId(i),
        name: name.into(),
        description: String::new(),
        description_es: String::new(),
        label: Default::default(),
        unit: "psi".into(),
        kind,
        range: None,
        decimals: 1,
        driver: DriverId(0),
        address: name.into(),
        stale_after: Duration::from_secs(3600),
        writable: false,
        history: Default::default(),
    };
    Arc::new(TagDirectory::new(vec![
        mk(0, "w1/p", ValueKind::F64),
        mk(1, "w1/sp", ValueKind::F64),
        mk(2, "w1/running", ValueKind::Bool),
        mk(3, "w1/phase", ValueKind::String),
        mk(4, "w1/q", ValueKind::F64),
        mk(5, "w2/p", ValueKind::F64),
    ]))
}

pub(super) fn load(alarms: &str, dir: &TagDirectory) -> super::AlarmSet {
    let files = ProjectFiles::from_memory([("alarms/test.toml".to_owned(), alarms.to_owned())]);
    match crate::project::alarms::load(&files, dir) {
        Ok(s) => s,
        Err(e) => panic!("{}", e.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")),
    }
}

struct Rig {
    table: TagTable,
    engine: AlarmEngine,
}

fn op() -> Actor {
    Actor::new("ana", Role::Operator)
}

impl Rig {
    fn new(alarms: &str) -> Self {
        let dir = directory();
        let set = load(alarms, &dir);
        Self {
            table: TagTable::new(dir),
            engine: AlarmEngine::new(Arc::new(set)),
        }
    }

    fn apply(&mut self, s: Sample, t: f64) {
        let u = self.table.apply(&s, at(t)).expect("known tag");
        self.engine.on_updates(&[u], &self.table);
    }

    fn set(&mut self, tag: &str, v: impl Into<Value>, t: f64) {
        let id = self.table.directory().id_of(tag).expect("tag");
        self.apply(Sample::good(id, v.into(), at(t)), t);
    }

    fn bad(&mut self, tag: &str, t: f64) {
        let id = self.table.directory().id_of(tag).expect("tag");
        self.apply(Sample::bad(id, BadReason::CommFail, at(t)), t);
    }

    fn tick(&mut self, t: f64) {
        self.engine.on_tick(at(t));
    }

    fn cmd(&mut self, c: AlarmCommand, t: f64) {
        self.engine.command(c, at(t));
    }

    fn ack(&mut self, id: &str, t: f64) {
        self.cmd(
            AlarmCommand::Acknowledge {
                ids: vec![id.into()],
                by: op(),
                comment: String::new(),
            },
            t,
        );
    }

    fn state(&self, id: &str) -> AlarmState {
        self.engine.state_of(id).expect("alarm id")
    }

    fn events(&mut self) -> Vec<(EventKind, String)> {
        self.engine
            .drain_events()
            .map(|e| (e.kind, e.alarm.map_or_else(String::new, |d| d.id.to_string())))
            .collect()
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::F64(v)
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}

const HI: &str = r#"
[[alarm]]
tag = "w1/p"
type = "hi"
limit = 100.0
deadband = 2.0
priority = "high"
message = { en = "P high", es = "P alta" }
"#;

/// One step of a scenario: what happens at a time, and the state after it.
enum Step {
    Set(f64, f64),
    Bad(f64),
    Ack(f64),
    Tick(f64),
}

fn run(alarms: &str, id: &str, steps: &[(Step, AlarmState)]) {
    let mut r = Rig::new(alarms);
    for (n, (step, want)) in steps.iter().enumerate() {
        match *step {
            Step::Set(t, v) => r.set("w1/p", v, t),
            Step::Bad(t) => r.bad("w1/p", t),
            Step::Ack(t) => r.ack(id, t),
            Step::Tick(t) => r.tick(t),
        }
        assert_eq!(r.state(id), *want, "step {n}");
    }
}

#[test]
fn limit_alarm_transitions() {
    use Step::*;
    let cases: Vec<(&str, Vec<(Step, AlarmState)>)> = vec![
        (
            "active, ack, deadband holds, return",
            vec![
                (Set(0.0, 50.0), Normal),
                (Set(1.0, 100.0), ActiveUnacked),
                (Ack(2.0), ActiveAcked),
                (Set(3.0, 98.5), ActiveAcked),
                (Set(4.0, 97.9), Normal),
            ],
        ),
        (
            "return before ack, then ack",
            vec![
                (Set(0.0, 101.0), ActiveUnacked),
                (Set(1.0, 90.0), ReturnedUnacked),
                (Ack(2.0), Normal),
            ],
        ),
        (
            "returned-unacked comes back active",
            vec![
                (Set(0.0, 101.0), ActiveUnacked),
                (Set(1.0, 90.0), ReturnedUnacked),
                (Set(2.0, 105.0), ActiveUnacked),
            ],
        ),
        (
            "ack on a normal alarm changes nothing",
            vec![(Set(0.0, 10.0), Normal), (Ack(1.0), Normal)],
        ),
        (
            "bad input freezes a limit alarm",
            vec![
                (Set(0.0, 101.0), ActiveUnacked),
                (Bad(1.0), ActiveUnacked),
                (Set(2.0, 50.0), ReturnedUnacked),
            ],
        ),
    ];
    for (name, steps) in cases {
        eprintln!("case: {name}");
        run(HI, "w1/p:HI", &steps);
    }
}

#[test]
fn latching_needs_ack_after_return() {
    use Step::*;
    let alarms = HI.replace("priority", "latching = true\npriority");
    run(
        &alarms,
        "w1/p:HI",
        &[
            (Set(0.0, 101.0), ActiveUnacked),
            (Ack(1.0), ActiveAcked),
            (Set(2.0, 50.0), ReturnedUnacked),
            (Ack(3.0), Normal),
        ],
    );
}

#[test]
fn on_and_off_delays() {
    use Step::*;
    let alarms = HI.replace("priority", "on_delay_s = 2.0\noff_delay_s = 3.0\npriority");
    run(
        &alarms,
        "w1/p:HI",
        &[
            // A blip shorter than the on-delay never alarms.
            (Set(0.0, 101.0), Normal),
            (Set(1.0, 50.0), Normal),
            (Tick(5.0), Normal),
            // Held: activates when the delay is over, by tick (no new sample needed).
            (Set(10.0, 101.0), Normal),
            (Tick(11.9), Normal),
            (Tick(12.0), ActiveUnacked),
            // Off-delay: back below for less than 3 s and above again: still the same activation.
            (Set(13.0, 50.0), ActiveUnacked),
            (Tick(15.0), ActiveUnacked),
            (Set(15.5, 101.0), ActiveUnacked),
            (Set(16.0, 50.0), ActiveUnacked),
            (Tick(18.9), ActiveUnacked),
            (Tick(19.0), ReturnedUnacked),
        ],
    );
}

#[test]
fn low_deviation_rate_state_and_quality_kinds() {
    let alarms = r#"
[[alarm]]
tag = "w1/p"
type = "lolo"
limit = 10.0
deadband = 1.0
priority = "critical"
message = { en = "P lolo", es = "P muy baja" }

[[alarm]]
tag = "w1/q"
type = "deviation"
setpoint = "w1/sp"
limit = 10.0
priority = "medium"
message = { en = "Q off setpoint", es = "Q fuera de consigna" }

[[alarm]]
tag = "w2/p"
type = "rate"
limit = 60.0
rate_window_s = 10.0
priority = "low"
message = { en = "P rising", es = "P sube" }

[[alarm]]
tag = "w1/phase"
type = "state"
state = "STUCK"
priority = "high"
message = { en = "Stuck", es = "Pegada" }

[[alarm]]
tag = "w1/running"
type = "bad-quality"
priority = "diagnostic"
message = { en = "No comms", es = "Sin comunicación" }
"#;
    let mut r = Rig::new(alarms);
    r.set("w1/p", 10.5, 0.0);
    assert_eq!(r.state("w1/p:LOLO"), Normal);
    r.set("w1/p", 10.0, 1.0);
    assert_eq!(r.state("w1/p:LOLO"), ActiveUnacked);
    r.set("w1/p", 10.9, 2.0);
    assert_eq!(r.state("w1/p:LOLO"), ActiveUnacked, "inside the deadband");
    r.set("w1/p", 11.1, 3.0);
    assert_eq!(r.state("w1/p:LOLO"), ReturnedUnacked);

    r.set("w1/sp", 50.0, 0.0);
    r.set("w1/q", 61.0, 1.0);
    assert_eq!(r.state("w1/q:DEV"), ActiveUnacked);
    // The setpoint moves to the value: the alarm returns on the setpoint's update alone.
    r.set("w1/sp", 60.0, 2.0);
    assert_eq!(r.state("w1/q:DEV"), ReturnedUnacked);
    r.set("w1/q", 49.0, 3.0);
    assert_eq!(r.state("w1/q:DEV"), ActiveUnacked, "below the setpoint counts too");

    r.set("w2/p", 0.0, 0.0);
    r.set("w2/p", 5.0, 10.0); // 30 /min
    assert_eq!(r.state("w2/p:ROC"), Normal);
    r.set("w2/p", 20.0, 20.0); // 90 /min
    assert_eq!(r.state("w2/p:ROC"), ActiveUnacked);
    r.set("w2/p", 21.0, 30.0); // 6 /min
    assert_eq!(r.state("w2/p:ROC"), ReturnedUnacked);

    let id = r.table.directory().id_of("w1/phase").unwrap();
    r.apply(Sample::good(id, Value::str("RIH"), at(0.0)), 0.0);
    assert_eq!(r.state("w1/phase:STATE"), Normal);
    r.apply(Sample::good(id, Value::str("STUCK"), at(1.0)), 1.0);
    assert_eq!(r.state("w1/phase:STATE"), ActiveUnacked);

    r.set("w1/running", true, 0.0);
    assert_eq!(r.state("w1/running:BADPV"), Normal);
    r.bad("w1/running", 1.0);
    assert_eq!(r.state("w1/running:BADPV"), ActiveUnacked);
    r.set("w1/running", true, 2.0);
    assert_eq!(r.state("w1/running:BADPV"), ReturnedUnacked);
}

const SUPPRESSED: &str = r#"
[[alarm]]
tag = "w1/q"
type = "lo"
limit = 100.0
priority = "medium"
message = { en = "Low flow", es = "Bajo caudal" }
suppress_when = "w1/running == false"
suppress_release_s = 5.0
"#;

#[test]
fn suppression_by_design_hides_and_releases_after_its_delay() {
    let mut r = Rig::new(SUPPRESSED);
    r.set("w1/running", true, 0.0);
    r.set("w1/q", 500.0, 0.0);
    r.set("w1/running", false, 1.0);
    assert_eq!(r.state("w1/q:LO"), SuppressedByDesign);
    r.set("w1/q", 0.0, 2.0); // the pump stopped: no flow, and no alarm
    assert_eq!(r.state("w1/q:LO"), SuppressedByDesign);
    r.set("w1/running", true, 10.0);
    r.tick(14.9);
    assert_eq!(r.state("w1/q:LO"), SuppressedByDesign, "release delay still running");
    r.tick(15.0);
    assert_eq!(
        r.state("w1/q:LO"),
        ActiveUnacked,
        "still no flow 5 s after the start: annunciated"
    );
    let kinds: Vec<EventKind> = r.events().into_iter().map(|e| e.0).collect();
    assert_eq!(
        kinds,
        vec![EventKind::Suppressed, EventKind::Activated, EventKind::Unsuppressed]
    );
    // A bad suppressing input does not hide the alarm: unknown is not "stopped".
    let mut r = Rig::new(SUPPRESSED);
    r.bad("w1/running", 0.0);
    r.set("w1/q", 0.0, 1.0);
    assert_eq!(r.state("w1/q:LO"), ActiveUnacked);
}

#[test]
fn shelving_is_timed_needs_a_reason_and_the_role() {
    let alarms = HI.replace("priority", "max_shelve_h = 1.0\npriority");
    let mut r = Rig::new(&alarms);
    r.set("w1/p", 150.0, 0.0);
    let shelve = |mins: u64, reason: &str, by: Actor| AlarmCommand::Shelve {
        id: "w1/p:HI".into(),
        duration: Duration::from_secs(mins * 60),
        reason: reason.into(),
        by,
    };
    r.events();
    r.cmd(shelve(30, " ", op()), 1.0);
    r.cmd(shelve(120, "sensor check", op()), 1.0);
    r.cmd(shelve(30, "sensor check", Actor::new("v", Role::Viewer)), 1.0);
    assert_eq!(r.state("w1/p:HI"), ActiveUnacked);
    let refused = r.events();
    assert_eq!(refused.len(), 3);
    assert!(refused.iter().all(|e| e.0 == EventKind::Refused));
    r.cmd(shelve(30, "sensor check", op()), 2.0);
    assert_eq!(r.state("w1/p:HI"), Shelved);
    let shelf = r.engine.rows()[0].shelf.clone().expect("a shelf");
    assert_eq!(
        (shelf.at, shelf.until, shelf.by.as_str(), shelf.reason.as_str()),
        (at(2.0), at(2.0 + 30.0 * 60.0), "ana", "sensor check"),
        "when it was shelved, not when it last activated"
    );
    // While shelved it still follows the process: it returns and comes back unseen.
    r.set("w1/p", 10.0, 100.0);
    r.set("w1/p", 150.0, 200.0);
    assert_eq!(r.state("w1/p:HI"), Shelved);
    r.tick(2.0 + 30.0 * 60.0 - 0.5);
    assert_eq!(r.state("w1/p:HI"), Shelved);
    r.tick(2.0 + 30.0 * 60.0);
    assert_eq!(
        r.state("w1/p:HI"),
        ActiveUnacked,
        "back by itself, still active: annunciated again"
    );
    assert!(r.events().iter().any(|e| e.0 == EventKind::Unshelved));
    // Manual unshelve of an alarm that is normal by then.
    r.cmd(shelve(10, "nuisance", op()), 3_000.0);
    r.set("w1/p", 10.0, 3_001.0);
    r.cmd(
        AlarmCommand::Unshelve {
            id: "w1/p:HI".into(),
            by: op(),
        },
        3_002.0,
    );
    assert_eq!(r.state("w1/p:HI"), Normal);
    // An alarm marked not shelvable refuses.
    let mut r = Rig::new(&HI.replace("priority", "shelvable = false\npriority"));
    r.set("w1/p", 150.0, 0.0);
    r.cmd(shelve(5, "x", op()), 1.0);
    assert_eq!(r.state("w1/p:HI"), ActiveUnacked);
}

#[test]
fn the_alarm_value_is_the_reading_at_activation_while_the_reading_moves_on() {
    let mut r = Rig::new(HI);
    r.set("w1/p", 150.0, 0.0);
    r.set("w1/p", 170.0, 1.0);
    r.set("w1/p", 10.0, 2.0);
    let row = r.engine.rows()[0].clone();
    assert_eq!(row.state, ReturnedUnacked);
    assert_eq!(row.alarm_value, Some(Value::F64(150.0)), "the value at alarm time");
    assert_eq!(row.value, Some(Value::F64(10.0)), "the last reading");
    // A new activation takes a new alarm value.
    r.ack("w1/p:HI", 3.0);
    r.set("w1/p", 130.0, 4.0);
    assert_eq!(r.engine.rows()[0].alarm_value, Some(Value::F64(130.0)));
}

#[test]
fn out_of_service_needs_a_supervisor_and_every_refusal_is_journaled() {
    let mut r = Rig::new(HI);
    r.set("w1/p", 150.0, 0.0);
    r.events();
    let oos = |by: Actor| AlarmCommand::RemoveFromService {
        id: "w1/p:HI".into(),
        reason: "transmitter replaced".into(),
        by,
    };
    r.cmd(oos(op()), 1.0);
    assert_eq!(r.state("w1/p:HI"), ActiveUnacked);
    let viewer = Actor::new("vic", Role::Viewer);
    r.cmd(
        AlarmCommand::Acknowledge {
            ids: vec!["w1/p:HI".into()],
            by: viewer,
            comment: String::new(),
        },
        1.0,
    );
    assert_eq!(r.state("w1/p:HI"), ActiveUnacked, "a viewer cannot acknowledge");
    let ev: Vec<_> = r.engine.drain_events().collect();
    assert_eq!(ev.len(), 2);
    assert!(ev.iter().all(|e| e.kind == EventKind::Refused));
    assert_eq!(ev[0].by, Some(op()));
    assert_eq!(ev[1].by, Some(Actor::new("vic", Role::Viewer)));
    let sup = Actor::new("sam", Role::Supervisor);
    r.cmd(oos(sup.clone()), 2.0);
    assert_eq!(r.state("w1/p:HI"), OutOfService);
    r.set("w1/p", 10.0, 3.0);
    r.cmd(
        AlarmCommand::ReturnToService {
            id: "w1/p:HI".into(),
            by: sup.clone(),
        },
        4.0,
    );
    assert_eq!(r.state("w1/p:HI"), Normal);
    r.cmd(oos(sup.clone()), 5.0);
    r.set("w1/p", 150.0, 6.0);
    r.cmd(
        AlarmCommand::ReturnToService {
            id: "w1/p:HI".into(),
            by: sup,
        },
        7.0,
    );
    assert_eq!(
        r.state("w1/p:HI"),
        ActiveUnacked,
        "returned to service while active: annunciated"
    );
}

#[test]
fn first_out_marks_the_start_of_a_cascade_per_asset() {
    let alarms = r#"
[[alarm]]
tag = "w1/p"
type = "hi"
limit = 100.0
priority = "high"
message = { en = "a", es = "a" }

[[alarm]]
tag = "w1/q"
type = "lo"
limit = 10.0
priority = "high"
message = { en = "b", es = "b" }

[[alarm]]
tag = "w2/p"
type = "hi"
limit = 100.0
priority = "high"
message = { en = "c", es = "c" }
"#;
    let mut r = Rig::new(alarms);
    r.set("w1/q", 50.0, 0.0);
    r.set("w1/p", 150.0, 1.0);
    r.set("w1/q", 5.0, 2.0);
    r.set("w2/p", 150.0, 3.0);
    let fo = |r: &Rig, id: &str| r.engine.rows().iter().find(|x| &*x.def.id == id).unwrap().first_out;
    assert!(fo(&r, "w1/p:HI"));
    assert!(!fo(&r, "w1/q:LO"), "second in the same asset");
    assert!(fo(&r, "w2/p:HI"), "another asset has its own first-out");
}

#[test]
fn flood_counts_new_alarms_in_ten_minutes() {
    let mut r = Rig::new(HI);
    for k in 0..=FLOOD_THRESHOLD {
        let t = k as f64 * 10.0;
        r.set("w1/p", 150.0, t);
        r.set("w1/p", 10.0, t + 1.0);
    }
    assert_eq!(r.engine.recent_activations(), FLOOD_THRESHOLD + 1);
    r.tick(10.0 * FLOOD_THRESHOLD as f64 + 601.0);
    assert_eq!(r.engine.recent_activations(), 0, "older than 10 minutes");
}

#[test]
fn banner_order_is_unacked_then_priority_then_newest() {
    let alarms = r#"
[[alarm]]
tag = "w1/p"
type = "hi"
limit = 100.0
priority = "low"
message = { en = "a", es = "a" }

[[alarm]]
tag = "w1/q"
type = "hi"
limit = 100.0
priority = "critical"
message = { en = "b", es = "b" }

[[alarm]]
tag = "w2/p"
type = "hi"
limit = 100.0
priority = "low"
message = { en = "c", es = "c" }
"#;
    let mut r = Rig::new(alarms);
    r.set("w1/q", 150.0, 0.0);
    r.set("w1/p", 150.0, 1.0);
    r.set("w2/p", 150.0, 2.0);
    r.ack("w1/q:HI", 3.0);
    let order: Vec<String> = r.engine.rows().iter().map(|x| x.def.id.to_string()).collect();
    assert_eq!(order, vec!["w2/p:HI", "w1/p:HI", "w1/q:HI"]);
}

#[test]
fn state_survives_a_restart_and_a_reload() {
    let both = format!(
        "{HI}\n{}",
        r#"
[[alarm]]
tag = "w2/p"
type = "hi"
limit = 100.0
priority = "low"
message = { en = "c", es = "c" }
"#
    );
    let mut r = Rig::new(&both);
    r.set("w1/p", 150.0, 0.0);
    r.ack("w1/p:HI", 1.0);
    r.set("w2/p", 150.0, 2.0);
    r.cmd(
        AlarmCommand::Shelve {
            id: "w2/p:HI".into(),
            duration: Duration::from_secs(600),
            reason: "r".into(),
            by: op(),
        },
        3.0,
    );
    let saved: Vec<_> = r
        .engine
        .set()
        .points
        .iter()
        .filter_map(|d| r.engine.persisted(d))
        .collect();
    let dir = directory();
    let mut e2 = AlarmEngine::new(Arc::new(load(&both, &dir)));
    e2.restore(saved);
    assert_eq!(e2.state_of("w1/p:HI"), Some(ActiveAcked));
    assert_eq!(e2.state_of("w2/p:HI"), Some(Shelved));
    e2.on_tick(at(3.0 + 600.0));
    assert_eq!(
        e2.state_of("w2/p:HI"),
        Some(ActiveUnacked),
        "the shelf ran out while down"
    );

    // Reload: an unchanged id keeps its state; a removed one is gone; a new one starts normal.
    let new = HI.replace("priority = \"high\"", "priority = \"critical\"")
        + r#"
[[alarm]]
tag = "w1/q"
type = "lo"
limit = 10.0
priority = "low"
message = { en = "q", es = "q" }
"#;
    r.events();
    r.cmd(AlarmCommand::Reload(Arc::new(load(&new, &dir))), 10.0);
    assert_eq!(r.state("w1/p:HI"), ActiveAcked);
    assert_eq!(
        r.engine.rows()[0].def.priority,
        super::Priority::Critical,
        "new definition in force"
    );
    assert_eq!(r.engine.state_of("w2/p:HI"), None);
    assert_eq!(r.state("w1/q:LO"), Normal);
    let ev: Vec<_> = r.engine.drain_events().collect();
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].kind, EventKind::Reconfigured);
    assert_eq!(ev[0].comment, "2 alarm points: 1 added, 1 removed, 1 changed");
}

#[test]
fn comm_loss_of_a_stale_tag_counts_as_bad_quality() {
    let alarms = r#"
[[alarm]]
tag = "w1/p"
type = "bad-quality"
priority = "medium"
on_delay_s = 2.0
message = { en = "bad", es = "mala" }
"#;
    let mut r = Rig::new(alarms);
    r.set("w1/p", 1.0, 0.0);
    let id = r.table.directory().id_of("w1/p").unwrap();
    r.apply(
        Sample {
            tag: id,
            value: None,
            quality: Quality::Bad(BadReason::Stale),
            source_ts: at(1.0),
        },
        1.0,
    );
    assert_eq!(r.state("w1/p:BADPV"), Normal, "on-delay");
    r.tick(3.0);
    assert_eq!(r.state("w1/p:BADPV"), ActiveUnacked);
}

#[test]
fn a_sample_that_raises_an_alarm_is_published_with_the_snapshot_that_carries_it() {
    use crate::driver::SampleBatch;
    use crate::hub::{CommandLanes, Hub, HubCommand};
    let dir = directory();
    let service = super::AlarmService::new(AlarmEngine::new(Arc::new(load(HI, &dir))), None);
    let view = service.view_cell();
    let mut hub: Hub<Service> = Hub::new(dir, Vec::new(), CommandLanes::closed());
    hub.subscribe(Box::new(service));
    let snaps = hub.snapshot_cell();
    hub.apply_batch(
        SampleBatch::new(DriverId(0), vec![Sample::good(TagId(0), Value::F64(150.0), at(0.0))]),
        at(0.0),
    );
    hub.flush_updates();
    assert!(view.load().rows.is_empty(), "nothing is shown before the hub publishes");
    hub.publish(at(0.0));
    // The same publication: the frame that first shows 150 psi also shows its alarm.
    assert_eq!(snaps.load().tags[0].value, Some(Value::F64(150.0)));
    let v = view.load();
    assert_eq!(v.rows.len(), 1);
    assert_eq!(v.rows[0].state, ActiveUnacked);
    assert_eq!(v.counts.unacked[super::Priority::High.index()], 1);
    assert_eq!(
        v.tag_marks.get(&TagId(0)),
        Some(&(super::Priority::High, ActiveUnacked))
    );
    // Operator commands reach the engine through the hub's command path.
    hub.handle_command(HubCommand::Service(Service::Alarm(AlarmCommand::Acknowledge {
        ids: vec!["w1/p:HI".into()],
        by: op(),
        comment: "seen".into(),
    })));
    hub.publish(at(1.0));
    assert_eq!(view.load().rows[0].state, ActiveAcked);
}

#[test]
fn the_journal_keeps_every_event_and_the_state_across_a_restart() {
    use super::journal::{self, JournalQuery, JournalRecord, JournalWriter};
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("alarms.db");
    let dir = directory();
    let set = Arc::new(load(HI, &dir));
    {
        let (writer, tx, saved) = JournalWriter::start(&path).unwrap();
        assert!(saved.is_empty());
        let mut r = Rig::new(HI);
        r.set("w1/p", 150.0, 0.0);
        r.ack("w1/p:HI", 1.0);
        r.set("w1/p", 10.0, 2.0);
        r.set("w1/p", 160.0, 3.0);
        r.cmd(
            AlarmCommand::Shelve {
                id: "w1/p:HI".into(),
                duration: Duration::from_secs(3600),
                reason: "valve work".into(),
                by: op(),
            },
            4.0,
        );
        let events: Vec<_> = r.engine.drain_events().collect();
        for event in events {
            let state = event.alarm.as_ref().and_then(|d| r.engine.persisted(d));
            tx.send(JournalRecord { event, state }).unwrap();
        }
        drop(tx);
        writer.stop();
    }
    let (writer, tx, saved) = JournalWriter::start(&path).unwrap();
    drop(tx);
    writer.stop();
    let mut engine = AlarmEngine::new(set);
    engine.restore(saved);
    assert_eq!(engine.state_of("w1/p:HI"), Some(AlarmState::Shelved));
    let row = engine.rows()[0].clone();
    let shelf = row.shelf.expect("still shelved");
    assert_eq!(
        (shelf.at, shelf.until),
        (at(4.0), at(4.0 + 3600.0)),
        "when it was shelved survives a restart"
    );
    assert_eq!(
        row.alarm_value,
        Some(Value::F64(160.0)),
        "the value at the newest activation, read back from the journal"
    );
    let conn = journal::open_reader(&path).unwrap();
    let all = journal::search(
        &conn,
        &JournalQuery {
            from: at(-1.0),
            to: at(10.0),
            text: String::new(),
            limit: 100,
        },
    )
    .unwrap();
    let kinds: Vec<EventKind> = all.iter().rev().map(|r| r.kind).collect();
    use EventKind::*;
    assert_eq!(kinds, vec![Activated, Acknowledged, Returned, Activated, Shelved]);
    assert_eq!(all[0].user.as_deref(), Some("ana"));
    assert!(all[0].comment.contains("valve work"));
    assert_eq!(all.last().unwrap().value.as_deref(), Some("f:150"));
    assert_eq!(all.last().unwrap().message_es.as_deref(), Some("P alta"));
    let found = journal::search(
        &conn,
        &JournalQuery {
            from: at(-1.0),
            to: at(10.0),
            text: "VALVE ana".into(),
            limit: 100,
        },
    )
    .unwrap();
    assert_eq!(found.len(), 1, "all words, any case");
    let acts = journal::activations(&conn, at(-1.0), at(10.0)).unwrap();
    assert_eq!(acts.len(), 2);
    assert_eq!(journal::standing(&conn).unwrap().len(), 1);
}

#[test]
fn operator_actions_on_alarms_and_refusals_reach_the_audit_trail() {
    use crate::auth::audit::{self, AuditWriter};
    use crate::hub::Subscriber;
    let tmp = tempfile::tempdir().unwrap();
    let trail = audit::AuditTrail {
        path: tmp.path().join("audit.db"),
        key: Arc::new(crate::records::SiteKey::random()),
        external: None,
    };
    let (writer, tx) = AuditWriter::start(&trail).unwrap();
    let dir = directory();
    let mut table = TagTable::new(dir.clone());
    let mut service = super::AlarmService::new(AlarmEngine::new(Arc::new(load(HI, &dir))), None).with_audit(tx);
    let u = table
        .apply(&Sample::good(TagId(0), Value::F64(150.0), at(0.0)), at(0.0))
        .unwrap();
    service.on_updates(&[u], &table);
    let act = Service::Alarm;
    Subscriber::<Service>::on_command(
        &mut service,
        &act(AlarmCommand::RemoveFromService {
            id: "w1/p:HI".into(),
            reason: "bypass".into(),
            by: op(),
        }),
        at(1.0),
        &table,
    );
    Subscriber::<Service>::on_command(
        &mut service,
        &act(AlarmCommand::Acknowledge {
            ids: vec!["w1/p:HI".into()],
            by: op(),
            comment: "seen".into(),
        }),
        at(2.0),
        &table,
    );
    drop(service); // closes the audit feed
    writer.stop();
    let conn = audit::open(&trail).unwrap();
    assert_eq!(
        audit::verify(&conn, &trail).unwrap().records,
        2,
        "the process's own activation is not an operator action"
    );
    let r = audit::recent(&conn, 10).unwrap();
    assert_eq!(r[1].entry.action, "alarm action");
    assert!(!r[1].entry.allowed);
    assert_eq!(r[1].entry.role, "operator");
    assert!(r[1].entry.detail.contains("may not take alarms out of service"));
    assert_eq!(r[0].entry.action, "alarm acknowledged");
    assert_eq!(
        (r[0].entry.target.as_str(), r[0].entry.detail.as_str()),
        ("w1/p:HI", "seen")
    );
    assert!(r[0].entry.allowed);
}

fn remote(what: super::engine::RemoteWhat, at_s: f64, user: &str, role: Role) -> AlarmCommand {
    AlarmCommand::Remote(super::engine::RemoteAction {
        console: "control-room".into(),
        alarm: Some("w1/p:HI".into()),
        by: Actor::new(user, role),
        at: at(at_s),
        what,
    })
}

#[test]
fn an_acknowledgement_from_another_console_acknowledges_the_activation_it_saw_and_no_newer_one() {
    use super::engine::RemoteWhat::*;
    let mut r = Rig::new(HI);
    r.set("w1/p", 150.0, 0.0);
    r.events();
    // Acknowledged at the control room at 10 s: here too, journaled with who and where.
    r.cmd(remote(Acknowledge, 10.0, "luis", Role::Operator), 10.5);
    assert_eq!(r.state("w1/p:HI"), ActiveAcked);
    let e: Vec<_> = r.engine.drain_events().collect();
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].kind, EventKind::Acknowledged);
    assert_eq!(e[0].by.as_ref().unwrap().user, "luis@control-room");
    assert_eq!(e[0].origin.as_deref(), Some("control-room"));
    // Two people acknowledge: the second finds it acknowledged and nothing is journaled again.
    r.ack("w1/p:HI", 11.0);
    r.cmd(remote(Acknowledge, 10.8, "eva", Role::Operator), 11.2);
    assert!(r.events().is_empty());
    // It returns and comes back at 100 s: an acknowledgement made at 60 s elsewhere is for the old one.
    r.set("w1/p", 10.0, 50.0);
    r.set("w1/p", 150.0, 100.0);
    assert_eq!(r.state("w1/p:HI"), ActiveUnacked);
    r.cmd(remote(Acknowledge, 60.0, "luis", Role::Operator), 101.0);
    assert_eq!(
        r.state("w1/p:HI"),
        ActiveUnacked,
        "a newer activation stays unacknowledged"
    );
    // A viewer's acknowledgement from elsewhere is refused here as it would be here.
    r.events();
    r.cmd(remote(Acknowledge, 102.0, "v", Role::Viewer), 102.5);
    assert_eq!(r.state("w1/p:HI"), ActiveUnacked);
    assert_eq!(r.events()[0].0, EventKind::Refused);
}

#[test]
fn the_order_messages_arrive_in_does_not_change_where_a_console_ends() {
    use super::engine::RemoteWhat::*;
    // The other console saw it first and acknowledged before this console's scan saw it: kept, then applied.
    let mut r = Rig::new(HI);
    r.cmd(remote(Acknowledge, 10.0, "luis", Role::Operator), 10.1);
    r.set("w1/p", 150.0, 11.0);
    assert_eq!(
        r.state("w1/p:HI"),
        ActiveAcked,
        "annunciated within the skew of the acknowledgement"
    );
    // But not for an activation well after it.
    let mut r = Rig::new(HI);
    r.cmd(remote(Acknowledge, 10.0, "luis", Role::Operator), 10.1);
    r.set("w1/p", 150.0, 60.0);
    assert_eq!(r.state("w1/p:HI"), ActiveUnacked);

    // A console back after an hour takes the retained last actions: shelved at 20 s, unshelved at 600 s and
    // acknowledged at 700 s elsewhere. Whatever order they arrive in, it ends acknowledged and unshelved.
    let shelve = || Shelve {
        until: at(20.0 + 3_600.0),
        reason: "sensor check".into(),
    };
    let orders: [[usize; 3]; 6] = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
    for order in orders {
        let mut r = Rig::new(HI);
        r.set("w1/p", 150.0, 0.0);
        let msgs = [
            remote(shelve(), 20.0, "luis", Role::Operator),
            remote(Unshelve, 600.0, "luis", Role::Operator),
            remote(Acknowledge, 700.0, "luis", Role::Operator),
        ];
        for &k in &order {
            r.cmd(msgs[k].clone(), 3_000.0);
        }
        assert_eq!(r.state("w1/p:HI"), ActiveAcked, "order {order:?}");
    }

    // Acknowledge and shelve meet in one state; an unshelve older than a shelf made here leaves it.
    let mut r = Rig::new(HI);
    r.set("w1/p", 150.0, 0.0);
    r.cmd(
        AlarmCommand::Shelve {
            id: "w1/p:HI".into(),
            duration: Duration::from_secs(600),
            reason: "here".into(),
            by: op(),
        },
        30.0,
    );
    r.cmd(remote(Acknowledge, 29.0, "luis", Role::Operator), 31.0);
    r.cmd(remote(Unshelve, 25.0, "luis", Role::Operator), 32.0);
    assert_eq!(r.state("w1/p:HI"), Shelved);
    // A shelf whose end has passed is not put up again.
    r.cmd(remote(shelve(), 20.0, "luis", Role::Operator), 4_000.0);
    r.tick(4_001.0);
    assert_eq!(r.state("w1/p:HI"), ActiveUnacked);
}

#[test]
fn shelving_and_service_are_newest_wins_and_a_clock_ahead_wins_nothing() {
    use super::engine::RemoteWhat::*;
    let mut r = Rig::new(&HI.replace("priority", "max_shelve_h = 8.0\npriority"));
    r.set("w1/p", 150.0, 0.0);
    // Out of service elsewhere at 100 s, back in at 200 s; the removal sent again later changes nothing.
    r.cmd(
        remote(
            RemoveFromService {
                reason: "calibration".into(),
            },
            100.0,
            "sup",
            Role::Supervisor,
        ),
        101.0,
    );
    assert_eq!(r.state("w1/p:HI"), OutOfService);
    r.cmd(remote(ReturnToService, 200.0, "sup", Role::Supervisor), 201.0);
    assert_eq!(r.state("w1/p:HI"), ActiveUnacked);
    r.cmd(
        remote(
            RemoveFromService {
                reason: "calibration".into(),
            },
            100.0,
            "sup",
            Role::Supervisor,
        ),
        300.0,
    );
    assert_eq!(
        r.state("w1/p:HI"),
        ActiveUnacked,
        "an old removal sent again is not applied"
    );
    // A console whose clock runs an hour ahead: its acknowledgement counts as made now, no later.
    r.cmd(remote(Acknowledge, 4_000.0, "luis", Role::Operator), 400.0);
    assert_eq!(r.state("w1/p:HI"), ActiveAcked);
    r.set("w1/p", 10.0, 500.0);
    r.set("w1/p", 150.0, 600.0);
    assert_eq!(
        r.state("w1/p:HI"),
        ActiveUnacked,
        "a later activation is not acknowledged in advance"
    );
    // A shelf longer than the alarm allows, or without a reason, is not put up.
    let long = Shelve {
        until: at(600.0 + 9.0 * 3_600.0),
        reason: "long".into(),
    };
    r.cmd(remote(long, 600.0, "luis", Role::Operator), 601.0);
    let bare = Shelve {
        until: at(900.0),
        reason: " ".into(),
    };
    r.cmd(remote(bare, 602.0, "luis", Role::Operator), 603.0);
    assert_eq!(r.state("w1/p:HI"), ActiveUnacked);
    // A viewer elsewhere cannot silence here either.
    r.events();
    let mut silence = remote(Silence, 700.0, "v", Role::Viewer);
    if let AlarmCommand::Remote(a) = &mut silence {
        a.alarm = None;
    }
    r.cmd(silence, 700.5);
    assert_eq!(r.events()[0].0, EventKind::Refused);
}

#[test]
fn an_acknowledgement_made_during_the_activation_does_not_confirm_a_latched_return() {
    use super::engine::RemoteWhat::*;
    let mut r = Rig::new(&HI.replace("priority", "latching = true\npriority"));
    r.set("w1/p", 150.0, 0.0);
    r.cmd(remote(Acknowledge, 10.0, "luis", Role::Operator), 10.5);
    assert_eq!(r.state("w1/p:HI"), ActiveAcked);
    r.set("w1/p", 10.0, 60.0);
    assert_eq!(r.state("w1/p:HI"), ReturnedUnacked);
    // The same acknowledgement again (a reconnect sends it again): the return still waits for a person.
    r.cmd(remote(Acknowledge, 10.0, "luis", Role::Operator), 61.0);
    assert_eq!(r.state("w1/p:HI"), ReturnedUnacked);
}
