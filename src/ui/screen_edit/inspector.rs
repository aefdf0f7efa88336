//! The editor's inspector: every field of the selected element with its type — tags found with the tag
//! browser's search, a symbol's inputs with the kind each expects, texts in both languages, links chosen
//! from the screens there are — and the reason a value was refused, under the field it was typed in.
//!
//! Says what the engineer changed (`Change`); the editor makes the change through the session, which
//! refuses what the loader would report, and hands the refusal back here (`refused`).

use crate::editor::doc::ElementKind;
use crate::lang::Lang;
use crate::screen::def::{InputKind, ScreenSet};
use crate::tag::TagDirectory;
use crate::ui::{tag_browser, theme};
use egui::{RichText, Ui};
use std::collections::HashMap;
use toml_edit::{InlineTable, Table, Value};

/// What a field holds, for how it is shown and typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// A tag's name (found with the tag search).
    Tag,
    /// A list of tag names.
    Tags,
    /// A screen's id (chosen from the screens).
    Screen,
    /// `{ en = "…", es = "…" }`.
    Text,
    /// `[x, y]` on the canvas.
    Point,
    /// `[w, h]`.
    Size,
    Number,
    Bool,
    /// One of these words.
    Choice(&'static [&'static str]),
    /// Free text: a symbol id, a colour, a comparison (`ct01/rate > 0.05`).
    Word,
    /// A placed symbol's port on this screen (`pump.discharge`), chosen from the ports there are.
    Port,
    /// A symbol's inputs, each bound to a tag or a comparison.
    Bind,
    /// Any TOML value, typed as TOML.
    Toml,
}

impl Field {
    fn hint(self, lang: Lang) -> &'static str {
        match self {
            Field::Tag => "tag",
            Field::Tags => lang.pick("tags", "tags"),
            Field::Screen => lang.pick("screen", "pantalla"),
            Field::Text => lang.pick("text, both languages", "texto, ambos idiomas"),
            Field::Point => "[x, y]",
            Field::Size => lang.pick("[width, height]", "[ancho, alto]"),
            Field::Number => lang.pick("number", "número"),
            Field::Bool => lang.pick("yes/no", "sí/no"),
            Field::Choice(_) => lang.pick("one of", "uno de"),
            Field::Word => lang.pick("text", "texto"),
            Field::Port => lang.pick("symbol.port", "símbolo.puerto"),
            Field::Bind => lang.pick("inputs", "entradas"),
            Field::Toml => "TOML",
        }
    }
}

const SIZES: &[&str] = &["small", "normal", "large"];
const ALIGNS: &[&str] = &["left", "center", "right"];
const STYLES: &[&str] = &["process", "signal"];
const ARROWS: &[&str] = &["none", "start", "end", "both"];

const KEYS: &[&str] = &[
    "F1", "F2", "F3", "F4", "F5", "F6", "F7", "F8", "F9", "F10", "F11", "F12",
];

/// A screen's properties: the file's top-level keys. (`level` is typed as a number: a choice writes text.)
pub const SCREEN_FIELDS: &[(&str, Field)] = &[
    ("id", Field::Word),
    ("title", Field::Text),
    ("level", Field::Number),
    ("parent", Field::Screen),
    ("key", Field::Choice(KEYS)),
    ("canvas", Field::Size),
    ("assets", Field::Toml),
];

/// Every field an element of `kind` may have, in the order the inspector lists them.
pub fn fields(kind: ElementKind) -> &'static [(&'static str, Field)] {
    use Field::*;
    match kind {
        ElementKind::Symbol => &[
            ("use", Word),
            ("id", Word),
            ("at", Point),
            ("scale", Number),
            ("bind", Bind),
            ("label", Text),
            ("to", Screen),
            ("range", Toml),
        ],
        ElementKind::Value | ElementKind::Setpoint => &[
            ("tag", Tag),
            ("at", Point),
            ("label", Text),
            ("width", Number),
            ("size", Choice(SIZES)),
            ("decimals", Number),
            ("states", Toml),
        ],
        ElementKind::Bar => &[
            ("tag", Tag),
            ("at", Point),
            ("size", Size),
            ("label", Text),
            ("min", Number),
            ("max", Number),
        ],
        ElementKind::Gauge => &[
            ("tag", Tag),
            ("at", Point),
            ("diameter", Number),
            ("label", Text),
            ("min", Number),
            ("max", Number),
            ("major", Number),
        ],
        ElementKind::Trend => &[
            ("tags", Tags),
            ("at", Point),
            ("size", Size),
            ("label", Text),
            ("minutes", Number),
        ],
        ElementKind::Tile => &[
            ("title", Text),
            ("asset", Word),
            ("at", Point),
            ("size", Size),
            ("state", Tag),
            ("values", Tags),
            ("to", Screen),
        ],
        ElementKind::Nav => &[("to", Screen), ("at", Point), ("size", Size), ("label", Text)],
        ElementKind::Command => &[
            ("tag", Tag),
            ("at", Point),
            ("size", Size),
            ("label", Text),
            ("confirm", Text),
            ("value", Toml),
            ("toggle", Bool),
        ],
        ElementKind::Label => &[("text", Text), ("at", Point), ("size", Choice(SIZES))],
        ElementKind::Text => &[
            ("text", Text),
            ("at", Point),
            ("size", Choice(SIZES)),
            ("align", Choice(ALIGNS)),
            ("ink", Word),
        ],
        ElementKind::Rect => &[
            ("at", Point),
            ("size", Size),
            ("stroke", Word),
            ("fill", Word),
            ("width", Number),
            ("dashed", Bool),
            ("rounding", Number),
        ],
        ElementKind::Line => &[
            ("from", Port),
            ("points", Toml),
            ("to", Port),
            ("style", Choice(STYLES)),
            ("width", Number),
            ("ink", Word),
            ("arrow", Choice(ARROWS)),
            ("flowing", Word),
        ],
        ElementKind::Drivers => &[("at", Point), ("size", Size)],
        ElementKind::Group => &[("at", Point), ("size", Size), ("title", Text)],
    }
}

/// What names a line of text for screen readers and tests: a label drawn already, or its own.
#[derive(Clone, Copy)]
enum Caption<'a> {
    By(egui::Id),
    Text(&'a str),
}

/// A change the engineer made to the selected element.
#[derive(Debug, Clone)]
pub enum Change {
    Set(String, Value),
    Remove(String),
}

/// The inspector's state for the selected element: what is being typed, and the last refusal.
#[derive(Debug, Default)]
pub struct Inspector {
    /// Field (`tag`, `label.es`, `bind.running`) → the text being typed.
    typing: HashMap<String, String>,
    /// The field whose value was refused, and why.
    refused: Option<(String, String)>,
    /// The field the tag search is open for, and its query.
    search: Option<(String, String)>,
    /// Which change is being applied (its field), so a refusal lands under it.
    pending: Option<String>,
    /// Every port a line may end on here (`pump.discharge`): placed symbols with an `id`.
    pub ports: Vec<String>,
}

impl Inspector {
    /// Forgets what was typed (another element was selected, or the file changed under it).
    pub fn clear(&mut self) {
        let ports = std::mem::take(&mut self.ports);
        *self = Self {
            ports,
            ..Self::default()
        };
    }

    /// The change just asked for was refused: say why under its field.
    pub fn refused(&mut self, why: String) {
        if let Some(f) = self.pending.take() {
            self.refused = Some((f, why));
        }
    }

    /// The change just asked for was made.
    pub fn accepted(&mut self) {
        if let Some(f) = self.pending.take() {
            // The field and its parts (`label.en`, `bind.running`) show the file's values again.
            let key = f.split('.').next().unwrap_or(&f).to_owned();
            self.typing
                .retain(|k, _| k != &key && !k.starts_with(&format!("{key}.")));
            if self.refused.as_ref().is_some_and(|(r, _)| *r == f) {
                self.refused = None;
            }
        }
    }

    /// The field's text as typed, else as the file has it.
    fn text_of(&mut self, field: &str, file: impl FnOnce() -> String) -> &mut String {
        self.typing.entry(field.to_owned()).or_insert_with(file)
    }

    fn refusal_ui(&self, ui: &mut Ui, field: &str) {
        if let Some((f, why)) = &self.refused
            && f == field
        {
            ui.label(RichText::new(why).color(theme::ALARM_CRITICAL).small());
        }
    }

    /// One line of text typed for `field`, named by `caption`; its committed text (Enter or leaving the
    /// field) comes back.
    fn line_ui(
        &mut self,
        ui: &mut Ui,
        field: &str,
        caption: Caption<'_>,
        file: impl FnOnce() -> String,
    ) -> Option<String> {
        let mut out = None;
        ui.horizontal(|ui| {
            let by = match caption {
                Caption::By(id) => id,
                Caption::Text(t) => ui.label(t).id,
            };
            let text = self.text_of(field, file);
            let r = ui
                .add(egui::TextEdit::singleline(text).desired_width(ui.available_width()))
                .labelled_by(by);
            if r.lost_focus() {
                out = Some(text.clone());
            }
        });
        out
    }

    /// Draws every field of `table` (an element of `kind`); a change the engineer committed comes back.
    pub fn ui(
        &mut self,
        ui: &mut Ui,
        kind: ElementKind,
        table: &Table,
        set: &ScreenSet,
        tags: &TagDirectory,
        lang: Lang,
    ) -> Option<Change> {
        // What the loader needs (or places the element by) has no remove button.
        self.fields_ui(
            ui,
            fields(kind),
            &["at", "use", "tag", "text", "to"],
            table,
            set,
            tags,
            lang,
        )
    }

    /// Draws the screen's own fields (its properties) from the file's top-level table.
    pub fn screen_ui(
        &mut self,
        ui: &mut Ui,
        root: &Table,
        set: &ScreenSet,
        tags: &TagDirectory,
        lang: Lang,
    ) -> Option<Change> {
        self.fields_ui(ui, SCREEN_FIELDS, &["id", "title", "canvas"], root, set, tags, lang)
    }

    #[allow(clippy::too_many_arguments)] // what is drawn, what may go, and the lookups the fields use
    fn fields_ui(
        &mut self,
        ui: &mut Ui,
        fields: &[(&'static str, Field)],
        required: &[&str],
        table: &Table,
        set: &ScreenSet,
        tags: &TagDirectory,
        lang: Lang,
    ) -> Option<Change> {
        let mut change = None;
        self.pending = None;
        for &(key, field) in fields {
            ui.add_space(2.0);
            let head = ui
                .horizontal(|ui| {
                    let head = ui.label(RichText::new(key).strong()).id;
                    ui.label(RichText::new(field.hint(lang)).small().color(theme::text_dim()));
                    if table.contains_key(key)
                        && !required.contains(&key)
                        && ui
                            .small_button("×")
                            .on_hover_text(lang.pick("Remove: back to the default", "Quitar: valor por defecto"))
                            .clicked()
                    {
                        change = Some(Change::Remove(key.to_owned()));
                    }
                    head
                })
                .inner;
            let value = table.get(key).and_then(|i| i.as_value());
            let got = match field {
                Field::Text => self.text_ui(ui, key, value, lang),
                Field::Bind => self.bind_ui(ui, table, value, set, tags, lang),
                Field::Screen => pick_ui(
                    ui,
                    key,
                    head,
                    value,
                    set.screens
                        .iter()
                        .map(|s| (s.id.to_string(), format!("{} — {}", s.id, s.title.get(lang)))),
                    lang.pick("(none)", "(ninguna)"),
                    false,
                ),
                Field::Port => pick_ui(
                    ui,
                    key,
                    head,
                    value,
                    self.ports.iter().map(|p| (p.clone(), p.clone())),
                    lang.pick("(free end)", "(extremo libre)"),
                    true,
                ),
                Field::Choice(words) => pick_ui(
                    ui,
                    key,
                    head,
                    value,
                    words.iter().map(|w| ((*w).to_owned(), (*w).to_owned())),
                    lang.pick("(default)", "(por defecto)"),
                    false,
                ),
                Field::Bool => {
                    let mut on = value.and_then(Value::as_bool).unwrap_or(false);
                    ui.checkbox(&mut on, key)
                        .changed()
                        .then(|| Change::Set(key.to_owned(), on.into()))
                }
                Field::Tag | Field::Word => {
                    let got = self
                        .line_ui(ui, key, Caption::By(head), || {
                            value.and_then(Value::as_str).unwrap_or("").to_owned()
                        })
                        .filter(|t| Some(t.trim()) != value.and_then(Value::as_str))
                        .and_then(|t| match t.trim() {
                            // Emptied: the field goes back to its default (nothing, when it was absent).
                            "" => value.is_some().then(|| Change::Remove(key.to_owned())),
                            t => Some(Change::Set(key.to_owned(), t.into())),
                        });
                    let found = if field == Field::Tag {
                        self.tag_search_ui(ui, key, tags, lang)
                    } else {
                        None
                    };
                    found.map(|t| Change::Set(key.to_owned(), t.into())).or(got)
                }
                Field::Tags | Field::Point | Field::Size | Field::Number | Field::Toml => {
                    let now = value.map(bare).unwrap_or_default();
                    match self.line_ui(ui, key, Caption::By(head), || now.clone()) {
                        Some(t) if t.trim() != now.trim() => match t.trim() {
                            "" => Some(Change::Remove(key.to_owned())),
                            typed => match typed.parse::<Value>() {
                                Ok(v) => Some(Change::Set(key.to_owned(), v)),
                                Err(e) => {
                                    let why = first_line(&e.to_string());
                                    self.refused = Some((key.to_owned(), format!("{key}: {why}")));
                                    None
                                }
                            },
                        },
                        _ => None,
                    }
                }
            };
            self.refusal_ui(ui, key);
            if let Some(c) = got {
                change = Some(c);
            }
        }
        if let Some(c) = &change
            && self.pending.is_none()
        {
            self.pending = Some(match c {
                Change::Set(k, _) | Change::Remove(k) => k.clone(),
            });
        }
        change
    }

    /// A bilingual text: English and Spanish, each its own line; a change sets both.
    fn text_ui(&mut self, ui: &mut Ui, key: &str, value: Option<&Value>, lang: Lang) -> Option<Change> {
        let (en, es) = match value {
            Some(Value::InlineTable(t)) => (
                t.get("en").and_then(Value::as_str).unwrap_or("").to_owned(),
                t.get("es").and_then(Value::as_str).unwrap_or("").to_owned(),
            ),
            Some(Value::String(s)) => (s.value().clone(), s.value().clone()),
            _ => (String::new(), String::new()),
        };
        let mut out = None;
        let e = self.line_ui(ui, &format!("{key}.en"), Caption::Text(&format!("{key} EN")), || {
            en.clone()
        });
        let s = self.line_ui(ui, &format!("{key}.es"), Caption::Text(&format!("{key} ES")), || {
            es.clone()
        });
        let _ = lang;
        if e.as_ref().is_some_and(|t| *t != en) || s.as_ref().is_some_and(|t| *t != es) {
            let mut t = InlineTable::new();
            t.insert("en", e.unwrap_or(en).into());
            t.insert("es", s.unwrap_or(es).into());
            out = Some(Change::Set(key.to_owned(), Value::InlineTable(t)));
        }
        out
    }

    /// A symbol's inputs: one line each, named with the kind it expects, bound to a tag or a comparison.
    fn bind_ui(
        &mut self,
        ui: &mut Ui,
        table: &Table,
        value: Option<&Value>,
        set: &ScreenSet,
        tags: &TagDirectory,
        lang: Lang,
    ) -> Option<Change> {
        let sym_id = table.get("use").and_then(|i| i.as_str())?;
        let Some(sym) = set.symbols.iter().find(|s| &*s.id == sym_id) else {
            ui.label(RichText::new(lang.pick("unknown symbol", "símbolo desconocido")).color(theme::text_dim()));
            return None;
        };
        let bound = value.and_then(Value::as_inline_table);
        let mut out = None;
        for input in &sym.inputs {
            let kind = match input.kind {
                InputKind::Number => lang.pick("number", "número"),
                InputKind::State => lang.pick("state or comparison", "estado o comparación"),
            };
            let field = format!("bind.{}", input.name);
            let now = bound
                .and_then(|b| b.get(&input.name))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            let typed = self.line_ui(ui, &field, Caption::Text(&format!("{} ({kind})", input.name)), || {
                now.clone()
            });
            let found = self.tag_search_ui(ui, &field, tags, lang);
            if let Some(t) = found.or(typed).filter(|t| *t != now) {
                let mut b = bound.cloned().unwrap_or_default();
                b.insert(&*input.name, t.trim().into());
                self.pending = Some(field.clone());
                out = Some(Change::Set("bind".into(), Value::InlineTable(b)));
            }
            self.refusal_ui(ui, &field);
        }
        out
    }

    /// The tag search for `field`: a Find button, then the query and the tags it matches (the tag
    /// browser's search: every word in the name or either description). The tag picked comes back.
    fn tag_search_ui(&mut self, ui: &mut Ui, field: &str, tags: &TagDirectory, lang: Lang) -> Option<String> {
        let open = self.search.as_ref().is_some_and(|(f, _)| f == field);
        if !open {
            if ui
                .small_button(format!("{} {field}", lang.pick("Find tag for", "Buscar tag para")))
                .clicked()
            {
                self.search = Some((field.to_owned(), String::new()));
            }
            return None;
        }
        let mut picked = None;
        let mut close = false;
        if let Some((_, query)) = &mut self.search {
            ui.horizontal(|ui| {
                let l = ui.label(lang.pick("Search tags", "Buscar tags"));
                ui.add(egui::TextEdit::singleline(query).desired_width(160.0))
                    .labelled_by(l.id);
                close = ui.small_button("×").clicked();
            });
            let found = tag_browser::search(tags, query);
            for d in found.iter().take(12) {
                if ui
                    .selectable_label(false, format!("{} — {} [{}]", d.name, d.label.get(lang), d.unit))
                    .clicked()
                {
                    picked = Some(d.name.clone());
                }
            }
            if found.len() > 12 {
                ui.label(
                    RichText::new(format!("… {} {}", found.len() - 12, lang.pick("more", "más")))
                        .small()
                        .color(theme::text_dim()),
                );
            }
        }
        if close || picked.is_some() {
            self.search = None;
        }
        if picked.is_some() {
            self.typing.remove(field);
            self.pending = Some(field.to_owned());
        }
        picked
    }
}

/// A value as typed, without the spaces and comment around it in the file.
fn bare(v: &Value) -> String {
    let mut v = v.clone();
    v.decor_mut().clear();
    v.to_string()
}

fn first_line(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('|') && !l.starts_with("-->"))
        .unwrap_or(s)
        .to_owned()
}

/// A value picked from `options` (value, what the list says), shown as `none` while the field is unset.
/// With `none_removes`, `none` is itself a choice that takes the field out (a line's free end).
fn pick_ui(
    ui: &mut Ui,
    key: &str,
    head: egui::Id,
    value: Option<&Value>,
    options: impl Iterator<Item = (String, String)>,
    none: &str,
    none_removes: bool,
) -> Option<Change> {
    let now = value.and_then(Value::as_str).unwrap_or("").to_owned();
    let mut picked = now.clone();
    egui::ComboBox::from_id_salt(("inspector-pick", key))
        .selected_text(if now.is_empty() { none.to_owned() } else { now.clone() })
        .show_ui(ui, |ui| {
            if none_removes {
                ui.selectable_value(&mut picked, String::new(), none);
            }
            for (v, label) in options {
                ui.selectable_value(&mut picked, v, label);
            }
        })
        .response
        .labelled_by(head);
    match (picked == now, picked.is_empty()) {
        (true, _) => None,
        (false, true) => Some(Change::Remove(key.to_owned())),
        (false, false) => Some(Change::Set(key.to_owned(), picked.into())),
    }
}
