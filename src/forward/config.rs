//! Where the central store is and how to talk to it, as `[forward]` in site.toml gave it (checked by
//! `project::site`). Owns turning that into a PostgreSQL connection; it must not hold a connection.

use std::time::Duration;

pub use crate::project::site::ForwardConfig;

/// The PostgreSQL connection settings for `cfg`.
pub fn pg_config(cfg: &ForwardConfig) -> tokio_postgres::Config {
    let mut c = tokio_postgres::Config::new();
    c.host(&cfg.host)
        .port(cfg.port)
        .dbname(&cfg.database)
        .user(&cfg.user)
        .application_name(format!("wellconsole {}", cfg.console))
        .connect_timeout(cfg.timeout)
        .keepalives(true)
        .keepalives_idle(Duration::from_secs(30))
        // Times go over the wire as UTC instants; this keeps anything the server formats in UTC too.
        // The server drops this console's session within about a minute of a link that died without
        // closing (radio, VSAT), instead of keeping it for its own two-hour default.
        .options("-c TimeZone=UTC -c tcp_keepalives_idle=30 -c tcp_keepalives_interval=10 -c tcp_keepalives_count=3");
    if let Ok(Some(p)) = cfg.password() {
        c.password(p);
    }
    if cfg.tls.is_some() {
        c.ssl_mode(tokio_postgres::config::SslMode::Require);
    } else {
        c.ssl_mode(tokio_postgres::config::SslMode::Disable);
    }
    c
}
