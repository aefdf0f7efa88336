//! Tag definitions: the validated, immutable catalogue of tags a project declares.
//!
//! Past the config boundary everything refers to tags by `TagId` (an index into this directory).

use serde::Serialize;
use std::borrow::Cow;
use std::collections::HashMap;
use std::time::Duration;

/// Index of a tag in the `TagDirectory` and in every per-tag vector (table, snapshot).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct TagId(pub u32);

impl TagId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Index of a driver in the project's driver list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct DriverId(pub u16);

impl DriverId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ValueKind {
    F64,
    I64,
    Bool,
    String,
}

#[derive(Debug, Clone, Serialize)]
pub struct TagDef {
    pub id: TagId,
    /// Hierarchical name, `device/signal` (e.g. `ct01/weight`).
    pub name: String,
    pub description: String,
    /// The description in Spanish (empty: the English one is shown).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description_es: String,
    /// What operators call it ("Wellhead pressure", "Presión en cabeza de pozo"); empty: the signal's name
    /// is shown. The name stays the identifier (files, history, audit).
    #[serde(skip_serializing_if = "crate::lang::Text::is_empty")]
    pub label: crate::lang::Text,
    pub unit: String,
    pub kind: ValueKind,
    /// Instrument range (low, high) in engineering units, when the signal has one.
    pub range: Option<(f64, f64)>,
    /// Decimals to show on screen.
    pub decimals: usize,
    pub driver: DriverId,
    /// Driver-specific address (sim signal name, Modbus register, OPC-UA node id, MQTT topic...).
    pub address: String,
    /// A tag not updated for this long turns Bad(Stale).
    pub stale_after: Duration,
    /// Operators may write to it (setpoints, commands); the hub refuses writes to other tags.
    pub writable: bool,
    /// What the historian keeps of it.
    #[serde(skip)]
    pub history: HistoryMode,
}

/// What the historian keeps of a tag's stream (site.toml: `history`, `history_deadband`). Part of the tag's
/// definition, like its unit and range: the historian applies it, the project loader reads it.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum HistoryMode {
    /// Every sample (lossless).
    #[default]
    All,
    /// A sample when its value moved more than the deadband from the last stored one (any change for
    /// text and on/off tags).
    Change { deadband: f64 },
    /// Swinging door: a sample is stored only when a straight line from the last stored one can no longer
    /// stay within ± deviation of the samples in between.
    SwingingDoor { deviation: f64 },
    /// Not stored.
    Off,
}

impl TagDef {
    /// The description in the console's language (English where there is no Spanish one).
    pub fn description_in(&self, lang: crate::lang::Lang) -> &str {
        match lang {
            crate::lang::Lang::Es if !self.description_es.is_empty() => &self.description_es,
            _ => &self.description,
        }
    }

    /// The name an operator reads in `lang`: the label, else the signal in words (`wellhead pressure` for
    /// `ct01/wellhead_pressure`).
    pub fn label_in(&self, lang: crate::lang::Lang) -> Cow<'_, str> {
        match self.label.get(lang) {
            "" => Cow::Owned(self.signal().replace('_', " ")),
            label => Cow::Borrowed(label),
        }
    }

    /// The same where tags of several devices meet (a trend's pens): `ESP01 Liquid rate`; without a label,
    /// the tag's name.
    pub fn label_with_device_in(&self, lang: crate::lang::Lang) -> Cow<'_, str> {
        match self.label.get(lang) {
            "" => Cow::Borrowed(&self.name),
            label => Cow::Owned(format!("{} {label}", self.device().to_uppercase())),
        }
    }

    /// First path segment: the device or asset the tag belongs to (`ct01` for `ct01/weight`).
    pub fn device(&self) -> &str {
        self.name.split('/').next().unwrap_or(&self.name)
    }

    /// The name without its device prefix (`weight` for `ct01/weight`).
    pub fn signal(&self) -> &str {
        self.name.split_once('/').map_or(self.name.as_str(), |(_, s)| s)
    }

    /// NAMUR NE 43 validity band around the instrument range: a transmitter signal outside
    /// 3.8–20.5 mA (−1.25 % … +103.125 % of span) is a measurement failure, not a process value.
    pub fn valid_band(&self) -> Option<(f64, f64)> {
        self.range.map(|(lo, hi)| {
            let span = hi - lo;
            (lo - 0.0125 * span, hi + 0.03125 * span)
        })
    }
}

/// The immutable set of tags of a loaded project. Shared read-only (`Arc`) by hub, drivers and UI.
#[derive(Debug, Clone, Default)]
pub struct TagDirectory {
    defs: Vec<TagDef>,
    by_name: HashMap<String, TagId>,
}

impl TagDirectory {
    /// Builds a directory; ids are assigned in order. Names must already be unique (the loader checks).
    pub fn new(defs: Vec<TagDef>) -> Self {
        let by_name = defs.iter().map(|d| (d.name.clone(), d.id)).collect();
        debug_assert!(defs.iter().enumerate().all(|(i, d)| d.id.index() == i));
        Self { defs, by_name }
    }

    pub fn len(&self) -> usize {
        self.defs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.defs.is_empty()
    }

    pub fn get(&self, id: TagId) -> Option<&TagDef> {
        self.defs.get(id.index())
    }

    pub fn id_of(&self, name: &str) -> Option<TagId> {
        self.by_name.get(name).copied()
    }

    pub fn by_name(&self, name: &str) -> Option<&TagDef> {
        self.id_of(name).and_then(|id| self.get(id))
    }

    pub fn iter(&self) -> impl Iterator<Item = &TagDef> {
        self.defs.iter()
    }

    /// Device names in first-seen order.
    pub fn devices(&self) -> Vec<&str> {
        let mut seen = Vec::new();
        for d in &self.defs {
            let dev = d.device();
            if !seen.contains(&dev) {
                seen.push(dev);
            }
        }
        seen
    }
}

/// A writable f64 setpoint with `unit` and `range`, for unit tests that need a tag and nothing else.
#[cfg(test)]
pub(crate) fn test_setpoint(unit: &str, range: (f64, f64)) -> TagDef {
    TagDef {
        id: TagId(0),
        name: "sep01/pressure_setpoint".into(),
        description: String::new(),
        description_es: String::new(),
        label: Default::default(),
        unit: unit.into(),
        kind: ValueKind::F64,
        range: Some(range),
        decimals: 0,
        driver: DriverId(0),
        address: String::new(),
        stale_after: Duration::from_secs(2),
        writable: true,
        history: HistoryMode::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::{Lang, Text};

    fn wellhead_pressure(label: Text) -> TagDef {
        TagDef {
            name: "ct01/wellhead_pressure".into(),
            label,
            unit: "psi".into(),
            range: None,
            address: "ct01/wellhead_pressure".into(),
            stale_after: Duration::from_secs(5),
            writable: false,
            history: HistoryMode::All,
            ..test_setpoint("psi", (0.0, 1.0))
        }
    }

    #[test]
    fn an_operator_reads_the_label_in_the_console_language_else_the_signal() {
        let both = Text::new("Wellhead pressure", "Presión en cabeza de pozo");
        for (label, lang, alone, with_device) in [
            (
                both.clone(),
                Lang::Es,
                "Presión en cabeza de pozo",
                "CT01 Presión en cabeza de pozo",
            ),
            (both, Lang::En, "Wellhead pressure", "CT01 Wellhead pressure"),
            // English only: a Spanish console shows the English one.
            (
                Text::new("Wellhead pressure", ""),
                Lang::Es,
                "Wellhead pressure",
                "CT01 Wellhead pressure",
            ),
            // No label: the signal in words, or the tag's name among several devices.
            (Text::default(), Lang::Es, "wellhead pressure", "ct01/wellhead_pressure"),
        ] {
            let def = wellhead_pressure(label);
            assert_eq!(def.label_in(lang), alone);
            assert_eq!(def.label_with_device_in(lang), with_device);
        }
    }
}
