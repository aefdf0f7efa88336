//! The tag browser: search every tag by name or description and see value, unit, quality and age.
//! Virtualised rows, so 10,000 tags cost what the visible ones cost. Writable tags take a value through a
//! confirmation dialog; the write goes to the hub with the user, which checks the role and records it.

use super::alarm_symbol::{AlarmMarks, indicator_ui};
use super::keypad::{EntryOutcome, SetpointEntry, setpoint_dialog_ui};
use super::{readout, theme};
use crate::hub::Snapshot;
use crate::tag::{TagId, Timestamp, Value, ValueKind};
use egui::{RichText, Ui};
use egui_extras::{Column, TableBuilder};

#[derive(Default)]
pub struct TagBrowserState {
    pub query: String,
    pub only_not_good: bool,
    /// The write dialog: the tag and the value being typed.
    pub write: Option<(TagId, String)>,
    /// Touch mode: numbers are written through the keypad instead of typed.
    pub touch: bool,
    pub lang: crate::lang::Lang,
    entry: Option<SetpointEntry>,
}

/// What the operator asked for on the tag page.
#[derive(Debug, Clone, PartialEq)]
pub enum TagAction {
    Trend(TagId),
    /// Confirmed in the dialog; the hub checks the role and records it.
    Write(TagId, Value),
}

/// The typed text as a value for `def`, or why not.
pub fn parse_write(def: &crate::tag::TagDef, text: &str) -> Result<Value, String> {
    let t = text.trim();
    let v = match def.kind {
        ValueKind::Bool => match t.to_lowercase().as_str() {
            "on" | "true" | "1" => Value::Bool(true),
            "off" | "false" | "0" => Value::Bool(false),
            _ => return Err("ON or OFF".into()),
        },
        ValueKind::I64 => Value::I64(t.parse().map_err(|_| "a whole number".to_owned())?),
        ValueKind::F64 => Value::F64(
            t.parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| "a number".to_owned())?,
        ),
        ValueKind::String => Value::str(t),
    };
    if let (Some((lo, hi)), Some(x)) = (def.range, v.as_f64())
        && matches!(def.kind, ValueKind::F64 | ValueKind::I64)
        && !(lo..=hi).contains(&x)
    {
        return Err(format!("a value within the range {lo} to {hi} {}", def.unit));
    }
    Ok(v)
}

impl TagBrowserState {
    /// Tags matching the query (all words, case-insensitive, in name or description) and filter.
    pub fn matches(&self, snap: &Snapshot) -> Vec<TagId> {
        let words: Vec<String> = self.query.split_whitespace().map(str::to_lowercase).collect();
        snap.directory
            .iter()
            .filter(|d| {
                let hay = format!("{} {}", d.name, d.description).to_lowercase();
                words.iter().all(|w| hay.contains(w.as_str()))
            })
            .filter(|d| !self.only_not_good || snap.get(d.id).is_some_and(|s| !s.quality.is_good()))
            .map(|d| d.id)
            .collect()
    }
}

/// Draws the browser; returns the tag whose "+ Trend" button was pressed, if any.
/// `notice` (e.g. "added to the trend") shows in the search row, where it never moves the rows below
/// between a touch and the next.
pub fn tag_browser_ui(
    ui: &mut Ui,
    state: &mut TagBrowserState,
    snap: &Snapshot,
    now: Timestamp,
    notice: Option<&str>,
    marks: &AlarmMarks,
    may_write: bool,
) -> Option<TagAction> {
    let mut action = None;
    ui.horizontal(|ui| {
        let label = ui.label("Search tags:");
        ui.add(
            egui::TextEdit::singleline(&mut state.query)
                .hint_text("name or description, e.g. esp03 temp")
                .desired_width(360.0),
        )
        .labelled_by(label.id);
        if ui.button("Clear").clicked() {
            state.query.clear();
        }
        ui.checkbox(&mut state.only_not_good, "Only bad, stale or uncertain");
        if let Some(n) = notice {
            ui.separator();
            ui.label(RichText::new(n).color(theme::text_dim()));
        }
    });
    let rows = state.matches(snap);
    ui.label(RichText::new(format!("{} of {} tags", rows.len(), snap.directory.len())).color(theme::text_dim()));
    ui.separator();
    let row_h = 24.0;
    TableBuilder::new(ui)
        .striped(true)
        .resizable(true)
        .column(Column::initial(84.0))
        .column(Column::exact(30.0))
        .column(Column::initial(240.0).at_least(120.0))
        .column(Column::initial(200.0).at_least(120.0))
        .column(Column::initial(110.0).at_least(80.0))
        .column(Column::initial(120.0))
        .column(Column::remainder().at_least(160.0))
        .header(row_h, |mut h| {
            for title in ["", "", "Tag", "Value", "Quality", "Updated", "Description"] {
                h.col(|ui| {
                    ui.strong(title);
                });
            }
        })
        .body(|body| {
            body.rows(row_h, rows.len(), |mut row| {
                let id = rows[row.index()];
                let (Some(def), Some(s)) = (snap.directory.get(id), snap.get(id)) else {
                    return;
                };
                row.col(|ui| {
                    let b = ui.small_button("+ Trend").on_hover_text("Add this tag to the trend");
                    b.widget_info(|| {
                        egui::WidgetInfo::labeled(egui::Role::Button, true, format!("Trend {}", def.name))
                    });
                    if b.clicked() {
                        action = Some(TagAction::Trend(id));
                    }
                });
                row.col(|ui| {
                    if let Some((p, st)) = marks.get(&id) {
                        indicator_ui(ui, 20.0, *p, *st, now);
                    }
                });
                row.col(|ui| {
                    ui.label(RichText::new(&def.name).monospace());
                });
                row.col(|ui| {
                    let text = RichText::new(readout::value_text(def, s)).monospace();
                    ui.label(if s.quality.is_good() {
                        text.strong()
                    } else {
                        text.color(theme::text_dim()).italics()
                    });
                    if def.writable {
                        let b = ui
                            .add_enabled(may_write, egui::Button::new("Write…").small())
                            .on_disabled_hover_text("your role may not write");
                        b.widget_info(|| {
                            egui::WidgetInfo::labeled(egui::Role::Button, may_write, format!("Write {}", def.name))
                        });
                        if b.clicked() {
                            if state.touch && matches!(def.kind, ValueKind::F64 | ValueKind::I64) {
                                state.entry = Some(SetpointEntry::new(id, def.name.clone()));
                            } else {
                                state.write = Some((id, String::new()));
                            }
                        }
                    }
                });
                row.col(|ui| {
                    if s.quality.is_good() {
                        ui.label(RichText::new("GOOD").color(theme::text_dim()).size(theme::TEXT_SMALL));
                    } else {
                        readout::quality_chip_ui(ui, s.quality);
                    }
                });
                row.col(|ui| {
                    ui.label(RichText::new(readout::age_text(now, s.receive_ts)).color(theme::text_dim()))
                        .on_hover_text(format!("source time {}", s.source_ts.to_rfc3339()));
                });
                row.col(|ui| {
                    ui.label(RichText::new(&def.description).color(theme::text_dim()));
                });
            });
        });
    if let Some(w) = write_dialog_ui(ui.ctx(), state, snap) {
        action = Some(w);
    }
    if let Some(entry) = &mut state.entry {
        match setpoint_dialog_ui(ui.ctx(), entry, snap, state.lang, theme::TOUCH_TARGET) {
            EntryOutcome::Open => {}
            EntryOutcome::Cancelled => state.entry = None,
            EntryOutcome::Write(tag, v) => {
                state.entry = None;
                action = Some(TagAction::Write(tag, v));
            }
        }
    }
    action
}

fn write_dialog_ui(ctx: &egui::Context, state: &mut TagBrowserState, snap: &Snapshot) -> Option<TagAction> {
    let (id, mut text) = state.write.take()?;
    let def = snap.directory.get(id)?;
    let current = snap.get(id).map(|s| readout::value_text(def, s)).unwrap_or_default();
    let mut keep = true;
    let mut out = None;
    egui::Modal::new(egui::Id::unique("write_dialog")).show(ctx, |ui| {
        ui.set_width(420.0);
        ui.heading(format!("Write to {}", def.name));
        ui.label(RichText::new(&def.description).color(theme::text_dim()));
        ui.label(format!("now: {current}"));
        let l = ui.label(format!(
            "New value{}:",
            if def.unit.is_empty() {
                String::new()
            } else {
                format!(" ({})", def.unit)
            }
        ));
        ui.add(egui::TextEdit::singleline(&mut text).desired_width(400.0))
            .labelled_by(l.id);
        let parsed = parse_write(def, &text);
        if let (Err(want), false) = (&parsed, text.trim().is_empty()) {
            ui.label(RichText::new(format!("enter {want}")).color(theme::ALARM_HIGH));
        }
        ui.horizontal(|ui| {
            if ui
                .add_enabled(
                    parsed.is_ok(),
                    egui::Button::new(RichText::new("Confirm write").strong()),
                )
                .clicked()
                && let Ok(v) = &parsed
            {
                out = Some(TagAction::Write(id, v.clone()));
                keep = false;
            }
            if ui.button("Cancel").clicked() {
                keep = false;
            }
        });
    });
    if keep {
        state.write = Some((id, text));
    }
    out
}
