//! The screen editor's model: a `screens/*.toml` file edited as a document, with undo and redo, checked
//! and saved as the engineer would by hand.
//!
//! One truth: the editor changes the file's TOML (with `toml_edit`), never a copy of the screen in
//! another form, so what it saves is what a text editor would have produced — comments, order and layout
//! of everything it did not touch stay byte-for-byte. `doc` (elements addressed in the file and the
//! changes made to them), `undo` (every change since the file was opened, bounded), `file` (opening,
//! checking with the project loader, and saving: atomic, with a backup, never over a change made on disk
//! meanwhile), `session` (one open file: its document, history, the screen it makes now and its
//! problems; a change the loader would report is refused), `worker` (the disk, on a thread of its own).
//!
//! No egui here: the console's editor page draws this model. Roles and the audit trail are the caller's:
//! `file::save` says what it wrote (the file's hash) for the audit entry.

pub mod doc;
pub mod file;
pub mod session;
pub mod template;
pub mod undo;
pub mod worker;

pub use doc::{ElementKind, ElementRef, ScreenDoc};
pub use file::{OpenedScreen, SaveError, Saved};
pub use session::{EditSession, Refused};
pub use undo::Undo;
pub use worker::Worker;
