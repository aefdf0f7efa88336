//! Operations detected from a CT unit's readings, one sample at a time: RIH, POOH, TAG, WASH (MILL on a
//! milling job), CIRCULATE, PUMP and STATIONARY, each with its start and end, depths, weight and pressure
//! extremes, time-weighted pump rate, volume and footage.
//!
//! Pure: no clock, no I/O, no tags, no store. The job service feeds it `DetectSample`s in plant time and
//! records what it closes; this file must not know the store, the hub or the UI. Each sample costs O(1) work
//! and allocates nothing, so a 12-hour job at 10 Hz replays in well under a second.
//!
//! Noise must not split an operation, so two mechanisms stand between a reading and a new operation:
//! - every threshold has an enter and a leave level (a Schmitt trigger): the pipe starts moving above
//!   `moving_fpm` and stops again only under `stopped_fpm`; a pump rate must fall `rate_band_bpm` under a
//!   threshold to leave it; and so on;
//! - a new candidate type must hold `confirm_s` of sample time before the running operation closes. The
//!   boundary is then back-dated to the first sample that left the running operation (a transition often
//!   passes through a type or two on its way, e.g. pick-up → stopped → slow → washing as the pump comes up),
//!   and the samples since then, whose aggregates were kept apart while they were pending, become the new
//!   operation's. A departure that comes back before it is confirmed is folded into the running operation.
//!
//! Until the first operation has held `confirm_s` its type is not known for sure (a unit starting up
//! passes through several types in a second), so a candidate confirmed then relabels it instead of closing it.

use super::model::{JobType, OpType};

/// One reading of the unit, at plant time `t` (seconds, any epoch, increasing).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DetectSample {
    pub t: f64,
    pub depth_ft: f64,
    /// Pipe speed, ft/min, positive running in.
    pub speed_fpm: f64,
    pub weight_lbf: Option<f64>,
    pub pump_bpm: f64,
    pub circ_psi: Option<f64>,
    pub whp_psi: Option<f64>,
    /// The pump's totaliser, bbl, where the unit has one.
    pub fluid_total_bbl: Option<f64>,
}

/// The detector's thresholds (kept units: ft, ft/min, bbl/min) and hysteresis.
#[derive(Debug, Clone, PartialEq)]
pub struct DetectConfig {
    /// |speed| above which still pipe counts as moving, ft/min.
    pub moving_fpm: f64,
    /// |speed| under which moving pipe counts as stopped again, ft/min (between the two the pipe keeps its
    /// state, so an encoder's jitter around one level cannot flip it).
    pub stopped_fpm: f64,
    /// Pump rate at or above which running in is washing (milling on a milling job), bbl/min.
    pub wash_bpm: f64,
    /// Pump rate at or above which still pipe is circulating (pumping, near surface), bbl/min.
    pub circulate_bpm: f64,
    /// How far a pump rate must fall under its threshold to leave it, bbl/min.
    pub rate_band_bpm: f64,
    /// Running in at or under this speed, deeper than `tag_min_depth_ft`, is tagging, ft/min.
    pub tag_speed_fpm: f64,
    /// How far the speed must rise over `tag_speed_fpm` to stop tagging, ft/min.
    pub tag_band_fpm: f64,
    /// Shallower than this, slow running in is just running in (the injector starting up), ft.
    pub tag_min_depth_ft: f64,
    /// Shallower than this, still pipe with the pump on is pumping, not circulating, ft.
    pub surface_ft: f64,
    /// How far the depth must come back past a depth threshold to leave it, ft.
    pub depth_band_ft: f64,
    /// Sample time a new candidate must hold before the running operation closes, s.
    pub confirm_s: f64,
    /// A longer gap between two samples is a gap in the data: no pump rate is integrated across it, s.
    pub max_gap_s: f64,
    /// Time constant the speed is smoothed with before it is classified, s (0: not smoothed).
    pub speed_smoothing_s: f64,
    /// A milling job: washing down is milling.
    pub milling: bool,
}

impl Default for DetectConfig {
    fn default() -> Self {
        Self {
            moving_fpm: 2.0,
            stopped_fpm: 1.0,
            wash_bpm: 1.2,
            circulate_bpm: 1.0,
            rate_band_bpm: 0.1,
            tag_speed_fpm: 12.0,
            tag_band_fpm: 2.0,
            tag_min_depth_ft: 100.0,
            surface_ft: 50.0,
            depth_band_ft: 5.0,
            confirm_s: 5.0,
            max_gap_s: 30.0,
            speed_smoothing_s: 1.0,
            milling: false,
        }
    }
}

impl DetectConfig {
    /// The defaults for a job of this type (a milling job mills where another washes).
    pub fn for_job(job_type: Option<JobType>) -> Self {
        Self {
            milling: job_type == Some(JobType::Milling),
            ..Self::default()
        }
    }
}

/// An operation the detector closed or has open (times in the sample's seconds).
#[derive(Debug, Clone, PartialEq)]
pub struct DetectedOp {
    pub op_type: OpType,
    pub start: f64,
    pub end: f64,
    pub start_depth_ft: f64,
    pub end_depth_ft: f64,
    pub max_depth_ft: f64,
    pub max_weight_lbf: Option<f64>,
    pub min_weight_lbf: Option<f64>,
    pub max_circ_psi: Option<f64>,
    pub max_whp_psi: Option<f64>,
    /// Time-weighted over the operation (gaps in the data left out); `None` when no time was integrated.
    pub avg_rate_bpm: Option<f64>,
    /// From the pump's totaliser wherever it was given on both sides of an interval and did not go
    /// backwards, else the rate integrated (nothing across a gap in the data).
    pub volume_bbl: f64,
    /// Σ|Δdepth|: feet of pipe run in or out.
    pub footage_ft: f64,
}

/// The detected types; `OpType` (which also holds people's custom types) is made only at the edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Rih,
    Pooh,
    Tag,
    Circulate,
    Wash,
    Mill,
    Pump,
    Stationary,
}

impl Kind {
    fn op_type(self) -> OpType {
        match self {
            Kind::Rih => OpType::Rih,
            Kind::Pooh => OpType::Pooh,
            Kind::Tag => OpType::Tag,
            Kind::Circulate => OpType::Circulate,
            Kind::Wash => OpType::Wash,
            Kind::Mill => OpType::Mill,
            Kind::Pump => OpType::Pump,
            Kind::Stationary => OpType::Stationary,
        }
    }
}

/// A Schmitt trigger: off, it turns on when `enter` holds; on, it turns off when `leave` holds.
fn schmitt(on: bool, enter: bool, leave: bool) -> bool {
    if on { !leave } else { enter }
}

/// The debounced state of each threshold the classification reads.
#[derive(Debug, Clone, Copy, Default)]
struct Bands {
    running_in: bool,
    pulling_out: bool,
    wash_rate: bool,
    circulate_rate: bool,
    tag_slow: bool,
    tag_deep: bool,
    in_well: bool,
    /// The speed the bands read: the measured speed smoothed over `speed_smoothing_s` (an encoder's speed
    /// jitters by a foot a minute or two at 10 Hz; unsmoothed, a still string never stays "stopped" long
    /// enough to confirm), and the time of the sample it was last updated at.
    speed: f64,
    speed_t: Option<f64>,
}

impl Bands {
    fn update(&mut self, cfg: &DetectConfig, s: &DetectSample) {
        self.speed = match self.speed_t {
            Some(t0) if s.t > t0 && s.t - t0 <= cfg.max_gap_s && cfg.speed_smoothing_s > 0.0 => {
                let a = 1.0 - (-(s.t - t0) / cfg.speed_smoothing_s).exp();
                self.speed + a * (s.speed_fpm - self.speed)
            }
            _ => s.speed_fpm,
        };
        self.speed_t = Some(s.t);
        let v = self.speed;
        self.running_in = schmitt(self.running_in, v > cfg.moving_fpm, v < cfg.stopped_fpm);
        self.pulling_out = schmitt(self.pulling_out, v < -cfg.moving_fpm, v > -cfg.stopped_fpm);
        let q = s.pump_bpm;
        self.wash_rate = schmitt(self.wash_rate, q >= cfg.wash_bpm, q < cfg.wash_bpm - cfg.rate_band_bpm);
        self.circulate_rate = schmitt(
            self.circulate_rate,
            q >= cfg.circulate_bpm,
            q < cfg.circulate_bpm - cfg.rate_band_bpm,
        );
        self.tag_slow = schmitt(
            self.tag_slow,
            v <= cfg.tag_speed_fpm,
            v > cfg.tag_speed_fpm + cfg.tag_band_fpm,
        );
        let d = s.depth_ft;
        self.tag_deep = schmitt(
            self.tag_deep,
            d > cfg.tag_min_depth_ft,
            d < cfg.tag_min_depth_ft - cfg.depth_band_ft,
        );
        self.in_well = schmitt(
            self.in_well,
            d >= cfg.surface_ft,
            d < cfg.surface_ft - cfg.depth_band_ft,
        );
    }

    fn kind(&self, milling: bool) -> Kind {
        if self.pulling_out {
            Kind::Pooh
        } else if self.running_in {
            if self.wash_rate {
                if milling { Kind::Mill } else { Kind::Wash }
            } else if self.tag_slow && self.tag_deep {
                Kind::Tag
            } else {
                Kind::Rih
            }
        } else if self.circulate_rate {
            if self.in_well { Kind::Circulate } else { Kind::Pump }
        } else {
            Kind::Stationary
        }
    }
}

/// What one interval between two samples adds to the segment it belongs to.
#[derive(Debug, Clone, Copy)]
struct Interval {
    rate_bpm_s: f64,
    rate_time_s: f64,
    volume_bbl: f64,
    footage_ft: f64,
}

impl Interval {
    fn between(cfg: &DetectConfig, a: &DetectSample, b: &DetectSample) -> Self {
        let dt = b.t - a.t;
        // Across a gap the rate is unknown: nothing is integrated. The totaliser and the depth are a counter
        // and a position, so their differences across a gap are still what happened.
        let (rate_bpm_s, rate_time_s) = if dt <= cfg.max_gap_s {
            ((a.pump_bpm.max(0.0) + b.pump_bpm.max(0.0)) / 2.0 * dt, dt)
        } else {
            (0.0, 0.0)
        };
        let volume_bbl = match (a.fluid_total_bbl, b.fluid_total_bbl) {
            (Some(x), Some(y)) if y >= x => y - x,
            // No totaliser, or it was reset: the rate integrated (bbl/min × s / 60).
            _ => rate_bpm_s / 60.0,
        };
        Self {
            rate_bpm_s,
            rate_time_s,
            volume_bbl,
            footage_ft: (b.depth_ft - a.depth_ft).abs(),
        }
    }
}

/// Aggregates of a run of samples: the running operation's, or the pending candidate's.
#[derive(Debug, Clone, Copy)]
struct Segment {
    start: f64,
    start_depth_ft: f64,
    end: f64,
    end_depth_ft: f64,
    max_depth_ft: f64,
    max_weight_lbf: Option<f64>,
    min_weight_lbf: Option<f64>,
    max_circ_psi: Option<f64>,
    max_whp_psi: Option<f64>,
    /// ∫ rate dt (bbl/min · s) and the time it covers, for the time-weighted average rate.
    rate_bpm_s: f64,
    rate_time_s: f64,
    volume_bbl: f64,
    footage_ft: f64,
}

fn extreme(a: Option<f64>, b: Option<f64>, pick: fn(f64, f64) -> f64) -> Option<f64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(pick(x, y)),
        (x, None) => x,
        (None, y) => y,
    }
}

impl Segment {
    fn starting_at(s: &DetectSample) -> Self {
        Self {
            start: s.t,
            start_depth_ft: s.depth_ft,
            end: s.t,
            end_depth_ft: s.depth_ft,
            max_depth_ft: s.depth_ft,
            max_weight_lbf: s.weight_lbf,
            min_weight_lbf: s.weight_lbf,
            max_circ_psi: s.circ_psi,
            max_whp_psi: s.whp_psi,
            rate_bpm_s: 0.0,
            rate_time_s: 0.0,
            volume_bbl: 0.0,
            footage_ft: 0.0,
        }
    }

    fn reach(&mut self, t: f64, depth_ft: f64) {
        self.end = t;
        self.end_depth_ft = depth_ft;
        self.max_depth_ft = self.max_depth_ft.max(depth_ft);
    }

    /// The interval up to `to` (which may open the next segment: this one then ends where it starts).
    fn add_interval(&mut self, to: &DetectSample, i: &Interval) {
        self.reach(to.t, to.depth_ft);
        self.rate_bpm_s += i.rate_bpm_s;
        self.rate_time_s += i.rate_time_s;
        self.volume_bbl += i.volume_bbl;
        self.footage_ft += i.footage_ft;
    }

    fn add_point(&mut self, s: &DetectSample) {
        self.reach(s.t, s.depth_ft);
        self.max_weight_lbf = extreme(self.max_weight_lbf, s.weight_lbf, f64::max);
        self.min_weight_lbf = extreme(self.min_weight_lbf, s.weight_lbf, f64::min);
        self.max_circ_psi = extreme(self.max_circ_psi, s.circ_psi, f64::max);
        self.max_whp_psi = extreme(self.max_whp_psi, s.whp_psi, f64::max);
    }

    /// Appends `later`, which starts where this one ends.
    fn absorb(&mut self, later: &Segment) {
        self.reach(later.end, later.end_depth_ft);
        self.max_depth_ft = self.max_depth_ft.max(later.max_depth_ft);
        self.max_weight_lbf = extreme(self.max_weight_lbf, later.max_weight_lbf, f64::max);
        self.min_weight_lbf = extreme(self.min_weight_lbf, later.min_weight_lbf, f64::min);
        self.max_circ_psi = extreme(self.max_circ_psi, later.max_circ_psi, f64::max);
        self.max_whp_psi = extreme(self.max_whp_psi, later.max_whp_psi, f64::max);
        self.rate_bpm_s += later.rate_bpm_s;
        self.rate_time_s += later.rate_time_s;
        self.volume_bbl += later.volume_bbl;
        self.footage_ft += later.footage_ft;
    }

    fn op(&self, kind: Kind) -> DetectedOp {
        DetectedOp {
            op_type: kind.op_type(),
            start: self.start,
            end: self.end,
            start_depth_ft: self.start_depth_ft,
            end_depth_ft: self.end_depth_ft,
            max_depth_ft: self.max_depth_ft,
            max_weight_lbf: self.max_weight_lbf,
            min_weight_lbf: self.min_weight_lbf,
            max_circ_psi: self.max_circ_psi,
            max_whp_psi: self.max_whp_psi,
            avg_rate_bpm: (self.rate_time_s > 0.0).then_some(self.rate_bpm_s / self.rate_time_s),
            volume_bbl: self.volume_bbl,
            footage_ft: self.footage_ft,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Running {
    kind: Kind,
    seg: Segment,
    /// Its type has held `confirm_s` (every operation but the first is born confirmed).
    confirmed: bool,
}

/// Samples that left the running operation, not yet confirmed as a new one.
#[derive(Debug, Clone, Copy)]
struct Pending {
    /// The latest candidate type and the time it was first seen in an unbroken run.
    kind: Kind,
    since: f64,
    /// Every sample since the first that left the running operation (the boundary, if confirmed).
    seg: Segment,
}

/// A departure whose candidates keep changing still ends the running operation after this many `confirm_s`
/// (taking the latest candidate), so readings that never settle cannot hold a stale operation open forever.
const UNSETTLED_LIMIT: f64 = 3.0;

/// Slack on the time comparisons, s: sample times carry floating-point rounding, and "held 5 s" at 10 Hz
/// must mean 50 intervals every time, not 51 when 5.0 came out as 4.999…
const TIME_EPS_S: f64 = 1e-6;

/// Classifies a unit's samples into operations (see the module comment for the rules).
#[derive(Debug, Clone)]
pub struct OpDetector {
    cfg: DetectConfig,
    bands: Bands,
    running: Option<Running>,
    pending: Option<Pending>,
    /// The last accepted sample, and whether it went to the pending segment (the interval after a sample
    /// belongs to the segment the sample went to, so a closed operation ends where the next one starts).
    last: Option<DetectSample>,
    last_pending: bool,
    /// The running operation as `current` shows it, rebuilt after each sample (no allocation: detected
    /// types carry no text).
    view: Option<DetectedOp>,
    /// Samples ignored because their time was not after the last one's.
    pub out_of_order: u64,
    /// Samples ignored because their time, depth, speed or pump rate was not a finite number.
    pub invalid: u64,
}

impl OpDetector {
    pub fn new(cfg: DetectConfig) -> Self {
        Self {
            cfg,
            bands: Bands::default(),
            running: None,
            pending: None,
            last: None,
            last_pending: false,
            view: None,
            out_of_order: 0,
            invalid: 0,
        }
    }

    pub fn config(&self) -> &DetectConfig {
        &self.cfg
    }

    /// Feeds one sample; returns the operation it closed, if any (the next one is then open).
    pub fn push(&mut self, s: &DetectSample) -> Option<DetectedOp> {
        let Some(s) = sanitized(s) else {
            self.invalid += 1;
            return None;
        };
        if let Some(last) = &self.last
            && s.t <= last.t
        {
            self.out_of_order += 1;
            return None;
        }
        self.bands.update(&self.cfg, &s);
        let kind = self.bands.kind(self.cfg.milling);
        let closed = match self.last {
            Some(last) if self.running.is_some() => {
                self.integrate(&last, &s);
                self.place(kind, &s)
            }
            _ => {
                self.running = Some(Running {
                    kind,
                    seg: Segment::starting_at(&s),
                    confirmed: false,
                });
                self.pending = None;
                self.last_pending = false;
                None
            }
        };
        self.last = Some(s);
        self.view = self.running.map(|r| r.seg.op(r.kind));
        closed
    }

    /// The operation running now (its extremes so far), if any. Samples pending as a possible next
    /// operation are not in it until they are folded back or confirmed.
    pub fn current(&self) -> Option<&DetectedOp> {
        self.view.as_ref()
    }

    /// Closes the running operation at its last sample (job completed); a pending departure is folded into
    /// it. The next sample starts afresh (nothing is integrated across).
    pub fn finish(&mut self) -> Option<DetectedOp> {
        let running = self.running.take();
        let pending = self.pending.take();
        self.last = None;
        self.last_pending = false;
        self.view = None;
        self.bands = Bands::default();
        let mut running = running?;
        if let Some(p) = pending {
            running.seg.absorb(&p.seg);
        }
        Some(running.seg.op(running.kind))
    }

    /// Adds the interval from the last sample to `s` to the segment the last sample went to.
    fn integrate(&mut self, last: &DetectSample, s: &DetectSample) {
        let i = Interval::between(&self.cfg, last, s);
        let seg = if self.last_pending {
            self.pending.as_mut().map(|p| &mut p.seg)
        } else {
            self.running.as_mut().map(|r| &mut r.seg)
        };
        if let Some(seg) = seg {
            seg.add_interval(s, &i);
        }
    }

    /// Puts `s` (classified `kind`) into the running operation or the pending departure; confirms the
    /// departure once its candidate has held.
    fn place(&mut self, kind: Kind, s: &DetectSample) -> Option<DetectedOp> {
        let confirm_s = self.cfg.confirm_s;
        let running = self.running.as_mut()?;
        if kind == running.kind {
            if let Some(p) = self.pending.take() {
                running.seg.absorb(&p.seg);
            }
            running.seg.add_point(s);
            running.confirmed |= s.t - running.seg.start >= confirm_s - TIME_EPS_S;
            self.last_pending = false;
            return None;
        }
        self.last_pending = true;
        match self.pending.as_mut() {
            Some(p) => {
                if p.kind != kind {
                    p.kind = kind;
                    p.since = s.t;
                }
                p.seg.add_point(s);
            }
            None => {
                self.pending = Some(Pending {
                    kind,
                    since: s.t,
                    seg: Segment::starting_at(s),
                });
            }
        }
        let p = self.pending?;
        let held = s.t - p.since >= confirm_s - TIME_EPS_S;
        let unsettled = s.t - p.seg.start >= UNSETTLED_LIMIT * confirm_s - TIME_EPS_S;
        if held || unsettled { self.confirm() } else { None }
    }

    /// The pending candidate becomes the running operation from the first sample that left the old one;
    /// returns the old one, closed there.
    fn confirm(&mut self) -> Option<DetectedOp> {
        let p = self.pending.take()?;
        let running = self.running.as_mut()?;
        self.last_pending = false;
        if !running.confirmed {
            running.seg.absorb(&p.seg);
            running.kind = p.kind;
            running.confirmed = true;
            return None;
        }
        let closed = running.seg.op(running.kind);
        *running = Running {
            kind: p.kind,
            seg: p.seg,
            confirmed: true,
        };
        Some(closed)
    }
}

/// The sample with non-finite optional readings dropped, or `None` when a reading the classification needs
/// is not a finite number.
fn sanitized(s: &DetectSample) -> Option<DetectSample> {
    let needed = [s.t, s.depth_ft, s.speed_fpm, s.pump_bpm];
    if !needed.iter().all(|x| x.is_finite()) {
        return None;
    }
    let finite = |x: Option<f64>| x.filter(|v| v.is_finite());
    Some(DetectSample {
        weight_lbf: finite(s.weight_lbf),
        circ_psi: finite(s.circ_psi),
        whp_psi: finite(s.whp_psi),
        fluid_total_bbl: finite(s.fluid_total_bbl),
        ..*s
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::{SourceFile, survey_csv};
    use crate::sim::{CT_DEVICE, CtConfig, CtUnit, DemoPlant, PlantConfig, ReportedPhase};
    use crate::tag::Value;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;
    use rand_distr::{Distribution, StandardNormal};

    /// Sample period of the synthetic traces, s.
    const DT: f64 = 0.1;

    fn steps(secs: f64) -> u32 {
        (secs / DT).round() as u32
    }

    fn types(ops: &[DetectedOp]) -> Vec<OpType> {
        ops.iter().map(|o| o.op_type.clone()).collect()
    }

    /// A synthetic unit sampled at 10 Hz from 0.1 s: the depth follows the speed, the weight is what the test
    /// sets, the pressures constant, no totaliser.
    struct Trace {
        det: OpDetector,
        k: u32,
        depth_ft: f64,
        weight_lbf: f64,
        /// Σ|Δdepth| between the samples pushed.
        run_ft: f64,
        /// Each operation closed, with the time of the sample that closed it.
        closed: Vec<(f64, DetectedOp)>,
    }

    impl Trace {
        fn new(cfg: DetectConfig, depth_ft: f64) -> Self {
            Self {
                det: OpDetector::new(cfg),
                k: 0,
                depth_ft,
                weight_lbf: 10_000.0,
                run_ft: 0.0,
                closed: Vec::new(),
            }
        }

        /// `secs` of samples at `speed_fpm` and `pump_bpm`.
        fn hold(&mut self, secs: f64, speed_fpm: f64, pump_bpm: f64) -> &mut Self {
            for _ in 0..steps(secs) {
                let pushed_before = self.k > 0;
                self.k += 1;
                let depth_ft = (self.depth_ft + speed_fpm / 60.0 * DT).max(0.0);
                if pushed_before {
                    self.run_ft += (depth_ft - self.depth_ft).abs();
                }
                self.depth_ft = depth_ft;
                let s = DetectSample {
                    t: f64::from(self.k) * DT,
                    depth_ft,
                    speed_fpm,
                    weight_lbf: Some(self.weight_lbf),
                    pump_bpm,
                    circ_psi: Some(1_000.0),
                    whp_psi: Some(300.0),
                    fluid_total_bbl: None,
                };
                if let Some(op) = self.det.push(&s) {
                    self.closed.push((s.t, op));
                }
            }
            self
        }

        /// No samples for `secs`: a gap in the data.
        fn skip(&mut self, secs: f64) -> &mut Self {
            self.k += steps(secs);
            self
        }

        fn finish(&mut self) -> Vec<DetectedOp> {
            let mut ops: Vec<DetectedOp> = self.closed.drain(..).map(|(_, op)| op).collect();
            ops.extend(self.det.finish());
            ops
        }
    }

    #[test]
    fn each_rule_classifies_steady_readings() {
        use OpType::*;
        // (depth ft, speed ft/min, pump bbl/min, milling job, type)
        let table = [
            (5_000.0, 60.0, 0.5, false, Rih),
            (5_000.0, 30.0, 1.1, false, Rih),
            (5_000.0, -60.0, 0.5, false, Pooh),
            (5_000.0, -60.0, 2.0, false, Pooh),
            (5_000.0, 6.0, 0.5, false, Tag),
            // slow running in near surface is the injector starting, not a tag
            (60.0, 6.0, 0.5, false, Rih),
            (5_000.0, 4.0, 2.0, false, Wash),
            (5_000.0, 4.0, 2.0, true, Mill),
            (5_000.0, 0.0, 2.0, false, Circulate),
            (5_000.0, 0.0, 1.1, false, Circulate),
            (20.0, 0.0, 2.0, false, Pump),
            (5_000.0, 0.0, 0.5, false, Stationary),
            // under the moving level, never moved
            (5_000.0, 1.5, 0.5, false, Stationary),
            (5_000.0, -1.5, 0.5, false, Stationary),
        ];
        for (depth, speed, pump, milling, want) in table {
            let cfg = DetectConfig {
                milling,
                ..unsmoothed()
            };
            let mut tr = Trace::new(cfg, depth);
            tr.hold(10.0, speed, pump);
            assert_eq!(
                types(&tr.finish()),
                [want],
                "{depth} ft, {speed} ft/min, {pump} bbl/min, milling {milling}"
            );
        }
        assert!(DetectConfig::for_job(Some(JobType::Milling)).milling);
        assert!(!DetectConfig::for_job(Some(JobType::CleanOut)).milling);
        assert!(!DetectConfig::for_job(None).milling);
    }

    #[test]
    fn a_one_second_blip_does_not_split_an_operation() {
        // (what the unit does as (speed, pump), the one-second blip, the operation)
        let cases = [
            ((60.0, 0.5), (0.0, 0.5), OpType::Rih),        // the injector hesitates
            ((0.0, 2.0), (-8.0, 2.0), OpType::Circulate),  // the pipe is worked while circulating
            ((4.0, 2.0), (4.0, 0.6), OpType::Wash),        // the pump falters
            ((-60.0, 1.0), (0.0, 1.0), OpType::Pooh),      // a stop while pulling out, pump on
            ((0.0, 0.5), (30.0, 0.5), OpType::Stationary), // a jerk of the injector
        ];
        for ((speed, pump), (blip_speed, blip_pump), want) in cases {
            let mut tr = Trace::new(unsmoothed(), 5_000.0);
            tr.hold(60.0, speed, pump)
                .hold(1.0, blip_speed, blip_pump)
                .hold(60.0, speed, pump);
            let run_ft = tr.run_ft;
            let ops = tr.finish();
            assert_eq!(
                types(&ops),
                std::slice::from_ref(&want),
                "{want} with a blip of ({blip_speed}, {blip_pump})"
            );
            let op = &ops[0];
            assert!((op.start - 0.1).abs() < 1e-9 && (op.end - 121.0).abs() < 1e-9, "{op:?}");
            assert!(
                (op.footage_ft - run_ft).abs() < 1e-9,
                "the blip's feet are in the operation: {op:?}"
            );
        }
    }

    #[test]
    fn a_new_operation_is_back_dated_to_its_first_sample_and_keeps_its_own_extremes() {
        let mut tr = Trace::new(unsmoothed(), 5_000.0);
        tr.weight_lbf = 8_000.0;
        tr.hold(60.0, 60.0, 0.5);
        let turn_ft = tr.depth_ft;
        // Picking up reads heavier.
        tr.weight_lbf = 15_000.0;
        tr.hold(5.0, -60.0, 0.5);
        assert!(
            tr.closed.is_empty(),
            "the 50th sample is 4.9 s after the first: not yet confirmed"
        );
        let open = tr.det.current().unwrap();
        assert_eq!(open.op_type, OpType::Rih);
        assert_eq!(open.max_weight_lbf, Some(8_000.0), "the pending samples are kept apart");
        tr.hold(0.1, -60.0, 0.5);
        let (closed_at, rih) = tr.closed[0].clone();
        // The first POOH sample is at 60.1 s; it has held 5 s at 65.1 s.
        assert!((closed_at - 65.1).abs() < 1e-9, "closed at {closed_at}");
        assert_eq!(rih.op_type, OpType::Rih);
        assert!((rih.end - 60.1).abs() < 1e-9, "{rih:?}");
        assert_eq!((rih.min_weight_lbf, rih.max_weight_lbf), (Some(8_000.0), Some(8_000.0)));
        assert_eq!(rih.max_depth_ft, turn_ft);
        assert!((rih.end_depth_ft - (turn_ft - 0.1)).abs() < 1e-9);
        // down to the turn and up to the first POOH sample: the interval before a boundary is the old one's
        let down_up_ft = (rih.max_depth_ft - rih.start_depth_ft) + (rih.max_depth_ft - rih.end_depth_ft);
        assert!((rih.footage_ft - down_up_ft).abs() < 1e-9, "{rih:?}");
        let open = tr.det.current().unwrap();
        assert_eq!(open.op_type, OpType::Pooh);
        assert_eq!((open.start, open.start_depth_ft), (rih.end, rih.end_depth_ft));
        assert_eq!(
            (open.min_weight_lbf, open.max_weight_lbf),
            (Some(15_000.0), Some(15_000.0))
        );
        tr.hold(10.0, -60.0, 0.5);
        let run_ft = tr.run_ft;
        let ops = tr.finish();
        assert_eq!(types(&ops), [OpType::Rih, OpType::Pooh]);
        assert!((ops[0].footage_ft + ops[1].footage_ft - run_ft).abs() < 1e-9);
    }

    #[test]
    fn a_transition_through_other_types_starts_where_the_old_operation_was_left() {
        // Picking up, a stop, slow running in while the pump comes up, then washing down: the wash starts at
        // the first sample that was not picking up.
        let mut tr = Trace::new(unsmoothed(), 5_000.0);
        tr.hold(30.0, -10.0, 0.5)
            .hold(0.5, 0.0, 0.6)
            .hold(2.0, 4.0, 0.8)
            .hold(30.0, 4.0, 2.0);
        let ops = tr.finish();
        assert_eq!(types(&ops), [OpType::Pooh, OpType::Wash]);
        assert!((ops[1].start - 30.1).abs() < 1e-9, "{:?}", ops[1]);
        assert_eq!(ops[1].min_weight_lbf, Some(10_000.0));
    }

    #[test]
    fn readings_that_never_settle_still_end_the_running_operation() {
        // After running in, the pump goes on and off every 2 s at tagging speed: neither candidate holds
        // 5 s, and after 15 s away the latest one is taken; the rest folds into it.
        let mut tr = Trace::new(unsmoothed(), 5_000.0);
        tr.hold(60.0, 60.0, 0.5);
        for _ in 0..15 {
            tr.hold(2.0, 6.0, 0.5).hold(2.0, 6.0, 2.0);
        }
        assert_eq!(tr.closed.len(), 1);
        assert!((tr.closed[0].0 - 75.1).abs() < 1e-9, "closed at {}", tr.closed[0].0);
        let ops = tr.finish();
        assert_eq!(types(&ops), [OpType::Rih, OpType::Wash]);
        assert!((ops[1].start - 60.1).abs() < 1e-9);
    }

    #[test]
    fn readings_hovering_at_a_threshold_do_not_chatter() {
        // Every change of type confirmed at once: only the enter/leave bands keep these one operation.
        let cfg = DetectConfig {
            confirm_s: 0.0,
            ..unsmoothed()
        };
        // ((speed, pump) settled, two readings it then hovers between, the operation)
        let cases = [
            // slowing between the stopped and the moving levels while tagging
            ((6.0, 0.5), [(1.5, 0.5), (2.5, 0.5)], OpType::Tag),
            // tagging at about the tag speed
            ((6.0, 0.5), [(11.0, 0.5), (13.5, 0.5)], OpType::Tag),
            // washing with the pump wavering at the wash rate
            ((4.0, 1.5), [(4.0, 1.15), (4.0, 1.25)], OpType::Wash),
            // circulating at the circulating rate
            ((0.0, 1.05), [(0.0, 0.95), (0.0, 1.05)], OpType::Circulate),
            // pulling out slowly enough to dip under the moving level
            ((-6.0, 0.5), [(-1.5, 0.5), (-2.5, 0.5)], OpType::Pooh),
        ];
        for ((speed, pump), hover, want) in cases {
            let mut tr = Trace::new(cfg.clone(), 5_000.0);
            tr.hold(10.0, speed, pump);
            for _ in 0..30 {
                for (v, q) in hover {
                    tr.hold(0.1, v, q);
                }
            }
            tr.hold(10.0, speed, pump);
            assert_eq!(
                types(&tr.finish()),
                std::slice::from_ref(&want),
                "{want} hovering over {hover:?}"
            );
        }
        // Without a band (the pump falling to the threshold's other side) the same detector does split.
        let mut tr = Trace::new(cfg, 5_000.0);
        tr.hold(10.0, 0.0, 1.05).hold(10.0, 0.0, 0.85).hold(10.0, 0.0, 1.05);
        assert_eq!(
            types(&tr.finish()),
            [OpType::Circulate, OpType::Stationary, OpType::Circulate]
        );
    }

    #[test]
    fn samples_out_of_order_or_not_numbers_are_ignored_and_counted() {
        let mut det = OpDetector::new(DetectConfig::default());
        let s = |t: f64, weight_lbf: f64| DetectSample {
            t,
            depth_ft: 5_000.0,
            speed_fpm: 0.0,
            weight_lbf: Some(weight_lbf),
            pump_bpm: 0.5,
            circ_psi: None,
            whp_psi: None,
            fluid_total_bbl: None,
        };
        for t in [1.0, 2.0, 3.0] {
            assert!(det.push(&s(t, 10_000.0)).is_none());
        }
        assert!(det.push(&s(2.5, 40_000.0)).is_none());
        assert!(det.push(&s(3.0, 40_000.0)).is_none());
        assert!(
            det.push(&DetectSample {
                speed_fpm: f64::NAN,
                ..s(4.0, 40_000.0)
            })
            .is_none()
        );
        // An unreadable weight is no weight; the sample still counts.
        assert!(
            det.push(&DetectSample {
                weight_lbf: Some(f64::INFINITY),
                ..s(4.0, 0.0)
            })
            .is_none()
        );
        assert_eq!((det.out_of_order, det.invalid), (2, 1));
        let op = det.current().unwrap();
        assert_eq!((op.start, op.end), (1.0, 4.0));
        assert_eq!((op.min_weight_lbf, op.max_weight_lbf), (Some(10_000.0), Some(10_000.0)));
        assert_eq!(op.op_type, OpType::Stationary);
    }

    #[test]
    fn volume_comes_from_the_totaliser_where_it_holds_else_from_the_rate() {
        // One minute at 2 bbl/min by the rate while the totaliser counts 2.5 bbl/min: the meter is the record.
        let run = |total: &dyn Fn(u32) -> Option<f64>| {
            let mut det = OpDetector::new(DetectConfig::default());
            for k in 0..=600u32 {
                let s = DetectSample {
                    t: f64::from(k) * DT,
                    depth_ft: 5_000.0,
                    speed_fpm: 0.0,
                    weight_lbf: None,
                    pump_bpm: 2.0,
                    circ_psi: None,
                    whp_psi: None,
                    fluid_total_bbl: total(k),
                };
                assert!(det.push(&s).is_none());
            }
            det.finish().unwrap()
        };
        let metered_bbl = |k: u32| 2.5 * f64::from(k) * DT / 60.0;
        let metered = run(&|k: u32| Some(10.0 + metered_bbl(k)));
        assert!((metered.volume_bbl - 2.5).abs() < 1e-9, "{metered:?}");
        assert!((metered.avg_rate_bpm.unwrap() - 2.0).abs() < 1e-12);
        let rated = run(&|_: u32| None::<f64>);
        assert!((rated.volume_bbl - 2.0).abs() < 1e-9, "{rated:?}");
        // Reset to zero half way: the interval across the reset is the rate integrated, the rest metered.
        let reset = run(&|k: u32| {
            Some(if k < 300 {
                10.0 + metered_bbl(k)
            } else {
                metered_bbl(k - 300)
            })
        });
        let want = metered_bbl(299) + 2.0 * DT / 60.0 + metered_bbl(300);
        assert!((reset.volume_bbl - want).abs() < 1e-9, "{} vs {want}", reset.volume_bbl);
        // Missing for ten seconds: those intervals (and the two on their edges) are the rate integrated.
        let patchy = run(&|k: u32| (!(100..200).contains(&k)).then(|| metered_bbl(k)));
        let want = metered_bbl(99) + 2.0 * 10.1 / 60.0 + metered_bbl(600) - metered_bbl(200);
        assert!(
            (patchy.volume_bbl - want).abs() < 1e-9,
            "{} vs {want}",
            patchy.volume_bbl
        );
    }

    #[test]
    fn nothing_is_integrated_across_a_gap_in_the_data() {
        let mut tr = Trace::new(unsmoothed(), 5_000.0);
        // 0.1–30.0 s, nothing until 90.1 s, then to 120.0 s.
        tr.hold(30.0, 0.0, 2.0).skip(60.0).hold(30.0, 0.0, 2.0);
        let ops = tr.finish();
        assert_eq!(types(&ops), [OpType::Circulate]);
        let op = &ops[0];
        assert!((op.start - 0.1).abs() < 1e-9 && (op.end - 120.0).abs() < 1e-9);
        assert!((op.volume_bbl - 2.0 * (29.9 + 29.9) / 60.0).abs() < 1e-9, "{op:?}");
        assert!(
            (op.avg_rate_bpm.unwrap() - 2.0).abs() < 1e-12,
            "the gap does not dilute the rate"
        );
    }

    #[test]
    fn finish_closes_at_the_last_sample_and_the_next_sample_starts_afresh() {
        let mut tr = Trace::new(unsmoothed(), 5_000.0);
        tr.hold(20.0, 60.0, 0.5);
        let op = tr.det.finish().unwrap();
        assert_eq!(op.op_type, OpType::Rih);
        assert!((op.end - 20.0).abs() < 1e-9);
        assert!(tr.det.current().is_none());
        assert!(tr.det.finish().is_none());
        tr.hold(0.1, 0.0, 0.5);
        let open = tr.det.current().unwrap();
        assert!((open.start - 20.1).abs() < 1e-9);
        assert_eq!((open.footage_ft, open.volume_bbl, open.avg_rate_bpm), (0.0, 0.0, None));
    }

    // --- against the demo plant's CT unit -------------------------------------------------------------------

    /// The simulator's step and the detector's sample period, s.
    const SIM_DT_S: f64 = 0.1;
    /// The demo well's fill is at 9,200 ft; a clean-out from 3,500 ft (below the kick-off) runs the same
    /// sequence with the same ramps in about 2.4 h of plant time instead of about 5.
    const FILL_TOP_FT: f64 = 3_500.0;
    /// How far a detected boundary may be from the simulator's phase change, s of plant time.
    const BOUNDARY_TOLERANCE_S: f64 = 5.0;
    /// Extra noise of a rougher unit than the demo's: speed (ft/min) and pump rate (bbl/min), 1 σ.
    const ROUGH_SPEED_FPM: f64 = 1.0;
    const ROUGH_RATE_BPM: f64 = 0.05;

    /// One detector fed one view of the simulated job.
    struct Feed {
        det: OpDetector,
        ops: Vec<DetectedOp>,
    }

    impl Feed {
        fn new() -> Self {
            Self {
                det: OpDetector::new(DetectConfig::default()),
                ops: Vec::new(),
            }
        }

        fn push(&mut self, s: &DetectSample) {
            if let Some(op) = self.det.push(s) {
                self.ops.push(op);
            }
        }

        fn finish(mut self) -> Vec<DetectedOp> {
            self.ops.extend(self.det.finish());
            self.ops
        }
    }

    /// What the simulator did and what four detectors made of it: from the model's exact values, from the
    /// published readings (the demo's measurement noise and instrument resolution), from those with extra
    /// speed and rate noise, and from the exact values without the totaliser.
    struct SimJob {
        /// The phase tag's changes (time, label).
        phases: Vec<(f64, &'static str)>,
        exact: Vec<DetectedOp>,
        published: Vec<DetectedOp>,
        rough: Vec<DetectedOp>,
        untotalled: Vec<DetectedOp>,
        /// The totaliser's last reading less its first, bbl.
        pumped_bbl: f64,
        /// Σ|Δdepth| over the exact samples, and the deepest, ft.
        run_ft: f64,
        deepest_ft: f64,
    }

    /// The state machine on step inputs: nothing smoothed, so each sample is classed on its own readings
    /// and the boundaries the tests expect are exact samples.
    fn unsmoothed() -> DetectConfig {
        DetectConfig {
            speed_smoothing_s: 0.0,
            ..DetectConfig::default()
        }
    }

    fn demo_plant() -> DemoPlant {
        let survey = survey_csv::parse(&SourceFile::new(
            "ct01_survey.csv",
            include_str!("../../data/ct01_survey.csv"),
        ))
        .unwrap();
        let mut ct = CtConfig::demo(survey);
        ct.fill_top_ft = FILL_TOP_FT;
        DemoPlant::new(PlantConfig {
            seed: 20,
            esp_wells: 0,
            ct,
            test_rotation_s: 0.0,
        })
    }

    fn exact_sample(ct: &CtUnit, t: f64) -> DetectSample {
        DetectSample {
            t,
            depth_ft: ct.depth_ft(),
            speed_fpm: ct.speed_fpm(),
            weight_lbf: Some(ct.weight_lbf()),
            pump_bpm: ct.pump_rate_bpm(),
            circ_psi: Some(ct.circ_pressure_psi()),
            whp_psi: Some(ct.wellhead_pressure_psi()),
            fluid_total_bbl: Some(ct.fluid_total_bbl()),
        }
    }

    /// The CT signals a job service reads, in the order `published_sample` takes them.
    const SIGNALS: [&str; 7] = [
        "depth",
        "speed",
        "weight",
        "circ_pressure",
        "wellhead_pressure",
        "pump_rate",
        "fluid_total",
    ];

    fn published_sample(readings: &[Value], index: &[usize; 7], t: f64) -> DetectSample {
        let v = |i: usize| readings[index[i]].as_f64().unwrap();
        DetectSample {
            t,
            depth_ft: v(0),
            speed_fpm: v(1),
            weight_lbf: Some(v(2)),
            pump_bpm: v(5),
            circ_psi: Some(v(3)),
            whp_psi: Some(v(4)),
            fluid_total_bbl: Some(v(6)),
        }
    }

    /// Records a change of the phase tag. STOPPED is the tag's word for the instant a reversal passes
    /// through zero speed (one sample here), not a phase; `stopped` counts such samples in a row.
    fn note_phase(phases: &mut Vec<(f64, &'static str)>, stopped: &mut u32, phase: ReportedPhase, t: f64) {
        assert!(
            !matches!(phase, ReportedPhase::Stuck | ReportedPhase::ShutDown),
            "{} at {t} s",
            phase.label()
        );
        if phase == ReportedPhase::Stopped {
            *stopped += 1;
            assert!(*stopped <= 10, "the unit stood still for a second at {t} s");
            return;
        }
        *stopped = 0;
        if phases.last().map(|p| p.1) != Some(phase.label()) {
            phases.push((t, phase.label()));
        }
    }

    /// Whether the unit has been running in again for `secs` after a whole cycle.
    fn back_in_hole_for(phases: &[(f64, &'static str)], t: f64, secs: f64) -> bool {
        match phases {
            [.., (_, "AT SURFACE"), (rih, "RIH")] => t - rih >= secs,
            _ => false,
        }
    }

    /// Steps the demo's CT unit at 10 Hz from its start in the hole through one whole job cycle (RIH, tag,
    /// pick up, wash, circulate bottoms up, POOH, at surface) until it has run in again for 30 s.
    fn run_sim_job() -> SimJob {
        let mut plant = demo_plant();
        let index = SIGNALS.map(|name| {
            let address = format!("{CT_DEVICE}/{name}");
            plant.specs().iter().position(|s| s.address == address).unwrap()
        });
        let mut rng = ChaCha8Rng::seed_from_u64(20);
        let mut gauss = move |sigma: f64| {
            let z: f64 = StandardNormal.sample(&mut rng);
            z * sigma
        };
        let [mut exact, mut published, mut rough, mut untotalled] = [(); 4].map(|()| Feed::new());
        let (mut phases, mut stopped) = (Vec::new(), 0);
        let (mut first, mut last): (Option<DetectSample>, Option<DetectSample>) = (None, None);
        let (mut run_ft, mut deepest_ft) = (0.0, 0.0_f64);
        for k in 1..=6 * 36_000u32 {
            plant.step(SIM_DT_S);
            let t = f64::from(k) * SIM_DT_S;
            let clean = exact_sample(plant.ct(), t);
            note_phase(&mut phases, &mut stopped, plant.ct().reported_phase(), t);
            let noisy = published_sample(plant.read(), &index, t);
            exact.push(&clean);
            published.push(&noisy);
            rough.push(&DetectSample {
                speed_fpm: noisy.speed_fpm + gauss(ROUGH_SPEED_FPM),
                pump_bpm: (noisy.pump_bpm + gauss(ROUGH_RATE_BPM)).max(0.0),
                ..noisy
            });
            untotalled.push(&DetectSample {
                fluid_total_bbl: None,
                ..clean
            });
            if let Some(prev) = last {
                run_ft += (clean.depth_ft - prev.depth_ft).abs();
            }
            deepest_ft = deepest_ft.max(clean.depth_ft);
            if first.is_none() {
                first = Some(clean);
            }
            last = Some(clean);
            if back_in_hole_for(&phases, t, 30.0) {
                let total = |s: Option<DetectSample>| s.and_then(|s| s.fluid_total_bbl).unwrap();
                return SimJob {
                    phases,
                    exact: exact.finish(),
                    published: published.finish(),
                    rough: rough.finish(),
                    untotalled: untotalled.finish(),
                    pumped_bbl: total(last) - total(first),
                    run_ft,
                    deepest_ft,
                };
            }
        }
        panic!("the demo job did not go round in six hours of plant time: {phases:?}");
    }

    /// The operations the phase tag's changes call for: each phase's type from the phase's start, merged with
    /// the one before when both are the same type (PICK UP and POOH are both pulling out).
    fn expected_ops(phases: &[(f64, &'static str)]) -> Vec<(f64, OpType)> {
        let mut out: Vec<(f64, OpType)> = Vec::new();
        for &(t, label) in phases {
            let op = match label {
                "AT SURFACE" => OpType::Stationary,
                "RIH" => OpType::Rih,
                "TAG BOTTOM" => OpType::Tag,
                "PICK UP" | "POOH" => OpType::Pooh,
                "WASH" => OpType::Wash,
                "CIRCULATE" => OpType::Circulate,
                other => panic!("the simulator reported a phase the test does not know: {other}"),
            };
            if out.last().map(|o| &o.1) != Some(&op) {
                out.push((t, op));
            }
        }
        out
    }

    /// Same types in the same order (every phase found, none invented), each starting within the tolerance
    /// of the simulator's phase change, each ending where the next starts.
    fn assert_follows(name: &str, ops: &[DetectedOp], want: &[(f64, OpType)]) {
        let got: Vec<(f64, &OpType)> = ops.iter().map(|o| (o.start, &o.op_type)).collect();
        assert_eq!(
            ops.iter().map(|o| &o.op_type).collect::<Vec<_>>(),
            want.iter().map(|w| &w.1).collect::<Vec<_>>(),
            "{name}: the detected log {got:?} against the simulator's phases {want:?}"
        );
        for (op, (t, op_type)) in ops.iter().zip(want) {
            assert!(
                (op.start - t).abs() <= BOUNDARY_TOLERANCE_S,
                "{name}: {op_type} detected from {:.1} s, the simulator's from {t:.1} s",
                op.start
            );
        }
        for pair in ops.windows(2) {
            assert_eq!(pair[0].end, pair[1].start, "{name}: {pair:?}");
            assert_eq!(pair[0].end_depth_ft, pair[1].start_depth_ft, "{name}: {pair:?}");
        }
    }

    #[test]
    fn the_demo_job_is_logged_as_the_simulator_ran_it() {
        use OpType::*;
        let job = run_sim_job();
        let want = expected_ops(&job.phases);
        assert_eq!(
            want.iter().map(|w| w.1.clone()).collect::<Vec<_>>(),
            [Rih, Tag, Pooh, Wash, Circulate, Pooh, Stationary, Rih],
            "one whole cycle: {:?}",
            job.phases
        );
        for (name, ops) in [
            ("exact", &job.exact),
            ("published", &job.published),
            ("rough", &job.rough),
            ("untotalled", &job.untotalled),
        ] {
            assert_follows(name, ops, &want);
        }
        // Every foot and barrel is in exactly one operation.
        let sum = |ops: &[DetectedOp], f: fn(&DetectedOp) -> f64| ops.iter().map(f).sum::<f64>();
        let exact: &[DetectedOp] = &job.exact;
        assert!((sum(exact, |o| o.volume_bbl) - job.pumped_bbl).abs() < 1e-6);
        assert!((sum(exact, |o| o.footage_ft) - job.run_ft).abs() < 1e-6);
        assert_eq!(exact.iter().map(|o| o.max_depth_ft).fold(0.0, f64::max), job.deepest_ft);
        let integrated = sum(&job.untotalled[..], |o| o.volume_bbl);
        assert!(
            (integrated / job.pumped_bbl - 1.0).abs() < 0.005,
            "rate integrated {integrated} bbl, totaliser {} bbl",
            job.pumped_bbl
        );
        assert_ops_say_what_the_unit_did(exact);
    }

    /// Each operation's figures against what the sequencer does in that phase.
    fn assert_ops_say_what_the_unit_did(ops: &[DetectedOp]) {
        let (rih, tag, wash, circulate, pooh) = (&ops[0], &ops[1], &ops[3], &ops[4], &ops[5]);
        let near = |x: Option<f64>, want: f64, tol: f64| x.is_some_and(|x| (x - want).abs() <= tol);
        // The sequencer washes 150 ft down at 4 ft/min and 2 bbl/min.
        assert!((wash.footage_ft - 150.0).abs() < 2.0, "{wash:?}");
        assert!(near(wash.avg_rate_bpm, 2.0, 0.05), "{wash:?}");
        // Circulating: the pipe still, 2 bbl/min, the volume the rate says.
        assert!(circulate.footage_ft < 0.1, "{circulate:?}");
        assert!(near(circulate.avg_rate_bpm, 2.0, 0.02), "{circulate:?}");
        let minutes = (circulate.end - circulate.start) / 60.0;
        assert!(
            (circulate.volume_bbl / (2.0 * minutes) - 1.0).abs() < 0.01,
            "{circulate:?}"
        );
        assert_eq!(circulate.max_depth_ft, wash.end_depth_ft);
        // Pulling out to surface at 1 bbl/min; the pick-up weight is heavier than slacking off.
        assert!(near(pooh.avg_rate_bpm, 1.0, 0.02), "{pooh:?}");
        assert!(pooh.end_depth_ft < 1.5, "{pooh:?}");
        assert!((pooh.footage_ft - (pooh.start_depth_ft - pooh.end_depth_ft)).abs() < 0.5);
        assert!(pooh.max_weight_lbf > rih.max_weight_lbf, "{pooh:?} vs {rih:?}");
        assert!((rih.footage_ft - (rih.end_depth_ft - rih.start_depth_ft)).abs() < 0.5);
        // Setting down 2,500 lbf on the fill shows on the weight (less what the build section's drag takes).
        let set_down = tag.max_weight_lbf.zip(tag.min_weight_lbf).map(|(hi, lo)| hi - lo);
        assert!(set_down.is_some_and(|w| w > 1_000.0), "{tag:?}");
    }
}
