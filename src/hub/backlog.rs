//! Coalescing a backlog: many batches of one driver become one batch holding each tag's newest sample, in
//! the order tags first appeared. O(1) per sample (a slot per tag id, no hashing), no allocation once warm.

use crate::tag::Sample;

pub(super) struct Coalescer {
    /// Per tag id: its index in `kept`, or `NONE`.
    slot: Vec<u32>,
    kept: Vec<Sample>,
}

const NONE: u32 = u32::MAX;

impl Coalescer {
    pub(super) fn new(tags: usize) -> Self {
        Self {
            slot: vec![NONE; tags],
            kept: Vec::new(),
        }
    }

    /// Folds a batch in; later samples of a tag replace earlier ones.
    pub(super) fn add(&mut self, samples: Vec<Sample>) {
        for s in samples {
            let t = s.tag.index();
            if t >= self.slot.len() {
                // A tag the directory does not know: the table refuses it as it would uncoalesced.
                self.kept.push(s);
                continue;
            }
            match self.slot[t] {
                NONE => {
                    self.slot[t] = self.kept.len() as u32;
                    self.kept.push(s);
                }
                k => self.kept[k as usize] = s,
            }
        }
    }

    /// The coalesced samples; the coalescer is empty again.
    pub(super) fn take(&mut self) -> Vec<Sample> {
        for s in &self.kept {
            if let Some(slot) = self.slot.get_mut(s.tag.index()) {
                *slot = NONE;
            }
        }
        std::mem::take(&mut self.kept)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tag::{TagId, Timestamp, Value};

    #[test]
    fn each_tag_keeps_its_newest_sample_in_first_seen_order() {
        let s = |t: u32, v: f64| Sample::good(TagId(t), Value::F64(v), Timestamp(0));
        let mut c = Coalescer::new(4);
        c.add(vec![s(2, 1.0), s(0, 1.0)]);
        c.add(vec![s(0, 2.0), s(9, 1.0), s(2, 3.0)]);
        assert_eq!(c.take(), vec![s(2, 3.0), s(0, 2.0), s(9, 1.0)]);
        c.add(vec![s(0, 4.0)]);
        assert_eq!(c.take(), vec![s(0, 4.0)], "empty again after take");
    }
}
