//! The ticket's BHA schematic: components stacked from the bottom up, drawn to length with a minimum
//! height, as wide as their OD, each labelled beside it.
//!
//! Job-only drawing on the shared paper (`report::sheet`); takes the parts already labelled in the reader's
//! words and units and only draws.

use crate::report::sheet::{Align, BAND, INK, Item, MUTED, RULE, Rgb, STEEL, Sheet, Style, WHITE, fit};

/// One BHA component as the schematic draws it: sizes in kept units (ft, in) for the proportions, and
/// its label lines in the reader's words and units.
#[derive(Debug, Clone)]
pub struct BhaPart {
    pub title: String,
    pub detail: String,
    pub length_ft: f64,
    pub od_in: f64,
    pub id_in: f64,
}

const PART_MIN_H: f32 = 16.0;
const BODY_MAX_W: f32 = 46.0;
const PART_TITLE: Style = Style::new(6.3, true, INK);
const PART_DETAIL: Style = Style::new(5.6, false, MUTED);
const BODY: Rgb = Rgb(206, 213, 223);

/// The BHA in the box (x, y, w, h): the coiled tubing on top, then each component down to the bottom one
/// (`parts` are listed from the bottom up, as the table lists them). Heights share what the box leaves
/// above a minimum in proportion to length, so a 0.5 ft nozzle stays readable beside a 20 ft motor.
pub fn bha_schematic(sheet: &mut Sheet, x: f32, y: f32, w: f32, h: f32, parts: &[BhaPart], ct_label: &str) {
    if parts.is_empty() {
        return;
    }
    let max_od = parts.iter().map(|p| p.od_in).fold(0.0_f64, f64::max).max(0.1);
    let total_len: f64 = parts.iter().map(|p| p.length_ft.max(0.0)).sum::<f64>().max(0.1);
    let stub_h = 18.0;
    let avail = h - stub_h - 6.0;
    let n = parts.len() as f32;
    let spare = (avail - PART_MIN_H * n).max(0.0);
    let axis_x = x + BODY_MAX_W / 2.0 + 4.0;
    let label_x = x + BODY_MAX_W + 16.0;
    let label_w = (x + w - label_x).max(20.0);
    // The coiled tubing above the BHA.
    let ct_w = BODY_MAX_W * 0.45;
    sheet.fill(axis_x - ct_w / 2.0, y, ct_w, stub_h, STEEL);
    sheet.text(label_x, y + 11.0, PART_TITLE, Align::Left, ct_label);
    let mut top = y + stub_h;
    for (i, part) in parts.iter().enumerate().rev() {
        let share = if avail > PART_MIN_H * n {
            PART_MIN_H + spare * (part.length_ft.max(0.0) / total_len) as f32
        } else {
            avail / n
        };
        let body_w = ((part.od_in / max_od) as f32 * BODY_MAX_W).max(8.0);
        sheet.push(Item::Rect {
            x: axis_x - body_w / 2.0,
            y: top,
            w: body_w,
            h: share,
            fill: Some(BODY),
            stroke: Some((INK, 0.5)),
        });
        if part.id_in > 0.0 {
            let bore_w = ((part.id_in / max_od) as f32 * BODY_MAX_W).min(body_w - 2.0);
            if bore_w > 0.5 {
                sheet.fill(axis_x - bore_w / 2.0, top + 1.0, bore_w, (share - 2.0).max(0.5), WHITE);
            }
        }
        let mid = top + share / 2.0;
        sheet.dashed(
            vec![[axis_x + body_w / 2.0 + 1.0, mid], [label_x - 2.0, mid]],
            RULE,
            0.4,
        );
        let title = format!("{}. {}", i + 1, part.title);
        sheet.text(
            label_x,
            mid + 0.5,
            PART_TITLE,
            Align::Left,
            &fit(&title, PART_TITLE, label_w),
        );
        sheet.text(
            label_x,
            mid + 7.0,
            PART_DETAIL,
            Align::Left,
            &fit(&part.detail, PART_DETAIL, label_w),
        );
        top += share;
    }
    // The bottom of the string.
    sheet.line(
        vec![
            [axis_x - BODY_MAX_W / 2.0, top + 3.0],
            [axis_x + BODY_MAX_W / 2.0, top + 3.0],
        ],
        BAND,
        0.8,
    );
}
