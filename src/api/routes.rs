//! The API's endpoints: what each answers and from where. Current values and active alarms come from the
//! pictures the hub and the alarm service publish (a pointer load, never a lock the console holds); history,
//! the journal, jobs, well tests and the audit trail are read from the console's own SQLite files, each on
//! its own connection on the blocking pool, so a slow read never holds up the console or another request.
//!
//! Owns the answers' shapes (documented in `openapi`) and the failure answers. It must not write anything:
//! every file is opened for reading, and the API has no method but GET.

use super::params::{BadParam, Params};
use super::tokens::Caller;
use super::{Shared, Sources};
use crate::auth::Action;
use crate::historian::export::format_time;
use crate::historian::query::{History, QueryError};
use crate::historian::rollup::Resolution;
use crate::tag::{TagDef, TagState, Timestamp};
use axum::Json;
use axum::extract::{Extension, Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value as J, json};
use std::sync::Arc;

type St = State<Arc<Shared>>;

/// Why a request was not answered with what it asked for.
#[derive(Debug)]
pub enum Failure {
    Bad(BadParam),
    NotFound(String),
    Unauthorized,
    Forbidden(String),
    Busy,
    /// Asked of a console that does not keep it (no history, no job records).
    NotKept(String),
    Internal(String),
}

impl From<BadParam> for Failure {
    fn from(b: BadParam) -> Self {
        Failure::Bad(b)
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let (status, body) = match self {
            Failure::Bad(b) => (
                StatusCode::BAD_REQUEST,
                json!({"error": b.message, "parameter": b.parameter}),
            ),
            Failure::NotFound(m) => (StatusCode::NOT_FOUND, json!({ "error": m })),
            Failure::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                json!({"error": "a valid token is needed: Authorization: Bearer <token> (wellconsole api token add)"}),
            ),
            Failure::Forbidden(m) => (StatusCode::FORBIDDEN, json!({ "error": m })),
            Failure::Busy => (
                StatusCode::SERVICE_UNAVAILABLE,
                json!({"error": "the API is answering as many requests as it may at once; try again in a second"}),
            ),
            Failure::NotKept(m) => (StatusCode::NOT_FOUND, json!({ "error": m })),
            Failure::Internal(m) => {
                // The detail (paths, SQL) stays in the console's log; the caller gets its number there.
                static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
                let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                tracing::error!(target: "wellconsole::api", failure = n, error = %m, "API request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    json!({ "error": format!("the read failed; the console's log says why (API failure {n})") }),
                )
            }
        };
        let mut r = (status, Json(body)).into_response();
        match status {
            StatusCode::UNAUTHORIZED => {
                r.headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            StatusCode::SERVICE_UNAVAILABLE => {
                r.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            _ => {}
        }
        r
    }
}

fn time(t: Timestamp) -> Option<String> {
    (t != Timestamp::ZERO).then(|| format_time(t.0))
}

pub(super) async fn openapi() -> Response {
    let mut r = super::openapi::document().into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    r
}

pub(super) async fn health(State(s): St, RawQuery(q): RawQuery) -> Result<Json<J>, Failure> {
    Params::parse(q.as_deref(), &[])?;
    Ok(Json(json!({
        "status": "ok",
        "site": s.sources.site,
        "time": format_time(Timestamp::now().0),
    })))
}

fn tag_json(def: &TagDef, st: Option<&TagState>, now: Timestamp) -> J {
    let (value, quality, source, receive, age) = match st {
        Some(st) => (
            json!(st.value),
            st.quality.code(),
            time(st.source_ts),
            time(st.receive_ts),
            (st.receive_ts != Timestamp::ZERO).then(|| (now.0 - st.receive_ts.0) as f64 / 1e6),
        ),
        None => (J::Null, "NO DATA", None, None, None),
    };
    json!({
        "name": def.name,
        "label": {"en": def.label.en, "es": def.label.es},
        "description": def.description,
        "unit": def.unit,
        "kind": format!("{:?}", def.kind).to_lowercase(),
        "writable": def.writable,
        "value": value,
        "quality": quality,
        "source_time": source,
        "receive_time": receive,
        "age_s": age,
    })
}

pub(super) async fn tags(State(s): St, RawQuery(q): RawQuery) -> Result<Json<J>, Failure> {
    let p = Params::parse(q.as_deref(), &["prefix", "names"])?;
    let snap = s.sources.snapshot.load();
    let now = Timestamp::now();
    let prefix = p.get("prefix").unwrap_or("");
    let mut out = Vec::new();
    match p.get("names") {
        Some(names) => {
            for name in names.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                let Some(id) = snap.directory.id_of(name) else {
                    return Err(BadParam::new("names", format!("no tag '{name}' on this site")).into());
                };
                if let Some(def) = snap.directory.get(id) {
                    out.push(tag_json(def, snap.get(id), now));
                }
            }
        }
        None => {
            for def in snap.directory.iter().filter(|d| d.name.starts_with(prefix)) {
                out.push(tag_json(def, snap.get(def.id), now));
            }
        }
    }
    Ok(Json(json!({
        "site": s.sources.site,
        "time": format_time(now.0),
        "count": out.len(),
        "tags": out,
    })))
}

pub(super) async fn tag(State(s): St, Path(name): Path<String>, RawQuery(q): RawQuery) -> Result<Json<J>, Failure> {
    Params::parse(q.as_deref(), &[])?;
    let snap = s.sources.snapshot.load();
    let def = snap
        .directory
        .id_of(&name)
        .and_then(|id| snap.directory.get(id))
        .ok_or_else(|| Failure::NotFound(format!("no tag '{name}' on this site")))?;
    Ok(Json(tag_json(def, snap.get(def.id), Timestamp::now())))
}

fn history_path(src: &Sources) -> Result<std::path::PathBuf, Failure> {
    src.history
        .clone()
        .filter(|p| p.exists())
        .ok_or_else(|| Failure::NotKept("this console keeps no history".into()))
}

fn query_failure(e: QueryError) -> Failure {
    match e {
        QueryError::UnknownTag(t) => Failure::NotFound(format!("no history for tag '{t}'")),
        e => Failure::Internal(e.to_string()),
    }
}

pub(super) async fn history(State(s): St, Path(tag): Path<String>, RawQuery(q): RawQuery) -> Result<Response, Failure> {
    let p = Params::parse(q.as_deref(), &["from", "to", "resolution", "limit"])?;
    let now = Timestamp::now();
    let to = p.time("to", now, now)?;
    let from = p.time("from", Timestamp(to.0 - 3_600_000_000), now)?;
    if to < from {
        return Err(BadParam::new("to", "must not be before from").into());
    }
    let res = p.choice("resolution", &["raw", "1m", "1h"])?.unwrap_or("raw");
    let limit = p.count("limit", 1_000, s.max_page)?;
    let path = history_path(&s.sources)?;
    let directory = s.sources.snapshot.load().directory.clone();
    let unit = directory
        .id_of(&tag)
        .and_then(|id| directory.get(id))
        .map(|d| d.unit.clone());
    let name = tag.clone();
    let page = s
        .read(move || {
            let h = History::open(&path).map_err(|e| Failure::Internal(e.to_string()))?;
            match Resolution::parse(res) {
                Some(Resolution::Raw) | None => {
                    let (samples, next) = h.raw_page(&name, from.0, to.0, limit).map_err(query_failure)?;
                    Ok(Page::Raw(samples, next))
                }
                Some(r) => {
                    let (buckets, next) = h.buckets_page(r, &name, from.0, to.0, limit).map_err(query_failure)?;
                    Ok(Page::Rollups(buckets, next))
                }
            }
        })
        .await?;
    let head = HistoryHead {
        tag,
        unit,
        resolution: res,
        from: format_time(from.0),
        to: format_time(to.0),
    };
    Ok(page.answer(head))
}

/// One page of history, as read.
enum Page {
    Raw(Vec<crate::historian::query::Sample>, Option<i64>),
    Rollups(Vec<crate::historian::rollup::Bucket>, Option<i64>),
}

#[derive(serde::Serialize)]
struct HistoryHead {
    tag: String,
    unit: Option<String>,
    resolution: &'static str,
    from: String,
    to: String,
}

#[derive(serde::Serialize)]
struct SampleOut<'a> {
    t: String,
    value: Option<&'a crate::tag::Value>,
    quality: &'static str,
}

#[derive(serde::Serialize)]
struct BucketOut {
    t: String,
    count: u64,
    min: Option<f64>,
    max: Option<f64>,
    mean: Option<f64>,
    time_weighted: Option<f64>,
}

#[derive(serde::Serialize)]
struct HistoryOut<T> {
    #[serde(flatten)]
    head: HistoryHead,
    count: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    samples: Option<Vec<T>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    buckets: Option<Vec<T>>,
    next: Option<String>,
}

fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

impl Page {
    /// The answer, serialized straight from the samples (a day at 1 Hz is 86,400 of them: no JSON tree).
    fn answer(self, head: HistoryHead) -> Response {
        match self {
            Page::Raw(samples, next) => {
                let rows: Vec<SampleOut<'_>> = samples
                    .iter()
                    .map(|x| SampleOut {
                        t: format_time(x.ts),
                        value: x.value.as_ref(),
                        quality: x.quality.quality.code(),
                    })
                    .collect();
                Json(HistoryOut {
                    head,
                    count: rows.len(),
                    samples: Some(rows),
                    buckets: None,
                    next: next.map(format_time),
                })
                .into_response()
            }
            Page::Rollups(buckets, next) => {
                let rows: Vec<BucketOut> = buckets
                    .iter()
                    .map(|b| BucketOut {
                        t: format_time(b.start),
                        count: b.count,
                        min: (b.count > 0).then_some(b.min).and_then(finite),
                        max: (b.count > 0).then_some(b.max).and_then(finite),
                        mean: b.mean().and_then(finite),
                        time_weighted: b.time_weighted().and_then(finite),
                    })
                    .collect();
                Json(HistoryOut {
                    head,
                    count: rows.len(),
                    samples: None,
                    buckets: Some(rows),
                    next: next.map(format_time),
                })
                .into_response()
            }
        }
    }
}

pub(super) async fn active_alarms(State(s): St, RawQuery(q): RawQuery) -> Result<Json<J>, Failure> {
    Params::parse(q.as_deref(), &[])?;
    let view = s.sources.alarms.load();
    let rows: Vec<J> = view
        .rows
        .iter()
        .map(|r| {
            json!({
                "alarm": r.def.id.as_ref(),
                "tag": r.def.tag_name.as_ref(),
                "priority": r.def.priority.name(),
                "state": r.state.code(),
                "since": time(r.since),
                "value": r.value,
                "alarm_value": r.alarm_value,
                "unit": r.def.unit.as_ref(),
                "message": {"en": r.def.message.en.as_ref(), "es": r.def.message.es.as_ref()},
                "area": r.def.area.as_ref(),
                "asset": r.def.asset.as_ref(),
                "first_out": r.first_out,
                "shelved": r.shelf.as_ref().map(|sh| json!({
                    "by": sh.by, "at": time(sh.at), "until": time(sh.until), "reason": sh.reason,
                })),
                "out_of_service": r.out_of_service.as_ref().map(|o| json!({
                    "by": o.by, "since": time(o.since), "reason": o.reason,
                })),
            })
        })
        .collect();
    Ok(Json(json!({
        "time": format_time(Timestamp::now().0),
        "counts": {
            "unacknowledged": view.unacked().count(),
            "listed": view.rows.len(),
        },
        "flood": view.flood,
        "alarms": rows,
    })))
}

pub(super) async fn alarm_journal(State(s): St, RawQuery(q): RawQuery) -> Result<Json<J>, Failure> {
    let p = Params::parse(q.as_deref(), &["after", "limit"])?;
    let after = p.position("after")?;
    let limit = p.count("limit", 1_000, s.max_page)?;
    let path = s
        .sources
        .journal
        .clone()
        .filter(|p| p.exists())
        .ok_or_else(|| Failure::NotKept("this console keeps no alarm journal".into()))?;
    let lines = s
        .read(move || {
            let conn = crate::alarm::journal::open_reader(&path).map_err(|e| Failure::Internal(e.to_string()))?;
            crate::alarm::journal::lines_after(&conn, after, limit).map_err(|e| Failure::Internal(e.to_string()))
        })
        .await?;
    let next = lines.last().map_or(after, |l| l.id);
    let rows: Vec<J> = lines
        .iter()
        .map(|l| {
            json!({
                "id": l.id, "t": format_time(l.t), "kind": l.kind, "alarm": l.alarm, "tag": l.tag,
                "priority": l.priority, "state": l.state,
                "value": l.value.as_deref().and_then(crate::alarm::journal::decode_value), "user": l.user,
                "comment": l.comment, "message": {"en": l.message_en, "es": l.message_es},
            })
        })
        .collect();
    Ok(Json(json!({
        "count": rows.len(),
        "lines": rows,
        "next_after": next,
        "more": rows.len() == limit,
    })))
}

pub(super) async fn audit(
    State(s): St,
    Extension(caller): Extension<Caller>,
    RawQuery(q): RawQuery,
) -> Result<Json<J>, Failure> {
    if !caller.role.may(Action::ReadAuditTrail) {
        return Err(Failure::Forbidden(format!(
            "token '{}' ({}) may not read the audit trail: it needs an admin's or a supervisor's",
            caller.name, caller.role
        )));
    }
    let p = Params::parse(q.as_deref(), &["after", "limit"])?;
    let after = p.position("after")?;
    let limit = p.count("limit", 1_000, s.max_page)?;
    let path = s
        .sources
        .audit
        .clone()
        .filter(|p| p.exists())
        .ok_or_else(|| Failure::NotKept("this console keeps no audit trail".into()))?;
    let records = s
        .read(move || {
            let conn = rusqlite::Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
                .map_err(|e| Failure::Internal(format!("audit trail: {e}")))?;
            let _ = conn.busy_timeout(std::time::Duration::from_secs(5));
            crate::auth::audit::after(&conn, after, limit).map_err(|e| Failure::Internal(e.to_string()))
        })
        .await?;
    let next = records.last().map_or(after, |r| r.seq);
    let rows: Vec<J> = records
        .iter()
        .map(|r| {
            json!({
                "seq": r.seq, "t": format_time(r.entry.at.0), "user": r.entry.user, "role": r.entry.role,
                "action": r.entry.action, "target": r.entry.target, "detail": r.entry.detail,
                "allowed": r.entry.allowed, "prev_hash": r.prev_hash, "hash": r.hash,
            })
        })
        .collect();
    Ok(Json(json!({
        "count": rows.len(),
        "records": rows,
        "next_after": next,
        "more": rows.len() == limit,
    })))
}
