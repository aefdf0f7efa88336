//! Bit-level writer and reader for the chunk codec: most-significant bit first, at most 32 bits per call
//! (wider fields are split by the caller's helpers). Knows nothing of samples.

use super::codec::CodecError;

#[derive(Default)]
pub struct BitWriter {
    out: Vec<u8>,
    acc: u64,
    pending: u32,
}

impl BitWriter {
    pub fn with_capacity(bytes: usize) -> Self {
        Self {
            out: Vec::with_capacity(bytes),
            acc: 0,
            pending: 0,
        }
    }

    /// Appends the low `bits` bits of `value` (0..=32).
    #[inline]
    pub fn put(&mut self, value: u64, bits: u32) {
        debug_assert!(bits <= 32);
        if bits == 0 {
            return;
        }
        self.acc = (self.acc << bits) | (value & mask(bits));
        self.pending += bits;
        while self.pending >= 8 {
            self.pending -= 8;
            self.out.push((self.acc >> self.pending) as u8);
        }
    }

    #[inline]
    pub fn put_wide(&mut self, value: u64, bits: u32) {
        if bits > 32 {
            self.put(value >> 32, bits - 32);
            self.put(value, 32);
        } else {
            self.put(value, bits);
        }
    }

    #[inline]
    pub fn put_bit(&mut self, bit: bool) {
        self.put(u64::from(bit), 1);
    }

    pub fn finish(mut self) -> Vec<u8> {
        if self.pending > 0 {
            let pad = 8 - self.pending;
            self.put(0, pad);
        }
        self.out
    }
}

pub struct BitReader<'a> {
    data: &'a [u8],
    pos: usize,
    acc: u64,
    avail: u32,
}

impl<'a> BitReader<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Self {
            data,
            pos: 0,
            acc: 0,
            avail: 0,
        }
    }

    #[inline]
    fn refill(&mut self) {
        // Eight bytes at a time where the slice allows: decoding speed is query speed.
        if self.avail <= 24 && self.pos + 4 <= self.data.len() {
            let b = &self.data[self.pos..self.pos + 4];
            self.acc = (self.acc << 32) | u64::from(u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
            self.avail += 32;
            self.pos += 4;
        }
        while self.avail <= 56 && self.pos < self.data.len() {
            self.acc = (self.acc << 8) | u64::from(self.data[self.pos]);
            self.avail += 8;
            self.pos += 1;
        }
    }

    /// Reads `bits` bits (0..=32).
    #[inline]
    pub fn get(&mut self, bits: u32) -> Result<u64, CodecError> {
        debug_assert!(bits <= 32);
        if bits == 0 {
            return Ok(0);
        }
        if self.avail < bits {
            self.refill();
            if self.avail < bits {
                return Err(CodecError::Truncated);
            }
        }
        self.avail -= bits;
        Ok((self.acc >> self.avail) & mask(bits))
    }

    #[inline]
    pub fn get_wide(&mut self, bits: u32) -> Result<u64, CodecError> {
        if bits > 32 {
            let hi = self.get(bits - 32)?;
            Ok((hi << 32) | self.get(32)?)
        } else {
            self.get(bits)
        }
    }

    #[inline]
    pub fn get_bit(&mut self) -> Result<bool, CodecError> {
        Ok(self.get(1)? == 1)
    }

    /// Counts leading one bits up to `max` (consuming them and the terminating zero, if any).
    #[inline]
    pub fn unary(&mut self, max: u32) -> Result<u32, CodecError> {
        let mut n = 0;
        while n < max && self.get_bit()? {
            n += 1;
        }
        Ok(n)
    }
}

#[inline]
fn mask(bits: u32) -> u64 {
    if bits >= 64 { u64::MAX } else { (1u64 << bits) - 1 }
}

#[inline]
pub fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

#[inline]
pub fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

/// Bits needed to hold `v` (0 for 0).
#[inline]
pub fn width(v: u64) -> u32 {
    64 - v.leading_zeros()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_of_every_width_round_trip() {
        let mut w = BitWriter::default();
        let fields: Vec<(u64, u32)> = (0..=64).map(|b| (u64::MAX >> (64 - b.max(1)) & mask(b), b)).collect();
        for &(v, b) in &fields {
            w.put_wide(v, b);
        }
        let bytes = w.finish();
        let mut r = BitReader::new(&bytes);
        for &(v, b) in &fields {
            assert_eq!(r.get_wide(b).unwrap(), v, "{b} bits");
        }
    }

    #[test]
    fn zigzag_is_a_bijection_at_the_edges() {
        for v in [0, 1, -1, 63, -64, i64::MAX, i64::MIN] {
            assert_eq!(unzigzag(zigzag(v)), v);
        }
        assert_eq!(zigzag(-1), 1);
        assert_eq!(width(zigzag(-64)), 7);
    }

    #[test]
    fn reading_past_the_end_is_an_error_not_a_panic() {
        let mut r = BitReader::new(&[0xff]);
        assert_eq!(r.get(8).unwrap(), 0xff);
        assert!(r.get(1).is_err());
    }
}
