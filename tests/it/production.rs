//! The production room end to end on the demo site: the demo's simulator stepped through its test
//! manifold's rotation, its readings applied to a tag table as the hub applies them, the production service
//! deriving from them, and the writer recording the completed tests in production.db. The tests it records
//! are compared with the simulator's own rates; the ESP tags with the simulator's pump.

use crossbeam_channel::bounded;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};
use wellconsole::driver::{DriverLink, DriverStats, sample_channel};
use wellconsole::hub::Deriver;
use wellconsole::production::ProductionView;
use wellconsole::production::config::ProductionConfig;
use wellconsole::production::model::TestStatus;
use wellconsole::production::service::ProductionService;
use wellconsole::production::writer::{ProductionWriter, WriterConfig};
use wellconsole::project::Project;
use wellconsole::sim::DemoPlant;
use wellconsole::tag::{Sample, TagId, TagTable, TagUpdate, Timestamp, Value};

/// 2026-12-01T00:00:00Z, µs: where the plant's clock starts.
const T0_US: i64 = 1_796_083_200_000_000;

fn link(cfg: &ProductionConfig) -> DriverLink {
    let stats = Arc::new(DriverStats::default());
    let (samples, _) = sample_channel(cfg.driver, 4, stats.clone());
    let (_, commands) = bounded(1);
    let (events, _) = bounded(1);
    DriverLink {
        id: cfg.driver,
        name: "production".into(),
        samples,
        commands,
        events,
        stats,
        shutdown: Arc::new(AtomicBool::new(false)),
        tags: Vec::new(),
    }
}

/// The simulator's own rates of the well on test at one plant second: (t s, oil STB/d, water bbl/d, gas
/// Mscf/d).
type Truth = (f64, f64, f64, f64);

/// The simulator's mean rates over `[from, to]` plant seconds.
fn mean_over(log: &[Truth], from: f64, to: f64) -> (f64, f64, f64) {
    let inside: Vec<&Truth> = log.iter().filter(|r| r.0 >= from && r.0 <= to).collect();
    let n = inside.len() as f64;
    assert!(n > 60.0, "the test period has the simulator's seconds");
    let sum = |f: fn(&Truth) -> f64| inside.iter().map(|r| f(r)).sum::<f64>() / n;
    (sum(|r| r.1), sum(|r| r.2), sum(|r| r.3))
}

#[test]
fn the_demo_tests_its_wells_in_turn_and_records_what_the_simulator_produced() {
    let project = Project::demo().expect("the demo loads");
    let cfg = project.site.production.clone().expect("the demo has [production]");
    let sim = project
        .site
        .drivers
        .iter()
        .find_map(|d| d.kind.as_sim())
        .expect("the demo runs its simulator");
    let mut plant = DemoPlant::new(sim.plant.clone());
    let directory = project.site.tags.clone();
    // Each simulator signal's tag, in the plant's reading order.
    let by_signal: Vec<Option<TagId>> = plant
        .specs()
        .iter()
        .map(|s| {
            directory
                .iter()
                .find(|d| d.address == s.address && d.driver.0 == 0)
                .map(|d| d.id)
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let (writer, port) = ProductionWriter::start(WriterConfig {
        path: dir.path().join("production.db"),
        audit: None,
        site: project.site.name.clone(),
        production: Some(cfg.clone()),
        history: None,
    })
    .unwrap();
    let mut service = ProductionService::new(cfg.clone(), link(&cfg), Some(port.clone()), 1.0);
    let mut table = TagTable::new(directory.clone());
    let mut updates: Vec<TagUpdate> = Vec::new();
    let mut out: Vec<Sample> = Vec::new();
    // The simulator's own rates of the well on test, each second: averaged later over each test's period.
    let mut truth: Vec<Truth> = Vec::new();
    let rotation_s = sim.plant.test_rotation_s;
    assert!(rotation_s > 0.0, "the demo rotates its wells through the separator");
    let mut t = 0.0;
    while t < 2.0 * rotation_s - 60.0 {
        plant.step(1.0);
        t += 1.0;
        let now = Timestamp(T0_US + (t * 1e6) as i64);
        updates.clear();
        for (v, tag) in plant.read().to_vec().into_iter().zip(&by_signal) {
            if let Some(tag) = tag
                && let Some(u) = table.apply(&Sample::good(*tag, v, now), now)
            {
                updates.push(u);
            }
        }
        out.clear();
        service.derive(&updates, &table, now, &mut out);
        for s in &out {
            table.apply(s, now);
        }
        let i = plant.well_on_test_index();
        let w = plant.esp(i).unwrap();
        let p = w.params();
        let oil = w.rate_bpd() * (1.0 - p.water_cut);
        truth.push((t, oil, w.rate_bpd() * p.water_cut, oil * p.gor_scf_stb / 1000.0));
    }
    service.stop();
    let deadline = Instant::now() + Duration::from_secs(30);
    let view: Arc<ProductionView> = loop {
        let v = port.view.load_full();
        if v.tests.len() >= 2 || Instant::now() > deadline {
            break v;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    writer.stop();
    let mut tests = view.tests.clone();
    tests.sort_by_key(|t| t.m.start.0);
    let wells: Vec<&str> = tests.iter().map(|t| t.m.well.as_str()).collect();
    assert_eq!(wells, ["esp01", "esp02"], "one test per well routed");
    let plant_s = |ts: Timestamp| (ts.0 - T0_US) as f64 / 1e6;
    for test in &tests {
        let m = &test.m;
        let (oil, water, gas) = mean_over(&truth, plant_s(m.start), plant_s(m.end));
        assert_eq!(test.status, TestStatus::Pending);
        let close = |got: f64, want: f64, what: &str| {
            assert!(
                (got - want).abs() <= 0.02 * want,
                "{}: {what} {got:.1} against the simulator's {want:.1}",
                m.well
            );
        };
        close(m.oil_stb_d, oil, "oil");
        close(m.water_bbl_d, water, "water");
        close(m.gas_mscf_d, gas, "gas");
        assert!(m.totalized && m.level_compensated);
        assert!(m.pwf_psi.is_some() && m.whp_psi.is_some() && m.esp_hz.is_some());
        assert!(m.duration_h() > 0.33 - 1e-6, "a 20-minute test period");
    }
    // Every ESP's figures: the demo's pumps run in their range, on their catalogue curve.
    for w in &cfg.wells {
        let e = w.esp.as_ref().unwrap();
        let zone = table.get(e.tags.zone).and_then(|s| s.value.clone());
        assert_eq!(zone, Some(Value::str("recommended")), "{}", w.id);
        let ratio = table
            .get(e.tags.head_ratio)
            .and_then(|s| s.value.as_ref().and_then(Value::as_f64))
            .unwrap();
        assert!(
            (ratio - 100.0).abs() < 3.0,
            "{}: head {ratio:.1} % of the catalogue's",
            w.id
        );
        let eff = table
            .get(e.tags.efficiency)
            .and_then(|s| s.value.as_ref().and_then(Value::as_f64))
            .unwrap();
        assert!(eff > 10.0 && eff < 90.0, "{}: efficiency {eff:.1} %", w.id);
        let oor = table.get(e.tags.out_of_range).and_then(|s| s.value.clone());
        assert_eq!(oor, Some(Value::Bool(false)));
    }
}

/// Sets a tag's value in `table` at `now`, as the hub applies a driver's sample, and returns its update.
fn set(table: &mut TagTable, name: &str, v: f64, now: Timestamp) -> TagUpdate {
    let id = table
        .directory()
        .id_of(name)
        .unwrap_or_else(|| panic!("the demo has {name}"));
    table.apply(&Sample::good(id, Value::F64(v), now), now).unwrap()
}

#[test]
fn a_pump_run_left_of_its_range_raises_the_out_of_range_flag_after_the_configured_time() {
    let project = Project::demo().expect("the demo loads");
    let cfg = project.site.production.clone().unwrap();
    let w = cfg.well("esp01").unwrap();
    let e = w.esp.as_ref().unwrap();
    let mut service = ProductionService::new(cfg.clone(), link(&cfg), None, 1.0);
    let mut table = TagTable::new(project.site.tags.clone());
    let mut out = Vec::new();
    let zone_and_flag = |table: &TagTable| {
        (
            table.get(e.tags.zone).and_then(|s| s.value.clone()),
            table.get(e.tags.out_of_range).and_then(|s| s.value.clone()),
        )
    };
    // 300 bbl/d at 56 Hz is far left of DEMO-2287's range (35–78 % of its 2,287 bbl/d runout, scaled).
    let mut feed = |t: f64, rate: f64, table: &mut TagTable| {
        let now = Timestamp(T0_US + (t * 1e6) as i64);
        let updates = vec![
            set(table, "esp01/frequency", 56.0, now),
            set(table, "esp01/intake_pressure", 1_900.0, now),
            set(table, "esp01/discharge_pressure", 3_400.0, now),
            set(table, "esp01/motor_current", 25.0, now),
            set(table, "esp01/rate", rate, now),
        ];
        out.clear();
        service.derive(&updates, table, now, &mut out);
        for s in &out {
            table.apply(s, now);
        }
    };
    feed(0.0, 300.0, &mut table);
    assert_eq!(
        zone_and_flag(&table),
        (Some(Value::str("downthrust")), Some(Value::Bool(false))),
        "outside at once, the flag waits"
    );
    let delay = e.out_of_range_s;
    assert!(delay > 0.0);
    feed(delay - 1.0, 300.0, &mut table);
    assert_eq!(zone_and_flag(&table).1, Some(Value::Bool(false)), "not yet");
    feed(delay + 1.0, 300.0, &mut table);
    assert_eq!(
        zone_and_flag(&table).1,
        Some(Value::Bool(true)),
        "after out_of_range_min"
    );
    feed(delay + 3.0, 1_300.0, &mut table);
    assert_eq!(
        zone_and_flag(&table),
        (Some(Value::str("recommended")), Some(Value::Bool(false))),
        "back in range: the flag drops"
    );
    // Discharge below intake is a gauge fault: every ESP figure goes bad, none is made up.
    let now = Timestamp(T0_US + ((delay + 5.0) * 1e6) as i64);
    let updates = vec![set(&mut table, "esp01/discharge_pressure", 1_000.0, now)];
    out.clear();
    service.derive(&updates, &table, now, &mut out);
    assert!(out.iter().filter(|s| s.tag == e.tags.tdh).all(|s| s.value.is_none()));
    assert!(out.iter().any(|s| s.tag == e.tags.tdh), "the TDH tag is told");
}

/// The demo's project with its test manifold and test settings shortened, so a whole test fits in minutes
/// of plant time: rotation 10 min, purge 1, window 2, test 5; the plant stepped each second (not 10 times a
/// second), so running it at 60x costs the other tests on a 2-core machine little.
fn quick_demo() -> Project {
    let demo = wellconsole::project::ProjectFiles::embedded_demo();
    let files: Vec<(String, String)> = demo
        .iter()
        .map(|(rel, text)| {
            let text = if rel == "site.toml" {
                let edits = [
                    ("test_rotation_min = 45.0", "test_rotation_min = 10.0"),
                    ("purge_min = 5.0", "purge_min = 1.0"),
                    ("stabilization_window_min = 10.0", "stabilization_window_min = 2.0"),
                    ("test_min = 20.0", "test_min = 5.0"),
                    ("max_stabilization_min = 20.0", "max_stabilization_min = 8.0"),
                    ("period_ms = 100 ", "period_ms = 1000 "),
                ];
                edits.iter().fold(text.to_owned(), |t, (from, to)| {
                    assert!(t.contains(from), "the demo says {from}");
                    t.replace(from, to)
                })
            } else {
                text.to_owned()
            };
            (rel.to_owned(), text)
        })
        .collect();
    Project::load(wellconsole::project::ProjectFiles::from_memory(files)).expect("the shortened demo loads")
}

/// The whole console at 60 times real time: the simulator stamps its readings at the wall time it reaches
/// them, the service counts the test's minutes in plant time, and the rates it records are the plant's (not
/// 60 times them).
#[test]
fn a_console_running_the_demo_fast_records_a_test_at_the_plant_s_rates() {
    use wellconsole::runtime::{Runtime, RuntimeOptions};
    let project = quick_demo();
    let sim = project
        .site
        .drivers
        .iter()
        .find_map(|d| d.kind.as_sim())
        .unwrap()
        .clone();
    // The simulator's own esp01 over the first test's 8 plant minutes.
    let mut plant = DemoPlant::new(sim.plant.clone());
    let (mut oil, mut n) = (0.0, 0.0);
    for _ in 0..480 {
        plant.step(1.0);
        let w = plant.esp(0).unwrap();
        oil += w.rate_bpd() * (1.0 - w.params().water_cut);
        n += 1.0;
    }
    let oil = oil / n;
    let dir = tempfile::tempdir().unwrap();
    let opts = RuntimeOptions {
        speed: Some(60.0),
        production_records: Some(dir.path().join("production.db")),
        ..RuntimeOptions::default()
    };
    let rt = Runtime::start(project, opts, Vec::new(), None).unwrap();
    let port = rt.production.clone().expect("the demo keeps its well tests");
    let deadline = Instant::now() + Duration::from_secs(120);
    let test = loop {
        if let Some(t) = port.view.load().tests.first().cloned() {
            break t;
        }
        assert!(Instant::now() < deadline, "no test recorded in 120 s (2 plant hours)");
        std::thread::sleep(Duration::from_millis(100));
    };
    drop(rt);
    assert_eq!(test.m.well, "esp01");
    assert!(
        (test.m.oil_stb_d - oil).abs() <= 0.03 * oil,
        "oil {:.1} STB/d against the simulator's {oil:.1}",
        test.m.oil_stb_d
    );
    // On the readings' clock: 5 plant minutes are 5 seconds at 60x.
    let secs = (test.m.end.0 - test.m.start.0) as f64 / 1e6;
    assert!(
        (4.0..=6.5).contains(&secs),
        "the test period took {secs:.1} s of stamps"
    );
}
