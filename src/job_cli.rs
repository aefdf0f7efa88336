//! `wellconsole job list|show|new|plan|approve|start|complete|cancel|delete|issue|ticket|export`: the
//! office's side of the CT job records, on the site's `jobs.db` beside the other records.
//!
//! Owns the command line's shapes only: the fields a `job new` gathers, the text a person reads, the JSON
//! `show --json` and `export` write. Every change goes through `job::command::apply`, the console's own
//! path: role-checked, then the store, then one audit record (written to the trail before this returns);
//! the ticket's PDF and its hash check are `job::command`'s too. Who acts is settled by the binary
//! (a login on a site with users, as `wellconsole write` does) and handed in. Reads need no login. Must not
//! import `ui`. A running console sees a change within a second (its writer watches the store).

use crate::auth::Actor;
use crate::auth::audit::{self, AuditError, AuditSink};
use crate::cli::{JobCommand, JobExportArgs, JobNewArgs, JobTicketArgs};
use crate::job::catalog::Catalog;
use crate::job::command::{self, Context, JobRequest};
use crate::job::model::{
    BhaComponent, BhaTotals, FluidStage, Job, JobError, JobFields, JobStats, JobStatus, Npt, Operation, Signature,
    bha_totals,
};
use crate::job::store::JobStore;
use crate::job::view::JobDetail;
use crate::job::writer::{WriterConfig, sources_for, unit_tags};
use crate::lang::Lang;
use crate::project::Project;
use crate::records::Records;
use crate::tag::Timestamp;
use crate::units::UnitSystem;
use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The most JSON `job new --from` reads: a job's fields are a few kilobytes.
pub const MAX_FIELDS_BYTES: u64 = 1024 * 1024;
/// Jobs `job list` shows.
const LIST_LIMIT: usize = 1_000;

/// The site the command line works on.
pub struct Office<'a> {
    pub project: &'a Project,
    pub records: &'a Records,
    /// The history database the ticket's charts are read from.
    pub history: PathBuf,
}

/// Why `wellconsole job` did not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum JobCliError {
    /// Refused (role, workflow, a rule) or invalid input: nothing was changed.
    #[error(transparent)]
    Job(#[from] JobError),
    #[error("{path}: {source}")]
    Json { path: String, source: serde_json::Error },
    /// An argument that is not what it must be.
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Audit(#[from] AuditError),
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
}

impl JobCliError {
    /// The person must change the request (exit 1), rather than the records or a file failing (exit 2).
    pub fn refused(&self) -> bool {
        matches!(
            self,
            JobCliError::Job(_) | JobCliError::Json { .. } | JobCliError::Usage(_)
        )
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> JobCliError + '_ {
    move |source| JobCliError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Runs one `wellconsole job` command; `by` is who acts (required for a change, see `JobCommand::login`).
pub fn run(office: &Office, command: JobCommand, by: Option<&Actor>) -> Result<(), JobCliError> {
    let mut store = JobStore::open(&office.records.jobs())?;
    let moved = |number: String, to: JobStatus| JobRequest::Transition { number, to };
    let req = match command {
        JobCommand::List { status, json } => return list(&store, status, json),
        JobCommand::Show { number, json } => return show(office, &store, &number, json),
        JobCommand::Ticket(args) => return ticket(office, &store, &args),
        JobCommand::Export(args) => return export(office, &store, &args),
        JobCommand::New(args) => JobRequest::Create {
            fields: new_fields(&args)?,
            number: args.number,
        },
        JobCommand::Plan(a) => moved(a.number, JobStatus::Planned),
        JobCommand::Approve(a) => moved(a.number, JobStatus::Approved),
        JobCommand::Start(a) => moved(a.number, JobStatus::InProgress),
        JobCommand::Complete(a) => moved(a.number, JobStatus::Completed),
        JobCommand::Cancel(a) => moved(a.number, JobStatus::Cancelled),
        JobCommand::Delete(a) => JobRequest::Delete { number: a.number },
        JobCommand::Issue(a) => JobRequest::IssueTicket { number: a.number },
    };
    let Some(by) = by else {
        return Err(JobCliError::Usage(
            "a change to the job records needs the person who makes it".into(),
        ));
    };
    let message = act(office, &mut store, by, &req)?;
    say(&format!("{message}\n"))
}

/// Where a ticket's content comes from, as the console's writer has it.
fn config(office: &Office) -> WriterConfig {
    let existing = |p: PathBuf| p.is_file().then_some(p);
    WriterConfig {
        path: office.records.jobs(),
        catalog: Catalog::from_project(office.project),
        audit: None,
        users: None,
        site: office.project.site.name.clone(),
        history: existing(office.history.clone()),
        journal: existing(office.records.alarm_journal()),
        audit_db: existing(office.records.audit()),
        unit_tags: unit_tags(office.project),
    }
}

/// Applies a change as `by` and writes its audit record to the trail (opened first: a change that could
/// not be recorded is not made). The message for the person, or why it was refused.
fn act(office: &Office, store: &mut JobStore, by: &Actor, req: &JobRequest) -> Result<String, JobCliError> {
    let trail = office.project.audit_trail(office.records);
    let mut audit_db = audit::open(&trail)?;
    let cfg = config(office);
    let unit = match req {
        JobRequest::IssueTicket { number } => store.job(number).ok().map(|j| j.fields.unit),
        _ => None,
    };
    let sources = sources_for(&cfg, unit.as_deref());
    let counts = |from: Timestamp, to: Timestamp| {
        command::count_alarms_trips(cfg.journal.as_deref(), cfg.audit_db.as_deref(), from, to)
    };
    // One request makes one record; the channel holds it until it is chained below.
    let (sink, audited) = AuditSink::channel(16);
    let cx = Context {
        catalog: &cfg.catalog,
        audit: Some(&sink),
        now: Timestamp::now(),
        sources: &sources,
        alarms_trips: &counts,
    };
    let answer = command::apply(store, by, req, &cx);
    for entry in audited.try_iter() {
        audit::append(&mut audit_db, &trail, &entry)?;
    }
    Ok(answer?)
}

/// A new job's fields: from `--from FILE.json`, or from the options.
fn new_fields(a: &JobNewArgs) -> Result<JobFields, JobCliError> {
    if let Some(path) = &a.from {
        let file = std::fs::File::open(path).map_err(io(path))?;
        let mut json = Vec::new();
        std::io::Read::read_to_end(&mut std::io::Read::take(file, MAX_FIELDS_BYTES + 1), &mut json)
            .map_err(io(path))?;
        if json.len() as u64 > MAX_FIELDS_BYTES {
            return Err(JobCliError::Usage(format!(
                "{}: more than {} KiB, which is not a job's fields",
                path.display(),
                MAX_FIELDS_BYTES / 1024
            )));
        }
        return serde_json::from_slice(&json).map_err(|source| JobCliError::Json {
            path: path.display().to_string(),
            source,
        });
    }
    let now = Timestamp::now();
    let at = |flag: &str, v: &Option<String>| -> Result<Option<Timestamp>, JobCliError> {
        v.as_deref()
            .map(|s| crate::historian::export::parse_time(s, now))
            .transpose()
            .map_err(|e| JobCliError::Usage(format!("--{flag}: {e}")))
    };
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    Ok(JobFields {
        job_type: a.job_type,
        well: text(&a.well),
        field: text(&a.field),
        unit: text(&a.unit),
        reel: text(&a.reel),
        planned_start: at("planned-start", &a.planned_start)?,
        planned_end: at("planned-end", &a.planned_end)?,
        supervisor: text(&a.supervisor),
        operator: text(&a.operator),
        client: text(&a.client),
        client_rep: text(&a.client_rep),
        objective: text(&a.objective),
        well_depth_ft: a.well_depth,
        target_depth_ft: a.target_depth,
        estimated_hours: a.hours,
        description: String::new(),
        notes: String::new(),
    })
}

/// Writes to standard output (a closed pipe is an error to report, not a panic).
fn say(text: &str) -> Result<(), JobCliError> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(io(Path::new("standard output")))
}

fn json_text<T: Serialize>(value: &T) -> Result<String, JobCliError> {
    serde_json::to_string_pretty(value)
        .map(|s| s + "\n")
        .map_err(|source| JobCliError::Json {
            path: "the JSON written".into(),
            source,
        })
}

fn time(t: Option<Timestamp>) -> String {
    t.map_or_else(|| "-".to_owned(), Timestamp::to_rfc3339)
}

fn num(v: Option<f64>, decimals: usize) -> String {
    v.map_or_else(|| "-".to_owned(), |v| format!("{v:.decimals$}"))
}

fn list(store: &JobStore, status: Option<JobStatus>, json: bool) -> Result<(), JobCliError> {
    let jobs = store.list(status, LIST_LIMIT)?;
    if json {
        return say(&json_text(&jobs)?);
    }
    let mut s = format!(
        "{:<20} {:<4} {:<12} {:<18} {:<16} {:<8} {:<12} {:<24} {}\n",
        "number", "type", "status", "ticket", "well", "unit", "reel", "created", "client"
    );
    for j in &jobs {
        let f = &j.fields;
        s.push_str(&format!(
            "{:<20} {:<4} {:<12} {:<18} {:<16} {:<8} {:<12} {:<24} {}\n",
            j.number,
            f.job_type.map_or("-", |t| t.code()),
            j.status.name(),
            j.ticket.name(),
            f.well,
            f.unit,
            f.reel,
            j.created_at.to_rfc3339(),
            f.client
        ));
    }
    if jobs.is_empty() {
        s.push_str("(no jobs)\n");
    }
    say(&s)
}

/// A job's statistics: frozen at completion, else computed now over its run so far (none before it starts).
fn stats_of(office: &Office, d: &JobDetail) -> Option<JobStats> {
    if let Some(s) = &d.job.stats {
        return Some(s.clone());
    }
    let start = d.job.actual_start?;
    let end = d.job.actual_end.unwrap_or_else(Timestamp::now);
    let cfg = config(office);
    let (alarms, trips) = command::count_alarms_trips(cfg.journal.as_deref(), cfg.audit_db.as_deref(), start, end);
    Some(crate::job::stats::compute(
        &d.operations,
        &d.fluids,
        &d.npt,
        start,
        end,
        alarms,
        trips,
    ))
}

/// The ticket's state as the JSON gives it.
#[derive(Serialize)]
struct TicketCheck<'a> {
    sha256: &'a str,
    /// The stored content still has the hash recorded at issue, and every signature names it.
    intact: bool,
    problem: Option<&'a str>,
}

/// A whole job, as `show --json` and `export` write it.
#[derive(Serialize)]
struct JobRecord<'a> {
    job: &'a Job,
    operations: &'a [Operation],
    fluids: &'a [FluidStage],
    bha: &'a [BhaComponent],
    bha_totals: BhaTotals,
    npt: &'a [Npt],
    signatures: &'a [Signature],
    stats: Option<JobStats>,
    ticket: Option<TicketCheck<'a>>,
}

fn record_json(office: &Office, d: &JobDetail) -> Result<String, JobCliError> {
    let ticket = d.ticket_sha.as_deref().map(|sha256| TicketCheck {
        sha256,
        intact: matches!(d.ticket_check, Some(Ok(()))),
        problem: match &d.ticket_check {
            Some(Err(why)) => Some(why.as_str()),
            _ => None,
        },
    });
    json_text(&JobRecord {
        job: &d.job,
        operations: &d.operations,
        fluids: &d.fluids,
        bha: &d.bha,
        bha_totals: bha_totals(&d.bha),
        npt: &d.npt,
        signatures: &d.signatures,
        stats: stats_of(office, d),
        ticket,
    })
}

fn detail(store: &JobStore, number: &str) -> Result<JobDetail, JobCliError> {
    let job = store.job(number)?;
    Ok(JobDetail::load(store, job)?)
}

fn show(office: &Office, store: &JobStore, number: &str, json: bool) -> Result<(), JobCliError> {
    let d = detail(store, number)?;
    if json {
        return say(&record_json(office, &d)?);
    }
    let mut s = fields_text(&d);
    s.push_str(&operations_text(&d.operations));
    s.push_str(&fluids_text(&d.fluids));
    s.push_str(&bha_text(&d.bha));
    s.push_str(&npt_text(&d.npt));
    s.push_str(&signatures_text(&d));
    if let Some(st) = stats_of(office, &d) {
        s.push_str(&stats_text(&st));
    }
    say(&s)
}

fn fields_text(d: &JobDetail) -> String {
    let j = &d.job;
    let f = &j.fields;
    let kind = f
        .job_type
        .map_or_else(|| "-".to_owned(), |t| format!("{} ({})", t.code(), t.label(Lang::En)));
    let mut s = format!(
        "Job {}: {kind}, {}; ticket {}\n",
        j.number,
        j.status.name(),
        j.ticket.name()
    );
    let lines = [
        ("well", format!("{} (field {})", f.well, f.field)),
        ("unit / reel", format!("{} / {}", f.unit, f.reel)),
        ("client", format!("{} (representative {})", f.client, f.client_rep)),
        ("supervisor", f.supervisor.clone()),
        ("operator", f.operator.clone()),
        (
            "planned",
            format!("{} to {}", time(f.planned_start), time(f.planned_end)),
        ),
        ("actual", format!("{} to {}", time(j.actual_start), time(j.actual_end))),
        (
            "depths",
            format!(
                "well {} ft, target {} ft",
                num(f.well_depth_ft, 0),
                num(f.target_depth_ft, 0)
            ),
        ),
        ("estimated", format!("{} h", num(f.estimated_hours, 1))),
        ("objective", f.objective.clone()),
        ("description", f.description.clone()),
        ("notes", f.notes.clone()),
        ("created", format!("{} by {}", j.created_at.to_rfc3339(), j.created_by)),
        ("updated", j.updated_at.to_rfc3339()),
    ];
    for (name, value) in lines {
        s.push_str(&format!("  {name:<12} {value}\n"));
    }
    s
}

fn operations_text(ops: &[Operation]) -> String {
    let mut s = format!(
        "\nOperations ({})\n  {:>6} {:<12} {:<24} {:<24} {:>8} {:>8} {:>8} {:>9} {:>9} {:>7} {:>7} {:>6} {:>8} \
         {:>8}  {}\n",
        ops.len(),
        "id",
        "type",
        "start",
        "end",
        "from ft",
        "to ft",
        "max ft",
        "max lbf",
        "min lbf",
        "circ",
        "whp",
        "bpm",
        "bbl",
        "footage",
        "fluid / observations"
    );
    for o in ops {
        let flag = if o.detected { "" } else { "*" };
        s.push_str(&format!(
            "  {:>6} {:<12} {:<24} {:<24} {:>8.0} {:>8.0} {:>8.0} {:>9} {:>9} {:>7} {:>7} {:>6} {:>8.1} \
             {:>8.0}  {} {}\n",
            o.id,
            format!("{}{flag}", o.op_type),
            o.start.to_rfc3339(),
            time(o.end),
            o.start_depth_ft,
            o.end_depth_ft,
            o.max_depth_ft,
            num(o.max_weight_lbf, 0),
            num(o.min_weight_lbf, 0),
            num(o.max_circ_psi, 0),
            num(o.max_whp_psi, 0),
            num(o.avg_rate_bpm, 2),
            o.volume_bbl,
            o.footage_ft,
            o.fluid.as_deref().unwrap_or("-"),
            o.observations.replace('\n', " ")
        ));
    }
    if ops.iter().any(|o| !o.detected) {
        s.push_str("  * entered or corrected by a person\n");
    }
    s
}

fn fluids_text(fluids: &[FluidStage]) -> String {
    let mut s = format!(
        "\nFluids ({})\n  {:>3} {:<8} {:<20} {:>6} {:>8} {:>9} {:>9} {:>6} {:>8} {:<24} {}\n",
        fluids.len(),
        "seq",
        "kind",
        "name",
        "ppg",
        "cP",
        "planned",
        "pumped",
        "bpm",
        "max psi",
        "start",
        "end"
    );
    for f in fluids {
        s.push_str(&format!(
            "  {:>3} {:<8} {:<20} {:>6} {:>8} {:>9} {:>9.1} {:>6} {:>8} {:<24} {}\n",
            f.seq,
            f.kind.name(),
            f.name,
            num(f.density_ppg, 2),
            num(f.viscosity_cp, 1),
            num(f.planned_bbl, 1),
            f.actual_bbl,
            num(f.avg_rate_bpm, 2),
            num(f.max_pressure_psi, 0),
            time(f.start),
            time(f.end)
        ));
    }
    s
}

fn bha_text(bha: &[BhaComponent]) -> String {
    let mut s = format!(
        "\nBHA, from the bottom ({})\n  {:>3} {:<20} {:<16} {:<16} {:<14} {:>8} {:>7} {:>7} {:>8}\n",
        bha.len(),
        "seq",
        "component",
        "manufacturer",
        "model",
        "serial",
        "ft",
        "OD in",
        "ID in",
        "lb"
    );
    for c in bha {
        s.push_str(&format!(
            "  {:>3} {:<20} {:<16} {:<16} {:<14} {:>8.2} {:>7.3} {:>7.3} {:>8.0}\n",
            c.seq, c.kind, c.manufacturer, c.model, c.serial, c.length_ft, c.od_in, c.id_in, c.weight_lb
        ));
    }
    if !bha.is_empty() {
        let t = bha_totals(bha);
        s.push_str(&format!(
            "  total {:.2} ft, {:.0} lb, largest OD {:.3} in, smallest ID {:.3} in\n",
            t.length_ft, t.weight_lb, t.max_od_in, t.min_id_in
        ));
    }
    s
}

fn npt_text(npt: &[Npt]) -> String {
    let mut s = format!("\nNon-productive time ({})\n", npt.len());
    for n in npt {
        s.push_str(&format!(
            "  {:<22} {} to {} {:>6.2} h  {}\n",
            n.reason.name(),
            n.start.to_rfc3339(),
            n.end.to_rfc3339(),
            n.hours(),
            n.note
        ));
    }
    s
}

fn signatures_text(d: &JobDetail) -> String {
    let mut s = String::from("\nTicket\n");
    match (&d.ticket_sha, &d.ticket_check) {
        (Some(sha), Some(Ok(()))) => s.push_str(&format!("  issued, sha256 {sha}: matches its signatures\n")),
        (Some(sha), Some(Err(why))) => s.push_str(&format!("  issued, sha256 {sha}: TAMPERED: {why}\n")),
        (None, Some(Err(why))) => s.push_str(&format!("  TAMPERED: {why}\n")),
        _ => s.push_str("  not issued (a draft until the job is completed and the ticket issued)\n"),
    }
    for g in &d.signatures {
        s.push_str(&format!(
            "  signed as {:<11} by {} (user {}) at {}, sha256 {}\n",
            g.role.name(),
            g.name,
            g.user,
            g.at.to_rfc3339(),
            g.content_sha256.get(..16).unwrap_or(&g.content_sha256)
        ));
    }
    s
}

fn stats_text(st: &JobStats) -> String {
    let mut s = format!(
        "\nStatistics\n  duration {:.2} h, NPT {:.2} h, efficiency {:.1} %\n  max depth {:.0} ft, footage {:.0} ft, \
         {} operations, {} alarms, {} trips\n  pumped {:.1} bbl\n",
        st.duration_h,
        st.npt_h,
        st.efficiency_pct,
        st.max_depth_ft,
        st.footage_ft,
        st.operations,
        st.alarms,
        st.trips,
        st.total_volume_bbl
    );
    for (fluid, bbl) in &st.volume_by_fluid {
        s.push_str(&format!("    {fluid:<20} {bbl:>9.1} bbl\n"));
    }
    for (op, h) in &st.hours_by_op {
        s.push_str(&format!("  {op:<20} {h:>7.2} h\n"));
    }
    s
}

/// Writes the ticket PDF (0600, replaced whole).
fn ticket(office: &Office, store: &JobStore, a: &JobTicketArgs) -> Result<(), JobCliError> {
    let job = store.job(&a.number)?;
    let cfg = config(office);
    let sources = sources_for(&cfg, Some(job.fields.unit.as_str()));
    let units = if a.si { UnitSystem::Si } else { UnitSystem::Oilfield };
    let bytes = command::ticket_pdf(store, &a.number, &sources, a.lang, units)?;
    crate::records::replace_file(&a.pdf, &bytes).map_err(io(&a.pdf))?;
    let what = if job.ticket == crate::job::model::TicketState::Draft {
        "a DRAFT (not issued)".to_owned()
    } else {
        format!("ticket {}", job.ticket.name())
    };
    say(&format!(
        "{}: job {}, {what}, {} KiB\n",
        a.pdf.display(),
        a.number,
        bytes.len().div_ceil(1024)
    ))
}

fn export(office: &Office, store: &JobStore, a: &JobExportArgs) -> Result<(), JobCliError> {
    let d = detail(store, &a.number)?;
    let json = record_json(office, &d)?;
    if a.json == Path::new("-") {
        return say(&json);
    }
    crate::records::replace_file(&a.json, json.as_bytes()).map_err(io(&a.json))?;
    eprintln!("{}: job {}", a.json.display(), a.number);
    Ok(())
}
