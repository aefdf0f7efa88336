//! The console shell: alarm banner strip, navigation, status bar and the page in the middle.
//!
//! Reads one snapshot per frame (`ArcSwap::load_full`, never blocks) and sends operator commands over
//! a bounded channel (`try_send`, never blocks). It owns only view state.

use super::alarm_desk::{AlarmDesk, ConsoleSettings};
use super::alarm_pages::{kpi_ui, log_ui, summary_ui};
use super::audit_page::{AuditPage, audit_ui};
use super::drivers_page::{driver_state_ui, drivers_ui};
use super::frame_stats::FrameStats;
use super::notices::Notices;
use super::overview::overview_ui;
use super::screen_history::LiveHistory;
use super::screen_view::{DrawCtx, ScreenAction, ScreenView, screen_page_ui};
use super::screen_windows::{ScreenLayout, ScreenWindows};
use super::session::{self, Session};
use super::simulator_page::{SimulatorInfo, SimulatorPageState, simulator_ui};
use super::tag_browser::{TagAction, TagBrowserState, tag_browser_ui};
use super::top_bar::{self, TopAction};
use super::trend_page::{TrendPageState, trend_page_ui};
use super::trip_panel::{self, TripDesk};
use super::{readout, theme};
use crate::historian::HistorianStats;
use crate::historian::reader::TrendReader;
use crate::hub::{HubCommand, Snapshot, SnapshotCell};
use crate::lang::Lang;
use crate::locale::Locale;
use crate::runtime::AlarmHandle;
use crate::screen::{ScreenCell, ScreenSet};
use crate::tag::Timestamp;
use crate::trip::TripViewCell;
use crate::units::UnitSystem;
use egui::{RichText, Ui};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

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
    Drivers,
    Simulator,
    Trips,
    Audit,
}

impl Page {
    const ALL: [Page; 11] = [
        Page::Display,
        Page::Overview,
        Page::Alarms,
        Page::AlarmLog,
        Page::AlarmKpi,
        Page::Trips,
        Page::Tags,
        Page::Trends,
        Page::Drivers,
        Page::Simulator,
        Page::Audit,
    ];

    fn label(self, lang: Lang) -> &'static str {
        match self {
            Page::Display => lang.pick("Displays", "Pantallas"),
            Page::Overview => lang.pick("Overview", "Vista general"),
            Page::Alarms => lang.pick("Alarms", "Alarmas"),
            Page::AlarmLog => lang.pick("Alarm log", "Diario de alarmas"),
            Page::AlarmKpi => lang.pick("Alarm KPIs", "KPI de alarmas"),
            Page::Tags => "Tags",
            Page::Trends => lang.pick("Trends", "Tendencias"),
            Page::Drivers => lang.pick("Drivers", "Drivers"),
            Page::Simulator => lang.pick("Simulator", "Simulador"),
            Page::Trips => lang.pick("Trips", "Disparos"),
            Page::Audit => lang.pick("Audit", "Auditoría"),
        }
    }
}

/// F1 … F12, in order: the screens' shortcuts.
const F_KEYS: [egui::Key; 12] = [
    egui::Key::F1,
    egui::Key::F2,
    egui::Key::F3,
    egui::Key::F4,
    egui::Key::F5,
    egui::Key::F6,
    egui::Key::F7,
    egui::Key::F8,
    egui::Key::F9,
    egui::Key::F10,
    egui::Key::F11,
    egui::Key::F12,
];

/// A hub that has not published for this long is shown as not updating.
const HUB_SILENT_AFTER: Duration = Duration::from_secs(2);

/// What the console needs from the running system.
pub struct ConsoleInputs {
    pub site_name: String,
    pub snapshot: SnapshotCell,
    pub commands: crate::runtime::Commands,
    pub simulator: Option<SimulatorInfo>,
    /// The console's clock (injected so tests and snapshots are deterministic).
    pub clock: Arc<dyn Fn() -> Timestamp + Send + Sync>,
    /// The history database trends read (`None`: live data only).
    pub history: Option<PathBuf>,
    /// The historian's counters, for the status bar (`None`: no historian).
    pub history_stats: Option<Arc<HistorianStats>>,
    /// The alarm system's view, file problems and journal (`None`: no alarm engine).
    pub alarms: Option<AlarmHandle>,
    /// Trips and E-stops (`None`: no trip engine).
    pub trips: Option<TripViewCell>,
    /// The project's screens (empty: the console opens on the generic overview).
    pub screens: ScreenCell,
    /// Problems in edited screen files, shown over the screen (`None`: files are not watched).
    pub screen_problems: Option<crate::project::ConfigProblems>,
    pub settings: ConsoleSettings,
}

/// A pending question for the screens' recent history (its own reader: the Trends page's reader keeps
/// only its newest question, and would drop this one).
struct Seed {
    reader: TrendReader,
    tags: Vec<crate::tag::TagId>,
}

/// Measurement mode: run for a while, write frame statistics, close.
#[derive(Debug, Clone, Default)]
pub struct MeasureOptions {
    pub exit_after: Option<Duration>,
    pub frame_stats: Option<PathBuf>,
}

pub struct ConsoleApp {
    themed: bool,
    inputs: ConsoleInputs,
    page: Page,
    tags: TagBrowserState,
    trend: TrendPageState,
    reader: Option<TrendReader>,
    simulator: SimulatorPageState,
    desk: AlarmDesk,
    trips: TripDesk,
    session: Session,
    audit: AuditPage,
    display: ScreenView,
    windows: ScreenWindows,
    /// Recent values of the screens' tags (sparklines, embedded trends), for this set of screens.
    live: LiveHistory,
    live_for: Arc<ScreenSet>,
    /// The screens' recent history, asked for once after a start or a new set of screens.
    seed: Option<Seed>,
    seed_wanted: bool,
    notices: Notices,
    /// The page menu is open (cab panels: the pages do not fit on one row).
    page_menu: bool,
    frames: FrameStats,
    started: Instant,
    measure: MeasureOptions,
}

impl ConsoleApp {
    pub fn new(inputs: ConsoleInputs, measure: MeasureOptions) -> Self {
        let reader = inputs.history.clone().and_then(|p| {
            TrendReader::start(p)
                .map_err(|e| tracing::error!(error = %e, "trend queries unavailable"))
                .ok()
        });
        let mut settings = inputs.settings.clone();
        if settings.users.is_some() {
            // Logins: nobody acts until someone logs in.
            settings.actor = session::view_only();
        }
        let session = Session::new(
            settings.users.clone(),
            settings.idle_logout,
            settings.backoff_after,
            inputs.commands.clone(),
        );
        let audit = AuditPage::new(settings.audit.clone());
        let desk = AlarmDesk::new(inputs.alarms.as_ref(), settings, inputs.commands.clone());
        let trips = TripDesk::new(inputs.trips.clone(), inputs.commands.clone());
        let screens = inputs.screens.load_full();
        let page = if screens.is_empty() {
            Page::Overview
        } else {
            Page::Display
        };
        let layout_file = inputs.settings.layout.clone();
        let layout = layout_file.as_deref().map(ScreenLayout::read).unwrap_or_default();
        let windows = ScreenWindows::new(layout, layout_file);
        Self {
            themed: false,
            desk,
            trips,
            session,
            audit,
            inputs,
            page,
            display: ScreenView::default(),
            windows,
            live: live_history(&screens),
            live_for: screens,
            seed: None,
            seed_wanted: true,
            notices: Notices::default(),
            page_menu: false,
            tags: TagBrowserState::default(),
            trend: TrendPageState::default(),
            reader,
            simulator: SimulatorPageState::default(),
            frames: FrameStats::default(),
            started: Instant::now(),
            measure,
        }
    }

    pub fn page(&self) -> Page {
        self.page
    }

    pub fn trend(&self) -> &TrendPageState {
        &self.trend
    }

    pub fn alarms(&self) -> &AlarmDesk {
        &self.desk
    }

    pub fn alarms_mut(&mut self) -> &mut AlarmDesk {
        &mut self.desk
    }

    pub fn trips(&self) -> &TripDesk {
        &self.trips
    }

    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The user acting at this console now.
    pub fn actor(&self) -> &crate::auth::Actor {
        &self.desk.settings.actor
    }

    /// Draws one frame of the whole console into `ui`.
    pub fn console_ui(&mut self, ui: &mut Ui) {
        let t0 = Instant::now();
        if !self.themed {
            theme::apply(ui.ctx(), self.desk.settings.touch, self.desk.settings.sunlight);
            self.themed = true;
        }
        let snap = self.inputs.snapshot.load_full();
        let now = (self.inputs.clock)();
        let screens = self.inputs.screens.load_full();
        if !Arc::ptr_eq(&screens, &self.live_for) {
            self.live = live_history(&screens);
            self.live_for = screens.clone();
            self.seed_wanted = true;
        }
        self.live.collect(&snap);
        self.seed_live_history(&snap, now);
        self.screen_keys_ui(ui, &screens);
        self.trend.collect(&snap);
        self.desk.begin_frame();
        self.trips.begin_frame();
        self.trips.loc = self.desk.locale();
        self.session.lang = self.desk.lang();
        self.session.tick(ui, &mut self.desk.settings.actor, now);
        let loc = self.desk.locale();
        let lang = loc.lang;
        let not_good = snap.tags.iter().filter(|t| !t.quality.is_good()).count();
        let top = top_bar::top_panel(ui, "top_bar", &mut self.desk, &mut self.trips, not_good, now);
        self.top_action(top);
        egui::Panel::top("navigation")
            .frame(
                egui::Frame::default()
                    .fill(theme::panel())
                    .inner_margin(egui::Margin::symmetric(10, 6)),
            )
            .show(ui, |ui| self.nav_ui(ui, now));
        let status_h = egui::Panel::bottom("status_bar")
            .frame(
                egui::Frame::default()
                    .fill(theme::panel())
                    .inner_margin(egui::Margin::symmetric(10, 4)),
            )
            .show(ui, |ui| self.status_ui(ui, &snap, now))
            .response
            .rect
            .height();
        egui::CentralPanel::default()
            .frame(egui::Frame::default().fill(theme::background()).inner_margin(10.0))
            .show(ui, |ui| match self.page {
                Page::Display => self.display_ui(ui, &screens, &snap, now, loc),
                Page::Overview => overview_ui(ui, &snap, &self.desk.view.tag_marks, now, loc),
                Page::Alarms => summary_ui(ui, &mut self.desk, &snap, now),
                Page::AlarmLog => log_ui(ui, &mut self.desk, now, &snap.directory),
                Page::AlarmKpi => kpi_ui(ui, &mut self.desk, now),
                Page::Tags => {
                    self.tags.touch = self.desk.settings.touch;
                    self.tags.loc = loc;
                    self.tags.on_trend = self.trend.pens().map(str::to_owned).collect();
                    let marks = &self.desk.view.tag_marks;
                    let actor = self.desk.settings.actor.clone();
                    let may_write = actor.role.may(crate::auth::Action::WriteSetpoint);
                    match tag_browser_ui(ui, &mut self.tags, &snap, now, marks, may_write) {
                        Some(TagAction::Trend(id)) => {
                            if let Some(def) = snap.directory.get(id) {
                                self.trend.put_on_trend(&def.name, lang);
                            }
                        }
                        Some(TagAction::Write(tag, value)) => {
                            send_write(&mut self.notices, &self.inputs.commands, &snap, tag, value, actor, loc);
                        }
                        None => {}
                    }
                }
                Page::Trends => trend_page_ui(ui, &mut self.trend, &snap, now, self.reader.as_ref(), loc),
                Page::Drivers => drivers_ui(ui, &snap, lang),
                Page::Trips => {
                    trip_panel::trips_ui(ui, &mut self.trips, &self.desk.settings.actor, &snap.directory, now)
                }
                Page::Audit => audit_ui(ui, &mut self.audit, lang),
                Page::Simulator => simulator_ui(
                    ui,
                    &mut self.simulator,
                    self.inputs.simulator.as_ref(),
                    &self.inputs.commands,
                    &snap,
                    &self.desk.settings.actor,
                    loc,
                ),
            });
        self.screen_windows_ui(ui, &screens, &snap, now, loc, not_good);
        if self.trips.dialog_viewport() == egui::ViewportId::ROOT {
            trip_panel::dialog_ui(ui.ctx(), &mut self.trips, &self.desk.settings.actor, lang);
        }
        self.session.dialog_ui(ui.ctx(), &self.desk.settings.actor, lang);
        self.notices_ui(ui.ctx(), &snap, status_h);
        self.frames.record(t0.elapsed());
    }

    pub fn display(&self) -> &ScreenView {
        &self.display
    }

    /// What the screens' sparklines and embedded trends hold.
    pub fn live_history(&self) -> &LiveHistory {
        &self.live
    }

    /// Asks the historian (on a query thread of its own) for the span the screens' sparklines and trends
    /// show, and puts the answer in front of the live points when it comes. A second set of screens
    /// waits for the first answer rather than drop a reader mid-query (dropping joins its thread).
    fn seed_live_history(&mut self, snap: &Snapshot, now: Timestamp) {
        let now_s = now.as_secs_f64();
        if let Some(s) = &self.seed
            && let Some(answer) = s.reader.poll()
        {
            for (tag, pen) in s.tags.iter().zip(&answer.pens) {
                if let Ok(crate::historian::reader::PenData::Time { segments, .. }) = pen {
                    self.live.seed(*tag, segments, now_s);
                }
            }
            self.seed = None;
        }
        if !self.seed_wanted || self.seed.is_some() {
            return;
        }
        self.seed_wanted = false;
        let Some(path) = self.inputs.history.clone() else {
            return;
        };
        let (tags, pens): (Vec<crate::tag::TagId>, Vec<String>) = self
            .live
            .tags()
            .iter()
            .filter_map(|t| snap.directory.get(*t).map(|d| (*t, d.name.clone())))
            .unzip();
        if tags.is_empty() {
            return;
        }
        let reader = match TrendReader::start(path) {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(error = %e, "screen history not seeded: no query thread");
                return;
            }
        };
        let keep = self.live.keep_s();
        reader.request(crate::historian::reader::TrendRequest {
            generation: 0,
            query: crate::historian::reader::TrendQuery::Time {
                pens,
                from: ((now_s - keep) * 1e6) as i64,
                to: (now_s * 1e6) as i64,
                // about a point a second, as the live collection keeps
                width: keep as usize,
            },
        });
        self.seed = Some(Seed { reader, tags });
    }

    /// F1–F12 open the screens that name them (from any page); Alt+Left goes back, Alt+Up to the parent.
    fn screen_keys_ui(&mut self, ui: &Ui, screens: &ScreenSet) {
        if screens.is_empty() {
            return;
        }
        let (f, back, up) = ui.input(|i| {
            let f = F_KEYS.iter().position(|k| i.key_pressed(*k)).map(|n| n as u8 + 1);
            let alt = i.modifiers.alt;
            (
                f,
                alt && i.key_pressed(egui::Key::ArrowLeft),
                alt && i.key_pressed(egui::Key::ArrowUp),
            )
        });
        if let Some(n) = f
            && let Some(s) = screens.by_shortcut(crate::screen::def::Shortcut::F(n))
        {
            self.display.open(&s.id);
            self.page = Page::Display;
        }
        if self.page == Page::Display {
            if back {
                self.display.go_back();
            }
            if up {
                self.display.go_up(screens);
            }
        }
    }

    fn display_ui(&mut self, ui: &mut Ui, screens: &ScreenSet, snap: &Snapshot, now: Timestamp, loc: Locale) {
        let lang = loc.lang;
        if let Some(p) = &self.inputs.screen_problems {
            let problems = p.load_full();
            if let Some(first) = problems.first() {
                ui.horizontal(|ui| {
                    readout::chip_ui(
                        ui,
                        lang.pick("SCREEN FILE PROBLEM", "PROBLEMA EN ARCHIVO DE PANTALLA"),
                        theme::QUALITY_BAD,
                    );
                    let more = match problems.len() {
                        1 => String::new(),
                        n => format!(" ({} {} {})", lang.pick("and", "y"), n - 1, lang.pick("more", "más")),
                    };
                    // A screen added since the start (bound to tags a restart brings in) has no last good
                    // version: it is not shown until fixed.
                    let meanwhile = crate::screen::WhileBroken::of(first, screens).text(lang);
                    ui.label(RichText::new(format!("{first}{more}: {meanwhile}")).monospace())
                        .on_hover_text(problems.join("\n"));
                });
            }
        }
        let cx = draw_ctx(&self.desk, &self.live, snap, now, loc);
        let action = screen_page_ui(ui, screens, &mut self.display, &cx);
        self.screen_action_ui(ui, action, snap);
    }

    /// The screens open in windows of their own (drawn after the main window's panels).
    /// The screens open in windows of their own (drawn after the main window's panels), each with the
    /// same top bar as the main window: alarms, trips and the E-STOP buttons are in every window.
    fn screen_windows_ui(
        &mut self,
        ui: &Ui,
        screens: &ScreenSet,
        snap: &Snapshot,
        now: Timestamp,
        loc: Locale,
        not_good: usize,
    ) {
        self.windows.save_when_settled();
        if self.windows.is_empty() {
            return;
        }
        let mut top_action = TopAction::None;
        // The screens read the alarm marks from their own handle on the view, so the top bar may hold
        // the desk mutably while they draw.
        let view = self.desk.view.clone();
        let cx = DrawCtx {
            snap,
            marks: &view.tag_marks,
            alarm_rows: &view.rows,
            now,
            lang: loc.lang,
            units: loc.units,
            history: &self.live,
            may_command: self.desk.settings.actor.role.may(crate::auth::Action::CommandEquipment),
            touch: self.desk.settings.touch,
        };
        let (desk, trips, notices) = (&mut self.desk, &mut self.trips, &mut self.notices);
        let mut top = |ui: &mut Ui, window: egui::ViewportId| {
            let a = top_bar::top_panel(ui, ("window_top_bar", window), desk, trips, not_good, now);
            if a != TopAction::None {
                top_action = a;
            }
            if trips.dialog_viewport() == window {
                trip_panel::dialog_ui(ui.ctx(), trips, &desk.settings.actor, loc.lang);
            }
            // What became of an action shows in every window, wherever the operator is looking.
            notices.show(ui.ctx(), egui::Id::unique(("notices", window)), 8.0);
        };
        let action = self
            .windows
            .show(ui.ctx(), screens, &self.inputs.site_name, &cx, &mut top);
        self.top_action(top_action);
        self.screen_action_ui(ui, action, snap);
    }

    /// What the top bar (of any window) asked for.
    fn top_action(&mut self, action: TopAction) {
        match action {
            TopAction::None => {}
            TopAction::OpenSummary => self.page = Page::Alarms,
            TopAction::OpenTrips => self.page = Page::Trips,
            TopAction::ShowNotGood => {
                self.tags.only_not_good = true;
                self.tags.query.clear();
                self.page = Page::Tags;
            }
        }
    }

    /// Every desk's newest notice becomes a toast; the toasts follow their writes and fade.
    fn notices_ui(&mut self, ctx: &egui::Context, snap: &Snapshot, bottom_gap: f32) {
        for n in [
            self.desk.notice.take(),
            self.trips.notice.take(),
            self.trend.notice.take(),
        ]
        .into_iter()
        .flatten()
        {
            self.notices.say(n);
        }
        self.notices.update(snap, self.desk.lang());
        self.notices.show(ctx, egui::Id::unique("notices"), bottom_gap);
    }

    /// The notices showing now (toasts), oldest first.
    pub fn notices(&self) -> &Notices {
        &self.notices
    }

    pub fn notices_mut(&mut self) -> &mut Notices {
        &mut self.notices
    }

    pub fn screen_windows(&self) -> &ScreenWindows {
        &self.windows
    }

    /// What an operator asked for on a screen, in the main window or another one.
    fn screen_action_ui(&mut self, ui: &Ui, action: Option<ScreenAction>, snap: &Snapshot) {
        if action.is_some() {
            ui.ctx().request_repaint(); // the page it leads to, or its toast, without waiting for data
        }
        let loc = self.desk.locale();
        match action {
            Some(ScreenAction::Write { tag, value }) => {
                let by = self.desk.settings.actor.clone();
                send_write(&mut self.notices, &self.inputs.commands, snap, tag, value, by, loc);
            }
            Some(ScreenAction::Trend(tags)) => {
                let mut added = Vec::new();
                for id in tags {
                    if let Some(def) = snap.directory.get(id)
                        && self.trend.add_pen(&def.name, loc.lang).is_ok()
                    {
                        added.push(def.name.clone());
                    }
                }
                let from = loc.pick("from the screen", "desde la pantalla");
                self.trend.notice = Some(format!("{from}: {}", added.join(", ")));
                self.page = Page::Trends;
            }
            Some(ScreenAction::NewWindow(screen)) => self.windows.open(&screen),
            None => {}
        }
    }

    /// Site, pages, and on the right the session, touch switch and clock. The pages are one row of tabs
    /// where they fit; where they do not (touch mode's large targets on a cab panel) they fold into one
    /// menu button naming the page shown, so the bar stays one row high and the screen keeps its space.
    fn nav_ui(&mut self, ui: &mut Ui, now: Timestamp) {
        let lang = self.desk.lang();
        let touch = self.desk.settings.touch;
        egui::Sides::new().shrink_left().show(
            ui,
            |ui| {
                let site = RichText::new(&self.inputs.site_name).size(theme::TEXT_HEADING).strong();
                let has_screens = !self.live_for.is_empty();
                let pages: Vec<Page> = Page::ALL
                    .into_iter()
                    .filter(|p| *p != Page::Display || has_screens)
                    .collect();
                let site_w = ui.ctx().fonts_mut(|f| {
                    f.layout_no_wrap(
                        self.inputs.site_name.clone(),
                        egui::FontId::proportional(theme::TEXT_HEADING),
                        egui::Color32::PLACEHOLDER,
                    )
                    .size()
                    .x
                });
                if site_w + 16.0 + tabs_width(ui, &pages, lang) <= ui.available_width() {
                    self.page_menu = false;
                    ui.label(site);
                    ui.add_space(16.0);
                    for p in pages {
                        if ui.selectable_label(self.page == p, p.label(lang)).clicked() {
                            self.page = p;
                        }
                    }
                } else if !touch {
                    // With a mouse, a second row of tabs costs little and keeps every page one click away.
                    self.page_menu = false;
                    ui.horizontal_wrapped(|ui| {
                        ui.label(site);
                        ui.add_space(16.0);
                        for p in pages {
                            if ui.selectable_label(self.page == p, p.label(lang)).clicked() {
                                self.page = p;
                            }
                        }
                    });
                } else {
                    // Touch: the menu first (it must always be there); the site's name gets what room is left.
                    page_menu_ui(ui, &mut self.page, &mut self.page_menu, &pages, lang);
                    ui.add(egui::Label::new(site).truncate());
                }
            },
            |ui| {
                ui.label(RichText::new(now.to_local_hms()).monospace().size(theme::TEXT_HEADING));
                ui.separator();
                let units = self.desk.settings.units;
                let (units_label, other) = match units {
                    UnitSystem::Oilfield => (lang.pick("Oilfield", "Petroleras"), UnitSystem::Si),
                    UnitSystem::Si => ("SI", UnitSystem::Oilfield),
                };
                if ui
                    .button(units_label)
                    .on_hover_text(lang.pick(
                        "Units shown on this console (oilfield or SI); click to switch",
                        "Unidades de esta consola (petroleras o SI); clic para cambiar",
                    ))
                    .clicked()
                {
                    self.desk.settings.units = other;
                }
                let next = match lang {
                    Lang::En => Lang::Es,
                    Lang::Es => Lang::En,
                };
                if ui
                    .button(lang.pick("EN", "ES"))
                    .on_hover_text(lang.pick(
                        "Language: English (click for Español)",
                        "Idioma: Español (clic para English)",
                    ))
                    .clicked()
                {
                    self.desk.settings.lang = next;
                }
                let sunlight = switch_ui(
                    ui,
                    &mut self.desk.settings.sunlight,
                    lang.pick("Sunlight", "Luz solar"),
                    lang.pick(
                        "High-contrast colours for a panel in daylight",
                        "Colores de alto contraste para un panel a pleno sol",
                    ),
                );
                let touch = switch_ui(
                    ui,
                    &mut self.desk.settings.touch,
                    lang.pick("Touch", "Táctil"),
                    lang.pick(
                        "Touch mode for cab panels: 15 mm targets and a large keypad",
                        "Modo táctil para paneles de cabina: botones de 15 mm y teclado grande",
                    ),
                );
                if sunlight || touch {
                    self.themed = false; // re-applied with the new colours and sizes on the next frame
                    ui.ctx().request_repaint();
                }
                ui.separator();
                self.session.corner_ui(ui, &mut self.desk.settings.actor, now, lang);
            },
        );
    }

    fn status_ui(&mut self, ui: &mut Ui, snap: &Snapshot, now: Timestamp) {
        let lang = self.desk.lang();
        ui.horizontal(|ui| {
            for d in &snap.drivers {
                ui.label(RichText::new(&d.name).monospace());
                driver_state_ui(ui, d.state, lang);
                ui.label(RichText::new(format!("{:.0}/s", d.rate_per_sec)).color(theme::text_dim()));
                ui.separator();
            }
            let c = snap.counters;
            ui.label(
                RichText::new(format!(
                    "{} {} · {} {}",
                    lang.pick("in", "entradas"),
                    c.samples_in,
                    lang.pick("coalesced", "fusionadas"),
                    c.samples_coalesced
                ))
                .color(theme::text_dim()),
            );
            ui.separator();
            if snap.taken_at != Timestamp::ZERO && now.saturating_since(snap.taken_at) > HUB_SILENT_AFTER {
                readout::chip_ui(
                    ui,
                    lang.pick("HUB NOT UPDATING", "EL HUB NO ACTUALIZA"),
                    theme::QUALITY_BAD,
                );
            } else {
                let age = readout::age_text(now, snap.taken_at, lang);
                ui.label(RichText::new(format!("{} {age}", lang.pick("data", "datos"))).color(theme::text_dim()));
            }
            if let Some(h) = &self.inputs.history_stats {
                history_status_ui(ui, h, lang);
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                ui.label(
                    RichText::new(format!(
                        "{} {:.1} ms",
                        lang.pick("frame", "cuadro"),
                        self.frames.recent_mean_ms()
                    ))
                    .color(theme::text_dim()),
                );
            });
        });
    }

    /// In measurement mode: true once the run is over (stats written).
    fn measurement_done(&self) -> bool {
        let Some(after) = self.measure.exit_after else {
            return false;
        };
        if self.started.elapsed() < after {
            return false;
        }
        if let Some(path) = &self.measure.frame_stats {
            let report = self.frames.report(self.started.elapsed());
            match serde_json::to_string_pretty(&report) {
                Ok(json) => {
                    if let Err(e) = std::fs::write(path, json) {
                        tracing::error!(path = %path.display(), error = %e, "could not write frame stats");
                    }
                }
                Err(e) => tracing::error!(error = %e, "could not encode frame stats"),
            }
        }
        true
    }
}

/// Sends an operator's write to the hub (which checks the role and audits it); its toast follows it.
fn send_write(
    notices: &mut Notices,
    commands: &crate::runtime::Commands,
    snap: &Snapshot,
    tag: crate::tag::TagId,
    value: crate::tag::Value,
    by: crate::auth::Actor,
    loc: Locale,
) {
    let def = snap.directory.get(tag);
    let name = def.map_or("?", |d| d.name.as_str()).to_owned();
    let shown = def.map_or_else(
        || value.to_string(),
        |d| loc.value_text(&d.unit, Some(&value), d.decimals),
    );
    let notice = super::notices::WriteNotice {
        tag,
        value: value.clone(),
        name,
        shown,
    };
    let cmd = HubCommand::OperatorWrite { tag, value, by };
    match commands.try_send(cmd) {
        Ok(()) => notices.write_sent(notice, loc.lang),
        Err(_) => notices.say(loc.pick(
            "NOT SENT: the console's command queue is full; try again",
            "NO ENVIADO: la cola de comandos de la consola está llena; intente de nuevo",
        )),
    }
}

/// What a screen is drawn from this frame, in the main window or another (fields, not `&self`: the view
/// state beside them is borrowed mutably while drawing).
fn draw_ctx<'a>(
    desk: &'a AlarmDesk,
    live: &'a LiveHistory,
    snap: &'a Snapshot,
    now: Timestamp,
    loc: Locale,
) -> DrawCtx<'a> {
    DrawCtx {
        snap,
        marks: &desk.view.tag_marks,
        alarm_rows: &desk.view.rows,
        now,
        lang: loc.lang,
        units: loc.units,
        history: live,
        may_command: desk.settings.actor.role.may(crate::auth::Action::CommandEquipment),
        touch: desk.settings.touch,
    }
}

/// Recent values for every tag some screen shows, as long as the longest embedded trend (10 min at least:
/// the tiles' sparklines).
fn live_history(screens: &ScreenSet) -> LiveHistory {
    let tags = screens.screens.iter().flat_map(|s| s.tags()).collect();
    let minutes = screens
        .screens
        .iter()
        .flat_map(|s| s.elements.iter())
        .filter_map(|e| match e {
            crate::screen::Element::Trend(t) => Some(t.minutes),
            _ => None,
        })
        .fold(10.0f32, f32::max);
    LiveHistory::new(tags, minutes)
}

/// The folded page list: a button naming the page shown; a touch opens every page as a large target.
fn page_menu_ui(ui: &mut Ui, page: &mut Page, open: &mut bool, pages: &[Page], lang: Lang) {
    // Room at the left for the three-line menu mark, painted (the fonts have no glyph for it).
    let label = format!("       {}", page.label(lang));
    let button = egui::Button::new(RichText::new(label).strong())
        .selected(*open)
        .wrap_mode(egui::TextWrapMode::Extend);
    let pages_word = lang.pick("Pages", "Páginas");
    let r = ui.add(button).on_hover_text(pages_word);
    let name = format!("{pages_word}: {}", page.label(lang));
    r.widget_info(|| egui::WidgetInfo::selected(egui::Role::Button, true, *open, &name));
    let mark = egui::Rect::from_center_size(
        egui::pos2(r.rect.left() + ui.spacing().button_padding.x + 9.0, r.rect.center().y),
        egui::vec2(18.0, 14.0),
    );
    for k in 0..3 {
        let y = mark.top() + k as f32 * mark.height() / 2.0;
        ui.painter()
            .hline(mark.x_range(), y, egui::Stroke::new(2.5, theme::text()));
    }
    if r.clicked() {
        *open = !*open;
    }
    let mut chosen = None;
    egui::Popup::from_response(&r)
        .open_bool(open)
        .close_behavior(egui::PopupCloseBehavior::CloseOnClickOutside)
        .show(|ui| {
            let size = egui::vec2(220.0, ui.spacing().interact_size.y.max(40.0));
            egui::Grid::new("page_menu")
                .spacing(egui::vec2(8.0, 8.0))
                .show(ui, |ui| {
                    for (i, p) in pages.iter().enumerate() {
                        let b = egui::Button::new(p.label(lang))
                            .selected(*page == *p)
                            .min_size(size)
                            .wrap_mode(egui::TextWrapMode::Extend);
                        if ui.add(b).clicked() {
                            chosen = Some(*p);
                        }
                        if i % 3 == 2 {
                            ui.end_row();
                        }
                    }
                });
        });
    if let Some(p) = chosen {
        *page = p;
        *open = false;
    }
}

/// The width the pages take as one row of tabs.
fn tabs_width(ui: &Ui, pages: &[Page], lang: Lang) -> f32 {
    let font = egui::TextStyle::Button.resolve(ui.style());
    let pad = 2.0 * ui.spacing().button_padding.x + ui.spacing().item_spacing.x;
    ui.ctx().fonts_mut(|f| {
        pages
            .iter()
            .map(|p| {
                f.layout_no_wrap(p.label(lang).to_owned(), font.clone(), egui::Color32::PLACEHOLDER)
                    .size()
                    .x
                    + pad
            })
            .sum()
    })
}

/// A switch in the navigation corner: flips `on` when touched; true when it did.
fn switch_ui(ui: &mut Ui, on: &mut bool, label: &str, hover: &str) -> bool {
    let flipped = ui.selectable_label(*on, label).on_hover_text(hover).clicked();
    if flipped {
        *on = !*on;
    }
    flipped
}

/// History health: quiet while it keeps up; a chip while commits fail (with what waits and what was lost)
/// and, after, whenever any sample was not stored this run — a loss is never silent.
fn history_status_ui(ui: &mut Ui, h: &HistorianStats, lang: Lang) {
    use std::sync::atomic::Ordering::Relaxed;
    let not_stored = h.not_stored();
    let lost = lang.pick("samples not stored", "muestras no guardadas");
    ui.separator();
    if h.failing() {
        let why = h.last_error().unwrap_or_default();
        readout::chip_ui(
            ui,
            lang.pick("HISTORY NOT SAVING", "HISTÓRICO NO GUARDA"),
            theme::QUALITY_BAD,
        );
        let waiting = lang.pick("waiting", "en espera");
        let failed = lang.pick("failed commits", "confirmaciones fallidas");
        ui.label(
            RichText::new(format!("{} {waiting} · {not_stored} {lost}", h.backlog.load(Relaxed)))
                .color(theme::text_dim()),
        )
        .on_hover_text(format!("{} {failed}: {why}", h.commit_errors.load(Relaxed)));
    } else if not_stored > 0 {
        readout::chip_ui(
            ui,
            lang.pick("HISTORY DROPPING", "HISTÓRICO DESCARTA"),
            theme::QUALITY_BAD,
        );
        ui.label(RichText::new(format!("{not_stored} {lost}")).color(theme::text_dim()));
    } else {
        let stored = lang.pick("samples stored", "muestras guardadas");
        ui.label(RichText::new(lang.pick("history ok", "histórico ok")).color(theme::text_dim()))
            .on_hover_text(format!("{} {stored}", h.samples_stored.load(Relaxed)));
    }
}

impl eframe::App for ConsoleApp {
    fn ui(&mut self, ui: &mut Ui, _frame: &mut eframe::Frame) {
        self.console_ui(ui);
        if self.measure.exit_after.is_some() {
            // Measuring: draw as fast as the machine allows.
            ui.ctx().request_repaint();
            if self.measurement_done() {
                ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
            }
        } else {
            // The hub asks for repaints on new data; this keeps the clock and ages moving.
            ui.ctx().request_repaint_after(Duration::from_millis(250));
        }
    }
}
