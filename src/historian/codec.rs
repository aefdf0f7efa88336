//! The compressed chunk: one tag's samples (timestamp, value, quality) in a few bits each, lossless.
//!
//! Timestamps: delta-of-delta in prefix classes (Gorilla, VLDB 2015), so a steady scan costs one bit.
//! Values: numbers with a decimal resolution (a 16-bit register scaled by 0.1, a sensor read to 0.01) are
//! stored as integers of that resolution, bit-packed deltas in blocks of 32; numbers without one fall back
//! to Gorilla XOR. Every decoded number is bit-for-bit the one stored: the decimal form is used only when
//! `k / 10^d` reproduces the value exactly. Quality is stored as runs, so it costs nothing until it changes.
//! Pure: no SQLite, no threads.

use super::bits::{BitReader, BitWriter, unzigzag, width, zigzag};
use crate::tag::{BadReason, Quality, Value, ValueKind};
use std::ops::Range;
use std::sync::Arc;

const VERSION: u64 = 1;
/// Most decimals tried for the integer form: beyond that, sensor data is not decimal.
const MAX_DECIMALS: u32 = 9;
const BLOCK: usize = 32;
const POW10: [f64; 10] = [1.0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    #[error("chunk ends before its last field")]
    Truncated,
    #[error("chunk format {0} is not known to this version")]
    Version(u64),
    #[error("chunk field out of range: {0}")]
    Corrupt(&'static str),
}

/// Quality as stored: the tag's quality, and whether the sample carried a value (a comm failure has none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredQuality {
    pub quality: Quality,
    pub has_value: bool,
}

impl StoredQuality {
    pub fn code(self) -> u64 {
        let q = match self.quality {
            Quality::Good => 0,
            Quality::Uncertain => 1,
            Quality::Bad(r) => match r {
                BadReason::WaitingForData => 2,
                BadReason::CommFail => 3,
                BadReason::Stale => 4,
                BadReason::SensorFail => 5,
                BadReason::ConfigError => 6,
                BadReason::OutOfRange => 7,
                // Codes are stored in history: a new reason takes the next number, never an old one.
                BadReason::MathError => 8,
            },
        };
        q | if self.has_value { 0 } else { 0x80 }
    }

    pub fn from_code(c: u64) -> Result<Self, CodecError> {
        let quality = match c & 0x7f {
            0 => Quality::Good,
            1 => Quality::Uncertain,
            2 => Quality::Bad(BadReason::WaitingForData),
            3 => Quality::Bad(BadReason::CommFail),
            4 => Quality::Bad(BadReason::Stale),
            5 => Quality::Bad(BadReason::SensorFail),
            6 => Quality::Bad(BadReason::ConfigError),
            7 => Quality::Bad(BadReason::OutOfRange),
            8 => Quality::Bad(BadReason::MathError),
            _ => return Err(CodecError::Corrupt("quality code")),
        };
        Ok(Self {
            quality,
            has_value: c & 0x80 == 0,
        })
    }

    /// Whether a trend draws this sample as a line (good or uncertain with a value) rather than a gap.
    pub fn plottable(self) -> bool {
        self.has_value && !self.quality.is_bad()
    }
}

/// One column of values, typed by the tag's kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    F64(Vec<f64>),
    I64(Vec<i64>),
    Bool(Vec<bool>),
    Str(Vec<Arc<str>>),
}

impl Column {
    pub fn new(kind: ValueKind) -> Self {
        match kind {
            ValueKind::F64 => Column::F64(Vec::new()),
            ValueKind::I64 => Column::I64(Vec::new()),
            ValueKind::Bool => Column::Bool(Vec::new()),
            ValueKind::String => Column::Str(Vec::new()),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Column::F64(v) => v.len(),
            Column::I64(v) => v.len(),
            Column::Bool(v) => v.len(),
            Column::Str(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Numeric view for trends and rollups; strings have none.
    #[inline]
    pub fn f64_at(&self, i: usize) -> Option<f64> {
        match self {
            Column::F64(v) => Some(v[i]),
            Column::I64(v) => Some(v[i] as f64),
            Column::Bool(v) => Some(if v[i] { 1.0 } else { 0.0 }),
            Column::Str(_) => None,
        }
    }

    pub fn value_at(&self, i: usize) -> Value {
        match self {
            Column::F64(v) => Value::F64(v[i]),
            Column::I64(v) => Value::I64(v[i]),
            Column::Bool(v) => Value::Bool(v[i]),
            Column::Str(v) => Value::Str(v[i].clone()),
        }
    }

    /// Appends `value` when it fits the column and says so; otherwise repeats the last entry, so indices
    /// stay aligned, and the caller stores the sample as valueless.
    fn push(&mut self, value: Option<&Value>) -> bool {
        match (&mut *self, value) {
            (Column::F64(v), Some(Value::F64(x))) => v.push(*x),
            (Column::F64(v), Some(Value::I64(x))) => v.push(*x as f64),
            (Column::I64(v), Some(Value::I64(x))) => v.push(*x),
            (Column::Bool(v), Some(Value::Bool(x))) => v.push(*x),
            (Column::Str(v), Some(Value::Str(x))) => v.push(x.clone()),
            (Column::F64(v), _) => {
                v.push(v.last().copied().unwrap_or(0.0));
                return false;
            }
            (Column::I64(v), _) => {
                v.push(v.last().copied().unwrap_or(0));
                return false;
            }
            (Column::Bool(v), _) => {
                v.push(v.last().copied().unwrap_or(false));
                return false;
            }
            (Column::Str(v), _) => {
                v.push(v.last().cloned().unwrap_or_else(|| Arc::from("")));
                return false;
            }
        }
        true
    }

    fn drain_front(&mut self, k: usize) {
        match self {
            Column::F64(v) => drop(v.drain(..k)),
            Column::I64(v) => drop(v.drain(..k)),
            Column::Bool(v) => drop(v.drain(..k)),
            Column::Str(v) => drop(v.drain(..k)),
        }
    }
}

/// Samples of one tag in time order: the writer's open chunk, and what a query decodes.
#[derive(Debug, Clone, PartialEq)]
pub struct Chunk {
    /// Microseconds since the epoch, non-decreasing.
    pub ts: Vec<i64>,
    pub values: Column,
    /// (first sample index, quality) wherever the quality changes; the first run starts at 0.
    pub runs: Vec<(u32, StoredQuality)>,
}

impl Chunk {
    pub fn new(kind: ValueKind) -> Self {
        Self {
            ts: Vec::new(),
            values: Column::new(kind),
            runs: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.ts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ts.is_empty()
    }

    /// Appends a sample; a value of the wrong type or none is stored as "no value" under its quality.
    pub fn push(&mut self, ts: i64, value: Option<&Value>, quality: Quality) {
        let has_value = self.values.push(value);
        let q = StoredQuality { quality, has_value };
        if self.runs.last().is_none_or(|&(_, last)| last != q) {
            self.runs.push((self.ts.len() as u32, q));
        }
        self.ts.push(ts);
    }

    pub fn quality_at(&self, i: usize) -> StoredQuality {
        let k = self.runs.partition_point(|&(start, _)| start as usize <= i);
        self.runs[k.saturating_sub(1)].1
    }

    /// Forgets the first `k` samples (they are stored elsewhere now).
    pub fn drain_front(&mut self, k: usize) {
        if k == 0 {
            return;
        }
        let first_kept = if k < self.len() { Some(self.quality_at(k)) } else { None };
        self.ts.drain(..k);
        self.values.drain_front(k);
        self.runs.retain(|&(start, _)| start as usize >= k);
        for r in &mut self.runs {
            r.0 -= k as u32;
        }
        if let Some(q) = first_kept
            && self.runs.first().is_none_or(|&(s, _)| s != 0)
        {
            self.runs.insert(0, (0, q));
        }
    }

    /// Encodes samples `range` as a standalone chunk.
    pub fn encode_range(&self, range: Range<usize>) -> Vec<u8> {
        let n = range.len();
        let mut w = BitWriter::with_capacity(16 + n * 2);
        w.put(VERSION, 8);
        w.put(n as u64, 32);
        encode_times(&mut w, &self.ts[range.clone()]);
        match &self.values {
            Column::F64(v) => {
                w.put(0, 2);
                encode_f64(&mut w, &v[range.clone()]);
            }
            Column::I64(v) => {
                w.put(1, 2);
                encode_ints(&mut w, v[range.clone()].iter().copied());
            }
            Column::Bool(v) => {
                w.put(2, 2);
                encode_ints(&mut w, v[range.clone()].iter().map(|&b| i64::from(b)));
            }
            Column::Str(v) => {
                w.put(3, 2);
                encode_strs(&mut w, &v[range.clone()]);
            }
        }
        let first = (!range.is_empty()).then(|| (0, self.quality_at(range.start)));
        let inner: Vec<(u32, StoredQuality)> = first
            .into_iter()
            .chain(
                self.runs
                    .iter()
                    .filter(|&&(s, _)| (s as usize) > range.start && (s as usize) < range.end)
                    .map(|&(s, q)| (s - range.start as u32, q)),
            )
            .collect();
        w.put(inner.len() as u64, 32);
        for (start, q) in inner {
            w.put(u64::from(start), 32);
            w.put(q.code(), 8);
        }
        w.finish()
    }

    pub fn encode(&self) -> Vec<u8> {
        self.encode_range(0..self.len())
    }

    pub fn decode(bytes: &[u8]) -> Result<Chunk, CodecError> {
        let mut r = BitReader::new(bytes);
        let version = r.get(8)?;
        if version != VERSION {
            return Err(CodecError::Version(version));
        }
        let n = r.get(32)? as usize;
        // A corrupt count must not make us allocate gigabytes: every sample costs at least one bit.
        if n > bytes.len() * 8 {
            return Err(CodecError::Corrupt("sample count"));
        }
        let ts = decode_times(&mut r, n)?;
        let values = match r.get(2)? {
            0 => Column::F64(decode_f64(&mut r, n)?),
            1 => Column::I64(decode_ints(&mut r, n)?),
            2 => Column::Bool(decode_ints(&mut r, n)?.into_iter().map(|x| x != 0).collect()),
            _ => Column::Str(decode_strs(&mut r, n)?),
        };
        let nruns = r.get(32)? as usize;
        if n > 0 && (nruns == 0 || nruns > n) {
            return Err(CodecError::Corrupt("quality runs"));
        }
        let mut runs = Vec::with_capacity(nruns);
        for _ in 0..nruns {
            let start = r.get(32)? as u32;
            let q = StoredQuality::from_code(r.get(8)?)?;
            if start as usize >= n || runs.last().is_some_and(|&(s, _)| s >= start) {
                return Err(CodecError::Corrupt("quality run start"));
            }
            runs.push((start, q));
        }
        if runs.first().is_some_and(|&(s, _)| s != 0) {
            return Err(CodecError::Corrupt("first quality run"));
        }
        Ok(Chunk { ts, values, runs })
    }
}

// Delta-of-delta classes: (prefix bits, prefix, payload bits). A steady scan is '0'.
const TIME_CLASSES: [(u32, u64, u32); 5] = [
    (2, 0b10, 7),
    (3, 0b110, 9),
    (4, 0b1110, 12),
    (5, 0b11110, 20),
    (5, 0b11111, 64),
];

fn encode_times(w: &mut BitWriter, ts: &[i64]) {
    let Some(&first) = ts.first() else { return };
    w.put_wide(first as u64, 64);
    let (mut prev, mut prev_delta) = (first, 0i64);
    for &t in &ts[1..] {
        let delta = t.wrapping_sub(prev);
        let dod = zigzag(delta.wrapping_sub(prev_delta));
        if dod == 0 {
            w.put(0, 1);
        } else {
            let bits = width(dod);
            // The last class is 64 bits wide: every delta-of-delta fits one.
            let &(pl, p, payload) = TIME_CLASSES
                .iter()
                .find(|c| bits <= c.2)
                .unwrap_or(&TIME_CLASSES[TIME_CLASSES.len() - 1]);
            w.put(p, pl);
            w.put_wide(dod, payload);
        }
        prev = t;
        prev_delta = delta;
    }
}

fn decode_times(r: &mut BitReader, n: usize) -> Result<Vec<i64>, CodecError> {
    let mut out = Vec::with_capacity(n);
    if n == 0 {
        return Ok(out);
    }
    let first = r.get_wide(64)? as i64;
    out.push(first);
    let (mut prev, mut prev_delta) = (first, 0i64);
    for _ in 1..n {
        let class = r.unary(4)?;
        let dod = match class {
            0 => 0,
            1..=3 => r.get(TIME_CLASSES[class as usize - 1].2)?,
            _ => {
                if r.get_bit()? {
                    r.get_wide(64)?
                } else {
                    r.get(20)?
                }
            }
        };
        let delta = prev_delta.wrapping_add(unzigzag(dod));
        prev = prev.wrapping_add(delta);
        prev_delta = delta;
        out.push(prev);
    }
    Ok(out)
}

/// The fewest decimals `d` for which every value is exactly `k / 10^d` for an integer `k`.
fn decimal_resolution(values: &[f64]) -> Option<u32> {
    let mut d = 0u32;
    for &v in values {
        loop {
            // Through i64 and back, exactly as the decoder will: -0.0 and NaN take the XOR form.
            let k = (v * POW10[d as usize]).round();
            if k.abs() < 9.0e15 && ((k as i64) as f64 / POW10[d as usize]).to_bits() == v.to_bits() {
                break;
            }
            d += 1;
            if d > MAX_DECIMALS {
                return None;
            }
        }
    }
    Some(d)
}

fn encode_f64(w: &mut BitWriter, v: &[f64]) {
    match decimal_resolution(v) {
        Some(d) => {
            w.put(0, 1);
            w.put(u64::from(d), 4);
            let scale = POW10[d as usize];
            encode_ints(w, v.iter().map(|x| (x * scale).round() as i64));
        }
        None => {
            w.put(1, 1);
            encode_xor(w, v);
        }
    }
}

fn decode_f64(r: &mut BitReader, n: usize) -> Result<Vec<f64>, CodecError> {
    if r.get_bit()? {
        return decode_xor(r, n);
    }
    let d = r.get(4)? as usize;
    let scale = *POW10.get(d).ok_or(CodecError::Corrupt("decimals"))?;
    let ints = decode_ints(r, n)?;
    Ok(ints.into_iter().map(|k| k as f64 / scale).collect())
}

/// First value whole, then zigzag deltas bit-packed per block of 32 at the block's widest width.
fn encode_ints(w: &mut BitWriter, values: impl Iterator<Item = i64> + Clone) {
    let mut it = values.clone();
    let Some(first) = it.next() else { return };
    w.put_wide(zigzag(first), 64);
    let mut prev = first;
    let deltas: Vec<u64> = it
        .map(|x| {
            let d = zigzag(x.wrapping_sub(prev));
            prev = x;
            d
        })
        .collect();
    for block in deltas.chunks(BLOCK) {
        let bits = block.iter().map(|&d| width(d)).max().unwrap_or(0);
        w.put(u64::from(bits), 7);
        for &d in block {
            w.put_wide(d, bits);
        }
    }
}

fn decode_ints(r: &mut BitReader, n: usize) -> Result<Vec<i64>, CodecError> {
    let mut out = Vec::with_capacity(n);
    if n == 0 {
        return Ok(out);
    }
    let mut prev = unzigzag(r.get_wide(64)?);
    out.push(prev);
    let mut left = n - 1;
    while left > 0 {
        let bits = r.get(7)? as u32;
        if bits > 64 {
            return Err(CodecError::Corrupt("delta width"));
        }
        let take = left.min(BLOCK);
        for _ in 0..take {
            prev = prev.wrapping_add(unzigzag(r.get_wide(bits)?));
            out.push(prev);
        }
        left -= take;
    }
    Ok(out)
}

fn encode_xor(w: &mut BitWriter, v: &[f64]) {
    let Some(&first) = v.first() else { return };
    let mut prev = first.to_bits();
    w.put_wide(prev, 64);
    let (mut lead, mut trail) = (u32::MAX, 0u32);
    for &x in &v[1..] {
        let bits = x.to_bits();
        let xor = bits ^ prev;
        prev = bits;
        if xor == 0 {
            w.put(0, 1);
            continue;
        }
        w.put(1, 1);
        let l = xor.leading_zeros().min(31);
        let t = xor.trailing_zeros();
        if lead != u32::MAX && l >= lead && t >= trail {
            w.put(0, 1);
            w.put_wide(xor >> trail, 64 - lead - trail);
        } else {
            let len = 64 - l - t;
            w.put(1, 1);
            w.put(u64::from(l), 5);
            w.put(u64::from(len - 1), 6);
            w.put_wide(xor >> t, len);
            (lead, trail) = (l, t);
        }
    }
}

fn decode_xor(r: &mut BitReader, n: usize) -> Result<Vec<f64>, CodecError> {
    let mut out = Vec::with_capacity(n);
    if n == 0 {
        return Ok(out);
    }
    let mut prev = r.get_wide(64)?;
    out.push(f64::from_bits(prev));
    let (mut lead, mut trail) = (u32::MAX, 0u32);
    for _ in 1..n {
        if r.get_bit()? {
            if r.get_bit()? {
                let l = r.get(5)? as u32;
                let len = r.get(6)? as u32 + 1;
                if l + len > 64 {
                    return Err(CodecError::Corrupt("xor window"));
                }
                (lead, trail) = (l, 64 - l - len);
            } else if lead == u32::MAX {
                return Err(CodecError::Corrupt("xor window before the first"));
            }
            let xor = r.get_wide(64 - lead - trail)? << trail;
            prev ^= xor;
        }
        out.push(f64::from_bits(prev));
    }
    Ok(out)
}

fn encode_strs(w: &mut BitWriter, v: &[Arc<str>]) {
    let mut dict: Vec<&Arc<str>> = Vec::new();
    let idx: Vec<i64> = v
        .iter()
        .map(|s| match dict.iter().position(|d| d == &s) {
            Some(i) => i as i64,
            None => {
                dict.push(s);
                (dict.len() - 1) as i64
            }
        })
        .collect();
    w.put(dict.len() as u64, 32);
    for s in dict {
        w.put(s.len() as u64, 32);
        for &b in s.as_bytes() {
            w.put(u64::from(b), 8);
        }
    }
    encode_ints(w, idx.into_iter());
}

fn decode_strs(r: &mut BitReader, n: usize) -> Result<Vec<Arc<str>>, CodecError> {
    let size = r.get(32)? as usize;
    if size > n {
        return Err(CodecError::Corrupt("string dictionary size"));
    }
    let mut dict = Vec::with_capacity(size);
    for _ in 0..size {
        let len = r.get(32)? as usize;
        if len > 1 << 24 {
            return Err(CodecError::Corrupt("string length"));
        }
        let bytes = (0..len)
            .map(|_| r.get(8).map(|b| b as u8))
            .collect::<Result<Vec<u8>, _>>()?;
        let s = String::from_utf8(bytes).map_err(|_| CodecError::Corrupt("string is not UTF-8"))?;
        dict.push(Arc::<str>::from(s));
    }
    decode_ints(r, n)?
        .into_iter()
        .map(|i| {
            usize::try_from(i)
                .ok()
                .and_then(|i| dict.get(i).cloned())
                .ok_or(CodecError::Corrupt("string index"))
        })
        .collect()
}

#[cfg(test)]
mod tests;
