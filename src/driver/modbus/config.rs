//! Validated Modbus TCP driver settings and tag maps, built by the project loader.

use super::address::ModbusAddress;
use super::codec::{Order, Scaling};
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
    /// Index into `ModbusTcpConfig::polls`.
    pub poll: usize,
    pub writable: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ModbusTcpConfig {
    /// `host:port`.
    pub endpoint: String,
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
