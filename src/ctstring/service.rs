//! The CT string service on the hub: for each `[ct.<unit>]` it counts the string's bending events from
//! every depth sample (fatigue per cell, Miner's rule), compares the live weight with the broomstick at the
//! live depth (early warning of stuck pipe or an unexpected set-down), predicts the pump pressure and the
//! pipe's von Mises load, and makes those results tags (so alarms, history and screens use them as any
//! other), a view for the console's CT string page, and records for the string's store.
//!
//! Runs as a `Deriver` on the hub thread: per sample only closed forms and O(cells crossed) work; the
//! broomstick sweep runs on a thread of its own; the store writes on its own thread behind a bounded
//! channel (a full channel is counted, never waited on). Fail-safe: an output whose inputs are not good is
//! bad with the input's reason, never a number computed from a stale or failed reading.
//!
//! People's changes to a string's record (a cut, an import: `command`) reach it through `CtCommandPort`'s
//! inbox, taken at the start of each `derive` and `tick`: role-checked, applied, sent whole to the store
//! and audited here, done or refused. A cut or import the store had no room for waits here, in order,
//! and holds its reel's progress behind it (progress counts the new string's cells).

use super::command::{self, CtCommand, CtCommandInbox};
use super::config::CtUnitConfig;
use super::csv;
use super::layout::StringLayout;
use super::live::{self, Derived, Readings};
use super::model::{self, ModelCell};
use super::store::{CutRecord, StoreFull, StoreMsg, StoreSender, StoreStats};
use super::tracker::{FatigueEvent, FatigueTracker};
use super::view::{CtStringView, CtStringViewCell, CtStringViews, RecordNote, StringExport};
use super::whatif_view::TrackerWhatIf;
use crate::auth::audit::{AuditEntry, AuditSink};
use crate::driver::{DriverLink, DriverState};
use crate::hub::Deriver;
use crate::tag::{DriverId, Quality, Sample, TagTable, TagUpdate, Timestamp, Value};
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

/// The console's view is rebuilt at most this often (the fatigue map is 20,000 cells).
const VIEW_EVERY: Duration = Duration::from_millis(500);
/// Outputs are recomputed from the table at least this often, so a quiet input never leaves them old.
const REFRESH_EVERY: Duration = Duration::from_secs(5);
/// The fastest a CT injector runs pipe, ft/s (about 400 ft/min), and what a depth reading may differ from
/// that on top (encoder resolution, sample timing): a reading farther away is not a move.
const MAX_PIPE_SPEED_FT_S: f64 = 400.0 / 60.0;
const JUMP_ALLOWANCE_FT: f64 = 5.0;
/// Points of the live weight trail on the depth plot, and the depth step between two of them.
const TRAIL_POINTS: usize = 2_000;
const TRAIL_STEP_FT: f64 = 5.0;

/// One unit's live state.
struct Unit {
    cfg: Arc<CtUnitConfig>,
    tracker: FatigueTracker,
    model: ModelCell,
    events: Vec<FatigueEvent>,
    changed_cells: Vec<u32>,
    trail: VecDeque<[f64; 2]>,
    derived: Derived,
    /// What each output tag was last sent as.
    sent: [Option<live::Reading>; 10],
    /// What the what-if of the view runs on: the tracker as it was at the last view.
    whatif: Option<Arc<TrackerWhatIf>>,
    /// The string as the view's Export writes it: as it was at the last view, like the what-if.
    export: Option<Arc<StringCsv>>,
    /// The last cut or import asked of this string, for the view.
    last_record: Option<RecordNote>,
    dirty_view: bool,
    /// The last depth reading and when it was taken (by the source's clock).
    last_depth: Option<(f64, Timestamp)>,
    /// The highest pump pressure seen: what an event is costed at while the pressure reading is bad.
    max_pressure_psi: f64,
    /// Running feet grew since the last progress sent to the store (even with no cell changed).
    running_changed: bool,
}

pub struct CtStringService {
    units: Vec<Unit>,
    driver: DriverId,
    /// The `ctstring` driver's link, held so its channels stay open and the Drivers page counts what the
    /// service makes on it.
    _link: DriverLink,
    views: CtStringViewCell,
    store: Option<StoreSender>,
    /// The records writer's counters, shown on the page when something was not saved.
    store_stats: Option<Arc<StoreStats>>,
    store_full: u64,
    /// Cuts and imports the store had no room for yet, oldest first: sent before anything else.
    unsaved: VecDeque<StoreMsg>,
    commands: Option<CtCommandInbox>,
    audit: Option<AuditSink>,
    last_view: Option<Timestamp>,
    last_refresh: Option<Timestamp>,
}

impl CtStringService {
    /// `trackers` are the units' fatigue trackers as restored from the store (or new), in `units` order.
    pub fn new(units: Vec<(Arc<CtUnitConfig>, FatigueTracker)>, link: DriverLink, store: Option<StoreSender>) -> Self {
        link.stats.set_state(DriverState::Running);
        let units = units
            .into_iter()
            .map(|(cfg, tracker)| Unit {
                model: model::start(&cfg),
                cfg,
                tracker,
                events: Vec::new(),
                changed_cells: Vec::new(),
                trail: VecDeque::new(),
                derived: Derived::default(),
                sent: [None; 10],
                whatif: None,
                export: None,
                last_record: None,
                dirty_view: true,
                last_depth: None,
                max_pressure_psi: 0.0,
                running_changed: false,
            })
            .collect();
        Self {
            units,
            driver: link.id,
            _link: link,
            views: Arc::new(arc_swap::ArcSwap::from_pointee(CtStringViews::default())),
            store,
            store_stats: None,
            store_full: 0,
            unsaved: VecDeque::new(),
            commands: None,
            audit: None,
            last_view: None,
            last_refresh: None,
        }
    }

    /// Takes people's cuts and imports from `inbox` (the other end of the `CtCommandPort` the hub feeds).
    pub fn with_commands(mut self, inbox: CtCommandInbox) -> Self {
        self.commands = Some(inbox);
        self
    }

    /// Every cut and import, done or refused, also goes to the audit trail.
    pub fn with_audit(mut self, audit: AuditSink) -> Self {
        self.audit = Some(audit);
        self
    }

    /// The records writer's counters, for the page.
    pub fn with_store_stats(mut self, stats: Arc<StoreStats>) -> Self {
        self.store_stats = Some(stats);
        self
    }

    /// The views the console's CT string page reads.
    pub fn view_cell(&self) -> CtStringViewCell {
        self.views.clone()
    }

    /// Store messages that did not fit the store's queue (each is counted; the next progress message
    /// carries the cells again).
    pub fn store_full(&self) -> u64 {
        self.store_full
    }

    fn flush_store(&mut self) {
        let Some(store) = &self.store else {
            for u in &mut self.units {
                u.events.clear();
                u.changed_cells.clear();
            }
            return;
        };
        // A cut or import first, in order; one that still finds no room holds its reel's progress.
        while let Some(msg) = self.unsaved.pop_front() {
            if let Err(StoreFull(back)) = store.send(msg) {
                self.unsaved.push_front(*back);
                self.store_full += 1;
                break;
            }
        }
        for u in &mut self.units {
            let reel_id = u.cfg.reel.id.clone();
            let held = self.unsaved.iter().any(|m| m.reel_id() == reel_id);
            if !u.events.is_empty() {
                let events = std::mem::take(&mut u.events);
                if store
                    .send(StoreMsg::Events {
                        reel_id: reel_id.clone(),
                        events,
                    })
                    .is_err()
                {
                    self.store_full += 1;
                }
            }
            if !held && (!u.changed_cells.is_empty() || u.running_changed) {
                u.changed_cells.sort_unstable();
                u.changed_cells.dedup();
                let damage = u.tracker.damage();
                let changed = u
                    .changed_cells
                    .iter()
                    .filter_map(|&c| damage.get(c as usize).map(|&d| (c, d)))
                    .collect();
                let msg = StoreMsg::Progress {
                    reel_id,
                    changed,
                    running_ft: u.tracker.running_ft(),
                };
                if store.send(msg).is_err() {
                    // Kept: the same cells go again with the next flush.
                    self.store_full += 1;
                } else {
                    u.changed_cells.clear();
                    u.running_changed = false;
                }
            }
        }
    }

    /// What the records could not save, in words (atomics first: the writer's last error is read, under
    /// its lock, only once something went wrong).
    fn records_problem(&self) -> Option<String> {
        let errors = self.store_stats.as_ref().map_or(0, |s| s.errors());
        if self.store_full == 0 && errors == 0 {
            return None;
        }
        let last = self.store_stats.as_ref().and_then(|s| s.last_error());
        Some(format!(
            "records: {} message(s) found the writer's queue full, {errors} failed or refused{}",
            self.store_full,
            last.map(|e| format!("; last: {e}")).unwrap_or_default()
        ))
    }

    fn publish_views(&mut self) {
        let problem = self.records_problem();
        let mut views = Vec::with_capacity(self.units.len());
        for u in &mut self.units {
            if u.dirty_view || u.whatif.is_none() {
                u.whatif = Some(Arc::new(TrackerWhatIf::new(u.tracker.clone())));
                u.export = Some(Arc::new(StringCsv {
                    reel_id: u.cfg.reel.id.clone(),
                    layout: Arc::clone(u.tracker.layout()),
                    damage: u.tracker.damage().to_vec(),
                    running_ft: u.tracker.running_ft(),
                }));
                u.dirty_view = false;
            }
            views.push(Arc::new(view_of(u, problem.as_deref())));
        }
        self.views.store(Arc::new(CtStringViews {
            units: views,
            problem: None,
        }));
    }

    /// Applies the cuts and imports people asked for since the last call: the progress counted on the
    /// string before them is handed to the store first, the whole new string after them.
    fn take_commands(&mut self) {
        let Some(inbox) = &self.commands else { return };
        let commands = inbox.take();
        if commands.is_empty() {
            return;
        }
        self.flush_store();
        for (at, cmd) in &commands {
            self.apply_command(*at, cmd);
        }
        self.flush_store();
        // The page shows the new string at the next tick, not up to `VIEW_EVERY` later.
        self.last_view = None;
    }

    /// One cut or import: applied, or refused with the string unchanged; recorded either way.
    pub fn apply_command(&mut self, at: Timestamp, cmd: &CtCommand) {
        let (done, detail) = match self.applied(at, cmd) {
            Ok(what) => (true, format!("{what}; reason: {}", cmd.reason().trim())),
            Err(why) => (
                false,
                format!(
                    "refused: {why}; asked: {}; reason: {}",
                    cmd.asked(),
                    cmd.reason().trim()
                ),
            ),
        };
        if let Some(u) = self.units.iter_mut().find(|u| u.cfg.unit == cmd.unit()) {
            u.last_record = Some(RecordNote {
                at,
                user: cmd.by().user.clone(),
                text: detail.clone(),
                done,
            });
            u.dirty_view = true;
        }
        match &self.audit {
            Some(a) => a.record(AuditEntry::by(
                at,
                cmd.by(),
                cmd.audit_action(),
                cmd.unit(),
                detail,
                done,
            )),
            None => tracing::info!(user = %cmd.by().user, unit = cmd.unit(), "{}: {detail}", cmd.audit_action()),
        }
    }

    /// What `cmd` did to its unit's string, or why it did nothing.
    fn applied(&mut self, at: Timestamp, cmd: &CtCommand) -> Result<String, String> {
        if let Some(why) = command::refusal(cmd) {
            return Err(why);
        }
        let Some(u) = self.units.iter_mut().find(|u| u.cfg.unit == cmd.unit()) else {
            return Err(format!("this console has no CT unit '{}'", cmd.unit()));
        };
        let reel_id = u.cfg.reel.id.clone();
        let (what, msg) = match cmd {
            CtCommand::Cut {
                end,
                length_ft,
                reason,
                by,
                ..
            } => {
                let what = command::cut(&mut u.tracker, *end, *length_ft)?;
                let record = CutRecord {
                    at,
                    end: *end,
                    length_ft: *length_ft,
                    user: by.user.clone(),
                    reason: reason.trim().to_owned(),
                };
                let layout = u.tracker.layout();
                let msg = StoreMsg::Cut {
                    reel_id,
                    record,
                    sections: layout.sections().to_vec(),
                    welds: layout.welds().to_vec(),
                    damage: u.tracker.damage().to_vec(),
                    running_ft: u.tracker.running_ft(),
                };
                (what, msg)
            }
            CtCommand::Import {
                csv_text, reason, by, ..
            } => {
                let (tracker, what) = command::imported(&u.tracker, &reel_id, csv_text)?;
                u.tracker = tracker;
                let layout = u.tracker.layout();
                let msg = StoreMsg::Replace {
                    reel_id,
                    sections: layout.sections().to_vec(),
                    welds: layout.welds().to_vec(),
                    damage: u.tracker.damage().to_vec(),
                    running_ft: u.tracker.running_ft(),
                    reason: format!("CSV import by {}: {}", by.user, reason.trim()),
                };
                (what, msg)
            }
        };
        // The message carries every cell of the new string: progress on the old cells means nothing now.
        u.changed_cells.clear();
        u.dirty_view = true;
        if self.store.is_some() {
            self.unsaved.push_back(msg);
        }
        Ok(what)
    }
}

/// The string as it was at a view, written as CSV when the page asks.
#[derive(Debug)]
struct StringCsv {
    reel_id: String,
    layout: Arc<StringLayout>,
    damage: Vec<f64>,
    running_ft: f64,
}

impl StringExport for StringCsv {
    fn csv(&self) -> String {
        csv::export(&self.reel_id, &self.layout, &self.damage, self.running_ft)
    }
}

impl Deriver for CtStringService {
    fn name(&self) -> &str {
        "ctstring"
    }

    fn driver(&self) -> DriverId {
        self.driver
    }

    fn derive(&mut self, updates: &[TagUpdate], table: &TagTable, now: Timestamp, out: &mut Vec<Sample>) {
        self.take_commands();
        for u in &mut self.units {
            let i = u.cfg.inputs;
            let touched = updates
                .iter()
                .any(|up| [i.depth, i.weight, i.circ_pressure, i.wellhead_pressure, i.pump_rate].contains(&up.tag));
            if !touched {
                continue;
            }
            let r = Readings::read(&u.cfg, table);
            // Every depth sample of the scan in its order: a hub that drained several batches at once must
            // not lose a reversal between them.
            for up in updates.iter().filter(|up| up.tag == i.depth) {
                let good = matches!(up.state.quality, Quality::Good | Quality::Uncertain);
                let Some(depth) = up.state.value.as_ref().and_then(Value::as_f64).filter(|_| good) else {
                    continue;
                };
                u.on_depth(depth, up.state.source_ts, r.circ_pressure.ok());
            }
            if let (Ok(depth), Ok(weight)) = (r.depth, r.weight) {
                push_trail(&mut u.trail, depth, weight);
            }
            u.derived = live::derive(&u.cfg, &u.tracker, &u.model.load(), &r);
            u.derived.samples(&u.cfg, &mut u.sent, now, out);
        }
    }

    fn stop(&mut self) {
        // Commands that came in last, then everything counted since the last tick, for the records' writer
        // (it stops after the hub and commits what it was handed).
        self.take_commands();
        self.flush_store();
        if self.store_full > 0 || !self.unsaved.is_empty() {
            tracing::error!(
                refused = self.store_full,
                unsaved_records = self.unsaved.len(),
                "CT string records: the writer's queue was full; not everything was handed to it"
            );
        }
    }

    fn tick(&mut self, now: Timestamp, table: &TagTable, out: &mut Vec<Sample>) {
        self.take_commands();
        if self
            .last_refresh
            .is_none_or(|t| now.saturating_since(t) >= REFRESH_EVERY)
        {
            self.last_refresh = Some(now);
            for u in &mut self.units {
                let r = Readings::read(&u.cfg, table);
                u.derived = live::derive(&u.cfg, &u.tracker, &u.model.load(), &r);
                u.derived.samples(&u.cfg, &mut u.sent, now, out);
            }
        }
        self.flush_store();
        if self.last_view.is_none_or(|t| now.saturating_since(t) >= VIEW_EVERY) {
            self.last_view = Some(now);
            self.publish_views();
        }
    }
}

impl Unit {
    /// One depth reading into the fatigue tracker, unless it cannot be a move of the pipe: deeper than the
    /// string reaches, or farther from the last reading than pipe travels in the time between (an encoder
    /// re-zeroed with the pipe in the hole, a register read as 0 for a moment). Such a reading is taken as
    /// the new reference and counts nothing: a glitch must never add bending events or running feet that
    /// stay in the records for good. A bad pump pressure is costed at the highest pressure seen (never less
    /// damage than may have been done).
    fn on_depth(&mut self, depth_ft: f64, at: Timestamp, pressure_psi: Option<f64>) {
        if let Some(p) = pressure_psi.filter(|p| p.is_finite() && *p >= 0.0) {
            self.max_pressure_psi = self.max_pressure_psi.max(p);
        }
        let pressure = pressure_psi.unwrap_or(self.max_pressure_psi);
        let layout = self.tracker.layout();
        let deepest = layout.length_ft() - layout.path().surface_run_ft;
        let plausible = match (self.last_depth, self.tracker.depth_ft()) {
            (Some((_, t0)), Some(d0)) => {
                let secs = at.saturating_since(t0).as_secs_f64();
                (depth_ft - d0).abs() <= MAX_PIPE_SPEED_FT_S * secs + JUMP_ALLOWANCE_FT
            }
            _ => true,
        };
        self.last_depth = Some((depth_ft, at));
        if !(depth_ft.is_finite() && (0.0..=deepest).contains(&depth_ft)) {
            return;
        }
        if !plausible {
            tracing::warn!(unit = %self.cfg.unit, depth_ft, "CT depth jumped faster than pipe moves: taken as a new reference, nothing counted");
            self.tracker.rereference(depth_ft);
            return;
        }
        let before = self.events.len();
        let running_before = self.tracker.running_ft();
        self.tracker.on_depth(depth_ft, pressure, &mut self.events);
        if self.events.len() > before {
            self.dirty_view = true;
            self.changed_cells
                .extend(self.events[before..].iter().filter_map(|e| u32::try_from(e.cell).ok()));
        }
        if self.tracker.running_ft() != running_before {
            self.running_changed = true;
        }
    }
}

/// Adds a point to the weight trail when the depth has moved a step from the last one (the newest point is
/// always the live one).
fn push_trail(trail: &mut VecDeque<[f64; 2]>, depth_ft: f64, weight_lbf: f64) {
    let moved = trail.back().is_none_or(|p| (p[0] - depth_ft).abs() >= TRAIL_STEP_FT);
    if moved {
        if trail.len() >= TRAIL_POINTS {
            trail.pop_front();
        }
        trail.push_back([depth_ft, weight_lbf]);
    } else if let Some(last) = trail.back_mut() {
        *last = [last[0], weight_lbf];
    }
}

fn view_of(u: &Unit, records_problem: Option<&str>) -> CtStringView {
    let t = &u.tracker;
    let layout = t.layout();
    let cfg = &u.cfg;
    let fatigue_pct: Vec<f32> = t.damage().iter().map(|d| (d * 100.0) as f32).collect();
    let (max_pct, max_at) = t.max_fatigue();
    let depth = u.derived.depth_ft;
    let path = layout.path();
    let at = depth.unwrap_or(0.0);
    let model = u.model.load();
    CtStringView {
        unit: cfg.unit.clone(),
        unit_label: cfg.label.clone(),
        reel_id: cfg.reel.id.clone(),
        cell_ft: layout.cell_ft(),
        fatigue_pct: Arc::new(fatigue_pct),
        welds: layout
            .welds_from_tip()
            .into_iter()
            .map(|(position_ft, kind)| super::view::WeldMark {
                position_ft,
                kind: kind.label(),
                factor: kind.life_factor(),
            })
            .collect(),
        string_length_ft: layout.length_ft(),
        running_ft: t.running_ft(),
        running_ft_limit: cfg.reel.running_ft_limit,
        max_fatigue_pct: max_pct,
        max_fatigue_at_ft: max_at,
        warning_pct: 75.0,
        critical_pct: 85.0,
        depth_ft: depth,
        arch_from_ft: at + path.arch_exit_offset_ft,
        arch_to_ft: at + path.arch_exit_offset_ft + path.arch_length_ft,
        reel_from_ft: at + path.surface_run_ft,
        broomstick: model::broomstick_view(&model, u.derived.loads.as_ref()),
        weight_lbf: u.derived.weight_lbf,
        weight_trail: u.trail.iter().copied().collect(),
        band: u.derived.band,
        hydraulics: u.derived.hydraulics.clone(),
        limits: u.derived.limits.clone(),
        whatif: u.whatif.clone().map(|w| w as Arc<dyn super::view::WhatIf>),
        export: u.export.clone().map(|e| e as Arc<dyn StringExport>),
        last_record: u.last_record.clone(),
        records_problem: records_problem.map(str::to_owned),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_trail_keeps_one_point_per_depth_step_and_the_live_weight_last() {
        let mut trail = VecDeque::new();
        push_trail(&mut trail, 100.0, 1_000.0);
        push_trail(&mut trail, 101.0, 1_100.0);
        assert_eq!(trail.len(), 1);
        assert_eq!(trail[0], [100.0, 1_100.0]);
        push_trail(&mut trail, 106.0, 1_200.0);
        assert_eq!(trail.len(), 2);
        for i in 0..(TRAIL_POINTS + 10) {
            push_trail(&mut trail, 200.0 + i as f64 * 10.0, 0.0);
        }
        assert_eq!(trail.len(), TRAIL_POINTS);
    }
}
