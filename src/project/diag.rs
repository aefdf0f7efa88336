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

/// A file's text and its display path, able to turn byte offsets into line:col. The line starts are
/// indexed once, so locating a problem costs a binary search and one line, not a scan from the top: a
/// file with 50,000 alarms, each located, stays linear.
pub struct SourceFile<'a> {
    pub path: &'a str,
    pub text: &'a str,
    /// Byte offset where each line starts (`line_starts[0] == 0`).
    line_starts: Vec<usize>,
}

impl<'a> SourceFile<'a> {
    pub fn new(path: &'a str, text: &'a str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        Self {
            path,
            text,
            line_starts,
        }
    }

    /// 1-based line and character column of a byte offset (clamped to the text).
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        // The number of line starts at or before the offset is its 1-based line.
        let line = self.line_starts.partition_point(|&s| s <= offset);
        let start = self.line_starts[line - 1];
        (line, self.text[start..offset].chars().count() + 1)
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
        let empty = SourceFile::new("e.toml", "");
        assert_eq!(empty.line_col(0), (1, 1));
        let blank = SourceFile::new("b.toml", "x\r\n\n\ny");
        assert_eq!(blank.line_col(2), (1, 3), "a CR belongs to its line");
        assert_eq!(blank.line_col(4), (3, 1));
        assert_eq!(blank.line_col(5), (4, 1));
    }
}
