//! Tokens of an expression, each with its byte span.
//!
//! A bare name runs over `[A-Za-z_][A-Za-z0-9_./:-]*`, so `ct01/weight` is one name and division or
//! subtraction needs spaces (`sep01/gas_rate / sep01/oil_rate`); any other name goes in braces
//! (`{01-x/a b}`). Keywords and function names are names here; the parser tells them apart. A number
//! directly followed by `ms`, `s`, `min` or `h` is a duration (`60s`).

use super::ast::Span;
use super::compare::CmpOp;
use super::error::{ExprError, ExprErrorKind as K};
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    Num(f64),
    Duration(Duration),
    Text(Arc<str>),
    /// A bare name: a tag, a keyword or a function.
    Name(String),
    /// `{…}`: always a tag.
    Braced(String),
    Open,
    Close,
    Comma,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    Caret,
    Cmp(CmpOp),
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Token {
    pub tok: Tok,
    pub span: Span,
}

/// The words that are never a bare tag name.
pub(super) const KEYWORDS: [&str; 8] = ["and", "or", "not", "if", "then", "else", "true", "false"];

fn is_name_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'/' | b':' | b'-')
}

/// Whether a token is a term (a value the expression reads or states), for the terms limit.
pub(super) fn is_term(t: &Tok) -> bool {
    match t {
        Tok::Num(_) | Tok::Duration(_) | Tok::Text(_) | Tok::Braced(_) => true,
        Tok::Name(n) => !KEYWORDS.contains(&n.as_str()) || n == "true" || n == "false",
        _ => false,
    }
}

pub(super) fn tokens(text: &str) -> Result<Vec<Token>, ExprError> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let err = |kind, start: usize, end: usize| Err(ExprError::new(kind, Span::new(start, end)));
    while i < b.len() {
        let start = i;
        let next = b.get(i + 1).copied();
        let tok = match b[i] {
            c if c.is_ascii_whitespace() => {
                i += 1;
                continue;
            }
            b'(' => Tok::Open,
            b')' => Tok::Close,
            b',' => Tok::Comma,
            b'+' => Tok::Plus,
            b'-' => Tok::Minus,
            b'*' => Tok::Star,
            b'/' => Tok::Slash,
            b'%' => Tok::Percent,
            b'^' => Tok::Caret,
            b'=' if next == Some(b'=') => Tok::Cmp(CmpOp::Eq),
            b'=' => return err(K::SingleEquals, i, i + 1),
            b'!' if next == Some(b'=') => Tok::Cmp(CmpOp::Ne),
            b'!' => return err(K::Bang, i, i + 1),
            b'<' if next == Some(b'=') => Tok::Cmp(CmpOp::Le),
            b'<' => Tok::Cmp(CmpOp::Lt),
            b'>' if next == Some(b'=') => Tok::Cmp(CmpOp::Ge),
            b'>' => Tok::Cmp(CmpOp::Gt),
            b'&' if next == Some(b'&') => return err(K::CStyleLogic("&&"), i, i + 2),
            b'|' if next == Some(b'|') => return err(K::CStyleLogic("||"), i, i + 2),
            b'"' => {
                let Some(len) = text[i + 1..].find('"') else {
                    return err(K::UnclosedString, i, b.len());
                };
                i += len + 2;
                out.push(Token {
                    tok: Tok::Text(Arc::from(&text[start + 1..i - 1])),
                    span: Span::new(start, i),
                });
                continue;
            }
            b'{' => {
                let Some(len) = text[i + 1..].find('}') else {
                    return err(K::UnclosedBrace, i, b.len());
                };
                let name = text[i + 1..i + 1 + len].trim();
                if name.is_empty() {
                    return err(K::EmptyBraces, i, i + len + 2);
                }
                i += len + 2;
                out.push(Token {
                    tok: Tok::Braced(name.to_owned()),
                    span: Span::new(start, i),
                });
                continue;
            }
            c if c.is_ascii_digit() || (c == b'.' && next.is_some_and(|n| n.is_ascii_digit())) => {
                let (tok, end) = number(text, i)?;
                i = end;
                out.push(Token {
                    tok,
                    span: Span::new(start, i),
                });
                continue;
            }
            c if is_name_start(c) => {
                while i < b.len() && is_name_byte(b[i]) {
                    i += 1;
                }
                out.push(Token {
                    tok: Tok::Name(text[start..i].to_owned()),
                    span: Span::new(start, i),
                });
                continue;
            }
            _ => {
                let c = text[i..].chars().next().unwrap_or('?');
                return err(K::UnexpectedChar(c), i, i + c.len_utf8());
            }
        };
        // The one- and two-byte operators.
        i += if matches!(tok, Tok::Cmp(CmpOp::Eq | CmpOp::Ne | CmpOp::Le | CmpOp::Ge)) {
            2
        } else {
            1
        };
        out.push(Token {
            tok,
            span: Span::new(start, i),
        });
    }
    Ok(out)
}

/// A number or a duration starting at `start`, and where it ends.
fn number(text: &str, start: usize) -> Result<(Tok, usize), ExprError> {
    let b = text.as_bytes();
    let digits = |mut i: usize| {
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        i
    };
    let mut i = digits(start);
    if b.get(i) == Some(&b'.') {
        i = digits(i + 1);
    }
    // An exponent only when digits follow (`2e3`, `2e-3`); otherwise the letters are a unit or a mistake.
    if matches!(b.get(i), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(b.get(i + 1), Some(b'+' | b'-')));
        if b.get(i + 1 + sign).is_some_and(u8::is_ascii_digit) {
            i = digits(i + 1 + sign);
        }
    }
    let num_end = i;
    while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
        i += 1;
    }
    let unit_end = i;
    // Letters then '/' (or another name character): a tag whose name starts with a digit (`01x/a`).
    let name_like = unit_end > num_end && i < b.len() && is_name_byte(b[i]);
    if name_like {
        while i < b.len() && is_name_byte(b[i]) {
            i += 1;
        }
    }
    let written = &text[start..i];
    let span = Span::new(start, i);
    let bad_number = || ExprError::new(K::BadNumber(written.to_owned()), span);
    let x: f64 = text[start..num_end].parse().map_err(|_| bad_number())?;
    if !x.is_finite() {
        return Err(ExprError::new(K::NotFinite(written.to_owned()), span));
    }
    if name_like {
        return Err(bad_number());
    }
    let unit_secs = match &text[num_end..unit_end] {
        "" => return Ok((Tok::Num(x), i)),
        "ms" => 1e-3,
        "s" => 1.0,
        "min" => 60.0,
        "h" => 3600.0,
        unit if unit.len() <= 3 && unit.bytes().all(|c| c.is_ascii_alphabetic()) => {
            return Err(ExprError::new(K::BadDuration(written.to_owned()), span));
        }
        _ => return Err(bad_number()),
    };
    let d = Duration::try_from_secs_f64(x * unit_secs)
        .map_err(|_| ExprError::new(K::BadDuration(written.to_owned()), span))?;
    Ok((Tok::Duration(d), i))
}
