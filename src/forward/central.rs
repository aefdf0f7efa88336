//! One connection to the central store and the writes the forwarder makes on it. Every write is one
//! transaction that also records the stream's position in `wc_forward`, and inserts with the central
//! keys so a batch sent twice (a crash between the central commit and the local position) adds nothing.
//! Samples go through a session-local staging table filled by binary COPY, then one
//! `INSERT … ON CONFLICT DO NOTHING`; records go as one multi-row insert from arrays.
//!
//! Owns the SQL of the writes; it must not read the local databases or decide what is sent.

use super::config::ForwardConfig;
use super::records::{Doc, Kind};
use super::{ForwardError, schema};
use crate::alarm::journal::StoredLine;
use crate::auth::audit::AuditRecord;
use crate::historian::forward_log::{RollupRow, Row};
use crate::tag::Value;
use futures::pin_mut;
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{Client, NoTls, Transaction};

/// A time in µs since 1970 as PostgreSQL's timestamptz.
pub fn system_time(us: i64) -> SystemTime {
    let d = Duration::from_micros(us.unsigned_abs());
    if us >= 0 { UNIX_EPOCH + d } else { UNIX_EPOCH - d }
}

/// Back from timestamptz to µs since 1970.
pub fn micros(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_micros()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_micros()).unwrap_or(i64::MAX),
    }
}

/// `fut`, or `Timeout` after `d`: a database that stops answering mid-batch is a failed step, not a hang.
pub async fn within<T, E: Into<ForwardError>>(
    d: Duration,
    fut: impl Future<Output = Result<T, E>>,
) -> Result<T, ForwardError> {
    match tokio::time::timeout(d, fut).await {
        Ok(r) => r.map_err(Into::into),
        Err(_) => Err(ForwardError::Timeout(d.as_secs())),
    }
}

/// Opens a connection (TLS as configured) and runs its driving task on the current runtime.
pub async fn connect(cfg: &ForwardConfig) -> Result<Client, ForwardError> {
    cfg.password().map_err(ForwardError::Other)?;
    let pg = super::config::pg_config(cfg);
    let client = match &cfg.tls {
        Some(t) => {
            let rc = crate::driver::mqtt::tls_client_config(t).map_err(ForwardError::Tls)?;
            let tls = tokio_postgres_rustls::MakeRustlsConnect::new(rc);
            let (client, conn) = within(cfg.timeout, pg.connect(tls)).await?;
            tokio::spawn(async move {
                if let Err(e) = conn.await {
                    tracing::debug!(error = %e, "central database connection ended");
                }
            });
            client
        }
        None => {
            let (client, conn) = within(cfg.timeout, pg.connect(NoTls)).await?;
            tokio::spawn(async move {
                if let Err(e) = conn.await {
                    tracing::debug!(error = %e, "central database connection ended");
                }
            });
            client
        }
    };
    Ok(client)
}

/// A connected, migrated central store, as this console sees it.
pub struct Central {
    client: Client,
    /// This console's id in `wc_console`.
    pub console: i32,
    /// Local historian tag id → central tag id.
    tags: HashMap<i64, i32>,
    /// Months whose sample partition is known to exist (months since 1970).
    months: HashSet<i64>,
    timeout: Duration,
}

impl Central {
    /// Connects, migrates and registers this console.
    /// Connects, migrates and registers this console (`instance`: its history database's identity).
    /// Refused when another history database already sends under this console's name (`adopt` hands the
    /// name over). Two forwarders of one console at once (the console and a `forward sync` beside it)
    /// only send some batches twice, which the keys make harmless.
    pub async fn open(cfg: &ForwardConfig, site: &str, instance: &str) -> Result<Self, ForwardError> {
        let mut client = connect(cfg).await?;
        within(cfg.timeout, schema::migrate(&mut client)).await?;
        // A new name is registered; an existing one is only touched by the database it belongs to.
        within(
            cfg.timeout,
            client.execute(
                "INSERT INTO wc_console (name, site, instance) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
                &[&cfg.console, &site, &instance],
            ),
        )
        .await?;
        let row = within(
            cfg.timeout,
            client.query_one("SELECT id, instance FROM wc_console WHERE name = $1", &[&cfg.console]),
        )
        .await?;
        let (console, theirs): (i32, String) = (row.get(0), row.get(1));
        if theirs != instance {
            return Err(ForwardError::Other(format!(
                "console name '{}' already sends from another history database (instance {theirs}, this one is {instance}): give this console a name of its own (console = \"…\" in [forward]), or, if this is that console with a new disk, hand the name over with `wellconsole forward adopt`",
                cfg.console
            )));
        }
        within(
            cfg.timeout,
            client.execute(
                "UPDATE wc_console SET site = $2, last_seen = now() WHERE id = $1",
                &[&console, &site],
            ),
        )
        .await?;
        within(
            cfg.timeout,
            client.batch_execute(
                "CREATE TEMP TABLE IF NOT EXISTS wc_stage_sample
                   (tag integer, t timestamptz, num double precision, int bigint, txt text, quality smallint)
                   ON COMMIT DELETE ROWS",
            ),
        )
        .await?;
        Ok(Self {
            client,
            console,
            tags: HashMap::new(),
            months: HashSet::new(),
            timeout: cfg.timeout,
        })
    }

    /// Registers the local tags the central store does not know yet (name, kind, unit), keeping kind and
    /// unit up to date.
    pub async fn sync_tags(&mut self, local: &[(i64, String, String, String)]) -> Result<(), ForwardError> {
        let new: Vec<&(i64, String, String, String)> = local.iter().filter(|t| !self.tags.contains_key(&t.0)).collect();
        if new.is_empty() {
            return Ok(());
        }
        let names: Vec<&str> = new.iter().map(|t| t.1.as_str()).collect();
        let kinds: Vec<&str> = new.iter().map(|t| t.2.as_str()).collect();
        let units: Vec<&str> = new.iter().map(|t| t.3.as_str()).collect();
        let rows = within(
            self.timeout,
            self.client.query(
                "INSERT INTO wc_tag (console, name, kind, unit)
                 SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[])
                 ON CONFLICT (console, name) DO UPDATE SET kind = excluded.kind, unit = excluded.unit
                 RETURNING id, name",
                &[&self.console, &names, &kinds, &units],
            ),
        )
        .await?;
        let by_name: HashMap<&str, i64> = new.iter().map(|t| (t.1.as_str(), t.0)).collect();
        for r in rows {
            let name: &str = r.get(1);
            if let Some(&local) = by_name.get(name) {
                self.tags.insert(local, r.get(0));
            }
        }
        Ok(())
    }

    /// Whether every local tag id in `ids` has a central id.
    pub fn knows(&self, id: i64) -> bool {
        self.tags.contains_key(&id)
    }

    /// Makes the monthly partitions `rows` fall in.
    async fn ensure_months(&mut self, rows: &[Row]) -> Result<(), ForwardError> {
        let mut wanted = Vec::new();
        for r in rows {
            let m = month_of(r.ts);
            if !self.months.contains(&m.0) && !wanted.iter().any(|w: &(i64, i64)| w.0 == m.0) {
                wanted.push(m);
            }
        }
        for (m, at) in wanted {
            within(
                self.timeout,
                self.client.execute("SELECT wc_ensure_month($1)", &[&system_time(at)]),
            )
            .await?;
            self.months.insert(m);
        }
        Ok(())
    }

    /// Inserts `rows` (samples of tags `sync_tags` registered) and records `stream` at `pos`; returns the
    /// rows that were new.
    pub async fn write_samples(&mut self, rows: &[Row], stream: &str, pos: i64) -> Result<u64, ForwardError> {
        self.ensure_months(rows).await?;
        let timeout = self.timeout;
        let tags = &self.tags;
        let console = self.console;
        let tx = within(timeout, self.client.transaction()).await?;
        let copy = async {
            let sink = tx.copy_in("COPY wc_stage_sample FROM STDIN (FORMAT binary)").await?;
            let writer = BinaryCopyInWriter::new(
                sink,
                &[
                    Type::INT4,
                    Type::TIMESTAMPTZ,
                    Type::FLOAT8,
                    Type::INT8,
                    Type::TEXT,
                    Type::INT2,
                ],
            );
            pin_mut!(writer);
            for r in rows {
                let Some(tag) = tags.get(&r.tag) else { continue };
                let (num, int, txt) = columns(r.value.as_ref());
                let txt = txt.map(pg_text);
                let q = i16::try_from(r.quality.code()).unwrap_or(i16::MAX);
                writer
                    .as_mut()
                    .write(&[tag, &system_time(r.ts), &num, &int, &txt, &q])
                    .await?;
            }
            writer.finish().await?;
            tx.execute(
                "INSERT INTO wc_sample SELECT * FROM wc_stage_sample ON CONFLICT DO NOTHING",
                &[],
            )
            .await
        };
        // A large batch (one block can hold a long outage's samples) gets time in proportion.
        let copy_timeout = timeout + Duration::from_millis(rows.len() as u64 / 10);
        let inserted = within(copy_timeout, copy).await?;
        within(timeout, set_position(&tx, console, stream, pos, inserted)).await?;
        within(timeout, tx.commit()).await?;
        Ok(inserted)
    }

    /// Upserts rollup rows (an open bucket sent before is replaced when it closes).
    pub async fn write_rollups(&mut self, rows: &[RollupRow], pos: i64) -> Result<u64, ForwardError> {
        let rows: Vec<(&RollupRow, i32)> = rows
            .iter()
            .filter_map(|r| self.tags.get(&r.tag).map(|&t| (r, t)))
            .collect();
        let tag: Vec<i32> = rows.iter().map(|r| r.1).collect();
        let res: Vec<i32> = rows.iter().map(|r| i32::try_from(r.0.res).unwrap_or(0)).collect();
        let t: Vec<SystemTime> = rows.iter().map(|r| system_time(r.0.t)).collect();
        let n: Vec<i64> = rows.iter().map(|r| r.0.n).collect();
        let min: Vec<Option<f64>> = rows.iter().map(|r| r.0.min).collect();
        let max: Vec<Option<f64>> = rows.iter().map(|r| r.0.max).collect();
        let sum: Vec<f64> = rows.iter().map(|r| r.0.sum).collect();
        let integral: Vec<f64> = rows.iter().map(|r| r.0.integral).collect();
        let covered: Vec<i64> = rows.iter().map(|r| r.0.covered_us).collect();
        let closed: Vec<bool> = rows.iter().map(|r| r.0.closed).collect();
        let console = self.console;
        let tx = within(self.timeout, self.client.transaction()).await?;
        let params: [&(dyn ToSql + Sync); 10] = [&tag, &res, &t, &n, &min, &max, &sum, &integral, &covered, &closed];
        let written = within(
            self.timeout,
            tx.execute(
                "INSERT INTO wc_rollup (tag, res, t, n, min, max, sum, integral, covered_us, closed)
                 SELECT * FROM unnest($1::int4[], $2::int4[], $3::timestamptz[], $4::int8[], $5::float8[],
                                      $6::float8[], $7::float8[], $8::float8[], $9::int8[], $10::bool[])
                 ON CONFLICT (tag, res, t) DO UPDATE SET n = excluded.n, min = excluded.min, max = excluded.max,
                     sum = excluded.sum, integral = excluded.integral, covered_us = excluded.covered_us,
                     closed = excluded.closed
                 WHERE wc_rollup.n <= excluded.n",
                &params,
            ),
        )
        .await?;
        within(self.timeout, set_position(&tx, console, "rollups", pos, written)).await?;
        within(self.timeout, tx.commit()).await?;
        Ok(written)
    }

    /// Inserts alarm journal lines.
    pub async fn write_journal(&mut self, rows: &[StoredLine]) -> Result<u64, ForwardError> {
        let Some(last) = rows.last() else { return Ok(0) };
        let id: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let t: Vec<SystemTime> = rows.iter().map(|r| system_time(r.t)).collect();
        let kind: Vec<Cow<'_, str>> = rows.iter().map(|r| pg_text(&r.kind)).collect();
        let alarm: Vec<Option<Cow<'_, str>>> = rows.iter().map(|r| r.alarm.as_deref().map(pg_text)).collect();
        let tag: Vec<Option<Cow<'_, str>>> = rows.iter().map(|r| r.tag.as_deref().map(pg_text)).collect();
        let priority: Vec<Option<Cow<'_, str>>> = rows.iter().map(|r| r.priority.as_deref().map(pg_text)).collect();
        let state: Vec<Cow<'_, str>> = rows.iter().map(|r| pg_text(&r.state)).collect();
        let value: Vec<Option<Cow<'_, str>>> = rows.iter().map(|r| r.value.as_deref().map(pg_text)).collect();
        let user: Vec<Option<Cow<'_, str>>> = rows.iter().map(|r| r.user.as_deref().map(pg_text)).collect();
        let comment: Vec<Cow<'_, str>> = rows.iter().map(|r| pg_text(&r.comment)).collect();
        let en: Vec<Option<Cow<'_, str>>> = rows.iter().map(|r| r.message_en.as_deref().map(pg_text)).collect();
        let es: Vec<Option<Cow<'_, str>>> = rows.iter().map(|r| r.message_es.as_deref().map(pg_text)).collect();
        let console = self.console;
        let tx = within(self.timeout, self.client.transaction()).await?;
        let params: [&(dyn ToSql + Sync); 13] = [
            &console, &id, &t, &kind, &alarm, &tag, &priority, &state, &value, &user, &comment, &en, &es,
        ];
        let n = within(
            self.timeout,
            tx.execute(
                "INSERT INTO wc_alarm_event
                   (console, id, t, kind, alarm, tag, priority, state, value, user_name, comment, message_en, message_es)
                 SELECT $1, * FROM unnest($2::int8[], $3::timestamptz[], $4::text[], $5::text[], $6::text[],
                                          $7::text[], $8::text[], $9::text[], $10::text[], $11::text[],
                                          $12::text[], $13::text[])
                 ON CONFLICT DO NOTHING",
                &params,
            ),
        )
        .await?;
        within(self.timeout, set_position(&tx, console, "journal", last.id, n)).await?;
        within(self.timeout, tx.commit()).await?;
        Ok(n)
    }

    /// Inserts audit records with their hash chain.
    pub async fn write_audit(&mut self, rows: &[AuditRecord]) -> Result<u64, ForwardError> {
        let Some(last) = rows.last() else { return Ok(0) };
        let seq: Vec<i64> = rows.iter().map(|r| r.seq).collect();
        let t: Vec<SystemTime> = rows.iter().map(|r| system_time(r.entry.at.0)).collect();
        let user: Vec<Cow<'_, str>> = rows.iter().map(|r| pg_text(&r.entry.user)).collect();
        let role: Vec<Cow<'_, str>> = rows.iter().map(|r| pg_text(&r.entry.role)).collect();
        let action: Vec<Cow<'_, str>> = rows.iter().map(|r| pg_text(&r.entry.action)).collect();
        let target: Vec<Cow<'_, str>> = rows.iter().map(|r| pg_text(&r.entry.target)).collect();
        let detail: Vec<Cow<'_, str>> = rows.iter().map(|r| pg_text(&r.entry.detail)).collect();
        let allowed: Vec<bool> = rows.iter().map(|r| r.entry.allowed).collect();
        let prev: Vec<Cow<'_, str>> = rows.iter().map(|r| pg_text(&r.prev_hash)).collect();
        let hash: Vec<Cow<'_, str>> = rows.iter().map(|r| pg_text(&r.hash)).collect();
        let console = self.console;
        let tx = within(self.timeout, self.client.transaction()).await?;
        let params: [&(dyn ToSql + Sync); 11] = [
            &console, &seq, &t, &user, &role, &action, &target, &detail, &allowed, &prev, &hash,
        ];
        let n = within(
            self.timeout,
            tx.execute(
                "INSERT INTO wc_audit (console, seq, t, user_name, role, action, target, detail, allowed, prev_hash, hash)
                 SELECT $1, * FROM unnest($2::int8[], $3::timestamptz[], $4::text[], $5::text[], $6::text[],
                                          $7::text[], $8::text[], $9::bool[], $10::text[], $11::text[])
                 ON CONFLICT DO NOTHING",
                &params,
            ),
        )
        .await?;
        within(self.timeout, set_position(&tx, console, "audit", last.seq, n)).await?;
        within(self.timeout, tx.commit()).await?;
        Ok(n)
    }
}

impl Central {
    /// Upserts job or well-test documents (each whole, replacing what was sent before).
    pub async fn write_docs(&mut self, kind: Kind, docs: &[Doc]) -> Result<u64, ForwardError> {
        if docs.is_empty() {
            return Ok(0);
        }
        let id: Vec<i64> = docs.iter().map(|d| d.id).collect();
        let number: Vec<Cow<'_, str>> = docs.iter().map(|d| pg_text(&d.number)).collect();
        let status: Vec<Cow<'_, str>> = docs.iter().map(|d| pg_text(&d.status)).collect();
        let well: Vec<Cow<'_, str>> = docs.iter().map(|d| pg_text(&d.well)).collect();
        let at: Vec<SystemTime> = docs.iter().map(|d| system_time(d.at)).collect();
        // jsonb refuses the escaped NUL too.
        let json: Vec<String> = docs.iter().map(|d| d.json.replace("\\u0000", "\\ufffd")).collect();
        let console = self.console;
        let n = match kind {
            Kind::Job => {
                let params: [&(dyn ToSql + Sync); 7] = [&console, &id, &number, &status, &well, &at, &json];
                within(
                    self.timeout,
                    self.client.execute(
                        "INSERT INTO wc_job (console, id, number, status, well, updated, doc)
                         SELECT $1, i, n, s, w, u, d::jsonb
                         FROM unnest($2::int8[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::text[])
                              AS x(i, n, s, w, u, d)
                         ON CONFLICT (console, id) DO UPDATE SET number = excluded.number, status = excluded.status,
                             well = excluded.well, updated = excluded.updated, doc = excluded.doc",
                        &params,
                    ),
                )
                .await?
            }
            Kind::WellTest => {
                let params: [&(dyn ToSql + Sync); 6] = [&console, &id, &status, &well, &at, &json];
                within(
                    self.timeout,
                    self.client.execute(
                        "INSERT INTO wc_well_test (console, id, status, well, start, doc)
                         SELECT $1, i, s, w, t, d::jsonb
                         FROM unnest($2::int8[], $3::text[], $4::text[], $5::timestamptz[], $6::text[]) AS x(i, s, w, t, d)
                         ON CONFLICT (console, id) DO UPDATE SET status = excluded.status, well = excluded.well,
                             start = excluded.start, doc = excluded.doc",
                        &params,
                    ),
                )
                .await?
            }
        };
        Ok(n)
    }
}

impl Central {
    /// Removes records deleted at the console (a draft job) from the central store.
    pub async fn delete_docs(&mut self, kind: Kind, ids: &[i64]) -> Result<u64, ForwardError> {
        let sql = match kind {
            Kind::Job => "DELETE FROM wc_job WHERE console = $1 AND id = ANY($2)",
            Kind::WellTest => "DELETE FROM wc_well_test WHERE console = $1 AND id = ANY($2)",
        };
        within(self.timeout, self.client.execute(sql, &[&self.console, &ids])).await
    }
}

async fn set_position(
    tx: &Transaction<'_>,
    console: i32,
    stream: &str,
    pos: i64,
    rows: u64,
) -> Result<u64, tokio_postgres::Error> {
    let rows = i64::try_from(rows).unwrap_or(i64::MAX);
    tx.execute(
        "INSERT INTO wc_forward (console, stream, pos, rows) VALUES ($1, $2, $3, $4)
         ON CONFLICT (console, stream) DO UPDATE
           SET pos = GREATEST(wc_forward.pos, excluded.pos), rows = wc_forward.rows + excluded.rows, updated = now()",
        &[&console, &stream, &pos, &rows],
    )
    .await
}

/// A value in the sample table's columns: numbers and booleans (0/1) in `num`, integers exactly in
/// `int`, text in `txt`.
pub fn columns(v: Option<&Value>) -> (Option<f64>, Option<i64>, Option<&str>) {
    match v {
        None => (None, None, None),
        Some(Value::F64(x)) => (Some(*x), None, None),
        Some(Value::Bool(b)) => (Some(f64::from(u8::from(*b))), None, None),
        Some(Value::I64(i)) => (None, Some(*i), None),
        Some(Value::Str(s)) => (None, None, Some(s)),
    }
}

/// Text as PostgreSQL can hold it: it refuses NUL (which MQTT and OPC UA strings may carry); NUL
/// becomes U+FFFD, the same on both sides of `forward verify`.
pub fn pg_text(s: &str) -> Cow<'_, str> {
    if s.contains('\0') {
        Cow::Owned(s.replace('\0', "\u{FFFD}"))
    } else {
        Cow::Borrowed(s)
    }
}

/// The month (months since 1970-01) of a time in µs, and a time inside it.
fn month_of(us: i64) -> (i64, i64) {
    use chrono::Datelike;
    let d = chrono::DateTime::from_timestamp_micros(us).unwrap_or_default();
    (i64::from(d.year()) * 12 + i64::from(d.month0()), us)
}

/// Hands console `name` over to the history database `instance` (a rebuilt or replaced disk), so it
/// forwards under the name it always had. Returns the instance it had.
pub async fn adopt(cfg: &ForwardConfig, instance: &str) -> Result<Option<String>, ForwardError> {
    let mut client = connect(cfg).await?;
    within(cfg.timeout, schema::migrate(&mut client)).await?;
    let before = within(
        cfg.timeout,
        client.query_opt("SELECT instance FROM wc_console WHERE name = $1", &[&cfg.console]),
    )
    .await?
    .map(|r| r.get(0));
    within(
        cfg.timeout,
        client.execute(
            "UPDATE wc_console SET instance = $2 WHERE name = $1",
            &[&cfg.console, &instance],
        ),
    )
    .await?;
    Ok(before)
}
