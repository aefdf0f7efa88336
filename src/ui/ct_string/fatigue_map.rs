//! The fatigue map: fatigue % of life along the string (position from the tip), with the warning and
//! critical lines, the welds, where the pipe is now (in the well, on the guide arch, on the reel) and,
//! after a what-if, the predicted fatigue after the planned job.
//!
//! A string holds 20,000 cells and more; the map draws at most a few points per pixel column, keeping
//! each column's first, lowest, highest and last cell (the historian's per-pixel decimation, as rerun does
//! it), so a weld's one-cell spike is never lost however far out the map is zoomed, and a cell with no
//! value stays a gap. The span aggregated is the one the plot showed last frame (the whole string at
//! first), so zooming in brings back every cell. Draws only; owns the span it showed.

use super::qty;
use crate::ctstring::view::{CtStringView, WeldMark};
use crate::historian::decimate::Decimator;
use crate::lang::Lang;
use crate::locale::Locale;
use crate::ui::theme;
use egui::{RichText, Ui};
use egui_plot::{HLine, HoverPosition, Line, LineStyle, MarkerShape, Plot, PlotPoint, Points, Span, Text, VLine};

/// What the map showed last frame: the unit, the span of string (ft from the tip) and the plot's width
/// in points, so this frame aggregates the cells of that span to that many columns.
#[derive(Debug, Clone, Default)]
pub struct MapState {
    shown: Option<(String, f64, f64, f32)>,
}

/// The map with its heading and key, `height` points high in all.
pub fn fatigue_map_ui(
    ui: &mut Ui,
    st: &mut MapState,
    v: &CtStringView,
    planned: Option<&[f32]>,
    loc: Locale,
    height: f32,
) {
    let lang = loc.lang;
    let top = ui.cursor().top();
    ui.heading(lang.pick("Fatigue map", "Mapa de fatiga"));
    key_ui(ui, lang, planned.is_some());
    let plot_height = (height - (ui.cursor().top() - top)).max(200.0);
    let ft = loc.units.shown("ft");
    let unit = ft.unit.to_owned();
    let (from_ft, to_ft, columns) = match &st.shown {
        Some((u, from, to, w)) if *u == v.unit && to > from => (*from, *to, *w as usize),
        _ => (0.0, v.string_length_ft, ui.available_width() as usize),
    };
    let to_plot = |runs: Vec<Vec<[f64; 2]>>| -> Vec<Vec<[f64; 2]>> {
        runs.into_iter()
            .map(|r| r.into_iter().map(|[x, y]| [ft.value(x), y]).collect())
            .collect()
    };
    let now = to_plot(profile(&v.fatigue_pct, v.cell_ft, from_ft, to_ft, columns));
    let after = planned.map(|p| to_plot(profile(p, v.cell_ft, from_ft, to_ft, columns)));
    let x = |kept_ft: f64| ft.value(kept_ft);
    let end = x(v.string_length_ft);
    let names = Names::new(lang);
    let hover_unit = unit.clone();
    let response = Plot::new("ct_fatigue_map")
        .height(plot_height)
        .x_axis_label(format!("{} [{unit}]", names.position))
        .y_axis_label(names.fatigue_axis)
        .include_x(0.0)
        .include_x(end)
        .include_y(0.0)
        .include_y(100.0)
        .allow_zoom([true, false])
        .allow_drag([true, false])
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .label_formatter(move |h| {
            Some(match h {
                HoverPosition::NearDataPoint {
                    plot_name, position, ..
                } => {
                    format!("{plot_name}\n{:.0} {hover_unit} · {:.1} %", position.x, position.y)
                }
                HoverPosition::Elsewhere { position } => format!("{:.0} {hover_unit}", position.x),
            })
        })
        .show(ui, |pu| {
            if let Some(depth) = v.depth_ft {
                pu.span(Span::new(names.well, x(0.0)..=x(depth)).fill(theme::span_well()));
                // A guide arch is a few feet of a long string: its borders keep it visible when zoomed out.
                pu.span(
                    Span::new(names.arch, x(v.arch_from_ft)..=x(v.arch_to_ft))
                        .fill(theme::span_arch())
                        .border(egui::Stroke::new(1.0, theme::REFERENCE)),
                );
                pu.span(Span::new(names.reel, x(v.reel_from_ft)..=end).fill(theme::span_reel()));
            }
            for (pct, colour, word, style) in [
                (
                    v.warning_pct,
                    theme::ALARM_HIGH,
                    names.warning,
                    LineStyle::dashed_loose(),
                ),
                (v.critical_pct, theme::ALARM_CRITICAL, names.critical, LineStyle::Solid),
            ] {
                let label = format!("{word} {pct:.0} %");
                pu.hline(HLine::new(label.clone(), pct).color(colour).width(1.5).style(style));
                pu.text(
                    Text::new(
                        label.clone(),
                        PlotPoint::new(end, pct),
                        RichText::new(label).color(colour),
                    )
                    .color(colour)
                    .anchor(egui::Align2::RIGHT_BOTTOM),
                );
            }
            for (i, w) in v.welds.iter().enumerate() {
                let name = weld_name(w, lang, loc);
                let at = x(w.position_ft);
                pu.vline(
                    VLine::new(name.clone(), at)
                        .id(("weld line", i))
                        .color(theme::faded(theme::WELD))
                        .style(LineStyle::dotted_dense())
                        .allow_hover(false),
                );
                // A marker on the axis to hover: the line itself has no point to be near.
                pu.points(
                    Points::new(name, vec![[at, 0.0]])
                        .id(("weld", i))
                        .shape(MarkerShape::Up)
                        .filled(true)
                        .radius(6.0)
                        .color(theme::WELD),
                );
            }
            for run in now {
                pu.line(Line::new(names.now, run).color(theme::FATIGUE).width(1.8));
            }
            for run in after.into_iter().flatten() {
                pu.line(Line::new(names.after, run).color(theme::FATIGUE_PLANNED).width(1.5));
            }
            pu.points(
                Points::new(names.max, vec![[x(v.max_fatigue_at_ft), v.max_fatigue_pct]])
                    .shape(MarkerShape::Diamond)
                    .filled(true)
                    .radius(5.0)
                    .color(theme::FATIGUE),
            );
        });
    response.response.widget_info(|| {
        egui::WidgetInfo::labeled(
            egui::Role::Image,
            true,
            lang.pick("fatigue map plot", "gráfico del mapa de fatiga"),
        )
    });
    let shown = response.transform.bounds();
    st.shown = Some((
        v.unit.clone(),
        ft.kept(shown.min()[0]),
        ft.kept(shown.max()[0]),
        response.transform.frame().width(),
    ));
}

/// The plot's words in the console's language.
struct Names {
    position: &'static str,
    fatigue_axis: &'static str,
    well: &'static str,
    arch: &'static str,
    reel: &'static str,
    warning: &'static str,
    critical: &'static str,
    now: &'static str,
    after: &'static str,
    max: &'static str,
}

impl Names {
    fn new(lang: Lang) -> Self {
        Self {
            position: lang.pick("position from the tip", "posición desde la punta"),
            fatigue_axis: lang.pick("fatigue [% of life]", "fatiga [% de vida]"),
            well: lang.pick("in the well", "en el pozo"),
            arch: lang.pick("arch", "arco"),
            reel: lang.pick("on the reel", "en el carrete"),
            warning: lang.pick("warning", "advertencia"),
            critical: lang.pick("critical", "crítico"),
            now: lang.pick("fatigue now", "fatiga actual"),
            after: lang.pick("after the planned job", "después del trabajo planificado"),
            max: lang.pick("most fatigued cell", "celda más fatigada"),
        }
    }
}

/// What the map's inks mean, above it (the plot has no legend: a legend entry per weld would bury it).
fn key_ui(ui: &mut Ui, lang: Lang, planned: bool) {
    ui.horizontal_wrapped(|ui| {
        swatch_ui(
            ui,
            Mark::Line,
            theme::FATIGUE,
            lang.pick("fatigue now", "fatiga actual"),
        );
        if planned {
            swatch_ui(
                ui,
                Mark::Line,
                theme::FATIGUE_PLANNED,
                lang.pick("predicted after the planned job", "prevista después del trabajo"),
            );
        }
        swatch_ui(
            ui,
            Mark::Block,
            theme::span_well(),
            lang.pick("in the well", "en el pozo"),
        );
        swatch_ui(
            ui,
            Mark::Block,
            theme::span_arch(),
            lang.pick("on the guide arch", "en el arco guía"),
        );
        swatch_ui(
            ui,
            Mark::Block,
            theme::span_reel(),
            lang.pick("on the reel", "en el carrete"),
        );
        swatch_ui(
            ui,
            Mark::Triangle,
            theme::WELD,
            lang.pick("weld (hover for its type)", "soldadura (el cursor dice su tipo)"),
        );
    });
}

/// How a key entry marks its ink (painted: the console's fonts have no glyphs for these).
#[derive(Clone, Copy)]
enum Mark {
    Line,
    Block,
    Triangle,
}

fn swatch_ui(ui: &mut Ui, mark: Mark, colour: egui::Color32, word: &str) {
    let (r, _) = ui.allocate_exact_size(egui::vec2(16.0, 14.0), egui::Sense::hover());
    let p = ui.painter();
    match mark {
        Mark::Line => {
            p.hline(r.x_range(), r.center().y, egui::Stroke::new(2.5, colour));
        }
        Mark::Block => {
            p.rect_filled(r, 2.0, colour);
        }
        Mark::Triangle => {
            let tri = vec![r.center_top(), r.right_bottom(), r.left_bottom()];
            p.add(egui::Shape::convex_polygon(tri, colour, egui::Stroke::NONE));
        }
    }
    ui.label(RichText::new(word).color(theme::text_dim()));
}

/// A weld as the hover names it: "bias weld ×0.80 at 6000 ft".
fn weld_name(w: &WeldMark, lang: Lang, loc: Locale) -> String {
    let kind = weld_kind(w.kind, lang);
    let at = qty(loc, "ft", w.position_ft, 0);
    match lang {
        Lang::En => format!("{kind} weld ×{:.2} at {at}", w.factor),
        Lang::Es => format!("soldadura {kind} ×{:.2} a {at}", w.factor),
    }
}

/// A weld type in the console's language (the record's own word where it is not one of the six).
fn weld_kind(kind: &'static str, lang: Lang) -> &'static str {
    let words: [(&str, &str, &str); 6] = [
        ("bias", "bias", "sesgada"),
        ("tapered bias", "tapered bias", "sesgada cónica"),
        ("orbital butt", "orbital butt", "a tope orbital"),
        ("manual butt", "manual butt", "a tope manual"),
        ("tapered orbital", "tapered orbital", "cónica orbital"),
        ("tapered manual", "tapered manual", "cónica manual"),
    ];
    let plain = kind.replace('_', " ");
    words
        .iter()
        .find(|(k, ..)| *k == plain)
        .map_or(kind, |(_, en, es)| lang.pick(en, es))
}

/// A per-cell profile drawn over `[from_ft, to_ft]` at `columns` pixel columns: each column keeps its
/// first, lowest, highest and last cell (in string order), one cell beyond each end keeps the line running
/// to the plot's edges, and a non-finite cell breaks the line. Points are (cell centre ft, value).
pub fn profile(cells: &[f32], cell_ft: f64, from_ft: f64, to_ft: f64, columns: usize) -> Vec<Vec<[f64; 2]>> {
    let measurable = cell_ft > 0.0 && to_ft > from_ft; // false for a NaN too
    if cells.is_empty() || !measurable {
        return Vec::new();
    }
    let last = cells.len() as i64;
    let first_cell = ((from_ft / cell_ft).floor() as i64).clamp(0, last);
    let end_cell = ((to_ft / cell_ft).ceil() as i64).clamp(first_cell, last);
    // The decimator counts time in microseconds and answers in seconds; here a cell index stands for a
    // microsecond, and comes back as index / 1e6.
    let mut d = Decimator::new(first_cell, end_cell.max(first_cell + 1), columns.max(1));
    let from = (first_cell - 1).max(0);
    let to = (end_cell + 1).min(last);
    for i in from..to {
        let value = cells[i as usize];
        d.push(i, value.is_finite().then_some(f64::from(value)));
    }
    d.finish()
        .into_iter()
        .map(|run| {
            run.into_iter()
                .map(|[t, value]| [((t * 1e6).round() + 0.5) * cell_ft, value])
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// 20,000 cells rising toward the tip, a one-cell weld spike at 12,345 ft.
    fn string() -> Vec<f32> {
        let mut cells: Vec<f32> = (0..20_000).map(|i| 60.0 - i as f32 * 0.0025).collect();
        cells[12_345] = 93.0;
        cells
    }

    #[test]
    fn a_whole_string_draws_a_few_points_per_column_and_keeps_a_one_cell_spike() {
        let runs = profile(&string(), 1.0, 0.0, 20_000.0, 800);
        assert_eq!(runs.len(), 1);
        let points = &runs[0];
        assert!(points.len() <= 4 * 802, "{} points", points.len());
        let spike = points.iter().find(|p| p[1] == 93.0).expect("the weld's spike survives");
        assert_eq!(spike[0], 12_345.5, "at the cell's centre");
        assert_eq!(points[0], [0.5, 60.0], "the tip's cell starts the line");
    }

    #[test]
    fn zoomed_in_every_cell_is_drawn_with_one_beyond_each_end() {
        let runs = profile(&string(), 1.0, 12_300.0, 12_400.0, 800);
        let xs: Vec<f64> = runs[0].iter().map(|p| p[0]).collect();
        assert_eq!(xs.first(), Some(&12_299.5));
        assert_eq!(xs.last(), Some(&12_400.5));
        assert_eq!(xs.len(), 102);
    }

    #[test]
    fn a_cell_with_no_value_is_a_gap_and_nothing_is_drawn_from_nothing() {
        let mut cells = string();
        cells[5_000] = f32::NAN;
        assert_eq!(profile(&cells, 1.0, 0.0, 20_000.0, 800).len(), 2);
        assert!(profile(&[], 1.0, 0.0, 10.0, 800).is_empty());
        assert!(profile(&cells, 0.0, 0.0, 10.0, 800).is_empty());
        assert!(profile(&cells, 1.0, 10.0, 10.0, 800).is_empty());
    }

    #[test]
    fn weld_types_are_named_in_the_console_language() {
        assert_eq!(weld_kind("tapered_bias", Lang::Es), "sesgada cónica");
        assert_eq!(weld_kind("orbital butt", Lang::En), "orbital butt");
        assert_eq!(weld_kind("sleeve repair", Lang::Es), "sleeve repair");
        let w = WeldMark {
            position_ft: 6_000.0,
            kind: "bias",
            factor: 0.8,
        };
        assert_eq!(weld_name(&w, Lang::En, Locale::default()), "bias weld ×0.80 at 6000 ft");
    }

    proptest! {
        #[test]
        fn every_column_keeps_the_extremes_of_its_cells(
            cells in prop::collection::vec(0.0f32..100.0, 1..3000),
            columns in 1usize..300,
        ) {
            let length = cells.len() as f64;
            let runs = profile(&cells, 1.0, 0.0, length, columns);
            let drawn: Vec<[f64; 2]> = runs.into_iter().flatten().collect();
            prop_assert!(drawn.len() <= 4 * (columns + 2));
            prop_assert!(drawn.windows(2).all(|w| w[0][0] <= w[1][0]), "along the string");
            let hi = cells.iter().copied().fold(f32::MIN, f32::max);
            let lo = cells.iter().copied().fold(f32::MAX, f32::min);
            prop_assert!(drawn.iter().any(|p| p[1] == f64::from(hi)));
            prop_assert!(drawn.iter().any(|p| p[1] == f64::from(lo)));
        }
    }
}
