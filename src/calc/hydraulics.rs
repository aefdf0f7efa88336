//! Circulating hydraulics in oilfield units: q in gpm, d in in, ρ in ppg, μ/PV in cp, YP in lbf/100 ft².
//!
//! Sources: Guo & Liu, *Applied Drilling Circulation Systems* (Bingham, eqs 2.25–2.28, 2.58–2.61);
//! Bourgoyne et al., *Applied Drilling Engineering* ch. 4 (Newtonian annulus, nozzles); Chen (1979) and
//! Colebrook for friction factors; Schmidt (1967) for flow in the CT wrapped on the reel.

use super::PSI_PER_FT_PER_PPG;

/// Laminar below this Reynolds number.
pub const RE_LAMINAR: f64 = 2100.0;
/// Turbulent above this Reynolds number.
pub const RE_TURBULENT: f64 = 4000.0;
/// Barrels per minute to gallons per minute.
pub const GPM_PER_BPM: f64 = 42.0;

/// Mean velocity in a pipe, ft/s.
pub fn pipe_velocity_fps(q_gpm: f64, d_in: f64) -> f64 {
    q_gpm / (2.448 * d_in * d_in)
}

/// Mean velocity in an annulus, ft/s.
pub fn annular_velocity_fps(q_gpm: f64, d_outer_in: f64, d_inner_in: f64) -> f64 {
    q_gpm / (2.448 * (d_outer_in.powi(2) - d_inner_in.powi(2)))
}

pub fn reynolds_pipe(rho_ppg: f64, v_fps: f64, d_in: f64, mu_cp: f64) -> f64 {
    928.0 * rho_ppg * v_fps * d_in / mu_cp
}

pub fn reynolds_annulus(rho_ppg: f64, v_fps: f64, d_outer_in: f64, d_inner_in: f64, mu_cp: f64) -> f64 {
    757.0 * rho_ppg * v_fps * (d_outer_in - d_inner_in) / mu_cp
}

/// Darcy friction factor, Chen (1979) explicit approximation of Colebrook.
pub fn chen_darcy(re: f64, rel_roughness: f64) -> f64 {
    let a = rel_roughness.powf(1.1098) / 2.8257 + 5.8506 / re.powf(0.8981);
    let inv_sqrt = -2.0 * (rel_roughness / 3.7065 - 5.0452 / re * a.log10()).log10();
    1.0 / (inv_sqrt * inv_sqrt)
}

/// Darcy friction factor, Colebrook–White solved by fixed-point iteration (reference for tests).
pub fn colebrook_darcy(re: f64, rel_roughness: f64) -> f64 {
    let mut x = 1.0 / chen_darcy(re, rel_roughness).sqrt();
    for _ in 0..50 {
        x = -2.0 * (rel_roughness / 3.7 + 2.51 * x / re).log10();
    }
    1.0 / (x * x)
}

/// Turbulent friction multiplier for a helical coil (Schmidt 1967):
/// f_curved/f_straight = 1 + 0.0823·(1 + d/D)·(d/D)^0.53·Re^0.25, D = coil (reel) diameter.
pub fn schmidt_curved_factor(re: f64, d_in: f64, coil_diameter_in: f64) -> f64 {
    let r = d_in / coil_diameter_in;
    1.0 + 0.0823 * (1.0 + r) * r.powf(0.53) * re.powf(0.25)
}

/// Frictional pressure gradient of a Newtonian fluid in a pipe, psi/ft. In the transition band the
/// larger of the laminar and turbulent losses is taken (conservative for pump pressure).
pub fn newtonian_pipe_gradient(q_gpm: f64, d_in: f64, rho_ppg: f64, mu_cp: f64, rel_roughness: f64) -> f64 {
    if q_gpm <= 0.0 {
        return 0.0;
    }
    let v = pipe_velocity_fps(q_gpm, d_in);
    let re = reynolds_pipe(rho_ppg, v, d_in, mu_cp);
    let grad = |fanning: f64| fanning * rho_ppg * v * v / (25.8 * d_in);
    let laminar = grad(16.0 / re);
    let turbulent = grad(chen_darcy(re, rel_roughness) / 4.0);
    regime_blend(re, laminar, turbulent)
}

/// Newtonian annulus (Bourgoyne): laminar μv/(1000·(d2−d1)²); turbulent f·ρv²/(21.1·(d2−d1)).
pub fn newtonian_annulus_gradient(q_gpm: f64, d_outer_in: f64, d_inner_in: f64, rho_ppg: f64, mu_cp: f64) -> f64 {
    if q_gpm <= 0.0 {
        return 0.0;
    }
    let gap = d_outer_in - d_inner_in;
    let v = annular_velocity_fps(q_gpm, d_outer_in, d_inner_in);
    let re = reynolds_annulus(rho_ppg, v, d_outer_in, d_inner_in, mu_cp);
    let laminar = mu_cp * v / (1000.0 * gap * gap);
    let turbulent = chen_darcy(re, 0.0) / 4.0 * rho_ppg * v * v / (21.1 * gap);
    regime_blend(re, laminar, turbulent)
}

/// Bingham plastic in a pipe, psi/ft (Guo & Liu eqs 2.25, 2.58).
pub fn bingham_pipe_gradient(q_gpm: f64, d_in: f64, rho_ppg: f64, pv_cp: f64, yp: f64) -> f64 {
    if q_gpm <= 0.0 {
        return 0.0;
    }
    let v = pipe_velocity_fps(q_gpm, d_in);
    let mu_a = pv_cp + 6.66 * yp * d_in / v;
    let re = reynolds_pipe(rho_ppg, v, d_in, mu_a);
    let laminar = pv_cp * v / (1500.0 * d_in * d_in) + yp / (225.0 * d_in);
    let turbulent = rho_ppg.powf(0.75) * v.powf(1.75) * pv_cp.powf(0.25) / (1800.0 * d_in.powf(1.25));
    regime_blend(re, laminar, turbulent)
}

/// Bingham plastic in an annulus, psi/ft (Guo & Liu eqs 2.27, 2.60).
pub fn bingham_annulus_gradient(
    q_gpm: f64,
    d_outer_in: f64,
    d_inner_in: f64,
    rho_ppg: f64,
    pv_cp: f64,
    yp: f64,
) -> f64 {
    if q_gpm <= 0.0 {
        return 0.0;
    }
    let gap = d_outer_in - d_inner_in;
    let v = annular_velocity_fps(q_gpm, d_outer_in, d_inner_in);
    let mu_a = pv_cp + 5.0 * yp * gap / v;
    let re = reynolds_annulus(rho_ppg, v, d_outer_in, d_inner_in, mu_a);
    let laminar = pv_cp * v / (1000.0 * gap * gap) + yp / (200.0 * gap);
    let turbulent = rho_ppg.powf(0.75) * v.powf(1.75) * pv_cp.powf(0.25) / (1396.0 * gap.powf(1.25));
    regime_blend(re, laminar, turbulent)
}

fn regime_blend(re: f64, laminar: f64, turbulent: f64) -> f64 {
    if re < RE_LAMINAR {
        laminar
    } else if re > RE_TURBULENT {
        turbulent
    } else {
        laminar.max(turbulent)
    }
}

/// Pressure drop across jet nozzles, psi: Δp = ρq²/(12,031·A²), A = total flow area in in² (Cd 0.95).
pub fn nozzle_pressure_drop(q_gpm: f64, rho_ppg: f64, total_flow_area_in2: f64) -> f64 {
    rho_ppg * q_gpm * q_gpm / (12_031.0 * total_flow_area_in2 * total_flow_area_in2)
}

pub fn hydrostatic_psi(rho_ppg: f64, tvd_ft: f64) -> f64 {
    PSI_PER_FT_PER_PPG * rho_ppg * tvd_ft
}

/// Equivalent circulating density, ppg.
pub fn ecd_ppg(mud_weight_ppg: f64, annular_loss_psi: f64, tvd_ft: f64) -> f64 {
    mud_weight_ppg + annular_loss_psi / (PSI_PER_FT_PER_PPG * tvd_ft)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(a: f64, b: f64) -> f64 {
        (a - b).abs() / b.abs()
    }

    #[test]
    fn friction_factors_match_fluids_doctests() {
        assert!(
            rel(colebrook_darcy(1e5, 1e-4), 0.0185139) < 1e-5,
            "{}",
            colebrook_darcy(1e5, 1e-4)
        );
        assert!(
            rel(chen_darcy(1e5, 1e-4), 0.0185528) < 1e-5,
            "{}",
            chen_darcy(1e5, 1e-4)
        );
    }

    #[test]
    fn water_at_two_bpm_in_125_id() {
        let q = 2.0 * GPM_PER_BPM;
        let v = pipe_velocity_fps(q, 1.25);
        assert!(rel(v, 21.96) < 1e-3, "{v}");
        let re = reynolds_pipe(8.33, v, 1.25, 1.0);
        assert!(rel(re, 212_200.0) < 1e-3, "{re}");
        assert!(rel(chen_darcy(re, 0.0), 0.01546) < 3e-3);
        let g = newtonian_pipe_gradient(q, 1.25, 8.33, 1.0, 0.0);
        assert!(rel(g, 0.481) < 3e-3, "{g}");
        // on a 48 in-radius reel (coil diameter 96 in): f_D 0.01823 (Schmidt)
        let f_reel = chen_darcy(re, 0.0) * schmidt_curved_factor(re, 1.25, 96.0);
        assert!(rel(f_reel, 0.01823) < 3e-3, "{f_reel}");
    }

    #[test]
    fn bingham_laminar_exercise() {
        // teplozond "Exercise 2": 150 gpm, ID 4.276 in, PV 20, YP 15 → v 3.35 ft/s, 0.018 psi/ft
        let v = pipe_velocity_fps(150.0, 4.276);
        assert!(rel(v, 3.35) < 2e-3);
        let g = bingham_pipe_gradient(150.0, 4.276, 10.0, 20.0, 15.0);
        assert!(rel(g, 0.01803) < 2e-3, "{g}");
    }

    #[test]
    fn ecd_worked_example() {
        assert!((ecd_ppg(10.0, 200.0, 10_000.0) - 10.3846).abs() < 1e-3);
    }

    #[test]
    fn no_flow_no_friction() {
        assert_eq!(newtonian_pipe_gradient(0.0, 1.5, 8.33, 1.0, 0.0), 0.0);
        assert_eq!(bingham_annulus_gradient(0.0, 4.0, 1.75, 10.0, 20.0, 15.0), 0.0);
    }
}
