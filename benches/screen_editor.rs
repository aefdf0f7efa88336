//! CPU cost of the screen editor on a 500-element screen (the demo's CT screen grown with values, bars,
//! gauges, symbols, boxes, texts and lines, bound to the CT's tags): one frame while 50 selected elements
//! are dragged (the moved copy of the screen, drawn with live data, outlines and guides, the snap against
//! the other 450 elements, and tessellation, at 1920×1080) — goal under 4 ms — and what the drop costs
//! once (the move written into the TOML document and the screen reloaded and checked from it).

// Tests and benches may unwrap (a panic is their failure report) and be long (a scenario reads top to bottom).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)]

#[path = "../tests/support/mod.rs"]
mod support;

use criterion::{Criterion, criterion_group, criterion_main};
use std::fmt::Write as _;
use wellconsole::editor::{EditSession, ElementRef, OpenedScreen};
use wellconsole::lang::Lang;
use wellconsole::project::{Project, ProjectFiles};
use wellconsole::screen::def::Pt;
use wellconsole::ui::alarm_symbol::AlarmMarks;
use wellconsole::ui::screen_edit::{drag_frame_ui, snap_move};
use wellconsole::ui::screen_history::LiveHistory;
use wellconsole::ui::screen_view::{DrawCtx, ScreenView};

const ELEMENTS: usize = 500;
const REL: &str = "screens/ct01_edit_bench.toml";

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The CT screen grown to `ELEMENTS` elements on a larger canvas, and the project it loads in.
fn big_screen() -> (String, ProjectFiles) {
    let demo = ProjectFiles::embedded_demo();
    let base = demo.get("screens/ct01.toml").expect("the demo has a CT screen");
    let mut text = base
        .replace("id = \"ct01\"", "id = \"ct01-edit-bench\"")
        .replace("key = \"F2\"\n", "")
        .replace("canvas = [1580, 900]", "canvas = [3000, 2100]");
    let base_count = Project::demo().unwrap().screens.get("ct01").unwrap().elements.len();
    let tags = [
        "ct01/weight",
        "ct01/depth",
        "ct01/speed",
        "ct01/circ_pressure",
        "ct01/wellhead_pressure",
        "ct01/pump_rate",
    ];
    for i in 0..ELEMENTS - base_count {
        let tag = tags[i % tags.len()];
        let (x, y) = (20.0 + (i % 25) as f32 * 110.0, 950.0 + (i / 25) as f32 * 60.0);
        let _ = match i % 8 {
            0 | 1 => write!(
                text,
                "\n[[value]]\ntag = \"{tag}\"\nat = [{x}, {y}]\nwidth = 90\nsize = \"small\"\n"
            ),
            2 => write!(text, "\n[[bar]]\ntag = \"{tag}\"\nat = [{x}, {y}]\nsize = [20, 50]\n"),
            3 => write!(text, "\n[[gauge]]\ntag = \"{tag}\"\nat = [{x}, {y}]\ndiameter = 50\n"),
            4 => write!(
                text,
                "\n[[symbol]]\nuse = \"pump\"\nat = [{}, {}]\nscale = 0.5\nbind = {{ running = \"{tag} > 100\" }}\n",
                x + 20.0,
                y + 20.0
            ),
            5 => write!(text, "\n[[rect]]\nat = [{x}, {y}]\nsize = [100, 50]\ndashed = true\n"),
            6 => write!(
                text,
                "\n[[text]]\ntext = {{ en = \"Note {i}\", es = \"Nota {i}\" }}\nat = [{}, {y}]\n",
                x + 40.0
            ),
            _ => write!(
                text,
                "\n[[line]]\npoints = [[{x}, {}], [{}, {}], [{}, {}]]\nflowing = \"{tag} > 1\"\n",
                y + 10.0,
                x + 50.0,
                y + 10.0,
                x + 50.0,
                y + 45.0
            ),
        };
    }
    let files = demo.with_file(REL, &text);
    (text, files)
}

fn editor(c: &mut Criterion) {
    let (text, files) = big_screen();
    let project = match Project::load(files.clone()) {
        Ok(p) => p,
        Err(e) => panic!(
            "bench screen invalid: {}",
            e.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
        ),
    };
    let screen = project.screens.get("ct01-edit-bench").unwrap().clone();
    assert_eq!(
        screen.elements.len(),
        ELEMENTS,
        "the bench edits exactly {ELEMENTS} elements"
    );
    let snap = support::demo_snapshot();
    let history = LiveHistory::new(screen.tags(), 10.0);
    let marks = AlarmMarks::default();
    let ctx = egui::Context::default();
    wellconsole::ui::theme::apply(&ctx, false, false);
    let mut view = ScreenView::showing("ct01-edit-bench");
    // The last 50 elements selected (the added mix), dragged a little further each frame.
    let moved: Vec<usize> = (ELEMENTS - 50..ELEMENTS).collect();
    let mut frame = 0i64;
    let mut g = c.benchmark_group("screen_editor_500_elements_1920x1080");
    g.bench_function("drag_frame", |b| {
        b.iter(|| {
            frame += 1;
            let raw = Pt::new((frame % 200) as f32 * 0.7, (frame % 100) as f32 * 0.3);
            let (delta, guides) = snap_move(&screen, &moved, raw, 4.0);
            let guides: Vec<(bool, f32)> = guides.iter().map(|g| g.line()).collect();
            let cx = DrawCtx {
                snap: &snap,
                marks: &marks,
                alarm_rows: &[],
                now: wellconsole::tag::Timestamp(support::NOW.0 + frame * 16_000),
                lang: Lang::En,
                units: Default::default(),
                history: &history,
                may_command: false,
                touch: false,
                editable: false,
            };
            let input = egui::RawInput {
                screen_rect: Some(egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(1920.0, 1080.0))),
                ..Default::default()
            };
            let out = ctx.run_ui(input, |ui| {
                let area = ui.available_rect_before_wrap();
                drag_frame_ui(ui, area, &screen, &moved, delta, &guides, &mut view, &cx);
            });
            std::hint::black_box(ctx.tessellate(out.shapes, out.pixels_per_point))
        })
    });
    // The drop: the move written into the document, the file reloaded and checked (once per drag).
    let opened = OpenedScreen {
        root: "/bench".into(),
        rel: REL.into(),
        hash: wellconsole::editor::file::hash(&text),
        text,
    };
    let mut session = EditSession::open(opened, files, project.site.tags.clone(), "ct01-edit-bench").unwrap();
    let refs: Vec<ElementRef> = moved
        .iter()
        .filter_map(|&i| ElementRef::of(&screen.written[i]))
        .collect();
    let mut k = 0.0f32;
    g.bench_function("drop_50_of_500", |b| {
        b.iter(|| {
            k = if k > 0.0 { -10.0 } else { 10.0 };
            session.apply(|d| d.translate(&refs, Pt::new(k, 0.0))).unwrap();
        })
    });
    g.finish();
}

criterion_group!(benches, editor);
criterion_main!(benches);
