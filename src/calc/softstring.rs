//! Soft-string torque-and-drag (Johancsik, SPE-11380) and CT buckling loads.
//!
//! Forces in lbf, tension positive. Effective (buoyed) force: buoyancy is carried by the buoyed weight,
//! so the wellhead-pressure end load is applied separately at the surface (see `sim::ct_unit`).

use super::survey::{Survey, wrap_deg};

/// Direction of pipe movement, which sets the sign of friction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Motion {
    /// Slack-off: friction acts upward, the string reads lighter.
    RunningIn,
    /// Pick-up: friction acts downward, the string reads heavier.
    PullingOut,
    Stationary,
}

impl Motion {
    fn friction_sign(self) -> f64 {
        match self {
            Motion::RunningIn => -1.0,
            Motion::PullingOut => 1.0,
            Motion::Stationary => 0.0,
        }
    }
}

/// The string and hole that a drag run needs.
#[derive(Debug, Clone, Copy)]
pub struct StringInHole {
    /// Buoyed weight, lb/ft.
    pub buoyed_weight_lb_ft: f64,
    /// Bending stiffness EI, lbf·in².
    pub ei_lbf_in2: f64,
    /// Radial clearance r = (hole ID − pipe OD)/2, in.
    pub clearance_in: f64,
    pub friction_coefficient: f64,
    /// Element length for the integration, ft.
    pub element_ft: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct DragResult {
    /// Effective axial force at the surface (tension positive), lbf.
    pub surface_force_lbf: f64,
    /// Largest compression anywhere in the string, lbf (≥ 0).
    pub max_compression_lbf: f64,
    /// Length of string beyond the sinusoidal and helical onset, ft.
    pub sinusoidal_ft: f64,
    pub helical_ft: f64,
}

/// Sinusoidal buckling onset, lbf: Dawson–Paslay 2·√(EI·w·sinθ/r), and for near-vertical pipe the
/// vertical limit 2.55·(EI·w²)^(1/3) (Dawson–Paslay tends to zero as θ → 0, which is not physical).
pub fn sinusoidal_buckling_lbf(ei_lbf_in2: f64, w_lb_ft: f64, inc_rad: f64, r_in: f64) -> f64 {
    let w = w_lb_ft / 12.0;
    let dp = 2.0 * (ei_lbf_in2 * w * inc_rad.sin().max(0.0) / r_in).sqrt();
    dp.max(2.55 * (ei_lbf_in2 * w * w).cbrt())
}

/// Helical buckling onset, lbf: Chen–Lin–Cheatham 2√2·√(EI·w·sinθ/r); vertical limit 5.55·(EI·w²)^(1/3).
pub fn helical_buckling_lbf(ei_lbf_in2: f64, w_lb_ft: f64, inc_rad: f64, r_in: f64) -> f64 {
    let w = w_lb_ft / 12.0;
    let chen = 2.0 * std::f64::consts::SQRT_2 * (ei_lbf_in2 * w * inc_rad.sin().max(0.0) / r_in).sqrt();
    chen.max(5.55 * (ei_lbf_in2 * w * w).cbrt())
}

/// Integrates the soft-string model from the pipe tip (at `tip_md_ft`, carrying `tip_force_lbf`,
/// negative when set down) up to the surface.
pub fn drag(survey: &Survey, pipe: &StringInHole, tip_md_ft: f64, tip_force_lbf: f64, motion: Motion) -> DragResult {
    let mut t = tip_force_lbf;
    let mut out = DragResult {
        max_compression_lbf: (-t).max(0.0),
        ..DragResult::default()
    };
    let sign = motion.friction_sign();
    let mut md_bot = tip_md_ft.max(0.0);
    let (mut inc_b, mut azi_b) = survey.attitude_at(md_bot);
    while md_bot > 1e-9 {
        let md_top = (md_bot - pipe.element_ft).max(0.0);
        let dl = md_bot - md_top;
        let (inc_t, azi_t) = survey.attitude_at(md_top);
        let theta = ((inc_t + inc_b) / 2.0).to_radians();
        let d_theta = (inc_t - inc_b).to_radians();
        let d_phi = wrap_deg(azi_t - azi_b).to_radians();
        let w = pipe.buoyed_weight_lb_ft;
        let mut normal = ((t * d_phi * theta.sin()).powi(2) + (t * d_theta + w * dl * theta.sin()).powi(2)).sqrt();
        if t < 0.0 {
            let f = -t;
            if f > sinusoidal_buckling_lbf(pipe.ei_lbf_in2, w, theta, pipe.clearance_in) {
                out.sinusoidal_ft += dl;
            }
            if f > helical_buckling_lbf(pipe.ei_lbf_in2, w, theta, pipe.clearance_in) {
                out.helical_ft += dl;
                // Mitchell's helical contact load r·F²/(4EI), lbf/in, over the element.
                normal += pipe.clearance_in * f * f / (4.0 * pipe.ei_lbf_in2) * dl * 12.0;
            }
        }
        t += w * dl * theta.cos() + sign * pipe.friction_coefficient * normal;
        out.max_compression_lbf = out.max_compression_lbf.max(-t);
        md_bot = md_top;
        inc_b = inc_t;
        azi_b = azi_t;
    }
    out.surface_force_lbf = t;
    out
}

/// Analytic compression along a horizontal, fully helically buckled section pushed from one end:
/// dF/ds = μ(w + aF²), a = r/(4EI), so F(s) = √(w/a)·tan(μ√(wa)·s + atan(F0·√(a/w))).
/// `w` in lbf/in, `s` in in. Returns `None` past the lockup distance, where F → ∞.
pub fn horizontal_helical_force(w_lb_in: f64, a_per_lbf_in: f64, mu: f64, f0_lbf: f64, s_in: f64) -> Option<f64> {
    let arg = mu * (w_lb_in * a_per_lbf_in).sqrt() * s_in + (f0_lbf * (a_per_lbf_in / w_lb_in).sqrt()).atan();
    (arg < std::f64::consts::FRAC_PI_2).then(|| (w_lb_in / a_per_lbf_in).sqrt() * arg.tan())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calc::survey::Station;
    use crate::calc::tubular::Tubular;

    fn ct_in_4in_hole(mu: f64, element_ft: f64) -> StringInHole {
        let ct = Tubular::new(1.75, 0.156).unwrap();
        StringInHole {
            buoyed_weight_lb_ft: ct.weight_buoyed_lb_ft(8.33, 8.33),
            ei_lbf_in2: ct.ei_lbf_in2(),
            clearance_in: (4.0 - 1.75) / 2.0,
            friction_coefficient: mu,
            element_ft,
        }
    }

    fn vertical(md: f64) -> Survey {
        Survey::new(vec![
            Station {
                md_ft: 0.0,
                inc_deg: 0.0,
                azi_deg: 0.0,
            },
            Station {
                md_ft: md,
                inc_deg: 0.0,
                azi_deg: 0.0,
            },
        ])
        .unwrap()
    }

    #[test]
    fn vertical_hanging_weight_is_buoyed_weight_times_depth() {
        let p = ct_in_4in_hole(0.3, 50.0);
        let r = drag(&vertical(10_000.0), &p, 8_000.0, 0.0, Motion::PullingOut);
        assert!(
            (r.surface_force_lbf - 2.320 * 8_000.0).abs() < 20.0,
            "{}",
            r.surface_force_lbf
        );
        let rih = drag(&vertical(10_000.0), &p, 8_000.0, 0.0, Motion::RunningIn);
        assert!(
            (rih.surface_force_lbf - r.surface_force_lbf).abs() < 1e-6,
            "no friction in a vertical hole"
        );
    }

    #[test]
    fn deviation_splits_pick_up_and_slack_off() {
        let s = Survey::new(vec![
            Station {
                md_ft: 0.0,
                inc_deg: 0.0,
                azi_deg: 0.0,
            },
            Station {
                md_ft: 3000.0,
                inc_deg: 0.0,
                azi_deg: 0.0,
            },
            Station {
                md_ft: 4500.0,
                inc_deg: 60.0,
                azi_deg: 0.0,
            },
            Station {
                md_ft: 9000.0,
                inc_deg: 60.0,
                azi_deg: 0.0,
            },
        ])
        .unwrap();
        let p = ct_in_4in_hole(0.3, 50.0);
        let puw = drag(&s, &p, 8_500.0, 0.0, Motion::PullingOut).surface_force_lbf;
        let sow = drag(&s, &p, 8_500.0, 0.0, Motion::RunningIn).surface_force_lbf;
        let rot = drag(&s, &p, 8_500.0, 0.0, Motion::Stationary).surface_force_lbf;
        assert!(puw > rot && rot > sow, "PUW {puw} > free {rot} > SOW {sow}");
        // free rotating weight = buoyed weight × TVD
        let tvd = s.tvd_at(8_500.0);
        assert!((rot - 2.320 * tvd).abs() / rot < 0.01, "{rot} vs {}", 2.32 * tvd);
    }

    #[test]
    fn set_down_buckles_the_bottom() {
        let p = ct_in_4in_hole(0.3, 10.0);
        let s = vertical(10_000.0);
        let r = drag(&s, &p, 9_000.0, -8_000.0, Motion::RunningIn);
        assert!(r.helical_ft > 0.0 && r.sinusoidal_ft >= r.helical_ft);
        assert!(r.max_compression_lbf >= 8_000.0);
    }

    #[test]
    fn buckling_onsets_follow_the_published_ratios() {
        let p = ct_in_4in_hole(0.3, 10.0);
        let inc = 70f64.to_radians();
        let fs = sinusoidal_buckling_lbf(p.ei_lbf_in2, p.buoyed_weight_lb_ft, inc, p.clearance_in);
        let fh = helical_buckling_lbf(p.ei_lbf_in2, p.buoyed_weight_lb_ft, inc, p.clearance_in);
        // Dawson–Paslay by hand: 2·√(7.515e6 · 2.320/12 · sin70° / 1.125)
        let hand = 2.0 * (7.515e6 * 2.320 / 12.0 * inc.sin() / 1.125f64).sqrt();
        assert!((fs - hand).abs() / hand < 2e-3, "{fs} vs {hand}");
        assert!(
            (fh / fs - std::f64::consts::SQRT_2).abs() < 1e-9,
            "Chen helical = √2 × sinusoidal"
        );
    }

    #[test]
    fn horizontal_helical_drag_matches_the_closed_form() {
        let survey = Survey::new(vec![
            Station {
                md_ft: 0.0,
                inc_deg: 90.0,
                azi_deg: 0.0,
            },
            Station {
                md_ft: 3000.0,
                inc_deg: 90.0,
                azi_deg: 0.0,
            },
        ])
        .unwrap();
        let p = ct_in_4in_hole(0.25, 0.5);
        let f0 = 12_000.0; // well past helical onset everywhere
        let len_ft = 200.0;
        let numeric = -drag(&survey, &p, len_ft, -f0, Motion::RunningIn).surface_force_lbf;
        let a = p.clearance_in / (4.0 * p.ei_lbf_in2);
        let analytic =
            horizontal_helical_force(p.buoyed_weight_lb_ft / 12.0, a, 0.25, f0, len_ft * 12.0).expect("before lockup");
        assert!(
            (numeric - analytic).abs() / analytic < 0.01,
            "numeric {numeric} analytic {analytic}"
        );
        // and the closed form does lock up at a finite distance
        assert!(horizontal_helical_force(p.buoyed_weight_lb_ft / 12.0, a, 0.25, f0, 1.0e6).is_none());
    }
}
