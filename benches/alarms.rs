//! Alarm evaluation inline on the hub thread (issue 5): 100k alarm points, goal < 1 µs per evaluation
//! (so 1M samples/s fit in one core's second), and the cost from a sample that raises an alarm to the
//! view the banner draws on its next frame.
//!
//! Points: per tag one of HI (with deadband and on-delay), LO with suppression by design on a run tag,
//! rate of change, bad quality. Steady state (no transitions), 1 % of points crossing their limit each
//! scan (events journaled through the service), and raise → published view with 200 standing alarms.

// Tests and benches may unwrap (a panic is their failure report) and be long (a scenario reads top to bottom).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)]

mod common;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::sync::Arc;
use std::time::Duration;
use wellconsole::alarm::def::{AlarmDef, AlarmKind, AlarmSet, Priority, Side, Suppression};
use wellconsole::alarm::{AlarmEngine, AlarmService};
use wellconsole::expr::{CmpOp, Comparison};
use wellconsole::lang::Text;
use wellconsole::tag::{Sample, TagId, TagTable, TagUpdate, Timestamp, Value};

const POINTS: u32 = 100_000;
/// Tag 0 is the "pump running" tag the suppressed points watch.
const RUN_TAG: TagId = TagId(0);

fn def(i: u32) -> AlarmDef {
    let tag = TagId(i);
    let (kind, suppression) = match i % 10 {
        0..=5 => (
            AlarmKind::Limit {
                code: "HI",
                side: Side::High,
                limit: 9_000.0,
            },
            None,
        ),
        6 => (
            AlarmKind::Limit {
                code: "LO",
                side: Side::Low,
                limit: 100.0,
            },
            Some(Suppression {
                when: vec![Comparison {
                    tag: RUN_TAG,
                    op: CmpOp::Lt,
                    value: Value::F64(0.5),
                }],
                release: Duration::from_secs(30),
            }),
        ),
        7 => (
            AlarmKind::Rate {
                per_min: 500.0,
                window: Duration::from_secs(10),
            },
            None,
        ),
        _ => (AlarmKind::BadQuality, None),
    };
    AlarmDef {
        id: format!("dev/signal{i}:{}", kind.code()).into(),
        tag,
        tag_name: format!("dev/signal{i}").into(),
        unit: "psi".into(),
        decimals: 1,
        kind,
        priority: Priority::ALL[(i % 4) as usize],
        deadband: 50.0,
        on_delay: Duration::from_millis(500),
        off_delay: Duration::ZERO,
        latching: false,
        message: Text::new("Signal high", "Señal alta"),
        consequence: Text::default(),
        response: Text::default(),
        area: "area".into(),
        asset: format!("asset{}", i % 500).into(),
        suppression,
        shelvable: true,
        max_shelve: Duration::from_secs(3600),
    }
}

struct Rig {
    table: TagTable,
    set: Arc<AlarmSet>,
}

fn rig() -> Rig {
    let dir = common::directory(POINTS, 1);
    let set = AlarmSet::new((1..POINTS).map(|i| Arc::new(def(i))).collect(), Vec::new(), dir.len());
    let mut table = TagTable::new(dir);
    table.apply(&Sample::good(RUN_TAG, Value::F64(1.0), Timestamp(1)), Timestamp(1));
    Rig {
        table,
        set: Arc::new(set),
    }
}

/// One scan: every point's tag updated once, at time `t`; `high` of them above 9,000.
fn scan(r: &mut Rig, t: Timestamp, high: impl Fn(u32) -> bool) -> Vec<TagUpdate> {
    (1..POINTS)
        .filter_map(|i| {
            let v = if high(i) { 9_500.0 } else { 5_000.0 + f64::from(i % 100) };
            r.table.apply(&Sample::good(TagId(i), Value::F64(v), t), t)
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("alarms");
    g.sample_size(20);
    g.throughput(Throughput::Elements(u64::from(POINTS - 1)));

    // Steady state: nothing crosses a limit; every sample is one evaluation.
    let mut r = rig();
    let quiet = scan(&mut r, Timestamp(1_000_000), |_| false);
    let mut engine = AlarmEngine::new(r.set.clone());
    engine.on_updates(&quiet, &r.table);
    g.bench_function("evaluate_100k_points_steady", |b| {
        b.iter(|| engine.on_updates(&quiet, &r.table));
    });

    // 1 % of points cross their limit every scan and come back the next: events, view and journal records.
    let mut r = rig();
    let scans: Vec<Vec<TagUpdate>> = (0..2)
        .map(|k| scan(&mut r, Timestamp(1_000_000 + k), move |i| k == 1 && i % 100 == 0))
        .collect();
    let (tx, rx) = crossbeam_channel::bounded(1 << 20);
    let mut service = AlarmService::new(AlarmEngine::new(r.set.clone()), Some(tx));
    let mut k = 0;
    g.bench_function("evaluate_100k_points_1pct_transitions", |b| {
        b.iter(|| {
            k += 1;
            service.on_updates(&scans[k % 2], &r.table);
            service.on_tick(Timestamp(2_000_000 + k as i64 * 1_000_000), &r.table);
            rx.try_iter().for_each(drop);
        });
    });
    g.finish();

    // A sample that raises an alarm, through the service, to the view the banner reads (200 standing alarms).
    let mut g = c.benchmark_group("alarms");
    let mut r = rig();
    let t0 = Timestamp(10_000_000);
    let standing = scan(&mut r, t0, |i| i % 500 == 0 && i % 10 < 6);
    let mut service = AlarmService::new(AlarmEngine::new(r.set.clone()), None);
    service.on_updates(&standing, &r.table);
    service.on_tick(Timestamp(t0.0 + 1_000_000), &r.table);
    service.on_publish();
    let view = service.view_cell();
    let standing_alarms = view.load().rows.len();
    assert!(standing_alarms >= 100, "{standing_alarms} standing alarms");
    let target = TagId(1); // a HI point without a delay would do; this one has 500 ms
    g.bench_function("raise_to_banner_view", |b| {
        b.iter_custom(|iters| {
            let mut spent = Duration::ZERO;
            for _ in 0..iters {
                // Not timed: bring the point back to normal.
                let t = Timestamp(t0.0 + 2_000_000);
                let low = r.table.apply(&Sample::good(target, Value::F64(10.0), t), t).unwrap();
                service.on_updates(&[low], &r.table);
                service.on_tick(Timestamp(t.0 + 1_000_000), &r.table);
                service.on_publish();
                let t = Timestamp(t0.0 + 4_000_000);
                let high = r.table.apply(&Sample::good(target, Value::F64(9_900.0), t), t).unwrap();
                // Timed: the raising sample, its delay running out at the next tick, the publication.
                let start = std::time::Instant::now();
                service.on_updates(&[high], &r.table);
                service.on_tick(Timestamp(t0.0 + 5_000_000), &r.table);
                service.on_publish();
                spent += start.elapsed();
                assert!(view.load().rows.iter().any(|row| row.def.tag == target));
            }
            spent
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
