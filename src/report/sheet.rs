//! The printed page: A4 pages as display lists (text, rectangles, lines) laid out top to bottom, text
//! measured with the embedded DejaVu Sans Condensed's own advance widths so columns fit, and the PDF made
//! from them with krilla.
//!
//! Pages are laid out first and drawn after, so every page's header knows how many pages there are. Owns
//! the fonts and the print colours (paper, not the console's screen tokens) of every document the console
//! prints (the CT job ticket, the production test certificate); knows nothing of what they say.

use super::ReportError;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect, Transform};
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke, StrokeDash};
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};
use krilla::{Data, Document};

/// A4 portrait, in points.
pub const PAGE_W: f32 = 595.0;
pub const PAGE_H: f32 = 842.0;
pub const MARGIN: f32 = 36.0;
pub const CONTENT_W: f32 = PAGE_W - 2.0 * MARGIN;
/// Content starts under the header band and ends over the footer.
pub const TOP: f32 = 76.0;
pub const BOTTOM: f32 = PAGE_H - 44.0;

const REGULAR: &[u8] = include_bytes!("fonts/DejaVuSansCondensed.ttf");
const BOLD: &[u8] = include_bytes!("fonts/DejaVuSansCondensed-Bold.ttf");
/// The fonts' design units per em.
const UNITS_PER_EM: f32 = 2048.0;
/// Advance widths of U+0020..U+007E, read from the two font files (hmtx through the cmap).
const REGULAR_ASCII: [u16; 95] = [
    585, 738, 847, 1544, 1172, 1751, 1437, 506, 719, 719, 921, 1544, 585, 665, 585, 621, 1172, 1172, 1172, 1172, 1172,
    1172, 1172, 1172, 1172, 1172, 621, 621, 1544, 1544, 1544, 978, 1843, 1260, 1264, 1287, 1419, 1164, 1060, 1428,
    1386, 543, 543, 1208, 1026, 1590, 1378, 1450, 1111, 1450, 1280, 1170, 1125, 1349, 1260, 1822, 1262, 1125, 1262,
    719, 621, 719, 1544, 921, 921, 1129, 1170, 1013, 1170, 1134, 648, 1170, 1168, 512, 512, 1067, 512, 1795, 1168,
    1127, 1170, 1170, 757, 960, 722, 1168, 1090, 1507, 1090, 1090, 967, 1172, 621, 1172, 1544,
];
const BOLD_ASCII: [u16; 95] = [
    641, 840, 960, 1544, 1282, 1846, 1607, 564, 842, 842, 963, 1544, 700, 765, 700, 673, 1282, 1282, 1282, 1282, 1282,
    1282, 1282, 1282, 1282, 1282, 737, 737, 1544, 1544, 1544, 1069, 1843, 1426, 1404, 1352, 1530, 1259, 1259, 1512,
    1542, 685, 685, 1428, 1174, 1834, 1542, 1566, 1350, 1566, 1419, 1327, 1257, 1496, 1426, 2033, 1421, 1334, 1336,
    842, 673, 842, 1544, 921, 921, 1243, 1319, 1092, 1319, 1250, 801, 1319, 1312, 631, 631, 1225, 631, 1920, 1312,
    1266, 1319, 1319, 909, 1097, 881, 1312, 1201, 1702, 1188, 1201, 1072, 1312, 673, 1312, 1544,
];

/// A colour on paper.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

// The print colours: dark ink on white, one blue for bands and headings, red only for what is
// wrong or unsigned, pens that stay apart when printed in grey.
pub const INK: Rgb = Rgb(22, 26, 33);
pub const MUTED: Rgb = Rgb(98, 106, 118);
pub const RULE: Rgb = Rgb(196, 202, 210);
pub const GRID: Rgb = Rgb(226, 230, 236);
pub const ZEBRA: Rgb = Rgb(243, 245, 248);
pub const BAND: Rgb = Rgb(27, 50, 82);
pub const HEAD: Rgb = Rgb(52, 77, 112);
pub const SECTION: Rgb = Rgb(222, 230, 240);
pub const WHITE: Rgb = Rgb(255, 255, 255);
pub const ALERT: Rgb = Rgb(176, 32, 32);
pub const STAMP: Rgb = Rgb(247, 214, 214);
pub const STEEL: Rgb = Rgb(150, 160, 174);
pub const PENS: [Rgb; 3] = [Rgb(20, 88, 170), Rgb(196, 84, 20), Rgb(30, 130, 70)];

/// How a piece of text is set.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Style {
    pub size: f32,
    pub bold: bool,
    pub color: Rgb,
}

impl Style {
    pub const fn new(size: f32, bold: bool, color: Rgb) -> Self {
        Self { size, bold, color }
    }

    pub fn width(&self, s: &str) -> f32 {
        width(s, self.size, self.bold)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
    Center,
}

/// One thing drawn on a page (y grows downwards, from the top of the page; text at its baseline).
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Text {
        x: f32,
        y: f32,
        style: Style,
        text: String,
    },
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        fill: Option<Rgb>,
        stroke: Option<(Rgb, f32)>,
    },
    Line {
        points: Vec<[f32; 2]>,
        color: Rgb,
        width: f32,
        dashed: bool,
    },
    /// Large bold text turned about its centre (the DRAFT mark).
    Stamp {
        cx: f32,
        cy: f32,
        angle_deg: f32,
        style: Style,
        text: String,
    },
}

/// The pages laid out so far, and where the next thing goes on the last one.
#[derive(Debug)]
pub struct Sheet {
    pages: Vec<Vec<Item>>,
    pub y: f32,
}

impl Sheet {
    pub fn new() -> Self {
        Self {
            pages: vec![Vec::new()],
            y: TOP,
        }
    }

    pub fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = TOP;
    }

    /// Makes room for `h` points: a new page when they do not fit on this one (unless it is still empty,
    /// where nothing would fit better). True when a page was started.
    pub fn need(&mut self, h: f32) -> bool {
        if self.y + h > BOTTOM && self.y > TOP {
            self.new_page();
            true
        } else {
            false
        }
    }

    pub fn push(&mut self, item: Item) {
        if let Some(page) = self.pages.last_mut() {
            page.push(item);
        }
    }

    /// Text at baseline `y`, aligned on `x` (its left, right or centre).
    pub fn text(&mut self, x: f32, y: f32, style: Style, align: Align, s: &str) {
        if s.trim().is_empty() {
            return;
        }
        let x = match align {
            Align::Left => x,
            Align::Right => x - style.width(s),
            Align::Center => x - style.width(s) / 2.0,
        };
        self.push(Item::Text {
            x,
            y,
            style,
            text: s.to_owned(),
        });
    }

    pub fn fill(&mut self, x: f32, y: f32, w: f32, h: f32, color: Rgb) {
        self.push(Item::Rect {
            x,
            y,
            w,
            h,
            fill: Some(color),
            stroke: None,
        });
    }

    pub fn frame(&mut self, x: f32, y: f32, w: f32, h: f32, color: Rgb, width: f32) {
        self.push(Item::Rect {
            x,
            y,
            w,
            h,
            fill: None,
            stroke: Some((color, width)),
        });
    }

    pub fn line(&mut self, points: Vec<[f32; 2]>, color: Rgb, width: f32) {
        self.push(Item::Line {
            points,
            color,
            width,
            dashed: false,
        });
    }

    pub fn dashed(&mut self, points: Vec<[f32; 2]>, color: Rgb, width: f32) {
        self.push(Item::Line {
            points,
            color,
            width,
            dashed: true,
        });
    }

    /// A horizontal rule across `w` at `y`.
    pub fn rule(&mut self, x: f32, y: f32, w: f32, color: Rgb, width: f32) {
        self.line(vec![[x, y], [x + w, y]], color, width);
    }

    pub fn into_pages(self) -> Vec<Vec<Item>> {
        self.pages
    }
}

impl Default for Sheet {
    fn default() -> Self {
        Self::new()
    }
}

/// The width of `s` set in `size` points.
pub fn width(s: &str, size: f32, bold: bool) -> f32 {
    let units: u32 = s.chars().map(|c| u32::from(advance(c, bold))).sum();
    units as f32 * size / UNITS_PER_EM
}

fn advance(c: char, bold: bool) -> u16 {
    let table = if bold { &BOLD_ASCII } else { &REGULAR_ASCII };
    let c = base_letter(c);
    match c {
        ' '..='~' => table.get(c as usize - 0x20).copied().unwrap_or(1200),
        '…' | '—' => 1843,
        '°' | '–' => 921,
        '²' | '³' | '¡' => 780,
        '·' => 640,
        _ => 1200,
    }
}

/// Accented letters are as wide as their base letter in DejaVu (near enough to fit a column).
fn base_letter(c: char) -> char {
    match c {
        'á' | 'à' | 'â' | 'ä' | 'ã' => 'a',
        'é' | 'è' | 'ê' | 'ë' => 'e',
        'í' | 'ì' | 'î' | 'ï' => 'i',
        'ó' | 'ò' | 'ô' | 'ö' | 'õ' => 'o',
        'ú' | 'ù' | 'û' | 'ü' => 'u',
        'ñ' => 'n',
        'ç' => 'c',
        'Á' | 'À' | 'Â' | 'Ä' | 'Ã' => 'A',
        'É' | 'È' | 'Ê' | 'Ë' => 'E',
        'Í' | 'Ì' | 'Î' | 'Ï' => 'I',
        'Ó' | 'Ò' | 'Ô' | 'Ö' | 'Õ' => 'O',
        'Ú' | 'Ù' | 'Û' | 'Ü' => 'U',
        'Ñ' => 'N',
        'Ç' => 'C',
        '¿' => '?',
        _ => c,
    }
}

/// `s` cut with "…" to fit `max_w`.
pub fn fit(s: &str, style: Style, max_w: f32) -> String {
    if style.width(s) <= max_w {
        return s.to_owned();
    }
    let ellipsis = style.width("…");
    let mut out = String::new();
    let mut w = 0.0;
    for c in s.chars() {
        let cw = f32::from(advance(c, style.bold)) * style.size / UNITS_PER_EM;
        if w + cw + ellipsis > max_w {
            break;
        }
        w += cw;
        out.push(c);
    }
    out.push('…');
    out
}

/// `s` broken into lines no wider than `max_w`: at spaces, and inside a word longer than a line.
pub fn wrap(s: &str, style: Style, max_w: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for para in s.lines() {
        let mut line = String::new();
        for word in para.split_whitespace() {
            let joined = if line.is_empty() {
                word.to_owned()
            } else {
                format!("{line} {word}")
            };
            if style.width(&joined) <= max_w {
                line = joined;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            let mut rest = word;
            while style.width(rest) > max_w {
                let head = prefix_within(rest, style, max_w);
                lines.push(head.to_owned());
                rest = &rest[head.len()..];
            }
            line = rest.to_owned();
        }
        if !line.is_empty() {
            lines.push(line);
        }
    }
    lines
}

/// The longest start of `s` no wider than `max_w`, at least one character (so wrapping always advances).
fn prefix_within(s: &str, style: Style, max_w: f32) -> &str {
    let mut w = 0.0;
    for (i, c) in s.char_indices() {
        w += f32::from(advance(c, style.bold)) * style.size / UNITS_PER_EM;
        if w > max_w {
            let end = if i == 0 { c.len_utf8() } else { i };
            return &s[..end];
        }
    }
    s
}

/// The PDF of the laid-out pages.
pub fn emit(pages: &[Vec<Item>], title: &str, language: &str) -> Result<Vec<u8>, ReportError> {
    let fault = ReportError::Pdf;
    let fonts = Fonts {
        regular: Font::new(Data::from(REGULAR), 0).ok_or_else(|| fault("the embedded font is unreadable".into()))?,
        bold: Font::new(Data::from(BOLD), 0).ok_or_else(|| fault("the embedded bold font is unreadable".into()))?,
    };
    let settings = PageSettings::from_wh(PAGE_W, PAGE_H).ok_or_else(|| fault("no page size".into()))?;
    let mut document = Document::new();
    document.set_metadata(
        Metadata::new()
            .title(title.to_owned())
            .language(language.to_owned())
            .creator("wellconsole".to_owned()),
    );
    for items in pages {
        let mut page = document.start_page_with(settings.clone());
        let mut surface = page.surface();
        for item in items {
            draw(&mut surface, item, &fonts);
        }
        surface.finish();
        page.finish();
    }
    document.finish().map_err(|e| fault(e.to_string()))
}

struct Fonts {
    regular: Font,
    bold: Font,
}

impl Fonts {
    fn of(&self, style: &Style) -> Font {
        if style.bold {
            self.bold.clone()
        } else {
            self.regular.clone()
        }
    }
}

fn draw(surface: &mut Surface<'_>, item: &Item, fonts: &Fonts) {
    match item {
        Item::Text { x, y, style, text } => {
            surface.set_stroke(None);
            surface.set_fill(Some(fill(style.color)));
            let at = Point::from_xy(*x, *y);
            surface.draw_text(at, fonts.of(style), style.size, text, false, TextDirection::Auto);
        }
        Item::Rect {
            x,
            y,
            w,
            h,
            fill: inside,
            stroke: edge,
        } => {
            let Some(rect) = Rect::from_xywh(*x, *y, *w, *h) else {
                return;
            };
            let mut pb = PathBuilder::new();
            pb.push_rect(rect);
            let Some(path) = pb.finish() else {
                return;
            };
            surface.set_fill((*inside).map(fill));
            surface.set_stroke((*edge).map(|(c, w)| stroke(c, w, false)));
            surface.draw_path(&path);
        }
        Item::Line {
            points,
            color,
            width,
            dashed,
        } => {
            let mut pb = PathBuilder::new();
            for (i, p) in points.iter().enumerate() {
                if i == 0 {
                    pb.move_to(p[0], p[1]);
                } else {
                    pb.line_to(p[0], p[1]);
                }
            }
            let Some(path) = pb.finish() else {
                return;
            };
            surface.set_fill(None);
            surface.set_stroke(Some(stroke(*color, *width, *dashed)));
            surface.draw_path(&path);
        }
        Item::Stamp {
            cx,
            cy,
            angle_deg,
            style,
            text,
        } => {
            surface.push_transform(&Transform::from_rotate_at(*angle_deg, *cx, *cy));
            surface.set_stroke(None);
            surface.set_fill(Some(fill(style.color)));
            let at = Point::from_xy(cx - style.width(text) / 2.0, cy + style.size * 0.36);
            surface.draw_text(at, fonts.of(style), style.size, text, false, TextDirection::Auto);
            surface.pop();
        }
    }
}

fn fill(c: Rgb) -> Fill {
    Fill {
        paint: rgb::Color::new(c.0, c.1, c.2).into(),
        opacity: NormalizedF32::ONE,
        rule: Default::default(),
    }
}

fn stroke(c: Rgb, width: f32, dashed: bool) -> Stroke {
    Stroke {
        paint: rgb::Color::new(c.0, c.1, c.2).into(),
        width,
        dash: dashed.then(|| StrokeDash {
            array: vec![2.5, 2.0],
            offset: 0.0,
        }),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: Style = Style::new(8.0, false, INK);

    #[test]
    fn widths_come_from_the_fonts_advances() {
        // "0" is 1172 units of 2048 in the regular face: 8 pt × 1172 / 2048 = 4.578 pt.
        assert!((width("0", 8.0, false) - 4.578).abs() < 0.01);
        assert!(width("Bold", 8.0, true) > width("Bold", 8.0, false));
        assert_eq!(width("Presión", 8.0, false), width("Presion", 8.0, false));
    }

    #[test]
    fn text_is_cut_and_wrapped_to_fit() {
        let cut = fit("A very long observation about the wash", BODY, 60.0);
        assert!(cut.ends_with('…') && BODY.width(&cut) <= 60.0, "{cut}");
        assert_eq!(fit("short", BODY, 60.0), "short");
        let lines = wrap(
            "Washed fill from 9,870 to 10,050 ft with 2% KCl; returns clean",
            BODY,
            80.0,
        );
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|l| BODY.width(l) <= 80.0), "{lines:?}");
        let long = wrap("0123456789012345678901234567890123456789", BODY, 30.0);
        assert!(long.len() > 2 && long.iter().all(|l| BODY.width(l) <= 30.0), "{long:?}");
    }
}
