//! The ticket's sections, in the order they print: job data, statistics, operations log, fluids, BHA
//! (table and schematic), non-productive time, alarms and trips, charts, signatures.
//!
//! Each turns part of the content into rows, pairs and drawings in the reader's language and units, using
//! the building blocks and charts of `crate::report` and the BHA schematic of `bha_chart`. Prints what the
//! content holds; computes only totals of what it lists.

use super::bha_chart::{BhaPart, bha_schematic};
use super::pdf::Cx;
use crate::alarm::Priority;
use crate::job::model::{FluidKind, NptReason, OpType, Operation, SignRole, Signature, bha_totals};
use crate::report::blocks::{
    BODY, BODY_BOLD, Col, LABEL, NONE, Row, TableStyle, hms, key_values, note, paragraph, section, signature_box,
    signature_lines, table, table_height, when, when_opt,
};
use crate::report::chart::{self, Axis, Plot, extent};
use crate::report::sheet::{ALERT, Align, BOTTOM, CONTENT_W, INK, MARGIN, PENS, Sheet, Style, TOP, fit, wrap};

const TS: TableStyle = TableStyle::NORMAL;
/// Alarms and trips printed in full; more are counted (the journal keeps them all).
const MAX_PRINTED_EVENTS: usize = 300;

/// Text as typed, or "—" when empty.
fn typed(s: &str) -> String {
    if s.trim().is_empty() {
        NONE.to_owned()
    } else {
        s.to_owned()
    }
}

pub fn job_data(sheet: &mut Sheet, cx: &Cx) {
    let job = &cx.c.job;
    let f = &job.fields;
    section(sheet, cx.t("1. Job data", "1. Datos del trabajo"), 60.0);
    let job_type = f
        .job_type
        .map_or_else(|| NONE.to_owned(), |t| format!("{} — {}", t.code(), t.label(cx.lang)));
    let estimated = f.estimated_hours.map_or_else(|| NONE.to_owned(), |h| cx.plain(h, 1));
    let hours = format!("{estimated} h / {} h", cx.plain(cx.c.stats.duration_h, 1));
    let pairs = [
        (cx.t("Job number", "Número de trabajo"), job.number.clone()),
        (cx.t("Job type", "Tipo de trabajo"), job_type),
        (
            cx.t("Job status", "Estado del trabajo"),
            job.status.label(cx.lang).to_owned(),
        ),
        (cx.t("Well", "Pozo"), typed(&f.well)),
        (cx.t("Field", "Campo"), typed(&f.field)),
        (cx.t("CT unit", "Unidad de TF"), typed(&f.unit)),
        (cx.t("Reel", "Carrete"), typed(&f.reel)),
        (cx.t("Client", "Cliente"), typed(&f.client)),
        (
            cx.t("Client representative", "Representante del cliente"),
            typed(&f.client_rep),
        ),
        (
            cx.t("Service supervisor", "Supervisor de servicio"),
            typed(&f.supervisor),
        ),
        (cx.t("CT operator", "Operador de TF"), typed(&f.operator)),
        (
            cx.t("Planned start (UTC)", "Inicio planificado (UTC)"),
            when_opt(f.planned_start),
        ),
        (
            cx.t("Planned end (UTC)", "Fin planificado (UTC)"),
            when_opt(f.planned_end),
        ),
        (
            cx.t("Actual start (UTC)", "Inicio real (UTC)"),
            when_opt(job.actual_start),
        ),
        (cx.t("Actual end (UTC)", "Fin real (UTC)"), when_opt(job.actual_end)),
        (
            cx.t("Well depth", "Profundidad del pozo"),
            cx.qty_opt("ft", f.well_depth_ft, 0),
        ),
        (
            cx.t("Target depth", "Profundidad objetivo"),
            cx.qty_opt("ft", f.target_depth_ft, 0),
        ),
        (cx.t("Estimated / actual hours", "Horas estimadas / reales"), hours),
    ];
    key_values(sheet, &pairs);
    paragraph(sheet, cx.t("Objective", "Objetivo"), &f.objective);
    paragraph(sheet, cx.t("Description", "Descripción"), &f.description);
    paragraph(sheet, cx.t("Notes", "Notas"), &f.notes);
}

pub fn statistics(sheet: &mut Sheet, cx: &Cx) {
    let s = &cx.c.stats;
    section(sheet, cx.t("2. Statistics", "2. Estadísticas"), 80.0);
    let weights = format!(
        "{} / {}",
        cx.qty_opt("lbf", s.max_weight_lbf, 0),
        cx.qty_opt("lbf", s.min_weight_lbf, 0)
    );
    let pairs = [
        (
            cx.t("Duration", "Duración"),
            format!("{} ({} h)", hms(s.duration_h * 3600.0), cx.plain(s.duration_h, 2)),
        ),
        (cx.t("Operations", "Operaciones"), s.operations.to_string()),
        (
            cx.t("Max depth reached", "Prof. máxima alcanzada"),
            cx.qty("ft", s.max_depth_ft, 0),
        ),
        (
            cx.t("Footage run (in + out)", "Tubería corrida"),
            cx.qty("ft", s.footage_ft, 0),
        ),
        (
            cx.t("Total volume pumped", "Volumen total bombeado"),
            cx.qty("bbl", s.total_volume_bbl, 1),
        ),
        (
            cx.t("Non-productive time", "Tiempo no productivo"),
            format!("{} h", cx.plain(s.npt_h, 2)),
        ),
        (
            cx.t("Efficiency", "Eficiencia"),
            format!("{} %", cx.plain(s.efficiency_pct, 1)),
        ),
        (cx.t("Max / min weight", "Peso máx. / mín."), weights),
        (
            cx.t("Max circulating pressure", "Presión de circ. máx."),
            cx.qty_opt("psi", s.max_circ_psi, 0),
        ),
        (
            cx.t("Max wellhead pressure", "Presión máx. en cabeza"),
            cx.qty_opt("psi", s.max_whp_psi, 0),
        ),
        (cx.t("Alarms annunciated", "Alarmas anunciadas"), s.alarms.to_string()),
        (cx.t("Trips", "Disparos"), s.trips.to_string()),
    ];
    key_values(sheet, &pairs);
    breakdowns(sheet, cx);
}

/// Volume per fluid, hours per operation type and NPT per reason, side by side.
fn breakdowns(sheet: &mut Sheet, cx: &Cx) {
    const GAP: f32 = 10.0;
    let s = &cx.c.stats;
    let w = (CONTENT_W - 2.0 * GAP) / 3.0;
    let none = || vec![Row::new(vec![NONE.to_owned(), String::new(), String::new()])];
    let mut volume: Vec<Row> = s
        .volume_by_fluid
        .iter()
        .map(|(name, v)| {
            let unit = cx.volume_unit_of(name);
            let name = if name == crate::job::stats::UNASSIGNED {
                cx.t("No stage", "Sin etapa").to_owned()
            } else {
                name.clone()
            };
            Row::new(vec![name, format!("{} {}", cx.num(unit, *v, 1), cx.unit(unit))])
        })
        .collect();
    let mut hours: Vec<Row> = s
        .hours_by_op
        .iter()
        .map(|(code, h)| {
            let share = if s.duration_h > 0.0 {
                h / s.duration_h * 100.0
            } else {
                0.0
            };
            Row::new(vec![
                op_name(cx, code),
                cx.plain(*h, 2),
                format!("{} %", cx.plain(share, 0)),
            ])
        })
        .collect();
    let mut npt: Vec<Row> = s
        .npt_by_reason
        .iter()
        .map(|(name, h)| Row::new(vec![reason_name(cx, name), cx.plain(*h, 2)]))
        .collect();
    for rows in [&mut volume, &mut hours, &mut npt] {
        if rows.is_empty() {
            *rows = none();
        }
    }
    let blocks = [
        (
            vec![
                Col::new(cx.t("Volume per fluid", "Volumen por fluido"), "", w * 0.6, Align::Left),
                Col::new(cx.t("Volume", "Volumen"), "", w * 0.4, Align::Right),
            ],
            volume,
        ),
        (
            vec![
                Col::new(
                    cx.t("Time per operation", "Tiempo por operación"),
                    "",
                    w * 0.56,
                    Align::Left,
                ),
                Col::new(cx.t("Hours", "Horas"), "h", w * 0.24, Align::Right),
                Col::new("%", "", w * 0.2, Align::Right),
            ],
            hours,
        ),
        (
            vec![
                Col::new(cx.t("NPT per reason", "NPT por motivo"), "", w * 0.7, Align::Left),
                Col::new(cx.t("Hours", "Horas"), "h", w * 0.3, Align::Right),
            ],
            npt,
        ),
    ];
    let h = blocks
        .iter()
        .map(|(cols, rows)| table_height(cols, rows, TS))
        .fold(0.0_f32, f32::max);
    // Side by side when they fit on one page; else one after another, each running on over pages.
    let side_by_side = h <= BOTTOM - TOP - 40.0;
    if side_by_side {
        sheet.need(h);
    }
    let y = sheet.y;
    for (i, (cols, rows)) in blocks.iter().enumerate() {
        if side_by_side {
            sheet.y = y;
            table(sheet, MARGIN + i as f32 * (w + GAP), cols, rows, TS);
        } else {
            table(sheet, MARGIN, cols, rows, TS);
        }
    }
    if side_by_side {
        sheet.y = y + h + 4.0;
    }
}

/// An operation type's code with its name ("RIH Run in hole").
fn op_name(cx: &Cx, code: &str) -> String {
    match OpType::parse(code) {
        Ok(t) if t.label(cx.lang) != code => format!("{code} {}", t.label(cx.lang)),
        _ => code.to_owned(),
    }
}

fn reason_name(cx: &Cx, name: &str) -> String {
    NptReason::parse(name).map_or_else(|| name.to_owned(), |r| r.label(cx.lang).to_owned())
}

pub fn operations(sheet: &mut Sheet, cx: &Cx) {
    section(sheet, cx.t("3. Operations log", "3. Registro de operaciones"), 50.0);
    let ops = &cx.c.operations;
    if ops.is_empty() {
        note(sheet, cx.t("No operations recorded.", "No se registraron operaciones."));
        return;
    }
    let mut rows: Vec<Row> = ops.iter().enumerate().map(|(i, op)| op_row(cx, i, op)).collect();
    let mut total = vec![String::new(); 14];
    total[1] = cx.t("Total", "Total").to_owned();
    total[4] = hms(ops.iter().map(|op| op.duration_s(op_end(cx, op))).sum());
    total[12] = cx.num("bbl", ops.iter().map(|op| op.volume_bbl).sum(), 1);
    rows.push(Row::total(total));
    table(sheet, MARGIN, &op_columns(cx), &rows, TS);
    note(
        sheet,
        cx.t(
            "* Entered or corrected by the crew (the others are as the console detected them). Times in UTC; \
             durations h:mm:ss. Observations are printed under their operation.",
            "* Ingresada o corregida por la cuadrilla (las demás, tal como las detectó la consola). Horas en UTC; \
             duraciones h:mm:ss. Las observaciones se imprimen bajo su operación.",
        ),
    );
}

fn op_columns(cx: &Cx) -> Vec<Col> {
    let (ft, lbf, psi) = (cx.unit("ft"), cx.unit("lbf"), cx.unit("psi"));
    vec![
        Col::new("#", "", 12.0, Align::Right),
        Col::new(cx.t("Type", "Tipo"), "", 46.0, Align::Left),
        Col::new(cx.t("Start", "Inicio"), "UTC", 66.0, Align::Left),
        Col::new(cx.t("End", "Fin"), "UTC", 66.0, Align::Left),
        Col::new(cx.t("Duration", "Duración"), "h:m:s", 30.0, Align::Right),
        Col::new(cx.t("Start depth", "Prof. inicial"), ft, 34.0, Align::Right),
        Col::new(cx.t("End depth", "Prof. final"), ft, 34.0, Align::Right),
        Col::new(cx.t("Max weight", "Peso máx."), lbf, 34.0, Align::Right),
        Col::new(cx.t("Min weight", "Peso mín."), lbf, 34.0, Align::Right),
        Col::new(cx.t("Max circ. P", "Máx. P. circ."), psi, 33.0, Align::Right),
        Col::new(cx.t("Max WHP", "Máx. P. cabeza"), psi, 33.0, Align::Right),
        Col::new(cx.t("Avg rate", "Caudal prom."), cx.unit("bpm"), 26.0, Align::Right),
        Col::new(cx.t("Volume", "Volumen"), cx.unit("bbl"), 30.0, Align::Right),
        Col::new(cx.t("Fluid", "Fluido"), "", 45.0, Align::Left),
    ]
}

/// Where an operation ends for its duration: its end, or the job's end while it was still open.
fn op_end(cx: &Cx, op: &Operation) -> crate::tag::Timestamp {
    op.end.or(cx.c.job.actual_end).unwrap_or(op.start)
}

fn op_row(cx: &Cx, i: usize, op: &Operation) -> Row {
    let code = op.op_type.code();
    let code = if op.detected {
        code.to_owned()
    } else {
        format!("{code}*")
    };
    let observations = op.observations.trim();
    Row {
        cells: vec![
            (i + 1).to_string(),
            code,
            when(op.start),
            when_opt(op.end),
            hms(op.duration_s(op_end(cx, op))),
            cx.num("ft", op.start_depth_ft, 0),
            cx.num("ft", op.end_depth_ft, 0),
            cx.opt("lbf", op.max_weight_lbf, 0),
            cx.opt("lbf", op.min_weight_lbf, 0),
            cx.opt("psi", op.max_circ_psi, 0),
            cx.opt("psi", op.max_whp_psi, 0),
            cx.opt("bpm", op.avg_rate_bpm, 1),
            cx.num("bbl", op.volume_bbl, 1),
            op.fluid.clone().unwrap_or_else(|| NONE.to_owned()),
        ],
        note: (!observations.is_empty()).then(|| format!("{} {observations}", cx.t("Obs.:", "Obs.:"))),
        total: false,
    }
}

pub fn fluids(sheet: &mut Sheet, cx: &Cx) {
    section(sheet, cx.t("4. Fluids pumped", "4. Fluidos bombeados"), 40.0);
    let stages = &cx.c.fluids;
    if stages.is_empty() {
        note(
            sheet,
            cx.t("No fluid stages recorded.", "No se registraron etapas de fluido."),
        );
        return;
    }
    let bbl = cx.unit("bbl");
    let cols = vec![
        Col::new("#", "", 12.0, Align::Right),
        Col::new(cx.t("Kind", "Tipo"), "", 44.0, Align::Left),
        Col::new(cx.t("Name", "Nombre"), "", 117.0, Align::Left),
        Col::new(cx.t("Density", "Densidad"), cx.unit("ppg"), 36.0, Align::Right),
        Col::new(cx.t("Viscosity", "Viscos."), "cP", 36.0, Align::Right),
        Col::new(cx.t("Planned", "Planificado"), bbl, 38.0, Align::Right),
        Col::new(cx.t("Pumped", "Bombeado"), bbl, 38.0, Align::Right),
        Col::new(cx.t("Avg rate", "Caudal prom."), cx.unit("bpm"), 34.0, Align::Right),
        Col::new(cx.t("Max pressure", "Presión máx."), cx.unit("psi"), 36.0, Align::Right),
        Col::new(cx.t("Start", "Inicio"), "UTC", 66.0, Align::Left),
        Col::new(cx.t("End", "Fin"), "UTC", 66.0, Align::Left),
    ];
    // Liquids in the column's unit; nitrogen (scf) with its own unit in the cell.
    let volume = |kind: FluidKind, v: f64| match cx.volume_unit(kind) {
        "bbl" => cx.num("bbl", v, 1),
        unit => cx.qty(unit, v, 0),
    };
    let mut rows: Vec<Row> = stages
        .iter()
        .map(|st| {
            Row::new(vec![
                st.seq.to_string(),
                st.kind.label(cx.lang).to_owned(),
                st.name.clone(),
                cx.opt("ppg", st.density_ppg, 1),
                st.viscosity_cp.map_or_else(|| NONE.to_owned(), |v| cx.plain(v, 0)),
                st.planned_bbl.map_or_else(|| NONE.to_owned(), |v| volume(st.kind, v)),
                volume(st.kind, st.actual_bbl),
                cx.opt("bpm", st.avg_rate_bpm, 1),
                cx.opt("psi", st.max_pressure_psi, 0),
                when_opt(st.start),
                when_opt(st.end),
            ])
        })
        .collect();
    let totals = [
        (cx.t("Total liquids", "Total líquidos"), false),
        (cx.t("Total N2", "Total N2"), true),
    ];
    for (label, kind_is_n2) in totals {
        let of_kind: Vec<_> = stages
            .iter()
            .filter(|st| (st.kind == FluidKind::Nitrogen) == kind_is_n2)
            .collect();
        if of_kind.is_empty() {
            continue;
        }
        let kind = if kind_is_n2 {
            FluidKind::Nitrogen
        } else {
            FluidKind::Water
        };
        let mut cells = vec![String::new(); 11];
        cells[1] = label.to_owned();
        cells[5] = volume(kind, of_kind.iter().filter_map(|st| st.planned_bbl).sum());
        cells[6] = volume(kind, of_kind.iter().map(|st| st.actual_bbl).sum());
        rows.push(Row::total(cells));
    }
    table(sheet, MARGIN, &cols, &rows, TS);
}

pub fn bha(sheet: &mut Sheet, cx: &Cx) {
    let title = cx.t(
        "5. Bottom-hole assembly (BHA), from the bottom up",
        "5. Ensamblaje de fondo (BHA), de abajo hacia arriba",
    );
    section(sheet, title, 80.0);
    let parts = &cx.c.bha;
    if parts.is_empty() {
        note(sheet, cx.t("No BHA recorded.", "No se registró el BHA."));
        return;
    }
    let (ft, inch) = (cx.unit("ft"), cx.unit("in"));
    let cols = vec![
        Col::new("#", "", 12.0, Align::Right),
        Col::new(cx.t("Component", "Componente"), "", 62.0, Align::Left),
        Col::new(cx.t("Manufacturer", "Fabricante"), "", 50.0, Align::Left),
        Col::new(cx.t("Model", "Modelo"), "", 46.0, Align::Left),
        Col::new(cx.t("Serial", "Serie"), "", 50.0, Align::Left),
        Col::new(cx.t("Length", "Longitud"), ft, 32.0, Align::Right),
        Col::new(cx.t("OD", "DE"), inch, 28.0, Align::Right),
        Col::new(cx.t("ID", "DI"), inch, 28.0, Align::Right),
        Col::new(cx.t("Weight", "Peso"), cx.unit("lb"), 32.0, Align::Right),
    ];
    let mut rows: Vec<Row> = parts
        .iter()
        .map(|p| {
            Row::new(vec![
                p.seq.to_string(),
                p.kind.clone(),
                typed(&p.manufacturer),
                typed(&p.model),
                typed(&p.serial),
                cx.num("ft", p.length_ft, 2),
                cx.num("in", p.od_in, 3),
                cx.num("in", p.id_in, 3),
                cx.num("lb", p.weight_lb, 0),
            ])
        })
        .collect();
    let t = bha_totals(parts);
    rows.push(Row::total(vec![
        String::new(),
        cx.t("Total (max OD, min ID)", "Total (DE máx., DI mín.)").to_owned(),
        String::new(),
        String::new(),
        String::new(),
        cx.num("ft", t.length_ft, 2),
        cx.num("in", t.max_od_in, 3),
        cx.num("in", t.min_id_in, 3),
        cx.num("lb", t.weight_lb, 0),
    ]));
    let drawing: Vec<BhaPart> = parts
        .iter()
        .map(|p| BhaPart {
            title: p.kind.clone(),
            detail: format!(
                "{} {} · {}",
                cx.t("OD", "DE"),
                cx.qty("in", p.od_in, 3),
                cx.qty("ft", p.length_ft, 2)
            ),
            length_ft: p.length_ft,
            od_in: p.od_in,
            id_in: p.id_in,
        })
        .collect();
    let table_w: f32 = cols.iter().map(|c| c.w).sum();
    let (draw_x, draw_w) = (MARGIN + table_w + 12.0, CONTENT_W - table_w - 12.0);
    let draw_h = (parts.len() as f32 * 24.0 + 30.0).clamp(150.0, 380.0);
    let table_h = table_height(&cols, &rows, TS);
    let ct = cx.t("Coiled tubing", "Tubería flexible");
    if table_h.max(draw_h) <= BOTTOM - TOP - 30.0 {
        sheet.need(table_h.max(draw_h));
        let y = sheet.y;
        table(sheet, MARGIN, &cols, &rows, TS);
        bha_schematic(sheet, draw_x, y, draw_w, draw_h, &drawing, ct);
        sheet.y = sheet.y.max(y + draw_h + 6.0);
    } else {
        table(sheet, MARGIN, &cols, &rows, TS);
        sheet.need(draw_h);
        let y = sheet.y;
        bha_schematic(sheet, MARGIN, y, CONTENT_W / 2.0, draw_h, &drawing, ct);
        sheet.y = y + draw_h + 6.0;
    }
}

pub fn npt(sheet: &mut Sheet, cx: &Cx) {
    section(
        sheet,
        cx.t("6. Non-productive time (NPT)", "6. Tiempo no productivo (NPT)"),
        40.0,
    );
    let npt = &cx.c.npt;
    if npt.is_empty() {
        note(
            sheet,
            cx.t(
                "No non-productive time recorded.",
                "No se registró tiempo no productivo.",
            ),
        );
        return;
    }
    let cols = vec![
        Col::new("#", "", 12.0, Align::Right),
        Col::new(cx.t("Start", "Inicio"), "UTC", 66.0, Align::Left),
        Col::new(cx.t("End", "Fin"), "UTC", 66.0, Align::Left),
        Col::new(cx.t("Duration", "Duración"), "h:m:s", 34.0, Align::Right),
        Col::new(cx.t("Reason", "Motivo"), "", 100.0, Align::Left),
        Col::new(cx.t("Note", "Nota"), "", CONTENT_W - 278.0, Align::Left),
    ];
    let mut rows: Vec<Row> = npt
        .iter()
        .enumerate()
        .map(|(i, n)| {
            Row::new(vec![
                (i + 1).to_string(),
                when(n.start),
                when(n.end),
                hms(n.hours() * 3600.0),
                n.reason.label(cx.lang).to_owned(),
                typed(&n.note),
            ])
        })
        .collect();
    let total_h: f64 = npt.iter().map(|n| n.hours()).sum();
    let mut total = vec![String::new(); 6];
    total[1] = cx.t("Total", "Total").to_owned();
    total[3] = hms(total_h * 3600.0);
    rows.push(Row::total(total));
    table(sheet, MARGIN, &cols, &rows, TS);
}

pub fn events(sheet: &mut Sheet, cx: &Cx) {
    section(
        sheet,
        cx.t(
            "7. Alarms and trips during the job",
            "7. Alarmas y disparos durante el trabajo",
        ),
        40.0,
    );
    let events = &cx.c.events;
    let trips = events.iter().filter(|e| e.kind == "trip").count();
    let summary = format!(
        "{} {}; {} {}.",
        events.len() - trips,
        cx.t("alarms annunciated", "alarmas anunciadas"),
        trips,
        cx.t("trips or E-stops", "disparos o paros de emergencia"),
    );
    note(sheet, &summary);
    if events.is_empty() {
        return;
    }
    let cols = vec![
        Col::new("#", "", 16.0, Align::Right),
        Col::new(cx.t("Time", "Hora"), "UTC", 66.0, Align::Left),
        Col::new(cx.t("Kind", "Tipo"), "", 36.0, Align::Left),
        Col::new(cx.t("Name", "Nombre"), "", 110.0, Align::Left),
        Col::new(cx.t("Priority", "Prioridad"), "", 54.0, Align::Left),
        Col::new(cx.t("Message", "Mensaje"), "", CONTENT_W - 282.0, Align::Left),
    ];
    let rows: Vec<Row> = events
        .iter()
        .take(MAX_PRINTED_EVENTS)
        .enumerate()
        .map(|(i, e)| {
            let kind = match e.kind.as_str() {
                "alarm" => cx.t("Alarm", "Alarma").to_owned(),
                "trip" => cx.t("Trip", "Disparo").to_owned(),
                other => other.to_owned(),
            };
            let priority = match (Priority::parse(&e.priority), e.priority.as_str()) {
                (Some(p), _) => p.label(cx.lang).to_owned(),
                (None, "E-STOP") => cx.t("E-STOP", "PARO DE EMERGENCIA").to_owned(),
                (None, "trip") => cx.t("trip", "disparo").to_owned(),
                (None, other) => other.to_owned(),
            };
            let message = if cx.lang == crate::lang::Lang::Es && !e.message_es.is_empty() {
                e.message_es.clone()
            } else {
                e.message.clone()
            };
            Row::new(vec![
                (i + 1).to_string(),
                when(e.at),
                kind,
                typed(&e.name),
                priority,
                typed(&message),
            ])
        })
        .collect();
    table(sheet, MARGIN, &cols, &rows, TS);
    if events.len() > MAX_PRINTED_EVENTS {
        let more = format!(
            "{} {} {}",
            cx.t("… and", "… y"),
            events.len() - MAX_PRINTED_EVENTS,
            cx.t("more (see the alarm journal).", "más (ver el registro de alarmas).")
        );
        note(sheet, &more);
    }
}

pub fn charts(sheet: &mut Sheet, cx: &Cx) {
    if sheet.y > TOP + 1.0 {
        sheet.new_page();
    }
    section(sheet, cx.t("8. Charts", "8. Gráficos"), 280.0);
    let empty = cx.t(
        "No history recorded for this job",
        "No hay historial registrado para este trabajo",
    );
    let depth_title = format!("{} ({})", cx.t("Depth", "Profundidad"), cx.unit("ft"));
    let points: Vec<[f64; 2]> = cx.c.depth_time.iter().map(|[t, d]| [*t, cx.value("ft", *d)]).collect();
    let (t0, t1) = extent(points.iter().map(|p| p[0]));
    let (d0, d1) = extent(points.iter().map(|p| p[1]));
    let start = chart::utc_minute(t0);
    let time_plot = Plot {
        x: MARGIN,
        y: sheet.y,
        w: CONTENT_W,
        h: 280.0,
        title: cx.t("Depth vs time", "Profundidad vs tiempo").to_owned(),
        x_title: format!("{} {start}", cx.t("Time (UTC) from", "Hora (UTC) desde")),
        y_title: depth_title.clone(),
        x_axis: Axis::time(t0, t1, 10),
        y_axis: Axis::nice(d0.min(0.0), d1, 6),
        x_time: true,
        y_down: true,
        decimal_comma: cx.decimal_comma(),
    };
    chart::line_chart(sheet, &time_plot, &points, PENS[0], empty);
    sheet.y += time_plot.h + 10.0;
    let h = (BOTTOM - sheet.y - 6.0).clamp(200.0, 360.0);
    sheet.need(h);
    let w = (CONTENT_W - 14.0) / 2.0;
    let against = [
        (
            cx.t("Weight vs depth", "Peso vs profundidad"),
            cx.t("Weight", "Peso"),
            "lbf",
            &cx.c.weight_depth,
        ),
        (
            cx.t("Circulating pressure vs depth", "Presión de circulación vs profundidad"),
            cx.t("Circulating pressure", "Presión de circulación"),
            "psi",
            &cx.c.circ_depth,
        ),
    ];
    let y = sheet.y;
    for (k, (title, name, kept, series)) in against.into_iter().enumerate() {
        // x: the value, y: depth growing downwards.
        let points: Vec<[f64; 2]> = series
            .iter()
            .map(|[d, v]| [cx.value(kept, *v), cx.value("ft", *d)])
            .collect();
        let (v0, v1) = extent(points.iter().map(|p| p[0]));
        let (d0, d1) = extent(points.iter().map(|p| p[1]));
        let plot = Plot {
            x: MARGIN + k as f32 * (w + 14.0),
            y,
            w,
            h,
            title: title.to_owned(),
            x_title: format!("{name} ({})", cx.unit(kept)),
            y_title: depth_title.clone(),
            x_axis: Axis::nice(v0, v1, 5),
            y_axis: Axis::nice(d0.min(0.0), d1, 6),
            x_time: false,
            y_down: true,
            decimal_comma: cx.decimal_comma(),
        };
        chart::line_chart(sheet, &plot, &points, PENS[1 + k % 2], empty);
    }
    sheet.y = y + h + 8.0;
}

pub fn signatures(sheet: &mut Sheet, cx: &Cx, sigs: &[Signature]) {
    const BOX_H: f32 = 130.0;
    section(sheet, cx.t("9. Signatures", "9. Firmas"), BOX_H + 50.0);
    let intro = cx.t(
        "The CT operator, the service supervisor and the client's representative sign in that order. Each \
         signature is confirmed with the signer's own login and recorded in the audit trail with the SHA-256 of \
         this ticket's content:",
        "Firman en este orden el operador de TF, el supervisor de servicio y el representante del cliente. Cada \
         firma se confirma con el usuario y la contraseña de quien firma y queda en la auditoría con el SHA-256 \
         del contenido de esta boleta:",
    );
    for line in wrap(intro, BODY, CONTENT_W) {
        sheet.text(MARGIN, sheet.y + 8.0, BODY, Align::Left, &line);
        sheet.y += 10.5;
    }
    sheet.text(MARGIN, sheet.y + 9.0, BODY_BOLD, Align::Left, &cx.sha);
    sheet.y += 16.0;
    sheet.need(BOX_H);
    let w = (CONTENT_W - 20.0) / 3.0;
    let y = sheet.y;
    for (k, role) in SignRole::ORDER.into_iter().enumerate() {
        let x = MARGIN + k as f32 * (w + 10.0);
        let sig = sigs.iter().find(|s| s.role == role);
        signed_box(sheet, cx, [x, y, w, BOX_H], role, sig);
    }
    sheet.y = y + BOX_H + 8.0;
}

const HASH: Style = Style::new(6.0, false, INK);

fn signed_box(sheet: &mut Sheet, cx: &Cx, [x, y, w, h]: [f32; 4], role: SignRole, sig: Option<&Signature>) {
    signature_box(sheet, [x, y, w, h], role.label(cx.lang));
    let field = |sheet: &mut Sheet, line: f32, label: &str, value: &str| {
        sheet.text(x + 5.0, line, LABEL, Align::Left, label);
        sheet.text(x + 52.0, line, BODY, Align::Left, &fit(value, BODY, w - 57.0));
    };
    let f = &cx.c.job.fields;
    match sig {
        Some(s) => {
            field(sheet, y + 27.0, cx.t("Name", "Nombre"), s.name.as_str());
            field(sheet, y + 39.0, cx.t("User", "Usuario"), s.user.as_str());
            field(
                sheet,
                y + 51.0,
                cx.t("Signed (UTC)", "Firmó (UTC)"),
                when(s.at).as_str(),
            );
            sheet.text(
                x + 5.0,
                y + 65.0,
                LABEL,
                Align::Left,
                cx.t("SHA-256 signed", "SHA-256 firmado"),
            );
            let head: String = s.content_sha256.chars().take(32).collect();
            let tail: String = s.content_sha256.chars().skip(32).collect();
            sheet.text(x + 5.0, y + 75.0, HASH, Align::Left, &fit(&head, HASH, w - 10.0));
            sheet.text(x + 5.0, y + 83.0, HASH, Align::Left, &fit(&tail, HASH, w - 10.0));
            let (verdict, colour) = if s.content_sha256 == cx.sha {
                (
                    cx.t(
                        "Matches this ticket's content.",
                        "Coincide con el contenido de esta boleta.",
                    ),
                    INK,
                )
            } else {
                (
                    cx.t(
                        "DOES NOT MATCH this ticket's content.",
                        "NO COINCIDE con el contenido de esta boleta.",
                    ),
                    ALERT,
                )
            };
            let style = Style::new(6.5, true, colour);
            sheet.text(x + 5.0, y + 97.0, style, Align::Left, &fit(verdict, style, w - 10.0));
            let by = cx.t(
                "Signed electronically, login confirmed.",
                "Firmado electrónicamente, con usuario confirmado.",
            );
            sheet.text(x + 5.0, y + h - 8.0, LABEL, Align::Left, &fit(by, LABEL, w - 10.0));
        }
        None => {
            let expected = match role {
                SignRole::Operator => &f.operator,
                SignRole::Supervisor => &f.supervisor,
                SignRole::ClientRep => &f.client_rep,
            };
            field(sheet, y + 27.0, cx.t("Name", "Nombre"), expected.as_str());
            let style = Style::new(7.0, true, ALERT);
            sheet.text(x + 5.0, y + 41.0, style, Align::Left, cx.t("Not signed", "Sin firmar"));
            signature_lines(sheet, [x, y, w, h], cx.lang);
        }
    }
}
