//! Arps decline curves (ENGINEERING.md §5): rate, cumulative, time to an economic limit and EUR of the
//! exponential, harmonic, hyperbolic and modified hyperbolic declines; nominal and secant-effective declines;
//! the least-squares fit of a curve to a well's daily rates, and the forecast from it.
//!
//! Units: time in days, rates per day in any volume unit (STB/d, Mscf/d; a cumulative is that unit × days),
//! decline rates nominal per day inside, per year (365.25 days) only where a name says so.
//!
//! Invariants: every public function validates its inputs and answers `CalcError` naming the field, never NaN
//! or infinity. b = 0 and b = 1 have their own closed forms (no 1/b, no 1/(1 − b)); the hyperbolic forms use
//! `ln_1p`/`exp_m1`, so they tend smoothly to both as b → 0 and b → 1 (tested). b > 1 only with a terminal
//! decline: the modified hyperbolic turns exponential at `d_min` when the instantaneous decline D/(1 + bDt)
//! falls to it, which keeps the EUR finite.
//!
//! The fit minimises Σ(ln q − ln q̂)²: rates span decades, and on ln q every point weighs the same relative
//! error (what a semilog plot shows). Must not read the historian or know a well: the caller picks the points.

use super::error::{CalcError, check, finite, non_negative, positive};
use serde::{Deserialize, Serialize};

/// Days in a year, for annual declines: nominal per year = nominal per day × 365.25.
pub const DAYS_PER_YEAR: f64 = 365.25;
/// Largest b accepted: published fits of tight and shale wells reach 2–3; more means a bad fit.
const MAX_B: f64 = 5.0;
/// Lower end of a hyperbolic fit's search for b. Below it the curve is the exponential one to a few parts
/// in 10⁴ over any real span, and the exponential (b = 0) is compared on its own.
const B_SEARCH_MIN: f64 = 0.01;
/// Width of b's bracket where the golden-section search hands over to Gauss-Newton on all three parameters
/// (which then converges in a few steps): about 9 profile evaluations on [0.01, 1].
const GOLDEN_WIDTH: f64 = 0.02;
/// Step-size tolerances (in ln qi, ln D and b) of Gauss-Newton: loose inside the search (only the ordering
/// of the profile's SSE matters there), tight for the answer (1e-10 in ln D is 1e-10 relative).
const COARSE_TOL: f64 = 1e-6;
const FINE_TOL: f64 = 1e-10;
/// Gauss-Newton iterations at most; a well-posed decline converges in well under 10.
const MAX_GN_ITERATIONS: usize = 60;
/// Largest step in ln D (a factor e² per iteration) and in b: far from the minimum the linear model
/// overshoots, and an unbounded step can overflow e^(ln D).
const MAX_LN_D_STEP: f64 = 2.0;
const MAX_B_STEP: f64 = 0.5;
/// Points of a forecast's curve, for plots.
const CURVE_POINTS: usize = 200;

/// The shape of an Arps decline, by its exponent b.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeclineKind {
    /// b = 0: constant decline.
    Exponential,
    /// b = 1.
    Harmonic,
    /// 0 < b, b ≠ 1 (b > 1 with a terminal decline).
    Hyperbolic,
}

/// An Arps decline: q = qi·(1 + b·Di·t)^(−1/b), exponential qi·e^(−Di·t) at b = 0, optionally turning
/// exponential at a terminal decline (modified hyperbolic).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Arps {
    /// Rate at t = 0, > 0.
    pub qi: f64,
    /// Nominal initial decline, per day, > 0.
    pub di_per_day: f64,
    /// 0 ..= 5; b = 0 exponential, b = 1 harmonic (own branches, no 1/b or 1/(1 − b)).
    pub b: f64,
    /// Terminal (minimum) nominal decline, per day: modified hyperbolic switches to exponential when the
    /// instantaneous decline D/(1 + bDt) falls to it. Required when b > 1 (else EUR infinite).
    pub d_min_per_day: Option<f64>,
}

/// Where a modified hyperbolic turns exponential: the day, the rate then, and the terminal decline.
struct Terminal {
    t_days: f64,
    q: f64,
    d_per_day: f64,
}

impl Arps {
    /// A validated decline. Errors: qi, di_per_day ≤ 0; b outside 0..=5; d_min_per_day ≤ 0 or ≥ di_per_day;
    /// b > 1 without a terminal decline (Inconsistent "b").
    pub fn new(qi: f64, di_per_day: f64, b: f64, d_min_per_day: Option<f64>) -> Result<Self, CalcError> {
        positive("qi", qi)?;
        positive("di_per_day", di_per_day)?;
        check_b("b", b)?;
        if let Some(d_min) = d_min_per_day {
            positive("d_min_per_day", d_min)?;
            check(
                "d_min_per_day",
                d_min,
                |v| v < di_per_day,
                "must be below the initial decline di_per_day (the terminal decline is where it ends)",
            )?;
        }
        if b > 1.0 && d_min_per_day.is_none() {
            return Err(CalcError::Inconsistent {
                field: "b",
                reason: "b > 1 needs a terminal decline (d_min): its EUR is infinite".into(),
            });
        }
        Ok(Self {
            qi,
            di_per_day,
            b,
            d_min_per_day,
        })
    }

    /// Exponential at b = 0, harmonic at b = 1, hyperbolic otherwise.
    pub fn kind(&self) -> DeclineKind {
        if self.b == 0.0 {
            DeclineKind::Exponential
        } else if self.b == 1.0 {
            DeclineKind::Harmonic
        } else {
            DeclineKind::Hyperbolic
        }
    }

    /// The switch to the terminal decline, if there is one: only a hyperbolic or harmonic decline falls to
    /// it (an exponential keeps its decline), at t = (Di/D_min − 1)/(b·Di).
    fn terminal(&self) -> Option<Terminal> {
        let d_min = self.d_min_per_day?;
        (self.b > 0.0 && d_min > 0.0 && d_min < self.di_per_day).then(|| {
            let t_days = (self.di_per_day / d_min - 1.0) / (self.b * self.di_per_day);
            Terminal {
                t_days,
                q: self.qi * rate_ratio(self.di_per_day, self.b, t_days),
                d_per_day: d_min,
            }
        })
    }

    /// Rate at t days (a negative t is taken as 0).
    pub fn rate(&self, t_days: f64) -> f64 {
        let t = t_days.max(0.0);
        match self.terminal() {
            Some(s) if t > s.t_days => s.q * (-s.d_per_day * (t - s.t_days)).exp(),
            _ => self.qi * rate_ratio(self.di_per_day, self.b, t),
        }
    }

    /// Cumulative production Np from 0 to t days (rate unit × days; a negative t is taken as 0).
    pub fn cumulative(&self, t_days: f64) -> f64 {
        let t = t_days.max(0.0);
        match self.terminal() {
            Some(s) if t > s.t_days => {
                let before = self.qi * cumulative_ratio(self.di_per_day, self.b, s.t_days);
                before - s.q * (-s.d_per_day * (t - s.t_days)).exp_m1() / s.d_per_day
            }
            _ => self.qi * cumulative_ratio(self.di_per_day, self.b, t),
        }
    }

    /// Days from t = 0 until the rate falls to q_el. Errors: q_el ≤ 0, q_el ≥ qi (Invalid "q_el").
    pub fn time_to_rate(&self, q_el: f64) -> Result<f64, CalcError> {
        positive("q_el", q_el)?;
        check("q_el", q_el, |v| v < self.qi, "must be below the initial rate")?;
        let t = match self.terminal() {
            Some(s) if q_el < s.q => s.t_days + (s.q / q_el).ln() / s.d_per_day,
            _ => time_to_ratio(self.di_per_day, self.b, (self.qi / q_el).ln()),
        };
        if t.is_finite() {
            Ok(t)
        } else {
            Err(CalcError::Inconsistent {
                field: "q_el",
                reason: format!("the decline does not reach {q_el} in a finite time: raise the limit"),
            })
        }
    }

    /// EUR = Np at q_el (from t = 0). Errors as `time_to_rate`.
    pub fn eur(&self, q_el: f64) -> Result<f64, CalcError> {
        let t = self.time_to_rate(q_el)?;
        let np = self.cumulative(t);
        if np.is_finite() {
            Ok(np)
        } else {
            Err(CalcError::Inconsistent {
                field: "q_el",
                reason: format!("the cumulative to {q_el} is not a finite number: raise the limit"),
            })
        }
    }
}

/// b within 0..=5.
fn check_b(field: &'static str, b: f64) -> Result<f64, CalcError> {
    check(field, b, |v| (0.0..=MAX_B).contains(&v), "must be between 0 and 5")
}

/// q/qi of the curve without terminal decline: e^(−Dt), 1/(1 + Dt), (1 + bDt)^(−1/b).
fn rate_ratio(d: f64, b: f64, t: f64) -> f64 {
    if b == 0.0 {
        (-d * t).exp()
    } else if b == 1.0 {
        1.0 / (1.0 + d * t)
    } else {
        (-(b * d * t).ln_1p() / b).exp()
    }
}

/// Np/qi of the curve without terminal decline: (1 − e^(−Dt))/D, ln(1 + Dt)/D,
/// [1 − (q/qi)^(1−b)]/((1 − b)·D) with (q/qi)^(1−b) = e^(−(1−b)·ln(1 + bDt)/b).
fn cumulative_ratio(d: f64, b: f64, t: f64) -> f64 {
    if b == 0.0 {
        -(-d * t).exp_m1() / d
    } else if b == 1.0 {
        (d * t).ln_1p() / d
    } else {
        let one_minus_b = 1.0 - b;
        // exp_m1 keeps the bracket exact as b → 1, where it and (1 − b) both vanish.
        -(-one_minus_b * (b * d * t).ln_1p() / b).exp_m1() / (one_minus_b * d)
    }
}

/// Days for the curve without terminal decline to fall by ln(qi/q) = `ln_ratio`: ln(qi/q)/D,
/// (qi/q − 1)/D, ((qi/q)^b − 1)/(b·D).
fn time_to_ratio(d: f64, b: f64, ln_ratio: f64) -> f64 {
    if b == 0.0 {
        ln_ratio / d
    } else if b == 1.0 {
        ln_ratio.exp_m1() / d
    } else {
        (b * ln_ratio).exp_m1() / (b * d)
    }
}

/// Secant-effective decline over one year from the nominal annual decline: D_sec = 1 − (1 + b·D_nom)^(−1/b);
/// b = 0: 1 − e^(−D_nom). Fields "d_nom_per_year", "b".
pub fn secant_effective(d_nom_per_year: f64, b: f64) -> Result<f64, CalcError> {
    positive("d_nom_per_year", d_nom_per_year)?;
    check_b("b", b)?;
    Ok(if b == 0.0 {
        -(-d_nom_per_year).exp_m1()
    } else {
        -(-(b * d_nom_per_year).ln_1p() / b).exp_m1()
    })
}

/// Inverse of secant_effective: D_nom = ((1 − D_sec)^(−b) − 1)/b; b = 0: −ln(1 − D_sec).
/// Fields "d_sec_per_year" (a fraction between 0 and 1), "b".
pub fn nominal_from_secant(d_sec: f64, b: f64) -> Result<f64, CalcError> {
    check(
        "d_sec_per_year",
        d_sec,
        |v| v > 0.0 && v < 1.0,
        "must be a fraction per year above 0 and below 1",
    )?;
    check_b("b", b)?;
    let ln_kept = (-d_sec).ln_1p(); // ln(1 − D_sec) < 0
    Ok(if b == 0.0 {
        -ln_kept
    } else {
        (-b * ln_kept).exp_m1() / b
    })
}

/// How to fit a decline.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FitOptions {
    pub kind: DeclineKind,
    /// Upper bound for b in a hyperbolic fit (default 1.0; above 1 needs d_min_per_year).
    #[serde(default = "default_b_max")]
    pub b_max: f64,
    /// Terminal decline, nominal per year (e.g. 0.06), applied to the fitted curve.
    #[serde(default)]
    pub d_min_per_year: Option<f64>,
}

fn default_b_max() -> f64 {
    1.0
}

/// A decline fitted to rates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeclineFit {
    pub arps: Arps,
    /// The day the fit's t = 0 is (the first used point's t): rate(t - t0_days).
    pub t0_days: f64,
    pub used: usize,
    /// points left out: excluded by the engineer, or rate <= 0 / non-finite
    pub excluded: usize,
    /// R² of ln q (fit quality), and RMS of the rate residuals (rate unit)
    pub r2_log: f64,
    pub rms_residual: f64,
}

/// The points a fit uses, gathered once: days since the first (x), ln q (y) and q.
struct Points {
    x: Vec<f64>,
    y: Vec<f64>,
    q: Vec<f64>,
}

impl Points {
    fn n(&self) -> f64 {
        self.x.len() as f64
    }
}

/// A candidate curve: ln qi, ln Di (so Di stays > 0 whatever a step does), b and its SSE on ln q.
#[derive(Debug, Clone, Copy)]
struct Solution {
    ln_qi: f64,
    ln_d: f64,
    b: f64,
    sse: f64,
}

/// Least squares on ln q. Exponential: linear regression of ln q on t. Harmonic/hyperbolic: for fixed b,
/// Gauss-Newton on (ln qi, ln Di) minimising Σ(ln q − ln q̂)², started from the linearisation
/// q^(−b) = qi^(−b)(1 + bDt); hyperbolic: b by golden-section search on [0.01, b_max], finished by
/// Gauss-Newton on all three, then compared with the exponential (b = 0), which wins a tie.
/// `excluded[i] == true` leaves point i out (len must equal t's; else Inconsistent "excluded"). t and q the
/// same length (Inconsistent "q_rate"). Fewer than 3 usable points → Inconsistent "q_rate". t must be
/// non-decreasing ("t_days"). A flat or rising trend → Inconsistent "q_rate". b_max above 1 without
/// d_min_per_year → Inconsistent "d_min_per_year"; a terminal decline not below the fitted initial decline
/// → Inconsistent "d_min_per_year".
pub fn fit(t_days: &[f64], q: &[f64], excluded: &[bool], opts: &FitOptions) -> Result<DeclineFit, CalcError> {
    let d_min_per_day = fit_options(opts)?;
    let (t0_days, pts) = usable_points(t_days, q, excluded)?;
    let exponential = fit_exponential(&pts)?;
    let best = match opts.kind {
        DeclineKind::Exponential => exponential,
        DeclineKind::Harmonic => gauss_newton(&pts, linearised_start(&pts, 1.0, exponential), None, FINE_TOL),
        DeclineKind::Hyperbolic => {
            let hyperbolic = search_b(&pts, B_SEARCH_MIN, opts.b_max, exponential);
            if exponential.sse <= hyperbolic.sse {
                exponential
            } else {
                hyperbolic
            }
        }
    };
    let qi = best.ln_qi.exp();
    let di = best.ln_d.exp();
    if !(qi.is_finite() && di.is_finite() && qi > 0.0 && di > 0.0) {
        return Err(CalcError::Inconsistent {
            field: "q_rate",
            reason: "the fit found no finite decline in these rates: check the window and the outliers".into(),
        });
    }
    if let Some(d_min) = d_min_per_day
        && d_min >= di
    {
        return Err(CalcError::Inconsistent {
            field: "d_min_per_year",
            reason: format!(
                "the terminal decline {:.4}/year is not below the fitted initial decline {:.4}/year: \
                 lower it or leave it out",
                d_min * DAYS_PER_YEAR,
                di * DAYS_PER_YEAR
            ),
        });
    }
    let arps = Arps::new(qi, di, best.b, d_min_per_day)?;
    let (r2_log, rms_residual) = goodness(&pts, &arps);
    Ok(DeclineFit {
        arps,
        t0_days,
        used: pts.x.len(),
        excluded: t_days.len() - pts.x.len(),
        r2_log,
        rms_residual,
    })
}

/// Checks the options; answers the terminal decline per day.
fn fit_options(opts: &FitOptions) -> Result<Option<f64>, CalcError> {
    let d_min = opts.d_min_per_year.map(|d| positive("d_min_per_year", d)).transpose()?;
    if opts.kind == DeclineKind::Hyperbolic {
        check(
            "b_max",
            opts.b_max,
            |v| (B_SEARCH_MIN..=MAX_B).contains(&v),
            "must be between 0.01 and 5",
        )?;
        if opts.b_max > 1.0 && d_min.is_none() {
            return Err(CalcError::Inconsistent {
                field: "d_min_per_year",
                reason: format!(
                    "b above 1 needs a terminal decline (b_max is {}): its EUR is infinite without one",
                    opts.b_max
                ),
            });
        }
    }
    Ok(d_min.map(|d| d / DAYS_PER_YEAR))
}

/// The points not excluded, with a finite day and a finite rate above 0, as days since the first of them.
fn usable_points(t_days: &[f64], q: &[f64], excluded: &[bool]) -> Result<(f64, Points), CalcError> {
    if q.len() != t_days.len() {
        return Err(CalcError::Inconsistent {
            field: "q_rate",
            reason: format!("{} rates for {} days: one rate per day", q.len(), t_days.len()),
        });
    }
    if excluded.len() != t_days.len() {
        return Err(CalcError::Inconsistent {
            field: "excluded",
            reason: format!(
                "{} exclusion flags for {} points: one flag per point",
                excluded.len(),
                t_days.len()
            ),
        });
    }
    let mut last = f64::NEG_INFINITY;
    for (i, &t) in t_days.iter().enumerate() {
        if t.is_finite() {
            if t < last {
                return Err(CalcError::Inconsistent {
                    field: "t_days",
                    reason: format!(
                        "point {i} (day {t}) comes before the point ahead of it (day {last}): days must not decrease"
                    ),
                });
            }
            last = t;
        }
    }
    let mut pts = Points {
        x: Vec::with_capacity(t_days.len()),
        y: Vec::with_capacity(t_days.len()),
        q: Vec::with_capacity(t_days.len()),
    };
    let mut t0 = 0.0;
    for ((&t, &rate), &left_out) in t_days.iter().zip(q).zip(excluded) {
        if left_out || !t.is_finite() || !rate.is_finite() || rate <= 0.0 {
            continue;
        }
        if pts.x.is_empty() {
            t0 = t;
        }
        pts.x.push(t - t0);
        pts.y.push(rate.ln());
        pts.q.push(rate);
    }
    if pts.x.len() < 3 {
        return Err(CalcError::Inconsistent {
            field: "q_rate",
            reason: format!(
                "a decline fit needs at least 3 points with a rate above 0, got {}",
                pts.x.len()
            ),
        });
    }
    Ok((t0, pts))
}

/// The exponential in closed form: ln q = ln qi − D·t by linear regression. Also the guard every kind
/// passes: the rates must span time and fall.
fn fit_exponential(pts: &Points) -> Result<Solution, CalcError> {
    let n = pts.n();
    let x_mean = pts.x.iter().sum::<f64>() / n;
    let y_mean = pts.y.iter().sum::<f64>() / n;
    let (mut sxx, mut sxy) = (0.0, 0.0);
    for (&x, &y) in pts.x.iter().zip(&pts.y) {
        let dx = x - x_mean;
        sxx += dx * dx;
        sxy += dx * (y - y_mean);
    }
    if sxx <= 0.0 {
        return Err(CalcError::Inconsistent {
            field: "t_days",
            reason: "every point used is on the same day: a decline needs rates over time".into(),
        });
    }
    let slope = sxy / sxx;
    if slope.is_nan() || slope >= 0.0 {
        return Err(CalcError::Inconsistent {
            field: "q_rate",
            reason: format!(
                "the rates do not decline: their trend is flat or rising ({:+.3}%/year): choose a window \
                 after the peak",
                slope * DAYS_PER_YEAR * 100.0
            ),
        });
    }
    let ln_qi = y_mean - slope * x_mean;
    let sse = pts
        .x
        .iter()
        .zip(&pts.y)
        .map(|(&x, &y)| {
            let r = y - ln_qi - slope * x;
            r * r
        })
        .sum();
    Ok(Solution {
        ln_qi,
        ln_d: (-slope).ln(),
        b: 0.0,
        sse,
    })
}

/// Start of a fixed-b fit from the linearisation q^(−b) = qi^(−b)·(1 + b·D·t), a straight line in t:
/// intercept α = qi^(−b), slope β = α·b·D. Falls back to `fallback`'s qi and D (the exponential's) when the
/// line does not give a positive qi and D.
fn linearised_start(pts: &Points, b: f64, fallback: Solution) -> Solution {
    let n = pts.n();
    let x_mean = pts.x.iter().sum::<f64>() / n;
    let (mut sxx, mut sxz, mut sz) = (0.0, 0.0, 0.0);
    for (&x, &y) in pts.x.iter().zip(&pts.y) {
        let z = (-b * y).exp();
        let dx = x - x_mean;
        sxx += dx * dx;
        sxz += dx * z;
        sz += z;
    }
    let beta = sxz / sxx;
    let alpha = sz / n - beta * x_mean;
    let ln_qi = -alpha.ln() / b;
    let ln_d = (beta / (alpha * b)).ln();
    if alpha > 0.0 && beta > 0.0 && ln_qi.is_finite() && ln_d.is_finite() {
        Solution {
            ln_qi,
            ln_d,
            b,
            sse: f64::INFINITY,
        }
    } else {
        Solution { b, ..fallback }
    }
}

/// One pass over the points at (ln qi, D, b > 0): the SSE on ln q and the sums of the Gauss-Newton normal
/// equations, with the model ln q̂ = ln qi − ln(1 + u)/b, u = b·D·t, whose derivatives are
/// ∂/∂ln qi = 1, ∂/∂ln D = −D·t/(1 + u) (h), ∂/∂b = (ln(1 + u) − u/(1 + u))/b² (k).
#[derive(Default)]
struct Sums {
    sse: f64,
    n: f64,
    h: f64,
    k: f64,
    hh: f64,
    hk: f64,
    kk: f64,
    r: f64,
    hr: f64,
    kr: f64,
}

fn sums(pts: &Points, ln_qi: f64, d: f64, b: f64) -> Sums {
    let mut s = Sums {
        n: pts.n(),
        ..Sums::default()
    };
    let bd = b * d;
    let inv_b = 1.0 / b;
    for (&x, &y) in pts.x.iter().zip(&pts.y) {
        let u = bd * x;
        let ln_1p_u = u.ln_1p();
        let w = 1.0 / (1.0 + u);
        let r = y - ln_qi + ln_1p_u * inv_b;
        let h = -d * x * w;
        let k = (ln_1p_u - u * w) * inv_b * inv_b;
        s.sse += r * r;
        s.h += h;
        s.k += k;
        s.hh += h * h;
        s.hk += h * k;
        s.kk += k * k;
        s.r += r;
        s.hr += h * r;
        s.kr += k * r;
    }
    s
}

/// The Gauss-Newton step [δ ln qi, δ ln D, δb]. b moves only with `b_range`, and not outward from a bound
/// it sits on (then, or when the three are too correlated to solve, the step holds b).
fn newton_step(s: &Sums, b: f64, b_range: Option<(f64, f64)>) -> Option<[f64; 3]> {
    if let Some((lo, hi)) = b_range
        && let Some(step) = solve_spd(
            [[s.n, s.h, s.k], [s.h, s.hh, s.hk], [s.k, s.hk, s.kk]],
            [s.r, s.hr, s.kr],
        )
    {
        let outward = (b <= lo && step[2] < 0.0) || (b >= hi && step[2] > 0.0);
        if !outward {
            return Some(step);
        }
    }
    solve_spd([[s.n, s.h, 0.0], [s.h, s.hh, 0.0], [0.0, 0.0, 1.0]], [s.r, s.hr, 0.0])
}

/// Solves m·x = v for a symmetric positive-definite m (normal equations) by LDLᵀ, written out for 3×3;
/// None when m is singular to working precision.
fn solve_spd(m: [[f64; 3]; 3], v: [f64; 3]) -> Option<[f64; 3]> {
    const TINY: f64 = 1e-13;
    let d0 = m[0][0];
    if d0.is_nan() || d0 <= 0.0 {
        return None;
    }
    let l10 = m[1][0] / d0;
    let l20 = m[2][0] / d0;
    let d1 = m[1][1] - l10 * m[1][0];
    if d1.is_nan() || d1 <= TINY * m[1][1] {
        return None;
    }
    let l21 = (m[2][1] - l20 * m[1][0]) / d1;
    let d2 = m[2][2] - l20 * m[2][0] - l21 * l21 * d1;
    if d2.is_nan() || d2 <= TINY * m[2][2] {
        return None;
    }
    let z1 = v[1] - l10 * v[0];
    let z2 = v[2] - l20 * v[0] - l21 * z1;
    let x2 = z2 / d2;
    let x1 = z1 / d1 - l21 * x2;
    let x0 = v[0] / d0 - l10 * x1 - l20 * x2;
    let x = [x0, x1, x2];
    x.iter().all(|e| e.is_finite()).then_some(x)
}

/// Gauss-Newton from `start`, halving a step that does not lower the SSE, until a step is below `tol`.
/// With `b_range`, b is free within it; otherwise it stays at start.b (> 0).
fn gauss_newton(pts: &Points, start: Solution, b_range: Option<(f64, f64)>, tol: f64) -> Solution {
    let mut cur = start;
    let mut s = sums(pts, cur.ln_qi, cur.ln_d.exp(), cur.b);
    cur.sse = s.sse;
    for _ in 0..MAX_GN_ITERATIONS {
        let Some(step) = newton_step(&s, cur.b, b_range) else {
            break;
        };
        let size = step[0].abs().max(step[1].abs()).max(step[2].abs());
        if size < tol {
            break;
        }
        let mut scale = (MAX_LN_D_STEP / step[1].abs()).min(MAX_B_STEP / step[2].abs()).min(1.0);
        let mut next = None;
        while scale * size >= tol {
            let b = match b_range {
                Some((lo, hi)) => (cur.b + scale * step[2]).clamp(lo, hi),
                None => cur.b,
            };
            let trial = Solution {
                ln_qi: cur.ln_qi + scale * step[0],
                ln_d: cur.ln_d + scale * step[1],
                b,
                sse: 0.0,
            };
            let trial_sums = sums(pts, trial.ln_qi, trial.ln_d.exp(), b);
            if trial_sums.sse <= cur.sse {
                next = Some((
                    Solution {
                        sse: trial_sums.sse,
                        ..trial
                    },
                    trial_sums,
                ));
                break;
            }
            scale *= 0.5;
        }
        let Some((solution, solution_sums)) = next else {
            break;
        };
        cur = solution;
        s = solution_sums;
    }
    cur
}

/// The hyperbolic fit: golden-section search for b on [lo, hi] over the SSE of the best (qi, D) for each b
/// (each started from its neighbour's), then Gauss-Newton on all three from the best found.
fn search_b(pts: &Points, lo: f64, hi: f64, exponential: Solution) -> Solution {
    let golden = (5.0_f64.sqrt() - 1.0) / 2.0;
    let at = |b: f64, from: Solution| gauss_newton(pts, Solution { b, ..from }, None, COARSE_TOL);
    let (mut low, mut high) = (lo, hi);
    let b1 = high - golden * (high - low);
    let mut s1 = at(b1, linearised_start(pts, b1, exponential));
    let mut s2 = at(low + golden * (high - low), s1);
    while high - low > GOLDEN_WIDTH {
        if s1.sse <= s2.sse {
            high = s2.b;
            s2 = s1;
            s1 = at(high - golden * (high - low), s2);
        } else {
            low = s1.b;
            s1 = s2;
            s2 = at(low + golden * (high - low), s1);
        }
    }
    let best = if s1.sse <= s2.sse { s1 } else { s2 };
    gauss_newton(pts, best, Some((lo, hi)), FINE_TOL)
}

/// R² of ln q and the RMS of the rate residuals of the final curve (its terminal decline included).
fn goodness(pts: &Points, arps: &Arps) -> (f64, f64) {
    let n = pts.n();
    let y_mean = pts.y.iter().sum::<f64>() / n;
    let (mut ss_res, mut ss_tot, mut sq) = (0.0, 0.0, 0.0);
    for ((&x, &y), &q) in pts.x.iter().zip(&pts.y).zip(&pts.q) {
        let q_fit = arps.rate(x);
        let r = y - q_fit.max(f64::MIN_POSITIVE).ln();
        ss_res += r * r;
        ss_tot += (y - y_mean) * (y - y_mean);
        sq += (q - q_fit) * (q - q_fit);
    }
    let r2 = if ss_tot > 0.0 { 1.0 - ss_res / ss_tot } else { 1.0 };
    (r2, (sq / n).sqrt())
}

/// A decline's forecast from now to the economic limit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Forecast {
    /// rate now (at t_now), days from now to the economic limit, cumulative from t0 to now by the curve,
    pub q_now: f64,
    pub days_to_limit: f64,
    pub np_fit_to_now: f64,
    /// EUR = Np(t0 → limit) by the curve + produced_before_t0; remaining = EUR − produced to now
    pub eur: f64,
    pub remaining: f64,
    /// nominal and secant-effective annual decline at t0 (per year)
    pub d_nom_per_year: f64,
    pub d_sec_per_year: f64,
    /// (t_days absolute, rate) points from t0 to the limit, at most 200, for plots
    pub curve: Vec<[f64; 2]>,
}

/// Forecast from a fit. q_el > 0 and below the rate now (else Invalid "q_el"). `produced_to_now`: the
/// measured cumulative up to t_now if known (used for remaining; else the fit's Np to now). t_now before the
/// fit's first day → Inconsistent "t_now_days".
pub fn forecast(
    fit: &DeclineFit,
    t_now_days: f64,
    q_el: f64,
    produced_to_now: Option<f64>,
) -> Result<Forecast, CalcError> {
    finite("t_now_days", t_now_days)?;
    if t_now_days < fit.t0_days {
        return Err(CalcError::Inconsistent {
            field: "t_now_days",
            reason: format!(
                "day {t_now_days} is before the fit's first day {}: a forecast starts after it",
                fit.t0_days
            ),
        });
    }
    positive("q_el", q_el)?;
    let arps = &fit.arps;
    let x_now = t_now_days - fit.t0_days;
    let q_now = arps.rate(x_now);
    check("q_el", q_el, |v| v < q_now, "must be below the rate now")?;
    let t_limit = arps.time_to_rate(q_el)?;
    let np_fit_to_now = arps.cumulative(x_now);
    let np_limit = arps.cumulative(t_limit);
    let produced = match produced_to_now {
        Some(p) => non_negative("produced_to_now", p)?,
        None => np_fit_to_now,
    };
    let remaining = (np_limit - np_fit_to_now).max(0.0);
    let d_nom_per_year = arps.di_per_day * DAYS_PER_YEAR;
    let d_sec_per_year = secant_effective(d_nom_per_year, arps.b)?;
    let last = (CURVE_POINTS - 1) as f64;
    let curve = (0..CURVE_POINTS)
        .map(|i| {
            let t = t_limit * i as f64 / last;
            [fit.t0_days + t, arps.rate(t)]
        })
        .collect();
    Ok(Forecast {
        q_now,
        days_to_limit: t_limit - x_now,
        np_fit_to_now,
        eur: produced + remaining,
        remaining,
        d_nom_per_year,
        d_sec_per_year,
        curve,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Relative difference, for tolerances.
    fn rel(a: f64, b: f64) -> f64 {
        (a - b).abs() / b.abs().max(f64::MIN_POSITIVE)
    }

    /// Simpson's rule, for checking the closed-form cumulatives.
    fn integrate(f: impl Fn(f64) -> f64, to: f64, intervals: usize) -> f64 {
        let h = to / intervals as f64;
        let inner: f64 = (1..intervals)
            .map(|i| f(i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 })
            .sum();
        (f(0.0) + inner + f(to)) * h / 3.0
    }

    /// A tiny deterministic normal generator (xorshift64* and Box-Muller): the noise of the fit tests.
    struct Normal(u64);
    impl Normal {
        fn uniform(&mut self) -> f64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            let bits = self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11;
            (bits as f64 + 0.5) / (1u64 << 53) as f64
        }
        fn sample(&mut self) -> f64 {
            let (u1, u2) = (self.uniform(), self.uniform());
            (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
        }
    }

    fn arps(qi: f64, d: f64, b: f64, d_min: Option<f64>) -> Arps {
        Arps::new(qi, d, b, d_min).unwrap()
    }

    /// Every shape the tests walk through: exponential, harmonic, hyperbolic below and above 1, modified.
    fn curves() -> Vec<Arps> {
        vec![
            arps(1000.0, 0.002, 0.0, None),
            arps(1000.0, 0.002, 1.0, None),
            arps(800.0, 0.004, 0.5, None),
            arps(800.0, 0.004, 0.3, Some(0.0005)),
            arps(500.0, 0.01, 1.0, Some(0.0002)),
            arps(500.0, 0.01, 1.5, Some(0.0002)),
            arps(500.0, 0.01, 2.5, Some(0.0001)),
            arps(500.0, 0.003, 0.0, Some(0.001)),
        ]
    }

    #[test]
    fn kinds_follow_b() {
        assert_eq!(arps(1.0, 0.1, 0.0, None).kind(), DeclineKind::Exponential);
        assert_eq!(arps(1.0, 0.1, 1.0, None).kind(), DeclineKind::Harmonic);
        assert_eq!(arps(1.0, 0.1, 0.5, None).kind(), DeclineKind::Hyperbolic);
        assert_eq!(arps(1.0, 0.1, 2.0, Some(0.01)).kind(), DeclineKind::Hyperbolic);
    }

    #[test]
    fn cumulative_is_the_integral_of_the_rate() {
        for a in curves() {
            for t in [10.0, 365.0, 3000.0, 20_000.0] {
                let numeric = integrate(|x| a.rate(x), t, 40_000);
                assert!(
                    rel(a.cumulative(t), numeric) < 1e-8,
                    "{a:?} t {t}: {} vs {numeric}",
                    a.cumulative(t)
                );
            }
            assert_eq!(a.cumulative(0.0), 0.0);
            assert_eq!(a.rate(0.0), a.qi);
            assert_eq!(a.rate(-5.0), a.qi);
        }
    }

    #[test]
    fn closed_forms_of_engineering_md() {
        // Np = (qi − q)/D, (qi/D)·ln(qi/q), qi/((1 − b)D)·[1 − (q/qi)^(1−b)]; t_el = ((qi/q_el)^b − 1)/(bD).
        let (qi, d, q_el) = (1000.0, 0.002, 20.0);
        let e = arps(qi, d, 0.0, None);
        assert!(rel(e.eur(q_el).unwrap(), (qi - q_el) / d) < 1e-12);
        assert!(rel(e.time_to_rate(q_el).unwrap(), (qi / q_el).ln() / d) < 1e-12);
        let h = arps(qi, d, 1.0, None);
        assert!(rel(h.eur(q_el).unwrap(), qi / d * (qi / q_el).ln()) < 1e-12);
        assert!(rel(h.time_to_rate(q_el).unwrap(), (qi / q_el - 1.0) / d) < 1e-12);
        for b in [0.2, 0.5, 0.8] {
            let a = arps(qi, d, b, None);
            let t_el = ((qi / q_el).powf(b) - 1.0) / (b * d);
            assert!(rel(a.time_to_rate(q_el).unwrap(), t_el) < 1e-12);
            let np = qi / ((1.0 - b) * d) * (1.0 - (q_el / qi).powf(1.0 - b));
            assert!(rel(a.eur(q_el).unwrap(), np) < 1e-12);
            assert!(rel(a.rate(t_el), q_el) < 1e-12);
        }
    }

    #[test]
    fn time_to_rate_inverts_the_rate_on_both_segments() {
        for a in curves() {
            for t in [0.5, 100.0, 1000.0, 5000.0, 30_000.0] {
                let q = a.rate(t);
                assert!(rel(a.time_to_rate(q).unwrap(), t) < 1e-9, "{a:?} at {t}");
                assert!(rel(a.eur(q).unwrap(), a.cumulative(t)) < 1e-9);
            }
        }
    }

    #[test]
    fn hyperbolic_branch_meets_the_exponential_and_harmonic_ones() {
        let (qi, d) = (1000.0, 0.003);
        let pairs = [
            (arps(qi, d, 1e-7, None), arps(qi, d, 0.0, None)),
            (arps(qi, d, 1.0 - 1e-7, None), arps(qi, d, 1.0, None)),
            (arps(qi, d, 1.0 + 1e-7, Some(1e-9)), arps(qi, d, 1.0, None)),
        ];
        for (near, exact) in pairs {
            for t in [1.0, 100.0, 1000.0] {
                assert!(rel(near.rate(t), exact.rate(t)) < 1e-6, "{near:?} at {t}");
                assert!(rel(near.cumulative(t), exact.cumulative(t)) < 1e-6, "{near:?} at {t}");
            }
            let q_el = exact.rate(1000.0);
            assert!(rel(near.time_to_rate(q_el).unwrap(), 1000.0) < 1e-6);
        }
    }

    #[test]
    fn modified_hyperbolic_turns_exponential_at_the_terminal_decline() {
        let (di, b, d_min) = (0.01, 1.5, 0.0002);
        let a = arps(500.0, di, b, Some(d_min));
        let t_sw = (di / d_min - 1.0) / (b * di);
        let pure = Arps {
            d_min_per_day: None,
            ..a
        };
        // continuous rate and cumulative at the switch, and the same curve before it
        let eps = 1e-6;
        assert!(rel(a.rate(t_sw - eps), a.rate(t_sw + eps)) < 1e-9);
        assert!(rel(a.cumulative(t_sw - eps), a.cumulative(t_sw + eps)) < 1e-9);
        assert_eq!(a.rate(t_sw / 2.0), pure.rate(t_sw / 2.0));
        // the instantaneous decline −q'/q reaches d_min there, and stays at it
        let decline = |t: f64| -(a.rate(t + 1e-3) - a.rate(t - 1e-3)) / (2e-3 * a.rate(t));
        assert!(rel(decline(t_sw - 1.0), d_min) < 1e-3);
        assert!(rel(decline(t_sw + 5000.0), d_min) < 1e-6);
        let year = a.rate(t_sw + 365.0) / a.rate(t_sw);
        assert!(rel(year, (-d_min * 365.0).exp()) < 1e-12);
        // the terminal decline keeps the EUR finite, and below the pure curve's
        let eur = a.eur(0.01).unwrap();
        assert!(eur.is_finite() && eur < pure.eur(0.01).unwrap());
        // an exponential never switches (its decline is constant above d_min)
        let e = arps(500.0, 0.003, 0.0, Some(0.001));
        assert_eq!(e.rate(2000.0), 500.0 * (-0.003_f64 * 2000.0).exp());
    }

    #[test]
    fn secant_and_nominal_declines_round_trip() {
        assert!(rel(secant_effective(1.0, 0.0).unwrap(), 1.0 - (-1.0_f64).exp()) < 1e-15);
        assert!(rel(secant_effective(1.0, 1.0).unwrap(), 0.5) < 1e-15);
        // b = 0.5, D_nom 0.8: 1 − 1.4^(−2)
        assert!(rel(secant_effective(0.8, 0.5).unwrap(), 1.0 - 1.4_f64.powi(-2)) < 1e-14);
        for b in [0.0, 1e-9, 0.3, 1.0, 1.5, 2.0, 5.0] {
            for d_nom in [0.01, 0.3, 1.0, 4.0] {
                let d_sec = secant_effective(d_nom, b).unwrap();
                assert!(d_sec > 0.0 && d_sec < 1.0);
                assert!(
                    rel(nominal_from_secant(d_sec, b).unwrap(), d_nom) < 1e-9,
                    "b {b} D {d_nom}"
                );
            }
        }
        assert_eq!(secant_effective(0.0, 0.5).unwrap_err().field(), "d_nom_per_year");
        assert_eq!(secant_effective(0.5, -0.1).unwrap_err().field(), "b");
        assert_eq!(nominal_from_secant(1.0, 0.5).unwrap_err().field(), "d_sec_per_year");
        assert_eq!(nominal_from_secant(0.0, 0.5).unwrap_err().field(), "d_sec_per_year");
    }

    #[test]
    fn invalid_declines_are_refused() {
        let invalid = |r: Result<Arps, CalcError>, field: &str| {
            let e = r.unwrap_err();
            assert!(matches!(e, CalcError::Invalid { .. }), "{e}");
            assert_eq!(e.field(), field);
        };
        invalid(Arps::new(0.0, 0.1, 0.5, None), "qi");
        invalid(Arps::new(100.0, 0.0, 0.5, None), "di_per_day");
        invalid(Arps::new(100.0, -0.1, 0.5, None), "di_per_day");
        invalid(Arps::new(100.0, f64::NAN, 0.5, None), "di_per_day");
        invalid(Arps::new(100.0, 0.1, -0.5, None), "b");
        invalid(Arps::new(100.0, 0.1, 5.5, Some(0.01)), "b");
        invalid(Arps::new(100.0, 0.1, 0.5, Some(0.1)), "d_min_per_day");
        invalid(Arps::new(100.0, 0.1, 0.5, Some(0.0)), "d_min_per_day");
        let e = Arps::new(100.0, 0.1, 1.2, None).unwrap_err();
        assert_eq!(
            e,
            CalcError::Inconsistent {
                field: "b",
                reason: "b > 1 needs a terminal decline (d_min): its EUR is infinite".into()
            }
        );
        let a = arps(100.0, 0.1, 0.5, None);
        for q_el in [100.0, 150.0, 0.0, -1.0, f64::NAN] {
            assert_eq!(a.time_to_rate(q_el).unwrap_err().field(), "q_el");
            assert_eq!(a.eur(q_el).unwrap_err().field(), "q_el");
        }
        assert_eq!(
            a.time_to_rate(100.0).unwrap_err().to_string(),
            "q_el = 100: must be below the initial rate"
        );
    }

    const HYPERBOLIC: FitOptions = FitOptions {
        kind: DeclineKind::Hyperbolic,
        b_max: 1.0,
        d_min_per_year: None,
    };

    /// `days` daily rates of `a` from day `t0`, times e^(σ·N(0,1)) when `sigma` > 0.
    fn daily(a: &Arps, t0: f64, days: usize, sigma: f64, seed: u64) -> (Vec<f64>, Vec<f64>) {
        let mut noise = Normal(seed);
        let t: Vec<f64> = (0..days).map(|i| t0 + i as f64).collect();
        let q = t
            .iter()
            .map(|&t| a.rate(t - t0) * (sigma * noise.sample()).exp())
            .collect();
        (t, q)
    }

    fn fit_all(t: &[f64], q: &[f64], opts: &FitOptions) -> DeclineFit {
        fit(t, q, &vec![false; t.len()], opts).unwrap()
    }

    #[test]
    fn fits_recover_noise_free_curves() {
        let cases = [
            (arps(1000.0, 0.002, 0.0, None), DeclineKind::Exponential),
            (arps(1000.0, 0.002, 0.0, None), DeclineKind::Hyperbolic),
            (arps(500.0, 0.003, 1.0, None), DeclineKind::Harmonic),
            (arps(500.0, 0.003, 1.0, None), DeclineKind::Hyperbolic),
            (arps(800.0, 0.004, 0.5, None), DeclineKind::Hyperbolic),
            (arps(800.0, 0.01, 0.15, None), DeclineKind::Hyperbolic),
            (arps(2000.0, 0.001, 0.8, None), DeclineKind::Hyperbolic),
        ];
        for (truth, kind) in cases {
            let (t, q) = daily(&truth, 120.0, 1000, 0.0, 1);
            let f = fit_all(&t, &q, &FitOptions { kind, ..HYPERBOLIC });
            let a = f.arps;
            assert!(rel(a.qi, truth.qi) < 1e-6, "{kind:?} {truth:?}: {a:?}");
            assert!(rel(a.di_per_day, truth.di_per_day) < 1e-6, "{kind:?} {truth:?}: {a:?}");
            assert!(
                (a.b - truth.b).abs() < 1e-6 * truth.b.max(1.0),
                "{kind:?} {truth:?}: {a:?}"
            );
            // (a harmonic found by the hyperbolic search may stop a hair under b = 1)
            if truth.b != 1.0 || kind == DeclineKind::Harmonic {
                assert_eq!(a.kind(), truth.kind(), "{kind:?} {truth:?}: {a:?}");
            }
            assert_eq!((f.t0_days, f.used, f.excluded), (120.0, 1000, 0));
            assert!(f.r2_log > 1.0 - 1e-9 && f.rms_residual < 1e-6 * truth.qi, "{f:?}");
        }
    }

    #[test]
    fn fits_recover_curves_from_noisy_rates() {
        // 5 % lognormal noise on 3 years of daily rates: the curve within a few percent where the data are
        // (the rate at both ends), the EUR (an extrapolation, where b's uncertainty shows) within 10 %.
        let cases = [
            (arps(1000.0, 0.002, 0.0, None), DeclineKind::Exponential),
            (arps(500.0, 0.003, 1.0, None), DeclineKind::Harmonic),
            (arps(800.0, 0.004, 0.5, None), DeclineKind::Hyperbolic),
            (arps(1500.0, 0.002, 0.9, None), DeclineKind::Hyperbolic),
        ];
        for (seed, (truth, kind)) in cases.into_iter().enumerate() {
            let (t, q) = daily(&truth, 0.0, 1095, 0.05, 7 + seed as u64);
            let f = fit_all(&t, &q, &FitOptions { kind, ..HYPERBOLIC });
            let a = f.arps;
            assert!(rel(a.qi, truth.qi) < 0.03, "{kind:?}: {a:?}");
            assert!(rel(a.rate(1094.0), truth.rate(1094.0)) < 0.02, "{kind:?}: {a:?}");
            assert!(
                rel(a.eur(5.0).unwrap(), truth.eur(5.0).unwrap()) < 0.1,
                "{kind:?}: {a:?}"
            );
            assert!((a.b - truth.b).abs() < 0.1, "{kind:?}: {a:?}");
            let mean_square = t.iter().map(|&t| truth.rate(t).powi(2)).sum::<f64>() / t.len() as f64;
            assert!(rel(f.rms_residual, 0.05 * mean_square.sqrt()) < 0.15, "{f:?}");
        }
    }

    #[test]
    fn excluded_points_do_not_move_the_fit() {
        let truth = arps(800.0, 0.004, 0.5, None);
        let (t, mut q) = daily(&truth, 0.0, 730, 0.05, 3);
        let mut excluded = vec![false; t.len()];
        for i in (5..730).step_by(50) {
            q[i] *= 3.0;
            excluded[i] = true;
        }
        // a shut-in day (0) and a missing one (NaN) are left out on their own
        q[200] = 0.0;
        q[201] = f64::NAN;
        let with = fit(&t, &q, &excluded, &HYPERBOLIC).unwrap();
        let keep = |i: &usize| !excluded[*i] && *i != 200 && *i != 201;
        let t_kept: Vec<f64> = (0..t.len()).filter(keep).map(|i| t[i]).collect();
        let q_kept: Vec<f64> = (0..t.len()).filter(keep).map(|i| q[i]).collect();
        let without = fit_all(&t_kept, &q_kept, &HYPERBOLIC);
        assert_eq!(with.excluded, 15 + 2);
        assert_eq!(with.used, without.used);
        assert!(rel(with.arps.qi, without.arps.qi) < 1e-9);
        assert!(rel(with.arps.di_per_day, without.arps.di_per_day) < 1e-9);
        assert!((with.arps.b - without.arps.b).abs() < 1e-9);
        assert!(rel(with.arps.qi, truth.qi) < 0.03, "{with:?}");
        // the same outliers kept pull the curve away from the truth
        let mut q_in = q.clone();
        q_in[200] = truth.rate(200.0);
        q_in[201] = truth.rate(201.0);
        let kept = fit_all(&t, &q_in, &HYPERBOLIC);
        let eur_error = |f: &DeclineFit| rel(f.arps.eur(5.0).unwrap(), truth.eur(5.0).unwrap());
        assert!(eur_error(&kept) > eur_error(&with), "{kept:?} vs {with:?}");
    }

    #[test]
    fn the_first_usable_point_is_day_zero() {
        let truth = arps(600.0, 0.003, 0.0, None);
        let (t, q) = daily(&truth, 1000.0, 100, 0.0, 1);
        let mut excluded = vec![false; t.len()];
        excluded[0] = true;
        excluded[1] = true;
        let f = fit(
            &t,
            &q,
            &excluded,
            &FitOptions {
                kind: DeclineKind::Exponential,
                ..HYPERBOLIC
            },
        )
        .unwrap();
        assert_eq!(f.t0_days, 1002.0);
        assert!(rel(f.arps.qi, truth.rate(2.0)) < 1e-9);
        assert!(rel(f.arps.di_per_day, 0.003) < 1e-9);
    }

    #[test]
    fn a_terminal_decline_is_applied_to_the_fitted_curve() {
        let truth = arps(800.0, 0.004, 1.4, Some(0.06 / DAYS_PER_YEAR));
        // the fitted window ends before the switch (day ~4,170), so the fit sees the pure hyperbolic
        let (t, q) = daily(&truth, 0.0, 1000, 0.0, 1);
        let opts = FitOptions {
            kind: DeclineKind::Hyperbolic,
            b_max: 2.0,
            d_min_per_year: Some(0.06),
        };
        let f = fit_all(&t, &q, &opts);
        assert!((f.arps.b - 1.4).abs() < 1e-6, "{f:?}");
        assert!(rel(f.arps.di_per_day, 0.004) < 1e-6, "{f:?}");
        assert_eq!(f.arps.d_min_per_day, Some(0.06 / DAYS_PER_YEAR));
        assert!(rel(f.arps.eur(2.0).unwrap(), truth.eur(2.0).unwrap()) < 1e-5);
    }

    #[test]
    fn invalid_fits_are_refused() {
        let truth = arps(800.0, 0.004, 0.5, None);
        let (t, q) = daily(&truth, 0.0, 30, 0.0, 1);
        let none = vec![false; t.len()];
        let inconsistent = |r: Result<DeclineFit, CalcError>, field: &str| {
            let e = r.unwrap_err();
            assert!(matches!(e, CalcError::Inconsistent { .. }), "{e}");
            assert_eq!(e.field(), field, "{e}");
            e.to_string()
        };
        let msg = inconsistent(fit(&t[..2], &q[..2], &none[..2], &HYPERBOLIC), "q_rate");
        assert!(msg.contains("at least 3 points with a rate above 0, got 2"), "{msg}");
        let mut excluded = vec![true; t.len()];
        excluded[3] = false;
        inconsistent(fit(&t, &q, &excluded, &HYPERBOLIC), "q_rate");
        inconsistent(fit(&t, &q[..29], &none, &HYPERBOLIC), "q_rate");
        inconsistent(fit(&t, &q, &none[..29], &HYPERBOLIC), "excluded");
        let rising: Vec<f64> = q.iter().rev().copied().collect();
        let msg = inconsistent(fit(&t, &rising, &none, &HYPERBOLIC), "q_rate");
        assert!(msg.contains("the rates do not decline"), "{msg}");
        let flat = vec![100.0; t.len()];
        for kind in [DeclineKind::Exponential, DeclineKind::Harmonic, DeclineKind::Hyperbolic] {
            inconsistent(fit(&t, &flat, &none, &FitOptions { kind, ..HYPERBOLIC }), "q_rate");
        }
        let mut back = t.clone();
        back.swap(4, 5);
        inconsistent(fit(&back, &q, &none, &HYPERBOLIC), "t_days");
        let same_day = vec![7.0; t.len()];
        inconsistent(fit(&same_day, &q, &none, &HYPERBOLIC), "t_days");
        let msg = inconsistent(
            fit(
                &t,
                &q,
                &none,
                &FitOptions {
                    b_max: 1.5,
                    ..HYPERBOLIC
                },
            ),
            "d_min_per_year",
        );
        assert!(msg.contains("b above 1 needs a terminal decline"), "{msg}");
        // a terminal decline steeper than the fit's initial one (0.004/day = 1.46/year)
        let steep = FitOptions {
            d_min_per_year: Some(2.0),
            ..HYPERBOLIC
        };
        inconsistent(fit(&t, &q, &none, &steep), "d_min_per_year");
        let bad_b_max = FitOptions {
            b_max: 0.0,
            ..HYPERBOLIC
        };
        assert_eq!(fit(&t, &q, &none, &bad_b_max).unwrap_err().field(), "b_max");
        let bad_d_min = FitOptions {
            d_min_per_year: Some(-0.1),
            ..HYPERBOLIC
        };
        assert_eq!(fit(&t, &q, &none, &bad_d_min).unwrap_err().field(), "d_min_per_year");
    }

    #[test]
    fn forecast_to_the_economic_limit() {
        let truth = arps(1000.0, 0.002, 0.0, None);
        let (t, q) = daily(&truth, 500.0, 365, 0.0, 1);
        let f = fit_all(&t, &q, &HYPERBOLIC);
        let t_now = 500.0 + 400.0;
        let fc = forecast(&f, t_now, 50.0, None).unwrap();
        let q_now = 1000.0 * (-0.8_f64).exp();
        assert!(rel(fc.q_now, q_now) < 1e-9);
        assert!(rel(fc.days_to_limit, (q_now / 50.0).ln() / 0.002) < 1e-8);
        assert!(rel(fc.np_fit_to_now, (1000.0 - q_now) / 0.002) < 1e-8);
        assert!(rel(fc.eur, (1000.0 - 50.0) / 0.002) < 1e-8);
        assert!(rel(fc.remaining, (q_now - 50.0) / 0.002) < 1e-8);
        assert!(rel(fc.d_nom_per_year, 0.002 * 365.25) < 1e-9);
        assert!(rel(fc.d_sec_per_year, 1.0 - (-0.002_f64 * 365.25).exp()) < 1e-9);
        assert!(fc.curve.len() <= 200);
        assert_eq!(fc.curve[0][0], 500.0);
        assert!(rel(fc.curve[0][1], 1000.0) < 1e-9);
        let end = fc.curve[fc.curve.len() - 1];
        assert!(rel(end[0], t_now + fc.days_to_limit) < 1e-9);
        assert!(rel(end[1], 50.0) < 1e-9);
        // a measured cumulative moves the EUR, not what is left
        let measured = forecast(&f, t_now, 50.0, Some(200_000.0)).unwrap();
        assert!(rel(measured.remaining, fc.remaining) < 1e-12);
        assert!(rel(measured.eur, 200_000.0 + fc.remaining) < 1e-12);
        // hyperbolic: the secant decline of its b
        let hyp = arps(800.0, 0.004, 0.5, None);
        let (t, q) = daily(&hyp, 0.0, 1000, 0.0, 1);
        let fc = forecast(&fit_all(&t, &q, &HYPERBOLIC), 999.0, 5.0, None).unwrap();
        assert!(rel(fc.d_sec_per_year, secant_effective(0.004 * 365.25, 0.5).unwrap()) < 1e-6);
        assert!(rel(fc.eur, hyp.eur(5.0).unwrap()) < 1e-6);
    }

    #[test]
    fn invalid_forecasts_are_refused() {
        let truth = arps(1000.0, 0.002, 0.0, None);
        let (t, q) = daily(&truth, 500.0, 365, 0.0, 1);
        let f = fit_all(&t, &q, &HYPERBOLIC);
        let q_now = f.arps.rate(400.0);
        for q_el in [q_now, 2.0 * q_now, 0.0, -1.0] {
            assert_eq!(forecast(&f, 900.0, q_el, None).unwrap_err().field(), "q_el");
        }
        assert_eq!(forecast(&f, 400.0, 5.0, None).unwrap_err().field(), "t_now_days");
        assert_eq!(forecast(&f, f64::NAN, 5.0, None).unwrap_err().field(), "t_now_days");
        assert_eq!(
            forecast(&f, 900.0, 5.0, Some(-1.0)).unwrap_err().field(),
            "produced_to_now"
        );
    }

    #[test]
    fn fit_options_from_json() {
        let o: FitOptions = serde_json::from_str(r#"{"kind":"hyperbolic"}"#).unwrap();
        assert_eq!(o, HYPERBOLIC);
        let o: FitOptions = serde_json::from_str(r#"{"kind":"harmonic","b_max":2,"d_min_per_year":0.06}"#).unwrap();
        assert_eq!(
            (o.kind, o.b_max, o.d_min_per_year),
            (DeclineKind::Harmonic, 2.0, Some(0.06))
        );
        assert!(serde_json::from_str::<FitOptions>(r#"{"kind":"hyperbolic","bmax":2}"#).is_err());
    }

    mod invariants {
        use crate::calc::decline::Arps;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn rates_fall_cumulatives_rise_and_time_inverts_the_rate(
                qi in 1.0..1e4f64,
                di in 1e-5..1e-2f64,
                b in 0.0..2.5f64,
                terminal in 0.01..0.9f64,
                t in 0.0..1e4f64,
            ) {
                let d_min = (b > 1.0).then_some(terminal * di);
                let a = Arps::new(qi, di, b, d_min).unwrap();
                let q = a.rate(t);
                prop_assert!(q > 0.0 && q <= qi);
                prop_assert!(a.rate(t + 1.0) < q);
                let np = a.cumulative(t);
                prop_assert!((0.0..=qi * t * (1.0 + 1e-12)).contains(&np));
                prop_assert!(a.cumulative(t + 1.0) >= np);
                if q < qi * (1.0 - 1e-9) {
                    let back = a.time_to_rate(q).unwrap();
                    prop_assert!((back - t).abs() <= 1e-6 * (1.0 + t), "{back} vs {t}");
                }
            }
        }
    }
}
