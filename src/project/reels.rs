//! Reads a reel record (`reels/<file>.toml`, format in `crate::ctstring::reel`) into a validated
//! `ReelRecord`, or every problem at `path:line:col` in a sentence a CT engineer can act on.
//!
//! Owns the file's raw form and its checks; the record's type and what is done with it are the `ctstring`
//! room's. Reads no file: the project hands it the text.

use super::diag::{Diagnostic, SourceFile};
use crate::calc::fatigue::{Grade, PressureFactor};
use crate::ctstring::layout::{SectionSpec, SurfacePath, WeldSpec};
use crate::ctstring::reel::{MAX_SECTIONS, MAX_STRING_FT, MAX_WELDS, ReelRecord, WELD_CODES, weld_from_code};
use serde::Deserialize;
use std::ops::Range;
use toml::Spanned;

/// A reel record is a page of text; anything larger is not one (and is not parsed to find out).
const MAX_FILE_BYTES: usize = 256 * 1024;
/// A reel id names files and database rows: short.
const MAX_ID_CHARS: usize = 64;
/// Grade names are written into CSV exports: short and plain.
const MAX_GRADE_CHARS: usize = 32;
/// Cell length the record is checked with (the console's default).
const CHECK_CELL_FT: f64 = 1.0;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    reel: Spanned<RawReel>,
    #[serde(default)]
    section: Vec<Spanned<RawSection>>,
    #[serde(default)]
    weld: Vec<Spanned<RawWeld>>,
    pressure_factor: Option<PressureFactor>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReel {
    id: Spanned<String>,
    core_diameter_in: Spanned<f64>,
    width_in: Spanned<f64>,
    guide_arch_radius_in: Spanned<f64>,
    running_ft_limit: Spanned<f64>,
    arch_exit_offset_ft: Spanned<f64>,
    arch_length_ft: Spanned<f64>,
    surface_run_ft: Spanned<f64>,
    history_csv: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSection {
    od_in: Spanned<f64>,
    wall_in: Spanned<f64>,
    grade: Spanned<Grade>,
    length_ft: Spanned<f64>,
    weld: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWeld {
    from_core_ft: Spanned<f64>,
    kind: Spanned<String>,
}

/// The sections read so far: what they add up to, and the first one's OD (the string's).
#[derive(Default)]
struct Strung {
    sections: Vec<SectionSpec>,
    /// The welds that join sections, at their distance from the core.
    joins: Vec<WeldSpec>,
    length_ft: f64,
    od: Option<(f64, Range<usize>)>,
}

/// Reads a reel record: the validated record, or every problem found (syntax errors stop at the first).
pub fn parse(src: &SourceFile<'_>) -> Result<ReelRecord, Vec<Diagnostic>> {
    if src.text.len() > MAX_FILE_BYTES {
        return Err(vec![src.at_line(
            1,
            1,
            format!(
                "this file is {} bytes; a reel record is at most {MAX_FILE_BYTES} bytes: is it the right file?",
                src.text.len()
            ),
        )]);
    }
    let raw: RawFile = toml::from_str(src.text).map_err(|e| vec![src.toml_error(&e)])?;
    let mut errs = Vec::new();
    let reel_span = raw.reel.span();
    let reel = raw.reel.into_inner();
    let strung = read_sections(raw.section, &reel_span, src, &mut errs);
    let mut welds = strung.joins;
    welds.extend(extra_welds(raw.weld, strung.length_ft, src, &mut errs));
    let od_in = strung.od.as_ref().map(|(od, _)| *od);
    let mut record = ReelRecord {
        id: reel_id(&reel.id, src, &mut errs),
        core_diameter_in: check(
            &reel.core_diameter_in,
            |x| x > 0.0,
            src,
            &mut errs,
            |x| format!("core_diameter_in = {x}: the reel's core diameter must be more than 0 in"),
        ),
        width_in: check(
            &reel.width_in,
            |x| x >= od_in.unwrap_or(0.0) && x > 0.0,
            src,
            &mut errs,
            |x| {
                format!(
                    "width_in = {x}: the reel must be at least one pipe OD ({} in) wide between its flanges",
                    od_in.unwrap_or(0.0)
                )
            },
        ),
        guide_arch_radius_in: check(
            &reel.guide_arch_radius_in,
            |x| x > od_in.unwrap_or(0.0) / 2.0 && x > 0.0,
            src,
            &mut errs,
            |x| {
                format!(
                    "guide_arch_radius_in = {x}: the guide arch radius must be more than 0 and more than half \
                     the pipe OD ({} in)",
                    od_in.unwrap_or(0.0) / 2.0
                )
            },
        ),
        running_ft_limit: check(
            &reel.running_ft_limit,
            |x| x > 0.0,
            src,
            &mut errs,
            |x| format!("running_ft_limit = {x}: the running-feet limit must be more than 0 ft (e.g. 400000)"),
        ),
        path: surface_path(&reel, src, &mut errs),
        history_csv: reel.history_csv.as_ref().map(|h| history_csv(h, src, &mut errs)),
        sections: strung.sections,
        welds,
        pressure_factor: raw.pressure_factor.unwrap_or_default(),
    };
    if !errs.is_empty() {
        // In the order they are written: sections are read before the `[reel]` keys above them.
        errs.sort_by_key(|d| (d.line, d.col));
        return Err(errs);
    }
    record.welds.sort_by(|a, b| a.from_core_ft.total_cmp(&b.from_core_ft));
    // What a layout refuses is said now, at load, at the key it is about, not when a job starts.
    if let Err(e) = record.layout(CHECK_CELL_FT) {
        let span = field_span(e.field(), &reel, &reel_span, strung.od.as_ref().map(|(_, s)| s));
        return Err(vec![
            src.at(span, format!("the string cannot be laid out on this reel: {e}")),
        ]);
    }
    Ok(record)
}

/// A number that must be finite and pass `ok`; otherwise `message(value)` at the value.
fn check(
    v: &Spanned<f64>,
    ok: impl FnOnce(f64) -> bool,
    src: &SourceFile<'_>,
    errs: &mut Vec<Diagnostic>,
    message: impl FnOnce(f64) -> String,
) -> f64 {
    let x = *v.get_ref();
    if !(x.is_finite() && ok(x)) {
        errs.push(src.at(v.span(), message(x)));
    }
    x
}

/// The reel id: it becomes a database key and a file name, so only plain characters.
fn reel_id(id: &Spanned<String>, src: &SourceFile<'_>, errs: &mut Vec<Diagnostic>) -> String {
    let s = id.get_ref();
    let problem = if s.is_empty() {
        Some("the reel id is empty: give the serial on the reel, e.g. \"CT-4471\"".to_owned())
    } else if s.chars().count() > MAX_ID_CHARS {
        Some(format!("the reel id is longer than {MAX_ID_CHARS} characters"))
    } else if s.starts_with('.')
        || !s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        Some(format!(
            "reel id '{s}' may hold only letters A-Z, digits, '-', '_' and '.', and may not start with '.': \
             it names the reel's fatigue records and files"
        ))
    } else {
        None
    };
    if let Some(p) = problem {
        errs.push(src.at(id.span(), p));
    }
    s.clone()
}

/// `history_csv`: a `.csv` file inside the project, never a path out of it.
fn history_csv(h: &Spanned<String>, src: &SourceFile<'_>, errs: &mut Vec<Diagnostic>) -> String {
    let p = h.get_ref();
    let inside = !p.starts_with('/')
        && !p.contains('\\')
        && !p.contains(':')
        && p.split('/').all(|part| !part.is_empty() && part != "." && part != "..");
    if !(inside && p.ends_with(".csv")) {
        errs.push(src.at(
            h.span(),
            format!(
                "history_csv = \"{p}\": give a .csv file inside the project folder, e.g. \
                 \"reels/ct01_history.csv\" (no absolute path, no '..')"
            ),
        ));
    }
    p.clone()
}

/// The pipe's path from the wellhead: arch exit, arch entry, then the reel tangent, in that order.
fn surface_path(r: &RawReel, src: &SourceFile<'_>, errs: &mut Vec<Diagnostic>) -> SurfacePath {
    let exit = check(
        &r.arch_exit_offset_ft,
        |x| x >= 0.0,
        src,
        errs,
        |x| format!("arch_exit_offset_ft = {x}: the distance from the wellhead to the arch exit must be 0 ft or more"),
    );
    let arch = check(
        &r.arch_length_ft,
        |x| x > 0.0,
        src,
        errs,
        |x| format!("arch_length_ft = {x}: the bent length on the arch must be more than 0 ft (about radius × 90°)"),
    );
    let arch_entry = exit + arch;
    let run = check(
        &r.surface_run_ft,
        |x| x > arch_entry,
        src,
        errs,
        |x| {
            format!(
                "surface_run_ft = {x}: the reel tangent must lie beyond the arch along the pipe, more than \
                 arch_exit_offset_ft + arch_length_ft = {} ft from the wellhead",
                num(arch_entry)
            )
        },
    );
    SurfacePath {
        arch_exit_offset_ft: exit,
        arch_length_ft: arch,
        surface_run_ft: run,
    }
}

/// The `[[section]]` tables, from the core out, with the welds that join them.
fn read_sections(
    raw: Vec<Spanned<RawSection>>,
    reel_span: &Range<usize>,
    src: &SourceFile<'_>,
    errs: &mut Vec<Diagnostic>,
) -> Strung {
    let mut out = Strung::default();
    if raw.is_empty() {
        errs.push(src.at(
            reel_span.clone(),
            "the reel has no string: add [[section]] tables, from the core out",
        ));
    }
    if let Some(extra) = raw.get(MAX_SECTIONS) {
        errs.push(src.at(
            extra.span(),
            format!("a string has at most {MAX_SECTIONS} sections; this is one more"),
        ));
    }
    let mut too_long = false;
    for (i, s) in raw.into_iter().take(MAX_SECTIONS).enumerate() {
        let (n, header) = (i + 1, s.span());
        let r = s.into_inner();
        let od = check(
            &r.od_in,
            |x| x > 0.0,
            src,
            errs,
            |x| format!("od_in = {x}: section {n}'s OD must be more than 0 in"),
        );
        let first_od = out.od.as_ref().map(|(od0, _)| *od0);
        match first_od {
            None => out.od = Some((od, r.od_in.span())),
            // One OD: the reel's layers (and so the reel bending strain) are figured for one pipe diameter.
            Some(od0) if od != od0 && od.is_finite() => errs.push(src.at(
                r.od_in.span(),
                format!(
                    "section {n} has OD {od} in but section 1 has {od0} in: every section must have the same \
                     OD, because the reel's wrap layers are figured for one pipe diameter"
                ),
            )),
            Some(_) => {}
        }
        let wall = check(
            &r.wall_in,
            |w| w > 0.0 && w < od / 2.0,
            src,
            errs,
            |w| {
                format!(
                    "wall_in = {w}: section {n}'s wall must be more than 0 and less than half its OD ({} in)",
                    od / 2.0
                )
            },
        );
        let grade_span = r.grade.span();
        let grade = r.grade.into_inner();
        if let Err(e) = grade.validate() {
            errs.push(src.at(grade_span, format!("section {n}'s grade '{}': {e}", grade.name)));
        } else if let Some(p) = grade_name_problem(&grade.name) {
            errs.push(src.at(grade_span, p));
        }
        let length = check(
            &r.length_ft,
            |l| l > 0.0,
            src,
            errs,
            |l| format!("length_ft = {l}: section {n} must be longer than 0 ft"),
        );
        join(n, header, r.weld, out.length_ft, &mut out.joins, src, errs);
        if length.is_finite() && length > 0.0 {
            out.length_ft += length;
        }
        if out.length_ft > MAX_STRING_FT && !too_long {
            too_long = true;
            errs.push(src.at(
                r.length_ft.span(),
                format!(
                    "with this section the string is {} ft long; no CT string is longer than {MAX_STRING_FT} ft: \
                     check the units (feet)",
                    num(out.length_ft)
                ),
            ));
        }
        out.sections.push(SectionSpec {
            od_in: od,
            wall_in: wall,
            grade,
            length_ft: length,
        });
    }
    out
}

/// Section `n`'s `weld`: none on the first (nothing before it), required on every other.
fn join(
    n: usize,
    header: Range<usize>,
    weld: Option<Spanned<String>>,
    from_core_ft: f64,
    joins: &mut Vec<WeldSpec>,
    src: &SourceFile<'_>,
    errs: &mut Vec<Diagnostic>,
) {
    match (n, weld) {
        (1, None) => {}
        (1, Some(w)) => errs.push(src.at(
            w.span(),
            "section 1 is the one on the core: nothing comes before it to be welded to; remove its weld \
             (repair welds go in [[weld]] tables)",
        )),
        (_, None) => errs.push(src.at(
            header,
            format!(
                "section {n} needs weld = \"…\": the weld that joins it to section {} ({WELD_CODES})",
                n - 1
            ),
        )),
        (_, Some(w)) => match weld_from_code(w.get_ref()) {
            Some(kind) => joins.push(WeldSpec { from_core_ft, kind }),
            None => errs.push(unknown_weld(&w, src)),
        },
    }
}

/// The `[[weld]]` tables: repair welds, each inside the string.
fn extra_welds(
    raw: Vec<Spanned<RawWeld>>,
    length_ft: f64,
    src: &SourceFile<'_>,
    errs: &mut Vec<Diagnostic>,
) -> Vec<WeldSpec> {
    if let Some(extra) = raw.get(MAX_WELDS) {
        errs.push(src.at(
            extra.span(),
            format!("a string has at most {MAX_WELDS} extra welds; this is one more"),
        ));
    }
    let mut welds = Vec::new();
    for w in raw.into_iter().take(MAX_WELDS) {
        let w = w.into_inner();
        let at = check(
            &w.from_core_ft,
            |x| x > 0.0 && x < length_ft,
            src,
            errs,
            |x| {
                format!(
                    "from_core_ft = {x}: a weld must lie inside the string, between 0 and {} ft from the core end",
                    num(length_ft)
                )
            },
        );
        match weld_from_code(w.kind.get_ref()) {
            Some(kind) => welds.push(WeldSpec { from_core_ft: at, kind }),
            None => errs.push(unknown_weld(&w.kind, src)),
        }
    }
    welds
}

/// A figure for a message: to 0.001 (a sum such as 12 + 9.4 is not written 21.400000000000002).
fn num(x: f64) -> String {
    let s = format!("{x:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_owned()
}

fn unknown_weld(w: &Spanned<String>, src: &SourceFile<'_>) -> Diagnostic {
    src.at(w.span(), format!("unknown weld type '{}' ({WELD_CODES})", w.get_ref()))
}

/// Grade names go into CSV exports and screens: plain and short.
fn grade_name_problem(name: &str) -> Option<String> {
    if name.trim().is_empty() {
        Some("the grade needs a name, e.g. \"CT90\"".to_owned())
    } else if name.chars().count() > MAX_GRADE_CHARS {
        Some(format!(
            "grade name '{name}' is longer than {MAX_GRADE_CHARS} characters"
        ))
    } else if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.' | '/'))
    {
        Some(format!(
            "grade name '{name}' may hold only letters A-Z, digits, spaces and - _ . / (it is written into CSV \
             exports)"
        ))
    } else {
        None
    }
}

/// Where a calculation's complaint about `field` belongs in the file (the `[reel]` header when unknown).
fn field_span(field: &str, r: &RawReel, reel_span: &Range<usize>, od: Option<&Range<usize>>) -> Range<usize> {
    match field {
        "core_diameter_in" => r.core_diameter_in.span(),
        "width_in" => r.width_in.span(),
        "guide_arch_radius_in" => r.guide_arch_radius_in.span(),
        "arch_exit_offset_ft" => r.arch_exit_offset_ft.span(),
        "arch_length_ft" => r.arch_length_ft.span(),
        "surface_run_ft" => r.surface_run_ft.span(),
        "od_in" => od.cloned().unwrap_or_else(|| reel_span.clone()),
        _ => reel_span.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ctstring::reel::weld_code;

    const DEMO: &str = include_str!("../../reels/ct01.toml");
    const PATH: &str = "reels/ct01.toml";

    fn problems(text: &str) -> Vec<String> {
        match parse(&SourceFile::new(PATH, text)) {
            Ok(_) => Vec::new(),
            Err(e) => e.iter().map(ToString::to_string).collect(),
        }
    }

    /// `path:line:col` of byte `at` of `text`.
    fn place(text: &str, at: usize) -> String {
        let (line, col) = SourceFile::new(PATH, text).line_col(at);
        format!("{PATH}:{line}:{col}")
    }

    /// Where `needle` (written once in `text`) starts.
    fn place_of(text: &str, needle: &str) -> String {
        assert_eq!(text.matches(needle).count(), 1, "'{needle}' is written once");
        place(text, text.find(needle).expect("written"))
    }

    /// Where the value of `key = value` (written once in `text`) starts.
    fn value_at(text: &str, key_value: &str) -> String {
        assert_eq!(text.matches(key_value).count(), 1, "'{key_value}' is written once");
        let at = text.find(key_value).expect("written") + key_value.find("= ").expect("a key = value") + 2;
        place(text, at)
    }

    /// The `n`th (0-based) `[[section]]` header that starts a line.
    fn section_header(text: &str, n: usize) -> String {
        let at = text
            .match_indices("\n[[section]]")
            .nth(n)
            .map(|(i, _)| i + 1)
            .expect("the section is there");
        place(text, at)
    }

    fn expect_one(text: &str, at: &str, words: &str) {
        let found = problems(text);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(found[0].starts_with(&format!("{at}: ")), "{found:#?}, expected at {at}");
        assert!(found[0].contains(words), "{found:#?}, expected '{words}'");
    }

    #[test]
    fn the_demo_record_parses_into_its_reel_and_string() {
        let r = parse(&SourceFile::new(PATH, DEMO)).unwrap_or_else(|e| panic!("{e:#?}"));
        assert_eq!(r.id, "CT-4471");
        assert_eq!(
            (r.core_diameter_in, r.width_in, r.guide_arch_radius_in),
            (96.0, 64.0, 72.0)
        );
        assert_eq!(r.running_ft_limit, 400_000.0);
        assert_eq!(
            (r.path.arch_exit_offset_ft, r.path.arch_length_ft, r.path.surface_run_ft),
            (12.0, 9.4, 40.0)
        );
        assert_eq!(r.history_csv.as_deref(), Some("reels/ct01_history.csv"));
        let walls: Vec<f64> = r.sections.iter().map(|s| s.wall_in).collect();
        assert_eq!(walls, [0.190, 0.175, 0.156], "from the core out");
        assert_eq!(r.length_ft(), 14_000.0);
        assert_eq!(r.sections[0].grade.name, "CT90");
        assert_eq!(r.sections[0].grade.reduction_of_area, 0.6, "the default");
        let welds: Vec<(f64, &str)> = r.welds.iter().map(|w| (w.from_core_ft, weld_code(&w.kind))).collect();
        assert_eq!(
            welds,
            [
                (2000.0, "tapered_bias"),
                (6000.0, "tapered_bias"),
                (9_500.0, "orbital_butt")
            ],
            "section joins and the repair weld, sorted from the core"
        );
        let layout = r.layout(1.0).expect("lays out");
        assert_eq!(layout.cells().len(), 14_000);
        assert_eq!(layout.welds_from_tip().len(), 3);
    }

    #[test]
    fn a_history_csv_inside_the_project_is_kept() {
        let r = parse(&SourceFile::new(PATH, DEMO)).unwrap_or_else(|e| panic!("{e:#?}"));
        assert_eq!(r.history_csv.as_deref(), Some("reels/ct01_history.csv"));
        let text = DEMO.replace(
            "history_csv = \"reels/ct01_history.csv\"",
            "history_csv = \"../../etc/x.csv\"",
        );
        expect_one(
            &text,
            &place_of(&text, "\"../../etc/x.csv\""),
            "inside the project folder",
        );
    }

    #[test]
    fn every_weld_type_is_spelt_both_ways() {
        for code in WELD_CODES.split(", ") {
            let kind = weld_from_code(code).unwrap_or_else(|| panic!("{code}"));
            assert_eq!(weld_code(&kind), code);
        }
        assert!(weld_from_code("Bias").is_none(), "spelt exactly");
    }

    #[test]
    fn a_section_of_another_od_is_refused_at_its_od() {
        let text = DEMO.replacen("od_in = 1.75\nwall_in = 0.156", "od_in = 2.0\nwall_in = 0.156", 1);
        expect_one(&text, &place_of(&text, "2.0\nwall_in"), "must have the same OD");
    }

    #[test]
    fn a_wall_of_half_the_od_or_more_is_refused() {
        let text = DEMO.replace("wall_in = 0.156", "wall_in = 0.875");
        expect_one(
            &text,
            &value_at(&text, "wall_in = 0.875"),
            "less than half its OD (0.875 in)",
        );
    }

    #[test]
    fn an_invalid_grade_is_refused_at_the_grade() {
        let text = DEMO.replacen(
            "{ name = \"CT90\", yield_psi = 90000.0, tensile_psi = 97000.0 }\nlength_ft = 4000.0",
            "{ name = \"CT90\", yield_psi = -90000.0, tensile_psi = 97000.0 }\nlength_ft = 4000.0",
            1,
        );
        expect_one(
            &text,
            &place_of(&text, "{ name = \"CT90\", yield_psi = -"),
            "section 2's grade 'CT90'",
        );
        let text = DEMO.replacen("name = \"CT90\"", "name = \"CT,90\"", 1);
        expect_one(&text, &place_of(&text, "{ name = \"CT,90\""), "may hold only");
    }

    #[test]
    fn a_section_without_length_is_refused() {
        let text = DEMO.replace("length_ft = 2000.0", "length_ft = 0.0");
        expect_one(
            &text,
            &value_at(&text, "length_ft = 0.0"),
            "section 1 must be longer than 0 ft",
        );
    }

    #[test]
    fn a_string_in_the_wrong_units_is_refused() {
        let text = DEMO.replace("length_ft = 8000.0", "length_ft = 90000.0");
        let found = problems(&text);
        assert!(
            found
                .iter()
                .any(|p| p.starts_with(&value_at(&text, "length_ft = 90000.0")) && p.contains("check the units")),
            "{found:#?}"
        );
    }

    #[test]
    fn a_missing_weld_is_refused_at_the_section() {
        let text = DEMO.replacen("weld = \"tapered_bias\"\n", "", 1);
        expect_one(&text, &section_header(&text, 1), "section 2 needs weld = \"…\"");
        let text = DEMO.replacen("length_ft = 2000.0\n", "length_ft = 2000.0\nweld = \"bias\"\n", 1);
        expect_one(&text, &place_of(&text, "\"bias\""), "section 1 is the one on the core");
    }

    #[test]
    fn an_unknown_weld_type_lists_the_known_ones() {
        let text = DEMO.replace("kind = \"orbital_butt\"", "kind = \"orbital\"");
        expect_one(
            &text,
            &place_of(&text, "\"orbital\""),
            "unknown weld type 'orbital' (bias, tapered_bias",
        );
    }

    #[test]
    fn a_weld_outside_the_string_is_refused() {
        let text = DEMO.replace("from_core_ft = 9500.0", "from_core_ft = 14500.0");
        expect_one(
            &text,
            &value_at(&text, "from_core_ft = 14500.0"),
            "between 0 and 14000 ft from the core end",
        );
    }

    #[test]
    fn a_guide_arch_tighter_than_the_pipe_is_refused() {
        let text = DEMO.replace("guide_arch_radius_in = 72.0", "guide_arch_radius_in = 0.5");
        expect_one(
            &text,
            &value_at(&text, "guide_arch_radius_in = 0.5"),
            "more than half the pipe OD (0.875 in)",
        );
    }

    #[test]
    fn the_surface_path_must_run_wellhead_arch_reel() {
        let text = DEMO.replace("surface_run_ft = 40.0", "surface_run_ft = 20.0");
        expect_one(
            &text,
            &value_at(&text, "surface_run_ft = 20.0"),
            "= 21.4 ft from the wellhead",
        );
    }

    #[test]
    fn an_unsafe_or_empty_reel_id_is_refused() {
        let text = DEMO.replace("id = \"CT-4471\"", "id = \"../CT 4471\"");
        expect_one(&text, &place_of(&text, "\"../CT 4471\""), "may hold only letters");
        let text = DEMO.replace("id = \"CT-4471\"", "id = \"\"");
        expect_one(&text, &place_of(&text, "\"\"\ncore"), "the reel id is empty");
    }

    #[test]
    fn a_misspelt_key_is_located_by_the_parser() {
        let text = DEMO.replace("width_in = 64.0", "width_in = 64.0\ncolour = \"red\"");
        expect_one(&text, &place_of(&text, "colour"), "unknown field `colour`");
    }

    #[test]
    fn a_string_of_too_many_sections_is_refused() {
        let mut text = DEMO.to_owned();
        for _ in 0..MAX_SECTIONS {
            text.push_str("\n[[section]]\nod_in = 1.75\nwall_in = 0.156\n");
            text.push_str("grade = { name = \"CT90\", yield_psi = 90000.0, tensile_psi = 97000.0 }\n");
            text.push_str("length_ft = 10.0\nweld = \"bias\"\n");
        }
        let found = problems(&text);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(found[0].starts_with(&section_header(&text, MAX_SECTIONS)), "{found:#?}");
        assert!(found[0].contains("at most 64 sections"), "{found:#?}");
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let text = DEMO
            .replace("core_diameter_in = 96.0", "core_diameter_in = -96.0")
            .replace("running_ft_limit = 400000.0", "running_ft_limit = 0.0");
        let found = problems(&text);
        assert_eq!(found.len(), 2, "{found:#?}");
        assert!(found[0].contains("core diameter must be more than 0 in"), "{found:#?}");
        assert!(found[1].contains("running-feet limit"), "{found:#?}");
    }
}
