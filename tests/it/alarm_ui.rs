//! The alarm system as an operator meets it: an alarm arrives in the banner, is selected and
//! acknowledged; shelved from the summary page with a reason, and then says since when, until when, by
//! whom and why; a returned alarm shows its value at alarm beside the live one; a disabled action says
//! why; the horn silenced; the journal searched; the KPIs read. The engine here is the real one, fed the
//! way the hub feeds it; the console's commands are handed back to it as the hub would.

use crate::console_ui::{harness, mask_frame_time};
use crate::support::{self, NOW};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use std::sync::Arc;
use std::time::Duration;
use wellconsole::alarm::journal::{JournalRecord, JournalWriter};
use wellconsole::alarm::{AlarmCommand, AlarmEngine, AlarmService, AlarmState};
use wellconsole::hub::{CommandLanes, HubCommand, Subscriber};
use wellconsole::project::Project;
use wellconsole::runtime::AlarmHandle;
use wellconsole::runtime::Service;
use wellconsole::tag::{Sample, TagTable, Timestamp, Value};
use wellconsole::ui::ConsoleApp;

struct Plant {
    table: TagTable,
    service: AlarmService,
}

impl Plant {
    fn new(journal: Option<crossbeam_channel::Sender<JournalRecord>>) -> Self {
        let project = Project::demo().expect("demo project");
        Self {
            table: TagTable::new(project.site.tags.clone()),
            service: AlarmService::new(AlarmEngine::new(project.alarms.clone()), journal),
        }
    }

    fn set(&mut self, tag: &str, v: f64, at: Timestamp) {
        let id = self.table.directory().id_of(tag).expect("demo tag");
        let u = self.table.apply(&Sample::good(id, Value::F64(v), at), at).unwrap();
        self.service.on_updates(&[u], &self.table);
        self.service.on_tick(at, &self.table);
        self.service.on_publish();
    }

    fn handle(&self) -> AlarmHandle {
        AlarmHandle {
            view: self.service.view_cell(),
            problems: Arc::new(arc_swap::ArcSwap::from_pointee(Vec::new())),
            journal: None,
            journal_stats: None,
        }
    }

    /// Hands the console's commands to the engine, as the hub does.
    fn serve(&mut self, rx: &CommandLanes<Service>) -> Vec<HubCommand<Service>> {
        serve(&mut self.service, &self.table, rx)
    }

    fn state(&self, id: &str) -> Option<AlarmState> {
        self.service.engine().state_of(id)
    }
}

fn console(plant: &Plant) -> (Harness<'static, ConsoleApp>, CommandLanes<Service>) {
    let (app, rx) = support::console_full(
        None,
        None,
        Some(plant.handle()),
        support::demo_snapshot(),
        support::test_settings(),
    );
    (harness(app), rx)
}

/// Focuses the text field labelled `label` and types into it, as a person does.
/// Hands the console's commands to a service as the hub does (each command, then a publication); returns
/// them. Shared by the alarm and trip UI tests.
pub(crate) fn serve(
    service: &mut dyn Subscriber<Service>,
    table: &TagTable,
    rx: &CommandLanes<Service>,
) -> Vec<HubCommand<Service>> {
    let cmds: Vec<HubCommand<Service>> = rx.try_iter().collect();
    for c in &cmds {
        if let HubCommand::Service(c) = c {
            service.on_command(c, NOW, table);
        }
    }
    service.on_publish();
    cmds
}

pub(crate) fn type_into(h: &mut Harness<'static, ConsoleApp>, label: &str, text: &str) {
    h.get_by_label(label).click();
    h.run();
    h.get_by_label(label).type_text(text);
    h.run();
}

/// Wellhead pressure through HI and HIHI, and an ESP motor running hot.
fn raise(plant: &mut Plant) {
    let early = Timestamp(NOW.0 - 20_000_000);
    plant.set("ct01/wellhead_pressure", 3_400.0, early);
    plant.set("esp02/motor_temp", 340.0, Timestamp(early.0 + 1_000_000));
    plant.set("ct01/wellhead_pressure", 3_420.0, NOW);
    plant.set("esp02/motor_temp", 341.0, NOW);
}

#[test]
fn an_alarm_appears_in_the_banner_and_ack_acknowledges_it() {
    let mut plant = Plant::new(None);
    let (mut h, rx) = console(&plant);
    h.run();
    assert_eq!(h.query_all_by_label("0/0").count(), 5, "no alarms in any priority");
    raise(&mut plant);
    h.run();
    h.get_by_label("Wellhead pressure HIHI");
    h.get_by_label("Wellhead pressure HI");
    h.get_by_label("ESP-02 motor temperature HI");
    // First-out: HIHI came first on the wellhead (HI waits out its 1 s on-delay); the ESP is an asset of its own.
    assert_eq!(h.query_all_by_label("1ST OUT").count(), 2);
    let first_outs: Vec<String> = h
        .state()
        .alarms()
        .view
        .rows
        .iter()
        .filter(|r| r.first_out)
        .map(|r| r.def.id.to_string())
        .collect();
    assert_eq!(first_outs, vec!["ct01/wellhead_pressure:HIHI", "esp02/motor_temp:HI"]);
    h.get_by_label("SOUND UNAVAILABLE"); // no audio device in tests: said, not hidden
    // Critical first even though the HI activated at the same time.
    let rows = &h.state().alarms().view.rows;
    assert_eq!(&*rows[0].def.id, "ct01/wellhead_pressure:HIHI");

    h.get_by_label("alarm ct01/wellhead_pressure:HIHI").click();
    h.run();
    h.get_by_label("ACK").click();
    h.run();
    let sent = plant.serve(&rx);
    assert!(
        matches!(&sent[..], [HubCommand::Service(Service::Alarm(AlarmCommand::Acknowledge { ids, by, .. }))]
            if ids.len() == 1 && &*ids[0] == "ct01/wellhead_pressure:HIHI" && by.user == "ana"),
        "{sent:?}"
    );
    assert_eq!(
        plant.state("ct01/wellhead_pressure:HIHI"),
        Some(AlarmState::ActiveAcked)
    );
    h.run();
    h.get_by_label("acknowledged ct01/wellhead_pressure:HIHI");

    h.get_by_label("ACK PAGE").click();
    h.run();
    plant.serve(&rx);
    assert_eq!(plant.state("ct01/wellhead_pressure:HI"), Some(AlarmState::ActiveAcked));
    assert_eq!(plant.state("esp02/motor_temp:HI"), Some(AlarmState::ActiveAcked));
    h.run();
    assert_eq!(h.state().alarms().view.unacked().count(), 0);
}

#[test]
fn a_tile_in_alarm_writes_its_most_urgent_alarm_and_the_value() {
    let mut plant = Plant::new(None);
    let (mut h, _rx) = console(&plant);
    h.run();
    assert!(h.query_by_label_contains("Wellhead pressure HIHI:").is_none());
    raise(&mut plant);
    h.run();
    // On the field overview: not just a priority mark, but which alarm and at what value (the CT tile's
    // critical HIHI before its HI), at the value that raised it.
    h.get_by_label("Wellhead pressure HIHI: 3400 psi");
    assert!(h.query_by_label_contains("Wellhead pressure HI:").is_none());
    h.get_by_label("ESP-02 motor temperature HI: 340.0 °F");
    mask_frame_time(&mut h);
    h.snapshot("field_tiles_in_alarm");
}

#[test]
fn silence_stops_the_horn_until_a_new_alarm() {
    let mut plant = Plant::new(None);
    let (mut h, rx) = console(&plant);
    raise(&mut plant);
    h.run();
    assert!(h.state_mut().alarms_mut().wants_sound().is_some());
    h.get_by_label("SILENCE").click();
    h.run();
    let sent = plant.serve(&rx);
    assert!(
        matches!(
            &sent[..],
            [HubCommand::Service(Service::Alarm(AlarmCommand::Silenced { .. }))]
        ),
        "{sent:?}"
    );
    assert_eq!(h.state_mut().alarms_mut().wants_sound(), None);
    // Still unacknowledged: silencing is not acknowledging.
    assert_eq!(
        plant.state("ct01/wellhead_pressure:HIHI"),
        Some(AlarmState::ActiveUnacked)
    );
    plant.set("sep01/pressure", 260.0, NOW);
    h.run();
    assert!(
        h.state_mut().alarms_mut().wants_sound().is_some(),
        "a new alarm sounds again"
    );
}

#[test]
fn shelving_from_the_summary_page_takes_a_reason_and_a_time() {
    let mut plant = Plant::new(None);
    let (mut h, rx) = console(&plant);
    raise(&mut plant);
    h.run();
    h.get_by_label("Alarms").click();
    h.run();
    // Listed twice now: in the banner and on the summary page; either selects it.
    assert_eq!(h.query_all_by_label("alarm esp02/motor_temp:HI").count(), 2);
    h.query_all_by_label("alarm esp02/motor_temp:HI")
        .last()
        .unwrap()
        .click();
    h.run();
    h.get_by_label("Operator response"); // the detail panel with the response text
    h.get_by_label("Shelve…").click();
    h.run();
    h.get_by_label("2 h").click();
    h.run();
    type_into(&mut h, "Reason (required):", "sensor recalibration");
    h.get_by_label("Shelve").click();
    h.run();
    let sent = plant.serve(&rx);
    assert!(
        matches!(&sent[..], [HubCommand::Service(Service::Alarm(AlarmCommand::Shelve { id, duration, reason, .. }))]
            if &**id == "esp02/motor_temp:HI" && *duration == Duration::from_secs(7200) && reason == "sensor recalibration"),
        "{sent:?}"
    );
    assert_eq!(plant.state("esp02/motor_temp:HI"), Some(AlarmState::Shelved));
    h.run();
    // Gone from the banner, listed under Shelved with its reason.
    assert!(
        h.query_by_label("alarm esp02/motor_temp:HI").is_none(),
        "a shelved alarm leaves the banner"
    );
    h.get_by_label("shown").click();
    h.run();
    h.get_by_label("Shelved").click();
    h.run();
    // When it was shelved (not its last transition), until when, by whom and why: in its line and in the
    // detail of the selected alarm.
    let (at, until) = (NOW.to_local_hms(), Timestamp(NOW.0 + 7_200_000_000).to_local_hms());
    h.get_by_label(&format!(
        "shelved {at} by ana · until {until} (in 2 h) · sensor recalibration"
    ));
    h.get_by_label(&format!("{at} (0.0 s ago) by ana"));
    h.get_by_label(&format!("{until} (in 2 h)"));
    h.get_by_label("sensor recalibration");
    assert!(h.query_by_label_contains("SHELVED since").is_none());
}

#[test]
fn a_shelved_alarm_says_since_when_until_when_by_whom_and_why_in_spanish() {
    let mut plant = Plant::new(None);
    let settings = wellconsole::ui::ConsoleSettings {
        lang: wellconsole::lang::Lang::Es,
        ..support::test_settings()
    };
    let (app, _rx) = support::console_full(None, None, Some(plant.handle()), support::demo_snapshot(), settings);
    let mut h = harness(app);
    raise(&mut plant);
    // Shelved 35 minutes ago for an hour, by a supervisor at another console.
    let at = Timestamp(NOW.0 - 35 * 60_000_000);
    let shelve = AlarmCommand::Shelve {
        id: "esp02/motor_temp:HI".into(),
        duration: Duration::from_secs(3600),
        reason: "recalibración del sensor".into(),
        by: wellconsole::auth::Actor::new("sara", wellconsole::auth::Role::Supervisor),
    };
    plant.service.on_command(&shelve, at);
    plant.service.on_publish();
    h.run();
    h.get_by_label("Alarmas").click();
    h.run();
    h.get_by_label("mostradas").click();
    h.run();
    h.get_by_label("Archivadas").click();
    h.run();
    let (at, until) = (at.to_local_hms(), Timestamp(NOW.0 + 25 * 60_000_000).to_local_hms());
    h.get_by_label(&format!(
        "archivada {at} por sara · hasta {until} (en 25 min) · recalibración del sensor"
    ));
    h.get_by_label("alarm esp02/motor_temp:HI").click();
    h.run();
    h.get_by_label("Archivada a las");
    h.get_by_label(&format!("{at} (hace 35 min) por sara"));
    h.get_by_label("Archivada hasta");
    h.get_by_label(&format!("{until} (en 25 min)"));
    h.get_by_label("recalibración del sensor");
    assert!(h.query_by_label_contains("ARCHIVADA desde").is_none());
}

#[test]
fn a_returned_alarm_shows_its_value_at_alarm_beside_the_live_value() {
    let mut plant = Plant::new(None);
    // The console's snapshot: the wellhead pressure back down, read good.
    let mut snap = support::demo_snapshot();
    let id = snap.directory.id_of("ct01/wellhead_pressure").expect("demo tag");
    snap.tags[id.index()].value = Some(Value::F64(1_200.0));
    snap.tags[id.index()].quality = wellconsole::tag::Quality::Good;
    let (app, _rx) = support::console_full(None, None, Some(plant.handle()), snap, support::test_settings());
    let mut h = harness(app);
    // Over HIHI, then back below it within the rate alarm's 10 s window and HI's on-delay: only HIHI acts.
    plant.set("ct01/wellhead_pressure", 3_400.0, Timestamp(NOW.0 - 500_000));
    plant.set("ct01/wellhead_pressure", 1_200.0, NOW);
    h.run();
    let states: Vec<(String, AlarmState)> = h
        .state()
        .alarms()
        .view
        .rows
        .iter()
        .map(|r| (r.def.id.to_string(), r.state))
        .collect();
    assert_eq!(
        states,
        vec![("ct01/wellhead_pressure:HIHI".to_owned(), AlarmState::ReturnedUnacked)],
        "latching: back below the limit, waiting for an acknowledgement"
    );
    h.get_by_label("Alarms").click();
    h.run();
    // The value at alarm is marked as such, beside the value now.
    // (In the summary and in the banner, where the returned alarm still stands.)
    assert_eq!(h.query_all_by_label("at alarm 3400 psi").count(), 2);
    h.get_by_label("now 1200 psi");
    h.query_all_by_label("alarm ct01/wellhead_pressure:HIHI")
        .last()
        .unwrap()
        .click();
    h.run();
    h.get_by_label("Value at alarm");
    h.get_by_label("3400 psi");
    h.get_by_label("Value now");
}

#[test]
fn a_disabled_action_says_why_where_a_touch_panel_can_read_it() {
    use egui_kittest::kittest::NodeT;
    let mut plant = Plant::new(None);
    let (mut h, rx) = console(&plant);
    raise(&mut plant);
    h.run();
    h.get_by_label("Alarms").click();
    h.run();
    // A critical alarm its file marks not shelvable, at an operator's console.
    h.query_all_by_label("alarm ct01/wellhead_pressure:HIHI")
        .last()
        .unwrap()
        .click();
    h.run();
    assert!(h.get_by_label("Shelve…").accesskit_node().is_disabled());
    h.get_by_label("this alarm may not be shelved (shelvable = false in its alarm file)");
    assert!(h.get_by_label("Out of service…").accesskit_node().is_disabled());
    h.get_by_label("ana (operator) may not take out of service (allowed: admin, supervisor, engineer)");
    // A shelvable one: Shelve is offered and nothing is said against it.
    h.query_all_by_label("alarm esp02/motor_temp:HI")
        .last()
        .unwrap()
        .click();
    h.run();
    assert!(!h.get_by_label("Shelve…").accesskit_node().is_disabled());
    assert!(h.query_by_label_contains("may not be shelved").is_none());
    assert!(plant.serve(&rx).is_empty(), "nothing was sent");
}

#[test]
fn banner_snapshot_with_alarms() {
    let mut plant = Plant::new(None);
    let (mut h, _rx) = console(&plant);
    raise(&mut plant);
    h.run();
    mask_frame_time(&mut h);
    h.snapshot("alarms");
}

#[test]
fn the_journal_and_kpi_pages_read_the_alarm_database() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("alarms.db");
    let (writer, tx, saved) = JournalWriter::start(&path).unwrap();
    assert!(saved.is_empty());
    let mut plant = Plant::new(Some(tx));
    // Twelve activations of one alarm within ten minutes, all before the console's clock: a flood, and chattering.
    for k in 0..12 {
        let t = Timestamp(NOW.0 - 600_000_000 + k * 20_000_000);
        plant.set("sep01/pressure", 260.0, t);
        plant.set("sep01/pressure", 100.0, Timestamp(t.0 + 5_000_000));
    }
    drop(plant); // closes the journal feed
    writer.stop();
    let handle = AlarmHandle {
        journal: Some(path),
        ..Plant::new(None).handle()
    };
    let (app, _rx) = support::console_full(
        None,
        None,
        Some(handle),
        support::demo_snapshot(),
        support::test_settings(),
    );
    let mut h = harness(app);
    h.run();
    h.get_by_label("Alarm log").click();
    let wait = |h: &mut Harness<'static, ConsoleApp>, label: &str| {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while h.query_by_label_contains(label).is_none() {
            assert!(std::time::Instant::now() < deadline, "never showed {label}");
            std::thread::sleep(Duration::from_millis(20));
            h.run();
        }
    };
    wait(&mut h, "events (newest first");
    // HIHI activates and returns 12 times; HI (2 s on-delay) never holds long enough to activate.
    h.get_by_label_contains("24 events");
    h.get_by_label("Alarm KPIs").click();
    wait(&mut h, "Alarms per 10 min (max)");
    assert!(
        h.query_all_by_label("12").count() >= 2,
        "12 alarms in all, 12 of them this one in the top 10"
    );
    h.get_by_label("Chattering alarms");
    h.get_by_label("sep01/pressure:HIHI: 3 in one minute");
}

#[test]
fn a_viewer_sees_alarms_but_cannot_acknowledge_or_shelve_them() {
    use egui_kittest::kittest::NodeT;
    let mut plant = Plant::new(None);
    let settings = wellconsole::ui::ConsoleSettings {
        actor: wellconsole::auth::Actor::new("vic", wellconsole::auth::Role::Viewer),
        ..support::test_settings()
    };
    let (app, rx) = support::console_full(None, None, Some(plant.handle()), support::demo_snapshot(), settings);
    let mut h = harness(app);
    raise(&mut plant);
    h.run();
    h.get_by_label("Wellhead pressure HIHI");
    h.get_by_label("alarm ct01/wellhead_pressure:HIHI").click();
    h.run();
    for button in ["ACK", "ACK PAGE"] {
        assert!(
            h.get_by_label(button).accesskit_node().is_disabled(),
            "{button} is disabled for a viewer"
        );
    }
    h.get_by_label("ACK").click();
    h.run();
    h.get_by_label("Alarms").click();
    h.run();
    for button in ["Acknowledge", "Shelve…", "Out of service…", "Acknowledge page (3)"] {
        assert!(
            h.get_by_label(button).accesskit_node().is_disabled(),
            "{button} is disabled for a viewer"
        );
    }
    // And says why, for a touch panel that cannot hover: the role, and this alarm's own rule.
    for why in [
        "vic (viewer) may not acknowledge (allowed: admin, supervisor, engineer, operator)",
        "vic (viewer) may not shelve (allowed: admin, supervisor, engineer, operator)",
        "this alarm may not be shelved (shelvable = false in its alarm file)",
        "vic (viewer) may not take out of service (allowed: admin, supervisor, engineer)",
    ] {
        h.get_by_label(why);
    }
    assert!(plant.serve(&rx).is_empty(), "nothing was sent");
    assert_eq!(
        plant.state("ct01/wellhead_pressure:HIHI"),
        Some(AlarmState::ActiveUnacked)
    );
}

#[test]
fn a_spanish_console_shows_the_spanish_alarm_texts() {
    let mut plant = Plant::new(None);
    let settings = wellconsole::ui::ConsoleSettings {
        lang: wellconsole::lang::Lang::Es,
        ..support::test_settings()
    };
    let (app, _rx) = support::console_full(None, None, Some(plant.handle()), support::demo_snapshot(), settings);
    let mut h = harness(app);
    raise(&mut plant);
    h.run();
    h.get_by_label("Presión en cabeza HIHI");
    h.get_by_label("ESP-02 temperatura del motor alta");
    assert!(h.query_by_label("Wellhead pressure HIHI").is_none());
}

#[test]
fn an_acknowledgement_can_carry_a_comment_into_the_journal() {
    let mut plant = Plant::new(None);
    let (mut h, rx) = console(&plant);
    raise(&mut plant);
    h.run();
    h.get_by_label("Alarms").click();
    h.run();
    h.query_all_by_label("alarm ct01/wellhead_pressure:HIHI")
        .last()
        .unwrap()
        .click();
    h.run();
    type_into(&mut h, "Comment:", "choke closed, supervisor called");
    h.get_by_label("Acknowledge").click();
    h.run();
    let sent = plant.serve(&rx);
    assert!(
        matches!(&sent[..], [HubCommand::Service(Service::Alarm(AlarmCommand::Acknowledge { ids, comment, .. }))]
            if &*ids[0] == "ct01/wellhead_pressure:HIHI" && comment == "choke closed, supervisor called"),
        "{sent:?}"
    );
    assert_eq!(
        plant.state("ct01/wellhead_pressure:HIHI"),
        Some(AlarmState::ActiveAcked)
    );
}

#[test]
fn a_spanish_si_console_speaks_spanish_and_shows_values_and_limits_in_kpa() {
    let mut plant = Plant::new(None);
    let settings = wellconsole::ui::ConsoleSettings {
        lang: wellconsole::lang::Lang::Es,
        units: wellconsole::units::UnitSystem::Si,
        ..support::test_settings()
    };
    let (app, _rx) = support::console_full(None, None, Some(plant.handle()), support::demo_snapshot(), settings);
    let mut h = harness(app);
    h.run();
    raise(&mut plant);
    h.run();
    h.get_by_label("ALARMAS");
    h.get_by_label("Presión en cabeza HIHI");
    h.get_by_label("Presión en cabeza alta");
    assert_eq!(h.query_all_by_label("PRIMERA").count(), 2, "first-out in Spanish");
    h.get_by_label("SONIDO NO DISPONIBLE");
    h.get_by_label("SILENCIO");
    // The 3,400 psi the alarm came in at and the 3,000 psi HIHI limit, converted where they are shown
    // (the engine keeps psi).
    assert!(h.query_all_by_label("23442 kPa").count() >= 1);
    h.get_by_label("(≥ 20684 kPa)");
    assert!(h.query_all_by_label("ACTIVA SIN RECON").count() >= 2);
    h.get_by_label("alarm ct01/wellhead_pressure:HIHI").click();
    h.run();
    h.get_by_label("RECON").click();
    h.run();
    h.get_by_label("ct01/wellhead_pressure:HIHI reconocida");
    h.get_by_label_contains("Resumen de alarmas").click();
    h.run();
    h.get_by_label("Prioridad / estado");
    h.get_by_label("Límite");
    h.get_by_label("Respuesta del operador");
    h.get_by_label("esta alarma no se puede archivar (shelvable = false en su archivo de alarmas)");
    h.get_by_label("ana (operador) no puede sacar de servicio (permitido: administrador, supervisor, ingeniero)");
}
