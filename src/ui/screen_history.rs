//! Recent values of the tags screens show, for sparklines and embedded trends: collected from the
//! snapshots the console already reads, one point per tag per second at most, so it costs the frame
//! nothing and never asks the historian (the Trends page is where history is read).

use crate::hub::Snapshot;
use crate::tag::TagId;
use std::collections::VecDeque;

/// Points closer than this are not kept: a sparkline a few hundred pixels wide needs no more.
const MIN_SPACING_S: f64 = 1.0;

#[derive(Debug, Default)]
struct Series {
    last_update: u64,
    /// (seconds since the epoch, value; `None` where the value was bad: a gap, never a line).
    points: VecDeque<(f64, Option<f64>)>,
}

#[derive(Debug, Default)]
pub struct LiveHistory {
    tags: Vec<TagId>,
    series: Vec<Series>,
    keep_s: f64,
}

impl LiveHistory {
    /// Keeps `keep_minutes` of the given tags.
    pub fn new(mut tags: Vec<TagId>, keep_minutes: f32) -> Self {
        tags.sort();
        tags.dedup();
        let series = tags.iter().map(|_| Series::default()).collect();
        Self {
            tags,
            series,
            keep_s: f64::from(keep_minutes) * 60.0,
        }
    }

    pub fn collect(&mut self, snap: &Snapshot) {
        for (tag, s) in self.tags.iter().zip(&mut self.series) {
            let Some(state) = snap.get(*tag) else { continue };
            if state.updates == s.last_update || state.updates == 0 {
                continue;
            }
            s.last_update = state.updates;
            let t = state.source_ts.as_secs_f64();
            let v = if state.quality.is_bad() {
                None
            } else {
                state.value.as_ref().and_then(|v| v.as_f64())
            };
            match s.points.back_mut() {
                Some((last, _)) if t < *last => continue,
                // Within the spacing: keep the newest value (a gap must still show, so bad replaces good).
                Some((last, lv)) if t - *last < MIN_SPACING_S && (v.is_some() == lv.is_some()) => {
                    *lv = v;
                    continue;
                }
                _ => s.points.push_back((t, v)),
            }
            while s.points.front().is_some_and(|(f, _)| t - f > self.keep_s) {
                s.points.pop_front();
            }
        }
    }

    /// Points of `tag` at or after `since` (seconds since the epoch), oldest first.
    pub fn since(&self, tag: TagId, since: f64) -> impl Iterator<Item = (f64, Option<f64>)> + '_ {
        let series = self.tags.binary_search(&tag).ok().map(|i| &self.series[i]);
        series
            .into_iter()
            .flat_map(|s| s.points.iter().copied())
            .filter(move |(t, _)| *t >= since)
    }
}
