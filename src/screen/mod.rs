//! Screens and symbols: the validated, immutable definitions of the P&ID displays (`def`), and the
//! path-data subset symbol files draw with (`path`), and the hot-reload watcher (`reload`, a thread that
//! swaps a `ScreenCell`). Loading and checking the files is `project::screens`;
//! drawing them is `ui::screen_view`. No egui here.

pub mod def;
pub mod path;
pub mod reload;

pub use def::{Element, Ink, Screen, ScreenSet, Symbol};

/// The screens a console shows now: swapped whole by a reload, read without waiting by every frame.
pub type ScreenCell = std::sync::Arc<arc_swap::ArcSwap<ScreenSet>>;
