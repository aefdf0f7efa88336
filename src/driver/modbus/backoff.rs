//! Reconnect delays: capped exponential backoff with full jitter, so that many consoles restarting
//! together do not hammer a recovering device in lockstep.

use rand::Rng;
use std::time::Duration;

pub struct Backoff {
    min: Duration,
    max: Duration,
    attempt: u32,
}

impl Backoff {
    pub fn new(min: Duration, max: Duration) -> Self {
        Self { min, max, attempt: 0 }
    }

    pub fn reset(&mut self) {
        self.attempt = 0;
    }

    /// The next delay: uniform in [min, min(max, min·2^attempt)].
    pub fn next_delay(&mut self, rng: &mut impl Rng) -> Duration {
        let cap = self.min.saturating_mul(1u32 << self.attempt.min(20)).min(self.max);
        self.attempt = self.attempt.saturating_add(1);
        let lo = self.min.as_secs_f64();
        let hi = cap.as_secs_f64().max(lo);
        Duration::from_secs_f64(if hi > lo { rng.random_range(lo..=hi) } else { lo })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn grows_then_caps_with_jitter() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let mut b = Backoff::new(Duration::from_millis(200), Duration::from_secs(10));
        let delays: Vec<Duration> = (0..12).map(|_| b.next_delay(&mut rng)).collect();
        assert_eq!(delays[0], Duration::from_millis(200));
        for (n, d) in delays.iter().enumerate() {
            let cap = Duration::from_millis(200)
                .saturating_mul(1 << n)
                .min(Duration::from_secs(10));
            assert!(*d >= Duration::from_millis(200) && *d <= cap, "attempt {n}: {d:?}");
        }
        assert!(
            delays[6..].iter().any(|d| *d > Duration::from_secs(2)),
            "later delays reach seconds"
        );
        b.reset();
        assert_eq!(b.next_delay(&mut rng), Duration::from_millis(200));
    }
}
