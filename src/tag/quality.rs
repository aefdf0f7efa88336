//! Data quality: whether a value can be trusted, and if not, why.
//!
//! The reasons are distinct on purpose (STYLE.md rule 5): an operator acts differently on a dead
//! link than on a failed transmitter, so the screen must be able to tell them apart.

use serde::Serialize;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum BadReason {
    /// No sample has arrived since the tag was configured.
    WaitingForData,
    /// The driver cannot reach the device (timeout, refused, disconnected).
    CommFail,
    /// The tag was not updated within its expected period.
    Stale,
    /// The device reports the sensor itself as failed (open loop, under-range current, status bit).
    SensorFail,
    /// The tag's configuration is wrong (type mismatch, unknown address).
    ConfigError,
    /// Value beyond the instrument's range (NAMUR NE 43 limits: below -1.25 % or above +103.125 % of span).
    OutOfRange,
    /// A calculated tag's expression has no valid result: division by zero, the square root of a negative
    /// number, a result too large to hold. The inputs are fine; the value is not a number to show.
    MathError,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Quality {
    Good,
    Uncertain,
    Bad(BadReason),
}

impl Quality {
    pub fn is_good(self) -> bool {
        matches!(self, Quality::Good)
    }

    pub fn is_bad(self) -> bool {
        matches!(self, Quality::Bad(_))
    }

    /// The code as the operator reads it, in the console's language (exports keep `code`).
    pub fn label(self, lang: crate::lang::Lang) -> &'static str {
        if lang == crate::lang::Lang::En {
            return self.code();
        }
        match self {
            Quality::Good => "BUENA",
            Quality::Uncertain => "INCIERTA",
            Quality::Bad(BadReason::WaitingForData) => "SIN DATOS",
            Quality::Bad(BadReason::CommFail) => "FALLA COM",
            Quality::Bad(BadReason::Stale) => "OBSOLETO",
            Quality::Bad(BadReason::SensorFail) => "FALLA SENSOR",
            Quality::Bad(BadReason::ConfigError) => "ERROR CONFIG",
            Quality::Bad(BadReason::OutOfRange) => "FUERA DE RANGO",
            Quality::Bad(BadReason::MathError) => "ERROR CÁLCULO",
        }
    }

    /// Short code for tables and exports.
    pub fn code(self) -> &'static str {
        match self {
            Quality::Good => "GOOD",
            Quality::Uncertain => "UNCERTAIN",
            Quality::Bad(BadReason::WaitingForData) => "NO DATA",
            Quality::Bad(BadReason::CommFail) => "COMM FAIL",
            Quality::Bad(BadReason::Stale) => "STALE",
            Quality::Bad(BadReason::SensorFail) => "SENSOR FAIL",
            Quality::Bad(BadReason::ConfigError) => "CONFIG ERROR",
            Quality::Bad(BadReason::OutOfRange) => "OUT OF RANGE",
            Quality::Bad(BadReason::MathError) => "MATH ERROR",
        }
    }
}

impl fmt::Display for Quality {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}
