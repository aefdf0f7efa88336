//! The Decline tab's plot and numbers: the well's daily rates against the date (on a log scale if asked,
//! its ticks in rate units), the points left out hollow and dimmed, those outside the window dimmed, the
//! fit over the window and its forecast to the economic limit dashed, the limit itself; other wells chosen
//! to overlay in other pens. Beside it the fit's numbers: qi, the nominal and secant-effective declines, b,
//! the rate now, EUR, what remains, the days to the limit, r².
//!
//! Draws only what the decline worker answered (`DeclineAnswer`: the points with their flags and the fit
//! with its forecast), and says which point a touch landed on, for the page to leave out or take back.
//! Days are days since 1970-01-01 (UTC) and are shown as dates.

use super::decline::{Fit, Overlay};
use super::qty;
use crate::calc::decline::DeclineKind;
use crate::lang::Lang;
use crate::locale::Locale;
use crate::production::decline::{DeclineAnswer, RatePhase};
use crate::ui::theme;
use egui::{Color32, RichText, Ui};
use egui_plot::{Corner, HLine, HoverPosition, Legend, Line, LineStyle, MarkerShape, Plot, PlotPoint, PlotUi, Points};

/// Points on a drawn fit.
const FIT_POINTS: usize = 100;
/// A touch this close to a point (screen points) lands on it.
const TOUCH_PX: f32 = 12.0;

/// One well's answer as drawn, in plot coordinates (day, rate or log10 rate).
#[derive(Default)]
struct Drawn {
    used: Vec<[f64; 2]>,
    outside: Vec<[f64; 2]>,
    excluded: Vec<[f64; 2]>,
    fit: Vec<[f64; 2]>,
    forecast: Vec<[f64; 2]>,
    limit: Option<f64>,
}

/// A series' names on the legend.
struct Names {
    used: String,
    outside: String,
    excluded: String,
    fit: String,
    forecast: String,
    limit: String,
}

impl Names {
    /// The well's own series (`well` empty) or an overlaid well's, named after it.
    fn of(well: &str, lang: Lang) -> Self {
        let named = |en: &'static str, es: &'static str| {
            let word = lang.pick(en, es);
            if well.is_empty() {
                word.to_owned()
            } else {
                format!("{well} {word}")
            }
        };
        Self {
            used: named("rates", "caudales"),
            outside: named("rates outside the window", "caudales fuera de la ventana"),
            excluded: named("rates left out", "caudales excluidos"),
            fit: named("fit", "ajuste"),
            forecast: named("forecast", "pronóstico"),
            limit: lang.pick("economic limit", "límite económico").to_owned(),
        }
    }
}

/// The plot; the day of the point a touch landed on, if one did.
pub fn plot_ui(
    ui: &mut Ui,
    size: egui::Vec2,
    main: &Fit,
    overlays: &[Overlay],
    log_scale: bool,
    loc: Locale,
) -> Option<i64> {
    let lang = loc.lang;
    let (rate_unit, _) = main
        .answer
        .as_ref()
        .map_or(("STB/d", "bbl"), |a| units_of(&a.settings.phase));
    let shown = loc.units.shown(rate_unit);
    let unit = shown.unit.to_owned();
    // What is drawn on y: the rate in the console's units, or its log10 (only rates above 0 have one).
    let y_of = move |q: f64| -> Option<f64> {
        let v = shown.value(q);
        match (v.is_finite(), log_scale) {
            (true, true) if v > 0.0 => Some(v.log10()),
            (true, false) => Some(v),
            _ => None,
        }
    };
    let to_rate = move |y: f64| if log_scale { 10f64.powf(y) } else { y };
    let main_drawn = main.answer.as_ref().map(|a| drawn(a, y_of));
    let hits: Vec<(i64, [f64; 2])> = main.answer.as_ref().map_or_else(Vec::new, |a| {
        a.points
            .iter()
            .filter_map(|p| y_of(p.q).map(|v| (p.day, [p.day as f64, v])))
            .collect()
    });
    let others: Vec<(Names, Color32, Drawn)> = overlays
        .iter()
        .enumerate()
        .filter_map(|(i, o)| {
            let a = o.fit.answer.as_ref()?;
            Some((Names::of(&o.label, lang), theme::decline_overlay(i), drawn(a, y_of)))
        })
        .collect();
    let own = Names::of("", lang);
    let y_label = if log_scale {
        format!(
            "{} [{unit}] ({})",
            lang.pick("rate", "caudal"),
            lang.pick("log scale", "escala log")
        )
    } else {
        format!("{} [{unit}]", lang.pick("rate", "caudal"))
    };
    let plot = Plot::new("production_decline")
        .width(size.x)
        .height(size.y)
        .x_axis_label(lang.pick("date", "fecha"))
        .y_axis_label(y_label)
        .x_axis_formatter(|m, _| day_text_f(m.value))
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
            Some(format!(
                "{name}\n{} · {} {unit}",
                day_text_f(p.x),
                rate_tick(to_rate(p.y))
            ))
        });
    let plot = if log_scale {
        plot.y_axis_formatter(move |m, _| rate_tick(to_rate(m.value)))
    } else {
        plot.include_y(0.0)
    };
    let response = plot.show(ui, |pu| {
        if let Some(d) = main_drawn {
            draw(pu, d, &own, (theme::PROD_RATE, theme::PROD_CURVE));
        }
        for (names, colour, d) in others {
            draw(pu, d, &names, (colour, colour));
        }
    });
    response.response.widget_info(|| {
        egui::WidgetInfo::labeled(
            egui::Role::Image,
            true,
            lang.pick(
                "decline plot: touch a point to leave it out",
                "gráfico de declinación: toque un punto para excluirlo",
            ),
        )
    });
    let r = &response.response;
    if !r.clicked() {
        return None;
    }
    let at = r.interact_pointer_pos()?;
    hits.iter()
        .map(|(day, p)| {
            let on_screen = response.transform.position_from_point(&PlotPoint::new(p[0], p[1]));
            (*day, on_screen.distance(at))
        })
        .filter(|(_, d)| *d <= TOUCH_PX)
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(day, _)| day)
}

/// One well's answer in plot coordinates: its points by what the fit made of them, the fit from its first
/// day to the window's last used day, the forecast on from there, and the limit it ends at.
fn drawn(a: &DeclineAnswer, y_of: impl Fn(f64) -> Option<f64>) -> Drawn {
    let mut d = Drawn::default();
    for p in &a.points {
        let Some(v) = y_of(p.q) else { continue };
        let at = [p.day as f64, v];
        if p.excluded {
            d.excluded.push(at);
        } else if p.in_window {
            d.used.push(at);
        } else {
            d.outside.push(at);
        }
    }
    if let Ok((fit, fc)) = &a.result {
        let start = fit.t0_days;
        let end = a
            .points
            .iter()
            .filter(|p| p.in_window && !p.excluded)
            .map(|p| p.day as f64)
            .fold(start, f64::max);
        d.fit = (0..=FIT_POINTS)
            .filter_map(|i| {
                let t = start + (end - start) * i as f64 / FIT_POINTS as f64;
                y_of(fit.arps.rate(t - start)).map(|v| [t, v])
            })
            .collect();
        // The forecast is drawn for as long again as the history shown, at least five years: decades to a
        // low economic limit would squeeze the history into a sliver (the days to the limit are a readout).
        let shown_until = end + (end - start).max(5.0 * 365.25);
        // From the fit's last day, so the forecast continues the fit's line without a gap.
        let from_end = std::iter::once([end, fit.arps.rate(end - start)]);
        d.forecast = from_end
            .chain(fc.curve.iter().copied().filter(|p| p[0] > end && p[0] <= shown_until))
            .filter_map(|p| y_of(p[1]).map(|v| [p[0], v]))
            .collect();
        d.limit = fc.curve.last().filter(|p| p[0] <= shown_until).and_then(|p| y_of(p[1]));
    }
    d
}

/// Draws one well's series: its points in `points` ink, its fit and forecast in `line` ink.
fn draw(pu: &mut PlotUi<'_>, d: Drawn, names: &Names, (points, line): (Color32, Color32)) {
    if !d.outside.is_empty() {
        pu.points(
            Points::new(names.outside.clone(), d.outside)
                .shape(MarkerShape::Circle)
                .filled(true)
                .radius(2.5)
                .color(theme::faded(points)),
        );
    }
    if !d.excluded.is_empty() {
        pu.points(
            Points::new(names.excluded.clone(), d.excluded)
                .shape(MarkerShape::Circle)
                .filled(false)
                .radius(4.5)
                .color(theme::faded(points)),
        );
    }
    if !d.used.is_empty() {
        pu.points(
            Points::new(names.used.clone(), d.used)
                .shape(MarkerShape::Circle)
                .filled(true)
                .radius(3.0)
                .color(points),
        );
    }
    if !d.fit.is_empty() {
        pu.line(Line::new(names.fit.clone(), d.fit).color(line).width(2.0));
    }
    if !d.forecast.is_empty() {
        pu.line(
            Line::new(names.forecast.clone(), d.forecast)
                .color(line)
                .width(1.5)
                .style(LineStyle::dashed_loose()),
        );
    }
    if let Some(limit) = d.limit {
        pu.hline(
            HLine::new(names.limit.clone(), limit)
                .color(theme::REFERENCE)
                .width(1.0)
                .style(LineStyle::dotted_dense()),
        );
    }
}

/// The fit's numbers, or why there is none.
pub fn numbers_ui(ui: &mut Ui, main: &Fit, loc: Locale) {
    let lang = loc.lang;
    let Some(a) = &main.answer else {
        ui.label(lang.pick("No fit yet.", "Aún sin ajuste."));
        return;
    };
    let (rate_unit, volume_unit) = units_of(&a.settings.phase);
    let (fit, fc) = match &a.result {
        Ok((fit, fc)) => (fit, fc),
        Err(why) => {
            ui.label(RichText::new(format!("{}: {why}", lang.pick("No fit", "Sin ajuste"))).color(theme::ATTENTION));
            return;
        }
    };
    let per_year = lang.pick("%/yr", "%/año");
    let rows: [(&str, String); 11] = [
        ("qi", qty(loc, rate_unit, Some(fit.arps.qi), 1)),
        ("Di nominal", format!("{:.1} {per_year}", 100.0 * fc.d_nom_per_year)),
        (
            lang.pick("D secant-effective", "D efectiva secante"),
            format!("{:.1} {per_year}", 100.0 * fc.d_sec_per_year),
        ),
        ("b", format!("{:.3} · {}", fit.arps.b, kind_text(fit.arps.kind(), lang))),
        (
            lang.pick("Rate now", "Caudal actual"),
            qty(loc, rate_unit, Some(fc.q_now), 1),
        ),
        ("EUR", qty(loc, volume_unit, Some(fc.eur), 0)),
        (
            lang.pick("Remaining", "Remanente"),
            qty(loc, volume_unit, Some(fc.remaining), 0),
        ),
        (
            lang.pick("Days to the limit", "Días hasta el límite"),
            format!(
                "{:.0} d ({:.1} {})",
                fc.days_to_limit,
                fc.days_to_limit / 365.25,
                lang.pick("yr", "años")
            ),
        ),
        (
            lang.pick("Economic limit", "Límite económico"),
            qty(loc, rate_unit, fc.curve.last().map(|p| p[1]), 1),
        ),
        ("r² (ln q)", format!("{:.4}", fit.r2_log)),
        (
            lang.pick("Points used / left out", "Puntos usados / excluidos"),
            format!("{} / {}", fit.used, fit.excluded),
        ),
    ];
    egui::Grid::new("production_decline_numbers")
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
            "Arps fitted by least squares on ln q over the window; nominal and secant-effective declines are \
             annual, at the fit's first day. EUR counts what was produced before the fit's first day.",
            "Arps ajustado por mínimos cuadrados sobre ln q en la ventana; las declinaciones nominal y efectiva \
             secante son anuales, al primer día del ajuste. La EUR cuenta lo producido antes del primer día del \
             ajuste.",
        ))
        .color(theme::text_dim())
        .size(theme::TEXT_SMALL),
    );
}

/// A phase's rate and volume units, as kept.
fn units_of(phase: &RatePhase) -> (&'static str, &'static str) {
    (phase.unit(), phase.volume_unit())
}

/// A rate on a log axis' tick or in a hover: as many decimals as its size needs.
fn rate_tick(v: f64) -> String {
    if !v.is_finite() {
        "----".to_owned()
    } else if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 1.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// Days since 1970-01-01 as a date, YYYY-MM-DD (UTC).
pub(super) fn day_text(day: i64) -> String {
    crate::production::decline::iso_date(day)
}

/// A day on the plot's axis (a fraction of a day is the nearest day).
fn day_text_f(x: f64) -> String {
    if x.is_finite() {
        day_text(x.round() as i64)
    } else {
        "----".to_owned()
    }
}

pub(super) fn phase_text(p: &RatePhase, lang: Lang) -> &'static str {
    p.label(lang)
}

pub(super) fn kind_text(k: DeclineKind, lang: Lang) -> &'static str {
    match k {
        DeclineKind::Exponential => lang.pick("exponential", "exponencial"),
        DeclineKind::Harmonic => lang.pick("harmonic", "armónica"),
        DeclineKind::Hyperbolic => lang.pick("hyperbolic", "hiperbólica"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_read_as_dates_and_rates_as_their_size_needs() {
        assert_eq!(day_text(0), "1970-01-01");
        assert_eq!(day_text(20_000), "2024-10-04");
        assert_eq!(day_text_f(19_999.6), "2024-10-04");
        assert_eq!(day_text_f(f64::NAN), "----");
        let table = [
            (1234.4, "1234"),
            (31.62, "31.6"),
            (0.456, "0.46"),
            (f64::INFINITY, "----"),
        ];
        for (v, text) in table {
            assert_eq!(rate_tick(v), text);
        }
    }
}
