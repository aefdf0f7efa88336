//! The fluid program: the job's stages in order (kind, name, density, viscosity, planned volume, the volume
//! pumped so far against the plan, rate, pressure, start and end), large Start and End buttons for the crew
//! (the volume is then counted from the pump totals by the job service), removing a stage not yet started,
//! and the Add stage… dialog.
//!
//! Stages change while the job may still be edited and its ticket is a draft; they start and end only while
//! it runs. Volumes are kept in bbl (nitrogen in scf) and shown in the console's units.

use super::form::{self, Num};
use super::{Desk, wide};
use crate::auth::Action;
use crate::job::command::JobRequest;
use crate::job::model::{FluidKind, FluidStage, JobStatus, TicketState};
use crate::job::view::JobDetail;
use crate::ui::theme;
use egui::{RichText, Ui};

/// The fluids tab's dialog.
#[derive(Debug, Clone, Default)]
pub struct FluidsState {
    add: Option<AddStage>,
}

/// The Add stage… dialog, as typed.
#[derive(Debug, Clone)]
struct AddStage {
    kind: FluidKind,
    name: String,
    density: String,
    viscosity: String,
    planned: String,
    error: Option<String>,
}

/// The unit a stage's volume is kept in: nitrogen is counted in standard cubic feet.
fn volume_unit(kind: FluidKind) -> &'static str {
    if kind == FluidKind::Nitrogen { "scf" } else { "bbl" }
}

pub fn fluids_ui(ui: &mut Ui, d: &JobDetail, st: &mut FluidsState, desk: &mut Desk<'_>) {
    let lang = desk.lang();
    let may = desk.may(Action::RunJob);
    let editable = d.job.status.editable() && d.job.ticket == TicketState::Draft;
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new(lang.pick("Fluid stages", "Etapas de fluidos")).strong());
        let add = ui
            .add_enabled(
                may && editable,
                egui::Button::new(lang.pick("Add stage…", "Agregar etapa…")).min_size(wide(desk)),
            )
            .on_disabled_hover_text(if may {
                lang.pick(
                    "The job's fluids no longer change",
                    "Los fluidos del trabajo ya no cambian",
                )
                .to_owned()
            } else {
                desk.refusal(Action::RunJob)
            });
        if add.clicked() {
            st.add = Some(AddStage {
                kind: FluidKind::Water,
                name: String::new(),
                density: String::new(),
                viscosity: String::new(),
                planned: String::new(),
                error: None,
            });
        }
    });
    if d.fluids.is_empty() {
        ui.label(lang.pick(
            "No fluid stages. Add the program's stages; the crew starts and ends each as it is pumped.",
            "Sin etapas de fluidos. Agregue las etapas del programa; la cuadrilla inicia y termina cada una al \
             bombearla.",
        ));
    } else {
        egui::ScrollArea::horizontal()
            .id_salt("job_fluids_table")
            .show(ui, |ui| table_ui(ui, d, desk, may, editable));
    }
    add_ui(ui.ctx(), d, st, desk);
}

/// The stages, each with its planned-versus-pumped bar and its Start, End and Remove buttons.
fn table_ui(ui: &mut Ui, d: &JobDetail, desk: &mut Desk<'_>, may: bool, editable: bool) {
    let loc = desk.loc();
    let lang = loc.lang;
    let running = d.job.status == JobStatus::InProgress;
    let heads = [
        "#".to_owned(),
        lang.pick("Kind", "Tipo").to_owned(),
        lang.pick("Name", "Nombre").to_owned(),
        format!("{} [{}]", lang.pick("Density", "Densidad"), form::unit(loc, "ppg")),
        format!("{} [cP]", lang.pick("Viscosity", "Viscosidad")),
        lang.pick("Pumped / planned", "Bombeado / planificado").to_owned(),
        format!(
            "{} [{}]",
            lang.pick("Avg rate", "Caudal medio"),
            form::unit(loc, "bbl/min")
        ),
        format!("{} [{}]", lang.pick("Max P", "P. máx."), form::unit(loc, "psi")),
        lang.pick("Start", "Inicio").to_owned(),
        lang.pick("End", "Fin").to_owned(),
        String::new(),
    ];
    let mut req = None;
    egui::Grid::new("job_fluids_grid")
        .striped(true)
        .num_columns(heads.len())
        .spacing(egui::vec2(12.0, 6.0))
        .show(ui, |ui| {
            for h in heads {
                ui.strong(h);
            }
            ui.end_row();
            for s in &d.fluids {
                ui.label(s.seq.to_string());
                ui.label(s.kind.label(lang));
                ui.label(RichText::new(&s.name).strong());
                ui.label(form::num(loc, "ppg", s.density_ppg, 2));
                ui.label(form::num(loc, "cP", s.viscosity_cp, 0));
                progress_ui(ui, s, desk);
                ui.label(form::num(loc, "bbl/min", s.avg_rate_bpm, 2));
                ui.label(form::num(loc, "psi", s.max_pressure_psi, 0));
                ui.label(
                    s.start
                        .map_or_else(|| "----".to_owned(), crate::tag::Timestamp::to_local_hms),
                );
                ui.label(
                    s.end
                        .map_or_else(|| "----".to_owned(), crate::tag::Timestamp::to_local_hms),
                );
                ui.horizontal(|ui| {
                    if let Some(r) = buttons_ui(ui, s, desk, may && running, may && editable) {
                        req = Some(r);
                    }
                });
                ui.end_row();
            }
        });
    if let Some((r, what)) = req {
        desk.request(r, what);
    }
}

/// Pumped against planned: a bar where there is a plan, else the volume pumped.
fn progress_ui(ui: &mut Ui, s: &FluidStage, desk: &Desk<'_>) {
    let loc = desk.loc();
    let unit = volume_unit(s.kind);
    let shown = form::unit(loc, unit);
    let pumped = form::num(loc, unit, Some(s.actual_bbl), 1);
    match s.planned_bbl.filter(|p| *p > 0.0) {
        Some(p) => {
            let text = format!("{pumped} / {} {shown}", form::num(loc, unit, Some(p), 1));
            let frac = (s.actual_bbl / p).clamp(0.0, 1.0) as f32;
            ui.add(egui::ProgressBar::new(frac).text(text).desired_width(200.0));
        }
        None => {
            ui.label(format!("{pumped} {shown}"));
        }
    }
}

/// A stage's Start (not started), End (running) and Remove (not started) buttons: the request to send and
/// what it is, when one was touched.
fn buttons_ui(
    ui: &mut Ui,
    s: &FluidStage,
    desk: &Desk<'_>,
    may_run: bool,
    may_edit: bool,
) -> Option<(JobRequest, String)> {
    let lang = desk.lang();
    // Gloved hands in the cab: Start and End are the largest targets on the tab.
    let big = egui::vec2(130.0, wide(desk).y.max(40.0));
    let mut out = None;
    if s.start.is_none() {
        let b = egui::Button::new(
            RichText::new(lang.pick("Start", "Iniciar"))
                .strong()
                .size(theme::TEXT_HEADING),
        )
        .min_size(big);
        if ui.add_enabled(may_run, b).clicked() {
            let what = format!("{} {}", lang.pick("start stage", "iniciar etapa"), s.name);
            out = Some((JobRequest::StartStage { stage_id: s.id }, what));
        }
        if ui
            .add_enabled(may_edit, egui::Button::new(lang.pick("Remove", "Quitar")))
            .clicked()
        {
            let what = format!("{} {}", lang.pick("remove stage", "quitar etapa"), s.name);
            out = Some((JobRequest::RemoveFluid { stage_id: s.id }, what));
        }
    } else if s.running() {
        let b = egui::Button::new(
            RichText::new(lang.pick("End", "Terminar"))
                .strong()
                .size(theme::TEXT_HEADING),
        )
        .min_size(big);
        if ui.add_enabled(may_run, b).clicked() {
            let what = format!("{} {}", lang.pick("end stage", "terminar etapa"), s.name);
            out = Some((JobRequest::EndStage { stage_id: s.id }, what));
        }
        ui.label(RichText::new(lang.pick("PUMPING", "BOMBEANDO")).strong());
    } else {
        ui.label(RichText::new(lang.pick("done", "terminada")).color(theme::text_dim()));
    }
    out
}

/// The Add stage… dialog.
fn add_ui(ctx: &egui::Context, d: &JobDetail, st: &mut FluidsState, desk: &mut Desk<'_>) {
    let Some(mut a) = st.add.take() else { return };
    let cx = desk.form();
    let lang = cx.loc.lang;
    let (mut keep, mut add) = (true, false);
    egui::Modal::new(egui::Id::unique("job_fluid_add")).show(ctx, |ui| {
        ui.set_width(520.0);
        ui.heading(format!(
            "{} {}",
            lang.pick("Add a fluid stage to", "Agregar una etapa de fluido a"),
            d.job.number
        ));
        egui::Grid::new("job_fluid_add_grid")
            .num_columns(2)
            .spacing(egui::vec2(12.0, 8.0))
            .show(ui, |ui| {
                let l = ui.label(lang.pick("Kind", "Tipo"));
                egui::ComboBox::from_id_salt("job_fluid_kind")
                    .selected_text(a.kind.label(lang))
                    .show_ui(ui, |ui| {
                        for k in FluidKind::ALL {
                            ui.selectable_value(&mut a.kind, k, k.label(lang));
                        }
                    })
                    .response
                    .labelled_by(l.id);
                ui.end_row();
                let l = ui.label(lang.pick("Name", "Nombre"));
                ui.add(egui::TextEdit::singleline(&mut a.name).desired_width(260.0))
                    .labelled_by(l.id);
                ui.end_row();
                let volume = volume_unit(a.kind);
                for (title, text, unit) in [
                    (lang.pick("Density", "Densidad"), &mut a.density, "ppg"),
                    (lang.pick("Viscosity", "Viscosidad"), &mut a.viscosity, "cP"),
                    (
                        lang.pick("Planned volume", "Volumen planificado"),
                        &mut a.planned,
                        volume,
                    ),
                ] {
                    ui.label(title);
                    ui.horizontal(|ui| form::number_ui(ui, text, &Num { title, unit, row: 0 }, cx));
                    ui.end_row();
                }
            });
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
        match a.stage(d.job.id, desk) {
            Ok(stage) => {
                let what = format!("{} {}", lang.pick("add stage", "agregar etapa"), stage.name);
                let req = JobRequest::AddFluid {
                    number: d.job.number.clone(),
                    stage,
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

impl AddStage {
    /// The stage typed (the store numbers it), or what to fix.
    fn stage(&self, job_id: i64, desk: &Desk<'_>) -> Result<FluidStage, String> {
        let loc = desk.loc();
        let lang = loc.lang;
        let stage = FluidStage {
            id: 0,
            job_id,
            seq: 0,
            kind: self.kind,
            name: self.name.trim().to_owned(),
            density_ppg: form::typed(&self.density, loc, "ppg", lang.pick("Density", "Densidad"))?,
            viscosity_cp: form::typed(&self.viscosity, loc, "cP", lang.pick("Viscosity", "Viscosidad"))?,
            planned_bbl: form::typed(
                &self.planned,
                loc,
                volume_unit(self.kind),
                lang.pick("Planned volume", "Volumen planificado"),
            )?,
            actual_bbl: 0.0,
            avg_rate_bpm: None,
            max_pressure_psi: None,
            start: None,
            end: None,
        };
        stage.check().map_err(|e| e.to_string())?;
        Ok(stage)
    }
}
