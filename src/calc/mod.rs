//! Engineering calculations in oilfield units (see ../shared/ENGINEERING.md for the formulas and sources).
//!
//! Pure functions and small value types only: no I/O, no threads, no tags. The simulator uses them to
//! produce physically plausible data, the `ctstring` room runs them on live data, and `wellconsole calc` runs
//! them on JSON. Every function validates its inputs and answers `CalcError` naming the field, never NaN.

pub mod broomstick;
pub mod decline;
pub mod error;
pub mod esp;
pub mod fatigue;
pub mod hydraulics;
pub mod ipr;
pub mod limits;
pub mod ratios;
pub mod reel;
pub mod softstring;
pub mod survey;
pub mod tubular;

/// Steel Young's modulus, psi.
pub const STEEL_E_PSI: f64 = 30.0e6;
/// Steel density, ppg.
pub const STEEL_DENSITY_PPG: f64 = 65.5;
/// Fresh water density, ppg.
pub const WATER_PPG: f64 = 8.33;
/// Hydrostatic gradient factor: psi per ft per ppg.
pub const PSI_PER_FT_PER_PPG: f64 = 0.052;

pub use error::CalcError;
