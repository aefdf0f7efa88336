//! Modbus TCP driver (tokio-modbus): block reads per poll group, decoding with word/byte order and
//! scaling, writes with read-back confirmation, reconnect with capped exponential backoff and jitter.
//! Optionally (`pipeline` > 1, TCP only) several requests in flight on one connection, through a client
//! of our own (`pipeline`, with the frames in `mbap`).

pub mod address;
pub mod backoff;
pub mod codec;
pub mod config;
mod driver;
pub mod mbap;
pub mod pipeline;
pub mod plan;

pub use driver::{ModbusDriver, exception_quality};
