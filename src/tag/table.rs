//! The current-value table: the last value, quality and times of every tag.
//!
//! Owned and written by the hub thread alone; everyone else reads immutable snapshots of it.
//! Pure logic, no threads or clocks: the caller passes the receive time, so the stale and range
//! rules are tested with a controlled clock.

use super::{BadReason, Quality, TagDef, TagDirectory, TagId, Timestamp, Value, ValueKind};
use std::sync::Arc;

/// One reading from a driver.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub tag: TagId,
    /// `None` when the driver has no new value but a new quality (comm loss, failed sensor):
    /// the table keeps the last value so the screen can show it, marked as not live.
    pub value: Option<Value>,
    pub quality: Quality,
    /// When the value was measured, by the source's clock (device, simulator, payload).
    pub source_ts: Timestamp,
}

impl Sample {
    pub fn good(tag: TagId, value: Value, source_ts: Timestamp) -> Self {
        Self {
            tag,
            value: Some(value),
            quality: Quality::Good,
            source_ts,
        }
    }

    pub fn bad(tag: TagId, reason: BadReason, source_ts: Timestamp) -> Self {
        Self {
            tag,
            value: None,
            quality: Quality::Bad(reason),
            source_ts,
        }
    }
}

/// What the table knows about one tag now.
#[derive(Debug, Clone, PartialEq)]
pub struct TagState {
    pub value: Option<Value>,
    pub quality: Quality,
    pub source_ts: Timestamp,
    /// When the hub received it (hub clock); staleness is judged on this, not on the source clock.
    pub receive_ts: Timestamp,
    /// When the current quality began, by the hub's clock: the receive time of the sample that brought
    /// it, or the housekeeping tick that found the tag stale. A STALE tag is dated here; its value keeps
    /// `source_ts` and `receive_ts` of the last reading (the age the screen shows).
    pub quality_ts: Timestamp,
    /// Number of updates applied, for "is it moving" checks.
    pub updates: u64,
}

impl TagState {
    fn waiting() -> Self {
        Self {
            value: None,
            quality: Quality::Bad(BadReason::WaitingForData),
            source_ts: Timestamp::ZERO,
            receive_ts: Timestamp::ZERO,
            quality_ts: Timestamp::ZERO,
            updates: 0,
        }
    }

    /// The number it holds when its quality is good and the number finite: what a computation may use.
    pub fn good_f64(&self) -> Option<f64> {
        if self.quality != Quality::Good {
            return None;
        }
        self.value.as_ref().and_then(Value::as_f64).filter(|v| v.is_finite())
    }
}

/// A change of one tag, as fanned out to subscribers (historian, alarms, interlocks).
#[derive(Debug, Clone, PartialEq)]
pub struct TagUpdate {
    pub tag: TagId,
    pub state: TagState,
}

pub struct TagTable {
    directory: Arc<TagDirectory>,
    states: Vec<TagState>,
}

impl TagTable {
    pub fn new(directory: Arc<TagDirectory>) -> Self {
        let states = vec![TagState::waiting(); directory.len()];
        Self { directory, states }
    }

    pub fn directory(&self) -> &Arc<TagDirectory> {
        &self.directory
    }

    pub fn states(&self) -> &[TagState] {
        &self.states
    }

    pub fn get(&self, id: TagId) -> Option<&TagState> {
        self.states.get(id.index())
    }

    /// Applies one sample; returns the resulting state, or `None` for an unknown tag id.
    pub fn apply(&mut self, sample: &Sample, receive_ts: Timestamp) -> Option<TagUpdate> {
        let def = self.directory.get(sample.tag)?;
        let (value, quality) = match &sample.value {
            Some(v) => classify(def, v, sample.quality),
            None => (None, sample.quality),
        };
        let state = self.states.get_mut(sample.tag.index())?;
        if value.is_some() {
            state.value = value;
        }
        if state.quality != quality {
            state.quality_ts = receive_ts;
        }
        state.quality = quality;
        state.source_ts = sample.source_ts;
        state.receive_ts = receive_ts;
        state.updates += 1;
        Some(TagUpdate {
            tag: sample.tag,
            state: state.clone(),
        })
    }

    /// Turns live tags that missed their expected period into Bad(Stale), keeping their value and its
    /// times. Tags already bad keep their more specific reason. The staleness is dated `now`: the console
    /// finds it at this check, so that is when history records it.
    pub fn mark_stale(&mut self, now: Timestamp, out: &mut Vec<TagUpdate>) {
        for (def, state) in self.directory.iter().zip(self.states.iter_mut()) {
            let live = matches!(state.quality, Quality::Good | Quality::Uncertain);
            if live && now.saturating_since(state.receive_ts) > def.stale_after {
                state.quality = Quality::Bad(BadReason::Stale);
                state.quality_ts = now;
                out.push(TagUpdate {
                    tag: def.id,
                    state: state.clone(),
                });
            }
        }
    }
}

/// Coerces a driver value to the tag's declared kind and applies the range rule.
fn classify(def: &TagDef, v: &Value, reported: Quality) -> (Option<Value>, Quality) {
    let coerced = match (def.kind, v) {
        (ValueKind::F64, Value::F64(x)) => Some(Value::F64(*x)),
        (ValueKind::F64, Value::I64(x)) => Some(Value::F64(*x as f64)),
        (ValueKind::I64, Value::I64(x)) => Some(Value::I64(*x)),
        (ValueKind::I64, Value::F64(x)) if x.fract() == 0.0 && x.abs() < 9.0e15 => Some(Value::I64(*x as i64)),
        (ValueKind::I64, Value::Bool(b)) => Some(Value::I64(i64::from(*b))),
        (ValueKind::Bool, Value::Bool(b)) => Some(Value::Bool(*b)),
        (ValueKind::Bool, Value::I64(x)) => Some(Value::Bool(*x != 0)),
        (ValueKind::String, Value::Str(s)) => Some(Value::Str(s.clone())),
        _ => None,
    };
    let Some(value) = coerced else {
        return (None, Quality::Bad(BadReason::ConfigError));
    };
    if reported.is_bad() {
        return (Some(value), reported);
    }
    if let Value::F64(x) = value {
        if !x.is_finite() {
            return (None, Quality::Bad(BadReason::SensorFail));
        }
        if let Some((lo, hi)) = def.valid_band()
            && (x < lo || x > hi)
        {
            return (Some(value), Quality::Bad(BadReason::OutOfRange));
        }
    }
    (Some(value), reported)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tag::DriverId;
    use std::time::Duration;

    fn dir() -> Arc<TagDirectory> {
        let mk = |i: u32, name: &str, kind, range| TagDef {
            id: TagId(i),
            name: name.into(),
            description: String::new(),
            description_es: String::new(),
            label: Default::default(),
            unit: "psi".into(),
            kind,
            range,
            decimals: 1,
            driver: DriverId(0),
            address: name.into(),
            stale_after: Duration::from_secs(2),
            writable: false,
            history: Default::default(),
        };
        Arc::new(TagDirectory::new(vec![
            mk(0, "ct01/whp", ValueKind::F64, Some((0.0, 10_000.0))),
            mk(1, "ct01/layer", ValueKind::I64, None),
            mk(2, "esp01/running", ValueKind::Bool, None),
            mk(3, "ct01/phase", ValueKind::String, None),
        ]))
    }

    const T0: Timestamp = Timestamp(1_000_000_000);

    fn at(secs: f64) -> Timestamp {
        T0.plus(Duration::from_secs_f64(secs))
    }

    #[test]
    fn starts_waiting_for_data() {
        let t = TagTable::new(dir());
        assert!(
            t.states()
                .iter()
                .all(|s| s.quality == Quality::Bad(BadReason::WaitingForData))
        );
    }

    #[test]
    fn quality_transitions_table() {
        // (sample value, reported quality, expected stored value, expected quality)
        let cases: Vec<(Option<Value>, Quality, Option<Value>, Quality)> = vec![
            (
                Some(Value::F64(500.0)),
                Quality::Good,
                Some(Value::F64(500.0)),
                Quality::Good,
            ),
            (
                Some(Value::F64(510.0)),
                Quality::Uncertain,
                Some(Value::F64(510.0)),
                Quality::Uncertain,
            ),
            // comm loss: no value, the last one is kept
            (
                None,
                Quality::Bad(BadReason::CommFail),
                Some(Value::F64(510.0)),
                Quality::Bad(BadReason::CommFail),
            ),
            (
                Some(Value::F64(520.0)),
                Quality::Good,
                Some(Value::F64(520.0)),
                Quality::Good,
            ),
            // NE 43: up to +3.125 % of span is still a value...
            (
                Some(Value::F64(10_300.0)),
                Quality::Good,
                Some(Value::F64(10_300.0)),
                Quality::Good,
            ),
            // ...beyond it is a measurement failure
            (
                Some(Value::F64(10_400.0)),
                Quality::Good,
                Some(Value::F64(10_400.0)),
                Quality::Bad(BadReason::OutOfRange),
            ),
            (
                Some(Value::F64(-200.0)),
                Quality::Good,
                Some(Value::F64(-200.0)),
                Quality::Bad(BadReason::OutOfRange),
            ),
            (
                Some(Value::F64(f64::NAN)),
                Quality::Good,
                Some(Value::F64(-200.0)),
                Quality::Bad(BadReason::SensorFail),
            ),
            (
                Some(Value::str("x")),
                Quality::Good,
                Some(Value::F64(-200.0)),
                Quality::Bad(BadReason::ConfigError),
            ),
            (
                Some(Value::I64(42)),
                Quality::Good,
                Some(Value::F64(42.0)),
                Quality::Good,
            ),
        ];
        let mut t = TagTable::new(dir());
        for (i, (v, q, want_v, want_q)) in cases.into_iter().enumerate() {
            let s = Sample {
                tag: TagId(0),
                value: v,
                quality: q,
                source_ts: at(i as f64),
            };
            let u = t.apply(&s, at(i as f64)).expect("known tag");
            assert_eq!(u.state.value, want_v, "case {i}");
            assert_eq!(u.state.quality, want_q, "case {i}");
        }
    }

    #[test]
    fn coerces_kinds() {
        let mut t = TagTable::new(dir());
        let u = t.apply(&Sample::good(TagId(1), Value::F64(3.0), T0), T0).unwrap();
        assert_eq!(u.state.value, Some(Value::I64(3)));
        let u = t.apply(&Sample::good(TagId(1), Value::F64(3.5), T0), T0).unwrap();
        assert_eq!(u.state.quality, Quality::Bad(BadReason::ConfigError));
        let u = t.apply(&Sample::good(TagId(2), Value::I64(1), T0), T0).unwrap();
        assert_eq!(u.state.value, Some(Value::Bool(true)));
        let u = t.apply(&Sample::good(TagId(3), Value::F64(1.0), T0), T0).unwrap();
        assert_eq!(u.state.quality, Quality::Bad(BadReason::ConfigError));
        assert!(t.apply(&Sample::good(TagId(99), Value::F64(1.0), T0), T0).is_none());
    }

    #[test]
    fn stale_after_expected_period_and_recovers() {
        let mut t = TagTable::new(dir());
        t.apply(&Sample::good(TagId(0), Value::F64(500.0), at(0.0)), at(0.0));
        let mut out = Vec::new();
        t.mark_stale(at(1.9), &mut out);
        assert!(out.is_empty(), "not stale before its period");
        t.mark_stale(at(2.1), &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].state.quality, Quality::Bad(BadReason::Stale));
        assert_eq!(
            out[0].state.value,
            Some(Value::F64(500.0)),
            "stale keeps the last value"
        );
        out.clear();
        t.mark_stale(at(5.0), &mut out);
        assert!(out.is_empty(), "a stale tag is reported once");
        t.apply(&Sample::good(TagId(0), Value::F64(501.0), at(5.0)), at(5.0));
        assert_eq!(t.get(TagId(0)).unwrap().quality, Quality::Good);
    }

    #[test]
    fn stale_is_dated_when_found_and_the_reading_keeps_its_times() {
        let mut t = TagTable::new(dir());
        // read at 0 s by the source's clock, received 1 ms later; stale after 2 s
        t.apply(&Sample::good(TagId(0), Value::F64(500.0), at(0.0)), at(0.001));
        assert_eq!(t.get(TagId(0)).unwrap().quality_ts, at(0.001), "good since it arrived");
        let mut out = Vec::new();
        t.mark_stale(at(2.5), &mut out);
        let st = &out[0].state;
        assert_eq!(st.quality, Quality::Bad(BadReason::Stale));
        assert_eq!(st.quality_ts, at(2.5), "the housekeeping tick that found it");
        assert_eq!(st.source_ts, at(0.0), "the last reading's own time");
        assert_eq!(st.receive_ts, at(0.001));
        let u = t
            .apply(&Sample::good(TagId(0), Value::F64(502.0), at(3.0)), at(3.0))
            .unwrap();
        assert_eq!(u.state.quality_ts, at(3.0), "good again from the next reading");
    }

    #[test]
    fn bad_reasons_are_not_overwritten_by_stale() {
        let mut t = TagTable::new(dir());
        t.apply(&Sample::bad(TagId(0), BadReason::CommFail, at(0.0)), at(0.0));
        let mut out = Vec::new();
        t.mark_stale(at(100.0), &mut out);
        assert!(out.is_empty());
        assert_eq!(t.get(TagId(0)).unwrap().quality, Quality::Bad(BadReason::CommFail));
        // never-seen tags stay WaitingForData
        assert_eq!(
            t.get(TagId(1)).unwrap().quality,
            Quality::Bad(BadReason::WaitingForData)
        );
    }
}
