//! Starting the CT string service: each unit's string as the records have it (its sections after cuts, its
//! damage and running feet), else as the reel record and its history CSV give it on first use, in which
//! case the records are given the whole string before any progress. Owns that choice and nothing else.

use super::config::CtUnitConfig;
use super::csv::{self, CsvError};
use super::layout::{SectionSpec, StringLayout};
use super::service::CtStringService;
use super::store::{self, StoreError, StoreMsg, StoreWriter, StringStore};
use super::tracker::FatigueTracker;
use crate::calc::CalcError;
use crate::driver::DriverLink;
use std::path::Path;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("CT string records: {0}")]
    Store(#[from] StoreError),
    #[error("[ct.{unit}] reel {reel}: {source}")]
    Layout {
        unit: String,
        reel: String,
        source: CalcError,
    },
    #[error("[ct.{unit}] reel {reel}: history CSV {source}")]
    History {
        unit: String,
        reel: String,
        source: CsvError,
    },
    #[error("[ct.{unit}] reel {reel}: the history CSV is reel {other}'s: fix history_csv in the reel record")]
    HistoryOfAnotherReel { unit: String, reel: String, other: String },
    #[error(
        "[ct.{unit}] reel {reel}: the records hold a string that the reel record cannot have become by cutting \
         its ends ({why}); a new string on this reel needs a new reel id"
    )]
    RecordChanged { unit: String, reel: String, why: String },
    #[error(
        "[ct.{unit}] reel {reel}: the records hold {saved} cells but the string has {cells} at {cell_ft} ft each (was cell_ft changed?)"
    )]
    CellsChanged {
        unit: String,
        reel: String,
        saved: usize,
        cells: usize,
        cell_ft: f64,
    },
}

/// The service with every unit's string restored, and the records' writer when `records` names a file.
pub fn start(
    units: &[CtUnitConfig],
    link: DriverLink,
    records: Option<&Path>,
) -> Result<(CtStringService, Option<StoreWriter>), StartError> {
    let (writer, sender) = match records {
        Some(path) => {
            let (w, s) = StringStore::open(path)?;
            (Some(w), Some(s))
        }
        None => (None, None),
    };
    let mut restored = Vec::with_capacity(units.len());
    for cfg in units {
        let (tracker, first_use) = restore(cfg, records)?;
        if first_use && let Some(s) = &sender {
            let layout = tracker.layout();
            let msg = StoreMsg::Replace {
                reel_id: cfg.reel.id.clone(),
                sections: layout.sections().to_vec(),
                welds: layout.welds().to_vec(),
                damage: tracker.damage().to_vec(),
                running_ft: tracker.running_ft(),
                reason: match &cfg.reel.history_csv {
                    Some(csv) => format!("first use: reel record with history {csv}"),
                    None => "first use: new reel record".to_owned(),
                },
            };
            // The queue is empty at start: a refusal here means the writer is gone, which its stats say.
            let _ = s.send(msg);
        }
        restored.push((Arc::new(cfg.clone()), tracker));
    }
    let mut service = CtStringService::new(restored, link, sender);
    if let Some(w) = &writer {
        service = service.with_store_stats(w.stats());
    }
    Ok((service, writer))
}

/// A unit's tracker, and whether this is the string's first use (nothing in the records yet).
fn restore(cfg: &CtUnitConfig, records: Option<&Path>) -> Result<(FatigueTracker, bool), StartError> {
    let layout_err = |source| StartError::Layout {
        unit: cfg.unit.clone(),
        reel: cfg.reel.id.clone(),
        source,
    };
    let saved = match records {
        Some(path) => store::load(path, &cfg.reel.id)?,
        None => None,
    };
    if let Some(saved) = saved {
        if let Err(why) = cut_from(&cfg.reel.sections, &saved.sections) {
            return Err(StartError::RecordChanged {
                unit: cfg.unit.clone(),
                reel: cfg.reel.id.clone(),
                why,
            });
        }
        let first = cfg.reel.layout(cfg.cell_ft).map_err(layout_err)?;
        let layout = StringLayout::new(
            &saved.sections,
            &saved.welds,
            *first.reel(),
            first.guide_arch_radius_in(),
            *first.path(),
            first.pressure_factor().clone(),
            cfg.cell_ft,
        )
        .map_err(layout_err)?;
        if saved.damage.len() != layout.cells().len() {
            return Err(StartError::CellsChanged {
                unit: cfg.unit.clone(),
                reel: cfg.reel.id.clone(),
                saved: saved.damage.len(),
                cells: layout.cells().len(),
                cell_ft: cfg.cell_ft,
            });
        }
        let tracker = FatigueTracker::new(Arc::new(layout), saved.damage, saved.running_ft).map_err(layout_err)?;
        return Ok((tracker, false));
    }
    let layout = cfg.reel.layout(cfg.cell_ft).map_err(layout_err)?;
    let (damage, running_ft) = match &cfg.history_csv {
        Some(text) => {
            let imported = csv::import(text, &layout).map_err(|source| StartError::History {
                unit: cfg.unit.clone(),
                reel: cfg.reel.id.clone(),
                source,
            })?;
            if let Some(other) = imported.reel_id.filter(|r| *r != cfg.reel.id) {
                return Err(StartError::HistoryOfAnotherReel {
                    unit: cfg.unit.clone(),
                    reel: cfg.reel.id.clone(),
                    other,
                });
            }
            (imported.damage, imported.running_ft.unwrap_or(0.0))
        }
        None => (Vec::new(), 0.0),
    };
    let tracker = FatigueTracker::new(Arc::new(layout), damage, running_ft).map_err(layout_err)?;
    Ok((tracker, true))
}

/// Whether `saved` (the string in the records) is `record`'s string with pipe cut off its ends: the same
/// sections in the same order (OD, wall, grade), only the end ones shorter or gone.
fn cut_from(record: &[SectionSpec], saved: &[SectionSpec]) -> Result<(), String> {
    let same = |a: &SectionSpec, b: &SectionSpec| a.od_in == b.od_in && a.wall_in == b.wall_in && a.grade == b.grade;
    let n = saved.len();
    if n == 0 || n > record.len() {
        return Err(format!("{n} sections saved, {} in the record", record.len()));
    }
    for start in 0..=(record.len() - n) {
        let window = &record[start..start + n];
        let matches = window.iter().zip(saved).enumerate().all(|(i, (r, s))| {
            let inner = i > 0 && i + 1 < n;
            same(r, s) && s.length_ft <= r.length_ft + 1e-6 && (!inner || (s.length_ft - r.length_ft).abs() < 1e-6)
        });
        // A window is contiguous: sections cut off whole are the record's end ones.
        if matches {
            return Ok(());
        }
    }
    Err("the sections differ in size, grade or order".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calc::fatigue::Grade;

    fn section(wall_in: f64, length_ft: f64) -> SectionSpec {
        SectionSpec {
            od_in: 1.75,
            wall_in,
            grade: Grade::ct90(),
            length_ft,
        }
    }

    #[test]
    fn a_saved_string_must_be_the_record_with_its_ends_cut() {
        let record = [section(0.19, 2000.0), section(0.175, 4000.0), section(0.156, 8000.0)];
        assert!(cut_from(&record, &record).is_ok());
        assert!(
            cut_from(
                &record,
                &[section(0.19, 2000.0), section(0.175, 4000.0), section(0.156, 7500.0)]
            )
            .is_ok()
        );
        assert!(
            cut_from(&record, &[section(0.175, 3000.0), section(0.156, 8000.0)]).is_ok(),
            "core end cut off"
        );
        assert!(
            cut_from(&record, &[section(0.19, 2000.0), section(0.175, 4000.0)]).is_ok(),
            "downhole section gone"
        );
        assert!(cut_from(&record, &[section(0.156, 14000.0)]).is_err(), "a new string");
        assert!(
            cut_from(
                &record,
                &[section(0.19, 2000.0), section(0.175, 3000.0), section(0.156, 8000.0)]
            )
            .is_err(),
            "an inner section cannot be shorter"
        );
        assert!(cut_from(&record, &[]).is_err());
    }
}
