//! A compiled expression and its evaluation, with quality.
//!
//! The tree is flattened into a vector of operations (children before parents, the root last), and
//! evaluated by reading inputs through `Inputs`: no allocation, no locks. Quality rules, in order:
//! - an input that is needed and bad makes the result bad with that input's reason (so a STALE input
//!   gives a STALE result, a COMM FAIL one a COMM FAIL result); `if` evaluates only the branch taken, and
//!   `and` / `or` are three-valued (Kleene): `false and <bad>` is `false`, because the bad side is not
//!   needed to decide;
//! - an Uncertain input makes the result Uncertain;
//! - division by zero, the square root of a negative number, any NaN or infinity is `MathError`: a
//!   calculated value is never a number that is not one;
//! - `avg` and `rate` without enough history are `WaitingForData`.
//!
//! Must not touch the tag table or the clock: inputs and `now` are handed in.

use super::ast::Arith;
use super::check::Type;
use super::compare::CmpOp;
use super::window::{Window, WindowSpec};
use crate::tag::{BadReason, Quality, Sample, TagId, TagTable, Timestamp, Value};
use std::sync::Arc;

/// One input as the evaluator reads it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Input<'a> {
    pub value: Option<&'a Value>,
    pub quality: Quality,
    /// When the value was measured (the source's clock).
    pub ts: Timestamp,
}

/// Where an expression reads its inputs: the tag table, or the table with values computed in the same
/// scan laid over it.
pub trait Inputs {
    /// The tag's current value; `None` for a tag id that does not exist.
    fn input(&self, tag: TagId) -> Option<Input<'_>>;
}

impl Inputs for TagTable {
    fn input(&self, tag: TagId) -> Option<Input<'_>> {
        self.get(tag).map(|s| Input {
            value: s.value.as_ref(),
            quality: s.quality,
            ts: s.source_ts,
        })
    }
}

/// One operation; children are indices of earlier operations.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Op {
    Num(f64),
    Bool(bool),
    Text(Arc<str>),
    /// An input, by index into `Compiled::inputs`.
    Tag(u16),
    Neg(u32),
    Not(u32),
    Arith(Arith, u32, u32),
    Cmp(CmpOp, u32, u32),
    And(u32, u32),
    Or(u32, u32),
    If(u32, u32, u32),
    /// `min`/`max` of `args[start..start + len]`.
    Min {
        start: u32,
        len: u32,
    },
    Max {
        start: u32,
        len: u32,
    },
    Abs(u32),
    Sqrt(u32),
    /// `avg` or `rate`, by index into `Compiled::windows`.
    Window(u16),
}

/// An expression ready to evaluate: immutable, shared by every evaluation. Built by `compile`.
#[derive(Debug, Clone, PartialEq)]
pub struct Compiled {
    pub(super) ops: Vec<Op>,
    /// Argument lists of `min`/`max`.
    pub(super) args: Vec<u32>,
    pub(super) inputs: Vec<TagId>,
    pub(super) windows: Vec<WindowSpec>,
    pub(super) ty: Type,
}

/// The mutable part of one expression's evaluation: its `avg` and `rate` windows.
#[derive(Debug, Clone)]
pub struct State {
    windows: Vec<Window>,
}

/// The result of one evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The value, or why there is none.
    pub value: Result<Value, BadReason>,
    /// An input that was read is Uncertain.
    pub uncertain: bool,
    /// The newest measurement time among the inputs read; `now` for an expression that read none, or
    /// whose `avg`/`rate` was read (a window's result is as of now).
    pub ts: Timestamp,
}

impl Outcome {
    pub fn quality(&self) -> Quality {
        match (&self.value, self.uncertain) {
            (Err(why), _) => Quality::Bad(*why),
            (Ok(_), true) => Quality::Uncertain,
            (Ok(_), false) => Quality::Good,
        }
    }

    /// The outcome as a sample of `tag`: a bad one carries no value, so nothing shows a number for it.
    pub fn to_sample(&self, tag: TagId) -> Sample {
        Sample {
            tag,
            value: self.value.as_ref().ok().cloned(),
            quality: self.quality(),
            source_ts: self.ts,
        }
    }
}

impl Compiled {
    /// Every tag the expression reads, each once, in the order first written.
    pub fn inputs(&self) -> &[TagId] {
        &self.inputs
    }

    /// The type of the result (a `Number` is stored as `f64`).
    pub fn ty(&self) -> Type {
        self.ty
    }

    /// Whether the result changes with time alone (`avg`, `rate`), so it is evaluated again periodically.
    pub fn uses_time(&self) -> bool {
        !self.windows.is_empty()
    }

    /// A fresh state: empty windows.
    pub fn new_state(&self) -> State {
        State {
            windows: self.windows.iter().map(Window::new).collect(),
        }
    }

    /// Evaluates at `now` (the hub's clock), feeding the windows first.
    pub fn eval(&self, state: &mut State, inputs: &(impl Inputs + ?Sized), now: Timestamp) -> Outcome {
        if state.windows.len() != self.windows.len() {
            *state = self.new_state();
        }
        // Windows watch their tag on every evaluation, whatever branch is taken: a time-weighted average
        // must see every value the tag held, not only those read while its branch was chosen.
        for (w, spec) in state.windows.iter_mut().zip(&self.windows) {
            let x = self
                .inputs
                .get(usize::from(spec.input))
                .and_then(|&tag| inputs.input(tag))
                .filter(|i| !i.quality.is_bad())
                .and_then(|i| i.value)
                .and_then(Value::as_f64);
            w.observe(now, x);
        }
        let mut cx = Cx {
            c: self,
            inputs,
            state: &*state,
            now,
            uncertain: false,
            newest: None,
        };
        let root = u32::try_from(self.ops.len().saturating_sub(1)).unwrap_or(0);
        let value = cx.eval(root).map(V::into_value);
        Outcome {
            value,
            uncertain: cx.uncertain,
            ts: cx.newest.unwrap_or(now),
        }
    }
}

/// A value during evaluation; text is borrowed from a constant or an input.
#[derive(Debug, Clone, Copy)]
enum V<'a> {
    Num(f64),
    Bool(bool),
    Text(&'a Arc<str>),
}

impl V<'_> {
    fn into_value(self) -> Value {
        match self {
            V::Num(x) => Value::F64(x),
            V::Bool(b) => Value::Bool(b),
            V::Text(s) => Value::Str(s.clone()),
        }
    }
}

/// A finite number, or the math error a calculated value becomes instead of NaN or infinity.
fn finite<'a>(x: f64) -> Result<V<'a>, BadReason> {
    if x.is_finite() {
        Ok(V::Num(x))
    } else {
        Err(BadReason::MathError)
    }
}

struct Cx<'a, I: Inputs + ?Sized> {
    c: &'a Compiled,
    inputs: &'a I,
    state: &'a State,
    now: Timestamp,
    uncertain: bool,
    newest: Option<Timestamp>,
}

impl<'a, I: Inputs + ?Sized> Cx<'a, I> {
    /// Recursion is bounded by the parser's limits (depth ≤ nesting + terms).
    fn eval(&mut self, i: u32) -> Result<V<'a>, BadReason> {
        let c = self.c;
        // The types were checked at load: a mismatch here is a bug, reported as a configuration error
        // rather than a panic on the hub thread.
        let Some(op) = c.ops.get(i as usize) else {
            return Err(BadReason::ConfigError);
        };
        match op {
            Op::Num(x) => Ok(V::Num(*x)),
            Op::Bool(b) => Ok(V::Bool(*b)),
            Op::Text(s) => Ok(V::Text(s)),
            Op::Tag(k) => self.read(*k),
            Op::Neg(a) => Ok(V::Num(-self.num(*a)?)),
            Op::Not(a) => Ok(V::Bool(!self.bool(*a)?)),
            Op::Arith(op, a, b) => {
                let x = self.num(*a)?;
                let y = self.num(*b)?;
                finite(op.apply(x, y))
            }
            Op::Cmp(op, a, b) => {
                let x = self.eval(*a)?;
                let y = self.eval(*b)?;
                let ord = match (x, y) {
                    (V::Num(x), V::Num(y)) => x.partial_cmp(&y),
                    (V::Text(x), V::Text(y)) => Some(x.cmp(y)),
                    (V::Bool(x), V::Bool(y)) => Some(x.cmp(&y)),
                    _ => None,
                };
                ord.map(|o| V::Bool(op.holds(o))).ok_or(BadReason::ConfigError)
            }
            Op::And(a, b) => self.kleene(*a, *b, false),
            Op::Or(a, b) => self.kleene(*a, *b, true),
            Op::If(cond, then, other) => {
                if self.bool(*cond)? {
                    self.eval(*then)
                } else {
                    self.eval(*other)
                }
            }
            Op::Min { start, len } => self.fold(*start, *len, f64::min),
            Op::Max { start, len } => self.fold(*start, *len, f64::max),
            Op::Abs(a) => Ok(V::Num(self.num(*a)?.abs())),
            Op::Sqrt(a) => finite(self.num(*a)?.sqrt()),
            Op::Window(w) => self.window(*w),
        }
    }

    fn num(&mut self, i: u32) -> Result<f64, BadReason> {
        match self.eval(i)? {
            V::Num(x) => Ok(x),
            _ => Err(BadReason::ConfigError),
        }
    }

    fn bool(&mut self, i: u32) -> Result<bool, BadReason> {
        match self.eval(i)? {
            V::Bool(b) => Ok(b),
            _ => Err(BadReason::ConfigError),
        }
    }

    /// `a and b` (`decides` false) or `a or b` (`decides` true) in three-valued logic: a side that gives
    /// the deciding value decides, even when the other cannot be evaluated.
    fn kleene(&mut self, a: u32, b: u32, decides: bool) -> Result<V<'a>, BadReason> {
        let before = (self.uncertain, self.newest);
        match self.bool(a) {
            Ok(x) if x == decides => Ok(V::Bool(decides)),
            Ok(_) => self.bool(b).map(V::Bool),
            Err(why) => {
                // What the undecided side read does not count if the other side decides alone.
                let after_a = (self.uncertain, self.newest);
                (self.uncertain, self.newest) = before;
                match self.bool(b) {
                    Ok(y) if y == decides => Ok(V::Bool(decides)),
                    _ => {
                        self.uncertain |= after_a.0;
                        self.newest = self.newest.max(after_a.1);
                        Err(why)
                    }
                }
            }
        }
    }

    fn fold(&mut self, start: u32, len: u32, f: fn(f64, f64) -> f64) -> Result<V<'a>, BadReason> {
        let c = self.c;
        let args = c
            .args
            .get(start as usize..(start as usize).saturating_add(len as usize))
            .ok_or(BadReason::ConfigError)?;
        let mut acc: Option<f64> = None;
        for &a in args {
            let x = self.num(a)?;
            acc = Some(acc.map_or(x, |m| f(m, x)));
        }
        acc.map(V::Num).ok_or(BadReason::ConfigError)
    }

    /// The input's reading, or why it cannot be used.
    fn input(&mut self, k: u16) -> Result<Input<'a>, BadReason> {
        let inputs: &'a I = self.inputs;
        let tag = *self.c.inputs.get(usize::from(k)).ok_or(BadReason::ConfigError)?;
        let input = inputs.input(tag).ok_or(BadReason::ConfigError)?;
        self.newest = self.newest.max(Some(input.ts));
        match input.quality {
            Quality::Bad(why) => return Err(why),
            Quality::Uncertain => self.uncertain = true,
            Quality::Good => {}
        }
        Ok(input)
    }

    fn read(&mut self, k: u16) -> Result<V<'a>, BadReason> {
        let Some(value) = self.input(k)?.value else {
            return Err(BadReason::WaitingForData);
        };
        match value {
            Value::F64(x) if x.is_finite() => Ok(V::Num(*x)),
            // The table never keeps a good non-finite number; a calculated input never makes one.
            Value::F64(_) => Err(BadReason::SensorFail),
            Value::I64(n) => Ok(V::Num(*n as f64)),
            Value::Bool(b) => Ok(V::Bool(*b)),
            Value::Str(s) => Ok(V::Text(s)),
        }
    }

    fn window(&mut self, w: u16) -> Result<V<'a>, BadReason> {
        let c = self.c;
        let spec = c.windows.get(usize::from(w)).ok_or(BadReason::ConfigError)?;
        self.input(spec.input)?;
        // A window's result is as of now, whenever its tag last changed.
        self.newest = self.newest.max(Some(self.now));
        let state: &'a State = self.state;
        let window = state.windows.get(usize::from(w)).ok_or(BadReason::ConfigError)?;
        finite(window.value(self.now).ok_or(BadReason::WaitingForData)?)
    }
}
