//! An ESP well: Vogel inflow, a pump curve scaled by the affinity laws, and motor load and heating.
//!
//! The operating point is where intake pressure + pump boost equals the discharge pressure the tubing
//! needs (wellhead + hydrostatic + friction). Flow and temperatures follow with first-order lags.

use super::noise::{Noise, lag};
use super::signal::SpecList;
use crate::calc::ipr::vogel_pwf;
use crate::tag::Value;

const PSI_PER_FT_WATER: f64 = 0.433;

#[derive(Debug, Clone)]
pub struct EspParams {
    pub reservoir_psi: f64,
    pub q_max_bpd: f64,
    pub pump_tvd_ft: f64,
    pub perf_tvd_ft: f64,
    pub water_cut: f64,
    pub gor_scf_stb: f64,
    pub frequency_hz: f64,
    pub stages: f64,
    /// Head per stage at zero flow and 60 Hz, ft.
    pub shutoff_head_ft: f64,
    /// Flow at zero head and 60 Hz, bbl/d.
    pub runout_bpd: f64,
    pub wellhead_psi: f64,
    pub bottomhole_temp_f: f64,
    pub motor_hp: f64,
    pub motor_rated_amps: f64,
}

impl EspParams {
    /// A plausible well drawn from the plant's noise (deterministic per seed and index).
    pub fn draw(noise: &mut Noise) -> Self {
        let q_max = noise.uniform(1_600.0, 3_200.0);
        let pump_tvd = noise.uniform(5_200.0, 6_600.0);
        let motor_hp = 150.0;
        Self {
            reservoir_psi: noise.uniform(2_300.0, 2_900.0),
            q_max_bpd: q_max,
            pump_tvd_ft: pump_tvd,
            perf_tvd_ft: pump_tvd + noise.uniform(200.0, 500.0),
            water_cut: noise.uniform(0.35, 0.9),
            gor_scf_stb: noise.uniform(150.0, 600.0),
            frequency_hz: (noise.uniform(50.0, 60.0) * 2.0).round() / 2.0,
            stages: noise.uniform(150.0, 200.0).round(),
            shutoff_head_ft: 32.0,
            runout_bpd: q_max * 0.85,
            wellhead_psi: noise.uniform(120.0, 200.0),
            bottomhole_temp_f: noise.uniform(185.0, 225.0),
            motor_hp,
            // I = P/(√3·V·PF·η) at 2,300 V, PF 0.85, η 0.9
            motor_rated_amps: motor_hp * 746.0 / (3f64.sqrt() * 2_300.0 * 0.85 * 0.9),
        }
    }

    fn mixture_sg(&self) -> f64 {
        0.86 * (1.0 - self.water_cut) + 1.05 * self.water_cut
    }
}

pub struct EspWell {
    p: EspParams,
    rate_bpd: f64,
    intake_psi: f64,
    discharge_psi: f64,
    motor_temp_f: f64,
    current_a: f64,
    vibration_g: f64,
    gas_locked: bool,
    /// Motor start/stop command (the `running` signal is writable).
    running: bool,
    t_secs: f64,
    /// Flowline back-pressure wander on top of the nominal wellhead pressure, psi.
    whp_wander_psi: f64,
    frequency_sp_hz: f64,
}

/// VSD limits for the setpoint.
pub const MIN_FREQUENCY_HZ: f64 = 35.0;
pub const MAX_FREQUENCY_HZ: f64 = 70.0;

impl EspWell {
    pub fn new(p: EspParams, noise: &mut Noise) -> Self {
        let mut w = Self {
            rate_bpd: 0.0,
            intake_psi: 0.0,
            discharge_psi: 0.0,
            motor_temp_f: p.bottomhole_temp_f + 30.0,
            current_a: 0.0,
            vibration_g: 0.15,
            gas_locked: false,
            t_secs: 0.0,
            whp_wander_psi: 0.0,
            frequency_sp_hz: p.frequency_hz,
            running: true,
            p,
        };
        w.rate_bpd = w.steady_rate();
        // settle temperatures and loads at the starting operating point
        for _ in 0..2_000 {
            w.step(1.0, noise);
        }
        w.t_secs = 0.0;
        w
    }

    pub fn specs(prefix: &str, out: &mut Vec<super::SignalSpec>) {
        let mut s = SpecList::new(prefix, out);
        s.output_bool("running", "Pump running");
        s.f64("frequency", "Hz", (0.0, 70.0), 1, "VSD output frequency");
        s.f64(
            "intake_pressure",
            "psi",
            (0.0, 4_000.0),
            0,
            "Pump intake pressure (downhole gauge)",
        );
        s.f64(
            "discharge_pressure",
            "psi",
            (0.0, 6_000.0),
            0,
            "Pump discharge pressure (downhole gauge)",
        );
        s.f64("motor_temp", "°F", (0.0, 400.0), 1, "Motor winding temperature");
        s.f64("motor_current", "A", (0.0, 120.0), 1, "Motor current");
        s.f64("vibration", "g", (0.0, 5.0), 2, "Pump vibration");
        s.f64("rate", "bbl/d", (0.0, 5_000.0), 0, "Liquid rate");
    }

    /// Writable signals, catalogued after every measurement of the plant so adding them did not move the
    /// register map of the measurements.
    pub fn output_specs(prefix: &str, out: &mut Vec<super::SignalSpec>) {
        let mut s = SpecList::new(prefix, out);
        s.output_f64(
            "frequency_setpoint",
            "Hz",
            (MIN_FREQUENCY_HZ, MAX_FREQUENCY_HZ),
            1,
            "VSD frequency setpoint (the drive ramps to it at 1 Hz/s)",
        );
    }

    /// The wellhead (tubing) pressure: catalogued after every other measurement of the plant, so adding it
    /// moved no earlier register of the demo's Modbus map.
    pub fn late_specs(prefix: &str, out: &mut Vec<super::SignalSpec>) {
        let mut s = SpecList::new(prefix, out);
        s.f64(
            "wellhead_pressure",
            "psi",
            (0.0, 3_000.0),
            1,
            "Wellhead (tubing) pressure",
        );
    }

    pub fn write_late(&self, noise: &mut Noise, out: &mut Vec<Value>) {
        out.push(Value::F64(self.wellhead_psi() + noise.gauss(0.5)));
    }

    /// Wellhead pressure with the flowline's wander, psi.
    pub fn wellhead_psi(&self) -> f64 {
        self.p.wellhead_psi + self.whp_wander_psi
    }

    /// The produced fluid's temperature at surface, °F: the bottomhole temperature less what a flowing
    /// column loses on the way up (less at high rate).
    pub fn surface_temp_f(&self) -> f64 {
        let loss = 0.55 - 0.15 * (self.rate_bpd / 3_000.0).min(1.0);
        self.p.bottomhole_temp_f - loss * (self.p.bottomhole_temp_f - 80.0)
    }

    pub fn write(&self, noise: &mut Noise, out: &mut Vec<Value>) {
        out.extend([
            Value::Bool(self.running || self.p.frequency_hz > 0.5),
            Value::F64(self.p.frequency_hz),
            Value::F64(self.intake_psi + noise.gauss(2.0)),
            Value::F64(self.discharge_psi + noise.gauss(3.0)),
            Value::F64(self.motor_temp_f + noise.gauss(0.3)),
            Value::F64((self.current_a + noise.gauss(0.3)).max(0.0)),
            Value::F64((self.vibration_g + noise.gauss(0.01)).max(0.0)),
            Value::F64((self.rate_bpd + noise.gauss(4.0)).max(0.0)),
        ]);
    }

    pub fn params(&self) -> &EspParams {
        &self.p
    }

    pub fn rate_bpd(&self) -> f64 {
        self.rate_bpd
    }

    pub fn motor_current_a(&self) -> f64 {
        self.current_a
    }

    pub fn motor_temp_f(&self) -> f64 {
        self.motor_temp_f
    }

    /// VSD frequency setpoint, Hz; the plant follows at the drive's acceleration ramp.
    pub fn set_frequency_setpoint(&mut self, hz: f64) {
        self.frequency_sp_hz = hz.clamp(MIN_FREQUENCY_HZ, MAX_FREQUENCY_HZ);
    }

    pub fn frequency_setpoint_hz(&self) -> f64 {
        self.frequency_sp_hz
    }

    /// Start (true) or stop (false) the motor: a stop coasts the drive down at 5 Hz/s, a start ramps
    /// back to the setpoint at the drive's 1 Hz/s.
    pub fn set_running(&mut self, on: bool) {
        self.running = on;
    }

    pub fn is_running(&self) -> bool {
        self.running
    }

    pub fn set_gas_locked(&mut self, on: bool) {
        self.gas_locked = on;
    }

    fn speed_ratio(&self) -> f64 {
        self.p.frequency_hz / 60.0
    }

    /// Pump head (ft, whole pump) at a rate, with the affinity laws: H(q, f) = (f/60)²·H60(q·60/f).
    fn pump_head_ft(&self, q_bpd: f64) -> f64 {
        let n = self.speed_ratio();
        if n < 0.05 {
            return 0.0;
        }
        let q60 = q_bpd / n;
        let per_stage = self.p.shutoff_head_ft * (1.0 - (q60 / self.p.runout_bpd).powi(2)).max(0.0);
        let degraded = if self.gas_locked { 0.08 } else { 1.0 };
        n * n * per_stage * self.p.stages * degraded
    }

    fn intake_psi_at(&self, q_bpd: f64) -> f64 {
        let pwf = vogel_pwf(self.p.q_max_bpd, self.p.reservoir_psi, q_bpd);
        pwf - PSI_PER_FT_WATER * self.p.mixture_sg() * (self.p.perf_tvd_ft - self.p.pump_tvd_ft)
    }

    fn required_discharge_psi(&self, q_bpd: f64) -> f64 {
        let friction = 0.000_004 * q_bpd * q_bpd / 1_000.0 * self.p.pump_tvd_ft;
        self.p.wellhead_psi
            + self.whp_wander_psi
            + PSI_PER_FT_WATER * self.p.mixture_sg() * self.p.pump_tvd_ft
            + friction
    }

    fn boost_psi(&self, q_bpd: f64) -> f64 {
        PSI_PER_FT_WATER * self.p.mixture_sg() * self.pump_head_ft(q_bpd)
    }

    /// Operating point by bisection on intake + boost − required discharge (decreasing in q).
    fn steady_rate(&self) -> f64 {
        let residual = |q: f64| self.intake_psi_at(q) + self.boost_psi(q) - self.required_discharge_psi(q);
        let hi_limit = self.p.q_max_bpd.min(self.p.runout_bpd * self.speed_ratio()) * 0.999;
        if residual(0.0) <= 0.0 {
            return 0.0;
        }
        let (mut lo, mut hi) = (0.0, hi_limit);
        if residual(hi) > 0.0 {
            return hi;
        }
        for _ in 0..60 {
            let mid = 0.5 * (lo + hi);
            if residual(mid) > 0.0 { lo = mid } else { hi = mid }
        }
        0.5 * (lo + hi)
    }

    pub fn step(&mut self, dt: f64, noise: &mut Noise) {
        self.t_secs += dt;
        self.whp_wander_psi = noise.wander(self.whp_wander_psi, 12.0, 900.0, dt);
        // VSD acceleration ramp: 1 Hz/s.
        self.p.frequency_hz = if self.running {
            super::noise::ramp(self.p.frequency_hz, self.frequency_sp_hz, 1.0, dt)
        } else {
            super::noise::ramp(self.p.frequency_hz, 0.0, 5.0, dt)
        };
        let q_ss = self.steady_rate();
        self.rate_bpd = lag(self.rate_bpd, q_ss, if self.gas_locked { 20.0 } else { 30.0 }, dt);
        self.intake_psi = self.intake_psi_at(self.rate_bpd);
        self.discharge_psi =
            (self.intake_psi + self.boost_psi(self.rate_bpd)).max(self.required_discharge_psi(0.0) * 0.97);

        // Hydraulic power and motor load. HHP = q·Δp/58,775 (bbl/d, psi); efficiency peaks at the BEP.
        let dp = (self.discharge_psi - self.intake_psi).max(0.0);
        let hhp = self.rate_bpd * dp / 58_775.0;
        let q_bep = 0.62 * self.p.runout_bpd * self.speed_ratio();
        let eff = (0.68 * (1.0 - (self.rate_bpd / q_bep - 1.0).powi(2))).clamp(0.12, 0.68);
        let bhp = hhp / eff + 4.0 * self.speed_ratio();
        let load = (bhp / (self.p.motor_hp * self.speed_ratio().max(0.05))).clamp(0.0, 1.6);
        let no_load = 0.32 * self.p.motor_rated_amps;
        let mut amps = if self.p.frequency_hz > 0.5 {
            no_load + (self.p.motor_rated_amps - no_load) * load
        } else {
            0.0
        };
        if self.gas_locked {
            // Gas lock cycles the load as slugs of liquid reach the pump.
            amps *= 1.0 + 0.08 * (self.t_secs * 2.0 * std::f64::consts::PI / 40.0).sin();
        }
        self.current_a = lag(self.current_a, amps, 3.0, dt);

        // Motor cooling by the flow past it: velocity in a 7 in casing around a 5.62 in motor.
        let annulus_ft2 = std::f64::consts::PI / 4.0 * (6.276f64.powi(2) - 5.62f64.powi(2)) / 144.0;
        let v_fps = self.rate_bpd * 5.615 / 86_400.0 / annulus_ft2;
        let cooling = (v_fps / 1.0).clamp(0.08, 1.5);
        // A stopped motor makes no heat; it cools to the well's temperature.
        let rise = if self.p.frequency_hz > 0.5 {
            45.0 * (0.3 + load * load) / cooling
        } else {
            0.0
        };
        self.motor_temp_f = lag(self.motor_temp_f, self.p.bottomhole_temp_f + rise.min(220.0), 240.0, dt);

        let off_bep = (self.rate_bpd / q_bep - 1.0).powi(2);
        let gas = if self.gas_locked { 0.25 } else { 0.0 };
        self.vibration_g = lag(self.vibration_g, 0.12 + 0.3 * off_bep + gas, 10.0, dt);
    }
}
