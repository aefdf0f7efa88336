//! Alarm pages: the summary (filter, sort, acknowledge, shelve, out-of-service), the journal (search),
//! and the performance KPIs. Each page is a view of the one `AlarmDesk` (`AlarmSummary`, `AlarmLog`,
//! `AlarmKpis`): the banner's selection is the summary's, and one journal reader serves both queries.
//! Actions go through the desk and the console's context; the hub decides (and journals) the outcome.
//! A summary line shows the value at alarm beside the live one from the console's snapshot (a returned
//! alarm's reading is history), and a disabled action says why, in words a touch panel can read.

use super::alarm_banner::{alarm_head_ui, at_alarm_text, row_height};
use super::alarm_desk::{AlarmDesk, Dialog, SortKey, StateFilter};
use super::alarm_symbol::indicator_ui;
use super::context::Console;
use super::page::{FrameInputs, PageView, ShellAction};
use super::{readout, theme};
use crate::alarm::def::AlarmKind;
use crate::alarm::journal::{decode_value, display_value};
use crate::alarm::state::Shelf;
use crate::alarm::{AlarmRow, AlarmState};
use crate::auth::{Action, Role};
use crate::hub::Snapshot;
use crate::lang::Lang;
use crate::locale::Locale;
use crate::tag::{TagState, Timestamp};
use egui::{RichText, Sense, Ui};
use egui_extras::{Column, TableBuilder};
use std::sync::Arc;

/// Shelf lengths offered (minutes); each alarm's own maximum cuts the list.
const SHELVE_CHOICES: [u64; 6] = [15, 60, 120, 240, 480, 720];

fn matches(desk: &AlarmDesk, r: &AlarmRow) -> bool {
    let words: Vec<String> = desk.filter_text.split_whitespace().map(str::to_lowercase).collect();
    if words.is_empty() {
        return true;
    }
    let hay = format!(
        "{} {} {} {} {} {}",
        r.def.id, r.def.tag_name, r.def.message.en, r.def.message.es, r.def.area, r.def.asset
    )
    .to_lowercase();
    words.iter().all(|w| hay.contains(w.as_str()))
}

/// The summary page: every alarm not normal, with the selected one's detail and actions.
pub struct AlarmSummary<'d>(pub &'d mut AlarmDesk);

impl PageView for AlarmSummary<'_> {
    fn ui(&mut self, ui: &mut Ui, console: &mut Console, frame: &FrameInputs<'_>) -> Option<ShellAction> {
        summary_ui(ui, self.0, console, frame.snap, frame.now);
        None
    }
}

/// The journal page.
pub struct AlarmLog<'d>(pub &'d mut AlarmDesk);

impl PageView for AlarmLog<'_> {
    fn ui(&mut self, ui: &mut Ui, console: &mut Console, frame: &FrameInputs<'_>) -> Option<ShellAction> {
        log_ui(ui, self.0, console.locale(), frame.now, &frame.snap.directory);
        None
    }
}

/// The KPI page.
pub struct AlarmKpis<'d>(pub &'d mut AlarmDesk);

impl PageView for AlarmKpis<'_> {
    fn ui(&mut self, ui: &mut Ui, console: &mut Console, frame: &FrameInputs<'_>) -> Option<ShellAction> {
        kpi_ui(ui, self.0, console.lang(), frame.now);
        None
    }
}

fn summary_ui(ui: &mut Ui, desk: &mut AlarmDesk, console: &mut Console, snap: &Snapshot, now: Timestamp) {
    let mut rows: Vec<AlarmRow> = desk
        .view
        .rows
        .iter()
        .filter(|r| desk.filter_state.keeps(r) && matches(desk, r))
        .cloned()
        .collect();
    match desk.sort {
        SortKey::Banner => {}
        SortKey::Time => rows.sort_by_key(|r| std::cmp::Reverse(r.since)),
        SortKey::Priority => rows.sort_by_key(|r| (r.def.priority, std::cmp::Reverse(r.since))),
        SortKey::Tag => rows.sort_by(|a, b| a.def.tag_name.cmp(&b.def.tag_name)),
        SortKey::State => rows.sort_by_key(|r| (state_rank(r.state), r.def.priority)),
    }
    let loc = console.locale();
    let lang = loc.lang;
    // Wraps onto a second row on a narrow panel rather than run under the edge.
    ui.horizontal_wrapped(|ui| {
        let l = ui.label(lang.pick("Filter:", "Filtro:"));
        ui.add(
            egui::TextEdit::singleline(&mut desk.filter_text)
                .hint_text(lang.pick("tag, message, area", "tag, mensaje, área"))
                .desired_width(260.0),
        )
        .labelled_by(l.id);
        egui::ComboBox::from_label(lang.pick("shown", "mostradas"))
            .selected_text(desk.filter_state.label(lang))
            // As wide as its longest choice in this language and size, plus the arrow: never overlapped.
            .width(
                StateFilter::ALL
                    .iter()
                    .map(|f| {
                        let font = egui::TextStyle::Button.resolve(ui.style());
                        ui.painter()
                            .layout_no_wrap(f.label(lang).to_owned(), font, theme::text())
                            .size()
                            .x
                    })
                    .fold(0.0, f32::max)
                    + 2.0 * ui.spacing().button_padding.x
                    + ui.spacing().icon_width
                    + 8.0,
            )
            .show_ui(ui, |ui| {
                for f in StateFilter::ALL {
                    ui.selectable_value(&mut desk.filter_state, f, f.label(lang));
                }
            });
        ui.label(lang.pick("Sort:", "Orden:"));
        for (k, label) in [
            (SortKey::Banner, lang.pick("Banner order", "Orden del banner")),
            (SortKey::Time, lang.pick("Time", "Hora")),
            (SortKey::Priority, lang.pick("Priority", "Prioridad")),
            (SortKey::Tag, "Tag"),
            (SortKey::State, lang.pick("State", "Estado")),
        ] {
            ui.selectable_value(&mut desk.sort, k, label);
        }
        let page: Vec<Arc<str>> = rows
            .iter()
            .filter(|r| r.state.is_unacked())
            .map(|r| r.def.id.clone())
            .collect();
        let ack_refusal = role_refusal(console, Action::Acknowledge);
        let button = ui.add_enabled(
            ack_refusal.is_none() && !page.is_empty(),
            egui::Button::new(format!(
                "{} ({})",
                lang.pick("Acknowledge page", "Reconocer página"),
                page.len()
            )),
        );
        let button = match &ack_refusal {
            Some(why) => button.on_disabled_hover_text(why),
            None => button,
        };
        if button.clicked() {
            desk.acknowledge(console, page);
        }
    });
    let (shown, total, points) = (rows.len(), desk.view.rows.len(), desk.view.points);
    let (user, role) = (&console.actor.user, console.actor.role.label(lang));
    let mut line = match lang {
        Lang::En => {
            format!("{shown} of {total} alarms not normal · {points} points configured · acting as {user} ({role})")
        }
        Lang::Es => {
            format!("{shown} de {total} alarmas fuera de normal · {points} puntos configurados · actúa {user} ({role})")
        }
    };
    // Said where a touch panel can read it, not only in the disabled button's hover text.
    if let Some(why) = role_refusal(console, Action::Acknowledge) {
        line = format!("{line} · {why}");
    }
    ui.label(RichText::new(line).color(theme::text_dim()));
    ui.separator();
    let detail_h = if desk.selected.is_some() { 300.0 } else { 0.0 };
    let table_h = (ui.available_height() - detail_h).max(120.0);
    let row_h = row_height(ui.style());
    ui.allocate_ui(egui::vec2(ui.available_width(), table_h), |ui| {
        egui::ScrollArea::vertical()
            .auto_shrink([false, false])
            .show_rows(ui, row_h, rows.len(), |ui, range| {
                for r in &rows[range] {
                    summary_row_ui(ui, desk, r, snap.get(r.def.tag), now, loc);
                }
            });
    });
    if let Some(id) = desk.selected.clone() {
        ui.separator();
        match desk.row(&id).cloned() {
            Some(r) => detail_ui(ui, desk, console, &r, snap.get(r.def.tag), now),
            None => {
                let back = lang.pick("has returned to normal", "volvió a la normalidad");
                ui.label(RichText::new(format!("{id} {back}")).color(theme::text_dim()));
            }
        }
    }
    dialog_ui(ui, desk, console);
}

fn state_rank(s: AlarmState) -> u8 {
    AlarmState::ALL.iter().position(|x| *x == s).unwrap_or(0) as u8
}

/// One alarm on the summary page; a touch selects it (for the actions below) or clears the selection.
fn summary_row_ui(
    ui: &mut Ui,
    desk: &mut AlarmDesk,
    r: &AlarmRow,
    live: Option<&TagState>,
    now: Timestamp,
    loc: Locale,
) {
    let selected = desk.selected.as_deref() == Some(&*r.def.id);
    let (rect, _) = ui.allocate_exact_size(egui::vec2(ui.available_width(), row_height(ui.style())), Sense::hover());
    if selected {
        ui.painter().rect_filled(rect, 3.0, theme::ALARM_SELECTED);
    }
    let mut line = ui.new_child(
        egui::UiBuilder::new()
            .max_rect(rect.shrink2(egui::vec2(4.0, 1.0)))
            .layout(egui::Layout::left_to_right(egui::Align::Center)),
    );
    summary_line_ui(&mut line, r, live, now, loc);
    // Registered after the line's contents, so a touch anywhere on the line selects it.
    let resp = ui.interact(rect, ui.scope_id().with(("summary_row", &*r.def.id)), Sense::click());
    let id = r.def.id.clone();
    resp.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, format!("alarm {id}")));
    if resp.clicked() {
        desk.selected = if selected { None } else { Some(r.def.id.clone()) };
    }
}

/// The summary's line: the banner's facts, plus what the summary is read for (ISA-18.2 summaries show
/// both values): the value at alarm, marked and dimmed, beside the live value with its quality, and a
/// shelf's start, end, author and reason.
fn summary_line_ui(ui: &mut Ui, r: &AlarmRow, live: Option<&TagState>, now: Timestamp, loc: Locale) {
    let lang = loc.lang;
    alarm_head_ui(ui, r, now, lang);
    if let Some(v) = alarm_value_text(r, loc) {
        ui.label(
            RichText::new(at_alarm_text(&v, lang))
                .monospace()
                .color(theme::text_dim()),
        );
    }
    live_value_ui(ui, r, live, loc, lang.pick("now ", "ahora "));
    let limit = r.def.limit_text(loc.units);
    if !limit.is_empty() {
        ui.label(RichText::new(format!("({limit})")).color(theme::text_dim()));
    }
    ui.label(
        RichText::new(r.state.label(lang))
            .color(theme::text_dim())
            .size(theme::TEXT_SMALL),
    );
    if let Some(s) = &r.shelf {
        ui.label(RichText::new(shelf_text(s, now, lang)).color(theme::text_dim()));
    }
    if let Some(o) = &r.out_of_service {
        let text = match lang {
            Lang::En => format!(
                "out of service since {} by {} · {}",
                o.since.to_local_hms(),
                o.by,
                o.reason
            ),
            Lang::Es => format!(
                "fuera de servicio desde {} por {} · {}",
                o.since.to_local_hms(),
                o.by,
                o.reason
            ),
        };
        ui.label(RichText::new(text).color(theme::text_dim()));
    }
}

/// The value when the alarm activated, in the console's units; none for a bad-quality alarm (the value
/// it had is not news; the alarm itself says what is wrong).
pub(super) fn alarm_value_text(r: &AlarmRow, loc: Locale) -> Option<String> {
    if matches!(r.def.kind, AlarmKind::BadQuality) {
        return None;
    }
    let v = r.alarm_value.as_ref()?;
    Some(loc.value_text(&r.def.unit, Some(v), r.def.decimals))
}

/// The tag's value now, from the console's snapshot: dimmed with its quality chip when not good, so bad
/// or stale data never looks live (as every readout).
fn live_value_ui(ui: &mut Ui, r: &AlarmRow, live: Option<&TagState>, loc: Locale, prefix: &str) {
    let Some(s) = live else { return };
    let value = loc.value_text(&r.def.unit, s.value.as_ref(), r.def.decimals);
    let text = RichText::new(format!("{prefix}{value}")).monospace();
    ui.label(if s.quality.is_good() {
        text.color(theme::value()).strong()
    } else {
        text.color(theme::text_dim()).italics()
    });
    readout::quality_chip_ui(ui, s.quality, loc.lang);
}

/// "shelved 14:07:10 by ana · until 16:07:10 (in 2 h) · sensor recalibration".
pub(super) fn shelf_text(s: &Shelf, now: Timestamp, lang: Lang) -> String {
    let (at, until, left) = (
        s.at.to_local_hms(),
        s.until.to_local_hms(),
        time_left(now, s.until, lang),
    );
    match lang {
        Lang::En => format!("shelved {at} by {} · until {until} ({left}) · {}", s.by, s.reason),
        Lang::Es => format!("archivada {at} por {} · hasta {until} ({left}) · {}", s.by, s.reason),
    }
}

/// "in 25 min", "in 2 h 5 min": the time left until `then` by the console's clock, rounded up to the
/// minute (a shelf with 30 s left is not "in 0 min").
fn time_left(now: Timestamp, then: Timestamp, lang: Lang) -> String {
    let minutes = then.saturating_since(now).as_secs().div_ceil(60);
    let span = match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    };
    match lang {
        Lang::En => format!("in {span}"),
        Lang::Es => format!("en {span}"),
    }
}

/// Why this console's user may not do `action` ("vic (viewer) may not shelve (allowed: …)"), worded like
/// the refusal the engine journals; `None` when the role allows it.
pub(super) fn role_refusal(console: &Console, action: Action) -> Option<String> {
    if console.may(action) {
        return None;
    }
    let lang = console.lang();
    let actor = &console.actor;
    let allowed: Vec<&str> = Role::ALL
        .into_iter()
        .filter(|r| r.may(action))
        .map(|r| r.label(lang))
        .collect();
    let (user, role, what, allowed) = (
        &actor.user,
        actor.role.label(lang),
        action.label_in(lang),
        allowed.join(", "),
    );
    Some(match lang {
        Lang::En => format!("{user} ({role}) may not {what} (allowed: {allowed})"),
        Lang::Es => format!("{user} ({role}) no puede {what} (permitido: {allowed})"),
    })
}

/// The alarm's own rule against shelving (its definition, not the user's role).
fn not_shelvable(lang: Lang) -> String {
    lang.pick(
        "this alarm may not be shelved (shelvable = false in its alarm file)",
        "esta alarma no se puede archivar (shelvable = false en su archivo de alarmas)",
    )
    .to_owned()
}

/// A button usable only when `usable` and nothing in `refusals` stands against it. The refusals are its
/// hover text and are also gathered in `why_not`, which is shown under the buttons: a touch panel cannot
/// hover.
fn guarded_button_ui(ui: &mut Ui, label: &str, usable: bool, refusals: Vec<String>, why_not: &mut Vec<String>) -> bool {
    let button = ui.add_enabled(usable && refusals.is_empty(), egui::Button::new(label));
    let button = if refusals.is_empty() {
        button
    } else {
        button.on_disabled_hover_text(refusals.join("\n"))
    };
    for why in refusals {
        if !why_not.contains(&why) {
            why_not.push(why);
        }
    }
    button.clicked()
}

/// One row of the detail grid: a dimmed name and its value.
fn detail_row_ui(ui: &mut Ui, name: &str, value: impl Into<egui::WidgetText>) {
    ui.label(RichText::new(name).color(theme::text_dim()));
    ui.label(value);
    ui.end_row();
}

fn detail_ui(
    ui: &mut Ui,
    desk: &mut AlarmDesk,
    console: &mut Console,
    r: &AlarmRow,
    live: Option<&TagState>,
    now: Timestamp,
) {
    let loc = console.locale();
    let lang = loc.lang;
    ui.horizontal(|ui| {
        indicator_ui(ui, 28.0, r.def.priority, r.state, now);
        ui.label(
            RichText::new(format!("{}  {}", r.def.id, r.def.message.get(lang)))
                .size(theme::TEXT_HEADING)
                .strong(),
        );
    });
    egui::Grid::new("alarm_detail")
        .num_columns(2)
        .spacing([12.0, 4.0])
        .show(ui, |ui| {
            // A shelved or out-of-service alarm is dated by the rows below, not by its last transition.
            let state = match r.state {
                AlarmState::Shelved | AlarmState::OutOfService => {
                    format!("{} · {}", r.def.priority.label(lang), r.state.label(lang))
                }
                _ => format!(
                    "{} · {} {} {}",
                    r.def.priority.label(lang),
                    r.state.label(lang),
                    lang.pick("since", "desde"),
                    r.since.to_local_hms()
                ),
            };
            detail_row_ui(ui, lang.pick("Priority / state", "Prioridad / estado"), state);
            let by = lang.pick("by", "por");
            if let Some(s) = &r.shelf {
                let at = format!(
                    "{} ({}) {by} {}",
                    s.at.to_local_hms(),
                    readout::age_text(now, s.at, lang),
                    s.by
                );
                detail_row_ui(ui, lang.pick("Shelved at", "Archivada a las"), at);
                let until = format!("{} ({})", s.until.to_local_hms(), time_left(now, s.until, lang));
                detail_row_ui(ui, lang.pick("Shelved until", "Archivada hasta"), until);
                if !s.reason.is_empty() {
                    detail_row_ui(ui, lang.pick("Reason", "Motivo"), s.reason.as_str());
                }
            }
            if let Some(o) = &r.out_of_service {
                let since = format!(
                    "{} ({}) {by} {}",
                    o.since.to_local_hms(),
                    readout::age_text(now, o.since, lang),
                    o.by
                );
                detail_row_ui(ui, lang.pick("Out of service since", "Fuera de servicio desde"), since);
                if !o.reason.is_empty() {
                    detail_row_ui(ui, lang.pick("Reason", "Motivo"), o.reason.as_str());
                }
            }
            detail_row_ui(ui, lang.pick("Limit", "Límite"), r.def.limit_text(loc.units));
            if let Some(v) = alarm_value_text(r, loc) {
                detail_row_ui(ui, lang.pick("Value at alarm", "Valor al activarse"), v);
            }
            if live.is_some() {
                ui.label(RichText::new(lang.pick("Value now", "Valor ahora")).color(theme::text_dim()));
                ui.horizontal(|ui| live_value_ui(ui, r, live, loc, ""));
                ui.end_row();
            }
            detail_row_ui(
                ui,
                lang.pick("Area / asset", "Área / equipo"),
                format!("{} / {}", r.def.area, r.def.asset),
            );
            if !r.def.consequence.is_empty() {
                detail_row_ui(
                    ui,
                    lang.pick("Consequence", "Consecuencia"),
                    r.def.consequence.get(lang),
                );
            }
            if !r.def.response.is_empty() {
                detail_row_ui(
                    ui,
                    lang.pick("Operator response", "Respuesta del operador"),
                    RichText::new(r.def.response.get(lang)).strong(),
                );
            }
        });
    let mut why_not: Vec<String> = Vec::new();
    ui.horizontal(|ui| {
        let unacked = r.state.is_unacked();
        let ack_refusal: Vec<String> = role_refusal(console, Action::Acknowledge).into_iter().collect();
        let can_ack = unacked && ack_refusal.is_empty();
        if guarded_button_ui(
            ui,
            lang.pick("Acknowledge", "Reconocer"),
            unacked,
            ack_refusal,
            &mut why_not,
        ) {
            let comment = std::mem::take(&mut desk.ack_comment);
            desk.acknowledge_with(console, vec![r.def.id.clone()], comment);
        }
        if can_ack {
            let l = ui.label(lang.pick("Comment:", "Comentario:"));
            ui.add(
                egui::TextEdit::singleline(&mut desk.ack_comment)
                    .hint_text(lang.pick("optional, kept in the journal", "opcional, queda en el diario"))
                    .desired_width(260.0),
            )
            .labelled_by(l.id);
        }
        let shelve_refusal = role_refusal(console, Action::Shelve);
        match r.state {
            AlarmState::Shelved => {
                let refusals = shelve_refusal.into_iter().collect();
                if guarded_button_ui(ui, lang.pick("Unshelve", "Desarchivar"), true, refusals, &mut why_not) {
                    desk.unshelve(console, r.def.id.clone());
                }
            }
            AlarmState::OutOfService => {}
            _ => {
                let refusals = shelve_refusal
                    .into_iter()
                    .chain((!r.def.shelvable).then(|| not_shelvable(lang)))
                    .collect();
                if guarded_button_ui(ui, lang.pick("Shelve…", "Archivar…"), true, refusals, &mut why_not) {
                    desk.dialog = Some(Dialog::Shelve {
                        id: r.def.id.clone(),
                        reason: String::new(),
                        minutes: 60.min(r.def.max_shelve.as_secs() / 60),
                    });
                }
            }
        }
        let oos_refusals: Vec<String> = role_refusal(console, Action::OutOfService).into_iter().collect();
        if r.state == AlarmState::OutOfService {
            let label = lang.pick("Return to service", "Volver a servicio");
            if guarded_button_ui(ui, label, true, oos_refusals, &mut why_not) {
                desk.return_to_service(console, r.def.id.clone());
            }
        } else if guarded_button_ui(
            ui,
            lang.pick("Out of service…", "Fuera de servicio…"),
            true,
            oos_refusals,
            &mut why_not,
        ) {
            desk.dialog = Some(Dialog::OutOfService {
                id: r.def.id.clone(),
                reason: String::new(),
            });
        }
    });
    if !why_not.is_empty() {
        ui.horizontal_wrapped(|ui| {
            for why in &why_not {
                ui.label(RichText::new(why).color(theme::text_dim()).size(theme::TEXT_SMALL));
            }
        });
    }
}

fn dialog_ui(ui: &mut Ui, desk: &mut AlarmDesk, console: &mut Console) {
    let Some(mut d) = desk.dialog.take() else { return };
    let max_min = match &d {
        Dialog::Shelve { id, .. } | Dialog::OutOfService { id, .. } => {
            desk.row(id).map_or(720, |r| r.def.max_shelve.as_secs() / 60)
        }
    };
    let mut keep = true;
    let mut confirm = false;
    let lang = console.lang();
    egui::Modal::new(egui::Id::unique("alarm_dialog")).show(ui.ctx(), |ui| {
        ui.set_width(460.0);
        match &mut d {
            Dialog::Shelve { id, reason, minutes } => {
                ui.heading(format!("{} {id}", lang.pick("Shelve", "Archivar")));
                ui.label(lang.pick(
                    "The alarm leaves the banner and comes back by itself when the time is over.",
                    "La alarma sale del banner y vuelve sola cuando se cumple el tiempo.",
                ));
                ui.horizontal_wrapped(|ui| {
                    for m in SHELVE_CHOICES.iter().copied().filter(|m| *m <= max_min) {
                        let label = if m < 60 {
                            format!("{m} min")
                        } else {
                            format!("{} h", m / 60)
                        };
                        ui.selectable_value(minutes, m, label);
                    }
                });
                let l = ui.label(lang.pick("Reason (required):", "Motivo (obligatorio):"));
                ui.add(egui::TextEdit::singleline(reason).desired_width(440.0))
                    .labelled_by(l.id);
                let label = lang.pick("Shelve", "Archivar");
                confirm_row(ui, !reason.trim().is_empty(), label, &mut confirm, &mut keep, lang);
            }
            Dialog::OutOfService { id, reason } => {
                ui.heading(match lang {
                    Lang::En => format!("Take {id} out of service"),
                    Lang::Es => format!("Sacar {id} de servicio"),
                });
                ui.label(lang.pick(
                    "It stays out of service until someone returns it. Use for maintenance or a failed instrument.",
                    "Queda fuera de servicio hasta que alguien la devuelva. Para mantenimiento o un instrumento fallado.",
                ));
                let l = ui.label(lang.pick("Reason (required):", "Motivo (obligatorio):"));
                ui.add(egui::TextEdit::singleline(reason).desired_width(440.0))
                    .labelled_by(l.id);
                let label = lang.pick("Take out of service", "Sacar de servicio");
                confirm_row(ui, !reason.trim().is_empty(), label, &mut confirm, &mut keep, lang);
            }
        }
    });
    if confirm {
        match d {
            Dialog::Shelve { id, reason, minutes } => desk.shelve(console, id, minutes, reason),
            Dialog::OutOfService { id, reason } => desk.remove_from_service(console, id, reason),
        }
    } else if keep {
        desk.dialog = Some(d);
    }
}

fn confirm_row(ui: &mut Ui, ready: bool, label: &str, confirm: &mut bool, keep: &mut bool, lang: Lang) {
    ui.horizontal(|ui| {
        if ui
            .add_enabled(ready, egui::Button::new(RichText::new(label).strong()))
            .clicked()
        {
            *confirm = true;
        }
        if ui.button(lang.pick("Cancel", "Cancelar")).clicked() {
            *keep = false;
        }
    });
}

/// The journal's rows. A value is shown in the console's units when its tag is still in the directory
/// (the journal keeps the number as the tag gave it).
fn log_ui(ui: &mut Ui, desk: &mut AlarmDesk, loc: Locale, now: Timestamp, directory: &crate::tag::TagDirectory) {
    let lang = loc.lang;
    ui.horizontal(|ui| {
        let l = ui.label(lang.pick("Search the journal:", "Buscar en el diario:"));
        ui.add(
            egui::TextEdit::singleline(&mut desk.log_query)
                .hint_text(lang.pick(
                    "tag, alarm, user, message, e.g. esp03 shelved",
                    "tag, alarma, usuario, mensaje, p. ej. esp03 shelved",
                ))
                .desired_width(340.0),
        )
        .labelled_by(l.id);
        for h in [1, 8, 24, 24 * 7, 24 * 30] {
            let label = if h < 24 {
                format!("{h} h")
            } else {
                format!("{} d", h / 24)
            };
            ui.selectable_value(&mut desk.log_hours, h, label);
        }
    });
    desk.ask_log(now, lang);
    let rows = match &desk.log {
        None => {
            ui.label(RichText::new(lang.pick("reading the journal…", "leyendo el diario…")).color(theme::text_dim()));
            return;
        }
        Some(Err(e)) => {
            ui.label(RichText::new(e).color(theme::QUALITY_BAD));
            return;
        }
        Some(Ok(rows)) => rows,
    };
    ui.label(
        RichText::new(match lang {
            Lang::En => format!(
                "{} events (newest first, at most {})",
                rows.len(),
                super::alarm_desk::LOG_LIMIT
            ),
            Lang::Es => format!(
                "{} eventos (los más recientes primero, como máximo {})",
                rows.len(),
                super::alarm_desk::LOG_LIMIT
            ),
        })
        .color(theme::text_dim()),
    );
    ui.separator();
    TableBuilder::new(ui)
        .striped(true)
        .resizable(true)
        .column(Column::initial(200.0))
        .column(Column::initial(120.0))
        .column(Column::initial(280.0))
        .column(Column::initial(90.0))
        .column(Column::initial(130.0))
        .column(Column::initial(110.0))
        .column(Column::initial(100.0))
        .column(Column::remainder().at_least(200.0))
        .header(24.0, |mut h| {
            for t in [
                lang.pick("Time", "Hora"),
                lang.pick("Event", "Evento"),
                lang.pick("Alarm", "Alarma"),
                lang.pick("Priority", "Prioridad"),
                lang.pick("State", "Estado"),
                lang.pick("Value", "Valor"),
                lang.pick("User", "Usuario"),
                lang.pick("Message / comment", "Mensaje / comentario"),
            ] {
                h.col(|ui| {
                    ui.strong(t);
                });
            }
        })
        .body(|body| {
            body.rows(24.0, rows.len(), |mut row| {
                let r = &rows[row.index()];
                row.col(|ui| {
                    ui.label(RichText::new(local_time(r.at)).monospace());
                });
                row.col(|ui| {
                    ui.label(r.kind.label(lang));
                });
                row.col(|ui| {
                    ui.label(RichText::new(r.alarm.as_deref().unwrap_or("—")).monospace());
                });
                row.col(|ui| {
                    ui.label(r.priority.map_or("", |p| p.label(lang)));
                });
                row.col(|ui| {
                    ui.label(RichText::new(r.state.label(lang)).size(theme::TEXT_SMALL));
                });
                row.col(|ui| {
                    let def = r.tag.as_deref().and_then(|t| directory.by_name(t));
                    let value = match (r.value.as_deref(), def) {
                        (Some(v), Some(def)) => match decode_value(v) {
                            Some(v) => loc.value_text(&def.unit, Some(&v), def.decimals),
                            None => display_value(v),
                        },
                        (Some(v), None) => display_value(v),
                        (None, _) => String::new(),
                    };
                    ui.label(RichText::new(value).monospace());
                });
                row.col(|ui| {
                    ui.label(r.user.as_deref().unwrap_or(""));
                });
                row.col(|ui| {
                    let msg = match lang {
                        crate::lang::Lang::Es => r.message_es.as_deref().or(r.message_en.as_deref()),
                        crate::lang::Lang::En => r.message_en.as_deref(),
                    }
                    .unwrap_or("");
                    let text = match (msg.is_empty(), r.comment.is_empty()) {
                        (false, false) => format!("{msg} — {}", r.comment),
                        (false, true) => msg.to_owned(),
                        (true, _) => r.comment.clone(),
                    };
                    ui.label(text);
                });
            });
        });
}

fn local_time(t: Timestamp) -> String {
    chrono::DateTime::from_timestamp_micros(t.0)
        .map(|d| d.with_timezone(&chrono::Local).format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}

fn kpi_ui(ui: &mut Ui, desk: &mut AlarmDesk, lang: Lang, now: Timestamp) {
    ui.horizontal(|ui| {
        ui.label(lang.pick("Window:", "Ventana:"));
        let last = lang.pick("last", "últimas");
        for h in [8, 24, 24 * 7, 24 * 30] {
            let label = if h < 24 {
                format!("{last} {h} h")
            } else {
                format!("{last} {} d", h / 24)
            };
            ui.selectable_value(&mut desk.kpi_hours, h, label);
        }
    });
    desk.ask_kpi(now, lang);
    let k = match &desk.kpi {
        None => {
            ui.label(RichText::new(lang.pick("computing…", "calculando…")).color(theme::text_dim()));
            return;
        }
        Some(Err(e)) => {
            ui.label(RichText::new(e).color(theme::QUALITY_BAD));
            return;
        }
        Some(Ok(k)) => k.clone(),
    };
    ui.separator();
    egui::ScrollArea::vertical().auto_shrink([false, false]).show(ui, |ui| {
        egui::Grid::new("kpi_summary")
            .num_columns(3)
            .spacing([16.0, 6.0])
            .show(ui, |ui| {
                let row = |ui: &mut Ui, name: &str, value: String, target: &str, bad: bool| {
                    ui.label(RichText::new(name).color(theme::text_dim()));
                    if bad {
                        readout::chip_ui(ui, &value, theme::ALARM_SYSTEM);
                    } else {
                        ui.label(RichText::new(value).monospace().strong());
                    }
                    ui.label(RichText::new(target).color(theme::text_dim()));
                    ui.end_row();
                };
                row(ui, lang.pick("Alarms", "Alarmas"), k.activations.to_string(), "", false);
                row(
                    ui,
                    lang.pick("Alarms per 10 min (mean)", "Alarmas por 10 min (media)"),
                    format!("{:.2}", k.per_10_min_mean),
                    lang.pick("EEMUA 191: about 1 is manageable", "EEMUA 191: cerca de 1 es manejable"),
                    k.per_10_min_mean > 2.0,
                );
                row(
                    ui,
                    lang.pick("Alarms per 10 min (max)", "Alarmas por 10 min (máx)"),
                    k.per_10_min_max.to_string(),
                    lang.pick("more than 10 is a flood", "más de 10 es una avalancha"),
                    k.per_10_min_max > 10,
                );
                row(
                    ui,
                    lang.pick("Time in flood", "Tiempo en avalancha"),
                    format!("{:.1} %", k.flood_percent),
                    lang.pick("ISA-18.2: below 1 %", "ISA-18.2: menos de 1 %"),
                    k.flood_percent > 1.0,
                );
                row(
                    ui,
                    lang.pick("Chattering alarms", "Alarmas repetitivas"),
                    k.chattering.len().to_string(),
                    lang.pick(
                        "3 or more in 1 min: fix deadband or delay",
                        "3 o más en 1 min: corregir banda muerta o retardo",
                    ),
                    !k.chattering.is_empty(),
                );
                row(
                    ui,
                    lang.pick("Stale alarms", "Alarmas permanentes"),
                    k.stale.len().to_string(),
                    lang.pick("active for more than 24 h", "activas por más de 24 h"),
                    !k.stale.is_empty(),
                );
            });
        ui.add_space(8.0);
        ui.heading(lang.pick("Priority distribution", "Distribución por prioridad"));
        for (p, c, pc) in &k.priorities {
            ui.horizontal(|ui| {
                indicator_ui(ui, 18.0, *p, AlarmState::ActiveAcked, now);
                ui.label(RichText::new(format!("{:<11} {c:>6}  {pc:5.1} %", p.label(lang))).monospace());
                let (rect, _) = ui.allocate_exact_size(egui::vec2(300.0, 12.0), egui::Sense::hover());
                ui.painter().rect_filled(rect, 2.0, theme::tile());
                let mut bar = rect;
                bar.set_width(rect.width() * (*pc as f32 / 100.0));
                ui.painter().rect_filled(bar, 2.0, theme::alarm_colour(*p));
            });
        }
        ui.label(
            RichText::new(lang.pick(
                "ISA-18.2 aim: about 5 % high, 15 % medium, 80 % low",
                "Meta ISA-18.2: cerca de 5 % alta, 15 % media, 80 % baja",
            ))
            .color(theme::text_dim()),
        );
        ui.add_space(8.0);
        ui.heading(lang.pick("Top 10 most frequent", "Las 10 más frecuentes"));
        egui::Grid::new("kpi_top").striped(true).num_columns(3).show(ui, |ui| {
            for f in &k.top10 {
                ui.label(RichText::new(&f.alarm).monospace());
                ui.label(f.count.to_string());
                ui.label(format!("{:.1} %", f.percent));
                ui.end_row();
            }
        });
        if !k.chattering.is_empty() {
            ui.add_space(8.0);
            ui.heading(lang.pick("Chattering", "Repetitivas"));
            for c in &k.chattering {
                let per = lang.pick("in one minute", "en un minuto");
                ui.label(format!("{}: {} {per}", c.alarm, c.max_per_minute));
            }
        }
        if !k.floods.is_empty() {
            ui.add_space(8.0);
            ui.heading(lang.pick("Flood periods", "Períodos de avalancha"));
            for f in &k.floods {
                ui.label(format!(
                    "{} – {}: {} {}",
                    local_time(f.start),
                    local_time(f.end),
                    f.alarms,
                    lang.pick("alarms", "alarmas")
                ));
            }
        }
        if !k.stale.is_empty() {
            ui.add_space(8.0);
            ui.heading(lang.pick("Stale alarms", "Alarmas permanentes"));
            for (a, since) in &k.stale {
                let active = lang.pick("active since", "activa desde");
                ui.label(format!("{a}: {active} {}", local_time(*since)));
            }
        }
    });
}
