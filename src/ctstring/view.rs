//! src/ctstring/view.rs — what the CT string service shows the console, one immutable view per unit,
//! published through a cell the console loads once a frame (as the trip and alarm views are).
//!
//! Plain data, no egui and no calculation: the service (fatigue bookkeeping, the broomstick computed in
//! the background, hydraulics and pipe limits at the live sample) fills it, the CT string page draws it.
//! Every quantity is kept in oilfield units (ft, lbf, psi, ppg, ft/min) with the unit in its name; the page
//! converts what a person reads. Invariants the page relies on:
//! - string positions are measured from the free (downhole) end: position 0 ft is the tip;
//! - `fatigue_pct[i]` is the cell covering `[i·cell_ft, (i+1)·cell_ft)`;
//! - curves in `BroomstickView` have one value per entry of `depths_ft` (a non-finite value is "no value
//!   there", drawn as a gap, never as a number);
//! - a piece the service could not produce is `None` or carries a `problem` sentence: never a zero.
//!
//! Must not touch: the tag table, the hub or the UI.

use std::sync::Arc;

/// The views of every CT unit with a string, swapped whole by the service.
pub type CtStringViewCell = Arc<arc_swap::ArcSwap<CtStringViews>>;

/// Every configured CT string, in the site file's order.
#[derive(Debug, Clone, Default)]
pub struct CtStringViews {
    pub units: Vec<Arc<CtStringView>>,
    /// Why the CT string engineering is off (the records could not be read, a history did not import), in
    /// words for the engineer; `None` while it runs.
    pub problem: Option<String>,
}

impl CtStringViews {
    /// The view of `unit` (its tag prefix, e.g. "ct01").
    pub fn unit(&self, unit: &str) -> Option<&Arc<CtStringView>> {
        self.units.iter().find(|v| v.unit == unit)
    }
}

/// One CT unit's string as the console shows it now.
#[derive(Debug, Clone)]
pub struct CtStringView {
    /// The unit's tag prefix, e.g. "ct01".
    pub unit: String,
    /// The unit as people name it, e.g. "CT-01".
    pub unit_label: String,
    /// The reel's serial.
    pub reel_id: String,
    /// Length of one fatigue cell (1 ft by default).
    pub cell_ft: f64,
    /// Fatigue per cell, from the tip (index 0 = the downhole end), in % of life (Miner's sum × 100).
    pub fatigue_pct: Arc<Vec<f32>>,
    /// Welds along the string (sections' joins and repairs), from the tip.
    pub welds: Vec<WeldMark>,
    pub string_length_ft: f64,
    /// Running feet of the string so far and its retirement limit.
    pub running_ft: f64,
    pub running_ft_limit: f64,
    /// The most fatigued cell: its fatigue and position from the tip.
    pub max_fatigue_pct: f64,
    pub max_fatigue_at_ft: f64,
    /// The alarm thresholds on any cell's fatigue (75 and 85 % of life by default).
    pub warning_pct: f64,
    pub critical_pct: f64,
    /// The tip's measured depth; `None` while the depth is bad or stale (positions then unknown).
    pub depth_ft: Option<f64>,
    /// String positions (from the tip) now on the guide arch: `[arch_from_ft, arch_to_ft]`; from
    /// `reel_from_ft` to the end the string is on the reel; in the well: `[0, depth)`.
    pub arch_from_ft: f64,
    pub arch_to_ft: f64,
    pub reel_from_ft: f64,
    /// The predicted weights versus depth (`None`: no survey, job or fluid to compute them from).
    pub broomstick: Option<BroomstickView>,
    /// The live weight now (`None` while the weight indicator is bad or stale). Added for the page's
    /// current point, which is `(weight_lbf, depth_ft)` when both are known.
    pub weight_lbf: Option<f64>,
    /// Recent live (depth ft, weight lbf), oldest first.
    pub weight_trail: Vec<[f64; 2]>,
    /// The model's band at the live depth (`None`: no model there, or depth unknown).
    pub band: Option<BandView>,
    pub hydraulics: Option<HydraulicsView>,
    pub limits: Option<LimitsView>,
    /// The planned-job prediction the page asks for (`None`: no model for this string).
    pub whatif: Option<Arc<dyn WhatIf>>,
    /// The string as CSV, made when the page's Export asks (`None`: nothing to export).
    pub export: Option<Arc<dyn StringExport>>,
    /// What became of the last cut or import asked of this string since the console started.
    pub last_record: Option<RecordNote>,
    /// What the string's records could not save (a full queue, failed commits), in words; `None` while every
    /// count and cut is saved.
    pub records_problem: Option<String>,
}

/// The string as a CSV file for the office (`ctstring::csv`'s format), made only when asked: a long string
/// is a few MB of text, so the page asks off its UI thread.
pub trait StringExport: Send + Sync + std::fmt::Debug {
    /// One row per cell from the tip, with the reel, length, cell size and running feet as `#` lines.
    fn csv(&self) -> String;
}

/// A cut or import the string service applied or refused, as the audit trail has it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordNote {
    pub at: crate::tag::Timestamp,
    pub user: String,
    /// What was asked and what came of it (the audit record's own words, English).
    pub text: String,
    /// False for a refusal (the string is unchanged).
    pub done: bool,
}

/// A weld on the string: where it is and how it derates life.
#[derive(Debug, Clone, PartialEq)]
pub struct WeldMark {
    /// Position from the tip.
    pub position_ft: f64,
    /// Its type as a label: "bias", "tapered bias", "orbital butt", "manual butt", "tapered orbital",
    /// "tapered manual" (or the record's own word for a repair).
    pub kind: &'static str,
    /// The life factor it applies (0.80 for a bias weld … 0.15 for a tapered manual one).
    pub factor: f64,
}

/// Pick-up and slack-off surface weight versus depth for a sweep of friction factors.
#[derive(Debug, Clone, Default)]
pub struct BroomstickView {
    /// Tip depths the curves are given at, increasing.
    pub depths_ft: Vec<f64>,
    /// One curve pair per friction factor, lowest μ first.
    pub curves: Vec<FrictionCurve>,
    /// Free-hanging (no friction, not moving) weight at each depth.
    pub free_lbf: Vec<f64>,
    /// A new sweep is being computed (job, fluid or survey changed); the curves are the previous ones.
    pub computing: bool,
    /// Why the curves could not be computed, in words for the engineer.
    pub problem: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct FrictionCurve {
    pub mu: f64,
    /// Surface weight pulling out (pick-up) and running in (slack-off) at each of `depths_ft`.
    pub pick_up_lbf: Vec<f64>,
    pub slack_off_lbf: Vec<f64>,
    /// Where running in locks up with this friction factor (`None`: it reaches the end of the well).
    pub lockup_depth_ft: Option<f64>,
    /// The deepest the string can be run with this friction factor.
    pub max_reach_ft: f64,
}

/// The model's band at the live depth, as the early-warning alarm judges it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BandView {
    /// Predicted pick-up and slack-off weight at the live depth.
    pub pick_up_lbf: f64,
    pub slack_off_lbf: f64,
    /// How far outside the band the live weight may go before the alarm counts.
    pub margin_lbf: f64,
    /// How far the live weight is above pick-up (overpull) and below slack-off (set-down); zero or
    /// negative while it is inside the band.
    pub overpull_lbf: f64,
    pub set_down_lbf: f64,
}

/// The circulating pressure model at the live rate, against the measured pump pressure.
#[derive(Debug, Clone, PartialEq)]
pub struct HydraulicsView {
    /// The pump rate the prediction is for. Added so the page can say what rate it models.
    pub rate_gpm: f64,
    /// The pump pressure measured now (`None`: the tag is bad or stale).
    pub measured_pump_psi: Option<f64>,
    pub predicted_pump_psi: f64,
    /// The friction losses that add up to the prediction.
    pub reel_psi: f64,
    pub ct_in_well_psi: f64,
    pub annulus_psi: f64,
    pub nozzle_psi: f64,
    /// "laminar", "transitional" or "turbulent".
    pub pipe_regime: &'static str,
    pub annulus_regime: &'static str,
    pub pipe_reynolds: f64,
    /// Added beside `pipe_reynolds`: the annulus's own Reynolds number.
    pub annulus_reynolds: f64,
    pub annular_velocity_fpm: f64,
    /// The least annular velocity that still carries cuttings and fill out.
    pub min_cleaning_fpm: f64,
    pub ecd_ppg: f64,
    pub problem: Option<String>,
}

/// The von Mises limits of the pipe at the wellhead, with the live operating point.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LimitsView {
    /// The envelope at 100 % of yield: (axial true force lbf, Δp = p_in − p_out psi), a closed curve.
    pub envelope: Vec<[f64; 2]>,
    /// The same at the alarm fraction of yield.
    pub alarm_envelope: Vec<[f64; 2]>,
    /// (axial true force lbf, Δp psi) now.
    pub operating_point: [f64; 2],
    /// Von Mises stress now as % of yield, and the safety factor σy / VME.
    pub pct_of_yield: f64,
    pub safety_factor: f64,
    /// The alarm fraction of yield (0.8 = 80 %).
    pub alarm_fraction: f64,
    pub burst_psi: f64,
    pub collapse_psi: f64,
    pub problem: Option<String>,
}

/// Predicts the string's fatigue after a planned job, from the fatigue it has now.
pub trait WhatIf: Send + Sync + std::fmt::Debug {
    /// Fatigue % per cell (as `CtStringView::fatigue_pct`) after `trips` round trips to `depth_ft` at
    /// `pressure_psi`, or why it cannot be predicted, in words for the engineer.
    fn predict(&self, trips: u32, depth_ft: f64, pressure_psi: f64) -> Result<Vec<f32>, String>;
}
