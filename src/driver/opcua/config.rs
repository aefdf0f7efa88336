//! Validated OPC UA driver settings and tag bindings, built by the project loader.

use crate::driver::modbus::codec::Scaling;
use crate::tag::{TagId, ValueKind};
use opcua::types::NodeId;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecurityPolicy {
    None,
    Basic256Sha256,
}

impl SecurityPolicy {
    pub fn uri(self) -> &'static str {
        match self {
            SecurityPolicy::None => "http://opcfoundation.org/UA/SecurityPolicy#None",
            SecurityPolicy::Basic256Sha256 => "http://opcfoundation.org/UA/SecurityPolicy#Basic256Sha256",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecurityMode {
    None,
    Sign,
    SignAndEncrypt,
}

#[derive(Clone, PartialEq, Eq)]
pub enum Identity {
    Anonymous,
    User {
        username: String,
        password: String,
    },
    /// PEM certificate and private key of the user (not the application instance certificate).
    Certificate {
        cert_pem: Vec<u8>,
        key_pem: Vec<u8>,
    },
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print secrets into logs.
        match self {
            Identity::Anonymous => f.write_str("Anonymous"),
            Identity::User { username, .. } => write!(f, "User({username}, ***)"),
            Identity::Certificate { .. } => f.write_str("Certificate(***)"),
        }
    }
}

/// A subscription: the driver's poll group for OPC UA.
#[derive(Debug, Clone, PartialEq)]
pub struct SubscriptionGroup {
    pub name: String,
    pub publishing: Duration,
    pub sampling: Duration,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OpcUaTag {
    pub tag: TagId,
    pub node: NodeId,
    pub kind: ValueKind,
    pub scaling: Scaling,
    /// Index into `OpcUaConfig::subscriptions`.
    pub group: usize,
    pub writable: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OpcUaConfig {
    /// `opc.tcp://host:port[/path]`.
    pub endpoint: String,
    pub policy: SecurityPolicy,
    pub mode: SecurityMode,
    pub identity: Identity,
    /// The client's certificate store (own/, private/, trusted/, rejected/); created on first use with a
    /// self-signed application certificate.
    pub pki_dir: PathBuf,
    /// Accept server certificates not yet in trusted/ (first commissioning only; a rejected certificate
    /// lands in rejected/ for an engineer to move to trusted/).
    pub trust_server_certs: bool,
    pub timeout: Duration,
    pub subscriptions: Vec<SubscriptionGroup>,
    pub tags: Vec<OpcUaTag>,
}
