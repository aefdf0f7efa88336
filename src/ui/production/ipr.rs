//! The IPR tab: a well's inflow curve (liquid rate against flowing bottomhole pressure) fitted to its newest
//! approved tests, the curve before its newest test dashed behind it, the tests it is fitted to as points and
//! the live operating point (the well's rate meter and its gauge corrected to the perforations) as a
//! distinct marker; beside it the numbers: J, AOF, the model and its pressures, the tests and the method, and
//! how much the AOF moved from the previous curve.
//!
//! The curves are the writer's (`WellSummary::ipr`, refitted when the approved tests change); the live
//! point is `production::perf::live_point` on this frame's snapshot. Values are kept in oilfield units and
//! shown in the console's. Draws only.

use super::qty;
use crate::calc::ipr::{FitMethod, IprFit, IprModel};
use crate::hub::Snapshot;
use crate::lang::Lang;
use crate::locale::Locale;
use crate::production::config::ProducerConfig;
use crate::production::perf;
use crate::production::view::ProductionView;
use crate::ui::theme;
use egui::{RichText, Ui};
use egui_plot::{Corner, HoverPosition, Legend, Line, LineStyle, MarkerShape, Plot, Points};

/// Points on a drawn curve.
const CURVE_POINTS: usize = 60;
/// Room beside the plot for its numbers.
const NUMBERS_W: f32 = 420.0;

pub fn ipr_ui(ui: &mut Ui, view: &ProductionView, w: &ProducerConfig, snap: &Snapshot, loc: Locale) {
    let lang = loc.lang;
    let ipr = view.wells.iter().find(|s| s.well == w.id).map(|s| &s.ipr);
    let current = ipr.and_then(|i| i.current);
    let previous = ipr.and_then(|i| i.previous);
    if current.is_none() {
        // The fit's own words are the calculation's (English, naming the test); the reason is said here.
        let why = match ipr.filter(|i| !i.tests_used.is_empty()) {
            Some(i) => format!(
                "{} ({})",
                lang.pick(
                    "the approved tests do not fit the well's model",
                    "las pruebas aprobadas no se ajustan al modelo del pozo"
                ),
                i.problem.as_deref().unwrap_or("")
            ),
            None => lang
                .pick(
                    "no approved test with a flowing bottomhole pressure yet",
                    "aún no hay una prueba aprobada con presión de fondo fluyente",
                )
                .to_owned(),
        };
        ui.label(
            RichText::new(format!(
                "{}: {why}",
                lang.pick("No inflow curve for this well", "Sin curva de afluencia para este pozo")
            ))
            .color(theme::ATTENTION),
        );
    }
    let tests: Vec<[f64; 2]> = ipr
        .map(|i| {
            i.tests_used
                .iter()
                .filter_map(|id| view.test(*id))
                .filter_map(perf::test_point)
                .map(|p| [p.q_stb_d, p.p_wf_psi])
                .collect()
        })
        .unwrap_or_default();
    let live = perf::live_point(w, snap);
    ui.horizontal_top(|ui| {
        let size = egui::vec2(
            (ui.available_width() - NUMBERS_W).max(320.0),
            (ui.available_height() - 12.0).clamp(240.0, 420.0),
        );
        plot_ui(ui, size, current, previous, &tests, live, loc);
        ui.vertical(|ui| {
            ui.set_max_width(NUMBERS_W - 16.0);
            numbers_ui(ui, w, current, previous, live, loc);
        });
    });
}

fn plot_ui(
    ui: &mut Ui,
    size: egui::Vec2,
    current: Option<IprFit>,
    previous: Option<IprFit>,
    tests: &[[f64; 2]],
    live: Option<[f64; 2]>,
    loc: Locale,
) {
    let lang = loc.lang;
    let qs = loc.units.shown("bbl/d");
    let ps = loc.units.shown("psi");
    let (q_unit, p_unit) = (qs.unit.to_owned(), ps.unit.to_owned());
    let to_plot = move |[q, p]: [f64; 2]| [qs.value(q), ps.value(p)];
    let curve = |fit: Option<IprFit>| -> Vec<[f64; 2]> {
        fit.map_or_else(Vec::new, |f| {
            f.ipr.curve(CURVE_POINTS).into_iter().map(to_plot).collect()
        })
    };
    let now_curve = curve(current);
    let before_curve = curve(previous);
    let test_points: Vec<[f64; 2]> = tests.iter().copied().map(to_plot).collect();
    let live_point = live.filter(|p| p.iter().all(|x| x.is_finite())).map(to_plot);
    let names = (
        lang.pick("IPR now", "IPR actual"),
        lang.pick("IPR before the newest test", "IPR antes de la última prueba"),
        lang.pick("tests fitted", "pruebas ajustadas"),
        lang.pick("live point", "punto en vivo"),
    );
    let response = Plot::new("production_ipr")
        .width(size.x)
        .height(size.y)
        .x_axis_label(format!("{} [{q_unit}]", lang.pick("liquid rate", "caudal de líquido")))
        .y_axis_label(format!(
            "{} [{p_unit}]",
            lang.pick("flowing bottomhole pressure p_wf", "presión de fondo fluyente p_wf")
        ))
        .include_x(0.0)
        .include_y(0.0)
        .legend(Legend::default().position(Corner::RightTop))
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .label_formatter(move |h| {
            let (name, p) = match h {
                HoverPosition::NearDataPoint {
                    plot_name, position, ..
                } => (*plot_name, position),
                HoverPosition::Elsewhere { position } => ("", position),
            };
            Some(format!("{name}\n{:.0} {q_unit} · {:.0} {p_unit}", p.x, p.y))
        })
        .show(ui, |pu| {
            if !before_curve.is_empty() {
                pu.line(
                    Line::new(names.1, before_curve)
                        .color(theme::REFERENCE)
                        .width(1.5)
                        .style(LineStyle::dashed_loose()),
                );
            }
            if !now_curve.is_empty() {
                pu.line(Line::new(names.0, now_curve).color(theme::PROD_CURVE).width(2.0));
            }
            if !test_points.is_empty() {
                pu.points(
                    Points::new(names.2, test_points)
                        .shape(MarkerShape::Circle)
                        .filled(true)
                        .radius(5.0)
                        .color(theme::PROD_TEST),
                );
            }
            if let Some(p) = live_point {
                pu.points(
                    Points::new(names.3, vec![p])
                        .shape(MarkerShape::Diamond)
                        .filled(true)
                        .radius(7.0)
                        .color(theme::LIVE),
                );
            }
        });
    response.response.widget_info(|| {
        egui::WidgetInfo::labeled(
            egui::Role::Image,
            true,
            lang.pick("inflow performance plot", "gráfico de comportamiento de afluencia"),
        )
    });
}

/// The curve's numbers, the live point and the change from the previous curve.
fn numbers_ui(
    ui: &mut Ui,
    w: &ProducerConfig,
    current: Option<IprFit>,
    previous: Option<IprFit>,
    live: Option<[f64; 2]>,
    loc: Locale,
) {
    let lang = loc.lang;
    let fit = current.as_ref();
    let aof = fit.map(|f| f.ipr.aof_stb_d());
    let change = match (aof, previous.map(|f| f.ipr.aof_stb_d())) {
        (Some(now), Some(before)) if before > 0.0 => format!("{:+.1} %", 100.0 * (now - before) / before),
        _ => lang.pick("no previous curve", "sin curva anterior").to_owned(),
    };
    let live_text = live.map_or_else(
        || "----".to_owned(),
        |[q, p]| format!("{} @ {}", qty(loc, "bbl/d", Some(q), 0), qty(loc, "psi", Some(p), 0)),
    );
    let rows: [(&str, String); 10] = [
        (
            lang.pick("J (PI)", "J (IP)"),
            qty(loc, "bbl/d/psi", fit.map(|f| f.ipr.j_stb_d_psi), 3),
        ),
        ("AOF", qty(loc, "bbl/d", aof, 0)),
        (
            lang.pick(
                "AOF change from the previous curve",
                "Cambio del AOF respecto de la curva anterior",
            ),
            change,
        ),
        (
            lang.pick("Model", "Modelo"),
            fit.map_or_else(
                || model_text(w.ipr, lang).to_owned(),
                |f| model_text(f.ipr.model(), lang).to_owned(),
            ),
        ),
        (
            lang.pick("p̄ reservoir", "p̄ del yacimiento"),
            qty(loc, "psi", Some(fit.map_or(w.reservoir_psi, |f| f.ipr.p_res_psi)), 0),
        ),
        (
            lang.pick("p_b bubble point", "p_b punto de burbuja"),
            qty(loc, "psi", fit.map(|f| f.ipr.p_b_psi).or(w.bubble_point_psi), 0),
        ),
        (
            lang.pick("Tests fitted", "Pruebas ajustadas"),
            fit.map_or_else(|| "0".to_owned(), |f| f.points.to_string()),
        ),
        (
            lang.pick("Method", "Método"),
            fit.map_or_else(|| "----".to_owned(), |f| method_text(f.method, lang).to_owned()),
        ),
        (
            lang.pick("RMS residual", "Residuo RMS"),
            qty(loc, "bbl/d", fit.map(|f| f.rms_residual_stb_d), 1),
        ),
        (lang.pick("Live point", "Punto en vivo"), live_text),
    ];
    egui::Grid::new("production_ipr_numbers")
        .num_columns(2)
        .spacing([16.0, 6.0])
        .show(ui, |ui| {
            for (name, value) in rows {
                ui.label(name);
                ui.label(RichText::new(value).monospace().strong());
                ui.end_row();
            }
        });
    ui.label(
        RichText::new(lang.pick(
            "Liquid (oil + water) against the flowing bottomhole pressure. Solid: fitted to the newest approved \
             tests (one test: one-point method; several: least squares). Dashed: before the newest test.",
            "Líquido (petróleo + agua) contra la presión de fondo fluyente. Continua: ajustada a las últimas \
             pruebas aprobadas (una prueba: método de un punto; varias: mínimos cuadrados). A trazos: antes de la \
             última prueba.",
        ))
        .color(theme::text_dim())
        .size(theme::TEXT_SMALL),
    );
}

fn model_text(m: IprModel, lang: Lang) -> &'static str {
    match m {
        IprModel::Linear => lang.pick("linear (PI)", "lineal (IP)"),
        IprModel::Vogel => "Vogel",
        IprModel::Composite => lang.pick(
            "composite (PI above p_b, Vogel below)",
            "compuesto (IP sobre p_b, Vogel debajo)",
        ),
    }
}

fn method_text(m: FitMethod, lang: Lang) -> &'static str {
    match m {
        FitMethod::OnePoint => lang.pick("one-point", "un punto"),
        FitMethod::LeastSquares => lang.pick("least squares", "mínimos cuadrados"),
    }
}
