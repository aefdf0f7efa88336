//! The depth plot with its broomstick: weight on x, depth on y increasing downward (as a well is drawn),
//! the model's pick-up and slack-off curves for each friction factor behind the live weight, free-hanging
//! weight dashed, where each friction factor locks up, and on top the live weight's recent trail and its
//! current point. Beside it: the model's band at the live depth (what the early-warning alarm judges) and
//! the lockup and reach table.
//!
//! The curves are the string service's, computed in the background; while a new sweep is being computed
//! the previous one stays drawn and the page says so. With the unit's job in progress, its TAG depths and
//! deepest point are marked across the plot (`ui::job::marks`). Draws only.

use super::{finite_runs, mu_text, problem_ui, qty};
use crate::ctstring::view::{CtStringView, FrictionCurve};
use crate::job::view::JobDetail;
use crate::lang::Lang;
use crate::locale::Locale;
use crate::ui::theme;
use egui::{RichText, Ui};
use egui_plot::{HoverPosition, Line, LineStyle, MarkerShape, Plot, PlotPoint, Points, Text};

/// The model curves' short names: pick-up (pulling out) and slack-off (running in).
fn curve_word(pick_up: bool, lang: Lang) -> &'static str {
    if pick_up {
        lang.pick("PU", "Lev")
    } else {
        lang.pick("SO", "Baj")
    }
}

/// The plot, `size` points, with its heading and what is missing from it; `job`: the unit's job in
/// progress, whose marks it carries.
pub fn depth_plot_ui(ui: &mut Ui, v: &CtStringView, loc: Locale, size: egui::Vec2, job: Option<&JobDetail>) {
    let lang = loc.lang;
    ui.heading(lang.pick("Depth plot", "Gráfico de profundidad"));
    ui.label(
        RichText::new(lang.pick(
            "PU: pick-up (pulling out) · SO: slack-off (running in), one pair per friction factor μ · dashed: \
             free hanging · ×: lockup · dark: live weight",
            "Lev: levantando (sacando) · Baj: bajando (metiendo), un par por factor de fricción μ · a trazos: \
             colgando libre · ×: bloqueo · oscuro: peso en vivo",
        ))
        .color(theme::text_dim())
        .size(theme::TEXT_SMALL),
    );
    match &v.broomstick {
        None => {
            ui.label(lang.pick(
                "No broomstick for this string: it needs the well's survey, the job's fluid and the string.",
                "Sin curvas de escoba para esta sarta: hacen falta el survey del pozo, el fluido del trabajo y la \
                 sarta.",
            ));
        }
        Some(b) => {
            if b.computing {
                ui.label(RichText::new(lang.pick("Computing…", "Calculando…")).strong());
            }
            if let Some(p) = &b.problem {
                problem_ui(ui, p);
            }
        }
    }
    let used = ui.min_rect().height();
    let height = (size.y - used - 8.0).max(240.0);
    let ds = loc.units.shown("ft");
    let ws = loc.units.shown("lbf");
    let (du, wu) = (ds.unit.to_owned(), ws.unit.to_owned());
    let to_plot = move |[depth, weight]: [f64; 2]| [ws.value(weight), ds.value(depth)];
    let curves: Vec<Drawn> = v
        .broomstick
        .iter()
        .flat_map(|b| {
            let n = b.curves.len();
            b.curves.iter().enumerate().flat_map(move |(k, c)| {
                [true, false].map(|pick_up| Drawn::of(b.depths_ft.as_slice(), c, pick_up, k, n, lang, to_plot))
            })
        })
        .collect();
    let free = v.broomstick.as_ref().map_or_else(Vec::new, |b| {
        let pts = b.depths_ft.iter().zip(&b.free_lbf).map(|(d, w)| [*d, *w]);
        finite_runs(pts, to_plot)
    });
    let lockups: Vec<(String, [f64; 2])> = v
        .broomstick
        .iter()
        .flat_map(|b| {
            b.curves
                .iter()
                .filter_map(move |c| lockup_mark(b.depths_ft.as_slice(), c, loc))
        })
        .map(|(name, at)| (name, to_plot(at)))
        .collect();
    let trail = finite_runs(v.weight_trail.iter().copied(), to_plot);
    let now = v.depth_ft.zip(v.weight_lbf).map(|(d, w)| to_plot([d, w]));
    let response = Plot::new("ct_depth_plot")
        .width(size.x)
        .height(height)
        .invert_y(true)
        .x_axis_label(format!("{} [{wu}]", lang.pick("weight", "peso")))
        .y_axis_label(format!("{} [{du}]", lang.pick("depth", "profundidad")))
        .include_x(0.0)
        .include_y(0.0)
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .label_formatter(move |h| {
            Some(match h {
                HoverPosition::NearDataPoint {
                    plot_name, position, ..
                } => {
                    format!("{plot_name}\n{:.0} {du} · {:.0} {wu}", position.y, position.x)
                }
                HoverPosition::Elsewhere { position } => format!("{:.0} {du} · {:.0} {wu}", position.y, position.x),
            })
        })
        .show(ui, |pu| {
            for c in curves {
                let colour = c.colour;
                for run in c.runs {
                    pu.line(Line::new(c.name.clone(), run).color(colour).width(1.3));
                }
                if let Some(at) = c.label_at {
                    let anchor = if c.pick_up {
                        egui::Align2::LEFT_CENTER
                    } else {
                        egui::Align2::RIGHT_CENTER
                    };
                    let text = RichText::new(format!(" {} ", c.name))
                        .color(colour)
                        .size(theme::TEXT_SMALL);
                    pu.text(
                        Text::new(c.name, PlotPoint::new(at[0], at[1]), text)
                            .color(colour)
                            .anchor(anchor),
                    );
                }
            }
            let free_name = lang.pick("free hanging", "colgando libre");
            for run in free {
                pu.line(
                    Line::new(free_name, run)
                        .color(theme::REFERENCE)
                        .width(1.5)
                        .style(LineStyle::dashed_loose()),
                );
            }
            for (name, at) in lockups {
                pu.points(
                    Points::new(name, vec![at])
                        .shape(MarkerShape::Cross)
                        .radius(7.0)
                        .color(theme::PASS_IN),
                );
            }
            let live = lang.pick("live weight", "peso en vivo");
            for run in trail {
                pu.line(Line::new(live, run).color(theme::LIVE).width(2.5));
            }
            if let Some(p) = now {
                pu.points(
                    Points::new(lang.pick("now", "ahora"), vec![p])
                        .filled(true)
                        .radius(6.0)
                        .color(theme::LIVE),
                );
            }
            if let Some(d) = job {
                crate::ui::job::marks::depth_marks(pu, d, ds, lang);
            }
        });
    response.response.widget_info(|| {
        egui::WidgetInfo::labeled(
            egui::Role::Image,
            true,
            lang.pick("broomstick plot", "gráfico de escoba"),
        )
    });
}

/// One model curve as drawn: its runs in plot coordinates and where its name goes.
struct Drawn {
    name: String,
    pick_up: bool,
    colour: egui::Color32,
    runs: Vec<Vec<[f64; 2]>>,
    label_at: Option<[f64; 2]>,
}

impl Drawn {
    /// Curve `k` of `n` (lowest μ first). Names are staggered down the curves, deeper for a higher μ, so
    /// they never sit on one another where the fan is still narrow.
    fn of(
        depths: &[f64],
        c: &FrictionCurve,
        pick_up: bool,
        k: usize,
        n: usize,
        lang: Lang,
        to_plot: impl Fn([f64; 2]) -> [f64; 2] + Copy,
    ) -> Self {
        let values = if pick_up { &c.pick_up_lbf } else { &c.slack_off_lbf };
        let pts = depths.iter().zip(values).map(|(d, w)| [*d, *w]);
        let runs = finite_runs(pts.clone(), to_plot);
        let finite: Vec<[f64; 2]> = pts.filter(|p| p[0].is_finite() && p[1].is_finite()).collect();
        let at = (0.55 + 0.4 * (k as f64 + 1.0) / (n as f64 + 1.0)) * finite.len().saturating_sub(1) as f64;
        let label_at = finite.get(at.round() as usize).map(|p| to_plot(*p));
        Self {
            name: format!("{} μ {}", curve_word(pick_up, lang), mu_text(c.mu)),
            pick_up,
            colour: theme::model_curve(pick_up, k, n),
            runs,
            label_at,
        }
    }
}

/// Where `c` locks up, as (name, [depth ft, slack-off weight lbf there]); none where it reaches the end.
fn lockup_mark(depths: &[f64], c: &FrictionCurve, loc: Locale) -> Option<(String, [f64; 2])> {
    let at = c.lockup_depth_ft?;
    let weight = interpolate(depths, &c.slack_off_lbf, at)?;
    let name = format!(
        "{} μ {} {} {}",
        loc.pick("lockup", "bloqueo"),
        mu_text(c.mu),
        loc.pick("at", "a"),
        qty(loc, "ft", at, 0)
    );
    Some((name, [at, weight]))
}

/// `values` (given at increasing `depths`) at `depth`, linearly between the two around it; none outside
/// them or where either is not a number.
fn interpolate(depths: &[f64], values: &[f64], depth: f64) -> Option<f64> {
    let pairs: Vec<(f64, f64)> = depths.iter().copied().zip(values.iter().copied()).collect();
    let i = pairs.windows(2).position(|w| w[0].0 <= depth && depth <= w[1].0)?;
    let ((d0, v0), (d1, v1)) = (pairs[i], pairs[i + 1]);
    let v = if d1 > d0 {
        v0 + (v1 - v0) * (depth - d0) / (d1 - d0)
    } else {
        v0
    };
    v.is_finite().then_some(v)
}

/// The model's band at the live depth, and the live weight against it.
pub fn band_ui(ui: &mut Ui, v: &CtStringView, loc: Locale) {
    let lang = loc.lang;
    ui.heading(lang.pick("At the live depth", "A la profundidad actual"));
    let lbf = |x: f64| qty(loc, "lbf", x, 0);
    let Some(b) = v.band else {
        ui.label(lang.pick(
            "No model band at this depth (no broomstick, or the depth is not known).",
            "Sin banda del modelo a esta profundidad (sin curvas de escoba, o la profundidad no se conoce).",
        ));
        return;
    };
    egui::Grid::new("ct_band")
        .num_columns(2)
        .spacing([16.0, 4.0])
        .show(ui, |ui| {
            let mut row = |name: &str, value: String, strong: bool| {
                ui.label(name);
                let text = RichText::new(value).monospace();
                ui.label(if strong { text.strong() } else { text });
                ui.end_row();
            };
            row(
                lang.pick("Live weight", "Peso en vivo"),
                v.weight_lbf.map_or_else(|| "----".to_owned(), lbf),
                true,
            );
            row(
                lang.pick("Model pick-up", "Modelo al levantar"),
                lbf(b.pick_up_lbf),
                false,
            );
            row(
                lang.pick("Model slack-off", "Modelo al bajar"),
                lbf(b.slack_off_lbf),
                false,
            );
            row(lang.pick("Alarm margin", "Margen de alarma"), lbf(b.margin_lbf), false);
            // Zero or less is inside the band: said as nothing over, not as a negative pull.
            row(
                lang.pick("Overpull", "Sobretensión"),
                lbf(b.overpull_lbf.max(0.0)),
                b.overpull_lbf > 0.0,
            );
            row(
                lang.pick("Set-down", "Asentamiento"),
                lbf(b.set_down_lbf.max(0.0)),
                b.set_down_lbf > 0.0,
            );
        });
}

/// Where each friction factor locks up and how deep it reaches.
pub fn lockup_ui(ui: &mut Ui, v: &CtStringView, loc: Locale) {
    let lang = loc.lang;
    let Some(b) = &v.broomstick else { return };
    ui.heading(lang.pick("Lockup and reach", "Bloqueo y alcance"));
    egui::Grid::new("ct_lockup")
        .num_columns(3)
        .spacing([16.0, 4.0])
        .striped(true)
        .show(ui, |ui| {
            ui.strong("μ");
            ui.strong(lang.pick("Lockup", "Bloqueo"));
            ui.strong(lang.pick("Max reach", "Alcance máx."));
            ui.end_row();
            for c in &b.curves {
                ui.label(RichText::new(mu_text(c.mu)).monospace());
                let lockup = c
                    .lockup_depth_ft
                    .map_or_else(|| lang.pick("none", "no").to_owned(), |d| qty(loc, "ft", d, 0));
                ui.label(RichText::new(lockup).monospace());
                ui.label(RichText::new(qty(loc, "ft", c.max_reach_ft, 0)).monospace());
                ui.end_row();
            }
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn curve(lockup: Option<f64>) -> FrictionCurve {
        FrictionCurve {
            mu: 0.3,
            pick_up_lbf: vec![0.0, 10_000.0, 20_000.0],
            slack_off_lbf: vec![0.0, 6_000.0, f64::NAN],
            lockup_depth_ft: lockup,
            max_reach_ft: 9_000.0,
        }
    }

    #[test]
    fn a_value_between_depths_is_read_on_the_line_between_them() {
        let depths = [0.0, 5_000.0, 10_000.0];
        assert_eq!(interpolate(&depths, &[0.0, 6_000.0, 8_000.0], 7_500.0), Some(7_000.0));
        assert_eq!(interpolate(&depths, &[0.0, 6_000.0, 8_000.0], 12_000.0), None);
        assert_eq!(interpolate(&depths, &[0.0, 6_000.0, f64::NAN], 7_500.0), None);
    }

    #[test]
    fn a_lockup_is_marked_on_its_slack_off_curve() {
        let depths = [0.0, 5_000.0, 10_000.0];
        let (name, at) = lockup_mark(&depths, &curve(Some(2_500.0)), Locale::default()).unwrap();
        assert_eq!(name, "lockup μ 0.3 at 2500 ft");
        assert_eq!(at, [2_500.0, 3_000.0]);
        assert!(lockup_mark(&depths, &curve(None), Locale::default()).is_none());
        // Past the last slack-off value there is nowhere to put it: no marker rather than a guess.
        assert!(lockup_mark(&depths, &curve(Some(7_000.0)), Locale::default()).is_none());
    }

    #[test]
    fn curves_are_named_and_broken_where_the_model_has_no_value() {
        let depths = [0.0, 5_000.0, 10_000.0];
        let so = Drawn::of(&depths, &curve(None), false, 0, 2, Lang::En, |p| p);
        assert_eq!(so.name, "SO μ 0.3");
        assert_eq!(so.runs, vec![vec![[0.0, 0.0], [5_000.0, 6_000.0]]]);
        let pu = Drawn::of(&depths, &curve(None), true, 1, 2, Lang::Es, |p| p);
        assert_eq!(pu.name, "Lev μ 0.3");
        assert!(pu.label_at.is_some());
    }
}
