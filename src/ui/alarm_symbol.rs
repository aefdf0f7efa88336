//! The ISA-101 alarm indicator: one shape and number per priority (critical ■1, high ◆2, medium ▲3,
//! low ▼4, diagnostic ●5), filled when active, outlined when returned, blinking while unacknowledged.
//! Banner rows, the alarm pages, tag rows and (with the screens) symbols all draw this one widget.

use super::theme;
use crate::alarm::{AlarmState, Priority};
use crate::tag::Timestamp;
use egui::{Color32, Pos2, Rect, Sense, Shape, Stroke, Ui, Vec2};

/// Per tag, its most urgent annunciated alarm (from `AlarmView::tag_marks`).
pub type AlarmMarks = std::collections::HashMap<crate::tag::TagId, (Priority, AlarmState)>;

/// Blink phase: on for half of each second, by the console's clock (deterministic in tests).
pub fn blink_on(now: Timestamp) -> bool {
    (now.0 / 500_000) % 2 == 0
}

/// Paints the indicator centred in `rect`.
pub fn paint_indicator(painter: &egui::Painter, rect: Rect, p: Priority, state: AlarmState, now: Timestamp) {
    let c = rect.center();
    let r = rect.width().min(rect.height()) * 0.5;
    let colour = theme::alarm_colour(p);
    let filled = match state {
        AlarmState::ActiveUnacked => blink_on(now),
        AlarmState::ActiveAcked => true,
        _ => false,
    };
    let fill = if filled { colour } else { Color32::TRANSPARENT };
    let stroke = Stroke::new(
        if filled { 1.0 } else { 2.0 },
        if filled { theme::ALARM_OUTLINE } else { colour },
    );
    let pts = |v: &[(f32, f32)]| {
        v.iter()
            .map(|(x, y)| c + Vec2::new(x * r, y * r))
            .collect::<Vec<Pos2>>()
    };
    let shape = match p {
        Priority::Critical => Shape::convex_polygon(
            pts(&[(-0.85, -0.85), (0.85, -0.85), (0.85, 0.85), (-0.85, 0.85)]),
            fill,
            stroke,
        ),
        Priority::High => Shape::convex_polygon(pts(&[(0.0, -1.0), (1.0, 0.0), (0.0, 1.0), (-1.0, 0.0)]), fill, stroke),
        Priority::Medium => Shape::convex_polygon(pts(&[(0.0, -1.0), (1.0, 0.85), (-1.0, 0.85)]), fill, stroke),
        Priority::Low => Shape::convex_polygon(pts(&[(-1.0, -0.85), (1.0, -0.85), (0.0, 1.0)]), fill, stroke),
        Priority::Diagnostic => Shape::circle_filled(c, r * 0.9, fill),
    };
    painter.add(shape);
    if p == Priority::Diagnostic {
        painter.circle_stroke(c, r * 0.9, Stroke::new(1.5, theme::ALARM_OUTLINE));
    }
    let number = match p {
        Priority::Critical => "1",
        Priority::High => "2",
        Priority::Medium => "3",
        Priority::Low => "4",
        Priority::Diagnostic => "5",
    };
    let text_colour = if filled && p == Priority::Critical {
        Color32::WHITE
    } else {
        theme::ALARM_OUTLINE
    };
    let offset = match p {
        Priority::Medium => Vec2::new(0.0, r * 0.2),
        Priority::Low => Vec2::new(0.0, -r * 0.2),
        _ => Vec2::ZERO,
    };
    painter.text(
        c + offset,
        egui::Align2::CENTER_CENTER,
        number,
        egui::FontId::proportional(r * 1.05),
        text_colour,
    );
}

/// The indicator as a widget of `size` points, described for screen readers and tests.
pub fn indicator_ui(ui: &mut Ui, size: f32, p: Priority, state: AlarmState, now: Timestamp) -> egui::Response {
    let (rect, resp) = ui.allocate_exact_size(Vec2::splat(size), Sense::hover());
    if ui.is_rect_visible(rect) {
        paint_indicator(ui.painter(), rect.shrink(1.0), p, state, now);
    }
    resp.widget_info(|| {
        egui::WidgetInfo::labeled(egui::Role::Image, true, format!("{} alarm, {}", p.name(), state.code()))
    });
    resp
}
