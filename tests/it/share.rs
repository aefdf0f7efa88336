//! Consoles that share alarms, as a site runs them: two consoles (each with its own hub, alarm engine,
//! journal and link to the broker) on the demo plant with the same transmitter failing, and a real
//! Mosquitto on 127.0.0.1. An acknowledgement at one is an acknowledgement at the other, journaled there
//! with who did it where; a shelf follows it; the broker restarted with its retained state lost, and a
//! console away and back, both end where the site is. Trips are not shared: each console's are its own.

use crate::support;
use std::path::Path;
use std::time::{Duration, Instant};
use wellconsole::alarm::AlarmState;
use wellconsole::alarm::engine::AlarmCommand;
use wellconsole::auth::{Actor, Role};
use wellconsole::hub::HubCommand;
use wellconsole::project::{Project, ProjectFiles};
use wellconsole::runtime::{Runtime, RuntimeOptions, Service};

fn project(port: u16, console: &str) -> Project {
    let demo = ProjectFiles::embedded_demo();
    let site = format!(
        "{}\n[share]\nbroker = \"127.0.0.1:{port}\"\nconsole = \"{console}\"\nsecret = \"a secret this test site's consoles share\"\n",
        demo.get("site.toml").unwrap()
    );
    Project::load(demo.with_file("site.toml", &site)).unwrap()
}

/// A console on the demo plant at 5×, its weight transmitter failing; the cab's wellhead pressure also
/// climbs past its trip.
fn console(port: u16, name: &str, dir: &Path) -> Runtime {
    // From the first reading: a console started again finds its alarm standing, as it left it.
    let mut faults = vec!["sensor-fail:ct01/weight@0".parse().unwrap()];
    if name.starts_with("cab") {
        faults.push("overpressure:ct01@0".parse().unwrap());
    }
    let opts = RuntimeOptions {
        speed: Some(5.0),
        faults,
        alarm_journal: Some(dir.join(format!("{name}-alarms.db"))),
        ..Default::default()
    };
    Runtime::start(project(port, name), opts, Vec::new(), None).unwrap()
}

fn state(rt: &Runtime, id: &str) -> Option<AlarmState> {
    rt.alarms
        .view
        .load()
        .rows
        .iter()
        .find(|r| &*r.def.id == id)
        .map(|r| r.state)
}

fn wait(what: &str, secs: u64, f: impl Fn() -> bool) {
    let until = Instant::now() + Duration::from_secs(secs);
    while !f() {
        assert!(Instant::now() < until, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn act(rt: &Runtime, c: AlarmCommand) {
    rt.commands.try_send(HubCommand::Service(Service::Alarm(c))).unwrap();
}

/// The journal's lines for `id`: (kind, user, comment).
fn journal(path: &Path, id: &str) -> Vec<(String, String, String)> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut stmt = conn
        .prepare("SELECT kind, COALESCE(user, ''), comment FROM journal WHERE alarm = ?1 ORDER BY id")
        .unwrap();
    stmt.query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn an_acknowledgement_in_the_control_room_is_one_in_the_cab_through_a_broker_restart_and_a_console_away() {
    let Some(bin) = support::mosquitto_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let port = support::free_port();
    let broker = support::start_mosquitto(&bin, dir.path(), port);
    let room = console(port, "control-room", dir.path());
    let cab = console(port, "cab-ct01", dir.path());

    // The failed transmitter's alarm stands unacknowledged at both.
    let weight = |rt: &Runtime| {
        rt.alarms
            .view
            .load()
            .unacked()
            .find(|r| &*r.def.tag_name == "ct01/weight")
            .map(|r| r.def.id.to_string())
    };
    wait("the weight alarm at the control room", 60, || weight(&room).is_some());
    let id = weight(&room).unwrap();
    wait("the same alarm in the cab", 30, || {
        state(&cab, &id) == Some(AlarmState::ActiveUnacked)
    });

    // The cab's overpressure trip is shown at the control room, which does not trip for it (its own
    // trips, a failed transmitter's included, are its own).
    let peers = room.share.clone().unwrap();
    let overpressure = |l: &wellconsole::share::message::SharedLatch| l.cause == "condition";
    wait("the cab's trip shown at the control room", 60, || {
        peers
            .peer_trips
            .lock()
            .unwrap()
            .get("cab-ct01")
            .is_some_and(|l| l.iter().any(overpressure))
    });
    let shown = peers.peer_trips.lock().unwrap()["cab-ct01"].clone();
    let trip = shown.iter().find(|l| overpressure(l)).unwrap();
    assert!(cab.trips.load().tripped().any(|t| *t.def.id == *trip.id));
    assert!(
        !room.trips.load().tripped().any(|t| *t.def.id == *trip.id),
        "another console's trip is not this one's"
    );
    assert_eq!(peers.peers.lock().unwrap().get("cab-ct01"), Some(&true));

    // Acknowledged in the control room: acknowledged in the cab, within a second or so.
    let ana = Actor::new("ana", Role::Operator);
    act(
        &room,
        AlarmCommand::Acknowledge {
            ids: vec![id.as_str().into()],
            by: ana.clone(),
            comment: String::new(),
        },
    );
    let asked = Instant::now();
    wait("the acknowledgement in the cab", 10, || {
        state(&cab, &id) == Some(AlarmState::ActiveAcked)
    });
    eprintln!("acknowledged in the cab {:?} after the control room", asked.elapsed());

    // The broker restarts, its retained state gone; meanwhile the cab's supervisor shelves the alarm.
    drop(broker);
    let luis = Actor::new("luis", Role::Supervisor);
    act(
        &cab,
        AlarmCommand::Shelve {
            id: id.as_str().into(),
            duration: Duration::from_secs(1_800),
            reason: "transmitter being replaced".into(),
            by: luis,
        },
    );
    wait("the shelf in the cab", 10, || {
        state(&cab, &id) == Some(AlarmState::Shelved)
    });
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(
        state(&room, &id),
        Some(AlarmState::ActiveAcked),
        "nothing crosses without a broker"
    );
    let broker = support::start_mosquitto(&bin, dir.path(), port);
    wait("the shelf at the control room once the broker is back", 60, || {
        state(&room, &id) == Some(AlarmState::Shelved)
    });

    // The cab goes away. The control room unshelves (the alarm annunciates again) and acknowledges.
    let cab_journal = dir.path().join("cab-ct01-alarms.db");
    drop(cab);
    wait("the cab said offline", 10, || {
        peers.peers.lock().unwrap().get("cab-ct01") == Some(&false)
    });
    act(
        &room,
        AlarmCommand::Unshelve {
            id: id.as_str().into(),
            by: Actor::new("eva", Role::Supervisor),
        },
    );
    wait("the alarm back in view", 10, || {
        state(&room, &id) == Some(AlarmState::ActiveUnacked)
    });
    act(
        &room,
        AlarmCommand::Acknowledge {
            ids: vec![id.as_str().into()],
            by: ana,
            comment: String::new(),
        },
    );
    wait("the acknowledgement", 10, || {
        state(&room, &id) == Some(AlarmState::ActiveAcked)
    });
    // The cab comes back (its journal restores it shelved): the retained last actions bring it where the
    // site is, whatever order they arrive in.
    let cab = console(port, "cab-ct01", dir.path());
    wait("the cab back where the site is", 30, || {
        state(&cab, &id) == Some(AlarmState::ActiveAcked)
    });

    // Each console journaled each action once, with who did it where.
    drop(cab);
    let lines = journal(&cab_journal, &id);
    let acks: Vec<_> = lines.iter().filter(|l| l.0 == "acknowledged").collect();
    assert!(acks.iter().all(|l| l.1 == "ana@control-room"), "{lines:?}");
    assert_eq!(acks.len(), 2, "one per activation acknowledged: {lines:?}");
    assert!(
        lines.iter().any(|l| l.0 == "shelved" && l.1 == "luis"),
        "the cab's own shelf is its person's: {lines:?}"
    );
    assert!(
        lines.iter().any(|l| l.0 == "unshelved" && l.1 == "eva@control-room"),
        "{lines:?}"
    );
    let room_journal = dir.path().join("control-room-alarms.db");
    drop(room);
    let lines = journal(&room_journal, &id);
    assert!(
        lines.iter().any(|l| l.0 == "shelved" && l.1 == "luis@cab-ct01"),
        "{lines:?}"
    );
    assert_eq!(lines.iter().filter(|l| l.0 == "acknowledged").count(), 2, "{lines:?}");
    drop(broker);
}

#[test]
fn the_drivers_page_lists_the_site_consoles_and_the_trips_latched_there() {
    use egui_kittest::kittest::Queryable;
    use std::sync::atomic::Ordering::Relaxed;
    let stats = std::sync::Arc::new(wellconsole::share::ShareStats {
        broker: "mqtts://broker.field:8883".into(),
        console: "control-room".into(),
        ..Default::default()
    });
    stats.connected.store(true, Relaxed);
    stats.sent.store(12, Relaxed);
    stats.peers.lock().unwrap().insert("cab-ct01".into(), true);
    stats.peers.lock().unwrap().insert("cab-ct02".into(), false);
    stats.peer_trips.lock().unwrap().insert(
        "cab-ct01".into(),
        vec![wellconsole::share::message::SharedLatch {
            id: "ct01-whp".into(),
            name: "CT-01 wellhead overpressure".into(),
            name_es: "Sobrepresión en cabeza TF-01".into(),
            asset: "ct01".into(),
            cause: "condition".into(),
            at: support::NOW.0,
        }],
    );
    let page = |lang: wellconsole::lang::Lang| {
        let (tx, _rx) = wellconsole::hub::command_lanes(16, 16);
        let screens = Project::demo().unwrap().screens;
        let mut settings = support::test_settings();
        settings.lang = lang;
        let inputs = wellconsole::ui::ConsoleInputs {
            share: Some(stats.clone()),
            ..support::bare_inputs(tx, screens, settings)
        };
        let mut h = crate::console_ui::harness(wellconsole::ui::ConsoleApp::new(inputs, Default::default()));
        h.run();
        support::open_page(&mut h, "Drivers");
        h
    };
    let h = page(wellconsole::lang::Lang::En);
    h.get_by_label("Site consoles (shared alarms)");
    h.get_by_label("cab-ct01");
    h.get_by_label("TRIPPED: CT-01 wellhead overpressure");
    h.get_by_label("OFFLINE");
    h.get_by_label("12 sent · 0 from others · 0 refused");
    // In Spanish the trip reads in Spanish, as that console names it.
    let h = page(wellconsole::lang::Lang::Es);
    h.get_by_label("Consolas del sitio (alarmas compartidas)");
    h.get_by_label("DISPARADO: Sobrepresión en cabeza TF-01");
}

#[test]
fn another_console_reads_this_ones_tags_through_its_own_sparkplug_host_driver() {
    let Some(bin) = support::mosquitto_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let port = support::free_port();
    let _broker = support::start_mosquitto(&bin, dir.path(), port);
    // The control room republishes its CT unit's tags as edge node "control-room".
    let demo = ProjectFiles::embedded_demo();
    let site = format!(
        "{}\n[share]\nbroker = \"127.0.0.1:{port}\"\nconsole = \"control-room\"\nsecret = \"a secret this test site's consoles share\"\nedge = {{ group = \"campo-escuela\", tags = [\"ct01/\"], interval_ms = 200 }}\n",
        demo.get("site.toml").unwrap()
    );
    let opts = RuntimeOptions {
        speed: Some(5.0),
        faults: vec!["sensor-fail:ct01/weight@0".parse().unwrap()],
        ..Default::default()
    };
    let room = Runtime::start(
        Project::load(demo.with_file("site.toml", &site)).unwrap(),
        opts,
        Vec::new(),
        None,
    )
    .unwrap();
    // The office reads them as it reads any edge gateway: its own Sparkplug host driver, its own tag names.
    let office_site = format!(
        r#"[site]
name = "Office"

[[driver]]
name = "room"
kind = "mqtt"

[driver.mqtt]
broker = "127.0.0.1:{port}"
sparkplug_host_id = "office"

[[tag]]
name = "room/ct01_depth"
driver = "room"
address = "spBv1.0/campo-escuela/control-room/ct01#depth"
type = "f64"
unit = "ft"

[[tag]]
name = "room/ct01_weight"
driver = "room"
address = "spBv1.0/campo-escuela/control-room/ct01#weight"
type = "f64"
unit = "lbf"
"#
    );
    let office_project = Project::load(ProjectFiles::from_memory([("site.toml".to_owned(), office_site)])).unwrap();
    let office = Runtime::start(office_project, RuntimeOptions::default(), Vec::new(), None).unwrap();
    let value = |rt: &Runtime, tag: &str| {
        let snap = rt.snapshot.load();
        snap.by_name(tag)
            .map(|s| (s.value.as_ref().and_then(wellconsole::tag::Value::as_f64), s.quality))
    };
    wait(
        "the control room's depth at the office",
        60,
        || matches!(value(&office, "room/ct01_depth"), Some((Some(_), q)) if q.is_good()),
    );
    // The same reading, a report interval behind at most (the plant at 5×: a few feet).
    let (here, there) = (
        value(&room, "ct01/depth").unwrap().0.unwrap(),
        value(&office, "room/ct01_depth").unwrap().0.unwrap(),
    );
    assert!(
        (here - there).abs() < 200.0,
        "control room {here} ft, office {there} ft"
    );
    // A failed transmitter there is not a live value here.
    let weight = value(&office, "room/ct01_weight").unwrap();
    assert!(!weight.1.is_good() && weight.0.is_none(), "{weight:?}");
    // The control room closes: its death certificate makes its tags bad at the office.
    drop(room);
    wait("the office to see the control room gone", 30, || {
        value(&office, "room/ct01_depth").is_some_and(|(_, q)| q.is_bad())
    });
}
