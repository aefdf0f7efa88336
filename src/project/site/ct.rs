//! `[ct.<unit>]`: a coiled-tubing unit whose string the console engineers live (`crate::ctstring`): which
//! reel record it runs (`reels/*.toml`), the well it is in (survey, hole), its fluid and BHA, the surface
//! loads of the weight model, and the tags that feed it. Each unit gets the tags the service computes
//! (`<unit>/fatigue_max`, `<unit>/overpull`, …) on the implicit driver `ctstring`, so history, alarms,
//! screens and trends treat them as any other tag; their alarms are data (`alarms/*.toml`).
//!
//! Owns the table's checks and the computed tags' definitions. It starts nothing and computes nothing.

use super::drivers::{DriverKind, Drivers};
use crate::calc::hydraulics::Fluid;
use crate::calc::survey::Survey;
use crate::ctstring::config::{CtInputs, CtOutputs, CtUnitConfig, JobTags};
use crate::ctstring::reel::ReelRecord;
use crate::project::diag::{Diagnostic, SourceFile};
use crate::project::files::ProjectFiles;
use crate::project::survey_csv;
use crate::tag::{DriverId, HistoryMode, TagDef, TagId, ValueKind};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;
use toml::Spanned;

/// The name of the CT string service's implicit driver (a `[[driver]]` may not take it).
pub const CT_DRIVER: &str = "ctstring";
/// The name of the CT job service's implicit driver.
pub const JOB_DRIVER: &str = "jobs";

/// At most this many CT units on one site.
const MAX_UNITS: usize = 16;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCtUnit {
    label: Option<String>,
    reel: Spanned<String>,
    survey: Spanned<String>,
    hole_id_in: Spanned<f64>,
    depth: Spanned<String>,
    weight: Spanned<String>,
    circ_pressure: Spanned<String>,
    wellhead_pressure: Spanned<String>,
    pump_rate: Spanned<String>,
    #[serde(default)]
    speed: Option<Spanned<String>>,
    #[serde(default)]
    fluid_total: Option<Spanned<String>>,
    fluid: Spanned<Fluid>,
    fluid_ppg: Spanned<f64>,
    nozzle_tfa_in2: Spanned<f64>,
    #[serde(default = "default_cd")]
    nozzle_cd: Spanned<f64>,
    #[serde(default = "default_friction")]
    friction_factors: Spanned<Vec<f64>>,
    stripper_friction_lbf: Spanned<f64>,
    reel_back_tension_lbf: Spanned<f64>,
    injector_snub_capacity_lbf: Spanned<f64>,
    injector_pull_capacity_lbf: Spanned<f64>,
    #[serde(default)]
    bha_weight_lbf: Option<Spanned<f64>>,
    weight_margin_lbf: Spanned<f64>,
    min_cleaning_velocity_fpm: Spanned<f64>,
    pipe_load_alarm_pct: Spanned<f64>,
    #[serde(default)]
    cell_ft: Option<Spanned<f64>>,
}

fn default_cd() -> Spanned<f64> {
    Spanned::new(0..0, 0.95)
}

fn default_friction() -> Spanned<Vec<f64>> {
    Spanned::new(0..0, vec![0.1, 0.2, 0.3, 0.4])
}

/// A computed tag: signal name, unit, decimals, range, label (en, es), description (en, es).
struct Output {
    signal: &'static str,
    unit: &'static str,
    decimals: usize,
    range: (f64, f64),
    label: (&'static str, &'static str),
    description: (&'static str, &'static str),
}

const CT_OUTPUTS: [Output; 10] = [
    Output {
        signal: "fatigue_max",
        unit: "%",
        decimals: 1,
        range: (0.0, 100.0),
        label: ("String fatigue (worst foot)", "Fatiga de la sarta (peor pie)"),
        description: (
            "Fatigue life used at the string's worst position (Miner's rule, welds derated)",
            "Vida a la fatiga consumida en la peor posición de la sarta (regla de Miner, soldaduras degradadas)",
        ),
    },
    Output {
        signal: "running_ft",
        unit: "ft",
        decimals: 0,
        range: (0.0, 1.0e6),
        label: ("Running feet", "Pies corridos"),
        description: (
            "Feet the string has run in and out of wells, all jobs",
            "Pies que la sarta ha bajado y sacado de pozos, todos los trabajos",
        ),
    },
    Output {
        signal: "running_ft_pct",
        unit: "%",
        decimals: 1,
        range: (0.0, 100.0),
        label: ("Running feet, % of limit", "Pies corridos, % del límite"),
        description: (
            "Running feet as a share of the reel's retirement limit",
            "Pies corridos como parte del límite de retiro del carrete",
        ),
    },
    Output {
        signal: "weight_pick_up_model",
        unit: "lbf",
        decimals: 0,
        range: (-20_000.0, 60_000.0),
        label: ("Pick-up weight (model)", "Peso al levantar (modelo)"),
        description: (
            "Predicted weight pulling out at this depth, highest friction factor (soft-string model)",
            "Peso previsto al sacar a esta profundidad, mayor factor de fricción (modelo de sarta blanda)",
        ),
    },
    Output {
        signal: "weight_slack_off_model",
        unit: "lbf",
        decimals: 0,
        range: (-20_000.0, 60_000.0),
        label: ("Slack-off weight (model)", "Peso al bajar (modelo)"),
        description: (
            "Predicted weight running in at this depth, highest friction factor (soft-string model)",
            "Peso previsto al bajar a esta profundidad, mayor factor de fricción (modelo de sarta blanda)",
        ),
    },
    Output {
        signal: "overpull",
        unit: "lbf",
        decimals: 0,
        range: (0.0, 60_000.0),
        label: ("Overpull over model", "Sobretensión sobre el modelo"),
        description: (
            "Weight above the pick-up model (0 inside the band): stuck pipe or drag on fill",
            "Peso sobre el modelo al levantar (0 dentro de la banda): tubería pegada o arrastre en relleno",
        ),
    },
    Output {
        signal: "set_down",
        unit: "lbf",
        decimals: 0,
        range: (0.0, 60_000.0),
        label: ("Set-down under model", "Asentamiento bajo el modelo"),
        description: (
            "Weight below the slack-off model (0 inside the band): an obstruction or lock-up",
            "Peso bajo el modelo al bajar (0 dentro de la banda): una obstrucción o bloqueo",
        ),
    },
    Output {
        signal: "circ_pressure_model",
        unit: "psi",
        decimals: 0,
        range: (0.0, 10_000.0),
        label: ("Pump pressure (model)", "Presión de bombeo (modelo)"),
        description: (
            "Predicted circulating pressure: wellhead + annulus + CT on reel and in well + nozzle",
            "Presión de circulación prevista: cabeza + anular + TF en carrete y en pozo + boquilla",
        ),
    },
    Output {
        signal: "pipe_load",
        unit: "%",
        decimals: 1,
        range: (0.0, 150.0),
        label: ("Pipe load (von Mises)", "Carga de la tubería (von Mises)"),
        description: (
            "Von Mises stress at surface as a share of yield (axial load and pressures)",
            "Esfuerzo de von Mises en superficie como parte de la fluencia (carga axial y presiones)",
        ),
    },
    Output {
        signal: "cleaning_velocity_short",
        unit: "ft/min",
        decimals: 0,
        range: (0.0, 600.0),
        label: ("Annular velocity shortfall", "Déficit de velocidad anular"),
        description: (
            "How far the annular velocity is under the minimum for hole cleaning while pumping",
            "Cuánto está la velocidad anular bajo el mínimo para limpiar el pozo mientras se bombea",
        ),
    },
];

/// Checks every `[ct.<unit>]` table against the tags made so far, and appends each unit's computed tags to
/// `defs` on the implicit `ctstring` driver (made with the first unit).
pub(super) fn check(
    raw: BTreeMap<String, Spanned<RawCtUnit>>,
    defs: &mut Vec<TagDef>,
    drivers: &mut Drivers,
    src: &SourceFile<'_>,
    files: &ProjectFiles,
    errs: &mut Vec<Diagnostic>,
) -> Vec<CtUnitConfig> {
    let mut units = Vec::new();
    let mut driver: Option<DriverId> = None;
    let mut job_driver: Option<DriverId> = None;
    for (index, (unit, table)) in raw.into_iter().enumerate() {
        let span = table.span();
        if index >= MAX_UNITS {
            errs.push(src.at(span, format!("at most {MAX_UNITS} [ct.<unit>] tables")));
            break;
        }
        if !super::is_valid_name(&unit, false) {
            errs.push(src.at(
                span,
                format!("[ct.{unit}]: the unit name is the prefix of its tags: letters, digits, '_' and '-'"),
            ));
            continue;
        }
        let before = errs.len();
        let t = table.into_inner();
        let inputs = inputs(&t, defs, src, errs);
        let reel = reel(&t.reel, src, files, errs);
        let survey = survey(&t.survey, src, files, errs);
        let numbers = numbers(&t, src, errs);
        let (Some(inputs), Some((reel, history_csv)), Some(survey), Some(()), true) =
            (inputs, reel, survey, numbers, errs.len() == before)
        else {
            continue;
        };
        let od = reel.sections.first().map_or(0.0, |s| s.od_in);
        if *t.hole_id_in.get_ref() <= od {
            errs.push(src.at(
                t.hole_id_in.span(),
                format!("hole_id_in must be larger than the string's OD ({od} in): the pipe has to fit the hole"),
            ));
            continue;
        }
        let Some(id) =
            driver.or_else(|| drivers.add_implicit(CT_DRIVER, DriverKind::CtString, span.clone(), src, errs))
        else {
            break;
        };
        driver = Some(id);
        let Some(outputs) = outputs(&unit, id, defs, span.clone(), src, errs) else {
            continue;
        };
        let Some(jid) =
            job_driver.or_else(|| drivers.add_implicit(JOB_DRIVER, DriverKind::Job, span.clone(), src, errs))
        else {
            break;
        };
        job_driver = Some(jid);
        let Some(job_tags) = job_tags(&unit, jid, defs, span.clone(), src, errs) else {
            continue;
        };
        if let Some(other) = units.iter().find(|u: &&CtUnitConfig| u.reel.id == reel.id) {
            errs.push(src.at(
                t.reel.span(),
                format!(
                    "reel {} is already on [ct.{}]: one string cannot run on two units at once",
                    reel.id, other.unit
                ),
            ));
            continue;
        }
        let mut friction_factors = t.friction_factors.into_inner();
        friction_factors.sort_by(f64::total_cmp);
        units.push(CtUnitConfig {
            label: t.label.unwrap_or_else(|| unit.to_uppercase()),
            unit,
            reel: Arc::new(reel),
            history_csv,
            survey: Arc::new(survey),
            hole_id_in: t.hole_id_in.into_inner(),
            inputs,
            outputs,
            job_tags,
            fluid: t.fluid.into_inner(),
            fluid_ppg: t.fluid_ppg.into_inner(),
            nozzle_tfa_in2: t.nozzle_tfa_in2.into_inner(),
            nozzle_cd: t.nozzle_cd.into_inner(),
            friction_factors,
            stripper_friction_lbf: t.stripper_friction_lbf.into_inner(),
            reel_back_tension_lbf: t.reel_back_tension_lbf.into_inner(),
            injector_snub_capacity_lbf: t.injector_snub_capacity_lbf.into_inner(),
            injector_pull_capacity_lbf: t.injector_pull_capacity_lbf.into_inner(),
            bha_weight_lbf: t.bha_weight_lbf.map_or(0.0, Spanned::into_inner),
            weight_margin_lbf: t.weight_margin_lbf.into_inner(),
            min_cleaning_velocity_fpm: t.min_cleaning_velocity_fpm.into_inner(),
            pipe_load_alarm_pct: t.pipe_load_alarm_pct.into_inner(),
            cell_ft: t.cell_ft.map_or(1.0, Spanned::into_inner),
        });
    }
    units
}

/// The input tags, each an existing numeric tag.
fn inputs(t: &RawCtUnit, defs: &[TagDef], src: &SourceFile<'_>, errs: &mut Vec<Diagnostic>) -> Option<CtInputs> {
    let mut find = |key: &str, name: &Spanned<String>| {
        let found = defs.iter().find(|d| d.name == *name.get_ref());
        match found {
            Some(d) if matches!(d.kind, ValueKind::F64 | ValueKind::I64) => Some(d.id),
            Some(_) => {
                errs.push(src.at(
                    name.span(),
                    format!("{key} = \"{}\": the tag is not a number", name.get_ref()),
                ));
                None
            }
            None => {
                errs.push(src.at(
                    name.span(),
                    format!("{key} = \"{}\": no such tag in site.toml", name.get_ref()),
                ));
                None
            }
        }
    };
    let depth = find("depth", &t.depth);
    let weight = find("weight", &t.weight);
    let circ_pressure = find("circ_pressure", &t.circ_pressure);
    let wellhead_pressure = find("wellhead_pressure", &t.wellhead_pressure);
    let pump_rate = find("pump_rate", &t.pump_rate);
    let speed = t.speed.as_ref().map(|n| find("speed", n));
    let fluid_total = t.fluid_total.as_ref().map(|n| find("fluid_total", n));
    Some(CtInputs {
        speed: speed.map(|s| s.ok_or(())).transpose().ok()?,
        fluid_total: fluid_total.map(|s| s.ok_or(())).transpose().ok()?,
        depth: depth?,
        weight: weight?,
        circ_pressure: circ_pressure?,
        wellhead_pressure: wellhead_pressure?,
        pump_rate: pump_rate?,
    })
}

/// The reel record the unit runs, and its history CSV when it names one.
fn reel(
    rel: &Spanned<String>,
    src: &SourceFile<'_>,
    files: &ProjectFiles,
    errs: &mut Vec<Diagnostic>,
) -> Option<(ReelRecord, Option<String>)> {
    let Some(text) = files.get(rel.get_ref()) else {
        errs.push(src.at(
            rel.span(),
            format!(
                "reel file '{}' not found in the project (paths are relative to the project directory, e.g. reels/ct01.toml)",
                rel.get_ref()
            ),
        ));
        return None;
    };
    let path = files.display_path(rel.get_ref());
    let record = match crate::project::reels::parse(&SourceFile::new(&path, text)) {
        Ok(r) => r,
        Err(mut e) => {
            errs.append(&mut e);
            return None;
        }
    };
    let history = match &record.history_csv {
        Some(csv) => match files.get(csv) {
            Some(text) => Some(text.to_owned()),
            None => {
                errs.push(src.at(
                    rel.span(),
                    format!("the reel record's history_csv '{csv}' is not in the project"),
                ));
                return None;
            }
        },
        None => None,
    };
    Some((record, history))
}

fn survey(
    rel: &Spanned<String>,
    src: &SourceFile<'_>,
    files: &ProjectFiles,
    errs: &mut Vec<Diagnostic>,
) -> Option<Survey> {
    let Some(text) = files.get(rel.get_ref()) else {
        errs.push(src.at(
            rel.span(),
            format!(
                "survey file '{}' not found in the project (e.g. data/ct01_survey.csv)",
                rel.get_ref()
            ),
        ));
        return None;
    };
    let path = files.display_path(rel.get_ref());
    match survey_csv::parse(&SourceFile::new(&path, text)) {
        Ok(s) => Some(s),
        Err(mut e) => {
            errs.append(&mut e);
            None
        }
    }
}

/// Range checks of the numbers, each at its key.
fn numbers(t: &RawCtUnit, src: &SourceFile<'_>, errs: &mut Vec<Diagnostic>) -> Option<()> {
    let before = errs.len();
    let mut need = |v: &Spanned<f64>, ok: bool, what: &str| {
        if !(v.get_ref().is_finite() && ok) {
            errs.push(src.at(v.span(), what.to_owned()));
        }
    };
    let positive = |v: &Spanned<f64>| *v.get_ref() > 0.0;
    let non_negative = |v: &Spanned<f64>| *v.get_ref() >= 0.0;
    need(
        &t.hole_id_in,
        positive(&t.hole_id_in),
        "hole_id_in must be greater than 0 (in)",
    );
    need(
        &t.fluid_ppg,
        (1.0..=25.0).contains(t.fluid_ppg.get_ref()),
        "fluid_ppg must be between 1 and 25 ppg",
    );
    need(
        &t.nozzle_tfa_in2,
        positive(&t.nozzle_tfa_in2),
        "nozzle_tfa_in2 must be greater than 0 (total flow area of the nozzle, in²)",
    );
    need(
        &t.nozzle_cd,
        *t.nozzle_cd.get_ref() > 0.0 && *t.nozzle_cd.get_ref() <= 1.0,
        "nozzle_cd must be greater than 0 and at most 1",
    );
    for (v, key) in [
        (&t.stripper_friction_lbf, "stripper_friction_lbf"),
        (&t.reel_back_tension_lbf, "reel_back_tension_lbf"),
        (&t.weight_margin_lbf, "weight_margin_lbf"),
        (&t.min_cleaning_velocity_fpm, "min_cleaning_velocity_fpm"),
    ] {
        need(v, non_negative(v), &format!("{key} must be 0 or more"));
    }
    for (v, key) in [
        (&t.injector_snub_capacity_lbf, "injector_snub_capacity_lbf"),
        (&t.injector_pull_capacity_lbf, "injector_pull_capacity_lbf"),
    ] {
        need(v, positive(v), &format!("{key} must be greater than 0"));
    }
    if let Some(b) = &t.bha_weight_lbf {
        need(b, non_negative(b), "bha_weight_lbf must be 0 or more");
    }
    if let Some(c) = &t.cell_ft {
        need(
            c,
            (0.5..=100.0).contains(c.get_ref()),
            "cell_ft must be between 0.5 and 100 ft (a 60,000-ft string at 0.5 ft is 120,000 cells, still a CSV the console reads back)",
        );
    }
    need(
        &t.pipe_load_alarm_pct,
        *t.pipe_load_alarm_pct.get_ref() > 0.0 && *t.pipe_load_alarm_pct.get_ref() <= 100.0,
        "pipe_load_alarm_pct must be greater than 0 and at most 100 (% of yield)",
    );
    let mu = t.friction_factors.get_ref();
    if mu.is_empty() || mu.len() > 8 || !mu.iter().all(|m| m.is_finite() && (0.0..=1.0).contains(m)) {
        errs.push(src.at(
            t.friction_factors.span(),
            "friction_factors: 1 to 8 values, each between 0 and 1",
        ));
    }
    (errs.len() == before).then_some(())
}

/// A job tag: signal, kind, unit, decimals, label (en, es).
type JobOutput = (
    &'static str,
    ValueKind,
    &'static str,
    usize,
    (&'static str, &'static str),
);

const JOB_OUTPUTS: [JobOutput; 4] = [
    (
        "job_number",
        ValueKind::String,
        "",
        0,
        ("Job in progress", "Trabajo en curso"),
    ),
    ("job_operation", ValueKind::String, "", 0, ("Operation", "Operación")),
    (
        "job_footage",
        ValueKind::F64,
        "ft",
        0,
        ("Job footage run", "Pies corridos en el trabajo"),
    ),
    (
        "job_volume",
        ValueKind::F64,
        "bbl",
        1,
        ("Job volume pumped", "Volumen bombeado en el trabajo"),
    ),
];

/// The tags the job service makes for `unit` on the implicit `jobs` driver.
fn job_tags(
    unit: &str,
    driver: DriverId,
    defs: &mut Vec<TagDef>,
    at: Range<usize>,
    src: &SourceFile<'_>,
    errs: &mut Vec<Diagnostic>,
) -> Option<JobTags> {
    let mut ids = Vec::with_capacity(JOB_OUTPUTS.len());
    for (signal, kind, unit_label, decimals, label) in JOB_OUTPUTS {
        let name = format!("{unit}/{signal}");
        if defs.iter().any(|d| d.name == name) {
            errs.push(src.at(
                at.clone(),
                format!("[ct.{unit}] makes the tag '{name}', and site.toml already has a tag by that name"),
            ));
            return None;
        }
        let Ok(index) = u32::try_from(defs.len()) else {
            errs.push(src.at(at.clone(), "too many tags"));
            return None;
        };
        let id = TagId(index);
        defs.push(TagDef {
            id,
            name,
            description: format!("{} (CT job record)", label.0),
            description_es: format!("{} (registro de trabajos de TF)", label.1),
            label: crate::lang::Text::new(label.0, label.1),
            unit: unit_label.to_owned(),
            kind,
            range: (kind == ValueKind::F64).then_some((0.0, 1.0e6)),
            decimals,
            driver,
            address: signal.to_owned(),
            stale_after: Duration::MAX,
            writable: false,
            // The operation tag's history is the operations log on the trends.
            history: HistoryMode::All,
        });
        ids.push(id);
    }
    Some(JobTags {
        number: ids[0],
        operation: ids[1],
        footage: ids[2],
        volume: ids[3],
    })
}

/// The unit's computed tags, appended to `defs`; `None` when one of their names is taken.
fn outputs(
    unit: &str,
    driver: DriverId,
    defs: &mut Vec<TagDef>,
    at: Range<usize>,
    src: &SourceFile<'_>,
    errs: &mut Vec<Diagnostic>,
) -> Option<CtOutputs> {
    let mut ids = Vec::with_capacity(CT_OUTPUTS.len());
    for o in &CT_OUTPUTS {
        let name = format!("{unit}/{}", o.signal);
        if defs.iter().any(|d| d.name == name) {
            errs.push(src.at(
                at.clone(),
                format!("[ct.{unit}] makes the tag '{name}', and site.toml already has a tag by that name"),
            ));
            return None;
        }
        let Ok(index) = u32::try_from(defs.len()) else {
            errs.push(src.at(at.clone(), "too many tags"));
            return None;
        };
        let id = TagId(index);
        defs.push(TagDef {
            id,
            name,
            description: o.description.0.to_owned(),
            description_es: o.description.1.to_owned(),
            label: crate::lang::Text::new(o.label.0, o.label.1),
            unit: o.unit.to_owned(),
            kind: ValueKind::F64,
            range: Some(o.range),
            decimals: o.decimals,
            driver,
            address: o.signal.to_owned(),
            // Like a calculated tag's: never stale on its own, bad when an input it needs is.
            stale_after: Duration::MAX,
            writable: false,
            history: HistoryMode::All,
        });
        ids.push(id);
    }
    Some(CtOutputs {
        fatigue_max: ids[0],
        running_ft: ids[1],
        running_ft_pct: ids[2],
        weight_pick_up_model: ids[3],
        weight_slack_off_model: ids[4],
        overpull: ids[5],
        set_down: ids[6],
        circ_pressure_model: ids[7],
        pipe_load: ids[8],
        cleaning_velocity_short: ids[9],
    })
}

#[cfg(test)]
mod tests {
    use crate::project::files::ProjectFiles;
    use crate::project::site;

    const SITE: &str = include_str!("../../../site.toml");

    fn problems(site_text: &str) -> Vec<String> {
        let files = ProjectFiles::demo_with_site(site_text);
        match site::load(&files) {
            Ok(_) => Vec::new(),
            Err(e) => e.iter().map(|d| d.message.clone()).collect(),
        }
    }

    fn edited(from: &str, to: &str) -> String {
        assert_eq!(SITE.matches(from).count(), 1, "'{from}' is in the demo once");
        SITE.replace(from, to)
    }

    #[test]
    fn the_demo_unit_makes_its_tags_on_the_ctstring_driver() {
        assert_eq!(problems(SITE), Vec::<String>::new());
    }

    #[test]
    fn each_bad_setting_is_named() {
        let cases = [
            (
                edited("weight = \"ct01/weight\"", "weight = \"ct01/wieght\""),
                "weight = \"ct01/wieght\": no such tag in site.toml",
            ),
            (
                edited("depth = \"ct01/depth\"", "depth = \"ct01/job_phase\""),
                "depth = \"ct01/job_phase\": the tag is not a number",
            ),
            (
                edited("hole_id_in = 3.958", "hole_id_in = 1.5"),
                "hole_id_in must be larger than the string's OD (1.75 in)",
            ),
            (
                edited(
                    "friction_factors = [0.1, 0.2, 0.3, 0.4]",
                    "friction_factors = [0.1, 1.4]",
                ),
                "friction_factors: 1 to 8 values, each between 0 and 1",
            ),
            (
                edited("reel = \"reels/ct01.toml\"", "reel = \"reels/nope.toml\""),
                "reel file 'reels/nope.toml' not found",
            ),
            (
                edited("pipe_load_alarm_pct = 80.0", "pipe_load_alarm_pct = 180.0"),
                "pipe_load_alarm_pct must be greater than 0 and at most 100",
            ),
        ];
        for (text, expected) in cases {
            let found = problems(&text);
            assert!(found.iter().any(|p| p.contains(expected)), "{expected}: {found:?}");
        }
    }

    #[test]
    fn one_reel_cannot_run_on_two_units() {
        let i = SITE.find("[ct.ct01]").expect("the demo's unit");
        let unit = &SITE[i..];
        let second = unit.replacen("[ct.ct01]", "[ct.ct02]", 1);
        let found = problems(&format!("{SITE}\n{second}"));
        assert!(
            found.iter().any(|p| p.contains("reel CT-4471 is already on [ct.ct01]")),
            "{found:?}"
        );
    }
}
