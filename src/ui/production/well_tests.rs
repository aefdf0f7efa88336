//! The Tests tab: a well's tests, newest first (test period, rates, GOR/WOR/water cut, flowing pressure,
//! status, tester and decision), and under them what people do with the one chosen: the tester signs it,
//! a supervisor or engineer approves it (with an optional note) or rejects it (the reason is required),
//! and anyone but a viewer writes its certificate PDF to a path typed here (the writer writes it, never
//! over a file and never into the records).
//!
//! Each act is a request to the production writer, which checks the role again, applies and audits it;
//! its answer comes back by id on the page. A control the user's role may not use is disabled and its
//! hover says who may; one the test's state does not allow says why. Owns the chosen test and what is
//! typed for it, dropped when another test is chosen.

use super::{Desk, local_text, pct_text, qty, ratio_text};
use crate::auth::Action;
use crate::lang::Lang;
use crate::production::command::ProductionRequest;
use crate::production::config::ProducerConfig;
use crate::production::model::{TestStatus, WellTest};
use crate::production::view::ProductionView;
use crate::ui::theme;
use egui::{RichText, Ui};
use std::path::PathBuf;

/// The chosen test and what is typed for it.
#[derive(Debug, Default)]
pub struct TestsState {
    selected: Option<i64>,
    reason: String,
    note: String,
    /// The test the path was proposed for, and the path as typed.
    pdf_for: Option<i64>,
    pdf_path: String,
}

impl TestsState {
    fn select(&mut self, id: Option<i64>) {
        *self = Self {
            selected: id,
            ..Self::default()
        };
    }
}

pub fn tests_ui(ui: &mut Ui, view: &ProductionView, w: &ProducerConfig, st: &mut TestsState, desk: &mut Desk<'_>) {
    let lang = desk.lang();
    let tests: Vec<&WellTest> = view.for_well(&w.id).collect();
    if tests.is_empty() {
        ui.label(match lang {
            Lang::En => format!(
                "No well tests of {} yet: a test is recorded when the well has been routed to the test separator, \
                 its rates have settled and the test period has run.",
                w.label
            ),
            Lang::Es => format!(
                "Aún no hay pruebas de {}: una prueba se registra cuando el pozo pasó al separador de prueba, sus \
                 caudales se estabilizaron y corrió el período de prueba.",
                w.label
            ),
        });
        return;
    }
    // The test looked at first: the newest awaiting a decision, else the newest.
    if st.selected.is_none_or(|id| tests.iter().all(|t| t.id != id)) {
        let first = tests
            .iter()
            .find(|t| t.status == TestStatus::Pending)
            .or(tests.first())
            .map(|t| t.id);
        st.select(first);
    }
    if let Some(id) = table_ui(ui, &tests, st.selected, desk) {
        st.select(Some(id));
    }
    ui.separator();
    if let Some(t) = tests.iter().find(|t| Some(t.id) == st.selected) {
        decision_ui(ui, t, &w.label, st, desk);
        ui.separator();
        pdf_ui(ui, t, st, desk);
    }
}

/// The tests, newest first; the id of the one touched.
fn table_ui(ui: &mut Ui, tests: &[&WellTest], selected: Option<i64>, desk: &Desk<'_>) -> Option<i64> {
    let loc = desk.loc();
    let lang = loc.lang;
    let units = loc.units;
    let mut chosen = None;
    egui::Grid::new("production_tests")
        .striped(true)
        .num_columns(11)
        .spacing(egui::vec2(14.0, 6.0))
        .show(ui, |ui| {
            for h in [
                lang.pick("Test", "Prueba").to_owned(),
                lang.pick("Test period", "Período de prueba").to_owned(),
                format!("{} {}", lang.pick("Oil", "Petróleo"), units.shown("STB/d").unit),
                format!("{} {}", lang.pick("Water", "Agua"), units.shown("bbl/d").unit),
                format!("Gas {}", units.shown("Mscf/d").unit),
                format!("{} {}", lang.pick("GOR", "RGP"), units.shown("scf/STB").unit),
                lang.pick("WOR", "RAP").to_owned(),
                lang.pick("Water cut", "Corte de agua").to_owned(),
                format!("p_wf {}", units.shown("psi").unit),
                lang.pick("Status", "Estado").to_owned(),
                lang.pick("Signed and decided", "Firma y decisión").to_owned(),
            ] {
                ui.strong(h);
            }
            ui.end_row();
            for t in tests {
                let name = format!("{} {}", lang.pick("Test", "Prueba"), t.id);
                if ui
                    .add(egui::Button::selectable(
                        selected == Some(t.id),
                        RichText::new(name).strong(),
                    ))
                    .clicked()
                {
                    chosen = Some(t.id);
                }
                let m = &t.m;
                ui.label(format!("{} · {:.1} h", local_text(m.start), m.duration_h()));
                let mono = |ui: &mut Ui, text: String| {
                    ui.label(RichText::new(text).monospace());
                };
                mono(ui, qty(loc, "STB/d", Some(m.oil_stb_d), 1));
                mono(ui, qty(loc, "bbl/d", Some(m.water_bbl_d), 1));
                mono(ui, qty(loc, "Mscf/d", Some(m.gas_mscf_d), 1));
                mono(ui, ratio_text(loc, "scf/STB", m.gor_scf_stb, 0, true));
                mono(ui, ratio_text(loc, "", m.wor, 2, true));
                mono(ui, pct_text(lang, m.water_cut, true));
                mono(ui, qty(loc, "psi", m.pwf_psi, 0));
                status_ui(ui, t.status, lang);
                ui.label(signed_text(t, lang));
                ui.end_row();
            }
        });
    chosen
}

fn status_ui(ui: &mut Ui, status: TestStatus, lang: Lang) {
    let text = RichText::new(status.label(lang)).strong();
    match status {
        TestStatus::Pending => ui.label(text),
        TestStatus::Approved => ui.label(text.color(theme::JOB_DONE)),
        TestStatus::Rejected => ui.label(text.color(theme::text_dim())),
    };
}

/// Who signed as the tester and who decided, with when.
fn signed_text(t: &WellTest, lang: Lang) -> String {
    let tester = match (&t.tested_by, t.tested_at) {
        (Some(by), Some(at)) => format!("{} {by} {}", lang.pick("tester", "probador"), local_text(at)),
        (Some(by), None) => format!("{} {by}", lang.pick("tester", "probador")),
        _ => lang.pick("no tester's signature", "sin firma del probador").to_owned(),
    };
    match (&t.decided_by, t.decided_at) {
        (Some(by), Some(at)) => format!("{tester} · {} {by} {}", t.status.label(lang), local_text(at)),
        _ => tester,
    }
}

/// The chosen test's acts: sign as tester, approve with a note, reject with its reason.
fn decision_ui(ui: &mut Ui, t: &WellTest, well_label: &str, st: &mut TestsState, desk: &mut Desk<'_>) {
    let lang = desk.lang();
    let id = t.id;
    let head = match lang {
        Lang::En => format!("Well test {id} of {well_label}: {}", t.status.label(lang)),
        Lang::Es => format!("Prueba {id} de {well_label}: {}", t.status.label(lang)),
    };
    ui.label(RichText::new(head).strong());
    if t.status == TestStatus::Rejected && !t.reason.is_empty() {
        ui.label(format!(
            "{}: {}",
            lang.pick("Rejected because", "Rechazada porque"),
            t.reason
        ));
    }
    if !t.note.is_empty() {
        ui.label(format!("{}: {}", lang.pick("Note", "Nota"), t.note));
    }
    let pending = t.status == TestStatus::Pending;
    ui.horizontal_wrapped(|ui| {
        let may_sign = desk.may(Action::SignWellTest);
        let unsigned = t.tested_by.is_none();
        let hover = if may_sign {
            lang.pick(
                "Only a pending test not signed yet: the tester who witnessed it on the separator signs it",
                "Solo una prueba pendiente aún sin firmar: la firma el probador que la presenció en el separador",
            )
            .to_owned()
        } else {
            desk.refusal(Action::SignWellTest)
        };
        let b = egui::Button::new(RichText::new(lang.pick("Sign as tester", "Firmar como probador")).strong());
        if ui
            .add_enabled(may_sign && unsigned && pending, b)
            .on_disabled_hover_text(hover)
            .clicked()
        {
            let what = match lang {
                Lang::En => format!("signature of well test {id} ({well_label}) as its tester"),
                Lang::Es => format!("firma de la prueba {id} ({well_label}) como probador"),
            };
            desk.request(ProductionRequest::SignTester { id }, what);
        }
        let may_decide = desk.may(Action::ApproveWellTest);
        let hover = if may_decide {
            lang.pick(
                "Only a pending test is approved",
                "Solo se aprueba una prueba pendiente",
            )
            .to_owned()
        } else {
            desk.refusal(Action::ApproveWellTest)
        };
        let b = egui::Button::new(RichText::new(lang.pick("Approve", "Aprobar")).strong());
        if ui
            .add_enabled(may_decide && pending, b)
            .on_disabled_hover_text(hover)
            .clicked()
        {
            let what = match lang {
                Lang::En => format!("approval of well test {id} ({well_label})"),
                Lang::Es => format!("aprobación de la prueba {id} ({well_label})"),
            };
            let note = st.note.trim().to_owned();
            desk.request(ProductionRequest::Approve { id, note }, what);
        }
        let l = ui.label(lang.pick("Note (optional):", "Nota (opcional):"));
        ui.add(
            egui::TextEdit::singleline(&mut st.note)
                .char_limit(crate::production::model::MAX_TEXT)
                .desired_width(280.0),
        )
        .labelled_by(l.id);
    });
    reject_ui(ui, t, well_label, st, desk);
}

/// Rejecting: a pending test, or an approved one found wrong later; never without a reason.
fn reject_ui(ui: &mut Ui, t: &WellTest, well_label: &str, st: &mut TestsState, desk: &mut Desk<'_>) {
    let lang = desk.lang();
    let id = t.id;
    ui.horizontal_wrapped(|ui| {
        let l = ui.label(lang.pick("Reason (required to reject):", "Motivo (obligatorio para rechazar):"));
        ui.add(
            egui::TextEdit::singleline(&mut st.reason)
                .char_limit(crate::production::model::MAX_TEXT)
                .hint_text(lang.pick("e.g. oil meter drifted", "p. ej. el medidor de petróleo derivó"))
                .desired_width(320.0),
        )
        .labelled_by(l.id);
        let may = desk.may(Action::ApproveWellTest);
        let open = t.status != TestStatus::Rejected;
        let reason = st.reason.trim().to_owned();
        let hover = if !may {
            desk.refusal(Action::ApproveWellTest)
        } else if open {
            lang.pick("Type the reason first", "Escriba primero el motivo")
                .to_owned()
        } else {
            lang.pick("This test is rejected already", "Esta prueba ya está rechazada")
                .to_owned()
        };
        let b = egui::Button::new(RichText::new(lang.pick("Reject", "Rechazar")).strong());
        if ui
            .add_enabled(may && open && !reason.is_empty(), b)
            .on_disabled_hover_text(hover)
            .clicked()
        {
            let what = match lang {
                Lang::En => format!("rejection of well test {id} ({well_label})"),
                Lang::Es => format!("rechazo de la prueba {id} ({well_label})"),
            };
            if desk.request(ProductionRequest::Reject { id, reason }, what) {
                st.reason.clear();
            }
        }
    });
}

/// The certificate's path (proposed in the user's home folder) and Export PDF.
fn pdf_ui(ui: &mut Ui, t: &WellTest, st: &mut TestsState, desk: &mut Desk<'_>) {
    let lang = desk.lang();
    if st.pdf_for != Some(t.id) {
        st.pdf_for = Some(t.id);
        st.pdf_path = default_pdf_path(t.id).display().to_string();
    }
    ui.horizontal_wrapped(|ui| {
        let l = ui.label(lang.pick("Certificate PDF:", "PDF del certificado:"));
        ui.add(
            egui::TextEdit::singleline(&mut st.pdf_path)
                .char_limit(4096)
                .desired_width(420.0),
        )
        .labelled_by(l.id);
        let may = desk.may(Action::SignWellTest);
        let hover = if may {
            lang.pick("Type the file's path first", "Escriba primero la ruta del archivo")
                .to_owned()
        } else {
            desk.refusal(Action::SignWellTest)
        };
        let b = egui::Button::new(RichText::new(lang.pick("Export PDF", "Exportar PDF")).strong());
        if ui
            .add_enabled(may && !st.pdf_path.trim().is_empty(), b)
            .on_disabled_hover_text(hover)
            .clicked()
        {
            desk.export_pdf(t.id, PathBuf::from(st.pdf_path.trim()));
        }
    });
    ui.label(
        RichText::new(lang.pick(
            "The Production Test Certificate, with the tester's and the approving engineer's signatures as \
             recorded; written in this console's language and units, never over an existing file.",
            "El Certificado de Prueba de Producción, con las firmas del probador y del ingeniero que la aprobó \
             tal como se registraron; se escribe en el idioma y las unidades de esta consola, nunca sobre un \
             archivo existente.",
        ))
        .color(theme::text_dim())
        .size(theme::TEXT_SMALL),
    );
}

/// `~/wellconsole-test-<id>.pdf` (the working folder when there is no home folder).
fn default_pdf_path(id: i64) -> PathBuf {
    let file = format!("wellconsole-test-{id}.pdf");
    std::env::var_os("HOME")
        .or_else(|| std::env::var_os("USERPROFILE"))
        .filter(|h| !h.is_empty())
        .map_or_else(|| PathBuf::from(&file), |home| PathBuf::from(home).join(&file))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_certificate_is_proposed_in_the_home_folder_under_the_tests_id() {
        let p = default_pdf_path(42);
        assert_eq!(p.file_name().and_then(|f| f.to_str()), Some("wellconsole-test-42.pdf"));
    }
}
