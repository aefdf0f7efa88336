//! Decline of a well's daily rates (issue 21): the daily allocated rates production accounting kept before
//! the console (a CSV per well), continued by the console's own historian (the well's liquid rate meter,
//! from its hour rollups, split into oil, water and gas by the well's approved tests); the series of one
//! phase in a chosen window, with the days the engineer excluded; the Arps fit and its forecast to the site's
//! economic limit (`crate::calc::decline`).
//!
//! Units: days are days since 1970-01-01 UTC; oil STB/d, water and liquid bbl/d, gas Mscf/d; cumulatives are
//! the rate's volume (STB, bbl, Mscf).
//!
//! `daily_rates` and `analyse` are pure (`daily_rates` reads only the `History` it is
//! given). Fitting is "on demand / background" work (ENGINEERING.md §6): the `DeclineWorker` thread does it,
//! never the UI's; it opens the historian read-only per request and only reads the production view. Must
//! not write anything, nor import `ui`.

use super::config::{ProducerConfig, ProductionConfig};
use super::model::{TestStatus, WellTest};
use super::view::ProductionViewCell;
use crate::calc::decline::{self as arps, DeclineFit, DeclineKind, FitOptions, Forecast};
use crate::historian::query::{History, QueryError};
use crate::historian::rollup::{Bucket, HOUR_US, Resolution};
pub use crate::project::production_csv::{DailyRate, MAX_HISTORY_ROWS, RatePhase, iso_date, parse_day};
use crate::tag::{TagDirectory, Timestamp};
use crossbeam_channel::{Receiver, Sender, TrySendError, bounded};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Microseconds in a day (UTC days: the historian's timestamps are UTC).
pub const DAY_US: i64 = 86_400_000_000;
/// Days an engineer may exclude from one fit at most.
pub const MAX_EXCLUDED_DAYS: usize = 10_000;
/// A day from the historian counts when its rate was known for at least half of it: a day mostly
/// without data says little about the day's production.
const MIN_COVERED_US: i64 = 12 * HOUR_US;
/// Requests and answers waiting at most (each channel).
const QUEUE: usize = 16;

/// What the engineer chose for one well's decline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DeclineSettings {
    pub phase: RatePhase,
    pub kind: DeclineKind,
    /// The fit's window, days since 1970-01-01 (inclusive; None: from the first day, to the last).
    pub from_day: Option<i64>,
    pub to_day: Option<i64>,
    /// Days left out of the fit (downtime, partial days, bad allocations): at most `MAX_EXCLUDED_DAYS`,
    /// kept sorted and without repeats by `set_excluded` (`analyse` does not rely on it).
    pub excluded_days: Vec<i64>,
    /// Upper bound of b in a hyperbolic fit; above 1 only with `d_min_per_year`.
    pub b_max: f64,
    /// Terminal decline, nominal per year (e.g. 0.06).
    pub d_min_per_year: Option<f64>,
}

impl Default for DeclineSettings {
    /// Oil, hyperbolic with b ≤ 1, the whole history, nothing excluded, no terminal decline.
    fn default() -> Self {
        Self {
            phase: RatePhase::Oil,
            kind: DeclineKind::Hyperbolic,
            from_day: None,
            to_day: None,
            excluded_days: Vec::new(),
            b_max: 1.0,
            d_min_per_year: None,
        }
    }
}

impl DeclineSettings {
    pub fn fit_options(&self) -> FitOptions {
        FitOptions {
            kind: self.kind,
            b_max: self.b_max,
            d_min_per_year: self.d_min_per_year,
        }
    }

    /// `day` lies in the window.
    pub fn in_window(&self, day: i64) -> bool {
        self.from_day.is_none_or(|f| day >= f) && self.to_day.is_none_or(|t| day <= t)
    }

    pub fn is_excluded(&self, day: i64) -> bool {
        self.excluded_days.contains(&day)
    }

    /// Excludes `day` from the fit or brings it back (a click on a point), keeping the list sorted. False
    /// when the list already holds `MAX_EXCLUDED_DAYS` and `day` was not added.
    pub fn set_excluded(&mut self, day: i64, excluded: bool) -> bool {
        self.excluded_days.sort_unstable();
        self.excluded_days.dedup();
        match (self.excluded_days.binary_search(&day), excluded) {
            (Ok(i), false) => {
                self.excluded_days.remove(i);
            }
            (Err(i), true) => {
                if self.excluded_days.len() >= MAX_EXCLUDED_DAYS {
                    return false;
                }
                self.excluded_days.insert(i, day);
            }
            _ => {}
        }
        true
    }
}

/// One day of the series a fit was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DeclinePoint {
    pub day: i64,
    /// The phase's rate, its unit (`RatePhase::unit`).
    pub q: f64,
    /// Excluded by the engineer.
    pub excluded: bool,
    /// Inside the fit's window.
    pub in_window: bool,
}

/// The worker's answer to one request.
#[derive(Debug, Clone, PartialEq)]
pub struct DeclineAnswer {
    /// The request's id.
    pub id: u64,
    pub well: String,
    pub settings: DeclineSettings,
    /// Every day of the phase's series (the whole history, oldest first), flagged.
    pub points: Vec<DeclinePoint>,
    /// The fit and forecast (to the site's economic limit, t_now = the series' last day; EUR and remaining
    /// in the phase's volume, from the first day of the series) or why not.
    pub result: Result<(DeclineFit, Forecast), String>,
    pub computed_in: Duration,
}

// ---- daily rates from the historian ----

/// Daily rates of a well: the CSV's days, then the historian's days after the CSV's last one (and before
/// `now_day`, which is not over yet; at most `MAX_HISTORY_ROWS` days back): the well's `rate` tag (liquid
/// bbl/d, named `rate_tag_name` in the historian) from Hour rollups, time-weighted per UTC day
/// (Σintegral/Σcovered_us; a day needs ≥ 12 h covered), split into oil/water/gas by the newest APPROVED
/// test of `w` in `tests` that ended before that day (`split_by_tests`). Pure apart from the History it is
/// given; a history that cannot be read gives the CSV's days (logged).
pub fn daily_rates(
    w: &ProducerConfig,
    csv: &[DailyRate],
    history: Option<&History>,
    rate_tag_name: Option<&str>,
    tests: &[WellTest],
    now_day: i64,
) -> Vec<DailyRate> {
    let mut out = csv.to_vec();
    let (Some(history), Some(tag)) = (history, rate_tag_name) else {
        return out;
    };
    let from_day = csv
        .last()
        .map_or(0, |r| r.day.saturating_add(1))
        .max(now_day.saturating_sub(MAX_HISTORY_ROWS as i64));
    if from_day >= now_day {
        return out;
    }
    let from = from_day.saturating_mul(DAY_US);
    let to = now_day.saturating_mul(DAY_US).saturating_sub(1);
    let buckets = match history.buckets(Resolution::Hour, tag, from, to) {
        Ok(b) => b,
        // Not historized yet: the CSV is all there is.
        Err(QueryError::UnknownTag(_)) => return out,
        Err(e) => {
            tracing::warn!(well = %w.id, "decline: the historian's rates of {tag} could not be read: {e}");
            return out;
        }
    };
    let days = days_from_buckets(&buckets, from_day, now_day);
    out.extend(split_by_tests(&w.id, &days, tests));
    out
}

/// The liquid rate of each UTC day in `from_day..to_day` from hour buckets of a rate tag (oldest first, as
/// the historian answers them): the time-weighted mean Σintegral/Σcovered_us of the day's buckets, in the
/// tag's unit, for days with at least 12 h covered and a finite mean ≥ 0 (a negative mean is a meter
/// fault, not a rate).
fn days_from_buckets(buckets: &[Bucket], from_day: i64, to_day: i64) -> Vec<(i64, f64)> {
    // (day, Σintegral, Σcovered_us)
    let mut sums: Vec<(i64, f64, i64)> = Vec::new();
    for b in buckets {
        let day = b.start.div_euclid(DAY_US);
        if day < from_day || day >= to_day || b.covered_us <= 0 || !b.integral.is_finite() {
            continue;
        }
        if let Some(last) = sums.last_mut().filter(|l| l.0 == day) {
            last.1 += b.integral;
            last.2 += b.covered_us;
        } else {
            sums.push((day, b.integral, b.covered_us));
        }
    }
    sums.into_iter()
        .filter(|&(_, _, covered)| covered >= MIN_COVERED_US)
        .filter_map(|(day, integral, covered)| {
            let q = integral / covered as f64;
            (q.is_finite() && q >= 0.0).then_some((day, q))
        })
        .collect()
}

/// The share of water in a test's liquid and its gas per barrel of liquid (Mscf/bbl): its water cut and
/// GOR (gas = oil·GOR/1000 = liquid·gas_test/liquid_test), defined too when the test's oil is 0. None when
/// its liquid rate is 0. (The test's oil is stock-tank barrels; the split takes them as barrels of liquid.)
fn split_of(t: &WellTest) -> Option<(f64, f64)> {
    let liquid = t.m.oil_stb_d + t.m.water_bbl_d;
    (liquid.is_finite() && liquid > 0.0 && t.m.gas_mscf_d.is_finite())
        .then_some((t.m.water_bbl_d / liquid, t.m.gas_mscf_d / liquid))
}

/// Each day's liquid (bbl/d) split into oil, water and gas by the newest approved test of `well` that ended
/// before the day began; a day before any such test keeps its liquid only (oil and gas NaN).
fn split_by_tests(well: &str, days: &[(i64, f64)], tests: &[WellTest]) -> Vec<DailyRate> {
    let mut splits: Vec<(i64, (f64, f64))> = tests
        .iter()
        .filter(|t| t.status == TestStatus::Approved && t.m.well == well)
        .filter_map(|t| Some((t.m.end.0, split_of(t)?)))
        .collect();
    splits.sort_by_key(|s| s.0);
    let mut next = 0;
    let mut current = None;
    days.iter()
        .map(|&(day, liquid)| {
            let start = day.saturating_mul(DAY_US);
            while let Some(&(end, split)) = splits.get(next) {
                if end > start {
                    break;
                }
                current = Some(split);
                next += 1;
            }
            match current {
                Some((water_share, gas_per_bbl)) => DailyRate {
                    day,
                    oil_stb_d: liquid * (1.0 - water_share),
                    water_bbl_d: liquid * water_share,
                    gas_mscf_d: liquid * gas_per_bbl,
                },
                None => DailyRate {
                    day,
                    oil_stb_d: f64::NAN,
                    water_bbl_d: liquid,
                    gas_mscf_d: f64::NAN,
                },
            }
        })
        .collect()
}

// ---- the fit ----

/// The economic limit in `phase`'s unit: the site's limit is an oil rate (STB/d); the well's liquid and gas at
/// that oil rate follow its latest day with oil (the water and gas that come with each barrel then).
pub fn phase_limit(rates: &[DailyRate], phase: RatePhase, oil_limit_stb_d: f64) -> f64 {
    let latest = rates
        .iter()
        .rev()
        .find(|r| r.oil_stb_d.is_finite() && r.oil_stb_d > 0.0);
    let per_oil = |q: Option<f64>| {
        latest
            .zip(q)
            .map(|(r, q)| q / r.oil_stb_d)
            .filter(|k| k.is_finite() && *k > 0.0)
    };
    match phase {
        RatePhase::Oil => oil_limit_stb_d,
        RatePhase::Liquid => {
            per_oil(latest.and_then(|r| r.rate(RatePhase::Liquid))).map_or(oil_limit_stb_d, |k| oil_limit_stb_d * k)
        }
        RatePhase::Gas => {
            per_oil(latest.and_then(|r| r.rate(RatePhase::Gas))).map_or(oil_limit_stb_d, |k| oil_limit_stb_d * k)
        }
    }
}

/// The series to fit for `settings` (the phase's known days, flagged for the window and the exclusions) and
/// the fit of its days in the window not excluded, with its forecast to `q_el` (the economic limit in the
/// phase's unit: STB/d, bbl/d or Mscf/d). t_now is the series' last day; the produced volume to now is
/// the sum of the series' daily rates (every day, excluded ones too: they were produced), so the EUR counts
/// from the series' first day. Pure.
pub fn analyse(
    rates: &[DailyRate],
    settings: &DeclineSettings,
    q_el: f64,
) -> (Vec<DeclinePoint>, Result<(DeclineFit, Forecast), String>) {
    let mut excluded_days = settings.excluded_days.clone();
    excluded_days.sort_unstable();
    excluded_days.dedup();
    let points: Vec<DeclinePoint> = rates
        .iter()
        .filter_map(|r| {
            Some(DeclinePoint {
                day: r.day,
                q: r.rate(settings.phase)?,
                excluded: excluded_days.binary_search(&r.day).is_ok(),
                in_window: settings.in_window(r.day),
            })
        })
        .collect();
    let result = fit_points(&points, settings, excluded_days.len(), q_el);
    (points, result)
}

fn fit_points(
    points: &[DeclinePoint],
    settings: &DeclineSettings,
    excluded_days: usize,
    q_el: f64,
) -> Result<(DeclineFit, Forecast), String> {
    if excluded_days > MAX_EXCLUDED_DAYS {
        return Err(format!(
            "{excluded_days} days excluded: at most {MAX_EXCLUDED_DAYS}; choose a window instead"
        ));
    }
    if let (Some(from), Some(to)) = (settings.from_day, settings.to_day)
        && to < from
    {
        return Err(format!(
            "the window ends ({}) before it starts ({})",
            iso_date(to),
            iso_date(from)
        ));
    }
    let window: Vec<&DeclinePoint> = points.iter().filter(|p| p.in_window).collect();
    let t: Vec<f64> = window.iter().map(|p| p.day as f64).collect();
    let q: Vec<f64> = window.iter().map(|p| p.q).collect();
    let excluded: Vec<bool> = window.iter().map(|p| p.excluded).collect();
    let fit = arps::fit(&t, &q, &excluded, &settings.fit_options()).map_err(|e| e.to_string())?;
    // The fit used at least 3 points, so the series has a last day.
    let t_now = points.last().map_or(fit.t0_days, |p| p.day as f64);
    let produced: f64 = points.iter().map(|p| p.q).sum();
    let forecast = arps::forecast(&fit, t_now, q_el, Some(produced)).map_err(|e| match e.field() {
        "q_el" => format!(
            "no forecast to the economic limit ({q_el} {}) from {}: {e}",
            settings.phase.unit(),
            iso_date(t_now as i64)
        ),
        _ => e.to_string(),
    })?;
    Ok((fit, forecast))
}

// ---- the worker ----

/// One request to the worker.
#[derive(Debug, Clone)]
struct Request {
    id: u64,
    well: String,
    settings: DeclineSettings,
}

/// The thread that reads wells' rates and fits their declines, off the UI thread: one thread, a bounded
/// request queue and a bounded answer queue (`QUEUE` each); neither `request` nor `poll` ever blocks.
pub struct DeclineWorker {
    requests: Option<Sender<Request>>,
    answers: Receiver<DeclineAnswer>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// The worker thread's state.
struct Fitter {
    cfg: Arc<ProductionConfig>,
    /// Each well's CSV history, by well id.
    csv: Vec<(String, Arc<Vec<DailyRate>>)>,
    /// The historian's file and the tags it names.
    history: Option<(PathBuf, Arc<TagDirectory>)>,
    /// The approved tests that split the historian's liquid.
    view: ProductionViewCell,
    answers: Sender<DeclineAnswer>,
    /// The answer queue's other end: the oldest answer is dropped when the console has not polled.
    oldest: Receiver<DeclineAnswer>,
    stop: Arc<AtomicBool>,
}

impl DeclineWorker {
    /// Starts the worker. `csv`: each well's daily rates from before the console (by well id); `history`:
    /// the historian's file (it may not exist yet: then the CSV alone) and the tags it names; `view`: the
    /// production view, whose approved tests split the historian's liquid rates.
    pub fn start(
        cfg: Arc<ProductionConfig>,
        csv: Vec<(String, Arc<Vec<DailyRate>>)>,
        history: Option<(PathBuf, Arc<TagDirectory>)>,
        view: ProductionViewCell,
    ) -> std::io::Result<Self> {
        let (request_tx, request_rx) = bounded(QUEUE);
        let (answer_tx, answer_rx) = bounded(QUEUE);
        let stop = Arc::new(AtomicBool::new(false));
        let fitter = Fitter {
            cfg,
            csv,
            history,
            view,
            answers: answer_tx,
            oldest: answer_rx.clone(),
            stop: stop.clone(),
        };
        let thread = std::thread::Builder::new()
            .name("production-decline".into())
            .spawn(move || fitter.run(&request_rx))?;
        Ok(Self {
            requests: Some(request_tx),
            answers: answer_rx,
            stop,
            thread: Some(thread),
        })
    }

    /// Queues a request (false when the queue is full: ask again on a later frame); the newest request per
    /// well supersedes older queued ones (those get no answer).
    pub fn request(&self, id: u64, well: &str, settings: DeclineSettings) -> bool {
        self.requests.as_ref().is_some_and(|tx| {
            tx.try_send(Request {
                id,
                well: well.to_owned(),
                settings,
            })
            .is_ok()
        })
    }

    /// The next answer, if one is ready. Answers not polled are kept up to `QUEUE`, the oldest dropped first.
    pub fn poll(&self) -> Option<DeclineAnswer> {
        self.answers.try_recv().ok()
    }
}

impl Drop for DeclineWorker {
    /// Stops the thread after the fit it is doing, and joins it.
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        drop(self.requests.take());
        if let Some(t) = self.thread.take()
            && t.join().is_err()
        {
            tracing::error!("the decline worker panicked");
        }
    }
}

/// The requests to answer from what was queued together, in order: the newest per well only.
fn newest_per_well(queued: Vec<Request>) -> Vec<Request> {
    let mut out: Vec<Request> = Vec::with_capacity(queued.len());
    for r in queued {
        out.retain(|o| o.well != r.well);
        out.push(r);
    }
    out
}

impl Fitter {
    fn run(self, requests: &Receiver<Request>) {
        // Ends when the worker is dropped (its sender with it).
        while let Ok(first) = requests.recv() {
            let mut queued = vec![first];
            queued.extend(requests.try_iter().take(QUEUE));
            for r in newest_per_well(queued) {
                if self.stop.load(Ordering::Relaxed) {
                    return;
                }
                let answer = self.answer(r);
                self.publish(answer);
            }
        }
    }

    fn answer(&self, r: Request) -> DeclineAnswer {
        let started = Instant::now();
        let now_day = Timestamp::now().0.div_euclid(DAY_US);
        let (points, result) = match self.cfg.well(&r.well) {
            Some(w) => {
                let rates = self.rates(w, now_day);
                let q_el = phase_limit(&rates, r.settings.phase, self.cfg.economic_limit_stb_d);
                analyse(&rates, &r.settings, q_el)
            }
            None => (
                Vec::new(),
                Err(format!("no well '{}' in the site's production configuration", r.well)),
            ),
        };
        DeclineAnswer {
            id: r.id,
            well: r.well,
            settings: r.settings,
            points,
            result,
            computed_in: started.elapsed(),
        }
    }

    /// The well's daily rates: its CSV, then the historian (opened read-only for this request) when the well
    /// has a rate tag and the historian's file exists.
    fn rates(&self, w: &ProducerConfig, now_day: i64) -> Vec<DailyRate> {
        let csv: &[DailyRate] = self
            .csv
            .iter()
            .find(|(id, _)| *id == w.id)
            .map(|(_, rates)| rates.as_slice())
            .unwrap_or_default();
        // The summary's approved tests come from the store, not the view's newest tests.
        let view = self.view.load();
        let tests: Vec<WellTest> = view
            .wells
            .iter()
            .find(|s| s.well == w.id)
            .map_or_else(Vec::new, |s| s.approved.clone());
        let history = self.history.as_ref().and_then(|(path, tags)| {
            let name = tags.get(w.rate?)?.name.clone();
            if !path.exists() {
                return None;
            }
            let h = History::open(path)
                .inspect_err(|e| tracing::warn!(well = %w.id, "decline: the historian could not be opened: {e}"))
                .ok()?;
            Some((h, name))
        });
        match &history {
            Some((h, name)) => daily_rates(w, csv, Some(h), Some(name.as_str()), &tests, now_day),
            None => daily_rates(w, csv, None, None, &tests, now_day),
        }
    }

    /// Hands an answer over without waiting: when the console has let `QUEUE` answers pile up, the oldest
    /// goes.
    fn publish(&self, mut answer: DeclineAnswer) {
        loop {
            match self.answers.try_send(answer) {
                Ok(()) | Err(TrySendError::Disconnected(_)) => return,
                Err(TrySendError::Full(a)) => {
                    answer = a;
                    let _oldest = self.oldest.try_recv();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calc::decline::Arps;
    use crate::calc::ipr::IprModel;
    use crate::production::config::{PwfSource, SeparatorConfig, ServiceTags, TestSettings};
    use crate::production::view::ProductionView;
    use crate::project::diag::SourceFile;
    use crate::project::production_csv::parse_history_csv;
    use crate::tag::{DriverId, TagId};

    fn rel(a: f64, b: f64) -> f64 {
        (a - b).abs() / b.abs()
    }

    fn parse(text: &str) -> Result<Vec<DailyRate>, Vec<String>> {
        parse_history_csv(&SourceFile::new("h.csv", text)).map_err(|e| e.iter().map(ToString::to_string).collect())
    }

    const HEAD: &str = "date,oil_stb_d,water_bbl_d,gas_mscf_d\n";

    #[test]
    fn days_are_counted_from_1970_in_utc() {
        assert_eq!(parse_day("1970-01-01"), Some(0));
        assert_eq!(parse_day("2024-12-01"), Some(20_058));
        assert_eq!(parse_day("2026-11-30"), Some(20_787));
        assert_eq!(parse_day("1969-12-31"), Some(-1));
        assert_eq!(parse_day("2025-02-29"), None);
        assert_eq!(parse_day("30/11/2026"), None);
        assert_eq!(iso_date(20_787), "2026-11-30");
        assert_eq!(iso_date(-1), "1969-12-31");
        assert_eq!(iso_date(i64::MAX / 2), format!("day {}", i64::MAX / 2));
    }

    #[test]
    fn a_history_csv_is_read_with_comments_blank_lines_and_any_header_case() {
        let text = "# from accounting\n\nDate, OIL_STB_D ,water_bbl_d,gas_mscf_d\r\n2025-01-01,100.5,50,20.25\r\n\
                    # a note\n2025-01-02, 99 ,51,0\n2025-01-04,0,0,0\n";
        let rates = parse(text).unwrap();
        assert_eq!(
            rates,
            vec![
                DailyRate {
                    day: 20_089,
                    oil_stb_d: 100.5,
                    water_bbl_d: 50.0,
                    gas_mscf_d: 20.25
                },
                DailyRate {
                    day: 20_090,
                    oil_stb_d: 99.0,
                    water_bbl_d: 51.0,
                    gas_mscf_d: 0.0
                },
                DailyRate {
                    day: 20_092,
                    oil_stb_d: 0.0,
                    water_bbl_d: 0.0,
                    gas_mscf_d: 0.0
                },
            ]
        );
        assert!(parse(HEAD).unwrap().is_empty());
    }

    #[test]
    fn a_bad_history_csv_is_reported_at_line_and_column() {
        let header = "h.csv:1:1: expected the header 'date,oil_stb_d,water_bbl_d,gas_mscf_d'";
        let cases: [(String, &str); 10] = [
            ("day,oil\n2025-01-01,1\n".into(), header),
            ("# only a comment\n".into(), header),
            (
                format!("{HEAD}2025-01-01,abc,1,2\n"),
                "h.csv:2:12: 'abc' is not a number",
            ),
            (
                format!("{HEAD}2025-01-01,1,1,inf\n"),
                "h.csv:2:16: 'inf' is not a number",
            ),
            (
                format!("{HEAD}2025-13-01,1,1,1\n"),
                "h.csv:2:1: '2025-13-01' is not a date (YYYY-MM-DD)",
            ),
            (
                format!("{HEAD}2025-01-01,1,-2,1\n"),
                "h.csv:2:14: '-2' is below 0: a rate is 0 or more",
            ),
            (
                format!("{HEAD}2025-01-01,1,2\n"),
                "h.csv:2:1: expected 4 values (date,oil_stb_d,water_bbl_d,gas_mscf_d), found 3",
            ),
            (
                format!("{HEAD}2025-01-02,1,1,1\n2025-01-01,1,1,1\n"),
                "h.csv:3:1: 2025-01-01 does not come after 2025-01-02 (line 2): dates must increase, one row a day",
            ),
            (
                format!("{HEAD}2025-01-01,1,1,1\n# same day again\n2025-01-01,2,2,2\n"),
                "h.csv:4:1: 2025-01-01 does not come after 2025-01-01 (line 2): dates must increase, one row a day",
            ),
            (
                format!("{HEAD}2025-01-01, x ,1,1\n2025-01-02,1,1\n"),
                "h.csv:2:12: 'x' is not a number",
            ),
        ];
        for (text, first) in &cases {
            let e = parse(text).unwrap_err();
            assert_eq!(e[0], *first, "{text}");
        }
        // every bad line is listed
        let e = parse(&format!("{HEAD}2025-01-01,a,b,1\n2025-01-02,1,1\n")).unwrap_err();
        assert_eq!(e.len(), 3, "{e:?}");
    }

    #[test]
    fn a_history_csv_holds_at_most_100_years() {
        let rows = |n: usize| -> String {
            let mut s = HEAD.to_owned();
            for day in 0..n as i64 {
                s.push_str(&format!("{},1,1,1\n", iso_date(day)));
            }
            s
        };
        assert_eq!(parse(&rows(MAX_HISTORY_ROWS)).unwrap().len(), MAX_HISTORY_ROWS);
        let e = parse(&rows(MAX_HISTORY_ROWS + 1)).unwrap_err();
        assert_eq!(e.len(), 1);
        assert!(
            e[0].starts_with(&format!("h.csv:{}:1: more than 36600 rows", MAX_HISTORY_ROWS + 2)),
            "{}",
            e[0]
        );
    }

    fn bucket(start: i64, mean: f64, covered_us: i64) -> Bucket {
        Bucket {
            start,
            count: 1,
            min: mean,
            max: mean,
            sum: mean,
            integral: mean * covered_us as f64,
            covered_us,
            hold: None,
            last_t: start,
        }
    }

    #[test]
    fn a_day_from_the_historian_is_its_time_weighted_rate_when_half_of_it_is_covered() {
        let day = 20_000;
        let hour = |d: i64, h: i64| d * DAY_US + h * HOUR_US;
        let mut b = Vec::new();
        // the day before the range
        b.push(bucket(hour(day - 1, 23), 999.0, HOUR_US));
        // a whole day at 100 bbl/d
        b.extend((0..24).map(|h| bucket(hour(day, h), 100.0, HOUR_US)));
        // 11 h covered: not a day
        b.extend((0..11).map(|h| bucket(hour(day + 1, h), 100.0, HOUR_US)));
        // 12 h covered, half at 50 and half at 150, one hour half covered at 300
        b.extend((0..6).map(|h| bucket(hour(day + 2, h), 50.0, HOUR_US)));
        b.extend((6..12).map(|h| bucket(hour(day + 2, h), 150.0, HOUR_US)));
        b.push(bucket(hour(day + 2, 12), 300.0, HOUR_US / 2));
        // a negative mean (a meter fault) and a day past the range
        b.extend((0..24).map(|h| bucket(hour(day + 3, h), -1.0, HOUR_US)));
        b.extend((0..24).map(|h| bucket(hour(day + 4, h), 100.0, HOUR_US)));
        let days = days_from_buckets(&b, day, day + 4);
        assert_eq!(days.len(), 2, "{days:?}");
        assert_eq!(days[0], (day, 100.0));
        let expected = (50.0 * 6.0 + 150.0 * 6.0 + 300.0 * 0.5) / 12.5;
        assert_eq!(days[1].0, day + 2);
        assert!(rel(days[1].1, expected) < 1e-12, "{days:?}");
    }

    fn well_test(id: i64, well: &str, end_us: i64, oil: f64, water: f64, gas: f64, status: TestStatus) -> WellTest {
        let mut m = crate::production::store::sample(well, 0);
        m.end = Timestamp(end_us);
        m.oil_stb_d = oil;
        m.water_bbl_d = water;
        m.gas_mscf_d = gas;
        WellTest {
            id,
            m,
            status,
            tested_by: None,
            tested_at: None,
            decided_by: None,
            decided_at: None,
            reason: String::new(),
            note: String::new(),
        }
    }

    #[test]
    fn the_historians_liquid_is_split_by_the_newest_approved_test_ended_before_the_day() {
        let d = 20_000;
        let tests = [
            // ended during day d: splits from day d + 1
            well_test(
                1,
                "w1",
                d * DAY_US + 10 * HOUR_US,
                100.0,
                100.0,
                50.0,
                TestStatus::Approved,
            ),
            // ended at midnight, as day d + 2 began: splits day d + 2
            well_test(2, "w1", (d + 2) * DAY_US, 150.0, 50.0, 30.0, TestStatus::Approved),
            // neither pending, rejected, another well's nor a test without liquid counts
            well_test(3, "w1", (d + 1) * DAY_US, 10.0, 190.0, 1.0, TestStatus::Pending),
            well_test(4, "w1", (d + 1) * DAY_US, 10.0, 190.0, 1.0, TestStatus::Rejected),
            well_test(5, "w2", (d + 1) * DAY_US, 10.0, 190.0, 1.0, TestStatus::Approved),
            well_test(6, "w1", (d + 3) * DAY_US, 0.0, 0.0, 0.0, TestStatus::Approved),
        ];
        let days: Vec<(i64, f64)> = (d..d + 4).map(|day| (day, 200.0)).collect();
        let r = split_by_tests("w1", &days, &tests);
        assert_eq!(r.len(), 4);
        assert_eq!(r[0].day, d);
        assert_eq!((r[0].rate(RatePhase::Oil), r[0].rate(RatePhase::Gas)), (None, None));
        assert_eq!(r[0].rate(RatePhase::Liquid), Some(200.0));
        let split = |x: &DailyRate, oil: f64, water: f64, gas: f64| {
            rel(x.oil_stb_d, oil) < 1e-12 && rel(x.water_bbl_d, water) < 1e-12 && rel(x.gas_mscf_d, gas) < 1e-12
        };
        assert!(split(&r[1], 100.0, 100.0, 50.0), "{:?}", r[1]);
        assert!(split(&r[2], 150.0, 50.0, 30.0), "{:?}", r[2]);
        assert!(split(&r[3], 150.0, 50.0, 30.0), "{:?}", r[3]);
        assert_eq!(r[3].rate(RatePhase::Liquid), Some(200.0));
    }

    fn producer(id: &str) -> ProducerConfig {
        ProducerConfig {
            id: id.into(),
            label: id.to_uppercase(),
            reservoir_psi: 2500.0,
            bubble_point_psi: None,
            ipr: IprModel::Vogel,
            pwf: PwfSource::Fixed(1500.0),
            whp: None,
            rate: Some(TagId(0)),
            esp: None,
            history: std::sync::Arc::default(),
        }
    }

    #[test]
    fn without_a_history_the_rates_are_the_csvs() {
        let csv = parse(&format!("{HEAD}2025-01-01,1,2,3\n2025-01-02,1,2,3\n")).unwrap();
        let w = producer("w1");
        assert_eq!(daily_rates(&w, &csv, None, Some("w1/rate"), &[], 30_000), csv);
        assert!(daily_rates(&w, &[], None, None, &[], 30_000).is_empty());
    }

    /// Noise-free exponential oil from day 100 to 399 (water = oil, gas = 0.3·oil), day 200 tripled and day
    /// 250 a partial day.
    fn synthetic() -> (Arps, Vec<DailyRate>) {
        let truth = Arps::new(1000.0, 0.002, 0.0, None).unwrap();
        let rates = (100..400)
            .map(|day| {
                let mut q = truth.rate((day - 100) as f64);
                if day == 200 {
                    q *= 3.0;
                } else if day == 250 {
                    q *= 0.2;
                }
                DailyRate {
                    day,
                    oil_stb_d: q,
                    water_bbl_d: q,
                    gas_mscf_d: 0.3 * q,
                }
            })
            .collect();
        (truth, rates)
    }

    #[test]
    fn the_fit_keeps_to_the_window_and_leaves_the_excluded_days_out() {
        let (truth, rates) = synthetic();
        let settings = DeclineSettings {
            kind: DeclineKind::Exponential,
            from_day: Some(150),
            to_day: Some(350),
            excluded_days: vec![250, 200, 250],
            ..DeclineSettings::default()
        };
        let (points, result) = analyse(&rates, &settings, 5.0);
        assert_eq!(points.len(), 300);
        let at = |day: i64| points[(day - 100) as usize];
        assert!(!at(120).in_window && !at(351).in_window && at(150).in_window && at(350).in_window);
        assert!(at(200).excluded && at(250).excluded && !at(201).excluded);
        assert_eq!(at(200).q, rates[100].oil_stb_d);
        let (fit, forecast) = result.unwrap();
        assert_eq!((fit.t0_days, fit.used, fit.excluded), (150.0, 199, 2));
        assert!(rel(fit.arps.di_per_day, 0.002) < 1e-9, "{fit:?}");
        assert!(rel(fit.arps.qi, truth.rate(50.0)) < 1e-9, "{fit:?}");
        // now is the last day (399); what was produced counts every day of the series
        let produced: f64 = rates.iter().map(|r| r.oil_stb_d).sum();
        assert!(rel(forecast.q_now, truth.rate(299.0)) < 1e-9, "{forecast:?}");
        assert!(rel(forecast.eur, produced + forecast.remaining) < 1e-12);
        assert!(rel(forecast.days_to_limit, (truth.rate(299.0) / 5.0).ln() / 0.002) < 1e-8);
        // the outliers kept move the fit
        let kept = DeclineSettings {
            excluded_days: vec![],
            ..settings.clone()
        };
        let (_, moved) = analyse(&rates, &kept, 5.0);
        assert!(rel(moved.unwrap().0.arps.di_per_day, 0.002) > 1e-4);
        // liquid and gas: the same decline, their own rates
        for (phase, factor) in [(RatePhase::Liquid, 2.0), (RatePhase::Gas, 0.3)] {
            let s = DeclineSettings {
                phase,
                ..settings.clone()
            };
            let (fit, _) = analyse(&rates, &s, 5.0).1.unwrap();
            assert!(rel(fit.arps.qi, factor * truth.rate(50.0)) < 1e-9, "{phase:?}: {fit:?}");
        }
    }

    #[test]
    fn days_without_a_split_count_for_the_liquid_only() {
        let (_, mut rates) = synthetic();
        for r in &mut rates[250..] {
            r.water_bbl_d += r.oil_stb_d;
            r.oil_stb_d = f64::NAN;
            r.gas_mscf_d = f64::NAN;
        }
        let oil = analyse(&rates, &DeclineSettings::default(), 5.0).0;
        let liquid = DeclineSettings {
            phase: RatePhase::Liquid,
            ..DeclineSettings::default()
        };
        assert_eq!((oil.len(), analyse(&rates, &liquid, 5.0).0.len()), (250, 300));
    }

    #[test]
    fn a_fit_that_cannot_be_made_says_why() {
        let (_, rates) = synthetic();
        let why = |s: DeclineSettings, q_el: f64| analyse(&rates, &s, q_el).1.unwrap_err();
        let backwards = DeclineSettings {
            from_day: Some(300),
            to_day: Some(200),
            ..DeclineSettings::default()
        };
        assert_eq!(
            why(backwards, 5.0),
            "the window ends (1970-07-20) before it starts (1970-10-28)"
        );
        let short = DeclineSettings {
            from_day: Some(398),
            ..DeclineSettings::default()
        };
        assert!(why(short, 5.0).contains("at least 3 points with a rate above 0, got 2"));
        let too_many = DeclineSettings {
            excluded_days: (0..=MAX_EXCLUDED_DAYS as i64).collect(),
            ..DeclineSettings::default()
        };
        assert!(why(too_many, 5.0).contains("at most 10000"));
        let e = why(DeclineSettings::default(), 1e6);
        assert!(
            e.starts_with("no forecast to the economic limit (1000000 STB/d) from 1971-02-04: q_el"),
            "{e}"
        );
        let no_terminal = DeclineSettings {
            b_max: 2.0,
            ..DeclineSettings::default()
        };
        assert!(why(no_terminal, 5.0).starts_with("d_min_per_year"));
    }

    #[test]
    fn exclusions_are_kept_sorted_and_bounded() {
        let mut s = DeclineSettings::default();
        assert!(s.set_excluded(30, true) && s.set_excluded(10, true) && s.set_excluded(30, true));
        assert!(s.set_excluded(20, true) && s.set_excluded(10, false) && s.set_excluded(99, false));
        assert_eq!(s.excluded_days, vec![20, 30]);
        assert!(s.is_excluded(20) && !s.is_excluded(10));
        s.excluded_days = (0..MAX_EXCLUDED_DAYS as i64).collect();
        assert!(!s.set_excluded(-5, true));
        assert!(s.set_excluded(5, false) && s.set_excluded(-5, true));
        let back: DeclineSettings = serde_json::from_str("{}").unwrap();
        assert_eq!(back, DeclineSettings::default());
        let json = serde_json::to_string(&DailyRate {
            day: 1,
            oil_stb_d: f64::NAN,
            water_bbl_d: 2.0,
            gas_mscf_d: f64::NAN,
        })
        .unwrap();
        let r: DailyRate = serde_json::from_str(&json).unwrap();
        assert_eq!((r.rate(RatePhase::Oil), r.rate(RatePhase::Liquid)), (None, Some(2.0)));
    }

    /// The demo wells' histories (scripts/make-demo-production-history) and the simulator's oil rate now.
    const DEMO: [(&str, &str, f64); 6] = [
        ("esp01", include_str!("../../data/production/esp01.csv"), 590.0),
        ("esp02", include_str!("../../data/production/esp02.csv"), 520.0),
        ("esp03", include_str!("../../data/production/esp03.csv"), 325.0),
        ("esp04", include_str!("../../data/production/esp04.csv"), 432.0),
        ("esp05", include_str!("../../data/production/esp05.csv"), 471.0),
        ("esp06", include_str!("../../data/production/esp06.csv"), 355.0),
    ];

    #[test]
    fn the_demo_histories_decline_to_the_simulators_rates() {
        for (well, text, q_sim) in DEMO {
            let rates = parse_history_csv(&SourceFile::new(well, text)).unwrap();
            assert_eq!(rates.len(), 730, "{well}");
            assert_eq!(
                (rates[0].day, rates[729].day),
                (parse_day("2024-12-01").unwrap(), parse_day("2026-11-30").unwrap())
            );
            // esp03's workover on day 400: its decline starts there
            let settings = DeclineSettings {
                from_day: (well == "esp03").then_some(rates[400].day),
                ..DeclineSettings::default()
            };
            let (_, result) = analyse(&rates, &settings, 5.0);
            let (fit, forecast) = result.unwrap();
            assert!(fit.r2_log > 0.8, "{well}: {fit:?}");
            assert!(rel(forecast.q_now, q_sim) < 0.08, "{well}: {forecast:?}");
            assert!(
                forecast.eur.is_finite() && forecast.remaining > 0.0,
                "{well}: {forecast:?}"
            );
        }
        let esp01 = parse_history_csv(&SourceFile::new("esp01.csv", DEMO[0].1)).unwrap();
        let (fit, forecast) = analyse(&esp01, &DeclineSettings::default(), 5.0).1.unwrap();
        assert!((0.2..0.8).contains(&fit.arps.b), "{fit:?}");
        let produced: f64 = esp01.iter().map(|r| r.oil_stb_d).sum();
        assert!(forecast.eur > produced, "{forecast:?}");
    }

    fn config(wells: Vec<ProducerConfig>) -> ProductionConfig {
        ProductionConfig {
            separator: SeparatorConfig {
                name: "sep01".into(),
                well_on_test: TagId(1),
                oil_rate: TagId(2),
                water_rate: TagId(3),
                gas_rate: TagId(4),
                oil_total: None,
                water_total: None,
                gas_total: None,
                pressure: TagId(5),
                temperature: None,
                oil_level: None,
                water_level: None,
                bbl_per_inch: None,
                bsw: None,
                oil_meter_factor: 1.0,
                water_meter_factor: 1.0,
                gas_meter_factor: 1.0,
                shrinkage: 1.0,
            },
            test: TestSettings::default(),
            wells,
            pumps: Vec::new(),
            overdue_days: 30.0,
            economic_limit_stb_d: 5.0,
            driver: DriverId(0),
            tags: ServiceTags {
                state: TagId(6),
                well: TagId(7),
                elapsed_min: TagId(8),
                stability_pct: TagId(9),
            },
        }
    }

    #[test]
    fn the_worker_answers_each_request_off_the_callers_thread() {
        let esp01 = parse_history_csv(&SourceFile::new("esp01.csv", DEMO[0].1)).unwrap();
        let cfg = Arc::new(config(vec![producer("esp01"), producer("esp02")]));
        let missing = std::env::temp_dir().join("wellconsole-no-such-history.db");
        let history = Some((missing, Arc::new(TagDirectory::default())));
        let worker = DeclineWorker::start(
            cfg,
            vec![("esp01".into(), Arc::new(esp01.clone()))],
            history,
            ProductionView::cell(),
        )
        .unwrap();
        assert!(worker.request(7, "esp01", DeclineSettings::default()));
        let a = worker.answers.recv_timeout(Duration::from_secs(60)).unwrap();
        assert_eq!((a.id, a.well.as_str(), a.points.len()), (7, "esp01", esp01.len()));
        let (fit, _) = a.result.unwrap();
        assert!(fit.r2_log > 0.8);
        // a well without history, one that is not configured
        assert!(worker.request(8, "esp02", DeclineSettings::default()));
        assert!(worker.request(9, "esp99", DeclineSettings::default()));
        let b = worker.answers.recv_timeout(Duration::from_secs(60)).unwrap();
        assert_eq!(b.id, 8);
        assert!(b.result.unwrap_err().contains("got 0"));
        let c = worker.answers.recv_timeout(Duration::from_secs(60)).unwrap();
        assert_eq!(c.id, 9);
        assert!(c.result.unwrap_err().contains("no well 'esp99'"));
        assert!(worker.poll().is_none());
        drop(worker);
    }

    #[test]
    fn the_newest_request_of_a_well_supersedes_the_queued_ones() {
        let r = |id: u64, well: &str| Request {
            id,
            well: well.into(),
            settings: DeclineSettings::default(),
        };
        let kept = newest_per_well(vec![r(1, "a"), r(2, "b"), r(3, "a"), r(4, "c"), r(5, "b")]);
        let ids: Vec<u64> = kept.iter().map(|k| k.id).collect();
        assert_eq!(ids, [3_u64, 4, 5]);
    }

    #[test]
    fn the_economic_limit_is_an_oil_rate_carried_to_the_liquid_and_gas_that_come_with_it() {
        let day = |oil: f64, water: f64, gas: f64| DailyRate {
            day: 1,
            oil_stb_d: oil,
            water_bbl_d: water,
            gas_mscf_d: gas,
        };
        // 100 STB/d with 300 bbl/d of water and 40 Mscf/d: at 5 STB/d, 20 bbl/d of liquid and 2 Mscf/d.
        let rates = [
            day(80.0, 10.0, 1.0),
            day(100.0, 300.0, 40.0),
            day(f64::NAN, 500.0, f64::NAN),
        ];
        assert_eq!(phase_limit(&rates, RatePhase::Oil, 5.0), 5.0);
        assert!((phase_limit(&rates, RatePhase::Liquid, 5.0) - 20.0).abs() < 1e-12);
        assert!((phase_limit(&rates, RatePhase::Gas, 5.0) - 2.0).abs() < 1e-12);
        // No day with oil: the oil figure, as given.
        assert_eq!(phase_limit(&[day(f64::NAN, 500.0, f64::NAN)], RatePhase::Gas, 5.0), 5.0);
    }
}
