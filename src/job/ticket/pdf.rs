//! The ticket's PDF: the sections laid out in order (job data, statistics, operations, fluids, BHA, NPT,
//! alarms and trips, charts, signatures), then every page dressed with its header band (site, title, job
//! number, page n of N), its footer (the content's SHA-256 and the ticket's state) and, until every
//! signature is in, a DRAFT mark.
//!
//! Owns the layout's building blocks (section headings, key/value grids, paragraphs, tables that repeat
//! their header on each page) and the reader's formatting (language, units, decimal mark, UTC times). The
//! content is printed as given: nothing is looked up or computed from outside it.

use super::sections;
use super::sheet::{
    self, ALERT, Align, BAND, BOTTOM, CONTENT_W, GRID, HEAD, INK, Item, MARGIN, MUTED, PAGE_H, PAGE_W, RULE, SECTION,
    STAMP, Sheet, Style, WHITE, ZEBRA, fit, wrap,
};
use super::{TicketContent, content_sha256};
use crate::job::model::{FluidKind, JobError, Signature, TicketState};
use crate::lang::Lang;
use crate::locale::Locale;
use crate::tag::Timestamp;
use crate::units::{Shown, UnitSystem};

/// The PDF (A4 portrait, several pages) in `lang`, values in `units`, with the signatures printed.
pub fn render_pdf(
    c: &TicketContent,
    sigs: &[Signature],
    state: TicketState,
    lang: Lang,
    units: UnitSystem,
) -> Result<Vec<u8>, JobError> {
    let pages = layout(c, sigs, state, lang, units);
    let title = format!(
        "{} {}",
        lang.pick("CT job ticket", "Boleta de trabajo de TF"),
        c.job.number
    );
    sheet::emit(&pages, &title, lang.code())
}

/// The ticket's pages, laid out and dressed, before they become a PDF.
pub fn layout(
    c: &TicketContent,
    sigs: &[Signature],
    state: TicketState,
    lang: Lang,
    units: UnitSystem,
) -> Vec<Vec<Item>> {
    let cx = Cx {
        c,
        lang,
        units,
        sha: content_sha256(c),
    };
    let mut sheet = Sheet::new();
    sections::job_data(&mut sheet, &cx);
    sections::statistics(&mut sheet, &cx);
    sections::operations(&mut sheet, &cx);
    sections::fluids(&mut sheet, &cx);
    sections::bha(&mut sheet, &cx);
    sections::npt(&mut sheet, &cx);
    sections::events(&mut sheet, &cx);
    sections::charts(&mut sheet, &cx);
    sections::signatures(&mut sheet, &cx, sigs);
    dress(sheet.into_pages(), &cx, state)
}

/// What every section needs to print: the content, the reader's language and units, the content's hash.
pub struct Cx<'a> {
    pub c: &'a TicketContent,
    pub lang: Lang,
    pub units: UnitSystem,
    pub sha: String,
}

/// "No value" in a cell.
pub const NONE: &str = "—";

impl Cx<'_> {
    pub fn t(&self, en: &'static str, es: &'static str) -> &'static str {
        self.lang.pick(en, es)
    }

    /// A kept unit's way onto paper. `bpm` is the units table's `bbl/min`.
    fn shown(&self, kept: &'static str) -> Shown<'static> {
        self.units.shown(if kept == "bpm" { "bbl/min" } else { kept })
    }

    /// The unit a kept one is printed in.
    pub fn unit(&self, kept: &'static str) -> &'static str {
        let s = self.shown(kept);
        if kept == "bpm" && s.is_identity() {
            "bpm"
        } else {
            s.unit
        }
    }

    /// A value kept in `kept`, converted, with the decimals that keep its resolution; no unit.
    pub fn num(&self, kept: &'static str, v: f64, decimals: usize) -> String {
        if !v.is_finite() {
            return NONE.to_owned();
        }
        let s = self.shown(kept);
        self.mark(format!("{:.*}", s.decimals(decimals), s.value(v)))
    }

    /// A value kept in `kept` as a number in the reader's unit (for charts).
    pub fn value(&self, kept: &'static str, v: f64) -> f64 {
        self.shown(kept).value(v)
    }

    /// Numbers are written with a decimal comma (Spanish).
    pub fn decimal_comma(&self) -> bool {
        self.decimal_mark() == ','
    }

    fn decimal_mark(&self) -> char {
        Locale {
            lang: self.lang,
            units: self.units,
        }
        .decimal_mark()
    }

    /// The same, or "—".
    pub fn opt(&self, kept: &'static str, v: Option<f64>, decimals: usize) -> String {
        v.map_or_else(|| NONE.to_owned(), |v| self.num(kept, v, decimals))
    }

    /// A value with its unit ("3048.0 m").
    pub fn qty(&self, kept: &'static str, v: f64, decimals: usize) -> String {
        format!("{} {}", self.num(kept, v, decimals), self.unit(kept))
    }

    pub fn qty_opt(&self, kept: &'static str, v: Option<f64>, decimals: usize) -> String {
        v.map_or_else(|| NONE.to_owned(), |v| self.qty(kept, v, decimals))
    }

    /// A plain number (hours, percent) with the reader's decimal mark.
    pub fn plain(&self, v: f64, decimals: usize) -> String {
        if v.is_finite() {
            self.mark(format!("{v:.decimals$}"))
        } else {
            NONE.to_owned()
        }
    }

    fn mark(&self, s: String) -> String {
        let mark = self.decimal_mark();
        if mark == '.' {
            s
        } else {
            s.replace('.', &mark.to_string())
        }
    }

    /// The kept unit of a fluid stage's volume: nitrogen is counted in scf, liquids in bbl.
    pub fn volume_unit(&self, kind: FluidKind) -> &'static str {
        if kind == FluidKind::Nitrogen { "scf" } else { "bbl" }
    }

    /// The kept volume unit of a fluid by its name (the statistics list fluids by name).
    pub fn volume_unit_of(&self, fluid: &str) -> &'static str {
        self.c
            .fluids
            .iter()
            .find(|f| f.name == fluid)
            .map_or("bbl", |f| self.volume_unit(f.kind))
    }
}

/// A time as the ticket prints it: UTC, to the second (the ticket travels between time zones).
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

// ---- every page's dress ----

const BAND_TITLE: Style = Style::new(12.5, true, WHITE);
const BAND_TEXT: Style = Style::new(7.5, false, WHITE);
const FOOT: Style = Style::new(6.5, false, MUTED);
const FOOT_BOLD: Style = Style::new(7.0, true, INK);
const MARK: Style = Style::new(100.0, true, STAMP);

/// Each page with its DRAFT mark underneath (until every signature is in), header band and footer.
fn dress(pages: Vec<Vec<Item>>, cx: &Cx, state: TicketState) -> Vec<Vec<Item>> {
    let count = pages.len();
    pages
        .into_iter()
        .enumerate()
        .map(|(i, items)| {
            let mut page = Sheet::new();
            if state != TicketState::Completed {
                page.push(Item::Stamp {
                    cx: PAGE_W / 2.0,
                    cy: PAGE_H / 2.0,
                    // Along the page's diagonal, bottom left to top right (y grows downwards).
                    angle_deg: -(PAGE_H / PAGE_W).atan().to_degrees(),
                    style: MARK,
                    text: cx.t("DRAFT", "BORRADOR").to_owned(),
                });
            }
            for item in items {
                page.push(item);
            }
            header_band(&mut page, cx, i + 1, count);
            footer(&mut page, cx, state);
            page.into_pages().into_iter().flatten().collect()
        })
        .collect()
}

fn header_band(page: &mut Sheet, cx: &Cx, n: usize, count: usize) {
    let (top, h) = (18.0, 44.0);
    page.fill(MARGIN, top, CONTENT_W, h, BAND);
    let left = MARGIN + 10.0;
    let right = MARGIN + CONTENT_W - 10.0;
    page.text(
        left,
        top + 19.0,
        BAND_TITLE,
        Align::Left,
        cx.t("CT JOB TICKET", "BOLETA DE TRABAJO DE TF"),
    );
    let f = &cx.c.job.fields;
    let mut about = vec![cx.c.site.clone()];
    for (label, v) in [(cx.t("Client", "Cliente"), &f.client), (cx.t("Well", "Pozo"), &f.well)] {
        if !v.is_empty() {
            about.push(format!("{label}: {v}"));
        }
    }
    page.text(
        left,
        top + 34.0,
        BAND_TEXT,
        Align::Left,
        &fit(&about.join("  ·  "), BAND_TEXT, 330.0),
    );
    let number = format!("{} {}", cx.t("Job No.", "Trabajo N.º"), cx.c.job.number);
    page.text(
        right,
        top + 19.0,
        BAND_TITLE,
        Align::Right,
        &fit(&number, BAND_TITLE, 170.0),
    );
    let page_of = format!("{} {n} {} {count}", cx.t("Page", "Página"), cx.t("of", "de"));
    page.text(right, top + 34.0, BAND_TEXT, Align::Right, &page_of);
}

fn footer(page: &mut Sheet, cx: &Cx, state: TicketState) {
    let y = BOTTOM + 10.0;
    page.rule(MARGIN, y, CONTENT_W, RULE, 0.6);
    let short: String = cx.sha.chars().take(16).collect();
    let hash = format!("{} SHA-256 {short}", cx.t("Content", "Contenido"));
    page.text(MARGIN, y + 11.0, FOOT, Align::Left, &hash);
    let colour = if state == TicketState::Completed { INK } else { ALERT };
    let status = Style {
        color: colour,
        ..FOOT_BOLD
    };
    page.text(
        PAGE_W / 2.0,
        y + 11.0,
        status,
        Align::Center,
        &state.label(cx.lang).to_uppercase(),
    );
    let times = cx.t("Times in UTC", "Horas en UTC");
    page.text(
        MARGIN + CONTENT_W,
        y + 11.0,
        FOOT,
        Align::Right,
        &format!("{times}  ·  wellconsole"),
    );
}
