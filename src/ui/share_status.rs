//! The site's other consoles, as the share link knows them (Drivers page): the link to the broker, what
//! crossed it, each console online or not and the trips latched there. Shown, never acted on: another
//! console's trips are its own plant's. Reads the link's counters only; must not touch the link.

use super::{readout, theme};
use crate::lang::Lang;
use crate::share::ShareStats;
use crate::tag::Timestamp;
use egui::{RichText, Ui};
use std::sync::atomic::Ordering::Relaxed;

pub fn drivers_section_ui(ui: &mut Ui, s: &ShareStats, lang: Lang) {
    ui.strong(lang.pick(
        "Site consoles (shared alarms)",
        "Consolas del sitio (alarmas compartidas)",
    ));
    ui.add_space(4.0);
    egui::Grid::new("share")
        .striped(true)
        .num_columns(2)
        .spacing([18.0, 4.0])
        .show(ui, |ui| {
            ui.label(lang.pick("Broker", "Bróker"));
            ui.label(format!(
                "{} · {} {}",
                s.broker,
                lang.pick("this console:", "esta consola:"),
                s.console
            ));
            ui.end_row();
            ui.label(lang.pick("State", "Estado"));
            if s.connected.load(Relaxed) {
                ui.label(lang.pick("connected", "conectado"));
            } else {
                readout::chip_ui(ui, lang.pick("OFFLINE", "SIN ENLACE"), theme::QUALITY_STALE);
            }
            ui.end_row();
            ui.label(lang.pick("Actions", "Acciones"));
            ui.label(format!(
                "{} {} · {} {} · {} {}",
                s.sent.load(Relaxed),
                lang.pick("sent", "enviadas"),
                s.applied.load(Relaxed),
                lang.pick("from others", "de otras"),
                s.refused.load(Relaxed),
                lang.pick("refused", "rechazadas")
            ));
            ui.end_row();
            let peers = s
                .peers
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .clone();
            let trips = s
                .peer_trips
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .clone();
            for (name, online) in &peers {
                ui.label(RichText::new(name).monospace());
                ui.horizontal(|ui| {
                    if *online {
                        ui.label(lang.pick("online", "en línea"));
                    } else {
                        readout::chip_ui(ui, lang.pick("OFFLINE", "SIN ENLACE"), theme::QUALITY_STALE);
                    }
                    for l in trips.get(name).into_iter().flatten() {
                        let what = if l.cause == "estop" {
                            lang.pick("E-STOP", "PARO DE EMERGENCIA")
                        } else {
                            lang.pick("TRIPPED", "DISPARADO")
                        };
                        let name = if lang == Lang::Es && !l.name_es.is_empty() {
                            &l.name_es
                        } else {
                            &l.name
                        };
                        readout::chip_ui(ui, &format!("{what}: {name}"), theme::QUALITY_BAD);
                        ui.label(
                            RichText::new(format!(
                                "{} {}",
                                lang.pick("since", "desde"),
                                Timestamp(l.at).to_local_hms()
                            ))
                            .color(theme::text_dim()),
                        );
                    }
                });
                ui.end_row();
            }
        });
    if let Some(e) = s
        .last_error
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .as_deref()
    {
        ui.label(RichText::new(e).color(theme::QUALITY_BAD));
    }
    ui.label(
        RichText::new(lang.pick(
            "Another console's trips are its own plant's: they are reset there, never here.",
            "Los disparos de otra consola son de su planta: se restablecen allí, nunca aquí.",
        ))
        .color(theme::text_dim()),
    );
}
