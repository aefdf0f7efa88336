//! The built-in demo plant: one CT unit on a clean-out job, ESP wells and a test separator.
//!
//! Deterministic for a seed (one noise generator drawn in a fixed order) and stepped with an explicit
//! `dt`, so it runs faster than real time and is tested without threads. It knows nothing of tags,
//! the hub or the UI: `driver::sim` maps its signals to tags.

mod ct_unit;
mod esp;
pub mod fault;
mod noise;
mod separator;
mod signal;

pub use ct_unit::{CtConfig, CtUnit, JobPhase, ReportedPhase};
pub use esp::{EspParams, EspWell, MAX_FREQUENCY_HZ, MIN_FREQUENCY_HZ};
pub use fault::{Fault, FaultKind, FaultParseError, ScheduledFault};
pub use separator::TestSeparator;
pub use signal::SignalSpec;

use crate::calc::survey::Survey;
use crate::tag::{BadReason, Quality, Value};
use noise::Noise;

pub const CT_DEVICE: &str = "ct01";
pub const SEPARATOR_DEVICE: &str = "sep01";
/// The demo's test manifold routes each ESP well to the separator for this long, in turn (plant seconds).
pub const DEMO_TEST_ROTATION_S: f64 = 45.0 * 60.0;

#[derive(Debug, Clone)]
pub struct PlantConfig {
    pub seed: u64,
    pub esp_wells: usize,
    pub ct: CtConfig,
    /// The test manifold routes esp01, esp02, … to the separator in turn for this long each (plant
    /// seconds); 0 keeps esp01 on test.
    pub test_rotation_s: f64,
}

impl PlantConfig {
    pub fn demo(seed: u64, survey: Survey) -> Self {
        Self {
            seed,
            esp_wells: 6,
            ct: CtConfig::demo(survey),
            test_rotation_s: DEMO_TEST_ROTATION_S,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FaultTargetError {
    #[error("'{target}' is not a {expected} of the demo plant")]
    UnknownTarget { target: String, expected: &'static str },
}

pub fn esp_device(index: usize) -> String {
    format!("esp{:02}", index + 1)
}

/// Every signal the plant publishes, in the order `DemoPlant::read` returns them.
pub fn catalog(esp_wells: usize) -> Vec<SignalSpec> {
    let mut out = Vec::new();
    CtUnit::specs(CT_DEVICE, &mut out);
    for i in 0..esp_wells {
        EspWell::specs(&esp_device(i), &mut out);
    }
    TestSeparator::specs(SEPARATOR_DEVICE, &mut out);
    TestSeparator::total_specs(SEPARATOR_DEVICE, &mut out);
    for i in 0..esp_wells {
        EspWell::late_specs(&esp_device(i), &mut out);
    }
    CtUnit::output_specs(CT_DEVICE, &mut out);
    for i in 0..esp_wells {
        EspWell::output_specs(&esp_device(i), &mut out);
    }
    out
}

/// The catalogue as the demo's Modbus and MQTT servers offer it: without the ESP frequency setpoints,
/// which they serve through writable registers and metrics of their own. The setpoints are the
/// catalogue's last entries, so every index here is the same as in `DemoPlant::read`.
pub fn served_specs(specs: &[SignalSpec]) -> &[SignalSpec] {
    let n = specs
        .iter()
        .rposition(|s| !is_frequency_setpoint(s))
        .map_or(0, |i| i + 1);
    debug_assert!(specs[n..].iter().all(is_frequency_setpoint), "setpoints come last");
    &specs[..n]
}

fn is_frequency_setpoint(s: &SignalSpec) -> bool {
    s.writable && s.address.ends_with("/frequency_setpoint")
}

pub struct DemoPlant {
    noise: Noise,
    ct: CtUnit,
    esps: Vec<EspWell>,
    separator: TestSeparator,
    specs: Vec<SignalSpec>,
    readings: Vec<Value>,
    faults: Vec<Fault>,
    time_s: f64,
    test_rotation_s: f64,
}

impl DemoPlant {
    pub fn new(cfg: PlantConfig) -> Self {
        let mut noise = Noise::new(cfg.seed);
        let esps = (0..cfg.esp_wells)
            .map(|_| {
                let params = EspParams::draw(&mut noise);
                EspWell::new(params, &mut noise)
            })
            .collect();
        let specs = catalog(cfg.esp_wells);
        Self {
            noise,
            ct: CtUnit::new(cfg.ct),
            esps,
            separator: TestSeparator::default(),
            readings: Vec::with_capacity(specs.len()),
            specs,
            faults: Vec::new(),
            time_s: 0.0,
            test_rotation_s: cfg.test_rotation_s,
        }
    }

    pub fn specs(&self) -> &[SignalSpec] {
        &self.specs
    }

    pub fn time_s(&self) -> f64 {
        self.time_s
    }

    pub fn ct(&self) -> &CtUnit {
        &self.ct
    }

    pub fn esp(&self, index: usize) -> Option<&EspWell> {
        self.esps.get(index)
    }

    /// Sets ESP `index`'s VSD frequency setpoint (Hz, clamped to the drive's limits).
    pub fn set_esp_frequency(&mut self, index: usize, hz: f64) -> bool {
        match self.esps.get_mut(index) {
            Some(w) if hz.is_finite() => {
                w.set_frequency_setpoint(hz);
                true
            }
            _ => false,
        }
    }

    /// A write from the plant's control system: `ct01/shutdown` (true stops the injector and pumps),
    /// `espNN/running` (start/stop) and `espNN/frequency_setpoint` (Hz, within the drive's limits). Every
    /// other signal is a measurement and refuses writes.
    pub fn write(&mut self, address: &str, value: &Value) -> Result<(), String> {
        let on = || {
            value
                .as_bool()
                .ok_or_else(|| format!("'{address}' takes true or false, not {value}"))
        };
        if address == format!("{CT_DEVICE}/shutdown") {
            self.ct.set_shutdown(on()?);
            return Ok(());
        }
        if let Some(device) = address.strip_suffix("/running")
            && let Some(i) = self.esp_index(device)
        {
            self.esps[i].set_running(on()?);
            return Ok(());
        }
        if let Some(device) = address.strip_suffix("/frequency_setpoint")
            && let Some(i) = self.esp_index(device)
        {
            let hz = value
                .as_f64()
                .filter(|x| (esp::MIN_FREQUENCY_HZ..=esp::MAX_FREQUENCY_HZ).contains(x))
                .ok_or_else(|| {
                    format!(
                        "'{address}' takes {} to {} Hz, not {value}",
                        esp::MIN_FREQUENCY_HZ,
                        esp::MAX_FREQUENCY_HZ
                    )
                })?;
            self.esps[i].set_frequency_setpoint(hz);
            return Ok(());
        }
        Err(format!(
            "'{address}' is a measurement of the demo plant and cannot be written"
        ))
    }

    pub fn separator(&self) -> &TestSeparator {
        &self.separator
    }

    pub fn devices(&self) -> Vec<String> {
        let mut d = vec![CT_DEVICE.to_owned()];
        d.extend((0..self.esps.len()).map(esp_device));
        d.push(SEPARATOR_DEVICE.to_owned());
        d
    }

    pub fn step(&mut self, dt: f64) {
        self.time_s += dt;
        self.ct.step(dt);
        for esp in &mut self.esps {
            esp.step(dt, &mut self.noise);
        }
        if let Some(test_well) = self.esps.get(self.well_on_test_index()) {
            let p = test_well.params();
            self.separator.step(
                dt,
                test_well.rate_bpd(),
                p.water_cut,
                p.gor_scf_stb,
                test_well.surface_temp_f(),
            );
        }
    }

    /// The ESP well the test manifold routes to the separator now.
    pub fn well_on_test_index(&self) -> usize {
        let n = self.esps.len().max(1);
        if self.test_rotation_s > 0.0 {
            // Whole periods of plant time; the float-to-int cast saturates for absurd times.
            ((self.time_s / self.test_rotation_s) as usize) % n
        } else {
            0
        }
    }

    /// Current readings with measurement noise, in catalogue order.
    pub fn read(&mut self) -> &[Value] {
        self.readings.clear();
        self.ct.write(&mut self.noise, &mut self.readings);
        for esp in &self.esps {
            esp.write(&mut self.noise, &mut self.readings);
        }
        let well = esp_device(self.well_on_test_index());
        self.separator.write(&well, &mut self.noise, &mut self.readings);
        self.separator.write_totals(&mut self.noise, &mut self.readings);
        for esp in &self.esps {
            esp.write_late(&mut self.noise, &mut self.readings);
        }
        self.readings.push(Value::Bool(self.ct.is_shut_down()));
        for esp in &self.esps {
            self.readings.push(Value::F64(esp.frequency_setpoint_hz()));
        }
        debug_assert_eq!(self.readings.len(), self.specs.len());
        // Instruments resolve finitely: one digit finer than the displayed decimals, as a 16-bit
        // transmitter over its range does. Without it the demo's history would store noise digits no
        // real sensor sends.
        for (v, spec) in self.readings.iter_mut().zip(&self.specs) {
            if let Value::F64(x) = v {
                let scale = 10f64.powi(spec.decimals as i32 + 1);
                *x = (*x * scale).round() / scale;
            }
        }
        &self.readings
    }

    /// Quality a driver would report for signal `index` given the active faults.
    pub fn signal_quality(&self, index: usize) -> Quality {
        let Some(spec) = self.specs.get(index) else {
            return Quality::Bad(BadReason::ConfigError);
        };
        for f in &self.faults {
            match f.kind {
                FaultKind::CommLoss if f.target == spec.device() => {
                    return Quality::Bad(BadReason::CommFail);
                }
                FaultKind::SensorFail if f.target == spec.address => {
                    return Quality::Bad(BadReason::SensorFail);
                }
                _ => {}
            }
        }
        Quality::Good
    }

    pub fn active_faults(&self) -> &[Fault] {
        &self.faults
    }

    pub fn inject(&mut self, fault: Fault) -> Result<(), FaultTargetError> {
        self.check_target(&fault)?;
        self.apply(&fault, true);
        if !self.faults.contains(&fault) {
            self.faults.push(fault);
        }
        Ok(())
    }

    pub fn clear(&mut self, fault: &Fault) {
        self.faults.retain(|f| f != fault);
        self.apply(fault, false);
    }

    pub fn clear_all(&mut self) {
        for f in std::mem::take(&mut self.faults) {
            self.apply(&f, false);
        }
    }

    fn check_target(&self, fault: &Fault) -> Result<(), FaultTargetError> {
        let t = fault.target.as_str();
        let devices = self.devices();
        let (ok, expected) = match fault.kind {
            FaultKind::SensorFail => (self.specs.iter().any(|s| s.address == t), "signal"),
            FaultKind::CommLoss => (devices.iter().any(|d| d == t), "device"),
            FaultKind::Overpressure => (t == CT_DEVICE || t == SEPARATOR_DEVICE, "CT unit or separator"),
            FaultKind::StuckPipe => (t == CT_DEVICE, "CT unit"),
            FaultKind::GasLock => (self.esp_index(t).is_some(), "ESP well"),
        };
        if ok {
            Ok(())
        } else {
            Err(FaultTargetError::UnknownTarget {
                target: t.to_owned(),
                expected,
            })
        }
    }

    fn esp_index(&self, device: &str) -> Option<usize> {
        (0..self.esps.len()).find(|&i| esp_device(i) == device)
    }

    fn apply(&mut self, fault: &Fault, on: bool) {
        match fault.kind {
            FaultKind::StuckPipe => self.ct.set_stuck(on),
            FaultKind::Overpressure if fault.target == CT_DEVICE => self.ct.set_overpressure(on),
            FaultKind::Overpressure => self.separator.set_blocked_outlet(on),
            FaultKind::GasLock => {
                if let Some(i) = self.esp_index(&fault.target) {
                    self.esps[i].set_gas_locked(on);
                }
            }
            FaultKind::SensorFail | FaultKind::CommLoss => {}
        }
    }
}

#[cfg(test)]
mod tests;
