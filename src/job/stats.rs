//! A job's statistics from its operations log, fluid stages and non-productive time: what is frozen on the
//! job when it is completed and printed on its ticket.
//!
//! A pure function of what it is given (no clock, no store): the store calls it at completion, and the
//! console may call it for a running job with `end` = now.

use super::model::{FluidKind, FluidStage, JobStats, Npt, Operation};
use crate::tag::Timestamp;

/// The name volume pumped with no stage running is counted under.
pub const UNASSIGNED: &str = "unassigned";

/// Below this the difference between the pump totals and the stages' volumes is rounding, not pumping.
const UNASSIGNED_MIN_BBL: f64 = 0.05;

/// Statistics of a job from its operations, fluid stages and NPT, over [start, end]. Efficiency =
/// (duration − NPT)/duration·100 (100 when duration is 0). Footage = Σ op.footage_ft. Volume per fluid from
/// the stages' actual volumes; pumping outside any stage (Σ op.volume − Σ stage volumes, if > 0.05) is
/// "unassigned". Hours per op type grouped by code, longest first.
///
/// A stage counts once started (or once a volume was typed for it); stages of one name are one entry.
/// Nitrogen stages count in scf, not bbl: they are listed per fluid but left out of the liquid sums (the
/// total volume and the unassigned remainder), which the pump totals behind `op.volume_bbl` do not see.
/// NPT is counted inside [start, end] only, so time lost outside the job does not lower its efficiency.
pub fn compute(
    ops: &[Operation],
    fluids: &[FluidStage],
    npt: &[Npt],
    start: Timestamp,
    end: Timestamp,
    alarms: usize,
    trips: usize,
) -> JobStats {
    let duration_s = (end.as_secs_f64() - start.as_secs_f64()).max(0.0);
    let (npt_h, npt_by_reason) = npt_hours(npt, start, end);
    let efficiency_pct = if duration_s > 0.0 {
        ((duration_s - npt_h * 3600.0) / duration_s * 100.0).clamp(0.0, 100.0)
    } else {
        100.0
    };
    let (volume_by_fluid, total_volume_bbl) = volumes(ops, fluids);
    let mut stats = JobStats {
        duration_h: duration_s / 3600.0,
        footage_ft: ops.iter().map(|o| finite(o.footage_ft)).sum(),
        volume_by_fluid,
        total_volume_bbl,
        hours_by_op: op_hours(ops, end),
        npt_h,
        npt_by_reason,
        efficiency_pct,
        operations: ops.len(),
        alarms,
        trips,
        ..JobStats::default()
    };
    for o in ops {
        for d in [o.start_depth_ft, o.end_depth_ft, o.max_depth_ft] {
            stats.max_depth_ft = stats.max_depth_ft.max(finite(d));
        }
        stats.max_weight_lbf = extreme(stats.max_weight_lbf, o.max_weight_lbf, f64::max);
        stats.min_weight_lbf = extreme(stats.min_weight_lbf, o.min_weight_lbf, f64::min);
        stats.max_circ_psi = extreme(stats.max_circ_psi, o.max_circ_psi, f64::max);
        stats.max_whp_psi = extreme(stats.max_whp_psi, o.max_whp_psi, f64::max);
    }
    stats
}

/// A number that can be summed: a stored record never holds a NaN, but a sum must not become one if it did.
fn finite(v: f64) -> f64 {
    if v.is_finite() { v } else { 0.0 }
}

/// The extreme of two optional readings; a missing or non-finite one does not count.
pub(super) fn extreme(a: Option<f64>, b: Option<f64>, pick: fn(f64, f64) -> f64) -> Option<f64> {
    match (a.filter(|v| v.is_finite()), b.filter(|v| v.is_finite())) {
        (Some(a), Some(b)) => Some(pick(a, b)),
        (a, b) => a.or(b),
    }
}

/// Adds `v` to the entry named `name`, keeping the order names first came in.
fn add_to(list: &mut Vec<(String, f64)>, name: &str, v: f64) {
    match list.iter_mut().find(|(n, _)| n == name) {
        Some((_, total)) => *total += v,
        None => list.push((name.to_owned(), v)),
    }
}

/// Longest first; equal ones keep the order they came in (the sort is stable).
fn longest_first(list: &mut [(String, f64)]) {
    list.sort_by(|a, b| b.1.total_cmp(&a.1));
}

/// Hours per operation type, longest first; a running operation counts up to `end`.
fn op_hours(ops: &[Operation], end: Timestamp) -> Vec<(String, f64)> {
    let mut hours = Vec::new();
    for o in ops {
        add_to(&mut hours, o.op_type.code(), o.duration_s(end) / 3600.0);
    }
    longest_first(&mut hours);
    hours
}

/// NPT hours in all and per reason (longest first), each entry cut to [start, end].
fn npt_hours(npt: &[Npt], start: Timestamp, end: Timestamp) -> (f64, Vec<(String, f64)>) {
    let mut by_reason = Vec::new();
    let mut total = 0.0;
    for n in npt {
        let from = n.start.max(start);
        let to = n.end.min(end);
        let h = (to.as_secs_f64() - from.as_secs_f64()).max(0.0) / 3600.0;
        if h > 0.0 {
            total += h;
            add_to(&mut by_reason, n.reason.name(), h);
        }
    }
    longest_first(&mut by_reason);
    (total, by_reason)
}

/// Volume per fluid (stages in program order, one entry per name) plus the unassigned remainder, and the
/// total liquid volume.
fn volumes(ops: &[Operation], fluids: &[FluidStage]) -> (Vec<(String, f64)>, f64) {
    let mut stages: Vec<&FluidStage> = fluids
        .iter()
        .filter(|s| s.start.is_some() || s.actual_bbl > 0.0)
        .collect();
    stages.sort_by_key(|s| s.seq);
    let mut by_fluid = Vec::new();
    let mut staged_liquid = 0.0;
    for s in stages {
        let v = finite(s.actual_bbl).max(0.0);
        add_to(&mut by_fluid, &s.name, v);
        if s.kind != FluidKind::Nitrogen {
            staged_liquid += v;
        }
    }
    let pumped: f64 = ops.iter().map(|o| finite(o.volume_bbl).max(0.0)).sum();
    let unassigned = pumped - staged_liquid;
    let mut total = staged_liquid;
    if unassigned > UNASSIGNED_MIN_BBL {
        by_fluid.push((UNASSIGNED.to_owned(), unassigned));
        total += unassigned;
    }
    (by_fluid, total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::model::{NptReason, OpType};

    const H: i64 = 3_600_000_000;

    fn op(t: OpType, start_h: i64, end_h: i64, volume_bbl: f64) -> Operation {
        Operation {
            id: 0,
            job_id: 1,
            op_type: t,
            start: Timestamp(start_h * H),
            end: Some(Timestamp(end_h * H)),
            start_depth_ft: 0.0,
            end_depth_ft: 1000.0,
            max_depth_ft: 1000.0 * end_h as f64,
            max_weight_lbf: Some(10_000.0 + end_h as f64),
            min_weight_lbf: Some(-2_000.0 + end_h as f64),
            max_circ_psi: None,
            max_whp_psi: Some(500.0),
            avg_rate_bpm: None,
            volume_bbl,
            footage_ft: 1000.0,
            fluid: None,
            detected: true,
            observations: String::new(),
        }
    }

    fn stage(seq: u32, kind: FluidKind, name: &str, bbl: f64, started: bool) -> FluidStage {
        FluidStage {
            id: i64::from(seq),
            job_id: 1,
            seq,
            kind,
            name: name.into(),
            density_ppg: None,
            viscosity_cp: None,
            planned_bbl: None,
            actual_bbl: bbl,
            avg_rate_bpm: None,
            max_pressure_psi: None,
            start: started.then_some(Timestamp(H)),
            end: None,
        }
    }

    fn npt(start_h: i64, end_h: i64, reason: NptReason) -> Npt {
        Npt {
            id: 0,
            job_id: 1,
            start: Timestamp(start_h * H),
            end: Timestamp(end_h * H),
            reason,
            note: String::new(),
        }
    }

    #[test]
    fn efficiency_counts_npt_inside_the_job_only() {
        let npts = [
            npt(2, 3, NptReason::Repair),
            npt(5, 6, NptReason::WaitingOnWeather),
            // Half of it before the job started: only the hour inside counts.
            npt(-1, 1, NptReason::Repair),
        ];
        let s = compute(&[], &[], &npts, Timestamp(0), Timestamp(10 * H), 0, 0);
        assert!((s.duration_h - 10.0).abs() < 1e-9);
        assert!((s.npt_h - 3.0).abs() < 1e-9);
        assert!((s.efficiency_pct - 70.0).abs() < 1e-9);
        assert_eq!(s.npt_by_reason[0].0, "repair");
        assert!((s.npt_by_reason[0].1 - 2.0).abs() < 1e-9);
        assert_eq!(s.npt_by_reason[1].0, "waiting_on_weather");
    }

    #[test]
    fn efficiency_is_bounded_and_full_for_an_empty_window() {
        let npts = [npt(0, 2, NptReason::Other), npt(0, 2, NptReason::Repair)];
        let s = compute(&[], &[], &npts, Timestamp(0), Timestamp(H), 0, 0);
        assert_eq!(s.efficiency_pct, 0.0);
        let s = compute(&[], &[], &[], Timestamp(H), Timestamp(H), 0, 0);
        assert_eq!(s.efficiency_pct, 100.0);
    }

    #[test]
    fn volume_per_fluid_in_program_order_with_the_unassigned_rest() {
        let ops = [op(OpType::Rih, 0, 1, 0.0), op(OpType::Circulate, 1, 4, 130.0)];
        let fluids = [
            stage(2, FluidKind::Acid, "HCl 15%", 30.0, true),
            stage(1, FluidKind::Water, "Fresh water", 80.0, true),
            stage(3, FluidKind::Nitrogen, "N2", 50_000.0, true),
            // Planned but never pumped: not listed.
            stage(4, FluidKind::Brine, "KCl", 0.0, false),
        ];
        let s = compute(&ops, &fluids, &[], Timestamp(0), Timestamp(4 * H), 2, 1);
        let names: Vec<&str> = s.volume_by_fluid.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["Fresh water", "HCl 15%", "N2", UNASSIGNED]);
        // 130 bbl pumped, 110 in liquid stages: 20 unassigned; the nitrogen (scf) is not liquid.
        assert!((s.volume_by_fluid[3].1 - 20.0).abs() < 1e-9);
        assert!((s.total_volume_bbl - 130.0).abs() < 1e-9);
        assert_eq!((s.alarms, s.trips, s.operations), (2, 1, 2));
    }

    #[test]
    fn no_unassigned_entry_for_rounding() {
        let ops = [op(OpType::Pump, 0, 1, 80.04)];
        let fluids = [stage(1, FluidKind::Water, "Water", 80.0, true)];
        let s = compute(&ops, &fluids, &[], Timestamp(0), Timestamp(H), 0, 0);
        assert_eq!(s.volume_by_fluid.len(), 1);
    }

    #[test]
    fn hours_by_type_longest_first_and_the_extremes() {
        let ops = [
            op(OpType::Rih, 0, 1, 0.0),
            op(OpType::Wash, 1, 4, 0.0),
            op(OpType::Rih, 4, 5, 0.0),
            Operation {
                end: None,
                ..op(OpType::Pooh, 5, 5, 0.0)
            },
        ];
        let s = compute(&ops, &[], &[], Timestamp(0), Timestamp(8 * H), 0, 0);
        let codes: Vec<&str> = s.hours_by_op.iter().map(|(c, _)| c.as_str()).collect();
        // The running POOH counts up to the end given: 3 h, as long as WASH, which came first.
        assert_eq!(codes, ["WASH", "POOH", "RIH"]);
        assert!((s.hours_by_op[2].1 - 2.0).abs() < 1e-9);
        assert!((s.footage_ft - 4000.0).abs() < 1e-9);
        assert!((s.max_depth_ft - 5000.0).abs() < 1e-9);
        assert_eq!(s.max_weight_lbf, Some(10_005.0));
        assert_eq!(s.min_weight_lbf, Some(-1_999.0));
        assert_eq!(s.max_circ_psi, None);
        assert_eq!(s.max_whp_psi, Some(500.0));
    }
}
