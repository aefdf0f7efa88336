//! The building blocks every printed document is laid out with: section headings, key/value grids,
//! paragraphs, notes, tables that repeat their header on each page, signature boxes, UTC times and
//! durations, and every page's dress (the header band, the DRAFT mark underneath, the footer the document
//! draws).
//!
//! Generic over what is printed: a document (the CT job ticket in `job::ticket`, the production test
//! certificate in `production::certificate`) passes its words and values already formatted (`Fmt`) and
//! decides its own sections and footer. Draws only onto a `Sheet`.

use super::sheet::{
    Align, BAND, CONTENT_W, GRID, HEAD, INK, Item, MARGIN, MUTED, PAGE_H, PAGE_W, RULE, SECTION, STAMP, Sheet, Style,
    WHITE, ZEBRA, fit, wrap,
};
use crate::lang::Lang;
use crate::tag::Timestamp;

/// "No value" in a cell.
pub const NONE: &str = "—";

/// A time as the papers print it: UTC, to the second (a ticket or a certificate travels between time zones).
pub fn when(t: Timestamp) -> String {
    chrono::DateTime::from_timestamp_micros(t.micros())
        .map(|d| d.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_else(|| NONE.to_owned())
}

pub fn when_opt(t: Option<Timestamp>) -> String {
    t.map_or_else(|| NONE.to_owned(), when)
}

/// A duration as h:mm:ss.
pub fn hms(seconds: f64) -> String {
    if !seconds.is_finite() {
        return NONE.to_owned();
    }
    let s = seconds.max(0.0).round() as u64;
    format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

// ---- building blocks ----

pub const BODY: Style = Style::new(7.5, false, INK);
pub const BODY_BOLD: Style = Style::new(7.5, true, INK);
pub const LABEL: Style = Style::new(6.8, false, MUTED);
pub const SMALL: Style = Style::new(6.3, false, MUTED);
const HEADING: Style = Style::new(9.0, true, BAND);

/// A numbered section's heading band; starts a page when less than `first` points would follow it.
pub fn section(sheet: &mut Sheet, title: &str, first: f32) {
    sheet.need(22.0 + first);
    let y = sheet.y + 4.0;
    sheet.fill(MARGIN, y, CONTENT_W, 14.0, SECTION);
    sheet.fill(MARGIN, y, 3.0, 14.0, BAND);
    sheet.text(MARGIN + 8.0, y + 10.2, HEADING, Align::Left, title);
    sheet.y = y + 20.0;
}

/// Pairs of label and value in two columns, read down the left column first.
pub fn key_values(sheet: &mut Sheet, pairs: &[(&str, String)]) {
    const ROW_H: f32 = 11.5;
    const GAP: f32 = 14.0;
    const LABEL_W: f32 = 96.0;
    let col_w = (CONTENT_W - GAP) / 2.0;
    let rows = pairs.len().div_ceil(2);
    for r in 0..rows {
        sheet.need(ROW_H);
        let y = sheet.y;
        for (col, i) in [(0, r), (1, r + rows)] {
            let Some((label, value)) = pairs.get(i) else {
                continue;
            };
            let x = MARGIN + col as f32 * (col_w + GAP);
            sheet.text(x, y + 8.2, LABEL, Align::Left, &fit(label, LABEL, LABEL_W - 4.0));
            let value = fit(value, BODY, col_w - LABEL_W);
            sheet.text(x + LABEL_W, y + 8.2, BODY, Align::Left, &value);
            sheet.rule(x, y + ROW_H, col_w, GRID, 0.4);
        }
        sheet.y += ROW_H;
    }
    sheet.y += 4.0;
}

/// A labelled block of free text, wrapped to the page's width (nothing when the text is empty).
pub fn paragraph(sheet: &mut Sheet, label: &str, text: &str) {
    let lines = wrap(text, BODY, CONTENT_W - 8.0);
    if lines.is_empty() {
        return;
    }
    sheet.need(10.0 + BODY.size * 1.4);
    sheet.text(MARGIN, sheet.y + 7.5, LABEL, Align::Left, label);
    sheet.y += 10.0;
    for line in lines {
        sheet.need(BODY.size * 1.4);
        sheet.text(MARGIN + 8.0, sheet.y + BODY.size, BODY, Align::Left, &line);
        sheet.y += BODY.size * 1.4;
    }
    sheet.y += 4.0;
}

/// A line of text in the reader's muted style (a note under a table, "none recorded").
pub fn note(sheet: &mut Sheet, text: &str) {
    for line in wrap(text, SMALL, CONTENT_W) {
        sheet.need(9.0);
        sheet.text(MARGIN, sheet.y + 7.0, SMALL, Align::Left, &line);
        sheet.y += 9.0;
    }
    sheet.y += 3.0;
}

/// A table column: its title (wrapped on up to two lines), unit line, width and alignment.
#[derive(Debug, Clone)]
pub struct Col {
    pub title: &'static str,
    pub unit: String,
    pub w: f32,
    pub align: Align,
}

impl Col {
    pub fn new(title: &'static str, unit: &str, w: f32, align: Align) -> Self {
        Self {
            title,
            unit: unit.to_owned(),
            w,
            align,
        }
    }
}

/// A table row: its cells, an optional note printed under it across the table (observations), and
/// whether it is a totals row.
#[derive(Debug, Clone, Default)]
pub struct Row {
    pub cells: Vec<String>,
    pub note: Option<String>,
    pub total: bool,
}

impl Row {
    pub fn new(cells: Vec<String>) -> Self {
        Self {
            cells,
            note: None,
            total: false,
        }
    }

    pub fn total(cells: Vec<String>) -> Self {
        Self {
            cells,
            note: None,
            total: true,
        }
    }
}

/// Type sizes and spacing of a table.
#[derive(Debug, Clone, Copy)]
pub struct TableStyle {
    pub size: f32,
}

impl TableStyle {
    pub const NORMAL: TableStyle = TableStyle { size: 6.4 };

    fn cell(self, bold: bool) -> Style {
        Style::new(self.size, bold, INK)
    }

    fn head(self) -> Style {
        Style::new(self.size - 0.4, true, WHITE)
    }

    fn unit(self) -> Style {
        Style::new(self.size - 0.8, false, WHITE)
    }

    fn note(self) -> Style {
        Style::new(self.size - 0.3, false, MUTED)
    }

    fn row_h(self) -> f32 {
        self.size * 1.6
    }

    fn line_h(self) -> f32 {
        self.size * 1.3
    }
}

fn head_lines(col: &Col, ts: TableStyle) -> Vec<String> {
    let head = ts.head();
    let mut lines = wrap(col.title, head, col.w - 3.0);
    if lines.len() > 2 {
        let rest = lines[1..].join(" ");
        lines.truncate(1);
        lines.push(fit(&rest, head, col.w - 3.0));
    }
    lines
}

fn header_h(cols: &[Col], ts: TableStyle) -> f32 {
    let lines = cols.iter().map(|c| head_lines(c, ts).len()).max().unwrap_or(1);
    let has_unit = cols.iter().any(|c| !c.unit.is_empty());
    (lines + usize::from(has_unit)) as f32 * ts.line_h() + 4.0
}

fn note_lines(row: &Row, total_w: f32, ts: TableStyle) -> Vec<String> {
    row.note
        .as_deref()
        .map(|n| wrap(n, ts.note(), total_w - 24.0))
        .unwrap_or_default()
}

/// The height a table will take (to keep a table beside a drawing on one page).
pub fn table_height(cols: &[Col], rows: &[Row], ts: TableStyle) -> f32 {
    let total_w: f32 = cols.iter().map(|c| c.w).sum();
    let body: f32 = rows
        .iter()
        .map(|r| ts.row_h() + note_lines(r, total_w, ts).len() as f32 * ts.line_h())
        .sum();
    header_h(cols, ts) + body + 4.0
}

/// A table at `x0` from the sheet's current line; it runs on over pages, with its header again on each.
pub fn table(sheet: &mut Sheet, x0: f32, cols: &[Col], rows: &[Row], ts: TableStyle) {
    let total_w: f32 = cols.iter().map(|c| c.w).sum();
    sheet.need(header_h(cols, ts) + ts.row_h() * 2.0);
    table_header(sheet, x0, cols, ts);
    for (i, row) in rows.iter().enumerate() {
        let notes = note_lines(row, total_w, ts);
        let h = ts.row_h() + notes.len() as f32 * ts.line_h();
        if sheet.need(h) {
            table_header(sheet, x0, cols, ts);
        }
        let y = sheet.y;
        if row.total {
            sheet.rule(x0, y, total_w, INK, 0.7);
        } else if i % 2 == 1 {
            sheet.fill(x0, y, total_w, h, ZEBRA);
        }
        let style = ts.cell(row.total);
        let mut x = x0;
        for (col, cell) in cols.iter().zip(&row.cells) {
            let text = fit(cell, style, col.w - 4.0);
            let at = match col.align {
                Align::Left => x + 2.0,
                Align::Right => x + col.w - 2.0,
                Align::Center => x + col.w / 2.0,
            };
            sheet.text(at, y + ts.size * 1.15, style, col.align, &text);
            x += col.w;
        }
        for (k, line) in notes.iter().enumerate() {
            let base = y + ts.row_h() + k as f32 * ts.line_h() + ts.size * 0.75;
            sheet.text(x0 + 20.0, base, ts.note(), Align::Left, line);
        }
        sheet.rule(x0, y + h, total_w, GRID, 0.3);
        sheet.y = y + h;
    }
    sheet.y += 6.0;
}

fn table_header(sheet: &mut Sheet, x0: f32, cols: &[Col], ts: TableStyle) {
    let total_w: f32 = cols.iter().map(|c| c.w).sum();
    let h = header_h(cols, ts);
    let y = sheet.y;
    sheet.fill(x0, y, total_w, h, HEAD);
    let mut x = x0;
    for col in cols {
        let lines = head_lines(col, ts);
        let at = match col.align {
            Align::Left => x + 2.0,
            Align::Right => x + col.w - 2.0,
            Align::Center => x + col.w / 2.0,
        };
        let mut base = y + 2.0 + ts.size;
        for line in &lines {
            sheet.text(at, base, ts.head(), col.align, line);
            base += ts.line_h();
        }
        if !col.unit.is_empty() {
            let unit = fit(&format!("({})", col.unit), ts.unit(), col.w - 3.0);
            sheet.text(at, y + h - 3.0, ts.unit(), col.align, &unit);
        }
        x += col.w;
    }
    sheet.y = y + h;
}

/// A signature box's frame and its title band.
pub fn signature_box(sheet: &mut Sheet, [x, y, w, h]: [f32; 4], title: &str) {
    sheet.frame(x, y, w, h, RULE, 0.6);
    sheet.fill(x, y, w, 14.0, SECTION);
    sheet.text(
        x + 5.0,
        y + 10.0,
        BODY_BOLD,
        Align::Left,
        &fit(title, BODY_BOLD, w - 10.0),
    );
}

/// The lines at the bottom of an unsigned box where a signature and its date are written by hand.
pub fn signature_lines(sheet: &mut Sheet, [x, y, w, h]: [f32; 4], lang: Lang) {
    for (line, label) in [
        (y + h - 40.0, lang.pick("Signature", "Firma")),
        (y + h - 14.0, lang.pick("Date", "Fecha")),
    ] {
        sheet.rule(x + 8.0, line, w - 16.0, INK, 0.5);
        sheet.text(x + 8.0, line + 8.0, LABEL, Align::Left, label);
    }
}

// ---- every page's dress ----

pub const BAND_TITLE: Style = Style::new(12.5, true, WHITE);
pub const BAND_TEXT: Style = Style::new(7.5, false, WHITE);
pub const FOOT: Style = Style::new(6.5, false, MUTED);
pub const FOOT_BOLD: Style = Style::new(7.0, true, INK);
const MARK: Style = Style::new(100.0, true, STAMP);

/// What every page's header band says.
#[derive(Debug, Clone, Copy)]
pub struct Band<'a> {
    /// The document's name, large on the left ("CT JOB TICKET").
    pub title: &'a str,
    /// One line under it: the site and what the document is about (cut to fit).
    pub about: &'a str,
    /// The record's number, large on the right ("Job No. CT-2026-0142"; cut to fit).
    pub number: &'a str,
    /// The reader's language, for "Page n of N".
    pub lang: Lang,
}

/// Each page with `mark` (the DRAFT mark, until the document is final) stamped underneath along its
/// diagonal, the header band over it and the footer that `footer` draws.
pub fn dress(
    pages: Vec<Vec<Item>>,
    band: &Band,
    mark: Option<&str>,
    mut footer: impl FnMut(&mut Sheet),
) -> Vec<Vec<Item>> {
    let count = pages.len();
    pages
        .into_iter()
        .enumerate()
        .map(|(i, items)| {
            let mut page = Sheet::new();
            if let Some(mark) = mark {
                page.push(Item::Stamp {
                    cx: PAGE_W / 2.0,
                    cy: PAGE_H / 2.0,
                    // Along the page's diagonal, bottom left to top right (y grows downwards).
                    angle_deg: -(PAGE_H / PAGE_W).atan().to_degrees(),
                    style: MARK,
                    text: mark.to_owned(),
                });
            }
            for item in items {
                page.push(item);
            }
            header_band(&mut page, band, i + 1, count);
            footer(&mut page);
            page.into_pages().into_iter().flatten().collect()
        })
        .collect()
}

fn header_band(page: &mut Sheet, band: &Band, n: usize, count: usize) {
    let (top, h) = (18.0, 44.0);
    page.fill(MARGIN, top, CONTENT_W, h, BAND);
    let left = MARGIN + 10.0;
    let right = MARGIN + CONTENT_W - 10.0;
    page.text(left, top + 19.0, BAND_TITLE, Align::Left, band.title);
    page.text(
        left,
        top + 34.0,
        BAND_TEXT,
        Align::Left,
        &fit(band.about, BAND_TEXT, 330.0),
    );
    page.text(
        right,
        top + 19.0,
        BAND_TITLE,
        Align::Right,
        &fit(band.number, BAND_TITLE, 170.0),
    );
    let lang = band.lang;
    let page_of = format!("{} {n} {} {count}", lang.pick("Page", "Página"), lang.pick("of", "de"));
    page.text(right, top + 34.0, BAND_TEXT, Align::Right, &page_of);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every text drawn on each page, joined by spaces.
    fn texts(pages: &[Vec<Item>]) -> Vec<String> {
        pages
            .iter()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|i| match i {
                        Item::Text { text, .. } | Item::Stamp { text, .. } => Some(text.as_str()),
                        _ => None,
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    }

    #[test]
    fn a_long_table_repeats_its_header_on_every_page() {
        let mut sheet = Sheet::new();
        let cols = [
            Col::new("Type", "", 60.0, Align::Left),
            Col::new("Depth", "ft", 60.0, Align::Right),
        ];
        let rows: Vec<Row> = (0..300)
            .map(|i| Row::new(vec![format!("op {i}"), i.to_string()]))
            .collect();
        table(&mut sheet, MARGIN, &cols, &rows, TableStyle::NORMAL);
        let pages = sheet.into_pages();
        assert!(pages.len() >= 3);
        for page in texts(&pages) {
            assert!(page.starts_with("Type Depth (ft)"), "{}", &page[..40.min(page.len())]);
        }
    }

    #[test]
    fn times_print_in_utc_and_durations_as_hours_minutes_seconds() {
        assert_eq!(when(Timestamp::from_secs_f64(1_795_000_000.0)), "2026-11-18 11:06:40");
        assert_eq!(when_opt(None), NONE);
        assert_eq!(hms(3_725.4), "1:02:05");
        assert_eq!(hms(f64::NAN), NONE);
    }

    #[test]
    fn every_page_is_dressed_with_its_band_number_and_mark() {
        let band = Band {
            title: "TITLE",
            about: "Site",
            number: "No. 7",
            lang: Lang::Es,
        };
        let pages = dress(vec![Vec::new(), Vec::new()], &band, Some("BORRADOR"), |page| {
            page.text(MARGIN, 820.0, FOOT, Align::Left, "foot");
        });
        let text = texts(&pages);
        assert_eq!(text.len(), 2);
        assert!(
            text[1].starts_with("BORRADOR TITLE Site No. 7 Página 2 de 2 foot"),
            "{}",
            text[1]
        );
        let clean = dress(vec![Vec::new()], &band, None, |_| {});
        assert!(!texts(&clean)[0].contains("BORRADOR"));
    }
}
