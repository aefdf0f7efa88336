//! Register ↔ value conversion: word order, byte order, scaling. Pure functions, tested byte by byte.

use super::address::{DataType, Order};
use crate::tag::Value;

/// Linear scaling: engineering = raw × gain + offset.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scaling {
    pub gain: f64,
    pub offset: f64,
}

impl Default for Scaling {
    fn default() -> Self {
        Self { gain: 1.0, offset: 0.0 }
    }
}

impl Scaling {
    pub fn is_identity(&self) -> bool {
        self.gain == 1.0 && self.offset == 0.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    #[error("expected {expected} registers, got {got}")]
    Short { expected: usize, got: usize },
    #[error("cannot write {value} as {ty:?}")]
    Unrepresentable { value: String, ty: DataType },
}

/// Registers in protocol order → bytes, big-endian, after undoing the device's word and byte order.
fn to_be_bytes(regs: &[u16], order: Order) -> Vec<u8> {
    let mut words: Vec<u16> = regs
        .iter()
        .map(|r| if order.swap_bytes { r.swap_bytes() } else { *r })
        .collect();
    if order.low_word_first {
        words.reverse();
    }
    words.iter().flat_map(|w| w.to_be_bytes()).collect()
}

fn from_be_bytes(bytes: &[u8], order: Order) -> Vec<u16> {
    let mut words: Vec<u16> = bytes
        .chunks(2)
        .map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))
        .collect();
    if order.low_word_first {
        words.reverse();
    }
    words
        .into_iter()
        .map(|w| if order.swap_bytes { w.swap_bytes() } else { w })
        .collect()
}

/// Decodes registers to a value, scaling numbers. Strings keep ASCII and stop at the first NUL.
pub fn decode(regs: &[u16], ty: DataType, order: Order, scaling: Scaling) -> Result<Value, CodecError> {
    let need = usize::from(ty.width());
    if regs.len() < need {
        return Err(CodecError::Short {
            expected: need,
            got: regs.len(),
        });
    }
    let regs = &regs[..need];
    if let DataType::Str(n) = ty {
        // Strings are byte streams: word order does not apply, byte order within a register does.
        let bytes: Vec<u8> = regs
            .iter()
            .flat_map(|r| {
                if order.swap_bytes {
                    r.to_le_bytes()
                } else {
                    r.to_be_bytes()
                }
            })
            .take(usize::from(n))
            .take_while(|b| *b != 0)
            .collect();
        return Ok(Value::str(String::from_utf8_lossy(&bytes).trim_end()));
    }
    let b = to_be_bytes(regs, order);
    let raw = match ty {
        DataType::Bool => return Ok(Value::Bool(regs[0] != 0)),
        DataType::U16 => f64::from(u16::from_be_bytes([b[0], b[1]])),
        DataType::I16 => f64::from(i16::from_be_bytes([b[0], b[1]])),
        DataType::U32 => f64::from(u32::from_be_bytes([b[0], b[1], b[2], b[3]])),
        DataType::I32 => f64::from(i32::from_be_bytes([b[0], b[1], b[2], b[3]])),
        DataType::F32 => f64::from(f32::from_be_bytes([b[0], b[1], b[2], b[3]])),
        DataType::F64 => f64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]),
        DataType::Str(_) => unreachable!("handled above"),
    };
    let integer = matches!(ty, DataType::U16 | DataType::I16 | DataType::U32 | DataType::I32);
    if integer && scaling.is_identity() {
        return Ok(Value::I64(raw as i64));
    }
    Ok(Value::F64(raw * scaling.gain + scaling.offset))
}

/// One bit of a register.
pub fn decode_bit(reg: u16, bit: u8) -> Value {
    Value::Bool(reg & (1 << bit) != 0)
}

/// Encodes a value for writing: inverse scaling, range and integrality checks, device order.
pub fn encode(value: &Value, ty: DataType, order: Order, scaling: Scaling) -> Result<Vec<u16>, CodecError> {
    let bad = || CodecError::Unrepresentable {
        value: value.to_string(),
        ty,
    };
    if let DataType::Str(n) = ty {
        let s = value.as_str().ok_or_else(bad)?;
        if !s.is_ascii() || s.len() > usize::from(n) {
            return Err(bad());
        }
        let mut bytes = s.as_bytes().to_vec();
        bytes.resize(usize::from(ty.width()) * 2, 0);
        return Ok(bytes
            .chunks(2)
            .map(|c| {
                if order.swap_bytes {
                    u16::from_le_bytes([c[0], c[1]])
                } else {
                    u16::from_be_bytes([c[0], c[1]])
                }
            })
            .collect());
    }
    if ty == DataType::Bool {
        return Ok(vec![u16::from(value.as_bool().ok_or_else(bad)?)]);
    }
    let eng = value.as_f64().ok_or_else(bad)?;
    let raw = (eng - scaling.offset) / scaling.gain;
    if !raw.is_finite() {
        return Err(bad());
    }
    let int = |lo: f64, hi: f64| {
        let r = raw.round();
        if (r - raw).abs() > 1e-6 * raw.abs().max(1.0) || r < lo || r > hi {
            Err(bad())
        } else {
            Ok(r)
        }
    };
    let bytes: Vec<u8> = match ty {
        DataType::U16 => (int(0.0, 65_535.0)? as u16).to_be_bytes().to_vec(),
        DataType::I16 => (int(-32_768.0, 32_767.0)? as i16).to_be_bytes().to_vec(),
        DataType::U32 => (int(0.0, 4_294_967_295.0)? as u32).to_be_bytes().to_vec(),
        DataType::I32 => (int(-2_147_483_648.0, 2_147_483_647.0)? as i32).to_be_bytes().to_vec(),
        DataType::F32 => (raw as f32).to_be_bytes().to_vec(),
        DataType::F64 => raw.to_be_bytes().to_vec(),
        DataType::Bool | DataType::Str(_) => unreachable!("handled above"),
    };
    Ok(from_be_bytes(&bytes, order))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ABCD: Order = Order {
        low_word_first: false,
        swap_bytes: false,
    };
    const CDAB: Order = Order {
        low_word_first: true,
        swap_bytes: false,
    };
    const BADC: Order = Order {
        low_word_first: false,
        swap_bytes: true,
    };
    const DCBA: Order = Order {
        low_word_first: true,
        swap_bytes: true,
    };
    const ONE: Scaling = Scaling { gain: 1.0, offset: 0.0 };

    #[test]
    fn f32_in_all_four_orders() {
        // 123.456f32 = 0x42F6E979: bytes A=42 B=F6 C=E9 D=79
        let v = Value::F64(f64::from(123.456f32));
        assert_eq!(decode(&[0x42F6, 0xE979], DataType::F32, ABCD, ONE).unwrap(), v);
        assert_eq!(decode(&[0xE979, 0x42F6], DataType::F32, CDAB, ONE).unwrap(), v);
        assert_eq!(decode(&[0xF642, 0x79E9], DataType::F32, BADC, ONE).unwrap(), v);
        assert_eq!(decode(&[0x79E9, 0xF642], DataType::F32, DCBA, ONE).unwrap(), v);
    }

    #[test]
    fn per_tag_orders_decode_known_patterns() {
        use crate::driver::modbus::address::ModbusAddress;
        let decoded = |address: &str, regs: &[u16]| {
            let a: ModbusAddress = address.parse().unwrap();
            decode(regs, a.data_type, a.order.unwrap(), ONE).unwrap()
        };
        // 123.456f32 = 0x42F6E979: A=42 B=F6 C=E9 D=79, as each order puts the bytes in the registers.
        let v32 = Value::F64(f64::from(123.456f32));
        assert_eq!(decoded("hr:0:f32:abcd", &[0x42F6, 0xE979]), v32);
        assert_eq!(decoded("hr:0:f32:badc", &[0xF642, 0x79E9]), v32);
        assert_eq!(decoded("hr:0:f32:cdab", &[0xE979, 0x42F6]), v32);
        assert_eq!(decoded("hr:0:f32:dcba", &[0x79E9, 0xF642]), v32);
        assert_eq!(decoded("hr:0:f32:CDAB", &[0xE979, 0x42F6]), v32);
        // 123.456f64 = 0x405EDD2F1A9FBE77: A=40 B=5E C=DD D=2F E=1A F=9F G=BE H=77.
        let v64 = Value::F64(123.456);
        assert_eq!(decoded("hr:0:f64:abcdefgh", &[0x405E, 0xDD2F, 0x1A9F, 0xBE77]), v64);
        assert_eq!(decoded("hr:0:f64:badcfehg", &[0x5E40, 0x2FDD, 0x9F1A, 0x77BE]), v64);
        assert_eq!(decoded("hr:0:f64:ghefcdab", &[0xBE77, 0x1A9F, 0xDD2F, 0x405E]), v64);
        assert_eq!(decoded("hr:0:f64:hgfedcba", &[0x77BE, 0x9F1A, 0x2FDD, 0x5E40]), v64);
        // 100000 = 0x000186A0 as a low-word-first i32; 0x1234 with its bytes swapped.
        assert_eq!(decoded("hr:0:i32:cdab", &[0x86A0, 0x0001]), Value::I64(100_000));
        assert_eq!(decoded("hr:0:u16:ba", &[0x3412]), Value::I64(0x1234));
        assert_eq!(decoded("hr:0:str4:ba", &[0x4557, 0x4C4C]), Value::str("WELL"));
    }

    #[test]
    fn integers_signs_and_scaling() {
        assert_eq!(decode(&[0xFFFE], DataType::I16, ABCD, ONE).unwrap(), Value::I64(-2));
        assert_eq!(decode(&[0xFFFE], DataType::U16, ABCD, ONE).unwrap(), Value::I64(65_534));
        assert_eq!(
            decode(&[0x0001, 0x86A0], DataType::U32, ABCD, ONE).unwrap(),
            Value::I64(100_000)
        );
        assert_eq!(
            decode(&[0x86A0, 0x0001], DataType::U32, CDAB, ONE).unwrap(),
            Value::I64(100_000)
        );
        assert_eq!(
            decode(&[0xFFFF, 0xFFFF], DataType::I32, ABCD, ONE).unwrap(),
            Value::I64(-1)
        );
        // 4–20 mA style: raw 0..32000 → 0..5000 psi
        let s = Scaling {
            gain: 5000.0 / 32000.0,
            offset: 0.0,
        };
        assert_eq!(decode(&[16_000], DataType::U16, ABCD, s).unwrap(), Value::F64(2500.0));
        assert_eq!(
            encode(&Value::F64(2500.0), DataType::U16, ABCD, s).unwrap(),
            vec![16_000]
        );
        assert!(
            encode(&Value::F64(2500.01), DataType::U16, ABCD, s).is_err(),
            "not an integer raw value"
        );
        assert!(encode(&Value::F64(-1.0), DataType::U16, ABCD, ONE).is_err());
        assert!(encode(&Value::F64(70_000.0), DataType::I16, ABCD, ONE).is_err());
    }

    #[test]
    fn f64_and_strings() {
        let regs = encode(&Value::F64(-9876.5432), DataType::F64, CDAB, ONE).unwrap();
        assert_eq!(regs.len(), 4);
        assert_eq!(decode(&regs, DataType::F64, CDAB, ONE).unwrap(), Value::F64(-9876.5432));
        // "WELL-01" in 4 registers, NUL padded
        let regs = [0x5745, 0x4C4C, 0x2D30, 0x3100];
        assert_eq!(
            decode(&regs, DataType::Str(8), ABCD, ONE).unwrap(),
            Value::str("WELL-01")
        );
        assert_eq!(
            decode(&[0x4557, 0x4C4C], DataType::Str(4), BADC, ONE).unwrap(),
            Value::str("WELL")
        );
        assert_eq!(
            encode(&Value::str("WELL-01"), DataType::Str(8), ABCD, ONE).unwrap(),
            regs.to_vec()
        );
        assert!(encode(&Value::str("TOO LONG FOR IT"), DataType::Str(8), ABCD, ONE).is_err());
    }

    #[test]
    fn bits_and_short_reads() {
        assert_eq!(decode_bit(0b1000, 3), Value::Bool(true));
        assert_eq!(decode_bit(0b1000, 2), Value::Bool(false));
        assert_eq!(
            decode(&[1], DataType::F32, ABCD, ONE),
            Err(CodecError::Short { expected: 2, got: 1 })
        );
    }

    proptest! {
        #[test]
        fn f64_round_trips_in_every_order(x in proptest::num::f64::NORMAL, lw: bool, sb: bool) {
            let o = Order { low_word_first: lw, swap_bytes: sb };
            let regs = encode(&Value::F64(x), DataType::F64, o, ONE).unwrap();
            prop_assert_eq!(decode(&regs, DataType::F64, o, ONE).unwrap(), Value::F64(x));
        }

        #[test]
        fn i32_round_trips(x: i32, lw: bool, sb: bool) {
            let o = Order { low_word_first: lw, swap_bytes: sb };
            let regs = encode(&Value::I64(i64::from(x)), DataType::I32, o, ONE).unwrap();
            prop_assert_eq!(decode(&regs, DataType::I32, o, ONE).unwrap(), Value::I64(i64::from(x)));
        }

        #[test]
        fn garbage_registers_never_panic(regs in proptest::collection::vec(any::<u16>(), 0..10), n in 1u16..20) {
            for ty in [DataType::U16, DataType::I32, DataType::F32, DataType::F64, DataType::Str(n)] {
                let _ = decode(&regs, ty, DCBA, ONE);
            }
        }
    }
}
