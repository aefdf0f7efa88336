//! Jobs and well tests as the central store keeps them: one JSON document per record (the job with its
//! operations, fluids, BHA, NPT and signatures; the well test with its measurement and decision), sent
//! again whole whenever it differs from what was last sent (a digest per record in the history database).
//! Records change rarely and are few, so the forwarder compares them every few seconds rather than
//! keeping a change log in the job and production rooms.
//!
//! Owns building those documents from the local stores; the SQL is `central`'s and `forward_log`'s.

use super::ForwardError;
use crate::historian::forward_log;
use rusqlite::Connection;
use sha2::{Digest, Sha256};
use std::path::Path;

/// Which records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Job,
    WellTest,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Job => "job",
            Kind::WellTest => "well_test",
        }
    }
}

/// One record as sent.
#[derive(Debug, Clone, PartialEq)]
pub struct Doc {
    pub id: i64,
    /// The job number (jobs); empty for well tests.
    pub number: String,
    pub status: String,
    pub well: String,
    /// Last update (jobs) or the test's start (well tests), µs.
    pub at: i64,
    pub json: String,
    pub digest: String,
}

fn doc(id: i64, number: String, status: String, well: String, at: i64, value: &serde_json::Value) -> Doc {
    let json = value.to_string();
    let digest = crate::records::key::hex(&Sha256::digest(json.as_bytes()));
    Doc {
        id,
        number,
        status,
        well,
        at,
        json,
        digest,
    }
}

fn other(e: impl std::fmt::Display) -> ForwardError {
    ForwardError::Other(e.to_string())
}

/// Every job in the job records, each as one document.
pub fn jobs(path: &Path) -> Result<Vec<Doc>, ForwardError> {
    let store = crate::job::store::JobStore::open(path).map_err(other)?;
    let mut out = Vec::new();
    for job in store.list(None, 1_000_000).map_err(other)? {
        let number = job.number.clone();
        let d = match crate::job::view::JobDetail::load(&store, job) {
            Ok(d) => d,
            Err(e) => {
                // One unreadable job is said and skipped; the others still go.
                tracing::warn!(job = %number, error = %e, "job not forwarded: its records could not be read");
                continue;
            }
        };
        let value = d.document();
        out.push(doc(
            d.job.id,
            d.job.number.clone(),
            d.job.status.to_string(),
            d.job.fields.well.clone(),
            d.job.updated_at.0,
            &value,
        ));
    }
    Ok(out)
}

/// Every well test in the production records, each as one document.
pub fn well_tests(path: &Path) -> Result<Vec<Doc>, ForwardError> {
    let store = crate::production::store::ProductionStore::open_read_only(path).map_err(other)?;
    let filter = crate::production::store::TestFilter {
        well: None,
        status: None,
        limit: 1_000_000,
    };
    let mut out = Vec::new();
    for t in store.list(&filter).map_err(other)? {
        let value = serde_json::to_value(&t).map_err(other)?;
        out.push(doc(
            t.id,
            String::new(),
            t.status.to_string(),
            t.m.well.clone(),
            t.m.start.0,
            &value,
        ));
    }
    Ok(out)
}

/// The documents that differ from what was last sent.
pub fn changed(history: &Connection, kind: Kind, docs: Vec<Doc>) -> Result<Vec<Doc>, ForwardError> {
    let sent = forward_log::sent_digests(history, kind.name())?;
    Ok(docs
        .into_iter()
        .filter(|d| sent.get(&d.id) != Some(&d.digest))
        .collect())
}

/// Records them as sent.
pub fn mark_sent(history: &Connection, kind: Kind, docs: &[Doc]) -> Result<(), ForwardError> {
    let tx = history.unchecked_transaction()?;
    for d in docs {
        forward_log::record_sent(&tx, kind.name(), d.id, &d.digest)?;
    }
    tx.commit()?;
    Ok(())
}

/// Records sent before that are no longer in the local store (a deleted draft job).
pub fn gone(history: &Connection, kind: Kind, docs: &[Doc]) -> Result<Vec<i64>, ForwardError> {
    let here: std::collections::HashSet<i64> = docs.iter().map(|d| d.id).collect();
    let mut out: Vec<i64> = forward_log::sent_digests(history, kind.name())?
        .into_keys()
        .filter(|id| !here.contains(id))
        .collect();
    out.sort_unstable();
    Ok(out)
}

/// Forgets them (the central store no longer has them).
pub fn mark_gone(history: &Connection, kind: Kind, ids: &[i64]) -> Result<(), ForwardError> {
    let tx = history.unchecked_transaction()?;
    for &id in ids {
        forward_log::record_forgotten(&tx, kind.name(), id)?;
    }
    tx.commit()?;
    Ok(())
}
