//! The test separator's strip at the top of the Production page: the well test's phase in words, the well
//! on test, the minutes in the phase and, while the rates settle, the worst rate change between the halves
//! of the stabilization window against the tolerance it must come under, as it converges.
//!
//! Reads only the production service's test tags from the hub's snapshot (`ServiceTags`); the phase comes
//! as the runner's code ("idle", "purge", "stabilizing", "testing", "done") and is put in words here. A tag
//! that is not good is shown as "----", never as a number. Draws only.

use crate::hub::Snapshot;
use crate::lang::Lang;
use crate::production::config::ProductionConfig;
use crate::production::perf::good_f64;
use crate::production::welltest::Phase;
use crate::tag::{TagId, Value};
use crate::ui::theme;
use egui::{RichText, Ui};

/// The strip, one row.
pub fn strip_ui(ui: &mut Ui, cfg: &ProductionConfig, snap: &Snapshot, lang: Lang) {
    let tags = &cfg.tags;
    let phase = good_text(snap, tags.state);
    let well = good_text(snap, tags.well).filter(|w| !w.is_empty());
    let elapsed = good_f64(snap, tags.elapsed_min);
    let stability = good_f64(snap, tags.stability_pct);
    let tolerance = cfg.test.tolerance_pct;
    ui.horizontal_wrapped(|ui| {
        let name = format!(
            "{} {}",
            lang.pick("Test separator", "Separador de prueba"),
            cfg.separator.name.to_uppercase()
        );
        ui.label(RichText::new(name).strong());
        let phase_words = phase
            .as_deref()
            .map_or_else(|| "----".to_owned(), |p| phase_text(p, lang));
        ui.label(RichText::new(phase_words).strong().size(theme::TEXT_HEADING));
        ui.separator();
        let well_label = well.as_deref().map_or_else(
            || "----".to_owned(),
            |w| cfg.well(w).map_or_else(|| w.to_owned(), |p| p.label.clone()),
        );
        ui.label(format!("{}: {well_label}", lang.pick("Well on test", "Pozo en prueba")));
        ui.separator();
        let minutes = elapsed.map_or_else(|| "----".to_owned(), |m| format!("{m:.1} min"));
        ui.label(format!("{}: {minutes}", lang.pick("In this phase", "En esta fase")));
        // The stability only means something while the runner compares the window's halves.
        if matches!(phase.as_deref(), Some("stabilizing" | "testing")) {
            ui.separator();
            stability_ui(ui, stability, tolerance, lang);
        }
    });
}

/// The worst rate change between the window's halves against the tolerance: converging until it comes under.
fn stability_ui(ui: &mut Ui, stability_pct: Option<f64>, tolerance_pct: f64, lang: Lang) {
    let head = lang.pick("Rate change", "Cambio de caudal");
    let Some(st) = stability_pct else {
        ui.label(format!(
            "{head}: ---- ({} {tolerance_pct:.1} %)",
            lang.pick(
                "waiting for a full window; tolerance",
                "esperando una ventana completa; tolerancia"
            )
        ));
        return;
    };
    let stable = st <= tolerance_pct;
    let word = if stable {
        lang.pick("stable", "estable")
    } else {
        lang.pick("converging", "convergiendo")
    };
    ui.label(format!(
        "{head}: {st:.1} % / {tolerance_pct:.1} % {}",
        lang.pick("tolerance", "de tolerancia")
    ));
    // How far it has come: full once under the tolerance.
    let progress = if st > 0.0 {
        (tolerance_pct / st).clamp(0.0, 1.0)
    } else {
        1.0
    };
    ui.add(
        egui::ProgressBar::new(progress as f32)
            .desired_width(120.0)
            .fill(theme::indicator()),
    );
    ui.label(RichText::new(word).strong());
}

/// A string tag's value while its quality is good.
fn good_text(snap: &Snapshot, id: TagId) -> Option<String> {
    let s = snap.get(id)?;
    if !s.quality.is_good() {
        return None;
    }
    s.value.as_ref().and_then(Value::as_str).map(str::to_owned)
}

/// A test phase's code in words (an unknown code is shown as it came).
pub fn phase_text(code: &str, lang: Lang) -> String {
    Phase::parse(code).map_or_else(|| code.to_owned(), |p| p.label(lang).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_phase_code_has_words_in_both_languages() {
        for code in ["idle", "purge", "stabilizing", "testing", "done"] {
            for lang in [Lang::En, Lang::Es] {
                assert_ne!(phase_text(code, lang), code, "{code} in {lang:?}");
            }
        }
        assert_eq!(phase_text("calibrating", Lang::Es), "calibrating");
    }
}
