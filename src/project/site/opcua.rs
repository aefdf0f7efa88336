//! `kind = "opcua"`: the `[driver.opcua]` table (endpoint, security policy and mode, user identity, PKI
//! folder, subscriptions) and the tags bound to OPC UA nodes.
//!
//! Owns the OPC UA driver's options and what a tag on it may say: a node id (parsed by the OPC UA library)
//! and a subscription. It must not open a session; finding node ids is `wellconsole opcua browse`'s job.

use super::credentials::{pem_file, secret};
use super::drivers::{AddressBook, DriverKind};
use super::tags::{TagEntry, group_index, scaling_of};
use crate::driver::modbus::codec::Scaling;
use crate::driver::opcua::config::{Identity, OpcUaConfig, OpcUaTag, SecurityMode, SecurityPolicy, SubscriptionGroup};
use crate::project::diag::{Diagnostic, SourceFile};
use crate::project::files::{Origin, ProjectFiles};
use crate::tag::{TagId, ValueKind};
// The async-opcua library, not this module.
use ::opcua::types::NodeId;
use serde::Deserialize;
use std::time::Duration;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawOpcUaOptions {
    /// `opc.tcp://host:port[/path]`.
    endpoint: Spanned<String>,
    security_policy: Option<Spanned<String>>,
    security_mode: Option<Spanned<String>>,
    username: Option<Spanned<String>>,
    password: Option<Spanned<String>>,
    password_env: Option<Spanned<String>>,
    /// X.509 user identity: PEM files in the project.
    user_cert: Option<Spanned<String>>,
    user_key: Option<Spanned<String>>,
    pki_dir: Option<Spanned<String>>,
    #[serde(default)]
    trust_server_certs: bool,
    timeout_ms: Option<Spanned<u64>>,
    #[serde(default)]
    subscription: Vec<RawSubscription>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSubscription {
    name: Spanned<String>,
    publishing_ms: Spanned<u64>,
    sampling_ms: Option<Spanned<u64>>,
}

/// A tag address that is not an OPC UA node id; the text is the engineer's message, as written in the
/// diagnostic (the library's own error says less than the examples do).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "'{0}' is not an OPC UA node id (e.g. ns=2;s=Well1.Pressure, ns=3;i=1001; find them with `wellconsole opcua browse`)"
)]
pub(super) struct NodeIdError(String);

/// A tag's address as an OPC UA node id (`ns=2;s=Well1.Pressure`).
pub(super) fn node_id(address: &str) -> Result<NodeId, NodeIdError> {
    address.parse::<NodeId>().map_err(|_| NodeIdError(address.to_owned()))
}

/// What a missing `[driver.opcua]` table needs at least.
pub(super) const NEEDS: &str =
    "an 'opcua' driver needs a [driver.opcua] table (at least endpoint = \"opc.tcp://HOST:PORT\")";

/// An OPC UA driver from its `[driver.opcua]` table, with its subscription names as the address book; `None`
/// after any problem.
pub(super) fn driver(
    opts: RawOpcUaOptions,
    src: &SourceFile<'_>,
    files: &ProjectFiles,
    errs: &mut Vec<Diagnostic>,
) -> Option<(DriverKind, AddressBook)> {
    let before = errs.len();
    let endpoint = opts.endpoint.get_ref().clone();
    if !endpoint.starts_with("opc.tcp://") || endpoint.len() <= "opc.tcp://".len() {
        errs.push(src.at(
            opts.endpoint.span(),
            format!("endpoint '{endpoint}' must be opc.tcp://HOST:PORT[/PATH]"),
        ));
    }
    let policy = match opts.security_policy.as_ref().map(|p| (p.get_ref().as_str(), p.span())) {
        None | Some(("None", _)) => SecurityPolicy::None,
        Some(("Basic256Sha256", _)) => SecurityPolicy::Basic256Sha256,
        Some((other, span)) => {
            errs.push(src.at(
                span,
                format!("security_policy '{other}' is not supported (None or Basic256Sha256)"),
            ));
            SecurityPolicy::None
        }
    };
    let mode = match opts.security_mode.as_ref().map(|m| (m.get_ref().as_str(), m.span())) {
        None if policy == SecurityPolicy::None => SecurityMode::None,
        None => SecurityMode::SignAndEncrypt,
        Some(("None", _)) => SecurityMode::None,
        Some(("Sign", _)) => SecurityMode::Sign,
        Some(("SignAndEncrypt", _)) => SecurityMode::SignAndEncrypt,
        Some((other, span)) => {
            errs.push(src.at(
                span,
                format!("security_mode '{other}' must be None, Sign or SignAndEncrypt"),
            ));
            SecurityMode::None
        }
    };
    if let Some(m) = &opts.security_mode
        && (policy == SecurityPolicy::None) != (mode == SecurityMode::None)
    {
        errs.push(src.at(
            m.span(),
            "security_mode None goes with security_policy None, and Sign or SignAndEncrypt with Basic256Sha256",
        ));
    }
    let password = secret(&opts.password, &opts.password_env, "the OPC UA password", src, errs);
    let read = |f: &Spanned<String>, errs: &mut Vec<Diagnostic>| pem_file(files, f, src, errs);
    let identity = match (&opts.username, &opts.user_cert, &opts.user_key) {
        (None, None, None) => {
            if let Some(p) = opts.password.as_ref().or(opts.password_env.as_ref()) {
                errs.push(src.at(p.span(), "a password needs a username"));
            }
            Identity::Anonymous
        }
        (Some(u), None, None) => Identity::User {
            username: u.get_ref().clone(),
            password: password.unwrap_or_default(),
        },
        (None, Some(c), Some(k)) => match (read(c, errs), read(k, errs)) {
            (Some(cert_pem), Some(key_pem)) => Identity::Certificate { cert_pem, key_pem },
            _ => Identity::Anonymous,
        },
        (Some(u), _, _) => {
            errs.push(src.at(u.span(), "choose one identity: username/password or user_cert/user_key"));
            Identity::Anonymous
        }
        (None, Some(f), None) | (None, None, Some(f)) => {
            errs.push(src.at(f.span(), "user_cert and user_key go together"));
            Identity::Anonymous
        }
    };
    let pki_rel = opts.pki_dir.as_ref().map_or("pki", |p| p.get_ref().as_str());
    let pki_dir = match &files.origin {
        Origin::Directory(root) if root.is_dir() => root.join(pki_rel),
        // In-memory projects (tests, tools) keep their PKI in the temp directory.
        _ => std::env::temp_dir().join("wellconsole-pki").join(pki_rel),
    };
    let timeout_ms = opts.timeout_ms.as_ref().map_or(5_000, |t| *t.get_ref());
    if let Some(t) = &opts.timeout_ms
        && !(100..=60_000).contains(&timeout_ms)
    {
        errs.push(src.at(t.span(), "timeout_ms must be between 100 and 60000"));
    }
    let mut subscriptions: Vec<SubscriptionGroup> = Vec::new();
    for s in &opts.subscription {
        let publishing = *s.publishing_ms.get_ref();
        if !(10..=3_600_000).contains(&publishing) {
            errs.push(src.at(s.publishing_ms.span(), "publishing_ms must be between 10 and 3600000"));
        }
        let sampling = s.sampling_ms.as_ref().map_or(publishing, |x| *x.get_ref());
        if let Some(x) = &s.sampling_ms
            && sampling > 3_600_000
        {
            errs.push(src.at(
                x.span(),
                "sampling_ms must be at most 3600000 (0: the server's fastest)",
            ));
        }
        if subscriptions.iter().any(|g| &g.name == s.name.get_ref()) {
            errs.push(src.at(
                s.name.span(),
                format!("subscription '{}' is defined twice", s.name.get_ref()),
            ));
        }
        subscriptions.push(SubscriptionGroup {
            name: s.name.get_ref().clone(),
            publishing: Duration::from_millis(publishing),
            sampling: Duration::from_millis(sampling),
        });
    }
    if subscriptions.is_empty() {
        subscriptions.push(SubscriptionGroup {
            name: "default".into(),
            publishing: Duration::from_secs(1),
            sampling: Duration::from_secs(1),
        });
    }
    if errs.len() > before {
        return None;
    }
    let names = subscriptions.iter().map(|g| g.name.clone()).collect();
    let cfg = OpcUaConfig {
        endpoint,
        policy,
        mode,
        identity,
        pki_dir,
        trust_server_certs: opts.trust_server_certs,
        timeout: Duration::from_millis(timeout_ms),
        subscriptions,
        tags: Vec::new(),
    };
    Some((DriverKind::OpcUa(cfg), AddressBook::OpcUa(names)))
}

/// A tag's OPC UA half: the node its driver monitors (and writes) for it, once the tag has an id.
pub(super) struct TagBinding {
    node: NodeId,
    scaling: Scaling,
    /// Index into the driver's subscriptions.
    group: usize,
}

impl TagBinding {
    pub(super) fn attach(self, cfg: &mut OpcUaConfig, tag: TagId, kind: ValueKind, writable: bool) {
        cfg.tags.push(OpcUaTag {
            tag,
            node: self.node,
            kind,
            scaling: self.scaling,
            group: self.group,
            writable,
        });
    }
}

/// A tag on an OPC UA driver with subscriptions `groups`: its node id parsed, its subscription found.
/// `None` when the tag cannot be made.
pub(super) fn bind(
    tag: &TagEntry<'_>,
    groups: &[String],
    src: &SourceFile<'_>,
    errs: &mut Vec<Diagnostic>,
) -> Option<(ValueKind, TagBinding)> {
    let node = match node_id(tag.address) {
        Ok(n) => n,
        Err(e) => {
            errs.push(src.at(tag.address_span.clone(), e.to_string()));
            return None;
        }
    };
    let scaling = scaling_of(tag.raw, src, errs);
    let kind = tag.declared.unwrap_or(ValueKind::F64);
    let group = group_index(tag.raw, groups, "subscription", src, errs)?;
    Some((kind, TagBinding { node, scaling, group }))
}
