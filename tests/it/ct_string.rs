//! The CT string's engineering in a running console: the early warning on the simulator's stuck pipe, the
//! fatigue alarms at their thresholds, and the string's fatigue and running feet kept across a restart.

use std::time::{Duration, Instant};
use wellconsole::driver::DriverControl;
use wellconsole::driver::sim::SimCommand;
use wellconsole::hub::HubCommand;
use wellconsole::project::{Project, ProjectFiles};
use wellconsole::runtime::{Runtime, RuntimeOptions};
use wellconsole::sim::{Fault, FaultKind};

fn demo_files() -> Vec<(String, String)> {
    let demo = ProjectFiles::from_dir(std::path::Path::new(env!("CARGO_MANIFEST_DIR"))).expect("the demo reads");
    demo.iter()
        .map(|(rel, text)| (rel.to_owned(), text.to_owned()))
        .collect()
}

fn load(files: Vec<(String, String)>) -> Project {
    Project::load(ProjectFiles::from_memory(files)).unwrap_or_else(|e| panic!("the project loads: {e:?}"))
}

/// The ids of the alarms standing now.
fn standing(rt: &Runtime) -> Vec<String> {
    rt.alarms
        .view
        .load()
        .rows
        .iter()
        .map(|r| r.def.id.to_string())
        .collect()
}

fn wait_until(what: &str, secs: u64, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The CT string page's view of unit ct01, once the service has published one.
fn view(rt: &Runtime) -> Option<std::sync::Arc<wellconsole::ctstring::CtStringView>> {
    rt.ct_strings
        .as_ref()
        .expect("the demo engineers its CT string")
        .load()
        .unit("ct01")
        .cloned()
}

fn ct_view(rt: &Runtime) -> std::sync::Arc<wellconsole::ctstring::CtStringView> {
    view(rt).expect("unit ct01")
}

#[test]
fn a_stuck_pipe_raises_the_early_warning_named_as_such_and_not_before() {
    let opts = RuntimeOptions {
        speed: Some(10.0),
        ..RuntimeOptions::default()
    };
    let project = load(demo_files());
    let sim = project
        .site
        .drivers
        .iter()
        .find(|d| d.name == "sim")
        .map(|d| d.id)
        .expect("the demo's simulator");
    let rt = Runtime::start(project, opts, Vec::new(), None).unwrap();
    let early = |rt: &Runtime| {
        standing(rt)
            .into_iter()
            .filter(|id| id == "ct01/overpull:HI" || id == "ct01/set_down:HI")
            .collect::<Vec<_>>()
    };
    // The band is there once the broomstick is computed; the pipe runs in inside it.
    wait_until("the weight band", 60, || {
        rt.snapshot
            .load()
            .by_name("ct01/weight_slack_off_model")
            .is_some_and(|t| t.quality.is_good())
            && view(&rt).is_some_and(|v| v.band.is_some())
    });
    let band = ct_view(&rt).band.expect("a band at the live depth");
    assert!(band.pick_up_lbf > band.slack_off_lbf, "{band:?}");
    // Running in free for a while (80 s of plant time): no early warning.
    let fault_at = Instant::now() + Duration::from_secs(8);
    while Instant::now() < fault_at {
        assert_eq!(
            early(&rt),
            Vec::<String>::new(),
            "a false early warning while running free"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // Then the pipe sticks (the simulator's fault, injected as the Simulator page does).
    rt.commands
        .try_send(HubCommand::ToDriver {
            driver: sim,
            command: DriverControl::Sim(SimCommand::Inject(Fault {
                kind: FaultKind::StuckPipe,
                target: "ct01".into(),
            })),
        })
        .expect("the fault is sent");
    // Stuck while running in: the operator sets down on it, and the alarm says what it is.
    wait_until("the early warning on the stuck pipe", 60, || !early(&rt).is_empty());
    let rows = rt.alarms.view.load();
    let row = rows
        .rows
        .iter()
        .find(|r| &*r.def.id == "ct01/set_down:HI" || &*r.def.id == "ct01/overpull:HI")
        .expect("the alarm row");
    let message = row.def.message.get(wellconsole::lang::Lang::En).to_owned();
    assert!(
        message.contains("set-down") || message.contains("stuck pipe"),
        "named as such: {message}"
    );
    rt.shutdown();
}

#[test]
fn fatigue_alarms_act_at_75_and_85_percent_of_life() {
    for (pct, expected, not_expected) in [
        (80.0, "ct01/fatigue_max:HI", "ct01/fatigue_max:HIHI"),
        (90.0, "ct01/fatigue_max:HIHI", ""),
    ] {
        let mut files = demo_files();
        // The demo reel arrives with its history; here, a string with a worn foot 3,000 ft from its free end.
        let history = files
            .iter_mut()
            .find(|(rel, _)| rel == "reels/ct01_history.csv")
            .expect("the demo reel has a history");
        history.1 = format!("position_ft,fatigue_pct\n0,10\n2990,10\n3000,{pct}\n3010,10\n13999,5\n");
        let rt = Runtime::start(load(files), RuntimeOptions::default(), Vec::new(), None).unwrap();
        wait_until(expected, 30, || {
            standing(&rt).iter().any(|id| id == expected) && view(&rt).is_some()
        });
        let view = ct_view(&rt);
        assert!((view.max_fatigue_pct - pct).abs() < 1.0, "{}", view.max_fatigue_pct);
        assert!(
            (view.max_fatigue_at_ft - 3000.0).abs() <= 1.0,
            "{}",
            view.max_fatigue_at_ft
        );
        if !not_expected.is_empty() {
            std::thread::sleep(Duration::from_secs(1));
            assert!(
                !standing(&rt).iter().any(|id| id == not_expected),
                "{:?}",
                standing(&rt)
            );
        }
        rt.shutdown();
    }
}

#[test]
fn the_strings_fatigue_and_running_feet_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let records = dir.path().join("ctstring.db");
    let opts = || RuntimeOptions {
        speed: Some(20.0),
        ct_records: Some(records.clone()),
        ..RuntimeOptions::default()
    };
    let rt = Runtime::start(load(demo_files()), opts(), Vec::new(), None).unwrap();
    wait_until("fatigue from running in", 60, || {
        view(&rt).is_some_and(|v| v.max_fatigue_pct > 0.0 && v.running_ft > 200.0)
    });
    rt.shutdown();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&records).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "records are private");
    }
    let saved = wellconsole::ctstring::store::load(&records, "CT-4471")
        .unwrap()
        .expect("the string is in the records");
    assert!(saved.running_ft > 200.0, "{}", saved.running_ft);
    let saved_max = saved.damage.iter().copied().fold(0.0, f64::max) * 100.0;
    assert!(saved_max > 0.0);

    // The second run starts from the records, not from a new string.
    let rt = Runtime::start(
        load(demo_files()),
        RuntimeOptions {
            speed: Some(1.0),
            ..opts()
        },
        Vec::new(),
        None,
    )
    .unwrap();
    wait_until("the first view", 30, || {
        rt.ct_strings.as_ref().is_some_and(|c| !c.load().units.is_empty())
    });
    let v = ct_view(&rt);
    assert!(
        v.running_ft >= saved.running_ft,
        "{} < {}",
        v.running_ft,
        saved.running_ft
    );
    assert!(
        v.running_ft < saved.running_ft + 100.0,
        "{} vs {}",
        v.running_ft,
        saved.running_ft
    );
    assert!(
        v.max_fatigue_pct >= saved_max - 1e-9,
        "{} < {saved_max}",
        v.max_fatigue_pct
    );
    rt.shutdown();
}
