//! The tag model: what a value is, how good it is, and when it was seen.
//!
//! Owns `Value`, `Quality`, `Timestamp`, `Sample`, tag definitions (with `HistoryMode`: what the historian
//! keeps of a tag is part of its definition) and the hub's current-value table. Every other room speaks in
//! these types; this room imports only `lang` (a tag's label and quality in the operator's language), never
//! the historian, the hub or anything that reads it.

mod def;
mod quality;
mod table;
mod time;
mod value;

#[cfg(test)]
pub(crate) use def::test_setpoint;
pub use def::{DriverId, HistoryMode, TagDef, TagDirectory, TagId, ValueKind};
pub use quality::{BadReason, Quality};
pub use table::{Sample, TagState, TagTable, TagUpdate};
pub use time::Timestamp;
pub use value::Value;
