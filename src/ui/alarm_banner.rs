//! The alarm banner: the strip on top of every screen. Counts per priority, flood and sound status, the
//! most important alarms (unacknowledged first, then priority, then newest) with first-out marked, and
//! one-touch ACK (selected alarm), ACK PAGE (the alarms shown) and SILENCE.

use super::alarm_desk::AlarmDesk;
use super::alarm_symbol::indicator_ui;
use super::{readout, theme};
use crate::alarm::annunciator::HornState;
use crate::alarm::{AlarmRow, AlarmState, Priority};
use crate::auth::Action;
use crate::lang::Lang;
use crate::tag::Timestamp;
use egui::{RichText, Sense, Ui};
use std::sync::Arc;

/// Alarm lines the banner shows.
pub const BANNER_ROWS: usize = 3;
pub const ROW_HEIGHT: f32 = 26.0;

/// Height of the banner panel, fixed so the page below never jumps when alarms come and go.
pub fn banner_height(desk: &AlarmDesk) -> f32 {
    let problems = if desk.config_problems.is_empty() { 0.0 } else { 24.0 };
    34.0 + BANNER_ROWS as f32 * ROW_HEIGHT + problems + 8.0
}

/// What the banner asks of the shell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BannerAction {
    None,
    OpenSummary,
    ShowNotGood,
}

pub fn banner_ui(ui: &mut Ui, desk: &mut AlarmDesk, not_good: usize, now: Timestamp) -> BannerAction {
    let mut action = BannerAction::None;
    let shown: Vec<AlarmRow> = desk
        .view
        .rows
        .iter()
        .filter(|r| r.state.is_annunciated())
        .take(BANNER_ROWS)
        .cloned()
        .collect();
    let lang = desk.lang();
    ui.horizontal(|ui| {
        ui.set_height(30.0);
        ui.label(
            RichText::new(lang.pick("ALARMS", "ALARMAS"))
                .strong()
                .size(theme::TEXT_HEADING),
        );
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
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if not_good > 0 {
                let button = egui::Button::new(
                    RichText::new(format!(
                        "{not_good} {}",
                        lang.pick("tags not good", "tags con calidad mala")
                    ))
                    .color(theme::ON_CHIP)
                    .strong(),
                )
                .fill(theme::QUALITY_BAD);
                if ui
                    .add(button)
                    .on_hover_text(lang.pick("Show them in the tag browser", "Verlos en el explorador de tags"))
                    .clicked()
                {
                    action = BannerAction::ShowNotGood;
                }
            }
            let sounding = desk.wants_sound().is_some();
            let silence = egui::Button::new(RichText::new(lang.pick("SILENCE", "SILENCIO")).strong())
                .min_size(egui::vec2(96.0, 28.0));
            if ui
                .add_enabled(sounding, silence)
                .on_hover_text(lang.pick(
                    "Stop the horn for the alarms sounding now",
                    "Callar la bocina de las alarmas que suenan ahora",
                ))
                .clicked()
            {
                desk.silence();
            }
            let page: Vec<Arc<str>> = shown
                .iter()
                .filter(|r| r.state.is_unacked())
                .map(|r| r.def.id.clone())
                .collect();
            let may_ack = desk.may(Action::Acknowledge);
            let not_allowed = format!(
                "{} ({}) {}",
                desk.settings.actor.user,
                desk.settings.actor.role,
                lang.pick("may not acknowledge", "no puede reconocer")
            );
            let ack_page = egui::Button::new(RichText::new(lang.pick("ACK PAGE", "RECON PÁGINA")).strong())
                .min_size(egui::vec2(96.0, 28.0));
            if ui
                .add_enabled(may_ack && !page.is_empty(), ack_page)
                .on_hover_text(lang.pick(
                    "Acknowledge every alarm shown in the banner",
                    "Reconocer todas las alarmas del banner",
                ))
                .on_disabled_hover_text(&not_allowed)
                .clicked()
            {
                desk.acknowledge(page);
            }
            let target = desk
                .selected
                .clone()
                .filter(|id| desk.row(id).is_some_and(|r| r.state.is_unacked()));
            let ack =
                egui::Button::new(RichText::new(lang.pick("ACK", "RECON")).strong()).min_size(egui::vec2(72.0, 28.0));
            if ui
                .add_enabled(may_ack && target.is_some(), ack)
                .on_hover_text(lang.pick("Acknowledge the selected alarm", "Reconocer la alarma seleccionada"))
                .on_disabled_hover_text(&not_allowed)
                .clicked()
                && let Some(id) = target
            {
                desk.acknowledge(vec![id]);
            }
            let more = desk
                .view
                .rows
                .iter()
                .filter(|r| r.state.is_annunciated())
                .count()
                .saturating_sub(shown.len());
            let summary = lang.pick("Alarm summary", "Resumen de alarmas");
            let label = if more > 0 {
                format!("{summary} (+{more})")
            } else {
                summary.to_owned()
            };
            if ui.button(label).clicked() {
                action = BannerAction::OpenSummary;
            }
            if let Some(n) = &desk.notice {
                ui.label(RichText::new(n).color(theme::text_dim()));
            }
        });
    });
    for r in &shown {
        alarm_row_ui(ui, desk, r, now);
    }
    for _ in shown.len()..BANNER_ROWS {
        ui.allocate_exact_size(egui::vec2(ui.available_width(), ROW_HEIGHT), Sense::hover());
    }
    if !desk.config_problems.is_empty() {
        ui.horizontal(|ui| {
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

/// One alarm line; a touch selects it (for ACK and the summary page's actions) or clears the selection.
pub fn alarm_row_ui(ui: &mut Ui, desk: &mut AlarmDesk, r: &AlarmRow, now: Timestamp) {
    let selected = desk.selected.as_deref() == Some(&*r.def.id);
    let (rect, _) = ui.allocate_exact_size(egui::vec2(ui.available_width(), ROW_HEIGHT), Sense::hover());
    if selected {
        ui.painter().rect_filled(rect, 3.0, theme::ALARM_SELECTED);
    }
    let mut child = ui.new_child(
        egui::UiBuilder::new()
            .max_rect(rect.shrink2(egui::vec2(4.0, 1.0)))
            .layout(egui::Layout::left_to_right(egui::Align::Center)),
    );
    alarm_line_ui(&mut child, desk, r, now);
    // Registered after the line's contents, so a touch anywhere on the line selects it.
    let resp = ui.interact(rect, ui.scope_id().with(("alarm_row", &*r.def.id)), Sense::click());
    let id = r.def.id.clone();
    resp.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, format!("alarm {id}")));
    if resp.clicked() {
        desk.selected = if selected { None } else { Some(r.def.id.clone()) };
    }
}

/// Indicator, time, first-out, tag, type, message, value and state: the same line in banner and summary.
pub fn alarm_line_ui(ui: &mut Ui, desk: &AlarmDesk, r: &AlarmRow, now: Timestamp) {
    // The whole line is one touch target (select); selectable text would swallow the touch.
    ui.style_mut().interaction.selectable_labels = false;
    let loc = desk.locale();
    let lang = loc.lang;
    indicator_ui(ui, 20.0, r.def.priority, r.state, now);
    ui.label(RichText::new(r.since.to_local_hms()).monospace());
    if r.first_out {
        readout::chip_ui(ui, lang.pick("1ST OUT", "PRIMERA"), theme::ALARM_OUTLINE);
    }
    ui.label(RichText::new(&*r.def.tag_name).monospace().strong());
    ui.label(RichText::new(r.def.kind.label(lang)).monospace());
    ui.label(RichText::new(r.def.message.get(lang)).strong());
    let value = match &r.value {
        // A bad-quality alarm's last value is not news (and looks live); the alarm itself says what is wrong.
        _ if matches!(r.def.kind, crate::alarm::def::AlarmKind::BadQuality) => String::new(),
        v => loc.value_text(&r.def.unit, v.as_ref(), r.def.decimals),
    };
    ui.label(RichText::new(value).monospace());
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
        let until = lang.pick("until", "hasta");
        let text = format!("{until} {} · {} · {}", s.until.to_local_hms(), s.by, s.reason);
        ui.label(RichText::new(text).color(theme::text_dim()));
    }
    if let Some(o) = &r.out_of_service {
        let by = lang.pick("by", "por");
        ui.label(RichText::new(format!("{by} {} · {}", o.by, o.reason)).color(theme::text_dim()));
    }
}
