//! Production engineering on live data (issue 21): well tests on the test separator, each well's inflow
//! curve from its approved tests, decline of its rates and its ESP's performance on the pump curve.
//!
//! Rooms inside: `config` (what site.toml says of the separator, the producing wells and the pump
//! catalogue), `model` (a well test and its approval), `welltest` (the pure test runner: purge,
//! stabilization, averages), `store` (production.db), `command` (people's acts on a test, role-checked and
//! audited), `export` (a test's certificate written to a file: its context, who may, where; shared by the
//! writer and the command line), `writer` (the thread that owns the store), `view` (what the UI reads),
//! `service` (the hub's `Deriver`: test and ESP tags), `perf` (a well's inflow curve, live point and
//! summary), `field` (the field table's rows), `decline` (a well's daily rates and their Arps fit, on a
//! worker thread). The engineering numbers come from `crate::calc`; nothing here draws on screen.

pub mod certificate;
mod certificate_series;
pub mod command;
pub use crate::project::production_config as config;
pub mod decline;
pub mod export;
pub mod field;
pub mod model;
pub mod perf;
pub mod service;
pub mod store;

pub mod view;
pub mod welltest;
pub mod writer;

pub use view::{ProductionView, ProductionViewCell};
pub use writer::{ProductionPort, ProductionWriter};
