//! Building the UI snapshot: the hub copies the current-value table into an immutable `Snapshot`
//! for each publication. Goal (issue 2): < 1 ms for 10k tags. 100k tags shown for scale.

// Tests and benches may unwrap (a panic is their failure report) and be long (a scenario reads top to bottom).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)]

mod common;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use crossbeam_channel::bounded;
use wellconsole::driver::SampleBatch;
use wellconsole::hub::{CommandLanes, Hub, NoService};
use wellconsole::tag::{DriverId, Sample, TagId, Timestamp, Value};

fn hub_with(tags: u32) -> Hub<NoService> {
    let dir = common::directory(tags, 2);
    let ports = (0..2)
        .map(|d| {
            let (_tx, rx) = bounded(1);
            common::port(format!("d{d}"), rx)
        })
        .collect();
    let mut hub: Hub<NoService> = Hub::new(dir, ports, CommandLanes::closed());
    // Every tag has a value; one in ten is a string (job phases, states), which clones by Arc.
    let samples = (0..tags)
        .map(|t| {
            let v = if t % 10 == 0 {
                Value::str("CIRCULATE")
            } else {
                Value::F64(f64::from(t))
            };
            Sample::good(TagId(t), v, Timestamp(1))
        })
        .collect();
    hub.apply_batch(SampleBatch::new(DriverId(0), samples), Timestamp(1));
    hub.flush_updates();
    hub
}

fn snapshot_build(c: &mut Criterion) {
    let mut g = c.benchmark_group("snapshot_build");
    for tags in [10_000u32, 100_000] {
        let hub = hub_with(tags);
        g.bench_with_input(BenchmarkId::from_parameter(tags), &hub, |b, hub| {
            b.iter(|| std::hint::black_box(hub.build_snapshot(Timestamp(2))))
        });
    }
    g.finish();
}

criterion_group!(benches, snapshot_build);
criterion_main!(benches);
