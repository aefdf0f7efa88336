//! The central store as the trends' archive: a pen's span older than this console's local history,
//! read from `wc_sample` (raw, short spans) or `wc_rollup` (1 min and 1 h buckets, long ones) and
//! decimated exactly as local history is. Runs on the trend query thread (never the UI's), with a short
//! timeout; connects on first use and again after a failure.
//!
//! Owns those reads; it must not write the central store.

use super::ForwardError;
use super::central::{connect, micros, system_time, within};
use super::config::ForwardConfig;
use crate::historian::decimate::{Decimator, Segments};
use crate::historian::reader::Archive;
use crate::historian::{History, Resolution};
use std::time::Duration;
use tokio_postgres::Client;

/// A trend must not wait long for the central store: the local part is already there.
const TIMEOUT: Duration = Duration::from_secs(5);

/// How long the archive rests after a failure before it is asked again.
const REST: Duration = Duration::from_secs(60);

pub struct CentralArchive {
    cfg: ForwardConfig,
    rt: Option<tokio::runtime::Runtime>,
    client: Option<Client>,
    failed_at: Option<std::time::Instant>,
}

impl CentralArchive {
    pub fn new(mut cfg: ForwardConfig) -> Self {
        cfg.timeout = TIMEOUT;
        Self {
            cfg,
            rt: None,
            client: None,
            failed_at: None,
        }
    }

    fn read(&mut self, tag: &str, from: i64, to: i64, width: usize) -> Result<Segments, ForwardError> {
        if self.rt.is_none() {
            self.rt = Some(
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| ForwardError::Other(e.to_string()))?,
            );
        }
        let Some(rt) = &self.rt else { return Ok(Vec::new()) };
        let cfg = &self.cfg;
        let client = &mut self.client;
        rt.block_on(async {
            if client.is_none() {
                *client = Some(connect(cfg).await?);
            }
            let Some(c) = client.as_ref() else {
                return Ok(Vec::new());
            };
            let res = History::resolution_for(from, to, width);
            let mut d = Decimator::new(from, to, width);
            let span = [
                &system_time(from) as &(dyn tokio_postgres::types::ToSql + Sync),
                &system_time(to),
            ];
            match res {
                Resolution::Raw => {
                    let rows = within(
                        TIMEOUT,
                        c.query(
                            "SELECT s.t, COALESCE(s.num, s.int::float8), s.quality FROM wc_sample s
                             JOIN wc_tag g ON g.id = s.tag JOIN wc_console k ON k.id = g.console
                             WHERE k.name = $3 AND g.name = $4 AND s.t >= $1 AND s.t < $2 ORDER BY s.t",
                            &[span[0], span[1], &cfg.console, &tag],
                        ),
                    )
                    .await?;
                    for r in rows {
                        let q: i16 = r.get(2);
                        // A value that a trend draws: good or uncertain, with a value (as local history).
                        let plottable = q & 0x80 == 0 && (q & 0x7f) <= 1;
                        let v: Option<f64> = r.get(1);
                        d.push(micros(r.get(0)), v.filter(|_| plottable));
                    }
                }
                Resolution::Minute | Resolution::Hour => {
                    let width_s = i32::try_from(res.bucket_us() / 1_000_000).unwrap_or(i32::MAX);
                    let rows = within(
                        TIMEOUT,
                        c.query(
                            "SELECT r.t, r.n, r.min, r.max FROM wc_rollup r
                             JOIN wc_tag g ON g.id = r.tag JOIN wc_console k ON k.id = g.console
                             WHERE k.name = $3 AND g.name = $4 AND r.res = $5 AND r.t >= $1 AND r.t < $2 ORDER BY r.t",
                            &[span[0], span[1], &cfg.console, &tag, &width_s],
                        ),
                    )
                    .await?;
                    for r in rows {
                        let t = micros(r.get(0));
                        let n: i64 = r.get(1);
                        if n == 0 {
                            d.push(t, None);
                        } else {
                            d.push(t, r.get(2));
                            d.push(t, r.get(3));
                        }
                    }
                }
            }
            Ok(d.finish())
        })
    }
}

impl Archive for CentralArchive {
    fn trend(&mut self, tag: &str, from: i64, to: i64, width: usize) -> Result<Segments, String> {
        self.read(tag, from, to, width).map_err(|e| {
            // Connect afresh next time, after a rest.
            self.client = None;
            self.failed_at = Some(std::time::Instant::now());
            e.to_string()
        })
    }

    fn resting(&self) -> bool {
        self.failed_at.is_some_and(|t| t.elapsed() < REST)
    }
}
