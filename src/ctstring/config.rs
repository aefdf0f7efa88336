//! A CT unit's engineering settings as the project checked them (`[ct.<unit>]` in site.toml, read by
//! `project::site`): the reel record, the well, the fluid, the surface loads and the tags in and out. Plain
//! data, valid by construction; the service reads it and never changes it.

use crate::calc::hydraulics::Fluid;
use crate::calc::survey::Survey;
use crate::ctstring::reel::ReelRecord;
use crate::tag::TagId;
use std::sync::Arc;

/// The tags that feed a unit's engineering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CtInputs {
    pub depth: TagId,
    pub weight: TagId,
    pub circ_pressure: TagId,
    pub wellhead_pressure: TagId,
    /// Pump rate in bbl/min.
    pub pump_rate: TagId,
    /// Pipe speed, ft/min (running in positive): the job's operations log reads it. Without it the job
    /// service derives the speed from the depth.
    pub speed: Option<TagId>,
    /// The pump's running total, bbl: what a job's fluid volumes count. Without it the rate is integrated.
    pub fluid_total: Option<TagId>,
}

/// The tags the job service makes for a unit (`<unit>/job_number`, `job_operation`, `job_footage`,
/// `job_volume`), on the implicit `jobs` driver: the job strip on the CT screen and the trends read them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobTags {
    pub number: TagId,
    pub operation: TagId,
    pub footage: TagId,
    pub volume: TagId,
}

/// The tags a unit's engineering makes, in `CT_OUTPUTS` order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CtOutputs {
    pub fatigue_max: TagId,
    pub running_ft: TagId,
    pub running_ft_pct: TagId,
    pub weight_pick_up_model: TagId,
    pub weight_slack_off_model: TagId,
    pub overpull: TagId,
    pub set_down: TagId,
    pub circ_pressure_model: TagId,
    pub pipe_load: TagId,
    pub cleaning_velocity_short: TagId,
}

/// One CT unit's engineering settings, checked.
#[derive(Debug, Clone)]
pub struct CtUnitConfig {
    /// Tag prefix (`ct01`).
    pub unit: String,
    /// What operators call it (`CT-01`).
    pub label: String,
    pub reel: Arc<ReelRecord>,
    /// The reel record's fatigue history CSV (its `history_csv`), read from the project; imported when the
    /// records have no state for this reel yet.
    pub history_csv: Option<String>,
    pub survey: Arc<Survey>,
    pub hole_id_in: f64,
    pub inputs: CtInputs,
    pub outputs: CtOutputs,
    pub job_tags: JobTags,
    pub fluid: Fluid,
    pub fluid_ppg: f64,
    pub nozzle_tfa_in2: f64,
    pub nozzle_cd: f64,
    /// The broomstick's friction factors, ascending; the weight band uses the largest.
    pub friction_factors: Vec<f64>,
    pub stripper_friction_lbf: f64,
    pub reel_back_tension_lbf: f64,
    pub injector_snub_capacity_lbf: f64,
    pub injector_pull_capacity_lbf: f64,
    pub bha_weight_lbf: f64,
    /// Drawn on the depth plot; the early-warning alarms' limits (alarms/*.toml) should say the same.
    pub weight_margin_lbf: f64,
    pub min_cleaning_velocity_fpm: f64,
    /// Von Mises load, % of yield, at which `pipe_load` alarms (drawn on the limits plot).
    pub pipe_load_alarm_pct: f64,
    pub cell_ft: f64,
}
