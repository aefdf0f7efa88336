//! Where the central store is and how to talk to it, as `[forward]` in site.toml gave it (checked by
//! `project::site`). Owns turning that into a PostgreSQL connection; it must not hold a connection.

use crate::driver::mqtt::config::TlsSettings;
use std::time::Duration;

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

    pub fn pg_config(&self) -> tokio_postgres::Config {
        let mut c = tokio_postgres::Config::new();
        c.host(&self.host)
            .port(self.port)
            .dbname(&self.database)
            .user(&self.user)
            .application_name(format!("wellconsole {}", self.console))
            .connect_timeout(self.timeout)
            .keepalives(true)
            .keepalives_idle(Duration::from_secs(30))
            // Times go over the wire as UTC instants; this keeps anything the server formats in UTC too.
            // The server drops this console's session within about a minute of a link that died without
            // closing (radio, VSAT), instead of keeping it for its own two-hour default.
            .options(
                "-c TimeZone=UTC -c tcp_keepalives_idle=30 -c tcp_keepalives_interval=10 -c tcp_keepalives_count=3",
            );
        if let Ok(Some(p)) = self.password() {
            c.password(p);
        }
        if self.tls.is_some() {
            c.ssl_mode(tokio_postgres::config::SslMode::Require);
        } else {
            c.ssl_mode(tokio_postgres::config::SslMode::Disable);
        }
        c
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
