//! The string laid out in cells from the tip: what each foot of pipe is (OD, wall, grade, weld), where it sits
//! on the reel, and the fatigue life of the bending events it can see, precomputed once per layout.
//!
//! Positions are measured from the free (downhole) end: 0 ft is the tip; cell i covers
//! [i·cell_ft, (i+1)·cell_ft) and its events are counted at its centre (i + ½)·cell_ft (the last cell, at the
//! core, may be partial; it still counts at that nominal centre). Sections and welds are given from the core
//! out, as the reel record lists them. Invariants: a `StringLayout` is only built by `new` (or `cut`, which
//! rebuilds through `new`), so every cell has valid geometry and finite lives; it is immutable and shared
//! (`Arc`) by the tracker, what-if runs and the fatigue map. Pure data built on `calc`; no tags, no I/O.

use crate::calc::CalcError;
use crate::calc::error::positive;
use crate::calc::fatigue::{Grade, PressureFactor, WeldType, bending_strain, manson_life_cycles};
use crate::calc::reel::ReelGeometry;
use crate::calc::tubular::Tubular;
use serde::{Deserialize, Serialize};
use std::ops::Range;

/// More cells than this is a typo in `cell_ft` (a 40,000-ft string at 0.01 ft), not a string.
pub const MAX_CELLS: usize = 5_000_000;
/// Lengths closer than this are the same point (float residue of cuts and sums), ft.
const SAME_FT: f64 = 1e-9;

/// One section of the string: uniform OD, wall and grade. Listed from the core out, like the reel record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SectionSpec {
    pub od_in: f64,
    pub wall_in: f64,
    pub grade: Grade,
    pub length_ft: f64,
}

/// A weld at a distance from the core end of the string.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeldSpec {
    pub from_core_ft: f64,
    pub kind: WeldType,
}

/// The fixed path from the wellhead to the reel, relative to the tip's depth (see CONTEXT: boundaries at
/// depth + exit offset (injector, arch exit), + exit + arch length (arch entry) and + surface run (reel
/// tangent)). 0 ≤ exit < exit + arch ≤ run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SurfacePath {
    /// Pipe between the wellhead (depth 0) and the point where the injector has straightened it, ft.
    pub arch_exit_offset_ft: f64,
    /// Pipe in contact with the guide arch, ft.
    pub arch_length_ft: f64,
    /// Pipe between the wellhead and the reel tangent point, ft.
    pub surface_run_ft: f64,
}

impl SurfacePath {
    pub fn validate(&self) -> Result<(), CalcError> {
        crate::calc::error::non_negative("arch_exit_offset_ft", self.arch_exit_offset_ft)?;
        positive("arch_length_ft", self.arch_length_ft)?;
        positive("surface_run_ft", self.surface_run_ft)?;
        let entry = self.arch_exit_offset_ft + self.arch_length_ft;
        if entry > self.surface_run_ft {
            return Err(CalcError::Inconsistent {
                field: "surface_run_ft",
                reason: format!(
                    "the reel tangent ({} ft from the wellhead) must not be before the arch entry ({entry} ft)",
                    self.surface_run_ft
                ),
            });
        }
        Ok(())
    }

    /// Distance from the tip's depth to the arch entry, ft.
    pub fn arch_entry_offset_ft(&self) -> f64 {
        self.arch_exit_offset_ft + self.arch_length_ft
    }
}

/// Which end of the string a cut takes pipe from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StringEnd {
    /// The free end (tip): positions of the remaining pipe shift down by the cut length.
    Downhole,
    /// The reel core end: positions from the tip are unchanged.
    Core,
}

/// What one cell of the string is, and what one bending event costs it at zero pressure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cell {
    /// Index into `StringLayout::sections()` (core out); the cell's grade is that section's grade.
    pub section: usize,
    pub od_in: f64,
    pub wall_in: f64,
    /// The worst weld in the cell, if any.
    pub weld: Option<WeldType>,
    /// The weld's life factor, 1 for plain pipe.
    pub weld_factor: f64,
    /// Wrap layer on the reel when spooled (1 = on the core).
    pub reel_layer: u32,
    /// Bending strain at the reel (its layer's radius) and at the guide arch, fractions.
    pub reel_strain: f64,
    pub arch_strain: f64,
    /// Plain-pipe, zero-pressure cycles to failure N_f0 for those strains; `None` when the bend is elastic.
    pub reel_life_cycles: Option<f64>,
    pub arch_life_cycles: Option<f64>,
    /// σ_h/σy per psi of internal pressure, OD/(2·t·σy): K_p's argument is this × pressure.
    pub hoop_ratio_per_psi: f64,
    /// Damage of one event at zero pressure, 1/(2·N_f0·K_weld) (0 when elastic); an event at pressure p costs
    /// this / K_p(p·hoop_ratio_per_psi), so a live event is one table lookup and a division.
    pub reel_damage0: f64,
    pub arch_damage0: f64,
}

/// (section, reel layer) → (reel strain, reel life): the last reel life solved while laying out.
type ReelMemo = ((usize, u32), (f64, Option<f64>));

/// The string in cells, with the reel, guide arch and surface path it runs through.
#[derive(Debug, Clone)]
pub struct StringLayout {
    sections: Vec<SectionSpec>,
    welds: Vec<WeldSpec>,
    reel: ReelGeometry,
    guide_arch_radius_in: f64,
    path: SurfacePath,
    pressure_factor: PressureFactor,
    cell_ft: f64,
    length_ft: f64,
    cells: Vec<Cell>,
}

impl StringLayout {
    /// Lays the string out in cells of `cell_ft` and precomputes every cell's lives.
    pub fn new(
        sections: &[SectionSpec],
        welds: &[WeldSpec],
        reel: ReelGeometry,
        guide_arch_radius_in: f64,
        path: SurfacePath,
        pressure_factor: PressureFactor,
        cell_ft: f64,
    ) -> Result<StringLayout, CalcError> {
        let length_ft = validate_sections(sections)?;
        path.validate()?;
        positive("cell_ft", cell_ft)?;
        positive("guide_arch_radius_in", guide_arch_radius_in)?;
        let count = (length_ft / cell_ft - SAME_FT).ceil().max(1.0);
        if count > MAX_CELLS as f64 {
            return Err(CalcError::Inconsistent {
                field: "cell_ft",
                reason: format!("{length_ft} ft in cells of {cell_ft} ft is more than {MAX_CELLS} cells"),
            });
        }
        let mut layout = StringLayout {
            sections: sections.to_vec(),
            welds: welds.to_vec(),
            reel,
            guide_arch_radius_in,
            path,
            pressure_factor,
            cell_ft,
            length_ft,
            cells: Vec::new(),
        };
        layout.cells = layout.build_cells(count as usize)?;
        Ok(layout)
    }

    /// Every cell's geometry and lives, then the welds' factors on the cells holding them.
    fn build_cells(&self, count: usize) -> Result<Vec<Cell>, CalcError> {
        let arch = self.arch_lives()?;
        // Cumulative section ends from the core, for finding a cell's section.
        let ends: Vec<f64> = self
            .sections
            .iter()
            .scan(0.0, |acc, s| {
                *acc += s.length_ft;
                Some(*acc)
            })
            .collect();
        let last = self.sections.len() - 1;
        let mut cells = Vec::with_capacity(count);
        // Neighbouring cells share section and layer: reuse the last reel life instead of re-solving Manson.
        let mut reel_memo: Option<ReelMemo> = None;
        for i in 0..count {
            let from_core = (self.length_ft - self.centre_ft(i)).max(0.0);
            let section = ends.partition_point(|&e| e <= from_core).min(last);
            let spec = &self.sections[section];
            let layer = self.reel_layer(from_core)?;
            let (reel_strain, reel_life) = match reel_memo {
                Some((key, value)) if key == (section, layer) => value,
                _ => {
                    let value = self.reel_life(spec, layer)?;
                    reel_memo = Some(((section, layer), value));
                    value
                }
            };
            let (arch_strain, arch_life) = arch[section];
            cells.push(Cell {
                section,
                od_in: spec.od_in,
                wall_in: spec.wall_in,
                weld: None,
                weld_factor: 1.0,
                reel_layer: layer,
                reel_strain,
                arch_strain,
                reel_life_cycles: reel_life,
                arch_life_cycles: arch_life,
                hoop_ratio_per_psi: spec.od_in / (2.0 * spec.wall_in * spec.grade.yield_psi),
                reel_damage0: 0.0,
                arch_damage0: 0.0,
            });
        }
        for w in &self.welds {
            let at = crate::calc::error::check(
                "from_core_ft",
                w.from_core_ft,
                |x| (0.0..=self.length_ft + SAME_FT).contains(&x),
                "a weld must lie on the string: between 0 and the string's length from the core",
            )?;
            // `self.cells` is still empty here, so no `cell_at`: the weld's cell, the last one at the core end.
            let i = (((self.length_ft - at).max(0.0) / self.cell_ft).floor() as usize).min(count - 1);
            let cell = &mut cells[i];
            if w.kind.life_factor() < cell.weld_factor {
                cell.weld = Some(w.kind);
                cell.weld_factor = w.kind.life_factor();
            }
        }
        for cell in &mut cells {
            cell.reel_damage0 = cell.reel_life_cycles.map_or(0.0, |n| 0.5 / (n * cell.weld_factor));
            cell.arch_damage0 = cell.arch_life_cycles.map_or(0.0, |n| 0.5 / (n * cell.weld_factor));
        }
        Ok(cells)
    }

    /// Strain and plain-pipe life at the guide arch, per section.
    fn arch_lives(&self) -> Result<Vec<(f64, Option<f64>)>, CalcError> {
        let mut lives = Vec::with_capacity(self.sections.len());
        for s in &self.sections {
            let strain = bending_strain(s.od_in, self.guide_arch_radius_in).map_err(|e| CalcError::Inconsistent {
                field: "guide_arch_radius_in",
                reason: e.to_string(),
            })?;
            lives.push((strain, plastic_life(strain, &s.grade)?));
        }
        Ok(lives)
    }

    /// The wrap layer (1 = on the core) of the pipe `from_core_ft` from the string's core end. The two reel
    /// calls live here and in `reel_life`, the only places that know `ReelGeometry`'s API.
    fn reel_layer(&self, from_core_ft: f64) -> Result<u32, CalcError> {
        self.reel.layer_at(from_core_ft)
    }

    /// Strain and plain-pipe life on the reel at a wrap layer.
    fn reel_life(&self, spec: &SectionSpec, layer: u32) -> Result<(f64, Option<f64>), CalcError> {
        let radius = self.reel.layer_radius_in(layer)?;
        let strain = bending_strain(spec.od_in, radius).map_err(|e| CalcError::Inconsistent {
            field: "core_diameter_in",
            reason: format!("reel layer {layer}: {e}"),
        })?;
        Ok((strain, plastic_life(strain, &spec.grade)?))
    }

    pub fn cells(&self) -> &[Cell] {
        &self.cells
    }

    pub fn cell_ft(&self) -> f64 {
        self.cell_ft
    }

    /// Total string length, ft.
    pub fn length_ft(&self) -> f64 {
        self.length_ft
    }

    /// Sections from the core out, as given.
    pub fn sections(&self) -> &[SectionSpec] {
        &self.sections
    }

    /// Welds as given (distance from the core).
    pub fn welds(&self) -> &[WeldSpec] {
        &self.welds
    }

    pub fn path(&self) -> &SurfacePath {
        &self.path
    }

    pub fn reel(&self) -> &ReelGeometry {
        &self.reel
    }

    pub fn guide_arch_radius_in(&self) -> f64 {
        self.guide_arch_radius_in
    }

    pub fn pressure_factor(&self) -> &PressureFactor {
        &self.pressure_factor
    }

    /// Welds by position from the tip, nearest the tip first.
    pub fn welds_from_tip(&self) -> Vec<(f64, WeldType)> {
        let mut out: Vec<(f64, WeldType)> = self
            .welds
            .iter()
            .map(|w| ((self.length_ft - w.from_core_ft).max(0.0), w.kind))
            .collect();
        out.sort_by(|a, b| a.0.total_cmp(&b.0));
        out
    }

    /// Where cell `i` counts its events: its nominal centre, ft from the tip.
    pub fn centre_ft(&self, i: usize) -> f64 {
        (i as f64 + 0.5) * self.cell_ft
    }

    /// The cell holding a position from the tip; `None` off the string (or for a non-finite position).
    pub fn cell_at(&self, position_ft: f64) -> Option<usize> {
        if !(position_ft.is_finite() && position_ft >= 0.0) {
            return None;
        }
        let i = (position_ft / self.cell_ft).floor() as usize;
        (i < self.cells.len()).then_some(i)
    }

    /// The cells whose centres lie in [lo_ft, hi_ft): those that cross a boundary moving from lo to hi (or
    /// back). Half-open, so a move there and back counts every cell exactly twice. O(1).
    pub fn cells_with_centre_in(&self, lo_ft: f64, hi_ft: f64) -> Range<usize> {
        let first = self.first_centre_at_or_after(lo_ft);
        let end = self.first_centre_at_or_after(hi_ft);
        first..end.max(first)
    }

    /// Index of the first cell whose centre is ≥ x, clamped to [0, cells].
    fn first_centre_at_or_after(&self, x_ft: f64) -> usize {
        let n = self.cells.len();
        let k = (x_ft / self.cell_ft - 0.5).ceil();
        if k.is_nan() || k <= 0.0 {
            0
        } else if k >= n as f64 {
            n
        } else {
            k as usize
        }
    }

    /// The string after cutting `length_ft` off one end: sections shortened (emptied ones dropped), welds
    /// on the cut pipe dropped, positions from the core shifted for a core cut, everything recomputed.
    pub fn cut(&self, end: StringEnd, length_ft: f64) -> Result<StringLayout, CalcError> {
        positive("length_ft", length_ft)?;
        if length_ft >= self.length_ft - SAME_FT {
            return Err(CalcError::Inconsistent {
                field: "length_ft",
                reason: format!(
                    "cutting {length_ft} ft leaves no pipe: the string is {} ft long",
                    self.length_ft
                ),
            });
        }
        let remaining = self.length_ft - length_ft;
        let mut sections = self.sections.clone();
        let mut left = length_ft;
        match end {
            StringEnd::Downhole => {
                while let Some(s) = sections.last_mut() {
                    if s.length_ft - left > SAME_FT {
                        s.length_ft -= left;
                        break;
                    }
                    left -= s.length_ft;
                    sections.pop();
                }
            }
            StringEnd::Core => {
                let mut emptied = 0;
                for s in &mut sections {
                    if s.length_ft - left > SAME_FT {
                        s.length_ft -= left;
                        break;
                    }
                    left -= s.length_ft;
                    emptied += 1;
                }
                sections.drain(..emptied);
            }
        }
        let shift = if end == StringEnd::Core { length_ft } else { 0.0 };
        let welds: Vec<WeldSpec> = self
            .welds
            .iter()
            .map(|w| WeldSpec {
                from_core_ft: w.from_core_ft - shift,
                kind: w.kind,
            })
            .filter(|w| w.from_core_ft >= -SAME_FT && w.from_core_ft <= remaining + SAME_FT)
            .map(|w| WeldSpec {
                from_core_ft: w.from_core_ft.clamp(0.0, remaining),
                kind: w.kind,
            })
            .collect();
        StringLayout::new(
            &sections,
            &welds,
            self.reel,
            self.guide_arch_radius_in,
            self.path,
            self.pressure_factor.clone(),
            self.cell_ft,
        )
    }

    /// Test hook: sets every cell's plain-pipe lives (keeping the weld factors), for Miner bookkeeping tests
    /// with round numbers.
    #[cfg(test)]
    pub(crate) fn set_lives_for_test(&mut self, reel_cycles: f64, arch_cycles: f64) {
        for c in &mut self.cells {
            c.reel_life_cycles = Some(reel_cycles);
            c.arch_life_cycles = Some(arch_cycles);
            c.reel_damage0 = 0.5 / (reel_cycles * c.weld_factor);
            c.arch_damage0 = 0.5 / (arch_cycles * c.weld_factor);
        }
    }
}

/// Plain-pipe life for a bending strain, `None` when the bend is elastic (no LCF damage; see
/// `calc::fatigue::damage_per_event`).
fn plastic_life(strain: f64, grade: &Grade) -> Result<Option<f64>, CalcError> {
    if strain < grade.yield_strain() {
        return Ok(None);
    }
    manson_life_cycles(strain, grade.tensile_psi, grade.reduction_of_area).map(Some)
}

/// Checks every section and answers the total length, ft. Errors name the section (from the core).
fn validate_sections(sections: &[SectionSpec]) -> Result<f64, CalcError> {
    if sections.is_empty() {
        return Err(CalcError::Inconsistent {
            field: "sections",
            reason: "a string needs at least one section".to_string(),
        });
    }
    let mut total = 0.0;
    for (k, s) in sections.iter().enumerate() {
        let checked = Tubular::new(s.od_in, s.wall_in)
            .and_then(|_| s.grade.validate())
            .and_then(|()| positive("length_ft", s.length_ft));
        if let Err(e) = checked {
            return Err(CalcError::Inconsistent {
                field: "sections",
                reason: format!("section {} from the core: {e}", k + 1),
            });
        }
        total += s.length_ft;
    }
    Ok(total)
}

/// Layouts for tests here and in the tracker and what-if tests.
#[cfg(test)]
pub(crate) mod fixtures {
    use super::*;

    /// 1.5 × 0.125 in CT80 (ENGINEERING.md §1's pipe).
    pub fn ct80_section(length_ft: f64) -> SectionSpec {
        SectionSpec {
            od_in: 1.5,
            wall_in: 0.125,
            grade: Grade {
                name: "CT80".into(),
                yield_psi: 80_000.0,
                tensile_psi: 88_000.0,
                reduction_of_area: 0.6,
            },
            length_ft,
        }
    }

    /// Injector 10 ft above the wellhead, 10 ft of arch, reel tangent 60 ft from the wellhead.
    pub const PATH: SurfacePath = SurfacePath {
        arch_exit_offset_ft: 10.0,
        arch_length_ft: 10.0,
        surface_run_ft: 60.0,
    };

    pub fn reel() -> ReelGeometry {
        ReelGeometry::new(96.0, 96.0, 1.5).unwrap()
    }

    /// A one-section CT80 string of `length_ft` in 1-ft cells on a 72-in guide arch.
    pub fn layout(length_ft: f64, welds: &[WeldSpec]) -> StringLayout {
        StringLayout::new(
            &[ct80_section(length_ft)],
            welds,
            reel(),
            72.0,
            PATH,
            PressureFactor::default(),
            1.0,
        )
        .unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::*;
    use super::*;

    #[test]
    fn cells_cover_the_string_from_the_tip() {
        let l = layout(3_000.0, &[]);
        assert_eq!(l.cells().len(), 3_000);
        assert_eq!(l.length_ft(), 3_000.0);
        assert_eq!(l.centre_ft(0), 0.5);
        assert_eq!(l.cell_at(0.0), Some(0));
        assert_eq!(l.cell_at(2_999.9), Some(2_999));
        assert_eq!(l.cell_at(3_000.0), None);
        assert_eq!(l.cell_at(-0.1), None);
        // A partial last cell.
        let partial = layout(10.5, &[]);
        assert_eq!(partial.cells().len(), 11);
    }

    #[test]
    fn reel_layers_count_from_the_core_and_lives_match_the_formulas() {
        let l = layout(3_000.0, &[]);
        let cells = l.cells();
        let core_end = cells[cells.len() - 1];
        let tip = cells[0];
        assert_eq!(core_end.reel_layer, 1);
        assert_eq!(core_end.reel_layer, reel().layer_at(0.5).unwrap());
        assert_eq!(tip.reel_layer, reel().layer_at(2_999.5).unwrap());
        assert!(tip.reel_layer >= core_end.reel_layer);
        // The outer wraps bend less: longer reel life.
        assert!(tip.reel_strain <= core_end.reel_strain);
        let r = reel().layer_radius_in(tip.reel_layer).unwrap();
        assert!((tip.reel_strain - 1.5 / (2.0 * r)).abs() < 1e-15);
        let n = manson_life_cycles(tip.reel_strain, 88_000.0, 0.6).unwrap();
        assert_eq!(tip.reel_life_cycles, Some(n));
        assert!((tip.reel_damage0 - 0.5 / n).abs() < 1e-18);
        // Arch: 72 in radius, the §1 example's 3,932 cycles.
        assert!((tip.arch_strain - 1.5 / 144.0).abs() < 1e-15);
        let arch = tip.arch_life_cycles.unwrap();
        assert!((arch - 3_932.0).abs() < 0.005 * 3_932.0, "{arch}");
        assert!((tip.hoop_ratio_per_psi - 1.5 / (2.0 * 0.125 * 80_000.0)).abs() < 1e-18);
    }

    #[test]
    fn welds_sit_in_their_cells_and_the_worst_one_wins() {
        let welds = [
            WeldSpec {
                from_core_ft: 1_000.2,
                kind: WeldType::Bias,
            },
            WeldSpec {
                from_core_ft: 1_000.7,
                kind: WeldType::ManualButt,
            },
            WeldSpec {
                from_core_ft: 2_500.0,
                kind: WeldType::OrbitalButt,
            },
        ];
        let l = layout(3_000.0, &welds);
        // 1,000.2 and 1,000.7 ft from the core = 1,999.8 and 1,999.3 ft from the tip: cell 1,999.
        let c = l.cells()[1_999];
        assert_eq!(c.weld, Some(WeldType::ManualButt));
        assert_eq!(c.weld_factor, 0.35);
        assert!((c.arch_damage0 - l.cells()[1_998].arch_damage0 / 0.35).abs() < 1e-15);
        assert_eq!(l.cells()[500].weld, Some(WeldType::OrbitalButt));
        assert_eq!(l.cells()[501].weld, None);
        let from_tip = l.welds_from_tip();
        assert_eq!(from_tip.len(), 3);
        assert_eq!(from_tip[0], (500.0, WeldType::OrbitalButt));
        assert!((from_tip[1].0 - 1_999.3).abs() < 1e-9);
    }

    #[test]
    fn tapered_string_cells_take_their_section() {
        let mut thick = ct80_section(1_000.0);
        thick.wall_in = 0.156;
        let sections = [thick, ct80_section(2_000.0)];
        let l = StringLayout::new(&sections, &[], reel(), 72.0, PATH, PressureFactor::default(), 1.0).unwrap();
        // From the tip: 2,000 ft of 0.125 wall, then 1,000 ft of 0.156 wall at the core.
        assert_eq!(l.cells()[1_999].section, 1);
        assert_eq!(l.cells()[1_999].wall_in, 0.125);
        assert_eq!(l.cells()[2_000].section, 0);
        assert_eq!(l.cells()[2_000].wall_in, 0.156);
    }

    #[test]
    fn crossing_ranges_are_half_open_on_centres() {
        let l = layout(100.0, &[]);
        assert_eq!(l.cells_with_centre_in(10.0, 12.0), 10..12);
        assert_eq!(l.cells_with_centre_in(10.5, 12.5), 10..12);
        assert_eq!(l.cells_with_centre_in(10.6, 12.6), 11..13);
        assert_eq!(l.cells_with_centre_in(10.6, 10.9), 11..11);
        assert_eq!(l.cells_with_centre_in(-50.0, 0.6), 0..1);
        assert_eq!(l.cells_with_centre_in(99.0, 1e9), 99..100);
        assert_eq!(l.cells_with_centre_in(200.0, 300.0), 100..100);
    }

    #[test]
    fn cutting_shortens_the_right_end() {
        let welds = [
            WeldSpec {
                from_core_ft: 100.0,
                kind: WeldType::Bias,
            },
            WeldSpec {
                from_core_ft: 2_950.0,
                kind: WeldType::OrbitalButt,
            },
        ];
        let mut thick = ct80_section(1_000.0);
        thick.wall_in = 0.156;
        let l = StringLayout::new(
            &[thick, ct80_section(2_000.0)],
            &welds,
            reel(),
            72.0,
            PATH,
            PressureFactor::default(),
            1.0,
        )
        .unwrap();
        let down = l.cut(StringEnd::Downhole, 2_100.0).unwrap();
        assert_eq!(down.length_ft(), 900.0);
        assert_eq!(down.sections().len(), 1);
        assert_eq!(down.sections()[0].wall_in, 0.156);
        assert_eq!(down.welds().len(), 1);
        assert_eq!(down.welds_from_tip(), vec![(800.0, WeldType::Bias)]);
        let core = l.cut(StringEnd::Core, 150.0).unwrap();
        assert_eq!(core.length_ft(), 2_850.0);
        assert_eq!(core.sections()[0].length_ft, 850.0);
        // The weld 100 ft from the core was on the cut pipe; the other keeps its place from the tip.
        assert_eq!(core.welds_from_tip(), vec![(50.0, WeldType::OrbitalButt)]);
        assert_eq!(l.welds_from_tip()[0], (50.0, WeldType::OrbitalButt));
        assert_eq!(l.cut(StringEnd::Core, 3_000.0).unwrap_err().field(), "length_ft");
        assert_eq!(l.cut(StringEnd::Downhole, 0.0).unwrap_err().field(), "length_ft");
    }

    #[test]
    fn invalid_strings_are_refused_with_the_field_named() {
        let new = |sections: &[SectionSpec], welds: &[WeldSpec], arch: f64, path: SurfacePath, cell: f64| {
            StringLayout::new(sections, welds, reel(), arch, path, PressureFactor::default(), cell)
        };
        let ok = [ct80_section(1_000.0)];
        assert_eq!(new(&[], &[], 72.0, PATH, 1.0).unwrap_err().field(), "sections");
        let mut bad = ct80_section(1_000.0);
        bad.wall_in = 0.8;
        let e = new(&[bad], &[], 72.0, PATH, 1.0).unwrap_err();
        assert_eq!(e.field(), "sections");
        assert!(e.to_string().contains("section 1 from the core"), "{e}");
        let weld = WeldSpec {
            from_core_ft: 1_200.0,
            kind: WeldType::Bias,
        };
        assert_eq!(new(&ok, &[weld], 72.0, PATH, 1.0).unwrap_err().field(), "from_core_ft");
        assert_eq!(
            new(&ok, &[], 0.5, PATH, 1.0).unwrap_err().field(),
            "guide_arch_radius_in"
        );
        assert_eq!(new(&ok, &[], 72.0, PATH, 0.0).unwrap_err().field(), "cell_ft");
        assert_eq!(new(&ok, &[], 72.0, PATH, 1e-4).unwrap_err().field(), "cell_ft");
        let mut path = PATH;
        path.surface_run_ft = 15.0;
        assert_eq!(new(&ok, &[], 72.0, path, 1.0).unwrap_err().field(), "surface_run_ft");
        path = PATH;
        path.arch_length_ft = 0.0;
        assert_eq!(new(&ok, &[], 72.0, path, 1.0).unwrap_err().field(), "arch_length_ft");
    }

    #[test]
    fn specs_read_from_json() {
        let s: SectionSpec = serde_json::from_str(concat!(
            r#"{"od_in":1.75,"wall_in":0.156,"length_ft":5000,"#,
            r#""grade":{"name":"CT90","yield_psi":90000,"tensile_psi":97000}}"#
        ))
        .unwrap();
        assert_eq!(s.grade.reduction_of_area, 0.6);
        let w: WeldSpec = serde_json::from_str(r#"{"from_core_ft":5000,"kind":"tapered_bias"}"#).unwrap();
        assert_eq!(w.kind, WeldType::TaperedBias);
        let e: StringEnd = serde_json::from_str("\"downhole\"").unwrap();
        assert_eq!(e, StringEnd::Downhole);
        assert!(serde_json::from_str::<SurfacePath>(r#"{"arch_exit_offset_ft":1}"#).is_err());
    }
}
