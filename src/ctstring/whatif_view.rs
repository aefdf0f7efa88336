//! The what-if the console's CT string page asks: a copy of a unit's fatigue tracker as it was at the last
//! view, run through a planned job of round trips (`whatif`). Owns nothing else; runs where it is asked
//! (the page, on a button press), never on the hub.

use super::tracker::FatigueTracker;
use super::view::WhatIf;
use super::whatif;

/// Depth step of a prediction: the crossings are exact at any step, the pressure is taken per step.
const STEP_FT: f64 = 5.0;

#[derive(Debug)]
pub struct TrackerWhatIf {
    tracker: FatigueTracker,
}

impl TrackerWhatIf {
    pub fn new(tracker: FatigueTracker) -> Self {
        Self { tracker }
    }
}

impl WhatIf for TrackerWhatIf {
    fn predict(&self, trips: u32, depth_ft: f64, pressure_psi: f64) -> Result<Vec<f32>, String> {
        let plan = whatif::round_trips(depth_ft, pressure_psi, trips);
        whatif::predict(&self.tracker, &plan, STEP_FT).map_err(|e| e.to_string())
    }
}
