//! Screens and symbols: the validated, immutable definitions of the P&ID displays (`def`), the path-data
//! subset symbol files draw with (`path`), the cell the console reads the screens on display from
//! (`ScreenCell`), and what it shows of a file that stopped loading (`broken::WhileBroken`).
//!
//! Only the types: reading and checking the files is `project::screens`, swapping a new set in on an edit is
//! `project::watch` and `project::reload`, drawing is `ui::screen_view`. Must not import `project` (which
//! builds these types) or egui.

pub mod broken;
pub mod def;
pub mod path;

pub use broken::WhileBroken;
pub use def::{Element, Ink, Screen, ScreenSet, Symbol};

/// The screens a console shows now: swapped whole by a reload, read without waiting by every frame.
pub type ScreenCell = std::sync::Arc<arc_swap::ArcSwap<ScreenSet>>;
