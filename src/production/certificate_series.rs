//! The history a well test certificate charts: the separator's rates and pressure over the routing, the
//! stabilization and the test period, read from the historian (read-only) when the certificate is made.
//!
//! Runs on the production writer's thread (never the UI's); a historian that cannot be read gives a
//! certificate without charts, never an error.

use super::certificate::Series;
use super::config::ProductionConfig;
use super::model::WellTest;
use crate::historian::query::History;
use crate::tag::TagDirectory;
use std::path::Path;

/// Points per chart at most: a page is about 500 points wide.
const MAX_POINTS: usize = 600;

/// (tag, en, es, unit) of each chart, in the order printed.
fn charts(p: &ProductionConfig) -> [(crate::tag::TagId, &'static str, &'static str, &'static str); 4] {
    let s = &p.separator;
    [
        (s.oil_rate, "Oil rate (metered)", "Caudal de petróleo (medido)", "bbl/d"),
        (s.water_rate, "Water rate (metered)", "Caudal de agua (medido)", "bbl/d"),
        (s.gas_rate, "Gas rate (metered)", "Caudal de gas (medido)", "Mscf/d"),
        (s.pressure, "Separator pressure", "Presión del separador", "psi"),
    ]
}

/// The charts of test `t`'s window (routed to end), from the historian at `history`.
pub fn series(history: &Path, tags: &TagDirectory, p: &ProductionConfig, t: &WellTest) -> Vec<Series> {
    let Ok(h) = History::open(history) else {
        return Vec::new();
    };
    let (from, to) = (t.m.routed_at.0, t.m.end.0);
    charts(p)
        .into_iter()
        .filter_map(|(id, en, es, unit)| {
            let name = &tags.get(id)?.name;
            let raw = h.raw(name, from, to).ok()?;
            let points: Vec<[f64; 2]> = raw
                .iter()
                .filter(|s| s.ts >= from)
                .filter_map(|s| Some([s.ts as f64 / 1e6, s.value.as_ref()?.as_f64()?]))
                .filter(|p| p[1].is_finite())
                .collect();
            let step = points.len().div_ceil(MAX_POINTS).max(1);
            let points: Vec<[f64; 2]> = points.into_iter().step_by(step).collect();
            (!points.is_empty()).then_some(Series { en, es, unit, points })
        })
        .collect()
}
