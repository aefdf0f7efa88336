//! Every person's action on a CT job, the same code for the console (on the job writer thread) and the
//! command line: the permission first (`workflow::permit`, and `workflow::may_sign_as` for a signature),
//! then the store, then one audit record with the outcome, done or refused (a refused action is as visible
//! as a performed one). Also the reads both use to check and print a ticket: its hash check and its PDF.
//!
//! Invariants: nothing reaches the store before the permission passes; every request is audited exactly
//! once, with the job's number as its target; a signature is refused unless the stored ticket still
//! matches the hash recorded at issue and every earlier signature. Owns no data rule (the store does) and
//! never checks a password (the caller does, before a `Sign` is applied). Must not import `ui`.

use super::catalog::Catalog;
use super::model::{
    BhaComponent, FluidKind, FluidStage, Job, JobError, JobFields, JobStatus, MAX_TEXT, Npt, OpType, Operation,
    SignRole, Signature, TicketState, bha_totals, text,
};
use super::store::JobStore;
use super::ticket::{self, Sources, TicketContent};
use super::workflow;
use crate::auth::audit::{AuditEntry, AuditSink};
use crate::auth::{Action, Actor};
use crate::lang::Lang;
use crate::tag::Timestamp;
use crate::units::UnitSystem;
use std::path::Path;

/// What a person asks of the job records.
#[derive(Debug, Clone)]
pub enum JobRequest {
    Create {
        number: String,
        fields: JobFields,
    },
    Update {
        number: String,
        fields: JobFields,
    },
    Transition {
        number: String,
        to: JobStatus,
    },
    Delete {
        number: String,
    },
    SetOpType {
        op_id: i64,
        op_type: OpType,
    },
    SplitOp {
        op_id: i64,
        at: Timestamp,
    },
    MergeOp {
        op_id: i64,
    },
    AnnotateOp {
        op_id: i64,
        text: String,
    },
    AddOp {
        number: String,
        op: Operation,
    },
    AddFluid {
        number: String,
        stage: FluidStage,
    },
    UpdateFluid {
        stage: FluidStage,
    },
    RemoveFluid {
        stage_id: i64,
    },
    StartStage {
        stage_id: i64,
    },
    EndStage {
        stage_id: i64,
    },
    SetBha {
        number: String,
        components: Vec<BhaComponent>,
    },
    AddNpt {
        number: String,
        npt: Npt,
    },
    RemoveNpt {
        npt_id: i64,
    },
    IssueTicket {
        number: String,
    },
    /// A login-confirmed signature: the password is checked by the caller before this is applied.
    Sign {
        number: String,
        role: SignRole,
        name: String,
    },
}

/// What an action needs besides the store and the person: the site's catalog, the audit trail, the time,
/// where a ticket's charts and events come from, and the alarms and trips counted over a job's run.
pub struct Context<'a> {
    pub catalog: &'a Catalog,
    pub audit: Option<&'a AuditSink>,
    pub now: Timestamp,
    pub sources: &'a Sources<'a>,
    pub alarms_trips: &'a dyn Fn(Timestamp, Timestamp) -> (usize, usize),
}

/// An action done: what to tell the person, and what the audit trail records as its detail.
struct Done {
    message: String,
    detail: String,
}

impl Done {
    fn new(message: String, detail: String) -> Self {
        Self { message, detail }
    }
}

/// Applies one request by `actor`: permission (workflow::permit / may_sign_as), then the store; audits it
/// done or refused (target = the job's number); returns what to tell the person, or the error.
pub fn apply(store: &mut JobStore, actor: &Actor, req: &JobRequest, cx: &Context) -> Result<String, JobError> {
    let target = target_of(store, req);
    let outcome = permit(actor, req).and_then(|()| run(store, actor, req, cx));
    let (allowed, detail, answer) = match outcome {
        Ok(done) => (true, done.detail, Ok(done.message)),
        Err(e) => {
            let asked = asked(req);
            let detail = if asked.is_empty() {
                format!("refused: {e}")
            } else {
                format!("{asked}: refused: {e}")
            };
            (false, detail, Err(e))
        }
    };
    if let Some(sink) = cx.audit {
        sink.record(AuditEntry::by(
            cx.now,
            actor,
            audit_action(req),
            target,
            detail,
            allowed,
        ));
    }
    answer
}

/// The permission a request needs.
pub fn action_for(req: &JobRequest) -> Action {
    match req {
        JobRequest::Create { .. } | JobRequest::Update { .. } | JobRequest::Delete { .. } => Action::PlanJob,
        JobRequest::Transition { to, .. } => workflow::action_for(*to),
        JobRequest::Sign { .. } => Action::SignTicket,
        _ => Action::RunJob,
    }
}

fn permit(actor: &Actor, req: &JobRequest) -> Result<(), JobError> {
    workflow::permit(actor, action_for(req))?;
    if let JobRequest::Sign { role, .. } = req
        && !workflow::may_sign_as(actor, *role)
    {
        return Err(JobError::NotPermitted {
            user: actor.user.clone(),
            role: actor.role.name().to_owned(),
            action: format!("sign a ticket as {}", role.name()),
        });
    }
    Ok(())
}

/// The audit trail's words for a request.
pub fn audit_action(req: &JobRequest) -> &'static str {
    match req {
        JobRequest::Create { .. } => "job created",
        JobRequest::Update { .. } => "job edited",
        JobRequest::Transition { to, .. } => match to {
            JobStatus::Draft => "job returned to draft",
            JobStatus::Planned => "job planned",
            JobStatus::Approved => "job approved",
            JobStatus::InProgress => "job started",
            JobStatus::Completed => "job completed",
            JobStatus::Cancelled => "job cancelled",
        },
        JobRequest::Delete { .. } => "job deleted",
        JobRequest::SetOpType { .. } => "operation corrected",
        JobRequest::SplitOp { .. } => "operation split",
        JobRequest::MergeOp { .. } => "operations merged",
        JobRequest::AnnotateOp { .. } => "operation annotated",
        JobRequest::AddOp { .. } => "operation added",
        JobRequest::AddFluid { .. } => "fluid stage added",
        JobRequest::UpdateFluid { .. } => "fluid stage edited",
        JobRequest::RemoveFluid { .. } => "fluid stage removed",
        JobRequest::StartStage { .. } => "fluid stage started",
        JobRequest::EndStage { .. } => "fluid stage ended",
        JobRequest::SetBha { .. } => "BHA set",
        JobRequest::AddNpt { .. } => "NPT added",
        JobRequest::RemoveNpt { .. } => "NPT removed",
        JobRequest::IssueTicket { .. } => "ticket issued",
        JobRequest::Sign { .. } => "ticket signed",
    }
}

/// What a refused request asked, for the audit trail (the target names the job already).
fn asked(req: &JobRequest) -> String {
    match req {
        JobRequest::Transition { to, .. } => format!("to {to}"),
        JobRequest::SetOpType { op_id, op_type } => format!("operation {op_id} to {op_type}"),
        JobRequest::SplitOp { op_id, at } => format!("operation {op_id} at {}", at.to_rfc3339()),
        JobRequest::MergeOp { op_id } | JobRequest::AnnotateOp { op_id, .. } => format!("operation {op_id}"),
        JobRequest::AddOp { op, .. } => format!("{} from {}", op.op_type, op.start.to_rfc3339()),
        JobRequest::AddFluid { stage, .. } | JobRequest::UpdateFluid { stage } => format!("stage '{}'", stage.name),
        JobRequest::RemoveFluid { stage_id }
        | JobRequest::StartStage { stage_id }
        | JobRequest::EndStage { stage_id } => format!("stage {stage_id}"),
        JobRequest::SetBha { components, .. } => format!("{} components", components.len()),
        JobRequest::AddNpt { npt, .. } => format!("{}, {:.2} h", npt.reason.name(), npt.hours()),
        JobRequest::RemoveNpt { npt_id } => format!("NPT {npt_id}"),
        JobRequest::Sign { role, name, .. } => format!("as {} ({})", role.name(), name.trim()),
        JobRequest::Create { .. }
        | JobRequest::Update { .. }
        | JobRequest::Delete { .. }
        | JobRequest::IssueTicket { .. } => String::new(),
    }
}

/// The job a request names by number, or the record it names by id (`what`, id).
fn subject(req: &JobRequest) -> Result<&str, (&'static str, i64)> {
    match req {
        JobRequest::Create { number, .. }
        | JobRequest::Update { number, .. }
        | JobRequest::Transition { number, .. }
        | JobRequest::Delete { number }
        | JobRequest::AddOp { number, .. }
        | JobRequest::AddFluid { number, .. }
        | JobRequest::SetBha { number, .. }
        | JobRequest::AddNpt { number, .. }
        | JobRequest::IssueTicket { number }
        | JobRequest::Sign { number, .. } => Ok(number.as_str()),
        JobRequest::SetOpType { op_id, .. }
        | JobRequest::SplitOp { op_id, .. }
        | JobRequest::MergeOp { op_id }
        | JobRequest::AnnotateOp { op_id, .. } => Err((OPERATION, *op_id)),
        JobRequest::UpdateFluid { stage } => Err((FLUID_STAGE, stage.id)),
        JobRequest::RemoveFluid { stage_id }
        | JobRequest::StartStage { stage_id }
        | JobRequest::EndStage { stage_id } => Err((FLUID_STAGE, *stage_id)),
        JobRequest::RemoveNpt { npt_id } => Err((NPT, *npt_id)),
    }
}

const OPERATION: &str = "operation";
const FLUID_STAGE: &str = "fluid stage";
const NPT: &str = "NPT";

/// What an audit record names when the store is not at hand (a request refused before it reached the
/// writer): the job's number, or the record's kind and id.
pub fn target_hint(req: &JobRequest) -> String {
    match subject(req) {
        Ok(number) => number.to_owned(),
        Err((what, id)) => format!("{what} {id}"),
    }
}

/// The job a request is about, by number: found through the operation, stage or NPT it names. A record
/// that does not exist is named itself (the store refuses the request with its own words).
fn target_of(store: &JobStore, req: &JobRequest) -> String {
    let (what, id) = match subject(req) {
        Ok(number) => return number.to_owned(),
        Err(record) => record,
    };
    let job_id = match what {
        OPERATION => store.operation(id).map(|o| o.job_id),
        FLUID_STAGE => store.fluid(id).map(|s| s.job_id),
        _ => store.npt_by_id(id).map(|n| n.job_id),
    };
    match job_id.and_then(|j| store.job_by_id(j)) {
        Ok(job) => job.number,
        Err(_) => format!("{what} {id}"),
    }
}

fn run(store: &mut JobStore, actor: &Actor, req: &JobRequest, cx: &Context) -> Result<Done, JobError> {
    match req {
        JobRequest::Create { .. }
        | JobRequest::Update { .. }
        | JobRequest::Transition { .. }
        | JobRequest::Delete { .. } => run_job(store, actor, req, cx),
        JobRequest::SetOpType { .. }
        | JobRequest::SplitOp { .. }
        | JobRequest::MergeOp { .. }
        | JobRequest::AnnotateOp { .. }
        | JobRequest::AddOp { .. } => run_operation(store, req),
        JobRequest::AddFluid { .. }
        | JobRequest::UpdateFluid { .. }
        | JobRequest::RemoveFluid { .. }
        | JobRequest::StartStage { .. }
        | JobRequest::EndStage { .. } => run_fluid(store, req, cx.now),
        JobRequest::SetBha { .. } | JobRequest::AddNpt { .. } | JobRequest::RemoveNpt { .. } => run_bha_npt(store, req),
        JobRequest::IssueTicket { number } => issue(store, actor, number, cx),
        JobRequest::Sign { number, role, name } => sign(store, actor, number, *role, name, cx.now),
    }
}

/// The job itself: its creation, fields, workflow and deletion.
fn run_job(store: &mut JobStore, actor: &Actor, req: &JobRequest, cx: &Context) -> Result<Done, JobError> {
    match req {
        JobRequest::Create { number, fields } => {
            let job = store.create(number, fields, &actor.user, cx.now)?;
            let kind = job.fields.job_type.map_or("-", |t| t.code());
            let detail = format!(
                "type {kind}, well '{}', unit '{}', reel '{}'",
                job.fields.well, job.fields.unit, job.fields.reel
            );
            Ok(Done::new(format!("Job {number} created as a draft."), detail))
        }
        JobRequest::Update { number, fields } => {
            let before = store.job(number)?;
            store.update_fields(number, fields, cx.now)?;
            Ok(Done::new(
                format!("Job {number} saved."),
                changed_fields(&before.fields, fields),
            ))
        }
        JobRequest::Transition { number, to } => {
            let before = store.job(number)?;
            let (alarms, trips) = if *to == JobStatus::Completed {
                (cx.alarms_trips)(before.actual_start.unwrap_or(cx.now), cx.now)
            } else {
                (0, 0)
            };
            let job = store.transition(number, *to, cx.catalog, cx.now, alarms, trips)?;
            let mut detail = format!("{} → {}", before.status, job.status);
            if *to == JobStatus::Completed {
                detail.push_str(&format!(", {alarms} alarms and {trips} trips during the job"));
            }
            let verb = match to {
                JobStatus::Draft => "is a draft again",
                JobStatus::Planned => "planned",
                JobStatus::Approved => "approved",
                JobStatus::InProgress => "started",
                JobStatus::Completed => "completed; its statistics are frozen",
                JobStatus::Cancelled => "cancelled",
            };
            Ok(Done::new(format!("Job {number} {verb}."), detail))
        }
        JobRequest::Delete { number } => {
            let before = store.job(number)?;
            store.delete(number)?;
            Ok(Done::new(
                format!("Job {number} deleted."),
                format!("was {}, created by {}", before.status, before.created_by),
            ))
        }
        _ => Err(not_routed()),
    }
}

/// A request handed to the wrong branch: a programming error, refused rather than panicking.
fn not_routed() -> JobError {
    JobError::Store("internal: a job request reached the wrong handler".into())
}

/// The names of the fields that differ, for the audit trail ("nothing" when the save changed none).
fn changed_fields(a: &JobFields, b: &JobFields) -> String {
    let changed: Vec<&str> = [
        ("type", a.job_type != b.job_type),
        ("well", a.well != b.well),
        ("field", a.field != b.field),
        ("unit", a.unit != b.unit),
        ("reel", a.reel != b.reel),
        ("planned start", a.planned_start != b.planned_start),
        ("planned end", a.planned_end != b.planned_end),
        ("supervisor", a.supervisor != b.supervisor),
        ("operator", a.operator != b.operator),
        ("client", a.client != b.client),
        ("client representative", a.client_rep != b.client_rep),
        ("objective", a.objective != b.objective),
        ("well depth", a.well_depth_ft != b.well_depth_ft),
        ("target depth", a.target_depth_ft != b.target_depth_ft),
        ("estimated hours", a.estimated_hours != b.estimated_hours),
        ("description", a.description != b.description),
        ("notes", a.notes != b.notes),
    ]
    .into_iter()
    .filter_map(|(name, differs)| differs.then_some(name))
    .collect();
    if changed.is_empty() {
        "nothing changed".into()
    } else {
        format!("changed: {}", changed.join(", "))
    }
}

/// An operation's start, as the audit trail and the person read it.
fn when(t: Timestamp) -> String {
    t.to_rfc3339()
}

/// People's corrections of the operations log.
fn run_operation(store: &mut JobStore, req: &JobRequest) -> Result<Done, JobError> {
    match req {
        JobRequest::SetOpType { op_id, op_type } => {
            let before = store.operation(*op_id)?;
            let op = store.set_op_type(*op_id, op_type)?;
            Ok(Done::new(
                format!("Operation corrected to {}.", op.op_type),
                format!(
                    "operation {op_id} from {}: {} → {}",
                    when(op.start),
                    before.op_type,
                    op.op_type
                ),
            ))
        }
        JobRequest::SplitOp { op_id, at } => {
            let (first, second) = store.split_op(*op_id, *at)?;
            Ok(Done::new(
                format!("Operation split at {}.", when(*at)),
                format!(
                    "operation {} {} split at {} (new operation {})",
                    first.id,
                    first.op_type,
                    when(*at),
                    second.id
                ),
            ))
        }
        JobRequest::MergeOp { op_id } => {
            let op = store.merge_with_next(*op_id)?;
            let end = op.end.map_or_else(|| "now".to_owned(), when);
            Ok(Done::new(
                "Operations merged.".into(),
                format!(
                    "operation {op_id} and the next: {} from {} to {end}",
                    op.op_type,
                    when(op.start)
                ),
            ))
        }
        JobRequest::AnnotateOp { op_id, text } => {
            let op = store.annotate_op(*op_id, text)?;
            let shown: String = text.trim().chars().take(80).collect();
            Ok(Done::new(
                "Observation saved.".into(),
                format!("operation {op_id} {} from {}: \"{shown}\"", op.op_type, when(op.start)),
            ))
        }
        JobRequest::AddOp { number, op } => {
            let job = store.job(number)?;
            let op = Operation {
                id: 0,
                job_id: job.id,
                detected: false,
                ..op.clone()
            };
            let id = store.add_op(&op)?;
            let end = op.end.map_or_else(|| "open".to_owned(), when);
            Ok(Done::new(
                format!("Operation {} added.", op.op_type),
                format!("operation {id} {} from {} to {end}", op.op_type, when(op.start)),
            ))
        }
        _ => Err(not_routed()),
    }
}

/// The fluid program and its stages as they are pumped.
fn run_fluid(store: &mut JobStore, req: &JobRequest, now: Timestamp) -> Result<Done, JobError> {
    let described = |s: &FluidStage| {
        let planned = s.planned_bbl.map_or_else(String::new, |v| format!(", {v} bbl planned"));
        format!("stage {} '{}' ({}{planned})", s.seq, s.name, s.kind.name())
    };
    match req {
        JobRequest::AddFluid { number, stage } => {
            let job = store.job(number)?;
            let stage = FluidStage {
                id: 0,
                job_id: job.id,
                ..stage.clone()
            };
            let id = store.add_fluid(&stage)?;
            let saved = store.fluid(id)?;
            Ok(Done::new(
                format!("Fluid stage '{}' added.", stage.name),
                described(&saved),
            ))
        }
        JobRequest::UpdateFluid { stage } => {
            let before = store.fluid(stage.id)?;
            let stage = FluidStage {
                job_id: before.job_id,
                ..stage.clone()
            };
            store.update_fluid(&stage)?;
            Ok(Done::new(
                format!("Fluid stage '{}' saved.", stage.name),
                described(&stage),
            ))
        }
        JobRequest::RemoveFluid { stage_id } => {
            let before = store.fluid(*stage_id)?;
            store.remove_fluid(*stage_id)?;
            Ok(Done::new(
                format!("Fluid stage '{}' removed.", before.name),
                described(&before),
            ))
        }
        JobRequest::StartStage { stage_id } => {
            let before = store.fluid(*stage_id)?;
            store.start_stage(*stage_id, now)?;
            Ok(Done::new(format!("Pumping '{}'.", before.name), described(&before)))
        }
        JobRequest::EndStage { stage_id } => {
            store.end_stage(*stage_id, now)?;
            let after = store.fluid(*stage_id)?;
            // Nitrogen is counted in scf, liquids in bbl (`FluidStage::actual_bbl`).
            let unit = if after.kind == FluidKind::Nitrogen {
                "scf"
            } else {
                "bbl"
            };
            let detail = format!("{}: {:.1} {unit} pumped", described(&after), after.actual_bbl);
            Ok(Done::new(format!("Stage '{}' ended.", after.name), detail))
        }
        _ => Err(not_routed()),
    }
}

/// The BHA and non-productive time.
fn run_bha_npt(store: &mut JobStore, req: &JobRequest) -> Result<Done, JobError> {
    match req {
        JobRequest::SetBha { number, components } => {
            let job = store.job(number)?;
            store.set_bha(job.id, components)?;
            let t = bha_totals(components);
            Ok(Done::new(
                format!("BHA saved: {} components.", components.len()),
                format!(
                    "{} components, {:.2} ft, {:.0} lb, max OD {:.3} in, min ID {:.3} in",
                    components.len(),
                    t.length_ft,
                    t.weight_lb,
                    t.max_od_in,
                    t.min_id_in
                ),
            ))
        }
        JobRequest::AddNpt { number, npt } => {
            let job = store.job(number)?;
            let npt = Npt {
                id: 0,
                job_id: job.id,
                ..npt.clone()
            };
            let id = store.add_npt(&npt)?;
            Ok(Done::new(
                format!("NPT of {:.2} h added.", npt.hours()),
                format!(
                    "NPT {id}: {}, {:.2} h from {}: \"{}\"",
                    npt.reason.name(),
                    npt.hours(),
                    when(npt.start),
                    npt.note.trim()
                ),
            ))
        }
        JobRequest::RemoveNpt { npt_id } => {
            let before = store.npt_by_id(*npt_id)?;
            store.remove_npt(*npt_id)?;
            Ok(Done::new(
                "NPT removed.".into(),
                format!(
                    "NPT {npt_id}: {}, {:.2} h from {}",
                    before.reason.name(),
                    before.hours(),
                    when(before.start)
                ),
            ))
        }
        _ => Err(not_routed()),
    }
}

/// The first 16 hex digits of a hash: enough for a person to compare, as the audit detail shows it.
fn short(sha: &str) -> &str {
    sha.get(..16).unwrap_or(sha)
}

/// Freezes the ticket's content (from the store, history and the alarm journal) with its SHA-256: what
/// the operator, the supervisor and the client's representative then sign.
fn issue(store: &mut JobStore, actor: &Actor, number: &str, cx: &Context) -> Result<Done, JobError> {
    let job = store.job(number)?;
    let content = ticket::gather(store, number, cx.sources)?;
    let sha = ticket::content_sha256(&content);
    let json = serde_json::to_string(&content).map_err(|e| JobError::Store(format!("ticket content: {e}")))?;
    store.issue_ticket(job.id, &json, &sha, &actor.user, cx.now)?;
    Ok(Done::new(
        format!("Ticket of job {number} issued for signatures."),
        format!(
            "sha256 {}, {} operations, {} events",
            short(&sha),
            content.operations.len(),
            content.events.len()
        ),
    ))
}

/// A login-confirmed signature, refused when the stored ticket no longer matches what was issued.
fn sign(
    store: &mut JobStore,
    actor: &Actor,
    number: &str,
    role: SignRole,
    name: &str,
    now: Timestamp,
) -> Result<Done, JobError> {
    text("signer's name", name, MAX_TEXT)?;
    let job = store.job(number)?;
    let Some((json, sha)) = store.ticket(job.id)? else {
        return Err(JobError::WrongState {
            number: number.to_owned(),
            status: job.status,
            why: "its ticket has not been issued for signatures".into(),
        });
    };
    let signatures = store.signatures(job.id)?;
    check_ticket_records(&job, Some((&json, &sha)), &signatures)?;
    let name = match name.trim() {
        "" => actor.user.clone(),
        n => n.to_owned(),
    };
    let sig = Signature {
        role,
        user: actor.user.clone(),
        name: name.clone(),
        at: now,
        content_sha256: sha.clone(),
    };
    let state = store.sign(job.id, &sig)?;
    let message = if state == TicketState::Completed {
        format!(
            "Ticket of job {number} signed as {}: every signature is in.",
            role.name()
        )
    } else {
        format!("Ticket of job {number} signed as {}.", role.name())
    };
    Ok(Done::new(message, format!("as {} ({name}), sha256 {sha}", role.name())))
}

/// SHA-256 of bytes, in hex.
fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    crate::records::key::hex(&Sha256::digest(bytes))
}

/// Does a stored ticket still say what was issued and signed? The stored JSON is the very bytes that were
/// hashed at issue (`content_sha256` hashes `serde_json::to_vec`, the store keeps `to_string`), so their hash
/// is compared first; only when it differs is the content read back and hashed again (a store that
/// re-encoded the same content is not tampering; floats read back from JSON may differ in the last bit, which
/// is why the bytes come first). Every signature must name the same hash.
/// A job's ticket records as they must stand together: no ticket row means no ticket issued (the job's
/// ticket state DRAFT, no signature); an issued ticket's content matches its hash and every signature's
/// (`verify_ticket`), and its state matches its signatures (COMPLETED: all three, in order; PENDING: fewer).
/// A missing row or signature is reported like a changed one, never taken for "not issued".
pub fn check_ticket_records(job: &Job, ticket: Option<(&str, &str)>, signatures: &[Signature]) -> Result<(), JobError> {
    let broken = |why: &str| JobError::TicketRecords {
        number: job.number.clone(),
        why: why.to_owned(),
    };
    let Some((json, sha)) = ticket else {
        if job.ticket != TicketState::Draft || !signatures.is_empty() {
            return Err(broken("its issued ticket is missing"));
        }
        return Ok(());
    };
    verify_ticket(json, sha, signatures)?;
    let in_order = signatures.iter().zip(SignRole::ORDER).all(|(s, r)| s.role == r);
    let consistent = in_order
        && match job.ticket {
            TicketState::Draft => false,
            TicketState::PendingSignatures => signatures.len() < SignRole::ORDER.len(),
            TicketState::Completed => signatures.len() == SignRole::ORDER.len(),
        };
    if consistent {
        Ok(())
    } else {
        Err(broken("its signatures do not match its state"))
    }
}

pub fn verify_ticket(content_json: &str, sha256: &str, signatures: &[Signature]) -> Result<(), JobError> {
    let mut now = sha256_hex(content_json.as_bytes());
    if now != sha256
        && let Ok(content) = serde_json::from_str::<TicketContent>(content_json)
    {
        now = ticket::content_sha256(&content);
    }
    if now != sha256 {
        return Err(JobError::Tampered {
            now,
            signed: sha256.to_owned(),
        });
    }
    match signatures.iter().find(|s| s.content_sha256 != now) {
        Some(s) => Err(JobError::Tampered {
            now,
            signed: s.content_sha256.clone(),
        }),
        None => Ok(()),
    }
}

/// The ticket's PDF: the stored, issued content (refused as `Tampered` if it no longer matches its hash)
/// with its signatures, or a DRAFT rendering of what the ticket would say now when none was issued. Anyone
/// may read it: no permission, no audit record.
pub fn ticket_pdf(
    store: &JobStore,
    number: &str,
    sources: &Sources,
    lang: Lang,
    units: UnitSystem,
) -> Result<Vec<u8>, JobError> {
    let job = store.job(number)?;
    let ticket = store.ticket(job.id)?;
    let signatures = store.signatures(job.id)?;
    check_ticket_records(
        &job,
        ticket.as_ref().map(|(j, s)| (j.as_str(), s.as_str())),
        &signatures,
    )?;
    match ticket {
        Some((json, _)) => {
            let content: TicketContent = serde_json::from_str(&json)
                .map_err(|e| JobError::Store(format!("the ticket of job {number} cannot be read: {e}")))?;
            ticket::render_pdf(&content, &signatures, job.ticket, lang, units)
        }
        None => {
            let content = ticket::gather(store, number, sources)?;
            ticket::render_pdf(&content, &[], TicketState::Draft, lang, units)
        }
    }
}

/// Alarms annunciated (the alarm journal's activations) and trips (the audit trail's `trip` and `E-STOP`
/// records: trips are recorded there, not in the journal) in [from, to). A record that cannot be read
/// counts none and is logged: a job is completed whether or not the journal can be read.
pub fn count_alarms_trips(
    journal: Option<&Path>,
    audit_db: Option<&Path>,
    from: Timestamp,
    to: Timestamp,
) -> (usize, usize) {
    let alarms = journal.filter(|p| p.is_file()).map_or(0, |p| {
        crate::alarm::journal::open_reader(p)
            .and_then(|conn| crate::alarm::journal::activations(&conn, from, to))
            .map(|a| a.len())
            .unwrap_or_else(|e| {
                tracing::warn!(error = %e, "alarms during the job not counted");
                0
            })
    });
    let trips = audit_db.filter(|p| p.is_file()).map_or(0, |p| {
        count_trips(p, from, to).unwrap_or_else(|e| {
            tracing::warn!(error = %e, path = %p.display(), "trips during the job not counted");
            0
        })
    });
    (alarms, trips)
}

fn count_trips(path: &Path, from: Timestamp, to: Timestamp) -> rusqlite::Result<usize> {
    let conn = rusqlite::Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    let n: i64 = conn.query_row(
        "SELECT COUNT(*) FROM audit WHERE action IN ('trip', 'E-STOP') AND t >= ?1 AND t < ?2",
        rusqlite::params![from.0, to.0],
        |r| r.get(0),
    )?;
    Ok(usize::try_from(n).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Role;
    use crate::job::model::JobType;

    struct Bench {
        store: JobStore,
        catalog: Catalog,
        sink: AuditSink,
        audited: crossbeam_channel::Receiver<AuditEntry>,
    }

    fn bench() -> Bench {
        let (sink, audited) = AuditSink::channel(256);
        Bench {
            store: JobStore::open_in_memory().unwrap(),
            catalog: Catalog {
                wells: Vec::new(),
                units: vec!["ct01".into()],
                reels: vec!["R-100".into()],
            },
            sink,
            audited,
        }
    }

    fn no_counts(_: Timestamp, _: Timestamp) -> (usize, usize) {
        (0, 0)
    }

    const SOURCES: Sources<'static> = Sources {
        site: "Test site",
        history: None,
        journal: None,
        depth_tag: None,
        weight_tag: None,
        circ_tag: None,
        audit: None,
    };

    impl Bench {
        fn apply(&mut self, who: &str, role: Role, req: JobRequest) -> Result<String, JobError> {
            let cx = Context {
                catalog: &self.catalog,
                audit: Some(&self.sink),
                now: Timestamp(1_800_000_000_000_000),
                sources: &SOURCES,
                alarms_trips: &no_counts,
            };
            apply(&mut self.store, &Actor::new(who, role), &req, &cx)
        }

        fn last_audit(&self) -> AuditEntry {
            self.audited.try_iter().last().unwrap()
        }

        fn to(&mut self, who: &str, role: Role, number: &str, to: JobStatus) -> Result<String, JobError> {
            self.apply(
                who,
                role,
                JobRequest::Transition {
                    number: number.into(),
                    to,
                },
            )
        }
    }

    fn plannable() -> JobFields {
        JobFields {
            job_type: Some(JobType::CleanOut),
            well: "W-7".into(),
            unit: "ct01".into(),
            reel: "R-100".into(),
            supervisor: "Sara".into(),
            client: "Acme Oil".into(),
            ..JobFields::default()
        }
    }

    fn create(number: &str) -> JobRequest {
        JobRequest::Create {
            number: number.into(),
            fields: plannable(),
        }
    }

    #[test]
    fn a_viewer_may_not_create_a_job_and_the_refusal_is_audited() {
        let mut b = bench();
        let e = b.apply("vic", Role::Viewer, create("CT-1")).unwrap_err();
        assert!(matches!(e, JobError::NotPermitted { .. }), "{e}");
        let a = b.last_audit();
        assert_eq!(
            (a.action.as_str(), a.target.as_str(), a.allowed),
            ("job created", "CT-1", false)
        );
        assert_eq!(a.user, "vic");
        assert!(matches!(b.store.job("CT-1"), Err(JobError::NoSuchJob(_))));
    }

    #[test]
    fn an_operator_may_not_approve_and_an_engineer_may() {
        let mut b = bench();
        b.apply("eve", Role::Engineer, create("CT-2")).unwrap();
        assert!(b.last_audit().allowed);
        b.to("eve", Role::Engineer, "CT-2", JobStatus::Planned).unwrap();

        let e = b.to("otto", Role::Operator, "CT-2", JobStatus::Approved).unwrap_err();
        assert!(matches!(e, JobError::NotPermitted { .. }), "{e}");
        let a = b.last_audit();
        assert_eq!(
            (a.action.as_str(), a.target.as_str(), a.allowed),
            ("job approved", "CT-2", false)
        );
        assert_eq!(b.store.job("CT-2").unwrap().status, JobStatus::Planned);

        b.to("eve", Role::Engineer, "CT-2", JobStatus::Approved).unwrap();
        let a = b.last_audit();
        assert_eq!((a.action.as_str(), a.allowed), ("job approved", true));
        assert_eq!(a.detail, "PLANNED → APPROVED");
        assert_eq!(b.store.job("CT-2").unwrap().status, JobStatus::Approved);
    }

    #[test]
    fn an_operator_may_not_sign_as_the_supervisor() {
        let mut b = bench();
        let sign = JobRequest::Sign {
            number: "CT-3".into(),
            role: SignRole::Supervisor,
            name: "Otto".into(),
        };
        let e = b.apply("otto", Role::Operator, sign).unwrap_err();
        assert!(matches!(e, JobError::NotPermitted { .. }), "{e}");
        let a = b.last_audit();
        assert_eq!(
            (a.action.as_str(), a.target.as_str(), a.allowed),
            ("ticket signed", "CT-3", false)
        );
        assert!(a.detail.contains("as supervisor"), "{}", a.detail);
    }

    #[test]
    fn a_completed_job_is_issued_and_signed_in_turn() {
        let mut b = bench();
        b.apply("eve", Role::Engineer, create("CT-4")).unwrap();
        for to in [JobStatus::Planned, JobStatus::Approved] {
            b.to("eve", Role::Engineer, "CT-4", to).unwrap();
        }
        for to in [JobStatus::InProgress, JobStatus::Completed] {
            b.to("otto", Role::Operator, "CT-4", to).unwrap();
        }
        b.apply(
            "otto",
            Role::Operator,
            JobRequest::IssueTicket { number: "CT-4".into() },
        )
        .unwrap();
        assert_eq!(b.last_audit().action, "ticket issued");
        let sign = |role, name: &str| JobRequest::Sign {
            number: "CT-4".into(),
            role,
            name: name.into(),
        };
        b.apply("otto", Role::Operator, sign(SignRole::Operator, "Otto"))
            .unwrap();
        b.apply("sara", Role::Supervisor, sign(SignRole::Supervisor, "Sara"))
            .unwrap();
        b.apply("acme", Role::Viewer, sign(SignRole::ClientRep, "A. Client"))
            .unwrap();
        let a = b.last_audit();
        assert_eq!((a.action.as_str(), a.allowed), ("ticket signed", true));
        assert!(
            a.detail.starts_with("as client_rep (A. Client), sha256 "),
            "{}",
            a.detail
        );
        let job = b.store.job("CT-4").unwrap();
        assert_eq!(job.ticket, TicketState::Completed);
        let (json, sha) = b.store.ticket(job.id).unwrap().unwrap();
        let sigs = b.store.signatures(job.id).unwrap();
        assert_eq!(sigs.len(), 3);
        verify_ticket(&json, &sha, &sigs).unwrap();
        let edited = json.replacen("Acme Oil", "Acme 0il", 1);
        assert!(matches!(
            verify_ticket(&edited, &sha, &sigs),
            Err(JobError::Tampered { .. })
        ));
    }
}
