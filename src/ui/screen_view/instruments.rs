//! Instruments on a screen: value boxes (label, alarm indicator, value with its unit, quality chip), bar
//! graphs and dials. Each reads one tag from the snapshot, in the console's units, and says its reading to
//! screen readers and tests; none acts.

use super::DrawCtx;
use super::canvas::{Fit, chip_paint, quality_frame, scaled, text_px, value_text};
use super::scale::{Scale, tick_text};
use crate::screen::def::{BarGraph, Gauge, ValueLabel};
use crate::tag::Value;
use crate::ui::alarm_symbol::paint_indicator;
use crate::ui::{readout, theme};
use egui::{Align2, Color32, FontId, Pos2, Rect, Sense, Stroke, Ui, Vec2, pos2, vec2};

/// Gauges smaller than this radius on screen drop their numbers and minor ticks: there is no room to read them.
const GAUGE_NUMBERS_MIN_RADIUS_PX: f32 = 60.0;

/// Label, alarm indicator, value with its unit, and a quality chip when the value is not good.
pub(super) fn value_ui(ui: &Ui, painter: &egui::Painter, fit: &Fit, v: &ValueLabel, i: usize, cx: &DrawCtx<'_>) {
    let Some(def) = cx.snap.directory.get(v.tag) else {
        return;
    };
    let state = cx.snap.get(v.tag);
    let r = fit.r(v.rect);
    let px = text_px(v.size);
    let good = state.is_some_and(|s| s.quality.is_good());
    let text = match state.and_then(|s| s.value.as_ref()) {
        Some(Value::Str(sent)) if !v.states.is_empty() => v.state_text(sent, cx.lang).to_owned(),
        _ => value_text(cx, def, state, v.decimals),
    };
    painter.rect(
        r,
        2.0,
        theme::face(),
        Stroke::new(1.0, theme::tile_stroke()),
        egui::StrokeKind::Inside,
    );
    let pad = fit.len(6.0);
    let mut right = r.max.x - pad;
    if let Some(q) = state.map(|s| s.quality).filter(|q| !q.is_good()) {
        let colour = readout::chip_colour(q).unwrap_or(theme::QUALITY_BAD);
        let chip = chip_paint(
            painter,
            fit,
            pos2(right, r.center().y),
            Align2::RIGHT_CENTER,
            q.label(cx.lang),
            colour,
        );
        right = chip.min.x - pad;
    }
    let colour = if good { theme::value() } else { theme::text_dim() };
    let vr = painter.text(
        pos2(right, r.center().y),
        Align2::RIGHT_CENTER,
        &text,
        fit.mono(px),
        colour,
    );
    let mut label_right = vr.min.x - pad;
    if let Some((p, st)) = cx.marks.get(&v.tag) {
        let s = r.height() * 0.7;
        let at = Rect::from_center_size(pos2(vr.min.x - s * 0.7, r.center().y), Vec2::splat(s));
        paint_indicator(painter, at, *p, *st, cx.now);
        label_right = at.min.x - pad;
    }
    // The value wins the row: a label too long for what is left ends in "…" (whole on hover).
    if let Some(l) = &v.label {
        text_within(
            painter,
            pos2(r.min.x + pad, r.center().y),
            l.get(cx.lang),
            fit.font(px * 0.8),
            theme::text_dim(),
            label_right - (r.min.x + pad),
        );
    }
    let label = v.label.as_ref().map_or(def.name.clone(), |l| l.get(cx.lang).to_owned());
    let quality = state.map_or(cx.lang.pick("NO DATA", "SIN DATOS"), |s| s.quality.label(cx.lang));
    let heading = v
        .label
        .as_ref()
        .map_or(String::new(), |l| format!("{}\n", l.get(cx.lang)));
    ui.interact(r, ui.scope_id().with(("value", i)), Sense::hover())
        .on_hover_text(format!(
            "{heading}{}\n{}\n{quality}",
            def.name,
            def.description_in(cx.lang)
        ))
        .widget_info(|| {
            let q = if good { String::new() } else { format!(" {quality}") };
            egui::WidgetInfo::labeled(egui::Role::Label, true, format!("{label}: {text}{q}"))
        });
}

/// Paints `text` from `left_center`, cut with "…" where it would be wider than `max_width`: a label must
/// never run under the value beside it.
fn text_within(painter: &egui::Painter, left_center: Pos2, text: &str, font: FontId, colour: Color32, max_width: f32) {
    let mut job = egui::text::LayoutJob::simple_singleline(text.to_owned(), font, colour);
    job.wrap = egui::text::TextWrapping::truncate_at_width(max_width.max(0.0));
    let g = painter.layout_job(job);
    let at = Align2::LEFT_CENTER.anchor_size(left_center, g.size());
    painter.galley(at.min, g, colour);
}

pub(super) fn bar_ui(ui: &Ui, painter: &egui::Painter, fit: &Fit, b: &BarGraph, i: usize, cx: &DrawCtx<'_>) {
    let Some(def) = cx.snap.directory.get(b.tag) else {
        return;
    };
    let state = cx.snap.get(b.tag);
    let r = fit.r(b.rect);
    let good = state.is_some_and(|s| s.quality.is_good());
    let label_h = fit.len(18.0);
    let body = Rect::from_min_max(pos2(r.min.x, r.min.y + label_h), pos2(r.max.x, r.max.y - label_h));
    if let Some(l) = &b.label {
        painter.text(
            pos2(r.center().x, r.min.y),
            Align2::CENTER_TOP,
            l.get(cx.lang),
            fit.font(13.0),
            theme::text_dim(),
        );
    }
    painter.rect(
        body,
        0.0,
        theme::face(),
        Stroke::new(1.0, theme::tile_stroke()),
        egui::StrokeKind::Inside,
    );
    let v = state.and_then(|s| s.value.as_ref()).and_then(Value::as_f64);
    if let Some(v) = v {
        let f = scaled(v, b.min, b.max);
        let fill = Rect::from_min_max(
            pos2(body.min.x + 2.0, body.max.y - body.height() * f),
            body.max - vec2(2.0, 0.0),
        );
        painter.rect_filled(fill, 0.0, if good { theme::indicator() } else { theme::text_dim() });
    }
    let text = value_text(cx, def, state, None);
    painter.text(
        pos2(r.center().x, r.max.y),
        Align2::CENTER_BOTTOM,
        &text,
        fit.mono(13.0),
        theme::value(),
    );
    if let Some(q) = state.map(|s| s.quality).filter(|q| !q.is_good()) {
        quality_frame(painter, fit, body, q, cx.lang);
    }
    ui.interact(r, ui.scope_id().with(("bar", i)), Sense::hover())
        .widget_info(|| {
            let name = b.label.as_ref().map_or(def.name.as_str(), |l| l.get(cx.lang));
            egui::WidgetInfo::labeled(egui::Role::ProgressIndicator, true, format!("{name}: {text}"))
        });
}

/// A dial over 270° (from 7:30 round to 4:30, clockwise) with numbered ticks, a needle and a readout.
pub(super) fn gauge_ui(ui: &Ui, painter: &egui::Painter, fit: &Fit, g: &Gauge, i: usize, cx: &DrawCtx<'_>) {
    let Some(def) = cx.snap.directory.get(g.tag) else {
        return;
    };
    let state = cx.snap.get(g.tag);
    let r = fit.r(g.rect);
    let c = r.center();
    let rad = r.width() * 0.5;
    let good = state.is_some_and(|s| s.quality.is_good());
    painter.circle(
        c,
        rad,
        theme::face(),
        Stroke::new(fit.len(2.0).max(1.0), theme::tile_stroke()),
    );
    let angle = |f: f32| (135.0 + 270.0 * f).to_radians();
    let at = |a: f32, d: f32| c + vec2(a.cos(), a.sin()) * d;
    let detailed = rad >= GAUGE_NUMBERS_MIN_RADIUS_PX;
    // The scale in the console's units: the needle's angle is the same either way, the numbers are not.
    let shown = cx.units.shown(&def.unit);
    let (lo, hi) = shown.range((g.min, g.max));
    let scale = Scale::new(lo, hi, shown.delta(g.major).abs(), shown.is_identity());
    for (v, major) in scale.ticks() {
        let a = angle(scaled(v, lo, hi));
        if major {
            painter.line_segment(
                [at(a, rad * 0.80), at(a, rad * 0.93)],
                Stroke::new(fit.len(2.0).max(1.0), theme::text()),
            );
            if detailed {
                painter.text(
                    at(a, rad * 0.66),
                    Align2::CENTER_CENTER,
                    tick_text(v),
                    fit.font(rad / fit.k * 0.12),
                    theme::text_dim(),
                );
            }
        } else if detailed {
            painter.line_segment(
                [at(a, rad * 0.86), at(a, rad * 0.93)],
                Stroke::new(1.0, theme::text_dim()),
            );
        }
    }
    if let Some(l) = &g.label {
        // In the open quarter at the bottom, where no tick is.
        painter.text(
            c + vec2(0.0, rad * 0.64),
            Align2::CENTER_CENTER,
            l.get(cx.lang),
            fit.font(rad / fit.k * 0.11),
            theme::text_dim(),
        );
    }
    let text = value_text(cx, def, state, None);
    painter.text(
        c + vec2(0.0, rad * 0.30),
        Align2::CENTER_CENTER,
        &text,
        fit.mono(rad / fit.k * 0.13),
        if good { theme::value() } else { theme::text_dim() },
    );
    if let Some(v) = state.and_then(|s| s.value.as_ref()).and_then(Value::as_f64) {
        let a = angle(scaled(v, g.min, g.max));
        let colour = if good { theme::indicator() } else { theme::text_dim() };
        painter.line_segment([c, at(a, rad * 0.86)], Stroke::new(fit.len(4.0).max(2.0), colour));
    }
    painter.circle_filled(c, rad * 0.06, theme::indicator());
    if let Some(q) = state.map(|s| s.quality).filter(|q| !q.is_good()) {
        quality_frame(painter, fit, r, q, cx.lang);
    }
    if let Some((p, st)) = cx.marks.get(&g.tag) {
        let s = rad * 0.22;
        paint_indicator(
            painter,
            Rect::from_center_size(r.right_top() - vec2(s * 0.5, -s * 0.5), Vec2::splat(s)),
            *p,
            *st,
            cx.now,
        );
    }
    ui.interact(r, ui.scope_id().with(("gauge", i)), Sense::hover())
        .widget_info(|| {
            let name = g.label.as_ref().map_or(def.name.as_str(), |l| l.get(cx.lang));
            let q = state
                .map(|s| s.quality)
                .filter(|q| !q.is_good())
                .map_or(String::new(), |q| format!(" {}", q.label(cx.lang)));
            egui::WidgetInfo::labeled(egui::Role::Image, true, format!("{name}: {text}{q}"))
        });
}
