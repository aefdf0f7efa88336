//! The list of jobs: the jobs in progress one touch away, a filter by status, the table (number, type,
//! well, unit, status, planned start; newest first, as the writer publishes them), and the New job form
//! for those who may plan jobs. Choosing a job's number opens it; the page asks the writer for its details.

use super::form::{self, FieldsDraft};
use super::{Desk, wide};
use crate::auth::Action;
use crate::job::command::JobRequest;
use crate::job::model::{JobStatus, check_number};
use crate::job::view::JobsView;
use crate::lang::Lang;
use crate::ui::theme;
use egui::{RichText, Ui};

/// The New job form while it is open.
#[derive(Debug, Clone, Default)]
pub struct NewJob {
    number: String,
    draft: FieldsDraft,
    error: Option<String>,
}

/// The list; the number of the job chosen, if one was.
pub fn list_ui(
    ui: &mut Ui,
    view: &JobsView,
    filter: &mut Option<JobStatus>,
    new_job: &mut Option<NewJob>,
    desk: &Desk<'_>,
) -> Option<String> {
    let lang = desk.lang();
    let mut chosen = None;
    ui.horizontal_wrapped(|ui| {
        ui.heading(lang.pick("CT jobs", "Trabajos de TF"));
        ui.add_space(16.0);
        let new = ui
            .add_enabled(
                desk.may(Action::PlanJob),
                egui::Button::new(RichText::new(lang.pick("New job…", "Nuevo trabajo…")).strong()).min_size(wide(desk)),
            )
            .on_disabled_hover_text(desk.refusal(Action::PlanJob));
        if new.clicked() {
            *new_job = Some(NewJob::default());
        }
        if !view.active.is_empty() {
            ui.separator();
            ui.label(RichText::new(lang.pick("In progress:", "En curso:")).strong());
            for a in &view.active {
                let b = egui::Button::new(format!("{} · {}", a.number, a.unit)).min_size(wide(desk));
                if ui.add(b).clicked() {
                    chosen = Some(a.number.clone());
                }
            }
        }
    });
    ui.horizontal_wrapped(|ui| {
        ui.label(lang.pick("Show:", "Mostrar:"));
        let all = format!("{} ({})", lang.pick("All", "Todos"), view.jobs.len());
        if ui.selectable_label(filter.is_none(), all).clicked() {
            *filter = None;
        }
        for s in JobStatus::ALL {
            let n = view.jobs.iter().filter(|j| j.status == s).count();
            if ui
                .selectable_label(*filter == Some(s), format!("{} ({n})", s.label(lang)))
                .clicked()
            {
                *filter = Some(s);
            }
        }
    });
    ui.separator();
    if view.jobs.is_empty() {
        ui.label(lang.pick(
            "No jobs yet. An engineer or supervisor creates one with New job; the crew runs it from here.",
            "Aún no hay trabajos. Un ingeniero o supervisor crea uno con Nuevo trabajo; la cuadrilla lo ejecuta \
             desde aquí.",
        ));
        return chosen;
    }
    egui::ScrollArea::both()
        .id_salt("job_list")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            if let Some(n) = table_ui(ui, view, *filter, desk) {
                chosen = Some(n);
            }
        });
    chosen
}

/// The table of jobs shown by the filter; the number touched, if any.
fn table_ui(ui: &mut Ui, view: &JobsView, filter: Option<JobStatus>, desk: &Desk<'_>) -> Option<String> {
    let lang = desk.lang();
    let mut chosen = None;
    egui::Grid::new("job_list_table")
        .striped(true)
        .num_columns(6)
        .spacing(egui::vec2(16.0, 6.0))
        .show(ui, |ui| {
            for h in [
                lang.pick("Job", "Trabajo"),
                lang.pick("Type", "Tipo"),
                lang.pick("Well", "Pozo"),
                lang.pick("Unit", "Unidad"),
                lang.pick("Status", "Estado"),
                lang.pick("Planned start", "Inicio planificado"),
            ] {
                ui.strong(h);
            }
            ui.end_row();
            for j in view.jobs.iter().filter(|j| filter.is_none_or(|s| j.status == s)) {
                let open = egui::Button::new(RichText::new(&j.number).monospace().strong()).min_size(wide(desk));
                if ui
                    .add(open)
                    .on_hover_text(lang.pick("Open this job", "Abrir este trabajo"))
                    .clicked()
                {
                    chosen = Some(j.number.clone());
                }
                let kind = j
                    .fields
                    .job_type
                    .map_or_else(|| "----".to_owned(), |t| format!("{} {}", t.code(), t.label(lang)));
                ui.label(kind);
                ui.label(&j.fields.well);
                ui.label(&j.fields.unit);
                let status = RichText::new(j.status.label(lang));
                ui.label(if j.status == JobStatus::InProgress {
                    status.strong()
                } else {
                    status
                });
                ui.label(
                    RichText::new(
                        j.fields
                            .planned_start
                            .map_or_else(|| "----".to_owned(), form::local_text),
                    )
                    .color(theme::text_dim()),
                );
                ui.end_row();
            }
        });
    chosen
}

/// The New job form, over the page: the job number and every field; Create checks what it can before
/// sending (the writer checks it all again).
pub fn new_job_ui(ctx: &egui::Context, st: &mut Option<NewJob>, desk: &mut Desk<'_>) {
    let Some(mut f) = st.take() else { return };
    let cx = desk.form();
    let lang = cx.loc.lang;
    let (mut keep, mut create) = (true, false);
    // Closed only by its buttons: a touch beside a long form must not lose what was typed.
    egui::Modal::new(egui::Id::unique("job_new_dialog")).show(ctx, |ui| {
        ui.set_width((ctx.content_rect().width() - 60.0).clamp(320.0, 1100.0));
        ui.heading(lang.pick("New CT job", "Nuevo trabajo de TF"));
        ui.label(
            RichText::new(lang.pick(
                "A draft may leave most fields empty; planning needs a type, well, unit, reel, supervisor and client.",
                "Un borrador puede dejar vacíos la mayoría de los campos; planificarlo requiere tipo, pozo, unidad, \
                 carrete, supervisor y cliente.",
            ))
            .color(theme::text_dim()),
        );
        egui::ScrollArea::vertical()
            .id_salt("job_new_form")
            .max_height((ctx.content_rect().height() * 0.65).max(200.0))
            .show(ui, |ui| {
                ui.horizontal(|ui| {
                    // No hint text: a screen reader (and the UI tests) names the field by its label.
                    let l = ui.label(lang.pick("Job number", "Número de trabajo"));
                    ui.add(egui::TextEdit::singleline(&mut f.number).desired_width(220.0))
                        .labelled_by(l.id);
                    ui.label(
                        RichText::new(lang.pick("e.g. CT-2026-0142", "p. ej. CT-2026-0142")).color(theme::text_dim()),
                    );
                });
                form::fields_form_ui(ui, &mut f.draft, "new", cx);
            });
        if let Some(e) = &f.error {
            ui.label(RichText::new(e).color(theme::JOB_REFUSED));
        }
        ui.horizontal(|ui| {
            let b = egui::Button::new(RichText::new(lang.pick("Create job", "Crear trabajo")).strong())
                .min_size(wide(desk));
            if ui.add_enabled(!f.number.trim().is_empty(), b).clicked() {
                create = true;
            }
            if ui
                .add(egui::Button::new(lang.pick("Cancel", "Cancelar")).min_size(wide(desk)))
                .clicked()
            {
                keep = false;
            }
        });
    });
    if create {
        let number = f.number.trim().to_owned();
        let checked = check_number(&number)
            .map_err(|e| e.to_string())
            .and_then(|()| f.draft.fields(cx.loc));
        match checked {
            Ok(fields) => {
                let what = match lang {
                    Lang::En => format!("create job {number}"),
                    Lang::Es => format!("crear el trabajo {number}"),
                };
                if desk.request(JobRequest::Create { number, fields }, what) {
                    return;
                }
            }
            Err(e) => f.error = Some(e),
        }
    }
    if keep {
        *st = Some(f);
    }
}
