//! The well-test runner: one test separator's test of the well routed to it, from the routing to the
//! averages (idle → purge → stabilizing → testing → done).
//!
//! Pure: the service feeds it one scan at a time, time in plant seconds, and it answers what happened. No
//! I/O, no clock, no threads, and no allocation per scan (the stabilization ring is a fixed array; only an
//! event's well name is allocated, once per event).
//!
//! Volumes, not rates. A test separator's dump valves snap open and shut, so its metered rates saw-tooth and
//! an average of them over minutes depends on where the dump cycles fall. Each phase's volume
//! V(t) = what left the vessel (the flow computer's totalizer, else the metered rate integrated) + what the
//! vessel holds (its levels × bbl per inch) is the integral of what came in whatever the valves do, and a
//! rate is ΔV/Δt: over the halves of the stabilization window, over the test period for the averages. V is
//! smoothed with a short exponential average against the level transmitters' noise: the same lag at both
//! ends of a window leaves the rate between them unbiased.
//!
//! Invariants: V is continuous (a totalizer reset is re-based, a bad input holds its last value, levels
//! count from the first good reading); a phase that ends early says so with an event before the next one
//! begins; every number in an event is finite. Must not touch tags, the hub or the store (the service
//! does), nor read the clock.

use crate::calc::ratios::ratios;
use crate::lang::Lang;
use crate::production::config::TestSettings;
use crate::production::model::Measured;
use crate::tag::Timestamp;
use std::collections::VecDeque;

const OIL: usize = 0;
const WATER: usize = 1;
const GAS: usize = 2;
const SECONDS_PER_DAY: f64 = 86_400.0;
/// Time constant of the volumes' smoothing, s: long against the level transmitters' noise, short against a
/// dump cycle and far shorter than any window.
const SMOOTHING_S: f64 = 15.0;
/// The stabilization window is sampled this many times (plus its first point).
const SLOTS: usize = 20;
/// A phase whose rate is below this in both halves (bbl/d, Mscf/d) is stable: a dry well's water or a dead
/// oil's gas has no relative change worth waiting for.
const LOW_RATE: f64 = 1.0;
/// A rate smaller than this (bbl/d, Mscf/d) is the arithmetic residue of volumes that did not move: 0, so a
/// dry phase's ratios come out undefined rather than from a denominator of 1e-12.
const ZERO_RATE: f64 = 1e-6;
/// A test whose volume inputs were bad for more than this fraction of its period is not a test.
const MAX_BAD_FRACTION: f64 = 0.10;
/// The routing tag may be unreadable this long before the separator counts as having no well (a bad scan
/// of the manifold's position does not cost a test).
const ROUTING_GRACE_S: f64 = 30.0;

/// One scan of the separator and the routed well. `None` or a non-finite number is a bad or missing input.
#[derive(Debug, Clone, Copy, Default)]
pub struct TestReading<'a> {
    /// Plant seconds (Unix seconds in the service), increasing; a scan not later than the last is ignored.
    pub t_s: f64,
    /// The well routed to the separator (None: nothing routed, or the routing tag is bad).
    pub well: Option<&'a str>,
    /// Metered rates: oil and water bbl/d, gas Mscf/d.
    pub oil_bpd: Option<f64>,
    pub water_bpd: Option<f64>,
    pub gas_mscfd: Option<f64>,
    /// The flow computer's totalizers, bbl, bbl, Mscf. Once a phase's totalizer has read good, its volume
    /// comes from it (and a bad totalizer reading is a bad input); until then from the rate.
    pub oil_total: Option<f64>,
    pub water_total: Option<f64>,
    pub gas_total: Option<f64>,
    /// Oil (total liquid) and water (interface) levels, in: counted when the settings give bbl per inch.
    pub oil_level_in: Option<f64>,
    pub water_level_in: Option<f64>,
    pub separator_psi: Option<f64>,
    pub separator_temp_f: Option<f64>,
    /// BS&W from the sampler, % (a reading outside 0..=100 is bad).
    pub bsw_pct: Option<f64>,
    /// The routed well's wellhead pressure, flowing bottomhole pressure and ESP frequency.
    pub whp_psi: Option<f64>,
    pub pwf_psi: Option<f64>,
    pub esp_hz: Option<f64>,
}

/// Where the separator's test stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    /// No well routed.
    Idle,
    /// A well was routed: the previous well's fluids are flushed.
    Purge,
    /// Waiting for the rates and pressure to settle (compared over the window's halves).
    Stabilizing,
    /// The test period: volumes and means accumulate.
    Testing,
    /// The test ended (completed or abandoned): waits for the next routing.
    Done,
}

impl Phase {
    pub const ALL: [Phase; 5] = [
        Phase::Idle,
        Phase::Purge,
        Phase::Stabilizing,
        Phase::Testing,
        Phase::Done,
    ];

    /// The stable name, for tags and records.
    pub fn code(self) -> &'static str {
        match self {
            Phase::Idle => "idle",
            Phase::Purge => "purge",
            Phase::Stabilizing => "stabilizing",
            Phase::Testing => "testing",
            Phase::Done => "done",
        }
    }

    pub fn parse(s: &str) -> Option<Phase> {
        Phase::ALL.into_iter().find(|p| p.code() == s)
    }

    /// The phase as the operator reads it.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Phase::Idle => lang.pick("Idle: no well on test", "En espera: ningún pozo en prueba"),
            Phase::Purge => lang.pick("Purging the separator", "Purgando el separador"),
            Phase::Stabilizing => lang.pick("Stabilizing", "Estabilizando"),
            Phase::Testing => lang.pick("Testing", "En prueba"),
            Phase::Done => lang.pick("Test done", "Prueba terminada"),
        }
    }
}

/// The last stabilization measure, over the latest full window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stability {
    /// The largest relative difference between the rates of the window's two halves over the phases, %.
    pub worst_rate_pct: f64,
    /// The difference between the halves' mean separator pressures, psi.
    pub pressure_psi: f64,
    /// Both within the settings' tolerances.
    pub stable: bool,
}

/// How the runner measures: the site's test settings and the separator's meter corrections.
#[derive(Debug, Clone, PartialEq)]
pub struct RunnerSettings {
    pub test: TestSettings,
    /// Liquid held per inch of level, bbl. Give it only when both level tags exist: with it, a bad level
    /// reading is a bad volume input.
    pub bbl_per_inch: Option<f64>,
    /// Oil, water, gas: applied to what the meters count (not to the vessel's hold-up, which no meter sees).
    pub meter_factors: [f64; 3],
    /// Stock-tank barrels per barrel of separator oil.
    pub shrinkage: f64,
    /// The separator's name, copied into each measurement.
    pub separator: String,
}

/// What a scan changed, when it changed something.
// A test ends once in tens of minutes: moving a `Measured` by value costs nothing worth a box.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum RunnerEvent {
    /// A well was routed to the separator (or first seen there): its purge begins.
    Routed { well: String },
    /// The well's rates and pressure settled: its test period begins now.
    Stable { well: String },
    /// The test period ended with its averages.
    Completed(Measured),
    /// A stabilization or a test ended without a measurement.
    Aborted { well: String, phase: Phase, why: String },
}

/// A time-weighted mean of the good readings.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Mean {
    sum: f64,
    seconds: f64,
}

impl Mean {
    fn add(&mut self, x: Option<f64>, dt: f64) {
        if let Some(x) = x {
            self.sum += x * dt;
            self.seconds += dt;
        }
    }

    fn merge(self, other: Mean) -> Mean {
        Mean {
            sum: self.sum + other.sum,
            seconds: self.seconds + other.seconds,
        }
    }

    fn get(self) -> Option<f64> {
        (self.seconds > 0.0).then(|| self.sum / self.seconds)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Rate,
    Totalizer,
}

/// What one phase's meter has counted since the runner started, continuous whatever the meter does.
#[derive(Debug, Clone, Copy)]
struct Meter {
    source: Source,
    /// bbl or Mscf.
    volume: f64,
    /// volume = totalizer + offset (moved when the totalizer resets).
    offset: f64,
    last_total: Option<f64>,
    /// The last good rate, per day, for the trapezoid (None after a bad one).
    last_rate: Option<f64>,
    resets: u32,
}

impl Meter {
    const fn new() -> Self {
        Self {
            source: Source::Rate,
            volume: 0.0,
            offset: 0.0,
            last_total: None,
            last_rate: None,
            resets: 0,
        }
    }

    /// Counts this scan's totalizer or rate over `dt`; false when the input the volume comes from was bad
    /// (the volume is then held).
    fn update(&mut self, total: Option<f64>, rate_per_day: Option<f64>, dt: f64) -> bool {
        let last_rate = std::mem::replace(&mut self.last_rate, rate_per_day);
        if let Some(total) = total {
            match (self.source, self.last_total) {
                // A totalizer appears: the volume continues from what the rate counted.
                (Source::Rate, _) => {
                    self.source = Source::Totalizer;
                    self.offset = self.volume - total;
                }
                // Reset or rollover: re-based where it was (the flow since the last scan is unknowable).
                (Source::Totalizer, Some(last)) if total < last => {
                    self.offset += last - total;
                    self.resets += 1;
                }
                _ => {}
            }
            self.last_total = Some(total);
            self.volume = total + self.offset;
            return true;
        }
        match (self.source, last_rate, rate_per_day) {
            (Source::Totalizer, ..) => false,
            (Source::Rate, Some(r0), Some(r1)) => {
                self.volume += 0.5 * (r0 + r1) * dt / SECONDS_PER_DAY;
                true
            }
            // The first scan has nothing to integrate; after a bad rate the gap's flow is lost (counted bad).
            (Source::Rate, None, Some(_)) => dt <= 0.0,
            (Source::Rate, _, None) => false,
        }
    }
}

/// The separator's volumes: the meters, the vessel's hold-up and their smoothing.
#[derive(Debug, Clone)]
struct Volumes {
    meters: [Meter; 3],
    /// Hold-up of oil and water (gas 0), bbl, relative to the first good level reading.
    held: [f64; 3],
    held_origin: Option<[f64; 3]>,
    meter_smoothed: [f64; 3],
    held_smoothed: [f64; 3],
    primed: bool,
}

impl Volumes {
    fn new() -> Self {
        Self {
            meters: [Meter::new(); 3],
            held: [0.0; 3],
            held_origin: None,
            meter_smoothed: [0.0; 3],
            held_smoothed: [0.0; 3],
            primed: false,
        }
    }

    /// Takes one scan; true when every volume input was good.
    fn update(&mut self, r: &TestReading<'_>, dt: f64, bbl_per_inch: Option<f64>) -> bool {
        let totals = [good(r.oil_total), good(r.water_total), good(r.gas_total)];
        let rates = [good(r.oil_bpd), good(r.water_bpd), good(r.gas_mscfd)];
        let mut ok = true;
        for ((meter, total), rate) in self.meters.iter_mut().zip(totals).zip(rates) {
            ok &= meter.update(total, rate, dt);
        }
        if let Some(bpi) = bbl_per_inch {
            match (good(r.oil_level_in), good(r.water_level_in)) {
                (Some(oil_in), Some(water_in)) => {
                    // Oil sits between the interface and the liquid level; water below the interface.
                    let now = [(oil_in - water_in) * bpi, water_in * bpi, 0.0];
                    let origin = *self.held_origin.get_or_insert(now);
                    self.held = std::array::from_fn(|i| now[i] - origin[i]);
                }
                _ => ok = false,
            }
        }
        let alpha = if self.primed {
            1.0 - (-dt / SMOOTHING_S).exp()
        } else {
            1.0
        };
        self.primed = true;
        for (s, m) in self.meter_smoothed.iter_mut().zip(&self.meters) {
            *s += alpha * (m.volume - *s);
        }
        for (s, h) in self.held_smoothed.iter_mut().zip(self.held) {
            *s += alpha * (h - *s);
        }
        ok
    }

    /// Each phase's smoothed volume, the meter factors applied to what the meters counted, bbl or Mscf.
    fn smoothed(&self, factors: &[f64; 3]) -> [f64; 3] {
        std::array::from_fn(|i| self.meter_smoothed[i] * factors[i] + self.held_smoothed[i])
    }

    fn totalized(&self) -> bool {
        self.meters.iter().all(|m| m.source == Source::Totalizer)
    }
}

/// A sample of the stabilization window: the volumes at its time and the pressure over the slot it ends.
#[derive(Debug, Clone, Copy, Default)]
struct Point {
    t: f64,
    v: [f64; 3],
    pressure: Mean,
}

/// The last `SLOTS + 1` points, oldest first.
#[derive(Debug, Clone)]
struct Ring {
    points: [Point; SLOTS + 1],
    head: usize,
    len: usize,
}

impl Ring {
    fn new() -> Self {
        Self {
            points: [Point::default(); SLOTS + 1],
            head: 0,
            len: 0,
        }
    }

    fn clear(&mut self) {
        self.head = 0;
        self.len = 0;
    }

    fn push(&mut self, p: Point) {
        let n = self.points.len();
        if self.len < n {
            self.points[(self.head + self.len) % n] = p;
            self.len += 1;
        } else {
            self.points[self.head] = p;
            self.head = (self.head + 1) % n;
        }
    }

    /// The `i`-th point from the oldest.
    fn at(&self, i: usize) -> &Point {
        &self.points[(self.head + i) % self.points.len()]
    }

    /// Rates of the window's halves and the difference of their mean pressures, once the window is full
    /// (None before, or while a half has no good pressure).
    fn judge(&self, s: &TestSettings) -> Option<Stability> {
        if self.len < self.points.len() {
            return None;
        }
        let mid = SLOTS / 2;
        let (first, middle, last) = (self.at(0), self.at(mid), self.at(SLOTS));
        let r1 = rates(first, middle);
        let r2 = rates(middle, last);
        let worst = r1
            .iter()
            .zip(&r2)
            .map(|(a, b)| relative_change_pct(*a, *b))
            .fold(0.0, f64::max);
        let half_pressure = |from: usize, to: usize| {
            (from..=to)
                .map(|i| self.at(i).pressure)
                .fold(Mean::default(), Mean::merge)
                .get()
        };
        let dp = (half_pressure(mid + 1, SLOTS)? - half_pressure(1, mid)?).abs();
        Some(Stability {
            worst_rate_pct: worst,
            pressure_psi: dp,
            stable: worst <= s.tolerance_pct && dp <= s.pressure_tolerance_psi,
        })
    }
}

/// Per-day rates between two points (their times differ: scans are strictly increasing).
fn rates(a: &Point, b: &Point) -> [f64; 3] {
    let dt = b.t - a.t;
    std::array::from_fn(|i| (b.v[i] - a.v[i]) / dt * SECONDS_PER_DAY)
}

/// |r2 − r1| as a % of their mean; 0 when both are below `LOW_RATE`.
fn relative_change_pct(r1: f64, r2: f64) -> f64 {
    if r1.abs().max(r2.abs()) < LOW_RATE {
        return 0.0;
    }
    (r2 - r1).abs() / (0.5 * (r1.abs() + r2.abs())) * 100.0
}

/// What the test period has gathered so far.
#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    start: f64,
    v0: [f64; 3],
    totalized: bool,
    bad_input_s: f64,
    pressure: Mean,
    temperature: Mean,
    bsw: Mean,
    whp: Mean,
    pwf: Mean,
    hz: Mean,
}

/// One separator's test runner. See the module's doc.
#[derive(Debug, Clone)]
pub struct TestRunner {
    settings: RunnerSettings,
    phase: Phase,
    well: Option<String>,
    phase_start: f64,
    routed_at: f64,
    stable_at: f64,
    last_t: Option<f64>,
    /// Since when the routing tag has named no well (the grace before the separator goes idle).
    unrouted_since: Option<f64>,
    volumes: Volumes,
    ring: Ring,
    /// Pressure over the stabilization slot being filled, and when the next point is due.
    slot: Mean,
    next_point_t: f64,
    stability: Option<Stability>,
    tally: Tally,
    /// Events not yet handed out (a scan can abort one well's test and route the next).
    events: VecDeque<RunnerEvent>,
}

impl TestRunner {
    pub fn new(settings: RunnerSettings) -> Self {
        Self {
            settings,
            phase: Phase::Idle,
            well: None,
            phase_start: 0.0,
            routed_at: 0.0,
            stable_at: 0.0,
            last_t: None,
            unrouted_since: None,
            volumes: Volumes::new(),
            ring: Ring::new(),
            slot: Mean::default(),
            next_point_t: 0.0,
            stability: None,
            tally: Tally::default(),
            events: VecDeque::with_capacity(4),
        }
    }

    /// Feeds one scan; returns what happened (usually nothing). When a scan makes two events (a test
    /// aborted by the next well's routing), the second comes with the next scan or from `next_event`.
    pub fn step(&mut self, r: &TestReading<'_>) -> Option<RunnerEvent> {
        let t = r.t_s;
        let dt = match self.last_t {
            _ if !t.is_finite() => return self.events.pop_front(),
            Some(last) if t <= last => return self.events.pop_front(),
            Some(last) => t - last,
            None => {
                self.phase_start = t;
                0.0
            }
        };
        self.last_t = Some(t);
        let inputs_good = self.volumes.update(r, dt, self.settings.bbl_per_inch);
        self.route(r.well, t);
        match self.phase {
            Phase::Idle | Phase::Done => {}
            Phase::Purge => {
                if t - self.phase_start >= self.settings.test.purge_s {
                    self.begin_stabilizing(t);
                }
            }
            Phase::Stabilizing => self.stabilize(r, dt),
            Phase::Testing => self.test(r, dt, inputs_good),
        }
        self.events.pop_front()
    }

    /// An event a scan made but could not return (see `step`).
    pub fn next_event(&mut self) -> Option<RunnerEvent> {
        self.events.pop_front()
    }

    pub fn phase(&self) -> Phase {
        self.phase
    }

    pub fn well(&self) -> Option<&str> {
        self.well.as_deref()
    }

    /// Seconds in the current phase.
    pub fn elapsed_s(&self) -> f64 {
        self.last_t.map_or(0.0, |t| (t - self.phase_start).max(0.0))
    }

    /// The last stabilization measure (kept through the test it started); None until a full window is in.
    pub fn stability(&self) -> Option<Stability> {
        self.stability
    }

    /// Time-weighted averages of the test so far (live numbers while testing), None otherwise.
    pub fn running_averages(&self) -> Option<Measured> {
        if self.phase != Phase::Testing {
            return None;
        }
        let (well, t) = (self.well.as_deref()?, self.last_t?);
        self.measure(well, t).ok()
    }

    /// Totalizer resets and rollovers survived since the runner started.
    pub fn totalizer_resets(&self) -> u32 {
        self.volumes.meters.iter().map(|m| m.resets).sum()
    }

    fn enter(&mut self, phase: Phase, t: f64) {
        self.phase = phase;
        self.phase_start = t;
    }

    /// Follows the routing tag: a new well is purged; no well for longer than the grace is idle.
    fn route(&mut self, well: Option<&str>, t: f64) {
        match well.map(str::trim).filter(|w| !w.is_empty()) {
            Some(w) if self.well.as_deref() == Some(w) => self.unrouted_since = None,
            Some(w) => {
                self.abort_running(format!("{w} was routed to the separator"));
                self.well = Some(w.to_owned());
                self.unrouted_since = None;
                self.routed_at = t;
                self.stability = None;
                self.events.push_back(RunnerEvent::Routed { well: w.to_owned() });
                self.enter(Phase::Purge, t);
            }
            None if self.well.is_none() => {}
            None => {
                let since = *self.unrouted_since.get_or_insert(t);
                if t - since >= ROUTING_GRACE_S {
                    self.abort_running(format!(
                        "no well routed to the separator for {}",
                        duration_text(t - since)
                    ));
                    self.well = None;
                    self.unrouted_since = None;
                    self.stability = None;
                    self.enter(Phase::Idle, since);
                }
            }
        }
    }

    /// An Aborted event for a stabilization or test in progress.
    fn abort_running(&mut self, why: String) {
        if let (Phase::Stabilizing | Phase::Testing, Some(well)) = (self.phase, &self.well) {
            self.events.push_back(RunnerEvent::Aborted {
                well: well.clone(),
                phase: self.phase,
                why,
            });
        }
    }

    fn slot_s(&self) -> f64 {
        self.settings.test.window_s.max(1.0) / SLOTS as f64
    }

    fn begin_stabilizing(&mut self, t: f64) {
        self.enter(Phase::Stabilizing, t);
        self.ring.clear();
        self.slot = Mean::default();
        self.ring.push(Point {
            t,
            v: self.volumes.smoothed(&self.settings.meter_factors),
            pressure: Mean::default(),
        });
        self.next_point_t = t + self.slot_s();
    }

    fn stabilize(&mut self, r: &TestReading<'_>, dt: f64) {
        let t = r.t_s;
        self.slot.add(good(r.separator_psi), dt);
        if t >= self.next_point_t {
            self.ring.push(Point {
                t,
                v: self.volumes.smoothed(&self.settings.meter_factors),
                pressure: std::mem::take(&mut self.slot),
            });
            let slot_s = self.slot_s();
            self.next_point_t += slot_s;
            if self.next_point_t <= t {
                // A gap in the scans: sample on from now.
                self.next_point_t = t + slot_s;
            }
            if let Some(s) = self.ring.judge(&self.settings.test) {
                self.stability = Some(s);
                if s.stable {
                    self.begin_test(t);
                    return;
                }
            }
        }
        let max_s = self.settings.test.max_stabilization_s;
        if t - self.phase_start >= max_s {
            let why = match self.stability {
                Some(s) => format!(
                    "not stable after {}: the rates of the window's halves differ by up to {:.1} % \
                     (tolerance {} %), the pressures by {:.1} psi (tolerance {} psi)",
                    duration_text(max_s),
                    s.worst_rate_pct,
                    self.settings.test.tolerance_pct,
                    s.pressure_psi,
                    self.settings.test.pressure_tolerance_psi
                ),
                None => format!(
                    "not stable after {}: no full window with a good separator pressure",
                    duration_text(max_s)
                ),
            };
            self.abort_running(why);
            self.enter(Phase::Done, t);
        }
    }

    fn begin_test(&mut self, t: f64) {
        self.stable_at = t;
        if let Some(well) = &self.well {
            self.events.push_back(RunnerEvent::Stable { well: well.clone() });
        }
        self.tally = Tally {
            start: t,
            v0: self.volumes.smoothed(&self.settings.meter_factors),
            totalized: self.volumes.totalized(),
            ..Tally::default()
        };
        self.enter(Phase::Testing, t);
    }

    fn test(&mut self, r: &TestReading<'_>, dt: f64, inputs_good: bool) {
        let t = r.t_s;
        let tally = &mut self.tally;
        tally.pressure.add(good(r.separator_psi), dt);
        tally.temperature.add(good(r.separator_temp_f), dt);
        tally.whp.add(good(r.whp_psi), dt);
        tally.pwf.add(good(r.pwf_psi), dt);
        tally.hz.add(good(r.esp_hz), dt);
        let bsw = good(r.bsw_pct).filter(|b| (0.0..=100.0).contains(b));
        tally.bsw.add(bsw.map(|b| b / 100.0), dt);
        if !inputs_good {
            tally.bad_input_s += dt;
        }
        let test_s = self.settings.test.test_s;
        let bad_s = tally.bad_input_s;
        if bad_s > MAX_BAD_FRACTION * test_s {
            self.abort_running(format!(
                "meter data bad for {} of the {} test (more than {:.0} %)",
                duration_text(bad_s),
                duration_text(test_s),
                MAX_BAD_FRACTION * 100.0
            ));
            self.enter(Phase::Done, t);
        } else if t - self.tally.start >= test_s {
            self.finish(t);
        }
    }

    fn finish(&mut self, t: f64) {
        let well = self.well.clone().unwrap_or_default();
        let event = match self.measure(&well, t) {
            Ok(m) => RunnerEvent::Completed(m),
            Err(why) => RunnerEvent::Aborted {
                well,
                phase: Phase::Testing,
                why,
            },
        };
        self.events.push_back(event);
        self.enter(Phase::Done, t);
    }

    /// The test's averages from its start to `end_t`.
    fn measure(&self, well: &str, end_t: f64) -> Result<Measured, String> {
        let tally = &self.tally;
        let dt = end_t - tally.start;
        if dt <= 0.0 {
            return Err("the test has no duration".to_owned());
        }
        let v = self.volumes.smoothed(&self.settings.meter_factors);
        let mut rate = [0.0; 3];
        for (i, (name, unit)) in [("oil", "bbl/d"), ("water", "bbl/d"), ("gas", "Mscf/d")]
            .into_iter()
            .enumerate()
        {
            let r = (v[i] - tally.v0[i]) / dt * SECONDS_PER_DAY;
            if r <= -LOW_RATE || !r.is_finite() {
                return Err(format!(
                    "the {name} volume went down over the test ({r:.1} {unit}): a meter or level fault"
                ));
            }
            // A dry phase's noise may read a hair below 0.
            rate[i] = if r < ZERO_RATE { 0.0 } else { r };
        }
        let separator_psi = tally
            .pressure
            .get()
            .ok_or_else(|| "no good separator pressure during the test".to_owned())?;
        let oil_stb_d = rate[OIL] * self.settings.shrinkage;
        let r = ratios(oil_stb_d, rate[WATER], rate[GAS]).ok();
        Ok(Measured {
            well: well.to_owned(),
            separator: self.settings.separator.clone(),
            routed_at: Timestamp::from_secs_f64(self.routed_at),
            stable_at: Timestamp::from_secs_f64(self.stable_at),
            start: Timestamp::from_secs_f64(tally.start),
            end: Timestamp::from_secs_f64(end_t),
            oil_stb_d,
            water_bbl_d: rate[WATER],
            gas_mscf_d: rate[GAS],
            gor_scf_stb: r.and_then(|r| r.gor_scf_stb),
            wor: r.and_then(|r| r.wor),
            water_cut: r.and_then(|r| r.water_cut),
            bsw: tally.bsw.get(),
            separator_psi,
            separator_temp_f: tally.temperature.get(),
            whp_psi: tally.whp.get(),
            pwf_psi: tally.pwf.get(),
            esp_hz: tally.hz.get(),
            meter_factors: self.settings.meter_factors,
            shrinkage: self.settings.shrinkage,
            totalized: tally.totalized,
            level_compensated: self.settings.bbl_per_inch.is_some(),
            bad_input_s: tally.bad_input_s,
        })
    }
}

fn good(x: Option<f64>) -> Option<f64> {
    x.filter(|v| v.is_finite())
}

/// "45 s", "25 min", "6 h 00 min".
fn duration_text(s: f64) -> String {
    let s = s.max(0.0).round() as u64;
    if s < 120 {
        format!("{s} s")
    } else if s < 7_200 {
        format!("{} min", (s + 30) / 60)
    } else {
        format!("{} h {:02} min", s / 3_600, (s % 3_600) / 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BPI: f64 = 0.55;
    const DAY: f64 = SECONDS_PER_DAY;

    fn settings() -> RunnerSettings {
        RunnerSettings {
            test: TestSettings {
                purge_s: 600.0,
                window_s: 900.0,
                tolerance_pct: 5.0,
                pressure_tolerance_psi: 10.0,
                test_s: 1_200.0,
                max_stabilization_s: 3_600.0,
            },
            bbl_per_inch: Some(BPI),
            meter_factors: [1.0; 3],
            shrinkage: 1.0,
            separator: "sep01".to_owned(),
        }
    }

    /// A deterministic noise source for the toy (uniform in ±1).
    struct Lcg(u64);

    impl Lcg {
        fn uniform(&mut self) -> f64 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((self.0 >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
        }
    }

    fn snap(open: bool, level: f64, low: f64, high: f64) -> bool {
        if level >= high {
            true
        } else if level <= low {
            false
        } else {
            open
        }
    }

    /// A three-phase separator with snap-acting dumps: the liquid level (oil dump, 22–30 in) and the
    /// interface (water dump, 12–18 in) of one vessel, meters and totalizers on the dump lines, gas out as
    /// it comes in. `meter_gain` is what each meter reads per unit that passes (a meter factor corrects it).
    struct Toy {
        liquid_in: f64,
        interface_in: f64,
        oil_dumping: bool,
        water_dumping: bool,
        totals: [f64; 3],
        flows: [f64; 3],
        meter_gain: [f64; 3],
        level_noise_in: f64,
        noise: Lcg,
    }

    impl Toy {
        fn new() -> Self {
            Self {
                liquid_in: 26.0,
                interface_in: 14.0,
                oil_dumping: false,
                water_dumping: false,
                // A flow computer that has been counting for a while.
                totals: [5_000.0, 8_000.0, 3_000.0],
                flows: [0.0; 3],
                meter_gain: [1.0; 3],
                level_noise_in: 0.05,
                noise: Lcg(7),
            }
        }

        fn step(&mut self, dt: f64, inflow: [f64; 3]) {
            let [oil_in, water_in, gas_in] = inflow;
            self.water_dumping = snap(self.water_dumping, self.interface_in, 12.0, 18.0);
            self.oil_dumping = snap(self.oil_dumping, self.liquid_in, 22.0, 30.0);
            let water_out = if self.water_dumping {
                4.0 * water_in + 3_000.0
            } else {
                0.0
            };
            let oil_out = if self.oil_dumping { 4.0 * oil_in + 2_500.0 } else { 0.0 };
            self.interface_in += (water_in - water_out) * dt / DAY / BPI;
            self.liquid_in += (oil_in + water_in - oil_out - water_out) * dt / DAY / BPI;
            self.flows = [oil_out, water_out, gas_in];
            for ((total, flow), gain) in self.totals.iter_mut().zip(self.flows).zip(self.meter_gain) {
                *total += flow * dt / DAY * gain;
            }
        }

        fn reading<'a>(&mut self, t: f64, well: Option<&'a str>, totals: bool) -> TestReading<'a> {
            let a = self.level_noise_in;
            let liquid = self.liquid_in + a * self.noise.uniform();
            let interface = self.interface_in + a * self.noise.uniform();
            let pressure = 125.0 + 0.4 * self.noise.uniform();
            let g = self.meter_gain;
            TestReading {
                t_s: t,
                well,
                oil_bpd: Some(self.flows[OIL] * g[OIL]),
                water_bpd: Some(self.flows[WATER] * g[WATER]),
                gas_mscfd: Some(self.flows[GAS] * g[GAS]),
                oil_total: totals.then_some(self.totals[OIL]),
                water_total: totals.then_some(self.totals[WATER]),
                gas_total: totals.then_some(self.totals[GAS]),
                oil_level_in: Some(liquid),
                water_level_in: Some(interface),
                separator_psi: Some(pressure),
                separator_temp_f: Some(95.0),
                bsw_pct: Some(60.0),
                whp_psi: Some(150.0),
                pwf_psi: Some(1_800.0),
                esp_hz: Some(55.0),
            }
        }
    }

    const STEADY: [f64; 3] = [800.0, 1_200.0, 400.0];

    /// A runner fed by the toy at 1 s scans, recording its events and the phases it went through.
    struct Rig {
        runner: TestRunner,
        toy: Toy,
        t: f64,
        inflow: fn(f64) -> [f64; 3],
        totals: bool,
        events: Vec<(f64, RunnerEvent)>,
        phases: Vec<Phase>,
    }

    impl Rig {
        fn new(settings: RunnerSettings, totals: bool) -> Self {
            let runner = TestRunner::new(settings);
            let phases = vec![runner.phase()];
            Self {
                runner,
                toy: Toy::new(),
                t: 0.0,
                inflow: |_| STEADY,
                totals,
                events: Vec::new(),
                phases,
            }
        }

        fn run(&mut self, seconds: f64, well: Option<&str>) {
            self.run_with(seconds, well, |_| {});
        }

        /// Runs `seconds`, `fault` changing each reading before the runner sees it.
        fn run_with(&mut self, seconds: f64, well: Option<&str>, mut fault: impl FnMut(&mut TestReading<'_>)) {
            for _ in 0..seconds.round() as usize {
                self.t += 1.0;
                self.toy.step(1.0, (self.inflow)(self.t));
                let mut r = self.toy.reading(self.t, well, self.totals);
                fault(&mut r);
                if let Some(e) = self.runner.step(&r) {
                    self.events.push((self.t, e));
                }
                let p = self.runner.phase();
                if self.phases.last() != Some(&p) {
                    self.phases.push(p);
                }
            }
        }

        /// Runs until the runner is in `phase` (at most `limit` s).
        fn run_until(&mut self, phase: Phase, well: Option<&str>, limit: f64) {
            let end = self.t + limit;
            while self.runner.phase() != phase {
                assert!(self.t < end, "not {phase:?} after {limit} s: {:?}", self.events);
                self.run(1.0, well);
            }
        }

        fn completed(&self) -> Vec<&Measured> {
            self.events
                .iter()
                .filter_map(|(_, e)| match e {
                    RunnerEvent::Completed(m) => Some(m),
                    _ => None,
                })
                .collect()
        }

        fn aborted(&self) -> Vec<(Phase, &str, &str)> {
            self.events
                .iter()
                .filter_map(|(_, e)| match e {
                    RunnerEvent::Aborted { well, phase, why } => Some((*phase, well.as_str(), why.as_str())),
                    _ => None,
                })
                .collect()
        }
    }

    fn assert_close(what: &str, got: f64, want: f64, rel: f64) {
        assert!(
            (got - want).abs() <= rel * want.abs(),
            "{what}: {got} vs {want} (more than {} % off)",
            rel * 100.0
        );
    }

    #[test]
    fn a_test_goes_idle_purge_stabilizing_testing_done_and_averages_the_inflow() {
        // Totalizers + levels, and the rates integrated + levels (a flow computer without totals).
        for totals in [true, false] {
            let mut rig = Rig::new(settings(), totals);
            rig.run(60.0, None);
            assert_eq!(rig.runner.phase(), Phase::Idle);
            rig.run_until(Phase::Stabilizing, Some("w1"), 700.0);
            assert_eq!(rig.runner.stability(), None, "no full window yet");
            assert_eq!(rig.runner.well(), Some("w1"));
            rig.run_until(Phase::Testing, Some("w1"), 1_000.0);
            let s = rig.runner.stability().unwrap();
            assert!(s.stable && s.worst_rate_pct < 5.0 && s.pressure_psi < 10.0, "{s:?}");
            rig.run(600.0, Some("w1"));
            let live = rig.runner.running_averages().unwrap();
            assert_close("live oil", live.oil_stb_d, 800.0, 0.01);
            rig.run_until(Phase::Done, Some("w1"), 700.0);
            rig.run(300.0, Some("w1"));
            assert_eq!(rig.runner.phase(), Phase::Done, "done until the well changes");
            assert_eq!(rig.runner.running_averages(), None);
            assert_eq!(
                rig.phases,
                [
                    Phase::Idle,
                    Phase::Purge,
                    Phase::Stabilizing,
                    Phase::Testing,
                    Phase::Done
                ]
            );
            let kinds: Vec<(f64, &str)> = rig
                .events
                .iter()
                .map(|(t, e)| {
                    let k = match e {
                        RunnerEvent::Routed { well } | RunnerEvent::Stable { well } => {
                            assert_eq!(well, "w1");
                            if matches!(e, RunnerEvent::Routed { .. }) {
                                "routed"
                            } else {
                                "stable"
                            }
                        }
                        RunnerEvent::Completed(_) => "completed",
                        RunnerEvent::Aborted { .. } => "aborted",
                    };
                    (*t, k)
                })
                .collect();
            // Routed at 61 s, purged 600 s, stable at the first full window (900 s), tested 1,200 s.
            assert_eq!(kinds, [(61.0, "routed"), (1_561.0, "stable"), (2_761.0, "completed")]);

            let m = rig.completed()[0].clone();
            assert_eq!((m.well.as_str(), m.separator.as_str()), ("w1", "sep01"));
            assert_eq!(m.routed_at, Timestamp::from_secs_f64(61.0));
            assert_eq!(m.stable_at, Timestamp::from_secs_f64(1_561.0));
            assert_eq!(m.start, m.stable_at);
            assert_eq!(m.end, Timestamp::from_secs_f64(2_761.0));
            assert!((m.duration_h() - 1_200.0 / 3_600.0).abs() < 1e-9);
            assert_close("oil", m.oil_stb_d, 800.0, 0.005);
            assert_close("water", m.water_bbl_d, 1_200.0, 0.005);
            assert_close("gas", m.gas_mscf_d, 400.0, 0.005);
            assert_close("GOR", m.gor_scf_stb.unwrap(), 500.0, 0.005);
            assert_close("WOR", m.wor.unwrap(), 1.5, 0.01);
            assert_close("water cut", m.water_cut.unwrap(), 0.6, 0.005);
            assert_close("BS&W", m.bsw.unwrap(), 0.6, 1e-9);
            assert_close("pressure", m.separator_psi, 125.0, 0.002);
            assert_eq!(
                (m.separator_temp_f, m.whp_psi, m.pwf_psi, m.esp_hz),
                (Some(95.0), Some(150.0), Some(1_800.0), Some(55.0))
            );
            assert_eq!((m.totalized, m.level_compensated, m.bad_input_s), (totals, true, 0.0));
            assert_eq!(rig.runner.totalizer_resets(), 0);
        }
    }

    #[test]
    fn the_vessel_hold_up_takes_the_dump_cycles_out() {
        // Without the levels the halves of a 15 min window catch different parts of the dump cycles: the
        // toy's oil rates look some 10 % apart and the well never settles. With them it is stable at once.
        for bpi in [Some(BPI), None] {
            let mut rig = Rig::new(
                RunnerSettings {
                    bbl_per_inch: bpi,
                    ..settings()
                },
                true,
            );
            rig.run_until(Phase::Stabilizing, Some("w1"), 1_000.0);
            rig.run(900.0, Some("w1"));
            let s = rig.runner.stability().unwrap();
            assert_eq!(s.stable, bpi.is_some(), "{s:?}");
            rig.run(4_000.0, Some("w1"));
            assert_eq!(rig.runner.phase(), Phase::Done);
            if bpi.is_some() {
                let m = rig.completed()[0].clone();
                assert!(m.level_compensated);
                assert_close("oil", m.oil_stb_d, 800.0, 0.005);
            } else {
                assert!(s.worst_rate_pct > 5.0, "{s:?}");
                let aborted = rig.aborted();
                assert_eq!(aborted.len(), 1);
                assert!(aborted[0].2.starts_with("not stable after 60 min"), "{}", aborted[0].2);
            }
        }
    }

    #[test]
    fn meter_factors_correct_the_meters_and_shrinkage_makes_stock_tank_oil() {
        let mut rig = Rig::new(
            RunnerSettings {
                meter_factors: [1.02, 0.97, 1.05],
                shrinkage: 0.93,
                ..settings()
            },
            true,
        );
        // Meters that read 2 % low, 3 % high and 5 % low: the factors put them right.
        rig.toy.meter_gain = [1.0 / 1.02, 1.0 / 0.97, 1.0 / 1.05];
        rig.run_until(Phase::Done, Some("w1"), 3_000.0);
        let m = rig.completed()[0].clone();
        assert_close("oil", m.oil_stb_d, 800.0 * 0.93, 0.005);
        assert_close("water", m.water_bbl_d, 1_200.0, 0.005);
        assert_close("gas", m.gas_mscf_d, 400.0, 0.005);
        assert_close("GOR per STB", m.gor_scf_stb.unwrap(), 400_000.0 / (800.0 * 0.93), 0.005);
        assert_eq!((m.meter_factors, m.shrinkage), ([1.02, 0.97, 1.05], 0.93));
    }

    #[test]
    fn a_well_change_aborts_the_test_and_purges_the_new_well() {
        for (phase, seconds) in [
            (Phase::Testing, 300.0),
            (Phase::Stabilizing, 100.0),
            (Phase::Purge, 100.0),
        ] {
            let mut rig = Rig::new(settings(), true);
            rig.run_until(phase, Some("w1"), 2_000.0);
            rig.run(seconds, Some("w1"));
            assert_eq!(rig.runner.phase(), phase);
            rig.run(1.0, Some("w2"));
            let aborted = rig.aborted();
            if phase == Phase::Purge {
                // Nothing was measured yet: the purge just starts over for the new well.
                assert!(aborted.is_empty(), "{aborted:?}");
                assert_eq!(rig.events.last().unwrap().1, RunnerEvent::Routed { well: "w2".into() });
            } else {
                assert_eq!(aborted.len(), 1);
                let (p, well, why) = aborted[0];
                assert_eq!((p, well), (phase, "w1"));
                assert!(why.contains("w2 was routed"), "{why}");
                // The routing comes with the next scan.
                rig.run(1.0, Some("w2"));
                assert_eq!(rig.events.last().unwrap().1, RunnerEvent::Routed { well: "w2".into() });
            }
            assert_eq!((rig.runner.phase(), rig.runner.well()), (Phase::Purge, Some("w2")));
            assert_eq!(rig.runner.stability(), None);
            rig.run_until(Phase::Done, Some("w2"), 3_000.0);
            let done = rig.completed();
            assert_eq!(done.len(), 1);
            assert_eq!(done[0].well, "w2");
            assert_close("w2 oil", done[0].oil_stb_d, 800.0, 0.005);
        }
    }

    #[test]
    fn two_events_of_one_scan_can_be_drained_at_once() {
        let mut rig = Rig::new(settings(), true);
        rig.run_until(Phase::Testing, Some("w1"), 2_000.0);
        rig.t += 1.0;
        let r = rig.toy.reading(rig.t, Some("w2"), true);
        assert!(matches!(rig.runner.step(&r), Some(RunnerEvent::Aborted { .. })));
        assert_eq!(rig.runner.next_event(), Some(RunnerEvent::Routed { well: "w2".into() }));
        assert_eq!(rig.runner.next_event(), None);
    }

    #[test]
    fn no_well_routed_goes_idle_after_a_grace_a_blip_does_not() {
        let mut rig = Rig::new(settings(), true);
        rig.run_until(Phase::Testing, Some("w1"), 2_000.0);
        rig.run(300.0, Some("w1"));
        // A bad scan or ten of the routing tag: the test goes on.
        rig.run(10.0, None);
        assert_eq!((rig.runner.phase(), rig.runner.well()), (Phase::Testing, Some("w1")));
        rig.run(60.0, Some("w1"));
        assert!(rig.aborted().is_empty());
        // Unrouted for good.
        rig.run(60.0, None);
        assert_eq!((rig.runner.phase(), rig.runner.well()), (Phase::Idle, None));
        let aborted = rig.aborted();
        assert_eq!(aborted.len(), 1);
        assert_eq!((aborted[0].0, aborted[0].1), (Phase::Testing, "w1"));
        assert!(aborted[0].2.contains("no well routed"), "{}", aborted[0].2);
        let in_phase_s = rig.runner.elapsed_s();
        assert!(in_phase_s >= 59.0, "idle for the grace and more: {in_phase_s} s");
        // Routed again: a fresh test.
        rig.run_until(Phase::Done, Some("w1"), 3_000.0);
        assert_eq!(rig.completed().len(), 1);
    }

    #[test]
    fn a_totalizer_reset_mid_test_is_rebased_and_counted() {
        let mut rig = Rig::new(settings(), true);
        rig.run_until(Phase::Testing, Some("w1"), 2_000.0);
        rig.run(300.0, Some("w1"));
        // Between oil dumps, so the one scan's flow a reset loses is nothing.
        while rig.toy.oil_dumping || rig.toy.liquid_in > 29.5 {
            rig.run(1.0, Some("w1"));
        }
        // The oil totalizer restarts from 0.25 bbl (a flow computer's reset): the 5,000-odd counted vanish.
        let cut = rig.toy.totals[OIL] - 0.25;
        while rig.runner.phase() == Phase::Testing {
            rig.run_with(1.0, Some("w1"), |r| r.oil_total = r.oil_total.map(|v| v - cut));
        }
        assert_eq!(rig.runner.totalizer_resets(), 1);
        let m = rig.completed()[0].clone();
        assert!(m.totalized);
        assert_close("oil", m.oil_stb_d, 800.0, 0.005);
        assert_close("water", m.water_bbl_d, 1_200.0, 0.005);
    }

    #[test]
    fn bad_meter_data_is_held_and_counted_and_too_much_aborts() {
        // 60 s of a bad oil totalizer: held, then caught up (a totalizer loses nothing); 5 % of the test.
        let mut rig = Rig::new(settings(), true);
        rig.run_until(Phase::Testing, Some("w1"), 2_000.0);
        rig.run(300.0, Some("w1"));
        rig.run_with(60.0, Some("w1"), |r| r.oil_total = Some(f64::NAN));
        rig.run(30.0, Some("w1"));
        let live = rig.runner.running_averages().unwrap();
        assert!((live.bad_input_s - 60.0).abs() < 1e-9, "{}", live.bad_input_s);
        rig.run_until(Phase::Done, Some("w1"), 1_000.0);
        let m = rig.completed()[0].clone();
        assert!((m.bad_input_s - 60.0).abs() < 1e-9);
        assert_close("oil", m.oil_stb_d, 800.0, 0.005);

        // A bad level is a bad volume input too; 130 s is more than 10 % of 1,200 s.
        let mut rig = Rig::new(settings(), true);
        rig.run_until(Phase::Testing, Some("w1"), 2_000.0);
        rig.run_with(130.0, Some("w1"), |r| r.water_level_in = None);
        assert_eq!(rig.runner.phase(), Phase::Done);
        assert!(rig.completed().is_empty());
        let aborted = rig.aborted();
        assert_eq!(aborted.len(), 1);
        assert_eq!(aborted[0].0, Phase::Testing);
        assert!(aborted[0].2.starts_with("meter data bad for"), "{}", aborted[0].2);
        // Done until the well changes.
        rig.run(3_000.0, Some("w1"));
        assert_eq!(rig.runner.phase(), Phase::Done);
        rig.run(1.0, Some("w2"));
        assert_eq!(rig.runner.phase(), Phase::Purge);
    }

    #[test]
    fn a_well_that_does_not_settle_is_given_up_on() {
        let mut rig = Rig::new(
            RunnerSettings {
                test: TestSettings {
                    max_stabilization_s: 1_800.0,
                    ..settings().test
                },
                ..settings()
            },
            true,
        );
        // Oil inflow growing 25 % every half window: never within 5 %.
        rig.inflow = |t| [800.0 * (t / 1_800.0).exp(), 1_200.0, 400.0];
        rig.run(2_000.0, Some("w1"));
        rig.run(1_000.0, Some("w1"));
        assert_eq!(rig.runner.phase(), Phase::Done);
        let s = rig.runner.stability().unwrap();
        assert!(!s.stable && s.worst_rate_pct > 20.0, "{s:?}");
        let aborted = rig.aborted();
        assert_eq!(aborted.len(), 1);
        let (phase, well, why) = aborted[0];
        assert_eq!((phase, well), (Phase::Stabilizing, "w1"));
        assert!(why.starts_with("not stable after 30 min"), "{why}");
        // Routed at 1 s, purged to 601 s, given up 1,800 s later.
        assert_eq!(rig.events.last().unwrap().0, 2_401.0);
        assert!(rig.completed().is_empty());
    }

    #[test]
    fn a_pressure_swing_is_not_stable() {
        let mut rig = Rig::new(settings(), true);
        rig.run_until(Phase::Stabilizing, Some("w1"), 1_000.0);
        // The back-pressure controller is still moving the vessel: 30 psi over the window.
        let start = rig.t;
        for _ in 0..900 {
            rig.run_with(1.0, Some("w1"), |r| {
                r.separator_psi = Some(110.0 + 30.0 * (r.t_s - start) / 900.0);
            });
        }
        let s = rig.runner.stability().unwrap();
        assert!(!s.stable && s.pressure_psi > 10.0 && s.worst_rate_pct < 5.0, "{s:?}");
        assert_eq!(rig.runner.phase(), Phase::Stabilizing);
        // Once it holds, the next full window is stable.
        rig.run_until(Phase::Testing, Some("w1"), 1_200.0);
    }

    #[test]
    fn no_oil_leaves_gor_and_wor_undefined() {
        let mut rig = Rig::new(settings(), true);
        rig.toy.level_noise_in = 0.0;
        rig.inflow = |_| [0.0, 1_000.0, 0.0];
        rig.run_until(Phase::Done, Some("w1"), 3_000.0);
        let m = rig.completed()[0].clone();
        assert_eq!((m.oil_stb_d, m.gas_mscf_d), (0.0, 0.0));
        assert_eq!((m.gor_scf_stb, m.wor), (None, None));
        assert_close("water", m.water_bbl_d, 1_000.0, 0.005);
        assert_close("water cut", m.water_cut.unwrap(), 1.0, 1e-12);
    }

    #[test]
    fn scans_out_of_order_or_without_a_time_are_ignored() {
        let mut rig = Rig::new(settings(), true);
        rig.run_until(Phase::Purge, Some("w1"), 10.0);
        let elapsed = rig.runner.elapsed_s();
        for t in [rig.t, rig.t - 5.0, f64::NAN, f64::INFINITY] {
            let r = rig.toy.reading(t, Some("w2"), true);
            assert_eq!(rig.runner.step(&r), None);
        }
        assert_eq!((rig.runner.well(), rig.runner.elapsed_s()), (Some("w1"), elapsed));
    }

    /// The test: the demo rotates its ESP wells through sep01 every hour; the runner, fed the
    /// separator's signals as the service reads them, finds each well's test and measures it within 3 % of
    /// the simulator's own inflow over the same period.
    #[test]
    fn measures_the_demo_wells_within_3_pct_of_the_simulator() {
        use crate::project::{SourceFile, survey_csv};
        use crate::sim::{CtConfig, DemoPlant, PlantConfig, esp_device};
        const DT: f64 = 1.0;

        let survey = survey_csv::parse(&SourceFile::new(
            "ct01_survey.csv",
            include_str!("../../data/ct01_survey.csv"),
        ))
        .unwrap();
        let mut plant = DemoPlant::new(PlantConfig {
            seed: 42,
            esp_wells: 6,
            ct: CtConfig::demo(survey),
            test_rotation_s: 3_600.0,
        });
        let at = |plant: &DemoPlant, address: &str| {
            plant
                .specs()
                .iter()
                .position(|s| s.address == address)
                .unwrap_or_else(|| panic!("the demo has {address}"))
        };
        let sep = [
            "well_on_test",
            "oil_rate",
            "water_rate",
            "gas_rate",
            "oil_total",
            "water_total",
            "gas_total",
            "oil_level",
            "water_level",
            "pressure",
            "temperature",
        ]
        .map(|n| at(&plant, &format!("sep01/{n}")));
        let wells: Vec<[usize; 3]> = (0..6)
            .map(|i| {
                ["wellhead_pressure", "intake_pressure", "frequency"]
                    .map(|n| at(&plant, &format!("{}/{n}", esp_device(i))))
            })
            .collect();
        let mut runner = TestRunner::new(settings());

        // What came into the separator so far (oil, water bbl; gas Mscf), at each second.
        let mut inflow_total = vec![[0.0_f64; 3]];
        let mut completed = Vec::new();
        let mut others = Vec::new();
        for _ in 0..(2.0 * 3_600.0 / DT) as usize {
            plant.step(DT);
            let on_test = plant.well_on_test_index();
            let well = plant.esp(on_test).unwrap();
            let (q, p) = (well.rate_bpd(), well.params());
            let oil = q * (1.0 - p.water_cut);
            let inflow = [oil, q * p.water_cut, oil * p.gor_scf_stb / 1_000.0];
            let last = *inflow_total.last().unwrap();
            inflow_total.push(std::array::from_fn(|i| last[i] + inflow[i] * DT / DAY));

            let t = plant.time_s();
            let v = plant.read();
            let f = |i: usize| v[i].as_f64();
            let [whp, pwf, hz] = wells[on_test];
            let r = TestReading {
                t_s: t,
                well: v[sep[0]].as_str(),
                oil_bpd: f(sep[1]),
                water_bpd: f(sep[2]),
                gas_mscfd: f(sep[3]),
                oil_total: f(sep[4]),
                water_total: f(sep[5]),
                gas_total: f(sep[6]),
                oil_level_in: f(sep[7]),
                water_level_in: f(sep[8]),
                separator_psi: f(sep[9]),
                separator_temp_f: f(sep[10]),
                bsw_pct: None,
                whp_psi: f(whp),
                pwf_psi: f(pwf),
                esp_hz: f(hz),
            };
            match runner.step(&r) {
                Some(RunnerEvent::Completed(m)) => completed.push(m),
                Some(e) => others.push((t, e)),
                None => {}
            }
        }

        assert!(
            !others.iter().any(|(_, e)| matches!(e, RunnerEvent::Aborted { .. })),
            "{others:?}"
        );
        for (well, routed_from_s) in [("esp01", 0.0), ("esp02", 3_600.0)] {
            let m = completed
                .iter()
                .find(|m| m.well == well)
                .unwrap_or_else(|| panic!("no test of {well}: {others:?}"));
            let (start, end) = (m.start.as_secs_f64(), m.end.as_secs_f64());
            let (a, b) = ((start / DT).round() as usize, (end / DT).round() as usize);
            let truth: [f64; 3] =
                std::array::from_fn(|i| (inflow_total[b][i] - inflow_total[a][i]) / (end - start) * DAY);
            eprintln!(
                "{well}: routed {:.0} s, stable {start:.0} s, end {end:.0} s; oil {:.1} vs {:.1} STB/d, water {:.1} vs \
                 {:.1} bbl/d, gas {:.2} vs {:.2} Mscf/d",
                m.routed_at.as_secs_f64(),
                m.oil_stb_d,
                truth[OIL],
                m.water_bbl_d,
                truth[WATER],
                m.gas_mscf_d,
                truth[GAS]
            );
            let routed_s = m.routed_at.as_secs_f64();
            assert!(routed_s >= routed_from_s);
            assert!(
                start - m.routed_at.as_secs_f64() >= 600.0 + 900.0 - DT,
                "purge and one window"
            );
            assert!((end - start - 1_200.0).abs() < 1e-6);
            assert_close(&format!("{well} oil"), m.oil_stb_d, truth[OIL], 0.03);
            assert_close(&format!("{well} water"), m.water_bbl_d, truth[WATER], 0.03);
            assert_close(&format!("{well} gas"), m.gas_mscf_d, truth[GAS], 0.03);
            let gor = truth[GAS] / truth[OIL] * 1_000.0;
            assert_close(&format!("{well} GOR"), m.gor_scf_stb.unwrap(), gor, 0.03);
            assert!(m.totalized && m.level_compensated && m.bad_input_s == 0.0, "{m:?}");
            assert!(m.separator_temp_f.is_some() && m.whp_psi.is_some() && m.pwf_psi.is_some() && m.esp_hz.is_some());
        }
    }

    #[test]
    fn phase_codes_and_labels() {
        for p in Phase::ALL {
            assert_eq!(Phase::parse(p.code()), Some(p));
            assert!(!p.label(Lang::En).is_empty());
        }
        assert_eq!(Phase::Idle.label(Lang::Es), "En espera: ningún pozo en prueba");
        assert_eq!(Phase::Testing.label(Lang::Es), "En prueba");
        assert_eq!(Phase::parse("running"), None);
        assert_eq!(duration_text(45.0), "45 s");
        assert_eq!(duration_text(1_500.0), "25 min");
        assert_eq!(duration_text(6.0 * 3_600.0), "6 h 00 min");
    }
}
