//! Pipe limits: the von Mises envelope of the pipe at the wellhead (axial true force against the pressure
//! difference across the wall, Δp = p_in − p_out) at 100 % of yield and at the alarm fraction, with the live
//! operating point; beside it the numbers: % of yield, safety factor, burst and collapse ratings.
//!
//! The operating point takes the alarm colours only past the alarm fraction and past yield (the same
//! conditions the alarm engine alarms on); inside, it is the dark ink of live data. Draws only.

use super::{finite_runs, problem_ui, qty};
use crate::ctstring::view::{CtStringView, LimitsView};
use crate::lang::Lang;
use crate::locale::Locale;
use crate::ui::theme;
use egui::{Color32, RichText, Ui};
use egui_plot::{Corner, HLine, HoverPosition, Legend, Line, LineStyle, Plot, Points, VLine};

/// The limits plot, `height` points high, with its numbers.
pub fn limits_ui(ui: &mut Ui, v: &CtStringView, loc: Locale, height: f32) {
    let lang = loc.lang;
    ui.heading(lang.pick("Pipe limits", "Límites de la tubería"));
    let Some(l) = &v.limits else {
        ui.label(lang.pick(
            "No pipe limits for this string: they need the string's size and grade and the live weight and \
             pressures.",
            "Sin límites de la tubería para esta sarta: hacen falta la medida y el grado de la sarta, y el peso \
             y las presiones en vivo.",
        ));
        return;
    };
    if let Some(p) = &l.problem {
        problem_ui(ui, p);
    }
    numbers_ui(ui, l, loc);
    let fs = loc.units.shown("lbf");
    let ps = loc.units.shown("psi");
    let (force_unit, pressure_unit) = (fs.unit.to_owned(), ps.unit.to_owned());
    let to_plot = move |[force, dp]: [f64; 2]| [fs.value(force), ps.value(dp)];
    // Closed curves: the first point again at the end.
    let closed = |curve: &[[f64; 2]]| finite_runs(curve.iter().chain(curve.first()).copied(), to_plot);
    let yield_runs = closed(&l.envelope);
    let alarm_runs = closed(&l.alarm_envelope);
    let point = to_plot(l.operating_point);
    let point_colour = point_colour(l);
    let yield_name = lang.pick("100 % of yield", "100 % de fluencia");
    let alarm_name = match lang {
        Lang::En => format!("alarm at {:.0} % of yield", 100.0 * l.alarm_fraction),
        Lang::Es => format!("alarma al {:.0} % de fluencia", 100.0 * l.alarm_fraction),
    };
    let response = Plot::new("ct_pipe_limits")
        .height(height)
        .x_axis_label(format!(
            "{} [{force_unit}]",
            lang.pick("axial force (true)", "fuerza axial (real)")
        ))
        .y_axis_label(format!(
            "{} [{pressure_unit}]",
            lang.pick("Δp = p in − p out", "Δp = p int − p ext")
        ))
        .legend(Legend::default().position(Corner::LeftTop))
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .label_formatter(move |h| {
            let (name, p) = match h {
                HoverPosition::NearDataPoint {
                    plot_name, position, ..
                } => (*plot_name, position),
                HoverPosition::Elsewhere { position } => ("", position),
            };
            Some(format!("{name}\n{:.0} {force_unit} · {:.0} {pressure_unit}", p.x, p.y))
        })
        .show(ui, |pu| {
            pu.hline(
                HLine::new("", 0.0)
                    .color(theme::tile_stroke())
                    .width(1.0)
                    .allow_hover(false),
            );
            pu.vline(
                VLine::new("", 0.0)
                    .color(theme::tile_stroke())
                    .width(1.0)
                    .allow_hover(false),
            );
            for run in yield_runs {
                pu.line(Line::new(yield_name, run).color(theme::REFERENCE).width(2.0));
            }
            for run in alarm_runs {
                pu.line(
                    Line::new(alarm_name.clone(), run)
                        .color(theme::ALARM_HIGH)
                        .width(1.5)
                        .style(LineStyle::dashed_loose()),
                );
            }
            if point.iter().all(|x| x.is_finite()) {
                pu.points(
                    Points::new(lang.pick("now", "ahora"), vec![point])
                        .filled(true)
                        .radius(6.0)
                        .color(point_colour),
                );
            }
        });
    response.response.widget_info(|| {
        egui::WidgetInfo::labeled(
            egui::Role::Image,
            true,
            lang.pick("pipe limits plot", "gráfico de límites de la tubería"),
        )
    });
}

/// The live point's ink: dark inside the alarm fraction, the alarm's colours past it and past yield.
fn point_colour(l: &LimitsView) -> Color32 {
    if l.pct_of_yield >= 100.0 {
        theme::ALARM_CRITICAL
    } else if l.pct_of_yield >= 100.0 * l.alarm_fraction {
        theme::ALARM_HIGH
    } else {
        theme::LIVE
    }
}

fn numbers_ui(ui: &mut Ui, l: &LimitsView, loc: Locale) {
    let lang = loc.lang;
    egui::Grid::new("ct_limits")
        .num_columns(4)
        .spacing([16.0, 4.0])
        .show(ui, |ui| {
            ui.label(lang.pick("Von Mises", "Von Mises"));
            ui.label(
                RichText::new(format!(
                    "{:.1} % {}",
                    l.pct_of_yield,
                    lang.pick("of yield", "de fluencia")
                ))
                .strong(),
            );
            ui.label(lang.pick("Safety factor", "Factor de seguridad"));
            let sf = if l.safety_factor.is_finite() {
                format!("{:.2}", l.safety_factor)
            } else {
                "----".to_owned()
            };
            ui.label(RichText::new(sf).strong());
            ui.end_row();
            ui.label(lang.pick("Burst", "Estallido"));
            ui.label(RichText::new(qty(loc, "psi", l.burst_psi, 0)).monospace());
            ui.label(lang.pick("Collapse", "Colapso"));
            ui.label(RichText::new(qty(loc, "psi", l.collapse_psi, 0)).monospace());
            ui.end_row();
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_operating_point_wears_an_alarm_colour_only_past_the_alarm_fraction() {
        let at = |pct: f64| {
            point_colour(&LimitsView {
                pct_of_yield: pct,
                alarm_fraction: 0.8,
                ..LimitsView::default()
            })
        };
        assert_eq!(at(79.9), theme::LIVE);
        assert_eq!(at(80.0), theme::ALARM_HIGH);
        assert_eq!(at(100.0), theme::ALARM_CRITICAL);
    }
}
