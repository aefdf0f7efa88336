//! Screens in their own native windows (egui viewports), one per monitor in a control room, and the
//! layout remembered between runs: which screens were open, where, and how big.
//!
//! The layout file is small JSON written by its own thread (the UI thread never waits on the disk) when
//! the layout has changed and settled; it is read once at startup. A layout naming a screen the project
//! no longer has is shown from its home screen rather than refused.

use super::screen_view::{DrawCtx, ScreenAction, ScreenView, screen_page_ui};
use crate::screen::ScreenSet;
use crossbeam_channel::{Sender, bounded};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A moved or resized window is saved once it has been still this long (not on every drag step).
const SETTLE: Duration = Duration::from_secs(2);

/// One window as saved: its screen and its place on the desktop (points, as the window system reports).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WindowPlace {
    pub screen: String,
    pub pos: Option<[f32; 2]>,
    pub size: [f32; 2],
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScreenLayout {
    #[serde(default)]
    pub windows: Vec<WindowPlace>,
}

impl ScreenLayout {
    /// The saved layout, or an empty one (a missing or unreadable file is not worth refusing to start).
    pub fn read(path: &Path) -> Self {
        match std::fs::read_to_string(path) {
            Ok(text) => serde_json::from_str(&text).unwrap_or_else(|e| {
                tracing::warn!(path = %path.display(), error = %e, "screen layout unreadable; starting without it");
                Self::default()
            }),
            Err(_) => Self::default(),
        }
    }
}

struct ScreenWindow {
    /// Stable for the window's life: its viewport id.
    key: u64,
    view: ScreenView,
    place: WindowPlace,
}

/// The open screen windows and the layout writer.
pub struct ScreenWindows {
    windows: Vec<ScreenWindow>,
    next_key: u64,
    saver: Option<Sender<ScreenLayout>>,
    saved: ScreenLayout,
    changed_at: Option<Instant>,
}

impl ScreenWindows {
    /// Reopens the windows of `layout`; saves changes to `path` (`None`: not remembered, e.g. tests).
    pub fn new(layout: ScreenLayout, path: Option<PathBuf>) -> Self {
        let saver = path.and_then(|p| match start_saver(p) {
            Ok(tx) => Some(tx),
            Err(e) => {
                tracing::error!(error = %e, "screen layout will not be remembered");
                None
            }
        });
        let windows = layout
            .windows
            .iter()
            .enumerate()
            .map(|(i, p)| ScreenWindow {
                key: i as u64,
                view: ScreenView::showing(&p.screen),
                place: p.clone(),
            })
            .collect::<Vec<_>>();
        Self {
            next_key: windows.len() as u64,
            windows,
            saver,
            saved: layout,
            changed_at: None,
        }
    }

    pub fn open(&mut self, screen: &str) {
        self.windows.push(ScreenWindow {
            key: self.next_key,
            view: ScreenView::showing(screen),
            place: WindowPlace {
                screen: screen.to_owned(),
                pos: None,
                size: [1280.0, 760.0],
            },
        });
        self.next_key += 1;
    }

    /// The layout as it is now.
    pub fn layout(&self) -> ScreenLayout {
        ScreenLayout {
            windows: self.windows.iter().map(|w| w.place.clone()).collect(),
        }
    }

    /// Shows every window, each with `top` drawn first (the shell's top bar: alarms, trips, E-STOP);
    /// returns the first action an operator took in one of them.
    pub fn show(
        &mut self,
        ctx: &egui::Context,
        set: &ScreenSet,
        title: &str,
        cx: &DrawCtx<'_>,
        top: &mut dyn FnMut(&mut egui::Ui, egui::ViewportId),
    ) -> Option<ScreenAction> {
        let mut action = None;
        let mut closed = Vec::new();
        for w in &mut self.windows {
            let screen_title = w
                .view
                .current(set)
                .map_or_else(String::new, |s| s.title.get(cx.lang).to_owned());
            let mut builder = egui::ViewportBuilder::default()
                .with_title(format!("{title} — {screen_title}"))
                .with_inner_size(w.place.size)
                .with_min_inner_size([480.0, 320.0]);
            if let Some(p) = w.place.pos {
                builder = builder.with_position(p);
            }
            let id = egui::ViewportId::from_hash_of(("screen-window", w.key));
            let a = ctx.show_viewport_immediate(id, builder, |ui, _class| {
                let (close, outer, inner) = ui.input(|i| {
                    let v = i.viewport();
                    (v.close_requested(), v.outer_rect, v.inner_rect)
                });
                if close {
                    closed.push(w.key);
                }
                if let Some(r) = outer {
                    w.place.pos = Some([r.min.x, r.min.y]);
                }
                if let Some(r) = inner {
                    w.place.size = [r.width(), r.height()];
                }
                top(ui, id);
                egui::CentralPanel::default()
                    .frame(
                        egui::Frame::default()
                            .fill(super::theme::background())
                            .inner_margin(8.0),
                    )
                    .show(ui, |ui| screen_page_ui(ui, set, &mut w.view, cx))
                    .inner
            });
            if let Some(s) = w.view.current_id() {
                w.place.screen = s.to_owned();
            }
            action = action.or(a);
        }
        self.windows.retain(|w| !closed.contains(&w.key));
        action
    }

    /// Saves the layout once it has been still for a moment; called every frame, with windows open or
    /// not (closing the last window is a change to remember: it must not come back at the next start).
    pub fn save_when_settled(&mut self) {
        let Some(tx) = &self.saver else { return };
        let now = self.layout();
        if now == self.saved {
            self.changed_at = None;
            return;
        }
        let since = *self.changed_at.get_or_insert_with(Instant::now);
        if since.elapsed() >= SETTLE && tx.try_send(now.clone()).is_ok() {
            self.saved = now;
            self.changed_at = None;
        }
    }

    pub fn len(&self) -> usize {
        self.windows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.windows.is_empty()
    }
}

/// The layout writer: newest layout wins, written whole to a temporary file and renamed over the old
/// one, so a crash mid-write never leaves half a layout.
fn start_saver(path: PathBuf) -> std::io::Result<Sender<ScreenLayout>> {
    let (tx, rx) = bounded::<ScreenLayout>(4);
    std::thread::Builder::new()
        .name("layout-writer".into())
        .spawn(move || {
            while let Ok(mut layout) = rx.recv() {
                while let Ok(newer) = rx.try_recv() {
                    layout = newer;
                }
                if let Err(e) = write_layout(&path, &layout) {
                    tracing::error!(path = %path.display(), error = %e, "could not save the screen layout");
                }
            }
        })?;
    Ok(tx)
}

pub fn write_layout(path: &Path, layout: &ScreenLayout) -> std::io::Result<()> {
    let json = serde_json::to_string_pretty(layout).map_err(std::io::Error::other)?;
    // It lives among the site's records, private like them.
    crate::records::replace_file(path, json.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_layout_survives_a_round_trip_and_a_broken_file_starts_empty() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("layout.json");
        let layout = ScreenLayout {
            windows: vec![
                WindowPlace {
                    screen: "ct01".into(),
                    pos: Some([1920.0, 0.0]),
                    size: [1920.0, 1080.0],
                },
                WindowPlace {
                    screen: "esp03".into(),
                    pos: None,
                    size: [1280.0, 760.0],
                },
            ],
        };
        write_layout(&path, &layout).unwrap();
        assert_eq!(ScreenLayout::read(&path), layout);
        std::fs::write(&path, "{ not json").unwrap();
        assert_eq!(ScreenLayout::read(&path), ScreenLayout::default());
        assert_eq!(
            ScreenLayout::read(&dir.path().join("missing.json")),
            ScreenLayout::default()
        );
    }

    #[test]
    fn the_writer_saves_the_newest_layout_once_it_has_settled() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("layout.json");
        let mut w = ScreenWindows::new(ScreenLayout::default(), Some(path.clone()));
        w.open("ct01");
        w.save_when_settled();
        assert!(!path.exists(), "not before the layout has been still for a moment");
        w.changed_at = Some(Instant::now() - SETTLE);
        w.save_when_settled();
        let deadline = Instant::now() + Duration::from_secs(10);
        while ScreenLayout::read(&path).windows.len() != 1 {
            assert!(Instant::now() < deadline, "the layout was written");
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(ScreenLayout::read(&path).windows[0].screen, "ct01");
        // The last window closed is a layout too: nothing comes back at the next start.
        w.windows.clear();
        w.save_when_settled();
        w.changed_at = Some(Instant::now() - SETTLE);
        w.save_when_settled();
        let deadline = Instant::now() + Duration::from_secs(10);
        while !ScreenLayout::read(&path).windows.is_empty() {
            assert!(Instant::now() < deadline, "the empty layout was written");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
