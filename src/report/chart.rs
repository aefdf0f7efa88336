//! Charts on paper: line charts with axes, ticks, grid and labels (time axes in UTC; depth may grow
//! downwards, as the oilfield draws it).
//!
//! Takes values already in the reader's units and only draws onto a `Sheet`; knows nothing of what the
//! values are (the job room draws its BHA schematic itself, on the same sheet).

use super::sheet::{Align, GRID, INK, MUTED, RULE, Rgb, Sheet, Style, fit};

/// An axis: its ends and the step between ticks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Axis {
    pub lo: f64,
    pub hi: f64,
    pub step: f64,
}

impl Axis {
    /// Round ends and a 1-2-2.5-5 step giving about `ticks` intervals over [min, max].
    pub fn nice(min: f64, max: f64, ticks: usize) -> Axis {
        if !(min.is_finite() && max.is_finite()) {
            return Axis {
                lo: 0.0,
                hi: 1.0,
                step: 0.2,
            };
        }
        let (mut min, mut max) = (min.min(max), min.max(max));
        if max - min <= f64::EPSILON * max.abs().max(1.0) {
            let pad = (max.abs() * 0.1).max(1.0);
            min -= pad;
            max += pad;
        }
        let raw = (max - min) / ticks.max(1) as f64;
        let magnitude = 10_f64.powf(raw.log10().floor());
        let step = [1.0, 2.0, 2.5, 5.0, 10.0]
            .into_iter()
            .map(|f| f * magnitude)
            .find(|s| *s >= raw)
            .unwrap_or(10.0 * magnitude);
        Axis {
            lo: (min / step).floor() * step,
            hi: (max / step).ceil() * step,
            step,
        }
    }

    /// A time axis (seconds since the epoch) stepping in whole minutes or hours.
    pub fn time(min_s: f64, max_s: f64, ticks: usize) -> Axis {
        const STEPS: [f64; 14] = [
            60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0, 10_800.0, 14_400.0, 21_600.0, 43_200.0, 86_400.0,
            172_800.0,
        ];
        if !(min_s.is_finite() && max_s.is_finite()) {
            return Axis::nice(min_s, max_s, ticks);
        }
        let span = (max_s - min_s).max(60.0);
        let step = STEPS
            .into_iter()
            .find(|s| span / s <= ticks.max(1) as f64)
            .unwrap_or(86_400.0 * (span / 86_400.0 / ticks.max(1) as f64).ceil());
        let lo = (min_s / step).floor() * step;
        Axis {
            lo,
            hi: ((max_s / step).ceil() * step).max(lo + step),
            step,
        }
    }

    /// The tick values, ends included (at most 60).
    pub fn ticks(&self) -> Vec<f64> {
        let n = ((self.hi - self.lo) / self.step).round().clamp(0.0, 60.0) as usize;
        (0..=n).map(|i| self.lo + i as f64 * self.step).collect()
    }

    /// Where `v` lies between the ends, 0 to 1.
    fn frac(&self, v: f64) -> f64 {
        let span = self.hi - self.lo;
        if span > 0.0 { (v - self.lo) / span } else { 0.0 }
    }

    /// Decimals that tell the ticks apart.
    fn decimals(&self) -> usize {
        if self.step >= 1.0 {
            0
        } else {
            (-self.step.log10()).ceil().clamp(0.0, 6.0) as usize
        }
    }
}

/// One chart: its box on the page (labels included), titles and axes.
#[derive(Debug, Clone)]
pub struct Plot {
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
    pub title: String,
    pub x_title: String,
    pub y_title: String,
    pub x_axis: Axis,
    pub y_axis: Axis,
    /// x ticks as UTC times of day (HH:MM).
    pub x_time: bool,
    /// y grows downwards (depth).
    pub y_down: bool,
    /// Numbers written with a decimal comma (Spanish).
    pub decimal_comma: bool,
}

const TITLE: Style = Style::new(8.0, true, INK);
const AXIS_TITLE: Style = Style::new(6.5, false, MUTED);
const TICK: Style = Style::new(6.0, false, INK);
const EMPTY: Style = Style::new(8.0, false, MUTED);
/// Room around the plotting area for the title, tick labels and axis titles.
const PAD_LEFT: f32 = 38.0;
const PAD_TOP: f32 = 26.0;
const PAD_RIGHT: f32 = 10.0;
const PAD_BOTTOM: f32 = 26.0;

impl Plot {
    fn area(&self) -> (f32, f32, f32, f32) {
        (
            self.x + PAD_LEFT,
            self.y + PAD_TOP,
            (self.w - PAD_LEFT - PAD_RIGHT).max(10.0),
            (self.h - PAD_TOP - PAD_BOTTOM).max(10.0),
        )
    }

    /// A value pair's place on the page (to mark a time or a value over the chart).
    pub fn place(&self, x: f64, y: f64) -> [f32; 2] {
        let (ax, ay, aw, ah) = self.area();
        let fx = self.x_axis.frac(x) as f32;
        let fy = self.y_axis.frac(y) as f32;
        let py = if self.y_down { ay + fy * ah } else { ay + ah - fy * ah };
        [ax + fx * aw, py]
    }

    fn number(&self, v: f64, decimals: usize) -> String {
        let s = format!("{v:.decimals$}");
        // "-0" reads as a mistake on a printed axis.
        let s = if s.trim_start_matches('-').chars().all(|c| c == '0' || c == '.') {
            s.trim_start_matches('-').to_owned()
        } else {
            s
        };
        if self.decimal_comma { s.replace('.', ",") } else { s }
    }

    fn x_label(&self, v: f64) -> String {
        if self.x_time {
            chrono::DateTime::from_timestamp(v.round() as i64, 0)
                .map(|t| t.format("%H:%M").to_string())
                .unwrap_or_default()
        } else {
            self.number(v, self.x_axis.decimals())
        }
    }
}

/// The lowest and highest of some values, non-finite ones left out ((∞, −∞) for none: `Axis` then falls
/// back to its default span).
pub fn extent(values: impl Iterator<Item = f64>) -> (f64, f64) {
    values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)))
}

/// A time (seconds since the epoch) as a time axis's title names its start: UTC, to the minute ("" for none).
pub fn utc_minute(secs: f64) -> String {
    if !secs.is_finite() {
        return String::new();
    }
    chrono::DateTime::from_timestamp(secs.floor() as i64, 0)
        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// Draws `plot` with one pen through `points` (already in the plot's units, in drawing order); with no
/// points, the frame and `empty` (why there is nothing to draw).
pub fn line_chart(sheet: &mut Sheet, plot: &Plot, points: &[[f64; 2]], pen: Rgb, empty: &str) {
    let (ax, ay, aw, ah) = plot.area();
    sheet.text(
        plot.x,
        plot.y + 9.0,
        TITLE,
        Align::Left,
        &fit(&plot.title, TITLE, plot.w),
    );
    sheet.text(
        ax,
        ay - 5.0,
        AXIS_TITLE,
        Align::Left,
        &fit(&plot.y_title, AXIS_TITLE, aw),
    );
    sheet.text(ax + aw / 2.0, ay + ah + 22.0, AXIS_TITLE, Align::Center, &plot.x_title);
    if points.is_empty() {
        sheet.frame(ax, ay, aw, ah, RULE, 0.6);
        sheet.text(ax + aw / 2.0, ay + ah / 2.0, EMPTY, Align::Center, empty);
        return;
    }
    for v in plot.x_axis.ticks() {
        let [px, _] = plot.place(v, plot.y_axis.lo);
        sheet.line(vec![[px, ay], [px, ay + ah]], GRID, 0.4);
        sheet.text(px, ay + ah + 9.0, TICK, Align::Center, &plot.x_label(v));
    }
    let y_decimals = plot.y_axis.decimals();
    for v in plot.y_axis.ticks() {
        let [_, py] = plot.place(plot.x_axis.lo, v);
        sheet.line(vec![[ax, py], [ax + aw, py]], GRID, 0.4);
        sheet.text(ax - 3.0, py + 2.2, TICK, Align::Right, &plot.number(v, y_decimals));
    }
    sheet.frame(ax, ay, aw, ah, RULE, 0.6);
    let mut run: Vec<[f32; 2]> = Vec::new();
    for p in points {
        if p[0].is_finite() && p[1].is_finite() {
            run.push(plot.place(p[0], p[1]));
        } else if !run.is_empty() {
            pen_run(sheet, std::mem::take(&mut run), pen);
        }
    }
    pen_run(sheet, run, pen);
}

/// One unbroken run of a pen; a lone point is drawn as a dot.
fn pen_run(sheet: &mut Sheet, run: Vec<[f32; 2]>, pen: Rgb) {
    if let [[x, y]] = run.as_slice() {
        sheet.fill(x - 1.0, y - 1.0, 2.0, 2.0, pen);
    } else if run.len() > 1 {
        sheet.line(run, pen, 0.9);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_have_round_ends_and_steps() {
        let a = Axis::nice(0.0, 10_237.0, 6);
        assert_eq!((a.lo, a.hi, a.step), (0.0, 12_000.0, 2_000.0));
        let b = Axis::nice(-3_200.0, 18_500.0, 5);
        assert_eq!((b.lo, b.hi, b.step), (-5_000.0, 20_000.0, 5_000.0));
        let flat = Axis::nice(500.0, 500.0, 5);
        assert!(flat.lo < 500.0 && flat.hi > 500.0);
        assert_eq!(Axis::nice(0.0, 10_237.0, 6).ticks().len(), 7);
    }

    #[test]
    fn time_axes_step_in_whole_minutes_or_hours() {
        let t0 = 1_800_000_000.0;
        let a = Axis::time(t0 + 100.0, t0 + 100.0 + 13.0 * 3600.0, 8);
        assert_eq!(a.step, 7200.0);
        assert_eq!(a.lo % 7200.0, 0.0);
        assert!(a.hi >= t0 + 100.0 + 13.0 * 3600.0);
        assert_eq!(utc_minute(t0 + 59.0), "2027-01-15 08:00");
        assert_eq!(utc_minute(f64::NAN), "");
        assert_eq!(extent([3.0, f64::NAN, -1.0].into_iter()), (-1.0, 3.0));
    }

    #[test]
    fn depth_grows_downwards() {
        let plot = Plot {
            x: 0.0,
            y: 0.0,
            w: 200.0,
            h: 200.0,
            title: String::new(),
            x_title: String::new(),
            y_title: String::new(),
            x_axis: Axis::nice(0.0, 10.0, 5),
            y_axis: Axis::nice(0.0, 10_000.0, 5),
            x_time: false,
            y_down: true,
            decimal_comma: true,
        };
        assert!(plot.place(0.0, 9_000.0)[1] > plot.place(0.0, 1_000.0)[1]);
        assert_eq!(plot.number(2.5, 1), "2,5");
        assert_eq!(plot.number(-0.0001, 0), "0");
    }
}
