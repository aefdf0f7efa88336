//! Calculated tags (issue 18): 1,000 calculated tags over a 100k samples/s feed, cost per scan.
//!
//! 2,000 measured tags feed 1,000 calculated ones: ratios (GOR/WOR-like, with a guard), differences (pump
//! ΔP), a hydraulic-power product of another calculated tag, min/max/abs, a conditional, and one in ten a
//! 60 s time-weighted average. At a 10 ms scan, 100k samples/s is 1,000 samples a scan, each a new value of
//! a measured tag; the hub applies them to the table (not measured) and `on_updates` computes every
//! calculated tag that reads one of them, in dependency order (measured). The steady figure is the time of
//! one scan's `on_updates`; a second figure is the once-a-second `on_tick` that moves the averages.

// Tests and benches may unwrap (a panic is their failure report) and be long (a scenario reads top to bottom).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};
use wellconsole::calculated::{CalcEngine, CalcSet, CalcTag};
use wellconsole::expr::compile_str;
use wellconsole::tag::{
    DriverId, Sample, TagDef, TagDirectory, TagId, TagTable, TagUpdate, Timestamp, Value, ValueKind,
};

const MEASURED: u32 = 2_000;
const CALCULATED: u32 = 1_000;
/// 100k samples/s at a 10 ms scan.
const SAMPLES_PER_SCAN: usize = 1_000;
const SCAN: Duration = Duration::from_millis(10);
/// One second of feed, replayed.
const SCANS: usize = 100;

fn tag(i: u32, name: String, driver: u16) -> TagDef {
    TagDef {
        id: TagId(i),
        name,
        description: String::new(),
        description_es: String::new(),
        label: Default::default(),
        unit: String::new(),
        kind: ValueKind::F64,
        range: None,
        decimals: 2,
        driver: DriverId(driver),
        address: String::new(),
        stale_after: if driver == 1 {
            Duration::MAX
        } else {
            Duration::from_secs(60)
        },
        writable: false,
        history: Default::default(),
    }
}

fn measured(i: u32) -> String {
    format!("well{:03}/m{i}", i % 500)
}

fn calculated(i: u32) -> String {
    format!("well{:03}/c{i}", i % 500)
}

/// The expression of calculated tag `k`: mostly what sites compute, over measured tags spread across the feed.
fn expression(k: u32) -> String {
    let (a, b, c) = (
        measured((2 * k) % MEASURED),
        measured((2 * k + 1) % MEASURED),
        measured((7 * k + 3) % MEASURED),
    );
    match k % 10 {
        0 => format!("avg({a}, 60s)"),
        1 | 6 => format!("if {b} > 0 then {a} * 1000 / {b} else 0"),
        2 | 7 => format!("{a} - {b}"),
        // Reads the calculated tag just before it (a difference): a chain of two.
        3 => format!("{c} * {} / 58775", calculated(k - 1)),
        4 => format!("max({a}, {b}, {c}) - min({a}, {b}, {c}) + abs({a} - {c})"),
        5 => format!("if {a} > 5000 and {b} < 2000 then sqrt({a}) else {c} / 2 + 1"),
        8 => format!("({a} + {b} + {c}) / 3"),
        _ => format!("{a} / ({b} + 1)"),
    }
}

fn site() -> (Arc<TagDirectory>, Arc<CalcSet>) {
    let mut defs: Vec<TagDef> = (0..MEASURED).map(|i| tag(i, measured(i), 0)).collect();
    defs.extend((0..CALCULATED).map(|k| tag(MEASURED + k, calculated(k), 1)));
    let dir = Arc::new(TagDirectory::new(defs));
    let calcs = (0..CALCULATED)
        .map(|k| CalcTag {
            tag: TagId(MEASURED + k),
            expr: compile_str(&expression(k), &*dir).unwrap_or_else(|e| panic!("{}: {e:?}", expression(k))),
        })
        .collect();
    let set = CalcSet::new(calcs, dir.len()).expect("no cycle");
    (dir, Arc::new(set))
}

/// One second of feed: each scan's samples, every measured tag about every 20 ms, values moving.
fn feed(start: Timestamp) -> Vec<Vec<Sample>> {
    (0..SCANS)
        .map(|s| {
            let ts = start.plus(SCAN * u32::try_from(s).unwrap_or(0));
            (0..SAMPLES_PER_SCAN)
                .map(|j| {
                    let i = u32::try_from((s * SAMPLES_PER_SCAN + j) % MEASURED as usize).unwrap_or(0);
                    let x = 3_000.0 + 1_000.0 * ((f64::from(i) + s as f64) * 0.37).sin();
                    Sample::good(TagId(i), Value::F64(x), ts)
                })
                .collect()
        })
        .collect()
}

fn calculated_tags(c: &mut Criterion) {
    let (dir, set) = site();
    let mut table = TagTable::new(dir);
    let mut engine = CalcEngine::new(set);
    let mut clock = Timestamp(1_795_000_000_000_000);
    let batches = feed(clock);
    let mut updates: Vec<TagUpdate> = Vec::with_capacity(SAMPLES_PER_SCAN);
    let mut out: Vec<Sample> = Vec::with_capacity(CALCULATED as usize);
    let mut produced = 0u64;
    // One scan, the way the hub runs it: apply the driver samples, compute, apply the results.
    let mut scan = |table: &mut TagTable, engine: &mut CalcEngine, n: usize, now: Timestamp, timed: bool| {
        updates.clear();
        updates.extend(batches[n % SCANS].iter().filter_map(|s| table.apply(s, now)));
        out.clear();
        let start = Instant::now();
        engine.on_updates(&updates, table, now, &mut out);
        let spent = start.elapsed();
        produced += out.len() as u64;
        for s in &out {
            black_box(table.apply(s, now));
        }
        if timed { spent } else { Duration::ZERO }
    };
    // A minute of feed first, so the averages have their windows and results settle into steady state.
    for n in 0..6_000 {
        clock = clock.plus(SCAN);
        scan(&mut table, &mut engine, n, clock, false);
        if n % 100 == 0 {
            engine.on_tick(clock, &table, &mut Vec::new());
        }
    }

    let mut g = c.benchmark_group("calculated");
    g.throughput(Throughput::Elements(SAMPLES_PER_SCAN as u64));
    g.measurement_time(Duration::from_secs(8));
    g.bench_function("1000_calculated_tags_per_10ms_scan_of_1000_samples", |b| {
        b.iter_custom(|iters| {
            let mut spent = Duration::ZERO;
            for n in 0..iters {
                clock = clock.plus(SCAN);
                spent += scan(&mut table, &mut engine, usize::try_from(n).unwrap_or(0), clock, true);
            }
            spent
        })
    });
    g.throughput(Throughput::Elements(u64::from(CALCULATED)));
    g.bench_function("tick_moving_100_averages", |b| {
        let mut ticked = Vec::new();
        b.iter_custom(|iters| {
            let mut spent = Duration::ZERO;
            for _ in 0..iters {
                // A second later each time, so every average is due.
                clock = clock.plus(Duration::from_secs(1));
                ticked.clear();
                let start = Instant::now();
                engine.on_tick(clock, &table, &mut ticked);
                spent += start.elapsed();
            }
            spent
        })
    });
    g.finish();
    black_box(produced);
}

criterion_group!(benches, calculated_tags);
criterion_main!(benches);
