//! The API's answers from the site's records: CT jobs (the whole record, the operations log, the ticket as
//! the PDF the console makes) and well tests. Read on the blocking pool from the records the console's
//! writers keep; a record file that does not exist yet answers an empty list.
//!
//! Owns these endpoints only; the records' shapes are the job and production rooms' own (the same JSON the
//! central store keeps). It must not write: a ticket PDF is rendered for the answer, never stored, and the
//! well test certificate (an audited export) is not offered here.

use super::Shared;
use super::params::{BadParam, Params};
use super::routes::Failure;
use crate::job::model::{JobError, JobStatus};
use crate::job::store::JobStore;
use crate::lang::Lang;
use crate::production::model::{ProductionError, TestStatus};
use crate::production::store::{ProductionStore, TestFilter};
use crate::units::UnitSystem;
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value as J, json};
use std::sync::Arc;

type St = State<Arc<Shared>>;

fn job_failure(e: JobError) -> Failure {
    match e {
        JobError::NoSuchJob(n) => Failure::NotFound(format!("job {n} does not exist")),
        e => Failure::Internal(e.to_string()),
    }
}

fn production_failure(e: ProductionError) -> Failure {
    match e {
        ProductionError::NoSuchTest(id) => Failure::NotFound(format!("well test {id} does not exist")),
        e => Failure::Internal(e.to_string()),
    }
}

/// The job records, if this console keeps them and they exist yet.
fn job_store(s: &Shared) -> Result<Option<JobStore>, Failure> {
    let Some(cfg) = s.sources.jobs.as_ref() else {
        return Err(Failure::NotKept("this console keeps no CT job records".into()));
    };
    if !cfg.path.exists() {
        return Ok(None);
    }
    JobStore::open_read_only(&cfg.path).map(Some).map_err(job_failure)
}

pub(super) async fn jobs(State(s): St, RawQuery(q): RawQuery) -> Result<Json<J>, Failure> {
    let p = Params::parse(q.as_deref(), &["status", "limit"])?;
    let names: Vec<&str> = JobStatus::ALL.iter().map(|s| s.name()).collect();
    let status = p.choice("status", &names)?.and_then(JobStatus::parse);
    let limit = p.count("limit", 100, s.max_page)?;
    let jobs = s
        .clone()
        .read(move || match job_store(&s)? {
            Some(store) => store.list(status, limit).map_err(job_failure),
            None => Ok(Vec::new()),
        })
        .await?;
    Ok(Json(json!({ "count": jobs.len(), "jobs": jobs })))
}

fn detail(s: &Shared, number: &str) -> Result<crate::job::view::JobDetail, Failure> {
    let store = job_store(s)?.ok_or_else(|| Failure::NotFound(format!("job {number} does not exist")))?;
    let job = store.job(number).map_err(job_failure)?;
    crate::job::view::JobDetail::load(&store, job).map_err(job_failure)
}

pub(super) async fn job(State(s): St, Path(number): Path<String>, RawQuery(q): RawQuery) -> Result<Json<J>, Failure> {
    Params::parse(q.as_deref(), &[])?;
    let d = s.clone().read(move || detail(&s, &number)).await?;
    Ok(Json(d.document()))
}

pub(super) async fn operations(
    State(s): St,
    Path(number): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Json<J>, Failure> {
    Params::parse(q.as_deref(), &[])?;
    let d = s.clone().read(move || detail(&s, &number)).await?;
    Ok(Json(json!({
        "job": d.job.number,
        "status": d.job.status,
        "count": d.operations.len(),
        "operations": d.operations,
    })))
}

pub(super) async fn ticket(
    State(s): St,
    Path(number): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, Failure> {
    let p = Params::parse(q.as_deref(), &["lang", "units"])?;
    let lang = match p.choice("lang", &["en", "es"])? {
        Some("es") => Lang::Es,
        _ => Lang::En,
    };
    let units = match p.choice("units", &["oilfield", "si"])? {
        Some("si") => UnitSystem::Si,
        _ => UnitSystem::Oilfield,
    };
    let file = format!(
        "ticket-{}.pdf",
        number
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            })
            .collect::<String>()
    );
    let bytes = s
        .clone()
        .read(move || {
            let store = job_store(&s)?.ok_or_else(|| Failure::NotFound(format!("job {number} does not exist")))?;
            let cfg = s
                .sources
                .jobs
                .as_ref()
                .ok_or_else(|| Failure::NotKept("no CT job records".into()))?;
            let job = store.job(&number).map_err(job_failure)?;
            let sources = crate::job::writer::sources_for(cfg, Some(job.fields.unit.as_str()));
            crate::job::command::ticket_pdf(&store, &number, &sources, lang, units).map_err(job_failure)
        })
        .await?;
    let mut r = bytes.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/pdf"));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(r)
}

fn production_store(s: &Shared) -> Result<Option<ProductionStore>, Failure> {
    let Some(path) = s.sources.production.as_ref() else {
        return Err(Failure::NotKept("this console keeps no well tests".into()));
    };
    if !path.exists() {
        return Ok(None);
    }
    ProductionStore::open_read_only(path)
        .map(Some)
        .map_err(production_failure)
}

pub(super) async fn well_tests(State(s): St, RawQuery(q): RawQuery) -> Result<Json<J>, Failure> {
    let p = Params::parse(q.as_deref(), &["well", "status", "limit"])?;
    let status = p
        .choice("status", &["pending", "approved", "rejected"])?
        .and_then(TestStatus::parse);
    let filter = TestFilter {
        well: p.get("well").map(str::to_owned),
        status,
        limit: p.count("limit", 100, s.max_page)?,
    };
    let tests = s
        .clone()
        .read(move || match production_store(&s)? {
            Some(store) => store.list(&filter).map_err(production_failure),
            None => Ok(Vec::new()),
        })
        .await?;
    Ok(Json(json!({ "count": tests.len(), "well_tests": tests })))
}

pub(super) async fn well_test(State(s): St, Path(id): Path<String>, RawQuery(q): RawQuery) -> Result<Json<J>, Failure> {
    Params::parse(q.as_deref(), &[])?;
    let id: i64 = id
        .parse()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| Failure::Bad(BadParam::new("id", format!("'{id}' is not a well test number"))))?;
    let t = s
        .clone()
        .read(move || {
            production_store(&s)?
                .ok_or_else(|| Failure::NotFound(format!("well test {id} does not exist")))?
                .get(id)
                .map_err(production_failure)
        })
        .await?;
    Ok(Json(json!(t)))
}
