//! A producing well's daily allocated rates from before the console (`history_csv` of a
//! `[[production.well]]`): `date,oil_stb_d,water_bbl_d,gas_mscf_d`, read and checked with every problem at
//! file:line:col. Owns the file's format and what one of its rows is (`DailyRate`, by `RatePhase`); the
//! decline fit is the production room's (`production::decline`, which re-exports these).

use crate::lang::Lang;
use crate::project::diag::{Diagnostic, SourceFile};
use chrono::Datelike;
use serde::{Deserialize, Deserializer, Serialize};

/// Rows of a history CSV at most: 100 years of days.
pub const MAX_HISTORY_ROWS: usize = 36_600;
/// `chrono`'s day number (days from 0001-01-01 as day 1) of 1970-01-01.
const UNIX_EPOCH_CE_DAYS: i64 = 719_163;
/// The columns of a history CSV, in order.
const HEADER: [&str; 4] = ["date", "oil_stb_d", "water_bbl_d", "gas_mscf_d"];

/// One day's rates of a well (day = days since 1970-01-01 UTC).
///
/// A day from the historian before the well's first approved test has its liquid rate but not its split:
/// then `oil_stb_d` and `gas_mscf_d` are NaN (serialised as null) and `water_bbl_d` holds the whole liquid.
/// Read a phase with `rate`, which knows this.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DailyRate {
    pub day: i64,
    /// Stock-tank oil, STB/d (NaN: unknown).
    #[serde(deserialize_with = "nan_from_null")]
    pub oil_stb_d: f64,
    /// Water, bbl/d (the whole liquid when the oil is unknown).
    pub water_bbl_d: f64,
    /// Gas, Mscf/d (NaN: unknown).
    #[serde(deserialize_with = "nan_from_null")]
    pub gas_mscf_d: f64,
}

/// serde_json writes NaN as null: read it back as NaN.
fn nan_from_null<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}

impl DailyRate {
    /// The day's rate of `phase` in its unit (`RatePhase::unit`), when known (finite, ≥ 0).
    pub fn rate(&self, phase: RatePhase) -> Option<f64> {
        let q = match phase {
            RatePhase::Oil => self.oil_stb_d,
            RatePhase::Gas => self.gas_mscf_d,
            RatePhase::Liquid if self.oil_stb_d.is_nan() => self.water_bbl_d,
            RatePhase::Liquid => self.oil_stb_d + self.water_bbl_d,
        };
        (q.is_finite() && q >= 0.0).then_some(q)
    }
}

/// Which rate a decline is fitted to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RatePhase {
    /// Stock-tank oil, STB/d.
    Oil,
    /// Oil + water, bbl/d (what the pump lifts).
    Liquid,
    /// Gas, Mscf/d.
    Gas,
}

impl RatePhase {
    pub const ALL: [RatePhase; 3] = [RatePhase::Oil, RatePhase::Liquid, RatePhase::Gas];

    /// The unit of a volume of this phase (a cumulative, an EUR).
    pub fn volume_unit(self) -> &'static str {
        match self {
            RatePhase::Oil => "STB",
            RatePhase::Liquid => "bbl",
            RatePhase::Gas => "Mscf",
        }
    }

    pub fn unit(self) -> &'static str {
        match self {
            RatePhase::Oil => "STB/d",
            RatePhase::Liquid => "bbl/d",
            RatePhase::Gas => "Mscf/d",
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            RatePhase::Oil => lang.pick("Oil", "Petróleo"),
            RatePhase::Liquid => lang.pick("Liquid", "Líquido"),
            RatePhase::Gas => lang.pick("Gas", "Gas"),
        }
    }
}

/// Days since 1970-01-01 of an ISO date (`2026-11-30`).
pub fn parse_day(text: &str) -> Option<i64> {
    let date = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    Some(i64::from(date.num_days_from_ce()) - UNIX_EPOCH_CE_DAYS)
}

/// The ISO date of a day since 1970-01-01 (`day N` outside the calendar's range).
pub fn iso_date(day: i64) -> String {
    i32::try_from(day.saturating_add(UNIX_EPOCH_CE_DAYS))
        .ok()
        .and_then(chrono::NaiveDate::from_num_days_from_ce_opt)
        .map_or_else(|| format!("day {day}"), |d| d.to_string())
}

/// `date,oil_stb_d,water_bbl_d,gas_mscf_d` (ISO dates, header line required, blank lines and '#' comments
/// allowed), the daily allocated rates from before the console (production accounting): oil STB/d, water
/// bbl/d, gas Mscf/d. At most `MAX_HISTORY_ROWS` rows; dates strictly increasing; rates finite and ≥ 0.
/// Errors at file:line:col, every bad line listed.
pub fn parse_history_csv(src: &SourceFile<'_>) -> Result<Vec<DailyRate>, Vec<Diagnostic>> {
    let header = || format!("expected the header '{}'", HEADER.join(","));
    let mut errors = Vec::new();
    let mut rates = Vec::new();
    let mut header_seen = false;
    let mut rows = 0;
    // The previous row's day and line.
    let mut last: Option<(i64, usize)> = None;
    for (i, raw) in src.text.lines().enumerate() {
        let line_no = i + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if !header_seen {
            header_seen = true;
            let cols: Vec<_> = line.split(',').map(|c| c.trim().to_ascii_lowercase()).collect();
            if cols != HEADER {
                errors.push(src.at_line(line_no, 1, header()));
                return Err(errors);
            }
            continue;
        }
        rows += 1;
        if rows > MAX_HISTORY_ROWS {
            errors.push(src.at_line(
                line_no,
                1,
                format!("more than {MAX_HISTORY_ROWS} rows (100 years of days): a history file holds at most that"),
            ));
            return Err(errors);
        }
        match parse_row(src, line_no, raw) {
            Ok(r) => {
                if let Some((day, at)) = last
                    && r.day <= day
                {
                    errors.push(src.at_line(
                        line_no,
                        1,
                        format!(
                            "{} does not come after {} (line {at}): dates must increase, one row a day",
                            iso_date(r.day),
                            iso_date(day)
                        ),
                    ));
                }
                last = Some((r.day, line_no));
                rates.push(r);
            }
            Err(mut e) => errors.append(&mut e),
        }
    }
    if !header_seen {
        errors.push(src.at_line(1, 1, header()));
    }
    if errors.is_empty() { Ok(rates) } else { Err(errors) }
}

/// One data row; columns counted as `survey_csv` counts them (from the raw field, commas included).
fn parse_row(src: &SourceFile<'_>, line_no: usize, raw: &str) -> Result<DailyRate, Vec<Diagnostic>> {
    let fields: Vec<&str> = raw.split(',').collect();
    if fields.len() != HEADER.len() {
        return Err(vec![src.at_line(
            line_no,
            1,
            format!("expected 4 values ({}), found {}", HEADER.join(","), fields.len()),
        )]);
    }
    let mut errors = Vec::new();
    let mut day = 0;
    let mut values = [0.0; 3];
    let mut col = 1;
    for (k, field) in fields.iter().enumerate() {
        let text = field.trim();
        if k == 0 {
            match parse_day(text) {
                Some(d) => day = d,
                None => errors.push(src.at_line(line_no, col, format!("'{text}' is not a date (YYYY-MM-DD)"))),
            }
        } else {
            match text.parse::<f64>() {
                Ok(v) if v.is_finite() && v >= 0.0 => values[k - 1] = v,
                Ok(v) if v.is_finite() => {
                    errors.push(src.at_line(line_no, col, format!("'{text}' is below 0: a rate is 0 or more")));
                }
                _ => errors.push(src.at_line(line_no, col, format!("'{text}' is not a number"))),
            }
        }
        col += field.chars().count() + 1;
    }
    if errors.is_empty() {
        Ok(DailyRate {
            day,
            oil_stb_d: values[0],
            water_bbl_d: values[1],
            gas_mscf_d: values[2],
        })
    } else {
        Err(errors)
    }
}
