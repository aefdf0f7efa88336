//! The screen editor as an engineer uses it, on a copy of the demo project in a directory: open a screen
//! in the editor, drag a symbol from the palette onto it, bind its input to a tag found with the
//! inspector's search, have a broken value refused at its field, move it with the keyboard, undo and
//! redo, save (the file's diff is exactly the new element; the save is audited with the file's hash),
//! and undo back to the start (the file is restored byte-for-byte). An operator's Edit is refused and
//! audited.

use crate::console_ui::{harness, mask_frame_time};
use crate::support;
use egui::{Event, PointerButton, Pos2};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use std::time::{Duration, Instant};
use wellconsole::auth::{Actor, Role};
use wellconsole::hub::{CommandLanes, HubCommand};
use wellconsole::runtime::Service;
use wellconsole::ui::{ConsoleApp, ConsoleSettings};

/// The demo project written out to a directory, as `wellconsole --project DIR` would read it.
fn project_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (rel, text) in wellconsole::project::ProjectFiles::embedded_demo().iter() {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

fn console_as(dir: &std::path::Path, role: Role) -> (ConsoleApp, CommandLanes<Service>) {
    let settings = ConsoleSettings {
        actor: Actor::new("eva", role),
        ..support::test_settings()
    };
    support::console_for_project(dir, settings)
}

/// Runs frames until `cond` holds (the editor's file thread answers between frames).
fn until(h: &mut Harness<'static, ConsoleApp>, what: &str, cond: impl Fn(&ConsoleApp) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        // One frame at a time: while the file thread works the editor asks for a repaint every 50 ms.
        h.step();
        if cond(h.state()) {
            return;
        }
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn text(app: &ConsoleApp) -> String {
    app.screen_editor()
        .and_then(|e| e.session())
        .map(|s| s.text().to_owned())
        .unwrap_or_default()
}

fn open_ct01(h: &mut Harness<'static, ConsoleApp>) {
    h.run();
    h.get_by_label("CT-01 coiled tubing").click();
    h.run();
    h.get_by_label("Edit").click();
    until(h, "the editor opened ct01.toml", |a| {
        a.screen_editor().and_then(|e| e.session()).is_some()
    });
}

/// Presses at `from`, moves to `to` in steps and releases, as a mouse drag.
fn drag(h: &mut Harness<'static, ConsoleApp>, from: Pos2, to: Pos2) {
    let button = |pos, pressed| Event::PointerButton {
        pos,
        button: PointerButton::Primary,
        pressed,
        modifiers: Default::default(),
    };
    h.event(Event::PointerMoved(from));
    h.run();
    h.event(button(from, true));
    h.run();
    for k in 1..=6 {
        let t = k as f32 / 6.0;
        h.event(Event::PointerMoved(from + (to - from) * t));
        h.run();
    }
    h.event(button(to, false));
    h.run();
}

/// True when `new` is `old` with one block of lines inserted and nothing else changed; the block.
fn inserted_block(old: &str, new: &str) -> Option<String> {
    let (o, n): (Vec<&str>, Vec<&str>) = (old.split_inclusive('\n').collect(), new.split_inclusive('\n').collect());
    let head = o.iter().zip(&n).take_while(|(a, b)| a == b).count();
    let tail = o[head..]
        .iter()
        .rev()
        .zip(n[head..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    (head + tail == o.len()).then(|| n[head..n.len() - tail].concat())
}

#[test]
fn an_engineer_drags_a_symbol_in_binds_it_moves_it_saves_and_undoes_to_the_start() {
    let dir = project_dir();
    let file = dir.path().join("screens/ct01.toml");
    let original = std::fs::read_to_string(&file).unwrap();
    let (app, rx) = console_as(dir.path(), Role::Engineer);
    let mut h = harness(app);
    open_ct01(&mut h);
    h.get_by_label("EDITING");
    assert_eq!(text(h.state()), original);

    // The palette's pump, dragged onto the canvas.
    h.get_by_label("Pump").scroll_to_me();
    h.run();
    let pump = h.get_by_label("Pump").rect().center();
    let canvas = h.get_by_label("Editing ct01").rect();
    drag(&mut h, pump, canvas.center());
    let after_drop = text(h.state());
    let ed = h.state().screen_editor().unwrap();
    let block = inserted_block(&original, &after_drop).expect("only the new symbol was added");
    assert!(
        !block.is_empty(),
        "dropped: {:?} carrying {}",
        ed.status(),
        ed.carrying()
    );
    assert!(
        block.contains("[[symbol]]") && block.contains("use = \"pump\""),
        "{block}"
    );
    assert_eq!(
        h.state().screen_editor().unwrap().selection().len(),
        1,
        "the new symbol is selected"
    );

    // Its input bound through the inspector's tag search.
    h.get_by_label("Find tag for bind.running").click();
    h.run();
    h.get_by_label("Search tags").focus();
    h.get_by_label("Search tags").type_text("pump rate");
    h.run();
    h.get_by_label_contains("ct01/pump_rate — ").click();
    h.run();
    let bound = text(h.state());
    assert!(bound.contains("running = \"ct01/pump_rate\""), "{bound}");
    // What the engineer sees: the EDITING frame, the palette, the new pump selected, its inspector.
    mask_frame_time(&mut h);
    h.snapshot("editor_ct01_new_pump");

    // A broken value is refused at its field, with the loader's message; the file keeps its text.
    h.get_by_label("at").focus();
    h.run();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get_by_label("at").type_text("[5000, 5000]");
    h.key_press(egui::Key::Enter);
    h.run();
    h.run();
    assert!(
        h.query_all_by_label_contains("reaches outside the canvas").count() >= 1,
        "the refusal is said under the field"
    );
    assert_eq!(text(h.state()), bound, "a refused value changes nothing");

    // Moved with the keyboard: Shift+Right is one grid step (10 units).
    assert_eq!(
        h.state().screen_editor().unwrap().selection().len(),
        1,
        "the new symbol is still selected"
    );
    let before_move = text(h.state());
    h.key_press_modifiers(egui::Modifiers::SHIFT, egui::Key::ArrowRight);
    h.run();
    let moved = text(h.state());
    assert_ne!(moved, before_move, "the arrow key moved the selection");

    // Undo and redo.
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    h.run();
    assert_eq!(text(h.state()), before_move);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Y);
    h.run();
    assert_eq!(text(h.state()), moved);

    // Saved: the file on disk is the editor's text, the change alone; audited with its hash.
    h.get_by_label("Save").click();
    until(&mut h, "the save", |a| {
        a.screen_editor()
            .and_then(|e| e.session())
            .is_some_and(|s| s.is_saved())
    });
    let on_disk = std::fs::read_to_string(&file).unwrap();
    assert_eq!(on_disk, moved);
    let block = inserted_block(&original, &on_disk).expect("the diff is exactly the new element");
    assert!(
        block.contains("use = \"pump\"") && block.contains("ct01/pump_rate"),
        "{block}"
    );
    assert!(
        dir.path().join("screens/ct01.toml.bak").is_file(),
        "the previous version is kept"
    );
    let hash = wellconsole::editor::file::hash(&on_disk);
    let mut audited = false;
    while let Ok(cmd) = rx.try_recv() {
        if let HubCommand::Record(e) = cmd
            && e.action == "screen save"
        {
            assert!(e.allowed && e.user == "eva" && e.target == "screens/ct01.toml");
            assert!(e.detail.contains(&hash), "{}", e.detail);
            audited = true;
        }
    }
    assert!(audited, "the save is in the audit trail");

    // Undo back to the start gives the opened file byte-for-byte, and saves as such.
    for _ in 0..20 {
        if h.state().screen_editor().unwrap().session().unwrap().undo_steps() == 0 {
            break;
        }
        h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
        h.run();
    }
    assert_eq!(text(h.state()), original);
    h.get_by_label("Save").click();
    until(&mut h, "the second save", |a| {
        a.screen_editor()
            .and_then(|e| e.session())
            .is_some_and(|s| s.is_saved())
    });
    assert_eq!(std::fs::read_to_string(&file).unwrap(), original);

    h.get_by_label("Close editor").click();
    h.run();
    assert!(h.state().screen_editor().is_none());
}

#[test]
fn an_operators_edit_is_refused_and_audited() {
    let dir = project_dir();
    let (app, rx) = console_as(dir.path(), Role::Operator);
    let mut h = harness(app);
    h.run();
    h.get_by_label("CT-01 coiled tubing").click();
    h.run();
    h.get_by_label("Edit").click();
    h.run();
    assert!(h.state().screen_editor().is_none(), "no editor for an operator");
    assert!(h.query_all_by_label_contains("REFUSED").count() >= 1);
    let refused = std::iter::from_fn(|| rx.try_recv().ok()).any(|c| {
        matches!(c, HubCommand::Record(e) if !e.allowed && e.action == "screen edit" && e.target == "ct01" && e.user == "eva")
    });
    assert!(refused, "the refusal is in the audit trail");
}

#[test]
fn on_a_touch_panel_the_editor_opens_read_only() {
    let dir = project_dir();
    let settings = ConsoleSettings {
        actor: Actor::new("eva", Role::Engineer),
        touch: true,
        ..support::test_settings()
    };
    let (app, _rx) = support::console_for_project(dir.path(), settings);
    let mut h = harness(app);
    open_ct01(&mut h);
    h.get_by_label_contains("read-only on a touch panel");
    let before = text(h.state());
    let canvas = h.get_by_label("Editing ct01").rect();
    drag(&mut h, canvas.center(), canvas.center() + egui::vec2(80.0, 40.0));
    h.key_press(egui::Key::Delete);
    h.run();
    assert_eq!(text(h.state()), before, "nothing changes on a touch panel");
}

#[test]
fn screen_properties_are_edited_and_a_new_screen_starts_from_a_template() {
    let dir = project_dir();
    let (app, rx) = console_as(dir.path(), Role::Admin);
    let mut h = harness(app);
    open_ct01(&mut h);
    // Nothing selected: the inspector edits the screen's own properties.
    h.get_by_label("title EN").focus();
    h.run();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get_by_label("title EN").type_text("CT-01 unit (edited)");
    h.key_press(egui::Key::Enter);
    h.run();
    assert!(
        text(h.state()).contains("title = { en = \"CT-01 unit (edited)\", es = \"Unidad de tubería flexible TF-01\" }"),
        "{}",
        text(h.state()).lines().take(4).collect::<Vec<_>>().join("\n")
    );
    h.get_by_label("Save").click();
    until(&mut h, "the save", |a| {
        a.screen_editor()
            .and_then(|e| e.session())
            .is_some_and(|s| s.is_saved())
    });

    // A new L3 detail screen under ct01, from its template.
    h.get_by_label("New screen…").click();
    h.run();
    h.get_by_label("L3 equipment detail").click();
    h.get_by_label("new screen id").focus();
    h.get_by_label("new screen id").type_text("ct01-pump");
    h.get_by_label("new title EN").focus();
    h.get_by_label("new title EN").type_text("CT-01 fluid pump");
    h.get_by_label("new title ES").focus();
    h.get_by_label("new title ES").type_text("Bomba de fluido TF-01");
    h.run();
    // Without a parent it is refused, said in the form.
    h.get_by_label("Create").click();
    h.run();
    h.get_by_label_contains("needs its parent");
    h.get_by_label("new screen's parent").click();
    h.run();
    h.get_by_label_contains("ct01 — CT-01 unit (edited)").click();
    h.run();
    h.get_by_label("Create").click();
    until(&mut h, "the new screen opened", |a| {
        a.screen_editor()
            .and_then(|e| e.session())
            .is_some_and(|s| s.rel() == "screens/ct01-pump.toml")
    });
    let written = std::fs::read_to_string(dir.path().join("screens/ct01-pump.toml")).unwrap();
    assert!(
        written.contains("level = 3") && written.contains("parent = \"ct01\""),
        "{written}"
    );
    assert!(wellconsole::project::check(&wellconsole::project::ProjectFiles::from_dir(dir.path()).unwrap()).is_empty());
    let created = std::iter::from_fn(|| rx.try_recv().ok()).any(|c| {
        matches!(c, HubCommand::Record(e) if e.action == "screen create" && e.target == "screens/ct01-pump.toml" && e.allowed)
    });
    assert!(created, "the new screen is in the audit trail");
}
