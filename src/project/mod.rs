//! Projects: a directory (or the embedded demo) with `site.toml`, `data/`, `screens/`, `symbols/`
//! and `alarms/`. Owns reading, validating and reporting problems in them (`path:line:col`), and reloading
//! them while a console runs: `watch` notices edits (one thread, started by `runtime` when asked), `reload`
//! says what is reloaded and where a good set goes.
//!
//! The loaders build the definitions of the rooms below (`tag`, `alarm`, `trip`, `screen`, `sim`, the
//! drivers' configurations); those rooms never import `project`. It names no running service: a reload hands
//! its set to a cell or a function the wiring gives it, never to the hub or the UI.

pub mod alarms;
mod calc_tags;
pub mod diag;
pub mod files;
mod parts;
pub mod production_config;
pub mod production_csv;
pub mod reels;
pub mod reload;
pub mod screens;
pub mod site;
pub mod survey_csv;
pub mod symbols;
pub mod trips;
pub mod watch;

pub use diag::{Diagnostic, SourceFile, listing};
pub use files::{FilesError, Origin, ProjectFiles};
pub use site::{DriverConfig, DriverKind, Site};
pub use watch::ConfigProblems;

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
                // Without the site's tags the other files cannot be checked against them, but what they
                // hold can still be read: their syntax and schema problems are reported now, not after
                // site.toml is mended.
                e.extend(alarms::read_problems(&files));
                e.extend(trips::read_problems(&files));
                e.extend(screens::read_problems(&files));
                e.extend(problems);
                Err(e)
            }
        }
    }

    /// Where this site's records live: `[records] dir` (relative to the project folder), else the folder
    /// of the project's history database (its default place, whatever `--history-db` says: a flag must not
    /// move the user store or the audit trail).
    pub fn records_dir(&self) -> std::path::PathBuf {
        let base = match &self.files.origin {
            Origin::Directory(dir) => dir.clone(),
            Origin::EmbeddedDemo => user_data_dir().join("demo"),
        };
        match &self.site.records.dir {
            Some(d) => base.join(d),
            None => self
                .history_path()
                .parent()
                .map_or_else(|| base.clone(), std::path::Path::to_path_buf),
        }
    }

    /// The site key's file: `[records] key`, else `site.key` in the records folder.
    pub fn site_key_path(&self) -> std::path::PathBuf {
        match (&self.site.records.key, &self.files.origin) {
            (Some(k), Origin::Directory(dir)) => dir.join(k),
            (Some(k), Origin::EmbeddedDemo) => user_data_dir().join("demo").join(k),
            (None, _) => self.records_dir().join("site.key"),
        }
    }

    /// Opens the records folder and its key (see `records::Records::open`). When the key is made (a
    /// first start, or a site from before keys), user records from before are sealed with it, once.
    pub fn records(&self) -> Result<crate::records::Records, crate::records::RecordsError> {
        let dir = self.records_dir();
        // Either record names the key; both gone with the key is the one case a new key is made over
        // old records (and then it vouches for none of them: sealed users are refused).
        let sealed_in = |file: &str, table: &str| {
            let path = dir.join(file);
            crate::records::sealed_key_id(&path, table)
                .map_err(|source| crate::records::RecordsError::Unreadable { path, source })
        };
        let sealed = match sealed_in("audit.db", crate::auth::audit::META_TABLE)? {
            Some(id) => Some(id),
            None => sealed_in("users.db", crate::auth::users::META_TABLE)?,
        };
        let (records, made) = crate::records::Records::open(&dir, &self.site_key_path(), sealed.as_deref())?;
        if made && records.users().is_file() {
            match self.user_store(&records).open().and_then(|u| u.seal_unsealed()) {
                Ok(0) => {}
                Ok(n) => tracing::warn!(users = n, "user records from before site keys sealed with the new key"),
                Err(e) => tracing::error!(error = %e, "user records could not be sealed"),
            }
        }
        Ok(records)
    }

    /// The audit trail of these records, with this site's external anchor.
    pub fn audit_trail(&self, records: &crate::records::Records) -> crate::auth::audit::AuditTrail {
        crate::auth::audit::AuditTrail {
            external: self.site.records.anchor.clone(),
            ..crate::auth::audit::AuditTrail::of(records)
        }
    }

    /// The user store of these records, with this site's lockout settings.
    pub fn user_store(&self, records: &crate::records::Records) -> crate::auth::users::UserStoreConfig {
        crate::auth::users::UserStoreConfig {
            path: records.users(),
            key: records.key.clone(),
            lockout: self.site.security.lockout,
        }
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
