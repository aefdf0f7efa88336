//! Rollups: per tag, per 1 min and 1 h bucket, the count, min, max and mean of its good samples and the
//! time-weighted average of its value (each good value held until the next sample, clipped to the
//! bucket). Built incrementally, one sample at a time, by an accumulator whose open bucket can be saved
//! and restored, so a restart continues the bucket it was in. Pure: no SQLite.

pub const MINUTE_US: i64 = 60_000_000;
pub const HOUR_US: i64 = 3_600_000_000;

/// What a query reads: every sample, or one of the rollups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Resolution {
    Raw,
    Minute,
    Hour,
}

impl Resolution {
    pub const ROLLUPS: [Resolution; 2] = [Resolution::Minute, Resolution::Hour];

    pub fn bucket_us(self) -> i64 {
        match self {
            Resolution::Raw => 0,
            Resolution::Minute => MINUTE_US,
            Resolution::Hour => HOUR_US,
        }
    }

    /// The key in the `rollups` table: the bucket width in seconds.
    pub fn code(self) -> i64 {
        self.bucket_us() / 1_000_000
    }

    pub fn label(self) -> &'static str {
        match self {
            Resolution::Raw => "raw",
            Resolution::Minute => "1m",
            Resolution::Hour => "1h",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "raw" => Some(Resolution::Raw),
            "1m" | "1min" | "minute" => Some(Resolution::Minute),
            "1h" | "hour" => Some(Resolution::Hour),
            _ => None,
        }
    }
}

/// One bucket of one tag. `integral` is value × µs over `covered_us`, the time a good value was held.
#[derive(Debug, Clone, PartialEq)]
pub struct Bucket {
    pub start: i64,
    pub count: u64,
    pub min: f64,
    pub max: f64,
    pub sum: f64,
    pub integral: f64,
    pub covered_us: i64,
    /// The good value held at the last sample seen (time, value); `None` after a bad one.
    pub hold: Option<(i64, f64)>,
    /// Time of the last sample counted in this bucket: a restart replays raw samples after it.
    pub last_t: i64,
}

impl Bucket {
    fn empty(start: i64) -> Self {
        Self {
            start,
            count: 0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            sum: 0.0,
            integral: 0.0,
            covered_us: 0,
            hold: None,
            last_t: start,
        }
    }

    pub fn mean(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum / self.count as f64)
    }

    pub fn time_weighted(&self) -> Option<f64> {
        (self.covered_us > 0).then(|| self.integral / self.covered_us as f64)
    }

    fn hold_until(&mut self, until: i64) {
        if let Some((t, v)) = self.hold {
            let from = t.max(self.start);
            if until > from {
                self.integral += v * (until - from) as f64;
                self.covered_us += until - from;
            }
        }
    }
}

/// Incremental rollup of one tag at one width.
#[derive(Debug, Clone)]
pub struct Accumulator {
    width: i64,
    open: Option<Bucket>,
    /// The good value held at the end of the last closed bucket, carried into the next one.
    carry: Option<(i64, f64)>,
}

impl Accumulator {
    pub fn new(res: Resolution) -> Self {
        Self {
            width: res.bucket_us(),
            open: None,
            carry: None,
        }
    }

    /// Continues from a saved bucket: still open (a checkpoint), or closed (its hold carries on).
    pub fn restore(res: Resolution, saved: Bucket, closed: bool) -> Self {
        let width = res.bucket_us();
        if closed {
            Self {
                width,
                carry: saved.hold,
                open: None,
            }
        } else {
            Self {
                width,
                open: Some(saved),
                carry: None,
            }
        }
    }

    /// The bucket being filled (saved at each commit so a restart picks it up).
    pub fn open(&self) -> Option<&Bucket> {
        self.open.as_ref()
    }

    /// Adds one sample (`None`: not a good value). Buckets this sample closes are pushed to `closed`.
    /// Samples must come in time order; the writer guarantees it.
    pub fn push(&mut self, t: i64, value: Option<f64>, closed: &mut Vec<Bucket>) {
        let start = t.div_euclid(self.width) * self.width;
        if self.open.as_ref().is_some_and(|b| b.start < start)
            && let Some(mut b) = self.open.take()
        {
            b.hold_until(b.start + self.width);
            self.carry = b.hold;
            closed.push(b);
        }
        let carry = self.carry.take();
        let b = self.open.get_or_insert_with(|| {
            let mut b = Bucket::empty(start);
            b.hold = carry;
            b
        });
        b.hold_until(t);
        b.last_t = t;
        match value {
            Some(v) => {
                b.count += 1;
                b.min = b.min.min(v);
                b.max = b.max.max(v);
                b.sum += v;
                b.hold = Some((t, v));
            }
            None => b.hold = None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The definition, computed the slow way over the whole series.
    fn brute_force(samples: &[(i64, Option<f64>)], width: i64) -> Vec<Bucket> {
        let mut starts: Vec<i64> = samples.iter().map(|s| s.0.div_euclid(width) * width).collect();
        starts.dedup();
        starts
            .into_iter()
            .map(|start| {
                let end = start + width;
                let mut b = Bucket::empty(start);
                for (i, &(t, v)) in samples.iter().enumerate() {
                    if t >= start
                        && t < end
                        && let Some(v) = v
                    {
                        b.count += 1;
                        b.min = b.min.min(v);
                        b.max = b.max.max(v);
                        b.sum += v;
                    }
                    if let Some(v) = v {
                        // held from t until the next sample, or forever for the last one
                        let next = samples.get(i + 1).map_or(i64::MAX, |s| s.0);
                        let (from, to) = (t.max(start), next.min(end));
                        let last_in_series = samples.last().map(|s| s.0).unwrap_or(0);
                        // the open (last) bucket only counts holds up to the last sample
                        let to = if end > last_in_series && next == i64::MAX {
                            to.min(last_in_series)
                        } else {
                            to
                        };
                        if to > from {
                            b.integral += v * (to - from) as f64;
                            b.covered_us += to - from;
                        }
                    }
                }
                b
            })
            .collect()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0) || (a.is_infinite() && a == b)
    }

    proptest! {
        #[test]
        fn incremental_rollups_equal_brute_force(
            steps in prop::collection::vec((0i64..40_000_000, prop::option::weighted(0.85, -500i64..500)), 1..300)
        ) {
            let mut t = 1_795_000_000_000_000i64;
            let samples: Vec<(i64, Option<f64>)> = steps.iter().map(|&(dt, v)| { t += dt; (t, v.map(|x| x as f64 / 4.0)) }).collect();
            let mut acc = Accumulator::new(Resolution::Minute);
            let mut got = Vec::new();
            for &(t, v) in &samples {
                acc.push(t, v, &mut got);
            }
            got.push(acc.open().unwrap().clone());
            let mut want = brute_force(&samples, MINUTE_US);
            for w in &mut want {
                w.last_t = samples.iter().filter(|s| s.0.div_euclid(MINUTE_US) * MINUTE_US == w.start).map(|s| s.0).max().unwrap();
            }
            prop_assert_eq!(got.len(), want.len());
            for (g, w) in got.iter().zip(&want) {
                prop_assert_eq!(g.start, w.start);
                prop_assert_eq!(g.last_t, w.last_t);
                prop_assert_eq!(g.count, w.count);
                prop_assert!(close(g.min, w.min) && close(g.max, w.max) && close(g.sum, w.sum), "{g:?} vs {w:?}");
                prop_assert_eq!(g.covered_us, w.covered_us, "{:?} vs {:?}", g, w);
                prop_assert!(close(g.integral, w.integral), "{g:?} vs {w:?}");
            }
        }
    }

    #[test]
    fn a_restored_accumulator_continues_where_it_stopped() {
        let samples = [
            (0, Some(1.0)),
            (20_000_000, Some(3.0)),
            (50_000_000, None),
            (70_000_000, Some(2.0)),
        ];
        let mut whole = Accumulator::new(Resolution::Minute);
        let mut closed_whole = Vec::new();
        for &(t, v) in &samples {
            whole.push(t, v, &mut closed_whole);
        }
        let mut first = Accumulator::new(Resolution::Minute);
        let mut closed = Vec::new();
        for &(t, v) in &samples[..2] {
            first.push(t, v, &mut closed);
        }
        let mut second = Accumulator::restore(Resolution::Minute, first.open().unwrap().clone(), false);
        for &(t, v) in &samples[2..] {
            second.push(t, v, &mut closed);
        }
        assert_eq!(closed, closed_whole);
        let b = &closed[0];
        assert_eq!((b.count, b.min, b.max), (2, 1.0, 3.0));
        // 1.0 for 20 s, 3.0 for 30 s, then bad until the end of the minute
        assert_eq!(b.covered_us, 50_000_000);
        assert!((b.time_weighted().unwrap() - (20.0 + 90.0) / 50.0).abs() < 1e-12);
        assert_eq!(whole.open().unwrap().count, 1);
    }
}

#[cfg(test)]
mod restore_tests {
    use super::*;

    #[test]
    fn a_closed_bucket_restored_carries_its_hold_into_the_next() {
        let samples = [
            (10_000_000, Some(2.0)),
            (70_000_000, Some(4.0)),
            (100_000_000, Some(6.0)),
        ];
        let mut whole = Accumulator::new(Resolution::Minute);
        let mut closed_whole = Vec::new();
        for &(t, v) in &samples {
            whole.push(t, v, &mut closed_whole);
        }
        let mut a = Accumulator::new(Resolution::Minute);
        let mut closed = Vec::new();
        for &(t, v) in &samples[..2] {
            a.push(t, v, &mut closed);
        }
        // saved: the closed first minute; the open second one was never saved (replayed from raw)
        let mut b = Accumulator::restore(Resolution::Minute, closed[0].clone(), true);
        let mut again = Vec::new();
        for &(t, v) in &samples[1..] {
            b.push(t, v, &mut again);
        }
        assert_eq!(b.open(), whole.open());
        assert_eq!(
            whole.open().unwrap().covered_us,
            40_000_000,
            "2.0 held from the minute's start"
        );
    }
}
