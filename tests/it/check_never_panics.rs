//! `wellconsole check` must answer every input with diagnostics, never a panic: random text, and the
//! demo site.toml and survey with random edits (which reach far deeper into the validator).

use proptest::prelude::*;
use wellconsole::project::{self, ProjectFiles};

const SITE: &str = include_str!("../../site.toml");
const SURVEY: &str = include_str!("../../data/ct01_survey.csv");

/// The demo's files (reels, production histories, screens…) with `site` and `survey` in the place of its own.
fn files(site: String, survey: String) -> ProjectFiles {
    let demo = ProjectFiles::embedded_demo();
    let files: Vec<(String, String)> = demo
        .iter()
        .map(|(rel, text)| {
            let text = match rel {
                "site.toml" => site.clone(),
                "data/ct01_survey.csv" => survey.clone(),
                _ => text.to_owned(),
            };
            (rel.to_owned(), text)
        })
        .collect();
    ProjectFiles::from_memory(files)
}

/// Replaces `len` characters at a position (as a fraction of the text) with `insert` (also the edits of
/// `files_never_panic`).
pub(crate) fn mutate(text: &str, at: f64, len: usize, insert: &str) -> String {
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

/// The demo project with `extra` files added.
fn demo_with(extra: &[(&str, String)]) -> ProjectFiles {
    let mut all: Vec<(String, String)> = ProjectFiles::embedded_demo()
        .iter()
        .map(|(p, t)| (p.to_owned(), t.to_owned()))
        .collect();
    all.extend(extra.iter().map(|(p, t)| ((*p).to_owned(), t.clone())));
    ProjectFiles::from_memory(all)
}

/// `check` on a thread with an ordinary 2 MiB stack (what the reload threads had when a 5,000-deep
/// condition killed a console): deep input must come back as diagnostics, not a stack overflow, which
/// no test could catch — it takes the whole process down.
fn check_on_small_stack(files: ProjectFiles) -> Vec<project::Diagnostic> {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || project::check(&files))
        .unwrap()
        .join()
        .unwrap()
}

/// A `when` nested `depth` deep, each level joined with and/or as `ops` cycle (so the tree is deep too,
/// not only the parentheses).
fn nested_condition(depth: usize, ops: &[bool]) -> String {
    let mut s = String::from("ct01/weight > 1");
    for i in 0..depth {
        let op = if ops[i % ops.len()] { "and" } else { "or" };
        s = format!("ct01/depth < 2 {op} ({s})");
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn deeply_nested_trip_conditions(depth in 0usize..20_000, bare in any::<bool>(), ops in proptest::collection::vec(any::<bool>(), 1..6)) {
        let when = if bare {
            format!("{}ct01/weight > 1{}", "(".repeat(depth), ")".repeat(depth))
        } else {
            nested_condition(depth.min(2_000), &ops)
        };
        let trip = format!(
            "[[trip]]\nid = \"deep\"\nname = {{ en = \"Deep\", es = \"Hondo\" }}\nwhen = \"{when}\"\ndelay_s = 1.0\naction = [{{ tag = \"ct01/shutdown\", value = true }}]\n"
        );
        let problems = check_on_small_stack(demo_with(&[("alarms/deep.toml", trip)]));
        let deep = if bare { depth } else { depth.min(2_000) };
        if deep > 32 {
            prop_assert!(
                problems.iter().any(|p| p.path.ends_with("alarms/deep.toml")
                    && (p.message.contains("nest more than 32") || p.message.contains("bytes long"))),
                "{problems:?}"
            );
        }
        for p in problems {
            prop_assert!(p.line >= 1 && p.col >= 1, "{p}");
        }
    }

    #[test]
    fn deeply_nested_toml_in_every_kind_of_file(depth in 1usize..6_000, file in 0usize..4, shape in 0usize..3) {
        let text = match shape {
            // dotted keys and table headers are not bounded by the TOML parser's own depth limit
            0 => format!("[{}x]\ny = 1\n", "a.".repeat(depth)),
            1 => format!("[[{}group]]\nid = 1\n", "group.".repeat(depth)),
            _ => format!("x = {}{}\n", "[".repeat(depth), "]".repeat(depth)),
        };
        let path = ["alarms/deep.toml", "screens/deep.toml", "symbols/deep.toml", "site.toml"][file];
        let files = if path == "site.toml" {
            demo_with(&[(path, format!("{SITE}\n{text}"))])
        } else {
            demo_with(&[(path, text)])
        };
        let problems = check_on_small_stack(files);
        prop_assert!(!problems.is_empty());
    }
}

#[test]
fn large_projects_are_checked_whole() {
    // 20,000 alarm points and 20,000 tags, each tag with a problem: every problem reported at its place.
    let mut alarms = String::new();
    let mut tags = String::new();
    for i in 0..20_000 {
        alarms += &format!(
            "[[alarm]]\nid = \"a{i}\"\ntag = \"ct01/weight\"\ntype = \"hi\"\nlimit = {}.0\npriority = \"low\"\nmessage = {{ en = \"A{i}\", es = \"A{i}\" }}\n",
            60_000 + i
        );
        tags += &format!("\n[[tag]]\nname = \"gen/t{i}\"\ndriver = \"nosuch\"\n");
    }
    let problems = project::check(&demo_with(&[
        ("alarms/many.toml", alarms),
        ("site.toml", format!("{SITE}{tags}")),
    ]));
    assert_eq!(problems.len(), 20_000, "{:?}", problems.first());
    let site_lines = SITE.lines().count();
    let want = format!("site.toml:{}:10: tag 'gen/t0' uses driver 'nosuch'", site_lines + 4);
    assert!(problems[0].to_string().contains(&want), "{}", problems[0]);
}
