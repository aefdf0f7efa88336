//! Calculated tags in `site.toml` (`[[tag]] expr = "…"`): their expressions compiled against the whole tag
//! directory, in dependency order, each problem at `path:line:col` inside the expression's string.
//!
//! Owns the checks that need every tag: unknown tags, type errors (and the declared `type` against the
//! expression's), limits, and cycles between calculated tags. The fields a calculated tag may have are
//! checked in `site`; the expression language is the `expr` room's.

use super::diag::{Diagnostic, SourceFile};
use super::site::kind_name;
use crate::calculated::{CalcSet, CalcTag, dependency_order};
use crate::expr::{self, Ast, Type};
use crate::tag::{TagDef, TagId, ValueKind};
use std::collections::HashMap;
use std::ops::Range;
use toml::Spanned;

/// A calculated tag read from the file, its expression not compiled yet.
pub(super) struct PendingCalc {
    pub(super) tag: TagId,
    pub(super) expr: Spanned<String>,
    /// The `type` given, and where.
    pub(super) declared: Option<(ValueKind, Range<usize>)>,
}

/// Compiles every calculated tag and settles its kind in `defs` (a number is `f64`). Problems go to `errs`;
/// the set holds the tags that compiled (the site is refused anyway when there are problems).
pub(super) fn compile(
    pending: Vec<PendingCalc>,
    defs: &mut [TagDef],
    src: &SourceFile<'_>,
    errs: &mut Vec<Diagnostic>,
) -> CalcSet {
    if pending.is_empty() {
        return CalcSet::default();
    }
    let at =
        |p: &PendingCalc, span: expr::Span, message: String| src.at_in_string(p.expr.span(), span.range(), message);
    let asts: Vec<Option<Ast>> = pending
        .iter()
        .map(|p| match expr::parse(p.expr.get_ref()) {
            Ok(ast) => Some(ast),
            Err(e) => {
                errs.push(at(p, e.span, e.to_string()));
                None
            }
        })
        .collect();
    let by_name: HashMap<&str, TagId> = defs.iter().map(|d| (d.name.as_str(), d.id)).collect();
    let position: HashMap<TagId, usize> = pending.iter().enumerate().map(|(i, p)| (p.tag, i)).collect();
    // The calculated tags each one names, and where.
    let reads: Vec<Vec<(usize, expr::Span)>> = asts
        .iter()
        .map(|ast| {
            ast.as_ref().map_or_else(Vec::new, |ast| {
                ast.tag_names()
                    .into_iter()
                    .filter_map(|(name, span)| Some((*position.get(by_name.get(name)?)?, span)))
                    .collect()
            })
        })
        .collect();
    let deps: Vec<Vec<usize>> = reads.iter().map(|r| r.iter().map(|&(i, _)| i).collect()).collect();
    let ordered = dependency_order(pending.len(), |i| deps[i].as_slice());
    let name_of = |i: usize| defs.get(pending[i].tag.index()).map_or("?", |d| d.name.as_str());
    let mut in_cycle = vec![false; pending.len()];
    for cycle in &ordered.cycles {
        let (first, next) = (cycle[0], *cycle.get(1).unwrap_or(&cycle[0]));
        for &i in cycle {
            in_cycle[i] = true;
        }
        let message = if cycle.len() == 1 {
            format!(
                "'{}' reads itself: a calculated tag cannot use its own value",
                name_of(first)
            )
        } else {
            let ring: Vec<&str> = cycle.iter().chain([&first]).map(|&i| name_of(i)).collect();
            format!(
                "calculated tags read each other in a cycle ({}), so none of them can be computed first",
                ring.join(" → ")
            )
        };
        // At the place the first one names the next.
        let span = reads[first]
            .iter()
            .find(|(j, _)| *j == next)
            .map_or(expr::Span::default(), |&(_, span)| span);
        errs.push(at(&pending[first], span, message));
    }

    // Each calculated tag after the ones it reads, so their types are known when it is checked; then those
    // in or behind a cycle, for their own problems.
    let mut types: Vec<Option<Type>> = defs.iter().map(|d| Some(Type::of(d.kind))).collect();
    for p in &pending {
        if let Some(t) = types.get_mut(p.tag.index()) {
            *t = p.declared.as_ref().map(|(k, _)| Type::of(*k));
        }
    }
    let mut ordered_too = vec![false; pending.len()];
    for &i in &ordered.order {
        ordered_too[i] = true;
    }
    let sequence = ordered
        .order
        .iter()
        .copied()
        .chain((0..pending.len()).filter(|&i| !ordered_too[i]));
    let mut calcs = Vec::new();
    let mut kinds = Vec::new();
    for i in sequence {
        let (Some(ast), p) = (&asts[i], &pending[i]) else {
            continue;
        };
        let resolve = |name: &str| {
            by_name
                .get(name)
                .map(|&id| (id, types.get(id.index()).copied().flatten()))
        };
        let compiled = match expr::compile(ast, &resolve) {
            Ok(c) => c,
            Err(problems) => {
                errs.extend(problems.into_iter().map(|e| at(p, e.span, e.to_string())));
                continue;
            }
        };
        let ty = compiled.ty();
        if let Some(t) = types.get_mut(p.tag.index()) {
            *t = Some(ty);
        }
        if let Some((kind, span)) = &p.declared {
            let same = Type::of(*kind) == ty && (ty != Type::Number || *kind == ValueKind::F64);
            if !same {
                let why = if Type::of(*kind) == ty {
                    "a calculated number is f64: declare type = \"f64\" or leave type out".to_owned()
                } else {
                    format!(
                        "the expression gives {} but the tag is declared {}",
                        ty.name(),
                        kind_name(*kind)
                    )
                };
                errs.push(src.at(span.clone(), why));
            }
        }
        if !in_cycle[i] {
            kinds.push((p.tag, ty.kind()));
            calcs.push(CalcTag {
                tag: p.tag,
                expr: compiled,
            });
        }
    }
    for (tag, kind) in kinds {
        if let Some(d) = defs.get_mut(tag.index()) {
            d.kind = kind;
        }
    }
    match CalcSet::new(calcs, defs.len()) {
        Ok(set) => set,
        Err(e) => {
            // Cycles were left out above; this is a bug, said rather than hidden.
            errs.push(src.at(pending[0].expr.span(), e.to_string()));
            CalcSet::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::project::diag::Diagnostic;
    use crate::project::files::ProjectFiles;
    use crate::project::site::{self, CALC_DRIVER, DriverKind, Site};
    use crate::tag::ValueKind;
    use std::time::Duration;

    const SITE: &str = include_str!("../../site.toml");

    fn load(site_text: &str) -> Result<Site, Vec<Diagnostic>> {
        site::load(&ProjectFiles::demo_with_site(site_text))
    }

    /// The demo site with `extra` appended.
    fn with(extra: &str) -> String {
        format!("{SITE}\n{extra}")
    }

    /// `path:line:col` of the last place `needle` is written in `text` (the appended part comes last).
    fn place(text: &str, needle: &str) -> String {
        let i = text
            .rfind(needle)
            .unwrap_or_else(|| panic!("'{needle}' is in the text"));
        let line = text[..i].matches('\n').count() + 1;
        let col = text[..i].rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        format!("<memory>/site.toml:{line}:{col}")
    }

    fn problems(text: &str) -> Vec<String> {
        match load(text) {
            Ok(_) => panic!("loaded"),
            Err(e) => e.iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn the_demo_has_calculated_tags_on_their_own_driver() {
        let site = load(SITE).expect("the demo is valid");
        assert!(site.calculated.len() >= 4, "GOR, WOR, pump ΔP and an average");
        let calc = site
            .drivers
            .iter()
            .find(|d| matches!(d.kind, DriverKind::Calc))
            .expect("the calc driver");
        assert_eq!(
            (calc.name.as_str(), calc.kind.label(), calc.kind.polls()),
            (CALC_DRIVER, "calc", false)
        );
        let gor = site.tags.by_name("sep01/gor").expect("sep01/gor");
        assert_eq!(gor.driver, calc.id);
        assert_eq!(gor.kind, ValueKind::F64);
        assert_eq!(
            gor.address, "avg(sep01/gas_rate, 10min) * 1000 / avg(sep01/oil_rate, 10min)",
            "the browser shows the expression"
        );
        assert_eq!(gor.stale_after, Duration::MAX);
        assert!(!gor.writable);
        assert!(
            site.calculated
                .tags()
                .iter()
                .any(|c| c.tag == gor.id && c.expr.inputs().len() == 2)
        );
        // A site without calculated tags has no calc driver.
        let plain = SITE
            .split("# ---- calculated tags ----")
            .next()
            .expect("the demo's measured part");
        let site = load(plain).expect("valid without them");
        assert!(site.calculated.is_empty());
        assert!(site.drivers.iter().all(|d| !matches!(d.kind, DriverKind::Calc)));
    }

    #[test]
    fn types_follow_the_expression_and_calculated_tags_read_each_other_in_any_order() {
        let text = with(
            r#"
[[tag]]
name = "calc/high_gor"
expr = "calc/gor_double > 4000"

[[tag]]
name = "calc/gor_double"
expr = "sep01/gor * 2"

[[tag]]
name = "calc/mode"
expr = "if esp01/running then \"RUN\" else ct01/job_phase"
"#,
        );
        let site = load(&text).unwrap_or_else(|e| panic!("{e:?}"));
        let kind = |n: &str| site.tags.by_name(n).expect("defined").kind;
        assert_eq!(kind("calc/high_gor"), ValueKind::Bool);
        assert_eq!(kind("calc/gor_double"), ValueKind::F64);
        assert_eq!(kind("calc/mode"), ValueKind::String);
        let order: Vec<&str> = site
            .calculated
            .tags()
            .iter()
            .map(|c| site.tags.get(c.tag).expect("a tag").name.as_str())
            .collect();
        let pos = |n: &str| order.iter().position(|o| *o == n).expect("calculated");
        assert!(pos("sep01/gor") < pos("calc/gor_double") && pos("calc/gor_double") < pos("calc/high_gor"));
    }

    #[test]
    fn problems_point_inside_the_expression() {
        let text = with(
            r#"
[[tag]]
name = "calc/a"
expr = "sep01/gas_rate/sep01/oil_rate + sep01/nosuch"

[[tag]]
name = "calc/b"
expr = "if ct01/job_phase == \"RIH\" then 1 else ct01/job_phase"

[[tag]]
name = "calc/c"
type = "bool"
expr = "sep01/oil_rate * 2"

[[tag]]
name = "calc/d"
expr = "calc/e + 1"

[[tag]]
name = "calc/e"
expr = """
  calc/d * 2"""

[[tag]]
name = "calc/f"
driver = "sim"
writable = true
expr = "(1 + 2"
"#,
        );
        let got = problems(&text);
        let want = [
            format!(
                "{}: unknown tag 'sep01/gas_rate/sep01/oil_rate' (to divide, put spaces around the operator: 'sep01/gas_rate / sep01/oil_rate')",
                place(&text, "sep01/gas_rate/sep01/oil_rate")
            ),
            format!("{}: unknown tag 'sep01/nosuch'", place(&text, "sep01/nosuch")),
            format!(
                "{}: both branches of 'if' must give the same type: 'then' gives a number, 'else' gives text",
                place(&text, "ct01/job_phase\"\n")
            ),
            format!(
                "{}: the expression gives a number but the tag is declared bool",
                place(&text, "\"bool\"")
            ),
            format!(
                "{}: calculated tags read each other in a cycle (calc/d → calc/e → calc/d), so none of them can be computed first",
                place(&text, "calc/e + 1")
            ),
            format!(
                "{}: a calculated tag (one with expr) has no driver: leave driver out",
                place(&text, "\"sim\"\nwritable")
            ),
            format!(
                "{}: a calculated tag cannot be written: its value comes from its expression",
                place(&text, "true\nexpr = \"(1")
            ),
            format!("{}: this '(' is not closed", place(&text, "(1 + 2")),
        ];
        for w in &want {
            assert!(got.contains(w), "missing\n  {w}\nin\n  {}", got.join("\n  "));
        }
        assert_eq!(got.len(), want.len(), "{}", got.join("\n"));
    }

    #[test]
    fn the_calc_driver_name_is_kept_and_a_tag_needs_a_driver_or_an_expression() {
        let text = with(
            r#"
[[driver]]
name = "calc"
kind = "sim"

[[tag]]
name = "calc/x"
driver = "calc"

[[tag]]
name = "calc/y"
type = "f64"
"#,
        );
        let got = problems(&text);
        assert_eq!(
            got,
            [
                format!(
                    "{}: the driver name 'calc' is kept for calculated tags (tags with expr = \"…\"); give this driver another name",
                    place(&text, "\"calc\"\nkind")
                ),
                format!(
                    "{}: tag 'calc/y' needs driver = \"…\" (where its value comes from), or expr = \"…\" to be calculated",
                    place(&text, "\"calc/y\"")
                ),
            ]
        );
    }
}
