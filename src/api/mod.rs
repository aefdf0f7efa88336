//! The read-only HTTP API (`[api]` in site.toml; `wellconsole serve-api` runs a console for it alone): tags
//! and their current values, history (raw and rollups, paged), alarms (active and the journal), CT jobs
//! with their operations and ticket PDFs, well tests, and for supervisors and admins the audit trail, as
//! JSON over HTTP or HTTPS, described at `/openapi.json`. For the ERP and office tools that pull over REST.
//!
//! Every request but the document and `/api/v1/health` carries a token (`tokens`, made with `wellconsole
//! api token add`) whose role decides what it may read; every request is logged with who made it. At
//! most `max_concurrent` requests are answered at once and the next is told 503 at once, so callers can
//! never pile work onto the console. Owns the server (`server`), the endpoints (`routes`, `records`), the
//! query parameters (`params`) and the document (`openapi`). It must not write to the plant or the
//! records: GET only, files opened for reading.

pub mod openapi;
pub mod params;
mod records;
pub mod routes;
pub mod server;
pub mod tokens;

pub use server::{ApiServer, ApiStats, ApiStatus};

use crate::alarm::AlarmViewCell;
use crate::hub::SnapshotCell;
use crate::records::SiteKey;
use arc_swap::ArcSwap;
use axum::Router;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("the API cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("the API's TLS certificate and key: {0}")]
    Tls(String),
    #[error(transparent)]
    Tokens(#[from] tokens::TokenError),
    #[error("could not start the API's thread: {0}")]
    Spawn(std::io::Error),
}

/// Where the API reads from: the console's published pictures and its files.
#[derive(Clone)]
pub struct Sources {
    pub site: String,
    pub snapshot: SnapshotCell,
    pub alarms: AlarmViewCell,
    pub history: Option<PathBuf>,
    pub journal: Option<PathBuf>,
    pub audit: Option<PathBuf>,
    /// The CT jobs and where their tickets' content comes from (`None`: not kept).
    pub jobs: Option<Arc<crate::job::writer::WriterConfig>>,
    pub production: Option<PathBuf>,
    /// The token store (`api-tokens.db` in the records) and the key its rows are sealed with.
    pub tokens: PathBuf,
    pub key: Arc<SiteKey>,
}

/// What every request handler shares.
pub struct Shared {
    pub sources: Sources,
    pub max_page: usize,
    pub tokens: ArcSwap<tokens::TokenTable>,
    busy: Arc<tokio::sync::Semaphore>,
    refusals_logged: LogBudget,
    /// Reads running on the blocking pool. Held by the read itself, not the request: a caller that hangs
    /// up does not free its place until its read is over, so hanging up and asking again piles up nothing.
    reads: Arc<tokio::sync::Semaphore>,
    pub stats: Arc<ApiStats>,
}

impl Shared {
    pub fn new(sources: Sources, cfg: &crate::project::site::ApiConfig, table: tokens::TokenTable) -> Self {
        Self {
            sources,
            max_page: cfg.max_page,
            tokens: ArcSwap::from_pointee(table),
            busy: Arc::new(tokio::sync::Semaphore::new(cfg.max_concurrent)),
            refusals_logged: LogBudget::default(),
            reads: Arc::new(tokio::sync::Semaphore::new(cfg.max_concurrent)),
            stats: Arc::new(ApiStats::default()),
        }
    }

    /// Runs `f` (file reads) on the blocking pool, holding one of `max_concurrent` places until it is over
    /// (503 when none is free). A panic in it is a 500 for this request, nothing more.
    pub(crate) async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> Result<T, routes::Failure> + Send + 'static,
    ) -> Result<T, routes::Failure> {
        let Ok(place) = self.reads.clone().try_acquire_owned() else {
            self.stats.busy.fetch_add(1, Ordering::Relaxed);
            return Err(routes::Failure::Busy);
        };
        tokio::task::spawn_blocking(move || {
            let _place = place;
            f()
        })
        .await
        .map_err(|e| routes::Failure::Internal(format!("the read did not finish: {e}")))?
    }
}

/// At most `LOG_PER_SECOND` lines a second; what was not logged is counted for the next line that is.
#[derive(Default)]
struct LogBudget {
    state: std::sync::Mutex<(u64, u32, u64)>,
}

const LOG_PER_SECOND: u32 = 10;

impl LogBudget {
    /// `Some(lines not logged since the last one)` when this one may be logged.
    fn admit(&self) -> Option<u64> {
        let second = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let mut st = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (at, used, skipped) = &mut *st;
        if *at != second {
            *at = second;
            *used = 0;
        }
        if *used >= LOG_PER_SECOND {
            *skipped += 1;
            return None;
        }
        *used += 1;
        Some(std::mem::take(skipped))
    }
}

/// The address a request came from (set by the server per connection).
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub SocketAddr);

/// Every endpoint, under the guard (concurrency, token) and the request log.
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/openapi.json", get(routes::openapi))
        .route("/api/v1/health", get(routes::health))
        .route("/api/v1/tags", get(routes::tags))
        .route("/api/v1/tags/{*name}", get(routes::tag))
        .route("/api/v1/history/{*tag}", get(routes::history))
        .route("/api/v1/alarms/active", get(routes::active_alarms))
        .route("/api/v1/alarms/journal", get(routes::alarm_journal))
        .route("/api/v1/jobs", get(records::jobs))
        .route("/api/v1/jobs/{number}", get(records::job))
        .route("/api/v1/jobs/{number}/operations", get(records::operations))
        .route("/api/v1/jobs/{number}/ticket.pdf", get(records::ticket))
        .route("/api/v1/well-tests", get(records::well_tests))
        .route("/api/v1/well-tests/{id}", get(records::well_test))
        .route("/api/v1/audit", get(routes::audit))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(shared.clone(), guard))
        .layer(middleware::from_fn_with_state(shared.clone(), log))
        .with_state(shared)
}

async fn not_found(uri: axum::http::Uri) -> Response {
    routes::Failure::NotFound(format!("no endpoint {} (see /openapi.json)", uri.path())).into_response()
}

/// Paths anyone may read: the document and the health check.
fn public(path: &str) -> bool {
    matches!(path, "/openapi.json" | "/api/v1/health")
}

fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    let v = headers.get(axum::http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Takes a place among the requests answered at once (503 when there is none), then checks the token.
async fn guard(
    axum::extract::State(s): axum::extract::State<Arc<Shared>>,
    mut req: axum::extract::Request,
    next: Next,
) -> Response {
    let Ok(place) = s.busy.clone().try_acquire_owned() else {
        s.stats.busy.fetch_add(1, Ordering::Relaxed);
        return routes::Failure::Busy.into_response();
    };
    let caller = if public(req.uri().path()) {
        None
    } else {
        let found = bearer(req.headers()).and_then(|t| s.tokens.load().get(&tokens::token_hash(t)).cloned());
        match found {
            Some(c) => Some(c),
            None => {
                s.stats.unauthorized.fetch_add(1, Ordering::Relaxed);
                return routes::Failure::Unauthorized.into_response();
            }
        }
    };
    if let Some(c) = &caller {
        req.extensions_mut().insert(c.clone());
    }
    let mut resp = next.run(req).await;
    drop(place);
    if let Some(c) = caller {
        resp.extensions_mut().insert(c);
    }
    resp
}

/// Logs every request: who, from where, what, the answer and how long it took.
async fn log(
    axum::extract::State(s): axum::extract::State<Arc<Shared>>,
    req: axum::extract::Request,
    next: Next,
) -> Response {
    let started = std::time::Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let peer = req.extensions().get::<Peer>().map(|p| p.0.to_string());
    let resp = next.run(req).await;
    let status = resp.status().as_u16();
    let caller = resp
        .extensions()
        .get::<tokens::Caller>()
        .map_or("-", |c| c.name.as_str());
    s.stats.requests.fetch_add(1, Ordering::Relaxed);
    match status {
        400..=499 => s.stats.refused.fetch_add(1, Ordering::Relaxed),
        500.. => s.stats.failed.fetch_add(1, Ordering::Relaxed),
        _ => 0,
    };
    // Requests without a valid token are logged ten a second at most (a flood must not fill the console's
    // disk with its log); how many were not is said with the next one logged, and counted on the Drivers page.
    let mut unlogged = 0;
    if status == 401 {
        match s.refusals_logged.admit() {
            Some(n) => unlogged = n,
            None => return resp,
        }
    }
    tracing::info!(
        target: "wellconsole::api",
        unlogged_refusals = unlogged,
        peer = peer.as_deref().unwrap_or("-"),
        caller,
        %method,
        path = %path,
        status,
        ms = started.elapsed().as_secs_f64() * 1e3,
        "api request"
    );
    resp
}

#[cfg(test)]
mod tests;
