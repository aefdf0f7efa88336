//! The pipelined Modbus TCP client: up to `window` requests in flight on one connection, each answer matched
//! to its request by transaction id, in whatever order the answers come. tokio-modbus's client sends one
//! request and waits for its answer (it empties its read buffer before each request), so it cannot do this;
//! the driver uses this client only for TCP with `pipeline` > 1 and tokio-modbus's otherwise.
//!
//! Owns the socket and nothing else: frames and PDUs are `mbap`'s, quality and statistics the driver's.
//! Invariants:
//! - every request given to `transact` gets exactly one outcome, in the order given;
//! - a request is given up after `timeout` from when it was sent, whatever happens to the others; its answer
//!   coming later, or an answer whose transaction id is not in flight at all, is counted (`take_strays`)
//!   and dropped;
//! - a lost connection, or a byte stream that is no longer Modbus framed, fails every request in flight and
//!   every one not yet sent, and the client stays broken (the driver reconnects with a new one);
//! - the receive buffer holds at most one read (`READ_CHUNK`) and one unfinished frame.

use super::mbap::{self, HEADER_LEN, MbapError, Request, Response};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::Instant;
use tokio_modbus::ExceptionCode;

/// Bytes asked of the socket per read: several answers of 10 registers each.
const READ_CHUNK: usize = 4096;

/// One request and the unit it is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction {
    pub unit: u8,
    pub request: Request,
}

/// How one request ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Inner Err: the device's exception. Outer Err: no usable answer.
    pub answer: Result<Result<Response, ExceptionCode>, PipelineError>,
    /// From sending the request to its answer, or to giving up on it (zero if never sent).
    pub rtt: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PipelineError {
    #[error("no answer within {} ms", .0.as_millis())]
    Timeout(Duration),
    /// Shared by every request in flight or not yet sent when the connection went.
    #[error("connection lost: {0}")]
    Connection(String),
    /// This request's answer came, but does not answer it.
    #[error(transparent)]
    Answer(MbapError),
    /// The request cannot be sent at all.
    #[error(transparent)]
    Request(MbapError),
}

/// A request sent and not yet answered.
struct InFlight {
    tid: u16,
    /// Its place in the `transact` call.
    index: usize,
    sent: Instant,
}

/// What waiting for the next answer came to.
enum Received {
    Frame(mbap::Frame),
    /// The earliest deadline passed first.
    Deadline,
    Lost(String),
}

pub struct PipelinedClient<S> {
    stream: S,
    window: usize,
    timeout: Duration,
    next_tid: u16,
    /// Received bytes not yet taken as frames.
    inbox: Vec<u8>,
    /// What one read of the socket lands in, kept so a read costs no zeroing.
    scratch: Vec<u8>,
    strays: u64,
    /// Why the connection is unusable, once it is.
    broken: Option<String>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> PipelinedClient<S> {
    /// `window`: requests in flight at most (1 or more); `timeout`: per request, from when it is sent.
    pub fn new(stream: S, window: usize, timeout: Duration) -> Self {
        Self {
            stream,
            window: window.max(1),
            timeout,
            next_tid: 0,
            inbox: Vec::with_capacity(READ_CHUNK + mbap::MAX_FRAME_LEN),
            scratch: vec![0; READ_CHUNK],
            strays: 0,
            broken: None,
        }
    }

    /// Requests in flight at most.
    pub fn window(&self) -> usize {
        self.window
    }

    /// Answers dropped since the last call: late (their request timed out), duplicated, or for a
    /// transaction id never sent.
    pub fn take_strays(&mut self) -> u64 {
        std::mem::take(&mut self.strays)
    }

    /// Why the connection can no longer be used, if it cannot.
    pub fn broken(&self) -> Option<&str> {
        self.broken.as_deref()
    }

    /// Sends every request, keeping up to `window` in flight, and returns one outcome per request in the
    /// order given.
    pub async fn transact(&mut self, txs: &[Transaction]) -> Vec<Outcome> {
        let mut outcomes: Vec<Outcome> = txs
            .iter()
            .map(|_| Outcome {
                answer: Err(PipelineError::Connection("not sent".into())),
                rtt: Duration::ZERO,
            })
            .collect();
        let mut in_flight: Vec<InFlight> = Vec::with_capacity(self.window);
        let mut next = 0;
        let mut frames = Vec::new();
        loop {
            if let Some(why) = &self.broken {
                let lost = |sent: Option<Instant>| Outcome {
                    answer: Err(PipelineError::Connection(why.clone())),
                    rtt: sent.map_or(Duration::ZERO, |s| s.elapsed()),
                };
                for f in in_flight.drain(..) {
                    outcomes[f.index] = lost(Some(f.sent));
                }
                for o in &mut outcomes[next..] {
                    *o = lost(None);
                }
                break;
            }
            // Fill the window: all the frames in one write.
            frames.clear();
            let now = Instant::now();
            while in_flight.len() < self.window && next < txs.len() {
                let tid = self.next_tid;
                match mbap::encode(tid, txs[next].unit, &txs[next].request, &mut frames) {
                    Ok(()) => {
                        self.next_tid = tid.wrapping_add(1);
                        in_flight.push(InFlight {
                            tid,
                            index: next,
                            sent: now,
                        });
                    }
                    Err(e) => outcomes[next].answer = Err(PipelineError::Request(e)),
                }
                next += 1;
            }
            if !frames.is_empty() {
                // A partial write leaves the stream unframed: any failure here breaks the connection.
                match tokio::time::timeout(self.timeout, self.stream.write_all(&frames)).await {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => {
                        self.broken = Some(format!("sending failed: {e}"));
                        continue;
                    }
                    Err(_) => {
                        self.broken = Some(format!("sending blocked for {} ms", self.timeout.as_millis()));
                        continue;
                    }
                }
            }
            let Some(deadline) = in_flight.iter().map(|f| f.sent + self.timeout).min() else {
                // Nothing in flight and, with the window filled, nothing left to send.
                break;
            };
            match self.receive(deadline).await {
                Received::Frame(frame) => {
                    self.settle(frame, txs, &mut in_flight, &mut outcomes);
                    self.inbox.drain(..frame.len);
                }
                Received::Deadline => {
                    let now = Instant::now();
                    in_flight.retain(|f| {
                        let expired = now >= f.sent + self.timeout;
                        if expired {
                            outcomes[f.index] = Outcome {
                                answer: Err(PipelineError::Timeout(self.timeout)),
                                rtt: now - f.sent,
                            };
                        }
                        !expired
                    });
                }
                Received::Lost(why) => {
                    self.inbox.clear();
                    self.broken = Some(why);
                }
            }
        }
        outcomes
    }

    /// Gives the answer in `frame` (at the front of the inbox) to the request in flight with its transaction
    /// id, or counts it as a stray.
    fn settle(
        &mut self,
        frame: mbap::Frame,
        txs: &[Transaction],
        in_flight: &mut Vec<InFlight>,
        outcomes: &mut [Outcome],
    ) {
        let Some(k) = in_flight.iter().position(|f| f.tid == frame.tid) else {
            self.strays += 1;
            return;
        };
        let f = in_flight.swap_remove(k);
        let tx = &txs[f.index];
        let answer = if frame.unit == tx.unit {
            mbap::decode_answer(&tx.request, &self.inbox[HEADER_LEN..frame.len]).map_err(PipelineError::Answer)
        } else {
            Err(PipelineError::Answer(MbapError::WrongUnit {
                sent: tx.unit,
                got: frame.unit,
            }))
        };
        outcomes[f.index] = Outcome {
            answer,
            rtt: f.sent.elapsed(),
        };
    }

    /// Waits for the next complete frame, until `deadline`.
    async fn receive(&mut self, deadline: Instant) -> Received {
        loop {
            match mbap::next_frame(&self.inbox) {
                Ok(Some(frame)) => return Received::Frame(frame),
                Ok(None) => {}
                Err(e) => return Received::Lost(e.to_string()),
            }
            // `read` is cancel safe: a deadline passing here loses no bytes.
            match tokio::time::timeout_at(deadline, self.stream.read(&mut self.scratch)).await {
                Err(_) => return Received::Deadline,
                Ok(Ok(0)) => return Received::Lost("the device closed the connection".into()),
                Ok(Ok(n)) => self.inbox.extend_from_slice(&self.scratch[..n]),
                Ok(Err(e)) => return Received::Lost(format!("receiving failed: {e}")),
            }
        }
    }

    /// Closes the connection (the device sees the end of the stream).
    pub async fn close(&mut self) {
        let _ = tokio::time::timeout(self.timeout, self.stream.shutdown()).await;
        self.broken = Some("closed".into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::driver::modbus::address::Table;
    use tokio::net::{TcpListener, TcpStream};

    const TIMEOUT: Duration = Duration::from_millis(300);

    fn run<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(f)
    }

    /// A listener on 127.0.0.1 and a client connected to it, with the server's side of the connection.
    async fn connected(window: usize, timeout: Duration) -> (PipelinedClient<TcpStream>, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
        let (server, _) = listener.accept().await.unwrap();
        (PipelinedClient::new(client, window, timeout), server)
    }

    /// Reads of two holding registers at `starts`, for unit 1.
    fn reads(starts: &[u16]) -> Vec<Transaction> {
        starts
            .iter()
            .map(|&start| Transaction {
                unit: 1,
                request: Request::Read {
                    table: Table::HoldingRegister,
                    start,
                    count: 2,
                },
            })
            .collect()
    }

    /// A read request as the server sees it: (tid, start).
    async fn next_request(server: &mut TcpStream) -> (u16, u16) {
        let mut req = [0u8; 12];
        server.read_exact(&mut req).await.unwrap();
        assert_eq!(req[7], 3, "a holding register read");
        (
            u16::from_be_bytes([req[0], req[1]]),
            u16::from_be_bytes([req[8], req[9]]),
        )
    }

    /// The answer a device holding its own address in every register gives to a read of 2 at `start`.
    fn registers(tid: u16, start: u16) -> Vec<u8> {
        let mut a = vec![0, 0, 0, 0, 0, 7, 1, 3, 4];
        a[..2].copy_from_slice(&tid.to_be_bytes());
        a.extend(start.to_be_bytes());
        a.extend((start + 1).to_be_bytes());
        a
    }

    fn exception(tid: u16, code: u8) -> Vec<u8> {
        let [hi, lo] = tid.to_be_bytes();
        vec![hi, lo, 0, 0, 0, 3, 1, 0x83, code]
    }

    fn items(start: u16) -> Result<Result<Response, ExceptionCode>, PipelineError> {
        Ok(Ok(Response::Items(vec![start, start + 1])))
    }

    #[test]
    fn answers_out_of_order_are_matched_by_transaction_id() {
        run(async {
            let (mut client, mut server) = connected(4, TIMEOUT).await;
            let device = async move {
                let mut asked = Vec::new();
                for _ in 0..4 {
                    asked.push(next_request(&mut server).await);
                }
                // An answer nobody asked for, then the four last first, one of them an exception, in one write.
                let mut out = registers(999, 0);
                for &(tid, start) in asked.iter().rev() {
                    out.extend(if start == 20 {
                        exception(tid, 2)
                    } else {
                        registers(tid, start)
                    });
                }
                server.write_all(&out).await.unwrap();
                server
            };
            let asked = reads(&[0, 10, 20, 30]);
            let (outcomes, _server) = tokio::join!(client.transact(&asked), device);
            let answers: Vec<_> = outcomes.into_iter().map(|o| o.answer).collect();
            assert_eq!(
                answers,
                [
                    items(0),
                    items(10),
                    Ok(Err(ExceptionCode::IllegalDataAddress)),
                    items(30)
                ]
            );
            assert_eq!(
                client.take_strays(),
                1,
                "the answer to transaction 999 is counted and dropped"
            );
            assert_eq!(client.broken(), None);
        });
    }

    #[test]
    fn no_more_than_the_window_is_ever_in_flight() {
        run(async {
            let (mut client, mut server) = connected(2, TIMEOUT).await;
            let device = async move {
                for _ in 0..3 {
                    let a = next_request(&mut server).await;
                    let b = next_request(&mut server).await;
                    let mut more = [0u8; 1];
                    let third = tokio::time::timeout(Duration::from_millis(50), server.read(&mut more)).await;
                    assert!(third.is_err(), "a third request before an answer: {third:?}");
                    let mut out = registers(b.0, b.1);
                    out.extend(registers(a.0, a.1));
                    server.write_all(&out).await.unwrap();
                }
            };
            let starts = [0, 1, 2, 3, 4, 5];
            let asked = reads(&starts);
            let (outcomes, ()) = tokio::join!(client.transact(&asked), device);
            for (o, start) in outcomes.into_iter().zip(starts) {
                assert_eq!(o.answer, items(start));
            }
        });
    }

    #[test]
    fn a_connection_closed_mid_flight_fails_every_request_in_flight_and_after() {
        run(async {
            let (mut client, mut server) = connected(4, TIMEOUT).await;
            let device = async move {
                let first = next_request(&mut server).await;
                for _ in 0..3 {
                    next_request(&mut server).await;
                }
                // Answers the first only, then hangs up with nothing unread (a clean end of stream).
                server.write_all(&registers(first.0, first.1)).await.unwrap();
            };
            let asked = reads(&[0, 10, 20, 30]);
            let (outcomes, ()) = tokio::join!(client.transact(&asked), device);
            assert_eq!(outcomes[0].answer, items(0));
            for o in &outcomes[1..] {
                assert!(
                    matches!(&o.answer, Err(PipelineError::Connection(why)) if why.contains("closed")),
                    "{o:?}"
                );
            }
            assert!(client.broken().is_some());
            // The client stays broken: later requests fail without being sent.
            let later = client.transact(&reads(&[40, 50])).await;
            assert!(
                later
                    .iter()
                    .all(|o| matches!(o.answer, Err(PipelineError::Connection(_))) && o.rtt == Duration::ZERO)
            );
        });
    }

    #[test]
    fn an_unanswered_request_times_out_alone_and_its_late_answer_is_a_stray() {
        run(async {
            let timeout = Duration::from_millis(100);
            let (mut client, mut server) = connected(4, timeout).await;
            let device = async move {
                let slow = next_request(&mut server).await;
                let quick = next_request(&mut server).await;
                server.write_all(&registers(quick.0, quick.1)).await.unwrap();
                // Three timeouts later: the client gave up on it long ago.
                tokio::time::sleep(3 * timeout).await;
                server.write_all(&registers(slow.0, slow.1)).await.unwrap();
                let next = next_request(&mut server).await;
                server.write_all(&registers(next.0, next.1)).await.unwrap();
            };
            let client_side = async {
                let first = client.transact(&reads(&[0, 10])).await;
                assert_eq!(first[0].answer, Err(PipelineError::Timeout(timeout)));
                assert!(first[0].rtt >= timeout);
                assert_eq!(first[1].answer, items(10));
                // Asked again once the late answer is on its way, so this one is answered in time.
                tokio::time::sleep(5 * timeout).await;
                let second = client.transact(&reads(&[20])).await;
                assert_eq!(second[0].answer, items(20));
                client.take_strays()
            };
            let (strays, ()) = tokio::join!(client_side, device);
            assert_eq!(strays, 1, "the late answer to the timed-out request");
        });
    }

    #[test]
    fn a_length_field_no_modbus_frame_has_ends_the_connection() {
        run(async {
            let (mut client, mut server) = connected(2, TIMEOUT).await;
            let device = async move {
                let (tid, _) = next_request(&mut server).await;
                next_request(&mut server).await;
                let [hi, lo] = tid.to_be_bytes();
                // Length 300: no buffer grows to take it; both requests fail.
                server.write_all(&[hi, lo, 0, 0, 0x01, 0x2C, 1, 3]).await.unwrap();
                server
            };
            let asked = reads(&[0, 10]);
            let (outcomes, _server) = tokio::join!(client.transact(&asked), device);
            for o in &outcomes {
                assert!(
                    matches!(&o.answer, Err(PipelineError::Connection(why)) if why.contains("length field says 300")),
                    "{o:?}"
                );
            }
        });
    }

    #[test]
    fn writes_and_a_wrong_unit_are_checked_per_request() {
        run(async {
            let (mut client, mut server) = connected(4, TIMEOUT).await;
            let device = async move {
                let mut write = [0u8; 17];
                server.read_exact(&mut write).await.unwrap();
                let (tid, _) = next_request(&mut server).await;
                // The write echoed as FC 16 does (address, count); the read answered by unit 9.
                let mut out = vec![write[0], write[1], 0, 0, 0, 6, 1, 16];
                out.extend_from_slice(&write[8..12]);
                let mut wrong = registers(tid, 0);
                wrong[6] = 9;
                out.extend(wrong);
                server.write_all(&out).await.unwrap();
                server
            };
            let mut txs = vec![Transaction {
                unit: 1,
                request: Request::WriteRegisters {
                    address: 2000,
                    values: vec![0x4270, 0],
                },
            }];
            txs.extend(reads(&[0]));
            let (outcomes, _server) = tokio::join!(client.transact(&txs), device);
            assert_eq!(outcomes[0].answer, Ok(Ok(Response::Written)));
            assert_eq!(
                outcomes[1].answer,
                Err(PipelineError::Answer(MbapError::WrongUnit { sent: 1, got: 9 }))
            );
            assert_eq!(client.broken(), None, "one bad answer does not end the connection");
        });
    }
}
