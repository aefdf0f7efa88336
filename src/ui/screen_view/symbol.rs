//! The symbol painter: a library symbol's vector parts placed on a screen, each moved, turned, filled,
//! coloured or hidden by its bindings to tag values, with its readings and scales.
//!
//! Motion (a turning reel, flowing dashes) integrates its input over the console's clock and stops when an
//! input is not good; a symbol with bad inputs gets a dashed quality frame. Reads the snapshot; the only
//! state it touches is the display's motion phases.

use super::canvas::{Fit, input_value, quality_frame, scaled, value_text};
use super::navigation::ScreenView;
use super::scale::{Scale, axis_step, scale_number};
use super::{DrawCtx, ScreenAction};
use crate::lang::Lang;
use crate::screen::def::{Align, Part, PlacedSymbol, Pt, Rotation, Shape as PartShape, Side};
use crate::tag::{Quality, TagState};
use crate::ui::theme;
use crate::units::Shown;
use egui::{Align2, Color32, Pos2, Rect, Sense, Shape, Stroke, Ui, pos2, vec2};

/// Dashes shorter than this on screen are drawn as a solid line (level of detail).
const MIN_DASH_PX: f32 = 4.0;

/// Clicking a symbol with `to` opens that screen.
pub(super) fn symbol_click(
    ui: &mut Ui,
    fit: &Fit,
    s: &PlacedSymbol,
    i: usize,
    view: &mut ScreenView,
) -> Option<ScreenAction> {
    let to = s.to.as_ref()?;
    let resp = ui
        .interact(fit.r(s.rect), ui.scope_id().with(("symbol", i)), Sense::click())
        .on_hover_cursor(egui::CursorIcon::PointingHand);
    if resp.clicked() {
        view.open(to);
    }
    None
}

/// The worst quality among a symbol's inputs (good only when every one is).
fn worst(states: &[Option<&TagState>]) -> Quality {
    let mut q = Quality::Good;
    for s in states {
        let sq = s.map_or(Quality::Bad(crate::tag::BadReason::WaitingForData), |s| s.quality);
        if !sq.is_good() && (q.is_good() || sq.is_bad()) {
            q = sq;
        }
    }
    q
}

/// Draws one placed symbol; true while something on it moves.
#[allow(clippy::too_many_arguments)]
pub(super) fn symbol_ui(
    ui: &Ui,
    painter: &egui::Painter,
    fit: &Fit,
    s: &PlacedSymbol,
    i: usize,
    view: &mut ScreenView,
    cx: &DrawCtx<'_>,
    dt: f32,
) -> bool {
    let states: Vec<Option<&TagState>> = s.tags.iter().map(|t| cx.snap.get(*t)).collect();
    let values: Vec<Option<f64>> = states
        .iter()
        .zip(&s.conditions)
        .map(|(st, c)| match c {
            Some(c) => c
                .holds(st.and_then(|st| st.value.as_ref()))
                .map(|b| f64::from(u8::from(b))),
            None => input_value(*st),
        })
        .collect();
    let quality = worst(&states);
    let live = quality.is_good();
    let mut moving = false;
    // What the symbol's readings and scales say, for screen readers and tests.
    let mut details: Vec<String> = Vec::new();
    let place = |p: Pt| s.rect.at + p.scale(s.scale);
    for (j, part) in s.symbol.parts.iter().enumerate() {
        let b = &part.bind;
        if let Some((input, is)) = b.visible
            && values[input].map(|v| v != 0.0) != Some(is)
        {
            continue;
        }
        // Motion and turning integrate the input over time; they stop when the input is not good.
        let mut phase = view.phases.get(&(i, j)).copied().unwrap_or(0.0);
        let rate = match (&b.rotate, b.motion) {
            (Some((Rotation::Speed { input, deg_per_s }, _)), _) => values[*input].map(|v| v as f32 * deg_per_s),
            (_, Some((input, rate))) => values[input].map(|v| v as f32 * rate),
            _ => None,
        };
        if let Some(r) = rate
            && live
            && r != 0.0
        {
            phase = (phase + r * dt).rem_euclid(3600.0);
            view.phases.insert((i, j), phase);
            moving = true;
        }
        let offset = match &b.translate {
            Some(t) => {
                values[t.span.input].map_or(Pt::default(), |v| t.by.scale(t.fraction(v, s.ranges[t.span.input])))
            }
            None => Pt::default(),
        };
        let rotation = match &b.rotate {
            Some((Rotation::Angle { span, from_deg, to_deg }, about)) => values[span.input].map(|v| {
                (
                    from_deg + (to_deg - from_deg) * span.fraction(v, s.ranges[span.input]),
                    *about,
                )
            }),
            Some((Rotation::Speed { .. }, about)) => Some((phase, *about)),
            None => None,
        };
        let tf = |p: Pt| {
            let p = match rotation {
                Some((deg, about)) => p.rotated(about, deg),
                None => p,
            };
            fit.p(place(p + offset))
        };
        let fill = match &b.colour {
            Some(c) => Some(theme::ink(values[c.input].map_or(c.otherwise, |v| c.pick(v)))),
            None => part.fill.map(theme::ink),
        };
        let stroke = part.stroke.map_or(Stroke::NONE, |c| {
            Stroke::new(fit.len(part.width * s.scale).max(0.6), theme::ink(c))
        });
        let level = b.fill_level.map(|(span, side)| {
            (
                values[span.input].map_or(0.0, |v| span.fraction(v, s.ranges[span.input])),
                side,
            )
        });
        // Level of detail: dashes shorter than a few pixels read as a solid line, and cost a shape each.
        let dash = part.dash.and_then(|(on, off)| {
            let k = fit.len(s.scale);
            let travel = if b.motion.is_some() { phase * k } else { 0.0 };
            (on * k >= MIN_DASH_PX).then(|| (on * k, off * k, travel.rem_euclid((on + off) * k)))
        });
        match &part.shape {
            PartShape::Value { at, input, size, align } => {
                let reading = cx
                    .snap
                    .directory
                    .get(s.tags[*input])
                    .map_or_else(|| "----".to_owned(), |d| value_text(cx, d, states[*input], None));
                let good = states[*input].is_some_and(|st| st.quality.is_good());
                let colour = match fill {
                    _ if !good => theme::text_dim(),
                    Some(c) => c,
                    None => theme::value(),
                };
                painter.text(tf(*at), text_anchor(*align), &reading, fit.mono(size * s.scale), colour);
                details.push(reading);
            }
            PartShape::Scale {
                from,
                to,
                span,
                size,
                numbers,
            } => {
                let unit = cx
                    .snap
                    .directory
                    .get(s.tags[span.input])
                    .map_or("", |d| d.unit.as_str());
                let axis = Axis {
                    from: *from,
                    to: *to,
                    size: *size,
                    numbers: *numbers,
                };
                let ink = ScaleInk {
                    ticks: if stroke.width > 0.0 {
                        stroke
                    } else {
                        Stroke::new(1.0, theme::text_dim())
                    },
                    numbers: fill.unwrap_or(theme::text_dim()),
                };
                let range = span.range.or(s.ranges[span.input]);
                if let Some(d) = scale_paint(painter, fit, &tf, &axis, range, cx.units.shown(unit), s.scale, ink) {
                    details.push(format!("{} {d}", cx.lang.pick("scale", "escala")));
                }
            }
            _ => paint_part(painter, fit, part, &tf, fill, stroke, level, dash, s.scale, cx.lang),
        }
    }
    let r = fit.r(s.rect);
    if let Some(label) = &s.label {
        painter.text(
            pos2(r.center().x, r.max.y + fit.len(4.0)),
            Align2::CENTER_TOP,
            label.get(cx.lang),
            fit.font(14.0),
            theme::text(),
        );
    }
    if !live {
        quality_frame(painter, fit, r, quality, cx.lang);
    }
    let name = s.symbol.name.get(cx.lang).to_owned();
    let label = s.label.as_ref().map(|l| l.get(cx.lang).to_owned());
    let resp = ui.interact(r, ui.scope_id().with(("symbol-info", i)), Sense::hover());
    resp.widget_info(|| {
        let text = match &label {
            Some(l) => format!("{l} ({name})"),
            None => name.clone(),
        };
        let text = if details.is_empty() {
            text
        } else {
            format!("{text}: {}", details.join("; "))
        };
        egui::WidgetInfo::labeled(egui::Role::Image, true, text)
    });
    moving
}

/// Where a text part's `at` is on the text.
fn text_anchor(align: Align) -> Align2 {
    match align {
        Align::Left => Align2::LEFT_CENTER,
        Align::Center => Align2::CENTER_CENTER,
        Align::Right => Align2::RIGHT_CENTER,
    }
}

/// A scale part's line in symbol units, its text size and the side its numbers are written on.
struct Axis {
    from: Pt,
    to: Pt,
    size: f32,
    numbers: Side,
}

/// The colours of a scale part: its ticks (the part's stroke) and numbers (its fill).
#[derive(Clone, Copy)]
struct ScaleInk {
    ticks: Stroke,
    numbers: Color32,
}

/// Ticks across the axis every round step of `range` as this console shows it (`shown`), the numbered
/// ones written on the axis' side, the first with its unit: a depth scale reads "0 ft … 9000" on an
/// oilfield console and "0 m … 2500" on an SI one. Returns the numbers and unit as text (`None` without
/// a range to number).
#[allow(clippy::too_many_arguments)]
fn scale_paint(
    painter: &egui::Painter,
    fit: &Fit,
    tf: &dyn Fn(Pt) -> Pos2,
    axis: &Axis,
    range: Option<(f64, f64)>,
    shown: Shown<'_>,
    scale: f32,
    ink: ScaleInk,
) -> Option<String> {
    let (lo, hi) = shown.range(range?);
    let along = axis.to - axis.from;
    let length = along.length();
    if !(hi > lo && length > 0.0 && axis.size > 0.0) {
        return None;
    }
    // Numbers at least four text heights apart; the symbol scales as a whole, so this holds at any size.
    let most = ((length / (4.0 * axis.size)).floor() as usize).clamp(1, 20);
    let step = axis_step(hi - lo, most);
    let across = Pt::new(-along.y / length, along.x / length);
    let gap = fit.len(axis.size * 0.8 * scale);
    let mut numbers = Vec::new();
    let ticks = Scale::new(lo, hi, step, false);
    for (v, numbered) in ticks.ticks() {
        let at = axis.from + along.scale(scaled(v, lo, hi));
        let half = axis.size * if numbered { 0.5 } else { 0.25 };
        painter.line_segment([tf(at - across.scale(half)), tf(at + across.scale(half))], ink.ticks);
        if !numbered {
            continue;
        }
        let number = scale_number(v, step);
        let text = if numbers.is_empty() && !shown.unit.is_empty() {
            format!("{number} {}", shown.unit)
        } else {
            number.clone()
        };
        let p = tf(at);
        let (align, pos) = match axis.numbers {
            Side::Left => (Align2::RIGHT_CENTER, p - vec2(gap, 0.0)),
            Side::Right => (Align2::LEFT_CENTER, p + vec2(gap, 0.0)),
            Side::Top => (Align2::CENTER_BOTTOM, p - vec2(0.0, gap)),
            Side::Bottom => (Align2::CENTER_TOP, p + vec2(0.0, gap)),
        };
        painter.text(pos, align, text, fit.font(axis.size * scale), ink.numbers);
        numbers.push(number);
    }
    Some(format!("{} {}", numbers.join(", "), shown.unit).trim_end().to_owned())
}

#[allow(clippy::too_many_arguments)]
fn paint_part(
    painter: &egui::Painter,
    fit: &Fit,
    part: &Part,
    tf: &dyn Fn(Pt) -> Pos2,
    fill: Option<Color32>,
    stroke: Stroke,
    level: Option<(f32, Side)>,
    dash: Option<(f32, f32, f32)>,
    scale: f32,
    lang: Lang,
) {
    let outline: Vec<Pos2> = match &part.shape {
        PartShape::Polyline(p) | PartShape::Polygon(p) => p.iter().map(|q| tf(*q)).collect(),
        PartShape::Rect { min, size, rounding } => rect_points(*min, *size, *rounding).map(tf).collect(),
        PartShape::Circle { center, radius } => circle_points(*center, *radius, 0.0, 360.0, fit.len(radius * scale))
            .map(tf)
            .collect(),
        PartShape::Arc {
            center,
            radius,
            from_deg,
            to_deg,
        } => circle_points(*center, *radius, *from_deg, *to_deg, fit.len(radius * scale))
            .map(tf)
            .collect(),
        PartShape::Text { at, text, size, align } => {
            let colour = fill.unwrap_or(theme::text());
            painter.text(
                tf(*at),
                text_anchor(*align),
                text.get(lang),
                fit.font(size * scale),
                colour,
            );
            return;
        }
        // Drawn by `symbol_ui`, which has the tags they show.
        PartShape::Value { .. } | PartShape::Scale { .. } => return,
    };
    let closed = !matches!(part.shape, PartShape::Polyline(_) | PartShape::Arc { .. });
    if let Some(fill) = fill
        && closed
    {
        match level {
            Some((f, side)) => {
                if f > 0.0 {
                    let bb = Rect::from_points(&outline);
                    let clip = match side {
                        Side::Bottom => Rect::from_min_max(pos2(bb.min.x, bb.max.y - bb.height() * f), bb.max),
                        Side::Top => Rect::from_min_max(bb.min, pos2(bb.max.x, bb.min.y + bb.height() * f)),
                        Side::Left => Rect::from_min_max(bb.min, pos2(bb.min.x + bb.width() * f, bb.max.y)),
                        Side::Right => Rect::from_min_max(pos2(bb.max.x - bb.width() * f, bb.min.y), bb.max),
                    };
                    painter
                        .with_clip_rect(clip.intersect(painter.clip_rect()))
                        .add(Shape::convex_polygon(outline.clone(), fill, Stroke::NONE));
                }
            }
            None => {
                painter.add(Shape::convex_polygon(outline.clone(), fill, Stroke::NONE));
            }
        }
    }
    if stroke.width > 0.0 {
        let mut path = outline;
        if closed && let Some(first) = path.first().copied() {
            path.push(first);
        }
        match dash {
            Some((on, off, travel)) => {
                painter.extend(Shape::dashed_line_with_offset(&path, stroke, &[on], &[off], travel));
            }
            None => {
                painter.add(Shape::line(path, stroke));
            }
        }
    }
}

/// A rectangle's outline, with quarter circles at the corners when rounded (still convex).
fn rect_points(min: Pt, size: Pt, rounding: f32) -> impl Iterator<Item = Pt> {
    let r = rounding.min(size.x * 0.5).min(size.y * 0.5);
    let max = min + size;
    let corners = [
        (Pt::new(max.x - r, min.y + r), 270.0),
        (Pt::new(max.x - r, max.y - r), 0.0),
        (Pt::new(min.x + r, max.y - r), 90.0),
        (Pt::new(min.x + r, min.y + r), 180.0),
    ];
    let steps = if r > 0.0 { 6 } else { 0 };
    corners.into_iter().flat_map(move |(c, start)| {
        (0..=steps).map(move |k| {
            let a = (start + 90.0 * k as f32 / steps.max(1) as f32).to_radians();
            Pt::new(c.x + r * a.cos(), c.y + r * a.sin())
        })
    })
}

/// Points on a circle from `from_deg` to `to_deg` (clockwise on screen): one every 10° on a large circle,
/// fewer on a small one (a 6 px circle needs no 36 corners).
fn circle_points(center: Pt, radius: f32, from_deg: f32, to_deg: f32, radius_px: f32) -> impl Iterator<Item = Pt> {
    let sweep = (to_deg - from_deg).abs();
    let full = sweep >= 360.0;
    let step_deg = if radius_px < 8.0 {
        45.0
    } else if radius_px < 20.0 {
        20.0
    } else {
        10.0
    };
    let n = ((sweep / step_deg).ceil() as usize).max(4);
    let count = if full { n } else { n + 1 };
    (0..count).map(move |k| {
        let a = (from_deg + (to_deg - from_deg) * k as f32 / n as f32).to_radians();
        Pt::new(center.x + radius * a.cos(), center.y + radius * a.sin())
    })
}

/// `symbol` drawn in `area` as it looks with no data (the editor's palette): its shapes in their own inks,
/// no readings, no scales, no quality marks.
pub fn symbol_preview(painter: &egui::Painter, area: egui::Rect, symbol: &crate::screen::def::Symbol, lang: Lang) {
    let fit = Fit::new(area, symbol.size);
    let k = fit.k;
    let tf = |p: Pt| fit.p(p);
    for part in &symbol.parts {
        if matches!(part.shape, PartShape::Value { .. } | PartShape::Scale { .. }) {
            continue;
        }
        let fill = match &part.bind.colour {
            Some(c) => Some(theme::ink(c.otherwise)),
            None => part.fill.map(theme::ink),
        };
        let stroke = part
            .stroke
            .map_or(Stroke::NONE, |c| Stroke::new((part.width * k).max(0.6), theme::ink(c)));
        paint_part(painter, &fit, part, &tf, fill, stroke, None, None, 1.0, lang);
    }
}
