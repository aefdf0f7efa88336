//! The field overview: one tile per device with every signal and its quality, so an operator sees
//! the whole site at a glance. (P&ID screens from `screens/` replace it as the site's L1 display later;
//! this stays as the generic fallback for any project.)

use super::alarm_symbol::{AlarmMarks, indicator_ui};
use super::context::Console;
use super::page::{FrameInputs, PageView, ShellAction};
use super::{readout, theme};
use crate::hub::Snapshot;
use crate::locale::Locale;
use crate::tag::Timestamp;
use egui::{RichText, Ui};

/// Tile width: label, value and a quality chip side by side.
const TILE_WIDTH: f32 = 380.0;
const TILE_GAP: f32 = 10.0;
/// Frame margin and stroke on both sides of a tile.
const TILE_CHROME: f32 = 22.0;

/// The Overview page: it keeps no state of its own.
pub struct OverviewPage;

impl PageView for OverviewPage {
    fn ui(&mut self, ui: &mut Ui, console: &mut Console, frame: &FrameInputs<'_>) -> Option<ShellAction> {
        overview_ui(ui, frame.snap, &frame.alarms.tag_marks, frame.now, console.locale());
        None
    }
}

fn overview_ui(ui: &mut Ui, snap: &Snapshot, marks: &AlarmMarks, now: Timestamp, loc: Locale) {
    let devices = snap.directory.devices();
    let per_row = ((ui.available_width() + TILE_GAP) / (TILE_WIDTH + TILE_CHROME + TILE_GAP))
        .floor()
        .max(1.0) as usize;
    egui::ScrollArea::vertical().auto_shrink([false, false]).show(ui, |ui| {
        ui.spacing_mut().item_spacing = egui::vec2(TILE_GAP, TILE_GAP);
        for row in devices.chunks(per_row) {
            ui.horizontal_top(|ui| {
                for device in row {
                    tile_ui(ui, snap, device, marks, now, loc);
                }
            });
        }
    });
}

fn tile_ui(ui: &mut Ui, snap: &Snapshot, device: &str, marks: &AlarmMarks, now: Timestamp, loc: Locale) {
    let tags: Vec<_> = snap.directory.iter().filter(|d| d.device() == device).collect();
    egui::Frame::default()
        .fill(theme::tile())
        .stroke(egui::Stroke::new(1.0, theme::tile_stroke()))
        .corner_radius(4.0)
        .inner_margin(10.0)
        .show(ui, |ui| {
            ui.set_width(TILE_WIDTH);
            ui.vertical(|ui| tile_contents_ui(ui, snap, device, &tags, marks, now, loc));
        });
}

fn tile_contents_ui(
    ui: &mut Ui,
    snap: &Snapshot,
    device: &str,
    tags: &[&crate::tag::TagDef],
    marks: &AlarmMarks,
    now: Timestamp,
    loc: Locale,
) {
    let bad = tags
        .iter()
        .filter(|d| snap.get(d.id).is_some_and(|s| !s.quality.is_good()))
        .count();
    ui.horizontal(|ui| {
        ui.label(RichText::new(device.to_uppercase()).size(theme::TEXT_HEADING).strong());
        if bad > 0 {
            ui.label(
                RichText::new(format!("{bad} {}", loc.pick("not good", "con calidad mala")))
                    .color(theme::QUALITY_BAD)
                    .size(theme::TEXT_SMALL),
            );
        }
    });
    ui.separator();
    egui::Grid::new(("tile", device))
        .num_columns(2)
        .spacing([8.0, 3.0])
        .show(ui, |ui| {
            for def in tags.iter().copied() {
                let Some(state) = snap.get(def.id) else {
                    continue;
                };
                ui.horizontal(|ui| {
                    match marks.get(&def.id) {
                        Some((p, st)) => {
                            indicator_ui(ui, 18.0, *p, *st, now);
                        }
                        None => {
                            ui.add_space(18.0 + ui.spacing().item_spacing.x);
                        }
                    }
                    ui.label(RichText::new(def.label_in(loc.lang)).color(theme::text_dim()))
                        .on_hover_text(format!("{}\n{}", def.name, def.description_in(loc.lang)));
                });
                readout::readout_ui(ui, def, state, loc);
                ui.end_row();
            }
        });
}
