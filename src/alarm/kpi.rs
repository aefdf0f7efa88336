//! Alarm-system performance figures (EEMUA 191, ISA-18.2 §16.9) from journaled activations.
//!
//! Pure: the journal query hands in the activations and the standing alarms; everything here is
//! arithmetic, tested against hand-counted cases.

use super::def::Priority;
use crate::tag::Timestamp;
use serde::Serialize;
use std::collections::HashMap;
use std::time::Duration;

const TEN_MIN: i64 = 600_000_000;
/// EEMUA 191 flood: more than 10 new alarms in 10 minutes.
pub const FLOOD_PER_10_MIN: usize = 10;
/// ISA-18.2 chattering: the same alarm 3 or more times in one minute.
pub const CHATTER_COUNT: usize = 3;
pub const CHATTER_WINDOW: Duration = Duration::from_secs(60);
/// A standing alarm active longer than this is stale.
pub const STALE_AFTER: Duration = Duration::from_secs(24 * 3600);

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FloodPeriod {
    pub start: Timestamp,
    pub end: Timestamp,
    pub alarms: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Frequent {
    pub alarm: String,
    pub count: usize,
    /// Share of all activations, percent.
    pub percent: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Chattering {
    pub alarm: String,
    /// Most activations of this alarm within any one minute.
    pub max_per_minute: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KpiReport {
    pub from: Timestamp,
    pub to: Timestamp,
    pub activations: usize,
    /// Mean over the 10-minute periods of the window.
    pub per_10_min_mean: f64,
    pub per_10_min_max: usize,
    /// Periods (aligned 10-minute slots) with more than 10 alarms.
    pub floods: Vec<FloodPeriod>,
    /// Percent of the window's 10-minute slots in flood.
    pub flood_percent: f64,
    pub top10: Vec<Frequent>,
    pub chattering: Vec<Chattering>,
    /// Active at the end and for more than 24 h: (alarm, active since).
    pub stale: Vec<(String, Timestamp)>,
    /// Activations per priority, most urgent first, and their share in percent.
    pub priorities: Vec<(Priority, usize, f64)>,
}

/// Computes the report. `activations` must be in time order and inside `[from, to)`.
pub fn report(
    from: Timestamp,
    to: Timestamp,
    activations: &[(Timestamp, String, Priority)],
    standing: &[(String, Timestamp)],
) -> KpiReport {
    let n = activations.len();
    let slots = (((to.0 - from.0).max(1) + TEN_MIN - 1) / TEN_MIN).max(1) as usize;
    let mut per_slot = vec![0usize; slots];
    for (t, _, _) in activations {
        let k = ((t.0 - from.0) / TEN_MIN).clamp(0, slots as i64 - 1) as usize;
        per_slot[k] += 1;
    }
    let floods: Vec<FloodPeriod> = per_slot
        .iter()
        .enumerate()
        .filter(|(_, c)| **c > FLOOD_PER_10_MIN)
        .map(|(k, c)| FloodPeriod {
            start: Timestamp(from.0 + k as i64 * TEN_MIN),
            end: Timestamp((from.0 + (k as i64 + 1) * TEN_MIN).min(to.0)),
            alarms: *c,
        })
        .collect();
    let pct = |a: usize, b: usize| if b == 0 { 0.0 } else { 100.0 * a as f64 / b as f64 };

    let mut by_alarm: HashMap<&str, Vec<Timestamp>> = HashMap::new();
    for (t, a, _) in activations {
        by_alarm.entry(a.as_str()).or_default().push(*t);
    }
    let mut top: Vec<Frequent> = by_alarm
        .iter()
        .map(|(a, ts)| Frequent {
            alarm: (*a).to_owned(),
            count: ts.len(),
            percent: pct(ts.len(), n),
        })
        .collect();
    top.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.alarm.cmp(&b.alarm)));
    top.truncate(10);

    let window = CHATTER_WINDOW.as_micros() as i64;
    let mut chattering: Vec<Chattering> = by_alarm
        .iter()
        .filter_map(|(a, ts)| {
            // Largest number of activations inside any one-minute span (two pointers over sorted times).
            let mut best = 0;
            let mut lo = 0;
            for hi in 0..ts.len() {
                while ts[hi].0 - ts[lo].0 >= window {
                    lo += 1;
                }
                best = best.max(hi - lo + 1);
            }
            (best >= CHATTER_COUNT).then(|| Chattering {
                alarm: (*a).to_owned(),
                max_per_minute: best,
            })
        })
        .collect();
    chattering.sort_by(|a, b| {
        b.max_per_minute
            .cmp(&a.max_per_minute)
            .then_with(|| a.alarm.cmp(&b.alarm))
    });

    let stale = standing
        .iter()
        .filter(|(_, since)| to.saturating_since(*since) > STALE_AFTER)
        .cloned()
        .collect();
    let priorities = Priority::ALL
        .iter()
        .map(|p| {
            let c = activations.iter().filter(|(_, _, q)| q == p).count();
            (*p, c, pct(c, n))
        })
        .collect();
    KpiReport {
        from,
        to,
        activations: n,
        per_10_min_mean: n as f64 / slots as f64,
        per_10_min_max: per_slot.iter().copied().max().unwrap_or(0),
        flood_percent: pct(floods.len(), slots),
        floods,
        top10: top,
        chattering,
        stale,
        priorities,
    }
}

impl KpiReport {
    /// The report as a person reads it (the `alarms report` command).
    pub fn to_text(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "Alarm performance {} .. {}",
            self.from.to_rfc3339(),
            self.to.to_rfc3339()
        );
        let _ = writeln!(s, "  alarms:                  {}", self.activations);
        let _ = writeln!(
            s,
            "  per 10 min:              mean {:.2}, max {} (EEMUA 191: ~1 acceptable, >10 is a flood)",
            self.per_10_min_mean, self.per_10_min_max
        );
        let _ = writeln!(
            s,
            "  time in flood:           {:.1} % ({} periods)",
            self.flood_percent,
            self.floods.len()
        );
        for f in &self.floods {
            let _ = writeln!(
                s,
                "    {} .. {}  {} alarms",
                f.start.to_rfc3339(),
                f.end.to_rfc3339(),
                f.alarms
            );
        }
        let _ = writeln!(
            s,
            "  priority distribution:   (ISA-18.2 aim: ~5 % high, ~15 % medium, ~80 % low)"
        );
        for (p, c, pc) in &self.priorities {
            let _ = writeln!(s, "    {:<11} {c:>7}  {pc:5.1} %", p.name());
        }
        let _ = writeln!(s, "  top 10 most frequent:");
        for f in &self.top10 {
            let _ = writeln!(s, "    {:<40} {:>7}  {:5.1} %", f.alarm, f.count, f.percent);
        }
        let _ = writeln!(s, "  chattering (>= 3 in 1 min): {}", self.chattering.len());
        for c in &self.chattering {
            let _ = writeln!(s, "    {:<40} {} in one minute", c.alarm, c.max_per_minute);
        }
        let _ = writeln!(s, "  stale (active > 24 h):   {}", self.stale.len());
        for (a, since) in &self.stale {
            let _ = writeln!(s, "    {a:<40} since {}", since.to_rfc3339());
        }
        s
    }

    /// `section,key,value,extra` rows: one file a spreadsheet opens.
    pub fn to_csv(&self) -> String {
        use std::fmt::Write;
        let q = |s: &str| {
            if s.contains([',', '"', '\n']) {
                format!("\"{}\"", s.replace('"', "\"\""))
            } else {
                s.to_owned()
            }
        };
        let mut s = String::from("section,key,value,extra\n");
        let _ = writeln!(s, "window,from,{},", self.from.to_rfc3339());
        let _ = writeln!(s, "window,to,{},", self.to.to_rfc3339());
        let _ = writeln!(s, "summary,alarms,{},", self.activations);
        let _ = writeln!(s, "summary,per_10_min_mean,{:.3},", self.per_10_min_mean);
        let _ = writeln!(s, "summary,per_10_min_max,{},", self.per_10_min_max);
        let _ = writeln!(s, "summary,flood_percent,{:.2},", self.flood_percent);
        for f in &self.floods {
            let _ = writeln!(s, "flood,{},{},{}", f.start.to_rfc3339(), f.alarms, f.end.to_rfc3339());
        }
        for (p, c, pc) in &self.priorities {
            let _ = writeln!(s, "priority,{},{c},{pc:.2}", p.name());
        }
        for f in &self.top10 {
            let _ = writeln!(s, "top10,{},{},{:.2}", q(&f.alarm), f.count, f.percent);
        }
        for c in &self.chattering {
            let _ = writeln!(s, "chattering,{},{},", q(&c.alarm), c.max_per_minute);
        }
        for (a, since) in &self.stale {
            let _ = writeln!(s, "stale,{},{},", q(a), since.to_rfc3339());
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_795_000_000_000_000;

    fn at(secs: i64) -> Timestamp {
        Timestamp(T0 + secs * 1_000_000)
    }

    #[test]
    fn counts_floods_chatter_top_and_stale() {
        let mut acts = Vec::new();
        // 12 different alarms in the first 10 minutes: a flood.
        for k in 0..12 {
            acts.push((at(10 + k * 30), format!("a{k}"), Priority::Low));
        }
        // "pump:HI" 3 times in 50 s (chattering), once more an hour later.
        for s in [1_000, 1_020, 1_050, 4_600] {
            acts.push((at(s), "pump:HI".to_owned(), Priority::High));
        }
        // "sep:LO" twice in a minute: not chattering.
        for s in [5_000, 5_030] {
            acts.push((at(s), "sep:LO".to_owned(), Priority::Medium));
        }
        acts.sort_by_key(|a| a.0);
        let standing = vec![("old".to_owned(), at(-90_000)), ("new".to_owned(), at(3_000))];
        let r = report(at(0), at(7_200), &acts, &standing);
        assert_eq!(r.activations, 18);
        assert_eq!(r.per_10_min_max, 12);
        assert!((r.per_10_min_mean - 18.0 / 12.0).abs() < 1e-9);
        assert_eq!(r.floods.len(), 1);
        assert_eq!(r.floods[0].alarms, 12);
        assert!((r.flood_percent - 100.0 / 12.0).abs() < 1e-9);
        assert_eq!(r.top10[0].alarm, "pump:HI");
        assert_eq!(r.top10[0].count, 4);
        assert_eq!(r.top10[1].alarm, "sep:LO");
        assert_eq!(r.top10.len(), 10);
        assert_eq!(
            r.chattering,
            vec![Chattering {
                alarm: "pump:HI".into(),
                max_per_minute: 3
            }]
        );
        assert_eq!(r.stale, vec![("old".to_owned(), at(-90_000))]);
        let counts: Vec<usize> = r.priorities.iter().map(|p| p.1).collect();
        assert_eq!(counts, vec![0, 4, 2, 12, 0]);
        assert!(r.to_text().contains("pump:HI"));
        assert!(r.to_csv().lines().any(|l| l == "chattering,pump:HI,3,"));
    }

    #[test]
    fn empty_window_is_quiet() {
        let r = report(at(0), at(600), &[], &[]);
        assert_eq!(r.activations, 0);
        assert_eq!(r.per_10_min_mean, 0.0);
        assert!(r.floods.is_empty() && r.top10.is_empty() && r.chattering.is_empty());
    }
}
