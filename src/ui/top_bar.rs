//! The top of every console window: the alarm banner with its ACK / ACK PAGE / SILENCE column, the status
//! line (the alarm system's chips, trips and E-stops, tags not good) and the E-STOP column at the right.
//!
//! Its height is fixed for the console's mode, so pages never jump when alarms come and go. Every part has
//! a rectangle of its own, so nothing overlaps at any window size, and the E-STOP buttons are always whole
//! and in the same place, in the main window and in every screen window. Draws through the desks and the
//! console's context (which sends their actions); owns no state and never decides where an action leads
//! (the shell does).

use super::alarm_banner::{self, BannerAction};
use super::alarm_desk::AlarmDesk;
use super::context::Console;
use super::theme;
use super::trip_panel::{self, StripAction, TripDesk};
use crate::tag::Timestamp;
use egui::{Align, Layout, Rect, Ui, UiBuilder, pos2, vec2};

/// What the top bar asks of the shell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopAction {
    None,
    OpenSummary,
    ShowNotGood,
    OpenTrips,
}

const MARGIN_X: i8 = 10;
const MARGIN_Y: i8 = 6;
/// Between the alarm part and the E-STOP column: a gap no stray touch on ACK lands in.
const ESTOP_GAP: f32 = 16.0;

fn status_height(style: &egui::Style) -> f32 {
    style.spacing.interact_size.y.max(28.0)
}

/// The bar's height: banner, status line and margins (the E-STOP column spans both).
pub fn top_height(style: &egui::Style, desk: &AlarmDesk) -> f32 {
    alarm_banner::banner_height(style, desk)
        + style.spacing.item_spacing.y
        + status_height(style)
        + 2.0 * f32::from(MARGIN_Y)
}

/// The bar as a top panel of `ui` (`id` unique per window).
pub fn top_panel(
    ui: &mut Ui,
    id: impl egui::AsIdSalt,
    console: &mut Console,
    desk: &mut AlarmDesk,
    trips: &mut TripDesk,
    not_good: usize,
    now: Timestamp,
) -> TopAction {
    let height = top_height(ui.style(), desk);
    egui::Panel::top(id)
        .exact_size(height)
        .frame(
            egui::Frame::default()
                .fill(theme::banner())
                .inner_margin(egui::Margin::symmetric(MARGIN_X, MARGIN_Y)),
        )
        .show(ui, |ui| top_ui(ui, console, desk, trips, not_good, now))
        .inner
}

fn top_ui(
    ui: &mut Ui,
    console: &mut Console,
    desk: &mut AlarmDesk,
    trips: &mut TripDesk,
    not_good: usize,
    now: Timestamp,
) -> TopAction {
    let mut action = TopAction::None;
    let style = ui.style().clone();
    let sp = style.spacing.item_spacing;
    let loc = console.locale();
    let lang = loc.lang;
    let full = ui.max_rect();
    let col_w = trip_panel::estop_column_width(&style, trips, full.height());
    let gap = if col_w > 0.0 { ESTOP_GAP } else { 0.0 };
    let left_w = (full.width() - col_w - gap).max(0.0);
    let banner_h = alarm_banner::banner_height(&style, desk);
    let buttons_w = alarm_banner::buttons_width(&style).min(left_w * 0.4);
    let rows = Rect::from_min_size(full.min, vec2((left_w - buttons_w - sp.x).max(0.0), banner_h));
    let buttons = Rect::from_min_size(pos2(rows.right() + sp.x, full.top()), vec2(buttons_w, banner_h));
    let status = Rect::from_min_max(
        pos2(full.left(), full.top() + banner_h + sp.y),
        pos2(full.left() + left_w, full.bottom()),
    );
    let estops = Rect::from_min_max(pos2(full.right() - col_w, full.top()), full.right_bottom());

    let mut part = |rect: Rect, layout: Layout| {
        let mut child = ui.new_child(UiBuilder::new().max_rect(rect).layout(layout));
        child.set_clip_rect(rect.intersect(ui.clip_rect()));
        child
    };
    let mut rows_ui = part(rows, Layout::top_down(Align::Min));
    match alarm_banner::banner_ui(&mut rows_ui, desk, loc, now) {
        BannerAction::OpenSummary => action = TopAction::OpenSummary,
        BannerAction::ShowNotGood => action = TopAction::ShowNotGood,
        BannerAction::None => {}
    }
    let mut buttons_ui = part(buttons, Layout::top_down_justified(Align::Min));
    alarm_banner::buttons_ui(&mut buttons_ui, desk, console, banner_h);
    let mut status_ui = part(status, Layout::left_to_right(Align::Center));
    // The buttons at the right first, so the chips get what is left and are clipped, never the buttons.
    let has_trips = trips.has_any();
    let (left, right) = egui::Sides::new().shrink_left().truncate().show(
        &mut status_ui,
        |ui| {
            alarm_banner::system_chips_ui(ui, desk, lang);
            trip_panel::strip_ui(ui, trips, lang)
        },
        |ui| {
            let trips_button = has_trips
                && ui
                    .add(egui::Button::new(lang.pick("Trips…", "Disparos…")).wrap_mode(egui::TextWrapMode::Extend))
                    .clicked();
            (trips_button, alarm_banner::not_good_ui(ui, lang, not_good))
        },
    );
    if let StripAction::OpenTrips = left {
        action = TopAction::OpenTrips;
    }
    if right.0 {
        action = TopAction::OpenTrips;
    }
    if let BannerAction::ShowNotGood = right.1 {
        action = TopAction::ShowNotGood;
    }
    if col_w > 0.0 {
        // On a layer of its own above every dialog: an open keypad, login or confirmation (egui's modals
        // block the layers under them) must never stand between a hand and the E-STOP.
        let ctx = ui.ctx().clone();
        egui::Area::new(ui.scope_id().with("estop_column"))
            .order(egui::Order::Tooltip)
            .fixed_pos(estops.min)
            .constrain(false)
            .show(&ctx, |ui| trip_panel::estop_column_ui(ui, estops, trips, lang));
    }
    action
}
