//! Where a project's files come from: a directory on disk, or the demo project embedded in the binary.
//!
//! Files are read once into memory; everything after works on text, so `check` and loading treat both
//! origins alike and never touch the disk again.

use include_dir::{Dir, include_dir};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

static DEMO_SITE: &str = include_str!("../../site.toml");
static DEMO_DATA: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/data");
static DEMO_SCREENS: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/screens");
static DEMO_SYMBOLS: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/symbols");
static DEMO_ALARMS: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/alarms");
static DEMO_REELS: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/reels");

/// Project folders whose files are loaded (besides `site.toml`). `certs` (TLS material for drivers) comes
/// last: the embedded demo has none.
pub const PROJECT_DIRS: [&str; 6] = ["data", "screens", "symbols", "alarms", "reels", "certs"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Directory(PathBuf),
    EmbeddedDemo,
}

#[derive(Debug, Clone)]
pub struct ProjectFiles {
    pub origin: Origin,
    /// Relative path (always with `/`) → text.
    files: BTreeMap<String, String>,
    /// Files that could not be read as text, with the reason.
    unreadable: Vec<(String, String)>,
}

#[derive(Debug, thiserror::Error)]
pub enum FilesError {
    #[error("{0}: not a project directory (no site.toml in it)")]
    NoSiteToml(PathBuf),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
}

impl ProjectFiles {
    /// The demo project compiled into the binary.
    pub fn embedded_demo() -> Self {
        let mut files = BTreeMap::new();
        files.insert("site.toml".to_owned(), DEMO_SITE.to_owned());
        let mut unreadable = Vec::new();
        for (name, dir) in
            PROJECT_DIRS
                .iter()
                .zip([&DEMO_DATA, &DEMO_SCREENS, &DEMO_SYMBOLS, &DEMO_ALARMS, &DEMO_REELS])
        {
            collect_embedded(name, dir, &mut files, &mut unreadable);
        }
        Self {
            origin: Origin::EmbeddedDemo,
            files,
            unreadable,
        }
    }

    /// The demo project's files with `site_text` for its site.toml (tests of site.toml's checks).
    #[cfg(test)]
    pub fn demo_with_site(site_text: &str) -> Self {
        let mut files = Self::embedded_demo().files;
        files.insert("site.toml".to_owned(), site_text.to_owned());
        Self::from_memory(files)
    }

    pub fn from_dir(root: &Path) -> Result<Self, FilesError> {
        let site = root.join("site.toml");
        if !site.is_file() {
            return Err(FilesError::NoSiteToml(root.to_path_buf()));
        }
        let mut files = BTreeMap::new();
        let mut unreadable = Vec::new();
        read_into(root, Path::new("site.toml"), &mut files, &mut unreadable)?;
        for dir in PROJECT_DIRS {
            let abs = root.join(dir);
            if abs.is_dir() {
                walk(root, Path::new(dir), &mut files, &mut unreadable)?;
            }
        }
        Ok(Self {
            origin: Origin::Directory(root.to_path_buf()),
            files,
            unreadable,
        })
    }

    /// In-memory project, for tests and tools.
    pub fn from_memory(files: impl IntoIterator<Item = (String, String)>) -> Self {
        Self {
            origin: Origin::Directory(PathBuf::from("<memory>")),
            files: files.into_iter().collect(),
            unreadable: Vec::new(),
        }
    }

    /// These files with `rel`'s text replaced (or added): what a project would be once an edit is saved.
    pub fn with_file(&self, rel: &str, text: &str) -> Self {
        let mut out = self.clone();
        out.files.insert(rel.to_owned(), text.to_owned());
        out
    }

    pub fn get(&self, rel: &str) -> Option<&str> {
        self.files.get(rel).map(String::as_str)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.files.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    pub fn unreadable(&self) -> &[(String, String)] {
        &self.unreadable
    }

    /// The path an engineer sees in messages: the real path for a directory, `<demo>/…` when embedded.
    pub fn display_path(&self, rel: &str) -> String {
        match &self.origin {
            Origin::Directory(root) => root.join(rel).display().to_string(),
            Origin::EmbeddedDemo => format!("<demo>/{rel}"),
        }
    }

    pub fn describe(&self) -> String {
        match &self.origin {
            Origin::Directory(root) => root.display().to_string(),
            Origin::EmbeddedDemo => "built-in demo project".to_owned(),
        }
    }
}

fn collect_embedded(
    prefix: &str,
    dir: &Dir<'_>,
    files: &mut BTreeMap<String, String>,
    bad: &mut Vec<(String, String)>,
) {
    for f in dir.files() {
        let rel = format!("{prefix}/{}", f.path().display());
        match f.contents_utf8() {
            Some(t) => {
                files.insert(rel, t.to_owned());
            }
            None => bad.push((rel, "not UTF-8 text".to_owned())),
        }
    }
    for d in dir.dirs() {
        collect_embedded(prefix, d, files, bad);
    }
}

/// A project file larger than this is refused unread (50,000 alarm points take about 8 MiB).
pub const MAX_FILE_BYTES: u64 = 64 << 20;
/// Files read from one project at most.
pub const MAX_FILES: usize = 20_000;
/// Folder levels below a project folder (a symbolic link looping back must not recurse for ever).
pub const MAX_DEPTH: usize = 16;

fn walk(
    root: &Path,
    rel: &Path,
    files: &mut BTreeMap<String, String>,
    bad: &mut Vec<(String, String)>,
) -> Result<(), FilesError> {
    let abs = root.join(rel);
    if rel.components().count() > MAX_DEPTH {
        bad.push((
            key_of(rel),
            format!("folders nest more than {MAX_DEPTH} deep here (a link looping back?): not read"),
        ));
        return Ok(());
    }
    let entries = std::fs::read_dir(&abs).map_err(|source| FilesError::Io {
        path: abs.clone(),
        source,
    })?;
    let mut names: Vec<_> = entries.filter_map(Result::ok).map(|e| e.file_name()).collect();
    names.sort();
    for name in names {
        let child = rel.join(&name);
        let child_abs = root.join(&child);
        if files.len() + bad.len() >= MAX_FILES {
            bad.push((
                key_of(&child),
                format!("the project has more than {MAX_FILES} files: the rest are not read"),
            ));
            return Ok(());
        }
        if child_abs.is_dir() {
            walk(root, &child, files, bad)?;
        } else if child_abs.is_file() {
            read_into(root, &child, files, bad)?;
        }
    }
    Ok(())
}

fn key_of(rel: &Path) -> String {
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

fn read_into(
    root: &Path,
    rel: &Path,
    files: &mut BTreeMap<String, String>,
    bad: &mut Vec<(String, String)>,
) -> Result<(), FilesError> {
    let key = key_of(rel);
    let abs = root.join(rel);
    let io = |source| FilesError::Io {
        path: abs.clone(),
        source,
    };
    let size = std::fs::metadata(&abs).map_err(io)?.len();
    if size > MAX_FILE_BYTES {
        bad.push((
            key,
            format!(
                "{} MiB: project files are at most {} MiB",
                size >> 20,
                MAX_FILE_BYTES >> 20
            ),
        ));
        return Ok(());
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    {
        use std::io::Read;
        // Bounded even if the file grows while it is read.
        std::fs::File::open(&abs)
            .map_err(io)?
            .take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(io)?;
    }
    if bytes.len() as u64 > MAX_FILE_BYTES {
        bad.push((key, format!("project files are at most {} MiB", MAX_FILE_BYTES >> 20)));
        return Ok(());
    }
    match String::from_utf8(bytes) {
        Ok(t) => {
            files.insert(key, t);
        }
        Err(_) => bad.push((key, "not UTF-8 text".to_owned())),
    }
    Ok(())
}
