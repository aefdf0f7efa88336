//! The ticket's PDF: the sections laid out in order (job data, statistics, operations, fluids, BHA, NPT,
//! alarms and trips, charts, signatures), then every page dressed with its header band (site, title, job
//! number, page n of N), its footer (the content's SHA-256 and the ticket's state) and, until every
//! signature is in, a DRAFT mark.
//!
//! Owns what every section needs (`Cx`: the content, its hash and the reader's formatting) and the ticket's
//! footer. The paper, the building blocks (section headings, key/value grids, tables, the page's band and
//! mark) and the reader's formatting are `crate::report`'s, shared with the production test certificate.
//! The content is printed as given: nothing is looked up or computed from outside it.

use super::sections;
use super::{TicketContent, content_sha256};
use crate::job::model::{FluidKind, JobError, Signature, TicketState};
use crate::lang::Lang;
use crate::report::Fmt;
use crate::report::blocks::{self, Band, FOOT, FOOT_BOLD};
use crate::report::sheet::{self, ALERT, Align, BOTTOM, CONTENT_W, INK, Item, MARGIN, PAGE_W, RULE, Sheet, Style};
use crate::units::UnitSystem;

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
    // ReportError reads "PDF: …": the fault stays "ticket PDF: …", as it read before the paper was shared.
    sheet::emit(&pages, &title, lang.code()).map_err(|e| JobError::Store(format!("ticket {e}")))
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
        fmt: Fmt::new(lang, units),
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

/// What every section needs to print: the content, the reader's formatting (words, units, decimal mark;
/// reached through `Deref`, so a section writes `cx.t(…)`, `cx.qty(…)`, `cx.lang`), the content's hash.
pub struct Cx<'a> {
    pub c: &'a TicketContent,
    pub fmt: Fmt,
    pub sha: String,
}

impl std::ops::Deref for Cx<'_> {
    type Target = Fmt;

    fn deref(&self) -> &Fmt {
        &self.fmt
    }
}

impl Cx<'_> {
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

// ---- every page's dress ----

/// Each page with its DRAFT mark underneath (until every signature is in), header band and footer.
fn dress(pages: Vec<Vec<Item>>, cx: &Cx, state: TicketState) -> Vec<Vec<Item>> {
    let f = &cx.c.job.fields;
    let mut about = vec![cx.c.site.clone()];
    for (label, v) in [(cx.t("Client", "Cliente"), &f.client), (cx.t("Well", "Pozo"), &f.well)] {
        if !v.is_empty() {
            about.push(format!("{label}: {v}"));
        }
    }
    let about = about.join("  ·  ");
    let number = format!("{} {}", cx.t("Job No.", "Trabajo N.º"), cx.c.job.number);
    let band = Band {
        title: cx.t("CT JOB TICKET", "BOLETA DE TRABAJO DE TF"),
        about: &about,
        number: &number,
        lang: cx.lang,
    };
    let mark = (state != TicketState::Completed).then(|| cx.t("DRAFT", "BORRADOR"));
    blocks::dress(pages, &band, mark, |page| footer(page, cx, state))
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
