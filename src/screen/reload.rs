//! Hot reload of `screens/` and `symbols/`: a thread that notices edited files, loads them against the
//! running project's tags, and swaps the console's screen set whole.
//!
//! A file that does not load never reaches the screen: the console keeps drawing the last good set and
//! shows the problems (`path:line:col: message`) until the file is fixed; `WhileBroken` says whether that
//! set holds a last good version of the broken file at all (a screen added since the start has none).
//! Edits are noticed by `project::watch`. Touches no UI: it writes two `ArcSwap`s.

use super::{ScreenCell, ScreenSet};
use crate::alarm::reload::{ConfigProblems, POLL};
use crate::lang::Lang;
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

/// What the console shows of a broken file while it stays broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhileBroken {
    /// The file loaded before (or the problem names no file): its last good version stays on display.
    LastGoodVersion,
    /// The file never loaded — a screen or symbol added since the console started, perhaps bound to tags
    /// only a restart brings in: there is no version of it to show.
    NotShown,
}

impl WhileBroken {
    /// For a problem line (`path:line:col: message`), judged against the set on display.
    pub fn of(problem: &str, set: &ScreenSet) -> Self {
        let Some(file) = problem_file(problem) else {
            return WhileBroken::LastGoodVersion;
        };
        let loaded = set
            .screens
            .iter()
            .map(|s| s.defined_at.as_str())
            .chain(set.symbols.iter().map(|s| s.defined_at.as_str()))
            .any(|at| location_file(at) == Some(file));
        if loaded {
            WhileBroken::LastGoodVersion
        } else {
            WhileBroken::NotShown
        }
    }

    /// What follows the problem on the console's problem line.
    pub fn text(self, lang: Lang) -> &'static str {
        match self {
            WhileBroken::LastGoodVersion => {
                lang.pick("showing the last good version", "se muestra la última versión buena")
            }
            WhileBroken::NotShown => lang.pick("not shown until fixed", "no se muestra hasta corregirlo"),
        }
    }
}

/// The file of a problem line, `path:line:col: message` (a path may hold ':' or ": " on some systems:
/// the location is the first "path:N:N" followed by ": ").
fn problem_file(problem: &str) -> Option<&str> {
    problem
        .match_indices(": ")
        .find_map(|(i, _)| location_file(&problem[..i]))
}

/// The path of `path:line:col`, when line and col are numbers.
fn location_file(at: &str) -> Option<&str> {
    let mut parts = at.rsplitn(3, ':');
    let col = parts.next()?;
    let line = parts.next()?;
    let path = parts.next()?;
    (col.parse::<usize>().is_ok() && line.parse::<usize>().is_ok()).then_some(path)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_that_never_loaded_has_no_last_good_version_to_show() {
        let set = crate::project::Project::demo().expect("demo is valid").screens;
        let of = |p: &str| WhileBroken::of(p, &set);
        assert_eq!(
            of("<demo>/screens/ct01.toml:12:7: unknown tag 'ct01/dept' (not defined in site.toml)"),
            WhileBroken::LastGoodVersion
        );
        assert_eq!(
            of("<demo>/symbols/tank.toml:10:8: unknown colour 'red'"),
            WhileBroken::LastGoodVersion
        );
        assert_eq!(
            of("<demo>/screens/well07.toml:5:7: unknown tag 'well07/rate' (not defined in site.toml)"),
            WhileBroken::NotShown,
            "a screen added since the start, bound to tags only a restart brings in"
        );
        assert_eq!(
            of("/site/screens/ct01.toml:12:7: unknown tag"),
            WhileBroken::NotShown,
            "another project's file of the same name"
        );
        assert_eq!(
            of("no site.toml in /site"),
            WhileBroken::LastGoodVersion,
            "the whole set stays"
        );
        assert_eq!(WhileBroken::NotShown.text(Lang::En), "not shown until fixed");
    }
}
