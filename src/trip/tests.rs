//! Trip semantics with a controlled clock: delays, latching, reset, bypass and its expiry, fail-safe on
//! bad input, three-valued and/or, rates, output confirmation and retry, first-out and E-stops.

use super::engine::{Cause, OUTPUT_RETRY, OutputStatus, TripCommand, TripEngine, TripEventKind, TripStatus};
use crate::auth::{Actor, Role};
use crate::project::ProjectFiles;
use crate::tag::{BadReason, DriverId, Sample, TagDef, TagDirectory, TagId, TagTable, Timestamp, Value, ValueKind};
use std::sync::Arc;
use std::time::Duration;

const T0: i64 = 1_795_000_000_000_000;

fn at(secs: f64) -> Timestamp {
    Timestamp(T0 + (secs * 1e6) as i64)
}

fn directory() -> Arc<TagDirectory> {
    let mk = |i: u32, name: &str, kind, writable| TagDef {
        id: TagId(i),
        name: name.into(),
        description: String::new(),
        description_es: String::new(),
        label: Default::default(),
        unit: String::new(),
        kind,
        range: None,
        decimals: 0,
        driver: DriverId(0),
        address: name.into(),
        stale_after: Duration::from_secs(3600),
        writable,
        history: Default::default(),
    };
    Arc::new(TagDirectory::new(vec![
        mk(0, "ct/weight", ValueKind::F64, false),
        mk(1, "ct/whp", ValueKind::F64, false),
        mk(2, "ct/shutdown", ValueKind::Bool, true),
        mk(3, "esp/running", ValueKind::Bool, true),
        mk(4, "esp/amps", ValueKind::F64, false),
    ]))
}

const WEIGHT: TagId = TagId(0);
const WHP: TagId = TagId(1);
const SHUTDOWN: TagId = TagId(2);
const RUNNING: TagId = TagId(3);
const AMPS: TagId = TagId(4);

fn load(text: &str, dir: &TagDirectory) -> super::TripSet {
    let files = ProjectFiles::from_memory([("alarms/trips.toml".to_owned(), text.to_owned())]);
    match crate::project::trips::load(&files, dir) {
        Ok(s) => s,
        Err(e) => panic!("{}", e.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")),
    }
}

const RULES: &str = r#"
[[trip]]
id = "overpull"
name = { en = "Overpull", es = "Sobretensión" }
asset = "ct"
when = "ct/weight > 50000"
delay_s = 1.0
bad_delay_s = 3.0
action = [{ tag = "ct/shutdown", value = true }]
bypass_max_h = 1

[[trip]]
id = "kick"
name = { en = "Kick", es = "Surgencia" }
asset = "ct"
when = "ct/whp > 3500 or (rate(ct/whp) > 600 and ct/whp > 2000)"
rate_window_s = 10
bypass_max_h = 0
action = [{ tag = "ct/shutdown", value = true }]

[[trip]]
id = "underload"
name = { en = "Underload", es = "Baja carga" }
asset = "esp"
when = "esp/running == true and esp/amps < 12"
delay_s = 30
on_bad = "alarm"
action = [{ tag = "esp/running", value = false }]

[[estop]]
id = "ct.estop"
label = { en = "CT E-STOP", es = "PARO CT" }
asset = "ct"
action = [{ tag = "ct/shutdown", value = true }]
"#;

struct Rig {
    table: TagTable,
    engine: TripEngine,
}

fn op() -> Actor {
    Actor::new("ana", Role::Operator)
}

fn sup() -> Actor {
    Actor::new("sara", Role::Supervisor)
}

impl Rig {
    fn new() -> Self {
        let dir = directory();
        let set = Arc::new(load(RULES, &dir));
        let mut r = Self {
            table: TagTable::new(dir),
            engine: TripEngine::new(set),
        };
        // A healthy plant at t = 0.
        r.set(WEIGHT, Value::F64(20_000.0), 0.0);
        r.set(WHP, Value::F64(500.0), 0.0);
        r.set(RUNNING, Value::Bool(true), 0.0);
        r.set(AMPS, Value::F64(40.0), 0.0);
        r.writes();
        r.events();
        r
    }

    fn set(&mut self, tag: TagId, v: Value, t: f64) {
        let u = self.table.apply(&Sample::good(tag, v, at(t)), at(t)).unwrap();
        self.engine.on_updates(&[u], &self.table);
    }

    fn bad(&mut self, tag: TagId, t: f64) {
        let u = self
            .table
            .apply(&Sample::bad(tag, BadReason::CommFail, at(t)), at(t))
            .unwrap();
        self.engine.on_updates(&[u], &self.table);
    }

    fn tick(&mut self, t: f64) {
        self.engine.on_tick(at(t), &self.table);
    }

    fn cmd(&mut self, c: TripCommand, t: f64) {
        self.engine.command(c, at(t), &self.table);
    }

    fn status(&self, id: &str) -> TripStatus {
        self.engine.status(id).unwrap()
    }

    fn writes(&mut self) -> Vec<(TagId, Value)> {
        self.engine.drain_writes().collect()
    }

    fn events(&mut self) -> Vec<(TripEventKind, String, Option<String>)> {
        self.engine
            .drain_events()
            .map(|e| (e.kind, e.id.to_string(), e.by.map(|a| a.user)))
            .collect()
    }

    fn kinds(&mut self) -> Vec<TripEventKind> {
        self.events().into_iter().map(|e| e.0).collect()
    }
}

fn reset(id: &str, by: Actor) -> TripCommand {
    TripCommand::Reset { id: id.into(), by }
}

#[test]
fn a_condition_shorter_than_the_delay_never_trips() {
    let mut r = Rig::new();
    r.set(WEIGHT, Value::F64(52_000.0), 10.0);
    assert_eq!(r.status("overpull"), TripStatus::Pending);
    r.tick(10.5);
    r.set(WEIGHT, Value::F64(48_000.0), 10.9);
    r.tick(12.0);
    assert_eq!(r.status("overpull"), TripStatus::Normal);
    assert!(r.writes().is_empty());
    // A second excursion starts the delay again from its own beginning.
    r.set(WEIGHT, Value::F64(52_000.0), 13.0);
    r.tick(13.9);
    assert!(r.writes().is_empty());
    r.tick(14.0);
    assert_eq!(r.status("overpull"), TripStatus::Tripped);
    assert_eq!(r.writes(), vec![(SHUTDOWN, Value::Bool(true))]);
}

#[test]
fn a_trip_latches_until_an_authorised_reset_after_the_condition_clears() {
    let mut r = Rig::new();
    r.set(WEIGHT, Value::F64(52_000.0), 1.0);
    r.set(WEIGHT, Value::F64(52_500.0), 2.0);
    assert_eq!(r.status("overpull"), TripStatus::Tripped);
    assert_eq!(r.kinds(), vec![TripEventKind::Tripped]);
    assert_eq!(r.writes(), vec![(SHUTDOWN, Value::Bool(true))]);
    r.engine.on_write_outcome(SHUTDOWN, &Value::Bool(true), None, at(2.1));
    assert_eq!(r.kinds(), vec![TripEventKind::OutputConfirmed]);
    // The condition clears: still latched.
    r.set(WEIGHT, Value::F64(30_000.0), 3.0);
    r.tick(60.0);
    assert_eq!(r.status("overpull"), TripStatus::Tripped);
    // An operator may not reset; the refusal is recorded with the user.
    r.cmd(reset("overpull", op()), 61.0);
    assert_eq!(r.status("overpull"), TripStatus::Tripped);
    assert_eq!(
        r.events(),
        vec![(TripEventKind::Refused, "overpull".into(), Some("ana".into()))]
    );
    r.cmd(reset("overpull", sup()), 62.0);
    assert_eq!(r.status("overpull"), TripStatus::Normal);
    assert_eq!(
        r.events(),
        vec![(TripEventKind::Reset, "overpull".into(), Some("sara".into()))]
    );
    // A reset writes nothing back: restarting is a separate, deliberate operator action.
    assert!(r.writes().is_empty());
}

#[test]
fn reset_is_refused_while_the_condition_is_present_or_an_input_is_bad() {
    let mut r = Rig::new();
    r.set(WEIGHT, Value::F64(52_000.0), 1.0);
    r.tick(2.0);
    assert_eq!(r.status("overpull"), TripStatus::Tripped);
    r.events();
    r.cmd(reset("overpull", sup()), 3.0);
    assert_eq!(r.status("overpull"), TripStatus::Tripped);
    let ev = r.engine.drain_events().next().unwrap();
    assert_eq!(ev.kind, TripEventKind::Refused);
    assert!(ev.detail.contains("still present"), "{}", ev.detail);
    r.bad(WEIGHT, 4.0);
    r.cmd(reset("overpull", sup()), 5.0);
    let ev = r.engine.drain_events().next_back().unwrap();
    assert!(ev.detail.contains("bad or stale"), "{}", ev.detail);
    assert_eq!(r.status("overpull"), TripStatus::Tripped);
}

#[test]
fn a_bad_input_goes_to_the_safe_state_after_the_bad_delay() {
    let mut r = Rig::new();
    r.bad(WEIGHT, 10.0);
    assert_eq!(r.status("overpull"), TripStatus::InputBad);
    r.tick(12.9);
    assert!(r.writes().is_empty(), "a blip shorter than bad_delay rides through");
    r.tick(13.0);
    assert_eq!(r.status("overpull"), TripStatus::Tripped);
    assert_eq!(r.writes(), vec![(SHUTDOWN, Value::Bool(true))]);
    let rows = r.engine.rows();
    let latch = rows
        .iter()
        .find(|t| &*t.def.id == "overpull")
        .unwrap()
        .latch
        .clone()
        .unwrap();
    assert_eq!(latch.cause, Cause::InputBad);
    // A blip that recovers in time does not trip.
    let mut r = Rig::new();
    r.bad(WEIGHT, 10.0);
    r.tick(12.0);
    r.set(WEIGHT, Value::F64(20_000.0), 12.5);
    r.tick(20.0);
    assert_eq!(r.status("overpull"), TripStatus::Normal);
    assert!(r.writes().is_empty());
}

#[test]
fn an_alarm_only_rule_announces_a_bad_input_without_tripping() {
    let mut r = Rig::new();
    r.bad(AMPS, 10.0);
    r.bad(RUNNING, 10.0);
    r.tick(100.0);
    assert_eq!(r.status("underload"), TripStatus::InputBad);
    assert!(r.writes().is_empty());
    assert_eq!(r.kinds(), vec![TripEventKind::InputBad]);
    r.set(RUNNING, Value::Bool(true), 101.0);
    r.set(AMPS, Value::F64(40.0), 101.0);
    assert_eq!(r.status("underload"), TripStatus::Normal);
    assert_eq!(r.kinds(), vec![TripEventKind::InputRestored]);
}

#[test]
fn and_is_false_when_any_input_is_false_even_if_another_is_bad() {
    let mut r = Rig::new();
    // Pump stopped (known): the underload rule is decided false whatever the current reads.
    r.set(RUNNING, Value::Bool(false), 1.0);
    r.bad(AMPS, 2.0);
    r.tick(100.0);
    assert_eq!(r.status("underload"), TripStatus::Normal);
    // Running and the current unknown: undecidable.
    r.set(RUNNING, Value::Bool(true), 101.0);
    assert_eq!(r.status("underload"), TripStatus::InputBad);
}

#[test]
fn or_trips_on_a_known_true_branch_even_if_the_other_is_bad() {
    let mut r = Rig::new();
    r.set(WHP, Value::F64(3_600.0), 1.0);
    assert_eq!(r.status("kick"), TripStatus::Tripped, "no delay: trips at once");
}

#[test]
fn rate_of_change_trips_a_fast_rise_and_not_a_slow_one() {
    let mut r = Rig::new();
    // Steady at 2100 psi from the start, then a slow rise: 50 psi over 10 s = 300 psi/min.
    for i in 0..=240 {
        r.set(WHP, Value::F64(2_100.0), i as f64 * 0.5);
    }
    for i in 1..=20 {
        r.set(WHP, Value::F64(2_100.0 + 2.5 * i as f64), 120.0 + i as f64 * 0.5);
    }
    assert_eq!(r.status("kick"), TripStatus::Normal);
    // Fast rise: 200 psi in 10 s = 1200 psi/min.
    for i in 1..=20 {
        r.set(WHP, Value::F64(2_150.0 + 10.0 * i as f64), 130.0 + i as f64 * 0.5);
        // The rate is the change over the whole 10 s window: it passes 600 psi/min at the seventh sample.
        let expected = if i < 7 { TripStatus::Normal } else { TripStatus::Tripped };
        assert_eq!(r.status("kick"), expected, "sample {i}");
    }
    assert_eq!(r.status("kick"), TripStatus::Tripped);
    // The same rise below 2000 psi (the and) would not have tripped.
    let mut r = Rig::new();
    for i in 0..=40 {
        r.set(WHP, Value::F64(500.0 + 10.0 * i as f64), i as f64 * 0.5);
    }
    assert_eq!(r.status("kick"), TripStatus::Normal);
}

#[test]
fn outputs_are_driven_until_confirmed_and_a_failure_is_recorded_once() {
    let mut r = Rig::new();
    r.set(WHP, Value::F64(3_600.0), 1.0);
    assert_eq!(r.writes().len(), 1);
    r.events();
    r.engine
        .on_write_outcome(SHUTDOWN, &Value::Bool(true), Some("device not answering"), at(1.1));
    assert_eq!(r.kinds(), vec![TripEventKind::OutputFailed]);
    r.tick(1.5);
    assert!(r.writes().is_empty(), "retried after {OUTPUT_RETRY:?}, not before");
    r.tick(1.0 + OUTPUT_RETRY.as_secs_f64());
    assert_eq!(r.writes(), vec![(SHUTDOWN, Value::Bool(true))]);
    r.engine
        .on_write_outcome(SHUTDOWN, &Value::Bool(true), Some("device not answering"), at(3.1));
    assert!(r.kinds().is_empty(), "one record per failure, not per retry");
    r.engine.on_write_outcome(SHUTDOWN, &Value::Bool(true), None, at(5.1));
    assert_eq!(r.kinds(), vec![TripEventKind::OutputConfirmed]);
    let rows = r.engine.rows();
    let latch = rows
        .iter()
        .find(|t| &*t.def.id == "kick")
        .unwrap()
        .latch
        .clone()
        .unwrap();
    assert_eq!(latch.outputs[0].status, OutputStatus::Confirmed);
    r.tick(30.0);
    assert!(r.writes().is_empty(), "a confirmed output is not written again");
}

#[test]
fn first_out_is_the_first_trip_of_its_asset() {
    let mut r = Rig::new();
    r.set(WHP, Value::F64(3_600.0), 1.0);
    r.set(WEIGHT, Value::F64(52_000.0), 1.2);
    r.tick(3.0);
    let rows = r.engine.rows();
    let first = |id: &str| {
        rows.iter()
            .find(|t| &*t.def.id == id)
            .unwrap()
            .latch
            .as_ref()
            .unwrap()
            .first_out
    };
    assert!(first("kick"));
    assert!(!first("overpull"));
}

#[test]
fn bypass_needs_role_reason_and_limit_and_expires_by_itself() {
    let mut r = Rig::new();
    let bypass = |by, reason: &str, h: f64| TripCommand::Bypass {
        id: "overpull".into(),
        by,
        reason: reason.into(),
        duration: Duration::from_secs_f64(h * 3600.0),
    };
    r.cmd(bypass(op(), "jarring", 0.5), 1.0);
    r.cmd(bypass(sup(), "  ", 0.5), 1.0);
    r.cmd(bypass(sup(), "jarring", 2.0), 1.0);
    assert_eq!(r.kinds(), vec![TripEventKind::Refused; 3]);
    assert_eq!(r.status("overpull"), TripStatus::Normal);
    r.cmd(
        TripCommand::Bypass {
            id: "kick".into(),
            by: sup(),
            reason: "test".into(),
            duration: Duration::from_secs(60),
        },
        1.0,
    );
    assert_eq!(
        r.kinds(),
        vec![TripEventKind::Refused],
        "bypass_max_h = 0: never bypassed"
    );

    r.cmd(bypass(sup(), "jarring the fish free", 0.5), 10.0);
    assert_eq!(r.status("overpull"), TripStatus::Bypassed);
    assert_eq!(r.kinds(), vec![TripEventKind::Bypassed]);
    r.set(WEIGHT, Value::F64(55_000.0), 20.0);
    r.tick(100.0);
    assert!(r.writes().is_empty(), "bypassed: no action");
    // 30 min later the bypass ends by itself; the condition still holds, so the delay runs and it trips.
    r.tick(10.0 + 1800.0);
    assert_eq!(r.kinds(), vec![TripEventKind::BypassExpired]);
    assert_eq!(r.status("overpull"), TripStatus::Pending);
    r.tick(10.0 + 1801.0);
    assert_eq!(r.status("overpull"), TripStatus::Tripped);
    assert_eq!(r.writes(), vec![(SHUTDOWN, Value::Bool(true))]);
}

#[test]
fn an_estop_is_taken_from_anyone_and_reset_only_by_an_authorised_role() {
    let mut r = Rig::new();
    let viewer = Actor::new("visitor", Role::Viewer);
    r.cmd(
        TripCommand::Estop {
            id: "ct.estop".into(),
            by: viewer.clone(),
        },
        1.0,
    );
    assert_eq!(r.writes(), vec![(SHUTDOWN, Value::Bool(true))]);
    assert_eq!(
        r.events(),
        vec![(TripEventKind::Estop, "ct.estop".into(), Some("visitor".into()))]
    );
    let rows = r.engine.estop_rows();
    assert!(rows[0].latch.is_some());
    r.cmd(
        TripCommand::ResetEstop {
            id: "ct.estop".into(),
            by: op(),
        },
        2.0,
    );
    assert_eq!(r.kinds(), vec![TripEventKind::Refused]);
    assert!(r.engine.estop_rows()[0].latch.is_some());
    r.cmd(
        TripCommand::ResetEstop {
            id: "ct.estop".into(),
            by: sup(),
        },
        3.0,
    );
    assert_eq!(r.kinds(), vec![TripEventKind::EstopReset]);
    assert!(r.engine.estop_rows()[0].latch.is_none());
}

#[test]
fn a_reload_keeps_latches_and_bypasses_by_id() {
    let mut r = Rig::new();
    r.set(WHP, Value::F64(3_600.0), 1.0);
    r.cmd(
        TripCommand::Bypass {
            id: "overpull".into(),
            by: sup(),
            reason: "jarring".into(),
            duration: Duration::from_secs(600),
        },
        2.0,
    );
    let edited = RULES.replace("ct/weight > 50000", "ct/weight > 48000");
    let set = Arc::new(load(&edited, r.table.directory()));
    r.cmd(TripCommand::Reload(set), 3.0);
    assert_eq!(r.status("kick"), TripStatus::Tripped);
    assert_eq!(r.status("overpull"), TripStatus::Bypassed);
    assert!(r.kinds().contains(&TripEventKind::Reconfigured));
}

#[test]
fn latches_and_bypasses_survive_a_restart_and_drive_their_outputs_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("alarms.db");
    let mut r = Rig::new();
    r.set(WHP, Value::F64(3_600.0), 1.0);
    r.cmd(
        TripCommand::Estop {
            id: "ct.estop".into(),
            by: op(),
        },
        2.0,
    );
    r.cmd(
        TripCommand::Bypass {
            id: "overpull".into(),
            by: sup(),
            reason: "jarring".into(),
            duration: Duration::from_secs(600),
        },
        3.0,
    );
    assert!(r.engine.take_persist());
    let saved = r.engine.saved();
    assert_eq!(saved.latches.len(), 2);
    assert_eq!(saved.bypasses.len(), 1);
    let mut conn = super::store::open(&path).unwrap();
    super::store::save(&mut conn, &saved).unwrap();
    drop(conn);

    // A new console: the same state comes back, and the outputs are written again.
    let conn = super::store::open(&path).unwrap();
    let loaded = super::store::load(&conn).unwrap();
    assert_eq!(loaded, saved);
    let mut fresh = Rig::new();
    fresh.engine.restore(loaded.clone(), at(100.0));
    assert_eq!(fresh.status("kick"), TripStatus::Tripped);
    assert_eq!(fresh.status("overpull"), TripStatus::Bypassed);
    assert!(fresh.engine.estop_rows()[0].latch.is_some());
    assert_eq!(fresh.engine.estop_rows()[0].latch.as_ref().unwrap().by, Some(op()));
    assert_eq!(fresh.writes(), vec![(SHUTDOWN, Value::Bool(true)); 2]);
    assert_eq!(fresh.kinds(), vec![TripEventKind::Restored; 3]);
    // A bypass whose time is over by the restart does not come back.
    let mut late = Rig::new();
    late.engine.restore(loaded, at(3.0 + 601.0));
    assert_eq!(late.status("overpull"), TripStatus::Normal);
}

/// A hub running one trip (`ct/weight > 100` → `ct/shutdown = true`) over one driver whose commands go to
/// `commands`; and the trip view it publishes.
fn hub_with_one_trip(
    commands: crossbeam_channel::Sender<crate::driver::DriverCommand>,
) -> (crate::hub::Hub<crate::hub::NoService>, super::TripViewCell) {
    use crate::driver::{DriverStats, sample_channel};
    use crate::hub::{CommandLanes, DriverPort, Hub};
    let dir = directory();
    let rules = r#"
[[trip]]
id = "hi"
name = { en = "High", es = "Alto" }
when = "ct/weight > 100"
action = [{ tag = "ct/shutdown", value = true }]
"#;
    let stats = Arc::new(DriverStats::default());
    let (_samples_tx, samples) = sample_channel(DriverId(0), 4, stats.clone());
    let port = DriverPort {
        name: "d0".into(),
        kind: "test",
        samples,
        commands,
        events: crossbeam_channel::bounded(1).1,
        stats,
    };
    let service = super::TripService::new(TripEngine::new(Arc::new(load(rules, &dir))));
    let view = service.view_cell();
    let mut hub = Hub::new(dir, vec![port], CommandLanes::closed());
    hub.subscribe(Box::new(service));
    (hub, view)
}

fn weight(v: f64, t: Timestamp) -> crate::driver::SampleBatch {
    crate::driver::SampleBatch::new(DriverId(0), vec![Sample::good(WEIGHT, Value::F64(v), t)])
}

#[test]
fn a_trips_write_leaves_on_the_scan_that_brought_the_sample() {
    let (commands, writes) = crossbeam_channel::bounded(4);
    let (mut hub, _) = hub_with_one_trip(commands);
    let t = Timestamp::now();
    hub.apply_batch(weight(50.0, t), t);
    hub.flush_updates();
    assert!(writes.try_recv().is_err());
    hub.apply_batch(weight(150.0, t), t);
    hub.flush_updates();
    assert_eq!(
        writes.try_recv().unwrap(),
        crate::driver::DriverCommand::Write {
            tag: SHUTDOWN,
            address: "ct/shutdown".into(),
            value: Value::Bool(true)
        },
        "routed in the same scan, before the hub publishes"
    );
}

#[test]
fn a_trip_output_its_driver_cannot_take_shows_failed_at_once() {
    // A queue with no room at all: every command to this driver is refused.
    let (commands, _writes) = crossbeam_channel::bounded(0);
    let (mut hub, view) = hub_with_one_trip(commands);
    let t = Timestamp::now();
    hub.apply_batch(weight(150.0, t), t);
    hub.flush_updates();
    hub.publish(t);
    let v = view.load();
    let latch = v.trips[0].latch.as_ref().expect("tripped");
    assert!(
        matches!(&latch.outputs[0].status, OutputStatus::Failed { reason, .. } if reason.contains("queue full")),
        "not left as sent until its retry: {:?}",
        latch.outputs[0].status
    );
}
