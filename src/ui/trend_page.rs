//! Trends: up to 16 pens over time, live or paused, with history backfilled from the historian when the
//! operator pans into the past; and the CT depth plot (weight or pressure against depth, by pass).
//!
//! The live edge comes from the snapshots (collected every frame, whichever page is open); the past comes
//! from the historian's query thread (`TrendReader`), asked without waiting and drawn when it answers.
//! Each pen is drawn on its own scale (its instrument range, else its data) with its own axis.
//! Pens come from the pen picker here or a tag's row on the Tags page, both through `add_pen`.
//! The view state (`View`) is the one truth for the time axis: the plot is told it every frame and what the
//! operator does to the plot (drag, wheel, pinch) comes back into it the same frame. Language and units
//! are the console's (its context), read as the page draws. Where the console keeps CT jobs, the jobs'
//! operation starts and actual start and end are marked on the time axis (`ui::job::marks`).

use super::context::Console;
use super::page::{FrameInputs, PageView, ShellAction};
use super::tag_browser::search;
use super::theme;
use crate::historian::Resolution;
use crate::historian::reader::{PenData, TrendAnswer, TrendQuery, TrendReader, TrendRequest};
use crate::historian::xy::Direction;
use crate::hub::Snapshot;
use crate::lang::Lang;
use crate::locale::Locale;
use crate::tag::{TagDef, Timestamp};
use crate::units::Shown;
use egui::{AtomExt as _, Color32, RichText, Ui};
use egui_plot::{AxisHints, HoverPosition, Line, Plot, PlotPoint, PlotPoints, Points, VLine};
use std::collections::VecDeque;
use std::time::{Duration, Instant};

pub const MAX_PENS: usize = 16;
/// Live points kept per pen (100 Hz for over half an hour).
const LIVE_MAX: usize = 200_000;
/// Axes drawn beside the plot; further pens read their values in the table.
const MAX_AXES: usize = 4;
const WINDOWS: [(&str, f64); 6] = [
    ("1 min", 60.0),
    ("10 min", 600.0),
    ("1 h", 3_600.0),
    ("8 h", 28_800.0),
    ("24 h", 86_400.0),
    ("7 d", 604_800.0),
];
/// How often the live view asks the historian again (it commits once a second).
const LIVE_REFRESH: Duration = Duration::from_millis(1_000);
const DEPTH_REFRESH: Duration = Duration::from_millis(2_000);
/// History shown on the depth plot.
const DEPTH_SPAN_S: f64 = 86_400.0;
/// The narrowest and widest time spans the wheel zooms to: a few samples' worth, and a month (the
/// historian answers any span at the plot's pixel width).
const MIN_SPAN_S: f64 = 5.0;
const MAX_SPAN_S: f64 = 31.0 * 86_400.0;

pub struct Pen {
    pub tag: String,
    color: Color32,
    /// (seconds since the epoch, value; `None` breaks the line).
    live: VecDeque<(f64, Option<f64>)>,
    last_update: u64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum View {
    Live,
    Paused { from: f64, to: f64 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrendTab {
    Time,
    Depth,
}

pub struct TrendPageState {
    pens: Vec<Pen>,
    window_s: f64,
    view: View,
    generation: u64,
    asked: Option<(Instant, f64, f64, usize)>,
    answer: Option<TrendAnswer>,
    cursor: Option<f64>,
    pub tab: TrendTab,
    depth_value: usize,
    depth_asked: Option<Instant>,
    depth_answer: Option<TrendAnswer>,
    pub notice: Option<String>,
    picker: Option<PenPicker>,
    /// The historian's query thread (`None`: live data only).
    reader: Option<TrendReader>,
    /// The job records, whose operations and jobs are marked on the time axis (`None`: no marks).
    jobs: Option<crate::job::writer::JobPort>,
}

/// The pen picker while it is open.
struct PenPicker {
    query: String,
    /// Until the search field has taken the keyboard once, so the operator can type at once.
    focus_wanted: bool,
}

impl Default for TrendPageState {
    fn default() -> Self {
        Self {
            pens: Vec::new(),
            window_s: 600.0,
            view: View::Live,
            generation: 0,
            asked: None,
            answer: None,
            cursor: None,
            tab: TrendTab::Time,
            depth_value: 0,
            depth_asked: None,
            depth_answer: None,
            notice: None,
            picker: None,
            reader: None,
            jobs: None,
        }
    }
}

impl PageView for TrendPageState {
    fn ui(&mut self, ui: &mut Ui, console: &mut Console, frame: &FrameInputs<'_>) -> Option<ShellAction> {
        // Taken out while the page draws (the page's state is borrowed whole), then put back.
        let reader = self.reader.take();
        trend_page_ui(ui, self, frame.snap, frame.now, reader.as_ref(), console.locale());
        self.reader = reader;
        None
    }
}

impl TrendPageState {
    /// A trend reading history through `reader` (`None`: live data only).
    pub fn with_reader(reader: Option<TrendReader>) -> Self {
        Self {
            reader,
            ..Self::default()
        }
    }

    /// The same, marking the jobs of `jobs` on the time axis.
    pub fn with_jobs(self, jobs: Option<crate::job::writer::JobPort>) -> Self {
        Self { jobs, ..self }
    }

    pub fn pens(&self) -> impl Iterator<Item = &str> {
        self.pens.iter().map(|p| p.tag.as_str())
    }

    /// Points of history (not live) the last answer brought, over all pens.
    pub fn history_points(&self) -> usize {
        self.answer.as_ref().map_or(0, |a| {
            a.pens
                .iter()
                .map(|p| match p {
                    Ok(PenData::Time { segments, .. }) => segments.iter().map(Vec::len).sum(),
                    _ => 0,
                })
                .sum()
        })
    }

    pub fn is_live(&self) -> bool {
        self.view == View::Live
    }

    /// The time span shown while paused (seconds since the epoch); `None` while live.
    pub fn paused_span(&self) -> Option<(f64, f64)> {
        match self.view {
            View::Live => None,
            View::Paused { from, to } => Some((from, to)),
        }
    }

    /// Adds a pen (from a tag's row, the pen picker or a screen); refuses a 17th and a duplicate, saying why.
    pub fn add_pen(&mut self, tag: &str, lang: Lang) -> Result<(), String> {
        if self.pens.iter().any(|p| p.tag == tag) {
            return Err(match lang {
                Lang::En => format!("{tag} is already on the trend"),
                Lang::Es => format!("{tag} ya está en la tendencia"),
            });
        }
        if self.pens.len() >= MAX_PENS {
            return Err(match lang {
                Lang::En => format!("a trend holds {MAX_PENS} pens; remove one first"),
                Lang::Es => format!("una tendencia admite {MAX_PENS} plumas; quite una primero"),
            });
        }
        let used: Vec<Color32> = self.pens.iter().map(|p| p.color).collect();
        let color = theme::PENS
            .iter()
            .copied()
            .find(|c| !used.contains(c))
            .unwrap_or(theme::PENS[self.pens.len() % theme::PENS.len()]);
        self.pens.push(Pen {
            tag: tag.to_owned(),
            color,
            live: VecDeque::new(),
            last_update: u64::MAX,
        });
        self.asked = None;
        Ok(())
    }

    /// Adds a pen as an operator asked for it (a tag's row, the pen picker) and says in `notice` that it
    /// was added, or why not.
    pub fn put_on_trend(&mut self, tag: &str, lang: Lang) {
        self.notice = Some(match self.add_pen(tag, lang) {
            Ok(()) => format!("{tag} {}", lang.pick("added to the trend", "agregado a la tendencia")),
            Err(why) => why,
        });
    }

    pub fn remove_pen(&mut self, tag: &str) {
        self.pens.retain(|p| p.tag != tag);
        self.asked = None;
    }

    /// Takes each pen's newest value from the snapshot. Called every frame, whatever page is shown.
    pub fn collect(&mut self, snap: &Snapshot) {
        for pen in &mut self.pens {
            let Some(id) = snap.directory.id_of(&pen.tag) else {
                continue;
            };
            let Some(s) = snap.get(id) else { continue };
            if s.updates == pen.last_update || s.updates == 0 {
                continue;
            }
            pen.last_update = s.updates;
            let t = s.source_ts.as_secs_f64();
            if pen.live.back().is_some_and(|&(last, _)| t < last) {
                continue;
            }
            let v = if s.quality.is_bad() {
                None
            } else {
                s.value.as_ref().and_then(|v| v.as_f64())
            };
            pen.live.push_back((t, v));
            if pen.live.len() > LIVE_MAX {
                pen.live.pop_front();
            }
        }
    }

    fn ask(&mut self, reader: Option<&TrendReader>, from: f64, to: f64, width: usize) {
        let Some(reader) = reader else { return };
        if self.pens.is_empty() {
            return;
        }
        self.generation += 1;
        reader.request(TrendRequest {
            generation: self.generation,
            query: TrendQuery::Time {
                pens: self.pens.iter().map(|p| p.tag.clone()).collect(),
                from: (from * 1e6) as i64,
                to: (to * 1e6) as i64,
                width,
            },
        });
        self.asked = Some((Instant::now(), from, to, width));
    }
}

/// One pen's line points in its own 0..1 scale, and that scale.
struct Drawn {
    segments: Vec<Vec<PlotPoint>>,
    lo: f64,
    hi: f64,
}

/// Where the central store's part of the answer ends (seconds), when some pen's older history came from
/// it.
fn archived_until(answer: Option<&TrendAnswer>) -> Option<f64> {
    answer?
        .pens
        .iter()
        .filter_map(|p| match p {
            Ok(PenData::Time {
                archived: Some((_, until)),
                ..
            }) => Some(*until as f64 / 1e6),
            _ => None,
        })
        .reduce(f64::max)
}

fn history_segments<'a>(answer: Option<&'a TrendAnswer>, tag: &str) -> Option<&'a [Vec<[f64; 2]>]> {
    let a = answer?;
    let TrendQuery::Time { pens, .. } = &a.query else {
        return None;
    };
    let i = pens.iter().position(|p| p == tag)?;
    match a.pens.get(i)? {
        Ok(PenData::Time { segments, .. }) => Some(segments),
        _ => None,
    }
}

/// A pen's lines in the console's units (`shown`), each scaled to the tag's range.
fn draw_pen(
    pen: &Pen,
    def: Option<&TagDef>,
    hist: Option<&[Vec<[f64; 2]>]>,
    from: f64,
    to: f64,
    shown: Shown<'_>,
) -> Drawn {
    let mut raw: Vec<Vec<[f64; 2]>> = hist.map(<[_]>::to_vec).unwrap_or_default();
    let hist_end = raw.iter().flatten().map(|p| p[0]).fold(f64::NEG_INFINITY, f64::max);
    // The live edge continues where committed history ends.
    let mut seg: Vec<[f64; 2]> = Vec::new();
    for &(t, v) in pen.live.iter().filter(|(t, _)| *t > hist_end && *t >= from - 1.0) {
        match v {
            Some(v) => seg.push([t, v]),
            None if !seg.is_empty() => raw.push(std::mem::take(&mut seg)),
            None => {}
        }
    }
    if !seg.is_empty() {
        raw.push(seg);
    }
    if !shown.is_identity() {
        for p in raw.iter_mut().flatten() {
            p[1] = shown.value(p[1]);
        }
    }
    let (lo, hi) = match def.and_then(|d| d.range) {
        Some(r) => shown.range(r),
        None => {
            let vis = raw.iter().flatten().filter(|p| p[0] >= from && p[0] <= to);
            let (lo, hi) = vis.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
                (lo.min(p[1]), hi.max(p[1]))
            });
            if lo.is_finite() && hi > lo {
                let pad = (hi - lo) * 0.05;
                (lo - pad, hi + pad)
            } else if lo.is_finite() {
                (lo - 1.0, lo + 1.0)
            } else {
                (0.0, 1.0)
            }
        }
    };
    let span = (hi - lo).max(f64::MIN_POSITIVE);
    let segments = raw
        .into_iter()
        .map(|s| s.into_iter().map(|[t, v]| PlotPoint::new(t, (v - lo) / span)).collect())
        .collect();
    Drawn { segments, lo, hi }
}

/// The span `from..to` zoomed by `factor` (above 1 zooms in) about the point `at` of the way across it
/// (0 the left edge, 1 the right), which stays where it is on the screen; kept within
/// `MIN_SPAN_S..=MAX_SPAN_S`.
fn zoom_time(from: f64, to: f64, at: f64, factor: f64) -> (f64, f64) {
    let at = at.clamp(0.0, 1.0);
    let anchor = from + at * (to - from);
    let span = ((to - from) / factor).clamp(MIN_SPAN_S, MAX_SPAN_S);
    let from = anchor - at * span;
    (from, from + span)
}

/// The value a pen had at time `t` (the last point at or before it), in the units shown.
fn value_at(d: &Drawn, t: f64) -> Option<f64> {
    let mut best: Option<PlotPoint> = None;
    for seg in &d.segments {
        let k = seg.partition_point(|p| p.x <= t);
        if k > 0 && best.is_none_or(|b| seg[k - 1].x > b.x) {
            best = Some(seg[k - 1]);
        }
    }
    best.map(|p| d.lo + p.y * (d.hi - d.lo))
}

fn local_time(secs: f64, with_seconds: bool) -> String {
    let t = Timestamp::from_secs_f64(secs);
    let full = t.to_local_hms();
    if with_seconds { full } else { full[..5].to_owned() }
}

fn trend_page_ui(
    ui: &mut Ui,
    st: &mut TrendPageState,
    snap: &Snapshot,
    now: Timestamp,
    reader: Option<&TrendReader>,
    loc: Locale,
) {
    let lang = loc.lang;
    if let Some(r) = reader {
        // Answers to older questions are dropped: only the newest view matters.
        while let Some(a) = r.poll() {
            match a.query {
                TrendQuery::Time { .. } if a.generation == st.generation => st.answer = Some(a),
                TrendQuery::Depth { .. } => st.depth_answer = Some(a),
                _ => {}
            }
        }
    }
    ui.horizontal(|ui| {
        ui.selectable_value(
            &mut st.tab,
            TrendTab::Time,
            lang.pick("Time trend", "Tendencia en el tiempo"),
        );
        ui.selectable_value(
            &mut st.tab,
            TrendTab::Depth,
            lang.pick("CT depth plot", "Gráfico por profundidad TF"),
        );
        ui.separator();
        if reader.is_none() {
            let off = lang.pick("History off: live data only", "Histórico apagado: solo datos en vivo");
            ui.label(RichText::new(off).color(theme::text_dim()));
        }
    });
    match st.tab {
        TrendTab::Time => time_ui(ui, st, snap, now, reader, loc),
        TrendTab::Depth => depth_ui(ui, st, snap, now, reader, loc),
    }
    pen_picker_ui(ui.ctx(), st, snap, lang);
}

/// The row above the plot: add a pen, the time window, live or paused, the cursor, the history's resolution.
fn toolbar_ui(ui: &mut Ui, st: &mut TrendPageState, now_s: f64, lang: Lang) {
    if ui
        .button(lang.pick("+ Pen", "+ Pluma"))
        .on_hover_text(lang.pick(
            "Find a tag by name or description and plot it",
            "Buscar un tag por nombre o descripción y graficarlo",
        ))
        .clicked()
    {
        st.picker = Some(PenPicker {
            query: String::new(),
            focus_wanted: true,
        });
    }
    ui.separator();
    for (label, secs) in WINDOWS {
        if ui.selectable_label((st.window_s - secs).abs() < 0.5, label).clicked() {
            st.window_s = secs;
            if let View::Paused { to, .. } = st.view {
                st.view = View::Paused { from: to - secs, to };
            }
            st.asked = None;
        }
    }
    ui.separator();
    match st.view {
        View::Live => {
            if ui
                .button(lang.pick("Pause", "Pausa"))
                .on_hover_text(lang.pick(
                    "Freeze the view; drag or zoom to look back",
                    "Congela la vista; arrastre o haga zoom para mirar atrás",
                ))
                .clicked()
            {
                st.view = View::Paused {
                    from: now_s - st.window_s,
                    to: now_s,
                };
            }
            ui.label(RichText::new(lang.pick("LIVE", "EN VIVO")).strong());
        }
        View::Paused { .. } => {
            if ui.button(lang.pick("Resume live", "Volver a en vivo")).clicked() {
                st.view = View::Live;
                st.asked = None;
            }
            ui.label(
                RichText::new(lang.pick("PAUSED", "EN PAUSA"))
                    .color(theme::text_dim())
                    .strong(),
            );
        }
    }
    if st.cursor.is_some() && ui.button(lang.pick("Clear cursor", "Quitar cursor")).clicked() {
        st.cursor = None;
    }
    if let Some(a) = &st.answer
        && let Some(Ok(PenData::Time { resolution, .. })) = a.pens.first()
    {
        let history = lang.pick("history", "histórico");
        let resolution = match resolution {
            Resolution::Raw => lang.pick("raw", "sin agregar"),
            other => other.label(),
        };
        ui.label(RichText::new(format!("{history}: {resolution}")).color(theme::text_dim()));
        if let Some(t) = archived_until(Some(a)) {
            // With its date: local history usually starts days or months back.
            let when = chrono::DateTime::from_timestamp_micros(Timestamp::from_secs_f64(t).0).map_or_else(
                || local_time(t, false),
                |d| d.with_timezone(&chrono::Local).format("%Y-%m-%d %H:%M").to_string(),
            );
            ui.label(
                RichText::new(match lang {
                    crate::lang::Lang::En => format!("before {when}: central store"),
                    crate::lang::Lang::Es => format!("antes de {when}: almacén central"),
                })
                .color(theme::text_dim()),
            )
            .on_hover_text(lang.pick(
                "This console no longer keeps that period; the line there is read from the central database.",
                "Esta consola ya no guarda ese período; la línea allí se lee de la base de datos central.",
            ));
        }
    }
}

fn time_ui(
    ui: &mut Ui,
    st: &mut TrendPageState,
    snap: &Snapshot,
    now: Timestamp,
    reader: Option<&TrendReader>,
    loc: Locale,
) {
    let lang = loc.lang;
    let now_s = now.as_secs_f64();
    ui.horizontal(|ui| toolbar_ui(ui, st, now_s, lang));
    if st.pens.is_empty() {
        ui.add_space(24.0);
        ui.label(lang.pick(
            "No pens yet. Add one with + Pen above, or from the Tags page (the + Trend button on each row).",
            "Aún no hay plumas. Agregue una con + Pluma arriba, o desde la página Tags (el botón + Tendencia de \
             cada fila).",
        ));
        return;
    }
    let (from, to) = match st.view {
        View::Live => (now_s - st.window_s, now_s),
        View::Paused { from, to } => (from, to),
    };
    let width = (ui.available_width().max(100.0) * ui.ctx().pixels_per_point()) as usize;
    let stale = match st.asked {
        None => true,
        Some((at, f, t, w)) => match st.view {
            View::Live => at.elapsed() >= LIVE_REFRESH || w != width,
            View::Paused { .. } => {
                (f - from).abs() > (to - from) / width as f64 || (t - to).abs() > (to - from) / width as f64
            }
        },
    };
    if stale {
        st.ask(reader, from, to, width);
    }
    let drawn: Vec<(usize, Drawn)> = st
        .pens
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let def = snap.directory.by_name(&p.tag);
            let shown = loc.units.shown(def.map_or("", |d| d.unit.as_str()));
            (
                i,
                draw_pen(p, def, history_segments(st.answer.as_ref(), &p.tag), from, to, shown),
            )
        })
        .collect();
    let table_h = 28.0 + 26.0 * st.pens.len() as f32;
    let plot_h = (ui.available_height() - table_h - 8.0).max(160.0);
    let mut axes: Vec<AxisHints> = Vec::new();
    for (i, d) in drawn.iter().take(MAX_AXES) {
        let (lo, hi) = (d.lo, d.hi);
        let pen = &st.pens[*i];
        let def = snap.directory.by_name(&pen.tag);
        let unit = def
            .map(|d| loc.units.shown(&d.unit).unit.to_owned())
            .unwrap_or_default();
        let name = def.map_or(pen.tag.clone(), |d| d.label_with_device_in(loc.lang).into_owned());
        axes.push(
            AxisHints::new_y()
                .label(RichText::new(format!("{name} {unit}")).color(pen.color))
                .formatter(move |m, _| {
                    let v = lo + m.value * (hi - lo);
                    if (hi - lo).abs() >= 100.0 {
                        format!("{v:.0}")
                    } else {
                        format!("{v:.2}")
                    }
                }),
        );
    }
    let span = to - from;
    let plot = Plot::new("trend")
        .height(plot_h)
        .custom_y_axes(axes)
        .x_axis_formatter(move |m, _| local_time(m.value, span < 7_200.0))
        .label_formatter(|h| match h {
            HoverPosition::NearDataPoint {
                plot_name, position, ..
            } => Some(format!("{plot_name}\n{}", local_time(position.x, true))),
            HoverPosition::Elsewhere { position } => Some(local_time(position.x, true)),
        })
        .allow_drag([true, false])
        .allow_zoom([true, false])
        .allow_scroll([true, false])
        .allow_boxed_zoom(false)
        .allow_double_click_reset(false)
        .auto_bounds([false, false])
        .show_grid([true, true]);
    let live = st.view == View::Live;
    let cursor = st.cursor;
    let archived = archived_until(st.answer.as_ref());
    let jobs = st.jobs.as_ref().map(|p| p.view.load_full());
    // The plain wheel zooms the time axis about the pointer, at egui's Ctrl+wheel speed: egui_plot's own
    // wheel only scrolls, and a vertical scroll means nothing where every pen has its own fixed scale.
    // Shift+wheel (a sideways scroll) pans and Ctrl+wheel or a pinch zooms, as egui_plot does them.
    let wheel = ui.input(|i| i.smooth_scroll_delta.y);
    let wheel_zoom = (ui.ctx().options(|o| o.input_options.scroll_zoom_speed) * wheel).exp();
    let response = plot.show(ui, |pu| {
        let (mut from, mut to) = (from, to);
        if wheel_zoom != 1.0
            && pu.response().contains_pointer()
            && let Some(pos) = pu.ctx().input(|i| i.pointer.hover_pos())
        {
            let frame = pu.response().rect;
            let at = f64::from((pos.x - frame.left()) / frame.width().max(1.0));
            (from, to) = zoom_time(from, to, at, f64::from(wheel_zoom));
            // Used here: a scroll area around the page must not scroll it as well.
            pu.ctx().input_mut(|i| i.smooth_scroll_delta.y = 0.0);
        }
        pu.set_plot_bounds_x(from..=to);
        pu.set_plot_bounds_y(-0.05..=1.05);
        for (i, d) in &drawn {
            let pen = &st.pens[*i];
            for seg in &d.segments {
                pu.line(
                    Line::new(pen.tag.clone(), PlotPoints::Borrowed(seg))
                        .color(pen.color)
                        .width(1.6),
                );
            }
        }
        if let Some(c) = cursor {
            pu.vline(VLine::new("cursor", c).color(theme::CURSOR).width(1.0));
        }
        if let Some(t) = archived {
            // Left of it, the line comes from the central store: this console's history starts here.
            let name = loc.lang.pick("◀ central store", "◀ almacén central");
            pu.vline(
                VLine::new(name, t)
                    .color(theme::text_dim())
                    .width(1.0)
                    .style(egui_plot::LineStyle::dashed_loose()),
            );
        }
        if let Some(view) = &jobs {
            super::job::marks::trend_marks(pu, view, from, to, loc.lang);
        }
        pu.pointer_coordinate()
    });
    let pointer = response.inner;
    let r = &response.response;
    // What the plot shows after this frame's drag, wheel and pinch. A live trend the operator moved pauses
    // where they took it (as a drag or a wheel); a paused one follows the plot.
    let shown = response.transform.bounds();
    let (shown_from, shown_to) = (shown.min()[0], shown.max()[0]);
    let moved = (shown_from - from).abs() > span * 1e-6 || (shown_to - to).abs() > span * 1e-6;
    if !live || moved {
        st.view = View::Paused {
            from: shown_from,
            to: shown_to,
        };
    }
    if r.clicked()
        && let Some(p) = pointer
    {
        st.cursor = Some(p.x);
    }
    pens_table_ui(ui, st, snap, &drawn, loc);
}

fn pens_table_ui(ui: &mut Ui, st: &mut TrendPageState, snap: &Snapshot, drawn: &[(usize, Drawn)], loc: Locale) {
    let lang = loc.lang;
    let mut remove = None;
    let at = st.cursor;
    egui::Grid::new("pens").striped(true).num_columns(5).show(ui, |ui| {
        ui.strong(lang.pick("Pen", "Pluma"));
        ui.strong(lang.pick("Scale", "Escala"));
        ui.strong(match at {
            Some(t) => format!("{} {}", lang.pick("At", "A las"), local_time(t, true)),
            None => lang.pick("Now", "Ahora").to_owned(),
        });
        ui.strong(lang.pick("Unit", "Unidad"));
        ui.label("");
        ui.end_row();
        for (i, d) in drawn {
            let pen = &st.pens[*i];
            let def = snap.directory.by_name(&pen.tag);
            ui.label(RichText::new(&pen.tag).color(pen.color).strong().monospace());
            ui.label(RichText::new(format!("{:.0} … {:.0}", d.lo, d.hi)).color(theme::text_dim()));
            let shown = loc.units.shown(def.map_or("", |d| d.unit.as_str()));
            let kept_decimals = def.map_or(2, |d| d.decimals);
            let decimals = shown.decimals(kept_decimals);
            let value = match at {
                Some(t) => value_at(d, t).map(|v| format!("{v:.decimals$}")),
                None => def
                    .and_then(|def| snap.get(def.id))
                    .map(|s| match (&s.value, s.quality.is_bad()) {
                        (Some(v), false) => shown.number(Some(v), kept_decimals, lang),
                        (_, true) => s.quality.label(lang).to_owned(),
                        (None, false) => "----".to_owned(),
                    }),
            };
            ui.label(RichText::new(value.unwrap_or_else(|| "----".into())).monospace());
            ui.label(shown.unit);
            if ui
                .small_button("×")
                .on_hover_text(lang.pick("Remove this pen", "Quitar esta pluma"))
                .labelled_by_text(format!("{} {}", lang.pick("Remove", "Quitar"), pen.tag))
                .clicked()
            {
                remove = Some(pen.tag.clone());
            }
            ui.end_row();
        }
    });
    if let Some(tag) = remove {
        st.remove_pen(&tag);
    }
}

/// The pen picker: find a tag by name or description (as the tag browser does) and put it on the trend.
/// Tags already plotted are marked; choosing one of them, or a 17th, says why nothing was added. Each row
/// is a button of the theme's control height, which touch mode makes a touch target.
fn pen_picker_ui(ctx: &egui::Context, st: &mut TrendPageState, snap: &Snapshot, lang: Lang) {
    let Some(mut picker) = st.picker.take() else {
        return;
    };
    let mut keep = true;
    let mut chosen = None;
    let pens = &st.pens;
    let modal = egui::Modal::new(egui::Id::unique("pen_picker")).show(ctx, |ui| {
        ui.set_width((ctx.content_rect().width() - 40.0).clamp(200.0, 640.0));
        ui.heading(lang.pick("Add a pen", "Agregar una pluma"));
        let of = lang.pick("of", "de");
        let count = format!("{} {of} {MAX_PENS} {}", pens.len(), lang.pick("pens", "plumas"));
        ui.label(RichText::new(count).color(theme::text_dim()));
        ui.horizontal(|ui| {
            let label = ui.label(lang.pick("Find a tag:", "Buscar tag:"));
            let field = ui
                .add(
                    egui::TextEdit::singleline(&mut picker.query)
                        .hint_text(lang.pick(
                            "name or description, e.g. ct01 weight",
                            "nombre o descripción, p. ej. ct01 peso",
                        ))
                        .desired_width(360.0),
                )
                .labelled_by(label.id);
            if picker.focus_wanted {
                field.request_focus();
                picker.focus_wanted = false;
            }
        });
        let found = search(&snap.directory, &picker.query);
        let count = format!("{} {of} {} tags", found.len(), snap.directory.len());
        ui.label(RichText::new(count).color(theme::text_dim()));
        let row_h = ui.spacing().interact_size.y;
        egui::ScrollArea::vertical()
            .auto_shrink([false, true])
            .max_height((ctx.content_rect().height() * 0.6).max(4.0 * row_h))
            .show_rows(ui, row_h, found.len(), |ui, rows| {
                for def in &found[rows] {
                    let plotted = pens.iter().any(|p| p.tag == def.name);
                    let (mark, verb) = if plotted {
                        ("•", lang.pick("On trend", "En tendencia"))
                    } else {
                        ("+", lang.pick("Add", "Agregar"))
                    };
                    let description = RichText::new(def.description_in(lang)).color(theme::text_dim());
                    let row = ui.add(
                        egui::Button::selectable(plotted, RichText::new(format!("{mark} {}", def.name)).monospace())
                            .right_text(description.atom_shrink(true))
                            .truncate()
                            .min_size(egui::vec2(ui.available_width(), row_h)),
                    );
                    row.widget_info(|| {
                        egui::WidgetInfo::selected(egui::Role::Button, true, plotted, format!("{verb} {}", def.name))
                    });
                    if row.clicked() {
                        chosen = Some(def.name.clone());
                    }
                }
            });
        if ui.button(lang.pick("Close", "Cerrar")).clicked() {
            keep = false;
        }
    });
    if modal.should_close() {
        keep = false;
    }
    if let Some(tag) = chosen {
        st.put_on_trend(&tag, lang);
    }
    if keep {
        st.picker = Some(picker);
    }
}

trait LabelledByText {
    fn labelled_by_text(self, text: String) -> Self;
}

impl LabelledByText for egui::Response {
    /// Gives an icon button a name screen readers (and UI tests) can find it by.
    fn labelled_by_text(self, text: String) -> Self {
        self.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &text));
        self
    }
}

/// A CT unit's depth tag and the values worth plotting against it.
fn ct_tags(snap: &Snapshot) -> Option<(String, Vec<String>)> {
    let dev = snap
        .directory
        .devices()
        .into_iter()
        .find(|d| {
            snap.directory.by_name(&format!("{d}/depth")).is_some()
                && snap.directory.by_name(&format!("{d}/weight")).is_some()
        })?
        .to_owned();
    let values = ["weight", "circ_pressure", "wellhead_pressure"]
        .iter()
        .map(|s| format!("{dev}/{s}"))
        .filter(|t| snap.directory.by_name(t).is_some())
        .collect();
    Some((format!("{dev}/depth"), values))
}

fn depth_ui(
    ui: &mut Ui,
    st: &mut TrendPageState,
    snap: &Snapshot,
    now: Timestamp,
    reader: Option<&TrendReader>,
    loc: Locale,
) {
    let lang = loc.lang;
    let Some((depth_tag, values)) = ct_tags(snap) else {
        ui.label(lang.pick(
            "No coiled tubing unit (a device with depth and weight tags) in this project.",
            "No hay unidad de tubería flexible (un equipo con tags de profundidad y peso) en este proyecto.",
        ));
        return;
    };
    ui.horizontal(|ui| {
        ui.label(lang.pick("Plot against depth:", "Graficar contra profundidad:"));
        for (i, v) in values.iter().enumerate() {
            if ui.selectable_label(st.depth_value == i, v.as_str()).clicked() {
                st.depth_value = i;
                st.depth_asked = None;
            }
        }
        ui.label(
            RichText::new(lang.pick(
                "last 24 h · each trip in and out is its own line",
                "últimas 24 h · cada viaje de entrada y salida es su propia línea",
            ))
            .color(theme::text_dim()),
        );
    });
    let Some(value_tag) = values.get(st.depth_value).cloned() else {
        return;
    };
    if let Some(r) = reader
        && st.depth_asked.is_none_or(|t| t.elapsed() >= DEPTH_REFRESH)
    {
        st.generation += 1;
        r.request(TrendRequest {
            generation: st.generation,
            query: TrendQuery::Depth {
                depth: depth_tag.clone(),
                values: vec![value_tag.clone()],
                from: (now.as_secs_f64() - DEPTH_SPAN_S) as i64 * 1_000_000,
                to: now.0,
                width: 2_000,
            },
        });
        st.depth_asked = Some(Instant::now());
    }
    let passes = match &st.depth_answer {
        Some(TrendAnswer {
            query: TrendQuery::Depth { values: v, .. },
            pens,
            ..
        }) if v.first() == Some(&value_tag) => match pens.first() {
            Some(Ok(PenData::Depth { passes })) => passes.clone(),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    };
    let current = |tag: &str| {
        let def = snap.directory.by_name(tag)?;
        let s = snap.get(def.id)?;
        if s.quality.is_bad() {
            None
        } else {
            s.value.as_ref()?.as_f64()
        }
    };
    // Both axes in the console's units.
    let shown = |t: &str| {
        loc.units
            .shown(snap.directory.by_name(t).map_or("", |d| d.unit.as_str()))
    };
    let (ds, vs) = (shown(&depth_tag), shown(&value_tag));
    let here = current(&depth_tag)
        .zip(current(&value_tag))
        .map(|(d, v)| (ds.value(d), vs.value(v)));
    let passes: Vec<_> = passes
        .into_iter()
        .map(|mut p| {
            for q in &mut p.points {
                *q = [ds.value(q[0]), vs.value(q[1])];
            }
            p
        })
        .collect();
    let (du, vu) = (ds.unit.to_owned(), vs.unit.to_owned());
    let last = passes.len().saturating_sub(1);
    Plot::new("depth_plot")
        .x_axis_label(format!("{} [{du}]", lang.pick("depth", "profundidad")))
        .y_axis_label(format!("{value_tag} [{vu}]"))
        .label_formatter(move |h| {
            let p = match h {
                HoverPosition::NearDataPoint { position, .. } | HoverPosition::Elsewhere { position } => position,
            };
            Some(format!("{:.0} {du}\n{:.0} {vu}", p.x, p.y))
        })
        .show(ui, |pu| {
            for (k, p) in passes.iter().enumerate() {
                let base = match p.direction {
                    Direction::In => theme::PASS_IN,
                    Direction::Out => theme::PASS_OUT,
                };
                let (color, width) = if k == last {
                    (base, 2.0)
                } else {
                    (theme::faded(base), 1.2)
                };
                let name = match p.direction {
                    Direction::In => lang.pick("running in", "bajando"),
                    Direction::Out => lang.pick("pulling out", "sacando"),
                };
                pu.line(Line::new(name, p.points.clone()).color(color).width(width));
            }
            if let Some((d, v)) = here {
                pu.points(
                    Points::new(lang.pick("now", "ahora"), vec![[d, v]])
                        .radius(5.0)
                        .color(theme::CURSOR),
                );
            }
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pen(live: &[(f64, Option<f64>)]) -> Pen {
        Pen {
            tag: "p".into(),
            color: theme::PENS[0],
            live: live.iter().copied().collect(),
            last_update: 0,
        }
    }

    #[test]
    fn live_points_continue_history_and_a_bad_one_breaks_the_line() {
        let hist = vec![vec![[10.0, 5.0], [11.0, 6.0]]];
        let p = pen(&[(10.5, Some(99.0)), (12.0, Some(7.0)), (13.0, None), (14.0, Some(8.0))]);
        let d = draw_pen(
            &p,
            None,
            Some(&hist),
            10.0,
            15.0,
            crate::units::UnitSystem::Oilfield.shown(""),
        );
        // history, then live after its end (the live point inside history is not drawn twice)
        assert_eq!(d.segments.len(), 3);
        assert_eq!(d.segments[1].len(), 1);
        let v = |t| value_at(&d, t).unwrap();
        assert!((v(10.9) - 5.0).abs() < 1e-9);
        assert!((v(12.5) - 7.0).abs() < 1e-9);
        assert!((v(20.0) - 8.0).abs() < 1e-9);
        assert!(value_at(&d, 9.0).is_none());
    }

    #[test]
    fn the_wheel_zooms_about_the_pointer_within_limits() {
        // A quarter of the way across, zoomed in twice: that time stays a quarter of the way across.
        let (from, to) = zoom_time(1_000.0, 1_600.0, 0.25, 2.0);
        assert!(
            (from - 1_075.0).abs() < 1e-9 && (to - 1_375.0).abs() < 1e-9,
            "{from} {to}"
        );
        // Out again by the same factor: back where it was.
        let (from, to) = zoom_time(from, to, 0.25, 0.5);
        assert!(
            (from - 1_000.0).abs() < 1e-9 && (to - 1_600.0).abs() < 1e-9,
            "{from} {to}"
        );
        // Never narrower than a few samples nor wider than a month.
        let (from, to) = zoom_time(0.0, 10.0, 0.5, 100.0);
        assert!((to - from - MIN_SPAN_S).abs() < 1e-9);
        let (from, to) = zoom_time(0.0, 86_400.0, 0.5, 1e-6);
        assert!((to - from - MAX_SPAN_S).abs() < 1e-6);
    }

    #[test]
    fn putting_a_pen_on_the_trend_says_what_became_of_it() {
        let mut st = TrendPageState::default();
        st.put_on_trend("ct01/depth", Lang::Es);
        assert_eq!(st.notice.as_deref(), Some("ct01/depth agregado a la tendencia"));
        st.put_on_trend("ct01/depth", Lang::En);
        assert_eq!(st.notice.as_deref(), Some("ct01/depth is already on the trend"));
        for i in 1..MAX_PENS {
            st.add_pen(&format!("t{i}"), Lang::En).unwrap();
        }
        st.put_on_trend("t99", Lang::En);
        assert_eq!(st.notice.as_deref(), Some("a trend holds 16 pens; remove one first"));
        assert_eq!(st.pens().count(), MAX_PENS);
    }

    #[test]
    fn a_seventeenth_pen_and_a_duplicate_are_refused() {
        let mut st = TrendPageState::default();
        for i in 0..MAX_PENS {
            st.add_pen(&format!("t{i}"), Lang::En).unwrap();
        }
        assert!(st.add_pen("t3", Lang::En).unwrap_err().contains("already"));
        assert!(st.add_pen("t99", Lang::En).unwrap_err().contains("16 pens"));
        st.remove_pen("t3");
        assert!(st.add_pen("t99", Lang::En).is_ok());
    }
}
