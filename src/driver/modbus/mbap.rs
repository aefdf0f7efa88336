//! Modbus TCP frames (MBAP header + PDU) for the pipelined client: requests encoded, answers split off the
//! byte stream and decoded. Pure functions, no I/O (`pipeline` owns the socket), tested byte by byte.
//!
//! A frame is: transaction id (u16), protocol id (0), length (u16: the bytes that follow, unit id and
//! PDU), unit id, PDU (Modbus Messaging on TCP/IP Implementation Guide v1.0b, §3.1.3). Answers are matched
//! to requests by transaction id alone, so they may come in any order.
//!
//! Invariants: a length field outside 2..=254 (a unit id and a PDU of 1 to 253 bytes; no frame is longer
//! than 260 bytes) or a protocol id other than 0 means the stream is no longer Modbus framed. Nothing after
//! it can be trusted, so `next_frame` reports it as an error for the whole connection, never as one bad
//! answer; it also means a receive buffer never has to hold more than one frame to find where it ends.
//! Only what the driver sends is known: reads of the four tables (FC 1–4) and writes FC 5, 6 and 16.

use super::address::Table;
use tokio_modbus::ExceptionCode;

/// Transaction id, protocol id, length, unit id.
pub const HEADER_LEN: usize = 7;
/// The longest frame Modbus TCP allows: the header and a PDU of at most 253 bytes.
pub const MAX_FRAME_LEN: usize = 260;
/// Length field bounds: the unit id and a PDU of 1 (a function code) to 253 bytes.
const MIN_LENGTH: u16 = 2;
const MAX_LENGTH: u16 = (MAX_FRAME_LEN - 6) as u16;
/// FC 16 carries at most 123 registers (application protocol v1.1b3, §6.12).
const MAX_WRITE_REGISTERS: usize = 123;
/// Set in an answer's function code when the device answers with an exception.
const EXCEPTION_BIT: u8 = 0x80;

/// One request, as the driver sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// FC 1 (coils), 2 (discrete inputs), 3 (holding registers), 4 (input registers).
    Read { table: Table, start: u16, count: u16 },
    /// FC 5.
    WriteCoil { address: u16, on: bool },
    /// FC 6.
    WriteRegister { address: u16, value: u16 },
    /// FC 16.
    WriteRegisters { address: u16, values: Vec<u16> },
}

impl Request {
    pub fn function(&self) -> u8 {
        match self {
            Request::Read { table: Table::Coil, .. } => 1,
            Request::Read {
                table: Table::DiscreteInput,
                ..
            } => 2,
            Request::Read {
                table: Table::HoldingRegister,
                ..
            } => 3,
            Request::Read {
                table: Table::InputRegister,
                ..
            } => 4,
            Request::WriteCoil { .. } => 5,
            Request::WriteRegister { .. } => 6,
            Request::WriteRegisters { .. } => 16,
        }
    }
}

/// A device's answer that is not an exception.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    /// Registers, or bits as 0/1: exactly the items asked for.
    Items(Vec<u16>),
    /// The device echoed the write as sent.
    Written,
}

/// The header of a complete frame at the front of a buffer, and how long the frame is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame {
    pub tid: u16,
    pub unit: u8,
    /// Header and PDU: the PDU is `buf[HEADER_LEN..len]`.
    pub len: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MbapError {
    #[error(
        "an answer's length field says {0} bytes, which no Modbus TCP frame has (2 to 254): the stream is no longer framed"
    )]
    BadLength(u16),
    #[error("an answer's protocol id is {0}, not Modbus (0): the stream is no longer framed")]
    BadProtocol(u16),
    #[error("cannot ask for {count} items in one request (1 to {max})")]
    BadCount { count: usize, max: usize },
    #[error("answer with function code {got} to a request with function code {sent}")]
    WrongFunction { sent: u8, got: u8 },
    #[error("answer from unit {got} to a request for unit {sent}")]
    WrongUnit { sent: u8, got: u8 },
    #[error("malformed answer to function code {function}: {why}")]
    Malformed { function: u8, why: String },
}

/// Appends one request's frame to `out`. Err (nothing appended): a count Modbus cannot carry.
pub fn encode(tid: u16, unit: u8, req: &Request, out: &mut Vec<u8>) -> Result<(), MbapError> {
    let pdu_len = match req {
        Request::Read { table, count, .. } => {
            let max = table.max_read();
            if *count == 0 || *count > max {
                return Err(MbapError::BadCount {
                    count: usize::from(*count),
                    max: usize::from(max),
                });
            }
            5
        }
        Request::WriteCoil { .. } | Request::WriteRegister { .. } => 5,
        Request::WriteRegisters { values, .. } => {
            if values.is_empty() || values.len() > MAX_WRITE_REGISTERS {
                return Err(MbapError::BadCount {
                    count: values.len(),
                    max: MAX_WRITE_REGISTERS,
                });
            }
            6 + 2 * values.len()
        }
    };
    // At most 6 + 2·123 = 252 PDU bytes: the length always fits.
    let length = (pdu_len + 1) as u16;
    out.extend_from_slice(&tid.to_be_bytes());
    out.extend_from_slice(&0u16.to_be_bytes());
    out.extend_from_slice(&length.to_be_bytes());
    out.push(unit);
    out.push(req.function());
    match req {
        Request::Read { start, count, .. } => put_words(out, &[*start, *count]),
        Request::WriteCoil { address, on } => put_words(out, &[*address, if *on { 0xFF00 } else { 0x0000 }]),
        Request::WriteRegister { address, value } => put_words(out, &[*address, *value]),
        Request::WriteRegisters { address, values } => {
            put_words(out, &[*address, values.len() as u16]);
            out.push((2 * values.len()) as u8);
            put_words(out, values);
        }
    }
    Ok(())
}

fn put_words(out: &mut Vec<u8>, words: &[u16]) {
    out.extend(words.iter().flat_map(|w| w.to_be_bytes()));
}

/// The frame at the front of `buf` once all of it has arrived (`Ok(None)` until then). Err: the stream is
/// no longer Modbus framed (see the module's invariants), found as soon as the length field is in.
pub fn next_frame(buf: &[u8]) -> Result<Option<Frame>, MbapError> {
    let Some(head) = buf.get(..6) else {
        return Ok(None);
    };
    let protocol = u16::from_be_bytes([head[2], head[3]]);
    if protocol != 0 {
        return Err(MbapError::BadProtocol(protocol));
    }
    let length = u16::from_be_bytes([head[4], head[5]]);
    if !(MIN_LENGTH..=MAX_LENGTH).contains(&length) {
        return Err(MbapError::BadLength(length));
    }
    let len = 6 + usize::from(length);
    if buf.len() < len {
        return Ok(None);
    }
    Ok(Some(Frame {
        tid: u16::from_be_bytes([head[0], head[1]]),
        unit: buf[6],
        len,
    }))
}

/// What an answer's PDU says about `req`: the items read or the write's echo, or the device's exception.
/// Err: the PDU does not answer `req` (another function, a wrong byte count, an echo that differs).
pub fn decode_answer(req: &Request, pdu: &[u8]) -> Result<Result<Response, ExceptionCode>, MbapError> {
    let sent = req.function();
    let malformed = |why: String| MbapError::Malformed { function: sent, why };
    let Some((&function, body)) = pdu.split_first() else {
        return Err(malformed("the answer is empty".into()));
    };
    if function == sent | EXCEPTION_BIT {
        return match body {
            [code] => Ok(Err(ExceptionCode::new(*code))),
            _ => Err(malformed(format!(
                "an exception carries one byte, this one {}",
                body.len()
            ))),
        };
    }
    if function != sent {
        return Err(MbapError::WrongFunction { sent, got: function });
    }
    let echo = |expected: [u16; 2]| {
        let want: Vec<u8> = expected.iter().flat_map(|w| w.to_be_bytes()).collect();
        if body == want.as_slice() {
            Ok(Ok(Response::Written))
        } else {
            Err(malformed(format!(
                "the echo {body:02x?} differs from the request {want:02x?}"
            )))
        }
    };
    match req {
        Request::Read { table, count, .. } => {
            let n = usize::from(*count);
            let expected = if table.is_bits() { n.div_ceil(8) } else { 2 * n };
            let Some((&byte_count, data)) = body.split_first() else {
                return Err(malformed("no byte count".into()));
            };
            if usize::from(byte_count) != expected || data.len() != expected {
                return Err(malformed(format!(
                    "{} data bytes (byte count {byte_count}) for {n} items, expected {expected}",
                    data.len()
                )));
            }
            let items: Vec<u16> = if table.is_bits() {
                // Bit i is bit (i mod 8) of byte i / 8, least significant first (§6.1).
                (0..n).map(|i| u16::from((data[i / 8] >> (i % 8)) & 1)).collect()
            } else {
                data.chunks_exact(2).map(|w| u16::from_be_bytes([w[0], w[1]])).collect()
            };
            Ok(Ok(Response::Items(items)))
        }
        Request::WriteCoil { address, on } => echo([*address, if *on { 0xFF00 } else { 0x0000 }]),
        Request::WriteRegister { address, value } => echo([*address, *value]),
        Request::WriteRegisters { address, values } => echo([*address, values.len() as u16]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn frame(req: &Request) -> Vec<u8> {
        let mut out = Vec::new();
        encode(0x1234, 7, req, &mut out).unwrap();
        out
    }

    #[test]
    fn requests_are_encoded_byte_by_byte() {
        let read = Request::Read {
            table: Table::HoldingRegister,
            start: 0x0100,
            count: 10,
        };
        assert_eq!(frame(&read), [0x12, 0x34, 0, 0, 0, 6, 7, 3, 0x01, 0x00, 0, 10]);
        let coils = Request::Read {
            table: Table::Coil,
            start: 5,
            count: 2000,
        };
        assert_eq!(frame(&coils)[7..], [1, 0, 5, 0x07, 0xD0]);
        let di = Request::Read {
            table: Table::DiscreteInput,
            start: 0,
            count: 1,
        };
        assert_eq!(frame(&di)[7], 2);
        let ir = Request::Read {
            table: Table::InputRegister,
            start: 0,
            count: 125,
        };
        assert_eq!(frame(&ir)[7], 4);
        assert_eq!(
            frame(&Request::WriteCoil { address: 9, on: true }),
            [0x12, 0x34, 0, 0, 0, 6, 7, 5, 0, 9, 0xFF, 0x00]
        );
        assert_eq!(frame(&Request::WriteCoil { address: 9, on: false })[8..], [0, 9, 0, 0]);
        assert_eq!(
            frame(&Request::WriteRegister {
                address: 40,
                value: 0xBEEF
            })[7..],
            [6, 0, 40, 0xBE, 0xEF]
        );
        assert_eq!(
            frame(&Request::WriteRegisters {
                address: 2000,
                values: vec![0x4270, 0x0000]
            }),
            [0x12, 0x34, 0, 0, 0, 11, 7, 16, 0x07, 0xD0, 0, 2, 4, 0x42, 0x70, 0, 0]
        );
    }

    #[test]
    fn counts_modbus_cannot_carry_are_refused_before_sending() {
        let mut out = Vec::new();
        for (table, count) in [
            (Table::HoldingRegister, 0),
            (Table::InputRegister, 126),
            (Table::Coil, 2001),
        ] {
            let r = Request::Read { table, start: 0, count };
            assert!(matches!(encode(1, 1, &r, &mut out), Err(MbapError::BadCount { .. })));
        }
        let long = Request::WriteRegisters {
            address: 0,
            values: vec![0; 124],
        };
        assert!(matches!(encode(1, 1, &long, &mut out), Err(MbapError::BadCount { .. })));
        assert!(out.is_empty(), "nothing half-written");
    }

    #[test]
    fn frames_are_found_only_when_complete_and_garbage_ends_the_stream() {
        let answer = [0x00, 0x05, 0, 0, 0, 5, 1, 3, 2, 0x12, 0x34, /* next frame */ 0x00];
        for cut in 0..11 {
            assert_eq!(next_frame(&answer[..cut]), Ok(None), "{cut} bytes");
        }
        assert_eq!(
            next_frame(&answer),
            Ok(Some(Frame {
                tid: 5,
                unit: 1,
                len: 11
            }))
        );
        assert_eq!(next_frame(&[0, 1, 0, 1, 0, 5]), Err(MbapError::BadProtocol(1)));
        for length in [0u16, 1, 255, 261, 0xFFFF] {
            let [hi, lo] = length.to_be_bytes();
            assert_eq!(next_frame(&[0, 1, 0, 0, hi, lo]), Err(MbapError::BadLength(length)));
        }
        // The longest legal frame: 254 after the length field.
        let mut longest = vec![0, 1, 0, 0, 0, 254];
        longest.resize(MAX_FRAME_LEN, 0);
        assert_eq!(next_frame(&longest).unwrap().unwrap().len, MAX_FRAME_LEN);
        assert_eq!(next_frame(&longest[..MAX_FRAME_LEN - 1]), Ok(None));
    }

    #[test]
    fn answers_are_decoded_and_checked_against_their_request() {
        let hr = Request::Read {
            table: Table::HoldingRegister,
            start: 0,
            count: 2,
        };
        assert_eq!(
            decode_answer(&hr, &[3, 4, 0x12, 0x34, 0xAB, 0xCD]),
            Ok(Ok(Response::Items(vec![0x1234, 0xABCD])))
        );
        assert_eq!(
            decode_answer(&hr, &[0x83, 2]),
            Ok(Err(ExceptionCode::IllegalDataAddress))
        );
        assert_eq!(
            decode_answer(&hr, &[0x83, 0x0B]),
            Ok(Err(ExceptionCode::GatewayTargetDevice))
        );
        assert!(matches!(decode_answer(&hr, &[0x83]), Err(MbapError::Malformed { .. })));
        assert_eq!(
            decode_answer(&hr, &[4, 4, 0, 0, 0, 0]),
            Err(MbapError::WrongFunction { sent: 3, got: 4 })
        );
        assert_eq!(
            decode_answer(&hr, &[0x84, 2]),
            Err(MbapError::WrongFunction { sent: 3, got: 0x84 })
        );
        let shorts: [&[u8]; 4] = [&[3], &[3, 2, 0, 1], &[3, 4, 0, 1, 0], &[3, 3, 0, 1, 0]];
        for short in shorts {
            assert!(
                matches!(decode_answer(&hr, short), Err(MbapError::Malformed { .. })),
                "{short:?}"
            );
        }

        // Ten coils: bits least significant first, exactly ten items.
        let coils = Request::Read {
            table: Table::Coil,
            start: 0,
            count: 10,
        };
        assert_eq!(
            decode_answer(&coils, &[1, 2, 0b1000_0101, 0b0000_0010]),
            Ok(Ok(Response::Items(vec![1, 0, 1, 0, 0, 0, 0, 1, 0, 1])))
        );
        assert!(decode_answer(&coils, &[1, 1, 0xFF]).is_err());

        let write = Request::WriteRegisters {
            address: 2000,
            values: vec![1, 2],
        };
        assert_eq!(
            decode_answer(&write, &[16, 0x07, 0xD0, 0, 2]),
            Ok(Ok(Response::Written))
        );
        assert!(
            decode_answer(&write, &[16, 0x07, 0xD0, 0, 1]).is_err(),
            "wrong count echoed"
        );
        let coil = Request::WriteCoil { address: 3, on: true };
        assert_eq!(decode_answer(&coil, &[5, 0, 3, 0xFF, 0]), Ok(Ok(Response::Written)));
        assert!(decode_answer(&coil, &[5, 0, 3, 0, 0]).is_err(), "the coil echoed off");
        assert_eq!(
            decode_answer(&coil, &[0x85, 4]),
            Ok(Err(ExceptionCode::ServerDeviceFailure))
        );
    }

    proptest! {
        #[test]
        fn garbage_never_panics_and_never_frames_past_the_limit(buf in proptest::collection::vec(any::<u8>(), 0..300)) {
            if let Ok(Some(f)) = next_frame(&buf) {
                prop_assert!(f.len <= MAX_FRAME_LEN && f.len <= buf.len() && f.len > HEADER_LEN);
                let _ = decode_answer(&Request::Read { table: Table::Coil, start: 0, count: 13 }, &buf[HEADER_LEN..f.len]);
                let _ = decode_answer(&Request::WriteRegister { address: 1, value: 2 }, &buf[HEADER_LEN..f.len]);
            }
        }

        #[test]
        fn register_reads_round_trip(regs in proptest::collection::vec(any::<u16>(), 1..=125), start: u16) {
            let req = Request::Read { table: Table::InputRegister, start, count: regs.len() as u16 };
            let mut pdu = vec![4, (2 * regs.len()) as u8];
            pdu.extend(regs.iter().flat_map(|r| r.to_be_bytes()));
            prop_assert_eq!(decode_answer(&req, &pdu), Ok(Ok(Response::Items(regs))));
        }
    }
}
