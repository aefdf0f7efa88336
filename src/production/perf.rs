//! A well's performance from what is known of it: its inflow curve fitted to its approved tests (and the
//! curve before the newest test, to show the change), the live operating point from its tags, and the
//! summary the field table and the Production page read.
//!
//! Pure: the writer calls `summaries` when it rebuilds its view, the UI calls `live_point`. The curve is
//! the liquid rate's (oil + water: what the pump lifts) against the flowing bottomhole pressure.

use super::config::{ProducerConfig, ProductionConfig};
use super::model::{ProductionError, TestStatus, WellTest};
use super::store::{ProductionStore, TestFilter};
use crate::calc::ipr::{self, IprFit, TestPoint};
use crate::hub::Snapshot;
use crate::tag::TagId;

/// The inflow curve is fitted to at most this many of the newest approved tests: older ones describe a
/// reservoir that has since depleted.
pub const MAX_IPR_TESTS: usize = 5;

/// A well's inflow curve now and before its newest test.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WellIpr {
    pub current: Option<IprFit>,
    pub previous: Option<IprFit>,
    /// The tests the current curve is fitted to (ids), oldest first.
    pub tests_used: Vec<i64>,
    /// Why there is no curve (no approved test with a flowing pressure, a test the model refuses).
    pub problem: Option<String>,
}

/// What the field table and the Production page know of one well.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WellSummary {
    pub well: String,
    pub last_test: Option<WellTest>,
    pub last_approved: Option<WellTest>,
    pub pending: usize,
    pub ipr: WellIpr,
    /// The well's approved tests, oldest first (at most `MAX_SUMMARY_APPROVED`, the newest).
    pub approved: Vec<WellTest>,
}

/// The liquid rate and flowing pressure of a test, when it has a flowing pressure.
pub fn test_point(t: &WellTest) -> Option<TestPoint> {
    let pwf = t.m.pwf_psi?;
    Some(TestPoint {
        q_stb_d: t.m.oil_stb_d + t.m.water_bbl_d,
        p_wf_psi: pwf,
    })
}

/// The well's curve from its approved tests (any order; the newest `MAX_IPR_TESTS` with a flowing
/// pressure are used) and the one without the newest.
pub fn well_ipr(w: &ProducerConfig, tests: &[WellTest]) -> WellIpr {
    let mut approved: Vec<&WellTest> = tests
        .iter()
        .filter(|t| t.status == TestStatus::Approved && t.m.well == w.id && t.m.pwf_psi.is_some())
        .collect();
    approved.sort_by_key(|t| t.m.end.0);
    let newest: Vec<&WellTest> = approved.iter().rev().take(MAX_IPR_TESTS).rev().copied().collect();
    if newest.is_empty() {
        return WellIpr {
            problem: Some("no approved test with a flowing bottomhole pressure".to_owned()),
            ..WellIpr::default()
        };
    }
    let fit_of = |set: &[&WellTest]| -> Result<IprFit, String> {
        let points: Vec<TestPoint> = set.iter().filter_map(|t| test_point(t)).collect();
        ipr::fit(w.ipr, w.reservoir_psi, w.bubble_point_psi, &points).map_err(|e| e.to_string())
    };
    let (current, problem) = match fit_of(&newest) {
        Ok(f) => (Some(f), None),
        Err(e) => (None, Some(e)),
    };
    // The curve before the newest test: the same window one test earlier.
    let before: Vec<&WellTest> = approved
        .iter()
        .rev()
        .skip(1)
        .take(MAX_IPR_TESTS)
        .rev()
        .copied()
        .collect();
    let previous = if before.is_empty() { None } else { fit_of(&before).ok() };
    WellIpr {
        current,
        previous,
        tests_used: newest.iter().map(|t| t.id).collect(),
        problem,
    }
}

/// Approved tests a summary keeps for the decline's phase split, at most (the newest).
pub const MAX_SUMMARY_APPROVED: usize = 500;

/// Every configured well's summary, from the store itself (not the view's newest tests: a well tested
/// long ago on a busy field still has its last test and its curve).
pub fn summaries(cfg: &ProductionConfig, store: &ProductionStore) -> Result<Vec<WellSummary>, ProductionError> {
    cfg.wells
        .iter()
        .map(|w| {
            let approved = store.approved_newest(&w.id, MAX_SUMMARY_APPROVED)?;
            let last_test = store
                .list(&TestFilter {
                    well: Some(w.id.clone()),
                    status: None,
                    limit: 1,
                })?
                .pop();
            let pending = store.pending_count(&w.id)?;
            Ok(WellSummary {
                well: w.id.clone(),
                last_test,
                last_approved: approved.iter().max_by_key(|t| t.m.end.0).cloned(),
                pending,
                ipr: well_ipr(w, &approved),
                approved,
            })
        })
        .collect()
}

/// A good number from the snapshot.
pub fn good_f64(snap: &Snapshot, id: TagId) -> Option<f64> {
    snap.get(id)?.good_f64()
}

/// The live operating point (liquid bbl/d, flowing bottomhole psi) from the well's rate and gauge tags.
pub fn live_point(w: &ProducerConfig, snap: &Snapshot) -> Option<[f64; 2]> {
    let q = good_f64(snap, w.rate?)?;
    let pwf = w.pwf.pwf_psi(|tag| good_f64(snap, tag))?;
    Some([q, pwf])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calc::ipr::IprModel;
    use crate::production::config::PwfSource;
    use crate::production::model::Measured;
    use crate::tag::Timestamp;

    fn well() -> ProducerConfig {
        ProducerConfig {
            id: "w1".into(),
            label: "W-1".into(),
            reservoir_psi: 2000.0,
            bubble_point_psi: None,
            ipr: IprModel::Vogel,
            pwf: PwfSource::Fixed(1500.0),
            whp: None,
            rate: None,
            esp: None,
            history: std::sync::Arc::default(),
        }
    }

    fn test(id: i64, day: i64, q: f64, pwf: f64, status: TestStatus) -> WellTest {
        let t = Timestamp(day * 86_400_000_000);
        WellTest {
            id,
            m: Measured {
                well: "w1".into(),
                separator: "sep01".into(),
                routed_at: t,
                stable_at: t,
                start: t,
                end: t,
                oil_stb_d: q / 2.0,
                water_bbl_d: q / 2.0,
                gas_mscf_d: 10.0,
                gor_scf_stb: None,
                wor: None,
                water_cut: None,
                bsw: None,
                separator_psi: 100.0,
                separator_temp_f: None,
                whp_psi: None,
                pwf_psi: Some(pwf),
                esp_hz: None,
                meter_factors: [1.0; 3],
                shrinkage: 1.0,
                totalized: true,
                level_compensated: true,
                bad_input_s: 0.0,
            },
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
    fn the_curve_comes_from_approved_tests_and_the_previous_one_leaves_the_newest_out() {
        // ENGINEERING.md §5: 65 B/D at 1,500 psi, p̄ 2,000 → q_max 162.5.
        let tests = vec![
            test(1, 10, 65.0, 1500.0, TestStatus::Approved),
            test(2, 20, 80.0, 1400.0, TestStatus::Pending),
            test(3, 30, 60.0, 1500.0, TestStatus::Rejected),
        ];
        let w = well();
        let ipr = well_ipr(&w, &tests);
        let fit = ipr.current.unwrap();
        assert!((fit.ipr.aof_stb_d() - 162.5).abs() < 1e-6);
        assert_eq!(ipr.tests_used, vec![1]);
        assert!(ipr.previous.is_none());
        let mut more = tests.clone();
        more.push(test(4, 40, 55.0, 1500.0, TestStatus::Approved));
        let ipr = well_ipr(&w, &more);
        assert_eq!(ipr.tests_used, vec![1, 4]);
        let prev = ipr.previous.unwrap();
        assert!(
            (prev.ipr.aof_stb_d() - 162.5).abs() < 1e-6,
            "the previous curve is test 1's alone"
        );
        assert!(
            ipr.current.unwrap().ipr.aof_stb_d() < 162.5,
            "the newer, lower test pulls the curve down"
        );
    }

    #[test]
    fn no_approved_test_says_why() {
        let ipr = well_ipr(&well(), &[test(1, 1, 65.0, 1500.0, TestStatus::Pending)]);
        assert!(ipr.current.is_none());
        assert!(ipr.problem.unwrap().contains("no approved test"));
    }

    #[test]
    fn a_test_above_the_reservoir_pressure_is_reported_not_fitted() {
        let ipr = well_ipr(&well(), &[test(1, 1, 65.0, 2100.0, TestStatus::Approved)]);
        assert!(ipr.current.is_none());
        assert!(ipr.problem.unwrap().contains("above the reservoir pressure"));
    }

    #[test]
    fn summaries_come_from_the_store_with_the_newest_tests_and_the_pending_count() {
        use crate::production::store::{ProductionStore, sample};
        let project = crate::project::Project::demo().unwrap();
        let cfg = project.site.production.clone().unwrap();
        let mut store = ProductionStore::open_in_memory().unwrap();
        let a = store.insert_measured(&sample("esp01", 0)).unwrap();
        let b = store.insert_measured(&sample("esp01", 20_000)).unwrap();
        let c = store.insert_measured(&sample("esp01", 40_000)).unwrap();
        store.approve(a, "eve", Timestamp(1), "").unwrap();
        store.approve(b, "eve", Timestamp(2), "").unwrap();
        let s = summaries(&cfg, &store).unwrap();
        assert_eq!(s.len(), cfg.wells.len(), "one per configured well");
        let esp01 = &s[0];
        assert_eq!(esp01.well, "esp01");
        assert_eq!(esp01.last_test.as_ref().map(|t| t.id), Some(c));
        assert_eq!(esp01.last_approved.as_ref().map(|t| t.id), Some(b));
        assert_eq!(esp01.pending, 1);
        assert_eq!(esp01.approved.iter().map(|t| t.id).collect::<Vec<_>>(), [a, b]);
        assert!(s[1].last_test.is_none() && s[1].pending == 0 && s[1].ipr.current.is_none());
    }
}
