//! `kind = "modbus-tcp"` and `"modbus-rtu"`: the `[driver.modbus]` table (endpoint or serial line, unit id,
//! word and byte order, poll groups) and the tags bound to Modbus addresses.
//!
//! Owns the Modbus driver's options and what a tag on it may say. Parsing an address is protocol knowledge
//! and stays in `driver::modbus::address`; this module only says what that means for a tag (its type, its
//! poll group, whether it can be written). It must not talk to a device.

use super::drivers::{AddressBook, DriverKind};
use super::tags::{TagEntry, group_index, kind_name, scaling_of};
use crate::driver::modbus::address::{DataType, ModbusAddress, Order};
use crate::driver::modbus::codec::Scaling;
use crate::driver::modbus::config::{ModbusConfig, ModbusTag, Parity, PollGroup, SerialLine, Transport};
use crate::project::diag::{Diagnostic, SourceFile};
use crate::tag::{TagId, ValueKind};
use serde::Deserialize;
use std::ops::Range;
use std::time::Duration;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawModbusOptions {
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

/// A Modbus driver (`kind`: `modbus-tcp` or `modbus-rtu`, written at `kind_span`) from its
/// `[driver.modbus]` table, with its poll group names as the address book; `None` after any problem.
pub(super) fn driver(
    opts: RawModbusOptions,
    kind: &str,
    kind_span: Range<usize>,
    src: &SourceFile<'_>,
    errs: &mut Vec<Diagnostic>,
) -> Option<(DriverKind, AddressBook)> {
    let before = errs.len();
    let transport = if kind == "modbus-rtu" {
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

fn tcp_endpoint(
    opts: &RawModbusOptions,
    kind_span: Range<usize>,
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
    kind_span: Range<usize>,
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

/// A tag's Modbus half: what its driver reads (or writes) for it, once the tag has an id.
pub(super) struct TagBinding {
    address: ModbusAddress,
    scaling: Scaling,
    /// Index into the driver's poll groups.
    poll: usize,
}

impl TagBinding {
    pub(super) fn attach(self, cfg: &mut ModbusConfig, tag: TagId, writable: bool) {
        cfg.tags.push(ModbusTag {
            tag,
            address: self.address,
            scaling: self.scaling,
            poll: self.poll,
            writable,
        });
    }
}

/// A tag on a Modbus driver with poll groups `polls`: its address parsed, its type settled from what the
/// address holds (a declared `f64` may widen an integer), its poll group found. `None` when the tag
/// cannot be made.
pub(super) fn bind(
    tag: &TagEntry<'_>,
    polls: &[String],
    src: &SourceFile<'_>,
    errs: &mut Vec<Diagnostic>,
) -> Option<(ValueKind, TagBinding)> {
    let (t, name, address) = (tag.raw, tag.name, tag.address);
    let parsed = match address.parse::<ModbusAddress>() {
        Ok(a) => a,
        Err(e) => {
            errs.push(src.at(tag.address_span.clone(), e.to_string()));
            return None;
        }
    };
    let scaling = scaling_of(t, src, errs);
    let natural = match parsed.data_type {
        DataType::Bool => ValueKind::Bool,
        DataType::Str(_) => ValueKind::String,
        DataType::F32 | DataType::F64 => ValueKind::F64,
        // A scaled integer is a fraction.
        _ if scaling.is_identity() => ValueKind::I64,
        _ => ValueKind::F64,
    };
    let numeric = matches!(natural, ValueKind::I64 | ValueKind::F64);
    let kind = match (tag.declared, t.kind.as_ref()) {
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
            return None;
        }
        _ => natural,
    };
    let poll = group_index(t, polls, "poll group", src, errs)?;
    if tag.writable && !parsed.table.is_writable() {
        errs.push(src.at(tag.address_span.clone(), format!("tag '{name}' is writable but '{address}' is read-only (input registers and discrete inputs cannot be written)")));
    }
    Some((
        kind,
        TagBinding {
            address: parsed,
            scaling,
            poll,
        },
    ))
}
