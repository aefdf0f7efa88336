//! The bottom-hole assembly: its components from the bottom up (component, manufacturer, model, serial,
//! length, OD, ID, weight) with their totals, edited on a copy (add, remove, move up or down; the usual
//! components offered, any other typed) and sent whole on Save; and beside the table the BHA drawn to
//! scale: each component a rectangle as wide as its OD and as tall as its length (with a least height, so
//! a short sub is still seen and named), the bottom at the bottom, the coiled tubing above.
//!
//! The copy is kept while it differs from the job's BHA; a job's BHA changes while the job may still be
//! edited and its ticket is a draft, by those who may run jobs.

use super::form::{self, Num};
use super::{Desk, wide};
use crate::auth::Action;
use crate::job::command::JobRequest;
use crate::job::model::{BHA_KINDS, BhaComponent, MAX_BHA, TicketState, bha_totals};
use crate::job::view::JobDetail;
use crate::locale::Locale;
use crate::ui::theme;
use egui::{RichText, Ui};

/// The BHA as edited here.
#[derive(Debug, Clone, Default)]
pub struct BhaState {
    /// The job the copy is of, and the BHA it was made from.
    number: String,
    base: Vec<BhaComponent>,
    rows: Vec<Row>,
    /// The language and units the rows are typed in.
    loc: Locale,
    error: Option<String>,
}

/// One component as typed (numbers in the console's units).
#[derive(Debug, Clone, Default, PartialEq)]
struct Row {
    kind: String,
    manufacturer: String,
    model: String,
    serial: String,
    length: String,
    od: String,
    id: String,
    weight: String,
}

impl Row {
    fn of(c: &BhaComponent, loc: Locale) -> Self {
        Self {
            kind: c.kind.clone(),
            manufacturer: c.manufacturer.clone(),
            model: c.model.clone(),
            serial: c.serial.clone(),
            length: form::field_text(Some(c.length_ft), loc, "ft"),
            od: form::field_text(Some(c.od_in), loc, "in"),
            id: form::field_text(Some(c.id_in), loc, "in"),
            weight: form::field_text(Some(c.weight_lb), loc, "lb"),
        }
    }

    /// The same typed text as it reads after the console switched from `from` to `to`.
    fn retype(&mut self, from: Locale, to: Locale) {
        for (text, unit) in [
            (&mut self.length, "ft"),
            (&mut self.od, "in"),
            (&mut self.id, "in"),
            (&mut self.weight, "lb"),
        ] {
            *text = form::retyped(text, from, to, unit);
        }
    }

    /// The component typed at position `seq` from the bottom, checked; or what to fix.
    fn component(&self, job_id: i64, seq: u32, loc: Locale) -> Result<BhaComponent, String> {
        let lang = loc.lang;
        let c = BhaComponent {
            id: 0,
            job_id,
            seq,
            kind: self.kind.trim().to_owned(),
            manufacturer: self.manufacturer.trim().to_owned(),
            model: self.model.trim().to_owned(),
            serial: self.serial.trim().to_owned(),
            length_ft: form::required(&self.length, loc, "ft", lang.pick("Length", "Longitud"))?,
            od_in: form::required(&self.od, loc, "in", "OD")?,
            id_in: form::typed(&self.id, loc, "in", "ID")?.unwrap_or(0.0),
            weight_lb: form::required(&self.weight, loc, "lb", lang.pick("Weight", "Peso"))?,
        };
        c.check().map_err(|e| format!("#{seq}: {e}"))?;
        Ok(c)
    }
}

impl BhaState {
    /// Brought up to the job's BHA: a new copy for another job, or when the person had not changed it and
    /// the job's BHA changed; kept while it is being changed.
    fn sync(&mut self, d: &JobDetail, loc: Locale) {
        if self.loc != loc {
            for r in &mut self.rows {
                r.retype(self.loc, loc);
            }
            self.loc = loc;
        }
        let rows_of = |b: &[BhaComponent]| b.iter().map(|c| Row::of(c, loc)).collect::<Vec<_>>();
        let untouched = self.rows == rows_of(&self.base);
        if self.number != d.job.number || (untouched && self.base != d.bha) {
            *self = Self {
                number: d.job.number.clone(),
                base: d.bha.clone(),
                rows: rows_of(&d.bha),
                loc,
                error: None,
            };
        }
    }

    /// The components typed, bottom first; or the first thing to fix.
    fn components(&self, job_id: i64, loc: Locale) -> Result<Vec<BhaComponent>, String> {
        self.rows
            .iter()
            .enumerate()
            .map(|(i, r)| r.component(job_id, i as u32 + 1, loc))
            .collect()
    }
}

pub fn bha_ui(ui: &mut Ui, d: &JobDetail, st: &mut BhaState, desk: &mut Desk<'_>) {
    let loc = desk.loc();
    let lang = loc.lang;
    st.sync(d, loc);
    let editable = d.job.status.editable() && d.job.ticket == TicketState::Draft && desk.may(Action::RunJob);
    // What the schematic and totals show: the copy where every row reads, else the job's BHA.
    let shown = st.components(d.job.id, loc).unwrap_or_else(|_| d.bha.clone());
    let t = bha_totals(&shown);
    ui.label(
        RichText::new(format!(
            "{} {} · {} {} · {} {} · {} {}",
            lang.pick("Length", "Longitud"),
            form::qty(loc, "ft", Some(t.length_ft), 2),
            lang.pick("Weight", "Peso"),
            form::qty(loc, "lb", Some(t.weight_lb), 0),
            lang.pick("Max OD", "DE máx."),
            form::qty(loc, "in", Some(t.max_od_in), 3),
            lang.pick("Min ID (drift)", "DI mín. (paso)"),
            form::qty(loc, "in", Some(t.min_id_in), 3),
        ))
        .strong(),
    );
    if !editable && desk.may(Action::RunJob) {
        ui.label(
            RichText::new(lang.pick("The job's BHA no longer changes", "El BHA del trabajo ya no cambia"))
                .color(theme::text_dim()),
        );
    } else if !editable {
        ui.label(RichText::new(desk.refusal(Action::RunJob)).color(theme::text_dim()));
    }
    // (Inside the tab's scroll area the height left may be unbounded.)
    let height = ui.available_height().clamp(360.0, 700.0);
    ui.horizontal_top(|ui| {
        ui.vertical(|ui| {
            ui.set_max_width((ui.available_width() - 260.0).max(400.0));
            egui::ScrollArea::horizontal()
                .id_salt("job_bha_table")
                .show(ui, |ui| ui.add_enabled_ui(editable, |ui| table_ui(ui, st, desk)));
            if editable {
                edit_buttons_ui(ui, d, st, desk);
            }
        });
        schematic_ui(ui, &shown, loc, height);
    });
}

/// The rows, bottom first, each with its Up, Down and Remove buttons.
fn table_ui(ui: &mut Ui, st: &mut BhaState, desk: &Desk<'_>) {
    let cx = desk.form();
    let (loc, lang) = (cx.loc, cx.loc.lang);
    let heads = [
        lang.pick("# (1 = bottom)", "# (1 = fondo)").to_owned(),
        lang.pick("Component", "Componente").to_owned(),
        lang.pick("Manufacturer", "Fabricante").to_owned(),
        lang.pick("Model", "Modelo").to_owned(),
        lang.pick("Serial", "Serie").to_owned(),
        format!("{} [{}]", lang.pick("Length", "Longitud"), form::unit(loc, "ft")),
        format!("{} [{}]", lang.pick("OD", "DE"), form::unit(loc, "in")),
        format!("{} [{}]", lang.pick("ID", "DI"), form::unit(loc, "in")),
        format!("{} [{}]", lang.pick("Weight", "Peso"), form::unit(loc, "lb")),
        String::new(),
    ];
    let n = st.rows.len();
    let mut act: Option<(usize, Edit)> = None;
    // A column is at least a field wide: a grid sizes its columns from the last frame, and the first frame's
    // would clip the fields to their heads.
    egui::Grid::new("job_bha_grid")
        .striped(true)
        .min_col_width(84.0)
        .num_columns(heads.len())
        .spacing(egui::vec2(8.0, 6.0))
        .show(ui, |ui| {
            // Each cell's field is named by its column's head (screen readers, the UI tests).
            let ids: Vec<egui::Id> = heads.iter().map(|h| ui.strong(h).id).collect();
            ui.end_row();
            for (i, r) in st.rows.iter_mut().enumerate() {
                ui.label((i + 1).to_string());
                ui.horizontal(|ui| kind_ui(ui, &mut r.kind, i, ids[1], lang));
                for (k, text) in [&mut r.manufacturer, &mut r.model, &mut r.serial]
                    .into_iter()
                    .enumerate()
                {
                    ui.add(egui::TextEdit::singleline(text).desired_width(100.0))
                        .labelled_by(ids[2 + k]);
                }
                for (k, (title, text, unit)) in [
                    (lang.pick("Length", "Longitud"), &mut r.length, "ft"),
                    ("OD", &mut r.od, "in"),
                    ("ID", &mut r.id, "in"),
                    (lang.pick("Weight", "Peso"), &mut r.weight, "lb"),
                ]
                .into_iter()
                .enumerate()
                {
                    // One cell: the field and its unit.
                    ui.horizontal(|ui| {
                        form::number_ui(ui, text, &Num { title, unit, row: i }, cx).labelled_by(ids[5 + k]);
                    });
                }
                ui.horizontal(|ui| {
                    if ui
                        .add_enabled(i + 1 < n, egui::Button::new(lang.pick("Up", "Subir")))
                        .clicked()
                    {
                        act = Some((i, Edit::Up));
                    }
                    if ui
                        .add_enabled(i > 0, egui::Button::new(lang.pick("Down", "Bajar")))
                        .clicked()
                    {
                        act = Some((i, Edit::Down));
                    }
                    if ui.button(lang.pick("Remove", "Quitar")).clicked() {
                        act = Some((i, Edit::Remove));
                    }
                });
                ui.end_row();
            }
        });
    match act {
        Some((i, Edit::Up)) => st.rows.swap(i, i + 1),
        Some((i, Edit::Down)) => st.rows.swap(i, i - 1),
        Some((i, Edit::Remove)) => {
            st.rows.remove(i);
        }
        None => {}
    }
}

/// A row's move: up is towards the top of the string (away from the bottom).
#[derive(Debug, Clone, Copy)]
enum Edit {
    Up,
    Down,
    Remove,
}

/// A component's name: typed, or one of the usual ones picked from the list beside it.
fn kind_ui(ui: &mut Ui, kind: &mut String, row: usize, label: egui::Id, lang: crate::lang::Lang) {
    ui.add(
        egui::TextEdit::singleline(kind)
            .hint_text(lang.pick("component", "componente"))
            .desired_width(130.0),
    )
    .labelled_by(label);
    egui::ComboBox::from_id_salt(("job_bha_kind", row))
        .selected_text("…")
        .width(40.0)
        .show_ui(ui, |ui| {
            for k in BHA_KINDS {
                if ui.selectable_label(kind.as_str() == k, k).clicked() {
                    *kind = k.to_owned();
                }
            }
        })
        .response
        .widget_info(|| {
            egui::WidgetInfo::labeled(
                egui::Role::ComboBox,
                true,
                lang.pick("Usual components", "Componentes usuales"),
            )
        });
}

/// Add component, Save and Revert under the table.
fn edit_buttons_ui(ui: &mut Ui, d: &JobDetail, st: &mut BhaState, desk: &mut Desk<'_>) {
    let loc = desk.loc();
    let lang = loc.lang;
    let dirty = st.rows != st.base.iter().map(|c| Row::of(c, loc)).collect::<Vec<_>>();
    ui.horizontal_wrapped(|ui| {
        let add = egui::Button::new(lang.pick("Add component", "Agregar componente")).min_size(wide(desk));
        if ui.add_enabled(st.rows.len() < MAX_BHA, add).clicked() {
            st.rows.push(Row::default());
        }
        let save = egui::Button::new(RichText::new(lang.pick("Save BHA", "Guardar BHA")).strong()).min_size(wide(desk));
        if ui.add_enabled(dirty, save).clicked() {
            match st.components(d.job.id, loc) {
                Ok(components) => {
                    st.error = None;
                    let what = format!("{} {}", lang.pick("save the BHA of", "guardar el BHA de"), d.job.number);
                    let req = JobRequest::SetBha {
                        number: d.job.number.clone(),
                        components,
                    };
                    desk.request(req, what);
                }
                Err(e) => st.error = Some(e),
            }
        }
        let revert = egui::Button::new(lang.pick("Revert", "Revertir")).min_size(wide(desk));
        if ui.add_enabled(dirty, revert).clicked() {
            st.rows = st.base.iter().map(|c| Row::of(c, loc)).collect();
            st.error = None;
        }
    });
    if let Some(e) = &st.error {
        ui.label(RichText::new(e).color(theme::JOB_REFUSED));
    }
}

/// The least height a component is drawn with, so a short sub is still seen and named.
const MIN_PART_H: f32 = 20.0;

/// The BHA drawn bottom up: widths by OD, heights by length (each at least `MIN_PART_H`), names beside.
fn schematic_ui(ui: &mut Ui, parts: &[BhaComponent], loc: Locale, height: f32) {
    let lang = loc.lang;
    let width = 250.0;
    let (resp, painter) = ui.allocate_painter(egui::vec2(width, height), egui::Sense::hover());
    let rect = resp.rect;
    resp.widget_info(|| {
        egui::WidgetInfo::labeled(egui::Role::Image, true, lang.pick("BHA schematic", "Esquema del BHA"))
    });
    let line = egui::Stroke::new(1.2, theme::ink(crate::screen::Ink::Line));
    let body = theme::ink(crate::screen::Ink::Equipment);
    let font = egui::FontId::proportional(theme::TEXT_SMALL);
    let t = bha_totals(parts);
    let tool_w = 70.0_f32;
    let centre = rect.left() + 8.0 + tool_w / 2.0;
    // The string above the BHA: room for the tubing, then the components fill the rest.
    let top_room = 40.0;
    let usable = (rect.height() - top_room - 4.0).max(MIN_PART_H);
    let n = parts.len() as f32;
    let stretch = (usable - n * MIN_PART_H).max(0.0);
    let mut y = rect.bottom() - 2.0;
    for c in parts {
        let share = if t.length_ft > 0.0 {
            (c.length_ft / t.length_ft) as f32
        } else {
            0.0
        };
        let h = MIN_PART_H + stretch * share;
        let w = if t.max_od_in > 0.0 {
            (tool_w * (c.od_in / t.max_od_in) as f32).max(10.0)
        } else {
            tool_w
        };
        let r = egui::Rect::from_min_max(egui::pos2(centre - w / 2.0, y - h), egui::pos2(centre + w / 2.0, y));
        painter.rect_filled(r, 2.0, body);
        painter.rect_stroke(r, 2.0, line, egui::StrokeKind::Inside);
        let label = format!("{} · {}", c.kind, form::qty(loc, "in", Some(c.od_in), 3));
        painter.text(
            egui::pos2(rect.left() + 16.0 + tool_w, r.center().y),
            egui::Align2::LEFT_CENTER,
            label,
            font.clone(),
            theme::text(),
        );
        y -= h;
    }
    if parts.is_empty() {
        painter.text(
            rect.center(),
            egui::Align2::CENTER_CENTER,
            lang.pick("No BHA yet", "Sin BHA aún"),
            font,
            theme::text_dim(),
        );
        return;
    }
    // The coiled tubing the BHA hangs from.
    let ct = egui::Rect::from_min_max(egui::pos2(centre - 6.0, rect.top() + 4.0), egui::pos2(centre + 6.0, y));
    painter.rect_filled(ct, 0.0, theme::ink(crate::screen::Ink::Pipe));
    painter.text(
        egui::pos2(centre + 12.0, rect.top() + 12.0),
        egui::Align2::LEFT_CENTER,
        lang.pick("coiled tubing", "tubería flexible"),
        font,
        theme::text_dim(),
    );
}
