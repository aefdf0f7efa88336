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

/// Problems listed per file at most: past this the file was likely generated wrong or is not what its
/// name says, and more lines would bury the first ones, which are the ones to act on.
pub const MAX_LISTED_PER_FILE: usize = 200;

/// The lines that show `problems` to a person, one a problem, grouped by file (each file's in the order
/// given): at most `MAX_LISTED_PER_FILE` a file, then one line counting the rest of that file.
pub fn listing(problems: &[Diagnostic]) -> Vec<String> {
    let mut by_file: Vec<&Diagnostic> = problems.iter().collect();
    // Stable: a file's problems keep their order.
    by_file.sort_by(|a, b| a.path.cmp(&b.path));
    let mut lines = Vec::new();
    for file in by_file.chunk_by(|a, b| a.path == b.path) {
        lines.extend(file.iter().take(MAX_LISTED_PER_FILE).map(|d| d.to_string()));
        if let Some(more) = file.len().checked_sub(MAX_LISTED_PER_FILE).filter(|n| *n > 0) {
            lines.push(format!("{}: … and {more} more problem(s) in this file", file[0].path));
        }
    }
    lines
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

    /// A problem at byte range `inner` of a string value whose token (quotes included) is at `token`: the
    /// column is the problem's own inside the string, escapes and multi-line forms accounted for, so an
    /// expression's unknown tag is pointed at, not the expression's opening quote.
    pub fn at_in_string(&self, token: Range<usize>, inner: Range<usize>, message: impl Into<String>) -> Diagnostic {
        let offset = self
            .text
            .get(token.clone())
            .and_then(|raw| string_offset(raw, inner.start))
            .map_or(token.start, |o| token.start + o);
        self.at(offset..offset, message)
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

/// Where byte `decoded` of a TOML string's value lies in its token `raw` (quotes included); `None` when
/// `raw` is not a string token or is shorter.
fn string_offset(raw: &str, decoded: usize) -> Option<usize> {
    let (open, literal) = [("\"\"\"", false), ("'''", true), ("\"", false), ("'", true)]
        .into_iter()
        .find(|(q, _)| raw.starts_with(*q))?;
    let b = raw.as_bytes();
    let mut i = open.len();
    if open.len() == 3 {
        // A newline right after a multi-line string's opening quotes is not part of the string.
        i += ["\r\n", "\n"]
            .into_iter()
            .find(|nl| raw[i..].starts_with(*nl))
            .map_or(0, str::len);
    }
    let mut out = 0;
    while i < b.len() {
        // A line-ending backslash (multi-line strings): it and the blank space after it vanish.
        if !literal && b[i] == b'\\' && matches!(b.get(i + 1), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            i += 1;
            while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\r' | b'\n') {
                i += 1;
            }
            continue;
        }
        if out >= decoded {
            return Some(i);
        }
        if literal || b[i] != b'\\' {
            let len = raw[i..].chars().next().map_or(1, char::len_utf8);
            out += len;
            i += len;
            continue;
        }
        // An escape: what it stands for, and how long it is written.
        let (made, written) = match *b.get(i + 1)? {
            b'u' => (hex_char(raw.get(i + 2..i + 6)?)?, 6),
            b'U' => (hex_char(raw.get(i + 2..i + 10)?)?, 10),
            b'x' => (hex_char(raw.get(i + 2..i + 4)?)?, 4),
            _ => (1, 2),
        };
        out += made;
        i += written;
    }
    None
}

/// The UTF-8 length of the character a `\u`, `\U` or `\x` escape's hex digits stand for.
fn hex_char(hex: &str) -> Option<usize> {
    u32::from_str_radix(hex, 16)
        .ok()
        .and_then(char::from_u32)
        .map(char::len_utf8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_listing_is_bounded_per_file() {
        let at = |path: &str, line: usize| Diagnostic {
            path: path.to_owned(),
            line,
            col: 1,
            message: "wrong".to_owned(),
        };
        let mut problems: Vec<Diagnostic> = (1..=MAX_LISTED_PER_FILE + 5).map(|l| at("b.toml", l)).collect();
        problems.push(at("a.toml", 7));
        problems.push(at("c.toml", 3));
        let lines = listing(&problems);
        assert_eq!(lines.len(), 1 + MAX_LISTED_PER_FILE + 1 + 1);
        assert_eq!(lines[0], "a.toml:7:1: wrong");
        assert_eq!(lines[1], "b.toml:1:1: wrong");
        assert_eq!(
            lines[MAX_LISTED_PER_FILE],
            format!("b.toml:{MAX_LISTED_PER_FILE}:1: wrong")
        );
        assert_eq!(
            lines[MAX_LISTED_PER_FILE + 1],
            "b.toml: … and 5 more problem(s) in this file"
        );
        assert_eq!(lines[MAX_LISTED_PER_FILE + 2], "c.toml:3:1: wrong");
        assert_eq!(listing(&problems[..MAX_LISTED_PER_FILE]).len(), MAX_LISTED_PER_FILE);
    }

    #[test]
    fn a_place_inside_a_string_is_found_through_escapes_and_multi_line_forms() {
        // (TOML value, the text to point at inside it)
        for (value, target) in [
            ("\"a / b\"", "b"),
            ("'if x == \"RIH\" then y else z'", "z"),
            ("\"if x == \\\"RIH\\\" then y else z\"", "z"),
            ("\"\\u00f1 + zz\"", "zz"),
            ("\"\\U0001F600 + zz\"", "zz"),
            ("\"\\t\\\\ + zz\"", "zz"),
            ("\"\"\"\nsep01/gas_rate\n  / sep01/oil_rat\"\"\"", "sep01/oil_rat"),
            ("\"\"\"a + \\\n    bb\"\"\"", "bb"),
            ("'''\r\nx * yy'''", "yy"),
        ] {
            let text = format!("expr = {value}\n");
            let decoded: toml::Table = toml::from_str(&text).unwrap_or_else(|e| panic!("{value}: {e}"));
            let decoded = decoded["expr"].as_str().expect("a string").to_owned();
            let inner = decoded.rfind(target).expect("the target is in the value");
            let f = SourceFile::new("site.toml", &text);
            let token = 7..text.len() - 1;
            let d = f.at_in_string(token, inner..inner + target.len(), "here");
            let want = text.rfind(target).expect("written in the file");
            assert_eq!((d.line, d.col), f.line_col(want), "{value}");
        }
        // Not a string token: the token's own start.
        let f = SourceFile::new("site.toml", "x = 12\n");
        assert_eq!(f.at_in_string(4..6, 1..2, "here").col, 5);
    }

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
