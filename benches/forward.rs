//! Forwarding figures (issue 23), against PostgreSQL from Debian started here on 127.0.0.1 with fsync on:
//! - drain: one hour of the demo plant's history (36,000 scans of its 75 signals, every sample kept, with
//!   its rollups) sent from the local historian to the central store by `forward sync`, as a console
//!   catching up after a long outage does; samples/s (goal ≥ 200k/s here), and the day it implies;
//! - beside it, in the same run, the server's own ceiling: psql `COPY` of the same rows as CSV into a
//!   table with the same key (no reading, decoding or staging on our side).
//!
//! Skipped with a note where PostgreSQL is not installed.

// Tests and benches may unwrap (a panic is their failure report) and be long (a scenario reads top to bottom).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)]

#[path = "../tests/support/mod.rs"]
mod support;

use criterion::{Criterion, criterion_group, criterion_main};
use std::time::{Duration, Instant};
use support::pg::PgServer;
use wellconsole::forward::{ForwardConfig, Sources};

const SCANS: i64 = 36_000;

fn drain(c: &mut Criterion) {
    let Some(bin) = support::pg::bin_dir() else {
        eprintln!("forward: skipped (apt install postgresql)");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let pg = PgServer::start_durable(&bin, &tmp.path().join("pg"));
    let history = tmp.path().join("h.db");
    let samples = support::demo_history(&history, SCANS, true);
    let mut cfg = ForwardConfig::new("127.0.0.1", pg.port, support::pg::DATABASE, support::pg::USER, "bench");
    cfg.password = Some(support::pg::PASSWORD.into());
    cfg.batch = 20_000;
    let sources = Sources {
        history: history.clone(),
        journal: None,
        audit: None,
        jobs: None,
        well_tests: None,
        site: "bench".into(),
    };
    let local = rusqlite::Connection::open(&history).unwrap();
    // Back to "nothing sent": the positions at the start, the rollup outbox full, the central rows gone.
    let reset = || {
        local
            .execute_batch(
                "UPDATE forward_cursor SET pos = 0 WHERE stream = 'samples';
                 DELETE FROM forward_rollups;
                 INSERT INTO forward_rollups (res, tag, t) SELECT res, tag, t FROM rollups;",
            )
            .unwrap();
        if pg.psql("SELECT to_regclass('wc_sample') IS NOT NULL") == "t" {
            pg.psql("TRUNCATE wc_sample, wc_rollup");
        }
    };
    let mut g = c.benchmark_group("forward_drain_1h_demo");
    g.sample_size(10).measurement_time(Duration::from_secs(120));
    g.throughput(criterion::Throughput::Elements(samples));
    g.bench_function("wellconsole_forward_sync", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                reset();
                let t = Instant::now();
                let sent = wellconsole::forward::verify::sync(&cfg, &sources).unwrap();
                total += t.elapsed();
                assert!(sent >= samples, "sent {sent} of {samples}");
            }
            total
        })
    });
    g.finish();
    let n: i64 = pg.psql("SELECT count(*) FROM wc_sample").parse().unwrap();
    assert_eq!(n as u64, samples, "the central store holds every sample once");

    // The server's ceiling: the same rows as CSV, psql COPY into a table with the same key.
    pg.psql(
        "CREATE TABLE IF NOT EXISTS peer_sample (tag integer NOT NULL, t timestamptz NOT NULL, num double precision, int bigint, txt text, quality smallint NOT NULL, PRIMARY KEY (tag, t))",
    );
    let csv = pg.psql("COPY (SELECT * FROM wc_sample) TO STDOUT WITH (FORMAT csv)");
    let mut peer = Vec::new();
    for _ in 0..3 {
        pg.psql("TRUNCATE peer_sample");
        let t = Instant::now();
        let mut child = pg
            .psql_command(support::pg::DATABASE)
            .args(["-q", "-c", "COPY peer_sample FROM STDIN WITH (FORMAT csv)"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::io::Write::write_all(child.stdin.as_mut().unwrap(), csv.as_bytes()).unwrap();
        drop(child.stdin.take());
        assert!(child.wait().unwrap().success());
        peer.push(t.elapsed());
    }
    peer.sort();
    let peer = peer[1];
    eprintln!(
        "forward: {samples} samples (1 h of the demo plant); peer psql COPY of the same rows: {:.0} ms median = {:.0} samples/s; one day of the demo = {} samples",
        peer.as_secs_f64() * 1e3,
        samples as f64 / peer.as_secs_f64(),
        samples * 24
    );
}

criterion_group!(benches, drain);
criterion_main!(benches);
