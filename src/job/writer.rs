//! The console's job writer: one thread owns `jobs.db`. People's requests (through `command`, role-checked
//! and audited), signatures (the signer's password checked here first, never on the UI thread), ticket
//! PDFs, and the hub job service's detected operations and stage progress all reach it through one bounded
//! channel; after each batch, and when another process (the command line) has committed, it rebuilds the
//! `JobsView` and swaps it in.
//!
//! Invariants: a sender never waits (a full queue refuses the message, counted, and a person's refused
//! request is audited as refused); a record the service sends that the store refuses is counted and
//! logged, never a panic; passwords are never logged and are dropped right after their check; `stop`
//! handles what is queued before the thread ends. Must not import `ui`; nothing here reads the hub.

use super::catalog::Catalog;
use super::command::{self, Context, JobRequest};
use super::model::{JobError, Operation, SignRole};
use super::store::JobStore;
use super::ticket::Sources;
use super::view::{self, JobResult, JobsView, JobsViewCell, MAX_RESULTS};
use crate::auth::audit::{AuditEntry, AuditSink};
use crate::auth::users::{FailReason, UserError, UserStoreConfig};
use crate::auth::{Actor, Role};
use crate::lang::Lang;
use crate::tag::Timestamp;
use crate::units::UnitSystem;
use crossbeam_channel::{Receiver, Sender, TrySendError, bounded};
use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Messages waiting for the writer: people act a few times a minute, the service every few seconds per unit.
pub const QUEUE: usize = 256;
/// How often the writer looks for another process's commits (`JobStore::data_version`).
const POLL: Duration = Duration::from_secs(1);

/// What reaches the writer. No `Debug`: a signature carries a password.
pub enum JobMsg {
    Request {
        id: u64,
        actor: Actor,
        req: JobRequest,
    },
    /// A signature: password checked here first.
    Sign {
        id: u64,
        user: String,
        password: String,
        role: SignRole,
        name: String,
        number: String,
    },
    Select {
        number: Option<String>,
    },
    /// From the hub service: a detected op (insert or update) for job `job_id`; the writer answers
    /// the new id back through the view's ActiveJob.open_op.
    Op(Operation),
    Stage {
        stage_id: i64,
        actual_bbl: f64,
        avg_rate_bpm: Option<f64>,
        max_pressure_psi: Option<f64>,
    },
    /// Writes the ticket PDF to a new file `path` (0600; an existing file is never replaced, nor is anything
    /// written in the records' folder) in `lang`/`units`: the stored ticket content once issued (refused with
    /// JobError::Tampered if its hash no longer matches), else a DRAFT rendering from gather(). A file written
    /// on the console's machine: anyone but a viewer, audited done or refused.
    ExportPdf {
        id: u64,
        by: Actor,
        number: String,
        path: PathBuf,
        lang: Lang,
        units: UnitSystem,
    },
}

/// The console's and the hub service's handle on the writer. Cloneable; no method waits.
#[derive(Clone)]
pub struct JobPort {
    tx: Sender<JobMsg>,
    next: Arc<AtomicU64>,
    pub view: JobsViewCell,
    refused: Arc<AtomicU64>,
    audit: Option<AuditSink>,
}

impl JobPort {
    fn next_id(&self) -> u64 {
        self.next.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Why a message was not queued, counted.
    fn refusal(&self, e: &TrySendError<JobMsg>) -> &'static str {
        self.refused.fetch_add(1, Ordering::Relaxed);
        match e {
            TrySendError::Full(_) => "busy: the job records are behind; try again",
            TrySendError::Disconnected(_) => "the job records have stopped",
        }
    }

    /// A person's request refused before it reached the writer is recorded as refused, as one the writer
    /// refuses would be.
    fn audit_refused(&self, by: &Actor, req: &JobRequest, why: &str) {
        tracing::warn!(user = %by.user, "{} refused: {why}", command::audit_action(req));
        if let Some(a) = &self.audit {
            a.record(AuditEntry::by(
                Timestamp::now(),
                by,
                command::audit_action(req),
                command::target_hint(req),
                format!("refused: {why}"),
                false,
            ));
        }
    }

    /// Sends a person's request; Some(id) to find its answer in view.results, None when the queue is full.
    pub fn request(&self, actor: Actor, req: JobRequest) -> Option<u64> {
        let id = self.next_id();
        match self.tx.try_send(JobMsg::Request { id, actor, req }) {
            Ok(()) => Some(id),
            Err(e) => {
                let why = self.refusal(&e);
                if let JobMsg::Request { actor, req, .. } = e.into_inner() {
                    self.audit_refused(&actor, &req, why);
                }
                None
            }
        }
    }

    /// A signature, confirmed on the writer thread with `user`'s password.
    pub fn sign(&self, user: String, password: String, role: SignRole, name: String, number: String) -> Option<u64> {
        let id = self.next_id();
        let msg = JobMsg::Sign {
            id,
            user,
            password,
            role,
            name,
            number,
        };
        match self.tx.try_send(msg) {
            Ok(()) => Some(id),
            Err(e) => {
                let why = self.refusal(&e);
                if let JobMsg::Sign {
                    user,
                    role,
                    name,
                    number,
                    ..
                } = e.into_inner()
                {
                    let req = JobRequest::Sign { number, role, name };
                    self.audit_refused(&Actor::new(user, Role::Viewer), &req, why);
                }
                None
            }
        }
    }

    /// The job whose details the console shows (besides those in progress); None for none.
    pub fn select(&self, number: Option<String>) {
        if let Err(e) = self.tx.try_send(JobMsg::Select { number }) {
            let why = self.refusal(&e);
            tracing::warn!("job selection not sent: {why}");
        }
    }

    /// The hub service's records (never blocks; false when full).
    pub fn op(&self, op: Operation) -> bool {
        self.offer(JobMsg::Op(op))
    }

    pub fn stage(
        &self,
        stage_id: i64,
        actual_bbl: f64,
        avg_rate_bpm: Option<f64>,
        max_pressure_psi: Option<f64>,
    ) -> bool {
        self.offer(JobMsg::Stage {
            stage_id,
            actual_bbl,
            avg_rate_bpm,
            max_pressure_psi,
        })
    }

    /// Writes job `number`'s ticket PDF to `path` (see `JobMsg::ExportPdf`).
    pub fn export_pdf(&self, by: Actor, number: String, path: PathBuf, lang: Lang, units: UnitSystem) -> Option<u64> {
        let id = self.next_id();
        self.offer(JobMsg::ExportPdf {
            id,
            by,
            number,
            path,
            lang,
            units,
        })
        .then_some(id)
    }

    fn offer(&self, msg: JobMsg) -> bool {
        match self.tx.try_send(msg) {
            Ok(()) => true,
            Err(e) => {
                let refused = self.refused.load(Ordering::Relaxed) + 1;
                let why = self.refusal(&e);
                // The service offers again within seconds: said now and then, not every time.
                if refused.is_power_of_two() {
                    tracing::warn!(refused, "job record not queued: {why}");
                }
                false
            }
        }
    }

    /// Messages refused so far because the queue was full or the writer had stopped.
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }
}

/// Why nobody signs on a site without user accounts.
const NO_ACCOUNTS: &str = "signing a ticket needs user accounts on this site (wellconsole users add): a signature is \
                           confirmed with the signer's own password";

/// What the writer needs: the store's file, the site's catalog, the audit trail, the user store (for
/// signatures), and where a ticket's content comes from.
#[derive(Clone)]
pub struct WriterConfig {
    /// jobs.db
    pub path: PathBuf,
    pub catalog: Catalog,
    pub audit: Option<AuditSink>,
    /// None on a site with no users: there nobody signs (a signature is confirmed with a password).
    pub users: Option<UserStoreConfig>,
    pub site: String,
    pub history: Option<PathBuf>,
    pub journal: Option<PathBuf>,
    /// The audit trail's database (`Records::audit`), read for the trips during a job: trips are recorded
    /// there, not in the alarm journal.
    pub audit_db: Option<PathBuf>,
    /// Per unit: (unit, depth tag, weight tag, circulating pressure tag), for the ticket's charts.
    pub unit_tags: Vec<(String, String, String, String)>,
}

/// Where a ticket's content comes from, for a job on `unit`.
pub fn sources_for<'a>(cfg: &'a WriterConfig, unit: Option<&str>) -> Sources<'a> {
    let tags = unit.and_then(|u| cfg.unit_tags.iter().find(|t| t.0 == u));
    let tag = |name: &'a String| Some(name.as_str()).filter(|n| !n.is_empty());
    Sources {
        site: &cfg.site,
        history: cfg.history.as_deref(),
        journal: cfg.journal.as_deref(),
        depth_tag: tags.and_then(|t| tag(&t.1)),
        weight_tag: tags.and_then(|t| tag(&t.2)),
        circ_tag: tags.and_then(|t| tag(&t.3)),
        audit: cfg.audit_db.as_deref(),
    }
}

/// Per CT unit of the project (`[ct.<unit>]`): (unit, depth tag, weight tag, circulating pressure tag), the
/// tags a ticket's charts are drawn from (`WriterConfig::unit_tags`).
pub fn unit_tags(project: &crate::project::Project) -> Vec<(String, String, String, String)> {
    let tags = &project.site.tags;
    let name = |id: crate::tag::TagId| tags.get(id).map_or_else(String::new, |d| d.name.clone());
    project
        .site
        .ct_units
        .iter()
        .map(|u| {
            (
                u.unit.clone(),
                name(u.inputs.depth),
                name(u.inputs.weight),
                name(u.inputs.circ_pressure),
            )
        })
        .collect()
}

/// The running writer thread.
pub struct JobWriter {
    thread: Option<JoinHandle<()>>,
    /// Dropped to stop the thread (a port's sender cannot be: the console holds clones).
    stop: Option<Sender<()>>,
}

impl JobWriter {
    /// Opens the store, publishes the first view and starts the writer thread. A store that cannot be opened
    /// is an error: the console then runs without jobs and says so.
    pub fn start(cfg: WriterConfig) -> Result<(Self, JobPort), JobError> {
        let store = JobStore::open(&cfg.path)?;
        let (tx, rx) = bounded(QUEUE);
        let (stop_tx, stop_rx) = bounded::<()>(1);
        let view: JobsViewCell = Arc::new(arc_swap::ArcSwap::from_pointee(JobsView::default()));
        let port = JobPort {
            tx,
            next: Arc::new(AtomicU64::new(0)),
            view: view.clone(),
            refused: Arc::new(AtomicU64::new(0)),
            audit: cfg.audit.clone(),
        };
        let mut writer = Writer {
            version: store.data_version().ok(),
            store,
            cfg,
            view,
            selected: None,
            results: VecDeque::new(),
            open_ops: HashMap::new(),
            record_errors: 0,
            problem: None,
        };
        writer.publish();
        let thread = std::thread::Builder::new()
            .name("job-writer".into())
            .spawn(move || writer.run(&rx, &stop_rx))
            .map_err(|e| JobError::Store(format!("the job writer thread could not start: {e}")))?;
        Ok((
            Self {
                thread: Some(thread),
                stop: Some(stop_tx),
            },
            port,
        ))
    }

    /// Commits what is queued and stops (the hub has stopped first).
    pub fn stop(mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take()
            && t.join().is_err()
        {
            tracing::error!("job writer panicked");
        }
    }
}

/// The writer thread's state.
struct Writer {
    store: JobStore,
    cfg: WriterConfig,
    view: JobsViewCell,
    selected: Option<String>,
    results: VecDeque<JobResult>,
    /// Open detected operations stored so far, by (job id, start µs): a second upsert of the same open
    /// operation sent before the service has read its id from the view updates it instead of adding another.
    open_ops: HashMap<(i64, i64), i64>,
    record_errors: u64,
    problem: Option<String>,
    /// The store's `data_version` when last looked at: it changes when another process commits.
    version: Option<i64>,
}

impl Writer {
    fn run(mut self, rx: &Receiver<JobMsg>, stop: &Receiver<()>) {
        let mut polled = Instant::now();
        loop {
            let mut changed = false;
            let mut stopping = false;
            crossbeam_channel::select! {
                recv(rx) -> msg => {
                    match msg {
                        Ok(m) => {
                            self.handle(m);
                            // What came in meanwhile, bounded so the view is rebuilt at least once per queueful.
                            for m in rx.try_iter().take(QUEUE) {
                                self.handle(m);
                            }
                            changed = true;
                        }
                        Err(_) => stopping = true,
                    }
                }
                recv(stop) -> _ => {
                    stopping = true;
                }
                default(POLL) => {}
            }
            if stopping {
                // Everything queued when the stop came; what arrives later is refused with the port closed.
                for m in rx.try_iter().take(QUEUE) {
                    self.handle(m);
                }
                self.publish();
                return;
            }
            if polled.elapsed() >= POLL {
                polled = Instant::now();
                changed |= self.committed_elsewhere();
            }
            if changed {
                self.publish();
            }
        }
    }

    /// True when another connection (the command line) committed since the last look.
    fn committed_elsewhere(&mut self) -> bool {
        match self.store.data_version() {
            Ok(v) => {
                let changed = self.version.is_some_and(|old| old != v);
                self.version = Some(v);
                changed
            }
            Err(e) => {
                tracing::warn!(error = %e, "job records: data version not read");
                false
            }
        }
    }

    fn handle(&mut self, msg: JobMsg) {
        match msg {
            JobMsg::Request { id, actor, req } => {
                let answer = self.request(&actor, &req);
                self.answer(id, answer);
            }
            JobMsg::Sign {
                id,
                user,
                password,
                role,
                name,
                number,
            } => {
                let answer = self.sign(&user, password, role, name, number);
                self.answer(id, answer);
            }
            JobMsg::Select { number } => self.selected = number,
            JobMsg::Op(op) => self.record_op(op),
            JobMsg::Stage {
                stage_id,
                actual_bbl,
                avg_rate_bpm,
                max_pressure_psi,
            } => {
                let r = self
                    .store
                    .stage_progress(stage_id, actual_bbl, avg_rate_bpm, max_pressure_psi);
                self.recorded("fluid stage progress", r);
            }
            JobMsg::ExportPdf {
                id,
                by,
                number,
                path,
                lang,
                units,
            } => {
                let answer = self.export_pdf(&by, &number, &path, lang, units);
                if let Some(a) = &self.cfg.audit {
                    let detail = match &answer {
                        Ok(_) => format!("to {}", path.display()),
                        Err(e) => format!("to {}: refused: {e}", path.display()),
                    };
                    let entry = AuditEntry::by(
                        Timestamp::now(),
                        &by,
                        "ticket exported",
                        &number,
                        detail,
                        answer.is_ok(),
                    );
                    a.record(entry);
                }
                self.answer(id, answer);
            }
        }
    }

    fn answer(&mut self, id: u64, answer: Result<String, JobError>) {
        let (ok, message) = match answer {
            Ok(m) => (true, m),
            Err(e) => (false, e.to_string()),
        };
        if self.results.len() == MAX_RESULTS {
            self.results.pop_front();
        }
        self.results.push_back(JobResult { id, ok, message });
    }

    /// A person's request through `command::apply`. A signature sent as a plain request is refused on a
    /// site with users: there it must come with the signer's password (`JobMsg::Sign`).
    fn request(&mut self, actor: &Actor, req: &JobRequest) -> Result<String, JobError> {
        if let JobRequest::Sign { role, .. } = req {
            // A signature is a login-confirmed act: with the signer's password (`JobMsg::Sign`), and so only
            // on a site with user accounts.
            let why = match &self.cfg.users {
                Some(users) => format!(
                    "on a site with users ({}) a signature is confirmed with the signer's password",
                    users.path.display()
                ),
                None => NO_ACCOUNTS.to_owned(),
            };
            if let Some(a) = &self.cfg.audit {
                let detail = format!("as {}: refused: {why}", role.name());
                let target = command::target_hint(req);
                a.record(AuditEntry::by(
                    Timestamp::now(),
                    actor,
                    command::audit_action(req),
                    target,
                    detail,
                    false,
                ));
            }
            return Err(JobError::Login(why));
        }
        self.apply(actor, req)
    }

    fn apply(&mut self, actor: &Actor, req: &JobRequest) -> Result<String, JobError> {
        // The ticket's chart tags are the job's unit's; only issuing a ticket reads them.
        let unit = match req {
            JobRequest::IssueTicket { number } => self.store.job(number).ok().map(|j| j.fields.unit),
            _ => None,
        };
        let cfg = &self.cfg;
        let sources = sources_for(cfg, unit.as_deref());
        let counts = |from: Timestamp, to: Timestamp| {
            command::count_alarms_trips(cfg.journal.as_deref(), cfg.audit_db.as_deref(), from, to)
        };
        let cx = Context {
            catalog: &cfg.catalog,
            audit: cfg.audit.as_ref(),
            now: Timestamp::now(),
            sources: &sources,
            alarms_trips: &counts,
        };
        command::apply(&mut self.store, actor, req, &cx)
    }

    /// A signature: the signer logs in (the store's lockout and answer time apply), and the signature is
    /// that login's act. A failed login is audited with its real cause; the person reads the vague words.
    fn sign(
        &mut self,
        user: &str,
        password: String,
        role: SignRole,
        name: String,
        number: String,
    ) -> Result<String, JobError> {
        let req = JobRequest::Sign { number, role, name };
        let Some(users) = self.cfg.users.clone() else {
            drop(password);
            let why = NO_ACCOUNTS.to_owned();
            self.login_refused(user, &req, why.clone(), None);
            return Err(JobError::Login(why));
        };
        let login = users.check_login(user, &password, Duration::ZERO);
        drop(password);
        match login {
            Ok(actor) => self.apply(&actor, &req),
            Err(e) => {
                let (cause, why) = match &e {
                    UserError::LoginFailed(reason) => (reason.to_string(), Some(reason.clone())),
                    other => (other.to_string(), None),
                };
                self.login_refused(user, &req, cause, why);
                Err(JobError::Login(e.to_string()))
            }
        }
    }

    /// Audits a signature refused at its login, as `admin::command_line_login` audits a failed login: the
    /// name as typed, as a viewer, with the real cause; and the lockout when that failure caused it.
    fn login_refused(&self, user: &str, req: &JobRequest, cause: String, why: Option<FailReason>) {
        tracing::warn!(user, "ticket signature refused: {cause}");
        let Some(a) = &self.cfg.audit else { return };
        let now = Timestamp::now();
        let attempted = Actor::new(user, Role::Viewer);
        let target = command::target_hint(req);
        let role = match req {
            JobRequest::Sign { role, .. } => role.name(),
            _ => "-",
        };
        a.record(AuditEntry::by(
            now,
            &attempted,
            "ticket signature refused",
            target,
            format!("as {role}: login failed: {cause}"),
            false,
        ));
        if let Some(w @ FailReason::LockedNow { .. }) = why {
            a.record(AuditEntry::by(
                now,
                &attempted,
                "account locked",
                "job ticket",
                w.to_string(),
                true,
            ));
        }
    }

    fn export_pdf(
        &self,
        by: &Actor,
        number: &str,
        path: &std::path::Path,
        lang: Lang,
        units: UnitSystem,
    ) -> Result<String, JobError> {
        if by.role == Role::Viewer {
            return Err(JobError::NotPermitted {
                user: by.user.clone(),
                role: by.role.name().into(),
                action: "write a ticket PDF on this console".into(),
            });
        }
        check_export_path(path, &self.cfg.path)?;
        let unit = self.store.job(number)?.fields.unit;
        let sources = sources_for(&self.cfg, Some(unit.as_str()));
        let bytes = command::ticket_pdf(&self.store, number, &sources, lang, units)?;
        crate::records::write_new(path, &bytes)
            .map_err(|e| JobError::Store(format!("the ticket PDF {}: {e}", path.display())))?;
        Ok(format!(
            "Ticket of job {number} written to {} ({} KiB).",
            path.display(),
            bytes.len().div_ceil(1024)
        ))
    }

    /// A detected operation from the service, inserted or updated.
    fn record_op(&mut self, mut op: Operation) {
        let key = (op.job_id, op.start.0);
        if op.id == 0
            && let Some(id) = self.open_ops.get(&key)
        {
            op.id = *id;
        }
        let r = self.store.upsert_detected(&op);
        if let Ok(id) = &r {
            if op.end.is_none() {
                self.open_ops.insert(key, *id);
            } else {
                self.open_ops.remove(&key);
            }
        }
        self.recorded("detected operation", r.map(|_| ()));
    }

    /// Counts and logs a record the store refused; a store that cannot write is the view's problem until
    /// a write succeeds again.
    fn recorded(&mut self, what: &str, r: Result<(), JobError>) {
        match r {
            Ok(()) => {
                if self.problem.take().is_some() {
                    tracing::info!("job records written again");
                }
            }
            Err(e) => {
                self.record_errors += 1;
                // Every 5 s per unit while it lasts: said at 1, 2, 4, 8 … errors.
                if self.record_errors.is_power_of_two() {
                    tracing::warn!(error = %e, errors = self.record_errors, "job records: {what} not recorded");
                }
                if matches!(e, JobError::Store(_)) {
                    self.problem = Some(e.to_string());
                }
            }
        }
    }

    /// Rebuilds the view from the store and swaps it in; a store that cannot be read keeps the last view,
    /// with the problem and the newest answers.
    fn publish(&mut self) {
        let results: Vec<JobResult> = self.results.iter().cloned().collect();
        let view = match view::build(&self.store, self.selected.as_deref(), &results) {
            Ok(mut v) => {
                v.problem = self.problem.clone();
                self.open_ops
                    .retain(|(job_id, _), _| v.active.iter().any(|a| a.job_id == *job_id));
                v
            }
            Err(e) => {
                tracing::warn!(error = %e, "job records not read; the console shows the last view");
                let mut v = JobsView::clone(&self.view.load_full());
                v.results = results;
                v.problem = Some(e.to_string());
                v
            }
        };
        self.view.store(Arc::new(view));
    }
}

/// Where a console may write a ticket (`records::export_refusal`): never over a site record.
fn check_export_path(path: &std::path::Path, records_db: &std::path::Path) -> Result<(), JobError> {
    match crate::records::export_refusal(path, records_db) {
        Some(reason) => Err(JobError::Invalid {
            field: "PDF file",
            reason: format!("{}: {reason}", path.display()),
        }),
        None => Ok(()),
    }
}
