//! `alarms/*.toml`: alarm points and per-console sound profiles.
//!
//! Parsed like `site.toml`: a raw form that keeps every field's span, then validation against the site's
//! tag directory into an immutable `AlarmSet`, or every problem at `path:line:col`. Trip rules share these
//! files; their tables are left to `project::trips`.

use super::diag::{Diagnostic, SourceFile};
use super::files::ProjectFiles;
use super::parts::Parts;
use crate::alarm::def::{AlarmDef, AlarmKind, AlarmSet, Priority, Side, SoundProfile, Suppression};
use crate::expr::{CmpOp, Comparison};
use crate::lang::Text;
use crate::tag::{TagDef, TagDirectory, TagId, Value, ValueKind};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;
use toml::Spanned;

/// Twelve hours: one shift. A shelved alarm must come back to the next crew (EEMUA 191).
const DEFAULT_MAX_SHELVE: Duration = Duration::from_secs(12 * 3600);
/// Rate-of-change window when the file does not set one.
const DEFAULT_RATE_WINDOW: Duration = Duration::from_secs(10);

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawAlarmFile {
    /// Read entry by entry before the rest (see `read`).
    #[serde(default)]
    alarm: Vec<RawAlarm>,
    #[serde(default)]
    sound: BTreeMap<String, Spanned<RawSound>>,
    /// Trip rules and E-stops: `project::trips` reads them (`read` leaves them out; declared so the
    /// message for a misspelt top-level key lists them).
    #[serde(default)]
    #[allow(dead_code)]
    trip: Vec<toml::Value>,
    #[serde(default)]
    #[allow(dead_code)]
    estop: Vec<toml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSound {
    volume: Option<Spanned<f64>>,
    min_priority: Option<Spanned<String>>,
}

/// `{ en = "…", es = "…" }`, as written (trip names and E-stop labels use it too).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawText {
    en: Option<Spanned<String>>,
    es: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAlarm {
    id: Option<Spanned<String>>,
    tag: Spanned<String>,
    #[serde(rename = "type")]
    kind: Spanned<String>,
    limit: Option<Spanned<f64>>,
    setpoint: Option<Spanned<String>>,
    rate_window_s: Option<Spanned<f64>>,
    state: Option<Spanned<toml::Value>>,
    priority: Spanned<String>,
    deadband: Option<Spanned<f64>>,
    on_delay_s: Option<Spanned<f64>>,
    off_delay_s: Option<Spanned<f64>>,
    #[serde(default)]
    latching: bool,
    message: Spanned<RawText>,
    consequence: Option<Spanned<RawText>>,
    response: Option<Spanned<RawText>>,
    area: Option<String>,
    asset: Option<String>,
    suppress_when: Option<Spanned<OneOrMany>>,
    suppress_release_s: Option<Spanned<f64>>,
    shelvable: Option<bool>,
    max_shelve_h: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

/// The alarm files of a project (trip rules share them): `alarms/*.toml`.
pub(super) fn alarm_files(files: &ProjectFiles) -> impl Iterator<Item = (&str, &str)> {
    files
        .iter()
        .filter(|(rel, _)| rel.starts_with("alarms/") && rel.ends_with(".toml"))
}

/// One alarm file read entry by entry, every syntax and schema problem pushed to `errs`: the alarm
/// points and sound profiles that fit, to be checked next. `None` when the file does not parse.
fn read(src: &SourceFile<'_>, errs: &mut Vec<Diagnostic>) -> Option<RawAlarmFile> {
    let mut parts = match Parts::parse(src) {
        Ok(p) => p,
        Err(d) => {
            errs.push(d);
            return None;
        }
    };
    parts.remove("trip");
    parts.remove("estop");
    let alarm = parts.list("alarm", src, errs);
    // Nothing in the rest is needed to check the alarm points: a bad one leaves them checked all the same.
    let mut raw: RawAlarmFile = parts.rest(src, errs).unwrap_or_default();
    raw.alarm = alarm;
    Some(raw)
}

/// The syntax and schema problems of every alarm file, for when there are no site tags to check the
/// points against (`site.toml` has problems): what can be found now is reported now.
pub(super) fn read_problems(files: &ProjectFiles) -> Vec<Diagnostic> {
    let mut errs = Vec::new();
    for (rel, text) in alarm_files(files) {
        let path = files.display_path(rel);
        read(&SourceFile::new(&path, text), &mut errs);
    }
    errs
}

/// Loads every `alarms/*.toml` against the site's tags.
pub fn load(files: &ProjectFiles, tags: &TagDirectory) -> Result<AlarmSet, Vec<Diagnostic>> {
    let mut errs = Vec::new();
    let mut points: Vec<Arc<AlarmDef>> = Vec::new();
    let mut sounds: Vec<SoundProfile> = Vec::new();
    let mut ids: HashMap<Arc<str>, String> = HashMap::new();
    for (rel, text) in alarm_files(files) {
        let path = files.display_path(rel);
        let src = SourceFile::new(&path, text);
        let Some(raw) = read(&src, &mut errs) else {
            continue;
        };
        for a in raw.alarm {
            let span = a.tag.span();
            if let Some(def) = alarm(a, &src, tags, &mut errs) {
                if let Some(first) = ids.get(&def.id) {
                    errs.push(src.at(span, format!("alarm '{}' is defined twice (first at {first})", def.id)));
                    continue;
                }
                let (line, col) = src.line_col(span.start);
                ids.insert(def.id.clone(), format!("{path}:{line}:{col}"));
                points.push(Arc::new(def));
            }
        }
        for (name, s) in raw.sound {
            let span = s.span();
            let s = s.into_inner();
            let mut p = SoundProfile::default_for(&name);
            if let Some(v) = s.volume {
                if (0.0..=1.0).contains(v.get_ref()) {
                    p.volume = *v.get_ref() as f32;
                } else {
                    errs.push(src.at(v.span(), "volume must be between 0.0 and 1.0"));
                }
            }
            if let Some(m) = s.min_priority {
                match priority(&m, &src, &mut errs) {
                    Some(pr) => p.min_priority = pr,
                    None => continue,
                }
            }
            if sounds.iter().any(|o| o.name == name) {
                errs.push(src.at(span, format!("sound profile '{name}' is defined twice")));
                continue;
            }
            sounds.push(p);
        }
    }
    if errs.is_empty() {
        Ok(AlarmSet::new(points, sounds, tags.len()))
    } else {
        Err(errs)
    }
}

fn priority(p: &Spanned<String>, src: &SourceFile<'_>, errs: &mut Vec<Diagnostic>) -> Option<Priority> {
    let found = Priority::parse(p.get_ref());
    if found.is_none() {
        errs.push(src.at(
            p.span(),
            format!(
                "unknown priority '{}' (critical, high, medium, low, diagnostic)",
                p.get_ref()
            ),
        ));
    }
    found
}

fn seconds(v: &Option<Spanned<f64>>, what: &str, src: &SourceFile<'_>, errs: &mut Vec<Diagnostic>) -> Duration {
    match v {
        None => Duration::ZERO,
        Some(s) if s.get_ref().is_finite() && *s.get_ref() >= 0.0 && *s.get_ref() < 1e7 => {
            Duration::from_secs_f64(*s.get_ref())
        }
        Some(s) => {
            errs.push(src.at(s.span(), format!("{what} must be a number of seconds, 0 or more")));
            Duration::ZERO
        }
    }
}

pub(super) fn text(
    raw: Option<Spanned<RawText>>,
    what: &str,
    required: bool,
    outer: std::ops::Range<usize>,
    src: &SourceFile<'_>,
    errs: &mut Vec<Diagnostic>,
) -> Text {
    let Some(raw) = raw else {
        if required {
            errs.push(src.at(
                outer,
                format!("{what} is required, in English and Spanish: {what} = {{ en = \"…\", es = \"…\" }}"),
            ));
        }
        return Text::default();
    };
    let span = raw.span();
    let raw = raw.into_inner();
    let get = |t: &Option<Spanned<String>>, lang: &str, errs: &mut Vec<Diagnostic>| match t {
        Some(s) if !s.get_ref().trim().is_empty() => s.get_ref().trim().to_owned(),
        Some(s) => {
            errs.push(src.at(s.span(), format!("{what}.{lang} must not be empty")));
            String::new()
        }
        None => {
            let name = if lang == "en" { "English" } else { "Spanish" };
            errs.push(src.at(span.clone(), format!("{what} has no {name} text ({lang} = \"…\")")));
            String::new()
        }
    };
    let en = get(&raw.en, "en", errs);
    let es = get(&raw.es, "es", errs);
    Text::new(&en, &es)
}

/// The widest deadband accepted for a tag with no range: larger than any reading in any unit wellconsole
/// shows, small enough that a typo like 1e300 is caught.
const MAX_DEADBAND: f64 = 1e9;

fn alarm(a: RawAlarm, src: &SourceFile<'_>, tags: &TagDirectory, errs: &mut Vec<Diagnostic>) -> Option<AlarmDef> {
    let before = errs.len();
    let tag_name = a.tag.get_ref();
    let Some(def) = tags.by_name(tag_name) else {
        errs.push(src.at(
            a.tag.span(),
            format!("unknown tag '{tag_name}' (not defined in site.toml)"),
        ));
        return None;
    };
    // Every check below runs even after one fails, in file order, so one load reports every problem.
    let kind = alarm_kind(&a, def, tags, src, errs);
    if let Some(k) = &kind {
        unused_fields(&a, k, src, errs);
    }
    let priority = priority(&a.priority, src, errs);
    let deadband = alarm_deadband(&a, kind.as_ref(), def, src, errs);
    let on_delay = seconds(&a.on_delay_s, "on_delay_s", src, errs);
    let off_delay = seconds(&a.off_delay_s, "off_delay_s", src, errs);
    let outer = a.tag.span();
    let message = text(Some(a.message), "message", true, outer.clone(), src, errs);
    let consequence = text(a.consequence, "consequence", false, outer.clone(), src, errs);
    let response = text(a.response, "response", false, outer, src, errs);
    // The texts are moved out of `a` above: the checks left take only the fields they read.
    let suppression = alarm_suppression(&a.suppress_when, &a.suppress_release_s, tags, src, errs);
    let max_shelve = alarm_max_shelve(&a.max_shelve_h, src, errs);
    let kind = kind?;
    let priority = priority?;
    if errs.len() > before {
        return None;
    }
    let id: Arc<str> = match &a.id {
        Some(i) => i.get_ref().as_str().into(),
        None => format!("{tag_name}:{}", kind.code().replace(' ', "")).into(),
    };
    let device = def.device().to_owned();
    Some(AlarmDef {
        id,
        tag: def.id,
        tag_name: def.name.as_str().into(),
        unit: def.unit.as_str().into(),
        decimals: def.decimals,
        kind,
        priority,
        deadband,
        on_delay,
        off_delay,
        latching: a.latching,
        message,
        consequence,
        response,
        area: a.area.unwrap_or_else(|| device.clone()).into(),
        asset: a.asset.unwrap_or(device).into(),
        suppression,
        shelvable: a.shelvable.unwrap_or(true),
        max_shelve,
    })
}

/// The alarm's type (`type = "hi"`, …) with what that type needs: a limit, a setpoint, a state. `None`
/// (with the problems pushed) when the type is unknown or what it needs is missing or wrong.
fn alarm_kind(
    a: &RawAlarm,
    def: &TagDef,
    tags: &TagDirectory,
    src: &SourceFile<'_>,
    errs: &mut Vec<Diagnostic>,
) -> Option<AlarmKind> {
    let limit_kind = |code: &'static str, side: Side, errs: &mut Vec<Diagnostic>| {
        need_numeric(a, def, src, errs);
        need_limit(a, def, src, errs).map(|limit| AlarmKind::Limit { code, side, limit })
    };
    match a.kind.get_ref().as_str() {
        "hihi" => limit_kind("HIHI", Side::High, errs),
        "hi" => limit_kind("HI", Side::High, errs),
        "lo" => limit_kind("LO", Side::Low, errs),
        "lolo" => limit_kind("LOLO", Side::Low, errs),
        "deviation" => deviation_kind(a, def, tags, src, errs),
        "rate" => rate_kind(a, def, src, errs),
        "state" => state_kind(a, def, src, errs),
        "bad-quality" => Some(AlarmKind::BadQuality),
        other => {
            errs.push(src.at(
                a.kind.span(),
                format!("unknown alarm type '{other}' (hihi, hi, lo, lolo, deviation, rate, state, bad-quality)"),
            ));
            None
        }
    }
}

/// The `limit` a limit, deviation or rate alarm compares against, in the tag's unit: present and finite.
fn need_limit(a: &RawAlarm, def: &TagDef, src: &SourceFile<'_>, errs: &mut Vec<Diagnostic>) -> Option<f64> {
    match &a.limit {
        Some(l) if l.get_ref().is_finite() => Some(*l.get_ref()),
        Some(l) => {
            errs.push(src.at(l.span(), "limit must be a finite number"));
            None
        }
        None => {
            errs.push(src.at(
                a.kind.span(),
                format!(
                    "a '{}' alarm needs limit = NUMBER (in {})",
                    a.kind.get_ref(),
                    unit_or(def.unit.as_str())
                ),
            ));
            None
        }
    }
}

/// Limit, deviation and rate alarms compare numbers: a true/false or text tag cannot carry one.
fn need_numeric(a: &RawAlarm, def: &TagDef, src: &SourceFile<'_>, errs: &mut Vec<Diagnostic>) {
    if !matches!(def.kind, ValueKind::F64 | ValueKind::I64) {
        errs.push(src.at(
            a.kind.span(),
            format!(
                "a '{}' alarm needs a numeric tag; '{}' holds {}",
                a.kind.get_ref(),
                a.tag.get_ref(),
                kind_word(def.kind)
            ),
        ));
    }
}

/// `type = "deviation"`: the tag drifting more than `limit` from another (numeric) tag, the setpoint.
fn deviation_kind(
    a: &RawAlarm,
    def: &TagDef,
    tags: &TagDirectory,
    src: &SourceFile<'_>,
    errs: &mut Vec<Diagnostic>,
) -> Option<AlarmKind> {
    need_numeric(a, def, src, errs);
    let limit = need_limit(a, def, src, errs);
    let setpoint = deviation_setpoint(a, tags, src, errs);
    match (limit, setpoint) {
        (Some(l), _) if l <= 0.0 => {
            errs.push(src.at(
                a.limit.as_ref().map_or(a.kind.span(), Spanned::span),
                "a deviation limit must be greater than 0",
            ));
            None
        }
        (Some(limit), Some(setpoint)) => Some(AlarmKind::Deviation { setpoint, limit }),
        _ => None,
    }
}

/// The setpoint tag of a deviation alarm: named, defined in `site.toml`, and holding a number.
fn deviation_setpoint(
    a: &RawAlarm,
    tags: &TagDirectory,
    src: &SourceFile<'_>,
    errs: &mut Vec<Diagnostic>,
) -> Option<TagId> {
    match &a.setpoint {
        None => {
            errs.push(src.at(a.kind.span(), "a 'deviation' alarm needs setpoint = \"TAG\""));
            None
        }
        Some(s) => match tags.by_name(s.get_ref()) {
            Some(sp) if matches!(sp.kind, ValueKind::F64 | ValueKind::I64) => Some(sp.id),
            Some(sp) => {
                errs.push(src.at(
                    s.span(),
                    format!("setpoint '{}' holds {}, not a number", sp.name, kind_word(sp.kind)),
                ));
                None
            }
            None => {
                errs.push(src.at(
                    s.span(),
                    format!("unknown tag '{}' (not defined in site.toml)", s.get_ref()),
                ));
                None
            }
        },
    }
}

/// `type = "rate"`: the tag changing faster than `limit` units per minute, measured over a window.
fn rate_kind(a: &RawAlarm, def: &TagDef, src: &SourceFile<'_>, errs: &mut Vec<Diagnostic>) -> Option<AlarmKind> {
    need_numeric(a, def, src, errs);
    let window = match &a.rate_window_s {
        None => DEFAULT_RATE_WINDOW,
        Some(w) if *w.get_ref() >= 0.1 && *w.get_ref() <= 3600.0 => Duration::from_secs_f64(*w.get_ref()),
        Some(w) => {
            errs.push(src.at(w.span(), "rate_window_s must be between 0.1 and 3600 seconds"));
            DEFAULT_RATE_WINDOW
        }
    };
    match need_limit(a, def, src, errs) {
        Some(l) if l <= 0.0 => {
            errs.push(src.at(
                a.limit.as_ref().map_or(a.kind.span(), Spanned::span),
                "a rate limit (units per minute) must be greater than 0",
            ));
            None
        }
        Some(per_min) => Some(AlarmKind::Rate { per_min, window }),
        None => None,
    }
}

/// `type = "state"`: the tag equal to one value, which must be comparable with what the tag holds.
fn state_kind(a: &RawAlarm, def: &TagDef, src: &SourceFile<'_>, errs: &mut Vec<Diagnostic>) -> Option<AlarmKind> {
    match &a.state {
        None => {
            errs.push(src.at(
                a.kind.span(),
                "a 'state' alarm needs state = VALUE (true/false, a number or a string)",
            ));
            None
        }
        Some(s) => match state_value(s.get_ref(), def.kind) {
            Some(value) => Some(AlarmKind::State { value }),
            None => {
                errs.push(src.at(
                    s.span(),
                    format!(
                        "state {} cannot be compared with '{}', which holds {}",
                        s.get_ref(),
                        a.tag.get_ref(),
                        kind_word(def.kind)
                    ),
                ));
                None
            }
        },
    }
}

/// A field the alarm's type does not use is most likely a mistake (a setpoint on a `hi` alarm): say so
/// rather than ignore it.
fn unused_fields(a: &RawAlarm, kind: &AlarmKind, src: &SourceFile<'_>, errs: &mut Vec<Diagnostic>) {
    let unused = [
        (
            "limit",
            a.limit.is_some() && matches!(kind, AlarmKind::State { .. } | AlarmKind::BadQuality),
        ),
        (
            "setpoint",
            a.setpoint.is_some() && !matches!(kind, AlarmKind::Deviation { .. }),
        ),
        ("state", a.state.is_some() && !matches!(kind, AlarmKind::State { .. })),
        (
            "rate_window_s",
            a.rate_window_s.is_some() && !matches!(kind, AlarmKind::Rate { .. }),
        ),
    ];
    for (field, present) in unused {
        if present {
            errs.push(src.at(
                a.kind.span(),
                format!("{field} has no meaning for a '{}' alarm", a.kind.get_ref()),
            ));
        }
    }
}

/// The deadband, in the tag's unit: 0 or more, and narrower than what it is a band around.
fn alarm_deadband(
    a: &RawAlarm,
    kind: Option<&AlarmKind>,
    def: &TagDef,
    src: &SourceFile<'_>,
    errs: &mut Vec<Diagnostic>,
) -> f64 {
    match &a.deadband {
        None => 0.0,
        Some(d) if d.get_ref().is_finite() && *d.get_ref() >= 0.0 => {
            let db = *d.get_ref();
            // A deadband wider than what it is a band around keeps the alarm in for ever.
            let widest = match (kind, def.range) {
                (Some(AlarmKind::Deviation { limit, .. }), _) => Some((*limit, "the deviation limit")),
                (Some(AlarmKind::Rate { per_min, .. }), _) => Some((*per_min, "the rate limit")),
                (_, Some((lo, hi))) => Some((hi - lo, "the tag's range span")),
                _ => None,
            };
            match widest {
                Some((w, what)) if db >= w => {
                    errs.push(src.at(d.span(), format!("deadband must be less than {what} ({w})")));
                    0.0
                }
                _ if db > MAX_DEADBAND => {
                    errs.push(src.at(
                        d.span(),
                        format!("deadband is beyond any instrument's reach (at most {MAX_DEADBAND:e}); give the tag a range to bound it"),
                    ));
                    0.0
                }
                _ => db,
            }
        }
        Some(d) => {
            errs.push(src.at(d.span(), "deadband must be 0 or more, in the tag's unit"));
            0.0
        }
    }
}

/// `suppress_when` (one condition or a list) and its release delay: the alarm is kept out while a
/// condition holds (a stopped pump's low-flow alarm), and for the release delay after.
fn alarm_suppression(
    suppress_when: &Option<Spanned<OneOrMany>>,
    suppress_release_s: &Option<Spanned<f64>>,
    tags: &TagDirectory,
    src: &SourceFile<'_>,
    errs: &mut Vec<Diagnostic>,
) -> Option<Suppression> {
    let Some(w) = suppress_when else {
        if let Some(r) = suppress_release_s {
            errs.push(src.at(r.span(), "suppress_release_s needs suppress_when"));
        }
        return None;
    };
    let list = match w.get_ref() {
        OneOrMany::One(s) => vec![s.clone()],
        OneOrMany::Many(v) => v.clone(),
    };
    let mut when = Vec::new();
    for s in &list {
        match comparison(s, tags) {
            Ok(c) => when.push(c),
            Err(why) => errs.push(src.at(w.span(), format!("suppress_when '{s}': {why}"))),
        }
    }
    if list.is_empty() {
        errs.push(src.at(
            w.span(),
            "suppress_when needs at least one condition, e.g. \"esp01/running == false\"",
        ));
    }
    Some(Suppression {
        when,
        release: seconds(suppress_release_s, "suppress_release_s", src, errs),
    })
}

/// The longest an operator may shelve the alarm: at most 30 days, 12 hours when not set.
fn alarm_max_shelve(max_shelve_h: &Option<Spanned<f64>>, src: &SourceFile<'_>, errs: &mut Vec<Diagnostic>) -> Duration {
    match max_shelve_h {
        None => DEFAULT_MAX_SHELVE,
        Some(h) if *h.get_ref() > 0.0 && *h.get_ref() <= 24.0 * 30.0 => Duration::from_secs_f64(h.get_ref() * 3600.0),
        Some(h) => {
            errs.push(src.at(h.span(), "max_shelve_h must be more than 0 and at most 720 hours"));
            DEFAULT_MAX_SHELVE
        }
    }
}

fn unit_or(u: &str) -> &str {
    if u.is_empty() { "the tag's unit" } else { u }
}

fn kind_word(k: ValueKind) -> &'static str {
    match k {
        ValueKind::F64 | ValueKind::I64 => "a number",
        ValueKind::Bool => "true/false",
        ValueKind::String => "text",
    }
}

fn state_value(v: &toml::Value, kind: ValueKind) -> Option<Value> {
    match (v, kind) {
        (toml::Value::Boolean(b), ValueKind::Bool) => Some(Value::Bool(*b)),
        (toml::Value::Integer(i), ValueKind::I64 | ValueKind::F64) => Some(Value::I64(*i)),
        (toml::Value::Integer(i @ (0 | 1)), ValueKind::Bool) => Some(Value::Bool(*i == 1)),
        (toml::Value::String(s), ValueKind::String) => Some(Value::str(s)),
        _ => None,
    }
}

/// `TAG OP VALUE` with OP one of == != < <= > >= and VALUE true, false, a number or "a string".
pub fn comparison(s: &str, tags: &TagDirectory) -> Result<Comparison, String> {
    let ops = [
        ("==", CmpOp::Eq),
        ("!=", CmpOp::Ne),
        ("<=", CmpOp::Le),
        (">=", CmpOp::Ge),
        ("<", CmpOp::Lt),
        (">", CmpOp::Gt),
    ];
    let Some((pos, op_str, op)) = ops
        .iter()
        .filter_map(|(t, op)| s.find(t).map(|p| (p, *t, *op)))
        .min_by_key(|(p, t, _)| (*p, std::cmp::Reverse(t.len())))
    else {
        return Err("expected TAG OP VALUE with OP one of == != < <= > >=".into());
    };
    let name = s[..pos].trim();
    let rhs = s[pos + op_str.len()..].trim();
    let def = tags.by_name(name).ok_or_else(|| format!("unknown tag '{name}'"))?;
    let value = if rhs == "true" || rhs == "false" {
        Value::Bool(rhs == "true")
    } else if let Some(q) = rhs.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        Value::str(q)
    } else if let Ok(x) = rhs.parse::<f64>() {
        // Rust reads "NaN", "inf" and 1e400 as numbers; a comparison with one is never (or always) true.
        if !x.is_finite() {
            return Err(format!("'{rhs}' is not a finite number"));
        }
        Value::F64(x)
    } else {
        return Err(format!("'{rhs}' is not true, false, a number or a \"quoted string\""));
    };
    let fits = matches!(
        (&value, def.kind),
        (Value::Str(_), ValueKind::String)
            | (
                Value::Bool(_) | Value::F64(_),
                ValueKind::Bool | ValueKind::I64 | ValueKind::F64
            )
    );
    if !fits {
        return Err(format!(
            "'{name}' holds {}; it cannot be compared with {rhs}",
            kind_word(def.kind)
        ));
    }
    if matches!(value, Value::Str(_)) && !matches!(op, CmpOp::Eq | CmpOp::Ne) {
        return Err("text can only be compared with == or !=".into());
    }
    Ok(Comparison { tag: def.id, op, value })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_bad_entry_refuses_the_whole_file_and_is_located() {
        let demo = crate::project::Project::demo().expect("demo is valid");
        let good = "[[alarm]]\ntag = \"ct01/weight\"\ntype = \"hi\"\nlimit = 1.0\npriority = \"low\"\nmessage = { en = \"A\", es = \"B\" }\n";
        let bad = good.replace("limit = 1.0", "limit = \"one\"");
        let files = ProjectFiles::from_memory([("alarms/a.toml".to_owned(), format!("{good}\n{bad}"))]);
        // A reload that gets this file keeps the last good set: the good entry is checked, never loaded.
        let Err(problems) = load(&files, &demo.site.tags) else {
            panic!("a file with a problem loads nothing");
        };
        let found: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            found,
            ["<memory>/alarms/a.toml:11:9: invalid type: string \"one\", expected f64"]
        );
    }
}
