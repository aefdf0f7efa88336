//! wellconsole: a native HMI/SCADA operator console for oil & gas wells.
//!
//! Data flows one way (DESIGN.md): driver → channel → hub → tag table / subscribers → UI snapshot.
//! Rooms, each understandable from the rooms below it (roughly bottom to top):
//! - `lang` (English and Spanish words and texts; imports no room), `calc` (engineering calculations),
//!   `records` (opening the record databases);
//! - `tag` (the data model: values, quality, time, tag definitions with how each is historized, the table);
//! - `units` (display units and conversions), `locale` (a console's language and units: values shown and
//!   typed), `auth` (roles, users, audit trail), `expr` (the expression language: comparisons, conditions
//!   and calculated tags' expressions), `report` (printed documents' paper: A4 pages, fonts, tables, charts
//!   and the PDF, shared by the job ticket and the production test certificate);
//! - `sim` (the demo plant models), `driver` (protocols and the simulator driver), `serve` (the demo plant
//!   served to other programs);
//! - `hub` (the scan loop and the traits services plug in by), `historian` (SQLite history), `alarm`
//!   (ISA-18.2 alarm management), `trip` (trips and E-stops), `calculated` (calculated tags, derived on the
//!   hub), `ctstring` (coiled-tubing strings: fatigue per cell, running feet and cuts, live from depth
//!   samples), `screen` (P&ID screen and symbol definitions);
//! - `project` (loading, checking and hot-reloading project files into those rooms' definitions);
//! - `runtime` (wiring a project into running threads: the only room that knows every service),
//!   `headless` (running without a UI), `ui` (egui), `cli` (the command line), `calc_cli` (`wellconsole
//!   calc`: the calc room's functions on JSON), `job_cli` (`wellconsole job`: the office's side of the CT
//!   job records) and `production_cli` (`wellconsole production`: the office's side of the well tests).

pub mod alarm;
pub mod api;
pub mod auth;
pub mod calc;
pub mod calc_cli;
pub mod calculated;
pub mod cli;
pub mod ctstring;
pub mod driver;
pub mod editor;
pub mod expr;
pub mod forward;
pub mod headless;
pub mod historian;
pub mod hub;
pub mod job;
pub mod job_cli;
pub mod lang;
pub mod locale;
pub mod production;
pub mod production_cli;
pub mod project;
pub mod records;
pub mod report;
pub mod runtime;
pub mod screen;
pub mod serve;
pub mod share;
pub mod sim;
pub mod tag;
pub mod trip;
pub mod ui;
pub mod units;
