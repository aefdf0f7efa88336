//! Live CT fatigue (issue 19): a 20,000-ft string of 1.75 in CT90 (three wall sections, tapered and repair
//! welds) in 1-ft cells, tracked at 10 Hz. The figure is the cost of one depth sample's `on_depth`, which the
//! hub service calls per sample: running at 60 ft/min (0.1 ft a sample) and at 200 ft/min (0.33 ft), and
//! reciprocating on the arch (a 6-ft stroke, a reversal every 2 s). The budget: well under 1 ms a
//! sample. A second group times building the layout (each cell's lives), done once per string and per cut.

// Tests and benches may unwrap (a panic is their failure report) and be long (a scenario reads top to bottom).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};
use wellconsole::calc::fatigue::{Grade, PressureFactor, WeldType};
use wellconsole::calc::reel::ReelGeometry;
use wellconsole::ctstring::layout::{SectionSpec, StringLayout, SurfacePath, WeldSpec};
use wellconsole::ctstring::tracker::{FatigueEvent, FatigueTracker};

/// Pump pressure while running, psi (uses the pressure factor on every event).
const PRESSURE_PSI: f64 = 3_000.0;
/// The tip travels between these depths, ft (the string is 20,000 ft).
const SHALLOW_FT: f64 = 500.0;
const DEEP_FT: f64 = 18_000.0;

fn string() -> StringLayout {
    let section = |wall_in, length_ft| SectionSpec {
        od_in: 1.75,
        wall_in,
        grade: Grade::ct90(),
        length_ft,
    };
    // From the core out: heavy wall at the core (it carries the string), lighter toward the tip.
    let sections = [
        section(0.190, 6_000.0),
        section(0.175, 7_000.0),
        section(0.156, 7_000.0),
    ];
    let welds: Vec<WeldSpec> = [
        (6_000.0, WeldType::TaperedBias),
        (13_000.0, WeldType::TaperedBias),
        (2_500.0, WeldType::OrbitalButt),
        (9_800.0, WeldType::ManualButt),
        (17_400.0, WeldType::OrbitalButt),
    ]
    .into_iter()
    .map(|(from_core_ft, kind)| WeldSpec { from_core_ft, kind })
    .collect();
    let reel = ReelGeometry::new(96.0, 120.0, 1.75).unwrap();
    let path = SurfacePath {
        arch_exit_offset_ft: 12.0,
        arch_length_ft: 14.0,
        surface_run_ft: 75.0,
    };
    StringLayout::new(&sections, &welds, reel, 96.0, path, PressureFactor::default(), 1.0).unwrap()
}

/// Times `iters` samples whose depths `next` produces. The loop is timed whole: a clock read per sample would
/// cost as much as the sample; making the next depth and clearing the events are a few ns of it.
fn timed(t: &mut FatigueTracker, out: &mut Vec<FatigueEvent>, iters: u64, next: &mut impl FnMut() -> f64) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        let depth = next();
        out.clear();
        t.on_depth(black_box(depth), PRESSURE_PSI, out);
        black_box(out.len());
    }
    start.elapsed()
}

fn per_sample(c: &mut Criterion) {
    let layout = Arc::new(string());
    let mut g = c.benchmark_group("fatigue");
    g.throughput(Throughput::Elements(1));
    g.measurement_time(Duration::from_secs(5));
    // Steady running between the shallow and deep limits, turning at each.
    let speeds = [
        ("20000_ft_string_sample_at_60_ft_per_min", 0.1),
        ("20000_ft_string_sample_at_200_ft_per_min", 200.0 / 600.0),
    ];
    for (name, step_ft) in speeds {
        let mut t = FatigueTracker::new(Arc::clone(&layout), Vec::new(), 0.0).unwrap();
        let mut out: Vec<FatigueEvent> = Vec::with_capacity(64);
        let (mut depth, mut sign) = (SHALLOW_FT, 1.0);
        t.on_depth(depth, PRESSURE_PSI, &mut out);
        let mut next = move || {
            depth += sign * step_ft;
            if depth >= DEEP_FT {
                sign = -1.0;
            } else if depth <= SHALLOW_FT {
                sign = 1.0;
            }
            depth
        };
        g.bench_function(name, |b| {
            b.iter_custom(|iters| timed(&mut t, &mut out, iters, &mut next))
        });
        black_box(t.max_fatigue());
    }
    // Reciprocating at 5,000 ft: 20 samples in, 20 out, 0.3 ft each (a 6-ft stroke over the arch and reel
    // boundaries, 90 ft/min), so every sample crosses cells and every 20th reverses.
    let mut t = FatigueTracker::new(Arc::clone(&layout), Vec::new(), 0.0).unwrap();
    let mut out: Vec<FatigueEvent> = Vec::with_capacity(64);
    let mut k = 0u64;
    t.on_depth(5_000.0, PRESSURE_PSI, &mut out);
    let mut next = move || {
        k += 1;
        let phase = (k % 40) as f64;
        5_000.0 + 0.3 * if phase < 20.0 { phase } else { 40.0 - phase }
    };
    g.bench_function("20000_ft_string_sample_reciprocating_6_ft", |b| {
        b.iter_custom(|iters| timed(&mut t, &mut out, iters, &mut next))
    });
    black_box(t.events_counted());
    g.finish();
}

fn layout_build(c: &mut Criterion) {
    let mut g = c.benchmark_group("fatigue_layout");
    g.sample_size(20);
    g.bench_function("20000_ft_string_in_1_ft_cells", |b| b.iter(|| black_box(string())));
    g.finish();
}

criterion_group!(benches, per_sample, layout_build);
criterion_main!(benches);
