//! The Displays page: the project's P&ID screens in the main window, under a line that says when a screen
//! file on disk has a problem (and what is shown meanwhile), and the keys that move between screens from
//! any page (F1–F12, Alt+Left back, Alt+Up to the parent).
//!
//! Draws through `screen_view`, which only reports what the operator asked for; here a confirmed write goes
//! out through the console's context (as its user, with its notice) and the rest (a trend, a window) is
//! handed to the shell. Screen windows use the same two steps (`draw_ctx`, `screen_action`). Owns only the
//! main display's view state.

use super::context::Console;
use super::page::{FrameInputs, Page, PageView, ShellAction};
use super::screen_edit::{self, ScreenEditor};
use super::screen_view::{DrawCtx, ScreenAction, ScreenView, screen_page_ui};
use super::{readout, theme};
use crate::auth::Action;
use crate::auth::audit::AuditEntry;
use crate::hub::Snapshot;
use crate::screen::ScreenSet;
use egui::{RichText, Ui};
use std::path::PathBuf;

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

/// The Displays page: the main display's view state, the screen files' problems, and the screen editor
/// while one is open.
pub struct DisplayPage {
    view: ScreenView,
    /// Problems in edited screen files (`None`: files are not watched).
    problems: Option<crate::project::ConfigProblems>,
    /// The project directory the screens are read from (`None`: the built-in demo, which has none).
    root: Option<PathBuf>,
    editor: Option<ScreenEditor>,
}

impl DisplayPage {
    pub fn new(problems: Option<crate::project::ConfigProblems>, root: Option<PathBuf>) -> Self {
        Self {
            view: ScreenView::default(),
            problems,
            root,
            editor: None,
        }
    }

    /// The screen editor, while one is open.
    pub fn editor(&self) -> Option<&ScreenEditor> {
        self.editor.as_ref()
    }

    /// Opens the editor on screen `id` for a user whose role may edit; a refusal is audited and said.
    fn edit(&mut self, ui: &Ui, id: &str, console: &mut Console, frame: &FrameInputs<'_>) {
        let lang = console.lang();
        if let Some(why) = screen_edit::refusal(console) {
            let entry = AuditEntry::by(
                frame.now,
                &console.actor,
                "screen edit",
                id,
                "refused: the role may not edit screens",
                false,
            );
            if console.record(entry).is_err() {
                console.notices.say(lang.pick(
                    "NOT RECORDED: the audit trail's queue is full",
                    "NO REGISTRADO: la cola de auditoría está llena",
                ));
            }
            console.notices.say(why);
            return;
        }
        let Some(root) = &self.root else {
            console.notices.say(lang.pick(
                "The built-in demo has no project directory to write: run with --project DIR to edit its screens",
                "La demo integrada no tiene directorio de proyecto: ejecute con --project DIR para editar sus pantallas",
            ));
            return;
        };
        // The file the screen was loaded from: screens/NAME.toml (the editor writes nothing else).
        let Some(rel) = frame.screens.get(id).and_then(|s| {
            let path = s.defined_at.rsplitn(3, ':').nth(2)?;
            let name = std::path::Path::new(path).file_name()?.to_str()?;
            Some(format!("screens/{name}"))
        }) else {
            return;
        };
        let read_only = console.touch.then(|| {
            lang.pick(
                "Touch mode: the editor is read-only on a touch panel; edit with a mouse and keyboard.",
                "Modo táctil: el editor es de solo lectura en un panel táctil; edite con ratón y teclado.",
            )
            .to_owned()
        });
        let ctx = ui.ctx().clone();
        let notify: crate::editor::worker::Notify = std::sync::Arc::new(move || ctx.request_repaint());
        self.editor = Some(ScreenEditor::open(
            root.clone(),
            rel,
            id.to_owned(),
            read_only,
            Some(notify),
        ));
    }

    /// The main display's view state (which screen, the way back).
    pub fn view(&self) -> &ScreenView {
        &self.view
    }

    /// F1–F12 open the screens that name them (from any page: `page` becomes this one); Alt+Left goes
    /// back, Alt+Up to the parent, while this page is shown.
    pub fn keys_ui(&mut self, ui: &Ui, screens: &ScreenSet, page: &mut Page) {
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
            self.view.open(&s.id);
            *page = Page::Display;
        }
        if *page == Page::Display {
            if back {
                self.view.go_back();
            }
            if up {
                self.view.go_up(screens);
            }
        }
    }

    /// The line over the screen while a screen file has a problem: the first, how many more, and what is
    /// shown meanwhile.
    fn problems_ui(&self, ui: &mut Ui, screens: &ScreenSet, console: &Console) {
        let lang = console.lang();
        let Some(p) = &self.problems else { return };
        let problems = p.load_full();
        let Some(first) = problems.first() else { return };
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

impl PageView for DisplayPage {
    fn ui(&mut self, ui: &mut Ui, console: &mut Console, frame: &FrameInputs<'_>) -> Option<ShellAction> {
        if let Some(ed) = &mut self.editor {
            // The role is checked every frame: a logout or a handover leaves the editor read-only.
            ed.check_role(screen_edit::refusal(console), console, frame.now);
            ed.ui(ui, console, frame);
            if ed.is_closed() {
                self.editor = None;
            }
            return None;
        }
        self.problems_ui(ui, frame.screens, console);
        let cx = DrawCtx {
            editable: true,
            ..draw_ctx(console, frame)
        };
        let action = screen_page_ui(ui, frame.screens, &mut self.view, &cx);
        if let Some(ScreenAction::Edit(id)) = &action {
            let id = id.clone();
            self.edit(ui, &id, console, frame);
            return None;
        }
        screen_action(ui, console, frame.snap, action)
    }
}

/// What a screen is drawn from this frame, in the main window or another: the frame's data, seen in the
/// console's language, units and touch mode, with its commands enabled for a user who may command.
pub fn draw_ctx<'a>(console: &Console, frame: &FrameInputs<'a>) -> DrawCtx<'a> {
    DrawCtx {
        snap: frame.snap,
        marks: &frame.alarms.tag_marks,
        alarm_rows: &frame.alarms.rows,
        now: frame.now,
        lang: console.locale.lang,
        units: console.locale.units,
        history: frame.live,
        may_command: console.may(Action::CommandEquipment),
        touch: console.touch,
        editable: false,
    }
}

/// What an operator asked for on a screen, in the main window or another: a confirmed write goes out now
/// through the console (its notice follows it); a trend or a window is the shell's to do.
pub fn screen_action(
    ui: &Ui,
    console: &mut Console,
    snap: &Snapshot,
    action: Option<ScreenAction>,
) -> Option<ShellAction> {
    let action = action?;
    ui.ctx().request_repaint(); // the page it leads to, or its toast, without waiting for data
    match action {
        ScreenAction::Write { tag, value } => {
            console.write(snap, tag, value);
            None
        }
        ScreenAction::Trend(tags) => Some(ShellAction::Trend(tags)),
        ScreenAction::NewWindow(screen) => Some(ShellAction::NewWindow(screen)),
        // Only the main display offers Edit, and it opens the editor itself.
        ScreenAction::Edit(_) => None,
    }
}
