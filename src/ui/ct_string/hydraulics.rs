//! Hydraulics: the circulating pressure model at the live rate against the measured pump pressure (and the
//! difference, which is what tells a plugged nozzle or a washout), where the pressure goes (reel, CT in the
//! well, annulus, nozzle), the flow regimes with their Reynolds numbers, the annular velocity against the
//! least that still cleans the hole (marked when below), and the ECD. Draws only.

use super::{problem_ui, qty};
use crate::ctstring::view::{CtStringView, HydraulicsView};
use crate::lang::Lang;
use crate::locale::Locale;
use crate::ui::{readout, theme};
use egui::{RichText, Ui};

pub fn hydraulics_ui(ui: &mut Ui, v: &CtStringView, loc: Locale) {
    let lang = loc.lang;
    ui.heading(lang.pick("Hydraulics", "Hidráulica"));
    let Some(h) = &v.hydraulics else {
        ui.label(lang.pick(
            "No hydraulics for this string: they need the job's fluid, the pump rate and the well.",
            "Sin hidráulica para esta sarta: hacen falta el fluido del trabajo, el caudal de bombeo y el pozo.",
        ));
        return;
    };
    if let Some(p) = &h.problem {
        problem_ui(ui, p);
    }
    let psi = |x: f64| qty(loc, "psi", x, 0);
    egui::Grid::new("ct_hydraulics")
        .num_columns(2)
        .spacing([16.0, 4.0])
        .striped(true)
        .show(ui, |ui| {
            let mut row = |name: &str, value: String| {
                ui.label(name);
                ui.label(RichText::new(value).monospace());
                ui.end_row();
            };
            row(
                lang.pick("Pump rate", "Caudal de bombeo"),
                qty(loc, "gpm", h.rate_gpm, 1),
            );
            row(
                lang.pick("Pump pressure, predicted", "Presión de bomba, prevista"),
                psi(h.predicted_pump_psi),
            );
            row(
                lang.pick("Pump pressure, measured", "Presión de bomba, medida"),
                h.measured_pump_psi.map_or_else(|| "----".to_owned(), psi),
            );
            row(
                lang.pick("Measured − predicted", "Medida − prevista"),
                difference_text(h, loc),
            );
            for (name, part) in [
                (lang.pick("  on the reel", "  en el carrete"), h.reel_psi),
                (lang.pick("  CT in the well", "  TF en el pozo"), h.ct_in_well_psi),
                (lang.pick("  annulus", "  espacio anular"), h.annulus_psi),
                (lang.pick("  nozzle", "  boquilla"), h.nozzle_psi),
            ] {
                row(name, share_text(part, h.predicted_pump_psi, loc));
            }
            row(
                lang.pick("Flow in the pipe", "Flujo en la tubería"),
                format!("{} (Re {:.0})", regime(h.pipe_regime, lang), h.pipe_reynolds),
            );
            row(
                lang.pick("Flow in the annulus", "Flujo en el anular"),
                format!("{} (Re {:.0})", regime(h.annulus_regime, lang), h.annulus_reynolds),
            );
            row(lang.pick("ECD", "DEC"), qty(loc, "ppg", h.ecd_ppg, 2));
        });
    ui.add_space(6.0);
    ui.horizontal_wrapped(|ui| {
        ui.label(format!(
            "{} {} · {} {}",
            lang.pick("Annular velocity", "Velocidad anular"),
            qty(loc, "ft/min", h.annular_velocity_fpm, 0),
            lang.pick("least for cleaning", "mínima de limpieza"),
            qty(loc, "ft/min", h.min_cleaning_fpm, 0)
        ));
        if below_cleaning(h) {
            readout::chip_ui(
                ui,
                lang.pick("BELOW CLEANING VELOCITY", "BAJO LA VELOCIDAD DE LIMPIEZA"),
                theme::ALARM_HIGH,
            );
        }
    });
}

/// The annulus no longer carries cuttings and fill out.
fn below_cleaning(h: &HydraulicsView) -> bool {
    h.annular_velocity_fpm < h.min_cleaning_fpm
}

/// Measured minus predicted pump pressure, signed, with its share of the prediction; "----" with no
/// measurement (never a difference from nothing).
fn difference_text(h: &HydraulicsView, loc: Locale) -> String {
    let Some(measured) = h.measured_pump_psi else {
        return "----".to_owned();
    };
    let d = measured - h.predicted_pump_psi;
    let shown = loc.units.shown("psi");
    let sign = if d > 0.0 { "+" } else { "" };
    let pct = if h.predicted_pump_psi > 0.0 {
        format!(" ({sign}{:.1} %)", 100.0 * d / h.predicted_pump_psi)
    } else {
        String::new()
    };
    format!("{sign}{:.0} {}{pct}", shown.delta(d), shown.unit)
}

/// One loss with its share of the whole: "1250 psi (31 %)".
fn share_text(part_psi: f64, total_psi: f64, loc: Locale) -> String {
    let share = if total_psi > 0.0 && part_psi.is_finite() {
        format!(" ({:.0} %)", 100.0 * part_psi / total_psi)
    } else {
        String::new()
    };
    format!("{}{share}", qty(loc, "psi", part_psi, 0))
}

/// A flow regime in the console's language (the model's own word where it is not one of the three).
fn regime(word: &'static str, lang: Lang) -> &'static str {
    match word {
        "laminar" => "laminar",
        "transitional" => lang.pick("transitional", "de transición"),
        "turbulent" => lang.pick("turbulent", "turbulento"),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(measured: Option<f64>) -> HydraulicsView {
        HydraulicsView {
            rate_gpm: 84.0,
            measured_pump_psi: measured,
            predicted_pump_psi: 4_000.0,
            reel_psi: 1_250.0,
            ct_in_well_psi: 2_100.0,
            annulus_psi: 150.0,
            nozzle_psi: 500.0,
            pipe_regime: "turbulent",
            annulus_regime: "laminar",
            pipe_reynolds: 212_200.0,
            annulus_reynolds: 1_800.0,
            annular_velocity_fpm: 90.0,
            min_cleaning_fpm: 100.0,
            ecd_ppg: 8.6,
            problem: None,
        }
    }

    #[test]
    fn the_difference_is_signed_and_needs_a_measurement() {
        let loc = Locale::default();
        assert_eq!(difference_text(&view(Some(4_200.0)), loc), "+200 psi (+5.0 %)");
        assert_eq!(difference_text(&view(Some(3_900.0)), loc), "-100 psi (-2.5 %)");
        assert_eq!(difference_text(&view(None), loc), "----");
    }

    #[test]
    fn each_loss_shows_its_share_and_a_slow_annulus_is_marked() {
        assert_eq!(share_text(1_250.0, 4_000.0, Locale::default()), "1250 psi (31 %)");
        assert!(below_cleaning(&view(None)));
        assert_eq!(regime("turbulent", Lang::Es), "turbulento");
        assert_eq!(regime("plug", Lang::Es), "plug");
    }
}
