//! The job ticket: what a finished job's ticket says (`TicketContent`, frozen at issue and hashed with
//! SHA-256 for the signatures), where that comes from (`gather`: the job store, the historian, the alarm
//! journal and the audit trail's trips), and the PDF the console makes of it (`render_pdf`), in English or
//! Spanish, oilfield or SI units.
//!
//! Owns the ticket's content and its drawing (`pdf`, `sections`, `bha_chart`); the paper, fonts, tables,
//! charts and PDF writing are `crate::report`'s, shared with the production test certificate. Reads the
//! store, history, journal and audit trail; must not write any of them, nor decide who may issue or sign
//! (that is `job::command`).

mod bha_chart;
mod gather;
mod pdf;
mod sections;
#[cfg(test)]
mod tests;

use super::model::{BhaComponent, FluidStage, Job, JobError, JobStats, Npt, Operation};
use crate::tag::Timestamp;
use serde::{Deserialize, Serialize};

pub use gather::{Sources, alarm_events, gather, trip_events};
pub use pdf::render_pdf;

/// Everything a ticket prints, frozen at issue. Numbers are in the console's kept units (ft, lbf, psi,
/// bbl, bpm; scf for nitrogen stages); the PDF converts them for the reader. Its JSON's SHA-256 is what
/// people sign.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketContent {
    /// The site's name, as the header prints it.
    pub site: String,
    pub job: Job,
    pub operations: Vec<Operation>,
    pub fluids: Vec<FluidStage>,
    pub bha: Vec<BhaComponent>,
    pub npt: Vec<Npt>,
    pub stats: JobStats,
    /// Alarms annunciated and trips during the job, oldest first.
    pub events: Vec<TicketEvent>,
    /// Depth over time: (seconds since the Unix epoch, ft).
    pub depth_time: Vec<[f64; 2]>,
    /// Weight against depth: (ft, lbf), in time order (running in and pulling out show as two traces).
    pub weight_depth: Vec<[f64; 2]>,
    /// Circulating pressure against depth: (ft, psi), in time order.
    pub circ_depth: Vec<[f64; 2]>,
}

/// An alarm or a trip during the job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketEvent {
    pub at: Timestamp,
    /// `"alarm"` or `"trip"`.
    pub kind: String,
    /// The alarm's or the trip's name.
    pub name: String,
    /// The alarm's priority (`critical` … `diagnostic`); for a trip, `trip` or `E-STOP`.
    pub priority: String,
    /// The message in English (a trip's record says why it tripped).
    pub message: String,
    /// The message in Spanish, where the alarm has one (empty: the English one is printed).
    #[serde(default)]
    pub message_es: String,
}

/// The ticket's canonical JSON: the bytes that are stored at issue and hashed for the signatures.
pub fn content_json(c: &TicketContent) -> Result<String, JobError> {
    serde_json::to_string(c).map_err(|e| JobError::Store(format!("ticket content: {e}")))
}

/// The SHA-256 (hex) of the ticket's canonical JSON. `serde_json` cannot fail on these types (no maps,
/// every field serializable), so an encoding error is not expected; it would hash nothing rather than
/// panic, and the signatures would then not match, which is reported.
pub fn content_sha256(c: &TicketContent) -> String {
    sha256_hex(&serde_json::to_vec(c).unwrap_or_default())
}

/// SHA-256 of bytes, in lower-case hex (a stored ticket's JSON text hashes to its `content_sha256`).
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    crate::records::key::hex(&Sha256::digest(bytes))
}
