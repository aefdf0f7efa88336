//! `[[tag]]`: each entry made into a `TagDef` (name, type, unit, description and label, range, decimals,
//! staleness, history mode), bound to its driver, or, with `expr = "…"`, made a calculated tag.
//!
//! Owns what every tag may say whatever its driver, and the order of a tag's checks. What an address means
//! is its driver kind's module's (`sim`, `modbus`, `mqtt`, `opcua`: each `bind`s a tag and `attach`es it to
//! its driver's settings); compiling expressions is `calc_tags`'. It must not read driver options.

use super::drivers::{AddressBook, DriverConfig, DriverKind, Drivers, address_problem};
use super::{CALC_DRIVER, is_valid_name, modbus, mqtt, opcua, sim};
use crate::driver::modbus::codec::Scaling;
use crate::project::calc_tags::PendingCalc;
use crate::project::diag::{Diagnostic, SourceFile};
use crate::sim::SignalSpec;
use crate::tag::{DriverId, HistoryMode, TagDef, TagId, ValueKind};
use serde::Deserialize;
use std::collections::HashSet;
use std::ops::{ControlFlow, Range};
use std::time::Duration;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTag {
    pub(super) name: Spanned<String>,
    /// Absent for a calculated tag (`expr`).
    driver: Option<Spanned<String>>,
    address: Option<Spanned<String>>,
    #[serde(rename = "type")]
    pub(super) kind: Option<Spanned<String>>,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    description: RawDescription,
    /// What operators call it on screens, tiles and trends: `"…"` or `{ en = "…", es = "…" }`.
    label: Option<RawLabel>,
    /// A list, not `[f64; 2]`: serde reads the first two of `[0, 100, 5]` and ignores the rest.
    range: Option<Spanned<Vec<f64>>>,
    decimals: Option<Spanned<i64>>,
    stale_after_ms: Option<Spanned<u64>>,
    writable: Option<Spanned<bool>>,
    /// Linear scaling of raw device values: engineering = raw × gain + offset.
    pub(super) gain: Option<Spanned<f64>>,
    pub(super) offset: Option<Spanned<f64>>,
    /// Poll group (Modbus) or subscription (OPC UA).
    poll: Option<Spanned<String>>,
    /// What the historian stores: "all" (default), "change", "swinging-door" or "off".
    history: Option<Spanned<String>>,
    /// Deadband ("change") or deviation ("swinging-door"), in the tag's unit.
    history_deadband: Option<Spanned<f64>>,
    /// A calculated tag's expression (the `expr` room's language), instead of a driver and an address.
    expr: Option<Spanned<String>>,
}

/// A tag's description: `"…"` (English only) or `{ en = "…", es = "…" }`.
#[derive(Deserialize)]
#[serde(
    untagged,
    expecting = "a description is \"…\" or both languages: { en = \"…\", es = \"…\" }"
)]
enum RawDescription {
    Plain(String),
    Both { en: String, es: String },
}

impl Default for RawDescription {
    fn default() -> Self {
        RawDescription::Plain(String::new())
    }
}

/// A tag's label: the same two forms as a description (its own type for its own error message).
#[derive(Deserialize)]
#[serde(
    untagged,
    expecting = "a label is \"…\" or both languages: { en = \"…\", es = \"…\" }"
)]
enum RawLabel {
    Plain(String),
    Both { en: String, es: String },
}

impl From<RawLabel> for crate::lang::Text {
    fn from(raw: RawLabel) -> Self {
        match raw {
            RawLabel::Plain(en) => Self::new(&en, ""),
            RawLabel::Both { en, es } => Self::new(&en, &es),
        }
    }
}

/// Default stale period for tags that do not set one.
pub const DEFAULT_STALE_AFTER: Duration = Duration::from_secs(5);

/// A tag on a driver, as far as it is read before its driver kind's module checks its address.
pub(super) struct TagEntry<'t> {
    pub(super) raw: &'t RawTag,
    pub(super) name: &'t str,
    /// The `address`, or the tag's name when none is given.
    pub(super) address: &'t str,
    /// Where the address is written (the tag's name when it is not).
    pub(super) address_span: Range<usize>,
    /// The `type` given, if any.
    pub(super) declared: Option<ValueKind>,
    pub(super) writable: bool,
}

/// What a tag's driver made of its address: the driver's half of the tag.
enum Binding<'b> {
    /// The simulator serves every signal by name: its settings need nothing per tag.
    Sim(&'b SignalSpec),
    Modbus(modbus::TagBinding),
    Mqtt(mqtt::TagBinding),
    OpcUa(opcua::TagBinding),
}

impl<'b> Binding<'b> {
    /// The simulator signal, whose unit, description, range and decimals a tag takes when it gives none.
    fn signal(&self) -> Option<&'b SignalSpec> {
        match self {
            Binding::Sim(s) => Some(*s),
            Binding::Modbus(_) | Binding::Mqtt(_) | Binding::OpcUa(_) => None,
        }
    }

    /// The tag's driver has groups a `poll` may name (Modbus poll groups, OPC UA subscriptions).
    fn has_groups(&self) -> bool {
        matches!(self, Binding::Modbus(_) | Binding::OpcUa(_))
    }

    /// Sparkplug and OPC UA subscriptions report by exception: a quiet value is not stale; deaths and
    /// keep-alives mark lost links.
    fn reports_by_exception(&self) -> bool {
        match self {
            Binding::Mqtt(b) => b.reports_by_exception(),
            Binding::OpcUa(_) => true,
            Binding::Sim(_) | Binding::Modbus(_) => false,
        }
    }

    /// Adds the tag to its driver's settings, so the driver reads it.
    fn attach(self, driver: Option<&mut DriverKind>, tag: TagId, kind: ValueKind, writable: bool) {
        match (self, driver) {
            (Binding::Modbus(b), Some(DriverKind::Modbus(cfg))) => b.attach(cfg, tag, writable),
            (Binding::Mqtt(b), Some(DriverKind::Mqtt(cfg))) => b.attach(cfg, tag, kind, writable),
            (Binding::OpcUa(b), Some(DriverKind::OpcUa(cfg))) => b.attach(cfg, tag, kind, writable),
            // A binding is made from its own driver's address book, so the kinds always agree.
            _ => {}
        }
    }
}

/// Every `[[tag]]` made into a `TagDef`, in file order, with the calculated tags' expressions still to
/// compile. Tags with problems are not made (calculated ones are, so the tags that read them are checked);
/// the calculated tags' driver is added to `drivers` with the first of them.
pub(super) fn check(
    raw: Vec<RawTag>,
    drivers: &mut Drivers,
    src: &SourceFile<'_>,
    errs: &mut Vec<Diagnostic>,
) -> (Vec<TagDef>, Vec<PendingCalc>) {
    let mut defs = Vec::new();
    let mut tag_names: HashSet<String> = HashSet::new();
    let mut metrics = mqtt::BoundMetrics::new();
    // The calculated tags' driver, made with the first of them; their expressions, compiled after the loop.
    let mut calc_driver: Option<DriverId> = None;
    let mut pending: Vec<PendingCalc> = Vec::new();
    for t in raw {
        let name = t.name.get_ref().clone();
        if !is_valid_name(&name, true) {
            errs.push(src.at(
                t.name.span(),
                format!("tag name '{name}' must be path segments of letters, digits, '_' or '-' separated by '/', e.g. ct01/weight"),
            ));
        }
        if !tag_names.insert(name.clone()) {
            errs.push(src.at(t.name.span(), format!("tag '{name}' is defined twice")));
            continue;
        }
        if let Some(expr) = t.expr.clone() {
            let Some(driver) = calc_driver_id(&mut calc_driver, drivers, t.name.span(), src, errs) else {
                break;
            };
            let Ok(index) = u32::try_from(defs.len()) else {
                errs.push(src.at(t.name.span(), "too many tags"));
                break;
            };
            let (def, declared) = calculated_def(t, name, TagId(index), driver, src, errs);
            pending.push(PendingCalc {
                tag: def.id,
                expr,
                declared,
            });
            defs.push(def);
            continue;
        }
        if driver_tag(t, name, &mut defs, drivers, &mut metrics, src, errs).is_break() {
            break;
        }
    }
    (defs, pending)
}

/// The calculated tags' driver: made with the first calculated tag and shared by the rest. `None` when
/// driver ids have run out (reported): no later tag can be made either.
fn calc_driver_id(
    calc_driver: &mut Option<DriverId>,
    drivers: &mut Drivers,
    at: Range<usize>,
    src: &SourceFile<'_>,
    errs: &mut Vec<Diagnostic>,
) -> Option<DriverId> {
    if let Some(id) = *calc_driver {
        return Some(id);
    }
    *calc_driver = drivers.add_implicit(CALC_DRIVER, DriverKind::Calc, at, src, errs);
    *calc_driver
}

/// A tag on a driver made into a `TagDef`, appended to `defs` and attached to its driver's settings; left
/// out when it has a problem (reported). `Break` when tag ids have run out: no later tag can be made either.
fn driver_tag(
    t: RawTag,
    name: String,
    defs: &mut Vec<TagDef>,
    drivers: &mut Drivers,
    metrics: &mut mqtt::BoundMetrics,
    src: &SourceFile<'_>,
    errs: &mut Vec<Diagnostic>,
) -> ControlFlow<()> {
    let Some(driver_name) = t.driver.clone() else {
        errs.push(src.at(
            t.name.span(),
            format!("tag '{name}' needs driver = \"…\" (where its value comes from), or expr = \"…\" to be calculated"),
        ));
        return ControlFlow::Continue(());
    };
    let writable = t.writable.as_ref().is_some_and(|w| *w.get_ref());
    let address = t.address.as_ref().map_or_else(|| name.clone(), |a| a.get_ref().clone());
    let address_span = t.address.as_ref().map_or(t.name.span(), Spanned::span);
    let Some(driver) = tag_driver(&driver_name, &name, &address, &address_span, drivers, src, errs) else {
        return ControlFlow::Continue(());
    };
    let Ok(declared) = declared_kind(&t.kind, src, errs) else {
        return ControlFlow::Continue(());
    };
    let entry = TagEntry {
        raw: &t,
        name: &name,
        address: &address,
        address_span,
        declared,
        writable,
    };
    // Only the address books are borrowed here: the driver's settings are written below (`attach`).
    let book = &drivers.books[driver.index()];
    let Some((kind, binding)) = bind_address(&entry, book, driver, metrics, src, errs) else {
        return ControlFlow::Continue(());
    };
    if let Some(p) = &t.poll
        && !binding.has_groups()
    {
        errs.push(src.at(
            p.span(),
            "poll names a Modbus poll group or an OPC UA subscription; this tag's driver has neither",
        ));
    }
    let signal = binding.signal();
    let range = tag_range(&t, signal, src, errs);
    let decimals = tag_decimals(&t, signal, src, errs);
    let stale_after = stale_after(&t.stale_after_ms, &binding, src, errs);
    let history = history_mode(&t, src, errs);
    let unit = if t.unit.is_empty() {
        signal.map_or(String::new(), |s| s.unit.to_owned())
    } else {
        t.unit
    };
    let (description, description_es) = tag_description(t.description, signal);
    let Ok(index) = u32::try_from(defs.len()) else {
        errs.push(src.at(t.name.span(), "too many tags"));
        return ControlFlow::Break(());
    };
    let tag = TagId(index);
    defs.push(TagDef {
        id: tag,
        name,
        description,
        description_es,
        label: t.label.map(Into::into).unwrap_or_default(),
        unit,
        kind,
        range,
        decimals,
        driver,
        address,
        stale_after,
        writable,
        history,
    });
    binding.attach(
        drivers
            .configs
            .get_mut(driver.index())
            .map(|d: &mut DriverConfig| &mut d.kind),
        tag,
        kind,
        writable,
    );
    ControlFlow::Continue(())
}

/// The driver a tag names. `None` when there is no such driver, reported unless that driver has problems
/// of its own (reported with it).
fn tag_driver(
    driver_name: &Spanned<String>,
    tag_name: &str,
    address: &str,
    address_span: &Range<usize>,
    drivers: &Drivers,
    src: &SourceFile<'_>,
    errs: &mut Vec<Diagnostic>,
) -> Option<DriverId> {
    if let Some(&driver) = drivers.ids.get(driver_name.get_ref()) {
        return Some(driver);
    }
    // A driver with problems of its own does not hide its tags' address problems: one pass of
    // `check` reports both.
    if let Some(why) = drivers
        .broken_kinds
        .get(driver_name.get_ref())
        .and_then(|kind| address_problem(kind, address))
    {
        errs.push(src.at(address_span.clone(), why));
    }
    if !drivers.broken.contains(driver_name.get_ref()) {
        let why = if driver_name.get_ref() == CALC_DRIVER {
            format!("'calc' is the driver of calculated tags: give tag '{tag_name}' expr = \"…\" instead of a driver")
        } else {
            format!(
                "tag '{tag_name}' uses driver '{}', which is not defined",
                driver_name.get_ref()
            )
        };
        errs.push(src.at(driver_name.span(), why));
    }
    None
}

/// The `type` a driver tag declares, if any (its driver may also infer one from the address). `Err` when
/// the type is unknown (reported): the tag is left out.
fn declared_kind(
    kind: &Option<Spanned<String>>,
    src: &SourceFile<'_>,
    errs: &mut Vec<Diagnostic>,
) -> Result<Option<ValueKind>, ()> {
    let Some(k) = kind else {
        return Ok(None);
    };
    match parse_kind(k.get_ref()) {
        Some(kind) => Ok(Some(kind)),
        None => {
            errs.push(src.at(
                k.span(),
                format!("unknown type '{}' (expected f64, i64, bool or string)", k.get_ref()),
            ));
            Err(())
        }
    }
}

/// The tag's address read by its driver kind's module: the type of value it holds and the driver's half
/// of the tag. `None` when the address does not fit (reported).
fn bind_address<'b>(
    entry: &TagEntry<'_>,
    book: &'b AddressBook,
    driver: DriverId,
    metrics: &mut mqtt::BoundMetrics,
    src: &SourceFile<'_>,
    errs: &mut Vec<Diagnostic>,
) -> Option<(ValueKind, Binding<'b>)> {
    match book {
        AddressBook::Sim(signals) => sim::bind(entry, signals, src, errs).map(|s| (s.kind, Binding::Sim(s))),
        AddressBook::Modbus(polls) => modbus::bind(entry, polls, src, errs).map(|(k, b)| (k, Binding::Modbus(b))),
        AddressBook::OpcUa(groups) => opcua::bind(entry, groups, src, errs).map(|(k, b)| (k, Binding::OpcUa(b))),
        AddressBook::Mqtt => mqtt::bind(entry, driver, metrics, src, errs).map(|(k, b)| (k, Binding::Mqtt(b))),
    }
}

/// How long the tag may go without a new value before it reads STALE: as set, else the default, else
/// never for a driver that reports by exception (silence there means no change).
fn stale_after(
    stale_after_ms: &Option<Spanned<u64>>,
    binding: &Binding<'_>,
    src: &SourceFile<'_>,
    errs: &mut Vec<Diagnostic>,
) -> Duration {
    match stale_after_ms {
        Some(ms) if *ms.get_ref() == 0 => {
            errs.push(src.at(ms.span(), "stale_after_ms must be greater than 0"));
            DEFAULT_STALE_AFTER
        }
        Some(ms) => Duration::from_millis(*ms.get_ref()),
        None if binding.reports_by_exception() => Duration::MAX,
        None => DEFAULT_STALE_AFTER,
    }
}

/// A calculated tag's definition, and its declared type with where it is written (its expression is
/// compiled once every tag is known). The fields it cannot have are reported; it is made all the same, so
/// the calculated tags that read it are checked against it.
fn calculated_def(
    t: RawTag,
    name: String,
    id: TagId,
    driver: DriverId,
    src: &SourceFile<'_>,
    errs: &mut Vec<Diagnostic>,
) -> (TagDef, Option<(ValueKind, Range<usize>)>) {
    let misplaced = [
        (
            t.driver.as_ref().map(Spanned::span),
            "a calculated tag (one with expr) has no driver: leave driver out",
        ),
        (
            t.address.as_ref().map(Spanned::span),
            "a calculated tag has no address: its expression is where its value comes from",
        ),
        (
            t.gain.as_ref().or(t.offset.as_ref()).map(Spanned::span),
            "gain and offset scale device values; a calculated tag scales in its expression, e.g. expr = \"x * 0.1\"",
        ),
        (
            t.poll.as_ref().map(Spanned::span),
            "a calculated tag is not polled: it is computed when one of its inputs changes",
        ),
        (
            t.writable.as_ref().map(Spanned::span),
            "a calculated tag cannot be written: its value comes from its expression",
        ),
        (
            t.stale_after_ms.as_ref().map(Spanned::span),
            "a calculated tag does not go stale on its own: it is STALE when an input it needs is",
        ),
    ];
    for (span, why) in misplaced {
        if let Some(span) = span {
            errs.push(src.at(span, why));
        }
    }
    let declared = t.kind.as_ref().and_then(|k| match parse_kind(k.get_ref()) {
        Some(kind) => Some((kind, k.span())),
        None => {
            errs.push(src.at(
                k.span(),
                format!(
                    "unknown type '{}' (expected f64, bool or string; or leave type out: the expression decides)",
                    k.get_ref()
                ),
            ));
            None
        }
    });
    let range = tag_range(&t, None, src, errs);
    let decimals = tag_decimals(&t, None, src, errs);
    let history = history_mode(&t, src, errs);
    let address = t.expr.as_ref().map_or_else(String::new, |e| e.get_ref().clone());
    let (description, description_es) = tag_description(t.description, None);
    let def = TagDef {
        id,
        name,
        description,
        description_es,
        label: t.label.map(Into::into).unwrap_or_default(),
        unit: t.unit,
        // Settled when the expression is compiled.
        kind: declared.as_ref().map_or(ValueKind::F64, |(k, _)| *k),
        range,
        decimals,
        driver,
        // The tag browser shows where a value comes from: for a calculated tag, its expression.
        address,
        // Never stale from silence: an input's staleness reaches it through the expression.
        stale_after: Duration::MAX,
        writable: false,
        history,
    };
    (def, declared)
}

/// The tag's `poll` group (Modbus poll group, OPC UA subscription) by index; the first when not given.
pub(super) fn group_index(
    t: &RawTag,
    names: &[String],
    label: &str,
    src: &SourceFile<'_>,
    errs: &mut Vec<Diagnostic>,
) -> Option<usize> {
    let Some(p) = &t.poll else { return Some(0) };
    let i = names.iter().position(|n| n == p.get_ref());
    if i.is_none() {
        errs.push(src.at(
            p.span(),
            format!(
                "{label} '{}' is not defined for driver '{}' (defined: {})",
                p.get_ref(),
                t.driver.as_ref().map_or("", |d| d.get_ref().as_str()),
                names.join(", ")
            ),
        ));
    }
    i
}

/// Linear scaling from a tag's `gain` and `offset`, checked.
pub(super) fn scaling_of(t: &RawTag, src: &SourceFile<'_>, errs: &mut Vec<Diagnostic>) -> Scaling {
    let scaling = Scaling {
        gain: t.gain.as_ref().map_or(1.0, |g| *g.get_ref()),
        offset: t.offset.as_ref().map_or(0.0, |o| *o.get_ref()),
    };
    if let Some(g) = &t.gain
        && !(scaling.gain.is_finite() && scaling.gain != 0.0)
    {
        errs.push(src.at(g.span(), "gain must be a finite, non-zero number"));
    }
    if let Some(o) = &t.offset
        && !scaling.offset.is_finite()
    {
        errs.push(src.at(o.span(), "offset must be a finite number"));
    }
    scaling
}

/// The tag's `range`, checked; else the simulator signal's.
fn tag_range(
    t: &RawTag,
    signal: Option<&SignalSpec>,
    src: &SourceFile<'_>,
    errs: &mut Vec<Diagnostic>,
) -> Option<(f64, f64)> {
    let Some(r) = &t.range else {
        return signal.and_then(|s| s.range);
    };
    match r.get_ref().as_slice() {
        &[lo, hi] => {
            if !(lo.is_finite() && hi.is_finite() && lo < hi && (hi - lo).is_finite()) {
                errs.push(src.at(
                    r.span(),
                    format!("range [{lo}, {hi}] must be two finite numbers, low < high"),
                ));
            }
            Some((lo, hi))
        }
        other => {
            errs.push(src.at(
                r.span(),
                format!("range is [low, high]: two numbers, not {}", other.len()),
            ));
            None
        }
    }
}

/// The tag's `decimals`, checked; else the simulator signal's, else 2.
fn tag_decimals(t: &RawTag, signal: Option<&SignalSpec>, src: &SourceFile<'_>, errs: &mut Vec<Diagnostic>) -> usize {
    match &t.decimals {
        Some(d) if !(0..=9).contains(d.get_ref()) => {
            errs.push(src.at(d.span(), "decimals must be between 0 and 9"));
            0
        }
        Some(d) => usize::try_from(*d.get_ref()).unwrap_or(0),
        None => signal.map_or(2, |s| s.decimals),
    }
}

/// The description in English and Spanish; the simulator signal's when none is given.
fn tag_description(d: RawDescription, signal: Option<&SignalSpec>) -> (String, String) {
    match d {
        RawDescription::Plain(d) if d.is_empty() => {
            (signal.map_or(String::new(), |s| s.description.clone()), String::new())
        }
        RawDescription::Plain(d) => (d, String::new()),
        RawDescription::Both { en, es } => (en, es),
    }
}

fn history_mode(t: &RawTag, src: &SourceFile<'_>, errs: &mut Vec<Diagnostic>) -> HistoryMode {
    let deadband = match &t.history_deadband {
        Some(d) if !(d.get_ref().is_finite() && *d.get_ref() >= 0.0) => {
            errs.push(src.at(
                d.span(),
                "history_deadband must be a number of at least 0, in the tag's unit",
            ));
            None
        }
        d => d.as_ref().map(|d| (*d.get_ref(), d.span())),
    };
    let Some(mode) = &t.history else {
        if let Some((_, span)) = deadband {
            errs.push(src.at(
                span,
                "history_deadband needs history = \"change\" or history = \"swinging-door\"",
            ));
        }
        return HistoryMode::All;
    };
    match mode.get_ref().as_str() {
        "all" | "off" if let Some((_, span)) = deadband => {
            errs.push(src.at(
                span,
                format!("history_deadband does not apply to history = \"{}\"", mode.get_ref()),
            ));
            HistoryMode::All
        }
        "all" => HistoryMode::All,
        "off" => HistoryMode::Off,
        "change" => HistoryMode::Change {
            deadband: deadband.map_or(0.0, |d| d.0),
        },
        "swinging-door" => match deadband {
            Some((dev, _)) if dev > 0.0 => HistoryMode::SwingingDoor { deviation: dev },
            _ => {
                errs.push(src.at(
                    mode.span(),
                    "history = \"swinging-door\" needs history_deadband > 0: the deviation a stored line may have from the samples it replaces",
                ));
                HistoryMode::All
            }
        },
        other => {
            errs.push(src.at(
                mode.span(),
                format!("unknown history mode '{other}': use \"all\", \"change\", \"swinging-door\" or \"off\""),
            ));
            HistoryMode::All
        }
    }
}

/// A tag's `type` as site.toml writes it.
fn parse_kind(s: &str) -> Option<ValueKind> {
    match s {
        "f64" => Some(ValueKind::F64),
        "i64" => Some(ValueKind::I64),
        "bool" => Some(ValueKind::Bool),
        "string" => Some(ValueKind::String),
        _ => None,
    }
}

/// A value kind as site.toml writes it (`parse_kind`'s inverse), for messages.
pub(in crate::project) fn kind_name(k: ValueKind) -> &'static str {
    match k {
        ValueKind::F64 => "f64",
        ValueKind::I64 => "i64",
        ValueKind::Bool => "bool",
        ValueKind::String => "string",
    }
}
