//! The P&ID screens as an operator uses them: the console opens on the field overview, a tile leads to
//! its unit, the breadcrumbs and Back lead home, function keys jump, a command is sent only after its
//! confirmation and only for a role that may command, a trend opens on the Trends page. One snapshot
//! image per shipped screen (look at them after `UPDATE_SNAPSHOTS=1`).

use crate::console_ui::{harness, mask_frame_time};
use crate::support::{self, console};
use egui_kittest::kittest::{NodeT, Queryable};
use wellconsole::auth::{Actor, Role};
use wellconsole::hub::HubCommand;
use wellconsole::tag::Value;
use wellconsole::ui::Page;

fn showing(h: &egui_kittest::Harness<'static, wellconsole::ui::ConsoleApp>) -> String {
    h.state().display().current_id().unwrap_or("(home)").to_owned()
}

#[test]
fn the_console_opens_on_the_field_overview_and_tiles_lead_to_each_unit() {
    let (app, _rx) = console();
    let mut h = harness(app);
    h.run();
    assert_eq!(h.state().page(), Page::Display, "a project with screens opens on them");
    h.get_by_label("Campo Escuela field overview");
    // every well is a tile; esp03's link is down, so its tile says so
    for t in [
        "CT-01 coiled tubing",
        "ESP01 well",
        "ESP06 well",
        "SEP-01 test separator",
    ] {
        h.get_by_label(t);
    }
    h.get_by_label("CT-01 coiled tubing").click();
    h.run();
    assert_eq!(showing(&h), "ct01");
    h.get_by_label("CT-01 coiled tubing unit");
    h.get_by_label_contains("Depth: 5550.0 ft");
    // The well drawn to its TD (9,800 ft), numbered in round steps; the flow meter reads its rate; the phase.
    h.get_by_label("Well schematic with CT: scale 0, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000 ft");
    h.get_by_label("Flow meter: 1.85 bbl/min");
    h.get_by_label("Phase: RIH");
    // the stale wellhead pressure is marked on its value, never shown as live
    h.get_by_label_contains("WELLHEAD");
    assert!(h.query_all_by_label_contains("STALE").count() >= 1);

    h.get_by_label("Injector detail").click();
    h.run();
    assert_eq!(showing(&h), "ct01-injector");
    // breadcrumbs: Campo Escuela > CT-01 > injector; the middle one is a link back
    h.get_by_label("CT-01 coiled tubing unit").click();
    h.run();
    assert_eq!(showing(&h), "ct01");
    h.get_by_label("Back").click();
    h.run();
    assert_eq!(showing(&h), "ct01-injector");
    h.get_by_label("Campo Escuela field overview").click();
    h.run();
    assert_eq!(showing(&h), "field");
    h.get_by_label("ESP03 well").click();
    h.run();
    assert_eq!(showing(&h), "esp03");
    h.get_by_label("ESP03 electric submersible pump well");
    assert!(
        h.query_all_by_label_contains("COMM FAIL").count() >= 5,
        "every esp03 value is marked COMM FAIL"
    );
}

#[test]
fn function_keys_open_screens_from_any_page() {
    let (app, _rx) = console();
    let mut h = harness(app);
    h.run();
    h.get_by_label("Tags").click();
    h.run();
    h.key_press(egui::Key::F3);
    h.run();
    assert_eq!(h.state().page(), Page::Display);
    assert_eq!(showing(&h), "sep01");
    h.key_press(egui::Key::F2);
    h.run();
    assert_eq!(showing(&h), "ct01");
    h.key_press(egui::Key::F12);
    h.run();
    assert_eq!(showing(&h), "diagnostics");
    h.get_by_label("750/s");
}

#[test]
fn a_command_is_sent_only_after_its_confirmation() {
    let (app, rx) = console();
    let mut h = harness(app);
    h.run();
    h.key_press(egui::Key::F2);
    h.run();
    h.get_by_label("SHUT DOWN UNIT").click();
    h.run();
    h.get_by_label("Shut down CT-01? The injector brakes and the pumps stop.");
    h.get_by_label("Cancel").click();
    h.run();
    assert!(rx.try_recv().is_err(), "a cancelled command sends nothing");
    h.get_by_label("SHUT DOWN UNIT").click();
    h.run();
    h.get_by_label("Confirm").click();
    h.run();
    match rx.try_recv() {
        Ok(HubCommand::OperatorWrite { tag, value, by }) => {
            assert_eq!(value, Value::Bool(true));
            assert_eq!(by.user.as_str(), "ana");
            let dir = support::demo_snapshot().directory;
            assert_eq!(dir.get(tag).unwrap().name, "ct01/shutdown");
        }
        other => panic!("expected the operator's write, got {other:?}"),
    }
    h.get_by_label_contains("write of ON to ct01/shutdown sent");
}

#[test]
fn a_viewer_cannot_command_equipment_from_a_screen() {
    let settings = wellconsole::ui::ConsoleSettings {
        actor: Actor::new("vera", Role::Viewer),
        ..support::test_settings()
    };
    let (app, rx) = support::console_full(None, None, None, support::demo_snapshot(), settings);
    let mut h = harness(app);
    h.run();
    h.get_by_label("ESP01 well").click();
    h.run();
    let stop = h.get_by_label("STOP ESP01");
    assert!(stop.accesskit_node().is_disabled(), "disabled for a viewer");
    stop.click();
    h.run();
    assert!(h.query_by_label("Confirm").is_none());
    assert!(rx.try_recv().is_err());
}

#[test]
fn an_embedded_trend_opens_on_the_trends_page() {
    let (app, _rx) = console();
    let mut h = harness(app);
    h.run();
    h.get_by_label("Trend ESP production, last 30 min").click();
    h.run();
    assert_eq!(h.state().page(), Page::Trends);
    let pens: Vec<&str> = h.state().trend().pens().collect();
    assert_eq!(pens.len(), 6, "{pens:?}");
    assert!(pens.contains(&"esp04/rate"));
}

/// One image per shipped screen, reached by clicking as an operator would.
#[test]
fn snapshots_of_every_shipped_screen() {
    let (app, _rx) = console();
    let mut h = harness(app);
    h.set_size(egui::vec2(1600.0, 960.0));
    h.run();
    mask_frame_time(&mut h);
    h.snapshot("screen_field");
    for (click, name) in [
        ("CT-01 coiled tubing", "screen_ct01"),
        ("Injector detail", "screen_ct01_injector"),
        ("Campo Escuela field overview", ""),
        ("ESP02 well", "screen_esp02"),
        ("Campo Escuela field overview", ""),
        ("SEP-01 test separator", "screen_sep01"),
        ("Campo Escuela field overview", ""),
        ("Communications (F12)", "screen_diagnostics"),
    ] {
        h.get_by_label(click).click();
        h.run();
        if !name.is_empty() {
            mask_frame_time(&mut h); // masks last one snapshot
            h.snapshot(name);
        }
    }
}

#[test]
fn a_screen_opens_in_a_window_of_its_own_and_the_layout_is_remembered() {
    let tmp = tempfile::tempdir().unwrap();
    let layout = tmp.path().join("screen-layout.json");
    let settings = wellconsole::ui::ConsoleSettings {
        layout: Some(layout.clone()),
        ..support::test_settings()
    };
    let (app, _rx) = support::console_full(None, None, None, support::demo_snapshot(), settings.clone());
    let mut h = harness(app);
    h.run();
    h.key_press(egui::Key::F2);
    h.run();
    h.get_by_label("New window").click();
    h.run();
    assert_eq!(h.state().screen_windows().len(), 1);
    // The harness draws viewports inside the main window: the CT screen is shown twice now.
    assert!(h.query_all_by_label("CT-01 coiled tubing unit").count() >= 2);
    let open: Vec<String> = h
        .state()
        .screen_windows()
        .layout()
        .windows
        .into_iter()
        .map(|w| w.screen)
        .collect();
    assert_eq!(open, ["ct01"]);
    // Saved once the layout has been still for a moment, by the layout thread.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while wellconsole::ui::screen_windows::ScreenLayout::read(&layout)
        .windows
        .is_empty()
    {
        assert!(std::time::Instant::now() < deadline, "the layout was saved");
        std::thread::sleep(std::time::Duration::from_millis(100));
        h.step();
    }
    drop(h);
    // The next start opens the same window again.
    let (app, _rx) = support::console_full(None, None, None, support::demo_snapshot(), settings);
    let mut h = harness(app);
    h.run();
    assert_eq!(h.state().screen_windows().len(), 1);
    assert_eq!(h.state().screen_windows().layout().windows[0].screen, "ct01");
}

#[test]
fn a_broken_screen_file_is_shown_over_the_last_good_screen() {
    let (app, _rx) = support::console_with_screen_problems(vec![
        "<demo>/screens/ct01.toml:12:7: unknown tag 'ct01/dept' (not defined in site.toml)".into(),
        "<demo>/symbols/tank.toml:10:8: unknown colour 'red'".into(),
    ]);
    let mut h = harness(app);
    h.run();
    h.get_by_label("SCREEN FILE PROBLEM");
    h.get_by_label_contains("screens/ct01.toml:12:7: unknown tag 'ct01/dept'");
    h.get_by_label_contains("(and 1 more): showing the last good version");
    // ... and the screen is still there, working
    h.get_by_label("CT-01 coiled tubing").click();
    h.run();
    assert_eq!(showing(&h), "ct01");
}

#[test]
fn a_new_screen_that_does_not_load_is_not_shown_until_fixed() {
    // Added while the console runs, bound to a tag site.toml gains only at the next start.
    let (app, _rx) = support::console_with_screen_problems(vec![
        "<demo>/screens/well07.toml:9:7: unknown tag 'well07/rate' (not defined in site.toml)".into(),
    ]);
    let mut h = harness(app);
    h.run();
    h.get_by_label("SCREEN FILE PROBLEM");
    h.get_by_label_contains("unknown tag 'well07/rate' (not defined in site.toml): not shown until fixed");
    assert!(h.query_by_label_contains("last good version").is_none());
}

#[test]
fn in_touch_mode_a_setpoint_is_entered_on_the_keypad_checked_and_confirmed() {
    let (app, rx) = console();
    let mut h = harness(app);
    h.run();
    let before = h.get_by_label("Displays").rect().height();
    h.get_by_label("Touch").click();
    h.run();
    h.run();
    // Gloved hands: every control at least 15 mm (57 points) high; the pages fold into one menu.
    let touch_height = h.get_by_label("Pages: Displays").rect().height();
    assert!(touch_height >= 56.7, "{before} -> {touch_height}");
    h.get_by_label("ESP01 well").click();
    h.run();
    h.get_by_label("Set Frequency setpoint").click();
    h.run();
    h.get_by_label_contains("Range 35 – 70 Hz");
    // The dialog never moves under the finger: not after the first key, not when a message appears.
    let seven = h.get_by_label("7").rect();
    // Out of range: refused with the reason, nothing offered for confirmation.
    for k in ["9", "9", "Enter"] {
        h.get_by_label(k).click();
        h.run();
        assert_eq!(h.get_by_label("7").rect(), seven, "the keypad stayed put after {k}");
    }
    h.get_by_label_contains("within the range 35 to 70 Hz");
    assert_eq!(h.get_by_label("7").rect(), seven);
    assert!(h.query_by_label("Confirm").is_none());
    h.get_by_label("Clear").click();
    h.run();
    let five = h.get_by_label("5");
    assert!(
        five.rect().width() >= 56.7 && five.rect().height() >= 45.0,
        "keys sized for gloves: {:?}",
        five.rect()
    );
    for k in ["5", "2", ".", "5"] {
        h.get_by_label(k).click();
        h.run();
    }
    mask_frame_time(&mut h);
    h.snapshot("keypad_touch");
    h.get_by_label("Enter").click();
    h.run();
    h.get_by_label("Write 52.5 Hz to esp01/frequency_setpoint?");
    assert!(rx.try_recv().is_err(), "nothing is sent before the confirmation");
    h.get_by_label("Confirm").click();
    h.run();
    match rx.try_recv() {
        Ok(HubCommand::OperatorWrite { tag, value, by }) => {
            assert_eq!(value, Value::F64(52.5));
            assert_eq!(by.user.as_str(), "ana");
            let dir = support::demo_snapshot().directory;
            assert_eq!(dir.get(tag).unwrap().name, "esp01/frequency_setpoint");
        }
        other => panic!("expected the operator's write, got {other:?}"),
    }
    assert!(h.query_by_label("Enter").is_none(), "the keypad closed");
}

#[test]
fn in_touch_mode_the_tags_page_writes_numbers_through_the_same_keypad() {
    let (app, rx) = console();
    let mut h = harness(app);
    h.run();
    h.get_by_label("Touch").click();
    h.run();
    support::open_page(&mut h, "Tags");
    crate::alarm_ui::type_into(&mut h, "Search tags:", "esp02/frequency_setpoint");
    h.get_by_label("Write esp02/frequency_setpoint").click();
    h.run();
    for k in ["4", "5", "Enter"] {
        h.get_by_label(k).click();
        h.run();
    }
    h.get_by_label("Write 45.0 Hz to esp02/frequency_setpoint?");
    h.get_by_label("Confirm").click();
    h.run();
    assert!(
        matches!(rx.try_recv(), Ok(HubCommand::OperatorWrite { value: Value::F64(v), .. }) if v == 45.0),
        "the keypad's value is written"
    );
}

#[test]
fn sunlight_switches_the_whole_picture_to_high_contrast() {
    let (app, _rx) = console();
    let mut h = harness(app);
    h.set_size(egui::vec2(1600.0, 960.0));
    h.run();
    h.key_press(egui::Key::F2);
    h.run();
    let ground = |h: &mut egui_kittest::Harness<'static, wellconsole::ui::ConsoleApp>| {
        let img = h.render().expect("renders");
        let p = img.get_pixel(14, 600).0;
        [p[0], p[1], p[2]]
    };
    assert_eq!(ground(&mut h), [0xD6, 0xD6, 0xD6], "the control room's grey");
    h.get_by_label("Sunlight").click();
    h.run();
    h.run();
    assert_eq!(ground(&mut h), [0xFF, 0xFF, 0xFF], "daylight: a white ground");
    mask_frame_time(&mut h);
    h.snapshot("screen_ct01_sunlight");
    // ... and back, at runtime
    h.get_by_label("Sunlight").click();
    h.run();
    h.run();
    assert_eq!(ground(&mut h), [0xD6, 0xD6, 0xD6]);
}

#[test]
fn process_lines_show_their_flow_and_say_when_they_cannot_tell() {
    // The demo snapshot: CT-01's pump runs (1.85 bbl/min); ESP03's link is down.
    let (app, _rx) = console();
    let mut h = harness(app);
    h.run();
    h.get_by_label("CT-01 coiled tubing").click();
    h.run();
    h.get_by_label("Line pump.discharge → meter.inlet: flowing");
    h.get_by_label("Line meter.outlet → reel.inlet: flowing");
    h.get_by_label("Campo Escuela field overview").click();
    h.run();
    h.get_by_label("ESP03 well").click();
    h.run();
    assert_eq!(showing(&h), "esp03");
    let unknown = h
        .get_by_label_contains("Line tree.wing → meter.inlet: flow unknown (")
        .accesskit_node()
        .label()
        .unwrap_or_default();
    assert!(unknown.contains("COMM"), "the line names why it cannot tell: {unknown}");

    // A stopped pump: the same lines are still, and say so.
    let mut snap = support::demo_snapshot();
    let rate = snap.directory.by_name("ct01/pump_rate").unwrap().id;
    snap.tags[rate.index()].value = Some(Value::F64(0.0));
    let (app, _rx) = support::console_full(None, None, None, snap, support::test_settings());
    let mut h = harness(app);
    h.run();
    h.get_by_label("CT-01 coiled tubing").click();
    h.run();
    h.get_by_label("Line pump.discharge → meter.inlet: no flow");
    // In Spanish.
    h.get_by_label("EN").click();
    h.run();
    h.get_by_label("Línea pump.discharge → meter.inlet: sin flujo");
}
