//! Reading a project TOML file part by part, so one problem does not hide the next: the text is parsed
//! once (a syntax error is the file's one problem: the parser stops there), then each entry of a list
//! (`[[tag]]`, `[[alarm]]`, a screen's `[[value]]`…) is deserialized on its own, and what is left of the
//! table (its keys and tables such as `[site]`) together; when one of those is wrong it is reported, left
//! out and the rest read again. Every problem carries the span the parser gave it in the whole file.
//!
//! Owns no project rule: which keys are lists is each loader's knowledge, and a loader still refuses a
//! file with any problem (a part that was read is for the checks that follow, never for a running
//! console).

use super::diag::{Diagnostic, SourceFile};
use serde::de::DeserializeOwned;
use std::borrow::Cow;
use std::ops::Range;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

/// Keys of one table left out for a problem before its reading stops (each try reads the whole rest).
const MAX_LEFT_OUT: usize = 32;

/// A parsed TOML table whose parts have not all been read yet.
pub(super) struct Parts<'i> {
    table: DeTable<'i>,
    /// The table's own span: the file's is `0..0`, a `[[group]]`'s its header.
    span: Range<usize>,
}

impl<'i> Parts<'i> {
    /// The file's top-level table, or its syntax error.
    pub(super) fn parse(src: &SourceFile<'i>) -> Result<Self, Diagnostic> {
        let doc = DeTable::parse(src.text).map_err(|e| src.toml_error(&e))?;
        let span = doc.span();
        Ok(Self {
            table: doc.into_inner(),
            span,
        })
    }

    /// A table found inside another (a `[[group]]` entry), or the value back when it is not a table.
    pub(super) fn of(value: Spanned<DeValue<'i>>) -> Result<Self, Spanned<DeValue<'i>>> {
        let span = value.span();
        match value.into_inner() {
            DeValue::Table(table) => Ok(Self { table, span }),
            other => Err(Spanned::new(span, other)),
        }
    }

    /// The text of `key`, when it is text (a name to remember even if the rest turns out wrong).
    pub(super) fn text_of(&self, key: &str) -> Option<String> {
        self.table
            .get(key)
            .and_then(|v| v.get_ref().as_str())
            .map(str::to_owned)
    }

    /// Leaves `key` out unread (another loader reads it).
    pub(super) fn remove(&mut self, key: &str) {
        self.table.remove(key);
    }

    /// Takes the list `key` (`[[key]]` tables or an inline array) and deserializes each entry on its own,
    /// in file order: the entries that fit; each one that does not has its problem pushed.
    pub(super) fn list<T: DeserializeOwned>(
        &mut self,
        key: &str,
        src: &SourceFile<'_>,
        errs: &mut Vec<Diagnostic>,
    ) -> Vec<T> {
        self.take_list(key, src, errs)
            .into_iter()
            .filter_map(|v| entry(v, src, errs))
            .collect()
    }

    /// As `list`, with the `name` of each entry that did not fit (when it has a text one), so what refers
    /// to it can stay quiet instead of calling it undefined as well.
    pub(super) fn list_named<T: DeserializeOwned>(
        &mut self,
        key: &str,
        src: &SourceFile<'_>,
        errs: &mut Vec<Diagnostic>,
    ) -> (Vec<T>, Vec<String>) {
        let mut entries = Vec::new();
        let mut broken = Vec::new();
        for v in self.take_list(key, src, errs) {
            // Borrowed from the text: keeping it costs nothing for the entries that fit.
            let name: Option<Cow<'i, str>> = match v.get_ref().get("name").map(Spanned::get_ref) {
                Some(DeValue::String(s)) => Some(s.clone()),
                _ => None,
            };
            match entry(v, src, errs) {
                Some(t) => entries.push(t),
                None => broken.extend(name.map(Cow::into_owned)),
            }
        }
        (entries, broken)
    }

    /// Takes the list `key` unread, for entries that hold lists of their own (a screen's groups). A `key`
    /// that is not a list has its problem pushed (serde's words: the same as when the file is read whole).
    pub(super) fn take_list(
        &mut self,
        key: &str,
        src: &SourceFile<'_>,
        errs: &mut Vec<Diagnostic>,
    ) -> Vec<Spanned<DeValue<'i>>> {
        let Some(value) = self.table.remove(key) else {
            return Vec::new();
        };
        let span = value.span();
        match value.into_inner() {
            DeValue::Array(a) => a.into_iter().collect(),
            other => {
                let _: Option<Vec<toml::Value>> = entry(Spanned::new(span, other), src, errs);
                Vec::new()
            }
        }
    }

    /// Deserializes what is left (keys and tables that are not lists) as one `T`. When a part of it does
    /// not fit, its problem is pushed, that key left out and the rest read again, so each bad table is
    /// reported; `None` when one that `T` requires was bad (or the table itself is: a missing field).
    pub(super) fn rest<T: DeserializeOwned>(mut self, src: &SourceFile<'_>, errs: &mut Vec<Diagnostic>) -> Option<T> {
        let mut left_out: Vec<String> = Vec::new();
        while left_out.len() <= MAX_LEFT_OUT {
            let whole = Spanned::new(self.span.clone(), DeValue::Table(self.table.clone()));
            let e = match T::deserialize(ValueDeserializer::from(whole)) {
                Ok(t) => return Some(t),
                Err(e) => e,
            };
            // A required key that was left out is missing now: that is not a second problem.
            if left_out.iter().any(|k| e.message() == format!("missing field `{k}`")) {
                return None;
            }
            let problem = src.toml_error(&e);
            if errs.last() == Some(&problem) {
                return None;
            }
            errs.push(problem);
            // A problem at the table itself (a missing field) names no key to leave out.
            let key = e
                .span()
                .filter(|s| *s != self.span)
                .and_then(|s| self.owner_of(s.start))?;
            self.table.remove(key.as_str());
            left_out.push(key);
        }
        None
    }

    /// The key whose part holds byte `offset`: the last one to start at or before it (a table runs from
    /// its header to the next one; plain keys come before every header).
    fn owner_of(&self, offset: usize) -> Option<String> {
        self.table
            .iter()
            .map(|(k, v)| (k.span().start.min(v.span().start), k))
            .filter(|(start, _)| *start <= offset)
            .max_by_key(|(start, _)| *start)
            .map(|(_, k)| k.get_ref().to_string())
    }
}

/// One entry deserialized on its own; its problem is pushed when it does not fit.
fn entry<T: DeserializeOwned>(
    value: Spanned<DeValue<'_>>,
    src: &SourceFile<'_>,
    errs: &mut Vec<Diagnostic>,
) -> Option<T> {
    match T::deserialize(ValueDeserializer::from(value)) {
        Ok(t) => Some(t),
        Err(e) => {
            errs.push(src.toml_error(&e));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize, Debug, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Item {
        name: String,
        n: i64,
    }

    #[derive(Deserialize, Debug, Default)]
    #[serde(deny_unknown_fields)]
    struct File {
        head: Option<Head>,
        other: Option<Head>,
        #[serde(default)]
        item: Vec<Item>,
    }

    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    struct Head {
        title: String,
    }

    fn read(text: &str) -> (Option<File>, Vec<Item>, Vec<String>, Vec<String>) {
        let src = SourceFile::new("f.toml", text);
        let mut errs = Vec::new();
        let Ok(mut parts) = Parts::parse(&src) else {
            return (None, Vec::new(), Vec::new(), vec!["syntax".into()]);
        };
        let (items, broken) = parts.list_named::<Item>("item", &src, &mut errs);
        let file = parts.rest::<File>(&src, &mut errs);
        let errs = errs
            .iter()
            .map(|d| format!("{}:{} {}", d.line, d.col, d.message))
            .collect();
        (file, items, broken, errs)
    }

    #[test]
    fn every_bad_entry_is_reported_and_the_good_ones_kept() {
        let text = "[head]\ntitle = \"t\"\n\n[[item]]\nname = \"a\"\nn = 1\n\n[[item]]\nname = \"b\"\nn = \"two\"\n\n\
                    [[item]]\nname = \"c\"\nn = 3\ncolour = 1\n\n[[item]]\nname = \"d\"\n\n[[item]]\nname = \"e\"\nn = 5\n";
        let (file, items, broken, errs) = read(text);
        let file = file.expect("the rest reads");
        assert_eq!(file.head.map(|h| h.title).as_deref(), Some("t"));
        assert!(file.item.is_empty(), "the list is taken out before the rest is read");
        let kept: Vec<(&str, i64)> = items.iter().map(|i| (i.name.as_str(), i.n)).collect();
        assert_eq!(kept, [("a", 1), ("e", 5)]);
        assert_eq!(broken, ["b", "c", "d"]);
        assert_eq!(errs.len(), 3, "{errs:?}");
        assert!(errs[0].starts_with("10:5 invalid type: string"), "{errs:?}");
        assert!(errs[1].starts_with("15:1 unknown field `colour`"), "{errs:?}");
        assert!(errs[2].starts_with("17:1 missing field `n`"), "{errs:?}");
    }

    #[test]
    fn each_bad_table_of_the_rest_is_reported() {
        let text = "junk = 1\n\n[head]\ntitle = 5\n\n[other]\ntitel = \"x\"\n\n[[item]]\nname = \"a\"\nn = 1\n";
        let (file, items, _, errs) = read(text);
        assert_eq!(items.len(), 1);
        assert_eq!(errs.len(), 3, "{errs:?}");
        assert!(
            errs.iter().any(|e| e.starts_with("1:1 unknown field `junk`")),
            "{errs:?}"
        );
        assert!(errs.iter().any(|e| e.starts_with("4:9 invalid type")), "{errs:?}");
        assert!(
            errs.iter().any(|e| e.starts_with("7:1 unknown field `titel`")),
            "{errs:?}"
        );
        let file = file.expect("the rest reads once the bad tables are left out");
        assert!(file.head.is_none() && file.other.is_none());
    }

    #[test]
    fn a_list_that_is_not_a_list_and_a_missing_table() {
        let (_, items, _, errs) = read("item = 5\n");
        assert!(items.is_empty());
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert!(errs[0].starts_with("1:8 invalid type: integer"), "{errs:?}");
        #[derive(Deserialize, Debug)]
        struct Needs {
            #[allow(dead_code)]
            head: Head,
        }
        let src = SourceFile::new("f.toml", "[head]\ntitel = 1\n");
        let mut errs = Vec::new();
        let parts = Parts::parse(&src).expect("parses");
        assert!(parts.rest::<Needs>(&src, &mut errs).is_none());
        assert_eq!(errs.len(), 1, "the missing [head] is not a second problem: {errs:?}");
        assert_eq!((errs[0].line, errs[0].col), (2, 1));
    }
}
