//! Pipe section properties and buoyed weight.

use super::error::{CalcError, positive};
use super::{STEEL_DENSITY_PPG, STEEL_E_PSI};
use std::f64::consts::PI;

/// A plain-end tubular (coiled tubing, tubing, casing) by outside diameter and wall thickness. Built only
/// through `new`, so every `Tubular` has 0 < wall < OD/2 and every property below is a finite positive number.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tubular {
    od_in: f64,
    wall_in: f64,
}

/// 1.75 × 0.156 in coiled tubing (ENGINEERING.md §2's worked example; the demo CT unit's string). A constant
/// needs no check at run time; the test `constants_are_valid` builds it through `new`.
pub const CT_1_75_X_0_156: Tubular = Tubular {
    od_in: 1.75,
    wall_in: 0.156,
};

impl Tubular {
    pub fn new(od_in: f64, wall_in: f64) -> Result<Self, CalcError> {
        positive("od_in", od_in)?;
        positive("wall_in", wall_in)?;
        if wall_in * 2.0 >= od_in {
            return Err(CalcError::Inconsistent {
                field: "wall_in",
                reason: format!(
                    "a wall of {wall_in} in is not less than half the OD ({od_in} in): the pipe has no bore"
                ),
            });
        }
        Ok(Self { od_in, wall_in })
    }

    pub fn od_in(&self) -> f64 {
        self.od_in
    }

    pub fn wall_in(&self) -> f64 {
        self.wall_in
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
        let ct = Tubular::new(1.75, 0.156).unwrap();
        assert!(close(ct.area_in2(), 0.7812, 1e-3), "{}", ct.area_in2());
        assert!(close(ct.moment_of_inertia_in4(), 0.2505, 1e-3));
        assert!(close(ct.ei_lbf_in2(), 7.515e6, 1e-3));
        assert!(close(ct.weight_air_lb_ft(), 2.658, 2e-3), "{}", ct.weight_air_lb_ft());
        let wb = ct.weight_buoyed_lb_ft(8.33, 8.33);
        assert!(close(wb, 2.320, 2e-3), "{wb}");
        // same fluid inside and out: BF = 1 − ρf/65.5
        assert!(close(wb / ct.weight_air_lb_ft(), 1.0 - 8.33 / 65.5, 1e-9));
    }

    #[test]
    fn impossible_pipe_is_refused_with_the_field_named() {
        assert_eq!(Tubular::new(0.0, 0.1).unwrap_err().field(), "od_in");
        assert_eq!(Tubular::new(1.5, -0.1).unwrap_err().field(), "wall_in");
        assert_eq!(Tubular::new(1.5, 0.75).unwrap_err().field(), "wall_in");
        assert_eq!(Tubular::new(f64::NAN, 0.1).unwrap_err().field(), "od_in");
    }

    #[test]
    fn constants_are_valid() {
        assert_eq!(Tubular::new(1.75, 0.156), Ok(CT_1_75_X_0_156));
    }
}
