//! The field table: one row per producing well with its live rate, its last approved test's rates and
//! ratios, its inflow (PI, AOF), the days since it was last tested (overdue past the site's limit) and its
//! ESP's zone; filtered and sorted as the engineer asks.
//!
//! Pure and allocation-light: the Production page rebuilds the rows from the hub's snapshot and the
//! writer's view once a second (the bench runs 500 wells), reusing the caller's vector. Reads no store.

use super::config::ProductionConfig;
use super::perf::{WellSummary, good_f64};
use crate::hub::Snapshot;
use crate::tag::{Timestamp, Value};

/// One well's line.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FieldRow {
    /// Index into `ProductionConfig::wells`.
    pub index: usize,
    pub well: String,
    pub label: String,
    /// The well's own meter, bbl/d of liquid (None: no meter or bad).
    pub live_rate_bpd: Option<f64>,
    /// The last approved test.
    pub oil_stb_d: Option<f64>,
    pub water_bbl_d: Option<f64>,
    pub gas_mscf_d: Option<f64>,
    pub gor_scf_stb: Option<f64>,
    pub wor: Option<f64>,
    pub water_cut: Option<f64>,
    pub bsw: Option<f64>,
    /// The current inflow curve's productivity index of liquid (bbl/d/psi) and AOF (bbl/d).
    pub pi: Option<f64>,
    pub aof_stb_d: Option<f64>,
    /// Days since the last approved test ended (None: never tested).
    pub days_since_test: Option<f64>,
    /// Never tested, or last tested longer ago than the site allows.
    pub overdue: bool,
    /// The well is on the test separator now.
    pub on_test: bool,
    pub pending_tests: usize,
    /// The ESP's operating zone tag, as it reads (`recommended`, `downthrust`, …).
    pub zone: Option<String>,
    pub pump_out_of_range: bool,
}

/// What the table is sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    #[default]
    Well,
    LiveRate,
    Oil,
    Water,
    Gas,
    Gor,
    Wor,
    WaterCut,
    Pi,
    DaysSinceTest,
}

impl SortKey {
    pub const ALL: [SortKey; 10] = [
        SortKey::Well,
        SortKey::LiveRate,
        SortKey::Oil,
        SortKey::Water,
        SortKey::Gas,
        SortKey::Gor,
        SortKey::Wor,
        SortKey::WaterCut,
        SortKey::Pi,
        SortKey::DaysSinceTest,
    ];

    fn number(self, r: &FieldRow) -> Option<f64> {
        match self {
            SortKey::Well => None,
            SortKey::LiveRate => r.live_rate_bpd,
            SortKey::Oil => r.oil_stb_d,
            SortKey::Water => r.water_bbl_d,
            SortKey::Gas => r.gas_mscf_d,
            SortKey::Gor => r.gor_scf_stb,
            SortKey::Wor => r.wor,
            SortKey::WaterCut => r.water_cut,
            SortKey::Pi => r.pi,
            SortKey::DaysSinceTest => r.days_since_test,
        }
    }
}

/// The engineer's filter and sort.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FieldQuery {
    /// Case-insensitive substring of the well's id or label; empty: every well.
    pub text: String,
    pub overdue_only: bool,
    pub sort: SortKey,
    pub descending: bool,
}

/// Fills `out` with the rows `q` asks for. `summaries` is the writer's view (one per configured well, in
/// the configuration's order); the separator's routing tag says which well is on test.
pub fn rows(
    cfg: &ProductionConfig,
    summaries: &[WellSummary],
    snap: &Snapshot,
    now: Timestamp,
    q: &FieldQuery,
    out: &mut Vec<FieldRow>,
) {
    out.clear();
    let on_test = snap
        .get(cfg.separator.well_on_test)
        .and_then(|s| s.value.as_ref())
        .and_then(Value::as_str);
    let needle = q.text.trim().to_lowercase();
    for (index, w) in cfg.wells.iter().enumerate() {
        if !needle.is_empty() && !w.id.to_lowercase().contains(&needle) && !w.label.to_lowercase().contains(&needle) {
            continue;
        }
        let summary = summaries.get(index).filter(|s| s.well == w.id);
        let last = summary.and_then(|s| s.last_approved.as_ref());
        let days = last.map(|t| (now.0 - t.m.end.0) as f64 / 86_400e6);
        let overdue = days.is_none_or(|d| d > cfg.overdue_days);
        if q.overdue_only && !overdue {
            continue;
        }
        let fit = summary.and_then(|s| s.ipr.current.as_ref());
        let (zone, pump_out_of_range) = match &w.esp {
            Some(e) => (
                snap.get(e.tags.zone)
                    .filter(|s| s.quality.is_good())
                    .and_then(|s| s.value.as_ref())
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                snap.get(e.tags.out_of_range)
                    .filter(|s| s.quality.is_good())
                    .and_then(|s| s.value.as_ref())
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
            ),
            None => (None, false),
        };
        out.push(FieldRow {
            index,
            well: w.id.clone(),
            label: w.label.clone(),
            live_rate_bpd: w.rate.and_then(|id| good_f64(snap, id)),
            oil_stb_d: last.map(|t| t.m.oil_stb_d),
            water_bbl_d: last.map(|t| t.m.water_bbl_d),
            gas_mscf_d: last.map(|t| t.m.gas_mscf_d),
            gor_scf_stb: last.and_then(|t| t.m.gor_scf_stb),
            wor: last.and_then(|t| t.m.wor),
            water_cut: last.and_then(|t| t.m.water_cut),
            bsw: last.and_then(|t| t.m.bsw),
            pi: fit.map(|f| f.ipr.j_stb_d_psi),
            aof_stb_d: fit.map(|f| f.ipr.aof_stb_d()),
            days_since_test: days,
            overdue,
            on_test: on_test == Some(w.id.as_str()),
            pending_tests: summary.map_or(0, |s| s.pending),
            zone,
            pump_out_of_range,
        });
    }
    sort(out, q.sort, q.descending);
}

/// Sorts by `key`; rows without the number go last whichever the direction, ties by well id.
pub fn sort(rows: &mut [FieldRow], key: SortKey, descending: bool) {
    rows.sort_by(|a, b| {
        let order = match key {
            SortKey::Well => a.well.cmp(&b.well),
            _ => match (key.number(a), key.number(b)) {
                (Some(x), Some(y)) => {
                    let o = x.total_cmp(&y);
                    if descending { o.reverse() } else { o }
                }
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            },
        };
        let order = if key == SortKey::Well && descending {
            order.reverse()
        } else {
            order
        };
        order.then_with(|| a.well.cmp(&b.well))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(well: &str, oil: Option<f64>) -> FieldRow {
        FieldRow {
            well: well.into(),
            oil_stb_d: oil,
            ..FieldRow::default()
        }
    }

    #[test]
    fn sorting_puts_missing_numbers_last_in_either_direction() {
        let mut rows = vec![
            row("b", Some(5.0)),
            row("a", None),
            row("c", Some(9.0)),
            row("d", Some(5.0)),
        ];
        sort(&mut rows, SortKey::Oil, false);
        let ids: Vec<&str> = rows.iter().map(|r| r.well.as_str()).collect();
        assert_eq!(ids, ["b", "d", "c", "a"]);
        sort(&mut rows, SortKey::Oil, true);
        let ids: Vec<&str> = rows.iter().map(|r| r.well.as_str()).collect();
        assert_eq!(ids, ["c", "b", "d", "a"]);
        sort(&mut rows, SortKey::Well, true);
        let ids: Vec<&str> = rows.iter().map(|r| r.well.as_str()).collect();
        assert_eq!(ids, ["d", "c", "b", "a"]);
    }
}
