//! CPU cost of drawing a P&ID screen: the demo's CT unit screen grown to 200 bound elements (its own
//! ~40 plus values, bars, valves, pumps, motors, pressure gauges and dials bound to the CT's tags), with ten minutes of history behind
//! its trends. One frame = egui's pass over the screen (layout, painting, hit-testing) plus tessellation
//! into triangles, at 1920×1080; the GPU's part is the render bench's. Goal: under 2 ms.

// Tests and benches may unwrap (a panic is their failure report) and be long (a scenario reads top to bottom).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)]

#[path = "../tests/support/mod.rs"]
mod support;

use criterion::{Criterion, criterion_group, criterion_main};
use std::fmt::Write as _;
use std::sync::Arc;
use wellconsole::lang::Lang;
use wellconsole::project::{Project, ProjectFiles};
use wellconsole::screen::Screen;
use wellconsole::tag::{Timestamp, Value};
use wellconsole::ui::alarm_symbol::AlarmMarks;
use wellconsole::ui::screen_history::LiveHistory;
use wellconsole::ui::screen_view::{DrawCtx, ScreenView, canvas_ui};

const BOUND: usize = 200;

// The console's own allocator (src/main.rs), so the bench measures what the console does.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The CT screen plus extra bound elements up to `BOUND`, loaded and checked like any project file.
fn ct_screen_with_200_bound_elements() -> Arc<Screen> {
    let demo = ProjectFiles::embedded_demo();
    let base = demo.get("screens/ct01.toml").expect("the demo has a CT screen");
    let base_bound = Project::demo()
        .expect("demo is valid")
        .screens
        .get("ct01")
        .expect("ct01")
        .elements
        .iter()
        .filter(|e| !e.tags().is_empty())
        .count();
    let mut text = base
        .replace("id = \"ct01\"", "id = \"ct01-bench\"")
        .replace("key = \"F2\"\n", "");
    let tags = [
        "ct01/weight",
        "ct01/depth",
        "ct01/speed",
        "ct01/circ_pressure",
        "ct01/wellhead_pressure",
        "ct01/pump_rate",
        "ct01/reel_rpm",
        "ct01/injector_pressure",
    ];
    for i in 0..BOUND - base_bound {
        let tag = tags[i % tags.len()];
        let (x, y) = (10.0 + (i % 16) as f32 * 96.0, 10.0 + (i / 16) as f32 * 70.0);
        // A CT screen's mix: mostly values and bars, then small state symbols (valves, pumps,
        // motors), local pressure gauges and dials. `K=n` draws only kind n (for per-kind costs).
        let kind: usize = std::env::var("K").ok().and_then(|k| k.parse().ok()).unwrap_or(i % 10);
        // Each symbol placed by its anchor so its box starts at (x, y).
        let (state, key, ax, ay) = [
            ("valve", "position", 30.0, 38.0),
            ("pump", "running", 40.0, 40.0),
            ("motor", "running", 0.0, 0.0),
        ][i % 3];
        let _ = match kind {
            0..=3 => write!(
                text,
                "\n[[value]]\ntag = \"{tag}\"\nat = [{x}, {y}]\nwidth = 90\nsize = \"small\"\n"
            ),
            4 | 5 => write!(text, "\n[[bar]]\ntag = \"{tag}\"\nat = [{x}, {y}]\nsize = [30, 60]\n"),
            6 | 7 => write!(
                text,
                "\n[[symbol]]\nuse = \"{state}\"\nat = [{}, {}]\nbind = {{ {key} = \"{tag} > 100\" }}\n",
                x + ax,
                y + ay
            ),
            8 => write!(
                text,
                "\n[[symbol]]\nuse = \"pressure_gauge\"\nat = [{}, {}]\nbind = {{ pressure = \"{tag}\" }}\n",
                x + 30.0,
                y + 70.0
            ),
            _ => write!(text, "\n[[gauge]]\ntag = \"{tag}\"\nat = [{x}, {y}]\ndiameter = 60\n"),
        };
    }
    let files = demo
        .iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .chain([("screens/ct01_bench.toml".to_owned(), text)]);
    let project = match Project::load(ProjectFiles::from_memory(files)) {
        Ok(p) => p,
        Err(e) => panic!(
            "bench screen invalid: {}",
            e.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
        ),
    };
    let screen = project.screens.get("ct01-bench").expect("loaded").clone();
    let bound = screen.elements.iter().filter(|e| !e.tags().is_empty()).count();
    assert_eq!(bound, BOUND, "the bench draws exactly {BOUND} bound elements");
    screen
}

fn screens(c: &mut Criterion) {
    let screen = ct_screen_with_200_bound_elements();
    let mut snap = support::demo_snapshot();
    // Ten minutes of one-second history behind the trends, with movement so lines are not flat.
    let mut history = LiveHistory::new(screen.tags(), 10.0);
    for s in 0..600i64 {
        let ts = Timestamp(support::NOW.0 - (600 - s) * 1_000_000);
        for st in &mut snap.tags {
            if let Some(Value::F64(v)) = &mut st.value {
                *v += ((s as f64) * 0.1).sin();
            }
            st.source_ts = ts;
            st.updates += 1;
        }
        history.collect(&snap);
    }
    let marks = AlarmMarks::default();
    let ctx = egui::Context::default();
    wellconsole::ui::theme::apply(&ctx, false, false);
    let mut view = ScreenView::showing("ct01-bench");
    // UNITS=si measures the same screen converted (every value, scale and limit through the unit table).
    let units: wellconsole::units::UnitSystem = std::env::var("UNITS")
        .ok()
        .and_then(|u| u.parse().ok())
        .unwrap_or_default();
    let mut frame = 0i64;
    let mut g = c.benchmark_group("screen_ct01_200_bound_1920x1080");
    g.bench_function("ui_pass_and_tessellate", |b| {
        b.iter(|| {
            frame += 1;
            // The clock moves a frame (16 ms) each time, so reel and chains animate as they do live.
            let cx = DrawCtx {
                snap: &snap,
                marks: &marks,
                alarm_rows: &[],
                now: Timestamp(support::NOW.0 + frame * 16_000),
                lang: Lang::En,
                units,
                history: &history,
                may_command: true,
                touch: false,
                editable: false,
            };
            let input = egui::RawInput {
                screen_rect: Some(egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(1920.0, 1080.0))),
                ..Default::default()
            };
            let out = ctx.run_ui(input, |ui| {
                canvas_ui(ui, &screen, &mut view, &cx);
            });
            std::hint::black_box(ctx.tessellate(out.shapes, out.pixels_per_point))
        })
    });
    g.finish();
}

criterion_group!(benches, screens);
criterion_main!(benches);
