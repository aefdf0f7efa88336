//! Sliding windows over one tag, for `avg(TAG, W)` and `rate(TAG, W)`, in bounded memory.
//!
//! A window is cut into `BUCKETS` equal buckets on the hub's clock (the `now` of each evaluation, as trip
//! rates use the receive time: a source clock may be off or run at simulator speed). Memory is fixed
//! whatever the sample rate: a 10 kHz tag and a 1 Hz tag cost the same. The price is resolution: the
//! window slides in steps of 1/`BUCKETS` of its length (1 s for a 60 s window).
//!
//! Pure: no clock of its own; `observe` is told the time. Must not read tags: the evaluator hands it the
//! tag's value, or `None` while the tag is bad.

use crate::tag::Timestamp;
use std::time::Duration;

/// Buckets a window is cut into: its resolution.
pub(super) const BUCKETS: usize = 60;
/// One more bucket than the window holds, so the oldest reading of a full window is still kept.
const RING: usize = BUCKETS + 1;
/// The share of the window an average needs good data for, before it gives a value.
const AVG_MIN_COVER: f64 = 0.5;
/// Shortest and longest windows: below 100 ms a window is shorter than most scan periods; a day of
/// buckets is still 24 minutes each.
pub(super) const MIN_WINDOW: Duration = Duration::from_millis(100);
pub(super) const MAX_WINDOW: Duration = Duration::from_secs(24 * 3600);
/// `rate(TAG)` without a window: one minute, so the result reads as units per minute over a minute.
pub(super) const DEFAULT_RATE_WINDOW: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum WindowKind {
    /// Time-weighted average.
    Avg,
    /// Change per minute.
    Rate,
}

/// One `avg` or `rate` of a compiled expression: which input it watches, and how long.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct WindowSpec {
    /// Index into the expression's inputs.
    pub input: u16,
    pub kind: WindowKind,
    pub length: Duration,
}

/// The run-time state of one window.
#[derive(Debug, Clone)]
pub(super) struct Window {
    /// Bucket width, µs (at least 1).
    width: i64,
    /// Number of the newest bucket written; the ring holds buckets `newest − RING + 1 ..= newest`.
    newest: Option<i64>,
    data: Data,
}

#[derive(Debug, Clone)]
enum Data {
    Avg {
        /// Per bucket: ∫ value dt (value × µs) and the time with a good value (µs).
        area: [f64; RING],
        covered: [f64; RING],
        /// The value held since (µs), while the tag is good: it counts until the next observation.
        held: Option<(i64, f64)>,
    },
    Rate {
        /// Per bucket: the last reading in it (µs, value); `i64::MIN` marks an empty bucket.
        last: [(i64, f64); RING],
    },
}

const EMPTY: (i64, f64) = (i64::MIN, 0.0);

impl Window {
    pub(super) fn new(spec: &WindowSpec) -> Self {
        let length = i64::try_from(spec.length.as_micros()).unwrap_or(i64::MAX);
        let data = match spec.kind {
            WindowKind::Avg => Data::Avg {
                area: [0.0; RING],
                covered: [0.0; RING],
                held: None,
            },
            WindowKind::Rate => Data::Rate { last: [EMPTY; RING] },
        };
        Self {
            width: (length / BUCKETS as i64).max(1),
            newest: None,
            data,
        }
    }

    fn bucket(&self, t: i64) -> i64 {
        t.div_euclid(self.width)
    }

    fn slot(k: i64) -> usize {
        // rem_euclid of a positive modulus is in 0..RING.
        usize::try_from(k.rem_euclid(RING as i64)).unwrap_or(0)
    }

    /// Whether bucket `k` is still held in the ring.
    fn kept(&self, k: i64) -> bool {
        self.newest.is_some_and(|n| k <= n && k > n - RING as i64)
    }

    /// Moves the ring forward to bucket `k`, emptying the buckets that fall out.
    fn advance(&mut self, k: i64) {
        let from = match self.newest {
            Some(n) if k <= n => return,
            Some(n) => n,
            None => k - RING as i64,
        };
        let gap = (k - from).min(RING as i64);
        for j in 0..gap {
            let s = Self::slot(k - j);
            match &mut self.data {
                Data::Avg { area, covered, .. } => {
                    area[s] = 0.0;
                    covered[s] = 0.0;
                }
                Data::Rate { last } => last[s] = EMPTY,
            }
        }
        self.newest = Some(k);
    }

    /// The tag's value at `now` (`None`: bad). Called on every evaluation, whatever branch of the
    /// expression is taken, so the window sees every value the tag held.
    pub(super) fn observe(&mut self, now: Timestamp, x: Option<f64>) {
        let t = now.micros();
        let k = self.bucket(t);
        self.advance(k);
        let width = self.width;
        let oldest_kept = self.newest.map_or(k, |n| n - RING as i64 + 1) * width;
        // A clock stepped back past the ring has no bucket to write to.
        let k_kept = self.kept(k);
        match &mut self.data {
            Data::Avg { area, covered, held } => {
                if let Some((since, v)) = *held {
                    // The held value counts from `since` to now, bucket by bucket; what is older than the
                    // ring has left the window already. A clock that stepped back adds nothing.
                    let mut a = since.max(oldest_kept);
                    while a < t {
                        let b = ((a.div_euclid(width) + 1) * width).min(t);
                        let s = Self::slot(a.div_euclid(width));
                        let dt = (b - a) as f64;
                        area[s] += v * dt;
                        covered[s] += dt;
                        a = b;
                    }
                }
                *held = x.map(|x| (t, x));
            }
            Data::Rate { last } => {
                if let Some(x) = x
                    && k_kept
                {
                    last[Self::slot(k)] = (t, x);
                }
            }
        }
    }

    /// The window's result at `now` (just after `observe(now, …)`), or `None` while it has too little
    /// data: an average wants good data over half the window, a rate a reading a whole window old.
    pub(super) fn value(&self, now: Timestamp) -> Option<f64> {
        let t = now.micros();
        let k_now = self.bucket(t);
        let window_us = (self.width * BUCKETS as i64) as f64;
        match &self.data {
            Data::Avg { area, covered, .. } => {
                let (mut sum, mut time) = (0.0, 0.0);
                for k in (k_now - BUCKETS as i64 + 1..=k_now).filter(|&k| self.kept(k)) {
                    sum += area[Self::slot(k)];
                    time += covered[Self::slot(k)];
                }
                (time > 0.0 && time >= AVG_MIN_COVER * window_us).then(|| sum / time)
            }
            Data::Rate { last } => {
                let (t1, x1) = last[Self::slot(k_now)];
                if t1 == i64::MIN || !self.kept(k_now) {
                    return None;
                }
                // The oldest reading kept: about one window before now.
                let (t0, x0) = (k_now - BUCKETS as i64..k_now)
                    .filter(|&k| self.kept(k))
                    .map(|k| last[Self::slot(k)])
                    .find(|&(t, _)| t != i64::MIN)?;
                let span = (t1 - t0) as f64;
                // A whole window, give or take a bucket or the 1 s tick that evaluates a steady input (its
                // jitter must not make a good rate read as no data); the slope is over the span really held.
                let least = (window_us - (self.width as f64).max(1.5e6)).max(window_us / 2.0);
                (span > 0.0 && span >= least).then(|| (x1 - x0) / span * 60e6)
            }
        }
    }
}
