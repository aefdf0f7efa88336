//! The CT job room: jobs planned in the office and run from the cab, their operations log (detected from
//! the unit's tags), fluid stages, BHA, non-productive time and statistics, kept in `jobs.db`; and the job
//! ticket, a PDF the console makes itself and people sign.
//!
//! Must not import `ui`; the hub sees it only through its service (`service`, a `Deriver`), and people's
//! actions reach the store only through `command` (role-checked, audited) on the writer thread or the CLI.

pub mod model;
