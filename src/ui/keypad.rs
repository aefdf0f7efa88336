//! Setpoint entry: an on-screen numeric keypad (a cab panel has no keyboard, and the operator wears
//! gloves), then a confirmation naming the value, the unit and the tag. The typed text is checked against
//! the tag's type and range before the confirmation is offered; nothing is sent from here: the caller
//! gets the value and sends it as the user's write.

use super::theme;
use crate::hub::Snapshot;
use crate::locale::Locale;
use crate::tag::{TagId, Value};
use egui::{RichText, Ui};

/// An entry in progress.
#[derive(Debug, Clone, PartialEq)]
pub struct SetpointEntry {
    pub tag: TagId,
    /// The label the screen gives it (or the tag's name).
    pub label: String,
    pub text: String,
    /// Why the typed text was refused.
    pub error: Option<String>,
    /// Checked and waiting for the operator's confirmation.
    pub confirm: Option<Value>,
    /// The dialog's height while typing, kept for the confirmation so the dialog never changes size.
    height: f32,
}

impl SetpointEntry {
    pub fn new(tag: TagId, label: String) -> Self {
        Self {
            tag,
            label,
            text: String::new(),
            error: None,
            confirm: None,
            height: 0.0,
        }
    }
}

pub enum EntryOutcome {
    Open,
    Cancelled,
    /// Confirmed: write this.
    Write(TagId, Value),
}

/// The keys, row by row: digits, sign and decimal mark (shown as the locale's: "," in Spanish).
const KEYS: [[&str; 3]; 4] = [["7", "8", "9"], ["4", "5", "6"], ["1", "2", "3"], ["-", "0", "."]];

/// The entry dialog: what is being set and its range, the typed value, the keypad, then the confirmation.
/// `key` is the keys' size in points (≥ 15 mm in touch mode).
pub fn setpoint_dialog_ui(
    ctx: &egui::Context,
    entry: &mut SetpointEntry,
    snap: &Snapshot,
    loc: Locale,
    key: f32,
) -> EntryOutcome {
    let lang = loc.lang;
    let Some(def) = snap.directory.get(entry.tag) else {
        return EntryOutcome::Cancelled;
    };
    let mut out = EntryOutcome::Open;
    egui::Modal::new(egui::Id::unique("setpoint-entry")).show(ctx, |ui| {
        // One size from the first frame to the last: the keys, the message slot and the confirmation all
        // have their places, so nothing moves under the operator's finger (a dialog that re-centres after
        // the first key sends the second one elsewhere).
        let sp = ui.spacing().item_spacing.x;
        let words = [
            lang.pick("Del", "Borrar"),
            lang.pick("Clear", "Limpiar"),
            lang.pick("Cancel", "Cancelar"),
            lang.pick("Confirm", "Confirmar"),
            lang.pick("Back", "Volver"),
        ];
        let col = words
            .iter()
            .map(|w| word_width(ui, w) + 2.0 * ui.spacing().button_padding.x)
            .fold(key, f32::max);
        let width = (3.0 * col + 2.0 * sp).max(320.0);
        let col = (width - 2.0 * sp) / 3.0;
        ui.set_width(width);
        if entry.height > 0.0 {
            ui.set_min_height(entry.height);
        }
        ui.heading(&entry.label);
        ui.label(RichText::new(&def.name).monospace().color(theme::text_dim()));
        let now = snap.get(entry.tag).map_or_else(
            || "----".to_owned(),
            |s| with_mark(&super::readout::value_text(def, s, loc), loc),
        );
        ui.label(format!("{}: {now}", lang.pick("Now", "Actual")));
        let shown = loc.units.shown(&def.unit);
        if let Some((lo, hi)) = def.range {
            let (lo, hi) = (
                with_mark(&shown.bound(lo, def.decimals), loc),
                with_mark(&shown.bound(hi, def.decimals), loc),
            );
            ui.label(
                RichText::new(format!("{} {lo} – {hi} {}", lang.pick("Range", "Rango"), shown.unit))
                    .color(theme::text_dim()),
            );
        }
        ui.add_space(6.0);
        if let Some(v) = entry.confirm.clone() {
            ui.label(
                RichText::new(format!(
                    "{} {} {} {}?",
                    lang.pick("Write", "¿Escribir"),
                    with_mark(&loc.value_text(&def.unit, Some(&v), def.decimals), loc),
                    lang.pick("to", "en"),
                    def.name
                ))
                .strong(),
            );
            ui.add_space(8.0);
            ui.horizontal(|ui| {
                if big_button(ui, lang.pick("Confirm", "Confirmar"), col).clicked() {
                    out = EntryOutcome::Write(entry.tag, v.clone());
                }
                if big_button(ui, lang.pick("Back", "Volver"), col).clicked() {
                    entry.confirm = None;
                }
            });
            return;
        }
        let typed = if entry.text.is_empty() {
            " "
        } else {
            entry.text.as_str()
        };
        egui::Frame::default()
            .fill(theme::input_bg())
            .stroke(egui::Stroke::new(1.0, theme::tile_stroke()))
            .inner_margin(8.0)
            .show(ui, |ui| {
                ui.set_width(width - 16.0);
                ui.label(
                    RichText::new(format!("{typed} {}", shown.unit))
                        .monospace()
                        .size(theme::TEXT_HEADING * 1.4),
                );
            });
        // The message slot: two lines high whether or not there is a message.
        let line = ui.text_style_height(&egui::TextStyle::Body);
        ui.allocate_ui_with_layout(
            egui::vec2(width, 2.0 * line + 4.0),
            egui::Layout::top_down(egui::Align::Min),
            |ui| {
                ui.set_min_size(egui::vec2(width, 2.0 * line + 4.0));
                if let Some(e) = &entry.error {
                    ui.label(RichText::new(e).color(theme::QUALITY_BAD));
                }
            },
        );
        let (key, changed) = keys_ui(ui, &mut entry.text, loc, col, width);
        if changed {
            entry.error = None;
        }
        if key == PadKey::Cancel {
            out = EntryOutcome::Cancelled;
        }
        if key == PadKey::Enter {
            match loc.parse_write(def, &entry.text) {
                Ok(v) => entry.confirm = Some(v),
                Err(why) => entry.error = Some(format!("{} {}", lang.pick("Enter", "Ingrese"), with_mark(&why, loc))),
            }
        }
        entry.height = entry.height.max(ui.min_rect().height());
    });
    out
}

fn word_width(ui: &Ui, text: &str) -> f32 {
    ui.painter()
        .layout_no_wrap(
            text.to_owned(),
            egui::FontId::proportional(theme::TEXT_HEADING),
            theme::text(),
        )
        .size()
        .x
}

/// What a number pad's Cancel and Enter keys did this frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PadKey {
    None,
    Cancel,
    Enter,
}

/// A number pad's keys under what is typed: digits, the sign, the locale's decimal mark, Del, Clear and
/// Cancel (each `col` wide), then Enter (`width`). Edits `text`; says which of Cancel and Enter was pressed,
/// and whether `text` changed. The setpoint dialog and the job forms' number fields share it.
pub fn keys_ui(ui: &mut Ui, text: &mut String, loc: Locale, col: f32, width: f32) -> (PadKey, bool) {
    let lang = loc.lang;
    let before = text.clone();
    let mut key = PadKey::None;
    let mark = loc.decimal_mark().to_string();
    for row in KEYS {
        ui.horizontal(|ui| {
            for k in row {
                let k = if k == "." { mark.as_str() } else { k };
                if big_button(ui, k, col).clicked() {
                    press(text, k);
                }
            }
        });
    }
    ui.horizontal(|ui| {
        if big_button(ui, lang.pick("Del", "Borrar"), col).clicked() {
            text.pop();
        }
        if big_button(ui, lang.pick("Clear", "Limpiar"), col).clicked() {
            text.clear();
        }
        if big_button(ui, lang.pick("Cancel", "Cancelar"), col).clicked() {
            key = PadKey::Cancel;
        }
    });
    if big_button(ui, lang.pick("Enter", "Aceptar"), width).clicked() {
        key = PadKey::Enter;
    }
    let changed = *text != before;
    (key, changed)
}

fn press(text: &mut String, k: &str) {
    match k {
        // The sign goes in front, and toggles.
        "-" => match text.strip_prefix('-') {
            Some(rest) => *text = rest.to_owned(),
            None => text.insert(0, '-'),
        },
        // One decimal mark, whichever was typed: parse_write reads "52,5" in Spanish and "52.5" always.
        "." | "," if text.contains(['.', ',']) => {}
        _ if text.len() < 16 => text.push_str(k),
        _ => {}
    }
}

/// Numbers in `text` written with the locale's decimal mark ("52,5 Hz" in Spanish): only a point between
/// two digits is one.
fn with_mark(text: &str, loc: Locale) -> String {
    let chars: Vec<char> = text.chars().collect();
    let digit = |i: Option<usize>| i.and_then(|i| chars.get(i)).is_some_and(char::is_ascii_digit);
    (0..chars.len())
        .map(|i| match chars[i] {
            '.' if digit(i.checked_sub(1)) && digit(Some(i + 1)) => loc.decimal_mark(),
            c => c,
        })
        .collect()
}

/// A key at least `width` wide, wider where its word needs it ("Cancelar"): a key's word never wraps.
fn big_button(ui: &mut Ui, text: &str, width: f32) -> egui::Response {
    let height = ui.spacing().interact_size.y.max(width.min(64.0) * 0.8);
    let width = width.max(word_width(ui, text) + 2.0 * ui.spacing().button_padding.x);
    ui.add_sized(
        [width, height],
        egui::Button::new(RichText::new(text).size(theme::TEXT_HEADING)).wrap_mode(egui::TextWrapMode::Extend),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_build_a_number_with_one_point_and_a_leading_sign() {
        let mut e = SetpointEntry::new(TagId(0), "x".into());
        for k in ["5", ".", "2", ".", "5", "-"] {
            press(&mut e.text, k);
        }
        assert_eq!(e.text, "-5.25");
        press(&mut e.text, "-");
        assert_eq!(e.text, "5.25");
    }

    #[test]
    fn a_spanish_keypad_types_one_decimal_comma() {
        let mut e = SetpointEntry::new(TagId(0), "x".into());
        for k in ["5", "2", ",", "5", ",", "."] {
            press(&mut e.text, k);
        }
        assert_eq!(e.text, "52,5");
    }

    #[test]
    fn values_on_the_keypad_use_the_locale_decimal_mark() {
        let es = Locale {
            lang: crate::lang::Lang::Es,
            ..Locale::default()
        };
        assert_eq!(with_mark("52.5 Hz", es), "52,5 Hz");
        assert_eq!(with_mark("-0.25 a 1.5 ft.lbf.", es), "-0,25 a 1,5 ft.lbf.");
        assert_eq!(with_mark("52.5 Hz", Locale::default()), "52.5 Hz");
    }
}
