//! `site.toml`: the site, its drivers and its tags.
//!
//! Parsed in two steps ("parse, don't validate"): serde reads a raw form that keeps every field's
//! span, then `validate` builds the typed `Site` or returns every problem found, each at
//! `path:line:col`. Nothing past this module sees a raw string where a typed id belongs.
//!
//! A `[[tag]]` with `expr = "…"` is a calculated tag: it belongs to the implicit driver `calc` (made only
//! when the site has one), and its expression is compiled by `calc_tags` once every tag is known.

use super::calc_tags::{self, PendingCalc};
use super::diag::{Diagnostic, SourceFile};
use super::files::ProjectFiles;
use super::parts::Parts;
use super::survey_csv;
use crate::calculated::CalcSet;
use crate::driver::modbus::address::{DataType, ModbusAddress, Order};
use crate::driver::modbus::codec::Scaling;
use crate::driver::modbus::config::{ModbusConfig, ModbusTag, Parity, PollGroup, SerialLine, Transport};
use crate::driver::mqtt::address::MqttAddress;
use crate::driver::mqtt::config::{
    Credentials, JsonRule, JsonTag, MqttConfig, Qos, SparkplugTag, TimeUnit, TimestampField, TlsSettings,
};
use crate::driver::opcua::config::{Identity, OpcUaConfig, OpcUaTag, SecurityMode, SecurityPolicy, SubscriptionGroup};
use crate::driver::sim::SimDriverConfig;
use crate::sim::{self, PlantConfig, SignalSpec};
use crate::tag::{DriverId, HistoryMode, TagDef, TagDirectory, TagId, ValueKind};
use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;
use toml::Spanned;

#[derive(Debug, Clone)]
pub struct Site {
    pub name: String,
    pub description: String,
    pub drivers: Vec<DriverConfig>,
    pub tags: Arc<TagDirectory>,
    /// The calculated tags (`[[tag]] expr = "…"`), compiled, in dependency order.
    pub calculated: Arc<CalcSet>,
    pub historian: HistorySettings,
    pub records: RecordsSettings,
    pub security: SecuritySettings,
}

/// The `[records]` table: where the site's records (users, audit trail, alarm journal, trip state) and
/// the key that seals them are kept. Paths relative to the project folder.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RecordsSettings {
    /// `None`: beside the history database's default place.
    pub dir: Option<std::path::PathBuf>,
    /// `None`: `site.key` in the records folder.
    pub key: Option<std::path::PathBuf>,
    /// The broker the audit trail's head is also published to (`anchor_mqtt`, `anchor_topic`).
    pub anchor: Option<crate::auth::audit::external::ExternalAnchor>,
}

/// The `[security]` table: login lockout and back-off.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SecuritySettings {
    pub lockout: crate::auth::users::Lockout,
    /// Failed logins in a row at one console after which each further try waits (1 s, doubling, ≤ 30 s).
    pub backoff_after: u32,
}

impl Default for SecuritySettings {
    fn default() -> Self {
        Self {
            lockout: crate::auth::users::Lockout::default(),
            backoff_after: 3,
        }
    }
}

/// The `[historian]` table: where history is kept and for how long.
#[derive(Debug, Clone, PartialEq)]
pub struct HistorySettings {
    /// Database file, relative to the project folder; `None`: the default place for this project.
    pub path: Option<std::path::PathBuf>,
    pub commit_every: Duration,
    pub retention: crate::historian::retention::Retention,
}

impl Default for HistorySettings {
    fn default() -> Self {
        Self {
            path: None,
            commit_every: Duration::from_secs(1),
            retention: crate::historian::retention::Retention::default(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct DriverConfig {
    pub id: DriverId,
    pub name: String,
    pub kind: DriverKind,
}

#[derive(Debug, Clone)]
pub enum DriverKind {
    Sim(SimDriverConfig),
    Modbus(ModbusConfig),
    Mqtt(MqttConfig),
    OpcUa(OpcUaConfig),
    /// The implicit driver of calculated tags: no thread and no options; the hub computes its tags from
    /// the others (`crate::calculated`).
    Calc,
}

/// The name of the calculated tags' implicit driver (a `[[driver]]` may not take it).
pub const CALC_DRIVER: &str = "calc";

impl DriverKind {
    /// The simulator settings, when this is the simulator driver.
    pub fn as_sim(&self) -> Option<&SimDriverConfig> {
        match self {
            DriverKind::Sim(c) => Some(c),
            DriverKind::Modbus(_) | DriverKind::Mqtt(_) | DriverKind::OpcUa(_) | DriverKind::Calc => None,
        }
    }

    /// The driver asks its devices for each reading (Modbus); the others are sent their data (MQTT and
    /// OPC UA subscriptions) or make it (the simulator, calculated tags), so they have no requests to count.
    pub fn polls(&self) -> bool {
        match self {
            DriverKind::Modbus(_) => true,
            DriverKind::Sim(_) | DriverKind::Mqtt(_) | DriverKind::OpcUa(_) | DriverKind::Calc => false,
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            DriverKind::Sim(_) => "sim",
            DriverKind::Modbus(c) => match c.transport {
                Transport::Tcp { .. } => "modbus-tcp",
                Transport::Rtu(_) => "modbus-rtu",
            },
            DriverKind::Mqtt(_) => "mqtt",
            DriverKind::OpcUa(_) => "opcua",
            DriverKind::Calc => CALC_DRIVER,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSite {
    site: RawSiteInfo,
    /// `[[driver]]` and `[[tag]]` are read entry by entry before the rest (see `read`); declared here
    /// so the message for a misspelt top-level key lists them.
    #[serde(default)]
    driver: Vec<RawDriver>,
    #[serde(default)]
    tag: Vec<RawTag>,
    historian: Option<RawHistorian>,
    records: Option<RawRecords>,
    security: Option<RawSecurity>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRecords {
    dir: Option<Spanned<String>>,
    key: Option<Spanned<String>>,
    anchor_mqtt: Option<Spanned<String>>,
    anchor_topic: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSecurity {
    lockout_after: Option<Spanned<i64>>,
    lockout_min: Option<Spanned<f64>>,
    backoff_after: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHistorian {
    path: Option<Spanned<String>>,
    commit_ms: Option<Spanned<u64>>,
    /// Days to keep each resolution; 0 keeps it for ever.
    raw_days: Option<Spanned<u64>>,
    minute_days: Option<Spanned<u64>>,
    hour_days: Option<Spanned<u64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSiteInfo {
    name: Spanned<String>,
    #[serde(default)]
    description: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDriver {
    name: Spanned<String>,
    kind: Spanned<String>,
    sim: Option<Spanned<RawSimOptions>>,
    modbus: Option<Spanned<RawModbusOptions>>,
    mqtt: Option<Spanned<RawMqttOptions>>,
    opcua: Option<Spanned<RawOpcUaOptions>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOpcUaOptions {
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMqttOptions {
    /// `host:port`.
    broker: Spanned<String>,
    client_id: Option<Spanned<String>>,
    username: Option<Spanned<String>>,
    password: Option<Spanned<String>>,
    /// Name of an environment variable holding the password (keeps secrets out of the project).
    password_env: Option<Spanned<String>>,
    tls: Option<Spanned<RawTls>>,
    keep_alive_s: Option<Spanned<u64>>,
    qos: Option<Spanned<i64>>,
    timeout_ms: Option<Spanned<u64>>,
    sparkplug_host_id: Option<Spanned<String>>,
    #[serde(default)]
    json: Vec<RawJsonRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTls {
    ca_file: Spanned<String>,
    client_cert: Option<Spanned<String>>,
    client_key: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawJsonRule {
    filter: Spanned<String>,
    timestamp: Option<Spanned<String>>,
    timestamp_unit: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawModbusOptions {
    /// TCP: `host:port`.
    endpoint: Option<Spanned<String>>,
    /// RTU: the serial line.
    device: Option<Spanned<String>>,
    baud: Option<Spanned<u32>>,
    parity: Option<Spanned<String>>,
    data_bits: Option<Spanned<u8>>,
    stop_bits: Option<Spanned<u8>>,
    #[serde(default = "default_unit")]
    unit_id: Spanned<i64>,
    timeout_ms: Option<Spanned<u64>>,
    word_order: Option<Spanned<String>>,
    byte_order: Option<Spanned<String>>,
    max_gap: Option<Spanned<u16>>,
    /// TCP: requests in flight at once (1, the default: one at a time).
    pipeline: Option<Spanned<i64>>,
    #[serde(default)]
    poll: Vec<RawPoll>,
}

fn default_unit() -> Spanned<i64> {
    Spanned::new(0..0, 1)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPoll {
    name: Spanned<String>,
    period_ms: Spanned<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSimOptions {
    #[serde(default = "default_seed")]
    seed: u64,
    speed: Option<Spanned<f64>>,
    period_ms: Option<Spanned<u64>>,
    esp_wells: Option<Spanned<i64>>,
    ct_survey: Spanned<String>,
    ct_start_depth_ft: Option<Spanned<f64>>,
    ct_fill_top_ft: Option<Spanned<f64>>,
}

fn default_seed() -> u64 {
    42
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTag {
    name: Spanned<String>,
    /// Absent for a calculated tag (`expr`).
    driver: Option<Spanned<String>>,
    address: Option<Spanned<String>>,
    #[serde(rename = "type")]
    kind: Option<Spanned<String>>,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    description: RawDescription,
    /// What operators call it on screens, tiles and trends: `"…"` or `{ en = "…", es = "…" }`.
    label: Option<RawLabel>,
    /// A list, not `[f64; 2]`: serde reads the first two of `[0, 100, 5]` and ignores the rest.
    range: Option<Spanned<Vec<f64>>>,
    decimals: Option<Spanned<i64>>,
    stale_after_ms: Option<Spanned<u64>>,
    writable: Option<Spanned<bool>>,
    /// Linear scaling of raw device values: engineering = raw × gain + offset.
    gain: Option<Spanned<f64>>,
    offset: Option<Spanned<f64>>,
    /// Poll group (Modbus).
    poll: Option<Spanned<String>>,
    /// What the historian stores: "all" (default), "change", "swinging-door" or "off".
    history: Option<Spanned<String>>,
    /// Deadband ("change") or deviation ("swinging-door"), in the tag's unit.
    history_deadband: Option<Spanned<f64>>,
    /// A calculated tag's expression (the `expr` room's language), instead of a driver and an address.
    expr: Option<Spanned<String>>,
}

/// A tag's description: `"…"` (English only) or `{ en = "…", es = "…" }`.
#[derive(Deserialize)]
#[serde(
    untagged,
    expecting = "a description is \"…\" or both languages: { en = \"…\", es = \"…\" }"
)]
enum RawDescription {
    Plain(String),
    Both { en: String, es: String },
}

impl Default for RawDescription {
    fn default() -> Self {
        RawDescription::Plain(String::new())
    }
}

/// A tag's label: the same two forms as a description (its own type for its own error message).
#[derive(Deserialize)]
#[serde(
    untagged,
    expecting = "a label is \"…\" or both languages: { en = \"…\", es = \"…\" }"
)]
enum RawLabel {
    Plain(String),
    Both { en: String, es: String },
}

impl From<RawLabel> for crate::lang::Text {
    fn from(raw: RawLabel) -> Self {
        match raw {
            RawLabel::Plain(en) => Self::new(&en, ""),
            RawLabel::Both { en, es } => Self::new(&en, &es),
        }
    }
}

/// Default stale period for tags that do not set one.
pub const DEFAULT_STALE_AFTER: Duration = Duration::from_secs(5);

/// The per-driver knowledge the tag checks need: which addresses exist and their value kinds.
enum AddressBook {
    Sim(HashMap<String, SignalSpec>),
    /// Poll group names of a Modbus driver; addresses are parsed per tag.
    Modbus(Vec<String>),
    /// MQTT addresses are parsed per tag.
    Mqtt,
    /// Subscription names of an OPC UA driver; node ids are parsed per tag.
    OpcUa(Vec<String>),
}

pub fn load(files: &ProjectFiles) -> Result<Site, Vec<Diagnostic>> {
    let path = files.display_path("site.toml");
    let Some(text) = files.get("site.toml") else {
        return Err(vec![Diagnostic {
            path,
            line: 1,
            col: 1,
            message: "site.toml is missing".into(),
        }]);
    };
    let src = SourceFile::new(&path, text);
    let mut errs = Vec::new();
    match read(&src, &mut errs) {
        Some((raw, broken_drivers)) => validate(raw, broken_drivers, &src, files, errs),
        None => Err(errs),
    }
}

/// `site.toml` read entry by entry, every syntax and schema problem pushed to `errs`: the drivers and
/// tags that fit (checked next, so their problems are reported too), and the names of drivers whose
/// entries did not. `None` when the file does not parse or a table every site needs (`[site]`) is bad.
fn read(src: &SourceFile<'_>, errs: &mut Vec<Diagnostic>) -> Option<(RawSite, Vec<String>)> {
    let mut parts = match Parts::parse(src) {
        Ok(p) => p,
        Err(d) => {
            errs.push(d);
            return None;
        }
    };
    let (drivers, broken_drivers) = parts.list_named("driver", src, errs);
    let tags = parts.list("tag", src, errs);
    let mut raw: RawSite = parts.rest(src, errs)?;
    raw.driver = drivers;
    raw.tag = tags;
    Some((raw, broken_drivers))
}

/// Builds the `Site`, or every problem: `errs` comes with those found while reading, and any problem
/// at all refuses the site. Tags on a driver that has problems of its own (`broken_drivers`, or found
/// here) are left unchecked rather than reported as using an undefined driver.
fn validate(
    raw: RawSite,
    broken_drivers: Vec<String>,
    src: &SourceFile<'_>,
    files: &ProjectFiles,
    mut errs: Vec<Diagnostic>,
) -> Result<Site, Vec<Diagnostic>> {
    let mut broken_drivers: HashSet<String> = broken_drivers.into_iter().collect();
    if raw.site.name.get_ref().trim().is_empty() {
        errs.push(src.at(raw.site.name.span(), "site name must not be empty"));
    }

    let mut drivers = Vec::new();
    let mut books = Vec::new();
    let mut driver_ids: HashMap<String, DriverId> = HashMap::new();
    // The kind of each driver that has problems of its own: its tags' addresses are still checked.
    let mut broken_kinds: HashMap<String, String> = HashMap::new();
    for d in raw.driver {
        let name = d.name.get_ref().clone();
        if !is_valid_name(&name, false) {
            errs.push(src.at(
                d.name.span(),
                format!("driver name '{name}' must be letters, digits, '_' or '-'"),
            ));
        }
        if name == CALC_DRIVER {
            errs.push(src.at(
                d.name.span(),
                "the driver name 'calc' is kept for calculated tags (tags with expr = \"…\"); give this driver another name",
            ));
            // Its tags are not reported as using an undefined driver as well.
            broken_drivers.insert(name);
            continue;
        }
        if driver_ids.contains_key(&name) {
            errs.push(src.at(d.name.span(), format!("driver '{name}' is defined twice")));
            continue;
        }
        let Ok(index) = u16::try_from(drivers.len()) else {
            errs.push(src.at(d.name.span(), "too many drivers (at most 65,535)"));
            break;
        };
        let id = DriverId(index);
        let kind = match d.kind.get_ref().as_str() {
            "sim" => match d.sim {
                Some(opts) => sim_driver(opts, src, files, &mut errs),
                None => {
                    errs.push(src.at(
                        d.kind.span(),
                        "a 'sim' driver needs a [driver.sim] table (at least ct_survey)",
                    ));
                    None
                }
            },
            kind @ ("modbus-tcp" | "modbus-rtu") => match d.modbus {
                Some(opts) => modbus_driver(opts, kind == "modbus-rtu", d.kind.span(), src, &mut errs),
                None => {
                    errs.push(src.at(
                        d.kind.span(),
                        format!("a '{kind}' driver needs a [driver.modbus] table (endpoint for TCP, device for RTU)"),
                    ));
                    None
                }
            },
            "mqtt" => match d.mqtt {
                Some(opts) => mqtt_driver(opts, &name, src, files, &mut errs),
                None => {
                    errs.push(src.at(
                        d.kind.span(),
                        "an 'mqtt' driver needs a [driver.mqtt] table (at least broker = \"HOST:PORT\")",
                    ));
                    None
                }
            },
            "opcua" => match d.opcua {
                Some(opts) => opcua_driver(opts, src, files, &mut errs),
                None => {
                    errs.push(src.at(
                        d.kind.span(),
                        "an 'opcua' driver needs a [driver.opcua] table (at least endpoint = \"opc.tcp://HOST:PORT\")",
                    ));
                    None
                }
            },
            "calc" => {
                errs.push(src.at(
                    d.kind.span(),
                    "calculated tags need no [[driver]]: give each of them expr = \"…\" and no driver",
                ));
                None
            }
            other => {
                errs.push(src.at(
                    d.kind.span(),
                    format!(
                        "unknown driver kind '{other}' (this build supports: sim, modbus-tcp, modbus-rtu, mqtt, opcua)"
                    ),
                ));
                None
            }
        };
        match kind {
            Some((kind, book)) => {
                driver_ids.insert(name.clone(), id);
                drivers.push(DriverConfig { id, name, kind });
                books.push(book);
            }
            None => {
                broken_kinds.insert(name.clone(), d.kind.get_ref().clone());
                broken_drivers.insert(name);
            }
        }
    }

    let mut defs = Vec::new();
    let mut tag_names: HashMap<String, ()> = HashMap::new();
    let mut spb_bound: HashMap<(DriverId, String), String> = HashMap::new();
    // The calculated tags' driver, made with the first of them; their expressions, compiled after the loop.
    let mut calc_driver: Option<DriverId> = None;
    let mut pending: Vec<PendingCalc> = Vec::new();
    for t in raw.tag {
        let name = t.name.get_ref().clone();
        if !is_valid_name(&name, true) {
            errs.push(src.at(
                t.name.span(),
                format!("tag name '{name}' must be path segments of letters, digits, '_' or '-' separated by '/', e.g. ct01/weight"),
            ));
        }
        if tag_names.insert(name.clone(), ()).is_some() {
            errs.push(src.at(t.name.span(), format!("tag '{name}' is defined twice")));
            continue;
        }
        if let Some(expr) = t.expr.clone() {
            let driver = match calc_driver {
                Some(id) => id,
                None => {
                    let Ok(index) = u16::try_from(drivers.len()) else {
                        errs.push(src.at(t.name.span(), "too many drivers (at most 65,535)"));
                        break;
                    };
                    let id = DriverId(index);
                    drivers.push(DriverConfig {
                        id,
                        name: CALC_DRIVER.to_owned(),
                        kind: DriverKind::Calc,
                    });
                    calc_driver = Some(id);
                    id
                }
            };
            let Ok(index) = u32::try_from(defs.len()) else {
                errs.push(src.at(t.name.span(), "too many tags"));
                break;
            };
            let (def, declared) = calculated_def(t, name, TagId(index), driver, src, &mut errs);
            pending.push(PendingCalc {
                tag: def.id,
                expr,
                declared,
            });
            defs.push(def);
            continue;
        }
        let Some(driver_name) = t.driver.clone() else {
            errs.push(src.at(
                t.name.span(),
                format!(
                    "tag '{name}' needs driver = \"…\" (where its value comes from), or expr = \"…\" to be calculated"
                ),
            ));
            continue;
        };
        let writable = t.writable.as_ref().is_some_and(|w| *w.get_ref());
        let Some(&driver) = driver_ids.get(driver_name.get_ref()) else {
            // A driver with problems of its own does not hide its tags' address problems: one pass of
            // `check` reports both.
            if let Some(kind) = broken_kinds.get(driver_name.get_ref()) {
                let address = t.address.as_ref().map_or_else(|| name.clone(), |a| a.get_ref().clone());
                let span = t.address.as_ref().map_or(t.name.span(), Spanned::span);
                let why = match kind.as_str() {
                    "modbus-tcp" | "modbus-rtu" => address.parse::<ModbusAddress>().err().map(|e| e.to_string()),
                    "mqtt" => address.parse::<MqttAddress>().err().map(|e| e.to_string()),
                    "opcua" => address.parse::<opcua::types::NodeId>().err().map(|_| {
                        format!("'{address}' is not an OPC UA node id (e.g. ns=2;s=Well1.Pressure, ns=3;i=1001; find them with `wellconsole opcua browse`)")
                    }),
                    _ => None,
                };
                if let Some(why) = why {
                    errs.push(src.at(span, why));
                }
            }
            if !broken_drivers.contains(driver_name.get_ref()) {
                let why = if driver_name.get_ref() == CALC_DRIVER {
                    format!(
                        "'calc' is the driver of calculated tags: give tag '{name}' expr = \"…\" instead of a driver"
                    )
                } else {
                    format!(
                        "tag '{name}' uses driver '{}', which is not defined",
                        driver_name.get_ref()
                    )
                };
                errs.push(src.at(driver_name.span(), why));
            }
            continue;
        };
        let address = t.address.as_ref().map_or_else(|| name.clone(), |a| a.get_ref().clone());
        let address_span = t.address.as_ref().map_or(t.name.span(), Spanned::span);
        let declared = match &t.kind {
            Some(k) => match parse_kind(k.get_ref()) {
                Some(kind) => Some(kind),
                None => {
                    errs.push(src.at(
                        k.span(),
                        format!("unknown type '{}' (expected f64, i64, bool or string)", k.get_ref()),
                    ));
                    continue;
                }
            },
            None => None,
        };
        let mut modbus: Option<(ModbusAddress, Scaling, usize)> = None;
        let mut mqtt: Option<(MqttAddress, Scaling)> = None;
        let mut opcua: Option<(opcua::types::NodeId, Scaling, usize)> = None;
        let (kind, signal) = match &books[driver.index()] {
            AddressBook::Sim(signals) => match signals.get(&address) {
                Some(spec) => {
                    if let (Some(k), Some(ks)) = (declared, t.kind.as_ref())
                        && k != spec.kind
                    {
                        errs.push(src.at(
                            ks.span(),
                            format!(
                                "tag '{name}' is declared {} but sim signal '{address}' is {}",
                                kind_name(k),
                                kind_name(spec.kind)
                            ),
                        ));
                    }
                    for f in [&t.gain, &t.offset].into_iter().flatten() {
                        errs.push(src.at(f.span(), "gain and offset scale raw device values; simulator signals are already in engineering units"));
                    }
                    if writable && !spec.writable {
                        errs.push(src.at(address_span.clone(), format!("tag '{name}' is writable but sim signal '{address}' is a measurement; the demo plant takes writes on ct01/shutdown and espNN/running")));
                    }
                    (spec.kind, Some(spec))
                }
                None => {
                    errs.push(src.at(address_span, format!("the simulator has no signal '{address}'")));
                    continue;
                }
            },
            AddressBook::Modbus(polls) => {
                let parsed = match address.parse::<ModbusAddress>() {
                    Ok(a) => a,
                    Err(e) => {
                        errs.push(src.at(address_span, e.to_string()));
                        continue;
                    }
                };
                let scaling = scaling_of(&t, src, &mut errs);
                let natural = match parsed.data_type {
                    DataType::Bool => ValueKind::Bool,
                    DataType::Str(_) => ValueKind::String,
                    DataType::F32 | DataType::F64 => ValueKind::F64,
                    _ if scaling.is_identity() => ValueKind::I64,
                    _ => ValueKind::F64,
                };
                let numeric = matches!(natural, ValueKind::I64 | ValueKind::F64);
                let kind = match (declared, t.kind.as_ref()) {
                    (Some(k), _) if k == natural || (k == ValueKind::F64 && numeric) => k,
                    (Some(k), Some(ks)) => {
                        errs.push(src.at(
                            ks.span(),
                            format!(
                                "tag '{name}' is declared {} but Modbus address '{address}' holds {}",
                                kind_name(k),
                                kind_name(natural)
                            ),
                        ));
                        continue;
                    }
                    _ => natural,
                };
                let Some(poll) = group_index(&t, polls, "poll group", src, &mut errs) else {
                    continue;
                };
                if writable && !parsed.table.is_writable() {
                    errs.push(src.at(address_span, format!("tag '{name}' is writable but '{address}' is read-only (input registers and discrete inputs cannot be written)")));
                }
                modbus = Some((parsed, scaling, poll));
                (kind, None)
            }
            AddressBook::OpcUa(groups) => {
                let node = match address.parse::<opcua::types::NodeId>() {
                    Ok(n) => n,
                    Err(_) => {
                        errs.push(src.at(
                            address_span,
                            format!("'{address}' is not an OPC UA node id (e.g. ns=2;s=Well1.Pressure, ns=3;i=1001; find them with `wellconsole opcua browse`)"),
                        ));
                        continue;
                    }
                };
                let scaling = scaling_of(&t, src, &mut errs);
                let kind = declared.unwrap_or(ValueKind::F64);
                let Some(group) = group_index(&t, groups, "subscription", src, &mut errs) else {
                    continue;
                };
                opcua = Some((node, scaling, group));
                (kind, None)
            }
            AddressBook::Mqtt => {
                let parsed = match address.parse::<MqttAddress>() {
                    Ok(a) => a,
                    Err(e) => {
                        errs.push(src.at(address_span, e.to_string()));
                        continue;
                    }
                };
                let scaling = scaling_of(&t, src, &mut errs);
                let kind = declared.unwrap_or(ValueKind::F64);
                if !scaling.is_identity() && matches!(kind, ValueKind::Bool | ValueKind::String) {
                    let span = t
                        .gain
                        .as_ref()
                        .or(t.offset.as_ref())
                        .map_or(t.name.span(), Spanned::span);
                    errs.push(src.at(span, "gain and offset apply to numeric tags only"));
                }
                if writable && matches!(parsed, MqttAddress::Json { .. }) {
                    errs.push(src.at(
                        address_span.clone(),
                        format!("tag '{name}' is writable but JSON topics are read-only here; write through a Sparkplug B metric (DCMD/NCMD) instead"),
                    ));
                }
                if let MqttAddress::Sparkplug(path) = &parsed {
                    let key = (driver, path.to_string());
                    if let Some(other) = spb_bound.get(&key) {
                        errs.push(src.at(
                            address_span,
                            format!(
                                "metric '{path}' is already bound to tag '{other}'; bind each Sparkplug metric once"
                            ),
                        ));
                    } else {
                        spb_bound.insert(key, name.clone());
                    }
                }
                mqtt = Some((parsed, scaling));
                (kind, None)
            }
        };
        if let Some(p) = &t.poll
            && modbus.is_none()
            && opcua.is_none()
        {
            errs.push(src.at(
                p.span(),
                "poll names a Modbus poll group or an OPC UA subscription; this tag's driver has neither",
            ));
        }
        let range = tag_range(&t, signal, src, &mut errs);
        let decimals = tag_decimals(&t, signal, src, &mut errs);
        let stale_after = match &t.stale_after_ms {
            Some(ms) if *ms.get_ref() == 0 => {
                errs.push(src.at(ms.span(), "stale_after_ms must be greater than 0"));
                DEFAULT_STALE_AFTER
            }
            Some(ms) => Duration::from_millis(*ms.get_ref()),
            // Sparkplug and OPC UA subscriptions report by exception: a quiet value is not stale; deaths
            // and keep-alives mark lost links.
            None if matches!(mqtt, Some((MqttAddress::Sparkplug(_), _))) || opcua.is_some() => Duration::MAX,
            None => DEFAULT_STALE_AFTER,
        };
        let history = history_mode(&t, src, &mut errs);
        let unit = if t.unit.is_empty() {
            signal.map_or(String::new(), |s| s.unit.to_owned())
        } else {
            t.unit
        };
        let (description, description_es) = tag_description(t.description, signal);
        let Ok(index) = u32::try_from(defs.len()) else {
            errs.push(src.at(t.name.span(), "too many tags"));
            break;
        };
        defs.push(TagDef {
            id: TagId(index),
            name,
            description,
            description_es,
            label: t.label.map(Into::into).unwrap_or_default(),
            unit,
            kind,
            range,
            decimals,
            driver,
            address,
            stale_after,
            writable,
            history,
        });
        if let (Some((address, scaling, poll)), Some(DriverKind::Modbus(cfg))) = (
            modbus,
            drivers.get_mut(driver.index()).map(|d: &mut DriverConfig| &mut d.kind),
        ) {
            cfg.tags.push(ModbusTag {
                tag: TagId(index),
                address,
                scaling,
                poll,
                writable,
            });
        }
        if let (Some((node, scaling, group)), Some(DriverKind::OpcUa(cfg))) = (
            opcua,
            drivers.get_mut(driver.index()).map(|d: &mut DriverConfig| &mut d.kind),
        ) {
            cfg.tags.push(OpcUaTag {
                tag: TagId(index),
                node,
                kind,
                scaling,
                group,
                writable,
            });
        }
        if let (Some((address, scaling)), Some(DriverKind::Mqtt(cfg))) = (
            mqtt,
            drivers.get_mut(driver.index()).map(|d: &mut DriverConfig| &mut d.kind),
        ) {
            match address {
                MqttAddress::Json { topic, pointer } => cfg.json_tags.push(JsonTag {
                    tag: TagId(index),
                    topic,
                    pointer,
                    kind,
                    scaling,
                }),
                MqttAddress::Sparkplug(path) => cfg.sparkplug_tags.push(SparkplugTag {
                    tag: TagId(index),
                    path,
                    kind,
                    scaling,
                    writable,
                }),
            }
        }
    }

    // Every tag is known now: calculated tags may read any of them, other calculated tags included.
    let calculated = calc_tags::compile(pending, &mut defs, src, &mut errs);
    let historian = history_settings(raw.historian.as_ref(), src, &mut errs);
    let records = records_settings(raw.records.as_ref(), raw.site.name.get_ref(), src, &mut errs);
    let security = security_settings(raw.security.as_ref(), src, &mut errs);
    if errs.is_empty() {
        Ok(Site {
            name: raw.site.name.into_inner(),
            description: raw.site.description,
            drivers,
            tags: Arc::new(TagDirectory::new(defs)),
            calculated: Arc::new(calculated),
            historian,
            records,
            security,
        })
    } else {
        Err(errs)
    }
}

fn sim_driver(
    opts: Spanned<RawSimOptions>,
    src: &SourceFile<'_>,
    files: &ProjectFiles,
    errs: &mut Vec<Diagnostic>,
) -> Option<(DriverKind, AddressBook)> {
    let opts = opts.into_inner();
    let before = errs.len();
    let speed = opts.speed.as_ref().map_or(1.0, |s| *s.get_ref());
    if let Some(s) = &opts.speed
        && !(speed.is_finite() && speed > 0.0 && speed <= 1_000.0)
    {
        errs.push(src.at(
            s.span(),
            "speed must be greater than 0 and at most 1000 (times real time)",
        ));
    }
    let period_ms = opts.period_ms.as_ref().map_or(100, |p| *p.get_ref());
    if let Some(p) = &opts.period_ms
        && !(10..=10_000).contains(&period_ms)
    {
        errs.push(src.at(p.span(), "period_ms must be between 10 and 10000"));
    }
    let esp_wells = opts.esp_wells.as_ref().map_or(6, |n| *n.get_ref());
    if let Some(n) = &opts.esp_wells
        && !(1..=24).contains(&esp_wells)
    {
        errs.push(src.at(n.span(), "esp_wells must be between 1 and 24"));
    }
    let survey_rel = opts.ct_survey.get_ref().clone();
    let survey = match files.get(&survey_rel) {
        Some(text) => {
            let path = files.display_path(&survey_rel);
            match survey_csv::parse(&SourceFile::new(&path, text)) {
                Ok(s) => Some(s),
                Err(mut e) => {
                    errs.append(&mut e);
                    None
                }
            }
        }
        None => {
            errs.push(src.at(
                opts.ct_survey.span(),
                format!("survey file '{survey_rel}' not found in the project (paths are relative to the project directory, e.g. data/ct01_survey.csv)"),
            ));
            None
        }
    };
    let survey = survey?;
    let td = survey.total_md_ft();
    let mut plant = PlantConfig::demo(opts.seed, survey);
    plant.esp_wells = usize::try_from(esp_wells).unwrap_or(6);
    for (field, target) in [
        (&opts.ct_start_depth_ft, &mut plant.ct.start_depth_ft),
        (&opts.ct_fill_top_ft, &mut plant.ct.fill_top_ft),
    ] {
        if let Some(v) = field {
            if !(0.0..=td).contains(v.get_ref()) {
                errs.push(src.at(
                    v.span(),
                    format!("depth {} ft is outside the well (0 to {td} ft MD)", v.get_ref()),
                ));
            }
            *target = *v.get_ref();
        }
    }
    if errs.len() > before {
        return None;
    }
    let book = sim::catalog(plant.esp_wells)
        .into_iter()
        .map(|s| (s.address.clone(), s))
        .collect();
    let cfg = SimDriverConfig {
        plant,
        speed,
        period: Duration::from_millis(period_ms),
    };
    Some((DriverKind::Sim(cfg), AddressBook::Sim(book)))
}

fn modbus_driver(
    opts: Spanned<RawModbusOptions>,
    rtu: bool,
    kind_span: std::ops::Range<usize>,
    src: &SourceFile<'_>,
    errs: &mut Vec<Diagnostic>,
) -> Option<(DriverKind, AddressBook)> {
    let opts = opts.into_inner();
    let before = errs.len();
    let transport = if rtu {
        serial_line(&opts, kind_span, src, errs)
    } else {
        tcp_endpoint(&opts, kind_span, src, errs)
    };
    let unit = *opts.unit_id.get_ref();
    if !(0..=247).contains(&unit) {
        errs.push(src.at(opts.unit_id.span(), "unit_id must be 0–247"));
    }
    let timeout_ms = opts.timeout_ms.as_ref().map_or(1_000, |t| *t.get_ref());
    if let Some(t) = &opts.timeout_ms
        && !(10..=60_000).contains(&timeout_ms)
    {
        errs.push(src.at(t.span(), "timeout_ms must be between 10 and 60000"));
    }
    let choice = |field: &Option<Spanned<String>>, a: &str, b: &str, errs: &mut Vec<Diagnostic>| match field {
        None => false,
        Some(v) if v.get_ref() == a => false,
        Some(v) if v.get_ref() == b => true,
        Some(v) => {
            errs.push(src.at(v.span(), format!("expected '{a}' or '{b}'")));
            false
        }
    };
    let order = Order {
        low_word_first: choice(&opts.word_order, "high-first", "low-first", errs),
        swap_bytes: choice(&opts.byte_order, "normal", "swapped", errs),
    };
    let mut polls = Vec::new();
    for p in &opts.poll {
        let ms = *p.period_ms.get_ref();
        if !(10..=3_600_000).contains(&ms) {
            errs.push(src.at(p.period_ms.span(), "period_ms must be between 10 and 3600000"));
        }
        if polls.iter().any(|g: &PollGroup| &g.name == p.name.get_ref()) {
            errs.push(src.at(
                p.name.span(),
                format!("poll group '{}' is defined twice", p.name.get_ref()),
            ));
        }
        polls.push(PollGroup {
            name: p.name.get_ref().clone(),
            period: Duration::from_millis(ms),
        });
    }
    if polls.is_empty() {
        polls.push(PollGroup {
            name: "default".into(),
            period: Duration::from_secs(1),
        });
    }
    if errs.len() > before {
        return None;
    }
    let names = polls.iter().map(|p| p.name.clone()).collect();
    let cfg = ModbusConfig {
        transport: transport?,
        unit_id: u8::try_from(unit).unwrap_or(1),
        timeout: Duration::from_millis(timeout_ms),
        order,
        max_gap: opts.max_gap.map_or(8, |g| g.into_inner()),
        polls,
        backoff_min: Duration::from_millis(200),
        backoff_max: Duration::from_secs(10),
        tags: Vec::new(),
    };
    Some((DriverKind::Modbus(cfg), AddressBook::Modbus(names)))
}

/// `host:port` → (host, port), with a message for the engineer when it is not.
fn host_port(s: &str) -> Result<(String, u16), String> {
    let (host, port) = s
        .rsplit_once(':')
        .ok_or_else(|| format!("'{s}' must be HOST:PORT, e.g. 127.0.0.1:1883"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() || host.contains(['/', ' ']) {
        return Err(format!("'{s}' must be HOST:PORT, e.g. 127.0.0.1:1883"));
    }
    let port: u16 = port
        .parse()
        .ok()
        .filter(|p| *p != 0)
        .ok_or_else(|| format!("port in '{s}' must be 1–65535"))?;
    Ok((host.to_owned(), port))
}

fn mqtt_driver(
    opts: Spanned<RawMqttOptions>,
    driver_name: &str,
    src: &SourceFile<'_>,
    files: &ProjectFiles,
    errs: &mut Vec<Diagnostic>,
) -> Option<(DriverKind, AddressBook)> {
    use crate::driver::mqtt::topic;
    let opts = opts.into_inner();
    let before = errs.len();
    let (host, port) = match host_port(opts.broker.get_ref()) {
        Ok(hp) => hp,
        Err(e) => {
            errs.push(src.at(opts.broker.span(), e));
            (String::new(), 0)
        }
    };
    let client_id = match &opts.client_id {
        Some(c) if c.get_ref().is_empty() || c.get_ref().len() > 128 => {
            errs.push(src.at(c.span(), "client_id must be 1–128 characters"));
            String::new()
        }
        Some(c) => c.get_ref().clone(),
        // Unique per process, so two consoles on one site do not kick each other off the broker.
        None => format!("wellconsole-{driver_name}-{}", std::process::id()),
    };
    let password = secret(&opts.password, &opts.password_env, "the broker password", src, errs);
    let credentials = match (&opts.username, password) {
        (Some(u), p) => Some(Credentials {
            username: u.get_ref().clone(),
            password: p.unwrap_or_default(),
        }),
        (None, Some(_)) => {
            let span = opts
                .password
                .as_ref()
                .or(opts.password_env.as_ref())
                .map_or(0..0, Spanned::span);
            errs.push(src.at(span, "a password needs a username"));
            None
        }
        (None, None) => None,
    };
    let tls = opts.tls.as_ref().and_then(|t| {
        let t = t.get_ref();
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
    });
    let keep_alive = opts.keep_alive_s.as_ref().map_or(15, |k| *k.get_ref());
    if let Some(k) = &opts.keep_alive_s
        && !(1..=3_600).contains(&keep_alive)
    {
        errs.push(src.at(k.span(), "keep_alive_s must be between 1 and 3600"));
    }
    let qos = match opts.qos.as_ref().map(|q| (*q.get_ref(), q.span())) {
        None | Some((1, _)) => Qos::AtLeastOnce,
        Some((0, _)) => Qos::AtMostOnce,
        Some((_, span)) => {
            errs.push(src.at(span, "qos must be 0 or 1"));
            Qos::AtLeastOnce
        }
    };
    let timeout_ms = opts.timeout_ms.as_ref().map_or(5_000, |t| *t.get_ref());
    if let Some(t) = &opts.timeout_ms
        && !(100..=60_000).contains(&timeout_ms)
    {
        errs.push(src.at(t.span(), "timeout_ms must be between 100 and 60000"));
    }
    let host_id = opts.sparkplug_host_id.as_ref().and_then(|h| {
        if crate::driver::mqtt::address::valid_id(h.get_ref()) {
            Some(h.get_ref().clone())
        } else {
            errs.push(src.at(
                h.span(),
                "sparkplug_host_id must be one topic level without '/', '+' or '#'",
            ));
            None
        }
    });
    let mut json_rules: Vec<JsonRule> = Vec::new();
    for r in &opts.json {
        let filter = r.filter.get_ref();
        if let Err(e) = topic::validate_filter(filter) {
            errs.push(src.at(r.filter.span(), format!("filter '{filter}': {e}")));
            continue;
        }
        if json_rules.iter().any(|j| &j.filter == filter) {
            errs.push(src.at(r.filter.span(), format!("filter '{filter}' is listed twice")));
            continue;
        }
        let unit = match r.timestamp_unit.as_ref().map(|u| (u.get_ref().as_str(), u.span())) {
            None | Some(("ms", _)) => TimeUnit::Millis,
            Some(("s", _)) => TimeUnit::Seconds,
            Some(("us", _)) => TimeUnit::Micros,
            Some((_, span)) => {
                errs.push(src.at(span, "timestamp_unit must be 's', 'ms' or 'us'"));
                TimeUnit::Millis
            }
        };
        let timestamp = match &r.timestamp {
            Some(p) if !p.get_ref().starts_with('/') => {
                errs.push(src.at(
                    p.span(),
                    "timestamp must be a JSON pointer starting with '/', e.g. '/ts'",
                ));
                None
            }
            Some(p) => Some(TimestampField {
                pointer: p.get_ref().clone(),
                unit,
            }),
            None => None,
        };
        json_rules.push(JsonRule {
            filter: filter.clone(),
            timestamp,
        });
    }
    if errs.len() > before {
        return None;
    }
    let cfg = MqttConfig {
        host,
        port,
        client_id,
        credentials,
        tls,
        keep_alive: Duration::from_secs(keep_alive),
        qos,
        timeout: Duration::from_millis(timeout_ms),
        backoff_min: Duration::from_millis(200),
        backoff_max: Duration::from_secs(10),
        json_rules,
        json_tags: Vec::new(),
        host_id,
        sparkplug_tags: Vec::new(),
    };
    Some((DriverKind::Mqtt(cfg), AddressBook::Mqtt))
}

/// The tag's `poll` group (Modbus poll group, OPC UA subscription) by index; the first when not given.
fn group_index(
    t: &RawTag,
    names: &[String],
    label: &str,
    src: &SourceFile<'_>,
    errs: &mut Vec<Diagnostic>,
) -> Option<usize> {
    let Some(p) = &t.poll else { return Some(0) };
    let i = names.iter().position(|n| n == p.get_ref());
    if i.is_none() {
        errs.push(src.at(
            p.span(),
            format!(
                "{label} '{}' is not defined for driver '{}' (defined: {})",
                p.get_ref(),
                t.driver.as_ref().map_or("", |d| d.get_ref().as_str()),
                names.join(", ")
            ),
        ));
    }
    i
}

/// A certificate or key (PEM text) from the project's files.
fn pem_file(
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

/// Linear scaling from a tag's `gain` and `offset`, checked.
fn scaling_of(t: &RawTag, src: &SourceFile<'_>, errs: &mut Vec<Diagnostic>) -> Scaling {
    let scaling = Scaling {
        gain: t.gain.as_ref().map_or(1.0, |g| *g.get_ref()),
        offset: t.offset.as_ref().map_or(0.0, |o| *o.get_ref()),
    };
    if let Some(g) = &t.gain
        && !(scaling.gain.is_finite() && scaling.gain != 0.0)
    {
        errs.push(src.at(g.span(), "gain must be a finite, non-zero number"));
    }
    if let Some(o) = &t.offset
        && !scaling.offset.is_finite()
    {
        errs.push(src.at(o.span(), "offset must be a finite number"));
    }
    scaling
}

/// A secret given in the file (`password`) or, better, by the name of an environment variable
/// (`password_env`) so it stays out of the project.
fn secret(
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

fn opcua_driver(
    opts: Spanned<RawOpcUaOptions>,
    src: &SourceFile<'_>,
    files: &ProjectFiles,
    errs: &mut Vec<Diagnostic>,
) -> Option<(DriverKind, AddressBook)> {
    let opts = opts.into_inner();
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
        super::files::Origin::Directory(root) if root.is_dir() => root.join(pki_rel),
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

fn tcp_endpoint(
    opts: &RawModbusOptions,
    kind_span: std::ops::Range<usize>,
    src: &SourceFile<'_>,
    errs: &mut Vec<Diagnostic>,
) -> Option<Transport> {
    for f in [&opts.device, &opts.parity].into_iter().flatten() {
        errs.push(src.at(f.span(), "serial settings belong to 'modbus-rtu' drivers"));
    }
    let Some(ep) = &opts.endpoint else {
        errs.push(src.at(kind_span, "a 'modbus-tcp' driver needs endpoint = \"HOST:PORT\""));
        return None;
    };
    let endpoint = ep.get_ref().clone();
    let ok = endpoint
        .rsplit_once(':')
        .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok_and(|p| p > 0));
    if !ok {
        errs.push(src.at(
            ep.span(),
            format!("endpoint '{endpoint}' must be HOST:PORT, e.g. 127.0.0.1:502"),
        ));
        return None;
    }
    let pipeline = opts.pipeline.as_ref().map_or(1, |p| *p.get_ref());
    let Ok(pipeline @ 1..=MAX_PIPELINE) = usize::try_from(pipeline) else {
        let span = opts.pipeline.as_ref().map_or(kind_span, |p| p.span());
        errs.push(src.at(
            span,
            format!(
                "pipeline must be between 1 (one request at a time, the default) and {MAX_PIPELINE} requests in flight"
            ),
        ));
        return None;
    };
    Some(Transport::Tcp { endpoint, pipeline })
}

/// Most Modbus TCP requests a driver may keep in flight on one connection: devices that pipeline at all
/// queue a handful (often 4 to 16); more only hides a slow device behind longer queues.
const MAX_PIPELINE: usize = 32;

fn serial_line(
    opts: &RawModbusOptions,
    kind_span: std::ops::Range<usize>,
    src: &SourceFile<'_>,
    errs: &mut Vec<Diagnostic>,
) -> Option<Transport> {
    if let Some(ep) = &opts.endpoint {
        errs.push(src.at(
            ep.span(),
            "a 'modbus-rtu' driver talks over a serial line: use device, not endpoint",
        ));
    }
    if let Some(p) = &opts.pipeline {
        errs.push(src.at(
            p.span(),
            "pipeline is for 'modbus-tcp' drivers: a serial line carries one request at a time",
        ));
    }
    let Some(device) = &opts.device else {
        errs.push(src.at(
            kind_span,
            "a 'modbus-rtu' driver needs device = \"/dev/ttyUSB0\" (or another serial port)",
        ));
        return None;
    };
    let before = errs.len();
    let baud = opts.baud.as_ref().map_or(9_600, |b| *b.get_ref());
    if let Some(b) = &opts.baud
        && !(300..=921_600).contains(&baud)
    {
        errs.push(src.at(b.span(), "baud must be between 300 and 921600"));
    }
    let parity = match opts.parity.as_ref().map(|p| (p.get_ref().as_str(), p.span())) {
        None | Some(("none", _)) => Parity::None,
        Some(("even", _)) => Parity::Even,
        Some(("odd", _)) => Parity::Odd,
        Some((other, span)) => {
            errs.push(src.at(span, format!("parity '{other}' must be none, even or odd")));
            Parity::None
        }
    };
    let data_bits = opts.data_bits.as_ref().map_or(8, |d| *d.get_ref());
    if let Some(d) = &opts.data_bits
        && !(data_bits == 7 || data_bits == 8)
    {
        errs.push(src.at(d.span(), "data_bits must be 7 or 8"));
    }
    let stop_bits = opts.stop_bits.as_ref().map_or(1, |s| *s.get_ref());
    if let Some(s) = &opts.stop_bits
        && !(stop_bits == 1 || stop_bits == 2)
    {
        errs.push(src.at(s.span(), "stop_bits must be 1 or 2"));
    }
    (errs.len() == before).then(|| {
        Transport::Rtu(SerialLine {
            device: device.get_ref().clone(),
            baud,
            parity,
            data_bits,
            stop_bits,
        })
    })
}

/// A calculated tag's definition, and its declared type with where it is written (its expression is
/// compiled once every tag is known). The fields it cannot have are reported; it is made all the same, so
/// the calculated tags that read it are checked against it.
fn calculated_def(
    t: RawTag,
    name: String,
    id: TagId,
    driver: DriverId,
    src: &SourceFile<'_>,
    errs: &mut Vec<Diagnostic>,
) -> (TagDef, Option<(ValueKind, std::ops::Range<usize>)>) {
    let misplaced = [
        (
            t.driver.as_ref().map(Spanned::span),
            "a calculated tag (one with expr) has no driver: leave driver out",
        ),
        (
            t.address.as_ref().map(Spanned::span),
            "a calculated tag has no address: its expression is where its value comes from",
        ),
        (
            t.gain.as_ref().or(t.offset.as_ref()).map(Spanned::span),
            "gain and offset scale device values; a calculated tag scales in its expression, e.g. expr = \"x * 0.1\"",
        ),
        (
            t.poll.as_ref().map(Spanned::span),
            "a calculated tag is not polled: it is computed when one of its inputs changes",
        ),
        (
            t.writable.as_ref().map(Spanned::span),
            "a calculated tag cannot be written: its value comes from its expression",
        ),
        (
            t.stale_after_ms.as_ref().map(Spanned::span),
            "a calculated tag does not go stale on its own: it is STALE when an input it needs is",
        ),
    ];
    for (span, why) in misplaced {
        if let Some(span) = span {
            errs.push(src.at(span, why));
        }
    }
    let declared = t.kind.as_ref().and_then(|k| match parse_kind(k.get_ref()) {
        Some(kind) => Some((kind, k.span())),
        None => {
            errs.push(src.at(
                k.span(),
                format!(
                    "unknown type '{}' (expected f64, bool or string; or leave type out: the expression decides)",
                    k.get_ref()
                ),
            ));
            None
        }
    });
    let range = tag_range(&t, None, src, errs);
    let decimals = tag_decimals(&t, None, src, errs);
    let history = history_mode(&t, src, errs);
    let address = t.expr.as_ref().map_or_else(String::new, |e| e.get_ref().clone());
    let (description, description_es) = tag_description(t.description, None);
    let def = TagDef {
        id,
        name,
        description,
        description_es,
        label: t.label.map(Into::into).unwrap_or_default(),
        unit: t.unit,
        // Settled when the expression is compiled.
        kind: declared.as_ref().map_or(ValueKind::F64, |(k, _)| *k),
        range,
        decimals,
        driver,
        // The tag browser shows where a value comes from: for a calculated tag, its expression.
        address,
        // Never stale from silence: an input's staleness reaches it through the expression.
        stale_after: Duration::MAX,
        writable: false,
        history,
    };
    (def, declared)
}

/// The tag's `range`, checked; else the simulator signal's.
fn tag_range(
    t: &RawTag,
    signal: Option<&SignalSpec>,
    src: &SourceFile<'_>,
    errs: &mut Vec<Diagnostic>,
) -> Option<(f64, f64)> {
    let Some(r) = &t.range else {
        return signal.and_then(|s| s.range);
    };
    match r.get_ref().as_slice() {
        &[lo, hi] => {
            if !(lo.is_finite() && hi.is_finite() && lo < hi && (hi - lo).is_finite()) {
                errs.push(src.at(
                    r.span(),
                    format!("range [{lo}, {hi}] must be two finite numbers, low < high"),
                ));
            }
            Some((lo, hi))
        }
        other => {
            errs.push(src.at(
                r.span(),
                format!("range is [low, high]: two numbers, not {}", other.len()),
            ));
            None
        }
    }
}

/// The tag's `decimals`, checked; else the simulator signal's, else 2.
fn tag_decimals(t: &RawTag, signal: Option<&SignalSpec>, src: &SourceFile<'_>, errs: &mut Vec<Diagnostic>) -> usize {
    match &t.decimals {
        Some(d) if !(0..=9).contains(d.get_ref()) => {
            errs.push(src.at(d.span(), "decimals must be between 0 and 9"));
            0
        }
        Some(d) => usize::try_from(*d.get_ref()).unwrap_or(0),
        None => signal.map_or(2, |s| s.decimals),
    }
}

/// The description in English and Spanish; the simulator signal's when none is given.
fn tag_description(d: RawDescription, signal: Option<&SignalSpec>) -> (String, String) {
    match d {
        RawDescription::Plain(d) if d.is_empty() => {
            (signal.map_or(String::new(), |s| s.description.clone()), String::new())
        }
        RawDescription::Plain(d) => (d, String::new()),
        RawDescription::Both { en, es } => (en, es),
    }
}

fn history_mode(t: &RawTag, src: &SourceFile<'_>, errs: &mut Vec<Diagnostic>) -> HistoryMode {
    let deadband = match &t.history_deadband {
        Some(d) if !(d.get_ref().is_finite() && *d.get_ref() >= 0.0) => {
            errs.push(src.at(
                d.span(),
                "history_deadband must be a number of at least 0, in the tag's unit",
            ));
            None
        }
        d => d.as_ref().map(|d| (*d.get_ref(), d.span())),
    };
    let Some(mode) = &t.history else {
        if let Some((_, span)) = deadband {
            errs.push(src.at(
                span,
                "history_deadband needs history = \"change\" or history = \"swinging-door\"",
            ));
        }
        return HistoryMode::All;
    };
    match mode.get_ref().as_str() {
        "all" | "off" if deadband.is_some() => {
            let (_, span) = deadband.expect("checked");
            errs.push(src.at(
                span,
                format!("history_deadband does not apply to history = \"{}\"", mode.get_ref()),
            ));
            HistoryMode::All
        }
        "all" => HistoryMode::All,
        "off" => HistoryMode::Off,
        "change" => HistoryMode::Change {
            deadband: deadband.map_or(0.0, |d| d.0),
        },
        "swinging-door" => match deadband {
            Some((dev, _)) if dev > 0.0 => HistoryMode::SwingingDoor { deviation: dev },
            _ => {
                errs.push(src.at(
                    mode.span(),
                    "history = \"swinging-door\" needs history_deadband > 0: the deviation a stored line may have from the samples it replaces",
                ));
                HistoryMode::All
            }
        },
        other => {
            errs.push(src.at(
                mode.span(),
                format!("unknown history mode '{other}': use \"all\", \"change\", \"swinging-door\" or \"off\""),
            ));
            HistoryMode::All
        }
    }
}

fn history_settings(raw: Option<&RawHistorian>, src: &SourceFile<'_>, errs: &mut Vec<Diagnostic>) -> HistorySettings {
    let mut out = HistorySettings::default();
    let Some(raw) = raw else { return out };
    if let Some(p) = &raw.path {
        if p.get_ref().trim().is_empty() {
            errs.push(src.at(p.span(), "historian path must not be empty"));
        } else {
            out.path = Some(std::path::PathBuf::from(p.get_ref()));
        }
    }
    if let Some(ms) = &raw.commit_ms {
        if (100..=10_000).contains(ms.get_ref()) {
            out.commit_every = Duration::from_millis(*ms.get_ref());
        } else {
            errs.push(src.at(
                ms.span(),
                "commit_ms must be between 100 and 10000: it is how much history a power cut may take",
            ));
        }
    }
    let days = |d: &Option<Spanned<u64>>, default: Option<Duration>| match d {
        Some(d) if *d.get_ref() == 0 => None,
        Some(d) => Some(Duration::from_secs(d.get_ref().saturating_mul(86_400))),
        None => default,
    };
    let r = &mut out.retention;
    r.raw = days(&raw.raw_days, r.raw);
    r.minute = days(&raw.minute_days, r.minute);
    r.hour = days(&raw.hour_days, r.hour);
    out
}

fn records_settings(
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
            Some(std::path::PathBuf::from(p.get_ref()))
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
                out.anchor = Some(crate::auth::audit::external::ExternalAnchor { host, port, topic });
            }
            (None, _) => errs.push(src.at(b.span(), format!("'{}' must be HOST:PORT", b.get_ref()))),
            (_, None) => {}
        }
    }
    out
}

fn security_settings(raw: Option<&RawSecurity>, src: &SourceFile<'_>, errs: &mut Vec<Diagnostic>) -> SecuritySettings {
    let mut out = SecuritySettings::default();
    let Some(raw) = raw else { return out };
    let mut count = |v: &Option<Spanned<i64>>, lo: i64, what: &str| {
        let v = v.as_ref()?;
        match u32::try_from(*v.get_ref()) {
            Ok(n) if i64::from(n) >= lo && n <= 100 => Some(n),
            _ => {
                errs.push(src.at(v.span(), format!("{what} must be a whole number from {lo} to 100")));
                None
            }
        }
    };
    if let Some(n) = count(&raw.lockout_after, 0, "lockout_after (0: never lock)") {
        out.lockout.after = n;
    }
    if let Some(n) = count(&raw.backoff_after, 1, "backoff_after") {
        out.backoff_after = n;
    }
    if let Some(m) = &raw.lockout_min {
        let v = *m.get_ref();
        if v.is_finite() && (1.0..=1440.0).contains(&v) {
            out.lockout.duration = Duration::from_secs_f64(v * 60.0);
        } else {
            errs.push(src.at(m.span(), "lockout_min must be from 1 to 1440 minutes"));
        }
    }
    out
}

pub(super) fn parse_kind(s: &str) -> Option<ValueKind> {
    match s {
        "f64" => Some(ValueKind::F64),
        "i64" => Some(ValueKind::I64),
        "bool" => Some(ValueKind::Bool),
        "string" => Some(ValueKind::String),
        _ => None,
    }
}

pub(super) fn kind_name(k: ValueKind) -> &'static str {
    match k {
        ValueKind::F64 => "f64",
        ValueKind::I64 => "i64",
        ValueKind::Bool => "bool",
        ValueKind::String => "string",
    }
}

fn is_valid_name(name: &str, allow_path: bool) -> bool {
    let segment_ok = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if allow_path {
        name.split('/').all(segment_ok)
    } else {
        segment_ok(name)
    }
}
