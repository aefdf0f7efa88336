//! `[forward]`: the central PostgreSQL store this console forwards its history, alarm journal and audit
//! trail to. Owns those settings (`ForwardConfig`), reading and checking them (a password by environment
//! variable, TLS material from the project); the forward room owns what is done with them. It must not
//! connect.

use super::credentials::{RawTls, tls_settings};
use crate::driver::mqtt::config::TlsSettings;
use crate::project::diag::{Diagnostic, SourceFile};
use crate::project::files::ProjectFiles;
use serde::Deserialize;
use std::time::Duration;
use toml::Spanned;

/// Where the central store is and how this console talks to it: `[forward]` as checked here. The forward
/// room turns it into a connection (`forward::config::pg_config`).
#[derive(Clone, PartialEq)]
pub struct ForwardConfig {
    pub host: String,
    pub port: u16,
    pub database: String,
    pub user: String,
    pub password: Option<String>,
    /// The environment variable holding the password, read when connecting: a console whose variable is
    /// missing still runs (history kept locally) and says why it cannot forward.
    pub password_env: Option<String>,
    /// `None`: plain TCP (only allowed to a loopback host or with `allow_plaintext`).
    pub tls: Option<TlsSettings>,
    /// This console's name in the central store: its rows are keyed by it.
    pub console: String,
    /// Samples per batch (one central transaction).
    pub batch: usize,
    /// Samples per second at most while a backlog drains, so catching up never starves the console.
    pub max_rate: u32,
    /// How long to wait for the central database before a step counts as failed.
    pub timeout: Duration,
}

impl std::fmt::Debug for ForwardConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the password into logs.
        f.debug_struct("ForwardConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("database", &self.database)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "…"))
            .field("password_env", &self.password_env)
            .field("tls", &self.tls)
            .field("console", &self.console)
            .field("batch", &self.batch)
            .field("max_rate", &self.max_rate)
            .finish()
    }
}

impl ForwardConfig {
    /// Defaults for everything but where the database is.
    pub fn new(host: &str, port: u16, database: &str, user: &str, console: &str) -> Self {
        Self {
            host: host.to_owned(),
            port,
            database: database.to_owned(),
            user: user.to_owned(),
            password: None,
            password_env: None,
            tls: None,
            console: console.to_owned(),
            batch: 20_000,
            max_rate: 200_000,
            timeout: Duration::from_secs(30),
        }
    }

    /// `host:port/database`, for messages and the status line.
    pub fn target(&self) -> String {
        format!("{}:{}/{}", self.host, self.port, self.database)
    }

    /// The password to log in with: given, or read now from its environment variable.
    pub fn password(&self) -> Result<Option<String>, String> {
        match (&self.password, &self.password_env) {
            (Some(p), _) => Ok(Some(p.clone())),
            (None, Some(var)) => std::env::var(var)
                .map(Some)
                .map_err(|_| format!("environment variable '{var}' (the central database password) is not set")),
            (None, None) => Ok(None),
        }
    }
}

/// This machine's name: the default console name.
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "console".to_owned())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawForward {
    host: Spanned<String>,
    port: Option<Spanned<u16>>,
    database: Option<Spanned<String>>,
    user: Option<Spanned<String>>,
    password: Option<Spanned<String>>,
    /// Name of an environment variable holding the password (keeps secrets out of the project).
    password_env: Option<Spanned<String>>,
    tls: Option<Spanned<RawTls>>,
    /// Plain TCP to a database off this machine: history and the audit trail would cross the network
    /// readable by anyone on the path, so it must be asked for by name.
    allow_plaintext: Option<bool>,
    /// This console's name in the central store (default: the machine's host name).
    console: Option<Spanned<String>>,
    batch: Option<Spanned<u64>>,
    max_rate: Option<Spanned<u64>>,
    timeout_s: Option<Spanned<u64>>,
}

fn is_loopback(host: &str) -> bool {
    host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The settings from `[forward]`; `None` when absent or when anything in it is wrong (said in `errs`).
pub(super) fn settings(
    raw: Option<&Spanned<RawForward>>,
    files: &ProjectFiles,
    src: &SourceFile<'_>,
    errs: &mut Vec<Diagnostic>,
) -> Option<ForwardConfig> {
    let raw = raw?;
    let before = errs.len();
    let r = raw.get_ref();
    let host = r.host.get_ref().trim();
    if host.is_empty() || host.len() > 253 || host.chars().any(|c| c.is_whitespace() || c == '/') {
        errs.push(src.at(r.host.span(), "host must be a host name or IP address"));
    }
    let text = |v: &Option<Spanned<String>>, default: &str, what: &str, errs: &mut Vec<Diagnostic>| match v {
        Some(s) if s.get_ref().is_empty() || s.get_ref().len() > 63 => {
            errs.push(src.at(s.span(), format!("{what} must be 1–63 characters")));
            String::new()
        }
        Some(s) => s.get_ref().clone(),
        None => default.to_owned(),
    };
    let database = text(&r.database, "wellconsole", "database", errs);
    let user = text(&r.user, "wellconsole", "user", errs);
    let console = match &r.console {
        Some(c) if !super::is_valid_name(c.get_ref(), false) || c.get_ref().len() > 63 => {
            errs.push(src.at(c.span(), "console must be 1–63 letters, digits, '_' or '-'"));
            String::new()
        }
        Some(c) => c.get_ref().clone(),
        None => host_name(),
    };
    // A password_env that is not set is said when the console connects, not here: the console must run
    // (and keep history locally) without its central store.
    let password = match (&r.password, &r.password_env) {
        (Some(p), Some(_)) => {
            errs.push(src.at(p.span(), "give either password or password_env, not both"));
            None
        }
        (Some(p), None) => Some(p.get_ref().clone()),
        (None, _) => None,
    };
    let password_env = r.password_env.as_ref().map(|v| v.get_ref().clone());
    let tls = r.tls.as_ref().and_then(|t| tls_settings(t.get_ref(), files, src, errs));
    if r.tls.is_none() && !is_loopback(host) && r.allow_plaintext != Some(true) {
        errs.push(src.at(
            r.host.span(),
            "a central database off this machine needs tls = { ca_file = \"certs/…\" } (or allow_plaintext = true to send history unencrypted)",
        ));
    }
    let mut cfg = ForwardConfig::new(
        host,
        r.port.as_ref().map_or(5432, |p| *p.get_ref()),
        &database,
        &user,
        &console,
    );
    cfg.password = password;
    cfg.password_env = password_env;
    cfg.tls = tls;
    let mut bounded = |v: &Option<Spanned<u64>>, lo: u64, hi: u64, what: &str| -> Option<u64> {
        let v = v.as_ref()?;
        if (lo..=hi).contains(v.get_ref()) {
            Some(*v.get_ref())
        } else {
            errs.push(src.at(v.span(), format!("{what} must be between {lo} and {hi}")));
            None
        }
    };
    if let Some(b) = bounded(&r.batch, 100, 200_000, "batch") {
        cfg.batch = usize::try_from(b).unwrap_or(cfg.batch);
    }
    if let Some(m) = bounded(&r.max_rate, 1_000, 5_000_000, "max_rate (samples a second)") {
        cfg.max_rate = u32::try_from(m).unwrap_or(cfg.max_rate);
    }
    if let Some(t) = bounded(&r.timeout_s, 1, 600, "timeout_s") {
        cfg.timeout = Duration::from_secs(t);
    }
    (errs.len() == before).then_some(cfg)
}
