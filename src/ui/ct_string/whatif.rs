//! The planned-job what-if under the fatigue map: trips, depth and pressure of the planned job, a Predict
//! button that asks the string service's model (`WhatIf::predict`), and what it answered: the worst cell
//! after the job (drawn on the map as a second line) or why it could not predict.
//!
//! Numbers are typed in the console's units and kept in oilfield units; in touch mode each has − and +
//! keys a gloved finger can hit (dragging a number is no way to set it on a cab panel). The prediction
//! belongs to the unit it was made for and is dropped when another unit is shown. Sends nothing to the hub.

use super::qty;
use crate::ctstring::view::CtStringView;
use crate::lang::Lang;
use crate::locale::Locale;
use crate::ui::theme;
use crate::units::UnitSystem;
use egui::{RichText, Ui};
use std::ops::RangeInclusive;

/// What the model predicted for the planned job.
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    /// Fatigue % per cell after the job.
    pub cells: Vec<f32>,
    pub max_pct: f64,
    /// The worst cell's centre, from the tip.
    pub max_at_ft: f64,
    /// The job it was predicted for.
    trips: u32,
    depth_ft: f64,
    pressure_psi: f64,
}

/// The planned job as typed, and the last answer.
#[derive(Debug, Clone, Default)]
pub struct WhatIfState {
    /// The unit the inputs and answer belong to (empty: none yet).
    unit: String,
    trips: u32,
    depth_ft: f64,
    pressure_psi: f64,
    answer: Option<Result<Planned, String>>,
}

impl WhatIfState {
    /// The prediction for `unit`, if one was made for it.
    pub fn planned_for(&self, unit: &str) -> Option<&Planned> {
        match &self.answer {
            Some(Ok(p)) if self.unit == unit => Some(p),
            _ => None,
        }
    }

    /// Starts over for `v`'s unit: one trip to where the string is now (or most of its length while it is
    /// at surface or its depth is unknown), unpressured.
    fn reset_for(&mut self, v: &CtStringView) {
        let depth = v.depth_ft.filter(|d| *d > 0.0).unwrap_or(0.9 * v.string_length_ft);
        *self = Self {
            unit: v.unit.clone(),
            trips: 1,
            depth_ft: (depth / 100.0).floor() * 100.0,
            pressure_psi: 0.0,
            answer: None,
        };
    }
}

/// The most round trips a prediction runs: it runs in the frame (a few milliseconds a trip in a release
/// build), so a cab panel never freezes; a longer plan is the `wellconsole calc fatigue` command's.
const MAX_TRIPS: f64 = 50.0;

/// The what-if row: inputs, Predict, and the answer.
pub fn whatif_ui(ui: &mut Ui, st: &mut WhatIfState, v: &CtStringView, loc: Locale, touch: bool) {
    let lang = loc.lang;
    if st.unit != v.unit {
        st.reset_for(v);
    }
    // Steps of the − and + keys, in the units shown: round numbers in either system.
    let (depth_step, pressure_step) = match loc.units {
        UnitSystem::Oilfield => (500.0, 500.0),
        UnitSystem::Si => (100.0, 2_500.0),
    };
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new(lang.pick("Planned job:", "Trabajo planificado:")).strong());
        let mut trips = f64::from(st.trips);
        number_ui(
            ui,
            lang.pick("Trips", "Viajes"),
            &mut trips,
            1.0..=MAX_TRIPS,
            1.0,
            "",
            touch,
            lang,
        );
        st.trips = trips.round().clamp(1.0, MAX_TRIPS) as u32;
        let ft = loc.units.shown("ft");
        let mut depth = ft.value(st.depth_ft);
        let deepest = ft.value(v.string_length_ft.max(0.0));
        if number_ui(
            ui,
            lang.pick("Depth", "Profundidad"),
            &mut depth,
            0.0..=deepest,
            depth_step,
            ft.unit,
            touch,
            lang,
        ) {
            st.depth_ft = ft.kept(depth);
        }
        let psi = loc.units.shown("psi");
        let mut pressure = psi.value(st.pressure_psi);
        // 20,000 psi: above any CT string's burst rating, so the range never hides a real job.
        let highest = psi.value(20_000.0);
        if number_ui(
            ui,
            lang.pick("Pressure", "Presión"),
            &mut pressure,
            0.0..=highest,
            pressure_step,
            psi.unit,
            touch,
            lang,
        ) {
            st.pressure_psi = psi.kept(pressure);
        }
        let predict = ui
            .add_enabled(
                v.whatif.is_some(),
                egui::Button::new(RichText::new(lang.pick("Predict", "Predecir")).strong()),
            )
            .on_disabled_hover_text(lang.pick(
                "No prediction model for this string",
                "No hay modelo de predicción para esta sarta",
            ));
        if predict.clicked()
            && let Some(model) = &v.whatif
        {
            st.answer = Some(
                model
                    .predict(st.trips, st.depth_ft, st.pressure_psi)
                    .and_then(|cells| planned(cells, v.cell_ft, st.trips, st.depth_ft, st.pressure_psi, lang)),
            );
        }
    });
    answer_ui(ui, st, v, loc);
}

/// The answer under the inputs: the worst cell after the job and the job it is for, or why not.
fn answer_ui(ui: &mut Ui, st: &WhatIfState, v: &CtStringView, loc: Locale) {
    let lang = loc.lang;
    match &st.answer {
        None => {}
        Some(Ok(p)) => {
            ui.horizontal_wrapped(|ui| {
                ui.label(
                    RichText::new(format!(
                        "{}: {} {:.1} % {} {}",
                        lang.pick("After the planned job", "Después del trabajo planificado"),
                        lang.pick("max", "máx."),
                        p.max_pct,
                        lang.pick("at", "a"),
                        qty(loc, "ft", p.max_at_ft, 0)
                    ))
                    .strong(),
                );
                if p.max_pct >= v.critical_pct {
                    ui.label(
                        RichText::new(match lang {
                            Lang::En => format!("— above the critical {:.0} %", v.critical_pct),
                            Lang::Es => format!("— por encima del crítico {:.0} %", v.critical_pct),
                        })
                        .strong(),
                    );
                }
                let (depth, pressure) = (qty(loc, "ft", p.depth_ft, 0), qty(loc, "psi", p.pressure_psi, 0));
                let job = match (lang, p.trips) {
                    (Lang::En, 1) => format!("(1 trip to {depth} at {pressure})"),
                    (Lang::En, n) => format!("({n} trips to {depth} at {pressure})"),
                    (Lang::Es, 1) => format!("(1 viaje a {depth} con {pressure})"),
                    (Lang::Es, n) => format!("({n} viajes a {depth} con {pressure})"),
                };
                ui.label(RichText::new(job).color(theme::text_dim()));
            });
        }
        Some(Err(why)) => {
            ui.label(
                RichText::new(format!("{}: {why}", lang.pick("No prediction", "Sin predicción")))
                    .color(theme::QUALITY_BAD),
            );
        }
    }
}

/// The model's answer checked and summed up: its worst cell, or why it cannot be shown.
fn planned(
    cells: Vec<f32>,
    cell_ft: f64,
    trips: u32,
    depth_ft: f64,
    pressure_psi: f64,
    lang: Lang,
) -> Result<Planned, String> {
    let worst = cells
        .iter()
        .enumerate()
        .filter(|(_, c)| c.is_finite())
        .max_by(|a, b| a.1.total_cmp(b.1));
    let Some((i, max)) = worst else {
        return Err(lang
            .pick(
                "the model answered with no fatigue value for any cell",
                "el modelo no dio ningún valor de fatiga por celda",
            )
            .to_owned());
    };
    let max_pct = f64::from(*max);
    Ok(Planned {
        max_at_ft: (i as f64 + 0.5) * cell_ft,
        max_pct,
        cells,
        trips,
        depth_ft,
        pressure_psi,
    })
}

/// A number to type: its label, the value in the units shown (with the unit after it) and, in touch mode,
/// − and + keys of `step`. True when the operator changed it.
#[allow(clippy::too_many_arguments)] // one call per input; a struct would only rename the same eight
fn number_ui(
    ui: &mut Ui,
    label: &str,
    value: &mut f64,
    range: RangeInclusive<f64>,
    step: f64,
    unit: &str,
    touch: bool,
    lang: Lang,
) -> bool {
    let (lo, hi) = (*range.start(), *range.end());
    let before = *value;
    let l = ui.label(label);
    let key = |ui: &mut Ui, text: &str, name: String| {
        let r = ui.button(RichText::new(text).strong().size(theme::TEXT_HEADING));
        r.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &name));
        r.clicked()
    };
    if touch && key(ui, "−", format!("{label}: {}", lang.pick("less", "menos"))) {
        *value = (*value - step).max(lo);
    }
    let suffix = if unit.is_empty() {
        String::new()
    } else {
        format!(" {unit}")
    };
    let width = if touch { 140.0 } else { 100.0 };
    ui.add(
        egui::DragValue::new(value)
            .range(range)
            .speed(step / 20.0)
            .max_decimals(0)
            .suffix(suffix)
            .min_size(egui::vec2(width, 0.0)),
    )
    .labelled_by(l.id);
    if touch && key(ui, "+", format!("{label}: {}", lang.pick("more", "más"))) {
        *value = (*value + step).min(hi);
    }
    ui.add_space(8.0);
    *value != before
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_answer_names_the_worst_cell_at_its_centre() {
        let p = planned(vec![10.0, f32::NAN, 71.25, 40.0], 2.0, 3, 12_000.0, 4_000.0, Lang::En).unwrap();
        assert_eq!(p.max_pct, 71.25);
        assert_eq!(p.max_at_ft, 5.0);
        assert_eq!(p.cells.len(), 4);
    }

    #[test]
    fn an_answer_without_any_value_is_said_not_drawn() {
        let why = planned(vec![f32::NAN], 1.0, 1, 0.0, 0.0, Lang::Es).unwrap_err();
        assert!(why.contains("ningún valor"), "{why}");
        assert!(planned(Vec::new(), 1.0, 1, 0.0, 0.0, Lang::En).is_err());
    }
}
