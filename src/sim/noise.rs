//! Deterministic measurement noise: one seeded generator per plant, drawn in a fixed order.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

pub struct Noise {
    rng: ChaCha8Rng,
}

impl Noise {
    pub fn new(seed: u64) -> Self {
        Self {
            rng: ChaCha8Rng::seed_from_u64(seed),
        }
    }

    /// Gaussian with standard deviation `sigma`.
    pub fn gauss(&mut self, sigma: f64) -> f64 {
        let z: f64 = StandardNormal.sample(&mut self.rng);
        z * sigma
    }

    /// Uniform in [lo, hi).
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.rng.random::<f64>()
    }
}

impl Noise {
    /// One step of an Ornstein–Uhlenbeck process around 0: slow, bounded wander (line pressures,
    /// ambient drift) with standard deviation `sigma` and correlation time `tau_s`.
    pub fn wander(&mut self, x: f64, sigma: f64, tau_s: f64, dt_s: f64) -> f64 {
        x - x * dt_s / tau_s + sigma * (2.0 * dt_s / tau_s).sqrt() * self.gauss(1.0)
    }
}

/// First-order lag toward `target` with time constant `tau_s` over `dt_s`.
pub fn lag(current: f64, target: f64, tau_s: f64, dt_s: f64) -> f64 {
    current + (target - current) * (1.0 - (-dt_s / tau_s.max(1e-9)).exp())
}

/// Moves `current` toward `target` by at most `rate × dt`.
pub fn ramp(current: f64, target: f64, rate_per_s: f64, dt_s: f64) -> f64 {
    let step = rate_per_s * dt_s;
    current + (target - current).clamp(-step, step)
}
