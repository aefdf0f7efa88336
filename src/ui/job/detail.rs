//! One job's header, its workflow buttons, its fields (editable while the job and its ticket allow it) and,
//! once completed, its frozen statistics.
//!
//! The buttons are the moves the job's status allows (plan, back to draft, approve, start, complete, cancel,
//! delete a draft), each enabled for the roles the workflow gives it (`job::workflow::action_for`); start,
//! complete, cancel and delete ask first. The fields are edited on a copy kept while it differs from the
//! job's (a change made elsewhere meanwhile is said, never silently replaced) and sent whole on Save.

use super::form::{self, FieldsDraft};
use super::{Desk, wide};
use crate::auth::Action;
use crate::job::command::JobRequest;
use crate::job::model::{Job, JobStats, JobStatus, NptReason, TicketState};
use crate::job::view::JobDetail;
use crate::lang::Lang;
use crate::locale::Locale;
use crate::ui::{readout, theme};
use egui::{RichText, Ui};

/// A move of the workflow a button makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    To(JobStatus),
    Delete,
}

impl Move {
    /// The moves a job in `status` may make, in the order the buttons show them.
    fn all(status: JobStatus) -> &'static [Move] {
        use JobStatus::*;
        match status {
            Draft => &[Move::To(Planned), Move::To(Cancelled), Move::Delete],
            Planned => &[Move::To(Approved), Move::To(Draft), Move::To(Cancelled)],
            Approved => &[Move::To(InProgress), Move::To(Planned), Move::To(Cancelled)],
            InProgress => &[Move::To(Completed), Move::To(Cancelled)],
            Completed | Cancelled => &[],
        }
    }

    fn action(self) -> Action {
        match self {
            Move::To(s) => crate::job::workflow::action_for(s),
            Move::Delete => Action::PlanJob,
        }
    }

    /// Start, complete, cancel and delete cannot be taken back: they ask first.
    fn asks(self) -> bool {
        matches!(
            self,
            Move::To(JobStatus::InProgress | JobStatus::Completed | JobStatus::Cancelled) | Move::Delete
        )
    }

    fn label(self, from: JobStatus, lang: Lang) -> &'static str {
        match self {
            Move::To(JobStatus::Planned) if from == JobStatus::Draft => lang.pick("Plan", "Planificar"),
            Move::To(JobStatus::Planned) => lang.pick("Back to planned", "Volver a planificado"),
            Move::To(JobStatus::Draft) => lang.pick("Back to draft", "Volver a borrador"),
            Move::To(JobStatus::Approved) => lang.pick("Approve", "Aprobar"),
            Move::To(JobStatus::InProgress) => lang.pick("Start job", "Iniciar trabajo"),
            Move::To(JobStatus::Completed) => lang.pick("Complete job", "Completar trabajo"),
            Move::To(JobStatus::Cancelled) => lang.pick("Cancel job", "Cancelar trabajo"),
            Move::Delete => lang.pick("Delete draft", "Eliminar borrador"),
        }
    }

    fn request(self, number: &str) -> JobRequest {
        match self {
            Move::To(to) => JobRequest::Transition {
                number: number.to_owned(),
                to,
            },
            Move::Delete => JobRequest::Delete {
                number: number.to_owned(),
            },
        }
    }

    /// What a confirmation says the move will do.
    fn consequence(self, job: &Job, lang: Lang) -> String {
        let (n, unit) = (&job.number, &job.fields.unit);
        match (self, lang) {
            (Move::To(JobStatus::InProgress), Lang::En) => format!(
                "From now on the readings of unit {unit} are logged against job {n}: operations are detected and \
                 fluid stages counted. A unit or reel has one job in progress at a time."
            ),
            (Move::To(JobStatus::InProgress), Lang::Es) => format!(
                "Desde ahora las lecturas de la unidad {unit} se registran en el trabajo {n}: se detectan las \
                 operaciones y se cuentan las etapas de fluidos. Una unidad o carrete tiene un solo trabajo en curso."
            ),
            (Move::To(JobStatus::Completed), Lang::En) => format!(
                "Job {n} ends now: any open operation is closed and its statistics are frozen. The log may still \
                 be corrected until its ticket is issued."
            ),
            (Move::To(JobStatus::Completed), Lang::Es) => format!(
                "El trabajo {n} termina ahora: se cierra la operación abierta y se congelan sus estadísticas. El \
                 registro aún puede corregirse hasta emitir la boleta."
            ),
            (Move::Delete, Lang::En) => format!("The draft {n} leaves the job records for good."),
            (Move::Delete, Lang::Es) => format!("El borrador {n} sale de los registros para siempre."),
            (_, Lang::En) => format!("Job {n} is cancelled and cannot be run again."),
            (_, Lang::Es) => format!("El trabajo {n} se cancela y no podrá ejecutarse."),
        }
    }
}

/// A move waiting for its confirmation.
#[derive(Debug, Clone)]
pub struct Confirm {
    job: Job,
    mv: Move,
}

/// The job's number, type and states, and where and when it ran.
pub fn header_ui(ui: &mut Ui, d: &JobDetail, loc: Locale) {
    ui.horizontal_wrapped(|ui| title_ui(ui, d, loc));
    facts_ui(ui, d, loc);
}

/// The job's number, type, status and ticket state, in the row it is given.
pub fn title_ui(ui: &mut Ui, d: &JobDetail, loc: Locale) {
    let (job, lang) = (&d.job, loc.lang);
    ui.label(
        RichText::new(&job.number)
            .monospace()
            .strong()
            .size(theme::TEXT_HEADING),
    );
    if let Some(t) = job.fields.job_type {
        ui.label(RichText::new(format!("{} {}", t.code(), t.label(lang))).size(theme::TEXT_HEADING));
    }
    readout::chip_ui(ui, job.status.label(lang), theme::STATE_OK);
    let ticket = format!("{} {}", lang.pick("Ticket", "Boleta"), job.ticket.label(lang));
    readout::chip_ui(ui, &ticket, theme::STATE_OK);
}

/// The job's well, unit, reel, client and times, a row of their own.
pub fn facts_ui(ui: &mut Ui, d: &JobDetail, loc: Locale) {
    let (job, lang) = (&d.job, loc.lang);
    ui.horizontal_wrapped(|ui| {
        let f = &job.fields;
        for (what, v) in [
            (lang.pick("Well", "Pozo"), &f.well),
            (lang.pick("Unit", "Unidad"), &f.unit),
            (lang.pick("Reel", "Carrete"), &f.reel),
            (lang.pick("Client", "Cliente"), &f.client),
        ] {
            if !v.is_empty() {
                ui.label(format!("{what} {v}"));
            }
        }
        if let Some(t) = job.actual_start {
            ui.label(format!("{} {}", lang.pick("Started", "Iniciado"), form::local_text(t)));
        }
        if let Some(t) = job.actual_end {
            ui.label(format!("{} {}", lang.pick("Ended", "Terminado"), form::local_text(t)));
        }
    });
}

/// The moves the job's status allows, each enabled for the roles that may make it.
pub fn workflow_ui(ui: &mut Ui, job: &Job, desk: &mut Desk<'_>, confirm: &mut Option<Confirm>) {
    let lang = desk.lang();
    let moves = Move::all(job.status);
    if moves.is_empty() {
        return;
    }
    ui.horizontal_wrapped(|ui| {
        for &mv in moves {
            let action = mv.action();
            let text = RichText::new(mv.label(job.status, lang));
            let text = if matches!(mv, Move::To(JobStatus::InProgress | JobStatus::Completed)) {
                text.strong()
            } else {
                text
            };
            let b = ui
                .add_enabled(desk.may(action), egui::Button::new(text).min_size(wide(desk)))
                .on_disabled_hover_text(desk.refusal(action));
            if !b.clicked() {
                continue;
            }
            if mv.asks() {
                *confirm = Some(Confirm { job: job.clone(), mv });
            } else {
                let what = format!("{}: {}", mv.label(job.status, lang), job.number);
                desk.request(mv.request(&job.number), what);
            }
        }
    });
}

/// The confirmation of a move, over the page; true when a draft's deletion was sent.
pub fn confirm_ui(ctx: &egui::Context, confirm: &mut Option<Confirm>, desk: &mut Desk<'_>) -> bool {
    let Some(c) = confirm.take() else { return false };
    let lang = desk.lang();
    let (mut keep, mut go) = (true, false);
    let label = c.mv.label(c.job.status, lang);
    let modal = egui::Modal::new(egui::Id::unique("job_move_confirm")).show(ctx, |ui| {
        ui.set_width(480.0);
        ui.heading(format!("{label}: {}?", c.job.number));
        ui.label(c.mv.consequence(&c.job, lang));
        ui.add_space(8.0);
        ui.horizontal(|ui| {
            let yes = egui::Button::new(RichText::new(label).strong()).min_size(wide(desk));
            if ui.add(yes).clicked() {
                go = true;
            }
            if ui
                .add(egui::Button::new(lang.pick("Back", "Volver")).min_size(wide(desk)))
                .clicked()
            {
                keep = false;
            }
        });
    });
    if modal.should_close() {
        keep = false;
    }
    if go {
        let what = format!("{label}: {}", c.job.number);
        let sent = desk.request(c.mv.request(&c.job.number), what);
        return sent && c.mv == Move::Delete;
    }
    if keep {
        *confirm = Some(c);
    }
    false
}

/// The job's fields as edited here: the copy being typed and the fields it was made from.
#[derive(Debug, Clone)]
pub struct EditState {
    number: String,
    /// The language and units the copy is typed in.
    loc: Locale,
    base: FieldsDraft,
    draft: FieldsDraft,
    error: Option<String>,
}

/// The job's fields: a form, editable while the job's status and its ticket allow and the user may plan
/// jobs; Save sends them whole.
pub fn fields_ui(ui: &mut Ui, d: &JobDetail, edit: &mut Option<EditState>, desk: &mut Desk<'_>) {
    let cx = desk.form();
    let (job, lang) = (&d.job, cx.loc.lang);
    let fresh = FieldsDraft::of(&job.fields, cx.loc);
    let st = sync(edit, &job.number, fresh.clone(), cx.loc);
    let editable = job.status.editable() && job.ticket == TicketState::Draft;
    let may = desk.may(Action::PlanJob);
    if !editable {
        ui.label(
            RichText::new(lang.pick(
                "The job's fields no longer change: the job is over or its ticket issued.",
                "Los campos del trabajo ya no cambian: el trabajo terminó o su boleta fue emitida.",
            ))
            .color(theme::text_dim()),
        );
    } else if !may {
        ui.label(RichText::new(desk.refusal(Action::PlanJob)).color(theme::text_dim()));
    } else if st.base != fresh {
        ui.label(
            RichText::new(lang.pick(
                "Changed elsewhere since you began editing: Save replaces those changes, Revert shows them.",
                "Cambiado en otro lugar desde que empezó a editar: Guardar reemplaza esos cambios, Revertir los \
                 muestra.",
            ))
            .color(theme::JOB_REFUSED),
        );
    }
    ui.add_enabled_ui(editable && may, |ui| {
        form::fields_form_ui(ui, &mut st.draft, "detail", cx)
    });
    if let Some(e) = &st.error {
        ui.label(RichText::new(e).color(theme::JOB_REFUSED));
    }
    if !(editable && may) {
        return;
    }
    let dirty = st.draft != fresh;
    ui.horizontal(|ui| {
        let save = egui::Button::new(RichText::new(lang.pick("Save", "Guardar")).strong()).min_size(wide(desk));
        if ui.add_enabled(dirty, save).clicked() {
            match st.draft.fields(cx.loc) {
                Ok(fields) => {
                    st.error = None;
                    let what = format!("{} {}", lang.pick("save", "guardar"), job.number);
                    desk.request(
                        JobRequest::Update {
                            number: job.number.clone(),
                            fields,
                        },
                        what,
                    );
                }
                Err(e) => st.error = Some(e),
            }
        }
        let revert = egui::Button::new(lang.pick("Revert", "Revertir")).min_size(wide(desk));
        if ui.add_enabled(dirty, revert).clicked() {
            st.draft = fresh.clone();
            st.base = fresh.clone();
            st.error = None;
        }
    });
}

/// The edit for `number`, brought up to the job's fields as they are now (`fresh`): a new copy for another
/// job; in step once the draft matches them (saved, or never changed); replaced when the person had not
/// changed it and someone else changed the job; kept (and said) when both changed it. A switch of the
/// console's language or units re-reads what was typed first.
fn sync<'a>(edit: &'a mut Option<EditState>, number: &str, fresh: FieldsDraft, loc: Locale) -> &'a mut EditState {
    if let Some(e) = edit.as_mut()
        && e.loc != loc
    {
        e.draft.retype(e.loc, loc);
        e.base.retype(e.loc, loc);
        e.loc = loc;
    }
    let renew = match edit.as_mut() {
        None => true,
        Some(e) if e.number != number => true,
        Some(e) if e.draft == fresh => {
            e.base = fresh.clone();
            false
        }
        Some(e) => e.draft == e.base && e.base != fresh,
    };
    if renew {
        *edit = None;
    }
    edit.get_or_insert_with(|| EditState {
        number: number.to_owned(),
        loc,
        base: fresh.clone(),
        draft: fresh,
        error: None,
    })
}

/// A completed job's statistics, frozen at completion.
pub fn stats_ui(ui: &mut Ui, s: &JobStats, loc: Locale) {
    let lang = loc.lang;
    ui.heading(lang.pick("Job statistics", "Estadísticas del trabajo"));
    let rows: [(&str, String); 13] = [
        (
            lang.pick("Duration", "Duración"),
            form::duration_text(s.duration_h * 3600.0),
        ),
        (
            lang.pick("Max depth reached", "Profundidad máxima alcanzada"),
            form::qty(loc, "ft", Some(s.max_depth_ft), 0),
        ),
        (
            lang.pick("Footage run", "Pies recorridos"),
            form::qty(loc, "ft", Some(s.footage_ft), 0),
        ),
        (
            lang.pick("Volume pumped", "Volumen bombeado"),
            form::qty(loc, "bbl", Some(s.total_volume_bbl), 1),
        ),
        (lang.pick("NPT", "TNP"), format!("{:.2} h", s.npt_h)),
        (
            lang.pick("Efficiency", "Eficiencia"),
            format!("{:.1} %", s.efficiency_pct),
        ),
        (
            lang.pick("Max weight", "Peso máximo"),
            form::qty(loc, "lbf", s.max_weight_lbf, 0),
        ),
        (
            lang.pick("Min weight", "Peso mínimo"),
            form::qty(loc, "lbf", s.min_weight_lbf, 0),
        ),
        (
            lang.pick("Max circulating pressure", "Presión de circulación máx."),
            form::qty(loc, "psi", s.max_circ_psi, 0),
        ),
        (
            lang.pick("Max wellhead pressure", "Presión de cabezal máx."),
            form::qty(loc, "psi", s.max_whp_psi, 0),
        ),
        (lang.pick("Operations", "Operaciones"), s.operations.to_string()),
        (lang.pick("Alarms", "Alarmas"), s.alarms.to_string()),
        (lang.pick("Trips", "Disparos"), s.trips.to_string()),
    ];
    ui.horizontal_top(|ui| {
        egui::Grid::new("job_stats")
            .num_columns(2)
            .striped(true)
            .show(ui, |ui| {
                for (what, v) in rows {
                    ui.label(what);
                    ui.label(RichText::new(v).monospace().strong());
                    ui.end_row();
                }
            });
        ui.add_space(24.0);
        ui.vertical(|ui| breakdowns_ui(ui, s, loc));
    });
}

/// Volume per fluid, hours per operation type and NPT per reason.
fn breakdowns_ui(ui: &mut Ui, s: &JobStats, loc: Locale) {
    let lang = loc.lang;
    let bbl = form::unit(loc, "bbl");
    let unassigned = lang.pick("pumped outside any stage", "bombeado fuera de etapas");
    ui.strong(lang.pick("Volume by fluid", "Volumen por fluido"));
    for (name, v) in &s.volume_by_fluid {
        let name = if name == "unassigned" {
            unassigned
        } else {
            name.as_str()
        };
        ui.label(format!("{name}: {} {bbl}", form::num(loc, "bbl", Some(*v), 1)));
    }
    ui.add_space(6.0);
    ui.strong(lang.pick("Hours by operation", "Horas por operación"));
    for (code, h) in &s.hours_by_op {
        ui.label(format!("{code}: {h:.2} h"));
    }
    if !s.npt_by_reason.is_empty() {
        ui.add_space(6.0);
        ui.strong(lang.pick("NPT by reason", "TNP por motivo"));
        for (reason, h) in &s.npt_by_reason {
            let shown = NptReason::parse(reason).map_or(reason.as_str(), |r| r.label(lang));
            ui.label(format!("{shown}: {h:.2} h"));
        }
    }
}
