//! `[production]`: the test separator and the tags a well test reads, how a test runs, the producing wells
//! (`[[production.well]]`, with their ESP) and the pump catalogue (`[[production.pump]]`). Makes the tags
//! the production service computes (`<separator>/test_state`, `<well>/tdh`, …) on the implicit driver
//! `production`, so history, alarms, screens and trends treat them as any other tag.
//!
//! Owns the table's checks and the computed tags' definitions; the validated result is
//! `crate::project::production_config::ProductionConfig`. It starts nothing and computes nothing.

use super::drivers::{DriverKind, Drivers};
use crate::calc::esp::PumpCurve;
use crate::calc::ipr::IprModel;
use crate::project::diag::{Diagnostic, SourceFile};
use crate::project::files::ProjectFiles;
use crate::project::production_config::{
    EspConfig, EspTags, PRODUCTION_DRIVER, ProducerConfig, ProductionConfig, PwfSource, SeparatorConfig, ServiceTags,
    TestSettings,
};
use crate::project::production_csv::DailyRate;
use crate::project::production_csv::parse_history_csv;
use crate::tag::{DriverId, HistoryMode, TagDef, TagId, ValueKind};
use serde::Deserialize;
use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;
use toml::Spanned;

/// At most this many producing wells and catalogue pumps on one site.
const MAX_WELLS: usize = 2_000;
const MAX_PUMPS: usize = 200;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawProduction {
    separator: Spanned<String>,
    well_on_test: Spanned<String>,
    oil_rate: Spanned<String>,
    water_rate: Spanned<String>,
    gas_rate: Spanned<String>,
    pressure: Spanned<String>,
    temperature: Option<Spanned<String>>,
    oil_total: Option<Spanned<String>>,
    water_total: Option<Spanned<String>>,
    gas_total: Option<Spanned<String>>,
    oil_level: Option<Spanned<String>>,
    water_level: Option<Spanned<String>>,
    bbl_per_inch: Option<Spanned<f64>>,
    bsw: Option<Spanned<String>>,
    #[serde(default = "one")]
    oil_meter_factor: Spanned<f64>,
    #[serde(default = "one")]
    water_meter_factor: Spanned<f64>,
    #[serde(default = "one")]
    gas_meter_factor: Spanned<f64>,
    #[serde(default = "one")]
    shrinkage: Spanned<f64>,
    purge_min: Option<Spanned<f64>>,
    stabilization_window_min: Option<Spanned<f64>>,
    stabilization_tolerance_pct: Option<Spanned<f64>>,
    pressure_tolerance_psi: Option<Spanned<f64>>,
    test_min: Option<Spanned<f64>>,
    max_stabilization_min: Option<Spanned<f64>>,
    #[serde(default = "default_overdue")]
    overdue_days: Spanned<f64>,
    #[serde(default = "default_limit")]
    economic_limit_stb_d: Spanned<f64>,
    #[serde(default)]
    pump: Vec<Spanned<PumpCurve>>,
    #[serde(default)]
    well: Vec<Spanned<RawWell>>,
}

fn one() -> Spanned<f64> {
    Spanned::new(0..0, 1.0)
}

fn default_overdue() -> Spanned<f64> {
    Spanned::new(0..0, 30.0)
}

fn default_limit() -> Spanned<f64> {
    Spanned::new(0..0, 5.0)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWell {
    id: Spanned<String>,
    label: Option<String>,
    reservoir_psi: Spanned<f64>,
    bubble_point_psi: Option<Spanned<f64>>,
    ipr: Spanned<String>,
    rate: Option<Spanned<String>>,
    whp: Option<Spanned<String>>,
    pwf_gauge: Option<Spanned<String>>,
    gauge_tvd_ft: Option<Spanned<f64>>,
    perf_tvd_ft: Option<Spanned<f64>>,
    gradient_psi_ft: Option<Spanned<f64>>,
    pwf_psi: Option<Spanned<f64>>,
    history_csv: Option<Spanned<String>>,
    esp: Option<Spanned<RawEsp>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawEsp {
    pump: Spanned<String>,
    stages: Spanned<f64>,
    frequency: Spanned<String>,
    intake: Spanned<String>,
    discharge: Spanned<String>,
    current: Option<Spanned<String>>,
    sg: Spanned<f64>,
    motor_volts: Spanned<f64>,
    motor_rated_hp: Spanned<f64>,
    motor_rated_amps: Spanned<f64>,
    #[serde(default = "default_pf")]
    power_factor: Spanned<f64>,
    #[serde(default = "default_motor_eff")]
    motor_eff: Spanned<f64>,
    #[serde(default = "default_out_of_range")]
    out_of_range_min: Spanned<f64>,
}

fn default_pf() -> Spanned<f64> {
    Spanned::new(0..0, 0.85)
}

fn default_motor_eff() -> Spanned<f64> {
    Spanned::new(0..0, 0.9)
}

fn default_out_of_range() -> Spanned<f64> {
    Spanned::new(0..0, 10.0)
}

/// Checks `[production]` against the tags made so far and appends the service's tags to `defs` on the
/// implicit `production` driver. `None` without the table or after any problem.
pub(super) fn check(
    raw: Option<Spanned<RawProduction>>,
    defs: &mut Vec<TagDef>,
    drivers: &mut Drivers,
    src: &SourceFile<'_>,
    files: &ProjectFiles,
    errs: &mut Vec<Diagnostic>,
) -> Option<ProductionConfig> {
    let raw = raw?;
    let span = raw.span();
    let p = raw.into_inner();
    let before = errs.len();
    let sep_name = p.separator.get_ref().clone();
    if !super::is_valid_name(&sep_name, false) {
        errs.push(src.at(
            p.separator.span(),
            "separator: the separator's name is the prefix of its test tags: letters, digits, '_' and '-'",
        ));
    }
    let separator = separator(&p, defs, src, errs);
    let test = settings(&p, src, errs);
    let pumps = pumps(&p.pump, src, errs);
    let mut numbers = Numbers { src, errs };
    let overdue_days = numbers.range(&p.overdue_days, 1.0, 3_650.0, "overdue_days (days)");
    let economic_limit_stb_d = numbers.range(&p.economic_limit_stb_d, 0.01, 100_000.0, "economic_limit_stb_d");
    let wells = wells(&p.well, &pumps, defs, src, files, errs);
    if errs.len() > before {
        return None;
    }
    let driver = drivers.add_implicit(PRODUCTION_DRIVER, DriverKind::Production, span.clone(), src, errs)?;
    let mut made = Made {
        defs,
        driver,
        at: span,
        src,
        errs,
    };
    let tags = ServiceTags {
        state: made.tag(
            &sep_name,
            "test_state",
            ValueKind::String,
            "",
            0,
            ("Well test", "Prueba de pozo"),
        )?,
        well: made.tag(
            &sep_name,
            "test_well",
            ValueKind::String,
            "",
            0,
            ("Well on test", "Pozo en prueba"),
        )?,
        elapsed_min: made.tag(
            &sep_name,
            "test_elapsed",
            ValueKind::F64,
            "min",
            1,
            ("Test phase time", "Tiempo en la fase de prueba"),
        )?,
        stability_pct: made.tag(
            &sep_name,
            "test_stability",
            ValueKind::F64,
            "%",
            1,
            (
                "Rate change between halves of the window",
                "Cambio de caudal entre mitades de la ventana",
            ),
        )?,
    };
    let mut out_wells = Vec::with_capacity(wells.len());
    for (w, esp) in wells {
        let esp = match esp {
            Some(e) => {
                let id = w.id.clone();
                let tags = EspTags {
                    tdh: made.tag(
                        &id,
                        "tdh",
                        ValueKind::F64,
                        "ft",
                        0,
                        ("Total dynamic head", "Altura dinámica total"),
                    )?,
                    efficiency: made.tag(
                        &id,
                        "pump_efficiency",
                        ValueKind::F64,
                        "%",
                        1,
                        ("Pump efficiency", "Eficiencia de la bomba"),
                    )?,
                    motor_load: made.tag(
                        &id,
                        "motor_load",
                        ValueKind::F64,
                        "%",
                        1,
                        ("Motor load", "Carga del motor"),
                    )?,
                    head_ratio: made.tag(
                        &id,
                        "head_ratio",
                        ValueKind::F64,
                        "%",
                        1,
                        ("Head vs catalogue curve", "Altura frente a la curva de catálogo"),
                    )?,
                    zone: made.tag(
                        &id,
                        "pump_zone",
                        ValueKind::String,
                        "",
                        0,
                        ("Pump operating zone", "Zona de operación de la bomba"),
                    )?,
                    out_of_range: made.tag(
                        &id,
                        "pump_out_of_range",
                        ValueKind::Bool,
                        "",
                        0,
                        ("Pump outside its range", "Bomba fuera de su rango"),
                    )?,
                };
                Some(EspConfig { tags, ..e })
            }
            None => None,
        };
        out_wells.push(ProducerConfig { esp, ..w });
    }
    Some(ProductionConfig {
        separator: SeparatorConfig {
            name: sep_name,
            ..separator?
        },
        test: test?,
        wells: out_wells,
        pumps,
        overdue_days: overdue_days?,
        economic_limit_stb_d: economic_limit_stb_d?,
        driver,
        tags,
    })
}

/// Range checks that report at the key.
struct Numbers<'a, 'b, 'c> {
    src: &'a SourceFile<'b>,
    errs: &'c mut Vec<Diagnostic>,
}

impl Numbers<'_, '_, '_> {
    fn range(&mut self, v: &Spanned<f64>, lo: f64, hi: f64, what: &str) -> Option<f64> {
        let x = *v.get_ref();
        if x.is_finite() && (lo..=hi).contains(&x) {
            Some(x)
        } else {
            self.errs
                .push(self.src.at(v.span(), format!("{what} must be between {lo} and {hi}")));
            None
        }
    }
}

/// Looks up tags by name: `kind` says what the tag must hold.
fn find(
    defs: &[TagDef],
    key: &str,
    name: &Spanned<String>,
    kind: Want,
    src: &SourceFile<'_>,
    errs: &mut Vec<Diagnostic>,
) -> Option<TagId> {
    let Some(d) = defs.iter().find(|d| d.name == *name.get_ref()) else {
        errs.push(src.at(
            name.span(),
            format!("{key} = \"{}\": no such tag in site.toml", name.get_ref()),
        ));
        return None;
    };
    let ok = match kind {
        Want::Number => matches!(d.kind, ValueKind::F64 | ValueKind::I64),
        Want::Text => d.kind == ValueKind::String,
    };
    if ok {
        Some(d.id)
    } else {
        let what = match kind {
            Want::Number => "a number",
            Want::Text => "a string (the well's id)",
        };
        errs.push(src.at(
            name.span(),
            format!("{key} = \"{}\": the tag is not {what}", name.get_ref()),
        ));
        None
    }
}

#[derive(Clone, Copy)]
enum Want {
    Number,
    Text,
}

fn find_opt(
    defs: &[TagDef],
    key: &str,
    name: Option<&Spanned<String>>,
    src: &SourceFile<'_>,
    errs: &mut Vec<Diagnostic>,
) -> Result<Option<TagId>, ()> {
    match name {
        Some(n) => find(defs, key, n, Want::Number, src, errs).map(Some).ok_or(()),
        None => Ok(None),
    }
}

fn separator(
    p: &RawProduction,
    defs: &[TagDef],
    src: &SourceFile<'_>,
    errs: &mut Vec<Diagnostic>,
) -> Option<SeparatorConfig> {
    let well_on_test = find(defs, "well_on_test", &p.well_on_test, Want::Text, src, errs);
    let oil_rate = find(defs, "oil_rate", &p.oil_rate, Want::Number, src, errs);
    let water_rate = find(defs, "water_rate", &p.water_rate, Want::Number, src, errs);
    let gas_rate = find(defs, "gas_rate", &p.gas_rate, Want::Number, src, errs);
    let pressure = find(defs, "pressure", &p.pressure, Want::Number, src, errs);
    let temperature = find_opt(defs, "temperature", p.temperature.as_ref(), src, errs);
    let oil_total = find_opt(defs, "oil_total", p.oil_total.as_ref(), src, errs);
    let water_total = find_opt(defs, "water_total", p.water_total.as_ref(), src, errs);
    let gas_total = find_opt(defs, "gas_total", p.gas_total.as_ref(), src, errs);
    let oil_level = find_opt(defs, "oil_level", p.oil_level.as_ref(), src, errs);
    let water_level = find_opt(defs, "water_level", p.water_level.as_ref(), src, errs);
    let bsw = find_opt(defs, "bsw", p.bsw.as_ref(), src, errs);
    let mut n = Numbers { src, errs };
    let bbl_per_inch = p.bbl_per_inch.as_ref().map(|b| {
        n.range(
            b,
            0.001,
            100.0,
            "bbl_per_inch (the vessel's liquid volume per inch of level)",
        )
    });
    let oil_mf = n.range(&p.oil_meter_factor, 0.5, 1.5, "oil_meter_factor");
    let water_mf = n.range(&p.water_meter_factor, 0.5, 1.5, "water_meter_factor");
    let gas_mf = n.range(&p.gas_meter_factor, 0.5, 1.5, "gas_meter_factor");
    let shrinkage = n.range(
        &p.shrinkage,
        0.5,
        1.0,
        "shrinkage (stock-tank barrels per separator barrel)",
    );
    if bbl_per_inch.is_some() && (p.oil_level.is_none() || p.water_level.is_none()) {
        if let Some(b) = &p.bbl_per_inch {
            errs.push(src.at(
                b.span(),
                "bbl_per_inch counts the liquid held in the vessel: it needs oil_level and water_level too",
            ));
        }
        return None;
    }
    Some(SeparatorConfig {
        name: String::new(),
        well_on_test: well_on_test?,
        oil_rate: oil_rate?,
        water_rate: water_rate?,
        gas_rate: gas_rate?,
        oil_total: oil_total.ok()?,
        water_total: water_total.ok()?,
        gas_total: gas_total.ok()?,
        pressure: pressure?,
        temperature: temperature.ok()?,
        oil_level: oil_level.ok()?,
        water_level: water_level.ok()?,
        bbl_per_inch: bbl_per_inch.map(|b| b.ok_or(())).transpose().ok()?,
        bsw: bsw.ok()?,
        oil_meter_factor: oil_mf?,
        water_meter_factor: water_mf?,
        gas_meter_factor: gas_mf?,
        shrinkage: shrinkage?,
    })
}

fn settings(p: &RawProduction, src: &SourceFile<'_>, errs: &mut Vec<Diagnostic>) -> Option<TestSettings> {
    let d = TestSettings::default();
    let mut n = Numbers { src, errs };
    let mut minutes = |v: &Option<Spanned<f64>>, default_s: f64, lo: f64, hi: f64, what: &str| match v {
        Some(v) => n.range(v, lo, hi, what).map(|m| m * 60.0),
        None => Some(default_s),
    };
    let purge_s = minutes(&p.purge_min, d.purge_s, 0.0, 1_440.0, "purge_min");
    let window_s = minutes(
        &p.stabilization_window_min,
        d.window_s,
        2.0,
        1_440.0,
        "stabilization_window_min",
    );
    let test_s = minutes(&p.test_min, d.test_s, 5.0, 10_080.0, "test_min");
    let max_s = minutes(
        &p.max_stabilization_min,
        d.max_stabilization_s,
        5.0,
        10_080.0,
        "max_stabilization_min",
    );
    let tolerance_pct = match &p.stabilization_tolerance_pct {
        Some(v) => n.range(v, 0.1, 50.0, "stabilization_tolerance_pct"),
        None => Some(d.tolerance_pct),
    };
    let pressure_tolerance_psi = match &p.pressure_tolerance_psi {
        Some(v) => n.range(v, 0.1, 500.0, "pressure_tolerance_psi"),
        None => Some(d.pressure_tolerance_psi),
    };
    let s = TestSettings {
        purge_s: purge_s?,
        window_s: window_s?,
        tolerance_pct: tolerance_pct?,
        pressure_tolerance_psi: pressure_tolerance_psi?,
        test_s: test_s?,
        max_stabilization_s: max_s?,
    };
    if s.max_stabilization_s < s.window_s {
        let at = p.max_stabilization_min.as_ref().map_or(0..0, Spanned::span);
        errs.push(src.at(
            at,
            "max_stabilization_min must be at least stabilization_window_min: stability is judged over one window",
        ));
        return None;
    }
    Some(s)
}

fn pumps(raw: &[Spanned<PumpCurve>], src: &SourceFile<'_>, errs: &mut Vec<Diagnostic>) -> Vec<PumpCurve> {
    let mut out: Vec<PumpCurve> = Vec::new();
    for (i, p) in raw.iter().enumerate() {
        if i >= MAX_PUMPS {
            errs.push(src.at(p.span(), format!("at most {MAX_PUMPS} [[production.pump]] curves")));
            break;
        }
        let curve = p.get_ref();
        if let Err(e) = curve.check() {
            errs.push(src.at(p.span(), e.to_string()));
            continue;
        }
        if out.iter().any(|o| o.model == curve.model) {
            errs.push(src.at(p.span(), format!("pump '{}' is listed twice", curve.model)));
            continue;
        }
        out.push(curve.clone());
    }
    out
}

/// The wells, checked; their ESPs without the service's tags yet (`check` makes them).
fn wells(
    raw: &[Spanned<RawWell>],
    pumps: &[PumpCurve],
    defs: &[TagDef],
    src: &SourceFile<'_>,
    files: &ProjectFiles,
    errs: &mut Vec<Diagnostic>,
) -> Vec<(ProducerConfig, Option<EspConfig>)> {
    let mut out: Vec<(ProducerConfig, Option<EspConfig>)> = Vec::new();
    for (i, w) in raw.iter().enumerate() {
        if i >= MAX_WELLS {
            errs.push(src.at(w.span(), format!("at most {MAX_WELLS} [[production.well]] entries")));
            break;
        }
        let before = errs.len();
        let well = well(w.get_ref(), pumps, defs, src, files, errs);
        let id = w.get_ref().id.get_ref();
        if out.iter().any(|(o, _)| o.id == *id) {
            errs.push(src.at(
                w.get_ref().id.span(),
                format!("[[production.well]] {id} is listed twice"),
            ));
            continue;
        }
        if let (Some(well), true) = (well, errs.len() == before) {
            out.push(well);
        }
    }
    out
}

fn well(
    w: &RawWell,
    pumps: &[PumpCurve],
    defs: &[TagDef],
    src: &SourceFile<'_>,
    files: &ProjectFiles,
    errs: &mut Vec<Diagnostic>,
) -> Option<(ProducerConfig, Option<EspConfig>)> {
    let id = w.id.get_ref().clone();
    if !super::is_valid_name(&id, false) {
        errs.push(src.at(
            w.id.span(),
            "[[production.well]] id: the well's id is the prefix of its tags (as the routing tag names it): letters, digits, '_' and '-'",
        ));
        return None;
    }
    let mut n = Numbers { src, errs };
    let p_res = n.range(&w.reservoir_psi, 1.0, 30_000.0, "reservoir_psi");
    let p_b = w
        .bubble_point_psi
        .as_ref()
        .map(|b| n.range(b, 0.0, 30_000.0, "bubble_point_psi"));
    let ipr = match w.ipr.get_ref().as_str() {
        "linear" => Some(IprModel::Linear),
        "vogel" => Some(IprModel::Vogel),
        "composite" => Some(IprModel::Composite),
        other => {
            errs.push(src.at(
                w.ipr.span(),
                format!("ipr = \"{other}\": one of \"linear\" (PI), \"vogel\", \"composite\" (PI above the bubble point, Vogel below)"),
            ));
            None
        }
    };
    let (p_res, ipr) = (p_res?, ipr?);
    let p_b = p_b.map(|b| b.ok_or(())).transpose().ok()?;
    if ipr == IprModel::Composite {
        match p_b {
            None => {
                errs.push(src.at(w.ipr.span(), "ipr = \"composite\" needs bubble_point_psi"));
                return None;
            }
            Some(b) if b > p_res => {
                let at = w.bubble_point_psi.as_ref().map_or(0..0, Spanned::span);
                errs.push(src.at(
                    at,
                    format!("bubble_point_psi {b} is above reservoir_psi {p_res}: the reservoir is saturated, use ipr = \"vogel\""),
                ));
                return None;
            }
            Some(_) => {}
        }
    }
    let pwf = pwf_source(w, defs, src, errs)?;
    let rate = find_opt(defs, "rate", w.rate.as_ref(), src, errs).ok()?;
    let whp = find_opt(defs, "whp", w.whp.as_ref(), src, errs).ok()?;
    let esp = match &w.esp {
        // The pump's zone is the rate's place on its curve: without the well's rate meter every pump would
        // read down-thrust and raise its alarm.
        Some(e) if rate.is_none() => {
            errs.push(src.at(
                e.span(),
                "[production.well.esp] needs the well's rate tag (rate = \"…\"): the pump's operating point is its rate on the curve",
            ));
            return None;
        }
        Some(e) => Some(esp(e.get_ref(), pumps, defs, src, errs)?),
        None => None,
    };
    let producer = ProducerConfig {
        label: w.label.clone().unwrap_or_else(|| id.to_uppercase()),
        id,
        reservoir_psi: p_res,
        bubble_point_psi: p_b,
        ipr,
        pwf,
        whp,
        rate,
        esp: None,
        history: history(w.history_csv.as_ref(), files, src, errs)?,
    };
    Some((producer, esp))
}

/// The well's daily allocated rates from `history_csv` (a project file), checked.
fn history(
    rel: Option<&Spanned<String>>,
    files: &ProjectFiles,
    src: &SourceFile<'_>,
    errs: &mut Vec<Diagnostic>,
) -> Option<Arc<Vec<DailyRate>>> {
    let Some(rel) = rel else {
        return Some(Arc::default());
    };
    let Some(text) = files.get(rel.get_ref()) else {
        errs.push(src.at(
            rel.span(),
            format!(
                "history_csv '{}' not found in the project (paths are relative to the project directory, e.g. data/production/esp01.csv)",
                rel.get_ref()
            ),
        ));
        return None;
    };
    let path = files.display_path(rel.get_ref());
    match parse_history_csv(&SourceFile::new(&path, text)) {
        Ok(rates) => Some(Arc::new(rates)),
        Err(mut e) => {
            errs.append(&mut e);
            None
        }
    }
}

fn pwf_source(w: &RawWell, defs: &[TagDef], src: &SourceFile<'_>, errs: &mut Vec<Diagnostic>) -> Option<PwfSource> {
    match (&w.pwf_gauge, &w.pwf_psi) {
        (Some(gauge), None) => {
            let tag = find(defs, "pwf_gauge", gauge, Want::Number, src, errs);
            let mut n = Numbers { src, errs };
            let depth = |v: &Option<Spanned<f64>>, n: &mut Numbers<'_, '_, '_>, key: &str| match v {
                Some(v) => n.range(v, 0.0, 60_000.0, key),
                None => {
                    n.errs.push(n.src.at(
                        gauge.span(),
                        format!("pwf_gauge needs {key}: the gauge's reading is corrected to the perforations"),
                    ));
                    None
                }
            };
            let gauge_tvd_ft = depth(&w.gauge_tvd_ft, &mut n, "gauge_tvd_ft");
            let perf_tvd_ft = depth(&w.perf_tvd_ft, &mut n, "perf_tvd_ft");
            let gradient = match &w.gradient_psi_ft {
                Some(g) => n.range(g, 0.05, 1.0, "gradient_psi_ft"),
                None => {
                    n.errs.push(n.src.at(
                        gauge.span(),
                        "pwf_gauge needs gradient_psi_ft (the produced fluid's gradient between gauge and perforations)",
                    ));
                    None
                }
            };
            Some(PwfSource::Gauge {
                tag: tag?,
                gauge_tvd_ft: gauge_tvd_ft?,
                perf_tvd_ft: perf_tvd_ft?,
                gradient_psi_ft: gradient?,
            })
        }
        (None, Some(p)) => Numbers { src, errs }
            .range(p, 0.0, 30_000.0, "pwf_psi")
            .map(PwfSource::Fixed),
        (Some(g), Some(_)) => {
            errs.push(src.at(g.span(), "give pwf_gauge (a gauge tag) or pwf_psi (a figure), not both"));
            None
        }
        (None, None) => {
            errs.push(src.at(
                w.id.span(),
                "a producing well needs pwf_gauge (a downhole gauge tag) or pwf_psi (its flowing bottomhole pressure)",
            ));
            None
        }
    }
}

fn esp(
    e: &RawEsp,
    pumps: &[PumpCurve],
    defs: &[TagDef],
    src: &SourceFile<'_>,
    errs: &mut Vec<Diagnostic>,
) -> Option<EspConfig> {
    let pump = pumps.iter().position(|p| p.model == *e.pump.get_ref());
    if pump.is_none() {
        errs.push(src.at(
            e.pump.span(),
            format!(
                "pump \"{}\" is not in the catalogue ([[production.pump]] model = …)",
                e.pump.get_ref()
            ),
        ));
    }
    let frequency = find(defs, "frequency", &e.frequency, Want::Number, src, errs);
    let intake = find(defs, "intake", &e.intake, Want::Number, src, errs);
    let discharge = find(defs, "discharge", &e.discharge, Want::Number, src, errs);
    let current = find_opt(defs, "current", e.current.as_ref(), src, errs);
    let mut n = Numbers { src, errs };
    let stages = n.range(&e.stages, 1.0, 1_000.0, "stages");
    let sg = n.range(&e.sg, 0.3, 2.0, "sg (specific gravity of the pumped fluid)");
    let volts = n.range(&e.motor_volts, 100.0, 10_000.0, "motor_volts");
    let hp = n.range(&e.motor_rated_hp, 1.0, 5_000.0, "motor_rated_hp");
    let amps = n.range(&e.motor_rated_amps, 1.0, 1_000.0, "motor_rated_amps");
    let pf = n.range(&e.power_factor, 0.1, 1.0, "power_factor");
    let eff = n.range(&e.motor_eff, 0.1, 1.0, "motor_eff");
    let oor = n.range(&e.out_of_range_min, 0.0, 1_440.0, "out_of_range_min");
    let placeholder = TagId(u32::MAX);
    Some(EspConfig {
        pump: pump?,
        stages: stages?,
        frequency: frequency?,
        intake: intake?,
        discharge: discharge?,
        current: current.ok()?,
        sg: sg?,
        motor_volts: volts?,
        motor_rated_hp: hp?,
        motor_rated_amps: amps?,
        power_factor: pf?,
        motor_eff: eff?,
        out_of_range_s: oor? * 60.0,
        // Made by `check` once every well is good.
        tags: EspTags {
            tdh: placeholder,
            efficiency: placeholder,
            motor_load: placeholder,
            head_ratio: placeholder,
            zone: placeholder,
            out_of_range: placeholder,
        },
    })
}

/// Makes the service's tags on its implicit driver.
struct Made<'a, 'b, 'c, 'd> {
    defs: &'a mut Vec<TagDef>,
    driver: DriverId,
    at: Range<usize>,
    src: &'b SourceFile<'c>,
    errs: &'d mut Vec<Diagnostic>,
}

impl Made<'_, '_, '_, '_> {
    fn tag(
        &mut self,
        prefix: &str,
        signal: &str,
        kind: ValueKind,
        unit: &str,
        decimals: usize,
        label: (&str, &str),
    ) -> Option<TagId> {
        let name = format!("{prefix}/{signal}");
        if self.defs.iter().any(|d| d.name == name) {
            self.errs.push(self.src.at(
                self.at.clone(),
                format!("[production] makes the tag '{name}', and site.toml already has a tag by that name"),
            ));
            return None;
        }
        let Ok(index) = u32::try_from(self.defs.len()) else {
            self.errs.push(self.src.at(self.at.clone(), "too many tags"));
            return None;
        };
        let id = TagId(index);
        self.defs.push(TagDef {
            id,
            name,
            description: format!("{} (production)", label.0),
            description_es: format!("{} (producción)", label.1),
            label: crate::lang::Text::new(label.0, label.1),
            unit: unit.to_owned(),
            kind,
            range: (kind == ValueKind::F64).then_some((0.0, 1.0e6)),
            decimals,
            driver: self.driver,
            address: signal.to_owned(),
            stale_after: Duration::MAX,
            writable: false,
            history: HistoryMode::All,
        });
        Some(id)
    }
}
