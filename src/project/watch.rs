//! Noticing that a project's definition files changed on disk, for the hot-reload threads (alarms and
//! trips; screens and symbols). Cheap to ask every second: a directory listing with sizes and times, and
//! the files read only when that changes; "changed" means the texts differ from what is running now.
//!
//! Polling instead of inotify keeps it working on network shares and in containers.

use super::ProjectFiles;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// Stack of a reload thread: at least what `check` gets on the main thread, so a file `check` passes
/// loads on a reload too (loaders bound their own depth; this is the margin behind that bound).
pub const RELOAD_STACK: usize = 16 << 20;

/// Runs one reload check so that a loader's panic becomes a problem line (the last good set stays)
/// instead of ending the watcher — or, worse, the console.
pub fn guarded<T>(
    what: &str,
    check: impl FnOnce() -> Option<Result<T, Vec<String>>>,
) -> Option<Result<T, Vec<String>>> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(check)).unwrap_or_else(|_| {
        Some(Err(vec![format!(
            "internal error while loading the edited {what} files (a bug: please report it with the files)"
        )]))
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
pub fn texts(files: &ProjectFiles, dirs: &[&str]) -> Vec<(String, String)> {
    files
        .iter()
        .filter(|(rel, _)| dirs.iter().any(|d| rel.starts_with(&format!("{d}/"))) && rel.ends_with(".toml"))
        .map(|(r, t)| (r.to_owned(), t.to_owned()))
        .collect()
}

/// Watches some folders of a project for edits.
pub struct Watched {
    dirs: &'static [&'static str],
    signature: Vec<(PathBuf, u64, Option<SystemTime>)>,
    texts: Vec<(String, String)>,
}

impl Watched {
    /// Starts from the texts the running set was loaded from; the first check reads the files, so an edit
    /// made between loading and watching is not missed.
    pub fn new(dirs: &'static [&'static str], texts: Vec<(String, String)>) -> Self {
        Self {
            dirs,
            signature: Vec::new(),
            texts,
        }
    }

    /// `Some(Ok(files))` when the watched files' texts changed (the whole project, read now, to load them
    /// from), `Some(Err(why))` when the project could not be read, `None` when nothing changed.
    pub fn changed(&mut self, root: &Path) -> Option<Result<ProjectFiles, String>> {
        let sig = signature(root, self.dirs);
        if sig == self.signature {
            return None;
        }
        self.signature = sig;
        let files = match ProjectFiles::from_dir(root) {
            Ok(f) => f,
            Err(e) => return Some(Err(e.to_string())),
        };
        let texts = texts(&files, self.dirs);
        if texts == self.texts {
            return None;
        }
        self.texts = texts;
        Some(Ok(files))
    }
}
