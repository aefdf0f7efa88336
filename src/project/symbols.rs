//! `symbols/*.toml`: one symbol per file — size, anchor, named inputs and vector parts with bindings —
//! validated into `screen::def::Symbol`, or every problem at `path:line:col`.
//!
//! A symbol knows nothing of tags: it declares inputs (`rpm = "number"`, `running = "state"`), and each
//! screen that places it binds those inputs to tags. That is what makes one reel drawing serve every unit.

use super::alarms::{RawText, text};
use super::diag::{Diagnostic, SourceFile};
use super::files::ProjectFiles;
use super::parts::Parts;
use crate::screen::def::{
    Align, Boxed, ColourBy, Ink, InputKind, Part, PartBindings, Port, Pt, Rotation, Shape, Side, Span, Symbol,
    SymbolInput, Translate,
};
use crate::screen::path;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;
use toml::Spanned;

/// The shapes a part may be, for messages.
const SHAPES: &str = "line, polyline, polygon, rect, circle, arc, path, text, value or scale";
/// Connection points per symbol, at most: a manifold has a handful, not hundreds.
const MAX_PORTS: usize = 32;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSymbol {
    id: Spanned<String>,
    name: Option<Spanned<RawText>>,
    size: Spanned<[f32; 2]>,
    anchor: Option<Spanned<[f32; 2]>>,
    #[serde(default)]
    inputs: BTreeMap<String, Spanned<String>>,
    /// Connection points for process lines: `ports = { suction = [8, 40], discharge = [72, 40] }`.
    #[serde(default)]
    ports: BTreeMap<String, Spanned<[f32; 2]>>,
    /// Read entry by entry before the rest (see `load`).
    #[serde(default)]
    part: Vec<Spanned<RawPart>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPart {
    line: Option<Spanned<Vec<[f32; 2]>>>,
    polyline: Option<Spanned<Vec<[f32; 2]>>>,
    polygon: Option<Spanned<Vec<[f32; 2]>>>,
    rect: Option<Spanned<[f32; 4]>>,
    rounding: Option<f32>,
    circle: Option<Spanned<[f32; 3]>>,
    arc: Option<Spanned<[f32; 5]>>,
    path: Option<Spanned<String>>,
    text: Option<Spanned<RawText>>,
    /// The name of an input whose value the part writes (a meter's reading).
    value: Option<Spanned<String>>,
    scale: Option<Spanned<RawScale>>,
    at: Option<Spanned<[f32; 2]>>,
    size: Option<Spanned<f32>>,
    align: Option<Spanned<String>>,
    stroke: Option<Spanned<String>>,
    width: Option<Spanned<f32>>,
    fill: Option<Spanned<String>>,
    dash: Option<Spanned<[f32; 2]>>,
    fill_level: Option<Spanned<RawFillLevel>>,
    rotate: Option<Spanned<RawRotate>>,
    motion: Option<Spanned<RawMotion>>,
    translate: Option<Spanned<RawTranslate>>,
    colour: Option<Spanned<RawColour>>,
    visible: Option<Spanned<RawVisible>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScale {
    input: Spanned<String>,
    from: [f32; 2],
    to: [f32; 2],
    min: Option<f64>,
    max: Option<f64>,
    numbers: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFillLevel {
    input: Spanned<String>,
    min: Option<f64>,
    max: Option<f64>,
    from: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRotate {
    input: Spanned<String>,
    about: [f32; 2],
    deg_per_s: Option<f32>,
    min: Option<f64>,
    max: Option<f64>,
    from_deg: Option<f32>,
    to_deg: Option<f32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMotion {
    input: Spanned<String>,
    rate: f32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTranslate {
    input: Spanned<String>,
    min: Option<f64>,
    max: Option<f64>,
    repeat: Option<Spanned<f64>>,
    by: [f32; 2],
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawColour {
    input: Spanned<String>,
    states: BTreeMap<String, Spanned<String>>,
    #[serde(rename = "else")]
    otherwise: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVisible {
    input: Spanned<String>,
    #[serde(default = "yes")]
    is: bool,
}

fn yes() -> bool {
    true
}

/// Every symbol file, loaded: the good symbols, the ids of broken ones, and the problems.
pub struct Loaded {
    pub symbols: Vec<Arc<Symbol>>,
    /// Symbols whose files have problems: screens using them say nothing more (the problem is reported
    /// once, at the symbol, not once per use).
    pub broken: Vec<String>,
    pub problems: Vec<Diagnostic>,
}

/// Loads every `symbols/*.toml`.
pub fn load(files: &ProjectFiles) -> Loaded {
    let mut errs = Vec::new();
    let mut broken = Vec::new();
    let mut out: Vec<Arc<Symbol>> = Vec::new();
    for (rel, text) in files.iter() {
        if !(rel.starts_with("symbols/") && rel.ends_with(".toml")) {
            continue;
        }
        let path = files.display_path(rel);
        let src = SourceFile::new(&path, text);
        let before = errs.len();
        let mut parts = match Parts::parse(&src) {
            Ok(p) => p,
            Err(d) => {
                errs.push(d);
                continue;
            }
        };
        // Remembered before the rest is read: a symbol whose file has problems is still named, so the
        // screens placing it say nothing more.
        let named = parts.text_of("id").map(|id| id.trim().to_owned());
        let part = parts.list("part", &src, &mut errs);
        let bad_part = errs.len() > before;
        let Some(mut raw) = parts.rest::<RawSymbol>(&src, &mut errs) else {
            broken.extend(named);
            continue;
        };
        raw.part = part;
        // Parts written but wrong are reported already.
        if raw.part.is_empty() && !bad_part {
            errs.push(src.at(raw.id.span(), "a symbol needs at least one [[part]]"));
        }
        let span = raw.id.span();
        let id = raw.id.get_ref().trim().to_owned();
        let Some(sym) = symbol(raw, &src, &mut errs).filter(|_| errs.len() == before) else {
            broken.push(id);
            continue;
        };
        if let Some(first) = out.iter().find(|s| s.id == sym.id) {
            errs.push(src.at(
                span,
                format!("symbol '{}' is defined twice (first at {})", sym.id, first.defined_at),
            ));
            continue;
        }
        out.push(Arc::new(sym));
    }
    Loaded {
        symbols: out,
        broken,
        problems: errs,
    }
}

fn symbol(raw: RawSymbol, src: &SourceFile<'_>, errs: &mut Vec<Diagnostic>) -> Option<Symbol> {
    let before = errs.len();
    let id = raw.id.get_ref().trim();
    if !valid_id(id) {
        errs.push(src.at(
            raw.id.span(),
            format!("symbol id '{id}': use lower-case letters, digits, '_' and '-' only"),
        ));
    }
    let name = text(raw.name, "name", true, raw.id.span(), src, errs);
    let size = pt(*raw.size.get_ref());
    if !(size.x > 0.0 && size.y > 0.0) {
        errs.push(src.at(raw.size.span(), "size must be [width, height], both above 0"));
    }
    let anchor = raw.anchor.as_ref().map_or(Pt::default(), |a| pt(*a.get_ref()));
    let mut inputs = Vec::new();
    for (name, kind) in &raw.inputs {
        let kind = match kind.get_ref().as_str() {
            "number" => InputKind::Number,
            "state" => InputKind::State,
            other => {
                errs.push(src.at(
                    kind.span(),
                    format!("input '{name}': unknown kind '{other}' (\"number\" or \"state\")"),
                ));
                continue;
            }
        };
        inputs.push(SymbolInput {
            name: name.as_str().into(),
            kind,
        });
    }
    let ports = ports(&raw.ports, size, src, errs);
    let parts: Vec<Part> = raw
        .part
        .into_iter()
        .filter_map(|p| part(p, &inputs, src, errs))
        .collect();
    let (line, col) = src.line_col(raw.id.span().start);
    (errs.len() == before).then(|| Symbol {
        id: id.into(),
        name,
        size,
        anchor,
        inputs,
        parts,
        ports,
        defined_at: format!("{}:{line}:{col}", src.path),
    })
}

/// A symbol's connection points: named like ids, on the symbol's box (its edge included), at most
/// `MAX_PORTS`.
fn ports(
    raw: &BTreeMap<String, Spanned<[f32; 2]>>,
    size: Pt,
    src: &SourceFile<'_>,
    errs: &mut Vec<Diagnostic>,
) -> Vec<Port> {
    let mut out = Vec::new();
    for (name, at) in raw {
        let p = pt(*at.get_ref());
        if !valid_id(name) {
            errs.push(src.at(
                at.span(),
                format!("port '{name}': use lower-case letters, digits, '_' and '-' only"),
            ));
        } else if !(p.x.is_finite() && p.y.is_finite() && Boxed::new(Pt::default(), size).contains(p)) {
            errs.push(src.at(
                at.span(),
                format!(
                    "port '{name}' at [{}, {}] is off the symbol (its box is [0, 0] to [{}, {}])",
                    p.x, p.y, size.x, size.y
                ),
            ));
        } else if out.len() == MAX_PORTS {
            errs.push(src.at(at.span(), format!("a symbol has at most {MAX_PORTS} ports")));
            break;
        } else {
            out.push(Port {
                name: name.as_str().into(),
                at: p,
            });
        }
    }
    out
}

pub(super) fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

fn pt(a: [f32; 2]) -> Pt {
    Pt::new(a[0], a[1])
}

fn ink(s: &Spanned<String>, src: &SourceFile<'_>, errs: &mut Vec<Diagnostic>) -> Option<Ink> {
    let found = Ink::from_name(s.get_ref());
    if found.is_none() {
        errs.push(src.at(
            s.span(),
            format!("unknown colour '{}' (one of: {})", s.get_ref(), Ink::names()),
        ));
    }
    found
}

/// The input a binding names, checked for existence and kind.
fn input(
    name: &Spanned<String>,
    want: InputKind,
    inputs: &[SymbolInput],
    src: &SourceFile<'_>,
    errs: &mut Vec<Diagnostic>,
) -> Option<usize> {
    let Some(i) = inputs.iter().position(|i| *i.name == **name.get_ref()) else {
        let declared: Vec<&str> = inputs.iter().map(|i| &*i.name).collect();
        errs.push(src.at(
            name.span(),
            format!(
                "'{}' is not an input of this symbol (declare it under [inputs]; declared: {})",
                name.get_ref(),
                if declared.is_empty() {
                    "none".to_owned()
                } else {
                    declared.join(", ")
                }
            ),
        ));
        return None;
    };
    if want == InputKind::Number && inputs[i].kind == InputKind::State {
        errs.push(src.at(
            name.span(),
            format!("input '{}' is a state; this binding needs a number", name.get_ref()),
        ));
        return None;
    }
    Some(i)
}

fn points(
    raw: &Spanned<Vec<[f32; 2]>>,
    what: &str,
    least: usize,
    src: &SourceFile<'_>,
    errs: &mut Vec<Diagnostic>,
) -> Vec<Pt> {
    if raw.get_ref().len() < least {
        errs.push(src.at(
            raw.span(),
            format!("a {what} needs at least {least} points [[x, y], …]"),
        ));
    }
    raw.get_ref().iter().copied().map(pt).collect()
}

fn part(
    raw: Spanned<RawPart>,
    inputs: &[SymbolInput],
    src: &SourceFile<'_>,
    errs: &mut Vec<Diagnostic>,
) -> Option<Part> {
    let span = raw.span();
    let mut p = raw.into_inner();
    let before = errs.len();
    let given = [
        p.line.is_some(),
        p.polyline.is_some(),
        p.polygon.is_some(),
        p.rect.is_some(),
        p.circle.is_some(),
        p.arc.is_some(),
        p.path.is_some(),
        p.text.is_some(),
        p.value.is_some(),
        p.scale.is_some(),
    ]
    .iter()
    .filter(|g| **g)
    .count();
    if given != 1 {
        errs.push(src.at(span, format!("a part is exactly one shape: {SHAPES} ({given} given)")));
        return None;
    }
    let shape = part_shape(&mut p, &span, inputs, src, errs)?;
    let writes = matches!(shape, Shape::Text { .. } | Shape::Value { .. } | Shape::Scale { .. });
    if let Some(s) = &p.size
        && !writes
    {
        errs.push(src.at(s.span(), "size is for parts that write: text, value and scale"));
    }
    let stroke = p.stroke.as_ref().and_then(|s| ink(s, src, errs));
    let fill = p.fill.as_ref().and_then(|s| ink(s, src, errs));
    let width = match &p.width {
        Some(w) if *w.get_ref() > 0.0 && *w.get_ref() <= 50.0 => *w.get_ref(),
        Some(w) => {
            errs.push(src.at(w.span(), "width must be above 0 and at most 50"));
            1.0
        }
        None => 1.5,
    };
    let dash = p.dash.as_ref().map(|d| {
        let [on, off] = *d.get_ref();
        if !(on > 0.0 && off > 0.0) {
            errs.push(src.at(d.span(), "dash is [dash length, gap length], both above 0"));
        }
        (on, off)
    });
    let bind = bindings(&p, inputs, &shape, src, errs);
    if stroke.is_none() && fill.is_none() && bind.colour.is_none() && !writes {
        errs.push(src.at(
            span.clone(),
            "the part draws nothing: give it a stroke, a fill or a colour binding",
        ));
    }
    if let Shape::Polygon(pts) = &shape
        && (fill.is_some() || bind.colour.is_some())
        && !convex(pts)
    {
        errs.push(src.at(
            span.clone(),
            "a filled outline must be convex (the painter fills convex shapes only): split it into convex parts",
        ));
    }
    if bind.motion.is_some() && dash.is_none() {
        errs.push(src.at(span, "motion moves the dashes of a part: give it dash = [length, gap]"));
    }
    (errs.len() == before).then_some(Part {
        shape,
        stroke,
        width,
        fill,
        dash,
        bind,
    })
}

/// The one shape a part is (`part` has checked that exactly one is given), in symbol units. `None` when a
/// part that writes has no place to write or nothing bound to write (the problem is pushed).
fn part_shape(
    p: &mut RawPart,
    span: &Range<usize>,
    inputs: &[SymbolInput],
    src: &SourceFile<'_>,
    errs: &mut Vec<Diagnostic>,
) -> Option<Shape> {
    let shape = if let Some(l) = &p.line {
        line_shape(l, src, errs)
    } else if let Some(l) = &p.polyline {
        Shape::Polyline(points(l, "polyline", 2, src, errs))
    } else if let Some(l) = &p.polygon {
        Shape::Polygon(points(l, "polygon", 3, src, errs))
    } else if let Some(r) = &p.rect {
        rect_shape(r, p.rounding, src, errs)
    } else if let Some(c) = &p.circle {
        circle_shape(c, src, errs)
    } else if let Some(a) = &p.arc {
        arc_shape(a, src, errs)
    } else if let Some(d) = &p.path {
        path_shape(d, src, errs)
    } else if let Some(v) = &p.value {
        value_shape(v, p, inputs, src, errs)?
    } else if let Some(sc) = &p.scale {
        scale_shape(sc, p, inputs, src, errs)?
    } else {
        text_shape(p, span, src, errs)?
    };
    Some(shape)
}

/// `line = [[x1, y1], [x2, y2]]`: exactly two points, so a longer one reads as the polyline it is.
fn line_shape(l: &Spanned<Vec<[f32; 2]>>, src: &SourceFile<'_>, errs: &mut Vec<Diagnostic>) -> Shape {
    if l.get_ref().len() != 2 {
        errs.push(src.at(
            l.span(),
            "a line is two points [[x1, y1], [x2, y2]] (use polyline for more)",
        ));
    }
    Shape::Polyline(l.get_ref().iter().copied().map(pt).collect())
}

/// `rect = [x, y, width, height]`, with optional corner rounding (never negative).
fn rect_shape(r: &Spanned<[f32; 4]>, rounding: Option<f32>, src: &SourceFile<'_>, errs: &mut Vec<Diagnostic>) -> Shape {
    let [x, y, w, h] = *r.get_ref();
    if !(w > 0.0 && h > 0.0) {
        errs.push(src.at(r.span(), "rect is [x, y, width, height] with width and height above 0"));
    }
    Shape::Rect {
        min: Pt::new(x, y),
        size: Pt::new(w, h),
        rounding: rounding.unwrap_or(0.0).max(0.0),
    }
}

/// `circle = [cx, cy, radius]`.
fn circle_shape(c: &Spanned<[f32; 3]>, src: &SourceFile<'_>, errs: &mut Vec<Diagnostic>) -> Shape {
    let [x, y, r] = *c.get_ref();
    if r <= 0.0 {
        errs.push(src.at(c.span(), "circle is [cx, cy, radius] with a radius above 0"));
    }
    Shape::Circle {
        center: Pt::new(x, y),
        radius: r,
    }
}

/// `arc = [cx, cy, radius, from_deg, to_deg]`: an arc of no angle draws nothing, so it is a mistake.
fn arc_shape(a: &Spanned<[f32; 5]>, src: &SourceFile<'_>, errs: &mut Vec<Diagnostic>) -> Shape {
    let [x, y, r, from_deg, to_deg] = *a.get_ref();
    if r <= 0.0 || from_deg == to_deg {
        errs.push(src.at(
            a.span(),
            "arc is [cx, cy, radius, from_deg, to_deg] with a radius above 0 and two different angles",
        ));
    }
    Shape::Arc {
        center: Pt::new(x, y),
        radius: r,
        from_deg,
        to_deg,
    }
}

/// `path = "M … L … Z"` (SVG path data), flattened to points: a polygon when closed, else a polyline.
fn path_shape(d: &Spanned<String>, src: &SourceFile<'_>, errs: &mut Vec<Diagnostic>) -> Shape {
    // +1: the span includes the opening quote.
    match path::flatten(d.get_ref()) {
        Ok(f) if f.closed => Shape::Polygon(f.points),
        Ok(f) => Shape::Polyline(f.points),
        Err(e) => {
            let at = d.span().start + 1 + e.offset;
            errs.push(src.at(at..at, format!("path: {e}")));
            Shape::Polyline(Vec::new())
        }
    }
}

/// `value = "INPUT"`: writes a number input's reading at `at`.
fn value_shape(
    v: &Spanned<String>,
    p: &RawPart,
    inputs: &[SymbolInput],
    src: &SourceFile<'_>,
    errs: &mut Vec<Diagnostic>,
) -> Option<Shape> {
    let Some(at) = &p.at else {
        errs.push(src.at(v.span(), "a value needs at = [x, y]"));
        return None;
    };
    Some(Shape::Value {
        at: pt(*at.get_ref()),
        input: input(v, InputKind::Number, inputs, src, errs)?,
        size: text_size(p),
        align: align(p, src, errs),
    })
}

/// `scale = { input, from, to, … }`: a numbered scale for a number input, its numbers on one side.
fn scale_shape(
    sc: &Spanned<RawScale>,
    p: &RawPart,
    inputs: &[SymbolInput],
    src: &SourceFile<'_>,
    errs: &mut Vec<Diagnostic>,
) -> Option<Shape> {
    let r = sc.get_ref();
    let numbers = match r.numbers.as_ref().map(|n| (n.get_ref().as_str(), n.span())) {
        None | Some(("right", _)) => Side::Right,
        Some(("left", _)) => Side::Left,
        Some(("above", _)) => Side::Top,
        Some(("below", _)) => Side::Bottom,
        Some((other, s)) => {
            errs.push(src.at(s, format!("numbers '{other}': left, right, above or below")));
            Side::Right
        }
    };
    if r.from == r.to {
        errs.push(src.at(sc.span(), "a scale runs from one point to another: from and to differ"));
    }
    let range = span_range(r.min, r.max, sc.span(), src, errs);
    let input = input(&r.input, InputKind::Number, inputs, src, errs)?;
    Some(Shape::Scale {
        from: pt(r.from),
        to: pt(r.to),
        span: Span {
            input,
            range: range.ok()?,
        },
        size: text_size(p),
        numbers,
    })
}

/// `text = { en = "…", es = "…" }` at `at`: the one shape left when no other is given.
fn text_shape(p: &mut RawPart, span: &Range<usize>, src: &SourceFile<'_>, errs: &mut Vec<Diagnostic>) -> Option<Shape> {
    let outer = p.text.as_ref().map_or(span.clone(), Spanned::span);
    let t = text(p.text.take(), "text", true, outer.clone(), src, errs);
    let Some(at) = &p.at else {
        errs.push(src.at(outer, "text needs at = [x, y]"));
        return None;
    };
    Some(Shape::Text {
        at: pt(*at.get_ref()),
        text: t,
        size: text_size(p),
        align: align(p, src, errs),
    })
}

/// Text size of a part that writes (default 12, in symbol units).
fn text_size(p: &RawPart) -> f32 {
    p.size.as_ref().map_or(12.0, |s| *s.get_ref())
}

fn align(p: &RawPart, src: &SourceFile<'_>, errs: &mut Vec<Diagnostic>) -> Align {
    match p.align.as_ref().map(|a| (a.get_ref().as_str(), a.span())) {
        None | Some(("center", _)) => Align::Center,
        Some(("left", _)) => Align::Left,
        Some(("right", _)) => Align::Right,
        Some((other, s)) => {
            errs.push(src.at(s, format!("align '{other}': left, center or right")));
            Align::Center
        }
    }
}

/// A binding's own range: min and max together, or neither (then the bound tag's range applies).
fn span_range(
    min: Option<f64>,
    max: Option<f64>,
    at: Range<usize>,
    src: &SourceFile<'_>,
    errs: &mut Vec<Diagnostic>,
) -> Result<Option<(f64, f64)>, ()> {
    match (min, max) {
        (Some(lo), Some(hi)) if hi != lo => Ok(Some((lo, hi))),
        (None, None) => Ok(None),
        _ => {
            errs.push(src.at(
                at,
                "give min and max (different), or neither to use the bound tag's range from site.toml",
            ));
            Err(())
        }
    }
}

/// Every turn goes the same way (collinear points allowed).
fn convex(pts: &[Pt]) -> bool {
    let n = pts.len();
    let mut sign = 0.0f32;
    for i in 0..n {
        let (a, b, c) = (pts[i], pts[(i + 1) % n], pts[(i + 2) % n]);
        let cross = (b.x - a.x) * (c.y - b.y) - (b.y - a.y) * (c.x - b.x);
        if cross.abs() > 1e-4 {
            if sign != 0.0 && cross.signum() != sign {
                return false;
            }
            sign = cross.signum();
        }
    }
    true
}

fn bindings(
    p: &RawPart,
    inputs: &[SymbolInput],
    shape: &Shape,
    src: &SourceFile<'_>,
    errs: &mut Vec<Diagnostic>,
) -> PartBindings {
    let mut b = PartBindings::default();
    let range = |min, max, at, errs: &mut Vec<Diagnostic>| span_range(min, max, at, src, errs);
    if let Some(f) = &p.fill_level {
        let r = f.get_ref();
        let side = match r.from.as_ref().map(|s| (s.get_ref().as_str(), s.span())) {
            None | Some(("bottom", _)) => Some(Side::Bottom),
            Some(("top", _)) => Some(Side::Top),
            Some(("left", _)) => Some(Side::Left),
            Some(("right", _)) => Some(Side::Right),
            Some((other, s)) => {
                errs.push(src.at(s, format!("from '{other}': bottom, top, left or right")));
                None
            }
        };
        let rg = range(r.min, r.max, f.span(), errs);
        if !matches!(shape, Shape::Rect { .. } | Shape::Polygon(_) | Shape::Circle { .. }) {
            errs.push(src.at(
                f.span(),
                "fill_level needs a shape with an inside: rect, polygon, path with Z or circle",
            ));
        }
        if let (Some(input), Some(side), Ok(range)) = (input(&r.input, InputKind::Number, inputs, src, errs), side, rg)
        {
            b.fill_level = Some((Span { input, range }, side));
        }
    }
    if let Some(rot) = &p.rotate {
        let r = rot.get_ref();
        let about = pt(r.about);
        let rotation = match (r.deg_per_s, r.from_deg, r.to_deg) {
            (Some(speed), None, None) if r.min.is_none() && r.max.is_none() => {
                input(&r.input, InputKind::Number, inputs, src, errs).map(|input| Rotation::Speed {
                    input,
                    deg_per_s: speed,
                })
            }
            (None, Some(from_deg), Some(to_deg)) => {
                let rg = range(r.min, r.max, rot.span(), errs);
                match (input(&r.input, InputKind::Number, inputs, src, errs), rg) {
                    (Some(input), Ok(range)) => Some(Rotation::Angle {
                        span: Span { input, range },
                        from_deg,
                        to_deg,
                    }),
                    _ => None,
                }
            }
            _ => {
                errs.push(src.at(
                    rot.span(),
                    "rotate turns either with speed (deg_per_s) or to an angle (from_deg, to_deg; min, max optional)",
                ));
                None
            }
        };
        b.rotate = rotation.map(|r| (r, about));
    }
    if let Some(m) = &p.motion {
        b.motion = input(&m.get_ref().input, InputKind::Number, inputs, src, errs).map(|i| (i, m.get_ref().rate));
    }
    if let Some(t) = &p.translate {
        let r = t.get_ref();
        let rg = match &r.repeat {
            Some(rep) if *rep.get_ref() > 0.0 && r.max.is_none() => Ok(r.min.map(|lo| (lo, lo + rep.get_ref()))),
            Some(rep) => {
                errs.push(src.at(
                    rep.span(),
                    "repeat (above 0) moves back and forth every that many units; it takes no max",
                ));
                Err(())
            }
            None => range(r.min, r.max, t.span(), errs),
        };
        if let (Some(input), Ok(range)) = (input(&r.input, InputKind::Number, inputs, src, errs), rg) {
            b.translate = Some(Translate {
                span: Span { input, range },
                by: pt(r.by),
                repeat: r.repeat.as_ref().map(|x| *x.get_ref()),
            });
        }
    }
    if let Some(c) = &p.colour {
        let r = c.get_ref();
        let mut states = Vec::new();
        for (k, v) in &r.states {
            let key = match k.as_str() {
                "true" | "on" => Some(1.0),
                "false" | "off" => Some(0.0),
                n => n.parse::<f64>().ok(),
            };
            match (key, ink(v, src, errs)) {
                (Some(k), Some(i)) => states.push((k, i)),
                (None, _) => errs.push(src.at(v.span(), format!("state '{k}' is not a number, true/false or on/off"))),
                _ => {}
            }
        }
        let otherwise = match &r.otherwise {
            Some(o) => ink(o, src, errs),
            None => p
                .fill
                .as_ref()
                .and_then(|f| Ink::from_name(f.get_ref()))
                .or(Some(Ink::Equipment)),
        };
        if let (Some(input), Some(otherwise)) = (input(&r.input, InputKind::State, inputs, src, errs), otherwise) {
            b.colour = Some(ColourBy {
                input,
                states,
                otherwise,
            });
        }
    }
    if let Some(v) = &p.visible {
        b.visible = input(&v.get_ref().input, InputKind::State, inputs, src, errs).map(|i| (i, v.get_ref().is));
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loaded(ports: &str) -> Loaded {
        let text = format!(
            "id = \"s\"\nname = {{ en = \"S\", es = \"S\" }}\nsize = [100, 50]\n{ports}\n[[part]]\nrect = [0, 0, 100, 50]\nstroke = \"line\"\n"
        );
        load(&ProjectFiles::from_memory([("symbols/s.toml".to_owned(), text)]))
    }

    #[test]
    fn ports_are_named_points_on_the_symbols_box() {
        let ok = loaded("ports = { inlet = [0, 25], outlet = [100, 25] }");
        assert!(ok.problems.is_empty(), "{:?}", ok.problems);
        let s = &ok.symbols[0];
        assert_eq!(s.port("outlet"), Some(Pt::new(100.0, 25.0)));
        assert_eq!(s.port("drain"), None);
        assert_eq!(s.port_names(), "inlet, outlet");
        let problems =
            |ports: &str| -> Vec<String> { loaded(ports).problems.iter().map(ToString::to_string).collect() };
        assert_eq!(
            problems("ports = { inlet = [0, 25], outlet = [101, 25] }"),
            [
                "<memory>/symbols/s.toml:4:37: port 'outlet' at [101, 25] is off the symbol (its box is [0, 0] to [100, 50])"
            ]
        );
        assert_eq!(
            problems("ports = { Inlet = [0, 25] }"),
            ["<memory>/symbols/s.toml:4:19: port 'Inlet': use lower-case letters, digits, '_' and '-' only"]
        );
        let many: Vec<String> = (0..40).map(|i| format!("p{i:02} = [{i}, 0]")).collect();
        assert!(
            problems(&format!("ports = {{ {} }}", many.join(", ")))
                .iter()
                .any(|p| p.contains("a symbol has at most 32 ports"))
        );
    }

    #[test]
    fn every_shipped_symbol_a_line_can_join_has_its_ports() {
        let demo = crate::project::Project::demo().expect("demo is valid");
        let ports = |id: &str| {
            demo.screens
                .symbols
                .iter()
                .find(|s| &*s.id == id)
                .map(|s| s.port_names())
                .unwrap_or_default()
        };
        assert_eq!(ports("pump"), "discharge, suction");
        assert_eq!(ports("separator_3phase"), "gas, inlet, oil, water");
        assert_eq!(ports("wellhead"), "bottom, top, wing");
    }
}
