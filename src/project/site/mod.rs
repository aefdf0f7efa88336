//! `site.toml`: the site, its drivers and its tags.
//!
//! Parsed in two steps ("parse, don't validate"): serde reads a raw form that keeps every field's
//! span, then `validate` builds the typed `Site` or returns every problem found, each at
//! `path:line:col`. Nothing past this module sees a raw string where a typed id belongs.
//!
//! This file owns the `Site`, reading the file and the order of the checks; each table is checked in its own
//! module: `drivers` (`[[driver]]`: names and kinds), one module per driver kind for its options and its
//! tags' addresses (`sim`, `modbus`, `mqtt`, `opcua`), `tags` (`[[tag]]`), `historian`, `records` and
//! `security`; `credentials` holds what the protocols share (passwords, PEM files). Every module only pushes
//! problems to the list it is given: the order they are listed in is the order of the checks here.
//!
//! A `[[tag]]` with `expr = "…"` is a calculated tag: it belongs to the implicit driver `calc` (made only
//! when the site has one), and its expression is compiled by `calc_tags` once every tag is known. A
//! `[ct.<unit>]` table (`ct`) adds the tags the CT string service computes, on the implicit driver `ctstring`.

mod api;
mod credentials;
mod ct;
mod drivers;
mod forward;
mod historian;
mod modbus;
mod mqtt;
mod opcua;
mod production;
mod records;
mod security;
mod share;
mod sim;
mod tags;
mod wells;

pub use api::{ApiConfig, ServerTls};
pub use ct::{CT_DRIVER, JOB_DRIVER};
pub use drivers::{CALC_DRIVER, DriverConfig, DriverKind};
pub use forward::ForwardConfig;
pub use historian::HistorySettings;
pub use records::RecordsSettings;
pub use security::SecuritySettings;
pub use share::{EdgeConfig, ShareConfig};
pub use tags::DEFAULT_STALE_AFTER;
pub use wells::WellInfo;
// Calculated tags' type errors name types as site.toml writes them.
pub(super) use tags::kind_name;

use super::calc_tags;
use super::diag::{Diagnostic, SourceFile};
use super::files::ProjectFiles;
use super::parts::Parts;
use crate::calculated::CalcSet;
use crate::tag::TagDirectory;
use serde::Deserialize;
use std::sync::Arc;
use toml::Spanned;

#[derive(Debug, Clone)]
pub struct Site {
    pub name: String,
    pub description: String,
    pub drivers: Vec<DriverConfig>,
    pub tags: Arc<TagDirectory>,
    /// The calculated tags (`[[tag]] expr = "…"`), compiled, in dependency order.
    pub calculated: Arc<CalcSet>,
    /// CT units whose string the console engineers live (`[ct.<unit>]`).
    pub ct_units: Vec<crate::ctstring::config::CtUnitConfig>,
    /// The site's wells (`[[well]]`): what a job may name.
    pub wells: Vec<wells::WellInfo>,
    /// The test separator, producing wells and pump catalogue (`[production]`), when the site has them.
    pub production: Option<Arc<crate::project::production_config::ProductionConfig>>,
    pub historian: HistorySettings,
    pub records: RecordsSettings,
    pub security: SecuritySettings,
    /// The central store history is forwarded to (`[forward]`), when the site has one.
    pub forward: Option<ForwardConfig>,
    /// The read-only HTTP API this console serves (`[api]`), when the site has one.
    pub api: Option<ApiConfig>,
    /// The broker the site's consoles share their people's alarm actions through (`[share]`).
    pub share: Option<ShareConfig>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSite {
    site: RawSiteInfo,
    /// `[[driver]]` and `[[tag]]` are read entry by entry before the rest (see `read`); declared here
    /// so the message for a misspelt top-level key lists them.
    #[serde(default)]
    driver: Vec<drivers::RawDriver>,
    #[serde(default)]
    tag: Vec<tags::RawTag>,
    historian: Option<historian::RawHistorian>,
    records: Option<records::RawRecords>,
    security: Option<security::RawSecurity>,
    #[serde(default)]
    ct: std::collections::BTreeMap<String, Spanned<ct::RawCtUnit>>,
    #[serde(default)]
    well: Vec<Spanned<wells::RawWell>>,
    production: Option<Spanned<production::RawProduction>>,
    forward: Option<Spanned<forward::RawForward>>,
    api: Option<Spanned<api::RawApi>>,
    share: Option<Spanned<share::RawShare>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSiteInfo {
    name: Spanned<String>,
    #[serde(default)]
    description: String,
}

pub fn load(files: &ProjectFiles) -> Result<Site, Vec<Diagnostic>> {
    let path = files.display_path("site.toml");
    let Some(text) = files.get("site.toml") else {
        return Err(vec![Diagnostic {
            path,
            line: 1,
            col: 1,
            message: "site.toml is missing".into(),
        }]);
    };
    let src = SourceFile::new(&path, text);
    let mut errs = Vec::new();
    match read(&src, &mut errs) {
        Some((raw, broken_drivers)) => validate(raw, broken_drivers, &src, files, errs),
        None => Err(errs),
    }
}

/// `site.toml` read entry by entry, every syntax and schema problem pushed to `errs`: the drivers and
/// tags that fit (checked next, so their problems are reported too), and the names of drivers whose
/// entries did not. `None` when the file does not parse or a table every site needs (`[site]`) is bad.
fn read(src: &SourceFile<'_>, errs: &mut Vec<Diagnostic>) -> Option<(RawSite, Vec<String>)> {
    let mut parts = match Parts::parse(src) {
        Ok(p) => p,
        Err(d) => {
            errs.push(d);
            return None;
        }
    };
    let (drivers, broken_drivers) = parts.list_named("driver", src, errs);
    let tags = parts.list("tag", src, errs);
    let mut raw: RawSite = parts.rest(src, errs)?;
    raw.driver = drivers;
    raw.tag = tags;
    Some((raw, broken_drivers))
}

/// Builds the `Site`, or every problem: `errs` comes with those found while reading, and any problem
/// at all refuses the site. Tags on a driver that has problems of its own (`broken_drivers`, or found
/// here) are left unchecked rather than reported as using an undefined driver.
fn validate(
    raw: RawSite,
    broken_drivers: Vec<String>,
    src: &SourceFile<'_>,
    files: &ProjectFiles,
    mut errs: Vec<Diagnostic>,
) -> Result<Site, Vec<Diagnostic>> {
    if raw.site.name.get_ref().trim().is_empty() {
        errs.push(src.at(raw.site.name.span(), "site name must not be empty"));
    }
    // Drivers first: a tag is checked against its driver's addresses.
    let mut drivers = drivers::check(raw.driver, broken_drivers, src, files, &mut errs);
    let (mut defs, pending) = tags::check(raw.tag, &mut drivers, src, &mut errs);
    // Every tag is known now: calculated tags may read any of them, other calculated tags included.
    let calculated = calc_tags::compile(pending, &mut defs, src, &mut errs);
    let ct_units = ct::check(raw.ct, &mut defs, &mut drivers, src, files, &mut errs);
    let wells = wells::check(raw.well, src, &mut errs);
    let production = production::check(raw.production, &mut defs, &mut drivers, src, files, &mut errs).map(Arc::new);
    let historian = historian::settings(raw.historian.as_ref(), src, &mut errs);
    let records = records::settings(raw.records.as_ref(), raw.site.name.get_ref(), src, &mut errs);
    let security = security::settings(raw.security.as_ref(), src, &mut errs);
    let forward = forward::settings(raw.forward.as_ref(), files, src, &mut errs);
    let api = api::settings(raw.api.as_ref(), files, src, &mut errs);
    let share = share::settings(raw.share.as_ref(), raw.site.name.get_ref(), files, src, &mut errs);
    if errs.is_empty() {
        Ok(Site {
            name: raw.site.name.into_inner(),
            description: raw.site.description,
            drivers: drivers.configs,
            tags: Arc::new(TagDirectory::new(defs)),
            calculated: Arc::new(calculated),
            ct_units,
            wells,
            production,
            historian,
            records,
            security,
            forward,
            api,
            share,
        })
    } else {
        Err(errs)
    }
}

/// A driver's name (one segment) or a tag's (`allow_path`: segments separated by '/').
fn is_valid_name(name: &str, allow_path: bool) -> bool {
    let segment_ok = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if allow_path {
        name.split('/').all(segment_ok)
    } else {
        segment_ok(name)
    }
}
