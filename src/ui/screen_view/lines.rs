//! Process lines and static shapes: `[[line]]` (ISA-5.1 process and signal lines, arrowheads, the flow
//! direction shown while the line's `flowing` condition holds), `[[rect]]` and `[[text]]`.
//!
//! Flow is shown quietly (ISA-101): small chevrons in the line's own ink that travel from the first point
//! to the last; no colour. They stop when the condition is false, and when its tag is not good the line
//! says so with the quality chip instead of pretending to know. Reads the snapshot; the only state it
//! touches is the display's motion phases.

use super::DrawCtx;
use super::canvas::{Fit, chip_paint, dashed_rect, text_px};
use super::navigation::ScreenView;
use crate::lang::Lang;
use crate::screen::def::{Align, LineStyle, ProcessLine, Pt, RectShape, StaticText};
use crate::ui::{readout, theme};
use egui::{Align2, Color32, Pos2, Rect, Sense, Shape, Stroke, Ui, vec2};

/// Canvas units between two flow chevrons along a line.
const CHEVRON_SPACING: f32 = 48.0;
/// How fast the chevrons travel (canvas units per second): slow enough to read as a direction, not an alarm.
const CHEVRON_SPEED: f32 = 18.0;
/// Dash and gap of a signal line (canvas units); drawn solid where dashes would be shorter than this on screen.
const SIGNAL_DASH: (f32, f32) = (8.0, 5.0);
const MIN_DASH_PX: f32 = 3.0;
/// The key of a line's flow phase among the view's motion phases (a symbol's parts use their own index).
const FLOW_PHASE: usize = usize::MAX;
/// Chevrons are never closer than this on screen (a long line on a small window keeps a few, readable)…
const MIN_CHEVRON_GAP_PX: f32 = 24.0;
/// …nor more than this many on one line, however long a file makes it.
const MAX_CHEVRONS: usize = 200;

/// Whether the line's flow condition holds: `None` when it cannot be told (its tag is not good, or no
/// value yet).
fn flow_state(l: &ProcessLine, cx: &DrawCtx<'_>) -> Option<Option<bool>> {
    let c = l.flowing.as_ref()?;
    let state = cx.snap.get(c.tag);
    Some(
        state
            .filter(|s| s.quality.is_good())
            .and_then(|s| c.holds(s.value.as_ref())),
    )
}

/// Draws one line; true while its chevrons move.
#[allow(clippy::too_many_arguments)]
pub(super) fn line_ui(
    ui: &Ui,
    painter: &egui::Painter,
    fit: &Fit,
    l: &ProcessLine,
    i: usize,
    view: &mut ScreenView,
    cx: &DrawCtx<'_>,
    dt: f32,
) -> bool {
    let pts: Vec<Pos2> = l.points.iter().map(|p| fit.p(*p)).collect();
    let colour = theme::ink(l.ink);
    let stroke = Stroke::new(fit.len(l.width).max(1.0), colour);
    let dash = (fit.len(SIGNAL_DASH.0), fit.len(SIGNAL_DASH.1));
    match l.style {
        LineStyle::Signal if dash.0 >= MIN_DASH_PX => {
            painter.extend(Shape::dashed_line(&pts, stroke, dash.0, dash.1));
        }
        _ => {
            painter.add(Shape::line(pts.clone(), stroke));
        }
    }
    let head = (3.0 * l.width).max(9.0);
    if l.arrows.at_end()
        && let Some((from, to)) = last_segment(l.points.iter().rev())
    {
        arrowhead(painter, fit, from, to, head, colour);
    }
    if l.arrows.at_start()
        && let Some((from, to)) = last_segment(l.points.iter())
    {
        arrowhead(painter, fit, from, to, head, colour);
    }
    let flow = flow_state(l, cx);
    let mut moving = false;
    if flow == Some(Some(true)) {
        let key = (i, FLOW_PHASE);
        let spacing = CHEVRON_SPACING.max(MIN_CHEVRON_GAP_PX / fit.len(1.0).max(1e-3));
        let phase = (view.phases.get(&key).copied().unwrap_or(0.0) + CHEVRON_SPEED * dt).rem_euclid(spacing);
        view.phases.insert(key, phase);
        moving = true;
        let size = (1.5 * l.width).max(4.5);
        let chevron = Stroke::new(fit.len(1.5).max(1.0), chevron_ink(l, colour));
        for (at, dir) in marks_along(&l.points, spacing, phase, MAX_CHEVRONS) {
            let normal = Pt::new(-dir.y, dir.x);
            let tip = at + dir.scale(size * 0.5);
            let back = at - dir.scale(size * 0.5);
            let wing = |s: f32| fit.p(back + normal.scale(s * size * 0.6));
            painter.add(Shape::line(vec![wing(1.0), fit.p(tip), wing(-1.0)], chevron));
        }
    }
    if let Some(state) = flow {
        let (mid, _) = midpoint(&l.points);
        if state.is_none() {
            let (text, fill) = unknown_why(l, cx);
            chip_paint(painter, fit, fit.p(mid), Align2::CENTER_BOTTOM, &text, fill);
        }
        // What the line says, for screen readers and tests.
        let text = flow_text(l, state, cx);
        let r = Rect::from_center_size(fit.p(mid), vec2(fit.len(12.0).max(6.0), fit.len(12.0).max(6.0)));
        ui.interact(r, ui.scope_id().with(("line-info", i)), Sense::hover())
            .widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, &text));
    }
    moving
}

/// Why a line's flow cannot be told, and the chip's colour: its tag's quality (STALE, COMM FAIL, …), or
/// "no value" for a good tag whose value the condition cannot decide.
fn unknown_why(l: &ProcessLine, cx: &DrawCtx<'_>) -> (String, Color32) {
    let state = l.flowing.as_ref().and_then(|c| cx.snap.get(c.tag));
    let q = state.map_or(crate::tag::Quality::Bad(crate::tag::BadReason::WaitingForData), |s| {
        s.quality
    });
    if q.is_good() {
        return (cx.lang.pick("NO VALUE", "SIN VALOR").to_owned(), theme::QUALITY_BAD);
    }
    (
        q.label(cx.lang).to_owned(),
        readout::chip_colour(q).unwrap_or(theme::QUALITY_BAD),
    )
}

/// The last segment of some length at one end of a line (`points` from that end inwards), as (from, to)
/// with `to` at the end: a bend written on the port itself does not lose the arrowhead.
fn last_segment<'a>(mut points: impl Iterator<Item = &'a Pt>) -> Option<(Pt, Pt)> {
    let end = *points.next()?;
    points
        .find(|p| (**p - end).x.abs() + (**p - end).y.abs() > 1e-3)
        .map(|p| (*p, end))
}

/// On a thick process line the chevrons are cut into it (background ink); on a thin one they sit on it.
fn chevron_ink(l: &ProcessLine, line: Color32) -> Color32 {
    if l.width >= 4.0 { theme::background() } else { line }
}

/// "Line pump.discharge → reel.inlet: flowing" in the console's language.
fn flow_text(l: &ProcessLine, state: Option<bool>, cx: &DrawCtx<'_>) -> String {
    let lang = cx.lang;
    let end = |r: &Option<crate::screen::def::PortRef>| {
        r.as_ref()
            .map_or_else(|| "·".to_owned(), |r| format!("{}.{}", r.symbol, r.port))
    };
    let what = match state {
        Some(true) => lang.pick("flowing", "con flujo").to_owned(),
        Some(false) => lang.pick("no flow", "sin flujo").to_owned(),
        None => {
            let (why, _) = unknown_why(l, cx);
            format!("{} ({why})", lang.pick("flow unknown", "flujo desconocido"))
        }
    };
    format!(
        "{} {} → {}: {what}",
        lang.pick("Line", "Línea"),
        end(&l.from),
        end(&l.to)
    )
}

/// A filled arrowhead on the segment `from` → `to`, its tip at `to`.
fn arrowhead(painter: &egui::Painter, fit: &Fit, from: Pt, to: Pt, len: f32, colour: Color32) {
    let d = to - from;
    let n = d.length();
    if n < 1e-3 {
        return;
    }
    let dir = Pt::new(d.x / n, d.y / n);
    let normal = Pt::new(-dir.y, dir.x);
    let base = to - dir.scale(len);
    let pts = vec![
        fit.p(to),
        fit.p(base + normal.scale(len * 0.4)),
        fit.p(base - normal.scale(len * 0.4)),
    ];
    painter.add(Shape::convex_polygon(pts, colour, Stroke::NONE));
}

/// Points every `spacing` along a polyline, starting `phase` from its first point, each with the unit
/// direction of its segment, `max` at most. Segments of zero length are skipped.
pub(super) fn marks_along(points: &[Pt], spacing: f32, phase: f32, max: usize) -> Vec<(Pt, Pt)> {
    let mut out = Vec::new();
    if spacing <= 0.0 {
        return out;
    }
    // Distance from the start of the current segment to the next mark.
    let mut next = phase.rem_euclid(spacing);
    for w in points.windows(2) {
        let d = w[1] - w[0];
        let len = d.length();
        if len < 1e-6 {
            continue;
        }
        let dir = Pt::new(d.x / len, d.y / len);
        while next <= len {
            if out.len() == max {
                return out;
            }
            out.push((w[0] + dir.scale(next), dir));
            next += spacing;
        }
        next -= len;
    }
    out
}

/// The point halfway along a polyline and its direction there.
fn midpoint(points: &[Pt]) -> (Pt, Pt) {
    let total: f32 = points.windows(2).map(|w| (w[1] - w[0]).length()).sum();
    marks_along(points, total.max(1e-3), total / 2.0, 1)
        .first()
        .copied()
        .unwrap_or((points.first().copied().unwrap_or_default(), Pt::new(1.0, 0.0)))
}

pub(super) fn rect_paint(painter: &egui::Painter, fit: &Fit, r: &RectShape) {
    let rect = fit.r(r.rect);
    let rounding = fit.len(r.rounding);
    if let Some(fill) = r.fill {
        painter.rect_filled(rect, rounding, theme::ink(fill));
    }
    let Some(ink) = r.stroke else {
        return;
    };
    let stroke = Stroke::new(fit.len(r.width).max(1.0), theme::ink(ink));
    let dash = (fit.len(SIGNAL_DASH.0), fit.len(SIGNAL_DASH.1));
    if r.dashed && dash.0 >= MIN_DASH_PX {
        dashed_rect(painter, rect, stroke, dash.0, dash.1);
    } else {
        painter.rect_stroke(rect, rounding, stroke, egui::StrokeKind::Middle);
    }
}

pub(super) fn text_paint(painter: &egui::Painter, fit: &Fit, t: &StaticText, lang: Lang) {
    let align = match t.align {
        Align::Left => Align2::LEFT_TOP,
        Align::Center => Align2::CENTER_TOP,
        Align::Right => Align2::RIGHT_TOP,
    };
    painter.text(
        fit.p(t.at),
        align,
        t.text.get(lang),
        fit.font(text_px(t.size)),
        theme::ink(t.ink),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chevrons_fall_every_spacing_along_the_bends_in_order() {
        // An L: 100 right, then 50 down.
        let pts = [Pt::new(0.0, 0.0), Pt::new(100.0, 0.0), Pt::new(100.0, 50.0)];
        let marks = marks_along(&pts, 40.0, 10.0, 100);
        assert_eq!(marks_along(&pts, 40.0, 10.0, 2).len(), 2);
        let at: Vec<(f32, f32)> = marks.iter().map(|(p, _)| (p.x, p.y)).collect();
        assert_eq!(at, [(10.0, 0.0), (50.0, 0.0), (90.0, 0.0), (100.0, 30.0)]);
        assert_eq!(marks[0].1, Pt::new(1.0, 0.0));
        assert_eq!(marks[3].1, Pt::new(0.0, 1.0));
        // The phase moves every mark forward; a phase past the spacing wraps.
        let later = marks_along(&pts, 40.0, 50.0, 100);
        assert_eq!(later[0].0, Pt::new(10.0, 0.0));
        assert!(marks_along(&pts, 0.0, 0.0, 100).is_empty());
    }

    #[test]
    fn an_arrowhead_sits_on_the_last_segment_of_some_length() {
        let pts = [Pt::new(0.0, 0.0), Pt::new(50.0, 0.0), Pt::new(50.0, 0.0)];
        assert_eq!(
            last_segment(pts.iter().rev()),
            Some((Pt::new(0.0, 0.0), Pt::new(50.0, 0.0)))
        );
        assert_eq!(last_segment(pts.iter()), Some((Pt::new(50.0, 0.0), Pt::new(0.0, 0.0))));
        assert_eq!(last_segment([Pt::new(1.0, 1.0), Pt::new(1.0, 1.0)].iter()), None);
    }

    #[test]
    fn a_line_of_one_point_or_repeated_points_has_no_marks_and_a_midpoint() {
        assert!(marks_along(&[Pt::new(5.0, 5.0)], 10.0, 0.0, 100).is_empty());
        let same = [Pt::new(5.0, 5.0), Pt::new(5.0, 5.0)];
        assert!(marks_along(&same, 10.0, 0.0, 100).is_empty());
        assert_eq!(midpoint(&same).0, Pt::new(5.0, 5.0));
        let pts = [Pt::new(0.0, 0.0), Pt::new(100.0, 0.0), Pt::new(100.0, 100.0)];
        assert_eq!(midpoint(&pts), (Pt::new(100.0, 0.0), Pt::new(1.0, 0.0)));
    }
}
