//! Alarm pages: the summary (filter, sort, acknowledge, shelve, out-of-service), the journal (search),
//! and the performance KPIs. Actions go through `AlarmDesk`; the hub decides (and journals) the outcome.

use super::alarm_banner::{ROW_HEIGHT, alarm_row_ui};
use super::alarm_desk::{AlarmDesk, Dialog, SortKey, StateFilter};
use super::alarm_symbol::indicator_ui;
use super::{readout, theme};
use crate::alarm::journal::display_value;
use crate::alarm::{AlarmRow, AlarmState, Priority};
use crate::auth::Action;
use crate::tag::Timestamp;
use egui::{RichText, Ui};
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

pub fn summary_ui(ui: &mut Ui, desk: &mut AlarmDesk, now: Timestamp) {
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
    ui.horizontal(|ui| {
        let l = ui.label("Filter:");
        ui.add(
            egui::TextEdit::singleline(&mut desk.filter_text)
                .hint_text("tag, message, area")
                .desired_width(260.0),
        )
        .labelled_by(l.id);
        egui::ComboBox::from_label("shown")
            .selected_text(desk.filter_state.label())
            .show_ui(ui, |ui| {
                for f in StateFilter::ALL {
                    ui.selectable_value(&mut desk.filter_state, f, f.label());
                }
            });
        ui.label("Sort:");
        for (k, label) in [
            (SortKey::Banner, "Banner order"),
            (SortKey::Time, "Time"),
            (SortKey::Priority, "Priority"),
            (SortKey::Tag, "Tag"),
            (SortKey::State, "State"),
        ] {
            ui.selectable_value(&mut desk.sort, k, label);
        }
        let page: Vec<Arc<str>> = rows
            .iter()
            .filter(|r| r.state.is_unacked())
            .map(|r| r.def.id.clone())
            .collect();
        if ui
            .add_enabled(
                desk.may(Action::Acknowledge) && !page.is_empty(),
                egui::Button::new(format!("Acknowledge page ({})", page.len())),
            )
            .clicked()
        {
            desk.acknowledge(page);
        }
    });
    ui.label(
        RichText::new(format!(
            "{} of {} alarms not normal · {} points configured · acting as {} ({})",
            rows.len(),
            desk.view.rows.len(),
            desk.view.points,
            desk.settings.actor.user,
            desk.settings.actor.role
        ))
        .color(theme::text_dim()),
    );
    ui.separator();
    let detail_h = if desk.selected.is_some() { 190.0 } else { 0.0 };
    let table_h = (ui.available_height() - detail_h).max(120.0);
    ui.allocate_ui(egui::vec2(ui.available_width(), table_h), |ui| {
        egui::ScrollArea::vertical()
            .auto_shrink([false, false])
            .show_rows(ui, ROW_HEIGHT, rows.len(), |ui, range| {
                for r in &rows[range] {
                    alarm_row_ui(ui, desk, r, now);
                }
            });
    });
    if let Some(id) = desk.selected.clone() {
        ui.separator();
        match desk.row(&id).cloned() {
            Some(r) => detail_ui(ui, desk, &r, now),
            None => {
                ui.label(RichText::new(format!("{id} has returned to normal")).color(theme::text_dim()));
            }
        }
    }
    dialog_ui(ui, desk);
}

fn state_rank(s: AlarmState) -> u8 {
    AlarmState::ALL.iter().position(|x| *x == s).unwrap_or(0) as u8
}

fn detail_ui(ui: &mut Ui, desk: &mut AlarmDesk, r: &AlarmRow, now: Timestamp) {
    let lang = desk.lang();
    let role = desk.settings.actor.role;
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
            ui.label(RichText::new("Priority / state").color(theme::text_dim()));
            ui.label(format!(
                "{} · {} since {}",
                r.def.priority.name(),
                r.state.code(),
                r.since.to_local_hms()
            ));
            ui.end_row();
            ui.label(RichText::new("Area / asset").color(theme::text_dim()));
            ui.label(format!("{} / {}", r.def.area, r.def.asset));
            ui.end_row();
            if !r.def.consequence.is_empty() {
                ui.label(RichText::new("Consequence").color(theme::text_dim()));
                ui.label(r.def.consequence.get(lang));
                ui.end_row();
            }
            if !r.def.response.is_empty() {
                ui.label(RichText::new("Operator response").color(theme::text_dim()));
                ui.label(RichText::new(r.def.response.get(lang)).strong());
                ui.end_row();
            }
        });
    ui.horizontal(|ui| {
        let can_ack = r.state.is_unacked() && role.may(Action::Acknowledge);
        if ui.add_enabled(can_ack, egui::Button::new("Acknowledge")).clicked() {
            let comment = std::mem::take(&mut desk.ack_comment);
            desk.acknowledge_with(vec![r.def.id.clone()], comment);
        }
        if can_ack {
            let l = ui.label("Comment:");
            ui.add(
                egui::TextEdit::singleline(&mut desk.ack_comment)
                    .hint_text("optional, kept in the journal")
                    .desired_width(260.0),
            )
            .labelled_by(l.id);
        }
        if r.state == AlarmState::Shelved {
            if ui
                .add_enabled(role.may(Action::Shelve), egui::Button::new("Unshelve"))
                .clicked()
            {
                desk.unshelve(r.def.id.clone());
            }
        } else if r.state != AlarmState::OutOfService
            && ui
                .add_enabled(
                    r.def.shelvable && role.may(Action::Shelve),
                    egui::Button::new("Shelve…"),
                )
                .on_disabled_hover_text("Not allowed for this alarm or your role")
                .clicked()
        {
            desk.dialog = Some(Dialog::Shelve {
                id: r.def.id.clone(),
                reason: String::new(),
                minutes: 60.min(r.def.max_shelve.as_secs() / 60),
            });
        }
        if r.state == AlarmState::OutOfService {
            if ui
                .add_enabled(role.may(Action::OutOfService), egui::Button::new("Return to service"))
                .clicked()
            {
                desk.return_to_service(r.def.id.clone());
            }
        } else if ui
            .add_enabled(role.may(Action::OutOfService), egui::Button::new("Out of service…"))
            .on_disabled_hover_text("Needs a supervisor, engineer or admin")
            .clicked()
        {
            desk.dialog = Some(Dialog::OutOfService {
                id: r.def.id.clone(),
                reason: String::new(),
            });
        }
        if let Some(n) = &desk.notice {
            ui.label(RichText::new(n).color(theme::text_dim()));
        }
    });
}

fn dialog_ui(ui: &mut Ui, desk: &mut AlarmDesk) {
    let Some(mut d) = desk.dialog.take() else { return };
    let max_min = match &d {
        Dialog::Shelve { id, .. } | Dialog::OutOfService { id, .. } => {
            desk.row(id).map_or(720, |r| r.def.max_shelve.as_secs() / 60)
        }
    };
    let mut keep = true;
    let mut confirm = false;
    egui::Modal::new(egui::Id::unique("alarm_dialog")).show(ui.ctx(), |ui| {
        ui.set_width(460.0);
        match &mut d {
            Dialog::Shelve { id, reason, minutes } => {
                ui.heading(format!("Shelve {id}"));
                ui.label("The alarm leaves the banner and comes back by itself when the time is over.");
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
                let l = ui.label("Reason (required):");
                ui.add(egui::TextEdit::singleline(reason).desired_width(440.0))
                    .labelled_by(l.id);
                confirm_row(ui, !reason.trim().is_empty(), "Shelve", &mut confirm, &mut keep);
            }
            Dialog::OutOfService { id, reason } => {
                ui.heading(format!("Take {id} out of service"));
                ui.label(
                    "It stays out of service until someone returns it. Use for maintenance or a failed instrument.",
                );
                let l = ui.label("Reason (required):");
                ui.add(egui::TextEdit::singleline(reason).desired_width(440.0))
                    .labelled_by(l.id);
                confirm_row(
                    ui,
                    !reason.trim().is_empty(),
                    "Take out of service",
                    &mut confirm,
                    &mut keep,
                );
            }
        }
    });
    if confirm {
        match d {
            Dialog::Shelve { id, reason, minutes } => desk.shelve(id, minutes, reason),
            Dialog::OutOfService { id, reason } => desk.remove_from_service(id, reason),
        }
    } else if keep {
        desk.dialog = Some(d);
    }
}

fn confirm_row(ui: &mut Ui, ready: bool, label: &str, confirm: &mut bool, keep: &mut bool) {
    ui.horizontal(|ui| {
        if ui
            .add_enabled(ready, egui::Button::new(RichText::new(label).strong()))
            .clicked()
        {
            *confirm = true;
        }
        if ui.button("Cancel").clicked() {
            *keep = false;
        }
    });
}

pub fn log_ui(ui: &mut Ui, desk: &mut AlarmDesk, now: Timestamp) {
    ui.horizontal(|ui| {
        let l = ui.label("Search the journal:");
        ui.add(
            egui::TextEdit::singleline(&mut desk.log_query)
                .hint_text("tag, alarm, user, message, e.g. esp03 shelved")
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
    desk.ask_log(now);
    let lang = desk.lang();
    let rows = match &desk.log {
        None => {
            ui.label(RichText::new("reading the journal…").color(theme::text_dim()));
            return;
        }
        Some(Err(e)) => {
            ui.label(RichText::new(e).color(theme::QUALITY_BAD));
            return;
        }
        Some(Ok(rows)) => rows,
    };
    ui.label(
        RichText::new(format!(
            "{} events (newest first, at most {})",
            rows.len(),
            super::alarm_desk::LOG_LIMIT
        ))
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
                "Time",
                "Event",
                "Alarm",
                "Priority",
                "State",
                "Value",
                "User",
                "Message / comment",
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
                    ui.label(r.kind.code());
                });
                row.col(|ui| {
                    ui.label(RichText::new(r.alarm.as_deref().unwrap_or("—")).monospace());
                });
                row.col(|ui| {
                    ui.label(r.priority.map_or("", Priority::name));
                });
                row.col(|ui| {
                    ui.label(RichText::new(r.state.code()).size(theme::TEXT_SMALL));
                });
                row.col(|ui| {
                    ui.label(RichText::new(r.value.as_deref().map(display_value).unwrap_or_default()).monospace());
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

pub fn kpi_ui(ui: &mut Ui, desk: &mut AlarmDesk, now: Timestamp) {
    ui.horizontal(|ui| {
        ui.label("Window:");
        for h in [8, 24, 24 * 7, 24 * 30] {
            let label = if h < 24 {
                format!("last {h} h")
            } else {
                format!("last {} d", h / 24)
            };
            ui.selectable_value(&mut desk.kpi_hours, h, label);
        }
    });
    desk.ask_kpi(now);
    let k = match &desk.kpi {
        None => {
            ui.label(RichText::new("computing…").color(theme::text_dim()));
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
                row(ui, "Alarms", k.activations.to_string(), "", false);
                row(
                    ui,
                    "Alarms per 10 min (mean)",
                    format!("{:.2}", k.per_10_min_mean),
                    "EEMUA 191: about 1 is manageable",
                    k.per_10_min_mean > 2.0,
                );
                row(
                    ui,
                    "Alarms per 10 min (max)",
                    k.per_10_min_max.to_string(),
                    "more than 10 is a flood",
                    k.per_10_min_max > 10,
                );
                row(
                    ui,
                    "Time in flood",
                    format!("{:.1} %", k.flood_percent),
                    "ISA-18.2: below 1 %",
                    k.flood_percent > 1.0,
                );
                row(
                    ui,
                    "Chattering alarms",
                    k.chattering.len().to_string(),
                    "3 or more in 1 min: fix deadband or delay",
                    !k.chattering.is_empty(),
                );
                row(
                    ui,
                    "Stale alarms",
                    k.stale.len().to_string(),
                    "active for more than 24 h",
                    !k.stale.is_empty(),
                );
            });
        ui.add_space(8.0);
        ui.heading("Priority distribution");
        for (p, c, pc) in &k.priorities {
            ui.horizontal(|ui| {
                indicator_ui(ui, 18.0, *p, AlarmState::ActiveAcked, now);
                ui.label(RichText::new(format!("{:<10} {c:>6}  {pc:5.1} %", p.name())).monospace());
                let (rect, _) = ui.allocate_exact_size(egui::vec2(300.0, 12.0), egui::Sense::hover());
                ui.painter().rect_filled(rect, 2.0, theme::tile());
                let mut bar = rect;
                bar.set_width(rect.width() * (*pc as f32 / 100.0));
                ui.painter().rect_filled(bar, 2.0, theme::alarm_colour(*p));
            });
        }
        ui.label(RichText::new("ISA-18.2 aim: about 5 % high, 15 % medium, 80 % low").color(theme::text_dim()));
        ui.add_space(8.0);
        ui.heading("Top 10 most frequent");
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
            ui.heading("Chattering");
            for c in &k.chattering {
                ui.label(format!("{}: {} in one minute", c.alarm, c.max_per_minute));
            }
        }
        if !k.floods.is_empty() {
            ui.add_space(8.0);
            ui.heading("Flood periods");
            for f in &k.floods {
                ui.label(format!(
                    "{} – {}: {} alarms",
                    local_time(f.start),
                    local_time(f.end),
                    f.alarms
                ));
            }
        }
        if !k.stale.is_empty() {
            ui.add_space(8.0);
            ui.heading("Stale alarms");
            for (a, since) in &k.stale {
                ui.label(format!("{a}: active since {}", local_time(*since)));
            }
        }
    });
}
