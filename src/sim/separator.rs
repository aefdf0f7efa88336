//! A three-phase test separator fed by the well on test.
//!
//! Snap-acting level controllers dump oil and water between low and high set points (the sawtooth
//! operators see on real test separators); a back-pressure controller holds the gas pressure.

use super::noise::{Noise, lag};
use super::signal::SpecList;
use crate::tag::Value;

/// Liquid capacity of the vessel, bbl per inch of level (48 in × 15 ft horizontal vessel, mid-section).
const BBL_PER_INCH: f64 = 0.55;

pub struct TestSeparator {
    pressure_psi: f64,
    setpoint_psi: f64,
    oil_level_in: f64,
    water_level_in: f64,
    oil_dumping: bool,
    water_dumping: bool,
    oil_rate_bpd: f64,
    water_rate_bpd: f64,
    gas_rate_mscfd: f64,
    /// The flow computer's totalizers of the dump-line meters (bbl, bbl, Mscf): exact, unlike the smoothed
    /// rates, so a test's volumes come from them.
    oil_total_bbl: f64,
    water_total_bbl: f64,
    gas_total_mscf: f64,
    temperature_f: f64,
    blocked_outlet: bool,
}

impl Default for TestSeparator {
    fn default() -> Self {
        Self {
            pressure_psi: 125.0,
            setpoint_psi: 125.0,
            oil_level_in: 26.0,
            water_level_in: 14.0,
            oil_dumping: false,
            water_dumping: false,
            oil_rate_bpd: 0.0,
            water_rate_bpd: 0.0,
            gas_rate_mscfd: 0.0,
            oil_total_bbl: 0.0,
            water_total_bbl: 0.0,
            gas_total_mscf: 0.0,
            temperature_f: 105.0,
            blocked_outlet: false,
        }
    }
}

impl TestSeparator {
    pub fn specs(prefix: &str, out: &mut Vec<super::SignalSpec>) {
        let mut s = SpecList::new(prefix, out);
        s.string("well_on_test", "Well routed to the test separator");
        s.f64("pressure", "psi", (0.0, 300.0), 1, "Separator pressure");
        s.f64("oil_level", "in", (0.0, 48.0), 1, "Oil (total liquid) level");
        s.f64("water_level", "in", (0.0, 48.0), 1, "Water (interface) level");
        s.f64("oil_rate", "bbl/d", (0.0, 5_000.0), 0, "Oil rate (metered)");
        s.f64("water_rate", "bbl/d", (0.0, 8_000.0), 0, "Water rate (metered)");
        s.f64("gas_rate", "Mscf/d", (0.0, 5_000.0), 1, "Gas rate (metered)");
    }

    /// The totalizers and the vessel temperature: catalogued after every other measurement of the plant, so
    /// adding them moved no earlier register of the demo's Modbus map.
    pub fn total_specs(prefix: &str, out: &mut Vec<super::SignalSpec>) {
        let mut s = SpecList::new(prefix, out);
        s.f64("oil_total", "bbl", (0.0, 1.0e7), 2, "Oil meter totalizer");
        s.f64("water_total", "bbl", (0.0, 1.0e7), 2, "Water meter totalizer");
        s.f64("gas_total", "Mscf", (0.0, 1.0e7), 2, "Gas meter totalizer");
        s.f64("temperature", "°F", (0.0, 300.0), 1, "Separator temperature");
    }

    /// Totalizers count pulses: no noise, only the meter's resolution (the catalogue's decimals).
    pub fn write_totals(&self, noise: &mut Noise, out: &mut Vec<Value>) {
        out.extend([
            Value::F64(self.oil_total_bbl),
            Value::F64(self.water_total_bbl),
            Value::F64(self.gas_total_mscf),
            Value::F64(self.temperature_f + noise.gauss(0.2)),
        ]);
    }

    pub fn write(&self, well: &str, noise: &mut Noise, out: &mut Vec<Value>) {
        out.extend([
            Value::str(well),
            Value::F64(self.pressure_psi + noise.gauss(0.4)),
            Value::F64(self.oil_level_in + noise.gauss(0.05)),
            Value::F64(self.water_level_in + noise.gauss(0.05)),
            Value::F64((self.oil_rate_bpd + noise.gauss(3.0)).max(0.0)),
            Value::F64((self.water_rate_bpd + noise.gauss(3.0)).max(0.0)),
            Value::F64((self.gas_rate_mscfd + noise.gauss(1.0)).max(0.0)),
        ]);
    }

    pub fn pressure_psi(&self) -> f64 {
        self.pressure_psi
    }

    pub fn set_blocked_outlet(&mut self, on: bool) {
        self.blocked_outlet = on;
    }

    /// Advances with the test well's liquid rate, water cut, GOR and flowing temperature.
    pub fn step(&mut self, dt: f64, liquid_bpd: f64, water_cut: f64, gor_scf_stb: f64, fluid_temp_f: f64) {
        let oil_in = liquid_bpd * (1.0 - water_cut);
        let water_in = liquid_bpd * water_cut;
        let gas_in_mscfd = oil_in * gor_scf_stb / 1_000.0;
        let per_sec = |bpd: f64| bpd / 86_400.0;

        // Water leg: the interface rises with water in, falls fast while its dump valve is open.
        self.water_dumping = snap(self.water_dumping, self.water_level_in, 12.0, 18.0);
        let water_out = if self.water_dumping {
            water_in * 4.0 + 3_000.0
        } else {
            0.0
        };
        self.water_level_in += per_sec(water_in - water_out) * dt / BBL_PER_INCH;
        // Oil spills over the weir into the oil bucket.
        self.oil_dumping = snap(self.oil_dumping, self.oil_level_in, 22.0, 30.0);
        let oil_out = if self.oil_dumping { oil_in * 4.0 + 2_500.0 } else { 0.0 };
        // The oil level is the total liquid's: water in and out moves it as much as oil does.
        self.oil_level_in += per_sec(oil_in - oil_out + water_in - water_out) * dt / BBL_PER_INCH;
        self.oil_total_bbl += per_sec(oil_out) * dt;
        self.water_total_bbl += per_sec(water_out) * dt;

        self.water_level_in = self.water_level_in.clamp(0.0, 48.0);
        self.oil_level_in = self.oil_level_in.clamp(self.water_level_in, 48.0);
        // Meters sit on the dump lines; the flow computer reports a smoothed rate.
        self.oil_rate_bpd = lag(self.oil_rate_bpd, oil_out, 90.0, dt);
        self.water_rate_bpd = lag(self.water_rate_bpd, water_out, 90.0, dt);

        let pressure_target = if self.blocked_outlet {
            // Blocked gas outlet: pressure climbs toward the relief valve set pressure.
            285.0
        } else {
            self.setpoint_psi
        };
        let tau = if self.blocked_outlet { 120.0 } else { 6.0 };
        self.pressure_psi = lag(self.pressure_psi, pressure_target, tau, dt);
        let gas_out = if self.blocked_outlet { 0.0 } else { gas_in_mscfd };
        self.gas_rate_mscfd = lag(self.gas_rate_mscfd, gas_out, 20.0, dt);
        self.gas_total_mscf += per_sec(gas_out) * dt;
        // The vessel sits in the sun: the fluid arrives cooled along the flowline.
        self.temperature_f = lag(self.temperature_f, fluid_temp_f, 600.0, dt);
    }
}

/// Snap-acting (on/off) level control with a dead band between `low` and `high`.
fn snap(open: bool, level: f64, low: f64, high: f64) -> bool {
    if level >= high {
        true
    } else if level <= low {
        false
    } else {
        open
    }
}
