//! Driver health: state, rate, counters and the last error of every driver.

use super::{readout, theme};
use crate::driver::DriverState;
use crate::hub::Snapshot;
use egui::{RichText, Ui};

pub fn drivers_ui(ui: &mut Ui, snap: &Snapshot) {
    ui.heading("Drivers");
    ui.add_space(6.0);
    egui::Grid::new("drivers")
        .striped(true)
        .num_columns(7)
        .spacing([18.0, 6.0])
        .show(ui, |ui| {
            for h in [
                "Driver",
                "Kind",
                "State",
                "Samples/s",
                "Samples in",
                "Dropped",
                "Last error / detail",
            ] {
                ui.strong(h);
            }
            ui.end_row();
            for d in &snap.drivers {
                ui.label(RichText::new(&d.name).monospace());
                ui.label(d.kind);
                driver_state_ui(ui, d.state);
                ui.label(format!("{:.0}", d.rate_per_sec));
                ui.label(d.samples_in.to_string());
                ui.label(d.samples_dropped.to_string());
                ui.vertical(|ui| {
                    if let Some(e) = &d.last_error {
                        ui.label(RichText::new(e.as_str()).color(theme::QUALITY_BAD));
                    }
                    if let Some(detail) = &d.detail {
                        ui.label(detail.as_str());
                    }
                });
                ui.end_row();
            }
        });
    ui.add_space(12.0);
    let c = snap.counters;
    ui.label(format!(
        "Hub: {} samples in ({:.0}/s), {} dropped at the driver queues, {} operator commands ({} not delivered).",
        c.samples_in, c.samples_per_sec, c.samples_dropped, c.commands_in, c.commands_failed
    ));
}

/// RUNNING is plain text (normal needs no colour); anything else is a chip.
pub fn driver_state_ui(ui: &mut Ui, state: DriverState) {
    match state {
        DriverState::Running => {
            ui.label(RichText::new(state.label()).color(theme::STATE_OK));
        }
        DriverState::Starting | DriverState::Degraded => readout::chip_ui(ui, state.label(), theme::QUALITY_UNCERTAIN),
        DriverState::Failed | DriverState::Stopped => readout::chip_ui(ui, state.label(), theme::QUALITY_BAD),
    }
}
