//! wellconsole: a native HMI/SCADA operator console for oil & gas wells.
//!
//! Data flows one way (DESIGN.md): driver → channel → hub → tag table / subscribers → UI snapshot.
//! Rooms: `tag` (the data model), `driver` (protocols and the simulator driver), `hub` (the scan loop),
//! `sim` (the demo plant models), `calc` (engineering calculations), `historian` (SQLite history),
//! `alarm` (ISA-18.2 alarm management), `auth` (roles, users, audit trail), `project` (loading and
//! checking project files), `records` (opening the record databases), `screen` (P&ID screen and symbol definitions), `runtime` (wiring a project into
//! running threads) and `ui` (egui).

pub mod alarm;
pub mod auth;
pub mod calc;
pub mod cli;
pub mod driver;
pub mod headless;
pub mod historian;
pub mod hub;
pub mod lang;
pub mod project;
pub mod records;
pub mod runtime;
pub mod screen;
pub mod serve;
pub mod sim;
pub mod tag;
pub mod trip;
pub mod ui;
pub mod units;
