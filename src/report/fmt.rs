//! The reader's formatting on paper: words in their language, values converted from the unit they are kept
//! in to the reader's unit system, with the decimals that keep their resolution and the reader's decimal
//! mark. Every printed document formats its numbers through here, so a ticket and a certificate read alike.
//!
//! Only formats: built on `lang`, `units` and `locale` (the decimal mark); no I/O, nothing drawn.

use super::blocks::NONE;
use crate::lang::Lang;
use crate::locale::Locale;
use crate::units::{Shown, UnitSystem};

/// The reader's language and units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fmt {
    pub lang: Lang,
    pub units: UnitSystem,
}

impl Fmt {
    pub fn new(lang: Lang, units: UnitSystem) -> Self {
        Self { lang, units }
    }

    pub fn t(&self, en: &'static str, es: &'static str) -> &'static str {
        self.lang.pick(en, es)
    }

    /// A kept unit's way onto paper. `bpm` (pump rates) is the units table's `bbl/min`.
    fn shown(&self, kept: &'static str) -> Shown<'static> {
        self.units.shown(if kept == "bpm" { "bbl/min" } else { kept })
    }

    /// The unit a kept one is printed in.
    pub fn unit(&self, kept: &'static str) -> &'static str {
        let s = self.shown(kept);
        if kept == "bpm" && s.is_identity() {
            "bpm"
        } else {
            s.unit
        }
    }

    /// A value kept in `kept`, converted, with the decimals that keep its resolution; no unit.
    pub fn num(&self, kept: &'static str, v: f64, decimals: usize) -> String {
        if !v.is_finite() {
            return NONE.to_owned();
        }
        let s = self.shown(kept);
        self.mark(format!("{:.*}", s.decimals(decimals), s.value(v)))
    }

    /// A value kept in `kept` as a number in the reader's unit (for charts).
    pub fn value(&self, kept: &'static str, v: f64) -> f64 {
        self.shown(kept).value(v)
    }

    /// Numbers are written with a decimal comma (Spanish).
    pub fn decimal_comma(&self) -> bool {
        self.decimal_mark() == ','
    }

    fn decimal_mark(&self) -> char {
        Locale {
            lang: self.lang,
            units: self.units,
        }
        .decimal_mark()
    }

    /// The same, or "—".
    pub fn opt(&self, kept: &'static str, v: Option<f64>, decimals: usize) -> String {
        v.map_or_else(|| NONE.to_owned(), |v| self.num(kept, v, decimals))
    }

    /// A value with its unit ("3048.0 m").
    pub fn qty(&self, kept: &'static str, v: f64, decimals: usize) -> String {
        format!("{} {}", self.num(kept, v, decimals), self.unit(kept))
    }

    pub fn qty_opt(&self, kept: &'static str, v: Option<f64>, decimals: usize) -> String {
        v.map_or_else(|| NONE.to_owned(), |v| self.qty(kept, v, decimals))
    }

    /// A plain number (hours, percent) with the reader's decimal mark.
    pub fn plain(&self, v: f64, decimals: usize) -> String {
        if v.is_finite() {
            self.mark(format!("{v:.decimals$}"))
        } else {
            NONE.to_owned()
        }
    }

    /// "Yes" or "No" in the reader's language.
    pub fn yes_no(&self, b: bool) -> &'static str {
        if b { self.t("Yes", "Sí") } else { self.t("No", "No") }
    }

    fn mark(&self, s: String) -> String {
        let mark = self.decimal_mark();
        if mark == '.' {
            s
        } else {
            s.replace('.', &mark.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_converted_marked_and_never_infinite() {
        let en = Fmt::new(Lang::En, UnitSystem::Oilfield);
        let es = Fmt::new(Lang::Es, UnitSystem::Si);
        assert_eq!(en.qty("ft", 10_500.0, 0), "10500 ft");
        assert_eq!(es.qty("ft", 10_500.0, 0), "3200,4 m");
        assert_eq!(en.unit("bpm"), "bpm");
        assert_eq!(es.unit("bpm"), "m³/min");
        assert_eq!(en.num("psi", f64::INFINITY, 0), NONE);
        assert_eq!(es.opt("psi", None, 0), NONE);
        assert_eq!(es.plain(12.26, 1), "12,3");
        assert!(es.decimal_comma() && !en.decimal_comma());
        assert_eq!(es.yes_no(true), "Sí");
    }
}
