//! A reel record, `reels/<file>.toml`: the reel, the unit's guide arch and surface path, and the string on
//! the reel, as a validated `ReelRecord` (`project::reels` parses the file into one, every problem at
//! `path:line:col`).
//!
//! ```toml
//! [reel]
//! id = "CT-4471"                 # serial on the reel: the key the fatigue history is kept under
//! core_diameter_in = 96.0
//! width_in = 64.0
//! guide_arch_radius_in = 72.0    # guide arch (gooseneck) of the unit this reel runs on
//! running_ft_limit = 400000.0    # retirement by running feet (NOV's 40/400 rule)
//! arch_exit_offset_ft = 12.0     # wellhead → where the pipe leaves the arch, along the pipe
//! arch_length_ft = 9.4           # bent length on the arch (about radius × 90°)
//! surface_run_ft = 40.0          # wellhead → reel tangent point along the pipe
//! history_csv = "reels/ct01_history.csv"   # optional: fatigue imported on first use (see `csv`)
//! [[section]]                    # from the core out
//! od_in = 1.75
//! wall_in = 0.175
//! grade = { name = "CT90", yield_psi = 90000.0, tensile_psi = 97000.0 }   # reduction_of_area = 0.6 unless given
//! length_ft = 5000.0
//! [[section]]
//! od_in = 1.75
//! wall_in = 0.156
//! grade = { name = "CT90", yield_psi = 90000.0, tensile_psi = 97000.0 }
//! length_ft = 9000.0
//! weld = "bias"                  # joins this section to the previous one (required from the 2nd on)
//! [[weld]]                       # extra (repair) welds, by distance from the core end
//! from_core_ft = 11200.0
//! kind = "orbital_butt"
//! [pressure_factor]              # optional: the fatigue model's uncalibrated default otherwise
//! ```
//!
//! Invariants of a `ReelRecord`: a safe id (letters, digits, `-`, `_`, `.`; it becomes a database key and a
//! file name), one OD for every section (the reel geometry figures its wrap layers for one diameter), walls
//! under half the OD, valid grades, positive lengths, a weld between each pair of sections and every weld
//! inside the string, welds sorted from the core out, and a layout that `StringLayout::new` accepts with
//! 1-ft cells. Input is bounded: the file's size, 64 sections, 1,000 welds, a 60,000-ft string.
//!
//! Owns the record's type, its limits and the weld codes. Reading and checking the file is the project's
//! (`project::reels`); how the string is cut into cells and tracked is `layout`'s and `tracker`'s, where its
//! history is kept `store`'s.

use super::layout::{SectionSpec, StringLayout, SurfacePath, WeldSpec};
use crate::calc::CalcError;
use crate::calc::fatigue::{PressureFactor, WeldType};
use crate::calc::reel::ReelGeometry;

/// Real strings have a handful of sections (tapers); 64 leaves room for any made of short spliced lengths.
pub const MAX_SECTIONS: usize = 64;
/// Repair welds over a string's life: a few dozen in practice.
pub const MAX_WELDS: usize = 1_000;
/// The longest CT strings run about 30,000 ft: twice that is a units mistake (metres, inches), and bounds
/// the cells a layout allocates.
pub const MAX_STRING_FT: f64 = 60_000.0;

/// The weld types as a record (and a string CSV) spells them.
pub const WELD_CODES: &str = "bias, tapered_bias, orbital_butt, manual_butt, tapered_orbital, tapered_manual";

/// A weld type from its spelling in a record or CSV (`WELD_CODES`).
pub fn weld_from_code(code: &str) -> Option<WeldType> {
    match code {
        "bias" => Some(WeldType::Bias),
        "tapered_bias" => Some(WeldType::TaperedBias),
        "orbital_butt" => Some(WeldType::OrbitalButt),
        "manual_butt" => Some(WeldType::ManualButt),
        "tapered_orbital" => Some(WeldType::TaperedOrbital),
        "tapered_manual" => Some(WeldType::TaperedManual),
        _ => None,
    }
}

/// How a record (and a CSV export) spells a weld type.
pub fn weld_code(kind: &WeldType) -> &'static str {
    match kind {
        WeldType::Bias => "bias",
        WeldType::TaperedBias => "tapered_bias",
        WeldType::OrbitalButt => "orbital_butt",
        WeldType::ManualButt => "manual_butt",
        WeldType::TaperedOrbital => "tapered_orbital",
        WeldType::TaperedManual => "tapered_manual",
    }
}

/// A validated reel record (see the module doc for its invariants).
#[derive(Debug, Clone)]
pub struct ReelRecord {
    pub id: String,
    pub core_diameter_in: f64,
    pub width_in: f64,
    pub guide_arch_radius_in: f64,
    pub running_ft_limit: f64,
    pub path: SurfacePath,
    /// A project-relative `.csv` path (no `..`, not absolute).
    pub history_csv: Option<String>,
    /// From the core out.
    pub sections: Vec<SectionSpec>,
    /// Section joins and extra welds, sorted by distance from the core.
    pub welds: Vec<WeldSpec>,
    pub pressure_factor: PressureFactor,
}

impl ReelRecord {
    /// The string's length: its sections' lengths added.
    pub fn length_ft(&self) -> f64 {
        self.sections.iter().map(|s| s.length_ft).sum()
    }

    /// The string laid out in cells of `cell_ft` on this reel and its unit's path.
    pub fn layout(&self, cell_ft: f64) -> Result<StringLayout, CalcError> {
        let od_in = self
            .sections
            .first()
            .map(|s| s.od_in)
            .ok_or_else(|| CalcError::Inconsistent {
                field: "section",
                reason: "the string has no sections".to_owned(),
            })?;
        let reel = ReelGeometry::new(self.core_diameter_in, self.width_in, od_in)?;
        StringLayout::new(
            &self.sections,
            &self.welds,
            reel,
            self.guide_arch_radius_in,
            self.path,
            self.pressure_factor.clone(),
            cell_ft,
        )
    }
}
