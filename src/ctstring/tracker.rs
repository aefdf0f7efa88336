//! Live fatigue bookkeeping: each depth sample moves the string past the three fixed boundaries of the surface
//! path (reel tangent, guide-arch entry, arch exit at the injector); every cell whose centre crosses one takes
//! one bending event (one reversal, half a cycle) and Miner's-rule damage 1/(2·N_f0·K_p·K_weld).
//!
//! Invariants: damage per cell only grows between cuts (so the running maximum is kept incrementally); a
//! sample costs O(cells crossed), never a scan of the string (20,000 cells at 10 Hz: benches/fatigue.rs);
//! events are counted on the *committed* path, which follows the encoder except that a reversal must exceed
//! `deadband_ft` first, so jitter around one position never counts events while every real crossing is
//! counted exactly once each way (ENGINEERING.md §1: a round trip through everything is 2 reel + 4 arch
//! events; reversals on the arch are more crossings, never double counts). A bad pressure sample uses the last
//! good pressure: an event is never dropped. Pure state and arithmetic on a shared `StringLayout`: no clock,
//! no tags, no I/O (the hub service that feeds it and persists the damage lives elsewhere in the room).

use super::layout::{StringEnd, StringLayout, SurfacePath};
use crate::calc::CalcError;
use crate::calc::error::non_negative;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Encoder jitter smaller than this around one position is not motion, ft.
pub const DEFAULT_DEADBAND_FT: f64 = 0.5;

/// One bending event at a boundary of the surface path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BendEvent {
    /// Straightened leaving the reel (running in).
    ReelOff,
    /// Bent back onto the reel (pulling out).
    ReelOn,
    /// Bent onto the guide arch (at its entry running in, at the injector pulling out).
    ArchOn,
    /// Straightened leaving the guide arch (at the injector running in, at its entry pulling out).
    ArchOff,
}

impl BendEvent {
    pub fn label(self) -> &'static str {
        match self {
            BendEvent::ReelOff => "Off the reel",
            BendEvent::ReelOn => "Onto the reel",
            BendEvent::ArchOn => "Onto the guide arch",
            BendEvent::ArchOff => "Off the guide arch",
        }
    }

    /// True for events at the reel (strain by wrap layer), false for the guide arch.
    pub fn at_reel(self) -> bool {
        matches!(self, BendEvent::ReelOff | BendEvent::ReelOn)
    }
}

/// One counted event, for the fatigue cycles log (audit) and alarms.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FatigueEvent {
    pub cell: usize,
    /// The cell's centre, ft from the tip.
    pub position_ft: f64,
    pub kind: BendEvent,
    /// Bending strain of the event, a fraction.
    pub strain: f64,
    /// Internal pressure used for the event, psi.
    pub pressure_psi: f64,
    /// Damage added by this event, a fraction of life.
    pub damage: f64,
    /// The cell's damage after it, a fraction of life.
    pub total: f64,
}

/// A boundary of the surface path, in the order the string meets them running in.
#[derive(Debug, Clone, Copy)]
enum Boundary {
    ReelTangent,
    ArchEntry,
    ArchExit,
}

impl Boundary {
    fn offset_ft(self, path: &SurfacePath) -> f64 {
        match self {
            Boundary::ReelTangent => path.surface_run_ft,
            Boundary::ArchEntry => path.arch_entry_offset_ft(),
            Boundary::ArchExit => path.arch_exit_offset_ft,
        }
    }

    fn event(self, running_in: bool) -> BendEvent {
        match (self, running_in) {
            (Boundary::ReelTangent, true) => BendEvent::ReelOff,
            (Boundary::ReelTangent, false) => BendEvent::ReelOn,
            (Boundary::ArchEntry, true) | (Boundary::ArchExit, false) => BendEvent::ArchOn,
            (Boundary::ArchExit, true) | (Boundary::ArchEntry, false) => BendEvent::ArchOff,
        }
    }
}

/// Direction of the last committed move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Travel {
    Unknown,
    RunningIn,
    PullingOut,
}

/// Fatigue per cell of one string, updated from depth samples.
#[derive(Debug, Clone)]
pub struct FatigueTracker {
    layout: Arc<StringLayout>,
    /// Miner's damage per cell, fractions of life (1 = end of life).
    damage: Vec<f64>,
    running_ft: f64,
    deadband_ft: f64,
    /// The depth up to which events are counted; `None` until the first sample (and after a cut).
    committed_ft: Option<f64>,
    travel: Travel,
    last_pressure_psi: f64,
    ignored_samples: u64,
    events_counted: u64,
    max_cell: usize,
    max_damage: f64,
}

impl FatigueTracker {
    /// A tracker over `layout` with saved `damage` per cell (empty for a new string) and running feet.
    pub fn new(layout: Arc<StringLayout>, damage: Vec<f64>, running_ft: f64) -> Result<Self, CalcError> {
        let cells = layout.cells().len();
        let damage = if damage.is_empty() { vec![0.0; cells] } else { damage };
        if damage.len() != cells {
            return Err(CalcError::Inconsistent {
                field: "damage",
                reason: format!("{} saved cells for a string of {cells} cells", damage.len()),
            });
        }
        if let Some((i, d)) = damage.iter().enumerate().find(|(_, d)| !(d.is_finite() && **d >= 0.0)) {
            return Err(CalcError::Inconsistent {
                field: "damage",
                reason: format!("cell {i}: saved damage {d} is not a finite number, 0 or more"),
            });
        }
        non_negative("running_ft", running_ft)?;
        let mut tracker = Self {
            layout,
            damage,
            running_ft,
            deadband_ft: DEFAULT_DEADBAND_FT,
            committed_ft: None,
            travel: Travel::Unknown,
            last_pressure_psi: 0.0,
            ignored_samples: 0,
            events_counted: 0,
            max_cell: 0,
            max_damage: 0.0,
        };
        tracker.rescan_max();
        Ok(tracker)
    }

    /// Takes `depth_ft` as where the pipe is without counting the way there: after a depth the caller knows is
    /// not a move (an encoder re-zeroed, a reading that jumped faster than pipe can travel). Counted as an
    /// ignored sample.
    pub fn rereference(&mut self, depth_ft: f64) {
        self.ignored_samples += 1;
        if depth_ft.is_finite() && depth_ft >= 0.0 {
            self.committed_ft = Some(depth_ft);
        }
    }

    /// One depth sample (tip depth, ft) with the pipe's internal pressure (psi). Appends the events it
    /// counts to `out`. The first sample (and the first after a cut) only sets the position.
    pub fn on_depth(&mut self, depth_ft: f64, pressure_psi: f64, out: &mut Vec<FatigueEvent>) {
        if pressure_psi.is_finite() && pressure_psi >= 0.0 {
            self.last_pressure_psi = pressure_psi;
        }
        if !(depth_ft.is_finite() && depth_ft >= 0.0) {
            self.ignored_samples += 1;
            return;
        }
        let Some(from) = self.committed_ft else {
            self.committed_ft = Some(depth_ft);
            return;
        };
        let moved = depth_ft - from;
        let travel = if moved > 0.0 {
            Travel::RunningIn
        } else if moved < 0.0 {
            Travel::PullingOut
        } else {
            return;
        };
        // Onward motion counts at once; a reversal (or the first move) only once it clears the deadband.
        if travel != self.travel && moved.abs() < self.deadband_ft {
            return;
        }
        self.travel = travel;
        self.running_ft += moved.abs();
        self.committed_ft = Some(depth_ft);
        self.count_crossings(from, depth_ft, out);
    }

    /// Every cell whose centre crossed a boundary moving the tip from `from` to `to`, in the order the
    /// string meets the boundaries.
    fn count_crossings(&mut self, from: f64, to: f64, out: &mut Vec<FatigueEvent>) {
        let layout: &StringLayout = &self.layout;
        let path = layout.path();
        let pf = layout.pressure_factor();
        let pressure = self.last_pressure_psi;
        let running_in = to > from;
        let (lo, hi) = if running_in { (from, to) } else { (to, from) };
        let order = if running_in {
            [Boundary::ReelTangent, Boundary::ArchEntry, Boundary::ArchExit]
        } else {
            [Boundary::ArchExit, Boundary::ArchEntry, Boundary::ReelTangent]
        };
        for boundary in order {
            let offset = boundary.offset_ft(path);
            let kind = boundary.event(running_in);
            let crossed = layout.cells_with_centre_in(lo + offset, hi + offset);
            let count = crossed.len();
            for k in 0..count {
                let i = if running_in {
                    crossed.start + k
                } else {
                    crossed.end - 1 - k
                };
                let cell = &layout.cells()[i];
                let (damage0, strain) = if kind.at_reel() {
                    (cell.reel_damage0, cell.reel_strain)
                } else {
                    (cell.arch_damage0, cell.arch_strain)
                };
                let damage = if damage0 > 0.0 {
                    damage0 / pf.factor(pressure * cell.hoop_ratio_per_psi)
                } else {
                    0.0
                };
                self.damage[i] += damage;
                let total = self.damage[i];
                if total > self.max_damage {
                    self.max_damage = total;
                    self.max_cell = i;
                }
                out.push(FatigueEvent {
                    cell: i,
                    position_ft: layout.centre_ft(i),
                    kind,
                    strain,
                    pressure_psi: pressure,
                    damage,
                    total,
                });
            }
            self.events_counted += count as u64;
        }
    }

    /// The most fatigued cell: (fatigue %, its centre in ft from the tip).
    pub fn max_fatigue(&self) -> (f64, f64) {
        (100.0 * self.max_damage, self.layout.centre_ft(self.max_cell))
    }

    /// Fatigue % of one cell; `None` past the end of the string.
    pub fn fatigue_pct(&self, cell: usize) -> Option<f64> {
        self.damage.get(cell).map(|d| 100.0 * d)
    }

    /// Miner's damage per cell, fractions of life, tip first.
    pub fn damage(&self) -> &[f64] {
        &self.damage
    }

    /// Feet of pipe run in and out, counted on the committed path.
    pub fn running_ft(&self) -> f64 {
        self.running_ft
    }

    pub fn events_counted(&self) -> u64 {
        self.events_counted
    }

    /// Depth samples refused (negative or not finite).
    pub fn ignored_samples(&self) -> u64 {
        self.ignored_samples
    }

    /// The depth events are counted up to; `None` before the first sample and after a cut.
    pub fn depth_ft(&self) -> Option<f64> {
        self.committed_ft
    }

    /// The pressure the next event will use (the last good sample), psi.
    pub fn pressure_psi(&self) -> f64 {
        self.last_pressure_psi
    }

    pub fn deadband_ft(&self) -> f64 {
        self.deadband_ft
    }

    /// How far the pipe must reverse before the reversal counts, ft (0 counts every wiggle).
    pub fn set_deadband_ft(&mut self, deadband_ft: f64) -> Result<(), CalcError> {
        self.deadband_ft = non_negative("deadband_ft", deadband_ft)?;
        Ok(())
    }

    pub fn layout(&self) -> &Arc<StringLayout> {
        &self.layout
    }

    /// Cuts pipe off one end: the layout is rebuilt and the cut cells' damage dropped. A downhole cut shifts
    /// every position by the cut length; where that does not fall on cell edges, a new cell takes the worst
    /// of the old cells it overlaps (conservative). The position is forgotten: the depth encoder is re-zeroed
    /// after a cut, so the next sample only sets it.
    pub fn cut(&mut self, end: StringEnd, length_ft: f64) -> Result<(), CalcError> {
        let layout = Arc::new(self.layout.cut(end, length_ft)?);
        let cells = layout.cells().len();
        let old = &self.damage;
        let damage: Vec<f64> = match end {
            StringEnd::Core => old[..cells.min(old.len())].to_vec(),
            StringEnd::Downhole => {
                let cell_ft = layout.cell_ft();
                (0..cells)
                    .map(|j| {
                        let start = j as f64 * cell_ft + length_ft;
                        let first = ((start / cell_ft).floor() as usize).min(old.len() - 1);
                        let stop = (((start + cell_ft) / cell_ft).ceil() as usize).clamp(first + 1, old.len());
                        old[first..stop].iter().copied().fold(0.0, f64::max)
                    })
                    .collect()
            }
        };
        self.layout = layout;
        self.damage = damage;
        self.committed_ft = None;
        self.travel = Travel::Unknown;
        self.rescan_max();
        Ok(())
    }

    /// The maximum from scratch: at construction and after a cut only.
    fn rescan_max(&mut self) {
        self.max_cell = 0;
        self.max_damage = 0.0;
        for (i, &d) in self.damage.iter().enumerate() {
            if d > self.max_damage {
                self.max_damage = d;
                self.max_cell = i;
            }
        }
    }
}

/// Test drivers shared with the what-if tests.
#[cfg(test)]
pub(crate) mod drive {
    use super::*;

    /// Moves the tip from `from` to `to` in about `step_ft` steps (exact end points).
    pub fn go(t: &mut FatigueTracker, from: f64, to: f64, step_ft: f64, pressure_psi: f64) -> Vec<FatigueEvent> {
        let mut out = Vec::new();
        let n = ((to - from).abs() / step_ft).round().max(1.0) as usize;
        for k in 0..=n {
            let d = from + (to - from) * k as f64 / n as f64;
            t.on_depth(d, pressure_psi, &mut out);
        }
        out
    }

    /// Run in from surface to `depth_ft` and pull out again.
    pub fn trip(t: &mut FatigueTracker, depth_ft: f64, step_ft: f64, pressure_psi: f64) -> Vec<FatigueEvent> {
        let mut out = go(t, 0.0, depth_ft, step_ft, pressure_psi);
        out.extend(go(t, depth_ft, 0.0, step_ft, pressure_psi));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::drive::{go, trip};
    use super::*;
    use crate::calc::fatigue::{PressureFactor, WeldType, damage_per_event};
    use crate::ctstring::layout::WeldSpec;
    use crate::ctstring::layout::fixtures::{ct80_section, layout};

    /// ENGINEERING.md §1 bookkeeping: N_reel = 500, N_GA = 2000 for every cell.
    fn bookkeeping_tracker() -> FatigueTracker {
        let mut l = layout(3_000.0, &[]);
        l.set_lives_for_test(500.0, 2_000.0);
        FatigueTracker::new(Arc::new(l), Vec::new(), 0.0).unwrap()
    }

    fn kinds(events: &[FatigueEvent], cell: usize) -> Vec<BendEvent> {
        events.iter().filter(|e| e.cell == cell).map(|e| e.kind).collect()
    }

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs()
    }

    /// ENGINEERING.md §1 "Bookkeeping test": 0.300 %/trip, 40 % at 133.3 trips (exact).
    #[test]
    fn miner_bookkeeping_is_exact_over_scripted_trips() {
        use BendEvent::*;
        let mut t = bookkeeping_tracker();
        // The path at depth 0: arch exit 10 ft, entry 20 ft, reel tangent 60 ft from the tip.
        let events = trip(&mut t, 2_000.0, 0.1, 0.0);
        // Cell 1,000 (centre 1,000.5 ft) went off the reel, over the arch, into the well and back.
        assert_eq!(
            kinds(&events, 1_000),
            vec![ReelOff, ArchOn, ArchOff, ArchOn, ArchOff, ReelOn]
        );
        let per_trip = 1.0 / 500.0 + 2.0 / 2_000.0;
        assert!((t.damage()[1_000] - per_trip).abs() < 1e-12, "{}", t.damage()[1_000]);
        assert!((100.0 * per_trip - 0.300).abs() < 1e-12);
        // Left the reel but stopped before the arch (centre 2,040.5 < 2,000 + 60): 2 reel events only.
        assert_eq!(kinds(&events, 2_040), vec![ReelOff, ReelOn]);
        assert!((t.damage()[2_040] - 1.0 / 500.0).abs() < 1e-12);
        // Stayed on the reel: nothing.
        assert!(kinds(&events, 2_500).is_empty());
        assert_eq!(t.damage()[2_500], 0.0);
        // Sat on the arch at depth 0 (between exit and entry): only the injector crossing, in and out.
        assert_eq!(kinds(&events, 15), vec![ArchOff, ArchOn]);
        assert!((t.running_ft() - 4_000.0).abs() < 1e-6);
        for _ in 0..2 {
            trip(&mut t, 2_000.0, 0.1, 0.0);
        }
        assert!((t.damage()[1_000] - 3.0 * per_trip).abs() < 1e-12);
        assert!((0.40 / per_trip - 400.0 / 3.0).abs() < 1e-9);
        // Run on to 40 %: not at 133 trips, reached on the 134th.
        for _ in 3..133 {
            trip(&mut t, 2_000.0, 5.0, 0.0);
        }
        let (pct, at) = t.max_fatigue();
        assert!((pct - 133.0 * 0.300).abs() < 1e-9, "{pct}");
        assert!(pct < 40.0);
        assert!((60.0..2_010.0).contains(&at), "{at}");
        trip(&mut t, 2_000.0, 5.0, 0.0);
        assert!(t.max_fatigue().0 >= 40.0);
    }

    #[test]
    fn a_reversal_on_the_arch_adds_exactly_its_crossings() {
        let mut straight = bookkeeping_tracker();
        trip(&mut straight, 1_000.0, 0.1, 0.0);
        let mut wiggle = bookkeeping_tracker();
        go(&mut wiggle, 0.0, 1_000.0, 0.1, 0.0);
        go(&mut wiggle, 1_000.0, 995.0, 0.1, 0.0);
        go(&mut wiggle, 995.0, 1_000.0, 0.1, 0.0);
        go(&mut wiggle, 1_000.0, 0.0, 0.1, 0.0);
        // 5 ft back and forth at three boundaries: 5 cells each, two more events each.
        assert_eq!(wiggle.events_counted(), straight.events_counted() + 30);
        let (s, w) = (straight.damage(), wiggle.damage());
        // Cell 1,017 was on the arch entry span of the reversal: two more arch events.
        assert!((w[1_017] - s[1_017] - 2.0 / 4_000.0).abs() < 1e-12);
        // Cell 1,007 at the injector: two more arch events; cell 1,057 at the reel: two more reel events.
        assert!((w[1_007] - s[1_007] - 2.0 / 4_000.0).abs() < 1e-12);
        assert!((w[1_057] - s[1_057] - 2.0 / 1_000.0).abs() < 1e-12);
        // Away from the boundaries nothing changed.
        assert_eq!(w[1_030], s[1_030]);
        assert_eq!(w[500], s[500]);
        assert!((wiggle.running_ft() - 2_010.0).abs() < 1e-6);
    }

    #[test]
    fn encoder_jitter_counts_nothing() {
        let run = |deadband: f64| {
            let mut t = bookkeeping_tracker();
            t.set_deadband_ft(deadband).unwrap();
            // Stop with a cell centre exactly on each boundary (1,000.5 + 10/20/60).
            go(&mut t, 0.0, 1_000.5, 0.1, 0.0);
            let mut out = Vec::new();
            t.on_depth(1_000.7, 0.0, &mut out);
            let before = t.events_counted();
            for k in 0..1_000 {
                let d = if k % 2 == 0 { 1_000.3 } else { 1_000.7 };
                t.on_depth(d, 0.0, &mut out);
            }
            t.events_counted() - before
        };
        assert_eq!(run(DEFAULT_DEADBAND_FT), 0);
        // The control: without the deadband the same jitter is counted (the test can fail).
        assert!(run(0.0) > 0);
    }

    #[test]
    fn welds_derate_and_pressure_raises_damage() {
        let weld = WeldSpec {
            from_core_ft: 2_000.0,
            kind: WeldType::OrbitalButt,
        };
        // Weld 1,000 ft from the tip: cell 1,000.
        let l = Arc::new(layout(3_000.0, &[weld]));
        // A plain neighbour on the same reel layer (the same plain-pipe lives).
        let layer = l.cells()[1_000].reel_layer;
        let plain = [999, 1_001]
            .into_iter()
            .find(|&j| l.cells()[j].reel_layer == layer)
            .unwrap();
        let mut dry = FatigueTracker::new(Arc::clone(&l), Vec::new(), 0.0).unwrap();
        trip(&mut dry, 2_000.0, 0.1, 0.0);
        let d = dry.damage();
        assert!(close(d[1_000] * 0.45, d[plain], 1e-12), "{} vs {}", d[1_000], d[plain]);
        let mut wet = FatigueTracker::new(Arc::clone(&l), Vec::new(), 0.0).unwrap();
        let events = trip(&mut wet, 2_000.0, 0.1, 5_000.0);
        // 5,000 psi on 1.5 × 0.125 CT80: σ_h/σy = 0.375, default K_p = 1 − 0.9·0.375/0.8.
        let kp = 1.0 - 0.9 * 0.375 / 0.8;
        assert!(close(wet.damage()[plain], d[plain] / kp, 1e-12));
        assert!(wet.damage()[plain] > d[plain]);
        // The same figure from the pure formula, event by event.
        let c = l.cells()[plain];
        let section = ct80_section(1.0);
        let grade = &section.grade;
        let pf = PressureFactor::default();
        let reel = damage_per_event(c.reel_strain, 5_000.0, 1.5, 0.125, grade, &pf, 1.0).unwrap();
        let arch = damage_per_event(c.arch_strain, 5_000.0, 1.5, 0.125, grade, &pf, 1.0).unwrap();
        assert!(close(wet.damage()[plain], 2.0 * reel + 4.0 * arch, 1e-12));
        let logged: f64 = events.iter().filter(|e| e.cell == plain).map(|e| e.damage).sum();
        assert!(close(logged, wet.damage()[plain], 1e-12));
        assert!(events.iter().all(|e| e.pressure_psi == 5_000.0));
    }

    #[test]
    fn bad_samples_are_ignored_and_bad_pressure_keeps_the_last_good_one() {
        let mut good = bookkeeping_tracker();
        trip(&mut good, 500.0, 0.5, 3_000.0);
        let mut noisy = bookkeeping_tracker();
        let mut out = Vec::new();
        noisy.on_depth(0.0, 3_000.0, &mut out);
        for k in 1..=1_000 {
            let d = f64::from(k) * 0.5;
            noisy.on_depth(f64::NAN, 3_000.0, &mut out);
            noisy.on_depth(-5.0, 3_000.0, &mut out);
            noisy.on_depth(d, if k % 3 == 0 { f64::NAN } else { -1.0 }, &mut out);
        }
        for k in (0..1_000).rev() {
            noisy.on_depth(f64::from(k) * 0.5, f64::INFINITY, &mut out);
        }
        assert_eq!(noisy.ignored_samples(), 2_000);
        assert_eq!(noisy.events_counted(), good.events_counted());
        assert_eq!(noisy.damage(), good.damage());
        assert!(out.iter().all(|e| e.pressure_psi == 3_000.0));
    }

    #[test]
    fn the_first_sample_only_sets_the_position() {
        let mut t = bookkeeping_tracker();
        let mut out = Vec::new();
        t.on_depth(1_500.0, 0.0, &mut out);
        assert!(out.is_empty());
        assert_eq!(t.depth_ft(), Some(1_500.0));
        assert_eq!(t.running_ft(), 0.0);
        go(&mut t, 1_500.0, 1_510.0, 0.1, 0.0);
        // 10 ft at each of three boundaries.
        assert_eq!(t.events_counted(), 30);
    }

    #[test]
    fn cutting_downhole_shifts_the_damage_with_the_pipe() {
        let mut t = bookkeeping_tracker();
        trip(&mut t, 1_000.0, 0.5, 0.0);
        let before = t.damage().to_vec();
        let (pct, _) = t.max_fatigue();
        t.cut(StringEnd::Downhole, 100.0).unwrap();
        assert_eq!(t.layout().length_ft(), 2_900.0);
        assert_eq!(t.damage().len(), 2_900);
        for i in [0, 50, 917, 1_950, 2_899] {
            assert_eq!(t.damage()[i], before[i + 100], "cell {i}");
        }
        assert_eq!(t.max_fatigue().0, pct);
        // The encoder is re-zeroed after a cut: the next sample only sets the position.
        assert_eq!(t.depth_ft(), None);
        let counted = t.events_counted();
        t.on_depth(0.0, 0.0, &mut Vec::new());
        assert_eq!(t.events_counted(), counted);
        // Off-grid cut: a new cell takes the worst of the two it overlaps.
        let mut u = bookkeeping_tracker();
        trip(&mut u, 1_000.0, 0.5, 0.0);
        let old = u.damage().to_vec();
        u.cut(StringEnd::Downhole, 10.5).unwrap();
        assert_eq!(u.damage()[1_040], old[1_050].max(old[1_051]));
        // A core cut keeps positions and drops the core-end cells.
        let mut v = bookkeeping_tracker();
        trip(&mut v, 1_000.0, 0.5, 0.0);
        let old = v.damage().to_vec();
        v.cut(StringEnd::Core, 200.0).unwrap();
        assert_eq!(v.damage(), &old[..2_800]);
        assert!(v.cut(StringEnd::Core, 5_000.0).is_err());
        assert_eq!(v.damage().len(), 2_800);
    }

    #[test]
    fn a_restored_string_continues_exactly() {
        let mut live = bookkeeping_tracker();
        trip(&mut live, 1_800.0, 0.1, 2_000.0);
        let saved = (live.damage().to_vec(), live.running_ft());
        trip(&mut live, 1_200.0, 0.1, 4_000.0);
        let mut restored = FatigueTracker::new(Arc::clone(live.layout()), saved.0, saved.1).unwrap();
        trip(&mut restored, 1_200.0, 0.1, 4_000.0);
        assert_eq!(restored.damage(), live.damage());
        assert_eq!(restored.running_ft(), live.running_ft());
        assert_eq!(restored.max_fatigue(), live.max_fatigue());
    }

    #[test]
    fn saved_state_is_checked() {
        let l = Arc::new(layout(100.0, &[]));
        assert_eq!(
            FatigueTracker::new(Arc::clone(&l), vec![0.0; 99], 0.0)
                .unwrap_err()
                .field(),
            "damage"
        );
        let mut bad = vec![0.0; 100];
        bad[7] = f64::NAN;
        assert_eq!(
            FatigueTracker::new(Arc::clone(&l), bad, 0.0).unwrap_err().field(),
            "damage"
        );
        assert_eq!(
            FatigueTracker::new(Arc::clone(&l), Vec::new(), -1.0)
                .unwrap_err()
                .field(),
            "running_ft"
        );
        let mut saved = vec![0.0; 100];
        saved[42] = 0.5;
        let t = FatigueTracker::new(l, saved, 1.0).unwrap();
        assert_eq!(t.max_fatigue(), (50.0, 42.5));
        assert_eq!(t.fatigue_pct(42), Some(50.0));
        assert_eq!(t.fatigue_pct(100), None);
        assert!(t.clone().set_deadband_ft(-1.0).is_err());
    }

    #[test]
    fn events_serialise_for_the_cycles_log() {
        assert_eq!(serde_json::to_string(&BendEvent::ArchOn).unwrap(), "\"arch_on\"");
        assert_eq!(BendEvent::ReelOff.label(), "Off the reel");
    }
}
