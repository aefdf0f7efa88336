//! `jobs.db`: the site's CT jobs with their operations log, fluid stages, BHA, NPT, issued ticket and
//! signatures, in SQLite.
//!
//! The store enforces the DATA rules, whoever asks: unique job numbers, the workflow's transitions, one job
//! in progress per unit and per reel, only a draft deleted, edits only while a job is editable and its
//! ticket a draft, each record's own checks, the site's catalog on plan and start. Every change runs in one
//! transaction, so a crash leaves the old records or the new ones, never half; a refused change changes
//! nothing. It does not check who asks (that is `command`'s, with roles and the audit trail), reads no clock
//! (the caller passes `now`) and is owned by one thread at a time.

use super::catalog::Catalog;
use super::model::{
    BhaComponent, FluidKind, FluidStage, Job, JobError, JobFields, JobStatus, MAX_BHA, MAX_FLUIDS, MAX_LONG_TEXT,
    MAX_NPT, MAX_TEXT, Npt, NptReason, OpType, Operation, SignRole, Signature, TicketState, check_number, text,
};
use super::{stats, workflow};
use crate::tag::Timestamp;
use rusqlite::{Connection, OptionalExtension, Params, Row, params};
use std::path::Path;

/// Times are INTEGER microseconds since the epoch (`Timestamp`); enums are stored by name; a job's typed
/// fields and frozen statistics are JSON, with the unit, reel and well kept apart for the busy checks.
pub const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS jobs(
    id INTEGER PRIMARY KEY,
    number TEXT NOT NULL UNIQUE COLLATE NOCASE,
    status TEXT NOT NULL,
    unit TEXT NOT NULL DEFAULT '',
    reel TEXT NOT NULL DEFAULT '',
    well TEXT NOT NULL DEFAULT '',
    fields_json TEXT NOT NULL,
    actual_start INTEGER,
    actual_end INTEGER,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    ticket TEXT NOT NULL,
    stats_json TEXT
);
CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs(status, unit, reel);
CREATE INDEX IF NOT EXISTS jobs_by_created ON jobs(created_at);
CREATE TABLE IF NOT EXISTS operations(
    id INTEGER PRIMARY KEY,
    job_id INTEGER NOT NULL,
    op_type TEXT NOT NULL,
    start_at INTEGER NOT NULL,
    end_at INTEGER,
    start_depth_ft REAL NOT NULL,
    end_depth_ft REAL NOT NULL,
    max_depth_ft REAL NOT NULL,
    max_weight_lbf REAL,
    min_weight_lbf REAL,
    max_circ_psi REAL,
    max_whp_psi REAL,
    avg_rate_bpm REAL,
    volume_bbl REAL NOT NULL,
    footage_ft REAL NOT NULL,
    fluid TEXT,
    detected INTEGER NOT NULL,
    observations TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS operations_by_job ON operations(job_id, start_at);
CREATE TABLE IF NOT EXISTS fluids(
    id INTEGER PRIMARY KEY,
    job_id INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    density_ppg REAL,
    viscosity_cp REAL,
    planned_bbl REAL,
    actual_bbl REAL NOT NULL,
    avg_rate_bpm REAL,
    max_pressure_psi REAL,
    start_at INTEGER,
    end_at INTEGER
);
CREATE INDEX IF NOT EXISTS fluids_by_job ON fluids(job_id, seq);
CREATE TABLE IF NOT EXISTS bha(
    id INTEGER PRIMARY KEY,
    job_id INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL,
    manufacturer TEXT NOT NULL,
    model TEXT NOT NULL,
    serial TEXT NOT NULL,
    length_ft REAL NOT NULL,
    od_in REAL NOT NULL,
    id_in REAL NOT NULL,
    weight_lb REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS bha_by_job ON bha(job_id, seq);
CREATE TABLE IF NOT EXISTS npt(
    id INTEGER PRIMARY KEY,
    job_id INTEGER NOT NULL,
    start_at INTEGER NOT NULL,
    end_at INTEGER NOT NULL,
    reason TEXT NOT NULL,
    note TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS npt_by_job ON npt(job_id, start_at);
CREATE TABLE IF NOT EXISTS signatures(
    id INTEGER PRIMARY KEY,
    job_id INTEGER NOT NULL,
    ord INTEGER NOT NULL,
    role TEXT NOT NULL,
    user_name TEXT NOT NULL,
    signed_name TEXT NOT NULL,
    signed_at INTEGER NOT NULL,
    content_sha256 TEXT NOT NULL,
    UNIQUE(job_id, role)
);
CREATE TABLE IF NOT EXISTS tickets(
    job_id INTEGER PRIMARY KEY,
    content_json TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    issued_at INTEGER NOT NULL,
    issued_by TEXT NOT NULL
);";

/// The tables whose rows belong to one job (deleted with a draft).
const CHILD_TABLES: [&str; 6] = ["operations", "fluids", "bha", "npt", "signatures", "tickets"];

const JOB_COLS: &str =
    "id, number, status, fields_json, actual_start, actual_end, created_by, created_at, updated_at, ticket, stats_json";
const OP_COLS: &str = "id, job_id, op_type, start_at, end_at, start_depth_ft, end_depth_ft, max_depth_ft, \
    max_weight_lbf, min_weight_lbf, max_circ_psi, max_whp_psi, avg_rate_bpm, volume_bbl, footage_ft, fluid, \
    detected, observations";
const FLUID_COLS: &str = "id, job_id, seq, kind, name, density_ppg, viscosity_cp, planned_bbl, actual_bbl, \
    avg_rate_bpm, max_pressure_psi, start_at, end_at";
const BHA_COLS: &str = "id, job_id, seq, kind, manufacturer, model, serial, length_ft, od_in, id_in, weight_lb";
const NPT_COLS: &str = "id, job_id, start_at, end_at, reason, note";
const SIG_COLS: &str = "role, user_name, signed_name, signed_at, content_sha256";

/// The site's job records; synchronous, owned by one thread at a time (the console's job writer or the CLI).
pub struct JobStore {
    conn: Connection,
}

impl JobStore {
    pub fn open(path: &Path) -> Result<Self, JobError> {
        let conn =
            crate::records::open(path, SCHEMA).map_err(|e| JobError::Store(format!("{}: {e}", path.display())))?;
        Ok(Self { conn })
    }

    /// The store opened for reading only (the HTTP API): never created, changed or migrated here.
    pub fn open_read_only(path: &Path) -> Result<Self, JobError> {
        let at = |e: rusqlite::Error| JobError::Store(format!("{}: {e}", path.display()));
        let conn = Connection::open_with_flags(
            path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(at)?;
        conn.busy_timeout(std::time::Duration::from_secs(5)).map_err(at)?;
        Ok(Self { conn })
    }

    /// A store that lives in memory only (tests).
    pub fn open_in_memory() -> Result<Self, JobError> {
        let conn = Connection::open_in_memory().map_err(db)?;
        conn.execute_batch(SCHEMA).map_err(db)?;
        Ok(Self { conn })
    }

    /// SQLite's data_version: changes when ANOTHER connection commits (the writer reloads its view then).
    pub fn data_version(&self) -> Result<i64, JobError> {
        self.conn.query_row("PRAGMA data_version", (), |r| r.get(0)).map_err(db)
    }

    pub fn create(&mut self, number: &str, fields: &JobFields, by: &str, now: Timestamp) -> Result<Job, JobError> {
        check_number(number)?;
        fields.check()?;
        text("created by", by, MAX_TEXT)?;
        let json = to_json(fields)?;
        let tx = self.conn.transaction().map_err(db)?;
        if find_job(&tx, number)?.is_some() {
            return Err(JobError::DuplicateNumber(number.to_owned()));
        }
        tx.execute(
            "INSERT INTO jobs(number, status, unit, reel, well, fields_json, created_by, created_at, updated_at, \
             ticket) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9)",
            params![
                number,
                JobStatus::Draft.name(),
                fields.unit,
                fields.reel,
                fields.well,
                json,
                by,
                now.0,
                TicketState::Draft.name()
            ],
        )
        .map_err(|e| insert_error(e, number))?;
        let job = job_by_id(&tx, tx.last_insert_rowid())?;
        tx.commit().map_err(db)?;
        Ok(job)
    }

    /// Replaces a job's typed fields. Past the draft they must stay plannable, and a job in progress keeps
    /// its unit and reel (the busy rules were checked on them when it started).
    pub fn update_fields(&mut self, number: &str, fields: &JobFields, now: Timestamp) -> Result<Job, JobError> {
        fields.check()?;
        let json = to_json(fields)?;
        let tx = self.conn.transaction().map_err(db)?;
        let job = job_by_number(&tx, number)?;
        check_editable(&job, "its fields")?;
        if job.status != JobStatus::Draft {
            fields.check_plannable()?;
        }
        if job.status == JobStatus::InProgress && (fields.unit != job.fields.unit || fields.reel != job.fields.reel) {
            return Err(wrong(&job, "the unit and the reel of a job in progress cannot change"));
        }
        tx.execute(
            "UPDATE jobs SET fields_json = ?1, unit = ?2, reel = ?3, well = ?4, updated_at = ?5 WHERE id = ?6",
            params![json, fields.unit, fields.reel, fields.well, now.0, job.id],
        )
        .map_err(db)?;
        let job = job_by_id(&tx, job.id)?;
        tx.commit().map_err(db)?;
        Ok(job)
    }

    /// Moves the job; IN_PROGRESS sets actual_start = now and checks unit/reel busy + catalog + check_plannable;
    /// COMPLETED sets actual_end = now, closes any open operation at now, and freezes stats (stats::compute,
    /// with `alarms`, `trips` counts given by the caller). PLANNED needs fields.check_plannable() + catalog.
    /// A job cancelled while in progress ends then too: its open operation and running stage are closed.
    pub fn transition(
        &mut self,
        number: &str,
        to: JobStatus,
        catalog: &Catalog,
        now: Timestamp,
        alarms: usize,
        trips: usize,
    ) -> Result<Job, JobError> {
        let tx = self.conn.transaction().map_err(db)?;
        let job = job_by_number(&tx, number)?;
        workflow::check_transition(&job.number, job.status, to)?;
        match to {
            JobStatus::Planned => {
                job.fields.check_plannable()?;
                catalog.check(&job.fields)?;
            }
            JobStatus::InProgress => start_job(&tx, &job, catalog, now)?,
            JobStatus::Completed => {
                stop_running(&tx, job.id, now)?;
                write_stats(&tx, job.id, job.actual_start.unwrap_or(now), now, alarms, trips)?;
            }
            JobStatus::Cancelled if job.status == JobStatus::InProgress => stop_running(&tx, job.id, now)?,
            JobStatus::Draft | JobStatus::Approved | JobStatus::Cancelled => {}
        }
        tx.execute(
            "UPDATE jobs SET status = ?1, updated_at = ?2 WHERE id = ?3",
            params![to.name(), now.0, job.id],
        )
        .map_err(db)?;
        let job = job_by_id(&tx, job.id)?;
        tx.commit().map_err(db)?;
        Ok(job)
    }

    /// Deletes a draft and everything typed into it; any later job is cancelled instead, so it stays in the
    /// record.
    pub fn delete(&mut self, number: &str) -> Result<(), JobError> {
        let tx = self.conn.transaction().map_err(db)?;
        let job = job_by_number(&tx, number)?;
        if job.status != JobStatus::Draft {
            return Err(wrong(
                &job,
                "only a draft may be deleted; cancel the job instead, it stays in the record",
            ));
        }
        for table in CHILD_TABLES {
            tx.execute(&format!("DELETE FROM {table} WHERE job_id = ?1"), params![job.id])
                .map_err(db)?;
        }
        tx.execute("DELETE FROM jobs WHERE id = ?1", params![job.id])
            .map_err(db)?;
        tx.commit().map_err(db)
    }

    pub fn job(&self, number: &str) -> Result<Job, JobError> {
        job_by_number(&self.conn, number)
    }

    pub fn job_by_id(&self, id: i64) -> Result<Job, JobError> {
        job_by_id(&self.conn, id)
    }

    pub fn operation(&self, op_id: i64) -> Result<Operation, JobError> {
        load_op(&self.conn, op_id)
    }

    pub fn fluid(&self, stage_id: i64) -> Result<FluidStage, JobError> {
        load_stage(&self.conn, stage_id)
    }

    pub fn npt_by_id(&self, npt_id: i64) -> Result<Npt, JobError> {
        query_one(
            &self.conn,
            &format!("SELECT {NPT_COLS} FROM npt WHERE id = ?1"),
            params![npt_id],
            npt_from_row,
        )?
        .ok_or_else(|| JobError::Invalid {
            field: "NPT",
            reason: format!("entry #{npt_id} does not exist"),
        })
    }

    /// Newest first (by created_at), at most `limit`.
    pub fn list(&self, status: Option<JobStatus>, limit: usize) -> Result<Vec<Job>, JobError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        query_all(
            &self.conn,
            &format!(
                "SELECT {JOB_COLS} FROM jobs WHERE ?1 IS NULL OR status = ?1 ORDER BY created_at DESC, id DESC \
                 LIMIT ?2"
            ),
            params![status.map(JobStatus::name), limit],
            job_from_row,
        )
    }

    /// Jobs IN_PROGRESS (at most one per unit).
    pub fn in_progress(&self) -> Result<Vec<Job>, JobError> {
        query_all(
            &self.conn,
            &format!("SELECT {JOB_COLS} FROM jobs WHERE status = ?1 ORDER BY actual_start, id"),
            params![JobStatus::InProgress.name()],
            job_from_row,
        )
    }

    /// By start.
    pub fn operations(&self, job_id: i64) -> Result<Vec<Operation>, JobError> {
        load_ops(&self.conn, job_id)
    }

    /// By seq.
    pub fn fluids(&self, job_id: i64) -> Result<Vec<FluidStage>, JobError> {
        load_fluids(&self.conn, job_id)
    }

    /// By seq, from the bottom up.
    pub fn bha(&self, job_id: i64) -> Result<Vec<BhaComponent>, JobError> {
        query_all(
            &self.conn,
            &format!("SELECT {BHA_COLS} FROM bha WHERE job_id = ?1 ORDER BY seq, id"),
            params![job_id],
            bha_from_row,
        )
    }

    /// By start.
    pub fn npt(&self, job_id: i64) -> Result<Vec<Npt>, JobError> {
        load_npt(&self.conn, job_id)
    }

    /// In signing order.
    pub fn signatures(&self, job_id: i64) -> Result<Vec<Signature>, JobError> {
        load_signatures(&self.conn, job_id)
    }
}

// --- the live service's records (job must be IN_PROGRESS) ---
impl JobStore {
    /// Inserts (op.id == 0) or updates (op.id > 0, only if still `detected` and unchanged by people) a
    /// detected operation; returns its id. An operation people have taken over is left as they made it (its
    /// id is still returned); people's observations are never overwritten.
    pub fn upsert_detected(&mut self, op: &Operation) -> Result<i64, JobError> {
        let op = checked_op(op)?;
        let tx = self.conn.transaction().map_err(db)?;
        let job = job_by_id(&tx, op.job_id)?;
        if job.status != JobStatus::InProgress {
            return Err(wrong(&job, "operations are detected only while the job is in progress"));
        }
        // The service keys what it detects by (job, start): the first sight inserts, the next ones update.
        let known = if op.id == 0 {
            tx.query_row(
                "SELECT id FROM operations WHERE job_id = ?1 AND start_at = ?2",
                rusqlite::params![op.job_id, op.start.micros()],
                |r| r.get::<_, i64>(0),
            )
            .optional()
            .map_err(db)?
        } else {
            Some(op.id)
        };
        let id = if let Some(id) = known {
            let old = load_op(&tx, id)?;
            if old.job_id != op.job_id {
                return Err(JobError::Invalid {
                    field: "operation",
                    reason: format!("operation #{} belongs to another job", op.id),
                });
            }
            if old.detected {
                update_op(
                    &tx,
                    &Operation {
                        id,
                        detected: true,
                        observations: old.observations,
                        ..op
                    },
                )?;
            }
            old.id
        } else {
            insert_op(&tx, &Operation { detected: true, ..op })?
        };
        tx.commit().map_err(db)?;
        Ok(id)
    }

    /// The running stage's volume, rate and pressure so far, from the pump totals.
    pub fn stage_progress(
        &mut self,
        stage_id: i64,
        actual_bbl: f64,
        avg_rate_bpm: Option<f64>,
        max_pressure_psi: Option<f64>,
    ) -> Result<(), JobError> {
        non_negative("pumped volume", Some(actual_bbl))?;
        non_negative("average rate", avg_rate_bpm)?;
        non_negative("maximum pressure", max_pressure_psi)?;
        let tx = self.conn.transaction().map_err(db)?;
        let stage = load_stage(&tx, stage_id)?;
        let job = job_by_id(&tx, stage.job_id)?;
        if job.status != JobStatus::InProgress {
            return Err(wrong(
                &job,
                "stage volumes are counted only while the job is in progress",
            ));
        }
        if stage.start.is_none() {
            return Err(wrong(
                &job,
                format!("fluid stage '{}' has not been started", stage.name),
            ));
        }
        tx.execute(
            "UPDATE fluids SET actual_bbl = ?1, avg_rate_bpm = ?2, max_pressure_psi = ?3 WHERE id = ?4",
            params![actual_bbl, avg_rate_bpm, max_pressure_psi, stage_id],
        )
        .map_err(db)?;
        tx.commit().map_err(db)
    }
}

// --- people's corrections of the log (job IN_PROGRESS or COMPLETED with ticket Draft) ---
// A completed job's statistics are computed again after each correction, so the ticket prints the log as
// corrected; they are frozen for good when the ticket is issued.
impl JobStore {
    /// Sets the type people say the operation was (detected=false from then on).
    pub fn set_op_type(&mut self, op_id: i64, t: &OpType) -> Result<Operation, JobError> {
        let t = OpType::parse(t.code())?;
        // A corrected operation is the crew's from then on, and the detector no longer updates it: while it
        // runs, that would leave it without an end (the detector closes it, the store keeps the crew's).
        let running = load_op(&self.conn, op_id)?;
        if running.end.is_none() {
            let job = job_by_id(&self.conn, running.job_id)?;
            return Err(wrong(
                &job,
                "the operation is still running; correct its type once it has ended",
            ));
        }
        self.correct_op(op_id, |op| {
            op.op_type = t;
            op.detected = false;
        })
    }

    /// Splits at `at` (strictly inside the op): the first keeps its id, the second is new; returns both.
    ///
    /// The log keeps only each operation's extremes, not its readings, so both halves keep the original's
    /// extremes (maximum depth, weights, pressures, rate); the depth at the split is interpolated linearly
    /// between the start and end depths, and volume and footage are shared in proportion to time. A running
    /// operation is split once it has ended (the store reads no clock to know where "now" is).
    pub fn split_op(&mut self, op_id: i64, at: Timestamp) -> Result<(Operation, Operation), JobError> {
        let tx = self.conn.transaction().map_err(db)?;
        let op = load_op(&tx, op_id)?;
        let job = job_by_id(&tx, op.job_id)?;
        check_correctable(&job)?;
        let Some(end) = op.end else {
            return Err(wrong(
                &job,
                "the operation is still running; split it once it has ended",
            ));
        };
        if at <= op.start || at >= end {
            return Err(JobError::Invalid {
                field: "split time",
                reason: format!(
                    "{} is not inside the operation ({} to {})",
                    at.to_rfc3339(),
                    op.start.to_rfc3339(),
                    end.to_rfc3339()
                ),
            });
        }
        let (first, second) = split_halves(&op, end, at);
        update_op(&tx, &first)?;
        let id = insert_op(&tx, &second)?;
        let second = Operation { id, ..second };
        refresh_stats(&tx, &job)?;
        tx.commit().map_err(db)?;
        Ok((first, second))
    }

    /// Merges `op_id` with the NEXT operation of its job (extremes combined, type of the first): the end of
    /// the second, volume and footage summed, the average rate weighted by duration, observations joined.
    pub fn merge_with_next(&mut self, op_id: i64) -> Result<Operation, JobError> {
        let tx = self.conn.transaction().map_err(db)?;
        let op = load_op(&tx, op_id)?;
        let job = job_by_id(&tx, op.job_id)?;
        check_correctable(&job)?;
        let next = query_one(
            &tx,
            &format!(
                "SELECT {OP_COLS} FROM operations WHERE job_id = ?1 AND (start_at > ?2 OR (start_at = ?2 AND id > ?3)) \
                 ORDER BY start_at, id LIMIT 1"
            ),
            params![op.job_id, op.start.0, op.id],
            op_from_row,
        )?
        .ok_or_else(|| JobError::Invalid {
            field: "operation",
            reason: "it is the job's last operation: there is none after it to merge with".into(),
        })?;
        if next.end.is_none() {
            return Err(wrong(
                &job,
                "the next operation is still running; merge once it has ended",
            ));
        }
        let merged = merged_ops(&op, &next);
        update_op(&tx, &merged)?;
        tx.execute("DELETE FROM operations WHERE id = ?1", params![next.id])
            .map_err(db)?;
        refresh_stats(&tx, &job)?;
        tx.commit().map_err(db)?;
        Ok(merged)
    }

    /// People's observations on an operation (MAX_LONG_TEXT). Not a correction of what was detected: a
    /// detected operation stays detected.
    pub fn annotate_op(&mut self, op_id: i64, observations: &str) -> Result<Operation, JobError> {
        text("observations", observations, MAX_LONG_TEXT)?;
        self.correct_op(op_id, |op| op.observations = observations.to_owned())
    }

    /// An operation the operator typed in (a pressure test, a BHA change): detected=false, with an end.
    pub fn add_op(&mut self, op: &Operation) -> Result<i64, JobError> {
        let op = checked_op(op)?;
        if op.end.is_none_or(|end| end <= op.start) {
            return Err(JobError::Invalid {
                field: "operation end",
                reason: "an operation typed in needs an end after its start".into(),
            });
        }
        let tx = self.conn.transaction().map_err(db)?;
        let job = job_by_id(&tx, op.job_id)?;
        check_correctable(&job)?;
        let id = insert_op(
            &tx,
            &Operation {
                id: 0,
                detected: false,
                ..op
            },
        )?;
        refresh_stats(&tx, &job)?;
        tx.commit().map_err(db)?;
        Ok(id)
    }

    fn correct_op(&mut self, op_id: i64, change: impl FnOnce(&mut Operation)) -> Result<Operation, JobError> {
        let tx = self.conn.transaction().map_err(db)?;
        let mut op = load_op(&tx, op_id)?;
        let job = job_by_id(&tx, op.job_id)?;
        check_correctable(&job)?;
        change(&mut op);
        update_op(&tx, &op)?;
        refresh_stats(&tx, &job)?;
        tx.commit().map_err(db)?;
        Ok(op)
    }
}

// --- fluids, BHA, NPT (editable while status.editable() and ticket Draft) ---
impl JobStore {
    /// Adds a stage at the end of the program (seq = last+1). Its start and end are set by
    /// `start_stage`/`end_stage` only.
    pub fn add_fluid(&mut self, stage: &FluidStage) -> Result<i64, JobError> {
        check_stage(stage)?;
        let tx = self.conn.transaction().map_err(db)?;
        let job = job_by_id(&tx, stage.job_id)?;
        check_editable(&job, "its fluid stages")?;
        let (count, last): (i64, i64) = tx
            .query_row(
                "SELECT COUNT(*), COALESCE(MAX(seq), 0) FROM fluids WHERE job_id = ?1",
                params![job.id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(db)?;
        if count >= MAX_FLUIDS as i64 {
            return Err(JobError::Invalid {
                field: "fluid stages",
                reason: format!("a job has at most {MAX_FLUIDS}"),
            });
        }
        tx.execute(
            &format!(
                "INSERT INTO fluids({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, NULL, NULL)",
                &FLUID_COLS["id, ".len()..]
            ),
            params![
                job.id,
                last + 1,
                stage.kind.name(),
                stage.name,
                stage.density_ppg,
                stage.viscosity_cp,
                stage.planned_bbl,
                stage.actual_bbl,
                stage.avg_rate_bpm,
                stage.max_pressure_psi
            ],
        )
        .map_err(db)?;
        let id = tx.last_insert_rowid();
        tx.commit().map_err(db)?;
        Ok(id)
    }

    /// Changes a stage's program (kind, name, density, viscosity, planned volume); its actual volume, rate
    /// and pressure too unless it is running (then they are the pump's, counted live). Its job, place in the
    /// program, start and end stay as stored.
    pub fn update_fluid(&mut self, stage: &FluidStage) -> Result<(), JobError> {
        check_stage(stage)?;
        let tx = self.conn.transaction().map_err(db)?;
        let old = load_stage(&tx, stage.id)?;
        let job = job_by_id(&tx, old.job_id)?;
        check_editable(&job, "its fluid stages")?;
        tx.execute(
            "UPDATE fluids SET kind = ?1, name = ?2, density_ppg = ?3, viscosity_cp = ?4, planned_bbl = ?5 \
             WHERE id = ?6",
            params![
                stage.kind.name(),
                stage.name,
                stage.density_ppg,
                stage.viscosity_cp,
                stage.planned_bbl,
                old.id
            ],
        )
        .map_err(db)?;
        if !old.running() {
            tx.execute(
                "UPDATE fluids SET actual_bbl = ?1, avg_rate_bpm = ?2, max_pressure_psi = ?3 WHERE id = ?4",
                params![stage.actual_bbl, stage.avg_rate_bpm, stage.max_pressure_psi, old.id],
            )
            .map_err(db)?;
        }
        tx.commit().map_err(db)
    }

    /// Removes a stage never started (the ones after it move up); a pumped one stays in the record.
    pub fn remove_fluid(&mut self, stage_id: i64) -> Result<(), JobError> {
        let tx = self.conn.transaction().map_err(db)?;
        let stage = load_stage(&tx, stage_id)?;
        let job = job_by_id(&tx, stage.job_id)?;
        check_editable(&job, "its fluid stages")?;
        if stage.start.is_some() {
            return Err(wrong(
                &job,
                format!("fluid stage '{}' has been pumped; it stays in the record", stage.name),
            ));
        }
        tx.execute("DELETE FROM fluids WHERE id = ?1", params![stage_id])
            .map_err(db)?;
        tx.execute(
            "UPDATE fluids SET seq = seq - 1 WHERE job_id = ?1 AND seq > ?2",
            params![stage.job_id, stage.seq],
        )
        .map_err(db)?;
        tx.commit().map_err(db)
    }

    /// Starts a stage (job IN_PROGRESS): ends any other running stage of the job at `now`.
    pub fn start_stage(&mut self, stage_id: i64, now: Timestamp) -> Result<(), JobError> {
        let tx = self.conn.transaction().map_err(db)?;
        let stage = load_stage(&tx, stage_id)?;
        let job = job_by_id(&tx, stage.job_id)?;
        if job.status != JobStatus::InProgress {
            return Err(wrong(
                &job,
                "a fluid stage is started only while the job is in progress",
            ));
        }
        if stage.start.is_some() {
            return Err(wrong(
                &job,
                format!("fluid stage '{}' has already been started", stage.name),
            ));
        }
        end_running_stages(&tx, job.id, now)?;
        tx.execute(
            "UPDATE fluids SET start_at = ?1 WHERE id = ?2",
            params![now.0, stage_id],
        )
        .map_err(db)?;
        touch(&tx, job.id, now)?;
        tx.commit().map_err(db)
    }

    pub fn end_stage(&mut self, stage_id: i64, now: Timestamp) -> Result<(), JobError> {
        let tx = self.conn.transaction().map_err(db)?;
        let stage = load_stage(&tx, stage_id)?;
        let job = job_by_id(&tx, stage.job_id)?;
        if job.status != JobStatus::InProgress {
            return Err(wrong(&job, "a fluid stage is ended only while the job is in progress"));
        }
        if !stage.running() {
            return Err(wrong(&job, format!("fluid stage '{}' is not running", stage.name)));
        }
        tx.execute(
            "UPDATE fluids SET end_at = MAX(start_at, ?1) WHERE id = ?2",
            params![now.0, stage_id],
        )
        .map_err(db)?;
        touch(&tx, job.id, now)?;
        tx.commit().map_err(db)
    }

    /// Replaces the BHA whole (each checked, seq renumbered 1..n, at most MAX_BHA).
    pub fn set_bha(&mut self, job_id: i64, components: &[BhaComponent]) -> Result<(), JobError> {
        if components.len() > MAX_BHA {
            return Err(JobError::Invalid {
                field: "BHA",
                reason: format!("has {} components; at most {MAX_BHA}", components.len()),
            });
        }
        for (i, c) in components.iter().enumerate() {
            c.check().map_err(|e| match e {
                JobError::Invalid { field, reason } => JobError::Invalid {
                    field,
                    reason: format!("{reason} (component {} from the bottom)", i + 1),
                },
                e => e,
            })?;
        }
        let tx = self.conn.transaction().map_err(db)?;
        let job = job_by_id(&tx, job_id)?;
        check_editable(&job, "its BHA")?;
        tx.execute("DELETE FROM bha WHERE job_id = ?1", params![job_id])
            .map_err(db)?;
        for (seq, c) in (1i64..).zip(components) {
            tx.execute(
                &format!(
                    "INSERT INTO bha({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                    &BHA_COLS["id, ".len()..]
                ),
                params![
                    job_id,
                    seq,
                    c.kind,
                    c.manufacturer,
                    c.model,
                    c.serial,
                    c.length_ft,
                    c.od_in,
                    c.id_in,
                    c.weight_lb
                ],
            )
            .map_err(db)?;
        }
        tx.commit().map_err(db)
    }

    pub fn add_npt(&mut self, npt: &Npt) -> Result<i64, JobError> {
        npt.check()?;
        let tx = self.conn.transaction().map_err(db)?;
        let job = job_by_id(&tx, npt.job_id)?;
        check_editable(&job, "its NPT")?;
        let count: i64 = tx
            .query_row("SELECT COUNT(*) FROM npt WHERE job_id = ?1", params![job.id], |r| {
                r.get(0)
            })
            .map_err(db)?;
        if count >= MAX_NPT as i64 {
            return Err(JobError::Invalid {
                field: "NPT",
                reason: format!("a job has at most {MAX_NPT} entries"),
            });
        }
        tx.execute(
            "INSERT INTO npt(job_id, start_at, end_at, reason, note) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![job.id, npt.start.0, npt.end.0, npt.reason.name(), npt.note],
        )
        .map_err(db)?;
        let id = tx.last_insert_rowid();
        tx.commit().map_err(db)?;
        Ok(id)
    }

    pub fn remove_npt(&mut self, npt_id: i64) -> Result<(), JobError> {
        let tx = self.conn.transaction().map_err(db)?;
        let job_id: i64 = query_one(&tx, "SELECT job_id FROM npt WHERE id = ?1", params![npt_id], |r| {
            r.get(0)
        })?
        .ok_or_else(|| JobError::Invalid {
            field: "NPT",
            reason: format!("entry #{npt_id} does not exist"),
        })?;
        let job = job_by_id(&tx, job_id)?;
        check_editable(&job, "its NPT")?;
        tx.execute("DELETE FROM npt WHERE id = ?1", params![npt_id])
            .map_err(db)?;
        tx.commit().map_err(db)
    }
}

// --- the ticket ---
impl JobStore {
    /// Stores the ticket content (JSON made by job::ticket) and its SHA-256; ticket → PENDING_SIGNATURES.
    /// Job must be COMPLETED and ticket Draft.
    pub fn issue_ticket(
        &mut self,
        job_id: i64,
        content_json: &str,
        sha256: &str,
        by: &str,
        now: Timestamp,
    ) -> Result<(), JobError> {
        check_sha256(sha256)?;
        text("issued by", by, MAX_TEXT)?;
        if content_json.trim().is_empty() {
            return Err(JobError::Invalid {
                field: "ticket",
                reason: "has no content".into(),
            });
        }
        let tx = self.conn.transaction().map_err(db)?;
        let job = job_by_id(&tx, job_id)?;
        if job.status != JobStatus::Completed {
            return Err(wrong(&job, "a ticket is issued once the job is completed"));
        }
        if job.ticket != TicketState::Draft {
            return Err(wrong(&job, "its ticket has already been issued"));
        }
        // Nothing of an earlier issue can be left (the ticket only moves forward), but a stray row must not
        // make this one fail or mix with it.
        for table in ["tickets", "signatures"] {
            tx.execute(&format!("DELETE FROM {table} WHERE job_id = ?1"), params![job_id])
                .map_err(db)?;
        }
        tx.execute(
            "INSERT INTO tickets(job_id, content_json, sha256, issued_at, issued_by) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![job_id, content_json, sha256, now.0, by],
        )
        .map_err(db)?;
        tx.execute(
            "UPDATE jobs SET ticket = ?1, updated_at = ?2 WHERE id = ?3",
            params![TicketState::PendingSignatures.name(), now.0, job_id],
        )
        .map_err(db)?;
        tx.commit().map_err(db)
    }

    /// (content_json, sha256 recorded at issue) or None while the ticket is a draft.
    pub fn ticket(&self, job_id: i64) -> Result<Option<(String, String)>, JobError> {
        load_ticket(&self.conn, job_id)
    }

    /// Adds a signature in order (SignRole::ORDER; AlreadySigned / SignOrder errors); after ClientRep the
    /// ticket is COMPLETED. The caller has checked the hash; a signature on another content than the one
    /// issued is still refused here (Tampered).
    pub fn sign(&mut self, job_id: i64, sig: &Signature) -> Result<TicketState, JobError> {
        text("signer", &sig.user, MAX_TEXT)?;
        text("signer's name", &sig.name, MAX_TEXT)?;
        if sig.name.trim().is_empty() {
            return Err(JobError::Invalid {
                field: "signer's name",
                reason: "is required".into(),
            });
        }
        check_sha256(&sig.content_sha256)?;
        let tx = self.conn.transaction().map_err(db)?;
        let job = job_by_id(&tx, job_id)?;
        let Some((_, sha)) = load_ticket(&tx, job_id)?.filter(|_| job.ticket != TicketState::Draft) else {
            return Err(wrong(&job, "its ticket has not been issued for signatures"));
        };
        let signed = load_signatures(&tx, job_id)?;
        check_sign_order(&signed, sig.role)?;
        // Three signatures are three people: one login signs a ticket once.
        if let Some(other) = signed.iter().find(|s| s.user == sig.user) {
            return Err(JobError::Invalid {
                field: "signer",
                reason: format!(
                    "{} already signed this ticket as the {}: each capacity is signed by another person",
                    sig.user,
                    role_words(other.role)
                ),
            });
        }
        if sha != sig.content_sha256 {
            return Err(JobError::Tampered {
                now: sha,
                signed: sig.content_sha256.clone(),
            });
        }
        let ord = SignRole::ORDER.iter().position(|r| *r == sig.role).unwrap_or(0);
        tx.execute(
            "INSERT INTO signatures(job_id, ord, role, user_name, signed_name, signed_at, content_sha256) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                job_id,
                ord as i64,
                sig.role.name(),
                sig.user,
                sig.name,
                sig.at.0,
                sig.content_sha256
            ],
        )
        .map_err(db)?;
        let state = if signed.len() + 1 >= SignRole::ORDER.len() {
            TicketState::Completed
        } else {
            TicketState::PendingSignatures
        };
        tx.execute(
            "UPDATE jobs SET ticket = ?1 WHERE id = ?2",
            params![state.name(), job_id],
        )
        .map_err(db)?;
        tx.commit().map_err(db)?;
        Ok(state)
    }
}

// --- rules ---

fn wrong(job: &Job, why: impl Into<String>) -> JobError {
    JobError::WrongState {
        number: job.number.clone(),
        status: job.status,
        why: why.into(),
    }
}

/// Fields, fluids, BHA and NPT change only until the job is completed, and never once its ticket is issued.
fn check_editable(job: &Job, what: &str) -> Result<(), JobError> {
    if job.ticket != TicketState::Draft {
        return Err(wrong(
            job,
            format!("its ticket has been issued; {what} can no longer change"),
        ));
    }
    if !job.status.editable() {
        return Err(wrong(job, format!("{what} can no longer change")));
    }
    Ok(())
}

/// The operations log is corrected while the job runs and after it is completed, until the ticket is issued.
fn check_correctable(job: &Job) -> Result<(), JobError> {
    if job.ticket != TicketState::Draft {
        return Err(wrong(
            job,
            "its ticket has been issued; the operations log can no longer change",
        ));
    }
    if !matches!(job.status, JobStatus::InProgress | JobStatus::Completed) {
        return Err(wrong(job, "the operations log is kept once the job has started"));
    }
    Ok(())
}

/// The roles before `role` must all have signed, and `role` not yet.
fn check_sign_order(signed: &[Signature], role: SignRole) -> Result<(), JobError> {
    let has = |r: SignRole| signed.iter().any(|s| s.role == r);
    if has(role) {
        return Err(JobError::AlreadySigned(role_words(role).to_owned()));
    }
    for earlier in SignRole::ORDER.into_iter().take_while(|r| *r != role) {
        if !has(earlier) {
            return Err(JobError::SignOrder(
                role_words(role).to_owned(),
                role_words(earlier).to_owned(),
            ));
        }
    }
    Ok(())
}

/// A signing capacity inside a sentence ("the client representative signs after the service supervisor").
fn role_words(role: SignRole) -> &'static str {
    match role {
        SignRole::Operator => "CT operator",
        SignRole::Supervisor => "service supervisor",
        SignRole::ClientRep => "client representative",
    }
}

fn check_sha256(sha: &str) -> Result<(), JobError> {
    if sha.len() == 64 && sha.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(JobError::Invalid {
            field: "content hash",
            reason: format!("'{sha}' is not a SHA-256 in hex"),
        })
    }
}

fn non_negative(field: &'static str, v: Option<f64>) -> Result<(), JobError> {
    match v {
        Some(x) if !(x.is_finite() && x >= 0.0) => Err(JobError::Invalid {
            field,
            reason: format!("{x} is not a number of 0 or more"),
        }),
        _ => Ok(()),
    }
}

fn check_stage(stage: &FluidStage) -> Result<(), JobError> {
    stage.check()?;
    non_negative("pumped volume", Some(stage.actual_bbl))?;
    non_negative("average rate", stage.avg_rate_bpm)?;
    non_negative("maximum pressure", stage.max_pressure_psi)
}

/// An operation as it may be stored: times in order, numbers finite, text bounded, its type normalised
/// (a custom code that names a detected type becomes that type).
fn checked_op(op: &Operation) -> Result<Operation, JobError> {
    let op_type = OpType::parse(op.op_type.code())?;
    if op.end.is_some_and(|end| end < op.start) {
        return Err(JobError::Invalid {
            field: "operation end",
            reason: "is before its start".into(),
        });
    }
    // Only finite: a gauge reads a little below zero at rest, and the detector's numbers are kept as read.
    for (field, v) in [
        ("start depth", Some(op.start_depth_ft)),
        ("end depth", Some(op.end_depth_ft)),
        ("maximum depth", Some(op.max_depth_ft)),
        ("maximum weight", op.max_weight_lbf),
        ("minimum weight", op.min_weight_lbf),
        ("maximum circulating pressure", op.max_circ_psi),
        ("maximum wellhead pressure", op.max_whp_psi),
        ("average rate", op.avg_rate_bpm),
        ("volume", Some(op.volume_bbl)),
        ("footage", Some(op.footage_ft)),
    ] {
        if let Some(x) = v
            && !x.is_finite()
        {
            return Err(JobError::Invalid {
                field,
                reason: format!("{x} is not a number"),
            });
        }
    }
    text("fluid", op.fluid.as_deref().unwrap_or(""), MAX_TEXT)?;
    text("observations", &op.observations, MAX_LONG_TEXT)?;
    Ok(Operation { op_type, ..op.clone() })
}

/// The two halves of `op` split at `at` (start < at < end); see `JobStore::split_op`.
fn split_halves(op: &Operation, end: Timestamp, at: Timestamp) -> (Operation, Operation) {
    let f = (at.0 - op.start.0) as f64 / (end.0 - op.start.0) as f64;
    let depth = op.start_depth_ft + (op.end_depth_ft - op.start_depth_ft) * f;
    let first = Operation {
        end: Some(at),
        end_depth_ft: depth,
        volume_bbl: op.volume_bbl * f,
        footage_ft: op.footage_ft * f,
        detected: false,
        ..op.clone()
    };
    let second = Operation {
        id: 0,
        start: at,
        start_depth_ft: depth,
        volume_bbl: op.volume_bbl - first.volume_bbl,
        footage_ft: op.footage_ft - first.footage_ft,
        detected: false,
        // The observations stay with the first half: a merge back gives them back unchanged.
        observations: String::new(),
        ..op.clone()
    };
    (first, second)
}

/// `a` and the operation after it, `b` (ended), as one; see `JobStore::merge_with_next`.
fn merged_ops(a: &Operation, b: &Operation) -> Operation {
    let wa = a.duration_s(b.start);
    let wb = b.duration_s(b.start);
    let avg_rate_bpm = match (a.avg_rate_bpm, b.avg_rate_bpm) {
        (Some(x), Some(y)) if wa + wb > 0.0 => Some((x * wa + y * wb) / (wa + wb)),
        (Some(x), Some(y)) => Some((x + y) / 2.0),
        (x, y) => x.or(y),
    };
    let notes: Vec<&str> = [a.observations.as_str(), b.observations.as_str()]
        .into_iter()
        .filter(|s| !s.trim().is_empty())
        .collect();
    Operation {
        end: b.end,
        end_depth_ft: b.end_depth_ft,
        max_depth_ft: a.max_depth_ft.max(b.max_depth_ft),
        max_weight_lbf: stats::extreme(a.max_weight_lbf, b.max_weight_lbf, f64::max),
        min_weight_lbf: stats::extreme(a.min_weight_lbf, b.min_weight_lbf, f64::min),
        max_circ_psi: stats::extreme(a.max_circ_psi, b.max_circ_psi, f64::max),
        max_whp_psi: stats::extreme(a.max_whp_psi, b.max_whp_psi, f64::max),
        avg_rate_bpm,
        volume_bbl: a.volume_bbl + b.volume_bbl,
        footage_ft: a.footage_ft + b.footage_ft,
        fluid: a.fluid.clone().or_else(|| b.fluid.clone()),
        detected: false,
        // Two full notes joined could pass the bound every note keeps.
        observations: notes.join(" / ").chars().take(MAX_LONG_TEXT).collect(),
        ..a.clone()
    }
}

// --- changes that are steps of a bigger one (inside its transaction) ---

/// IN_PROGRESS: the job's fields complete, its names known to the site, its unit and reel free.
fn start_job(conn: &Connection, job: &Job, catalog: &Catalog, now: Timestamp) -> Result<(), JobError> {
    job.fields.check_plannable()?;
    catalog.check(&job.fields)?;
    let busy = |column: &str, value: &str| -> Result<Option<String>, JobError> {
        query_one(
            conn,
            &format!("SELECT number FROM jobs WHERE status = ?1 AND {column} = ?2 AND id <> ?3 LIMIT 1"),
            params![JobStatus::InProgress.name(), value, job.id],
            |r| r.get(0),
        )
    };
    if let Some(other) = busy("unit", &job.fields.unit)? {
        return Err(JobError::UnitBusy {
            unit: job.fields.unit.clone(),
            other,
        });
    }
    if let Some(other) = busy("reel", &job.fields.reel)? {
        return Err(JobError::ReelBusy {
            reel: job.fields.reel.clone(),
            other,
        });
    }
    conn.execute(
        "UPDATE jobs SET actual_start = ?1, actual_end = NULL WHERE id = ?2",
        params![now.0, job.id],
    )
    .map_err(db)?;
    Ok(())
}

/// The job ends at `now`: its open operation and running stage end there too.
fn stop_running(conn: &Connection, job_id: i64, now: Timestamp) -> Result<(), JobError> {
    conn.execute(
        "UPDATE operations SET end_at = MAX(start_at, ?1) WHERE job_id = ?2 AND end_at IS NULL",
        params![now.0, job_id],
    )
    .map_err(db)?;
    end_running_stages(conn, job_id, now)?;
    conn.execute("UPDATE jobs SET actual_end = ?1 WHERE id = ?2", params![now.0, job_id])
        .map_err(db)?;
    Ok(())
}

fn end_running_stages(conn: &Connection, job_id: i64, now: Timestamp) -> Result<(), JobError> {
    conn.execute(
        "UPDATE fluids SET end_at = MAX(start_at, ?1) WHERE job_id = ?2 AND start_at IS NOT NULL AND end_at IS NULL",
        params![now.0, job_id],
    )
    .map_err(db)?;
    Ok(())
}

fn touch(conn: &Connection, job_id: i64, now: Timestamp) -> Result<(), JobError> {
    conn.execute("UPDATE jobs SET updated_at = ?1 WHERE id = ?2", params![now.0, job_id])
        .map_err(db)?;
    Ok(())
}

fn write_stats(
    conn: &Connection,
    job_id: i64,
    start: Timestamp,
    end: Timestamp,
    alarms: usize,
    trips: usize,
) -> Result<(), JobError> {
    let ops = load_ops(conn, job_id)?;
    let fluids = load_fluids(conn, job_id)?;
    let npt = load_npt(conn, job_id)?;
    let s = stats::compute(&ops, &fluids, &npt, start, end, alarms, trips);
    conn.execute(
        "UPDATE jobs SET stats_json = ?1 WHERE id = ?2",
        params![to_json(&s)?, job_id],
    )
    .map_err(db)?;
    Ok(())
}

/// A completed job's statistics again, after a correction of its log (same window, same alarm and trip
/// counts).
fn refresh_stats(conn: &Connection, job: &Job) -> Result<(), JobError> {
    if job.status != JobStatus::Completed {
        return Ok(());
    }
    let end = job.actual_end.unwrap_or(job.updated_at);
    let (alarms, trips) = job.stats.as_ref().map_or((0, 0), |s| (s.alarms, s.trips));
    write_stats(conn, job.id, job.actual_start.unwrap_or(end), end, alarms, trips)
}

fn insert_op(conn: &Connection, op: &Operation) -> Result<i64, JobError> {
    conn.execute(
        &format!(
            "INSERT INTO operations({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, \
             ?16, ?17)",
            &OP_COLS["id, ".len()..]
        ),
        params![
            op.job_id,
            op.op_type.code(),
            op.start.0,
            op.end.map(|t| t.0),
            op.start_depth_ft,
            op.end_depth_ft,
            op.max_depth_ft,
            op.max_weight_lbf,
            op.min_weight_lbf,
            op.max_circ_psi,
            op.max_whp_psi,
            op.avg_rate_bpm,
            op.volume_bbl,
            op.footage_ft,
            op.fluid,
            op.detected,
            op.observations
        ],
    )
    .map_err(db)?;
    Ok(conn.last_insert_rowid())
}

/// Writes every column of the operation `op.id` (its job stays).
fn update_op(conn: &Connection, op: &Operation) -> Result<(), JobError> {
    conn.execute(
        "UPDATE operations SET op_type = ?1, start_at = ?2, end_at = ?3, start_depth_ft = ?4, end_depth_ft = ?5, \
         max_depth_ft = ?6, max_weight_lbf = ?7, min_weight_lbf = ?8, max_circ_psi = ?9, max_whp_psi = ?10, \
         avg_rate_bpm = ?11, volume_bbl = ?12, footage_ft = ?13, fluid = ?14, detected = ?15, observations = ?16 \
         WHERE id = ?17",
        params![
            op.op_type.code(),
            op.start.0,
            op.end.map(|t| t.0),
            op.start_depth_ft,
            op.end_depth_ft,
            op.max_depth_ft,
            op.max_weight_lbf,
            op.min_weight_lbf,
            op.max_circ_psi,
            op.max_whp_psi,
            op.avg_rate_bpm,
            op.volume_bbl,
            op.footage_ft,
            op.fluid,
            op.detected,
            op.observations,
            op.id
        ],
    )
    .map_err(db)?;
    Ok(())
}

// --- reading ---

fn db(e: rusqlite::Error) -> JobError {
    JobError::Store(e.to_string())
}

/// The unique index on the number speaks for a job created between our check and the insert (another
/// process, the CLI, writing the same file).
fn insert_error(e: rusqlite::Error, number: &str) -> JobError {
    if matches!(e.sqlite_error_code(), Some(rusqlite::ErrorCode::ConstraintViolation)) {
        JobError::DuplicateNumber(number.to_owned())
    } else {
        db(e)
    }
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String, JobError> {
    serde_json::to_string(v).map_err(|e| JobError::Store(format!("could not encode a record: {e}")))
}

/// A stored value that does not read back (edited outside wellconsole, or a newer version's).
fn unreadable(idx: usize, e: impl std::error::Error + Send + Sync + 'static) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(idx, rusqlite::types::Type::Text, Box::new(e))
}

fn unknown_name(idx: usize, what: &str, v: &str) -> rusqlite::Error {
    unreadable(idx, JobError::Store(format!("unknown {what} '{v}'")))
}

fn query_one<T, P, F>(conn: &Connection, sql: &str, p: P, f: F) -> Result<Option<T>, JobError>
where
    P: Params,
    F: FnOnce(&Row<'_>) -> rusqlite::Result<T>,
{
    conn.query_row(sql, p, f).optional().map_err(db)
}

fn query_all<T, P, F>(conn: &Connection, sql: &str, p: P, f: F) -> Result<Vec<T>, JobError>
where
    P: Params,
    F: FnMut(&Row<'_>) -> rusqlite::Result<T>,
{
    let mut stmt = conn.prepare(sql).map_err(db)?;
    let rows = stmt.query_map(p, f).map_err(db)?;
    rows.collect::<rusqlite::Result<Vec<T>>>().map_err(db)
}

fn find_job(conn: &Connection, number: &str) -> Result<Option<Job>, JobError> {
    query_one(
        conn,
        &format!("SELECT {JOB_COLS} FROM jobs WHERE number = ?1"),
        params![number],
        job_from_row,
    )
}

fn job_by_number(conn: &Connection, number: &str) -> Result<Job, JobError> {
    find_job(conn, number)?.ok_or_else(|| JobError::NoSuchJob(number.to_owned()))
}

fn job_by_id(conn: &Connection, id: i64) -> Result<Job, JobError> {
    query_one(
        conn,
        &format!("SELECT {JOB_COLS} FROM jobs WHERE id = ?1"),
        params![id],
        job_from_row,
    )?
    .ok_or_else(|| JobError::NoSuchJob(format!("#{id}")))
}

fn load_op(conn: &Connection, id: i64) -> Result<Operation, JobError> {
    query_one(
        conn,
        &format!("SELECT {OP_COLS} FROM operations WHERE id = ?1"),
        params![id],
        op_from_row,
    )?
    .ok_or_else(|| JobError::Invalid {
        field: "operation",
        reason: format!("operation #{id} does not exist"),
    })
}

fn load_ops(conn: &Connection, job_id: i64) -> Result<Vec<Operation>, JobError> {
    query_all(
        conn,
        &format!("SELECT {OP_COLS} FROM operations WHERE job_id = ?1 ORDER BY start_at, id"),
        params![job_id],
        op_from_row,
    )
}

fn load_stage(conn: &Connection, id: i64) -> Result<FluidStage, JobError> {
    query_one(
        conn,
        &format!("SELECT {FLUID_COLS} FROM fluids WHERE id = ?1"),
        params![id],
        fluid_from_row,
    )?
    .ok_or_else(|| JobError::Invalid {
        field: "fluid stage",
        reason: format!("stage #{id} does not exist"),
    })
}

fn load_fluids(conn: &Connection, job_id: i64) -> Result<Vec<FluidStage>, JobError> {
    query_all(
        conn,
        &format!("SELECT {FLUID_COLS} FROM fluids WHERE job_id = ?1 ORDER BY seq, id"),
        params![job_id],
        fluid_from_row,
    )
}

fn load_npt(conn: &Connection, job_id: i64) -> Result<Vec<Npt>, JobError> {
    query_all(
        conn,
        &format!("SELECT {NPT_COLS} FROM npt WHERE job_id = ?1 ORDER BY start_at, id"),
        params![job_id],
        npt_from_row,
    )
}

fn load_signatures(conn: &Connection, job_id: i64) -> Result<Vec<Signature>, JobError> {
    query_all(
        conn,
        &format!("SELECT {SIG_COLS} FROM signatures WHERE job_id = ?1 ORDER BY ord"),
        params![job_id],
        signature_from_row,
    )
}

fn load_ticket(conn: &Connection, job_id: i64) -> Result<Option<(String, String)>, JobError> {
    query_one(
        conn,
        "SELECT content_json, sha256 FROM tickets WHERE job_id = ?1",
        params![job_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
}

fn time(r: &Row<'_>, idx: usize) -> rusqlite::Result<Option<Timestamp>> {
    Ok(r.get::<_, Option<i64>>(idx)?.map(Timestamp))
}

fn job_from_row(r: &Row<'_>) -> rusqlite::Result<Job> {
    let status: String = r.get(2)?;
    let fields: String = r.get(3)?;
    let ticket: String = r.get(9)?;
    let stats: Option<String> = r.get(10)?;
    Ok(Job {
        id: r.get(0)?,
        number: r.get(1)?,
        status: JobStatus::parse(&status).ok_or_else(|| unknown_name(2, "job status", &status))?,
        fields: serde_json::from_str(&fields).map_err(|e| unreadable(3, e))?,
        actual_start: time(r, 4)?,
        actual_end: time(r, 5)?,
        created_by: r.get(6)?,
        created_at: Timestamp(r.get(7)?),
        updated_at: Timestamp(r.get(8)?),
        ticket: TicketState::parse(&ticket).ok_or_else(|| unknown_name(9, "ticket state", &ticket))?,
        stats: stats
            .map(|s| serde_json::from_str(&s))
            .transpose()
            .map_err(|e| unreadable(10, e))?,
    })
}

fn op_from_row(r: &Row<'_>) -> rusqlite::Result<Operation> {
    let op_type: String = r.get(2)?;
    Ok(Operation {
        id: r.get(0)?,
        job_id: r.get(1)?,
        op_type: OpType::parse(&op_type).map_err(|e| unreadable(2, e))?,
        start: Timestamp(r.get(3)?),
        end: time(r, 4)?,
        start_depth_ft: r.get(5)?,
        end_depth_ft: r.get(6)?,
        max_depth_ft: r.get(7)?,
        max_weight_lbf: r.get(8)?,
        min_weight_lbf: r.get(9)?,
        max_circ_psi: r.get(10)?,
        max_whp_psi: r.get(11)?,
        avg_rate_bpm: r.get(12)?,
        volume_bbl: r.get(13)?,
        footage_ft: r.get(14)?,
        fluid: r.get(15)?,
        detected: r.get(16)?,
        observations: r.get(17)?,
    })
}

fn fluid_from_row(r: &Row<'_>) -> rusqlite::Result<FluidStage> {
    let kind: String = r.get(3)?;
    Ok(FluidStage {
        id: r.get(0)?,
        job_id: r.get(1)?,
        seq: r.get(2)?,
        kind: FluidKind::parse(&kind).ok_or_else(|| unknown_name(3, "fluid", &kind))?,
        name: r.get(4)?,
        density_ppg: r.get(5)?,
        viscosity_cp: r.get(6)?,
        planned_bbl: r.get(7)?,
        actual_bbl: r.get(8)?,
        avg_rate_bpm: r.get(9)?,
        max_pressure_psi: r.get(10)?,
        start: time(r, 11)?,
        end: time(r, 12)?,
    })
}

fn bha_from_row(r: &Row<'_>) -> rusqlite::Result<BhaComponent> {
    Ok(BhaComponent {
        id: r.get(0)?,
        job_id: r.get(1)?,
        seq: r.get(2)?,
        kind: r.get(3)?,
        manufacturer: r.get(4)?,
        model: r.get(5)?,
        serial: r.get(6)?,
        length_ft: r.get(7)?,
        od_in: r.get(8)?,
        id_in: r.get(9)?,
        weight_lb: r.get(10)?,
    })
}

fn npt_from_row(r: &Row<'_>) -> rusqlite::Result<Npt> {
    let reason: String = r.get(4)?;
    Ok(Npt {
        id: r.get(0)?,
        job_id: r.get(1)?,
        start: Timestamp(r.get(2)?),
        end: Timestamp(r.get(3)?),
        reason: NptReason::parse(&reason).ok_or_else(|| unknown_name(4, "NPT reason", &reason))?,
        note: r.get(5)?,
    })
}

fn signature_from_row(r: &Row<'_>) -> rusqlite::Result<Signature> {
    let role: String = r.get(0)?;
    Ok(Signature {
        role: SignRole::parse(&role).ok_or_else(|| unknown_name(0, "signing role", &role))?,
        user: r.get(1)?,
        name: r.get(2)?,
        at: Timestamp(r.get(3)?),
        content_sha256: r.get(4)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::catalog::WellInfo;
    use crate::job::model::JobStatus::{Approved, Completed, Draft, InProgress, Planned};
    use crate::job::model::JobType;

    const T0: i64 = 1_800_000_000_000_000;

    fn at(s: i64) -> Timestamp {
        Timestamp(T0 + s * 1_000_000)
    }

    fn sha() -> String {
        "ab".repeat(32)
    }

    fn catalog() -> Catalog {
        Catalog {
            wells: vec![WellInfo {
                id: "W-1".into(),
                field: "North".into(),
                depth_ft: Some(12_000.0),
            }],
            units: vec!["ct1".into(), "ct2".into()],
            reels: vec!["R-1".into(), "R-2".into()],
        }
    }

    fn fields(unit: &str, reel: &str) -> JobFields {
        JobFields {
            job_type: Some(JobType::CleanOut),
            well: "W-1".into(),
            unit: unit.into(),
            reel: reel.into(),
            supervisor: "Luis".into(),
            client: "Acme".into(),
            ..JobFields::default()
        }
    }

    fn approved(s: &mut JobStore, number: &str, unit: &str, reel: &str) -> Job {
        s.create(number, &fields(unit, reel), "ana", at(0)).unwrap();
        s.transition(number, Planned, &catalog(), at(1), 0, 0).unwrap();
        s.transition(number, Approved, &catalog(), at(2), 0, 0).unwrap()
    }

    fn started(s: &mut JobStore, number: &str, unit: &str, reel: &str) -> Job {
        approved(s, number, unit, reel);
        s.transition(number, InProgress, &catalog(), at(100), 0, 0).unwrap()
    }

    /// Started at 100 s, RIH to 3000 ft, POOH still open, completed at 1000 s with 3 alarms.
    fn completed(s: &mut JobStore, number: &str) -> Job {
        let job = started(s, number, "ct1", "R-1");
        s.upsert_detected(&op(job.id, OpType::Rih, 100, Some(700), (0.0, 3000.0)))
            .unwrap();
        s.upsert_detected(&op(job.id, OpType::Pooh, 700, None, (3000.0, 0.0)))
            .unwrap();
        s.transition(number, Completed, &catalog(), at(1000), 3, 0).unwrap()
    }

    fn op(job_id: i64, t: OpType, start: i64, end: Option<i64>, depths: (f64, f64)) -> Operation {
        Operation {
            id: 0,
            job_id,
            op_type: t,
            start: at(start),
            end: end.map(at),
            start_depth_ft: depths.0,
            end_depth_ft: depths.1,
            max_depth_ft: depths.0.max(depths.1),
            max_weight_lbf: Some(12_000.0),
            min_weight_lbf: Some(8_000.0),
            max_circ_psi: Some(2_500.0),
            max_whp_psi: Some(600.0),
            avg_rate_bpm: Some(2.0),
            volume_bbl: 10.0,
            footage_ft: (depths.1 - depths.0).abs(),
            fluid: None,
            detected: true,
            observations: String::new(),
        }
    }

    fn stage(job_id: i64, name: &str) -> FluidStage {
        FluidStage {
            id: 0,
            job_id,
            seq: 0,
            kind: FluidKind::Water,
            name: name.into(),
            density_ppg: Some(8.33),
            viscosity_cp: None,
            planned_bbl: Some(100.0),
            actual_bbl: 0.0,
            avg_rate_bpm: None,
            max_pressure_psi: None,
            start: None,
            end: None,
        }
    }

    fn npt(job_id: i64, start: i64, end: i64) -> Npt {
        Npt {
            id: 0,
            job_id,
            start: at(start),
            end: at(end),
            reason: NptReason::Repair,
            note: "pump seal".into(),
        }
    }

    fn bha(kind: &str, od_in: f64, id_in: f64) -> BhaComponent {
        BhaComponent {
            id: 0,
            job_id: 0,
            seq: 0,
            kind: kind.into(),
            manufacturer: "Acme Tools".into(),
            model: "X1".into(),
            serial: "S-1".into(),
            length_ft: 2.0,
            od_in,
            id_in,
            weight_lb: 50.0,
        }
    }

    fn refused<T: std::fmt::Debug>(r: Result<T, JobError>) -> bool {
        matches!(r, Err(JobError::WrongState { .. }))
    }

    #[test]
    fn the_whole_workflow_freezes_the_statistics() {
        let mut s = JobStore::open_in_memory().unwrap();
        let n = "CT-2026-0142";
        let job = s.create(n, &JobFields::default(), "ana", at(0)).unwrap();
        assert_eq!((job.status, job.ticket), (Draft, TicketState::Draft));
        // A draft may be incomplete; it is planned once its fields are.
        assert!(matches!(
            s.transition(n, Planned, &catalog(), at(1), 0, 0),
            Err(JobError::Invalid { .. })
        ));
        s.update_fields(n, &fields("ct1", "R-1"), at(1)).unwrap();
        for (to, t) in [(Planned, 10), (Approved, 20), (InProgress, 30)] {
            assert_eq!(s.transition(n, to, &catalog(), at(t), 0, 0).unwrap().status, to);
        }
        let job = s.job(n).unwrap();
        assert_eq!(job.actual_start, Some(at(30)));
        assert_eq!(s.in_progress().unwrap(), vec![job.clone()]);

        let water = s.add_fluid(&stage(job.id, "Water")).unwrap();
        let spare = s.add_fluid(&stage(job.id, "Spare")).unwrap();
        s.start_stage(water, at(40)).unwrap();
        assert!(refused(s.remove_fluid(water)), "a pumped stage stays");
        s.remove_fluid(spare).unwrap();
        s.upsert_detected(&op(job.id, OpType::Rih, 30, Some(1830), (0.0, 9000.0)))
            .unwrap();
        let wash_op = op(job.id, OpType::Wash, 1830, None, (9000.0, 9500.0));
        let wash = s.upsert_detected(&wash_op).unwrap();
        // The service updates the open operation in place.
        let grown = Operation {
            id: wash,
            max_depth_ft: 9600.0,
            ..wash_op.clone()
        };
        assert_eq!(s.upsert_detected(&grown).unwrap(), wash);
        s.stage_progress(water, 20.0, Some(2.0), Some(2400.0)).unwrap();
        s.add_npt(&npt(job.id, 2000, 2360)).unwrap();

        let job = s.transition(n, Completed, &catalog(), at(3630), 4, 1).unwrap();
        assert_eq!(job.actual_end, Some(at(3630)));
        let ops = s.operations(job.id).unwrap();
        assert_eq!(ops.len(), 2);
        assert_eq!((ops[1].end, ops[1].max_depth_ft), (Some(at(3630)), 9600.0));
        let fluids = s.fluids(job.id).unwrap();
        assert_eq!((fluids.len(), fluids[0].end), (1, Some(at(3630))));
        let st = job.stats.clone().unwrap();
        assert!((st.duration_h - 1.0).abs() < 1e-9);
        assert!((st.npt_h - 0.1).abs() < 1e-9);
        assert!((st.efficiency_pct - 90.0).abs() < 1e-9);
        assert_eq!((st.operations, st.alarms, st.trips), (2, 4, 1));
        assert_eq!(st.max_depth_ft, 9600.0);
        assert_eq!(st.volume_by_fluid, vec![("Water".to_owned(), 20.0)]);
        assert_eq!(st.hours_by_op, vec![("RIH".to_owned(), 0.5), ("WASH".to_owned(), 0.5)]);

        // Frozen: the live records, the fields and the status no longer change.
        assert!(refused(s.upsert_detected(&op(
            job.id,
            OpType::Rih,
            3700,
            None,
            (0.0, 1.0)
        ))));
        assert!(refused(s.stage_progress(water, 30.0, None, None)));
        assert!(refused(s.update_fields(n, &fields("ct1", "R-1"), at(4000))));
        for to in JobStatus::ALL {
            assert!(refused(s.transition(n, to, &catalog(), at(4000), 0, 0)), "{to}");
        }
        assert_eq!(s.job(n).unwrap(), job);
    }

    #[test]
    fn illegal_transitions_are_refused_and_change_nothing() {
        let mut s = JobStore::open_in_memory().unwrap();
        s.create("J-1", &fields("ct1", "R-1"), "ana", at(0)).unwrap();
        for to in [InProgress, Completed, Approved] {
            let e = s.transition("J-1", to, &catalog(), at(5), 0, 0).unwrap_err();
            assert!(matches!(e, JobError::WrongState { status: Draft, .. }), "{e}");
        }
        let job = s.job("J-1").unwrap();
        assert_eq!((job.status, job.actual_start, job.updated_at), (Draft, None, at(0)));
        // Back to edit, then cancelled: closed for good.
        s.transition("J-1", Planned, &catalog(), at(1), 0, 0).unwrap();
        s.transition("J-1", Draft, &catalog(), at(2), 0, 0).unwrap();
        s.transition("J-1", JobStatus::Cancelled, &catalog(), at(3), 0, 0)
            .unwrap();
        assert!(refused(s.transition("J-1", Planned, &catalog(), at(4), 0, 0)));
        assert_eq!(
            s.transition("J-9", Planned, &catalog(), at(4), 0, 0),
            Err(JobError::NoSuchJob("J-9".into()))
        );
    }

    #[test]
    fn one_job_in_progress_per_unit_and_per_reel() {
        let mut s = JobStore::open_in_memory().unwrap();
        started(&mut s, "J-1", "ct1", "R-1");
        approved(&mut s, "J-2", "ct1", "R-2");
        assert_eq!(
            s.transition("J-2", InProgress, &catalog(), at(200), 0, 0),
            Err(JobError::UnitBusy {
                unit: "ct1".into(),
                other: "J-1".into()
            })
        );
        approved(&mut s, "J-3", "ct2", "R-1");
        assert_eq!(
            s.transition("J-3", InProgress, &catalog(), at(200), 0, 0),
            Err(JobError::ReelBusy {
                reel: "R-1".into(),
                other: "J-1".into()
            })
        );
        assert_eq!(s.job("J-2").unwrap().status, Approved);
        assert_eq!(s.in_progress().unwrap().len(), 1);
        // Once the first is completed, the unit is free again.
        s.transition("J-1", Completed, &catalog(), at(300), 0, 0).unwrap();
        s.transition("J-2", InProgress, &catalog(), at(400), 0, 0).unwrap();
        // A job in progress keeps its unit and reel.
        assert!(refused(s.update_fields("J-2", &fields("ct2", "R-2"), at(500))));
    }

    #[test]
    fn only_a_draft_is_deleted() {
        let mut s = JobStore::open_in_memory().unwrap();
        approved(&mut s, "J-1", "ct1", "R-1");
        assert!(refused(s.delete("J-1")));
        assert!(s.job("J-1").is_ok());
        let draft = s.create("J-2", &fields("ct1", "R-1"), "ana", at(0)).unwrap();
        s.set_bha(draft.id, &[bha("nozzle", 2.0, 0.5)]).unwrap();
        s.add_fluid(&stage(draft.id, "Water")).unwrap();
        s.delete("J-2").unwrap();
        assert_eq!(s.job("J-2"), Err(JobError::NoSuchJob("J-2".into())));
        assert!(s.bha(draft.id).unwrap().is_empty());
        assert!(s.fluids(draft.id).unwrap().is_empty());
    }

    #[test]
    fn a_bha_component_with_id_not_below_od_is_refused_and_nothing_stored() {
        let mut s = JobStore::open_in_memory().unwrap();
        let job = s.create("J-1", &JobFields::default(), "ana", at(0)).unwrap();
        s.set_bha(job.id, &[bha("nozzle", 2.0, 0.5), bha("motor", 2.875, 1.0)])
            .unwrap();
        let e = s
            .set_bha(job.id, &[bha("mill", 3.0, 1.0), bha("jar", 2.0, 2.0)])
            .unwrap_err();
        assert!(matches!(e, JobError::Invalid { field: "ID", .. }), "{e}");
        assert!(e.to_string().contains("component 2"), "{e}");
        let kept = s.bha(job.id).unwrap();
        let kinds: Vec<(u32, &str)> = kept.iter().map(|c| (c.seq, c.kind.as_str())).collect();
        assert_eq!(kinds, [(1, "nozzle"), (2, "motor")]);
    }

    #[test]
    fn a_job_number_is_used_once_per_site() {
        let mut s = JobStore::open_in_memory().unwrap();
        s.create("CT-1", &JobFields::default(), "ana", at(0)).unwrap();
        s.create("CT-2", &JobFields::default(), "ana", at(10)).unwrap();
        assert_eq!(
            s.create("CT-1", &fields("ct1", "R-1"), "ana", at(20)),
            Err(JobError::DuplicateNumber("CT-1".into()))
        );
        assert!(matches!(
            s.create("ct-1", &JobFields::default(), "ana", at(20)),
            Err(JobError::DuplicateNumber(_))
        ));
        assert!(matches!(
            s.create("CT 1", &JobFields::default(), "ana", at(20)),
            Err(JobError::Invalid { .. })
        ));
        let numbers: Vec<String> = s.list(None, 10).unwrap().into_iter().map(|j| j.number).collect();
        assert_eq!(numbers, ["CT-2", "CT-1"]);
        assert_eq!(s.list(Some(Draft), 1).unwrap().len(), 1);
        assert!(s.list(Some(Planned), 10).unwrap().is_empty());
    }

    #[test]
    fn unknown_well_unit_or_reel_is_refused_at_plan() {
        let mut s = JobStore::open_in_memory().unwrap();
        for (number, f, what) in [
            (
                "J-1",
                JobFields {
                    well: "W-9".into(),
                    ..fields("ct1", "R-1")
                },
                "well",
            ),
            ("J-2", fields("ct9", "R-1"), "CT unit"),
            ("J-3", fields("ct1", "R-9"), "reel"),
        ] {
            s.create(number, &f, "ana", at(0)).unwrap();
            let e = s.transition(number, Planned, &catalog(), at(1), 0, 0).unwrap_err();
            assert!(matches!(e, JobError::Unknown { what: w, .. } if w == what), "{e}");
            assert_eq!(s.job(number).unwrap().status, Draft);
        }
    }

    #[test]
    fn split_then_merge_gives_the_operation_back() {
        let mut s = JobStore::open_in_memory().unwrap();
        let job = started(&mut s, "J-1", "ct1", "R-1");
        let original = Operation {
            observations: "slow at 4000 ft".into(),
            ..op(job.id, OpType::Rih, 100, Some(1100), (0.0, 5000.0))
        };
        let id = s.upsert_detected(&original).unwrap();
        let after = s
            .upsert_detected(&op(job.id, OpType::Pooh, 1100, Some(1500), (5000.0, 0.0)))
            .unwrap();
        for edge in [100, 1100, 2000] {
            assert!(matches!(s.split_op(id, at(edge)), Err(JobError::Invalid { .. })));
        }
        let (a, b) = s.split_op(id, at(350)).unwrap();
        assert_eq!((a.id, a.end, b.start), (id, Some(at(350)), at(350)));
        assert_ne!(b.id, id);
        assert!((a.end_depth_ft - 1250.0).abs() < 1e-9 && (b.start_depth_ft - 1250.0).abs() < 1e-9);
        assert_eq!(
            (a.max_depth_ft, b.max_depth_ft, b.end_depth_ft),
            (5000.0, 5000.0, 5000.0)
        );
        assert!(!a.detected && !b.detected);
        assert_eq!(s.operations(job.id).unwrap().len(), 3);

        let m = s.merge_with_next(id).unwrap();
        assert_eq!(
            (m.id, m.op_type.clone(), m.start, m.end),
            (id, OpType::Rih, at(100), Some(at(1100)))
        );
        assert_eq!(
            (m.start_depth_ft, m.end_depth_ft, m.max_depth_ft),
            (0.0, 5000.0, 5000.0)
        );
        assert!((m.volume_bbl - 10.0).abs() < 1e-9 && (m.footage_ft - 5000.0).abs() < 1e-9);
        assert!((m.avg_rate_bpm.unwrap() - 2.0).abs() < 1e-9);
        assert_eq!(m.observations, "slow at 4000 ft");
        let ops = s.operations(job.id).unwrap();
        assert_eq!((ops.len(), &ops[0], ops[1].id), (2, &m, after));

        // Nothing after the last one; a running one is split or merged once it has ended.
        assert!(matches!(s.merge_with_next(after), Err(JobError::Invalid { .. })));
        let open = s
            .upsert_detected(&op(job.id, OpType::Stationary, 1500, None, (0.0, 0.0)))
            .unwrap();
        assert!(refused(s.split_op(open, at(1600))));
        assert!(refused(s.merge_with_next(after)));
    }

    #[test]
    fn peoples_corrections_win_over_the_detector() {
        let mut s = JobStore::open_in_memory().unwrap();
        let job = started(&mut s, "J-1", "ct1", "R-1");
        let running = op(job.id, OpType::Wash, 100, None, (9000.0, 9100.0));
        let id = s.upsert_detected(&running).unwrap();
        assert!(
            refused(s.set_op_type(id, &OpType::Mill)),
            "a running operation's type is corrected once it has ended (the detector still closes it)"
        );
        let detected = op(job.id, OpType::Wash, 100, Some(200), (9000.0, 9100.0));
        assert_eq!(s.upsert_detected(&detected).unwrap(), id);
        let typed = s.set_op_type(id, &OpType::Custom("mill".into())).unwrap();
        assert_eq!((typed.op_type, typed.detected), (OpType::Mill, false));
        s.annotate_op(id, "junk in the hole").unwrap();
        let update = Operation {
            id,
            max_depth_ft: 9999.0,
            ..detected
        };
        assert_eq!(s.upsert_detected(&update).unwrap(), id);
        let ops = s.operations(job.id).unwrap();
        let kept = &ops[0];
        assert_eq!((kept.op_type.clone(), kept.max_depth_ft), (OpType::Mill, 9100.0));
        assert_eq!(kept.observations, "junk in the hole");
    }

    #[test]
    fn signatures_in_order_once_each() {
        let mut s = JobStore::open_in_memory().unwrap();
        let job = completed(&mut s, "J-1");
        let sig = |role: SignRole| Signature {
            role,
            user: role.name().into(),
            name: "Ana Pérez".into(),
            at: at(5000),
            content_sha256: sha(),
        };
        assert!(refused(s.sign(job.id, &sig(SignRole::Operator))), "not issued yet");
        assert_eq!(s.ticket(job.id).unwrap(), None);
        s.issue_ticket(job.id, "{\"job\":1}", &sha(), "ana", at(4000)).unwrap();
        assert_eq!(s.ticket(job.id).unwrap(), Some(("{\"job\":1}".to_owned(), sha())));
        assert_eq!(s.job_by_id(job.id).unwrap().ticket, TicketState::PendingSignatures);
        assert!(refused(s.issue_ticket(job.id, "{}", &sha(), "ana", at(4001))));

        for out_of_turn in [SignRole::Supervisor, SignRole::ClientRep] {
            assert!(matches!(
                s.sign(job.id, &sig(out_of_turn)),
                Err(JobError::SignOrder(..))
            ));
        }
        let other = Signature {
            content_sha256: "cd".repeat(32),
            ..sig(SignRole::Operator)
        };
        assert!(matches!(s.sign(job.id, &other), Err(JobError::Tampered { .. })));
        assert_eq!(
            s.sign(job.id, &sig(SignRole::Operator)),
            Ok(TicketState::PendingSignatures)
        );
        assert!(matches!(
            s.sign(job.id, &sig(SignRole::Operator)),
            Err(JobError::AlreadySigned(_))
        ));
        let same_person = Signature {
            user: "operator".into(),
            ..sig(SignRole::Supervisor)
        };
        assert!(
            matches!(
                s.sign(job.id, &same_person),
                Err(JobError::Invalid { field: "signer", .. })
            ),
            "the operator who signed may not sign again as the supervisor"
        );
        assert_eq!(
            s.sign(job.id, &sig(SignRole::Supervisor)),
            Ok(TicketState::PendingSignatures)
        );
        assert_eq!(s.sign(job.id, &sig(SignRole::ClientRep)), Ok(TicketState::Completed));
        assert_eq!(s.job_by_id(job.id).unwrap().ticket, TicketState::Completed);
        let roles: Vec<SignRole> = s.signatures(job.id).unwrap().iter().map(|g| g.role).collect();
        assert_eq!(roles, SignRole::ORDER);
        assert!(matches!(
            s.sign(job.id, &sig(SignRole::ClientRep)),
            Err(JobError::AlreadySigned(_))
        ));
    }

    #[test]
    fn a_completed_log_is_corrected_until_the_ticket_is_issued() {
        let mut s = JobStore::open_in_memory().unwrap();
        let job = completed(&mut s, "J-1");
        let ops = s.operations(job.id).unwrap();
        assert_eq!(ops[1].end, Some(at(1000)));
        s.set_op_type(ops[0].id, &OpType::Custom("pressure test".into()))
            .unwrap();
        let st = s.job("J-1").unwrap().stats.unwrap();
        assert_eq!(st.hours_by_op[0].0, "PRESSURE TEST");
        assert_eq!(st.alarms, 3, "the counts given at completion stay");
        assert!(refused(s.add_npt(&npt(job.id, 200, 300))), "NPT closes with the job");

        s.issue_ticket(job.id, "{}", &sha(), "ana", at(2000)).unwrap();
        let id = ops[0].id;
        let typed = Operation {
            op_type: OpType::Custom("BHA CHANGE".into()),
            ..op(job.id, OpType::Rih, 900, Some(950), (0.0, 0.0))
        };
        let results = [
            s.set_op_type(id, &OpType::Rih).map(|_| ()),
            s.annotate_op(id, "late note").map(|_| ()),
            s.split_op(id, at(300)).map(|_| ()),
            s.merge_with_next(id).map(|_| ()),
            s.add_op(&typed).map(|_| ()),
            s.update_fields("J-1", &fields("ct1", "R-1"), at(3000)).map(|_| ()),
            s.set_bha(job.id, &[]),
            s.add_fluid(&stage(job.id, "Water")).map(|_| ()),
        ];
        for r in results {
            assert!(refused(r.clone()), "{r:?}");
        }
        assert_eq!(s.operations(job.id).unwrap(), {
            let mut o = ops;
            o[0].op_type = OpType::Custom("PRESSURE TEST".into());
            o[0].detected = false;
            o
        });
    }
}
