//! OPC UA: 6,000 monitored items on one subscription at 1 s against the asyncua server (issue 3 goal: no
//! growing lag). The server changes all 6,000 values once a second; a hub subscriber records tag-table
//! receive time − source time per update. Printed per 10 s window: updates/s and lag p50/p99 — a lag
//! that grows from window to window means the driver (or the hub) is falling behind.
//! Also `opcua/decode`: one data change notification value → sample.
//!
//! The soak needs .venv-peers with asyncua (scripts/test creates it); it skips without.

// Tests and benches may unwrap (a panic is their failure report) and be long (a scenario reads top to bottom).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)]

#[path = "../tests/support/mod.rs"]
mod support;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::{KillOnDrop, free_port, peers_python, wait_until_listening};
use wellconsole::driver::modbus::codec::Scaling;
use wellconsole::driver::opcua::convert;
use wellconsole::hub::Subscriber;
use wellconsole::project::{Project, ProjectFiles};
use wellconsole::runtime::{Runtime, RuntimeOptions};
use wellconsole::tag::{TagId, TagTable, TagUpdate, Timestamp, ValueKind};

const ITEMS: usize = 6_000;
const WINDOWS: usize = 3;
const WINDOW: Duration = Duration::from_secs(10);

/// (receive µs, lag µs) of every update.
struct Probe(Arc<Mutex<Vec<(i64, i64)>>>);

impl<C> Subscriber<C> for Probe {
    fn name(&self) -> &str {
        "lag-probe"
    }

    fn on_updates(&mut self, updates: &[TagUpdate], _table: &TagTable) {
        let mut v = self.0.lock().unwrap();
        v.extend(updates.iter().filter(|u| u.state.quality.is_good()).map(|u| {
            (
                u.state.receive_ts.micros(),
                u.state.receive_ts.micros() - u.state.source_ts.micros(),
            )
        }));
    }
}

fn soak() {
    let Some(python) = peers_python() else {
        eprintln!("opcua soak skipped: no .venv-peers with asyncua (run scripts/test once)");
        return;
    };
    let port = free_port();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/opcua_server.py");
    let server = KillOnDrop(
        Command::new(python)
            .arg(script)
            .args([&port.to_string(), "--bulk", &ITEMS.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_until_listening(([127, 0, 0, 1], port).into(), "asyncua server");
    let tmp = tempfile::tempdir().unwrap();
    let mut s = format!(
        "[site]\nname = \"bench\"\n[[driver]]\nname = \"plc\"\nkind = \"opcua\"\n[driver.opcua]\n\
         endpoint = \"opc.tcp://127.0.0.1:{port}/wellconsole/\"\npki_dir = \"{}\"\ntimeout_ms = 20000\n\
         subscription = [{{ name = \"bulk\", publishing_ms = 1000, sampling_ms = 1000 }}]\n",
        tmp.path().join("pki").display()
    );
    for i in 0..ITEMS {
        s += &format!("[[tag]]\nname = \"b/v{i}\"\ndriver = \"plc\"\naddress = \"ns=2;s=Bulk.{i}\"\n");
    }
    let project = Project::load(ProjectFiles::from_memory([("site.toml".to_owned(), s)])).unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let rt = Runtime::start(
        project,
        RuntimeOptions::default(),
        vec![Box::new(Probe(seen.clone()))],
        None,
    )
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while rt.snapshot.load().tags.iter().filter(|t| t.quality.is_good()).count() < ITEMS {
        assert!(
            Instant::now() < deadline,
            "not every item arrived: {:?}",
            rt.snapshot.load().drivers[0]
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    seen.lock().unwrap().clear();
    let start = Timestamp::now().micros();
    std::thread::sleep(WINDOW * WINDOWS as u32);
    let v = seen.lock().unwrap().clone();
    for w in 0..WINDOWS {
        let lo = start + (w as i64) * WINDOW.as_micros() as i64;
        let hi = lo + WINDOW.as_micros() as i64;
        let mut lags: Vec<i64> = v
            .iter()
            .filter(|(r, _)| (lo..hi).contains(r))
            .map(|(_, l)| *l)
            .collect();
        lags.sort_unstable();
        if lags.is_empty() {
            eprintln!("opcua 6,000 items @ 1 s, window {w}: no updates");
            continue;
        }
        eprintln!(
            "opcua 6,000 items @ 1 s, window {w} ({} s): {:.0} updates/s, lag p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
            WINDOW.as_secs(),
            lags.len() as f64 / WINDOW.as_secs_f64(),
            lags[lags.len() / 2] as f64 / 1e3,
            lags[lags.len() * 99 / 100] as f64 / 1e3,
            lags[lags.len() - 1] as f64 / 1e3
        );
    }
    let d = &rt.snapshot.load().drivers[0];
    eprintln!(
        "  driver: {:?}, {} samples in, {} dropped",
        d.state, d.samples_in, d.samples_coalesced
    );
    rt.shutdown();
    drop(server);
}

fn opcua(c: &mut Criterion) {
    use opcua::types::{DataValue, DateTime, StatusCode, Variant};
    let mut g = c.benchmark_group("opcua/decode");
    g.throughput(Throughput::Elements(1));
    let dv = DataValue {
        value: Some(Variant::Double(1234.5)),
        status: Some(StatusCode::Good),
        source_timestamp: Some(DateTime::now()),
        ..DataValue::default()
    };
    g.bench_function("data change → sample", |b| {
        b.iter(|| convert::sample(TagId(1), &dv, ValueKind::F64, Scaling::default(), Timestamp(0)))
    });
    g.finish();
    soak();
}

criterion_group!(benches, opcua);
criterion_main!(benches);
