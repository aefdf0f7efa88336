//! `screens/*.toml`: one screen per file (or one per asset with `assets = [...]`), validated against the
//! symbol library and the site's tags into a `ScreenSet`, or every problem at `path:line:col`.
//!
//! Checked here, so a console never meets them: unknown symbols, unknown tags, bindings that do not fit
//! (an input the symbol does not have, one left unbound, a text tag on a gauge, a command to a read-only
//! tag), placements outside the canvas, navigation to screens that do not exist, parent loops and
//! shortcuts used twice.

use super::alarms::{RawText, text};
use super::diag::{Diagnostic, SourceFile};
use super::files::ProjectFiles;
use super::parts::Parts;
use super::symbols::valid_id;
use super::trips::written_value;
use crate::lang::Text;
use crate::screen::def::{
    Align, Arrows, BarGraph, Boxed, CommandButton, CommandValue, Element, Frame, Gauge, Ink, InputKind, Label,
    LineStyle, NavButton, PlacedSymbol, PortRef, ProcessLine, Pt, RectShape, Screen, ScreenSet, Shortcut, StaticText,
    Symbol, TextSize, TrendBox, ValueLabel, WellTile, Written,
};
use crate::tag::{TagDef, TagDirectory, TagId, ValueKind};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::sync::Arc;
use toml::Spanned;
use toml::de::{DeValue, ValueDeserializer};

/// Element heights in canvas units, for placement checks and layout: value rows by text size.
pub const VALUE_HEIGHT: [f32; 3] = [22.0, 28.0, 40.0];
const DEFAULT_VALUE_WIDTH: f32 = 220.0;
const DEFAULT_BUTTON: [f32; 2] = [160.0, 40.0];
/// Vertices per line, at most: a pipe with a few bends needs a handful.
const MAX_LINE_POINTS: usize = 256;
/// The widest stroke a line or box takes, in canvas units.
const MAX_STROKE: f32 = 20.0;
/// Trend windows longer than this belong on the Trends page, with history behind them.
const MAX_TREND_MINUTES: f32 = 120.0;

/// Screens and groups hold the same element arrays. Written out in both (by this macro) rather than
/// `#[serde(flatten)]`, which loses the spans every message needs.
macro_rules! with_elements {
    ($(#[$m:meta])* struct $name:ident { $($field:ident : $ty:ty,)* }) => {
        $(#[$m])*
        struct $name {
            $($field: $ty,)*
            #[serde(default)]
            symbol: Vec<Spanned<RawPlaced>>,
            #[serde(default)]
            value: Vec<Spanned<RawValue>>,
            #[serde(default)]
            setpoint: Vec<Spanned<RawValue>>,
            #[serde(default)]
            bar: Vec<Spanned<RawBar>>,
            #[serde(default)]
            gauge: Vec<Spanned<RawGauge>>,
            #[serde(default)]
            trend: Vec<Spanned<RawTrend>>,
            #[serde(default)]
            tile: Vec<Spanned<RawTile>>,
            #[serde(default)]
            nav: Vec<Spanned<RawNav>>,
            #[serde(default)]
            command: Vec<Spanned<RawCommand>>,
            #[serde(default)]
            label: Vec<Spanned<RawLabel>>,
            #[serde(default)]
            drivers: Vec<Spanned<RawDrivers>>,
            #[serde(default)]
            line: Vec<Spanned<RawLine>>,
            #[serde(default)]
            rect: Vec<Spanned<RawRect>>,
            #[serde(default)]
            text: Vec<Spanned<RawStaticText>>,
            #[serde(default)]
            group: Vec<Spanned<RawGroup>>,
        }

        impl $name {
            fn take_elements(&mut self) -> RawElements {
                RawElements {
                    symbol: std::mem::take(&mut self.symbol),
                    value: std::mem::take(&mut self.value),
                    setpoint: std::mem::take(&mut self.setpoint),
                    bar: std::mem::take(&mut self.bar),
                    gauge: std::mem::take(&mut self.gauge),
                    trend: std::mem::take(&mut self.trend),
                    tile: std::mem::take(&mut self.tile),
                    nav: std::mem::take(&mut self.nav),
                    command: std::mem::take(&mut self.command),
                    label: std::mem::take(&mut self.label),
                    drivers: std::mem::take(&mut self.drivers),
                    line: std::mem::take(&mut self.line),
                    rect: std::mem::take(&mut self.rect),
                    text: std::mem::take(&mut self.text),
                    group: std::mem::take(&mut self.group),
                }
            }

            fn put_elements(&mut self, e: RawElements) {
                self.symbol = e.symbol;
                self.value = e.value;
                self.setpoint = e.setpoint;
                self.bar = e.bar;
                self.gauge = e.gauge;
                self.trend = e.trend;
                self.tile = e.tile;
                self.nav = e.nav;
                self.command = e.command;
                self.label = e.label;
                self.drivers = e.drivers;
                self.line = e.line;
                self.rect = e.rect;
                self.text = e.text;
                self.group = e.group;
            }
        }
    };
}

/// The element lists of a screen or a group, read element by element (see `read_elements`) before the
/// rest of the table.
struct RawElements {
    symbol: Vec<Spanned<RawPlaced>>,
    value: Vec<Spanned<RawValue>>,
    setpoint: Vec<Spanned<RawValue>>,
    bar: Vec<Spanned<RawBar>>,
    gauge: Vec<Spanned<RawGauge>>,
    trend: Vec<Spanned<RawTrend>>,
    tile: Vec<Spanned<RawTile>>,
    nav: Vec<Spanned<RawNav>>,
    command: Vec<Spanned<RawCommand>>,
    label: Vec<Spanned<RawLabel>>,
    drivers: Vec<Spanned<RawDrivers>>,
    line: Vec<Spanned<RawLine>>,
    rect: Vec<Spanned<RawRect>>,
    text: Vec<Spanned<RawStaticText>>,
    group: Vec<Spanned<RawGroup>>,
}

with_elements! {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct RawScreen {
        id: Spanned<String>,
        title: Option<Spanned<RawText>>,
        level: Option<Spanned<u8>>,
        parent: Option<Spanned<String>>,
        key: Option<Spanned<String>>,
        canvas: Spanned<[f32; 2]>,
        assets: Option<Spanned<Vec<String>>>,
    }
}

with_elements! {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct RawGroup {
        at: Spanned<[f32; 2]>,
        size: Spanned<[f32; 2]>,
        title: Option<Spanned<RawText>>,
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlaced {
    /// The element's name on the screen, for lines' `from` and `to`.
    id: Option<Spanned<String>>,
    #[serde(rename = "use")]
    symbol: Spanned<String>,
    at: Spanned<[f32; 2]>,
    scale: Option<Spanned<f32>>,
    bind: Option<Spanned<BTreeMap<String, Spanned<String>>>>,
    /// Per input, the range its parts scale by instead of the tag's (`depth = [0, 9800]`: the well's TD).
    range: Option<BTreeMap<String, Spanned<[f64; 2]>>>,
    label: Option<Spanned<RawText>>,
    to: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawValue {
    tag: Spanned<String>,
    at: Spanned<[f32; 2]>,
    width: Option<f32>,
    label: Option<Spanned<RawText>>,
    decimals: Option<usize>,
    size: Option<Spanned<String>>,
    /// What a text tag's values read as: `{ "SHUT DOWN" = { en = "SHUT DOWN", es = "UNIDAD PARADA" } }`.
    states: Option<Spanned<BTreeMap<String, Spanned<RawText>>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBar {
    tag: Spanned<String>,
    at: Spanned<[f32; 2]>,
    size: Spanned<[f32; 2]>,
    label: Option<Spanned<RawText>>,
    min: Option<f64>,
    max: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGauge {
    tag: Spanned<String>,
    at: Spanned<[f32; 2]>,
    diameter: Spanned<f32>,
    label: Option<Spanned<RawText>>,
    min: Option<f64>,
    max: Option<f64>,
    major: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTrend {
    tags: Spanned<Vec<Spanned<String>>>,
    at: Spanned<[f32; 2]>,
    size: Spanned<[f32; 2]>,
    label: Option<Spanned<RawText>>,
    minutes: Option<Spanned<f32>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTile {
    title: Option<Spanned<RawText>>,
    at: Spanned<[f32; 2]>,
    size: Spanned<[f32; 2]>,
    asset: Spanned<String>,
    state: Option<Spanned<String>>,
    #[serde(default)]
    values: Vec<Spanned<String>>,
    to: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNav {
    to: Spanned<String>,
    at: Spanned<[f32; 2]>,
    size: Option<[f32; 2]>,
    label: Option<Spanned<RawText>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCommand {
    tag: Spanned<String>,
    at: Spanned<[f32; 2]>,
    size: Option<[f32; 2]>,
    label: Option<Spanned<RawText>>,
    value: Option<Spanned<toml::Value>>,
    #[serde(default)]
    toggle: bool,
    confirm: Option<Spanned<RawText>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLabel {
    text: Option<Spanned<RawText>>,
    at: Spanned<[f32; 2]>,
    size: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDrivers {
    at: Spanned<[f32; 2]>,
    size: Spanned<[f32; 2]>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLine {
    /// Vertices in canvas units (inside a group, from its corner); with `from`/`to`, the bends between.
    points: Option<Spanned<Vec<[f32; 2]>>>,
    /// `"symbol.port"`: the line starts (or ends) on that port of the placed symbol with that `id`.
    from: Option<Spanned<String>>,
    to: Option<Spanned<String>>,
    style: Option<Spanned<String>>,
    width: Option<Spanned<f32>>,
    ink: Option<Spanned<String>>,
    arrow: Option<Spanned<String>>,
    flowing: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRect {
    at: Spanned<[f32; 2]>,
    size: Spanned<[f32; 2]>,
    stroke: Option<Spanned<String>>,
    fill: Option<Spanned<String>>,
    width: Option<Spanned<f32>>,
    #[serde(default)]
    dashed: bool,
    rounding: Option<Spanned<f32>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStaticText {
    text: Option<Spanned<RawText>>,
    at: Spanned<[f32; 2]>,
    size: Option<Spanned<String>>,
    align: Option<Spanned<String>>,
    ink: Option<Spanned<String>>,
}

/// A line's ends that name symbol ports, resolved once every element of the screen is placed.
struct LineEnds {
    /// The line's index in the screen's elements (before they are sorted by layer).
    at: usize,
    from: Option<Spanned<String>>,
    to: Option<Spanned<String>>,
}

/// Where a name was written, to report a reference that turns out to point nowhere.
struct Reference {
    target: String,
    what: &'static str,
    at: Diagnostic,
}

/// One file being turned into (possibly several) screens: its source, the asset it is expanded for, and
/// what the checks collect.
struct Ctx<'a> {
    src: &'a SourceFile<'a>,
    tags: &'a TagDirectory,
    symbols: &'a HashMap<&'a str, &'a Arc<Symbol>>,
    /// Symbols whose own files have problems (already reported).
    broken: &'a [String],
    asset: Option<&'a str>,
    canvas: Pt,
    errs: Vec<Diagnostic>,
    refs: Vec<Reference>,
    /// Set when an element was left out for a problem reported elsewhere (a broken symbol).
    failed: bool,
    /// The `id`s placed symbols were given, with where (`path:line:col`), whether or not they placed.
    symbol_ids: Vec<(String, String)>,
    lines: Vec<LineEnds>,
}

impl<'a> Ctx<'a> {
    /// `{asset}` and `{ASSET}` replaced for a screen expanded per asset.
    fn sub(&self, s: &str) -> String {
        match self.asset {
            Some(a) => s.replace("{asset}", a).replace("{ASSET}", &a.to_uppercase()),
            None => s.to_owned(),
        }
    }

    fn err(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.errs.push(self.src.at(span, message));
    }

    fn text(&mut self, raw: Option<Spanned<RawText>>, what: &str, required: bool, outer: Range<usize>) -> Text {
        let t = text(raw, what, required, outer, self.src, &mut self.errs);
        Text::new(&self.sub(&t.en), &self.sub(&t.es))
    }

    fn opt_text(&mut self, raw: Option<Spanned<RawText>>, what: &str, outer: Range<usize>) -> Option<Text> {
        let given = raw.is_some();
        let t = self.text(raw, what, false, outer);
        given.then_some(t)
    }

    fn tag(&mut self, name: &Spanned<String>) -> Option<&'a TagDef> {
        let n = self.sub(name.get_ref());
        let found = self.tags.by_name(&n);
        if found.is_none() {
            self.errs.push(
                self.src
                    .at(name.span(), format!("unknown tag '{n}' (not defined in site.toml)")),
            );
        }
        found
    }

    /// A tag that holds a number (gauges, bars, trends, number inputs).
    fn numeric_tag(&mut self, name: &Spanned<String>, what: &str) -> Option<TagId> {
        let def = self.tag(name)?;
        if matches!(def.kind, ValueKind::String) {
            self.err(
                name.span(),
                format!("{what} needs a numeric tag; '{}' holds text", def.name),
            );
            return None;
        }
        Some(def.id)
    }

    fn reference(&mut self, target: &Spanned<String>, what: &'static str) -> Arc<str> {
        let t = self.sub(target.get_ref());
        let at = self.src.at(target.span(), "");
        self.refs.push(Reference {
            target: t.clone(),
            what,
            at,
        });
        t.into()
    }

    /// Checks that `b` (offset by a group) lies on the canvas.
    fn placed(&mut self, b: Boxed, span: Range<usize>, what: &str) -> Boxed {
        if !(b.size.x > 0.0 && b.size.y > 0.0) {
            self.err(span, format!("{what} needs a size above 0"));
        } else if !b.inside(self.canvas) {
            self.err(
                span,
                format!(
                    "{what} at [{}, {}] size [{}, {}] reaches outside the canvas [{}, {}]",
                    b.at.x, b.at.y, b.size.x, b.size.y, self.canvas.x, self.canvas.y
                ),
            );
        }
        b
    }
}

fn pt(a: [f32; 2]) -> Pt {
    Pt::new(a[0], a[1])
}

/// A screen file read part by part, every syntax and schema problem pushed to `errs`: the screen with
/// the elements that fit, to be checked next. `None` when the file does not parse or its own keys (`id`,
/// `canvas`…) are bad; its elements' problems are reported all the same.
fn read(src: &SourceFile<'_>, errs: &mut Vec<Diagnostic>) -> Option<RawScreen> {
    let mut parts = match Parts::parse(src) {
        Ok(p) => p,
        Err(d) => {
            errs.push(d);
            return None;
        }
    };
    let elements = read_elements(&mut parts, src, errs);
    let mut raw: RawScreen = parts.rest(src, errs)?;
    raw.put_elements(elements);
    Some(raw)
}

/// The element lists of a screen or group, each element read on its own. Groups hold lists of their own
/// and recurse: as deep as the TOML parser lets table headers nest (its key paths are bounded).
fn read_elements(parts: &mut Parts<'_>, src: &SourceFile<'_>, errs: &mut Vec<Diagnostic>) -> RawElements {
    let group = parts
        .take_list("group", src, errs)
        .into_iter()
        .filter_map(|g| read_group(g, src, errs))
        .collect();
    RawElements {
        symbol: parts.list("symbol", src, errs),
        value: parts.list("value", src, errs),
        setpoint: parts.list("setpoint", src, errs),
        bar: parts.list("bar", src, errs),
        gauge: parts.list("gauge", src, errs),
        trend: parts.list("trend", src, errs),
        tile: parts.list("tile", src, errs),
        nav: parts.list("nav", src, errs),
        command: parts.list("command", src, errs),
        label: parts.list("label", src, errs),
        drivers: parts.list("drivers", src, errs),
        line: parts.list("line", src, errs),
        rect: parts.list("rect", src, errs),
        text: parts.list("text", src, errs),
        group,
    }
}

fn read_group(
    value: Spanned<DeValue<'_>>,
    src: &SourceFile<'_>,
    errs: &mut Vec<Diagnostic>,
) -> Option<Spanned<RawGroup>> {
    let span = value.span();
    let mut parts = match Parts::of(value) {
        Ok(p) => p,
        // Not a table: serde says what it is instead.
        Err(value) => {
            if let Err(e) = Spanned::<RawGroup>::deserialize(ValueDeserializer::from(value)) {
                errs.push(src.toml_error(&e));
            }
            return None;
        }
    };
    let elements = read_elements(&mut parts, src, errs);
    let mut group: RawGroup = parts.rest(src, errs)?;
    group.put_elements(elements);
    Some(Spanned::new(span, group))
}

/// The syntax and schema problems of every screen and symbol file, for when there are no site tags to
/// check them against (`site.toml` has problems).
pub(super) fn read_problems(files: &ProjectFiles) -> Vec<Diagnostic> {
    let mut errs = super::symbols::load(files).problems;
    for (rel, text) in files.iter() {
        if rel.starts_with("screens/") && rel.ends_with(".toml") {
            let path = files.display_path(rel);
            read(&SourceFile::new(&path, text), &mut errs);
        }
    }
    errs
}

/// Loads every screen against the symbols and tags, and checks every reference between screens.
pub fn load(files: &ProjectFiles, tags: &TagDirectory) -> Result<ScreenSet, Vec<Diagnostic>> {
    let super::symbols::Loaded {
        symbols,
        broken,
        problems: mut errs,
    } = super::symbols::load(files);
    let by_id: HashMap<&str, &Arc<Symbol>> = symbols.iter().map(|s| (&*s.id, s)).collect();
    let mut screens: Vec<Arc<Screen>> = Vec::new();
    let mut refs: Vec<Reference> = Vec::new();
    let mut ids: HashMap<Arc<str>, String> = HashMap::new();
    let mut keys: HashMap<Shortcut, String> = HashMap::new();
    let mut unparsed = false;
    for (rel, text) in files.iter() {
        if !(rel.starts_with("screens/") && rel.ends_with(".toml")) {
            continue;
        }
        let path = files.display_path(rel);
        let src = SourceFile::new(&path, text);
        // Read once per asset: a screen file is small, and every expansion is checked on its own tags.
        // The first reading reports the file's syntax and schema problems; the others find the same.
        let assets: Vec<Option<String>> = match read(&src, &mut errs) {
            None => {
                unparsed = true;
                continue;
            }
            Some(raw) => match raw.assets {
                Some(a) if a.get_ref().is_empty() => {
                    errs.push(src.at(a.span(), "assets is empty: list the assets this screen is drawn for"));
                    continue;
                }
                Some(a) => a.into_inner().into_iter().map(Some).collect(),
                None => vec![None],
            },
        };
        let mut reported = false;
        for asset in assets {
            let Some(raw) = read(&src, &mut Vec::new()) else {
                continue;
            };
            let mut cx = Ctx {
                src: &src,
                tags,
                symbols: &by_id,
                broken: &broken,
                asset: asset.as_deref(),
                canvas: pt(*raw.canvas.get_ref()),
                errs: Vec::new(),
                refs: Vec::new(),
                failed: false,
                symbol_ids: Vec::new(),
                lines: Vec::new(),
            };
            let id: Arc<str> = cx.sub(raw.id.get_ref().trim()).into();
            let id_span = raw.id.span();
            let key = raw.key.as_ref().map(|k| (Shortcut::parse(k.get_ref()), k.span()));
            let screen = screen(raw, &mut cx);
            // One expansion's problems are every expansion's: report them once, from the first.
            if !reported {
                reported = !cx.errs.is_empty();
                errs.append(&mut cx.errs);
                refs.append(&mut cx.refs);
            }
            let (line, col) = src.line_col(id_span.start);
            let here = format!("{path}:{line}:{col}");
            if let Some(first) = ids.get(&id) {
                errs.push(src.at(id_span, format!("screen '{id}' is defined twice (first at {first})")));
                continue;
            }
            // A screen that failed still names itself, so links to it are not reported as well.
            ids.insert(id, here.clone());
            if let Some((Some(k), span)) = key {
                if let Some(first) = keys.get(&k) {
                    errs.push(src.at(span, format!("{} already opens another screen (at {first})", k.name())));
                    continue;
                }
                keys.insert(k, here);
            }
            if let Some(screen) = screen {
                screens.push(Arc::new(screen));
            }
        }
    }
    for r in refs {
        // A file that did not parse may be the screen a link names: say nothing rather than mislead.
        if !unparsed && !ids.contains_key(r.target.as_str()) {
            let mut known: Vec<&str> = ids.keys().map(|k| &**k).collect();
            known.sort_unstable();
            errs.push(Diagnostic {
                message: format!(
                    "{} '{}' is not a screen (screens: {})",
                    r.what,
                    r.target,
                    known.join(", ")
                ),
                ..r.at
            });
        }
    }
    let set = ScreenSet::new(screens, symbols);
    for s in &set.screens {
        // A parent chain that comes back to a screen would send breadcrumbs round in circles.
        let mut seen = vec![s.id.clone()];
        let mut at = s.parent.clone();
        while let Some(p) = at {
            if seen.contains(&p) {
                let (path, line, col) = split_location(&s.defined_at);
                errs.push(Diagnostic {
                    path,
                    line,
                    col,
                    message: format!("screen '{}': its parents lead back to '{p}' (a loop)", s.id),
                });
                break;
            }
            seen.push(p.clone());
            at = set.get(&p).and_then(|ps| ps.parent.clone());
        }
    }
    if errs.is_empty() { Ok(set) } else { Err(errs) }
}

/// `path:line:col` back into its parts (paths may contain ':' on other systems, so split from the right).
fn split_location(at: &str) -> (String, usize, usize) {
    let mut it = at.rsplitn(3, ':');
    let col = it.next().and_then(|c| c.parse().ok()).unwrap_or(1);
    let line = it.next().and_then(|l| l.parse().ok()).unwrap_or(1);
    (it.next().unwrap_or(at).to_owned(), line, col)
}

fn screen(mut raw: RawScreen, cx: &mut Ctx<'_>) -> Option<Screen> {
    let id = cx.sub(raw.id.get_ref().trim());
    if !valid_id(&id) {
        cx.err(
            raw.id.span(),
            format!("screen id '{id}': use lower-case letters, digits, '_' and '-' only"),
        );
    }
    let title = cx.text(raw.title.take(), "title", true, raw.id.span());
    let level = match &raw.level {
        None => 2,
        Some(l) if (1..=4).contains(l.get_ref()) => *l.get_ref(),
        Some(l) => {
            cx.err(
                l.span(),
                "level is 1 (overview), 2 (unit), 3 (equipment detail) or 4 (diagnostics)",
            );
            2
        }
    };
    if !(cx.canvas.x >= 100.0 && cx.canvas.y >= 100.0 && cx.canvas.x <= 20000.0 && cx.canvas.y <= 20000.0) {
        cx.err(
            raw.canvas.span(),
            "canvas is [width, height], each between 100 and 20000",
        );
    }
    let parent = raw.parent.as_ref().map(|p| cx.reference(p, "parent"));
    if parent.as_deref() == Some(id.as_str())
        && let Some(p) = &raw.parent
    {
        cx.err(p.span(), "a screen cannot be its own parent");
    }
    let key = raw.key.as_ref().and_then(|k| {
        let found = Shortcut::parse(k.get_ref());
        if found.is_none() {
            cx.err(k.span(), format!("key '{}': F1 to F12", k.get_ref()));
        }
        found
    });
    let mut placed = Vec::new();
    elements_of(raw.take_elements(), Pt::default(), &[], cx, &mut placed);
    let (mut elements, written): (Vec<Element>, Vec<Written>) = placed.into_iter().unzip();
    resolve_line_ends(&mut elements, cx);
    // Stable: within a layer, elements keep the order the file gives them.
    let mut placed: Vec<(Element, Written)> = elements.into_iter().zip(written).collect();
    placed.sort_by_key(|(e, _)| e.layer());
    let (elements, written): (Vec<Element>, Vec<Written>) = placed.into_iter().unzip();
    let (line, col) = cx.src.line_col(raw.id.span().start);
    (cx.errs.is_empty() && !cx.failed).then(|| Screen {
        id: id.as_str().into(),
        title,
        level,
        parent,
        key,
        canvas: cx.canvas,
        elements,
        written,
        defined_at: format!("{}:{line}:{col}", cx.src.path),
    })
}

fn text_size(s: &Option<Spanned<String>>, cx: &mut Ctx<'_>) -> TextSize {
    match s.as_ref().map(|s| (s.get_ref().as_str(), s.span())) {
        None | Some(("normal", _)) => TextSize::Normal,
        Some(("small", _)) => TextSize::Small,
        Some(("large", _)) => TextSize::Large,
        Some((other, span)) => {
            cx.err(span, format!("size '{other}': small, normal or large"));
            TextSize::Normal
        }
    }
}

/// Every element of a screen or group, in kind order (the caller sorts by layer), each checked and
/// placed `offset` from the canvas origin (a group's corner for a group's elements).
fn elements_of(raw: RawElements, offset: Pt, groups: &[usize], cx: &mut Ctx<'_>, out: &mut Vec<(Element, Written)>) {
    let w = |key: &'static str, index: usize| Written {
        groups: groups.to_vec(),
        key,
        index,
    };
    for (i, g) in raw.group.into_iter().enumerate() {
        group_of(g, offset, groups, i, cx, out);
    }
    for (i, s) in raw.symbol.into_iter().enumerate() {
        if let Some(p) = placed_symbol(s.into_inner(), offset, cx) {
            out.push((Element::Symbol(p), w("symbol", i)));
        }
    }
    for (i, v) in raw.value.into_iter().enumerate() {
        if let Some(v) = value_label(v, offset, cx, "value") {
            out.push((Element::Value(v), w("value", i)));
        }
    }
    for (i, v) in raw.setpoint.into_iter().enumerate() {
        if let Some(v) = setpoint_of(v, offset, cx) {
            out.push((Element::Setpoint(v), w("setpoint", i)));
        }
    }
    for (i, b) in raw.bar.into_iter().enumerate() {
        if let Some(b) = bar_of(b, offset, cx) {
            out.push((Element::Bar(b), w("bar", i)));
        }
    }
    for (i, g) in raw.gauge.into_iter().enumerate() {
        if let Some(g) = gauge_of(g, offset, cx) {
            out.push((Element::Gauge(g), w("gauge", i)));
        }
    }
    for (i, t) in raw.trend.into_iter().enumerate() {
        out.push((Element::Trend(trend_of(t, offset, cx)), w("trend", i)));
    }
    for (i, t) in raw.tile.into_iter().enumerate() {
        out.push((Element::Tile(tile_of(t, offset, cx)), w("tile", i)));
    }
    for (i, n) in raw.nav.into_iter().enumerate() {
        out.push((Element::Nav(nav_of(n, offset, cx)), w("nav", i)));
    }
    for (i, c) in raw.command.into_iter().enumerate() {
        if let Some(c) = command_of(c, offset, cx) {
            out.push((Element::Command(c), w("command", i)));
        }
    }
    for (i, l) in raw.label.into_iter().enumerate() {
        out.push((Element::Label(label_of(l, offset, cx)), w("label", i)));
    }
    for (i, d) in raw.drivers.into_iter().enumerate() {
        out.push((Element::Drivers(drivers_of(d, offset, cx)), w("drivers", i)));
    }
    for (i, r) in raw.rect.into_iter().enumerate() {
        out.push((Element::Rect(rect_of(r, offset, cx)), w("rect", i)));
    }
    for (i, l) in raw.line.into_iter().enumerate() {
        let at = out.len();
        if let Some(l) = line_of(l, offset, at, cx) {
            out.push((Element::Line(l), w("line", i)));
        }
    }
    for (i, t) in raw.text.into_iter().enumerate() {
        out.push((Element::Text(static_text_of(t, offset, cx)), w("text", i)));
    }
}

/// Where an element's `at` puts it on the canvas: inside a group, `at` counts from the group's corner.
fn at_offset(at: &Spanned<[f32; 2]>, offset: Pt) -> Pt {
    pt(*at.get_ref()) + offset
}

/// A group: its frame, then its own elements placed from its corner.
fn group_of(
    g: Spanned<RawGroup>,
    offset: Pt,
    groups: &[usize],
    index: usize,
    cx: &mut Ctx<'_>,
    out: &mut Vec<(Element, Written)>,
) {
    let span = g.span();
    let mut g = g.into_inner();
    let rect = cx.placed(
        Boxed::new(at_offset(&g.at, offset), pt(*g.size.get_ref())),
        g.at.span(),
        "group",
    );
    let title = cx.opt_text(g.title.take(), "title", span);
    out.push((
        Element::Frame(Frame { rect, title }),
        Written {
            groups: groups.to_vec(),
            key: "group",
            index,
        },
    ));
    let inner = g.take_elements();
    let mut path = groups.to_vec();
    path.push(index);
    elements_of(inner, rect.at, &path, cx, out);
}

/// A setpoint: a value row the operator writes from a keypad, so its tag must be writable and numeric.
fn setpoint_of(v: Spanned<RawValue>, offset: Pt, cx: &mut Ctx<'_>) -> Option<ValueLabel> {
    let tag = v.get_ref().tag.clone();
    let v = value_label(v, offset, cx, "setpoint")?;
    match cx.tags.get(v.tag) {
        Some(d) if !d.writable => {
            cx.err(
                tag.span(),
                format!(
                    "'{}' is not writable; a setpoint needs a tag with writable = true",
                    d.name
                ),
            );
            None
        }
        Some(d) if !matches!(d.kind, ValueKind::F64 | ValueKind::I64) => {
            cx.err(
                tag.span(),
                format!(
                    "'{}' is not a number; a setpoint is entered on a keypad (use a command button)",
                    d.name
                ),
            );
            None
        }
        _ => Some(v),
    }
}

/// A bar graph over a numeric tag, scaled as written or by the tag's range.
fn bar_of(b: Spanned<RawBar>, offset: Pt, cx: &mut Ctx<'_>) -> Option<BarGraph> {
    let span = b.span();
    let b = b.into_inner();
    let label = cx.opt_text(b.label, "label", span);
    let rect = cx.placed(
        Boxed::new(at_offset(&b.at, offset), pt(*b.size.get_ref())),
        b.at.span(),
        "bar",
    );
    let id = cx.numeric_tag(&b.tag, "a bar graph")?;
    let (min, max) = scale_of(id, b.min, b.max, &b.tag, cx)?;
    Some(BarGraph {
        tag: id,
        rect,
        label,
        min,
        max,
    })
}

/// A round gauge over a numeric tag, with numbered ticks every `major` (at most 20 of them).
fn gauge_of(g: Spanned<RawGauge>, offset: Pt, cx: &mut Ctx<'_>) -> Option<Gauge> {
    let span = g.span();
    let g = g.into_inner();
    let label = cx.opt_text(g.label, "label", span);
    let d = *g.diameter.get_ref();
    // A gauge's size is its diameter: a bad one is reported there, by its own name.
    let rect = if d > 0.0 && d.is_finite() {
        cx.placed(
            Boxed::new(at_offset(&g.at, offset), Pt::new(d, d)),
            g.at.span(),
            "gauge",
        )
    } else {
        cx.err(g.diameter.span(), "a gauge's diameter must be above 0");
        Boxed::new(at_offset(&g.at, offset), Pt::new(1.0, 1.0))
    };
    let id = cx.numeric_tag(&g.tag, "a gauge")?;
    let (min, max) = scale_of(id, g.min, g.max, &g.tag, cx)?;
    let major = match &g.major {
        Some(m) if *m.get_ref() > 0.0 && (max - min) / m.get_ref() <= 20.0 => *m.get_ref(),
        Some(m) => {
            cx.err(
                m.span(),
                "major is the step between numbered ticks: above 0, at most 20 ticks",
            );
            return None;
        }
        None => nice_step((max - min) / 8.0),
    };
    Some(Gauge {
        tag: id,
        rect,
        label,
        min,
        max,
        major,
    })
}

/// A trend box: 1 to 8 numeric tags over the last `minutes` (10 when not set).
fn trend_of(t: Spanned<RawTrend>, offset: Pt, cx: &mut Ctx<'_>) -> TrendBox {
    let span = t.span();
    let t = t.into_inner();
    let label = cx.opt_text(t.label, "label", span);
    let rect = cx.placed(
        Boxed::new(at_offset(&t.at, offset), pt(*t.size.get_ref())),
        t.at.span(),
        "trend",
    );
    let minutes = match &t.minutes {
        None => 10.0,
        Some(m) if *m.get_ref() > 0.0 && *m.get_ref() <= MAX_TREND_MINUTES => *m.get_ref(),
        Some(m) => {
            cx.err(
                m.span(),
                format!("minutes must be above 0 and at most {MAX_TREND_MINUTES}"),
            );
            10.0
        }
    };
    if t.tags.get_ref().is_empty() || t.tags.get_ref().len() > 8 {
        cx.err(t.tags.span(), "a trend shows 1 to 8 tags");
    }
    let tags: Vec<TagId> = t
        .tags
        .get_ref()
        .iter()
        .filter_map(|n| cx.numeric_tag(n, "a trend"))
        .collect();
    TrendBox {
        tags,
        rect,
        label,
        minutes,
    }
}

/// A well tile: one asset at a glance (its state, a few values), standing for every tag of that asset.
fn tile_of(t: Spanned<RawTile>, offset: Pt, cx: &mut Ctx<'_>) -> WellTile {
    let span = t.span();
    let t = t.into_inner();
    let title = cx.text(t.title, "title", true, span);
    let rect = cx.placed(
        Boxed::new(at_offset(&t.at, offset), pt(*t.size.get_ref())),
        t.at.span(),
        "tile",
    );
    let asset = cx.sub(t.asset.get_ref());
    let asset_tags: Vec<TagId> = cx.tags.iter().filter(|d| d.device() == asset).map(|d| d.id).collect();
    if asset_tags.is_empty() {
        cx.err(
            t.asset.span(),
            format!("asset '{asset}' has no tags (tags are named asset/signal)"),
        );
    }
    let state = t.state.as_ref().and_then(|s| cx.tag(s).map(|d| d.id));
    let values = t
        .values
        .iter()
        .filter_map(|v| cx.numeric_tag(v, "a tile value"))
        .collect();
    let to = t.to.as_ref().map(|to| cx.reference(to, "to"));
    WellTile {
        rect,
        title,
        state,
        values,
        asset_tags,
        to,
    }
}

/// A navigation button to another screen (checked to exist once every screen is read).
fn nav_of(n: Spanned<RawNav>, offset: Pt, cx: &mut Ctx<'_>) -> NavButton {
    let span = n.span();
    let n = n.into_inner();
    let label = cx.opt_text(n.label, "label", span);
    let rect = cx.placed(
        Boxed::new(at_offset(&n.at, offset), pt(n.size.unwrap_or(DEFAULT_BUTTON))),
        n.at.span(),
        "nav button",
    );
    let to = cx.reference(&n.to, "to");
    NavButton { to, rect, label }
}

/// A command button: writes one value to (or toggles) a writable tag, after the operator confirms.
fn command_of(c: Spanned<RawCommand>, offset: Pt, cx: &mut Ctx<'_>) -> Option<CommandButton> {
    let span = c.span();
    let c = c.into_inner();
    let label = cx.text(c.label, "label", true, span.clone());
    let confirm = cx.text(c.confirm, "confirm", true, span.clone());
    let rect = cx.placed(
        Boxed::new(at_offset(&c.at, offset), pt(c.size.unwrap_or(DEFAULT_BUTTON))),
        c.at.span(),
        "command button",
    );
    let def = cx.tag(&c.tag)?;
    if !def.writable {
        cx.err(
            c.tag.span(),
            format!(
                "'{}' is not writable; a command button needs a tag with writable = true",
                def.name
            ),
        );
        return None;
    }
    let value = match (&c.value, c.toggle) {
        (Some(v), false) => match written_value(v.get_ref(), def) {
            Ok(v) => CommandValue::Set(v),
            Err(why) => {
                cx.err(v.span(), why);
                return None;
            }
        },
        (None, true) => CommandValue::Toggle,
        _ => {
            cx.err(
                span,
                "a command either sets a value (value = …) or toggles (toggle = true)",
            );
            return None;
        }
    };
    Some(CommandButton {
        tag: def.id,
        rect,
        label,
        value,
        confirm,
    })
}

/// A fixed text on the canvas; only its corner is checked to lie on it (its width depends on the language).
fn label_of(l: Spanned<RawLabel>, offset: Pt, cx: &mut Ctx<'_>) -> Label {
    let span = l.span();
    let l = l.into_inner();
    let text = cx.text(l.text, "text", true, span);
    let size = text_size(&l.size, cx);
    let at = at_offset(&l.at, offset);
    cx.placed(Boxed::new(at, Pt::new(1.0, 1.0)), l.at.span(), "label");
    Label { at, text, size }
}

/// The drivers table's box: the console fills it with every driver's state.
fn drivers_of(d: Spanned<RawDrivers>, offset: Pt, cx: &mut Ctx<'_>) -> Boxed {
    let d = d.into_inner();
    cx.placed(
        Boxed::new(at_offset(&d.at, offset), pt(*d.size.get_ref())),
        d.at.span(),
        "driver table",
    )
}

/// A placed symbol's `id`: a valid name, once per screen.
fn symbol_id(raw: &Spanned<String>, cx: &mut Ctx<'_>) -> Option<Arc<str>> {
    let id = cx.sub(raw.get_ref().trim());
    if !valid_id(&id) {
        cx.err(
            raw.span(),
            format!("symbol id '{id}': use lower-case letters, digits, '_' and '-' only"),
        );
        return None;
    }
    if let Some((_, first)) = cx.symbol_ids.iter().find(|(i, _)| *i == id) {
        let first = first.clone();
        cx.err(
            raw.span(),
            format!("symbol id '{id}' is used twice on this screen (first at {first})"),
        );
        return None;
    }
    let (line, col) = cx.src.line_col(raw.span().start);
    cx.symbol_ids
        .push((id.clone(), format!("{}:{line}:{col}", cx.src.path)));
    Some(id.into())
}

/// A drawing ink by name (`none`: no ink, where `none_ok`).
fn ink_of(raw: &Spanned<String>, none_ok: bool, cx: &mut Ctx<'_>) -> Option<Ink> {
    let name = raw.get_ref().as_str();
    if let Some(i) = Ink::from_name(name) {
        return Some(i);
    }
    if !(none_ok && name == "none") {
        let none = if none_ok { ", none" } else { "" };
        cx.err(raw.span(), format!("ink '{name}': one of {}{none}", Ink::names()));
    }
    None
}

/// A width in canvas units: above 0, at most `MAX_STROKE`.
fn stroke_width(raw: &Option<Spanned<f32>>, default: f32, cx: &mut Ctx<'_>) -> f32 {
    match raw {
        None => default,
        Some(w) if *w.get_ref() > 0.0 && *w.get_ref() <= MAX_STROKE => *w.get_ref(),
        Some(w) => {
            cx.err(w.span(), format!("width must be above 0 and at most {MAX_STROKE}"));
            default
        }
    }
}

/// A static box: outlined in `line` ink unless told otherwise, filled only when given a fill.
fn rect_of(r: Spanned<RawRect>, offset: Pt, cx: &mut Ctx<'_>) -> RectShape {
    let r = r.into_inner();
    let rect = cx.placed(
        Boxed::new(at_offset(&r.at, offset), pt(*r.size.get_ref())),
        r.at.span(),
        "rect",
    );
    let stroke = match &r.stroke {
        None => Some(Ink::Line),
        Some(s) => ink_of(s, true, cx),
    };
    let fill = r.fill.as_ref().and_then(|f| ink_of(f, true, cx));
    let width = stroke_width(&r.width, 1.0, cx);
    let rounding = match &r.rounding {
        None => 0.0,
        Some(k) if (0.0..=rect.size.x.min(rect.size.y) / 2.0).contains(k.get_ref()) => *k.get_ref(),
        Some(k) => {
            cx.err(k.span(), "rounding is 0 up to half the box's smaller side");
            0.0
        }
    };
    RectShape {
        rect,
        stroke,
        fill,
        width,
        dashed: r.dashed,
        rounding,
    }
}

/// A static text in both languages; only its anchor is checked to lie on the canvas (its width depends
/// on the language).
fn static_text_of(t: Spanned<RawStaticText>, offset: Pt, cx: &mut Ctx<'_>) -> StaticText {
    let span = t.span();
    let t = t.into_inner();
    let text = cx.text(t.text, "text", true, span);
    let size = text_size(&t.size, cx);
    let align = match t.align.as_ref().map(|a| (a.get_ref().as_str(), a.span())) {
        None | Some(("left", _)) => Align::Left,
        Some(("center", _)) => Align::Center,
        Some(("right", _)) => Align::Right,
        Some((other, span)) => {
            cx.err(span, format!("align '{other}': left, center or right"));
            Align::Left
        }
    };
    let ink = t.ink.as_ref().and_then(|i| ink_of(i, false, cx)).unwrap_or(Ink::Text);
    let at = at_offset(&t.at, offset);
    cx.placed(Boxed::new(at, Pt::new(1.0, 1.0)), t.at.span(), "text");
    StaticText {
        at,
        text,
        size,
        align,
        ink,
    }
}

/// A process or signal line: its own vertices now (checked on the canvas), its port ends once every
/// symbol is placed (`resolve_line_ends`); `at` is where it goes in the screen's elements.
fn line_of(l: Spanned<RawLine>, offset: Pt, at: usize, cx: &mut Ctx<'_>) -> Option<ProcessLine> {
    let span = l.span();
    let l = l.into_inner();
    let before = cx.errs.len();
    let style = match &l.style {
        None => LineStyle::Process,
        Some(s) => LineStyle::from_name(s.get_ref()).unwrap_or_else(|| {
            cx.err(s.span(), format!("style '{}': process or signal", s.get_ref()));
            LineStyle::Process
        }),
    };
    let width = stroke_width(&l.width, style.default_width(), cx);
    let ink = l
        .ink
        .as_ref()
        .and_then(|i| ink_of(i, false, cx))
        .unwrap_or(style.default_ink());
    let arrows = match &l.arrow {
        None => Arrows::None,
        Some(a) => Arrows::from_name(a.get_ref()).unwrap_or_else(|| {
            cx.err(a.span(), format!("arrow '{}': none, start, end or both", a.get_ref()));
            Arrows::None
        }),
    };
    let flowing = l
        .flowing
        .as_ref()
        .and_then(|f| match super::alarms::comparison(&cx.sub(f.get_ref()), cx.tags) {
            Ok(c) => Some(c),
            Err(why) => {
                cx.err(f.span(), format!("flowing: {why}"));
                None
            }
        });
    let mut points = Vec::new();
    if let Some(p) = &l.points {
        if p.get_ref().len() > MAX_LINE_POINTS {
            cx.err(p.span(), format!("a line has at most {MAX_LINE_POINTS} points"));
        }
        for xy in p.get_ref().iter().take(MAX_LINE_POINTS) {
            let q = pt(*xy) + offset;
            if !(q.x.is_finite() && q.y.is_finite() && Boxed::new(Pt::default(), cx.canvas).contains(q)) {
                cx.err(
                    p.span(),
                    format!(
                        "point [{}, {}] of this line is off the canvas [{}, {}]",
                        q.x, q.y, cx.canvas.x, cx.canvas.y
                    ),
                );
            }
            points.push(q);
        }
    }
    let ends = usize::from(l.from.is_some()) + usize::from(l.to.is_some());
    if points.len() + ends < 2 {
        cx.err(
            span,
            "a line needs two points at least: points = [[x, y], …], and/or from/to = \"symbol.port\"",
        );
    }
    if cx.errs.len() > before {
        return None;
    }
    if l.from.is_some() || l.to.is_some() {
        cx.lines.push(LineEnds {
            at,
            from: l.from,
            to: l.to,
        });
    }
    Some(ProcessLine {
        points,
        from: None,
        to: None,
        style,
        width,
        ink,
        arrows,
        flowing,
    })
}

/// Puts each line's port ends on its points: the port of the placed symbol the end names, where that
/// symbol is now. A symbol that failed for problems of its own is not reported again.
fn resolve_line_ends(elements: &mut [Element], cx: &mut Ctx<'_>) {
    let pending = std::mem::take(&mut cx.lines);
    for p in pending {
        let mut ends: [Option<(PortRef, Pt)>; 2] = [None, None];
        for (k, end) in [&p.from, &p.to].into_iter().enumerate() {
            if let Some(end) = end {
                ends[k] = port_end(elements, end, cx);
            }
        }
        let Some(Element::Line(line)) = elements.get_mut(p.at) else {
            continue;
        };
        let [from, to] = ends;
        if let Some((r, q)) = from {
            line.points.insert(0, q);
            line.from = Some(r);
        }
        if let Some((r, q)) = to {
            line.points.push(q);
            line.to = Some(r);
        }
    }
}

/// `"symbol.port"` on this screen: the reference and where the port is on the canvas.
fn port_end(elements: &[Element], end: &Spanned<String>, cx: &mut Ctx<'_>) -> Option<(PortRef, Pt)> {
    let text = cx.sub(end.get_ref().trim());
    let Some((sym, port)) = text.split_once('.') else {
        cx.err(
            end.span(),
            format!("'{text}': a line's end is \"symbol.port\" (a placed symbol's id, a port it declares)"),
        );
        return None;
    };
    let placed = elements.iter().find_map(|e| match e {
        Element::Symbol(s) if s.id.as_deref() == Some(sym) => Some(s),
        _ => None,
    });
    let Some(placed) = placed else {
        if !cx.symbol_ids.iter().any(|(i, _)| i == sym) {
            let mut known: Vec<&str> = cx.symbol_ids.iter().map(|(i, _)| i.as_str()).collect();
            known.sort_unstable();
            let known = if known.is_empty() {
                "none has an id".to_owned()
            } else {
                known.join(", ")
            };
            cx.err(
                end.span(),
                format!("no symbol with id '{sym}' on this screen (symbol ids: {known})"),
            );
        }
        return None;
    };
    match placed.port_at(port) {
        Some(q) => Some((
            PortRef {
                symbol: sym.into(),
                port: port.into(),
            },
            q,
        )),
        None => {
            cx.err(
                end.span(),
                format!(
                    "symbol '{sym}' ({}) has no port '{port}' (its ports: {})",
                    placed.symbol.id,
                    placed.symbol.port_names()
                ),
            );
            None
        }
    }
}

/// A value row (also a setpoint's): its box from the text size and width, and its tag.
fn value_label(v: Spanned<RawValue>, offset: Pt, cx: &mut Ctx<'_>, what: &str) -> Option<ValueLabel> {
    let span = v.span();
    let v = v.into_inner();
    let size = text_size(&v.size, cx);
    let label = cx.opt_text(v.label, "label", span);
    let h = VALUE_HEIGHT[size as usize];
    let at = pt(*v.at.get_ref()) + offset;
    let rect = cx.placed(
        Boxed::new(at, Pt::new(v.width.unwrap_or(DEFAULT_VALUE_WIDTH), h)),
        v.at.span(),
        what,
    );
    let def = cx.tag(&v.tag)?;
    let mut states = Vec::new();
    if let Some(st) = v.states {
        if !matches!(def.kind, ValueKind::String) {
            cx.err(
                st.span(),
                format!(
                    "states name what a text tag's values read as; '{}' does not hold text",
                    def.name
                ),
            );
        }
        for (sent, t) in st.into_inner() {
            let outer = t.span();
            let text = cx.text(Some(t), &format!("states.\"{sent}\""), true, outer);
            states.push((Arc::from(sent.as_str()), text));
        }
    }
    Some(ValueLabel {
        tag: def.id,
        rect,
        label,
        decimals: v.decimals,
        size,
        states,
    })
}

/// The scale of a bar or gauge: as written, else the tag's instrument range.
fn scale_of(
    id: TagId,
    min: Option<f64>,
    max: Option<f64>,
    name: &Spanned<String>,
    cx: &mut Ctx<'_>,
) -> Option<(f64, f64)> {
    let range = cx.tags.get(id).and_then(|d| d.range);
    match (min.or(range.map(|r| r.0)), max.or(range.map(|r| r.1))) {
        (Some(lo), Some(hi)) if hi > lo => Some((lo, hi)),
        (Some(_), Some(_)) => {
            cx.err(name.span(), "max must be above min");
            None
        }
        _ => {
            let n = cx.sub(name.get_ref());
            cx.err(
                name.span(),
                format!("'{n}' has no range in site.toml: give this element min and max"),
            );
            None
        }
    }
}

/// 1, 2 or 5 times a power of ten, at least `raw`: ticks a person can read.
fn nice_step(raw: f64) -> f64 {
    let p = 10f64.powf(raw.abs().max(1e-9).log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * p)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * p)
}

fn placed_symbol(s: RawPlaced, offset: Pt, cx: &mut Ctx<'_>) -> Option<PlacedSymbol> {
    // Named before anything else is checked: a symbol that fails still names itself, so the lines ending
    // on it are not reported as well.
    let id = s.id.as_ref().and_then(|i| symbol_id(i, cx));
    let name = s.symbol.get_ref().as_str();
    if cx.broken.iter().any(|b| b == name) {
        cx.failed = true;
        return None;
    }
    let Some(sym) = cx.symbols.get(name).map(|s| (*s).clone()) else {
        let mut known: Vec<&str> = cx.symbols.keys().copied().collect();
        known.sort_unstable();
        let hint = match known.iter().find(|k| close(k, name)) {
            Some(k) => format!(" — did you mean '{k}'?"),
            None => format!(" (symbols: {})", known.join(", ")),
        };
        cx.err(s.symbol.span(), format!("unknown symbol '{name}'{hint}"));
        return None;
    };
    let scale = match &s.scale {
        None => 1.0,
        Some(k) if *k.get_ref() > 0.0 && *k.get_ref() <= 20.0 => *k.get_ref(),
        Some(k) => {
            cx.err(k.span(), "scale must be above 0 and at most 20");
            1.0
        }
    };
    let label = cx.opt_text(s.label, "label", s.symbol.span());
    let origin = pt(*s.at.get_ref()) + offset - sym.anchor.scale(scale);
    let rect = cx.placed(
        Boxed::new(origin, sym.size.scale(scale)),
        s.at.span(),
        &format!("symbol '{name}'"),
    );
    let before = cx.errs.len();
    let empty = BTreeMap::new();
    let (bind, bind_span) = match &s.bind {
        Some(b) => (b.get_ref(), b.span()),
        None => (&empty, s.symbol.span()),
    };
    let mut tags = Vec::with_capacity(sym.inputs.len());
    let mut conditions = Vec::with_capacity(sym.inputs.len());
    for input in &sym.inputs {
        match bind.get(&*input.name) {
            None => cx.err(
                bind_span.clone(),
                format!(
                    "input '{}' of symbol '{name}' is not bound (bind = {{ {} = \"device/signal\" }})",
                    input.name, input.name
                ),
            ),
            // A state may be a comparison: `running = "ct01/pump_rate > 0.05"`.
            Some(t) if input.kind == InputKind::State && t.get_ref().contains(['<', '>', '=']) => {
                match super::alarms::comparison(&cx.sub(t.get_ref()), cx.tags) {
                    Ok(c) => {
                        tags.push(c.tag);
                        conditions.push(Some(c));
                    }
                    Err(why) => cx.err(t.span(), format!("input '{}': {why}", input.name)),
                }
            }
            Some(t) => {
                let id = match input.kind {
                    InputKind::Number => cx.numeric_tag(t, &format!("input '{}' (a number)", input.name)),
                    InputKind::State => cx.tag(t).map(|d| d.id),
                };
                if let Some(id) = id {
                    tags.push(id);
                    conditions.push(None);
                }
            }
        }
    }
    for (k, v) in bind {
        if sym.input(k).is_none() {
            let declared: Vec<&str> = sym.inputs.iter().map(|i| &*i.name).collect();
            cx.err(
                v.span(),
                format!(
                    "symbol '{name}' has no input '{k}' (its inputs: {})",
                    if declared.is_empty() {
                        "none".to_owned()
                    } else {
                        declared.join(", ")
                    }
                ),
            );
        }
    }
    let mut ranges: Vec<Option<(f64, f64)>> = tags.iter().map(|t| cx.tags.get(*t).and_then(|d| d.range)).collect();
    for (k, r) in s.range.iter().flatten() {
        let [lo, hi] = *r.get_ref();
        match sym.input(k) {
            _ if !(lo.is_finite() && hi.is_finite() && hi > lo) => {
                cx.err(r.span(), format!("range of '{k}' is [min, max] with max above min"));
            }
            Some(i) if sym.inputs[i].kind == InputKind::Number && tags.len() == sym.inputs.len() => {
                ranges[i] = Some((lo, hi));
            }
            Some(_) if tags.len() != sym.inputs.len() => {} // a binding is wrong; reported above
            Some(_) => cx.err(
                r.span(),
                format!("input '{k}' of symbol '{name}' is a state; only a number input has a range"),
            ),
            None => cx.err(r.span(), format!("symbol '{name}' has no input '{k}'")),
        }
    }
    if tags.len() == sym.inputs.len() {
        for i in sym.inputs_scaled_by_tag() {
            if ranges[i].is_none() {
                let input = &sym.inputs[i].name;
                let tag = cx.tags.get(tags[i]).map_or("?", |d| d.name.as_str()).to_owned();
                cx.err(
                    bind_span.clone(),
                    format!("input '{input}' of symbol '{name}' is scaled by its tag's range, and '{tag}' has none in site.toml"),
                );
            }
        }
    }
    let to = s.to.as_ref().map(|t| cx.reference(t, "to"));
    (cx.errs.len() == before).then_some(PlacedSymbol {
        id,
        symbol: sym,
        rect,
        scale,
        tags,
        ranges,
        conditions,
        label,
        to,
    })
}

/// One edit apart (a letter wrong, missing, extra, or two swapped): worth suggesting.
fn close(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.len().abs_diff(b.len()) > 1 {
        return false;
    }
    let mut i = 0;
    while i < a.len().min(b.len()) && a[i] == b[i] {
        i += 1;
    }
    let (ra, rb) = (&a[i..], &b[i..]);
    let swapped = ra.len() >= 2 && ra.len() == rb.len() && ra[0] == rb[1] && ra[1] == rb[0] && ra[2..] == rb[2..];
    swapped || ra.get(1..) == rb.get(1..) || ra.get(1..) == Some(rb) || Some(ra) == rb.get(1..)
}

#[cfg(test)]
mod tests {
    use crate::project::Project;
    use crate::screen::def::{Element, Pt, Span, Translate};

    #[test]
    fn the_demo_has_every_level_and_one_screen_per_esp() {
        let p = Project::demo().expect("demo is valid");
        let set = &p.screens;
        assert_eq!(
            set.home().map(|s| &*s.id),
            Some("field"),
            "the level-1 screen opens first"
        );
        for n in 1..=6 {
            let id = format!("esp{n:02}");
            let s = set
                .get(&id)
                .unwrap_or_else(|| panic!("{id} expanded from screens/esp.toml"));
            assert_eq!(s.title.en.as_ref(), format!("ESP{n:02} electric submersible pump well"));
            // every tag on an expanded screen is that well's own
            for t in s.tags() {
                let name = &p.site.tags.get(t).unwrap().name;
                assert!(name.starts_with(&id), "{id} shows {name}");
            }
        }
        let crumbs = set.breadcrumbs("ct01-injector");
        let crumbs: Vec<&str> = crumbs.iter().map(|s| &*s.id).collect();
        assert_eq!(crumbs, ["field", "ct01", "ct01-injector"]);
        assert_eq!(
            set.by_shortcut(crate::screen::def::Shortcut::F(2)).map(|s| &*s.id),
            Some("ct01")
        );
        let levels: Vec<u8> = set.screens.iter().map(|s| s.level).collect();
        assert!(
            levels.windows(2).all(|w| w[0] <= w[1]),
            "in hierarchy order: {levels:?}"
        );
        for l in 1..=4 {
            assert!(levels.contains(&l), "a level-{l} screen ships");
        }
    }

    #[test]
    fn a_state_bound_to_a_comparison_and_symbols_scaled_by_the_tag_range() {
        let p = Project::demo().expect("demo is valid");
        let ct = p.screens.get("ct01").unwrap();
        let pump = ct
            .elements
            .iter()
            .find_map(|e| match e {
                Element::Symbol(s) if &*s.symbol.id == "pump" => Some(s),
                _ => None,
            })
            .unwrap();
        let c = pump.conditions[0]
            .as_ref()
            .expect("running = \"ct01/pump_rate > 0.05\"");
        assert_eq!(c.holds(Some(&crate::tag::Value::F64(0.5))), Some(true));
        assert_eq!(c.holds(Some(&crate::tag::Value::F64(0.0))), Some(false));
        let reel = ct
            .elements
            .iter()
            .find_map(|e| match e {
                Element::Symbol(s) if &*s.symbol.id == "ct_reel" => Some(s),
                _ => None,
            })
            .unwrap();
        assert_eq!(
            reel.symbol.inputs_scaled_by_tag(),
            vec![0],
            "footage fills the pack by its tag's range"
        );
        assert_eq!(reel.ranges[0], Some((0.0, 20_000.0)));
    }

    #[test]
    fn the_well_schematic_is_drawn_to_the_wells_td_over_a_numbered_scale() {
        let p = Project::demo().expect("demo is valid");
        let well = p
            .screens
            .get("ct01")
            .unwrap()
            .elements
            .iter()
            .find_map(|e| match e {
                Element::Symbol(s) if &*s.symbol.id == "well_schematic" => Some(s),
                _ => None,
            })
            .unwrap();
        let survey = crate::project::survey_csv::parse(&crate::project::SourceFile::new(
            "ct01_survey.csv",
            include_str!("../../data/ct01_survey.csv"),
        ))
        .unwrap();
        assert_eq!(
            well.ranges[0],
            Some((0.0, survey.total_md_ft())),
            "the screen's range (the well's TD), not the depth tag's 0–15,000 ft"
        );
        assert!(
            well.symbol
                .parts
                .iter()
                .any(|part| matches!(part.shape, crate::screen::def::Shape::Scale { .. })),
            "numbered"
        );
    }

    #[test]
    fn a_symbols_range_and_a_values_states_are_checked() {
        let demo = crate::project::ProjectFiles::embedded_demo();
        let load = |screen: &str| {
            let files = demo
                .iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .chain([("screens/t.toml".to_owned(), screen.to_owned())]);
            match Project::load(crate::project::ProjectFiles::from_memory(files)) {
                Ok(_) => String::new(),
                Err(e) => e.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"),
            }
        };
        let head = "id = \"t\"\ntitle = { en = \"T\", es = \"T\" }\ncanvas = [800, 800]\n";
        let well = |range: &str| {
            format!(
                "{head}[[symbol]]\nuse = \"well_schematic\"\nat = [10, 10]\n\
                 bind = {{ depth = \"ct01/depth\" }}\nrange = {{ {range} }}\n"
            )
        };
        assert_eq!(load(&well("depth = [0.0, 9800.0]")), "");
        assert!(
            load(&well("depth = [9800.0, 0.0]"))
                .contains("t.toml:8:19: range of 'depth' is [min, max] with max above min")
        );
        assert!(load(&well("tip = [0.0, 10.0]")).contains("symbol 'well_schematic' has no input 'tip'"));
        let phase =
            |states: &str| format!("{head}[[value]]\ntag = \"ct01/depth\"\nat = [10, 10]\n[value.states]\n{states}\n");
        assert!(
            load(&phase("\"RIH\" = { en = \"RIH\", es = \"BAJANDO\" }")).contains("'ct01/depth' does not hold text")
        );
        let text = phase("\"RIH\" = { en = \"RIH\" }").replace("ct01/depth", "ct01/job_phase");
        assert!(load(&text).contains("states.\"RIH\" has no Spanish text"));
    }

    /// The demo's files with one more screen: the loaded project, or every problem, one per line.
    fn with_screen(screen: &str) -> Result<Project, String> {
        let files = crate::project::ProjectFiles::embedded_demo()
            .iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .chain([("screens/t.toml".to_owned(), screen.to_owned())])
            .collect::<Vec<_>>();
        Project::load(crate::project::ProjectFiles::from_memory(files))
            .map_err(|e| e.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))
    }

    const HEAD: &str = "id = \"t\"\ntitle = { en = \"T\", es = \"T\" }\ncanvas = [800, 800]\n";
    const PUMP_AND_METER: &str = "[[symbol]]\nid = \"p1\"\nuse = \"pump\"\nat = [100, 100]\n\
        bind = { running = \"ct01/pump_rate > 0.05\" }\n\
        [[symbol]]\nid = \"fm\"\nuse = \"flow_meter\"\nat = [300, 300]\nbind = { rate = \"ct01/pump_rate\" }\n";

    fn first_line(p: &Project) -> crate::screen::def::ProcessLine {
        let s = p.screens.get("t").expect("screen t");
        s.elements
            .iter()
            .find_map(|e| match e {
                Element::Line(l) => Some(l.clone()),
                _ => None,
            })
            .expect("a line")
    }

    #[test]
    fn a_lines_ends_sit_on_its_symbols_ports_and_follow_them() {
        use crate::screen::def::{Arrows, LineStyle};
        let line = "[[line]]\nfrom = \"p1.discharge\"\npoints = [[200, 98], [200, 300]]\nto = \"fm.inlet\"\n\
                    arrow = \"end\"\nflowing = \"ct01/pump_rate > 0.05\"\n";
        let p = with_screen(&format!("{HEAD}{PUMP_AND_METER}{line}")).expect("valid");
        let l = first_line(&p);
        // The pump's anchor is [40, 40] and its discharge [70, 38]; the meter's anchor and inlet are [0, 40].
        assert_eq!(
            l.points,
            [
                Pt::new(130.0, 98.0),
                Pt::new(200.0, 98.0),
                Pt::new(200.0, 300.0),
                Pt::new(300.0, 300.0)
            ]
        );
        assert_eq!(
            l.from.as_ref().map(|r| (&*r.symbol, &*r.port)),
            Some(("p1", "discharge"))
        );
        assert_eq!(l.to.as_ref().map(|r| (&*r.symbol, &*r.port)), Some(("fm", "inlet")));
        assert_eq!((l.style, l.arrows, l.width), (LineStyle::Process, Arrows::End, 3.0));
        let pump_rate = p.site.tags.by_name("ct01/pump_rate").unwrap().id;
        assert_eq!(l.flowing.as_ref().map(|c| c.tag), Some(pump_rate));
        let s = p.screens.get("t").unwrap();
        assert!(s.tags().contains(&pump_rate));
        // Drawn under the symbols it joins.
        let first_symbol = s.elements.iter().position(|e| matches!(e, Element::Symbol(_)));
        let the_line = s.elements.iter().position(|e| matches!(e, Element::Line(_)));
        assert!(the_line < first_symbol);
        // Moved and scaled, the pump takes the line's end with it.
        let moved = PUMP_AND_METER.replace("at = [100, 100]", "at = [100, 150]\nscale = 2");
        let l = first_line(&with_screen(&format!("{HEAD}{moved}{line}")).expect("valid"));
        assert_eq!(l.points[0], Pt::new(100.0 - 80.0 + 140.0, 150.0 - 80.0 + 76.0));
        // A signal line inside a group counts its points from the group's corner.
        let group = "[[group]]\nat = [400, 400]\nsize = [300, 300]\n[[group.line]]\nstyle = \"signal\"\n\
                     points = [[10, 10], [100, 10]]\n";
        let l = first_line(&with_screen(&format!("{HEAD}{group}")).expect("valid"));
        assert_eq!(l.points, [Pt::new(410.0, 410.0), Pt::new(500.0, 410.0)]);
        assert_eq!((l.style, l.width, l.from.is_none()), (LineStyle::Signal, 1.5, true));
    }

    #[test]
    fn every_mistake_in_a_line_a_box_or_a_text_is_located_and_named() {
        let bad = |what: &str| {
            with_screen(&format!("{HEAD}{PUMP_AND_METER}{what}"))
                .err()
                .unwrap_or_default()
        };
        let line = |rest: &str| format!("[[line]]\nfrom = \"p1.discharge\"\n{rest}\n");
        assert!(
            bad(&line("to = \"fm.outlet2\""))
                .contains("t.toml:16:6: symbol 'fm' (flow_meter) has no port 'outlet2' (its ports: inlet, outlet)"),
            "{}",
            bad(&line("to = \"fm.outlet2\""))
        );
        assert!(
            bad(&line("to = \"nope.inlet\"")).contains("no symbol with id 'nope' on this screen (symbol ids: fm, p1)")
        );
        assert!(bad(&line("to = \"fm\"")).contains("a line's end is \"symbol.port\""));
        assert!(bad(&line("to = \"fm.inlet\"\nstyle = \"dotted\"")).contains("style 'dotted': process or signal"));
        assert!(bad(&line("to = \"fm.inlet\"\narrow = \"up\"")).contains("arrow 'up': none, start, end or both"));
        assert!(bad(&line("to = \"fm.inlet\"\nwidth = 0")).contains("width must be above 0 and at most 20"));
        assert!(bad(&line("to = \"fm.inlet\"\nink = \"red\"")).contains("ink 'red': one of line, equipment"));
        assert!(
            bad(&line("points = [[900, 10]]")).contains("point [900, 10] of this line is off the canvas [800, 800]")
        );
        assert!(bad(&line("")).contains("a line needs two points at least"));
        assert!(
            bad(&line("to = \"fm.inlet\"\nflowing = \"ct01/nope > 1\"")).contains("flowing: unknown tag 'ct01/nope'")
        );
        let many: Vec<String> = (0..300).map(|i| format!("[{}, 5]", i % 700)).collect();
        assert!(bad(&line(&format!("points = [{}]", many.join(", ")))).contains("a line has at most 256 points"));
        let twice = "[[symbol]]\nid = \"p1\"\nuse = \"pump\"\nat = [500, 500]\nbind = { running = \"ct01/pump_rate > 0.05\" }\n";
        assert!(
            bad(twice).contains("symbol id 'p1' is used twice on this screen (first at <memory>/screens/t.toml:5:6)"),
            "{}",
            bad(twice)
        );
        assert!(bad("[[symbol]]\nid = \"P 1\"\nuse = \"pump\"\nat = [500, 500]\nbind = { running = \"ct01/pump_rate > 0.05\" }\n")
            .contains("symbol id 'P 1': use lower-case letters"));
        // A symbol that fails for its own reasons is reported once, not again by the lines ending on it.
        let broken = PUMP_AND_METER.replace("at = [300, 300]", "at = [790, 300]");
        let found = with_screen(&format!("{HEAD}{broken}{}", line("to = \"fm.inlet\""))).unwrap_err();
        assert_eq!(found.lines().count(), 1, "{found}");
        assert!(found.contains("reaches outside the canvas"), "{found}");
        // Boxes and texts.
        assert!(bad("[[rect]]\nat = [10, 10]\nsize = [100, 50]\nfill = \"red\"\n").contains("ink 'red'"));
        assert!(bad("[[rect]]\nat = [10, 10]\nsize = [100, 50]\nrounding = 30\n").contains("rounding is 0 up to half"));
        assert!(
            bad("[[rect]]\nat = [750, 10]\nsize = [100, 50]\n")
                .contains("rect at [750, 10] size [100, 50] reaches outside")
        );
        assert!(bad("[[text]]\nat = [10, 10]\ntext = { en = \"A\" }\n").contains("has no Spanish text"));
        assert!(
            bad("[[text]]\nat = [10, 10]\ntext = { en = \"A\", es = \"A\" }\nalign = \"middle\"\n")
                .contains("align 'middle': left, center or right")
        );
    }

    #[test]
    fn boxes_and_texts_are_static_elements_drawn_where_written() {
        use crate::screen::def::{Align, Ink};
        let p = with_screen(&format!(
            "{HEAD}[[rect]]\nat = [10, 20]\nsize = [100, 50]\nfill = \"ground\"\nstroke = \"none\"\ndashed = true\n\
             [[text]]\nat = [400, 30]\ntext = {{ en = \"To flare\", es = \"A la tea\" }}\nalign = \"center\"\nink = \"text_dim\"\n"
        ))
        .expect("valid");
        let s = p.screens.get("t").unwrap();
        let (rects, texts): (Vec<_>, Vec<_>) = (
            s.elements
                .iter()
                .filter_map(|e| match e {
                    Element::Rect(r) => Some(r.clone()),
                    _ => None,
                })
                .collect(),
            s.elements
                .iter()
                .filter_map(|e| match e {
                    Element::Text(t) => Some(t.clone()),
                    _ => None,
                })
                .collect(),
        );
        assert_eq!(rects.len(), 1);
        assert_eq!(
            (rects[0].fill, rects[0].stroke, rects[0].dashed),
            (Some(Ink::Ground), None, true)
        );
        assert_eq!(rects[0].rect.at, Pt::new(10.0, 20.0));
        assert_eq!(texts.len(), 1);
        assert_eq!(
            (&*texts[0].text.es, texts[0].align, texts[0].ink),
            ("A la tea", Align::Center, Ink::TextDim)
        );
    }

    #[test]
    fn spans_and_the_level_wind_triangle() {
        let own = Span {
            input: 0,
            range: Some((0.0, 10.0)),
        };
        assert_eq!(
            own.fraction(5.0, Some((0.0, 100.0))),
            0.5,
            "the symbol's own range wins"
        );
        let by_tag = Span { input: 0, range: None };
        assert_eq!(by_tag.fraction(25.0, Some((0.0, 100.0))), 0.25);
        assert_eq!(by_tag.fraction(250.0, Some((0.0, 100.0))), 1.0, "clamped");
        let wind = Translate {
            span: by_tag,
            by: Pt::new(150.0, 0.0),
            repeat: Some(1600.0),
        };
        let f = |v| wind.fraction(v, Some((0.0, 20_000.0)));
        assert_eq!(
            (f(0.0), f(800.0), f(1600.0), f(2400.0), f(3200.0)),
            (0.0, 0.5, 1.0, 0.5, 0.0)
        );
    }
}
