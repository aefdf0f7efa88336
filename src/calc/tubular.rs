//! Pipe section properties and buoyed weight.

use super::{STEEL_DENSITY_PPG, STEEL_E_PSI};
use std::f64::consts::PI;

/// A plain-end tubular (coiled tubing, tubing, casing) by outside diameter and wall thickness.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tubular {
    pub od_in: f64,
    pub wall_in: f64,
}

impl Tubular {
    pub fn new(od_in: f64, wall_in: f64) -> Self {
        Self { od_in, wall_in }
    }

    pub fn id_in(&self) -> f64 {
        self.od_in - 2.0 * self.wall_in
    }

    /// Steel cross-section area, in².
    pub fn area_in2(&self) -> f64 {
        PI / 4.0 * (self.od_in.powi(2) - self.id_in().powi(2))
    }

    pub fn outer_area_in2(&self) -> f64 {
        PI / 4.0 * self.od_in.powi(2)
    }

    pub fn inner_area_in2(&self) -> f64 {
        PI / 4.0 * self.id_in().powi(2)
    }

    /// Second moment of area, in⁴.
    pub fn moment_of_inertia_in4(&self) -> f64 {
        PI / 64.0 * (self.od_in.powi(4) - self.id_in().powi(4))
    }

    /// Bending stiffness EI, lbf·in².
    pub fn ei_lbf_in2(&self) -> f64 {
        STEEL_E_PSI * self.moment_of_inertia_in4()
    }

    /// Weight in air, lb/ft (steel 65.5 ppg = 0.4900 lb/in³ per ft... i.e. 490 lb/ft³).
    pub fn weight_air_lb_ft(&self) -> f64 {
        // 65.5 ppg × (1 gal = 231 in³) → lb/in³; × 12 in/ft × area.
        self.area_in2() * 12.0 * STEEL_DENSITY_PPG / 231.0
    }

    /// Buoyed weight, lb/ft, with fluid densities inside and outside (ppg):
    /// w_b = w_air + 0.0408·(ρi·ID² − ρo·OD²). 0.0408 = π/4 · 12 / 231.
    pub fn weight_buoyed_lb_ft(&self, inside_ppg: f64, outside_ppg: f64) -> f64 {
        self.weight_air_lb_ft()
            + PI / 4.0 * 12.0 / 231.0 * (inside_ppg * self.id_in().powi(2) - outside_ppg * self.od_in.powi(2))
    }

    /// Plain-end yield load, lbf, for a minimum yield strength in psi.
    pub fn yield_load_lbf(&self, yield_psi: f64) -> f64 {
        self.area_in2() * yield_psi
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs()
    }

    /// ENGINEERING.md §2 worked example: 1.75 × 0.156 in CT.
    #[test]
    fn ct_175_section_properties() {
        let ct = Tubular::new(1.75, 0.156);
        assert!(close(ct.area_in2(), 0.7812, 1e-3), "{}", ct.area_in2());
        assert!(close(ct.moment_of_inertia_in4(), 0.2505, 1e-3));
        assert!(close(ct.ei_lbf_in2(), 7.515e6, 1e-3));
        assert!(close(ct.weight_air_lb_ft(), 2.658, 2e-3), "{}", ct.weight_air_lb_ft());
        let wb = ct.weight_buoyed_lb_ft(8.33, 8.33);
        assert!(close(wb, 2.320, 2e-3), "{wb}");
        // same fluid inside and out: BF = 1 − ρf/65.5
        assert!(close(wb / ct.weight_air_lb_ft(), 1.0 - 8.33 / 65.5, 1e-9));
    }
}
