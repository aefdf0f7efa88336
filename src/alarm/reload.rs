//! Hot reload of `alarms/*.toml`: a thread that notices edited files, validates them against the running
//! project's tags, and hands a new `AlarmSet` to the engine through the hub's command channel.
//!
//! A file that does not validate never reaches the engine: the console keeps the last good set and shows
//! the problems (`path:line:col: message`) until the file is fixed. Edits are noticed by `project::watch`.

use crate::project::ProjectFiles;
use crate::tag::TagDirectory;
use arc_swap::ArcSwap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

pub const POLL: Duration = Duration::from_secs(1);

/// Problems in the alarm files on disk now (empty: the running set is what the files say).
pub type ConfigProblems = Arc<ArcSwap<Vec<String>>>;

const DIRS: &[&str] = &["alarms"];

/// The alarm files' texts, in path order: what a loaded set was built from.
pub fn alarm_texts(files: &ProjectFiles) -> Vec<(String, String)> {
    crate::project::watch::texts(files, DIRS)
}

/// What the watcher knows: the alarm files as the running set was loaded from them.
pub struct Watched(crate::project::watch::Watched);

impl Watched {
    pub fn new(texts: Vec<(String, String)>) -> Self {
        Self(crate::project::watch::Watched::new(DIRS, texts))
    }

    /// `Some(Ok(set))` when the alarm files' contents changed and are valid, `Some(Err(lines))` when they
    /// changed and are not, `None` when nothing changed.
    pub fn check(&mut self, root: &Path, tags: &TagDirectory) -> Option<Result<Reloaded, Vec<String>>> {
        let files = match self.0.changed(root)? {
            Ok(f) => f,
            Err(why) => return Some(Err(vec![why])),
        };
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
    commands: crate::runtime::Commands,
    problems: ConfigProblems,
    stop: Arc<AtomicBool>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("alarm-reload".into())
        .stack_size(crate::project::watch::RELOAD_STACK)
        .spawn(move || {
            let mut watched = Watched::new(loaded);
            let mut pending: Vec<crate::runtime::Service> = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                // Short naps so shutdown does not wait a whole poll period.
                for _ in 0..10 {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    std::thread::sleep(POLL / 10);
                }
                match crate::project::watch::guarded("alarm", || watched.check(&root, &tags)) {
                    None => {}
                    Some(Ok(set)) => {
                        tracing::info!(
                            points = set.alarms.len(),
                            trips = set.trips.trips.len(),
                            "alarm and trip definitions changed; loading them"
                        );
                        problems.store(Arc::new(Vec::new()));
                        pending = vec![
                            crate::alarm::AlarmCommand::Reload(Arc::new(set.alarms)).into(),
                            crate::trip::TripCommand::Reload(Arc::new(set.trips)).into(),
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
                    if commands.service(cmd.clone()).is_err() {
                        // The hub's queue is full: try again next round rather than lose the edit.
                        break;
                    }
                    pending.remove(0);
                }
            }
        })
}
