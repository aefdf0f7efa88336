//! The CT job room: jobs planned in the office and run from the cab, their operations log (detected from
//! the unit's tags), fluid stages, BHA, non-productive time and statistics, kept in `jobs.db`; and the job
//! ticket, a PDF the console makes itself and people sign.
//!
//! Must not import `ui`; the hub sees it only through its service (`service`, a `Deriver`), and people's
//! actions reach the store only through `command` (role-checked, audited) on the writer thread or the CLI.
//!
//! - `model`: the records and their checks; `workflow`: who may move a job where; `catalog`: the wells,
//!   units and reels a job may name; `stats`: a job's frozen statistics;
//! - `store`: jobs.db; `command`: people's requests, checked and audited; `writer`: the console's thread
//!   that owns the store, and `view` what it publishes; `service`: the hub service that detects the
//!   operations (`detect`) and makes the job tags; `ticket`: the job ticket's content, hash and PDF.

pub mod catalog;
pub mod command;
pub mod detect;
pub mod model;
pub mod service;
pub mod stats;
pub mod store;
pub mod ticket;
pub mod view;
pub mod workflow;
pub mod writer;

pub use service::JobService;
pub use view::{JobsView, JobsViewCell};
pub use writer::{JobMsg, JobPort, JobWriter, WriterConfig};
