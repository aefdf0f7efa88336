//! Validated screen and symbol definitions: what `project::screens` builds from `screens/*.toml` and
//! `symbols/*.toml`, and what the console's screen painter draws.
//!
//! Immutable once built (a reload builds a new `ScreenSet`). Geometry is in canvas units (a screen's own
//! coordinate system, scaled to whatever monitor shows it); colours are design-token names (`Ink`), never
//! RGB, so every screen keeps the ISA-101 palette. No egui here: this room is data.

use crate::lang::Text;
use crate::tag::TagId;
use std::collections::HashMap;
use std::sync::Arc;

/// A point or a vector in canvas (or symbol) units.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Pt {
    pub x: f32,
    pub y: f32,
}

impl Pt {
    pub const fn new(x: f32, y: f32) -> Self {
        Self { x, y }
    }

    pub fn scale(self, k: f32) -> Pt {
        Pt::new(self.x * k, self.y * k)
    }

    /// The vector's length.
    pub fn length(self) -> f32 {
        self.x.hypot(self.y)
    }

    /// Rotated by `deg` degrees (clockwise on screen, where y grows downwards) around `about`.
    pub fn rotated(self, about: Pt, deg: f32) -> Pt {
        let (s, c) = deg.to_radians().sin_cos();
        let d = self - about;
        Pt::new(about.x + d.x * c - d.y * s, about.y + d.x * s + d.y * c)
    }
}

impl std::ops::Add for Pt {
    type Output = Pt;
    fn add(self, o: Pt) -> Pt {
        Pt::new(self.x + o.x, self.y + o.y)
    }
}

impl std::ops::Sub for Pt {
    type Output = Pt;
    fn sub(self, o: Pt) -> Pt {
        Pt::new(self.x - o.x, self.y - o.y)
    }
}

/// An axis-aligned box: top-left corner and size.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Boxed {
    pub at: Pt,
    pub size: Pt,
}

impl Boxed {
    pub fn new(at: Pt, size: Pt) -> Self {
        Self { at, size }
    }

    pub fn max(&self) -> Pt {
        self.at + self.size
    }

    /// True when `p` lies on the box or its edge (a tolerance of half a unit for rounding).
    pub fn contains(&self, p: Pt) -> bool {
        let m = self.max();
        p.x >= self.at.x - 0.5 && p.y >= self.at.y - 0.5 && p.x <= m.x + 0.5 && p.y <= m.y + 0.5
    }

    /// True when the whole box lies inside `0..canvas` (a tolerance of half a unit for rounding).
    pub fn inside(&self, canvas: Pt) -> bool {
        let m = self.max();
        self.at.x >= -0.5 && self.at.y >= -0.5 && m.x <= canvas.x + 0.5 && m.y <= canvas.y + 0.5
    }
}

/// Design-token colours a file may name. The console maps each to one theme colour; normal equipment is
/// grey, and colour is kept for abnormal states (ISA-101), so there is deliberately no "red" or "green".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ink {
    /// Outlines and process lines.
    Line,
    /// Equipment body (light grey).
    Equipment,
    /// Darker equipment parts (frames, chains, heads).
    EquipmentDark,
    /// Steel pipe and tubing.
    Pipe,
    /// Wellbore, casing and formation background.
    Ground,
    /// Process fluids, muted: liquid, oil, water, gas.
    Liquid,
    Oil,
    Water,
    Gas,
    /// Motor or pump running (dark fill) and stopped (white fill): ISA-101 state without colour.
    Running,
    Stopped,
    /// A valve or device travelling between states.
    Travelling,
    Text,
    TextDim,
    Background,
}

impl Ink {
    /// Names a file may use; `open` and `closed` read better on valves than running and stopped.
    pub const ALL: [(&'static str, Ink); 17] = [
        ("line", Ink::Line),
        ("equipment", Ink::Equipment),
        ("equipment_dark", Ink::EquipmentDark),
        ("pipe", Ink::Pipe),
        ("ground", Ink::Ground),
        ("liquid", Ink::Liquid),
        ("oil", Ink::Oil),
        ("water", Ink::Water),
        ("gas", Ink::Gas),
        ("running", Ink::Running),
        ("stopped", Ink::Stopped),
        ("travelling", Ink::Travelling),
        ("open", Ink::Running),
        ("closed", Ink::Stopped),
        ("text", Ink::Text),
        ("text_dim", Ink::TextDim),
        ("background", Ink::Background),
    ];

    pub fn from_name(name: &str) -> Option<Ink> {
        Self::ALL.iter().find(|(n, _)| *n == name).map(|(_, i)| *i)
    }

    pub fn names() -> String {
        Self::ALL.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
    }
}

/// Which kind of value a symbol input takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// A measurement (f64 or i64 tag).
    Number,
    /// A state: a bool tag, or a numeric one read as "non-zero is true" (drives report 0/1).
    State,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SymbolInput {
    pub name: Arc<str>,
    pub kind: InputKind,
}

/// The vector shape of one part, in symbol units.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    /// An open polyline (a `line` is a polyline of two points).
    Polyline(Vec<Pt>),
    /// A closed outline (`path` and `polygon`), already flattened to points.
    Polygon(Vec<Pt>),
    Rect {
        min: Pt,
        size: Pt,
        rounding: f32,
    },
    Circle {
        center: Pt,
        radius: f32,
    },
    /// Angles in degrees, clockwise from 3 o'clock (screen convention).
    Arc {
        center: Pt,
        radius: f32,
        from_deg: f32,
        to_deg: f32,
    },
    Text {
        at: Pt,
        text: Text,
        size: f32,
        align: Align,
    },
    /// The input's value as a reading: number and unit in the console's units, dimmed when not good.
    Value {
        at: Pt,
        input: usize,
        size: f32,
        align: Align,
    },
    /// A numbered scale along the line `from` → `to` over the input's range (its minimum at `from`), in
    /// the console's units with round steps; the numbers on the `numbers` side of the ticks.
    Scale {
        from: Pt,
        to: Pt,
        span: Span,
        size: f32,
        numbers: Side,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Align {
    Left,
    #[default]
    Center,
    Right,
}

/// Which edge a fill level rises from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Bottom,
    Top,
    Left,
    Right,
}

/// A value mapped linearly from `min..max` onto `0..1` (clamped). Without a range of its own the
/// symbol uses the bound tag's instrument range, so one tank drawing serves tanks of any height.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Span {
    pub input: usize,
    pub range: Option<(f64, f64)>,
}

impl Span {
    pub fn fraction(&self, v: f64, tag_range: Option<(f64, f64)>) -> f32 {
        let Some((min, max)) = self.range.or(tag_range) else {
            return 0.0;
        };
        if max == min {
            return 0.0;
        }
        (((v - min) / (max - min)).clamp(0.0, 1.0)) as f32
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Rotation {
    /// Needle-like: `min..max` maps to `from_deg..to_deg`.
    Angle { span: Span, from_deg: f32, to_deg: f32 },
    /// Turning: degrees per second per unit of the input (reel spokes turning with reel rpm: 6 °/s per rpm).
    Speed { input: usize, deg_per_s: f32 },
}

/// What a part's appearance follows. Inputs are indexes into the symbol's `inputs`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PartBindings {
    /// The fill covers this fraction of the shape's bounding box, from `side`.
    pub fill_level: Option<(Span, Side)>,
    pub rotate: Option<(Rotation, Pt)>,
    /// Dashes that travel along the outline: units per second per unit of the input (chains, pipe).
    pub motion: Option<(usize, f32)>,
    /// Moves the part by up to `by` as the input goes from min to max (CT tip), or back and forth once
    /// per `repeat` units (a level wind crossing the drum once per layer of pipe).
    pub translate: Option<Translate>,
    /// Fill colour by state: first matching value wins, else `otherwise`.
    pub colour: Option<ColourBy>,
    /// Drawn only while the state input equals `is`.
    pub visible: Option<(usize, bool)>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Translate {
    pub span: Span,
    pub by: Pt,
    pub repeat: Option<f64>,
}

impl Translate {
    /// How far along `by` the part is for value `v` (0..1).
    pub fn fraction(&self, v: f64, tag_range: Option<(f64, f64)>) -> f32 {
        match self.repeat {
            Some(r) if r > 0.0 => {
                let min = self.span.range.or(tag_range).map_or(0.0, |(lo, _)| lo);
                // A triangle wave: out on one pass, back on the next.
                let f = ((v - min) / r).rem_euclid(2.0);
                (if f > 1.0 { 2.0 - f } else { f }) as f32
            }
            _ => self.span.fraction(v, tag_range),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ColourBy {
    pub input: usize,
    pub states: Vec<(f64, Ink)>,
    pub otherwise: Ink,
}

impl ColourBy {
    pub fn pick(&self, v: f64) -> Ink {
        self.states
            .iter()
            .find(|(s, _)| (s - v).abs() < 1e-9)
            .map_or(self.otherwise, |(_, i)| *i)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    pub shape: Shape,
    pub stroke: Option<Ink>,
    pub width: f32,
    pub fill: Option<Ink>,
    /// Dash and gap length (for `motion`, the dashes that move).
    pub dash: Option<(f32, f32)>,
    pub bind: PartBindings,
}

/// A connection point a symbol declares (`ports = { discharge = [72, 38] }`): where process lines end on
/// it, in symbol units.
#[derive(Debug, Clone, PartialEq)]
pub struct Port {
    pub name: Arc<str>,
    pub at: Pt,
}

/// A reusable drawing with named inputs, from `symbols/*.toml`.
#[derive(Debug, Clone, PartialEq)]
pub struct Symbol {
    pub id: Arc<str>,
    pub name: Text,
    pub size: Pt,
    /// The point placed at an element's `at` (default: the top-left corner).
    pub anchor: Pt,
    pub inputs: Vec<SymbolInput>,
    pub parts: Vec<Part>,
    /// Connection points, by name.
    pub ports: Vec<Port>,
    /// Where it was defined (`path:line:col`), for messages.
    pub defined_at: String,
}

impl Symbol {
    pub fn input(&self, name: &str) -> Option<usize> {
        self.inputs.iter().position(|i| &*i.name == name)
    }

    pub fn port(&self, name: &str) -> Option<Pt> {
        self.ports.iter().find(|p| &*p.name == name).map(|p| p.at)
    }

    /// The port names, comma-separated (or "none"), for messages.
    pub fn port_names(&self) -> String {
        if self.ports.is_empty() {
            return "none".to_owned();
        }
        self.ports.iter().map(|p| &*p.name).collect::<Vec<_>>().join(", ")
    }

    /// Inputs some part scales by the bound tag's range (no min/max in the symbol).
    pub fn inputs_scaled_by_tag(&self) -> Vec<usize> {
        let mut out = Vec::new();
        for p in &self.parts {
            let b = &p.bind;
            let spans = [
                b.fill_level.map(|(s, _)| s),
                b.translate.filter(|t| t.repeat.is_none()).map(|t| t.span),
                match &b.rotate {
                    Some((Rotation::Angle { span, .. }, _)) => Some(*span),
                    _ => None,
                },
                match &p.shape {
                    Shape::Scale { span, .. } => Some(*span),
                    _ => None,
                },
            ];
            out.extend(
                spans
                    .into_iter()
                    .flatten()
                    .filter(|s| s.range.is_none())
                    .map(|s| s.input),
            );
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// How big a value is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TextSize {
    Small,
    #[default]
    Normal,
    Large,
}

impl TextSize {
    /// The font size text of this size is drawn at, in canvas units.
    pub fn px(self) -> f32 {
        match self {
            TextSize::Small => 13.0,
            TextSize::Normal => 16.0,
            TextSize::Large => 26.0,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlacedSymbol {
    /// The element's own name on its screen (`id = "pump"`): what lines' `from`/`to` name.
    pub id: Option<Arc<str>>,
    pub symbol: Arc<Symbol>,
    /// The box the symbol occupies on the canvas (anchor and scale applied).
    pub rect: Boxed,
    pub scale: f32,
    /// One tag per symbol input, in the symbol's input order.
    pub tags: Vec<TagId>,
    /// The range each input is scaled by, for parts with no min/max of their own: the screen's `range`
    /// for that input (a well's TD), else its tag's instrument range.
    pub ranges: Vec<Option<(f64, f64)>>,
    /// A state input bound to a comparison (`running = "ct01/pump_rate > 0.05"`) is that comparison.
    pub conditions: Vec<Option<crate::expr::Comparison>>,
    pub label: Option<Text>,
    /// Clicking the symbol opens this screen.
    pub to: Option<Arc<str>>,
}

impl PlacedSymbol {
    /// Where the symbol's port `name` is on the canvas.
    pub fn port_at(&self, name: &str) -> Option<Pt> {
        self.symbol.port(name).map(|p| self.rect.at + p.scale(self.scale))
    }
}

/// ISA-5.1 line types: a process line is solid; a signal line (electrical, instrument) is dashed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LineStyle {
    #[default]
    Process,
    Signal,
}

impl LineStyle {
    pub const ALL: [(&'static str, LineStyle); 2] = [("process", LineStyle::Process), ("signal", LineStyle::Signal)];

    pub fn from_name(name: &str) -> Option<LineStyle> {
        Self::ALL.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
    }

    pub fn name(self) -> &'static str {
        Self::ALL.iter().find(|(_, s)| *s == self).map_or("process", |(n, _)| n)
    }

    /// The width a line of this style has when the file gives none (canvas units).
    pub fn default_width(self) -> f32 {
        match self {
            LineStyle::Process => 3.0,
            LineStyle::Signal => 1.5,
        }
    }

    pub fn default_ink(self) -> Ink {
        match self {
            LineStyle::Process => Ink::Pipe,
            LineStyle::Signal => Ink::Line,
        }
    }
}

/// Which ends of a line carry an arrowhead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Arrows {
    #[default]
    None,
    End,
    Start,
    Both,
}

impl Arrows {
    pub const ALL: [(&'static str, Arrows); 4] = [
        ("none", Arrows::None),
        ("end", Arrows::End),
        ("start", Arrows::Start),
        ("both", Arrows::Both),
    ];

    pub fn from_name(name: &str) -> Option<Arrows> {
        Self::ALL.iter().find(|(n, _)| *n == name).map(|(_, a)| *a)
    }

    pub fn at_start(self) -> bool {
        matches!(self, Arrows::Start | Arrows::Both)
    }

    pub fn at_end(self) -> bool {
        matches!(self, Arrows::End | Arrows::Both)
    }
}

/// One end of a line tied to a symbol's port: the line follows the symbol wherever it is placed.
#[derive(Debug, Clone, PartialEq)]
pub struct PortRef {
    /// The placed symbol's `id` on the screen.
    pub symbol: Arc<str>,
    pub port: Arc<str>,
}

/// A process or signal line (`[[line]]`): a polyline in canvas units whose ends may sit on symbol ports.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessLine {
    /// Every vertex on the canvas, the ports' positions included: at least two.
    pub points: Vec<Pt>,
    pub from: Option<PortRef>,
    pub to: Option<PortRef>,
    pub style: LineStyle,
    pub width: f32,
    pub ink: Ink,
    pub arrows: Arrows,
    /// While this holds the line shows its flow direction (small chevrons moving from the first point to
    /// the last, in the line's own ink: ISA-101 keeps colour for abnormal states).
    pub flowing: Option<crate::expr::Comparison>,
}

/// A static box (`[[rect]]`): grouping outlines and backgrounds, no data.
#[derive(Debug, Clone, PartialEq)]
pub struct RectShape {
    pub rect: Boxed,
    pub stroke: Option<Ink>,
    pub fill: Option<Ink>,
    pub width: f32,
    pub dashed: bool,
    pub rounding: f32,
}

/// A static annotation (`[[text]]`), in both languages; `at` is where `align` puts the text's top edge.
#[derive(Debug, Clone, PartialEq)]
pub struct StaticText {
    pub at: Pt,
    pub text: Text,
    pub size: TextSize,
    pub align: Align,
    pub ink: Ink,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ValueLabel {
    pub tag: TagId,
    pub rect: Boxed,
    pub label: Option<Text>,
    pub decimals: Option<usize>,
    pub size: TextSize,
    /// What a text tag's values read as, per language (`"SHUT DOWN"` → "UNIDAD PARADA"); a value not
    /// listed is shown as sent.
    pub states: Vec<(Arc<str>, Text)>,
}

impl ValueLabel {
    /// A text value as this element shows it in `lang` (itself where the file names no text for it).
    pub fn state_text<'a>(&'a self, sent: &'a str, lang: crate::lang::Lang) -> &'a str {
        self.states
            .iter()
            .find(|(k, _)| &**k == sent)
            .map_or(sent, |(_, t)| t.get(lang))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct BarGraph {
    pub tag: TagId,
    pub rect: Boxed,
    pub label: Option<Text>,
    pub min: f64,
    pub max: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Gauge {
    pub tag: TagId,
    /// The dial's bounding box (a circle of diameter `rect.size.x`).
    pub rect: Boxed,
    pub label: Option<Text>,
    pub min: f64,
    pub max: f64,
    /// Distance between numbered ticks.
    pub major: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TrendBox {
    pub tags: Vec<TagId>,
    pub rect: Boxed,
    pub label: Option<Text>,
    pub minutes: f32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NavButton {
    pub to: Arc<str>,
    pub rect: Boxed,
    /// `None`: the target screen's title.
    pub label: Option<Text>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CommandValue {
    /// Always writes this value.
    Set(crate::tag::Value),
    /// Writes the opposite of the tag's current state (true ↔ false, 1 ↔ 0).
    Toggle,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CommandButton {
    pub tag: TagId,
    pub rect: Boxed,
    pub label: Text,
    pub value: CommandValue,
    /// The question the confirmation asks; every command is confirmed.
    pub confirm: Text,
}

/// One well or unit on an overview: title, state, a few values with sparklines; clicking opens `to`.
#[derive(Debug, Clone, PartialEq)]
pub struct WellTile {
    pub rect: Boxed,
    pub title: Text,
    /// Running/stopped state, if the asset has one.
    pub state: Option<TagId>,
    pub values: Vec<TagId>,
    /// Every tag whose alarms count toward the tile's alarm marker (the asset's tags).
    pub asset_tags: Vec<TagId>,
    pub to: Option<Arc<str>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    pub rect: Boxed,
    pub title: Option<Text>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    pub at: Pt,
    pub text: Text,
    pub size: TextSize,
}

/// Elements in drawing order: group frames and boxes first, then process lines (under the symbols they
/// join), symbols, bars, gauges, trends, tiles, values, labels and texts, and buttons on top.
#[derive(Debug, Clone, PartialEq)]
pub enum Element {
    Frame(Frame),
    Rect(RectShape),
    Line(ProcessLine),
    Symbol(PlacedSymbol),
    Bar(BarGraph),
    Gauge(Gauge),
    Trend(TrendBox),
    Tile(WellTile),
    Value(ValueLabel),
    Label(Label),
    Text(StaticText),
    Drivers(Boxed),
    Nav(NavButton),
    Command(CommandButton),
    /// A writable number with a Set button: keypad entry, then confirmation.
    Setpoint(ValueLabel),
}

impl Element {
    /// Drawing layer (lower first).
    pub fn layer(&self) -> u8 {
        match self {
            Element::Frame(_) | Element::Rect(_) => 0,
            Element::Line(_) => 1,
            Element::Symbol(_) => 2,
            Element::Bar(_) | Element::Gauge(_) | Element::Trend(_) | Element::Tile(_) | Element::Drivers(_) => 3,
            Element::Value(_) | Element::Label(_) | Element::Text(_) => 4,
            Element::Nav(_) | Element::Command(_) | Element::Setpoint(_) => 5,
        }
    }

    /// Tags this element shows (for live history and for "which tags does a screen use").
    pub fn tags(&self) -> Vec<TagId> {
        match self {
            Element::Symbol(s) => s.tags.clone(),
            Element::Value(v) | Element::Setpoint(v) => vec![v.tag],
            Element::Bar(b) => vec![b.tag],
            Element::Gauge(g) => vec![g.tag],
            Element::Trend(t) => t.tags.clone(),
            Element::Tile(t) => t.state.into_iter().chain(t.values.iter().copied()).collect(),
            Element::Command(c) => vec![c.tag],
            Element::Line(l) => l.flowing.iter().map(|c| c.tag).collect(),
            Element::Frame(_)
            | Element::Rect(_)
            | Element::Label(_)
            | Element::Text(_)
            | Element::Drivers(_)
            | Element::Nav(_) => Vec::new(),
        }
    }
}

impl Element {
    /// The box the element occupies on the canvas (the editor's selection and hit-testing). Text has no
    /// box of its own: it is estimated from its length at the size it is drawn.
    pub fn bounds(&self) -> Boxed {
        fn text_box(at: Pt, text: &crate::lang::Text, size: TextSize, align: Align) -> Boxed {
            let px = size.px();
            let chars = text.en.chars().count().max(text.es.chars().count()).max(1) as f32;
            let w = chars * px * 0.55;
            let x = match align {
                Align::Left => at.x,
                Align::Center => at.x - w / 2.0,
                Align::Right => at.x - w,
            };
            Boxed::new(Pt::new(x, at.y), Pt::new(w, px * 1.25))
        }
        match self {
            Element::Frame(f) => f.rect,
            Element::Rect(r) => r.rect,
            Element::Symbol(s) => s.rect,
            Element::Bar(b) => b.rect,
            Element::Gauge(g) => g.rect,
            Element::Trend(t) => t.rect,
            Element::Tile(t) => t.rect,
            Element::Value(v) | Element::Setpoint(v) => v.rect,
            Element::Drivers(b) => *b,
            Element::Nav(n) => n.rect,
            Element::Command(c) => c.rect,
            Element::Label(l) => text_box(l.at, &l.text, l.size, Align::Left),
            Element::Text(t) => text_box(t.at, &t.text, t.size, t.align),
            Element::Line(l) => {
                let (mut lo, mut hi) = (Pt::new(f32::MAX, f32::MAX), Pt::new(f32::MIN, f32::MIN));
                for p in &l.points {
                    lo = Pt::new(lo.x.min(p.x), lo.y.min(p.y));
                    hi = Pt::new(hi.x.max(p.x), hi.y.max(p.y));
                }
                if l.points.is_empty() {
                    return Boxed::default();
                }
                // A straight line still has a box a pointer can find.
                let pad = (l.width / 2.0).max(3.0);
                Boxed::new(lo - Pt::new(pad, pad), hi - lo + Pt::new(2.0 * pad, 2.0 * pad))
            }
        }
    }

    /// Moves the element by `d` on the canvas, as it is drawn (the editor's drag before the file changes).
    pub fn translate(&mut self, d: Pt) {
        let boxed = |b: &mut Boxed| b.at = b.at + d;
        match self {
            Element::Frame(f) => boxed(&mut f.rect),
            Element::Rect(r) => boxed(&mut r.rect),
            Element::Symbol(s) => boxed(&mut s.rect),
            Element::Bar(b) => boxed(&mut b.rect),
            Element::Gauge(g) => boxed(&mut g.rect),
            Element::Trend(t) => boxed(&mut t.rect),
            Element::Tile(t) => boxed(&mut t.rect),
            Element::Value(v) | Element::Setpoint(v) => boxed(&mut v.rect),
            Element::Drivers(b) => boxed(b),
            Element::Nav(n) => boxed(&mut n.rect),
            Element::Command(c) => boxed(&mut c.rect),
            Element::Label(l) => l.at = l.at + d,
            Element::Text(t) => t.at = t.at + d,
            Element::Line(l) => l.points.iter_mut().for_each(|p| *p = *p + d),
        }
    }
}

impl Screen {
    /// This screen with the elements at `moved` (indexes into `elements`) moved by `d`, and the ends of
    /// lines tied to a moved symbol's port moved with it: what a drag shows before it is written.
    pub fn with_moved(&self, moved: &[usize], d: Pt) -> Screen {
        let mut out = self.clone();
        let mut ids: Vec<Arc<str>> = Vec::new();
        for &i in moved {
            if let Some(e) = out.elements.get_mut(i) {
                e.translate(d);
                if let Element::Symbol(s) = e
                    && let Some(id) = &s.id
                {
                    ids.push(id.clone());
                }
            }
        }
        for (i, e) in out.elements.iter_mut().enumerate() {
            if moved.contains(&i) {
                continue;
            }
            if let Element::Line(l) = e {
                let on = |end: &Option<PortRef>| end.as_ref().is_some_and(|p| ids.contains(&p.symbol));
                let n = l.points.len();
                if on(&l.from)
                    && let Some(p) = l.points.first_mut()
                {
                    *p = *p + d;
                }
                if on(&l.to) && n > 0 {
                    l.points[n - 1] = l.points[n - 1] + d;
                }
            }
        }
        out
    }
}

/// Where an element is written in its screen file: the `index`-th table of the `[[key]]` array inside the
/// groups `groups` (indexes into each level's `[[group]]`); a group's frame is its own `[[group]]` table.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Written {
    pub groups: Vec<usize>,
    pub key: &'static str,
    pub index: usize,
}

/// A keyboard shortcut that opens a screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Shortcut {
    /// F1 … F12.
    F(u8),
}

impl Shortcut {
    pub fn parse(s: &str) -> Option<Shortcut> {
        let n: u8 = s.strip_prefix('F')?.parse().ok()?;
        (1..=12).contains(&n).then_some(Shortcut::F(n))
    }

    pub fn name(self) -> String {
        match self {
            Shortcut::F(n) => format!("F{n}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Screen {
    pub id: Arc<str>,
    pub title: Text,
    /// Display hierarchy (ISA-101): 1 overview, 2 unit, 3 equipment detail, 4 diagnostics.
    pub level: u8,
    pub parent: Option<Arc<str>>,
    pub key: Option<Shortcut>,
    pub canvas: Pt,
    /// In drawing order (see `Element::layer`).
    pub elements: Vec<Element>,
    /// Where each element is written in the screen's file, in `elements`' order (the editor's handle).
    pub written: Vec<Written>,
    pub defined_at: String,
}

impl Screen {
    /// Every tag the screen shows, once each.
    pub fn tags(&self) -> Vec<TagId> {
        let mut out: Vec<TagId> = self.elements.iter().flat_map(Element::tags).collect();
        out.sort();
        out.dedup();
        out
    }
}

/// Every screen and symbol of a project.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScreenSet {
    /// In display order: by level, then as the files list them.
    pub screens: Vec<Arc<Screen>>,
    pub symbols: Vec<Arc<Symbol>>,
    by_id: HashMap<Arc<str>, usize>,
}

impl ScreenSet {
    pub fn new(mut screens: Vec<Arc<Screen>>, symbols: Vec<Arc<Symbol>>) -> Self {
        screens.sort_by_key(|s| s.level);
        let by_id = screens.iter().enumerate().map(|(i, s)| (s.id.clone(), i)).collect();
        Self {
            screens,
            symbols,
            by_id,
        }
    }

    pub fn get(&self, id: &str) -> Option<&Arc<Screen>> {
        self.by_id.get(id).map(|&i| &self.screens[i])
    }

    pub fn is_empty(&self) -> bool {
        self.screens.is_empty()
    }

    /// The screen the console opens first: the first level-1 screen (or the first of any level).
    pub fn home(&self) -> Option<&Arc<Screen>> {
        self.screens.first()
    }

    /// The way down from the home screen to `id`: its ancestors, then itself.
    pub fn breadcrumbs(&self, id: &str) -> Vec<Arc<Screen>> {
        let mut out = Vec::new();
        let mut at = self.get(id);
        while let Some(s) = at {
            if out.iter().any(|o: &Arc<Screen>| o.id == s.id) {
                break; // the loader refuses cycles; never loop on one anyway
            }
            out.push(s.clone());
            at = s.parent.as_deref().and_then(|p| self.get(p));
        }
        out.reverse();
        out
    }

    pub fn by_shortcut(&self, key: Shortcut) -> Option<&Arc<Screen>> {
        self.screens.iter().find(|s| s.key == Some(key))
    }

    pub fn children<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a Arc<Screen>> + 'a {
        self.screens.iter().filter(move |s| s.parent.as_deref() == Some(id))
    }
}
