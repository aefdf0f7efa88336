//! What can be wrong with an expression, in words for the engineer who wrote it, with the byte span in
//! the expression's text so the loader can point `path:line:col` at the exact place inside the file.

use super::ast::Span;
use super::parse::{MAX_ARGS, MAX_EXPR_LEN, MAX_NESTING, MAX_TERMS};

/// One problem and where in the expression it is.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{kind}")]
pub struct ExprError {
    pub kind: ExprErrorKind,
    pub span: Span,
}

impl ExprError {
    pub(super) fn new(kind: ExprErrorKind, span: Span) -> Self {
        Self { kind, span }
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ExprErrorKind {
    #[error("the expression is {0} bytes long; at most {max} (split it into several calculated tags)", max = MAX_EXPR_LEN)]
    TooLong(usize),
    #[error("the expression is empty")]
    Empty,
    #[error(
        "the expression nests more than {max} deep (parentheses, function calls, if, not, signs and powers count)",
        max = MAX_NESTING
    )]
    TooDeep,
    #[error("the expression has more than {max} terms (split it into several calculated tags)", max = MAX_TERMS)]
    TooManyTerms,
    #[error("{0}() takes at most {max} arguments", max = MAX_ARGS)]
    TooManyArgs(&'static str),
    #[error("unexpected character '{0}'")]
    UnexpectedChar(char),
    #[error("'=' alone is not an operator: compare with '=='")]
    SingleEquals,
    #[error("'!' alone is not an operator: write '!=' or 'not'")]
    Bang,
    #[error("'{0}' is not an operator here: join conditions with 'and' / 'or'")]
    CStyleLogic(&'static str),
    #[error("a quoted string is not closed")]
    UnclosedString,
    #[error("a '{{' is not closed: a tag name in braces ends with '}}'")]
    UnclosedBrace,
    #[error("'{{}}' names no tag")]
    EmptyBraces,
    #[error("this '(' is not closed")]
    UnclosedParen,
    #[error("'{0}' is not a number (a tag whose name starts with a digit goes in braces: {{{0}}})")]
    BadNumber(String),
    #[error("'{0}' is not a finite number")]
    NotFinite(String),
    #[error("'{0}' is not a duration: a number followed by ms, s, min or h, e.g. 60s")]
    BadDuration(String),
    #[error("expected {expected}, found {found}")]
    Expected { expected: &'static str, found: String },
    #[error("comparisons cannot be chained: write 'a < b and b < c'")]
    ChainedComparison,
    #[error("'{0}' is not a function (functions: min, max, abs, sqrt, avg, rate)")]
    UnknownFunction(String),
    #[error("unknown tag '{name}'{hint}")]
    UnknownTag { name: String, hint: String },
    #[error("{func}() takes {takes}")]
    Arity { func: &'static str, takes: &'static str },
    #[error("a duration such as 60s is only the window of avg() or rate()")]
    StrayDuration,
    #[error(
        "{0}() needs a tag as its first argument, e.g. {0}(sep01/oil_rate, 60s); to use an expression, make it a calculated tag first"
    )]
    NeedsTag(&'static str),
    #[error("the window of {0}() is a duration, e.g. 60s or 5min")]
    NeedsWindow(&'static str),
    #[error("a window must be from 100ms to 24h")]
    WindowRange,
    /// A value of the wrong type; the sentence names the operator and the types.
    #[error("{0}")]
    Type(String),
}
