//! The calculation engine: after each scan, computes again every calculated tag with a changed input, in
//! dependency order, and emits a sample for each result that changed.
//!
//! A chain `a → b → c` settles in one call: a result computed in this call is what later calculated tags
//! read (the engine's own last results lie over the table, so nothing waits for the hub to apply them).
//! Time-based expressions (`avg`, `rate`) are computed again on `on_tick`, about once a second, and emit
//! at least once a second so history and trends see a moving average move.
//!
//! Hot path: indices into vectors, flags instead of sets, no allocation but the samples pushed to the
//! caller's buffer. Pure: the caller passes the clock.

use super::CalcSet;
use crate::expr::{Input, Inputs, Outcome, State};
use crate::tag::{BadReason, Quality, Sample, TagId, TagTable, TagUpdate, Timestamp, Value};
use std::sync::Arc;
use std::time::Duration;

/// How often time-based expressions are computed again and their results emitted unchanged: once a
/// second is what a trend or an operator notices.
pub const TIME_STEP: Duration = Duration::from_secs(1);

/// What one calculated tag has cost and given.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CalcCounters {
    pub evaluations: u64,
    /// Evaluations whose result was bad (an input bad, a math error, a window still filling).
    pub bad: u64,
}

/// The last result of one calculated tag.
#[derive(Debug, Clone)]
struct Last {
    value: Result<Value, BadReason>,
    uncertain: bool,
    /// Source time of the result; never goes back, so history stays in order.
    ts: Timestamp,
    evaluated_at: Timestamp,
    emitted_at: Timestamp,
}

impl Last {
    fn quality(&self) -> Quality {
        match (&self.value, self.uncertain) {
            (Err(why), _) => Quality::Bad(*why),
            (Ok(_), true) => Quality::Uncertain,
            (Ok(_), false) => Quality::Good,
        }
    }
}

#[derive(Debug)]
pub struct CalcEngine {
    set: Arc<CalcSet>,
    states: Vec<State>,
    last: Vec<Option<Last>>,
    /// Calculated tags to compute in the pass under way (indices into `set.tags()`).
    dirty: Vec<bool>,
    counters: Vec<CalcCounters>,
}

impl CalcEngine {
    pub fn new(set: Arc<CalcSet>) -> Self {
        let n = set.len();
        Self {
            states: set.tags().iter().map(|c| c.expr.new_state()).collect(),
            last: vec![None; n],
            dirty: vec![false; n],
            counters: vec![CalcCounters::default(); n],
            set,
        }
    }

    pub fn set(&self) -> &Arc<CalcSet> {
        &self.set
    }

    /// Per calculated tag, in the order of `set().tags()`.
    pub fn counters(&self) -> &[CalcCounters] {
        &self.counters
    }

    /// After a scan: computes every calculated tag that reads a changed tag (and those that read them), and
    /// pushes a sample for each result that changed. Updates of calculated tags themselves (the hub
    /// applying what this engine emitted) are skipped: their readers were computed in the same pass.
    pub fn on_updates(&mut self, updates: &[TagUpdate], table: &TagTable, now: Timestamp, out: &mut Vec<Sample>) {
        let mut first = usize::MAX;
        for u in updates {
            if self.set.calc_index(u.tag).is_some() {
                continue;
            }
            for &r in self.set.readers_of(u.tag) {
                let r = r as usize;
                if let Some(d) = self.dirty.get_mut(r) {
                    *d = true;
                    first = first.min(r);
                }
            }
        }
        self.pass(first, table, now, out);
    }

    /// The housekeeping tick: computes time-based expressions again (once per `TIME_STEP`), and once each
    /// calculated tag never computed yet (constant expressions, inputs that never came).
    pub fn on_tick(&mut self, now: Timestamp, table: &TagTable, out: &mut Vec<Sample>) {
        let mut first = usize::MAX;
        for (i, c) in self.set.tags().iter().enumerate() {
            let due = match &self.last[i] {
                None => true,
                Some(l) => c.expr.uses_time() && now.saturating_since(l.evaluated_at) >= TIME_STEP,
            };
            if due {
                self.dirty[i] = true;
                first = first.min(i);
            }
        }
        self.pass(first, table, now, out);
    }

    /// Computes the dirty calculated tags from `first` on, in order; a changed result marks its readers,
    /// which come later in the order, so one pass settles every chain.
    fn pass(&mut self, first: usize, table: &TagTable, now: Timestamp, out: &mut Vec<Sample>) {
        let n = self.set.len();
        for i in first..n {
            if !std::mem::replace(&mut self.dirty[i], false) {
                continue;
            }
            let calc = &self.set.tags()[i];
            let outcome = {
                let view = Overlay {
                    table,
                    set: &self.set,
                    last: &self.last,
                };
                calc.expr.eval(&mut self.states[i], &view, now)
            };
            let counters = &mut self.counters[i];
            counters.evaluations += 1;
            counters.bad += u64::from(outcome.value.is_err());
            let prev = self.last[i].as_ref();
            let changed = match prev {
                Some(l) => l.value != outcome.value || l.uncertain != outcome.uncertain,
                // Never computed: compare with what the table shows (waiting for data, at start).
                None => differs_from_table(table, calc.tag, &outcome),
            };
            // A moving window with a value is reported at least once per step, even when its result holds
            // still, so history and trends show it alive (on every pass: a steady input updating every
            // second has it computed by `on_updates`, never by a tick). A bad result is said once.
            let heartbeat = calc.expr.uses_time()
                && outcome.value.is_ok()
                && prev.is_none_or(|l| now.saturating_since(l.emitted_at) >= TIME_STEP);
            // A moving window's value is as of now, whatever its inputs' times; and no two samples of a tag
            // share a time (history keeps one value per instant), so a result that changes without newer
            // inputs (a quality change) is stamped a microsecond after the last.
            let ts = if calc.expr.uses_time() {
                now.max(outcome.ts)
            } else {
                outcome.ts
            };
            let ts = match prev {
                Some(l) if (changed || heartbeat) && ts <= l.ts => Timestamp(l.ts.0 + 1),
                Some(l) => ts.max(l.ts),
                None => ts,
            };
            let emitted_at = if changed || heartbeat {
                let mut sample = outcome.to_sample(calc.tag);
                sample.source_ts = ts;
                out.push(sample);
                now
            } else {
                prev.map_or(now, |l| l.emitted_at)
            };
            if changed {
                for &r in self.set.readers_of(calc.tag) {
                    if let Some(d) = self.dirty.get_mut(r as usize) {
                        *d = true;
                    }
                }
            }
            self.last[i] = Some(Last {
                value: outcome.value,
                uncertain: outcome.uncertain,
                ts,
                evaluated_at: now,
                emitted_at,
            });
        }
    }
}

fn differs_from_table(table: &TagTable, tag: TagId, o: &Outcome) -> bool {
    match table.get(tag) {
        None => true,
        Some(s) => s.quality != o.quality() || matches!(&o.value, Ok(v) if s.value.as_ref() != Some(v)),
    }
}

/// The table with this engine's own results laid over it: a calculated tag reads another's latest result,
/// computed earlier in the same pass, before the hub has applied it.
struct Overlay<'a> {
    table: &'a TagTable,
    set: &'a CalcSet,
    last: &'a [Option<Last>],
}

impl Inputs for Overlay<'_> {
    fn input(&self, tag: TagId) -> Option<Input<'_>> {
        if let Some(i) = self.set.calc_index(tag)
            && let Some(Some(l)) = self.last.get(i)
        {
            // Out of the tag's declared range, the table shows it OUT OF RANGE: readers see the same.
            let band = self.table.directory().get(tag).and_then(|d| d.valid_band());
            let out_of_band = match (&l.value, band) {
                (Ok(v), Some((lo, hi))) => v.as_f64().is_some_and(|x| x < lo || x > hi),
                _ => false,
            };
            let quality = if out_of_band && !l.quality().is_bad() {
                Quality::Bad(BadReason::OutOfRange)
            } else {
                l.quality()
            };
            return Some(Input {
                value: l.value.as_ref().ok(),
                quality,
                ts: l.ts,
            });
        }
        self.table.input(tag)
    }
}
