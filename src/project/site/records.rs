//! `[records]`: where the site's records (users, audit trail, alarm journal, trip state) and the key that
//! seals them are kept, and the broker the audit trail's head is also published to.
//!
//! Owns reading those settings; opening and sealing the records is the `records` and `auth` rooms' job,
//! and the anchor's topic syntax is MQTT's (`driver::mqtt::topic`). It must not touch the records.

use crate::auth::audit::external::ExternalAnchor;
use crate::project::diag::{Diagnostic, SourceFile};
use serde::Deserialize;
use std::path::PathBuf;
use toml::Spanned;

/// The `[records]` table: where the site's records (users, audit trail, alarm journal, trip state) and
/// the key that seals them are kept. Paths relative to the project folder.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RecordsSettings {
    /// `None`: beside the history database's default place.
    pub dir: Option<PathBuf>,
    /// `None`: `site.key` in the records folder.
    pub key: Option<PathBuf>,
    /// The broker the audit trail's head is also published to (`anchor_mqtt`, `anchor_topic`).
    pub anchor: Option<ExternalAnchor>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRecords {
    dir: Option<Spanned<String>>,
    key: Option<Spanned<String>>,
    anchor_mqtt: Option<Spanned<String>>,
    anchor_topic: Option<Spanned<String>>,
}

/// The settings from `[records]` of the site named `site` (the anchor's default topic is named for it).
pub(super) fn settings(
    raw: Option<&RawRecords>,
    site: &str,
    src: &SourceFile<'_>,
    errs: &mut Vec<Diagnostic>,
) -> RecordsSettings {
    let mut out = RecordsSettings::default();
    let Some(raw) = raw else { return out };
    let mut path = |p: &Option<Spanned<String>>, what: &str| {
        let p = p.as_ref()?;
        if p.get_ref().trim().is_empty() {
            errs.push(src.at(p.span(), format!("records {what} must not be empty")));
            None
        } else {
            Some(PathBuf::from(p.get_ref()))
        }
    };
    out.dir = path(&raw.dir, "dir");
    out.key = path(&raw.key, "key");
    if let Some(t) = &raw.anchor_topic
        && raw.anchor_mqtt.is_none()
    {
        errs.push(src.at(
            t.span(),
            "anchor_topic has no meaning without anchor_mqtt = \"HOST:PORT\"",
        ));
    }
    if let Some(b) = &raw.anchor_mqtt {
        let hp = b
            .get_ref()
            .rsplit_once(':')
            .and_then(|(h, p)| Some((h.trim().to_owned(), p.trim().parse::<u16>().ok().filter(|p| *p > 0)?)))
            .filter(|(h, _)| !h.is_empty());
        let topic = match &raw.anchor_topic {
            Some(t) => match crate::driver::mqtt::topic::validate_name(t.get_ref()) {
                Ok(()) => Some(t.get_ref().clone()),
                Err(why) => {
                    errs.push(src.at(t.span(), format!("anchor_topic '{}': {why}", t.get_ref())));
                    None
                }
            },
            None => {
                let name: String = site
                    .chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                            c
                        } else {
                            '_'
                        }
                    })
                    .collect();
                Some(format!("wellconsole/{name}/audit-anchor"))
            }
        };
        match (hp, topic) {
            (Some((host, port)), Some(topic)) => {
                out.anchor = Some(ExternalAnchor { host, port, topic });
            }
            (None, _) => errs.push(src.at(b.span(), format!("'{}' must be HOST:PORT", b.get_ref()))),
            (_, None) => {}
        }
    }
    out
}
