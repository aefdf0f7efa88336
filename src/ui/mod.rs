//! The operator console (egui/eframe on wgpu). The only room that imports egui: it reads hub
//! snapshots and sends operator commands; it never touches drivers, sockets or files directly.
//!
//! The shell (`app`) owns the pages and desks and hands each page, every frame, the console's context
//! (`context::Console`: who acts, language and units, touch and sunlight, the one command sender with its
//! notices) and what the frame is drawn from (`page::FrameInputs`); every page has the one shape
//! `page::PageView`. The P&ID painter (`screen_view`) needs neither: a screen draws the same in the console,
//! a screenshot and a bench.

mod alarm_banner;
pub mod alarm_desk;
mod alarm_pages;
pub mod alarm_symbol;
mod app;
mod audit_page;
pub mod context;
mod ct_string;
mod display_page;
mod drivers_page;
mod forward_status;
mod frame_stats;
mod job;
pub mod keypad;
pub mod notices;
pub mod offscreen;
mod overview;
pub mod page;
mod production;
pub mod readout;
mod replay_bar;
pub mod screen_edit;
pub mod screen_history;
pub mod screen_view;
pub mod screen_windows;
pub mod screenshot;
pub mod session;
mod share_status;
mod simulator_page;
mod tag_browser;
pub mod theme;
mod top_bar;
pub mod trend_page;
pub mod trip_panel;

pub use app::{ConsoleApp, ConsoleInputs, MeasureOptions};
pub use context::ConsoleSettings;
pub use frame_stats::{FrameReport, FrameStats};
pub use page::Page;
pub use simulator_page::SimulatorInfo;
pub use tag_browser::TagBrowserState;

use crate::runtime::{Runtime, RuntimeOptions};
use crate::tag::Timestamp;
use std::sync::{Arc, OnceLock};

/// What the console needs to know about the project's simulator, if it has one.
pub fn simulator_info(runtime: &Runtime) -> Option<SimulatorInfo> {
    let site = &runtime.project.site;
    let d = site.drivers.iter().find(|d| d.kind.as_sim().is_some())?;
    let signals: Vec<String> = site
        .tags
        .iter()
        .filter(|t| t.driver == d.id)
        .map(|t| t.address.clone())
        .collect();
    let mut devices: Vec<String> = Vec::new();
    for s in &signals {
        let dev = s.split('/').next().unwrap_or(s).to_owned();
        if !devices.contains(&dev) {
            devices.push(dev);
        }
    }
    Some(SimulatorInfo {
        driver: d.id,
        devices,
        signals,
    })
}

/// Opens the console window on a project and runs until it is closed.
pub fn run(
    project: crate::project::Project,
    opts: RuntimeOptions,
    measure: MeasureOptions,
    settings: ConsoleSettings,
) -> Result<(), eframe::Error> {
    let title = match opts.replay {
        Some(_) => format!(
            "wellconsole — {} — {}",
            settings.lang.pick("REPLAY", "REPRODUCCIÓN"),
            project.site.name
        ),
        None => format!("wellconsole — {}", project.site.name),
    };
    // The hub starts before the window exists; it reaches egui through this slot once it does.
    let repaint: Arc<OnceLock<egui::Context>> = Arc::new(OnceLock::new());
    let notify = {
        let repaint = repaint.clone();
        Arc::new(move || {
            if let Some(ctx) = repaint.get() {
                ctx.request_repaint();
            }
        })
    };
    let runtime = match Runtime::start(project, opts, Vec::new(), Some(notify)) {
        Ok(r) => r,
        Err(e) => return Err(eframe::Error::AppCreation(Box::new(e))),
    };
    let native = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title(title)
            .with_inner_size([1600.0, 960.0])
            .with_min_inner_size([900.0, 600.0]),
        renderer: eframe::Renderer::Wgpu,
        ..Default::default()
    };
    eframe::run_native(
        "wellconsole",
        native,
        Box::new(move |cc| {
            let _ = repaint.set(cc.egui_ctx.clone());
            let replay = runtime.replay.clone();
            // In replay no simulator runs (nothing to inject faults into), and the trends read the history
            // replayed, read-only: no historian runs.
            let history = match &replay {
                Some(r) => Some(r.status.history().to_path_buf()),
                None => runtime.history.as_ref().map(|h| h.path.clone()),
            };
            let inputs = ConsoleInputs {
                site_name: runtime.project.site.name.clone(),
                snapshot: runtime.snapshot.clone(),
                commands: runtime.commands.clone(),
                simulator: simulator_info(&runtime).filter(|_| replay.is_none()),
                clock: Arc::new(Timestamp::now),
                history,
                history_stats: runtime.history.as_ref().map(|h| h.stats.clone()),
                forward: runtime.forward.clone(),
                central: runtime.forward.as_ref().and(runtime.project.site.forward.clone()),
                api: runtime.api.as_ref().map(crate::api::ApiServer::status),
                share: runtime.share.clone(),
                alarms: Some(runtime.alarms.clone()),
                trips: Some(runtime.trips.clone()),
                ct_strings: runtime.ct_strings.clone(),
                jobs: runtime.jobs.clone(),
                production: runtime.production.clone(),
                production_cfg: runtime.project.site.production.clone(),
                decline: runtime.decline.clone(),
                screens: runtime.screens.clone(),
                screen_problems: Some(runtime.screen_problems.clone()),
                project_root: match &runtime.project.files.origin {
                    crate::project::Origin::Directory(root) => Some(root.clone()),
                    crate::project::Origin::EmbeddedDemo => None,
                },
                settings,
            };
            let app = ConsoleApp::new(inputs, measure);
            let app = match replay {
                Some(r) => app.with_replay(r),
                None => app,
            };
            Ok(Box::new(RunningConsole { app, _runtime: runtime }))
        }),
    )
}

/// The console plus the runtime it shows, so the runtime stops when the window closes.
struct RunningConsole {
    app: ConsoleApp,
    _runtime: Runtime,
}

impl eframe::App for RunningConsole {
    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        self.app.ui(ui, frame);
    }
}
