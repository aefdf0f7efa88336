//! Type checking and compiling: an `Ast` and the site's tags to a `Compiled` expression, or every
//! problem found (unknown tags, type errors, misused functions), each at its place in the text.
//!
//! Types: a number (`f64` and `i64` tags, and numeric results, which are stored as `f64`), true/false
//! (`bool` tags) and text (`string` tags). A tag whose type is not known (a calculated tag whose own
//! expression has problems) is accepted anywhere, so only real problems are reported.

use super::ast::{Ast, Func, Node, Span};
use super::compare::CmpOp;
use super::error::{ExprError, ExprErrorKind as K};
use super::eval::{Compiled, Op};
use super::parse::parse;
use super::window::{DEFAULT_RATE_WINDOW, MAX_WINDOW, MIN_WINDOW, WindowKind, WindowSpec};
use crate::tag::{TagDirectory, TagId, ValueKind};
use std::sync::Arc;

/// The type of a value in an expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    Number,
    Bool,
    Text,
}

impl Type {
    /// The type a tag's values have in expressions.
    pub fn of(kind: ValueKind) -> Type {
        match kind {
            ValueKind::F64 | ValueKind::I64 => Type::Number,
            ValueKind::Bool => Type::Bool,
            ValueKind::String => Type::Text,
        }
    }

    /// The kind a calculated tag of this type holds.
    pub fn kind(self) -> ValueKind {
        match self {
            Type::Number => ValueKind::F64,
            Type::Bool => ValueKind::Bool,
            Type::Text => ValueKind::String,
        }
    }

    /// As a sentence names it: "this is a number".
    pub fn name(self) -> &'static str {
        match self {
            Type::Number => "a number",
            Type::Bool => "true/false",
            Type::Text => "text",
        }
    }
}

/// How names in an expression become tags.
pub trait Resolve {
    /// The tag named `name`: its id and the type of its values (`None`: not known).
    fn resolve(&self, name: &str) -> Option<(TagId, Option<Type>)>;
}

impl Resolve for TagDirectory {
    fn resolve(&self, name: &str) -> Option<(TagId, Option<Type>)> {
        self.by_name(name).map(|d| (d.id, Some(Type::of(d.kind))))
    }
}

impl<F: Fn(&str) -> Option<(TagId, Option<Type>)>> Resolve for F {
    fn resolve(&self, name: &str) -> Option<(TagId, Option<Type>)> {
        self(name)
    }
}

/// Parses and compiles `text`: the expression, or every problem found.
pub fn compile_str(text: &str, tags: &(impl Resolve + ?Sized)) -> Result<Compiled, Vec<ExprError>> {
    let ast = parse(text).map_err(|e| vec![e])?;
    compile(&ast, tags)
}

/// Checks `ast` against `tags` and compiles it: the expression, or every problem found, in text order.
pub fn compile(ast: &Ast, tags: &(impl Resolve + ?Sized)) -> Result<Compiled, Vec<ExprError>> {
    let mut c = Compiler {
        tags,
        ops: Vec::new(),
        args: Vec::new(),
        inputs: Vec::new(),
        windows: Vec::new(),
        errs: Vec::new(),
    };
    let (_, ty) = c.node(ast);
    if !c.errs.is_empty() {
        return Err(c.errs);
    }
    Ok(Compiled {
        ops: c.ops,
        args: c.args,
        inputs: c.inputs,
        windows: c.windows,
        // Only a tag of unknown type leaves the type open; the site is refused for that tag's problems.
        ty: ty.unwrap_or(Type::Number),
    })
}

struct Compiler<'r, R: Resolve + ?Sized> {
    tags: &'r R,
    ops: Vec<Op>,
    args: Vec<u32>,
    inputs: Vec<TagId>,
    windows: Vec<WindowSpec>,
    errs: Vec<ExprError>,
}

/// A compiled node: its index and its type (`None`: unknown, after a problem already reported).
type Typed = (u32, Option<Type>);

impl<R: Resolve + ?Sized> Compiler<'_, R> {
    fn push(&mut self, op: Op) -> u32 {
        self.ops.push(op);
        u32::try_from(self.ops.len() - 1).unwrap_or(u32::MAX)
    }

    fn error(&mut self, kind: K, span: Span) {
        self.errs.push(ExprError::new(kind, span));
    }

    /// Reports `what` (a sentence ending in "; this is …") when `ty` is known and not `want`.
    fn expect(&mut self, ty: Option<Type>, want: Type, span: Span, what: &str) {
        if let Some(t) = ty
            && t != want
        {
            self.error(K::Type(format!("{what}; this is {}", t.name())), span);
        }
    }

    /// The index of `tag` among the inputs, added when new.
    fn input(&mut self, tag: TagId) -> u16 {
        let i = match self.inputs.iter().position(|&t| t == tag) {
            Some(i) => i,
            None => {
                self.inputs.push(tag);
                self.inputs.len() - 1
            }
        };
        u16::try_from(i).unwrap_or(u16::MAX)
    }

    fn node(&mut self, ast: &Ast) -> Typed {
        let span = ast.span;
        match &ast.node {
            Node::Num(x) => (self.push(Op::Num(*x)), Some(Type::Number)),
            Node::Bool(b) => (self.push(Op::Bool(*b)), Some(Type::Bool)),
            Node::Text(s) => (self.push(Op::Text(Arc::clone(s))), Some(Type::Text)),
            Node::Duration(_) => {
                self.error(K::StrayDuration, span);
                (self.push(Op::Num(0.0)), None)
            }
            Node::Tag { name, braced } => self.tag(name, *braced, span),
            Node::Neg(a) => {
                let inner = a.span;
                let (a, ta) = self.node(a);
                self.expect(ta, Type::Number, inner, "'-' needs a number");
                (self.push(Op::Neg(a)), Some(Type::Number))
            }
            Node::Not(a) => {
                let inner = a.span;
                let (a, ta) = self.node(a);
                self.expect(ta, Type::Bool, inner, "'not' needs true/false");
                (self.push(Op::Not(a)), Some(Type::Bool))
            }
            Node::Arith(op, a, b) => {
                let what = format!("'{}' needs numbers", op.symbol());
                let (ia, ta) = self.node(a);
                self.expect(ta, Type::Number, a.span, &what);
                let (ib, tb) = self.node(b);
                self.expect(tb, Type::Number, b.span, &what);
                (self.push(Op::Arith(*op, ia, ib)), Some(Type::Number))
            }
            Node::Cmp(op, a, b) => self.comparison(*op, a, b, span),
            Node::And(a, b) | Node::Or(a, b) => {
                let and = matches!(ast.node, Node::And(..));
                let what = if and {
                    "'and' needs true/false on both sides"
                } else {
                    "'or' needs true/false on both sides"
                };
                let (ia, ta) = self.node(a);
                self.expect(ta, Type::Bool, a.span, what);
                let (ib, tb) = self.node(b);
                self.expect(tb, Type::Bool, b.span, what);
                let op = if and { Op::And(ia, ib) } else { Op::Or(ia, ib) };
                (self.push(op), Some(Type::Bool))
            }
            Node::If(cond, then, other) => {
                let (ic, tc) = self.node(cond);
                self.expect(tc, Type::Bool, cond.span, "the condition of 'if' must be true/false");
                let (it, tt) = self.node(then);
                let (ie, te) = self.node(other);
                if let (Some(x), Some(y)) = (tt, te)
                    && x != y
                {
                    self.error(
                        K::Type(format!(
                            "both branches of 'if' must give the same type: 'then' gives {}, 'else' gives {}",
                            x.name(),
                            y.name()
                        )),
                        other.span,
                    );
                }
                (self.push(Op::If(ic, it, ie)), tt.or(te))
            }
            Node::Call(f, args) => self.call(*f, args, span),
        }
    }

    fn tag(&mut self, name: &str, braced: bool, span: Span) -> Typed {
        match self.tags.resolve(name) {
            Some((id, ty)) => {
                let k = self.input(id);
                (self.push(Op::Tag(k)), ty)
            }
            None => {
                let hint = if braced { String::new() } else { self.spacing_hint(name) };
                self.error(
                    K::UnknownTag {
                        name: name.to_owned(),
                        hint,
                    },
                    span,
                );
                (self.push(Op::Num(0.0)), None)
            }
        }
    }

    /// For an unknown bare name that may be an operation written without spaces (`a/b`, `a-1`): a name
    /// runs over '/' and '-', so `sep01/gas_rate/sep01/oil_rate` is one (unknown) name.
    fn spacing_hint(&self, name: &str) -> String {
        for (i, c) in name.char_indices().filter(|&(_, c)| c == '/' || c == '-') {
            let (left, right) = (&name[..i], &name[i + 1..]);
            if !left.is_empty() && !right.is_empty() && self.tags.resolve(left).is_some() {
                let verb = if c == '/' { "divide" } else { "subtract" };
                return format!(" (to {verb}, put spaces around the operator: '{left} {c} {right}')");
            }
        }
        // A plain `device/signal` with a typo needs no hint; more '/' or a '-' may be an operator.
        if name.matches('/').count() > 1 || name.contains('-') {
            " (to divide or subtract, put spaces around the operator: 'a / b', 'a - b')".to_owned()
        } else {
            String::new()
        }
    }

    fn comparison(&mut self, op: CmpOp, a: &Ast, b: &Ast, span: Span) -> Typed {
        let (ia, ta) = self.node(a);
        let (ib, tb) = self.node(b);
        if matches!(op, CmpOp::Eq | CmpOp::Ne) {
            if let (Some(x), Some(y)) = (ta, tb)
                && x != y
            {
                self.error(
                    K::Type(format!(
                        "'{}' compares values of one type; this compares {} with {}",
                        op.symbol(),
                        x.name(),
                        y.name()
                    )),
                    span,
                );
            }
        } else {
            let what = format!("'{}' compares numbers", op.symbol());
            self.expect(ta, Type::Number, a.span, &what);
            self.expect(tb, Type::Number, b.span, &what);
        }
        (self.push(Op::Cmp(op, ia, ib)), Some(Type::Bool))
    }

    fn call(&mut self, f: Func, args: &[Ast], span: Span) -> Typed {
        let name = f.name();
        let arity = |takes| K::Arity { func: name, takes };
        match f {
            Func::Min | Func::Max => {
                if args.is_empty() {
                    self.error(arity("at least one number"), span);
                    return (self.push(Op::Num(0.0)), Some(Type::Number));
                }
                let what = format!("{name}() takes numbers");
                let mut list = Vec::with_capacity(args.len());
                for a in args {
                    let (i, t) = self.node(a);
                    self.expect(t, Type::Number, a.span, &what);
                    list.push(i);
                }
                let start = u32::try_from(self.args.len()).unwrap_or(u32::MAX);
                let len = u32::try_from(list.len()).unwrap_or(u32::MAX);
                self.args.extend(list);
                let op = if f == Func::Min {
                    Op::Min { start, len }
                } else {
                    Op::Max { start, len }
                };
                (self.push(op), Some(Type::Number))
            }
            Func::Abs | Func::Sqrt => {
                let [a] = args else {
                    self.error(arity("one number"), span);
                    return (self.push(Op::Num(0.0)), Some(Type::Number));
                };
                let (i, t) = self.node(a);
                self.expect(t, Type::Number, a.span, &format!("{name}() takes a number"));
                let op = if f == Func::Abs { Op::Abs(i) } else { Op::Sqrt(i) };
                (self.push(op), Some(Type::Number))
            }
            Func::Avg | Func::Rate => self.window(f, args, span),
        }
    }

    /// `avg(TAG, W)` and `rate(TAG[, W])`: a numeric tag (not an expression: the window keeps the tag's
    /// history) and a window length.
    fn window(&mut self, f: Func, args: &[Ast], span: Span) -> Typed {
        let name = f.name();
        let (kind, takes) = match f {
            Func::Avg => (WindowKind::Avg, "a tag and a window: avg(TAG, 60s)"),
            _ => (
                WindowKind::Rate,
                "a tag and, if not 60s, a window: rate(TAG) or rate(TAG, 10s)",
            ),
        };
        let placeholder = |c: &mut Self| (c.push(Op::Num(0.0)), Some(Type::Number));
        let fits = match kind {
            WindowKind::Avg => args.len() == 2,
            WindowKind::Rate => (1..=2).contains(&args.len()),
        };
        if !fits {
            self.error(K::Arity { func: name, takes }, span);
            return placeholder(self);
        }
        let tag = &args[0];
        let Node::Tag { name: tag_name, braced } = &tag.node else {
            self.error(K::NeedsTag(name), tag.span);
            return placeholder(self);
        };
        let length = match args.get(1) {
            None => DEFAULT_RATE_WINDOW,
            Some(Ast {
                node: Node::Duration(d),
                span: at,
            }) => {
                if !(MIN_WINDOW..=MAX_WINDOW).contains(d) {
                    self.error(K::WindowRange, *at);
                }
                *d
            }
            Some(other) => {
                self.error(K::NeedsWindow(name), other.span);
                DEFAULT_RATE_WINDOW
            }
        };
        let Some((id, ty)) = self.tags.resolve(tag_name) else {
            // The same message as anywhere else a tag is unknown.
            return self.tag(tag_name, *braced, tag.span);
        };
        if let Some(t) = ty
            && t != Type::Number
        {
            self.error(
                K::Type(format!("{name}() needs a numeric tag; '{tag_name}' holds {}", t.name())),
                tag.span,
            );
        }
        let input = self.input(id);
        self.windows.push(WindowSpec { input, kind, length });
        let w = u16::try_from(self.windows.len() - 1).unwrap_or(u16::MAX);
        (self.push(Op::Window(w)), Some(Type::Number))
    }
}
