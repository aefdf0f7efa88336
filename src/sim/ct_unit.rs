//! A coiled-tubing unit running a clean-out job in a deviated well.
//!
//! The job sequencer plays the operator: RIH, tag fill, pick up, wash down, circulate bottoms up, POOH,
//! and again; the job-phase signal says STOPPED, STUCK or SHUT DOWN instead while the pipe is not doing
//! what the sequencer's phase says. Weight indicator = soft-string effective force at surface − wellhead
//! pressure end load ∓ stripper friction + reel back-tension (ENGINEERING.md §2); circulating pressure =
//! wellhead pressure + annulus + CT friction + BHA nozzle (§3, `hydraulics::circulate`, water at 1 cp, nozzle
//! Cd 0.95), with the pipe on the reel split into its layers so each wrap takes its own curvature.

use super::noise::{Noise, lag, ramp};
use super::signal::SpecList;
use crate::calc::CalcError;
use crate::calc::hydraulics::{
    self, Circuit, CircuitResult, DEFAULT_MIN_CLEANING_VELOCITY_FPM, DEFAULT_NOZZLE_CD, Fluid, GPM_PER_BPM,
};
use crate::calc::reel::{REEL_96_X_64_FOR_1_75, ReelGeometry, ReelLayer};
use crate::calc::softstring::{self, Motion, StringInHole};
use crate::calc::survey::Survey;
use crate::calc::tubular::{CT_1_75_X_0_156, Tubular};
use crate::tag::Value;
use std::f64::consts::PI;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobPhase {
    AtSurface,
    RunInHole,
    TagBottom,
    PickUp,
    Wash,
    Circulate,
    PullOutOfHole,
}

impl JobPhase {
    pub fn label(self) -> &'static str {
        match self {
            JobPhase::AtSurface => "AT SURFACE",
            JobPhase::RunInHole => "RIH",
            JobPhase::TagBottom => "TAG BOTTOM",
            JobPhase::PickUp => "PICK UP",
            JobPhase::Wash => "WASH",
            JobPhase::Circulate => "CIRCULATE",
            JobPhase::PullOutOfHole => "POOH",
        }
    }

    /// Phases in which the sequencer runs the pipe in or out (circulating and waiting at surface do not).
    pub fn moves_pipe(self) -> bool {
        !matches!(self, JobPhase::AtSurface | JobPhase::Circulate)
    }
}

/// What the job-phase signal reports: the sequencer's phase while the unit does what it says, else why it
/// does not. A sequencer holding RIH while the injector is braked, stuck or idle would tell the operator
/// the pipe is moving when it is not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportedPhase {
    Job(JobPhase),
    /// The phase moves pipe and the pipe is not moving (under `STOPPED_FPM`).
    Stopped,
    /// Stuck pipe: the injector works the string and it does not move.
    Stuck,
    /// The shutdown output is on (trip or E-stop): injector braked, pumps off.
    ShutDown,
}

impl ReportedPhase {
    pub fn label(self) -> &'static str {
        match self {
            ReportedPhase::Job(p) => p.label(),
            ReportedPhase::Stopped => "STOPPED",
            ReportedPhase::Stuck => "STUCK",
            ReportedPhase::ShutDown => "SHUT DOWN",
        }
    }
}

/// Pipe speed under which the string counts as stopped, ft/min (the weight model's stationary band).
const STOPPED_FPM: f64 = 0.5;

/// Job and equipment parameters of the CT unit.
#[derive(Debug, Clone)]
pub struct CtConfig {
    pub survey: Survey,
    pub tubing: Tubular,
    pub hole_id_in: f64,
    pub string_length_ft: f64,
    /// The reel the string is spooled on (its OD is the string's).
    pub reel: ReelGeometry,
    pub fluid_ppg: f64,
    pub friction_coefficient: f64,
    pub start_depth_ft: f64,
    pub fill_top_ft: f64,
    /// Total flow area of the wash nozzle, in².
    pub nozzle_tfa_in2: f64,
    pub choke_whp_psi: f64,
}

impl CtConfig {
    pub fn demo(survey: Survey) -> Self {
        let td = survey.total_md_ft();
        Self {
            survey,
            tubing: CT_1_75_X_0_156,
            hole_id_in: 3.958,
            string_length_ft: 14_000.0,
            reel: REEL_96_X_64_FOR_1_75,
            fluid_ppg: 8.4,
            friction_coefficient: 0.28,
            start_depth_ft: 2_500.0,
            fill_top_ft: (td - 600.0).max(100.0),
            nozzle_tfa_in2: 0.15,
            choke_whp_psi: 300.0,
        }
    }
}

/// Surface run from the stripper over the gooseneck to the reel, ft: never on the reel, never in the well.
const SURFACE_RUN_FT: f64 = 40.0;
/// Stiffness of the fill the tip sets down on, lbf per ft of penetration.
const FILL_STIFFNESS_LBF_FT: f64 = 2_500.0;
/// Set-down weight at which the operator calls bottom tagged, lbf.
const TAG_SET_DOWN_LBF: f64 = 2_500.0;
/// Overpull the operator works a stuck string up to, lbf, and the set-down when stuck going down.
const STUCK_OVERPULL_LBF: f64 = 18_000.0;
const STUCK_SET_DOWN_LBF: f64 = 7_000.0;
const REEL_BACK_TENSION_LBF: f64 = 900.0;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Stuck {
    Free,
    /// Stuck while moving in the given direction; `delta_lbf` is the extra load the injector has applied.
    Stuck {
        pulling: bool,
        delta_lbf: f64,
    },
}

pub struct CtUnit {
    cfg: CtConfig,
    /// Err for a config with no soft-string answer (e.g. fluid heavy enough to float the pipe).
    pipe: Result<StringInHole, crate::calc::CalcError>,
    phase: JobPhase,
    phase_secs: f64,
    phase_start_depth_ft: f64,
    depth_ft: f64,
    speed_fpm: f64,
    fill_top_ft: f64,
    tip_force_lbf: f64,
    pump_bpm: f64,
    n2_scfm: f64,
    fluid_total_bbl: f64,
    n2_total_scf: f64,
    whp_psi: f64,
    stuck: Stuck,
    overpressure: bool,
    /// Trip / E-stop command: injector stopped, pumps off, the sequencer holds until released.
    shutdown: bool,
    cycles: i64,
    // derived each step
    weight_lbf: f64,
    circ_psi: f64,
    annular_velocity_fpm: f64,
    helical_ft: f64,
    /// Outermost layer of pipe on the reel.
    reel_outer: ReelLayer,
}

impl CtUnit {
    pub fn new(cfg: CtConfig) -> Self {
        let t = cfg.tubing;
        let pipe = StringInHole::for_tubular(
            &t,
            cfg.hole_id_in,
            cfg.fluid_ppg,
            cfg.fluid_ppg,
            cfg.friction_coefficient,
            100.0,
        );
        let depth = cfg.start_depth_ft.clamp(0.0, cfg.fill_top_ft);
        let mut unit = Self {
            pipe,
            phase: if depth > 0.0 {
                JobPhase::RunInHole
            } else {
                JobPhase::AtSurface
            },
            phase_secs: 0.0,
            phase_start_depth_ft: depth,
            depth_ft: depth,
            speed_fpm: 0.0,
            fill_top_ft: cfg.fill_top_ft,
            tip_force_lbf: 0.0,
            pump_bpm: 0.5,
            n2_scfm: 0.0,
            fluid_total_bbl: 0.0,
            n2_total_scf: 0.0,
            whp_psi: cfg.choke_whp_psi,
            stuck: Stuck::Free,
            overpressure: false,
            shutdown: false,
            cycles: 0,
            weight_lbf: 0.0,
            circ_psi: 0.0,
            annular_velocity_fpm: 0.0,
            helical_ft: 0.0,
            // replaced by the first `update_loads` below
            reel_outer: ReelLayer {
                layer: 1,
                diameter_in: cfg.reel.core_diameter_in() + cfg.reel.od_in(),
                length_ft: 0.0,
            },
            cfg,
        };
        unit.update_loads();
        unit
    }

    pub fn specs(prefix: &str, out: &mut Vec<super::SignalSpec>) {
        let mut s = SpecList::new(prefix, out);
        s.string("job_phase", "Job phase (sequencer)");
        s.f64(
            "depth",
            "ft",
            (0.0, 15_000.0),
            1,
            "CT depth, measured (injector encoder)",
        );
        s.f64("speed", "ft/min", (-200.0, 200.0), 1, "CT speed, + running in");
        s.f64(
            "weight",
            "lbf",
            (-20_000.0, 60_000.0),
            0,
            "Weight indicator (injector load cell)",
        );
        s.f64(
            "circ_pressure",
            "psi",
            (0.0, 10_000.0),
            0,
            "Circulating (pump) pressure at the reel inlet",
        );
        s.f64(
            "wellhead_pressure",
            "psi",
            (0.0, 10_000.0),
            0,
            "Wellhead pressure below the stripper",
        );
        s.f64("pump_rate", "bbl/min", (0.0, 5.0), 2, "Fluid pump rate");
        s.f64("fluid_total", "bbl", (0.0, 5_000.0), 1, "Fluid pumped this job");
        s.f64("n2_rate", "scf/min", (0.0, 2_000.0), 0, "Nitrogen rate");
        s.f64("n2_total", "scf", (0.0, 1.0e6), 0, "Nitrogen pumped this job");
        s.f64(
            "annular_velocity",
            "ft/min",
            (0.0, 600.0),
            0,
            "Annular velocity at the CT tip",
        );
        s.f64("reel_rpm", "rpm", (-30.0, 30.0), 2, "Reel speed");
        s.i64("reel_layer", "", "Outer wrap layer on the reel");
        s.f64("reel_footage", "ft", (0.0, 20_000.0), 0, "CT remaining on the reel");
        s.f64(
            "reel_pressure",
            "psi",
            (0.0, 3_000.0),
            0,
            "Reel drive (back-tension) pressure",
        );
        s.f64("injector_pressure", "psi", (0.0, 5_000.0), 0, "Injector motor pressure");
        s.f64(
            "traction_pressure",
            "psi",
            (0.0, 3_000.0),
            0,
            "Injector skate (traction) pressure",
        );
        s.f64(
            "stripper_pressure",
            "psi",
            (0.0, 5_000.0),
            0,
            "Stripper packer pressure",
        );
        s.f64(
            "helical_length",
            "ft",
            (0.0, 15_000.0),
            0,
            "String length beyond helical buckling (model)",
        );
        s.i64("trips", "", "Completed round trips this job");
    }

    /// Outputs the plant takes writes on; catalogued after every measurement so that adding one never moves
    /// a measurement's register in the Modbus map.
    pub fn output_specs(prefix: &str, out: &mut Vec<super::SignalSpec>) {
        let mut s = SpecList::new(prefix, out);
        s.output_bool(
            "shutdown",
            "Unit shut down: injector stopped, pumps off (trip / E-stop output)",
        );
    }

    pub fn write(&self, noise: &mut Noise, out: &mut Vec<Value>) {
        let (layer, reel_diam_in) = self.reel_layer();
        let on_reel = self.on_reel_ft();
        let reel_rpm = self.speed_fpm * 12.0 / (PI * reel_diam_in);
        let reel_psi = REEL_BACK_TENSION_LBF * (reel_diam_in / 2.0) / 55.0;
        let load = self.weight_lbf.abs();
        let stripper_psi = 400.0 + 1.1 * self.whp_psi;
        out.extend([
            Value::str(self.reported_phase().label()),
            Value::F64((self.depth_ft * 10.0).round() / 10.0),
            Value::F64(self.speed_fpm + noise.gauss(0.2)),
            Value::F64(self.weight_lbf + noise.gauss(60.0)),
            Value::F64(self.circ_psi + noise.gauss(8.0)),
            Value::F64(self.whp_psi + noise.gauss(3.0)),
            Value::F64((self.pump_bpm + noise.gauss(0.005)).max(0.0)),
            Value::F64(self.fluid_total_bbl),
            Value::F64((self.n2_scfm + noise.gauss(2.0)).max(0.0)),
            Value::F64(self.n2_total_scf),
            Value::F64(self.annular_velocity_fpm),
            Value::F64(reel_rpm),
            Value::I64(layer),
            Value::F64(on_reel),
            Value::F64(reel_psi + noise.gauss(5.0)),
            Value::F64(150.0 + 0.075 * load + noise.gauss(6.0)),
            Value::F64(600.0 + 0.04 * load + noise.gauss(4.0)),
            Value::F64(stripper_psi + noise.gauss(4.0)),
            Value::F64(self.helical_ft),
            Value::I64(self.cycles),
        ]);
    }

    /// The sequencer's phase (it holds while the unit is shut down or stuck).
    pub fn phase(&self) -> JobPhase {
        self.phase
    }

    /// What the unit is doing as its job-phase signal says it: shut down before stuck before stopped.
    pub fn reported_phase(&self) -> ReportedPhase {
        if self.shutdown {
            ReportedPhase::ShutDown
        } else if matches!(self.stuck, Stuck::Stuck { .. }) {
            ReportedPhase::Stuck
        } else if self.phase.moves_pipe() && self.speed_fpm.abs() < STOPPED_FPM {
            ReportedPhase::Stopped
        } else {
            ReportedPhase::Job(self.phase)
        }
    }

    pub fn depth_ft(&self) -> f64 {
        self.depth_ft
    }

    pub fn weight_lbf(&self) -> f64 {
        self.weight_lbf
    }

    pub fn speed_fpm(&self) -> f64 {
        self.speed_fpm
    }

    pub fn circ_pressure_psi(&self) -> f64 {
        self.circ_psi
    }

    pub fn wellhead_pressure_psi(&self) -> f64 {
        self.whp_psi
    }

    /// Fluid pump rate, bbl/min (noise-free; `write` publishes it with measurement noise).
    pub fn pump_rate_bpm(&self) -> f64 {
        self.pump_bpm
    }

    /// Fluid pumped this job, bbl: the pump's totaliser.
    pub fn fluid_total_bbl(&self) -> f64 {
        self.fluid_total_bbl
    }

    pub fn set_stuck(&mut self, stuck: bool) {
        self.stuck = match (stuck, self.stuck) {
            (true, Stuck::Free) => Stuck::Stuck {
                pulling: self.speed_fpm <= 0.0,
                delta_lbf: 0.0,
            },
            (true, s) => s,
            (false, _) => Stuck::Free,
        };
    }

    pub fn set_overpressure(&mut self, on: bool) {
        self.overpressure = on;
    }

    /// The unit's shutdown output (what a trip or E-stop writes). Shutting down brakes the injector and
    /// stops the pumps; releasing it lets the job sequencer carry on from where it held.
    pub fn set_shutdown(&mut self, on: bool) {
        self.shutdown = on;
    }

    pub fn is_shut_down(&self) -> bool {
        self.shutdown
    }

    pub fn step(&mut self, dt: f64) {
        let (target_speed, target_bpm, target_n2) = if self.shutdown {
            (0.0, 0.0, 0.0)
        } else {
            self.phase_secs += dt;
            self.sequencer_targets()
        };
        // The injector brake stops the string in about a second; the sequencer ramps gently.
        let accel = if self.shutdown { 120.0 } else { 15.0 };
        match &mut self.stuck {
            Stuck::Free => self.speed_fpm = ramp(self.speed_fpm, target_speed, accel, dt),
            Stuck::Stuck { pulling, delta_lbf } => {
                // The string does not move; the operator works it up to the overpull or set-down limit.
                self.speed_fpm = 0.0;
                let limit = if *pulling {
                    STUCK_OVERPULL_LBF
                } else {
                    -STUCK_SET_DOWN_LBF
                };
                *delta_lbf = ramp(*delta_lbf, limit, 600.0, dt);
            }
        }
        let (pump_ramp, n2_ramp) = if self.shutdown { (2.0, 500.0) } else { (0.25, 50.0) };
        self.pump_bpm = ramp(self.pump_bpm, target_bpm, pump_ramp, dt);
        self.n2_scfm = ramp(self.n2_scfm, target_n2, n2_ramp, dt);
        self.fluid_total_bbl += self.pump_bpm * dt / 60.0;
        self.n2_total_scf += self.n2_scfm * dt / 60.0;

        self.depth_ft = (self.depth_ft + self.speed_fpm / 60.0 * dt).max(0.0);
        let washing = self.pump_bpm >= 1.5 && matches!(self.phase, JobPhase::Wash);
        if washing && self.depth_ft + 2.0 > self.fill_top_ft {
            // Jetting removes the fill just ahead of the nozzle.
            self.fill_top_ft = (self.depth_ft + 2.0).min(self.cfg.survey.total_md_ft());
        }
        let penetration = self.depth_ft - self.fill_top_ft;
        if penetration > 0.0 && self.fill_top_ft >= self.cfg.survey.total_md_ft() - 1e-6 {
            self.depth_ft = self.fill_top_ft + penetration.min(1.5);
        }
        self.tip_force_lbf = -(penetration.max(0.0) * FILL_STIFFNESS_LBF_FT);

        let whp_target = if self.overpressure {
            4_200.0
        } else {
            self.cfg.choke_whp_psi + 8.0 * self.pump_bpm * self.pump_bpm
        };
        self.whp_psi = lag(self.whp_psi, whp_target, if self.overpressure { 25.0 } else { 8.0 }, dt);
        self.update_loads();
        if !self.shutdown {
            self.advance_phase();
        }
    }

    /// Target speed (ft/min), pump rate (bbl/min) and N2 rate (scf/min) for the current phase.
    fn sequencer_targets(&self) -> (f64, f64, f64) {
        let to_fill = self.fill_top_ft - self.depth_ft;
        match self.phase {
            JobPhase::AtSurface => (0.0, 0.25, 0.0),
            JobPhase::RunInHole => (if to_fill < 300.0 { 25.0 } else { 90.0 }, 0.5, 0.0),
            JobPhase::TagBottom => (6.0, 0.5, 0.0),
            JobPhase::PickUp => (-10.0, 0.5, 0.0),
            JobPhase::Wash => (4.0, 2.0, 0.0),
            JobPhase::Circulate => (0.0, 2.0, 300.0),
            JobPhase::PullOutOfHole => (if self.depth_ft < 300.0 { -25.0 } else { -80.0 }, 1.0, 0.0),
        }
    }

    fn advance_phase(&mut self) {
        if matches!(self.stuck, Stuck::Stuck { .. }) {
            return;
        }
        let td = self.cfg.survey.total_md_ft();
        let next = match self.phase {
            JobPhase::AtSurface if self.phase_secs > 60.0 => Some(JobPhase::RunInHole),
            JobPhase::RunInHole if self.fill_top_ft - self.depth_ft < 30.0 => Some(JobPhase::TagBottom),
            JobPhase::TagBottom if -self.tip_force_lbf >= TAG_SET_DOWN_LBF => Some(JobPhase::PickUp),
            JobPhase::PickUp if self.phase_start_depth_ft - self.depth_ft >= 20.0 => Some(JobPhase::Wash),
            JobPhase::Wash if self.depth_ft - self.phase_start_depth_ft >= 150.0 || self.depth_ft >= td - 10.0 => {
                Some(JobPhase::Circulate)
            }
            JobPhase::Circulate if self.phase_secs > self.bottoms_up_secs() => Some(JobPhase::PullOutOfHole),
            JobPhase::PullOutOfHole if self.depth_ft <= 1.0 => {
                self.cycles += 1;
                Some(JobPhase::AtSurface)
            }
            _ => None,
        };
        if let Some(p) = next {
            self.phase = p;
            self.phase_secs = 0.0;
            self.phase_start_depth_ft = self.depth_ft;
        }
    }

    /// Bottoms-up time at the current rate: annular volume / pump rate.
    fn bottoms_up_secs(&self) -> f64 {
        let bbl_per_ft = (self.cfg.hole_id_in.powi(2) - self.cfg.tubing.od_in().powi(2)) / 1029.4;
        let rate = self.pump_bpm.max(0.5);
        bbl_per_ft * self.depth_ft / rate * 60.0
    }

    fn motion(&self) -> Motion {
        if self.speed_fpm > STOPPED_FPM {
            Motion::RunningIn
        } else if self.speed_fpm < -STOPPED_FPM {
            Motion::PullingOut
        } else {
            Motion::Stationary
        }
    }

    fn update_loads(&mut self) {
        let t = self.cfg.tubing;
        let motion = self.motion();
        // No soft-string answer (an invalid string, a tip below the survey, a string locked up past any push):
        // the weight and the helical length hold their last values rather than show a number the model lacks.
        let drag = match &self.pipe {
            Ok(pipe) => softstring::drag(&self.cfg.survey, pipe, self.depth_ft, self.tip_force_lbf, motion).ok(),
            Err(_) => None,
        };
        let stripper_friction = 500.0 + 0.4 * self.whp_psi;
        let friction = match motion {
            Motion::RunningIn => -stripper_friction,
            Motion::PullingOut => stripper_friction,
            Motion::Stationary => 0.0,
        };
        let stuck_delta = match self.stuck {
            Stuck::Free => 0.0,
            Stuck::Stuck { delta_lbf, .. } => delta_lbf,
        };
        if let Some(drag) = drag {
            self.helical_ft = drag.helical_ft;
            self.weight_lbf = drag.surface_force_lbf - self.whp_psi * t.outer_area_in2()
                + friction
                + REEL_BACK_TENSION_LBF
                + stuck_delta;
        }

        // Every input of the circuit is either the unit's configuration or a state the sequencer keeps in
        // range, so only a bad configuration fails here; it keeps the last readings rather than publishing
        // NaN, and the demo's is checked by `the_demo_configuration_circulates`.
        let circulation = self.circulation();
        debug_assert!(
            circulation.is_ok(),
            "the CT unit's configuration does not circulate: {circulation:?}"
        );
        if let Ok((result, outer)) = circulation {
            self.circ_psi = result.pump_pressure_psi;
            self.annular_velocity_fpm = result.annular_velocity_fpm;
            self.reel_outer = outer;
        }
    }

    /// The circulating system at the current rate and depth (the pipe on the reel layer by layer), and the
    /// outermost reel layer.
    fn circulation(&self) -> Result<(CircuitResult, ReelLayer), CalcError> {
        let t = self.cfg.tubing;
        let on_reel = self.on_reel_ft();
        let circuit = Circuit {
            rate_gpm: self.pump_bpm * GPM_PER_BPM,
            fluid: Fluid::WATER,
            density_ppg: self.cfg.fluid_ppg,
            ct_od_in: t.od_in(),
            ct_wall_in: t.wall_in(),
            ct_in_well_ft: self.depth_ft + SURFACE_RUN_FT,
            reel_layers: self.cfg.reel.layers(on_reel)?,
            hole_id_in: self.cfg.hole_id_in,
            annulus_length_ft: self.depth_ft,
            tvd_ft: self.cfg.survey.tvd_at(self.depth_ft),
            nozzle_tfa_in2: self.cfg.nozzle_tfa_in2,
            nozzle_cd: DEFAULT_NOZZLE_CD,
            wellhead_pressure_psi: self.whp_psi,
            min_cleaning_velocity_fpm: DEFAULT_MIN_CLEANING_VELOCITY_FPM,
            rel_roughness: 0.0,
        };
        Ok((hydraulics::circulate(&circuit)?, self.cfg.reel.outer_layer(on_reel)?))
    }

    fn on_reel_ft(&self) -> f64 {
        (self.cfg.string_length_ft - self.depth_ft - SURFACE_RUN_FT).max(0.0)
    }

    /// Outer layer number (1 = on the core) and its centreline diameter, in, as of the last update.
    fn reel_layer(&self) -> (i64, f64) {
        (i64::from(self.reel_outer.layer), self.reel_outer.diameter_in)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calc::survey::Station;

    fn unit() -> CtUnit {
        let survey = Survey::new(vec![
            Station {
                md_ft: 0.0,
                inc_deg: 0.0,
                azi_deg: 0.0,
            },
            Station {
                md_ft: 3_000.0,
                inc_deg: 0.0,
                azi_deg: 0.0,
            },
            Station {
                md_ft: 5_000.0,
                inc_deg: 60.0,
                azi_deg: 10.0,
            },
            Station {
                md_ft: 9_000.0,
                inc_deg: 60.0,
                azi_deg: 10.0,
            },
        ])
        .unwrap();
        let mut cfg = CtConfig::demo(survey);
        cfg.start_depth_ft = 6_000.0;
        CtUnit::new(cfg)
    }

    #[test]
    fn stuck_while_pulling_shows_overpull_without_movement() {
        let mut u = unit();
        u.phase = JobPhase::PullOutOfHole;
        for _ in 0..300 {
            u.step(0.1);
        }
        let free_puw = u.weight_lbf();
        let depth = u.depth_ft();
        u.set_stuck(true);
        for _ in 0..600 {
            u.step(0.1);
        }
        assert_eq!(u.depth_ft(), depth);
        assert!(
            u.weight_lbf() > free_puw + 15_000.0,
            "overpull {} vs free PUW {free_puw}",
            u.weight_lbf()
        );
        assert_eq!(u.phase(), JobPhase::PullOutOfHole, "the sequencer waits while stuck");
    }

    #[test]
    fn pick_up_reads_heavier_than_slack_off() {
        let mut u = unit();
        for _ in 0..200 {
            u.step(0.1);
        }
        let sow = u.weight_lbf();
        u.phase = JobPhase::PullOutOfHole;
        for _ in 0..200 {
            u.step(0.1);
        }
        let puw = u.weight_lbf();
        // drag both ways plus stripper friction both ways
        assert!(
            puw > sow + 2.0 * (500.0 + 0.4 * u.wellhead_pressure_psi()),
            "PUW {puw} SOW {sow}"
        );
    }

    #[test]
    fn the_reported_phase_says_why_the_pipe_is_not_moving() {
        let mut u = unit();
        // Not yet up to speed: the sequencer says RIH, the pipe stands.
        assert_eq!(u.reported_phase(), ReportedPhase::Stopped);
        u.step(0.1);
        assert_eq!(u.reported_phase(), ReportedPhase::Job(JobPhase::RunInHole));
        u.set_shutdown(true);
        for _ in 0..50 {
            u.step(0.1);
        }
        assert_eq!(u.speed_fpm(), 0.0, "braked");
        assert_eq!(u.phase(), JobPhase::RunInHole, "the sequencer holds");
        assert_eq!(u.reported_phase(), ReportedPhase::ShutDown);
        u.set_stuck(true);
        assert_eq!(
            u.reported_phase(),
            ReportedPhase::ShutDown,
            "the shutdown is the first thing to know"
        );
        u.set_shutdown(false);
        u.step(0.1);
        assert_eq!(u.reported_phase(), ReportedPhase::Stuck);
        u.set_stuck(false);
        u.step(0.1);
        assert_eq!(u.reported_phase(), ReportedPhase::Job(JobPhase::RunInHole));
        // Circulating with the pipe still is what the phase means: not "stopped".
        u.phase = JobPhase::Circulate;
        for _ in 0..100 {
            u.step(0.1);
        }
        assert_eq!(u.speed_fpm(), 0.0);
        assert_eq!(u.reported_phase(), ReportedPhase::Job(JobPhase::Circulate));
        let labels = [
            ReportedPhase::Job(JobPhase::PullOutOfHole),
            ReportedPhase::Stopped,
            ReportedPhase::Stuck,
            ReportedPhase::ShutDown,
        ]
        .map(ReportedPhase::label);
        assert_eq!(labels, ["POOH", "STOPPED", "STUCK", "SHUT DOWN"]);
    }

    #[test]
    fn reel_layers_fill_from_the_core() {
        let mut u = unit();
        let (outer_layer, outer_d) = u.reel_layer();
        assert_eq!(outer_d, u.cfg.reel.layer_diameter_in(outer_layer as u32).unwrap());
        u.depth_ft = 13_900.0;
        let (_, inner) = u.circulation().unwrap();
        assert!(outer_layer > i64::from(inner.layer) && outer_d > inner.diameter_in);
        assert_eq!(inner.layer, 1);
    }

    #[test]
    fn the_demo_configuration_circulates() {
        let mut u = unit();
        u.pump_bpm = 2.0;
        u.update_loads();
        let (c, outer) = u.circulation().unwrap();
        assert_eq!(u.circ_pressure_psi(), c.pump_pressure_psi);
        assert!(c.pump_pressure_psi > u.wellhead_pressure_psi() + c.nozzle_psi);
        assert_eq!(u.reel_layer(), (i64::from(outer.layer), outer.diameter_in));
        // the jetting nozzle at Cd 0.95 (Bourgoyne), not the Cd = 1 constant
        let nozzle = hydraulics::nozzle_pressure_drop_psi(2.0 * GPM_PER_BPM, u.cfg.fluid_ppg, 0.15, 0.95).unwrap();
        assert_eq!(c.nozzle_psi, nozzle);
        // the reel's pipe is split layer by layer: each wrap takes its own curvature
        let on_reel = u.on_reel_ft();
        let layers = u.cfg.reel.layers(on_reel).unwrap();
        assert_eq!(layers.last(), Some(&outer));
        assert!(layers.len() > 1 && c.reel_psi > 0.0);
    }
}
