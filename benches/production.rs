//! Production engineering (issue 21): fitting Arps declines to ten years of daily rates, and the field table.
//!
//! The wells are synthetic, made once before timing: 100 wells of 3,650 daily rates each, hyperbolic with qi
//! 100–2,000 per day, b from 0 (every tenth well exponential) to 1 (every tenth harmonic), the initial decline
//! set so each well still makes over 15 a day after ten years, 5 % lognormal noise on every rate and about
//! 1 % outliers (three times the rate, or a third of it) marked excluded, as an engineer would. The figure:
//! - `arps_fit_100_wells_10y`: every well fitted (hyperbolic, b up to 1, the exponential compared) and
//!   forecast from its last day to an economic limit of 5 a day (EUR, remaining, curve for the plot).
//! - `field_table_500_wells`: the Production page's field table over 500 wells (the demo's six ESP wells'
//!   configuration repeated, each with an approved test and an inflow curve in the writer's view, its live
//!   rate, zone and out-of-range flag in the hub's snapshot), filtered and sorted by oil rate: what the page
//!   does once a second.

// Benches may unwrap (a panic is their failure report) and be long (a scenario reads top to bottom).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;
use wellconsole::calc::decline::{Arps, DeclineKind, FitOptions, fit, forecast};
use wellconsole::hub::Snapshot;
use wellconsole::production::field::{FieldQuery, FieldRow, SortKey, rows};
use wellconsole::production::model::{Measured, TestStatus, WellTest};
use wellconsole::production::perf::{WellSummary, well_ipr};
use wellconsole::project::Project;
use wellconsole::tag::{Sample, TagTable, Timestamp, Value};

const WELLS: usize = 100;
const DAYS: usize = 3_650;
const Q_EL: f64 = 5.0;

/// A tiny deterministic generator (xorshift64* and Box-Muller): the same wells on every run and machine.
struct Noise(u64);

impl Noise {
    /// Uniform in (0, 1).
    fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let bits = self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11;
        (bits as f64 + 0.5) / (1u64 << 53) as f64
    }

    /// Standard normal.
    fn normal(&mut self) -> f64 {
        let (u1, u2) = (self.uniform(), self.uniform());
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

/// One well's days, rates and exclusion flags.
struct Well {
    t_days: Vec<f64>,
    q: Vec<f64>,
    excluded: Vec<bool>,
}

fn wells() -> Vec<Well> {
    let mut noise = Noise(0x5EED_0021);
    (0..WELLS)
        .map(|w| {
            let qi = 100.0 + 1_900.0 * noise.uniform();
            let b = match w % 10 {
                0 => 0.0,
                1 => 1.0,
                _ => noise.uniform(),
            };
            // Nominal 0.2–1.5 a year, capped so the rate after ten years stays above 15 a day:
            // D ≤ ((qi/15)^b − 1)/(b·t), ln(qi/15)/t at b = 0.
            let years = DAYS as f64 / 365.25;
            let ln_ratio = (qi / 15.0).ln();
            let cap = if b == 0.0 {
                ln_ratio / years
            } else {
                (b * ln_ratio).exp_m1() / (b * years)
            };
            let d_per_year = (0.2 + 1.3 * noise.uniform()).min(cap);
            let arps = Arps::new(qi, d_per_year / 365.25, b, None).unwrap();
            let mut well = Well {
                t_days: Vec::with_capacity(DAYS),
                q: Vec::with_capacity(DAYS),
                excluded: Vec::with_capacity(DAYS),
            };
            for day in 0..DAYS {
                let t = day as f64;
                let mut q = arps.rate(t) * (0.05 * noise.normal()).exp();
                let outlier = noise.uniform() < 0.01;
                if outlier {
                    q *= if noise.uniform() < 0.5 { 3.0 } else { 1.0 / 3.0 };
                }
                well.t_days.push(t);
                well.q.push(q);
                well.excluded.push(outlier);
            }
            well
        })
        .collect()
}

fn arps_fit(c: &mut Criterion) {
    let wells = wells();
    let opts = FitOptions {
        kind: DeclineKind::Hyperbolic,
        b_max: 1.0,
        d_min_per_year: None,
    };
    let t_now = (DAYS - 1) as f64;
    let fit_and_forecast = |well: &Well| {
        let f = fit(&well.t_days, &well.q, &well.excluded, &opts).unwrap();
        let fc = forecast(&f, t_now, Q_EL, None).unwrap();
        (f, fc)
    };
    let eurs: Vec<f64> = wells.iter().map(|w| fit_and_forecast(w).1.eur).collect();
    let excluded: usize = wells.iter().map(|w| w.excluded.iter().filter(|x| **x).count()).sum();
    eprintln!(
        "{WELLS} wells of {DAYS} daily rates, {excluded} outliers excluded; EUR to {Q_EL}/d from {:.0} to {:.0}",
        eurs.iter().copied().fold(f64::INFINITY, f64::min),
        eurs.iter().copied().fold(0.0, f64::max)
    );
    let mut g = c.benchmark_group("production");
    g.sample_size(20).measurement_time(Duration::from_secs(10));
    g.throughput(Throughput::Elements(WELLS as u64));
    g.bench_function("arps_fit_100_wells_10y", |b| {
        b.iter(|| {
            for well in &wells {
                black_box(fit_and_forecast(black_box(well)));
            }
        });
    });
    g.finish();
}

const FIELD_WELLS: usize = 500;

/// An approved test of `well` ending on `day` (days since 1970).
fn approved(id: i64, well: &str, day: i64, liquid: f64, pwf: f64) -> WellTest {
    let end = Timestamp(day * 86_400_000_000);
    WellTest {
        id,
        m: Measured {
            well: well.to_owned(),
            separator: "sep01".into(),
            routed_at: end,
            stable_at: end,
            start: end,
            end,
            oil_stb_d: liquid * 0.45,
            water_bbl_d: liquid * 0.55,
            gas_mscf_d: liquid * 0.45 * 0.3,
            gor_scf_stb: Some(300.0),
            wor: Some(0.55 / 0.45),
            water_cut: Some(0.55),
            bsw: None,
            separator_psi: 120.0,
            separator_temp_f: Some(105.0),
            whp_psi: Some(160.0),
            pwf_psi: Some(pwf),
            esp_hz: Some(55.0),
            meter_factors: [1.0; 3],
            shrinkage: 1.0,
            totalized: true,
            level_compensated: true,
            bad_input_s: 0.0,
        },
        status: TestStatus::Approved,
        tested_by: Some("oscar".into()),
        tested_at: Some(end),
        decided_by: Some("eve".into()),
        decided_at: Some(end),
        reason: String::new(),
        note: String::new(),
    }
}

fn field_table(c: &mut Criterion) {
    let project = Project::demo().unwrap();
    let demo = project.site.production.clone().unwrap();
    let mut cfg = (*demo).clone();
    cfg.wells = (0..FIELD_WELLS)
        .map(|i| {
            let mut w = demo.wells[i % demo.wells.len()].clone();
            w.id = format!("w{i:03}");
            w.label = format!("W-{i:03}");
            w
        })
        .collect();
    let today = 20_425;
    let summaries: Vec<WellSummary> = cfg
        .wells
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let tests = vec![
                approved(
                    2 * i as i64,
                    &w.id,
                    today - 60 - (i as i64 % 30),
                    1_200.0 + i as f64,
                    1_500.0,
                ),
                approved(
                    2 * i as i64 + 1,
                    &w.id,
                    today - (i as i64 % 45),
                    1_150.0 + i as f64,
                    1_450.0,
                ),
            ];
            WellSummary {
                well: w.id.clone(),
                last_test: tests.last().cloned(),
                last_approved: tests.last().cloned(),
                pending: i % 3,
                ipr: well_ipr(w, &tests),
                approved: tests,
            }
        })
        .collect();
    // The live values: the demo's tags (every configured well reads them), good and current.
    let mut table = TagTable::new(project.site.tags.clone());
    let now = Timestamp(today * 86_400_000_000);
    for d in project.site.tags.iter() {
        let v = match d.kind {
            wellconsole::tag::ValueKind::F64 => Value::F64(1_000.0),
            wellconsole::tag::ValueKind::Bool => Value::Bool(false),
            wellconsole::tag::ValueKind::String => Value::str("recommended"),
            _ => continue,
        };
        table.apply(&Sample::good(d.id, v, now), now);
    }
    let mut snap = Snapshot::empty(project.site.tags.clone(), Vec::new());
    snap.tags = table.states().to_vec();
    let query = FieldQuery {
        text: String::new(),
        overdue_only: false,
        sort: SortKey::Oil,
        descending: true,
    };
    let mut out: Vec<FieldRow> = Vec::with_capacity(FIELD_WELLS);
    let mut g = c.benchmark_group("production");
    g.throughput(Throughput::Elements(FIELD_WELLS as u64));
    g.bench_function("field_table_500_wells", |b| {
        b.iter(|| {
            rows(&cfg, &summaries, &snap, now, &query, &mut out);
            black_box(out.len())
        });
    });
    g.finish();
    assert_eq!(out.len(), FIELD_WELLS);
}

criterion_group!(benches, arps_fit, field_table);
criterion_main!(benches);
