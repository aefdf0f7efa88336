//! Projects: a directory (or the embedded demo) with `site.toml`, `data/`, `screens/`, `symbols/`
//! and `alarms/`. Owns reading, validating and reporting problems in them; it starts nothing.

pub mod alarms;
pub mod diag;
pub mod files;
pub mod screens;
pub mod site;
pub mod survey_csv;
pub mod symbols;
pub mod trips;
pub mod watch;

pub use diag::{Diagnostic, SourceFile};
pub use files::{FilesError, Origin, ProjectFiles};
pub use site::{DriverConfig, DriverKind, Site};

/// A loaded, validated project.
#[derive(Debug, Clone)]
pub struct Project {
    pub files: ProjectFiles,
    pub site: Site,
    pub alarms: std::sync::Arc<crate::alarm::AlarmSet>,
    pub trips: std::sync::Arc<crate::trip::TripSet>,
    pub screens: std::sync::Arc<crate::screen::ScreenSet>,
}

impl Project {
    pub fn load(files: ProjectFiles) -> Result<Self, Vec<Diagnostic>> {
        let mut problems = check_other_files(&files);
        match site::load(&files) {
            Ok(site) => {
                let alarms = alarms::load(&files, &site.tags);
                let trips = trips::load(&files, &site.tags);
                let screens = screens::load(&files, &site.tags);
                match (alarms, trips, screens) {
                    (Ok(alarms), Ok(trips), Ok(screens)) if problems.is_empty() => Ok(Self {
                        files,
                        site,
                        alarms: std::sync::Arc::new(alarms),
                        trips: std::sync::Arc::new(trips),
                        screens: std::sync::Arc::new(screens),
                    }),
                    (a, t, s) => {
                        problems.extend(a.err().unwrap_or_default());
                        problems.extend(t.err().unwrap_or_default());
                        problems.extend(s.err().unwrap_or_default());
                        Err(problems)
                    }
                }
            }
            Err(mut e) => {
                e.extend(problems);
                Err(e)
            }
        }
    }

    /// The alarm journal: beside the history database, so one folder holds a site's records.
    pub fn alarm_journal_path(&self) -> std::path::PathBuf {
        self.history_path().with_file_name("alarms.db")
    }

    pub fn demo() -> Result<Self, Vec<Diagnostic>> {
        Self::load(ProjectFiles::embedded_demo())
    }

    /// Where this project's history database lives: `[historian] path` (relative to the project folder),
    /// else `history/history.db` in it; the built-in demo keeps its history in the user's data folder.
    pub fn history_path(&self) -> std::path::PathBuf {
        let configured = self.site.historian.path.as_deref();
        match (&self.files.origin, configured) {
            (_, Some(p)) if p.is_absolute() => p.to_path_buf(),
            (Origin::Directory(dir), Some(p)) => dir.join(p),
            (Origin::Directory(dir), None) => dir.join("history").join("history.db"),
            (Origin::EmbeddedDemo, p) => user_data_dir()
                .join("demo")
                .join(p.unwrap_or(std::path::Path::new("history.db"))),
        }
    }
}

/// `$XDG_DATA_HOME/wellconsole`, else `~/.local/share/wellconsole`, else `./wellconsole-data`.
fn user_data_dir() -> std::path::PathBuf {
    let from = |var: &str| {
        std::env::var_os(var)
            .filter(|v| !v.is_empty())
            .map(std::path::PathBuf::from)
    };
    from("XDG_DATA_HOME")
        .or_else(|| from("HOME").map(|h| h.join(".local").join("share")))
        .map_or_else(
            || std::path::PathBuf::from("wellconsole-data"),
            |d| d.join("wellconsole"),
        )
}

/// Every problem in a project, in file order; empty when it is valid.
pub fn check(files: &ProjectFiles) -> Vec<Diagnostic> {
    match Project::load(files.clone()) {
        Ok(_) => Vec::new(),
        Err(mut e) => {
            e.sort_by(|a, b| (&a.path, a.line, a.col).cmp(&(&b.path, b.line, b.col)));
            e.dedup();
            e
        }
    }
}

/// Files that could not be read as text. Everything else is checked by its own loader.
fn check_other_files(files: &ProjectFiles) -> Vec<Diagnostic> {
    files
        .unreadable()
        .iter()
        .map(|(rel, why)| Diagnostic {
            path: files.display_path(rel),
            line: 1,
            col: 1,
            message: why.clone(),
        })
        .collect()
}
