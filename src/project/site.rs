//! `site.toml`: the site, its drivers and its tags.
//!
//! Parsed in two steps ("parse, don't validate"): serde reads a raw form that keeps every field's
//! span, then `validate` builds the typed `Site` or returns every problem found, each at
//! `path:line:col`. Nothing past this module sees a raw string where a typed id belongs.

use super::diag::{Diagnostic, SourceFile};
use super::files::ProjectFiles;
use super::survey_csv;
use crate::driver::sim::SimDriverConfig;
use crate::sim::{self, PlantConfig, SignalSpec};
use crate::tag::{DriverId, TagDef, TagDirectory, TagId, ValueKind};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use toml::Spanned;

#[derive(Debug, Clone)]
pub struct Site {
    pub name: String,
    pub description: String,
    pub drivers: Vec<DriverConfig>,
    pub tags: Arc<TagDirectory>,
}

#[derive(Debug, Clone)]
pub struct DriverConfig {
    pub id: DriverId,
    pub name: String,
    pub kind: DriverKind,
}

#[derive(Debug, Clone)]
pub enum DriverKind {
    Sim(SimDriverConfig),
}

impl DriverKind {
    /// The simulator settings, when this is the simulator driver.
    pub fn as_sim(&self) -> Option<&SimDriverConfig> {
        match self {
            DriverKind::Sim(c) => Some(c),
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            DriverKind::Sim(_) => "sim",
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSite {
    site: RawSiteInfo,
    #[serde(default)]
    driver: Vec<RawDriver>,
    #[serde(default)]
    tag: Vec<RawTag>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSiteInfo {
    name: Spanned<String>,
    #[serde(default)]
    description: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDriver {
    name: Spanned<String>,
    kind: Spanned<String>,
    sim: Option<Spanned<RawSimOptions>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSimOptions {
    #[serde(default = "default_seed")]
    seed: u64,
    speed: Option<Spanned<f64>>,
    period_ms: Option<Spanned<u64>>,
    esp_wells: Option<Spanned<i64>>,
    ct_survey: Spanned<String>,
    ct_start_depth_ft: Option<Spanned<f64>>,
    ct_fill_top_ft: Option<Spanned<f64>>,
}

fn default_seed() -> u64 {
    42
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTag {
    name: Spanned<String>,
    driver: Spanned<String>,
    address: Option<Spanned<String>>,
    #[serde(rename = "type")]
    kind: Option<Spanned<String>>,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    description: String,
    range: Option<Spanned<[f64; 2]>>,
    decimals: Option<Spanned<i64>>,
    stale_after_ms: Option<Spanned<u64>>,
}

/// Default stale period for tags that do not set one.
pub const DEFAULT_STALE_AFTER: Duration = Duration::from_secs(5);

/// The per-driver knowledge the tag checks need: which addresses exist and their value kinds.
enum AddressBook {
    Sim(HashMap<String, SignalSpec>),
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
    let raw: RawSite = toml::from_str(text).map_err(|e| vec![src.toml_error(&e)])?;
    validate(raw, &src, files)
}

fn validate(raw: RawSite, src: &SourceFile<'_>, files: &ProjectFiles) -> Result<Site, Vec<Diagnostic>> {
    let mut errs = Vec::new();
    if raw.site.name.get_ref().trim().is_empty() {
        errs.push(src.at(raw.site.name.span(), "site name must not be empty"));
    }

    let mut drivers = Vec::new();
    let mut books = Vec::new();
    let mut driver_ids: HashMap<String, DriverId> = HashMap::new();
    for d in raw.driver {
        let name = d.name.get_ref().clone();
        if !is_valid_name(&name, false) {
            errs.push(src.at(
                d.name.span(),
                format!("driver name '{name}' must be letters, digits, '_' or '-'"),
            ));
        }
        if driver_ids.contains_key(&name) {
            errs.push(src.at(d.name.span(), format!("driver '{name}' is defined twice")));
            continue;
        }
        let Ok(index) = u16::try_from(drivers.len()) else {
            errs.push(src.at(d.name.span(), "too many drivers (at most 65,535)"));
            break;
        };
        let id = DriverId(index);
        let kind = match d.kind.get_ref().as_str() {
            "sim" => match d.sim {
                Some(opts) => sim_driver(opts, src, files, &mut errs),
                None => {
                    errs.push(src.at(
                        d.kind.span(),
                        "a 'sim' driver needs a [driver.sim] table (at least ct_survey)",
                    ));
                    None
                }
            },
            other => {
                errs.push(src.at(
                    d.kind.span(),
                    format!("unknown driver kind '{other}' (this build supports: sim)"),
                ));
                None
            }
        };
        if let Some((kind, book)) = kind {
            driver_ids.insert(name.clone(), id);
            drivers.push(DriverConfig { id, name, kind });
            books.push(book);
        }
    }

    let mut defs = Vec::new();
    let mut tag_names: HashMap<String, ()> = HashMap::new();
    for t in raw.tag {
        let name = t.name.get_ref().clone();
        if !is_valid_name(&name, true) {
            errs.push(src.at(
                t.name.span(),
                format!("tag name '{name}' must be path segments of letters, digits, '_' or '-' separated by '/', e.g. ct01/weight"),
            ));
        }
        if tag_names.insert(name.clone(), ()).is_some() {
            errs.push(src.at(t.name.span(), format!("tag '{name}' is defined twice")));
            continue;
        }
        let Some(&driver) = driver_ids.get(t.driver.get_ref()) else {
            errs.push(src.at(
                t.driver.span(),
                format!(
                    "tag '{name}' uses driver '{}', which is not defined",
                    t.driver.get_ref()
                ),
            ));
            continue;
        };
        let address = t.address.as_ref().map_or_else(|| name.clone(), |a| a.get_ref().clone());
        let address_span = t.address.as_ref().map_or(t.name.span(), Spanned::span);
        let declared = match &t.kind {
            Some(k) => match parse_kind(k.get_ref()) {
                Some(kind) => Some(kind),
                None => {
                    errs.push(src.at(
                        k.span(),
                        format!("unknown type '{}' (expected f64, i64, bool or string)", k.get_ref()),
                    ));
                    continue;
                }
            },
            None => None,
        };
        let (kind, signal) = match &books[driver.index()] {
            AddressBook::Sim(signals) => match signals.get(&address) {
                Some(spec) => {
                    if let (Some(k), Some(ks)) = (declared, t.kind.as_ref())
                        && k != spec.kind
                    {
                        errs.push(src.at(
                            ks.span(),
                            format!(
                                "tag '{name}' is declared {} but sim signal '{address}' is {}",
                                kind_name(k),
                                kind_name(spec.kind)
                            ),
                        ));
                    }
                    (spec.kind, Some(spec))
                }
                None => {
                    errs.push(src.at(address_span, format!("the simulator has no signal '{address}'")));
                    continue;
                }
            },
        };
        let range = match &t.range {
            Some(r) => {
                let [lo, hi] = *r.get_ref();
                if !(lo.is_finite() && hi.is_finite() && lo < hi) {
                    errs.push(src.at(
                        r.span(),
                        format!("range [{lo}, {hi}] must be two finite numbers, low < high"),
                    ));
                }
                Some((lo, hi))
            }
            None => signal.and_then(|s| s.range),
        };
        let decimals = match &t.decimals {
            Some(d) if !(0..=9).contains(d.get_ref()) => {
                errs.push(src.at(d.span(), "decimals must be between 0 and 9"));
                0
            }
            Some(d) => usize::try_from(*d.get_ref()).unwrap_or(0),
            None => signal.map_or(2, |s| s.decimals),
        };
        let stale_after = match &t.stale_after_ms {
            Some(ms) if *ms.get_ref() == 0 => {
                errs.push(src.at(ms.span(), "stale_after_ms must be greater than 0"));
                DEFAULT_STALE_AFTER
            }
            Some(ms) => Duration::from_millis(*ms.get_ref()),
            None => DEFAULT_STALE_AFTER,
        };
        let unit = if t.unit.is_empty() {
            signal.map_or(String::new(), |s| s.unit.to_owned())
        } else {
            t.unit
        };
        let description = if t.description.is_empty() {
            signal.map_or(String::new(), |s| s.description.clone())
        } else {
            t.description
        };
        let Ok(index) = u32::try_from(defs.len()) else {
            errs.push(src.at(t.name.span(), "too many tags"));
            break;
        };
        defs.push(TagDef {
            id: TagId(index),
            name,
            description,
            unit,
            kind,
            range,
            decimals,
            driver,
            address,
            stale_after,
        });
    }

    if errs.is_empty() {
        Ok(Site {
            name: raw.site.name.into_inner(),
            description: raw.site.description,
            drivers,
            tags: Arc::new(TagDirectory::new(defs)),
        })
    } else {
        Err(errs)
    }
}

fn sim_driver(
    opts: Spanned<RawSimOptions>,
    src: &SourceFile<'_>,
    files: &ProjectFiles,
    errs: &mut Vec<Diagnostic>,
) -> Option<(DriverKind, AddressBook)> {
    let opts = opts.into_inner();
    let before = errs.len();
    let speed = opts.speed.as_ref().map_or(1.0, |s| *s.get_ref());
    if let Some(s) = &opts.speed
        && !(speed.is_finite() && speed > 0.0 && speed <= 1_000.0)
    {
        errs.push(src.at(
            s.span(),
            "speed must be greater than 0 and at most 1000 (times real time)",
        ));
    }
    let period_ms = opts.period_ms.as_ref().map_or(100, |p| *p.get_ref());
    if let Some(p) = &opts.period_ms
        && !(10..=10_000).contains(&period_ms)
    {
        errs.push(src.at(p.span(), "period_ms must be between 10 and 10000"));
    }
    let esp_wells = opts.esp_wells.as_ref().map_or(6, |n| *n.get_ref());
    if let Some(n) = &opts.esp_wells
        && !(1..=24).contains(&esp_wells)
    {
        errs.push(src.at(n.span(), "esp_wells must be between 1 and 24"));
    }
    let survey_rel = opts.ct_survey.get_ref().clone();
    let survey = match files.get(&survey_rel) {
        Some(text) => {
            let path = files.display_path(&survey_rel);
            match survey_csv::parse(&SourceFile::new(&path, text)) {
                Ok(s) => Some(s),
                Err(mut e) => {
                    errs.append(&mut e);
                    None
                }
            }
        }
        None => {
            errs.push(src.at(
                opts.ct_survey.span(),
                format!("survey file '{survey_rel}' not found in the project (paths are relative to the project directory, e.g. data/ct01_survey.csv)"),
            ));
            None
        }
    };
    let survey = survey?;
    let td = survey.total_md_ft();
    let mut plant = PlantConfig::demo(opts.seed, survey);
    plant.esp_wells = usize::try_from(esp_wells).unwrap_or(6);
    for (field, target) in [
        (&opts.ct_start_depth_ft, &mut plant.ct.start_depth_ft),
        (&opts.ct_fill_top_ft, &mut plant.ct.fill_top_ft),
    ] {
        if let Some(v) = field {
            if !(0.0..=td).contains(v.get_ref()) {
                errs.push(src.at(
                    v.span(),
                    format!("depth {} ft is outside the well (0 to {td} ft MD)", v.get_ref()),
                ));
            }
            *target = *v.get_ref();
        }
    }
    if errs.len() > before {
        return None;
    }
    let book = sim::catalog(plant.esp_wells)
        .into_iter()
        .map(|s| (s.address.clone(), s))
        .collect();
    let cfg = SimDriverConfig {
        plant,
        speed,
        period: Duration::from_millis(period_ms),
    };
    Some((DriverKind::Sim(cfg), AddressBook::Sim(book)))
}

fn parse_kind(s: &str) -> Option<ValueKind> {
    match s {
        "f64" => Some(ValueKind::F64),
        "i64" => Some(ValueKind::I64),
        "bool" => Some(ValueKind::Bool),
        "string" => Some(ValueKind::String),
        _ => None,
    }
}

fn kind_name(k: ValueKind) -> &'static str {
    match k {
        ValueKind::F64 => "f64",
        ValueKind::I64 => "i64",
        ValueKind::Bool => "bool",
        ValueKind::String => "string",
    }
}

fn is_valid_name(name: &str, allow_path: bool) -> bool {
    let segment_ok = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if allow_path {
        name.split('/').all(segment_ok)
    } else {
        segment_ok(name)
    }
}
