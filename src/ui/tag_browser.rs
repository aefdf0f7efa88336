//! The tag browser: search every tag by name or description and see value, unit, quality and age.
//! Virtualised rows, so 10,000 tags cost what the visible ones cost.

use super::alarm_symbol::{AlarmMarks, indicator_ui};
use super::{readout, theme};
use crate::hub::Snapshot;
use crate::tag::{TagId, Timestamp};
use egui::{RichText, Ui};
use egui_extras::{Column, TableBuilder};

#[derive(Default)]
pub struct TagBrowserState {
    pub query: String,
    pub only_not_good: bool,
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
) -> Option<TagId> {
    let mut to_trend = None;
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
            ui.label(RichText::new(n).color(theme::TEXT_DIM));
        }
    });
    let rows = state.matches(snap);
    ui.label(RichText::new(format!("{} of {} tags", rows.len(), snap.directory.len())).color(theme::TEXT_DIM));
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
                        to_trend = Some(id);
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
                        text.color(theme::TEXT_DIM).italics()
                    });
                });
                row.col(|ui| {
                    if s.quality.is_good() {
                        ui.label(RichText::new("GOOD").color(theme::TEXT_DIM).size(theme::TEXT_SMALL));
                    } else {
                        readout::quality_chip_ui(ui, s.quality);
                    }
                });
                row.col(|ui| {
                    ui.label(RichText::new(readout::age_text(now, s.receive_ts)).color(theme::TEXT_DIM))
                        .on_hover_text(format!("source time {}", s.source_ts.to_rfc3339()));
                });
                row.col(|ui| {
                    ui.label(RichText::new(&def.description).color(theme::TEXT_DIM));
                });
            });
        });
    to_trend
}
