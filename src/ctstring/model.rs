//! A unit's broomstick (pick-up and slack-off weight versus depth for its friction factors), computed on a
//! thread of its own when the service starts (the job, fluid and survey are the project's: a new project
//! starts a new service) and handed to the hub through an `ArcSwap`, so the hub never waits for the sweep.
//!
//! The sweep is for the string's downhole section (the pipe that is in the well on most jobs); its
//! weight-indicator readings are recomputed for the live wellhead pressure where they are read.

use super::config::CtUnitConfig;
use super::view::{BroomstickView, FrictionCurve};
use crate::calc::broomstick::{self, Broomstick, BroomstickInput, SurfaceLoads};
use crate::calc::softstring::Motion;
use std::sync::Arc;

/// Depth step of the sweep, ft (the 10-ft figure).
const STEP_FT: f64 = 10.0;

#[derive(Debug)]
pub enum ModelState {
    Computing,
    Ready(Arc<Broomstick>),
    /// Why the sweep failed, in words for the engineer.
    Failed(String),
}

pub type ModelCell = Arc<arc_swap::ArcSwap<ModelState>>;

/// The sweep's input from a unit's settings: the downhole section's pipe, the configured fluid in and out,
/// the surface loads at no wellhead pressure (the live one is applied where the curves are read).
pub fn input(cfg: &CtUnitConfig) -> BroomstickInput {
    let (od_in, wall_in) = cfg.reel.sections.last().map_or((0.0, 0.0), |s| (s.od_in, s.wall_in));
    BroomstickInput {
        survey: cfg.survey.stations().to_vec(),
        od_in,
        wall_in,
        fluid_inside_ppg: cfg.fluid_ppg,
        fluid_outside_ppg: cfg.fluid_ppg,
        hole_id_in: cfg.hole_id_in,
        friction_factors: cfg.friction_factors.clone(),
        step_ft: STEP_FT,
        max_depth_ft: None,
        wellhead_pressure_psi: 0.0,
        stripper_friction_lbf: cfg.stripper_friction_lbf,
        reel_back_tension_lbf: cfg.reel_back_tension_lbf,
        injector_snub_capacity_lbf: cfg.injector_snub_capacity_lbf,
        injector_pull_capacity_lbf: cfg.injector_pull_capacity_lbf,
        bha_weight_lbf: cfg.bha_weight_lbf,
    }
}

/// Starts the sweep for a unit on its own thread; the cell says `Computing` until it is done.
pub fn start(cfg: &Arc<CtUnitConfig>) -> ModelCell {
    let cell: ModelCell = Arc::new(arc_swap::ArcSwap::from_pointee(ModelState::Computing));
    let input = input(cfg);
    let out = cell.clone();
    let spawned = std::thread::Builder::new()
        .name(format!("ct-model-{}", cfg.unit))
        .spawn(move || {
            let state = match broomstick::broomstick(&input) {
                Ok(b) => ModelState::Ready(Arc::new(b)),
                Err(e) => ModelState::Failed(e.to_string()),
            };
            out.store(Arc::new(state));
        });
    if let Err(e) = spawned {
        cell.store(Arc::new(ModelState::Failed(format!(
            "could not start the model's thread: {e}"
        ))));
    }
    cell
}

/// The curves for the console, as weight-indicator readings with `loads` (the live wellhead pressure).
pub fn broomstick_view(state: &ModelState, loads: Option<&SurfaceLoads>) -> Option<BroomstickView> {
    let b = match state {
        ModelState::Computing => {
            return Some(BroomstickView {
                computing: true,
                ..BroomstickView::default()
            });
        }
        ModelState::Failed(why) => {
            return Some(BroomstickView {
                problem: Some(why.clone()),
                ..BroomstickView::default()
            });
        }
        ModelState::Ready(b) => b,
    };
    let loads = loads.unwrap_or(&b.surface_loads);
    let area = b.outer_area_in2;
    let read = |effective: &[Option<f64>], motion: Motion| -> Vec<f64> {
        effective
            .iter()
            .map(|f| f.map_or(f64::NAN, |f| loads.weight_indicator_lbf(f, motion, area)))
            .collect()
    };
    Some(BroomstickView {
        depths_ft: b.depths_ft.clone(),
        curves: b
            .curves
            .iter()
            .map(|c| FrictionCurve {
                mu: c.mu,
                pick_up_lbf: read(&c.pick_up_effective_lbf, Motion::PullingOut),
                slack_off_lbf: read(&c.slack_off_effective_lbf, Motion::RunningIn),
                lockup_depth_ft: c.lockup_depth_ft,
                max_reach_ft: c.max_reach_ft,
            })
            .collect(),
        free_lbf: b
            .free_hanging_effective_lbf
            .iter()
            .map(|&f| loads.weight_indicator_lbf(f, Motion::Stationary, area))
            .collect(),
        computing: false,
        problem: None,
    })
}
