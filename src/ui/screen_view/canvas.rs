//! The drawing surface: a screen fitted to the space it is given (or scrolled at a readable scale), its
//! elements drawn in file order, and the small painted parts every element uses (quality frames, chips,
//! values as text, fitted button fonts).
//!
//! Hands each element to its painter (`symbol`, `instruments`, `tile_trends`, `commands`) and collects what
//! the operator asked for; paints nothing outside the screen's area.

use super::commands::{command_ui, confirm_ui, entry_ui, setpoint_ui};
use super::instruments::{bar_ui, gauge_ui, value_ui};
use super::lines::{line_ui, rect_paint, text_paint};
use super::navigation::ScreenView;
use super::symbol::{symbol_click, symbol_ui};
use super::tile_trends::{tile_ui, trend_ui};
use super::{DrawCtx, ScreenAction};
use crate::lang::Lang;
use crate::screen::def::{Boxed, Element, Label, Pt, Screen, TextSize};
use crate::tag::{Quality, TagDef, TagState, Value};
use crate::ui::{drivers_page, readout, theme};
use egui::{Align2, Color32, FontId, Pos2, Rect, Sense, Shape, Stroke, Ui, pos2, vec2};

/// Canvas units to screen points: uniform scale, centred in the space given.
#[derive(Debug, Clone, Copy)]
pub struct Fit {
    origin: Pos2,
    /// Screen points per canvas unit.
    pub(super) k: f32,
}

impl Fit {
    pub fn new(area: Rect, canvas: Pt) -> Self {
        let k = (area.width() / canvas.x).min(area.height() / canvas.y).max(0.01);
        let size = vec2(canvas.x * k, canvas.y * k);
        Self {
            origin: area.center() - size * 0.5,
            k,
        }
    }

    /// Where canvas point `p` is on the screen.
    pub fn to_screen(&self, p: Pt) -> Pos2 {
        self.p(p)
    }

    /// The canvas point under screen position `pos`.
    pub fn to_canvas(&self, pos: Pos2) -> Pt {
        Pt::new((pos.x - self.origin.x) / self.k, (pos.y - self.origin.y) / self.k)
    }

    /// Where box `b` is on the screen.
    pub fn rect_of(&self, b: Boxed) -> Rect {
        self.r(b)
    }

    /// Screen points per canvas unit.
    pub fn scale(&self) -> f32 {
        self.k
    }

    pub(super) fn p(&self, p: Pt) -> Pos2 {
        pos2(self.origin.x + p.x * self.k, self.origin.y + p.y * self.k)
    }

    pub(super) fn r(&self, b: Boxed) -> Rect {
        Rect::from_min_max(self.p(b.at), self.p(b.max()))
    }

    pub(super) fn len(&self, l: f32) -> f32 {
        l * self.k
    }

    /// Text never shrinks below readable on small windows.
    pub(super) fn font(&self, size: f32) -> FontId {
        FontId::proportional((size * self.k).max(9.0))
    }

    pub(super) fn mono(&self, size: f32) -> FontId {
        FontId::monospace((size * self.k).max(9.0))
    }
}

pub(super) fn text_px(size: TextSize) -> f32 {
    size.px()
}

/// The smallest scale a screen is drawn at before it scrolls instead: below it, values and labels
/// would overlap and a gloved touch could not tell two buttons apart (a cab panel of 1280 × 800 or
/// 1024 × 768 under the console's bars).
const MIN_SCALE: f32 = 0.5;
const MIN_SCALE_TOUCH: f32 = 0.7;

/// The screen alone in the space `ui` has (also what a screen window, a screenshot and the bench draw):
/// fitted whole when that is readable, else at the smallest readable scale in a scroll area (drag or wheel
/// to move around it).
pub fn canvas_ui(ui: &mut Ui, screen: &Screen, view: &mut ScreenView, cx: &DrawCtx<'_>) -> Option<ScreenAction> {
    let avail = ui.available_size();
    let fitted = (avail.x / screen.canvas.x).min(avail.y / screen.canvas.y);
    let min = if cx.touch { MIN_SCALE_TOUCH } else { MIN_SCALE };
    if fitted >= min || !fitted.is_finite() {
        let (area, _) = ui.allocate_exact_size(avail, Sense::hover());
        return canvas_in(ui, area, screen, view, cx);
    }
    let size = vec2(screen.canvas.x * min, screen.canvas.y * min);
    egui::ScrollArea::both()
        .id_salt(("screen_scroll", &*screen.id))
        .auto_shrink([false, false])
        .show(ui, |ui| {
            let (area, _) = ui.allocate_exact_size(size.max(ui.available_size()), Sense::hover());
            canvas_in(ui, area, screen, view, cx)
        })
        .inner
}

/// The screen drawn in `area` (fitted, centred), as `canvas_ui` draws it when it fits.
pub fn canvas_in(
    ui: &mut Ui,
    area: Rect,
    screen: &Screen,
    view: &mut ScreenView,
    cx: &DrawCtx<'_>,
) -> Option<ScreenAction> {
    let fit = Fit::new(area, screen.canvas);
    let dt = match view.last_now {
        Some(last) => (cx.now.saturating_since(last).as_secs_f32()).min(0.5),
        None => 0.0,
    };
    view.last_now = Some(cx.now);
    let painter = ui.painter_at(area);
    painter.rect_filled(
        fit.r(Boxed::new(Pt::default(), screen.canvas)),
        0.0,
        theme::background(),
    );
    let mut action = None;
    let mut animating = false;
    for (i, e) in screen.elements.iter().enumerate() {
        let a = match e {
            Element::Frame(f) => {
                let r = fit.r(f.rect);
                painter.rect(
                    r,
                    4.0,
                    theme::tile(),
                    Stroke::new(1.0, theme::tile_stroke()),
                    egui::StrokeKind::Inside,
                );
                if let Some(t) = &f.title {
                    painter.text(
                        r.min + vec2(fit.len(8.0), fit.len(4.0)),
                        Align2::LEFT_TOP,
                        t.get(cx.lang),
                        fit.font(14.0),
                        theme::text_dim(),
                    );
                }
                None
            }
            Element::Rect(r) => {
                rect_paint(&painter, &fit, r);
                None
            }
            Element::Line(l) => {
                animating |= line_ui(ui, &painter, &fit, l, i, view, cx, dt);
                None
            }
            Element::Text(t) => {
                text_paint(&painter, &fit, t, cx.lang);
                None
            }
            Element::Symbol(s) => {
                animating |= symbol_ui(ui, &painter, &fit, s, i, view, cx, dt);
                symbol_click(ui, &fit, s, i, view)
            }
            Element::Value(v) => {
                value_ui(ui, &painter, &fit, v, i, cx);
                None
            }
            Element::Bar(b) => {
                bar_ui(ui, &painter, &fit, b, i, cx);
                None
            }
            Element::Gauge(g) => {
                gauge_ui(ui, &painter, &fit, g, i, cx);
                None
            }
            Element::Trend(t) => trend_ui(ui, &painter, &fit, t, i, cx),
            Element::Tile(t) => {
                tile_ui(ui, &painter, &fit, t, i, view, cx);
                None
            }
            Element::Label(l) => {
                label_paint(&painter, &fit, l, cx.lang);
                None
            }
            Element::Drivers(b) => {
                let r = fit.r(*b);
                let mut child = ui.new_child(egui::UiBuilder::new().max_rect(r).id_salt(("drivers", i)));
                drivers_page::drivers_ui(&mut child, cx.snap, cx.lang);
                None
            }
            Element::Nav(n) => {
                let r = fit.r(n.rect);
                let text = match &n.label {
                    Some(l) => l.get(cx.lang).to_owned(),
                    None => n.to.to_string(),
                };
                let font = fitted_font(ui, &fit, &text, 15.0, r.width());
                let b = egui::Button::new(egui::RichText::new(text).font(font)).wrap_mode(egui::TextWrapMode::Extend);
                if ui.put(r, b).clicked() {
                    view.open(&n.to);
                }
                None
            }
            Element::Command(c) => {
                command_ui(ui, &fit, c, view, cx);
                None
            }
            Element::Setpoint(v) => {
                setpoint_ui(ui, &painter, &fit, v, i, view, cx);
                None
            }
        };
        action = action.or(a);
    }
    action = action.or_else(|| confirm_ui(ui, view, cx));
    action = action.or_else(|| entry_ui(ui, view, cx));
    if animating {
        ui.ctx().request_repaint_after(std::time::Duration::from_millis(50));
    }
    action
}

pub(super) fn input_value(state: Option<&TagState>) -> Option<f64> {
    let v = state?.value.as_ref()?;
    match v {
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        other => other.as_f64(),
    }
}

/// A dashed frame in the quality colour with its code: the symbol is not showing live data.
pub(super) fn quality_frame(painter: &egui::Painter, fit: &Fit, r: Rect, q: Quality, lang: Lang) {
    let colour = readout::chip_colour(q).unwrap_or(theme::QUALITY_BAD);
    let r = r.expand(fit.len(3.0));
    dashed_rect(painter, r, Stroke::new(2.0, colour), 6.0, 4.0);
    chip_paint(painter, fit, r.left_top(), Align2::LEFT_TOP, q.label(lang), colour);
}

/// A rectangle's outline in dashes (`dash` long, `gap` apart, in screen points).
pub(super) fn dashed_rect(painter: &egui::Painter, r: Rect, stroke: Stroke, dash: f32, gap: f32) {
    let pts = [
        r.left_top(),
        r.right_top(),
        r.right_bottom(),
        r.left_bottom(),
        r.left_top(),
    ];
    painter.extend(Shape::dashed_line(&pts, stroke, dash, gap));
}

/// A small filled label (readout::chip_ui's shape, painted), placed by `align` at `anchor`.
pub(super) fn chip_paint(
    painter: &egui::Painter,
    fit: &Fit,
    anchor: Pos2,
    align: Align2,
    text: &str,
    fill: Color32,
) -> Rect {
    chip_with_font(painter, anchor, align, text, fill, fit.font(11.0))
}

pub(super) fn chip_with_font(
    painter: &egui::Painter,
    anchor: Pos2,
    align: Align2,
    text: &str,
    fill: Color32,
    font: FontId,
) -> Rect {
    let galley = painter.layout_no_wrap(text.to_owned(), font, theme::ON_CHIP);
    let r = align.anchor_size(anchor, galley.size() + vec2(8.0, 2.0));
    painter.rect_filled(r, 3.0, fill);
    painter.galley(r.min + vec2(4.0, 1.0), galley, theme::ON_CHIP);
    r
}

/// The value as text with its unit, in the console's units; `decimals` overrides the tag's.
pub(super) fn value_text(cx: &DrawCtx<'_>, def: &TagDef, state: Option<&TagState>, decimals: Option<usize>) -> String {
    cx.loc().value_text(
        &def.unit,
        state.and_then(|s| s.value.as_ref()),
        decimals.unwrap_or(def.decimals),
    )
}

pub(super) fn scaled(v: f64, min: f64, max: f64) -> f32 {
    (((v - min) / (max - min)).clamp(0.0, 1.0)) as f32
}

fn label_paint(painter: &egui::Painter, fit: &Fit, l: &Label, lang: Lang) {
    painter.text(
        fit.p(l.at),
        Align2::LEFT_TOP,
        l.text.get(lang),
        fit.font(text_px(l.size)),
        theme::text(),
    );
}

/// How wide `text` is in `font`, on one line.
pub(super) fn text_width(ui: &Ui, text: &str, font: &FontId) -> f32 {
    ui.painter()
        .layout_no_wrap(text.to_owned(), font.clone(), theme::text())
        .size()
        .x
}

/// A button's font for a box `width` points wide: `size` (canvas units), or smaller where the box is too
/// narrow for the text on one line. A button's text is never wrapped: a word broken in two misreads.
pub(super) fn fitted_font(ui: &Ui, fit: &Fit, text: &str, size: f32, width: f32) -> FontId {
    let mut font = fit.font(size);
    let room = width - 2.0 * ui.spacing().button_padding.x;
    let needed = text_width(ui, text, &font);
    if needed > room && needed > 0.0 {
        font.size = (font.size * room.max(0.0) / needed).max(9.0);
    }
    font
}
