//! The parser: tokens to an `Ast`, with the limits that keep a hostile or generated expression from
//! costing the console its stack or its scan time.
//!
//! Precedence, lowest first: `if … then … else …`; `or`; `and`; `not`; comparisons (`== != < <= > >=`,
//! not chained); `+ -`; `* / %`; unary `-`; `^` (right-associative, so `2^3^2` is `2^9`). An `if` may
//! also stand as an operand (`1 + if a then 2 else 3`): its `else` branch then runs to the end, as in ML.

use super::ast::{Arith, Ast, Func, Node, Span};
use super::compare::CmpOp;
use super::error::{ExprError, ExprErrorKind as K};
use super::lex::{KEYWORDS, Tok, Token, is_term, tokens};

/// The longest expression, in bytes.
pub const MAX_EXPR_LEN: usize = 4096;
/// How deep parentheses, calls, `if`, `not`, signs and powers may nest. Parsing, checking, evaluating and
/// dropping a tree recurse once per level on threads with ordinary stacks, so depth is bounded here (an
/// expression nested thousands deep must come back as a diagnostic, not take the console down).
pub const MAX_NESTING: usize = 32;
/// Terms (numbers, strings, tags, durations) in one expression: bounds evaluation work per update.
pub const MAX_TERMS: usize = 256;
/// Arguments of one call (`min`, `max`).
pub const MAX_ARGS: usize = 32;

/// Parses an expression; the first problem found, located in `text`.
pub fn parse(text: &str) -> Result<Ast, ExprError> {
    if text.len() > MAX_EXPR_LEN {
        return Err(ExprError::new(K::TooLong(text.len()), Span::new(0, 0)));
    }
    let toks = tokens(text)?;
    if toks.is_empty() {
        return Err(ExprError::new(K::Empty, Span::new(0, text.len())));
    }
    if let Some(t) = toks.iter().filter(|t| is_term(&t.tok)).nth(MAX_TERMS) {
        return Err(ExprError::new(K::TooManyTerms, t.span));
    }
    let mut p = Parser {
        text,
        toks: &toks,
        pos: 0,
        depth: 0,
    };
    let ast = p.expr()?;
    if p.pos < toks.len() {
        return Err(p.expected("an operator or the end of the expression"));
    }
    Ok(ast)
}

struct Parser<'t> {
    text: &'t str,
    toks: &'t [Token],
    pos: usize,
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|t| &t.tok)
    }

    /// The next token's span, or an empty one at the end of the text.
    fn here(&self) -> Span {
        self.toks
            .get(self.pos)
            .map_or(Span::new(self.text.len(), self.text.len()), |t| t.span)
    }

    fn is_word(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Tok::Name(n)) if n == word)
    }

    /// "expected …, found …" at the next token.
    fn expected(&self, expected: &'static str) -> ExprError {
        let found = match self.toks.get(self.pos) {
            Some(t) => format!("'{}'", &self.text[t.span.range()]),
            None => "the end of the expression".to_owned(),
        };
        ExprError::new(K::Expected { expected, found }, self.here())
    }

    /// One level deeper, or the nesting error at `at`.
    fn enter(&mut self, at: Span) -> Result<(), ExprError> {
        if self.depth >= MAX_NESTING {
            return Err(ExprError::new(K::TooDeep, at));
        }
        self.depth += 1;
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    fn expr(&mut self) -> Result<Ast, ExprError> {
        self.or()
    }

    fn or(&mut self) -> Result<Ast, ExprError> {
        let mut lhs = self.and()?;
        while self.is_word("or") {
            self.pos += 1;
            let rhs = self.and()?;
            lhs = binary(lhs, rhs, Node::Or);
        }
        Ok(lhs)
    }

    fn and(&mut self) -> Result<Ast, ExprError> {
        let mut lhs = self.not()?;
        while self.is_word("and") {
            self.pos += 1;
            let rhs = self.not()?;
            lhs = binary(lhs, rhs, Node::And);
        }
        Ok(lhs)
    }

    fn not(&mut self) -> Result<Ast, ExprError> {
        if !self.is_word("not") {
            return self.comparison();
        }
        let at = self.here();
        self.pos += 1;
        self.enter(at)?;
        let operand = self.not();
        self.leave();
        let operand = operand?;
        Ok(Ast {
            span: at.to(operand.span),
            node: Node::Not(Box::new(operand)),
        })
    }

    fn comparison(&mut self) -> Result<Ast, ExprError> {
        let lhs = self.sum()?;
        let Some(Tok::Cmp(op)) = self.peek() else {
            return Ok(lhs);
        };
        let op: CmpOp = *op;
        self.pos += 1;
        let rhs = self.sum()?;
        if let Some(Tok::Cmp(_)) = self.peek() {
            return Err(ExprError::new(K::ChainedComparison, self.here()));
        }
        Ok(binary(lhs, rhs, |a, b| Node::Cmp(op, a, b)))
    }

    fn sum(&mut self) -> Result<Ast, ExprError> {
        let mut lhs = self.product()?;
        loop {
            let op = match self.peek() {
                Some(Tok::Plus) => Arith::Add,
                Some(Tok::Minus) => Arith::Sub,
                _ => return Ok(lhs),
            };
            self.pos += 1;
            let rhs = self.product()?;
            lhs = binary(lhs, rhs, |a, b| Node::Arith(op, a, b));
        }
    }

    fn product(&mut self) -> Result<Ast, ExprError> {
        let mut lhs = self.unary()?;
        loop {
            let op = match self.peek() {
                Some(Tok::Star) => Arith::Mul,
                Some(Tok::Slash) => Arith::Div,
                Some(Tok::Percent) => Arith::Rem,
                _ => return Ok(lhs),
            };
            self.pos += 1;
            let rhs = self.unary()?;
            lhs = binary(lhs, rhs, |a, b| Node::Arith(op, a, b));
        }
    }

    fn unary(&mut self) -> Result<Ast, ExprError> {
        if self.peek() != Some(&Tok::Minus) {
            return self.power();
        }
        let at = self.here();
        self.pos += 1;
        self.enter(at)?;
        let operand = self.unary();
        self.leave();
        let operand = operand?;
        let span = at.to(operand.span);
        // A negative literal is a number, not an operation (`x > -5`).
        Ok(match operand.node {
            Node::Num(x) => Ast {
                node: Node::Num(-x),
                span,
            },
            _ => Ast {
                node: Node::Neg(Box::new(operand)),
                span,
            },
        })
    }

    fn power(&mut self) -> Result<Ast, ExprError> {
        let base = self.atom()?;
        if self.peek() != Some(&Tok::Caret) {
            return Ok(base);
        }
        let at = self.here();
        self.pos += 1;
        // Right-associative, and the exponent may carry a sign (`2^-1`): each level is one deeper.
        self.enter(at)?;
        let exponent = self.unary();
        self.leave();
        Ok(binary(base, exponent?, |a, b| Node::Arith(Arith::Pow, a, b)))
    }

    fn atom(&mut self) -> Result<Ast, ExprError> {
        // The tokens outlive the parser's borrow: a name can be read while the parser moves on.
        let toks = self.toks;
        let Some(t) = toks.get(self.pos) else {
            return Err(self.expected("a value"));
        };
        let span = t.span;
        let node = match &t.tok {
            Tok::Num(x) => Node::Num(*x),
            Tok::Text(s) => Node::Text(s.clone()),
            Tok::Duration(d) => Node::Duration(*d),
            Tok::Braced(name) => Node::Tag {
                name: name.clone(),
                braced: true,
            },
            Tok::Open => return self.parenthesised(span),
            Tok::Name(name) => match name.as_str() {
                "true" => Node::Bool(true),
                "false" => Node::Bool(false),
                "if" => return self.conditional(span),
                word if KEYWORDS.contains(&word) => return Err(self.expected("a value")),
                word if matches!(toks.get(self.pos + 1), Some(Token { tok: Tok::Open, .. })) => {
                    let Some(f) = Func::by_name(word) else {
                        return Err(ExprError::new(K::UnknownFunction(word.to_owned()), span));
                    };
                    return self.call(f, span);
                }
                _ => Node::Tag {
                    name: name.clone(),
                    braced: false,
                },
            },
            _ => return Err(self.expected("a value")),
        };
        self.pos += 1;
        Ok(Ast { node, span })
    }

    fn parenthesised(&mut self, open: Span) -> Result<Ast, ExprError> {
        self.pos += 1;
        self.enter(open)?;
        let inner = self.expr();
        self.leave();
        let mut inner = inner?;
        match self.peek() {
            Some(Tok::Close) => {
                // The span grows to the parentheses, so a type error points at the whole group.
                inner.span = open.to(self.here());
                self.pos += 1;
                Ok(inner)
            }
            None => Err(ExprError::new(K::UnclosedParen, open)),
            Some(_) => Err(self.expected("')' or an operator")),
        }
    }

    fn conditional(&mut self, at: Span) -> Result<Ast, ExprError> {
        self.pos += 1;
        self.enter(at)?;
        let parts = self.conditional_parts();
        self.leave();
        let (cond, then, other) = parts?;
        Ok(Ast {
            span: at.to(other.span),
            node: Node::If(Box::new(cond), Box::new(then), Box::new(other)),
        })
    }

    fn conditional_parts(&mut self) -> Result<(Ast, Ast, Ast), ExprError> {
        let cond = self.expr()?;
        if !self.is_word("then") {
            return Err(self.expected("'then' after the condition of 'if'"));
        }
        self.pos += 1;
        let then = self.expr()?;
        if !self.is_word("else") {
            return Err(self.expected("'else' (an 'if' gives a value either way)"));
        }
        self.pos += 1;
        let other = self.expr()?;
        Ok((cond, then, other))
    }

    /// `NAME(args…)`, the name at `at` and its '(' next.
    fn call(&mut self, f: Func, at: Span) -> Result<Ast, ExprError> {
        self.pos += 2;
        self.enter(at)?;
        let args = self.arguments(f);
        self.leave();
        let args = args?;
        let end = self.here();
        self.pos += 1;
        Ok(Ast {
            node: Node::Call(f, args),
            span: at.to(end),
        })
    }

    /// The arguments up to and including the closing ')', which is left as the next token.
    fn arguments(&mut self, f: Func) -> Result<Vec<Ast>, ExprError> {
        let mut args = Vec::new();
        if self.peek() == Some(&Tok::Close) {
            return Ok(args);
        }
        loop {
            if args.len() == MAX_ARGS {
                return Err(ExprError::new(K::TooManyArgs(f.name()), self.here()));
            }
            args.push(self.expr()?);
            match self.peek() {
                Some(Tok::Comma) => self.pos += 1,
                Some(Tok::Close) => return Ok(args),
                _ => return Err(self.expected("',' or ')' in the arguments")),
            }
        }
    }
}

/// `lhs OP rhs` spanning both.
fn binary(lhs: Ast, rhs: Ast, make: impl FnOnce(Box<Ast>, Box<Ast>) -> Node) -> Ast {
    let span = lhs.span.to(rhs.span);
    Ast {
        node: make(Box::new(lhs), Box::new(rhs)),
        span,
    }
}
