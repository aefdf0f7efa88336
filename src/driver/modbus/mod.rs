//! Modbus TCP driver (tokio-modbus): block reads per poll group, decoding with word/byte order and
//! scaling, writes with read-back confirmation, reconnect with capped exponential backoff and jitter.

pub mod address;
pub mod backoff;
pub mod codec;
pub mod config;
mod driver;
pub mod plan;

pub use driver::{ModbusDriver, exception_quality};
