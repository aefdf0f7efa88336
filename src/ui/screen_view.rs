//! The P&ID screen painter: draws a `screen::Screen` from the current snapshot with egui's painter,
//! scaled to the space it is given, with breadcrumbs and navigation above it.
//!
//! Owns only view state (which screen, the way back, animation phases, a command awaiting confirmation).
//! Reads the snapshot it is handed and returns what the operator asked for (`ScreenAction`); it never
//! sends anything itself. Bad, stale and missing values are drawn as such: a symbol whose inputs are not
//! good gets a dashed quality frame and its code, and its motion stops.

use super::alarm_symbol::{AlarmMarks, paint_indicator};
use super::keypad::{EntryOutcome, SetpointEntry, setpoint_dialog_ui};
use super::screen_history::LiveHistory;
use super::{drivers_page, readout, theme};
use crate::hub::Snapshot;
use crate::lang::Lang;
use crate::locale::Locale;
use crate::screen::def::{
    Align, BarGraph, Boxed, CommandButton, CommandValue, Element, Gauge, Label, Part, PlacedSymbol, Pt, Rotation,
    Screen, ScreenSet, Shape as PartShape, Side, TextSize, TrendBox, ValueLabel, WellTile,
};
use crate::tag::{Quality, TagDef, TagId, TagState, Timestamp, Value};
use crate::units::{Shown, UnitSystem};
use egui::{Align2, Color32, FontId, Pos2, Rect, RichText, Sense, Shape, Stroke, Ui, Vec2, pos2, vec2};
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

/// What the operator asked for on a screen.
#[derive(Debug, Clone, PartialEq)]
pub enum ScreenAction {
    /// A confirmed command button: write `value` to `tag` as the console's user.
    Write { tag: TagId, value: Value },
    /// Open these tags on the Trends page.
    Trend(Vec<TagId>),
    /// Open this screen in a window of its own (another monitor).
    NewWindow(String),
}

/// Everything a screen is drawn from in one frame.
pub struct DrawCtx<'a> {
    pub snap: &'a Snapshot,
    pub marks: &'a AlarmMarks,
    /// Every alarm that is not normal (`AlarmView::rows`): a tile writes its asset's most urgent one.
    pub alarm_rows: &'a [crate::alarm::AlarmRow],
    pub now: Timestamp,
    pub lang: Lang,
    /// Oilfield or SI: values, scales and typed setpoints are shown in these.
    pub units: UnitSystem,
    pub history: &'a LiveHistory,
    /// The user may send commands (role); buttons are disabled otherwise.
    pub may_command: bool,
    /// Touch mode: keypad keys of at least 15 mm.
    pub touch: bool,
}

impl DrawCtx<'_> {
    pub fn loc(&self) -> Locale {
        Locale {
            lang: self.lang,
            units: self.units,
        }
    }
}

#[derive(Debug, Clone)]
struct PendingCommand {
    tag: TagId,
    value: CommandValue,
    question: String,
    label: String,
}

/// One display's view state (the main page, or a screen in its own window).
#[derive(Debug, Default)]
pub struct ScreenView {
    current: Option<Arc<str>>,
    back: Vec<Arc<str>>,
    /// Accumulated rotation (degrees) or dash travel per (element, part), by the console's clock.
    phases: HashMap<(usize, usize), f32>,
    last_now: Option<Timestamp>,
    pending: Option<PendingCommand>,
    entry: Option<SetpointEntry>,
}

impl ScreenView {
    pub fn showing(id: &str) -> Self {
        Self {
            current: Some(id.into()),
            ..Self::default()
        }
    }

    /// The screen shown: the one opened last, or the home screen (also after a reload removed it).
    pub fn current<'a>(&self, set: &'a ScreenSet) -> Option<&'a Arc<Screen>> {
        self.current
            .as_deref()
            .and_then(|id| set.get(id))
            .or_else(|| set.home())
    }

    pub fn current_id(&self) -> Option<&str> {
        self.current.as_deref()
    }

    pub fn open(&mut self, id: &str) {
        if self.current.as_deref() == Some(id) {
            return;
        }
        if let Some(c) = self.current.take() {
            self.back.push(c);
            if self.back.len() > 50 {
                self.back.remove(0);
            }
        }
        self.current = Some(id.into());
        self.phases.clear();
    }

    pub fn go_back(&mut self) {
        if let Some(p) = self.back.pop() {
            self.current = Some(p);
            self.phases.clear();
        }
    }

    pub fn go_up(&mut self, set: &ScreenSet) {
        if let Some(p) = self.current(set).and_then(|s| s.parent.clone()) {
            self.open(&p);
        }
    }

    pub fn can_go_back(&self) -> bool {
        !self.back.is_empty()
    }
}

/// Breadcrumbs, then the screen filling the rest of `ui`.
pub fn screen_page_ui(ui: &mut Ui, set: &ScreenSet, view: &mut ScreenView, cx: &DrawCtx<'_>) -> Option<ScreenAction> {
    let Some(screen) = view.current(set).cloned() else {
        ui.label(cx.lang.pick(
            "This project has no screens (screens/*.toml).",
            "Este proyecto no tiene pantallas (screens/*.toml).",
        ));
        return None;
    };
    let mut window = None;
    ui.horizontal(|ui| {
        if ui
            .add_enabled(view.can_go_back(), egui::Button::new(cx.lang.pick("Back", "Atrás")))
            .on_hover_text(cx.lang.pick("Alt+Left", "Alt+Flecha izquierda"))
            .clicked()
        {
            view.go_back();
        }
        ui.add_space(8.0);
        let crumbs = set.breadcrumbs(&screen.id);
        let last = crumbs.len().saturating_sub(1);
        for (i, s) in crumbs.iter().enumerate() {
            if i > 0 {
                ui.label(egui::RichText::new(">").color(theme::text_dim()));
            }
            let title = s.title.get(cx.lang);
            if i == last {
                ui.label(egui::RichText::new(title).strong().size(theme::TEXT_HEADING));
            } else if ui.link(title).clicked() {
                view.open(&s.id);
            }
        }
        if let Some(k) = screen.key {
            ui.label(
                egui::RichText::new(k.name())
                    .color(theme::text_dim())
                    .size(theme::TEXT_SMALL),
            );
        }
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui
                .button(cx.lang.pick("New window", "Nueva ventana"))
                .on_hover_text(cx.lang.pick(
                    "Open this screen in a window of its own (drag it to another monitor)",
                    "Abrir esta pantalla en una ventana propia (llévela a otro monitor)",
                ))
                .clicked()
            {
                window = Some(ScreenAction::NewWindow(screen.id.to_string()));
            }
        });
    });
    ui.add_space(4.0);
    canvas_ui(ui, &screen, view, cx).or(window)
}

/// Canvas units to screen points: uniform scale, centred in the space given.
#[derive(Debug, Clone, Copy)]
pub struct Fit {
    origin: Pos2,
    k: f32,
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

    fn p(&self, p: Pt) -> Pos2 {
        pos2(self.origin.x + p.x * self.k, self.origin.y + p.y * self.k)
    }

    fn r(&self, b: Boxed) -> Rect {
        Rect::from_min_max(self.p(b.at), self.p(b.max()))
    }

    fn len(&self, l: f32) -> f32 {
        l * self.k
    }

    /// Text never shrinks below readable on small windows.
    fn font(&self, size: f32) -> FontId {
        FontId::proportional((size * self.k).max(9.0))
    }

    fn mono(&self, size: f32) -> FontId {
        FontId::monospace((size * self.k).max(9.0))
    }
}

/// Dashes shorter than this on screen are drawn as a solid line (level of detail).
const MIN_DASH_PX: f32 = 4.0;
/// Gauges smaller than this radius on screen drop their numbers and minor ticks: there is no room to read them.
const GAUGE_NUMBERS_MIN_RADIUS_PX: f32 = 60.0;

fn text_px(size: TextSize) -> f32 {
    match size {
        TextSize::Small => 13.0,
        TextSize::Normal => 16.0,
        TextSize::Large => 26.0,
    }
}

/// The screen alone, filling `ui` (also what a screen window and the bench draw).
/// The smallest scale a screen is drawn at before it scrolls instead: below it, values and labels
/// would overlap and a gloved touch could not tell two buttons apart (a cab panel of 1280 × 800 or
/// 1024 × 768 under the console's bars).
const MIN_SCALE: f32 = 0.5;
const MIN_SCALE_TOUCH: f32 = 0.7;

/// The screen in the space `ui` has: fitted whole when that is readable, else at the smallest readable
/// scale in a scroll area (drag or wheel to move around it).
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

fn canvas_in(
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

/// Clicking a symbol with `to` opens that screen.
fn symbol_click(ui: &mut Ui, fit: &Fit, s: &PlacedSymbol, i: usize, view: &mut ScreenView) -> Option<ScreenAction> {
    let to = s.to.as_ref()?;
    let resp = ui
        .interact(fit.r(s.rect), ui.scope_id().with(("symbol", i)), Sense::click())
        .on_hover_cursor(egui::CursorIcon::PointingHand);
    if resp.clicked() {
        view.open(to);
    }
    None
}

fn input_value(state: Option<&TagState>) -> Option<f64> {
    let v = state?.value.as_ref()?;
    match v {
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        other => other.as_f64(),
    }
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
fn symbol_ui(
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
    let length = (along.x * along.x + along.y * along.y).sqrt();
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

/// A scale's number with the decimals its step needs (0.5 steps: one), never "-0".
fn scale_number(v: f64, step: f64) -> String {
    if v.abs() >= 10_000.0 {
        return tick_text(v);
    }
    let decimals = (-step.log10().floor()).clamp(0.0, 6.0) as usize;
    format!("{:.decimals$}", v + 0.0)
}

/// The smallest round step (1, 2 or 5 × 10ⁿ) that divides `span` into at most `most` steps.
fn axis_step(span: f64, most: usize) -> f64 {
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

/// A dashed frame in the quality colour with its code: the symbol is not showing live data.
fn quality_frame(painter: &egui::Painter, fit: &Fit, r: Rect, q: Quality, lang: Lang) {
    let colour = readout::chip_colour(q).unwrap_or(theme::QUALITY_BAD);
    let r = r.expand(fit.len(3.0));
    let pts = [
        r.left_top(),
        r.right_top(),
        r.right_bottom(),
        r.left_bottom(),
        r.left_top(),
    ];
    painter.extend(Shape::dashed_line(&pts, Stroke::new(2.0, colour), 6.0, 4.0));
    chip_paint(painter, fit, r.left_top(), Align2::LEFT_TOP, q.label(lang), colour);
}

/// A small filled label (readout::chip_ui's shape, painted), placed by `align` at `anchor`.
fn chip_paint(painter: &egui::Painter, fit: &Fit, anchor: Pos2, align: Align2, text: &str, fill: Color32) -> Rect {
    chip_with_font(painter, anchor, align, text, fill, fit.font(11.0))
}

fn chip_with_font(
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

/// The value as text with its unit, in the console's units; `decimals` overrides the tag's.
fn value_text(cx: &DrawCtx<'_>, def: &TagDef, state: Option<&TagState>, decimals: Option<usize>) -> String {
    cx.loc().value_text(
        &def.unit,
        state.and_then(|s| s.value.as_ref()),
        decimals.unwrap_or(def.decimals),
    )
}

/// Label, alarm indicator, value with its unit, and a quality chip when the value is not good.
fn value_ui(ui: &Ui, painter: &egui::Painter, fit: &Fit, v: &ValueLabel, i: usize, cx: &DrawCtx<'_>) {
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

fn scaled(v: f64, min: f64, max: f64) -> f32 {
    (((v - min) / (max - min)).clamp(0.0, 1.0)) as f32
}

fn bar_ui(ui: &Ui, painter: &egui::Painter, fit: &Fit, b: &BarGraph, i: usize, cx: &DrawCtx<'_>) {
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

/// A dial's numbered ticks and the small ones halfway between, in the units shown.
struct Scale {
    first: f64,
    step: f64,
    hi: f64,
}

impl Scale {
    /// At most this many ticks, whatever a file says (a step far too small for its range).
    const MAX_TICKS: usize = 200;

    /// `step` is the screen file's where the units are the tag's own (`exact`); converted, it becomes the
    /// nearest round step (1, 2, 2.5 or 5 × 10ⁿ), so 10,000 lbf ticks read 50 kN rather than 44.48 kN.
    fn new(lo: f64, hi: f64, step: f64, exact: bool) -> Self {
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
    fn ticks(&self) -> impl Iterator<Item = (f64, bool)> + '_ {
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
fn tick_text(v: f64) -> String {
    if v.abs() >= 10_000.0 {
        format!("{}k", v / 1000.0)
    } else {
        format!("{v}")
    }
}

/// A dial over 270° (from 7:30 round to 4:30, clockwise) with numbered ticks, a needle and a readout.
fn gauge_ui(ui: &Ui, painter: &egui::Painter, fit: &Fit, g: &Gauge, i: usize, cx: &DrawCtx<'_>) {
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

/// Lines of recent values, each pen on its own tag's range; gaps where data was bad. Click: Trends page.
fn trend_ui(
    ui: &Ui,
    painter: &egui::Painter,
    fit: &Fit,
    t: &TrendBox,
    i: usize,
    cx: &DrawCtx<'_>,
) -> Option<ScreenAction> {
    let r = fit.r(t.rect);
    painter.rect(
        r,
        2.0,
        theme::face(),
        Stroke::new(1.0, theme::tile_stroke()),
        egui::StrokeKind::Inside,
    );
    let head = fit.len(20.0);
    let to = cx.now.as_secs_f64();
    let from = to - f64::from(t.minutes) * 60.0;
    let (left, right) = (r.min.x + fit.len(6.0), r.max.x - fit.len(6.0));
    let mut x = left;
    let mut y = r.min.y + head * 0.5;
    if let Some(l) = &t.label {
        let g = painter.text(
            pos2(x, y),
            Align2::LEFT_CENTER,
            l.get(cx.lang),
            fit.font(13.0),
            theme::text(),
        );
        x = g.max.x + fit.len(10.0);
    }
    let pens: Vec<(usize, TagId, &TagDef)> = t
        .tags
        .iter()
        .enumerate()
        .filter_map(|(k, id)| cx.snap.directory.get(*id).map(|d| (k, *id, d)))
        .collect();
    let defs: Vec<&TagDef> = pens.iter().map(|p| p.2).collect();
    // Legends across the top, on as many rows as they need (names are longer in Spanish); the plot below.
    for ((k, tag, def), name) in pens.iter().zip(pen_names(&defs, cx.lang)) {
        let legend = format!("{name} {}", value_text(cx, def, cx.snap.get(*tag), None));
        let pen = theme::PENS[k % theme::PENS.len()];
        let g = painter.layout_no_wrap(legend, fit.font(12.0), pen);
        let width = g.size().x;
        if x + width > right && x > left {
            x = left;
            y += fit.len(16.0);
        }
        painter.galley(pos2(x, y - g.size().y * 0.5), g, pen);
        x += width + fit.len(10.0);
    }
    let plot = Rect::from_min_max(pos2(r.min.x + 4.0, y + head * 0.5), pos2(r.max.x - 4.0, r.max.y - 4.0));
    for (k, tag, def) in &pens {
        let pen = theme::PENS[k % theme::PENS.len()];
        let (lo, hi) = def.range.unwrap_or((0.0, 1.0));
        let at = |ts: f64, v: f64| {
            pos2(
                plot.min.x + plot.width() * ((ts - from) / (to - from)) as f32,
                plot.max.y - plot.height() * scaled(v, lo, hi),
            )
        };
        lines_with_gaps(painter, cx.history.since(*tag, from), at, Stroke::new(1.5, pen));
    }
    let label = t.label.as_ref().map_or_else(
        || cx.lang.pick("trend", "tendencia").to_owned(),
        |l| l.get(cx.lang).to_owned(),
    );
    let resp = ui
        .interact(r, ui.scope_id().with(("trend", i)), Sense::click())
        .on_hover_text(
            cx.lang
                .pick("Open on the Trends page", "Abrir en la página de tendencias"),
        );
    resp.widget_info(|| {
        egui::WidgetInfo::labeled(
            egui::Role::Button,
            true,
            format!("{} {label}", cx.lang.pick("Trend", "Tendencia")),
        )
    });
    resp.clicked().then(|| ScreenAction::Trend(t.tags.clone()))
}

/// What a trend box calls its pens: by label where all are one device's, by device where all are one signal
/// of several devices (the box's title says which), else by both.
fn pen_names<'a>(defs: &[&'a TagDef], lang: Lang) -> Vec<Cow<'a, str>> {
    let same = |part: fn(&TagDef) -> &str| defs.windows(2).all(|w| part(w[0]) == part(w[1]));
    let (one_device, one_signal) = (same(TagDef::device), same(TagDef::signal));
    defs.iter()
        .map(|d| match (one_device, one_signal) {
            (true, _) => d.label_in(lang),
            (false, true) => Cow::Owned(d.device().to_uppercase()),
            (false, false) => d.label_with_device_in(lang),
        })
        .collect()
}

/// An asset at a glance: title, state, its most urgent alarm (message and value, on the alarm's colour),
/// values with sparklines (a value in alarm on its alarm's colour). Click: its screen.
///
/// Text never shrinks below `theme::TEXT_TILE_MIN` (a size larger in touch mode), whatever the window:
/// value rows give up their spare height first, names too long for their row end in "…", and nothing is
/// drawn outside the tile.
fn tile_ui(
    ui: &Ui,
    painter: &egui::Painter,
    fit: &Fit,
    t: &WellTile,
    i: usize,
    view: &mut ScreenView,
    cx: &DrawCtx<'_>,
) {
    let r = fit.r(t.rect);
    painter.rect(
        r,
        4.0,
        theme::tile(),
        Stroke::new(1.0, theme::tile_stroke()),
        egui::StrokeKind::Inside,
    );
    let painter = painter.with_clip_rect(r);
    let least = theme::TEXT_TILE_MIN * if cx.touch { theme::TOUCH_TEXT_SCALE } else { 1.0 };
    let px = |size: f32| fit.len(size).max(least);
    let body = FontId::proportional(px(12.0));
    let mono = FontId::monospace(px(13.0));
    let pad = fit.len(8.0).max(4.0);
    let gap = fit.len(4.0).max(2.0);
    let inner = r.shrink(pad);

    // The title, and on its right how many of the asset's tags are not good.
    let not_good = t
        .asset_tags
        .iter()
        .filter(|id| cx.snap.get(**id).is_some_and(|s| !s.quality.is_good()))
        .count();
    let mut title_right = inner.max.x;
    let mut head_h = 0.0f32;
    if not_good > 0 {
        let chip = chip_with_font(
            &painter,
            inner.right_top(),
            Align2::RIGHT_TOP,
            &format!("{not_good} {}", cx.lang.pick("NOT GOOD", "CALIDAD MALA")),
            theme::QUALITY_BAD,
            body.clone(),
        );
        title_right = chip.min.x - gap;
        head_h = chip.height();
    }
    let title = t.title.get(cx.lang);
    let title_font = FontId::proportional(px(18.0).max(least * 1.2));
    let g = one_line(&painter, title, title_font, theme::text(), title_right - inner.min.x);
    head_h = head_h.max(g.size().y);
    painter.galley(inner.min, g, theme::text());
    let mut y = inner.min.y + head_h + gap;

    if let Some(state) = t.state {
        let st = cx.snap.get(state);
        let (text, fill, colour) = match st.filter(|s| s.quality.is_good()).and_then(|s| input_value(Some(s))) {
            Some(v) if v != 0.0 => (
                cx.lang.pick("RUNNING", "EN MARCHA"),
                theme::ink(crate::screen::Ink::Running),
                theme::ON_CHIP,
            ),
            Some(_) => (
                cx.lang.pick("STOPPED", "PARADO"),
                theme::ink(crate::screen::Ink::Stopped),
                theme::text(),
            ),
            None => (
                st.map_or(cx.lang.pick("NO DATA", "SIN DATOS"), |s| s.quality.label(cx.lang)),
                st.and_then(|s| readout::chip_colour(s.quality))
                    .unwrap_or(theme::QUALITY_BAD),
                theme::ON_CHIP,
            ),
        };
        let g = painter.layout_no_wrap(text.to_owned(), body.clone(), colour);
        let chip = Rect::from_min_size(pos2(inner.min.x, y), g.size() + vec2(10.0, 4.0));
        painter.rect(
            chip,
            3.0,
            fill,
            Stroke::new(1.0, theme::text_dim()),
            egui::StrokeKind::Inside,
        );
        painter.galley(chip.min + vec2(5.0, 2.0), g, colour);
        y = chip.max.y + gap;
    }

    // The asset's most urgent alarm, written out: what it is and the value that raised it.
    let urgent = cx
        .alarm_rows
        .iter()
        .filter(|a| a.state.is_annunciated() && t.asset_tags.contains(&a.def.tag))
        .min_by_key(|a| (a.def.priority, std::cmp::Reverse(a.state.is_unacked())));
    if let Some(a) = urgent {
        let p = a.def.priority;
        let value = if matches!(a.def.kind, crate::alarm::def::AlarmKind::BadQuality) {
            // The last value of a failed signal is not news; the message says what failed.
            String::new()
        } else {
            cx.loc()
                .value_text(&a.def.unit, a.alarm_value.as_ref().or(a.value.as_ref()), a.def.decimals)
        };
        let vg = painter.layout_no_wrap(value.clone(), mono.clone(), theme::value());
        let line_h = vg.size().y.max(px(13.0));
        let band = Rect::from_min_size(pos2(inner.min.x, y), vec2(inner.width(), line_h + 6.0));
        painter.rect(
            band,
            3.0,
            theme::alarm_tint(p),
            Stroke::new(1.5, theme::alarm_colour(p)),
            egui::StrokeKind::Inside,
        );
        let mark = Rect::from_min_size(
            pos2(band.min.x + 3.0, band.center().y - line_h * 0.5),
            Vec2::splat(line_h),
        );
        paint_indicator(&painter, mark, p, a.state, cx.now);
        let value_left = band.max.x - 4.0 - vg.size().x;
        painter.galley(
            pos2(value_left, band.center().y - vg.size().y * 0.5),
            vg,
            theme::value(),
        );
        let message = a.def.message.get(cx.lang);
        let left = mark.max.x + gap;
        let mg = one_line(&painter, message, body.clone(), theme::text(), value_left - gap - left);
        painter.galley(pos2(left, band.center().y - mg.size().y * 0.5), mg, theme::text());
        ui.interact(band, ui.scope_id().with(("tile-alarm", i)), Sense::hover())
            .widget_info(|| {
                let text = if value.is_empty() {
                    message.to_owned()
                } else {
                    format!("{message}: {value}")
                };
                egui::WidgetInfo::labeled(egui::Role::Label, true, text)
            });
        y = band.max.y + gap;
    }

    let row_h = ((inner.max.y - y) / t.values.len().max(1) as f32)
        .min(fit.len(40.0))
        .max(px(13.0) * 1.3);
    let since = cx.now.as_secs_f64() - 600.0;
    // The name and the value are what an operator reads; the sparkline gets the last fifth.
    let value_x = inner.min.x + inner.width() * 0.8;
    for (k, tag) in t.values.iter().enumerate() {
        let top = y + row_h * k as f32;
        if top + row_h > r.max.y {
            break; // no room for another row at a readable size
        }
        let Some(def) = cx.snap.directory.get(*tag) else {
            continue;
        };
        let state = cx.snap.get(*tag);
        let mid = top + row_h * 0.5;
        let good = state.is_some_and(|s| s.quality.is_good());
        let text = value_text(cx, def, state, None);
        let colour = if good { theme::value() } else { theme::text_dim() };
        let vg = painter.layout_no_wrap(text, mono.clone(), colour);
        let mut name_right = value_x - vg.size().x - gap;
        if let Some((p, st)) = cx.marks.get(tag) {
            // The value in alarm, on its alarm's colour and with its indicator.
            let row = Rect::from_min_max(pos2(r.min.x + pad * 0.5, top), pos2(r.max.x - pad * 0.5, top + row_h));
            painter.rect_filled(row, 2.0, theme::alarm_tint(*p));
            let s = vg.size().y;
            let at = Rect::from_center_size(pos2(name_right - s * 0.5, mid), Vec2::splat(s));
            paint_indicator(&painter, at, *p, *st, cx.now);
            name_right = at.min.x - gap;
        }
        painter.galley(pos2(value_x - vg.size().x, mid - vg.size().y * 0.5), vg, colour);
        let name = def.label_in(cx.lang);
        if name_right - inner.min.x >= least {
            let ng = one_line(
                &painter,
                &name,
                body.clone(),
                theme::text_dim(),
                name_right - inner.min.x,
            );
            painter.galley(pos2(inner.min.x, mid - ng.size().y * 0.5), ng, theme::text_dim());
        }
        let spark = Rect::from_min_max(
            pos2(value_x + pad, top + row_h * 0.15),
            pos2(inner.max.x, top + row_h * 0.85),
        );
        sparkline(
            &painter,
            spark,
            cx.history,
            *tag,
            since,
            cx.now.as_secs_f64(),
            def.range,
        );
    }
    let resp = ui.interact(r, ui.scope_id().with(("tile", i)), Sense::click());
    resp.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, title));
    if resp.clicked()
        && let Some(to) = &t.to
    {
        view.open(to);
    }
}

/// `text` on one line, cut to `width` points with "…" when longer.
fn one_line(painter: &egui::Painter, text: &str, font: FontId, colour: Color32, width: f32) -> Arc<egui::Galley> {
    let mut job = egui::text::LayoutJob::simple_singleline(text.to_owned(), font, colour);
    job.wrap = egui::text::TextWrapping::truncate_at_width(width.max(1.0));
    painter.layout_job(job)
}

fn sparkline(
    painter: &egui::Painter,
    r: Rect,
    h: &LiveHistory,
    tag: TagId,
    from: f64,
    to: f64,
    range: Option<(f64, f64)>,
) {
    let pts: Vec<(f64, Option<f64>)> = h.since(tag, from).collect();
    // Scaled to the data (the shape of recent change is the point), but never to less than 5 % of the
    // instrument range, so noise on a steady value stays a near-flat line.
    let vs = pts.iter().filter_map(|p| p.1);
    let (lo, hi) = (
        vs.clone().fold(f64::INFINITY, f64::min),
        vs.fold(f64::NEG_INFINITY, f64::max),
    );
    let least = range.map_or(1e-6, |(a, b)| (b - a).abs() * 0.05).max(1e-6);
    let mid = (lo + hi) * 0.5;
    let half = ((hi - lo) * 0.5).max(least * 0.5);
    let (lo, hi) = if lo.is_finite() {
        (mid - half, mid + half)
    } else {
        (0.0, 1.0)
    };
    let at = |t: f64, v: f64| {
        pos2(
            r.min.x + r.width() * ((t - from) / (to - from)) as f32,
            r.max.y - r.height() * scaled(v, lo, hi),
        )
    };
    lines_with_gaps(painter, pts.into_iter(), at, Stroke::new(1.2, theme::PENS[0]));
    painter.line_segment(
        [r.left_bottom(), r.right_bottom()],
        Stroke::new(0.5, theme::tile_stroke()),
    );
}

/// Recent values as lines, broken where a value was bad: a gap is never drawn as data.
fn lines_with_gaps(
    painter: &egui::Painter,
    points: impl Iterator<Item = (f64, Option<f64>)>,
    at: impl Fn(f64, f64) -> Pos2,
    stroke: Stroke,
) {
    let mut run: Vec<Pos2> = Vec::new();
    for (t, v) in points.chain(std::iter::once((0.0, None))) {
        match v {
            Some(v) => run.push(at(t, v)),
            None if run.len() > 1 => {
                painter.add(Shape::line(std::mem::take(&mut run), stroke));
            }
            None => run.clear(),
        }
    }
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

/// Paints `text` from `left_center`, cut with "…" where it would be wider than `max_width`: a label must
/// never run under the value beside it.
fn text_within(painter: &egui::Painter, left_center: Pos2, text: &str, font: FontId, colour: Color32, max_width: f32) {
    let mut job = egui::text::LayoutJob::simple_singleline(text.to_owned(), font, colour);
    job.wrap = egui::text::TextWrapping::truncate_at_width(max_width.max(0.0));
    let g = painter.layout_job(job);
    let at = Align2::LEFT_CENTER.anchor_size(left_center, g.size());
    painter.galley(at.min, g, colour);
}

/// How wide `text` is in `font`, on one line.
fn text_width(ui: &Ui, text: &str, font: &FontId) -> f32 {
    ui.painter()
        .layout_no_wrap(text.to_owned(), font.clone(), theme::text())
        .size()
        .x
}

/// A button's font for a box `width` points wide: `size` (canvas units), or smaller where the box is too
/// narrow for the text on one line. A button's text is never wrapped: a word broken in two misreads.
fn fitted_font(ui: &Ui, fit: &Fit, text: &str, size: f32, width: f32) -> FontId {
    let mut font = fit.font(size);
    let room = width - 2.0 * ui.spacing().button_padding.x;
    let needed = text_width(ui, text, &font);
    if needed > room && needed > 0.0 {
        font.size = (font.size * room.max(0.0) / needed).max(9.0);
    }
    font
}

fn command_ui(ui: &mut Ui, fit: &Fit, c: &CommandButton, view: &mut ScreenView, cx: &DrawCtx<'_>) {
    let label = c.label.get(cx.lang).to_owned();
    let r = fit.r(c.rect);
    let font = fitted_font(ui, fit, &label, 15.0, r.width());
    let b = egui::Button::new(egui::RichText::new(&label).font(font).strong()).wrap_mode(egui::TextWrapMode::Extend);
    let resp = ui
        .put(r, |ui: &mut Ui| ui.add_enabled(cx.may_command, b))
        .on_disabled_hover_text(cx.lang.pick(
            "Your role may not command equipment",
            "Su rol no permite comandar equipos",
        ));
    if resp.clicked() {
        view.pending = Some(PendingCommand {
            tag: c.tag,
            value: c.value.clone(),
            question: c.confirm.get(cx.lang).to_owned(),
            label,
        });
    }
}

/// A writable number: its value row with a Set button that opens keypad entry.
fn setpoint_ui(
    ui: &mut Ui,
    painter: &egui::Painter,
    fit: &Fit,
    v: &ValueLabel,
    i: usize,
    view: &mut ScreenView,
    cx: &DrawCtx<'_>,
) {
    let r = fit.r(v.rect);
    // The button is as wide as its word ("Ajustar" is wider than "Set"); the value row takes the rest.
    let set = cx.lang.pick("Set", "Ajustar");
    let font = fit.font(14.0);
    let button_w = (text_width(ui, set, &font) + 2.0 * ui.spacing().button_padding.x)
        .max(r.height() * 2.2)
        .max(48.0);
    let row = Rect::from_min_max(r.min, pos2(r.max.x - button_w - 4.0, r.max.y));
    let row_box = Boxed::new(v.rect.at, Pt::new((row.width() / fit.k).max(1.0), v.rect.size.y));
    value_ui(
        ui,
        painter,
        fit,
        &ValueLabel {
            rect: row_box,
            ..v.clone()
        },
        i,
        cx,
    );
    let label = match (&v.label, cx.snap.directory.get(v.tag)) {
        (Some(l), _) => l.get(cx.lang).to_owned(),
        (None, Some(d)) => d.label_in(cx.lang).into_owned(),
        (None, None) => return,
    };
    let text = format!("{set} {label}");
    let b = egui::Button::new(RichText::new(set).font(font)).wrap_mode(egui::TextWrapMode::Extend);
    let resp = ui
        .put(
            Rect::from_min_max(pos2(r.max.x - button_w, r.min.y), r.max),
            |ui: &mut Ui| ui.add_enabled(cx.may_command, b),
        )
        .on_disabled_hover_text(cx.lang.pick(
            "Your role may not change setpoints",
            "Su rol no permite cambiar consignas",
        ));
    resp.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, cx.may_command, &text));
    if resp.clicked() {
        view.entry = Some(SetpointEntry::new(v.tag, label));
    }
}

fn entry_ui(ui: &Ui, view: &mut ScreenView, cx: &DrawCtx<'_>) -> Option<ScreenAction> {
    let entry = view.entry.as_mut()?;
    let key = if cx.touch { theme::TOUCH_TARGET } else { 48.0 };
    match setpoint_dialog_ui(ui.ctx(), entry, cx.snap, cx.loc(), key) {
        EntryOutcome::Open => None,
        EntryOutcome::Cancelled => {
            view.entry = None;
            None
        }
        EntryOutcome::Write(tag, value) => {
            view.entry = None;
            cx.may_command.then_some(ScreenAction::Write { tag, value })
        }
    }
}

/// The value a confirmed command writes now (a toggle reads the tag at the moment of confirming).
fn command_value(v: &CommandValue, state: Option<&TagState>, def: Option<&TagDef>) -> Option<Value> {
    match v {
        CommandValue::Set(v) => Some(v.clone()),
        CommandValue::Toggle => {
            let on = input_value(state.filter(|s| s.quality.is_good()))? != 0.0;
            Some(match def.map(|d| d.kind) {
                Some(crate::tag::ValueKind::Bool) => Value::Bool(!on),
                Some(crate::tag::ValueKind::I64) => Value::I64(i64::from(!on)),
                _ => Value::F64(if on { 0.0 } else { 1.0 }),
            })
        }
    }
}

fn confirm_ui(ui: &mut Ui, view: &mut ScreenView, cx: &DrawCtx<'_>) -> Option<ScreenAction> {
    let p = view.pending.clone()?;
    let mut out = None;
    let mut close = false;
    egui::Modal::new(egui::Id::unique("screen-command-confirm")).show(ui.ctx(), |ui| {
        ui.set_width(420.0);
        ui.heading(&p.label);
        ui.add_space(6.0);
        ui.label(&p.question);
        let def = cx.snap.directory.get(p.tag);
        let value = command_value(&p.value, cx.snap.get(p.tag), def);
        if let Some(d) = def {
            match &value {
                Some(v) => ui.label(
                    egui::RichText::new(format!(
                        "{} {} {} {}",
                        cx.lang.pick("writes", "escribe"),
                        cx.loc().value_text(&d.unit, Some(v), d.decimals),
                        cx.lang.pick("to", "en"),
                        d.name
                    ))
                    .color(theme::text_dim()),
                ),
                None => ui.label(
                    egui::RichText::new(format!(
                        "{} {}",
                        d.name,
                        cx.lang.pick(
                            "has no good value to toggle from: not sent",
                            "no tiene un valor bueno desde el cual alternar: no se envía",
                        )
                    ))
                    .color(theme::QUALITY_BAD),
                ),
            };
        }
        ui.add_space(10.0);
        ui.horizontal(|ui| {
            let ok = ui.add_enabled(
                value.is_some() && cx.may_command,
                egui::Button::new(cx.lang.pick("Confirm", "Confirmar")),
            );
            if ok.clicked() {
                out = value.clone().map(|value| ScreenAction::Write { tag: p.tag, value });
                close = true;
            }
            if ui.button(cx.lang.pick("Cancel", "Cancelar")).clicked() {
                close = true;
            }
        });
    });
    if close {
        view.pending = None;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn a_trend_box_names_its_pens_as_briefly_as_they_stay_distinct() {
        let project = crate::project::Project::demo().expect("demo is valid");
        let dir = &project.site.tags;
        let names = |tags: &[&str], lang| {
            let defs: Vec<&TagDef> = tags.iter().filter_map(|t| dir.by_name(t)).collect();
            pen_names(&defs, lang)
                .into_iter()
                .map(Cow::into_owned)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            names(&["esp01/rate", "esp01/motor_temp"], Lang::Es),
            ["Caudal de líquido", "Temperatura del motor"]
        );
        assert_eq!(names(&["esp01/rate", "esp02/rate"], Lang::Es), ["ESP01", "ESP02"]);
        assert_eq!(
            names(&["ct01/weight", "esp01/rate"], Lang::En),
            ["CT01 Weight", "ESP01 Liquid rate"]
        );
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
