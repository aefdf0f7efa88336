//! Coiled-tubing low-cycle fatigue (ENGINEERING.md §1): bending strain on a reel or guide arch, Manson's
//! universal-slopes strain–life curve, the pressure factor K_p and weld factors, and Miner's rule per event.
//!
//! Pure formulas and small validated value types; no state, no I/O. The `ctstring` room precomputes these per
//! string cell and runs the bookkeeping on live depth. Invariants: every public function validates its inputs
//! and answers `CalcError` naming the field; a life is a finite number > 0, a damage a finite number ≥ 0.
//!
//! The model is the "simplified, defensible (uncalibrated)" one of §1: N_f = N_f0(ε)·K_p(σ_h/σy)·K_weld.
//! Commercial models (Achilles/Cerberus, Tipton) add incremental plasticity and diameter growth; this one does
//! not, and its pressure factor must be fitted to the manufacturer's curves before the numbers mean life.

use super::STEEL_E_PSI;
use super::error::{CalcError, check, non_negative, positive};
use super::tubular::Tubular;
use serde::{Deserialize, Serialize};

/// Manson's universal slopes: elastic exponent b and plastic exponent c of Δε = 3.5·(Su/E)·N^b + Df^0.6·N^c.
const MANSON_ELASTIC_EXPONENT: f64 = -0.12;
const MANSON_PLASTIC_EXPONENT: f64 = -0.6;
/// ln N past which a life is not representable as a finite f64 (e^709 ≈ 8e307).
const MAX_LN_CYCLES: f64 = 700.0;

/// A weld in the string, by type. Each derates the life of the pipe around it (ENGINEERING.md §1, [V] "CT
/// Fatigue" slides): the factor multiplies the cycles to failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WeldType {
    Bias,
    TaperedBias,
    OrbitalButt,
    ManualButt,
    TaperedOrbital,
    TaperedManual,
}

impl WeldType {
    /// Every weld type, best life first (for pickers and tables).
    pub const ALL: [WeldType; 6] = [
        WeldType::Bias,
        WeldType::TaperedBias,
        WeldType::OrbitalButt,
        WeldType::ManualButt,
        WeldType::TaperedOrbital,
        WeldType::TaperedManual,
    ];

    /// The fraction of plain-pipe life left at this weld (0 < factor < 1).
    pub fn life_factor(self) -> f64 {
        match self {
            WeldType::Bias => 0.80,
            WeldType::TaperedBias => 0.50,
            WeldType::OrbitalButt => 0.45,
            WeldType::ManualButt => 0.35,
            WeldType::TaperedOrbital => 0.20,
            WeldType::TaperedManual => 0.15,
        }
    }

    /// The type in words, as a CT engineer writes it on a weld record.
    pub fn label(self) -> &'static str {
        match self {
            WeldType::Bias => "Bias weld",
            WeldType::TaperedBias => "Tapered bias weld",
            WeldType::OrbitalButt => "Orbital butt weld",
            WeldType::ManualButt => "Manual butt weld",
            WeldType::TaperedOrbital => "Tapered orbital weld",
            WeldType::TaperedManual => "Tapered manual weld",
        }
    }
}

fn default_reduction_of_area() -> f64 {
    0.6
}

/// A pipe grade's strength and ductility, from the mill certificate where there is one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grade {
    /// e.g. "CT90".
    pub name: String,
    /// Minimum yield strength σy, psi.
    pub yield_psi: f64,
    /// Ultimate tensile strength Su, psi (the Manson elastic term uses it).
    pub tensile_psi: f64,
    /// Reduction of area at fracture in the tensile test, a fraction (0.6 = 60 %); Manson's ductility
    /// Df = ln(1/(1 − RA)). 0.6 is typical of quenched-and-tempered CT steels when the cert does not give it.
    #[serde(default = "default_reduction_of_area")]
    pub reduction_of_area: f64,
}

/// API 5ST grades by name, minimum yield and minimum tensile strength (psi). Sources: CT80's 88 ksi is
/// ENGINEERING.md §1's worked example; CT90's 97 ksi matches a mill sheet (620 MPa yield / 669 MPa tensile);
/// CT70 80 ksi, CT100 108 ksi and CT110 115 ksi are the commonly quoted API 5ST minimums, not checked against
/// the standard's table [U]. They are minimums: a string's mill certificate overrides them (its measured
/// tensile strength and reduction of area give a longer, truer life).
pub const API_5ST_GRADES: [(&str, f64, f64); 5] = [
    ("CT70", 70_000.0, 80_000.0),
    ("CT80", 80_000.0, 88_000.0),
    ("CT90", 90_000.0, 97_000.0),
    ("CT100", 100_000.0, 108_000.0),
    ("CT110", 110_000.0, 115_000.0),
];

impl Grade {
    /// An API 5ST grade by name ("CT70" … "CT110", any case) at its minimum properties and RA 0.6;
    /// `None` for a name the table does not hold.
    pub fn api_5st(name: &str) -> Option<Grade> {
        API_5ST_GRADES
            .iter()
            .find(|(n, _, _)| n.eq_ignore_ascii_case(name.trim()))
            .map(|&(n, yield_psi, tensile_psi)| Grade {
                name: n.to_string(),
                yield_psi,
                tensile_psi,
                reduction_of_area: default_reduction_of_area(),
            })
    }

    fn from_table(index: usize) -> Grade {
        let (name, yield_psi, tensile_psi) = API_5ST_GRADES[index];
        Grade {
            name: name.to_string(),
            yield_psi,
            tensile_psi,
            reduction_of_area: default_reduction_of_area(),
        }
    }

    /// CT70 at API 5ST minimums.
    pub fn ct70() -> Grade {
        Grade::from_table(0)
    }

    /// CT80 at API 5ST minimums.
    pub fn ct80() -> Grade {
        Grade::from_table(1)
    }

    /// CT90 at API 5ST minimums.
    pub fn ct90() -> Grade {
        Grade::from_table(2)
    }

    /// CT100 at API 5ST minimums.
    pub fn ct100() -> Grade {
        Grade::from_table(3)
    }

    /// CT110 at API 5ST minimums.
    pub fn ct110() -> Grade {
        Grade::from_table(4)
    }

    /// yield > 0, tensile ≥ yield, 0 < reduction of area < 1.
    pub fn validate(&self) -> Result<(), CalcError> {
        positive("yield_psi", self.yield_psi)?;
        positive("tensile_psi", self.tensile_psi)?;
        if self.tensile_psi < self.yield_psi {
            return Err(CalcError::Inconsistent {
                field: "tensile_psi",
                reason: format!(
                    "grade {}: a tensile strength of {} psi is below the yield strength ({} psi)",
                    self.name, self.tensile_psi, self.yield_psi
                ),
            });
        }
        check(
            "reduction_of_area",
            self.reduction_of_area,
            |ra| ra > 0.0 && ra < 1.0,
            "must be a fraction between 0 and 1 (0.6 = 60 %)",
        )?;
        Ok(())
    }

    /// Yield strain ε_y = σy/E.
    pub fn yield_strain(&self) -> f64 {
        self.yield_psi / STEEL_E_PSI
    }
}

/// Bending strain at the outer fibre, ε = OD/(2R), R to the pipe centreline (in). R ≤ OD/2 would fold the
/// pipe onto itself and is refused.
pub fn bending_strain(od_in: f64, radius_in: f64) -> Result<f64, CalcError> {
    positive("od_in", od_in)?;
    positive("radius_in", radius_in)?;
    if radius_in <= od_in / 2.0 {
        return Err(CalcError::Inconsistent {
            field: "radius_in",
            reason: format!("a bending radius of {radius_in} in is not more than half the OD ({od_in} in)"),
        });
    }
    Ok(od_in / (2.0 * radius_in))
}

/// Yield strain ε_y = σy/E.
pub fn yield_strain(yield_psi: f64) -> Result<f64, CalcError> {
    Ok(positive("yield_psi", yield_psi)? / STEEL_E_PSI)
}

/// The bending radius at which the outer fibre just yields, R_y = E·OD/(2σy), in. Reels and guide arches are
/// far below it, so every trip bends the pipe plastically.
pub fn yield_radius_in(od_in: f64, yield_psi: f64) -> Result<f64, CalcError> {
    positive("od_in", od_in)?;
    positive("yield_psi", yield_psi)?;
    Ok(STEEL_E_PSI * od_in / (2.0 * yield_psi))
}

/// Cycles to crack initiation for a total strain range Δε (a fraction) by Manson's universal slopes:
/// Δε = 3.5·(Su/E)·N^−0.12 + Df^0.6·N^−0.6, Df = ln(1/(1 − RA)).
///
/// The right side falls monotonically with N, so the root is unique; it is found on ln N by Newton steps kept
/// inside a bracket (bisection when a step would leave it) to 1e-12 in ln N, i.e. 1e-12 relative in N.
/// A strain beyond the ductility of one cycle, or one so small its life is not a finite f64, is refused.
pub fn manson_life_cycles(strain_range: f64, tensile_psi: f64, reduction_of_area: f64) -> Result<f64, CalcError> {
    positive("strain_range", strain_range)?;
    positive("tensile_psi", tensile_psi)?;
    check(
        "reduction_of_area",
        reduction_of_area,
        |ra| ra > 0.0 && ra < 1.0,
        "must be a fraction between 0 and 1 (0.6 = 60 %)",
    )?;
    let elastic = 3.5 * tensile_psi / STEEL_E_PSI;
    let plastic = (1.0 / (1.0 - reduction_of_area)).ln().powf(0.6);
    // g(x) = Δε(N = e^x) − strain: strictly decreasing and convex in x.
    let g = |x: f64| {
        elastic * (MANSON_ELASTIC_EXPONENT * x).exp() + plastic * (MANSON_PLASTIC_EXPONENT * x).exp() - strain_range
    };
    let dg = |x: f64| {
        MANSON_ELASTIC_EXPONENT * elastic * (MANSON_ELASTIC_EXPONENT * x).exp()
            + MANSON_PLASTIC_EXPONENT * plastic * (MANSON_PLASTIC_EXPONENT * x).exp()
    };
    let (mut lo, mut hi) = (0.0_f64, MAX_LN_CYCLES);
    if g(lo) <= 0.0 {
        return Err(CalcError::Invalid {
            field: "strain_range",
            value: strain_range,
            rule: "is beyond the ductility of the steel: the pipe would crack in its first cycle",
        });
    }
    if g(hi) > 0.0 {
        return Err(CalcError::Invalid {
            field: "strain_range",
            value: strain_range,
            rule: "is so small that its fatigue life is beyond any representable number of cycles",
        });
    }
    // Start from the plastic term alone (right at high strain) clamped into the bracket.
    let mut x = ((plastic / strain_range).ln() / -MANSON_PLASTIC_EXPONENT).clamp(lo, hi);
    for _ in 0..200 {
        let gx = g(x);
        if gx > 0.0 {
            lo = x;
        } else {
            hi = x;
        }
        let newton = x - gx / dg(x);
        let next = if newton > lo && newton < hi {
            newton
        } else {
            0.5 * (lo + hi)
        };
        let step = (next - x).abs();
        x = next;
        if step <= 1e-12 * x.abs().max(1.0) || hi - lo <= 1e-12 * hi.max(1.0) {
            break;
        }
    }
    Ok(x.exp())
}

/// Hoop stress σ_h = p·D/(2t), psi, with D the outside diameter (the thin-wall form ENGINEERING.md §1 uses;
/// OD rather than mean diameter errs on the conservative side).
pub fn hoop_stress_psi(pressure_psi: f64, od_in: f64, wall_in: f64) -> Result<f64, CalcError> {
    let pipe = Tubular::new(od_in, wall_in)?;
    let p = non_negative("pressure_psi", pressure_psi)?;
    Ok(p * pipe.od_in() / (2.0 * pipe.wall_in()))
}

/// Burst pressure P_b = 2·Y·t/OD, psi (API RP 5C7 style, nominal wall; ENGINEERING.md §4).
pub fn burst_pressure_psi(yield_psi: f64, od_in: f64, wall_in: f64) -> Result<f64, CalcError> {
    let pipe = Tubular::new(od_in, wall_in)?;
    let y = positive("yield_psi", yield_psi)?;
    Ok(2.0 * y * pipe.wall_in() / pipe.od_in())
}

/// The internal-pressure life factor K_p as a table of (σ_h/σy, factor) points, interpolated linearly.
///
/// No published closed form exists (ENGINEERING.md §1 [U]): commercial models take it from full-scale bend
/// tests at constant pressure. So it is data, fitted by the engineer to the manufacturer's life-vs-pressure
/// curves for the grade and size. Invariants (checked on construction and on deserialising): the first point
/// is (0, 1) (no pressure, no derating), hoop ratios strictly increase, factors never increase and stay > 0.
/// Beyond the last point the last factor holds (see `factor`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "PressureFactorPoints", into = "PressureFactorPoints")]
pub struct PressureFactor {
    points: Vec<(f64, f64)>,
}

/// The serde shape of a `PressureFactor`: `points = [[0.0, 1.0], [0.8, 0.1], …]`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PressureFactorPoints {
    points: Vec<(f64, f64)>,
}

impl TryFrom<PressureFactorPoints> for PressureFactor {
    type Error = CalcError;
    fn try_from(p: PressureFactorPoints) -> Result<Self, CalcError> {
        PressureFactor::new(p.points)
    }
}

impl From<PressureFactor> for PressureFactorPoints {
    fn from(p: PressureFactor) -> Self {
        PressureFactorPoints { points: p.points }
    }
}

/// The default table holds up to hoop/yield 1 (burst, by the thin-wall formula).
const UNCALIBRATED_POINTS: [(f64, f64); 3] = [(0.0, 1.0), (0.8, 0.1), (1.0, 0.05)];

impl Default for PressureFactor {
    /// The UNCALIBRATED placeholder (`uncalibrated_default`).
    fn default() -> Self {
        PressureFactor::uncalibrated_default()
    }
}

impl PressureFactor {
    /// At least one point, starting at (0, 1); ratios strictly increasing; factors non-increasing and > 0.
    pub fn new(points: Vec<(f64, f64)>) -> Result<Self, CalcError> {
        let bad = |reason: String| CalcError::Inconsistent {
            field: "pressure_factor",
            reason,
        };
        match points.first() {
            Some(&(r, f)) if r == 0.0 && f == 1.0 => {}
            _ => return Err(bad("the table must start at hoop/yield 0 with factor 1".to_string())),
        }
        for (k, w) in points.windows(2).enumerate() {
            let ((r0, f0), (r1, f1)) = (w[0], w[1]);
            if !(r1.is_finite() && r1 > r0) {
                return Err(bad(format!(
                    "point {}: hoop/yield {r1} does not increase past {r0}",
                    k + 1
                )));
            }
            if !(f1.is_finite() && f1 > 0.0 && f1 <= f0) {
                return Err(bad(format!(
                    "point {}: factor {f1} must be greater than 0 and not more than the one before ({f0})",
                    k + 1
                )));
            }
        }
        Ok(Self { points })
    }

    /// **UNCALIBRATED** placeholder: 1 at zero pressure, falling linearly to 0.1 at hoop/yield 0.8 and to
    /// 0.05 at 1.0. Its only merit is the right shape (monotonic, strong loss of life at high pressure, the
    /// trend SPE 54482's constant-pressure tests show). The engineer must replace it with a fit to the pipe
    /// manufacturer's life-vs-pressure curves (0/2.5/5 ksi or more) for each grade and size before fatigue
    /// figures at pressure are used to retire pipe.
    pub fn uncalibrated_default() -> Self {
        Self {
            points: UNCALIBRATED_POINTS.to_vec(),
        }
    }

    /// The table's points (hoop/yield, factor).
    pub fn points(&self) -> &[(f64, f64)] {
        &self.points
    }

    /// K_p at a hoop/yield ratio: linear between points, 1 at or below 0, and the last point's factor beyond
    /// the last point. Holding the last factor (rather than refusing) is for the live tracker, which must never
    /// drop a bending event; `cycles_to_failure` refuses pressures at or above burst before it gets here.
    pub fn factor(&self, hoop_ratio: f64) -> f64 {
        let pts = &self.points;
        // `new` guarantees at least one point; (0, 1) is the first.
        let Some(&(last_ratio, last_factor)) = pts.last() else {
            return 1.0;
        };
        if hoop_ratio.is_nan() || hoop_ratio <= 0.0 {
            return 1.0;
        }
        if hoop_ratio >= last_ratio {
            return last_factor;
        }
        // First point with ratio > hoop_ratio: k ≥ 1 because pts[0].0 = 0 < hoop_ratio.
        let k = pts.partition_point(|&(r, _)| r <= hoop_ratio);
        let ((r0, f0), (r1, f1)) = (pts[k - 1], pts[k]);
        f0 + (f1 - f0) * (hoop_ratio - r0) / (r1 - r0)
    }
}

/// Cycles to failure N_f = N_f0(ε)·K_p(σ_h/σy)·K_weld for one bending strain (the strain range of a reversal
/// from straight to bent or back), at internal pressure `pressure_psi` on a pipe of `od_in` × `wall_in`.
/// `weld_factor` is 1 for plain pipe or a `WeldType::life_factor`. Pressure at or above burst is refused.
pub fn cycles_to_failure(
    strain: f64,
    pressure_psi: f64,
    od_in: f64,
    wall_in: f64,
    grade: &Grade,
    pressure_factor: &PressureFactor,
    weld_factor: f64,
) -> Result<f64, CalcError> {
    let hoop_ratio = validate_event(pressure_psi, od_in, wall_in, grade, weld_factor)?;
    let n0 = manson_life_cycles(strain, grade.tensile_psi, grade.reduction_of_area)?;
    Ok(n0 * pressure_factor.factor(hoop_ratio) * weld_factor)
}

/// Miner's-rule damage of one bending event (one reversal, half a cycle): 1/(2·N_f), a fraction of life.
///
/// An event whose strain is below the yield strain is elastic: it belongs to high-cycle fatigue, which the
/// LCF model here does not describe (Manson's curve would give it a huge but meaningless life), and at CT
/// strains it is not what retires pipe, so its LCF damage is 0. Inputs are still validated.
pub fn damage_per_event(
    strain: f64,
    pressure_psi: f64,
    od_in: f64,
    wall_in: f64,
    grade: &Grade,
    pressure_factor: &PressureFactor,
    weld_factor: f64,
) -> Result<f64, CalcError> {
    validate_event(pressure_psi, od_in, wall_in, grade, weld_factor)?;
    positive("strain", strain)?;
    if strain < grade.yield_strain() {
        return Ok(0.0);
    }
    let n = cycles_to_failure(
        strain,
        pressure_psi,
        od_in,
        wall_in,
        grade,
        pressure_factor,
        weld_factor,
    )?;
    Ok(0.5 / n)
}

/// Checks the inputs common to every event and answers σ_h/σy.
fn validate_event(
    pressure_psi: f64,
    od_in: f64,
    wall_in: f64,
    grade: &Grade,
    weld_factor: f64,
) -> Result<f64, CalcError> {
    grade.validate()?;
    check(
        "weld_factor",
        weld_factor,
        |k| k > 0.0 && k <= 1.0,
        "must be greater than 0 and at most 1",
    )?;
    let hoop = hoop_stress_psi(pressure_psi, od_in, wall_in)?;
    let burst = burst_pressure_psi(grade.yield_psi, od_in, wall_in)?;
    if pressure_psi >= burst {
        return Err(CalcError::Inconsistent {
            field: "pressure_psi",
            reason: format!("{pressure_psi} psi is at or above the burst pressure of the pipe ({burst:.0} psi)"),
        });
    }
    Ok(hoop / grade.yield_psi)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs()
    }

    fn ct80_example() -> Grade {
        // ENGINEERING.md §1 worked example: CT80, Su 88 ksi, RA 60 %.
        Grade {
            name: "CT80".into(),
            yield_psi: 80_000.0,
            tensile_psi: 88_000.0,
            reduction_of_area: 0.6,
        }
    }

    /// ENGINEERING.md §1 worked example [D]: 1.5 × 0.125 in CT80 at p = 0, regression tolerance 0.5 %.
    #[test]
    fn worked_example_reel_and_arch_lives() {
        let g = ct80_example();
        let reel = bending_strain(1.5, 48.0).unwrap();
        let arch = bending_strain(1.5, 72.0).unwrap();
        assert!(close(reel, 0.015625, 1e-12), "{reel}");
        assert!(close(arch, 0.010416666666666666, 1e-12), "{arch}");
        assert!(close(reel / g.yield_strain(), 5.9, 0.01), "{}", reel / g.yield_strain());
        let n_reel = manson_life_cycles(reel, g.tensile_psi, g.reduction_of_area).unwrap();
        let n_arch = manson_life_cycles(arch, g.tensile_psi, g.reduction_of_area).unwrap();
        assert!(close(n_reel, 1_590.0, 0.005), "{n_reel}");
        assert!(close(n_arch, 3_932.0, 0.005), "{n_arch}");
        // A round trip: 2 reel events + 4 arch events, each 1/(2N).
        let trip = 2.0 * damage_per_event(reel, 0.0, 1.5, 0.125, &g, &PressureFactor::default(), 1.0).unwrap()
            + 4.0 * damage_per_event(arch, 0.0, 1.5, 0.125, &g, &PressureFactor::default(), 1.0).unwrap();
        assert!(close(trip, 1.0 / 1590.0 + 2.0 / 3932.0, 0.005), "{trip}");
        assert!(close(100.0 * trip, 0.114, 0.005), "{}", 100.0 * trip);
        assert_eq!((0.40 / trip).floor(), 351.0, "{}", 0.40 / trip);
    }

    #[test]
    fn manson_root_satisfies_the_equation_to_1e_10() {
        for &(strain, su, ra) in &[
            (0.015625, 88_000.0, 0.6),
            (0.003, 97_000.0, 0.5),
            (0.05, 115_000.0, 0.7),
        ] {
            let n = manson_life_cycles(strain, su, ra).unwrap();
            let df = (1.0_f64 / (1.0 - ra)).ln();
            let back = 3.5 * su / STEEL_E_PSI * n.powf(-0.12) + df.powf(0.6) * n.powf(-0.6);
            assert!(close(back, strain, 1e-10), "{strain}: N {n} gives {back}");
        }
        // Life falls as strain rises.
        let a = manson_life_cycles(0.01, 88_000.0, 0.6).unwrap();
        let b = manson_life_cycles(0.02, 88_000.0, 0.6).unwrap();
        assert!(b < a);
    }

    #[test]
    fn manson_refuses_what_has_no_life() {
        assert_eq!(
            manson_life_cycles(0.0, 88_000.0, 0.6).unwrap_err().field(),
            "strain_range"
        );
        assert_eq!(
            manson_life_cycles(2.0, 88_000.0, 0.6).unwrap_err().field(),
            "strain_range"
        );
        assert_eq!(manson_life_cycles(0.01, -1.0, 0.6).unwrap_err().field(), "tensile_psi");
        assert_eq!(
            manson_life_cycles(0.01, 88_000.0, 1.0).unwrap_err().field(),
            "reduction_of_area"
        );
        assert_eq!(
            manson_life_cycles(f64::NAN, 88_000.0, 0.6).unwrap_err().field(),
            "strain_range"
        );
    }

    /// ENGINEERING.md §1: R_y for 1.25 in, 70 ksi ≈ 22.3 ft.
    #[test]
    fn yield_radius_matches_the_slides() {
        let r_ft = yield_radius_in(1.25, 70_000.0).unwrap() / 12.0;
        assert!(close(r_ft, 22.3, 0.005), "{r_ft}");
        assert!(close(yield_strain(80_000.0).unwrap(), 80_000.0 / 30.0e6, 1e-12));
    }

    #[test]
    fn bending_radius_must_clear_the_pipe() {
        assert_eq!(bending_strain(1.5, 0.75).unwrap_err().field(), "radius_in");
        assert_eq!(bending_strain(0.0, 48.0).unwrap_err().field(), "od_in");
        assert!(bending_strain(1.5, 0.76).is_ok());
    }

    #[test]
    fn weld_factors_and_labels() {
        let f: Vec<f64> = WeldType::ALL.iter().map(|w| w.life_factor()).collect();
        assert_eq!(f, vec![0.80, 0.50, 0.45, 0.35, 0.20, 0.15]);
        assert_eq!(WeldType::TaperedManual.label(), "Tapered manual weld");
        assert_eq!(
            serde_json::to_string(&WeldType::OrbitalButt).unwrap(),
            "\"orbital_butt\""
        );
        let w: WeldType = serde_json::from_str("\"tapered_bias\"").unwrap();
        assert_eq!(w, WeldType::TaperedBias);
    }

    #[test]
    fn grades_validate_and_default_their_ductility() {
        for g in [
            Grade::ct70(),
            Grade::ct80(),
            Grade::ct90(),
            Grade::ct100(),
            Grade::ct110(),
        ] {
            g.validate().unwrap();
            assert!(g.tensile_psi > g.yield_psi, "{}", g.name);
        }
        assert_eq!(Grade::api_5st("ct90"), Some(Grade::ct90()));
        assert_eq!(Grade::api_5st("CT95"), None);
        let g: Grade = serde_json::from_str(r#"{"name":"QT-900","yield_psi":90000,"tensile_psi":97000}"#).unwrap();
        assert_eq!(g.reduction_of_area, 0.6);
        assert!(serde_json::from_str::<Grade>(r#"{"name":"x","yield_psi":1,"tensile_psi":2,"ra":0.5}"#).is_err());
        let mut bad = Grade::ct80();
        bad.tensile_psi = 70_000.0;
        assert_eq!(bad.validate().unwrap_err().field(), "tensile_psi");
        bad = Grade::ct80();
        bad.reduction_of_area = 0.0;
        assert_eq!(bad.validate().unwrap_err().field(), "reduction_of_area");
        bad = Grade::ct80();
        bad.yield_psi = f64::NAN;
        assert_eq!(bad.validate().unwrap_err().field(), "yield_psi");
    }

    #[test]
    fn pressure_factor_interpolates_and_is_validated() {
        let pf = PressureFactor::new(vec![(0.0, 1.0), (0.2, 0.8), (0.6, 0.4)]).unwrap();
        assert_eq!(pf.factor(0.0), 1.0);
        assert_eq!(pf.factor(-1.0), 1.0);
        assert!(close(pf.factor(0.1), 0.9, 1e-12));
        assert!(close(pf.factor(0.4), 0.6, 1e-12));
        assert_eq!(pf.factor(0.2), 0.8);
        assert_eq!(pf.factor(0.9), 0.4);
        let d = PressureFactor::default();
        assert!(close(d.factor(0.8), 0.1, 1e-12));
        assert!(close(d.factor(0.4), 0.55, 1e-12));
        for bad in [
            vec![],
            vec![(0.1, 1.0)],
            vec![(0.0, 0.9)],
            vec![(0.0, 1.0), (0.0, 0.9)],
            vec![(0.0, 1.0), (0.5, 1.1)],
            vec![(0.0, 1.0), (0.5, 0.0)],
            vec![(0.0, 1.0), (f64::NAN, 0.5)],
        ] {
            assert_eq!(
                PressureFactor::new(bad.clone()).unwrap_err().field(),
                "pressure_factor",
                "{bad:?}"
            );
        }
        let json = serde_json::to_string(&pf).unwrap();
        assert_eq!(json, r#"{"points":[[0.0,1.0],[0.2,0.8],[0.6,0.4]]}"#);
        assert_eq!(serde_json::from_str::<PressureFactor>(&json).unwrap(), pf);
        assert!(serde_json::from_str::<PressureFactor>(r#"{"points":[[0.0,1.0],[0.5,2.0]]}"#).is_err());
    }

    #[test]
    fn pressure_shortens_life_and_burst_is_refused() {
        let g = ct80_example();
        let pf = PressureFactor::default();
        let strain = bending_strain(1.5, 72.0).unwrap();
        let n0 = cycles_to_failure(strain, 0.0, 1.5, 0.125, &g, &pf, 1.0).unwrap();
        // 5,000 psi on 1.5 × 0.125: σ_h = 30,000 psi, σ_h/σy = 0.375.
        assert!(close(hoop_stress_psi(5_000.0, 1.5, 0.125).unwrap(), 30_000.0, 1e-12));
        let n5 = cycles_to_failure(strain, 5_000.0, 1.5, 0.125, &g, &pf, 1.0).unwrap();
        assert!(close(n5, n0 * pf.factor(0.375), 1e-12), "{n5} vs {n0}");
        assert!(n5 < n0);
        let welded = cycles_to_failure(strain, 0.0, 1.5, 0.125, &g, &pf, 0.45).unwrap();
        assert!(close(welded, 0.45 * n0, 1e-12));
        // Burst 2·80,000·0.125/1.5 = 13,333 psi.
        assert!(close(
            burst_pressure_psi(80_000.0, 1.5, 0.125).unwrap(),
            13_333.333,
            1e-6
        ));
        let e = cycles_to_failure(strain, 13_400.0, 1.5, 0.125, &g, &pf, 1.0).unwrap_err();
        assert_eq!(e.field(), "pressure_psi");
        assert_eq!(
            cycles_to_failure(strain, -1.0, 1.5, 0.125, &g, &pf, 1.0)
                .unwrap_err()
                .field(),
            "pressure_psi"
        );
        assert_eq!(
            cycles_to_failure(strain, 0.0, 1.5, 0.8, &g, &pf, 1.0)
                .unwrap_err()
                .field(),
            "wall_in"
        );
        assert_eq!(
            cycles_to_failure(strain, 0.0, 1.5, 0.125, &g, &pf, 0.0)
                .unwrap_err()
                .field(),
            "weld_factor"
        );
    }

    #[test]
    fn elastic_bending_does_no_lcf_damage() {
        let g = ct80_example();
        let pf = PressureFactor::default();
        // 1.5 in pipe on a 30 ft radius: ε = 0.21 % < ε_y = 0.27 %.
        let strain = bending_strain(1.5, 360.0).unwrap();
        assert!(strain < g.yield_strain());
        assert_eq!(damage_per_event(strain, 0.0, 1.5, 0.125, &g, &pf, 1.0), Ok(0.0));
        // Still validated.
        assert!(damage_per_event(strain, 0.0, 1.5, 0.125, &g, &pf, 2.0).is_err());
        let plastic = bending_strain(1.5, 48.0).unwrap();
        let d = damage_per_event(plastic, 0.0, 1.5, 0.125, &g, &pf, 1.0).unwrap();
        assert!(close(d, 0.5 / 1590.0, 0.005), "{d}");
    }
}
