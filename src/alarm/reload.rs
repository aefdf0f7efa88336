//! Hot reload of `alarms/*.toml`: a thread that notices edited files, validates them against the running
//! project's tags, and hands a new `AlarmSet` to the engine through the hub's command channel.
//!
//! A file that does not validate never reaches the engine: the console keeps the last good set and shows
//! the problems (`path:line:col: message`) until the file is fixed. Polling (1 s) instead of inotify keeps
//! it working on network shares and in containers.

use crate::hub::HubCommand;
use crate::project::ProjectFiles;
use crate::tag::TagDirectory;
use arc_swap::ArcSwap;
use crossbeam_channel::Sender;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

pub const POLL: Duration = Duration::from_secs(1);

/// Problems in the alarm files on disk now (empty: the running set is what the files say).
pub type ConfigProblems = Arc<ArcSwap<Vec<String>>>;

/// Name, size and modification time of every file under `alarms/`: changes when any file does.
fn signature(root: &Path) -> Vec<(PathBuf, u64, Option<SystemTime>)> {
    let mut out = Vec::new();
    let mut stack = vec![root.join("alarms")];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for e in entries.flatten() {
            let p = e.path();
            match e.metadata() {
                Ok(m) if m.is_dir() => stack.push(p),
                Ok(m) => out.push((p, m.len(), m.modified().ok())),
                Err(_) => {}
            }
        }
    }
    out.sort();
    out
}

/// The alarm files' texts, in path order: what a loaded set was built from.
pub fn alarm_texts(files: &ProjectFiles) -> Vec<(String, String)> {
    files
        .iter()
        .filter(|(rel, _)| rel.starts_with("alarms/") && rel.ends_with(".toml"))
        .map(|(r, t)| (r.to_owned(), t.to_owned()))
        .collect()
}

/// What the watcher knows: the files' signature last seen, and the texts of the running set.
pub struct Watched {
    signature: Vec<(PathBuf, u64, Option<SystemTime>)>,
    texts: Vec<(String, String)>,
}

impl Watched {
    /// Starts from the texts the running set was loaded from; the first check reads the files, so an
    /// edit made between loading and watching is not missed.
    pub fn new(texts: Vec<(String, String)>) -> Self {
        Self {
            signature: Vec::new(),
            texts,
        }
    }

    /// `Some(Ok(set))` when the alarm files' contents changed and are valid, `Some(Err(lines))` when they
    /// changed and are not, `None` when nothing changed.
    pub fn check(&mut self, root: &Path, tags: &TagDirectory) -> Option<Result<Reloaded, Vec<String>>> {
        let sig = signature(root);
        if sig == self.signature {
            return None;
        }
        self.signature = sig;
        let files = match ProjectFiles::from_dir(root) {
            Ok(f) => f,
            Err(e) => return Some(Err(vec![e.to_string()])),
        };
        let texts = alarm_texts(&files);
        if texts == self.texts {
            return None;
        }
        self.texts = texts;
        // Alarm points and trip rules share the files: both load, or neither does.
        let lines = |d: Vec<crate::project::Diagnostic>| d.iter().map(ToString::to_string).collect::<Vec<_>>();
        Some(
            match (
                crate::project::alarms::load(&files, tags),
                crate::project::trips::load(&files, tags),
            ) {
                (Ok(alarms), Ok(trips)) => Ok(Reloaded { alarms, trips }),
                (a, t) => {
                    let mut all = a.err().map(lines).unwrap_or_default();
                    all.extend(t.err().map(lines).unwrap_or_default());
                    Err(all)
                }
            },
        )
    }
}

/// A valid new set of alarm points and trip rules.
pub struct Reloaded {
    pub alarms: crate::alarm::AlarmSet,
    pub trips: crate::trip::TripSet,
}

/// Starts the watcher for a project folder.
pub fn watch(
    root: PathBuf,
    tags: Arc<TagDirectory>,
    loaded: Vec<(String, String)>,
    commands: Sender<HubCommand>,
    problems: ConfigProblems,
    stop: Arc<AtomicBool>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new().name("alarm-reload".into()).spawn(move || {
        let mut watched = Watched::new(loaded);
        let mut pending: Vec<HubCommand> = Vec::new();
        while !stop.load(Ordering::Relaxed) {
            // Short naps so shutdown does not wait a whole poll period.
            for _ in 0..10 {
                if stop.load(Ordering::Relaxed) {
                    return;
                }
                std::thread::sleep(POLL / 10);
            }
            match watched.check(&root, &tags) {
                None => {}
                Some(Ok(set)) => {
                    tracing::info!(
                        points = set.alarms.len(),
                        trips = set.trips.trips.len(),
                        "alarm and trip definitions changed; loading them"
                    );
                    problems.store(Arc::new(Vec::new()));
                    pending = vec![
                        HubCommand::Alarm(crate::alarm::AlarmCommand::Reload(Arc::new(set.alarms))),
                        HubCommand::Trip(crate::trip::TripCommand::Reload(Arc::new(set.trips))),
                    ];
                }
                Some(Err(lines)) => {
                    for l in &lines {
                        tracing::error!("{l} (keeping the last good alarm definitions)");
                    }
                    problems.store(Arc::new(lines));
                    pending.clear();
                }
            }
            while let Some(cmd) = pending.first() {
                if commands.try_send(cmd.clone()).is_err() {
                    // The hub's queue is full: try again next round rather than lose the edit.
                    break;
                }
                pending.remove(0);
            }
        }
    })
}
