//! The console's pages: which there are (`Page`, in the navigation's order, with their names), what every
//! page is drawn from in one frame (`FrameInputs`), and the one shape every page has (`PageView`, as
//! egui's demo gives every panel one `ui` method). The shell (`app`) picks the page by `Page` and calls its
//! `ui` with the console's context; a page asks for what only the shell owns (another page, the trend, a
//! window) by returning a `ShellAction`.
//!
//! Owns no state and draws nothing; it must not know any page's insides.

use super::context::Console;
use super::screen_history::LiveHistory;
use crate::alarm::AlarmView;
use crate::hub::Snapshot;
use crate::lang::Lang;
use crate::screen::ScreenSet;
use crate::tag::{TagId, Timestamp};
use egui::Ui;

/// A page of the console, as the navigation names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    /// The project's P&ID screens (`screens/`).
    Display,
    Overview,
    Alarms,
    AlarmLog,
    AlarmKpi,
    Tags,
    Trends,
    /// CT string engineering: fatigue map, depth plot with its broomstick, pipe limits, hydraulics.
    CtString,
    /// CT jobs: planned in the office, run from the cab, closed with a signed ticket.
    Job,
    /// Producing wells: the field table, well tests, inflow curves, ESPs on their curves, decline (only on a
    /// site with `[production]`).
    Production,
    Drivers,
    Simulator,
    Trips,
    Audit,
}

impl Page {
    /// Every page, in the navigation's order.
    pub const ALL: [Page; 14] = [
        Page::Display,
        Page::Overview,
        Page::Alarms,
        Page::AlarmLog,
        Page::AlarmKpi,
        Page::Trips,
        Page::Tags,
        Page::Trends,
        Page::CtString,
        Page::Job,
        Page::Production,
        Page::Drivers,
        Page::Simulator,
        Page::Audit,
    ];

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Page::Display => lang.pick("Displays", "Pantallas"),
            Page::Overview => lang.pick("Overview", "Vista general"),
            Page::Alarms => lang.pick("Alarms", "Alarmas"),
            Page::AlarmLog => lang.pick("Alarm log", "Diario de alarmas"),
            Page::AlarmKpi => lang.pick("Alarm KPIs", "KPI de alarmas"),
            Page::Tags => "Tags",
            Page::Trends => lang.pick("Trends", "Tendencias"),
            Page::CtString => lang.pick("CT string", "Sarta de TF"),
            Page::Job => lang.pick("Jobs", "Trabajos"),
            Page::Production => lang.pick("Production", "Producción"),
            Page::Drivers => lang.pick("Drivers", "Drivers"),
            Page::Simulator => lang.pick("Simulator", "Simulador"),
            Page::Trips => lang.pick("Trips", "Disparos"),
            Page::Audit => lang.pick("Audit", "Auditoría"),
        }
    }
}

/// What every page reads in one frame, taken once at the frame's start: one snapshot, one reading of the
/// console's clock, one alarm view, so two parts of a frame never disagree.
pub struct FrameInputs<'a> {
    pub snap: &'a Snapshot,
    pub now: Timestamp,
    /// The alarm system's view (empty without an alarm system): marks on tags, rows for tiles.
    pub alarms: &'a AlarmView,
    /// The project's screens.
    pub screens: &'a ScreenSet,
    /// Recent values of the screens' tags (sparklines, embedded trends).
    pub live: &'a LiveHistory,
    /// The tags that are pens on the trend (marked on their rows in the tag browser).
    pub on_trend: &'a [String],
}

/// What a page asks of the shell: the things only the shell owns (the page shown, the trend, windows).
#[derive(Debug, Clone, PartialEq)]
pub enum ShellAction {
    /// Put a tag on the trend and say so; the page stays (a tag's row).
    AddPen(TagId),
    /// Put these tags on the trend and show the Trends page (a screen's embedded trend).
    Trend(Vec<TagId>),
    /// Open this screen in a window of its own (another monitor).
    NewWindow(String),
}

/// A page of the console, drawn in the main window's middle.
pub trait PageView {
    /// Draws the page into `ui` for this frame. Commands go out through `console` (with their notices);
    /// what only the shell can do comes back.
    fn ui(&mut self, ui: &mut Ui, console: &mut Console, frame: &FrameInputs<'_>) -> Option<ShellAction>;
}
