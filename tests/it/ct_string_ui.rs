//! The CT string page as a CT engineer uses it: opened from the navigation, the header's reel, length,
//! running feet and worst cell, a planned-job prediction (mouse and a cab panel's touch keys), a model that
//! cannot predict, the depth plot with its broomstick and the pressures, the page in Spanish, the sentence
//! that says how to configure a string, snapshot images of the fatigue map and the depth plot, and the
//! string's records: a cut confirmed with a reason goes to the string service as the engineer's command.
//!
//! The view is built by hand as the string service would publish it: a 14,000-ft 1.75-in string whose
//! fatigue rises toward the tip with spikes at its welds, in a well that kicks off at 3,000 ft and is
//! horizontal from 6,000 ft, with a broomstick for μ 0.1–0.4 (the higher two lock up before the string's end).

use crate::alarm_ui::type_into;
use crate::console_ui::{harness, mask_frame_time};
use crate::support::{self, NOW};

use arc_swap::ArcSwap;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use std::sync::Arc;
use wellconsole::auth::{Actor, Role};
use wellconsole::ctstring::command::CtCommand;
use wellconsole::ctstring::layout::StringEnd;
use wellconsole::ctstring::view::{
    BandView, BroomstickView, CtStringView, CtStringViewCell, CtStringViews, FrictionCurve, HydraulicsView, LimitsView,
    WeldMark, WhatIf,
};
use wellconsole::hub::{CommandLanes, HubCommand, command_lanes};
use wellconsole::lang::Lang;
use wellconsole::project::Project;
use wellconsole::runtime::Service;
use wellconsole::ui::{ConsoleApp, ConsoleInputs, ConsoleSettings, MeasureOptions, Page};

const LENGTH_FT: usize = 14_000;
const DEPTH_FT: f64 = 9_870.0;
/// Buoyed weight of 1.75 × 0.156 in CT in water (ENGINEERING.md §2), lb/ft.
const W_LB_FT: f64 = 2.32;
/// Wellhead pressure pushing the string out (2,000 psi on 2.405 in² of pipe), and the stripper's drag.
const PRESSURE_LBF: f64 = 2_000.0 * 2.405;
const STRIPPER_LBF: f64 = 1_500.0;

/// The welds from the tip: (position ft, type, life factor).
const WELDS: [(f64, &str, f64); 4] = [
    (2_600.0, "bias", 0.80),
    (6_100.0, "orbital butt", 0.45),
    (9_800.0, "tapered bias", 0.50),
    (12_300.0, "manual butt", 0.35),
];

/// Adds the same wear to every cell per trip: the expected worst cell is the string's plus that.
#[derive(Debug)]
struct AddsWear {
    now: Arc<Vec<f32>>,
}

const WEAR_PER_TRIP_PCT: f32 = 4.0;

impl WhatIf for AddsWear {
    fn predict(&self, trips: u32, _depth_ft: f64, _pressure_psi: f64) -> Result<Vec<f32>, String> {
        Ok(self.now.iter().map(|f| f + WEAR_PER_TRIP_PCT * trips as f32).collect())
    }
}

#[derive(Debug)]
struct NoModel;

impl WhatIf for NoModel {
    fn predict(&self, _trips: u32, _depth_ft: f64, _pressure_psi: f64) -> Result<Vec<f32>, String> {
        Err("the reel record has no strain-life data for grade CT90".into())
    }
}

/// Fatigue % per 1-ft cell: highest near the tip (the end that works the arch most), a ripple where
/// past jobs stopped, each weld's cells derated by its factor.
fn fatigue() -> Vec<f32> {
    (0..LENGTH_FT)
        .map(|i| {
            let s = i as f64;
            let mut f = 6.0 + 44.0 * (-s / 4_500.0).exp() + 3.0 * (s / 700.0).sin().abs();
            for (at, _, factor) in WELDS {
                if (s - at).abs() < 2.0 {
                    f /= factor;
                }
            }
            f as f32
        })
        .collect()
}

/// Inclination (rad) at measured depth `md`: vertical to 3,000 ft, built to 90° by 6,000 ft.
fn inclination(md: f64) -> f64 {
    std::f64::consts::FRAC_PI_2 * ((md - 3_000.0) / 3_000.0).clamp(0.0, 1.0)
}

/// Surface weight (lbf) with the tip at `depth` for friction factor `mu`, pulling out (`sign` +1), running in
/// (−1) or hanging free (0): the soft string without buckling, 10-ft steps.
fn weight(depth: f64, mu: f64, sign: f64) -> f64 {
    let steps = (depth / 10.0) as usize;
    let along: f64 = (0..steps)
        .map(|k| {
            let th = inclination(k as f64 * 10.0 + 5.0);
            W_LB_FT * 10.0 * (th.cos() + sign * mu * th.sin())
        })
        .sum();
    along - PRESSURE_LBF + sign * STRIPPER_LBF
}

/// The broomstick: a curve pair per μ. Near surface the wellhead pressure pushes the string out (it is
/// snubbed in); running in locks up where, past its heaviest slack-off, the surface weight falls below
/// −1,000 lbf (pushing harder only buckles it further), and past lockup slack-off has no value. In this
/// well μ 0.3 and 0.4 lock up in the lateral; 0.1 and 0.2 reach the string's end.
fn broomstick() -> BroomstickView {
    let depths: Vec<f64> = (0..=140).map(|i| f64::from(i) * 100.0).collect();
    let curves = [0.1, 0.2, 0.3, 0.4]
        .into_iter()
        .map(|mu| {
            let slack_off: Vec<f64> = depths.iter().map(|d| weight(*d, mu, -1.0)).collect();
            let heaviest = (0..depths.len())
                .max_by(|a, b| slack_off[*a].total_cmp(&slack_off[*b]))
                .unwrap();
            let locked = (heaviest..depths.len()).find(|i| slack_off[*i] < -1_000.0);
            let lockup = locked.map(|i| depths[i]);
            FrictionCurve {
                mu,
                pick_up_lbf: depths.iter().map(|d| weight(*d, mu, 1.0)).collect(),
                slack_off_lbf: slack_off
                    .iter()
                    .enumerate()
                    .map(|(i, w)| if locked.is_some_and(|l| i > l) { f64::NAN } else { *w })
                    .collect(),
                lockup_depth_ft: lockup,
                max_reach_ft: lockup.unwrap_or(LENGTH_FT as f64),
            }
        })
        .collect();
    BroomstickView {
        free_lbf: depths.iter().map(|d| weight(*d, 0.0, 0.0)).collect(),
        curves,
        depths_ft: depths,
        computing: false,
        problem: None,
    }
}

/// The von Mises ellipse of 1.75 × 0.156 in CT80 at `fraction` of yield: (axial lbf, Δp psi).
fn ellipse(fraction: f64) -> Vec<[f64; 2]> {
    let (yield_psi, area_in2, od_in, wall_in) = (80_000.0, 0.7812, 1.75, 0.156);
    (0..72)
        .map(|k| {
            let t = f64::from(k) * std::f64::consts::TAU / 72.0;
            let (a, h) = (t.cos(), t.sin());
            let r = fraction / (a * a - a * h + h * h).sqrt();
            [r * a * yield_psi * area_in2, r * h * yield_psi * 2.0 * wall_in / od_in]
        })
        .collect()
}

fn ct01(whatif: Option<Arc<dyn WhatIf>>) -> CtStringView {
    let cells = fatigue();
    let (max_i, max) = cells
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map(|(i, f)| (i, f64::from(*f)))
        .unwrap();
    let broom = broomstick();
    let trail: Vec<[f64; 2]> = (0..400)
        .map(|k| {
            let d = DEPTH_FT - 400.0 + f64::from(k);
            [d, weight(d, 0.25, -1.0) + 350.0 * (f64::from(k) / 9.0).sin()]
        })
        .collect();
    let live = trail.last().unwrap()[1];
    let (pu, so) = (weight(DEPTH_FT, 0.3, 1.0), weight(DEPTH_FT, 0.3, -1.0));
    CtStringView {
        unit: "ct01".into(),
        unit_label: "CT-01".into(),
        reel_id: "R-2291-A".into(),
        cell_ft: 1.0,
        welds: WELDS
            .iter()
            .map(|&(position_ft, kind, factor)| WeldMark {
                position_ft,
                kind,
                factor,
            })
            .collect(),
        fatigue_pct: Arc::new(cells),
        string_length_ft: LENGTH_FT as f64,
        running_ft: 182_400.0,
        running_ft_limit: 400_000.0,
        max_fatigue_pct: max,
        max_fatigue_at_ft: max_i as f64,
        warning_pct: 75.0,
        critical_pct: 85.0,
        depth_ft: Some(DEPTH_FT),
        arch_from_ft: DEPTH_FT + 25.0,
        arch_to_ft: DEPTH_FT + 37.0,
        reel_from_ft: DEPTH_FT + 60.0,
        broomstick: Some(broom),
        weight_lbf: Some(live),
        weight_trail: trail,
        band: Some(BandView {
            pick_up_lbf: pu,
            slack_off_lbf: so,
            margin_lbf: 2_000.0,
            overpull_lbf: live - pu,
            set_down_lbf: so - live,
        }),
        hydraulics: Some(HydraulicsView {
            rate_gpm: 84.0,
            measured_pump_psi: Some(4_150.0),
            predicted_pump_psi: 4_010.0,
            reel_psi: 1_480.0,
            ct_in_well_psi: 2_010.0,
            annulus_psi: 120.0,
            nozzle_psi: 400.0,
            pipe_regime: "turbulent",
            annulus_regime: "laminar",
            pipe_reynolds: 212_200.0,
            annulus_reynolds: 1_850.0,
            annular_velocity_fpm: 88.0,
            min_cleaning_fpm: 100.0,
            ecd_ppg: 8.71,
            problem: None,
        }),
        limits: Some(LimitsView {
            envelope: ellipse(1.0),
            alarm_envelope: ellipse(0.8),
            operating_point: [live + PRESSURE_LBF, 2_150.0],
            pct_of_yield: 31.4,
            safety_factor: 3.18,
            alarm_fraction: 0.8,
            burst_psi: 14_263.0,
            collapse_psi: 9_810.0,
            problem: None,
        }),
        whatif,
        export: None,
        last_record: None,
        records_problem: None,
    }
}

/// The view with the wear-adding model, and the worst cell that model must answer for `trips`.
fn with_model() -> (CtStringView, f64) {
    let now = Arc::new(fatigue());
    let view = ct01(Some(Arc::new(AddsWear { now: now.clone() })));
    let worst = now.iter().copied().fold(f32::MIN, f32::max);
    (view, f64::from(worst))
}

/// The console over the demo snapshot with these CT string views (`None`: no CT string service).
fn console(
    views: Option<Vec<CtStringView>>,
    settings: ConsoleSettings,
) -> (Harness<'static, ConsoleApp>, CommandLanes<Service>) {
    let cell: Option<CtStringViewCell> = views.map(|v| {
        Arc::new(ArcSwap::from_pointee(CtStringViews {
            units: v.into_iter().map(Arc::new).collect(),
            problem: None,
        }))
    });
    let (tx, rx) = command_lanes(16, 16);
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
        ct_strings: cell,
        jobs: None,
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
    (h, rx)
}

#[test]
fn the_page_opens_from_the_navigation_and_heads_with_the_strings_numbers() {
    let (view, _) = with_model();
    let expected_max = format!(
        "Max fatigue {:.1} % at {:.0} ft",
        view.max_fatigue_pct, view.max_fatigue_at_ft
    );
    let (mut h, _rx) = console(Some(vec![view]), support::test_settings());
    support::open_page(&mut h, "CT string");
    assert_eq!(h.state().page(), Page::CtString);
    h.get_by_label("CT-01");
    h.get_by_label("Reel R-2291-A");
    h.get_by_label("String 14000 ft");
    h.get_by_label("Running 182400 / 400000 ft (45.6 %)");
    h.get_by_label(&expected_max);
    h.get_by_label("Depth 9870 ft");
    h.get_by_label("Fatigue map");
    h.get_by_label("fatigue map plot");
    assert!(
        !h.get_by_label("Predict").accesskit_node().is_disabled(),
        "the string has a model: Predict is offered"
    );
}

#[test]
fn predict_draws_the_fatigue_after_the_planned_job_and_says_its_worst_cell() {
    let (view, worst) = with_model();
    let (mut h, _rx) = console(Some(vec![view]), support::test_settings());
    support::open_page(&mut h, "CT string");
    assert!(h.query_by_label_contains("After the planned job").is_none());
    h.get_by_label("Predict").click();
    h.run();
    let one_trip = worst + f64::from(WEAR_PER_TRIP_PCT);
    h.get_by_label_contains(&format!("After the planned job: max {one_trip:.1} % at "));
    h.get_by_label("(1 trip to 9800 ft at 0 psi)");
    mask_frame_time(&mut h);
    h.snapshot("ct_string_fatigue_map");
}

#[test]
fn on_a_cab_panel_the_touch_keys_set_the_planned_job() {
    let (view, worst) = with_model();
    let settings = ConsoleSettings {
        touch: true,
        ..support::test_settings()
    };
    let (mut h, _rx) = console(Some(vec![view]), settings);
    support::open_page(&mut h, "CT string");
    h.get_by_label("Trips: more").click();
    h.run();
    h.get_by_label("Trips: more").click();
    h.run();
    let predict = h.get_by_label("Predict");
    assert!(
        predict.rect().height() >= 56.7,
        "Predict is touch-sized: {:?}",
        predict.rect()
    );
    predict.click();
    h.run();
    let three_trips = worst + 3.0 * f64::from(WEAR_PER_TRIP_PCT);
    h.get_by_label_contains(&format!("After the planned job: max {three_trips:.1} %"));
}

#[test]
fn a_model_that_cannot_predict_says_why_and_a_string_without_one_offers_no_predict() {
    let (mut h, _rx) = console(Some(vec![ct01(Some(Arc::new(NoModel)))]), support::test_settings());
    support::open_page(&mut h, "CT string");
    h.get_by_label("Predict").click();
    h.run();
    h.get_by_label("No prediction: the reel record has no strain-life data for grade CT90");
    assert!(h.query_by_label_contains("After the planned job").is_none());

    let (mut h, _rx) = console(Some(vec![ct01(None)]), support::test_settings());
    support::open_page(&mut h, "CT string");
    assert!(h.get_by_label("Predict").accesskit_node().is_disabled());
}

#[test]
fn the_depth_plot_shows_the_broomstick_band_and_lockups() {
    let (view, _) = with_model();
    let lockups: Vec<f64> = view
        .broomstick
        .as_ref()
        .unwrap()
        .curves
        .iter()
        .filter_map(|c| c.lockup_depth_ft)
        .collect();
    assert_eq!(
        lockups.len(),
        2,
        "the test well locks up for the two higher friction factors"
    );
    let (mut h, _rx) = console(Some(vec![view]), support::test_settings());
    support::open_page(&mut h, "CT string");
    h.get_by_label("Forces").click();
    h.run();
    h.get_by_label("Depth plot");
    h.get_by_label("broomstick plot");
    h.get_by_label("At the live depth");
    h.get_by_label("Lockup and reach");
    for l in lockups {
        assert!(
            h.query_all_by_label(&format!("{l:.0} ft")).count() >= 2,
            "lockup at {l} ft and the reach it limits are in the table"
        );
    }
    mask_frame_time(&mut h);
    h.snapshot("ct_string_depth_plot");

    h.get_by_label("Pressures & limits").click();
    h.run();
    h.get_by_label("Hydraulics");
    h.get_by_label("+140 psi (+3.5 %)");
    h.get_by_label("BELOW CLEANING VELOCITY");
    h.get_by_label("Pipe limits");
    h.get_by_label("31.4 % of yield");
    h.get_by_label("3.18");
}

#[test]
fn in_spanish_the_page_speaks_spanish() {
    let (view, worst) = with_model();
    let settings = ConsoleSettings {
        lang: Lang::Es,
        ..support::test_settings()
    };
    let (mut h, _rx) = console(Some(vec![view]), settings);
    support::open_page_in(&mut h, "Sarta de TF", "Páginas: ");
    for label in [
        "Carrete R-2291-A",
        "Sarta 14000 ft",
        "Mapa de fatiga",
        "Fatiga",
        "Fuerzas",
        "Presiones y límites",
    ] {
        h.get_by_label(label);
    }
    h.get_by_label("Predecir").click();
    h.run();
    h.get_by_label_contains(&format!(
        "Después del trabajo planificado: máx. {:.1} %",
        worst + f64::from(WEAR_PER_TRIP_PCT)
    ));
    h.get_by_label("Fuerzas").click();
    h.run();
    h.get_by_label("Gráfico de profundidad");
    h.get_by_label("Bloqueo y alcance");
    assert!(h.query_by_label("Depth plot").is_none(), "no English heading left");
}

#[test]
fn without_a_ct_string_the_page_says_how_to_configure_one() {
    let (mut h, _rx) = console(None, support::test_settings());
    support::open_page(&mut h, "CT string");
    h.get_by_label("No CT string configured");
    h.get_by_label_contains("[ct.<unit>] table with reel = \"reels/<id>.toml\"");
}

#[test]
fn with_two_units_the_picker_switches_the_string_shown() {
    let (first, _) = with_model();
    let mut second = ct01(None);
    second.unit = "ct02".into();
    second.unit_label = "CT-02".into();
    second.reel_id = "R-3307".into();
    second.depth_ft = None;
    let (mut h, _rx) = console(Some(vec![first, second]), support::test_settings());
    support::open_page(&mut h, "CT string");
    h.get_by_label("Reel R-2291-A");
    h.get_by_label("CT-02").click();
    h.run();
    h.get_by_label("Reel R-3307");
    // Its depth is bad: the positions are said to be unknown, never drawn from a stale depth.
    h.get_by_label("DEPTH BAD: positions unknown");
    assert!(h.query_by_label("Reel R-2291-A").is_none());
}

#[test]
fn an_engineer_cuts_pipe_only_with_a_reason_and_the_cut_goes_to_the_string_service() {
    let (view, _) = with_model();
    let settings = ConsoleSettings {
        actor: Actor::new("eva", Role::Engineer),
        ..support::test_settings()
    };
    let (mut h, rx) = console(Some(vec![view]), settings);
    support::open_page(&mut h, "CT string");
    h.get_by_label("String records:");
    assert!(!h.get_by_label("Cut pipe…").accesskit_node().is_disabled());
    h.get_by_label("Cut pipe…").click_accesskit();
    h.run();
    h.get_by_label("Cut pipe off the string of CT-01");
    assert!(
        h.get_by_label("Confirm cut").accesskit_node().is_disabled(),
        "no length and no reason: nothing to confirm"
    );
    type_into(&mut h, "Length to cut (ft):", "100");
    h.get_by_label("New string length: 13900.0 ft");
    assert!(
        h.get_by_label("Confirm cut").accesskit_node().is_disabled(),
        "a cut needs a reason"
    );
    type_into(&mut h, "Reason (required):", "   ");
    assert!(
        h.get_by_label("Confirm cut").accesskit_node().is_disabled(),
        "spaces are no reason"
    );
    h.get_by_label("Confirm cut").click();
    h.run();
    assert!(rx.try_recv().is_err(), "a cut without a reason is not sent");
    type_into(&mut h, "Reason (required):", "tip worn after milling");
    h.get_by_label("Confirm cut").click();
    h.run();
    let sent: Vec<HubCommand<Service>> = rx.try_iter().collect();
    let [HubCommand::Service(Service::CtString(cut))] = &sent[..] else {
        panic!("one CT string command is sent: {sent:?}");
    };
    assert_eq!(
        *cut,
        CtCommand::Cut {
            unit: "ct01".into(),
            end: StringEnd::Downhole,
            length_ft: 100.0,
            reason: "tip worn after milling".into(),
            by: Actor::new("eva", Role::Engineer),
        }
    );
    assert!(h.query_by_label("Confirm cut").is_none(), "the dialog closed");
}

#[test]
fn an_operator_sees_the_string_records_but_may_not_change_them() {
    let (view, _) = with_model();
    let (mut h, rx) = console(Some(vec![view]), support::test_settings());
    support::open_page(&mut h, "CT string");
    for button in ["Cut pipe…", "Import CSV…", "Export CSV…"] {
        assert!(
            h.get_by_label(button).accesskit_node().is_disabled(),
            "{button} is greyed for an operator"
        );
    }
    h.get_by_label_contains("ana (operator) may not edit CT string records");
    h.get_by_label("Cut pipe…").click_accesskit();
    h.run();
    assert!(h.query_by_label("Confirm cut").is_none(), "no dialog opens");
    assert!(rx.try_recv().is_err());
}
