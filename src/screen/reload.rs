//! Hot reload of `screens/` and `symbols/`: a thread that notices edited files, loads them against the
//! running project's tags, and swaps the console's screen set whole.
//!
//! A file that does not load never reaches the screen: the console keeps drawing the last good set and
//! shows the problems (`path:line:col: message`) until the file is fixed. Edits are noticed by
//! `project::watch`. Touches no UI: it writes two `ArcSwap`s.

use super::{ScreenCell, ScreenSet};
use crate::alarm::reload::{ConfigProblems, POLL};
use crate::project::ProjectFiles;
use crate::tag::TagDirectory;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

const DIRS: &[&str] = &["screens", "symbols"];

/// The screen and symbol files' texts, in path order: what a loaded set was built from.
pub fn screen_texts(files: &ProjectFiles) -> Vec<(String, String)> {
    crate::project::watch::texts(files, DIRS)
}

/// What the watcher knows: the screen and symbol files as the set on display was loaded from them.
pub struct Watched(crate::project::watch::Watched);

impl Watched {
    pub fn new(texts: Vec<(String, String)>) -> Self {
        Self(crate::project::watch::Watched::new(DIRS, texts))
    }

    /// `Some(Ok(set))` when the files changed and load, `Some(Err(lines))` when they changed and do not,
    /// `None` when nothing changed.
    pub fn check(&mut self, root: &Path, tags: &TagDirectory) -> Option<Result<ScreenSet, Vec<String>>> {
        let files = match self.0.changed(root)? {
            Ok(f) => f,
            Err(why) => return Some(Err(vec![why])),
        };
        Some(crate::project::screens::load(&files, tags).map_err(|d| d.iter().map(ToString::to_string).collect()))
    }
}

/// Starts the watcher for a project folder.
pub fn watch(
    root: PathBuf,
    tags: Arc<TagDirectory>,
    loaded: Vec<(String, String)>,
    screens: ScreenCell,
    problems: ConfigProblems,
    stop: Arc<AtomicBool>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("screen-reload".into())
        .stack_size(crate::project::watch::RELOAD_STACK)
        .spawn(move || {
            let mut watched = Watched::new(loaded);
            while !stop.load(Ordering::Relaxed) {
                for _ in 0..10 {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    std::thread::sleep(POLL / 10);
                }
                match crate::project::watch::guarded("screen", || watched.check(&root, &tags)) {
                    None => {}
                    Some(Ok(set)) => {
                        tracing::info!(
                            screens = set.screens.len(),
                            symbols = set.symbols.len(),
                            "screens reloaded"
                        );
                        screens.store(Arc::new(set));
                        problems.store(Arc::new(Vec::new()));
                    }
                    Some(Err(lines)) => {
                        for l in &lines {
                            tracing::error!("{l} (keeping the last good screens)");
                        }
                        problems.store(Arc::new(lines));
                    }
                }
            }
        })
}
