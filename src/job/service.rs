//! The job service on the hub: for each CT unit with a job in progress it reads the unit's tags every scan,
//! detects the operations (`detect`), hands them and the running fluid stage's volume to the job writer,
//! and makes the unit's job tags (`<unit>/job_number`, `job_operation`, `job_footage`, `job_volume`) so the
//! CT screen's job strip, the trends and the historian see the job like any other data.
//!
//! Runs as a `Deriver` on the hub thread: O(1) per sample, nothing that waits. Which job runs on which unit
//! comes from the writer's published view (a lock-free load); what the service records goes to the writer
//! through `JobPort`'s bounded queue (a full queue is counted, never waited on). Must not touch the store.
//!
//! Operations are keyed by (job, start): the writer inserts a detected operation the first time it sees it
//! and updates it after (until a person corrects it), so no id travels back to the hub.

use super::catalog::Catalog;
use super::detect::{DetectConfig, DetectSample, DetectedOp, OpDetector};
use super::model::{JobType, OpType, Operation};
use super::writer::JobPort;
use crate::ctstring::config::{CtInputs, CtUnitConfig, JobTags};
use crate::driver::{DriverLink, DriverState};
use crate::hub::Deriver;
use crate::project::Project;
use crate::tag::{DriverId, Quality, Sample, TagId, TagTable, TagUpdate, Timestamp, Value};

/// The open operation is sent again this often (plant seconds), so a crash loses at most this much of it.
const OPEN_EVERY_S: f64 = 5.0;
/// The running stage's volume is sent this often (plant seconds).
const STAGE_EVERY_S: f64 = 5.0;
/// Footage and volume tags change at most this often (plant seconds).
const TOTALS_EVERY_S: f64 = 1.0;
/// A pump total that jumps more than this between two samples is a reset or a glitch, not fluid pumped.
const MAX_TOTAL_STEP_BBL: f64 = 5.0;

/// One unit and the job running on it.
struct UnitJob {
    unit: String,
    inputs: CtInputs,
    tags: JobTags,
    running: Option<Running>,
    /// The last depth reading (plant seconds, ft): the speed when the unit has no speed tag.
    last_depth: Option<(f64, f64)>,
    sent_number: Option<String>,
    /// The job tags have been sent once (before, they wait for data like any tag).
    announced: bool,
    sent_op: Option<String>,
    last_totals: f64,
}

/// A job in progress on a unit, as the service follows it.
struct Running {
    job_id: i64,
    number: String,
    detector: OpDetector,
    /// Footage and volume of the operations closed so far.
    closed_footage: f64,
    closed_volume: f64,
    last_open_sent: f64,
    /// The running fluid stage: (stage id, name, volume counted, rate·time, time, max pressure).
    stage: Option<StageTally>,
    last_stage_sent: f64,
    last_total: Option<f64>,
    last_t: Option<f64>,
    /// Operations closed and sent, not yet seen closed in the view.
    unacked: Vec<Operation>,
}

struct StageTally {
    id: i64,
    name: String,
    /// A nitrogen stage is counted in scf from an N2 total the unit does not give the service: its volume is
    /// the crew's to type, the liquid pump's barrels are not its.
    counted: bool,
    volume: f64,
    rate_time: f64,
    time: f64,
    max_psi: Option<f64>,
}

pub struct JobService {
    units: Vec<UnitJob>,
    driver: DriverId,
    _link: DriverLink,
    port: JobPort,
    /// Operations and stage volumes the writer's queue had no room for.
    pub dropped: u64,
}

impl JobService {
    pub fn new(units: &[CtUnitConfig], link: DriverLink, port: JobPort) -> Self {
        link.stats.set_state(DriverState::Running);
        let units = units
            .iter()
            .map(|u| UnitJob {
                unit: u.unit.clone(),
                inputs: u.inputs,
                tags: u.job_tags,
                running: None,
                last_depth: None,
                sent_number: None,
                announced: false,
                sent_op: None,
                last_totals: f64::NEG_INFINITY,
            })
            .collect();
        Self {
            units,
            driver: link.id,
            _link: link,
            port,
            dropped: 0,
        }
    }

    /// Follows the writer's view: a job started on a unit gets a detector, a job no longer in progress is
    /// let go (the store closed its open operation when it was completed or cancelled).
    fn follow_view(&mut self) {
        let view = self.port.view.load();
        for u in &mut self.units {
            let active = view.active.iter().find(|a| a.unit == u.unit);
            match (active, &mut u.running) {
                (None, Some(_)) => u.running = None,
                (Some(a), Some(r)) if r.job_id == a.job_id => {
                    let want = a.stage.as_ref().map(|(id, _)| *id);
                    if r.stage.as_ref().map(|s| s.id) != want {
                        // The ended stage's last seconds are sent before its tally goes.
                        if let Some(old) = r.stage.take()
                            && !send_stage(&self.port, &old)
                        {
                            self.dropped += 1;
                        }
                        r.stage = a.stage.as_ref().map(|(id, name)| tally(&view, a.job_id, *id, name));
                    }
                    // A closed operation is sent until the view shows it closed (a full queue, a busy store).
                    r.unacked.retain(|op| !closed_in_view(&view, op));
                }
                (Some(a), _) => {
                    let cfg = DetectConfig {
                        milling: a.job_type == JobType::Milling,
                        ..DetectConfig::default()
                    };
                    // A console restarted mid-job: the open operation it had recorded ends at the restart.
                    if let Some(open) = &a.open_op {
                        let mut closed = open.clone();
                        closed.end = Some(Timestamp::now());
                        if !self.port.op(closed) {
                            self.dropped += 1;
                        }
                    }
                    let (closed_footage, closed_volume) = job_totals(&view, a.job_id);
                    u.running = Some(Running {
                        job_id: a.job_id,
                        number: a.number.clone(),
                        detector: OpDetector::new(cfg),
                        closed_footage,
                        closed_volume,
                        last_open_sent: f64::NEG_INFINITY,
                        stage: a.stage.as_ref().map(|(id, name)| tally(&view, a.job_id, *id, name)),
                        unacked: Vec::new(),
                        last_stage_sent: f64::NEG_INFINITY,
                        last_total: None,
                        last_t: None,
                    });
                }
                (None, None) => {}
            }
        }
    }
}

/// Footage and volume of a job's operations as the view shows them (a restart continues the counts).
fn job_totals(view: &super::view::JobsView, job_id: i64) -> (f64, f64) {
    view.details
        .iter()
        .find(|d| d.job.id == job_id)
        .map_or((0.0, 0.0), |d| {
            d.operations
                .iter()
                .filter(|o| o.end.is_some())
                .fold((0.0, 0.0), |(f, v), o| (f + o.footage_ft, v + o.volume_bbl))
        })
}

/// The tally of stage `id` as the view shows it (a restart or a new stage continues from the store's count).
fn tally(view: &super::view::JobsView, job_id: i64, id: i64, name: &str) -> StageTally {
    let nitrogen = view
        .details
        .iter()
        .find(|d| d.job.id == job_id)
        .and_then(|d| d.fluids.iter().find(|f| f.id == id))
        .is_some_and(|f| f.kind == super::model::FluidKind::Nitrogen);
    StageTally {
        id,
        name: name.to_owned(),
        counted: !nitrogen,
        volume: stage_volume(view, job_id, id),
        rate_time: 0.0,
        time: 0.0,
        max_psi: None,
    }
}

fn stage_volume(view: &super::view::JobsView, job_id: i64, stage_id: i64) -> f64 {
    view.details
        .iter()
        .find(|d| d.job.id == job_id)
        .and_then(|d| d.fluids.iter().find(|f| f.id == stage_id))
        .map_or(0.0, |f| f.actual_bbl)
}

/// Sends a stage's tally (not a nitrogen stage's); false when the queue is full.
fn send_stage(port: &JobPort, st: &StageTally) -> bool {
    if !st.counted {
        return true;
    }
    let avg = (st.time > 0.0).then(|| st.rate_time / st.time);
    port.stage(st.id, st.volume, avg, st.max_psi)
}

/// Whether the view shows `op` (by its job and start) closed.
fn closed_in_view(view: &super::view::JobsView, op: &Operation) -> bool {
    view.details
        .iter()
        .find(|d| d.job.id == op.job_id)
        .is_none_or(|d| d.operations.iter().any(|o| o.start == op.start && o.end.is_some()))
}

fn good_f64(table: &TagTable, id: TagId) -> Option<f64> {
    table.get(id)?.good_f64()
}

/// The operation record of what the detector found, for job `job_id`: closed (with its end) or running.
pub fn record(job_id: i64, d: &DetectedOp, closed: bool, fluid: Option<String>) -> Operation {
    Operation {
        id: 0,
        job_id,
        op_type: d.op_type.clone(),
        start: Timestamp::from_secs_f64(d.start),
        end: closed.then(|| Timestamp::from_secs_f64(d.end)),
        start_depth_ft: d.start_depth_ft,
        end_depth_ft: d.end_depth_ft,
        max_depth_ft: d.max_depth_ft,
        max_weight_lbf: d.max_weight_lbf,
        min_weight_lbf: d.min_weight_lbf,
        max_circ_psi: d.max_circ_psi,
        max_whp_psi: d.max_whp_psi,
        avg_rate_bpm: d.avg_rate_bpm,
        volume_bbl: d.volume_bbl,
        footage_ft: d.footage_ft,
        fluid,
        detected: true,
        observations: String::new(),
    }
}

impl UnitJob {
    /// The tags a reading is made of.
    fn input_ids(&self) -> impl Iterator<Item = TagId> + use<> {
        let i = self.inputs;
        [
            Some(i.depth),
            i.speed,
            Some(i.weight),
            Some(i.pump_rate),
            Some(i.circ_pressure),
            Some(i.wellhead_pressure),
            i.fluid_total,
        ]
        .into_iter()
        .flatten()
    }

    /// The unit's reading at this scan, when its depth is good (no depth, no operation: the detector
    /// holds what it has rather than guess).
    fn sample(&mut self, table: &TagTable) -> Option<DetectSample> {
        let depth = good_f64(table, self.inputs.depth)?;
        // The reading is as of the newest of its inputs: a still string on a report-by-exception source sends
        // no new depth while the pump starts, and the pump's time is the reading's.
        let t = self
            .input_ids()
            .filter_map(|id| table.get(id).filter(|s| s.quality == Quality::Good))
            .map(|s| s.source_ts.as_secs_f64())
            .fold(f64::NEG_INFINITY, f64::max);
        let speed = match self.inputs.speed {
            Some(id) => good_f64(table, id),
            None => match self.last_depth {
                Some((t0, d0)) if t > t0 => Some((depth - d0) / (t - t0) * 60.0),
                _ => None,
            },
        };
        self.last_depth = Some((t, depth));
        Some(DetectSample {
            t,
            depth_ft: depth,
            speed_fpm: speed?,
            weight_lbf: good_f64(table, self.inputs.weight),
            pump_bpm: good_f64(table, self.inputs.pump_rate).unwrap_or(0.0),
            circ_psi: good_f64(table, self.inputs.circ_pressure),
            whp_psi: good_f64(table, self.inputs.wellhead_pressure),
            fluid_total_bbl: self.inputs.fluid_total.and_then(|id| good_f64(table, id)),
        })
    }
}

impl Running {
    /// Counts the running stage's volume, rate and pressure from one sample.
    fn tally_stage(&mut self, s: &DetectSample) {
        let dt = self.last_t.map_or(0.0, |t0| (s.t - t0).clamp(0.0, 30.0));
        let by_total = match (self.last_total, s.fluid_total_bbl) {
            (Some(a), Some(b)) if b >= a && b - a <= MAX_TOTAL_STEP_BBL => Some(b - a),
            _ => None,
        };
        let pumped = by_total.unwrap_or(s.pump_bpm.max(0.0) * dt / 60.0);
        self.last_t = Some(s.t);
        self.last_total = s.fluid_total_bbl.or(self.last_total);
        if let Some(st) = self.stage.as_mut().filter(|st| st.counted) {
            st.volume += pumped;
            st.rate_time += s.pump_bpm.max(0.0) * dt;
            st.time += dt;
            if let Some(p) = s.circ_psi {
                st.max_psi = Some(st.max_psi.map_or(p, |m: f64| m.max(p)));
            }
        }
    }
}

impl Deriver for JobService {
    fn name(&self) -> &str {
        "jobs"
    }

    fn driver(&self) -> DriverId {
        self.driver
    }

    fn derive(&mut self, updates: &[TagUpdate], table: &TagTable, now: Timestamp, out: &mut Vec<Sample>) {
        self.follow_view();
        for i in 0..self.units.len() {
            let touched = {
                let u = &self.units[i];
                updates.iter().any(|up| u.input_ids().any(|id| id == up.tag))
            };
            if touched {
                self.step_unit(i, table, now, out);
            }
        }
    }

    /// The hub stops: the running operations end at their last reading and the stages' tallies are sent, so
    /// a restart continues from a log that says where each unit was (not an operation spanning the downtime).
    fn stop(&mut self) {
        for u in &mut self.units {
            let Some(r) = &mut u.running else { continue };
            let fluid = r.stage.as_ref().map(|st| st.name.clone());
            let mut sends = r.unacked.clone();
            if let Some(last) = r.detector.finish() {
                sends.push(record(r.job_id, &last, true, fluid));
            }
            for op in sends {
                if !self.port.op(op) {
                    self.dropped += 1;
                }
            }
            if let Some(st) = &r.stage
                && !send_stage(&self.port, st)
            {
                self.dropped += 1;
            }
        }
    }

    fn tick(&mut self, now: Timestamp, _table: &TagTable, out: &mut Vec<Sample>) {
        self.follow_view();
        for u in &mut self.units {
            let number = u.running.as_ref().map(|r| r.number.clone());
            if !u.announced || number != u.sent_number {
                u.announced = true;
                out.push(Sample::good(
                    u.tags.number,
                    Value::str(number.as_deref().unwrap_or("")),
                    now,
                ));
                u.sent_number = number;
                if u.running.is_none() {
                    // No job: nothing run or pumped on one (good zeros, not a tag waiting for data forever).
                    out.push(Sample::good(u.tags.operation, Value::str(""), now));
                    out.push(Sample::good(u.tags.footage, Value::F64(0.0), now));
                    out.push(Sample::good(u.tags.volume, Value::F64(0.0), now));
                    u.sent_op = None;
                }
            }
        }
    }
}

impl JobService {
    fn step_unit(&mut self, i: usize, table: &TagTable, now: Timestamp, out: &mut Vec<Sample>) {
        let u = &mut self.units[i];
        let Some(s) = u.sample(table) else {
            return;
        };
        let Some(r) = &mut u.running else {
            return;
        };
        r.tally_stage(&s);
        let fluid = r.stage.as_ref().map(|st| st.name.clone());
        let mut sends = Vec::new();
        if let Some(closed) = r.detector.push(&s) {
            r.closed_footage += closed.footage_ft;
            r.closed_volume += closed.volume_bbl;
            let op = record(r.job_id, &closed, true, fluid.clone());
            r.unacked.push(op.clone());
            sends.push(op);
            r.last_open_sent = f64::NEG_INFINITY;
        }
        if s.t - r.last_open_sent >= OPEN_EVERY_S {
            // Closed ones not seen stored yet go again with the open one.
            let again: Vec<Operation> = r.unacked.iter().filter(|op| !sends.contains(op)).cloned().collect();
            sends.extend(again);
            if let Some(open) = r.detector.current() {
                sends.push(record(r.job_id, open, false, fluid));
            }
            r.last_open_sent = s.t;
        }
        let stage_due = s.t - r.last_stage_sent >= STAGE_EVERY_S;
        if stage_due {
            r.last_stage_sent = s.t;
        }
        let (cur_op, cur_foot, cur_vol) = r.detector.current().map_or((None, 0.0, 0.0), |o| {
            (Some(o.op_type.clone()), o.footage_ft, o.volume_bbl)
        });
        let totals = (r.closed_footage + cur_foot, r.closed_volume + cur_vol);
        let number = r.number.clone();
        let ts = Timestamp::from_secs_f64(s.t);
        if u.sent_number.as_deref() != Some(number.as_str()) {
            out.push(Sample::good(u.tags.number, Value::str(&number), now));
            u.sent_number = Some(number);
        }
        let code = cur_op.as_ref().map(OpType::code).unwrap_or("").to_owned();
        if u.sent_op.as_deref() != Some(code.as_str()) {
            out.push(Sample::good(u.tags.operation, Value::str(&code), ts));
            u.sent_op = Some(code);
        }
        if s.t - u.last_totals >= TOTALS_EVERY_S {
            u.last_totals = s.t;
            out.push(Sample::good(u.tags.footage, Value::F64(totals.0), ts));
            out.push(Sample::good(u.tags.volume, Value::F64(totals.1), ts));
        }
        for op in sends {
            if !self.port.op(op) {
                self.dropped += 1;
            }
        }
        if stage_due
            && let Some(st) = self.units[i].running.as_ref().and_then(|r| r.stage.as_ref())
            && !send_stage(&self.port, st)
        {
            self.dropped += 1;
        }
    }
}

/// The catalog a site's jobs are checked against: its wells (`[[well]]`), its CT units (`[ct.<unit>]`) and
/// the reels those units run.
impl Catalog {
    pub fn from_project(project: &Project) -> Catalog {
        Catalog {
            wells: project.site.wells.clone(),
            units: project.site.ct_units.iter().map(|u| u.unit.clone()).collect(),
            reels: project.site.ct_units.iter().map(|u| u.reel.id.clone()).collect(),
        }
    }
}
