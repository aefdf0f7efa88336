//! Display units per console: oilfield (psi, lbf, ft, bbl, °F) or SI (kPa, kN, m, m³, °C).
//!
//! Tags keep the unit their device or site file gives them, and everything that is stored or judged
//! (history, alarm limits, trip rules, writes on the wire) stays in that unit. Only what a person reads or
//! types is converted, here, at the edge: readouts, scales, trend axes, limits as text, keypad entry. A unit
//! this table does not know (Hz, A, %, rpm, g) is shown as it is in both systems.
//!
//! Owns `UnitSystem` and `Shown` (one unit's way onto the screen). Uses only `lang` (the ON/OFF words) and
//! `tag` (`Value`); a console's language and units together are `locale`.
//!
//! Must not touch: tag values in the table or the historian.

use crate::lang::Lang;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UnitSystem {
    #[default]
    Oilfield,
    Si,
}

impl UnitSystem {
    /// How a value kept in `unit` is shown on a console using this system.
    pub fn shown(self, unit: &str) -> Shown<'_> {
        let found = match self {
            UnitSystem::Si => PAIRS.iter().find(|p| p.oilfield == unit).map(|p| Shown {
                unit: p.si,
                scale: p.scale,
                offset: p.offset,
            }),
            // A site defined in SI on an oilfield console: the inverse of the first pair naming that SI
            // unit (the table lists the usual oilfield unit first: m³ is shown in bbl, not scf).
            UnitSystem::Oilfield => PAIRS.iter().find(|p| p.si == unit && p.preferred).map(|p| Shown {
                unit: p.oilfield,
                scale: 1.0 / p.scale,
                offset: -p.offset / p.scale,
            }),
        };
        found.unwrap_or(Shown {
            unit,
            scale: 1.0,
            offset: 0.0,
        })
    }
}

impl std::str::FromStr for UnitSystem {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "oilfield" => Ok(UnitSystem::Oilfield),
            "si" => Ok(UnitSystem::Si),
            other => Err(format!("unknown unit system '{other}' (oilfield or si)")),
        }
    }
}

/// One pair: si = oilfield × scale + offset.
struct Pair {
    oilfield: &'static str,
    si: &'static str,
    scale: f64,
    offset: f64,
    /// The oilfield unit an SI-defined tag is shown in on an oilfield console.
    preferred: bool,
}

const fn pair(oilfield: &'static str, si: &'static str, scale: f64, preferred: bool) -> Pair {
    Pair {
        oilfield,
        si,
        scale,
        offset: 0.0,
        preferred,
    }
}

// Exact where the definition is exact (ft, in, lbf, gal); bbl = 42 US gal; scf at 60 °F is taken as
// 0.0283168 m³ (the standard-condition difference between 60 °F and 15 °C is 0.1 %, under the meters').
const FT: f64 = 0.3048;
const BBL: f64 = 0.158_987_294_928;
const PSI: f64 = 6.894_757_293_168;
const LBF: f64 = 4.448_221_615_260_5;
const SCF: f64 = 0.028_316_846_592;
const GAL: f64 = 0.003_785_411_784;

static PAIRS: &[Pair] = &[
    pair("psi", "kPa", PSI, true),
    pair("psi/min", "kPa/min", PSI, true),
    pair("psi/ft", "kPa/m", PSI / FT, true),
    pair("ksi", "MPa", PSI, true),
    pair("lbf", "kN", LBF / 1000.0, true),
    pair("klbf", "kN", LBF, false),
    pair("ft", "m", FT, true),
    pair("ft/min", "m/min", FT, true),
    pair("ft/s", "m/s", FT, true),
    pair("ft/h", "m/h", FT, true),
    pair("in", "mm", 25.4, true),
    pair("bbl", "m³", BBL, true),
    pair("bbl/d", "m³/d", BBL, true),
    pair("bbl/min", "m³/min", BBL, true),
    pair("gal", "L", GAL * 1000.0, true),
    pair("gpm", "L/min", GAL * 1000.0, true),
    pair("scf", "m³", SCF, false),
    pair("scf/min", "m³/min", SCF, false),
    pair("Mscf/d", "m³/d", SCF * 1000.0, false),
    pair("MMscf/d", "10³ m³/d", SCF * 1000.0, true),
    // Production: stock-tank oil is counted in barrels too; GOR and the productivity index.
    pair("STB", "m³", BBL, false),
    pair("STB/d", "m³/d", BBL, false),
    pair("Mscf", "m³", SCF * 1000.0, false),
    pair("scf/STB", "m³/m³", SCF / BBL, false),
    pair("STB/d/psi", "m³/d/kPa", BBL / PSI, true),
    pair("bbl/d/psi", "m³/d/kPa", BBL / PSI, false),
    pair("ppg", "kg/m³", 0.453_592_37 / GAL, true),
    pair("lb", "kg", 0.453_592_37, true),
    pair("ft·lbf", "N·m", LBF * FT, true),
    pair("hp", "kW", 0.745_699_871_582_270_2, false),
    Pair {
        oilfield: "°F",
        si: "°C",
        scale: 5.0 / 9.0,
        offset: -32.0 * 5.0 / 9.0,
        preferred: true,
    },
];

/// A value's way onto the screen: shown = kept × scale + offset, in `unit`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shown<'a> {
    pub unit: &'a str,
    scale: f64,
    offset: f64,
}

impl Shown<'_> {
    pub fn is_identity(&self) -> bool {
        self.scale == 1.0 && self.offset == 0.0
    }

    /// A value as shown.
    pub fn value(&self, kept: f64) -> f64 {
        kept * self.scale + self.offset
    }

    /// A difference (deadband, deviation, rate per minute) as shown: no offset.
    pub fn delta(&self, kept: f64) -> f64 {
        kept * self.scale
    }

    /// What a shown (typed) value is in the tag's own unit.
    pub fn kept(&self, shown: f64) -> f64 {
        (shown - self.offset) / self.scale
    }

    /// A bound of a range as text: as the file wrote it where nothing is converted ("35"), else converted
    /// with the shown decimals ("24132" for 3,500 psi in kPa), without the unit.
    pub fn bound(&self, kept: f64, kept_decimals: usize) -> String {
        if self.is_identity() {
            format!("{kept}")
        } else {
            format!("{:.d$}", self.value(kept), d = self.decimals(kept_decimals))
        }
    }

    /// A range as shown (ordered low to high).
    pub fn range(&self, (lo, hi): (f64, f64)) -> (f64, f64) {
        let (a, b) = (self.value(lo), self.value(hi));
        (a.min(b), a.max(b))
    }

    /// Decimals for the shown value that keep the resolution the tag's decimals give: a unit about ten
    /// times smaller (lbf → kN is 1/225) needs more, one about ten times larger (psi → kPa) needs none less,
    /// so a reading never looks coarser than the device reports it.
    pub fn decimals(&self, kept_decimals: usize) -> usize {
        if self.is_identity() {
            return kept_decimals;
        }
        let extra = (-self.scale.abs().log10()).round().max(0.0) as usize;
        (kept_decimals + extra).min(6)
    }

    /// A value with its unit, e.g. "222.41 kN", or "----" when there is none.
    pub fn text(&self, value: Option<&crate::tag::Value>, kept_decimals: usize, lang: Lang) -> String {
        let number = self.number(value, kept_decimals, lang);
        if self.unit.is_empty() || value.is_none() {
            number
        } else {
            format!("{number} {}", self.unit)
        }
    }

    /// The same without the unit (tables with a unit column).
    pub fn number(&self, value: Option<&crate::tag::Value>, kept_decimals: usize, lang: Lang) -> String {
        use crate::tag::Value;
        match value {
            None => "----".to_owned(),
            Some(Value::Bool(b)) => lang
                .pick(if *b { "ON" } else { "OFF" }, if *b { "ENC" } else { "APAG" })
                .to_owned(),
            Some(v @ (Value::F64(_) | Value::I64(_))) if !self.is_identity() => {
                let x = v.as_f64().unwrap_or(f64::NAN);
                Value::F64(self.value(x)).display(self.decimals(kept_decimals))
            }
            Some(v) => v.display(kept_decimals),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tag::Value;

    #[test]
    fn oilfield_units_convert_to_si_with_known_values() {
        let si = UnitSystem::Si;
        let close = |a: f64, b: f64, tol: f64| assert!((a - b).abs() <= tol, "{a} vs {b}");
        close(si.shown("psi").value(1000.0), 6894.757, 1e-3);
        close(si.shown("lbf").value(50_000.0), 222.411, 1e-3);
        close(si.shown("ft").value(10_000.0), 3048.0, 1e-9);
        close(si.shown("bbl/d").value(1000.0), 158.987, 1e-3);
        close(si.shown("°F").value(212.0), 100.0, 1e-9);
        close(si.shown("°F").value(-40.0), -40.0, 1e-9);
        close(si.shown("°F").delta(18.0), 10.0, 1e-9);
        close(si.shown("ppg").value(10.0), 1198.264, 1e-3);
        close(si.shown("Mscf/d").value(1.0), 28.3168, 1e-4);
        // 1,000 scf/STB is 178.1 m³/m³; 1 STB/d/psi is 0.02306 m³/d/kPa.
        close(si.shown("scf/STB").value(1000.0), 178.108, 1e-3);
        close(si.shown("STB/d").value(1000.0), 158.987, 1e-3);
        close(si.shown("STB/d/psi").value(1.0), 0.023_059, 1e-6);
        assert_eq!(si.shown("psi").unit, "kPa");
        assert_eq!(si.shown("Hz").unit, "Hz");
        assert!(si.shown("Hz").is_identity());
        assert!(UnitSystem::Oilfield.shown("psi").is_identity());
    }

    #[test]
    fn an_si_site_on_an_oilfield_console_goes_back_to_the_usual_units() {
        let o = UnitSystem::Oilfield;
        assert_eq!(o.shown("m³").unit, "bbl");
        assert_eq!(o.shown("kN").unit, "lbf");
        assert!((o.shown("°C").value(100.0) - 212.0).abs() < 1e-9);
        assert!((o.shown("kPa").value(6_894.757_293_168) - 1000.0).abs() < 1e-9);
    }

    #[test]
    fn typed_values_go_back_exactly_and_ranges_stay_ordered() {
        for (unit, x) in [("psi", 7500.0), ("°F", 375.0), ("lbf", -10_000.0), ("ft/min", 120.5)] {
            let s = UnitSystem::Si.shown(unit);
            assert!((s.kept(s.value(x)) - x).abs() < 1e-9 * x.abs().max(1.0), "{unit}");
        }
        let s = UnitSystem::Si.shown("°F");
        assert_eq!(s.range((32.0, 212.0)), (0.0, 100.0));
    }

    #[test]
    fn decimals_keep_the_device_resolution() {
        let si = UnitSystem::Si;
        assert_eq!(si.shown("psi").decimals(0), 0);
        assert_eq!(si.shown("lbf").decimals(0), 2);
        assert_eq!(si.shown("ft").decimals(1), 2);
        assert_eq!(si.shown("Hz").decimals(1), 1);
        assert_eq!(
            si.shown("lbf").text(Some(&Value::F64(50_000.0)), 0, Lang::En),
            "222.41 kN"
        );
        assert_eq!(si.shown("psi").text(Some(&Value::I64(100)), 0, Lang::En), "689 kPa");
        assert_eq!(si.shown("psi").text(None, 0, Lang::En), "----");
        assert_eq!(si.shown("").text(Some(&Value::Bool(true)), 0, Lang::En), "ON");
        assert_eq!(si.shown("").text(Some(&Value::Bool(true)), 0, Lang::Es), "ENC");
    }
}
