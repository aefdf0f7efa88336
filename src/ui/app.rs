//! The console shell: alarm banner strip, navigation, status bar and the page in the middle, in the main
//! window and in every screen window.
//!
//! Reads one snapshot per frame (`ArcSwap::load_full`, never blocks) and hands it, with the clock and the
//! alarm view, to the page shown (`PageView::ui`) together with the console's context (`Console`: who acts,
//! language and units, touch and sunlight, the one command sender and its notices). It owns the pages and
//! desks, picks the page by `Page`, and does what a page asks of it (`ShellAction`). Commands go out only
//! through the console's context; the shell keeps no copy of a setting.

use super::alarm_desk::AlarmDesk;
use super::alarm_pages::{AlarmKpis, AlarmLog, AlarmSummary};
use super::audit_page::AuditPage;
use super::context::{Console, ConsoleSettings};
use super::ct_string::CtStringPage;
use super::display_page::{self, DisplayPage};
use super::drivers_page::{DriversPage, driver_state_ui};
use super::frame_stats::FrameStats;
use super::job::JobPage;
use super::notices::Notices;
use super::overview::OverviewPage;
use super::page::{FrameInputs, Page, PageView, ShellAction};
use super::production::ProductionPage;
use super::replay_bar::ReplayBar;
use super::screen_history::LiveHistory;
use super::screen_view::ScreenView;
use super::screen_windows::{ScreenLayout, ScreenWindows};
use super::session::{self, Session};
use super::simulator_page::{SimulatorInfo, SimulatorPage};
use super::tag_browser::TagBrowserState;
use super::top_bar::{self, TopAction};
use super::trend_page::TrendPageState;
use super::trip_panel::{self, TripDesk};
use super::{readout, theme};
use crate::historian::HistorianStats;
use crate::historian::reader::TrendReader;
use crate::hub::{Snapshot, SnapshotCell};
use crate::lang::Lang;
use crate::runtime::AlarmHandle;
use crate::screen::{ScreenCell, ScreenSet};
use crate::tag::Timestamp;
use crate::trip::TripViewCell;
use crate::units::UnitSystem;
use egui::{RichText, Ui};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

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
    /// The forwarder's counters, for the status bar and the Drivers page (`None`: not forwarding).
    pub forward: Option<Arc<crate::forward::ForwardStats>>,
    /// The central store the trends read older history from (`None`: not forwarding).
    pub central: Option<crate::forward::ForwardConfig>,
    /// The read-only HTTP API this console serves, for the Drivers page (`None`: it serves none).
    pub api: Option<crate::api::ApiStatus>,
    /// The link alarm actions are shared with the site's other consoles through (`None`: not shared).
    pub share: Option<Arc<crate::share::ShareStats>>,
    /// The alarm system's view, file problems and journal (`None`: no alarm engine).
    pub alarms: Option<AlarmHandle>,
    /// Trips and E-stops (`None`: no trip engine).
    pub trips: Option<TripViewCell>,
    /// The CT strings' views: fatigue, forces, hydraulics, limits (`None`: no CT string service).
    pub ct_strings: Option<crate::ctstring::view::CtStringViewCell>,
    /// The CT job records' writer: the Job page, and the job marks on the trends and the depth plot
    /// (`None`: no job records).
    pub jobs: Option<crate::job::writer::JobPort>,
    /// The production writer: well tests, their approvals and certificates, and the wells' summaries
    /// (`None`: no production records).
    pub production: Option<crate::production::ProductionPort>,
    /// The site's `[production]` (`None`: a site without producing wells: no Production page).
    pub production_cfg: Option<Arc<crate::production::config::ProductionConfig>>,
    /// The decline fits' worker thread (`None`: no decline on this console).
    pub decline: Option<Arc<crate::production::decline::DeclineWorker>>,
    /// The project's screens (empty: the console opens on the generic overview).
    pub screens: ScreenCell,
    /// Problems in edited screen files, shown over the screen (`None`: files are not watched).
    pub screen_problems: Option<crate::project::ConfigProblems>,
    /// The project directory, where the screen editor writes (`None`: the built-in demo: nothing to write).
    pub project_root: Option<PathBuf>,
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
    /// What every page shares: settings, the command sender and its notices.
    console: Console,
    page: Page,
    display: DisplayPage,
    overview: OverviewPage,
    desk: AlarmDesk,
    trips: TripDesk,
    tags: TagBrowserState,
    trend: TrendPageState,
    ct_string: CtStringPage,
    job: JobPage,
    production: ProductionPage,
    drivers: DriversPage,
    simulator: SimulatorPage,
    audit: AuditPage,
    session: Session,
    windows: ScreenWindows,
    /// Recent values of the screens' tags (sparklines, embedded trends), for this set of screens.
    live: LiveHistory,
    live_for: Arc<ScreenSet>,
    /// The screens' recent history, asked for once after a start or a new set of screens.
    seed: Option<Seed>,
    seed_wanted: bool,
    /// The page menu is open (cab panels: the pages do not fit on one row).
    page_menu: bool,
    /// The REPLAY strip and its controls while a replay plays in the place of the drivers (`None`: live).
    replay: Option<ReplayBar>,
    frames: FrameStats,
    started: Instant,
    measure: MeasureOptions,
}

impl ConsoleApp {
    pub fn new(inputs: ConsoleInputs, measure: MeasureOptions) -> Self {
        let reader = inputs.history.clone().and_then(|p| {
            // Spans older than this console's history come from the central store, when it forwards to one.
            let archive = inputs.central.clone().map(|c| {
                Box::new(crate::forward::archive::CentralArchive::new(c)) as Box<dyn crate::historian::reader::Archive>
            });
            TrendReader::start_with_archive(p, archive)
                .map_err(|e| tracing::error!(error = %e, "trend queries unavailable"))
                .ok()
        });
        let settings = &inputs.settings;
        let mut console = Console::new(settings, inputs.commands.clone());
        if settings.users.is_some() {
            // Logins: nobody acts until someone logs in.
            console.actor = session::view_only();
        }
        let session = Session::new(settings.users.clone(), settings.idle_logout, settings.backoff_after);
        let audit = AuditPage::new(settings.audit.clone());
        let desk = AlarmDesk::new(inputs.alarms.as_ref(), settings.sound.clone(), settings.horn);
        let trips = TripDesk::new(inputs.trips.clone());
        let layout_file = settings.layout.clone();
        let layout = layout_file.as_deref().map(ScreenLayout::read).unwrap_or_default();
        let windows = ScreenWindows::new(layout, layout_file);
        let screens = inputs.screens.load_full();
        let page = if screens.is_empty() {
            Page::Overview
        } else {
            Page::Display
        };
        let display = DisplayPage::new(inputs.screen_problems.clone(), inputs.project_root.clone());
        let simulator = SimulatorPage::new(inputs.simulator.clone());
        let jobs = inputs.jobs.clone();
        let ct_string = CtStringPage::new(inputs.ct_strings.clone()).with_jobs(jobs.clone());
        let job = JobPage::new(jobs.clone());
        let production = ProductionPage::new(
            inputs.production.clone(),
            inputs.production_cfg.clone(),
            inputs.decline.clone(),
        );
        Self {
            themed: false,
            console,
            desk,
            trips,
            session,
            audit,
            page,
            display,
            overview: OverviewPage,
            windows,
            live: live_history(&screens),
            live_for: screens,
            seed: None,
            seed_wanted: true,
            page_menu: false,
            replay: None,
            tags: TagBrowserState::default(),
            trend: TrendPageState::with_reader(reader).with_jobs(jobs),
            ct_string,
            job,
            production,
            drivers: DriversPage {
                forward: inputs.forward.clone(),
                api: inputs.api.clone(),
                share: inputs.share.clone(),
            },
            simulator,
            inputs,
            frames: FrameStats::default(),
            started: Instant::now(),
            measure,
        }
    }

    /// The console over a replay: the REPLAY strip under every top bar, and the screens and trends drawn at
    /// the replay's plant time.
    pub fn with_replay(mut self, replay: crate::driver::replay::ReplayHandle) -> Self {
        self.replay = Some(ReplayBar::new(replay));
        self
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

    /// The console's context: who acts, language and units, touch and sunlight, the notices.
    pub fn console(&self) -> &Console {
        &self.console
    }

    /// The user acting at this console now.
    pub fn actor(&self) -> &crate::auth::Actor {
        &self.console.actor
    }

    /// Draws one frame of the whole console into `ui`.
    pub fn console_ui(&mut self, ui: &mut Ui) {
        let t0 = Instant::now();
        if !self.themed {
            theme::apply(ui.ctx(), self.console.touch, self.console.sunlight);
            self.themed = true;
        }
        let snap = self.inputs.snapshot.load_full();
        // The console's clock stamps what people do (sessions, alarm handling) and ages what the hub stamps;
        // in replay what is drawn against time (screens, trends) is drawn at the replay's plant time.
        let now = (self.inputs.clock)();
        let plant = self.replay.as_ref().map_or(now, ReplayBar::position);
        let screens = self.inputs.screens.load_full();
        self.restart_live_when_needed(&screens);
        self.live.collect(&snap);
        self.seed_live_history(&snap, plant);
        self.display.keys_ui(ui, &screens, &mut self.page);
        self.trend.collect(&snap);
        self.desk.begin_frame();
        self.trips.begin_frame();
        self.session.tick(ui, &mut self.console, now);
        let not_good = snap.tags.iter().filter(|t| !t.quality.is_good()).count();
        let top = top_bar::top_panel(
            ui,
            "top_bar",
            &mut self.console,
            &mut self.desk,
            &mut self.trips,
            not_good,
            now,
        );
        self.top_action(top);
        if let Some(bar) = &mut self.replay {
            bar.panel_ui(ui, "replay_bar", &mut self.console);
        }
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
        // Taken before the page draws (it may act on the desk or the trend): the frame's one alarm view,
        // and the trend's pens as the frame began.
        let alarms = self.desk.view.clone();
        let on_trend: Vec<String> = self.trend.pens().map(str::to_owned).collect();
        let page = self.page;
        let frame = FrameInputs {
            snap: &snap,
            now: if plant_timed(page) { plant } else { now },
            alarms: &alarms,
            screens: &screens,
            live: &self.live,
            on_trend: &on_trend,
        };
        let asked = egui::CentralPanel::default()
            .frame(egui::Frame::default().fill(theme::background()).inner_margin(10.0))
            .show(ui, |ui| {
                let console = &mut self.console;
                match page {
                    Page::Display => self.display.ui(ui, console, &frame),
                    Page::Overview => self.overview.ui(ui, console, &frame),
                    Page::Alarms => AlarmSummary(&mut self.desk).ui(ui, console, &frame),
                    Page::AlarmLog => AlarmLog(&mut self.desk).ui(ui, console, &frame),
                    Page::AlarmKpi => AlarmKpis(&mut self.desk).ui(ui, console, &frame),
                    Page::Tags => self.tags.ui(ui, console, &frame),
                    Page::Trends => self.trend.ui(ui, console, &frame),
                    Page::CtString => self.ct_string.ui(ui, console, &frame),
                    Page::Job => self.job.ui(ui, console, &frame),
                    Page::Production => self.production.ui(ui, console, &frame),
                    Page::Drivers => self.drivers.ui(ui, console, &frame),
                    Page::Simulator => self.simulator.ui(ui, console, &frame),
                    Page::Trips => self.trips.ui(ui, console, &frame),
                    Page::Audit => self.audit.ui(ui, console, &frame),
                }
            })
            .inner;
        if let Some(a) = asked {
            self.shell_action(a, &snap);
        }
        self.screen_windows_ui(ui, &screens, &snap, (plant, now), not_good);
        if self.trips.dialog_viewport() == egui::ViewportId::ROOT {
            trip_panel::dialog_ui(ui.ctx(), &mut self.trips, &mut self.console);
        }
        self.session.dialog_ui(ui.ctx(), &self.console);
        self.notices_ui(ui.ctx(), &snap, status_h);
        self.frames.record(t0.elapsed());
    }

    pub fn display(&self) -> &ScreenView {
        self.display.view()
    }

    /// The screen editor, while one is open on the Displays page.
    pub fn screen_editor(&self) -> Option<&super::screen_edit::ScreenEditor> {
        self.display.editor()
    }

    /// What the screens' sparklines and embedded trends hold.
    pub fn live_history(&self) -> &LiveHistory {
        &self.live
    }

    /// The screens' recent values start again for a new set of screens, or after a replay's seek (what was
    /// collected is from another stretch of the job); history fills them in again.
    fn restart_live_when_needed(&mut self, screens: &Arc<ScreenSet>) {
        let seeked = self.replay.as_mut().is_some_and(ReplayBar::take_seek);
        if seeked || !Arc::ptr_eq(screens, &self.live_for) {
            self.live = live_history(screens);
            self.live_for = screens.clone();
            self.seed_wanted = true;
        }
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

    /// The screens open in windows of their own (drawn after the main window's panels), each with the
    /// same top bar as the main window: alarms, trips and the E-STOP buttons are in every window, and the
    /// REPLAY strip in replay. The screens are drawn at `plant` time, the top bar at the console's `now`.
    fn screen_windows_ui(
        &mut self,
        ui: &Ui,
        screens: &ScreenSet,
        snap: &Snapshot,
        (plant, now): (Timestamp, Timestamp),
        not_good: usize,
    ) {
        self.windows.save_when_settled();
        if self.windows.is_empty() {
            return;
        }
        let mut top_action = TopAction::None;
        // The screens read the alarm marks from their own handle on the view, so the top bar may hold
        // the desk mutably while they draw.
        let alarms = self.desk.view.clone();
        let frame = FrameInputs {
            snap,
            now: plant,
            alarms: &alarms,
            screens,
            live: &self.live,
            on_trend: &[],
        };
        let cx = display_page::draw_ctx(&self.console, &frame);
        let (console, desk, trips) = (&mut self.console, &mut self.desk, &mut self.trips);
        let replay = &mut self.replay;
        let mut top = |ui: &mut Ui, window: egui::ViewportId| {
            let a = top_bar::top_panel(ui, ("window_top_bar", window), console, desk, trips, not_good, now);
            if a != TopAction::None {
                top_action = a;
            }
            if let Some(bar) = replay.as_mut() {
                bar.panel_ui(ui, ("replay_bar", window), console);
            }
            if trips.dialog_viewport() == window {
                trip_panel::dialog_ui(ui.ctx(), trips, console);
            }
            // What became of an action shows in every window, wherever the operator is looking.
            console
                .notices
                .show(ui.ctx(), egui::Id::unique(("notices", window)), 8.0);
        };
        let action = self
            .windows
            .show(ui.ctx(), screens, &self.inputs.site_name, &cx, &mut top);
        self.top_action(top_action);
        if let Some(a) = display_page::screen_action(ui, &mut self.console, snap, action) {
            self.shell_action(a, snap);
        }
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

    /// What a page or a screen window asked of the shell.
    fn shell_action(&mut self, action: ShellAction, snap: &Snapshot) {
        let lang = self.console.lang();
        match action {
            ShellAction::AddPen(id) => {
                if let Some(def) = snap.directory.get(id) {
                    self.trend.put_on_trend(&def.name, lang);
                }
            }
            ShellAction::Trend(tags) => {
                let mut added = Vec::new();
                for id in tags {
                    if let Some(def) = snap.directory.get(id)
                        && self.trend.add_pen(&def.name, lang).is_ok()
                    {
                        added.push(def.name.clone());
                    }
                }
                let from = lang.pick("from the screen", "desde la pantalla");
                self.trend.notice = Some(format!("{from}: {}", added.join(", ")));
                self.page = Page::Trends;
            }
            ShellAction::NewWindow(screen) => self.windows.open(&screen),
        }
    }

    /// The trend's notice joins the console's; the toasts follow their writes and fade.
    fn notices_ui(&mut self, ctx: &egui::Context, snap: &Snapshot, bottom_gap: f32) {
        if let Some(n) = self.trend.notice.take() {
            self.console.notices.say(n);
        }
        let lang = self.console.lang();
        self.console.notices.update(snap, lang);
        self.console.notices.show(ctx, egui::Id::unique("notices"), bottom_gap);
    }

    /// The notices showing now (toasts), oldest first.
    pub fn notices(&self) -> &Notices {
        &self.console.notices
    }

    pub fn notices_mut(&mut self) -> &mut Notices {
        &mut self.console.notices
    }

    pub fn screen_windows(&self) -> &ScreenWindows {
        &self.windows
    }

    /// Site, pages, and on the right the session, touch switch and clock. The pages are one row of tabs
    /// where they fit; where they do not (touch mode's large targets on a cab panel) they fold into one
    /// menu button naming the page shown, so the bar stays one row high and the screen keeps its space.
    fn nav_ui(&mut self, ui: &mut Ui, now: Timestamp) {
        let lang = self.console.lang();
        let touch = self.console.touch;
        egui::Sides::new().shrink_left().show(
            ui,
            |ui| {
                let site = RichText::new(&self.inputs.site_name).size(theme::TEXT_HEADING).strong();
                let has_screens = !self.live_for.is_empty();
                // Production only on a site with producing wells (`[production]`): the CT sites never see it.
                let has_production = self.inputs.production_cfg.is_some();
                let pages: Vec<Page> = Page::ALL
                    .into_iter()
                    .filter(|p| *p != Page::Display || has_screens)
                    .filter(|p| *p != Page::Production || has_production)
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
                let units = self.console.locale.units;
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
                    self.console.locale.units = other;
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
                    self.console.locale.lang = next;
                }
                let sunlight = switch_ui(
                    ui,
                    &mut self.console.sunlight,
                    lang.pick("Sunlight", "Luz solar"),
                    lang.pick(
                        "High-contrast colours for a panel in daylight",
                        "Colores de alto contraste para un panel a pleno sol",
                    ),
                );
                let touch = switch_ui(
                    ui,
                    &mut self.console.touch,
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
                self.session.corner_ui(ui, &mut self.console, now);
            },
        );
    }

    fn status_ui(&mut self, ui: &mut Ui, snap: &Snapshot, now: Timestamp) {
        let lang = self.console.lang();
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
            if let Some(f) = &self.inputs.forward {
                super::forward_status::status_bar_ui(ui, f, now, lang);
            }
            // The frame time is the least of the bar: where the bar is full it gives way rather than overlap.
            if ui.available_width() > 90.0 {
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
            }
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

/// Pages that draw plant data against time (screens with their embedded trends and sparklines, the
/// overview, the trends and the depth plot): in replay they are drawn at the replay's plant time. The
/// others show what the console and the hub stamp with their own clock (alarms, trips, sessions, audit).
fn plant_timed(page: Page) -> bool {
    matches!(page, Page::Display | Page::Overview | Page::Trends)
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
    } else if h.disk_low.load(Relaxed) {
        readout::chip_ui(
            ui,
            lang.pick("HISTORY DISK LOW", "DISCO DEL HISTÓRICO CASI LLENO"),
            theme::QUALITY_BAD,
        );
        let held = h.held_for_forward.load(Relaxed);
        if held > 0 {
            ui.label(
                RichText::new(format!(
                    "{held} {}",
                    lang.pick("past retention, not yet forwarded", "vencidas, aún sin reenviar")
                ))
                .color(theme::text_dim()),
            );
        }
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
