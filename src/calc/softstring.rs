//! Soft-string torque-and-drag (Johancsik, SPE-11380), CT buckling loads and lockup (ENGINEERING.md §2).
//!
//! Owns the per-element integration that both `drag` (one tip depth) and `calc::broomstick` (every depth)
//! run, so the two can never disagree. Forces in lbf, tension positive, compression negative. Effective
//! (buoyed) force: buoyancy is carried by the buoyed weight, so the wellhead-pressure end load, stripper
//! friction and reel back-tension are surface terms applied by the caller (`broomstick::SurfaceLoads`).
//! Invariants: a `StringInHole` is valid by construction (buoyed weight, EI, clearance, element length and
//! contact radius > 0, μ ≥ 0), and every result is finite: an input with no answer is a `CalcError` naming
//! the field, never NaN, infinity or a clamped number. Pure functions only: no I/O, no state.

use super::error::{CalcError, check, finite, non_negative, positive};
use super::survey::{Survey, wrap_deg};
use super::tubular::Tubular;
use std::f64::consts::{FRAC_PI_2, PI, SQRT_2};

/// Bit transfer d(F_bit)/d(F_surface) under which the string counts as locked up (ENGINEERING.md §2): pushing
/// 100 lbf more at the injector moves less than 1 lbf to the bit.
pub const LOCKUP_BIT_TRANSFER: f64 = 0.01;

/// Axial force past which the integration has no finite answer, lbf: about ten thousand times any CT
/// injector's rating. A helically buckled section pushed past its lockup length needs an unbounded push
/// (the closed form's tan → ∞); the integration reports that instead of overflowing to infinity.
pub const FORCE_LIMIT_LBF: f64 = 1.0e9;

/// Elements one `drag` may integrate: an element length tiny against the tip depth is a mistake, and one
/// below the depth's floating-point resolution would never reach the surface.
const MAX_DRAG_ELEMENTS: f64 = 1.0e7;

/// Direction of pipe movement, which sets the sign of the axial friction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Motion {
    /// Slack-off: friction acts upward, the string reads lighter.
    RunningIn,
    /// Pick-up: friction acts downward, the string reads heavier.
    PullingOut,
    /// No axial friction (the free, or rotating, weight).
    Stationary,
}

impl Motion {
    /// +1 pulling out, −1 running in, 0 stationary: the sign of the axial friction in the tension balance
    /// and of the stripper friction at the surface (both oppose the motion).
    pub fn friction_sign(self) -> f64 {
        match self {
            Motion::RunningIn => -1.0,
            Motion::PullingOut => 1.0,
            Motion::Stationary => 0.0,
        }
    }
}

/// The string and hole that a drag run needs. Built only through `new` or `for_tubular`, so every
/// `StringInHole` gives a finite integration that ends.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StringInHole {
    buoyed_weight_lb_ft: f64,
    ei_lbf_in2: f64,
    clearance_in: f64,
    friction_coefficient: f64,
    element_ft: f64,
    contact_radius_in: f64,
}

impl StringInHole {
    /// `buoyed_weight_lb_ft` > 0 (floating pipe has no soft-string answer), `ei_lbf_in2` > 0, radial
    /// `clearance_in` r = (hole ID − OD)/2 > 0 (buckling loads and Mitchell's contact load), friction
    /// coefficient μ ≥ 0, integration `element_ft` > 0, and `contact_radius_in` > 0: the radius at which
    /// the wall friction acts for the torque, the pipe OD/2 for plain pipe (a tool joint's OD/2 where
    /// joints carry the contact).
    pub fn new(
        buoyed_weight_lb_ft: f64,
        ei_lbf_in2: f64,
        clearance_in: f64,
        friction_coefficient: f64,
        element_ft: f64,
        contact_radius_in: f64,
    ) -> Result<Self, CalcError> {
        check(
            "buoyed_weight_lb_ft",
            buoyed_weight_lb_ft,
            |w| w > 0.0,
            "must be greater than 0: floating pipe has no soft-string answer",
        )?;
        positive("ei_lbf_in2", ei_lbf_in2)?;
        positive("clearance_in", clearance_in)?;
        non_negative("friction_coefficient", friction_coefficient)?;
        positive("element_ft", element_ft)?;
        positive("contact_radius_in", contact_radius_in)?;
        Ok(Self {
            buoyed_weight_lb_ft,
            ei_lbf_in2,
            clearance_in,
            friction_coefficient,
            element_ft,
            contact_radius_in,
        })
    }

    /// A plain tubular (CT) in an open hole or casing of `hole_id_in`, with the fluid densities inside and
    /// outside (ppg); the contact radius is the pipe's OD/2.
    pub fn for_tubular(
        pipe: &Tubular,
        hole_id_in: f64,
        fluid_inside_ppg: f64,
        fluid_outside_ppg: f64,
        friction_coefficient: f64,
        element_ft: f64,
    ) -> Result<Self, CalcError> {
        positive("hole_id_in", hole_id_in)?;
        if hole_id_in <= pipe.od_in() {
            return Err(CalcError::Inconsistent {
                field: "hole_id_in",
                reason: format!(
                    "a hole of {hole_id_in} in is not larger than the pipe OD ({} in): there is no clearance",
                    pipe.od_in()
                ),
            });
        }
        non_negative("fluid_inside_ppg", fluid_inside_ppg)?;
        non_negative("fluid_outside_ppg", fluid_outside_ppg)?;
        let w = pipe.weight_buoyed_lb_ft(fluid_inside_ppg, fluid_outside_ppg);
        if w <= 0.0 {
            return Err(CalcError::Inconsistent {
                field: "fluid_outside_ppg",
                reason: format!(
                    "the pipe floats (buoyed weight {w:.3} lb/ft): soft-string drag is undefined for floating pipe"
                ),
            });
        }
        Self::new(
            w,
            pipe.ei_lbf_in2(),
            (hole_id_in - pipe.od_in()) / 2.0,
            friction_coefficient,
            element_ft,
            pipe.od_in() / 2.0,
        )
    }

    /// The same string and hole with another friction coefficient (a broomstick's next curve).
    pub fn with_friction(self, friction_coefficient: f64) -> Result<Self, CalcError> {
        non_negative("friction_coefficient", friction_coefficient)?;
        Ok(Self {
            friction_coefficient,
            ..self
        })
    }

    /// Buoyed weight, lb/ft.
    pub fn buoyed_weight_lb_ft(&self) -> f64 {
        self.buoyed_weight_lb_ft
    }

    /// Bending stiffness EI, lbf·in².
    pub fn ei_lbf_in2(&self) -> f64 {
        self.ei_lbf_in2
    }

    /// Radial clearance r = (hole ID − pipe OD)/2, in.
    pub fn clearance_in(&self) -> f64 {
        self.clearance_in
    }

    pub fn friction_coefficient(&self) -> f64 {
        self.friction_coefficient
    }

    /// Element length for the integration, ft.
    pub fn element_ft(&self) -> f64 {
        self.element_ft
    }

    /// Radius at which wall friction acts for the torque, in.
    pub fn contact_radius_in(&self) -> f64 {
        self.contact_radius_in
    }
}

/// What a soft-string run from the tip to the surface gives. Every number is finite.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DragResult {
    /// Effective axial force at the surface (tension positive), lbf: before the surface terms.
    pub surface_force_lbf: f64,
    /// Torque at the surface, ft·lbf: Σ μ·N·r_contact. CT is not rotated, so for CT this is what rotating
    /// the string would cost against the same contact forces, not a load the injector sees.
    pub surface_torque_ft_lbf: f64,
    /// d(F_bit)/d(F_surface) = 1/(dT_surface/dT_tip), propagated analytically through the integration: 1 in
    /// a straight vertical hole, below `LOCKUP_BIT_TRANSFER` when the string is locked up. 0 where the
    /// sensitivity is not positive (the surface force no longer moves the bit the right way).
    pub bit_transfer: f64,
    /// Largest compression anywhere in the string, lbf (≥ 0).
    pub max_compression_lbf: f64,
    /// Length of string beyond the sinusoidal and helical onset, ft.
    pub sinusoidal_ft: f64,
    pub helical_ft: f64,
}

impl DragResult {
    /// Bit transfer under 1 % (ENGINEERING.md §2).
    pub fn is_locked_up(&self) -> bool {
        self.bit_transfer < LOCKUP_BIT_TRANSFER
    }
}

/// One element of the integration: everything that does not depend on the axial force, computed once per
/// element (the broomstick reuses it at every tip depth below it).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Element {
    dl_ft: f64,
    /// w_b·ΔL·cosθ and w_b·ΔL·sinθ, lbf.
    weight_axial_lbf: f64,
    weight_normal_lbf: f64,
    /// Δφ·sinθ and Δθ, rad: N's out-of-plane and in-plane terms per lbf of axial force.
    azimuth_turn_rad: f64,
    inclination_turn_rad: f64,
    sinusoidal_onset_lbf: f64,
    helical_onset_lbf: f64,
    /// Mitchell's r/(4EI) × ΔL in inches: contact load over the element per lbf² of compression.
    helical_contact_per_lbf2: f64,
}

/// The state one element up: axial force, its sensitivity to the tip force, and the element's contact force.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Step {
    pub(crate) force_lbf: f64,
    pub(crate) dt_dtip: f64,
    pub(crate) normal_lbf: f64,
}

impl Element {
    /// The element of length `dl_ft` between the attitudes (inclination, azimuth in degrees) at its bottom
    /// and top, θ their mean inclination.
    pub(crate) fn new(pipe: &StringInHole, dl_ft: f64, bottom: (f64, f64), top: (f64, f64)) -> Self {
        let w = pipe.buoyed_weight_lb_ft;
        let theta = ((top.0 + bottom.0) / 2.0).to_radians();
        let (sin, cos) = theta.sin_cos();
        Self {
            dl_ft,
            weight_axial_lbf: w * dl_ft * cos,
            weight_normal_lbf: w * dl_ft * sin,
            azimuth_turn_rad: wrap_deg(top.1 - bottom.1).to_radians() * sin,
            inclination_turn_rad: (top.0 - bottom.0).to_radians(),
            sinusoidal_onset_lbf: sinusoidal_onset(pipe.ei_lbf_in2, w, theta, pipe.clearance_in),
            helical_onset_lbf: chen_helical_onset(pipe.ei_lbf_in2, w, theta, pipe.clearance_in),
            helical_contact_per_lbf2: pipe.clearance_in / (4.0 * pipe.ei_lbf_in2) * dl_ft * 12.0,
        }
    }

    /// w_b·ΔL·cosθ: the element's whole contribution when there is no friction.
    pub(crate) fn weight_axial_lbf(&self) -> f64 {
        self.weight_axial_lbf
    }

    /// One element up from axial force `force_lbf` at its bottom (whose sensitivity to the tip force is
    /// `dt_dtip`), with μ signed by the motion. A handful of flops: the broomstick runs it millions of times.
    #[inline]
    pub(crate) fn up(&self, force_lbf: f64, dt_dtip: f64, signed_mu: f64) -> Step {
        let t = force_lbf;
        let out_of_plane = t * self.azimuth_turn_rad;
        let in_plane = t * self.inclination_turn_rad + self.weight_normal_lbf;
        let mut normal = (out_of_plane * out_of_plane + in_plane * in_plane).sqrt();
        // dN/dT of √(a² + b²) is (a·a' + b·b')/N; at N = 0 (the kink of a modulus) take 0, the mean of the
        // one-sided slopes.
        let mut dnormal = if normal > 0.0 {
            (out_of_plane * self.azimuth_turn_rad + in_plane * self.inclination_turn_rad) / normal
        } else {
            0.0
        };
        if -t > self.helical_onset_lbf {
            // Mitchell's helical contact load r·F²/(4EI) with F = −T, so its slope in T is 2·c·T.
            let c = self.helical_contact_per_lbf2;
            normal += c * t * t;
            dnormal += 2.0 * c * t;
        }
        Step {
            force_lbf: t + self.weight_axial_lbf + signed_mu * normal,
            dt_dtip: dt_dtip * (1.0 + signed_mu * dnormal),
            normal_lbf: normal,
        }
    }
}

/// A force the integration can go on from: finite and within ±`FORCE_LIMIT_LBF` (NaN is not).
pub(crate) fn within_force_limit(force_lbf: f64) -> bool {
    force_lbf.abs() <= FORCE_LIMIT_LBF
}

/// d(F_bit)/d(F_surface) from dT_surface/dT_tip. A sensitivity that is not positive (or NaN) means the
/// surface no longer pushes the bit: no transfer.
pub(crate) fn bit_transfer(dt_surface_dt_tip: f64) -> f64 {
    if dt_surface_dt_tip > f64::MIN_POSITIVE {
        1.0 / dt_surface_dt_tip
    } else {
        0.0
    }
}

/// √(EI·w·sinθ/r) with w in lb/in: the common factor of the inclined-hole onsets.
fn inclined_root(ei_lbf_in2: f64, w_lb_ft: f64, inc_rad: f64, r_in: f64) -> f64 {
    (ei_lbf_in2 * w_lb_ft / 12.0 * inc_rad.sin().max(0.0) / r_in).sqrt()
}

/// (EI·w²)^(1/3) with w in lb/in: the vertical-hole scale.
fn vertical_root(ei_lbf_in2: f64, w_lb_ft: f64) -> f64 {
    let w = w_lb_ft / 12.0;
    (ei_lbf_in2 * w * w).cbrt()
}

// The inclined formulas tend to zero as θ → 0, which is not physical: near vertical the vertical limit holds.
fn sinusoidal_onset(ei_lbf_in2: f64, w_lb_ft: f64, inc_rad: f64, r_in: f64) -> f64 {
    (2.0 * inclined_root(ei_lbf_in2, w_lb_ft, inc_rad, r_in)).max(2.55 * vertical_root(ei_lbf_in2, w_lb_ft))
}

fn chen_helical_onset(ei_lbf_in2: f64, w_lb_ft: f64, inc_rad: f64, r_in: f64) -> f64 {
    (2.0 * SQRT_2 * inclined_root(ei_lbf_in2, w_lb_ft, inc_rad, r_in)).max(5.55 * vertical_root(ei_lbf_in2, w_lb_ft))
}

fn check_onset_inputs(ei_lbf_in2: f64, w_lb_ft: f64, inc_rad: f64, r_in: f64) -> Result<(), CalcError> {
    positive("ei_lbf_in2", ei_lbf_in2)?;
    check(
        "buoyed_weight_lb_ft",
        w_lb_ft,
        |w| w > 0.0,
        "must be greater than 0: floating pipe does not buckle under its own weight",
    )?;
    check(
        "inclination_rad",
        inc_rad,
        |i| (0.0..=PI).contains(&i),
        "must be between 0 and π",
    )?;
    positive("clearance_in", r_in)?;
    Ok(())
}

/// Sinusoidal buckling onset, lbf: Dawson–Paslay 2·√(EI·w·sinθ/r), and near vertical the vertical limit
/// 2.55·(EI·w²)^(1/3) (Dawson–Paslay is 0 at θ = 0). `w_lb_ft` buoyed, `inc_rad` 0..=π, `r_in` the radial
/// clearance.
pub fn sinusoidal_buckling_lbf(ei_lbf_in2: f64, w_lb_ft: f64, inc_rad: f64, r_in: f64) -> Result<f64, CalcError> {
    check_onset_inputs(ei_lbf_in2, w_lb_ft, inc_rad, r_in)?;
    Ok(sinusoidal_onset(ei_lbf_in2, w_lb_ft, inc_rad, r_in))
}

/// Helical buckling onset, lbf, Chen–Lin–Cheatham: 2√2·√(EI·w·sinθ/r); vertical limit 5.55·(EI·w²)^(1/3).
/// The onset the drag model uses for Mitchell's contact load.
pub fn helical_buckling_lbf(ei_lbf_in2: f64, w_lb_ft: f64, inc_rad: f64, r_in: f64) -> Result<f64, CalcError> {
    check_onset_inputs(ei_lbf_in2, w_lb_ft, inc_rad, r_in)?;
    Ok(chen_helical_onset(ei_lbf_in2, w_lb_ft, inc_rad, r_in))
}

/// Helical buckling onset when loading, lbf, Wu & Juvkam-Wold (SPE-25503): 2(2√2 − 1)·√(EI·w·sinθ/r)
/// ≈ 3.66·√(EIw/r), about 1.8 × the sinusoidal load; the same vertical limit 5.55·(EI·w²)^(1/3) near θ = 0.
pub fn helical_buckling_wu_lbf(ei_lbf_in2: f64, w_lb_ft: f64, inc_rad: f64, r_in: f64) -> Result<f64, CalcError> {
    check_onset_inputs(ei_lbf_in2, w_lb_ft, inc_rad, r_in)?;
    let wu = 2.0 * (2.0 * SQRT_2 - 1.0) * inclined_root(ei_lbf_in2, w_lb_ft, inc_rad, r_in);
    Ok(wu.max(5.55 * vertical_root(ei_lbf_in2, w_lb_ft)))
}

/// Integrates the soft-string model from the pipe tip (at `tip_md_ft`, carrying `tip_force_lbf`: negative
/// when set down, positive for a hanging weight) up to the surface, in elements of `pipe.element_ft()`
/// measured from the tip (the last one, at the surface, may be shorter). Per element (ENGINEERING.md §2):
/// N = √[(T·Δφ·sinθ)² + (T·Δθ + w·ΔL·sinθ)²] (+ r·F²/(4EI)·ΔL past helical onset), T_top = T_bot +
/// w·ΔL·cosθ ± μN, M_top = M_bot + μ·N·r_contact, and dT/dT_tip carried alongside for the bit transfer.
///
/// Errors: `tip_md_ft` negative or below the survey's last station; `tip_force_lbf` not finite or past
/// ±`FORCE_LIMIT_LBF`; more than 10⁷ elements (`element_ft`); and a string locked up so far that no finite
/// surface force moves it (`tip_md_ft`: the force passes `FORCE_LIMIT_LBF` on the way up).
pub fn drag(
    survey: &Survey,
    pipe: &StringInHole,
    tip_md_ft: f64,
    tip_force_lbf: f64,
    motion: Motion,
) -> Result<DragResult, CalcError> {
    non_negative("tip_md_ft", tip_md_ft)?;
    let td = survey.total_md_ft();
    if tip_md_ft > td {
        return Err(CalcError::Inconsistent {
            field: "tip_md_ft",
            reason: format!("{tip_md_ft} ft is below the survey's last station at {td} ft"),
        });
    }
    check(
        "tip_force_lbf",
        tip_force_lbf,
        |f| f.abs() <= FORCE_LIMIT_LBF,
        "must be a finite force within ±1e9 lbf",
    )?;
    let elements = (tip_md_ft / pipe.element_ft).ceil();
    if elements > MAX_DRAG_ELEMENTS {
        return Err(CalcError::Inconsistent {
            field: "element_ft",
            reason: format!(
                "{} ft elements to {tip_md_ft} ft are more than {MAX_DRAG_ELEMENTS} elements",
                pipe.element_ft
            ),
        });
    }
    let signed_mu = motion.friction_sign() * pipe.friction_coefficient;
    let mut t = tip_force_lbf;
    let mut dt_dtip = 1.0;
    let mut torque_in_lbf = 0.0;
    let mut out = DragResult {
        surface_force_lbf: t,
        surface_torque_ft_lbf: 0.0,
        bit_transfer: 1.0,
        max_compression_lbf: (-t).max(0.0),
        sinusoidal_ft: 0.0,
        helical_ft: 0.0,
    };
    let mut md_bot = tip_md_ft;
    let mut bottom = survey.attitude_at(md_bot);
    // Element ends are counted from the tip (not accumulated), so a broomstick grid node and a drag
    // element end at the same depth are the same number.
    for i in 1..=(elements as usize) {
        let md_top = (tip_md_ft - i as f64 * pipe.element_ft).max(0.0);
        let top = survey.attitude_at(md_top);
        let e = Element::new(pipe, md_bot - md_top, bottom, top);
        if -t > e.sinusoidal_onset_lbf {
            out.sinusoidal_ft += e.dl_ft;
        }
        if -t > e.helical_onset_lbf {
            out.helical_ft += e.dl_ft;
        }
        let step = e.up(t, dt_dtip, signed_mu);
        if !within_force_limit(step.force_lbf) {
            return Err(CalcError::Inconsistent {
                field: "tip_md_ft",
                reason: format!(
                    "locked up: with the tip at {tip_md_ft} ft the axial force passes {FORCE_LIMIT_LBF} lbf at \
                     {md_top:.0} ft, so no finite surface force moves the string"
                ),
            });
        }
        t = step.force_lbf;
        dt_dtip = step.dt_dtip;
        torque_in_lbf += pipe.friction_coefficient * step.normal_lbf * pipe.contact_radius_in;
        out.max_compression_lbf = out.max_compression_lbf.max(-t);
        md_bot = md_top;
        bottom = top;
    }
    out.surface_force_lbf = t;
    out.surface_torque_ft_lbf = torque_in_lbf / 12.0;
    out.bit_transfer = bit_transfer(dt_dtip);
    Ok(out)
}

/// Compression along a horizontal, fully helically buckled section pushed from one end, or the fact that
/// it locked up.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum HelicalPush {
    /// Compression at distance s, lbf.
    Force(f64),
    /// s is at or past the lockup distance s*, where the closed form goes to infinity.
    LockedUp,
}

fn check_helical_inputs(w_lb_in: f64, a_per_lbf_in: f64, mu: f64, f0_lbf: f64) -> Result<(), CalcError> {
    positive("w_lb_in", w_lb_in)?;
    positive("a_per_lbf_in", a_per_lbf_in)?;
    non_negative("mu", mu)?;
    non_negative("f0_lbf", f0_lbf)?;
    Ok(())
}

/// Analytic compression along a horizontal, fully helically buckled section pushed from one end
/// (ENGINEERING.md §2): dF/ds = μ(w + aF²), a = r/(4EI), so F(s) = √(w/a)·tan(μ√(wa)·s + atan(F0·√(a/w))).
/// `w_lb_in` buoyed weight in lbf/in, `f0_lbf` ≥ 0 the compression at s = 0, `s_in` ≥ 0 in inches.
/// Invalid input is an error, never `LockedUp`.
pub fn horizontal_helical_force(
    w_lb_in: f64,
    a_per_lbf_in: f64,
    mu: f64,
    f0_lbf: f64,
    s_in: f64,
) -> Result<HelicalPush, CalcError> {
    check_helical_inputs(w_lb_in, a_per_lbf_in, mu, f0_lbf)?;
    non_negative("s_in", s_in)?;
    let arg = mu * (w_lb_in * a_per_lbf_in).sqrt() * s_in + (f0_lbf * (a_per_lbf_in / w_lb_in).sqrt()).atan();
    Ok(if arg < FRAC_PI_2 {
        HelicalPush::Force((w_lb_in / a_per_lbf_in).sqrt() * arg.tan())
    } else {
        HelicalPush::LockedUp
    })
}

/// Lockup distance of that section, in: s* = [π/2 − atan(F0·√(a/w))]/(μ√(wa)). μ must be > 0: without
/// friction the section never locks up.
pub fn helical_lockup_distance_in(w_lb_in: f64, a_per_lbf_in: f64, mu: f64, f0_lbf: f64) -> Result<f64, CalcError> {
    check_helical_inputs(w_lb_in, a_per_lbf_in, mu, f0_lbf)?;
    check(
        "mu",
        mu,
        |m| m > 0.0,
        "must be greater than 0: without friction a helically buckled section never locks up",
    )?;
    let s = (FRAC_PI_2 - (f0_lbf * (a_per_lbf_in / w_lb_in).sqrt()).atan()) / (mu * (w_lb_in * a_per_lbf_in).sqrt());
    finite("mu", s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calc::survey::Station;
    use crate::calc::tubular::Tubular;

    fn ct_in_4in_hole(mu: f64, element_ft: f64) -> StringInHole {
        let ct = Tubular::new(1.75, 0.156).unwrap();
        StringInHole::for_tubular(&ct, 4.0, 8.33, 8.33, mu, element_ft).unwrap()
    }

    fn st(md_ft: f64, inc_deg: f64, azi_deg: f64) -> Station {
        Station {
            md_ft,
            inc_deg,
            azi_deg,
        }
    }

    fn vertical(md: f64) -> Survey {
        Survey::new(vec![st(0.0, 0.0, 0.0), st(md, 0.0, 0.0)]).unwrap()
    }

    fn horizontal(md: f64) -> Survey {
        Survey::new(vec![st(0.0, 90.0, 0.0), st(md, 90.0, 0.0)]).unwrap()
    }

    /// The well: vertical to 3,000 ft, build 0→90° to 4,500 ft, lateral to 10,000 ft.
    fn build_and_lateral() -> Survey {
        Survey::new(vec![
            st(0.0, 0.0, 0.0),
            st(3000.0, 0.0, 0.0),
            st(4500.0, 90.0, 0.0),
            st(10_000.0, 90.0, 0.0),
        ])
        .unwrap()
    }

    #[test]
    fn vertical_hanging_weight_is_buoyed_weight_times_depth() {
        let p = ct_in_4in_hole(0.3, 50.0);
        let r = drag(&vertical(10_000.0), &p, 8_000.0, 0.0, Motion::PullingOut).unwrap();
        assert!(
            (r.surface_force_lbf - 2.320 * 8_000.0).abs() < 20.0,
            "{}",
            r.surface_force_lbf
        );
        let rih = drag(&vertical(10_000.0), &p, 8_000.0, 0.0, Motion::RunningIn).unwrap();
        assert!(
            (rih.surface_force_lbf - r.surface_force_lbf).abs() < 1e-6,
            "no friction in a vertical hole"
        );
        assert_eq!(r.surface_torque_ft_lbf, 0.0, "no contact, no torque");
        assert_eq!(r.bit_transfer, 1.0, "all of a push reaches the bit");
    }

    #[test]
    fn deviation_splits_pick_up_and_slack_off() {
        let s = Survey::new(vec![
            st(0.0, 0.0, 0.0),
            st(3000.0, 0.0, 0.0),
            st(4500.0, 60.0, 0.0),
            st(9000.0, 60.0, 0.0),
        ])
        .unwrap();
        let p = ct_in_4in_hole(0.3, 50.0);
        let puw = drag(&s, &p, 8_500.0, 0.0, Motion::PullingOut)
            .unwrap()
            .surface_force_lbf;
        let sow = drag(&s, &p, 8_500.0, 0.0, Motion::RunningIn).unwrap().surface_force_lbf;
        let rot = drag(&s, &p, 8_500.0, 0.0, Motion::Stationary)
            .unwrap()
            .surface_force_lbf;
        assert!(puw > rot && rot > sow, "PUW {puw} > free {rot} > SOW {sow}");
        // free rotating weight = buoyed weight × TVD
        let tvd = s.tvd_at(8_500.0);
        assert!((rot - 2.320 * tvd).abs() / rot < 0.01, "{rot} vs {}", 2.32 * tvd);
    }

    #[test]
    fn set_down_buckles_the_bottom() {
        let p = ct_in_4in_hole(0.3, 10.0);
        let s = vertical(10_000.0);
        // Stopped on bottom: running in, the helical contact friction would out-grow the pipe's weight
        // all the way up a 9,000-ft vertical hole (see `slack_off_locks_up_in_a_long_lateral`).
        let r = drag(&s, &p, 9_000.0, -8_000.0, Motion::Stationary).unwrap();
        assert!(r.helical_ft > 0.0 && r.sinusoidal_ft >= r.helical_ft);
        assert!(r.max_compression_lbf >= 8_000.0);
        let running_in = drag(&s, &p, 9_000.0, -8_000.0, Motion::RunningIn);
        assert_eq!(
            running_in.unwrap_err().field(),
            "tip_md_ft",
            "locked up: no finite push holds 8,000 lbf"
        );
    }

    #[test]
    fn buckling_onsets_follow_the_published_ratios() {
        let p = ct_in_4in_hole(0.3, 10.0);
        let (ei, w, r) = (p.ei_lbf_in2(), p.buoyed_weight_lb_ft(), p.clearance_in());
        let inc = 70f64.to_radians();
        let fs = sinusoidal_buckling_lbf(ei, w, inc, r).unwrap();
        let fh = helical_buckling_lbf(ei, w, inc, r).unwrap();
        // Dawson–Paslay by hand: 2·√(7.515e6 · 2.320/12 · sin70° / 1.125)
        let hand = 2.0 * (7.515e6 * 2.320 / 12.0 * inc.sin() / 1.125f64).sqrt();
        assert!((fs - hand).abs() / hand < 2e-3, "{fs} vs {hand}");
        assert!((fh / fs - SQRT_2).abs() < 1e-9, "Chen helical = √2 × sinusoidal");
    }

    /// ENGINEERING.md §2 worked example, horizontal: w = 2.320/12 = 0.19333 lbf/in, r = 1.125 in,
    /// EI = 7.515e6 lbf·in², so EI·w/r = 7.515e6 × 0.19333 / 1.125 = 1.2915e6 lbf² and √ = 1136.4 lbf.
    /// F_s = 2 × 1136.4 = 2273 lbf; F_h (Chen–Lin–Cheatham) = 2√2 × 1136.4 = 3214 lbf;
    /// F_h (Wu & Juvkam-Wold) = 2(2√2 − 1) × 1136.4 = 3.657 × 1136.4 = 4156 lbf.
    #[test]
    fn worked_example_buckling_loads() {
        let p = ct_in_4in_hole(0.3, 10.0);
        let (ei, w, r) = (p.ei_lbf_in2(), p.buoyed_weight_lb_ft(), p.clearance_in());
        assert_eq!(r, 1.125);
        let fs = sinusoidal_buckling_lbf(ei, w, FRAC_PI_2, r).unwrap();
        let chen = helical_buckling_lbf(ei, w, FRAC_PI_2, r).unwrap();
        let wu = helical_buckling_wu_lbf(ei, w, FRAC_PI_2, r).unwrap();
        for (got, hand) in [(fs, 2273.0), (chen, 3214.0), (wu, 4156.0)] {
            assert!((got - hand).abs() / hand < 5e-3, "{got} vs {hand} by hand");
        }
        assert!((wu / fs - 1.828).abs() < 1e-3, "Wu ≈ 1.8 × F_s: {}", wu / fs);
        assert!((chen / fs - SQRT_2).abs() < 1e-12, "Chen 2√2 against Dawson–Paslay 2");
        assert!(
            (wu / chen - 1.293).abs() < 1e-3,
            "Wu ≈ 1.3 × the 2.83 value: {}",
            wu / chen
        );
    }

    #[test]
    fn vertical_onsets_use_the_vertical_formula_and_bad_inputs_are_refused() {
        let p = ct_in_4in_hole(0.3, 10.0);
        let (ei, w, r) = (p.ei_lbf_in2(), p.buoyed_weight_lb_ft(), p.clearance_in());
        let w_in = w / 12.0;
        let scale = (ei * w_in * w_in).cbrt();
        assert_eq!(sinusoidal_buckling_lbf(ei, w, 0.0, r).unwrap(), 2.55 * scale);
        assert_eq!(helical_buckling_lbf(ei, w, 0.0, r).unwrap(), 5.55 * scale);
        assert_eq!(helical_buckling_wu_lbf(ei, w, 0.0, r).unwrap(), 5.55 * scale);
        assert!(
            sinusoidal_buckling_lbf(ei, w, 0.0, r).unwrap() > 100.0,
            "not zero at θ = 0"
        );
        #[allow(clippy::type_complexity)]
        let onsets: [fn(f64, f64, f64, f64) -> Result<f64, CalcError>; 3] =
            [sinusoidal_buckling_lbf, helical_buckling_lbf, helical_buckling_wu_lbf];
        for f in onsets {
            assert_eq!(f(ei, w, 1.0, 0.0).unwrap_err().field(), "clearance_in");
            assert_eq!(f(ei, w, 1.0, -1.0).unwrap_err().field(), "clearance_in");
            assert_eq!(f(ei, 0.0, 1.0, r).unwrap_err().field(), "buoyed_weight_lb_ft");
            assert_eq!(f(ei, -0.5, 1.0, r).unwrap_err().field(), "buoyed_weight_lb_ft");
            assert_eq!(f(0.0, w, 1.0, r).unwrap_err().field(), "ei_lbf_in2");
            assert_eq!(f(ei, w, f64::NAN, r).unwrap_err().field(), "inclination_rad");
        }
    }

    #[test]
    fn a_string_that_cannot_be_integrated_is_refused_with_the_field_named() {
        let new = StringInHole::new;
        let ct = Tubular::new(1.75, 0.156).unwrap();
        let in_hole = |hole_id_in, inside_ppg, outside_ppg| {
            StringInHole::for_tubular(&ct, hole_id_in, inside_ppg, outside_ppg, 0.3, 10.0)
        };
        let cases = [
            (new(0.0, 7.5e6, 1.0, 0.3, 10.0, 0.875), "buoyed_weight_lb_ft"),
            (new(-1.0, 7.5e6, 1.0, 0.3, 10.0, 0.875), "buoyed_weight_lb_ft"),
            (new(f64::NAN, 7.5e6, 1.0, 0.3, 10.0, 0.875), "buoyed_weight_lb_ft"),
            (new(2.3, 0.0, 1.0, 0.3, 10.0, 0.875), "ei_lbf_in2"),
            (new(2.3, 7.5e6, 0.0, 0.3, 10.0, 0.875), "clearance_in"),
            (new(2.3, 7.5e6, 1.0, -0.1, 10.0, 0.875), "friction_coefficient"),
            // An element ≤ 0 used to spin drag() forever.
            (new(2.3, 7.5e6, 1.0, 0.3, 0.0, 0.875), "element_ft"),
            (new(2.3, 7.5e6, 1.0, 0.3, -5.0, 0.875), "element_ft"),
            (new(2.3, 7.5e6, 1.0, 0.3, 10.0, 0.0), "contact_radius_in"),
            (in_hole(1.75, 8.33, 8.33), "hole_id_in"),
            (in_hole(1.5, 8.33, 8.33), "hole_id_in"),
            (in_hole(4.0, -1.0, 8.33), "fluid_inside_ppg"),
            // Gas inside, 25 ppg outside: 2.658 + 0.0408 × (0 − 25 × 1.75²) < 0, the pipe floats.
            (in_hole(4.0, 0.0, 25.0), "fluid_outside_ppg"),
        ];
        for (result, field) in cases {
            assert_eq!(result.unwrap_err().field(), field);
        }
        let p = ct_in_4in_hole(0.3, 10.0);
        assert_eq!(p.contact_radius_in(), 0.875, "CT contacts the wall at its OD");
        assert_eq!(p.with_friction(0.1).unwrap().friction_coefficient(), 0.1);
        assert_eq!(p.with_friction(-0.1).unwrap_err().field(), "friction_coefficient");
    }

    #[test]
    fn drag_refuses_a_tip_outside_the_survey() {
        let s = vertical(5_000.0);
        let p = ct_in_4in_hole(0.3, 10.0);
        let field = |r: Result<DragResult, CalcError>| r.unwrap_err().field();
        assert_eq!(field(drag(&s, &p, 5_000.1, 0.0, Motion::RunningIn)), "tip_md_ft");
        assert_eq!(field(drag(&s, &p, -1.0, 0.0, Motion::RunningIn)), "tip_md_ft");
        assert_eq!(field(drag(&s, &p, f64::NAN, 0.0, Motion::RunningIn)), "tip_md_ft");
        assert_eq!(
            field(drag(&s, &p, 4_000.0, f64::INFINITY, Motion::RunningIn)),
            "tip_force_lbf"
        );
        assert_eq!(
            field(drag(&s, &p, 4_000.0, f64::NAN, Motion::RunningIn)),
            "tip_force_lbf"
        );
        let tiny = StringInHole::new(2.3, 7.5e6, 1.0, 0.3, 1e-6, 0.875).unwrap();
        assert_eq!(field(drag(&s, &tiny, 4_000.0, 0.0, Motion::RunningIn)), "element_ft");
        let at_surface = drag(&s, &p, 0.0, 1_234.0, Motion::PullingOut).unwrap();
        assert_eq!(at_surface.surface_force_lbf, 1_234.0, "no string below the surface");
        assert!(
            drag(&s, &p, 5_000.0, 0.0, Motion::RunningIn).is_ok(),
            "the last station is in the survey"
        );
    }

    /// Pick-up along a straight horizontal hole: N = w·ΔL everywhere, so the torque is μ·w·L·(OD/2).
    #[test]
    fn torque_is_friction_times_contact_force_times_radius() {
        let p = ct_in_4in_hole(0.3, 10.0);
        let r = drag(&horizontal(2_000.0), &p, 1_000.0, 0.0, Motion::PullingOut).unwrap();
        let w = p.buoyed_weight_lb_ft();
        let expected = 0.3 * w * 1_000.0 * 0.875 / 12.0;
        assert!(
            (r.surface_torque_ft_lbf - expected).abs() / expected < 1e-9,
            "{} vs {expected} ft·lbf",
            r.surface_torque_ft_lbf
        );
        assert!(
            (r.surface_force_lbf - 0.3 * w * 1_000.0).abs() < 1e-6,
            "capstan-free drag μ·w·L"
        );
        let frictionless = drag(
            &horizontal(2_000.0),
            &p.with_friction(0.0).unwrap(),
            1_000.0,
            0.0,
            Motion::PullingOut,
        );
        assert_eq!(frictionless.unwrap().surface_torque_ft_lbf, 0.0);
    }

    /// The analytic dT_surface/dT_tip against a central finite difference, through the helical term
    /// (horizontal, all helical), and through curvature and turn in both directions.
    #[test]
    fn bit_transfer_is_the_exact_sensitivity_of_the_integration() {
        let slope = |s: &Survey, p: &StringInHole, tip: f64, f: f64, m: Motion| {
            let h = 1e-3;
            let up = drag(s, p, tip, f + h, m).unwrap().surface_force_lbf;
            let down = drag(s, p, tip, f - h, m).unwrap().surface_force_lbf;
            (up - down) / (2.0 * h)
        };
        let p = ct_in_4in_hole(0.25, 10.0);
        let flat = horizontal(3_000.0);
        for f in [-5_000.0, -12_000.0] {
            let r = drag(&flat, &p, 500.0, f, Motion::RunningIn).unwrap();
            assert!(r.helical_ft > 0.0);
            let fd = slope(&flat, &p, 500.0, f, Motion::RunningIn);
            assert!(
                (1.0 / r.bit_transfer - fd).abs() / fd < 1e-5,
                "{} vs {fd}",
                1.0 / r.bit_transfer
            );
        }
        let turning = Survey::new(vec![
            st(0.0, 0.0, 0.0),
            st(2000.0, 0.0, 0.0),
            st(4000.0, 60.0, 30.0),
            st(6000.0, 80.0, 120.0),
            st(8000.0, 80.0, 120.0),
        ])
        .unwrap();
        let p = ct_in_4in_hole(0.3, 25.0);
        for (m, f) in [
            (Motion::PullingOut, 0.0),
            (Motion::PullingOut, -3_000.0),
            (Motion::PullingOut, 2_000.0),
            (Motion::RunningIn, 0.0),
        ] {
            let r = drag(&turning, &p, 7_000.0, f, m).unwrap();
            let fd = slope(&turning, &p, 7_000.0, f, m);
            assert!(
                (1.0 / r.bit_transfer - fd).abs() / fd < 1e-5,
                "{m:?} {f}: {} vs {fd}",
                1.0 / r.bit_transfer
            );
        }
    }

    /// The well at μ 0.4: slack-off reaches 6,000 ft, locks up by 6,600 ft (the helically buckled
    /// vertical section can no longer carry the push), and by 7,000 ft no finite surface force moves it.
    #[test]
    fn slack_off_locks_up_in_a_long_lateral() {
        let s = build_and_lateral();
        let p = ct_in_4in_hole(0.4, 10.0);
        let free = drag(&s, &p, 6_000.0, 0.0, Motion::RunningIn).unwrap();
        assert!(!free.is_locked_up() && free.bit_transfer > 0.2, "{free:?}");
        let locked = drag(&s, &p, 6_600.0, 0.0, Motion::RunningIn).unwrap();
        assert!(locked.is_locked_up(), "{locked:?}");
        assert!(locked.helical_ft > 1_000.0, "{locked:?}");
        assert_eq!(
            drag(&s, &p, 7_000.0, 0.0, Motion::RunningIn).unwrap_err().field(),
            "tip_md_ft"
        );
        let pick_up = drag(&s, &p, 7_000.0, 0.0, Motion::PullingOut).unwrap();
        assert!(!pick_up.is_locked_up(), "it still pulls out: {pick_up:?}");
    }

    #[test]
    fn horizontal_helical_drag_matches_the_closed_form() {
        let p = ct_in_4in_hole(0.25, 0.5);
        let f0 = 12_000.0; // well past helical onset everywhere
        let len_ft = 200.0;
        let numeric = -drag(&horizontal(3_000.0), &p, len_ft, -f0, Motion::RunningIn)
            .unwrap()
            .surface_force_lbf;
        let w = p.buoyed_weight_lb_ft() / 12.0;
        let a = p.clearance_in() / (4.0 * p.ei_lbf_in2());
        let HelicalPush::Force(analytic) = horizontal_helical_force(w, a, 0.25, f0, len_ft * 12.0).unwrap() else {
            panic!("before lockup")
        };
        assert!(
            (numeric - analytic).abs() / analytic < 0.01,
            "numeric {numeric} analytic {analytic}"
        );
        // and the closed form does lock up at a finite distance, s*
        let s_star = helical_lockup_distance_in(w, a, 0.25, f0).unwrap();
        assert!(matches!(
            horizontal_helical_force(w, a, 0.25, f0, s_star * 0.999).unwrap(),
            HelicalPush::Force(f) if f > 1e6
        ));
        assert_eq!(
            horizontal_helical_force(w, a, 0.25, f0, s_star * 1.001).unwrap(),
            HelicalPush::LockedUp
        );
        assert_eq!(
            horizontal_helical_force(w, a, 0.25, f0, 1.0e6).unwrap(),
            HelicalPush::LockedUp
        );
        // without friction the push arrives unchanged
        assert!(matches!(
            horizontal_helical_force(w, a, 0.0, f0, 1.0e6).unwrap(),
            HelicalPush::Force(f) if (f - f0).abs() < 1e-6
        ));
    }

    #[test]
    fn invalid_helical_input_is_an_error_not_a_lockup() {
        let (w, a) = (0.1933, 3.74e-8);
        let field = |r: Result<HelicalPush, CalcError>| r.unwrap_err().field();
        assert_eq!(field(horizontal_helical_force(0.0, a, 0.3, 1_000.0, 100.0)), "w_lb_in");
        assert_eq!(
            field(horizontal_helical_force(w, -a, 0.3, 1_000.0, 100.0)),
            "a_per_lbf_in"
        );
        assert_eq!(field(horizontal_helical_force(w, a, -0.3, 1_000.0, 100.0)), "mu");
        assert_eq!(field(horizontal_helical_force(w, a, 0.3, f64::NAN, 100.0)), "f0_lbf");
        assert_eq!(field(horizontal_helical_force(w, a, 0.3, 1_000.0, -1.0)), "s_in");
        assert_eq!(
            helical_lockup_distance_in(w, a, 0.0, 1_000.0).unwrap_err().field(),
            "mu"
        );
        assert_eq!(
            helical_lockup_distance_in(-w, a, 0.3, 1_000.0).unwrap_err().field(),
            "w_lb_in"
        );
    }
}
