//! `kind = "sim"`: the `[driver.sim]` table (the demo plant: its survey, speed and wells) and the tags bound
//! to the simulator's signals.
//!
//! Owns the simulator driver's options and what a tag on it may say. The plant models and their signal
//! catalogue are the `sim` room's; this module only reads them, and starts nothing.

use super::drivers::{AddressBook, DriverKind};
use super::tags::{TagEntry, kind_name};
use crate::driver::sim::SimDriverConfig;
use crate::project::diag::{Diagnostic, SourceFile};
use crate::project::files::ProjectFiles;
use crate::project::survey_csv;
use crate::sim::{self, PlantConfig, SignalSpec};
use serde::Deserialize;
use std::collections::HashMap;
use std::time::Duration;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSimOptions {
    #[serde(default = "default_seed")]
    seed: u64,
    speed: Option<Spanned<f64>>,
    period_ms: Option<Spanned<u64>>,
    esp_wells: Option<Spanned<i64>>,
    ct_survey: Spanned<String>,
    ct_start_depth_ft: Option<Spanned<f64>>,
    ct_fill_top_ft: Option<Spanned<f64>>,
    /// Minutes each ESP well spends routed to the test separator before the next (0: esp01 stays).
    test_rotation_min: Option<Spanned<f64>>,
}

fn default_seed() -> u64 {
    42
}

/// What a missing `[driver.sim]` table needs at least.
pub(super) const NEEDS: &str = "a 'sim' driver needs a [driver.sim] table (at least ct_survey)";

/// The simulator driver from its `[driver.sim]` table, with its signals as the address book; `None` after
/// any problem.
pub(super) fn driver(
    opts: RawSimOptions,
    src: &SourceFile<'_>,
    files: &ProjectFiles,
    errs: &mut Vec<Diagnostic>,
) -> Option<(DriverKind, AddressBook)> {
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
    if let Some(r) = &opts.test_rotation_min {
        let min = *r.get_ref();
        if min.is_finite() && (min == 0.0 || (5.0..=10_080.0).contains(&min)) {
            plant.test_rotation_s = min * 60.0;
        } else {
            errs.push(src.at(
                r.span(),
                "test_rotation_min must be 0 (esp01 stays on test) or between 5 and 10080 minutes (a week)",
            ));
        }
    }
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

/// A tag on the simulator: the signal its address names, checked against the tag's `type`, scaling and
/// `writable`. `None` when the simulator has no such signal (the tag is not made).
pub(super) fn bind<'b>(
    tag: &TagEntry<'_>,
    signals: &'b HashMap<String, SignalSpec>,
    src: &SourceFile<'_>,
    errs: &mut Vec<Diagnostic>,
) -> Option<&'b SignalSpec> {
    let (t, name, address) = (tag.raw, tag.name, tag.address);
    let Some(spec) = signals.get(address) else {
        errs.push(src.at(
            tag.address_span.clone(),
            format!("the simulator has no signal '{address}'"),
        ));
        return None;
    };
    if let (Some(k), Some(ks)) = (tag.declared, t.kind.as_ref())
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
    for f in [&t.gain, &t.offset].into_iter().flatten() {
        errs.push(src.at(
            f.span(),
            "gain and offset scale raw device values; simulator signals are already in engineering units",
        ));
    }
    if tag.writable && !spec.writable {
        errs.push(src.at(tag.address_span.clone(), format!("tag '{name}' is writable but sim signal '{address}' is a measurement; the demo plant takes writes on ct01/shutdown and espNN/running")));
    }
    Some(spec)
}
