//! `[share]`: the MQTT broker this console shares its people's alarm actions through with the site's other
//! consoles. Owns those settings (`ShareConfig`), reading and checking them (the broker, credentials and TLS
//! as an MQTT driver has them, the console's name, the topic prefix, the shared secret's variable); the
//! share room owns what is done with them. It must not connect.

use super::credentials::{RawTls, secret, tls_settings};
use crate::driver::mqtt::config::{Credentials, TlsSettings};
use crate::project::diag::{Diagnostic, SourceFile};
use crate::project::files::ProjectFiles;
use serde::Deserialize;
use toml::Spanned;

/// `[share]` as checked here.
#[derive(Clone, PartialEq)]
pub struct ShareConfig {
    pub host: String,
    pub port: u16,
    pub credentials: Option<Credentials>,
    pub tls: Option<TlsSettings>,
    /// This console's name among the site's consoles (journals say `ana@<console>`).
    pub console: String,
    /// Topics live under this (`<prefix>/alarm/…`, `<prefix>/console/…`).
    pub prefix: String,
    /// The secret the site's consoles sign their messages with (a message not signed with it is refused,
    /// whoever else can publish on the broker): given in the file, or better by the name of the
    /// environment variable holding it, read when the link starts.
    pub secret: Option<String>,
    pub secret_env: Option<String>,
    /// This console's tags republished as a Sparkplug B edge node (`edge = { … }`), when asked for.
    pub edge: Option<EdgeConfig>,
}

/// `[share] edge = { group, node, tags, interval_ms }`: which tags go out as a Sparkplug B edge node.
#[derive(Debug, Clone, PartialEq)]
pub struct EdgeConfig {
    pub group: String,
    pub node: String,
    /// Tags whose names start with one of these (`ct01/`), each `device/metric`.
    pub tags: Vec<String>,
    /// Changes go out at most this often (report by exception).
    pub interval: std::time::Duration,
}

impl std::fmt::Debug for ShareConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret into logs.
        f.debug_struct("ShareConfig")
            .field("broker", &self.describe())
            .field("credentials", &self.credentials)
            .field("console", &self.console)
            .field("prefix", &self.prefix)
            .field("secret", &self.secret.as_ref().map(|_| "…"))
            .field("secret_env", &self.secret_env)
            .field("edge", &self.edge)
            .finish()
    }
}

impl ShareConfig {
    /// The shared secret: given, or read now from its environment variable.
    pub fn secret(&self) -> Result<Vec<u8>, String> {
        let s = match (&self.secret, &self.secret_env) {
            (Some(s), _) => s.clone(),
            (None, Some(var)) => std::env::var(var).map_err(|_| {
                format!("environment variable '{var}' (the secret the site's consoles share) is not set")
            })?,
            (None, None) => return Err("no shared secret".into()),
        };
        if s.len() < 16 {
            return Err("the shared secret is shorter than 16 characters".into());
        }
        Ok(s.into_bytes())
    }

    pub fn describe(&self) -> String {
        format!(
            "{}{}:{}",
            if self.tls.is_some() { "mqtts://" } else { "mqtt://" },
            self.host,
            self.port
        )
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawShare {
    /// `host:port`.
    broker: Spanned<String>,
    console: Option<Spanned<String>>,
    topic: Option<Spanned<String>>,
    username: Option<Spanned<String>>,
    password: Option<Spanned<String>>,
    password_env: Option<Spanned<String>>,
    tls: Option<Spanned<RawTls>>,
    /// The secret the site's consoles share (at least 16 characters); better `secret_env`.
    secret: Option<Spanned<String>>,
    /// Name of an environment variable holding that secret (keeps it out of the project).
    secret_env: Option<Spanned<String>>,
    edge: Option<Spanned<RawEdge>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEdge {
    group: Spanned<String>,
    node: Option<Spanned<String>>,
    tags: Spanned<Vec<String>>,
    interval_ms: Option<Spanned<u64>>,
}

/// The settings from `[share]`; `None` when absent or when anything in it is wrong (said in `errs`).
pub(super) fn settings(
    raw: Option<&Spanned<RawShare>>,
    site: &str,
    files: &ProjectFiles,
    src: &SourceFile<'_>,
    errs: &mut Vec<Diagnostic>,
) -> Option<ShareConfig> {
    let r = raw?.get_ref();
    let before = errs.len();
    let (host, port) = match super::mqtt::host_port(r.broker.get_ref()) {
        Ok(hp) => hp,
        Err(e) => {
            errs.push(src.at(r.broker.span(), e.to_string()));
            (String::new(), 0)
        }
    };
    let one_level = |s: &str| !s.is_empty() && s.len() <= 63 && super::is_valid_name(s, false);
    let console = match &r.console {
        Some(c) if !one_level(c.get_ref()) => {
            errs.push(src.at(c.span(), "console must be 1–63 letters, digits, '_' or '-'"));
            String::new()
        }
        Some(c) => c.get_ref().clone(),
        None => super::forward::host_name(),
    };
    let prefix = match &r.topic {
        Some(t) if !(super::is_valid_name(t.get_ref(), true) && t.get_ref().len() <= 200) => {
            errs.push(src.at(
                t.span(),
                "topic must be levels of letters, digits, '_' or '-' separated by '/' (no '+' or '#')",
            ));
            String::new()
        }
        Some(t) => t.get_ref().clone(),
        None => {
            let slug: String = site
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '-' {
                        c.to_ascii_lowercase()
                    } else {
                        '-'
                    }
                })
                .collect();
            format!("wellconsole/share/{slug}")
        }
    };
    let password = secret(&r.password, &r.password_env, "the broker password", src, errs);
    let credentials = match (&r.username, password) {
        (Some(u), p) => Some(Credentials {
            username: u.get_ref().clone(),
            password: p.unwrap_or_default(),
        }),
        (None, Some(_)) => {
            errs.push(src.at(r.broker.span(), "a password needs a username"));
            None
        }
        (None, None) => None,
    };
    let tls = r.tls.as_ref().and_then(|t| tls_settings(t.get_ref(), files, src, errs));
    // An unset variable is said when the link starts: the console runs (its alarms local) without it.
    let (secret, secret_env) = match (&r.secret, &r.secret_env) {
        (Some(s), None) if s.get_ref().len() < 16 => {
            errs.push(src.at(s.span(), "secret must be at least 16 characters"));
            (None, None)
        }
        (Some(s), None) => (Some(s.get_ref().clone()), None),
        (None, Some(v)) if !v.get_ref().trim().is_empty() => (None, Some(v.get_ref().trim().to_owned())),
        (Some(s), Some(_)) => {
            errs.push(src.at(s.span(), "give either secret or secret_env, not both"));
            (None, None)
        }
        _ => {
            errs.push(src.at(
                r.broker.span(),
                "the site's consoles sign what they share: give secret_env = \"VAR\" (or secret = \"…\")",
            ));
            (None, None)
        }
    };
    let edge = r.edge.as_ref().and_then(|e| edge(e, &console, src, errs));
    (errs.len() == before).then_some(ShareConfig {
        host,
        port,
        credentials,
        tls,
        console,
        prefix,
        secret,
        secret_env,
        edge,
    })
}

fn edge(raw: &Spanned<RawEdge>, console: &str, src: &SourceFile<'_>, errs: &mut Vec<Diagnostic>) -> Option<EdgeConfig> {
    let e = raw.get_ref();
    let id_ok = |s: &str| crate::driver::mqtt::address::valid_id(s) && s.len() <= 63;
    let before = errs.len();
    if !id_ok(e.group.get_ref()) {
        errs.push(src.at(e.group.span(), "group must be one topic level without '/', '+' or '#'"));
    }
    let node = match &e.node {
        Some(n) if !id_ok(n.get_ref()) => {
            errs.push(src.at(n.span(), "node must be one topic level without '/', '+' or '#'"));
            String::new()
        }
        Some(n) => n.get_ref().clone(),
        None => console.to_owned(),
    };
    let tags = e.tags.get_ref();
    if tags.is_empty() || tags.len() > 256 || tags.iter().any(|t| t.trim().is_empty()) {
        errs.push(src.at(
            e.tags.span(),
            "tags must list 1 to 256 name prefixes, e.g. [\"ct01/\", \"esp01/\"]",
        ));
    }
    let interval = e.interval_ms.as_ref().map_or(1_000, |i| *i.get_ref());
    if let Some(i) = &e.interval_ms
        && !(100..=60_000).contains(&interval)
    {
        errs.push(src.at(i.span(), "interval_ms must be between 100 and 60000"));
    }
    (errs.len() == before).then(|| EdgeConfig {
        group: e.group.get_ref().clone(),
        node,
        tags: tags.clone(),
        interval: std::time::Duration::from_millis(interval),
    })
}

#[cfg(test)]
mod tests {
    use crate::project::files::ProjectFiles;
    use crate::project::site;

    const SITE: &str = include_str!("../../../site.toml");

    fn load(extra: &str) -> Result<site::Site, Vec<String>> {
        site::load(&ProjectFiles::demo_with_site(&format!("{SITE}\n{extra}")))
            .map_err(|e| e.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn share_and_api_settings_are_read_with_their_defaults_and_each_bad_one_is_named() {
        let s = load("[share]\nbroker = \"10.0.0.5:1883\"\nconsole = \"cab-ct01\"\nsecret_env = \"SITE_SECRET\"\n")
            .unwrap();
        let share = s.share.unwrap();
        assert_eq!((share.host.as_str(), share.port), ("10.0.0.5", 1883));
        assert!(share.prefix.starts_with("wellconsole/share/"), "{}", share.prefix);
        assert!(!format!("{share:?}").contains("SITE_SECRET=") && share.secret.is_none());
        let edge = load("[share]\nbroker = \"h:1\"\nconsole = \"cr\"\nsecret = \"sixteen chars ok!\"\nedge = { group = \"g\", tags = [\"ct01/\"] }\n")
            .unwrap()
            .share
            .unwrap();
        assert!(!format!("{edge:?}").contains("sixteen"), "the secret is never printed");
        let e = edge.edge.unwrap();
        assert_eq!(
            (e.node.as_str(), e.interval.as_millis()),
            ("cr", 1_000),
            "the node is the console by default"
        );
        let cases = [
            (
                "[share]\nbroker = \"10.0.0.5:1883\"\n",
                "the site's consoles sign what they share",
            ),
            (
                "[share]\nbroker = \"10.0.0.5\"\nsecret_env = \"X\"\n",
                "must be HOST:PORT",
            ),
            (
                "[share]\nbroker = \"h:1\"\nsecret = \"short\"\n",
                "at least 16 characters",
            ),
            (
                "[share]\nbroker = \"h:1\"\nsecret_env = \"X\"\ntopic = \"a/+/b\"\n",
                "topic must be levels",
            ),
            (
                "[share]\nbroker = \"h:1\"\nsecret_env = \"X\"\nconsole = \"a b\"\n",
                "console must be",
            ),
            (
                "[share]\nbroker = \"h:1\"\nsecret_env = \"X\"\nedge = { group = \"a/b\", tags = [\"ct01/\"] }\n",
                "group must be one topic level",
            ),
            (
                "[share]\nbroker = \"h:1\"\nsecret_env = \"X\"\nedge = { group = \"g\", tags = [] }\n",
                "tags must list 1 to 256 name prefixes",
            ),
            (
                "[share]\nbroker = \"h:1\"\nsecret_env = \"X\"\nedge = { group = \"g\", tags = [\"x\"], interval_ms = 5 }\n",
                "interval_ms must be between 100 and 60000",
            ),
            ("[api]\nlisten = \"10.0.0.5:8470\"\n", "allow_plaintext"),
            ("[api]\nlisten = \"localhost\"\n", "listen must be ADDRESS:PORT"),
            ("[api]\nmax_page = 5\n", "max_page must be between 100 and 100000"),
            (
                "[api]\ntls = { cert_file = \"certs/none.pem\", key_file = \"certs/none.key\" }\n",
                "was not found",
            ),
        ];
        for (extra, want) in cases {
            let got = load(extra).err().unwrap_or_default();
            assert!(got.iter().any(|m| m.contains(want)), "{extra}: {got:?}");
            assert!(got.iter().all(|m| m.contains("site.toml:")), "file:line:col: {got:?}");
        }
        let api = load("[api]\nlisten = \"0.0.0.0:9000\"\nallow_plaintext = true\n")
            .unwrap()
            .api
            .unwrap();
        assert_eq!((api.listen.port(), api.max_concurrent, api.max_page), (9000, 2, 10_000));
    }
}
