//! `wellconsole check` must answer every input with diagnostics, never a panic: random text, and the
//! demo site.toml and survey with random edits (which reach far deeper into the validator).

use proptest::prelude::*;
use wellconsole::project::{self, ProjectFiles};

const SITE: &str = include_str!("../../site.toml");
const SURVEY: &str = include_str!("../../data/ct01_survey.csv");

fn files(site: String, survey: String) -> ProjectFiles {
    ProjectFiles::from_memory([
        ("site.toml".to_owned(), site),
        ("data/ct01_survey.csv".to_owned(), survey),
    ])
}

/// Replaces `len` characters at a position (as a fraction of the text) with `insert`.
fn mutate(text: &str, at: f64, len: usize, insert: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let i = ((chars.len() as f64) * at) as usize;
    let j = (i + len).min(chars.len());
    chars[..i]
        .iter()
        .chain(insert.chars().collect::<Vec<_>>().iter())
        .chain(chars[j..].iter())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_site_text(site in "\\PC{0,400}") {
        let problems = project::check(&files(site, SURVEY.to_owned()));
        for p in problems {
            prop_assert!(p.line >= 1 && p.col >= 1);
        }
    }

    #[test]
    fn edited_demo_site(at in 0.0f64..1.0, len in 0usize..40, insert in "[-\\[\\]{}=\"'.,0-9a-z_/ \\n#]{0,12}") {
        let problems = project::check(&files(mutate(SITE, at, len, &insert), SURVEY.to_owned()));
        for p in problems {
            prop_assert!(p.line >= 1 && p.col >= 1, "{p}");
            prop_assert!(!p.message.is_empty());
        }
    }

    #[test]
    fn edited_survey(at in 0.0f64..1.0, len in 0usize..30, insert in "[-0-9.,e\\n a#]{0,10}") {
        let problems = project::check(&files(SITE.to_owned(), mutate(SURVEY, at, len, &insert)));
        for p in problems {
            prop_assert!(p.line >= 1 && p.col >= 1, "{p}");
        }
    }
}

#[test]
fn the_unedited_demo_is_valid() {
    assert!(project::check(&files(SITE.to_owned(), SURVEY.to_owned())).is_empty());
}
