//! Wiring: turns a loaded project into running threads (one per driver, one hub) and hands out the
//! two things the rest of the program needs: the snapshot cell to read and the command sender to write.

use crate::alarm::AlarmCommand;
use crate::alarm::journal::{JournalStats, JournalWriter};
use crate::alarm::{AlarmEngine, AlarmService, AlarmViewCell};
use crate::auth::audit::AuditWriter;
use crate::calculated::CalcService;
use crate::ctstring::command::CtCommand;
use crate::driver::modbus::ModbusDriver;
use crate::driver::mqtt::MqttDriver;
use crate::driver::opcua::OpcUaDriver;
use crate::driver::replay::{ReplayDriver, ReplayError, ReplayHandle, ReplaySource, ReplaySpec, SourceError, Stored};
use crate::driver::sim::SimDriver;
use crate::driver::{DriverLink, DriverStats, sample_channel};
use crate::historian::{Historian, HistorianConfig, HistorianStats, WriterTag};
use crate::hub::{
    Carries, CommandSender, DriverPort, Hub, HubCommand, ROUTINE_QUEUE, ServiceCommand, SnapshotCell, Subscriber,
    URGENT_QUEUE,
};
use crate::project::reload::{AlarmsAndTrips, NewSet, Screens};
use crate::project::watch::ProjectWatch;
use crate::project::{ConfigProblems, DriverKind, Origin, Project};
use crate::sim::ScheduledFault;
use crate::tag::{TagDirectory, Timestamp};
use crate::trip::store::TripStateWriter;
use crate::trip::{TripCommand, TripEngine, TripService, TripViewCell};
use crossbeam_channel::bounded;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

/// Batches a driver may have queued before its samples are folded into its overflow slot (newest value
/// per tag; the hub takes a backlog older than `HubTiming::coalesce_after` whole long before this fills).
const SAMPLE_QUEUE_BATCHES: usize = 256;
/// Commands queued per driver, and outcomes per driver back to the hub.
const COMMAND_QUEUE: usize = 256;

/// The commands of the services this console runs: what `HubCommand::Service` carries here. A new service
/// with commands of its own adds a variant and a `Carries` impl; the hub does not change.
#[derive(Debug, Clone, PartialEq)]
pub enum Service {
    Alarm(AlarmCommand),
    Trip(TripCommand),
    /// A cut or import on a CT string's record.
    CtString(CtCommand),
}

impl ServiceCommand for Service {
    fn urgent(&self) -> bool {
        matches!(self, Service::Trip(c) if c.urgent())
    }
}

impl Carries<AlarmCommand> for Service {
    fn carried(&self) -> Option<&AlarmCommand> {
        match self {
            Service::Alarm(c) => Some(c),
            Service::Trip(_) | Service::CtString(_) => None,
        }
    }
}

impl Carries<TripCommand> for Service {
    fn carried(&self) -> Option<&TripCommand> {
        match self {
            Service::Trip(c) => Some(c),
            Service::Alarm(_) | Service::CtString(_) => None,
        }
    }
}

impl Carries<CtCommand> for Service {
    fn carried(&self) -> Option<&CtCommand> {
        match self {
            Service::CtString(c) => Some(c),
            Service::Alarm(_) | Service::Trip(_) => None,
        }
    }
}

impl From<AlarmCommand> for Service {
    fn from(c: AlarmCommand) -> Self {
        Service::Alarm(c)
    }
}

impl From<TripCommand> for Service {
    fn from(c: TripCommand) -> Self {
        Service::Trip(c)
    }
}

impl From<CtCommand> for Service {
    fn from(c: CtCommand) -> Self {
        Service::CtString(c)
    }
}

/// What the console sends the hub.
pub type Command = HubCommand<Service>;
/// The console's end of the hub's command lanes.
pub type Commands = CommandSender<Service>;

#[derive(Debug, Clone, Default)]
pub struct RuntimeOptions {
    /// Overrides every simulator's speed (times real time).
    pub speed: Option<f64>,
    /// Faults for the simulator drivers, at plant times.
    pub faults: Vec<ScheduledFault>,
    /// Keep history in this database (`None`: no historian, e.g. tests that do not need one).
    pub history: Option<PathBuf>,
    /// Journal alarms (and keep their state across restarts) in this database (`None`: not kept).
    pub alarm_journal: Option<PathBuf>,
    /// Keep the CT strings' fatigue, running feet and cuts in this database (`None`: kept in memory only,
    /// e.g. tests that do not restart).
    pub ct_records: Option<PathBuf>,
    /// Keep the CT jobs (operations logs, fluids, BHA, tickets) in this database (`None`: no job record,
    /// e.g. tests that do not need one).
    pub job_records: Option<PathBuf>,
    /// Keep the well tests in this database (`None`: tests are measured and shown live but not kept, e.g.
    /// tests that do not need them).
    pub production_records: Option<PathBuf>,
    /// The site's logins, when it has users: a ticket signature is confirmed against them.
    pub users: Option<crate::auth::users::UserStoreConfig>,
    /// The audit trail operator actions are recorded in (`None`: not recorded, e.g. tests).
    pub audit: Option<crate::auth::audit::AuditTrail>,
    /// A command-line write to this tag (`wellconsole write`): only the tag's own driver runs, beside the
    /// site's console. No trips or alarms are judged (a second safety system on the same plant would trip
    /// on its own and drive latched outputs again), no file is watched, and an MQTT driver connects as a
    /// client of its own without speaking for the site's Sparkplug host.
    pub write_only: Option<crate::tag::TagId>,
    /// Replay this window of history in the place of the site's drivers (`wellconsole replay`): no driver
    /// starts (nothing touches the network), no write leaves, and nothing is written about the plant (no
    /// history, alarm journal, trip state or CT records: those files are the real job's). The audit trail
    /// still records people's acts.
    pub replay: Option<ReplaySpec>,
    /// The read-only HTTP API's token store and the key its rows are sealed with (`None`: no API is served
    /// even when the site has `[api]`, e.g. tests that do not need one).
    pub api_tokens: Option<(PathBuf, Arc<crate::records::SiteKey>)>,
}

/// The running alarm system, for the console.
#[derive(Clone)]
pub struct AlarmHandle {
    pub view: AlarmViewCell,
    /// Problems in edited alarm files (the running set is the last good one).
    pub problems: ConfigProblems,
    pub journal: Option<PathBuf>,
    pub journal_stats: Option<Arc<JournalStats>>,
}

/// The running historian, for the console's status line and trend queries.
#[derive(Clone)]
pub struct HistoryHandle {
    pub path: PathBuf,
    pub stats: Arc<HistorianStats>,
}

#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error("could not start thread '{name}': {source}")]
    Spawn { name: String, source: std::io::Error },
    #[error("speed {0} is out of range: use a number greater than 0 and at most 1000")]
    BadSpeed(f64),
    #[error(transparent)]
    History(#[from] crate::historian::store::StoreError),
    #[error(transparent)]
    Journal(#[from] crate::alarm::journal::JournalError),
    #[error(transparent)]
    Audit(#[from] crate::auth::audit::AuditError),
    #[error("trip state {path}: {source}")]
    TripState { path: PathBuf, source: rusqlite::Error },
    #[error(transparent)]
    Replay(#[from] ReplayError),
}

pub struct Runtime {
    pub project: Arc<Project>,
    pub snapshot: SnapshotCell,
    pub commands: Commands,
    pub history: Option<HistoryHandle>,
    pub alarms: AlarmHandle,
    /// Trips and E-stops, for the console.
    pub trips: TripViewCell,
    /// The screens on display (swapped by the screen watcher when files change).
    pub screens: crate::screen::ScreenCell,
    /// Problems in edited screen or symbol files (the screens shown are the last good ones).
    pub screen_problems: ConfigProblems,
    /// The CT strings' engineering, for the console's CT string page (`None`: no `[ct.<unit>]`).
    pub ct_strings: Option<crate::ctstring::CtStringViewCell>,
    /// The replay playing in the place of the drivers: its controls and status (`None`: live).
    pub replay: Option<ReplayHandle>,
    ct_store: Option<crate::ctstring::store::StoreWriter>,
    /// The CT jobs, for the console's Jobs page (`None`: no `[ct.<unit>]`, or no job records kept).
    pub jobs: Option<crate::job::JobPort>,
    job_writer: Option<crate::job::writer::JobWriter>,
    /// The well tests, for the console's Production page (`None`: no `[production]`, or no records kept).
    pub production: Option<crate::production::ProductionPort>,
    production_writer: Option<crate::production::ProductionWriter>,
    /// Decline fits on demand, off the UI thread (`None`: no `[production]`).
    pub decline: Option<Arc<crate::production::decline::DeclineWorker>>,
    /// Forwarding to the central store (`[forward]`), for the status bar and Drivers page (`None`: off).
    pub forward: Option<Arc<crate::forward::ForwardStats>>,
    forwarder: Option<crate::forward::Forwarder>,
    /// The read-only HTTP API (`[api]`), when it serves.
    pub api: Option<crate::api::ApiServer>,
    /// The link alarm actions are shared with the site's other consoles through (`[share]`), for the
    /// Drivers page (`None`: not shared).
    pub share: Option<Arc<crate::share::ShareStats>>,
    sharer: Option<crate::share::Sharer>,
    edge: Option<crate::share::EdgePublisher>,
    historian: Option<Historian>,
    journal: Option<JournalWriter>,
    trip_state: Option<TripStateWriter>,
    audit: Option<AuditWriter>,
    shutdown: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl Runtime {
    /// Starts drivers and hub. `notify` is called after each snapshot publication (UI repaint).
    pub fn start(
        project: Project,
        opts: RuntimeOptions,
        subscribers: Vec<Box<dyn Subscriber<Service>>>,
        notify: Option<Arc<dyn Fn() + Send + Sync>>,
    ) -> Result<Self, RuntimeError> {
        let opts = replay_options(opts)?;
        if let Some(s) = opts.speed
            && !(s.is_finite() && s > 0.0 && s <= 1_000.0)
        {
            return Err(RuntimeError::BadSpeed(s));
        }
        let project = Arc::new(project);
        let directory: Arc<TagDirectory> = project.site.tags.clone();
        let shutdown = Arc::new(AtomicBool::new(false));
        let mut threads = Vec::new();
        let only_driver = opts.write_only.and_then(|t| directory.get(t)).map(|t| t.driver);
        let Wired {
            ports,
            starts,
            calc_link,
            ct_link,
            job_link,
            production_link,
        } = wire_drivers(&project, &directory, &shutdown, only_driver);
        let (historian, history) = start_historian(&project, &directory, &opts)?;
        let (historian, feed) = historian.unzip();
        let mut engine = AlarmEngine::new(project.alarms.clone());
        let (journal, journal_tx) = match &opts.alarm_journal {
            Some(path) => {
                let (writer, tx, saved) = JournalWriter::start(path)?;
                engine.restore(saved);
                (Some(writer), Some(tx))
            }
            None => (None, None),
        };
        let (mut service, share) = alarm_service(AlarmService::new(engine, journal_tx), &project, &opts);
        let (audit, audit_tx) = match &opts.audit {
            Some(trail) => {
                let (writer, tx) = AuditWriter::start(trail)?;
                service = service.with_audit(tx.clone());
                (Some(writer), Some(tx))
            }
            None => (None, None),
        };
        let mut trip_engine = TripEngine::new(project.trips.clone());
        let trip_state = match &opts.alarm_journal {
            Some(path) => {
                let (writer, tx, saved) = TripStateWriter::start(path).map_err(|source| RuntimeError::TripState {
                    path: path.clone(),
                    source,
                })?;
                trip_engine.restore(saved, Timestamp::now());
                Some((writer, tx))
            }
            None => None,
        };
        let (trip_state, trip_state_tx) = trip_state.unzip();
        let mut trips = TripService::new(trip_engine);
        if let Some(tx) = trip_state_tx {
            trips = trips.with_store(tx);
        }
        let (cmd_tx, lanes) = crate::hub::command_lanes(ROUTINE_QUEUE, URGENT_QUEUE);
        let mut hub: Hub<Service> = Hub::new(directory.clone(), ports, lanes);
        // In replay the trips are judged on recorded data: a sandbox, kept out of the site's trail (a job's
        // ticket counts the trips it finds there).
        if let Some(tx) = audit_tx.as_ref().filter(|_| opts.replay.is_none()) {
            trips = trips.with_audit(tx.clone());
        }
        if let Some(tx) = &audit_tx {
            hub.set_audit(tx.clone());
        }
        let trip_view = trips.view_cell();
        let alarms = AlarmHandle {
            view: service.view_cell(),
            problems: Arc::new(arc_swap::ArcSwap::from_pointee(Vec::new())),
            journal: opts.alarm_journal.clone(),
            journal_stats: journal.as_ref().map(JournalWriter::stats),
        };
        // Trips first, then alarms: a sample is judged by the safety logic before anything else sees it.
        if opts.write_only.is_none() {
            hub.subscribe(Box::new(trips));
            hub.subscribe(Box::new(service));
        }
        if let Some(feed) = feed {
            hub.subscribe(Box::new(feed));
        }
        if let Some(link) = calc_link.filter(|_| opts.write_only.is_none()) {
            hub.derive(Box::new(CalcService::new(project.site.calculated.clone(), link)));
        }
        // After the calculated tags: the string's engineering may read them, they never read its tags.
        let (ct_strings, ct_store) = match ct_link {
            Some(link) if opts.write_only.is_none() => {
                let (views, writer) = start_ct_strings(&mut hub, &project, link, &opts, audit_tx.as_ref());
                (Some(views), writer)
            }
            _ => (None, None),
        };
        let (jobs, job_writer, mut replayed_links) = wire_jobs(&mut hub, &project, job_link, &opts, audit_tx.as_ref());
        let production = wire_production(&mut hub, &project, production_link, &opts, audit_tx.as_ref());
        replayed_links.extend(production.replayed);
        for s in subscribers {
            hub.subscribe(s);
        }
        if let Some(n) = notify {
            hub.set_notifier(n);
        }
        let snapshot = hub.snapshot_cell();
        let s = shutdown.clone();
        threads.push(spawn("hub", move || hub.run(s))?);
        let screens: crate::screen::ScreenCell = Arc::new(arc_swap::ArcSwap::new(project.screens.clone()));
        let screen_problems: ConfigProblems = Arc::new(arc_swap::ArcSwap::from_pointee(Vec::new()));
        if let Origin::Directory(root) = &project.files.origin
            && root.join("site.toml").is_file()
            && opts.write_only.is_none()
        {
            let problems = (screen_problems.clone(), alarms.problems.clone());
            let watch = watch_project(root, &project, &screens, problems, cmd_tx.clone());
            let t = watch.spawn(shutdown.clone()).map_err(|source| RuntimeError::Spawn {
                name: "project-watch".into(),
                source,
            })?;
            threads.push(t);
        }
        let replay = match &opts.replay {
            Some(spec) => {
                let links = starts.into_iter().map(|(_, link)| link).chain(replayed_links).collect();
                let (thread, handle) = start_replay(spec, &directory, links, &shutdown)?;
                threads.push(thread);
                Some(handle)
            }
            None => {
                for (d, link) in starts {
                    threads.extend(start_driver(d, link, &opts)?);
                }
                None
            }
        };
        let forwarder = start_forwarder(&project, &opts);
        let sharer = share.and_then(|(cfg, rx)| start_sharer(cfg, rx, &cmd_tx, &trip_view));
        Ok(Self {
            edge: start_edge(&project, &opts, &snapshot),
            api: start_api(&project, &opts, &snapshot, &alarms),
            share: sharer.as_ref().map(crate::share::Sharer::stats),
            sharer,
            forward: forwarder.as_ref().map(crate::forward::Forwarder::stats),
            forwarder,
            project,
            snapshot,
            commands: cmd_tx,
            history,
            alarms,
            trips: trip_view,
            screens,
            screen_problems,
            ct_strings,
            replay,
            ct_store,
            jobs,
            job_writer,
            production: production.port,
            production_writer: production.writer,
            decline: production.decline,
            historian,
            journal,
            trip_state,
            audit,
            shutdown,
            threads,
        })
    }

    /// Stops every thread and waits for them (the record writers within their deadlines); what the
    /// historian did with what it was given, when it ran.
    pub fn shutdown(mut self) -> Option<crate::historian::HistoryReport> {
        self.stop_and_join()
    }

    fn stop_and_join(&mut self) -> Option<crate::historian::HistoryReport> {
        self.shutdown.store(true, Ordering::Relaxed);
        if let Some(a) = self.api.take() {
            a.stop();
        }
        if let Some(s) = self.sharer.take() {
            s.stop();
        }
        if let Some(e) = self.edge.take() {
            e.stop();
        }
        // What it has not sent stays queued in the local files for the next run.
        if let Some(mut f) = self.forwarder.take() {
            f.stop_within(std::time::Duration::from_secs(3));
        }
        for t in self.threads.drain(..) {
            if t.join().is_err() {
                tracing::error!("a runtime thread panicked");
            }
        }
        // After the hub: everything it handed over is stored before the writer commits and exits.
        let history = self.historian.take().map(|h| {
            let r = h.stop();
            if r.samples_not_stored > 0 {
                tracing::warn!(
                    stored = r.samples_stored,
                    not_stored = r.samples_not_stored,
                    dropped_at_queue = r.samples_dropped,
                    lost_by_writer = r.samples_lost,
                    "history was not complete this run"
                );
            }
            r
        });
        // The hub (and with it the journal's sender) is gone: the writer commits what is queued and exits.
        if let Some(j) = self.journal.take() {
            j.stop();
        }
        if let Some(t) = self.trip_state.take() {
            t.stop();
        }
        if let Some(w) = self.ct_store.take()
            && let Err(e) = w.shutdown(std::time::Instant::now() + std::time::Duration::from_secs(3))
        {
            tracing::error!(error = %e, "CT string records: not all saved at shutdown");
        }
        if let Some(j) = self.job_writer.take() {
            j.stop();
        }
        if let Some(p) = self.production_writer.take() {
            p.stop();
        }
        if let Some(a) = self.audit.take() {
            a.stop();
        }
        history
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        let _ = self.stop_and_join();
    }
}

/// The historian's writer and its handle for the console, when the run keeps history.
// (The writer with its feed, and the handle: two optional halves the caller takes apart.)
#[allow(clippy::type_complexity)]
fn start_historian(
    project: &Project,
    directory: &Arc<TagDirectory>,
    opts: &RuntimeOptions,
) -> Result<
    (
        Option<(Historian, crate::historian::HistorianFeed)>,
        Option<HistoryHandle>,
    ),
    RuntimeError,
> {
    Ok(match &opts.history {
        Some(path) => {
            let cfg = HistorianConfig {
                commit_every: project.site.historian.commit_every,
                retention: project.site.historian.retention.clone(),
                forward: forwards(project, opts),
                ..HistorianConfig::new(path.clone())
            };
            let (h, feed) = Historian::start(cfg, WriterTag::from_directory(directory))?;
            let handle = HistoryHandle {
                path: path.clone(),
                stats: h.stats(),
            };
            (Some((h, feed)), Some(handle))
        }
        None => (None, None),
    })
}

/// Whether this run forwards to a central store: the site has one, history is kept (it is the buffer),
/// and the run is the site's console (not a replay or a one-off write).
fn forwards(project: &Project, opts: &RuntimeOptions) -> bool {
    project.site.forward.is_some() && opts.history.is_some() && opts.replay.is_none() && opts.write_only.is_none()
}

/// Alarm actions from this console's people waiting for the share link: more than people make in minutes.
const SHARE_QUEUE: usize = 1_024;

/// The alarm service, handing its people's actions to the share link when the site shares alarms
/// (`[share]`); not in a replay or a command-line write, which are not the site's console.
fn alarm_service(
    service: AlarmService,
    project: &Project,
    opts: &RuntimeOptions,
) -> (
    AlarmService,
    Option<(
        crate::project::site::ShareConfig,
        tokio::sync::mpsc::Receiver<crate::alarm::engine::RemoteAction>,
    )>,
) {
    match project.site.share.clone() {
        Some(cfg) if opts.replay.is_none() && opts.write_only.is_none() => {
            let (tx, rx) = tokio::sync::mpsc::channel(SHARE_QUEUE);
            (service.with_share(tx), Some((cfg, rx)))
        }
        _ => (service, None),
    }
}

/// This console's tags as a Sparkplug B edge node (`[share] edge`), when the site asks for it and this run is
/// the site's console. One that cannot start leaves the rest running, said in the log.
fn start_edge(
    project: &Project,
    opts: &RuntimeOptions,
    snapshot: &SnapshotCell,
) -> Option<crate::share::EdgePublisher> {
    let share = project.site.share.as_ref()?;
    let edge = share.edge.clone()?;
    if opts.replay.is_some() || opts.write_only.is_some() {
        return None;
    }
    match crate::share::EdgePublisher::start(share, edge, snapshot.clone()) {
        Ok(e) => Some(e),
        Err(e) => {
            tracing::error!(error = %e, "this console's tags are not republished");
            None
        }
    }
}

/// The share link (`[share]`): this console's people's alarm actions out, the others' in as hub commands
/// that never wait. One that cannot start (the secret's variable unset) leaves alarms local, said in the log.
fn start_sharer(
    cfg: crate::project::site::ShareConfig,
    actions: tokio::sync::mpsc::Receiver<crate::alarm::engine::RemoteAction>,
    commands: &Commands,
    trips: &TripViewCell,
) -> Option<crate::share::Sharer> {
    let commands = commands.clone();
    let deliver: Box<dyn Fn(crate::alarm::engine::RemoteAction) -> bool + Send> = Box::new(move |a| {
        commands
            .try_send(HubCommand::Service(Service::Alarm(AlarmCommand::Remote(a))))
            .is_ok()
    });
    match crate::share::Sharer::start(cfg, actions, deliver, Some(trips.clone())) {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::error!(error = %e, "alarms are not shared with the site's other consoles");
            None
        }
    }
}

/// The read-only HTTP API, when the site has `[api]` and this run is the site's console (not a replay or a
/// command-line write). One that cannot start (the port taken, the token store unreadable) leaves the
/// console running without it, said in the log.
fn start_api(
    project: &Project,
    opts: &RuntimeOptions,
    snapshot: &SnapshotCell,
    alarms: &AlarmHandle,
) -> Option<crate::api::ApiServer> {
    let cfg = project.site.api.as_ref()?;
    if opts.replay.is_some() || opts.write_only.is_some() {
        return None;
    }
    let Some((tokens, key)) = opts.api_tokens.clone() else {
        tracing::warn!("[api] is set but this run keeps no records: the API is not served");
        return None;
    };
    let jobs = opts.job_records.clone().map(|path| {
        Arc::new(crate::job::writer::WriterConfig {
            path,
            catalog: crate::job::catalog::Catalog::from_project(project),
            audit: None,
            users: None,
            site: project.site.name.clone(),
            history: opts.history.clone(),
            journal: opts.alarm_journal.clone(),
            unit_tags: crate::job::writer::unit_tags(project),
            audit_db: opts.audit.as_ref().map(|a| a.path.clone()),
        })
    });
    let sources = crate::api::Sources {
        site: project.site.name.clone(),
        snapshot: snapshot.clone(),
        alarms: alarms.view.clone(),
        history: opts.history.clone(),
        journal: opts.alarm_journal.clone(),
        audit: opts.audit.as_ref().map(|a| a.path.clone()),
        jobs,
        production: opts.production_records.clone(),
        tokens,
        key,
    };
    match crate::api::ApiServer::start(cfg, sources) {
        Ok(a) => Some(a),
        Err(e) => {
            tracing::error!(error = %e, "the read-only HTTP API could not start; the console runs without it");
            None
        }
    }
}

/// The forwarder, when this run forwards. One that cannot start leaves history kept locally, said in the log.
fn start_forwarder(project: &Project, opts: &RuntimeOptions) -> Option<crate::forward::Forwarder> {
    if !forwards(project, opts) {
        if project.site.forward.is_some() && opts.history.is_none() && opts.replay.is_none() {
            tracing::warn!("[forward] is set but this run keeps no history: nothing is forwarded");
        }
        return None;
    }
    let cfg = project.site.forward.clone()?;
    let sources = crate::forward::Sources {
        history: opts.history.clone()?,
        journal: opts.alarm_journal.clone(),
        audit: opts.audit.as_ref().map(|a| a.path.clone()),
        jobs: opts.job_records.clone(),
        well_tests: opts.production_records.clone(),
        site: project.site.name.clone(),
    };
    match crate::forward::Forwarder::start(cfg, sources) {
        Ok(f) => Some(f),
        Err(e) => {
            tracing::error!(error = %e, "forwarding to the central database could not start; history is kept locally");
            None
        }
    }
}

/// The production room's parts a run holds.
#[derive(Default)]
struct ProductionParts {
    port: Option<crate::production::ProductionPort>,
    writer: Option<crate::production::ProductionWriter>,
    decline: Option<Arc<crate::production::decline::DeclineWorker>>,
    /// In replay, the production driver's link for the replay (its tags come from history).
    replayed: Option<DriverLink>,
}

/// The well tests' writer (production.db), the production service on `hub` and the decline worker. Records
/// that cannot be opened leave the tests unrecorded (the service still runs and shows them live), said in the
/// log: never the console, its alarms and E-stops.
fn wire_production(
    hub: &mut Hub<Service>,
    project: &Project,
    link: Option<DriverLink>,
    opts: &RuntimeOptions,
    audit: Option<&crate::auth::audit::AuditSink>,
) -> ProductionParts {
    let (Some(link), Some(cfg)) = (link, project.site.production.clone()) else {
        return ProductionParts::default();
    };
    if opts.replay.is_some() {
        return ProductionParts {
            replayed: Some(link),
            ..ProductionParts::default()
        };
    }
    if opts.write_only.is_some() {
        return ProductionParts::default();
    }
    let history = opts.history.clone().map(|h| (h, project.site.tags.clone()));
    let (port, writer) = match &opts.production_records {
        Some(path) => {
            let wcfg = crate::production::writer::WriterConfig {
                path: path.clone(),
                audit: audit.cloned(),
                site: project.site.name.clone(),
                production: Some(cfg.clone()),
                history: history.clone(),
            };
            match crate::production::ProductionWriter::start(wcfg) {
                Ok((writer, port)) => (Some(port), Some(writer)),
                Err(e) => {
                    tracing::error!(error = %e, "well test records cannot be opened: tests are shown, not kept");
                    (None, None)
                }
            }
        }
        None => (None, None),
    };
    let time_scale = plant_time_scale(project, cfg.separator.oil_rate, opts);
    hub.derive(Box::new(crate::production::service::ProductionService::new(
        cfg.clone(),
        link,
        port.clone(),
        time_scale,
    )));
    let view = port
        .as_ref()
        .map_or_else(crate::production::ProductionView::cell, |p| p.view.clone());
    let csv = cfg.wells.iter().map(|w| (w.id.clone(), w.history.clone())).collect();
    let decline = match crate::production::decline::DeclineWorker::start(cfg, csv, history, view) {
        Ok(w) => Some(Arc::new(w)),
        Err(e) => {
            tracing::error!(error = %e, "the decline worker did not start: decline fits are off");
            None
        }
    };
    ProductionParts {
        port,
        writer,
        decline,
        replayed: None,
    }
}

/// Plant seconds per second of a tag's timestamps: the simulator stamps its readings at the wall time it
/// reaches them, so at `--speed 12` twelve plant minutes pass in one stamped minute; any other driver is
/// the plant itself.
fn plant_time_scale(project: &Project, tag: crate::tag::TagId, opts: &RuntimeOptions) -> f64 {
    let driver = project.site.tags.get(tag).map(|d| d.driver);
    let sim = project
        .site
        .drivers
        .iter()
        .find(|d| Some(d.id) == driver)
        .and_then(|d| d.kind.as_sim());
    match sim {
        Some(sim) => opts.speed.unwrap_or(sim.speed),
        None => 1.0,
    }
}

/// The CT jobs on `hub`: their writer and service; in replay, the job driver's link for the replay (the job
/// tags come from history like the plant's: no job is detected or recorded again).
fn wire_jobs(
    hub: &mut Hub<Service>,
    project: &Project,
    link: Option<DriverLink>,
    opts: &RuntimeOptions,
    audit: Option<&crate::auth::audit::AuditSink>,
) -> (
    Option<crate::job::JobPort>,
    Option<crate::job::writer::JobWriter>,
    Vec<DriverLink>,
) {
    match link {
        Some(link) if opts.replay.is_some() => (None, None, vec![link]),
        Some(link) if opts.write_only.is_none() => {
            let (port, writer) = start_jobs(hub, project, link, opts, audit).unzip();
            (port, writer, Vec::new())
        }
        _ => (None, None, Vec::new()),
    }
}

/// The CT jobs' writer (jobs.db) and the job service on `hub`. A job record that cannot be opened leaves
/// the job record off, said in the log: never the console, its alarms and E-stops.
fn start_jobs(
    hub: &mut Hub<Service>,
    project: &Project,
    link: DriverLink,
    opts: &RuntimeOptions,
    audit: Option<&crate::auth::audit::AuditSink>,
) -> Option<(crate::job::JobPort, crate::job::writer::JobWriter)> {
    let path = opts.job_records.clone()?;
    let cfg = crate::job::writer::WriterConfig {
        path,
        catalog: crate::job::catalog::Catalog::from_project(project),
        audit: audit.cloned(),
        users: opts.users.clone(),
        site: project.site.name.clone(),
        history: opts.history.clone(),
        journal: opts.alarm_journal.clone(),
        unit_tags: crate::job::writer::unit_tags(project),
        audit_db: opts.audit.as_ref().map(|a| a.path.clone()),
    };
    match crate::job::writer::JobWriter::start(cfg) {
        Ok((writer, port)) => {
            hub.derive(Box::new(crate::job::JobService::new(
                &project.site.ct_units,
                link,
                port.clone(),
            )));
            Some((port, writer))
        }
        Err(e) => {
            tracing::error!(error = %e, "CT job records cannot be opened: the console runs without its job record");
            None
        }
    }
}

/// The CT strings' service, restored from the records, with the port people's cuts and imports come through
/// (a deriver takes no commands), both on `hub`; the views for the console and the records' writer. A
/// string that cannot be restored (records locked or from another string, a bad history) leaves the CT
/// string engineering off, said on its page and in the log: never the console, its alarms and E-stops.
fn start_ct_strings(
    hub: &mut Hub<Service>,
    project: &Project,
    link: DriverLink,
    opts: &RuntimeOptions,
    audit: Option<&crate::auth::audit::AuditSink>,
) -> (
    crate::ctstring::CtStringViewCell,
    Option<crate::ctstring::store::StoreWriter>,
) {
    let started = crate::ctstring::restore::start(&project.site.ct_units, link, opts.ct_records.as_deref());
    let (service, writer) = match started {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "CT string engineering is off");
            let views = crate::ctstring::CtStringViews {
                units: Vec::new(),
                problem: Some(e.to_string()),
            };
            return (Arc::new(arc_swap::ArcSwap::from_pointee(views)), None);
        }
    };
    let (port, inbox) = crate::ctstring::command::command_port();
    let (mut service, mut port) = (service.with_commands(inbox), port);
    if let Some(tx) = audit {
        service = service.with_audit(tx.clone());
        port = port.with_audit(tx.clone());
    }
    let views = service.view_cell();
    hub.derive(Box::new(service));
    hub.subscribe(Box::new(port));
    (views, writer)
}

/// Every driver's two ends: the hub's ports (one per driver, found by driver id), the links of the drivers
/// to start (all, or a command-line write's own), and the `calc` driver's link for the calculated tags.
struct Wired {
    ports: Vec<DriverPort>,
    starts: Vec<(crate::project::DriverConfig, DriverLink)>,
    calc_link: Option<DriverLink>,
    ct_link: Option<DriverLink>,
    job_link: Option<DriverLink>,
    production_link: Option<DriverLink>,
}

fn wire_drivers(
    project: &Project,
    directory: &Arc<TagDirectory>,
    shutdown: &Arc<AtomicBool>,
    only_driver: Option<crate::tag::DriverId>,
) -> Wired {
    let mut wired = Wired {
        ports: Vec::new(),
        starts: Vec::new(),
        calc_link: None,
        ct_link: None,
        job_link: None,
        production_link: None,
    };
    for d in &project.site.drivers {
        let (ctx, crx) = bounded(COMMAND_QUEUE);
        let (etx, erx) = bounded(COMMAND_QUEUE);
        let stats = Arc::new(if d.kind.polls() {
            DriverStats::polling()
        } else {
            DriverStats::default()
        });
        let (tx, rx) = sample_channel(d.id, SAMPLE_QUEUE_BATCHES, stats.clone());
        wired.ports.push(DriverPort {
            name: d.name.clone(),
            kind: d.kind.label(),
            samples: rx,
            commands: ctx,
            events: erx,
            stats: stats.clone(),
        });
        let link = DriverLink {
            id: d.id,
            name: d.name.clone(),
            samples: tx,
            commands: crx,
            events: etx,
            stats,
            shutdown: shutdown.clone(),
            tags: directory
                .iter()
                .filter(|t| t.driver == d.id)
                .map(|t| (t.id, t.address.clone()))
                .collect(),
        };
        // Every driver keeps its port (the hub finds ports by driver id); a write starts only its own.
        if matches!(d.kind, DriverKind::Calc) {
            wired.calc_link = Some(link);
        } else if matches!(d.kind, DriverKind::CtString) {
            wired.ct_link = Some(link);
        } else if matches!(d.kind, DriverKind::Job) {
            wired.job_link = Some(link);
        } else if matches!(d.kind, DriverKind::Production) {
            wired.production_link = Some(link);
        } else if only_driver.is_none_or(|id| id == d.id) {
            wired.starts.push((d.clone(), link));
        }
    }
    wired
}

/// Starts one driver's thread (none for the `calc` driver: its tags are derived on the hub thread).
fn start_driver(
    d: crate::project::DriverConfig,
    link: DriverLink,
    opts: &RuntimeOptions,
) -> Result<Option<JoinHandle<()>>, RuntimeError> {
    let name = format!("driver-{}", d.name);
    let thread = match d.kind {
        DriverKind::Sim(mut cfg) => {
            if let Some(speed) = opts.speed {
                cfg.speed = speed;
            }
            let driver = SimDriver::new(cfg, opts.faults.clone());
            spawn(&name, move || driver.run(link))
        }
        DriverKind::Modbus(cfg) => {
            let driver = ModbusDriver::new(cfg);
            spawn(&name, move || driver.run(link))
        }
        DriverKind::Mqtt(mut cfg) => {
            if opts.write_only.is_some() {
                // A second connection under the console's client id would make the broker drop
                // the console's; and only the console is the site's primary host.
                cfg.client_id = format!("{}-write-{}", cfg.client_id, std::process::id());
                cfg.host_id = None;
            }
            let driver = MqttDriver::new(cfg);
            spawn(&name, move || driver.run(link))
        }
        DriverKind::OpcUa(cfg) => {
            let driver = OpcUaDriver::new(cfg);
            spawn(&name, move || driver.run(link))
        }
        DriverKind::Calc | DriverKind::CtString | DriverKind::Job | DriverKind::Production => return Ok(None),
    };
    thread.map(Some)
}

/// In replay nothing is written about the plant: history, the alarm journal with the trip state, and the
/// CT records are the real job's files, and a replay is not the job (its alarms, trips and fatigue are
/// judged again, in memory). Nor is a simulator told anything: none runs.
fn replay_options(opts: RuntimeOptions) -> Result<RuntimeOptions, RuntimeError> {
    if opts.replay.is_none() {
        return Ok(opts);
    }
    if let Some(spec) = &opts.replay {
        spec.check()?;
    }
    Ok(RuntimeOptions {
        speed: None,
        faults: Vec::new(),
        history: None,
        alarm_journal: None,
        ct_records: None,
        job_records: None,
        write_only: None,
        ..opts
    })
}

/// The replay thread in the place of the drivers: it holds their links and plays `spec`'s history through
/// them. The history is opened (read-only) here, so a missing or unreadable file stops the start.
fn start_replay(
    spec: &ReplaySpec,
    directory: &TagDirectory,
    links: Vec<DriverLink>,
    shutdown: &Arc<AtomicBool>,
) -> Result<(JoinHandle<()>, ReplayHandle), RuntimeError> {
    let history = crate::historian::History::open(&spec.history).map_err(|e| ReplayError::History {
        path: spec.history.clone(),
        source: Box::new(e),
    })?;
    let source = HistorySource(history);
    let (driver, handle) = ReplayDriver::new(spec.clone(), source, directory, links, shutdown.clone())?;
    let thread = spawn("replay", move || driver.run())?;
    Ok((thread, handle))
}

/// The historian's database, read-only, as what a replay plays (the driver room does not know the
/// historian; the wiring does).
struct HistorySource(crate::historian::History);

impl ReplaySource for HistorySource {
    fn tag_names(&self) -> Result<Vec<String>, SourceError> {
        Ok(self.0.tags()?.into_iter().map(|t| t.name).collect())
    }

    fn each(&self, tag: &str, from: Timestamp, to: Timestamp, f: &mut dyn FnMut(Stored)) -> Result<(), SourceError> {
        self.0.each_raw(tag, from.0, to.0, |ts, value, q| {
            f(Stored {
                ts: Timestamp(ts),
                value,
                quality: q.quality,
            });
        })?;
        Ok(())
    }

    fn last_at(&self, tag: &str, at: Timestamp) -> Result<Option<Stored>, SourceError> {
        let last = self.0.raw(tag, at.0, at.0)?.pop();
        Ok(last.map(|s| Stored {
            ts: Timestamp(s.ts),
            value: s.value,
            quality: s.quality.quality,
        }))
    }
}

/// One watcher for every definition folder; the new alarm and trip sets reach their engines as hub commands
/// (the watcher does not know the hub).
fn watch_project(
    root: &std::path::Path,
    project: &Project,
    screens: &crate::screen::ScreenCell,
    (screen_problems, alarm_problems): (ConfigProblems, ConfigProblems),
    commands: Commands,
) -> ProjectWatch {
    let to_engines = move |set: &NewSet| {
        let cmd = match set {
            NewSet::Alarms(a) => Service::Alarm(AlarmCommand::Reload(a.clone())),
            NewSet::Trips(t) => Service::Trip(TripCommand::Reload(t.clone())),
        };
        commands.service(cmd).is_ok()
    };
    let directory = project.site.tags.clone();
    let mut watch = ProjectWatch::new(root.to_path_buf());
    watch.add(
        Screens::new(directory.clone(), screens.clone()),
        &project.files,
        screen_problems,
    );
    watch.add(
        AlarmsAndTrips::new(directory, to_engines),
        &project.files,
        alarm_problems,
    );
    watch
}

fn spawn(name: &str, f: impl FnOnce() + Send + 'static) -> Result<JoinHandle<()>, RuntimeError> {
    std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(f)
        .map_err(|source| RuntimeError::Spawn {
            name: name.to_owned(),
            source,
        })
}
