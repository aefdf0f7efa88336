//! Undo and redo of every change since a file was opened in the editor: the file's whole text after each
//! change, so undoing back to the start gives the opened file byte-for-byte.
//!
//! Bounded by the text kept (`MAX_BYTES`): a long session on a big screen forgets its oldest steps, never
//! the newest, and says how many it can still undo.

/// Text kept for undo and redo together, at most (a 500-element screen is about 60 kB: hundreds of steps).
pub const MAX_BYTES: usize = 48 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct Undo {
    /// Oldest first; the last one is the text now.
    past: Vec<String>,
    /// What undo took back, newest undone last.
    future: Vec<String>,
    bytes: usize,
    /// Steps dropped for room (the start is then no longer reachable).
    forgotten: usize,
    /// The text the file on disk holds (as opened, or as last saved).
    saved: String,
}

impl Undo {
    /// The history of a file opened with `text`.
    pub fn new(text: String) -> Self {
        Self {
            bytes: text.len(),
            saved: text.clone(),
            past: vec![text],
            future: Vec::new(),
            forgotten: 0,
        }
    }

    /// The text now.
    pub fn current(&self) -> &str {
        self.past.last().map_or("", String::as_str)
    }

    /// A change was made: `text` is the file now. Nothing to redo after it. A change that changed nothing
    /// is no step.
    pub fn record(&mut self, text: String) {
        if text == self.current() {
            return;
        }
        for f in self.future.drain(..) {
            self.bytes -= f.len();
        }
        self.bytes += text.len();
        self.past.push(text);
        while self.bytes > MAX_BYTES && self.past.len() > 1 {
            let old = self.past.remove(0);
            self.bytes -= old.len();
            self.forgotten += 1;
        }
    }

    /// Back one step: the text to show, or `None` at the start.
    pub fn undo(&mut self) -> Option<&str> {
        if self.past.len() < 2 {
            return None;
        }
        let now = self.past.pop()?;
        self.future.push(now);
        Some(self.current())
    }

    /// Forward one step: the text to show, or `None` when nothing was undone.
    pub fn redo(&mut self) -> Option<&str> {
        let next = self.future.pop()?;
        self.past.push(next);
        Some(self.current())
    }

    pub fn can_undo(&self) -> usize {
        self.past.len() - 1
    }

    pub fn can_redo(&self) -> usize {
        self.future.len()
    }

    /// True when undo can go back no further: the text the file was opened with (unless the oldest
    /// steps were forgotten for room).
    pub fn at_start(&self) -> bool {
        self.forgotten == 0 && self.past.len() == 1
    }

    /// True when the text now is what the file on disk holds: closing the editor loses nothing.
    pub fn is_saved(&self) -> bool {
        self.current() == self.saved
    }

    /// The text now was saved. Every step stays undoable and redoable (an undone save is a change to
    /// save again).
    pub fn saved(&mut self) {
        self.saved = self.current().to_owned();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn undo_to_the_start_and_redo_to_the_end() {
        let mut u = Undo::new("a".into());
        assert!(u.undo().is_none());
        u.record("ab".into());
        u.record("ab".into()); // nothing changed: no step
        u.record("abc".into());
        assert_eq!((u.can_undo(), u.can_redo()), (2, 0));
        assert_eq!(u.undo(), Some("ab"));
        assert_eq!(u.undo(), Some("a"));
        assert!(u.at_start());
        assert_eq!(u.undo(), None);
        assert_eq!(u.redo(), Some("ab"));
        // A new change drops what could be redone.
        u.record("abd".into());
        assert_eq!(u.redo(), None);
        assert_eq!(u.undo(), Some("ab"));
        assert_eq!(u.current(), "ab");
    }

    #[test]
    fn what_is_saved_is_known_whichever_way_the_history_went() {
        let mut u = Undo::new("a".into());
        assert!(u.is_saved());
        u.record("ab".into());
        assert!(!u.is_saved());
        u.saved();
        assert!(u.is_saved());
        // Back to the text the file was opened with: the file on disk now holds "ab", so that is a change.
        assert_eq!(u.undo(), Some("a"));
        assert!(u.at_start());
        assert!(!u.is_saved());
        assert_eq!(u.redo(), Some("ab"));
        assert!(u.is_saved());
    }

    #[test]
    fn the_oldest_steps_go_when_the_history_is_full() {
        let big = "x".repeat(MAX_BYTES / 3);
        let mut u = Undo::new(big.clone());
        for i in 0..5 {
            u.record(format!("{big}{i}"));
        }
        assert!(u.bytes <= MAX_BYTES);
        assert!(u.can_undo() < 5);
        assert!(!u.at_start());
        while u.undo().is_some() {}
        assert_ne!(u.current(), big, "the start was forgotten for room");
    }
}
