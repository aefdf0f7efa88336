//! What gets stored of a tag's stream: every sample, changes beyond a deadband, or swinging-door
//! compression with a deviation (the archive compression PI and Ignition offer). Quality changes and
//! the first sample after one are always stored. Pure: the writer feeds samples, this says which to keep.

use super::codec::StoredQuality;
use crate::tag::{HistoryMode, Value};

/// One sample as the historian sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct HistSample {
    pub ts: i64,
    pub value: Option<Value>,
    pub quality: StoredQuality,
}

impl HistSample {
    fn number(&self) -> Option<f64> {
        match &self.value {
            Some(Value::F64(x)) => Some(*x),
            Some(Value::I64(x)) => Some(*x as f64),
            _ => None,
        }
    }
}

#[derive(Debug, Default)]
pub struct Filter {
    mode: HistoryMode,
    /// The last stored sample.
    stored: Option<HistSample>,
    /// Swinging door: the newest sample, not stored (yet), and the door slopes since `stored`.
    held: Option<HistSample>,
    upper: f64,
    lower: f64,
}

impl Filter {
    pub fn new(mode: HistoryMode) -> Self {
        Self {
            mode,
            ..Self::default()
        }
    }

    /// Offers one sample; pushes what is to be stored (0, 1 or 2 samples, in time order) to `out`.
    pub fn offer(&mut self, s: HistSample, out: &mut Vec<HistSample>) {
        match self.mode {
            HistoryMode::Off => {}
            HistoryMode::All => out.push(s),
            HistoryMode::Change { deadband } => {
                let keep = match &self.stored {
                    None => true,
                    Some(last) => {
                        last.quality != s.quality
                            || match (last.number(), s.number()) {
                                (Some(a), Some(b)) => (b - a).abs() > deadband || (a.is_nan() != b.is_nan()),
                                _ => last.value != s.value,
                            }
                    }
                };
                if keep {
                    self.stored = Some(s.clone());
                    out.push(s);
                }
            }
            HistoryMode::SwingingDoor { deviation } => self.swinging_door(s, deviation, out),
        }
    }

    /// What is held back (swinging door's newest sample), to store at shutdown.
    pub fn flush(&mut self, out: &mut Vec<HistSample>) {
        if let Some(h) = self.held.take() {
            self.stored = Some(h.clone());
            out.push(h);
        }
    }

    fn swinging_door(&mut self, s: HistSample, dev: f64, out: &mut Vec<HistSample>) {
        let comparable = self.stored.as_ref().and_then(|a| {
            let (va, vs) = (a.number()?, s.number().filter(|v| v.is_finite())?);
            (a.quality == s.quality && s.ts > a.ts).then_some((a.ts, va, vs))
        });
        let Some((ta, va, vs)) = comparable else {
            // quality or type change: the held sample and this one are both stored, the doors start anew
            self.flush(out);
            self.stored = Some(s.clone());
            self.upper = f64::NEG_INFINITY;
            self.lower = f64::INFINITY;
            out.push(s);
            return;
        };
        // Doors over the samples strictly between the stored one and `s`: the held one joins them now
        // (held samples are numbers: only comparable ones are held).
        let (mut upper, mut lower) = (self.upper, self.lower);
        if let Some((th, vh)) = self.held.as_ref().and_then(|h| Some((h.ts, h.number()?))) {
            let dt = (th - ta) as f64;
            upper = upper.max((vh - (va + dev)) / dt);
            lower = lower.min((vh - (va - dev)) / dt);
        }
        let slope = (vs - va) / (s.ts - ta) as f64;
        if upper <= slope && slope <= lower {
            // A straight line from the stored sample to `s` passes within ± deviation of every sample
            // in between: `s` is the new candidate end, nothing is stored yet.
            (self.upper, self.lower) = (upper, lower);
            self.held = Some(s);
            return;
        }
        // It does not: the held sample ends the last straight segment and starts the next one.
        self.upper = f64::NEG_INFINITY;
        self.lower = f64::INFINITY;
        if let Some(h) = self.held.take() {
            self.stored = Some(h.clone());
            out.push(h);
        }
        if self.stored.as_ref().is_some_and(|a| a.ts < s.ts) {
            self.held = Some(s);
        } else {
            self.stored = Some(s.clone());
            out.push(s);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tag::{BadReason, Quality};

    fn good(ts: i64, v: f64) -> HistSample {
        HistSample {
            ts,
            value: Some(Value::F64(v)),
            quality: StoredQuality {
                quality: Quality::Good,
                has_value: true,
            },
        }
    }

    fn run(mode: HistoryMode, input: &[HistSample]) -> Vec<HistSample> {
        let mut f = Filter::new(mode);
        let mut out = Vec::new();
        for s in input {
            f.offer(s.clone(), &mut out);
        }
        f.flush(&mut out);
        out
    }

    #[test]
    fn deadband_keeps_moves_beyond_it_and_every_quality_change() {
        let mut input: Vec<_> = [10.0, 10.4, 10.6, 11.2, 11.1]
            .iter()
            .enumerate()
            .map(|(i, &v)| good(i as i64, v))
            .collect();
        input.push(HistSample {
            ts: 9,
            value: None,
            quality: StoredQuality {
                quality: Quality::Bad(BadReason::CommFail),
                has_value: false,
            },
        });
        input.push(good(10, 11.1));
        let out = run(HistoryMode::Change { deadband: 0.5 }, &input);
        let ts: Vec<i64> = out.iter().map(|s| s.ts).collect();
        assert_eq!(ts, [0, 2, 3, 9, 10]);
    }

    #[test]
    fn swinging_door_keeps_a_ramp_as_its_ends_and_every_reconstruction_stays_within_the_deviation() {
        // a ramp, a plateau, a step: SDT keeps the corners
        let values: Vec<f64> = (0..100)
            .map(|i| match i {
                0..40 => i as f64,
                40..70 => 40.0,
                _ => 10.0,
            })
            .collect();
        let input: Vec<_> = values
            .iter()
            .enumerate()
            .map(|(i, &v)| good(i as i64 * 1000, v))
            .collect();
        let dev = 0.5;
        let out = run(HistoryMode::SwingingDoor { deviation: dev }, &input);
        assert!(
            out.len() <= 8,
            "{} points kept: {:?}",
            out.len(),
            out.iter().map(|s| s.ts).collect::<Vec<_>>()
        );
        for s in &input {
            let v = s.number().unwrap();
            let k = out.partition_point(|o| o.ts <= s.ts);
            let a = &out[k - 1];
            let rebuilt = match out.get(k) {
                Some(b) => {
                    let (va, vb) = (a.number().unwrap(), b.number().unwrap());
                    va + (vb - va) * (s.ts - a.ts) as f64 / (b.ts - a.ts) as f64
                }
                None => a.number().unwrap(),
            };
            assert!((rebuilt - v).abs() <= dev + 1e-9, "at {}: {rebuilt} vs {v}", s.ts);
        }
    }

    #[test]
    fn off_stores_nothing_and_all_stores_everything() {
        let input: Vec<_> = (0..5).map(|i| good(i, 1.0)).collect();
        assert!(run(HistoryMode::Off, &input).is_empty());
        assert_eq!(run(HistoryMode::All, &input), input);
    }
}
