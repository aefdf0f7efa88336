//! Modbus tag addresses: `[UNIT@]TABLE:OFFSET[.BIT][:TYPE[:ORDER]]`, offsets 0-based (protocol addresses).
//!
//! Tables: `coil`, `di` (discrete input), `ir` (input register), `hr` (holding register).
//! Types: `bool` (coils, discrete inputs, register bits), `u16`, `i16`, `u32`, `i32`, `f32`, `f64`,
//! `strN` (N ASCII characters, two per register). Examples: `hr:100:f32`, `2@ir:0:u32`, `hr:10.3`,
//! `hr:200:str16`, `coil:5`.
//!
//! ORDER overrides the driver's word and byte order for one tag. Its letters are the value's bytes, A the
//! most significant, in the order the device's registers carry them: `ab`/`ba` for 16-bit values and
//! strings, `abcd`, `badc`, `cdab`, `dcba` for 32-bit ones, `abcdefgh`, `badcfehg`, `ghefcdab`,
//! `hgfedcba` for `f64` — e.g. `hr:100:f32:cdab`. The order is how a value is decoded, not where it is:
//! it never changes which registers are read.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Table {
    Coil,
    DiscreteInput,
    InputRegister,
    HoldingRegister,
}

impl Table {
    pub fn is_bits(self) -> bool {
        matches!(self, Table::Coil | Table::DiscreteInput)
    }

    pub fn is_writable(self) -> bool {
        matches!(self, Table::Coil | Table::HoldingRegister)
    }

    /// Most items one read may ask for (Modbus application protocol v1.1b3, §6.1–6.4).
    pub fn max_read(self) -> u16 {
        if self.is_bits() { 2000 } else { 125 }
    }

    fn name(self) -> &'static str {
        match self {
            Table::Coil => "coil",
            Table::DiscreteInput => "di",
            Table::InputRegister => "ir",
            Table::HoldingRegister => "hr",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataType {
    Bool,
    U16,
    I16,
    U32,
    I32,
    F32,
    F64,
    /// ASCII, this many characters.
    Str(u16),
}

impl DataType {
    /// Registers (or bits, for bit tables) the value occupies.
    pub fn width(self) -> u16 {
        match self {
            DataType::Bool | DataType::U16 | DataType::I16 => 1,
            DataType::U32 | DataType::I32 | DataType::F32 => 2,
            DataType::F64 => 4,
            DataType::Str(n) => n.div_ceil(2),
        }
    }
}

/// Order of 16-bit words in multi-register values, and of bytes within each register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Order {
    /// false: high word first (ABCD, the Modbus convention); true: low word first (CDAB).
    pub low_word_first: bool,
    /// true: bytes swapped within each register (BADC / DCBA).
    pub swap_bytes: bool,
}

impl Order {
    /// The order an address suffix names, for a value of type `ty` (written `ty_text`). Each list runs:
    /// as sent, bytes swapped, low word first, both — the two switches of `Order`.
    fn named(name: &str, ty: DataType, ty_text: &str) -> Result<Order, AddressError> {
        let names: &[&str] = match ty {
            DataType::Bool => {
                return Err(AddressError::Combination(format!(
                    "a single bit has no byte order: drop ':{name}'"
                )));
            }
            DataType::U16 | DataType::I16 | DataType::Str(_) => &["ab", "ba"],
            DataType::U32 | DataType::I32 | DataType::F32 => &["abcd", "badc", "cdab", "dcba"],
            DataType::F64 => &["abcdefgh", "badcfehg", "ghefcdab", "hgfedcba"],
        };
        // Device manuals write them in capitals (CDAB); both spellings mean the same.
        let at = names
            .iter()
            .position(|n| n.eq_ignore_ascii_case(name))
            .ok_or_else(|| AddressError::Order {
                order: name.into(),
                ty: ty_text.into(),
                expected: names.join(", "),
            })?;
        Ok(Order {
            low_word_first: at >= 2,
            swap_bytes: at % 2 == 1,
        })
    }

    /// Whether `s` spells one of the orders, for any width (to explain a suffix written in the type's place).
    fn is_name(s: &str) -> bool {
        [DataType::U16, DataType::F32, DataType::F64]
            .into_iter()
            .any(|ty| Order::named(s, ty, "").is_ok())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ModbusAddress {
    /// Unit id override; `None` uses the driver's.
    pub unit: Option<u8>,
    pub table: Table,
    pub offset: u16,
    /// Bit 0–15 of a register.
    pub bit: Option<u8>,
    pub data_type: DataType,
    /// Word and byte order of this tag; `None` uses the driver's.
    pub order: Option<Order>,
}

impl ModbusAddress {
    /// Items (registers or bits) read for this address.
    pub fn width(&self) -> u16 {
        if self.bit.is_some() { 1 } else { self.data_type.width() }
    }

    pub fn end(&self) -> u32 {
        u32::from(self.offset) + u32::from(self.width())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    #[error("Modbus address '{0}' must look like TABLE:OFFSET[.BIT][:TYPE[:ORDER]], e.g. hr:100:f32 or coil:5")]
    Shape(String),
    #[error("unknown Modbus table '{0}' (expected coil, di, ir or hr)")]
    Table(String),
    #[error("offset '{0}' must be a number 0–65535")]
    Offset(String),
    #[error("unit id '{0}' must be a number 0–247")]
    Unit(String),
    #[error("bit '{0}' must be 0–15")]
    Bit(String),
    #[error("unknown data type '{0}' (expected bool, u16, i16, u32, i32, f32, f64 or strN)")]
    Type(String),
    #[error("byte order '{order}' does not fit {ty}: expected one of {expected}")]
    Order {
        order: String,
        ty: String,
        expected: String,
    },
    #[error("'{0}' is a byte order: write it after the type, e.g. hr:100:f32:cdab")]
    OrderInPlaceOfType(String),
    #[error("{0}")]
    Combination(String),
}

impl FromStr for ModbusAddress {
    type Err = AddressError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (unit, rest) = match s.split_once('@') {
            Some((u, r)) => (
                Some(
                    u.parse::<u8>()
                        .ok()
                        .filter(|u| *u <= 247)
                        .ok_or_else(|| AddressError::Unit(u.into()))?,
                ),
                r,
            ),
            None => (None, s),
        };
        let mut parts = rest.split(':');
        let (Some(table), Some(loc)) = (parts.next(), parts.next()) else {
            return Err(AddressError::Shape(s.into()));
        };
        let ty = parts.next();
        let order = parts.next();
        if parts.next().is_some() {
            return Err(AddressError::Shape(s.into()));
        }
        let table = match table {
            "coil" => Table::Coil,
            "di" => Table::DiscreteInput,
            "ir" => Table::InputRegister,
            "hr" => Table::HoldingRegister,
            other => return Err(AddressError::Table(other.into())),
        };
        let (offset, bit) = match loc.split_once('.') {
            Some((o, b)) => (
                o,
                Some(
                    b.parse::<u8>()
                        .ok()
                        .filter(|b| *b < 16)
                        .ok_or_else(|| AddressError::Bit(b.into()))?,
                ),
            ),
            None => (loc, None),
        };
        let offset: u16 = offset.parse().map_err(|_| AddressError::Offset(offset.into()))?;
        let data_type = match ty {
            None if table.is_bits() || bit.is_some() => DataType::Bool,
            None => DataType::U16,
            Some("bool") => DataType::Bool,
            Some("u16") => DataType::U16,
            Some("i16") => DataType::I16,
            Some("u32") => DataType::U32,
            Some("i32") => DataType::I32,
            Some("f32") => DataType::F32,
            Some("f64") => DataType::F64,
            Some(t) if t.starts_with("str") => match t[3..].parse::<u16>() {
                Ok(n) if (1..=240).contains(&n) => DataType::Str(n),
                _ => return Err(AddressError::Type(t.into())),
            },
            Some(t) if Order::is_name(t) => return Err(AddressError::OrderInPlaceOfType(t.into())),
            Some(t) => return Err(AddressError::Type(t.into())),
        };
        if table.is_bits() && data_type != DataType::Bool {
            return Err(AddressError::Combination(format!(
                "{} holds single bits: its type can only be bool",
                table.name()
            )));
        }
        if table.is_bits() && bit.is_some() {
            return Err(AddressError::Combination(format!(
                "{} holds single bits: no .BIT suffix",
                table.name()
            )));
        }
        if !table.is_bits() && data_type == DataType::Bool && bit.is_none() {
            return Err(AddressError::Combination(
                "a bool in a register needs a bit, e.g. hr:10.3".into(),
            ));
        }
        if bit.is_some() && data_type != DataType::Bool {
            return Err(AddressError::Combination(
                "a register bit is a bool; drop the type or use :bool".into(),
            ));
        }
        let order = match order {
            Some(o) => Some(Order::named(o, data_type, ty.unwrap_or_default())?),
            None => None,
        };
        let a = ModbusAddress {
            unit,
            table,
            offset,
            bit,
            data_type,
            order,
        };
        if a.end() > 65_536 {
            return Err(AddressError::Combination(format!("{s} runs past register 65535")));
        }
        Ok(a)
    }
}

impl fmt::Display for ModbusAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(u) = self.unit {
            write!(f, "{u}@")?;
        }
        write!(f, "{}:{}", self.table.name(), self.offset)?;
        if let Some(b) = self.bit {
            write!(f, ".{b}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_addresses() {
        let a: ModbusAddress = "hr:100:f32".parse().unwrap();
        assert_eq!(
            (a.table, a.offset, a.data_type, a.width()),
            (Table::HoldingRegister, 100, DataType::F32, 2)
        );
        let a: ModbusAddress = "2@ir:0:u32".parse().unwrap();
        assert_eq!(a.unit, Some(2));
        let a: ModbusAddress = "hr:10.3".parse().unwrap();
        assert_eq!((a.bit, a.data_type, a.width()), (Some(3), DataType::Bool, 1));
        let a: ModbusAddress = "coil:5".parse().unwrap();
        assert_eq!(a.data_type, DataType::Bool);
        let a: ModbusAddress = "hr:200:str15".parse().unwrap();
        assert_eq!(a.width(), 8);
        assert_eq!("hr:7".parse::<ModbusAddress>().unwrap().data_type, DataType::U16);
    }

    #[test]
    fn refuses_bad_addresses() {
        for bad in [
            "hr",
            "xx:1",
            "hr:-1",
            "hr:70000",
            "hr:1:f16",
            "hr:1.16",
            "coil:1:u16",
            "di:1.2",
            "hr:1:bool",
            "hr:1.2:u16",
            "300@hr:1",
            "hr:65535:f32",
            "hr:1:str0",
            "hr:1:f32:x",
            "hr:1:f32:cdab:x",
            "hr:1:f32:abcdefgh",
            "hr:1:f64:cdab",
            "hr:1:u16:abcd",
            "hr:1.2:bool:ab",
            "coil:1:bool:ab",
            "hr:1:f32:",
        ] {
            assert!(bad.parse::<ModbusAddress>().is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn parses_every_order() {
        let order = |s: &str| s.parse::<ModbusAddress>().unwrap().order;
        let o = |low_word_first, swap_bytes| {
            Some(Order {
                low_word_first,
                swap_bytes,
            })
        };
        assert_eq!(order("hr:100:f32"), None, "no suffix: the driver's order");
        for (address, expected) in [
            ("hr:100:f32:abcd", o(false, false)),
            ("hr:100:f32:badc", o(false, true)),
            ("hr:100:f32:cdab", o(true, false)),
            ("hr:100:f32:dcba", o(true, true)),
            ("hr:100:u32:CDAB", o(true, false)),
            ("ir:100:i32:dcba", o(true, true)),
            ("hr:100:f64:abcdefgh", o(false, false)),
            ("hr:100:f64:badcfehg", o(false, true)),
            ("hr:100:f64:ghefcdab", o(true, false)),
            ("hr:100:f64:hgfedcba", o(true, true)),
            ("hr:100:u16:ab", o(false, false)),
            ("hr:100:i16:ba", o(false, true)),
            ("2@hr:100:str8:ba", o(false, true)),
        ] {
            assert_eq!(order(address), expected, "{address}");
        }
        let a: ModbusAddress = "2@hr:100:f32:cdab".parse().unwrap();
        assert_eq!(
            (a.unit, a.offset, a.data_type, a.width()),
            (Some(2), 100, DataType::F32, 2)
        );
    }

    #[test]
    fn order_mistakes_say_what_to_write() {
        let message = |s: &str| s.parse::<ModbusAddress>().unwrap_err().to_string();
        assert_eq!(
            message("hr:1:f64:cdab"),
            "byte order 'cdab' does not fit f64: expected one of abcdefgh, badcfehg, ghefcdab, hgfedcba"
        );
        assert_eq!(
            message("hr:1:f32:abdc"),
            "byte order 'abdc' does not fit f32: expected one of abcd, badc, cdab, dcba"
        );
        assert_eq!(
            message("hr:1:cdab"),
            "'cdab' is a byte order: write it after the type, e.g. hr:100:f32:cdab"
        );
        assert_eq!(message("hr:1.2:bool:ab"), "a single bit has no byte order: drop ':ab'");
        assert!(message("coil:1:bool:ab").contains("no byte order"));
    }
}
