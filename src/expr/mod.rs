//! The expression language: comparisons shared by every condition in the project, and the expressions of
//! calculated tags (`[[tag]] expr = "…"` in site.toml), from text to a value with its quality.
//!
//! Owns lexing, parsing (with limits), type checking against the site's tags, and evaluation with
//! quality. Must not touch the tag table, the hub, the clock or any file: the caller hands in a way to read
//! inputs and the time, and turns the byte spans of errors into `path:line:col`.
//!
//! # The language
//! - Numbers (`42`, `0.5`, `1e3`; finite only), text in double quotes (`"RIH"`), `true`, `false`.
//! - Tags by name: `ct01/weight`. A bare name runs over letters, digits and `_ . / : -`, so
//!   `sep01/gas_rate/sep01/oil_rate` is ONE name: put spaces around `/` and `-` to divide or subtract
//!   (`sep01/gas_rate / sep01/oil_rate`). Any name, including one that starts with a digit or is a
//!   keyword, can be written in braces: `{01-x/a}`.
//! - Operators, loosest first: `if C then A else B`; `or`; `and`; `not`; `== != < <= > >=` (not chained);
//!   `+ -`; `* / %`; unary `-`; `^` (power, right-associative). Parentheses group.
//! - Types: numbers (`f64` and `i64` tags), true/false (`bool` tags) and text (`string` tags).
//!   Arithmetic, ordering comparisons and the functions take numbers; `and`, `or`, `not` and the condition
//!   of `if` take true/false; `==` and `!=` compare two values of one type; both branches of an `if` have
//!   one type. A numeric result is stored as `f64`.
//! - Functions:
//!   - `min(a, b, …)`, `max(a, b, …)`: the least / greatest of one to 32 numbers.
//!   - `abs(x)`: the magnitude; `sqrt(x)`: the square root (of a negative number: a math error).
//!   - `avg(TAG, W)`: the time-weighted average of TAG over the last W (`500ms`, `10s`, `5min`, `2h`;
//!     100 ms to 24 h): each value counts for as long as the tag held it, time while the tag was bad
//!     does not count, and there is a value once the tag has been good for half the window.
//!   - `rate(TAG)`, `rate(TAG, W)`: the change of TAG per minute over the last W (default 60 s), signed
//!     (`rate(p) < -300` is a fall), as trip rules measure it; a value once a reading a whole window old
//!     is kept.
//!
//!   Windows keep fixed memory (60 buckets each) and slide in steps of 1/60 of their length, on the
//!   hub's clock. Their TAG is a tag, not an expression: to average an expression, make it a calculated
//!   tag and average that.
//!
//! # Quality
//! See `eval`: a bad input that is needed makes the result bad with the input's reason (stale stays
//! stale); `if` reads only the branch taken and `and`/`or` are three-valued; an Uncertain input makes the
//! result Uncertain; division by zero, the square root of a negative number, NaN or infinity is
//! `BadReason::MathError`, never a number; a window without enough history is `WaitingForData`.
//!
//! # Limits
//! At most `MAX_EXPR_LEN` bytes, `MAX_NESTING` levels, `MAX_TERMS` terms and `MAX_ARGS` arguments a
//! call: a generated or hostile file gets a diagnostic, never a stack overflow or a slow scan.

mod ast;
mod check;
pub mod compare;
mod error;
mod eval;
mod lex;
mod parse;
mod window;

#[cfg(test)]
mod tests;

pub use ast::{Arith, Ast, Func, Node, Span};
pub use check::{Resolve, Type, compile, compile_str};
pub use compare::{CmpOp, Comparison};
pub use error::{ExprError, ExprErrorKind};
pub use eval::{Compiled, Input, Inputs, Outcome, State};
pub use parse::{MAX_ARGS, MAX_EXPR_LEN, MAX_NESTING, MAX_TERMS, parse};
