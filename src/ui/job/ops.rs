//! The operations log: a table of the job's operations (detected from the unit's tags, or entered by the
//! crew) with their times, depths, weights, pressures, rate, volume and fluid, marked as detected or
//! corrected; and the crew's corrections, each behind one Correct… dialog per row (change the type, split
//! at a time within it, merge with the next, annotate) and an Add operation… dialog.
//!
//! Corrections are allowed while the job runs, and after it is completed until its ticket is issued, to
//! those who may run jobs; the writer checks and audits each. Values are kept in oilfield units in the
//! view and shown in the console's.

use super::form::{self, Num};
use super::{Desk, wide};
use crate::auth::Action;
use crate::job::command::JobRequest;
use crate::job::model::{JobStatus, OpType, Operation, TicketState};
use crate::job::view::JobDetail;
use crate::lang::Lang;
use crate::tag::Timestamp;
use crate::ui::theme;
use egui::{RichText, Ui};

/// The operations tab's dialogs.
#[derive(Debug, Clone, Default)]
pub struct OpsState {
    correct: Option<Correct>,
    add: Option<AddOp>,
}

/// The Correct… dialog of one operation.
#[derive(Debug, Clone)]
struct Correct {
    op: Operation,
    /// Whether an operation follows it (to merge with).
    has_next: bool,
    choice: Option<OpType>,
    custom: String,
    split_at: String,
    note: String,
    error: Option<String>,
}

/// The Add operation… dialog.
#[derive(Debug, Clone, Default)]
struct AddOp {
    choice: Option<OpType>,
    custom: String,
    start: String,
    end: String,
    start_depth: String,
    end_depth: String,
    note: String,
    error: Option<String>,
}

/// Whether the log may be corrected now: while the job runs, or once completed until its ticket is
/// issued.
fn correctable(d: &JobDetail) -> bool {
    matches!(d.job.status, JobStatus::InProgress | JobStatus::Completed) && d.job.ticket == TicketState::Draft
}

pub fn ops_ui(ui: &mut Ui, d: &JobDetail, st: &mut OpsState, desk: &mut Desk<'_>) {
    let lang = desk.lang();
    let may = desk.may(Action::RunJob);
    let open = correctable(d);
    ui.horizontal_wrapped(|ui| {
        let n = d.operations.len();
        ui.label(RichText::new(format!("{n} {}", lang.pick("operations", "operaciones"))).strong());
        let add = ui
            .add_enabled(
                may && open,
                egui::Button::new(lang.pick("Add operation…", "Agregar operación…")).min_size(wide(desk)),
            )
            .on_disabled_hover_text(if may {
                lang.pick(
                    "The log is corrected while the job runs, and after until its ticket is issued",
                    "El registro se corrige mientras corre el trabajo, y después hasta emitir la boleta",
                )
                .to_owned()
            } else {
                desk.refusal(Action::RunJob)
            });
        if add.clicked() {
            st.add = Some(AddOp {
                start: form::local_text(desk.now),
                end: form::local_text(desk.now),
                ..AddOp::default()
            });
        }
    });
    if d.operations.is_empty() {
        ui.label(lang.pick(
            "No operations yet: they are logged from the unit's readings once the job starts.",
            "Aún no hay operaciones: se registran con las lecturas de la unidad una vez iniciado el trabajo.",
        ));
    } else {
        egui::ScrollArea::horizontal()
            .id_salt("job_ops_table")
            .show(ui, |ui| table_ui(ui, d, st, desk, may && open));
    }
    correct_ui(ui.ctx(), d, st, desk);
    add_ui(ui.ctx(), d, st, desk);
}

/// The table, one row per operation, each with its Correct… button.
fn table_ui(ui: &mut Ui, d: &JobDetail, st: &mut OpsState, desk: &Desk<'_>, enabled: bool) {
    let loc = desk.loc();
    let lang = loc.lang;
    let (ft, lbf, psi, bbl, bpm) = (
        form::unit(loc, "ft"),
        form::unit(loc, "lbf"),
        form::unit(loc, "psi"),
        form::unit(loc, "bbl"),
        form::unit(loc, "bbl/min"),
    );
    let heads = [
        lang.pick("Type", "Tipo").to_owned(),
        lang.pick("Start", "Inicio").to_owned(),
        lang.pick("End", "Fin").to_owned(),
        lang.pick("Duration", "Duración").to_owned(),
        format!("{} [{ft}]", lang.pick("Start depth", "Prof. inicial")),
        format!("{} [{ft}]", lang.pick("End depth", "Prof. final")),
        format!("{} [{ft}]", lang.pick("Max depth", "Prof. máx.")),
        format!("{} [{lbf}]", lang.pick("Max wt", "Peso máx.")),
        format!("{} [{lbf}]", lang.pick("Min wt", "Peso mín.")),
        format!("{} [{psi}]", lang.pick("Max circ P", "P. circ. máx.")),
        format!("{} [{psi}]", lang.pick("WHP", "P. cabezal")),
        format!("{} [{bpm}]", lang.pick("Avg rate", "Caudal medio")),
        format!("{} [{bbl}]", lang.pick("Volume", "Volumen")),
        lang.pick("Fluid", "Fluido").to_owned(),
        lang.pick("Observations", "Observaciones").to_owned(),
        String::new(),
        String::new(),
    ];
    let n = d.operations.len();
    egui::Grid::new("job_ops_grid")
        .striped(true)
        .num_columns(heads.len())
        .spacing(egui::vec2(12.0, 4.0))
        .show(ui, |ui| {
            for h in heads {
                ui.strong(h);
            }
            ui.end_row();
            for (i, op) in d.operations.iter().enumerate() {
                row_ui(ui, op, desk);
                let b = ui.add_enabled(
                    enabled,
                    egui::Button::new(lang.pick("Correct…", "Corregir…")).min_size(wide(desk)),
                );
                if b.clicked() {
                    st.correct = Some(Correct::of(op, i + 1 < n));
                }
                ui.end_row();
            }
        });
}

/// One operation's cells, up to the detected/corrected mark.
fn row_ui(ui: &mut Ui, op: &Operation, desk: &Desk<'_>) {
    let loc = desk.loc();
    let lang = loc.lang;
    ui.label(RichText::new(op.op_type.code()).monospace().strong())
        .on_hover_text(op.op_type.label(lang));
    ui.label(op.start.to_local_hms());
    ui.label(
        op.end
            .map_or_else(|| lang.pick("running", "en curso").to_owned(), Timestamp::to_local_hms),
    );
    ui.label(form::duration_text(op.duration_s(desk.now)));
    for (unit, v, decimals) in [
        ("ft", Some(op.start_depth_ft), 0),
        ("ft", Some(op.end_depth_ft), 0),
        ("ft", Some(op.max_depth_ft), 0),
        ("lbf", op.max_weight_lbf, 0),
        ("lbf", op.min_weight_lbf, 0),
        ("psi", op.max_circ_psi, 0),
        ("psi", op.max_whp_psi, 0),
        ("bbl/min", op.avg_rate_bpm, 2),
        ("bbl", Some(op.volume_bbl), 1),
    ] {
        ui.label(RichText::new(form::num(loc, unit, v, decimals)).monospace());
    }
    ui.label(op.fluid.as_deref().unwrap_or("----"));
    let obs: String = op.observations.chars().take(40).collect();
    let obs = if op.observations.chars().count() > 40 {
        format!("{obs}…")
    } else {
        obs
    };
    ui.label(obs).on_hover_text(op.observations.as_str());
    if op.detected {
        ui.label(RichText::new(lang.pick("detected", "detectada")).color(theme::text_dim()));
    } else {
        ui.label(RichText::new(lang.pick("corrected", "corregida")).strong());
    }
}

impl Correct {
    fn of(op: &Operation, has_next: bool) -> Self {
        let (choice, custom) = match &op.op_type {
            OpType::Custom(s) => (None, s.clone()),
            t => (Some(t.clone()), String::new()),
        };
        Self {
            op: op.clone(),
            has_next,
            choice,
            custom,
            split_at: String::new(),
            note: op.observations.clone(),
            error: None,
        }
    }
}

/// The type chooser: the detected types, or one typed (a pressure test, a BHA change).
fn op_type_ui(ui: &mut Ui, salt: &str, label: egui::Id, choice: &mut Option<OpType>, custom: &mut String, lang: Lang) {
    let other = lang.pick("Other (type it)", "Otra (escríbala)");
    let shown = choice
        .as_ref()
        .map_or_else(|| other.to_owned(), |t| format!("{} — {}", t.code(), t.label(lang)));
    egui::ComboBox::from_id_salt(("job_op_type", salt))
        .selected_text(shown)
        .width(240.0)
        .show_ui(ui, |ui| {
            for t in OpType::DETECTED {
                let text = format!("{} — {}", t.code(), t.label(lang));
                ui.selectable_value(choice, Some(t), text);
            }
            ui.selectable_value(choice, None, other);
        })
        .response
        .labelled_by(label);
    if choice.is_none() {
        ui.add(
            egui::TextEdit::singleline(custom)
                .hint_text(lang.pick("e.g. PRESSURE TEST", "p. ej. PRUEBA DE PRESION"))
                .desired_width(200.0),
        );
    }
}

/// The type chosen, or why a typed one is not a type.
fn chosen(choice: &Option<OpType>, custom: &str) -> Result<OpType, String> {
    match choice {
        Some(t) => Ok(t.clone()),
        None => OpType::parse(custom).map_err(|e| e.to_string()),
    }
}

/// The Correct… dialog: each correction sends at once and closes it.
fn correct_ui(ctx: &egui::Context, d: &JobDetail, st: &mut OpsState, desk: &mut Desk<'_>) {
    let Some(mut c) = st.correct.take() else { return };
    let lang = desk.lang();
    let (mut keep, mut req) = (true, None);
    let op_id = c.op.id;
    let end = c.op.end.unwrap_or(desk.now);
    egui::Modal::new(egui::Id::unique("job_op_correct")).show(ctx, |ui| {
        ui.set_width(560.0);
        ui.heading(format!(
            "{} {} {}–{}",
            lang.pick("Correct", "Corregir"),
            c.op.op_type.code(),
            c.op.start.to_local_hms(),
            end.to_local_hms()
        ));
        if let Some(r) = type_split_ui(ui, &mut c, end, desk) {
            req = Some(r);
        }
        ui.separator();
        let merge = egui::Button::new(lang.pick("Merge with the next operation", "Unir con la operación siguiente"))
            .min_size(wide(desk));
        if ui.add_enabled(c.has_next, merge).clicked() {
            req = Some(JobRequest::MergeOp { op_id });
        }
        ui.separator();
        let l = ui.label(RichText::new(lang.pick("Observations", "Observaciones")).strong());
        ui.add(
            egui::TextEdit::multiline(&mut c.note)
                .desired_rows(3)
                .desired_width(f32::INFINITY),
        )
        .labelled_by(l.id);
        if ui
            .add(egui::Button::new(lang.pick("Save observations", "Guardar observaciones")).min_size(wide(desk)))
            .clicked()
        {
            req = Some(JobRequest::AnnotateOp {
                op_id,
                text: c.note.clone(),
            });
        }
        if let Some(e) = &c.error {
            ui.label(RichText::new(e).color(theme::JOB_REFUSED));
        }
        ui.separator();
        if ui
            .add(egui::Button::new(lang.pick("Close", "Cerrar")).min_size(wide(desk)))
            .clicked()
        {
            keep = false;
        }
    });
    if let Some(r) = req {
        let what = format!(
            "{} {} ({})",
            lang.pick("correction of", "corrección de"),
            c.op.op_type.code(),
            d.job.number
        );
        if desk.request(r, what) {
            return;
        }
    }
    if keep {
        st.correct = Some(c);
    }
}

/// The dialog's type and split rows: the correction asked for, if any (or why not, in the dialog).
fn type_split_ui(ui: &mut Ui, c: &mut Correct, end: Timestamp, desk: &Desk<'_>) -> Option<JobRequest> {
    let lang = desk.lang();
    let op_id = c.op.id;
    let mut req = None;
    ui.separator();
    let label = ui.strong(lang.pick("Type", "Tipo")).id;
    ui.horizontal_wrapped(|ui| {
        op_type_ui(ui, "correct", label, &mut c.choice, &mut c.custom, lang);
        if ui
            .add(egui::Button::new(lang.pick("Change type", "Cambiar tipo")).min_size(wide(desk)))
            .clicked()
        {
            match chosen(&c.choice, &c.custom) {
                Ok(op_type) => req = Some(JobRequest::SetOpType { op_id, op_type }),
                Err(e) => c.error = Some(e),
            }
        }
    });
    ui.separator();
    ui.strong(lang.pick(
        "Split at a time within it (HH:MM:SS)",
        "Dividir en una hora dentro de ella (HH:MM:SS)",
    ));
    ui.horizontal_wrapped(|ui| {
        ui.add(
            egui::TextEdit::singleline(&mut c.split_at)
                .hint_text("HH:MM:SS")
                .desired_width(120.0),
        );
        if ui
            .add(egui::Button::new(lang.pick("Split", "Dividir")).min_size(wide(desk)))
            .clicked()
        {
            match form::split_time(&c.split_at, c.op.start, end) {
                Some(at) => req = Some(JobRequest::SplitOp { op_id, at }),
                None => {
                    c.error = Some(
                        lang.pick(
                            "Give a time strictly between the operation's start and end",
                            "Indique una hora estrictamente entre el inicio y el fin de la operación",
                        )
                        .to_owned(),
                    );
                }
            }
        }
    });
    req
}

/// The Add operation… dialog: an operation the crew enters (not detected: a pressure test, a BHA change).
fn add_ui(ctx: &egui::Context, d: &JobDetail, st: &mut OpsState, desk: &mut Desk<'_>) {
    let Some(mut a) = st.add.take() else { return };
    let cx = desk.form();
    let lang = cx.loc.lang;
    let (mut keep, mut add) = (true, false);
    egui::Modal::new(egui::Id::unique("job_op_add")).show(ctx, |ui| {
        ui.set_width(560.0);
        ui.heading(format!(
            "{} {}",
            lang.pick("Add an operation to", "Agregar una operación a"),
            d.job.number
        ));
        egui::Grid::new("job_op_add_grid")
            .num_columns(2)
            .spacing(egui::vec2(12.0, 8.0))
            .show(ui, |ui| {
                let label = ui.label(lang.pick("Type", "Tipo")).id;
                ui.horizontal_wrapped(|ui| op_type_ui(ui, "add", label, &mut a.choice, &mut a.custom, lang));
                ui.end_row();
                ui.label(lang.pick("Start", "Inicio"));
                ui.horizontal(|ui| form::time_ui(ui, &mut a.start, cx));
                ui.end_row();
                ui.label(lang.pick("End", "Fin"));
                ui.horizontal(|ui| form::time_ui(ui, &mut a.end, cx));
                ui.end_row();
                let depth = |title, row| Num { title, unit: "ft", row };
                let t = lang.pick("Start depth", "Profundidad inicial");
                ui.label(t);
                ui.horizontal(|ui| form::number_ui(ui, &mut a.start_depth, &depth(t, 0), cx));
                ui.end_row();
                let t = lang.pick("End depth", "Profundidad final");
                ui.label(t);
                ui.horizontal(|ui| form::number_ui(ui, &mut a.end_depth, &depth(t, 1), cx));
                ui.end_row();
            });
        let l = ui.label(lang.pick("Observations", "Observaciones"));
        ui.add(
            egui::TextEdit::multiline(&mut a.note)
                .desired_rows(2)
                .desired_width(f32::INFINITY),
        )
        .labelled_by(l.id);
        if let Some(e) = &a.error {
            ui.label(RichText::new(e).color(theme::JOB_REFUSED));
        }
        ui.horizontal(|ui| {
            let b = egui::Button::new(RichText::new(lang.pick("Add", "Agregar")).strong()).min_size(wide(desk));
            if ui.add(b).clicked() {
                add = true;
            }
            if ui
                .add(egui::Button::new(lang.pick("Cancel", "Cancelar")).min_size(wide(desk)))
                .clicked()
            {
                keep = false;
            }
        });
    });
    if add {
        match a.operation(d.job.id, desk) {
            Ok(op) => {
                let what = format!(
                    "{} {} ({})",
                    lang.pick("add", "agregar"),
                    op.op_type.code(),
                    d.job.number
                );
                let req = JobRequest::AddOp {
                    number: d.job.number.clone(),
                    op,
                };
                if desk.request(req, what) {
                    return;
                }
            }
            Err(e) => a.error = Some(e),
        }
    }
    if keep {
        st.add = Some(a);
    }
}

impl AddOp {
    /// The operation typed, or what to fix.
    fn operation(&self, job_id: i64, desk: &Desk<'_>) -> Result<Operation, String> {
        let loc = desk.loc();
        let lang = loc.lang;
        let op_type = chosen(&self.choice, &self.custom)?;
        let when = |text: &str, what: &str| {
            form::parse_local(text, Some(desk.now)).ok_or_else(|| {
                let how = lang.pick(
                    "give a time as HH:MM or YYYY-MM-DD HH:MM",
                    "indique la hora como HH:MM o AAAA-MM-DD HH:MM",
                );
                format!("{what}: {how}")
            })
        };
        let start = when(&self.start, lang.pick("Start", "Inicio"))?;
        let end = when(&self.end, lang.pick("End", "Fin"))?;
        if end <= start {
            return Err(lang
                .pick("The end is not after the start", "El fin no es posterior al inicio")
                .to_owned());
        }
        let start_depth_ft = form::required(
            &self.start_depth,
            loc,
            "ft",
            lang.pick("Start depth", "Profundidad inicial"),
        )?;
        let end_depth_ft = form::required(&self.end_depth, loc, "ft", lang.pick("End depth", "Profundidad final"))?;
        crate::job::model::text("observations", &self.note, crate::job::model::MAX_LONG_TEXT)
            .map_err(|e| e.to_string())?;
        Ok(Operation {
            id: 0,
            job_id,
            op_type,
            start,
            end: Some(end),
            start_depth_ft,
            end_depth_ft,
            max_depth_ft: start_depth_ft.max(end_depth_ft),
            max_weight_lbf: None,
            min_weight_lbf: None,
            max_circ_psi: None,
            max_whp_psi: None,
            avg_rate_bpm: None,
            volume_bbl: 0.0,
            footage_ft: (end_depth_ft - start_depth_ft).abs(),
            fluid: None,
            detected: false,
            observations: self.note.clone(),
        })
    }
}
