//! Value readouts that never let bad or stale data look live: a good value is plain dark text; any
//! other quality dims the value and puts a labelled chip beside it (COMM FAIL, STALE, ...).

use super::theme;
use crate::lang::Lang;
use crate::locale::Locale;
use crate::tag::{BadReason, Quality, TagDef, TagState, Timestamp};
use egui::{Align, Layout, RichText, Ui};

/// The value as text with its unit in the console's units, or "----" when there has never been one.
pub fn value_text(def: &TagDef, state: &TagState, loc: Locale) -> String {
    loc.value_text(&def.unit, state.value.as_ref(), def.decimals)
}

pub fn chip_colour(q: Quality) -> Option<egui::Color32> {
    match q {
        Quality::Good => None,
        Quality::Uncertain => Some(theme::QUALITY_UNCERTAIN),
        Quality::Bad(BadReason::Stale) => Some(theme::QUALITY_STALE),
        Quality::Bad(_) => Some(theme::QUALITY_BAD),
    }
}

/// A small filled label: the one shape used for every "needs attention" marker.
pub fn chip_ui(ui: &mut Ui, text: &str, fill: egui::Color32) {
    egui::Frame::default()
        .fill(fill)
        .corner_radius(3.0)
        .inner_margin(egui::Margin::symmetric(5, 1))
        .show(ui, |ui| {
            ui.label(
                RichText::new(text)
                    .color(theme::ON_CHIP)
                    .size(theme::TEXT_SMALL)
                    .strong(),
            );
        });
}

/// The quality code as a chip; nothing for good data.
pub fn quality_chip_ui(ui: &mut Ui, q: Quality, lang: Lang) {
    if let Some(fill) = chip_colour(q) {
        chip_ui(ui, q.label(lang), fill);
    }
}

/// Value (right-aligned, monospace) plus quality chip.
pub fn readout_ui(ui: &mut Ui, def: &TagDef, state: &TagState, loc: Locale) {
    ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
        quality_chip_ui(ui, state.quality, loc.lang);
        let text = RichText::new(value_text(def, state, loc))
            .monospace()
            .size(theme::TEXT_VALUE);
        let text = if state.quality.is_good() {
            text.color(theme::value()).strong()
        } else {
            text.color(theme::text_dim()).italics()
        };
        ui.label(text);
    });
}

/// "0.4 s ago", "12 min ago": how old the last update is, by the console's clock.
pub fn age_text(now: Timestamp, then: Timestamp, lang: Lang) -> String {
    if then == Timestamp::ZERO {
        return lang.pick("never", "nunca").to_owned();
    }
    let s = now.saturating_since(then).as_secs_f64();
    let (n, unit) = if s < 60.0 {
        (format!("{s:.1}"), "s")
    } else if s < 3600.0 {
        (format!("{:.0}", s / 60.0), "min")
    } else {
        (format!("{:.1}", s / 3600.0), "h")
    };
    match lang {
        Lang::En => format!("{n} {unit} ago"),
        Lang::Es => format!("hace {n} {unit}"),
    }
}
