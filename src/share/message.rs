//! What the site's consoles say to each other: one person's alarm action as JSON, signed with the secret
//! the site's consoles share (HMAC-SHA-256 over the exact bytes of the message), and the topics it goes on.
//! A message that is too long, not signed with the secret, or not what it must be is refused, never
//! applied; nothing in it is trusted before its signature is checked.
//!
//! Owns the wire shape and the topics; what an action does is the alarm engine's (`alarm::engine::remote`).

use crate::alarm::engine::{RemoteAction, RemoteWhat};
use crate::auth::{Actor, Role};
use crate::records::key::hex;
use crate::tag::Timestamp;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::sync::Arc;

/// The longest message read: an action is a few hundred bytes.
pub const MAX_MESSAGE: usize = 4_096;
/// The longest text field (names, reasons).
const MAX_TEXT: usize = 512;

/// Which retained topic of an alarm an action goes on: the last acknowledgement, the last shelving or
/// unshelving, the last removal from or return to service. A console that comes back reads all three.
pub fn slot(what: &RemoteWhat) -> Option<&'static str> {
    match what {
        RemoteWhat::Acknowledge => Some("ack"),
        RemoteWhat::Shelve { .. } | RemoteWhat::Unshelve => Some("shelf"),
        RemoteWhat::RemoveFromService { .. } | RemoteWhat::ReturnToService => Some("service"),
        RemoteWhat::Silence => None,
    }
}

/// An alarm id as one topic level: '%', '/', '+' and '#' percent-encoded.
pub fn encode_id(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for c in id.chars() {
        match c {
            '%' => out.push_str("%25"),
            '/' => out.push_str("%2F"),
            '+' => out.push_str("%2B"),
            '#' => out.push_str("%23"),
            c => out.push(c),
        }
    }
    out
}

/// Where `act`, done at `console`, is published, and whether it is retained: each console's last action
/// per alarm and slot on a topic of its own, so one console's old action sent again never replaces
/// another's newer one.
pub fn topic(prefix: &str, console: &str, act: &RemoteAction) -> (String, bool) {
    match (slot(&act.what), &act.alarm) {
        (Some(slot), Some(alarm)) => (format!("{prefix}/alarm/{}/{slot}/{console}", encode_id(alarm)), true),
        _ => (format!("{prefix}/silence/{console}"), false),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Body {
    v: u32,
    console: String,
    action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    alarm: Option<String>,
    user: String,
    role: String,
    /// µs since 1970-01-01 UTC, at the console it was done at.
    at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    until: Option<i64>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    reason: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope {
    /// The body's JSON, as signed.
    msg: String,
    mac: String,
}

fn mac(secret: &[u8], msg: &str) -> Hmac<Sha256> {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(secret).unwrap_or_else(|_| unreachable!("HMAC takes any key"));
    m.update(b"wellconsole share v1\0");
    m.update(msg.as_bytes());
    m
}

/// `act`, done at `console`, as a signed message.
pub fn encode(act: &RemoteAction, console: &str, secret: &[u8]) -> Vec<u8> {
    let (action, until, reason) = match &act.what {
        RemoteWhat::Acknowledge => ("ack", None, String::new()),
        RemoteWhat::Shelve { until, reason } => ("shelve", Some(until.0), reason.clone()),
        RemoteWhat::Unshelve => ("unshelve", None, String::new()),
        RemoteWhat::RemoveFromService { reason } => ("out_of_service", None, reason.clone()),
        RemoteWhat::ReturnToService => ("in_service", None, String::new()),
        RemoteWhat::Silence => ("silence", None, String::new()),
    };
    let body = Body {
        v: 1,
        console: console.to_owned(),
        action: action.to_owned(),
        alarm: act.alarm.as_deref().map(str::to_owned),
        user: act.by.user.clone(),
        role: act.by.role.name().to_owned(),
        at: act.at.0,
        until,
        reason,
    };
    seal(&body, secret)
}

/// Why a message was not applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("longer than {MAX_MESSAGE} bytes")]
    TooLong,
    #[error("not a signed message: {0}")]
    Shape(String),
    #[error("not signed with the site's shared secret")]
    Signature,
    #[error("{0}")]
    Field(String),
}

/// The signed message in `payload` (at most `max` bytes), once its signature is checked.
fn open<T: serde::de::DeserializeOwned>(payload: &[u8], max: usize, secret: &[u8]) -> Result<T, Refused> {
    if payload.len() > max {
        return Err(Refused::TooLong);
    }
    let env: Envelope = serde_json::from_slice(payload).map_err(|e| Refused::Shape(e.to_string()))?;
    let expected = crate::records::key::unhex(&env.mac).ok_or(Refused::Signature)?;
    mac(secret, &env.msg)
        .verify_slice(&expected)
        .map_err(|_| Refused::Signature)?;
    serde_json::from_str(&env.msg).map_err(|e| Refused::Shape(e.to_string()))
}

/// `body` as a signed message.
fn seal<T: Serialize>(body: &T, secret: &[u8]) -> Vec<u8> {
    let msg = serde_json::to_string(body).unwrap_or_default();
    let mac = hex(&mac(secret, &msg).finalize().into_bytes());
    serde_json::to_vec(&Envelope { msg, mac }).unwrap_or_default()
}

/// The action in `payload`, checked; with the console it was done at.
pub fn decode(payload: &[u8], secret: &[u8]) -> Result<RemoteAction, Refused> {
    let b: Body = open(payload, MAX_MESSAGE, secret)?;
    let field = |m: &str| Refused::Field(m.to_owned());
    if b.v != 1 {
        return Err(field("unknown message version"));
    }
    for (name, text) in [("console", &b.console), ("user", &b.user), ("reason", &b.reason)] {
        if text.chars().count() > MAX_TEXT || text.chars().any(char::is_control) {
            return Err(Refused::Field(format!(
                "{name} is too long or holds control characters"
            )));
        }
    }
    if b.console.is_empty() || b.user.is_empty() {
        return Err(field("console and user must be given"));
    }
    let role = Role::parse(&b.role).ok_or_else(|| field("unknown role"))?;
    let what = match (b.action.as_str(), b.until) {
        ("ack", _) => RemoteWhat::Acknowledge,
        ("shelve", Some(until)) if until > b.at => RemoteWhat::Shelve {
            until: Timestamp(until),
            reason: b.reason.clone(),
        },
        ("unshelve", _) => RemoteWhat::Unshelve,
        ("out_of_service", _) => RemoteWhat::RemoveFromService {
            reason: b.reason.clone(),
        },
        ("in_service", _) => RemoteWhat::ReturnToService,
        ("silence", _) => RemoteWhat::Silence,
        _ => return Err(field("unknown action, or a shelf without its end")),
    };
    if what != RemoteWhat::Silence && b.alarm.as_deref().is_none_or(str::is_empty) {
        return Err(field("an alarm action names its alarm"));
    }
    Ok(RemoteAction {
        console: Arc::from(b.console.as_str()),
        alarm: b.alarm.as_deref().map(Arc::from),
        by: Actor::new(b.user, role),
        at: Timestamp(b.at),
        what,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"a secret the site's consoles share";

    fn shelve() -> RemoteAction {
        RemoteAction {
            console: Arc::from(""),
            alarm: Some(Arc::from("ct01/weight:HI")),
            by: Actor::new("ana", Role::Operator),
            at: Timestamp(1_000),
            what: RemoteWhat::Shelve {
                until: Timestamp(9_000),
                reason: "sensor check".into(),
            },
        }
    }

    #[test]
    fn a_signed_action_comes_back_as_it_was_sent_with_its_console() {
        let bytes = encode(&shelve(), "cab-1", SECRET);
        let got = decode(&bytes, SECRET).unwrap();
        assert_eq!(got.console.as_ref(), "cab-1");
        assert_eq!(got.alarm, shelve().alarm);
        assert_eq!(got.what, shelve().what);
        assert_eq!(got.by, shelve().by);
        assert_eq!(
            topic("wellconsole/share/site", "cab-1", &shelve()),
            ("wellconsole/share/site/alarm/ct01%2Fweight:HI/shelf/cab-1".into(), true)
        );
    }

    #[test]
    fn a_forged_altered_or_oversized_message_is_refused() {
        let bytes = encode(&shelve(), "cab-1", SECRET);
        assert_eq!(decode(&bytes, b"another site's secret!!"), Err(Refused::Signature));
        let text = String::from_utf8(bytes).unwrap();
        let altered = text.replace("operator", "admin");
        assert_eq!(decode(altered.as_bytes(), SECRET), Err(Refused::Signature));
        assert!(matches!(decode(b"{}", SECRET), Err(Refused::Shape(_))));
        assert!(matches!(decode(&[b' '; 5_000], SECRET), Err(Refused::TooLong)));
        // Signed, but not what it must be.
        let mut bad = shelve();
        bad.what = RemoteWhat::Shelve {
            until: Timestamp(10),
            reason: String::new(),
        };
        assert!(matches!(
            decode(&encode(&bad, "cab-1", SECRET), SECRET),
            Err(Refused::Field(_))
        ));
        bad.alarm = None;
        bad.what = RemoteWhat::Acknowledge;
        assert!(matches!(
            decode(&encode(&bad, "cab-1", SECRET), SECRET),
            Err(Refused::Field(_))
        ));
    }
}

/// A trip or E-stop latched at a console, as the others show it (they never act on it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SharedLatch {
    pub id: String,
    pub name: String,
    /// The name in Spanish (empty: the English one is shown).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name_es: String,
    pub asset: String,
    /// condition, input_bad or estop.
    pub cause: String,
    /// µs since 1970-01-01 UTC.
    pub at: i64,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Latches {
    v: u32,
    console: String,
    latches: Vec<SharedLatch>,
}

/// The longest list of latches read (a console has a few dozen trip rules).
pub const MAX_LATCHES_MESSAGE: usize = 64 * 1024;
const MAX_LATCHES: usize = 512;

/// Where a console's latched trips are published (retained).
pub fn trips_topic(prefix: &str, console: &str) -> String {
    format!("{prefix}/trips/{console}")
}

/// The trips and E-stops latched at `console`, as a signed message.
pub fn encode_latches(latches: &[SharedLatch], console: &str, secret: &[u8]) -> Vec<u8> {
    let body = Latches {
        v: 1,
        console: console.to_owned(),
        latches: latches.to_vec(),
    };
    seal(&body, secret)
}

/// The console and its latches in `payload`, checked.
pub fn decode_latches(payload: &[u8], secret: &[u8]) -> Result<(String, Vec<SharedLatch>), Refused> {
    let b: Latches = open(payload, MAX_LATCHES_MESSAGE, secret)?;
    if b.v != 1 || b.latches.len() > MAX_LATCHES {
        return Err(Refused::Field("unknown version or too many latches".into()));
    }
    let texts = b
        .latches
        .iter()
        .flat_map(|l| [&l.id, &l.name, &l.name_es, &l.asset, &l.cause]);
    if std::iter::once(&b.console)
        .chain(texts)
        .any(|t| t.chars().count() > MAX_TEXT || t.chars().any(char::is_control))
    {
        return Err(Refused::Field("a text is too long or holds control characters".into()));
    }
    Ok((b.console, b.latches))
}

/// What is latched in `view`: tripped rules and pressed E-stops.
pub fn latches_of(view: &crate::trip::TripView) -> Vec<SharedLatch> {
    let lang = crate::lang::Lang::En;
    let trips = view.tripped().filter_map(|t| {
        let l = t.latch.as_ref()?;
        Some(SharedLatch {
            id: t.def.id.to_string(),
            name: t.def.name.get(lang).to_owned(),
            name_es: t.def.name.get(crate::lang::Lang::Es).to_owned(),
            asset: t.def.asset.to_string(),
            cause: l.cause.code().to_owned(),
            at: l.at.0,
        })
    });
    let estops = view.active_estops().filter_map(|e| {
        let l = e.latch.as_ref()?;
        Some(SharedLatch {
            id: e.def.id.to_string(),
            name: e.def.label.get(lang).to_owned(),
            name_es: e.def.label.get(crate::lang::Lang::Es).to_owned(),
            asset: e.def.asset.to_string(),
            cause: "estop".to_owned(),
            at: l.at.0,
        })
    });
    trips.chain(estops).collect()
}

#[cfg(test)]
mod latch_tests {
    use super::*;

    #[test]
    fn latched_trips_travel_signed_and_are_refused_altered() {
        let l = vec![SharedLatch {
            id: "ct01-overpressure".into(),
            name: "CT-01 wellhead overpressure".into(),
            name_es: "Sobrepresión en cabeza TF-01".into(),
            asset: "ct01".into(),
            cause: "condition".into(),
            at: 7,
        }];
        let secret = b"a secret the site's consoles share";
        let bytes = encode_latches(&l, "cab-ct01", secret);
        assert_eq!(decode_latches(&bytes, secret).unwrap(), ("cab-ct01".to_owned(), l));
        let altered = String::from_utf8(bytes).unwrap().replace("condition", "estop");
        assert_eq!(decode_latches(altered.as_bytes(), secret), Err(Refused::Signature));
    }
}
