//! `[api]`: the read-only HTTP API this console serves to the ERP and office tools. Owns those settings
//! (`ApiConfig`), reading and checking them (the address, the TLS certificate and key from the project, the
//! bounds); the api room owns the server. It must not bind or listen. Who may call is not here: tokens live
//! in the site's records (`wellconsole api token add`), never in a file people copy around.

use crate::project::diag::{Diagnostic, SourceFile};
use crate::project::files::ProjectFiles;
use serde::Deserialize;
use std::net::SocketAddr;
use toml::Spanned;

/// The port the API listens on unless `listen` says otherwise.
pub const DEFAULT_PORT: u16 = 8470;

/// The server's certificate chain and private key (PEM).
#[derive(Clone, PartialEq)]
pub struct ServerTls {
    pub cert_pem: Vec<u8>,
    pub key_pem: Vec<u8>,
}

impl std::fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the key into logs.
        f.debug_struct("ServerTls")
            .field("cert_pem", &format!("{} bytes", self.cert_pem.len()))
            .field("key_pem", &"…")
            .finish()
    }
}

/// `[api]` as checked here.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiConfig {
    pub listen: SocketAddr,
    /// `None`: plain HTTP (only on a loopback address, or with `allow_plaintext`).
    pub tls: Option<ServerTls>,
    /// Requests answered at once (and reads running at once); one more is answered 503 at once rather than
    /// queued, so callers can never pile work onto the console. Two by default: a console's machine has few
    /// cores and its screens come first.
    pub max_concurrent: usize,
    /// Open connections at once; more wait in the kernel's backlog.
    pub max_connections: usize,
    /// The most samples, buckets or lines one page of an answer holds.
    pub max_page: usize,
}

impl ApiConfig {
    pub fn new(listen: SocketAddr) -> Self {
        Self {
            listen,
            tls: None,
            max_concurrent: 2,
            max_connections: 64,
            max_page: 10_000,
        }
    }

    /// `http://…` or `https://…`, for messages.
    pub fn url(&self) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://{}", self.listen)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawApi {
    /// `ADDRESS:PORT` (default 127.0.0.1:8470).
    listen: Option<Spanned<String>>,
    tls: Option<Spanned<RawServerTls>>,
    /// Plain HTTP on an address other machines reach: tokens and plant data would cross the network
    /// readable by anyone on the path, so it must be asked for by name.
    allow_plaintext: Option<bool>,
    max_concurrent: Option<Spanned<u64>>,
    max_connections: Option<Spanned<u64>>,
    max_page: Option<Spanned<u64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServerTls {
    cert_file: Spanned<String>,
    key_file: Spanned<String>,
}

/// The settings from `[api]`; `None` when absent or when anything in it is wrong (said in `errs`).
pub(super) fn settings(
    raw: Option<&Spanned<RawApi>>,
    files: &ProjectFiles,
    src: &SourceFile<'_>,
    errs: &mut Vec<Diagnostic>,
) -> Option<ApiConfig> {
    let raw = raw?;
    let before = errs.len();
    let r = raw.get_ref();
    let listen = match &r.listen {
        None => SocketAddr::from(([127, 0, 0, 1], DEFAULT_PORT)),
        Some(l) => match l.get_ref().parse::<SocketAddr>() {
            Ok(a) => a,
            Err(_) => {
                errs.push(src.at(
                    l.span(),
                    "listen must be ADDRESS:PORT with an IP address, e.g. \"127.0.0.1:8470\" or \"0.0.0.0:8470\"",
                ));
                return None;
            }
        },
    };
    let tls = r.tls.as_ref().and_then(|t| server_tls(t.get_ref(), files, src, errs));
    if r.tls.is_none() && !listen.ip().is_loopback() && r.allow_plaintext != Some(true) {
        let at = r.listen.as_ref().map_or_else(|| raw.span(), Spanned::span);
        errs.push(src.at(
            at,
            "an API other machines reach needs tls = { cert_file = \"certs/…\", key_file = \"certs/…\" } (or allow_plaintext = true to send tokens and plant data unencrypted)",
        ));
    }
    let mut cfg = ApiConfig::new(listen);
    cfg.tls = tls;
    let mut bounded = |v: &Option<Spanned<u64>>, lo: u64, hi: u64, what: &str| -> Option<usize> {
        let v = v.as_ref()?;
        if (lo..=hi).contains(v.get_ref()) {
            usize::try_from(*v.get_ref()).ok()
        } else {
            errs.push(src.at(v.span(), format!("{what} must be between {lo} and {hi}")));
            None
        }
    };
    if let Some(n) = bounded(&r.max_concurrent, 1, 64, "max_concurrent") {
        cfg.max_concurrent = n;
    }
    if let Some(n) = bounded(&r.max_connections, 1, 4_096, "max_connections") {
        cfg.max_connections = n;
    }
    if let Some(n) = bounded(&r.max_page, 100, 100_000, "max_page") {
        cfg.max_page = n;
    }
    (errs.len() == before).then_some(cfg)
}

fn server_tls(
    t: &RawServerTls,
    files: &ProjectFiles,
    src: &SourceFile<'_>,
    errs: &mut Vec<Diagnostic>,
) -> Option<ServerTls> {
    let cert_pem = super::credentials::pem_file(files, &t.cert_file, src, errs);
    let key_pem = super::credentials::pem_file(files, &t.key_file, src, errs);
    let tls = ServerTls {
        cert_pem: cert_pem?,
        key_pem: key_pem?,
    };
    if let Err(e) = tls.rustls_config() {
        errs.push(src.at(
            t.cert_file.span(),
            format!("TLS certificate and key are not usable: {e}"),
        ));
        return None;
    }
    Some(tls)
}

impl ServerTls {
    /// The rustls server configuration (ring provider, as everywhere in the console), HTTP/1.1 only.
    pub fn rustls_config(&self) -> Result<rustls::ServerConfig, String> {
        let tls = self;
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&tls.cert_pem)
            .collect::<Result<_, _>>()
            .map_err(|e| format!("certificate: {e}"))?;
        if chain.is_empty() {
            return Err("the certificate file holds no PEM certificate".into());
        }
        let key = PrivateKeyDer::from_pem_slice(&tls.key_pem).map_err(|e| format!("key: {e}"))?;
        let mut cfg =
            rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .map_err(|e| e.to_string())?
                .with_no_client_auth()
                .with_single_cert(chain, key)
                .map_err(|e| format!("certificate and key: {e}"))?;
        cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(cfg)
    }
}
