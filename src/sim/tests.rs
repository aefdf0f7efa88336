use super::*;
use crate::project::{SourceFile, survey_csv};

fn demo_survey() -> Survey {
    survey_csv::parse(&SourceFile::new(
        "ct01_survey.csv",
        include_str!("../../data/ct01_survey.csv"),
    ))
    .unwrap()
}

fn plant(seed: u64, start_depth_ft: f64, fill_top_ft: f64) -> DemoPlant {
    let mut cfg = PlantConfig::demo(seed, demo_survey());
    cfg.ct.start_depth_ft = start_depth_ft;
    cfg.ct.fill_top_ft = fill_top_ft;
    DemoPlant::new(cfg)
}

/// Steps until `stop` holds or `max_secs` of plant time pass; returns whether it held.
fn run_until(p: &mut DemoPlant, dt: f64, max_secs: f64, mut stop: impl FnMut(&mut DemoPlant) -> bool) -> bool {
    let end = p.time_s() + max_secs;
    while p.time_s() < end {
        p.step(dt);
        if stop(p) {
            return true;
        }
    }
    false
}

#[test]
fn same_seed_same_plant() {
    let mut a = plant(7, 2_500.0, 9_200.0);
    let mut b = plant(7, 2_500.0, 9_200.0);
    let mut c = plant(8, 2_500.0, 9_200.0);
    for _ in 0..300 {
        a.step(0.1);
        b.step(0.1);
        c.step(0.1);
    }
    let (ra, rb, rc) = (a.read().to_vec(), b.read().to_vec(), c.read().to_vec());
    assert_eq!(ra, rb);
    assert_ne!(ra, rc);
    assert_eq!(ra.len(), a.specs().len());
}

#[test]
fn weight_builds_with_depth_in_the_vertical_and_much_less_once_deviated() {
    let mut p = plant(1, 500.0, 9_200.0);
    let w_at = |p: &mut DemoPlant, depth: f64| {
        assert!(
            run_until(p, 0.5, 4.0 * 3600.0, |p| p.ct().depth_ft() >= depth),
            "reached {depth} ft"
        );
        assert_eq!(p.ct().phase(), JobPhase::RunInHole);
        (p.ct().depth_ft(), p.ct().weight_lbf())
    };
    let (d1, w1) = w_at(&mut p, 800.0);
    let (d2, w2) = w_at(&mut p, 2_300.0);
    let vertical_gain = (w2 - w1) / (d2 - d1);
    // buoyed weight of 1.75 × 0.156 in CT in 8.4 ppg: ≈ 2.32 lb/ft, no drag in a vertical hole
    assert!(
        (2.1..=2.45).contains(&vertical_gain),
        "vertical gain {vertical_gain} lbf/ft"
    );
    let (d3, w3) = w_at(&mut p, 6_500.0);
    let (d4, w4) = w_at(&mut p, 8_000.0);
    let deviated_gain = (w4 - w3) / (d4 - d3);
    assert!(
        deviated_gain < 0.5 * vertical_gain,
        "72° section adds {deviated_gain} lbf/ft while slacking off"
    );
    assert!(w4 > 0.0, "string still hangs in tension at 8,000 ft: {w4}");
}

#[test]
fn a_job_cycles_through_its_phases() {
    let mut p = plant(3, 8_900.0, 9_200.0);
    let rih_weight = p.ct().weight_lbf();
    let rih_circ = p.ct().circ_pressure_psi();
    let mut seen = vec![p.ct().phase()];
    let mut min_weight_tagging = f64::MAX;
    run_until(&mut p, 0.5, 6.0 * 3600.0, |p| {
        if p.ct().phase() == JobPhase::TagBottom {
            min_weight_tagging = min_weight_tagging.min(p.ct().weight_lbf());
        }
        if seen.last() != Some(&p.ct().phase()) {
            seen.push(p.ct().phase());
        }
        p.ct().phase() == JobPhase::AtSurface
    });
    use JobPhase::*;
    assert_eq!(
        seen,
        vec![RunInHole, TagBottom, PickUp, Wash, Circulate, PullOutOfHole, AtSurface]
    );
    assert!(
        min_weight_tagging < rih_weight - 1_500.0,
        "set-down shows on the weight indicator"
    );
    assert!(rih_circ > 300.0);
}

#[test]
fn wash_circulates_harder_than_rih() {
    let mut p = plant(3, 8_900.0, 9_200.0);
    let rih = p.ct().circ_pressure_psi();
    assert!(run_until(&mut p, 0.5, 3.0 * 3600.0, |p| p.ct().phase() == JobPhase::Circulate));
    let circ = p.ct().circ_pressure_psi();
    assert!(
        circ > rih + 1_000.0 && circ < 7_000.0,
        "RIH {rih} psi, circulating {circ} psi"
    );
}

#[test]
fn stuck_pipe_running_in_stops_the_string_and_sets_down_weight() {
    let mut p = plant(5, 5_000.0, 9_200.0);
    run_until(&mut p, 0.1, 30.0, |_| false);
    let free = p.ct().weight_lbf();
    p.inject(Fault {
        kind: FaultKind::StuckPipe,
        target: CT_DEVICE.into(),
    })
    .unwrap();
    p.step(0.1);
    let stuck_depth = p.ct().depth_ft();
    run_until(&mut p, 0.1, 60.0, |_| false);
    assert!(
        (p.ct().depth_ft() - stuck_depth).abs() < 0.01,
        "no movement while stuck"
    );
    assert_eq!(p.ct().speed_fpm(), 0.0);
    assert!(
        p.ct().weight_lbf() < free - 5_000.0,
        "injector pushes: {} vs free {free}",
        p.ct().weight_lbf()
    );
    p.clear(&Fault {
        kind: FaultKind::StuckPipe,
        target: CT_DEVICE.into(),
    });
    run_until(&mut p, 0.1, 30.0, |_| false);
    assert!(p.ct().depth_ft() > stuck_depth + 10.0, "moves again once freed");
}

#[test]
fn the_published_phase_says_shut_down_and_stuck_while_the_sequencer_holds() {
    let mut p = plant(5, 5_000.0, 9_200.0);
    let phase = |p: &mut DemoPlant| {
        let i = p.specs().iter().position(|s| s.address == "ct01/job_phase").unwrap();
        p.read()[i].as_str().unwrap_or_default().to_owned()
    };
    run_until(&mut p, 0.1, 10.0, |_| false);
    assert_eq!(phase(&mut p), "RIH");
    p.write("ct01/shutdown", &Value::Bool(true)).unwrap();
    run_until(&mut p, 0.1, 5.0, |_| false);
    assert_eq!(phase(&mut p), "SHUT DOWN");
    p.write("ct01/shutdown", &Value::Bool(false)).unwrap();
    let stuck = Fault {
        kind: FaultKind::StuckPipe,
        target: CT_DEVICE.into(),
    };
    p.inject(stuck.clone()).unwrap();
    run_until(&mut p, 0.1, 5.0, |_| false);
    assert_eq!(phase(&mut p), "STUCK");
    assert_eq!(p.ct().phase(), JobPhase::RunInHole, "the sequencer waits");
    p.clear(&stuck);
    run_until(&mut p, 0.1, 5.0, |_| false);
    assert_eq!(phase(&mut p), "RIH", "moving again once freed");
}

#[test]
fn overpressure_raises_whp_and_lightens_the_string() {
    let mut p = plant(5, 5_000.0, 9_200.0);
    run_until(&mut p, 0.1, 20.0, |_| false);
    let (whp0, w0) = (p.ct().wellhead_pressure_psi(), p.ct().weight_lbf());
    p.inject(Fault {
        kind: FaultKind::Overpressure,
        target: CT_DEVICE.into(),
    })
    .unwrap();
    run_until(&mut p, 0.5, 120.0, |_| false);
    let whp = p.ct().wellhead_pressure_psi();
    assert!(whp > whp0 + 2_500.0, "WHP {whp0} → {whp}");
    assert!(
        p.ct().weight_lbf() < w0 - 2.0 * (whp - whp0),
        "pressure end load (≈2.4 in² × Δp) shows"
    );
}

#[test]
fn esp_wells_run_at_plausible_points_and_gas_lock() {
    let mut p = plant(11, 2_500.0, 9_200.0);
    run_until(&mut p, 0.5, 60.0, |_| false);
    for i in 0..6 {
        let w = p.esp(i).unwrap();
        assert!((150.0..3_500.0).contains(&w.rate_bpd()), "esp{i} rate {}", w.rate_bpd());
        assert!(w.motor_temp_f() > w.params().bottomhole_temp_f);
        assert!(w.motor_current_a() > 0.3 * w.params().motor_rated_amps);
        assert!(w.motor_current_a() < 1.3 * w.params().motor_rated_amps);
    }
    let before = p
        .esp(1)
        .map(|w| (w.rate_bpd(), w.motor_current_a(), w.motor_temp_f()))
        .unwrap();
    p.inject(Fault {
        kind: FaultKind::GasLock,
        target: "esp02".into(),
    })
    .unwrap();
    run_until(&mut p, 0.5, 900.0, |_| false);
    let w = p.esp(1).unwrap();
    assert!(w.rate_bpd() < 0.2 * before.0, "rate {} → {}", before.0, w.rate_bpd());
    assert!(
        w.motor_current_a() < 0.8 * before.1,
        "underload: {} → {} A",
        before.1,
        w.motor_current_a()
    );
    assert!(
        w.motor_temp_f() > before.2 + 10.0,
        "motor heats without flow: {} → {}",
        before.2,
        w.motor_temp_f()
    );
    let other = p.esp(2).unwrap();
    assert!(other.rate_bpd() > 150.0, "other wells unaffected");
}

#[test]
fn transmitter_and_link_faults_set_quality() {
    let mut p = plant(2, 2_500.0, 9_200.0);
    let idx = |p: &DemoPlant, a: &str| p.specs().iter().position(|s| s.address == a).unwrap();
    p.inject(Fault {
        kind: FaultKind::CommLoss,
        target: "esp03".into(),
    })
    .unwrap();
    p.inject(Fault {
        kind: FaultKind::SensorFail,
        target: "ct01/weight".into(),
    })
    .unwrap();
    assert_eq!(
        p.signal_quality(idx(&p, "esp03/rate")),
        Quality::Bad(BadReason::CommFail)
    );
    assert_eq!(p.signal_quality(idx(&p, "esp04/rate")), Quality::Good);
    assert_eq!(
        p.signal_quality(idx(&p, "ct01/weight")),
        Quality::Bad(BadReason::SensorFail)
    );
    assert_eq!(p.signal_quality(idx(&p, "ct01/depth")), Quality::Good);
    assert!(
        p.inject(Fault {
            kind: FaultKind::GasLock,
            target: "ct01".into()
        })
        .is_err()
    );
    assert!(
        p.inject(Fault {
            kind: FaultKind::SensorFail,
            target: "nope/x".into()
        })
        .is_err()
    );
    p.clear_all();
    assert_eq!(p.signal_quality(idx(&p, "esp03/rate")), Quality::Good);
    assert!(p.active_faults().is_empty());
}

#[test]
fn separator_levels_cycle_between_dump_points() {
    let mut p = plant(4, 2_500.0, 9_200.0);
    let (mut lo, mut hi) = (f64::MAX, f64::MIN);
    run_until(&mut p, 0.5, 4.0 * 3600.0, |p| {
        let r = p.read().to_vec();
        let i = p.specs().iter().position(|s| s.address == "sep01/water_level").unwrap();
        let lvl = r[i].as_f64().unwrap();
        lo = lo.min(lvl);
        hi = hi.max(lvl);
        false
    });
    assert!(
        lo > 10.0 && hi < 20.0 && hi - lo > 4.0,
        "interface sawtooth {lo}..{hi} in"
    );
    assert!((p.separator().pressure_psi() - 125.0).abs() < 5.0);
}
