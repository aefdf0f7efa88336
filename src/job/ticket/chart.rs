//! The ticket's drawings: line charts with axes, ticks, grid and labels (depth growing downwards, as the
//! oilfield draws it), and the BHA schematic (components stacked from the bottom up, drawn to length with a
//! minimum height, as wide as their OD).
//!
//! Takes values already in the reader's units and only draws onto a `Sheet`; knows nothing of jobs.

use super::sheet::{Align, BAND, GRID, INK, Item, MUTED, RULE, Rgb, STEEL, Sheet, Style, WHITE, fit};

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

    /// A value pair's place on the page.
    fn place(&self, x: f64, y: f64) -> [f32; 2] {
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

/// One BHA component as the schematic draws it: sizes in kept units (ft, in) for the proportions, and
/// its label lines in the reader's words and units.
#[derive(Debug, Clone)]
pub struct BhaPart {
    pub title: String,
    pub detail: String,
    pub length_ft: f64,
    pub od_in: f64,
    pub id_in: f64,
}

const PART_MIN_H: f32 = 16.0;
const BODY_MAX_W: f32 = 46.0;
const PART_TITLE: Style = Style::new(6.3, true, INK);
const PART_DETAIL: Style = Style::new(5.6, false, MUTED);
const BODY: Rgb = Rgb(206, 213, 223);

/// The BHA in the box (x, y, w, h): the coiled tubing on top, then each component down to the bottom one
/// (`parts` are listed from the bottom up, as the table lists them). Heights share what the box leaves
/// above a minimum in proportion to length, so a 0.5 ft nozzle stays readable beside a 20 ft motor.
pub fn bha_schematic(sheet: &mut Sheet, x: f32, y: f32, w: f32, h: f32, parts: &[BhaPart], ct_label: &str) {
    if parts.is_empty() {
        return;
    }
    let max_od = parts.iter().map(|p| p.od_in).fold(0.0_f64, f64::max).max(0.1);
    let total_len: f64 = parts.iter().map(|p| p.length_ft.max(0.0)).sum::<f64>().max(0.1);
    let stub_h = 18.0;
    let avail = h - stub_h - 6.0;
    let n = parts.len() as f32;
    let spare = (avail - PART_MIN_H * n).max(0.0);
    let axis_x = x + BODY_MAX_W / 2.0 + 4.0;
    let label_x = x + BODY_MAX_W + 16.0;
    let label_w = (x + w - label_x).max(20.0);
    // The coiled tubing above the BHA.
    let ct_w = BODY_MAX_W * 0.45;
    sheet.fill(axis_x - ct_w / 2.0, y, ct_w, stub_h, STEEL);
    sheet.text(label_x, y + 11.0, PART_TITLE, Align::Left, ct_label);
    let mut top = y + stub_h;
    for (i, part) in parts.iter().enumerate().rev() {
        let share = if avail > PART_MIN_H * n {
            PART_MIN_H + spare * (part.length_ft.max(0.0) / total_len) as f32
        } else {
            avail / n
        };
        let body_w = ((part.od_in / max_od) as f32 * BODY_MAX_W).max(8.0);
        sheet.push(Item::Rect {
            x: axis_x - body_w / 2.0,
            y: top,
            w: body_w,
            h: share,
            fill: Some(BODY),
            stroke: Some((INK, 0.5)),
        });
        if part.id_in > 0.0 {
            let bore_w = ((part.id_in / max_od) as f32 * BODY_MAX_W).min(body_w - 2.0);
            if bore_w > 0.5 {
                sheet.fill(axis_x - bore_w / 2.0, top + 1.0, bore_w, (share - 2.0).max(0.5), WHITE);
            }
        }
        let mid = top + share / 2.0;
        sheet.dashed(
            vec![[axis_x + body_w / 2.0 + 1.0, mid], [label_x - 2.0, mid]],
            RULE,
            0.4,
        );
        let title = format!("{}. {}", i + 1, part.title);
        sheet.text(
            label_x,
            mid + 0.5,
            PART_TITLE,
            Align::Left,
            &fit(&title, PART_TITLE, label_w),
        );
        sheet.text(
            label_x,
            mid + 7.0,
            PART_DETAIL,
            Align::Left,
            &fit(&part.detail, PART_DETAIL, label_w),
        );
        top += share;
    }
    // The bottom of the string.
    sheet.line(
        vec![
            [axis_x - BODY_MAX_W / 2.0, top + 3.0],
            [axis_x + BODY_MAX_W / 2.0, top + 3.0],
        ],
        BAND,
        0.8,
    );
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
