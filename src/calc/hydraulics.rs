//! Circulating hydraulics of a CT job in oilfield units: q in gpm, d in in, ρ in ppg, viscosity, PV and K in cp
//! (K in equivalent cp, cp·s^(n−1)), YP in lbf/100 ft², gradients in psi/ft, pressures in psi.
//!
//! Owns the friction of one flow (pipe, annulus, pipe wound on a reel), the nozzle drop and the whole
//! circulating system of a CT unit (`circulate`). Invariants: every public function validates its inputs and
//! answers `CalcError` naming the field, never NaN or infinity; no flow means no friction (the yield point then
//! sets a break-circulation pressure, which is not modelled). Must not touch the string's mechanics
//! (softstring) or its layer geometry (`reel` answers which layers hold how much pipe).
//!
//! Sources (ENGINEERING.md §3):
//! - Newtonian and Bingham plastic: Guo & Liu, *Applied Drilling Circulation Systems*, eqs 2.25–2.28 (laminar,
//!   apparent viscosity), 2.58–2.61 (turbulent); Bourgoyne et al., *Applied Drilling Engineering* ch. 4 for the
//!   Newtonian annulus and the slot constants.
//! - Power law: Bourgoyne et al. ch. 4 (API field units): laminar pipe Δp/L = K·v^n·((3 + 1/n)/0.0416)^n /
//!   (144,000·d^(1+n)), annulus the same with (2 + 1/n)/0.0208 and d2 − d1; generalised Reynolds number
//!   89,100·ρ·v^(2−n)/K·(0.0416·d/(3 + 1/n))^n (pipe), 109,000·ρ·v^(2−n)/K·(0.0208·(d2 − d1)/(2 + 1/n))^n
//!   (annulus); turbulent Fanning f from Dodge & Metzner (1959), 1/√f = (4/n^0.75)·log10(Re·f^(1−n/2)) −
//!   0.395/n^1.2, used as f·ρ·v²/(25.8·d) (pipe) or /(21.1·(d2 − d1)) (annulus). With n = 1 and K = μ every
//!   form reduces to the Newtonian one (tested).
//! - Friction factors: Chen (1979) explicit, Colebrook–White as the reference.
//! - Pipe on the reel: Schmidt (1967), as in the `fluids` library: critical Re = 2300·[1 + 8.6·(d/D)^0.45];
//!   laminar f_curved = f_straight·[1 + 0.14·(d/D)^0.97·Re^(1 − 0.644·(d/D)^0.312)]; turbulent
//!   f_curved = f_straight·[1 + 2.88e4/Re·(d/D)^0.62] below Re 2.2e4, f_straight·[1 + 0.0823·(1 + d/D)·
//!   (d/D)^0.53·Re^0.25] above. For Bingham and power-law fluids the Newtonian factor is applied on their
//!   apparent/generalised Reynolds number: an approximation, no published non-Newtonian coil form is used.
//! - Nozzles: Bourgoyne et al. ch. 4, Δp = 8.311e-5·ρ·q²/(Cd²·A²).
//!
//! Flow regimes: laminar below Re 2100, turbulent above 4000 for every fluid model; in between the larger of
//! the laminar and turbulent losses (conservative for pump pressure). On the reel the coil's own critical Re
//! replaces that band, as Schmidt's correlations do: laminar below it, turbulent above.

use super::PSI_PER_FT_PER_PPG;
use super::error::{CalcError, check, non_negative, positive};
use super::reel::ReelLayer;
use serde::{Deserialize, Serialize};

/// Laminar below this Reynolds number.
pub const RE_LAMINAR: f64 = 2100.0;
/// Turbulent above this Reynolds number.
pub const RE_TURBULENT: f64 = 4000.0;
/// Barrels per minute to gallons per minute.
pub const GPM_PER_BPM: f64 = 42.0;
/// Bourgoyne's nozzle constant (ch. 4): Δp = 8.311e-5·ρ·q²/(Cd²·A²), psi with ppg, gpm, in².
pub const NOZZLE_CONSTANT: f64 = 8.311e-5;
/// Discharge coefficient of jet nozzles: the value Bourgoyne et al. recommend for bit nozzles.
pub const DEFAULT_NOZZLE_CD: f64 = 0.95;
/// Annular velocity below which a clean-out is flagged, ft/min. A common field minimum for lifting sand and
/// fill with water-based fluid in near-vertical hole: well above the slip velocity of sand grains in water.
/// Deviated and horizontal sections need more (solids bed on the low side), so a job design sets its own.
pub const DEFAULT_MIN_CLEANING_VELOCITY_FPM: f64 = 100.0;
/// Largest relative roughness ε/D accepted: the edge of the Moody chart.
pub const MAX_REL_ROUGHNESS: f64 = 0.05;

/// A drilling or completion fluid's rheology.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "model", rename_all = "snake_case", deny_unknown_fields)]
pub enum Fluid {
    /// Viscosity in cp (water ≈ 1 cp).
    Newtonian { viscosity_cp: f64 },
    /// Plastic viscosity (cp) and yield point (lbf/100 ft²), as a Fann 600/300 reading gives them.
    Bingham { pv_cp: f64, yp_lbf_100ft2: f64 },
    /// Flow-behaviour index n (0 < n ≤ 1) and consistency K in equivalent cp (Bourgoyne's field units).
    PowerLaw { n: f64, k_eq_cp: f64 },
}

impl Fluid {
    /// Water at about 20 °C.
    pub const WATER: Fluid = Fluid::Newtonian { viscosity_cp: 1.0 };

    pub fn validate(&self) -> Result<(), CalcError> {
        match *self {
            Fluid::Newtonian { viscosity_cp } => {
                positive("viscosity_cp", viscosity_cp)?;
            }
            Fluid::Bingham { pv_cp, yp_lbf_100ft2 } => {
                positive("pv_cp", pv_cp)?;
                non_negative("yp_lbf_100ft2", yp_lbf_100ft2)?;
            }
            Fluid::PowerLaw { n, k_eq_cp } => {
                check(
                    "n",
                    n,
                    |n| n > 0.0 && n <= 1.0,
                    "must be over 0 and at most 1 (a shear-thinning fluid; Dodge–Metzner covers n ≤ 1)",
                )?;
                positive("k_eq_cp", k_eq_cp)?;
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlowRegime {
    Laminar,
    /// Between Re 2100 and 4000: the larger of the laminar and turbulent losses is reported.
    Transition,
    Turbulent,
}

/// One flow: frictional gradient, mean velocity, the Reynolds number the regime was judged on (Newtonian,
/// Bingham apparent-viscosity or power-law generalised) and the regime.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FlowResult {
    pub gradient_psi_ft: f64,
    pub velocity_fps: f64,
    pub reynolds: f64,
    pub regime: FlowRegime,
}

impl FlowResult {
    const NO_FLOW: FlowResult = FlowResult {
        gradient_psi_ft: 0.0,
        velocity_fps: 0.0,
        reynolds: 0.0,
        regime: FlowRegime::Laminar,
    };
}

/// Frictional flow of a fluid in a straight pipe of inside diameter `d_in`. `rel_roughness` (ε/D) applies to
/// the Newtonian turbulent friction factor; the Bingham and power-law turbulent forms are for smooth pipe.
pub fn pipe_flow(
    q_gpm: f64,
    d_in: f64,
    fluid: &Fluid,
    density_ppg: f64,
    rel_roughness: f64,
) -> Result<FlowResult, CalcError> {
    let q = non_negative("q_gpm", q_gpm)?;
    let d = positive("d_in", d_in)?;
    let flow = Flow::new(q, Conduit::pipe(d), fluid, density_ppg, rel_roughness)?;
    flow.map_or(Ok(FlowResult::NO_FLOW), |f| finished(f.straight()))
}

/// Frictional flow in the annulus between a hole (or casing) `d_outer_in` and a pipe `d_inner_in`, smooth
/// walls, slot approximation.
pub fn annulus_flow(
    q_gpm: f64,
    d_outer_in: f64,
    d_inner_in: f64,
    fluid: &Fluid,
    density_ppg: f64,
) -> Result<FlowResult, CalcError> {
    let q = non_negative("q_gpm", q_gpm)?;
    let conduit = Conduit::annulus(d_outer_in, d_inner_in)?;
    let flow = Flow::new(q, conduit, fluid, density_ppg, 0.0)?;
    flow.map_or(Ok(FlowResult::NO_FLOW), |f| finished(f.straight()))
}

/// Frictional flow in pipe of inside diameter `d_in` wound in a coil of centreline diameter
/// `coil_diameter_in` (a reel layer): Schmidt's laminar factor below the coil's critical Reynolds number,
/// his turbulent factor above (see the module notes for non-Newtonian fluids).
pub fn coil_flow(
    q_gpm: f64,
    d_in: f64,
    coil_diameter_in: f64,
    fluid: &Fluid,
    density_ppg: f64,
    rel_roughness: f64,
) -> Result<FlowResult, CalcError> {
    let q = non_negative("q_gpm", q_gpm)?;
    let ratio = coil_ratio(d_in, coil_diameter_in)?;
    let flow = Flow::new(q, Conduit::pipe(d_in), fluid, density_ppg, rel_roughness)?;
    flow.map_or(Ok(FlowResult::NO_FLOW), |f| finished(f.coiled(ratio)))
}

/// Darcy friction factor, Chen (1979) explicit approximation of Colebrook, for turbulent flow (Re ≥ 2100).
pub fn chen_darcy(re: f64, rel_roughness: f64) -> Result<f64, CalcError> {
    turbulent_reynolds(re)?;
    roughness(rel_roughness)?;
    Ok(chen(re, rel_roughness))
}

/// Darcy friction factor, Colebrook–White solved by fixed-point iteration (the reference for Chen).
pub fn colebrook_darcy(re: f64, rel_roughness: f64) -> Result<f64, CalcError> {
    turbulent_reynolds(re)?;
    roughness(rel_roughness)?;
    Ok(colebrook(re, rel_roughness))
}

/// Fanning friction factor of a power-law fluid in turbulent flow, Dodge & Metzner (1959), on the generalised
/// Reynolds number (≥ 2100).
pub fn dodge_metzner_fanning(re: f64, n: f64) -> Result<f64, CalcError> {
    turbulent_reynolds(re)?;
    Fluid::PowerLaw { n, k_eq_cp: 1.0 }.validate()?;
    Ok(dodge_metzner(re, n))
}

/// Reynolds number below which flow in a coil stays laminar, Schmidt (1967): 2300·[1 + 8.6·(d/D)^0.45].
pub fn schmidt_critical_reynolds(d_in: f64, coil_diameter_in: f64) -> Result<f64, CalcError> {
    Ok(critical_reynolds(coil_ratio(d_in, coil_diameter_in)?))
}

/// Schmidt's (1967) multiplier on the straight-pipe friction factor of the regime `re` is in for that coil:
/// the laminar factor below the coil's critical Re, the turbulent one above.
pub fn schmidt_curved_factor(re: f64, d_in: f64, coil_diameter_in: f64) -> Result<f64, CalcError> {
    positive("re", re)?;
    let ratio = coil_ratio(d_in, coil_diameter_in)?;
    Ok(if re < critical_reynolds(ratio) {
        schmidt_laminar_factor(re, ratio)
    } else {
        schmidt_turbulent_factor(re, ratio)
    })
}

/// Pressure drop across the bit or jetting-tool nozzles, psi: 8.311e-5·ρ·q²/(Cd²·A²), A the total flow area.
pub fn nozzle_pressure_drop_psi(
    q_gpm: f64,
    density_ppg: f64,
    total_flow_area_in2: f64,
    cd: f64,
) -> Result<f64, CalcError> {
    let q = non_negative("q_gpm", q_gpm)?;
    let rho = positive("density_ppg", density_ppg)?;
    let area = positive("nozzle_tfa_in2", total_flow_area_in2)?;
    let cd = discharge_coefficient(cd)?;
    in_range("q_gpm", NOZZLE_CONSTANT * rho * q * q / (cd * cd * area * area))
}

/// Mean annular velocity, ft/min: 24.5·q/(d2² − d1²).
pub fn annular_velocity_fpm(q_gpm: f64, d_outer_in: f64, d_inner_in: f64) -> Result<f64, CalcError> {
    let q = non_negative("q_gpm", q_gpm)?;
    let conduit = Conduit::annulus(d_outer_in, d_inner_in)?;
    in_range("q_gpm", 24.5 * q / conduit.area_d2)
}

/// Hydrostatic pressure of a fluid column, psi: 0.052·ρ·TVD.
pub fn hydrostatic_psi(density_ppg: f64, tvd_ft: f64) -> Result<f64, CalcError> {
    let rho = positive("density_ppg", density_ppg)?;
    let tvd = non_negative("tvd_ft", tvd_ft)?;
    in_range("tvd_ft", PSI_PER_FT_PER_PPG * rho * tvd)
}

/// Equivalent circulating density at a true vertical depth, ppg: MW + annular loss/(0.052·TVD). At TVD 0 there
/// is no column for the loss to act over, and the answer is the mud weight.
pub fn ecd_ppg(mud_weight_ppg: f64, annular_loss_psi: f64, tvd_ft: f64) -> Result<f64, CalcError> {
    let mw = positive("mud_weight_ppg", mud_weight_ppg)?;
    let loss = non_negative("annular_loss_psi", annular_loss_psi)?;
    let tvd = non_negative("tvd_ft", tvd_ft)?;
    if tvd == 0.0 {
        return Ok(mw);
    }
    in_range("tvd_ft", mw + loss / (PSI_PER_FT_PER_PPG * tvd))
}

/// A CT unit's circulating system: pump → reel (pipe wound in layers) → straight CT (surface run and well) →
/// nozzles → annulus → choke. The same fluid is inside and outside the string.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Circuit {
    pub rate_gpm: f64,
    pub fluid: Fluid,
    pub density_ppg: f64,
    pub ct_od_in: f64,
    pub ct_wall_in: f64,
    /// Straight CT between the reel and the tip, ft: the surface run (reel to injector) plus the pipe in the
    /// well; everything not on the reel.
    pub ct_in_well_ft: f64,
    /// The pipe on the reel, layer by layer from the core (`ReelGeometry::layers`). Empty: no reel in the path.
    #[serde(default)]
    pub reel_layers: Vec<ReelLayer>,
    pub hole_id_in: f64,
    /// Length of annulus the returns travel: the measured depth of the tip, ft.
    pub annulus_length_ft: f64,
    /// True vertical depth of the tip, ft (ECD and bottomhole pressure).
    pub tvd_ft: f64,
    /// Total flow area of the nozzles, in² (an open-ended string: its bore area).
    pub nozzle_tfa_in2: f64,
    #[serde(default = "default_nozzle_cd")]
    pub nozzle_cd: f64,
    /// Wellhead (choke) back-pressure, psi gauge.
    pub wellhead_pressure_psi: f64,
    #[serde(default = "default_min_cleaning_velocity_fpm")]
    pub min_cleaning_velocity_fpm: f64,
    /// Relative roughness ε/D of the CT bore (0 = smooth, the usual assumption for new CT).
    #[serde(default)]
    pub rel_roughness: f64,
}

fn default_nozzle_cd() -> f64 {
    DEFAULT_NOZZLE_CD
}

fn default_min_cleaning_velocity_fpm() -> f64 {
    DEFAULT_MIN_CLEANING_VELOCITY_FPM
}

/// The circulating pressures of a `Circuit`. Pump pressure = wellhead + annulus + CT (reel + well) + nozzle
/// losses: with the same fluid inside the string and in the annulus the two hydrostatic columns cancel.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CircuitResult {
    pub reel_psi: f64,
    pub ct_in_well_psi: f64,
    pub annulus_psi: f64,
    pub nozzle_psi: f64,
    pub pump_pressure_psi: f64,
    /// Flow in the straight CT.
    pub pipe: FlowResult,
    pub annulus: FlowResult,
    pub annular_velocity_fpm: f64,
    /// The pumps run and the returns move slower than the minimum cleaning velocity.
    pub below_min_cleaning: bool,
    pub ecd_ppg: f64,
    /// Wellhead + hydrostatic at TVD + annular friction, psi gauge.
    pub bottomhole_circulating_psi: f64,
}

/// The pressures of a CT circulating system, each loss and the pump pressure they add up to.
pub fn circulate(c: &Circuit) -> Result<CircuitResult, CalcError> {
    let ct_id_in = validate_circuit(c)?;
    let (q, rho) = (c.rate_gpm, c.density_ppg);
    let pipe = pipe_flow(q, ct_id_in, &c.fluid, rho, c.rel_roughness)?;
    let mut reel_psi = 0.0;
    for layer in c.reel_layers.iter().filter(|l| l.length_ft > 0.0) {
        let coil = coil_flow(q, ct_id_in, layer.diameter_in, &c.fluid, rho, c.rel_roughness)?;
        reel_psi += coil.gradient_psi_ft * layer.length_ft;
    }
    let ct_in_well_psi = pipe.gradient_psi_ft * c.ct_in_well_ft;
    let annulus = annulus_flow(q, c.hole_id_in, c.ct_od_in, &c.fluid, rho)?;
    let annulus_psi = in_range("annulus_length_ft", annulus.gradient_psi_ft * c.annulus_length_ft)?;
    let nozzle_psi = nozzle_pressure_drop_psi(q, rho, c.nozzle_tfa_in2, c.nozzle_cd)?;
    let pump_pressure_psi = c.wellhead_pressure_psi + annulus_psi + reel_psi + ct_in_well_psi + nozzle_psi;
    let av_fpm = annular_velocity_fpm(q, c.hole_id_in, c.ct_od_in)?;
    Ok(CircuitResult {
        reel_psi: in_range("reel_layers", reel_psi)?,
        ct_in_well_psi: in_range("ct_in_well_ft", ct_in_well_psi)?,
        annulus_psi,
        nozzle_psi,
        pump_pressure_psi: in_range("rate_gpm", pump_pressure_psi)?,
        pipe,
        annulus,
        annular_velocity_fpm: av_fpm,
        below_min_cleaning: q > 0.0 && av_fpm < c.min_cleaning_velocity_fpm,
        ecd_ppg: ecd_ppg(rho, annulus_psi, c.tvd_ft)?,
        bottomhole_circulating_psi: in_range(
            "tvd_ft",
            c.wellhead_pressure_psi + hydrostatic_psi(rho, c.tvd_ft)? + annulus_psi,
        )?,
    })
}

/// Checks every field of a circuit under its JSON name; answers the CT's inside diameter.
fn validate_circuit(c: &Circuit) -> Result<f64, CalcError> {
    non_negative("rate_gpm", c.rate_gpm)?;
    c.fluid.validate()?;
    positive("density_ppg", c.density_ppg)?;
    let od = positive("ct_od_in", c.ct_od_in)?;
    let wall = positive("ct_wall_in", c.ct_wall_in)?;
    if 2.0 * wall >= od {
        return Err(CalcError::Inconsistent {
            field: "ct_wall_in",
            reason: format!("a wall of {wall} in is not less than half the OD ({od} in): the CT has no bore"),
        });
    }
    let id = od - 2.0 * wall;
    check("hole_id_in", c.hole_id_in, |h| h > od, "must be larger than the CT OD")?;
    non_negative("ct_in_well_ft", c.ct_in_well_ft)?;
    let md = non_negative("annulus_length_ft", c.annulus_length_ft)?;
    let tvd = non_negative("tvd_ft", c.tvd_ft)?;
    // TVD ≤ MD; the slack absorbs rounding in a minimum-curvature sum down a vertical hole.
    if tvd > md * (1.0 + 1e-9) + 1e-6 {
        return Err(CalcError::Inconsistent {
            field: "tvd_ft",
            reason: format!("a TVD of {tvd} ft is deeper than the tip's measured depth ({md} ft)"),
        });
    }
    positive("nozzle_tfa_in2", c.nozzle_tfa_in2)?;
    discharge_coefficient(c.nozzle_cd)?;
    non_negative("wellhead_pressure_psi", c.wellhead_pressure_psi)?;
    non_negative("min_cleaning_velocity_fpm", c.min_cleaning_velocity_fpm)?;
    roughness(c.rel_roughness)?;
    for layer in &c.reel_layers {
        check(
            "reel_layers.diameter_in",
            layer.diameter_in,
            |d| d > id,
            "must be larger than the CT's inside diameter",
        )?;
        non_negative("reel_layers.length_ft", layer.length_ft)?;
    }
    Ok(id)
}

/// Constants of Bourgoyne's and Guo & Liu's field-unit forms: a pipe, or an annulus as a slot.
struct Coefficients {
    /// Newtonian Reynolds number: k·ρ·v·d/μ.
    reynolds: f64,
    /// Laminar viscous term: μ·v/(k·d²).
    laminar_viscous: f64,
    /// Bingham laminar yield term: YP/(k·d).
    laminar_yield: f64,
    /// Bingham apparent viscosity: PV + k·YP·d/v.
    apparent_yield: f64,
    /// Bingham turbulent: ρ^0.75·v^1.75·PV^0.25/(k·d^1.25).
    bingham_turbulent: f64,
    /// Fanning friction to gradient: f·ρ·v²/(k·d).
    fanning: f64,
    /// Power-law generalised Reynolds number: k·ρ·v^(2−n)/K·(shape·d/(geometry + 1/n))^n.
    power_law_reynolds: f64,
    power_law_shape: f64,
    power_law_geometry: f64,
}

const PIPE: Coefficients = Coefficients {
    reynolds: 928.0,
    laminar_viscous: 1500.0,
    laminar_yield: 225.0,
    apparent_yield: 6.66,
    bingham_turbulent: 1800.0,
    fanning: 25.8,
    power_law_reynolds: 89_100.0,
    power_law_shape: 0.0416,
    power_law_geometry: 3.0,
};

const ANNULUS: Coefficients = Coefficients {
    reynolds: 757.0,
    laminar_viscous: 1000.0,
    laminar_yield: 200.0,
    apparent_yield: 5.0,
    bingham_turbulent: 1396.0,
    fanning: 21.1,
    power_law_reynolds: 109_000.0,
    power_law_shape: 0.0208,
    power_law_geometry: 2.0,
};

/// Where the fluid flows: the size the forms use (pipe ID or annular gap), the flow area over π/4 and the
/// form constants.
struct Conduit {
    size_in: f64,
    area_d2: f64,
    c: &'static Coefficients,
}

impl Conduit {
    /// `d_in` already validated.
    fn pipe(d_in: f64) -> Self {
        Self {
            size_in: d_in,
            area_d2: d_in * d_in,
            c: &PIPE,
        }
    }

    fn annulus(d_outer_in: f64, d_inner_in: f64) -> Result<Self, CalcError> {
        let inner = positive("d_inner_in", d_inner_in)?;
        let outer = check(
            "d_outer_in",
            d_outer_in,
            |d| d > inner,
            "must be larger than the inner pipe's OD",
        )?;
        Ok(Self {
            size_in: outer - inner,
            area_d2: outer * outer - inner * inner,
            c: &ANNULUS,
        })
    }
}

/// A validated flow with q > 0: its velocity and Reynolds number, and its laminar and turbulent gradients on
/// demand (the turbulent correlations mean nothing at low Re, so they are evaluated only where they apply).
struct Flow<'a> {
    conduit: Conduit,
    fluid: &'a Fluid,
    density_ppg: f64,
    rel_roughness: f64,
    velocity_fps: f64,
    reynolds: f64,
}

impl<'a> Flow<'a> {
    /// Validates the fluid, density and roughness; `None` when nothing flows.
    fn new(
        q_gpm: f64,
        conduit: Conduit,
        fluid: &'a Fluid,
        density_ppg: f64,
        rel_roughness: f64,
    ) -> Result<Option<Self>, CalcError> {
        fluid.validate()?;
        let rho = positive("density_ppg", density_ppg)?;
        roughness(rel_roughness)?;
        if q_gpm == 0.0 {
            return Ok(None);
        }
        let v = q_gpm / (2.448 * conduit.area_d2);
        let (c, d) = (conduit.c, conduit.size_in);
        let reynolds = match *fluid {
            Fluid::Newtonian { viscosity_cp } => c.reynolds * rho * v * d / viscosity_cp,
            Fluid::Bingham { pv_cp, yp_lbf_100ft2 } => {
                let apparent_cp = pv_cp + c.apparent_yield * yp_lbf_100ft2 * d / v;
                c.reynolds * rho * v * d / apparent_cp
            }
            Fluid::PowerLaw { n, k_eq_cp } => {
                c.power_law_reynolds * rho * v.powf(2.0 - n) / k_eq_cp
                    * (c.power_law_shape * d / (c.power_law_geometry + 1.0 / n)).powf(n)
            }
        };
        Ok(Some(Self {
            conduit,
            fluid,
            density_ppg: rho,
            rel_roughness,
            velocity_fps: v,
            reynolds,
        }))
    }

    fn laminar(&self) -> f64 {
        let (c, d, v) = (self.conduit.c, self.conduit.size_in, self.velocity_fps);
        match *self.fluid {
            Fluid::Newtonian { viscosity_cp } => viscosity_cp * v / (c.laminar_viscous * d * d),
            Fluid::Bingham { pv_cp, yp_lbf_100ft2 } => {
                pv_cp * v / (c.laminar_viscous * d * d) + yp_lbf_100ft2 / (c.laminar_yield * d)
            }
            Fluid::PowerLaw { n, k_eq_cp } => {
                k_eq_cp * v.powf(n) * ((c.power_law_geometry + 1.0 / n) / c.power_law_shape).powf(n)
                    / (144_000.0 * d.powf(1.0 + n))
            }
        }
    }

    fn turbulent(&self) -> f64 {
        let (c, d, v, rho) = (
            self.conduit.c,
            self.conduit.size_in,
            self.velocity_fps,
            self.density_ppg,
        );
        let fanning = match *self.fluid {
            Fluid::Newtonian { .. } => chen(self.reynolds, self.rel_roughness) / 4.0,
            Fluid::Bingham { pv_cp, .. } => {
                return rho.powf(0.75) * v.powf(1.75) * pv_cp.powf(0.25) / (c.bingham_turbulent * d.powf(1.25));
            }
            Fluid::PowerLaw { n, .. } => dodge_metzner(self.reynolds, n),
        };
        fanning * rho * v * v / (c.fanning * d)
    }

    fn result(&self, gradient_psi_ft: f64, regime: FlowRegime) -> FlowResult {
        FlowResult {
            gradient_psi_ft,
            velocity_fps: self.velocity_fps,
            reynolds: self.reynolds,
            regime,
        }
    }

    fn straight(&self) -> FlowResult {
        let re = self.reynolds;
        if re < RE_LAMINAR {
            self.result(self.laminar(), FlowRegime::Laminar)
        } else if re > RE_TURBULENT {
            self.result(self.turbulent(), FlowRegime::Turbulent)
        } else {
            self.result(self.laminar().max(self.turbulent()), FlowRegime::Transition)
        }
    }

    fn coiled(&self, ratio: f64) -> FlowResult {
        let re = self.reynolds;
        if re < critical_reynolds(ratio) {
            self.result(self.laminar() * schmidt_laminar_factor(re, ratio), FlowRegime::Laminar)
        } else {
            self.result(
                self.turbulent() * schmidt_turbulent_factor(re, ratio),
                FlowRegime::Turbulent,
            )
        }
    }
}

fn chen(re: f64, rel_roughness: f64) -> f64 {
    let a = rel_roughness.powf(1.1098) / 2.8257 + 5.8506 / re.powf(0.8981);
    let inv_sqrt = -2.0 * (rel_roughness / 3.7065 - 5.0452 / re * a.log10()).log10();
    1.0 / (inv_sqrt * inv_sqrt)
}

fn colebrook(re: f64, rel_roughness: f64) -> f64 {
    // Starting from Chen the iteration is a strong contraction at turbulent Re: 50 steps reach machine precision.
    let mut x = 1.0 / chen(re, rel_roughness).sqrt();
    for _ in 0..50 {
        x = -2.0 * (rel_roughness / 3.7 + 2.51 * x / re).log10();
    }
    1.0 / (x * x)
}

/// Solves Dodge–Metzner for x = 1/√f: g(x) = x − a·(log10 Re − (2 − n)·log10 x) + b = 0, a = 4/n^0.75,
/// b = 0.395/n^1.2. g rises monotonically from −∞ (x → 0) to +∞, so the root is unique; bisection on ln x
/// over a bracket far wider than any friction factor finds it without a starting guess.
fn dodge_metzner(re: f64, n: f64) -> f64 {
    let a = 4.0 / n.powf(0.75);
    let b = 0.395 / n.powf(1.2);
    let g = |x: f64| x - a * (re.log10() - (2.0 - n) * x.log10()) + b;
    let (mut lo, mut hi) = (1e-3_f64.ln(), 1e6_f64.ln());
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if g(mid.exp()) < 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let x = (0.5 * (lo + hi)).exp();
    1.0 / (x * x)
}

fn critical_reynolds(ratio: f64) -> f64 {
    2300.0 * (1.0 + 8.6 * ratio.powf(0.45))
}

fn schmidt_laminar_factor(re: f64, ratio: f64) -> f64 {
    1.0 + 0.14 * ratio.powf(0.97) * re.powf(1.0 - 0.644 * ratio.powf(0.312))
}

fn schmidt_turbulent_factor(re: f64, ratio: f64) -> f64 {
    if re < 2.2e4 {
        1.0 + 2.88e4 / re * ratio.powf(0.62)
    } else {
        1.0 + 0.0823 * (1.0 + ratio) * ratio.powf(0.53) * re.powf(0.25)
    }
}

/// d/D of pipe wound in a coil, validated: d > 0 and the coil wider than the pipe.
fn coil_ratio(d_in: f64, coil_diameter_in: f64) -> Result<f64, CalcError> {
    let d = positive("d_in", d_in)?;
    let coil = check(
        "coil_diameter_in",
        coil_diameter_in,
        |c| c > d,
        "must be larger than the pipe's inside diameter",
    )?;
    Ok(d / coil)
}

fn turbulent_reynolds(re: f64) -> Result<f64, CalcError> {
    check(
        "re",
        re,
        |re| re >= RE_LAMINAR,
        "must be 2100 or more: the correlation is for turbulent flow",
    )
}

fn roughness(rel_roughness: f64) -> Result<f64, CalcError> {
    check(
        "rel_roughness",
        rel_roughness,
        |e| (0.0..=MAX_REL_ROUGHNESS).contains(&e),
        "must be 0 (smooth) to 0.05, the Moody chart's range",
    )
}

fn discharge_coefficient(cd: f64) -> Result<f64, CalcError> {
    check(
        "nozzle_cd",
        cd,
        |cd| cd > 0.0 && cd <= 1.0,
        "must be over 0 and at most 1",
    )
}

/// A result built from valid inputs can still overflow for absurd magnitudes (a rate of 1e300 gpm): named
/// after the input that drives it rather than answered as infinity.
fn in_range(field: &'static str, value: f64) -> Result<f64, CalcError> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(CalcError::Inconsistent {
            field,
            reason: "the inputs are too large for the result to be computed".to_owned(),
        })
    }
}

fn finished(r: FlowResult) -> Result<FlowResult, CalcError> {
    for v in [r.gradient_psi_ft, r.velocity_fps, r.reynolds] {
        in_range("q_gpm", v)?;
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calc::reel::REEL_96_X_64_FOR_1_75;

    fn rel(a: f64, b: f64) -> f64 {
        (a - b).abs() / b.abs()
    }

    const TWO_BPM: f64 = 2.0 * GPM_PER_BPM;
    const BINGHAM: Fluid = Fluid::Bingham {
        pv_cp: 20.0,
        yp_lbf_100ft2: 15.0,
    };
    const POWER_LAW: Fluid = Fluid::PowerLaw { n: 0.6, k_eq_cp: 300.0 };

    #[test]
    fn friction_factors_match_fluids_doctests() {
        // [X] fluids 1.3.1 doctests, printed to 6 significant figures
        let colebrook = colebrook_darcy(1e5, 1e-4).unwrap();
        assert!(rel(colebrook, 0.0185139) < 1e-5, "{colebrook}");
        let chen = chen_darcy(1e5, 1e-4).unwrap();
        assert!(rel(chen, 0.0185528) < 1e-5, "{chen}");
    }

    #[test]
    fn schmidt_matches_fluids_doctests() {
        // [X] helical_laminar_fd_Schmidt(250, .02, .1) = 0.47460725672835236
        let laminar = 64.0 / 250.0 * schmidt_curved_factor(250.0, 0.02, 0.1).unwrap();
        assert!(rel(laminar, 0.47460725672835236) < 1e-9, "{laminar}");
        // [X] helical_turbulent_fd_Schmidt(1E4, 0.01, .02) = 0.08875550767040916 (fluids' friction_factor is
        // Colebrook solved exactly). That call uses the turbulent branch directly: a coil as tight as d/D = 0.5
        // has a critical Re of 16,800, so `schmidt_curved_factor` would rightly answer the laminar one.
        let turbulent = colebrook(1e4, 0.0) * schmidt_turbulent_factor(1e4, 0.5);
        assert!(rel(turbulent, 0.08875550767040916) < 1e-6, "{turbulent}");
        assert!(schmidt_critical_reynolds(0.01, 0.02).unwrap() > 1e4);
        // ENGINEERING.md §3: ≈ 5,100 for 1.25 in on a 96 in coil (2300·[1 + 8.6·(1.25/96)^0.45] = 5104.23)
        let critical = schmidt_critical_reynolds(1.25, 96.0).unwrap();
        assert!(rel(critical, 5_104.23) < 1e-6, "{critical}");
    }

    #[test]
    fn water_at_two_bpm_in_125_id() {
        let r = pipe_flow(TWO_BPM, 1.25, &Fluid::WATER, 8.33, 0.0).unwrap();
        assert!(rel(r.velocity_fps, 21.96) < 1e-3, "{r:?}");
        assert!(rel(r.reynolds, 212_200.0) < 1e-3, "{r:?}");
        assert_eq!(r.regime, FlowRegime::Turbulent);
        assert!(rel(chen_darcy(r.reynolds, 0.0).unwrap(), 0.01546) < 3e-3);
        assert!(rel(r.gradient_psi_ft, 0.481) < 3e-3, "{r:?}");
        // on a 48 in-radius reel (coil diameter 96 in): f_D 0.01823 (Schmidt)
        let factor = schmidt_curved_factor(r.reynolds, 1.25, 96.0).unwrap();
        let f_reel = chen_darcy(r.reynolds, 0.0).unwrap() * factor;
        assert!(rel(f_reel, 0.01823) < 3e-3, "{f_reel}");
        let coil = coil_flow(TWO_BPM, 1.25, 96.0, &Fluid::WATER, 8.33, 0.0).unwrap();
        assert!(rel(coil.gradient_psi_ft / r.gradient_psi_ft, factor) < 1e-12);
        assert_eq!(coil.regime, FlowRegime::Turbulent);
    }

    #[test]
    fn the_reel_keeps_flow_laminar_up_to_schmidts_critical_reynolds() {
        // Re ≈ 3,000: transition in straight pipe, still laminar on a 96 in coil (critical Re 5,104)
        let q = 1.2;
        let straight = pipe_flow(q, 1.25, &Fluid::WATER, 8.33, 0.0).unwrap();
        assert_eq!(straight.regime, FlowRegime::Transition, "{straight:?}");
        let coil = coil_flow(q, 1.25, 96.0, &Fluid::WATER, 8.33, 0.0).unwrap();
        assert_eq!(coil.regime, FlowRegime::Laminar);
        let laminar_straight = straight.velocity_fps / (1500.0 * 1.25 * 1.25);
        let factor = schmidt_laminar_factor(coil.reynolds, 1.25 / 96.0);
        assert!(rel(coil.gradient_psi_ft, laminar_straight * factor) < 1e-12);
        // above it, the turbulent factor on the turbulent loss (Re < 2.2e4 branch)
        let coil = coil_flow(3.0, 1.25, 96.0, &Fluid::WATER, 8.33, 0.0).unwrap();
        let straight = pipe_flow(3.0, 1.25, &Fluid::WATER, 8.33, 0.0).unwrap();
        assert_eq!(coil.regime, FlowRegime::Turbulent);
        assert!(coil.reynolds > 5_105.0 && coil.reynolds < 2.2e4);
        let factor = 1.0 + 2.88e4 / coil.reynolds * (1.25_f64 / 96.0).powf(0.62);
        assert!(rel(coil.gradient_psi_ft, straight.gradient_psi_ft * factor) < 1e-12);
    }

    #[test]
    fn bingham_laminar_exercise() {
        // [V] teplozond "Exercise 2": 150 gpm, ID 4.276 in, PV 20, YP 15 → v 3.35 ft/s, 0.018 psi/ft (0.01803)
        let r = pipe_flow(150.0, 4.276, &BINGHAM, 10.0, 0.0).unwrap();
        assert!(rel(r.velocity_fps, 3.35) < 2e-3, "{r:?}");
        assert!(rel(r.gradient_psi_ft, 0.01803) < 2e-3, "{r:?}");
        assert_eq!(r.regime, FlowRegime::Laminar);
    }

    #[test]
    fn power_law_with_n_of_one_is_newtonian() {
        let power = Fluid::PowerLaw { n: 1.0, k_eq_cp: 20.0 };
        let newtonian = Fluid::Newtonian { viscosity_cp: 20.0 };
        // laminar pipe and annulus: Bourgoyne's constants agree to rounding (926.6 vs 928, 1497.6 vs 1500)
        let (p, n) = (
            pipe_flow(20.0, 2.0, &power, 8.6, 0.0).unwrap(),
            pipe_flow(20.0, 2.0, &newtonian, 8.6, 0.0).unwrap(),
        );
        assert_eq!((p.regime, n.regime), (FlowRegime::Laminar, FlowRegime::Laminar));
        assert!(rel(p.gradient_psi_ft, n.gradient_psi_ft) < 5e-3, "{p:?} {n:?}");
        assert!(rel(p.reynolds, n.reynolds) < 5e-3, "{p:?} {n:?}");
        let (p, n) = (
            annulus_flow(50.0, 4.0, 1.75, &power, 8.6).unwrap(),
            annulus_flow(50.0, 4.0, 1.75, &newtonian, 8.6).unwrap(),
        );
        assert_eq!(p.regime, FlowRegime::Laminar);
        assert!(rel(p.gradient_psi_ft, n.gradient_psi_ft) < 5e-3, "{p:?} {n:?}");
        // turbulent: Dodge–Metzner at n = 1 is Prandtl–Kármán, within a percent of Colebrook for smooth pipe
        let water = Fluid::PowerLaw { n: 1.0, k_eq_cp: 1.0 };
        let p = pipe_flow(TWO_BPM, 1.25, &water, 8.33, 0.0).unwrap();
        assert_eq!(p.regime, FlowRegime::Turbulent);
        assert!(rel(p.gradient_psi_ft, 0.481) < 1e-2, "{p:?}");
    }

    #[test]
    fn power_law_laminar_loss_is_the_16_over_re_form() {
        // [D] Bourgoyne's laminar gradients equal f = 16/Re_generalised in f·ρ·v²/(25.8·d) to their rounding
        let p = pipe_flow(30.0, 2.0, &POWER_LAW, 9.0, 0.0).unwrap();
        assert_eq!(p.regime, FlowRegime::Laminar, "{p:?}");
        let fanning_form = 16.0 / p.reynolds * 9.0 * p.velocity_fps.powi(2) / (25.8 * 2.0);
        assert!(rel(p.gradient_psi_ft, fanning_form) < 5e-3, "{p:?} vs {fanning_form}");
        let a = annulus_flow(60.0, 4.0, 1.75, &POWER_LAW, 9.0).unwrap();
        assert_eq!(a.regime, FlowRegime::Laminar, "{a:?}");
        let fanning_form = 16.0 / a.reynolds * 9.0 * a.velocity_fps.powi(2) / (21.1 * 2.25);
        assert!(rel(a.gradient_psi_ft, fanning_form) < 5e-3, "{a:?} vs {fanning_form}");
    }

    #[test]
    fn dodge_metzner_solves_its_equation() {
        for n in [0.3, 0.6, 1.0] {
            for re in [3_000.0, 1e4, 1e5] {
                let f = dodge_metzner_fanning(re, n).unwrap();
                let lhs = 1.0 / f.sqrt();
                let rhs = 4.0 / n.powf(0.75) * (re * f.powf(1.0 - n / 2.0)).log10() - 0.395 / n.powf(1.2);
                assert!((lhs - rhs).abs() < 1e-9 * lhs, "n {n} Re {re}: {lhs} vs {rhs}");
            }
        }
        // shear thinning lowers turbulent friction at the same generalised Re (Dodge & Metzner's chart)
        assert!(dodge_metzner_fanning(1e4, 0.4).unwrap() < dodge_metzner_fanning(1e4, 1.0).unwrap());
        assert_eq!(dodge_metzner_fanning(1e4, 1.5).unwrap_err().field(), "n");
    }

    #[test]
    fn nozzle_drop_uses_the_discharge_coefficient() {
        let (q, rho, area) = (TWO_BPM, 8.33, 0.15);
        let cd_095 = nozzle_pressure_drop_psi(q, rho, area, DEFAULT_NOZZLE_CD).unwrap();
        // 8.311e-5/0.95² = 1/10,859.1
        assert!(rel(cd_095, rho * q * q / (10_859.1 * area * area)) < 1e-5, "{cd_095}");
        // the constant the old code used, 12,031, is the Cd = 1 value
        let cd_1 = nozzle_pressure_drop_psi(q, rho, area, 1.0).unwrap();
        assert!(rel(cd_1, rho * q * q / (12_031.0 * area * area)) < 2e-4, "{cd_1}");
        assert!(cd_095 > cd_1 * 1.1);
        assert_eq!(
            nozzle_pressure_drop_psi(q, rho, area, 0.0).unwrap_err().field(),
            "nozzle_cd"
        );
        assert_eq!(
            nozzle_pressure_drop_psi(q, rho, area, 1.2).unwrap_err().field(),
            "nozzle_cd"
        );
        assert_eq!(
            nozzle_pressure_drop_psi(q, rho, 0.0, 0.95).unwrap_err().field(),
            "nozzle_tfa_in2"
        );
    }

    #[test]
    fn ecd_worked_example() {
        assert!((ecd_ppg(10.0, 200.0, 10_000.0).unwrap() - 10.3846).abs() < 1e-3);
        assert_eq!(
            ecd_ppg(10.0, 200.0, 0.0).unwrap(),
            10.0,
            "no column at surface: the mud weight"
        );
        assert!((hydrostatic_psi(10.0, 10_000.0).unwrap() - 5_200.0).abs() < 1e-9);
    }

    #[test]
    fn no_flow_no_friction() {
        for fluid in [Fluid::WATER, BINGHAM, POWER_LAW] {
            assert_eq!(pipe_flow(0.0, 1.5, &fluid, 8.33, 0.0).unwrap().gradient_psi_ft, 0.0);
            assert_eq!(annulus_flow(0.0, 4.0, 1.75, &fluid, 10.0).unwrap().gradient_psi_ft, 0.0);
            assert_eq!(
                coil_flow(0.0, 1.5, 96.0, &fluid, 10.0, 0.0).unwrap().gradient_psi_ft,
                0.0
            );
        }
        assert_eq!(nozzle_pressure_drop_psi(0.0, 8.33, 0.15, 0.95).unwrap(), 0.0);
        assert_eq!(annular_velocity_fpm(0.0, 4.0, 1.75).unwrap(), 0.0);
    }

    #[test]
    fn invalid_inputs_name_the_field() {
        let water = Fluid::WATER;
        let field = |r: Result<FlowResult, CalcError>| r.unwrap_err().field();
        assert_eq!(field(pipe_flow(-1.0, 1.5, &water, 8.33, 0.0)), "q_gpm");
        assert_eq!(field(pipe_flow(f64::NAN, 1.5, &water, 8.33, 0.0)), "q_gpm");
        assert_eq!(field(pipe_flow(10.0, 0.0, &water, 8.33, 0.0)), "d_in");
        assert_eq!(field(pipe_flow(10.0, 1.5, &water, 0.0, 0.0)), "density_ppg");
        assert_eq!(field(pipe_flow(10.0, 1.5, &water, 8.33, -0.01)), "rel_roughness");
        let thick = Fluid::Newtonian { viscosity_cp: 0.0 };
        assert_eq!(field(pipe_flow(10.0, 1.5, &thick, 8.33, 0.0)), "viscosity_cp");
        let no_pv = Fluid::Bingham {
            pv_cp: 0.0,
            yp_lbf_100ft2: 10.0,
        };
        assert_eq!(field(pipe_flow(10.0, 1.5, &no_pv, 8.33, 0.0)), "pv_cp");
        let negative_yp = Fluid::Bingham {
            pv_cp: 20.0,
            yp_lbf_100ft2: -1.0,
        };
        assert_eq!(
            field(annulus_flow(10.0, 4.0, 1.75, &negative_yp, 10.0)),
            "yp_lbf_100ft2"
        );
        let dilatant = Fluid::PowerLaw { n: 1.2, k_eq_cp: 100.0 };
        assert_eq!(field(pipe_flow(10.0, 1.5, &dilatant, 8.33, 0.0)), "n");
        assert_eq!(field(annulus_flow(10.0, 1.75, 1.75, &water, 8.33)), "d_outer_in");
        assert_eq!(field(annulus_flow(10.0, 4.0, 0.0, &water, 8.33)), "d_inner_in");
        assert_eq!(field(coil_flow(10.0, 1.5, 1.5, &water, 8.33, 0.0)), "coil_diameter_in");
        assert_eq!(chen_darcy(100.0, 0.0).unwrap_err().field(), "re");
        assert_eq!(colebrook_darcy(1e5, 0.2).unwrap_err().field(), "rel_roughness");
        assert_eq!(ecd_ppg(10.0, -5.0, 1_000.0).unwrap_err().field(), "annular_loss_psi");
        assert_eq!(
            field(pipe_flow(1e300, 1e-300, &water, 8.33, 0.0)),
            "q_gpm",
            "overflow is named, not inf"
        );
    }

    #[test]
    fn fluids_read_from_json_by_model() {
        let f: Fluid = serde_json::from_str(r#"{"model":"power_law","n":0.6,"k_eq_cp":300}"#).unwrap();
        assert_eq!(f, POWER_LAW);
        let f: Fluid = serde_json::from_str(r#"{"model":"bingham","pv_cp":20,"yp_lbf_100ft2":15}"#).unwrap();
        assert_eq!(f, BINGHAM);
        let json = serde_json::to_string(&Fluid::WATER).unwrap();
        assert_eq!(json, r#"{"model":"newtonian","viscosity_cp":1.0}"#);
        assert!(serde_json::from_str::<Fluid>(r#"{"model":"bingham","pv_cp":20,"yp_lbf_100ft2":15,"gel":3}"#).is_err());
        assert!(serde_json::from_str::<Fluid>(r#"{"model":"casson","viscosity_cp":1}"#).is_err());
    }

    fn water_circuit() -> Circuit {
        Circuit {
            rate_gpm: TWO_BPM,
            fluid: Fluid::WATER,
            density_ppg: 8.33,
            ct_od_in: 1.75,
            ct_wall_in: 0.156,
            ct_in_well_ft: 10_040.0,
            reel_layers: REEL_96_X_64_FOR_1_75.layers(3_000.0).unwrap(),
            hole_id_in: 3.958,
            annulus_length_ft: 10_000.0,
            tvd_ft: 9_000.0,
            nozzle_tfa_in2: 0.15,
            nozzle_cd: DEFAULT_NOZZLE_CD,
            wellhead_pressure_psi: 300.0,
            min_cleaning_velocity_fpm: DEFAULT_MIN_CLEANING_VELOCITY_FPM,
            rel_roughness: 0.0,
        }
    }

    #[test]
    fn pump_pressure_adds_up_the_losses() {
        let c = water_circuit();
        let r = circulate(&c).unwrap();
        let parts = 300.0 + r.reel_psi + r.ct_in_well_psi + r.annulus_psi + r.nozzle_psi;
        assert!(rel(r.pump_pressure_psi, parts) < 1e-12, "{r:?}");
        let id = 1.75 - 2.0 * 0.156;
        let pipe = pipe_flow(TWO_BPM, id, &Fluid::WATER, 8.33, 0.0).unwrap();
        assert_eq!(r.pipe, pipe);
        assert!(rel(r.ct_in_well_psi, pipe.gradient_psi_ft * 10_040.0) < 1e-12);
        assert!(
            r.reel_psi > pipe.gradient_psi_ft * 3_000.0 * 1.1,
            "the reel's curvature adds: {r:?}"
        );
        assert_eq!(
            r.nozzle_psi,
            nozzle_pressure_drop_psi(TWO_BPM, 8.33, 0.15, 0.95).unwrap()
        );
        let av = 24.5 * TWO_BPM / (3.958_f64.powi(2) - 1.75_f64.powi(2));
        assert!(rel(r.annular_velocity_fpm, av) < 1e-12 && !r.below_min_cleaning);
        assert!(rel(r.ecd_ppg, 8.33 + r.annulus_psi / (0.052 * 9_000.0)) < 1e-12);
        let bottomhole = 300.0 + 0.052 * 8.33 * 9_000.0 + r.annulus_psi;
        assert!(rel(r.bottomhole_circulating_psi, bottomhole) < 1e-12);
    }

    #[test]
    fn each_reel_layer_takes_its_own_curvature() {
        // The bug the issue names: all pipe on the reel at the outer wrap's diameter under-reads the reel loss,
        // because the inner wraps are bent tighter.
        let on_reel = 6_000.0;
        let layers = REEL_96_X_64_FOR_1_75.layers(on_reel).unwrap();
        let outer = *layers.last().unwrap();
        assert!(outer.layer > 3);
        let mut lumped = water_circuit();
        lumped.reel_layers = vec![ReelLayer {
            length_ft: on_reel,
            ..outer
        }];
        let mut split = water_circuit();
        split.reel_layers = layers;
        let (lumped, split) = (circulate(&lumped).unwrap(), circulate(&split).unwrap());
        assert!(
            split.reel_psi > lumped.reel_psi + 1.0,
            "{} vs {}",
            split.reel_psi,
            lumped.reel_psi
        );
    }

    #[test]
    fn every_fluid_model_circulates() {
        for fluid in [Fluid::WATER, BINGHAM, POWER_LAW] {
            let c = Circuit {
                fluid,
                density_ppg: 10.0,
                ..water_circuit()
            };
            let r = circulate(&c).unwrap();
            assert!(r.pump_pressure_psi > 300.0 + r.nozzle_psi, "{fluid:?}: {r:?}");
            assert!(r.ecd_ppg > 10.0);
        }
    }

    #[test]
    fn no_flow_leaves_wellhead_and_hydrostatic() {
        let c = Circuit {
            rate_gpm: 0.0,
            ..water_circuit()
        };
        let r = circulate(&c).unwrap();
        assert_eq!(r.pump_pressure_psi, 300.0);
        assert_eq!(r.ecd_ppg, 8.33);
        assert!(!r.below_min_cleaning, "nothing to clean with the pumps off");
        assert!(rel(r.bottomhole_circulating_psi, 300.0 + 0.052 * 8.33 * 9_000.0) < 1e-12);
    }

    #[test]
    fn slow_returns_are_flagged_below_the_cleaning_velocity() {
        let c = Circuit {
            rate_gpm: GPM_PER_BPM,
            ..water_circuit()
        };
        let r = circulate(&c).unwrap();
        assert!(r.annular_velocity_fpm < 100.0 && r.below_min_cleaning, "{r:?}");
    }

    #[test]
    fn ecd_at_surface_is_the_mud_weight() {
        let c = Circuit {
            annulus_length_ft: 0.0,
            tvd_ft: 0.0,
            ..water_circuit()
        };
        assert_eq!(circulate(&c).unwrap().ecd_ppg, 8.33);
    }

    #[test]
    fn invalid_circuits_name_the_field() {
        let field = |c: Circuit| circulate(&c).unwrap_err().field();
        let base = water_circuit;
        assert_eq!(
            field(Circuit {
                rate_gpm: -1.0,
                ..base()
            }),
            "rate_gpm"
        );
        assert_eq!(
            field(Circuit {
                hole_id_in: 1.7,
                ..base()
            }),
            "hole_id_in"
        );
        assert_eq!(
            field(Circuit {
                ct_wall_in: 0.9,
                ..base()
            }),
            "ct_wall_in"
        );
        assert_eq!(
            field(Circuit {
                tvd_ft: 11_000.0,
                ..base()
            }),
            "tvd_ft"
        );
        assert_eq!(
            field(Circuit {
                nozzle_cd: 0.0,
                ..base()
            }),
            "nozzle_cd"
        );
        assert_eq!(
            field(Circuit {
                rel_roughness: 0.5,
                ..base()
            }),
            "rel_roughness"
        );
        assert_eq!(
            field(Circuit {
                wellhead_pressure_psi: -5.0,
                ..base()
            }),
            "wellhead_pressure_psi"
        );
        let thin = Fluid::Newtonian { viscosity_cp: 0.0 };
        assert_eq!(field(Circuit { fluid: thin, ..base() }), "viscosity_cp");
        let tight = vec![ReelLayer {
            layer: 1,
            diameter_in: 1.0,
            length_ft: 10.0,
        }];
        assert_eq!(
            field(Circuit {
                reel_layers: tight,
                ..base()
            }),
            "reel_layers.diameter_in"
        );
    }

    #[test]
    fn circuit_json_takes_defaults_and_refuses_unknown_fields() {
        let json = r#"{"rate_gpm": 84, "fluid": {"model": "newtonian", "viscosity_cp": 1},
            "density_ppg": 8.33, "ct_od_in": 1.75, "ct_wall_in": 0.156, "ct_in_well_ft": 10040,
            "hole_id_in": 3.958, "annulus_length_ft": 10000, "tvd_ft": 9000, "nozzle_tfa_in2": 0.15,
            "wellhead_pressure_psi": 300}"#;
        let c: Circuit = serde_json::from_str(json).unwrap();
        assert_eq!(c.nozzle_cd, DEFAULT_NOZZLE_CD);
        assert_eq!(c.min_cleaning_velocity_fpm, DEFAULT_MIN_CLEANING_VELOCITY_FPM);
        assert_eq!(c.rel_roughness, 0.0);
        assert!(c.reel_layers.is_empty());
        assert!(circulate(&c).is_ok());
        let typo = json.replace(
            "\"wellhead_pressure_psi\": 300",
            "\"wellhead_pressure_psi\": 300, \"nozle_cd\": 0.9",
        );
        assert!(serde_json::from_str::<Circuit>(&typo).is_err());
    }
}
