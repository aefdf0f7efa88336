//! The alarm banner: counts per priority, the most important alarms (unacknowledged first, then priority,
//! then newest) with first-out marked, one-touch ACK (selected alarm), ACK PAGE (the alarms shown) and
//! SILENCE, and the alarm system's own chips (flood, journal backlog, no sound). The shell's top bar
//! (`top_bar`) places these parts; this module draws them and owns no layout of its own beyond a part.
//! Reads the desk; its actions go out through the console's context, which also says who acts and in
//! which language and units.

use super::alarm_desk::AlarmDesk;
use super::alarm_symbol::indicator_ui;
use super::context::Console;
use super::{readout, theme};
use crate::alarm::annunciator::HornState;
use crate::alarm::{AlarmRow, AlarmState, Priority};
use crate::auth::Action;
use crate::lang::Lang;
use crate::locale::Locale;
use crate::tag::Timestamp;
use egui::{RichText, Sense, Ui};
use std::sync::Arc;

/// Alarm lines the banner shows, in every mode (touch included: four active alarms show three lines).
pub const BANNER_ROWS: usize = 3;
/// An alarm line's height with the mouse; touch mode's lines are taller (`row_height`).
pub const ROW_HEIGHT: f32 = 26.0;
const TOUCH_ROW_HEIGHT: f32 = 36.0;

/// An alarm line's height in this style (touch mode is recognised by its large targets).
pub fn row_height(style: &egui::Style) -> f32 {
    if theme::is_touch(style) {
        TOUCH_ROW_HEIGHT
    } else {
        ROW_HEIGHT
    }
}

/// The header line's height: the tallest control in it.
pub fn header_height(style: &egui::Style) -> f32 {
    style.spacing.interact_size.y.max(30.0)
}

/// Height of the banner part (header, three lines, the file-problem line when there is one): fixed, so
/// the page below never jumps when alarms come and go.
pub fn banner_height(style: &egui::Style, desk: &AlarmDesk) -> f32 {
    let sp = style.spacing.item_spacing.y;
    let problems = if desk.config_problems.is_empty() {
        0.0
    } else {
        sp + row_height(style)
    };
    header_height(style) + BANNER_ROWS as f32 * (sp + row_height(style)) + problems
}

/// What the banner asks of the shell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BannerAction {
    None,
    OpenSummary,
    ShowNotGood,
}

/// The alarms the banner shows now.
fn shown(desk: &AlarmDesk) -> Vec<AlarmRow> {
    desk.view
        .rows
        .iter()
        .filter(|r| r.state.is_annunciated())
        .take(BANNER_ROWS)
        .cloned()
        .collect()
}

/// The banner's lines: the header (title, counts, summary), three alarm lines and, after a failed reload
/// of an alarm file, its problem. Each line is clipped to the part's width: a long message never runs
/// under the buttons beside it.
pub fn banner_ui(ui: &mut Ui, desk: &mut AlarmDesk, loc: Locale, now: Timestamp) -> BannerAction {
    let mut action = BannerAction::None;
    let shown = shown(desk);
    let lang = loc.lang;
    let touch = theme::is_touch(ui.style());
    ui.set_clip_rect(ui.max_rect().intersect(ui.clip_rect()));
    let header = header_height(ui.style());
    ui.horizontal(|ui| {
        ui.set_height(header);
        // On a narrow panel the counts need the room more than the title does.
        if ui.available_width() > 700.0 {
            ui.label(
                RichText::new(lang.pick("ALARMS", "ALARMAS"))
                    .strong()
                    .size(theme::TEXT_HEADING),
            );
        }
        if !desk.has_alarm_system() || desk.view.points == 0 {
            let none = lang.pick("no alarm points configured", "no hay puntos de alarma configurados");
            ui.label(RichText::new(none).color(theme::text_dim()));
        }
        for p in Priority::ALL {
            let k = p.index();
            let (unacked, active) = (desk.view.counts.unacked[k], desk.view.counts.active[k]);
            let state = if unacked > 0 {
                AlarmState::ActiveUnacked
            } else {
                AlarmState::ActiveAcked
            };
            let hover = match lang {
                Lang::En => format!("{}: {unacked} unacknowledged, {active} active", p.label(lang)),
                Lang::Es => format!("{}: {unacked} sin reconocer, {active} activas", p.label(lang)),
            };
            indicator_ui(ui, 20.0, p, state, now).on_hover_text(hover);
            ui.label(RichText::new(format!("{unacked}/{active}")).monospace())
                .on_hover_text(lang.pick("unacknowledged / active", "sin reconocer / activas"));
        }
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            let more = desk
                .view
                .rows
                .iter()
                .filter(|r| r.state.is_annunciated())
                .count()
                .saturating_sub(shown.len());
            // A cab panel has no room for the long name; the count is what matters.
            let summary = match (touch, lang) {
                (false, _) => lang.pick("Alarm summary", "Resumen de alarmas"),
                (true, _) => lang.pick("Summary", "Resumen"),
            };
            let label = if more > 0 {
                format!("{summary} (+{more})")
            } else {
                summary.to_owned()
            };
            let b = egui::Button::new(label).wrap_mode(egui::TextWrapMode::Extend);
            if ui
                .add(b)
                .on_hover_text(lang.pick("Every alarm: the summary page", "Todas las alarmas: el resumen"))
                .clicked()
            {
                action = BannerAction::OpenSummary;
            }
        });
    });
    for r in &shown {
        alarm_row_ui(ui, desk, r, now, loc);
    }
    let row = row_height(ui.style());
    for _ in shown.len()..BANNER_ROWS {
        ui.allocate_exact_size(egui::vec2(ui.available_width(), row), Sense::hover());
    }
    if !desk.config_problems.is_empty() {
        ui.horizontal(|ui| {
            ui.set_height(row);
            readout::chip_ui(
                ui,
                lang.pick("ALARM FILE ERROR", "ERROR EN ARCHIVO DE ALARMAS"),
                theme::ALARM_SYSTEM,
            );
            let first = &desk.config_problems[0];
            let more = desk.config_problems.len() - 1;
            let text = if more > 0 {
                format!("{first} (+{more} {})", lang.pick("more", "más"))
            } else {
                first.clone()
            };
            ui.label(RichText::new(text).monospace().size(theme::TEXT_SMALL))
                .on_hover_text(desk.config_problems.join("\n"));
            ui.label(
                RichText::new(lang.pick(
                    "— running on the last good definitions",
                    "— se sigue con las últimas definiciones buenas",
                ))
                .color(theme::text_dim()),
            );
        });
    }
    action
}

/// The alarm system's own state as chips: a flood, a journal backlog, no sound device. Drawn in the
/// top bar's status line (never dropped for room: they come first there).
pub fn system_chips_ui(ui: &mut Ui, desk: &AlarmDesk, lang: Lang) {
    if desk.view.flood {
        readout::chip_ui(
            ui,
            &format!(
                "{} · {} {}",
                lang.pick("ALARM FLOOD", "AVALANCHA DE ALARMAS"),
                desk.view.recent_activations,
                lang.pick("in 10 min", "en 10 min")
            ),
            theme::ALARM_SYSTEM,
        );
    }
    if desk.view.journal_held > 0 {
        readout::chip_ui(
            ui,
            &format!(
                "{} {}",
                lang.pick("JOURNAL BACKLOG", "DIARIO RETRASADO"),
                desk.view.journal_held
            ),
            theme::ALARM_SYSTEM,
        );
    }
    match desk.horn_state() {
        HornState::Unavailable => {
            readout::chip_ui(
                ui,
                lang.pick("SOUND UNAVAILABLE", "SONIDO NO DISPONIBLE"),
                theme::ALARM_SYSTEM,
            );
        }
        HornState::Starting | HornState::Ready => {}
    }
}

/// The button that lists the tags whose data is not good (nothing when all are good).
pub fn not_good_ui(ui: &mut Ui, lang: Lang, not_good: usize) -> BannerAction {
    if not_good == 0 {
        return BannerAction::None;
    }
    let button = egui::Button::new(
        RichText::new(format!(
            "{not_good} {}",
            lang.pick("tags not good", "tags con calidad mala")
        ))
        .color(theme::ON_CHIP)
        .strong(),
    )
    .fill(theme::QUALITY_BAD)
    .wrap_mode(egui::TextWrapMode::Extend);
    if ui
        .add(button)
        .on_hover_text(lang.pick("Show them in the tag browser", "Verlos en el explorador de tags"))
        .clicked()
    {
        BannerAction::ShowNotGood
    } else {
        BannerAction::None
    }
}

/// The width of the button column, for the longest label in either language.
pub fn buttons_width(style: &egui::Style) -> f32 {
    if theme::is_touch(style) { 190.0 } else { 150.0 }
}

/// ACK, ACK PAGE and SILENCE, one above the other, each a full-width target of a third of `height`:
/// always in the same place, whatever the alarms say.
pub fn buttons_ui(ui: &mut Ui, desk: &mut AlarmDesk, console: &mut Console, height: f32) {
    let lang = console.lang();
    let sp = ui.spacing().item_spacing.y;
    let area = ui.max_rect();
    let h = ((height - 2.0 * sp) / 3.0).max(24.0);
    // Placed, not laid out: each button has exactly its third, whatever the style's paddings add.
    let place = |k: usize| {
        egui::Rect::from_min_size(
            area.min + egui::vec2(0.0, k as f32 * (h + sp)),
            egui::vec2(area.width(), h),
        )
    };
    let shown = shown(desk);
    let may_ack = console.may(Action::Acknowledge);
    // The role's refusal in the console's words (none where the role allows it).
    let refusal = super::alarm_pages::role_refusal(console, Action::Acknowledge);
    let why_not = |r: egui::Response| match &refusal {
        Some(why) => r.on_disabled_hover_text(why),
        None => r,
    };
    let target = desk
        .selected
        .clone()
        .filter(|id| desk.row(id).is_some_and(|r| r.state.is_unacked()));
    let ack = egui::Button::new(RichText::new(lang.pick("ACK", "RECON")).strong());
    if why_not(
        ui.add_enabled_ui(may_ack && target.is_some(), |ui| ui.put(place(0), ack))
            .inner,
    )
    .on_hover_text(lang.pick("Acknowledge the selected alarm", "Reconocer la alarma seleccionada"))
    .clicked()
        && let Some(id) = target
    {
        desk.acknowledge(console, vec![id]);
    }
    let page: Vec<Arc<str>> = shown
        .iter()
        .filter(|r| r.state.is_unacked())
        .map(|r| r.def.id.clone())
        .collect();
    let ack_page = egui::Button::new(RichText::new(lang.pick("ACK PAGE", "RECON PÁGINA")).strong());
    if why_not(
        ui.add_enabled_ui(may_ack && !page.is_empty(), |ui| ui.put(place(1), ack_page))
            .inner,
    )
    .on_hover_text(lang.pick(
        "Acknowledge every alarm shown in the banner",
        "Reconocer todas las alarmas del banner",
    ))
    .clicked()
    {
        desk.acknowledge(console, page);
    }
    let sounding = desk.wants_sound().is_some();
    let silence = egui::Button::new(RichText::new(lang.pick("SILENCE", "SILENCIO")).strong());
    if ui
        .add_enabled_ui(sounding, |ui| ui.put(place(2), silence))
        .inner
        .on_hover_text(lang.pick(
            "Stop the horn for the alarms sounding now",
            "Callar la bocina de las alarmas que suenan ahora",
        ))
        .clicked()
    {
        desk.silence(console);
    }
}

/// One alarm line; a touch selects it (for ACK and the summary page's actions) or clears the selection.
pub fn alarm_row_ui(ui: &mut Ui, desk: &mut AlarmDesk, r: &AlarmRow, now: Timestamp, loc: Locale) {
    let selected = desk.selected.as_deref() == Some(&*r.def.id);
    let height = row_height(ui.style());
    let (rect, _) = ui.allocate_exact_size(egui::vec2(ui.available_width(), height), Sense::hover());
    if selected {
        ui.painter().rect_filled(rect, 3.0, theme::ALARM_SELECTED);
    }
    let mut child = ui.new_child(
        egui::UiBuilder::new()
            .max_rect(rect.shrink2(egui::vec2(4.0, 1.0)))
            .layout(egui::Layout::left_to_right(egui::Align::Center)),
    );
    child.set_clip_rect(rect.intersect(ui.clip_rect()));
    alarm_line_ui(&mut child, r, now, loc);
    // Registered after the line's contents, so a touch anywhere on the line selects it.
    let resp = ui.interact(rect, ui.scope_id().with(("alarm_row", &*r.def.id)), Sense::click());
    let id = r.def.id.clone();
    resp.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, format!("alarm {id}")));
    if resp.clicked() {
        desk.selected = if selected { None } else { Some(r.def.id.clone()) };
    }
}

/// The start of an alarm's line, the same in banner and summary: indicator, time, first-out, tag, type and
/// message. The whole line is one touch target (select): selectable text would swallow the touch.
pub fn alarm_head_ui(ui: &mut Ui, r: &AlarmRow, now: Timestamp, lang: Lang) {
    ui.style_mut().interaction.selectable_labels = false;
    indicator_ui(ui, 20.0, r.def.priority, r.state, now);
    ui.label(RichText::new(r.since.to_local_hms()).monospace());
    if r.first_out {
        readout::chip_ui(ui, lang.pick("1ST OUT", "PRIMERA"), theme::ALARM_OUTLINE);
    }
    ui.label(RichText::new(&*r.def.tag_name).monospace().strong());
    ui.label(RichText::new(r.def.kind.label(lang)).monospace());
    ui.label(RichText::new(r.def.message.get(lang)).strong());
}

/// "at alarm 3400 psi": the value an alarm came in at, marked so it never reads as the value now.
pub fn at_alarm_text(value: &str, lang: Lang) -> String {
    format!("{} {value}", lang.pick("at alarm", "al activarse"))
}

/// The banner's line: the head, the value (marked once the alarm has returned), limit and state.
pub fn alarm_line_ui(ui: &mut Ui, r: &AlarmRow, now: Timestamp, loc: Locale) {
    let lang = loc.lang;
    alarm_head_ui(ui, r, now, lang);
    // The value the alarm came in at (none for a bad-quality alarm: the alarm itself says what is wrong).
    // Once the alarm has returned it is history, and marked so: it must not read as the value now.
    if let Some(value) = super::alarm_pages::alarm_value_text(r, loc) {
        if r.state == AlarmState::ReturnedUnacked {
            ui.label(
                RichText::new(at_alarm_text(&value, lang))
                    .monospace()
                    .color(theme::text_dim()),
            );
        } else {
            ui.label(RichText::new(value).monospace());
        }
    }
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
        ui.label(RichText::new(super::alarm_pages::shelf_text(s, now, lang)).color(theme::text_dim()));
    }
    if let Some(o) = &r.out_of_service {
        let by = lang.pick("by", "por");
        ui.label(RichText::new(format!("{by} {} · {}", o.by, o.reason)).color(theme::text_dim()));
    }
}
