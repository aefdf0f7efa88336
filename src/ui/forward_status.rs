//! The central store as the console shows it: a status-bar item (ok, catching up, or offline with what is
//! queued and since when) and a section of the Drivers page. Reads the forwarder's counters only; it
//! must not talk to the database.

use super::{readout, theme};
use crate::forward::stats::{ForwardReport, ForwardStats};
use crate::lang::Lang;
use crate::tag::Timestamp;
use egui::{RichText, Ui};

/// Behind by more than this, the status bar says the central store is catching up.
const BEHIND_US: i64 = 60_000_000;

/// "45 s", "12 min", "3 h 20 min", "2 d 4 h".
pub fn span_text(us: i64) -> String {
    let s = us.max(0) / 1_000_000;
    match s {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min", s / 60),
        s if s < 86_400 => format!("{} h {} min", s / 3600, s % 3600 / 60),
        s => format!("{} d {} h", s / 86_400, s % 86_400 / 3600),
    }
}

/// "8507 · 12 s": samples queued and the oldest one's age; short, the status bar is shared (the hover
/// says what the figures are).
fn queued_text(r: &ForwardReport, now: Timestamp) -> String {
    format!("{} · {}", r.backlog_samples, span_text(r.lag_us(now.0)))
}

/// The status bar's item.
pub fn status_bar_ui(ui: &mut Ui, f: &ForwardStats, now: Timestamp, lang: Lang) {
    let r = f.report();
    ui.separator();
    let hover = match &r.last_error {
        Some(e) => format!("{}: {e}", r.target),
        None => r.target.clone(),
    };
    if !r.connected && r.last_error.is_some() {
        readout::chip_ui(
            ui,
            lang.pick("CENTRAL NOT FORWARDING", "CENTRAL SIN REENVÍO"),
            theme::QUALITY_STALE,
        );
        let kept = lang.pick(
            "Samples waiting, and the age of the oldest. History is kept here and sent, oldest first, when the central database takes it again.",
            "Muestras en espera, y la antigüedad de la más vieja. El histórico se guarda aquí y se envía, lo más antiguo primero, cuando la base central vuelva a recibirlo.",
        );
        ui.label(RichText::new(queued_text(&r, now)).color(theme::text_dim()))
            .on_hover_text(format!("{kept}\n{hover}"));
    } else if !r.connected {
        ui.label(RichText::new(lang.pick("central: connecting", "central: conectando")).color(theme::text_dim()))
            .on_hover_text(&hover);
    } else if r.lag_us(now.0) > BEHIND_US {
        ui.label(
            RichText::new(format!(
                "{} {}",
                lang.pick("central catching up, queued:", "central poniéndose al día, en cola:"),
                queued_text(&r, now)
            ))
            .color(theme::text_dim()),
        )
        .on_hover_text(&hover);
    } else {
        let sent = lang.pick("samples sent to", "muestras enviadas a");
        ui.label(RichText::new(lang.pick("central ok", "central ok")).color(theme::text_dim()))
            .on_hover_text(format!("{} {sent} {}", r.samples_sent, r.target));
    }
}

/// The Drivers page's section.
pub fn drivers_section_ui(ui: &mut Ui, f: &ForwardStats, now: Timestamp, lang: Lang) {
    let r = f.report();
    ui.strong(lang.pick("Central store (forwarding)", "Almacén central (reenvío)"));
    ui.add_space(4.0);
    egui::Grid::new("forward")
        .striped(true)
        .num_columns(2)
        .spacing([18.0, 4.0])
        .show(ui, |ui| {
            let row = |ui: &mut Ui, k: &str, v: String| {
                ui.label(k);
                ui.label(v);
                ui.end_row();
            };
            row(ui, lang.pick("Database", "Base de datos"), r.target.clone());
            ui.label(lang.pick("State", "Estado"));
            if r.connected {
                ui.label(lang.pick("connected", "conectada"));
            } else {
                readout::chip_ui(ui, lang.pick("OFFLINE", "SIN ENLACE"), theme::QUALITY_STALE);
            }
            ui.end_row();
            let oldest = r
                .oldest_unsent_us
                .map_or("–".to_owned(), |_| span_text(r.lag_us(now.0)));
            row(
                ui,
                lang.pick("Samples queued", "Muestras en cola"),
                r.backlog_samples.to_string(),
            );
            row(ui, lang.pick("Oldest queued", "Más antigua en cola"), oldest);
            row(
                ui,
                lang.pick("Records queued", "Registros en cola"),
                r.backlog_records.to_string(),
            );
            row(
                ui,
                lang.pick("Sent this run", "Enviado en esta sesión"),
                format!(
                    "{} {} · {} {}",
                    r.samples_sent,
                    lang.pick("samples", "muestras"),
                    r.records_sent,
                    lang.pick("records", "registros")
                ),
            );
            let last = r.last_sent_us.map_or_else(
                || lang.pick("never", "nunca").to_owned(),
                |t| readout::age_text(now, Timestamp(t), lang),
            );
            row(ui, lang.pick("Last batch", "Último lote"), last);
            row(
                ui,
                lang.pick("Link failures", "Fallos de enlace"),
                r.failures.to_string(),
            );
        });
    if let Some(e) = &r.last_error {
        ui.label(RichText::new(e.as_str()).color(theme::QUALITY_BAD));
    }
}

#[cfg(test)]
mod tests {
    use super::span_text;

    #[test]
    fn spans_read_as_people_say_them() {
        assert_eq!(span_text(45_000_000), "45 s");
        assert_eq!(span_text(12 * 60_000_000), "12 min");
        assert_eq!(span_text((3 * 3600 + 20 * 60) * 1_000_000), "3 h 20 min");
        assert_eq!(span_text((2 * 86_400 + 4 * 3600) * 1_000_000), "2 d 4 h");
        assert_eq!(span_text(-5), "0 s");
    }
}
