//! The ESP tab: the well's pump on its catalogue curve. The head of its stages scaled by the affinity laws
//! to the live drive frequency (the curve at the catalogue's base frequency dashed behind it), the
//! recommended operating range at that frequency with the down-thrust zone shaded left of it and the
//! up-thrust zone right of it, and the live operating point (the well's rate against the measured total
//! dynamic head); beside it the numbers: TDH, pump efficiency, motor load, head against the curve, the zone.
//!
//! The figures are the production service's tags (`<well>/tdh`, `pump_efficiency`, …), computed on the hub
//! from good inputs only; the curve is `calc::esp::PumpCurve` from the site's catalogue. A tag that is not
//! good reads "----". Values are kept in oilfield units and shown in the console's. Draws only.

use super::qty;
use crate::calc::esp::PumpCurve;
use crate::hub::Snapshot;
use crate::lang::Lang;
use crate::locale::Locale;
use crate::production::config::{EspConfig, ProducerConfig, ProductionConfig};
use crate::production::perf::good_f64;
use crate::tag::Value;
use crate::ui::theme;
use egui::{RichText, Ui};
use egui_plot::{Corner, HoverPosition, Legend, Line, LineStyle, MarkerShape, Plot, Points, Span};

/// Points on a drawn curve.
const CURVE_POINTS: usize = 60;
/// Room beside the plot for its numbers.
const NUMBERS_W: f32 = 420.0;

pub fn esp_ui(ui: &mut Ui, w: &ProducerConfig, cfg: &ProductionConfig, snap: &Snapshot, loc: Locale) {
    let lang = loc.lang;
    let Some(e) = &w.esp else {
        ui.label(lang.pick(
            "This well has no ESP in the site's production table.",
            "Este pozo no tiene BES en la tabla de producción del sitio.",
        ));
        return;
    };
    let Some(pump) = cfg.pumps.get(e.pump) else {
        ui.label(
            RichText::new(lang.pick(
                "This well's pump is not in the site's pump catalogue.",
                "La bomba de este pozo no está en el catálogo de bombas del sitio.",
            ))
            .color(theme::ATTENTION),
        );
        return;
    };
    let live_hz = good_f64(snap, e.frequency);
    let running_hz = live_hz.filter(|hz| *hz >= crate::production::service::STOPPED_HZ);
    let hz = running_hz.unwrap_or(pump.base_hz);
    let heading = match (running_hz, lang) {
        (Some(_), Lang::En) => format!("{} · {:.0} stages · curve at {hz:.1} Hz", pump.model, e.stages),
        (Some(_), Lang::Es) => format!("{} · {:.0} etapas · curva a {hz:.1} Hz", pump.model, e.stages),
        (None, Lang::En) => format!(
            "{} · {:.0} stages · not running: the curve at {hz:.0} Hz",
            pump.model, e.stages
        ),
        (None, Lang::Es) => format!(
            "{} · {:.0} etapas · detenida: la curva a {hz:.0} Hz",
            pump.model, e.stages
        ),
    };
    ui.label(RichText::new(heading).strong());
    let rate = w.rate.and_then(|id| good_f64(snap, id));
    let tdh = good_f64(snap, e.tags.tdh);
    let live = rate.zip(tdh).filter(|_| running_hz.is_some()).map(|(q, h)| [q, h]);
    ui.horizontal_top(|ui| {
        let size = egui::vec2(
            (ui.available_width() - NUMBERS_W).max(320.0),
            (ui.available_height() - 12.0).clamp(240.0, 420.0),
        );
        plot_ui(ui, size, pump, e.stages, hz, live, loc);
        ui.vertical(|ui| {
            ui.set_max_width(NUMBERS_W - 16.0);
            numbers_ui(ui, pump, e, (live_hz, rate, hz), snap, loc);
        });
    });
}

fn plot_ui(ui: &mut Ui, size: egui::Vec2, pump: &PumpCurve, stages: f64, hz: f64, live: Option<[f64; 2]>, loc: Locale) {
    let lang = loc.lang;
    let qs = loc.units.shown("bbl/d");
    let hs = loc.units.shown("ft");
    let (q_unit, h_unit) = (qs.unit.to_owned(), hs.unit.to_owned());
    let to_plot = move |[q, h]: [f64; 2]| [qs.value(q), hs.value(h)];
    let at_hz: Vec<[f64; 2]> = pump.curve(hz, stages, CURVE_POINTS).into_iter().map(to_plot).collect();
    let at_base: Vec<[f64; 2]> = pump
        .curve(pump.base_hz, stages, CURVE_POINTS)
        .into_iter()
        .map(to_plot)
        .collect();
    let (lo, hi) = pump.range_bpd(hz);
    let runout = pump.flow_bpd.last().copied().unwrap_or(hi) * hz / pump.base_hz;
    let (lo, hi, runout) = (qs.value(lo), qs.value(hi), qs.value(runout));
    let live_point = live.filter(|p| p.iter().all(|x| x.is_finite())).map(to_plot);
    let names = (
        format!("{} {hz:.1} Hz", lang.pick("catalogue curve at", "curva de catálogo a")),
        format!(
            "{} {:.0} Hz",
            lang.pick("catalogue curve at", "curva de catálogo a"),
            pump.base_hz
        ),
        lang.pick("down-thrust", "empuje descendente"),
        lang.pick("up-thrust", "empuje ascendente"),
        lang.pick("live point", "punto en vivo"),
    );
    let response = Plot::new("production_esp")
        .width(size.x)
        .height(size.y)
        .x_axis_label(format!("{} [{q_unit}]", lang.pick("rate", "caudal")))
        .y_axis_label(format!("{} [{h_unit}]", lang.pick("head", "altura")))
        .include_x(0.0)
        .include_y(0.0)
        .legend(Legend::default().position(Corner::LeftBottom))
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .label_formatter(move |h| {
            let (name, p) = match h {
                HoverPosition::NearDataPoint {
                    plot_name, position, ..
                } => (*plot_name, position),
                HoverPosition::Elsewhere { position } => ("", position),
            };
            Some(format!("{name}\n{:.0} {q_unit} · {:.0} {h_unit}", p.x, p.y))
        })
        .show(ui, |pu| {
            let border = egui::Stroke::new(1.0, theme::REFERENCE);
            if lo > 0.0 {
                pu.span(
                    Span::new(names.2, 0.0..=lo)
                        .fill(theme::esp_downthrust())
                        .border(border),
                );
            }
            if runout > hi {
                pu.span(
                    Span::new(names.3, hi..=runout)
                        .fill(theme::esp_upthrust())
                        .border(border),
                );
            }
            pu.line(
                Line::new(names.1, at_base)
                    .color(theme::REFERENCE)
                    .width(1.5)
                    .style(LineStyle::dashed_loose()),
            );
            pu.line(Line::new(names.0, at_hz).color(theme::PROD_CURVE).width(2.0));
            if let Some(p) = live_point {
                pu.points(
                    Points::new(names.4, vec![p])
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
            lang.pick("ESP pump curve plot", "gráfico de la curva de la bomba BES"),
        )
    });
}

/// The pump's figures now: (live frequency, rate, the frequency the curve is drawn at).
fn numbers_ui(
    ui: &mut Ui,
    pump: &PumpCurve,
    e: &EspConfig,
    (live_hz, rate, hz): (Option<f64>, Option<f64>, f64),
    snap: &Snapshot,
    loc: Locale,
) {
    let lang = loc.lang;
    let pct = |id| good_f64(snap, id).map_or_else(|| "----".to_owned(), |v| format!("{v:.1} %"));
    let (lo, hi) = pump.range_bpd(hz);
    let range = format!(
        "{} – {}",
        qty(loc, "bbl/d", Some(lo), 0),
        qty(loc, "bbl/d", Some(hi), 0)
    );
    let zone = snap
        .get(e.tags.zone)
        .filter(|s| s.quality.is_good())
        .and_then(|s| s.value.as_ref())
        .and_then(Value::as_str)
        .map(str::to_owned);
    let out_of_range = snap
        .get(e.tags.out_of_range)
        .filter(|s| s.quality.is_good())
        .and_then(|s| s.value.as_ref())
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let rows: [(&str, String); 8] = [
        (
            lang.pick("TDH", "Altura dinámica total"),
            qty(loc, "ft", good_f64(snap, e.tags.tdh), 0),
        ),
        (
            lang.pick("Pump efficiency", "Eficiencia de la bomba"),
            pct(e.tags.efficiency),
        ),
        (lang.pick("Motor load", "Carga del motor"), pct(e.tags.motor_load)),
        (
            lang.pick("Head against the curve", "Altura frente a la curva"),
            pct(e.tags.head_ratio),
        ),
        (
            lang.pick("Frequency", "Frecuencia"),
            live_hz.map_or_else(|| "----".to_owned(), |f| format!("{f:.1} Hz")),
        ),
        (lang.pick("Rate", "Caudal"), qty(loc, "bbl/d", rate, 0)),
        (lang.pick("Recommended range", "Rango recomendado"), range),
        (
            lang.pick("Best efficiency", "Mejor eficiencia"),
            qty(loc, "bbl/d", Some(pump.bep_bpd() * hz / pump.base_hz), 0),
        ),
    ];
    egui::Grid::new("production_esp_numbers")
        .num_columns(2)
        .spacing([16.0, 6.0])
        .show(ui, |ui| {
            for (name, value) in rows {
                ui.label(name);
                ui.label(RichText::new(value).monospace().strong());
                ui.end_row();
            }
            ui.label(lang.pick("Zone", "Zona"));
            match zone.as_deref() {
                None => ui.label(RichText::new("----").monospace().strong()),
                Some("recommended") => ui.label(RichText::new(zone_text("recommended", lang)).strong()),
                Some(code) => ui.label(RichText::new(zone_text(code, lang)).strong().color(theme::ATTENTION)),
            };
            ui.end_row();
        });
    if out_of_range {
        ui.label(
            RichText::new(lang.pick(
                "OUT OF RANGE: the pump has run outside its recommended range long enough to alarm.",
                "FUERA DE RANGO: la bomba operó fuera de su rango recomendado el tiempo suficiente para alarmar.",
            ))
            .strong()
            .color(theme::ATTENTION),
        );
    }
    ui.label(
        RichText::new(lang.pick(
            "Head per stage × stages, scaled to the drive frequency (affinity laws: rate proportional to f, head to f²). Left of \
             the range the impellers ride down on their thrust washers; right of it they lift.",
            "Altura por etapa × etapas, escalada a la frecuencia del variador (leyes de afinidad: caudal proporcional a f, \
             altura a f²). A la izquierda del rango los impulsores apoyan en sus arandelas de empuje; a la derecha \
             se levantan.",
        ))
        .color(theme::text_dim())
        .size(theme::TEXT_SMALL),
    );
}

/// A pump zone tag's code in words (an unknown code is shown as it came).
pub fn zone_text(code: &str, lang: Lang) -> String {
    match code {
        "recommended" => lang.pick("in range", "en rango"),
        "downthrust" => lang.pick("down-thrust", "empuje descendente"),
        "upthrust" => lang.pick("up-thrust", "empuje ascendente"),
        "stopped" => lang.pick("stopped", "detenida"),
        other => return other.to_owned(),
    }
    .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_read_in_words_in_both_languages() {
        let table = [
            ("recommended", "in range", "en rango"),
            ("downthrust", "down-thrust", "empuje descendente"),
            ("upthrust", "up-thrust", "empuje ascendente"),
            ("stopped", "stopped", "detenida"),
            ("odd", "odd", "odd"),
        ];
        for (code, en, es) in table {
            assert_eq!(
                (zone_text(code, Lang::En), zone_text(code, Lang::Es)),
                (en.to_owned(), es.to_owned())
            );
        }
    }
}
