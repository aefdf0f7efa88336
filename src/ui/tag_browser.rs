//! The tag browser: search every tag by name or description and see value, unit, quality and age.
//! Virtualised rows, so 10,000 tags cost what the visible ones cost. Writable tags take a value through a
//! confirmation dialog; the write goes to the hub with the user, which checks the role and records it.

use super::alarm_symbol::{AlarmMarks, indicator_ui};
use super::keypad::{EntryOutcome, SetpointEntry, setpoint_dialog_ui};
use super::{readout, theme};
use crate::hub::Snapshot;
use crate::lang::{Lang, Locale};
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
    /// The console's language and units (set by the shell each frame).
    pub loc: Locale,
    entry: Option<SetpointEntry>,
}

/// What the operator asked for on the tag page.
#[derive(Debug, Clone, PartialEq)]
pub enum TagAction {
    Trend(TagId),
    /// Confirmed in the dialog; the hub checks the role and records it.
    Write(TagId, Value),
}

/// The typed text as a value for `def`, or what to enter instead. Numbers are typed in the console's
/// units and written in the tag's own; in Spanish a lone decimal comma is read as the point ("52,5").
pub fn parse_write(def: &crate::tag::TagDef, text: &str, loc: Locale) -> Result<Value, String> {
    let lang = loc.lang;
    let shown = loc.units.shown(&def.unit);
    let t = text.trim();
    let decimal = if lang == Lang::Es && !t.contains('.') && t.matches(',').count() == 1 {
        t.replace(',', ".")
    } else {
        t.to_owned()
    };
    let number = || decimal.parse::<f64>().ok().filter(|x| x.is_finite());
    let v = match def.kind {
        ValueKind::Bool => match t.to_lowercase().as_str() {
            "on" | "true" | "1" | "enc" | "sí" | "si" => Value::Bool(true),
            "off" | "false" | "0" | "apag" | "no" => Value::Bool(false),
            _ => return Err(lang.pick("ON or OFF", "ENC o APAG").into()),
        },
        ValueKind::I64 if shown.is_identity() => Value::I64(
            t.parse()
                .map_err(|_| lang.pick("a whole number", "un número entero").to_owned())?,
        ),
        ValueKind::I64 => {
            let x = number().ok_or_else(|| lang.pick("a number", "un número").to_owned())?;
            Value::I64(shown.kept(x).round() as i64)
        }
        ValueKind::F64 => {
            let x = number().ok_or_else(|| lang.pick("a number", "un número").to_owned())?;
            Value::F64(shown.kept(x))
        }
        ValueKind::String => Value::str(t),
    };
    if let (Some((lo, hi)), Some(x)) = (def.range, v.as_f64())
        && matches!(def.kind, ValueKind::F64 | ValueKind::I64)
        // A typed limit converted back may miss by the last bit: judge with a tolerance of that size.
        && !(lo - 1e-9 * lo.abs().max(1.0)..=hi + 1e-9 * hi.abs().max(1.0)).contains(&x)
    {
        let (a, b) = (shown.bound(lo, def.decimals), shown.bound(hi, def.decimals));
        return Err(match lang {
            Lang::En => format!("a value within the range {a} to {b} {}", shown.unit),
            Lang::Es => format!("un valor dentro del rango {a} a {b} {}", shown.unit),
        });
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
                let hay = format!("{} {} {}", d.name, d.description, d.description_es).to_lowercase();
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
    let loc = state.loc;
    let lang = loc.lang;
    ui.horizontal(|ui| {
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
        if let Some(n) = notice {
            ui.separator();
            ui.label(RichText::new(n).color(theme::text_dim()));
        }
    });
    let rows = state.matches(snap);
    let of = lang.pick("of", "de");
    ui.label(RichText::new(format!("{} {of} {} tags", rows.len(), snap.directory.len())).color(theme::text_dim()));
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
                    let b = ui
                        .small_button(lang.pick("+ Trend", "+ Tendencia"))
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
    if let Some(w) = write_dialog_ui(ui.ctx(), state, snap) {
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

fn write_dialog_ui(ctx: &egui::Context, state: &mut TagBrowserState, snap: &Snapshot) -> Option<TagAction> {
    let (id, mut text) = state.write.take()?;
    let def = snap.directory.get(id)?;
    let loc = state.loc;
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
        let parsed = parse_write(def, &text, loc);
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
    use crate::tag::{DriverId, TagDef};
    use crate::units::UnitSystem;

    fn tag(unit: &str, range: (f64, f64)) -> TagDef {
        TagDef {
            id: TagId(0),
            name: "sep01/pressure_setpoint".into(),
            description: String::new(),
            description_es: String::new(),
            unit: unit.into(),
            kind: ValueKind::F64,
            range: Some(range),
            decimals: 0,
            driver: DriverId(0),
            address: String::new(),
            stale_after: std::time::Duration::from_secs(2),
            writable: true,
            history: crate::historian::HistoryMode::default(),
        }
    }

    fn si(lang: Lang) -> Locale {
        Locale {
            lang,
            units: UnitSystem::Si,
        }
    }

    #[test]
    fn a_number_typed_in_si_is_written_in_the_tags_own_unit() {
        let def = tag("psi", (0.0, 1500.0));
        let Ok(Value::F64(psi)) = parse_write(&def, "689.4757", si(Lang::En)) else {
            panic!("a number");
        };
        assert!((psi - 100.0).abs() < 1e-5, "{psi}");
        // The range is judged in psi and explained in kPa.
        let why = parse_write(&def, "12000", si(Lang::En)).unwrap_err();
        assert_eq!(why, "a value within the range 0 to 10342 kPa");
        let why = parse_write(&def, "12000", si(Lang::Es)).unwrap_err();
        assert_eq!(why, "un valor dentro del rango 0 a 10342 kPa");
        // The top of the range typed as shown is still inside it.
        assert!(parse_write(&def, &format!("{}", 1500.0 * 6.894_757_293_168), si(Lang::En)).is_ok());
        // On an oilfield console nothing is converted.
        assert_eq!(parse_write(&def, "100", Locale::default()), Ok(Value::F64(100.0)));
    }

    #[test]
    fn spanish_takes_a_decimal_comma_and_english_refuses_it() {
        let def = tag("Hz", (35.0, 70.0));
        let es = Locale {
            lang: Lang::Es,
            units: UnitSystem::Oilfield,
        };
        assert_eq!(parse_write(&def, "52,5", es), Ok(Value::F64(52.5)));
        assert_eq!(parse_write(&def, "52,5", Locale::default()), Err("a number".into()));
        // 1,500 is ambiguous with a point too: refused rather than guessed.
        assert_eq!(parse_write(&def, "1,500.5", es), Err("un número".into()));
        let mut b = def.clone();
        b.kind = ValueKind::Bool;
        assert_eq!(parse_write(&b, "enc", es), Ok(Value::Bool(true)));
        assert_eq!(parse_write(&b, "x", es), Err("ENC o APAG".into()));
    }
}
