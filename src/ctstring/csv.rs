//! A CT string as CSV: the export an engineer takes to the office (one row per cell, from the free end) and
//! the import that brings fatigue from another tool or an earlier console onto a string's cells.
//!
//! Export:
//! ```text
//! # wellconsole CT string
//! # reel,CT-4471
//! # length_ft,17000
//! # cell_ft,1
//! # running_ft,123456.5
//! position_ft,od_in,wall_in,grade,weld,fatigue_pct
//! 0,1.75,0.156,CT90,,0.0125
//! ```
//! `position_ft` is where the cell starts, measured from the free (downhole) end; `weld` is empty or the weld
//! type (`reel::WELD_CODES`) of a weld in that cell; `fatigue_pct` is 100 × Miner damage.
//!
//! Import needs the columns `position_ft` and `fatigue_pct` (the others of the export are allowed and
//! checked, an unknown one is an error naming it). Positions increase, each within the string; values are
//! 0 to 100 %. Each row lands on the cell that holds its position (the cell whose centre is nearest); cells
//! between two rows take the straight line between them, cells before the first row or after the last the
//! nearest row's value. Two rows on one cell: the larger (fatigue is never understated). `# running_ft,N`
//! and `# reel,ID` are read when present, and `# length_ft,N` must be this string's length (an export from
//! before a cut would not line up); other `#` lines are comments.
//!
//! A strict, small format with no quoting: numbers and plain words, so a quote is refused rather than half
//! understood. Bounded: at most 200,000 rows, 1 kB a line. Errors read `line N: message`.
//!
//! Owns the text format only: the cells and sections are the layout's, where the result goes the caller's.

use super::layout::{SectionSpec, StringLayout};
use super::reel::{WELD_CODES, weld_code, weld_from_code};
use std::fmt::Write;

/// Rows (cells) an import reads at most: a 60,000-ft string in 0.3-ft cells.
pub const MAX_ROWS: usize = 200_000;
/// Bytes a line may hold: a row is a few dozen.
pub const MAX_LINE_BYTES: usize = 1024;
/// `#` lines an import reads at most.
const MAX_COMMENT_LINES: usize = 1_000;
/// The columns an export writes, in its order; an import may give any of them, `position_ft` and
/// `fatigue_pct` at least.
pub const COLUMNS: [&str; 6] = ["position_ft", "od_in", "wall_in", "grade", "weld", "fatigue_pct"];
/// A position written to 6 decimals lands on its cell with this much to spare (in cells).
const CELL_SLACK: f64 = 1e-3;

/// A problem in an imported string CSV, at its line (1-based).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct CsvError {
    pub line: usize,
    pub message: String,
}

fn at(line: usize, message: impl Into<String>) -> CsvError {
    CsvError {
        line,
        message: message.into(),
    }
}

/// Fatigue read from a CSV, on the layout's cells.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedFatigue {
    /// Miner damage per cell (0 to 1), one per cell of the layout, from the free end.
    pub damage: Vec<f64>,
    /// `# running_ft,N`, when the file has it.
    pub running_ft: Option<f64>,
    /// `# reel,ID`, when the file has it: the caller checks it names the reel it imports onto.
    pub reel_id: Option<String>,
}

/// The string as CSV: header comments, then one row per cell from the free end. `damage` holds one value
/// per cell; a cell past its end is written with an empty `fatigue_pct`, which an import refuses (a short
/// vector is the caller's mistake, shown rather than filled in).
pub fn export(record_id: &str, layout: &StringLayout, damage: &[f64], running_ft: f64) -> String {
    let cells = layout.cells().len();
    let cell_ft = layout.cell_ft();
    let mut weld_in: Vec<Option<&'static str>> = vec![None; cells];
    for (position_ft, kind) in layout.welds_from_tip() {
        // One weld a cell is written: two welds within a cell are not a real string.
        if let Some(slot) = cell_of(position_ft, cell_ft, cells).and_then(|i| weld_in.get_mut(i))
            && slot.is_none()
        {
            *slot = Some(weld_code(&kind));
        }
    }
    // Sections from the free end, each with the position where it starts.
    let mut from_tip: Vec<(f64, &SectionSpec)> = Vec::with_capacity(layout.sections().len());
    let mut start = 0.0;
    for s in layout.sections().iter().rev() {
        from_tip.push((start, s));
        start += s.length_ft;
    }
    let mut out = String::with_capacity(cells * 40 + 256);
    let _ = writeln!(out, "# wellconsole CT string");
    let _ = writeln!(out, "# reel,{}", plain(record_id));
    let _ = writeln!(out, "# length_ft,{}", decimal(layout.length_ft()));
    let _ = writeln!(out, "# cell_ft,{}", decimal(cell_ft));
    let _ = writeln!(out, "# running_ft,{running_ft}");
    let _ = writeln!(out, "{}", COLUMNS.join(","));
    let mut section = 0;
    for (i, weld) in weld_in.iter().enumerate() {
        let position_ft = i as f64 * cell_ft;
        let centre_ft = position_ft + cell_ft / 2.0;
        while from_tip.get(section + 1).is_some_and(|(s, _)| *s <= centre_ft) {
            section += 1;
        }
        let (od, wall, grade) = from_tip
            .get(section)
            .map_or((String::new(), String::new(), String::new()), |(_, s)| {
                (s.od_in.to_string(), s.wall_in.to_string(), plain(&s.grade.name))
            });
        let pct = damage.get(i).map_or_else(String::new, |d| (d * 100.0).to_string());
        let _ = writeln!(
            out,
            "{},{od},{wall},{grade},{},{pct}",
            decimal(position_ft),
            weld.unwrap_or("")
        );
    }
    out
}

/// Reads fatigue from `text` onto `layout`'s cells (see the module doc for the rules).
pub fn import(text: &str, layout: &StringLayout) -> Result<ImportedFatigue, CsvError> {
    let cells = layout.cells().len();
    let length_ft = layout.length_ft();
    let mut header: Option<Vec<Column>> = None;
    let mut rows: Vec<(f64, f64)> = Vec::new();
    let (mut running_ft, mut reel_id, mut comments) = (None, None, 0);
    let mut last_line = 0;
    for (i, raw) in text.split('\n').enumerate() {
        let line = i + 1;
        last_line = line;
        let l = raw.strip_suffix('\r').unwrap_or(raw);
        if l.len() > MAX_LINE_BYTES {
            return Err(at(line, format!("a line holds at most {MAX_LINE_BYTES} bytes")));
        }
        if l.trim().is_empty() {
            continue;
        }
        if l.contains('"') {
            return Err(at(
                line,
                "quotes are not part of this format: write numbers and plain words",
            ));
        }
        if let Some(c) = l.strip_prefix('#') {
            comments += 1;
            if comments > MAX_COMMENT_LINES {
                return Err(at(line, format!("more than {MAX_COMMENT_LINES} # lines")));
            }
            comment(c, line, &mut running_ft, &mut reel_id)?;
            // An export of this string taken before a cut would put every foot's fatigue off by the cut.
            if let Some(("length_ft", v)) = c.split_once(',').map(|(k, v)| (k.trim(), v.trim())) {
                let was = number(v, line, "length_ft")?;
                if (was - length_ft).abs() > layout.cell_ft() / 2.0 {
                    return Err(at(
                        line,
                        format!(
                            "this CSV is of a string {was} ft long and this string is {length_ft} ft: the positions \
                             would not line up (was pipe cut since it was exported?)"
                        ),
                    ));
                }
            }
            continue;
        }
        if header.is_none() {
            header = Some(columns(l, line)?);
            continue;
        }
        let Some(h) = header.as_deref() else {
            continue;
        };
        if rows.len() >= MAX_ROWS {
            return Err(at(line, format!("more than {MAX_ROWS} rows")));
        }
        let (position_ft, pct) = row(h, l, line)?;
        if position_ft > length_ft {
            return Err(at(
                line,
                format!("position {position_ft} ft is beyond the end of the string, which is {length_ft} ft long"),
            ));
        }
        if let Some(&(before, _)) = rows.last()
            && position_ft <= before
        {
            return Err(at(
                line,
                format!("positions must increase from the free end: {position_ft} ft comes after {before} ft"),
            ));
        }
        rows.push((position_ft, pct));
    }
    if header.is_none() {
        return Err(at(
            last_line.max(1),
            "no header line: the first line that is not a # comment names the columns, e.g. position_ft,fatigue_pct",
        ));
    }
    if rows.is_empty() {
        return Err(at(
            last_line.max(1),
            "no rows: the file names its columns but gives no values",
        ));
    }
    let damage = onto_cells(&rows, layout.cell_ft(), cells).ok_or_else(|| at(1, "the string has no cells"))?;
    Ok(ImportedFatigue {
        damage,
        running_ft,
        reel_id,
    })
}

/// A column an import knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Position,
    Od,
    Wall,
    Grade,
    Weld,
    Fatigue,
}

/// The header line: known columns, each once, `position_ft` and `fatigue_pct` among them.
fn columns(l: &str, line: usize) -> Result<Vec<Column>, CsvError> {
    let mut out = Vec::new();
    for name in l.split(',').map(str::trim) {
        let c = match name {
            "position_ft" => Column::Position,
            "od_in" => Column::Od,
            "wall_in" => Column::Wall,
            "grade" => Column::Grade,
            "weld" => Column::Weld,
            "fatigue_pct" => Column::Fatigue,
            other => {
                return Err(at(
                    line,
                    format!(
                        "unknown column '{other}' (known: {}); the first line that is not a # comment names the \
                         columns",
                        COLUMNS.join(", ")
                    ),
                ));
            }
        };
        if out.contains(&c) {
            return Err(at(line, format!("column '{name}' is named twice")));
        }
        out.push(c);
    }
    if !(out.contains(&Column::Position) && out.contains(&Column::Fatigue)) {
        return Err(at(line, "the header needs the columns position_ft and fatigue_pct"));
    }
    Ok(out)
}

/// One row: its position (ft from the free end) and fatigue (%); the other columns checked for form.
fn row(header: &[Column], l: &str, line: usize) -> Result<(f64, f64), CsvError> {
    let values: Vec<&str> = l.split(',').map(str::trim).collect();
    if values.len() != header.len() {
        return Err(at(
            line,
            format!("{} values, but the header names {} columns", values.len(), header.len()),
        ));
    }
    let (mut position_ft, mut pct) = (0.0, 0.0);
    for (column, v) in header.iter().zip(values) {
        match column {
            Column::Position => {
                position_ft = number(v, line, "position_ft")?;
                if position_ft < 0.0 {
                    return Err(at(line, format!("position_ft {v} is before the free end (0 ft)")));
                }
            }
            Column::Fatigue => {
                pct = number(v, line, "fatigue_pct")?;
                if !(0.0..=100.0).contains(&pct) {
                    return Err(at(line, format!("fatigue_pct {v} must be between 0 and 100")));
                }
            }
            Column::Od | Column::Wall if !v.is_empty() => {
                let name = if *column == Column::Od { "od_in" } else { "wall_in" };
                if number(v, line, name)? <= 0.0 {
                    return Err(at(line, format!("{name} {v} must be more than 0")));
                }
            }
            Column::Weld if !v.is_empty() && weld_from_code(v).is_none() => {
                return Err(at(line, format!("unknown weld type '{v}' ({WELD_CODES})")));
            }
            Column::Od | Column::Wall | Column::Weld | Column::Grade => {}
        }
    }
    Ok((position_ft, pct))
}

/// A finite number, or an error naming the column.
fn number(v: &str, line: usize, column: &str) -> Result<f64, CsvError> {
    match v.parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        _ if v.is_empty() => Err(at(line, format!("{column} is empty"))),
        _ => Err(at(line, format!("{column} '{v}' is not a number"))),
    }
}

/// A `# key,value` line: `running_ft` and `reel` are read, anything else is a comment.
fn comment(c: &str, line: usize, running_ft: &mut Option<f64>, reel_id: &mut Option<String>) -> Result<(), CsvError> {
    let Some((key, value)) = c.split_once(',') else {
        return Ok(());
    };
    match key.trim() {
        "running_ft" => {
            let r = number(value.trim(), line, "running_ft")?;
            if r < 0.0 {
                return Err(at(line, format!("running_ft {r} must be 0 or more")));
            }
            *running_ft = Some(r);
        }
        "reel" => *reel_id = Some(value.trim().to_owned()),
        _ => {}
    }
    Ok(())
}

/// The cell holding `position_ft`, the last one for the string's very end; `None` for a string of no cells.
fn cell_of(position_ft: f64, cell_ft: f64, cells: usize) -> Option<usize> {
    let last = cells.checked_sub(1)?;
    let i = (position_ft / cell_ft + CELL_SLACK).floor();
    // Positions are checked to be 0 or more; `as` saturates a huge one, and `min` keeps it on the string.
    Some((i.max(0.0) as usize).min(last))
}

/// Rows `(position_ft, pct)` spread over `cells` cells as Miner damage: each on its cell, straight
/// lines between, the nearest row's value beyond the first and last.
fn onto_cells(rows: &[(f64, f64)], cell_ft: f64, cells: usize) -> Option<Vec<f64>> {
    let mut known: Vec<(usize, f64)> = Vec::with_capacity(rows.len());
    for &(position_ft, pct) in rows {
        let i = cell_of(position_ft, cell_ft, cells)?;
        match known.last_mut() {
            // Fatigue is never understated: two rows on one cell keep the larger.
            Some((j, v)) if *j == i => *v = v.max(pct),
            _ => known.push((i, pct)),
        }
    }
    let (&(first, first_pct), &(last, last_pct)) = (known.first()?, known.last()?);
    let mut pct = vec![0.0; cells];
    pct[..=first].fill(first_pct);
    pct[last..].fill(last_pct);
    for w in known.windows(2) {
        let ((a, va), (b, vb)) = (w[0], w[1]);
        for (k, p) in pct.iter_mut().enumerate().take(b).skip(a) {
            *p = va + (vb - va) * (k - a) as f64 / (b - a) as f64;
        }
    }
    Some(pct.into_iter().map(|p| p / 100.0).collect())
}

/// A position or length as written: to 6 decimals, trailing zeros dropped (`3`, `0.5`, `1.333333`).
fn decimal(x: f64) -> String {
    let s = format!("{x:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() || s == "-" {
        "0".to_owned()
    } else {
        s.to_owned()
    }
}

/// A word for a CSV field: the reel record allows only plain characters, and anything else (a layout made
/// elsewhere) must still not break the row, so separators, quotes and line breaks become `_`.
fn plain(s: &str) -> String {
    s.chars()
        .map(|c| {
            if matches!(c, ',' | '"' | '#') || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::diag::SourceFile;
    use crate::project::reels as reel;

    const DEMO: &str = include_str!("../../reels/ct01.toml");

    fn demo_layout() -> StringLayout {
        let r = reel::parse(&SourceFile::new("reels/ct01.toml", DEMO)).unwrap_or_else(|e| panic!("{e:#?}"));
        r.layout(1.0).expect("lays out")
    }

    /// A 100-ft string of one section, in 1-ft cells.
    fn short_layout() -> StringLayout {
        let text = DEMO
            .replace("length_ft = 2000.0", "length_ft = 40.0")
            .replace("length_ft = 4000.0", "length_ft = 30.0")
            .replace("length_ft = 8000.0", "length_ft = 30.0")
            .replace("from_core_ft = 9500.0", "from_core_ft = 50.0");
        let r = reel::parse(&SourceFile::new("reels/short.toml", &text)).unwrap_or_else(|e| panic!("{e:#?}"));
        r.layout(1.0).expect("lays out")
    }

    fn import_err(text: &str, layout: &StringLayout) -> String {
        match import(text, layout) {
            Ok(_) => panic!("imported:\n{text}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn an_exported_string_imports_back_the_same() {
        let layout = demo_layout();
        let n = layout.cells().len();
        let damage: Vec<f64> = (0..n).map(|i| (i % 997) as f64 / 1994.0).collect();
        let text = export("CT-4471", &layout, &damage, 123_456.5);
        let back = import(&text, &layout).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back.running_ft, Some(123_456.5));
        assert_eq!(back.reel_id.as_deref(), Some("CT-4471"));
        assert_eq!(back.damage.len(), n);
        for (i, (a, b)) in damage.iter().zip(&back.damage).enumerate() {
            assert!((a - b).abs() <= 1e-12, "cell {i}: {a} exported, {b} imported");
        }
    }

    #[test]
    fn an_export_has_one_row_a_cell_with_its_section_and_welds() {
        let layout = demo_layout();
        let n = layout.cells().len();
        let text = export("CT-4471", &layout, &vec![0.5; n], 0.0);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines.contains(&"# reel,CT-4471"));
        let header = lines.iter().position(|l| *l == COLUMNS.join(",")).expect("a header");
        let rows = &lines[header + 1..];
        assert_eq!(rows.len(), n);
        assert_eq!(rows[0], "0,1.75,0.156,CT90,,50", "the free end: the thin-wall section");
        assert!(rows[n - 1].starts_with("13999,1.75,0.19,CT90,"), "{}", rows[n - 1]);
        // The repair weld is 9,500 ft from the core of a 14,000-ft string: 4,500 ft from the free end.
        let welded: Vec<&str> = rows
            .iter()
            .copied()
            .filter(|r| r.split(',').nth(4) != Some(""))
            .collect();
        assert_eq!(welded.len(), 3, "{welded:?}");
        assert!(
            welded
                .iter()
                .any(|r| r.starts_with("4500,") && r.contains(",orbital_butt,")),
            "{welded:?}"
        );
    }

    #[test]
    fn sparse_rows_are_spread_over_the_cells_between_them() {
        let layout = short_layout();
        assert_eq!(layout.cells().len(), 100);
        let text = "position_ft,fatigue_pct\n10,10\n20,30\n20.5,40\n";
        let got = import(text, &layout).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            got.damage[..=10].iter().all(|d| (d - 0.10).abs() < 1e-12),
            "the first row's value before it"
        );
        // From 10 % on cell 10 to 40 % on cell 20 (the larger of the two rows there).
        assert!((got.damage[15] - 0.25).abs() < 1e-12, "half way: {}", got.damage[15]);
        assert!(
            (got.damage[20] - 0.40).abs() < 1e-12,
            "two rows on cell 20 keep the larger"
        );
        assert!(
            got.damage[20..].iter().all(|d| (d - 0.40).abs() < 1e-12),
            "the last row's value after it"
        );
        assert_eq!(got.running_ft, None);
    }

    #[test]
    fn every_import_problem_names_its_line() {
        let layout = short_layout();
        let cases = [
            (
                "# x\nposition_ft,fatigue_pct,colour\n0,1,red\n",
                "line 2: unknown column 'colour'",
            ),
            (
                "position_ft,od_in\n0,1.75\n",
                "line 1: the header needs the columns position_ft and fatigue_pct",
            ),
            (
                "position_ft,fatigue_pct\n0,1\n100.5,2\n",
                "line 3: position 100.5 ft is beyond the end",
            ),
            (
                "position_ft,fatigue_pct\n0,1\n5,2\n5,3\n",
                "line 4: positions must increase",
            ),
            (
                "position_ft,fatigue_pct\n0,101\n",
                "line 2: fatigue_pct 101 must be between 0 and 100",
            ),
            (
                "position_ft,fatigue_pct\n0,NaN\n",
                "line 2: fatigue_pct 'NaN' is not a number",
            ),
            (
                "position_ft,fatigue_pct\n0,\"1\"\n",
                "line 2: quotes are not part of this format",
            ),
            (
                "position_ft,fatigue_pct\n0,1,2\n",
                "line 2: 3 values, but the header names 2 columns",
            ),
            (
                "position_ft,weld,fatigue_pct\n0,bias,1\n1,glue,1\n",
                "line 3: unknown weld type 'glue'",
            ),
            (
                "# running_ft,-5\nposition_ft,fatigue_pct\n0,1\n",
                "line 1: running_ft -5 must be 0 or more",
            ),
            ("position_ft,fatigue_pct\n", "line 2: no rows"),
            ("# only a comment\n", "line 2: no header line"),
            (
                "position_ft,position_ft,fatigue_pct\n",
                "line 1: column 'position_ft' is named twice",
            ),
        ];
        for (text, want) in cases {
            let got = import_err(text, &layout);
            assert!(got.starts_with(want), "{text:?}: got '{got}', expected '{want}'");
        }
        let long = format!("position_ft,fatigue_pct\n0,{}\n", "1".repeat(MAX_LINE_BYTES));
        assert!(import_err(&long, &layout).starts_with("line 2: a line holds at most"));
    }

    #[test]
    fn a_file_with_too_many_rows_is_refused() {
        let layout = demo_layout();
        let mut text = String::from("position_ft,fatigue_pct\n");
        for i in 0..=MAX_ROWS {
            let _ = writeln!(text, "{},1", i as f64 * 0.05);
        }
        assert!(import_err(&text, &layout).starts_with(&format!("line {}: more than", MAX_ROWS + 2)));
    }
}
