//! The console as an operator uses it: open it, find a tag by typing, follow the bad-quality
//! banner, inject a simulator fault. Driven through egui_kittest (AccessKit), no window needed.

use arc_swap::ArcSwap;
use crossbeam_channel::{Receiver, bounded};
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use std::sync::Arc;
use wellconsole::driver::sim::SimCommand;
use wellconsole::driver::{DriverCommand, DriverState};
use wellconsole::hub::{DriverStatus, HubCommand, Snapshot};
use wellconsole::project::Project;
use wellconsole::sim::{Fault, FaultKind};
use wellconsole::tag::{BadReason, DriverId, Quality, Timestamp, Value};
use wellconsole::ui::{ConsoleApp, ConsoleInputs, MeasureOptions, SimulatorInfo};

/// 2026-11-18 11:06:40 UTC, fixed so frames are reproducible.
const NOW: Timestamp = Timestamp(1_795_000_000_000_000);

/// A snapshot of the demo project where every tag has a value, one link is down and one tag is stale.
fn demo_snapshot() -> Snapshot {
    let project = Project::demo().expect("demo project is valid");
    let dir = project.site.tags.clone();
    let driver = DriverStatus {
        name: "sim".into(),
        kind: "sim",
        state: DriverState::Running,
        samples_in: 123_456,
        samples_dropped: 0,
        rate_per_sec: 750.0,
        last_error: None,
        detail: None,
    };
    let mut snap = Snapshot::empty(dir.clone(), vec![driver]);
    for def in dir.iter() {
        let s = &mut snap.tags[def.id.index()];
        s.value = Some(match def.kind {
            wellconsole::tag::ValueKind::F64 => Value::F64(def.range.map_or(1.0, |(lo, hi)| lo + 0.37 * (hi - lo))),
            wellconsole::tag::ValueKind::I64 => Value::I64(3),
            wellconsole::tag::ValueKind::Bool => Value::Bool(true),
            wellconsole::tag::ValueKind::String => Value::str("RIH"),
        });
        s.quality = if def.device() == "esp03" {
            Quality::Bad(BadReason::CommFail)
        } else if def.name == "ct01/wellhead_pressure" {
            Quality::Bad(BadReason::Stale)
        } else {
            Quality::Good
        };
        s.source_ts = Timestamp(NOW.0 - 300_000);
        s.receive_ts = Timestamp(NOW.0 - 200_000);
        s.updates = 10;
    }
    snap.seq = 7;
    snap.taken_at = Timestamp(NOW.0 - 50_000);
    snap
}

fn console() -> (ConsoleApp, Receiver<HubCommand>) {
    let snap = demo_snapshot();
    let devices = snap.directory.devices().into_iter().map(str::to_owned).collect();
    let signals = snap.directory.iter().map(|d| d.address.clone()).collect();
    let (tx, rx) = bounded(16);
    let inputs = ConsoleInputs {
        site_name: "Campo Escuela (demo)".into(),
        snapshot: Arc::new(ArcSwap::from_pointee(snap)),
        commands: tx,
        simulator: Some(SimulatorInfo {
            driver: DriverId(0),
            driver_name: "sim".into(),
            devices,
            signals,
        }),
        clock: Arc::new(|| NOW),
    };
    (ConsoleApp::new(inputs, MeasureOptions::default()), rx)
}

fn harness(app: ConsoleApp) -> Harness<'static, ConsoleApp> {
    Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .build_ui_state(|ui, app: &mut ConsoleApp| app.console_ui(ui), app)
}

#[test]
fn shell_opens_with_banner_navigation_and_status() {
    let (app, _rx) = console();
    let mut h = harness(app);
    h.run();
    h.get_by_label("ALARMS");
    h.get_by_label("No alarm definitions loaded");
    for page in ["Overview", "Tags", "Drivers", "Simulator"] {
        h.get_by_label(page);
    }
    h.get_by_label("CT01");
    h.get_by_label("ESP06");
    h.get_by_label("SEP01");
    // bad and stale data are marked, never shown as live
    assert!(
        h.query_all_by_label("COMM FAIL").count() >= 8,
        "every esp03 tag is marked COMM FAIL"
    );
    h.get_by_label("STALE");
    h.get_by_label("750/s");
}

#[test]
fn tag_browser_finds_a_tag_by_typing_its_name() {
    let (app, _rx) = console();
    let mut h = harness(app);
    h.run();
    h.get_by_label("Tags").click();
    h.run();
    h.get_by_label("ct01/depth"); // unfiltered: the first rows are the CT's
    h.get_by_role(Role::TextInput).focus();
    h.run();
    h.get_by_role(Role::TextInput).type_text("esp04/motor_t");
    h.run();
    h.get_by_label("esp04/motor_temp");
    assert!(
        h.query_by_label("ct01/depth").is_none(),
        "non-matching tags are filtered out"
    );
    assert!(h.query_by_label("esp04/motor_current").is_none());
    h.get_by_label("1 of 75 tags");
    assert_eq!(h.state().page(), wellconsole::ui::Page::Tags);
}

#[test]
fn banner_leads_to_the_tags_that_are_not_good() {
    let (app, _rx) = console();
    let mut h = harness(app);
    h.run();
    h.get_by_label("9 tags not good").click();
    h.run();
    h.get_by_label("9 of 75 tags");
    h.get_by_label("esp03/rate");
    h.get_by_label("ct01/wellhead_pressure");
    assert!(h.query_by_label("ct01/depth").is_none());
}

#[test]
fn simulator_page_injects_a_fault_through_the_hub() {
    let (app, rx) = console();
    let mut h = harness(app);
    h.run();
    h.get_by_label("Simulator").click();
    h.run();
    h.get_by_label("Inject fault").click();
    h.run();
    let cmd = rx.try_recv().expect("a command was sent");
    assert_eq!(
        cmd,
        HubCommand::ToDriver {
            driver: DriverId(0),
            command: DriverCommand::Sim(SimCommand::Inject(Fault {
                kind: FaultKind::StuckPipe,
                target: "ct01".into()
            })),
        }
    );
    h.get_by_label("Injected stuck-pipe:ct01");
    h.get_by_label("Clear all faults").click();
    h.run();
    assert_eq!(
        rx.try_recv().unwrap(),
        HubCommand::ToDriver {
            driver: DriverId(0),
            command: DriverCommand::Sim(SimCommand::ClearAll)
        }
    );
}

#[test]
fn overview_snapshot() {
    let (app, _rx) = console();
    let mut h = harness(app);
    h.run();
    // frame time is a live measurement: keep it out of the image
    let frame_label = h.get_by_label_contains("frame ").rect();
    h.mask(frame_label);
    h.snapshot("overview");
}
