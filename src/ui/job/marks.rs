//! Job marks on other pages' plots, drawn from the job writer's `JobsView` and nothing else: on the time
//! trend, a line at each operation's start named by its code and a heavier line at each job's actual start
//! and end named by its number; on the CT string page's depth plot, for the unit's job in progress, a line
//! at each TAG's depth ("TAG 14:32") and a dashed one at the job's deepest point.
//!
//! Small and optional: with no job in the view nothing is drawn. The marks never move a plot's bounds
//! sideways (their names sit at times or weights the plot shows anyway). Draws only.

use super::form;
use crate::job::model::{JobStatus, OpType};
use crate::job::view::{JobDetail, JobsView};
use crate::lang::Lang;
use crate::tag::Timestamp;
use crate::ui::theme;
use crate::units::Shown;
use egui::{Align2, Color32, RichText};
use egui_plot::{HLine, LineStyle, PlotPoint, PlotUi, Text, VLine};

/// More operation starts than this in the window are drawn without their names, which would sit on one
/// another (each line still names itself on hover).
const MAX_NAMED_OPS: usize = 40;
/// At most this many operation lines in one frame (a week's window of a long job).
const MAX_OP_LINES: usize = 2_000;

/// The jobs with details in the view, each once (a job in progress may also be the one selected).
fn jobs(view: &JobsView) -> Vec<&JobDetail> {
    let mut out: Vec<&JobDetail> = Vec::new();
    for d in &view.details {
        if out.iter().all(|o| o.job.id != d.job.id) {
            out.push(d);
        }
    }
    out
}

fn small(text: &str, ink: Color32) -> RichText {
    RichText::new(text).size(theme::TEXT_SMALL).color(ink)
}

/// The trend's marks. The trend's x axis is seconds since the epoch (its pens' y axis is each pen's own
/// 0–1 scale, shown from −0.05 to 1.05): operations' names sit along the top, jobs' along the bottom.
pub fn trend_marks(pu: &mut PlotUi<'_>, view: &JobsView, from: f64, to: f64, lang: Lang) {
    let within = |t: Timestamp| {
        let x = t.as_secs_f64();
        (from..=to).contains(&x).then_some(x)
    };
    let details = jobs(view);
    let ops: Vec<(f64, &str)> = details
        .iter()
        .flat_map(|d| d.operations.iter())
        .filter_map(|op| within(op.start).map(|x| (x, op.op_type.code())))
        .take(MAX_OP_LINES)
        .collect();
    let named = ops.len() <= MAX_NAMED_OPS;
    for (x, code) in ops {
        pu.vline(
            VLine::new(code, x)
                .color(theme::JOB_OP_MARK)
                .width(1.0)
                .style(LineStyle::dashed_dense()),
        );
        if named {
            pu.text(
                Text::new(code, PlotPoint::new(x, 1.04), small(code, theme::JOB_OP_MARK))
                    .color(theme::JOB_OP_MARK)
                    .anchor(Align2::LEFT_TOP),
            );
        }
    }
    for d in details {
        let ends = [
            (d.job.actual_start, lang.pick("start", "inicio")),
            (d.job.actual_end, lang.pick("end", "fin")),
        ];
        for (t, word) in ends {
            let Some(x) = t.and_then(within) else { continue };
            let name = format!("{} {word}", d.job.number);
            pu.vline(VLine::new(name.as_str(), x).color(theme::JOB_MARK).width(2.0));
            pu.text(
                Text::new(
                    name.as_str(),
                    PlotPoint::new(x, -0.04),
                    small(&name, theme::JOB_MARK).strong(),
                )
                .color(theme::JOB_MARK)
                .anchor(Align2::LEFT_BOTTOM),
            );
        }
    }
}

/// The job in progress on a CT unit, named in the job by the unit's tag prefix (`ct01`) or its label
/// (`CT-01`), if the view has its details.
pub fn unit_job<'a>(view: &'a JobsView, unit: &str, label: &str) -> Option<&'a JobDetail> {
    view.details.iter().map(|d| &**d).find(|d| {
        let u = d.job.fields.unit.trim();
        d.job.status == JobStatus::InProgress && (u.eq_ignore_ascii_case(unit) || u.eq_ignore_ascii_case(label))
    })
}

/// The depth plot's marks (x: weight, y: depth in `depth`'s units, drawn downward). Names sit at zero
/// weight, which the plot always shows.
pub fn depth_marks(pu: &mut PlotUi<'_>, d: &JobDetail, depth: Shown<'_>, lang: Lang) {
    for op in &d.operations {
        if op.op_type != OpType::Tag || !op.max_depth_ft.is_finite() {
            continue;
        }
        let y = depth.value(op.max_depth_ft);
        let name = format!("TAG {}", form::local_hm(op.start));
        pu.hline(HLine::new(name.as_str(), y).color(theme::JOB_OP_MARK).width(1.2));
        pu.text(
            Text::new(name.as_str(), PlotPoint::new(0.0, y), small(&name, theme::JOB_OP_MARK))
                .color(theme::JOB_OP_MARK)
                .anchor(Align2::LEFT_BOTTOM),
        );
    }
    let deepest = d
        .operations
        .iter()
        .map(|op| op.max_depth_ft)
        .filter(|x| x.is_finite())
        .fold(f64::NEG_INFINITY, f64::max);
    if !deepest.is_finite() {
        return;
    }
    let y = depth.value(deepest);
    let name = format!(
        "{} {} {y:.0} {}",
        d.job.number,
        lang.pick("deepest", "máx. profundidad"),
        depth.unit
    );
    pu.hline(
        HLine::new(name.as_str(), y)
            .color(theme::JOB_MARK)
            .width(1.5)
            .style(LineStyle::dashed_loose()),
    );
    pu.text(
        Text::new(
            name.as_str(),
            PlotPoint::new(0.0, y),
            small(&name, theme::JOB_MARK).strong(),
        )
        .color(theme::JOB_MARK)
        .anchor(Align2::LEFT_TOP),
    );
}
