//! The parsed form of an expression: a tree whose every node keeps its byte span in the expression's
//! text, so a problem found later (an unknown tag, a type error) points at the place it was written.
//!
//! Built by `parse` only; read by the type checker and by the project loader (which tags an expression
//! names, to order calculated tags). Holds no tag ids: names are resolved when compiling.

use super::compare::CmpOp;
use std::sync::Arc;
use std::time::Duration;

/// Byte range in the expression's text. `u32`: an expression is at most `MAX_EXPR_LEN` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub(super) fn new(start: usize, end: usize) -> Self {
        let at = |x: usize| u32::try_from(x).unwrap_or(u32::MAX);
        Self {
            start: at(start),
            end: at(end),
        }
    }

    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }

    /// From the start of `self` to the end of `other`.
    pub(super) fn to(self, other: Span) -> Span {
        Span {
            start: self.start,
            end: other.end.max(self.end),
        }
    }
}

/// Arithmetic operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arith {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Pow,
}

impl Arith {
    pub fn symbol(self) -> &'static str {
        match self {
            Arith::Add => "+",
            Arith::Sub => "-",
            Arith::Mul => "*",
            Arith::Div => "/",
            Arith::Rem => "%",
            Arith::Pow => "^",
        }
    }

    /// The IEEE result; the evaluator turns a non-finite one into a math error.
    pub(super) fn apply(self, x: f64, y: f64) -> f64 {
        match self {
            Arith::Add => x + y,
            Arith::Sub => x - y,
            Arith::Mul => x * y,
            Arith::Div => x / y,
            Arith::Rem => x % y,
            Arith::Pow => x.powf(y),
        }
    }
}

/// The functions of the language (their meaning is in the module doc of `expr`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Func {
    Min,
    Max,
    Abs,
    Sqrt,
    Avg,
    Rate,
}

impl Func {
    pub const ALL: [Func; 6] = [Func::Min, Func::Max, Func::Abs, Func::Sqrt, Func::Avg, Func::Rate];

    pub fn name(self) -> &'static str {
        match self {
            Func::Min => "min",
            Func::Max => "max",
            Func::Abs => "abs",
            Func::Sqrt => "sqrt",
            Func::Avg => "avg",
            Func::Rate => "rate",
        }
    }

    pub(super) fn by_name(name: &str) -> Option<Func> {
        Func::ALL.into_iter().find(|f| f.name() == name)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Num(f64),
    Text(Arc<str>),
    Bool(bool),
    /// A tag by name; `braced` when written `{name}` (the name is then never a keyword or an operator).
    Tag {
        name: String,
        braced: bool,
    },
    /// A window length (`60s`): only an argument of `avg` and `rate`.
    Duration(Duration),
    Neg(Box<Ast>),
    Not(Box<Ast>),
    Arith(Arith, Box<Ast>, Box<Ast>),
    Cmp(CmpOp, Box<Ast>, Box<Ast>),
    And(Box<Ast>, Box<Ast>),
    Or(Box<Ast>, Box<Ast>),
    If(Box<Ast>, Box<Ast>, Box<Ast>),
    Call(Func, Vec<Ast>),
}

/// One node of the tree and where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Ast {
    pub node: Node,
    pub span: Span,
}

impl Ast {
    /// Every tag the expression names, with where, in the order written. (Recursion is bounded by the
    /// parser's limits: depth ≤ nesting + terms.)
    pub fn tag_names(&self) -> Vec<(&str, Span)> {
        let mut out = Vec::new();
        self.collect_tags(&mut out);
        out
    }

    fn collect_tags<'a>(&'a self, out: &mut Vec<(&'a str, Span)>) {
        match &self.node {
            Node::Tag { name, .. } => out.push((name, self.span)),
            Node::Neg(a) | Node::Not(a) => a.collect_tags(out),
            Node::Arith(_, a, b) | Node::Cmp(_, a, b) | Node::And(a, b) | Node::Or(a, b) => {
                a.collect_tags(out);
                b.collect_tags(out);
            }
            Node::If(c, t, e) => {
                c.collect_tags(out);
                t.collect_tags(out);
                e.collect_tags(out);
            }
            Node::Call(_, args) => args.iter().for_each(|a| a.collect_tags(out)),
            Node::Num(_) | Node::Text(_) | Node::Bool(_) | Node::Duration(_) => {}
        }
    }
}
