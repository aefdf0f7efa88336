//! The console's language. English and Spanish are both required for every text an operator reads
//! (alarm messages, responses, screen labels); a text missing in the chosen language falls back to English.
//!
//! Owns `Lang` (the language a console speaks) and `Text` (a text in both). The bottom of the rooms: every
//! other room may use it, and it imports none of them. Showing values and reading typed ones in a console's
//! language and units is `locale`.

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

/// A text in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
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
