//! Overload (issue 18): one driver offering ten times what the hub can take. The figure is the age of a
//! value on the published snapshot (now − the sample's source time), the delay an operator sees.
//!
//! The hub's capacity is set by a subscriber that spends 10 µs per change (100,000 changes/s); the driver
//! offers 1,000 tags every millisecond (1,000,000 samples/s). "dropping" is the wave-1 behaviour, kept here
//! as the baseline: a full queue drops the newest batch and the hub applies every queued batch in turn.
//! "coalescing" is the console's: a full queue folds into the newest value per tag, and a backlog older than
//! `HubTiming::coalesce_after` is taken whole. Criterion's time is the mean age of the values sampled in an
//! iteration; the p50 / p99 over the whole run are printed.

// Tests and benches may unwrap (a panic is their failure report) and be long (a scenario reads top to bottom).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)]

mod common;

use criterion::{Criterion, criterion_group, criterion_main};
use crossbeam_channel::bounded;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use wellconsole::driver::{DriverStats, SampleBatch, sample_channel};
use wellconsole::hub::{CommandLanes, DriverPort, Hub, HubTiming, NoService, SnapshotCell, Subscriber};
use wellconsole::tag::{DriverId, Sample, TagId, TagTable, TagUpdate, Timestamp, Value};

const TAGS: u32 = 1_000;
/// The hub's cost per change: 100,000 changes a second.
const COST_PER_UPDATE: Duration = Duration::from_micros(10);
/// The driver sends every tag this often: 1,000,000 samples a second, ten times the hub's capacity.
const PERIOD: Duration = Duration::from_millis(1);

/// Spends a fixed time per change, as alarm evaluation and history would.
struct Slow;

impl<C> Subscriber<C> for Slow {
    fn name(&self) -> &str {
        "slow"
    }
    fn on_updates(&mut self, updates: &[TagUpdate], _: &TagTable) {
        let until = Instant::now() + COST_PER_UPDATE * updates.len() as u32;
        while Instant::now() < until {
            std::hint::spin_loop();
        }
    }
}

struct Rig {
    cell: SnapshotCell,
    stop: Arc<AtomicBool>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Drop for Rig {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

fn batch(k: u64) -> Vec<Sample> {
    let t = Timestamp::now();
    (0..TAGS)
        .map(|i| Sample::good(TagId(i), Value::F64(k as f64 + f64::from(i)), t))
        .collect()
}

fn paced(stop: &AtomicBool, mut send: impl FnMut(u64)) {
    let start = Instant::now();
    let mut k = 0u64;
    while !stop.load(Ordering::Relaxed) {
        send(k);
        k += 1;
        let due = start + PERIOD * k as u32;
        std::thread::sleep(due.saturating_duration_since(Instant::now()));
    }
}

fn rig(coalescing: bool) -> Rig {
    let dir = common::directory(TAGS, 1);
    let stop = Arc::new(AtomicBool::new(false));
    let mut threads = Vec::new();
    let stats = Arc::new(DriverStats::default());
    let (port, timing) = if coalescing {
        let (tx, rx) = sample_channel(DriverId(0), 256, stats.clone());
        let s = stop.clone();
        threads.push(std::thread::spawn(move || {
            paced(&s, |k| {
                let _ = tx.send(batch(k));
            })
        }));
        let port = DriverPort {
            name: "offer".into(),
            kind: "bench",
            samples: rx,
            commands: bounded(1).0,
            events: bounded(1).1,
            stats,
        };
        (port, HubTiming::default())
    } else {
        let (tx, rx) = bounded::<SampleBatch>(256);
        let s = stop.clone();
        threads.push(std::thread::spawn(move || {
            // Wave 1's sender: a full queue drops the newest batch.
            paced(&s, |k| {
                let _ = tx.try_send(SampleBatch::new(DriverId(0), batch(k)));
            })
        }));
        let timing = HubTiming {
            coalesce_after: None,
            ..HubTiming::default()
        };
        (common::port("offer".into(), rx), timing)
    };
    let mut hub: Hub<NoService> = Hub::new(dir, vec![port], CommandLanes::closed()).with_timing(timing);
    hub.subscribe(Box::new(Slow));
    let cell = hub.snapshot_cell();
    let s = stop.clone();
    threads.push(std::thread::spawn(move || hub.run(s)));
    Rig { cell, stop, threads }
}

/// Age of tag 0's value on the snapshot now.
fn age(cell: &SnapshotCell) -> Option<Duration> {
    let snap = cell.load();
    let ts = snap.tags.first()?.source_ts;
    (ts != Timestamp::ZERO).then(|| Timestamp::now().saturating_since(ts))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn overload(c: &mut Criterion) {
    let mut g = c.benchmark_group("overload_10x_value_age");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    for (name, coalescing) in [("dropping", false), ("coalescing", true)] {
        let r = rig(coalescing);
        // Let the queue reach its steady state first.
        std::thread::sleep(Duration::from_secs(3));
        let mut all = Vec::new();
        g.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    std::thread::sleep(Duration::from_millis(5));
                    let a = age(&r.cell).unwrap_or_default();
                    all.push(a);
                    total += a;
                }
                total
            })
        });
        all.sort();
        if !all.is_empty() {
            let snap = r.cell.load();
            let d = &snap.drivers[0];
            eprintln!(
                "overload {name}: value age p50 {:.1} ms, p99 {:.1} ms ({} readings); applied {}, coalesced {}",
                percentile(&all, 0.5).as_secs_f64() * 1e3,
                percentile(&all, 0.99).as_secs_f64() * 1e3,
                all.len(),
                d.samples_in,
                d.samples_coalesced,
            );
        }
    }
    g.finish();
}

criterion_group!(benches, overload);
criterion_main!(benches);
