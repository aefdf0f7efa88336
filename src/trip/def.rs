//! Trip rules and emergency stops as loaded from `alarms/*.toml`: the condition tree, its outputs and
//! limits on bypassing. Immutable once built; the engine keeps all run-time state.

use crate::expr::{CmpOp, Comparison};
use crate::lang::Text;
use crate::tag::{TagId, TagState, TagTable, Value};
use std::sync::Arc;
use std::time::Duration;

/// A trip condition. Evaluated in three-valued (Kleene) logic: `None` means "cannot be decided" because
/// an input is bad, stale or missing — and an undecided rule goes to its fail-safe action.
#[derive(Debug, Clone, PartialEq)]
pub enum Cond {
    /// `TAG OP VALUE`.
    Cmp(Comparison),
    /// `rate(TAG) OP PER_MIN`: the change over the rule's rate window, in units per minute (signed:
    /// `rate(p) > 300` is a rise, `rate(p) < -300` a fall).
    Rate {
        tag: TagId,
        op: CmpOp,
        per_min: f64,
        slot: usize,
    },
    All(Vec<Cond>),
    Any(Vec<Cond>),
}

/// Rates are computed as the tag updates; the evaluator reads the latest one by slot.
pub trait RateSource {
    /// `None`: the tag is bad or stale; `Some(None)`: good, but the window is still filling.
    fn rate(&self, slot: usize) -> Option<Option<f64>>;
}

/// Good-quality value of a tag, or `None` (bad, stale, waiting): a trip never acts on a value it cannot trust.
pub fn trusted(table: &TagTable, tag: TagId) -> Option<&Value> {
    table
        .get(tag)
        .filter(|s: &&TagState| !s.quality.is_bad())
        .and_then(|s| s.value.as_ref())
}

impl Cond {
    pub fn eval(&self, table: &TagTable, rates: &dyn RateSource) -> Option<bool> {
        match self {
            Cond::Cmp(c) => c.holds(trusted(table, c.tag)),
            Cond::Rate { op, per_min, slot, .. } => {
                // A window still filling (just started, or just recovered) is no evidence of a rate: a
                // bad input already went to the fail-safe through the tag's quality.
                let Some(r) = rates.rate(*slot)? else {
                    return Some(false);
                };
                Some(match op {
                    CmpOp::Gt => r > *per_min,
                    CmpOp::Ge => r >= *per_min,
                    CmpOp::Lt => r < *per_min,
                    CmpOp::Le => r <= *per_min,
                    CmpOp::Eq => r == *per_min,
                    CmpOp::Ne => r != *per_min,
                })
            }
            // AND: false as soon as one input is false, whatever the others; unknown if any is unknown.
            Cond::All(v) => {
                let mut unknown = false;
                for c in v {
                    match c.eval(table, rates) {
                        Some(false) => return Some(false),
                        None => unknown = true,
                        Some(true) => {}
                    }
                }
                if unknown { None } else { Some(true) }
            }
            // OR: true as soon as one input is true; unknown if any is unknown.
            Cond::Any(v) => {
                let mut unknown = false;
                for c in v {
                    match c.eval(table, rates) {
                        Some(true) => return Some(true),
                        None => unknown = true,
                        Some(false) => {}
                    }
                }
                if unknown { None } else { Some(false) }
            }
        }
    }

    /// Every tag the condition reads.
    pub fn tags(&self, out: &mut Vec<TagId>) {
        match self {
            Cond::Cmp(c) => out.push(c.tag),
            Cond::Rate { tag, .. } => out.push(*tag),
            Cond::All(v) | Cond::Any(v) => v.iter().for_each(|c| c.tags(out)),
        }
    }

    /// Rate slots used, as (slot, tag).
    pub fn rates(&self, out: &mut Vec<(usize, TagId)>) {
        match self {
            Cond::Rate { tag, slot, .. } => out.push((*slot, *tag)),
            Cond::All(v) | Cond::Any(v) => v.iter().for_each(|c| c.rates(out)),
            Cond::Cmp(_) => {}
        }
    }
}

/// What a rule does when it cannot decide (bad or stale input) for `bad_delay`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnBad {
    /// Take the trip action: the safe state (the default, and what a shutdown function should do).
    Trip,
    /// Only announce it: for outputs whose spurious operation is itself a hazard (documented per rule).
    Alarm,
}

/// One write a trip or an E-stop makes.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    pub tag: TagId,
    pub tag_name: Arc<str>,
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TripDef {
    /// Stable across reloads and restarts; the audit trail names trips by it.
    pub id: Arc<str>,
    pub name: Text,
    pub asset: Arc<str>,
    pub cond: Cond,
    /// The condition as written, for the trips page and the audit trail.
    pub source: Arc<str>,
    /// The condition must hold this long, without a break, before the trip acts.
    pub delay: Duration,
    pub on_bad: OnBad,
    /// An undecidable condition must last this long before the fail-safe action (rides through a blip).
    pub bad_delay: Duration,
    pub outputs: Vec<Output>,
    /// Longest bypass allowed; zero = this trip may not be bypassed.
    pub bypass_max: Duration,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EstopDef {
    pub id: Arc<str>,
    pub label: Text,
    pub asset: Arc<str>,
    pub outputs: Vec<Output>,
}

/// Every trip rule and E-stop of a project, with an index from tag to the rules that read it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TripSet {
    pub trips: Vec<Arc<TripDef>>,
    pub estops: Vec<Arc<EstopDef>>,
    /// Rate slots, with the tag and window each measures.
    pub rate_slots: Vec<(TagId, Duration)>,
    watching: Vec<Vec<u32>>,
    rates_of: Vec<Vec<u32>>,
}

impl TripSet {
    pub fn new(
        trips: Vec<Arc<TripDef>>,
        estops: Vec<Arc<EstopDef>>,
        rate_slots: Vec<(TagId, Duration)>,
        tag_count: usize,
    ) -> Self {
        let mut watching = vec![Vec::new(); tag_count];
        for (i, t) in trips.iter().enumerate() {
            let mut tags = Vec::new();
            t.cond.tags(&mut tags);
            tags.sort_unstable();
            tags.dedup();
            for tag in tags {
                if let Some(w) = watching.get_mut(tag.index()) {
                    w.push(i as u32);
                }
            }
        }
        let mut rates_of = vec![Vec::new(); tag_count];
        for (slot, (tag, _)) in rate_slots.iter().enumerate() {
            if let Some(r) = rates_of.get_mut(tag.index()) {
                r.push(slot as u32);
            }
        }
        Self {
            trips,
            estops,
            rate_slots,
            watching,
            rates_of,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.trips.is_empty() && self.estops.is_empty()
    }

    /// Rules that read `tag`.
    pub fn watching(&self, tag: TagId) -> &[u32] {
        self.watching.get(tag.index()).map_or(&[], Vec::as_slice)
    }

    /// Rate slots measuring `tag`.
    pub fn rates_of(&self, tag: TagId) -> &[u32] {
        self.rates_of.get(tag.index()).map_or(&[], Vec::as_slice)
    }

    pub fn trip_index(&self, id: &str) -> Option<usize> {
        self.trips.iter().position(|t| &*t.id == id)
    }

    pub fn estop_index(&self, id: &str) -> Option<usize> {
        self.estops.iter().position(|e| &*e.id == id)
    }
}
