//! The demo plant as a Modbus TCP server.
//!
//! Register map (0-based protocol addresses, big-endian words, high word first):
//! - input registers and holding registers `2·i`, `2·i+1`: signal *i* of the simulator catalogue
//!   (f32 for numbers, i32 for counters, 0/1 in the first register for booleans);
//! - `1000 + 8·j`: string signal *j* as 16 ASCII characters (job phase, well on test);
//! - holding registers `2000 + 2·k`: ESP *k*'s VSD frequency setpoint, f32 Hz, writable (35–70 Hz);
//! - discrete inputs *i*: boolean signal *i*.
//!
//! `wellconsole sim --modbus-map` prints it; `examples/modbus-site/` is a project that reads it.
//!
//! Each connection's requests are answered in the order they come, one at a time; a client may send
//! several before reading (pipelining): tokio-modbus's server takes frames off a buffer, so requests that
//! arrive in one read are each answered in turn, and a frame split across reads waits for its rest.

use crate::driver::modbus::address::{DataType, Order};
use crate::driver::modbus::codec::{self, Scaling};
use crate::sim::SignalSpec;
use crate::tag::{Value, ValueKind};
use crossbeam_channel::Sender;
use std::future::{Ready, ready};
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use tokio_modbus::prelude::{ExceptionCode, Request, Response};
use tokio_modbus::server::tcp::{Server, accept_tcp_connection};

pub const STRING_BASE: u16 = 1000;
pub const STRING_CHARS: u16 = 16;
pub const SETPOINT_BASE: u16 = 2000;
const ORDER: Order = Order {
    low_word_first: false,
    swap_bytes: false,
};

/// Where one signal lives in the register image.
#[derive(Debug, Clone, PartialEq)]
pub struct MapEntry {
    pub address: String,
    pub kind: ValueKind,
    pub register: u16,
    pub data_type: DataType,
    pub unit: &'static str,
    pub range: Option<(f64, f64)>,
    pub decimals: usize,
    pub description: String,
}

/// The register map for a catalogue, in catalogue order.
pub fn register_map(specs: &[SignalSpec]) -> Vec<MapEntry> {
    let mut strings = 0u16;
    specs
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let slot = u16::try_from(2 * i).unwrap_or(u16::MAX);
            let (register, data_type) = match s.kind {
                ValueKind::F64 => (slot, DataType::F32),
                ValueKind::I64 => (slot, DataType::I32),
                ValueKind::Bool => (slot, DataType::U16),
                ValueKind::String => {
                    let r = STRING_BASE + STRING_CHARS / 2 * strings;
                    strings += 1;
                    (r, DataType::Str(STRING_CHARS))
                }
            };
            MapEntry {
                address: s.address.clone(),
                kind: s.kind,
                register,
                data_type,
                unit: s.unit,
                range: s.range,
                decimals: s.decimals,
                description: s.description.clone(),
            }
        })
        .collect()
}

/// The map as CSV, for engineers wiring another system to the simulator.
pub fn map_csv(map: &[MapEntry], esp_wells: usize) -> String {
    let mut out = String::from("table,register,type,signal,unit,description\n");
    for e in map {
        let ty = match e.data_type {
            DataType::F32 => "f32".to_owned(),
            DataType::I32 => "i32".to_owned(),
            DataType::U16 => "u16 (0/1)".to_owned(),
            DataType::Str(n) => format!("str{n}"),
            other => format!("{other:?}"),
        };
        out.push_str(&format!(
            "ir+hr,{},{ty},{},{},{}\n",
            e.register,
            e.address,
            e.unit,
            csv_field(&e.description)
        ));
    }
    for k in 0..esp_wells {
        out.push_str(&format!(
            "hr (write),{},f32,{}/frequency_setpoint,Hz,VSD frequency setpoint ({}–{} Hz)\n",
            SETPOINT_BASE + 2 * k as u16,
            crate::sim::esp_device(k),
            crate::sim::MIN_FREQUENCY_HZ,
            crate::sim::MAX_FREQUENCY_HZ
        ));
    }
    out
}

/// Quotes a CSV field when it needs it (RFC 4180).
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// A project (`site.toml`) that reads the simulator's Modbus server at `endpoint`: every signal, with
/// the CT on a 100 ms poll group and the wells and separator on 1 s, plus the writable ESP setpoints.
pub fn example_site_toml(map: &[MapEntry], esp_wells: usize, endpoint: &str) -> String {
    let mut s = format!(
        r#"# A console that reads the demo plant over Modbus TCP, as it would read a real site's PLC or RTU.
# Start the plant:   wellconsole sim --modbus {endpoint}
# Then the console:  wellconsole --project examples/modbus-site
# Generated from the simulator's register map (wellconsole sim --modbus-map); tests keep the two in step.

[site]
name = "Campo Escuela over Modbus"
description = "The demo plant read through its Modbus TCP server"

[[driver]]
name = "rtu1"
kind = "modbus-tcp"

[driver.modbus]
endpoint = "{endpoint}"
unit_id = 1
timeout_ms = 500
word_order = "high-first"
byte_order = "normal"
max_gap = 8
poll = [{{ name = "fast", period_ms = 100 }}, {{ name = "slow", period_ms = 1000 }}]
"#
    );
    for e in map {
        let ty = match e.data_type {
            DataType::F32 => "f32".to_owned(),
            DataType::I32 => "i32".to_owned(),
            DataType::Str(n) => format!("str{n}"),
            _ => "u16".to_owned(),
        };
        let (address, kind) = match e.kind {
            ValueKind::Bool => (format!("ir:{}.0", e.register), "bool"),
            ValueKind::String => (format!("ir:{}:{ty}", e.register), "string"),
            ValueKind::I64 => (format!("ir:{}:{ty}", e.register), "i64"),
            ValueKind::F64 => (format!("ir:{}:{ty}", e.register), "f64"),
        };
        let poll = if e.address.starts_with("ct") { "fast" } else { "slow" };
        let stale = if poll == "fast" { 2000 } else { 5000 };
        s.push_str(&format!(
            "\n[[tag]]\nname = \"{}\"\ndriver = \"rtu1\"\naddress = \"{address}\"\ntype = \"{kind}\"\n",
            e.address
        ));
        if !e.unit.is_empty() {
            s.push_str(&format!("unit = \"{}\"\n", e.unit));
        }
        if let Some((lo, hi)) = e.range {
            s.push_str(&format!("range = [{lo:?}, {hi:?}]\ndecimals = {}\n", e.decimals));
        }
        s.push_str(&format!(
            "description = \"{}\"\npoll = \"{poll}\"\nstale_after_ms = {stale}\n",
            e.description
        ));
    }
    for k in 0..esp_wells {
        s.push_str(&format!(
            "\n[[tag]]\nname = \"{}/frequency_setpoint\"\ndriver = \"rtu1\"\naddress = \"hr:{}:f32\"\ntype = \"f64\"\nunit = \"Hz\"\nrange = [35.0, 70.0]\ndecimals = 1\ndescription = \"VSD frequency setpoint\"\npoll = \"slow\"\nstale_after_ms = 5000\nwritable = true\n",
            crate::sim::esp_device(k),
            SETPOINT_BASE + 2 * k as u16
        ));
    }
    s
}

/// The register image the simulator loop writes and the server reads.
#[derive(Debug, Default)]
pub struct RegisterImage {
    registers: Vec<u16>,
    bits: Vec<bool>,
    setpoints: Vec<u16>,
}

impl RegisterImage {
    pub fn new(map: &[MapEntry], esp_wells: usize) -> Self {
        let end = map
            .iter()
            .map(|e| usize::from(e.register) + usize::from(e.data_type.width()))
            .max()
            .unwrap_or(0);
        Self {
            registers: vec![0; end],
            bits: vec![false; map.len()],
            setpoints: vec![0; 2 * esp_wells],
        }
    }

    /// Stores the plant's current readings (catalogue order) and setpoints.
    pub fn update(&mut self, map: &[MapEntry], readings: &[Value], setpoints_hz: &[f64]) {
        for (i, (e, v)) in map.iter().zip(readings).enumerate() {
            let regs = match (e.data_type, v) {
                (DataType::U16, Value::Bool(b)) => {
                    self.bits[i] = *b;
                    vec![u16::from(*b)]
                }
                (ty, v) => {
                    codec::encode(v, ty, ORDER, Scaling::default()).unwrap_or_else(|_| vec![0; usize::from(ty.width())])
                }
            };
            let at = usize::from(e.register);
            self.registers[at..at + regs.len()].copy_from_slice(&regs);
        }
        for (k, hz) in setpoints_hz.iter().enumerate() {
            if let Ok(r) = codec::encode(&Value::F64(*hz), DataType::F32, ORDER, Scaling::default()) {
                self.setpoints[2 * k..2 * k + 2].copy_from_slice(&r);
            }
        }
    }

    fn read(&self, table: &[u16], start: u16, count: u16, base: u16) -> Result<Vec<u16>, ExceptionCode> {
        let s = usize::from(start.checked_sub(base).ok_or(ExceptionCode::IllegalDataAddress)?);
        table
            .get(s..s + usize::from(count))
            .map(<[u16]>::to_vec)
            .ok_or(ExceptionCode::IllegalDataAddress)
    }
}

pub use super::PlantWrite;

#[derive(Clone)]
struct PlantService {
    image: Arc<RwLock<RegisterImage>>,
    writes: Sender<PlantWrite>,
}

impl PlantService {
    fn answer(&self, req: Request<'static>) -> Result<Response, ExceptionCode> {
        let image = self.image.read().map_err(|_| ExceptionCode::ServerDeviceFailure)?;
        match req {
            Request::ReadInputRegisters(a, n) => {
                image.read(&image.registers, a, n, 0).map(Response::ReadInputRegisters)
            }
            Request::ReadHoldingRegisters(a, n) if a >= SETPOINT_BASE => image
                .read(&image.setpoints, a, n, SETPOINT_BASE)
                .map(Response::ReadHoldingRegisters),
            Request::ReadHoldingRegisters(a, n) => image
                .read(&image.registers, a, n, 0)
                .map(Response::ReadHoldingRegisters),
            Request::ReadDiscreteInputs(a, n) => image
                .bits
                .get(usize::from(a)..usize::from(a) + usize::from(n))
                .map(|b| Response::ReadDiscreteInputs(b.to_vec()))
                .ok_or(ExceptionCode::IllegalDataAddress),
            Request::WriteMultipleRegisters(a, words) => {
                drop(image);
                self.write_setpoints(a, &words)?;
                Ok(Response::WriteMultipleRegisters(
                    a,
                    u16::try_from(words.len()).unwrap_or(0),
                ))
            }
            Request::WriteSingleRegister(..) => Err(ExceptionCode::IllegalDataValue), // f32: two registers at once
            _ => Err(ExceptionCode::IllegalFunction),
        }
    }

    fn write_setpoints(&self, start: u16, words: &[u16]) -> Result<(), ExceptionCode> {
        let rel = start
            .checked_sub(SETPOINT_BASE)
            .ok_or(ExceptionCode::IllegalDataAddress)?;
        if rel % 2 != 0 || !words.len().is_multiple_of(2) {
            return Err(ExceptionCode::IllegalDataAddress);
        }
        let mut image = self.image.write().map_err(|_| ExceptionCode::ServerDeviceFailure)?;
        if usize::from(rel) + words.len() > image.setpoints.len() {
            return Err(ExceptionCode::IllegalDataAddress);
        }
        for (j, pair) in words.chunks(2).enumerate() {
            let hz = codec::decode(pair, DataType::F32, ORDER, Scaling::default())
                .ok()
                .and_then(|v| v.as_f64())
                .filter(|hz| (crate::sim::MIN_FREQUENCY_HZ..=crate::sim::MAX_FREQUENCY_HZ).contains(hz))
                .ok_or(ExceptionCode::IllegalDataValue)?;
            let at = usize::from(rel) + 2 * j;
            image.setpoints[at..at + 2].copy_from_slice(pair);
            self.writes
                .try_send(PlantWrite::EspFrequency { index: at / 2, hz })
                .map_err(|_| ExceptionCode::ServerDeviceBusy)?;
        }
        Ok(())
    }
}

impl tokio_modbus::server::Service for PlantService {
    type Request = Request<'static>;
    type Response = Response;
    type Exception = ExceptionCode;
    type Future = Ready<Result<Response, ExceptionCode>>;

    fn call(&self, req: Self::Request) -> Self::Future {
        ready(self.answer(req))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("the Modbus server stopped: {0}")]
    Io(#[from] std::io::Error),
}

/// Serves `image` on `addr` until the process ends. Call on a thread of its own.
pub fn serve_blocking(
    addr: SocketAddr,
    image: Arc<RwLock<RegisterImage>>,
    writes: Sender<PlantWrite>,
) -> Result<(), ServeError> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| ServeError::Bind { addr, source })?;
        serve(listener, PlantService { image, writes }).await?;
        Ok(())
    })
}

/// Answers the clients of `listener`, each connection on a task of its own, until an accept fails.
async fn serve(listener: tokio::net::TcpListener, service: PlantService) -> std::io::Result<()> {
    let on_connected = |stream: tokio::net::TcpStream, peer: SocketAddr| {
        let service = service.clone();
        async move {
            let _ = stream.set_nodelay(true);
            accept_tcp_connection(stream, peer, |_| Ok(Some(service.clone())))
        }
    };
    Server::new(listener)
        .serve(
            &on_connected,
            |e| tracing::debug!(error = %e, "Modbus client connection ended"),
        )
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_is_dense_and_strings_are_apart() {
        let specs = crate::sim::catalog(6);
        let map = register_map(&specs);
        assert_eq!(map[1].address, "ct01/depth");
        assert_eq!((map[1].register, map[1].data_type), (2, DataType::F32));
        assert_eq!(
            (map[0].register, map[0].data_type),
            (STRING_BASE, DataType::Str(16)),
            "job phase"
        );
        let last_numeric = map
            .iter()
            .filter(|e| e.kind != ValueKind::String)
            .map(|e| e.register)
            .max()
            .unwrap();
        assert!(last_numeric < STRING_BASE);
        let csv = map_csv(&map, 6);
        assert!(csv.contains("ir+hr,2,f32,ct01/depth,ft,"));
        assert!(csv.contains("hr (write),2010,f32,esp06/frequency_setpoint,Hz"));
    }

    /// The server for one CT unit and one ESP well: depth 9123.5 ft (ir/hr 2, f32), job phase "WASH"
    /// (hr 1000, 16 characters), the ESP's setpoint 55 Hz.
    fn plant() -> (PlantService, crossbeam_channel::Receiver<PlantWrite>) {
        let specs = crate::sim::catalog(1);
        let map = register_map(&specs);
        let mut image = RegisterImage::new(&map, 1);
        let mut readings: Vec<Value> = specs
            .iter()
            .map(|s| match s.kind {
                ValueKind::F64 => Value::F64(1.5),
                ValueKind::I64 => Value::I64(-7),
                ValueKind::Bool => Value::Bool(true),
                ValueKind::String => Value::str("WASH"),
            })
            .collect();
        readings[1] = Value::F64(9_123.5);
        image.update(&map, &readings, &[55.0]);
        let (tx, rx) = crossbeam_channel::bounded(4);
        let svc = PlantService {
            image: Arc::new(RwLock::new(image)),
            writes: tx,
        };
        (svc, rx)
    }

    #[test]
    fn image_serves_values_and_refuses_bad_requests() {
        let (svc, rx) = plant();
        let Ok(Response::ReadInputRegisters(r)) = svc.answer(Request::ReadInputRegisters(2, 2)) else {
            panic!()
        };
        assert_eq!(
            codec::decode(&r, DataType::F32, ORDER, Scaling::default()).unwrap(),
            Value::F64(9_123.5)
        );
        let Ok(Response::ReadHoldingRegisters(r)) = svc.answer(Request::ReadHoldingRegisters(STRING_BASE, 8)) else {
            panic!()
        };
        assert_eq!(
            codec::decode(&r, DataType::Str(16), ORDER, Scaling::default()).unwrap(),
            Value::str("WASH")
        );
        assert_eq!(
            svc.answer(Request::ReadInputRegisters(60_000, 2)),
            Err(ExceptionCode::IllegalDataAddress)
        );
        assert_eq!(
            svc.answer(Request::ReadCoils(0, 1)),
            Err(ExceptionCode::IllegalFunction)
        );
        let hz = codec::encode(&Value::F64(61.0), DataType::F32, ORDER, Scaling::default()).unwrap();
        assert!(
            svc.answer(Request::WriteMultipleRegisters(SETPOINT_BASE, hz.clone().into()))
                .is_ok()
        );
        assert_eq!(rx.try_recv().unwrap(), PlantWrite::EspFrequency { index: 0, hz: 61.0 });
        let too_fast = codec::encode(&Value::F64(90.0), DataType::F32, ORDER, Scaling::default()).unwrap();
        assert_eq!(
            svc.answer(Request::WriteMultipleRegisters(SETPOINT_BASE, too_fast.into())),
            Err(ExceptionCode::IllegalDataValue)
        );
        assert_eq!(
            svc.answer(Request::WriteMultipleRegisters(2, hz.into())),
            Err(ExceptionCode::IllegalDataAddress)
        );
    }

    /// Runs `client` against the plant's server on a free port of 127.0.0.1.
    fn with_server<F: std::future::Future>(client: impl FnOnce(SocketAddr) -> F) -> F::Output {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            tokio::select! {
                ended = serve(listener, plant().0) => panic!("the server stopped: {ended:?}"),
                out = client(addr) => out,
            }
        })
    }

    #[test]
    fn requests_sent_back_to_back_are_each_answered_in_turn() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        with_server(|addr| async move {
            let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
            // Depth (ir 2..4, transaction 0x0101) and job phase (hr 1000..1008, 0x0102) in one write, with
            // the first 5 bytes of a third request (ir 2..4 again, 0x0103) behind them.
            let depth = |tid: u8| [0x01, tid, 0, 0, 0, 6, 1, 4, 0, 2, 0, 2];
            let phase: [u8; 12] = [0x01, 0x02, 0, 0, 0, 6, 1, 3, 0x03, 0xE8, 0, 8];
            let third = depth(0x03);
            let mut together = depth(0x01).to_vec();
            together.extend(phase);
            together.extend(&third[..5]);
            s.write_all(&together).await.unwrap();

            let mut a = [0u8; 13];
            s.read_exact(&mut a).await.unwrap();
            assert_eq!(a[..9], [0x01, 0x01, 0, 0, 0, 7, 1, 4, 4]);
            let words = [u16::from_be_bytes([a[9], a[10]]), u16::from_be_bytes([a[11], a[12]])];
            assert_eq!(
                codec::decode(&words, DataType::F32, ORDER, Scaling::default()),
                Ok(Value::F64(9_123.5))
            );
            let mut b = [0u8; 25];
            s.read_exact(&mut b).await.unwrap();
            assert_eq!(b[..9], [0x01, 0x02, 0, 0, 0, 19, 1, 3, 16]);
            assert_eq!(&b[9..13], b"WASH");

            // The rest of the third request: the server kept its first bytes.
            s.write_all(&third[5..]).await.unwrap();
            let mut c = [0u8; 13];
            s.read_exact(&mut c).await.unwrap();
            let mut same_as_first = a;
            same_as_first[1] = 0x03;
            assert_eq!(c, same_as_first);
        });
    }

    #[test]
    fn a_pipelined_client_gets_every_answer_right() {
        use crate::driver::modbus::address::Table;
        use crate::driver::modbus::mbap;
        use crate::driver::modbus::pipeline::{PipelinedClient, Transaction};
        with_server(|addr| async move {
            let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
            let mut client = PipelinedClient::new(stream, 8, std::time::Duration::from_secs(5));
            let read = |table, start, count| mbap::Request::Read { table, start, count };
            // Depth, job phase, and an address the plant lacks, over and over, eight in flight.
            let asked: Vec<Transaction> = [
                read(Table::InputRegister, 2, 2),
                read(Table::HoldingRegister, STRING_BASE, 8),
                read(Table::InputRegister, 60_000, 2),
            ]
            .into_iter()
            .cycle()
            .take(60)
            .map(|request| Transaction { unit: 1, request })
            .collect();
            let outcomes = client.transact(&asked).await;
            for (tx, o) in asked.iter().zip(outcomes) {
                let mbap::Request::Read { start, .. } = tx.request else {
                    unreachable!()
                };
                let (ty, expected) = match start {
                    2 => (DataType::F32, Value::F64(9_123.5)),
                    STRING_BASE => (DataType::Str(16), Value::str("WASH")),
                    _ => {
                        assert_eq!(o.answer, Ok(Err(ExceptionCode::IllegalDataAddress)));
                        continue;
                    }
                };
                let Ok(Ok(mbap::Response::Items(words))) = o.answer else {
                    panic!("{start}: {:?}", o.answer)
                };
                assert_eq!(codec::decode(&words, ty, ORDER, Scaling::default()), Ok(expected));
            }
            assert_eq!(client.take_strays(), 0);
        });
    }
}
