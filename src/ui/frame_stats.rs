//! Frame-time bookkeeping: CPU time spent building each frame, for the status bar and for
//! `--frame-stats FILE` measurements (under Xvfb this is a CPU cost, not a GPU figure).

use serde::Serialize;
use std::time::Duration;

const WINDOW: usize = 600;

#[derive(Default)]
pub struct FrameStats {
    recent: Vec<f64>,
    all: Vec<f64>,
    next: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct FrameReport {
    pub frames: usize,
    pub cpu_ms_mean: f64,
    pub cpu_ms_p50: f64,
    pub cpu_ms_p95: f64,
    pub cpu_ms_p99: f64,
    pub cpu_ms_max: f64,
    pub wall_secs: f64,
    pub frames_per_sec: f64,
}

impl FrameStats {
    pub fn record(&mut self, d: Duration) {
        let ms = d.as_secs_f64() * 1e3;
        if self.recent.len() < WINDOW {
            self.recent.push(ms);
        } else {
            self.recent[self.next] = ms;
        }
        self.next = (self.next + 1) % WINDOW;
        self.all.push(ms);
    }

    /// Mean of the recent window, ms.
    pub fn recent_mean_ms(&self) -> f64 {
        if self.recent.is_empty() {
            0.0
        } else {
            self.recent.iter().sum::<f64>() / self.recent.len() as f64
        }
    }

    pub fn report(&self, wall: Duration) -> FrameReport {
        let mut v = self.all.clone();
        v.sort_by(f64::total_cmp);
        let pct = |p: f64| {
            if v.is_empty() {
                0.0
            } else {
                v[((v.len() - 1) as f64 * p).round() as usize]
            }
        };
        let n = v.len();
        FrameReport {
            frames: n,
            cpu_ms_mean: if n == 0 { 0.0 } else { v.iter().sum::<f64>() / n as f64 },
            cpu_ms_p50: pct(0.5),
            cpu_ms_p95: pct(0.95),
            cpu_ms_p99: pct(0.99),
            cpu_ms_max: v.last().copied().unwrap_or(0.0),
            wall_secs: wall.as_secs_f64(),
            frames_per_sec: n as f64 / wall.as_secs_f64().max(1e-9),
        }
    }
}
