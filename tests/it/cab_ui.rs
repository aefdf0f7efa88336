//! Scratch: the whole console at cab sizes.

use crate::support::{self, NOW};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use std::sync::Arc;
use wellconsole::alarm::{AlarmEngine, AlarmService};
use wellconsole::hub::Subscriber;
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
        self.alarms.on_updates(&[u.clone()], &self.table);
        self.alarms.on_tick(at, &self.table);
        self.alarms.on_publish();
        self.trips.on_updates(&[u], &self.table);
        self.trips.on_publish();
    }
}

fn harness(plant: &Plant, w: f32, h: f32, touch: bool) -> Harness<'static, ConsoleApp> {
    let mut settings = support::test_settings();
    settings.touch = touch;
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
    Harness::builder()
        .with_size(egui::vec2(w, h))
        .build_ui_state(|ui, app: &mut ConsoleApp| app.console_ui(ui), app)
}

#[test]
fn scratch_cab() {
    let mut plant = Plant::new();
    let early = Timestamp(NOW.0 - 20_000_000);
    plant.set("ct01/wellhead_pressure", 3_400.0, early);
    plant.set("esp02/motor_temp", 340.0, Timestamp(early.0 + 1_000_000));
    plant.set("ct01/wellhead_pressure", 5_420.0, NOW);
    plant.set("esp02/motor_temp", 341.0, NOW);
    plant.set("esp01/motor_current", 5.0, NOW);
    for (w, hgt) in [(1920.0, 1080.0), (1280.0, 800.0), (1024.0, 768.0)] {
        let mut h = harness(&plant, w, hgt, true);
        h.run();
        let _ = h.query_by_label("x");
        save(&mut h, &format!("/tmp/cab_{w}x{hgt}.png"));
        if let Some(m) = h.query_by_label_contains("       ") {
            m.click();
            h.run();
            save(&mut h, &format!("/tmp/cab_{w}x{hgt}_menu.png"));
        }
    }
}

pub(crate) fn save(h: &mut Harness<'static, ConsoleApp>, path: &str) {
    let img = h.render().unwrap();
    let rgba = wellconsole::ui::offscreen::Rgba {
        width: img.width(),
        height: img.height(),
        data: img.into_raw(),
    };
    rgba.write_png(std::path::Path::new(path)).unwrap();
}
