//! The API's server: a thread of its own with its own runtime, accepting connections (plain or TLS) up to
//! `max_connections`, serving HTTP/1.1 on each with hyper, and looking at the token store every 2 s so a
//! token made or revoked from the command line counts without a restart. Reads run on the runtime's
//! blocking pool, sized to `max_concurrent`.
//!
//! Owns the listening socket, the connections and their time limits. It must not touch what the endpoints
//! read: that is `routes`' and `records`'.

use super::tokens::{TokenStore, TokenTable};
use super::{ApiError, Peer, Shared, Sources};
use crate::project::site::ApiConfig;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::thread::JoinHandle;
use std::time::Duration;

/// How long a connection may take to send a request's head (and a TLS client its handshake): a caller
/// that opens connections and says nothing holds no place for long.
const HEAD_TIMEOUT: Duration = Duration::from_secs(10);
/// How often the token store is looked at.
const TOKEN_POLL: Duration = Duration::from_secs(2);
/// The longest a connection stays open, however it is used: a client that stops reading its answers
/// cannot hold a place (and the answers' memory) for longer. Pollers reconnect.
const CONNECTION_LIFETIME: Duration = Duration::from_secs(300);
/// How long the token store may be unreadable before every token is refused: a revocation must not be
/// outlived by a broken store.
const TOKENS_FAIL_CLOSED: Duration = Duration::from_secs(60);

/// Counts since start, for the log and the tests.
#[derive(Debug, Default)]
pub struct ApiStats {
    pub requests: AtomicU64,
    /// Answered 4xx (a bad parameter, no such record, a missing or wrong token, a role that may not).
    pub refused: AtomicU64,
    /// Without a valid token.
    pub unauthorized: AtomicU64,
    /// Answered 503: as many requests as may be were being answered.
    pub busy: AtomicU64,
    /// Answered 5xx.
    pub failed: AtomicU64,
}

/// What the console shows of its API (Drivers page): where it listens and its counts.
#[derive(Debug, Clone)]
pub struct ApiStatus {
    pub url: String,
    pub stats: Arc<ApiStats>,
}

pub struct ApiServer {
    addr: SocketAddr,
    url: String,
    stats: Arc<ApiStats>,
    stop: Option<tokio::sync::watch::Sender<bool>>,
    thread: Option<JoinHandle<()>>,
}

impl ApiServer {
    /// Binds `cfg.listen` and serves `sources` from a thread of its own. Fails when the address cannot be
    /// bound, the certificate is not usable or the token store cannot be read: said to the caller at once.
    pub fn start(cfg: &ApiConfig, sources: Sources) -> Result<Self, ApiError> {
        let listener = std::net::TcpListener::bind(cfg.listen).map_err(|source| ApiError::Bind {
            addr: cfg.listen,
            source,
        })?;
        let bind_err = |source| ApiError::Bind {
            addr: cfg.listen,
            source,
        };
        listener.set_nonblocking(true).map_err(bind_err)?;
        let addr = listener.local_addr().map_err(bind_err)?;
        let tls = match &cfg.tls {
            Some(t) => Some(tokio_rustls::TlsAcceptor::from(Arc::new(
                t.rustls_config().map_err(ApiError::Tls)?,
            ))),
            None => None,
        };
        let store = TokenStore::open(&sources.tokens, sources.key.clone())?;
        let (table, refused) = store.table()?;
        drop(store);
        if !refused.is_empty() {
            tracing::error!(tokens = ?refused, "API tokens refused: their records do not match their seals");
        }
        if table.is_empty() {
            tracing::warn!(
                "the API has no tokens yet: every request will be refused until one is made (wellconsole api token add NAME)"
            );
        }
        let shared = Arc::new(Shared::new(sources, cfg, table));
        let stats = shared.stats.clone();
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let max_connections = cfg.max_connections;
        let blocking = cfg.max_concurrent + 1;
        let thread = std::thread::Builder::new()
            .name("api".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .max_blocking_threads(blocking)
                    .thread_name("api-read")
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        tracing::error!(error = %e, "the API could not start its runtime");
                        return;
                    }
                };
                rt.block_on(serve(listener, tls, shared, max_connections, stop_rx));
                // Reads still running are left to finish on their own; the files are only read.
                rt.shutdown_timeout(Duration::from_secs(2));
            })
            .map_err(ApiError::Spawn)?;
        let scheme = if cfg.tls.is_some() { "https" } else { "http" };
        let url = format!("{scheme}://{addr}");
        tracing::info!(url = %url, "API listening");
        Ok(Self {
            addr,
            url,
            stats,
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }

    /// Where it listens (the port the system chose when `listen` asked for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn stats(&self) -> Arc<ApiStats> {
        self.stats.clone()
    }

    pub fn status(&self) -> ApiStatus {
        ApiStatus {
            url: self.url.clone(),
            stats: self.stats.clone(),
        }
    }

    /// Stops listening, closes the connections and waits for the thread.
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(true);
        }
        if let Some(t) = self.thread.take()
            && t.join().is_err()
        {
            tracing::error!("the API's thread panicked");
        }
    }
}

impl Drop for ApiServer {
    fn drop(&mut self) {
        self.halt();
    }
}

async fn serve(
    listener: std::net::TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    shared: Arc<Shared>,
    max_connections: usize,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let listener = match tokio::net::TcpListener::from_std(listener) {
        Ok(l) => l,
        Err(e) => {
            tracing::error!(error = %e, "the API cannot listen");
            return;
        }
    };
    tokio::spawn(watch_tokens(shared.clone()));
    let app = super::router(shared);
    let places = Arc::new(tokio::sync::Semaphore::new(max_connections));
    // One address may hold a quarter of the places at most: one runaway client leaves room for the rest.
    let per_peer = (max_connections / 4).max(2);
    let open: Arc<std::sync::Mutex<std::collections::HashMap<std::net::IpAddr, usize>>> = Arc::default();
    loop {
        let place = tokio::select! {
            p = places.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => break },
            _ = stop.changed() => break,
        };
        let (tcp, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(e) => {
                    // Out of descriptors and the like: wait a moment rather than spin.
                    tracing::warn!(error = %e, "the API could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = stop.changed() => break,
        };
        let Some(held) = PeerPlace::take(&open, peer.ip(), per_peer) else {
            tracing::info!(target: "wellconsole::api", peer = %peer, "connection refused: this address holds its share of the API's connections");
            continue;
        };
        let _ = tcp.set_nodelay(true);
        let app = app.clone();
        let tls = tls.clone();
        let mut stop = stop.clone();
        tokio::spawn(async move {
            let _place = place;
            let _held = held;
            let svc =
                tower::ServiceExt::map_request(app, move |mut r: axum::extract::Request<hyper::body::Incoming>| {
                    r.extensions_mut().insert(Peer(peer));
                    r
                });
            let svc = hyper_util::service::TowerToHyperService::new(svc);
            let mut http = hyper::server::conn::http1::Builder::new();
            http.timer(TokioTimer::new())
                .header_read_timeout(HEAD_TIMEOUT)
                .max_buf_size(64 * 1024);
            let lifetime = tokio::time::sleep(CONNECTION_LIFETIME);
            match tls {
                None => {
                    let conn = http.serve_connection(TokioIo::new(tcp), svc);
                    tokio::select! { _ = conn => {}, _ = stop.changed() => {}, _ = lifetime => {} }
                }
                Some(acceptor) => match tokio::time::timeout(HEAD_TIMEOUT, acceptor.accept(tcp)).await {
                    Ok(Ok(stream)) => {
                        let conn = http.serve_connection(TokioIo::new(stream), svc);
                        tokio::select! { _ = conn => {}, _ = stop.changed() => {}, _ = lifetime => {} }
                    }
                    Ok(Err(e)) => {
                        tracing::info!(target: "wellconsole::api", peer = %peer, error = %e, "TLS handshake refused")
                    }
                    Err(_) => tracing::info!(target: "wellconsole::api", peer = %peer, "TLS handshake timed out"),
                },
            }
        });
    }
}

/// One of a peer address's connections, counted while it is open.
struct PeerPlace {
    open: Arc<std::sync::Mutex<std::collections::HashMap<std::net::IpAddr, usize>>>,
    ip: std::net::IpAddr,
}

impl PeerPlace {
    fn take(
        open: &Arc<std::sync::Mutex<std::collections::HashMap<std::net::IpAddr, usize>>>,
        ip: std::net::IpAddr,
        most: usize,
    ) -> Option<Self> {
        let mut m = open.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let n = m.entry(ip).or_insert(0);
        if *n >= most {
            return None;
        }
        *n += 1;
        Some(Self { open: open.clone(), ip })
    }
}

impl Drop for PeerPlace {
    fn drop(&mut self) {
        let mut m = self.open.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(n) = m.get_mut(&self.ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                m.remove(&self.ip);
            }
        }
    }
}

/// Reads the token store again every `TOKEN_POLL` (a fresh connection each time, so a store replaced on
/// disk is read as it is now). A store that cannot be read leaves the table read before in force for
/// `TOKENS_FAIL_CLOSED`, then refuses every token until it reads again; each change is said once.
async fn watch_tokens(shared: Arc<Shared>) {
    let path = shared.sources.tokens.clone();
    let key = shared.sources.key.clone();
    let mut tick = tokio::time::interval(TOKEN_POLL);
    let mut failing_since: Option<std::time::Instant> = None;
    let mut refused_before: Vec<String> = Vec::new();
    loop {
        tick.tick().await;
        let (path, key) = (path.clone(), key.clone());
        let read = tokio::task::spawn_blocking(move || TokenStore::open(&path, key).and_then(|s| s.table())).await;
        let why = match read {
            Ok(Ok((table, refused))) => {
                shared.tokens.store(Arc::new(table));
                if failing_since.take().is_some() {
                    tracing::info!("the API's token store reads again");
                }
                if refused != refused_before && !refused.is_empty() {
                    tracing::error!(tokens = ?refused, "API tokens refused: their records do not match their seals");
                }
                refused_before = refused;
                continue;
            }
            Ok(Err(e)) => e.to_string(),
            Err(e) => format!("the read did not finish: {e}"),
        };
        let since = *failing_since.get_or_insert_with(|| {
            tracing::error!(error = %why, "the API's token store cannot be read; the tokens read before count for a minute");
            std::time::Instant::now()
        });
        if since.elapsed() >= TOKENS_FAIL_CLOSED && !shared.tokens.load().is_empty() {
            tracing::error!(error = %why, "the API's token store still cannot be read: every token is refused until it can");
            shared.tokens.store(Arc::new(TokenTable::new()));
        }
    }
}
