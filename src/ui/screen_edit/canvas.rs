//! The editor's canvas: the screen with live data under the EDITING frame, the selection's outlines and
//! resize handle, and what the pointer does on it — click to select (Shift or Ctrl adds), drag a box on
//! empty canvas to select what it encloses, drag the selection to move it (snapped to the grid and to
//! other elements' edges, the guides drawn), drag the handle to resize, drop a palette item to add it.
//!
//! The screen's own buttons and links do nothing while it is edited: the canvas takes the pointer.
//! Nothing here writes the file: moves, resizes and drops are handed to the editor when the drag ends.

use super::{GRID, ScreenEditor, palette::PaletteItem};
use crate::editor::doc::ElementRef;
use crate::lang::Lang;
use crate::screen::def::{Boxed, Pt, Screen};
use crate::ui::screen_view::{DrawCtx, Fit, ScreenView, canvas_in};
use crate::ui::theme;
use egui::{Align2, FontId, Pos2, Rect, Sense, Stroke, StrokeKind, Ui};

/// A drag in progress on the canvas.
#[derive(Debug, Clone)]
pub(super) enum Drag {
    /// The selection (`moved`: indexes into the screen's elements) moved by `delta` so far.
    Move {
        from: Pt,
        delta: Pt,
        moved: Vec<usize>,
        guides: Vec<Guide>,
    },
    /// A selection box from `from` to `to`.
    Box { from: Pt, to: Pt },
    /// The one selected element resized from its corner.
    Resize {
        index: usize,
        element: ElementRef,
        from: Pt,
        size0: Pt,
        size: Pt,
    },
}

/// A guide drawn while a moved edge lines up with another element's: a vertical (`x`) or horizontal line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Guide {
    X(f32),
    Y(f32),
}

impl Guide {
    /// (vertical, where): what `drag_frame_ui` draws.
    pub fn line(self) -> (bool, f32) {
        match self {
            Guide::X(x) => (true, x),
            Guide::Y(y) => (false, y),
        }
    }
}

/// Where the pointer snaps to another element's edge from, in screen pixels.
const SNAP_PX: f32 = 6.0;

/// `p` on the grid.
pub(super) fn snap_point(p: Pt) -> Pt {
    Pt::new((p.x / GRID).round() * GRID, (p.y / GRID).round() * GRID)
}

fn union(boxes: impl Iterator<Item = Boxed>) -> Option<Boxed> {
    boxes.reduce(|a, b| {
        let min = Pt::new(a.at.x.min(b.at.x), a.at.y.min(b.at.y));
        let max = Pt::new(a.max().x.max(b.max().x), a.max().y.max(b.max().y));
        Boxed::new(min, max - min)
    })
}

/// The indexes of `screen`'s elements that `selection` names.
pub(super) fn selected_indexes(screen: &Screen, selection: &[ElementRef]) -> Vec<usize> {
    screen
        .written
        .iter()
        .enumerate()
        .filter(|(_, w)| ElementRef::of(w).is_some_and(|r| selection.contains(&r)))
        .map(|(i, _)| i)
        .collect()
}

/// The topmost element under canvas point `p`.
fn hit(screen: &Screen, p: Pt) -> Option<usize> {
    (0..screen.elements.len())
        .rev()
        .find(|&i| screen.elements[i].bounds().contains(p))
}

/// The move `d` snapped: the moved box's edges (or centre) onto another element's within `tol` canvas
/// units, else its corner onto the grid. The guides of the edges that lined up come back.
pub fn snap_move(screen: &Screen, moved: &[usize], d: Pt, tol: f32) -> (Pt, Vec<Guide>) {
    let Some(b) = union(moved.iter().filter_map(|&i| screen.elements.get(i)).map(|e| e.bounds())) else {
        return (d, Vec::new());
    };
    let others: Vec<Boxed> = (0..screen.elements.len())
        .filter(|i| !moved.contains(i))
        .map(|i| screen.elements[i].bounds())
        .collect();
    let axis = |lo: f32, size: f32, delta: f32, edges: &dyn Fn(&Boxed) -> [f32; 3]| -> (f32, Option<f32>) {
        let mine = [lo + delta, lo + delta + size / 2.0, lo + delta + size];
        let mut best: Option<(f32, f32)> = None;
        for o in &others {
            for e in edges(o) {
                for m in mine {
                    let off = e - m;
                    if off.abs() <= tol && best.is_none_or(|(b, _)| off.abs() < b.abs()) {
                        best = Some((off, e));
                    }
                }
            }
        }
        match best {
            Some((off, at)) => (delta + off, Some(at)),
            None => (((lo + delta) / GRID).round() * GRID - lo, None),
        }
    };
    let (dx, gx) = axis(b.at.x, b.size.x, d.x, &|o| [o.at.x, o.at.x + o.size.x / 2.0, o.max().x]);
    let (dy, gy) = axis(b.at.y, b.size.y, d.y, &|o| [o.at.y, o.at.y + o.size.y / 2.0, o.max().y]);
    let guides = gx.map(Guide::X).into_iter().chain(gy.map(Guide::Y)).collect();
    (Pt::new(dx, dy), guides)
}

/// `points` with a corner between any two that share neither a row nor a column (along x first, then y):
/// the orthogonal route ISA P&IDs draw.
pub(super) fn squared(points: &[Pt]) -> Vec<Pt> {
    let mut out: Vec<Pt> = Vec::with_capacity(points.len() * 2);
    for &q in points {
        if let Some(&last) = out.last()
            && (last.x - q.x).abs() > 0.01
            && (last.y - q.y).abs() > 0.01
        {
            out.push(Pt::new(q.x, last.y));
        }
        out.push(q);
    }
    out
}

/// Ways to line up or space the selection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    CentreX,
    Right,
    Top,
    CentreY,
    Bottom,
    DistributeX,
    DistributeY,
}

impl Align {
    pub const ALL: [Align; 8] = [
        Align::Left,
        Align::CentreX,
        Align::Right,
        Align::Top,
        Align::CentreY,
        Align::Bottom,
        Align::DistributeX,
        Align::DistributeY,
    ];

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Align::Left => lang.pick("Left edges", "Bordes izquierdos"),
            Align::CentreX => lang.pick("Centres (vertical line)", "Centros (línea vertical)"),
            Align::Right => lang.pick("Right edges", "Bordes derechos"),
            Align::Top => lang.pick("Top edges", "Bordes superiores"),
            Align::CentreY => lang.pick("Middles (horizontal line)", "Medios (línea horizontal)"),
            Align::Bottom => lang.pick("Bottom edges", "Bordes inferiores"),
            Align::DistributeX => lang.pick("Space evenly across", "Distribuir en horizontal"),
            Align::DistributeY => lang.pick("Space evenly down", "Distribuir en vertical"),
        }
    }
}

/// How far each selected element moves to line up (or space evenly) as `how` says.
pub(super) fn align_moves(screen: &Screen, selection: &[ElementRef], how: Align) -> Vec<(ElementRef, Pt)> {
    let items: Vec<(ElementRef, Boxed)> = selection
        .iter()
        .filter_map(|r| {
            let i = selected_indexes(screen, std::slice::from_ref(r)).first().copied()?;
            Some((r.clone(), screen.elements[i].bounds()))
        })
        .collect();
    let Some(all) = union(items.iter().map(|(_, b)| *b)) else {
        return Vec::new();
    };
    let centre = |b: &Boxed| Pt::new(b.at.x + b.size.x / 2.0, b.at.y + b.size.y / 2.0);
    let spread = |along_x: bool| -> Vec<(ElementRef, Pt)> {
        let mut sorted = items.clone();
        let key = |b: &Boxed| if along_x { centre(b).x } else { centre(b).y };
        sorted.sort_by(|a, b| key(&a.1).total_cmp(&key(&b.1)));
        let n = sorted.len();
        if n < 3 {
            return Vec::new();
        }
        let (first, last) = (key(&sorted[0].1), key(&sorted[n - 1].1));
        let step = (last - first) / (n - 1) as f32;
        sorted
            .into_iter()
            .enumerate()
            .map(|(k, (r, b))| {
                let off = (first + step * k as f32 - key(&b)).round();
                (r, if along_x { Pt::new(off, 0.0) } else { Pt::new(0.0, off) })
            })
            .collect()
    };
    match how {
        Align::DistributeX => return spread(true),
        Align::DistributeY => return spread(false),
        _ => {}
    }
    items
        .into_iter()
        .map(|(r, b)| {
            let d = match how {
                Align::Left => Pt::new(all.at.x - b.at.x, 0.0),
                Align::Right => Pt::new(all.max().x - b.max().x, 0.0),
                Align::CentreX => Pt::new(centre(&all).x - centre(&b).x, 0.0),
                Align::Top => Pt::new(0.0, all.at.y - b.at.y),
                Align::Bottom => Pt::new(0.0, all.max().y - b.max().y),
                Align::CentreY => Pt::new(0.0, centre(&all).y - centre(&b).y),
                Align::DistributeX | Align::DistributeY => Pt::default(),
            };
            (r, Pt::new(d.x.round(), d.y.round()))
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
/// One frame of a drag: the screen with `moved` moved by `delta`, drawn with live data in `area`, with
/// the selection's outlines and the guides (what the editor draws on every frame of a drag; the bench
/// measures it).
pub fn drag_frame_ui(
    ui: &mut Ui,
    area: Rect,
    screen: &Screen,
    moved: &[usize],
    delta: Pt,
    guides: &[(bool, f32)],
    view: &mut ScreenView,
    cx: &DrawCtx<'_>,
) -> Fit {
    let drawn;
    let shown = if moved.is_empty() || delta == Pt::default() {
        screen
    } else {
        drawn = screen.with_moved(moved, delta);
        &drawn
    };
    let _ = canvas_in(ui, area, shown, view, cx);
    let fit = Fit::new(area, screen.canvas);
    let painter = ui.painter_at(area);
    for &i in moved {
        if let Some(e) = shown.elements.get(i) {
            painter.rect_stroke(
                fit.rect_of(e.bounds()).expand(2.0),
                2.0,
                Stroke::new(2.0, theme::EDITING),
                StrokeKind::Outside,
            );
        }
    }
    let canvas = fit.rect_of(Boxed::new(Pt::default(), screen.canvas));
    for &(vertical, at) in guides {
        let (a, b) = if vertical {
            (
                Pos2::new(fit.to_screen(Pt::new(at, 0.0)).x, canvas.min.y),
                Pos2::new(fit.to_screen(Pt::new(at, 0.0)).x, canvas.max.y),
            )
        } else {
            (
                Pos2::new(canvas.min.x, fit.to_screen(Pt::new(0.0, at)).y),
                Pos2::new(canvas.max.x, fit.to_screen(Pt::new(0.0, at)).y),
            )
        };
        painter.line_segment([a, b], Stroke::new(1.0, theme::GUIDE));
    }
    fit
}

/// The canvas (see the module's doc). A palette item dropped on it comes back with where.
pub(super) fn canvas_ui(
    ui: &mut Ui,
    ed: &mut ScreenEditor,
    screen: &Screen,
    cx: &DrawCtx<'_>,
    editable: bool,
) -> Option<(PaletteItem, Pt)> {
    let outer = ui.available_rect_before_wrap();
    ui.allocate_rect(outer, Sense::hover());
    let area = outer.shrink(4.0);
    let selected = selected_indexes(screen, &ed.selection);
    let (moved, delta, guides): (Vec<usize>, Pt, Vec<(bool, f32)>) = match &ed.drag {
        Some(Drag::Move {
            moved, delta, guides, ..
        }) => (moved.clone(), *delta, guides.iter().map(|g| g.line()).collect()),
        _ => (selected.clone(), Pt::default(), Vec::new()),
    };
    let fit = drag_frame_ui(ui, area, screen, &moved, delta, &guides, &mut ed.view, cx);
    let painter = ui.painter_at(outer);
    // The EDITING frame: never mistaken for the live screen.
    painter.rect_stroke(outer, 0.0, Stroke::new(4.0, theme::EDITING), StrokeKind::Inside);
    painter.text(
        outer.min + egui::vec2(8.0, 6.0),
        Align2::LEFT_TOP,
        cx.lang.pick("EDITING", "EDITANDO"),
        FontId::proportional(13.0),
        theme::EDITING,
    );
    // The resize handle of a single selection.
    let handle = match selected.as_slice() {
        [i] => {
            let r = fit.rect_of(match &ed.drag {
                Some(Drag::Resize { size, .. }) => Boxed::new(screen.elements[*i].bounds().at, *size),
                _ => screen.elements[*i].bounds(),
            });
            let h = Rect::from_center_size(r.max, egui::vec2(10.0, 10.0));
            painter.rect_filled(h, 1.0, theme::EDITING);
            if matches!(ed.drag, Some(Drag::Resize { .. })) {
                painter.rect_stroke(r, 0.0, Stroke::new(1.0, theme::EDITING), StrokeKind::Outside);
            }
            Some((*i, h))
        }
        _ => None,
    };
    if let Some(Drag::Box { from, to }) = &ed.drag {
        let r = Rect::from_two_pos(fit.to_screen(*from), fit.to_screen(*to));
        painter.rect(
            r,
            0.0,
            theme::EDITING.gamma_multiply(0.12),
            Stroke::new(1.0, theme::EDITING),
            StrokeKind::Inside,
        );
    }
    let resp = ui.interact(area, ui.scope_id().with("editor-canvas"), Sense::click_and_drag());
    resp.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Canvas, editable, format!("Editing {}", screen.id)));
    let at = |pos: Pos2| fit.to_canvas(pos);
    let shift = ui.input(|i| i.modifiers.shift || i.modifiers.command);
    // A palette item carried over the canvas: its outline follows the pointer; released over the canvas,
    // it is added there.
    if let Some(item) = ed.carrying.clone() {
        let (pos, released) = ui.input(|i| {
            (
                i.pointer.hover_pos().or(i.pointer.interact_pos()),
                i.pointer.any_released(),
            )
        });
        if let Some(p) = pos
            && area.contains(p)
        {
            painter.rect_stroke(
                Rect::from_min_size(p, egui::vec2(40.0, 24.0)),
                2.0,
                Stroke::new(1.5, theme::EDITING),
                StrokeKind::Inside,
            );
        }
        if released {
            ed.carrying = None;
            return pos.filter(|p| area.contains(*p)).map(|p| (item, at(p)));
        }
        return None;
    }
    if !editable {
        // Read-only now (a save in flight, a logout): a drag in progress writes nothing.
        ed.drag = None;
        return None;
    }
    if resp.clicked() {
        let p = resp.interact_pointer_pos().map(at);
        match p
            .and_then(|p| hit(screen, p))
            .and_then(|i| ElementRef::of(&screen.written[i]))
        {
            Some(r) if shift => {
                if let Some(k) = ed.selection.iter().position(|s| *s == r) {
                    ed.selection.remove(k);
                } else {
                    ed.selection.push(r);
                }
                ed.inspector.clear();
            }
            Some(r) => {
                if ed.selection != [r.clone()] {
                    ed.inspector.clear();
                }
                ed.selection = vec![r];
            }
            None => {
                ed.selection.clear();
                ed.inspector.clear();
            }
        }
    }
    drag_ui(ui, ed, screen, &resp, &fit, handle, shift);
    None
}

/// What a drag on the canvas does: starts a move (on an element), a resize (on the handle) or a box (on
/// empty canvas), follows the pointer (snapped), and hands the result to the editor when it ends.
fn drag_ui(
    ui: &Ui,
    ed: &mut ScreenEditor,
    screen: &Screen,
    resp: &egui::Response,
    fit: &Fit,
    handle: Option<(usize, Rect)>,
    shift: bool,
) {
    let at = |pos: Pos2| fit.to_canvas(pos);
    if resp.drag_started() {
        let origin = ui.input(|i| i.pointer.press_origin()).or(resp.interact_pointer_pos());
        if let Some(o) = origin {
            let p = at(o);
            ed.drag = match (handle, hit(screen, p)) {
                (Some((i, h)), _) if h.expand(3.0).contains(o) => {
                    ElementRef::of(&screen.written[i]).map(|r| Drag::Resize {
                        index: i,
                        element: r,
                        from: p,
                        size0: screen.elements[i].bounds().size,
                        size: screen.elements[i].bounds().size,
                    })
                }
                (_, Some(i)) => {
                    let r = ElementRef::of(&screen.written[i]);
                    if let Some(r) = r
                        && !ed.selection.contains(&r)
                    {
                        if shift {
                            ed.selection.push(r);
                        } else {
                            ed.selection = vec![r];
                        }
                        ed.inspector.clear();
                    }
                    Some(Drag::Move {
                        from: p,
                        delta: Pt::default(),
                        moved: selected_indexes(screen, &ed.selection),
                        guides: Vec::new(),
                    })
                }
                (_, None) => Some(Drag::Box { from: p, to: p }),
            };
        }
    }
    if resp.dragged()
        && let Some(p) = resp.interact_pointer_pos().map(at)
    {
        let snap = ed.snap;
        match &mut ed.drag {
            Some(Drag::Move {
                from,
                delta,
                moved,
                guides,
            }) => {
                let raw = p - *from;
                (*delta, *guides) = if snap {
                    snap_move(screen, moved, raw, SNAP_PX / fit.scale())
                } else {
                    (raw, Vec::new())
                };
            }
            Some(Drag::Box { to, .. }) => *to = p,
            Some(Drag::Resize { from, size0, size, .. }) => {
                let s = *size0 + (p - *from);
                *size = if snap { snap_point(s) } else { s };
            }
            None => {}
        }
    }
    if resp.drag_stopped()
        && let Some(d) = ed.drag.take()
    {
        match d {
            Drag::Move { delta, .. } if delta != Pt::default() => {
                let sel = ed.selection.clone();
                ed.apply(|doc| doc.translate(&sel, delta));
            }
            Drag::Box { from, to } => {
                let lo = Pt::new(from.x.min(to.x), from.y.min(to.y));
                let hi = Pt::new(from.x.max(to.x), from.y.max(to.y));
                let inside = |b: Boxed| b.at.x >= lo.x && b.at.y >= lo.y && b.max().x <= hi.x && b.max().y <= hi.y;
                let found: Vec<ElementRef> = (0..screen.elements.len())
                    .filter(|&i| inside(screen.elements[i].bounds()))
                    .filter_map(|i| ElementRef::of(&screen.written[i]))
                    .collect();
                if !shift {
                    ed.selection.clear();
                }
                for r in found {
                    if !ed.selection.contains(&r) {
                        ed.selection.push(r);
                    }
                }
                ed.inspector.clear();
            }
            Drag::Resize {
                index,
                element,
                size,
                size0,
                ..
            } if size != size0 => {
                ed.resize(&element, size, screen, index);
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo_screen(id: &str) -> std::sync::Arc<Screen> {
        crate::project::Project::demo()
            .unwrap()
            .screens
            .get(id)
            .unwrap()
            .clone()
    }

    #[test]
    fn a_move_snaps_to_the_grid_or_to_an_edge_it_comes_near() {
        let s = demo_screen("ct01");
        let i = 0;
        let b = s.elements[i].bounds();
        let (d, _) = snap_move(&s, &[i], Pt::new(3.0, 4.0), 0.0);
        assert_eq!(
            ((b.at.x + d.x) % GRID).abs().min(GRID - ((b.at.x + d.x) % GRID).abs()),
            0.0
        );
        assert_eq!(
            ((b.at.y + d.y) % GRID).abs().min(GRID - ((b.at.y + d.y) % GRID).abs()),
            0.0
        );
        // Near another element's left edge: onto it, with its guide.
        let other = s.elements[s.elements.len() - 1].bounds();
        let want = other.at.x - b.at.x;
        let (d, guides) = snap_move(&s, &[i], Pt::new(want + 2.0, 0.0), 5.0);
        assert!((d.x - (want + 2.0)).abs() <= 2.0 + 1e-3, "{d:?} vs {want}");
        assert!(!guides.is_empty());
    }

    #[test]
    fn squaring_a_line_puts_a_corner_in_each_slanted_step_only() {
        let p = |x, y| Pt::new(x, y);
        assert_eq!(
            squared(&[p(0.0, 0.0), p(100.0, 50.0), p(100.0, 80.0), p(40.0, 90.0)]),
            vec![
                p(0.0, 0.0),
                p(100.0, 0.0),
                p(100.0, 50.0),
                p(100.0, 80.0),
                p(40.0, 80.0),
                p(40.0, 90.0)
            ]
        );
        assert_eq!(squared(&[p(0.0, 0.0), p(0.0, 10.0)]), vec![p(0.0, 0.0), p(0.0, 10.0)]);
    }

    #[test]
    fn align_left_lines_up_the_left_edges_and_distribute_spaces_the_centres() {
        let s = demo_screen("ct01");
        let refs: Vec<ElementRef> = s.written.iter().take(3).filter_map(ElementRef::of).collect();
        let moves = align_moves(&s, &refs, Align::Left);
        let lefts: Vec<f32> = moves
            .iter()
            .map(|(r, d)| {
                let i = selected_indexes(&s, std::slice::from_ref(r))[0];
                s.elements[i].bounds().at.x + d.x
            })
            .collect();
        assert!(lefts.windows(2).all(|w| (w[0] - w[1]).abs() < 1.0), "{lefts:?}");
        let spread = align_moves(&s, &refs, Align::DistributeX);
        assert_eq!(spread.len(), 3);
    }
}
