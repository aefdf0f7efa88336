//! Non-productive time: the periods lost, each with the reason the crew picked and a note, their total and
//! the total per reason; a row to add one (start and end as local times, with Now buttons) and a Remove
//! button on each. NPT changes while the job may still be edited and its ticket is a draft, by those who
//! may run jobs.

use super::form;
use super::{Desk, wide};
use crate::auth::Action;
use crate::job::command::JobRequest;
use crate::job::model::{Npt, NptReason, TicketState};
use crate::job::view::JobDetail;
use crate::lang::Lang;
use crate::ui::theme;
use egui::{RichText, Ui};

/// The NPT being typed.
#[derive(Debug, Clone)]
pub struct NptState {
    start: String,
    end: String,
    reason: NptReason,
    note: String,
    error: Option<String>,
}

impl Default for NptState {
    fn default() -> Self {
        Self {
            start: String::new(),
            end: String::new(),
            reason: NptReason::EquipmentFailure,
            note: String::new(),
            error: None,
        }
    }
}

pub fn npt_ui(ui: &mut Ui, d: &JobDetail, st: &mut NptState, desk: &mut Desk<'_>) {
    let lang = desk.lang();
    let may = desk.may(Action::RunJob);
    let editable = d.job.status.editable() && d.job.ticket == TicketState::Draft;
    let total: f64 = d.npt.iter().map(Npt::hours).sum();
    ui.label(
        RichText::new(format!(
            "{}: {total:.2} h ({} {})",
            lang.pick("Non-productive time", "Tiempo no productivo"),
            d.npt.len(),
            lang.pick("periods", "periodos")
        ))
        .strong(),
    );
    by_reason_ui(ui, d, lang);
    if editable && may {
        add_ui(ui, d, st, desk);
    } else if !may {
        ui.label(RichText::new(desk.refusal(Action::RunJob)).color(theme::text_dim()));
    }
    ui.separator();
    if d.npt.is_empty() {
        ui.label(lang.pick("No NPT recorded.", "Sin TNP registrado."));
        return;
    }
    let mut remove = None;
    egui::Grid::new("job_npt_grid")
        .striped(true)
        .num_columns(6)
        .spacing(egui::vec2(14.0, 6.0))
        .show(ui, |ui| {
            for h in [
                lang.pick("Start", "Inicio"),
                lang.pick("End", "Fin"),
                lang.pick("Hours", "Horas"),
                lang.pick("Reason", "Motivo"),
                lang.pick("Note", "Nota"),
                "",
            ] {
                ui.strong(h);
            }
            ui.end_row();
            for n in &d.npt {
                ui.label(form::local_text(n.start));
                ui.label(form::local_text(n.end));
                ui.label(RichText::new(format!("{:.2}", n.hours())).monospace());
                ui.label(n.reason.label(lang));
                ui.label(&n.note);
                let b = egui::Button::new(lang.pick("Remove", "Quitar")).min_size(wide(desk));
                if ui.add_enabled(editable && may, b).clicked() {
                    remove = Some(n.id);
                }
                ui.end_row();
            }
        });
    if let Some(npt_id) = remove {
        let what = format!("{} ({})", lang.pick("remove NPT", "quitar TNP"), d.job.number);
        desk.request(JobRequest::RemoveNpt { npt_id }, what);
    }
}

/// Hours per reason, in the order of the reasons' list.
fn by_reason_ui(ui: &mut Ui, d: &JobDetail, lang: Lang) {
    ui.horizontal_wrapped(|ui| {
        for r in NptReason::ALL {
            let h: f64 = d.npt.iter().filter(|n| n.reason == r).map(Npt::hours).sum();
            if h > 0.0 {
                ui.label(RichText::new(format!("{}: {h:.2} h", r.label(lang))).color(theme::text_dim()));
            }
        }
    });
}

/// The row to add a period: start, end, reason, note, Add.
fn add_ui(ui: &mut Ui, d: &JobDetail, st: &mut NptState, desk: &mut Desk<'_>) {
    let cx = desk.form();
    let lang = cx.loc.lang;
    let mut add = false;
    ui.horizontal_wrapped(|ui| {
        let l = ui.label(lang.pick("From", "Desde"));
        form::time_ui(ui, &mut st.start, cx).labelled_by(l.id);
        let l = ui.label(lang.pick("to", "hasta"));
        form::time_ui(ui, &mut st.end, cx).labelled_by(l.id);
        egui::ComboBox::from_id_salt("job_npt_reason")
            .selected_text(st.reason.label(lang))
            .show_ui(ui, |ui| {
                for r in NptReason::ALL {
                    ui.selectable_value(&mut st.reason, r, r.label(lang));
                }
            })
            .response
            .widget_info(|| {
                egui::WidgetInfo::labeled(egui::Role::ComboBox, true, lang.pick("NPT reason", "Motivo del TNP"))
            });
        ui.add(
            egui::TextEdit::singleline(&mut st.note)
                .hint_text(lang.pick("note", "nota"))
                .desired_width(220.0),
        );
        let b = egui::Button::new(RichText::new(lang.pick("Add NPT", "Agregar TNP")).strong()).min_size(wide(desk));
        if ui.add(b).clicked() {
            add = true;
        }
    });
    if let Some(e) = &st.error {
        ui.label(RichText::new(e).color(theme::JOB_REFUSED));
    }
    if !add {
        return;
    }
    let when = |text: &str, what: &str| {
        form::parse_local(text, Some(cx.now)).ok_or_else(|| {
            let how = lang.pick(
                "give a time as HH:MM or YYYY-MM-DD HH:MM",
                "indique la hora como HH:MM o AAAA-MM-DD HH:MM",
            );
            format!("{what}: {how}")
        })
    };
    let npt = when(&st.start, lang.pick("From", "Desde")).and_then(|start| {
        let end = when(&st.end, lang.pick("To", "Hasta"))?;
        let npt = Npt {
            id: 0,
            job_id: d.job.id,
            start,
            end,
            reason: st.reason,
            note: st.note.trim().to_owned(),
        };
        npt.check().map_err(|e| e.to_string())?;
        Ok(npt)
    });
    match npt {
        Ok(npt) => {
            let what = format!("{} ({})", lang.pick("add NPT", "agregar TNP"), d.job.number);
            let req = JobRequest::AddNpt {
                number: d.job.number.clone(),
                npt,
            };
            if desk.request(req, what) {
                *st = NptState::default();
            }
        }
        Err(e) => st.error = Some(e),
    }
}
