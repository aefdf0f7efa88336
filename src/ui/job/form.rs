//! What people type on the Job page: a job's fields (the New job form and the detail's editable fields,
//! one form for both), numbers in the console's units (a text field with a keyboard; on a cab panel a
//! button that opens a number pad, since the cab has no keyboard and the crew wears gloves), and times in
//! local wall-clock time ("2026-03-14 08:30", or "08:30" on a given day).
//!
//! Everything is kept as typed text until it is sent, so a half-typed value is never lost or rounded, and
//! read back here into the job model's kept units (ft, lbf, psi, bbl, hours, microseconds). Sends nothing.

use crate::job::model::{JobFields, JobType};
use crate::lang::Lang;
use crate::locale::Locale;
use crate::tag::Timestamp;
use crate::ui::theme;
use egui::{RichText, Ui};

/// How a form is drawn: language and units, touch mode, and the console's clock (the Now buttons).
#[derive(Debug, Clone, Copy)]
pub struct FormCx {
    pub loc: Locale,
    pub touch: bool,
    pub now: Timestamp,
}

/// A number as typed: its field's name, the unit it is kept in (shown in the console's), and its row in
/// a table (each field's number pad is its own).
pub struct Num<'a> {
    pub title: &'a str,
    pub unit: &'a str,
    pub row: usize,
}

/// A number typed in `loc`'s language: in Spanish a lone decimal comma is the point ("12,5"); a thousands
/// separator is not a number, so a depth is never read a thousand times short.
pub fn parse_number(text: &str, lang: Lang) -> Option<f64> {
    let t = text.trim();
    let decimal = if lang == Lang::Es && !t.contains('.') && t.matches(',').count() == 1 {
        t.replace(',', ".")
    } else {
        t.to_owned()
    };
    decimal.parse::<f64>().ok().filter(|x| x.is_finite())
}

/// An optional number typed in the console's units, kept in `unit`: empty is none; anything else that is
/// not a number is said, naming the field.
pub fn typed(text: &str, loc: Locale, unit: &str, what: &str) -> Result<Option<f64>, String> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    match parse_number(text, loc.lang) {
        Some(x) => Ok(Some(loc.units.shown(unit).kept(x))),
        None => Err(format!("{what}: {}", loc.lang.pick("not a number", "no es un número"))),
    }
}

/// A number that must be given.
pub fn required(text: &str, loc: Locale, unit: &str, what: &str) -> Result<f64, String> {
    typed(text, loc, unit, what)?.ok_or_else(|| format!("{what}: {}", loc.lang.pick("required", "obligatorio")))
}

/// A kept value as the text of a field, in the console's units (empty for none): at most three decimals,
/// without trailing zeros.
pub fn field_text(v: Option<f64>, loc: Locale, unit: &str) -> String {
    v.filter(|x| x.is_finite()).map_or_else(String::new, |x| {
        let shown = (loc.units.shown(unit).value(x) * 1000.0).round() / 1000.0;
        let text = format!("{shown}");
        // A small negative rounded to nothing is written as nothing, not "-0".
        if text == "-0" { "0".to_owned() } else { text }
    })
}

/// A number typed under `from` as it reads under `to` (the console switched its language or units while
/// it was being typed); left as typed when it is not a number.
pub fn retyped(text: &str, from: Locale, to: Locale, unit: &str) -> String {
    match parse_number(text, from.lang) {
        Some(x) => field_text(Some(from.units.shown(unit).kept(x)), to, unit),
        None => text.to_owned(),
    }
}

/// A kept value in the console's units without its unit (tables with the unit in the heading); "----"
/// for none.
pub fn num(loc: Locale, unit: &str, v: Option<f64>, decimals: usize) -> String {
    match v {
        Some(x) if x.is_finite() => {
            let s = loc.units.shown(unit);
            format!("{:.d$}", s.value(x), d = s.decimals(decimals))
        }
        _ => "----".to_owned(),
    }
}

/// The same with its unit: "14000 ft", "4267.2 m" (a bare number for a unitless value).
pub fn qty(loc: Locale, unit: &str, v: Option<f64>, decimals: usize) -> String {
    let shown = loc.units.shown(unit).unit;
    match v {
        Some(x) if x.is_finite() && shown.is_empty() => num(loc, unit, v, decimals),
        Some(x) if x.is_finite() => format!("{} {shown}", num(loc, unit, v, decimals)),
        _ => "----".to_owned(),
    }
}

/// The unit a kept unit is shown in on this console ("ft" → "m" in SI).
pub fn unit(loc: Locale, kept: &'static str) -> &'static str {
    loc.units.shown(kept).unit
}

/// A length of time as operators write it: "1:05:09".
pub fn duration_text(secs: f64) -> String {
    let s = if secs.is_finite() {
        secs.max(0.0).round() as i64
    } else {
        0
    };
    format!("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
}

/// A time as the forms show and read it: local date and time to the minute.
pub fn local_text(t: Timestamp) -> String {
    local(t).map_or_else(|| "----".to_owned(), |d| d.format("%Y-%m-%d %H:%M").to_string())
}

/// Local time of day to the minute: "14:32".
pub fn local_hm(t: Timestamp) -> String {
    local(t).map_or_else(|| "--:--".to_owned(), |d| d.format("%H:%M").to_string())
}

fn local(t: Timestamp) -> Option<chrono::DateTime<chrono::Local>> {
    chrono::DateTime::from_timestamp_micros(t.0).map(|d| d.with_timezone(&chrono::Local))
}

/// A local time typed as "YYYY-MM-DD HH:MM[:SS]", or "HH:MM[:SS]" on `day_of`'s local day.
pub fn parse_local(text: &str, day_of: Option<Timestamp>) -> Option<Timestamp> {
    let t = text.trim();
    for fmt in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(n) = chrono::NaiveDateTime::parse_from_str(t, fmt) {
            return from_local(n);
        }
    }
    let day = local(day_of?)?.date_naive();
    for fmt in ["%H:%M:%S", "%H:%M"] {
        if let Ok(time) = chrono::NaiveTime::parse_from_str(t, fmt) {
            return from_local(day.and_time(time));
        }
    }
    None
}

fn from_local(n: chrono::NaiveDateTime) -> Option<Timestamp> {
    // A local time the clocks skipped or repeated (daylight saving) is read as its first instant.
    n.and_local_timezone(chrono::Local)
        .earliest()
        .map(|d| Timestamp(d.timestamp_micros()))
}

/// The instant an operation running from `start` to `end` is split at, typed as a time of day (the next
/// day's, for an operation that ran past midnight) or a full date and time; `None` unless strictly inside.
pub fn split_time(text: &str, start: Timestamp, end: Timestamp) -> Option<Timestamp> {
    let mut at = parse_local(text, Some(start))?;
    if at <= start {
        at = Timestamp(at.0.saturating_add(86_400_000_000));
    }
    (at > start && at < end).then_some(at)
}

/// A time field with a Now button that fills in the console's clock.
pub fn time_ui(ui: &mut Ui, text: &mut String, cx: FormCx) -> egui::Response {
    let lang = cx.loc.lang;
    let hint = lang.pick("YYYY-MM-DD HH:MM", "AAAA-MM-DD HH:MM");
    let r = ui.add(egui::TextEdit::singleline(text).hint_text(hint).desired_width(150.0));
    if ui.small_button(lang.pick("Now", "Ahora")).clicked() {
        *text = local_text(cx.now);
    }
    r
}

/// A number in the console's units: a text field and its unit with a keyboard; in touch mode a button
/// showing the value, which opens the number pad (the pad's typed text lives in egui's memory under the
/// field's id until Enter or Cancel). Its response is marked changed when a value was entered.
pub fn number_ui(ui: &mut Ui, text: &mut String, n: &Num<'_>, cx: FormCx) -> egui::Response {
    let shown_unit = cx.loc.units.shown(n.unit).unit;
    if !cx.touch {
        let r = ui
            .add(egui::TextEdit::singleline(text).desired_width(90.0))
            .on_hover_text(n.title);
        ui.label(RichText::new(shown_unit).color(theme::text_dim()));
        return r;
    }
    let id = ui.make_persistent_id(("job_number_pad", n.title, n.row));
    let shown = if text.trim().is_empty() {
        "—".to_owned()
    } else {
        format!("{text} {shown_unit}")
    };
    let mut r = ui.add(egui::Button::new(RichText::new(shown).monospace()).min_size(egui::vec2(120.0, 0.0)));
    let title = n.title.to_owned();
    r.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &title));
    if r.clicked() {
        ui.ctx().data_mut(|d| d.insert_temp(id, text.clone()));
    }
    let Some(mut typed) = ui.ctx().data(|d| d.get_temp::<String>(id)) else {
        return r;
    };
    match pad_ui(ui.ctx(), &mut typed, n.title, shown_unit, cx.loc) {
        Pad::Open => {
            ui.ctx().data_mut(|d| d.insert_temp(id, typed));
        }
        Pad::Cancel => {
            ui.ctx().data_mut(|d| d.remove::<String>(id));
        }
        Pad::Enter => {
            if *text != typed {
                *text = typed;
                r.mark_changed();
            }
            ui.ctx().data_mut(|d| d.remove::<String>(id));
        }
    }
    r
}

enum Pad {
    Open,
    Cancel,
    Enter,
}

/// The number pad over the page: what is typed, the keys, Delete, Clear, Cancel and Enter, every key a
/// gloved finger's size. What is typed is checked when the form is sent, where the field is named.
fn pad_ui(ctx: &egui::Context, typed: &mut String, title: &str, unit: &str, loc: Locale) -> Pad {
    let mut out = Pad::Open;
    let key = theme::TOUCH_TARGET * 1.4;
    egui::Modal::new(egui::Id::unique(("job_number_pad_modal", title))).show(ctx, |ui| {
        let sp = ui.spacing().item_spacing.x;
        let width = 3.0 * key + 2.0 * sp;
        ui.set_width(width);
        ui.heading(title);
        egui::Frame::default()
            .fill(theme::input_bg())
            .stroke(egui::Stroke::new(1.0, theme::tile_stroke()))
            .inner_margin(8.0)
            .show(ui, |ui| {
                ui.set_width(width - 16.0);
                let shown = if typed.is_empty() { " " } else { typed.as_str() };
                ui.label(
                    RichText::new(format!("{shown} {unit}"))
                        .monospace()
                        .size(theme::TEXT_HEADING * 1.4),
                );
            });
        match crate::ui::keypad::keys_ui(ui, typed, loc, key, width).0 {
            crate::ui::keypad::PadKey::Cancel => out = Pad::Cancel,
            crate::ui::keypad::PadKey::Enter => out = Pad::Enter,
            crate::ui::keypad::PadKey::None => {}
        }
    });
    out
}

/// A job's fields as typed: numbers and times as text (in the console's units and local time).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FieldsDraft {
    pub job_type: Option<JobType>,
    pub well: String,
    pub field: String,
    pub unit: String,
    pub reel: String,
    pub planned_start: String,
    pub planned_end: String,
    pub supervisor: String,
    pub operator: String,
    pub client: String,
    pub client_rep: String,
    pub objective: String,
    pub well_depth: String,
    pub target_depth: String,
    pub estimated_hours: String,
    pub description: String,
    pub notes: String,
}

impl FieldsDraft {
    /// The fields as this console shows them.
    pub fn of(f: &JobFields, loc: Locale) -> Self {
        Self {
            job_type: f.job_type,
            well: f.well.clone(),
            field: f.field.clone(),
            unit: f.unit.clone(),
            reel: f.reel.clone(),
            planned_start: f.planned_start.map(local_text).unwrap_or_default(),
            planned_end: f.planned_end.map(local_text).unwrap_or_default(),
            supervisor: f.supervisor.clone(),
            operator: f.operator.clone(),
            client: f.client.clone(),
            client_rep: f.client_rep.clone(),
            objective: f.objective.clone(),
            well_depth: field_text(f.well_depth_ft, loc, "ft"),
            target_depth: field_text(f.target_depth_ft, loc, "ft"),
            estimated_hours: field_text(f.estimated_hours, loc, "h"),
            description: f.description.clone(),
            notes: f.notes.clone(),
        }
    }

    /// The same typed text as it reads after the console switched from `from` to `to`.
    pub fn retype(&mut self, from: Locale, to: Locale) {
        for (text, unit) in [
            (&mut self.well_depth, "ft"),
            (&mut self.target_depth, "ft"),
            (&mut self.estimated_hours, "h"),
        ] {
            *text = retyped(text, from, to, unit);
        }
    }

    /// The fields typed, read back into kept units and checked as the store will check them; or what to
    /// fix, in the console's language where the console words it.
    pub fn fields(&self, loc: Locale) -> Result<JobFields, String> {
        let lang = loc.lang;
        let time = |text: &str, what: &str| -> Result<Option<Timestamp>, String> {
            if text.trim().is_empty() {
                return Ok(None);
            }
            parse_local(text, None).map(Some).ok_or_else(|| {
                let how = lang.pick(
                    "give a date and time as YYYY-MM-DD HH:MM",
                    "indique fecha y hora como AAAA-MM-DD HH:MM",
                );
                format!("{what}: {how}")
            })
        };
        let line = |s: &str| s.trim().to_owned();
        let f = JobFields {
            job_type: self.job_type,
            well: line(&self.well),
            field: line(&self.field),
            unit: line(&self.unit),
            reel: line(&self.reel),
            planned_start: time(&self.planned_start, lang.pick("Planned start", "Inicio planificado"))?,
            planned_end: time(&self.planned_end, lang.pick("Planned end", "Fin planificado"))?,
            supervisor: line(&self.supervisor),
            operator: line(&self.operator),
            client: line(&self.client),
            client_rep: line(&self.client_rep),
            objective: self.objective.clone(),
            well_depth_ft: typed(
                &self.well_depth,
                loc,
                "ft",
                lang.pick("Well depth", "Profundidad del pozo"),
            )?,
            target_depth_ft: typed(
                &self.target_depth,
                loc,
                "ft",
                lang.pick("Target depth", "Profundidad objetivo"),
            )?,
            estimated_hours: typed(
                &self.estimated_hours,
                loc,
                "h",
                lang.pick("Estimated hours", "Horas estimadas"),
            )?,
            description: self.description.clone(),
            notes: self.notes.clone(),
        };
        f.check().map_err(|e| e.to_string())?;
        Ok(f)
    }
}

/// One input of the form.
enum Input<'a> {
    Text(&'a mut String),
    Number(&'a mut String, &'static str),
    Time(&'a mut String),
    Type(&'a mut Option<JobType>),
}

/// The job's fields as a form: two pairs of columns where the page is wide, one where it is not, and the
/// long texts under them. Disabled (read only) when the caller's `ui` is.
pub fn fields_form_ui(ui: &mut Ui, d: &mut FieldsDraft, id_salt: &str, cx: FormCx) {
    let lang = cx.loc.lang;
    let cols = if ui.available_width() > 900.0 { 2 } else { 1 };
    let inputs: [(&str, Input<'_>); 14] = [
        (lang.pick("Job type", "Tipo de trabajo"), Input::Type(&mut d.job_type)),
        (lang.pick("Well", "Pozo"), Input::Text(&mut d.well)),
        (lang.pick("Field", "Campo"), Input::Text(&mut d.field)),
        (lang.pick("CT unit", "Unidad de TF"), Input::Text(&mut d.unit)),
        (lang.pick("Reel", "Carrete"), Input::Text(&mut d.reel)),
        (
            lang.pick("Estimated hours", "Horas estimadas"),
            Input::Number(&mut d.estimated_hours, "h"),
        ),
        (
            lang.pick("Planned start", "Inicio planificado"),
            Input::Time(&mut d.planned_start),
        ),
        (
            lang.pick("Planned end", "Fin planificado"),
            Input::Time(&mut d.planned_end),
        ),
        (
            lang.pick("Well depth", "Profundidad del pozo"),
            Input::Number(&mut d.well_depth, "ft"),
        ),
        (
            lang.pick("Target depth", "Profundidad objetivo"),
            Input::Number(&mut d.target_depth, "ft"),
        ),
        (lang.pick("Supervisor", "Supervisor"), Input::Text(&mut d.supervisor)),
        (lang.pick("Operator", "Operador"), Input::Text(&mut d.operator)),
        (lang.pick("Client", "Cliente"), Input::Text(&mut d.client)),
        (
            lang.pick("Client representative", "Representante del cliente"),
            Input::Text(&mut d.client_rep),
        ),
    ];
    egui::Grid::new(("job_fields_form", id_salt))
        .num_columns(2 * cols)
        .spacing(egui::vec2(12.0, 6.0))
        .show(ui, |ui| {
            for (k, (title, input)) in inputs.into_iter().enumerate() {
                let l = ui.label(title);
                ui.horizontal(|ui| input_ui(ui, input, title, l.id, cx));
                if k % cols == cols - 1 {
                    ui.end_row();
                }
            }
        });
    for (title, text) in [
        (lang.pick("Objective", "Objetivo"), &mut d.objective),
        (lang.pick("Description", "Descripción"), &mut d.description),
        (lang.pick("Notes", "Notas"), &mut d.notes),
    ] {
        let l = ui.label(title);
        ui.add(
            egui::TextEdit::multiline(text)
                .desired_rows(2)
                .desired_width(f32::INFINITY),
        )
        .labelled_by(l.id);
    }
}

fn input_ui(ui: &mut Ui, input: Input<'_>, title: &str, label: egui::Id, cx: FormCx) {
    let lang = cx.loc.lang;
    match input {
        Input::Text(s) => {
            ui.add(egui::TextEdit::singleline(s).desired_width(220.0))
                .labelled_by(label);
        }
        Input::Number(s, unit) => {
            number_ui(ui, s, &Num { title, unit, row: 0 }, cx).labelled_by(label);
        }
        Input::Time(s) => {
            time_ui(ui, s, cx).labelled_by(label);
        }
        Input::Type(t) => {
            let shown = t.map_or_else(
                || lang.pick("(choose)", "(elegir)").to_owned(),
                |t| format!("{} {}", t.code(), t.label(lang)),
            );
            egui::ComboBox::from_id_salt(("job_type_combo", title))
                .selected_text(shown)
                .width(220.0)
                .show_ui(ui, |ui| {
                    for k in JobType::ALL {
                        ui.selectable_value(t, Some(k), format!("{} {}", k.code(), k.label(lang)));
                    }
                })
                .response
                .labelled_by(label);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::UnitSystem;

    #[test]
    fn numbers_are_read_in_the_consoles_language_and_units() {
        let es = Locale {
            lang: Lang::Es,
            units: UnitSystem::Oilfield,
        };
        let si = Locale {
            lang: Lang::En,
            units: UnitSystem::Si,
        };
        assert_eq!(parse_number("12,5", Lang::Es), Some(12.5));
        assert_eq!(parse_number("1,000", Lang::En), None);
        assert_eq!(typed("", es, "ft", "x"), Ok(None));
        assert!(typed("abc", es, "ft", "Depth").is_err_and(|e| e.starts_with("Depth")));
        let ft = typed("30.48", si, "ft", "x").unwrap().unwrap();
        assert!((ft - 100.0).abs() < 1e-9);
        assert_eq!(field_text(Some(14_000.0), si, "ft"), "4267.2");
        assert_eq!(field_text(None, si, "ft"), "");
    }

    #[test]
    fn a_typed_local_time_reads_back_and_a_split_must_fall_inside_the_operation() {
        let t = parse_local("2026-03-14 08:30", None).unwrap();
        assert_eq!(local_text(t), "2026-03-14 08:30");
        assert_eq!(
            parse_local("09:15:30", Some(t)).map(local_text).as_deref(),
            Some("2026-03-14 09:15")
        );
        assert_eq!(parse_local("nonsense", Some(t)), None);
        let end = Timestamp(t.0 + 3_600_000_000);
        assert_eq!(split_time("08:45", t, end), Some(Timestamp(t.0 + 900_000_000)));
        assert_eq!(split_time("10:00", t, end), None);
        // An operation past midnight: a time of day earlier than its start is the next day's.
        let late = parse_local("2026-03-14 23:30", None).unwrap();
        let after = Timestamp(late.0 + 3_600_000_000);
        assert_eq!(
            split_time("00:10", late, after),
            Some(Timestamp(late.0 + 2_400_000_000))
        );
    }

    #[test]
    fn durations_read_as_hours_minutes_seconds() {
        assert_eq!(duration_text(3_909.4), "1:05:09");
    }
}
