//! Modbus TCP reads per second on one connection with several requests in flight (issue 17): the same block
//! read (10 holding registers at 0) with the driver's `pipeline` at 1, 4 and 8, beside tokio-modbus's client
//! (what the driver uses with `pipeline = 1`), against
//! - the simulator's own server (`wellconsole sim --modbus`), in-process on its own thread, 127.0.0.1;
//! - the pymodbus server of the peer tests (tests/peers/modbus_server.py, venv from scripts/test or
//!   WELLCONSOLE_PEERS_PYTHON), in the same run; skipped, with a note, without it.
//!
//! Printed first: reads/s of each configuration over a fixed count, as a ratio to tokio-modbus on the same
//! server, and pymodbus' own async client (one request at a time) against our server as the peer. Then
//! criterion's figures (`modbus_pipeline/SERVER/CLIENT`, throughput in reads).
//!
//! A configuration is measured only if one probe batch came back complete: a server that does not answer
//! every request of a pipeline is reported instead. pymodbus 3.16's server is one: it answers the first
//! request of what it reads and drops whatever queued behind it, which is why `pipeline` is off by default.

// Tests and benches may unwrap (a panic is their failure report) and be long (a scenario reads top to bottom).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)]

#[path = "../tests/support/mod.rs"]
mod support;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use support::{KillOnDrop, free_port, peers_python, wait_until_listening};
use tokio::net::TcpStream;
use tokio_modbus::client::{Context, Reader, tcp};
use wellconsole::driver::modbus::address::Table;
use wellconsole::driver::modbus::mbap::{Request, Response};
use wellconsole::driver::modbus::pipeline::{Outcome, PipelinedClient, Transaction};
use wellconsole::serve::modbus;

/// Registers per read: one block of a typical poll group.
const REGISTERS: u16 = 10;
/// Reads per criterion iteration (its throughput element count).
const BATCH: usize = 256;
/// Reads per configuration for the printed table.
const REPORT_READS: usize = 20_000;
const WINDOWS: [usize; 3] = [1, 4, 8];
/// Per request: generous on loopback, short enough that a server dropping requests is found quickly.
const TIMEOUT: Duration = Duration::from_millis(500);

/// One connection, read through either client.
enum Client {
    TokioModbus(Context),
    Pipelined(PipelinedClient<TcpStream>),
}

impl Client {
    fn label(&self) -> String {
        match self {
            Client::TokioModbus(_) => "tokio-modbus".into(),
            Client::Pipelined(c) => format!("pipeline {}", c.window()),
        }
    }

    /// `txs.len()` reads of the block; Err: how many came back and the first failure.
    async fn reads(&mut self, txs: &[Transaction]) -> Result<(), String> {
        let complete = |r: &[u16]| r.len() == usize::from(REGISTERS);
        match self {
            Client::TokioModbus(ctx) => {
                for done in 0..txs.len() {
                    match ctx.read_holding_registers(0, REGISTERS).await {
                        Ok(Ok(r)) if complete(&r) => {}
                        other => return Err(format!("{done} of {} reads answered, then {other:?}", txs.len())),
                    }
                }
                Ok(())
            }
            Client::Pipelined(c) => {
                let outcomes = c.transact(txs).await;
                let good = |o: &Outcome| matches!(&o.answer, Ok(Ok(Response::Items(r))) if complete(r));
                match outcomes.iter().find(|o| !good(o)) {
                    None => Ok(()),
                    Some(first) => Err(format!(
                        "{} of {} reads answered; first failure: {:?}",
                        outcomes.iter().filter(|o| good(o)).count(),
                        txs.len(),
                        first.answer
                    )),
                }
            }
        }
    }
}

async fn connect(addr: SocketAddr, window: Option<usize>) -> Client {
    let s = TcpStream::connect(addr).await.expect("the server accepts");
    s.set_nodelay(true).unwrap();
    match window {
        None => Client::TokioModbus(tcp::attach_slave(s, tokio_modbus::Slave(1))),
        Some(w) => Client::Pipelined(PipelinedClient::new(s, w, TIMEOUT)),
    }
}

fn reads(n: usize) -> Vec<Transaction> {
    let read = Transaction {
        unit: 1,
        request: Request::Read {
            table: Table::HoldingRegister,
            start: 0,
            count: REGISTERS,
        },
    };
    vec![read; n]
}

/// The simulator's server for six ESP wells, on its own thread; it serves until the process ends.
fn start_sim_server() -> SocketAddr {
    let map = modbus::register_map(&wellconsole::sim::catalog(6));
    let image = Arc::new(RwLock::new(modbus::RegisterImage::new(&map, 6)));
    let (tx, _rx) = crossbeam_channel::bounded(16);
    let addr: SocketAddr = ([127, 0, 0, 1], free_port()).into();
    std::thread::spawn(move || modbus::serve_blocking(addr, image, tx));
    wait_until_listening(addr, "simulator Modbus server");
    addr
}

fn start_pymodbus(python: &Path) -> (KillOnDrop, SocketAddr) {
    let port = free_port();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers/modbus_server.py");
    let peer = KillOnDrop(
        Command::new(python)
            .arg(script)
            .arg(port.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("pymodbus server starts"),
    );
    let addr = ([127, 0, 0, 1], port).into();
    wait_until_listening(addr, "pymodbus server");
    (peer, addr)
}

/// pymodbus' async client, one request at a time, against `addr`: its JSON line.
fn pymodbus_client(python: &Path, addr: SocketAddr) -> String {
    let out = Command::new(python)
        .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers/modbus_client_bench.py"))
        .arg(addr.port().to_string())
        .arg(REPORT_READS.to_string())
        .arg(REGISTERS.to_string())
        .output()
        .expect("pymodbus client runs");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn pipeline(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let sim = start_sim_server();
    let mut servers = vec![("sim", sim)];
    let python = peers_python().filter(|p| p.exists());
    let _pymodbus = match &python {
        Some(p) => {
            let (peer, addr) = start_pymodbus(p);
            servers.push(("pymodbus", addr));
            Some(peer)
        }
        None => {
            eprintln!(
                "modbus_pipeline: the pymodbus server is skipped (no .venv-peers; run scripts/test once, or set WELLCONSOLE_PEERS_PYTHON)"
            );
            None
        }
    };
    let batch = reads(BATCH);
    let report = reads(REPORT_READS);

    let mut g = c.benchmark_group("modbus_pipeline");
    g.throughput(Throughput::Elements(BATCH as u64));
    g.sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    eprintln!("modbus_pipeline: {REPORT_READS} reads of {REGISTERS} holding registers, one connection each");
    for (server, addr) in servers {
        let mut tokio_modbus = None;
        for window in std::iter::once(None).chain(WINDOWS.map(Some)) {
            let mut client = rt.block_on(connect(addr, window));
            let label = client.label();
            // The probe: a few windows' worth, so a server that drops pipelined requests shows it.
            if let Err(why) = rt.block_on(client.reads(&reads(32))) {
                eprintln!("  {server:8} {label:14} not measured: {why}");
                continue;
            }
            let t0 = Instant::now();
            if let Err(why) = rt.block_on(client.reads(&report)) {
                eprintln!("  {server:8} {label:14} not measured: {why}");
                continue;
            }
            let per_sec = REPORT_READS as f64 / t0.elapsed().as_secs_f64();
            let base = *tokio_modbus.get_or_insert(per_sec);
            eprintln!(
                "  {server:8} {label:14} {per_sec:>8.0} reads/s  {:.2}x tokio-modbus",
                per_sec / base
            );
            g.bench_function(BenchmarkId::new(server, &label), |b| {
                b.iter(|| rt.block_on(client.reads(&batch)).expect("every read answered"))
            });
        }
    }
    g.finish();
    if let Some(p) = &python {
        eprintln!(
            "  peer: pymodbus client vs the sim server, one request at a time: {}",
            pymodbus_client(p, sim)
        );
    }
}

criterion_group!(benches, pipeline);
criterion_main!(benches);
