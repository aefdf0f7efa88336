//! Directional survey files (CSV: md_ft, inc_deg, azi_deg), as directional companies export them.

use super::diag::{Diagnostic, SourceFile};
use crate::calc::survey::{Station, Survey, SurveyError};

/// Parses a survey; blank lines and `#` comments are skipped, the first other line is the header.
pub fn parse(file: &SourceFile<'_>) -> Result<Survey, Vec<Diagnostic>> {
    let mut errors = Vec::new();
    let mut stations = Vec::new();
    let mut station_lines = Vec::new();
    let mut header_seen = false;
    for (i, raw) in file.text.lines().enumerate() {
        let line_no = i + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if !header_seen {
            header_seen = true;
            let cols: Vec<_> = line.split(',').map(|c| c.trim().to_ascii_lowercase()).collect();
            if cols != ["md_ft", "inc_deg", "azi_deg"] {
                errors.push(file.at_line(line_no, 1, "expected the header 'md_ft,inc_deg,azi_deg'"));
                return Err(errors);
            }
            continue;
        }
        let mut values = [0.0; 3];
        let mut col = 1;
        let fields: Vec<&str> = raw.split(',').collect();
        if fields.len() != 3 {
            errors.push(file.at_line(
                line_no,
                1,
                format!("expected 3 values (md_ft,inc_deg,azi_deg), found {}", fields.len()),
            ));
            continue;
        }
        let mut ok = true;
        for (k, field) in fields.iter().enumerate() {
            match field.trim().parse::<f64>() {
                Ok(v) if v.is_finite() => values[k] = v,
                _ => {
                    errors.push(file.at_line(line_no, col, format!("'{}' is not a number", field.trim())));
                    ok = false;
                }
            }
            col += field.chars().count() + 1;
        }
        if ok {
            stations.push(Station {
                md_ft: values[0],
                inc_deg: values[1],
                azi_deg: values[2],
            });
            station_lines.push(line_no);
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Survey::new(stations).map_err(|e| {
        let line = match &e {
            SurveyError::TooShort => 1,
            SurveyError::FirstNotAtSurface { index }
            | SurveyError::NotIncreasing { index, .. }
            | SurveyError::BadInclination { index, .. }
            | SurveyError::BadAzimuth { index, .. } => station_lines.get(*index).copied().unwrap_or(1),
        };
        vec![file.at_line(line, 1, e.to_string())]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_demo_survey() {
        let text = include_str!("../../data/ct01_survey.csv");
        let s = parse(&SourceFile::new("ct01_survey.csv", text)).unwrap();
        assert_eq!(s.total_md_ft(), 9_800.0);
    }

    #[test]
    fn reports_line_and_column() {
        let text = "md_ft,inc_deg,azi_deg\n0,0,0\n100,abc,0\n";
        let e = parse(&SourceFile::new("s.csv", text)).unwrap_err();
        assert_eq!(e[0].to_string(), "s.csv:3:5: 'abc' is not a number");
        let text = "md_ft,inc_deg,azi_deg\n0,0,0\n100,5,0\n90,6,0\n";
        let e = parse(&SourceFile::new("s.csv", text)).unwrap_err();
        assert_eq!(e[0].line, 4);
        assert!(e[0].message.contains("does not increase"), "{}", e[0].message);
    }
}
