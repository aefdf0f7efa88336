//! Broomstick plot (issue 19): the figure, a 10,000-ft well (vertical to 3,000 ft, build 0→90° to
//! 4,500 ft, lateral to 10,000 ft), 1.75 × 0.156 in CT in a 4.000 in hole, friction factors 0.1–0.4, 10-ft
//! steps, pick-up and slack-off from every depth: one full `broomstick()` call, target under 50 ms. The sweep
//! integrates from each of its 1,001 depths to the surface for eight (μ, motion) chains, about 4·10⁶ element
//! steps. For scale, one `drag()` from 10,000 ft in the same 10-ft elements (it looks the survey up per
//! element, which the sweep does once).

// Benches may unwrap (a panic is their failure report).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;
use wellconsole::calc::broomstick::{BroomstickInput, broomstick};
use wellconsole::calc::softstring::{Motion, StringInHole, drag};
use wellconsole::calc::survey::{Station, Survey};
use wellconsole::calc::tubular::CT_1_75_X_0_156;

fn stations() -> Vec<Station> {
    [(0.0, 0.0), (3_000.0, 0.0), (4_500.0, 90.0), (10_000.0, 90.0)]
        .into_iter()
        .map(|(md_ft, inc_deg)| Station {
            md_ft,
            inc_deg,
            azi_deg: 0.0,
        })
        .collect()
}

fn input() -> BroomstickInput {
    BroomstickInput {
        survey: stations(),
        od_in: CT_1_75_X_0_156.od_in(),
        wall_in: CT_1_75_X_0_156.wall_in(),
        fluid_inside_ppg: 8.33,
        fluid_outside_ppg: 8.33,
        hole_id_in: 4.0,
        friction_factors: vec![0.1, 0.2, 0.3, 0.4],
        step_ft: 10.0,
        max_depth_ft: None,
        wellhead_pressure_psi: 300.0,
        stripper_friction_lbf: 620.0,
        reel_back_tension_lbf: 900.0,
        injector_snub_capacity_lbf: 20_000.0,
        injector_pull_capacity_lbf: 60_000.0,
        bha_weight_lbf: 0.0,
    }
}

fn broomstick_plot(c: &mut Criterion) {
    let input = input();
    let plot = broomstick(&input).unwrap();
    assert_eq!(plot.depths_ft.len(), 1_001, "10-ft steps to 10,000 ft");
    assert_eq!(plot.curves.len(), 4);
    let survey = Survey::new(stations()).unwrap();
    let pipe = StringInHole::for_tubular(&CT_1_75_X_0_156, 4.0, 8.33, 8.33, 0.3, 10.0).unwrap();

    let mut g = c.benchmark_group("broomstick");
    g.sample_size(20);
    g.measurement_time(Duration::from_secs(10));
    g.bench_function("10000ft_10ft_steps_4_friction_factors_pick_up_and_slack_off", |b| {
        b.iter(|| broomstick(black_box(&input)).unwrap())
    });
    g.bench_function("one_drag_from_10000ft_10ft_elements", |b| {
        b.iter(|| drag(&survey, &pipe, black_box(10_000.0), 0.0, Motion::PullingOut).unwrap())
    });
    g.finish();
}

criterion_group!(benches, broomstick_plot);
criterion_main!(benches);
