//! Historian figures (issue 4), each beside a peer doing the same work in the same run:
//! - ingest: bulk samples/s into compressed chunks, vs a naive one-row-per-sample SQLite table and
//!   PostgreSQL 15 `COPY` (the Debian server, started here on 127.0.0.1; skipped with a note if absent);
//! - sustained: 200k samples/s with a commit a second, p50/p99 commit time;
//! - size: bytes/sample over one hour of the demo plant (36,000 scans of 75 signals);
//! - query: 24 h × 8 tags × 10 Hz decimated to 2,000 px, cold (fresh connection) and warm;
//! - render: the Trends page with 8 pens × 1M points per frame (CPU), vs plain egui_plot on the points.

// Tests and benches may unwrap (a panic is their failure report) and be long (a scenario reads top to bottom).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)]

#[path = "../tests/support/mod.rs"]
mod support;

use criterion::{Criterion, criterion_group, criterion_main};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use std::path::Path;
use std::time::{Duration, Instant};
use wellconsole::historian::codec::StoredQuality;
use wellconsole::historian::filter::HistSample;
use wellconsole::historian::{Historian, HistorianConfig, History, WriterTag};
use wellconsole::tag::{Quality, Value, ValueKind};
use wellconsole::ui::ConsoleApp;

const GOOD: StoredQuality = StoredQuality {
    quality: Quality::Good,
    has_value: true,
};
const T0: i64 = 1_795_000_000_000_000;

fn tags(n: usize) -> Vec<WriterTag> {
    (0..n)
        .map(|i| WriterTag {
            name: format!("dev{:03}/signal{i}", i % 100),
            kind: ValueKind::F64,
            unit: "psi".into(),
            mode: Default::default(),
        })
        .collect()
}

/// A pressure-like signal at 0.1 resolution: a slow wander plus transmitter noise.
struct Signal {
    x: f64,
    seed: u64,
}

impl Signal {
    fn new(i: usize) -> Self {
        Self {
            x: 1_000.0 + i as f64 * 10.0,
            seed: i as u64 * 7919 + 1,
        }
    }

    fn next(&mut self) -> f64 {
        self.seed = self
            .seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let r = ((self.seed >> 33) % 1000) as f64 / 1000.0 - 0.5;
        self.x += r * 2.0;
        (self.x * 10.0).round() / 10.0
    }
}

/// `scans` scans of `n` tags at `period_us`, one batch per scan.
/// One scan of every signal at `ts`, tag i = signal i.
fn scan(sig: &mut [Signal], ts: i64) -> impl Iterator<Item = (u32, HistSample)> + '_ {
    sig.iter_mut().enumerate().map(move |(i, s)| {
        (
            i as u32,
            HistSample {
                ts,
                value: Some(Value::F64(s.next())),
                quality: GOOD,
            },
        )
    })
}

fn workload(n: usize, scans: usize, period_us: i64) -> Vec<Vec<(u32, HistSample)>> {
    let mut sig: Vec<Signal> = (0..n).map(Signal::new).collect();
    (0..scans)
        .map(|k| scan(&mut sig, T0 + k as i64 * period_us).collect())
        .collect()
}

fn ours(dir: &Path, n: usize, work: &[Vec<(u32, HistSample)>]) -> Duration {
    let _ = std::fs::remove_file(dir.join("h.db"));
    let (h, _feed) = Historian::start(HistorianConfig::new(dir.join("h.db")), tags(n)).unwrap();
    let t = Instant::now();
    for batch in work {
        h.write_blocking(batch.clone());
    }
    h.flush();
    let d = t.elapsed();
    h.stop();
    d
}

fn naive_sqlite(dir: &Path, work: &[Vec<(u32, HistSample)>]) -> (Duration, u64) {
    let path = dir.join("naive.db");
    let _ = std::fs::remove_file(&path);
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.pragma_update(None, "synchronous", "FULL").unwrap();
    conn.execute_batch(
        "CREATE TABLE samples (tag INTEGER NOT NULL, ts INTEGER NOT NULL, value REAL, quality INTEGER NOT NULL,
         PRIMARY KEY (tag, ts)) WITHOUT ROWID",
    )
    .unwrap();
    let t = Instant::now();
    let tx = conn.unchecked_transaction().unwrap();
    {
        let mut st = tx.prepare("INSERT INTO samples VALUES (?1, ?2, ?3, 0)").unwrap();
        for batch in work {
            for (tag, s) in batch {
                let v = match s.value {
                    Some(Value::F64(x)) => x,
                    _ => 0.0,
                };
                st.execute(rusqlite::params![tag, s.ts, v]).unwrap();
            }
        }
    }
    tx.commit().unwrap();
    let d = t.elapsed();
    conn.pragma_update(None, "wal_checkpoint", "TRUNCATE").ok();
    let pages: i64 = conn.pragma_query_value(None, "page_count", |r| r.get(0)).unwrap();
    let size: i64 = conn.pragma_query_value(None, "page_size", |r| r.get(0)).unwrap();
    (d, (pages * size) as u64)
}

/// PostgreSQL from Debian, on a fresh cluster in a temp folder (fsync on), loaded with `COPY ... FROM STDIN`.
fn postgres_copy(dir: &Path, work: &[Vec<(u32, HistSample)>]) -> Option<Duration> {
    use std::process::Stdio;
    let Some(bin) = support::pg::bin_dir() else {
        eprintln!("postgres: skipped (apt install postgresql to compare)");
        return None;
    };
    let pg = support::pg::PgServer::start_durable(&bin, &dir.join("pg"));
    pg.psql(
        "CREATE TABLE samples (tag integer NOT NULL, ts bigint NOT NULL, value double precision, quality smallint NOT NULL, PRIMARY KEY (tag, ts))",
    );
    let mut csv = String::with_capacity(work.len() * work[0].len() * 32);
    for batch in work {
        for (tag, s) in batch {
            if let Some(Value::F64(x)) = s.value {
                csv.push_str(&format!("{tag},{},{x},0\n", s.ts));
            }
        }
    }
    let t = Instant::now();
    let mut child = pg
        .psql_command(support::pg::DATABASE)
        .args(["-q", "-c", "COPY samples FROM STDIN WITH (FORMAT csv)"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .ok()?;
    {
        use std::io::Write;
        child.stdin.take()?.write_all(csv.as_bytes()).ok()?;
    }
    let ok = child.wait().ok()?.success();
    ok.then_some(t.elapsed())
}

fn ingest(c: &mut Criterion) {
    let tmp = tempfile::tempdir().unwrap();
    let (n, scans) = (1_000, 1_000);
    let work = workload(n, scans, 100_000);
    let total = (n * scans) as f64;
    let mut g = c.benchmark_group("historian_ingest_1M_samples");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.bench_function("wellconsole_chunks", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| ours(tmp.path(), n, &work)).sum())
    });
    g.bench_function("naive_sqlite_row_per_sample", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| naive_sqlite(tmp.path(), &work).0).sum())
    });
    g.finish();
    // One-shot figures with sizes, and the PostgreSQL peer (too slow to repeat ten times).
    let d = ours(tmp.path(), n, &work);
    let h = History::open(&tmp.path().join("h.db")).unwrap();
    let st = h.stats().unwrap();
    eprintln!(
        "ingest ours: {:.2} M samples/s, {:.2} B/sample in chunks, {:.2} B/sample file",
        total / d.as_secs_f64() / 1e6,
        st.chunk_bytes as f64 / total,
        st.file_bytes as f64 / total
    );
    let (d, size) = naive_sqlite(tmp.path(), &work);
    eprintln!(
        "ingest naive SQLite: {:.2} M samples/s, {:.2} B/sample file",
        total / d.as_secs_f64() / 1e6,
        size as f64 / total
    );
    let pg = tempfile::tempdir().unwrap();
    if let Some(d) = postgres_copy(pg.path(), &work) {
        eprintln!(
            "ingest PostgreSQL 15 COPY (csv over loopback): {:.2} M samples/s",
            total / d.as_secs_f64() / 1e6
        );
    }
}

fn sustained(_c: &mut Criterion) {
    // 2,000 tags at 100 Hz = 200k samples/s for 60 s (sealing and minute rollups included), paced in real
    // time, a commit each second.
    let tmp = tempfile::tempdir().unwrap();
    let (n, hz, secs) = (2_000usize, 100usize, 60usize);
    let (h, _feed) = Historian::start(HistorianConfig::new(tmp.path().join("h.db")), tags(n)).unwrap();
    let stats = h.stats();
    let mut sig: Vec<Signal> = (0..n).map(Signal::new).collect();
    let start = Instant::now();
    for k in 0..hz * secs {
        let due = start + Duration::from_micros((k * 1_000_000 / hz) as u64);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        h.write_blocking(scan(&mut sig, T0 + (k * 1_000_000 / hz) as i64).collect());
    }
    let fed = start.elapsed();
    h.flush();
    let lag = start.elapsed() - fed;
    eprintln!(
        "sustained {} samples/s for {secs} s: fed in {:.2} s, flushed {:.0} ms later; commit p50 {} ms, p99 {} ms, max {} ms over {} commits",
        n * hz,
        fed.as_secs_f64(),
        lag.as_secs_f64() * 1e3,
        stats.commit_quantile_us(0.5).unwrap_or(0) / 1000,
        stats.commit_quantile_us(0.99).unwrap_or(0) / 1000,
        stats.max_commit_us.load(std::sync::atomic::Ordering::Relaxed) / 1000,
        stats.commits.load(std::sync::atomic::Ordering::Relaxed),
    );
    h.stop();
}

fn size(_c: &mut Criterion) {
    // One hour of the demo plant: 36,000 scans of its 75 signals at 10 Hz, every sample kept.
    let tmp = tempfile::tempdir().unwrap();
    support::demo_history(&tmp.path().join("h.db"), 36_000, false);
    let st = History::open(&tmp.path().join("h.db")).unwrap().stats().unwrap();
    eprintln!(
        "size, 1 h of the demo plant ({} samples): {:.2} B/sample in chunks, {:.2} B/sample file incl. rollups and indexes ({:.1} MiB)",
        st.samples,
        st.chunk_bytes as f64 / st.samples as f64,
        st.file_bytes as f64 / st.samples as f64,
        st.file_bytes as f64 / 1_048_576.0
    );
}

fn query(c: &mut Criterion) {
    // 24 h × 8 tags × 10 Hz = 6.9M samples, decimated to 2,000 px.
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("h.db");
    let (h, _feed) = Historian::start(HistorianConfig::new(&path), tags(8)).unwrap();
    let mut sig: Vec<Signal> = (0..8).map(Signal::new).collect();
    let scans = 864_000usize;
    for block in 0..scans / 1000 {
        let mut batch = Vec::with_capacity(8_000);
        for k in block * 1000..(block + 1) * 1000 {
            batch.extend(scan(&mut sig, T0 + k as i64 * 100_000));
        }
        h.write_blocking(batch);
    }
    h.stop();
    let names: Vec<String> = tags(8).into_iter().map(|t| t.name).collect();
    let (from, to) = (T0, T0 + 86_400_000_000);
    let run = |db: &History| {
        db.trends(&names, from, to, 2_000)
            .into_iter()
            .map(|t| t.unwrap().segments.iter().map(Vec::len).sum::<usize>())
            .sum::<usize>()
    };
    let mut g = c.benchmark_group("historian_query_24h_8tags_10hz_2000px");
    g.sample_size(10);
    g.bench_function("cold_new_connection", |b| {
        b.iter(|| {
            let db = History::open(&path).unwrap();
            std::hint::black_box(run(&db))
        })
    });
    let db = History::open(&path).unwrap();
    eprintln!("query: {} points drawn for 6.9M samples", run(&db));
    g.bench_function("warm", |b| b.iter(|| std::hint::black_box(run(&db))));
    g.finish();
}

fn render(c: &mut Criterion) {
    // 8 pens × 1M points over the 24 h before the console's clock, in a history database.
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("h.db");
    let snap = support::demo_snapshot();
    let pens: Vec<String> = snap
        .directory
        .iter()
        .filter(|d| d.kind == ValueKind::F64)
        .take(8)
        .map(|d| d.name.clone())
        .collect();
    let writer_tags = WriterTag::from_directory(&snap.directory);
    let index: Vec<u32> = pens.iter().map(|p| snap.directory.id_of(p).unwrap().0).collect();
    let (h, _feed) = Historian::start(HistorianConfig::new(&db), writer_tags).unwrap();
    let points = 1_000_000i64;
    let step = 86_400_000_000 / points;
    let mut sig: Vec<Signal> = (0..8).map(Signal::new).collect();
    let mut all: Vec<Vec<egui_plot::PlotPoint>> = (0..8).map(|_| Vec::with_capacity(points as usize)).collect();
    for block in 0..points / 10_000 {
        let mut batch = Vec::with_capacity(80_000);
        for k in block * 10_000..(block + 1) * 10_000 {
            let ts = support::NOW.0 - 86_400_000_000 + k * step;
            for (p, s) in sig.iter_mut().enumerate() {
                let v = s.next();
                all[p].push(egui_plot::PlotPoint::new(ts as f64 / 1e6, v));
                batch.push((
                    index[p],
                    HistSample {
                        ts,
                        value: Some(Value::F64(v)),
                        quality: GOOD,
                    },
                ));
            }
        }
        h.write_blocking(batch);
    }
    h.stop();
    let (app, _rx) = support::console_with_history(Some(db));
    let mut hn = Harness::builder()
        .with_size(egui::vec2(1920.0, 1080.0))
        .build_ui_state(|ui, app: &mut ConsoleApp| app.console_ui(ui), app);
    hn.run();
    hn.get_by_label("Tags").click();
    hn.run();
    for p in &pens {
        hn.get_by_label(&format!("Trend {p}")).click();
        hn.run();
    }
    hn.get_by_label("Trends").click();
    hn.run();
    hn.get_by_label("24 h").click();
    hn.run();
    hn.get_by_label("Pause").click();
    let deadline = Instant::now() + Duration::from_secs(120);
    while hn.state().trend().history_points() == 0 {
        assert!(Instant::now() < deadline, "no history answer");
        std::thread::sleep(Duration::from_millis(20));
        hn.step();
    }
    eprintln!(
        "render: {} history points drawn for 8M samples",
        hn.state().trend().history_points()
    );
    let mut g = c.benchmark_group("trend_frame_8pens_1M_points_1920x1080");
    g.sample_size(20);
    g.bench_function("wellconsole_trend_page", |b| b.iter(|| hn.step()));
    let mut plain = Harness::builder()
        .with_size(egui::vec2(1920.0, 1080.0))
        .build_ui(move |ui| {
            egui_plot::Plot::new("plain").show(ui, |pu| {
                for (i, pts) in all.iter().enumerate() {
                    pu.line(egui_plot::Line::new(
                        format!("pen{i}"),
                        egui_plot::PlotPoints::Borrowed(pts),
                    ));
                }
            });
        });
    plain.run();
    g.bench_function("plain_egui_plot_all_points", |b| b.iter(|| plain.step()));
    g.finish();
}

criterion_group!(benches, size, ingest, sustained, query, render);
criterion_main!(benches);
