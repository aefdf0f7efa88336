//! The Audit page: the newest records of the audit trail with the chain's verification, read on a query
//! thread of its own (the UI asks without waiting and shows the last answer). Read-only: the page cannot
//! change the trail.

use super::context::Console;
use super::page::{FrameInputs, PageView, ShellAction};
use super::theme;
use crate::auth::audit::{self, AuditRecord, AuditTrail};
use crate::lang::Lang;
use crossbeam_channel::{Receiver, Sender, bounded};
use egui::{RichText, Ui};
use std::time::{Duration, Instant};

const SHOWN: usize = 300;
const REFRESH: Duration = Duration::from_secs(5);

#[derive(Debug, Clone)]
pub struct AuditAnswer {
    pub records: Result<Vec<AuditRecord>, String>,
    /// `Ok((records, head hash))` or the first broken record.
    pub verified: Result<(i64, String), String>,
}

pub struct AuditPage {
    trail: Option<AuditTrail>,
    requests: Option<Sender<()>>,
    answers: Option<Receiver<AuditAnswer>>,
    pub last: Option<AuditAnswer>,
    asked: Option<Instant>,
    pub filter: String,
}

impl AuditPage {
    pub fn new(trail: Option<AuditTrail>) -> Self {
        Self {
            trail,
            requests: None,
            answers: None,
            last: None,
            asked: None,
            filter: String::new(),
        }
    }

    fn start(&mut self) {
        let Some(trail) = self.trail.clone() else { return };
        let (req_tx, req_rx) = bounded::<()>(1);
        let (ans_tx, ans_rx) = bounded(1);
        let spawned = std::thread::Builder::new().name("audit-reader".into()).spawn(move || {
            while req_rx.recv().is_ok() {
                let answer = match audit::open(&trail) {
                    Err(e) => AuditAnswer {
                        records: Err(e.to_string()),
                        verified: Err(e.to_string()),
                    },
                    Ok(conn) => AuditAnswer {
                        records: audit::recent(&conn, SHOWN).map_err(|e| e.to_string()),
                        verified: audit::verify(&conn, &trail)
                            .map(|v| (v.records, v.head))
                            .map_err(|e| e.to_string()),
                    },
                };
                if ans_tx.send(answer).is_err() {
                    return;
                }
            }
        });
        if spawned.is_ok() {
            self.requests = Some(req_tx);
            self.answers = Some(ans_rx);
        }
    }

    /// Asks for fresh records when the last answer is old; never waits.
    pub fn poll(&mut self, ctx: &egui::Context) {
        if self.requests.is_none() {
            self.start();
        }
        if let Some(rx) = &self.answers {
            while let Ok(a) = rx.try_recv() {
                self.last = Some(a);
            }
        }
        if self.asked.is_none_or(|t| t.elapsed() >= REFRESH)
            && let Some(tx) = &self.requests
        {
            let _ = tx.try_send(());
            self.asked = Some(Instant::now());
        }
        ctx.request_repaint_after(Duration::from_millis(500));
    }
}

impl PageView for AuditPage {
    fn ui(&mut self, ui: &mut Ui, console: &mut Console, _frame: &FrameInputs<'_>) -> Option<ShellAction> {
        audit_ui(ui, self, console.lang());
        None
    }
}

/// The trail as recorded: actions, targets and details are the record's own words (English), as they
/// were signed into the chain; the page around them speaks the console's language.
fn audit_ui(ui: &mut Ui, page: &mut AuditPage, lang: Lang) {
    if page.trail.is_none() {
        ui.label(lang.pick(
            "This console keeps no audit trail (started without one).",
            "Esta consola no lleva registro de auditoría (se inició sin uno).",
        ));
        return;
    }
    page.poll(ui.ctx());
    let Some(last) = &page.last else {
        ui.label(
            RichText::new(lang.pick("reading the audit trail…", "leyendo el registro de auditoría…"))
                .color(theme::text_dim()),
        );
        return;
    };
    ui.horizontal(|ui| {
        match &last.verified {
            Ok((n, head)) => {
                let verified = match lang {
                    Lang::En => format!("Chain verified: {n} records"),
                    Lang::Es => format!("Cadena verificada: {n} registros"),
                };
                ui.label(RichText::new(verified).strong());
                ui.label(
                    RichText::new(format!(
                        "{} {}",
                        lang.pick("head", "cabeza"),
                        &head[..16.min(head.len())]
                    ))
                    .monospace()
                    .color(theme::text_dim()),
                )
                .on_hover_text(format!(
                    "{head}\n{}",
                    lang.pick(
                        "Write the head down elsewhere: it also proves no record was cut off the end.",
                        "Anote la cabeza en otro lugar: también prueba que no se cortó ningún registro del final.",
                    )
                ));
            }
            Err(e) => {
                super::readout::chip_ui(
                    ui,
                    lang.pick("AUDIT TRAIL BROKEN", "REGISTRO DE AUDITORÍA ROTO"),
                    theme::ALARM_CRITICAL,
                );
                ui.label(RichText::new(e).strong());
            }
        }
        ui.separator();
        let l = ui.label(lang.pick("Filter:", "Filtro:"));
        ui.add(
            egui::TextEdit::singleline(&mut page.filter)
                .hint_text(lang.pick("user, action, target", "usuario, acción, objetivo"))
                .desired_width(260.0),
        )
        .labelled_by(l.id);
    });
    let records = match &last.records {
        Ok(r) => r,
        Err(e) => {
            ui.label(RichText::new(e).color(theme::ALARM_CRITICAL));
            return;
        }
    };
    let words: Vec<String> = page.filter.split_whitespace().map(str::to_lowercase).collect();
    egui::ScrollArea::vertical().show(ui, |ui| {
        egui::Grid::new("audit_rows").striped(true).show(ui, |ui| {
            for h in [
                "#",
                lang.pick("Time", "Hora"),
                lang.pick("User", "Usuario"),
                lang.pick("Role", "Rol"),
                lang.pick("Action", "Acción"),
                lang.pick("Target", "Objetivo"),
                "",
                lang.pick("Detail", "Detalle"),
            ] {
                ui.label(RichText::new(h).strong());
            }
            ui.end_row();
            for r in records {
                let e = &r.entry;
                let hay = format!("{} {} {} {} {}", e.user, e.role, e.action, e.target, e.detail).to_lowercase();
                if !words.iter().all(|w| hay.contains(w)) {
                    continue;
                }
                ui.label(RichText::new(r.seq.to_string()).monospace());
                ui.label(RichText::new(e.at.to_local_hms()).monospace());
                ui.label(&e.user);
                ui.label(RichText::new(&e.role).color(theme::text_dim()));
                ui.label(RichText::new(&e.action).strong());
                ui.label(RichText::new(&e.target).monospace());
                if e.allowed {
                    ui.label("");
                } else {
                    super::readout::chip_ui(ui, lang.pick("REFUSED", "RECHAZADO"), theme::ALARM_HIGH);
                }
                ui.label(&e.detail);
                ui.end_row();
            }
        });
    });
}
