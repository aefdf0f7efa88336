//! Gathering a ticket's content: the job and its records from the job store, its statistics (frozen at
//! completion, else computed now), the alarms annunciated and the trips during it, and the chart series
//! from the historian.
//!
//! Only reads. History, the journal or the audit trail missing or unreadable leaves that part empty (the
//! PDF says so) and is logged, never an error: a ticket can always be made from the job store alone.

use super::{TicketContent, TicketEvent};
use crate::alarm::journal::{self, JournalQuery};
use crate::alarm::{AlarmState, EventKind};
use crate::historian::History;
use crate::job::model::JobError;
use crate::job::store::JobStore;
use crate::tag::{Quality, Timestamp};
use crate::units::UnitSystem;
use std::path::Path;
use std::time::Duration;

/// Where a ticket's content comes from, besides the job store.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sources<'a> {
    /// The site's name, printed in every page's header.
    pub site: &'a str,
    /// The historian's database (`None`: no charts).
    pub history: Option<&'a Path>,
    /// The alarm journal's database (`None`: no alarms listed).
    pub journal: Option<&'a Path>,
    /// The unit's tags (names) for the charts: depth, weight, circulating pressure.
    pub depth_tag: Option<&'a str>,
    pub weight_tag: Option<&'a str>,
    pub circ_tag: Option<&'a str>,
    /// The audit trail's database, where trips and E-stops are recorded (`None`: no trips listed).
    pub audit: Option<&'a Path>,
}

/// At most this many alarms and trips are kept in a ticket (an alarm flood is summarised by the count).
const MAX_EVENTS: usize = 2_000;
/// Journal rows read for one job: every kind of event counts, so it is well above MAX_EVENTS.
const JOURNAL_ROWS: usize = 50_000;
/// Pixel columns of the depth-against-time trend: the decimator keeps up to four points per column.
const DEPTH_COLUMNS: usize = 150;
/// Time bins in which depth, weight and pressure are averaged and paired for the against-depth charts.
const PAIR_BINS: usize = 600;

/// The ticket's content for job `number`, as it stands now.
pub fn gather(store: &JobStore, number: &str, src: &Sources) -> Result<TicketContent, JobError> {
    let job = store.job(number)?;
    let operations = store.operations(job.id)?;
    let fluids = store.fluids(job.id)?;
    let bha = store.bha(job.id)?;
    let npt = store.npt(job.id)?;
    // A job still running is drawn up to now (a draft ticket); a completed one up to its end.
    let window = job
        .actual_start
        .map(|start| (start, job.actual_end.unwrap_or_else(Timestamp::now)));
    let mut events = Vec::new();
    if let Some((from, to)) = window {
        if let Some(p) = src.journal {
            events.extend(alarm_events(p, from, to));
        }
        if let Some(p) = src.audit {
            events.extend(trip_events(p, from, to));
        }
    }
    events.sort_by_key(|e| e.at);
    events.truncate(MAX_EVENTS);
    let stats = match &job.stats {
        Some(s) => s.clone(),
        None => {
            let (from, to) = window.unwrap_or((job.created_at, job.created_at));
            let trips = events.iter().filter(|e| e.kind == "trip").count();
            crate::job::stats::compute(&operations, &fluids, &npt, from, to, events.len() - trips, trips)
        }
    };
    let series = match (window, src.history) {
        (Some((from, to)), Some(path)) => chart_series(path, src, from, to),
        _ => Series::default(),
    };
    Ok(TicketContent {
        site: src.site.to_owned(),
        job,
        operations,
        fluids,
        bha,
        npt,
        stats,
        events,
        depth_time: series.depth_time,
        weight_depth: series.weight_depth,
        circ_depth: series.circ_depth,
    })
}

/// Alarms annunciated in [from, to) (the journal's activations, as the alarm KPIs count them), oldest
/// first, with their messages. An unreadable journal gives none (logged).
pub fn alarm_events(journal_db: &Path, from: Timestamp, to: Timestamp) -> Vec<TicketEvent> {
    if !journal_db.is_file() {
        return Vec::new();
    }
    let q = JournalQuery {
        from,
        to,
        text: String::new(),
        limit: JOURNAL_ROWS,
    };
    let rows = match journal::open_reader(journal_db).and_then(|conn| journal::search(&conn, &q)) {
        Ok(rows) => rows,
        Err(e) => {
            tracing::warn!(error = %e, "alarms during the job are left off its ticket");
            return Vec::new();
        }
    };
    // `search` answers newest first.
    let mut out: Vec<TicketEvent> = rows
        .into_iter()
        .rev()
        .filter(|r| r.kind == EventKind::Activated && r.state == AlarmState::ActiveUnacked && r.at < to)
        .map(|r| {
            let value = match (&r.tag, &r.value) {
                (Some(tag), Some(v)) => format!("{tag} = {}", journal::display_value(v)),
                _ => String::new(),
            };
            TicketEvent {
                at: r.at,
                kind: "alarm".into(),
                name: r.alarm.unwrap_or_default(),
                priority: r.priority.map(|p| p.name().to_owned()).unwrap_or_default(),
                message: r.message_en.filter(|m| !m.is_empty()).unwrap_or_else(|| value.clone()),
                message_es: r.message_es.filter(|m| !m.is_empty()).unwrap_or(value),
            }
        })
        .collect();
    out.truncate(MAX_EVENTS);
    out
}

/// Trips and E-stops in [from, to), oldest first. The trip system records them in the audit trail
/// (action `trip` or `E-STOP`, the trip's id as target, why as detail), not in the alarm journal. An
/// unreadable trail gives none (logged).
pub fn trip_events(audit_db: &Path, from: Timestamp, to: Timestamp) -> Vec<TicketEvent> {
    if !audit_db.is_file() {
        return Vec::new();
    }
    read_trips(audit_db, from, to).unwrap_or_else(|e| {
        tracing::warn!(error = %e, path = %audit_db.display(), "trips during the job are left off its ticket");
        Vec::new()
    })
}

fn read_trips(path: &Path, from: Timestamp, to: Timestamp) -> rusqlite::Result<Vec<TicketEvent>> {
    let conn = rusqlite::Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(Duration::from_secs(5))?;
    let mut stmt = conn.prepare(
        "SELECT t, action, target, detail FROM audit
         WHERE action IN ('trip', 'E-STOP') AND t >= ?1 AND t < ?2 ORDER BY t, seq LIMIT ?3",
    )?;
    let limit = i64::try_from(MAX_EVENTS).unwrap_or(i64::MAX);
    let rows = stmt.query_map(rusqlite::params![from.0, to.0, limit], |r| {
        Ok(TicketEvent {
            at: Timestamp(r.get(0)?),
            kind: "trip".into(),
            priority: r.get(1)?,
            name: r.get(2)?,
            message: r.get(3)?,
            message_es: String::new(),
        })
    })?;
    rows.collect()
}

#[derive(Debug, Default)]
struct Series {
    depth_time: Vec<[f64; 2]>,
    weight_depth: Vec<[f64; 2]>,
    circ_depth: Vec<[f64; 2]>,
}

/// The charts' series over [from, to], in kept units (the historian keeps each tag in its own unit).
fn chart_series(path: &Path, src: &Sources, from: Timestamp, to: Timestamp) -> Series {
    if !path.is_file() {
        return Series::default();
    }
    let history = match History::open(path) {
        Ok(h) => h,
        Err(e) => {
            tracing::warn!(error = %e, "the ticket's charts are left empty");
            return Series::default();
        }
    };
    let stored = history.tags().unwrap_or_default();
    let to_kept = |tag: &str, kept: &'static str| {
        let unit = stored.iter().find(|t| t.name == tag).map_or("", |t| t.unit.as_str());
        Linear::into_kept(unit, kept)
    };
    let (from_us, to_us) = (from.micros(), to.micros());
    let mut out = Series::default();
    let Some(depth_tag) = src.depth_tag else {
        return out;
    };
    let depth_unit = to_kept(depth_tag, "ft");
    if let Ok(trend) = history.trend(depth_tag, from_us, to_us, DEPTH_COLUMNS) {
        out.depth_time = trend
            .segments
            .into_iter()
            .flatten()
            .filter(|[t, v]| t.is_finite() && v.is_finite())
            .map(|[t, v]| [round(t, 3), round(depth_unit.apply(v), 2)])
            .collect();
    }
    let depth = binned(&history, depth_tag, from_us, to_us, depth_unit);
    if let Some(tag) = src.weight_tag {
        out.weight_depth = paired(&depth, &binned(&history, tag, from_us, to_us, to_kept(tag, "lbf")));
    }
    if let Some(tag) = src.circ_tag {
        out.circ_depth = paired(&depth, &binned(&history, tag, from_us, to_us, to_kept(tag, "psi")));
    }
    out
}

/// A tag's unit into the kept one: kept = stored × scale + offset.
#[derive(Debug, Clone, Copy)]
struct Linear {
    scale: f64,
    offset: f64,
}

impl Linear {
    const SAME: Linear = Linear {
        scale: 1.0,
        offset: 0.0,
    };

    /// The units table knows SI → oilfield; the oilfield multiples a site may use for weight or pressure
    /// are listed here. A unit neither knows is taken as the kept one (a tag without a unit, say).
    fn into_kept(stored: &str, kept: &str) -> Linear {
        const MULTIPLES: [(&str, &str, f64); 4] = [
            ("klbf", "lbf", 1000.0),
            ("ksi", "psi", 1000.0),
            ("MPa", "psi", 145.037_737_730_209_2),
            ("bar", "psi", 14.503_773_773_020_92),
        ];
        if stored == kept || stored.is_empty() {
            return Linear::SAME;
        }
        if let Some((_, _, k)) = MULTIPLES.iter().find(|(s, k, _)| *s == stored && *k == kept) {
            return Linear { scale: *k, offset: 0.0 };
        }
        let shown = UnitSystem::Oilfield.shown(stored);
        if shown.unit == kept {
            let offset = shown.value(0.0);
            Linear {
                scale: shown.value(1.0) - offset,
                offset,
            }
        } else {
            Linear::SAME
        }
    }

    fn apply(self, x: f64) -> f64 {
        x * self.scale + self.offset
    }
}

/// A tag's good values averaged in PAIR_BINS equal time bins over [from, to]; a bin without a sample
/// holds the one before (the historian stores on change, so a steady value leaves no samples).
fn binned(history: &History, tag: &str, from: i64, to: i64, unit: Linear) -> Vec<Option<f64>> {
    let span = i128::from((to - from).max(1));
    let n = PAIR_BINS;
    let mut sum = vec![0.0_f64; n];
    let mut count = vec![0_u32; n];
    let read = history.each_raw(tag, from, to, |t, value, q| {
        if matches!(q.quality, Quality::Bad(_)) {
            return;
        }
        let Some(x) = value.as_ref().and_then(|v| v.as_f64()).filter(|x| x.is_finite()) else {
            return;
        };
        let i = (i128::from(t - from) * n as i128 / span).clamp(0, n as i128 - 1) as usize;
        sum[i] += unit.apply(x);
        count[i] += 1;
    });
    if let Err(e) = read {
        tracing::warn!(tag, error = %e, "a ticket chart is left empty");
        return vec![None; n];
    }
    let mut held = None;
    sum.iter()
        .zip(&count)
        .map(|(s, &c)| {
            if c > 0 {
                held = Some(s / f64::from(c));
            }
            held
        })
        .collect()
}

/// (depth, value) for every bin where both are known, in time order.
fn paired(depth: &[Option<f64>], value: &[Option<f64>]) -> Vec<[f64; 2]> {
    depth
        .iter()
        .zip(value)
        .filter_map(|(d, v)| Some([round((*d)?, 1), round((*v)?, 1)]))
        .collect()
}

/// Short decimals: a smaller ticket, and numbers that read back from JSON exactly.
fn round(x: f64, decimals: i32) -> f64 {
    let k = 10_f64.powi(decimals);
    (x * k).round() / k
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_units_come_back_to_the_kept_ones() {
        let close = |a: f64, b: f64| assert!((a - b).abs() < 1e-6 * b.abs().max(1.0), "{a} vs {b}");
        close(Linear::into_kept("m", "ft").apply(3048.0), 10_000.0);
        close(Linear::into_kept("klbf", "lbf").apply(25.5), 25_500.0);
        close(Linear::into_kept("kN", "lbf").apply(4.448_221_615_260_5), 1000.0);
        close(Linear::into_kept("kPa", "psi").apply(6_894.757_293_168), 1000.0);
        close(Linear::into_kept("ft", "ft").apply(12.5), 12.5);
        close(Linear::into_kept("", "psi").apply(7.0), 7.0);
    }

    #[test]
    fn pairs_keep_only_bins_where_both_are_known() {
        let d = [None, Some(100.0), Some(200.04), Some(300.0)];
        let w = [Some(1.0), None, Some(2.0), Some(3.0)];
        assert_eq!(paired(&d, &w), vec![[200.0, 2.0], [300.0, 3.0]]);
    }

    #[test]
    fn missing_sources_leave_the_parts_empty() {
        let dir = tempfile::tempdir().unwrap();
        let nowhere = dir.path().join("none.db");
        assert!(alarm_events(&nowhere, Timestamp(0), Timestamp(10)).is_empty());
        assert!(trip_events(&nowhere, Timestamp(0), Timestamp(10)).is_empty());
        let src = Sources {
            depth_tag: Some("ct01/depth"),
            ..Sources::default()
        };
        let s = chart_series(&nowhere, &src, Timestamp(0), Timestamp(10));
        assert!(s.depth_time.is_empty() && s.weight_depth.is_empty());
    }
}
