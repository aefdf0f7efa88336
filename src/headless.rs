//! `wellconsole run --headless`: everything but the UI for a fixed time, then a stats report. And
//! `wellconsole write`: the same runtime for one person's write, until its outcome is known.

use crate::auth::Actor;
use crate::hub::{DriverStatus, HubCommand, Snapshot, WriteOutcome, WriteRecord};
use crate::lang::Lang;
use crate::project::Project;
use crate::runtime::{Runtime, RuntimeError, RuntimeOptions};
use crate::tag::{TagId, Value};
use crate::trip::TripView;
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

#[derive(Debug, Serialize)]
pub struct TagReport {
    pub value: Option<Value>,
    pub unit: String,
    pub quality: String,
    pub source_ts: String,
    pub receive_ts: String,
}

/// One trip rule at the end of the run.
#[derive(Debug, Serialize)]
pub struct TripReport {
    pub name: String,
    pub asset: String,
    /// normal, pending, input_bad, bypassed or tripped.
    pub state: &'static str,
    /// Latched as the first trip of its asset since the asset was last clear of trips.
    pub first_out: bool,
    pub bypassed: bool,
    /// The condition cannot be judged now: an input is bad, stale or not seen yet.
    pub input_bad: bool,
    /// Latched: why (condition, input_bad or estop) and since when.
    pub cause: Option<&'static str>,
    pub tripped_at: Option<String>,
}

/// An E-stop pressed and not reset.
#[derive(Debug, Serialize)]
pub struct EstopReport {
    pub label: String,
    pub asset: String,
    pub by: Option<String>,
    pub at: String,
}

#[derive(Debug, Default, Serialize)]
pub struct TripsReport {
    /// Every trip rule, by id.
    pub rules: BTreeMap<String, TripReport>,
    /// E-stops pressed and not reset, by id.
    pub estops_active: BTreeMap<String, EstopReport>,
}

impl TripsReport {
    pub fn from_view(view: &TripView) -> Self {
        let rules = view
            .trips
            .iter()
            .map(|t| {
                let latch = t.latch.as_ref();
                let report = TripReport {
                    name: t.def.name.get(Lang::En).to_owned(),
                    asset: t.def.asset.to_string(),
                    state: t.status.code(),
                    first_out: latch.is_some_and(|l| l.first_out),
                    bypassed: t.bypass.is_some(),
                    input_bad: t.condition.is_none(),
                    cause: latch.map(|l| l.cause.code()),
                    tripped_at: latch.map(|l| l.at.to_rfc3339()),
                };
                (t.def.id.to_string(), report)
            })
            .collect();
        let estops_active = view
            .active_estops()
            .filter_map(|e| {
                let latch = e.latch.as_ref()?;
                let report = EstopReport {
                    label: e.def.label.get(Lang::En).to_owned(),
                    asset: e.def.asset.to_string(),
                    by: latch.by.as_ref().map(|a| a.user.clone()),
                    at: latch.at.to_rfc3339(),
                };
                Some((e.def.id.to_string(), report))
            })
            .collect();
        Self { rules, estops_active }
    }
}

/// A person's write and its outcome.
#[derive(Debug, Serialize)]
pub struct WriteReport {
    pub tag: String,
    /// In the tag's own unit, as sent.
    pub value: Value,
    pub by: String,
    pub role: String,
    /// sent (no answer yet), confirmed, refused or failed.
    pub outcome: &'static str,
    /// Why it was refused or failed.
    pub reason: Option<String>,
    /// When it was asked for, and when its outcome came (none while sent).
    pub time: String,
    pub outcome_time: Option<String>,
}

impl WriteReport {
    pub fn from_record(w: &WriteRecord) -> Self {
        Self {
            tag: w.tag_name.clone(),
            value: w.value.clone(),
            by: w.by.user.clone(),
            role: w.by.role.to_string(),
            outcome: w.outcome.code(),
            reason: w.outcome.reason().map(str::to_owned),
            time: w.asked_at.to_rfc3339(),
            outcome_time: (w.outcome != WriteOutcome::Sent).then(|| w.outcome_at.to_rfc3339()),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct HeadlessReport {
    pub site: String,
    pub ran_for_secs: f64,
    pub tags: usize,
    pub samples_in: u64,
    /// Samples replaced by newer values of the same tag because the hub was behind.
    pub samples_coalesced: u64,
    /// Write outcomes drivers could not report (their event queue was full).
    pub events_lost: u64,
    pub samples_per_sec: f64,
    pub drivers: BTreeMap<String, DriverStatus>,
    pub values: BTreeMap<String, TagReport>,
    /// Alarms not in Normal at the end: id → state.
    pub alarms: BTreeMap<String, String>,
    /// Every trip rule's state at the end, and the E-stops pressed.
    pub trips: TripsReport,
    /// People's recent writes and their outcomes, oldest first.
    pub writes: Vec<WriteReport>,
    /// What the historian stored and did not (after its stop: the last commit counts).
    pub history: Option<crate::historian::HistoryReport>,
}

impl HeadlessReport {
    /// What `run --headless` says at the end: the run in one line, then what the historian stored and did
    /// not (when it kept history). The whole report goes to `--stats-json`.
    pub fn summary(&self) -> String {
        let mut text = format!(
            "{}: {} tags, {} samples in ({:.0}/s), {} coalesced, {:.1} s",
            self.site, self.tags, self.samples_in, self.samples_per_sec, self.samples_coalesced, self.ran_for_secs
        );
        if let Some(h) = &self.history {
            text.push_str(&format!(
                "\nhistory: {} samples stored, {} NOT stored ({} dropped at the queue, {} lost by the writer)",
                h.samples_stored, h.samples_not_stored, h.samples_dropped, h.samples_lost
            ));
        }
        text
    }

    pub fn from_snapshot(site: &str, ran_for: Duration, snap: &Snapshot) -> Self {
        let values = snap
            .directory
            .iter()
            .filter_map(|def| {
                let s = snap.get(def.id)?;
                Some((
                    def.name.clone(),
                    TagReport {
                        value: s.value.clone(),
                        unit: def.unit.clone(),
                        quality: s.quality.code().to_owned(),
                        source_ts: s.source_ts.to_rfc3339(),
                        receive_ts: s.receive_ts.to_rfc3339(),
                    },
                ))
            })
            .collect();
        let secs = ran_for.as_secs_f64();
        Self {
            site: site.to_owned(),
            ran_for_secs: secs,
            tags: snap.directory.len(),
            samples_in: snap.counters.samples_in,
            samples_coalesced: snap.counters.samples_coalesced,
            events_lost: snap.counters.events_lost,
            samples_per_sec: snap.counters.samples_in as f64 / secs.max(1e-9),
            drivers: snap.drivers.iter().map(|d| (d.name.clone(), d.clone())).collect(),
            values,
            alarms: BTreeMap::new(),
            trips: TripsReport::default(),
            writes: snap.writes.iter().map(WriteReport::from_record).collect(),
            history: None,
        }
    }
}

/// Runs the project for `duration` (wall time) and reports what the hub saw at the end.
pub fn run_for(project: Project, opts: RuntimeOptions, duration: Duration) -> Result<HeadlessReport, RuntimeError> {
    let site = project.site.name.clone();
    let runtime = Runtime::start(project, opts, Vec::new(), None)?;
    let started = Instant::now();
    while started.elapsed() < duration {
        std::thread::sleep((duration - started.elapsed()).min(Duration::from_millis(200)));
    }
    // Let the hub publish what arrived in the last instant before reading the final picture.
    std::thread::sleep(Duration::from_millis(50));
    let snap = runtime.snapshot.load_full();
    let mut report = HeadlessReport::from_snapshot(&site, started.elapsed(), &snap);
    report.alarms = runtime
        .alarms
        .view
        .load()
        .rows
        .iter()
        .map(|r| (r.def.id.to_string(), r.state.code().to_owned()))
        .collect();
    report.trips = TripsReport::from_view(&runtime.trips.load());
    report.history = runtime.shutdown();
    Ok(report)
}

/// What became of `wellconsole write`.
#[derive(Debug, Clone, PartialEq)]
pub enum WriteAnswer {
    /// The write's outcome as the hub recorded it; `Sent` when the device did not answer in time.
    Outcome(WriteOutcome),
    /// The tag's device said nothing in time, so nothing was sent.
    NoData,
}

/// Starts the project, waits for the tag's first report from its device, sends `by`'s write to the hub as
/// the console does (the hub checks the role and records it in the audit trail) and waits for its outcome,
/// all within `timeout`. Stops the project before returning, so the audit trail holds the write.
pub fn write_once(
    project: Project,
    opts: RuntimeOptions,
    tag: TagId,
    value: Value,
    by: Actor,
    timeout: Duration,
) -> Result<WriteAnswer, RuntimeError> {
    let runtime = Runtime::start(project, opts, Vec::new(), None)?;
    let answer = one_write(&runtime, tag, value, by, Instant::now() + timeout);
    runtime.shutdown();
    Ok(answer)
}

fn one_write(runtime: &Runtime, tag: TagId, value: Value, by: Actor, deadline: Instant) -> WriteAnswer {
    const POLL: Duration = Duration::from_millis(20);
    // A person at a screen sees what the device says before writing to it; so does this.
    let reported = || runtime.snapshot.load().get(tag).is_some_and(|s| s.updates > 0);
    while !reported() {
        if Instant::now() >= deadline {
            return WriteAnswer::NoData;
        }
        std::thread::sleep(POLL);
    }
    let cmd = HubCommand::OperatorWrite { tag, value, by };
    if runtime.commands.send_deadline(cmd, deadline).is_err() {
        let why = "the hub's command queue stayed full: not sent";
        return WriteAnswer::Outcome(WriteOutcome::Failed(why.into()));
    }
    // The hub takes the command within moments; past the deadline it is still given that long to show its
    // record, so a write that was sent is never reported as one that was not, or the other way round.
    let deadline = deadline.max(Instant::now() + Duration::from_secs(2));
    loop {
        // This process asks for one write, so the tag's record is that write's.
        let outcome = runtime
            .snapshot
            .load()
            .writes
            .iter()
            .find(|w| w.tag == tag)
            .map(|w| w.outcome.clone());
        match outcome {
            Some(o) if o != WriteOutcome::Sent => return WriteAnswer::Outcome(o),
            Some(_) if Instant::now() >= deadline => return WriteAnswer::Outcome(WriteOutcome::Sent),
            None if Instant::now() >= deadline => {
                let why = "the hub did not take the write in time: not sent";
                return WriteAnswer::Outcome(WriteOutcome::Failed(why.into()));
            }
            _ => std::thread::sleep(POLL),
        }
    }
}
