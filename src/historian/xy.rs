//! Depth-based X-Y data for coiled tubing: a value (weight, pressure) against the depth the string was
//! at when it was read, split into passes (running in, pulling out) so each trip draws as its own
//! line, and reduced to min/max per depth column so a day of 10 Hz data stays a few thousand points.
//! Pure.

use super::query::Sample;

/// Depth must move this far against the current direction before a new pass starts (ft): survey
/// noise and a stopped injector do not split a trip.
const TURN_FT: f64 = 5.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    In,
    Out,
}

/// One trip: (depth, value) points in the order they were reached.
#[derive(Debug, Clone, PartialEq)]
pub struct Pass {
    pub direction: Direction,
    pub points: Vec<[f64; 2]>,
}

fn number(s: &Sample) -> Option<f64> {
    if s.quality.plottable() {
        s.value.as_ref().and_then(crate::tag::Value::as_f64)
    } else {
        None
    }
}

/// Pairs each good value with the good depth held at its time, splits at turns, and keeps the first,
/// min, max and last value per depth column (`width` columns over the depth range).
pub fn depth_passes(depth: &[Sample], values: &[Sample], width: usize) -> Vec<Pass> {
    let mut pairs: Vec<[f64; 2]> = Vec::with_capacity(values.len());
    let mut k = 0;
    let mut held: Option<f64> = None;
    for v in values {
        while k < depth.len() && depth[k].ts <= v.ts {
            held = number(&depth[k]);
            k += 1;
        }
        if let (Some(d), Some(x)) = (held, number(v)) {
            pairs.push([d, x]);
        }
    }
    let (lo, hi) = pairs.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
        (lo.min(p[0]), hi.max(p[0]))
    });
    let col_ft = ((hi - lo) / width.max(1) as f64).max(1e-9);
    let mut passes: Vec<Pass> = Vec::new();
    let mut direction: Option<Direction> = None;
    let mut turn_at = f64::NAN;
    let mut raw: Vec<[f64; 2]> = Vec::new();
    for p in pairs {
        let d = p[0];
        if raw.is_empty() {
            turn_at = d;
        }
        let moved = d - turn_at;
        let now = if moved > TURN_FT {
            Some(Direction::In)
        } else if moved < -TURN_FT {
            Some(Direction::Out)
        } else {
            None
        };
        match (direction, now) {
            (Some(a), Some(b)) if a != b => {
                // The extreme depth reached ends this pass and starts the next.
                let tail = raw.last().copied();
                passes.push(reduce(a, std::mem::take(&mut raw), lo, col_ft));
                raw.extend(tail);
                direction = Some(b);
            }
            (None, Some(b)) => direction = Some(b),
            _ => {}
        }
        // The pivot follows the string in its direction of travel, so a turn is measured from the extreme.
        match direction {
            Some(Direction::In) => turn_at = turn_at.max(d),
            Some(Direction::Out) => turn_at = turn_at.min(d),
            None => {}
        }
        raw.push(p);
    }
    if !raw.is_empty() {
        passes.push(reduce(direction.unwrap_or(Direction::In), raw, lo, col_ft));
    }
    passes
}

fn reduce(direction: Direction, raw: Vec<[f64; 2]>, lo: f64, col_ft: f64) -> Pass {
    let mut points = Vec::new();
    let mut i = 0;
    while i < raw.len() {
        let col = ((raw[i][0] - lo) / col_ft).floor();
        let mut j = i;
        let (mut min, mut max) = (raw[i], raw[i]);
        while j < raw.len() && ((raw[j][0] - lo) / col_ft).floor() == col {
            if raw[j][1] < min[1] {
                min = raw[j];
            }
            if raw[j][1] > max[1] {
                max = raw[j];
            }
            j += 1;
        }
        for p in [raw[i], min, max, raw[j - 1]] {
            if points.last() != Some(&p) {
                points.push(p);
            }
        }
        i = j;
    }
    Pass { direction, points }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::historian::codec::StoredQuality;
    use crate::tag::{Quality, Value};

    fn s(ts: i64, v: f64) -> Sample {
        Sample {
            ts,
            value: Some(Value::F64(v)),
            quality: StoredQuality {
                quality: Quality::Good,
                has_value: true,
            },
        }
    }

    #[test]
    fn a_round_trip_is_two_passes_with_weight_at_the_depth_it_was_read() {
        // in to 10,000 ft and out again at 100 ft per sample; weight = 20,000 - depth (in) or + depth (out)
        let mut depth = Vec::new();
        let mut weight = Vec::new();
        for i in 0..=200i64 {
            let d = if i <= 100 {
                i as f64 * 100.0
            } else {
                (200 - i) as f64 * 100.0
            };
            depth.push(s(i * 10, d));
            let w = if i <= 100 { 20_000.0 - d } else { 20_000.0 + d };
            weight.push(s(i * 10 + 5, w));
        }
        let passes = depth_passes(&depth, &weight, 10_000);
        assert_eq!(passes.len(), 2);
        assert_eq!(passes[0].direction, Direction::In);
        assert_eq!(passes[1].direction, Direction::Out);
        for p in &passes[0].points {
            assert_eq!(p[1], 20_000.0 - p[0]);
        }
        assert!(passes[1].points.iter().skip(1).all(|p| p[1] == 20_000.0 + p[0]));
        // reduced to a few points per column
        let few = depth_passes(&depth, &weight, 10);
        assert!(few.iter().map(|p| p.points.len()).sum::<usize>() <= 2 * 4 * 11);
    }

    #[test]
    fn jitter_around_a_stop_does_not_split_the_pass() {
        let depth: Vec<Sample> = [0.0, 100.0, 200.0, 198.0, 201.0, 199.0, 300.0]
            .iter()
            .enumerate()
            .map(|(i, &d)| s(i as i64 * 10, d))
            .collect();
        let weight: Vec<Sample> = (0..7).map(|i| s(i * 10 + 1, 1.0)).collect();
        assert_eq!(depth_passes(&depth, &weight, 100).len(), 1);
    }
}
