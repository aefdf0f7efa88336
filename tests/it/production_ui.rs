//! The Production page as a production engineer uses it, over a real production writer and production.db on
//! the demo site: the field table of ESP-01..ESP-06 sorted by a header and filtered, ESP-01 opened with its
//! inflow curve and its pump on the catalogue curve, a pending well test approved from the Tests tab, and the
//! decline of ESP-01's daily rates fitted by the decline worker; snapshot images of the field table and of
//! the IPR, ESP and decline tabs.
//!
//! The console's snapshot is the demo's fixed one with ESP-01 on the test separator and its pump's tags set
//! to a plausible operating point, so the images read as a real well and stay the same every run.

use crate::console_ui::{harness, mask_frame_time};
use crate::support::{self, NOW};
use arc_swap::ArcSwap;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use wellconsole::auth::{Actor, Role};
use wellconsole::hub::Snapshot;
use wellconsole::production::ProductionPort;
use wellconsole::production::config::ProductionConfig;
use wellconsole::production::decline::DeclineWorker;
use wellconsole::production::model::{Measured, TestStatus};
use wellconsole::production::store::ProductionStore;
use wellconsole::production::writer::{ProductionWriter, WriterConfig};
use wellconsole::project::Project;
use wellconsole::tag::{Quality, Timestamp, Value};
use wellconsole::ui::{ConsoleApp, ConsoleInputs, ConsoleSettings, MeasureOptions, Page};

const WELLS: [&str; 6] = ["ESP-01", "ESP-02", "ESP-03", "ESP-04", "ESP-05", "ESP-06"];
const DAY_US: i64 = 86_400_000_000;

/// A 20-minute test of ESP-01 that ended `days_ago` days before the console's clock: `liquid` bbl/d at 48 %
/// water and 450 scf/STB, at a flowing bottomhole pressure of `pwf` psi.
fn measured(days_ago: i64, liquid: f64, pwf: f64) -> Measured {
    let end = Timestamp(NOW.0 - days_ago * DAY_US);
    let start = Timestamp(end.0 - 20 * 60_000_000);
    let wc = 0.48;
    let (oil, water) = (liquid * (1.0 - wc), liquid * wc);
    Measured {
        well: "esp01".into(),
        separator: "sep01".into(),
        routed_at: Timestamp(start.0 - 25 * 60_000_000),
        stable_at: start,
        start,
        end,
        oil_stb_d: oil,
        water_bbl_d: water,
        gas_mscf_d: oil * 450.0 / 1000.0,
        gor_scf_stb: Some(450.0),
        wor: Some(water / oil),
        water_cut: Some(wc),
        bsw: None,
        separator_psi: 120.0,
        separator_temp_f: Some(96.0),
        whp_psi: Some(180.0),
        pwf_psi: Some(pwf),
        esp_hz: Some(56.0),
        meter_factors: [1.0; 3],
        shrinkage: 1.0,
        totalized: true,
        level_compensated: true,
        bad_input_s: 0.0,
    }
}

/// Two approved tests of ESP-01 (its curve now and before the newest) and a pending one, written to
/// production.db before the console starts, as the writer would have kept them; the pending test's id.
fn seed_tests(path: &Path) -> i64 {
    let mut store = ProductionStore::open(path).unwrap();
    let decided = Timestamp(NOW.0 - DAY_US / 2);
    for (days_ago, liquid, pwf) in [(40, 1420.0, 1280.0), (10, 1380.0, 1300.0)] {
        let id = store.insert_measured(&measured(days_ago, liquid, pwf)).unwrap();
        store.sign_tester(id, "otto", decided).unwrap();
        store.approve(id, "eve", decided, "").unwrap();
    }
    store.insert_measured(&measured(1, 1350.0, 1311.0)).unwrap()
}

/// The demo's snapshot with ESP-01 on the test separator (stabilizing, 2.1 % of 5 %) and the pumps' figures
/// where they would be: ESP-01 at 56 Hz and 1,350 bbl/d inside its range, the others spread over the zones.
fn production_snapshot() -> Snapshot {
    let mut snap = support::demo_snapshot();
    let mut set = |name: &str, v: Value| {
        let id = snap
            .directory
            .id_of(name)
            .unwrap_or_else(|| panic!("{name} in the demo"));
        let s = &mut snap.tags[id.index()];
        s.value = Some(v);
        s.quality = Quality::Good;
    };
    set("sep01/well_on_test", Value::str("esp01"));
    set("sep01/test_state", Value::str("stabilizing"));
    set("sep01/test_well", Value::str("esp01"));
    set("sep01/test_elapsed", Value::F64(12.5));
    set("sep01/test_stability", Value::F64(2.1));
    // ESP-01: TDH = 2.31 × (2,475 − 1,150) / 0.9567 ≈ 3,199 ft, near its curve at 56 Hz.
    for (tag, v) in [
        ("esp01/rate", 1350.0),
        ("esp01/frequency", 56.0),
        ("esp01/intake_pressure", 1150.0),
        ("esp01/discharge_pressure", 2475.0),
        ("esp01/tdh", 3199.0),
        ("esp01/pump_efficiency", 58.2),
        ("esp01/motor_load", 71.5),
        ("esp01/head_ratio", 97.4),
    ] {
        set(tag, Value::F64(v));
    }
    for (well, rate, zone, out) in [
        ("esp01", 1350.0, "recommended", false),
        ("esp02", 980.0, "recommended", false),
        ("esp04", 1620.0, "downthrust", false),
        ("esp05", 1210.0, "recommended", false),
        ("esp06", 760.0, "upthrust", true),
    ] {
        set(&format!("{well}/rate"), Value::F64(rate));
        set(&format!("{well}/pump_zone"), Value::str(zone));
        set(&format!("{well}/pump_out_of_range"), Value::Bool(out));
    }
    snap
}

/// The production writer over a new production.db in `dir` (seeded by `seed`), and the demo's production.
fn start_writer(dir: &Path, seed: impl FnOnce(&Path)) -> (ProductionWriter, ProductionPort, Arc<ProductionConfig>) {
    let project = Project::demo().unwrap();
    let cfg = project.site.production.clone().expect("the demo site has [production]");
    let path = dir.join("production.db");
    seed(&path);
    let (writer, port) = ProductionWriter::start(WriterConfig {
        path,
        audit: None,
        site: project.site.name.clone(),
        production: Some(cfg.clone()),
        history: None,
    })
    .unwrap();
    (writer, port, cfg)
}

/// The decline worker as the console's runtime starts it on the demo: ESP-01's daily rates from its
/// history file (data/production/esp01.csv), no historian.
// Keep in step with the decline room's constructor (`Runtime::start` makes the console's).
fn decline_worker(project: &Project, view: wellconsole::production::ProductionViewCell) -> Arc<DeclineWorker> {
    let cfg = project.site.production.clone().expect("the demo has [production]");
    let csv = cfg.wells.iter().map(|w| (w.id.clone(), w.history.clone())).collect();
    Arc::new(DeclineWorker::start(cfg, csv, None, view).expect("the decline worker starts"))
}

fn console(
    port: ProductionPort,
    cfg: Arc<ProductionConfig>,
    decline: Option<Arc<DeclineWorker>>,
    settings: ConsoleSettings,
) -> Harness<'static, ConsoleApp> {
    let (tx, _rx) = wellconsole::hub::command_lanes(16, 16);
    let inputs = ConsoleInputs {
        site_name: "Campo Escuela (demo)".into(),
        snapshot: Arc::new(ArcSwap::from_pointee(production_snapshot())),
        commands: tx,
        simulator: None,
        clock: Arc::new(|| NOW),
        history: None,
        history_stats: None,
        forward: None,
        central: None,
        api: None,
        share: None,
        alarms: None,
        trips: None,
        ct_strings: None,
        jobs: None,
        production: Some(port),
        production_cfg: Some(cfg),
        decline,
        screens: Arc::new(ArcSwap::new(Project::demo().expect("demo project is valid").screens)),
        screen_problems: None,
        project_root: None,
        settings,
    };
    let mut h = harness(ConsoleApp::new(inputs, MeasureOptions::default()));
    h.run();
    h
}

fn engineer() -> ConsoleSettings {
    ConsoleSettings {
        actor: Actor::new("eve", Role::Engineer),
        ..ConsoleSettings::default()
    }
}

/// Runs frames until `cond` holds (the writer and the decline worker answer on their own threads).
fn run_until(h: &mut Harness<'static, ConsoleApp>, what: &str, cond: impl Fn(&Harness<'static, ConsoleApp>) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !cond(h) {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(20));
        h.run();
    }
}

/// The wells the field table shows, top to bottom.
fn well_order(h: &Harness<'static, ConsoleApp>) -> Vec<&'static str> {
    let mut rows: Vec<(f32, &'static str)> = WELLS
        .iter()
        .filter_map(|w| h.query_by_label(w).map(|n| (n.rect().top(), *w)))
        .collect();
    rows.sort_by(|a, b| a.0.total_cmp(&b.0));
    rows.into_iter().map(|r| r.1).collect()
}

/// Opens ESP-01 from the field table and shows its `tab`.
fn open_esp01(h: &mut Harness<'static, ConsoleApp>, tab: &str) {
    support::open_page(h, "Production");
    assert_eq!(h.state().page(), Page::Production);
    h.get_by_label("ESP-01").click();
    h.run();
    h.get_by_label(tab).click();
    h.run();
}

#[test]
fn an_engineer_reads_the_field_and_approves_a_well_test() {
    let dir = tempfile::tempdir().unwrap();
    let mut pending = 0;
    let (writer, port, cfg) = start_writer(dir.path(), |p| pending = seed_tests(p));
    assert_eq!(
        port.view.load().tests.len(),
        3,
        "the seeded tests are in the writer's first view"
    );
    let mut h = console(port.clone(), cfg, None, engineer());
    support::open_page(&mut h, "Production");
    assert_eq!(h.state().page(), Page::Production);

    // The field table: every well, by name; the header sorts, again the other way.
    assert_eq!(well_order(&h), WELLS);
    h.get_by_label("Stabilizing");
    h.get_by_label("on test");
    mask_frame_time(&mut h);
    h.snapshot("production_field");
    h.get_by_label("Well").click();
    h.run();
    let reversed: Vec<&str> = WELLS.iter().rev().copied().collect();
    assert_eq!(
        well_order(&h),
        reversed,
        "a second click on the sorted header reverses it"
    );
    h.get_by_label("Well").click();
    h.run();

    // The filter leaves the one well it names.
    h.get_by_label("Filter").focus();
    h.run();
    h.get_by_label("Filter").type_text("03");
    h.run();
    h.run();
    assert_eq!(well_order(&h), ["ESP-03"]);
    h.get_by_label("Clear filter").click();
    h.run();
    h.run();
    assert_eq!(well_order(&h).len(), 6);

    // ESP-01: its inflow curve from the two approved tests, and its pump on the catalogue curve.
    h.get_by_label("ESP-01").click();
    h.run();
    h.get_by_label("IPR").click();
    h.run();
    h.get_by_label("AOF");
    h.get_by_label("least squares");
    mask_frame_time(&mut h);
    h.snapshot("production_ipr");
    h.get_by_label("ESP").click();
    h.run();
    h.get_by_label("TDH");
    h.get_by_label("in range");
    mask_frame_time(&mut h);
    h.snapshot("production_esp");

    // The pending test, chosen first on the Tests tab, approved by the engineer.
    h.get_by_label("Tests").click();
    h.run();
    h.get_by_label(&format!("Test {pending}"));
    h.get_by_label("Approve").click();
    h.run();
    run_until(&mut h, "the test approved in the records", |_| {
        port.view
            .load()
            .test(pending)
            .is_some_and(|t| t.status == TestStatus::Approved && t.decided_by.as_deref() == Some("eve"))
    });
    run_until(&mut h, "the writer's answer on the page", |h| {
        h.query_all_by_label_contains("approved: it counts for the well's inflow curve")
            .next()
            .is_some()
    });
    assert!(
        port.view
            .load()
            .wells
            .iter()
            .any(|s| s.well == "esp01" && s.ipr.tests_used.len() == 3),
        "the approved test joins the well's inflow curve"
    );
    drop(h);
    writer.stop();
}

#[test]
fn a_viewer_may_not_approve() {
    let dir = tempfile::tempdir().unwrap();
    let (writer, port, cfg) = start_writer(dir.path(), |p| {
        seed_tests(p);
    });
    let settings = ConsoleSettings {
        actor: Actor::new("vic", Role::Viewer),
        ..ConsoleSettings::default()
    };
    let mut h = console(port, cfg, None, settings);
    open_esp01(&mut h, "Tests");
    for action in ["Approve", "Sign as tester", "Export PDF"] {
        assert!(
            h.get_by_label(action).accesskit_node().is_disabled(),
            "{action} is disabled for a viewer"
        );
    }
    drop(h);
    writer.stop();
}

#[test]
fn the_decline_of_a_well_is_fitted_and_drawn() {
    let dir = tempfile::tempdir().unwrap();
    let (writer, port, cfg) = start_writer(dir.path(), |p| {
        seed_tests(p);
    });
    let project = Project::demo().unwrap();
    let worker = decline_worker(&project, port.view.clone());
    let mut h = console(port, cfg, Some(worker), engineer());
    open_esp01(&mut h, "Decline");
    h.get_by_label("Fit").click();
    h.run();
    // The tab's first showing asked a fit by itself: its answer may already be drawn (with "Fitting…"
    // above it) while Fit's own is awaited. The picture is taken once nothing is awaited.
    run_until(&mut h, "the decline worker's answer to Fit", |h| {
        (h.query_by_label("EUR").is_some() || h.query_by_label_contains("No fit: ").is_some())
            && h.query_by_label("Fitting…").is_none()
    });
    assert!(
        h.query_by_label("EUR").is_some(),
        "ESP-01's history fits: {:?}",
        h.query_by_label_contains("No fit: ")
            .map(|n| n.accesskit_node().label())
    );
    mask_frame_time(&mut h);
    h.snapshot("production_decline");
    drop(h);
    writer.stop();
}
