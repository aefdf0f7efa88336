//! The ticket as a person reads it: a clean-out job's ticket laid out and rendered in English/oilfield and
//! Spanish/SI, its text checked (in the layout, and in the PDF through `pdftotext` where it is installed),
//! and its content hash stable and sensitive to every change.

use super::pdf::layout;
use super::*;
use crate::job::model::{
    FluidKind, JobFields, JobStatus, JobType, NptReason, OpType, SignRole, Signature, TicketState,
};
use crate::lang::Lang;
use crate::report::sheet::Item;
use crate::units::UnitSystem;

const T0: f64 = 1_795_000_000.0;

fn at(minutes: f64) -> Timestamp {
    Timestamp::from_secs_f64(T0 + minutes * 60.0)
}

/// The operations of a clean-out: (type, minutes, start depth, end depth, rate, observations).
fn plan() -> Vec<(OpType, f64, f64, f64, f64, &'static str)> {
    let long = "Washed down through soft fill with 2% KCl at 2.8 bpm; returns carried sand and scale to surface, \
                shakers loaded up twice and the pump was slowed to 2.2 bpm until returns cleaned up. No overpull \
                on the short trips; weight back to the pre-fill trend at 10,150 ft.";
    vec![
        (OpType::Rih, 95.0, 0.0, 9_500.0, 0.5, ""),
        (
            OpType::Circulate,
            30.0,
            9_500.0,
            9_500.0,
            2.5,
            "Bottoms up before the wash; sand in the returns.",
        ),
        (OpType::Wash, 60.0, 9_500.0, 10_020.0, 2.5, ""),
        (
            OpType::Tag,
            5.0,
            10_020.0,
            10_050.0,
            0.0,
            "Tagged hard fill at 10,050 ft; set down 4,000 lbf.",
        ),
        (OpType::Wash, 45.0, 10_050.0, 10_180.0, 2.8, long),
        (OpType::Circulate, 40.0, 10_180.0, 10_180.0, 3.0, ""),
        (
            OpType::Stationary,
            20.0,
            10_180.0,
            10_180.0,
            0.0,
            "Waiting on the vacuum truck.",
        ),
        (OpType::Pump, 25.0, 10_180.0, 10_180.0, 2.0, "HEC gel sweep pumped."),
        (OpType::Circulate, 30.0, 10_180.0, 10_180.0, 2.6, ""),
        (OpType::Pooh, 110.0, 10_180.0, 500.0, 0.5, ""),
        (
            OpType::Custom("FLOW CHECK".into()),
            15.0,
            500.0,
            500.0,
            0.0,
            "Well static.",
        ),
        (OpType::Pooh, 12.0, 500.0, 0.0, 0.0, ""),
    ]
}

fn operations() -> Vec<Operation> {
    let mut t = 0.0;
    plan()
        .into_iter()
        .enumerate()
        .map(|(i, (op_type, minutes, d0, d1, rate, obs))| {
            let pumping = rate > 0.0;
            let op = Operation {
                id: i as i64 + 1,
                job_id: 7,
                detected: !matches!(op_type, OpType::Custom(_)),
                op_type,
                start: at(t),
                end: Some(at(t + minutes)),
                start_depth_ft: d0,
                end_depth_ft: d1,
                max_depth_ft: d0.max(d1),
                // Whole pounds and psi, as the detector keeps them (and as JSON gives them back exactly).
                max_weight_lbf: Some((12_000.0 + d0.max(d1) * 0.8).round()),
                min_weight_lbf: Some((6_500.0 + d0.min(d1) * 0.3).round()),
                max_circ_psi: pumping.then_some((1_800.0 + rate * 450.0).round()),
                max_whp_psi: Some(420.0),
                avg_rate_bpm: pumping.then_some(rate),
                volume_bbl: (rate * minutes * 10.0).round() / 10.0,
                footage_ft: (d1 - d0).abs(),
                fluid: pumping.then(|| if i == 7 { "HEC gel sweep" } else { "2% KCl brine" }.to_owned()),
                observations: obs.to_owned(),
            };
            t += minutes;
            op
        })
        .collect()
}

fn fluids() -> Vec<FluidStage> {
    let stage = |seq: u32, kind: FluidKind, name: &str, planned: f64, actual: f64, from: f64, to: f64| FluidStage {
        id: i64::from(seq),
        job_id: 7,
        seq,
        kind,
        name: name.into(),
        density_ppg: (kind != FluidKind::Nitrogen).then_some(8.6),
        viscosity_cp: (kind == FluidKind::Gel).then_some(45.0),
        planned_bbl: Some(planned),
        actual_bbl: actual,
        avg_rate_bpm: Some(2.6),
        max_pressure_psi: Some(3_150.0),
        start: Some(at(from)),
        end: Some(at(to)),
    };
    vec![
        stage(1, FluidKind::Brine, "2% KCl brine", 650.0, 688.4, 95.0, 275.0),
        stage(2, FluidKind::Gel, "HEC gel sweep", 50.0, 50.0, 295.0, 320.0),
        stage(3, FluidKind::Nitrogen, "Nitrogen", 150_000.0, 142_500.0, 320.0, 350.0),
    ]
}

fn bha() -> Vec<BhaComponent> {
    let part = |seq: u32, kind: &str, maker: &str, model: &str, serial: &str, len: f64, od: f64, id: f64, lb: f64| {
        BhaComponent {
            id: i64::from(seq),
            job_id: 7,
            seq,
            kind: kind.into(),
            manufacturer: maker.into(),
            model: model.into(),
            serial: serial.into(),
            length_ft: len,
            od_in: od,
            id_in: id,
            weight_lb: lb,
        }
    };
    vec![
        part(1, "jet wash tool", "NOV", "JWT-213", "JW-88213", 1.2, 2.125, 0.75, 18.0),
        part(2, "check valve", "Baker", "DFCV", "DFCV-4471", 1.6, 2.125, 1.0, 22.0),
        part(
            3,
            "hydraulic disconnect",
            "Baker",
            "HD-2",
            "HD-3307",
            1.9,
            2.125,
            0.69,
            26.0,
        ),
        part(
            4,
            "circulating sub",
            "Tempress",
            "CS-21",
            "CS-1150",
            1.4,
            2.125,
            0.81,
            20.0,
        ),
        part(5, "jar", "NOV", "HJ-212", "HJ-7781", 6.5, 2.125, 0.75, 95.0),
        part(6, "connector", "Baker", "RC-150", "RC-0921", 0.9, 2.25, 1.0, 12.0),
    ]
}

/// Depth vs time, weight vs depth, circulating pressure vs depth.
type Series = (Vec<[f64; 2]>, Vec<[f64; 2]>, Vec<[f64; 2]>);

fn series() -> Series {
    let ops = operations();
    let end = ops.last().and_then(|o| o.end).unwrap().as_secs_f64();
    let depth_at = |t: f64| {
        let op = ops
            .iter()
            .find(|o| o.end.is_some_and(|e| e.as_secs_f64() >= t))
            .unwrap_or(&ops[0]);
        let (a, b) = (op.start.as_secs_f64(), op.end.unwrap().as_secs_f64());
        let k = ((t - a) / (b - a)).clamp(0.0, 1.0);
        op.start_depth_ft + k * (op.end_depth_ft - op.start_depth_ft)
    };
    let round = |x: f64, d: i32| (x * 10_f64.powi(d)).round() / 10_f64.powi(d);
    let mut time = Vec::new();
    let mut weight = Vec::new();
    let mut circ = Vec::new();
    for i in 0..600 {
        let t = T0 + (end - T0) * f64::from(i) / 599.0;
        let d = depth_at(t);
        time.push([round(t, 3), round(d, 1)]);
        // Going in the string is lighter than coming out (drag acts against the motion).
        let going_in = t < T0 + 95.0 * 60.0;
        let w = if going_in {
            4_000.0 + d * 0.9
        } else {
            6_000.0 + d * 1.45
        };
        weight.push([round(d, 1), round(w, 1)]);
        if t > T0 + 95.0 * 60.0 && t < T0 + 350.0 * 60.0 {
            circ.push([round(d, 1), round(1_900.0 + d * 0.11, 1)]);
        }
    }
    (time, weight, circ)
}

fn stats() -> JobStats {
    JobStats {
        duration_h: 8.45,
        max_depth_ft: 10_180.0,
        footage_ft: 20_360.0,
        volume_by_fluid: vec![
            ("2% KCl brine".into(), 688.4),
            ("HEC gel sweep".into(), 50.0),
            ("Nitrogen".into(), 142_500.0),
        ],
        total_volume_bbl: 738.4,
        hours_by_op: vec![
            ("POOH".into(), 2.033),
            ("CIRCULATE".into(), 1.667),
            ("WASH".into(), 1.75),
        ],
        npt_h: 0.333,
        npt_by_reason: vec![("waiting_on_materials".into(), 0.333)],
        efficiency_pct: 96.1,
        max_weight_lbf: Some(20_144.0),
        min_weight_lbf: Some(6_500.0),
        max_circ_psi: Some(3_150.0),
        max_whp_psi: Some(420.0),
        operations: 12,
        alarms: 3,
        trips: 1,
    }
}

fn events() -> Vec<TicketEvent> {
    let event = |minutes: f64, kind: &str, name: &str, priority: &str, en: &str, es: &str| TicketEvent {
        at: at(minutes),
        kind: kind.into(),
        name: name.into(),
        priority: priority.into(),
        message: en.into(),
        message_es: es.into(),
    };
    vec![
        event(
            140.0,
            "alarm",
            "ct01_circ_p_hi",
            "high",
            "Circulating pressure high",
            "Presión de circulación alta",
        ),
        event(
            182.0,
            "alarm",
            "ct01_wt_low",
            "medium",
            "Weight low: set down",
            "Peso bajo: apoyo",
        ),
        event(
            260.0,
            "alarm",
            "ct01_returns",
            "low",
            "Returns flow low",
            "Caudal de retorno bajo",
        ),
        event(
            262.0,
            "trip",
            "ct01_whp_trip",
            "trip",
            "WHP over 1,500 psi; first out",
            "",
        ),
    ]
}

fn content() -> TicketContent {
    let (depth_time, weight_depth, circ_depth) = series();
    let job = Job {
        id: 7,
        number: "CT-2026-0142".into(),
        status: JobStatus::Completed,
        fields: JobFields {
            job_type: Some(JobType::CleanOut),
            well: "LP-1047H".into(),
            field: "Loma Plata".into(),
            unit: "ct01".into(),
            reel: "R-100".into(),
            planned_start: Some(at(-60.0)),
            planned_end: Some(at(480.0)),
            supervisor: "Diego Salas".into(),
            operator: "Luis Ortega".into(),
            client: "Petrolera Andina S.A.".into(),
            client_rep: "Marta Quiroga".into(),
            objective: "Clean out sand fill to 10,180 ft to restore production below the upper perforations.".into(),
            well_depth_ft: Some(10_500.0),
            target_depth_ft: Some(10_180.0),
            estimated_hours: Some(9.0),
            description: "1.75 in CT, jet wash tool; 2% KCl with HEC sweeps; N2 to unload.".into(),
            notes: String::new(),
        },
        actual_start: Some(at(0.0)),
        actual_end: Some(at(507.0)),
        created_by: "engineer1".into(),
        created_at: at(-2_000.0),
        updated_at: at(507.0),
        ticket: TicketState::Draft,
        stats: Some(stats()),
    };
    TicketContent {
        site: "Loma Plata CT base".into(),
        job,
        operations: operations(),
        fluids: fluids(),
        bha: bha(),
        npt: vec![Npt {
            id: 1,
            job_id: 7,
            start: at(275.0),
            end: at(295.0),
            reason: NptReason::WaitingOnMaterials,
            note: "Vacuum truck late".into(),
        }],
        stats: stats(),
        events: events(),
        depth_time,
        weight_depth,
        circ_depth,
    }
}

fn signed(c: &TicketContent, roles: &[SignRole]) -> Vec<Signature> {
    let sha = content_sha256(c);
    roles
        .iter()
        .enumerate()
        .map(|(i, role)| Signature {
            role: *role,
            user: format!("user{i}"),
            name: ["Luis Ortega", "Diego Salas", "Marta Quiroga"][i].into(),
            at: at(540.0 + i as f64 * 30.0),
            content_sha256: sha.clone(),
        })
        .collect()
}

/// Every text drawn, page by page, whitespace collapsed.
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
fn the_english_oilfield_draft_says_what_the_job_did() {
    let c = content();
    let pages = layout(&c, &[], TicketState::Draft, Lang::En, UnitSystem::Oilfield);
    assert!(pages.len() >= 4, "{} pages", pages.len());
    let text = texts(&pages);
    let all = text.join("\n");
    for page in &text {
        assert!(
            page.contains("CT JOB TICKET") && page.contains("CT-2026-0142"),
            "a page without its header"
        );
        assert!(page.contains("DRAFT"), "a draft page without its mark");
    }
    assert!(text[0].contains(&format!("Page 1 of {}", pages.len())));
    for word in [
        "LP-1047H",
        "Petrolera Andina S.A.",
        "RIH",
        "POOH",
        "CIRCULATE",
        "WASH",
        "TAG",
        "FLOW CHECK",
        "JW-88213",
        "Signatures",
        "Not signed",
        "2% KCl brine",
        "ct01_whp_trip",
        "Depth vs time",
        "(ft)",
        "(lbf)",
        "2026-11-18 ",
    ] {
        assert!(all.contains(word), "'{word}' is not on the ticket");
    }
    // The long observation is wrapped under its operation, not lost.
    assert!(all.contains("weight back to the pre-fill trend"));
}

#[test]
fn the_spanish_si_ticket_prints_metric_units_and_spanish_words() {
    let c = content();
    let sigs = signed(&c, &SignRole::ORDER);
    let pages = layout(&c, &sigs, TicketState::Completed, Lang::Es, UnitSystem::Si);
    let all = texts(&pages).join("\n");
    for word in [
        "BOLETA DE TRABAJO DE TF",
        "Registro de operaciones",
        "Firmas",
        "Ensamblaje de fondo",
        "Presión de circulación alta",
        "(m)",
        "(kN)",
        "(kPa)",
        "FIRMADO",
        "Coincide con el contenido",
    ] {
        assert!(all.contains(word), "'{word}' is not on the Spanish ticket");
    }
    // 10,500 ft is 3,200.4 m, written with the decimal comma.
    assert!(all.contains("3200,4 m"), "no well depth in metres");
    assert!(!all.contains("BORRADOR"), "a signed ticket carries no draft mark");
}

#[test]
fn a_signature_of_other_content_is_shown_as_not_matching() {
    let c = content();
    let mut sigs = signed(&c, &[SignRole::Operator]);
    sigs[0].content_sha256 = "0".repeat(64);
    let all = texts(&layout(
        &c,
        &sigs,
        TicketState::PendingSignatures,
        Lang::En,
        UnitSystem::Oilfield,
    ))
    .join("\n");
    assert!(all.contains("DOES NOT MATCH"));
    assert!(all.contains("PENDING SIGNATURES"));
}

#[test]
fn the_content_hash_is_stable_and_follows_every_change() {
    let c = content();
    let sha = content_sha256(&c);
    assert_eq!(sha.len(), 64);
    assert_eq!(sha, content_sha256(&c.clone()));
    let json = content_json(&c).unwrap();
    assert_eq!(
        sha256_hex(json.as_bytes()),
        sha,
        "the stored text hashes to the signed hash"
    );
    let back: TicketContent = serde_json::from_str(&json).unwrap();
    assert_eq!(back, c);
    assert_eq!(content_sha256(&back), sha);
    let mut changed = c.clone();
    changed.operations[3].end_depth_ft += 1.0;
    assert_ne!(content_sha256(&changed), sha);
    let mut noted = c;
    noted.operations[0].observations.push('.');
    assert_ne!(content_sha256(&noted), sha);
}

#[test]
fn the_pdf_renders_and_reads_back() {
    let c = content();
    let dir = tempfile::tempdir().unwrap();
    let sigs = signed(&c, &[SignRole::Operator, SignRole::Supervisor]);
    let cases = [
        (Lang::En, UnitSystem::Oilfield, TicketState::Draft, Vec::new()),
        (Lang::Es, UnitSystem::Si, TicketState::PendingSignatures, sigs),
    ];
    for (lang, units, state, sigs) in cases {
        let pdf = render_pdf(&c, &sigs, state, lang, units).unwrap();
        assert!(pdf.starts_with(b"%PDF-"), "not a PDF");
        let path = dir.path().join(format!("ticket-{}.pdf", lang.code()));
        std::fs::write(&path, &pdf).unwrap();
        let Some(text) = pdftotext(&path) else {
            assert!(
                !crate::report::testing::poppler_required(),
                "pdftotext is required here (WELLCONSOLE_REQUIRE_POPPLER=1)"
            );
            eprintln!("pdftotext is not installed: the PDF's text is not checked (CI has poppler-utils)");
            continue;
        };
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let words: &[&str] = match lang {
            Lang::En => &[
                "CT-2026-0142",
                "LP-1047H",
                "Petrolera Andina S.A.",
                "POOH",
                "JW-88213",
                "Signatures",
            ],
            Lang::Es => &[
                "CT-2026-0142",
                "LP-1047H",
                "Registro de operaciones",
                "CIRCULATE",
                "HD-3307",
                "Firmas",
            ],
        };
        for word in words {
            assert!(text.contains(word), "'{word}' is not in the PDF's text");
        }
        let pages = text
            .matches(lang.pick("CT JOB TICKET", "BOLETA DE TRABAJO DE TF"))
            .count();
        assert!(pages >= 4, "{pages} page headers");
    }
}

/// The PDF's text as `pdftotext -layout` reads it, or `None` where poppler is not installed.
fn pdftotext(path: &std::path::Path) -> Option<String> {
    let out = std::process::Command::new("pdftotext")
        .arg("-layout")
        .arg(path)
        .arg("-")
        .output()
        .ok()?;
    assert!(
        out.status.success(),
        "pdftotext failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn the_pages_render_as_the_snapshots() {
    let c = content();
    let sigs = signed(&c, &[SignRole::Operator, SignRole::Supervisor]);
    let pdf = render_pdf(
        &c,
        &sigs,
        TicketState::PendingSignatures,
        Lang::En,
        UnitSystem::Oilfield,
    )
    .unwrap();
    crate::report::testing::pages_match_snapshots(&pdf, "ticket_page", 4);
}
