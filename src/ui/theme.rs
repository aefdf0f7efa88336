//! Design tokens: the only place that names colours and text sizes (STYLE.md rule 7).
//!
//! ISA-101 high-performance style: a grey, low-contrast normal picture, so that colour means
//! "abnormal". Alarm colours (red, orange, yellow) are reserved for alarms and never used here for
//! data quality or equipment state; bad data is purple, stale data is slate blue.
#![allow(clippy::disallowed_methods)] // this module is where colours are allowed to be constructed

use egui::{Color32, FontId, TextStyle};
use std::cell::Cell;

/// The surfaces and text of the picture. Two palettes: the control room's grey, and sunlight (a cab panel
/// in daylight: white ground, black text, darker lines) — equipment stays grey and colour still means an
/// alarm in both.
struct Palette {
    background: Color32,
    panel: Color32,
    banner: Color32,
    tile: Color32,
    tile_stroke: Color32,
    text: Color32,
    text_dim: Color32,
    value: Color32,
    input_bg: Color32,
    face: Color32,
    indicator: Color32,
}

const GREY: Palette = Palette {
    background: Color32::from_rgb(0xD6, 0xD6, 0xD6),
    panel: Color32::from_rgb(0xC4, 0xC4, 0xC4),
    banner: Color32::from_rgb(0xB4, 0xB4, 0xB4),
    tile: Color32::from_rgb(0xE2, 0xE2, 0xE2),
    tile_stroke: Color32::from_rgb(0x9A, 0x9A, 0x9A),
    text: Color32::from_rgb(0x1A, 0x1A, 0x1A),
    text_dim: Color32::from_rgb(0x5C, 0x5C, 0x5C),
    value: Color32::from_rgb(0x0A, 0x0A, 0x0A),
    input_bg: Color32::from_rgb(0xF4, 0xF4, 0xF4),
    // Gauge faces and bar backgrounds.
    face: Color32::from_rgb(0xEE, 0xEE, 0xEE),
    // Bar graph fill and gauge needle (ISA-101 analog indicators).
    indicator: Color32::from_rgb(0x33, 0x33, 0x33),
};

/// Contrast for daylight: dim text is still near-black (a grey that reads indoors washes out outside).
const SUNLIGHT: Palette = Palette {
    background: Color32::from_rgb(0xFF, 0xFF, 0xFF),
    panel: Color32::from_rgb(0xE8, 0xE8, 0xE8),
    banner: Color32::from_rgb(0xDC, 0xDC, 0xDC),
    tile: Color32::from_rgb(0xFF, 0xFF, 0xFF),
    tile_stroke: Color32::from_rgb(0x20, 0x20, 0x20),
    text: Color32::from_rgb(0x00, 0x00, 0x00),
    text_dim: Color32::from_rgb(0x26, 0x26, 0x26),
    value: Color32::from_rgb(0x00, 0x00, 0x00),
    input_bg: Color32::from_rgb(0xFF, 0xFF, 0xFF),
    face: Color32::from_rgb(0xFF, 0xFF, 0xFF),
    indicator: Color32::from_rgb(0x00, 0x00, 0x00),
};

thread_local! {
    /// Per UI thread (every window of a console draws on its one UI thread; parallel UI tests each have
    /// their own), so switching is a view setting, not global state.
    static SUNLIGHT_ON: Cell<bool> = const { Cell::new(false) };
}

fn palette() -> &'static Palette {
    if SUNLIGHT_ON.with(Cell::get) { &SUNLIGHT } else { &GREY }
}

pub fn sunlight() -> bool {
    SUNLIGHT_ON.with(Cell::get)
}

pub fn background() -> Color32 {
    palette().background
}
pub fn panel() -> Color32 {
    palette().panel
}
pub fn banner() -> Color32 {
    palette().banner
}
pub fn tile() -> Color32 {
    palette().tile
}
pub fn tile_stroke() -> Color32 {
    palette().tile_stroke
}
pub fn text() -> Color32 {
    palette().text
}
pub fn text_dim() -> Color32 {
    palette().text_dim
}
pub fn value() -> Color32 {
    palette().value
}
pub fn input_bg() -> Color32 {
    palette().input_bg
}
pub fn face() -> Color32 {
    palette().face
}
pub fn indicator() -> Color32 {
    palette().indicator
}

pub const SELECTION: Color32 = Color32::from_rgb(0x7F, 0x8F, 0xA6);

/// Bad quality (comm fail, sensor fail, out of range, config error, no data).
pub const QUALITY_BAD: Color32 = Color32::from_rgb(0x6A, 0x1B, 0x9A);
/// Stale data: a value that stopped updating.
pub const QUALITY_STALE: Color32 = Color32::from_rgb(0x37, 0x47, 0x7F);
/// Uncertain quality.
pub const QUALITY_UNCERTAIN: Color32 = Color32::from_rgb(0x6D, 0x6D, 0x3A);
pub const ON_CHIP: Color32 = Color32::WHITE;

/// Equipment and driver states that need attention (not alarms).
pub const STATE_OK: Color32 = Color32::from_rgb(0x4A, 0x4A, 0x4A);

/// Alarm priorities (ISA-101: colour is reserved for alarms; each priority also has its own shape, so
/// it reads without colour vision). Nothing else in the console uses these four hues.
pub const ALARM_CRITICAL: Color32 = Color32::from_rgb(0xE0, 0x1B, 0x1B);
pub const ALARM_HIGH: Color32 = Color32::from_rgb(0xF2, 0x84, 0x00);
pub const ALARM_MEDIUM: Color32 = Color32::from_rgb(0xF5, 0xD0, 0x00);
pub const ALARM_LOW: Color32 = Color32::from_rgb(0x1F, 0xB5, 0xD6);
pub const ALARM_DIAGNOSTIC: Color32 = Color32::from_rgb(0xF4, 0xF4, 0xF4);
pub const ALARM_OUTLINE: Color32 = Color32::from_rgb(0x10, 0x10, 0x10);
/// Selected alarm row.
pub const ALARM_SELECTED: Color32 = Color32::from_rgb(0xA9, 0xB6, 0xC8);
/// The E-stop button: the red and yellow of the mushroom button it stands for (IEC 60204-1).
pub const ESTOP: Color32 = Color32::from_rgb(0xC0, 0x00, 0x00);
pub const ESTOP_RING: Color32 = Color32::from_rgb(0xF5, 0xD0, 0x00);
/// Flood and "sound unavailable": system conditions about the alarm system itself.
pub const ALARM_SYSTEM: Color32 = Color32::from_rgb(0x8B, 0x00, 0x00);
/// The REPLAY strip: a magenta no plant state or alarm priority uses, so replayed values are never taken
/// for the plant's.
pub const REPLAY: Color32 = Color32::from_rgb(0xA3, 0x1A, 0x8F);
/// The screen editor's frame and bar: a screen being edited is never mistaken for the live one (a blue no
/// alarm and no quality state uses).
pub const EDITING: Color32 = Color32::from_rgb(0x00, 0x5A, 0xB5);
/// The editor's snap guides: a magenta line while a moved edge lines up with another element's.
pub const GUIDE: Color32 = Color32::from_rgb(0xE0, 0x30, 0xB0);

pub fn alarm_colour(p: crate::alarm::Priority) -> Color32 {
    use crate::alarm::Priority::*;
    match p {
        Critical => ALARM_CRITICAL,
        High => ALARM_HIGH,
        Medium => ALARM_MEDIUM,
        Low => ALARM_LOW,
        Diagnostic => ALARM_DIAGNOSTIC,
    }
}

/// The ground of a line that carries an alarm (a tile's alarm, its value in alarm): the priority's colour,
/// faint enough for dark text on it to read.
pub fn alarm_tint(p: crate::alarm::Priority) -> Color32 {
    alarm_colour(p).gamma_multiply(0.3)
}

/// Trend pens: dark, mutually distinct, and never an alarm colour (red, orange, yellow) or a quality
/// colour (purple, slate blue), so a pen is never mistaken for an alarm or bad data.
pub const PENS: [Color32; 8] = [
    Color32::from_rgb(0x1F, 0x4E, 0x79),
    Color32::from_rgb(0x00, 0x6D, 0x5B),
    Color32::from_rgb(0x3B, 0x3B, 0x3B),
    Color32::from_rgb(0x7A, 0x4E, 0x1D),
    Color32::from_rgb(0x2E, 0x7D, 0x32),
    Color32::from_rgb(0x00, 0x83, 0x8F),
    Color32::from_rgb(0x5D, 0x4C, 0x3C),
    Color32::from_rgb(0x45, 0x5A, 0x64),
];
/// Depth plots: running in, pulling out.
pub const PASS_IN: Color32 = Color32::from_rgb(0x1F, 0x4E, 0x79);
pub const PASS_OUT: Color32 = Color32::from_rgb(0x00, 0x6D, 0x5B);
/// Trend cursor line.
pub const CURSOR: Color32 = Color32::from_rgb(0x20, 0x20, 0x20);

// The CT string page. Quiet inks (ISA-101): the data dark, the model lighter, where the pipe is a faint
// ground; only the fatigue thresholds and the alarm fraction of yield wear alarm colours.

/// Fatigue along the string now, and predicted after a planned job.
pub const FATIGUE: Color32 = Color32::from_rgb(0x1F, 0x4E, 0x79);
pub const FATIGUE_PLANNED: Color32 = Color32::from_rgb(0x7A, 0x4E, 0x1D);
/// Weld markers on the fatigue map.
pub const WELD: Color32 = Color32::from_rgb(0x3B, 0x3B, 0x3B);
/// The live weight (trail and current point) and the pipe's operating point: on top of every model line.
pub const LIVE: Color32 = Color32::from_rgb(0x10, 0x10, 0x10);
/// Free-hanging weight and the 100 % yield envelope: references, not data.
pub const REFERENCE: Color32 = Color32::from_rgb(0x5C, 0x5C, 0x5C);

/// Where the string is now, shaded behind the fatigue map: in the well (the P&ID's ground), on the guide
/// arch (equipment grey), on the reel (the P&ID's liquid blue-grey).
pub fn span_well() -> Color32 {
    Color32::from_rgb(0xC9, 0xC2, 0xB4).gamma_multiply(0.55)
}
pub fn span_arch() -> Color32 {
    Color32::from_rgb(0x80, 0x80, 0x80).gamma_multiply(0.45)
}
pub fn span_reel() -> Color32 {
    Color32::from_rgb(0x9F, 0xB3, 0xC4).gamma_multiply(0.45)
}

/// A broomstick model curve, `k` of `n` friction factors (lowest first): pick-up in the pulling-out ink,
/// slack-off in the running-in ink, lighter than the live weight and darker as μ rises, so the fan reads
/// in order without a legend.
pub fn model_curve(pick_up: bool, k: usize, n: usize) -> Color32 {
    let base = if pick_up { PASS_OUT } else { PASS_IN };
    let t = if n > 1 { k as f32 / (n - 1) as f32 } else { 1.0 };
    base.gamma_multiply(0.35 + 0.4 * t)
}

// The Job page and the job marks. What became of a person's request: done in a dark green no alarm or
// quality wears; refused in the critical red, as the login dialog says a refusal (the person must read
// it). A ticket that no longer matches its signatures is said in the same red.

/// A job request done.
pub const JOB_DONE: Color32 = Color32::from_rgb(0x2E, 0x6B, 0x30);
/// A job request refused, or a ticket tampered with.
pub const JOB_REFUSED: Color32 = ALARM_CRITICAL;
/// An operation's start on a trend and a TAG depth on the depth plot: a quiet reference ink, so the marks
/// never compete with the pens.
pub const JOB_OP_MARK: Color32 = Color32::from_rgb(0x6E, 0x5A, 0x46);
/// A job's actual start and end, and its deepest point: darker and heavier than an operation's mark.
pub const JOB_MARK: Color32 = Color32::from_rgb(0x2A, 0x2A, 0x2A);

// The Production page. The curves are quiet inks like the CT string page's; what needs a person's eye but is
// no alarm (a well test overdue, a pump out of its range before its alarm) wears one attention ink, always
// with a word beside it, so it reads without colour vision and is never taken for an alarm colour.

/// Needs attention, not an alarm: a dark ochre, well darker than the alarm orange and yellow.
pub const ATTENTION: Color32 = Color32::from_rgb(0x8A, 0x5A, 0x00);
/// A well's inflow curve now and a pump's curve at the live frequency; a decline fit and its forecast.
pub const PROD_CURVE: Color32 = Color32::from_rgb(0x1F, 0x4E, 0x79);
/// The well tests an inflow curve is fitted to.
pub const PROD_TEST: Color32 = Color32::from_rgb(0x00, 0x6D, 0x5B);
/// A well's measured daily rates on the decline plot.
pub const PROD_RATE: Color32 = Color32::from_rgb(0x3B, 0x3B, 0x3B);

/// A pump's down-thrust zone (left of its recommended range) and up-thrust zone (right of it), shaded behind
/// its curve: the P&ID's liquid blue-grey and its ground, faint.
pub fn esp_downthrust() -> Color32 {
    Color32::from_rgb(0x9F, 0xB3, 0xC4).gamma_multiply(0.45)
}
pub fn esp_upthrust() -> Color32 {
    Color32::from_rgb(0xC9, 0xC2, 0xB4).gamma_multiply(0.6)
}

/// The `i`-th other well overlaid on a decline plot: the trend pens, less the two inks the well's own rates
/// and fit wear.
pub fn decline_overlay(i: usize) -> Color32 {
    const OTHERS: [usize; 6] = [1, 3, 4, 5, 6, 7];
    PENS[OTHERS[i % OTHERS.len()]]
}

/// P&ID drawing inks (`screen::Ink`): greys for equipment, muted blues/browns for fluids (ISA-101: the
/// process is quiet; only alarms are loud). Running is a dark fill, stopped a white one, so state reads
/// without colour.
pub fn ink(i: crate::screen::Ink) -> Color32 {
    use crate::screen::Ink::*;
    match i {
        Line => Color32::from_rgb(0x40, 0x40, 0x40),
        Equipment => Color32::from_rgb(0xBF, 0xBF, 0xBF),
        EquipmentDark => Color32::from_rgb(0x80, 0x80, 0x80),
        Pipe => Color32::from_rgb(0x6E, 0x6E, 0x6E),
        Ground => Color32::from_rgb(0xC9, 0xC2, 0xB4),
        Liquid => Color32::from_rgb(0x9F, 0xB3, 0xC4),
        Oil => Color32::from_rgb(0x8C, 0x7A, 0x5E),
        Water => Color32::from_rgb(0x86, 0xA6, 0xC0),
        Gas => Color32::from_rgb(0xE6, 0xE6, 0xE6),
        Running => Color32::from_rgb(0x3A, 0x3A, 0x3A),
        Stopped => Color32::from_rgb(0xFA, 0xFA, 0xFA),
        Travelling => Color32::from_rgb(0x9A, 0x9A, 0x9A),
        Text => text(),
        TextDim => text_dim(),
        Background => background(),
    }
}

/// Earlier passes on a depth plot fade by this factor so the current trip stands out.
pub fn faded(c: Color32) -> Color32 {
    c.gamma_multiply(0.35)
}

pub const TEXT_BODY: f32 = 15.0;
pub const TEXT_HEADING: f32 = 20.0;
pub const TEXT_SMALL: f32 = 12.5;
/// Large value readouts on tiles.
pub const TEXT_VALUE: f32 = 16.0;
/// The least text size on an overview tile, however small the window scales the screen: the overview is
/// read across a control room.
pub const TEXT_TILE_MIN: f32 = 13.0;
/// Touch mode writes every text this much larger.
pub const TOUCH_TEXT_SCALE: f32 = 1.25;

/// Touch targets for gloved hands on a cab panel: 15 mm, in points (egui's point is 1/96 in at the
/// display's scale factor: 15 mm × 96 / 25.4 ≈ 56.7).
pub const TOUCH_TARGET: f32 = 57.0;

/// Applies the console theme to a context (`touch`: every control at least `TOUCH_TARGET` high, text a
/// size larger; `sunlight`: the high-contrast palette) on this UI thread.
/// Touch mode, as a style shows it: its targets are at least `TOUCH_TARGET` high.
pub fn is_touch(style: &egui::Style) -> bool {
    style.spacing.interact_size.y >= TOUCH_TARGET
}

pub fn apply(ctx: &egui::Context, touch: bool, sunlight: bool) {
    SUNLIGHT_ON.with(|c| c.set(sunlight));
    let mut style = (*ctx.global_style()).clone();
    let mut v = egui::Visuals::light();
    if sunlight {
        // Lines a glance can find in glare: every widget outlined in black, a little heavier.
        for w in [
            &mut v.widgets.noninteractive,
            &mut v.widgets.inactive,
            &mut v.widgets.hovered,
            &mut v.widgets.active,
        ] {
            w.bg_stroke = egui::Stroke::new(1.5, text());
            w.fg_stroke = egui::Stroke::new(1.5, text());
        }
    }
    v.panel_fill = background();
    v.window_fill = tile();
    v.extreme_bg_color = input_bg();
    v.faint_bg_color = tile();
    v.selection.bg_fill = SELECTION;
    v.override_text_color = Some(text());
    style.visuals = v;
    style.text_styles = [
        (TextStyle::Heading, FontId::proportional(TEXT_HEADING)),
        (TextStyle::Body, FontId::proportional(TEXT_BODY)),
        (TextStyle::Button, FontId::proportional(TEXT_BODY)),
        (TextStyle::Monospace, FontId::monospace(TEXT_BODY)),
        (TextStyle::Small, FontId::proportional(TEXT_SMALL)),
    ]
    .into();
    style.spacing.interact_size.y = 26.0;
    style.spacing.button_padding = egui::vec2(10.0, 4.0);
    if touch {
        let k = TOUCH_TEXT_SCALE;
        for (_, font) in style.text_styles.iter_mut() {
            font.size *= k;
        }
        style.spacing.interact_size = egui::vec2(TOUCH_TARGET, TOUCH_TARGET);
        style.spacing.button_padding = egui::vec2(16.0, (TOUCH_TARGET - TEXT_BODY * k) * 0.5);
        style.spacing.item_spacing = egui::vec2(12.0, 10.0);
    }
    ctx.set_global_style(style);
}
