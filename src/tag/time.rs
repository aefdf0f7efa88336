//! Timestamps: microseconds since the Unix epoch, UTC.
//!
//! One integer type so that the hub, historian and UI compare and subtract times without conversions.

use serde::{Deserialize, Serialize};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Microseconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub const ZERO: Timestamp = Timestamp(0);

    pub fn now() -> Self {
        Self::from_system_time(SystemTime::now())
    }

    pub fn from_system_time(t: SystemTime) -> Self {
        match t.duration_since(UNIX_EPOCH) {
            Ok(d) => Timestamp(i64::try_from(d.as_micros()).unwrap_or(i64::MAX)),
            Err(e) => Timestamp(-i64::try_from(e.duration().as_micros()).unwrap_or(i64::MAX)),
        }
    }

    pub fn from_secs_f64(secs: f64) -> Self {
        Timestamp((secs * 1e6).round() as i64)
    }

    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e6
    }

    pub fn micros(self) -> i64 {
        self.0
    }

    /// Time elapsed from `earlier` to `self`; zero when `earlier` is later (clocks of two sources can disagree).
    pub fn saturating_since(self, earlier: Timestamp) -> Duration {
        Duration::from_micros(u64::try_from(self.0.saturating_sub(earlier.0)).unwrap_or(0))
    }

    pub fn plus(self, d: Duration) -> Timestamp {
        Timestamp(self.0.saturating_add(i64::try_from(d.as_micros()).unwrap_or(i64::MAX)))
    }

    /// RFC 3339 in UTC with milliseconds, for exports and JSON stats.
    pub fn to_rfc3339(self) -> String {
        chrono::DateTime::from_timestamp_micros(self.0)
            .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
            .unwrap_or_else(|| format!("@{}us", self.0))
    }

    /// Local wall-clock time of day, as operators read it.
    pub fn to_local_hms(self) -> String {
        chrono::DateTime::from_timestamp_micros(self.0)
            .map(|t| t.with_timezone(&chrono::Local).format("%H:%M:%S").to_string())
            .unwrap_or_else(|| "--:--:--".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_without_panicking() {
        // chrono's Display fails (and `to_string` panics) on format specifiers it does not know.
        let t = Timestamp(1_795_000_000_123_456);
        assert_eq!(t.to_rfc3339(), "2026-11-18T11:06:40.123Z");
        assert_eq!(t.to_local_hms().len(), 8);
        assert_eq!(Timestamp(i64::MAX).to_local_hms(), "--:--:--");
    }

    #[test]
    fn differences_saturate() {
        let a = Timestamp(5_000_000);
        assert_eq!(
            a.plus(Duration::from_millis(1500)).saturating_since(a),
            Duration::from_millis(1500)
        );
        assert_eq!(a.saturating_since(a.plus(Duration::from_secs(1))), Duration::ZERO);
    }
}
