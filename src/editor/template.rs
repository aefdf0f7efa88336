//! New screens from templates, one per ISA-101 level an engineer adds most: an L1 overview, an L2 unit
//! screen and an L3 equipment detail. Each is a valid screen file as it stands (title, canvas, a heading,
//! and for L2/L3 a link back to its parent), written in the shipped screens' style, to be filled in with
//! the editor.

use crate::lang::Lang;

/// The kinds of screen a template starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Template {
    Overview,
    Unit,
    Detail,
}

impl Template {
    pub const ALL: [Template; 3] = [Template::Overview, Template::Unit, Template::Detail];

    pub fn level(self) -> u8 {
        match self {
            Template::Overview => 1,
            Template::Unit => 2,
            Template::Detail => 3,
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Template::Overview => lang.pick("L1 overview", "N1 vista general"),
            Template::Unit => lang.pick("L2 unit", "N2 unidad"),
            Template::Detail => lang.pick("L3 equipment detail", "N3 detalle de equipo"),
        }
    }
}

/// Why a new screen's id is refused (`None`: it may be used): ids are file names too.
pub fn id_problem(id: &str) -> Option<&'static str> {
    if id.is_empty() {
        Some("give the screen an id")
    } else if id.len() > 64 {
        Some("an id has 64 characters at most")
    } else if !id
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
    {
        Some("an id is lowercase letters, digits, '-' and '_'")
    } else {
        None
    }
}

/// TOML's basic string for `s` (quotes and escapes).
fn quoted(s: &str) -> String {
    toml_edit::Value::from(s).to_string()
}

/// The file a new screen starts as. `parent` is needed for a unit or detail screen (its breadcrumbs and
/// link back); `title` is (English, Spanish).
pub fn new_screen(t: Template, id: &str, title: (&str, &str), parent: Option<&str>) -> String {
    let (en, es) = (quoted(title.0), quoted(title.1));
    let mut out = format!(
        "id = {}\ntitle = {{ en = {en}, es = {es} }}\nlevel = {}\n",
        quoted(id),
        t.level()
    );
    if let Some(p) = parent {
        out.push_str(&format!("parent = {}\n", quoted(p)));
    }
    out.push_str("canvas = [1580, 900]\n");
    out.push_str(&format!(
        "\n[[text]]                                             # the screen's heading\ntext = {{ en = {en}, es = {es} }}\nat = [790, 16]\nsize = \"large\"\n"
    ));
    match t {
        Template::Overview => out.push_str(
            "\n[[rect]]                                             # one tile per well or unit goes here\nat = [20, 70]\nsize = [1540, 810]\ndashed = true\n",
        ),
        Template::Unit | Template::Detail => {
            if let Some(p) = parent {
                out.push_str(&format!(
                    "\n[[nav]]                                              # back up the hierarchy\nto = {}\nat = [20, 16]\nsize = [160, 40]\n",
                    quoted(p)
                ));
            }
            let (w, h) = if t == Template::Unit { (1000, 780) } else { (1540, 780) };
            out.push_str(&format!(
                "\n[[rect]]                                             # the process: symbols and lines\nat = [20, 90]\nsize = [{w}, {h}]\ndashed = true\n"
            ));
            if t == Template::Unit {
                out.push_str(
                    "\n[[rect]]                                             # values, bars and trends\nat = [1040, 90]\nsize = [520, 780]\ndashed = true\n",
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::ProjectFiles;

    #[test]
    fn every_template_is_a_valid_screen_in_the_demo_project() {
        let files = ProjectFiles::embedded_demo();
        for t in Template::ALL {
            let parent = (t != Template::Overview).then_some("ct01");
            let text = new_screen(t, "new-screen", ("New \"screen\"", "Pantalla nueva"), parent);
            let problems = crate::editor::file::check(&files, "screens/new-screen.toml", &text);
            assert!(problems.is_empty(), "{t:?}: {problems:?}\n{text}");
            assert!(crate::editor::ScreenDoc::parse(&text).is_ok());
        }
    }

    #[test]
    fn ids_are_file_names() {
        assert!(id_problem("well-07").is_none());
        assert!(id_problem("").is_some());
        assert!(id_problem("../site").is_some());
        assert!(id_problem("Well").is_some());
    }
}
