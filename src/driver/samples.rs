//! A driver's sample channel to the hub, with its delivery promise: the hub always gets each tag's latest
//! value, and what overload costs is counted.
//!
//! Batches go through a bounded channel, in order, so history keeps every sample while the hub keeps up.
//! When the channel is full the driver never blocks and never drops: it folds the batch into an overflow
//! slot that keeps one sample per tag, the newest (the replaced ones are counted as coalesced), and keeps
//! folding into it until the hub has taken it. The hub takes the slot after the batches queued before it,
//! so a tag never goes back to an older value. The slot's lock is held only to copy samples, never across
//! I/O. This module owns the channel and the slot; what the hub does with a backlog is the hub's.

use super::DriverStats;
use crate::tag::{DriverId, Sample, TagId};
use crossbeam_channel::{Receiver, Sender, TryRecvError, TrySendError, bounded};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

/// Samples from one driver, in the order they were read.
#[derive(Debug)]
pub struct SampleBatch {
    pub driver: DriverId,
    pub samples: Vec<Sample>,
    /// When the driver handed the batch over: the hub measures how far behind it is by it.
    pub queued: Instant,
}

impl SampleBatch {
    pub fn new(driver: DriverId, samples: Vec<Sample>) -> Self {
        Self {
            driver,
            samples,
            queued: Instant::now(),
        }
    }
}

/// The newest sample of each tag that did not fit in the channel, in first-seen order.
#[derive(Default)]
struct Held {
    samples: Vec<Sample>,
    slot: HashMap<TagId, usize>,
    since: Option<Instant>,
}

#[derive(Default)]
struct Overflow {
    /// Set (under the lock) while `held` has samples: the driver keeps folding into the slot until the hub
    /// has taken it, or a batch sent to the channel meanwhile would be overtaken by older held values.
    pending: AtomicBool,
    held: Mutex<Held>,
    receiver_gone: AtomicBool,
}

impl Overflow {
    fn lock(&self) -> MutexGuard<'_, Held> {
        // A panic while copying samples leaves a usable (if partial) slot: take it rather than stop the data.
        self.held.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A bounded sample channel for one driver.
pub fn sample_channel(driver: DriverId, capacity: usize, stats: Arc<DriverStats>) -> (SampleSender, SampleReceiver) {
    let (tx, rx) = bounded(capacity);
    let overflow = Arc::new(Overflow::default());
    (
        SampleSender {
            driver,
            tx,
            stats,
            overflow: overflow.clone(),
        },
        SampleReceiver { rx, overflow },
    )
}

/// A driver's end of its sample channel. Never blocks and never loses a tag's latest value.
#[derive(Clone)]
pub struct SampleSender {
    driver: DriverId,
    tx: Sender<SampleBatch>,
    stats: Arc<DriverStats>,
    overflow: Arc<Overflow>,
}

use super::HubGone;

impl SampleSender {
    /// The counters this sender writes.
    pub fn stats(&self) -> &DriverStats {
        &self.stats
    }

    pub fn send(&self, samples: Vec<Sample>) -> Result<(), HubGone> {
        if samples.is_empty() {
            return Ok(());
        }
        // Under the slot's lock (uncontended but for the hub taking the slot, which copies nothing): clones
        // of this sender on other threads must not slip a batch into the channel while the slot is pending.
        let mut held = self.overflow.lock();
        if self.overflow.pending.load(Ordering::Acquire) {
            self.fold(&mut held, samples);
            return self.alive();
        }
        let n = samples.len() as u64;
        match self.tx.try_send(SampleBatch::new(self.driver, samples)) {
            Ok(()) => {
                self.stats.samples_sent.fetch_add(n, Ordering::Relaxed);
                Ok(())
            }
            Err(TrySendError::Full(batch)) => {
                self.fold(&mut held, batch.samples);
                Ok(())
            }
            Err(TrySendError::Disconnected(_)) => Err(HubGone),
        }
    }

    fn alive(&self) -> Result<(), HubGone> {
        // A receiver gone while the slot is pending: nobody will take it.
        if self.overflow.receiver_gone.load(Ordering::Acquire) {
            Err(HubGone)
        } else {
            Ok(())
        }
    }

    /// Keeps the newest sample of each tag; the ones replaced are counted as coalesced.
    fn fold(&self, held: &mut Held, samples: Vec<Sample>) {
        let mut replaced = 0;
        let n = samples.len() as u64;
        for s in samples {
            match held.slot.get(&s.tag) {
                Some(&i) => {
                    held.samples[i] = s;
                    replaced += 1;
                }
                None => {
                    held.slot.insert(s.tag, held.samples.len());
                    held.samples.push(s);
                }
            }
        }
        held.since.get_or_insert_with(Instant::now);
        self.overflow.pending.store(true, Ordering::Release);
        self.stats.samples_sent.fetch_add(n, Ordering::Relaxed);
        self.stats.record_coalesced(replaced);
    }
}

/// The hub's end of a driver's sample channel.
pub struct SampleReceiver {
    rx: Receiver<SampleBatch>,
    overflow: Arc<Overflow>,
}

impl SampleReceiver {
    /// The next queued batch.
    pub fn try_recv(&self) -> Result<SampleBatch, TryRecvError> {
        self.rx.try_recv()
    }

    /// Batches waiting in the channel (the overflow slot not counted).
    pub fn len(&self) -> usize {
        self.rx.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rx.is_empty() && !self.overflow.pending.load(Ordering::Acquire)
    }

    /// The channel, for `crossbeam_channel::Select`. The slot fills only while the channel is full, so the
    /// hub is awake when it starts; the hub also looks at every slot at housekeeping, so a slot the hub
    /// missed waits 100 ms at most.
    pub fn channel(&self) -> &Receiver<SampleBatch> {
        &self.rx
    }

    /// The overflow slot's samples, one per tag, newest values, as one batch; `None` when empty, or while
    /// the channel still holds batches queued before the slot filled (they are older and go first).
    pub fn take_overflow(&self, driver: DriverId) -> Option<SampleBatch> {
        // Under the lock before looking: a sender folding right now sets `pending` only when its copy is
        // done, and a look without the lock would miss the slot it is filling.
        let mut held = self.overflow.lock();
        if !self.overflow.pending.load(Ordering::Acquire) {
            return None;
        }
        // While the slot is pending nothing enters the channel, so once it is empty it stays so until the
        // slot is taken.
        if !self.rx.is_empty() {
            return None;
        }
        let samples = std::mem::take(&mut held.samples);
        held.slot.clear();
        let since = held.since.take();
        self.overflow.pending.store(false, Ordering::Release);
        drop(held);
        (!samples.is_empty()).then(|| SampleBatch {
            driver,
            samples,
            queued: since.unwrap_or_else(Instant::now),
        })
    }
}

/// A receiving end over a bare channel, with no overflow slot: for benches and tests that feed the hub
/// batches themselves (blocking on a full queue, to measure what the hub can take).
impl From<Receiver<SampleBatch>> for SampleReceiver {
    fn from(rx: Receiver<SampleBatch>) -> Self {
        Self {
            rx,
            overflow: Arc::new(Overflow::default()),
        }
    }
}

impl Drop for SampleReceiver {
    fn drop(&mut self) {
        self.overflow.receiver_gone.store(true, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tag::{Timestamp, Value};

    fn s(tag: u32, v: f64) -> Sample {
        Sample::good(TagId(tag), Value::F64(v), Timestamp(v as i64))
    }

    #[test]
    fn a_full_channel_keeps_each_tags_newest_value_and_counts_the_rest() {
        let stats = Arc::new(DriverStats::default());
        let (tx, rx) = sample_channel(DriverId(0), 1, stats.clone());
        tx.send(vec![s(0, 1.0), s(1, 1.0)]).unwrap();
        // Full: folded into the slot, one sample per tag.
        tx.send(vec![s(0, 2.0), s(1, 2.0)]).unwrap();
        tx.send(vec![s(0, 3.0), s(2, 3.0)]).unwrap();
        assert_eq!(stats.samples_coalesced(), 1, "only tag 0's 2.0 was replaced");
        // The channel has room again, but the slot is pending: the next batch still folds in, or it would
        // reach the hub before the older values held in the slot.
        assert_eq!(rx.try_recv().unwrap().samples, vec![s(0, 1.0), s(1, 1.0)]);
        tx.send(vec![s(1, 4.0)]).unwrap();
        assert!(rx.try_recv().is_err(), "nothing overtakes the slot");
        assert_eq!(stats.samples_coalesced(), 2);
        let held = rx.take_overflow(DriverId(0)).unwrap();
        assert_eq!(held.samples, vec![s(0, 3.0), s(1, 4.0), s(2, 3.0)]);
        assert!(rx.take_overflow(DriverId(0)).is_none());
        // Taken: the channel carries every sample again; a slot filled behind a queued batch waits for it.
        tx.send(vec![s(0, 5.0)]).unwrap();
        tx.send(vec![s(0, 6.0)]).unwrap();
        assert!(
            rx.take_overflow(DriverId(0)).is_none(),
            "the channel's older batch goes first"
        );
        assert_eq!(rx.try_recv().unwrap().samples, vec![s(0, 5.0)]);
        assert_eq!(rx.take_overflow(DriverId(0)).unwrap().samples, vec![s(0, 6.0)]);
        assert_eq!(stats.samples_sent(), 9, "every sample handed over is counted as sent");
        drop(rx);
        assert!(
            tx.send(vec![s(0, 7.0)]).is_err(),
            "a gone hub is reported to the driver"
        );
    }
}
