//! The tag browser: search every tag by name or description and see value, unit, quality and age.
//! Virtualised rows, so 10,000 tags cost what the visible ones cost. Writable tags take a value through a
//! confirmation dialog; the write goes to the hub with the user, which checks the role and records it.
//! A tag already on the trend is marked on its row instead of offered again. `search` is how the console
//! finds tags by typing, here and in the trend's pen picker.
//!
//! Owns only the page's own state (query, filter, the open dialog); language, units, touch mode and the
//! user come from the console's context, the write goes out through it, and a "+ Trend" is the shell's.

use super::alarm_symbol::{AlarmMarks, indicator_ui};
use super::context::Console;
use super::keypad::{EntryOutcome, SetpointEntry, setpoint_dialog_ui};
use super::page::{FrameInputs, PageView, ShellAction};
use super::{readout, theme};
use crate::auth::Action;
use crate::hub::Snapshot;
use crate::locale::Locale;
use crate::tag::{TagDef, TagDirectory, TagId, Timestamp, Value, ValueKind};
use egui::{RichText, Ui};
use egui_extras::{Column, TableBuilder};

#[derive(Default)]
pub struct TagBrowserState {
    pub query: String,
    pub only_not_good: bool,
    /// The write dialog: the tag and the value being typed.
    pub write: Option<(TagId, String)>,
    entry: Option<SetpointEntry>,
}

impl PageView for TagBrowserState {
    fn ui(&mut self, ui: &mut Ui, console: &mut Console, frame: &FrameInputs<'_>) -> Option<ShellAction> {
        let view = TagView {
            loc: console.locale(),
            touch: console.touch,
            may_write: console.may(Action::WriteSetpoint),
            marks: &frame.alarms.tag_marks,
            on_trend: frame.on_trend,
        };
        match tag_browser_ui(ui, self, frame.snap, frame.now, &view) {
            Some(TagAction::Trend(id)) => Some(ShellAction::AddPen(id)),
            Some(TagAction::Write(tag, value)) => {
                console.write(frame.snap, tag, value);
                None
            }
            None => None,
        }
    }
}

/// How this console shows the tags this frame.
struct TagView<'a> {
    loc: Locale,
    /// Touch mode: numbers are written through the keypad instead of typed.
    touch: bool,
    /// The user may write (role); the Write buttons are disabled otherwise.
    may_write: bool,
    marks: &'a AlarmMarks,
    /// The tags that are pens on the trend, marked on their rows.
    on_trend: &'a [String],
}

/// What the operator asked for on the tag page.
#[derive(Debug, Clone, PartialEq)]
enum TagAction {
    Trend(TagId),
    /// Confirmed in the dialog; the hub checks the role and records it.
    Write(TagId, Value),
}

/// The tags holding every word of `query` (case-insensitive) in their name or either description, in the
/// directory's order.
pub fn search<'a>(directory: &'a TagDirectory, query: &str) -> Vec<&'a TagDef> {
    let words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
    directory
        .iter()
        .filter(|d| {
            words.is_empty() || {
                let hay = format!("{} {} {}", d.name, d.description, d.description_es).to_lowercase();
                words.iter().all(|w| hay.contains(w.as_str()))
            }
        })
        .collect()
}

impl TagBrowserState {
    /// Tags matching the query (see `search`) and filter.
    pub fn matches(&self, snap: &Snapshot) -> Vec<TagId> {
        search(&snap.directory, &self.query)
            .into_iter()
            .filter(|d| !self.only_not_good || snap.get(d.id).is_some_and(|s| !s.quality.is_good()))
            .map(|d| d.id)
            .collect()
    }
}

/// How wide `text` is on one line in the button font, as the theme (and touch mode) sizes it.
fn text_width(ui: &Ui, text: &str) -> f32 {
    egui::WidgetText::from(text)
        .into_galley(
            ui,
            Some(egui::TextWrapMode::Extend),
            f32::INFINITY,
            egui::TextStyle::Button,
        )
        .size()
        .x
}

/// The search row: the text to match, clearing it, and the filter to tags that are not good.
fn search_ui(ui: &mut Ui, state: &mut TagBrowserState, lang: crate::lang::Lang) {
    let label = ui.label(lang.pick("Search tags:", "Buscar tags:"));
    ui.add(
        egui::TextEdit::singleline(&mut state.query)
            .hint_text(lang.pick(
                "name or description, e.g. esp03 temp",
                "nombre o descripción, p. ej. esp03 temp",
            ))
            .desired_width(360.0),
    )
    .labelled_by(label.id);
    if ui.button(lang.pick("Clear", "Borrar")).clicked() {
        state.query.clear();
    }
    ui.checkbox(
        &mut state.only_not_good,
        lang.pick("Only bad, stale or uncertain", "Solo malas, obsoletas o inciertas"),
    );
}

/// Draws the browser; returns the tag whose "+ Trend" button was pressed, if any. (What became of it is the
/// shell's toast, never a line here that would move the rows.)
fn tag_browser_ui(
    ui: &mut Ui,
    state: &mut TagBrowserState,
    snap: &Snapshot,
    now: Timestamp,
    view: &TagView<'_>,
) -> Option<TagAction> {
    let mut action = None;
    let (loc, marks, may_write) = (view.loc, view.marks, view.may_write);
    let lang = loc.lang;
    ui.horizontal(|ui| search_ui(ui, state, lang));
    let rows = state.matches(snap);
    let of = lang.pick("of", "de");
    ui.label(RichText::new(format!("{} {of} {} tags", rows.len(), snap.directory.len())).color(theme::text_dim()));
    ui.separator();
    let row_h = 24.0;
    let (add, added) = (
        lang.pick("+ Trend", "+ Tendencia"),
        lang.pick("• On trend", "• En tendencia"),
    );
    // As wide as the longer of the two in this language and text size, so neither ever wraps.
    let trend_w = text_width(ui, add).max(text_width(ui, added)) + 2.0 * ui.spacing().button_padding.x + 4.0;
    TableBuilder::new(ui)
        .striped(true)
        .resizable(true)
        .column(Column::exact(trend_w))
        .column(Column::exact(30.0))
        .column(Column::initial(240.0).at_least(120.0))
        .column(Column::initial(200.0).at_least(120.0))
        .column(Column::initial(110.0).at_least(80.0))
        .column(Column::initial(120.0))
        .column(Column::remainder().at_least(160.0))
        .header(row_h, |mut h| {
            for title in [
                "",
                "",
                "Tag",
                lang.pick("Value", "Valor"),
                lang.pick("Quality", "Calidad"),
                lang.pick("Updated", "Actualizado"),
                lang.pick("Description", "Descripción"),
            ] {
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
                    if view.on_trend.contains(&def.name) {
                        // A mark, not a control: a pen is removed beside it on the Trends page.
                        let mark = ui
                            .add(
                                egui::Label::new(RichText::new(added).strong())
                                    .wrap_mode(egui::TextWrapMode::Extend)
                                    .selectable(false),
                            )
                            .on_hover_text(lang.pick(
                                "On the trend; remove it with × on the Trends page",
                                "En la tendencia; quítelo con × en la página Tendencias",
                            ));
                        mark.widget_info(|| {
                            egui::WidgetInfo::labeled(
                                egui::Role::Label,
                                true,
                                format!("{} {}", lang.pick("On trend", "En tendencia"), def.name),
                            )
                        });
                        return;
                    }
                    let b = ui
                        .add(egui::Button::new(add).small().wrap_mode(egui::TextWrapMode::Extend))
                        .on_hover_text(lang.pick("Add this tag to the trend", "Agregar este tag a la tendencia"));
                    b.widget_info(|| {
                        egui::WidgetInfo::labeled(
                            egui::Role::Button,
                            true,
                            format!("{} {}", lang.pick("Trend", "Tendencia"), def.name),
                        )
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
                    let text = RichText::new(readout::value_text(def, s, loc)).monospace();
                    ui.label(if s.quality.is_good() {
                        text.strong()
                    } else {
                        text.color(theme::text_dim()).italics()
                    });
                    if def.writable {
                        let b = ui
                            .add_enabled(may_write, egui::Button::new(lang.pick("Write…", "Escribir…")).small())
                            .on_disabled_hover_text(lang.pick("your role may not write", "su rol no permite escribir"));
                        b.widget_info(|| {
                            egui::WidgetInfo::labeled(
                                egui::Role::Button,
                                may_write,
                                format!("{} {}", lang.pick("Write", "Escribir"), def.name),
                            )
                        });
                        if b.clicked() {
                            if view.touch && matches!(def.kind, ValueKind::F64 | ValueKind::I64) {
                                state.entry = Some(SetpointEntry::new(id, def.name.clone()));
                            } else {
                                state.write = Some((id, String::new()));
                            }
                        }
                    }
                });
                row.col(|ui| {
                    if s.quality.is_good() {
                        let good = s.quality.label(lang);
                        ui.label(RichText::new(good).color(theme::text_dim()).size(theme::TEXT_SMALL));
                    } else {
                        readout::quality_chip_ui(ui, s.quality, lang);
                    }
                });
                row.col(|ui| {
                    ui.label(RichText::new(readout::age_text(now, s.receive_ts, lang)).color(theme::text_dim()))
                        .on_hover_text(format!(
                            "{} {}",
                            lang.pick("source time", "hora de origen"),
                            s.source_ts.to_rfc3339()
                        ));
                });
                row.col(|ui| {
                    ui.label(RichText::new(def.description_in(lang)).color(theme::text_dim()));
                });
            });
        });
    if let Some(w) = write_dialog_ui(ui.ctx(), state, snap, loc) {
        action = Some(w);
    }
    if let Some(entry) = &mut state.entry {
        match setpoint_dialog_ui(ui.ctx(), entry, snap, loc, theme::TOUCH_TARGET) {
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

fn write_dialog_ui(
    ctx: &egui::Context,
    state: &mut TagBrowserState,
    snap: &Snapshot,
    loc: Locale,
) -> Option<TagAction> {
    let (id, mut text) = state.write.take()?;
    let def = snap.directory.get(id)?;
    let lang = loc.lang;
    let current = snap
        .get(id)
        .map(|s| readout::value_text(def, s, loc))
        .unwrap_or_default();
    let unit = loc.units.shown(&def.unit).unit;
    let mut keep = true;
    let mut out = None;
    egui::Modal::new(egui::Id::unique("write_dialog")).show(ctx, |ui| {
        ui.set_width(420.0);
        ui.heading(format!("{} {}", lang.pick("Write to", "Escribir en"), def.name));
        ui.label(RichText::new(def.description_in(lang)).color(theme::text_dim()));
        ui.label(format!("{}: {current}", lang.pick("now", "actual")));
        let l = ui.label(format!(
            "{}{}:",
            lang.pick("New value", "Nuevo valor"),
            if unit.is_empty() {
                String::new()
            } else {
                format!(" ({unit})")
            }
        ));
        ui.add(egui::TextEdit::singleline(&mut text).desired_width(400.0))
            .labelled_by(l.id);
        let parsed = loc.parse_write(def, &text);
        if let (Err(want), false) = (&parsed, text.trim().is_empty()) {
            let enter = lang.pick("enter", "ingrese");
            ui.label(RichText::new(format!("{enter} {want}")).color(theme::ALARM_HIGH));
        }
        if let Ok(v) = &parsed
            && !loc.units.shown(&def.unit).is_identity()
        {
            // Said before the write, so nobody wonders which unit goes on the wire.
            let wire = v.display(def.decimals + 3);
            let sent = lang.pick("sent as", "se envía como");
            ui.label(RichText::new(format!("{sent} {wire} {}", def.unit)).color(theme::text_dim()));
        }
        ui.horizontal(|ui| {
            if ui
                .add_enabled(
                    parsed.is_ok(),
                    egui::Button::new(RichText::new(lang.pick("Confirm write", "Confirmar escritura")).strong()),
                )
                .clicked()
                && let Ok(v) = &parsed
            {
                out = Some(TagAction::Write(id, v.clone()));
                keep = false;
            }
            if ui.button(lang.pick("Cancel", "Cancelar")).clicked() {
                keep = false;
            }
        });
    });
    if keep {
        state.write = Some((id, text));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tag::TagDef;
    use crate::tag::test_setpoint as tag;

    #[test]
    fn search_wants_every_word_in_the_name_or_either_description() {
        let named = |id: u32, name: &str, en: &str, es: &str| TagDef {
            id: TagId(id),
            name: name.into(),
            description: en.into(),
            description_es: es.into(),
            ..tag("psi", (0.0, 1.0))
        };
        let directory = TagDirectory::new(vec![
            named(0, "ct01/weight", "Weight indicator", "Indicador de peso"),
            named(1, "ct01/depth", "Depth", "Profundidad"),
            named(2, "esp04/motor_temp", "Motor temperature", "Temperatura del motor"),
        ]);
        let found =
            |query: &str| -> Vec<String> { search(&directory, query).into_iter().map(|d| d.name.clone()).collect() };
        assert_eq!(found("").len(), 3, "nothing typed: every tag");
        assert_eq!(found("CT01 peso"), ["ct01/weight"]);
        assert_eq!(found("motor temp"), ["esp04/motor_temp"]);
        assert_eq!(found("ct01"), ["ct01/weight", "ct01/depth"]);
        assert!(found("ct01 motor").is_empty());
    }
}
