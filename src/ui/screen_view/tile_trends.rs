//! What a screen draws from recent history (`LiveHistory`): embedded trend boxes, and well tiles with their
//! state, most urgent alarm and sparklines. A gap in the data is a gap in the line, never drawn as data.
//!
//! A trend box asks for the Trends page and a tile opens its screen; neither sends anything.

use super::canvas::{Fit, chip_with_font, input_value, scaled, value_text};
use super::navigation::ScreenView;
use super::{DrawCtx, ScreenAction};
use crate::lang::Lang;
use crate::screen::def::{TrendBox, WellTile};
use crate::tag::{TagDef, TagId};
use crate::ui::alarm_symbol::paint_indicator;
use crate::ui::screen_history::LiveHistory;
use crate::ui::{readout, theme};
use egui::{Align2, Color32, FontId, Pos2, Rect, Sense, Shape, Stroke, Ui, Vec2, pos2, vec2};
use std::borrow::Cow;
use std::sync::Arc;

/// Lines of recent values, each pen on its own tag's range; gaps where data was bad. Click: Trends page.
pub(super) fn trend_ui(
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
pub(super) fn tile_ui(
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
    let m = TileMetrics::new(fit, r, cx.touch);
    let title = t.title.get(cx.lang);
    // Top to bottom, each part starting where the one above ended.
    let mut y = paint_tile_head(&painter, &m, t, title, cx);
    if let Some(state) = t.state {
        y = paint_tile_state(&painter, &m, state, y, cx);
    }
    y = tile_alarm_ui(ui, &painter, &m, t, i, y, cx);
    paint_tile_values(&painter, &m, t, y, cx);
    let resp = ui.interact(r, ui.scope_id().with(("tile", i)), Sense::click());
    resp.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, title));
    if resp.clicked()
        && let Some(to) = &t.to
    {
        view.open(to);
    }
}

/// A tile's box and the sizes its parts share. Text sizes go through `px`, so none falls below `least`.
struct TileMetrics<'f> {
    fit: &'f Fit,
    /// The tile on the screen.
    r: Rect,
    /// The tile less its padding: where text goes.
    inner: Rect,
    /// The smallest text size: `theme::TEXT_TILE_MIN`, larger in touch mode.
    least: f32,
    pad: f32,
    gap: f32,
    body: FontId,
    mono: FontId,
}

impl<'f> TileMetrics<'f> {
    fn new(fit: &'f Fit, r: Rect, touch: bool) -> Self {
        let least = theme::TEXT_TILE_MIN * if touch { theme::TOUCH_TEXT_SCALE } else { 1.0 };
        let px = |size: f32| fit.len(size).max(least);
        let pad = fit.len(8.0).max(4.0);
        Self {
            fit,
            r,
            inner: r.shrink(pad),
            least,
            pad,
            gap: fit.len(4.0).max(2.0),
            body: FontId::proportional(px(12.0)),
            mono: FontId::monospace(px(13.0)),
        }
    }

    /// A text size in canvas units on the screen, never below `least`.
    fn px(&self, size: f32) -> f32 {
        self.fit.len(size).max(self.least)
    }
}

/// The title, and on its right how many of the asset's tags are not good. Returns the top of the next part.
fn paint_tile_head(painter: &egui::Painter, m: &TileMetrics<'_>, t: &WellTile, title: &str, cx: &DrawCtx<'_>) -> f32 {
    let inner = m.inner;
    let not_good = t
        .asset_tags
        .iter()
        .filter(|id| cx.snap.get(**id).is_some_and(|s| !s.quality.is_good()))
        .count();
    let mut title_right = inner.max.x;
    let mut head_h = 0.0f32;
    if not_good > 0 {
        let chip = chip_with_font(
            painter,
            inner.right_top(),
            Align2::RIGHT_TOP,
            &format!("{not_good} {}", cx.lang.pick("NOT GOOD", "CALIDAD MALA")),
            theme::QUALITY_BAD,
            m.body.clone(),
        );
        title_right = chip.min.x - m.gap;
        head_h = chip.height();
    }
    let title_font = FontId::proportional(m.px(18.0).max(m.least * 1.2));
    let g = one_line(painter, title, title_font, theme::text(), title_right - inner.min.x);
    head_h = head_h.max(g.size().y);
    painter.galley(inner.min, g, theme::text());
    inner.min.y + head_h + m.gap
}

/// The asset's running state as a chip at `y` (its quality when the state tag is not good). Returns the top
/// of the next part.
fn paint_tile_state(painter: &egui::Painter, m: &TileMetrics<'_>, state: TagId, y: f32, cx: &DrawCtx<'_>) -> f32 {
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
    let g = painter.layout_no_wrap(text.to_owned(), m.body.clone(), colour);
    let chip = Rect::from_min_size(pos2(m.inner.min.x, y), g.size() + vec2(10.0, 4.0));
    painter.rect(
        chip,
        3.0,
        fill,
        Stroke::new(1.0, theme::text_dim()),
        egui::StrokeKind::Inside,
    );
    painter.galley(chip.min + vec2(5.0, 2.0), g, colour);
    chip.max.y + m.gap
}

/// The asset's most urgent alarm, written out at `y`: what it is and the value that raised it, readable by
/// its text (a widget of its own). Returns the top of the next part (`y` when no alarm is in).
fn tile_alarm_ui(
    ui: &Ui,
    painter: &egui::Painter,
    m: &TileMetrics<'_>,
    t: &WellTile,
    i: usize,
    y: f32,
    cx: &DrawCtx<'_>,
) -> f32 {
    let urgent = cx
        .alarm_rows
        .iter()
        .filter(|a| a.state.is_annunciated() && t.asset_tags.contains(&a.def.tag))
        .min_by_key(|a| (a.def.priority, std::cmp::Reverse(a.state.is_unacked())));
    let Some(a) = urgent else {
        return y;
    };
    let (inner, gap) = (m.inner, m.gap);
    let p = a.def.priority;
    let value = if matches!(a.def.kind, crate::alarm::def::AlarmKind::BadQuality) {
        // The last value of a failed signal is not news; the message says what failed.
        String::new()
    } else {
        cx.loc()
            .value_text(&a.def.unit, a.alarm_value.as_ref().or(a.value.as_ref()), a.def.decimals)
    };
    let vg = painter.layout_no_wrap(value.clone(), m.mono.clone(), theme::value());
    let line_h = vg.size().y.max(m.px(13.0));
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
    paint_indicator(painter, mark, p, a.state, cx.now);
    let value_left = band.max.x - 4.0 - vg.size().x;
    painter.galley(
        pos2(value_left, band.center().y - vg.size().y * 0.5),
        vg,
        theme::value(),
    );
    let message = a.def.message.get(cx.lang);
    let left = mark.max.x + gap;
    let mg = one_line(painter, message, m.body.clone(), theme::text(), value_left - gap - left);
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
    band.max.y + gap
}

/// The tile's values from `y` down, one row each: name, value (on its alarm's colour when in alarm) and a
/// sparkline of the last ten minutes. Rows that no longer fit at a readable size are left out.
fn paint_tile_values(painter: &egui::Painter, m: &TileMetrics<'_>, t: &WellTile, y: f32, cx: &DrawCtx<'_>) {
    let (r, inner, pad, gap) = (m.r, m.inner, m.pad, m.gap);
    let row_h = ((inner.max.y - y) / t.values.len().max(1) as f32)
        .min(m.fit.len(40.0))
        .max(m.px(13.0) * 1.3);
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
        let vg = painter.layout_no_wrap(text, m.mono.clone(), colour);
        let mut name_right = value_x - vg.size().x - gap;
        if let Some((p, st)) = cx.marks.get(tag) {
            // The value in alarm, on its alarm's colour and with its indicator.
            let row = Rect::from_min_max(pos2(r.min.x + pad * 0.5, top), pos2(r.max.x - pad * 0.5, top + row_h));
            painter.rect_filled(row, 2.0, theme::alarm_tint(*p));
            let s = vg.size().y;
            let at = Rect::from_center_size(pos2(name_right - s * 0.5, mid), Vec2::splat(s));
            paint_indicator(painter, at, *p, *st, cx.now);
            name_right = at.min.x - gap;
        }
        painter.galley(pos2(value_x - vg.size().x, mid - vg.size().y * 0.5), vg, colour);
        let name = def.label_in(cx.lang);
        if name_right - inner.min.x >= m.least {
            let ng = one_line(
                painter,
                &name,
                m.body.clone(),
                theme::text_dim(),
                name_right - inner.min.x,
            );
            painter.galley(pos2(inner.min.x, mid - ng.size().y * 0.5), ng, theme::text_dim());
        }
        let spark = Rect::from_min_max(
            pos2(value_x + pad, top + row_h * 0.15),
            pos2(inner.max.x, top + row_h * 0.85),
        );
        sparkline(painter, spark, cx.history, *tag, since, cx.now.as_secs_f64(), def.range);
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
