//! ESP performance (ENGINEERING.md §5): total dynamic head, hydraulic and motor horsepower, pump efficiency,
//! and a catalogue pump curve scaled to the live frequency by the affinity laws, with its recommended range.
//!
//! Owns the arithmetic of one operating point and of one catalogue curve; the production room reads the live
//! tags and the well's configuration and calls `performance`. Invariants: a pump curve is used only after
//! `PumpCurve::check` (flows ascend from 0, heads and BHPs finite, 0 < min < max ≤ last flow); beyond the last
//! catalogue flow (runout) the head is `None`, never extrapolated; an efficiency above 1 or a discharge below
//! the intake is a sensor fault reported as an error, never shown as a number. Must not read tags or the
//! simulator's pump (`sim::esp` models its own).

use super::error::{CalcError, check, finite, non_negative, positive};
use serde::{Deserialize, Serialize};

/// ft of fresh water per psi (1/0.433 psi/ft): TDH = 2.31·Δp/SG.
const FT_PER_PSI_WATER: f64 = 2.31;
/// Hydraulic hp = q_bpd·TDH·SG/135,770: 1 hp = 33,000 ft·lbf/min and a barrel of fresh water weighs about
/// 350 lb, so 33,000 × 1,440 min/d / 350 lb/bbl ≈ 135,770 (ENGINEERING.md; the constant varies ~0.1 % with
/// the assumed water density).
const BPD_FT_PER_HP: f64 = 135_770.0;
/// Watts per (mechanical) horsepower, rounded as the ESP literature does.
const WATTS_PER_HP: f64 = 746.0;
/// Catalogue curves are drawn at 60 Hz unless they say otherwise.
const DEFAULT_BASE_HZ: f64 = 60.0;
/// Most points of a catalogue curve: a digitized curve has tens, not thousands.
const MAX_CURVE_POINTS: usize = 64;
/// Samples of the catalogue flow range when looking for the best-efficiency point (the efficiency of a
/// linearly interpolated curve is not linear between catalogue points).
const BEP_SAMPLES: usize = 400;

fn default_base_hz() -> f64 {
    DEFAULT_BASE_HZ
}

/// A typical ESP induction motor's power factor at load.
fn default_pf() -> f64 {
    0.85
}

/// A typical ESP motor's efficiency at load.
fn default_motor_eff() -> f64 {
    0.9
}

/// TDH (ft) = 2.31·(P_dis − P_int)/SG. A discharge below the intake → Inconsistent "p_discharge_psi" (a sensor
/// fault); sg > 0 ("sg").
pub fn tdh_ft(p_discharge_psi: f64, p_intake_psi: f64, sg: f64) -> Result<f64, CalcError> {
    let p_dis = finite("p_discharge_psi", p_discharge_psi)?;
    let p_int = finite("p_intake_psi", p_intake_psi)?;
    let sg = positive("sg", sg)?;
    if p_dis < p_int {
        return Err(CalcError::Inconsistent {
            field: "p_discharge_psi",
            reason: format!(
                "discharge {p_dis} psi is below the intake {p_int} psi: a pump cannot lower the pressure, \
                 so one of the gauges is faulty"
            ),
        });
    }
    Ok(FT_PER_PSI_WATER * (p_dis - p_int) / sg)
}

/// Hydraulic horsepower HHP = q_bpd·TDH·SG/135,770 (= q_gpm·TDH·SG/3960 with 1 gpm = 34.2857 bpd).
pub fn hydraulic_hp(q_bpd: f64, tdh_ft: f64, sg: f64) -> Result<f64, CalcError> {
    let q = non_negative("q_bpd", q_bpd)?;
    let tdh = non_negative("tdh_ft", tdh_ft)?;
    let sg = positive("sg", sg)?;
    Ok(q * tdh * sg / BPD_FT_PER_HP)
}

/// Motor output (brake) horsepower from its three-phase supply: BHP = √3·V·I·PF·η/746.
pub fn motor_bhp(volts: f64, amps: f64, power_factor: f64, motor_eff: f64) -> Result<f64, CalcError> {
    let volts = non_negative("volts", volts)?;
    let amps = non_negative("amps", amps)?;
    let pf = check(
        "power_factor",
        power_factor,
        |x| x > 0.0 && x <= 1.0,
        "must be above 0 and at most 1",
    )?;
    let eff = check(
        "motor_eff",
        motor_eff,
        |x| x > 0.0 && x <= 1.0,
        "must be above 0 and at most 1",
    )?;
    Ok(3.0_f64.sqrt() * volts * amps * pf * eff / WATTS_PER_HP)
}

/// Pump efficiency HHP/BHP, fraction. bhp > 0; an efficiency above 1 → Inconsistent "efficiency" (the pump
/// cannot give more power than it takes: a sensor or a setting is wrong).
pub fn pump_efficiency(hhp: f64, bhp: f64) -> Result<f64, CalcError> {
    let hhp = non_negative("hhp", hhp)?;
    let bhp = positive("bhp", bhp)?;
    let eff = hhp / bhp;
    if eff > 1.0 {
        return Err(CalcError::Inconsistent {
            field: "efficiency",
            reason: format!(
                "hydraulic {hhp:.2} hp over brake {bhp:.2} hp is an efficiency of {eff:.2}, above 1: a sensor \
                 (flow, pressures, volts or amps) or the motor data is wrong"
            ),
        });
    }
    Ok(eff)
}

/// A catalogue pump: per-stage head at base_hz (usually 60) at ascending flows starting at 0, optional per
/// stage BHP, and the recommended operating range at base_hz (below: down-thrust; above: up-thrust).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PumpCurve {
    pub model: String,
    #[serde(default = "default_base_hz")]
    pub base_hz: f64,
    pub flow_bpd: Vec<f64>,
    /// per stage, ft
    pub head_ft: Vec<f64>,
    /// per stage, hp at SG 1, same length as the flows
    #[serde(default)]
    pub bhp: Option<Vec<f64>>,
    pub min_bpd: f64,
    pub max_bpd: f64,
}

/// Where an operating point lies against the pump's recommended range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PumpZone {
    /// Below the range: the impellers ride down on their thrust washers.
    Downthrust,
    Recommended,
    /// Above the range: the impellers lift.
    Upthrust,
}

impl PumpCurve {
    /// 2..=64 points, flows finite and strictly ascending from 0, heads finite and 0 or more (a curve may rise
    /// near shut-in), BHPs (if given) finite above 0 and as many as the flows, 0 < min < max ≤ last flow,
    /// base_hz in 30..=90. Errors are Inconsistent with field "pump".
    pub fn check(&self) -> Result<(), CalcError> {
        let n = self.flow_bpd.len();
        if !(2..=MAX_CURVE_POINTS).contains(&n) {
            return Err(pump_error(format!(
                "{}: a pump curve needs 2 to {MAX_CURVE_POINTS} points, got {n}",
                self.model
            )));
        }
        if self.head_ft.len() != n {
            return Err(pump_error(format!(
                "{}: {n} flows but {} heads",
                self.model,
                self.head_ft.len()
            )));
        }
        self.check_flows()?;
        if let Some(h) = self.head_ft.iter().find(|h| !h.is_finite() || **h < 0.0) {
            return Err(pump_error(format!(
                "{}: a head of {h} ft: heads must be finite, 0 or more",
                self.model
            )));
        }
        if let Some(bhp) = &self.bhp {
            if bhp.len() != n {
                return Err(pump_error(format!("{}: {n} flows but {} BHPs", self.model, bhp.len())));
            }
            if let Some(b) = bhp.iter().find(|b| !usable(**b)) {
                return Err(pump_error(format!(
                    "{}: a BHP of {b} hp: a pump's BHP is finite and above 0",
                    self.model
                )));
            }
        }
        self.check_range()
    }

    /// Flows finite, strictly ascending, the first 0.
    fn check_flows(&self) -> Result<(), CalcError> {
        if self.flow_bpd.iter().any(|q| !q.is_finite()) {
            return Err(pump_error(format!("{}: the flows must be finite numbers", self.model)));
        }
        if self.flow_bpd.first().is_some_and(|q| *q != 0.0) {
            return Err(pump_error(format!(
                "{}: the curve must start at 0 bbl/d (shut-in head)",
                self.model
            )));
        }
        if self.flow_bpd.windows(2).any(|w| w[1] <= w[0]) {
            return Err(pump_error(format!(
                "{}: the flows must rise from one point to the next",
                self.model
            )));
        }
        Ok(())
    }

    /// Base frequency and the recommended range.
    fn check_range(&self) -> Result<(), CalcError> {
        if !(30.0..=90.0).contains(&self.base_hz) {
            return Err(pump_error(format!(
                "{}: base frequency {} Hz is outside 30 to 90 Hz",
                self.model, self.base_hz
            )));
        }
        let last = self.runout_base_bpd();
        let (min, max) = (self.min_bpd, self.max_bpd);
        let ordered = min.is_finite() && max.is_finite() && min > 0.0 && min < max && max <= last;
        if !ordered {
            return Err(pump_error(format!(
                "{}: the recommended range {min} to {max} bbl/d must have min < max inside 0 to {last} bbl/d",
                self.model
            )));
        }
        Ok(())
    }

    /// Head of `stages` stages at q and frequency hz by the affinity laws: q_b = q·base/hz,
    /// H = (hz/base)²·H_b(q_b)·stages, H_b linearly interpolated; None beyond the last catalogue flow (runout)
    /// or for q < 0, hz ≤ 0.
    pub fn head_ft(&self, q_bpd: f64, hz: f64, stages: f64) -> Option<f64> {
        if !usable(hz) || !q_bpd.is_finite() || q_bpd < 0.0 {
            return None;
        }
        let r = hz / self.base_hz;
        let h_b = interpolate(&self.flow_bpd, &self.head_ft, q_bpd / r)?;
        Some(r * r * h_b * stages)
    }

    /// Recommended range at hz: (min·hz/base, max·hz/base).
    pub fn range_bpd(&self, hz: f64) -> (f64, f64) {
        let r = hz / self.base_hz;
        (self.min_bpd * r, self.max_bpd * r)
    }

    /// Down-thrust below the range at hz, up-thrust above it.
    pub fn zone(&self, q_bpd: f64, hz: f64) -> PumpZone {
        let (lo, hi) = self.range_bpd(hz);
        if q_bpd < lo {
            PumpZone::Downthrust
        } else if q_bpd > hi {
            PumpZone::Upthrust
        } else {
            PumpZone::Recommended
        }
    }

    /// Catalogue efficiency at q, hz: the affinity laws keep the efficiency of the base point q_b = q·base/hz,
    /// η = q_b·H_b/(135,770·BHP_b) (per stage head and BHP, so the stage count cancels). None without BHP data,
    /// beyond runout, or for hz ≤ 0.
    pub fn efficiency(&self, q_bpd: f64, hz: f64) -> Option<f64> {
        if !usable(hz) || !q_bpd.is_finite() || q_bpd < 0.0 {
            return None;
        }
        self.efficiency_base(q_bpd * self.base_hz / hz)
    }

    /// Efficiency at a flow at the base frequency.
    fn efficiency_base(&self, q_b: f64) -> Option<f64> {
        let bhp = self.bhp.as_ref()?;
        let h_b = interpolate(&self.flow_bpd, &self.head_ft, q_b)?;
        let bhp_b = interpolate(&self.flow_bpd, bhp, q_b)?;
        if bhp_b > 0.0 {
            Some(q_b * h_b / (BPD_FT_PER_HP * bhp_b))
        } else {
            None
        }
    }

    /// (q, head of the pump) points of the curve at hz, n + 1 points from 0 to runout, for plots. Empty for
    /// hz ≤ 0.
    pub fn curve(&self, hz: f64, stages: f64, n: usize) -> Vec<[f64; 2]> {
        if !usable(hz) {
            return Vec::new();
        }
        let n = n.max(1);
        let r = hz / self.base_hz;
        let last = self.runout_base_bpd();
        // Stepping the base flows (not q·base/hz) keeps the last point exactly on the catalogue's runout.
        (0..=n)
            .filter_map(|i| {
                let q_b = last * i as f64 / n as f64;
                let h_b = interpolate(&self.flow_bpd, &self.head_ft, q_b)?;
                Some([q_b * r, r * r * h_b * stages])
            })
            .collect()
    }

    /// Best-efficiency flow at the base frequency (the largest catalogue efficiency) if BHP is given, else
    /// the middle of the recommended range.
    pub fn bep_bpd(&self) -> f64 {
        let middle = 0.5 * (self.min_bpd + self.max_bpd);
        let last = self.runout_base_bpd();
        let best = (0..=BEP_SAMPLES)
            .map(|i| last * i as f64 / BEP_SAMPLES as f64)
            .filter_map(|q| Some((q, self.efficiency_base(q)?)))
            .max_by(|a, b| a.1.total_cmp(&b.1));
        best.map_or(middle, |(q, _)| q)
    }

    /// The last catalogue flow: the runout at the base frequency.
    fn runout_base_bpd(&self) -> f64 {
        self.flow_bpd.last().copied().unwrap_or(0.0)
    }
}

/// One live ESP operating point (the JSON of `wellconsole calc esp`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EspInput {
    pub q_bpd: f64,
    pub p_intake_psi: f64,
    pub p_discharge_psi: f64,
    /// Specific gravity of the pumped mixture (water 1).
    pub sg: f64,
    pub frequency_hz: f64,
    #[serde(default)]
    pub stages: Option<f64>,
    #[serde(default)]
    pub pump: Option<PumpCurve>,
    // Motor: all optional; BHP, efficiency and load only when volts and amps are given.
    #[serde(default)]
    pub volts: Option<f64>,
    #[serde(default)]
    pub amps: Option<f64>,
    #[serde(default = "default_pf")]
    pub power_factor: f64,
    #[serde(default = "default_motor_eff")]
    pub motor_eff: f64,
    #[serde(default)]
    pub motor_rated_hp: Option<f64>,
    #[serde(default)]
    pub motor_rated_amps: Option<f64>,
}

/// What `performance` finds at one operating point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EspPerformance {
    pub tdh_ft: f64,
    pub hhp: f64,
    pub bhp: Option<f64>,
    pub efficiency: Option<f64>,
    /// motor load, fraction: amps/rated amps if given, else BHP/rated HP
    pub motor_load: Option<f64>,
    /// catalogue head at the live point (pump and stages given), and measured TDH / catalogue head
    pub catalog_head_ft: Option<f64>,
    pub head_ratio: Option<f64>,
    pub zone: Option<PumpZone>,
    pub range_bpd: Option<(f64, f64)>,
}

/// TDH, HHP, and where the data allow: motor BHP, pump efficiency, motor load, the catalogue head at the live
/// frequency and how the measured head compares, the zone and the recommended range at the live frequency.
pub fn performance(input: &EspInput) -> Result<EspPerformance, CalcError> {
    if let Some(pump) = &input.pump {
        pump.check()?;
    }
    performance_on(input, input.pump.as_ref())
}

/// `performance` on a catalogue curve checked already (a site's, at load): `input.pump` is not read. The
/// console's service runs this every second per pump, without copying or checking the curve again.
pub fn performance_on(input: &EspInput, pump: Option<&PumpCurve>) -> Result<EspPerformance, CalcError> {
    let q = non_negative("q_bpd", input.q_bpd)?;
    let hz = positive("frequency_hz", input.frequency_hz)?;
    let tdh = tdh_ft(input.p_discharge_psi, input.p_intake_psi, input.sg)?;
    let hhp = hydraulic_hp(q, tdh, input.sg)?;
    let bhp = match (input.volts, input.amps) {
        (Some(volts), Some(amps)) => Some(motor_bhp(volts, amps, input.power_factor, input.motor_eff)?),
        _ => None,
    };
    // A stopped motor (0 A) has no efficiency to report, not an error.
    let efficiency = match bhp {
        Some(b) if b > 0.0 => Some(pump_efficiency(hhp, b)?),
        _ => None,
    };
    let motor_load = motor_load_fraction(input, bhp)?;
    let stages = input.stages.map(|s| positive("stages", s)).transpose()?;
    let (mut catalog_head_ft, mut head_ratio, mut zone, mut range_bpd) = (None, None, None, None);
    if let Some(pump) = pump {
        range_bpd = Some(pump.range_bpd(hz));
        zone = Some(pump.zone(q, hz));
        catalog_head_ft = stages.and_then(|s| pump.head_ft(q, hz, s));
        head_ratio = catalog_head_ft.filter(|h| *h > 0.0).map(|h| tdh / h);
    }
    Ok(EspPerformance {
        tdh_ft: tdh,
        hhp,
        bhp,
        efficiency,
        motor_load,
        catalog_head_ft,
        head_ratio,
        zone,
        range_bpd,
    })
}

/// Motor load: measured over rated amps when both are known (what the motor controller shows), else BHP over
/// rated HP.
fn motor_load_fraction(input: &EspInput, bhp: Option<f64>) -> Result<Option<f64>, CalcError> {
    if let (Some(amps), Some(rated)) = (input.amps, input.motor_rated_amps) {
        let amps = non_negative("amps", amps)?;
        return Ok(Some(amps / positive("motor_rated_amps", rated)?));
    }
    match (bhp, input.motor_rated_hp) {
        (Some(bhp), Some(rated)) => Ok(Some(bhp / positive("motor_rated_hp", rated)?)),
        _ => Ok(None),
    }
}

/// A finite number above 0.
fn usable(x: f64) -> bool {
    x.is_finite() && x > 0.0
}

fn pump_error(reason: String) -> CalcError {
    CalcError::Inconsistent { field: "pump", reason }
}

/// y at x on the polyline (xs, ys), xs ascending; None outside [xs[0], last] or on mismatched lengths.
fn interpolate(xs: &[f64], ys: &[f64], x: f64) -> Option<f64> {
    if xs.len() != ys.len() || !x.is_finite() || x < *xs.first()? {
        return None;
    }
    for (i, w) in xs.windows(2).enumerate() {
        if x <= w[1] {
            let (y0, y1) = (*ys.get(i)?, *ys.get(i + 1)?);
            let span = w[1] - w[0];
            return Some(if span > 0.0 {
                y0 + (y1 - y0) * (x - w[0]) / span
            } else {
                y1
            });
        }
    }
    // A one-point "curve" answers only at its point.
    match (xs, ys) {
        ([x0], [y0]) if x <= *x0 => Some(*y0),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The simulator's pump shape: 32 ft per stage shut-in, runout 2,000 bbl/d at 60 Hz,
    /// H = 32·(1 − (q/2000)²); BHP chosen so the best efficiency is near 1,000 bbl/d.
    fn catalogue() -> PumpCurve {
        PumpCurve {
            model: "TEST-2000".to_string(),
            base_hz: 60.0,
            flow_bpd: vec![0.0, 500.0, 1000.0, 1500.0, 2000.0],
            head_ft: vec![32.0, 30.0, 24.0, 14.0, 0.0],
            bhp: Some(vec![0.15, 0.20, 0.25, 0.28, 0.30]),
            min_bpd: 800.0,
            max_bpd: 1400.0,
        }
    }

    fn rel(a: f64, b: f64) -> f64 {
        (a - b).abs() / b.abs().max(1e-300)
    }

    #[test]
    fn horsepower_worked_example() {
        // ENGINEERING.md §5: 200 gpm, 100 ft, SG 1, 60 % efficiency → HHP 5.05, BHP 8.4 hp
        let q_bpd = 200.0 * 1440.0 / 42.0; // 6,857.14 bbl/d
        let hhp = hydraulic_hp(q_bpd, 100.0, 1.0).unwrap();
        assert!(rel(hhp, 5.05) < 0.005, "{hhp}");
        let bhp = hhp / 0.6;
        assert!((bhp - 8.4).abs() < 0.05, "{bhp}");
        assert!(rel(pump_efficiency(hhp, bhp).unwrap(), 0.6) < 1e-12);
        // the gpm form, q_gpm·TDH·SG/3960, within the constants' 0.1 %
        assert!(rel(hhp, 200.0 * 100.0 / 3960.0) < 0.001);
    }

    #[test]
    fn head_and_motor_power() {
        assert!(rel(tdh_ft(1500.0, 500.0, 1.0).unwrap(), 2310.0) < 1e-12);
        assert!(rel(tdh_ft(1500.0, 500.0, 1.1).unwrap(), 2100.0) < 1e-12);
        assert_eq!(tdh_ft(500.0, 500.0, 1.0).unwrap(), 0.0);
        // √3 · 460 V · 100 A · 0.85 · 0.9 / 746 = 81.70 hp
        assert!((motor_bhp(460.0, 100.0, 0.85, 0.9).unwrap() - 81.70).abs() < 0.01);
        assert_eq!(motor_bhp(2300.0, 0.0, 0.85, 0.9).unwrap(), 0.0);
    }

    #[test]
    fn sensor_faults_and_bad_inputs_name_their_field() {
        // sensor faults: a combination of readings that cannot be, not one bad number
        let faults = [
            (tdh_ft(400.0, 500.0, 1.0), "p_discharge_psi"),
            (pump_efficiency(10.0, 8.0), "efficiency"),
        ];
        for (result, field) in faults {
            match result {
                Err(CalcError::Inconsistent { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{field}: {other:?}"),
            }
        }
        assert_eq!(pump_efficiency(1.0, 0.0).unwrap_err().field(), "bhp");
        assert_eq!(tdh_ft(1500.0, 500.0, 0.0).unwrap_err().field(), "sg");
        assert_eq!(tdh_ft(f64::NAN, 500.0, 1.0).unwrap_err().field(), "p_discharge_psi");
        assert_eq!(hydraulic_hp(-1.0, 100.0, 1.0).unwrap_err().field(), "q_bpd");
        assert_eq!(motor_bhp(460.0, 100.0, 1.2, 0.9).unwrap_err().field(), "power_factor");
        assert_eq!(motor_bhp(460.0, 100.0, 0.85, 0.0).unwrap_err().field(), "motor_eff");
    }

    #[test]
    fn affinity_laws_scale_head_by_the_square_of_the_speed() {
        let p = catalogue();
        p.check().unwrap();
        assert_eq!(p.head_ft(0.0, 60.0, 1.0), Some(32.0));
        assert_eq!(p.head_ft(750.0, 60.0, 100.0), Some(2700.0));
        for r in [0.5, 0.75, 1.0, 1.2, 1.5] {
            for q in [0.0, 250.0, 700.0, 1000.0, 1333.0, 1999.0] {
                let scaled = p.head_ft(q * r, 60.0 * r, 120.0).unwrap();
                let base = p.head_ft(q, 60.0, 120.0).unwrap();
                assert!((scaled - r * r * base).abs() < 1e-9 * base.max(1.0), "r {r} q {q}");
            }
            // runout moves with the speed
            assert_eq!(p.head_ft(2001.0 * r, 60.0 * r, 1.0), None);
        }
        assert_eq!(p.head_ft(100.0, 0.0, 1.0), None);
        assert_eq!(p.head_ft(-1.0, 60.0, 1.0), None);
    }

    #[test]
    fn range_and_zone_follow_the_frequency() {
        let p = catalogue();
        assert_eq!(p.range_bpd(60.0), (800.0, 1400.0));
        assert_eq!(p.range_bpd(30.0), (400.0, 700.0));
        let cases = [
            (700.0, 60.0, PumpZone::Downthrust),
            (800.0, 60.0, PumpZone::Recommended),
            (1000.0, 60.0, PumpZone::Recommended),
            (1500.0, 60.0, PumpZone::Upthrust),
            (700.0, 50.0, PumpZone::Recommended),
            (1200.0, 50.0, PumpZone::Upthrust),
            (500.0, 50.0, PumpZone::Downthrust),
        ];
        for (q, hz, zone) in cases {
            assert_eq!(p.zone(q, hz), zone, "{q} bbl/d at {hz} Hz");
        }
    }

    #[test]
    fn efficiency_from_the_catalogue() {
        let p = catalogue();
        // at a catalogue point: η = q·H/(135,770·BHP)
        let at_1000 = 1000.0 * 24.0 / (135_770.0 * 0.25);
        assert!(rel(p.efficiency(1000.0, 60.0).unwrap(), at_1000) < 1e-12);
        // the affinity laws keep the efficiency of the base point
        assert!(rel(p.efficiency(1000.0 * 50.0 / 60.0, 50.0).unwrap(), at_1000) < 1e-12);
        assert_eq!(p.efficiency(0.0, 60.0), Some(0.0));
        assert_eq!(p.efficiency(2100.0, 60.0), None);
        let bep = p.bep_bpd();
        assert!((500.0..1500.0).contains(&bep), "{bep}");
        assert!(p.efficiency(bep, 60.0).unwrap() >= at_1000);
        let no_bhp = PumpCurve {
            bhp: None,
            ..catalogue()
        };
        assert_eq!(no_bhp.efficiency(1000.0, 60.0), None);
        assert_eq!(no_bhp.bep_bpd(), 1100.0);
    }

    #[test]
    fn curve_points_from_shut_in_to_runout() {
        let p = catalogue();
        let c = p.curve(50.0, 100.0, 20);
        assert_eq!(c.len(), 21);
        let r: f64 = 50.0 / 60.0;
        assert!(rel(c[0][1], 3200.0 * r * r) < 1e-12);
        assert_eq!(c[0][0], 0.0);
        assert!(rel(c[20][0], 2000.0 * r) < 1e-12);
        assert_eq!(c[20][1], 0.0);
        assert!(p.curve(0.0, 100.0, 20).is_empty());
    }

    #[test]
    fn bad_catalogue_curves_are_refused() {
        let cases: [fn(&mut PumpCurve); 9] = [
            |p| p.flow_bpd = vec![0.0],
            |p| p.head_ft.push(1.0),
            |p| p.flow_bpd[0] = 10.0,
            |p| p.flow_bpd[2] = 400.0,
            |p| p.head_ft[1] = -1.0,
            |p| p.bhp = Some(vec![0.1, 0.2]),
            |p| p.min_bpd = 1500.0,
            |p| p.max_bpd = 2500.0,
            |p| p.base_hz = 0.0,
        ];
        for (i, spoil) in cases.iter().enumerate() {
            let mut p = catalogue();
            spoil(&mut p);
            let e = p.check().unwrap_err();
            assert!(
                matches!(e, CalcError::Inconsistent { field: "pump", .. }),
                "case {i}: {e:?}"
            );
        }
    }

    #[test]
    fn performance_of_a_live_point() {
        let json = r#"{
            "q_bpd": 1000, "p_intake_psi": 800, "p_discharge_psi": 2200, "sg": 1.0, "frequency_hz": 60,
            "stages": 150, "volts": 2300, "amps": 30, "motor_rated_amps": 40,
            "pump": {"model": "TEST-2000", "flow_bpd": [0, 1000, 2000], "head_ft": [32, 24, 0],
                     "bhp": [0.15, 0.25, 0.3], "min_bpd": 800, "max_bpd": 1400}
        }"#;
        let input: EspInput = serde_json::from_str(json).unwrap();
        assert_eq!(input.power_factor, 0.85);
        assert_eq!(input.pump.as_ref().unwrap().base_hz, 60.0);
        let out = performance(&input).unwrap();
        assert!(rel(out.tdh_ft, 2.31 * 1400.0) < 1e-12);
        assert!(rel(out.hhp, 1000.0 * 3234.0 / 135_770.0) < 1e-12);
        let bhp = motor_bhp(2300.0, 30.0, 0.85, 0.9).unwrap();
        assert_eq!(out.bhp, Some(bhp));
        assert!(rel(out.efficiency.unwrap(), out.hhp / bhp) < 1e-12);
        assert_eq!(out.motor_load, Some(0.75));
        assert_eq!(out.catalog_head_ft, Some(3600.0));
        assert!(rel(out.head_ratio.unwrap(), 3234.0 / 3600.0) < 1e-12);
        assert_eq!(out.zone, Some(PumpZone::Recommended));
        assert_eq!(out.range_bpd, Some((800.0, 1400.0)));

        // without the motor and the pump only TDH and HHP
        let bare: EspInput = serde_json::from_str(
            r#"{"q_bpd": 1000, "p_intake_psi": 800, "p_discharge_psi": 2200, "sg": 1.0, "frequency_hz": 60}"#,
        )
        .unwrap();
        let out = performance(&bare).unwrap();
        assert_eq!(
            (out.bhp, out.efficiency, out.motor_load, out.zone),
            (None, None, None, None)
        );
        // load from BHP over rated HP when the rated amps are unknown
        let by_hp = EspInput {
            volts: Some(2300.0),
            amps: Some(30.0),
            motor_rated_hp: Some(150.0),
            ..bare.clone()
        };
        let out = performance(&by_hp).unwrap();
        assert!(rel(out.motor_load.unwrap(), out.bhp.unwrap() / 150.0) < 1e-12);
        // a sensor fault is an error, not a number
        let fault = EspInput {
            p_discharge_psi: 700.0,
            ..bare.clone()
        };
        assert_eq!(performance(&fault).unwrap_err().field(), "p_discharge_psi");
        let over = EspInput {
            volts: Some(100.0),
            amps: Some(1.0),
            ..bare
        };
        assert_eq!(performance(&over).unwrap_err().field(), "efficiency");
        assert!(
            serde_json::from_str::<EspInput>(
                r#"{"q_bpd": 1, "p_intake_psi": 1, "p_discharge_psi": 2, "sg": 1, "frequency_hz": 60, "rpm": 3500}"#
            )
            .is_err()
        );
    }
}
