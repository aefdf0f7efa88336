//! `wellconsole history export`: one or many tags over a time range as CSV (raw samples or rollups),
//! streamed chunk by chunk so a year of data never sits in memory; and the time arguments it takes.

use super::codec::StoredQuality;
use super::query::{History, QueryError};
use super::rollup::Resolution;
use crate::tag::{Quality, Timestamp, Value};
use std::io::Write;

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Query(#[from] QueryError),
    #[error("writing the export: {0}")]
    Io(#[from] std::io::Error),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "'{0}' is not a time: use RFC 3339 (2026-11-23T10:00:00Z), a local 'YYYY-MM-DD HH:MM[:SS]', 'now', or an offset from now like -2h, -30m, -7d"
)]
pub struct TimeError(pub String);

/// Parses a command-line time: RFC 3339, local `YYYY-MM-DD[ HH:MM[:SS]]`, `now`, or `-N{s,m,h,d}`.
pub fn parse_time(s: &str, now: Timestamp) -> Result<Timestamp, TimeError> {
    let s = s.trim();
    let err = || TimeError(s.to_owned());
    if s == "now" {
        return Ok(now);
    }
    if let Some(rest) = s.strip_prefix('-') {
        let (num, unit) = rest.split_at(rest.find(|c: char| !c.is_ascii_digit() && c != '.').ok_or_else(err)?);
        let n: f64 = num.parse().map_err(|_| err())?;
        let secs = match unit {
            "s" => 1.0,
            "m" | "min" => 60.0,
            "h" => 3_600.0,
            "d" => 86_400.0,
            _ => return Err(err()),
        };
        return Ok(Timestamp(now.0 - (n * secs * 1e6) as i64));
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(Timestamp(t.timestamp_micros()));
    }
    let local = |naive: chrono::NaiveDateTime| {
        naive
            .and_local_timezone(chrono::Local)
            .earliest()
            .map(|t| Timestamp(t.timestamp_micros()))
            .ok_or_else(err)
    };
    for fmt in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(n) = chrono::NaiveDateTime::parse_from_str(s, fmt) {
            return local(n);
        }
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return local(d.and_hms_opt(0, 0, 0).ok_or_else(err)?);
    }
    Err(err())
}

/// Microsecond RFC 3339 in UTC: exports keep every stored digit of time.
pub fn format_time(us: i64) -> String {
    chrono::DateTime::from_timestamp_micros(us)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
        .unwrap_or_else(|| us.to_string())
}

pub fn quality_label(q: StoredQuality) -> String {
    match q.quality {
        Quality::Good => "good".into(),
        Quality::Uncertain => "uncertain".into(),
        Quality::Bad(r) => format!("bad:{}", format!("{r:?}").to_lowercase()),
    }
}

#[derive(Debug, Clone)]
pub struct ExportRequest {
    pub tags: Vec<String>,
    pub from: i64,
    pub to: i64,
    pub resolution: Resolution,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExportSummary {
    pub rows: u64,
}

/// Writes the CSV; `progress` gets the done fraction (0..=1) as the export moves through time and tags.
pub fn export_csv(
    h: &History,
    req: &ExportRequest,
    out: &mut dyn Write,
    progress: &mut dyn FnMut(f64),
) -> Result<ExportSummary, ExportError> {
    // Unknown tags fail before a partial file is written.
    let known = h.tags()?;
    for t in &req.tags {
        if !known.iter().any(|k| &k.name == t) {
            return Err(QueryError::UnknownTag(t.clone()).into());
        }
    }
    let span = (req.to - req.from).max(1) as f64;
    let n = req.tags.len().max(1) as f64;
    let mut rows = 0u64;
    match req.resolution {
        Resolution::Raw => writeln!(out, "time,tag,value,quality")?,
        _ => writeln!(out, "time,tag,count,min,max,mean,time_weighted_mean")?,
    }
    for (k, tag) in req.tags.iter().enumerate() {
        let tag_csv = csv_field(tag);
        match req.resolution {
            Resolution::Raw => {
                let mut io: Result<(), std::io::Error> = Ok(());
                let mut since_progress = 0u32;
                h.each_raw(tag, req.from, req.to, |ts, value, q| {
                    if io.is_err() {
                        return;
                    }
                    let v = match &value {
                        Some(Value::F64(x)) => format!("{x}"),
                        Some(Value::I64(x)) => x.to_string(),
                        Some(Value::Bool(b)) => u8::from(*b).to_string(),
                        Some(Value::Str(s)) => csv_field(s),
                        None => String::new(),
                    };
                    io = writeln!(out, "{},{tag_csv},{v},{}", format_time(ts), quality_label(q));
                    rows += 1;
                    since_progress += 1;
                    if since_progress >= 50_000 {
                        since_progress = 0;
                        progress((k as f64 + (ts - req.from) as f64 / span) / n);
                    }
                })?;
                io?;
            }
            res => {
                for b in h.buckets(res, tag, req.from, req.to)? {
                    if b.start + res.bucket_us() <= req.from {
                        continue;
                    }
                    let opt = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
                    writeln!(
                        out,
                        "{},{tag_csv},{},{},{},{},{}",
                        format_time(b.start),
                        b.count,
                        opt((b.count > 0).then_some(b.min)),
                        opt((b.count > 0).then_some(b.max)),
                        opt(b.mean()),
                        opt(b.time_weighted())
                    )?;
                    rows += 1;
                }
            }
        }
        progress((k + 1) as f64 / n);
    }
    out.flush()?;
    Ok(ExportSummary { rows })
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_in_every_documented_form() {
        let now = Timestamp(1_795_000_000_000_000);
        assert_eq!(parse_time("now", now).unwrap(), now);
        assert_eq!(parse_time("-2h", now).unwrap().0, now.0 - 7_200_000_000);
        assert_eq!(parse_time("-1.5d", now).unwrap().0, now.0 - 129_600_000_000);
        assert_eq!(parse_time("2026-11-18T11:06:40Z", now).unwrap(), now);
        assert_eq!(parse_time("2026-11-18T08:06:40-03:00", now).unwrap(), now);
        assert!(parse_time("2026-11-18 11:06", now).is_ok());
        assert!(parse_time("2026-11-18", now).is_ok());
        for bad in ["yesterday", "-5x", "-h", "2026-13-01"] {
            assert!(parse_time(bad, now).is_err(), "{bad}");
        }
        assert_eq!(format_time(now.0 + 7), "2026-11-18T11:06:40.000007Z");
        assert_eq!(csv_field("a,\"b\""), "\"a,\"\"b\"\"\"");
    }
}
