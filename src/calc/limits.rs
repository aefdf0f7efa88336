//! Pipe limits under combined load (ENGINEERING.md §4): Lamé radial and hoop stress, axial and torsional
//! stress, von Mises equivalent stress at both walls, burst and collapse ratings, and the von Mises envelope
//! (the "limits curve") for a plot.
//!
//! Owns the stress state of one cross-section of a plain-end tubular. Invariants: pressures are gauge and
//! ≥ 0; the axial force is the TRUE force (tension +), F_true = F_eff + p_i·A_i − p_o·A_o — buckling uses the
//! effective force, stress the true one, and converting between them is the caller's job; torque in ft·lbf.
//! Every input is validated and named; nothing answers NaN or infinity (an unloaded pipe has no safety
//! factor rather than an infinite one). Must not touch fatigue (bending strain on the reel and arch is
//! plastic and lives there) or the force model that produces the load.
//!
//! Sources: Lamé thick-wall equations; von Mises with torsion τ = T·r/J; CTES "Tubing Limits for Burst and
//! Collapse" (Newman 2002) for the limits-curve approach; burst P_b = 2·Y·t/OD (API RP 5C7 style);
//! collapse with ovality from Timoshenko's closed form (cited by Avakov & Taliaferro) with the yield
//! strength reduced for axial stress, Y_pa = Y·[√(1 − 0.75·(σa/Y)²) − 0.5·σa/Y] (API 5C3 form as in
//! pwploads; the 2008 API TR 5C3 adds the internal pressure to σa, which ENGINEERING.md §4 does not).

use super::STEEL_E_PSI;
use super::error::{CalcError, check, finite, non_negative, positive};
use super::tubular::Tubular;
use serde::{Deserialize, Serialize};
use std::f64::consts::PI;

/// Poisson's ratio of steel (elastic collapse).
pub const STEEL_POISSON: f64 = 0.3;

/// The load on one cross-section of pipe.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipeLoad {
    pub od_in: f64,
    pub wall_in: f64,
    /// Minimum yield strength, psi (CT80: 80,000).
    pub yield_psi: f64,
    /// (D_max − D_min)/OD, a fraction (0.02 = 2 %).
    #[serde(default)]
    pub ovality: f64,
    pub inside_pressure_psi: f64,
    pub outside_pressure_psi: f64,
    /// True axial force, lbf, tension positive.
    pub axial_true_lbf: f64,
    #[serde(default)]
    pub torque_ft_lbf: f64,
}

/// Which wall of the pipe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Wall {
    Inner,
    Outer,
}

/// The stress state and ratings of a loaded pipe, psi unless named otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PipeLimits {
    pub area_in2: f64,
    pub polar_moment_in4: f64,
    pub axial_psi: f64,
    pub radial_inner_psi: f64,
    pub hoop_inner_psi: f64,
    pub radial_outer_psi: f64,
    pub hoop_outer_psi: f64,
    /// Torsional shear at the outer wall, where it is largest (the inner wall's, smaller, enters its VME).
    pub shear_psi: f64,
    pub vme_inner_psi: f64,
    pub vme_outer_psi: f64,
    pub vme_max_psi: f64,
    /// The wall with the larger von Mises stress (the inner one on a tie).
    pub governing_wall: Wall,
    /// vme_max as a percentage of the yield strength.
    pub pct_of_yield: f64,
    /// Yield / vme_max; `None` when the pipe carries no stress at all.
    pub safety_factor: Option<f64>,
    /// Burst rating 2·Y·t/OD.
    pub burst_psi: f64,
    /// Collapse rating with ovality and the axial-stress-reduced yield.
    pub collapse_psi: f64,
}

/// Stresses and ratings of a pipe under a combined load.
pub fn pipe_limits(load: &PipeLoad) -> Result<PipeLimits, CalcError> {
    let section = Section::new(load.od_in, load.wall_in)?;
    let yield_psi = positive("yield_psi", load.yield_psi)?;
    let ovality = check(
        "ovality",
        load.ovality,
        |o| (0.0..1.0).contains(&o),
        "must be a fraction, 0 to under 1",
    )?;
    let p_in = non_negative("inside_pressure_psi", load.inside_pressure_psi)?;
    let p_out = non_negative("outside_pressure_psi", load.outside_pressure_psi)?;
    let force = finite("axial_true_lbf", load.axial_true_lbf)?;
    let torque = finite("torque_ft_lbf", load.torque_ft_lbf)?;

    let axial = force / section.area_in2;
    let inner = section.wall_stress(Wall::Inner, p_in, p_out, axial, torque);
    let outer = section.wall_stress(Wall::Outer, p_in, p_out, axial, torque);
    let (vme_max, governing_wall) = if outer.vme > inner.vme {
        (outer.vme, Wall::Outer)
    } else {
        (inner.vme, Wall::Inner)
    };
    let t_over_d = load.wall_in / load.od_in;
    let limits = PipeLimits {
        area_in2: section.area_in2,
        polar_moment_in4: section.polar_in4,
        axial_psi: axial,
        radial_inner_psi: inner.radial,
        hoop_inner_psi: inner.hoop,
        radial_outer_psi: outer.radial,
        hoop_outer_psi: outer.hoop,
        shear_psi: outer.shear,
        vme_inner_psi: inner.vme,
        vme_outer_psi: outer.vme,
        vme_max_psi: vme_max,
        governing_wall,
        pct_of_yield: 100.0 * vme_max / yield_psi,
        safety_factor: (vme_max > 0.0).then_some(yield_psi / vme_max),
        burst_psi: 2.0 * yield_psi * t_over_d,
        collapse_psi: collapse_psi(yield_psi, t_over_d, ovality, axial)?,
    };
    let all = [
        limits.vme_max_psi,
        limits.pct_of_yield,
        limits.safety_factor.unwrap_or(0.0),
    ];
    if all.iter().all(|v| v.is_finite()) {
        Ok(limits)
    } else {
        Err(CalcError::Inconsistent {
            field: "axial_true_lbf",
            reason: "the loads are too large for the stresses to be computed".to_owned(),
        })
    }
}

/// The von Mises limits curve: a closed polygon in the (true axial force lbf, p_in − p_out psi) plane on which
/// the larger von Mises stress of the two walls equals `fraction`·yield, torque 0, outside pressure fixed.
/// Inside it the pipe is below that fraction of yield. The pressure is swept between the curve's lowest and
/// highest differential (never below −p_out: gauge inside pressure is ≥ 0) and the quadratic in σa solved for
/// both branches: `points` vertices, the upper (tension) branch left to right, then the lower one back, and
/// the first vertex again so a line plot closes. The curve is von Mises only; it is not clipped to the burst
/// or collapse rating, which `pipe_limits` reports separately to be drawn as lines of their own.
pub fn vme_envelope(
    od_in: f64,
    wall_in: f64,
    yield_psi: f64,
    fraction: f64,
    outside_pressure_psi: f64,
    points: usize,
) -> Result<Vec<[f64; 2]>, CalcError> {
    let section = Section::new(od_in, wall_in)?;
    let yield_psi = positive("yield_psi", yield_psi)?;
    let fraction = check(
        "fraction",
        fraction,
        |f| f > 0.0 && f <= 1.0,
        "must be over 0 and at most 1",
    )?;
    let p_out = non_negative("outside_pressure_psi", outside_pressure_psi)?;
    if !(8..=100_000).contains(&points) {
        return Err(CalcError::Invalid {
            field: "points",
            value: points as f64,
            rule: "must be 8 to 100,000",
        });
    }
    let limit = fraction * yield_psi;
    let band = |dp: f64| section.axial_band(p_out + dp, p_out, limit);
    // The inner wall's hoop − radial difference is 2·r_o²·Δp/(r_o² − r_i²); past 2·S/√3 no axial stress
    // satisfies von Mises. The feasible Δp form one interval around 0 (the allowed region is convex, and at
    // Δp = 0, σa = −p_out stresses both walls hydrostatically: von Mises 0), so each end is found by bisection.
    let (ri2, ro2) = (section.ri * section.ri, section.ro * section.ro);
    let dp_max = limit * (ro2 - ri2) / (3.0_f64.sqrt() * ro2);
    let high = feasible_end(&band, dp_max);
    let low = feasible_end(&band, (-p_out).max(-dp_max));
    let upper_n = points / 2;
    let lower_n = points - upper_n;
    // The ends exactly: `from + (to − from)` can round past the last feasible Δp.
    let at = |from: f64, to: f64, i: usize, n: usize| {
        if i + 1 == n {
            to
        } else {
            from + (to - from) * i as f64 / (n - 1) as f64
        }
    };
    let area = section.area_in2;
    let mut out: Vec<[f64; 2]> = (0..upper_n)
        .filter_map(|i| {
            let dp = at(low, high, i, upper_n);
            band(dp).map(|(_, hi)| [hi * area, dp])
        })
        .collect();
    out.extend((0..lower_n).filter_map(|i| {
        let dp = at(high, low, i, lower_n);
        band(dp).map(|(lo, _)| [lo * area, dp])
    }));
    if let Some(&first) = out.first() {
        out.push(first);
    }
    Ok(out)
}

/// The last Δp between 0 (always feasible) and `limit` that still admits an axial stress, by bisection.
fn feasible_end(band: &impl Fn(f64) -> Option<(f64, f64)>, limit: f64) -> f64 {
    if band(limit).is_some() {
        return limit;
    }
    let (mut inside, mut outside) = (0.0, limit);
    for _ in 0..100 {
        let mid = 0.5 * (inside + outside);
        if band(mid).is_some() {
            inside = mid;
        } else {
            outside = mid;
        }
    }
    inside
}

/// Collapse rating, psi: P_c = ½B − √(¼B² − P_y·P_E), B = P_y + P_E·(1 + 1.5·Θ·OD/t), P_y = 2·Y_pa·t/OD,
/// P_E = 2E/(1 − ν²)·(t/OD)³. Computed as P_y·P_E/(½B + √(¼B² − P_y·P_E)), the same root without the
/// cancellation of two nearly equal numbers when one pressure is far below the other.
fn collapse_psi(yield_psi: f64, t_over_d: f64, ovality: f64, axial_psi: f64) -> Result<f64, CalcError> {
    let x = axial_psi / yield_psi;
    let root = 1.0 - 0.75 * x * x;
    let reduced = if root >= 0.0 {
        yield_psi * (root.sqrt() - 0.5 * x)
    } else {
        -1.0
    };
    if reduced < 0.0 {
        return Err(CalcError::Inconsistent {
            field: "axial_true_lbf",
            reason: format!(
                "an axial stress of {axial_psi:.0} psi is beyond the yield strength ({yield_psi} psi): the pipe \
                 has yielded and has no collapse rating"
            ),
        });
    }
    let p_y = 2.0 * reduced * t_over_d;
    let p_e = 2.0 * STEEL_E_PSI / (1.0 - STEEL_POISSON * STEEL_POISSON) * t_over_d.powi(3);
    let half_b = 0.5 * (p_y + p_e * (1.0 + 1.5 * ovality / t_over_d));
    Ok(p_y * p_e / (half_b + (half_b * half_b - p_y * p_e).max(0.0).sqrt()))
}

/// A valid cross-section: radii, steel area and polar moment.
struct Section {
    ri: f64,
    ro: f64,
    area_in2: f64,
    polar_in4: f64,
}

/// Stresses at one wall, psi.
struct WallStress {
    radial: f64,
    hoop: f64,
    shear: f64,
    vme: f64,
}

impl Section {
    fn new(od_in: f64, wall_in: f64) -> Result<Self, CalcError> {
        let t = Tubular::new(od_in, wall_in)?;
        Ok(Self {
            ri: t.id_in() / 2.0,
            ro: t.od_in() / 2.0,
            area_in2: t.area_in2(),
            polar_in4: PI / 32.0 * (t.od_in().powi(4) - t.id_in().powi(4)),
        })
    }

    fn radius(&self, wall: Wall) -> f64 {
        match wall {
            Wall::Inner => self.ri,
            Wall::Outer => self.ro,
        }
    }

    /// Lamé (radial, hoop) at a wall: [p_i·r_i² − p_o·r_o² ∓ (p_i − p_o)·r_i²·r_o²/r²]/(r_o² − r_i²).
    fn lame(&self, wall: Wall, p_in: f64, p_out: f64) -> (f64, f64) {
        let (ri2, ro2) = (self.ri * self.ri, self.ro * self.ro);
        let r = self.radius(wall);
        let mean = p_in * ri2 - p_out * ro2;
        let varying = (p_in - p_out) * ri2 * ro2 / (r * r);
        ((mean - varying) / (ro2 - ri2), (mean + varying) / (ro2 - ri2))
    }

    fn wall_stress(&self, wall: Wall, p_in: f64, p_out: f64, axial: f64, torque_ft_lbf: f64) -> WallStress {
        let (radial, hoop) = self.lame(wall, p_in, p_out);
        let shear = torque_ft_lbf * 12.0 * self.radius(wall) / self.polar_in4;
        WallStress {
            radial,
            hoop,
            shear,
            vme: von_mises(axial, hoop, radial, shear),
        }
    }

    /// The axial stresses for which both walls stay at or under `limit` von Mises (torque 0), or `None`.
    /// Per wall, VME = S is σa² − σa·(σθ + σr) + σθ² + σr² − σθ·σr − S² = 0, discriminant 4S² − 3(σθ − σr)².
    fn axial_band(&self, p_in: f64, p_out: f64, limit: f64) -> Option<(f64, f64)> {
        let mut band = (f64::NEG_INFINITY, f64::INFINITY);
        for wall in [Wall::Inner, Wall::Outer] {
            let (radial, hoop) = self.lame(wall, p_in, p_out);
            let disc = 4.0 * limit * limit - 3.0 * (hoop - radial).powi(2);
            if disc < 0.0 {
                return None;
            }
            let half_width = 0.5 * disc.sqrt();
            let centre = 0.5 * (hoop + radial);
            band = (band.0.max(centre - half_width), band.1.min(centre + half_width));
        }
        (band.0 <= band.1).then_some(band)
    }
}

fn von_mises(axial: f64, hoop: f64, radial: f64, shear: f64) -> f64 {
    (0.5 * ((axial - hoop).powi(2) + (hoop - radial).powi(2) + (radial - axial).powi(2)) + 3.0 * shear * shear).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(a: f64, b: f64) -> f64 {
        (a - b).abs() / b.abs()
    }

    /// ENGINEERING.md §4 worked example: 1.75 × 0.156 in CT80, p_i 5,000 psi, p_o 0, F_true 20,000 lbf,
    /// T 1,000 ft·lbf.
    fn worked() -> PipeLoad {
        PipeLoad {
            od_in: 1.75,
            wall_in: 0.156,
            yield_psi: 80_000.0,
            ovality: 0.0,
            inside_pressure_psi: 5_000.0,
            outside_pressure_psi: 0.0,
            axial_true_lbf: 20_000.0,
            torque_ft_lbf: 1_000.0,
        }
    }

    #[test]
    fn worked_example_section_and_stresses() {
        let l = pipe_limits(&worked()).unwrap();
        // [D] ENGINEERING.md §4, to its 4 figures
        assert!(rel(l.area_in2, 0.7812) < 1e-4, "{l:?}");
        assert!(rel(l.polar_moment_in4, 0.5010) < 1e-4, "{l:?}");
        // [D] regression against an independent script of the same formulas
        assert!(rel(l.axial_psi, 25_601.605_876_5) < 1e-6);
        assert!(rel(l.radial_inner_psi, -5_000.0) < 1e-9 && l.radial_outer_psi.abs() < 1e-9);
        assert!(rel(l.hoop_inner_psi, 25_789.539_298) < 1e-6);
        assert!(rel(l.hoop_outer_psi, 20_789.539_298) < 1e-6);
        assert!(rel(l.shear_psi, 20_958.973_644) < 1e-6);
        assert!(rel(l.vme_inner_psi, 42_802.643_417) < 1e-6);
        assert!(rel(l.vme_outer_psi, 43_280.911_553) < 1e-6);
        assert_eq!(l.governing_wall, Wall::Outer, "torsion is largest at the outer wall");
        assert_eq!(l.vme_max_psi, l.vme_outer_psi);
        assert!(rel(l.safety_factor.unwrap(), 1.848_389_905) < 1e-6);
        assert!(rel(l.pct_of_yield, 54.101_139_44) < 1e-6);
        assert!(rel(l.burst_psi, 14_262.857_143) < 1e-6);
        // round pipe: the smaller of the yield (reduced by 25.6 ksi tension) and elastic collapse pressures
        assert!(rel(l.collapse_psi, 11_421.951_605) < 1e-6, "{l:?}");
    }

    #[test]
    fn lame_by_hand() {
        // r_i 1, r_o 2: internal 300 psi → σθ 300·5/3 = 500 at the bore, 2·300/3 = 200 outside
        let load = PipeLoad {
            od_in: 4.0,
            wall_in: 1.0,
            yield_psi: 80_000.0,
            ovality: 0.0,
            inside_pressure_psi: 300.0,
            outside_pressure_psi: 0.0,
            axial_true_lbf: 0.0,
            torque_ft_lbf: 0.0,
        };
        let l = pipe_limits(&load).unwrap();
        assert!((l.hoop_inner_psi - 500.0).abs() < 1e-9 && (l.hoop_outer_psi - 200.0).abs() < 1e-9);
        assert!((l.radial_inner_psi + 300.0).abs() < 1e-9 && l.radial_outer_psi.abs() < 1e-9);
        // external 300 psi → σθ −2·p_o·r_o²/(r_o² − r_i²) = −800 at the bore, −500 outside
        let l = pipe_limits(&PipeLoad {
            inside_pressure_psi: 0.0,
            outside_pressure_psi: 300.0,
            ..load
        })
        .unwrap();
        assert!((l.hoop_inner_psi + 800.0).abs() < 1e-9 && (l.hoop_outer_psi + 500.0).abs() < 1e-9);
        assert!(l.radial_inner_psi.abs() < 1e-9 && (l.radial_outer_psi + 300.0).abs() < 1e-9);
    }

    #[test]
    fn thin_wall_hoop_is_pd_over_2t() {
        let l = pipe_limits(&PipeLoad {
            od_in: 100.0,
            wall_in: 0.1,
            yield_psi: 1.0e6,
            ovality: 0.0,
            inside_pressure_psi: 1_000.0,
            outside_pressure_psi: 0.0,
            axial_true_lbf: 0.0,
            torque_ft_lbf: 0.0,
        })
        .unwrap();
        // Barlow on the OD is the thin-wall limit: Lamé differs from it by about 3t/D at the outer wall.
        let barlow = 1_000.0 * 100.0 / (2.0 * 0.1);
        assert!(rel(l.hoop_inner_psi, barlow) < 4e-3, "{}", l.hoop_inner_psi);
        assert!(rel(l.hoop_outer_psi, barlow) < 4e-3, "{}", l.hoop_outer_psi);
        assert!(
            l.hoop_inner_psi > l.hoop_outer_psi,
            "hoop stress is largest at the bore"
        );
    }

    #[test]
    fn uniaxial_von_mises_is_the_axial_stress() {
        for force in [20_000.0, -20_000.0] {
            let l = pipe_limits(&PipeLoad {
                inside_pressure_psi: 0.0,
                axial_true_lbf: force,
                torque_ft_lbf: 0.0,
                ..worked()
            })
            .unwrap();
            assert!(rel(l.vme_inner_psi, l.axial_psi.abs()) < 1e-12);
            assert!(rel(l.vme_outer_psi, l.axial_psi.abs()) < 1e-12);
        }
        // pure torsion: √3·τ
        let l = pipe_limits(&PipeLoad {
            inside_pressure_psi: 0.0,
            axial_true_lbf: 0.0,
            ..worked()
        })
        .unwrap();
        assert!(rel(l.vme_outer_psi, 3.0_f64.sqrt() * l.shear_psi) < 1e-12);
    }

    #[test]
    fn an_unloaded_pipe_has_no_safety_factor() {
        let l = pipe_limits(&PipeLoad {
            inside_pressure_psi: 0.0,
            axial_true_lbf: 0.0,
            torque_ft_lbf: 0.0,
            ..worked()
        })
        .unwrap();
        assert_eq!((l.vme_max_psi, l.pct_of_yield, l.safety_factor), (0.0, 0.0, None));
    }

    #[test]
    fn collapse_falls_with_ovality_and_with_tension() {
        let collapse = |ovality: f64, force: f64| {
            pipe_limits(&PipeLoad {
                ovality,
                axial_true_lbf: force,
                ..worked()
            })
            .unwrap()
            .collapse_psi
        };
        assert!(collapse(0.01, 0.0) < collapse(0.0, 0.0));
        assert!(collapse(0.03, 0.0) < collapse(0.01, 0.0));
        assert!(collapse(0.0, 10_000.0) < collapse(0.0, 0.0));
        assert!(collapse(0.0, 30_000.0) < collapse(0.0, 10_000.0));
        // round and untensioned: the smaller of the yield and elastic collapse pressures
        let t_d: f64 = 0.156 / 1.75;
        let p_y = 2.0 * 80_000.0 * t_d;
        let p_e = 2.0 * STEEL_E_PSI / (1.0 - 0.09) * t_d.powi(3);
        assert!(rel(collapse(0.0, 0.0), p_y.min(p_e)) < 1e-9);
    }

    #[test]
    fn invalid_loads_name_the_field() {
        let field = |load: PipeLoad| pipe_limits(&load).unwrap_err().field();
        assert_eq!(
            field(PipeLoad {
                wall_in: 0.875,
                ..worked()
            }),
            "wall_in"
        );
        assert_eq!(field(PipeLoad { od_in: 0.0, ..worked() }), "od_in");
        assert_eq!(
            field(PipeLoad {
                ovality: -0.01,
                ..worked()
            }),
            "ovality"
        );
        assert_eq!(
            field(PipeLoad {
                inside_pressure_psi: -1.0,
                ..worked()
            }),
            "inside_pressure_psi"
        );
        assert_eq!(
            field(PipeLoad {
                outside_pressure_psi: f64::NAN,
                ..worked()
            }),
            "outside_pressure_psi"
        );
        assert_eq!(
            field(PipeLoad {
                yield_psi: 0.0,
                ..worked()
            }),
            "yield_psi"
        );
        // tension past yield: Y_pa < 0
        assert_eq!(
            field(PipeLoad {
                axial_true_lbf: 70_000.0,
                ..worked()
            }),
            "axial_true_lbf"
        );
        assert_eq!(
            field(PipeLoad {
                torque_ft_lbf: f64::INFINITY,
                ..worked()
            }),
            "torque_ft_lbf"
        );
    }

    #[test]
    fn envelope_vertices_sit_at_the_fraction_of_yield() {
        let (od, wall, yield_psi, fraction) = (1.75, 0.156, 80_000.0, 0.8);
        let section = Section::new(od, wall).unwrap();
        for p_out in [0.0, 2_000.0] {
            let curve = vme_envelope(od, wall, yield_psi, fraction, p_out, 200).unwrap();
            assert_eq!(curve.len(), 201);
            assert_eq!(curve.first(), curve.last(), "closed");
            for &[force, dp] in &curve {
                let p_in = p_out + dp;
                assert!(p_in >= 0.0, "gauge pressure inside: {p_in}");
                let axial = force / section.area_in2;
                let vme = [Wall::Inner, Wall::Outer]
                    .map(|w| section.wall_stress(w, p_in, p_out, axial, 0.0).vme)
                    .into_iter()
                    .fold(0.0, f64::max);
                assert!(rel(vme, fraction * yield_psi) < 1e-6, "({force}, {dp}): {vme}");
            }
            let max_dp = curve.iter().map(|p| p[1]).fold(f64::MIN, f64::max);
            let max_force = curve.iter().map(|p| p[0]).fold(f64::MIN, f64::max);
            assert!(
                max_dp > 0.9 * 2.0 * fraction * yield_psi * wall / od,
                "reaches toward burst: {max_dp}"
            );
            assert!(
                max_force > fraction * yield_psi * section.area_in2,
                "tension beyond S·A with some pressure"
            );
        }
        assert_eq!(
            vme_envelope(od, wall, yield_psi, 0.8, 0.0, 3).unwrap_err().field(),
            "points"
        );
        assert_eq!(
            vme_envelope(od, wall, yield_psi, 1.5, 0.0, 100).unwrap_err().field(),
            "fraction"
        );
        assert_eq!(
            vme_envelope(od, 0.9, yield_psi, 0.8, 0.0, 100).unwrap_err().field(),
            "wall_in"
        );
    }
}
