//! The catalogue of signals a simulated device publishes, and a writer that fills them in order.

use crate::tag::ValueKind;

/// One signal of the simulated plant; `site.toml` maps tags to these by `address`.
#[derive(Debug, Clone, PartialEq)]
pub struct SignalSpec {
    pub address: String,
    pub kind: ValueKind,
    pub unit: &'static str,
    pub description: String,
    pub range: Option<(f64, f64)>,
    pub decimals: usize,
    /// An output the plant's control system takes writes on (a shutdown or start/stop command).
    pub writable: bool,
}

impl SignalSpec {
    pub fn device(&self) -> &str {
        self.address.split('/').next().unwrap_or(&self.address)
    }
}

/// Builder used by each device model to declare its signals under a device prefix.
pub struct SpecList<'a> {
    prefix: &'a str,
    out: &'a mut Vec<SignalSpec>,
}

impl<'a> SpecList<'a> {
    pub fn new(prefix: &'a str, out: &'a mut Vec<SignalSpec>) -> Self {
        Self { prefix, out }
    }

    pub fn f64(&mut self, name: &str, unit: &'static str, range: (f64, f64), decimals: usize, description: &str) {
        self.push(name, ValueKind::F64, unit, Some(range), decimals, description);
    }

    pub fn i64(&mut self, name: &str, unit: &'static str, description: &str) {
        self.push(name, ValueKind::I64, unit, None, 0, description);
    }

    /// A boolean the plant reads back and also takes writes on.
    pub fn output_bool(&mut self, name: &str, description: &str) {
        self.push(name, ValueKind::Bool, "", None, 0, description);
        if let Some(last) = self.out.last_mut() {
            last.writable = true;
        }
    }

    /// A number the plant reads back and also takes writes on (a setpoint).
    pub fn output_f64(
        &mut self,
        name: &str,
        unit: &'static str,
        range: (f64, f64),
        decimals: usize,
        description: &str,
    ) {
        self.push(name, ValueKind::F64, unit, Some(range), decimals, description);
        if let Some(last) = self.out.last_mut() {
            last.writable = true;
        }
    }

    pub fn string(&mut self, name: &str, description: &str) {
        self.push(name, ValueKind::String, "", None, 0, description);
    }

    fn push(
        &mut self,
        name: &str,
        kind: ValueKind,
        unit: &'static str,
        range: Option<(f64, f64)>,
        decimals: usize,
        description: &str,
    ) {
        self.out.push(SignalSpec {
            address: format!("{}/{}", self.prefix, name),
            kind,
            unit,
            description: description.to_owned(),
            range,
            decimals,
            writable: false,
        });
    }
}
