//! The CT string room: the live state of each coiled-tubing string on a unit — fatigue per cell along the
//! string, running feet, cuts — and the reel records, CSV import/export and SQLite persistence around it.
//!
//! Built on `calc` (the fatigue formulas, reel geometry and tubular properties are pure functions there); this
//! room holds the state those formulas act on and counts bending events from depth samples. It must not import
//! `ui` or the hub's internals beyond what a service needs to plug in (the hub's service traits and tag
//! values): the fatigue map and what-if pages read this room's types, never the other way round.
//!
//! - `layout`: the string in cells from the tip, with each cell's precomputed lives;
//! - `tracker`: bending events and Miner's-rule damage per cell from live depth and pressure;
//! - `whatif`: a planned job run through a copy of the tracker;
//! - `reel`: the reel record (`reels/<id>.toml`, parsed by `project::reels`); `csv`: strings in and out as
//!   CSV; `store`: damage, running feet and cut history in SQLite across jobs and restarts;
//! - `config`: a unit's settings (`[ct.<unit>]`); `service`: the hub service that runs it all live, with
//!   `live` (per-sample weight band, hydraulics and pipe load), `model` (the broomstick, computed in the
//!   background) and `view` (what the console's CT string page reads);
//! - `command`: people's cuts and imports, role-checked and audited, and the port that brings them from the
//!   hub to the service.

pub mod command;
pub mod config;
pub mod csv;
pub mod layout;
mod live;
mod model;
pub mod reel;
pub mod restore;
pub mod service;
pub mod store;
pub mod tracker;
pub mod view;
pub mod whatif;
mod whatif_view;

pub use service::CtStringService;
pub use view::{CtStringView, CtStringViewCell, CtStringViews};
