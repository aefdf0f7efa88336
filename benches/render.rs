//! Frame cost of the console at 1920×1080 over the demo site, offscreen through wgpu: the egui pass alone
//! (layout and widgets, CPU), and the pass plus rendering and read-back of the image (GPU where there is
//! one: llvmpipe on CI, a real GPU on a device machine). The adapter in use is printed first.

// Tests and benches may unwrap (a panic is their failure report) and be long (a scenario reads top to bottom).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)]

#[path = "../tests/support/mod.rs"]
mod support;

use criterion::{Criterion, criterion_group, criterion_main};
use egui_kittest::Harness;
use wellconsole::ui::ConsoleApp;

fn print_adapters() {
    let instance = egui_wgpu::wgpu::Instance::default();
    let adapters = pollster::block_on(instance.enumerate_adapters(egui_wgpu::wgpu::Backends::all()));
    for a in adapters {
        let i = a.get_info();
        eprintln!(
            "wgpu adapter: {} ({:?}, {:?}, driver {} {})",
            i.name, i.backend, i.device_type, i.driver, i.driver_info
        );
    }
}

fn render(c: &mut Criterion) {
    print_adapters();
    let (app, _rx) = support::console();
    let mut h = Harness::builder()
        .with_size(egui::vec2(1920.0, 1080.0))
        .wgpu()
        .build_ui_state(|ui, app: &mut ConsoleApp| app.console_ui(ui), app);
    h.run();
    let mut g = c.benchmark_group("console_frame_1920x1080");
    g.bench_function("ui_pass", |b| b.iter(|| h.step()));
    g.bench_function("ui_pass_render_readback", |b| {
        b.iter(|| {
            h.step();
            std::hint::black_box(h.render().expect("renders"))
        })
    });
    g.finish();
}

criterion_group!(benches, render);
criterion_main!(benches);
