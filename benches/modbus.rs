//! Modbus TCP reads (4 holding registers: one block of the peer map) on one connection against the pymodbus server (tests/peers), beside pymodbus' own
//! async client doing the same reads in the same run. Issue 3 goal: ≥ 25k requests/s on loopback,
//! p99 < 200 µs, ahead of the peer. Needs .venv-peers (scripts/test creates it); skips without it.

// Tests and benches may unwrap (a panic is their failure report) and be long (a scenario reads top to bottom).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)]

#[path = "../tests/support/mod.rs"]
mod support;

use criterion::{Criterion, criterion_group, criterion_main};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Arc, RwLock};
use std::time::Instant;
use support::{KillOnDrop, wait_until_listening};
use tokio_modbus::client::{Context, Reader, tcp};
use wellconsole::serve::modbus;

fn python() -> Option<PathBuf> {
    let p = std::env::var("WELLCONSOLE_PEERS_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv-peers/bin/python"));
    p.exists().then_some(p)
}

/// Reads 4 registers `n` times, one request at a time, and prints reads/s with p50 and p99 latency
/// (criterion's own figures are mean-based; the goal is stated as a percentile).
fn report(label: &str, rt: &tokio::runtime::Runtime, ctx: &mut Context, n: usize, table: Table) {
    let mut lat = Vec::with_capacity(n);
    let start = Instant::now();
    rt.block_on(async {
        for _ in 0..n {
            let t0 = Instant::now();
            let answer = match table {
                Table::Holding => ctx.read_holding_registers(0, 4).await,
                Table::Input => ctx.read_input_registers(0, 4).await,
            };
            answer.expect("transport").expect("no exception");
            lat.push(t0.elapsed());
        }
    });
    let total = start.elapsed();
    lat.sort();
    eprintln!(
        "{label}: {:.0} reads/s, p50 {:.0} µs, p99 {:.0} µs",
        n as f64 / total.as_secs_f64(),
        lat[n / 2].as_secs_f64() * 1e6,
        lat[n * 99 / 100].as_secs_f64() * 1e6
    );
}

enum Table {
    Holding,
    Input,
}

fn modbus_reads(c: &mut Criterion) {
    let Some(python) = python() else {
        eprintln!("modbus bench skipped: no .venv-peers with pymodbus (run scripts/test once)");
        return;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let _peer = KillOnDrop(
        Command::new(&python)
            .arg(root.join("tests/peers/modbus_server.py"))
            .arg(port.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("pymodbus server starts"),
    );
    wait_until_listening(([127, 0, 0, 1], port).into(), "pymodbus server");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut ctx = rt.block_on(async {
        let s = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        s.set_nodelay(true).unwrap();
        tcp::attach_slave(s, tokio_modbus::Slave(1))
    });

    let n = 20_000;
    report(
        "wellconsole (tokio-modbus) vs pymodbus server",
        &rt,
        &mut ctx,
        n,
        Table::Holding,
    );
    let peer_client = Command::new(&python)
        .arg(root.join("tests/peers/modbus_client_bench.py"))
        .arg(port.to_string())
        .arg(n.to_string())
        .output()
        .expect("pymodbus client runs");
    eprintln!(
        "pymodbus client vs the same server: {}",
        String::from_utf8_lossy(&peer_client.stdout).trim()
    );

    c.bench_function("modbus_read_4_hr_pymodbus_server", |b| {
        b.iter(|| rt.block_on(async { ctx.read_holding_registers(0, 4).await.unwrap().unwrap() }))
    });

    // Same reads against the simulator's Rust server (in-process, its own thread, loopback): the
    // client's cost without the Python server's.
    let specs = wellconsole::sim::catalog(6);
    let map = modbus::register_map(&specs);
    let image = Arc::new(RwLock::new(modbus::RegisterImage::new(&map, 6)));
    let (tx, _rx) = crossbeam_channel::bounded(16);
    let sim_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr: std::net::SocketAddr = ([127, 0, 0, 1], sim_port).into();
    std::thread::spawn(move || modbus::serve_blocking(addr, image, tx));
    wait_until_listening(addr, "simulator Modbus server");
    let mut sim = rt.block_on(async {
        let s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.set_nodelay(true).unwrap();
        tcp::attach_slave(s, tokio_modbus::Slave(1))
    });
    report(
        "wellconsole (tokio-modbus) vs the simulator's Rust server",
        &rt,
        &mut sim,
        n,
        Table::Input,
    );
    c.bench_function("modbus_read_4_ir_sim_server", |b| {
        b.iter(|| rt.block_on(async { sim.read_input_registers(0, 4).await.unwrap().unwrap() }))
    });
}

criterion_group!(benches, modbus_reads);
criterion_main!(benches);
