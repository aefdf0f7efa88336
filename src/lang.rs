//! The console's language. English and Spanish are both required for every text an operator reads
//! (alarm messages, responses, screen labels); a text missing in the chosen language falls back to English.

use serde::{Deserialize, Serialize};
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    En,
    Es,
}

impl Lang {
    /// The console's own words in this language (screen and symbol texts come from the files).
    pub fn pick(self, en: &'static str, es: &'static str) -> &'static str {
        match self {
            Lang::En => en,
            Lang::Es => es,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Es => "es",
        }
    }
}

impl std::str::FromStr for Lang {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "en" => Ok(Lang::En),
            "es" => Ok(Lang::Es),
            other => Err(format!("unknown language '{other}' (en or es)")),
        }
    }
}

/// How this console speaks to its people: language and units, both switchable at runtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Locale {
    pub lang: Lang,
    pub units: crate::units::UnitSystem,
}

impl Locale {
    pub fn pick(self, en: &'static str, es: &'static str) -> &'static str {
        self.lang.pick(en, es)
    }

    /// A value kept in `unit` as this console shows it, with its unit.
    pub fn value_text(self, unit: &str, value: Option<&crate::tag::Value>, decimals: usize) -> String {
        self.units.shown(unit).text(value, decimals, self.lang)
    }
}

/// A text in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Text {
    pub en: Arc<str>,
    pub es: Arc<str>,
}

impl Text {
    pub fn new(en: &str, es: &str) -> Self {
        Self {
            en: en.into(),
            es: es.into(),
        }
    }

    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Es if !self.es.is_empty() => &self.es,
            _ => &self.en,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.en.is_empty() && self.es.is_empty()
    }
}
