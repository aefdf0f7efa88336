//! The Modbus TCP driver thread: one connection, poll groups on their own periods, block reads,
//! operator writes with read-back. Runs a current-thread tokio runtime of its own, so a slow or dead
//! device only ever delays this driver.

use super::address::{DataType, Table};
use super::backoff::Backoff;
use super::codec::{self, Order};
use super::config::{ModbusConfig, ModbusTag, Parity, SerialLine, Transport};
use super::plan::{Block, plan};
use crate::driver::{DriverCommand, DriverEvent, DriverLink, DriverState};
use crate::tag::{BadReason, Quality, Sample, Timestamp, Value};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio_modbus::client::{Context, Reader, Writer, rtu, tcp};
use tokio_modbus::prelude::SlaveContext;
use tokio_modbus::{ExceptionCode, Slave};

/// How often the session loop looks at the command queue while waiting for the next poll.
const COMMAND_POLL: Duration = Duration::from_millis(10);

struct GroupPlan {
    period: Duration,
    blocks: Vec<Block>,
    /// `cfg.tags` index of each planned item (blocks refer to items by position).
    tags: Vec<usize>,
}

/// Why a session ended.
enum SessionEnd {
    Stop,
    Broken(String),
}

/// Quality for a Modbus exception: addressing mistakes are configuration errors; gateway failures mean
/// the device behind the gateway is unreachable; a busy device is uncertain, not bad.
pub fn exception_quality(e: ExceptionCode) -> Quality {
    match e {
        ExceptionCode::IllegalFunction | ExceptionCode::IllegalDataAddress | ExceptionCode::IllegalDataValue => {
            Quality::Bad(BadReason::ConfigError)
        }
        ExceptionCode::ServerDeviceFailure | ExceptionCode::MemoryParityError => Quality::Bad(BadReason::SensorFail),
        ExceptionCode::GatewayPathUnavailable | ExceptionCode::GatewayTargetDevice => Quality::Bad(BadReason::CommFail),
        ExceptionCode::Acknowledge | ExceptionCode::ServerDeviceBusy => Quality::Uncertain,
        _ => Quality::Bad(BadReason::ConfigError),
    }
}

pub struct ModbusDriver {
    cfg: ModbusConfig,
}

impl ModbusDriver {
    pub fn new(cfg: ModbusConfig) -> Self {
        Self { cfg }
    }

    pub fn run(self, link: DriverLink) {
        crate::driver::run_on_own_runtime(&link, self.main(&link));
    }

    fn plans(&self) -> Vec<GroupPlan> {
        self.cfg
            .polls
            .iter()
            .enumerate()
            .map(|(g, poll)| {
                let tags: Vec<usize> = (0..self.cfg.tags.len())
                    .filter(|&i| self.cfg.tags[i].poll == g)
                    .collect();
                let addrs: Vec<_> = tags.iter().map(|&i| self.cfg.tags[i].address).collect();
                GroupPlan {
                    period: poll.period,
                    blocks: plan(&addrs, self.cfg.unit_id, self.cfg.max_gap),
                    tags,
                }
            })
            .collect()
    }

    async fn main(&self, link: &DriverLink) {
        let plans = self.plans();
        let mut backoff = Backoff::new(self.cfg.backoff_min, self.cfg.backoff_max);
        let mut rng = rand::rng();
        let mut marked_failed = false;
        while !link.should_stop() {
            let end = match self.connect().await {
                Ok(ctx) => {
                    backoff.reset();
                    marked_failed = false;
                    link.stats.set_state(DriverState::Running);
                    link.stats
                        .set_detail(Some(format!("connected to {}", self.cfg.transport.describe())));
                    self.session(ctx, link, &plans).await
                }
                Err(e) => SessionEnd::Broken(e),
            };
            let SessionEnd::Broken(reason) = end else { break };
            link.stats.set_state(DriverState::Failed);
            link.stats.set_last_error(Some(reason));
            link.stats.set_detail(None);
            if !marked_failed {
                // Every tag of the device turns CommFail at once, not one stale period later.
                self.send_all(link, Quality::Bad(BadReason::CommFail));
                marked_failed = true;
            }
            let until = Instant::now() + backoff.next_delay(&mut rng);
            while Instant::now() < until && !link.should_stop() {
                self.refuse_commands(link, "not connected to the device");
                tokio::time::sleep(COMMAND_POLL.max(Duration::from_millis(50))).await;
            }
        }
    }

    async fn connect(&self) -> Result<Context, String> {
        match &self.cfg.transport {
            Transport::Tcp { endpoint } => self.connect_tcp(endpoint).await,
            Transport::Rtu(line) => open_serial(line, self.cfg.unit_id),
        }
    }

    async fn connect_tcp(&self, ep: &str) -> Result<Context, String> {
        let stream = match tokio::time::timeout(self.cfg.timeout, TcpStream::connect(ep)).await {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => return Err(format!("connect to {ep} failed: {e}")),
            Err(_) => {
                return Err(format!(
                    "connect to {ep} timed out after {} ms",
                    self.cfg.timeout.as_millis()
                ));
            }
        };
        // Modbus is request/response with small frames: Nagle would add up to 40 ms per request.
        if let Err(e) = stream.set_nodelay(true) {
            tracing::warn!(endpoint = %ep, error = %e, "could not set TCP_NODELAY");
        }
        Ok(tcp::attach_slave(stream, Slave(self.cfg.unit_id)))
    }

    async fn session(&self, mut ctx: Context, link: &DriverLink, plans: &[GroupPlan]) -> SessionEnd {
        let start = Instant::now();
        let mut due: Vec<Instant> = vec![start; plans.len()];
        loop {
            if link.should_stop() {
                let _ = tokio_modbus::client::Client::disconnect(&mut ctx).await;
                return SessionEnd::Stop;
            }
            while let Ok(cmd) = link.commands.try_recv() {
                if let Err(e) = self.command(&mut ctx, link, cmd).await {
                    return SessionEnd::Broken(e);
                }
            }
            let now = Instant::now();
            for (g, p) in plans.iter().enumerate() {
                if due[g] <= now {
                    if let Err(e) = self.poll(&mut ctx, link, p).await {
                        return SessionEnd::Broken(e);
                    }
                    due[g] += p.period;
                    if due[g] < Instant::now() {
                        // Behind by a whole period: skip, don't burst.
                        due[g] = Instant::now() + p.period;
                    }
                }
            }
            let next = due.iter().min().copied().unwrap_or(now + COMMAND_POLL);
            tokio::time::sleep_until(next.min(Instant::now() + COMMAND_POLL).into()).await;
        }
    }

    /// Reads every block of a poll group and sends one batch. Err on a transport failure.
    async fn poll(&self, ctx: &mut Context, link: &DriverLink, p: &GroupPlan) -> Result<(), String> {
        let mut batch = Vec::with_capacity(p.tags.len());
        for block in &p.blocks {
            let words = self.read(ctx, link, block).await?;
            let ts = Timestamp::now();
            for &item in &block.items {
                let t = &self.cfg.tags[p.tags[item]];
                batch.push(match &words {
                    Ok(w) => decode_item(t, block, w, self.cfg.order, ts),
                    Err(q) => Sample {
                        tag: t.tag,
                        value: None,
                        quality: *q,
                        source_ts: ts,
                    },
                });
            }
        }
        link.samples.send(batch).map_err(|_| "the hub is gone".to_owned())
    }

    /// One block read. Outer Err: transport failure (session ends); inner Err: the device's exception.
    async fn read(&self, ctx: &mut Context, link: &DriverLink, b: &Block) -> Result<Result<Vec<u16>, Quality>, String> {
        ctx.set_slave(Slave(b.unit));
        let t0 = Instant::now();
        let bits = |v: Vec<bool>| v.into_iter().map(u16::from).collect::<Vec<u16>>();
        let fut = async {
            match b.table {
                Table::Coil => ctx.read_coils(b.start, b.count).await.map(|r| r.map(bits)),
                Table::DiscreteInput => ctx.read_discrete_inputs(b.start, b.count).await.map(|r| r.map(bits)),
                Table::InputRegister => ctx.read_input_registers(b.start, b.count).await,
                Table::HoldingRegister => ctx.read_holding_registers(b.start, b.count).await,
            }
        };
        let result = tokio::time::timeout(self.cfg.timeout, fut).await;
        link.stats.record_request(t0.elapsed());
        let what = || {
            format!(
                "{:?} {}..{} of unit {}",
                b.table,
                b.start,
                u32::from(b.start) + u32::from(b.count),
                b.unit
            )
        };
        match result {
            Err(_) => {
                link.stats.record_error();
                Err(format!(
                    "no answer within {} ms reading {}",
                    self.cfg.timeout.as_millis(),
                    what()
                ))
            }
            Ok(Err(e)) => {
                link.stats.record_error();
                Err(format!("transport error reading {}: {e}", what()))
            }
            Ok(Ok(Err(exc))) => {
                link.stats.record_exception();
                link.stats
                    .set_last_error(Some(format!("device exception {exc:?} reading {}", what())));
                Ok(Err(exception_quality(exc)))
            }
            Ok(Ok(Ok(words))) if words.len() < usize::from(b.count) => {
                link.stats.record_error();
                Err(format!(
                    "short answer reading {}: {} of {} items",
                    what(),
                    words.len(),
                    b.count
                ))
            }
            Ok(Ok(Ok(words))) => Ok(Ok(words)),
        }
    }

    async fn command(&self, ctx: &mut Context, link: &DriverLink, cmd: DriverCommand) -> Result<(), String> {
        let DriverCommand::Write { tag, value, .. } = cmd else {
            return Ok(());
        };
        let Some(t) = self.cfg.tags.iter().find(|t| t.tag == tag) else {
            link.report(DriverEvent::WriteFailed {
                tag,
                value,
                reason: "the tag is not served by this driver".into(),
            });
            return Ok(());
        };
        if !t.writable {
            link.report(DriverEvent::WriteFailed {
                tag,
                value,
                reason: "the tag is not writable".into(),
            });
            return Ok(());
        }
        match self.write(ctx, link, t, &value).await {
            Ok(Ok(read_back)) => {
                link.report(DriverEvent::WriteConfirmed { tag, value });
                let _ = link.samples.send(vec![Sample::good(tag, read_back, Timestamp::now())]);
                Ok(())
            }
            Ok(Err(reason)) => {
                link.report(DriverEvent::WriteFailed { tag, value, reason });
                Ok(())
            }
            Err(transport) => {
                link.report(DriverEvent::WriteFailed {
                    tag,
                    value,
                    reason: transport.clone(),
                });
                Err(transport)
            }
        }
    }

    /// Writes and reads back. Outer Err: transport; inner Err: refused or not confirmed.
    async fn write(
        &self,
        ctx: &mut Context,
        link: &DriverLink,
        t: &ModbusTag,
        value: &Value,
    ) -> Result<Result<Value, String>, String> {
        let a = t.address;
        let unit = a.unit.unwrap_or(self.cfg.unit_id);
        let block = Block {
            unit,
            table: a.table,
            start: a.offset,
            count: a.width(),
            items: vec![0],
        };
        let regs = match codec::encode(value, a.data_type, self.cfg.order, t.scaling) {
            Ok(r) => r,
            Err(e) => return Ok(Err(e.to_string())),
        };
        ctx.set_slave(Slave(unit));
        let t0 = Instant::now();
        let timeout = self.cfg.timeout;
        let written = match (a.table, a.bit) {
            (Table::Coil, _) => tokio::time::timeout(timeout, ctx.write_single_coil(a.offset, regs[0] != 0)).await,
            (Table::HoldingRegister, Some(bit)) => {
                // Read-modify-write of one bit (FC 3 + FC 6): FC 22 is not supported by every device.
                let current = match self.read(ctx, link, &block).await? {
                    Ok(w) => w[0],
                    Err(q) => return Ok(Err(format!("could not read the register to change bit {bit}: {q}"))),
                };
                let new = if regs[0] != 0 {
                    current | (1 << bit)
                } else {
                    current & !(1 << bit)
                };
                tokio::time::timeout(timeout, ctx.write_single_register(a.offset, new)).await
            }
            (Table::HoldingRegister, None) if regs.len() == 1 => {
                tokio::time::timeout(timeout, ctx.write_single_register(a.offset, regs[0])).await
            }
            (Table::HoldingRegister, None) => {
                tokio::time::timeout(timeout, ctx.write_multiple_registers(a.offset, &regs)).await
            }
            (Table::InputRegister | Table::DiscreteInput, _) => return Ok(Err("input tables are read-only".into())),
        };
        link.stats.record_request(t0.elapsed());
        match written {
            Err(_) => return Err(format!("no answer within {} ms writing {a}", timeout.as_millis())),
            Ok(Err(e)) => return Err(format!("transport error writing {a}: {e}")),
            Ok(Ok(Err(exc))) => return Ok(Err(format!("the device refused the write: {exc:?}"))),
            Ok(Ok(Ok(()))) => {}
        }
        // Confirmation: read the value back and compare in raw form (exact for every type).
        match self.read(ctx, link, &block).await? {
            Ok(words) => {
                let sample = decode_item(t, &block, &words, self.cfg.order, Timestamp::now());
                let expected = match (a.bit, a.data_type) {
                    (Some(_), _) | (None, DataType::Bool) => {
                        codec::encode(value, DataType::Bool, self.cfg.order, t.scaling).ok()
                    }
                    _ => Some(regs.clone()),
                };
                let got = match a.bit {
                    Some(bit) => Some(vec![u16::from(words[0] & (1 << bit) != 0)]),
                    None if a.data_type == DataType::Bool => Some(vec![u16::from(words[0] != 0)]),
                    None => Some(words[..usize::from(a.width())].to_vec()),
                };
                match (sample.value, expected == got) {
                    (Some(v), true) => Ok(Ok(v)),
                    (v, _) => Ok(Err(format!(
                        "read-back does not match: device now holds {}",
                        v.map_or("nothing".into(), |v| v.to_string())
                    ))),
                }
            }
            Err(q) => Ok(Err(format!("written, but the read-back failed: {q}"))),
        }
    }

    fn send_all(&self, link: &DriverLink, q: Quality) {
        let ts = Timestamp::now();
        let batch = self
            .cfg
            .tags
            .iter()
            .map(|t| Sample {
                tag: t.tag,
                value: None,
                quality: q,
                source_ts: ts,
            })
            .collect();
        let _ = link.samples.send(batch);
    }

    fn refuse_commands(&self, link: &DriverLink, why: &str) {
        while let Ok(cmd) = link.commands.try_recv() {
            if let DriverCommand::Write { tag, value, .. } = cmd {
                link.report(DriverEvent::WriteFailed {
                    tag,
                    value,
                    reason: why.to_owned(),
                });
            }
        }
    }
}

fn open_serial(line: &SerialLine, unit: u8) -> Result<Context, String> {
    use tokio_serial::SerialPortBuilderExt;
    let parity = match line.parity {
        Parity::None => tokio_serial::Parity::None,
        Parity::Even => tokio_serial::Parity::Even,
        Parity::Odd => tokio_serial::Parity::Odd,
    };
    let data_bits = match line.data_bits {
        7 => tokio_serial::DataBits::Seven,
        _ => tokio_serial::DataBits::Eight,
    };
    let stop_bits = if line.stop_bits == 2 {
        tokio_serial::StopBits::Two
    } else {
        tokio_serial::StopBits::One
    };
    let port = tokio_serial::new(&line.device, line.baud)
        .parity(parity)
        .data_bits(data_bits)
        .stop_bits(stop_bits)
        .open_native_async()
        .map_err(|e| format!("cannot open serial line {}: {e}", line.device))?;
    Ok(rtu::attach_slave(port, Slave(unit)))
}

fn decode_item(t: &ModbusTag, block: &Block, words: &[u16], order: Order, ts: Timestamp) -> Sample {
    let rel = usize::from(t.address.offset - block.start);
    let width = usize::from(t.address.width());
    let Some(slice) = words.get(rel..rel + width) else {
        return Sample::bad(t.tag, BadReason::ConfigError, ts);
    };
    let decoded = match (t.address.bit, t.address.data_type) {
        (Some(bit), _) => Ok(codec::decode_bit(slice[0], bit)),
        (None, DataType::Bool) => Ok(Value::Bool(slice[0] != 0)),
        (None, ty) => codec::decode(slice, ty, order, t.scaling),
    };
    match decoded {
        Ok(v) => Sample::good(t.tag, v, ts),
        Err(_) => Sample::bad(t.tag, BadReason::ConfigError, ts),
    }
}
