//! The P&ID screen painter: draws a `screen::Screen` from the current snapshot with egui's painter,
//! scaled to the space it is given, with breadcrumbs and navigation above it.
//!
//! Owns only view state (which screen, the way back, animation phases, a command awaiting confirmation).
//! Reads the snapshot it is handed (`DrawCtx`) and returns what the operator asked for (`ScreenAction`);
//! it never sends anything itself. Bad, stale and missing values are drawn as such: a symbol whose inputs
//! are not good gets a dashed quality frame and its code, and its motion stops.
//!
//! One job per module: `navigation` (which screen, the way back, breadcrumbs), `canvas` (fitting a screen
//! to its space, the elements in order, and the small painted parts every element uses), `symbol` (the
//! symbol painter: parts, bindings, motion), `lines` (process lines with their flow, static boxes and texts), `scale` (ticks and numbers in round steps of the units
//! shown), `instruments` (value boxes, bars, gauges), `tile_trends` (well tiles, sparklines and embedded
//! trends, drawn from recent history) and `commands` (command buttons, setpoints and their confirmation).
//! None of them imports the console's context: a screen is drawn the same in the console, a screenshot
//! and a bench.

mod canvas;
mod commands;
mod instruments;
mod lines;
mod navigation;
mod scale;
mod symbol;
mod tile_trends;

pub use canvas::{Fit, canvas_in, canvas_ui};
pub use navigation::{ScreenView, screen_page_ui};
pub use symbol::symbol_preview;

use super::alarm_symbol::AlarmMarks;
use super::screen_history::LiveHistory;
use crate::hub::Snapshot;
use crate::lang::Lang;
use crate::locale::Locale;
use crate::tag::{TagId, Timestamp, Value};
use crate::units::UnitSystem;

/// What the operator asked for on a screen.
#[derive(Debug, Clone, PartialEq)]
pub enum ScreenAction {
    /// A confirmed command button: write `value` to `tag` as the console's user.
    Write { tag: TagId, value: Value },
    /// Open these tags on the Trends page.
    Trend(Vec<TagId>),
    /// Open this screen in a window of its own (another monitor).
    NewWindow(String),
    /// Open this screen in the editor (the page checks the role).
    Edit(String),
}

/// Everything a screen is drawn from in one frame.
pub struct DrawCtx<'a> {
    pub snap: &'a Snapshot,
    pub marks: &'a AlarmMarks,
    /// Every alarm that is not normal (`AlarmView::rows`): a tile writes its asset's most urgent one.
    pub alarm_rows: &'a [crate::alarm::AlarmRow],
    pub now: Timestamp,
    pub lang: Lang,
    /// Oilfield or SI: values, scales and typed setpoints are shown in these.
    pub units: UnitSystem,
    pub history: &'a LiveHistory,
    /// The user may send commands (role); buttons are disabled otherwise.
    pub may_command: bool,
    /// Touch mode: keypad keys of at least 15 mm.
    pub touch: bool,
    /// The header offers Edit (the main display; not a screen window or a screenshot).
    pub editable: bool,
}

impl DrawCtx<'_> {
    pub fn loc(&self) -> Locale {
        Locale {
            lang: self.lang,
            units: self.units,
        }
    }
}
