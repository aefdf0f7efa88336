//! `wellconsole calc` as an engineer scripts it: JSON in (a file or standard input), JSON or a table out,
//! checked against ENGINEERING.md's worked examples; an invalid input exits 1 naming its field.

use serde_json::Value;
use std::io::Write;
use std::process::{Command, Output, Stdio};

/// `wellconsole calc ARGS...` with `input` on standard input.
fn calc(args: &[&str], input: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wellconsole"))
        .arg("calc")
        .args(args)
        .env("RUST_LOG", "error")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    let mut stdin = child.stdin.take().expect("piped");
    // A refused input may be left unread; what the command did not read is not this test's failure.
    let _ = stdin.write_all(input.as_bytes());
    drop(stdin);
    child.wait_with_output().expect("binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The JSON a successful run printed.
fn json(o: &Output) -> Value {
    assert!(o.status.success(), "exit {:?}: {}", o.status.code(), stderr(o));
    serde_json::from_slice(&o.stdout).expect("JSON on standard output")
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs()
}

/// ENGINEERING.md §3: water at 2 bpm in 1.25 in ID (1.5 × 0.125 CT), 1,000 ft straight and 1,000 ft wound on
/// a 96 in coil (a 48 in-radius reel), open-ended.
const WATER_CIRCUIT: &str = r#"{
    "rate_gpm": 84,
    "fluid": {"model": "newtonian", "viscosity_cp": 1.0},
    "density_ppg": 8.33,
    "ct_od_in": 1.5, "ct_wall_in": 0.125,
    "ct_in_well_ft": 1000,
    "reel_layers": [{"layer": 1, "diameter_in": 96, "length_ft": 1000}],
    "hole_id_in": 3.0, "annulus_length_ft": 1000, "tvd_ft": 1000,
    "nozzle_tfa_in2": 1.2272, "wellhead_pressure_psi": 0
}"#;

#[test]
fn hydraulics_gives_the_water_example_straight_and_on_the_reel() {
    let v = json(&calc(&["hydraulics"], WATER_CIRCUIT));
    let pipe = &v["pipe"];
    // v 21.96 ft/s, Re 212,200, 0.481 psi/ft straight [X]/[D]
    assert!(rel(num(&pipe["velocity_fps"]), 21.96) < 1e-3, "{v}");
    assert!(rel(num(&pipe["reynolds"]), 212_200.0) < 1e-3, "{v}");
    assert_eq!(pipe["regime"], "turbulent");
    assert!(rel(num(&pipe["gradient_psi_ft"]), 0.481) < 3e-3, "{v}");
    assert!(rel(num(&v["ct_in_well_psi"]), 481.0) < 3e-3, "{v}");
    // On the reel f_D 0.01823 against 0.01546 straight (Schmidt): the gradient rises in the same ratio.
    let reel_gradient = num(&v["reel_psi"]) / 1_000.0;
    assert!(rel(reel_gradient, 0.481 * 0.01823 / 0.01546) < 1e-2, "{v}");
    let sum = ["reel_psi", "ct_in_well_psi", "annulus_psi", "nozzle_psi"]
        .iter()
        .map(|k| num(&v[*k]))
        .sum::<f64>();
    assert!(rel(num(&v["pump_pressure_psi"]), sum) < 1e-9, "{v}");
}

/// ENGINEERING.md §4: 1.75 × 0.156 in CT80, p_i 5,000 psi, F_true 20,000 lbf, T 1,000 ft·lbf.
const LOAD: &str = r#"{"od_in": 1.75, "wall_in": 0.156, "yield_psi": 80000, "inside_pressure_psi": 5000,
    "outside_pressure_psi": 0, "axial_true_lbf": 20000, "torque_ft_lbf": 1000}"#;

#[test]
fn limits_from_a_file_give_the_worked_example_section() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("load.json");
    std::fs::write(&path, LOAD).unwrap();
    let v = json(&calc(&["limits", path.to_str().unwrap()], ""));
    assert!(rel(num(&v["area_in2"]), 0.7812) < 1e-4, "{v}");
    assert!(rel(num(&v["polar_moment_in4"]), 0.5010) < 1e-4, "{v}");
    assert_eq!(v["governing_wall"], "outer");
    assert!(v.get("envelope").is_none(), "no envelope unless asked: {v}");
    // `-` is standard input, and the envelope comes when asked.
    let with_envelope = LOAD.replace(
        "\"torque_ft_lbf\": 1000",
        "\"torque_ft_lbf\": 1000, \"envelope_points\": 32",
    );
    let v = json(&calc(&["limits", "-"], &with_envelope));
    let curve = v["envelope"]["yield_curve"].as_array().unwrap();
    assert!(curve.len() > 8 && curve.first() == curve.last(), "{v}");
}

/// ENGINEERING.md §1 worked example [D]: 1.5 × 0.125 in CT80 (Su 88 ksi, RA 60 %) at p = 0, a round trip of
/// 2 events on a 48 in reel and 4 on a 72 in guide arch: 0.114 % a trip, 40 % at 351 trips.
const TRIP_EVENTS: &str = r#"{
    "mode": "events",
    "od_in": 1.5, "wall_in": 0.125,
    "grade": {"name": "CT80", "yield_psi": 80000, "tensile_psi": 88000, "reduction_of_area": 0.6},
    "events": [
        {"radius_in": 48, "pressure_psi": 0, "count": 2},
        {"radius_in": 72, "pressure_psi": 0, "count": 4}
    ]
}"#;

#[test]
fn fatigue_events_give_the_damage_of_one_trip() {
    let v = json(&calc(&["fatigue"], TRIP_EVENTS));
    assert_eq!(v["mode"], "events");
    assert!(rel(num(&v["fatigue_pct"]), 0.114) < 5e-3, "{v}");
    assert_eq!(num(&v["trips_to_40_pct"]).floor(), 351.0, "{v}");
    assert!(rel(num(&v["events"][0]["cycles_to_failure"]), 1_590.0) < 5e-3, "{v}");
    assert!(rel(num(&v["events"][1]["cycles_to_failure"]), 3_932.0) < 5e-3, "{v}");
    assert!(v["meaning"].as_str().unwrap().contains("one trip"), "{v}");
}

const BROOMSTICK: &str = r#"{
    "survey": [{"md_ft": 0, "inc_deg": 0, "azi_deg": 0}, {"md_ft": 1000, "inc_deg": 0, "azi_deg": 0},
               {"md_ft": 3000, "inc_deg": 60, "azi_deg": 0}],
    "od_in": 1.75, "wall_in": 0.156, "fluid_inside_ppg": 8.33, "fluid_outside_ppg": 8.33, "hole_id_in": 4.0,
    "friction_factors": [0.2, 0.3], "step_ft": 50,
    "wellhead_pressure_psi": 0, "stripper_friction_lbf": 500, "reel_back_tension_lbf": 300,
    "injector_snub_capacity_lbf": 20000, "injector_pull_capacity_lbf": 60000
}"#;

#[test]
fn a_broomstick_reads_heavier_pulling_out_than_running_in() {
    let v = json(&calc(&["broomstick"], BROOMSTICK));
    for key in [
        "depths_ft",
        "free_hanging_lbf",
        "curves",
        "surface_loads",
        "outer_area_in2",
    ] {
        assert!(v.get(key).is_some(), "{key} missing");
    }
    let depths = v["depths_ft"].as_array().unwrap();
    assert_eq!(num(depths.last().unwrap()), 3_000.0);
    let curves = v["curves"].as_array().unwrap();
    assert_eq!(curves.len(), 2);
    for c in curves {
        for key in [
            "mu",
            "pick_up_lbf",
            "slack_off_lbf",
            "lockup_depth_ft",
            "max_reach_ft",
            "reach_limit",
        ] {
            assert!(c.get(key).is_some(), "{key} missing in {c}");
        }
        let pu = num(c["pick_up_lbf"].as_array().unwrap().last().unwrap());
        let so = num(c["slack_off_lbf"].as_array().unwrap().last().unwrap());
        assert!(pu > so, "μ {}: pick-up {pu} vs slack-off {so}", c["mu"]);
    }
}

#[test]
fn table_prints_aligned_columns_with_units() {
    let o = calc(&["limits", "--table"], LOAD);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("Radial psi") && text.contains("VME psi"), "{text}");
    assert!(text.contains("Area, in²") && text.contains("0.7812"), "{text}");
    assert!(serde_json::from_str::<Value>(&text).is_err(), "a table, not JSON");
    let o = calc(&["broomstick", "--table"], BROOMSTICK);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains("Depth ft") && text.contains("PU μ=0.2 lbf") && text.contains("Max reach ft"),
        "{text}"
    );
    // About one row per 500 ft: 0, 500, …, 3000.
    assert!(text.lines().any(|l| l.starts_with("2500 ")), "{text}");
    assert!(!text.lines().any(|l| l.starts_with("2550 ")), "{text}");
}

#[test]
fn invalid_input_exits_1_naming_the_field() {
    // A missing field: serde names it with its line and column.
    let missing = WATER_CIRCUIT.replace("\"tvd_ft\": 1000,", "");
    let o = calc(&["hydraulics"], &missing);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("missing field `tvd_ft`") && err.contains("line"), "{err}");
    assert!(o.stdout.is_empty());

    // A wall of half the OD or more: the calculation names `wall_in`.
    let o = calc(&["limits"], &LOAD.replace("\"wall_in\": 0.156", "\"wall_in\": 0.9"));
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("error: wall_in: "), "{}", stderr(&o));

    // An unknown (misspelt) field is refused, not ignored.
    let o = calc(
        &["broomstick"],
        &BROOMSTICK.replace("\"hole_id_in\"", "\"mud_ppg\": 9, \"hole_id_in\""),
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("unknown field `mud_ppg`"), "{}", stderr(&o));
    let o = calc(
        &["fatigue"],
        &TRIP_EVENTS.replace("\"radius_in\": 72", "\"radius\": 72"),
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("unknown field `radius`"), "{}", stderr(&o));

    // Not a calculation's input at all.
    let o = calc(&["forces"], "[1, 2");
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn input_is_bounded_and_an_unreadable_file_is_not_an_input_error() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.json");
    let file = std::fs::File::create(&big).unwrap();
    file.set_len(16 * 1024 * 1024 + 1).unwrap();
    let o = calc(&["limits", big.to_str().unwrap()], "");
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("16 MiB"), "{}", stderr(&o));
    let missing = dir.path().join("nowhere.json");
    let o = calc(&["limits", missing.to_str().unwrap()], "");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("nowhere.json"), "{}", stderr(&o));
}

#[test]
fn calc_help_lists_its_own_options_only() {
    let o = calc(&["--help"], "");
    assert!(o.status.success(), "{}", stderr(&o));
    let help = stdout(&o);
    assert!(help.contains("--table") && help.contains("hydraulics"), "{help}");
    assert!(!help.contains("--project") && !help.contains("--speed"), "{help}");
}

/// ENGINEERING.md §5: Vogel, 65 B/D at p_wf 1,500 psi with p̄ 2,000 psi → q_max 162.5 B/D, q(500 psi) 146.25.
const VOGEL_TEST: &str = r#"{
    "model": "vogel", "p_res_psi": 2000,
    "tests": [{"q_stb_d": 65, "p_wf_psi": 1500}],
    "at_p_wf_psi": [500]
}"#;

#[test]
fn ipr_gives_the_vogel_example() {
    let v = json(&calc(&["ipr"], VOGEL_TEST));
    assert!(rel(num(&v["aof_stb_d"]), 162.5) < 1e-9, "{v}");
    assert!(rel(num(&v["vogel_qmax_stb_d"]), 162.5) < 1e-9, "{v}");
    assert_eq!(num(&v["at"][0]["p_wf_psi"]), 500.0, "{v}");
    assert!(rel(num(&v["at"][0]["q_stb_d"]), 146.25) < 1e-9, "{v}");
    assert_eq!(v["model"], "vogel");
    assert_eq!(v["method"], "one_point");
    assert_eq!(num(&v["points"]), 1.0);
    // The curve runs from p̄ (no flow) down to p_wf 0 (the AOF).
    let curve = v["curve"].as_array().unwrap();
    let (first, last) = (&curve[0], &curve[curve.len() - 1]);
    assert!(
        num(&first[0]).abs() < 1e-9 && rel(num(&first[1]), 2_000.0) < 1e-12,
        "{v}"
    );
    assert!(rel(num(&last[0]), 162.5) < 1e-9 && num(&last[1]).abs() < 1e-9, "{v}");
}

#[test]
fn ipr_with_a_flowing_pressure_above_the_reservoir_exits_1_naming_it() {
    // Asked for a rate above p̄: the entry is named by its place in the list.
    let o = calc(&["ipr"], &VOGEL_TEST.replace("[500]", "[500, 2100]"));
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("error: at_p_wf_psi[1]: p_wf_psi: "),
        "{}",
        stderr(&o)
    );
    assert!(o.stdout.is_empty());
    // A test above p̄ has no drawdown to fit.
    let o = calc(
        &["ipr"],
        &VOGEL_TEST.replace("\"p_wf_psi\": 1500", "\"p_wf_psi\": 2100"),
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("error: tests: "), "{}", stderr(&o));
}

/// A noise-free exponential decline: q_i 1,000 a day, D 0.001 a day nominal, 400 daily rates.
fn exponential_rates(days: u32) -> Value {
    let t: Vec<f64> = (0..days).map(f64::from).collect();
    let q: Vec<f64> = t.iter().map(|t| 1_000.0 * (-0.001 * t).exp()).collect();
    serde_json::json!({"t_days": t, "q_rate": q, "kind": "exponential", "q_el": 10})
}

#[test]
fn decline_recovers_an_exponential_and_forecasts_to_the_limit() {
    let v = json(&calc(&["decline"], &exponential_rates(400).to_string()));
    let (fit, forecast) = (&v["fit"], &v["forecast"]);
    assert!(rel(num(&fit["arps"]["di_per_day"]), 0.001) < 1e-6, "{v}");
    assert!(rel(num(&fit["arps"]["qi"]), 1_000.0) < 1e-6, "{v}");
    assert_eq!(num(&fit["used"]), 400.0);
    // Exponential: EUR = (q_i − q_el)/D from t = 0; now is the last day (399), the limit ln(q_now/q_el)/D on.
    let eur = num(&forecast["eur"]);
    assert!(eur.is_finite() && rel(eur, 990_000.0) < 1e-3, "{v}");
    let q_now = 1_000.0 * (-0.399_f64).exp();
    assert!(rel(num(&forecast["q_now"]), q_now) < 1e-4, "{v}");
    assert!(
        rel(num(&forecast["days_to_limit"]), (q_now / 10.0).ln() / 0.001) < 1e-3,
        "{v}"
    );
    assert!(num(&forecast["remaining"]) > 0.0, "{v}");
}

#[test]
fn decline_on_two_points_exits_1_naming_the_rates() {
    let two = r#"{"t_days": [0, 1], "q_rate": [100, 90], "kind": "exponential", "q_el": 1}"#;
    let o = calc(&["decline"], two);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("q_rate"), "{}", stderr(&o));
    assert!(o.stdout.is_empty());
}

/// ENGINEERING.md §5: 200 gpm (6,857.14 bpd) against 100 ft TDH of water, given as the pressures a
/// gauge reads (Δp = 100 ft / 2.31 ft/psi) → 5.05 hydraulic hp.
const ESP_POINT: &str = r#"{"q_bpd": 6857.14, "p_intake_psi": 1000, "p_discharge_psi": 1043.2900432900433,
    "sg": 1, "frequency_hz": 60}"#;

#[test]
fn esp_gives_the_hydraulic_power_example() {
    let v = json(&calc(&["esp"], ESP_POINT));
    assert!(rel(num(&v["tdh_ft"]), 100.0) < 1e-6, "{v}");
    assert!(rel(num(&v["hhp"]), 5.05) < 5e-3, "{v}");
    // No motor readings, no pump: nothing made up for them.
    assert!(
        v["bhp"].is_null() && v["efficiency"].is_null() && v["zone"].is_null(),
        "{v}"
    );
}

#[test]
fn esp_with_the_discharge_below_the_intake_exits_1() {
    let o = calc(&["esp"], &ESP_POINT.replace("1043.2900432900433", "950"));
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("error: p_discharge_psi: "), "{}", stderr(&o));
    assert!(o.stdout.is_empty());
}

#[test]
fn production_tables_print_with_units() {
    for (kind, input, words) in [
        ("ipr", VOGEL_TEST.to_owned(), ["AOF, STB/d", "162.5", "p_wf psi"]),
        (
            "decline",
            exponential_rates(400).to_string(),
            ["EUR, rate·day", "Days to the economic limit", "exponential"],
        ),
        (
            "esp",
            ESP_POINT.to_owned(),
            ["Total dynamic head, ft", "Hydraulic power, hp", "5.05"],
        ),
    ] {
        let o = calc(&[kind, "--table"], &input);
        assert!(o.status.success(), "{kind}: {}", stderr(&o));
        let text = stdout(&o);
        for w in words {
            assert!(text.contains(w), "{kind}: {w} missing in\n{text}");
        }
        assert!(
            serde_json::from_str::<Value>(&text).is_err(),
            "{kind}: a table, not JSON"
        );
    }
}
