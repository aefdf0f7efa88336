//! `wellconsole forward sync|status|verify`, off the console: send what is queued now, say where each
//! stream stands, and compare the central store with the local files (sample counts and a hash per tag
//! and day, journal and audit counts, the audit hash chain as the database sees it). Blocking calls for
//! the command line; each runs a small runtime of its own.
//!
//! Owns those comparisons; it must not write the central store except through `worker::send_once`.

use super::ForwardError;
use super::central::{Central, columns, connect, micros, pg_text, system_time, within};
use super::config::ForwardConfig;
use super::records::{self, Kind};
use super::stats::ForwardStats;
use super::worker::{Local, Sources, send_once, send_records};
use crate::historian::History;
use crate::historian::forward_log::{self, Backlog};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::time::SystemTime;

fn block_on<T>(fut: impl std::future::Future<Output = Result<T, ForwardError>>) -> Result<T, ForwardError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| ForwardError::Other(format!("could not start: {e}")))?
        .block_on(fut)
}

/// Sends everything queued, batch after batch, until nothing is left; returns the rows sent.
pub fn sync(cfg: &ForwardConfig, src: &Sources) -> Result<u64, ForwardError> {
    block_on(async {
        let local = Local::open(src)?;
        let instance = forward_log::instance(&local.history)?;
        let mut central = Central::open(cfg, &src.site, &instance).await?;
        central.sync_tags(&forward_log::tags(&local.history)?).await?;
        let stats = ForwardStats::new(cfg.target());
        let mut total = send_records(src, &local, &mut central, &mut [None, None]).await?;
        loop {
            let n = send_once(cfg, &local, &mut central, &stats).await?;
            if n == 0 {
                return Ok(total);
            }
            total += n;
        }
    })
}

/// Hands this console's name in the central store over to this history database (after a disk was
/// replaced or history rebuilt); returns the identity the name had.
pub fn adopt(cfg: &ForwardConfig, src: &Sources) -> Result<(String, Option<String>), ForwardError> {
    let local = Local::open(src)?;
    let instance = forward_log::instance(&local.history)?;
    let before = block_on(super::central::adopt(cfg, &instance))?;
    Ok((instance, before))
}

/// Where forwarding stands.
#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    pub backlog: Backlog,
    /// Journal lines and audit records not sent.
    pub records_waiting: u64,
    /// Each stream's position and the rows it added, as the central store recorded them; or why the
    /// central store could not be asked (the local figures still stand).
    pub central: Result<Vec<(String, i64, i64, SystemTime)>, String>,
}

pub fn status(cfg: &ForwardConfig, src: &Sources) -> Result<Status, ForwardError> {
    let local = Local::open(src)?;
    let (backlog, records) = local.waiting()?;
    let records_waiting = records.saturating_sub(backlog.rollups);
    let central = block_on(async {
        let client = connect(cfg).await?;
        let rows = within(
            cfg.timeout,
            client.query(
                "SELECT f.stream, f.pos, f.rows, f.updated FROM wc_forward f JOIN wc_console c ON c.id = f.console
                 WHERE c.name = $1 ORDER BY f.stream",
                &[&cfg.console],
            ),
        )
        .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1), r.get(2), r.get(3))).collect())
    })
    .map_err(|e| e.to_string());
    Ok(Status {
        backlog,
        records_waiting,
        central,
    })
}

/// One tag's day that differs between the local history and the central store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayDiff {
    pub tag: String,
    /// `YYYY-MM-DD`, UTC.
    pub day: String,
    pub local: u64,
    pub central: u64,
    /// Same counts, different contents.
    pub contents_differ: bool,
}

/// What `verify` found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verified {
    /// Tag-days compared, and samples in them.
    pub days: u64,
    pub samples: u64,
    pub differ: Vec<DayDiff>,
    /// (local, central) record counts.
    pub journal: (u64, u64),
    pub audit: (u64, u64),
    /// Audit records whose central copy differs from the local one (number or hash).
    pub audit_differ: u64,
    /// Places the central audit chain does not link (`wc_audit_breaks`).
    pub audit_breaks: u64,
    /// (local, central) jobs and well tests, and how many of them are missing centrally or differ in
    /// status.
    pub jobs: (u64, u64, u64),
    pub well_tests: (u64, u64, u64),
}

impl Verified {
    pub fn ok(&self) -> bool {
        self.differ.is_empty()
            && self.journal.0 == self.journal.1
            && self.audit.0 == self.audit.1
            && self.audit_differ == 0
            && self.audit_breaks == 0
            && self.jobs.2 == 0
            && self.jobs.0 == self.jobs.1
            && self.well_tests.2 == 0
            && self.well_tests.0 == self.well_tests.1
    }
}

/// Per day: sample count and a hash of every sample's time, value and quality, in time order.
#[derive(Default)]
struct Days(BTreeMap<i64, (u64, Sha256)>);

impl Days {
    fn add(&mut self, t: i64, num: Option<f64>, int: Option<i64>, txt: Option<&str>, quality: i64) {
        let e = self.0.entry(t.div_euclid(86_400_000_000)).or_default();
        e.0 += 1;
        e.1.update(format!("{t},{:?},{int:?},{txt:?},{quality}\n", num.map(f64::to_bits)).as_bytes());
    }

    fn finish(self) -> BTreeMap<i64, (u64, [u8; 32])> {
        self.0
            .into_iter()
            .map(|(d, (n, h))| (d, (n, h.finalize().into())))
            .collect()
    }
}

fn day_name(day: i64) -> String {
    chrono::DateTime::from_timestamp(day * 86_400, 0)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_else(|| day.to_string())
}

/// Compares every tag's samples in `from..=to` (µs), and the whole journal and audit trail.
pub fn verify(cfg: &ForwardConfig, src: &Sources, from: i64, to: i64) -> Result<Verified, ForwardError> {
    let history = History::open(&src.history).map_err(|e| ForwardError::Other(e.to_string()))?;
    let local = Local::open(src)?;
    block_on(async {
        let client = connect(cfg).await?;
        let console: Option<i32> = within(
            cfg.timeout,
            client.query_opt("SELECT id FROM wc_console WHERE name = $1", &[&cfg.console]),
        )
        .await?
        .map(|r| r.get(0));
        let console = console.unwrap_or(-1);
        let tag_ids: BTreeMap<String, i32> = within(
            cfg.timeout,
            client.query("SELECT name, id FROM wc_tag WHERE console = $1", &[&console]),
        )
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
        let mut out = Verified::default();
        for tag in history.tags().map_err(|e| ForwardError::Other(e.to_string()))? {
            let mut mine = Days::default();
            let mut prev = None;
            history
                .each_raw(&tag.name, from, to, |t, v, q| {
                    let t = forward_log::strictly_after(prev, t);
                    prev = Some(t);
                    let (num, int, txt) = columns(v.as_ref());
                    let txt = txt.map(pg_text);
                    mine.add(t, num, int, txt.as_deref(), i64::try_from(q.code()).unwrap_or(-1));
                })
                .map_err(|e| ForwardError::Other(e.to_string()))?;
            // A day at a time: a tag's whole central history never sits in memory at once.
            let mut theirs = Days::default();
            if let Some(id) = tag_ids.get(&tag.name) {
                let days: Vec<i64> = within(
                    cfg.timeout,
                    client.query(
                        "SELECT DISTINCT floor(extract(epoch FROM t) / 86400)::int8 FROM wc_sample
                         WHERE tag = $1 AND t >= $2 AND t <= $3",
                        &[id, &system_time(from), &system_time(to)],
                    ),
                )
                .await?
                .iter()
                .map(|r| r.get(0))
                .collect();
                for day in days {
                    let (a, b) = (
                        (day * 86_400_000_000).max(from),
                        ((day + 1) * 86_400_000_000 - 1).min(to),
                    );
                    let rows = within(
                        cfg.timeout,
                        client.query(
                            "SELECT t, num, int, txt, quality FROM wc_sample WHERE tag = $1 AND t >= $2 AND t <= $3 ORDER BY t",
                            &[id, &system_time(a), &system_time(b)],
                        ),
                    )
                    .await?;
                    for r in rows {
                        let q: i16 = r.get(4);
                        theirs.add(micros(r.get(0)), r.get(1), r.get(2), r.get(3), i64::from(q));
                    }
                }
            }
            let (mine, theirs) = (mine.finish(), theirs.finish());
            for day in mine
                .keys()
                .chain(theirs.keys())
                .copied()
                .collect::<std::collections::BTreeSet<_>>()
            {
                let a = mine.get(&day).copied().unwrap_or((0, [0; 32]));
                let b = theirs.get(&day).copied().unwrap_or((0, [0; 32]));
                out.days += 1;
                out.samples += a.0;
                if a != b {
                    out.differ.push(DayDiff {
                        tag: tag.name.clone(),
                        day: day_name(day),
                        local: a.0,
                        central: b.0,
                        contents_differ: a.0 == b.0,
                    });
                }
            }
        }
        let count = |sql: &'static str| {
            let client = &client;
            async move {
                let n: i64 = within(cfg.timeout, client.query_one(sql, &[&console])).await?.get(0);
                Ok::<u64, ForwardError>(u64::try_from(n).unwrap_or(0))
            }
        };
        if let Some(j) = &local.journal {
            let n = crate::alarm::journal::count_after(j, 0).map_err(|e| ForwardError::Other(e.to_string()))?;
            out.journal = (
                n,
                count("SELECT count(*) FROM wc_alarm_event WHERE console = $1").await?,
            );
        }
        if let Some(a) = &local.audit {
            let records =
                crate::auth::audit::after(a, 0, usize::MAX).map_err(|e| ForwardError::Other(e.to_string()))?;
            let central: BTreeMap<i64, String> = within(
                cfg.timeout,
                client.query("SELECT seq, hash FROM wc_audit WHERE console = $1", &[&console]),
            )
            .await?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
            out.audit = (records.len() as u64, central.len() as u64);
            out.audit_differ = records.iter().filter(|r| central.get(&r.seq) != Some(&r.hash)).count() as u64;
            out.audit_breaks = count("SELECT count(*) FROM wc_audit_breaks WHERE console = $1").await?;
        }
        for (kind, path, sql) in [
            (Kind::Job, &src.jobs, "SELECT id, status FROM wc_job WHERE console = $1"),
            (
                Kind::WellTest,
                &src.well_tests,
                "SELECT id, status FROM wc_well_test WHERE console = $1",
            ),
        ] {
            let mine = match path.as_ref().filter(|p| p.exists()) {
                Some(p) if kind == Kind::Job => records::jobs(p)?,
                Some(p) => records::well_tests(p)?,
                None => Vec::new(),
            };
            let theirs: BTreeMap<i64, String> = within(cfg.timeout, client.query(sql, &[&console]))
                .await?
                .iter()
                .map(|r| (r.get(0), r.get(1)))
                .collect();
            let differ = mine.iter().filter(|d| theirs.get(&d.id) != Some(&d.status)).count() as u64;
            let counts = (mine.len() as u64, theirs.len() as u64, differ);
            match kind {
                Kind::Job => out.jobs = counts,
                Kind::WellTest => out.well_tests = counts,
            }
        }
        Ok(out)
    })
}
