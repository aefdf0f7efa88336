//! Diagnostics for project files: `path:line:col: message`, written for the engineer who must fix it.

use std::fmt;
use std::ops::Range;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub path: String,
    /// 1-based line and column (column counted in characters).
    pub line: usize,
    pub col: usize,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: {}", self.path, self.line, self.col, self.message)
    }
}

/// A file's text and its display path, able to turn byte offsets into line:col.
pub struct SourceFile<'a> {
    pub path: &'a str,
    pub text: &'a str,
}

impl<'a> SourceFile<'a> {
    pub fn new(path: &'a str, text: &'a str) -> Self {
        Self { path, text }
    }

    /// 1-based line and character column of a byte offset (clamped to the text).
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        (line, before[line_start..].chars().count() + 1)
    }

    pub fn at(&self, span: Range<usize>, message: impl Into<String>) -> Diagnostic {
        let (line, col) = self.line_col(span.start);
        Diagnostic {
            path: self.path.to_owned(),
            line,
            col,
            message: message.into(),
        }
    }

    pub fn at_line(&self, line: usize, col: usize, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            path: self.path.to_owned(),
            line,
            col,
            message: message.into(),
        }
    }

    /// A TOML syntax or schema error, located by its span when the parser gives one.
    pub fn toml_error(&self, e: &toml::de::Error) -> Diagnostic {
        let message = e.message().trim().to_owned();
        match e.span() {
            Some(span) => self.at(span, message),
            None => self.at_line(1, 1, message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters() {
        let f = SourceFile::new("x.toml", "a = 1\nñandú = \"x\"\n");
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(6), (2, 1));
        // byte 16 is after "ñandú = " (10 bytes: ñ and ú take 2 each), i.e. character column 9
        assert_eq!(f.line_col(16), (2, 9));
        assert_eq!(f.line_col(999), (3, 1));
    }
}
