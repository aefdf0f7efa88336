//! What the production writer publishes for everyone else to read without touching the store: the newest
//! well tests and the answers to people's requests. Built from the store in one go (`build`), swapped in
//! whole through an `ArcSwap` cell, so a reader never waits and never sees half a change.
//!
//! Read-only on the store; owns no rule and writes nothing. Must not import `ui`.

use super::model::{ProductionError, WellTest};
use super::store::{ProductionStore, TestFilter};
use std::collections::VecDeque;
use std::sync::Arc;

/// Where the production writer publishes its view; readers `load()` it lock-free.
pub type ProductionViewCell = Arc<arc_swap::ArcSwap<ProductionView>>;

/// Tests the view holds, newest first.
pub const MAX_VIEW_TESTS: usize = 2_000;
/// Answers to people's requests kept for the console to find by id.
pub const MAX_RESULTS: usize = 32;

#[derive(Debug, Clone, Default)]
pub struct ProductionView {
    /// Newest first (by the test's start), at most `MAX_VIEW_TESTS`.
    pub tests: Vec<WellTest>,
    /// The last `MAX_RESULTS` answers to people's requests (request id, what changed or why refused),
    /// oldest first.
    pub results: VecDeque<(u64, Result<String, String>)>,
    /// Counts the views published: a reader that remembers it knows when to look again (refit a curve).
    pub version: u64,
    /// The store could not be read or written: said on the Production page until it works again.
    pub problem: Option<String>,
    /// One per configured well, in the configuration's order: last tests, pending count, inflow curve.
    pub wells: Vec<super::perf::WellSummary>,
}

impl ProductionView {
    /// An empty view in its cell, before the writer publishes (and for pages drawn without one).
    pub fn cell() -> ProductionViewCell {
        Arc::new(arc_swap::ArcSwap::from_pointee(ProductionView::default()))
    }

    /// The answer to request `id`, once the writer has given it.
    pub fn result(&self, id: u64) -> Option<&Result<String, String>> {
        self.results.iter().rev().find(|r| r.0 == id).map(|r| &r.1)
    }

    pub fn test(&self, id: i64) -> Option<&WellTest> {
        self.tests.iter().find(|t| t.id == id)
    }

    /// A well's tests in the view, newest first.
    pub fn for_well<'a>(&'a self, well: &'a str) -> impl Iterator<Item = &'a WellTest> + 'a {
        self.tests.iter().filter(move |t| t.m.well == well)
    }
}

/// The view as the store holds it now, with the answers given so far and the publication's number.
pub fn build(
    store: &ProductionStore,
    production: Option<&super::config::ProductionConfig>,
    results: VecDeque<(u64, Result<String, String>)>,
    version: u64,
) -> Result<ProductionView, ProductionError> {
    let tests = store.list(&TestFilter {
        well: None,
        status: None,
        limit: MAX_VIEW_TESTS,
    })?;
    let wells = match production {
        Some(p) => super::perf::summaries(p, store)?,
        None => Vec::new(),
    };
    Ok(ProductionView {
        tests,
        results,
        version,
        problem: None,
        wells,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::production::store::sample;
    use crate::tag::Timestamp;

    #[test]
    fn the_view_holds_the_newest_tests_and_finds_answers_and_approved_tests() {
        let mut s = ProductionStore::open_in_memory().unwrap();
        let a = s.insert_measured(&sample("esp01", 0)).unwrap();
        let b = s.insert_measured(&sample("esp02", 20_000)).unwrap();
        let c = s.insert_measured(&sample("esp01", 40_000)).unwrap();
        for id in [a, c] {
            s.approve(id, "eve", Timestamp(1), "").unwrap();
        }
        let results = VecDeque::from([(1, Ok("done".to_owned())), (2, Err("refused".to_owned()))]);
        let v = build(&s, None, results, 7).unwrap();
        let ids: Vec<i64> = v.tests.iter().map(|t| t.id).collect();
        assert_eq!((ids, v.version), (vec![c, b, a], 7));
        assert_eq!(v.result(2), Some(&Err("refused".to_owned())));
        assert_eq!(v.result(3), None);
        assert_eq!(v.test(b).map(|t| t.m.well.as_str()), Some("esp02"));
        assert_eq!(v.for_well("esp02").count(), 1);
    }
}
