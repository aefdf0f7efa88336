//! The CT string page: what a CT engineer buys Cerberus/Orion for, on the console and live. One unit's
//! string at a time (a picker where there are several), under a header with the reel, the string's length,
//! its running feet against their limit and its worst cell; below it one of three sections, each large
//! enough to read on a cab panel: the fatigue map with a planned-job what-if (`fatigue_map`, `whatif`),
//! the depth plot with its broomstick, the band at the live depth and the lockup table (`depth_plot`), and
//! the pressures: hydraulics against the measured pump pressure and the pipe's von Mises limits
//! (`hydraulics`, `limits_plot`).
//!
//! Reads the published `CtStringViews` once a frame and draws them; it calculates nothing but what drawing
//! needs (per-pixel aggregation, interpolation at a marker). It asks the string service for a what-if
//! prediction on the operator's Predict, and under the fatigue map sends the string's record changes (a cut,
//! an import) as the console's user and writes its export (`records`), files always off the UI thread.
//! Where the console keeps CT jobs, the depth plot marks the unit's job in progress: its TAG depths and its
//! deepest point (`ui::job::marks`).
//! Values are kept in oilfield units in the view and shown in the console's units; every word is in English
//! and Spanish. Owns only view state: the unit shown, the section, the what-if inputs and result, the map's
//! span, the records' dialog and file job.

mod depth_plot;
mod fatigue_map;
mod hydraulics;
mod limits_plot;
mod records;
mod whatif;

use super::context::Console;
use super::page::{FrameInputs, PageView, ShellAction};
use super::{readout, theme};
use crate::ctstring::view::{CtStringView, CtStringViewCell};
use crate::job::view::JobDetail;
use crate::lang::Lang;
use crate::locale::Locale;
use egui::{RichText, Ui};

/// The part of the string's engineering the page shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Section {
    #[default]
    Fatigue,
    Forces,
    Pressures,
}

impl Section {
    const ALL: [Section; 3] = [Section::Fatigue, Section::Forces, Section::Pressures];

    fn label(self, lang: Lang) -> &'static str {
        match self {
            Section::Fatigue => lang.pick("Fatigue", "Fatiga"),
            Section::Forces => lang.pick("Forces", "Fuerzas"),
            Section::Pressures => lang.pick("Pressures & limits", "Presiones y límites"),
        }
    }
}

/// The CT string page's view state.
pub struct CtStringPage {
    cell: Option<CtStringViewCell>,
    /// The unit shown (its tag prefix); `None`: the first one.
    unit: Option<String>,
    section: Section,
    whatif: whatif::WhatIfState,
    map: fatigue_map::MapState,
    records: records::RecordsState,
    /// The job records, for the marks of the unit's job in progress (`None`: no marks).
    jobs: Option<crate::job::writer::JobPort>,
}

impl CtStringPage {
    pub fn new(cell: Option<CtStringViewCell>) -> Self {
        Self {
            cell,
            unit: None,
            section: Section::default(),
            whatif: whatif::WhatIfState::default(),
            map: fatigue_map::MapState::default(),
            records: records::RecordsState::default(),
            jobs: None,
        }
    }

    /// The same, marking each unit's job in progress from `jobs` on the depth plot.
    pub fn with_jobs(self, jobs: Option<crate::job::writer::JobPort>) -> Self {
        Self { jobs, ..self }
    }
}

impl PageView for CtStringPage {
    fn ui(&mut self, ui: &mut Ui, console: &mut Console, frame: &FrameInputs<'_>) -> Option<ShellAction> {
        // A file read or written for the records is answered whatever the section shown.
        self.records.poll(console, ui.ctx(), frame.now);
        let loc = console.locale();
        let views = self.cell.as_ref().map(|c| c.load_full()).unwrap_or_default();
        if let Some(problem) = &views.problem {
            ui.heading(loc.lang.pick(
                "CT string engineering is off",
                "La ingeniería de la sarta de TF está apagada",
            ));
            ui.label(RichText::new(problem).color(theme::QUALITY_BAD));
            return None;
        }
        if views.units.is_empty() {
            not_configured_ui(ui, loc.lang);
            return None;
        }
        let view = self
            .unit
            .as_deref()
            .and_then(|u| views.unit(u))
            .or_else(|| views.units.first())
            .cloned()?;
        ui.horizontal_wrapped(|ui| {
            if views.units.len() > 1 {
                for v in &views.units {
                    if ui
                        .selectable_label(v.unit == view.unit, v.unit_label.as_str())
                        .clicked()
                    {
                        self.unit = Some(v.unit.clone());
                    }
                }
                ui.separator();
            } else {
                ui.label(RichText::new(&view.unit_label).strong().size(theme::TEXT_HEADING));
            }
            header_ui(ui, &view, loc);
        });
        ui.horizontal(|ui| {
            for s in Section::ALL {
                if ui.selectable_label(self.section == s, s.label(loc.lang)).clicked() {
                    self.section = s;
                }
            }
        });
        ui.separator();
        let touch = console.touch;
        let jobs = self.jobs.as_ref().map(|p| p.view.load_full());
        let job = jobs
            .as_deref()
            .and_then(|j| super::job::marks::unit_job(j, &view.unit, &view.unit_label));
        // Taken outside the scroll area: the plots fill what the window has, and scroll only where a
        // cab panel's large targets do not fit.
        let room = ui.available_height();
        egui::ScrollArea::vertical()
            .id_salt("ct_string_page")
            .auto_shrink([false, false])
            .show(ui, |ui| match self.section {
                Section::Fatigue => {
                    // The what-if and records rows above the map: on a cab panel the map gives up height,
                    // never the inputs their place on screen.
                    let top = ui.cursor().top();
                    whatif::whatif_ui(ui, &mut self.whatif, &view, loc, touch);
                    ui.separator();
                    let planned = self.whatif.planned_for(&view.unit).map(|p| p.cells.as_slice());
                    records::records_ui(ui, &mut self.records, &view, console);
                    ui.separator();
                    let height = (room - (ui.cursor().top() - top)).max(180.0);
                    fatigue_map::fatigue_map_ui(ui, &mut self.map, &view, planned, loc, height);
                }
                Section::Forces => forces_ui(ui, &view, loc, room, job),
                Section::Pressures => pressures_ui(ui, &view, loc, room),
            });
        None
    }
}

/// Reel, string, running feet, worst cell and depth, each its own label so each can be found and read.
fn header_ui(ui: &mut Ui, v: &CtStringView, loc: Locale) {
    let lang = loc.lang;
    ui.label(format!("{} {}", lang.pick("Reel", "Carrete"), v.reel_id));
    ui.label(format!(
        "{} {}",
        lang.pick("String", "Sarta"),
        qty(loc, "ft", v.string_length_ft, 0)
    ));
    let share = if v.running_ft_limit > 0.0 {
        format!(" ({:.1} %)", 100.0 * v.running_ft / v.running_ft_limit)
    } else {
        String::new()
    };
    let ft = loc.units.shown("ft");
    // The run without its unit, the limit with it, both to the same decimals: "182400 / 400000 ft".
    ui.label(format!(
        "{} {:.d$} / {}{share}",
        lang.pick("Running", "Recorrido"),
        ft.value(v.running_ft),
        qty(loc, "ft", v.running_ft_limit, 0),
        d = ft.decimals(0)
    ));
    ui.label(
        RichText::new(format!(
            "{} {:.1} % {} {}",
            lang.pick("Max fatigue", "Fatiga máx."),
            v.max_fatigue_pct,
            lang.pick("at", "a"),
            qty(loc, "ft", v.max_fatigue_at_ft, 0)
        ))
        .strong(),
    );
    if let Some(problem) = &v.records_problem {
        readout::chip_ui(
            ui,
            lang.pick("RECORDS NOT SAVED", "REGISTROS NO GUARDADOS"),
            theme::QUALITY_BAD,
        );
        ui.label(RichText::new(problem).small().color(theme::QUALITY_BAD));
    }
    match v.depth_ft {
        Some(d) => {
            ui.label(format!(
                "{} {}",
                lang.pick("Depth", "Profundidad"),
                qty(loc, "ft", d, 0)
            ));
        }
        None => readout::chip_ui(
            ui,
            lang.pick(
                "DEPTH BAD: positions unknown",
                "PROFUNDIDAD MALA: posiciones desconocidas",
            ),
            theme::QUALITY_BAD,
        ),
    }
}

/// No CT string to show: how to configure one.
fn not_configured_ui(ui: &mut Ui, lang: Lang) {
    ui.heading(lang.pick("No CT string configured", "No hay sarta de TF configurada"));
    ui.label(lang.pick(
        "To follow a string's fatigue, forces and pressures here, give its CT unit a reel in site.toml: \
         a [ct.<unit>] table with reel = \"reels/<id>.toml\", the reel record with the string's sections \
         from the core out, their welds, and the reel's core and guide-arch sizes.",
        "Para seguir aquí la fatiga, las fuerzas y las presiones de una sarta, asigne un carrete a su unidad \
         de TF en site.toml: una tabla [ct.<unidad>] con reel = \"reels/<id>.toml\", el registro del carrete \
         con las secciones de la sarta desde el núcleo hacia afuera, sus soldaduras y las medidas del núcleo \
         y del arco guía.",
    ));
}

/// The depth plot with its broomstick (and the marks of the unit's job in progress, if any), and beside it
/// the band at the live depth and the lockup table.
fn forces_ui(ui: &mut Ui, v: &CtStringView, loc: Locale, room: f32, job: Option<&JobDetail>) {
    let height = (room - 8.0).max(320.0);
    let gap = ui.spacing().item_spacing.x;
    let plot_w = ((ui.available_width() - gap) * 0.62).max(320.0);
    let side_w = (ui.available_width() - gap - plot_w).max(220.0);
    let top_down = egui::Layout::top_down(egui::Align::LEFT);
    ui.horizontal_top(|ui| {
        ui.allocate_ui_with_layout(egui::vec2(plot_w, height), top_down, |ui| {
            depth_plot::depth_plot_ui(ui, v, loc, egui::vec2(plot_w, height), job);
        });
        ui.allocate_ui_with_layout(egui::vec2(side_w, height), top_down, |ui| {
            ui.set_width(side_w);
            depth_plot::band_ui(ui, v, loc);
            ui.add_space(8.0);
            depth_plot::lockup_ui(ui, v, loc);
        });
    });
}

/// Hydraulics beside the pipe limits.
fn pressures_ui(ui: &mut Ui, v: &CtStringView, loc: Locale, room: f32) {
    // Room for the heading and the numbers above the plot.
    let height = (room - 120.0).max(260.0);
    ui.columns(2, |c| {
        hydraulics::hydraulics_ui(&mut c[0], v, loc);
        limits_plot::limits_ui(&mut c[1], v, loc, height);
    });
}

/// A quantity kept in `unit` as this console shows it, with its unit: "14000 ft", "4267.2 m"; "----" for
/// a value that is not a number (never shown as one).
fn qty(loc: Locale, unit: &str, kept: f64, decimals: usize) -> String {
    if !kept.is_finite() {
        return "----".to_owned();
    }
    let s = loc.units.shown(unit);
    format!("{:.d$} {}", s.value(kept), s.unit, d = s.decimals(decimals))
}

/// A friction factor as engineers write it: "0.2", "0.25".
fn mu_text(mu: f64) -> String {
    let s = format!("{mu:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// A sentence from the string service (a problem), shown in the bad-quality ink: what it says is why a
/// piece is missing.
fn problem_ui(ui: &mut Ui, problem: &str) {
    ui.label(RichText::new(problem).color(theme::QUALITY_BAD));
}

/// Splits a curve at its non-finite values (no value there: a gap, never a number) and maps each point
/// with `f`.
fn finite_runs(points: impl Iterator<Item = [f64; 2]>, f: impl Fn([f64; 2]) -> [f64; 2]) -> Vec<Vec<[f64; 2]>> {
    let mut runs: Vec<Vec<[f64; 2]>> = Vec::new();
    let mut run = Vec::new();
    for p in points {
        if p[0].is_finite() && p[1].is_finite() {
            run.push(f(p));
        } else if !run.is_empty() {
            runs.push(std::mem::take(&mut run));
        }
    }
    if !run.is_empty() {
        runs.push(run);
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn friction_factors_read_as_engineers_write_them() {
        assert_eq!(mu_text(0.2), "0.2");
        assert_eq!(mu_text(0.25), "0.25");
        assert_eq!(mu_text(0.1), "0.1");
        assert_eq!(mu_text(1.0), "1");
    }

    #[test]
    fn a_curve_breaks_where_it_has_no_value() {
        let pts = [
            [0.0, 1.0],
            [1.0, f64::NAN],
            [2.0, 3.0],
            [3.0, 4.0],
            [f64::INFINITY, 5.0],
        ];
        let runs = finite_runs(pts.into_iter(), |p| [p[1], p[0]]);
        assert_eq!(runs, vec![vec![[1.0, 0.0]], vec![[3.0, 2.0], [4.0, 3.0]]]);
    }

    #[test]
    fn quantities_follow_the_console_units_and_never_show_a_non_number() {
        let si = Locale {
            lang: Lang::En,
            units: crate::units::UnitSystem::Si,
        };
        assert_eq!(qty(Locale::default(), "ft", 14_000.0, 0), "14000 ft");
        assert_eq!(qty(si, "ft", 14_000.0, 0), "4267.2 m");
        assert_eq!(qty(si, "psi", f64::NAN, 0), "----");
    }
}
