//! The historian: compressed, crash-safe sample storage on SQLite, rollups, retention and the queries
//! behind trends and exports. It only reads the hub's update stream and writes its own database; it
//! never touches drivers, alarms or the UI. What it keeps of each tag comes with the tag's definition
//! (`tag::HistoryMode`, applied by `filter`). Inside, `writer` builds on `query` (replaying rollups after a
//! restart) and both on `store` (schema and the small reads they share), never the other way.

pub mod bits;
pub mod block;
pub mod codec;
pub mod decimate;
pub mod export;
pub mod filter;
pub mod forward_log;
pub mod query;
pub mod reader;
pub mod retention;
pub mod rollup;
pub mod store;
pub mod writer;
pub mod xy;

#[cfg(test)]
mod tests;

pub use query::{History, QueryError};
pub use rollup::Resolution;
pub use writer::{Historian, HistorianConfig, HistorianFeed, HistorianStats, HistoryReport, WriterTag};
