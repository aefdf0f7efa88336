//! The console on a cab panel: touch mode at 1280 × 800 (a common rugged panel), 1024 × 768 and a
//! 1920 × 1080 control-room monitor, with alarms standing and the demo's trips and E-stops. Every page is
//! opened as a gloved operator opens it (through the page menu where the tabs do not fit), and on every one
//! the E-STOP buttons are whole, touch-sized, in the same place and covered by nothing; the banner keeps
//! its three alarm lines. Snapshots of every page at 1280 × 800 are looked at by a person.

use crate::console_ui::mask_frame_time;
use crate::support::{self, NOW};
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use std::sync::Arc;
use wellconsole::alarm::{AlarmEngine, AlarmService};
use wellconsole::lang::Lang;
use wellconsole::project::Project;
use wellconsole::runtime::AlarmHandle;
use wellconsole::tag::{Sample, TagTable, Timestamp, Value};
use wellconsole::trip::{TripEngine, TripService};
use wellconsole::ui::ConsoleApp;

struct Plant {
    table: TagTable,
    alarms: AlarmService,
    trips: TripService,
}

impl Plant {
    fn new() -> Self {
        let project = Project::demo().expect("demo project");
        Self {
            table: TagTable::new(project.site.tags.clone()),
            alarms: AlarmService::new(AlarmEngine::new(project.alarms.clone()), None),
            trips: TripService::new(TripEngine::new(project.trips.clone())),
        }
    }

    fn set(&mut self, tag: &str, v: f64, at: Timestamp) {
        let id = self.table.directory().id_of(tag).expect("demo tag");
        let u = self.table.apply(&Sample::good(id, Value::F64(v), at), at).unwrap();
        self.alarms.on_updates(std::slice::from_ref(&u), &self.table);
        self.alarms.on_tick(at, &self.table);
        self.alarms.on_publish();
        self.trips.on_updates(&[u], &self.table);
        self.trips.on_publish();
    }

    /// Four standing alarms: two on the CT's wellhead pressure, the ESP-02 motor hot, ESP-01 underloaded.
    fn alarming() -> Self {
        let mut plant = Self::new();
        let early = Timestamp(NOW.0 - 20_000_000);
        plant.set("ct01/wellhead_pressure", 3_400.0, early);
        plant.set("esp02/motor_temp", 340.0, Timestamp(early.0 + 1_000_000));
        plant.set("esp01/motor_current", 5.0, Timestamp(early.0 + 2_000_000));
        plant.set("ct01/wellhead_pressure", 3_420.0, NOW);
        plant
    }
}

fn cab(plant: &Plant, size: (f32, f32), lang: Lang) -> Harness<'static, ConsoleApp> {
    let settings = wellconsole::ui::ConsoleSettings {
        touch: true,
        lang,
        ..support::test_settings()
    };
    let handle = AlarmHandle {
        view: plant.alarms.view_cell(),
        problems: Arc::new(arc_swap::ArcSwap::from_pointee(Vec::new())),
        journal: None,
        journal_stats: None,
    };
    let (app, _rx) = support::console_with_trips(
        None,
        None,
        Some(handle),
        Some(plant.trips.view_cell()),
        Arc::new(|| NOW),
        support::demo_snapshot(),
        settings,
    );
    let mut h = Harness::builder()
        .with_size(egui::vec2(size.0, size.1))
        .build_ui_state(|ui, app: &mut ConsoleApp| app.console_ui(ui), app);
    h.run();
    h.run();
    h
}

const PAGES: [&str; 13] = [
    "Displays",
    "Overview",
    "Alarms",
    "Alarm log",
    "Alarm KPIs",
    "Trips",
    "Tags",
    "Trends",
    "CT string",
    "Jobs",
    "Drivers",
    "Simulator",
    "Audit",
];
const ESTOPS: [&str; 2] = ["CT-01 E-STOP", "ESP FIELD E-STOP"];

fn estop_rects(h: &Harness<'static, ConsoleApp>) -> Vec<egui::Rect> {
    ESTOPS.iter().map(|e| h.get_by_label(e).rect()).collect()
}

/// The E-STOPs are inside the window, at least a gloved thumb's size, and no other control overlaps one.
fn assert_estops_whole(h: &Harness<'static, ConsoleApp>, size: (f32, f32), page: &str) {
    let window = egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(size.0, size.1));
    let rects = estop_rects(h);
    for (name, r) in ESTOPS.iter().zip(&rects) {
        assert!(window.contains_rect(*r), "{name} inside the window on {page}: {r:?}");
        assert!(
            r.height() >= 56.7 && r.width() >= 150.0,
            "{name} touch-sized on {page}: {r:?}"
        );
    }
    for b in h.query_all_by_role(Role::Button) {
        let label = b.accesskit_node().label().unwrap_or_default();
        if ESTOPS.contains(&label.as_str()) || b.accesskit_node().is_hidden() {
            continue;
        }
        let br = b.rect();
        for (name, r) in ESTOPS.iter().zip(&rects) {
            assert!(
                !br.intersects(r.shrink(0.5)),
                "'{label}' {br:?} overlaps {name} {r:?} on {page}"
            );
        }
    }
}

#[test]
fn on_a_cab_panel_every_page_leaves_the_estops_whole_in_one_place_and_three_alarm_lines() {
    let plant = Plant::alarming();
    for size in [(1280.0, 800.0), (1024.0, 768.0), (1920.0, 1080.0)] {
        let mut h = cab(&plant, size, Lang::En);
        let home = estop_rects(&h);
        // Four alarms stand; the banner shows three lines of them in touch mode too.
        assert_eq!(
            h.query_all_by_label_contains("alarm ").count(),
            3,
            "three banner lines at {size:?}"
        );
        for page in PAGES {
            support::open_page(&mut h, page);
            assert_estops_whole(&h, size, page);
            assert_eq!(estop_rects(&h), home, "the E-STOPs stay put on {page} at {size:?}");
            if size == (1280.0, 800.0) {
                mask_frame_time(&mut h);
                h.snapshot(format!("cab_{}", page.to_lowercase().replace(' ', "_")));
            }
        }
    }
}

#[test]
fn a_cab_panel_in_spanish_keeps_its_layout() {
    let plant = Plant::alarming();
    let size = (1280.0, 800.0);
    let mut h = cab(&plant, size, Lang::Es);
    let home = estop_rects_es(&h);
    for page in ["Pantallas", "Vista general", "Alarmas", "Disparos", "Tendencias"] {
        support::open_page_in(&mut h, page, "Páginas: ");
        assert_eq!(estop_rects_es(&h), home, "the E-STOPs stay put on {page}");
    }
    support::open_page_in(&mut h, "Pantallas", "Páginas: ");
    h.get_by_label("TF-01 tubería flexible").click();
    h.run();
    mask_frame_time(&mut h);
    h.snapshot("cab_ct01_es");
}

fn estop_rects_es(h: &Harness<'static, ConsoleApp>) -> Vec<egui::Rect> {
    ["PARO DE EMERGENCIA CT-01", "PARO DE EMERGENCIA CAMPO ESP"]
        .iter()
        .map(|e| h.get_by_label(e).rect())
        .collect()
}

#[test]
fn a_write_notice_floats_over_the_page_and_says_what_became_of_the_write() {
    let plant = Plant::alarming();
    let mut h = cab(&plant, (1280.0, 800.0), Lang::En);
    support::open_page(&mut h, "Tags");
    let search = h.get_by_label("Search tags:").rect();
    h.state_mut().notices_mut().say("esp01/rate added to the trend");
    h.run();
    h.get_by_label("esp01/rate added to the trend");
    assert_eq!(
        h.get_by_label("Search tags:").rect(),
        search,
        "a notice moves no control"
    );
}

#[test]
fn a_screen_window_has_the_banner_and_the_estops_too_and_its_estop_asks_for_confirmation() {
    let plant = Plant::alarming();
    let mut h = cab(&plant, (1920.0, 1080.0), Lang::En);
    h.key_press(egui::Key::F2);
    h.run();
    h.get_by_label("New window").click();
    h.run();
    h.run();
    assert_eq!(h.state().screen_windows().len(), 1);
    // The harness draws the window inside the main one: every top-bar part is there twice.
    for e in ESTOPS {
        assert_eq!(
            h.query_all_by_label(e).count(),
            2,
            "{e} in the main window and in the screen window"
        );
    }
    assert_eq!(h.query_all_by_label("ACK PAGE").count(), 2);
    assert_eq!(h.query_all_by_label("alarm ct01/wellhead_pressure:HIHI").count(), 2);
    // The window's own E-STOP: one press asks, nothing more.
    h.query_all_by_label("CT-01 E-STOP").last().unwrap().click();
    h.run();
    h.get_by_label("Confirm CT-01 E-STOP");
}

#[test]
fn an_open_dialog_never_stands_between_a_hand_and_the_estop() {
    let plant = Plant::alarming();
    let mut h = cab(&plant, (1280.0, 800.0), Lang::En);
    support::open_page(&mut h, "Tags");
    crate::alarm_ui::type_into(&mut h, "Search tags:", "esp02/frequency_setpoint");
    h.get_by_label("Write esp02/frequency_setpoint").click();
    h.run();
    h.get_by_label("Enter"); // the keypad is open, with its grey backdrop over the page
    h.get_by_label("CT-01 E-STOP").click();
    h.run();
    h.get_by_label("Confirm CT-01 E-STOP");
}
