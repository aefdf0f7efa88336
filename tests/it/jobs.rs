//! A CT job in a running console: planned, approved and started by people with the roles for it, its
//! operations detected live from the demo's CT unit, a second job on the same unit refused, its fluid
//! stage counted from the pump total, and its statistics frozen when it is completed.

use std::time::{Duration, Instant};
use wellconsole::auth::{Actor, Role};
use wellconsole::job::JobPort;
use wellconsole::job::command::JobRequest;
use wellconsole::job::model::{FluidKind, FluidStage, JobFields, JobStatus, JobType, OpType};
use wellconsole::project::{Project, ProjectFiles};
use wellconsole::runtime::{Runtime, RuntimeOptions};
use wellconsole::tag::Value;

/// The demo, with the CT unit starting its run in 200 ft above the fill (the job reaches its tag sooner). The
/// simulator runs at 12x, and its samples are stamped at the wall time it reaches them: an operation must
/// last the detector's 5 s confirmation in that time (the 2-minute pick-up lasts 10 s).
fn demo() -> Project {
    let demo = ProjectFiles::from_dir(std::path::Path::new(env!("CARGO_MANIFEST_DIR"))).expect("the demo reads");
    let files: Vec<(String, String)> = demo
        .iter()
        .map(|(rel, text)| {
            let text = if rel == "site.toml" {
                text.replace("ct_start_depth_ft = 2500.0", "ct_start_depth_ft = 9000.0")
            } else {
                text.to_owned()
            };
            (rel.to_owned(), text)
        })
        .collect();
    Project::load(ProjectFiles::from_memory(files)).unwrap_or_else(|e| panic!("the project loads: {e:?}"))
}

fn wait_until(what: &str, secs: u64, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Sends `req` as `by` and waits for the writer's answer: Ok(message) or Err(reason).
fn ask(port: &JobPort, by: &Actor, req: JobRequest) -> Result<String, String> {
    let id = port.request(by.clone(), req).expect("the job queue has room");
    let mut answer = None;
    wait_until("the job writer's answer", 30, || {
        answer = port.view.load().results.iter().find(|r| r.id == id).cloned();
        answer.is_some()
    });
    let a = answer.expect("answered");
    if a.ok { Ok(a.message) } else { Err(a.message) }
}

fn fields() -> JobFields {
    JobFields {
        job_type: Some(JobType::CleanOut),
        well: "CT-01".into(),
        field: "Campo Escuela".into(),
        unit: "ct01".into(),
        reel: "CT-4471".into(),
        supervisor: "Ana Ríos".into(),
        operator: "Oscar Paz".into(),
        client: "Operadora del Sur".into(),
        client_rep: "Luis Vega".into(),
        objective: "Wash sand fill to 9,400 ft".into(),
        well_depth_ft: Some(9_800.0),
        target_depth_ft: Some(9_400.0),
        estimated_hours: Some(12.0),
        ..JobFields::default()
    }
}

fn to(number: &str, status: JobStatus) -> JobRequest {
    JobRequest::Transition {
        number: number.into(),
        to: status,
    }
}

#[test]
fn a_job_run_live_logs_its_operations_and_freezes_its_statistics() {
    let dir = tempfile::tempdir().unwrap();
    let opts = RuntimeOptions {
        speed: Some(12.0),
        job_records: Some(dir.path().join("jobs.db")),
        ..RuntimeOptions::default()
    };
    let rt = Runtime::start(demo(), opts, Vec::new(), None).unwrap();
    let port = rt.jobs.clone().expect("the demo keeps its CT jobs");
    let engineer = Actor::new("eve", Role::Engineer);
    let operator = Actor::new("oscar", Role::Operator);
    let viewer = Actor::new("vic", Role::Viewer);
    let n = "CT-2026-0142";

    let refused = ask(
        &port,
        &viewer,
        JobRequest::Create {
            number: n.into(),
            fields: fields(),
        },
    );
    assert!(refused.is_err(), "a viewer may not plan jobs: {refused:?}");
    ask(
        &port,
        &engineer,
        JobRequest::Create {
            number: n.into(),
            fields: fields(),
        },
    )
    .unwrap();
    ask(&port, &engineer, to(n, JobStatus::Planned)).unwrap();
    let refused = ask(&port, &operator, to(n, JobStatus::Approved));
    assert!(refused.is_err(), "an operator may not approve: {refused:?}");
    ask(&port, &engineer, to(n, JobStatus::Approved)).unwrap();
    let stage = FluidStage {
        id: 0,
        job_id: 0,
        seq: 0,
        kind: FluidKind::Water,
        name: "Fresh water".into(),
        density_ppg: Some(8.34),
        viscosity_cp: Some(1.0),
        planned_bbl: Some(120.0),
        actual_bbl: 0.0,
        avg_rate_bpm: None,
        max_pressure_psi: None,
        start: None,
        end: None,
    };
    ask(
        &port,
        &engineer,
        JobRequest::AddFluid {
            number: n.into(),
            stage,
        },
    )
    .unwrap();
    ask(&port, &operator, to(n, JobStatus::InProgress)).unwrap();
    let stage_id = port.view.load().detail(n).expect("the running job's detail").fluids[0].id;
    ask(&port, &operator, JobRequest::StartStage { stage_id }).unwrap();

    // A second job may be planned for the unit, not started on it while this one runs.
    let m = "CT-2026-0143";
    ask(
        &port,
        &engineer,
        JobRequest::Create {
            number: m.into(),
            fields: fields(),
        },
    )
    .unwrap();
    ask(&port, &engineer, to(m, JobStatus::Planned)).unwrap();
    ask(&port, &engineer, to(m, JobStatus::Approved)).unwrap();
    let busy = ask(&port, &operator, to(m, JobStatus::InProgress)).unwrap_err();
    assert!(busy.contains(n), "the refusal names the job in progress: {busy}");

    // The job's tags on the CT screen's strip.
    wait_until("the job number on the unit's tag", 30, || {
        rt.snapshot
            .load()
            .by_name("ct01/job_number")
            .and_then(|s| s.value.clone())
            == Some(Value::str(n))
    });

    // Run in, tag the fill, pick up, and start washing: each detected as it happens.
    let ops = |port: &JobPort| {
        port.view
            .load()
            .detail(n)
            .map(|d| d.operations.iter().map(|o| o.op_type.clone()).collect::<Vec<_>>())
            .unwrap_or_default()
    };
    let want = [OpType::Rih, OpType::Tag, OpType::Pooh, OpType::Wash];
    let deadline = Instant::now() + Duration::from_secs(240);
    while !ops(&port).ends_with(&want) {
        let depth = rt.snapshot.load().by_name("ct01/depth").and_then(|s| s.value.clone());
        assert!(
            Instant::now() < deadline,
            "the log is {:?} at depth {depth:?}",
            ops(&port)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    ask(&port, &operator, to(n, JobStatus::Completed)).unwrap();

    let view = port.view.load();
    let job = view.jobs.iter().find(|j| j.number == n).expect("the job is listed");
    assert_eq!(job.status, JobStatus::Completed);
    let stats = job.stats.clone().expect("completed jobs have frozen statistics");
    assert!(
        stats.max_depth_ft > 9_100.0,
        "it tagged the fill at 9,200 ft: {stats:?}"
    );
    assert!(
        stats.footage_ft > 200.0,
        "it ran from 9,000 ft to the fill and back: {stats:?}"
    );
    assert!(stats.operations >= 4, "{stats:?}");
    assert!(
        stats.hours_by_op.iter().any(|(code, h)| code == "RIH" && *h > 0.0),
        "{stats:?}"
    );
    let water = stats.volume_by_fluid.iter().find(|(name, _)| name == "Fresh water");
    assert!(
        water.is_some_and(|(_, bbl)| *bbl > 0.5),
        "the stage counted the pump total: {stats:?}"
    );
    assert!((0.0..=100.0).contains(&stats.efficiency_pct), "{stats:?}");
    let detail = port.view.load().detail(n).map(|d| d.operations.clone());
    if let Some(ops) = detail {
        assert!(ops.iter().all(|o| o.end.is_some()), "completion closed every operation");
        let tag = ops.iter().find(|o| o.op_type == OpType::Tag).expect("the tag");
        assert!(tag.max_depth_ft > 9_100.0, "{tag:?}");
    }
    drop(view);
    rt.shutdown();
}
