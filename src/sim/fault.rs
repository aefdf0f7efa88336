//! Injectable faults of the demo plant: what can go wrong, where, and when.
//!
//! Parsed from the CLI (`--fault stuck-pipe:ct01@120`) and built by the console's simulator panel.

use serde::Serialize;
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FaultKind {
    /// A transmitter fails: its tag turns Bad(SensorFail). Target: a signal address (`ct01/weight`).
    SensorFail,
    /// Pressure builds: CT wellhead pressure (kick) or separator pressure (blocked gas outlet).
    Overpressure,
    /// The device stops answering: its tags turn Bad(CommFail). Target: a device (`esp03`).
    CommLoss,
    /// The CT string sticks: it stops moving while the injector keeps working it.
    StuckPipe,
    /// Free gas fills the ESP's pump: flow and motor load collapse, the motor heats up.
    GasLock,
}

impl FaultKind {
    pub const ALL: [FaultKind; 5] = [
        FaultKind::SensorFail,
        FaultKind::Overpressure,
        FaultKind::CommLoss,
        FaultKind::StuckPipe,
        FaultKind::GasLock,
    ];

    pub fn name(self) -> &'static str {
        match self {
            FaultKind::SensorFail => "sensor-fail",
            FaultKind::Overpressure => "overpressure",
            FaultKind::CommLoss => "comm-loss",
            FaultKind::StuckPipe => "stuck-pipe",
            FaultKind::GasLock => "gas-lock",
        }
    }

    /// Target used when none is given.
    pub fn default_target(self) -> Option<&'static str> {
        match self {
            FaultKind::SensorFail => None,
            FaultKind::Overpressure | FaultKind::StuckPipe => Some("ct01"),
            FaultKind::CommLoss | FaultKind::GasLock => Some("esp01"),
        }
    }
}

impl FromStr for FaultKind {
    type Err = FaultParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FaultKind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| FaultParseError::UnknownKind(s.to_owned()))
    }
}

/// One fault on one target.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Fault {
    pub kind: FaultKind,
    /// A device (`ct01`, `esp03`, `sep01`) or, for sensor failures, a signal address (`ct01/weight`).
    pub target: String,
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind.name(), self.target)
    }
}

/// A fault to inject at a simulation time (seconds after start).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScheduledFault {
    pub fault: Fault,
    pub at_secs: f64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FaultParseError {
    #[error("unknown fault kind '{0}' (expected one of: sensor-fail, overpressure, comm-loss, stuck-pipe, gas-lock)")]
    UnknownKind(String),
    #[error("fault '{0}' needs a target, e.g. sensor-fail:ct01/weight")]
    MissingTarget(String),
    #[error("bad time '{0}' after '@': expected seconds, e.g. stuck-pipe:ct01@120")]
    BadTime(String),
}

impl FromStr for ScheduledFault {
    type Err = FaultParseError;
    /// `KIND[:TARGET][@SECONDS]`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (spec, at_secs) = match s.split_once('@') {
            Some((spec, t)) => {
                let secs: f64 = t.parse().map_err(|_| FaultParseError::BadTime(t.to_owned()))?;
                if !(secs.is_finite() && secs >= 0.0) {
                    return Err(FaultParseError::BadTime(t.to_owned()));
                }
                (spec, secs)
            }
            None => (s, 0.0),
        };
        let (kind, target) = match spec.split_once(':') {
            Some((k, t)) => (k.parse::<FaultKind>()?, t.to_owned()),
            None => {
                let kind: FaultKind = spec.parse()?;
                let target = kind
                    .default_target()
                    .ok_or_else(|| FaultParseError::MissingTarget(spec.to_owned()))?;
                (kind, target.to_owned())
            }
        };
        if target.is_empty() {
            return Err(FaultParseError::MissingTarget(spec.to_owned()));
        }
        Ok(ScheduledFault {
            fault: Fault { kind, target },
            at_secs,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_fault_specs() {
        let f: ScheduledFault = "stuck-pipe:ct01@120".parse().unwrap();
        assert_eq!(
            f.fault,
            Fault {
                kind: FaultKind::StuckPipe,
                target: "ct01".into()
            }
        );
        assert_eq!(f.at_secs, 120.0);
        let f: ScheduledFault = "gas-lock".parse().unwrap();
        assert_eq!(f.fault.target, "esp01");
        assert_eq!(f.at_secs, 0.0);
        assert_eq!(
            "sensor-fail".parse::<ScheduledFault>(),
            Err(FaultParseError::MissingTarget("sensor-fail".into()))
        );
        assert!(matches!(
            "boom:ct01".parse::<ScheduledFault>(),
            Err(FaultParseError::UnknownKind(_))
        ));
        assert!(matches!(
            "gas-lock@-3".parse::<ScheduledFault>(),
            Err(FaultParseError::BadTime(_))
        ));
    }
}
