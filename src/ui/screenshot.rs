//! `wellconsole screenshot`: one screen of a project, drawn with live data from the project's own drivers
//! (the simulator for the demo) and rendered offscreen, for docs, reports and checks of screen files.
//!
//! Runs the project's runtime without history, journal or audit (a picture must not write records),
//! lets it warm up so values, alarms and trends exist, then draws the screen exactly as the console does.

use super::offscreen::{Offscreen, OffscreenError, Rgba};
use super::screen_history::LiveHistory;
use super::screen_view::{DrawCtx, ScreenView, canvas_ui};
use super::theme;
use crate::lang::Lang;
use crate::project::Project;
use crate::runtime::{Runtime, RuntimeError, RuntimeOptions};
use crate::screen::Screen;
use crate::tag::Timestamp;
use egui::RichText;
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct ScreenshotRequest {
    pub screen: String,
    pub width: u32,
    pub height: u32,
    pub lang: Lang,
    pub units: crate::units::UnitSystem,
    /// The high-contrast sunlight colours.
    pub sunlight: bool,
    /// How long the project runs before the picture is taken.
    pub warm_up: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum ScreenshotError {
    #[error("no screen '{screen}' in this project (screens: {known})")]
    UnknownScreen { screen: String, known: String },
    #[error("size {0}x{1}: width and height must be between 320 and 8192 pixels")]
    BadSize(u32, u32),
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    #[error(transparent)]
    Offscreen(#[from] OffscreenError),
}

/// Takes the picture. `opts` should keep no records (`RuntimeOptions::default()` plus a speed).
pub fn screenshot(project: Project, opts: RuntimeOptions, req: &ScreenshotRequest) -> Result<Rgba, ScreenshotError> {
    if !(320..=8192).contains(&req.width) || !(320..=8192).contains(&req.height) {
        return Err(ScreenshotError::BadSize(req.width, req.height));
    }
    let Some(screen) = project.screens.get(&req.screen).cloned() else {
        let known: Vec<&str> = project.screens.screens.iter().map(|s| &*s.id).collect();
        return Err(ScreenshotError::UnknownScreen {
            screen: req.screen.clone(),
            known: known.join(", "),
        });
    };
    // The adapter first: a machine that cannot render should fail before the plant is started.
    let mut offscreen = Offscreen::new()?;
    tracing::info!(adapter = %offscreen.adapter(), "rendering offscreen");
    let site = project.site.name.clone();
    let runtime = Runtime::start(project, opts, Vec::new(), None)?;
    let mut history = LiveHistory::new(screen.tags(), 10.0);
    let until = Instant::now() + req.warm_up;
    loop {
        history.collect(&runtime.snapshot.load());
        if Instant::now() >= until {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let snap = runtime.snapshot.load_full();
    let alarms = runtime.alarms.view.load_full();
    let _ = runtime.shutdown();
    let ctx = egui::Context::default();
    theme::apply(&ctx, false, req.sunlight);
    let input = egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(
            egui::Pos2::ZERO,
            egui::vec2(req.width as f32, req.height as f32),
        )),
        ..Default::default()
    };
    let mut view = ScreenView::showing(&screen.id);
    let now = Timestamp::now();
    let cx = DrawCtx {
        snap: &snap,
        marks: &alarms.tag_marks,
        alarm_rows: &alarms.rows,
        now,
        lang: req.lang,
        units: req.units,
        history: &history,
        // Drawn as an operator sees it; nothing in a picture can be pressed.
        may_command: true,
        touch: false,
        editable: false,
    };
    // A few frames: fonts and layout settle on the second; every frame's texture changes are kept.
    let mut textures = egui::TexturesDelta::default();
    let mut out = None;
    for _ in 0..3 {
        let mut o = ctx.run_ui(input.clone(), |ui| picture_ui(ui, &site, &screen, &mut view, &cx));
        textures.append(std::mem::take(&mut o.textures_delta));
        out = Some(o);
    }
    let Some(mut out) = out else {
        unreachable!("the loop runs three times")
    };
    out.textures_delta = textures;
    Ok(offscreen.render(&ctx, &mut out)?)
}

/// A title line (site, screen, time) over the screen.
fn picture_ui(ui: &mut egui::Ui, site: &str, screen: &Screen, view: &mut ScreenView, cx: &DrawCtx<'_>) {
    egui::Panel::top("title")
        .frame(
            egui::Frame::default()
                .fill(theme::panel())
                .inner_margin(egui::Margin::symmetric(10, 6)),
        )
        .show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.label(RichText::new(site).size(theme::TEXT_HEADING).strong());
                ui.separator();
                ui.label(RichText::new(screen.title.get(cx.lang)).size(theme::TEXT_HEADING));
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    ui.label(
                        RichText::new(cx.now.to_local_hms())
                            .monospace()
                            .size(theme::TEXT_HEADING),
                    );
                });
            });
        });
    egui::CentralPanel::default()
        .frame(egui::Frame::default().fill(theme::background()).inner_margin(6.0))
        .show(ui, |ui| {
            canvas_ui(ui, screen, view, cx);
        });
}
