//! How a console speaks to its people: `Locale`, its language and its units together, both switchable at
//! runtime. Shows a value kept in a tag's own unit as this console reads it, and reads the value a person
//! types (keypad, tag browser, `wellconsole write`) back into the tag's type, unit and range.
//!
//! Built on `lang` (words), `units` (conversions) and `tag` (definitions and values); it only formats and
//! parses, and must not touch the tag table, the hub or egui.

use crate::lang::Lang;
use crate::tag::{TagDef, Value, ValueKind};
use crate::units::UnitSystem;

/// How this console speaks to its people: language and units, both switchable at runtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Locale {
    pub lang: Lang,
    pub units: UnitSystem,
}

impl Locale {
    pub fn pick(self, en: &'static str, es: &'static str) -> &'static str {
        self.lang.pick(en, es)
    }

    /// A value kept in `unit` as this console shows it, with its unit.
    pub fn value_text(self, unit: &str, value: Option<&Value>, decimals: usize) -> String {
        self.units.shown(unit).text(value, decimals, self.lang)
    }

    /// The typed text as a value for `def`, or what to enter instead. Numbers are typed in this console's
    /// units and written in the tag's own, and must lie within the tag's range; in Spanish a lone decimal
    /// comma is read as the point ("52,5"). The keypad, the tag browser and `wellconsole write` all read a
    /// person's value through here.
    pub fn parse_write(self, def: &TagDef, text: &str) -> Result<Value, String> {
        let lang = self.lang;
        let shown = self.units.shown(&def.unit);
        let t = text.trim();
        let decimal = if lang == Lang::Es && !t.contains('.') && t.matches(',').count() == 1 {
            t.replace(',', ".")
        } else {
            t.to_owned()
        };
        let number = || decimal.parse::<f64>().ok().filter(|x| x.is_finite());
        let v = match def.kind {
            ValueKind::Bool => match t.to_lowercase().as_str() {
                "on" | "true" | "1" | "enc" | "sí" | "si" => Value::Bool(true),
                "off" | "false" | "0" | "apag" | "no" => Value::Bool(false),
                _ => return Err(lang.pick("ON or OFF", "ENC o APAG").into()),
            },
            ValueKind::I64 if shown.is_identity() => Value::I64(
                t.parse()
                    .map_err(|_| lang.pick("a whole number", "un número entero").to_owned())?,
            ),
            ValueKind::I64 => {
                let x = number().ok_or_else(|| lang.pick("a number", "un número").to_owned())?;
                Value::I64(shown.kept(x).round() as i64)
            }
            ValueKind::F64 => {
                let x = number().ok_or_else(|| lang.pick("a number", "un número").to_owned())?;
                Value::F64(shown.kept(x))
            }
            ValueKind::String => Value::str(t),
        };
        if let (Some((lo, hi)), Some(x)) = (def.range, v.as_f64())
            && matches!(def.kind, ValueKind::F64 | ValueKind::I64)
            // A typed limit converted back may miss by the last bit: judge with a tolerance of that size.
            && !(lo - 1e-9 * lo.abs().max(1.0)..=hi + 1e-9 * hi.abs().max(1.0)).contains(&x)
        {
            let (a, b) = (shown.bound(lo, def.decimals), shown.bound(hi, def.decimals));
            return Err(match lang {
                Lang::En => format!("a value within the range {a} to {b} {}", shown.unit),
                Lang::Es => format!("un valor dentro del rango {a} a {b} {}", shown.unit),
            });
        }
        Ok(v)
    }

    /// The decimal mark an operator writes by hand: the comma in Spanish ("52,5"), the point in English.
    /// The keypad shows and types this one; typed text is read with either (`Locale::parse_write`).
    pub fn decimal_mark(self) -> char {
        match self.lang {
            Lang::En => '.',
            Lang::Es => ',',
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tag::test_setpoint as tag;

    fn si(lang: Lang) -> Locale {
        Locale {
            lang,
            units: UnitSystem::Si,
        }
    }

    #[test]
    fn a_number_typed_in_si_is_written_in_the_tags_own_unit() {
        let def = tag("psi", (0.0, 1500.0));
        let Ok(Value::F64(psi)) = si(Lang::En).parse_write(&def, "689.4757") else {
            panic!("a number");
        };
        assert!((psi - 100.0).abs() < 1e-5, "{psi}");
        // The range is judged in psi and explained in kPa.
        let why = si(Lang::En).parse_write(&def, "12000").unwrap_err();
        assert_eq!(why, "a value within the range 0 to 10342 kPa");
        let why = si(Lang::Es).parse_write(&def, "12000").unwrap_err();
        assert_eq!(why, "un valor dentro del rango 0 a 10342 kPa");
        // The top of the range typed as shown is still inside it.
        assert!(
            si(Lang::En)
                .parse_write(&def, &format!("{}", 1500.0 * 6.894_757_293_168))
                .is_ok()
        );
        // On an oilfield console nothing is converted.
        assert_eq!(Locale::default().parse_write(&def, "100"), Ok(Value::F64(100.0)));
    }

    #[test]
    fn spanish_takes_a_decimal_comma_and_english_refuses_it() {
        let def = tag("Hz", (35.0, 70.0));
        let es = Locale {
            lang: Lang::Es,
            units: UnitSystem::Oilfield,
        };
        assert_eq!(es.parse_write(&def, "52,5"), Ok(Value::F64(52.5)));
        assert_eq!(Locale::default().parse_write(&def, "52,5"), Err("a number".into()));
        // 1,500 is ambiguous with a point too: refused rather than guessed.
        assert_eq!(es.parse_write(&def, "1,500.5"), Err("un número".into()));
        let mut b = def.clone();
        b.kind = ValueKind::Bool;
        assert_eq!(es.parse_write(&b, "enc"), Ok(Value::Bool(true)));
        assert_eq!(es.parse_write(&b, "x"), Err("ENC o APAG".into()));
    }
}
