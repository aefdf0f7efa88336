//! The Decline tab's controls and requests: the phase (oil, liquid, gas), the Arps model, the window's first
//! and last day (YYYY-MM-DD, empty: open), the largest b a hyperbolic fit may take and the terminal decline;
//! Fit asks the decline worker for the well's fit, a point touched on the plot is left out (or taken back)
//! and the fit asked again, and other wells chosen under "Overlay wells" are asked with the same phase,
//! model and window and drawn over this one (`decline_plot`).
//!
//! The worker fits on its own thread (the daily rates come from the historian and the well's history file);
//! its answers are taken every frame the page is drawn, whatever tab it shows, and an answer to a request
//! since replaced (a newer Fit, another well) is dropped. Nothing here waits. Owns what is typed, the fits
//! asked for and their answers, for the well shown; another well starts again from the defaults.

use super::Desk;
use super::decline_plot::{self, kind_text, phase_text};
use crate::calc::decline::DeclineKind;
use crate::lang::Lang;
use crate::production::config::ProducerConfig;
use crate::production::decline::{DeclineAnswer, DeclineSettings, DeclineWorker, RatePhase};
use crate::ui::theme;
use egui::{RichText, Ui};
use std::sync::Arc;

/// Answers taken from the worker in one frame, at most (it answers a few a second).
const POLL_MAX: usize = 64;
/// Wells overlaid at most: each is a fit of its own on the worker.
const MAX_OVERLAYS: usize = 6;
/// Room beside the plot for its numbers.
const NUMBERS_W: f32 = 420.0;

/// One fit asked for and its answer.
#[derive(Default)]
pub(super) struct Fit {
    /// The request awaiting its answer; a newer request replaces it and the older answer is dropped.
    pending: Option<u64>,
    pub answer: Option<DeclineAnswer>,
}

/// Another well drawn over the one shown.
pub(super) struct Overlay {
    pub well: String,
    pub label: String,
    pub fit: Fit,
}

/// What is typed in the controls, read when a fit is asked for.
#[derive(Debug, Default)]
struct Typed {
    from: String,
    to: String,
    b_max: String,
    d_min_pct: String,
}

impl Typed {
    fn of(s: &DeclineSettings) -> Self {
        Self {
            from: s.from_day.map(decline_plot::day_text).unwrap_or_default(),
            to: s.to_day.map(decline_plot::day_text).unwrap_or_default(),
            b_max: s.b_max.to_string(),
            d_min_pct: s.d_min_per_year.map(|d| (100.0 * d).to_string()).unwrap_or_default(),
        }
    }
}

/// The typed controls as numbers.
struct Read {
    from_day: Option<i64>,
    to_day: Option<i64>,
    b_max: f64,
    d_min_per_year: Option<f64>,
}

/// The Decline tab's state and the worker it asks.
pub struct DeclineDesk {
    worker: Option<Arc<DeclineWorker>>,
    next_id: u64,
    /// The well the settings and fits are for.
    well: String,
    settings: DeclineSettings,
    typed: Typed,
    log_scale: bool,
    main: Fit,
    overlays: Vec<Overlay>,
    /// A fit has been asked for this well (the first showing asks one by itself).
    asked: bool,
    /// What is wrong with what was typed.
    error: Option<String>,
}

impl DeclineDesk {
    pub fn new(worker: Option<Arc<DeclineWorker>>) -> Self {
        let settings = default_settings();
        Self {
            worker,
            next_id: 0,
            well: String::new(),
            typed: Typed::of(&settings),
            settings,
            log_scale: true,
            main: Fit::default(),
            overlays: Vec::new(),
            asked: false,
            error: None,
        }
    }

    /// A fit is awaited (the page looks again soon).
    pub fn waiting(&self) -> bool {
        self.main.pending.is_some() || self.overlays.iter().any(|o| o.fit.pending.is_some())
    }

    /// Takes the worker's answers; one to a request since replaced is dropped.
    pub fn poll(&mut self) {
        let Some(worker) = self.worker.clone() else {
            return;
        };
        for _ in 0..POLL_MAX {
            let Some(a) = worker.poll() else {
                break;
            };
            let fits = std::iter::once(&mut self.main).chain(self.overlays.iter_mut().map(|o| &mut o.fit));
            for f in fits {
                if f.pending == Some(a.id) {
                    f.pending = None;
                    f.answer = Some(a);
                    break;
                }
            }
        }
    }

    /// Starts again for `well`: the default settings, nothing asked, nothing overlaid.
    fn reset_for(&mut self, well: &str) {
        self.well = well.to_owned();
        self.settings = default_settings();
        self.typed = Typed::of(&self.settings);
        self.main = Fit::default();
        self.overlays.clear();
        self.asked = false;
        self.error = None;
    }

    /// Asks the worker for `well`'s fit; the request's id, or `None` when its queue is full.
    fn send(&mut self, well: &str, settings: DeclineSettings) -> Option<u64> {
        self.next_id += 1;
        let id = self.next_id;
        let worker = self.worker.as_ref()?;
        worker.request(id, well, settings).then_some(id)
    }

    /// Asks for this well's fit with what is typed and, with `overlays`, every overlaid well's again.
    fn refit(&mut self, desk: &mut Desk<'_>, overlays: bool) {
        self.asked = true;
        match read_typed(&self.typed, desk.lang()) {
            Ok(r) => {
                self.error = None;
                self.settings.from_day = r.from_day;
                self.settings.to_day = r.to_day;
                self.settings.b_max = r.b_max;
                self.settings.d_min_per_year = r.d_min_per_year;
            }
            Err(e) => {
                self.error = Some(e);
                return;
            }
        }
        let well = self.well.clone();
        self.main.pending = self.send(&well, self.settings.clone());
        let mut sent = self.main.pending.is_some();
        if overlays {
            let others: Vec<String> = self.overlays.iter().map(|o| o.well.clone()).collect();
            let settings = overlay_settings(&self.settings);
            let ids: Vec<Option<u64>> = others.iter().map(|other| self.send(other, settings.clone())).collect();
            sent &= ids.iter().all(Option::is_some);
            for (o, id) in self.overlays.iter_mut().zip(ids) {
                o.fit.pending = id;
            }
        }
        if !sent {
            not_sent(desk);
        }
    }

    pub fn decline_ui(&mut self, ui: &mut Ui, w: &ProducerConfig, desk: &mut Desk<'_>) {
        let lang = desk.lang();
        if self.well != w.id {
            self.reset_for(&w.id);
        }
        if self.worker.is_none() {
            ui.label(lang.pick(
                "No decline fits on this console: they need the decline worker (started with the historian).",
                "Sin ajustes de declinación en esta consola: necesitan el proceso de declinación (se inicia con el \
                 histórico).",
            ));
            return;
        }
        let mut fit_now = self.controls_ui(ui, lang);
        self.overlay_ui(ui, w, desk);
        if !self.asked {
            fit_now = true;
        }
        if fit_now {
            self.refit(desk, true);
        }
        self.status_ui(ui, lang);
        let loc = desk.loc();
        let touched = ui
            .horizontal_top(|ui| {
                let size = egui::vec2(
                    (ui.available_width() - NUMBERS_W).max(320.0),
                    (ui.available_height() - 12.0).clamp(240.0, 440.0),
                );
                let touched = decline_plot::plot_ui(ui, size, &self.main, &self.overlays, self.log_scale, loc);
                ui.vertical(|ui| {
                    ui.set_max_width(NUMBERS_W - 16.0);
                    decline_plot::numbers_ui(ui, &self.main, loc);
                });
                touched
            })
            .inner;
        if let Some(day) = touched {
            // A point touched is left out of the fit, or taken back, and the fit asked again.
            let leave_out = !self.settings.is_excluded(day);
            // A full list (10,000 days) takes no more: the engineer narrows the window instead.
            if self.settings.set_excluded(day, leave_out) {
                self.refit(desk, false);
            }
        }
    }

    /// Phase, model, window, b max, terminal decline, Fit, the log scale, and taking every point back;
    /// true when a fit is to be asked.
    fn controls_ui(&mut self, ui: &mut Ui, lang: Lang) -> bool {
        let mut fit = false;
        let (s, t, log) = (&mut self.settings, &mut self.typed, &mut self.log_scale);
        ui.horizontal_wrapped(|ui| {
            let l = ui.label(lang.pick("Phase", "Fase"));
            egui::ComboBox::from_id_salt("production_decline_phase")
                .selected_text(phase_text(&s.phase, lang))
                .show_ui(ui, |ui| {
                    for p in [RatePhase::Oil, RatePhase::Liquid, RatePhase::Gas] {
                        let text = phase_text(&p, lang);
                        ui.selectable_value(&mut s.phase, p, text);
                    }
                })
                .response
                .labelled_by(l.id);
            let l = ui.label(lang.pick("Model", "Modelo"));
            egui::ComboBox::from_id_salt("production_decline_kind")
                .selected_text(kind_text(s.kind, lang))
                .show_ui(ui, |ui| {
                    for k in [DeclineKind::Exponential, DeclineKind::Harmonic, DeclineKind::Hyperbolic] {
                        ui.selectable_value(&mut s.kind, k, kind_text(k, lang));
                    }
                })
                .response
                .labelled_by(l.id);
            let date_hint = lang.pick("YYYY-MM-DD", "AAAA-MM-DD");
            let l = ui.label(lang.pick("From", "Desde"));
            ui.add(
                egui::TextEdit::singleline(&mut t.from)
                    .hint_text(date_hint)
                    .desired_width(100.0),
            )
            .labelled_by(l.id);
            let l = ui.label(lang.pick("to", "hasta"));
            ui.add(
                egui::TextEdit::singleline(&mut t.to)
                    .hint_text(date_hint)
                    .desired_width(100.0),
            )
            .labelled_by(l.id);
            let l = ui.label(lang.pick("b max", "b máx"));
            ui.add(egui::TextEdit::singleline(&mut t.b_max).desired_width(50.0))
                .labelled_by(l.id);
            let l = ui.label(lang.pick("D min %/yr", "D mín %/año"));
            ui.add(
                egui::TextEdit::singleline(&mut t.d_min_pct)
                    .hint_text(lang.pick("none", "ninguna"))
                    .desired_width(60.0),
            )
            .labelled_by(l.id)
            .on_hover_text(lang.pick(
                "Terminal decline, nominal per year: the curve turns exponential when its decline falls to it (needed \
                 for b above 1)",
                "Declinación terminal, nominal por año: la curva pasa a exponencial cuando su declinación baja a ella \
                 (necesaria para b mayor que 1)",
            ));
            let b = egui::Button::new(RichText::new(lang.pick("Fit", "Ajustar")).strong());
            if ui.add(b).clicked() {
                fit = true;
            }
            ui.checkbox(log, lang.pick("Log scale", "Escala logarítmica"));
            let n = s.excluded_days.len();
            let take_back = match lang {
                Lang::En => format!("Take back the {n} points left out"),
                Lang::Es => format!("Volver a incluir los {n} puntos excluidos"),
            };
            if ui.add_enabled(n > 0, egui::Button::new(take_back)).clicked() {
                s.excluded_days.clear();
                fit = true;
            }
        });
        ui.label(
            RichText::new(lang.pick(
                "Touch a point to leave it out of the fit (or take it back); the fit is asked again.",
                "Toque un punto para excluirlo del ajuste (o volver a incluirlo); el ajuste se pide de nuevo.",
            ))
            .color(theme::text_dim())
            .size(theme::TEXT_SMALL),
        );
        fit
    }

    /// The other wells drawn over this one, chosen in a list of checkboxes; a well chosen is asked at once.
    fn overlay_ui(&mut self, ui: &mut Ui, w: &ProducerConfig, desk: &mut Desk<'_>) {
        let lang = desk.lang();
        let cfg = desk.cfg;
        let mut toggled: Option<(String, String)> = None;
        let chosen: Vec<&str> = self.overlays.iter().map(|o| o.label.as_str()).collect();
        let shown = if chosen.is_empty() {
            lang.pick("none", "ninguno").to_owned()
        } else {
            chosen.join(", ")
        };
        let full = self.overlays.len() >= MAX_OVERLAYS;
        ui.horizontal_wrapped(|ui| {
            let l = ui.label(lang.pick("Overlay wells", "Superponer pozos"));
            egui::ComboBox::from_id_salt("production_decline_overlay")
                .selected_text(shown)
                .close_behavior(egui::PopupCloseBehavior::CloseOnClickOutside)
                .show_ui(ui, |ui| {
                    for other in cfg.wells.iter().filter(|o| o.id != w.id) {
                        let mut on = self.overlays.iter().any(|o| o.well == other.id);
                        let r = ui.add_enabled(on || !full, egui::Checkbox::new(&mut on, other.label.as_str()));
                        if r.changed() {
                            toggled = Some((other.id.clone(), other.label.clone()));
                        }
                    }
                })
                .response
                .labelled_by(l.id);
        });
        let Some((id, label)) = toggled else {
            return;
        };
        if let Some(i) = self.overlays.iter().position(|o| o.well == id) {
            self.overlays.remove(i);
            return;
        }
        let pending = self.send(&id, overlay_settings(&self.settings));
        if pending.is_none() {
            not_sent(desk);
        }
        self.overlays.push(Overlay {
            well: id,
            label,
            fit: Fit { pending, answer: None },
        });
    }

    /// Fitting, what is wrong with what was typed, or why the worker could not fit.
    fn status_ui(&self, ui: &mut Ui, lang: Lang) {
        if let Some(e) = &self.error {
            ui.label(RichText::new(e).strong().color(theme::JOB_REFUSED));
        }
        if self.waiting() {
            ui.label(RichText::new(lang.pick("Fitting…", "Ajustando…")).strong());
        }
        for o in &self.overlays {
            if let Some(Err(why)) = o.fit.answer.as_ref().map(|a| &a.result) {
                ui.label(RichText::new(format!("{}: {why}", o.label)).color(theme::ATTENTION));
            }
        }
    }
}

/// The settings a well starts with: oil, hyperbolic, the whole history, b up to 1.
fn default_settings() -> DeclineSettings {
    DeclineSettings::default()
}

/// Another well's settings: this well's phase, model and window, none of its excluded days.
fn overlay_settings(s: &DeclineSettings) -> DeclineSettings {
    DeclineSettings {
        excluded_days: Vec::new(),
        ..s.clone()
    }
}

fn not_sent(desk: &mut Desk<'_>) {
    let text = desk.lang().pick(
        "NOT SENT: the decline fits are busy; try again",
        "NO ENVIADO: los ajustes de declinación están ocupados; intente de nuevo",
    );
    desk.console.notices.say(text);
}

/// The controls as numbers, or what is wrong with them in the person's words.
fn read_typed(t: &Typed, lang: Lang) -> Result<Read, String> {
    let from_day = day_of(&t.from, lang.pick("From", "Desde"), lang)?;
    let to_day = day_of(&t.to, lang.pick("to", "hasta"), lang)?;
    if let (Some(a), Some(b)) = (from_day, to_day)
        && a > b
    {
        return Err(lang
            .pick(
                "The window ends before it starts",
                "La ventana termina antes de empezar",
            )
            .to_owned());
    }
    let b_max = crate::ui::job::form::parse_number(&t.b_max, lang)
        .filter(|b| *b > 0.0 && *b <= 5.0)
        .ok_or_else(|| {
            lang.pick(
                "b max: a number above 0, at most 5",
                "b máx: un número mayor que 0, como mucho 5",
            )
            .to_owned()
        })?;
    let d_min_per_year = if t.d_min_pct.trim().is_empty() {
        None
    } else {
        let pct = crate::ui::job::form::parse_number(&t.d_min_pct, lang)
            .filter(|d| *d > 0.0 && *d < 100.0)
            .ok_or_else(|| {
                lang.pick(
                    "D min: a percentage per year above 0 and below 100, or empty",
                    "D mín: un porcentaje por año mayor que 0 y menor que 100, o vacío",
                )
                .to_owned()
            })?;
        Some(pct / 100.0)
    };
    Ok(Read {
        from_day,
        to_day,
        b_max,
        d_min_per_year,
    })
}

/// A day typed as YYYY-MM-DD, as days since 1970-01-01 (UTC); empty: none.
fn day_of(text: &str, field: &str, lang: Lang) -> Result<Option<i64>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    match crate::production::decline::parse_day(t) {
        Some(day) => Ok(Some(day)),
        None => Err(match lang {
            Lang::En => format!("{field}: '{t}' is not a date as YYYY-MM-DD"),
            Lang::Es => format!("{field}: '{t}' no es una fecha AAAA-MM-DD"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(from: &str, to: &str, b_max: &str, d_min_pct: &str) -> Typed {
        Typed {
            from: from.into(),
            to: to.into(),
            b_max: b_max.into(),
            d_min_pct: d_min_pct.into(),
        }
    }

    #[test]
    fn the_controls_read_as_days_and_fractions_or_say_what_is_wrong() {
        // A decimal comma is read in Spanish (in English "1,5" could be a thousands mark).
        let r = read_typed(&typed("1970-01-11", "", "1,5", "6"), Lang::Es).unwrap();
        assert_eq!((r.from_day, r.to_day), (Some(10), None));
        assert!((r.b_max - 1.5).abs() < 1e-12);
        assert!((r.d_min_per_year.unwrap() - 0.06).abs() < 1e-12);
        let r = read_typed(&typed("", "", "1", ""), Lang::En).unwrap();
        assert_eq!(r.d_min_per_year, None);
        // (typed, the error starts with)
        let table = [
            (typed("2026-13-01", "", "1", ""), "From: '2026-13-01' is not a date"),
            (
                typed("2026-02-01", "2026-01-01", "1", ""),
                "The window ends before it starts",
            ),
            (typed("", "", "0", ""), "b max:"),
            (typed("", "", "6", ""), "b max:"),
            (typed("", "", "1", "100"), "D min:"),
            (typed("", "", "1", "x"), "D min:"),
        ];
        for (t, starts) in table {
            let e = read_typed(&t, Lang::En).err().unwrap();
            assert!(e.starts_with(starts), "{t:?}: {e}");
        }
    }

    #[test]
    fn typed_and_read_agree_on_the_days() {
        let s = DeclineSettings {
            from_day: Some(20_000),
            to_day: Some(20_400),
            ..default_settings()
        };
        let r = read_typed(&Typed::of(&s), Lang::En).unwrap();
        assert_eq!((r.from_day, r.to_day), (Some(20_000), Some(20_400)));
    }
}
