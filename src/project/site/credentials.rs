//! What the protocols' options share for logging in: a password given in the file or by the name of an
//! environment variable, and certificates and keys (PEM) kept in the project.
//!
//! Owns where a secret comes from and the messages when it is not there; what a driver does with it is the
//! driver's module's. It must not log or keep a secret beyond handing it back.

use crate::driver::mqtt::config::TlsSettings;
use crate::project::diag::{Diagnostic, SourceFile};
use crate::project::files::ProjectFiles;
use serde::Deserialize;
use toml::Spanned;

/// A `tls = { ca_file = …, client_cert = …, client_key = … }` table (MQTT brokers, the central database).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTls {
    ca_file: Spanned<String>,
    client_cert: Option<Spanned<String>>,
    client_key: Option<Spanned<String>>,
}

/// The TLS material `t` names, read and checked to build a client configuration.
pub(super) fn tls_settings(
    t: &RawTls,
    files: &ProjectFiles,
    src: &SourceFile<'_>,
    errs: &mut Vec<Diagnostic>,
) -> Option<TlsSettings> {
    let read = |f: &Spanned<String>, errs: &mut Vec<Diagnostic>| pem_file(files, f, src, errs);
    let ca_pem = read(&t.ca_file, errs)?;
    let client_auth = match (&t.client_cert, &t.client_key) {
        (Some(c), Some(k)) => Some((read(c, errs)?, read(k, errs)?)),
        (None, None) => None,
        (Some(f), None) | (None, Some(f)) => {
            errs.push(src.at(f.span(), "client_cert and client_key go together"));
            return None;
        }
    };
    let settings = TlsSettings { ca_pem, client_auth };
    if let Err(e) = crate::driver::mqtt::tls_client_config(&settings) {
        errs.push(src.at(t.ca_file.span(), format!("TLS settings are not usable: {e}")));
        return None;
    }
    Some(settings)
}

/// A certificate or key (PEM text) from the project's files.
pub(super) fn pem_file(
    files: &ProjectFiles,
    f: &Spanned<String>,
    src: &SourceFile<'_>,
    errs: &mut Vec<Diagnostic>,
) -> Option<Vec<u8>> {
    match files.get(f.get_ref()) {
        Some(text) => Some(text.as_bytes().to_vec()),
        None => {
            errs.push(src.at(
                f.span(),
                format!(
                    "'{}' was not found in the project (put certificates and keys, PEM, under certs/)",
                    f.get_ref()
                ),
            ));
            None
        }
    }
}

/// A secret given in the file (`password`) or, better, by the name of an environment variable
/// (`password_env`) so it stays out of the project.
pub(super) fn secret(
    value: &Option<Spanned<String>>,
    env: &Option<Spanned<String>>,
    what: &str,
    src: &SourceFile<'_>,
    errs: &mut Vec<Diagnostic>,
) -> Option<String> {
    match (value, env) {
        (Some(p), None) => Some(p.get_ref().clone()),
        (None, Some(var)) => match std::env::var(var.get_ref()) {
            Ok(p) => Some(p),
            Err(_) => {
                errs.push(src.at(
                    var.span(),
                    format!("environment variable '{}' ({what}) is not set", var.get_ref()),
                ));
                None
            }
        },
        (Some(p), Some(_)) => {
            errs.push(src.at(p.span(), "give either password or password_env, not both"));
            None
        }
        (None, None) => None,
    }
}
