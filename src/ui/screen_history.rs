//! Recent values of the tags screens show, for sparklines and embedded trends: collected from the
//! snapshots the console already reads, one point per tag per second at most, so it costs the frame
//! nothing. After a start (or a new set of screens) the span before the first live point is filled once
//! from the historian's answer (`seed`), which the shell asks for on a query thread of its own: a
//! restarted console shows its sparklines at once, not after ten minutes.

use crate::hub::Snapshot;
use crate::tag::TagId;
use std::collections::VecDeque;

/// Points closer than this are not kept: a sparkline a few hundred pixels wide needs no more.
const MIN_SPACING_S: f64 = 1.0;

/// History that ends this close before the first live point continues it without a gap.
const JOIN_WITHIN_S: f64 = 5.0;

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

    /// Every tag kept here (sorted).
    pub fn tags(&self) -> &[TagId] {
        &self.tags
    }

    pub fn keep_s(&self) -> f64 {
        self.keep_s
    }

    /// Puts history in front of what was collected live: `segments` are runs of good (seconds, value)
    /// points, with a gap between runs. Only what is older than the first live point is taken (live data
    /// is the newer truth), and only what the span keeps.
    pub fn seed(&mut self, tag: TagId, segments: &[Vec<[f64; 2]>], now_s: f64) {
        let Ok(i) = self.tags.binary_search(&tag) else { return };
        let s = &mut self.series[i];
        let first_live = s.points.front().map_or(f64::INFINITY, |p| p.0);
        let oldest = now_s - self.keep_s;
        let mut older: Vec<(f64, Option<f64>)> = Vec::new();
        for seg in segments {
            let mut took = false;
            for &[t, v] in seg.iter().filter(|p| p[0] >= oldest && p[0] < first_live) {
                if older.last().is_some_and(|(last, _)| t - last < MIN_SPACING_S) {
                    continue;
                }
                older.push((t, Some(v)));
                took = true;
            }
            if took && let Some(&(t, _)) = older.last() {
                older.push((t, None)); // the end of a run: a gap until the next one
            }
        }
        // The last run joins the live line when the live line starts where it ends; across a longer
        // silence (the console was down, and its historian with it) the gap stays.
        if older
            .last()
            .is_some_and(|(t, v)| v.is_none() && first_live - t <= JOIN_WITHIN_S)
        {
            older.pop();
        }
        for p in older.into_iter().rev() {
            s.points.push_front(p);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn with_live(first_live: f64) -> LiveHistory {
        let mut h = LiveHistory::new(vec![TagId(1)], 10.0);
        h.series[0].points.push_back((first_live, Some(5.0)));
        h
    }

    #[test]
    fn history_ending_just_before_the_live_line_continues_it() {
        let mut h = with_live(1_000.0);
        // Two runs (a bad spell between them), 10 Hz; the last ends 2 s before the live point.
        let run = |from: f64, to: f64| {
            (0..)
                .map(move |k| from + 0.1 * f64::from(k))
                .take_while(move |t| *t <= to)
        };
        let segments = vec![
            run(700.0, 800.0).map(|t| [t, 1.0]).collect::<Vec<_>>(),
            run(900.0, 998.0).map(|t| [t, 2.0]).collect(),
        ];
        h.seed(TagId(1), &segments, 1_000.5);
        let pts: Vec<_> = h.since(TagId(1), 0.0).collect();
        // Only the kept ten minutes, about a point a second, one gap (between the runs), none at the join.
        assert!(pts.iter().all(|p| p.0 >= 400.5));
        assert_eq!(pts.iter().filter(|p| p.1.is_none()).count(), 1);
        assert!(pts.len() > 190 && pts.len() < 210, "{}", pts.len());
        assert_eq!(pts.last(), Some(&(1_000.0, Some(5.0))));
        // A tag no screen shows is ignored.
        h.seed(TagId(9), &segments, 1_000.5);
    }
}
