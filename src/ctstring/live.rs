//! What a unit's live readings give, per sample and in closed form: the weight band from the broomstick at
//! the live depth and wellhead pressure (overpull over pick-up, set-down under slack-off), the circulating
//! pressure model at the live rate, the pipe's von Mises load at the wellhead, the hole-cleaning shortfall,
//! and the fatigue totals; as the tags the unit makes and as the page's views.
//!
//! Fail-safe: each output needs good readings of its own inputs; without them it is bad with the first
//! input's reason (an operator must never read a band or a load computed from a stale weight). Pure: no
//! I/O, no clock, no threads.

use super::config::CtUnitConfig;
use super::model::ModelState;
use super::tracker::FatigueTracker;
use super::view::{BandView, HydraulicsView, LimitsView};
use crate::calc::CalcError;
use crate::calc::broomstick::SurfaceLoads;
use crate::calc::hydraulics::{self, Circuit, FlowRegime, GPM_PER_BPM};
use crate::calc::limits::{self, PipeLoad};
use crate::calc::softstring::Motion;
use crate::tag::{BadReason, Quality, Sample, TagId, TagTable, Timestamp, Value};

/// A reading, or why there is none.
pub type Reading = Result<f64, BadReason>;

/// Below this pump rate the pumps are off: no cleaning shortfall is judged.
const PUMPING_BPM: f64 = 0.1;
/// Points of each von Mises envelope on the limits plot.
const ENVELOPE_POINTS: usize = 96;

/// The unit's input tags, read from the table once per scan.
#[derive(Debug, Clone, Copy)]
pub struct Readings {
    pub depth: Reading,
    pub weight: Reading,
    pub circ_pressure: Reading,
    pub wellhead_pressure: Reading,
    pub pump_rate_bpm: Reading,
}

impl Readings {
    pub fn read(cfg: &CtUnitConfig, table: &TagTable) -> Self {
        let i = cfg.inputs;
        Self {
            depth: reading(table, i.depth),
            weight: reading(table, i.weight),
            circ_pressure: reading(table, i.circ_pressure),
            wellhead_pressure: reading(table, i.wellhead_pressure),
            pump_rate_bpm: reading(table, i.pump_rate),
        }
    }
}

/// A tag's value when it is live (good or uncertain) and a finite number.
fn reading(table: &TagTable, id: TagId) -> Reading {
    let Some(state) = table.get(id) else {
        return Err(BadReason::ConfigError);
    };
    match state.quality {
        Quality::Bad(reason) => Err(reason),
        Quality::Good | Quality::Uncertain => state
            .value
            .as_ref()
            .and_then(Value::as_f64)
            .filter(|v| v.is_finite())
            .ok_or(BadReason::ConfigError),
    }
}

/// Everything the unit's readings give this scan.
#[derive(Debug, Clone)]
pub struct Derived {
    pub depth_ft: Option<f64>,
    pub weight_lbf: Option<f64>,
    pub fatigue_max_pct: f64,
    pub running_ft: f64,
    pub running_ft_pct: f64,
    pub pick_up: Reading,
    pub slack_off: Reading,
    pub overpull: Reading,
    pub set_down: Reading,
    pub circ_pressure_model: Reading,
    pub pipe_load: Reading,
    pub cleaning_velocity_short: Reading,
    pub band: Option<BandView>,
    pub hydraulics: Option<HydraulicsView>,
    pub limits: Option<LimitsView>,
    /// The surface loads with the live wellhead pressure (the broomstick's readings are redrawn with them).
    pub loads: Option<SurfaceLoads>,
}

impl Default for Derived {
    fn default() -> Self {
        let waiting = Err(BadReason::WaitingForData);
        Self {
            depth_ft: None,
            weight_lbf: None,
            fatigue_max_pct: 0.0,
            running_ft: 0.0,
            running_ft_pct: 0.0,
            pick_up: waiting,
            slack_off: waiting,
            overpull: waiting,
            set_down: waiting,
            circ_pressure_model: waiting,
            pipe_load: waiting,
            cleaning_velocity_short: waiting,
            band: None,
            hydraulics: None,
            limits: None,
            loads: None,
        }
    }
}

impl Derived {
    /// The unit's output tags as samples, those that differ from `last` (what was sent before, updated):
    /// a tag that holds still sends nothing, and the history keeps every value the tag had.
    pub fn samples(&self, cfg: &CtUnitConfig, last: &mut [Option<Reading>; 10], now: Timestamp, out: &mut Vec<Sample>) {
        let o = cfg.outputs;
        let values: [(TagId, Reading); 10] = [
            (o.fatigue_max, Ok(self.fatigue_max_pct)),
            (o.running_ft, Ok(self.running_ft)),
            (o.running_ft_pct, Ok(self.running_ft_pct)),
            (o.weight_pick_up_model, self.pick_up),
            (o.weight_slack_off_model, self.slack_off),
            (o.overpull, self.overpull),
            (o.set_down, self.set_down),
            (o.circ_pressure_model, self.circ_pressure_model),
            (o.pipe_load, self.pipe_load),
            (o.cleaning_velocity_short, self.cleaning_velocity_short),
        ];
        for ((tag, v), sent) in values.into_iter().zip(last.iter_mut()) {
            let same = match (*sent, v) {
                (Some(Ok(a)), Ok(b)) => a.to_bits() == b.to_bits(),
                (Some(Err(a)), Err(b)) => a == b,
                _ => false,
            };
            if same {
                continue;
            }
            *sent = Some(v);
            out.push(match v {
                Ok(v) if v.is_finite() => Sample::good(tag, Value::F64(v), now),
                Ok(_) => Sample::bad(tag, BadReason::MathError, now),
                Err(reason) => Sample::bad(tag, reason, now),
            });
        }
    }
}

/// The first input's problem, or all the values.
fn all<const N: usize>(readings: [Reading; N]) -> Result<[f64; N], BadReason> {
    let mut out = [0.0; N];
    for (o, r) in out.iter_mut().zip(readings) {
        *o = r?;
    }
    Ok(out)
}

/// Everything the readings give with the string as the tracker has it and the model as it stands.
pub fn derive(cfg: &CtUnitConfig, tracker: &FatigueTracker, model: &ModelState, r: &Readings) -> Derived {
    let (max_pct, _) = tracker.max_fatigue();
    let running_ft = tracker.running_ft();
    let limit = cfg.reel.running_ft_limit;
    let mut d = Derived {
        depth_ft: r.depth.ok(),
        weight_lbf: r.weight.ok(),
        fatigue_max_pct: max_pct,
        running_ft,
        running_ft_pct: if limit > 0.0 { 100.0 * running_ft / limit } else { 0.0 },
        ..Derived::default()
    };
    d.loads = r
        .wellhead_pressure
        .ok()
        .and_then(|whp| SurfaceLoads::new(whp.max(0.0), cfg.stripper_friction_lbf, cfg.reel_back_tension_lbf).ok());
    band(cfg, model, r, &mut d);
    hydraulics_at(cfg, tracker, r, &mut d);
    pipe_load(cfg, tracker, r, &mut d);
    d
}

/// The weight band at the live depth: the largest friction factor's pick-up and slack-off readings with the
/// live wellhead pressure.
fn band(cfg: &CtUnitConfig, model: &ModelState, r: &Readings, d: &mut Derived) {
    let ModelState::Ready(b) = model else {
        let why = match model {
            ModelState::Failed(_) => BadReason::ConfigError,
            _ => BadReason::WaitingForData,
        };
        (d.pick_up, d.slack_off, d.overpull, d.set_down) = (Err(why), Err(why), Err(why), Err(why));
        return;
    };
    let (depth, loads) = match (r.depth, r.wellhead_pressure, &d.loads) {
        (Ok(depth), Ok(_), Some(loads)) => (depth, *loads),
        (Err(why), _, _) | (_, Err(why), _) => {
            (d.pick_up, d.slack_off, d.overpull, d.set_down) = (Err(why), Err(why), Err(why), Err(why));
            return;
        }
        _ => {
            let why = BadReason::MathError;
            (d.pick_up, d.slack_off, d.overpull, d.set_down) = (Err(why), Err(why), Err(why), Err(why));
            return;
        }
    };
    let mu = b.curves.len().saturating_sub(1);
    // Past the model's end (deeper than the survey) or where running in locks up there is no reading.
    d.pick_up = b
        .weight_with(depth, mu, Motion::PullingOut, &loads)
        .ok_or(BadReason::MathError);
    d.slack_off = b
        .weight_with(depth, mu, Motion::RunningIn, &loads)
        .ok_or(BadReason::MathError);
    match (d.pick_up, d.slack_off, r.weight) {
        (Ok(pu), Ok(so), Ok(w)) => {
            d.overpull = Ok((w - pu).max(0.0));
            d.set_down = Ok((so - w).max(0.0));
            d.band = Some(BandView {
                pick_up_lbf: pu,
                slack_off_lbf: so,
                margin_lbf: cfg.weight_margin_lbf,
                overpull_lbf: w - pu,
                set_down_lbf: so - w,
            });
        }
        (Err(why), _, _) | (_, Err(why), _) | (_, _, Err(why)) => {
            d.overpull = Err(why);
            d.set_down = Err(why);
        }
    }
}

fn regime_word(r: FlowRegime) -> &'static str {
    match r {
        FlowRegime::Laminar => "laminar",
        FlowRegime::Transition => "transitional",
        FlowRegime::Turbulent => "turbulent",
    }
}

/// The circulating system at the live rate and depth with no CT friction in it (wellhead, annulus to the
/// tip, nozzle), and the CT's friction section by section: each section of the string as it is now (after
/// cuts) with its own bore, its pipe on the reel layer by layer and its pipe off the reel. A tapered string's
/// thick core sections lose more per foot than its downhole section.
fn circulate_string(
    cfg: &CtUnitConfig,
    tracker: &FatigueTracker,
    depth: f64,
    rate_bpm: f64,
    whp: f64,
) -> Result<hydraulics::CircuitResult, CalcError> {
    let layout = tracker.layout();
    let path = layout.path();
    let sections = layout.sections();
    let (od, tip_wall) = sections.last().map_or((0.0, 0.0), |s| (s.od_in, s.wall_in));
    let depth = depth.clamp(0.0, cfg.survey.total_md_ft());
    let length = layout.length_ft();
    let on_reel = (length - depth - path.surface_run_ft).clamp(0.0, length);
    let layers = layout.reel().layers(on_reel)?;
    let base = Circuit {
        rate_gpm: rate_bpm.max(0.0) * GPM_PER_BPM,
        fluid: cfg.fluid,
        density_ppg: cfg.fluid_ppg,
        ct_od_in: od,
        ct_wall_in: tip_wall,
        ct_in_well_ft: 0.0,
        reel_layers: Vec::new(),
        hole_id_in: cfg.hole_id_in,
        annulus_length_ft: depth,
        tvd_ft: cfg.survey.tvd_at(depth).min(depth),
        nozzle_tfa_in2: cfg.nozzle_tfa_in2,
        nozzle_cd: cfg.nozzle_cd,
        wellhead_pressure_psi: whp.max(0.0),
        min_cleaning_velocity_fpm: cfg.min_cleaning_velocity_fpm,
        rel_roughness: 0.0,
    };
    let mut result = hydraulics::circulate(&base)?;
    // Sections from the core out: [from, to) ft from the core end; the reel holds [0, on_reel) of that.
    let mut from = 0.0;
    for s in sections {
        let to = from + s.length_ft;
        let off_reel_ft = (to - from.max(on_reel)).max(0.0);
        let mut reel_layers = Vec::new();
        let mut at = 0.0;
        for l in &layers {
            let (lo, hi) = (at, at + l.length_ft);
            let piece = (hi.min(to).min(on_reel) - lo.max(from)).max(0.0);
            if piece > 0.0 {
                reel_layers.push(crate::calc::reel::ReelLayer { length_ft: piece, ..*l });
            }
            at = hi;
        }
        let part = hydraulics::circulate(&Circuit {
            ct_wall_in: s.wall_in,
            ct_in_well_ft: off_reel_ft,
            reel_layers,
            ..base.clone()
        })?;
        result.reel_psi += part.reel_psi;
        result.ct_in_well_psi += part.ct_in_well_psi;
        result.pump_pressure_psi += part.reel_psi + part.ct_in_well_psi;
        if std::ptr::eq(s, sections.last().unwrap_or(s)) {
            result.pipe = part.pipe;
        }
        from = to;
    }
    Ok(result)
}

fn hydraulics_at(cfg: &CtUnitConfig, tracker: &FatigueTracker, r: &Readings, d: &mut Derived) {
    let [depth, rate, whp] = match all([r.depth, r.pump_rate_bpm, r.wellhead_pressure]) {
        Ok(v) => v,
        Err(why) => {
            d.circ_pressure_model = Err(why);
            d.cleaning_velocity_short = Err(why);
            return;
        }
    };
    let result = circulate_string(cfg, tracker, depth, rate, whp);
    match result {
        Ok(h) => {
            d.circ_pressure_model = Ok(h.pump_pressure_psi);
            d.cleaning_velocity_short = Ok(if rate > PUMPING_BPM {
                (cfg.min_cleaning_velocity_fpm - h.annular_velocity_fpm).max(0.0)
            } else {
                0.0
            });
            d.hydraulics = Some(HydraulicsView {
                rate_gpm: rate.max(0.0) * GPM_PER_BPM,
                measured_pump_psi: r.circ_pressure.ok(),
                predicted_pump_psi: h.pump_pressure_psi,
                reel_psi: h.reel_psi,
                ct_in_well_psi: h.ct_in_well_psi,
                annulus_psi: h.annulus_psi,
                nozzle_psi: h.nozzle_psi,
                pipe_regime: regime_word(h.pipe.regime),
                annulus_regime: regime_word(h.annulus.regime),
                pipe_reynolds: h.pipe.reynolds,
                annulus_reynolds: h.annulus.reynolds,
                annular_velocity_fpm: h.annular_velocity_fpm,
                min_cleaning_fpm: cfg.min_cleaning_velocity_fpm,
                ecd_ppg: h.ecd_ppg,
                problem: None,
            });
        }
        Err(e) => {
            d.circ_pressure_model = Err(BadReason::MathError);
            d.cleaning_velocity_short = Err(BadReason::MathError);
            d.hydraulics = Some(HydraulicsView {
                rate_gpm: rate.max(0.0) * GPM_PER_BPM,
                measured_pump_psi: r.circ_pressure.ok(),
                predicted_pump_psi: f64::NAN,
                reel_psi: f64::NAN,
                ct_in_well_psi: f64::NAN,
                annulus_psi: f64::NAN,
                nozzle_psi: f64::NAN,
                pipe_regime: "",
                annulus_regime: "",
                pipe_reynolds: f64::NAN,
                annulus_reynolds: f64::NAN,
                annular_velocity_fpm: f64::NAN,
                min_cleaning_fpm: cfg.min_cleaning_velocity_fpm,
                ecd_ppg: f64::NAN,
                problem: Some(e.to_string()),
            });
        }
    }
}

/// The pipe at the wellhead: the true axial force just below the stripper is the injector's load less the
/// reel back-tension, plus the pump pressure's end load on the bore (F_true = F_eff + p_i·A_i − p_o·A_o with
/// F_eff = weight − back-tension + WHP·A_o; the wellhead terms cancel). Stripper friction is left out: it
/// changes sign with the motion and is small beside the pull.
fn pipe_load(cfg: &CtUnitConfig, tracker: &FatigueTracker, r: &Readings, d: &mut Derived) {
    let [depth, weight, p_in, p_out] = match all([r.depth, r.weight, r.circ_pressure, r.wellhead_pressure]) {
        Ok(v) => v,
        Err(why) => {
            d.pipe_load = Err(why);
            return;
        }
    };
    let layout = tracker.layout();
    let Some(section) = layout
        .cell_at(depth.max(0.0))
        .and_then(|c| layout.cells().get(c))
        .and_then(|c| layout.sections().get(c.section))
    else {
        d.pipe_load = Err(BadReason::OutOfRange);
        return;
    };
    let (od, wall, yield_psi) = (section.od_in, section.wall_in, section.grade.yield_psi);
    let bore_area = std::f64::consts::PI / 4.0 * (od - 2.0 * wall).powi(2);
    let axial = weight - cfg.reel_back_tension_lbf + p_in.max(0.0) * bore_area;
    let load = PipeLoad {
        od_in: od,
        wall_in: wall,
        yield_psi,
        ovality: 0.0,
        inside_pressure_psi: p_in.max(0.0),
        outside_pressure_psi: p_out.max(0.0),
        axial_true_lbf: axial,
        torque_ft_lbf: 0.0,
    };
    let fraction = cfg.pipe_load_alarm_pct / 100.0;
    let result = limits::pipe_limits(&load).and_then(|l| {
        let envelope = limits::vme_envelope(od, wall, yield_psi, 1.0, p_out.max(0.0), ENVELOPE_POINTS)?;
        let alarm = limits::vme_envelope(od, wall, yield_psi, fraction, p_out.max(0.0), ENVELOPE_POINTS)?;
        Ok((l, envelope, alarm))
    });
    match result {
        Ok((l, envelope, alarm_envelope)) => {
            d.pipe_load = Ok(l.pct_of_yield);
            d.limits = Some(LimitsView {
                envelope,
                alarm_envelope,
                operating_point: [axial, p_in.max(0.0) - p_out.max(0.0)],
                pct_of_yield: l.pct_of_yield,
                safety_factor: l.safety_factor.unwrap_or(f64::INFINITY),
                alarm_fraction: fraction,
                burst_psi: l.burst_psi,
                collapse_psi: l.collapse_psi,
                problem: None,
            });
        }
        Err(e) => {
            // Beyond yield in tension or compression the formulas stop; the load is then at least the axial
            // stress over yield, which is what the alarm must see (never a bad value that silences it).
            let area = std::f64::consts::PI / 4.0 * (od * od - (od - 2.0 * wall).powi(2));
            d.pipe_load = if e.field() == "axial_true_lbf" {
                Ok(100.0 * axial.abs() / (area * yield_psi))
            } else {
                Err(BadReason::MathError)
            };
            d.limits = Some(LimitsView {
                operating_point: [axial, p_in - p_out],
                alarm_fraction: fraction,
                problem: Some(e.to_string()),
                ..LimitsView::default()
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn tracker_for(reel: &crate::ctstring::reel::ReelRecord) -> FatigueTracker {
        FatigueTracker::new(Arc::new(reel.layout(1.0).unwrap()), Vec::new(), 0.0).unwrap()
    }

    #[test]
    fn a_tapered_strings_thick_sections_lose_more_than_its_downhole_bore_would() {
        let project = crate::project::Project::demo().unwrap();
        let cfg = project.site.ct_units[0].clone();
        let tapered = circulate_string(&cfg, &tracker_for(&cfg.reel), 3_000.0, 2.0, 300.0).unwrap();
        let mut uniform_reel = (*cfg.reel).clone();
        for s in &mut uniform_reel.sections {
            s.wall_in = 0.156;
        }
        let uniform = circulate_string(&cfg, &tracker_for(&uniform_reel), 3_000.0, 2.0, 300.0).unwrap();
        // The parts add up, and a uniform string's pipe off the reel loses its gradient times its length.
        for r in [&tapered, &uniform] {
            let sum = 300.0 + r.annulus_psi + r.nozzle_psi + r.reel_psi + r.ct_in_well_psi;
            assert!((r.pump_pressure_psi - sum).abs() < 1e-9, "{r:?}");
        }
        let off_reel_ft = 3_000.0 + 40.0;
        assert!((uniform.ct_in_well_psi - uniform.pipe.gradient_psi_ft * off_reel_ft).abs() < 1e-6);
        // Thicker walls on the core sections (on the reel at 3,000 ft): more loss there, none off the reel.
        assert!(
            tapered.reel_psi > 1.05 * uniform.reel_psi,
            "{} vs {}",
            tapered.reel_psi,
            uniform.reel_psi
        );
        assert!((tapered.ct_in_well_psi - uniform.ct_in_well_psi).abs() < 1e-9);
        assert_eq!(tapered.annulus_psi, uniform.annulus_psi);
    }
}
