//! Hot reload: one thread that watches a project folder for edited definition files and hands them to
//! each registered `Reloadable` (screens and symbols, alarms and trips; whatever comes next registers the
//! same way). The watcher owns noticing, reading and the problem lines; each reloadable owns how its files
//! load and where a good set goes, so this module names no service (no hub, no screen cell).
//!
//! Cheap to run every second: a directory listing with sizes and times per reloadable, and the project read
//! only when that changes, once for all of them; "changed" means a reloadable's texts differ from what it
//! runs now. A file that does not load never replaces a running set: the last good one stays and the
//! problems (`path:line:col: message`) are published until the file is fixed. Polling instead of inotify
//! keeps it working on network shares and in containers.

use super::ProjectFiles;
use arc_swap::ArcSwap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

/// How often the folder is looked at.
pub const POLL: Duration = Duration::from_secs(1);

/// Stack of the reload thread: at least what `check` gets on the main thread, so a file `check` passes
/// loads on a reload too (loaders bound their own depth; this is the margin behind that bound).
pub const RELOAD_STACK: usize = 16 << 20;

/// Problems in some definition files on disk now (empty: the running set is what the files say).
pub type ConfigProblems = Arc<ArcSwap<Vec<String>>>;

/// One kind of definitions a running console reloads when their files change.
pub trait Reloadable: Send {
    /// What it loads, in the log and in the line a loader's panic leaves: "screen", "alarm".
    fn what(&self) -> &'static str;

    /// The project folders whose `*.toml` files it is loaded from.
    fn dirs(&self) -> &'static [&'static str];

    /// Its files changed: load them from the project as read now and, when they load, put the new set where
    /// it runs. `Err` holds the problem lines; the running set stays.
    fn reload(&mut self, files: &ProjectFiles) -> Result<(), Vec<String>>;

    /// Its files are broken (or could not be read): the running set stays, and anything loaded earlier and
    /// still waiting to be handed on is dropped with it.
    fn keep_last_good(&mut self) {}

    /// Every round, changed or not: hand on what is still waiting (a full queue last time).
    fn hand_on(&mut self) {}
}

/// A registered reloadable and what it was last loaded from.
struct Watched {
    reloadable: Box<dyn Reloadable>,
    problems: ConfigProblems,
    signature: Vec<(PathBuf, u64, Option<SystemTime>)>,
    texts: Vec<(String, String)>,
}

/// The project folder's watcher, with everything it reloads.
pub struct ProjectWatch {
    root: PathBuf,
    watched: Vec<Watched>,
}

impl ProjectWatch {
    pub fn new(root: PathBuf) -> Self {
        Self {
            root,
            watched: Vec::new(),
        }
    }

    /// Registers `reloadable`, running what `running` holds in its folders, with its problems shown in
    /// `problems`. The first round reads the files, so an edit made between loading and watching is not
    /// missed.
    pub fn add(&mut self, reloadable: impl Reloadable + 'static, running: &ProjectFiles, problems: ConfigProblems) {
        let texts = texts(running, reloadable.dirs());
        self.watched.push(Watched {
            reloadable: Box::new(reloadable),
            problems,
            signature: Vec::new(),
            texts,
        });
    }

    /// One look at the folder: reloads what changed and publishes its problems (or none), then lets every
    /// reloadable hand on what waits.
    pub fn check(&mut self) {
        let root = &self.root;
        // Read at most once a round, and only when some listing changed.
        let mut files: Option<Result<ProjectFiles, String>> = None;
        for w in &mut self.watched {
            let sig = signature(root, w.reloadable.dirs());
            if sig != w.signature {
                w.signature = sig;
                let files = files.get_or_insert_with(|| ProjectFiles::from_dir(root).map_err(|e| e.to_string()));
                match files {
                    Err(why) => w.broken(vec![why.clone()]),
                    Ok(files) => w.load(files),
                }
            }
            w.reloadable.hand_on();
        }
    }

    /// Starts the watcher's thread; it ends when `stop` is set.
    pub fn spawn(mut self, stop: Arc<AtomicBool>) -> std::io::Result<std::thread::JoinHandle<()>> {
        std::thread::Builder::new()
            .name("project-watch".into())
            .stack_size(RELOAD_STACK)
            .spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    // Short naps so shutdown does not wait a whole poll period.
                    for _ in 0..10 {
                        if stop.load(Ordering::Relaxed) {
                            return;
                        }
                        std::thread::sleep(POLL / 10);
                    }
                    self.check();
                }
            })
    }
}

impl Watched {
    /// Loads when this reloadable's texts differ from what it runs.
    fn load(&mut self, files: &ProjectFiles) {
        let texts = texts(files, self.reloadable.dirs());
        if texts == self.texts {
            return;
        }
        self.texts = texts;
        let what = self.reloadable.what();
        match guarded(what, || self.reloadable.reload(files)) {
            Ok(()) => self.problems.store(Arc::new(Vec::new())),
            Err(lines) => self.broken(lines),
        }
    }

    fn broken(&mut self, lines: Vec<String>) {
        let what = self.reloadable.what();
        for l in &lines {
            tracing::error!("{l} (keeping the last good {what} definitions)");
        }
        self.problems.store(Arc::new(lines));
        self.reloadable.keep_last_good();
    }
}

/// Runs one reload so that a loader's panic becomes a problem line (the last good set stays) instead of
/// ending the watcher — or, worse, the console.
fn guarded(what: &str, load: impl FnOnce() -> Result<(), Vec<String>>) -> Result<(), Vec<String>> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(load)).unwrap_or_else(|_| {
        Err(vec![format!(
            "internal error while loading the edited {what} files (a bug: please report it with the files)"
        )])
    })
}

/// Name, size and modification time of every file under `dirs` of `root`: changes when any file does.
fn signature(root: &Path, dirs: &[&str]) -> Vec<(PathBuf, u64, Option<SystemTime>)> {
    let mut out = Vec::new();
    let mut stack: Vec<PathBuf> = dirs.iter().map(|d| root.join(d)).collect();
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

/// The `*.toml` texts under `dirs`, in path order: what a running set was loaded from.
fn texts(files: &ProjectFiles, dirs: &[&str]) -> Vec<(String, String)> {
    files
        .iter()
        .filter(|(rel, _)| dirs.iter().any(|d| rel.starts_with(&format!("{d}/"))) && rel.ends_with(".toml"))
        .map(|(r, t)| (r.to_owned(), t.to_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// Records what it was handed; loads whenever its file does not say "broken".
    struct Probe {
        loads: Arc<Mutex<Vec<String>>>,
        kept: Arc<Mutex<usize>>,
    }

    impl Reloadable for Probe {
        fn what(&self) -> &'static str {
            "probe"
        }
        fn dirs(&self) -> &'static [&'static str] {
            &["alarms"]
        }
        fn reload(&mut self, files: &ProjectFiles) -> Result<(), Vec<String>> {
            let text = files.get("alarms/a.toml").unwrap_or_default().to_owned();
            if text.contains("broken") {
                return Err(vec![format!("alarms/a.toml:1:1: {text}")]);
            }
            if text.contains("panic") {
                panic!("a loader bug");
            }
            self.loads.lock().unwrap().push(text);
            Ok(())
        }
        fn keep_last_good(&mut self) {
            *self.kept.lock().unwrap() += 1;
        }
    }

    #[test]
    fn only_changed_texts_are_reloaded_and_a_broken_file_keeps_the_last_good_set() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().to_path_buf();
        std::fs::write(root.join("site.toml"), "").unwrap();
        std::fs::create_dir(root.join("alarms")).unwrap();
        std::fs::write(root.join("alarms/a.toml"), "one").unwrap();
        let running = ProjectFiles::from_dir(&root).unwrap();
        let loads: Arc<Mutex<Vec<String>>> = Arc::default();
        let kept: Arc<Mutex<usize>> = Arc::default();
        let problems: ConfigProblems = Arc::new(ArcSwap::from_pointee(Vec::new()));
        let mut watch = ProjectWatch::new(root.clone());
        let probe = Probe {
            loads: Arc::clone(&loads),
            kept: Arc::clone(&kept),
        };
        watch.add(probe, &running, problems.clone());
        let edit = |text: &str| {
            // A different size, so the listing changes whatever the file system's clock resolution.
            std::fs::write(root.join("alarms/a.toml"), text).unwrap();
        };
        watch.check();
        assert!(
            loads.lock().unwrap().is_empty(),
            "the running texts are not loaded again"
        );
        edit("broken");
        watch.check();
        assert_eq!(**problems.load(), vec!["alarms/a.toml:1:1: broken".to_owned()]);
        assert_eq!(*kept.lock().unwrap(), 1);
        edit("panic now");
        watch.check();
        assert!(problems.load()[0].starts_with("internal error while loading the edited probe files"));
        edit("two, mended");
        watch.check();
        assert_eq!(*loads.lock().unwrap(), vec!["two, mended".to_owned()]);
        assert!(problems.load().is_empty());
        watch.check();
        assert_eq!(loads.lock().unwrap().len(), 1, "nothing changed: nothing loaded");
    }
}
