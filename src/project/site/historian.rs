//! `[historian]`: where the history database is kept, how often it commits and how long each resolution
//! is kept.
//!
//! Owns reading those settings; the historian room owns what they mean (`Retention`). It must not open
//! the database: the wiring does, with these settings.

use crate::historian::retention::Retention;
use crate::project::diag::{Diagnostic, SourceFile};
use serde::Deserialize;
use std::path::PathBuf;
use std::time::Duration;
use toml::Spanned;

/// The `[historian]` table: where history is kept and for how long.
#[derive(Debug, Clone, PartialEq)]
pub struct HistorySettings {
    /// Database file, relative to the project folder; `None`: the default place for this project.
    pub path: Option<PathBuf>,
    pub commit_every: Duration,
    pub retention: Retention,
}

impl Default for HistorySettings {
    fn default() -> Self {
        Self {
            path: None,
            commit_every: Duration::from_secs(1),
            retention: Retention::default(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHistorian {
    path: Option<Spanned<String>>,
    commit_ms: Option<Spanned<u64>>,
    /// Days to keep each resolution; 0 keeps it for ever.
    raw_days: Option<Spanned<u64>>,
    minute_days: Option<Spanned<u64>>,
    hour_days: Option<Spanned<u64>>,
}

/// The settings from `[historian]`, each one not given (or not good) left at its default.
pub(super) fn settings(
    raw: Option<&RawHistorian>,
    src: &SourceFile<'_>,
    errs: &mut Vec<Diagnostic>,
) -> HistorySettings {
    let mut out = HistorySettings::default();
    let Some(raw) = raw else { return out };
    if let Some(p) = &raw.path {
        if p.get_ref().trim().is_empty() {
            errs.push(src.at(p.span(), "historian path must not be empty"));
        } else {
            out.path = Some(PathBuf::from(p.get_ref()));
        }
    }
    if let Some(ms) = &raw.commit_ms {
        if (100..=10_000).contains(ms.get_ref()) {
            out.commit_every = Duration::from_millis(*ms.get_ref());
        } else {
            errs.push(src.at(
                ms.span(),
                "commit_ms must be between 100 and 10000: it is how much history a power cut may take",
            ));
        }
    }
    let days = |d: &Option<Spanned<u64>>, default: Option<Duration>| match d {
        Some(d) if *d.get_ref() == 0 => None,
        Some(d) => Some(Duration::from_secs(d.get_ref().saturating_mul(86_400))),
        None => default,
    };
    let r = &mut out.retention;
    r.raw = days(&raw.raw_days, r.raw);
    r.minute = days(&raw.minute_days, r.minute);
    r.hour = days(&raw.hour_days, r.hour);
    out
}
