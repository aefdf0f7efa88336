//! `[[driver]]`: each entry's name and kind, and the `DriverConfig` the runtime starts it from.
//!
//! Owns driver names (valid, unique, not `calc`, which calculated tags' implicit driver takes) and the kind
//! names: which module reads each kind's options (`sim`, `modbus`, `mqtt`, `opcua`). It must not check
//! options or tag addresses itself: those are each kind's own module's, so one protocol's rules live in
//! one place.

use super::{is_valid_name, modbus, mqtt, opcua, sim};
use crate::driver::modbus::address::ModbusAddress;
use crate::driver::modbus::config::{ModbusConfig, Transport};
use crate::driver::mqtt::address::MqttAddress;
use crate::driver::mqtt::config::MqttConfig;
use crate::driver::opcua::config::OpcUaConfig;
use crate::driver::sim::SimDriverConfig;
use crate::project::diag::{Diagnostic, SourceFile};
use crate::project::files::ProjectFiles;
use crate::sim::SignalSpec;
use crate::tag::DriverId;
use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use toml::Spanned;

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
    /// The implicit driver of the CT string service's tags (`[ct.<unit>]`): no thread, computed on the hub
    /// (`crate::ctstring`).
    CtString,
    /// The implicit driver of the CT job service's tags (`<unit>/job_number`, …): computed on the hub
    /// (the job room).
    Job,
    /// The implicit driver of the production service's tags (`sep01/test_state`, `<well>/tdh`, …): computed
    /// on the hub (the production room).
    Production,
}

/// The name of the calculated tags' implicit driver (a `[[driver]]` may not take it).
pub const CALC_DRIVER: &str = "calc";

impl DriverKind {
    /// The simulator settings, when this is the simulator driver.
    pub fn as_sim(&self) -> Option<&SimDriverConfig> {
        match self {
            DriverKind::Sim(c) => Some(c),
            DriverKind::Modbus(_)
            | DriverKind::Mqtt(_)
            | DriverKind::OpcUa(_)
            | DriverKind::Calc
            | DriverKind::CtString
            | DriverKind::Job
            | DriverKind::Production => None,
        }
    }

    /// The driver asks its devices for each reading (Modbus); the others are sent their data (MQTT and
    /// OPC UA subscriptions) or make it (the simulator, calculated tags), so they have no requests to count.
    pub fn polls(&self) -> bool {
        match self {
            DriverKind::Modbus(_) => true,
            DriverKind::Sim(_)
            | DriverKind::Mqtt(_)
            | DriverKind::OpcUa(_)
            | DriverKind::Calc
            | DriverKind::CtString
            | DriverKind::Job
            | DriverKind::Production => false,
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
            DriverKind::CtString => super::CT_DRIVER,
            DriverKind::Job => super::JOB_DRIVER,
            DriverKind::Production => crate::project::production_config::PRODUCTION_DRIVER,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDriver {
    name: Spanned<String>,
    kind: Spanned<String>,
    sim: Option<Spanned<sim::RawSimOptions>>,
    modbus: Option<Spanned<modbus::RawModbusOptions>>,
    mqtt: Option<Spanned<mqtt::RawMqttOptions>>,
    opcua: Option<Spanned<opcua::RawOpcUaOptions>>,
}

/// The per-driver knowledge the tag checks need: which addresses exist and their value kinds.
pub(super) enum AddressBook {
    Sim(HashMap<String, SignalSpec>),
    /// Poll group names of a Modbus driver; addresses are parsed per tag.
    Modbus(Vec<String>),
    /// MQTT addresses are parsed per tag.
    Mqtt,
    /// Subscription names of an OPC UA driver; node ids are parsed per tag.
    OpcUa(Vec<String>),
}

/// The drivers read from `[[driver]]`, and what the tag checks need to know of each.
pub(super) struct Drivers {
    /// In `DriverId` order; the calculated tags' driver is added last, by the tag checks.
    pub(super) configs: Vec<DriverConfig>,
    /// Each good `[[driver]]`'s address book, by the same index as `configs`.
    pub(super) books: Vec<AddressBook>,
    pub(super) ids: HashMap<String, DriverId>,
    /// Drivers with problems of their own (and a `[[driver]]` named `calc`): their tags are not reported as
    /// using an undefined driver.
    pub(super) broken: HashSet<String>,
    /// The kind each driver with problems of its own was given: its tags' addresses are still checked.
    pub(super) broken_kinds: HashMap<String, String>,
}

impl Drivers {
    /// Adds an implicit driver (one no `[[driver]]` names: the calculated tags', the CT string service's) with
    /// the next id; `None` when driver ids have run out (reported at `at`).
    pub(super) fn add_implicit(
        &mut self,
        name: &str,
        kind: DriverKind,
        at: std::ops::Range<usize>,
        src: &SourceFile<'_>,
        errs: &mut Vec<Diagnostic>,
    ) -> Option<DriverId> {
        if self.configs.iter().any(|c| c.name == name) {
            errs.push(src.at(
                at,
                format!("a [[driver]] is named '{name}', the name of the console's own service for these tags: rename that driver"),
            ));
            return None;
        }
        let Ok(index) = u16::try_from(self.configs.len()) else {
            errs.push(src.at(at, "too many drivers (at most 65,535)"));
            return None;
        };
        let id = DriverId(index);
        self.configs.push(DriverConfig {
            id,
            name: name.to_owned(),
            kind,
        });
        Some(id)
    }
}

/// Reads every `[[driver]]`, each kind's options by its own module. `broken` names the entries that did
/// not even read; the drivers found to have problems here are added to them.
pub(super) fn check(
    raw: Vec<RawDriver>,
    broken: Vec<String>,
    src: &SourceFile<'_>,
    files: &ProjectFiles,
    errs: &mut Vec<Diagnostic>,
) -> Drivers {
    let mut out = Drivers {
        configs: Vec::new(),
        books: Vec::new(),
        ids: HashMap::new(),
        broken: broken.into_iter().collect(),
        broken_kinds: HashMap::new(),
    };
    for d in raw {
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
            out.broken.insert(name);
            continue;
        }
        if out.ids.contains_key(&name) {
            errs.push(src.at(d.name.span(), format!("driver '{name}' is defined twice")));
            continue;
        }
        let Ok(index) = u16::try_from(out.configs.len()) else {
            errs.push(src.at(d.name.span(), "too many drivers (at most 65,535)"));
            break;
        };
        let id = DriverId(index);
        let span = d.kind.span();
        let kind = match d.kind.get_ref().as_str() {
            "sim" => table(d.sim, &span, sim::NEEDS, src, errs).and_then(|o| sim::driver(o, src, files, errs)),
            kind @ ("modbus-tcp" | "modbus-rtu") => {
                let needs =
                    format!("a '{kind}' driver needs a [driver.modbus] table (endpoint for TCP, device for RTU)");
                table(d.modbus, &span, &needs, src, errs).and_then(|o| modbus::driver(o, kind, span, src, errs))
            }
            "mqtt" => {
                table(d.mqtt, &span, mqtt::NEEDS, src, errs).and_then(|o| mqtt::driver(o, &name, src, files, errs))
            }
            "opcua" => table(d.opcua, &span, opcua::NEEDS, src, errs).and_then(|o| opcua::driver(o, src, files, errs)),
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
                out.ids.insert(name.clone(), id);
                out.configs.push(DriverConfig { id, name, kind });
                out.books.push(book);
            }
            None => {
                out.broken_kinds.insert(name.clone(), d.kind.get_ref().clone());
                out.broken.insert(name);
            }
        }
    }
    out
}

/// What is wrong with a tag's `address` for a driver of `kind` (as written) that has problems of its own,
/// so one pass of `check` reports both; `None` when it is good, or the kind has no addresses to parse
/// alone (the simulator's signals depend on its options).
pub(super) fn address_problem(kind: &str, address: &str) -> Option<String> {
    match kind {
        "modbus-tcp" | "modbus-rtu" => address.parse::<ModbusAddress>().err().map(|e| e.to_string()),
        "mqtt" => address.parse::<MqttAddress>().err().map(|e| e.to_string()),
        "opcua" => opcua::node_id(address).err().map(|e| e.to_string()),
        _ => None,
    }
}

/// A driver kind's own table, or the problem that it is missing, at its `kind = …` and saying what it
/// needs at least.
fn table<T>(
    opts: Option<toml::Spanned<T>>,
    kind_span: &std::ops::Range<usize>,
    needs: &str,
    src: &SourceFile<'_>,
    errs: &mut Vec<Diagnostic>,
) -> Option<T> {
    match opts {
        Some(o) => Some(o.into_inner()),
        None => {
            errs.push(src.at(kind_span.clone(), needs));
            None
        }
    }
}
