//! Trips, E-stops and sessions as people meet them at the console: the E-STOP's two-step confirmation,
//! a trip in the strip and its confirmed reset by a supervisor (refused for an operator), the Trips page's
//! order (what acted first on top), logging in with a real user store (the password checked off the UI
//! thread), hand-over, logout and idle logout — every one of them recorded. The trip engine is the real
//! one, fed as the hub feeds it; the console's commands are handed back to it as the hub would.

use crate::alarm_ui::type_into;
use crate::console_ui::harness;
use crate::support::{self, NOW};

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;
use wellconsole::auth::users::{Lockout, UserStoreConfig};
use wellconsole::auth::{Actor, Role};
use wellconsole::hub::{CommandLanes, HubCommand};
use wellconsole::project::Project;
use wellconsole::runtime::Service;
use wellconsole::tag::{Sample, TagId, TagTable, Timestamp, Value};
use wellconsole::trip::{TripCommand, TripEngine, TripService, TripStatus};
use wellconsole::ui::{ConsoleApp, ConsoleSettings};

struct Plant {
    table: TagTable,
    service: TripService,
}

impl Plant {
    fn new() -> Self {
        let project = Project::demo().expect("demo project");
        Self {
            table: TagTable::new(project.site.tags.clone()),
            service: TripService::new(TripEngine::new(project.trips.clone())),
        }
    }

    fn set(&mut self, tag: &str, v: f64, at: Timestamp) {
        let id = self.table.directory().id_of(tag).expect("demo tag");
        let u = self.table.apply(&Sample::good(id, Value::F64(v), at), at).unwrap();
        self.service.on_updates(&[u], &self.table);
        self.service.on_publish();
    }

    /// Hands the console's commands to the engine, as the hub does; returns them.
    fn serve(&mut self, rx: &CommandLanes<Service>) -> Vec<HubCommand<Service>> {
        crate::alarm_ui::serve(&mut self.service, &self.table, rx)
    }

    /// The writes the trip outputs ask the hub for.
    fn writes(&mut self) -> Vec<(TagId, Value)> {
        self.service.drain_writes().collect()
    }
}

fn console(plant: &Plant, settings: ConsoleSettings) -> (Harness<'static, ConsoleApp>, CommandLanes<Service>) {
    console_clocked(plant, settings, Arc::new(|| NOW))
}

fn console_clocked(
    plant: &Plant,
    settings: ConsoleSettings,
    clock: Arc<dyn Fn() -> Timestamp + Send + Sync>,
) -> (Harness<'static, ConsoleApp>, CommandLanes<Service>) {
    let (app, rx) = support::console_with_trips(
        None,
        None,
        None,
        Some(plant.service.view_cell()),
        clock,
        support::demo_snapshot(),
        settings,
    );
    (harness(app), rx)
}

#[test]
fn estop_needs_a_second_confirming_press_and_then_stops_the_unit() {
    let mut plant = Plant::new();
    let (mut h, rx) = console(&plant, support::test_settings());
    h.run();
    h.get_by_label("Trips: 16 rules healthy");
    // First press: only the confirmation opens; nothing is sent.
    h.get_by_label("CT-01 E-STOP").click();
    h.run();
    h.get_by_label("Confirm CT-01 E-STOP");
    h.get_by_label("writes ct01/shutdown = ON");
    assert!(rx.try_recv().is_err(), "one press sends nothing");
    h.get_by_label("Cancel").click();
    h.run();
    assert!(h.query_by_label("Confirm CT-01 E-STOP").is_none());
    assert!(rx.try_recv().is_err(), "a cancelled E-stop sends nothing");

    h.get_by_label("CT-01 E-STOP").click();
    h.run();
    h.get_by_label("CONFIRM E-STOP").click();
    h.run();
    let sent = plant.serve(&rx);
    assert!(
        matches!(&sent[..], [HubCommand::Service(Service::Trip(TripCommand::Estop { id, by }))] if &**id == "ct01.estop" && by.user == "ana"),
        "{sent:?}"
    );
    assert!(
        matches!(&plant.writes()[..], [(_, Value::Bool(true))]),
        "the E-stop's output goes to the hub's command path"
    );
    h.run();
    h.get_by_label("E-STOP ACTIVE: CT-01 E-STOP (ana)");
    assert!(h.query_by_label("Confirm CT-01 E-STOP").is_none());
}

#[test]
fn a_trip_shows_on_every_page_and_only_a_supervisor_resets_it() {
    let mut plant = Plant::new();
    let early = Timestamp(NOW.0 - 5_000_000);
    plant.set("ct01/weight", 20_000.0, early);
    let (mut h, rx) = console(&plant, support::test_settings());
    h.run();
    plant.set("ct01/weight", 52_000.0, Timestamp(NOW.0 - 2_000_000));
    plant.set("ct01/weight", 52_100.0, NOW);
    h.run();
    h.get_by_label("TRIPPED: CT-01 overpull  1ST OUT");
    for page in ["Tags", "Trends", "Alarms"] {
        h.get_by_label(page).click();
        h.run();
        h.get_by_label("TRIPPED: CT-01 overpull  1ST OUT");
    }
    h.get_by_label("Trips…").click();
    h.run();
    h.get_by_label("ana (operator) may not reset or bypass trips: a supervisor, engineer or admin may.");
    assert!(
        h.get_by_label("Reset").accesskit_node().is_disabled(),
        "an operator's Reset is disabled"
    );
    // The condition clears; a supervisor resets.
    plant.set("ct01/weight", 30_000.0, NOW);
    let (mut h, rx2) = console(&plant, supervisor());
    drop(rx);
    h.run();
    h.get_by_label("Trips").click();
    h.run();
    h.get_by_label("Reset").click();
    h.run();
    // Step two: what the reset clears and that it writes nothing; one press sends nothing.
    h.get_by_label("Reset CT-01 overpull?");
    h.get_by_label_contains("It writes nothing to the plant");
    h.get_by_label("ct01/shutdown stays ON");
    assert!(
        h.query_by_label_contains("the reset will be refused").is_none(),
        "the condition has cleared"
    );
    assert!(rx2.try_recv().is_err(), "one press sends nothing");
    h.get_by_label("Confirm reset").click();
    h.run();
    let sent = plant.serve(&rx2);
    assert!(
        matches!(&sent[..], [HubCommand::Service(Service::Trip(TripCommand::Reset { by, .. }))] if by.user == "sara")
    );
    assert_eq!(plant.service.engine().status("ct01.overpull"), Some(TripStatus::Normal));
    h.run();
    assert!(h.query_by_label("TRIPPED: CT-01 overpull  1ST OUT").is_none());
}

/// CT-01 over its overpull limit long enough to trip.
fn overpull(plant: &mut Plant) {
    plant.set("ct01/weight", 20_000.0, Timestamp(NOW.0 - 5_000_000));
    plant.set("ct01/weight", 52_000.0, Timestamp(NOW.0 - 2_000_000));
    plant.set("ct01/weight", 52_100.0, NOW);
}

fn supervisor() -> ConsoleSettings {
    ConsoleSettings {
        actor: Actor::new("sara", Role::Supervisor),
        ..support::test_settings()
    }
}

#[test]
fn a_cancelled_trip_reset_sends_nothing() {
    let mut plant = Plant::new();
    overpull(&mut plant);
    let (mut h, rx) = console(&plant, supervisor());
    h.run();
    h.get_by_label("Trips").click();
    h.run();
    h.get_by_label("Reset").click();
    h.run();
    h.get_by_label("Reset CT-01 overpull?");
    // Still over the limit: the dialog says beforehand that the trip engine will refuse it.
    h.get_by_label_contains("The condition is present now");
    h.get_by_label("Cancel").click();
    h.run();
    assert!(h.query_by_label("Reset CT-01 overpull?").is_none(), "the dialog closed");
    assert!(plant.serve(&rx).is_empty(), "a cancelled reset sends nothing");
    assert_eq!(
        plant.service.engine().status("ct01.overpull"),
        Some(TripStatus::Tripped)
    );
}

#[test]
fn the_trips_page_lists_first_outs_then_other_trips_then_what_needs_watching_then_the_healthy() {
    let mut plant = Plant::new();
    let ago = |s: i64| Timestamp(NOW.0 - s * 1_000_000);
    // ESP-02 trips alone on its asset; on CT-01 the circulating pressure trips before the overpull.
    plant.set("esp02/motor_temp", 390.0, ago(20));
    plant.set("ct01/weight", 20_000.0, ago(20));
    plant.set("esp02/motor_temp", 392.0, ago(14));
    plant.set("ct01/circ_pressure", 8_000.0, ago(12));
    plant.set("ct01/circ_pressure", 8_100.0, ago(10));
    plant.set("ct01/weight", 52_000.0, ago(8));
    plant.set("ct01/weight", 52_100.0, ago(7));
    // Set down past the compression limit, for less than its 1 s delay.
    plant.set("ct01/weight", -15_000.0, NOW);
    let engine = plant.service.engine();
    for (id, status) in [
        ("esp02.motor_temp", TripStatus::Tripped),
        ("ct01.circ_pressure", TripStatus::Tripped),
        ("ct01.overpull", TripStatus::Tripped),
        ("ct01.compression", TripStatus::Pending),
        ("ct01.wellhead_pressure", TripStatus::Normal),
    ] {
        assert_eq!(engine.status(id), Some(status), "{id}");
    }
    let (mut h, _rx) = console(&plant, support::test_settings());
    h.run();
    h.get_by_label("Trips").click();
    h.run();
    let order = [
        "CT-01 circulating pressure above maximum", // tripped, first out on CT-01 (file order among first-outs)
        "ESP-02 motor over-temperature",            // tripped, first out on ESP-02
        "CT-01 overpull",                           // tripped after CT-01's first out
        "CT-01 excessive compression",              // pending
        "CT-01 wellhead pressure above maximum",    // healthy, in file order
        "ESP-01 motor over-temperature",
    ];
    let tops: Vec<f32> = order.iter().map(|name| h.get_by_label(name).rect().min.y).collect();
    assert!(tops.windows(2).all(|w| w[0] < w[1]), "{order:?} drawn at {tops:?}");
}

fn records(rx: &CommandLanes<Service>) -> Vec<(String, String, bool)> {
    rx.try_iter()
        .filter_map(|c| match c {
            HubCommand::Record(e) => Some((e.user, e.action, e.allowed)),
            _ => None,
        })
        .collect()
}

/// Runs frames until the password check answers (it runs on its own thread).
fn settle(h: &mut Harness<'static, ConsoleApp>) {
    for _ in 0..400 {
        // step, not run: the spinner keeps asking for frames while the check runs.
        h.step();
        if !h.state().session().checking() {
            h.run();
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("the password check never answered");
}

#[test]
fn login_hand_over_logout_and_idle_logout_are_enforced_and_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let users_db = UserStoreConfig {
        path: dir.path().join("users.db"),
        key: Arc::new(wellconsole::records::SiteKey::random()),
        lockout: Lockout::default(),
    };
    let store = users_db.open().unwrap();
    store.add("ana", Role::Operator, "pozo-caliente-7", NOW).unwrap();
    store.add("sara", Role::Supervisor, "turno-noche-22", NOW).unwrap();
    drop(store);
    let plant = Plant::new();
    let clock = Arc::new(AtomicI64::new(NOW.0));
    let c = clock.clone();
    let settings = ConsoleSettings {
        users: Some(users_db),
        idle_logout: Duration::from_secs(15 * 60),
        ..support::test_settings()
    };
    let (mut h, rx) = console_clocked(&plant, settings, Arc::new(move || Timestamp(c.load(Ordering::Relaxed))));
    h.run();
    // View-only until someone logs in: nobody acts, whatever the command line said.
    h.get_by_label("VIEW ONLY");
    assert_eq!(h.state().actor().role, Role::Viewer);

    h.get_by_label("Log in…").click();
    h.run();
    type_into(&mut h, "User name:", "ana");
    type_into(&mut h, "Password:", "wrong-password");
    h.get_by_label("Log in").click();
    settle(&mut h);
    h.get_by_label("wrong user name or password, or the account is disabled or locked");
    assert_eq!(h.state().actor().role, Role::Viewer);
    assert_eq!(records(&rx), vec![("ana".into(), "login".into(), false)]);

    type_into(&mut h, "Password:", "pozo-caliente-7");
    h.get_by_label("Log in").click();
    settle(&mut h);
    assert_eq!(h.state().actor(), &Actor::new("ana", Role::Operator));
    h.get_by_label("ana (operator)");
    assert_eq!(records(&rx), vec![("ana".into(), "login".into(), true)]);

    // Hand-over: ana stays until sara's password is accepted.
    h.get_by_label("Hand over").click();
    h.run();
    h.get_by_label("ana stays logged in until the next user's password is accepted.");
    type_into(&mut h, "User name:", "sara");
    type_into(&mut h, "Password:", "turno-noche-22");
    h.get_by_label("Log in").click();
    settle(&mut h);
    assert_eq!(h.state().actor(), &Actor::new("sara", Role::Supervisor));
    assert_eq!(records(&rx), vec![("sara".into(), "hand-over".into(), true)]);

    // Idle: 15 minutes without input log sara out.
    clock.fetch_add(14 * 60 * 1_000_000, Ordering::Relaxed);
    h.run();
    assert_eq!(h.state().actor().user, "sara");
    clock.fetch_add(61 * 1_000_000, Ordering::Relaxed);
    h.run();
    h.get_by_label("VIEW ONLY");
    assert_eq!(records(&rx), vec![("sara".into(), "logout".into(), true)]);

    // A plain logout.
    h.get_by_label("Log in…").click();
    h.run();
    type_into(&mut h, "User name:", "ana");
    type_into(&mut h, "Password:", "pozo-caliente-7");
    h.get_by_label("Log in").click();
    settle(&mut h);
    h.get_by_label("Log out").click();
    h.run();
    h.get_by_label("VIEW ONLY");
    assert_eq!(
        records(&rx),
        vec![
            ("ana".into(), "login".into(), true),
            ("ana".into(), "logout".into(), true)
        ]
    );
}

#[test]
fn an_operator_restarts_the_unit_by_writing_its_output_with_confirmation() {
    let plant = Plant::new();
    let (mut h, rx) = console(&plant, support::test_settings());
    h.run();
    h.get_by_label("Tags").click();
    h.run();
    type_into(&mut h, "Search tags:", "shutdown");
    h.get_by_label("Write ct01/shutdown").click();
    h.run();
    h.get_by_label("Write to ct01/shutdown");
    type_into(&mut h, "New value:", "maybe");
    h.get_by_label("enter ON or OFF");
    assert!(h.get_by_label("Confirm write").accesskit_node().is_disabled());
    h.get_by_label("Cancel").click();
    h.run();
    h.get_by_label("Write ct01/shutdown").click();
    h.run();
    type_into(&mut h, "New value:", "off");
    assert!(rx.try_recv().is_err(), "nothing is sent before the confirmation");
    h.get_by_label("Confirm write").click();
    h.run();
    let sent: Vec<HubCommand<Service>> = rx.try_iter().collect();
    assert!(
        matches!(&sent[..], [HubCommand::OperatorWrite { value: Value::Bool(false), by, .. }] if by.user == "ana"),
        "{sent:?}"
    );
    h.get_by_label("write of OFF to ct01/shutdown sent: waiting for the device");

    // A viewer sees the button disabled.
    let (mut h, _rx) = console(
        &plant,
        ConsoleSettings {
            actor: Actor::new("visitor", Role::Viewer),
            ..support::test_settings()
        },
    );
    h.run();
    h.get_by_label("Tags").click();
    h.run();
    type_into(&mut h, "Search tags:", "shutdown");
    assert!(h.get_by_label("Write ct01/shutdown").accesskit_node().is_disabled());
}

#[test]
fn an_estop_is_still_active_after_the_console_restarts() {
    use wellconsole::runtime::{Runtime, RuntimeOptions};
    let dir = tempfile::tempdir().unwrap();
    let opts = RuntimeOptions {
        alarm_journal: Some(dir.path().join("alarms.db")),
        audit: Some(wellconsole::auth::audit::AuditTrail {
            path: dir.path().join("audit.db"),
            key: Arc::new(wellconsole::records::SiteKey::random()),
            external: None,
        }),
        ..RuntimeOptions::default()
    };
    let wait = |rt: &Runtime, what: &str, cond: &dyn Fn(&wellconsole::trip::TripView) -> bool| {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while !cond(&rt.trips.load()) {
            assert!(std::time::Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    let rt = Runtime::start(Project::demo().unwrap(), opts.clone(), Vec::new(), None).unwrap();
    rt.commands
        .try_send(HubCommand::Service(Service::Trip(TripCommand::Estop {
            id: "ct01.estop".into(),
            by: Actor::new("ana", Role::Operator),
        })))
        .unwrap();
    wait(&rt, "the E-stop confirmed by the simulator", &|v| {
        v.active_estops().count() == 1 && v.unconfirmed_outputs() == 0
    });
    support::wait_for(&rt, "the unit shut down", |s| {
        s.by_name("ct01/shutdown").and_then(|t| t.value.clone()) == Some(Value::Bool(true))
    });
    rt.shutdown();

    // A new run: the simulator starts fresh (its shutdown output off), the E-stop comes back latched and
    // shuts the unit down again.
    let rt = Runtime::start(Project::demo().unwrap(), opts, Vec::new(), None).unwrap();
    wait(&rt, "the E-stop restored and confirmed", &|v| {
        v.active_estops().any(|e| {
            e.latch
                .as_ref()
                .and_then(|l| l.by.as_ref())
                .is_some_and(|a| a.user == "ana")
        }) && v.unconfirmed_outputs() == 0
    });
    support::wait_for(&rt, "the unit shut down again", |s| {
        s.by_name("ct01/shutdown").and_then(|t| t.value.clone()) == Some(Value::Bool(true))
    });
    rt.shutdown();
}

#[test]
fn a_spanish_si_console_names_trips_in_spanish_and_their_limits_in_si() {
    let mut plant = Plant::new();
    plant.set("ct01/weight", 20_000.0, Timestamp(NOW.0 - 5_000_000));
    let settings = ConsoleSettings {
        lang: wellconsole::lang::Lang::Es,
        units: wellconsole::units::UnitSystem::Si,
        ..support::test_settings()
    };
    let (mut h, _rx) = console(&plant, settings);
    h.run();
    plant.set("ct01/weight", 52_000.0, Timestamp(NOW.0 - 2_000_000));
    plant.set("ct01/weight", 52_100.0, NOW);
    h.run();
    h.get_by_label("DISPARADO: CT-01 sobretensión  PRIMERO");
    h.get_by_label("Disparos…").click();
    h.run();
    h.get_by_label("Reglas de disparo");
    h.get_by_label(
        "ana (operador) no puede restablecer ni puentear disparos: un supervisor, ingeniero o administrador sí.",
    );
    // The rules as an SI console reads them: 50,000 lbf is 222.41 kN; the engine still judges lbf.
    h.get_by_label("ct01/weight > 222.41 kN");
    h.get_by_label("ct01/weight < -44.48 kN");
    h.get_by_label(
        "ct01/wellhead_pressure > 24132 kPa or (rate(ct01/wellhead_pressure) > 4137 kPa/min and \
         ct01/wellhead_pressure > 13790 kPa)",
    );
    assert_eq!(
        plant.service.engine().status("ct01.overpull"),
        Some(TripStatus::Tripped)
    );
}
