//! The console as an operator uses it: open it, find a tag by typing, follow the bad-quality
//! banner, inject a simulator fault. Driven through egui_kittest (AccessKit), no window needed.

use crate::support;

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use support::{NOW, console, console_with_history};
use wellconsole::driver::DriverControl;
use wellconsole::driver::sim::SimCommand;
use wellconsole::hub::HubCommand;
use wellconsole::sim::{Fault, FaultKind};
use wellconsole::tag::DriverId;
use wellconsole::ui::ConsoleApp;

pub(crate) fn harness(app: ConsoleApp) -> Harness<'static, ConsoleApp> {
    Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .build_ui_state(|ui, app: &mut ConsoleApp| app.console_ui(ui), app)
}

#[test]
fn shell_opens_with_banner_navigation_and_status() {
    let (app, _rx) = console();
    let mut h = harness(app);
    h.run();
    h.get_by_label("ALARMS");
    h.get_by_label("no alarm points configured");
    for page in ["Displays", "Overview", "Tags", "Drivers", "Simulator"] {
        h.get_by_label(page);
    }
    h.get_by_label("Overview").click();
    h.run();
    h.get_by_label("CT01");
    h.get_by_label("ESP06");
    h.get_by_label("SEP01");
    // bad and stale data are marked, never shown as live
    assert!(
        h.query_all_by_label("COMM FAIL").count() >= 8,
        "every esp03 tag is marked COMM FAIL"
    );
    h.get_by_label("STALE");
    h.get_by_label("750/s");
}

#[test]
fn tag_browser_finds_a_tag_by_typing_its_name() {
    let (app, _rx) = console();
    let mut h = harness(app);
    h.run();
    h.get_by_label("Tags").click();
    h.run();
    h.get_by_label("ct01/depth"); // unfiltered: the first rows are the CT's
    h.get_by_role(Role::TextInput).focus();
    h.run();
    h.get_by_role(Role::TextInput).type_text("esp04/motor_t");
    h.run();
    h.get_by_label("esp04/motor_temp");
    assert!(
        h.query_by_label("ct01/depth").is_none(),
        "non-matching tags are filtered out"
    );
    assert!(h.query_by_label("esp04/motor_current").is_none());
    h.get_by_label("1 of 151 tags");
    assert_eq!(h.state().page(), wellconsole::ui::Page::Tags);
}

#[test]
fn banner_leads_to_the_tags_that_are_not_good() {
    let (app, _rx) = console();
    let mut h = harness(app);
    h.run();
    h.get_by_label("17 tags not good").click();
    h.run();
    h.get_by_label("17 of 151 tags");
    h.get_by_label("esp03/rate");
    h.get_by_label("ct01/wellhead_pressure");
    assert!(h.query_by_label("ct01/depth").is_none());
}

#[test]
fn simulator_page_injects_a_fault_through_the_hub() {
    let (app, rx) = console();
    let mut h = harness(app);
    h.run();
    h.get_by_label("Simulator").click();
    h.run();
    h.get_by_label("Inject fault").click();
    h.run();
    let cmd = rx.try_recv().expect("a command was sent");
    assert_eq!(
        cmd,
        HubCommand::ToDriver {
            driver: DriverId(0),
            command: DriverControl::Sim(SimCommand::Inject(Fault {
                kind: FaultKind::StuckPipe,
                target: "ct01".into()
            })),
        }
    );
    // ... and who did it goes to the audit trail.
    assert!(
        matches!(rx.try_recv(), Ok(HubCommand::Record(e)) if e.user == "ana" && e.detail == "inject stuck-pipe:ct01"),
        "the fault is recorded with the user"
    );
    h.get_by_label("Injected stuck-pipe:ct01");
    h.get_by_label("Clear all faults").click();
    h.run();
    assert_eq!(
        rx.try_recv().unwrap(),
        HubCommand::ToDriver {
            driver: DriverId(0),
            command: DriverControl::Sim(SimCommand::ClearAll)
        }
    );
}

#[test]
fn overview_snapshot() {
    let (app, _rx) = console();
    let mut h = harness(app);
    h.run();
    h.get_by_label("Overview").click();
    h.run();
    mask_frame_time(&mut h);
    h.snapshot("overview");
}

/// Frame time is a live measurement: keep it out of the image. The label grows with its digits
/// ("frame 9.8 ms" vs "frame 12.3 ms" on a slow machine), so mask a fixed width from its right edge.
pub(crate) fn mask_frame_time(h: &mut Harness<'static, ConsoleApp>) {
    let frame_label = h
        .query_by_label_contains("frame ")
        .or_else(|| h.query_by_label_contains("cuadro ")) // in Spanish
        .expect("the frame time in the status bar")
        .rect();
    h.mask(egui::Rect::from_min_max(
        egui::pos2(frame_label.right() - 160.0, frame_label.top()),
        frame_label.max,
    ));
}

#[test]
fn drivers_page_shows_health_and_command_outcomes() {
    let (app, _rx) = console();
    let mut h = harness(app);
    h.run();
    h.get_by_label("Drivers").click();
    h.run();
    h.get_by_label("Round trip");
    h.get_by_label("FAILED");
    h.get_by_label_contains("esp02/frequency_setpoint failed: the device refused the write");
}

#[test]
fn drivers_page_names_edge_nodes_not_yet_born_in_the_operators_language() {
    use wellconsole::lang::Lang;
    for (lang, text) in [
        (Lang::En, "waiting for birth of campo/edge1 (rebirth asked 3 times)"),
        (
            Lang::Es,
            "esperando el nacimiento de campo/edge1 (renacimiento pedido 3 veces)",
        ),
    ] {
        let mut snap = support::demo_snapshot();
        snap.drivers[0].waiting_for_birth = std::sync::Arc::new(vec![wellconsole::driver::WaitingForBirth {
            node: "campo/edge1".into(),
            rebirths_asked: 3,
        }]);
        let settings = wellconsole::ui::ConsoleSettings {
            lang,
            ..support::test_settings()
        };
        let (app, _rx) = support::console_full(None, None, None, snap, settings);
        let mut h = harness(app);
        h.run();
        h.get_by_label("Drivers").click();
        h.run();
        h.get_by_label(text);
    }
}

#[test]
fn a_pen_added_from_the_tag_browser_trends_live_and_can_be_removed() {
    let (app, _rx) = console();
    let mut h = harness(app);
    h.run();
    h.get_by_label("Tags").click();
    h.run();
    h.get_by_label("Trend ct01/depth").click();
    h.run();
    h.get_by_label("ct01/depth added to the trend");
    h.get_by_label("Trend ct01/weight").click();
    h.run();
    h.get_by_label("Trends").click();
    h.run();
    assert_eq!(
        h.state().trend().pens().collect::<Vec<_>>(),
        ["ct01/depth", "ct01/weight"]
    );
    h.get_by_label("History off: live data only");
    h.get_by_label("LIVE");
    // the table reads the live values
    h.get_by_label("5550.0");
    h.get_by_label("Pause").click();
    h.run();
    h.get_by_label("PAUSED");
    assert!(!h.state().trend().is_live());
    h.get_by_label("Resume live").click();
    h.run();
    assert!(h.state().trend().is_live());
    h.get_by_label("Remove ct01/depth").click();
    h.run();
    assert_eq!(h.state().trend().pens().collect::<Vec<_>>(), ["ct01/weight"]);
}

#[test]
fn the_pen_picker_puts_a_tag_found_by_typing_on_the_trend() {
    let (app, _rx) = console();
    let mut h = harness(app);
    h.run();
    h.get_by_label("Trends").click();
    h.run();
    h.get_by_label("+ Pen").click();
    // The picker opens with its search field focused: a few frames for the caret to settle.
    h.run_steps(12);
    h.get_by_label("Add a pen");
    h.get_by_label("0 of 16 pens");
    h.get_by_role(Role::TextInput).focus();
    h.run();
    h.get_by_role(Role::TextInput).type_text("esp04/motor_t");
    h.run();
    h.get_by_label("1 of 151 tags");
    assert!(
        h.query_by_label("Add ct01/depth").is_none(),
        "non-matching tags are filtered out"
    );
    h.get_by_label("Add esp04/motor_temp").click();
    h.run();
    assert_eq!(h.state().trend().pens().collect::<Vec<_>>(), ["esp04/motor_temp"]);
    h.get_by_label("esp04/motor_temp added to the trend");
    // The picker stays open for the next pen, the chosen tag marked as plotted; choosing it again adds
    // nothing and says why.
    h.get_by_label("1 of 16 pens");
    h.get_by_label("On trend esp04/motor_temp").click();
    h.run();
    assert_eq!(h.state().trend().pens().count(), 1);
    h.get_by_label("esp04/motor_temp is already on the trend");
    h.get_by_label("Close").click();
    h.run();
    assert!(h.query_by_label("Add a pen").is_none(), "the picker closed");
    h.get_by_label("Remove esp04/motor_temp");
}

#[test]
fn a_tag_on_the_trend_is_marked_on_the_tags_page() {
    let (app, _rx) = console();
    let mut h = harness(app);
    h.run();
    h.get_by_label("Tags").click();
    h.run();
    h.get_by_label("Trend ct01/depth").click();
    h.run();
    h.get_by_label("On trend ct01/depth");
    assert!(
        h.query_by_label("Trend ct01/depth").is_none(),
        "a plotted tag is not offered again"
    );
    h.get_by_label("Trend ct01/weight");
    // Removed on the Trends page: offered again.
    h.get_by_label("Trends").click();
    h.run();
    h.get_by_label("Remove ct01/depth").click();
    h.run();
    h.get_by_label("Tags").click();
    h.run();
    h.get_by_label("Trend ct01/depth");
    // In Spanish the longer words fit their column on one line (a wrapped one is two lines high), short
    // of the alarm indicator's column (30 wide) before the tag's name.
    h.get_by_label("EN").click();
    h.run();
    h.get_by_label("Tendencia ct01/weight").click();
    h.run();
    for (control, name) in [
        ("Tendencia ct01/depth", "ct01/depth"),
        ("En tendencia ct01/weight", "ct01/weight"),
    ] {
        let (control, name) = (h.get_by_label(control).rect(), h.get_by_label(name).rect());
        assert!(control.height() < 26.0, "wrapped: {} high", control.height());
        assert!(
            control.right() <= name.left() - 30.0,
            "{control:?} overflows before {name:?}"
        );
    }
}

/// Wheel steps over whatever the pointer is on: ten of `delta_y` points, as a trackpad sends them (small
/// steps egui applies in the frame they arrive), with `modifiers` held.
fn wheel(h: &Harness<'static, ConsoleApp>, delta_y: f32, modifiers: egui::Modifiers) {
    for _ in 0..10 {
        h.event(egui::Event::MouseWheel {
            unit: egui::MouseWheelUnit::Point,
            delta: egui::vec2(0.0, delta_y),
            phase: egui::TouchPhase::Move,
            source: egui::MouseWheelSource::Unknown,
            modifiers,
        });
    }
}

#[test]
fn the_wheel_zooms_the_trends_time_axis_and_shift_wheel_pans_it() {
    let (app, _rx) = console();
    let mut h = harness(app);
    h.run();
    h.get_by_label("Tags").click();
    h.run();
    h.get_by_label("Trend ct01/depth").click();
    h.run();
    h.get_by_label("Trends").click();
    h.run();
    let now = NOW.as_secs_f64();
    // Well inside the plot: below the toolbar, right of the pen's axis, above the pens' table.
    let over_plot = egui::pos2(700.0, h.get_by_label("LIVE").rect().bottom() + 150.0);
    // Live, the wheel pauses the trend zoomed in about the pointer, as a drag pauses it panned.
    h.hover_at(over_plot);
    wheel(&h, 7.0, egui::Modifiers::NONE);
    h.run();
    let (from, to) = h.state().trend().paused_span().expect("the wheel paused the trend");
    assert!(to - from < 0.8 * 600.0, "zoomed in: {} s shown", to - from);
    assert!(
        from > now - 600.0 && to < now,
        "about the pointer, inside the ten minutes that were shown"
    );
    h.get_by_label("PAUSED");
    // Paused, the wheel the other way zooms back out about the same time.
    wheel(&h, -7.0, egui::Modifiers::NONE);
    h.run();
    let (from, to) = h.state().trend().paused_span().unwrap();
    assert!((to - from - 600.0).abs() < 1e-3, "{} s shown", to - from);
    assert!(
        (to - now).abs() < 1e-3,
        "back to the ten minutes before now: {}",
        to - now
    );
    // Shift+wheel pans: the same span, earlier or later.
    wheel(&h, 7.0, egui::Modifiers::SHIFT);
    h.run();
    let (panned_from, panned_to) = h.state().trend().paused_span().unwrap();
    assert!((panned_to - panned_from - 600.0).abs() < 1e-3, "the span is kept");
    assert!((panned_from - from).abs() > 1.0, "panned: {} s", panned_from - from);
}

/// Records ct01/weight in a history database as the console's historian would: 3000 samples at 10 Hz
/// from `start`, valued by `value(i)`. Returns the tag.
fn record_weight(db: &std::path::Path, start: i64, value: impl Fn(i64) -> f64) -> wellconsole::tag::TagId {
    use wellconsole::historian::{Historian, HistorianConfig, WriterTag};
    use wellconsole::tag::{Sample, TagTable, Timestamp, Value};
    let dirs = support::demo_snapshot().directory.clone();
    let (hist, mut feed) = Historian::start(HistorianConfig::new(db), WriterTag::from_directory(&dirs)).unwrap();
    let mut table = TagTable::new(dirs.clone());
    let weight = dirs.id_of("ct01/weight").unwrap();
    let samples: Vec<Sample> = (0..3000)
        .map(|i| Sample::good(weight, Value::F64(value(i)), Timestamp(start + i * 100_000)))
        .collect();
    let updates: Vec<_> = samples.iter().filter_map(|s| table.apply(s, s.source_ts)).collect();
    feed.on_updates(&updates, &table);
    hist.stop();
    weight
}

#[test]
fn sparklines_start_from_the_historian_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    // What the console recorded before it was restarted: five minutes at 10 Hz, ending a minute ago.
    let weight = record_weight(&db, NOW.0 - 360_000_000, |i| 9_000.0 + i as f64);
    let (app, _rx) = console_with_history(Some(db));
    let mut h = harness(app);
    h.run();
    let since = NOW.as_secs_f64() - 600.0;
    let mut frames = 0;
    while h.state().live_history().since(weight, since).count() < 2 {
        frames += 1;
        assert!(frames < 500, "no history arrived for the sparklines");
        std::thread::sleep(std::time::Duration::from_millis(10));
        h.step();
    }
    let points: Vec<(f64, Option<f64>)> = h.state().live_history().since(weight, since).collect();
    // About one point a second over the five recorded minutes, oldest first, then the live value after
    // a gap (the minute the console was down is not drawn as a line).
    assert!(points.len() > 250 && points.len() < 700, "{} points", points.len());
    assert!(points.windows(2).all(|w| w[0].0 <= w[1].0), "in time order");
    let first = points[0].0 - (NOW.as_secs_f64() - 360.0);
    assert!((0.0..2.0).contains(&first), "starts where the record starts: {first}");
    let gap = points
        .iter()
        .position(|p| p.1.is_none())
        .expect("a gap before the live value");
    assert!(
        points[gap + 1..].iter().all(|p| p.0 > NOW.as_secs_f64() - 1.0),
        "only live after it"
    );
}

#[test]
fn a_trend_backfills_from_the_historian() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    // the last five minutes before NOW, at 10 Hz
    record_weight(&db, NOW.0 - 300_000_000, |i| 10_000.0 + (i % 100) as f64);
    let (app, _rx) = console_with_history(Some(db));
    let mut h = harness(app);
    h.run();
    h.get_by_label("Tags").click();
    h.run();
    h.get_by_label("Trend ct01/weight").click();
    h.run();
    h.get_by_label("Trends").click();
    // the query thread answers within a few frames; the UI never waits for it
    let mut frames = 0;
    while h.query_by_label("history: raw").is_none() {
        frames += 1;
        assert!(frames < 500, "no history arrived");
        std::thread::sleep(std::time::Duration::from_millis(10));
        h.step();
    }
    // five minutes of 10 Hz on a 1400 px trend: decimated, never more than a few points per column
    let points = h.state().trend().history_points();
    assert!(points > 100 && points <= 4 * 1400, "{points} points");
    h.run();
    mask_frame_time(&mut h);
    h.snapshot("trends");
}

#[test]
fn the_status_bar_says_when_history_is_not_being_saved() {
    use std::sync::atomic::Ordering::Relaxed;
    let stats = std::sync::Arc::new(wellconsole::historian::HistorianStats::default());
    let (app, _rx) = support::console_with(None, Some(stats.clone()));
    let mut h = harness(app);
    h.run();
    h.get_by_label("history ok");
    stats.samples_dropped.store(120, Relaxed);
    h.run();
    h.get_by_label("HISTORY DROPPING");
    h.get_by_label("120 samples not stored");
    // Commits failing: what waits in memory and everything not stored, lost by the writer included.
    stats.commit_errors.store(2, Relaxed);
    stats.failing_since_us.store(1_800_000_000_000_000, Relaxed);
    stats.backlog.store(5_000, Relaxed);
    stats.samples_lost.store(30, Relaxed);
    h.run();
    h.get_by_label("HISTORY NOT SAVING");
    h.get_by_label("5000 waiting · 150 samples not stored");
    // Saving again: the loss stays on the bar.
    stats.failing_since_us.store(0, Relaxed);
    h.run();
    h.get_by_label("HISTORY DROPPING");
    h.get_by_label("150 samples not stored");
}
