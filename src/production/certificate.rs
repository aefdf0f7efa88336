//! The Well Test Summary / Production Test Certificate: one well test as a PDF of one or two A4 pages, in
//! English or Spanish, oilfield or SI units. Well and test data, the averaged results (undefined ratios
//! printed as such, never as infinity), the conditions, the corrections applied, the well's IPR when given,
//! the test window's history as small charts, the decision (a DRAFT mark while pending, the reason when
//! rejected), the tester's and the approver's printed names and times, and the SHA-256 of the measured
//! record on every page, so a copy can be checked against production.db.
//!
//! Prints the record and context as given: nothing is looked up, measured or decided here (the signatures
//! themselves are in the audit trail; `command` decides who may sign). The paper, blocks, charts and the
//! reader's formatting are `crate::report`'s, shared with the CT job ticket.

use super::model::{Measured, ProductionError, TestStatus, WellTest};
use crate::calc::ipr::{FitMethod, IprFit, IprModel};
use crate::lang::Lang;
use crate::report::Fmt;
use crate::report::blocks::{
    self, BODY, BODY_BOLD, Band, Col, FOOT, FOOT_BOLD, LABEL, NONE, Row, TableStyle, hms, key_values, note, paragraph,
    section, signature_box, signature_lines, table, when, when_opt,
};
use crate::report::chart::{self, Axis, Plot, extent};
use crate::report::sheet::{
    self, ALERT, Align, BOTTOM, CONTENT_W, INK, Item, MARGIN, PENS, RULE, STAMP, Sheet, Style, fit, wrap,
};
use crate::tag::Timestamp;
use crate::units::UnitSystem;

/// What the certificate prints besides the test record.
#[derive(Debug, Clone, PartialEq)]
pub struct CertificateContext {
    /// The site's name, as the header prints it.
    pub site: String,
    /// The well's name as people know it (the record names it by its routing id).
    pub well_label: String,
    /// The well's current inflow curve, when it has one.
    pub ipr: Option<IprFit>,
    /// The test window's history for the charts (at most `MAX_CHARTS` are drawn); may be empty.
    pub series: Vec<Series>,
}

/// One signal's history over the test window.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub en: &'static str,
    pub es: &'static str,
    /// The unit the values are kept in (converted for the reader).
    pub unit: &'static str,
    /// (seconds since the Unix epoch, value), in time order; a non-finite value breaks the line.
    pub points: Vec<[f64; 2]>,
}

/// Charts drawn, two to a row: the certificate stays within two pages.
pub const MAX_CHARTS: usize = 4;

/// The PDF (A4 portrait) of `t` in `lang`, values in `units`.
pub fn render_pdf(
    t: &WellTest,
    cx: &CertificateContext,
    lang: Lang,
    units: UnitSystem,
) -> Result<Vec<u8>, ProductionError> {
    let pages = layout(t, cx, lang, units);
    let title = format!(
        "{} {} — {}",
        lang.pick("Production test certificate", "Certificado de prueba de producción"),
        t.id,
        well_name(t, cx)
    );
    sheet::emit(&pages, &title, lang.code()).map_err(|e| ProductionError::Store(format!("test certificate {e}")))
}

/// The certificate's pages, laid out and dressed, before they become a PDF.
pub fn layout(t: &WellTest, cx: &CertificateContext, lang: Lang, units: UnitSystem) -> Vec<Vec<Item>> {
    let d = Doc {
        t,
        cx,
        f: Fmt::new(lang, units),
        sha: content_sha256(&t.m),
    };
    let mut sheet = Sheet::new();
    well_and_test(&mut sheet, &d, 1);
    decision_banner(&mut sheet, &d);
    results(&mut sheet, &d, 2);
    conditions(&mut sheet, &d, 3);
    corrections(&mut sheet, &d, 4);
    let mut n = 5;
    if let Some(curve) = &cx.ipr {
        inflow(&mut sheet, &d, n, curve);
        n += 1;
    }
    charts(&mut sheet, &d, n);
    signatures(&mut sheet, &d, n + 1);
    dress(sheet.into_pages(), &d)
}

/// The SHA-256 (hex) of the measured record's JSON: what the runner measured, which no decision changes, so
/// a printed copy can be checked against the record in production.db. `serde_json` cannot fail on this
/// type (no maps); an encoding error would hash nothing and the check would then fail, visibly.
pub fn content_sha256(m: &Measured) -> String {
    use sha2::{Digest, Sha256};
    crate::records::key::hex(&Sha256::digest(serde_json::to_vec(m).unwrap_or_default()))
}

/// What every section needs: the record, its context, the reader's formatting and the record's hash.
struct Doc<'a> {
    t: &'a WellTest,
    cx: &'a CertificateContext,
    f: Fmt,
    sha: String,
}

fn well_name(t: &WellTest, cx: &CertificateContext) -> String {
    let label = cx.well_label.trim();
    if label.is_empty() || label == t.m.well {
        t.m.well.clone()
    } else {
        format!("{label} ({})", t.m.well)
    }
}

fn heading(n: usize, title: &str) -> String {
    format!("{n}. {title}")
}

/// A ratio, or "undefined" where it has no value (a zero oil or liquid rate): never infinity.
fn ratio(f: Fmt, v: Option<f64>, show: impl FnOnce(f64) -> String) -> String {
    v.filter(|x| x.is_finite())
        .map_or_else(|| f.t("undefined", "indefinido").to_owned(), show)
}

fn well_and_test(sheet: &mut Sheet, d: &Doc, n: usize) {
    let (f, t, m) = (d.f, d.t, &d.t.m);
    section(sheet, &heading(n, f.t("Well and test", "Pozo y prueba")), 60.0);
    let duration = m.duration_h();
    let settle_s = (m.start.0 - m.routed_at.0) as f64 / 1e6;
    let pairs = [
        (f.t("Well", "Pozo"), well_name(t, d.cx)),
        (f.t("Separator", "Separador"), m.separator.clone()),
        (f.t("Test No.", "Prueba N.º"), t.id.to_string()),
        (f.t("Status", "Estado"), t.status.label(f.lang).to_owned()),
        (
            f.t("Test duration", "Duración de la prueba"),
            format!("{} h ({})", f.plain(duration, 2), hms(duration * 3600.0)),
        ),
        (f.t("Routed (UTC)", "Alineado (UTC)"), when(m.routed_at)),
        (f.t("Stabilized (UTC)", "Estabilizado (UTC)"), when(m.stable_at)),
        (f.t("Test start (UTC)", "Inicio de prueba (UTC)"), when(m.start)),
        (f.t("Test end (UTC)", "Fin de prueba (UTC)"), when(m.end)),
        (f.t("Purge and stabilization", "Purga y estabilización"), hms(settle_s)),
    ];
    key_values(sheet, &pairs);
    paragraph(sheet, f.t("Note", "Nota"), &t.note);
}

/// Under the well data: why the certificate is not (yet) valid, in red, where it is not approved.
fn decision_banner(sheet: &mut Sheet, d: &Doc) {
    const TEXT: Style = Style::new(8.0, true, ALERT);
    let (f, t) = (d.f, d.t);
    let text = match t.status {
        TestStatus::Approved => return,
        TestStatus::Pending => f
            .t(
                "PENDING APPROVAL: this certificate is a draft until a supervisor or engineer approves the test.",
                "PENDIENTE DE APROBACIÓN: este certificado es un borrador hasta que un supervisor o ingeniero \
                 apruebe la prueba.",
            )
            .to_owned(),
        TestStatus::Rejected => {
            let reason = if t.reason.trim().is_empty() {
                NONE
            } else {
                t.reason.trim()
            };
            format!("{}: {reason}", f.t("REJECTED", "RECHAZADA"))
        }
    };
    let lines = wrap(&text, TEXT, CONTENT_W - 16.0);
    let h = lines.len() as f32 * 11.0 + 8.0;
    sheet.need(h + 6.0);
    let y = sheet.y + 2.0;
    sheet.push(Item::Rect {
        x: MARGIN,
        y,
        w: CONTENT_W,
        h,
        fill: Some(STAMP),
        stroke: Some((ALERT, 0.8)),
    });
    for (i, line) in lines.iter().enumerate() {
        sheet.text(MARGIN + 8.0, y + 12.5 + i as f32 * 11.0, TEXT, Align::Left, line);
    }
    sheet.y = y + h + 6.0;
}

fn results(sheet: &mut Sheet, d: &Doc, n: usize) {
    const TS: TableStyle = TableStyle { size: 7.5 };
    let (f, m) = (d.f, &d.t.m);
    let title = heading(
        n,
        f.t(
            "Results (averages over the test period)",
            "Resultados (promedios del período de prueba)",
        ),
    );
    section(sheet, &title, 50.0);
    let w = CONTENT_W / 8.0;
    let per_bbl = match f.units {
        UnitSystem::Oilfield => "bbl/bbl",
        UnitSystem::Si => "m³/m³",
    };
    let cols = [
        Col::new(f.t("Oil", "Petróleo"), f.unit("STB/d"), w, Align::Right),
        Col::new(f.t("Water", "Agua"), f.unit("bbl/d"), w, Align::Right),
        Col::new(f.t("Gas", "Gas"), f.unit("Mscf/d"), w, Align::Right),
        Col::new(f.t("Liquid", "Líquido"), f.unit("bbl/d"), w, Align::Right),
        Col::new(f.t("GOR", "RGP"), f.unit("scf/STB"), w, Align::Right),
        Col::new(f.t("WOR", "RAP"), per_bbl, w, Align::Right),
        Col::new(f.t("Water cut", "Corte de agua"), "%", w, Align::Right),
        Col::new("BS&W", "%", w, Align::Right),
    ];
    let row = Row::new(vec![
        f.num("STB/d", m.oil_stb_d, 1),
        f.num("bbl/d", m.water_bbl_d, 1),
        f.num("Mscf/d", m.gas_mscf_d, 1),
        f.num("bbl/d", m.oil_stb_d + m.water_bbl_d, 1),
        ratio(f, m.gor_scf_stb, |g| f.num("scf/STB", g, 0)),
        ratio(f, m.wor, |r| f.plain(r, 2)),
        ratio(f, m.water_cut, |wc| f.plain(wc * 100.0, 1)),
        m.bsw.map_or_else(|| NONE.to_owned(), |b| f.plain(b * 100.0, 1)),
    ]);
    table(sheet, MARGIN, &cols, &[row], TS);
    note(
        sheet,
        f.t(
            "Oil at stock-tank conditions (meter factor and shrinkage applied); liquid = oil + water. \
             Undefined: a ratio to a zero oil or liquid rate has no value (it is not infinite).",
            "Petróleo a condiciones de tanque (factor de medidor y encogimiento aplicados); líquido = petróleo + \
             agua. Indefinido: una relación con un caudal de petróleo o de líquido nulo no tiene valor (no es \
             infinita).",
        ),
    );
    if m.bsw.is_none() {
        note(
            sheet,
            f.t(
                "BS&W —: no sampler reading on this separator.",
                "BS&W —: sin lectura del muestreador en este separador.",
            ),
        );
    }
}

fn conditions(sheet: &mut Sheet, d: &Doc, n: usize) {
    let (f, m) = (d.f, &d.t.m);
    section(sheet, &heading(n, f.t("Conditions", "Condiciones")), 40.0);
    let pairs = [
        (
            f.t("Separator pressure", "Presión del separador"),
            f.qty("psi", m.separator_psi, 0),
        ),
        (
            f.t("Separator temperature", "Temp. del separador"),
            f.qty_opt("°F", m.separator_temp_f, 0),
        ),
        (
            f.t("Wellhead pressure", "Presión en cabeza"),
            f.qty_opt("psi", m.whp_psi, 0),
        ),
        (
            f.t("Flowing BHP (p_wf)", "P. de fondo fluyente"),
            f.qty_opt("psi", m.pwf_psi, 0),
        ),
        (
            f.t("ESP frequency", "Frecuencia de la BES"),
            f.qty_opt("Hz", m.esp_hz, 1),
        ),
    ];
    key_values(sheet, &pairs);
}

fn corrections(sheet: &mut Sheet, d: &Doc, n: usize) {
    let (f, m) = (d.f, &d.t.m);
    section(sheet, &heading(n, f.t("Corrections", "Correcciones")), 40.0);
    let [oil, water, gas] = m.meter_factors;
    let bad = if m.duration_h() > 0.0 {
        format!(
            "{} s ({} %)",
            f.plain(m.bad_input_s, 0),
            f.plain(m.bad_input_s / (m.duration_h() * 36.0), 1)
        )
    } else {
        format!("{} s", f.plain(m.bad_input_s, 0))
    };
    let pairs = [
        (f.t("Oil meter factor", "Factor medidor petróleo"), f.plain(oil, 4)),
        (f.t("Water meter factor", "Factor medidor agua"), f.plain(water, 4)),
        (f.t("Gas meter factor", "Factor medidor gas"), f.plain(gas, 4)),
        (
            f.t("Shrinkage factor", "Factor de encogimiento"),
            f.plain(m.shrinkage, 4),
        ),
        (
            f.t("Volumes from totalizers", "Volúmenes de totalizadores"),
            f.yes_no(m.totalized).to_owned(),
        ),
        (
            f.t("Vessel levels counted", "Niveles del separador"),
            f.yes_no(m.level_compensated).to_owned(),
        ),
        (f.t("Bad or stale input", "Entrada mala o congelada"), bad),
    ];
    key_values(sheet, &pairs);
}

fn inflow(sheet: &mut Sheet, d: &Doc, n: usize, curve: &IprFit) {
    let f = d.f;
    let title = heading(n, f.t("Inflow performance (IPR)", "Comportamiento de afluencia (IPR)"));
    section(sheet, &title, 50.0);
    let model = match curve.model {
        IprModel::Linear => f.t("Linear (constant PI)", "Lineal (IP constante)"),
        IprModel::Vogel => "Vogel",
        IprModel::Composite => f.t("Composite (Vogel below p_b)", "Compuesto (Vogel bajo p_b)"),
    };
    let method = match curve.method {
        FitMethod::OnePoint => f.t("One point", "Un punto"),
        FitMethod::LeastSquares => f.t("Least squares", "Mínimos cuadrados"),
    };
    let ipr = &curve.ipr;
    let pairs = [
        (f.t("Model", "Modelo"), model.to_owned()),
        (f.t("Method", "Método"), method.to_owned()),
        (f.t("Tests fitted", "Pruebas ajustadas"), curve.points.to_string()),
        (
            f.t("RMS residual", "Residuo RMS"),
            f.qty("bbl/d", curve.rms_residual_stb_d, 1),
        ),
        (
            f.t("Reservoir pressure", "Presión de yacimiento"),
            f.qty("psi", ipr.p_res_psi, 0),
        ),
        (
            f.t("Bubble point p_b", "Punto de burbuja p_b"),
            f.qty("psi", ipr.p_b_psi, 0),
        ),
        (
            f.t("Productivity index J", "Índice de productividad"),
            f.qty("bbl/d/psi", ipr.j_stb_d_psi, 3),
        ),
        ("AOF", f.qty("bbl/d", ipr.aof_stb_d(), 0)),
    ];
    key_values(sheet, &pairs);
}

/// The test window's history: one small chart per series, two to a row, the test period marked.
fn charts(sheet: &mut Sheet, d: &Doc, n: usize) {
    const CHART_H: f32 = 165.0;
    const GAP: f32 = 14.0;
    let (f, m) = (d.f, &d.t.m);
    let series: Vec<&Series> = d.cx.series.iter().take(MAX_CHARTS).collect();
    let first = if series.is_empty() { 12.0 } else { CHART_H };
    let title = heading(
        n,
        f.t("History of the test window", "Historial de la ventana de prueba"),
    );
    section(sheet, &title, first);
    if series.is_empty() {
        note(
            sheet,
            f.t(
                "No history recorded for the test window.",
                "No hay historial registrado para la ventana de prueba.",
            ),
        );
        return;
    }
    let (start, end) = (m.start.as_secs_f64(), m.end.as_secs_f64());
    // The window: the test period and whatever history came with it (purge, stabilization).
    let times = series.iter().flat_map(|s| s.points.iter().map(|p| p[0]));
    let (t0, t1) = extent(times.chain([start, end]));
    let x_title = format!(
        "{} {}",
        f.t("Time (UTC) from", "Hora (UTC) desde"),
        chart::utc_minute(t0)
    );
    let per_row = if series.len() == 1 { 1 } else { 2 };
    let w = (CONTENT_W - GAP * (per_row - 1) as f32) / per_row as f32;
    for (r, row) in series.chunks(per_row).enumerate() {
        sheet.need(CHART_H);
        let y = sheet.y;
        for (k, s) in row.iter().enumerate() {
            let points: Vec<[f64; 2]> = s.points.iter().map(|[t, v]| [*t, f.value(s.unit, *v)]).collect();
            let (v0, v1) = extent(points.iter().map(|p| p[1]));
            let unit = f.unit(s.unit);
            let plot = Plot {
                x: MARGIN + k as f32 * (w + GAP),
                y,
                w,
                h: CHART_H,
                title: format!("{} ({unit})", f.t(s.en, s.es)),
                x_title: x_title.clone(),
                y_title: unit.to_owned(),
                x_axis: Axis::time(t0, t1, 6),
                y_axis: Axis::nice(v0, v1, 5),
                x_time: true,
                y_down: false,
                decimal_comma: f.decimal_comma(),
            };
            let pen = PENS[(r * per_row + k) % PENS.len()];
            chart::line_chart(sheet, &plot, &points, pen, f.t("No history", "Sin historial"));
            if !points.is_empty() {
                for at in [start, end] {
                    let top = plot.place(at, plot.y_axis.hi);
                    let bottom = plot.place(at, plot.y_axis.lo);
                    sheet.dashed(vec![top, bottom], INK, 0.6);
                }
            }
        }
        sheet.y = y + CHART_H + 8.0;
    }
    note(
        sheet,
        f.t(
            "Dashed lines: the test period's start and end. Before it: purge and stabilization.",
            "Líneas de trazos: inicio y fin del período de prueba. Antes: purga y estabilización.",
        ),
    );
}

fn signatures(sheet: &mut Sheet, d: &Doc, n: usize) {
    const BOX_H: f32 = 96.0;
    let (f, t) = (d.f, d.t);
    section(sheet, &heading(n, f.t("Signatures", "Firmas")), BOX_H + 50.0);
    let intro = f.t(
        "The tester signs the test; a supervisor or engineer approves or rejects it. Each signature is confirmed \
         with the signer's own login and recorded in the audit trail with the SHA-256 of this test record:",
        "Firma la prueba quien la presenció; un supervisor o ingeniero la aprueba o la rechaza. Cada firma se \
         confirma con el usuario y la contraseña de quien firma y queda en la auditoría con el SHA-256 de este \
         registro de prueba:",
    );
    for line in wrap(intro, BODY, CONTENT_W) {
        sheet.text(MARGIN, sheet.y + 8.0, BODY, Align::Left, &line);
        sheet.y += 10.5;
    }
    sheet.text(MARGIN, sheet.y + 9.0, BODY_BOLD, Align::Left, &d.sha);
    sheet.y += 16.0;
    sheet.need(BOX_H);
    let w = (CONTENT_W - 10.0) / 2.0;
    let y = sheet.y;
    let tester = t.tested_by.as_deref().map(|name| (name, t.tested_at));
    signed_box(
        sheet,
        f,
        [MARGIN, y, w, BOX_H],
        f.t("Tester", "Responsable de la prueba"),
        tester,
    );
    let (title, decided) = match t.status {
        TestStatus::Pending => (
            f.t(
                "Approval (engineer / supervisor)",
                "Aprobación (ingeniero / supervisor)",
            ),
            None,
        ),
        TestStatus::Approved => (
            f.t(
                "Approved by (engineer / supervisor)",
                "Aprobada por (ingeniero / supervisor)",
            ),
            t.decided_by.as_deref(),
        ),
        TestStatus::Rejected => (
            f.t(
                "Rejected by (engineer / supervisor)",
                "Rechazada por (ingeniero / supervisor)",
            ),
            t.decided_by.as_deref(),
        ),
    };
    let decided = decided.map(|name| (name, t.decided_at));
    signed_box(sheet, f, [MARGIN + w + 10.0, y, w, BOX_H], title, decided);
    sheet.y = y + BOX_H + 8.0;
}

/// A signature box: the printed name and UTC time of who signed, or blank lines to sign by hand.
fn signed_box(sheet: &mut Sheet, f: Fmt, rect: [f32; 4], title: &str, signed: Option<(&str, Option<Timestamp>)>) {
    let [x, y, w, h] = rect;
    signature_box(sheet, rect, title);
    let field = |sheet: &mut Sheet, line: f32, label: &str, value: &str| {
        sheet.text(x + 5.0, line, LABEL, Align::Left, label);
        sheet.text(x + 70.0, line, BODY, Align::Left, &fit(value, BODY, w - 75.0));
    };
    match signed {
        Some((name, at)) => {
            field(sheet, y + 27.0, f.t("Name", "Nombre"), name);
            field(sheet, y + 39.0, f.t("Signed (UTC)", "Firmó (UTC)"), &when_opt(at));
            let by = f.t(
                "Signed electronically, login confirmed; recorded in the audit trail.",
                "Firmado electrónicamente, con usuario confirmado; registrado en la auditoría.",
            );
            sheet.text(x + 5.0, y + h - 8.0, LABEL, Align::Left, &fit(by, LABEL, w - 10.0));
        }
        None => {
            let style = Style::new(7.0, true, ALERT);
            sheet.text(x + 5.0, y + 27.0, style, Align::Left, f.t("Not signed", "Sin firmar"));
            signature_lines(sheet, rect, f.lang);
        }
    }
}

/// Each page with its band, its footer and, while the test is pending, the DRAFT mark (a rejected one is
/// marked as such: it must never pass for a valid certificate).
fn dress(pages: Vec<Vec<Item>>, d: &Doc) -> Vec<Vec<Item>> {
    let f = d.f;
    let about = format!("{}  ·  {}: {}", d.cx.site, f.t("Well", "Pozo"), well_name(d.t, d.cx));
    let number = format!("{} {}", f.t("Test No.", "Prueba N.º"), d.t.id);
    let band = Band {
        title: f.t("PRODUCTION TEST CERTIFICATE", "CERTIFICADO DE PRUEBA DE PRODUCCIÓN"),
        about: &about,
        number: &number,
        lang: f.lang,
    };
    let mark = match d.t.status {
        TestStatus::Pending => Some(f.t("DRAFT", "BORRADOR")),
        TestStatus::Rejected => Some(f.t("REJECTED", "RECHAZADA")),
        TestStatus::Approved => None,
    };
    blocks::dress(pages, &band, mark, |page| footer(page, d))
}

/// The record's full SHA-256 on the left (to check a copy against production.db), its status on the right.
fn footer(page: &mut Sheet, d: &Doc) {
    let y = BOTTOM + 10.0;
    page.rule(MARGIN, y, CONTENT_W, RULE, 0.6);
    let hash = format!("{} SHA-256 {}", d.f.t("Record", "Registro"), d.sha);
    page.text(MARGIN, y + 11.0, FOOT, Align::Left, &hash);
    let status = Style {
        color: if d.t.status == TestStatus::Approved { INK } else { ALERT },
        ..FOOT_BOLD
    };
    let words = format!("{}  ·  wellconsole", d.t.status.label(d.f.lang).to_uppercase());
    page.text(MARGIN + CONTENT_W, y + 11.0, status, Align::Right, &words);
}

/// A test as the certificate's tests (and other rooms' tests) print it: esp01 on sep01, four hours, approved.
#[cfg(test)]
pub fn sample_test() -> WellTest {
    let t0 = 1_795_000_000.0;
    let at = |minutes: f64| Timestamp::from_secs_f64(t0 + minutes * 60.0);
    let (oil, water, gas) = (412.5, 937.4, 148.6);
    WellTest {
        id: 17,
        m: Measured {
            well: "esp01".into(),
            separator: "sep01".into(),
            routed_at: at(0.0),
            stable_at: at(42.0),
            start: at(42.0),
            end: at(282.0),
            oil_stb_d: oil,
            water_bbl_d: water,
            gas_mscf_d: gas,
            gor_scf_stb: Some(gas * 1000.0 / oil),
            wor: Some(water / oil),
            water_cut: Some(water / (oil + water)),
            bsw: Some(0.695),
            separator_psi: 120.0,
            separator_temp_f: Some(104.0),
            whp_psi: Some(185.0),
            pwf_psi: Some(1_420.0),
            esp_hz: Some(55.0),
            meter_factors: [1.002, 0.998, 1.0],
            shrinkage: 0.96,
            totalized: true,
            level_compensated: true,
            bad_input_s: 12.0,
        },
        status: TestStatus::Approved,
        tested_by: Some("Luis Ortega".into()),
        tested_at: Some(at(290.0)),
        decided_by: Some("Ana Ruiz".into()),
        decided_at: Some(at(400.0)),
        reason: String::new(),
        note: "ESP at 55 Hz throughout; separator dumps regular.".into(),
    }
}

/// The sample test's context: a composite IPR and four signals over the window (a fifth is left out).
#[cfg(test)]
pub fn sample_context() -> CertificateContext {
    use crate::calc::ipr::Ipr;
    let t = sample_test();
    let (t0, t1) = (t.m.routed_at.as_secs_f64(), t.m.end.as_secs_f64());
    let wave = |mean: f64, swing: f64| -> Vec<[f64; 2]> {
        let n = ((t1 - t0) / 60.0) as usize;
        (0..=n)
            .map(|i| {
                let s = t0 + i as f64 * 60.0;
                [s, mean + swing * (i as f64 / 7.0).sin()]
            })
            .collect()
    };
    let series = |en: &'static str, es: &'static str, unit: &'static str, mean: f64, swing: f64| Series {
        en,
        es,
        unit,
        points: wave(mean, swing),
    };
    CertificateContext {
        site: "Campo Sur (demo)".into(),
        well_label: "ESP-01".into(),
        ipr: Some(IprFit {
            ipr: Ipr {
                p_res_psi: 2_500.0,
                p_b_psi: 1_800.0,
                j_stb_d_psi: 1.2,
            },
            model: IprModel::Composite,
            method: FitMethod::LeastSquares,
            points: 3,
            rms_residual_stb_d: 4.2,
        }),
        series: vec![
            series("Oil rate", "Caudal de petróleo", "bbl/d", 412.0, 30.0),
            series("Water rate", "Caudal de agua", "bbl/d", 937.0, 60.0),
            series("Gas rate", "Caudal de gas", "Mscf/d", 148.0, 9.0),
            series("Separator pressure", "Presión del separador", "psi", 120.0, 3.0),
            series("Intake pressure", "Presión de admisión", "psi", 1_100.0, 20.0),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every text drawn, page by page, joined by spaces.
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

    fn all_text(t: &WellTest, cx: &CertificateContext, lang: Lang, units: UnitSystem) -> (usize, String) {
        let pages = layout(t, cx, lang, units);
        (pages.len(), texts(&pages).join("\n"))
    }

    #[test]
    fn the_pdf_renders_in_both_languages_and_unit_systems() {
        let (t, cx) = (sample_test(), sample_context());
        for lang in [Lang::En, Lang::Es] {
            for units in [UnitSystem::Oilfield, UnitSystem::Si] {
                let pdf = render_pdf(&t, &cx, lang, units).unwrap();
                assert!(pdf.starts_with(b"%PDF-"), "not a PDF ({lang:?}, {units:?})");
                assert!(pdf.len() > 5_000, "{} bytes ({lang:?}, {units:?})", pdf.len());
                let pages = layout(&t, &cx, lang, units).len();
                assert!((1..=2).contains(&pages), "{pages} pages ({lang:?}, {units:?})");
            }
        }
    }

    #[test]
    fn every_page_has_its_header_and_the_records_hash() {
        let (t, cx) = (sample_test(), sample_context());
        let sha = content_sha256(&t.m);
        let pages = texts(&layout(&t, &cx, Lang::En, UnitSystem::Oilfield));
        let count = pages.len();
        for (i, page) in pages.iter().enumerate() {
            for word in [
                "PRODUCTION TEST CERTIFICATE",
                "Test No. 17",
                "ESP-01 (esp01)",
                "Campo Sur (demo)",
            ] {
                assert!(page.contains(word), "page {} lacks '{word}'", i + 1);
            }
            assert!(page.contains(&format!("Page {} of {count}", i + 1)));
            assert!(
                page.contains(&format!("SHA-256 {sha}")),
                "page {} lacks the hash",
                i + 1
            );
            assert!(!page.contains("DRAFT"), "an approved test carries no draft mark");
        }
    }

    #[test]
    fn the_english_oilfield_certificate_says_what_was_measured() {
        let (t, cx) = (sample_test(), sample_context());
        let (_, all) = all_text(&t, &cx, Lang::En, UnitSystem::Oilfield);
        for word in [
            "Well and test",
            "Results",
            "(STB/d)",
            "(Mscf/d)",
            "(scf/STB)",
            "412.5",
            "937.4",
            "1349.9",
            "148.6",
            "360",
            "69.4",
            "120 psi",
            "1420 psi",
            "55.0 Hz",
            "1.0020",
            "0.9600",
            "Inflow performance (IPR)",
            "Composite (Vogel below p_b)",
            "Least squares",
            "Oil rate (bbl/d)",
            "Separator pressure (psi)",
            "Tester",
            "Luis Ortega",
            "Approved by",
            "Ana Ruiz",
            "APPROVED",
            "2026-11-18 ",
        ] {
            assert!(all.contains(word), "'{word}' is not on the certificate");
        }
        // At most four charts: the fifth series is left out.
        assert!(!all.contains("Intake pressure"));
        assert!(!all.contains("undefined"));
    }

    #[test]
    fn the_spanish_si_certificate_prints_metric_units_and_spanish_words() {
        let (t, cx) = (sample_test(), sample_context());
        let (_, all) = all_text(&t, &cx, Lang::Es, UnitSystem::Si);
        for word in [
            "CERTIFICADO DE PRUEBA DE PRODUCCIÓN",
            "Prueba N.º 17",
            "Página 1 de",
            "Pozo y prueba",
            "(m³/d)",
            "(m³/m³)",
            "kPa",
            "°C",
            "Responsable de la prueba",
            "Aprobada por",
            "APROBADA",
        ] {
            assert!(all.contains(word), "'{word}' is not on the Spanish certificate");
        }
        // 412.5 STB/d is 65.58 m³/d, written with the decimal comma.
        assert!(all.contains("65,58"), "no oil rate in m³/d");
        assert!(!all.contains("STB/d"));
    }

    #[test]
    fn an_undefined_ratio_is_printed_as_undefined_never_infinite() {
        let mut t = sample_test();
        t.m.oil_stb_d = 0.0;
        t.m.gas_mscf_d = 0.0;
        t.m.gor_scf_stb = None;
        t.m.wor = Some(f64::INFINITY);
        t.m.water_cut = Some(1.0);
        let cx = sample_context();
        for (lang, word) in [(Lang::En, "undefined"), (Lang::Es, "indefinido")] {
            let (_, all) = all_text(&t, &cx, lang, UnitSystem::Oilfield);
            assert!(all.contains(word), "no '{word}'");
            for token in all.split_whitespace() {
                let token = token.to_lowercase();
                assert!(
                    !["inf", "-inf", "nan", "∞"].contains(&token.as_str()),
                    "'{token}' printed"
                );
            }
        }
    }

    #[test]
    fn a_rejected_test_shows_its_reason_and_no_approval() {
        let mut t = sample_test();
        t.status = TestStatus::Rejected;
        t.reason = "Level transmitter frozen during the test".into();
        let cx = sample_context();
        let (_, all) = all_text(&t, &cx, Lang::En, UnitSystem::Oilfield);
        assert!(
            all.contains("REJECTED: Level transmitter frozen during the test"),
            "{all}"
        );
        assert!(all.contains("Rejected by"));
        assert!(!all.contains("Approved by") && !all.contains("DRAFT"));
        let (_, es) = all_text(&t, &cx, Lang::Es, UnitSystem::Si);
        assert!(es.contains("RECHAZADA: Level transmitter frozen"));
    }

    #[test]
    fn a_pending_test_is_a_draft_on_every_page() {
        let mut t = sample_test();
        t.status = TestStatus::Pending;
        t.decided_by = None;
        t.decided_at = None;
        let cx = sample_context();
        for (lang, mark) in [(Lang::En, "DRAFT"), (Lang::Es, "BORRADOR")] {
            let pages = texts(&layout(&t, &cx, lang, UnitSystem::Oilfield));
            for page in &pages {
                assert!(page.starts_with(mark), "a pending page without its mark: {page}");
            }
            let all = pages.join("\n");
            assert!(all.contains(lang.pick("PENDING APPROVAL", "PENDIENTE DE APROBACIÓN")));
            assert!(all.contains(lang.pick("Not signed", "Sin firmar")));
        }
    }

    #[test]
    fn without_history_or_ipr_the_certificate_says_so() {
        let t = sample_test();
        let cx = CertificateContext {
            ipr: None,
            series: Vec::new(),
            ..sample_context()
        };
        let (pages, all) = all_text(&t, &cx, Lang::En, UnitSystem::Oilfield);
        assert_eq!(pages, 1, "{all}");
        assert!(all.contains("No history recorded for the test window."));
        assert!(!all.contains("Inflow performance"));
        assert!(all.contains("5. History of the test window"));
    }

    #[test]
    fn the_records_hash_is_stable_and_follows_the_measurement() {
        let t = sample_test();
        let sha = content_sha256(&t.m);
        assert_eq!(sha.len(), 64);
        assert!(sha.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(sha, content_sha256(&t.m.clone()));
        let mut changed = t.m.clone();
        changed.oil_stb_d += 0.1;
        assert_ne!(content_sha256(&changed), sha);
        // The decision is not part of it: approving does not change what was measured.
        let mut decided = t;
        decided.status = TestStatus::Rejected;
        assert_eq!(content_sha256(&decided.m), sha);
    }

    /// The certificate as a person sees it: an approved test with its inflow curve and charts, rendered by
    /// poppler and compared with tests/snapshots/certificate_page*.png.
    #[test]
    fn the_pages_render_as_the_snapshots() {
        let mut t = sample_test();
        t.status = TestStatus::Approved;
        t.decided_by = Some("eve".into());
        t.decided_at = Some(t.m.end);
        let pdf = render_pdf(&t, &sample_context(), Lang::En, UnitSystem::Oilfield).unwrap();
        crate::report::testing::pages_match_snapshots(&pdf, "certificate_page", 1);
    }
}
