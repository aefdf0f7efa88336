//! The job ticket: issuing it once the job is completed (its content frozen and hashed), its state, the
//! three signature slots in signing order (operator, supervisor, client's representative) with who signed,
//! when and the hash they signed, the check that the stored content still matches (a mismatch said in red,
//! never hidden), and the PDF export.
//!
//! Signing is a login-confirmed act: the Sign as … dialog takes the signer's user name, password and
//! printed name and sends them to the job writer, which checks the password on its own thread and the
//! signer's capacity; the password is taken out of the dialog as it is sent and the dialog closes. The
//! signer need not be the console's user (the client's representative signs on the crew's panel). The PDF
//! is written by the writer, in this console's language and units, to the path typed here.

use super::{Desk, wide};
use crate::auth::Action;
use crate::job::command::JobRequest;
use crate::job::model::{JobStatus, SignRole, TicketState};
use crate::job::view::JobDetail;
use crate::lang::Lang;
use crate::ui::theme;
use egui::{RichText, Ui};
use std::path::PathBuf;

/// The ticket tab's state: the signature dialog and the PDF's path, for the job they belong to. (No
/// `Debug`: the dialog holds a password while it is typed.)
#[derive(Default)]
pub struct TicketTab {
    sign: Option<SignDialog>,
    /// The job the path was proposed for, and the path as typed.
    pdf_for: String,
    pdf_path: String,
}

/// A signature being given.
struct SignDialog {
    number: String,
    role: SignRole,
    user: String,
    /// Cleared as the signature is sent; never kept after the dialog closes.
    password: String,
    name: String,
}

pub fn ticket_ui(ui: &mut Ui, d: &JobDetail, st: &mut TicketTab, desk: &mut Desk<'_>) {
    let lang = desk.lang();
    let job = &d.job;
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new(format!("{}: {}", lang.pick("Ticket", "Boleta"), job.ticket.label(lang))).strong());
        let issuable = job.status == JobStatus::Completed && job.ticket == TicketState::Draft;
        let may = desk.may(Action::SignTicket);
        let b =
            egui::Button::new(RichText::new(lang.pick("Issue ticket", "Emitir boleta")).strong()).min_size(wide(desk));
        let hover = if may {
            lang.pick(
                "Once the job is completed and its log corrected: the ticket's content is frozen for signatures",
                "Una vez completado el trabajo y corregido su registro: el contenido de la boleta se congela para las \
                 firmas",
            )
            .to_owned()
        } else {
            desk.refusal(Action::SignTicket)
        };
        if ui
            .add_enabled(issuable && may, b)
            .on_disabled_hover_text(hover)
            .clicked()
        {
            let what = format!(
                "{} {}",
                lang.pick("issue the ticket of", "emitir la boleta de"),
                job.number
            );
            desk.request(
                JobRequest::IssueTicket {
                    number: job.number.clone(),
                },
                what,
            );
        }
    });
    check_ui(ui, d, lang);
    ui.separator();
    signatures_ui(ui, d, st, desk);
    ui.separator();
    pdf_ui(ui, d, st, desk);
    sign_dialog_ui(ui.ctx(), st, desk);
}

/// The ticket's hash and whether its stored content still matches it.
fn check_ui(ui: &mut Ui, d: &JobDetail, lang: Lang) {
    if let Some(sha) = &d.ticket_sha {
        let short: String = sha.chars().take(16).collect();
        ui.label(
            RichText::new(format!("SHA-256 {short}…"))
                .monospace()
                .color(theme::text_dim()),
        )
        .on_hover_text(sha.as_str());
    }
    match &d.ticket_check {
        None => {
            ui.label(
                RichText::new(lang.pick(
                    "No ticket issued yet: it is issued once the job is completed.",
                    "Aún no se emite la boleta: se emite una vez completado el trabajo.",
                ))
                .color(theme::text_dim()),
            );
        }
        Some(Ok(())) => {
            ui.label(RichText::new(lang.pick(
                "The ticket's content matches what was issued and signed.",
                "El contenido de la boleta coincide con lo emitido y firmado.",
            )));
        }
        Some(Err(why)) => {
            let head = lang.pick(
                "TAMPERED: the ticket no longer matches its signatures",
                "ALTERADA: la boleta ya no coincide con sus firmas",
            );
            ui.label(
                RichText::new(format!("{head}: {why}"))
                    .strong()
                    .color(theme::JOB_REFUSED),
            );
        }
    }
}

/// The three slots in signing order: who signed and when, or the button to sign when it is that role's turn.
fn signatures_ui(ui: &mut Ui, d: &JobDetail, st: &mut TicketTab, desk: &Desk<'_>) {
    let lang = desk.lang();
    let job = &d.job;
    let open = job.ticket == TicketState::PendingSignatures && !matches!(d.ticket_check, Some(Err(_)));
    egui::Grid::new("job_ticket_signatures")
        .striped(true)
        .num_columns(3)
        .spacing(egui::vec2(16.0, 8.0))
        .show(ui, |ui| {
            for (k, role) in SignRole::ORDER.into_iter().enumerate() {
                ui.strong(role.label(lang));
                match d.signatures.iter().find(|s| s.role == role) {
                    Some(s) => {
                        ui.label(format!("{} ({}) · {}", s.name, s.user, super::form::local_text(s.at)));
                        let short: String = s.content_sha256.chars().take(16).collect();
                        ui.label(
                            RichText::new(format!("SHA-256 {short}…"))
                                .monospace()
                                .color(theme::text_dim()),
                        )
                        .on_hover_text(s.content_sha256.as_str());
                    }
                    None => {
                        // One signature after another, in order: only the next role may sign now.
                        let turn = open && d.signatures.len() == k;
                        let text = match lang {
                            Lang::En => format!("Sign as {}…", role.label(lang)),
                            Lang::Es => format!("Firmar como {}…", role.label(lang)),
                        };
                        let b = egui::Button::new(RichText::new(text).strong()).min_size(wide(desk));
                        if ui.add_enabled(turn, b).clicked() {
                            st.sign = Some(SignDialog {
                                number: job.number.clone(),
                                role,
                                user: signer_default(desk),
                                password: String::new(),
                                name: String::new(),
                            });
                        }
                        ui.label(RichText::new(lang.pick("not signed", "sin firmar")).color(theme::text_dim()));
                    }
                }
                ui.end_row();
            }
        });
}

/// The user name the dialog starts with: the console's user, unless nobody is logged in.
fn signer_default(desk: &Desk<'_>) -> String {
    let user = &desk.console.actor.user;
    if user == crate::ui::session::VIEW_ONLY {
        String::new()
    } else {
        user.clone()
    }
}

/// The PDF's path (proposed in the console's working directory) and Export.
fn pdf_ui(ui: &mut Ui, d: &JobDetail, st: &mut TicketTab, desk: &mut Desk<'_>) {
    let lang = desk.lang();
    let number = &d.job.number;
    if st.pdf_for != *number {
        st.pdf_for = number.clone();
        let file = format!("ticket-{}.pdf", number.replace(['/', '\\'], "-"));
        st.pdf_path = std::env::current_dir()
            .map(|dir| dir.join(&file))
            .unwrap_or_else(|_| PathBuf::from(&file))
            .display()
            .to_string();
    }
    ui.horizontal_wrapped(|ui| {
        let l = ui.label(lang.pick("Ticket PDF:", "PDF de la boleta:"));
        ui.add(egui::TextEdit::singleline(&mut st.pdf_path).desired_width(460.0))
            .labelled_by(l.id);
        let b = egui::Button::new(RichText::new(lang.pick("Export PDF", "Exportar PDF")).strong()).min_size(wide(desk));
        if ui.add_enabled(!st.pdf_path.trim().is_empty(), b).clicked() {
            desk.export_pdf(number.clone(), PathBuf::from(st.pdf_path.trim()));
        }
    });
    ui.label(
        RichText::new(lang.pick(
            "Before the ticket is issued the PDF is a draft; after, it is the issued content with its signatures. \
             Written in this console's language and units.",
            "Antes de emitir la boleta el PDF es un borrador; después, es el contenido emitido con sus firmas. Se \
             escribe en el idioma y las unidades de esta consola.",
        ))
        .color(theme::text_dim())
        .size(theme::TEXT_SMALL),
    );
}

/// The Sign as … dialog: the signer's login and printed name. Sign sends them and closes the dialog, the
/// password taken out of it as it goes.
fn sign_dialog_ui(ctx: &egui::Context, st: &mut TicketTab, desk: &mut Desk<'_>) {
    let Some(mut s) = st.sign.take() else { return };
    let lang = desk.lang();
    let (mut keep, mut sign) = (true, false);
    egui::Modal::new(egui::Id::unique("job_ticket_sign")).show(ctx, |ui| {
        ui.set_width(440.0);
        ui.heading(match lang {
            Lang::En => format!("Sign the ticket of {} as {}", s.number, s.role.label(lang)),
            Lang::Es => format!("Firmar la boleta de {} como {}", s.number, s.role.label(lang)),
        });
        ui.label(lang.pick(
            "The signer confirms with their own console login. The signature records the ticket's SHA-256.",
            "Quien firma confirma con su propio usuario de la consola. La firma registra el SHA-256 de la boleta.",
        ));
        let l = ui.label(lang.pick("User name:", "Usuario:"));
        ui.add(egui::TextEdit::singleline(&mut s.user).desired_width(400.0))
            .labelled_by(l.id);
        let l = ui.label(lang.pick("Password:", "Contraseña:"));
        ui.add(
            egui::TextEdit::singleline(&mut s.password)
                .password(true)
                .desired_width(400.0),
        )
        .labelled_by(l.id);
        let l = ui.label(lang.pick("Name printed on the ticket:", "Nombre impreso en la boleta:"));
        ui.add(egui::TextEdit::singleline(&mut s.name).desired_width(400.0))
            .labelled_by(l.id);
        ui.add_space(8.0);
        ui.horizontal(|ui| {
            let ready = !s.user.trim().is_empty() && !s.password.is_empty() && !s.name.trim().is_empty();
            let b = egui::Button::new(RichText::new(lang.pick("Sign", "Firmar")).strong()).min_size(wide(desk));
            if ui.add_enabled(ready, b).clicked() {
                sign = true;
            }
            if ui
                .add(egui::Button::new(lang.pick("Cancel", "Cancelar")).min_size(wide(desk)))
                .clicked()
            {
                keep = false;
            }
        });
    });
    if sign {
        let password = std::mem::take(&mut s.password);
        desk.sign(
            s.user.trim().to_owned(),
            password,
            s.role,
            s.name.trim().to_owned(),
            s.number.clone(),
        );
        // Closed once sent (or said not sent): the dialog keeps no password.
        return;
    }
    if keep {
        st.sign = Some(s);
    }
}
