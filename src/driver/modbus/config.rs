//! Validated Modbus TCP driver settings and tag maps, built by the project loader.

use super::address::{ModbusAddress, Order};
use super::codec::Scaling;
use crate::tag::TagId;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq)]
pub struct PollGroup {
    pub name: String,
    pub period: Duration,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ModbusTag {
    pub tag: TagId,
    pub address: ModbusAddress,
    pub scaling: Scaling,
    /// Index into `ModbusConfig::polls`.
    pub poll: usize,
    pub writable: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parity {
    None,
    Even,
    Odd,
}

/// An RS-485/RS-232 line for Modbus RTU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerialLine {
    pub device: String,
    pub baud: u32,
    pub parity: Parity,
    pub data_bits: u8,
    pub stop_bits: u8,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transport {
    Tcp {
        /// `host:port`.
        endpoint: String,
        /// Requests in flight at once on the connection: 1 (the default) waits for each answer before the
        /// next request; more sends a poll group's reads together, matched to answers by transaction id.
        pipeline: usize,
    },
    Rtu(SerialLine),
}

impl Transport {
    /// How operators see the link: `127.0.0.1:502` (with the pipeline when it is on) or
    /// `/dev/ttyUSB0 9600 8E1`.
    pub fn describe(&self) -> String {
        match self {
            Transport::Tcp { endpoint, pipeline: 1 } => endpoint.clone(),
            Transport::Tcp { endpoint, pipeline } => format!("{endpoint}, up to {pipeline} requests in flight"),
            Transport::Rtu(l) => {
                let p = match l.parity {
                    Parity::None => 'N',
                    Parity::Even => 'E',
                    Parity::Odd => 'O',
                };
                format!("{} {} {}{p}{}", l.device, l.baud, l.data_bits, l.stop_bits)
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ModbusConfig {
    pub transport: Transport,
    pub unit_id: u8,
    /// Per request, and for connecting.
    pub timeout: Duration,
    pub order: Order,
    /// Largest gap (registers or bits) bridged when merging reads.
    pub max_gap: u16,
    pub polls: Vec<PollGroup>,
    pub backoff_min: Duration,
    pub backoff_max: Duration,
    pub tags: Vec<ModbusTag>,
}
