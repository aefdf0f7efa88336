//! Min/max-per-pixel decimation (M4: first, min, max, last of each pixel column). What is drawn from the
//! result is what would be drawn from every sample, at a few points per column: extremes are never lost,
//! and a bad-quality period stays a gap. Pure.

/// A pen's drawable line: segments of (seconds since the epoch, value), split at gaps.
pub type Segments = Vec<Vec<[f64; 2]>>;

#[derive(Debug, Clone, Copy)]
struct Column {
    index: i64,
    first: (i64, f64),
    min: (i64, f64),
    max: (i64, f64),
    last: (i64, f64),
}

pub struct Decimator {
    from: i64,
    span: i128,
    width: i128,
    /// Times `[start, end)` of the current column: most samples fall in it and skip the division.
    col_start: i64,
    col_end: i64,
    col_index: i64,
    segments: Segments,
    current: Vec<[f64; 2]>,
    column: Option<Column>,
    points: usize,
}

impl Decimator {
    /// Columns of `(to - from) / width` µs each, starting at `from`.
    pub fn new(from: i64, to: i64, width: usize) -> Self {
        Self {
            from,
            span: i128::from(to.saturating_sub(from).max(1)),
            width: width.max(1) as i128,
            col_start: i64::MAX,
            col_end: i64::MIN,
            col_index: 0,
            segments: Vec::new(),
            current: Vec::new(),
            column: None,
            points: 0,
        }
    }

    #[inline]
    fn column_of(&mut self, t: i64) -> i64 {
        if t >= self.col_start && t < self.col_end {
            return self.col_index;
        }
        let c = ((i128::from(t) - i128::from(self.from)) * self.width).div_euclid(self.span);
        // Column c holds t with c·span ≤ (t − from)·width < (c + 1)·span.
        let edge = |c: i128| {
            let x = c * self.span;
            let q = x.div_euclid(self.width) + i128::from(x.rem_euclid(self.width) != 0);
            i64::try_from(i128::from(self.from) + q).unwrap_or(if q < 0 { i64::MIN } else { i64::MAX })
        };
        self.col_start = edge(c);
        self.col_end = edge(c + 1);
        self.col_index = c as i64;
        self.col_index
    }

    /// A sample in time order: `Some(value)` is drawn, `None` (bad quality, no value) breaks the line.
    #[inline]
    pub fn push(&mut self, t: i64, value: Option<f64>) {
        let Some(v) = value.filter(|v| v.is_finite()) else {
            self.emit();
            if !self.current.is_empty() {
                self.segments.push(std::mem::take(&mut self.current));
            }
            return;
        };
        let index = self.column_of(t);
        match &mut self.column {
            Some(c) if c.index == index => {
                if v < c.min.1 {
                    c.min = (t, v);
                }
                if v > c.max.1 {
                    c.max = (t, v);
                }
                c.last = (t, v);
            }
            _ => {
                self.emit();
                self.column = Some(Column {
                    index,
                    first: (t, v),
                    min: (t, v),
                    max: (t, v),
                    last: (t, v),
                });
            }
        }
    }

    fn emit(&mut self) {
        let Some(c) = self.column.take() else { return };
        let mut pts = [c.first, c.min, c.max, c.last];
        pts.sort_by_key(|p| p.0);
        let mut prev: Option<(i64, f64)> = None;
        for p in pts {
            if prev.is_some_and(|q| q.0 == p.0 && q.1.to_bits() == p.1.to_bits()) {
                continue;
            }
            self.current.push([p.0 as f64 / 1e6, p.1]);
            self.points += 1;
            prev = Some(p);
        }
    }

    pub fn finish(mut self) -> Segments {
        self.emit();
        if !self.current.is_empty() {
            self.segments.push(self.current);
        }
        self.segments
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn a_few_points_per_column_and_every_column_keeps_its_extremes(
            values in prop::collection::vec(prop::option::weighted(0.97, -1000.0..1000.0f64), 1..5000),
            width in 1usize..400,
        ) {
            let (from, step) = (1_795_000_000_000_000i64, 10_000i64);
            let to = from + step * values.len() as i64;
            let mut d = Decimator::new(from, to, width);
            for (i, v) in values.iter().enumerate() {
                d.push(from + step * i as i64, *v);
            }
            let segs = d.finish();
            let mut per_col = std::collections::HashMap::<i64, Vec<f64>>::new();
            for p in segs.iter().flatten() {
                let t = (p[0] * 1e6).round() as i64;
                per_col.entry(((t - from) as i128 * width as i128 / (to - from) as i128) as i64).or_default().push(p[1]);
            }
            // each column: at most 4 points per uninterrupted run; a gap inside a column starts a new run
            let gaps = values.iter().filter(|v| v.is_none()).count();
            let max_points: usize = per_col.values().map(Vec::len).max().unwrap_or(0);
            prop_assert!(max_points <= 4 * (gaps + 1));
            let drawn: usize = segs.iter().map(Vec::len).sum();
            prop_assert!(drawn <= 4 * (width + 1) + 4 * gaps);
            // extremes of every column survive
            let mut want = std::collections::HashMap::<i64, (f64, f64)>::new();
            for (i, v) in values.iter().enumerate() {
                if let Some(v) = v {
                    let c = ((step * i as i64) as i128 * width as i128 / (to - from) as i128) as i64;
                    let e = want.entry(c).or_insert((*v, *v));
                    e.0 = e.0.min(*v);
                    e.1 = e.1.max(*v);
                }
            }
            for (c, (lo, hi)) in want {
                let got = &per_col[&c];
                prop_assert!(got.contains(&lo) && got.contains(&hi), "column {c}: {got:?} lacks {lo} or {hi}");
            }
        }
    }

    #[test]
    fn a_bad_period_is_a_gap() {
        let mut d = Decimator::new(0, 100, 10);
        for t in 0..100 {
            d.push(t, if (40..60).contains(&t) { None } else { Some(t as f64) });
        }
        let segs = d.finish();
        assert_eq!(segs.len(), 2);
        assert!(segs[0].last().unwrap()[0] < 40e-6 && segs[1][0][0] >= 60e-6);
    }
}
