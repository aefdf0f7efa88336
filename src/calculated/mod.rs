//! Calculated tags as a service: derived values (GOR, WOR, pump ΔP, a running average) kept like any
//! other tag — historized, alarmable, trip inputs, on screens and trends.
//!
//! Owns the set of calculated tags in dependency order (`CalcSet`, immutable, built by the project loader)
//! and their evaluation (`CalcEngine`): which tags to compute again after a scan's changes, in which
//! order, and which results to emit as samples. It knows tags, samples and the table, but nothing of the
//! hub's threads or channels: the hub hands it each scan's updates and its clock through `CalcService` (a
//! `hub::Deriver`), and applies the samples it returns in the same scan, counted on the `calc` driver. The expression language is the `expr` room's.

mod engine;
mod order;
mod service;

#[cfg(test)]
mod tests;

pub use engine::{CalcCounters, CalcEngine, TIME_STEP};
pub use order::{Ordered, dependency_order};
pub use service::CalcService;

use crate::expr::Compiled;
use crate::tag::TagId;

/// One calculated tag: the tag it writes and the expression it computes.
#[derive(Debug, Clone, PartialEq)]
pub struct CalcTag {
    pub tag: TagId,
    pub expr: Compiled,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CalcSetError {
    /// Each cycle lists its tags in reading order (the first reads the second, …, the last the first).
    #[error("calculated tags read each other in a cycle, so none of them can be computed first: {0:?}")]
    Cycles(Vec<Vec<TagId>>),
    #[error("tag {0:?} is calculated twice")]
    Twice(TagId),
    #[error("tag {0:?} is not in the tag directory")]
    UnknownTag(TagId),
}

/// "Not a calculated tag" in `CalcSet::calc_of`.
const NONE: u32 = u32::MAX;

/// Every calculated tag of a site, each after the calculated tags it reads, with an index from any tag to
/// the calculated tags that read it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CalcSet {
    calcs: Vec<CalcTag>,
    /// For tag index i: its position in `calcs`, or `NONE`.
    calc_of: Vec<u32>,
    /// For tag index i: the calculated tags reading it, `readers[offsets[i]..offsets[i + 1]]`, ascending.
    offsets: Vec<u32>,
    readers: Vec<u32>,
}

impl CalcSet {
    /// Orders `calcs` so that each comes after the calculated tags it reads; `tag_count` is the size of
    /// the tag directory.
    pub fn new(calcs: Vec<CalcTag>, tag_count: usize) -> Result<Self, CalcSetError> {
        let calc_of = Self::positions(&calcs, tag_count)?;
        let deps: Vec<Vec<usize>> = calcs
            .iter()
            .map(|c| {
                c.expr
                    .inputs()
                    .iter()
                    .filter_map(|t| calc_of.get(t.index()).copied())
                    .filter(|&j| j != NONE)
                    .map(|j| j as usize)
                    .collect()
            })
            .collect();
        let ordered = dependency_order(calcs.len(), |i| deps[i].as_slice());
        if !ordered.cycles.is_empty() {
            let tags = ordered
                .cycles
                .iter()
                .map(|cycle| cycle.iter().map(|&i| calcs[i].tag).collect())
                .collect();
            return Err(CalcSetError::Cycles(tags));
        }
        let mut slots: Vec<Option<CalcTag>> = calcs.into_iter().map(Some).collect();
        let calcs: Vec<CalcTag> = ordered
            .order
            .iter()
            .filter_map(|&i| slots.get_mut(i).and_then(Option::take))
            .collect();
        let calc_of = Self::positions(&calcs, tag_count)?;
        let mut lists: Vec<Vec<u32>> = vec![Vec::new(); tag_count];
        for (i, c) in calcs.iter().enumerate() {
            for t in c.expr.inputs() {
                if let Some(l) = lists.get_mut(t.index()) {
                    l.push(u32::try_from(i).unwrap_or(NONE));
                }
            }
        }
        let mut offsets = Vec::with_capacity(tag_count + 1);
        let mut readers = Vec::new();
        offsets.push(0);
        for l in lists {
            readers.extend(l);
            offsets.push(u32::try_from(readers.len()).unwrap_or(NONE));
        }
        Ok(Self {
            calcs,
            calc_of,
            offsets,
            readers,
        })
    }

    fn positions(calcs: &[CalcTag], tag_count: usize) -> Result<Vec<u32>, CalcSetError> {
        let mut calc_of = vec![NONE; tag_count];
        for (i, c) in calcs.iter().enumerate() {
            let slot = calc_of.get_mut(c.tag.index()).ok_or(CalcSetError::UnknownTag(c.tag))?;
            if *slot != NONE {
                return Err(CalcSetError::Twice(c.tag));
            }
            *slot = u32::try_from(i).unwrap_or(NONE);
        }
        Ok(calc_of)
    }

    /// The calculated tags, in evaluation (dependency) order.
    pub fn tags(&self) -> &[CalcTag] {
        &self.calcs
    }

    pub fn len(&self) -> usize {
        self.calcs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.calcs.is_empty()
    }

    /// The position of `tag` in `tags()`, when it is calculated.
    pub fn calc_index(&self, tag: TagId) -> Option<usize> {
        self.calc_of
            .get(tag.index())
            .filter(|&&i| i != NONE)
            .map(|&i| i as usize)
    }

    /// The calculated tags (positions in `tags()`) that read `tag`, ascending.
    pub fn readers_of(&self, tag: TagId) -> &[u32] {
        let i = tag.index();
        match (self.offsets.get(i), self.offsets.get(i + 1)) {
            (Some(&a), Some(&b)) => self.readers.get(a as usize..b as usize).unwrap_or(&[]),
            _ => &[],
        }
    }
}
