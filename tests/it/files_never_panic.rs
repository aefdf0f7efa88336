//! Screen, symbol, alarm and trip files must come back as diagnostics, never a panic, as site.toml does
//! (`check_never_panics`): random text in place of a file of each kind, and random edits of every demo file
//! of each kind, through `wellconsole check` and through the loaders a running console's hot reload calls,
//! down to the watchers reading an edited file from disk. Every problem is located (line and column from 1,
//! inside the edited file when it is about that file) and says something.
//!
//! The demo's files are listed from the project folder when the tests run, so a file added to screens/,
//! symbols/ or alarms/ is covered with no change here. Each case checks the whole project, so the case
//! counts stay modest for a 2-core CI machine.

use crate::check_never_panics::mutate;
use arc_swap::ArcSwap;
use proptest::prelude::*;
use proptest::sample::select;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use wellconsole::project::reload::{AlarmsAndTrips, NewSet, Screens};
use wellconsole::project::watch::{ConfigProblems, ProjectWatch, Reloadable};
use wellconsole::project::{self, Diagnostic, Project, ProjectFiles};
use wellconsole::screen::ScreenCell;
use wellconsole::tag::TagDirectory;

/// The demo project as it is on disk now: site.toml, data/, screens/, symbols/, alarms/.
fn demo() -> &'static ProjectFiles {
    static DEMO: OnceLock<ProjectFiles> = OnceLock::new();
    DEMO.get_or_init(|| ProjectFiles::from_dir(Path::new(env!("CARGO_MANIFEST_DIR"))).expect("the demo project reads"))
}

/// The demo's tags: what a running console reloads edited files against.
fn demo_tags() -> &'static TagDirectory {
    demo_tags_arc_ref()
}

fn demo_tags_arc_ref() -> &'static Arc<TagDirectory> {
    static TAGS: OnceLock<Arc<TagDirectory>> = OnceLock::new();
    TAGS.get_or_init(|| Project::load(demo().clone()).expect("the demo is valid").site.tags)
}

fn demo_tags_arc() -> Arc<TagDirectory> {
    demo_tags_arc_ref().clone()
}

/// The demo's `*.toml` files in `dir` (`screens`, `symbols` or `alarms`), keyed as the project keys them.
fn demo_files(dir: &str) -> Vec<String> {
    let prefix = format!("{dir}/");
    let files: Vec<String> = demo()
        .iter()
        .map(|(rel, _)| rel)
        .filter(|rel| rel.starts_with(&prefix) && rel.ends_with(".toml"))
        .map(str::to_owned)
        .collect();
    assert!(!files.is_empty(), "the demo has no files in {dir}/");
    files
}

fn every_demo_file() -> Vec<String> {
    ["screens", "symbols", "alarms"]
        .into_iter()
        .flat_map(demo_files)
        .collect()
}

/// The demo project with `text` in place of the file `rel`; with `site_broken`, site.toml does not parse
/// either, so `check` reads the other files for their syntax and fields alone (it has no tags to check
/// them against).
fn demo_with(rel: &str, text: &str, site_broken: bool) -> ProjectFiles {
    ProjectFiles::from_memory(demo().iter().map(|(r, t)| {
        let t = if r == rel {
            text.to_owned()
        } else if r == "site.toml" && site_broken {
            format!("= {t}")
        } else {
            t.to_owned()
        };
        (r.to_owned(), t)
    }))
}

/// What the hot reload finds when `rel` is edited: screens load with the symbols, alarm points with the
/// trip rules, each against the running project's tags.
fn reload_problems(files: &ProjectFiles, rel: &str) -> Vec<Diagnostic> {
    let tags = demo_tags();
    if rel.starts_with("alarms/") {
        let mut problems = project::alarms::load(files, tags).err().unwrap_or_default();
        problems.extend(project::trips::load(files, tags).err().unwrap_or_default());
        problems
    } else {
        project::screens::load(files, tags).err().unwrap_or_default()
    }
}

/// Every problem at a line and column from 1 (within `text` when it is about the file `rel`), with words.
fn assert_located(problems: &[Diagnostic], rel: &str, text: &str) -> Result<(), TestCaseError> {
    for p in problems {
        prop_assert!(p.line >= 1 && p.col >= 1, "{p}");
        prop_assert!(!p.message.trim().is_empty(), "{p}");
        if p.path.ends_with(&format!("/{rel}")) {
            let line = text.split('\n').nth(p.line - 1);
            prop_assert!(line.is_some(), "past the file's last line: {p}");
            let chars = line.map_or(0, |l| l.chars().count());
            prop_assert!(p.col <= chars + 1, "past the end of its line: {p}");
        }
    }
    Ok(())
}

/// `check` of the demo with `text` in place of `rel`, and, when site.toml is broken and `check` read the
/// file for syntax and fields only, the reload's whole load of it as well.
fn check_edited(rel: &str, text: &str, site_broken: bool) -> Result<(), TestCaseError> {
    let files = demo_with(rel, text, site_broken);
    let problems = project::check(&files);
    if site_broken {
        prop_assert!(!problems.is_empty(), "a broken site.toml is a problem");
    }
    assert_located(&problems, rel, text)?;
    if site_broken {
        assert_located(&reload_problems(&files, rel), rel, text)?;
    }
    Ok(())
}

/// Words the file formats give meaning to, for edits that get past the TOML parser and into the loaders.
const WORDS: &[&str] = &[
    "\n[[part]]\n",
    "\n[[symbol]]\n",
    "\n[[label]]\n",
    "\n[[alarm]]\n",
    "\n[[trip]]\n",
    "\n[inputs]\n",
    "nan",
    "inf",
    "-1e309",
    "1e39",
    "-1",
    "0",
    "4294967296",
    "\"\"",
    "[]",
    "{}",
    "[[0, 0]]",
    " and ",
    " or ",
    " not ",
    "(",
    "{asset}",
    "\"ct01/weight\"",
    "\"no/such\"",
    "\"valve\"",
];

/// What one edit types: characters TOML and the file formats give meaning to, or one of `WORDS`.
fn typed() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[-\\[\\]{}=\"'.,:0-9a-zA-Z_/ \\n#<>()!$+*]{0,12}",
        1 => select(WORDS).prop_map(str::to_owned),
    ]
}

/// One to three edits: where (a fraction of the text), how many characters to replace, what to type.
fn edits() -> impl Strategy<Value = Vec<(f64, usize, String)>> {
    prop::collection::vec((0.0f64..1.0, 0usize..40, typed()), 1..4)
}

fn edited(text: &str, edits: &[(f64, usize, String)]) -> String {
    edits
        .iter()
        .fold(text.to_owned(), |t, (at, len, insert)| mutate(&t, *at, *len, insert))
}

/// Random text in place of a file: plain Unicode, or characters TOML gives meaning to.
fn random_text() -> impl Strategy<Value = String> {
    prop_oneof!["\\PC{0,400}", "[-\\[\\]{}=\"'.,:0-9a-z_/ \\n#]{0,400}"]
}

fn original(rel: &str) -> &'static str {
    demo().get(rel).expect("a demo file")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn random_text_in_place_of_a_screen_file(
        rel in select(demo_files("screens")), text in random_text(), site_broken in prop::bool::weighted(0.25)
    ) {
        check_edited(&rel, &text, site_broken)?;
    }

    #[test]
    fn random_text_in_place_of_a_symbol_file(
        rel in select(demo_files("symbols")), text in random_text(), site_broken in prop::bool::weighted(0.25)
    ) {
        check_edited(&rel, &text, site_broken)?;
    }

    #[test]
    fn random_text_in_place_of_an_alarm_file(
        rel in select(demo_files("alarms")), text in random_text(), site_broken in prop::bool::weighted(0.25)
    ) {
        check_edited(&rel, &text, site_broken)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn edited_demo_screens(
        rel in select(demo_files("screens")), edits in edits(), site_broken in prop::bool::weighted(0.25)
    ) {
        check_edited(&rel, &edited(original(&rel), &edits), site_broken)?;
    }

    #[test]
    fn edited_demo_symbols(
        rel in select(demo_files("symbols")), edits in edits(), site_broken in prop::bool::weighted(0.25)
    ) {
        check_edited(&rel, &edited(original(&rel), &edits), site_broken)?;
    }

    #[test]
    fn edited_demo_alarms_and_trips(
        rel in select(demo_files("alarms")), edits in edits(), site_broken in prop::bool::weighted(0.25)
    ) {
        check_edited(&rel, &edited(original(&rel), &edits), site_broken)?;
    }
}

/// A copy of the demo project in `dir`, file for file.
fn write_demo(dir: &Path) {
    for (rel, text) in demo().iter() {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().expect("in a folder")).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

/// A reloadable as the console registers it, noting whether the watcher asked it to load.
struct Noted<R> {
    inner: R,
    asked: Arc<AtomicBool>,
}

impl<R: Reloadable> Reloadable for Noted<R> {
    fn what(&self) -> &'static str {
        self.inner.what()
    }
    fn dirs(&self) -> &'static [&'static str] {
        self.inner.dirs()
    }
    fn reload(&mut self, files: &ProjectFiles) -> Result<(), Vec<String>> {
        self.asked.store(true, Ordering::Relaxed);
        self.inner.reload(files)
    }
    fn keep_last_good(&mut self) {
        self.inner.keep_last_good();
    }
    fn hand_on(&mut self) {
        self.inner.hand_on();
    }
}

/// What the project watcher answers for the project in `dir` about `rel`'s kind, as a running demo console's
/// watcher would: `None` when nothing changed, else whether the edited files load, with the problem lines if not.
fn reload_answer(dir: &Path, rel: &str) -> Option<Result<(), Vec<String>>> {
    let tags = demo_tags_arc();
    let asked = Arc::new(AtomicBool::new(false));
    let problems: ConfigProblems = Arc::new(ArcSwap::from_pointee(Vec::new()));
    let mut watch = ProjectWatch::new(dir.to_path_buf());
    if rel.starts_with("alarms/") {
        let inner = AlarmsAndTrips::new(tags, |_: &NewSet| true);
        watch.add(
            Noted {
                inner,
                asked: asked.clone(),
            },
            demo(),
            problems.clone(),
        );
    } else {
        let cell: ScreenCell = Arc::new(ArcSwap::new(Project::load(demo().clone()).ok()?.screens));
        let inner = Screens::new(tags, cell);
        watch.add(
            Noted {
                inner,
                asked: asked.clone(),
            },
            demo(),
            problems.clone(),
        );
    }
    watch.check();
    if !asked.load(Ordering::Relaxed) {
        return None;
    }
    let lines = problems.load().to_vec();
    Some(if lines.is_empty() { Ok(()) } else { Err(lines) })
}

/// A problem line as the console shows it: `path:line:col: message`, line and column from 1, then words.
fn located(problem: &str) -> bool {
    problem.match_indices(": ").any(|(i, _)| {
        let mut at = problem[..i].rsplitn(3, ':');
        let col = at.next().and_then(|c| c.parse::<usize>().ok());
        let line = at.next().and_then(|l| l.parse::<usize>().ok());
        let path = at.next();
        matches!((path, line, col), (Some(_), Some(l), Some(c)) if l >= 1 && c >= 1)
            && !problem[i + 2..].trim().is_empty()
    })
}

proptest! {
    // Each case writes the demo project to a folder of its own.
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// The hot reload as it runs: a file edited on disk, noticed by the watcher of its kind and loaded
    /// against the running project's tags. The console shows the problem lines it answers.
    #[test]
    fn edited_files_reload_into_located_problem_lines(rel in select(every_demo_file()), edits in edits()) {
        let dir = tempfile::tempdir().unwrap();
        write_demo(dir.path());
        let text = edited(original(&rel), &edits);
        std::fs::write(dir.path().join(&rel), &text).unwrap();
        match reload_answer(dir.path(), &rel) {
            None => prop_assert!(text == original(&rel), "the watcher missed an edit of {rel}"),
            Some(Ok(())) => {}
            Some(Err(lines)) => {
                prop_assert!(!lines.is_empty());
                for line in &lines {
                    prop_assert!(located(line), "{line}");
                }
            }
        }
    }
}

#[test]
fn the_unedited_demo_files_are_valid_and_reload_as_unchanged() {
    assert_eq!(project::check(demo()), Vec::new());
    assert!(project::screens::load(demo(), demo_tags()).is_ok());
    assert!(project::alarms::load(demo(), demo_tags()).is_ok());
    assert!(project::trips::load(demo(), demo_tags()).is_ok());
    // A copy on disk is what the running console loaded: the watchers see nothing to reload.
    let dir = tempfile::tempdir().unwrap();
    write_demo(dir.path());
    for rel in ["screens/ct01.toml", "alarms/ct01.toml"] {
        assert_eq!(reload_answer(dir.path(), rel), None, "{rel}");
    }
}
