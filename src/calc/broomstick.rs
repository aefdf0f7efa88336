//! Broomstick plot (ENGINEERING.md §2): predicted pick-up and slack-off weight-indicator readings versus depth
//! for several friction factors, with the lockup depth and the deepest depth the pipe can be run to.
//!
//! Owns the depth sweep and the surface terms that turn an effective force into a weight-indicator reading.
//! The sweep runs `softstring`'s own per-element step over a fixed grid of depths computed once (the tip is
//! always on a grid node), so a point of the plot and a `softstring::drag` call at that depth in the same
//! elements are the same arithmetic. Invariants: every curve is aligned with `depths_ft`, which runs from 0
//! to `max_depth_ft`; a reading with no finite answer (slack-off past the point where any push moves the
//! pipe) is `None`, never a number. Pure: it reads no live data; the live service passes its own wellhead
//! pressure through `SurfaceLoads` to move the band without rerunning the sweep.
//!
//! Sign conventions: forces in lbf, tension positive. The effective force is the soft-string axial force at
//! the surface, buoyancy carried by the buoyed weight. The weight indicator reads
//! effective − WHP·A_o ± stripper friction + reel back-tension, the stripper friction opposing the motion
//! (+ pulling out, − running in, 0 stationary): the model of `sim::ct_unit`. A negative reading is snubbing,
//! the injector pushing the pipe in.

use super::error::{CalcError, check, non_negative, positive};
use super::softstring::{
    Element, FORCE_LIMIT_LBF, LOCKUP_BIT_TRANSFER, Motion, StringInHole, bit_transfer, within_force_limit,
};
use super::survey::{Station, Survey};
use super::tubular::Tubular;
use serde::{Deserialize, Serialize};

/// Most friction factors in one plot.
pub const MAX_FRICTION_FACTORS: usize = 8;
/// Most depth steps in one plot. The sweep integrates from every depth to the surface, so its work grows
/// with the square of the steps: 20,000 steps are 2·10⁸ element steps per curve.
pub const MAX_DEPTH_STEPS: usize = 20_000;

fn default_friction_factors() -> Vec<f64> {
    vec![0.1, 0.2, 0.3, 0.4]
}

fn default_step_ft() -> f64 {
    10.0
}

/// What a broomstick plot needs: the well, the pipe, the fluids and the surface equipment (the JSON of
/// `wellconsole calc broomstick`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BroomstickInput {
    /// Survey stations from MD 0 (`Survey::new`'s rules).
    pub survey: Vec<Station>,
    pub od_in: f64,
    pub wall_in: f64,
    pub fluid_inside_ppg: f64,
    pub fluid_outside_ppg: f64,
    /// Hole (or casing) ID, larger than `od_in`.
    pub hole_id_in: f64,
    /// 1 to 8 friction factors, each 0 to 1.
    #[serde(default = "default_friction_factors")]
    pub friction_factors: Vec<f64>,
    /// Depth step and integration element, ft (≥ 1).
    #[serde(default = "default_step_ft")]
    pub step_ft: f64,
    /// Deepest tip depth, ft; the survey's last station when absent.
    #[serde(default)]
    pub max_depth_ft: Option<f64>,
    pub wellhead_pressure_psi: f64,
    /// Stripper friction, lbf (≥ 0): its sign follows the motion.
    pub stripper_friction_lbf: f64,
    pub reel_back_tension_lbf: f64,
    /// The largest push (snub) and pull the injector can apply, lbf.
    pub injector_snub_capacity_lbf: f64,
    pub injector_pull_capacity_lbf: f64,
    /// Buoyed weight of the BHA hanging at the tip, lbf: a tip tension (its own wall friction is not modelled).
    #[serde(default)]
    pub bha_weight_lbf: f64,
}

/// The surface terms between the effective force and the weight indicator. Valid by construction: every
/// term finite and ≥ 0.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SurfaceLoads {
    wellhead_pressure_psi: f64,
    stripper_friction_lbf: f64,
    reel_back_tension_lbf: f64,
}

impl SurfaceLoads {
    pub fn new(
        wellhead_pressure_psi: f64,
        stripper_friction_lbf: f64,
        reel_back_tension_lbf: f64,
    ) -> Result<Self, CalcError> {
        non_negative("wellhead_pressure_psi", wellhead_pressure_psi)?;
        non_negative("stripper_friction_lbf", stripper_friction_lbf)?;
        non_negative("reel_back_tension_lbf", reel_back_tension_lbf)?;
        Ok(Self {
            wellhead_pressure_psi,
            stripper_friction_lbf,
            reel_back_tension_lbf,
        })
    }

    pub fn wellhead_pressure_psi(&self) -> f64 {
        self.wellhead_pressure_psi
    }

    pub fn stripper_friction_lbf(&self) -> f64 {
        self.stripper_friction_lbf
    }

    pub fn reel_back_tension_lbf(&self) -> f64 {
        self.reel_back_tension_lbf
    }

    /// What the surface adds to the effective force, lbf: −WHP·A_o (the wellhead pressure pushes the pipe
    /// out through the stripper) ± stripper friction (+ pulling out, − running in, 0 stationary) + reel
    /// back-tension. `outer_area_in2` is the pipe's outside area, π·OD²/4.
    pub fn surface_terms_lbf(&self, motion: Motion, outer_area_in2: f64) -> f64 {
        -self.wellhead_pressure_psi * outer_area_in2
            + motion.friction_sign() * self.stripper_friction_lbf
            + self.reel_back_tension_lbf
    }

    /// Weight-indicator reading for an effective surface force, lbf (tension positive, negative snubbing).
    pub fn weight_indicator_lbf(&self, effective_lbf: f64, motion: Motion, outer_area_in2: f64) -> f64 {
        effective_lbf + self.surface_terms_lbf(motion, outer_area_in2)
    }
}

/// What stops the pipe going deeper while running in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReachLimit {
    /// Nothing: it reaches `max_depth_ft`.
    MaxDepth,
    /// The bit transfer falls under `LOCKUP_BIT_TRANSFER` (or no finite push moves the pipe).
    Lockup,
    /// The slack-off reading asks the injector to snub more than its capacity.
    SnubCapacity,
}

/// One friction factor's curves, aligned with `Broomstick::depths_ft`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FrictionCurve {
    pub mu: f64,
    /// Weight-indicator readings, lbf; `None` where the soft-string force has no finite value.
    pub pick_up_lbf: Vec<Option<f64>>,
    pub slack_off_lbf: Vec<Option<f64>>,
    /// The same before the surface terms (effective force at the surface), lbf.
    pub pick_up_effective_lbf: Vec<Option<f64>>,
    pub slack_off_effective_lbf: Vec<Option<f64>>,
    /// d(F_bit)/d(F_surface) running in (0 where the slack-off has no finite value).
    pub slack_off_bit_transfer: Vec<f64>,
    /// First depth where the slack-off bit transfer is under `LOCKUP_BIT_TRANSFER`.
    pub lockup_depth_ft: Option<f64>,
    /// Deepest depth reachable running in: the node before the first locked-up or over-snub-capacity one,
    /// `max_depth_ft` if none.
    pub max_reach_ft: f64,
    pub reach_limit: ReachLimit,
    /// First depth where the pick-up reading exceeds the injector's pull capacity.
    pub pull_limit_depth_ft: Option<f64>,
}

/// A broomstick plot: every curve aligned with `depths_ft`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Broomstick {
    /// Tip depths, ft: 0, step, 2·step, … and `max_depth_ft` last (the last step may be shorter).
    pub depths_ft: Vec<f64>,
    /// μ = 0, pipe stationary: weight-indicator reading and effective force, lbf.
    pub free_hanging_lbf: Vec<f64>,
    pub free_hanging_effective_lbf: Vec<f64>,
    pub curves: Vec<FrictionCurve>,
    /// The surface terms the readings were computed with, and the pipe's outside area, in².
    pub surface_loads: SurfaceLoads,
    pub outer_area_in2: f64,
}

impl Broomstick {
    /// Effective surface force at a tip depth, lbf, interpolated between nodes: pick-up (`PullingOut`) or
    /// slack-off (`RunningIn`) of curve `mu_index`, or the free-hanging weight (`Stationary`, any valid
    /// `mu_index`). `None` outside 0..=max depth, for a `mu_index` past the curves, or next to a node with
    /// no finite value.
    pub fn effective_at(&self, depth_ft: f64, mu_index: usize, motion: Motion) -> Option<f64> {
        let curve = self.curves.get(mu_index)?;
        let (i, f) = self.bracket(depth_ft)?;
        match motion {
            Motion::Stationary => interpolate(|k| self.free_hanging_effective_lbf.get(k).copied(), i, f),
            Motion::PullingOut => interpolate(|k| curve.pick_up_effective_lbf.get(k).copied().flatten(), i, f),
            Motion::RunningIn => interpolate(|k| curve.slack_off_effective_lbf.get(k).copied().flatten(), i, f),
        }
    }

    /// Weight-indicator reading at a tip depth with the surface loads the plot was computed with.
    pub fn weight_at(&self, depth_ft: f64, mu_index: usize, motion: Motion) -> Option<f64> {
        self.weight_with(depth_ft, mu_index, motion, &self.surface_loads)
    }

    /// Weight-indicator reading at a tip depth with other surface loads (the live wellhead pressure).
    pub fn weight_with(&self, depth_ft: f64, mu_index: usize, motion: Motion, loads: &SurfaceLoads) -> Option<f64> {
        self.effective_at(depth_ft, mu_index, motion)
            .map(|f| loads.weight_indicator_lbf(f, motion, self.outer_area_in2))
    }

    /// The node at or above `depth_ft` and the fraction of the way to the next one.
    fn bracket(&self, depth_ft: f64) -> Option<(usize, f64)> {
        let last = *self.depths_ft.last()?;
        if !(0.0..=last).contains(&depth_ft) {
            return None;
        }
        let i = self.depths_ft.partition_point(|&d| d <= depth_ft).checked_sub(1)?;
        let at = *self.depths_ft.get(i)?;
        Some(match self.depths_ft.get(i + 1) {
            Some(&next) => (i, (depth_ft - at) / (next - at)),
            None => (i, 0.0),
        })
    }
}

fn interpolate(value: impl Fn(usize) -> Option<f64>, i: usize, f: f64) -> Option<f64> {
    let a = value(i)?;
    if f == 0.0 {
        return Some(a);
    }
    let b = value(i + 1)?;
    Some(a + f * (b - a))
}

/// The input, checked, and what the sweep needs from it.
struct Plan<'a> {
    survey: Survey,
    pipe: StringInHole,
    outer_area_in2: f64,
    friction_factors: &'a [f64],
    depths_ft: Vec<f64>,
    loads: SurfaceLoads,
    snub_capacity_lbf: f64,
    pull_capacity_lbf: f64,
    tip_force_lbf: f64,
}

fn plan(input: &BroomstickInput) -> Result<Plan<'_>, CalcError> {
    let survey = Survey::new(input.survey.clone()).map_err(|e| CalcError::Inconsistent {
        field: "survey",
        reason: e.to_string(),
    })?;
    let td = check(
        "survey",
        survey.total_md_ft(),
        |md| md > 0.0,
        "the last station's MD must be a finite depth",
    )?;
    let step_ft = check("step_ft", input.step_ft, |s| s >= 1.0, "must be at least 1 ft")?;
    let tubular = Tubular::new(input.od_in, input.wall_in)?;
    let pipe = StringInHole::for_tubular(
        &tubular,
        input.hole_id_in,
        input.fluid_inside_ppg,
        input.fluid_outside_ppg,
        0.0,
        step_ft,
    )?;
    let n = input.friction_factors.len();
    if !(1..=MAX_FRICTION_FACTORS).contains(&n) {
        return Err(CalcError::Inconsistent {
            field: "friction_factors",
            reason: format!("{n} friction factors: give 1 to {MAX_FRICTION_FACTORS}"),
        });
    }
    for &mu in &input.friction_factors {
        check(
            "friction_factors",
            mu,
            |m| (0.0..=1.0).contains(&m),
            "each friction factor must be between 0 and 1",
        )?;
    }
    let max_depth_ft = match input.max_depth_ft {
        None => td,
        Some(d) => {
            positive("max_depth_ft", d)?;
            if d > td {
                return Err(CalcError::Inconsistent {
                    field: "max_depth_ft",
                    reason: format!("{d} ft is below the survey's last station at {td} ft"),
                });
            }
            d
        }
    };
    let steps = (max_depth_ft / step_ft).ceil();
    if steps > MAX_DEPTH_STEPS as f64 {
        return Err(CalcError::Inconsistent {
            field: "step_ft",
            reason: format!(
                "{step_ft} ft steps to {max_depth_ft} ft are {steps} depth steps; at most {MAX_DEPTH_STEPS} \
                 (the sweep's work grows with their square): use a longer step"
            ),
        });
    }
    let loads = SurfaceLoads::new(
        input.wellhead_pressure_psi,
        input.stripper_friction_lbf,
        input.reel_back_tension_lbf,
    )?;
    Ok(Plan {
        survey,
        pipe,
        outer_area_in2: tubular.outer_area_in2(),
        friction_factors: &input.friction_factors,
        depths_ft: depth_nodes(step_ft, max_depth_ft),
        loads,
        snub_capacity_lbf: positive("injector_snub_capacity_lbf", input.injector_snub_capacity_lbf)?,
        pull_capacity_lbf: positive("injector_pull_capacity_lbf", input.injector_pull_capacity_lbf)?,
        tip_force_lbf: check(
            "bha_weight_lbf",
            input.bha_weight_lbf,
            |w| (0.0..=FORCE_LIMIT_LBF).contains(&w),
            "must be between 0 and 1e9 lbf",
        )?,
    })
}

/// 0, step, 2·step, … and `max_depth_ft` last. Each node is j·step (not a running sum), so it is the same
/// number as a `drag` element end counted from a tip on the grid; a remainder of rounding size moves the last
/// node to `max_depth_ft` instead of adding a sliver of an element.
fn depth_nodes(step_ft: f64, max_depth_ft: f64) -> Vec<f64> {
    let full = (max_depth_ft / step_ft).floor() as usize;
    let mut nodes: Vec<f64> = (0..=full).map(|j| j as f64 * step_ft).collect();
    if full == 0 || max_depth_ft - full as f64 * step_ft > 1e-6 {
        nodes.push(max_depth_ft);
    } else if let Some(last) = nodes.last_mut() {
        *last = max_depth_ft;
    }
    nodes
}

/// One (μ, motion) integration in flight: the force and its sensitivity to the tip force, until it has no
/// finite value.
#[derive(Debug, Clone, Copy)]
struct Chain {
    signed_mu: f64,
    force_lbf: f64,
    dt_dtip: f64,
    finite: bool,
}

/// One chain's results at every depth node.
struct ChainCurve {
    effective_lbf: Vec<Option<f64>>,
    bit_transfer: Vec<f64>,
}

/// Integrates from every node up to the surface for every friction factor, pulling out then running in:
/// curves 0..n pull out with μ_i, curves n..2n run in with μ_i. All chains step through an element together,
/// so the CPU overlaps their independent square roots and divisions; nothing inside the loops allocates.
fn sweep(elements: &[Element], tip_force_lbf: f64, friction_factors: &[f64]) -> Vec<ChainCurve> {
    let nodes = elements.len() + 1;
    let chain = |signed_mu| Chain {
        signed_mu,
        force_lbf: tip_force_lbf,
        dt_dtip: 1.0,
        finite: true,
    };
    let mut chains: Vec<Chain> = friction_factors.iter().map(|&mu| chain(mu)).collect();
    chains.extend(friction_factors.iter().map(|&mu| chain(-mu)));
    let mut curves: Vec<ChainCurve> = chains
        .iter()
        .map(|_| ChainCurve {
            effective_lbf: Vec::with_capacity(nodes),
            bit_transfer: Vec::with_capacity(nodes),
        })
        .collect();
    for k in 0..nodes {
        for c in chains.iter_mut() {
            *c = chain(c.signed_mu);
        }
        for e in elements[..k].iter().rev() {
            for c in chains.iter_mut().filter(|c| c.finite) {
                let step = e.up(c.force_lbf, c.dt_dtip, c.signed_mu);
                c.finite = within_force_limit(step.force_lbf);
                c.force_lbf = step.force_lbf;
                c.dt_dtip = step.dt_dtip;
            }
        }
        for (c, curve) in chains.iter().zip(curves.iter_mut()) {
            curve.effective_lbf.push(c.finite.then_some(c.force_lbf));
            curve
                .bit_transfer
                .push(if c.finite { bit_transfer(c.dt_dtip) } else { 0.0 });
        }
    }
    curves
}

/// The predicted pick-up and slack-off weight-indicator readings of a CT string versus depth for each
/// friction factor (ENGINEERING.md §2 "Broomstick plot"), with lockup, maximum reach and the pull limit.
/// Errors name the input field.
pub fn broomstick(input: &BroomstickInput) -> Result<Broomstick, CalcError> {
    let plan = plan(input)?;
    let attitudes: Vec<(f64, f64)> = plan.depths_ft.iter().map(|&md| plan.survey.attitude_at(md)).collect();
    let elements: Vec<Element> = plan
        .depths_ft
        .windows(2)
        .zip(attitudes.windows(2))
        .map(|(md, att)| Element::new(&plan.pipe, md[1] - md[0], att[1], att[0]))
        .collect();
    // μ = 0: the weight of the pipe above each node, summed down from the surface.
    let mut free_hanging_effective_lbf = Vec::with_capacity(plan.depths_ft.len());
    let mut above = 0.0;
    free_hanging_effective_lbf.push(plan.tip_force_lbf);
    for e in &elements {
        above += e.weight_axial_lbf();
        free_hanging_effective_lbf.push(plan.tip_force_lbf + above);
    }
    let free_hanging_lbf = free_hanging_effective_lbf
        .iter()
        .map(|&f| {
            plan.loads
                .weight_indicator_lbf(f, Motion::Stationary, plan.outer_area_in2)
        })
        .collect();
    let mut pulling = sweep(&elements, plan.tip_force_lbf, plan.friction_factors);
    let running = pulling.split_off(plan.friction_factors.len());
    let curves = plan
        .friction_factors
        .iter()
        .zip(pulling)
        .zip(running)
        .map(|((&mu, pick_up), slack_off)| friction_curve(&plan, mu, pick_up, slack_off))
        .collect();
    Ok(Broomstick {
        depths_ft: plan.depths_ft.clone(),
        free_hanging_lbf,
        free_hanging_effective_lbf,
        curves,
        surface_loads: plan.loads,
        outer_area_in2: plan.outer_area_in2,
    })
}

/// One friction factor's readings and limits from its two integrations.
fn friction_curve(plan: &Plan<'_>, mu: f64, pick_up: ChainCurve, slack_off: ChainCurve) -> FrictionCurve {
    let depths = &plan.depths_ft;
    let readings = |effective: &[Option<f64>], motion: Motion| -> Vec<Option<f64>> {
        effective
            .iter()
            .map(|f| f.map(|f| plan.loads.weight_indicator_lbf(f, motion, plan.outer_area_in2)))
            .collect()
    };
    let pick_up_lbf = readings(&pick_up.effective_lbf, Motion::PullingOut);
    let slack_off_lbf = readings(&slack_off.effective_lbf, Motion::RunningIn);
    let lockup = slack_off
        .effective_lbf
        .iter()
        .zip(&slack_off.bit_transfer)
        .position(|(f, &transfer)| f.is_none() || transfer < LOCKUP_BIT_TRANSFER);
    let over_snub = slack_off_lbf
        .iter()
        .position(|w| w.is_some_and(|w| -w > plan.snub_capacity_lbf));
    let (stop, reach_limit) = match (lockup, over_snub) {
        (Some(l), Some(s)) if s < l => (Some(s), ReachLimit::SnubCapacity),
        (Some(l), _) => (Some(l), ReachLimit::Lockup),
        (None, Some(s)) => (Some(s), ReachLimit::SnubCapacity),
        (None, None) => (None, ReachLimit::MaxDepth),
    };
    let max_depth_ft = depths.last().copied().unwrap_or(0.0);
    let max_reach_ft = match stop {
        // Stopped at the surface itself (the wellhead pressure alone is more than the injector can snub).
        Some(0) => 0.0,
        Some(k) => depths.get(k - 1).copied().unwrap_or(0.0),
        None => max_depth_ft,
    };
    let pull_limit = pick_up_lbf
        .iter()
        .position(|w| w.is_none_or(|w| w > plan.pull_capacity_lbf));
    FrictionCurve {
        mu,
        pick_up_lbf,
        slack_off_lbf,
        pick_up_effective_lbf: pick_up.effective_lbf,
        slack_off_effective_lbf: slack_off.effective_lbf,
        slack_off_bit_transfer: slack_off.bit_transfer,
        lockup_depth_ft: lockup.and_then(|k| depths.get(k).copied()),
        max_reach_ft,
        reach_limit,
        pull_limit_depth_ft: pull_limit.and_then(|k| depths.get(k).copied()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calc::softstring::drag;
    use crate::calc::tubular::CT_1_75_X_0_156;

    fn st(md_ft: f64, inc_deg: f64, azi_deg: f64) -> Station {
        Station {
            md_ft,
            inc_deg,
            azi_deg,
        }
    }

    /// The issue's well: vertical to 3,000 ft, build 0→90° to 4,500 ft, lateral to 10,000 ft.
    fn issue_well() -> Vec<Station> {
        vec![
            st(0.0, 0.0, 0.0),
            st(3000.0, 0.0, 0.0),
            st(4500.0, 90.0, 0.0),
            st(10_000.0, 90.0, 0.0),
        ]
    }

    /// A shallow kick-off: vertical to 500 ft, build 0→90° to 2,000 ft, lateral to 9,000 ft. Little vertical
    /// weight to push with, so slack-off goes into compression gradually, long before lockup.
    fn shallow_lateral() -> Vec<Station> {
        vec![
            st(0.0, 0.0, 0.0),
            st(500.0, 0.0, 0.0),
            st(2000.0, 90.0, 0.0),
            st(9000.0, 90.0, 0.0),
        ]
    }

    /// 1.75 × 0.156 in CT in a 4.000 in hole, water inside and out, 20-ft steps, no surface terms.
    fn input(survey: Vec<Station>) -> BroomstickInput {
        BroomstickInput {
            survey,
            od_in: 1.75,
            wall_in: 0.156,
            fluid_inside_ppg: 8.33,
            fluid_outside_ppg: 8.33,
            hole_id_in: 4.0,
            friction_factors: default_friction_factors(),
            step_ft: 20.0,
            max_depth_ft: None,
            wellhead_pressure_psi: 0.0,
            stripper_friction_lbf: 0.0,
            reel_back_tension_lbf: 0.0,
            injector_snub_capacity_lbf: 1.0e6,
            injector_pull_capacity_lbf: 1.0e6,
            bha_weight_lbf: 0.0,
        }
    }

    fn pipe(mu: f64) -> StringInHole {
        StringInHole::for_tubular(&CT_1_75_X_0_156, 4.0, 8.33, 8.33, mu, 20.0).unwrap()
    }

    fn node(b: &Broomstick, depth_ft: f64) -> usize {
        b.depths_ft.iter().position(|&d| d == depth_ft).unwrap()
    }

    #[test]
    fn vertical_well_reads_the_hanging_weight_plus_the_surface_terms() {
        let mut i = input(vec![st(0.0, 0.0, 0.0), st(8000.0, 0.0, 0.0)]);
        i.step_ft = 10.0;
        i.wellhead_pressure_psi = 500.0;
        i.stripper_friction_lbf = 800.0;
        i.reel_back_tension_lbf = 900.0;
        i.bha_weight_lbf = 300.0;
        let b = broomstick(&i).unwrap();
        assert_eq!(b.depths_ft.len(), 801);
        let w = pipe(0.0).buoyed_weight_lb_ft();
        let area = CT_1_75_X_0_156.outer_area_in2();
        for (k, &depth) in b.depths_ft.iter().enumerate() {
            let free = 300.0 + w * depth;
            assert!((b.free_hanging_effective_lbf[k] - free).abs() < 1e-6, "{depth} ft");
            let still = free - 500.0 * area + 900.0;
            assert!((b.free_hanging_lbf[k] - still).abs() < 1e-6, "{depth} ft");
            for c in &b.curves {
                // No wall friction in a vertical hole: only the stripper splits the readings.
                let (pu, so) = (c.pick_up_lbf[k].unwrap(), c.slack_off_lbf[k].unwrap());
                assert!((pu - (still + 800.0)).abs() < 1e-6, "μ {} at {depth} ft: PU {pu}", c.mu);
                assert!((so - (still - 800.0)).abs() < 1e-6, "μ {} at {depth} ft: SO {so}", c.mu);
                assert_eq!(c.slack_off_bit_transfer[k], 1.0);
            }
        }
        for c in &b.curves {
            assert_eq!(c.lockup_depth_ft, None);
            assert_eq!((c.max_reach_ft, c.reach_limit), (8000.0, ReachLimit::MaxDepth));
            assert_eq!(c.pull_limit_depth_ft, None);
        }
    }

    #[test]
    fn deviation_spreads_pick_up_and_slack_off_around_the_free_weight_more_with_more_friction() {
        let b = broomstick(&input(issue_well())).unwrap();
        let survey = Survey::new(issue_well()).unwrap();
        let w = pipe(0.0).buoyed_weight_lb_ft();
        for depth in [4_000.0, 5_000.0, 6_000.0] {
            let k = node(&b, depth);
            let free = b.free_hanging_lbf[k];
            let tvd_weight = w * survey.tvd_at(depth);
            assert!(
                (free - tvd_weight).abs() / tvd_weight < 1e-3,
                "free {free} vs w·TVD {tvd_weight}"
            );
            let mut spread = 0.0;
            for c in &b.curves {
                let (pu, so) = (c.pick_up_lbf[k].unwrap(), c.slack_off_lbf[k].unwrap());
                assert!(pu > free && free > so, "μ {} at {depth} ft: {pu} > {free} > {so}", c.mu);
                assert!(
                    pu - so > spread,
                    "μ {} at {depth} ft: spread {} after {spread}",
                    c.mu,
                    pu - so
                );
                spread = pu - so;
            }
        }
    }

    /// The sweep against `drag` with the same elements: the same surface force, bit transfer and lockup, and
    /// no finite slack-off exactly where `drag` says none exists.
    #[test]
    fn every_point_is_what_drag_gives_at_that_depth() {
        let b = broomstick(&input(issue_well())).unwrap();
        let survey = Survey::new(issue_well()).unwrap();
        for depth in [0.0, 3_000.0, 4_020.0, 6_000.0, 6_560.0, 6_600.0, 7_000.0, 10_000.0] {
            let k = node(&b, depth);
            for c in &b.curves {
                let p = pipe(c.mu);
                for (motion, swept) in [
                    (Motion::PullingOut, c.pick_up_effective_lbf[k]),
                    (Motion::RunningIn, c.slack_off_effective_lbf[k]),
                ] {
                    match (drag(&survey, &p, depth, 0.0, motion), swept) {
                        (Ok(r), Some(f)) => {
                            let tol = 1e-6 * r.surface_force_lbf.abs().max(1.0);
                            assert!(
                                (r.surface_force_lbf - f).abs() <= tol,
                                "{depth} ft μ {}: {r:?} vs {f}",
                                c.mu
                            );
                            if motion == Motion::RunningIn {
                                let transfer = c.slack_off_bit_transfer[k];
                                assert!((r.bit_transfer - transfer).abs() <= 1e-6 * r.bit_transfer.max(1e-6));
                                assert_eq!(
                                    r.is_locked_up(),
                                    transfer < LOCKUP_BIT_TRANSFER,
                                    "{depth} ft μ {}",
                                    c.mu
                                );
                            }
                        }
                        (Err(e), None) => assert_eq!(e.field(), "tip_md_ft"),
                        (r, f) => panic!("{depth} ft μ {} {motion:?}: drag {r:?}, sweep {f:?}", c.mu),
                    }
                }
            }
            let free = drag(&survey, &pipe(0.3), depth, 0.0, Motion::Stationary).unwrap();
            let tol = 1e-9 * free.surface_force_lbf.abs().max(1.0);
            assert!((free.surface_force_lbf - b.free_hanging_effective_lbf[k]).abs() <= tol);
        }
        // The issue's well locks up at μ 0.4 inside the lateral, so both branches above ran.
        assert!(b.curves[3].slack_off_effective_lbf[node(&b, 7_000.0)].is_none());
    }

    #[test]
    fn a_long_lateral_locks_up_at_high_friction_first() {
        let b = broomstick(&input(issue_well())).unwrap();
        let lock = |mu_index: usize| b.curves[mu_index].lockup_depth_ft;
        let at_04 = lock(3).unwrap();
        assert!((6_000.0..7_000.0).contains(&at_04), "μ 0.4 locks up at {at_04} ft");
        assert!(lock(2).unwrap() > at_04, "μ 0.3 later: {:?}", lock(2));
        assert_eq!(lock(0), None, "μ 0.1 reaches TD");
        let c = &b.curves[3];
        assert_eq!((c.max_reach_ft, c.reach_limit), (at_04 - 20.0, ReachLimit::Lockup));
        assert!(c.slack_off_bit_transfer[node(&b, at_04)] < LOCKUP_BIT_TRANSFER);
        assert!(c.slack_off_bit_transfer[node(&b, at_04 - 20.0)] >= LOCKUP_BIT_TRANSFER);
        assert_eq!(c.slack_off_lbf[node(&b, 7_000.0)], None, "no finite push gets it there");
        assert!(c.pick_up_lbf.iter().all(Option::is_some), "it can always be pulled out");
        let low = &b.curves[0];
        assert_eq!((low.max_reach_ft, low.reach_limit), (10_000.0, ReachLimit::MaxDepth));
    }

    #[test]
    fn max_reach_stops_where_the_injector_cannot_snub_and_pull_limit_where_it_cannot_pull() {
        let mut i = input(shallow_lateral());
        i.wellhead_pressure_psi = 200.0;
        i.stripper_friction_lbf = 300.0;
        i.reel_back_tension_lbf = 500.0;
        i.injector_snub_capacity_lbf = 2_000.0;
        i.injector_pull_capacity_lbf = 9_000.0;
        let b = broomstick(&i).unwrap();
        // μ 0.3 snubs past 2,000 lbf (about 5,000–5,500 ft) well before it locks up (about 6,300 ft).
        let c = &b.curves[2];
        assert_eq!(c.reach_limit, ReachLimit::SnubCapacity);
        let lockup = c.lockup_depth_ft.unwrap();
        assert!(
            c.max_reach_ft < lockup - 200.0,
            "reach {} lockup {lockup}",
            c.max_reach_ft
        );
        let k = node(&b, c.max_reach_ft);
        assert!(c.slack_off_lbf[k].unwrap() >= -2_000.0);
        assert!(c.slack_off_lbf[k + 1].unwrap() < -2_000.0);
        // μ 0.2 never locks up here, but the injector cannot push it to TD either.
        let c2 = &b.curves[1];
        assert_eq!((c2.lockup_depth_ft, c2.reach_limit), (None, ReachLimit::SnubCapacity));
        assert!(c2.max_reach_ft < 9_000.0);
        // Pulling: μ 0.3 and 0.4 need more than 9,000 lbf from some depth; μ 0.1 never does.
        for c in &b.curves[2..] {
            let k = node(&b, c.pull_limit_depth_ft.unwrap());
            assert!(c.pick_up_lbf[k].unwrap() > 9_000.0 && c.pick_up_lbf[k - 1].unwrap() <= 9_000.0);
        }
        assert_eq!(b.curves[0].pull_limit_depth_ft, None);
        // A big enough injector leaves lockup as the limit.
        i.injector_snub_capacity_lbf = 1.0e6;
        let b = broomstick(&i).unwrap();
        let c = &b.curves[2];
        assert_eq!((c.max_reach_ft, c.reach_limit), (lockup - 20.0, ReachLimit::Lockup));
    }

    #[test]
    fn readings_between_nodes_interpolate_and_a_live_wellhead_pressure_moves_the_band() {
        let mut i = input(issue_well());
        i.wellhead_pressure_psi = 300.0;
        i.stripper_friction_lbf = 620.0;
        i.reel_back_tension_lbf = 900.0;
        let b = broomstick(&i).unwrap();
        let k = node(&b, 5_000.0);
        let c = &b.curves[1];
        assert_eq!(b.weight_at(5_000.0, 1, Motion::PullingOut), c.pick_up_lbf[k]);
        assert_eq!(b.weight_at(5_000.0, 1, Motion::RunningIn), c.slack_off_lbf[k]);
        assert_eq!(b.weight_at(5_000.0, 3, Motion::Stationary), Some(b.free_hanging_lbf[k]));
        let mid = b.weight_at(5_010.0, 1, Motion::PullingOut).unwrap();
        let (a, z) = (c.pick_up_lbf[k].unwrap(), c.pick_up_lbf[k + 1].unwrap());
        assert!(
            (mid - (a + z) / 2.0).abs() < 1e-9 * a.abs(),
            "{mid} between {a} and {z}"
        );
        // The live wellhead pressure 1,000 psi instead of 300: every reading 700 psi × A_o lighter.
        let live = SurfaceLoads::new(1_000.0, 620.0, 900.0).unwrap();
        let area = CT_1_75_X_0_156.outer_area_in2();
        for m in [Motion::PullingOut, Motion::RunningIn, Motion::Stationary] {
            let shift = b.weight_with(5_010.0, 1, m, &live).unwrap() - b.weight_at(5_010.0, 1, m).unwrap();
            assert!((shift + 700.0 * area).abs() < 1e-6, "{m:?}: {shift}");
        }
        assert_eq!(live.weight_indicator_lbf(10_000.0, Motion::RunningIn, 2.0), 8_280.0);
        assert_eq!(live.weight_indicator_lbf(10_000.0, Motion::PullingOut, 2.0), 9_520.0);
        assert_eq!(live.weight_indicator_lbf(10_000.0, Motion::Stationary, 2.0), 8_900.0);
        assert_eq!(b.weight_at(-1.0, 0, Motion::PullingOut), None);
        assert_eq!(b.weight_at(10_000.1, 0, Motion::PullingOut), None);
        assert_eq!(b.weight_at(f64::NAN, 0, Motion::PullingOut), None);
        assert_eq!(b.weight_at(5_000.0, 4, Motion::PullingOut), None, "four curves");
        assert!(
            b.weight_at(10_000.0, 0, Motion::PullingOut).is_some(),
            "the last node is on the plot"
        );
        assert_eq!(b.weight_at(7_000.0, 3, Motion::RunningIn), None, "past lockup at μ 0.4");
        assert_eq!(
            SurfaceLoads::new(f64::NAN, 0.0, 0.0).unwrap_err().field(),
            "wellhead_pressure_psi"
        );
    }

    #[test]
    fn a_max_depth_off_the_step_ends_the_plot_there() {
        let mut i = input(issue_well());
        i.max_depth_ft = Some(9_995.0);
        let b = broomstick(&i).unwrap();
        assert_eq!(b.depths_ft.len(), 501);
        assert_eq!(b.depths_ft[499..], [9_980.0, 9_995.0]);
        assert_eq!(b.curves[0].max_reach_ft, 9_995.0);
    }

    #[test]
    fn invalid_input_names_the_field() {
        let field = |change: fn(&mut BroomstickInput)| {
            let mut i = input(issue_well());
            change(&mut i);
            broomstick(&i).unwrap_err().field()
        };
        #[allow(clippy::type_complexity)]
        let cases: [(fn(&mut BroomstickInput), &str); 18] = [
            (|i| i.step_ft = 0.0, "step_ft"),
            (|i| i.step_ft = 0.5, "step_ft"),
            // 1-ft steps down a 30,000-ft well: more depth steps than the sweep allows.
            (
                |i| {
                    i.survey = vec![st(0.0, 0.0, 0.0), st(30_000.0, 0.0, 0.0)];
                    i.step_ft = 1.0;
                },
                "step_ft",
            ),
            (|i| i.friction_factors = vec![0.1, -0.1], "friction_factors"),
            (|i| i.friction_factors = vec![1.5], "friction_factors"),
            (|i| i.friction_factors = vec![], "friction_factors"),
            (|i| i.friction_factors = vec![0.1; 9], "friction_factors"),
            (|i| i.hole_id_in = 1.75, "hole_id_in"),
            (|i| i.hole_id_in = 1.5, "hole_id_in"),
            (|i| i.survey = vec![], "survey"),
            (|i| i.survey = vec![st(0.0, 0.0, 0.0), st(100.0, 190.0, 0.0)], "survey"),
            (|i| i.max_depth_ft = Some(10_001.0), "max_depth_ft"),
            (|i| i.max_depth_ft = Some(0.0), "max_depth_ft"),
            (|i| i.wall_in = 1.0, "wall_in"),
            (
                |i| {
                    i.fluid_inside_ppg = 0.0;
                    i.fluid_outside_ppg = 25.0;
                },
                "fluid_outside_ppg",
            ),
            (|i| i.wellhead_pressure_psi = f64::NAN, "wellhead_pressure_psi"),
            (|i| i.injector_snub_capacity_lbf = 0.0, "injector_snub_capacity_lbf"),
            (|i| i.bha_weight_lbf = -1.0, "bha_weight_lbf"),
        ];
        for (change, name) in cases {
            assert_eq!(field(change), name);
        }
    }

    #[test]
    fn json_input_takes_the_defaults_and_refuses_unknown_fields() {
        let json = r#"{
            "survey": [{"md_ft": 0, "inc_deg": 0, "azi_deg": 0}, {"md_ft": 5000, "inc_deg": 0, "azi_deg": 0}],
            "od_in": 1.75, "wall_in": 0.156, "fluid_inside_ppg": 8.33, "fluid_outside_ppg": 8.33,
            "hole_id_in": 4.0, "wellhead_pressure_psi": 0, "stripper_friction_lbf": 0,
            "reel_back_tension_lbf": 0, "injector_snub_capacity_lbf": 20000, "injector_pull_capacity_lbf": 60000
        }"#;
        let i: BroomstickInput = serde_json::from_str(json).unwrap();
        assert_eq!(i.friction_factors, vec![0.1, 0.2, 0.3, 0.4]);
        assert_eq!((i.step_ft, i.max_depth_ft, i.bha_weight_lbf), (10.0, None, 0.0));
        let b = broomstick(&i).unwrap();
        assert_eq!((b.depths_ft.len(), b.depths_ft.last().copied()), (501, Some(5_000.0)));
        let out = serde_json::to_string(&b).unwrap();
        assert!(out.contains("\"slack_off_lbf\"") && out.contains("\"reach_limit\":\"max_depth\""));
        let unknown = json.replacen("\"od_in\"", "\"mud_ppg\": 9, \"od_in\"", 1);
        let e = serde_json::from_str::<BroomstickInput>(&unknown).unwrap_err();
        assert!(e.to_string().contains("mud_ppg"), "{e}");
        let station = json.replacen("\"md_ft\": 5000,", "\"md_ft\": 5000, \"tvd_ft\": 5000,", 1);
        assert!(serde_json::from_str::<BroomstickInput>(&station).is_err());
    }
}
