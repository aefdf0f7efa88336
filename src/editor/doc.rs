//! A screen file as an editable document: its elements addressed where the file writes them (the kind's
//! `[[array]]`, its index, inside which groups), and the changes an editor makes — move, set or remove a
//! field, insert, delete, duplicate, restack — each applied to the TOML itself.
//!
//! Untouched text stays byte-for-byte: a changed value keeps its decoration (the comment after it), a
//! moved, copied or new table is placed after its neighbours in the file, and restacking keeps every
//! other table where it was. Nothing here checks a screen's meaning (tags, symbols, the canvas): the
//! project loader does (`editor::file::check`).

use crate::screen::def::Pt;
use toml_edit::{Array, ArrayOfTables, DocumentMut, Item, Table, Value};

/// The element kinds a screen file holds, by the name of their `[[array]]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ElementKind {
    Group,
    Rect,
    Line,
    Symbol,
    Bar,
    Gauge,
    Trend,
    Tile,
    Drivers,
    Value,
    Label,
    Text,
    Nav,
    Command,
    Setpoint,
}

impl ElementKind {
    pub const ALL: [ElementKind; 15] = [
        ElementKind::Group,
        ElementKind::Rect,
        ElementKind::Line,
        ElementKind::Symbol,
        ElementKind::Bar,
        ElementKind::Gauge,
        ElementKind::Trend,
        ElementKind::Tile,
        ElementKind::Drivers,
        ElementKind::Value,
        ElementKind::Label,
        ElementKind::Text,
        ElementKind::Nav,
        ElementKind::Command,
        ElementKind::Setpoint,
    ];

    /// The array's name in the file (`[[symbol]]`, `[[group.value]]`).
    pub fn key(self) -> &'static str {
        match self {
            ElementKind::Group => "group",
            ElementKind::Rect => "rect",
            ElementKind::Line => "line",
            ElementKind::Symbol => "symbol",
            ElementKind::Bar => "bar",
            ElementKind::Gauge => "gauge",
            ElementKind::Trend => "trend",
            ElementKind::Tile => "tile",
            ElementKind::Drivers => "drivers",
            ElementKind::Value => "value",
            ElementKind::Label => "label",
            ElementKind::Text => "text",
            ElementKind::Nav => "nav",
            ElementKind::Command => "command",
            ElementKind::Setpoint => "setpoint",
        }
    }

    pub fn from_key(key: &str) -> Option<ElementKind> {
        Self::ALL.into_iter().find(|k| k.key() == key)
    }
}

/// Where an element is written: inside the groups `groups` (indexes into each level's `[[group]]`), the
/// `index`-th table of its kind's array. Indexes shift when an element before it is deleted or moved in
/// the stack: list the elements again after each change.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ElementRef {
    pub groups: Vec<usize>,
    pub kind: ElementKind,
    pub index: usize,
}

impl ElementRef {
    pub fn top(kind: ElementKind, index: usize) -> Self {
        Self::inside(&[], kind, index)
    }

    /// The `index`-th element of `kind` inside the groups `groups`.
    pub fn inside(groups: &[usize], kind: ElementKind, index: usize) -> Self {
        Self {
            groups: groups.to_vec(),
            kind,
            index,
        }
    }

    /// The element a loaded screen's element came from (`Screen::written`).
    pub fn of(w: &crate::screen::def::Written) -> Option<Self> {
        Some(Self {
            groups: w.groups.clone(),
            kind: ElementKind::from_key(w.key)?,
            index: w.index,
        })
    }

    /// The group this element is, as the container of its own elements.
    fn as_container(&self) -> Option<Vec<usize>> {
        (self.kind == ElementKind::Group).then(|| {
            let mut g = self.groups.clone();
            g.push(self.index);
            g
        })
    }
}

impl std::fmt::Display for ElementRef {
    /// `group[0].value[2]`: the way a person finds it in the file.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for g in &self.groups {
            write!(f, "group[{g}].")?;
        }
        write!(f, "{}[{}]", self.kind.key(), self.index)
    }
}

/// Which way an element goes in its kind's stack (file order is drawing order within a layer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Restack {
    Forward,
    Backward,
    ToFront,
    ToBack,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EditError {
    #[error("{0}")]
    Parse(String),
    #[error("there is no {0} in the file")]
    NoElement(String),
    #[error("'{0}' is not a list of [[tables]] in this file (written inline?): edit it in a text editor")]
    NotTables(String),
    #[error("{what} of {at} is not [x, y]")]
    NotAPoint { what: &'static str, at: String },
}

/// A screen file being edited.
#[derive(Debug, Clone)]
pub struct ScreenDoc {
    doc: DocumentMut,
}

impl ScreenDoc {
    pub fn parse(text: &str) -> Result<Self, EditError> {
        let doc: DocumentMut = text
            .parse()
            .map_err(|e: toml_edit::TomlError| EditError::Parse(e.to_string()))?;
        Ok(Self { doc })
    }

    /// The file as it would be saved.
    pub fn text(&self) -> String {
        self.doc.to_string()
    }

    /// The screen's own keys (`title`, `canvas`, …) and its top-level element arrays.
    pub fn root(&self) -> &Table {
        self.doc.as_table()
    }

    /// A screen-level key set (screen properties: title, level, parent, key, canvas).
    pub fn set_root(&mut self, key: &str, v: Value) {
        set_keeping_decor(self.doc.as_table_mut(), key, v);
    }

    /// Takes a screen-level key out (back to its default).
    pub fn remove_root(&mut self, key: &str) {
        self.doc.as_table_mut().remove(key);
    }

    /// Every element, groups' elements after their group, in kind order then file order.
    pub fn elements(&self) -> Vec<ElementRef> {
        let mut out = Vec::new();
        list(self.doc.as_table(), &[], &mut out);
        out
    }

    fn container(&self, groups: &[usize]) -> Option<&Table> {
        let mut t = self.doc.as_table();
        for &g in groups {
            t = t.get("group")?.as_array_of_tables()?.get(g)?;
        }
        Some(t)
    }

    fn container_mut(&mut self, groups: &[usize]) -> Option<&mut Table> {
        let mut t = self.doc.as_table_mut();
        for &g in groups {
            t = t.get_mut("group")?.as_array_of_tables_mut()?.get_mut(g)?;
        }
        Some(t)
    }

    fn array_mut(&mut self, groups: &[usize], kind: ElementKind) -> Result<&mut ArrayOfTables, EditError> {
        let c = self
            .container_mut(groups)
            .ok_or_else(|| EditError::NoElement(format!("group {groups:?}")))?;
        match c.get_mut(kind.key()) {
            Some(item) => item
                .as_array_of_tables_mut()
                .ok_or_else(|| EditError::NotTables(kind.key().to_owned())),
            None => Err(EditError::NoElement(kind.key().to_owned())),
        }
    }

    pub fn table(&self, r: &ElementRef) -> Option<&Table> {
        self.container(&r.groups)?
            .get(r.kind.key())?
            .as_array_of_tables()?
            .get(r.index)
    }

    fn table_mut(&mut self, r: &ElementRef) -> Result<&mut Table, EditError> {
        let at = r.to_string();
        self.array_mut(&r.groups, r.kind)?
            .get_mut(r.index)
            .ok_or(EditError::NoElement(at))
    }

    pub fn get(&self, r: &ElementRef, key: &str) -> Option<&Item> {
        self.table(r)?.get(key)
    }

    /// Sets `key` of the element to `v`, keeping the old value's decoration (its comment) and place.
    pub fn set(&mut self, r: &ElementRef, key: &str, v: Value) -> Result<(), EditError> {
        set_keeping_decor(self.table_mut(r)?, key, v);
        Ok(())
    }

    /// Takes `key` out of the element (a field back to its default).
    pub fn remove(&mut self, r: &ElementRef, key: &str) -> Result<(), EditError> {
        self.table_mut(r)?.remove(key);
        Ok(())
    }

    /// The element's `at` (canvas units; inside a group, from its corner).
    pub fn at(&self, r: &ElementRef) -> Option<Pt> {
        point_of(self.get(r, "at")?.as_value()?)
    }

    /// Where the groups around `r` put its canvas origin: the sum of their `at`s (none: [0, 0]). An
    /// element inside a group writes its place from there.
    pub fn group_offset(&self, r: &ElementRef) -> Pt {
        (1..=r.groups.len())
            .filter_map(|n| {
                self.at(&ElementRef::inside(
                    &r.groups[..n - 1],
                    ElementKind::Group,
                    r.groups[n - 1],
                ))
            })
            .fold(Pt::default(), |a, b| a + b)
    }

    /// Moves the elements by `d`: their `at`, a line's own points (its ends on ports follow the symbols).
    /// An element inside a group that is moved as well moves with its group, once. All or nothing.
    pub fn translate(&mut self, refs: &[ElementRef], d: Pt) -> Result<(), EditError> {
        let mut next = self.clone();
        next.translate_each(&outermost(refs), d)?;
        *self = next;
        Ok(())
    }

    fn translate_each(&mut self, refs: &[ElementRef], d: Pt) -> Result<(), EditError> {
        for r in refs {
            let name = r.to_string();
            let t = self.table_mut(r)?;
            if r.kind == ElementKind::Line {
                let Some(points) = t.get("points") else {
                    continue; // both ends on ports: it moves with its symbols
                };
                let Some(arr) = points.as_array() else {
                    return Err(EditError::NotAPoint {
                        what: "points",
                        at: name,
                    });
                };
                let mut moved = Vec::with_capacity(arr.len());
                for v in arr.iter() {
                    let p = point_of(v).ok_or_else(|| EditError::NotAPoint {
                        what: "a point",
                        at: name.clone(),
                    })?;
                    moved.push(p + d);
                }
                set_keeping_decor(t, "points", points_value(&moved));
            } else {
                let p = t
                    .get("at")
                    .and_then(Item::as_value)
                    .and_then(point_of)
                    .ok_or(EditError::NotAPoint { what: "at", at: name })?;
                set_keeping_decor(t, "at", point_value(p + d));
            }
        }
        Ok(())
    }

    /// Appends `table` as a new element of `kind` (inside the group `groups`): after the kind's last one
    /// in the file, or at the end when it is the first of its kind there.
    pub fn insert(&mut self, groups: &[usize], kind: ElementKind, mut table: Table) -> Result<ElementRef, EditError> {
        clear_positions(&mut table);
        let c = self
            .container_mut(groups)
            .ok_or_else(|| EditError::NoElement(format!("group {groups:?}")))?;
        if !c.contains_key(kind.key()) {
            c.insert(kind.key(), Item::ArrayOfTables(ArrayOfTables::new()));
        }
        let arr = c
            .get_mut(kind.key())
            .and_then(Item::as_array_of_tables_mut)
            .ok_or_else(|| EditError::NotTables(kind.key().to_owned()))?;
        arr.push(table);
        Ok(ElementRef {
            groups: groups.to_vec(),
            kind,
            index: arr.len() - 1,
        })
    }

    /// Deletes the elements (a group with everything in it). All or nothing.
    pub fn delete(&mut self, refs: &[ElementRef]) -> Result<(), EditError> {
        let mut refs = outermost(refs);
        // Deepest and last first, so no index is shifted before it is used.
        refs.sort();
        refs.reverse();
        let mut next = self.clone();
        for r in &refs {
            let name = r.to_string();
            let arr = next.array_mut(&r.groups, r.kind)?;
            if r.index >= arr.len() {
                return Err(EditError::NoElement(name));
            }
            arr.remove(r.index);
            if arr.is_empty()
                && let Some(c) = next.container_mut(&r.groups)
            {
                c.remove(r.kind.key());
            }
        }
        *self = next;
        Ok(())
    }

    /// Copies of the elements (an element inside a copied group comes with its group), moved by
    /// `offset`, each after the last of its kind. Every copied symbol gets an id of its own (`pump` →
    /// `pump_2`), and a line copied with the symbols it joins is joined to the copies. The copies'
    /// references, in the order given. All or nothing.
    pub fn duplicate(&mut self, refs: &[ElementRef], offset: Pt) -> Result<Vec<ElementRef>, EditError> {
        let refs = outermost(refs);
        let mut used: Vec<String> = self.symbol_ids();
        let mut renamed: Vec<(String, String)> = Vec::new();
        let mut copies = Vec::with_capacity(refs.len());
        for r in &refs {
            let mut t = self
                .table(r)
                .cloned()
                .ok_or_else(|| EditError::NoElement(r.to_string()))?;
            rename_symbols(&mut t, r.kind, &mut used, &mut renamed);
            copies.push((r.groups.clone(), r.kind, t));
        }
        // Lines copied with their symbols end on the copies.
        for (_, kind, t) in &mut copies {
            relink_lines(t, *kind, &renamed);
        }
        let mut next = self.clone();
        let mut out = Vec::with_capacity(copies.len());
        for (groups, kind, t) in copies {
            let new = next.insert(&groups, kind, t)?;
            next.translate_each(std::slice::from_ref(&new), offset)?;
            out.push(new);
        }
        *self = next;
        Ok(out)
    }

    /// Every placed symbol's id, in groups too.
    fn symbol_ids(&self) -> Vec<String> {
        self.elements()
            .into_iter()
            .filter(|r| r.kind == ElementKind::Symbol)
            .filter_map(|r| self.get(&r, "id").and_then(Item::as_str).map(str::to_owned))
            .collect()
    }

    /// Moves the element in its kind's stack (file order is drawing order within a layer); where it is now.
    pub fn restack(&mut self, r: &ElementRef, how: Restack) -> Result<ElementRef, EditError> {
        let name = r.to_string();
        let arr = self.array_mut(&r.groups, r.kind)?;
        let n = arr.len();
        if r.index >= n {
            return Err(EditError::NoElement(name));
        }
        let to = match how {
            Restack::Forward => (r.index + 1).min(n - 1),
            Restack::Backward => r.index.saturating_sub(1),
            Restack::ToFront => n - 1,
            Restack::ToBack => 0,
        };
        // One step at a time: each swap trades two neighbours' places in the file, so every other table
        // stays where it was.
        let mut i = r.index;
        while i != to {
            let j = if to > i { i + 1 } else { i - 1 };
            swap_tables(arr, i, j);
            i = j;
        }
        Ok(ElementRef {
            groups: r.groups.clone(),
            kind: r.kind,
            index: to,
        })
    }
}

/// The elements without those inside a group that is among them (they go with their group), once each.
fn outermost(refs: &[ElementRef]) -> Vec<ElementRef> {
    let mut out: Vec<ElementRef> = Vec::with_capacity(refs.len());
    for r in refs {
        let inside_selected_group = refs
            .iter()
            .any(|g| g.as_container().is_some_and(|c| r.groups.starts_with(&c)));
        if !inside_selected_group && !out.contains(r) {
            out.push(r.clone());
        }
    }
    out
}

/// `base_2`, `base_3`, …: the first id not in `used` (which then holds it).
fn fresh_id(base: &str, used: &mut Vec<String>) -> String {
    let stem = match base.rsplit_once('_') {
        Some((s, n)) if n.parse::<u32>().is_ok() => s,
        _ => base,
    };
    let fresh = (2..)
        .map(|n| format!("{stem}_{n}"))
        .find(|c| !used.contains(c))
        .unwrap_or_else(|| format!("{stem}_copy"));
    used.push(fresh.clone());
    fresh
}

/// `f` on every element table a group table holds, with its kind (one level: `f` recurses into groups).
fn each_in_group(t: &mut Table, f: &mut dyn FnMut(&mut Table, ElementKind)) {
    for k in ElementKind::ALL {
        if let Some(arr) = t.get_mut(k.key()).and_then(Item::as_array_of_tables_mut) {
            for sub in arr.iter_mut() {
                f(sub, k);
            }
        }
    }
}

/// Gives a copied symbol (or every symbol in a copied group) a fresh id; `renamed` collects old → new.
fn rename_symbols(t: &mut Table, kind: ElementKind, used: &mut Vec<String>, renamed: &mut Vec<(String, String)>) {
    match kind {
        ElementKind::Symbol => {
            if let Some(id) = t.get("id").and_then(Item::as_str).map(str::to_owned) {
                let fresh = fresh_id(&id, used);
                set_keeping_decor(t, "id", Value::from(fresh.clone()));
                renamed.push((id, fresh));
            }
        }
        ElementKind::Group => each_in_group(t, &mut |sub, k| rename_symbols(sub, k, used, renamed)),
        _ => {}
    }
}

/// Points a copied line's ends (or every line's in a copied group) at the copies of the symbols they
/// named, where those were copied too.
fn relink_lines(t: &mut Table, kind: ElementKind, renamed: &[(String, String)]) {
    match kind {
        ElementKind::Line => {
            for end in ["from", "to"] {
                let Some(text) = t.get(end).and_then(Item::as_str).map(str::to_owned) else {
                    continue;
                };
                if let Some((sym, port)) = text.split_once('.')
                    && let Some((_, new)) = renamed.iter().find(|(old, _)| old == sym)
                {
                    set_keeping_decor(t, end, Value::from(format!("{new}.{port}")));
                }
            }
        }
        ElementKind::Group => each_in_group(t, &mut |sub, k| relink_lines(sub, k, renamed)),
        _ => {}
    }
}

fn list(t: &Table, groups: &[usize], out: &mut Vec<ElementRef>) {
    for kind in ElementKind::ALL {
        let Some(arr) = t.get(kind.key()).and_then(Item::as_array_of_tables) else {
            continue;
        };
        for (i, sub) in arr.iter().enumerate() {
            out.push(ElementRef {
                groups: groups.to_vec(),
                kind,
                index: i,
            });
            if kind == ElementKind::Group {
                let mut inner = groups.to_vec();
                inner.push(i);
                list(sub, &inner, out);
            }
        }
    }
}

/// Swaps two tables of an array and their places in the file: each takes the other's position, and their
/// own sub-tables (`[value.states]`) follow them.
fn swap_tables(arr: &mut ArrayOfTables, i: usize, j: usize) {
    let (pi, pj) = (
        arr.get(i).and_then(Table::position),
        arr.get(j).and_then(Table::position),
    );
    let (Some(a), Some(b)) = (arr.get(i).cloned(), arr.get(j).cloned()) else {
        return;
    };
    let mut a = a;
    let mut b = b;
    clear_positions(&mut a);
    clear_positions(&mut b);
    a.set_position(pj);
    b.set_position(pi);
    if let Some(t) = arr.get_mut(i) {
        *t = b;
    }
    if let Some(t) = arr.get_mut(j) {
        *t = a;
    }
}

/// Forgets where a table and its sub-tables were in the file: each is written after the table before
/// it (a copy, a new element, one moved in the stack).
fn clear_positions(t: &mut Table) {
    t.set_position(None);
    for (_, item) in t.iter_mut() {
        match item {
            Item::Table(sub) => clear_positions(sub),
            Item::ArrayOfTables(arr) => {
                for sub in arr.iter_mut() {
                    clear_positions(sub);
                }
            }
            _ => {}
        }
    }
}

fn set_keeping_decor(t: &mut Table, key: &str, mut v: Value) {
    match t.get_mut(key) {
        Some(item) => {
            if let Some(old) = item.as_value() {
                *v.decor_mut() = old.decor().clone();
            }
            *item = Item::Value(v);
        }
        None => {
            t.insert(key, Item::Value(v));
        }
    }
}

fn point_of(v: &Value) -> Option<Pt> {
    let a = v.as_array()?;
    if a.len() != 2 {
        return None;
    }
    let n = |v: &Value| v.as_float().or_else(|| v.as_integer().map(|i| i as f64));
    Some(Pt::new(n(a.get(0)?)? as f32, n(a.get(1)?)? as f32))
}

/// A number as a person writes it: whole numbers without a decimal point, others to two decimals.
pub fn number(x: f32) -> Value {
    let r = (f64::from(x) * 100.0).round() / 100.0;
    if r.fract() == 0.0 && r.abs() < 1e12 {
        Value::from(r as i64)
    } else {
        Value::from(r)
    }
}

/// `[x, y]`.
pub fn point_value(p: Pt) -> Value {
    let mut a = Array::new();
    a.push(number(p.x));
    a.push(number(p.y));
    a.fmt();
    Value::Array(a)
}

/// `[[x, y], …]`.
pub fn points_value(ps: &[Pt]) -> Value {
    let mut a = Array::new();
    for p in ps {
        a.push(point_value(*p));
    }
    a.fmt();
    Value::Array(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"# A test screen
id = "t"   # its id
title = { en = "T", es = "T" }
canvas = [800, 600]

[[symbol]]
id = "pump"
use = "pump"
at = [100, 100]    # beside the tank
bind = { running = "ct01/pump_rate > 0.05" }

[[label]]
text = { en = "A", es = "A" }
at = [10, 10]

# the meter
[[symbol]]
id = "meter"
use = "flow_meter"
at = [300, 300]
bind = { rate = "ct01/pump_rate" }

[[line]]
from = "pump.discharge"
points = [[200, 98], [200, 300]]
to = "meter.inlet"

[[group]]
at = [400, 400]
size = [300, 150]

[[group.value]]
tag = "ct01/job_operation"
at = [10, 24]
[group.value.states]
"RIH" = { en = "RIH", es = "BAJANDO" }

[[group.value]]
tag = "ct01/depth"
at = [10, 70]
"#;

    fn doc() -> ScreenDoc {
        ScreenDoc::parse(FILE).expect("parses")
    }

    /// The lines of `after` that differ from `before` (same line count), as (before, after) pairs.
    fn changed(before: &str, after: &str) -> Vec<(String, String)> {
        before
            .lines()
            .zip(after.lines())
            .filter(|(a, b)| a != b)
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
            .collect()
    }

    #[test]
    fn untouched_files_come_back_byte_for_byte_and_elements_are_listed_where_written() {
        let d = doc();
        assert_eq!(d.text(), FILE);
        let names: Vec<String> = d.elements().iter().map(ToString::to_string).collect();
        assert_eq!(
            names,
            [
                "group[0]",
                "group[0].value[0]",
                "group[0].value[1]",
                "line[0]",
                "symbol[0]",
                "symbol[1]",
                "label[0]"
            ]
        );
        assert_eq!(
            d.at(&ElementRef::top(ElementKind::Symbol, 1)),
            Some(Pt::new(300.0, 300.0))
        );
        let inner = ElementRef::inside(&[0], ElementKind::Value, 1);
        assert_eq!(d.at(&inner), Some(Pt::new(10.0, 70.0)));
    }

    #[test]
    fn a_move_changes_only_the_moved_elements_position_and_keeps_its_comment() {
        let mut d = doc();
        let pump = ElementRef::top(ElementKind::Symbol, 0);
        let line = ElementRef::top(ElementKind::Line, 0);
        d.translate(&[pump, line], Pt::new(10.0, -4.5)).unwrap();
        assert_eq!(
            changed(FILE, &d.text()),
            [
                (
                    "at = [100, 100]    # beside the tank".to_owned(),
                    "at = [110, 95.5]    # beside the tank".to_owned()
                ),
                (
                    "points = [[200, 98], [200, 300]]".to_owned(),
                    "points = [[210, 93.5], [210, 295.5]]".to_owned()
                ),
            ]
        );
        // An element in a group moves from the group's corner; moving the group moves what is in it.
        let mut d = doc();
        d.translate(&[ElementRef::top(ElementKind::Group, 0)], Pt::new(-100.0, 0.0))
            .unwrap();
        assert_eq!(
            changed(FILE, &d.text()),
            [("at = [400, 400]".to_owned(), "at = [300, 400]".to_owned())]
        );
        let missing = ElementRef::top(ElementKind::Gauge, 0);
        assert_eq!(
            d.translate(&[missing], Pt::new(1.0, 1.0)),
            Err(EditError::NoElement("gauge".into()))
        );
    }

    #[test]
    fn fields_are_set_and_removed_in_place() {
        let mut d = doc();
        let meter = ElementRef::top(ElementKind::Symbol, 1);
        d.set(&meter, "scale", number(1.5)).unwrap();
        d.set(&meter, "use", Value::from("valve")).unwrap();
        let text = d.text();
        assert!(text.contains("use = \"valve\"\nat = [300, 300]\nbind = { rate = \"ct01/pump_rate\" }\nscale = 1.5\n"));
        d.remove(&meter, "scale").unwrap();
        assert_eq!(d.text(), FILE.replace("use = \"flow_meter\"", "use = \"valve\""));
        d.set_root("canvas", point_value(Pt::new(1600.0, 900.0)));
        assert!(d.text().contains("canvas = [1600, 900]\n"));
    }

    #[test]
    fn new_elements_go_after_their_kind_and_deleting_them_restores_the_file() {
        let mut d = doc();
        let mut t = Table::new();
        t.insert(
            "text",
            toml_edit::value(toml_edit::InlineTable::from_iter([("en", "B"), ("es", "B")])),
        );
        t.insert("at", toml_edit::value(point_value(Pt::new(20.0, 20.0))));
        let new = d.insert(&[], ElementKind::Label, t).unwrap();
        assert_eq!(new, ElementRef::top(ElementKind::Label, 1));
        let text = d.text();
        let label_b = text.find("en = \"B\"").unwrap();
        assert!(
            text.find("en = \"A\"").unwrap() < label_b && label_b < text.find("# the meter").unwrap(),
            "{text}"
        );
        // The first of its kind goes at the end of the file; inside a group, in that group.
        let mut gauge = Table::new();
        gauge.insert("tag", toml_edit::value("ct01/weight"));
        let g = d.insert(&[0], ElementKind::Gauge, gauge).unwrap();
        assert!(
            d.text().ends_with("[[group.gauge]]\ntag = \"ct01/weight\"\n"),
            "{}",
            d.text()
        );
        d.delete(&[g, new]).unwrap();
        assert_eq!(d.text(), FILE);
    }

    #[test]
    fn a_group_is_deleted_with_what_it_holds() {
        let mut d = doc();
        let group = ElementRef::top(ElementKind::Group, 0);
        let inner = ElementRef::inside(&[0], ElementKind::Value, 1);
        d.delete(&[inner, group]).unwrap();
        let text = d.text();
        assert!(!text.contains("group"), "{text}");
        assert!(text.ends_with("to = \"meter.inlet\"\n"), "{text}");
    }

    #[test]
    fn copies_follow_their_originals_with_fresh_ids_and_their_own_sub_tables() {
        let mut d = doc();
        let pump = ElementRef::top(ElementKind::Symbol, 0);
        let op = ElementRef::inside(&[0], ElementKind::Value, 0);
        let copies = d.duplicate(&[pump, op], Pt::new(20.0, 20.0)).unwrap();
        assert_eq!(copies[0], ElementRef::top(ElementKind::Symbol, 2));
        assert_eq!(d.at(&copies[0]), Some(Pt::new(120.0, 120.0)));
        assert_eq!(d.get(&copies[0], "id").and_then(Item::as_str), Some("pump_2"));
        let text = d.text();
        // The copied value keeps its states table, under itself: the file still reads back the same.
        let again = ScreenDoc::parse(&text).unwrap();
        let copy = &copies[1];
        assert_eq!(again.at(copy), Some(Pt::new(30.0, 44.0)));
        assert!(
            again
                .table(copy)
                .and_then(|t| t.get("states"))
                .and_then(Item::as_table)
                .is_some_and(|s| s.contains_key("RIH")),
            "{text}"
        );
        assert!(
            text.ends_with("[group.value.states]\n\"RIH\" = { en = \"RIH\", es = \"BAJANDO\" }\n"),
            "{text}"
        );
    }

    #[test]
    fn copying_symbols_with_their_line_gives_each_its_own_id_and_joins_the_copies() {
        let mut d = doc();
        let pump = ElementRef::top(ElementKind::Symbol, 0);
        let meter = ElementRef::top(ElementKind::Symbol, 1);
        let line = ElementRef::top(ElementKind::Line, 0);
        let copies = d.duplicate(&[pump.clone(), meter, line], Pt::new(0.0, 200.0)).unwrap();
        let id = |d: &ScreenDoc, r: &ElementRef| d.get(r, "id").and_then(Item::as_str).map(str::to_owned);
        assert_eq!(
            (id(&d, &copies[0]), id(&d, &copies[1])),
            (Some("pump_2".into()), Some("meter_2".into()))
        );
        let end = |k: &str| d.get(&copies[2], k).and_then(Item::as_str).map(str::to_owned);
        assert_eq!(
            (end("from"), end("to")),
            (Some("pump_2.discharge".into()), Some("meter_2.inlet".into()))
        );
        // Again, with an earlier copy among them: no id is handed out twice.
        let again = d.duplicate(&[pump, copies[0].clone()], Pt::new(5.0, 5.0)).unwrap();
        assert_eq!(
            (id(&d, &again[0]), id(&d, &again[1])),
            (Some("pump_3".into()), Some("pump_4".into()))
        );
    }

    #[test]
    fn a_group_and_what_is_in_it_move_and_copy_once_and_a_failed_change_changes_nothing() {
        let mut d = doc();
        let group = ElementRef::top(ElementKind::Group, 0);
        let inner = ElementRef::inside(&[0], ElementKind::Value, 1);
        d.translate(&[inner.clone(), group.clone()], Pt::new(10.0, 0.0))
            .unwrap();
        assert_eq!(d.at(&group), Some(Pt::new(410.0, 400.0)));
        assert_eq!(
            d.at(&inner),
            Some(Pt::new(10.0, 70.0)),
            "moved with its group, not again"
        );
        let copies = d.duplicate(&[group, inner], Pt::new(0.0, 0.0)).unwrap();
        assert_eq!(copies, [ElementRef::top(ElementKind::Group, 1)]);
        // One element that is not there: none of the others moves either.
        let before = d.text();
        let pump = ElementRef::top(ElementKind::Symbol, 0);
        let missing = ElementRef::top(ElementKind::Gauge, 3);
        assert!(
            d.translate(&[pump.clone(), missing.clone()], Pt::new(1.0, 1.0))
                .is_err()
        );
        assert!(d.delete(&[pump, missing]).is_err());
        assert_eq!(d.text(), before);
    }

    #[test]
    fn every_element_of_every_shipped_screen_leads_back_to_its_table() {
        use crate::screen::def::Element;
        let project = crate::project::Project::demo().expect("demo is valid");
        let files = crate::project::ProjectFiles::embedded_demo();
        for screen in &project.screens.screens {
            let rel = screen
                .defined_at
                .split(':')
                .next()
                .unwrap()
                .trim_start_matches("<demo>/");
            let d = ScreenDoc::parse(files.get(rel).expect("its file")).unwrap();
            assert_eq!(screen.written.len(), screen.elements.len());
            assert_eq!(
                d.elements().len(),
                screen.elements.len(),
                "{}: one element per table",
                screen.id
            );
            for (e, w) in screen.elements.iter().zip(&screen.written) {
                let r = ElementRef::of(w).expect("a known kind");
                assert!(d.table(&r).is_some(), "{}: {r}", screen.id);
                let kind = match e {
                    Element::Frame(_) => ElementKind::Group,
                    Element::Rect(_) => ElementKind::Rect,
                    Element::Line(_) => ElementKind::Line,
                    Element::Symbol(_) => ElementKind::Symbol,
                    Element::Bar(_) => ElementKind::Bar,
                    Element::Gauge(_) => ElementKind::Gauge,
                    Element::Trend(_) => ElementKind::Trend,
                    Element::Tile(_) => ElementKind::Tile,
                    Element::Value(_) => ElementKind::Value,
                    Element::Label(_) => ElementKind::Label,
                    Element::Text(_) => ElementKind::Text,
                    Element::Drivers(_) => ElementKind::Drivers,
                    Element::Nav(_) => ElementKind::Nav,
                    Element::Command(_) => ElementKind::Command,
                    Element::Setpoint(_) => ElementKind::Setpoint,
                };
                assert_eq!(r.kind, kind, "{}: {r}", screen.id);
                // Where the file puts it is where it is drawn (a group's elements from its corner).
                if let (Some(at), Element::Value(v)) = (d.at(&r), e) {
                    let corner = r
                        .groups
                        .first()
                        .and_then(|g| d.at(&ElementRef::top(ElementKind::Group, *g)));
                    assert_eq!(v.rect.at, at + corner.unwrap_or_default(), "{}: {r}", screen.id);
                }
            }
        }
    }

    #[test]
    fn restacking_swaps_neighbours_and_leaves_the_rest_where_it_was() {
        let mut d = doc();
        let first = ElementRef::inside(&[0], ElementKind::Value, 0);
        let now = d.restack(&first, Restack::ToFront).unwrap();
        assert_eq!(now.index, 1);
        let text = d.text();
        assert!(
            text.ends_with(
                "[[group.value]]\ntag = \"ct01/depth\"\nat = [10, 70]\n\n[[group.value]]\ntag = \"ct01/job_operation\"\n\
                 at = [10, 24]\n[group.value.states]\n\"RIH\" = { en = \"RIH\", es = \"BAJANDO\" }\n"
            ),
            "{text}"
        );
        // The symbols swap round the label between them: the label stays where it is.
        let mut d = doc();
        d.restack(&ElementRef::top(ElementKind::Symbol, 0), Restack::Forward)
            .unwrap();
        let text = d.text();
        let (meter, label, pump) = (
            text.find("id = \"meter\"").unwrap(),
            text.find("[[label]]").unwrap(),
            text.find("id = \"pump\"").unwrap(),
        );
        assert!(meter < label && label < pump, "{text}");
        d.restack(&ElementRef::top(ElementKind::Symbol, 1), Restack::ToBack)
            .unwrap();
        assert_eq!(d.text(), FILE);
    }
}
