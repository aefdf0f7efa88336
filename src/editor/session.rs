//! One screen file open in the editor: its document, every change since it was opened (undo), the screen
//! as the project loader makes it from the text now (the preview the editor draws, live data and all) and
//! the problems the loader finds in it.
//!
//! Every change goes through `apply`: a change after which the loader reports a problem it did not report
//! before is refused with the loader's own message (`file:line:col: message`, as `wellconsole check`
//! says it) and nothing changes. So a broken value is refused at the field where it was typed, and the
//! text the editor holds is always one the console could show.
//!
//! No I/O and no thread: the project's files come from `worker`, which also saves; roles and the audit
//! trail are the caller's.

use super::doc::{EditError, ScreenDoc};
use super::file::OpenedScreen;
use super::undo::Undo;
use crate::project::ProjectFiles;
use crate::project::diag::Diagnostic;
use crate::screen::def::{Screen, ScreenSet};
use crate::tag::TagDirectory;
use std::sync::Arc;

/// A change the editor did not make, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// The document could not make it (no such element, a point that is not `[x, y]`).
    #[error("{0}")]
    Edit(String),
    /// The loader would report this problem with the change made.
    #[error("{0}")]
    Problem(String),
}

impl From<EditError> for Refused {
    fn from(e: EditError) -> Self {
        Refused::Edit(e.to_string())
    }
}

/// A screen file being edited (see the module's doc).
pub struct EditSession {
    opened: OpenedScreen,
    /// The project as read when the file was opened (the other screens, the symbols).
    files: ProjectFiles,
    tags: Arc<TagDirectory>,
    doc: ScreenDoc,
    undo: Undo,
    /// The screen shown: its id may change (a template's asset, a renamed screen).
    screen_id: Arc<str>,
    /// The screens the file makes from the text now (several for a templated screen), the last good
    /// ones while the text has a problem (only a file opened with one can).
    preview: Vec<Arc<Screen>>,
    /// The symbols the preview draws with, for the palette.
    set: Arc<ScreenSet>,
    problems: Vec<Diagnostic>,
}

impl EditSession {
    /// Opens `opened` (one of `files`' screen files) showing the screen `screen_id` (or the file's first).
    pub fn open(
        opened: OpenedScreen,
        files: ProjectFiles,
        tags: Arc<TagDirectory>,
        screen_id: &str,
    ) -> Result<Self, Refused> {
        let doc = ScreenDoc::parse(&opened.text)?;
        let mut s = Self {
            undo: Undo::new(opened.text.clone()),
            opened,
            files,
            tags,
            doc,
            screen_id: screen_id.into(),
            preview: Vec::new(),
            set: Arc::new(ScreenSet::default()),
            problems: Vec::new(),
        };
        let text = s.opened.text.clone();
        s.problems = s.load(&text);
        Ok(s)
    }

    pub fn opened(&self) -> &OpenedScreen {
        &self.opened
    }

    /// `screens/NAME.toml`.
    pub fn rel(&self) -> &str {
        &self.opened.rel
    }

    pub fn files(&self) -> &ProjectFiles {
        &self.files
    }

    pub fn doc(&self) -> &ScreenDoc {
        &self.doc
    }

    /// The file's text now.
    pub fn text(&self) -> &str {
        self.undo.current()
    }

    /// The screen shown, as the file makes it now.
    pub fn screen(&self) -> Option<&Arc<Screen>> {
        self.preview
            .iter()
            .find(|s| s.id == self.screen_id)
            .or_else(|| self.preview.first())
    }

    /// Every screen and symbol of the project with this file's text now.
    pub fn screen_set(&self) -> &ScreenSet {
        &self.set
    }

    /// The same, shared (cheap to hold across a frame).
    pub fn shared_set(&self) -> Arc<ScreenSet> {
        self.set.clone()
    }

    /// What the loader reports with the text now (empty: it may be saved).
    pub fn problems(&self) -> &[Diagnostic] {
        &self.problems
    }

    pub fn undo_steps(&self) -> usize {
        self.undo.can_undo()
    }

    pub fn redo_steps(&self) -> usize {
        self.undo.can_redo()
    }

    /// True when the file on disk holds the text now.
    pub fn is_saved(&self) -> bool {
        self.undo.is_saved()
    }

    /// Makes the change `edit` makes to the document, unless it fails or the loader would report a problem
    /// it does not report now: then nothing changes and the reason comes back. A change that changes
    /// nothing is no undo step.
    pub fn apply<T>(&mut self, edit: impl FnOnce(&mut ScreenDoc) -> Result<T, EditError>) -> Result<T, Refused> {
        let mut next = self.doc.clone();
        let out = edit(&mut next)?;
        let text = next.text();
        if text == self.text() {
            return Ok(out);
        }
        let (preview, set, problems) = self.loaded(&text);
        if let Some(new) = first_new(&self.problems, &problems) {
            return Err(Refused::Problem(new.to_string()));
        }
        self.doc = next;
        self.undo.record(text);
        self.keep(preview, set, problems);
        Ok(out)
    }

    /// Back one change; false at the start.
    pub fn undo(&mut self) -> bool {
        let Some(text) = self.undo.undo().map(str::to_owned) else {
            return false;
        };
        self.show(&text);
        true
    }

    /// Forward one undone change; false when there is none.
    pub fn redo(&mut self) -> bool {
        let Some(text) = self.undo.redo().map(str::to_owned) else {
            return false;
        };
        self.show(&text);
        true
    }

    /// The file was saved as `opened` (its text is the text now).
    pub fn saved(&mut self, opened: OpenedScreen) {
        self.opened = opened;
        self.undo.saved();
    }

    /// Reopens the file as it is on disk now (the engineer chose the disk's version over their changes):
    /// a new history starts.
    pub fn reopen(&mut self, opened: OpenedScreen, files: ProjectFiles) -> Result<(), Refused> {
        let doc = ScreenDoc::parse(&opened.text)?;
        self.files = files;
        self.doc = doc;
        self.undo = Undo::new(opened.text.clone());
        let text = opened.text.clone();
        self.opened = opened;
        self.problems = self.load(&text);
        Ok(())
    }

    /// Shows `text` (an undo step: it was accepted once, so it is not checked again).
    fn show(&mut self, text: &str) {
        if let Ok(doc) = ScreenDoc::parse(text) {
            self.doc = doc;
        }
        self.problems = self.load(text);
    }

    /// Loads `text` as the file and keeps what it makes; returns its problems.
    fn load(&mut self, text: &str) -> Vec<Diagnostic> {
        let (preview, set, problems) = self.loaded(text);
        self.keep(preview, set, problems.clone());
        problems
    }

    fn keep(&mut self, preview: Option<Vec<Arc<Screen>>>, set: Option<Arc<ScreenSet>>, problems: Vec<Diagnostic>) {
        if let Some(p) = preview {
            if !p.iter().any(|s| s.id == self.screen_id)
                && let Some(first) = p.first()
            {
                self.screen_id = first.id.clone();
            }
            self.preview = p;
        }
        if let Some(set) = set {
            self.set = set;
        }
        self.problems = problems;
    }

    /// The screens the file makes with `text`, the project's screens and symbols with it, and the
    /// problems the loader reports (screens and symbols: what a screen file can break).
    #[allow(clippy::type_complexity)]
    fn loaded(&self, text: &str) -> (Option<Vec<Arc<Screen>>>, Option<Arc<ScreenSet>>, Vec<Diagnostic>) {
        let files = self.files.with_file(&self.opened.rel, text);
        match crate::project::screens::load(&files, &self.tags) {
            Ok(set) => {
                let here = format!("{}:", files.display_path(&self.opened.rel));
                let mine = set
                    .screens
                    .iter()
                    .filter(|s| s.defined_at.starts_with(&here))
                    .cloned()
                    .collect();
                (Some(mine), Some(Arc::new(set)), Vec::new())
            }
            Err(mut problems) => {
                problems.sort_by(|a, b| (&a.path, a.line, a.col).cmp(&(&b.path, b.line, b.col)));
                problems.dedup();
                (None, None, problems)
            }
        }
    }
}

/// The first problem in `after` that `before` does not have (by message: an edit moves lines about), each
/// message counted as often as it is reported.
fn first_new<'a>(before: &[Diagnostic], after: &'a [Diagnostic]) -> Option<&'a Diagnostic> {
    let mut left: Vec<&str> = before.iter().map(|d| d.message.as_str()).collect();
    after.iter().find(|d| match left.iter().position(|m| *m == d.message) {
        Some(i) => {
            left.swap_remove(i);
            false
        }
        None => true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::editor::ElementRef;
    use crate::editor::doc::{ElementKind, number};
    use crate::screen::def::Pt;

    fn demo() -> EditSession {
        let files = ProjectFiles::embedded_demo();
        let project = crate::project::Project::load(files.clone()).expect("demo loads");
        let rel = "screens/ct01.toml";
        let text = files.get(rel).unwrap().to_owned();
        let opened = OpenedScreen {
            root: "/nowhere".into(),
            rel: rel.into(),
            hash: crate::editor::file::hash(&text),
            text,
        };
        EditSession::open(opened, files, project.site.tags.clone(), "ct01").unwrap()
    }

    #[test]
    fn opens_the_screen_it_was_asked_for_with_no_problems() {
        let s = demo();
        assert_eq!(&*s.screen().unwrap().id, "ct01");
        assert!(s.problems().is_empty());
        assert!(s.is_saved());
        assert_eq!(s.undo_steps(), 0);
    }

    #[test]
    fn a_move_changes_the_preview_and_undoes_to_the_opened_text() {
        let mut s = demo();
        let first = s.screen().unwrap().clone();
        let i = first
            .elements
            .iter()
            .position(|e| matches!(e, crate::screen::def::Element::Symbol(_)))
            .unwrap();
        let r = ElementRef::of(&first.written[i]).unwrap();
        s.apply(|d| d.translate(std::slice::from_ref(&r), Pt::new(10.0, 0.0)))
            .unwrap();
        let moved = s.screen().unwrap().elements[i].bounds();
        assert_eq!(moved.at.x, first.elements[i].bounds().at.x + 10.0);
        assert!(!s.is_saved());
        assert!(s.undo());
        assert_eq!(s.text(), s.opened().text);
        assert!(s.is_saved());
        assert!(s.redo());
        assert_eq!(s.screen().unwrap().elements[i].bounds().at.x, moved.at.x);
    }

    #[test]
    fn a_change_the_loader_would_report_is_refused_with_its_message() {
        let mut s = demo();
        let before = s.text().to_owned();
        let gauge = ElementRef::top(ElementKind::Gauge, 0);
        let e = s
            .apply(|d| d.set(&gauge, "tag", toml_edit::Value::from("ct01/no_such_tag")))
            .unwrap_err();
        assert!(
            matches!(&e, Refused::Problem(m) if m.contains("screens/ct01.toml:") && m.contains("ct01/no_such_tag")),
            "{e}"
        );
        assert_eq!(s.text(), before, "nothing changed");
        assert_eq!(s.undo_steps(), 0);
        // A good value is taken.
        let value = ElementRef::inside(&[0], ElementKind::Value, 0);
        s.apply(|d| d.set(&value, "decimals", number(2.0))).unwrap();
        assert_eq!(s.undo_steps(), 1);
    }

    #[test]
    fn only_new_problems_count() {
        let d = |m: &str| Diagnostic {
            path: "p".into(),
            line: 1,
            col: 1,
            message: m.into(),
        };
        assert!(first_new(&[d("a")], &[d("a")]).is_none());
        assert_eq!(first_new(&[d("a")], &[d("a"), d("a")]).unwrap().message, "a");
        assert_eq!(first_new(&[], &[d("b")]).unwrap().message, "b");
        assert!(first_new(&[d("a"), d("b")], &[d("b")]).is_none());
    }
}
