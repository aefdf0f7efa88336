//! Scales in the units a console shows: ticks every round step (1, 2, 2.5 or 5 × 10ⁿ) of a range
//! converted from a tag's own unit, and their numbers, for dials and for symbols' scale parts. Pure
//! arithmetic: draws nothing.

/// A dial's numbered ticks and the small ones halfway between, in the units shown.
pub(super) struct Scale {
    first: f64,
    step: f64,
    hi: f64,
}

impl Scale {
    /// At most this many ticks, whatever a file says (a step far too small for its range).
    const MAX_TICKS: usize = 200;

    /// `step` is the screen file's where the units are the tag's own (`exact`); converted, it becomes the
    /// nearest round step (1, 2, 2.5 or 5 × 10ⁿ), so 10,000 lbf ticks read 50 kN rather than 44.48 kN.
    pub(super) fn new(lo: f64, hi: f64, step: f64, exact: bool) -> Self {
        let step = if exact { step } else { round_step(step) };
        // `+ 0.0`: a scale from 0 starts at 0, not at the "-0" that rounding up -1e-9 gives.
        let first = if exact || step <= 0.0 {
            lo
        } else {
            (lo / step - 1e-9).ceil() * step + 0.0
        };
        Self { first, step, hi }
    }

    /// (value, numbered) from the first numbered tick to the top of the scale.
    pub(super) fn ticks(&self) -> impl Iterator<Item = (f64, bool)> + '_ {
        let half = self.step * 0.5;
        let n = if half > 0.0 && half.is_finite() {
            ((self.hi - self.first) / half + 1e-9)
                .floor()
                .clamp(0.0, Self::MAX_TICKS as f64) as usize
        } else {
            0
        };
        (0..=n).map(move |k| (self.first + half * k as f64, k % 2 == 0))
    }
}

/// The round number (1, 2, 2.5 or 5 × 10ⁿ) nearest to `x` on a log scale.
fn round_step(x: f64) -> f64 {
    if !(x > 0.0 && x.is_finite()) {
        return x;
    }
    let p = 10f64.powf(x.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|m| m * p)
        .min_by(|a, b| (a / x).ln().abs().total_cmp(&(b / x).ln().abs()))
        .unwrap_or(x)
}

/// Compact tick numbers: 60000 → 60k.
pub(super) fn tick_text(v: f64) -> String {
    if v.abs() >= 10_000.0 {
        format!("{}k", v / 1000.0)
    } else {
        format!("{v}")
    }
}

/// A scale's number with the decimals its step needs (0.5 steps: one), never "-0".
pub(super) fn scale_number(v: f64, step: f64) -> String {
    if v.abs() >= 10_000.0 {
        return tick_text(v);
    }
    let decimals = (-step.log10().floor()).clamp(0.0, 6.0) as usize;
    format!("{:.decimals$}", v + 0.0)
}

/// The smallest round step (1, 2 or 5 × 10ⁿ) that divides `span` into at most `most` steps.
pub(super) fn axis_step(span: f64, most: usize) -> f64 {
    let least = span / most.max(1) as f64;
    if !(least > 0.0 && least.is_finite()) {
        return least;
    }
    let p = 10f64.powi(least.log10().floor() as i32);
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * p)
        .find(|s| *s >= least * (1.0 - 1e-9))
        .unwrap_or(10.0 * p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::UnitSystem;

    #[test]
    fn a_dial_in_the_tags_units_keeps_the_files_ticks() {
        let s = Scale::new(-20_000.0, 60_000.0, 10_000.0, true);
        let major: Vec<f64> = s.ticks().filter(|t| t.1).map(|t| t.0).collect();
        assert_eq!(
            major,
            (0..=8).map(|k| -20_000.0 + 10_000.0 * f64::from(k)).collect::<Vec<_>>()
        );
        assert_eq!(s.ticks().count(), 17);
    }

    #[test]
    fn a_converted_dial_gets_round_ticks_inside_its_range() {
        // The weight dial, −20,000…60,000 lbf every 10,000, on an SI console: −88.96…266.89 kN.
        let shown = UnitSystem::Si.shown("lbf");
        let (lo, hi) = shown.range((-20_000.0, 60_000.0));
        let s = Scale::new(lo, hi, shown.delta(10_000.0), false);
        let major: Vec<f64> = s.ticks().filter(|t| t.1).map(|t| t.0).collect();
        assert_eq!(major, vec![-50.0, 0.0, 50.0, 100.0, 150.0, 200.0, 250.0]);
        assert_eq!(round_step(68.95), 50.0);
        assert_eq!(round_step(3.048), 2.5);
        assert_eq!(round_step(0.0), 0.0);
        // A step that would draw thousands of ticks is cut.
        assert!(Scale::new(0.0, 1e9, 1.0, true).ticks().count() <= Scale::MAX_TICKS + 1);
    }

    #[test]
    fn a_depth_scale_is_numbered_in_round_steps_of_the_units_shown() {
        // CT-01's 0–9,800 ft with room for 14 numbers: every 1,000 ft; in metres (0–2,987 m) every 500 m.
        assert_eq!(axis_step(9_800.0, 14), 1_000.0);
        let (lo, hi) = UnitSystem::Si.shown("ft").range((0.0, 9_800.0));
        assert_eq!(axis_step(hi - lo, 14), 500.0);
        assert_eq!(axis_step(100.0, 10), 10.0);
        assert_eq!(axis_step(1.0, 4), 0.5);
        let s = Scale::new(lo, hi, axis_step(hi - lo, 14), false);
        let numbered: Vec<f64> = s.ticks().filter(|t| t.1).map(|t| t.0).collect();
        assert_eq!(numbered, [0.0, 500.0, 1000.0, 1500.0, 2000.0, 2500.0]);
        let texts: Vec<String> = numbered.iter().map(|v| scale_number(*v, 500.0)).collect();
        assert_eq!(texts, ["0", "500", "1000", "1500", "2000", "2500"], "0, never -0");
        assert_eq!(scale_number(2.5, 0.5), "2.5");
        assert_eq!(scale_number(20_000.0, 5_000.0), "20k");
    }
}
