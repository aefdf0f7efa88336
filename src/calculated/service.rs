//! Calculated tags plugged into the hub: a `Deriver` that runs the engine on the hub thread, so each scan's
//! derived values are applied in that scan, with the samples they came from, before any subscriber (alarms,
//! trips, history) sees the scan. It owns nothing but the engine and its driver's link.

use super::{CalcEngine, CalcSet};
use crate::driver::{DriverLink, DriverState};
use crate::hub::Deriver;
use crate::tag::{DriverId, Sample, TagTable, TagUpdate, Timestamp};
use std::sync::Arc;

pub struct CalcService {
    engine: CalcEngine,
    driver: DriverId,
    /// The `calc` driver's link, held so its channels stay open: the hub sees a running driver, not one
    /// that stopped, and the Drivers page counts what the engine makes on it.
    _link: DriverLink,
}

impl CalcService {
    pub fn new(set: Arc<CalcSet>, link: DriverLink) -> Self {
        link.stats.set_state(DriverState::Running);
        Self {
            engine: CalcEngine::new(set),
            driver: link.id,
            _link: link,
        }
    }
}

impl Deriver for CalcService {
    fn name(&self) -> &str {
        "calculated"
    }

    fn driver(&self) -> DriverId {
        self.driver
    }

    fn derive(&mut self, updates: &[TagUpdate], table: &TagTable, now: Timestamp, out: &mut Vec<Sample>) {
        self.engine.on_updates(updates, table, now, out);
    }

    fn tick(&mut self, now: Timestamp, table: &TagTable, out: &mut Vec<Sample>) {
        self.engine.on_tick(now, table, out);
    }
}
