//! The Jobs page as a CT supervisor uses it, over a real job writer and jobs.db: a new job created from the
//! page's form, a running job opened from the list with its detected operations, its BHA drawn bottom up, and
//! the job completed through its confirm dialog; snapshot images of the operations log and the BHA.

use crate::console_ui::{harness, mask_frame_time};
use crate::support::{self, NOW};
use arc_swap::ArcSwap;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use std::sync::Arc;
use std::time::{Duration, Instant};
use wellconsole::auth::{Actor, Role};
use wellconsole::job::catalog::Catalog;
use wellconsole::job::command::JobRequest;
use wellconsole::job::model::{BhaComponent, JobFields, JobStatus, JobType, OpType, Operation};
use wellconsole::job::{JobPort, JobWriter, WriterConfig};
use wellconsole::project::Project;
use wellconsole::tag::Timestamp;
use wellconsole::ui::{ConsoleApp, ConsoleInputs, ConsoleSettings, MeasureOptions, Page};

const N: &str = "CT-2026-0142";

fn ask(port: &JobPort, by: &Actor, req: JobRequest) {
    let id = port.request(by.clone(), req).expect("room in the queue");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(r) = port.view.load().result(id) {
            assert!(r.ok, "{}", r.message);
            return;
        }
        assert!(Instant::now() < deadline, "no answer from the job writer");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn component(kind: &str, serial: &str, length_ft: f64, od_in: f64, id_in: f64, weight_lb: f64) -> BhaComponent {
    BhaComponent {
        id: 0,
        job_id: 0,
        seq: 0,
        kind: kind.into(),
        manufacturer: "NOV".into(),
        model: format!("{kind} 1.69"),
        serial: serial.into(),
        length_ft,
        od_in,
        id_in,
        weight_lb,
    }
}

/// A running clean-out with its BHA and three detected operations, as the live service would record them.
fn running_job(port: &JobPort) {
    let engineer = Actor::new("eve", Role::Engineer);
    let fields = JobFields {
        job_type: Some(JobType::CleanOut),
        well: "CT-01".into(),
        unit: "ct01".into(),
        reel: "CT-4471".into(),
        supervisor: "Ana Ríos".into(),
        client: "Operadora del Sur".into(),
        ..JobFields::default()
    };
    ask(
        port,
        &engineer,
        JobRequest::Create {
            number: N.into(),
            fields,
        },
    );
    let components = vec![
        component("jet wash tool", "JW-88213", 1.2, 1.69, 0.5, 12.0),
        component("motor", "MT-5521", 9.5, 1.69, 0.75, 85.0),
        component("check valve", "CV-1042", 1.0, 1.69, 0.75, 9.0),
        component("connector", "RC-7731", 0.8, 1.75, 1.0, 7.0),
    ];
    ask(
        port,
        &engineer,
        JobRequest::SetBha {
            number: N.into(),
            components,
        },
    );
    for to in [JobStatus::Planned, JobStatus::Approved, JobStatus::InProgress] {
        ask(port, &engineer, JobRequest::Transition { number: N.into(), to });
    }
    let job_id = port.view.load().detail(N).expect("the running job").job.id;
    // Fixed times (the console's clock in these tests is `NOW`): the snapshots read the same every run.
    let start = NOW.0 - 3_600_000_000;
    let op = |t: OpType, from_min: i64, to_min: Option<i64>, d0: f64, d1: f64| Operation {
        id: 0,
        job_id,
        op_type: t,
        start: Timestamp(start + from_min * 60_000_000),
        end: to_min.map(|m| Timestamp(start + m * 60_000_000)),
        start_depth_ft: d0,
        end_depth_ft: d1,
        max_depth_ft: d0.max(d1),
        max_weight_lbf: Some(11_800.0),
        min_weight_lbf: Some(6_200.0),
        max_circ_psi: Some(2_950.0),
        max_whp_psi: Some(410.0),
        avg_rate_bpm: Some(1.8),
        volume_bbl: 14.5,
        footage_ft: (d1 - d0).abs(),
        fluid: Some("Fresh water".into()),
        detected: true,
        observations: String::new(),
    };
    for o in [
        op(OpType::Rih, 0, Some(32), 0.0, 8_950.0),
        op(OpType::Tag, 32, Some(36), 8_950.0, 9_201.0),
        op(OpType::Pooh, 36, Some(38), 9_201.0, 9_181.0),
        op(OpType::Wash, 38, None, 9_181.0, 9_240.0),
    ] {
        assert!(port.op(o), "room for the service's records");
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    while port.view.load().detail(N).is_none_or(|d| d.operations.len() < 4) {
        assert!(Instant::now() < deadline, "the operations reach the view");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn console(port: JobPort, settings: ConsoleSettings) -> Harness<'static, ConsoleApp> {
    let (tx, _rx) = wellconsole::hub::command_lanes(16, 16);
    let inputs = ConsoleInputs {
        site_name: "Campo Escuela (demo)".into(),
        snapshot: Arc::new(ArcSwap::from_pointee(support::demo_snapshot())),
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
        jobs: Some(port),
        production: None,
        production_cfg: None,
        decline: None,
        screens: Arc::new(ArcSwap::new(Project::demo().expect("demo project is valid").screens)),
        screen_problems: None,
        project_root: None,
        settings,
    };
    let mut h = harness(ConsoleApp::new(inputs, MeasureOptions::default()));
    h.run();
    h
}

/// The job's start is the writer's clock (when the test started it): masked in the snapshots.
fn mask_started(h: &mut Harness<'static, ConsoleApp>) {
    let r = h.get_by_label_contains("Started ").rect();
    h.mask(r);
}

/// Runs frames until `cond` holds (the writer answers on its own thread).
fn run_until(h: &mut Harness<'static, ConsoleApp>, what: &str, cond: impl Fn(&Harness<'static, ConsoleApp>) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !cond(h) {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(20));
        h.run();
    }
}

#[test]
fn a_supervisor_runs_a_job_from_the_jobs_page() {
    let dir = tempfile::tempdir().unwrap();
    let project = Project::demo().unwrap();
    let (writer, port) = JobWriter::start(WriterConfig {
        path: dir.path().join("jobs.db"),
        catalog: Catalog::from_project(&project),
        audit: None,
        users: None,
        site: project.site.name.clone(),
        history: None,
        journal: None,
        unit_tags: Vec::new(),
        audit_db: None,
    })
    .unwrap();
    running_job(&port);
    let settings = ConsoleSettings {
        actor: Actor::new("sara", Role::Supervisor),
        ..ConsoleSettings::default()
    };
    let mut h = console(port.clone(), settings);
    support::open_page(&mut h, "Jobs");
    assert_eq!(h.state().page(), Page::Job);

    // A new job from the form: saved as a draft, listed.
    h.get_by_label("New job…").click();
    h.run();
    h.get_by_label("Job number").focus();
    h.run();
    h.get_by_label("Job number").type_text("CT-2026-0150");
    h.run();
    h.get_by_label("Create job").click();
    h.run();
    h.run();
    run_until(&mut h, "the new draft in the list", |_| {
        port.view
            .load()
            .jobs
            .iter()
            .any(|j| j.number == "CT-2026-0150" && j.status == JobStatus::Draft)
    });

    // The running job, from the list: its operations log and its BHA.
    // The writer's answer to the new job may land between frames (it opens nothing, but repaints the list).
    let deadline = Instant::now() + Duration::from_secs(20);
    while h.query_by_label("Operations").is_none() {
        assert!(Instant::now() < deadline, "the running job opens from the list");
        if let Some(open) = h.query_all_by_label(N).last() {
            open.click();
        }
        h.run();
        std::thread::sleep(Duration::from_millis(20));
    }
    h.get_by_label("Operations").click();
    h.run();
    h.get_by_label_contains("WASH");
    mask_frame_time(&mut h);
    mask_started(&mut h);
    h.snapshot("jobs_operations");
    h.get_by_label("BHA").click();
    h.run();
    mask_frame_time(&mut h);
    mask_started(&mut h);
    h.snapshot("jobs_bha");

    // Completed through its confirm dialog: the open operation is closed and the statistics frozen.
    h.get_by_label("Job").click();
    h.run();
    h.get_by_label("Complete job").click();
    h.run();
    // The dialog asks again, over the page: its own button is the last one so named.
    h.get_all_by_label("Complete job")
        .last()
        .expect("the dialog's button")
        .click();
    h.run();
    run_until(&mut h, "the job completed", |_| {
        port.view
            .load()
            .jobs
            .iter()
            .any(|j| j.number == N && j.status == JobStatus::Completed && j.stats.is_some())
    });
    drop(h);
    writer.stop();
}
