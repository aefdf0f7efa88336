//! The REPLAY strip: under the top bar of every console window while a replay plays in the place of the
//! site's drivers, in a colour nothing else uses, so nobody takes replayed values for the plant's. It says
//! the replay's plant time, speed and window and how many writes were blocked, and carries the replay's
//! controls: play/pause, a one-second step, the speed, and a time slider that seeks when let go.
//!
//! Owns only the slider's position while a hand holds it. Talks to the replay through `ReplayControl`
//! (never waits; a command that does not go out is said in a notice) and reads `ReplayStatus` (lock-free);
//! touches no file, driver or hub. Controlling a replay needs no role: it moves no plant.

use super::context::Console;
use super::theme;
use crate::driver::replay::{ReplayCmd, ReplayError, ReplayHandle, SPEEDS};
use crate::lang::Lang;
use crate::tag::Timestamp;
use egui::{RichText, Ui};

pub struct ReplayBar {
    handle: ReplayHandle,
    /// The slider's plant time (seconds since the epoch) while a hand holds it.
    held: Option<f64>,
    /// The replay's seek count the shell has seen.
    seeks_seen: u64,
}

impl ReplayBar {
    pub fn new(handle: ReplayHandle) -> Self {
        let seeks_seen = handle.status.seeks();
        Self {
            handle,
            held: None,
            seeks_seen,
        }
    }

    /// The playhead: the plant time the console's screens and trends are drawn at.
    pub fn position(&self) -> Timestamp {
        self.handle.status.position()
    }

    /// True once after each seek: what the console collected from the snapshots is from another time.
    pub fn take_seek(&mut self) -> bool {
        let seeks = self.handle.status.seeks();
        let new = seeks != self.seeks_seen;
        self.seeks_seen = seeks;
        new
    }

    /// The strip as a top panel of `ui` (`id` unique per window).
    pub fn panel_ui(&mut self, ui: &mut Ui, id: impl egui::AsIdSalt, console: &mut Console) {
        egui::Panel::top(id)
            .resizable(false)
            .frame(
                egui::Frame::default()
                    .fill(theme::REPLAY)
                    .inner_margin(egui::Margin::symmetric(10, 6)),
            )
            .show(ui, |ui| {
                ui.horizontal_wrapped(|ui| self.identity_ui(ui, console.lang()));
                ui.horizontal_wrapped(|ui| self.controls_ui(ui, console));
            });
    }

    /// What is on the screen: REPLAY, the plant time and speed, the window, and what the replay refused.
    fn identity_ui(&self, ui: &mut Ui, lang: Lang) {
        let st = &self.handle.status;
        let (from, to) = st.window();
        ui.label(
            on_strip(lang.pick("REPLAY", "REPRODUCCIÓN"))
                .size(theme::TEXT_HEADING)
                .strong(),
        );
        ui.label(
            on_strip(&plant_time(st.position()))
                .size(theme::TEXT_HEADING)
                .monospace(),
        );
        ui.label(on_strip(&format!("×{}", st.speed())).size(theme::TEXT_HEADING).strong());
        let state = if st.finished() {
            Some(lang.pick("END", "FIN"))
        } else if st.paused() {
            Some(lang.pick("PAUSED", "EN PAUSA"))
        } else {
            None
        };
        if let Some(state) = state {
            ui.label(on_strip(state).strong());
        }
        ui.separator();
        let window = format!(
            "{} {} {} {}",
            lang.pick("from", "desde"),
            plant_time(from),
            lang.pick("to", "hasta"),
            plant_time(to)
        );
        ui.label(on_strip(&window));
        ui.separator();
        let blocked = format!(
            "{}: {}",
            lang.pick("writes blocked", "escrituras bloqueadas"),
            st.writes_refused()
        );
        ui.label(on_strip(&blocked).strong()).on_hover_text(lang.pick(
            "In replay no write leaves the console: each one is answered as failed and counted here.",
            "En reproducción ninguna escritura sale de la consola: cada una se responde como fallida y se \
             cuenta aquí.",
        ));
        if st.tags() == 0 {
            let none = lang.pick(
                "this history has none of the project's device tags",
                "este histórico no tiene ningún tag de equipos del proyecto",
            );
            ui.label(on_strip(none).strong())
                .on_hover_text(st.history().display().to_string());
        }
        if let Some(why) = st.problem() {
            super::readout::chip_ui(
                ui,
                lang.pick(
                    "HISTORY UNREADABLE: REPLAY STOPPED",
                    "HISTÓRICO ILEGIBLE: REPRODUCCIÓN DETENIDA",
                ),
                theme::QUALITY_BAD,
            );
            ui.label(on_strip(why.as_str()));
        }
    }

    /// Play or pause, step, speed and the time slider.
    fn controls_ui(&mut self, ui: &mut Ui, console: &mut Console) {
        let lang = console.lang();
        let st = self.handle.status.clone();
        let mut asked: Option<ReplayCmd> = None;
        let (play, play_cmd) = if st.finished() {
            (lang.pick("Play again", "Reproducir de nuevo"), ReplayCmd::Resume)
        } else if st.paused() {
            (lang.pick("Play", "Reproducir"), ReplayCmd::Resume)
        } else {
            (lang.pick("Pause", "Pausa"), ReplayCmd::Pause)
        };
        if ui.button(play).clicked() {
            asked = Some(play_cmd);
        }
        if ui
            .button(lang.pick("Step +1 s", "Paso +1 s"))
            .on_hover_text(lang.pick(
                "Pause and move one second of plant time forward",
                "Pausar y avanzar un segundo del tiempo de planta",
            ))
            .clicked()
        {
            asked = Some(ReplayCmd::Step);
        }
        ui.separator();
        for speed in SPEEDS {
            if ui
                .selectable_label((st.speed() - speed).abs() < 1e-9, format!("×{speed}"))
                .clicked()
            {
                asked = Some(ReplayCmd::SetSpeed(speed));
            }
        }
        ui.separator();
        if let Some(seek) = self.slider_ui(ui, lang) {
            asked = Some(seek);
        }
        if let Some(cmd) = asked
            && let Err(e) = self.handle.control.send(cmd)
        {
            let not_sent = lang.pick("REPLAY: COMMAND NOT SENT", "REPRODUCCIÓN: COMANDO NO ENVIADO");
            console.notices.say(format!("{not_sent}: {}", refusal(&e, lang)));
        }
    }

    /// The time slider over the window: it follows the playhead, and seeks where it is let go (or moved
    /// with the keys).
    fn slider_ui(&mut self, ui: &mut Ui, lang: Lang) -> Option<ReplayCmd> {
        let st = &self.handle.status;
        let (from, to) = st.window();
        let mut at_s = self.held.unwrap_or_else(|| st.position().as_secs_f64());
        let r = ui
            .scope(|ui| {
                ui.spacing_mut().slider_width = (ui.available_width() - 200.0).clamp(160.0, 640.0);
                ui.add(egui::Slider::new(&mut at_s, from.as_secs_f64()..=to.as_secs_f64()).show_value(false))
            })
            .inner
            .on_hover_text(lang.pick(
                "Drag to a moment of the job; the replay goes there when you let go",
                "Arrastre hasta un momento del trabajo; la reproducción va allí al soltar",
            ));
        if r.dragged() {
            self.held = Some(at_s);
        }
        if let Some(held) = self.held {
            ui.label(on_strip(&plant_time(Timestamp::from_secs_f64(held))).monospace());
        }
        if r.drag_stopped() || (r.changed() && !r.dragged()) {
            self.held = None;
            return Some(ReplayCmd::Seek(Timestamp::from_secs_f64(at_s)));
        }
        None
    }
}

/// Text on the strip's colour.
fn on_strip(text: &str) -> RichText {
    RichText::new(text).color(theme::ON_CHIP)
}

/// Plant time as operators read it: local date and time of day.
fn plant_time(t: Timestamp) -> String {
    chrono::DateTime::from_timestamp_micros(t.0)
        .map(|d| d.with_timezone(&chrono::Local).format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_else(|| "----------  --:--:--".to_owned())
}

/// Why a replay command did not go out, in the console's language.
fn refusal(e: &ReplayError, lang: Lang) -> &'static str {
    match e {
        ReplayError::Busy => lang.pick(
            "the replay is busy; try again",
            "la reproducción está ocupada; intente de nuevo",
        ),
        ReplayError::BadSpeed(_) => lang.pick(
            "replays run at 1 to 60 times real time",
            "la reproducción va de 1 a 60 veces el tiempo real",
        ),
        ReplayError::Stopped | ReplayError::EmptyWindow { .. } | ReplayError::History { .. } => {
            lang.pick("the replay has stopped", "la reproducción se detuvo")
        }
    }
}
