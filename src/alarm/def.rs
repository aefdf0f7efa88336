//! Alarm definitions: the validated, immutable set of alarm points a project declares in `alarms/*.toml`.
//!
//! One `AlarmDef` is one ISA-18.2 alarm point (a tag's HI and its HIHI are two points, each with its own
//! priority and response). Built by `project::alarms` from the files; nothing here parses text.

use crate::expr::Comparison;
use crate::lang::Text;
use crate::tag::{TagId, Value};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;

/// ISA-18.2 priorities, most urgent first (the derived order sorts the banner).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    Critical,
    High,
    Medium,
    Low,
    Diagnostic,
}

impl Priority {
    pub const ALL: [Priority; 5] = [
        Priority::Critical,
        Priority::High,
        Priority::Medium,
        Priority::Low,
        Priority::Diagnostic,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Priority::Critical => "critical",
            Priority::High => "high",
            Priority::Medium => "medium",
            Priority::Low => "low",
            Priority::Diagnostic => "diagnostic",
        }
    }

    /// The priority as the operator reads it.
    pub fn label(self, lang: crate::lang::Lang) -> &'static str {
        match self {
            Priority::Critical => lang.pick("critical", "crítica"),
            Priority::High => lang.pick("high", "alta"),
            Priority::Medium => lang.pick("medium", "media"),
            Priority::Low => lang.pick("low", "baja"),
            Priority::Diagnostic => lang.pick("diagnostic", "diagnóstico"),
        }
    }

    pub fn parse(s: &str) -> Option<Priority> {
        Priority::ALL.into_iter().find(|p| p.name() == s)
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// Which side of a limit is abnormal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    High,
    Low,
}

#[derive(Debug, Clone, PartialEq)]
pub enum AlarmKind {
    /// HIHI / HI / LO / LOLO: the value at or beyond `limit`.
    Limit { code: &'static str, side: Side, limit: f64 },
    /// |value − setpoint| at or above `limit`.
    Deviation { setpoint: TagId, limit: f64 },
    /// |rate of change| at or above `per_min` units per minute, measured over `window`.
    Rate { per_min: f64, window: Duration },
    /// The tag equals `value` (a bool, a state number or a string).
    State { value: Value },
    /// The tag's quality is bad (comm fail, stale, sensor fail, out of range, …).
    BadQuality,
}

impl AlarmKind {
    /// Short code for the banner and the journal (HI, LOLO, DEV, ROC, STATE, BAD PV).
    pub fn code(&self) -> &'static str {
        match self {
            AlarmKind::Limit { code, .. } => code,
            AlarmKind::Deviation { .. } => "DEV",
            AlarmKind::Rate { .. } => "ROC",
            AlarmKind::State { .. } => "STATE",
            AlarmKind::BadQuality => "BAD PV",
        }
    }

    /// The kind as the operator reads it: HIHI/HI/LO/LOLO are the same in both languages.
    pub fn label(&self, lang: crate::lang::Lang) -> &'static str {
        match self {
            AlarmKind::Limit { code, .. } => code,
            AlarmKind::Deviation { .. } => lang.pick("DEV", "DESV"),
            AlarmKind::Rate { .. } => lang.pick("ROC", "TASA"),
            AlarmKind::State { .. } => lang.pick("STATE", "ESTADO"),
            AlarmKind::BadQuality => lang.pick("BAD PV", "PV MALA"),
        }
    }
}

/// Suppression by design (ISA-18.2 §12): the alarm means nothing while any of `when` holds (e.g. an ESP's
/// low-flow alarm while the pump is stopped), and for `release` after, while the process settles.
#[derive(Debug, Clone, PartialEq)]
pub struct Suppression {
    pub when: Vec<Comparison>,
    pub release: Duration,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AlarmDef {
    /// Stable name across reloads and restarts (`ct01/weight:HI` unless the file names it).
    pub id: Arc<str>,
    pub tag: TagId,
    pub tag_name: Arc<str>,
    pub unit: Arc<str>,
    pub decimals: usize,
    pub kind: AlarmKind,
    pub priority: Priority,
    /// Hysteresis in the tag's unit: a HI clears below `limit − deadband`.
    pub deadband: f64,
    pub on_delay: Duration,
    pub off_delay: Duration,
    /// A latching alarm needs an acknowledgement after it returns, even if it was acknowledged while active.
    pub latching: bool,
    pub message: Text,
    pub consequence: Text,
    pub response: Text,
    pub area: Arc<str>,
    pub asset: Arc<str>,
    pub suppression: Option<Suppression>,
    pub shelvable: bool,
    pub max_shelve: Duration,
}

impl AlarmDef {
    /// Every tag the point's evaluation reads.
    pub fn inputs(&self) -> impl Iterator<Item = TagId> + '_ {
        let setpoint = match self.kind {
            AlarmKind::Deviation { setpoint, .. } => Some(setpoint),
            _ => None,
        };
        std::iter::once(self.tag)
            .chain(setpoint)
            .chain(self.suppression.iter().flat_map(|s| s.when.iter().map(|c| c.tag)))
    }

    /// The limit as an operator reads it in the console's units (`≥ 42000 lbf`, `≥ 186.83 kN`), empty
    /// where there is none. Deviations and rates are differences: converted without the offset.
    pub fn limit_text(&self, units: crate::units::UnitSystem) -> String {
        let shown = units.shown(&self.unit);
        let d = shown.decimals(self.decimals);
        let u = shown.unit;
        match &self.kind {
            AlarmKind::Limit {
                side: Side::High,
                limit,
                ..
            } => format!("≥ {:.d$} {u}", shown.value(*limit)),
            AlarmKind::Limit {
                side: Side::Low, limit, ..
            } => format!("≤ {:.d$} {u}", shown.value(*limit)),
            AlarmKind::Deviation { limit, .. } => format!("± {:.d$} {u}", shown.delta(*limit)),
            AlarmKind::Rate { per_min, .. } => format!("{:.d$} {u}/min", shown.delta(*per_min)),
            AlarmKind::State { value } => format!("= {value}"),
            AlarmKind::BadQuality => String::new(),
        }
    }
}

/// Per-console sound settings (`[sound.NAME]` in an alarm file): a control room and a CT cab differ.
#[derive(Debug, Clone, PartialEq)]
pub struct SoundProfile {
    pub name: String,
    /// 0.0 … 1.0.
    pub volume: f32,
    /// The least urgent priority that sounds.
    pub min_priority: Priority,
}

impl SoundProfile {
    pub fn default_for(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            volume: 0.8,
            min_priority: Priority::Low,
        }
    }
}

/// Every alarm point of a project, with an index from tag to the points that read it.
#[derive(Debug, Clone, Default)]
pub struct AlarmSet {
    pub points: Vec<Arc<AlarmDef>>,
    pub sounds: Vec<SoundProfile>,
    /// For tag index i: the points whose evaluation reads it (`watchers[offsets[i]..offsets[i+1]]`).
    offsets: Vec<u32>,
    watchers: Vec<u32>,
}

/// Two sets are equal when they define the same points and sounds (the index follows from them).
impl PartialEq for AlarmSet {
    fn eq(&self, other: &Self) -> bool {
        self.points == other.points && self.sounds == other.sounds
    }
}

impl AlarmSet {
    pub fn new(points: Vec<Arc<AlarmDef>>, sounds: Vec<SoundProfile>, tag_count: usize) -> Self {
        let mut lists: Vec<Vec<u32>> = vec![Vec::new(); tag_count];
        for (i, p) in points.iter().enumerate() {
            for t in p.inputs() {
                if let Some(l) = lists.get_mut(t.index())
                    && l.last() != Some(&(i as u32))
                {
                    l.push(i as u32);
                }
            }
        }
        let mut offsets = Vec::with_capacity(tag_count + 1);
        let mut watchers = Vec::new();
        offsets.push(0);
        for l in lists {
            watchers.extend(l);
            offsets.push(watchers.len() as u32);
        }
        Self {
            points,
            sounds,
            offsets,
            watchers,
        }
    }

    /// Points that read `tag`.
    pub fn watching(&self, tag: TagId) -> &[u32] {
        let i = tag.index();
        match (self.offsets.get(i), self.offsets.get(i + 1)) {
            (Some(&a), Some(&b)) => &self.watchers[a as usize..b as usize],
            _ => &[],
        }
    }

    pub fn len(&self) -> usize {
        self.points.len()
    }

    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    pub fn sound(&self, name: &str) -> SoundProfile {
        self.sounds
            .iter()
            .find(|s| s.name == name)
            .cloned()
            .unwrap_or_else(|| SoundProfile::default_for(name))
    }
}
