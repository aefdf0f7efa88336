//! OPC UA client driver (async-opcua): one session per driver with security policy None or
//! Basic256Sha256 (Sign, SignAndEncrypt), anonymous, user name or X.509 identity; monitored items in
//! subscriptions (the driver's poll groups, each with its publishing and sampling interval); status
//! codes mapped to quality; writes with read-back; the browse command engineers use to find nodes; and
//! a log layer that keeps the library's normal-close warning out of the log.

pub mod browse;
pub mod config;
pub mod convert;
mod driver;
pub mod library_log;

pub use driver::{OpcUaDriver, build_client, connect_session};
