//! The Modbus TCP driver thread: one connection, poll groups on their own periods, block reads,
//! operator writes with read-back. Runs a current-thread tokio runtime of its own, so a slow or dead
//! device only ever delays this driver.
//!
//! A merged block the device refuses as asked (a register it lacks, a block longer than it serves) is
//! read in halves, down to single tags, and the pieces replace it in the plan for the rest of the
//! connection: one missing register turns only its own tags `CONFIG ERROR`. A new connection starts from
//! the merged plan again, since a device that dropped the link may come back with a new register map.
//!
//! With `pipeline` > 1 (TCP only) the connection is our pipelined client instead of tokio-modbus's: a poll
//! group's blocks go out together, up to that many in flight, and are answered in any order; what is
//! done with each answer (quality, statistics, splitting a refused block) is the same code for both.

use super::address::{DataType, ModbusAddress, Order, Table};
use super::backoff::Backoff;
use super::codec;
use super::config::{ModbusConfig, ModbusTag, Parity, SerialLine, Transport};
use super::mbap::{Request, Response};
use super::pipeline::{Outcome, PipelineError, PipelinedClient, Transaction};
use super::plan::{Block, bisect, plan};
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
    /// As planned; a block the device refused is replaced by the pieces it was read in (`read_plan`).
    blocks: Vec<Block>,
    /// `cfg.tags` index of each planned item (blocks refer to items by position).
    tags: Vec<usize>,
    /// Address of each planned item.
    addrs: Vec<ModbusAddress>,
}

/// What the device answered to one read: the registers (bits as 0/1), or its exception.
type Answer = Result<Vec<u16>, ExceptionCode>;

/// One block read and when its answer came.
struct Reply {
    answer: Answer,
    at: Timestamp,
}

/// Reads one block: the driver's connection, or a fake device in tests.
trait ReadBlock {
    /// Err: a transport failure, which ends the session.
    async fn read_block(&mut self, b: &Block) -> Result<Reply, String>;

    /// Reads several blocks, one reply each, in order: one at a time unless the connection pipelines.
    async fn read_blocks(&mut self, blocks: &[Block]) -> Result<Vec<Reply>, String> {
        read_each(self, blocks).await
    }
}

/// Reads blocks one after the other.
async fn read_each<R: ReadBlock + ?Sized>(reader: &mut R, blocks: &[Block]) -> Result<Vec<Reply>, String> {
    let mut replies = Vec::with_capacity(blocks.len());
    for b in blocks {
        replies.push(reader.read_block(b).await?);
    }
    Ok(replies)
}

/// The session's connection: tokio-modbus's client, one request at a time (RTU, and TCP by default), or
/// our pipelined client (TCP with `pipeline` > 1).
enum Wire {
    OneAtATime(Context),
    Pipelined(PipelinedClient<TcpStream>),
}

/// A request that got no usable answer. Either ends the session.
enum Failure {
    Timeout,
    Transport(String),
}

/// What one request came to on either client: the device's answer, or a failure.
type Exchange = Result<Result<Response, ExceptionCode>, Failure>;

/// A merged read the device refused, and what reading it in pieces found.
struct Split {
    /// The block as it was planned.
    planned: Block,
    /// How many reads replace it.
    reads: usize,
    /// Items the device answered with an exception even when read on their own.
    refused: Vec<usize>,
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
                    addrs,
                }
            })
            .collect()
    }

    async fn main(&self, link: &DriverLink) {
        let mut backoff = Backoff::new(self.cfg.backoff_min, self.cfg.backoff_max);
        let mut rng = rand::rng();
        let mut marked_failed = false;
        while !link.should_stop() {
            let end = match self.connect().await {
                Ok(wire) => {
                    backoff.reset();
                    marked_failed = false;
                    link.stats.set_state(DriverState::Running);
                    link.stats
                        .set_detail(Some(format!("connected to {}", self.cfg.transport.describe())));
                    // The merged plan on every connection: splits found on the last one may no longer apply.
                    self.session(wire, link, self.plans()).await
                }
                Err(e) => {
                    // Every failed attempt counts, as every failed request does (and as the OPC UA driver
                    // counts each failed reconnect), so the errors counter grows with the outage.
                    link.stats.record_error();
                    SessionEnd::Broken(e)
                }
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

    async fn connect(&self) -> Result<Wire, String> {
        match &self.cfg.transport {
            Transport::Tcp { endpoint, pipeline } => self.connect_tcp(endpoint, *pipeline).await,
            Transport::Rtu(line) => open_serial(line, self.cfg.unit_id).map(Wire::OneAtATime),
        }
    }

    async fn connect_tcp(&self, ep: &str, pipeline: usize) -> Result<Wire, String> {
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
        Ok(if pipeline > 1 {
            Wire::Pipelined(PipelinedClient::new(stream, pipeline, self.cfg.timeout))
        } else {
            Wire::OneAtATime(tcp::attach_slave(stream, Slave(self.cfg.unit_id)))
        })
    }

    async fn session(&self, mut wire: Wire, link: &DriverLink, mut plans: Vec<GroupPlan>) -> SessionEnd {
        let start = Instant::now();
        let mut due: Vec<Instant> = vec![start; plans.len()];
        loop {
            if link.should_stop() {
                match &mut wire {
                    Wire::OneAtATime(ctx) => {
                        let _ = tokio_modbus::client::Client::disconnect(ctx).await;
                    }
                    Wire::Pipelined(client) => client.close().await,
                }
                return SessionEnd::Stop;
            }
            while let Ok(cmd) = link.commands.try_recv() {
                if let Err(e) = self.command(&mut wire, link, cmd).await {
                    return SessionEnd::Broken(e);
                }
            }
            let now = Instant::now();
            for (g, p) in plans.iter_mut().enumerate() {
                if due[g] <= now {
                    if let Err(e) = self.poll(&mut wire, link, p).await {
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
    async fn poll(&self, wire: &mut Wire, link: &DriverLink, p: &mut GroupPlan) -> Result<(), String> {
        let mut connection = Connection {
            driver: self,
            wire,
            link,
        };
        let (replies, splits) = read_plan(&mut connection, &mut p.blocks, &p.addrs).await?;
        for split in &splits {
            self.report_split(link, p, split);
        }
        let mut batch = Vec::with_capacity(p.tags.len());
        for (block, reply) in p.blocks.iter().zip(&replies) {
            for &item in &block.items {
                let t = &self.cfg.tags[p.tags[item]];
                batch.push(match &reply.answer {
                    Ok(w) => decode_item(t, block, w, self.order_of(t), reply.at),
                    Err(e) => Sample {
                        tag: t.tag,
                        value: None,
                        quality: exception_quality(*e),
                        source_ts: reply.at,
                    },
                });
            }
        }
        link.samples.send(batch).map_err(|_| "the hub is gone".to_owned())
    }

    /// Logs a split once, when it is made: the block and the addresses the device refuses on their own.
    fn report_split(&self, link: &DriverLink, p: &GroupPlan, split: &Split) {
        let refused: Vec<String> = split
            .refused
            .iter()
            .map(|&i| self.cfg.tags[p.tags[i]].address.to_string())
            .collect();
        tracing::warn!(
            driver = %link.name,
            block = %describe(&split.planned),
            reads = split.reads,
            refused = %refused.join(", "),
            "the device refused a merged read; reading it in smaller blocks while connected, so only the refused addresses go bad"
        );
    }

    /// The tag's own word and byte order (address suffix), or the driver's.
    fn order_of(&self, t: &ModbusTag) -> Order {
        t.address.order.unwrap_or(self.cfg.order)
    }

    /// One request on either client, within the driver's timeout.
    async fn exchange(&self, wire: &mut Wire, link: &DriverLink, unit: u8, req: &Request) -> Exchange {
        let ctx = match wire {
            Wire::Pipelined(client) => {
                let one = [Transaction {
                    unit,
                    request: req.clone(),
                }];
                let outcome = transact(client, link, &one).await.pop();
                return outcome.map_or_else(|| Err(Failure::Transport("no outcome".into())), exchanged);
            }
            Wire::OneAtATime(ctx) => ctx,
        };
        ctx.set_slave(Slave(unit));
        let bits = |v: Vec<bool>| Response::Items(v.into_iter().map(u16::from).collect());
        let fut = async {
            match req {
                Request::Read { table, start, count } => match table {
                    Table::Coil => ctx.read_coils(*start, *count).await.map(|r| r.map(bits)),
                    Table::DiscreteInput => ctx.read_discrete_inputs(*start, *count).await.map(|r| r.map(bits)),
                    Table::InputRegister => ctx
                        .read_input_registers(*start, *count)
                        .await
                        .map(|r| r.map(Response::Items)),
                    Table::HoldingRegister => ctx
                        .read_holding_registers(*start, *count)
                        .await
                        .map(|r| r.map(Response::Items)),
                },
                Request::WriteCoil { address, on } => ctx
                    .write_single_coil(*address, *on)
                    .await
                    .map(|r| r.map(|()| Response::Written)),
                Request::WriteRegister { address, value } => ctx
                    .write_single_register(*address, *value)
                    .await
                    .map(|r| r.map(|()| Response::Written)),
                Request::WriteRegisters { address, values } => ctx
                    .write_multiple_registers(*address, values)
                    .await
                    .map(|r| r.map(|()| Response::Written)),
            }
        };
        match tokio::time::timeout(self.cfg.timeout, fut).await {
            Err(_) => Err(Failure::Timeout),
            Ok(Err(e)) => Err(Failure::Transport(e.to_string())),
            Ok(Ok(answer)) => Ok(answer),
        }
    }

    /// One block read. Outer Err: transport failure (session ends); inner Err: the device's exception.
    async fn read(&self, wire: &mut Wire, link: &DriverLink, b: &Block) -> Result<Answer, String> {
        let t0 = Instant::now();
        let exchange = self.exchange(wire, link, b.unit, &read_request(b)).await;
        self.account_read(link, b, t0.elapsed(), exchange)
    }

    /// Reads `blocks` through the pipelined client, up to its window in flight at once. The answers are
    /// counted in order as `read` counts them, up to the first block that got no usable answer (Err), as
    /// reading one at a time would have: one lost connection is one error, not one per request in flight.
    async fn read_pipelined(
        &self,
        client: &mut PipelinedClient<TcpStream>,
        link: &DriverLink,
        blocks: &[Block],
    ) -> Result<Vec<Reply>, String> {
        let txs: Vec<Transaction> = blocks
            .iter()
            .map(|b| Transaction {
                unit: b.unit,
                request: read_request(b),
            })
            .collect();
        let outcomes = transact(client, link, &txs).await;
        let at = Timestamp::now();
        let mut replies = Vec::with_capacity(blocks.len());
        for (b, o) in blocks.iter().zip(outcomes) {
            let rtt = o.rtt;
            let answer = self.account_read(link, b, rtt, exchanged(o))?;
            replies.push(Reply { answer, at });
        }
        Ok(replies)
    }

    /// Counts one block read in the statistics and says what it came to. Outer Err: a transport failure
    /// (session ends); inner Err: the device's exception.
    fn account_read(&self, link: &DriverLink, b: &Block, rtt: Duration, exchange: Exchange) -> Result<Answer, String> {
        link.stats.record_request(rtt);
        let what = || describe(b);
        match exchange {
            Err(Failure::Timeout) => {
                link.stats.record_error();
                Err(format!(
                    "no answer within {} ms reading {}",
                    self.cfg.timeout.as_millis(),
                    what()
                ))
            }
            Err(Failure::Transport(e)) => {
                link.stats.record_error();
                Err(format!("transport error reading {}: {e}", what()))
            }
            Ok(Err(exc)) => {
                link.stats.record_exception();
                link.stats
                    .set_last_error(Some(format!("device exception {exc:?} reading {}", what())));
                Ok(Err(exc))
            }
            Ok(Ok(Response::Written)) => {
                link.stats.record_error();
                Err(format!("a write's echo in answer to reading {}", what()))
            }
            Ok(Ok(Response::Items(words))) if words.len() < usize::from(b.count) => {
                link.stats.record_error();
                Err(format!(
                    "short answer reading {}: {} of {} items",
                    what(),
                    words.len(),
                    b.count
                ))
            }
            Ok(Ok(Response::Items(words))) => Ok(Ok(words)),
        }
    }

    async fn command(&self, wire: &mut Wire, link: &DriverLink, cmd: DriverCommand) -> Result<(), String> {
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
        match self.write(wire, link, t, &value).await {
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
        wire: &mut Wire,
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
            isolated: false,
        };
        let order = self.order_of(t);
        let regs = match codec::encode(value, a.data_type, order, t.scaling) {
            Ok(r) => r,
            Err(e) => return Ok(Err(e.to_string())),
        };
        let t0 = Instant::now();
        let request = match (a.table, a.bit) {
            (Table::Coil, _) => Request::WriteCoil {
                address: a.offset,
                on: regs[0] != 0,
            },
            (Table::HoldingRegister, Some(bit)) => {
                // Read-modify-write of one bit (FC 3 + FC 6): FC 22 is not supported by every device.
                let current = match self.read(wire, link, &block).await? {
                    Ok(w) => w[0],
                    Err(e) => return Ok(Err(format!("could not read the register to change bit {bit}: {e:?}"))),
                };
                let new = if regs[0] != 0 {
                    current | (1 << bit)
                } else {
                    current & !(1 << bit)
                };
                Request::WriteRegister {
                    address: a.offset,
                    value: new,
                }
            }
            (Table::HoldingRegister, None) if regs.len() == 1 => Request::WriteRegister {
                address: a.offset,
                value: regs[0],
            },
            (Table::HoldingRegister, None) => Request::WriteRegisters {
                address: a.offset,
                values: regs.clone(),
            },
            (Table::InputRegister | Table::DiscreteInput, _) => return Ok(Err("input tables are read-only".into())),
        };
        let written = self.exchange(wire, link, unit, &request).await;
        link.stats.record_request(t0.elapsed());
        match written {
            Err(Failure::Timeout) => {
                link.stats.record_error();
                return Err(format!(
                    "no answer within {} ms writing {a}",
                    self.cfg.timeout.as_millis()
                ));
            }
            Err(Failure::Transport(e)) => {
                link.stats.record_error();
                return Err(format!("transport error writing {a}: {e}"));
            }
            Ok(Err(exc)) => {
                link.stats.record_exception();
                return Ok(Err(format!("the device refused the write: {exc:?}")));
            }
            Ok(Ok(_)) => {}
        }
        // Confirmation: read the value back and compare in raw form (exact for every type).
        match self.read(wire, link, &block).await? {
            Ok(words) => {
                let sample = decode_item(t, &block, &words, order, Timestamp::now());
                let expected = match (a.bit, a.data_type) {
                    (Some(_), _) | (None, DataType::Bool) => {
                        codec::encode(value, DataType::Bool, order, t.scaling).ok()
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
            Err(e) => Ok(Err(format!("written, but the read-back failed: {e:?}"))),
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

/// A block as messages name it: `HoldingRegister 100..125 of unit 1`.
fn describe(b: &Block) -> String {
    format!(
        "{:?} {}..{} of unit {}",
        b.table,
        b.start,
        u32::from(b.start) + u32::from(b.count),
        b.unit
    )
}

/// The driver's connection, as `read_plan` reads through it.
struct Connection<'a> {
    driver: &'a ModbusDriver,
    wire: &'a mut Wire,
    link: &'a DriverLink,
}

impl ReadBlock for Connection<'_> {
    async fn read_block(&mut self, b: &Block) -> Result<Reply, String> {
        let answer = self.driver.read(self.wire, self.link, b).await?;
        Ok(Reply {
            answer,
            at: Timestamp::now(),
        })
    }

    async fn read_blocks(&mut self, blocks: &[Block]) -> Result<Vec<Reply>, String> {
        if let Wire::Pipelined(client) = &mut *self.wire {
            return self.driver.read_pipelined(client, self.link, blocks).await;
        }
        read_each(self, blocks).await
    }
}

/// The request that reads a block.
fn read_request(b: &Block) -> Request {
    Request::Read {
        table: b.table,
        start: b.start,
        count: b.count,
    }
}

/// Sends requests through the pipelined client. Answers it had to drop (late, duplicated, or for a
/// transaction never sent) are counted as errors: a device that sends them is not one to pipeline with.
async fn transact(client: &mut PipelinedClient<TcpStream>, link: &DriverLink, txs: &[Transaction]) -> Vec<Outcome> {
    let outcomes = client.transact(txs).await;
    let strays = client.take_strays();
    if strays > 0 {
        for _ in 0..strays {
            link.stats.record_error();
        }
        tracing::warn!(
            driver = %link.name,
            strays,
            "dropped answers whose transaction id was not in flight (late, duplicated or never sent)"
        );
    }
    outcomes
}

/// A pipelined request's outcome as an exchange.
fn exchanged(o: Outcome) -> Exchange {
    match o.answer {
        Ok(answer) => Ok(answer),
        Err(PipelineError::Timeout(_)) => Err(Failure::Timeout),
        Err(e) => Err(Failure::Transport(e.to_string())),
    }
}

/// Whether a smaller read may succeed where this one was refused: the device lacks an address in the
/// block (02), or the block is longer than it serves at once (03, quantity out of range). An unsupported
/// function (01) or a failing device is refused at any size: splitting would only multiply the requests.
fn smaller_read_may_succeed(e: ExceptionCode) -> bool {
    matches!(e, ExceptionCode::IllegalDataAddress | ExceptionCode::IllegalDataValue)
}

/// Reads every block of a plan (together, where the connection pipelines). A merged block the device
/// refuses as asked is then read in pieces instead (`read_isolating`) and the pieces replace it in
/// `blocks`, so later scans neither ask for it again nor lose its good tags. Returns one reply per block of
/// the plan as it now stands, and the splits made.
async fn read_plan(
    reader: &mut impl ReadBlock,
    blocks: &mut Vec<Block>,
    addrs: &[ModbusAddress],
) -> Result<(Vec<Reply>, Vec<Split>), String> {
    let replies = reader.read_blocks(blocks).await?;
    // The halves of a block the device refused as asked, where it has more than one item to split.
    let halves = |b: &Block, r: &Reply| match &r.answer {
        Err(e) if smaller_read_may_succeed(*e) && !b.isolated => bisect(b, addrs),
        _ => None,
    };
    if !blocks.iter().zip(&replies).any(|(b, r)| halves(b, r).is_some()) {
        return Ok((replies, Vec::new()));
    }
    // A refusal: rebuild the plan with the refused blocks' pieces in their place.
    let mut rebuilt = Vec::with_capacity(blocks.len());
    let mut all = Vec::with_capacity(replies.len());
    let mut splits = Vec::new();
    for (b, reply) in blocks.iter().zip(replies) {
        let Some((left, right)) = halves(b, &reply) else {
            rebuilt.push(b.clone());
            all.push(reply);
            continue;
        };
        let pieces = read_isolating(reader, vec![right, left], addrs).await?;
        let refused = pieces
            .iter()
            .filter(|(_, r)| r.answer.is_err())
            .flat_map(|(b, _)| b.items.iter().copied())
            .collect();
        splits.push(Split {
            planned: b.clone(),
            reads: pieces.len(),
            refused,
        });
        for (piece, r) in pieces {
            rebuilt.push(piece);
            all.push(r);
        }
    }
    *blocks = rebuilt;
    Ok((all, splits))
}

/// Reads the pieces of a refused block (`todo`, a stack: next read on top), halving again each piece the
/// device refuses as asked, down to single items, so a register the device lacks spoils only the tags
/// that read it. Returns the pieces as finally read, in address order, each with its reply.
async fn read_isolating(
    reader: &mut impl ReadBlock,
    mut todo: Vec<Block>,
    addrs: &[ModbusAddress],
) -> Result<Vec<(Block, Reply)>, String> {
    let mut read: Vec<(Block, Reply)> = Vec::new();
    while let Some(b) = todo.pop() {
        let reply = reader.read_block(&b).await?;
        let refusal = match &reply.answer {
            Err(e) if smaller_read_may_succeed(*e) => Some(*e),
            _ => None,
        };
        match refusal {
            Some(e) => match bisect(&b, addrs) {
                Some((left, right)) => {
                    // Left on top: pieces come out in address order.
                    todo.push(right);
                    todo.push(left);
                }
                None => join_refusal(&mut read, b, reply, e),
            },
            None => read.push((b, reply)),
        }
    }
    Ok(read)
}

/// Adds a refused single item to the pieces read, joined to a refusal of the same kind just before it: a
/// block holding a refused item is refused as a whole, so a run of them costs one request a scan, not one
/// each. The joined block is `isolated`: its refusal is each item's answer, not a reason to split again.
fn join_refusal(read: &mut Vec<(Block, Reply)>, b: Block, reply: Reply, e: ExceptionCode) {
    if let Some((last, last_reply)) = read.last_mut()
        && last_reply.answer.as_ref().err() == Some(&e)
    {
        let end = (u32::from(last.start) + u32::from(last.count)).max(u32::from(b.start) + u32::from(b.count));
        // Both lie inside the refused block, which spans at most 2000 items.
        last.count = (end - u32::from(last.start)) as u16;
        last.items.extend(b.items);
        last.isolated = true;
        return;
    }
    read.push((b, reply));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A device with holes in its register map: a read touching one is refused with exception 02, a read
    /// longer than `max_count` with 03. Every register holds its own address.
    struct GappyDevice {
        missing: Vec<u16>,
        max_count: u16,
        /// Answers every read with this exception instead.
        refuse_all: Option<ExceptionCode>,
        /// (start, count) of every read, in order.
        reads: Vec<(u16, u16)>,
    }

    impl ReadBlock for GappyDevice {
        async fn read_block(&mut self, b: &Block) -> Result<Reply, String> {
            self.reads.push((b.start, b.count));
            let end = b.start + b.count;
            let answer = if let Some(e) = self.refuse_all {
                Err(e)
            } else if b.count > self.max_count {
                Err(ExceptionCode::IllegalDataValue)
            } else if self.missing.iter().any(|r| (b.start..end).contains(r)) {
                Err(ExceptionCode::IllegalDataAddress)
            } else {
                Ok((b.start..end).collect())
            };
            Ok(Reply {
                answer,
                at: Timestamp::ZERO,
            })
        }
    }

    fn device(missing: &[u16]) -> GappyDevice {
        GappyDevice {
            missing: missing.to_vec(),
            max_count: 125,
            refuse_all: None,
            reads: Vec::new(),
        }
    }

    fn addrs(list: &[&str]) -> Vec<ModbusAddress> {
        list.iter().map(|s| s.parse().unwrap()).collect()
    }

    /// One scan: what each item got (its first register, which holds its address, or the exception),
    /// and the splits made.
    fn scan(
        dev: &mut impl ReadBlock,
        blocks: &mut Vec<Block>,
        items: &[ModbusAddress],
    ) -> (Vec<Result<u16, ExceptionCode>>, Vec<Split>) {
        let (replies, splits) = pollster::block_on(read_plan(dev, blocks, items)).unwrap();
        assert_eq!(replies.len(), blocks.len(), "one reply per block of the plan");
        let mut got: Vec<Result<u16, ExceptionCode>> = vec![Ok(u16::MAX); items.len()];
        for (b, r) in blocks.iter().zip(&replies) {
            for &i in &b.items {
                got[i] = match &r.answer {
                    Ok(w) => Ok(w[usize::from(items[i].offset - b.start)]),
                    Err(e) => Err(*e),
                };
            }
        }
        (got, splits)
    }

    const REFUSED: Result<u16, ExceptionCode> = Err(ExceptionCode::IllegalDataAddress);

    #[test]
    fn one_missing_register_spoils_only_its_own_tag_and_the_split_is_remembered() {
        // Seven f32 setpoints in one read of hr 2000..2014; the device has no register 2008.
        let items = addrs(&[
            "hr:2000:f32",
            "hr:2002:f32",
            "hr:2004:f32",
            "hr:2006:f32",
            "hr:2008:f32",
            "hr:2010:f32:cdab",
            "hr:2012:f32",
        ]);
        let mut blocks = plan(&items, 1, 8);
        assert_eq!(blocks.len(), 1);
        let mut dev = device(&[2008]);
        let good_but_2008 = [Ok(2000), Ok(2002), Ok(2004), Ok(2006), REFUSED, Ok(2010), Ok(2012)];

        let (got, splits) = scan(&mut dev, &mut blocks, &items);
        assert_eq!(got, good_but_2008);
        assert_eq!(splits.len(), 1);
        assert_eq!((splits[0].planned.start, splits[0].planned.count), (2000, 14));
        assert_eq!(splits[0].reads, 4);
        assert_eq!(splits[0].refused, [4]);
        assert_eq!(
            dev.reads,
            [
                (2000, 14),
                (2000, 6),
                (2006, 8),
                (2006, 4),
                (2006, 2),
                (2008, 2),
                (2010, 4)
            ],
            "the refused block, then halves of what is still refused"
        );

        // The next scan reads the pieces straight away: no refused block, no new split.
        dev.reads.clear();
        let (got, splits) = scan(&mut dev, &mut blocks, &items);
        assert_eq!(got, good_but_2008);
        assert!(splits.is_empty());
        assert_eq!(dev.reads, [(2000, 6), (2006, 2), (2008, 2), (2010, 4)]);
    }

    #[test]
    fn a_missing_register_in_a_bridged_gap_spoils_nothing() {
        let items = addrs(&["hr:0", "hr:5"]);
        let mut blocks = plan(&items, 1, 8);
        let mut dev = device(&[2]);
        let (got, splits) = scan(&mut dev, &mut blocks, &items);
        assert_eq!(got, [Ok(0), Ok(5)]);
        assert_eq!((splits.len(), splits[0].refused.len()), (1, 0));
        assert_eq!(dev.reads, [(0, 6), (0, 1), (5, 1)]);
    }

    #[test]
    fn a_run_of_missing_registers_is_read_as_one_refused_block() {
        let items = addrs(&["hr:0", "hr:1", "hr:10", "hr:11", "hr:12", "hr:13"]);
        let mut blocks = plan(&items, 1, 8);
        let mut dev = device(&[10, 11, 12, 13]);
        let expected = [Ok(0), Ok(1), REFUSED, REFUSED, REFUSED, REFUSED];
        let (got, splits) = scan(&mut dev, &mut blocks, &items);
        assert_eq!(got, expected);
        assert_eq!(splits[0].refused, [2, 3, 4, 5]);
        let isolated: Vec<(u16, u16, bool)> = blocks.iter().map(|b| (b.start, b.count, b.isolated)).collect();
        assert_eq!(isolated, [(0, 1, false), (1, 1, false), (10, 4, true)]);

        // One request a scan for the refused run, and it is not split again.
        dev.reads.clear();
        let (got, splits) = scan(&mut dev, &mut blocks, &items);
        assert_eq!(got, expected);
        assert!(splits.is_empty());
        assert_eq!(dev.reads, [(0, 1), (1, 1), (10, 4)]);
    }

    #[test]
    fn a_block_longer_than_the_device_serves_is_halved() {
        let items: Vec<ModbusAddress> = (0..20).map(|i| format!("ir:{i}").parse().unwrap()).collect();
        let mut blocks = plan(&items, 1, 0);
        let mut dev = GappyDevice {
            max_count: 10,
            ..device(&[])
        };
        let (got, _) = scan(&mut dev, &mut blocks, &items);
        assert!(got.iter().enumerate().all(|(i, g)| *g == Ok(i as u16)), "{got:?}");
        dev.reads.clear();
        scan(&mut dev, &mut blocks, &items);
        assert_eq!(dev.reads, [(0, 10), (10, 10)]);
    }

    /// A device behind a pipelining connection: how many blocks each read asks for at once.
    struct Pipelining {
        device: GappyDevice,
        batches: Vec<usize>,
    }

    impl ReadBlock for Pipelining {
        async fn read_block(&mut self, b: &Block) -> Result<Reply, String> {
            self.batches.push(1);
            self.device.read_block(b).await
        }

        async fn read_blocks(&mut self, blocks: &[Block]) -> Result<Vec<Reply>, String> {
            self.batches.push(blocks.len());
            read_each(&mut self.device, blocks).await
        }
    }

    #[test]
    fn a_pipelined_scan_asks_for_every_block_at_once_and_splits_a_refusal_after() {
        let items = addrs(&["hr:0", "hr:1", "hr:100", "hr:102", "hr:200"]);
        let mut blocks = plan(&items, 1, 8);
        assert_eq!(blocks.len(), 3);
        let mut dev = Pipelining {
            device: device(&[102]),
            batches: Vec::new(),
        };
        let expected = [Ok(0), Ok(1), Ok(100), REFUSED, Ok(200)];
        let (got, splits) = scan(&mut dev, &mut blocks, &items);
        assert_eq!(got, expected);
        assert_eq!(splits.len(), 1);
        assert_eq!(splits[0].refused, [3]);
        assert_eq!(
            dev.batches,
            [3, 1, 1],
            "the plan together, then the refused block's pieces"
        );
        assert_eq!(dev.device.reads, [(0, 2), (100, 3), (200, 1), (100, 1), (102, 1)]);

        dev.batches.clear();
        let (got, splits) = scan(&mut dev, &mut blocks, &items);
        assert_eq!(got, expected);
        assert!(splits.is_empty());
        assert_eq!(dev.batches, [4], "the pieces are part of the plan now");
    }

    #[test]
    fn an_unsupported_function_is_not_split() {
        let items = addrs(&["ir:0", "ir:1", "ir:2"]);
        let mut blocks = plan(&items, 1, 0);
        let mut dev = GappyDevice {
            refuse_all: Some(ExceptionCode::IllegalFunction),
            ..device(&[])
        };
        let (got, splits) = scan(&mut dev, &mut blocks, &items);
        assert_eq!(got, [Err(ExceptionCode::IllegalFunction); 3]);
        assert!(splits.is_empty());
        assert_eq!(dev.reads, [(0, 3)]);
        assert_eq!(
            exception_quality(ExceptionCode::IllegalFunction),
            Quality::Bad(BadReason::ConfigError)
        );
    }
}
