//! Inflow performance (ENGINEERING.md §5): Vogel (1968), the productivity index, and the composite
//! straight-line/Vogel IPR fitted to well tests, with its AOF.
//!
//! Owns the inflow arithmetic only: the well-test room picks the approved tests and the live flowing pressure,
//! and the simulator uses the plain Vogel functions (`vogel_rate`, `vogel_qmax_from_test`, `vogel_pwf`).
//! One model covers the three shapes: the composite IPR (Guo eq 3.63) with a bubble point p_b in [0, p̄];
//! p_b = 0 is the straight line (constant PI), p_b = p̄ is pure Vogel with q_max = J·p̄/1.8. Invariants: an
//! `Ipr` built by `Ipr::new` or `fit` has p̄ > 0, 0 ≤ p_b ≤ p̄ and J > 0, so its rate, flowing pressure and AOF
//! are finite; a pressure above p̄ or a rate above the AOF is an error naming the field, never a clamped value.
//! Pressures in psi, rates in STB/d, J in STB/d/psi.

use super::error::{CalcError, check, non_negative, positive};
use serde::{Deserialize, Serialize};

/// The Vogel part of the composite IPR: below p_b the rate adds (J·p_b/1.8)·(1 − 0.2x − 0.8x²). 1.8 is the
/// slope of the Vogel curve at x = 1 (0.2 + 2·0.8), which makes the curve's slope −J at p_b: the straight
/// line and the Vogel part join without a kink.
const VOGEL_SLOPE_AT_PB: f64 = 1.8;

/// Vogel: q/q_max = 1 − 0.2x − 0.8x², x = p_wf/p̄ (saturated reservoir).
pub fn vogel_rate(q_max: f64, p_res_psi: f64, p_wf_psi: f64) -> f64 {
    let x = (p_wf_psi / p_res_psi).clamp(0.0, 1.0);
    q_max * (1.0 - 0.2 * x - 0.8 * x * x)
}

/// q_max from one test point. `None` when the test point cannot define it (p_wf ≥ p̄, p̄ ≤ 0).
pub fn vogel_qmax_from_test(q_test: f64, p_res_psi: f64, p_wf_test_psi: f64) -> Option<f64> {
    if p_res_psi <= 0.0 || p_wf_test_psi >= p_res_psi || p_wf_test_psi < 0.0 {
        return None;
    }
    let x = p_wf_test_psi / p_res_psi;
    Some(q_test / (1.0 - 0.2 * x - 0.8 * x * x))
}

/// Inverse Vogel: flowing pressure for a rate, x = [−0.2 + √(0.04 + 3.2(1 − q/q_max))]/1.6.
pub fn vogel_pwf(q_max: f64, p_res_psi: f64, q: f64) -> f64 {
    let r = (q / q_max).clamp(0.0, 1.0);
    p_res_psi * (-0.2 + (0.04 + 3.2 * (1.0 - r)).sqrt()) / 1.6
}

/// Which shape an IPR has, from where its bubble point lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IprModel {
    /// p_b = 0: q = J(p̄ − p_wf), an undersaturated reservoir all the way down.
    Linear,
    /// p_b = p̄: a saturated reservoir.
    Vogel,
    /// 0 < p_b < p̄: straight line above p_b, Vogel below.
    Composite,
}

/// A composite IPR: reservoir pressure, bubble point and the productivity index above the bubble point.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Ipr {
    pub p_res_psi: f64,
    pub p_b_psi: f64,
    pub j_stb_d_psi: f64,
}

impl Ipr {
    /// Checks p̄ > 0, 0 ≤ p_b ≤ p̄ (a composite IPR with p̄ < p_b has no straight-line part) and J > 0.
    pub fn new(p_res_psi: f64, p_b_psi: f64, j_stb_d_psi: f64) -> Result<Self, CalcError> {
        let p_res_psi = positive("p_res_psi", p_res_psi)?;
        let p_b_psi = check(
            "p_b_psi",
            p_b_psi,
            |p| (0.0..=p_res_psi).contains(&p),
            "must be 0 or more and not above the reservoir pressure (a composite IPR needs p̄ ≥ p_b)",
        )?;
        let j_stb_d_psi = positive("j_stb_d_psi", j_stb_d_psi)?;
        Ok(Self {
            p_res_psi,
            p_b_psi,
            j_stb_d_psi,
        })
    }

    /// Linear when p_b = 0, Vogel when p_b = p̄, Composite between.
    pub fn model(&self) -> IprModel {
        if self.p_b_psi <= 0.0 {
            IprModel::Linear
        } else if self.p_b_psi >= self.p_res_psi {
            IprModel::Vogel
        } else {
            IprModel::Composite
        }
    }

    /// Rate at the flowing bottomhole pressure p_wf, 0 ≤ p_wf ≤ p̄.
    pub fn rate(&self, p_wf_psi: f64) -> Result<f64, CalcError> {
        let p_wf_psi = non_negative("p_wf_psi", p_wf_psi)?;
        let p_wf_psi = check(
            "p_wf_psi",
            p_wf_psi,
            |p| p <= self.p_res_psi,
            "must not be above the reservoir pressure",
        )?;
        Ok(self.rate_at(p_wf_psi))
    }

    /// Flowing bottomhole pressure that gives the rate q, 0 ≤ q ≤ AOF: the straight line inverted above p_b,
    /// the Vogel part inverted below it.
    pub fn pwf(&self, q_stb_d: f64) -> Result<f64, CalcError> {
        let q = non_negative("q_stb_d", q_stb_d)?;
        let q = check(
            "q_stb_d",
            q,
            |q| q <= self.aof_stb_d(),
            "must not be above the absolute open flow (AOF) of the IPR",
        )?;
        let q_at_pb = self.j_stb_d_psi * (self.p_res_psi - self.p_b_psi);
        if q <= q_at_pb {
            return Ok((self.p_res_psi - q / self.j_stb_d_psi).max(0.0));
        }
        // q > q_at_pb happens only with p_b > 0 (else AOF = q_at_pb), so the Vogel q_max below is > 0.
        let q_max = self.vogel_qmax_stb_d();
        let r = ((q - q_at_pb) / q_max).clamp(0.0, 1.0);
        let x = (-0.2 + (0.04 + 3.2 * (1.0 - r)).sqrt()) / 1.6;
        Ok((self.p_b_psi * x).clamp(0.0, self.p_b_psi))
    }

    /// Absolute open flow (rate at p_wf = 0): AOF = J(p̄ − p_b) + J·p_b/1.8.
    pub fn aof_stb_d(&self) -> f64 {
        self.j_stb_d_psi * (self.p_res_psi - self.p_b_psi) + self.vogel_qmax_stb_d()
    }

    /// Vogel q_max equivalent of the part below p_b (J·p_b/1.8), for reports; the AOF for a pure Vogel IPR.
    pub fn vogel_qmax_stb_d(&self) -> f64 {
        self.j_stb_d_psi * self.p_b_psi / VOGEL_SLOPE_AT_PB
    }

    /// n + 1 points [q, p_wf] from p_wf = p̄ (q = 0) down to p_wf = 0 (q = AOF), evenly spaced in pressure, for
    /// plots. n is at least 1.
    pub fn curve(&self, n: usize) -> Vec<[f64; 2]> {
        let n = n.max(1);
        (0..=n)
            .map(|i| {
                let p_wf = self.p_res_psi * (n - i) as f64 / n as f64;
                [self.rate_at(p_wf), p_wf]
            })
            .collect()
    }

    /// The rate at a p_wf already known to be in [0, p̄].
    fn rate_at(&self, p_wf_psi: f64) -> f64 {
        let j = self.j_stb_d_psi;
        if p_wf_psi >= self.p_b_psi {
            return j * (self.p_res_psi - p_wf_psi);
        }
        // p_wf < p_b, so p_b > 0 here.
        let x = p_wf_psi / self.p_b_psi;
        j * (self.p_res_psi - self.p_b_psi) + self.vogel_qmax_stb_d() * (1.0 - 0.2 * x - 0.8 * x * x)
    }
}

/// One stabilized well test: the rate and the flowing bottomhole pressure it was made at.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestPoint {
    pub q_stb_d: f64,
    pub p_wf_psi: f64,
}

/// How J was found from the tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FitMethod {
    /// One test: J = q/g(p_wf).
    OnePoint,
    /// Several tests: least squares through the origin.
    LeastSquares,
}

/// An IPR fitted to well tests.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct IprFit {
    pub ipr: Ipr,
    /// The model asked for (`ipr.model()` tells the shape, e.g. Linear for a composite fit with p_b = 0).
    pub model: IprModel,
    pub method: FitMethod,
    /// How many tests made the fit.
    pub points: usize,
    /// root-mean-square of (q_test − q_fit), STB/d (0 for one point)
    pub rms_residual_stb_d: f64,
}

/// Fits J to the tests. For a fixed p̄ and p_b every model is q = J·g(p_wf) with g the IPR at J = 1, linear in
/// J: one test gives J = q/g (the one-point method), several give least squares through the origin,
/// J = Σq·g/Σg², which minimizes the rate residuals. Linear ignores `p_b_psi` (uses 0), Vogel uses p_b = p̄,
/// Composite needs p_b (None → Inconsistent "p_b_psi"; p_b > p̄ → Invalid "p_b_psi").
/// Errors on the tests name the field "tests" and the test's index: none at all, a rate below 0, p_wf above p̄
/// or equal to it (no drawdown: the PI is undefined), or every rate 0.
pub fn fit(model: IprModel, p_res_psi: f64, p_b_psi: Option<f64>, tests: &[TestPoint]) -> Result<IprFit, CalcError> {
    let p_res_psi = positive("p_res_psi", p_res_psi)?;
    let p_b_psi = match model {
        IprModel::Linear => 0.0,
        IprModel::Vogel => p_res_psi,
        IprModel::Composite => p_b_psi.ok_or_else(|| CalcError::Inconsistent {
            field: "p_b_psi",
            reason: "a composite IPR needs the bubble point pressure".to_string(),
        })?,
    };
    // The IPR at J = 1 is g(p_wf); this also checks p_b against p̄.
    let unit = Ipr::new(p_res_psi, p_b_psi, 1.0)?;
    if tests.is_empty() {
        return Err(tests_error("at least one test is needed to fit an IPR".to_string()));
    }
    let mut sum_qg = 0.0;
    let mut sum_gg = 0.0;
    for (i, t) in tests.iter().enumerate() {
        check_test(i, t, p_res_psi)?;
        let g = unit.rate_at(t.p_wf_psi);
        sum_qg += t.q_stb_d * g;
        sum_gg += g * g;
    }
    // Every test has p_wf < p̄, so every g > 0 and sum_gg > 0.
    let j = sum_qg / sum_gg;
    if !usable(j) {
        return Err(tests_error(
            "every test rate is 0: the well shows no inflow to fit a productivity index to".to_string(),
        ));
    }
    let ipr = Ipr { j_stb_d_psi: j, ..unit };
    let sum_sq: f64 = tests
        .iter()
        .map(|t| (t.q_stb_d - ipr.rate_at(t.p_wf_psi)).powi(2))
        .sum();
    let (method, rms) = if tests.len() == 1 {
        (FitMethod::OnePoint, 0.0)
    } else {
        (FitMethod::LeastSquares, (sum_sq / tests.len() as f64).sqrt())
    };
    Ok(IprFit {
        ipr,
        model,
        method,
        points: tests.len(),
        rms_residual_stb_d: rms,
    })
}

/// Productivity index J = q/(p̄ − p_wf), STB/d/psi. p_wf ≥ p̄ → Invalid "p_wf_psi" (no drawdown).
pub fn productivity_index(q_stb_d: f64, p_res_psi: f64, p_wf_psi: f64) -> Result<f64, CalcError> {
    let q = non_negative("q_stb_d", q_stb_d)?;
    let p_res = positive("p_res_psi", p_res_psi)?;
    let p_wf = non_negative("p_wf_psi", p_wf_psi)?;
    let p_wf = check(
        "p_wf_psi",
        p_wf,
        |p| p < p_res,
        "must be below the reservoir pressure (no drawdown: the PI is undefined)",
    )?;
    Ok(q / (p_res - p_wf))
}

/// A finite number above 0.
fn usable(x: f64) -> bool {
    x.is_finite() && x > 0.0
}

fn tests_error(reason: String) -> CalcError {
    CalcError::Inconsistent { field: "tests", reason }
}

/// One test's rate and pressure against p̄; `i` counts from 0, as the JSON array does.
fn check_test(i: usize, t: &TestPoint, p_res_psi: f64) -> Result<(), CalcError> {
    let (q, p_wf) = (t.q_stb_d, t.p_wf_psi);
    if !q.is_finite() || q < 0.0 {
        return Err(tests_error(format!(
            "test {i}: the rate {q} STB/d must be a finite number, 0 or more"
        )));
    }
    if !p_wf.is_finite() || p_wf < 0.0 {
        return Err(tests_error(format!(
            "test {i}: p_wf {p_wf} psi must be a finite number, 0 or more"
        )));
    }
    if p_wf > p_res_psi {
        return Err(tests_error(format!(
            "test {i}: p_wf {p_wf} psi is above the reservoir pressure {p_res_psi} psi"
        )));
    }
    if p_wf >= p_res_psi {
        return Err(tests_error(format!(
            "test {i}: p_wf equals the reservoir pressure {p_res_psi} psi: no drawdown, the PI is undefined"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vogel_worked_examples() {
        // ENGINEERING.md §5: 65 B/D at 1,500 psi, p̄ 2,000 → q_max 162.5, q(500) 146.25
        let qmax = vogel_qmax_from_test(65.0, 2000.0, 1500.0).unwrap();
        assert!((qmax - 162.5).abs() < 1e-9);
        assert!((vogel_rate(qmax, 2000.0, 500.0) - 146.25).abs() < 1e-9);
        // 800 STB/d at 1,500 psi, p̄ 3,000 → AOF 1,142.9; q(2,000) 584.1; q(1,000) 965.1
        let qmax = vogel_qmax_from_test(800.0, 3000.0, 1500.0).unwrap();
        assert!((qmax - 1142.857).abs() < 0.01);
        assert!((vogel_rate(qmax, 3000.0, 2000.0) - 584.1).abs() < 0.05);
        assert!((vogel_rate(qmax, 3000.0, 1000.0) - 965.1).abs() < 0.05);
    }

    #[test]
    fn inverse_round_trips() {
        for pwf in [0.0, 250.0, 1000.0, 1999.0] {
            let q = vogel_rate(500.0, 2000.0, pwf);
            assert!((vogel_pwf(500.0, 2000.0, q) - pwf).abs() < 1e-6);
        }
    }

    #[test]
    fn invalid_test_points_are_refused() {
        assert_eq!(vogel_qmax_from_test(10.0, 2000.0, 2000.0), None);
        assert_eq!(vogel_qmax_from_test(10.0, 2000.0, 2500.0), None);
    }

    fn rel(a: f64, b: f64) -> f64 {
        (a - b).abs() / b.abs().max(1e-300)
    }

    fn one(q_stb_d: f64, p_wf_psi: f64) -> [TestPoint; 1] {
        [TestPoint { q_stb_d, p_wf_psi }]
    }

    #[test]
    fn vogel_worked_examples_through_the_fit() {
        // ENGINEERING.md §5: 65 B/D at 1,500 psi, p̄ 2,000 → q_max 162.5, q(500) 146.25
        let f = fit(IprModel::Vogel, 2000.0, None, &one(65.0, 1500.0)).unwrap();
        assert_eq!((f.method, f.model, f.points), (FitMethod::OnePoint, IprModel::Vogel, 1));
        assert_eq!(f.ipr.model(), IprModel::Vogel);
        assert_eq!(f.rms_residual_stb_d, 0.0);
        assert!(rel(f.ipr.aof_stb_d(), 162.5) < 1e-9);
        assert!(rel(f.ipr.vogel_qmax_stb_d(), 162.5) < 1e-9);
        assert!(rel(f.ipr.rate(500.0).unwrap(), 146.25) < 1e-9);
        assert!(rel(f.ipr.rate(1500.0).unwrap(), 65.0) < 1e-9);
        // 800 STB/d at 1,500 psi, p̄ 3,000 → AOF 1,142.9; q(2,000) 584.1; q(1,000) 965.1
        let f = fit(IprModel::Vogel, 3000.0, None, &one(800.0, 1500.0)).unwrap();
        assert!((f.ipr.aof_stb_d() - 1142.857).abs() < 0.001);
        assert!((f.ipr.rate(2000.0).unwrap() - 584.1).abs() < 0.05);
        assert!((f.ipr.rate(1000.0).unwrap() - 965.1).abs() < 0.05);
        // the same numbers as the simulator's plain Vogel functions
        let q_max = vogel_qmax_from_test(800.0, 3000.0, 1500.0).unwrap();
        for p_wf in [0.0, 700.0, 2000.0, 2999.0] {
            assert!((f.ipr.rate(p_wf).unwrap() - vogel_rate(q_max, 3000.0, p_wf)).abs() < 1e-9);
        }
    }

    #[test]
    fn linear_ipr_is_the_productivity_index() {
        assert!(rel(productivity_index(300.0, 2000.0, 1400.0).unwrap(), 0.5) < 1e-14);
        // Linear ignores a bubble point given to it
        let f = fit(IprModel::Linear, 2000.0, Some(1500.0), &one(300.0, 1400.0)).unwrap();
        assert_eq!(f.ipr.model(), IprModel::Linear);
        assert_eq!(f.ipr.p_b_psi, 0.0);
        assert!(rel(f.ipr.j_stb_d_psi, 0.5) < 1e-14);
        assert!(rel(f.ipr.aof_stb_d(), 1000.0) < 1e-14);
        assert_eq!(f.ipr.vogel_qmax_stb_d(), 0.0);
        assert!(rel(f.ipr.rate(1000.0).unwrap(), 500.0) < 1e-14);
        assert!(rel(f.ipr.pwf(500.0).unwrap(), 1000.0) < 1e-14);
        assert_eq!(f.ipr.pwf(1000.0).unwrap(), 0.0);
    }

    #[test]
    fn composite_joins_the_line_at_the_bubble_point() {
        let ipr = Ipr::new(3000.0, 2000.0, 1.2).unwrap();
        assert_eq!(ipr.model(), IprModel::Composite);
        // AOF = J(p̄ − p_b) + J·p_b/1.8
        assert!(rel(ipr.aof_stb_d(), 1.2 * 1000.0 + 1.2 * 2000.0 / 1.8) < 1e-14);
        assert!(rel(ipr.rate(0.0).unwrap(), ipr.aof_stb_d()) < 1e-14);
        assert_eq!(ipr.rate(3000.0).unwrap(), 0.0);
        // continuous value and slope (−J) at p_b
        let at_pb = ipr.rate(2000.0).unwrap();
        assert!(rel(at_pb, 1200.0) < 1e-14);
        let h = 1e-3;
        let above = ipr.rate(2000.0 + h).unwrap();
        let below = ipr.rate(2000.0 - h).unwrap();
        assert!((below - at_pb).abs() < 1.2 * h * 1.001);
        assert!(rel((at_pb - above) / h, 1.2) < 1e-6);
        assert!(rel((below - at_pb) / h, 1.2) < 1e-3);
        // the Vogel part below p_b: q(1000) = J(p̄ − p_b) + J·p_b/1.8·(1 − 0.1 − 0.2)
        let q_1000 = 1200.0 + 1.2 * 2000.0 / 1.8 * 0.7;
        assert!(rel(ipr.rate(1000.0).unwrap(), q_1000) < 1e-12);
    }

    #[test]
    fn flowing_pressure_inverts_the_rate_on_both_sides_of_the_bubble_point() {
        for (p_b, j) in [(0.0, 0.8), (1500.0, 1.2), (2500.0, 0.3), (3000.0, 2.0)] {
            let ipr = Ipr::new(3000.0, p_b, j).unwrap();
            for p_wf in [0.0, 10.0, 999.0, 1499.0, 1500.0, 1501.0, 2400.0, 2999.0, 3000.0] {
                let q = ipr.rate(p_wf).unwrap();
                let back = ipr.pwf(q).unwrap();
                assert!((back - p_wf).abs() < 1e-6, "p_b {p_b}: p_wf {p_wf} → q {q} → {back}");
            }
            assert!(ipr.pwf(ipr.aof_stb_d()).unwrap() < 1e-9);
            assert_eq!(ipr.pwf(0.0).unwrap(), 3000.0);
        }
    }

    #[test]
    fn the_curve_runs_from_shut_in_to_open_flow() {
        let ipr = Ipr::new(3000.0, 2000.0, 1.2).unwrap();
        let c = ipr.curve(30);
        assert_eq!(c.len(), 31);
        assert_eq!(c[0], [0.0, 3000.0]);
        assert_eq!(c[30][1], 0.0);
        assert!(rel(c[30][0], ipr.aof_stb_d()) < 1e-14);
        assert!(c.windows(2).all(|w| w[1][0] > w[0][0] && w[1][1] < w[0][1]));
        assert_eq!(ipr.curve(0).len(), 2);
    }

    #[test]
    fn least_squares_recovers_j_from_exact_tests() {
        let truth = Ipr::new(3000.0, 2000.0, 1.2).unwrap();
        let tests: Vec<TestPoint> = [2500.0, 1800.0, 1200.0, 600.0]
            .iter()
            .map(|&p_wf_psi| TestPoint {
                q_stb_d: truth.rate(p_wf_psi).unwrap(),
                p_wf_psi,
            })
            .collect();
        let f = fit(IprModel::Composite, 3000.0, Some(2000.0), &tests).unwrap();
        assert_eq!(
            (f.method, f.points, f.model),
            (FitMethod::LeastSquares, 4, IprModel::Composite)
        );
        assert!(rel(f.ipr.j_stb_d_psi, 1.2) < 1e-12);
        assert!(f.rms_residual_stb_d < 1e-9);
        // ±5 % on the rates: J stays within 5 %, and the residual is seen
        let noisy: Vec<TestPoint> = tests
            .iter()
            .zip([1.05, 0.95, 1.03, 0.97])
            .map(|(t, k)| TestPoint {
                q_stb_d: t.q_stb_d * k,
                ..*t
            })
            .collect();
        let f = fit(IprModel::Composite, 3000.0, Some(2000.0), &noisy).unwrap();
        assert!(rel(f.ipr.j_stb_d_psi, 1.2) < 0.05);
        assert!(f.rms_residual_stb_d > 1.0);
        // the same points through the Vogel model: J from the same normal equation
        let f = fit(IprModel::Vogel, 3000.0, None, &tests).unwrap();
        assert_eq!(f.ipr.p_b_psi, 3000.0);
        assert!(f.rms_residual_stb_d > 0.0);
    }

    #[test]
    fn invalid_inputs_name_their_field() {
        // composite with p̄ < p_b
        let e = Ipr::new(2000.0, 2500.0, 1.0).unwrap_err();
        assert!(matches!(e, CalcError::Invalid { field: "p_b_psi", .. }), "{e:?}");
        let e = fit(IprModel::Composite, 2000.0, Some(2500.0), &one(65.0, 1500.0)).unwrap_err();
        assert!(matches!(e, CalcError::Invalid { field: "p_b_psi", .. }), "{e:?}");
        let e = fit(IprModel::Composite, 2000.0, None, &one(65.0, 1500.0)).unwrap_err();
        assert!(matches!(e, CalcError::Inconsistent { field: "p_b_psi", .. }), "{e:?}");
        assert_eq!(Ipr::new(0.0, 0.0, 1.0).unwrap_err().field(), "p_res_psi");
        assert_eq!(Ipr::new(2000.0, -1.0, 1.0).unwrap_err().field(), "p_b_psi");
        assert_eq!(Ipr::new(2000.0, 0.0, 0.0).unwrap_err().field(), "j_stb_d_psi");
        // p_wf > p̄
        let ipr = Ipr::new(2000.0, 1000.0, 1.0).unwrap();
        let e = ipr.rate(2100.0).unwrap_err();
        assert!(matches!(e, CalcError::Invalid { field: "p_wf_psi", .. }), "{e:?}");
        assert_eq!(ipr.rate(-1.0).unwrap_err().field(), "p_wf_psi");
        assert_eq!(ipr.rate(f64::NAN).unwrap_err().field(), "p_wf_psi");
        assert_eq!(ipr.pwf(ipr.aof_stb_d() * 1.001).unwrap_err().field(), "q_stb_d");
        assert_eq!(ipr.pwf(-1.0).unwrap_err().field(), "q_stb_d");
        assert_eq!(
            productivity_index(100.0, 2000.0, 2100.0).unwrap_err().field(),
            "p_wf_psi"
        );
        // p_wf = p̄: no drawdown
        assert_eq!(
            productivity_index(100.0, 2000.0, 2000.0).unwrap_err().field(),
            "p_wf_psi"
        );
        // the tests: each error names "tests" and says which test and why
        let cases: [(&[TestPoint], &str); 6] = [
            (&[], "at least one test"),
            (
                &one(65.0, 2100.0),
                "test 0: p_wf 2100 psi is above the reservoir pressure 2000 psi",
            ),
            (&one(65.0, 2000.0), "no drawdown"),
            (
                &[
                    TestPoint {
                        q_stb_d: 65.0,
                        p_wf_psi: 1500.0,
                    },
                    TestPoint {
                        q_stb_d: -1.0,
                        p_wf_psi: 1000.0,
                    },
                ],
                "test 1: the rate -1",
            ),
            (&one(65.0, f64::NAN), "test 0: p_wf NaN"),
            (&one(0.0, 1500.0), "every test rate is 0"),
        ];
        for (tests, reason) in cases {
            match fit(IprModel::Vogel, 2000.0, None, tests).unwrap_err() {
                CalcError::Inconsistent { field, reason: r } => {
                    assert_eq!(field, "tests");
                    assert!(r.contains(reason), "{r:?} should say {reason:?}");
                }
                e => panic!("{e:?}"),
            }
        }
    }

    #[test]
    fn json_shapes() {
        let t: TestPoint = serde_json::from_str(r#"{"q_stb_d": 65, "p_wf_psi": 1500}"#).unwrap();
        assert_eq!(
            t,
            TestPoint {
                q_stb_d: 65.0,
                p_wf_psi: 1500.0
            }
        );
        assert!(serde_json::from_str::<TestPoint>(r#"{"q_stb_d": 65, "p_wf": 1500}"#).is_err());
        let m: IprModel = serde_json::from_str(r#""composite""#).unwrap();
        assert_eq!(m, IprModel::Composite);
        assert_eq!(
            serde_json::to_string(&FitMethod::LeastSquares).unwrap(),
            r#""least_squares""#
        );
    }

    proptest::proptest! {
        #[test]
        fn rate_is_monotonic_and_inverts(
            p_res in 100.0f64..10_000.0,
            b_frac in 0.0f64..=1.0,
            j in 0.01f64..50.0,
            x1 in 0.0f64..=1.0,
            x2 in 0.0f64..=1.0,
        ) {
            let ipr = Ipr::new(p_res, p_res * b_frac, j).unwrap();
            let (lo, hi) = if x1 <= x2 { (x1, x2) } else { (x2, x1) };
            let (q_lo, q_hi) = (ipr.rate(p_res * lo).unwrap(), ipr.rate(p_res * hi).unwrap());
            proptest::prop_assert!(q_lo >= q_hi && q_lo <= ipr.aof_stb_d() * (1.0 + 1e-12));
            let back = ipr.pwf(q_lo.min(ipr.aof_stb_d())).unwrap();
            proptest::prop_assert!((back - p_res * lo).abs() < 1e-6 * p_res);
        }
    }
}
