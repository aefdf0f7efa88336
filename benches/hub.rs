//! Hub throughput: 4 producer threads (drivers) into the tag table through the hub's real scan loop.
//! Goal (issue 2): ≥ 2M samples/s on a 2-core machine. Reference in the same run: one thread applying
//! the same samples straight to a `TagTable` (no channels, no fan-out), the ceiling the hub can approach.

// Tests and benches may unwrap (a panic is their failure report) and be long (a scenario reads top to bottom).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)]

mod common;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use crossbeam_channel::bounded;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use wellconsole::driver::SampleBatch;
use wellconsole::hub::{CommandLanes, Hub, NoService, Subscriber};
use wellconsole::tag::{DriverId, Sample, TagId, TagTable, TagUpdate, Timestamp, Value};

const TAGS: u32 = 10_000;
const PRODUCERS: u16 = 4;
const BATCH: usize = 250;
const BATCHES_PER_PRODUCER: usize = 40;
const SAMPLES_PER_ITER: u64 = PRODUCERS as u64 * BATCHES_PER_PRODUCER as u64 * BATCH as u64;

/// Counts what the hub fans out, so the bench knows when every sample went through.
struct Counter(Arc<AtomicU64>);

impl<C> Subscriber<C> for Counter {
    fn name(&self) -> &str {
        "counter"
    }
    fn on_updates(&mut self, updates: &[TagUpdate], _: &TagTable) {
        self.0.fetch_add(updates.len() as u64, Ordering::Relaxed);
    }
}

fn batches_for(producer: u16) -> Vec<Vec<Sample>> {
    let mine: Vec<u32> = (0..TAGS)
        .filter(|t| t % u32::from(PRODUCERS) == u32::from(producer))
        .collect();
    mine.chunks(BATCH)
        .map(|c| {
            c.iter()
                .map(|&t| Sample::good(TagId(t), Value::F64(f64::from(t) * 0.1), Timestamp(1)))
                .collect()
        })
        .collect()
}

fn hub_throughput(c: &mut Criterion) {
    let dir = common::directory(TAGS, PRODUCERS);
    let mut senders = Vec::new();
    let mut ports = Vec::new();
    for d in 0..PRODUCERS {
        let (tx, rx) = bounded::<SampleBatch>(1024);
        senders.push(tx);
        ports.push(common::port(format!("d{d}"), rx));
    }
    let mut hub: Hub<NoService> = Hub::new(dir.clone(), ports, CommandLanes::closed());
    let applied = Arc::new(AtomicU64::new(0));
    hub.subscribe(Box::new(Counter(applied.clone())));
    let shutdown = Arc::new(AtomicBool::new(false));
    let hub_thread = {
        let s = shutdown.clone();
        std::thread::spawn(move || hub.run(s))
    };
    let work: Vec<Vec<Vec<Sample>>> = (0..PRODUCERS).map(batches_for).collect();

    let mut g = c.benchmark_group("hub");
    g.throughput(Throughput::Elements(SAMPLES_PER_ITER));
    g.measurement_time(Duration::from_secs(8));
    g.bench_function("4_producers_10k_tags", |b| {
        b.iter_custom(|iters| {
            let target = applied.load(Ordering::Relaxed) + iters * SAMPLES_PER_ITER;
            let start = Instant::now();
            std::thread::scope(|s| {
                for (tx, batches) in senders.iter().zip(&work) {
                    s.spawn(move || {
                        for _ in 0..iters {
                            for batch in batches.iter().cycle().take(BATCHES_PER_PRODUCER) {
                                tx.send(SampleBatch::new(DriverId(0), batch.clone())).unwrap();
                            }
                        }
                    });
                }
            });
            while applied.load(Ordering::Relaxed) < target {
                std::hint::spin_loop();
            }
            start.elapsed()
        })
    });

    // Reference: the same samples applied by one thread straight into a table.
    let mut table = TagTable::new(dir);
    let all: Vec<Sample> = work.iter().flatten().flatten().cloned().collect();
    g.bench_function("reference_direct_table_apply", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                for _ in 0..BATCHES_PER_PRODUCER * BATCH * usize::from(PRODUCERS) / all.len() {
                    for s in &all {
                        std::hint::black_box(table.apply(s, Timestamp(2)));
                    }
                }
            }
            start.elapsed()
        })
    });
    g.finish();
    shutdown.store(true, Ordering::Relaxed);
    hub_thread.join().unwrap();
}

criterion_group!(benches, hub_throughput);
criterion_main!(benches);
