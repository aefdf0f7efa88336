//! MQTT driver (rumqttc): JSON payloads mapped to tags through topic filters and JSON pointers, and a
//! Sparkplug B host application (births, deaths, aliases, sequence checks, rebirth requests, STATE,
//! commands with read-back). Decoding is pure and lives apart from the connection thread, so it is
//! tested and fuzzed without a broker.

pub mod address;
pub mod config;
mod driver;
pub mod json;
pub mod sparkplug;
pub mod topic;

pub use driver::{MqttDriver, tls_client_config};
