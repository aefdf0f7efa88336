//! `wellconsole run --headless`: everything but the UI for a fixed time, then a stats report.

use crate::hub::{DriverStatus, Snapshot};
use crate::project::Project;
use crate::runtime::{Runtime, RuntimeError, RuntimeOptions};
use crate::tag::Value;
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

#[derive(Debug, Serialize)]
pub struct HeadlessReport {
    pub site: String,
    pub ran_for_secs: f64,
    pub tags: usize,
    pub samples_in: u64,
    pub samples_dropped: u64,
    pub samples_per_sec: f64,
    pub drivers: BTreeMap<String, DriverStatus>,
    pub values: BTreeMap<String, TagReport>,
    /// Alarms not in Normal at the end: id → state.
    pub alarms: BTreeMap<String, String>,
    /// What the historian stored and did not (after its stop: the last commit counts).
    pub history: Option<crate::historian::HistoryReport>,
}

impl HeadlessReport {
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
            samples_dropped: snap.counters.samples_dropped,
            samples_per_sec: snap.counters.samples_in as f64 / secs.max(1e-9),
            drivers: snap.drivers.iter().map(|d| (d.name.clone(), d.clone())).collect(),
            values,
            alarms: BTreeMap::new(),
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
    report.history = runtime.shutdown();
    Ok(report)
}
