//! `[security]`: login lockout and back-off.
//!
//! Owns reading those settings; the `auth` room owns what they mean (`Lockout`) and applies them. It must
//! not touch the user store.

use crate::auth::users::Lockout;
use crate::project::diag::{Diagnostic, SourceFile};
use serde::Deserialize;
use std::time::Duration;
use toml::Spanned;

/// The `[security]` table: login lockout and back-off.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SecuritySettings {
    pub lockout: Lockout,
    /// Failed logins in a row at one console after which each further try waits (1 s, doubling, ≤ 30 s).
    pub backoff_after: u32,
}

impl Default for SecuritySettings {
    fn default() -> Self {
        Self {
            lockout: Lockout::default(),
            backoff_after: 3,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSecurity {
    lockout_after: Option<Spanned<i64>>,
    lockout_min: Option<Spanned<f64>>,
    backoff_after: Option<Spanned<i64>>,
}

/// The settings from `[security]`, each one not given (or not good) left at its default.
pub(super) fn settings(
    raw: Option<&RawSecurity>,
    src: &SourceFile<'_>,
    errs: &mut Vec<Diagnostic>,
) -> SecuritySettings {
    let mut out = SecuritySettings::default();
    let Some(raw) = raw else { return out };
    let mut count = |v: &Option<Spanned<i64>>, lo: i64, what: &str| {
        let v = v.as_ref()?;
        match u32::try_from(*v.get_ref()) {
            Ok(n) if i64::from(n) >= lo && n <= 100 => Some(n),
            _ => {
                errs.push(src.at(v.span(), format!("{what} must be a whole number from {lo} to 100")));
                None
            }
        }
    };
    if let Some(n) = count(&raw.lockout_after, 0, "lockout_after (0: never lock)") {
        out.lockout.after = n;
    }
    if let Some(n) = count(&raw.backoff_after, 1, "backoff_after") {
        out.backoff_after = n;
    }
    if let Some(m) = &raw.lockout_min {
        let v = *m.get_ref();
        if v.is_finite() && (1.0..=1440.0).contains(&v) {
            out.lockout.duration = Duration::from_secs_f64(v * 60.0);
        } else {
            errs.push(src.at(m.span(), "lockout_min must be from 1 to 1440 minutes"));
        }
    }
    out
}
