//! What the job writer publishes for everyone else to read without touching the store: the list of jobs,
//! the details of the jobs in progress and of the one the console selected, the jobs each unit is running
//! (what the hub's job service reads), and the answers to people's requests. Built from the store in one
//! go (`build`), swapped in whole through an `ArcSwap` cell, so a reader never waits and never sees half
//! a change.
//!
//! Read-only on the store; owns no rule and writes nothing. Must not import `ui`.

use super::command::check_ticket_records;
use super::model::{BhaComponent, FluidStage, Job, JobError, JobStatus, JobType, Npt, Operation, Signature};
use super::store::JobStore;
use crate::tag::Timestamp;
use std::sync::Arc;

/// Where the job writer publishes its view; readers `load()` it lock-free.
pub type JobsViewCell = Arc<arc_swap::ArcSwap<JobsView>>;

/// Jobs listed, newest first.
pub const MAX_JOBS: usize = 200;
/// Answers to people's requests kept for the console to find by id.
pub const MAX_RESULTS: usize = 20;

#[derive(Debug, Clone, Default)]
pub struct JobsView {
    /// Newest first, at most `MAX_JOBS`.
    pub jobs: Vec<Job>,
    /// The selected/active jobs' details (each in-progress job, plus the one the UI asked for via Select).
    pub details: Vec<Arc<JobDetail>>,
    /// Per unit with a job IN_PROGRESS (what the hub service reads).
    pub active: Vec<ActiveJob>,
    /// The last `MAX_RESULTS` answers to people's requests, oldest first.
    pub results: Vec<JobResult>,
    /// The store could not be opened, read or written.
    pub problem: Option<String>,
}

impl JobsView {
    /// The details of job `number`, when the view holds them (in progress, or selected).
    pub fn detail(&self, number: &str) -> Option<&Arc<JobDetail>> {
        self.details.iter().find(|d| d.job.number == number)
    }

    /// The answer to request `id`, once the writer has given it.
    pub fn result(&self, id: u64) -> Option<&JobResult> {
        self.results.iter().rev().find(|r| r.id == id)
    }

    /// The job `unit` is running, if any.
    pub fn active_on(&self, unit: &str) -> Option<&ActiveJob> {
        self.active.iter().find(|a| a.unit == unit)
    }
}

/// Everything recorded about one job.
#[derive(Debug, Clone)]
pub struct JobDetail {
    pub job: Job,
    pub operations: Vec<Operation>,
    pub fluids: Vec<FluidStage>,
    pub bha: Vec<BhaComponent>,
    pub npt: Vec<Npt>,
    pub signatures: Vec<Signature>,
    /// The SHA-256 recorded when the ticket was issued.
    pub ticket_sha: Option<String>,
    /// None: no ticket issued; Some(Ok) matches; Some(Err(msg)) tampered/mismatch
    pub ticket_check: Option<Result<(), String>>,
}

impl JobDetail {
    /// Reads job's records from the store and checks its issued ticket against its hash and signatures.
    pub fn load(store: &JobStore, job: Job) -> Result<Self, JobError> {
        let operations = store.operations(job.id)?;
        let fluids = store.fluids(job.id)?;
        let bha = store.bha(job.id)?;
        let npt = store.npt(job.id)?;
        let signatures = store.signatures(job.id)?;
        let ticket = store.ticket(job.id)?;
        let check = check_ticket_records(
            &job,
            ticket.as_ref().map(|(j, s)| (j.as_str(), s.as_str())),
            &signatures,
        )
        .map_err(|e| e.to_string());
        let (ticket_sha, ticket_check) = match ticket {
            Some((_, sha)) => (Some(sha), Some(check)),
            None => (None, check.err().map(Err)),
        };
        Ok(Self {
            job,
            operations,
            fluids,
            bha,
            npt,
            signatures,
            ticket_sha,
            ticket_check,
        })
    }

    /// The job as one JSON document (the job with its operations, fluids, BHA, NPT and signatures): what
    /// the central store keeps and the HTTP API answers.
    pub fn document(&self) -> serde_json::Value {
        serde_json::json!({
            "job": self.job,
            "operations": self.operations,
            "fluids": self.fluids,
            "bha": self.bha,
            "npt": self.npt,
            "signatures": self.signatures,
            "ticket_sha256": self.ticket_sha,
        })
    }
}

/// A job a unit is running, as the hub's job service needs it.
#[derive(Debug, Clone)]
pub struct ActiveJob {
    pub job_id: i64,
    pub number: String,
    pub unit: String,
    pub job_type: JobType,
    pub started: Timestamp,
    /// The running fluid stage (id, name), if any
    pub stage: Option<(i64, String)>,
    /// The open detected operation as stored (its id, so the service updates it rather than adding a new
    /// one). The last closed operation's end, where the service continues after a restart, is in the job's
    /// details.
    pub open_op: Option<Operation>,
}

impl ActiveJob {
    /// The active job of an in-progress job's details; None for any other status (or a job with no type,
    /// which the store never starts).
    pub fn of(d: &JobDetail) -> Option<Self> {
        if d.job.status != JobStatus::InProgress {
            return None;
        }
        Some(Self {
            job_id: d.job.id,
            number: d.job.number.clone(),
            unit: d.job.fields.unit.clone(),
            job_type: d.job.fields.job_type?,
            started: d.job.actual_start.unwrap_or(d.job.updated_at),
            stage: d.fluids.iter().find(|s| s.running()).map(|s| (s.id, s.name.clone())),
            open_op: d.operations.last().filter(|o| o.end.is_none() && o.detected).cloned(),
        })
    }
}

/// The answer to one of people's requests.
#[derive(Debug, Clone)]
pub struct JobResult {
    pub id: u64,
    pub ok: bool,
    pub message: String,
}

/// The view as the store holds it now: the newest jobs, the details of every job in progress and of
/// `selected` (if it still exists), the active jobs, and the answers given so far.
pub fn build(store: &JobStore, selected: Option<&str>, results: &[JobResult]) -> Result<JobsView, JobError> {
    let jobs = store.list(None, MAX_JOBS)?;
    let mut details = Vec::new();
    for job in store.in_progress()? {
        details.push(Arc::new(JobDetail::load(store, job)?));
    }
    if let Some(number) = selected
        && !details.iter().any(|d| d.job.number == number)
    {
        match store.job(number) {
            Ok(job) => details.push(Arc::new(JobDetail::load(store, job)?)),
            // Deleted since it was selected (here or by the command line): nothing to show.
            Err(JobError::NoSuchJob(_)) => {}
            Err(e) => return Err(e),
        }
    }
    let active = details.iter().filter_map(|d| ActiveJob::of(d)).collect();
    Ok(JobsView {
        jobs,
        details,
        active,
        results: results.to_vec(),
        problem: None,
    })
}
