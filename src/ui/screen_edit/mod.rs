//! The screen editor, inside the console: the screen being edited drawn with live data under a blue
//! EDITING frame, the palette on the left, the inspector on the right, and a bar of what can be done to
//! the selection (save, undo, redo, duplicate, delete, restack, align, distribute).
//!
//! Select by click (Shift or Ctrl adds), by dragging a box on empty canvas; move by dragging (snapped to
//! a 10-unit grid and to the other elements' edges, with the guides drawn) or with the arrow keys (1
//! unit, Shift: 10); resize from the corner handle. Ctrl+Z, Ctrl+Y (Ctrl+Shift+Z), Ctrl+D, Ctrl+C,
//! Ctrl+V, Delete, Ctrl+S, Esc.
//!
//! Owns the page's state only; the file and its checks are `editor::session`'s, the disk is
//! `editor::worker`'s thread (the UI never waits on it), and the caller checks the role before it opens
//! one and audits each save with the hash it answers.

mod canvas;
mod inspector;
mod palette;

use crate::auth::audit::AuditEntry;
use crate::editor::doc::{ElementKind, ElementRef, Restack, number, point_value};
use crate::editor::template::{self, Template};
use crate::editor::worker::{Reply, Request};
use crate::editor::{EditSession, SaveError, Worker};
use crate::lang::Lang;
use crate::screen::def::{Pt, Screen};
use crate::ui::context::Console;
use crate::ui::page::FrameInputs;
use crate::ui::screen_view::ScreenView;
use crate::ui::theme;
use canvas::Drag;
use egui::{RichText, Ui};
use inspector::{Change, Inspector};
use palette::PaletteItem;
use std::path::PathBuf;

pub use canvas::{Align, Guide, drag_frame_ui, snap_move};

/// What is being opened: the file and which of its screens to show.
#[derive(Debug, Clone)]
struct Target {
    root: PathBuf,
    rel: String,
    screen_id: String,
}

/// The editor page (see the module's doc).
pub struct ScreenEditor {
    target: Target,
    worker: Option<Worker>,
    session: Option<EditSession>,
    /// Why nothing can be edited (the file could not be opened, touch mode).
    failed: Option<String>,
    read_only: Option<String>,
    selection: Vec<ElementRef>,
    drag: Option<Drag>,
    /// A palette item being dragged onto the canvas.
    carrying: Option<PaletteItem>,
    inspector: Inspector,
    /// The save was refused over a change made on disk: the engineer chooses.
    conflict: Option<String>,
    /// The last thing said in the bar: (good, text).
    status: Option<(bool, String)>,
    /// Snap to the grid and to other elements' edges while dragging.
    pub snap: bool,
    view: ScreenView,
    /// Copied elements: each one's kind and table.
    clipboard: Vec<(ElementKind, toml_edit::Table, Pt)>,
    /// The engineer closed the editor.
    closed: bool,
    /// Who asked for the save in flight (the audit names them, whoever sits at the console when it lands).
    saving_by: Option<crate::auth::Actor>,
    /// Why the console's user may not edit now (logged out, another role): read-only meanwhile.
    refused: Option<String>,
    /// The new-screen form, while open.
    new_screen: Option<NewScreen>,
    /// Close was asked with unsaved changes: the engineer confirms.
    confirm_close: bool,
}

/// What the new-screen form holds.
#[derive(Debug, Clone)]
struct NewScreen {
    template: Template,
    id: String,
    en: String,
    es: String,
    parent: String,
    problem: Option<String>,
}

impl Default for NewScreen {
    fn default() -> Self {
        Self {
            template: Template::Unit,
            id: String::new(),
            en: String::new(),
            es: String::new(),
            parent: String::new(),
            problem: None,
        }
    }
}

/// The grid moves and drops snap to (canvas units).
pub const GRID: f32 = 10.0;

impl ScreenEditor {
    /// Opens `rel` of the project at `root` (its screen `screen_id`), read-only with `read_only`'s note.
    /// The file is read on the editor's own thread; `notify` wakes the UI when it answers.
    pub fn open(
        root: PathBuf,
        rel: String,
        screen_id: String,
        read_only: Option<String>,
        notify: Option<crate::editor::worker::Notify>,
    ) -> Self {
        let target = Target { root, rel, screen_id };
        let (worker, failed) = match Worker::start(notify) {
            Ok(mut w) => {
                w.send(Request::Open {
                    root: target.root.clone(),
                    rel: target.rel.clone(),
                });
                (Some(w), None)
            }
            Err(e) => (None, Some(format!("the editor's file thread did not start: {e}"))),
        };
        Self {
            target,
            worker,
            session: None,
            failed,
            read_only,
            selection: Vec::new(),
            drag: None,
            carrying: None,
            inspector: Inspector::default(),
            conflict: None,
            status: None,
            snap: true,
            view: ScreenView::default(),
            clipboard: Vec::new(),
            closed: false,
            refused: None,
            confirm_close: false,
            saving_by: None,
            new_screen: None,
        }
    }

    /// The editor was closed (the page goes back to the screens).
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// The file being edited, once open.
    pub fn session(&self) -> Option<&EditSession> {
        self.session.as_ref()
    }

    /// The last thing the editor's bar said (a refusal, a save), if any.
    pub fn status(&self) -> Option<&str> {
        self.status.as_ref().map(|(_, t)| t.as_str())
    }

    /// A palette item is being dragged onto the canvas.
    pub fn carrying(&self) -> bool {
        self.carrying.is_some()
    }

    /// The elements selected now.
    pub fn selection(&self) -> &[ElementRef] {
        &self.selection
    }

    fn editable(&self) -> bool {
        self.read_only.is_none()
            && self.refused.is_none()
            && self.session.is_some()
            && self.worker.as_ref().is_some_and(|w| !w.busy() && !w.is_dead())
    }

    fn busy(&self) -> bool {
        self.worker.as_ref().is_some_and(Worker::busy)
    }

    /// Called every frame with why the console's user may not edit now (`None`: they may): a user who
    /// logs out or hands over to one who may not edit leaves the editor read-only, said and audited once.
    pub fn check_role(&mut self, refusal: Option<String>, console: &mut Console, now: crate::tag::Timestamp) {
        if refusal.is_some() && self.refused.is_none() {
            let entry = AuditEntry::by(
                now,
                &console.actor,
                "screen edit",
                &self.target.rel,
                "refused: the role may not edit screens (the editor became read-only)",
                false,
            );
            if console.record(entry).is_err() {
                console.notices.say(console.lang().pick(
                    "NOT RECORDED: the audit trail's queue is full",
                    "NO REGISTRADO: la cola de auditoría está llena",
                ));
            }
            self.drag = None;
        }
        self.refused = refusal;
    }

    fn say(&mut self, ok: bool, text: impl Into<String>) {
        self.status = Some((ok, text.into()));
    }

    /// Makes a change through the session; a refusal is said in the bar. True when made.
    fn apply<T>(
        &mut self,
        edit: impl FnOnce(&mut crate::editor::ScreenDoc) -> Result<T, crate::editor::doc::EditError>,
    ) -> Option<T> {
        let s = self.session.as_mut()?;
        match s.apply(edit) {
            Ok(t) => {
                self.status = None;
                // The inspector shows the file's values again (not text typed before this change).
                self.inspector.clear();
                self.drag = None;
                Some(t)
            }
            Err(e) => {
                self.say(false, e.to_string());
                None
            }
        }
    }

    /// Picks up what the file thread answered.
    fn replies(&mut self, console: &mut Console, frame: &FrameInputs<'_>) {
        let lang = console.lang();
        while let Some(reply) = self.worker.as_mut().and_then(Worker::try_reply) {
            match reply {
                Reply::Opened(Ok((opened, files))) => {
                    let tags = frame.snap.directory.clone();
                    match &mut self.session {
                        // Reopened after a conflict: the disk's version replaces the edits.
                        Some(s) => {
                            match s.reopen(opened, files) {
                                Ok(()) => {
                                    self.status =
                                        Some((true, lang.pick("Reloaded from disk", "Recargado del disco").to_owned()))
                                }
                                Err(e) => self.status = Some((false, e.to_string())),
                            }
                            self.selection.clear();
                            self.inspector.clear();
                            self.drag = None;
                        }
                        None => match EditSession::open(opened, files, tags, &self.target.screen_id) {
                            Ok(s) => self.session = Some(s),
                            Err(e) => self.failed = Some(e.to_string()),
                        },
                    }
                }
                // A failed reload keeps the edits on screen; a failed first open has nothing to show.
                Reply::Opened(Err(e)) if self.session.is_some() => self.say(false, e.to_string()),
                Reply::Opened(Err(e)) => self.failed = Some(e.to_string()),
                Reply::Created(Ok((opened, files, saved))) => {
                    let by = self.saving_by.take().unwrap_or_else(|| console.actor.clone());
                    let entry = AuditEntry::by(
                        frame.now,
                        &by,
                        "screen create",
                        &opened.rel,
                        format!("sha256 {}, {} bytes", saved.hash, saved.bytes),
                        true,
                    );
                    if console.record(entry).is_err() {
                        console.notices.say(lang.pick(
                            "NOT RECORDED: the audit trail's queue is full",
                            "NO REGISTRADO: la cola de auditoría está llena",
                        ));
                    }
                    // The screen's id is its file's name (the form may have changed meanwhile).
                    self.new_screen = None;
                    let rel = opened.rel.clone();
                    let id = rel
                        .strip_prefix("screens/")
                        .and_then(|n| n.strip_suffix(".toml"))
                        .unwrap_or_default()
                        .to_owned();
                    match EditSession::open(opened, files, frame.snap.directory.clone(), &id) {
                        Ok(s) => {
                            self.target.rel = rel.clone();
                            self.target.screen_id = id;
                            self.session = Some(s);
                            self.selection.clear();
                            self.inspector.clear();
                            self.drag = None;
                            self.carrying = None;
                            self.conflict = None;
                            self.confirm_close = false;
                            self.say(true, format!("{} {rel}", lang.pick("Created", "Creada")));
                        }
                        Err(e) => self.say(false, e.to_string()),
                    }
                }
                Reply::Created(Err(e)) => {
                    self.saving_by = None;
                    self.say(false, e.to_string());
                }
                Reply::Saved { text, result } => match result {
                    Ok((opened, saved)) => {
                        let hash = saved.hash.clone();
                        let detail = format!(
                            "sha256 {hash}, {} bytes{}",
                            saved.bytes,
                            saved
                                .backup
                                .as_ref()
                                .map(|b| format!(", previous version kept as {}", b.display()))
                                .unwrap_or_default()
                        );
                        let by = self.saving_by.take().unwrap_or_else(|| console.actor.clone());
                        let entry = AuditEntry::by(frame.now, &by, "screen save", &opened.rel, detail, true);
                        if console.record(entry).is_err() {
                            console.notices.say(lang.pick(
                                "NOT RECORDED: the audit trail's queue is full",
                                "NO REGISTRADO: la cola de auditoría está llena",
                            ));
                        }
                        let rel = opened.rel.clone();
                        if let Some(s) = &mut self.session
                            && s.text() == text
                        {
                            s.saved(opened);
                        }
                        self.conflict = None;
                        self.say(
                            true,
                            format!("{} {rel} (sha256 {})", lang.pick("Saved", "Guardado"), &hash[..12]),
                        );
                    }
                    Err(SaveError::Conflict { .. }) => {
                        let e = result.err().map(|e| e.to_string()).unwrap_or_default();
                        self.conflict = Some(e);
                    }
                    Err(e) => self.say(false, e.to_string()),
                },
            }
        }
    }

    fn save(&mut self, over_disk_change: bool, by: &crate::auth::Actor) {
        if !self.editable() {
            return;
        }
        let Some(s) = &self.session else { return };
        let req = Request::Save {
            opened: s.opened().clone(),
            text: s.text().to_owned(),
            over_disk_change,
        };
        if let Some(w) = &mut self.worker
            && w.send(req)
        {
            self.saving_by = Some(by.clone());
            self.drag = None;
        }
    }

    /// Draws the editor; the caller shows the screens again once `is_closed`.
    pub fn ui(&mut self, ui: &mut Ui, console: &mut Console, frame: &FrameInputs<'_>) {
        self.replies(console, frame);
        let lang = console.lang();
        if self.worker.as_ref().is_some_and(Worker::busy) {
            ui.ctx().request_repaint_after(std::time::Duration::from_millis(50));
        }
        self.bar_ui(ui, lang, &console.actor);
        if let Some(note) = &self.read_only {
            ui.label(RichText::new(note).color(theme::EDITING));
        }
        if let Some(why) = &self.refused {
            ui.label(
                RichText::new(format!(
                    "{why}: {}",
                    lang.pick("the editor is read-only", "el editor es de solo lectura")
                ))
                .color(theme::ALARM_MEDIUM),
            );
        }
        self.conflict_ui(ui, lang, &console.actor);
        self.new_screen_ui(ui, lang, &console.actor);
        if let Some(why) = &self.failed {
            ui.label(RichText::new(why).color(theme::ALARM_CRITICAL));
            return;
        }
        let Some(screen) = self.session.as_ref().and_then(|s| s.screen().cloned()) else {
            match &self.session {
                // Opened, but the project has problems that keep the screen from loading: say them.
                Some(s) => {
                    ui.label(
                        RichText::new(lang.pick(
                            "The screen cannot be drawn until these problems are fixed (in a text editor):",
                            "La pantalla no se puede dibujar hasta corregir estos problemas (en un editor de texto):",
                        ))
                        .color(theme::ALARM_MEDIUM),
                    );
                    for p in s.problems().iter().take(10) {
                        ui.label(RichText::new(p.to_string()).monospace().small());
                    }
                }
                None => {
                    ui.label(lang.pick("Opening the screen file…", "Abriendo el archivo de pantalla…"));
                }
            }
            return;
        };
        self.keys_ui(ui, &screen, &console.actor);
        let full = ui.available_rect_before_wrap();
        let left = full.with_max_x(full.min.x + 200.0);
        let right = full.with_min_x(full.max.x - 330.0);
        let middle = egui::Rect::from_min_max(
            egui::pos2(left.max.x + 6.0, full.min.y),
            egui::pos2(right.min.x - 6.0, full.max.y),
        );
        ui.allocate_rect(full, egui::Sense::hover());
        let editable = self.editable();
        let mut palette_pick = None;
        {
            let mut child = ui.new_child(egui::UiBuilder::new().max_rect(left).id_salt("editor-palette-area"));
            if let Some(s) = &self.session {
                palette_pick = palette::palette_ui(&mut child, s.screen_set(), lang, editable);
            }
        }
        match palette_pick {
            Some((item, true)) => {
                let at = Pt::new(screen.canvas.x / 2.0, screen.canvas.y / 2.0);
                self.insert(&item, at, &screen, frame, lang);
            }
            Some((item, false)) => self.carrying = Some(item),
            None => {}
        }
        {
            let mut child = ui.new_child(egui::UiBuilder::new().max_rect(middle).id_salt("editor-canvas-area"));
            let cx = crate::ui::screen_view::DrawCtx {
                may_command: false,
                editable: false,
                ..crate::ui::display_page::draw_ctx(console, frame)
            };
            let dropped = canvas::canvas_ui(&mut child, self, &screen, &cx, editable);
            if let Some((item, at)) = dropped {
                self.insert(&item, at, &screen, frame, lang);
            }
        }
        {
            let mut child = ui.new_child(egui::UiBuilder::new().max_rect(right).id_salt("editor-inspector-area"));
            self.inspector_ui(&mut child, frame, lang, editable);
        }
    }

    fn bar_ui(&mut self, ui: &mut Ui, lang: Lang, by: &crate::auth::Actor) {
        let editable = self.editable();
        let frame = egui::Frame::new()
            .fill(theme::EDITING)
            .inner_margin(egui::Margin::symmetric(8, 4));
        frame.show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                ui.label(
                    RichText::new(lang.pick("EDITING", "EDITANDO"))
                        .strong()
                        .color(theme::ON_CHIP),
                );
                ui.label(RichText::new(&self.target.rel).monospace().color(theme::ON_CHIP));
                let saved = self.session.as_ref().is_none_or(EditSession::is_saved);
                if !saved {
                    ui.label(
                        RichText::new(lang.pick("· unsaved changes", "· cambios sin guardar")).color(theme::ON_CHIP),
                    );
                }
                ui.separator();
                let can_save = editable && !saved;
                if ui
                    .add_enabled(can_save, egui::Button::new(lang.pick("Save", "Guardar")))
                    .on_hover_text("Ctrl+S")
                    .clicked()
                {
                    self.save(false, by);
                }
                let (undo, redo) = self
                    .session
                    .as_ref()
                    .map_or((0, 0), |s| (s.undo_steps(), s.redo_steps()));
                if ui
                    .add_enabled(editable && undo > 0, egui::Button::new(lang.pick("Undo", "Deshacer")))
                    .on_hover_text("Ctrl+Z")
                    .clicked()
                {
                    self.undo();
                }
                if ui
                    .add_enabled(editable && redo > 0, egui::Button::new(lang.pick("Redo", "Rehacer")))
                    .on_hover_text("Ctrl+Y")
                    .clicked()
                {
                    self.redo();
                }
                let some = editable && !self.selection.is_empty();
                if ui
                    .add_enabled(some, egui::Button::new(lang.pick("Duplicate", "Duplicar")))
                    .on_hover_text("Ctrl+D")
                    .clicked()
                {
                    self.duplicate();
                }
                if ui
                    .add_enabled(some, egui::Button::new(lang.pick("Delete", "Eliminar")))
                    .on_hover_text("Delete")
                    .clicked()
                {
                    self.delete();
                }
                let one = editable && self.selection.len() == 1;
                if ui
                    .add_enabled(one, egui::Button::new(lang.pick("Forward", "Adelante")))
                    .clicked()
                {
                    self.restack(Restack::Forward);
                }
                if ui
                    .add_enabled(one, egui::Button::new(lang.pick("Backward", "Atrás")))
                    .clicked()
                {
                    self.restack(Restack::Backward);
                }
                let many = editable && self.selection.len() > 1;
                ui.add_enabled_ui(many, |ui| {
                    ui.menu_button(lang.pick("Align", "Alinear"), |ui| {
                        for a in canvas::Align::ALL {
                            if ui.button(a.label(lang)).clicked() {
                                self.align(a);
                            }
                        }
                    });
                });
                ui.checkbox(&mut self.snap, lang.pick("Snap", "Ajustar"));
                if ui
                    .add_enabled(
                        editable && saved,
                        egui::Button::new(lang.pick("New screen…", "Nueva pantalla…")),
                    )
                    .on_hover_text(lang.pick(
                        "From a template: L1 overview, L2 unit, L3 detail (save this one first)",
                        "Desde una plantilla: N1 vista general, N2 unidad, N3 detalle (guarde esta primero)",
                    ))
                    .clicked()
                {
                    self.new_screen = Some(NewScreen::default());
                }
                ui.separator();
                // Not while a save is in flight (its audit entry must land); unsaved changes are confirmed.
                if ui
                    .add_enabled(
                        !self.busy(),
                        egui::Button::new(lang.pick("Close editor", "Cerrar editor")),
                    )
                    .clicked()
                {
                    if saved || self.read_only.is_some() || self.refused.is_some() {
                        self.closed = true;
                    } else {
                        self.confirm_close = true;
                    }
                }
                if self.confirm_close {
                    ui.label(
                        RichText::new(lang.pick("Close without saving?", "¿Cerrar sin guardar?")).color(theme::ON_CHIP),
                    );
                    if ui.button(lang.pick("Discard changes", "Descartar cambios")).clicked() {
                        self.closed = true;
                    }
                    if ui.button(lang.pick("Keep editing", "Seguir editando")).clicked() {
                        self.confirm_close = false;
                    }
                }
                if let Some((ok, text)) = &self.status {
                    let c = if *ok { theme::ON_CHIP } else { theme::ALARM_MEDIUM };
                    ui.label(RichText::new(text).color(c));
                }
                if self.worker.as_ref().is_some_and(Worker::busy) {
                    ui.label(RichText::new(lang.pick("working…", "trabajando…")).color(theme::ON_CHIP));
                }
            });
        });
    }

    /// The new-screen form: template, id, title in both languages, parent.
    fn new_screen_ui(&mut self, ui: &mut Ui, lang: Lang, by: &crate::auth::Actor) {
        let Some(n) = &mut self.new_screen else { return };
        let parents: Vec<(String, String)> = self
            .session
            .as_ref()
            .map(|s| {
                s.screen_set()
                    .screens
                    .iter()
                    .map(|x| (x.id.to_string(), x.title.get(lang).to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        let mut create = false;
        let mut cancel = false;
        egui::Frame::new()
            .stroke(egui::Stroke::new(2.0, theme::EDITING))
            .inner_margin(egui::Margin::same(6))
            .show(ui, |ui| {
                ui.horizontal_wrapped(|ui| {
                    ui.label(RichText::new(lang.pick("New screen", "Nueva pantalla")).strong());
                    for t in Template::ALL {
                        ui.radio_value(&mut n.template, t, t.label(lang));
                    }
                    let l = ui.label(lang.pick("new screen id", "id de la nueva"));
                    ui.add(egui::TextEdit::singleline(&mut n.id).desired_width(120.0))
                        .labelled_by(l.id);
                    let l = ui.label(lang.pick("new title EN", "nuevo título EN"));
                    ui.add(egui::TextEdit::singleline(&mut n.en).desired_width(180.0))
                        .labelled_by(l.id);
                    let l = ui.label(lang.pick("new title ES", "nuevo título ES"));
                    ui.add(egui::TextEdit::singleline(&mut n.es).desired_width(180.0))
                        .labelled_by(l.id);
                    if n.template != Template::Overview {
                        let l = ui.label(lang.pick("new screen's parent", "padre de la nueva"));
                        egui::ComboBox::from_id_salt("new-screen-parent")
                            .selected_text(if n.parent.is_empty() {
                                "—".to_owned()
                            } else {
                                n.parent.clone()
                            })
                            .show_ui(ui, |ui| {
                                for (id, title) in &parents {
                                    ui.selectable_value(&mut n.parent, id.clone(), format!("{id} — {title}"));
                                }
                            })
                            .response
                            .labelled_by(l.id);
                    }
                    create = ui.button(lang.pick("Create", "Crear")).clicked();
                    cancel = ui.button(lang.pick("Cancel", "Cancelar")).clicked();
                });
                if let Some(p) = &n.problem {
                    ui.label(RichText::new(p).color(theme::ALARM_CRITICAL));
                }
            });
        if cancel {
            self.new_screen = None;
            return;
        }
        if !create {
            return;
        }
        let id = n.id.trim().to_owned();
        let unsaved = self.session.as_ref().is_some_and(|s| !s.is_saved());
        let problem = template::id_problem(&id)
            .map(str::to_owned)
            .or_else(|| unsaved.then(|| "save this screen first: the new one replaces it in the editor".to_owned()))
            .or_else(|| {
                (n.en.trim().is_empty() || n.es.trim().is_empty())
                    .then(|| "a title in both languages, always".to_owned())
            })
            .or_else(|| {
                (n.template != Template::Overview && n.parent.is_empty())
                    .then(|| "a unit or detail screen needs its parent".to_owned())
            });
        if let Some(p) = problem {
            n.problem = Some(p);
            return;
        }
        n.problem = None;
        let parent = (n.template != Template::Overview).then_some(n.parent.as_str());
        let text = template::new_screen(n.template, &id, (n.en.trim(), n.es.trim()), parent);
        n.id = id.clone();
        let req = Request::Create {
            root: self.target.root.clone(),
            rel: format!("screens/{id}.toml"),
            text,
        };
        if self.editable()
            && let Some(w) = &mut self.worker
            && w.send(req)
        {
            self.saving_by = Some(by.clone());
        }
    }

    fn conflict_ui(&mut self, ui: &mut Ui, lang: Lang, by: &crate::auth::Actor) {
        let Some(why) = self.conflict.clone() else { return };
        egui::Frame::new()
            .fill(theme::ALARM_MEDIUM)
            .inner_margin(egui::Margin::symmetric(8, 4))
            .show(ui, |ui| {
                ui.horizontal_wrapped(|ui| {
                    ui.label(RichText::new(why).color(theme::ALARM_OUTLINE));
                    let idle = !self.busy();
                    if ui
                        .add_enabled(
                            idle,
                            egui::Button::new(lang.pick("Save over the change", "Guardar sobre el cambio")),
                        )
                        .clicked()
                    {
                        self.save(true, by);
                    }
                    if ui
                        .add_enabled(
                            idle,
                            egui::Button::new(lang.pick(
                                "Reload from disk (drop my changes)",
                                "Recargar del disco (descartar mis cambios)",
                            )),
                        )
                        .clicked()
                        && let Some(w) = &mut self.worker
                    {
                        w.send(Request::Open {
                            root: self.target.root.clone(),
                            rel: self.target.rel.clone(),
                        });
                        self.conflict = None;
                    }
                    if ui.button(lang.pick("Cancel", "Cancelar")).clicked() {
                        self.conflict = None;
                    }
                });
            });
    }

    fn inspector_ui(&mut self, ui: &mut Ui, frame: &FrameInputs<'_>, lang: Lang, editable: bool) {
        ui.label(RichText::new(lang.pick("Inspector", "Inspector")).strong());
        let Some(s) = &self.session else { return };
        if !s.problems().is_empty() {
            ui.label(
                RichText::new(format!(
                    "{} {}",
                    s.problems().len(),
                    lang.pick("problem(s) in the file:", "problema(s) en el archivo:")
                ))
                .color(theme::ALARM_MEDIUM),
            );
            for p in s.problems().iter().take(3) {
                ui.label(RichText::new(p.to_string()).small().monospace());
            }
        }
        match self.selection.as_slice() {
            [] => {
                ui.label(
                    RichText::new(lang.pick(
                        "Nothing selected: the screen's properties (click an element for its own).",
                        "Nada seleccionado: propiedades de la pantalla (clic en un elemento para las suyas).",
                    ))
                    .color(theme::text_dim()),
                );
                if s.doc().root().contains_key("assets") {
                    ui.label(
                        RichText::new(lang.pick(
                            "A templated screen: every change shows on each asset's screen.",
                            "Pantalla de plantilla: cada cambio se ve en la pantalla de cada activo.",
                        ))
                        .color(theme::EDITING),
                    );
                }
                // Only the screen's own keys: the root table holds every element too.
                let mut root = toml_edit::Table::new();
                for (k, _) in inspector::SCREEN_FIELDS {
                    if let Some(item) = s.doc().root().get(k) {
                        root.insert(k, item.clone());
                    }
                }
                let set = s.shared_set();
                let change = egui::ScrollArea::vertical()
                    .id_salt("editor-screen-properties")
                    .show(ui, |ui| {
                        ui.add_enabled_ui(editable, |ui| {
                            self.inspector.screen_ui(ui, &root, &set, &frame.snap.directory, lang)
                        })
                        .inner
                    })
                    .inner;
                if let Some(c) = change {
                    let made = self.session.as_mut().map(|s| {
                        s.apply(|d| {
                            match &c {
                                Change::Set(k, v) => d.set_root(k, v.clone()),
                                Change::Remove(k) => d.remove_root(k),
                            }
                            Ok(())
                        })
                    });
                    match made {
                        Some(Ok(())) => self.inspector.accepted(),
                        Some(Err(e)) => self.inspector.refused(e.to_string()),
                        None => {}
                    }
                }
            }
            [r] => {
                let r = r.clone();
                if r.kind == ElementKind::Line
                    && ui
                        .add_enabled(editable, egui::Button::new(lang.pick("Square the bends", "Escuadrar los codos")))
                        .on_hover_text(lang.pick(
                            "Route the line with horizontal and vertical runs only (a corner at each slanted step)",
                            "Trazar la línea solo con tramos horizontales y verticales (un codo en cada paso inclinado)",
                        ))
                        .clicked()
                {
                    self.square_line(&r);
                    return;
                }
                let Some(table) = s.doc().table(&r).cloned() else {
                    return;
                };
                ui.label(RichText::new(format!("{} · {r}", palette::kind_name(r.kind, lang))).monospace());
                let set = s.shared_set();
                // From the file as written, not the loaded screen: a templated screen's ids keep their
                // `{asset}`, so a line picked here joins the same symbol on every asset's screen.
                self.inspector.ports = s
                    .doc()
                    .elements()
                    .iter()
                    .filter(|e| e.kind == ElementKind::Symbol)
                    .filter_map(|e| {
                        let t = s.doc().table(e)?;
                        let id = t.get("id")?.as_str()?;
                        let sym = set
                            .symbols
                            .iter()
                            .find(|y| Some(&*y.id) == t.get("use").and_then(|u| u.as_str()))?;
                        Some(
                            sym.ports
                                .iter()
                                .map(move |p| format!("{id}.{}", p.name))
                                .collect::<Vec<_>>(),
                        )
                    })
                    .flatten()
                    .collect();
                let change = egui::ScrollArea::vertical()
                    .id_salt("editor-inspector")
                    .show(ui, |ui| {
                        ui.add_enabled_ui(editable, |ui| {
                            self.inspector.ui(ui, r.kind, &table, &set, &frame.snap.directory, lang)
                        })
                        .inner
                    })
                    .inner;
                if let Some(c) = change {
                    let made = self.session.as_mut().map(|s| {
                        s.apply(|d| match &c {
                            Change::Set(k, v) => d.set(&r, k, v.clone()),
                            Change::Remove(k) => d.remove(&r, k),
                        })
                    });
                    match made {
                        Some(Ok(())) => self.inspector.accepted(),
                        Some(Err(e)) => self.inspector.refused(e.to_string()),
                        None => {}
                    }
                }
            }
            many => {
                ui.label(format!(
                    "{} {}",
                    many.len(),
                    lang.pick("elements selected", "elementos seleccionados")
                ));
            }
        }
    }

    fn keys_ui(&mut self, ui: &Ui, screen: &Screen, by: &crate::auth::Actor) {
        // Not while a drag holds indexes into the screen, nor while a field takes the keys.
        if !self.editable() || self.drag.is_some() || ui.ctx().memory(|m| m.focused().is_some()) {
            return;
        }
        use egui::{Key, Modifiers};
        let (undo, redo, redo2, dup, del, save, esc, copy, paste, shift, arrows) = ui.input_mut(|i| {
            let arrows = Pt::new(
                f32::from(i.key_pressed(Key::ArrowRight)) - f32::from(i.key_pressed(Key::ArrowLeft)),
                f32::from(i.key_pressed(Key::ArrowDown)) - f32::from(i.key_pressed(Key::ArrowUp)),
            );
            let copy = i.events.iter().any(|e| matches!(e, egui::Event::Copy));
            let paste = i.events.iter().any(|e| matches!(e, egui::Event::Paste(_)));
            (
                i.consume_key(Modifiers::COMMAND | Modifiers::SHIFT, Key::Z),
                i.consume_key(Modifiers::COMMAND, Key::Y),
                false,
                i.consume_key(Modifiers::COMMAND, Key::D),
                i.consume_key(Modifiers::NONE, Key::Delete),
                i.consume_key(Modifiers::COMMAND, Key::S),
                i.consume_key(Modifiers::NONE, Key::Escape),
                copy,
                paste,
                i.modifiers.shift,
                arrows,
            )
        });
        // Checked after Ctrl+Shift+Z so that one is not also taken as Ctrl+Z.
        let undo_plain = ui.input_mut(|i| i.consume_key(Modifiers::COMMAND, Key::Z));
        if undo_plain {
            self.undo();
        }
        if undo || redo || redo2 {
            self.redo();
        }
        if dup {
            self.duplicate();
        }
        if del {
            self.delete();
        }
        if save && self.session.as_ref().is_some_and(|s| !s.is_saved()) {
            self.save(false, by);
        }
        if esc {
            self.selection.clear();
            self.inspector.clear();
        }
        if copy {
            self.copy(ui);
        }
        if paste {
            self.paste(screen);
        }
        if (arrows.x != 0.0 || arrows.y != 0.0) && !self.selection.is_empty() {
            let step = if shift { GRID } else { 1.0 };
            let sel = self.selection.clone();
            self.apply(|d| d.translate(&sel, arrows.scale(step)));
        }
    }

    fn undo(&mut self) {
        if self.session.as_mut().is_some_and(EditSession::undo) {
            self.after_history();
        }
    }

    fn redo(&mut self) {
        if self.session.as_mut().is_some_and(EditSession::redo) {
            self.after_history();
        }
    }

    /// Undo and redo move elements about in the file: a selection by position could name another one.
    fn after_history(&mut self) {
        self.selection.clear();
        self.inspector.clear();
        self.drag = None;
        self.status = None;
    }

    fn duplicate(&mut self) {
        let sel = self.selection.clone();
        if let Some(copies) = self.apply(|d| d.duplicate(&sel, Pt::new(GRID * 2.0, GRID * 2.0))) {
            self.selection = copies;
            self.inspector.clear();
        }
    }

    fn delete(&mut self) {
        let sel = self.selection.clone();
        if self.apply(|d| d.delete(&sel)).is_some() {
            self.selection.clear();
            self.inspector.clear();
        }
    }

    fn restack(&mut self, how: Restack) {
        let [r] = self.selection.as_slice() else { return };
        let r = r.clone();
        if let Some(moved) = self.apply(|d| d.restack(&r, how)) {
            self.selection = vec![moved];
        }
    }

    fn copy(&mut self, ui: &Ui) {
        let Some(s) = &self.session else { return };
        let inside_selected_group = |r: &ElementRef| {
            self.selection.iter().any(|g| {
                g.kind == ElementKind::Group
                    && r.groups.len() > g.groups.len()
                    && r.groups[..g.groups.len()] == g.groups[..]
                    && r.groups[g.groups.len()] == g.index
            })
        };
        self.clipboard = self
            .selection
            .iter()
            .filter(|r| !inside_selected_group(r))
            .filter_map(|r| {
                // An element copied out of a group is pasted on the screen itself: where it is drawn.
                let offset = s.doc().group_offset(r);
                s.doc().table(r).map(|t| (r.kind, t.clone(), offset))
            })
            .collect();
        let text: String = self
            .clipboard
            .iter()
            .map(|(k, t, _)| format!("[[{}]]\n{}", k.key(), t))
            .collect::<Vec<_>>()
            .join("\n");
        ui.ctx().copy_text(text);
    }

    /// Pastes the copied elements at the top level, offset so they do not hide their originals.
    fn paste(&mut self, screen: &Screen) {
        if self.clipboard.is_empty() {
            return;
        }
        let items = self.clipboard.clone();
        let _ = screen;
        let pasted = self.apply(|d| {
            let mut out = Vec::new();
            for (kind, t, offset) in &items {
                let r = d.insert(&[], *kind, t.clone())?;
                if *offset != Pt::default() {
                    d.translate(std::slice::from_ref(&r), *offset)?;
                }
                out.push(r);
            }
            // Copies of the inserted tables get fresh ids (so lines do not join the originals' symbols
            // by mistake); then the inserted tables go, which moves the copies of the same kind down.
            let copies = d.duplicate(&out, Pt::new(GRID * 2.0, GRID * 2.0))?;
            d.delete(&out)?;
            Ok(copies
                .into_iter()
                .map(|mut c| {
                    c.index -= out
                        .iter()
                        .filter(|o| o.groups == c.groups && o.kind == c.kind && o.index < c.index)
                        .count();
                    c
                })
                .collect::<Vec<_>>())
        });
        if let Some(copies) = pasted {
            self.selection = copies;
            self.inspector.clear();
        }
    }

    fn insert(&mut self, item: &PaletteItem, at: Pt, screen: &Screen, frame: &FrameInputs<'_>, lang: Lang) {
        if !self.editable() {
            return;
        }
        let Some(s) = &self.session else { return };
        let at = if self.snap { canvas::snap_point(at) } else { at };
        match palette::new_element(item, at, screen, s.screen_set(), &frame.snap.directory, lang) {
            Ok((kind, table)) => {
                if let Some(r) = self.apply(|d| d.insert(&[], kind, table)) {
                    self.selection = vec![r];
                    self.inspector.clear();
                }
            }
            Err(why) => self.say(false, why),
        }
    }

    fn align(&mut self, how: canvas::Align) {
        let Some(s) = &self.session else { return };
        let Some(screen) = s.screen().cloned() else { return };
        let moves = canvas::align_moves(&screen, &self.selection, how);
        self.apply(|d| {
            for (r, delta) in &moves {
                d.translate(std::slice::from_ref(r), *delta)?;
            }
            Ok(())
        });
    }

    /// Routes line `r` orthogonally: where two points are on neither the same row nor column, a corner is
    /// put between them (first along x, then along y). Ends on ports stay on their ports.
    fn square_line(&mut self, r: &ElementRef) {
        let Some(s) = &self.session else { return };
        let Some(screen) = s.screen() else { return };
        let Some(crate::screen::def::Element::Line(l)) = canvas::selected_indexes(screen, std::slice::from_ref(r))
            .first()
            .and_then(|&i| screen.elements.get(i))
        else {
            return;
        };
        let mut pts = canvas::squared(&l.points);
        if l.from.is_some() {
            pts.remove(0);
        }
        if l.to.is_some() {
            pts.pop();
        }
        // Inside a group, a line's points count from the group's corner.
        let offset = s.doc().group_offset(r);
        let pts: Vec<Pt> = pts.into_iter().map(|p| p - offset).collect();
        let r = r.clone();
        self.apply(|d| {
            if pts.is_empty() {
                d.remove(&r, "points")
            } else {
                d.set(&r, "points", crate::editor::doc::points_value(&pts))
            }
        });
    }

    /// Resizes the one selected element to `size` (canvas units): its `size`, `diameter`, `width` or a
    /// symbol's `scale`, whichever it has.
    fn resize(&mut self, r: &ElementRef, size: Pt, screen: &Screen, index: usize) {
        let size = Pt::new(size.x.max(GRID).round(), size.y.max(GRID).round());
        let r = r.clone();
        // The screen may have changed since the drag began: the index must still name this element.
        let Some(e) = screen
            .elements
            .get(index)
            .filter(|_| screen.written.get(index).and_then(ElementRef::of).as_ref() == Some(&r))
        else {
            return;
        };
        let old = e.bounds().size;
        let key_value = match r.kind {
            ElementKind::Symbol => {
                let k = self
                    .session
                    .as_ref()
                    .and_then(|s| s.doc().get(&r, "scale"))
                    .and_then(|i| i.as_float().or_else(|| i.as_integer().map(|n| n as f64)))
                    .unwrap_or(1.0) as f32;
                ("scale", number(k * size.x / old.x.max(1.0)))
            }
            ElementKind::Gauge => ("diameter", number(size.x)),
            ElementKind::Value | ElementKind::Setpoint => ("width", number(size.x)),
            ElementKind::Label | ElementKind::Text | ElementKind::Line => return,
            _ => ("size", point_value(size)),
        };
        let (k, v) = key_value;
        self.apply(|d| d.set(&r, k, v));
    }
}

/// Why editing is refused at this console, for the audit entry and the notice; `None`: it may edit.
pub fn refusal(console: &Console) -> Option<String> {
    let action = crate::auth::Action::EditConfiguration;
    (!console.may(action)).then(|| console.refused_text(action))
}
