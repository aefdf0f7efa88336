//! The central store's tables, created and migrated by the console: numbered migrations applied in
//! order, each in its own transaction under an advisory lock (several consoles may start at once), the
//! version kept in `wc_schema`. A database newer than this console is refused, never written.
//!
//! Layout (every console of a field shares one database; rows are keyed by console):
//! - `wc_console`, `wc_tag`: who sends, and each console's tags (name, kind, unit).
//! - `wc_sample`: every stored sample, as stored (value by kind, quality code), partitioned by month
//!   (native range partitioning; `wc_ensure_month` makes a partition on first use). Key (tag, t): a
//!   tag's times are strictly increasing in the historian, so a replayed batch inserts nothing twice.
//! - `wc_rollup`: 1 min and 1 h buckets, upserted (an open bucket is sent again when it closes).
//! - `wc_alarm_event`, `wc_audit`: the alarm journal and the audit trail, keyed by console and record
//!   number; `wc_audit_breaks` lists every place the hash chain does not link (empty when intact).
//! - `wc_forward`: each console's position per stream, written in the same transaction as the rows.
//! - `wc_job`, `wc_well_test` (v2): jobs and well tests as JSON documents, upserted when they change.
//! - `wc_history` (view): samples with console and tag names and readable quality, for reports and ERPs.
//!
//! Owns the SQL of the layout; it must not decide what is sent when (`worker`).

use super::ForwardError;
use tokio_postgres::Client;

/// Applied in order; a migration is never edited once released, only followed by another.
pub const MIGRATIONS: &[(i32, &str)] = &[(1, V1), (2, V2)];

const V1: &str = r#"
CREATE TABLE wc_console (
    id serial PRIMARY KEY,
    name text NOT NULL UNIQUE,
    site text NOT NULL,
    -- The history database that sends under this name: a second machine with the same name is refused.
    instance text NOT NULL,
    first_seen timestamptz NOT NULL DEFAULT now(),
    last_seen timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE wc_tag (
    id serial PRIMARY KEY,
    console integer NOT NULL REFERENCES wc_console(id),
    name text NOT NULL,
    kind text NOT NULL,
    unit text NOT NULL,
    UNIQUE (console, name)
);
CREATE TABLE wc_sample (
    tag integer NOT NULL,
    t timestamptz NOT NULL,
    num double precision,
    int bigint,
    txt text,
    quality smallint NOT NULL,
    PRIMARY KEY (tag, t)
) PARTITION BY RANGE (t);
COMMENT ON COLUMN wc_sample.quality IS
    '0 good, 1 uncertain, 2 waiting for data, 3 comm fail, 4 stale, 5 sensor fail, 6 config error, 7 out of range, 8 math error; +128: the sample has no value';
CREATE TABLE wc_rollup (
    tag integer NOT NULL,
    res integer NOT NULL,
    t timestamptz NOT NULL,
    n bigint NOT NULL,
    min double precision,
    max double precision,
    sum double precision NOT NULL,
    integral double precision NOT NULL,
    covered_us bigint NOT NULL,
    closed boolean NOT NULL,
    PRIMARY KEY (tag, res, t)
);
COMMENT ON COLUMN wc_rollup.res IS 'bucket width in seconds: 60 or 3600';
CREATE TABLE wc_alarm_event (
    console integer NOT NULL REFERENCES wc_console(id),
    id bigint NOT NULL,
    t timestamptz NOT NULL,
    kind text NOT NULL,
    alarm text,
    tag text,
    priority text,
    state text NOT NULL,
    value text,
    user_name text,
    comment text NOT NULL,
    message_en text,
    message_es text,
    PRIMARY KEY (console, id)
);
CREATE INDEX wc_alarm_event_t ON wc_alarm_event (t);
CREATE TABLE wc_audit (
    console integer NOT NULL REFERENCES wc_console(id),
    seq bigint NOT NULL,
    t timestamptz NOT NULL,
    user_name text NOT NULL,
    role text NOT NULL,
    action text NOT NULL,
    target text NOT NULL,
    detail text NOT NULL,
    allowed boolean NOT NULL,
    prev_hash text NOT NULL,
    hash text NOT NULL,
    PRIMARY KEY (console, seq)
);
CREATE TABLE wc_forward (
    console integer NOT NULL REFERENCES wc_console(id),
    stream text NOT NULL,
    pos bigint NOT NULL,
    rows bigint NOT NULL DEFAULT 0,
    updated timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (console, stream)
);
CREATE VIEW wc_audit_breaks AS
    SELECT console, seq, prev_hash, expected_prev, expected_seq FROM (
        SELECT console, seq, prev_hash,
               lag(hash) OVER w AS expected_prev,
               COALESCE(lag(seq) OVER w + 1, 1) AS expected_seq
        FROM wc_audit WINDOW w AS (PARTITION BY console ORDER BY seq)
    ) a
    WHERE seq <> expected_seq OR prev_hash IS DISTINCT FROM
        COALESCE(expected_prev, '0000000000000000000000000000000000000000000000000000000000000000');
CREATE VIEW wc_history AS
    SELECT c.name AS console, g.name AS tag, s.t,
           COALESCE(s.num, s.int::double precision) AS value, s.txt AS text, g.unit,
           CASE s.quality & 127 WHEN 0 THEN 'good' WHEN 1 THEN 'uncertain' ELSE 'bad' END AS quality,
           s.quality AS quality_code
    FROM wc_sample s JOIN wc_tag g ON g.id = s.tag JOIN wc_console c ON c.id = g.console;
-- Months are UTC months whatever the server's or session's time zone: the bounds are computed on
-- timestamps without zone and written out with an explicit +00.
CREATE FUNCTION wc_ensure_month(at timestamptz) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    first timestamp := date_trunc('month', at AT TIME ZONE 'UTC');
    name text := 'wc_sample_' || to_char(first, 'YYYY_MM');
BEGIN
    IF to_regclass(name) IS NULL THEN
        PERFORM pg_advisory_xact_lock(hashtext('wc_sample partitions'));
        IF to_regclass(name) IS NULL THEN
            EXECUTE format('CREATE TABLE %I PARTITION OF wc_sample FOR VALUES FROM (%L) TO (%L)',
                           name, to_char(first, 'YYYY-MM-DD HH24:MI:SS') || '+00',
                           to_char(first + interval '1 month', 'YYYY-MM-DD HH24:MI:SS') || '+00');
        END IF;
    END IF;
END $$;
"#;

/// Jobs and well tests: each console's records as JSON documents (the same as `job export` and
/// `production export --json` write), with the columns reports filter on.
const V2: &str = r#"
CREATE TABLE wc_job (
    console integer NOT NULL REFERENCES wc_console(id),
    id bigint NOT NULL,
    number text NOT NULL,
    status text NOT NULL,
    well text NOT NULL,
    updated timestamptz NOT NULL,
    doc jsonb NOT NULL,
    PRIMARY KEY (console, id)
);
CREATE TABLE wc_well_test (
    console integer NOT NULL REFERENCES wc_console(id),
    id bigint NOT NULL,
    well text NOT NULL,
    status text NOT NULL,
    start timestamptz NOT NULL,
    doc jsonb NOT NULL,
    PRIMARY KEY (console, id)
);
"#;

/// Brings the database to the newest layout this console knows; returns the version it is at.
pub async fn migrate(client: &mut Client) -> Result<i32, ForwardError> {
    let known = MIGRATIONS.last().map_or(0, |m| m.0);
    for &(version, sql) in MIGRATIONS {
        let tx = client.transaction().await?;
        // One console migrates at a time; the others wait here and then find the work done.
        tx.execute("SELECT pg_advisory_xact_lock(hashtext('wellconsole schema'))", &[])
            .await?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS wc_schema (version integer NOT NULL, applied timestamptz NOT NULL DEFAULT now())",
        )
        .await?;
        let at: Option<i32> = tx.query_one("SELECT max(version) FROM wc_schema", &[]).await?.get(0);
        let at = at.unwrap_or(0);
        if at > known {
            return Err(ForwardError::SchemaTooNew { found: at, known });
        }
        if at >= version {
            tx.commit().await?;
            continue;
        }
        tx.batch_execute(sql).await?;
        tx.execute("INSERT INTO wc_schema (version) VALUES ($1)", &[&version])
            .await?;
        tx.commit().await?;
        tracing::info!(version, "central database migrated");
    }
    Ok(known)
}
