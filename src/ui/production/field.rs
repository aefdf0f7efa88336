//! The field table: one row per producing well with its live rate, its last approved test's rates and
//! ratios, its inflow (PI, AOF), the days since it was last tested and its ESP's zone; sorted by a header's
//! click (again: the other way), filtered by a text and by "overdue only". A row's well opens the well.
//!
//! The rows come from `production::field::rows` at most once a second, or at once when the query or the
//! writer's view changes; between those frames the rows kept are drawn as they are (the bench's 500 wells
//! cost one rebuild a second, not one a frame). An overdue test is said in the attention ink with a word,
//! the well on the separator is marked, the tests awaiting approval are counted; a ratio whose divisor was
//! zero reads "undefined", never infinity. Draws and keeps view state only.

use super::{Desk, num, pct_text, ratio_text};
use crate::lang::Lang;
use crate::locale::Locale;
use crate::production::field::{self as table, FieldQuery, FieldRow, SortKey};
use crate::production::view::ProductionView;
use crate::ui::theme;
use egui::{RichText, Ui};
use std::time::{Duration, Instant};

/// The rows are rebuilt at most this often while nothing else changes (live rates move every second).
const REBUILD: Duration = Duration::from_secs(1);

/// The table's query and the rows built for it.
#[derive(Default)]
pub struct FieldState {
    query: FieldQuery,
    rows: Vec<FieldRow>,
    /// When the rows were built, for which query and which of the writer's views.
    built: Option<(Instant, FieldQuery, u64)>,
}

impl FieldState {
    /// The controls and the table; the id of the well whose name was touched.
    pub fn table_ui(&mut self, ui: &mut Ui, view: &ProductionView, desk: &Desk<'_>) -> Option<String> {
        let lang = desk.lang();
        let pending: usize = view.wells.iter().map(|s| s.pending).sum();
        controls_ui(ui, &mut self.query, pending, lang);
        self.refresh(view, desk);
        let overdue = self.rows.iter().filter(|r| r.overdue).count();
        let count = match lang {
            Lang::En => format!(
                "{} of {} wells · {overdue} overdue for a test",
                self.rows.len(),
                desk.cfg.wells.len()
            ),
            Lang::Es => format!(
                "{} de {} pozos · {overdue} con la prueba vencida",
                self.rows.len(),
                desk.cfg.wells.len()
            ),
        };
        ui.label(RichText::new(count).color(theme::text_dim()));
        let mut chosen = None;
        egui::ScrollArea::both()
            .id_salt("production_field")
            .auto_shrink([false, false])
            .show(ui, |ui| {
                egui::Grid::new("production_field_table")
                    .striped(true)
                    .num_columns(HEADERS)
                    .spacing(egui::vec2(14.0, 6.0))
                    .show(ui, |ui| {
                        headers_ui(ui, &mut self.query, desk);
                        ui.end_row();
                        for r in &self.rows {
                            if row_ui(ui, r, desk) {
                                chosen = Some(r.well.clone());
                            }
                            ui.end_row();
                        }
                    });
            });
        chosen
    }

    /// Rebuilds the rows once a second, or at once for a new query or a new view of the tests.
    fn refresh(&mut self, view: &ProductionView, desk: &Desk<'_>) {
        let due = match &self.built {
            None => true,
            Some((at, query, version)) => at.elapsed() >= REBUILD || *query != self.query || *version != view.version,
        };
        if due {
            table::rows(desk.cfg, &view.wells, desk.snap, desk.now, &self.query, &mut self.rows);
            self.built = Some((Instant::now(), self.query.clone(), view.version));
        }
    }
}

/// The filter, the overdue switch and the tests awaiting approval.
fn controls_ui(ui: &mut Ui, q: &mut FieldQuery, pending: usize, lang: Lang) {
    ui.horizontal_wrapped(|ui| {
        ui.heading(lang.pick("Field", "Campo"));
        ui.add_space(12.0);
        let l = ui.label(lang.pick("Filter", "Filtrar"));
        ui.add(
            egui::TextEdit::singleline(&mut q.text)
                .hint_text(lang.pick("well, e.g. 03", "pozo, p. ej. 03"))
                .desired_width(160.0),
        )
        .labelled_by(l.id);
        if ui.button(lang.pick("Clear filter", "Borrar filtro")).clicked() {
            q.text.clear();
        }
        ui.checkbox(&mut q.overdue_only, lang.pick("Overdue only", "Solo vencidas"));
        ui.separator();
        let text = match lang {
            Lang::En if pending == 1 => "1 test pending approval".to_owned(),
            Lang::En => format!("{pending} tests pending approval"),
            Lang::Es => format!("{pending} pruebas por aprobar"),
        };
        let ink = if pending > 0 { theme::text() } else { theme::text_dim() };
        ui.label(RichText::new(text).strong().color(ink));
    });
}

/// Columns in the table.
const HEADERS: usize = 15;

/// The header row: the sortable columns are buttons (the sorted one marked with its direction).
fn headers_ui(ui: &mut Ui, q: &mut FieldQuery, desk: &Desk<'_>) {
    let lang = desk.lang();
    let units = desk.loc().units;
    let with_unit = |name: &str, unit: &str| format!("{name} {}", units.shown(unit).unit);
    sort_header_ui(ui, q, SortKey::Well, lang.pick("Well", "Pozo").to_owned(), lang);
    ui.strong(lang.pick("Test", "Prueba"));
    sort_header_ui(
        ui,
        q,
        SortKey::LiveRate,
        with_unit(lang.pick("Live liquid", "Líquido en vivo"), "bbl/d"),
        lang,
    );
    sort_header_ui(
        ui,
        q,
        SortKey::Oil,
        with_unit(lang.pick("Oil", "Petróleo"), "STB/d"),
        lang,
    );
    sort_header_ui(
        ui,
        q,
        SortKey::Water,
        with_unit(lang.pick("Water", "Agua"), "bbl/d"),
        lang,
    );
    sort_header_ui(ui, q, SortKey::Gas, with_unit("Gas", "Mscf/d"), lang);
    sort_header_ui(ui, q, SortKey::Gor, with_unit(lang.pick("GOR", "RGP"), "scf/STB"), lang);
    sort_header_ui(ui, q, SortKey::Wor, lang.pick("WOR", "RAP").to_owned(), lang);
    sort_header_ui(
        ui,
        q,
        SortKey::WaterCut,
        lang.pick("Water cut %", "Corte de agua %").to_owned(),
        lang,
    );
    ui.strong(lang.pick("BS&W %", "BS&W %"));
    sort_header_ui(ui, q, SortKey::Pi, with_unit(lang.pick("PI", "IP"), "bbl/d/psi"), lang);
    ui.strong(with_unit("AOF", "bbl/d"));
    sort_header_ui(
        ui,
        q,
        SortKey::DaysSinceTest,
        lang.pick("Days since test", "Días desde la prueba").to_owned(),
        lang,
    );
    ui.strong(lang.pick("Pending", "Por aprobar"));
    ui.strong(lang.pick("ESP zone", "Zona de la BES"));
}

/// A sortable column's header: sorts by it, or the other way when it already does; a painted triangle
/// says the direction (up: ascending).
fn sort_header_ui(ui: &mut Ui, q: &mut FieldQuery, key: SortKey, name: String, lang: Lang) {
    let active = q.sort == key;
    ui.horizontal(|ui| {
        let r = ui
            .add(egui::Button::selectable(active, RichText::new(name).strong()))
            .on_hover_text(lang.pick(
                "Sort by this column (again: the other way)",
                "Ordenar por esta columna (otra vez: al revés)",
            ));
        if active {
            let (rect, _) = ui.allocate_exact_size(egui::vec2(10.0, 10.0), egui::Sense::hover());
            let c = rect.center();
            let (tip, base) = if q.descending {
                (rect.bottom(), rect.top())
            } else {
                (rect.top(), rect.bottom())
            };
            let points = vec![
                egui::pos2(c.x, tip),
                egui::pos2(rect.left(), base),
                egui::pos2(rect.right(), base),
            ];
            ui.painter()
                .add(egui::Shape::convex_polygon(points, theme::text(), egui::Stroke::NONE));
        }
        if r.clicked() {
            if active {
                q.descending = !q.descending;
            } else {
                q.sort = key;
                q.descending = false;
            }
        }
    });
}

/// One well's row; true when its name was touched (open the well).
fn row_ui(ui: &mut Ui, r: &FieldRow, desk: &Desk<'_>) -> bool {
    let loc = desk.loc();
    let lang = loc.lang;
    let open = ui
        .add(egui::Button::new(RichText::new(&r.label).strong()))
        .on_hover_text(lang.pick("Open this well", "Abrir este pozo"))
        .clicked();
    if r.on_test {
        ui.label(RichText::new(lang.pick("on test", "en prueba")).strong());
    } else {
        ui.label("");
    }
    let measured = r.oil_stb_d.is_some();
    let mono = |ui: &mut Ui, text: String| {
        ui.label(RichText::new(text).monospace());
    };
    mono(ui, num(loc, "bbl/d", r.live_rate_bpd, 0));
    mono(ui, num(loc, "STB/d", r.oil_stb_d, 0));
    mono(ui, num(loc, "bbl/d", r.water_bbl_d, 0));
    mono(ui, num(loc, "Mscf/d", r.gas_mscf_d, 0));
    mono(ui, cell_ratio(loc, "scf/STB", r.gor_scf_stb, 0, measured));
    mono(ui, ratio_text(loc, "", r.wor, 2, measured));
    mono(ui, pct_text(lang, r.water_cut, measured));
    // No BS&W is no sampler on the separator, not a zero divisor.
    mono(ui, pct_text(lang, r.bsw, false));
    mono(ui, num(loc, "bbl/d/psi", r.pi, 3));
    mono(ui, num(loc, "bbl/d", r.aof_stb_d, 0));
    days_ui(ui, r, lang);
    if r.pending_tests > 0 {
        ui.label(RichText::new(r.pending_tests.to_string()).strong());
    } else {
        ui.label(RichText::new("0").color(theme::text_dim()));
    }
    zone_ui(ui, r, lang);
    open
}

/// Days since the last approved test; overdue (or never tested) in the attention ink with its word.
fn days_ui(ui: &mut Ui, r: &FieldRow, lang: Lang) {
    let text = match (r.days_since_test, r.overdue) {
        (Some(d), false) => format!("{d:.0} d"),
        (Some(d), true) => format!("{d:.0} d · {}", lang.pick("OVERDUE", "VENCIDA")),
        (None, _) => lang.pick("never tested", "nunca probado").to_owned(),
    };
    if r.overdue {
        ui.label(RichText::new(text).strong().color(theme::ATTENTION));
    } else {
        ui.label(RichText::new(text).monospace());
    }
}

/// The ESP's zone in words; out of its range in the attention ink (its alarm is the alarm system's).
fn zone_ui(ui: &mut Ui, r: &FieldRow, lang: Lang) {
    match &r.zone {
        None => {
            ui.label(RichText::new("----").color(theme::text_dim()));
        }
        Some(code) => {
            let mut text = super::esp::zone_text(code, lang);
            if r.pump_out_of_range {
                text.push_str(&format!(" · {}", lang.pick("OUT OF RANGE", "FUERA DE RANGO")));
            }
            if code == "recommended" {
                ui.label(text);
            } else {
                ui.label(RichText::new(text).strong().color(theme::ATTENTION));
            }
        }
    }
}

/// A ratio in a cell: its number in the header's unit, or why there is none.
fn cell_ratio(loc: Locale, unit: &str, value: Option<f64>, decimals: usize, measured: bool) -> String {
    match value.filter(|v| v.is_finite()) {
        Some(_) => num(loc, unit, value, decimals),
        None => ratio_text(loc, unit, value, decimals, measured),
    }
}
