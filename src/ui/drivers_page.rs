//! Driver health: state, rate, counters and the last error of every driver (a page, and a part a screen
//! may embed).

use super::context::Console;
use super::page::{FrameInputs, PageView, ShellAction};
use super::{readout, theme};
use crate::driver::{DriverState, WaitingForBirth};
use crate::hub::Snapshot;
use crate::lang::Lang;
use egui::{RichText, Ui};

/// The Drivers page: the drivers, the forwarding to the central store and the HTTP API when the site has
/// them.
pub struct DriversPage {
    pub forward: Option<std::sync::Arc<crate::forward::ForwardStats>>,
    pub api: Option<crate::api::ApiStatus>,
    pub share: Option<std::sync::Arc<crate::share::ShareStats>>,
}

impl PageView for DriversPage {
    fn ui(&mut self, ui: &mut Ui, console: &mut Console, frame: &FrameInputs<'_>) -> Option<ShellAction> {
        let lang = console.lang();
        egui::ScrollArea::both().auto_shrink([false, false]).show(ui, |ui| {
            drivers_contents_ui(ui, frame.snap, lang);
            if let Some(f) = &self.forward {
                ui.add_space(12.0);
                super::forward_status::drivers_section_ui(ui, f, frame.now, lang);
            }
            if let Some(a) = &self.api {
                ui.add_space(12.0);
                api_section_ui(ui, a, lang);
            }
            if let Some(s) = &self.share {
                ui.add_space(12.0);
                super::share_status::drivers_section_ui(ui, s, lang);
            }
        });
        None
    }
}

/// The read-only HTTP API: where it listens and what it answered since the console started.
fn api_section_ui(ui: &mut Ui, a: &crate::api::ApiStatus, lang: Lang) {
    use std::sync::atomic::Ordering::Relaxed;
    ui.strong(lang.pick("HTTP API (read-only)", "API HTTP (solo lectura)"));
    ui.add_space(4.0);
    let s = &a.stats;
    egui::Grid::new("api")
        .striped(true)
        .num_columns(2)
        .spacing([18.0, 4.0])
        .show(ui, |ui| {
            let mut row = |k: &str, v: String| {
                ui.label(k);
                ui.label(v);
                ui.end_row();
            };
            row(lang.pick("Listening on", "Escucha en"), a.url.clone());
            row(
                lang.pick("Requests", "Solicitudes"),
                s.requests.load(Relaxed).to_string(),
            );
            row(
                lang.pick("Refused (4xx)", "Rechazadas (4xx)"),
                s.refused.load(Relaxed).to_string(),
            );
            row(
                lang.pick("Without a valid token", "Sin token válido"),
                s.unauthorized.load(Relaxed).to_string(),
            );
            row(
                lang.pick("Busy (503)", "Ocupada (503)"),
                s.busy.load(Relaxed).to_string(),
            );
            row(
                lang.pick("Failed (5xx)", "Fallidas (5xx)"),
                s.failed.load(Relaxed).to_string(),
            );
        });
}

/// Driver health. Error and detail texts are the drivers' own (protocol and OS messages, in English).
pub fn drivers_ui(ui: &mut Ui, snap: &Snapshot, lang: Lang) {
    egui::ScrollArea::both()
        .auto_shrink([false, false])
        .show(ui, |ui| drivers_contents_ui(ui, snap, lang));
}

fn drivers_contents_ui(ui: &mut Ui, snap: &Snapshot, lang: Lang) {
    ui.heading("Drivers");
    ui.add_space(6.0);
    egui::Grid::new("drivers")
        .striped(true)
        .num_columns(8)
        .spacing([18.0, 6.0])
        .show(ui, |ui| {
            for h in [
                "Driver",
                lang.pick("Kind", "Tipo"),
                lang.pick("State", "Estado"),
                lang.pick("Samples/s", "Muestras/s"),
                lang.pick("In / coalesced", "Entradas / fusionadas"),
                lang.pick("Requests/s", "Peticiones/s"),
                lang.pick("Round trip", "Ida y vuelta"),
                lang.pick("Errors / exceptions", "Errores / excepciones"),
            ] {
                ui.strong(h);
            }
            ui.end_row();
            for d in &snap.drivers {
                ui.label(RichText::new(&d.name).monospace());
                ui.label(d.kind);
                driver_state_ui(ui, d.state, lang);
                ui.label(format!("{:.0}", d.rate_per_sec));
                // Coalesced: replaced by a newer value of the same tag while the hub was behind (the newest always
                // arrives; history misses the replaced ones).
                let coalesced = ui.label(format!("{} / {}", d.samples_in, d.samples_coalesced));
                if d.samples_coalesced > 0 {
                    coalesced.on_hover_text(lang.pick(
                        "Samples replaced by a newer value of the same tag while the console was behind: the newest value always arrives, history misses the replaced ones.",
                        "Muestras reemplazadas por un valor más nuevo de la misma señal mientras la consola estaba atrasada: el valor más nuevo siempre llega, el histórico pierde las reemplazadas.",
                    ));
                }
                // Only polling drivers (Modbus) make requests; the others' traffic is their samples.
                if let Some(rate) = d.requests_per_sec {
                    ui.label(format!("{rate:.0}"));
                } else {
                    ui.label("–");
                }
                // Publish/subscribe drivers (MQTT, OPC UA notifications) have messages, not round trips.
                match d.last_rtt_ms {
                    Some(ms) if ms > 0.0 => ui.label(format!("{ms:.2} ms")),
                    _ => ui.label("–"),
                };
                ui.label(format!("{} / {}", d.errors, d.exceptions));
                ui.end_row();
            }
        });
    // Details and errors below the table: inside it, one long line would widen a column and push the
    // counters off screen.
    ui.add_space(8.0);
    for d in snap.drivers.iter().filter(|d| {
        d.last_error.is_some() || d.detail.is_some() || !d.waiting_for_birth.is_empty() || d.events_lost > 0
    }) {
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(&d.name).monospace());
            ui.vertical(|ui| {
                if let Some(e) = &d.last_error {
                    ui.label(RichText::new(e.as_str()).color(theme::QUALITY_BAD));
                }
                if let Some(detail) = &d.detail {
                    ui.label(detail.as_str());
                }
                if d.events_lost > 0 {
                    // A write's confirmation that never came back: its toast waits until it times out.
                    ui.label(RichText::new(events_lost_text(d.events_lost, lang)).color(theme::QUALITY_BAD));
                }
                // Without this an edge node that has not announced itself is just tags with no data.
                for w in d.waiting_for_birth.iter() {
                    ui.label(waiting_for_birth_text(w, lang));
                }
            });
        });
        ui.add_space(4.0);
    }
    ui.add_space(12.0);
    let c = snap.counters;
    ui.label(match lang {
        Lang::En => format!(
            "Hub: {} samples in ({:.0}/s), {} coalesced while behind, {} operator commands ({} not delivered), {} write outcomes lost.",
            c.samples_in, c.samples_per_sec, c.samples_coalesced, c.commands_in, c.commands_failed, c.events_lost
        ),
        Lang::Es => format!(
            "Hub: {} muestras recibidas ({:.0}/s), {} fusionadas por atraso, {} comandos de operador ({} no entregados), {} resultados de escritura perdidos.",
            c.samples_in, c.samples_per_sec, c.samples_coalesced, c.commands_in, c.commands_failed, c.events_lost
        ),
    });
    ui.add_space(12.0);
    ui.strong(lang.pick(
        "Command outcomes (newest first)",
        "Resultado de comandos (más recientes primero)",
    ));
    if snap.events.is_empty() {
        ui.label(RichText::new(lang.pick("No commands yet", "Aún no hay comandos")).color(theme::text_dim()));
    }
    for e in snap.events.iter().rev().take(20) {
        ui.horizontal(|ui| {
            ui.label(RichText::new(e.at.to_local_hms()).monospace().color(theme::text_dim()));
            ui.label(RichText::new(&e.source).monospace());
            if e.ok {
                ui.label(&e.text);
            } else {
                readout::chip_ui(ui, lang.pick("FAILED", "FALLÓ"), theme::QUALITY_BAD);
                ui.label(&e.text);
            }
        });
    }
}

/// "waiting for birth of G/N (rebirth asked 3 times)", in the operator's language.
fn waiting_for_birth_text(w: &WaitingForBirth, lang: Lang) -> String {
    let n = w.rebirths_asked;
    match lang {
        Lang::En => format!(
            "waiting for birth of {} (rebirth asked {n} {})",
            w.node,
            if n == 1 { "time" } else { "times" }
        ),
        Lang::Es => format!(
            "esperando el nacimiento de {} (renacimiento pedido {n} {})",
            w.node,
            if n == 1 { "vez" } else { "veces" }
        ),
    }
}

/// RUNNING is plain text (normal needs no colour); anything else is a chip.
pub fn driver_state_ui(ui: &mut Ui, state: DriverState, lang: Lang) {
    let label = state.label_in(lang);
    match state {
        DriverState::Running => {
            ui.label(RichText::new(label).color(theme::STATE_OK));
        }
        DriverState::Starting | DriverState::Degraded => readout::chip_ui(ui, label, theme::QUALITY_UNCERTAIN),
        DriverState::Failed | DriverState::Stopped => readout::chip_ui(ui, label, theme::QUALITY_BAD),
    }
}

/// A driver whose event queue was full lost the outcomes of some writes.
fn events_lost_text(n: u64, lang: Lang) -> String {
    match lang {
        Lang::En => format!("{n} write outcomes lost: the driver's event queue was full"),
        Lang::Es => format!("{n} resultados de escritura perdidos: la cola de eventos del driver estaba llena"),
    }
}
