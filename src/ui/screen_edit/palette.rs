//! The editor's palette: every element kind and every symbol of the library (with its preview), and the
//! table a new one starts as where it is dropped — bound to tags of the right kind so it loads at once
//! (the engineer rebinds it in the inspector).
//!
//! Draws the list and builds tables; inserting them is the editor's.

use crate::editor::doc::{ElementKind, number, point_value, points_value};
use crate::lang::Lang;
use crate::screen::def::{InputKind, Pt, Screen, ScreenSet};
use crate::tag::{TagDirectory, ValueKind};
use crate::ui::screen_view::symbol_preview;
use crate::ui::theme;
use egui::{Sense, Ui, vec2};
use std::sync::Arc;
use toml_edit::{InlineTable, Item, Table, Value};

/// What the palette offers.
#[derive(Debug, Clone, PartialEq)]
pub enum PaletteItem {
    Kind(ElementKind),
    Symbol(Arc<str>),
}

/// The element kinds the palette offers, with their names in both languages.
const KINDS: [(ElementKind, &str, &str); 15] = [
    (ElementKind::Value, "Value", "Valor"),
    (ElementKind::Setpoint, "Setpoint", "Consigna"),
    (ElementKind::Bar, "Bar", "Barra"),
    (ElementKind::Gauge, "Gauge", "Manómetro"),
    (ElementKind::Trend, "Trend", "Tendencia"),
    (ElementKind::Tile, "Tile", "Mosaico"),
    (ElementKind::Line, "Line", "Línea"),
    (ElementKind::Rect, "Box", "Recuadro"),
    (ElementKind::Text, "Text", "Texto"),
    (ElementKind::Label, "Label", "Etiqueta"),
    (ElementKind::Nav, "Link to a screen", "Enlace a pantalla"),
    (ElementKind::Command, "Command button", "Botón de comando"),
    (ElementKind::Drivers, "Drivers", "Drivers"),
    (ElementKind::Group, "Group", "Grupo"),
    (ElementKind::Symbol, "Symbol", "Símbolo"),
];

pub fn kind_name(kind: ElementKind, lang: Lang) -> &'static str {
    KINDS
        .iter()
        .find(|(k, ..)| *k == kind)
        .map_or(kind.key(), |(_, en, es)| lang.pick(en, es))
}

/// Draws the palette; an item the engineer starts dragging (or clicks) comes back, with whether it was
/// a click (insert in the middle of the view) or a drag (insert where it is dropped).
pub fn palette_ui(ui: &mut Ui, set: &ScreenSet, lang: Lang, enabled: bool) -> Option<(PaletteItem, bool)> {
    let mut out = None;
    ui.label(egui::RichText::new(lang.pick("Palette", "Paleta")).strong());
    ui.label(
        egui::RichText::new(lang.pick(
            "Drag onto the screen, or click to add in the middle",
            "Arrastre a la pantalla, o haga clic para agregar al centro",
        ))
        .small()
        .color(theme::text_dim()),
    );
    egui::ScrollArea::vertical().id_salt("editor-palette").show(ui, |ui| {
        ui.add_enabled_ui(enabled, |ui| {
            for (kind, en, es) in KINDS {
                if kind == ElementKind::Symbol {
                    continue;
                }
                let r = ui.add(
                    egui::Button::new(lang.pick(en, es))
                        .wrap_mode(egui::TextWrapMode::Truncate)
                        .sense(Sense::click_and_drag()),
                );
                if r.drag_started() {
                    out = Some((PaletteItem::Kind(kind), false));
                } else if r.clicked() {
                    out = Some((PaletteItem::Kind(kind), true));
                }
            }
            ui.separator();
            ui.label(egui::RichText::new(lang.pick("Symbols", "Símbolos")).strong());
            for sym in &set.symbols {
                let name = sym.name.get(lang);
                let r = ui
                    .horizontal(|ui| {
                        let (rect, _) = ui.allocate_exact_size(vec2(44.0, 36.0), Sense::hover());
                        ui.painter().rect_filled(rect, 2.0, theme::background());
                        symbol_preview(&ui.painter_at(rect), rect.shrink(2.0), sym, lang);
                        ui.add(
                            egui::Button::new(name)
                                .wrap_mode(egui::TextWrapMode::Truncate)
                                .sense(Sense::click_and_drag()),
                        )
                    })
                    .inner
                    .on_hover_text(format!("{} ({})", name, sym.id));
                if r.drag_started() {
                    out = Some((PaletteItem::Symbol(sym.id.clone()), false));
                } else if r.clicked() {
                    out = Some((PaletteItem::Symbol(sym.id.clone()), true));
                }
            }
        });
    });
    out
}

fn text(en: &str, es: &str) -> Value {
    let mut t = InlineTable::new();
    t.insert("en", en.into());
    t.insert("es", es.into());
    Value::InlineTable(t)
}

/// Picks tags for a new element: the screen's own device first (`ct01/…` on `ct01`), then any.
struct Tags<'a> {
    dir: &'a TagDirectory,
    prefix: String,
}

impl Tags<'_> {
    fn find(&self, ok: impl Fn(&crate::tag::TagDef) -> bool) -> Option<String> {
        let mut all = self.dir.iter().filter(|d| ok(d));
        let first = all.next()?;
        let mine = std::iter::once(first)
            .chain(all)
            .find(|d| d.name.starts_with(&self.prefix))
            .unwrap_or(first);
        Some(mine.name.clone())
    }

    fn number(&self) -> Option<String> {
        self.find(|d| matches!(d.kind, ValueKind::F64 | ValueKind::I64))
    }

    fn writable_number(&self) -> Option<String> {
        self.find(|d| d.writable && matches!(d.kind, ValueKind::F64 | ValueKind::I64))
    }

    fn writable_state(&self) -> Option<String> {
        self.find(|d| d.writable && d.kind == ValueKind::Bool)
    }

    fn state(&self) -> Option<String> {
        self.find(|d| d.kind == ValueKind::Bool).or_else(|| self.number())
    }
}

/// The table a new `item` starts as, placed at `at` on `screen`, or why there is none (no tag of the
/// kind it needs).
pub fn new_element(
    item: &PaletteItem,
    at: Pt,
    screen: &Screen,
    set: &ScreenSet,
    dir: &TagDirectory,
    lang: Lang,
) -> Result<(ElementKind, Table), String> {
    let tags = Tags {
        dir,
        prefix: format!("{}/", screen.id.split('-').next().unwrap_or(&screen.id)),
    };
    let no_tag = |what: &str| match lang {
        Lang::Es => format!("ningún tag del sitio sirve para un nuevo {what}"),
        _ => format!("no tag on this site fits a new {what}"),
    };
    let (kind, size, sym) = match item {
        PaletteItem::Kind(k) => (*k, default_size(*k), None),
        PaletteItem::Symbol(id) => {
            let sym = set
                .symbols
                .iter()
                .find(|s| &s.id == id)
                .ok_or_else(|| format!("no symbol '{id}'"))?;
            (ElementKind::Symbol, sym.size, Some(sym))
        }
    };
    // Inside the canvas, whole units.
    let at = Pt::new(
        at.x.clamp(0.0, (screen.canvas.x - size.x).max(0.0)).round(),
        at.y.clamp(0.0, (screen.canvas.y - size.y).max(0.0)).round(),
    );
    let mut t = Table::new();
    let mut put = |k: &str, v: Value| {
        t.insert(k, Item::Value(v));
    };
    match kind {
        ElementKind::Value | ElementKind::Bar | ElementKind::Gauge | ElementKind::Trend => {
            let tag = tags.number().ok_or_else(|| no_tag(kind.key()))?;
            if kind == ElementKind::Trend {
                let mut a = toml_edit::Array::new();
                a.push(tag);
                put("tags", Value::Array(a));
            } else {
                put("tag", tag.into());
            }
        }
        ElementKind::Setpoint => put("tag", tags.writable_number().ok_or_else(|| no_tag("setpoint"))?.into()),
        ElementKind::Command => {
            put("tag", tags.writable_state().ok_or_else(|| no_tag("command"))?.into());
            put("toggle", true.into());
            put("label", text("Start / stop", "Arrancar / parar"));
            put("confirm", text("Change the state?", "¿Cambiar el estado?"));
        }
        ElementKind::Tile => put("title", text("Well", "Pozo")),
        ElementKind::Nav => {
            let to = screen
                .parent
                .clone()
                .or_else(|| set.screens.iter().find(|s| s.id != screen.id).map(|s| s.id.clone()))
                .unwrap_or_else(|| screen.id.clone());
            put("to", to.to_string().into());
        }
        ElementKind::Label => put("text", text("Label", "Etiqueta")),
        ElementKind::Text => put("text", text("Note", "Nota")),
        ElementKind::Group => put("title", text("Group", "Grupo")),
        ElementKind::Symbol => {
            let Some(sym) = sym else {
                return Err("pick a symbol from the list below".into());
            };
            put("use", sym.id.to_string().into());
            let mut bind = InlineTable::new();
            for input in &sym.inputs {
                let tag = match input.kind {
                    InputKind::Number => tags.number(),
                    InputKind::State => tags.state(),
                }
                .ok_or_else(|| no_tag(&sym.id))?;
                bind.insert(&*input.name, tag.into());
            }
            if !bind.is_empty() {
                put("bind", Value::InlineTable(bind));
            }
        }
        ElementKind::Rect | ElementKind::Line | ElementKind::Drivers => {}
    }
    match kind {
        ElementKind::Line => put("points", points_value(&[at, at + Pt::new(120.0, 0.0)])),
        _ => put("at", point_value(at)),
    }
    match kind {
        ElementKind::Gauge => put("diameter", number(size.x)),
        ElementKind::Bar
        | ElementKind::Trend
        | ElementKind::Tile
        | ElementKind::Nav
        | ElementKind::Command
        | ElementKind::Rect
        | ElementKind::Drivers
        | ElementKind::Group => put("size", point_value(size)),
        _ => {}
    }
    Ok((kind, t))
}

/// The size a new element of `kind` starts with (canvas units).
fn default_size(kind: ElementKind) -> Pt {
    match kind {
        ElementKind::Bar => Pt::new(40.0, 160.0),
        ElementKind::Gauge => Pt::new(160.0, 160.0),
        ElementKind::Trend => Pt::new(400.0, 200.0),
        ElementKind::Tile => Pt::new(300.0, 180.0),
        ElementKind::Nav => Pt::new(160.0, 40.0),
        ElementKind::Command => Pt::new(180.0, 44.0),
        ElementKind::Rect => Pt::new(200.0, 120.0),
        ElementKind::Drivers => Pt::new(600.0, 200.0),
        ElementKind::Group => Pt::new(300.0, 200.0),
        ElementKind::Line => Pt::new(120.0, 4.0),
        ElementKind::Value | ElementKind::Setpoint => Pt::new(220.0, 24.0),
        _ => Pt::new(120.0, 24.0),
    }
}
