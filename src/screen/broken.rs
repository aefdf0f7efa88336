//! What the console shows of a definition file while it stays broken: a hot reload (`project::watch`)
//! keeps the last good screen set on display and publishes the problem lines (`path:line:col: message`);
//! `WhileBroken` says whether that set holds a last good version of the broken file at all (a screen added
//! since the start has none). Pure: reads a problem line and a `ScreenSet`.

use super::ScreenSet;
use crate::lang::Lang;

/// What the console shows of a broken file while it stays broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhileBroken {
    /// The file loaded before (or the problem names no file): its last good version stays on display.
    LastGoodVersion,
    /// The file never loaded — a screen or symbol added since the console started, perhaps bound to tags
    /// only a restart brings in: there is no version of it to show.
    NotShown,
}

impl WhileBroken {
    /// For a problem line (`path:line:col: message`), judged against the set on display.
    pub fn of(problem: &str, set: &ScreenSet) -> Self {
        let Some(file) = problem_file(problem) else {
            return WhileBroken::LastGoodVersion;
        };
        let loaded = set
            .screens
            .iter()
            .map(|s| s.defined_at.as_str())
            .chain(set.symbols.iter().map(|s| s.defined_at.as_str()))
            .any(|at| location_file(at) == Some(file));
        if loaded {
            WhileBroken::LastGoodVersion
        } else {
            WhileBroken::NotShown
        }
    }

    /// What follows the problem on the console's problem line.
    pub fn text(self, lang: Lang) -> &'static str {
        match self {
            WhileBroken::LastGoodVersion => {
                lang.pick("showing the last good version", "se muestra la última versión buena")
            }
            WhileBroken::NotShown => lang.pick("not shown until fixed", "no se muestra hasta corregirlo"),
        }
    }
}

/// The file of a problem line, `path:line:col: message` (a path may hold ':' or ": " on some systems:
/// the location is the first "path:N:N" followed by ": ").
fn problem_file(problem: &str) -> Option<&str> {
    problem
        .match_indices(": ")
        .find_map(|(i, _)| location_file(&problem[..i]))
}

/// The path of `path:line:col`, when line and col are numbers.
fn location_file(at: &str) -> Option<&str> {
    let mut parts = at.rsplitn(3, ':');
    let col = parts.next()?;
    let line = parts.next()?;
    let path = parts.next()?;
    (col.parse::<usize>().is_ok() && line.parse::<usize>().is_ok()).then_some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_that_never_loaded_has_no_last_good_version_to_show() {
        let set = crate::project::Project::demo().expect("demo is valid").screens;
        let of = |p: &str| WhileBroken::of(p, &set);
        assert_eq!(
            of("<demo>/screens/ct01.toml:12:7: unknown tag 'ct01/dept' (not defined in site.toml)"),
            WhileBroken::LastGoodVersion
        );
        assert_eq!(
            of("<demo>/symbols/tank.toml:10:8: unknown colour 'red'"),
            WhileBroken::LastGoodVersion
        );
        assert_eq!(
            of("<demo>/screens/well07.toml:5:7: unknown tag 'well07/rate' (not defined in site.toml)"),
            WhileBroken::NotShown,
            "a screen added since the start, bound to tags only a restart brings in"
        );
        assert_eq!(
            of("/site/screens/ct01.toml:12:7: unknown tag"),
            WhileBroken::NotShown,
            "another project's file of the same name"
        );
        assert_eq!(
            of("no site.toml in /site"),
            WhileBroken::LastGoodVersion,
            "the whole set stays"
        );
        assert_eq!(WhileBroken::NotShown.text(Lang::En), "not shown until fixed");
    }
}
