//! What-if for a planned job: a depth profile with pressures (waypoints, optionally repeated) run through a
//! copy of the live tracker, answering the fatigue % per cell the string would have after the job.
//!
//! Invariants: the live tracker is never touched (the run works on a clone, with the same counting rules, so a
//! plan that repeats the live motion predicts exactly what the live tracker then shows); plans are bounded
//! (waypoints, repeats and total steps) so a typo cannot freeze the console. Pure computation on `calc` and the
//! room's tracker; no tags, no I/O, no UI.

use super::tracker::FatigueTracker;
use crate::calc::CalcError;
use crate::calc::error::{check, non_negative, positive};
use serde::{Deserialize, Serialize};

/// Most waypoints in one plan.
pub const MAX_WAYPOINTS: usize = 10_000;
/// Most repetitions of a plan.
pub const MAX_REPEAT: u32 = 1_000;
/// Most depth steps one prediction runs (1,000 round trips to 20,000 ft at 2-ft steps); beyond it the step is
/// too fine for the plan.
pub const MAX_STEPS: f64 = 20_000_000.0;

/// One point of the planned depth profile: the tip's depth and the pipe's internal pressure there.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanPoint {
    pub depth_ft: f64,
    pub pressure_psi: f64,
}

fn one() -> u32 {
    1
}

/// A planned job: the tip moves linearly from waypoint to waypoint (pressure interpolated alike), from where
/// the string is now to the first; the whole list runs `repeat` times (each repeat goes from the last
/// waypoint back to the first).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobPlan {
    pub waypoints: Vec<PlanPoint>,
    #[serde(default = "one")]
    pub repeat: u32,
}

impl JobPlan {
    /// 1 to `MAX_WAYPOINTS` waypoints with depths and pressures finite and ≥ 0; repeat ≤ `MAX_REPEAT`.
    pub fn validate(&self) -> Result<(), CalcError> {
        if self.waypoints.is_empty() || self.waypoints.len() > MAX_WAYPOINTS {
            return Err(CalcError::Inconsistent {
                field: "waypoints",
                reason: format!(
                    "a plan needs 1 to {MAX_WAYPOINTS} waypoints, not {}",
                    self.waypoints.len()
                ),
            });
        }
        for p in &self.waypoints {
            non_negative("depth_ft", p.depth_ft)?;
            non_negative("pressure_psi", p.pressure_psi)?;
        }
        check(
            "repeat",
            f64::from(self.repeat),
            |r| r <= f64::from(MAX_REPEAT),
            "must be at most 1000 repetitions",
        )?;
        Ok(())
    }
}

/// Round trips from surface to `depth_ft` and back at a constant pressure.
pub fn round_trips(depth_ft: f64, pressure_psi: f64, trips: u32) -> JobPlan {
    let at = |depth_ft| PlanPoint { depth_ft, pressure_psi };
    JobPlan {
        waypoints: vec![at(0.0), at(depth_ft), at(0.0)],
        repeat: trips,
    }
}

/// Fatigue % per cell (tip first) after running `plan` from the tracker's current state, in depth steps of
/// at most `step_ft`. The step only sets how finely pressure is interpolated between waypoints: crossings
/// are counted exactly at any step.
pub fn predict(tracker: &FatigueTracker, plan: &JobPlan, step_ft: f64) -> Result<Vec<f32>, CalcError> {
    plan.validate()?;
    positive("step_ft", step_ft)?;
    let first = plan.waypoints[0];
    let start = PlanPoint {
        depth_ft: tracker.depth_ft().unwrap_or(first.depth_ft),
        pressure_psi: first.pressure_psi,
    };
    let total = planned_steps(start, plan, step_ft);
    if total > MAX_STEPS {
        let finest = step_ft * total / MAX_STEPS;
        return Err(CalcError::Inconsistent {
            field: "step_ft",
            reason: format!("{total:.0} steps of {step_ft} ft for this plan; use a step of at least {finest:.1} ft"),
        });
    }
    let mut run = tracker.clone();
    let mut out = Vec::new();
    // Sets the position of a tracker that has none; no motion otherwise.
    run.on_depth(start.depth_ft, start.pressure_psi, &mut out);
    let mut from = start;
    for _ in 0..plan.repeat {
        for &to in &plan.waypoints {
            let n = steps(from, to, step_ft);
            for k in 1..=n {
                let f = k as f64 / n as f64;
                out.clear();
                run.on_depth(
                    from.depth_ft + (to.depth_ft - from.depth_ft) * f,
                    from.pressure_psi + (to.pressure_psi - from.pressure_psi) * f,
                    &mut out,
                );
            }
            from = to;
        }
    }
    Ok(run.damage().iter().map(|d| (100.0 * d) as f32).collect())
}

/// Steps between two points: at least one (a pressure change in place still takes a sample).
fn steps(from: PlanPoint, to: PlanPoint, step_ft: f64) -> u64 {
    ((to.depth_ft - from.depth_ft).abs() / step_ft).ceil().max(1.0) as u64
}

/// Steps the whole plan takes, summed as f64 so a huge plan is measured without overflow (a span too long
/// for u64 saturates, which is over the limit anyway).
fn planned_steps(start: PlanPoint, plan: &JobPlan, step_ft: f64) -> f64 {
    let span = |a: PlanPoint, b: PlanPoint| steps(a, b, step_ft) as f64;
    let w = &plan.waypoints;
    let cycle: f64 = w.windows(2).map(|p| span(p[0], p[1])).sum();
    let (first, last) = (w[0], w[w.len() - 1]);
    match plan.repeat {
        0 => 0.0,
        r => span(start, first) + cycle + f64::from(r - 1) * (span(last, first) + cycle),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ctstring::layout::fixtures::layout;
    use crate::ctstring::tracker::drive::{go, trip};
    use std::sync::Arc;

    fn tracker() -> FatigueTracker {
        FatigueTracker::new(Arc::new(layout(3_000.0, &[])), Vec::new(), 0.0).unwrap()
    }

    fn assert_same(predicted: &[f32], live: &FatigueTracker) {
        assert_eq!(predicted.len(), live.damage().len());
        for (i, (&p, &d)) in predicted.iter().zip(live.damage()).enumerate() {
            let want = (100.0 * d) as f32;
            assert!(
                (p - want).abs() <= 1e-6 * want.abs().max(1.0),
                "cell {i}: predicted {p}, live {want}"
            );
        }
    }

    #[test]
    fn prediction_equals_the_live_tracker_after_the_same_motion() {
        let mut live = tracker();
        // A string with history, positioned at surface.
        trip(&mut live, 2_200.0, 0.5, 1_000.0);
        let predicted = predict(&live, &round_trips(1_500.0, 3_000.0, 2), 0.1).unwrap();
        let before = live.damage().to_vec();
        for _ in 0..2 {
            trip(&mut live, 1_500.0, 0.1, 3_000.0);
        }
        assert_same(&predicted, &live);
        // The job did something, and predicting did not touch the tracker it was given.
        assert!(predicted[1_000] > (100.0 * before[1_000]) as f32);
        let max = predicted.iter().copied().fold(0.0_f32, f32::max);
        assert!((f64::from(max) - live.max_fatigue().0).abs() < 1e-4);
    }

    #[test]
    fn a_plan_with_pressure_changes_and_a_reversal_matches_the_live_run() {
        let plan = JobPlan {
            waypoints: vec![
                PlanPoint {
                    depth_ft: 0.0,
                    pressure_psi: 0.0,
                },
                PlanPoint {
                    depth_ft: 1_000.0,
                    pressure_psi: 4_000.0,
                },
                PlanPoint {
                    depth_ft: 990.0,
                    pressure_psi: 4_000.0,
                },
                PlanPoint {
                    depth_ft: 0.0,
                    pressure_psi: 1_000.0,
                },
            ],
            repeat: 1,
        };
        let live0 = tracker();
        let mut live = live0.clone();
        // Unpositioned: the first waypoint sets the position.
        let predicted = predict(&live0, &plan, 1.0).unwrap();
        let mut out = Vec::new();
        live.on_depth(0.0, 0.0, &mut out);
        for (a, b) in plan.waypoints.iter().zip(&plan.waypoints[1..]) {
            let n = ((b.depth_ft - a.depth_ft).abs() / 1.0).ceil() as u32;
            for k in 1..=n {
                let f = f64::from(k) / f64::from(n);
                let p = a.pressure_psi + (b.pressure_psi - a.pressure_psi) * f;
                live.on_depth(a.depth_ft + (b.depth_ft - a.depth_ft) * f, p, &mut out);
            }
        }
        assert_same(&predicted, &live);
        // Pressure mattered: the same motion dry predicts less.
        let dry = JobPlan {
            waypoints: plan
                .waypoints
                .iter()
                .map(|p| PlanPoint {
                    pressure_psi: 0.0,
                    ..*p
                })
                .collect(),
            repeat: 1,
        };
        let dry = predict(&live0, &dry, 1.0).unwrap();
        assert!(dry[500] < predicted[500]);
    }

    #[test]
    fn no_repeats_predicts_the_present() {
        let mut live = tracker();
        go(&mut live, 0.0, 800.0, 1.0, 0.0);
        let now = predict(&live, &round_trips(1_500.0, 0.0, 0), 1.0).unwrap();
        assert_same(&now, &live);
    }

    #[test]
    fn plans_are_bounded_and_checked() {
        let t = tracker();
        let empty = JobPlan {
            waypoints: Vec::new(),
            repeat: 1,
        };
        assert_eq!(predict(&t, &empty, 1.0).unwrap_err().field(), "waypoints");
        assert_eq!(
            predict(&t, &round_trips(-1.0, 0.0, 1), 1.0).unwrap_err().field(),
            "depth_ft"
        );
        assert_eq!(
            predict(&t, &round_trips(100.0, f64::NAN, 1), 1.0).unwrap_err().field(),
            "pressure_psi"
        );
        assert_eq!(
            predict(&t, &round_trips(100.0, 0.0, 1_001), 1.0).unwrap_err().field(),
            "repeat"
        );
        assert_eq!(
            predict(&t, &round_trips(100.0, 0.0, 1), 0.0).unwrap_err().field(),
            "step_ft"
        );
        // 1,000 round trips to 20,000 ft in 0.1-ft steps is 400 million steps: refused, not run.
        let e = predict(&t, &round_trips(20_000.0, 0.0, 1_000), 0.1).unwrap_err();
        assert_eq!(e.field(), "step_ft");
        let plan: JobPlan = serde_json::from_str(r#"{"waypoints":[{"depth_ft":0,"pressure_psi":0}]}"#).unwrap();
        assert_eq!(plan.repeat, 1);
        assert!(serde_json::from_str::<JobPlan>(r#"{"waypoints":[],"repeats":2}"#).is_err());
    }
}
