//! Which screen a display shows and the way back to the others: the view state of one display (the main
//! page, or a screen in its own window), and the breadcrumbs, Back and New window above the screen.
//!
//! Owns the view state every other part of the painter keeps between frames (motion phases, a pending
//! command, a setpoint being typed), so one display's state is one value. Draws only the navigation row;
//! the screen itself is the canvas's.

use super::canvas::canvas_ui;
use super::commands::PendingCommand;
use super::{DrawCtx, ScreenAction};
use crate::screen::def::{Screen, ScreenSet};
use crate::tag::Timestamp;
use crate::ui::keypad::SetpointEntry;
use crate::ui::theme;
use egui::Ui;
use std::collections::HashMap;
use std::sync::Arc;

/// One display's view state (the main page, or a screen in its own window).
#[derive(Debug, Default)]
pub struct ScreenView {
    current: Option<Arc<str>>,
    back: Vec<Arc<str>>,
    /// Accumulated rotation (degrees) or dash travel per (element, part), by the console's clock.
    pub(super) phases: HashMap<(usize, usize), f32>,
    /// The clock at the last frame drawn: motion advances by the time between frames.
    pub(super) last_now: Option<Timestamp>,
    /// A command button pressed, awaiting confirmation.
    pub(super) pending: Option<PendingCommand>,
    /// A setpoint being typed on the keypad.
    pub(super) entry: Option<SetpointEntry>,
}

impl ScreenView {
    pub fn showing(id: &str) -> Self {
        Self {
            current: Some(id.into()),
            ..Self::default()
        }
    }

    /// The screen shown: the one opened last, or the home screen (also after a reload removed it).
    pub fn current<'a>(&self, set: &'a ScreenSet) -> Option<&'a Arc<Screen>> {
        self.current
            .as_deref()
            .and_then(|id| set.get(id))
            .or_else(|| set.home())
    }

    pub fn current_id(&self) -> Option<&str> {
        self.current.as_deref()
    }

    pub fn open(&mut self, id: &str) {
        if self.current.as_deref() == Some(id) {
            return;
        }
        if let Some(c) = self.current.take() {
            self.back.push(c);
            if self.back.len() > 50 {
                self.back.remove(0);
            }
        }
        self.current = Some(id.into());
        self.phases.clear();
    }

    pub fn go_back(&mut self) {
        if let Some(p) = self.back.pop() {
            self.current = Some(p);
            self.phases.clear();
        }
    }

    pub fn go_up(&mut self, set: &ScreenSet) {
        if let Some(p) = self.current(set).and_then(|s| s.parent.clone()) {
            self.open(&p);
        }
    }

    pub fn can_go_back(&self) -> bool {
        !self.back.is_empty()
    }
}

/// Breadcrumbs, then the screen filling the rest of `ui`.
pub fn screen_page_ui(ui: &mut Ui, set: &ScreenSet, view: &mut ScreenView, cx: &DrawCtx<'_>) -> Option<ScreenAction> {
    let Some(screen) = view.current(set).cloned() else {
        ui.label(cx.lang.pick(
            "This project has no screens (screens/*.toml).",
            "Este proyecto no tiene pantallas (screens/*.toml).",
        ));
        return None;
    };
    let mut window = None;
    ui.horizontal(|ui| {
        if ui
            .add_enabled(view.can_go_back(), egui::Button::new(cx.lang.pick("Back", "Atrás")))
            .on_hover_text(cx.lang.pick("Alt+Left", "Alt+Flecha izquierda"))
            .clicked()
        {
            view.go_back();
        }
        ui.add_space(8.0);
        let crumbs = set.breadcrumbs(&screen.id);
        let last = crumbs.len().saturating_sub(1);
        for (i, s) in crumbs.iter().enumerate() {
            if i > 0 {
                ui.label(egui::RichText::new(">").color(theme::text_dim()));
            }
            let title = s.title.get(cx.lang);
            if i == last {
                ui.label(egui::RichText::new(title).strong().size(theme::TEXT_HEADING));
            } else if ui.link(title).clicked() {
                view.open(&s.id);
            }
        }
        if let Some(k) = screen.key {
            ui.label(
                egui::RichText::new(k.name())
                    .color(theme::text_dim())
                    .size(theme::TEXT_SMALL),
            );
        }
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui
                .button(cx.lang.pick("New window", "Nueva ventana"))
                .on_hover_text(cx.lang.pick(
                    "Open this screen in a window of its own (drag it to another monitor)",
                    "Abrir esta pantalla en una ventana propia (llévela a otro monitor)",
                ))
                .clicked()
            {
                window = Some(ScreenAction::NewWindow(screen.id.to_string()));
            }
            if cx.editable
                && ui
                    .button(cx.lang.pick("Edit", "Editar"))
                    .on_hover_text(cx.lang.pick(
                        "Edit this screen's file (engineers and administrators)",
                        "Editar el archivo de esta pantalla (ingenieros y administradores)",
                    ))
                    .clicked()
            {
                window = Some(ScreenAction::Edit(screen.id.to_string()));
            }
        });
    });
    ui.add_space(4.0);
    canvas_ui(ui, &screen, view, cx).or(window)
}
