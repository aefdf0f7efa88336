//! The console's production writer: one thread owns `production.db`. People's requests on well tests
//! (through `command`, role-checked and audited), certificate PDFs, and the tests the hub's production
//! service measured all reach it through one bounded channel; after each batch, and when another process
//! (the command line) has committed, it rebuilds the `ProductionView` and swaps it in.
//!
//! Invariants: a sender never waits (a full queue refuses the message, counted, and a person's refused
//! request is audited as refused); a measured test the store refuses as invalid is counted and logged,
//! never a panic, and one a busy or failing store could not write is kept (bounded) and written again at
//! each poll (the store keeps a test once); `stop` handles what is queued before the thread ends; a certificate is written only to a new `.pdf` file outside the records' folder, by anyone
//! but a viewer, audited done or refused. Must not import `ui`; nothing here reads the hub.

use super::command::{self, ProductionRequest};
use super::config::ProductionConfig;
use super::export::{self, CertificateSources, EXPORT};
use super::model::{Measured, ProductionError};
use super::store::ProductionStore;
use super::view::{self, MAX_RESULTS, ProductionView, ProductionViewCell};
use crate::auth::Actor;
use crate::auth::audit::{AuditEntry, AuditSink};
use crate::lang::Lang;
use crate::tag::Timestamp;
use crate::units::UnitSystem;
use crossbeam_channel::{Receiver, Sender, TrySendError, bounded};
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Messages waiting for the writer: people act a few times a minute, the service sends a test every few
/// hours per separator.
pub const QUEUE: usize = 256;
/// How often the writer looks for another process's commits (`ProductionStore::data_version`).
const POLL: Duration = Duration::from_secs(1);
/// Tests kept for another try when the store cannot write, at most (a day of tests on a busy separator).
const MAX_UNWRITTEN: usize = 64;

/// What reaches the writer.
#[derive(Debug)]
pub enum ProductionMsg {
    Request {
        id: u64,
        actor: Actor,
        req: ProductionRequest,
    },
    /// From the hub service: a completed test (boxed: it is the largest message by far).
    Measured(Box<Measured>),
    /// Writes test `test`'s certificate to a new file `path` (0600; an existing file is never replaced, nor
    /// is anything written in the records' folder) in `lang`/`units`.
    ExportPdf {
        id: u64,
        by: Actor,
        test: i64,
        path: PathBuf,
        lang: Lang,
        units: UnitSystem,
    },
}

/// The console's and the hub service's handle on the writer. Cloneable; no method waits.
#[derive(Clone)]
pub struct ProductionPort {
    tx: Sender<ProductionMsg>,
    next: Arc<AtomicU64>,
    pub view: ProductionViewCell,
    refused: Arc<AtomicU64>,
    audit: Option<AuditSink>,
}

impl ProductionPort {
    fn next_id(&self) -> u64 {
        self.next.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Why a message was not queued, counted.
    fn refusal(&self, e: &TrySendError<ProductionMsg>) -> ProductionError {
        self.refused.fetch_add(1, Ordering::Relaxed);
        match e {
            TrySendError::Full(_) => ProductionError::Busy,
            TrySendError::Disconnected(_) => ProductionError::Store("the production writer has stopped".into()),
        }
    }

    /// A person's act refused before it reached the writer is recorded as refused, as one the writer
    /// refuses would be.
    fn audit_refused(&self, by: &Actor, action: &str, target: String, detail: String) {
        tracing::warn!(user = %by.user, "{action} refused: {detail}");
        if let Some(a) = &self.audit {
            a.record(AuditEntry::by(Timestamp::now(), by, action, target, detail, false));
        }
    }

    /// Sends a person's request; Some(id) to find its answer in `view.result(id)`, None when refused.
    pub fn request(&self, actor: Actor, req: ProductionRequest) -> Option<u64> {
        let id = self.next_id();
        match self.tx.try_send(ProductionMsg::Request { id, actor, req }) {
            Ok(()) => Some(id),
            Err(e) => {
                let why = self.refusal(&e);
                if let ProductionMsg::Request { actor, req, .. } = e.into_inner() {
                    let detail = command::refused_detail(&req, &why);
                    self.audit_refused(&actor, command::audit_action(&req), command::target_hint(&req), detail);
                }
                None
            }
        }
    }

    /// A test the hub service measured (never waits; false when not queued: send it again later, the store
    /// keeps it once).
    pub fn measured(&self, m: Measured) -> bool {
        match self.tx.try_send(ProductionMsg::Measured(Box::new(m))) {
            Ok(()) => true,
            Err(e) => {
                let refused = self.refused.load(Ordering::Relaxed) + 1;
                let why = self.refusal(&e);
                // The service offers again: said now and then, not every time.
                if refused.is_power_of_two() {
                    tracing::warn!(refused, "well test not queued: {why}");
                }
                false
            }
        }
    }

    /// Writes test `id`'s certificate PDF to `path` (see `ProductionMsg::ExportPdf`).
    pub fn export_pdf(&self, by: Actor, id: i64, path: PathBuf, lang: Lang, units: UnitSystem) -> Option<u64> {
        let msg_id = self.next_id();
        let msg = ProductionMsg::ExportPdf {
            id: msg_id,
            by,
            test: id,
            path,
            lang,
            units,
        };
        match self.tx.try_send(msg) {
            Ok(()) => Some(msg_id),
            Err(e) => {
                let why = self.refusal(&e);
                if let ProductionMsg::ExportPdf { by, path, .. } = e.into_inner() {
                    let detail = format!("to {}: refused: {why}", path.display());
                    self.audit_refused(&by, EXPORT, format!("test {id}"), detail);
                }
                None
            }
        }
    }

    /// Messages refused so far because the queue was full or the writer had stopped.
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }
}

/// What the writer needs: the store's file, the audit trail, and what a certificate names.
#[derive(Clone)]
pub struct WriterConfig {
    /// production.db
    pub path: PathBuf,
    pub audit: Option<AuditSink>,
    pub site: String,
    /// The site's production configuration: the wells' labels and inflow models for the view's summaries
    /// and the certificates (None: a bare store, as in tests).
    pub production: Option<Arc<ProductionConfig>>,
    /// The historian and the tags it names, for the test window's charts on a certificate.
    pub history: Option<(PathBuf, Arc<crate::tag::TagDirectory>)>,
}

/// The running writer thread.
pub struct ProductionWriter {
    thread: Option<JoinHandle<()>>,
    /// Dropped to stop the thread (a port's sender cannot be: the console holds clones).
    stop: Option<Sender<()>>,
}

impl ProductionWriter {
    /// Opens the store, publishes the first view and starts the writer thread. A store that cannot be opened
    /// is an error: the console then runs without well test records and says so.
    pub fn start(cfg: WriterConfig) -> Result<(Self, ProductionPort), ProductionError> {
        let store = ProductionStore::open(&cfg.path)?;
        let (tx, rx) = bounded(QUEUE);
        let (stop_tx, stop_rx) = bounded::<()>(1);
        let view = ProductionView::cell();
        let port = ProductionPort {
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
            results: VecDeque::new(),
            published: 0,
            record_errors: 0,
            problem: None,
            unwritten: VecDeque::new(),
        };
        writer.publish();
        let thread = std::thread::Builder::new()
            .name("production-writer".into())
            .spawn(move || writer.run(&rx, &stop_rx))
            .map_err(|e| ProductionError::Store(format!("the production writer thread could not start: {e}")))?;
        Ok((
            Self {
                thread: Some(thread),
                stop: Some(stop_tx),
            },
            port,
        ))
    }

    /// Handles what is queued and stops (the hub has stopped first).
    pub fn stop(mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take()
            && t.join().is_err()
        {
            tracing::error!("production writer panicked");
        }
    }
}

/// The writer thread's state.
struct Writer {
    store: ProductionStore,
    cfg: WriterConfig,
    view: ProductionViewCell,
    results: VecDeque<(u64, Result<String, String>)>,
    /// Views published so far (`ProductionView::version`).
    published: u64,
    record_errors: u64,
    problem: Option<String>,
    /// Tests the store could not write (busy, disk full), tried again at each poll: a test took hours.
    unwritten: VecDeque<Measured>,
    /// The store's `data_version` when last looked at: it changes when another process commits.
    version: Option<i64>,
}

impl Writer {
    fn run(mut self, rx: &Receiver<ProductionMsg>, stop: &Receiver<()>) {
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
                self.retry_unwritten();
                for m in &self.unwritten {
                    tracing::error!(well = %m.well, start = %m.start.to_rfc3339(), "well test lost at stop: the production records could not be written");
                }
                self.publish();
                return;
            }
            if polled.elapsed() >= POLL {
                polled = Instant::now();
                changed |= self.committed_elsewhere();
                changed |= self.retry_unwritten();
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
                tracing::warn!(error = %e, "production records: data version not read");
                false
            }
        }
    }

    fn handle(&mut self, msg: ProductionMsg) {
        match msg {
            ProductionMsg::Request { id, actor, req } => {
                let audit = self.cfg.audit.as_ref();
                let answer = command::apply(&mut self.store, &actor, &req, Timestamp::now(), audit);
                self.answer(id, answer);
            }
            ProductionMsg::Measured(m) => self.record(&m),
            ProductionMsg::ExportPdf {
                id,
                by,
                test,
                path,
                lang,
                units,
            } => {
                let answer = self.export_pdf(&by, test, &path, lang, units);
                if let Some(a) = &self.cfg.audit {
                    a.record(export::audit_entry(
                        &self.store,
                        &by,
                        test,
                        &path,
                        &answer,
                        Timestamp::now(),
                    ));
                }
                self.answer(id, answer);
            }
        }
    }

    fn answer(&mut self, id: u64, answer: Result<String, ProductionError>) {
        if self.results.len() >= MAX_RESULTS {
            self.results.pop_front();
        }
        self.results.push_back((id, answer.map_err(|e| e.to_string())));
    }

    /// A measured test from the service. A store that cannot write is the view's problem until a write
    /// succeeds again, and the test waits to be written (`retry_unwritten`); a test the store refuses as
    /// invalid is counted and logged.
    fn record(&mut self, m: &Measured) {
        match self.store.insert_measured(m) {
            Ok(id) => {
                if self.problem.take().is_some() {
                    tracing::info!("production records written again");
                }
                tracing::debug!(id, well = %m.well, "well test recorded");
            }
            Err(e) => {
                self.record_errors += 1;
                // Said at 1, 2, 4, 8 … errors.
                if self.record_errors.is_power_of_two() {
                    tracing::warn!(error = %e, errors = self.record_errors, well = %m.well, "well test not recorded");
                }
                if matches!(e, ProductionError::Store(_)) {
                    self.problem = Some(e.to_string());
                    if self.unwritten.len() >= MAX_UNWRITTEN {
                        self.unwritten.pop_front();
                    }
                    self.unwritten.push_back(m.clone());
                }
            }
        }
    }

    /// Writes the tests a busy or failing store left; true when one was written.
    fn retry_unwritten(&mut self) -> bool {
        let waiting = std::mem::take(&mut self.unwritten);
        let before = waiting.len();
        for m in &waiting {
            self.record(m);
        }
        self.unwritten.len() < before
    }

    /// The certificate of `test` to the new file `path` (`export::write_pdf`: who may, and where).
    fn export_pdf(
        &self,
        by: &Actor,
        test: i64,
        path: &Path,
        lang: Lang,
        units: UnitSystem,
    ) -> Result<String, ProductionError> {
        let src = CertificateSources {
            site: &self.cfg.site,
            production: self.cfg.production.as_deref(),
            history: self.cfg.history.as_ref().map(|(h, tags)| (h.as_path(), &**tags)),
        };
        export::write_pdf(&self.store, &self.cfg.path, &src, by, test, path, lang, units)
    }

    /// Rebuilds the view from the store and swaps it in; a store that cannot be read keeps the last view,
    /// with the problem and the newest answers.
    fn publish(&mut self) {
        self.published += 1;
        let view = match view::build(
            &self.store,
            self.cfg.production.as_deref(),
            self.results.clone(),
            self.published,
        ) {
            Ok(mut v) => {
                v.problem = self.problem.clone();
                v
            }
            Err(e) => {
                tracing::warn!(error = %e, "production records not read; the console shows the last view");
                let mut v = ProductionView::clone(&self.view.load_full());
                v.results = self.results.clone();
                v.version = self.published;
                v.problem = Some(e.to_string());
                v
            }
        };
        self.view.store(Arc::new(view));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Role;
    use crate::production::model::TestStatus;
    use crate::production::store::sample;

    struct Bench {
        dir: tempfile::TempDir,
        writer: ProductionWriter,
        port: ProductionPort,
        audited: crossbeam_channel::Receiver<AuditEntry>,
    }

    fn db(dir: &tempfile::TempDir) -> PathBuf {
        dir.path().join("records").join("production.db")
    }

    fn bench() -> Bench {
        let dir = tempfile::tempdir().unwrap();
        let (sink, audited) = AuditSink::channel(256);
        let cfg = WriterConfig {
            path: db(&dir),
            audit: Some(sink),
            site: "Campo Norte".into(),
            production: None,
            history: None,
        };
        let (writer, port) = ProductionWriter::start(cfg).unwrap();
        Bench {
            dir,
            writer,
            port,
            audited,
        }
    }

    /// The view once `ready` says so; fails after 10 s.
    fn wait_for(port: &ProductionPort, ready: impl Fn(&ProductionView) -> bool) -> Arc<ProductionView> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let v = port.view.load_full();
            if ready(&v) {
                return v;
            }
            assert!(Instant::now() < deadline, "the view did not come: {v:?}");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn answer(port: &ProductionPort, id: u64) -> Result<String, String> {
        wait_for(port, |v| v.result(id).is_some()).result(id).cloned().unwrap()
    }

    #[test]
    fn a_measured_test_lands_once_and_a_request_round_trips_to_the_view() {
        let b = bench();
        assert!(b.port.measured(sample("esp01", 0)));
        assert!(b.port.measured(sample("esp01", 0)), "a resend");
        let v = wait_for(&b.port, |v| !v.tests.is_empty());
        let id = v.tests[0].id;
        assert_eq!(v.tests[0].status, TestStatus::Pending);

        let sign = b
            .port
            .request(Actor::new("otto", Role::Operator), ProductionRequest::SignTester { id })
            .unwrap();
        let approve = ProductionRequest::Approve {
            id,
            note: "good test".into(),
        };
        let approved = b.port.request(Actor::new("eve", Role::Engineer), approve).unwrap();
        assert_ne!(sign, approved);
        assert_eq!(
            answer(&b.port, sign),
            Ok("Well test 1 (esp01) signed by otto as its tester.".into())
        );
        let said = answer(&b.port, approved).unwrap();
        assert!(said.contains("approved"), "{said}");
        let v = b.port.view.load_full();
        assert_eq!(v.tests.len(), 1, "the resend is the same test");
        let t = &v.tests[0];
        assert_eq!(
            (
                t.status,
                t.tested_by.as_deref(),
                t.decided_by.as_deref(),
                t.note.as_str()
            ),
            (TestStatus::Approved, Some("otto"), Some("eve"), "good test")
        );
        let actions: Vec<(String, bool)> = b.audited.try_iter().map(|a| (a.action, a.allowed)).collect();
        assert_eq!(
            actions,
            [
                ("well_test.sign".to_owned(), true),
                ("well_test.approve".to_owned(), true)
            ]
        );

        // A refused request is answered with the reason.
        let refused = b
            .port
            .request(Actor::new("vic", Role::Viewer), ProductionRequest::SignTester { id })
            .unwrap();
        assert!(answer(&b.port, refused).unwrap_err().contains("may not"));
        b.writer.stop();
        let s = ProductionStore::open(&db(&b.dir)).unwrap();
        assert_eq!(s.get(id).unwrap().status, TestStatus::Approved);
    }

    #[test]
    fn stop_handles_what_is_queued() {
        let b = bench();
        for i in 0..20 {
            assert!(b.port.measured(sample("esp02", i * 20_000)));
        }
        b.writer.stop();
        assert_eq!(ProductionStore::open(&db(&b.dir)).unwrap().count().unwrap(), 20);
        assert!(!b.port.measured(sample("esp02", -20_000)), "refused once stopped");
        assert_eq!(b.port.refused(), 1);
    }

    #[test]
    fn a_commit_by_the_command_line_reaches_the_view() {
        let b = bench();
        let first = b.port.view.load_full().version;
        let mut cli = ProductionStore::open(&db(&b.dir)).unwrap();
        let id = cli.insert_measured(&sample("esp03", 0)).unwrap();
        let v = wait_for(&b.port, |v| v.test(id).is_some());
        assert!(v.version > first);
        b.writer.stop();
    }

    #[test]
    fn a_full_queue_refuses_without_waiting_and_audits_the_refusal() {
        // A writer that never reads: its one place is taken by the first message.
        let (tx, _rx) = bounded(1);
        let (sink, audited) = AuditSink::channel(16);
        let port = ProductionPort {
            tx,
            next: Arc::new(AtomicU64::new(0)),
            view: ProductionView::cell(),
            refused: Arc::new(AtomicU64::new(0)),
            audit: Some(sink),
        };
        // A send that waited on the full queue (nobody reads it) would hang this test: returning is the proof.
        assert!(port.measured(sample("esp01", 0)));
        assert!(!port.measured(sample("esp01", 20_000)));
        let otto = Actor::new("otto", Role::Operator);
        assert_eq!(
            port.request(otto.clone(), ProductionRequest::SignTester { id: 4 }),
            None
        );
        let path = PathBuf::from("/tmp/test-4.pdf");
        assert_eq!(port.export_pdf(otto, 4, path, Lang::En, UnitSystem::Oilfield), None);
        assert_eq!(port.refused(), 3);
        let a: Vec<AuditEntry> = audited.try_iter().collect();
        let seen: Vec<(&str, &str, bool)> = a
            .iter()
            .map(|e| (e.action.as_str(), e.target.as_str(), e.allowed))
            .collect();
        assert_eq!(seen, [("well_test.sign", "test 4", false), (EXPORT, "test 4", false)]);
        assert!(a[0].detail.contains("busy"), "{}", a[0].detail);
    }

    #[test]
    fn a_certificate_is_refused_to_a_viewer_into_the_records_or_not_as_a_pdf() {
        let b = bench();
        assert!(b.port.measured(sample("esp01", 0)));
        wait_for(&b.port, |v| !v.tests.is_empty());
        let records = db(&b.dir).parent().unwrap().to_path_buf();
        let cases = [
            (Role::Viewer, b.dir.path().join("cert.pdf"), "may not"),
            (Role::Engineer, records.join("cert.pdf"), "records' folder"),
            (Role::Engineer, b.dir.path().join("cert.txt"), ".pdf"),
        ];
        for (role, path, why) in cases {
            let id = b
                .port
                .export_pdf(Actor::new("pat", role), 1, path.clone(), Lang::Es, UnitSystem::Si)
                .unwrap();
            let e = answer(&b.port, id).unwrap_err();
            assert!(e.contains(why), "{e}");
            assert!(!path.exists());
            let a = b.audited.try_iter().last().unwrap();
            assert_eq!(
                (a.action.as_str(), a.target.as_str(), a.allowed),
                (EXPORT, "test 1 esp01", false)
            );
        }
        b.writer.stop();
    }
}
