//! A well test as the runner measures it and the engineer approves or rejects it.
//!
//! Pure data and its checks: no I/O, no clock. `welltest` makes the measured part, `store` keeps the whole,
//! the IPR fit reads the approved ones, the certificate prints one.

use crate::tag::Timestamp;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Bound on what people type (a rejection's reason, a note).
pub const MAX_TEXT: usize = 500;

/// Where a test stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TestStatus {
    /// Measured, waiting for a supervisor or engineer.
    Pending,
    /// Approved: it counts for the well's IPR and the field table.
    Approved,
    /// Rejected with a reason: kept, never counted.
    Rejected,
}

impl TestStatus {
    pub fn code(self) -> &'static str {
        match self {
            TestStatus::Pending => "pending",
            TestStatus::Approved => "approved",
            TestStatus::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<TestStatus> {
        [TestStatus::Pending, TestStatus::Approved, TestStatus::Rejected]
            .into_iter()
            .find(|t| t.code() == s)
    }

    pub fn label(self, lang: crate::lang::Lang) -> &'static str {
        match self {
            TestStatus::Pending => lang.pick("Pending", "Pendiente"),
            TestStatus::Approved => lang.pick("Approved", "Aprobada"),
            TestStatus::Rejected => lang.pick("Rejected", "Rechazada"),
        }
    }
}

impl fmt::Display for TestStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// What the runner measured over a test period: averages, with meter factors and shrinkage applied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measured {
    pub well: String,
    pub separator: String,
    /// When the well was routed to the separator, when it was found stable, and the test period.
    pub routed_at: Timestamp,
    pub stable_at: Timestamp,
    pub start: Timestamp,
    pub end: Timestamp,
    /// Stock-tank oil (shrinkage applied), STB/d; water bbl/d; gas Mscf/d.
    pub oil_stb_d: f64,
    pub water_bbl_d: f64,
    pub gas_mscf_d: f64,
    /// scf/STB, bbl/bbl, fraction: `None` where the oil (or liquid) rate is 0 (undefined, not infinity).
    pub gor_scf_stb: Option<f64>,
    pub wor: Option<f64>,
    pub water_cut: Option<f64>,
    /// BS&W from the sampler, fraction (None without a BS&W tag).
    pub bsw: Option<f64>,
    pub separator_psi: f64,
    pub separator_temp_f: Option<f64>,
    pub whp_psi: Option<f64>,
    /// Flowing bottomhole pressure (gauge corrected to the perforations, or the configured figure).
    pub pwf_psi: Option<f64>,
    pub esp_hz: Option<f64>,
    pub meter_factors: [f64; 3],
    pub shrinkage: f64,
    /// Volumes came from totalizers and the vessel's levels were counted.
    pub totalized: bool,
    pub level_compensated: bool,
    /// Seconds of the test period with a bad or stale input (held values were used).
    pub bad_input_s: f64,
}

impl Measured {
    pub fn duration_h(&self) -> f64 {
        (self.end.0 - self.start.0) as f64 / 3.6e9
    }
}

/// A test as stored: the measurement and the engineer's decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WellTest {
    pub id: i64,
    pub m: Measured,
    pub status: TestStatus,
    /// The tester who witnessed the test and signed it (any operator), before the engineer's decision.
    pub tested_by: Option<String>,
    pub tested_at: Option<Timestamp>,
    pub decided_by: Option<String>,
    pub decided_at: Option<Timestamp>,
    /// Why it was rejected (empty otherwise).
    pub reason: String,
    pub note: String,
}

/// What can go wrong with a production record or request.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProductionError {
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error("well test {0} does not exist")]
    NoSuchTest(i64),
    #[error("well test {id} is {status}: {why}")]
    WrongState { id: i64, status: TestStatus, why: String },
    #[error("{user} ({role}) may not {action}")]
    NotPermitted { user: String, role: String, action: String },
    #[error("production records: {0}")]
    Store(String),
    #[error("the production records are busy: try again")]
    Busy,
}

/// `s` trimmed, at most `MAX_TEXT` characters, no control characters.
pub fn clean_text(field: &'static str, s: &str) -> Result<String, ProductionError> {
    let t = s.trim();
    if t.chars().count() > MAX_TEXT || t.chars().any(|c| c.is_control() && c != '\n') {
        return Err(ProductionError::Invalid {
            field,
            reason: format!("at most {MAX_TEXT} characters, no control characters"),
        });
    }
    Ok(t.to_owned())
}
