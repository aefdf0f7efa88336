//! CT job record (issue 20): detecting the operations of a 12-hour job at 10 Hz, and building its ticket.
//!
//! The job is the demo's CT unit run by its own simulator for 12 hours of plant time at 10 Hz (432,000
//! readings of depth, speed, weight, pump rate, pressures and pump total: what the historian holds of the
//! unit and what a replay feeds the service), made once before timing. The figures:
//! - `detect_12h`: every reading through one `OpDetector`, as the hub's job service does live;
//! - `ticket_12h`: the ticket of that job built from its records (gathered from jobs.db in memory: fields,
//!   operations, fluids, BHA, statistics), hashed, and rendered as the PDF people sign.

// Benches may unwrap (a panic is their failure report) and be long (a scenario reads top to bottom).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;
use wellconsole::job::catalog::{Catalog, WellInfo};
use wellconsole::job::detect::{DetectConfig, DetectSample, OpDetector};
use wellconsole::job::model::{
    BhaComponent, FluidKind, FluidStage, JobFields, JobStatus, JobType, SignRole, Signature, TicketState,
};
use wellconsole::job::service::record;
use wellconsole::job::store::JobStore;
use wellconsole::job::ticket::{Sources, content_sha256, gather, render_pdf};
use wellconsole::lang::Lang;
use wellconsole::project::{SourceFile, survey_csv};
use wellconsole::sim::{CtConfig, DemoPlant, PlantConfig};
use wellconsole::tag::Timestamp;
use wellconsole::units::UnitSystem;

const HOURS: f64 = 12.0;
const DT: f64 = 0.1;

/// 12 hours of the demo CT unit at 10 Hz, with the simulator's measurement noise on every reading.
fn readings() -> Vec<DetectSample> {
    let survey = survey_csv::parse(&SourceFile::new(
        "ct01_survey.csv",
        include_str!("../data/ct01_survey.csv"),
    ))
    .unwrap();
    let mut plant = DemoPlant::new(PlantConfig {
        seed: 42,
        esp_wells: 0,
        ct: CtConfig::demo(survey),
        test_rotation_s: 0.0,
    });
    let index = |name: &str| {
        plant
            .specs()
            .iter()
            .position(|s| s.address.ends_with(&format!("/{name}")))
            .unwrap_or_else(|| panic!("the demo has {name}"))
    };
    let at = [
        "depth",
        "speed",
        "weight",
        "circ_pressure",
        "wellhead_pressure",
        "pump_rate",
        "fluid_total",
    ]
    .map(index);
    let n = (HOURS * 3600.0 / DT) as usize;
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        plant.step(DT);
        let r = plant.read();
        let v = |k: usize| r[at[k]].as_f64().unwrap();
        out.push(DetectSample {
            t: 1_795_000_000.0 + i as f64 * DT,
            depth_ft: v(0),
            speed_fpm: v(1),
            weight_lbf: Some(v(2)),
            pump_bpm: v(5),
            circ_psi: Some(v(3)),
            whp_psi: Some(v(4)),
            fluid_total_bbl: Some(v(6)),
        });
    }
    out
}

fn detect(samples: &[DetectSample]) -> Vec<wellconsole::job::detect::DetectedOp> {
    let mut det = OpDetector::new(DetectConfig::default());
    let mut ops = Vec::new();
    for s in samples {
        if let Some(op) = det.push(s) {
            ops.push(op);
        }
    }
    ops.extend(det.finish());
    ops
}

/// The job in jobs.db (in memory): planned, run with the detected operations, completed.
fn job_store(samples: &[DetectSample]) -> JobStore {
    let mut store = JobStore::open_in_memory().unwrap();
    let catalog = Catalog {
        wells: vec![WellInfo {
            id: "CT-01".into(),
            field: "Campo Escuela".into(),
            depth_ft: Some(9_800.0),
        }],
        units: vec!["ct01".into()],
        reels: vec!["CT-4471".into()],
    };
    let fields = JobFields {
        job_type: Some(JobType::CleanOut),
        well: "CT-01".into(),
        field: "Campo Escuela".into(),
        unit: "ct01".into(),
        reel: "CT-4471".into(),
        supervisor: "Ana Ríos".into(),
        operator: "Oscar Paz".into(),
        client: "Operadora del Sur".into(),
        client_rep: "Luis Vega".into(),
        objective: "Wash sand fill to TD".into(),
        ..JobFields::default()
    };
    let t0 = Timestamp::from_secs_f64(samples[0].t);
    let job = store.create("CT-2026-0142", &fields, "bench", t0).unwrap();
    let stage = FluidStage {
        id: 0,
        job_id: job.id,
        seq: 0,
        kind: FluidKind::Water,
        name: "Fresh water".into(),
        density_ppg: Some(8.34),
        viscosity_cp: Some(1.0),
        planned_bbl: Some(1_000.0),
        actual_bbl: 0.0,
        avg_rate_bpm: None,
        max_pressure_psi: None,
        start: None,
        end: None,
    };
    store.add_fluid(&stage).unwrap();
    let bha: Vec<BhaComponent> = [
        "jet wash tool",
        "motor",
        "jar",
        "check valve",
        "hydraulic disconnect",
        "connector",
    ]
    .iter()
    .enumerate()
    .map(|(i, kind)| BhaComponent {
        id: 0,
        job_id: job.id,
        seq: 0,
        kind: (*kind).into(),
        manufacturer: "NOV".into(),
        model: format!("M-{i}"),
        serial: format!("SN-{i:04}"),
        length_ft: 1.0 + i as f64,
        od_in: 1.69,
        id_in: 0.5,
        weight_lb: 10.0 + i as f64,
    })
    .collect();
    store.set_bha(job.id, &bha).unwrap();
    for to in [JobStatus::Planned, JobStatus::Approved, JobStatus::InProgress] {
        store.transition("CT-2026-0142", to, &catalog, t0, 0, 0).unwrap();
    }
    for d in detect(samples) {
        let op = record(job.id, &d, true, Some("Fresh water".into()));
        store.upsert_detected(&op).unwrap();
    }
    let end = Timestamp::from_secs_f64(samples[samples.len() - 1].t);
    store
        .transition("CT-2026-0142", JobStatus::Completed, &catalog, end, 3, 0)
        .unwrap();
    store
}

fn bench_jobs(c: &mut Criterion) {
    let samples = readings();
    let ops = detect(&samples);
    eprintln!(
        "12 h of the demo CT unit: {} readings, {} operations detected",
        samples.len(),
        ops.len()
    );
    let mut g = c.benchmark_group("jobs");
    g.sample_size(20).measurement_time(Duration::from_secs(10));
    g.throughput(Throughput::Elements(samples.len() as u64));
    g.bench_function("detect_12h", |b| b.iter(|| black_box(detect(black_box(&samples)))));

    let store = job_store(&samples);
    let sources = Sources {
        site: "Campo Escuela (demo)",
        history: None,
        journal: None,
        depth_tag: None,
        weight_tag: None,
        circ_tag: None,
        audit: None,
    };
    // The charts as the historian would give them: 600 points of the job's depth, weight and pressure.
    let step = samples.len() / 600;
    let mut content = gather(&store, "CT-2026-0142", &sources).unwrap();
    content.depth_time = samples.iter().step_by(step).map(|s| [s.t, s.depth_ft]).collect();
    content.weight_depth = samples
        .iter()
        .step_by(step)
        .map(|s| [s.depth_ft, s.weight_lbf.unwrap()])
        .collect();
    content.circ_depth = samples
        .iter()
        .step_by(step)
        .map(|s| [s.depth_ft, s.circ_psi.unwrap()])
        .collect();
    let sha = content_sha256(&content);
    let sigs = vec![Signature {
        role: SignRole::Operator,
        user: "oscar".into(),
        name: "Oscar Paz".into(),
        at: Timestamp::from_secs_f64(samples[samples.len() - 1].t + 600.0),
        content_sha256: sha,
    }];
    let pdf = render_pdf(
        &content,
        &sigs,
        TicketState::PendingSignatures,
        Lang::En,
        UnitSystem::Oilfield,
    )
    .unwrap();
    eprintln!(
        "its ticket: {} operations, {} KiB of PDF",
        content.operations.len(),
        pdf.len() / 1024
    );
    g.throughput(Throughput::Elements(1));
    g.bench_function("ticket_12h", |b| {
        b.iter(|| {
            let mut c = gather(&store, "CT-2026-0142", &sources).unwrap();
            c.depth_time.clone_from(&content.depth_time);
            c.weight_depth.clone_from(&content.weight_depth);
            c.circ_depth.clone_from(&content.circ_depth);
            let sha = content_sha256(&c);
            black_box((
                sha,
                render_pdf(
                    &c,
                    &sigs,
                    TicketState::PendingSignatures,
                    Lang::En,
                    UnitSystem::Oilfield,
                )
                .unwrap(),
            ))
        });
    });
    g.finish();
}

criterion_group!(benches, bench_jobs);
criterion_main!(benches);
