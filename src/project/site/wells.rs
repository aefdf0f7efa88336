//! `[[well]]`: the wells of a site that its CT jobs may name (id, field, depth). Owns the table's checks; the
//! job room reads the list (`crate::project::Site::wells`) and this module knows nothing of jobs.

use crate::project::diag::{Diagnostic, SourceFile};
use serde::Deserialize;
use toml::Spanned;

/// A well of the site, as site.toml lists it.
#[derive(Debug, Clone)]
pub struct WellInfo {
    pub id: String,
    pub field: String,
    pub depth_ft: Option<f64>,
}

/// `[[well]]`: a well jobs may be run on.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWell {
    id: String,
    #[serde(default)]
    field: String,
    depth_ft: Option<f64>,
}

/// At most this many wells on one site.
const MAX_WELLS: usize = 2_000;

pub(super) fn check(raw: Vec<Spanned<RawWell>>, src: &SourceFile<'_>, errs: &mut Vec<Diagnostic>) -> Vec<WellInfo> {
    let mut out: Vec<WellInfo> = Vec::new();
    for (i, w) in raw.into_iter().enumerate() {
        let span = w.span();
        if i >= MAX_WELLS {
            errs.push(src.at(span, format!("at most {MAX_WELLS} [[well]] entries")));
            break;
        }
        let w = w.into_inner();
        let id_ok = !w.id.is_empty()
            && w.id.len() <= 64
            && w.id
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | ' ' | '/'));
        if !id_ok {
            errs.push(src.at(
                span,
                format!("[[well]] id '{}': 1-64 letters, digits, spaces, - _ . /", w.id),
            ));
            continue;
        }
        if w.depth_ft.is_some_and(|d| !(d.is_finite() && d > 0.0 && d <= 60_000.0)) {
            errs.push(src.at(
                span,
                format!("[[well]] {}: depth_ft must be greater than 0 and at most 60,000", w.id),
            ));
            continue;
        }
        if out.iter().any(|o| o.id == w.id) {
            errs.push(src.at(span, format!("[[well]] {} is listed twice", w.id)));
            continue;
        }
        out.push(WellInfo {
            id: w.id,
            field: w.field,
            depth_ft: w.depth_ft,
        });
    }
    out
}
