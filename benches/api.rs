//! The read-only HTTP API's figures (issue 23), over a real socket to the server as `[api]` runs it (its
//! own thread and runtime, the token checked, every request logged at info), one keep-alive connection:
//! - every tag's current value (the demo site's whole directory, from the hub's published picture);
//! - one day of one tag's history at 1 Hz (86,400 samples, one page), and the same day as 1-minute
//!   rollups (1,440 buckets): what an ERP pulls at the end of a shift.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)]

#[path = "../tests/support/mod.rs"]
mod support;

use criterion::{Criterion, criterion_group, criterion_main};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;
use wellconsole::auth::Role;
use wellconsole::historian::codec::StoredQuality;
use wellconsole::historian::filter::HistSample;
use wellconsole::historian::{Historian, HistorianConfig, WriterTag};
use wellconsole::tag::{Quality, Timestamp, Value, ValueKind};

/// 2026-11-18 00:00 UTC: the day the history holds.
const DAY0: i64 = 1_794_960_000_000_000;
const DAY_S: i64 = 86_400;

/// One day of `bench/a` at 1 Hz, every sample kept (a slow sine with noise, as a pressure reads).
fn one_day(path: &std::path::Path) {
    let tags = vec![WriterTag {
        name: "bench/a".into(),
        kind: ValueKind::F64,
        unit: "psi".into(),
        mode: Default::default(),
    }];
    let (h, _feed) = Historian::start(HistorianConfig::new(path), tags).unwrap();
    let good = StoredQuality {
        quality: Quality::Good,
        has_value: true,
    };
    let mut noise = 0x2545_f491_4f6c_dd1d_u64;
    for chunk in (0..DAY_S).collect::<Vec<_>>().chunks(600) {
        let batch = chunk
            .iter()
            .map(|&s| {
                noise ^= noise << 13;
                noise ^= noise >> 7;
                noise ^= noise << 17;
                let v = 2_500.0 + 300.0 * (s as f64 / 3_600.0).sin() + (noise % 1_000) as f64 / 100.0;
                (
                    0u32,
                    HistSample {
                        ts: DAY0 + s * 1_000_000,
                        value: Some(Value::F64(v)),
                        quality: good,
                    },
                )
            })
            .collect();
        h.write_blocking(batch);
    }
    h.stop();
}

/// A keep-alive HTTP/1.1 client on one connection: enough for a bench (the tests use curl).
struct Client {
    out: TcpStream,
    input: BufReader<TcpStream>,
    token: String,
}

impl Client {
    fn get(&mut self, path: &str) -> usize {
        write!(
            self.out,
            "GET {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {}\r\n\r\n",
            self.token
        )
        .unwrap();
        let mut line = String::new();
        self.input.read_line(&mut line).unwrap();
        assert!(line.starts_with("HTTP/1.1 200"), "{path}: {line}");
        let mut length = 0usize;
        loop {
            line.clear();
            self.input.read_line(&mut line).unwrap();
            if line == "\r\n" {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap();
            }
        }
        let mut body = vec![0; length];
        self.input.read_exact(&mut body).unwrap();
        body.len()
    }
}

fn api(c: &mut Criterion) {
    let tmp = tempfile::tempdir().unwrap();
    let history = tmp.path().join("history.db");
    one_day(&history);
    let key = Arc::new(wellconsole::records::SiteKey::random());
    let tokens = tmp.path().join("api-tokens.db");
    let token = wellconsole::api::tokens::TokenStore::open(&tokens, key.clone())
        .unwrap()
        .add("bench", Role::Viewer, Timestamp(1))
        .unwrap();
    let project = wellconsole::project::Project::demo().unwrap();
    let snapshot = Arc::new(arc_swap::ArcSwap::from_pointee(support::demo_snapshot()));
    let sources = wellconsole::api::Sources {
        site: project.site.name.clone(),
        snapshot,
        alarms: Arc::new(arc_swap::ArcSwap::from_pointee(Default::default())),
        history: Some(history),
        journal: None,
        audit: None,
        jobs: None,
        production: None,
        tokens,
        key,
    };
    let mut cfg = wellconsole::project::site::ApiConfig::new("127.0.0.1:0".parse().unwrap());
    cfg.max_page = 100_000;
    let server = wellconsole::api::ApiServer::start(&cfg, sources).unwrap();
    let stream = TcpStream::connect(server.local_addr()).unwrap();
    stream.set_nodelay(true).unwrap();
    let mut client = Client {
        input: BufReader::new(stream.try_clone().unwrap()),
        out: stream,
        token,
    };
    let from = "2026-11-18T00:00:00Z";
    let to = "2026-11-18T23:59:59Z";
    let raw = format!("/api/v1/history/bench/a?from={from}&to={to}&limit=100000");
    let minutes = format!("/api/v1/history/bench/a?from={from}&to={to}&resolution=1m&limit=2000");
    // The answers are what they claim before anything is timed.
    let tags = project.site.tags.len();
    eprintln!(
        "api: {tags} tags ({} bytes), one day raw ({} bytes), one day of 1-minute rollups ({} bytes)",
        client.get("/api/v1/tags"),
        client.get(&raw),
        client.get(&minutes)
    );

    let mut g = c.benchmark_group("api");
    g.sample_size(30).measurement_time(Duration::from_secs(10));
    g.throughput(criterion::Throughput::Elements(tags as u64));
    g.bench_function("current_values_all_tags", |b| b.iter(|| client.get("/api/v1/tags")));
    g.throughput(criterion::Throughput::Elements(DAY_S as u64));
    g.bench_function("history_one_day_raw_1hz", |b| b.iter(|| client.get(&raw)));
    g.throughput(criterion::Throughput::Elements(1_440));
    g.bench_function("history_one_day_1m_rollups", |b| b.iter(|| client.get(&minutes)));
    g.finish();
    server.stop();
}

criterion_group!(benches, api);
criterion_main!(benches);
