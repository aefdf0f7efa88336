//! What a running console reloads when its definition files change (each one a `watch::Reloadable`):
//! screens and symbols, swapped whole into the console's `ScreenCell`; alarm points and trip rules, handed to
//! their engines by whatever the wiring supplies. Each loads against the running project's tags.
//!
//! Names no running service: the screens go into a cell, the alarm and trip sets to a function
//! (`runtime` turns them into hub commands). Touches no UI.

use super::ProjectFiles;
use super::watch::Reloadable;
use crate::alarm::AlarmSet;
use crate::screen::ScreenCell;
use crate::tag::TagDirectory;
use crate::trip::TripSet;
use std::sync::Arc;

fn lines(problems: Vec<super::Diagnostic>) -> Vec<String> {
    problems.iter().map(ToString::to_string).collect()
}

/// `screens/` and `symbols/`: a new set replaces the one on display, whole.
pub struct Screens {
    tags: Arc<TagDirectory>,
    screens: ScreenCell,
}

impl Screens {
    pub fn new(tags: Arc<TagDirectory>, screens: ScreenCell) -> Self {
        Self { tags, screens }
    }
}

impl Reloadable for Screens {
    fn what(&self) -> &'static str {
        "screen"
    }

    fn dirs(&self) -> &'static [&'static str] {
        &["screens", "symbols"]
    }

    fn reload(&mut self, files: &ProjectFiles) -> Result<(), Vec<String>> {
        let set = super::screens::load(files, &self.tags).map_err(lines)?;
        tracing::info!(
            screens = set.screens.len(),
            symbols = set.symbols.len(),
            "screens reloaded"
        );
        self.screens.store(Arc::new(set));
        Ok(())
    }
}

/// A new set for one of the hub's engines, in the order they are handed on.
#[derive(Debug, Clone)]
pub enum NewSet {
    Alarms(Arc<AlarmSet>),
    Trips(Arc<TripSet>),
}

/// `alarms/`: alarm points and trip rules share the files, so both load or neither does. A good pair is
/// offered to `to_engines` (true: taken); what is not taken (a full queue) is offered again every round
/// rather than lose the edit, until a newer pair or a broken file replaces it.
pub struct AlarmsAndTrips<F> {
    tags: Arc<TagDirectory>,
    to_engines: F,
    waiting: Vec<NewSet>,
}

impl<F: FnMut(&NewSet) -> bool + Send> AlarmsAndTrips<F> {
    pub fn new(tags: Arc<TagDirectory>, to_engines: F) -> Self {
        Self {
            tags,
            to_engines,
            waiting: Vec::new(),
        }
    }
}

impl<F: FnMut(&NewSet) -> bool + Send> Reloadable for AlarmsAndTrips<F> {
    fn what(&self) -> &'static str {
        "alarm"
    }

    fn dirs(&self) -> &'static [&'static str] {
        &["alarms"]
    }

    fn reload(&mut self, files: &ProjectFiles) -> Result<(), Vec<String>> {
        let (alarms, trips) = match (
            super::alarms::load(files, &self.tags),
            super::trips::load(files, &self.tags),
        ) {
            (Ok(alarms), Ok(trips)) => (alarms, trips),
            (a, t) => {
                let mut all = a.err().map(lines).unwrap_or_default();
                all.extend(t.err().map(lines).unwrap_or_default());
                return Err(all);
            }
        };
        tracing::info!(
            points = alarms.len(),
            trips = trips.trips.len(),
            "alarm and trip definitions changed; loading them"
        );
        self.waiting = vec![NewSet::Alarms(Arc::new(alarms)), NewSet::Trips(Arc::new(trips))];
        Ok(())
    }

    fn keep_last_good(&mut self) {
        self.waiting.clear();
    }

    fn hand_on(&mut self) {
        while let Some(set) = self.waiting.first() {
            if !(self.to_engines)(set) {
                // The hub's queue is full: try again next round rather than lose the edit.
                break;
            }
            self.waiting.remove(0);
        }
    }
}
