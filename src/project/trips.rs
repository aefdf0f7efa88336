//! `[[trip]]` and `[[estop]]` tables in `alarms/*.toml`: trip rules and emergency stops.
//!
//! Validated against the site's tags into an immutable `TripSet`, or every problem at `path:line:col`.
//! A condition is a small expression: comparisons (`ct01/weight > 42000`), rates of change
//! (`rate(ct01/wellhead_pressure) > 600`, units per minute), joined with `and` / `or` and grouped with
//! parentheses. Outputs must be writable tags whose type fits the value written.

use super::alarms::{RawText, alarm_files, comparison, text};
use super::diag::{Diagnostic, SourceFile};
use super::files::ProjectFiles;
use super::parts::Parts;
use crate::expr::CmpOp;
use crate::tag::{TagDirectory, Value, ValueKind};
use crate::trip::{Cond, EstopDef, OnBad, Output, TripDef, TripSet};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use toml::Spanned;

/// A rule whose input is bad rides through this long at least before its fail-safe action, so a single
/// missed poll does not shut a job down.
const MIN_BAD_DELAY: Duration = Duration::from_secs(2);
const DEFAULT_RATE_WINDOW: Duration = Duration::from_secs(10);
/// One shift: a bypass must come back to the next crew unless the file allows less.
const DEFAULT_BYPASS_MAX: Duration = Duration::from_secs(8 * 3600);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOutput {
    tag: Spanned<String>,
    value: Spanned<toml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTrip {
    id: Spanned<String>,
    name: Spanned<RawText>,
    asset: Option<String>,
    when: Spanned<String>,
    delay_s: Option<Spanned<f64>>,
    on_bad: Option<Spanned<String>>,
    bad_delay_s: Option<Spanned<f64>>,
    rate_window_s: Option<Spanned<f64>>,
    action: Spanned<Vec<RawOutput>>,
    bypass_max_h: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEstop {
    id: Spanned<String>,
    label: Spanned<RawText>,
    asset: Option<String>,
    action: Spanned<Vec<RawOutput>>,
}

/// The trip rules and E-stops of one alarm file.
struct RawFile {
    trip: Vec<RawTrip>,
    estop: Vec<RawEstop>,
}

/// The `[[trip]]` and `[[estop]]` entries of one alarm file, each read on its own (every schema problem
/// pushed to `errs`), to be checked next. `None` when the file does not parse: the alarm loader, which
/// reads the same file, reports that once.
fn read(src: &SourceFile<'_>, errs: &mut Vec<Diagnostic>) -> Option<RawFile> {
    let mut parts = Parts::parse(src).ok()?;
    Some(RawFile {
        trip: parts.list("trip", src, errs),
        estop: parts.list("estop", src, errs),
    })
}

/// The schema problems of every trip rule and E-stop, for when there are no site tags to check them
/// against (`site.toml` has problems).
pub(super) fn read_problems(files: &ProjectFiles) -> Vec<Diagnostic> {
    let mut errs = Vec::new();
    for (rel, text) in alarm_files(files) {
        let path = files.display_path(rel);
        read(&SourceFile::new(&path, text), &mut errs);
    }
    errs
}

/// Loads every trip rule and E-stop in `alarms/*.toml`.
pub fn load(files: &ProjectFiles, tags: &TagDirectory) -> Result<TripSet, Vec<Diagnostic>> {
    let mut errs = Vec::new();
    let mut trips = Vec::new();
    let mut estops = Vec::new();
    let mut rate_slots = Vec::new();
    let mut ids: HashMap<String, String> = HashMap::new();
    for (rel, text) in alarm_files(files) {
        let path = files.display_path(rel);
        let src = SourceFile::new(&path, text);
        let Some(raw) = read(&src, &mut errs) else {
            continue;
        };
        let mut unique = |id: &Spanned<String>, errs: &mut Vec<Diagnostic>| {
            let (line, col) = src.line_col(id.span().start);
            if let Some(first) = ids.get(id.get_ref()) {
                errs.push(src.at(
                    id.span(),
                    format!("'{}' is defined twice (first at {first})", id.get_ref()),
                ));
                return false;
            }
            ids.insert(id.get_ref().clone(), format!("{path}:{line}:{col}"));
            true
        };
        for t in raw.trip {
            if unique(&t.id, &mut errs)
                && let Some(d) = trip(t, &src, tags, &mut rate_slots, &mut errs)
            {
                trips.push(Arc::new(d));
            }
        }
        for e in raw.estop {
            if unique(&e.id, &mut errs)
                && let Some(d) = estop(e, &src, tags, &mut errs)
            {
                estops.push(Arc::new(d));
            }
        }
    }
    if errs.is_empty() {
        Ok(TripSet::new(trips, estops, rate_slots, tags.len()))
    } else {
        Err(errs)
    }
}

fn secs(
    v: &Option<Spanned<f64>>,
    what: &str,
    max: f64,
    src: &SourceFile<'_>,
    errs: &mut Vec<Diagnostic>,
) -> Option<Duration> {
    let v = v.as_ref()?;
    let x = *v.get_ref();
    if x.is_finite() && (0.0..=max).contains(&x) {
        Some(Duration::from_secs_f64(x))
    } else {
        errs.push(src.at(v.span(), format!("{what} must be between 0 and {max}")));
        None
    }
}

fn outputs(
    raw: Spanned<Vec<RawOutput>>,
    src: &SourceFile<'_>,
    tags: &TagDirectory,
    errs: &mut Vec<Diagnostic>,
) -> Vec<Output> {
    if raw.get_ref().is_empty() {
        errs.push(src.at(
            raw.span(),
            "action needs at least one output, e.g. action = [{ tag = \"ct01/shutdown\", value = true }]",
        ));
    }
    let mut out = Vec::new();
    for o in raw.into_inner() {
        let name = o.tag.get_ref();
        let Some(def) = tags.by_name(name) else {
            errs.push(src.at(o.tag.span(), format!("unknown tag '{name}' (not defined in site.toml)")));
            continue;
        };
        if !def.writable {
            errs.push(src.at(
                o.tag.span(),
                format!("'{name}' is not writable; a trip output must be a tag with writable = true"),
            ));
            continue;
        }
        match written_value(o.value.get_ref(), def) {
            Ok(value) => out.push(Output {
                tag: def.id,
                tag_name: def.name.as_str().into(),
                value,
            }),
            Err(why) => errs.push(src.at(o.value.span(), why)),
        }
    }
    out
}

/// A value written in a file (trip output, screen command) as a value of `def`'s type, or why it is not one.
pub(super) fn written_value(v: &toml::Value, def: &crate::tag::TagDef) -> Result<Value, String> {
    match (v, def.kind) {
        (toml::Value::Boolean(b), ValueKind::Bool) => Ok(Value::Bool(*b)),
        (toml::Value::Integer(i), ValueKind::I64) => Ok(Value::I64(*i)),
        (toml::Value::Integer(i), ValueKind::F64) => Ok(Value::F64(*i as f64)),
        (toml::Value::Float(x), ValueKind::F64) if x.is_finite() => Ok(Value::F64(*x)),
        (toml::Value::String(s), ValueKind::String) => Ok(Value::str(s)),
        _ => {
            let holds = match def.kind {
                ValueKind::Bool => "true/false",
                ValueKind::I64 => "a whole number",
                ValueKind::F64 => "a number",
                ValueKind::String => "text",
            };
            Err(format!("{v} cannot be written to '{}', which holds {holds}", def.name))
        }
    }
}

fn trip(
    t: RawTrip,
    src: &SourceFile<'_>,
    tags: &TagDirectory,
    rate_slots: &mut Vec<(crate::tag::TagId, Duration)>,
    errs: &mut Vec<Diagnostic>,
) -> Option<TripDef> {
    let before = errs.len();
    let outer = t.name.span();
    let name = text(Some(t.name), "name", true, outer, src, errs);
    let window = secs(&t.rate_window_s, "rate_window_s", 3600.0, src, errs).unwrap_or(DEFAULT_RATE_WINDOW);
    if window < Duration::from_millis(100) {
        errs.push(src.at(
            t.rate_window_s.as_ref().map_or(t.when.span(), Spanned::span),
            "rate_window_s must be at least 0.1",
        ));
    }
    let mut slots = Vec::new();
    let cond = match parse_condition(t.when.get_ref(), tags, &mut slots) {
        Ok(c) => Some(c),
        Err(why) => {
            errs.push(src.at(t.when.span(), format!("when '{}': {why}", clip(t.when.get_ref()))));
            None
        }
    };
    if let Some(w) = &t.rate_window_s
        && slots.is_empty()
        && cond.is_some()
    {
        errs.push(src.at(
            w.span(),
            "rate_window_s has no meaning without a rate(TAG) term in when",
        ));
    }
    let delay = secs(&t.delay_s, "delay_s", 3600.0, src, errs).unwrap_or_default();
    let bad_delay = secs(&t.bad_delay_s, "bad_delay_s", 3600.0, src, errs).unwrap_or(delay.max(MIN_BAD_DELAY));
    let on_bad = match t.on_bad.as_ref() {
        None => OnBad::Trip,
        Some(s) => match s.get_ref().as_str() {
            "trip" => OnBad::Trip,
            "alarm" => OnBad::Alarm,
            other => {
                errs.push(src.at(
                    s.span(),
                    format!("on_bad '{other}': expected \"trip\" (go to the safe state) or \"alarm\" (announce only)"),
                ));
                OnBad::Trip
            }
        },
    };
    let bypass_max = match &t.bypass_max_h {
        None => DEFAULT_BYPASS_MAX,
        Some(h) if h.get_ref().is_finite() && (0.0..=24.0 * 7.0).contains(h.get_ref()) => {
            Duration::from_secs_f64(h.get_ref() * 3600.0)
        }
        Some(h) => {
            errs.push(src.at(
                h.span(),
                "bypass_max_h must be between 0 (never bypassed) and 168 hours",
            ));
            DEFAULT_BYPASS_MAX
        }
    };
    let outs = outputs(t.action, src, tags, errs);
    let cond = cond?;
    if errs.len() > before {
        return None;
    }
    let mut read = Vec::new();
    cond.tags(&mut read);
    let asset = t.asset.unwrap_or_else(|| {
        read.first()
            .and_then(|&id| tags.get(id))
            .map_or_else(String::new, |d| d.device().to_owned())
    });
    // Number this rule's rate terms into the set's slots.
    let base = rate_slots.len();
    rate_slots.extend(slots.iter().map(|&tag| (tag, window)));
    let cond = renumber(cond, base);
    Some(TripDef {
        id: t.id.get_ref().as_str().into(),
        name,
        asset: asset.into(),
        cond,
        source: t.when.get_ref().trim().into(),
        delay,
        on_bad,
        bad_delay,
        outputs: outs,
        bypass_max,
    })
}

fn renumber(c: Cond, base: usize) -> Cond {
    match c {
        Cond::Rate { tag, op, per_min, slot } => Cond::Rate {
            tag,
            op,
            per_min,
            slot: slot + base,
        },
        Cond::All(v) => Cond::All(v.into_iter().map(|c| renumber(c, base)).collect()),
        Cond::Any(v) => Cond::Any(v.into_iter().map(|c| renumber(c, base)).collect()),
        c @ Cond::Cmp(_) => c,
    }
}

fn estop(e: RawEstop, src: &SourceFile<'_>, tags: &TagDirectory, errs: &mut Vec<Diagnostic>) -> Option<EstopDef> {
    let before = errs.len();
    let outer = e.label.span();
    let label = text(Some(e.label), "label", true, outer, src, errs);
    let outs = outputs(e.action, src, tags, errs);
    if errs.len() > before {
        return None;
    }
    let asset = e.asset.unwrap_or_else(|| {
        outs.first()
            .and_then(|o| tags.get(o.tag))
            .map_or_else(String::new, |d| d.device().to_owned())
    });
    Some(EstopDef {
        id: e.id.get_ref().as_str().into(),
        label,
        asset: asset.into(),
        outputs: outs,
    })
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Open,
    Close,
    And,
    Or,
    /// A comparison or rate term, as written.
    Term(String),
}

/// Ends the current term if it ends with the word `and` or `or` (words of their own: a tag named
/// `brand/x` is not split); true if it did.
fn split_word(term: &mut String, out: &mut Vec<Token>) -> bool {
    let t = term.trim_end();
    let ends = |w: &str| t == w || t.ends_with(&format!(" {w}"));
    let (op, len) = if ends("and") {
        (Token::And, 3)
    } else if ends("or") {
        (Token::Or, 2)
    } else {
        return false;
    };
    let rest = t[..t.len() - len].trim().to_owned();
    if !rest.is_empty() {
        out.push(Token::Term(rest));
    }
    out.push(op);
    term.clear();
    true
}

fn tokenize(s: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let mut term = String::new();
    let mut quoted = false;
    let mut chars = s.chars().peekable();
    let flush = |term: &mut String, out: &mut Vec<Token>| {
        let t = term.trim();
        if !t.is_empty() {
            out.push(Token::Term(t.to_owned()));
        }
        term.clear();
    };
    while let Some(c) = chars.next() {
        if quoted {
            term.push(c);
            quoted = c != '"';
            continue;
        }
        match c {
            '"' => {
                quoted = true;
                term.push(c);
            }
            '(' if term.trim_end().ends_with("rate") => {
                // rate(TAG): the parentheses belong to the term.
                term.push(c);
                for c in chars.by_ref() {
                    term.push(c);
                    if c == ')' {
                        break;
                    }
                }
            }
            '(' => {
                flush(&mut term, &mut out);
                out.push(Token::Open);
            }
            ')' => {
                flush(&mut term, &mut out);
                out.push(Token::Close);
            }
            c if c.is_whitespace() => {
                if !split_word(&mut term, &mut out) {
                    term.push(c);
                }
            }
            c => term.push(c),
        }
    }
    split_word(&mut term, &mut out);
    if quoted {
        return Err("a quoted string is not closed".into());
    }
    flush(&mut term, &mut out);
    Ok(out)
}

/// Parentheses a `when` may nest. Rules people write use two or three; evaluation, the Trips page's text,
/// `renumber` and dropping a condition recurse once per level, on threads with ordinary stacks, so the
/// parser is where depth is bounded (a file nested thousands deep must not take the console down).
pub const MAX_NESTING: usize = 32;
/// The longest `when`, in bytes.
pub const MAX_CONDITION_LEN: usize = 4096;
/// Terms (comparisons and rates) one `when` may join: bounds evaluation work per update.
pub const MAX_TERMS: usize = 256;

struct Parser<'a> {
    tokens: Vec<Token>,
    pos: usize,
    depth: usize,
    tags: &'a TagDirectory,
    slots: &'a mut Vec<crate::tag::TagId>,
}

impl Parser<'_> {
    fn or(&mut self) -> Result<Cond, String> {
        let mut v = vec![self.and()?];
        while self.tokens.get(self.pos) == Some(&Token::Or) {
            self.pos += 1;
            v.push(self.and()?);
        }
        Ok(match v.len() {
            1 => v.swap_remove(0),
            _ => Cond::Any(v),
        })
    }

    fn and(&mut self) -> Result<Cond, String> {
        let mut v = vec![self.atom()?];
        while self.tokens.get(self.pos) == Some(&Token::And) {
            self.pos += 1;
            v.push(self.atom()?);
        }
        Ok(match v.len() {
            1 => v.swap_remove(0),
            _ => Cond::All(v),
        })
    }

    fn atom(&mut self) -> Result<Cond, String> {
        let t = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        match t {
            Some(Token::Open) => {
                if self.depth >= MAX_NESTING {
                    return Err(format!("parentheses nest more than {MAX_NESTING} deep"));
                }
                self.depth += 1;
                let c = self.or();
                self.depth -= 1;
                let c = c?;
                if self.tokens.get(self.pos) != Some(&Token::Close) {
                    return Err("a '(' is not closed".into());
                }
                self.pos += 1;
                Ok(c)
            }
            Some(Token::Term(s)) => self.term(&s),
            Some(Token::Close) => Err("unexpected ')'".into()),
            Some(Token::And | Token::Or) => Err("'and'/'or' needs a condition on each side".into()),
            None => Err("a condition is missing at the end".into()),
        }
    }

    fn term(&mut self, s: &str) -> Result<Cond, String> {
        if let Some(rest) = s.strip_prefix("rate(") {
            let (tag, cmp) = rest.split_once(')').ok_or("rate( needs a closing ')'")?;
            let tag = tag.trim();
            let def = self.tags.by_name(tag).ok_or_else(|| format!("unknown tag '{tag}'"))?;
            if !matches!(def.kind, ValueKind::F64 | ValueKind::I64) {
                return Err(format!("rate({tag}) needs a numeric tag"));
            }
            let cmp = cmp.trim();
            let ops = [(">=", CmpOp::Ge), ("<=", CmpOp::Le), (">", CmpOp::Gt), ("<", CmpOp::Lt)];
            let (op, rhs) = ops
                .iter()
                .find_map(|(t, op)| cmp.strip_prefix(t).map(|r| (*op, r.trim())))
                .ok_or("rate(TAG) must be compared with > >= < <= and a number of units per minute")?;
            let per_min: f64 = rhs
                .parse()
                .ok()
                .filter(|x: &f64| x.is_finite())
                .ok_or_else(|| format!("'{rhs}' is not a number (units per minute)"))?;
            self.slots.push(def.id);
            return Ok(Cond::Rate {
                tag: def.id,
                op,
                per_min,
                slot: self.slots.len() - 1,
            });
        }
        comparison(s, self.tags).map(Cond::Cmp)
    }
}

/// A `when` as quoted in a message: whole when short, its start otherwise (a 15,000-parenthesis condition
/// must not make a 30 kB line).
fn clip(s: &str) -> String {
    if s.chars().count() <= 80 {
        s.to_owned()
    } else {
        format!("{}…", s.chars().take(60).collect::<String>())
    }
}

/// Parses a `when` expression; rate terms get slots numbered from 0 in `slots`.
pub fn parse_condition(s: &str, tags: &TagDirectory, slots: &mut Vec<crate::tag::TagId>) -> Result<Cond, String> {
    if s.len() > MAX_CONDITION_LEN {
        return Err(format!(
            "the condition is {} bytes long; at most {MAX_CONDITION_LEN} (split it into several trips)",
            s.len()
        ));
    }
    let tokens = tokenize(s)?;
    if tokens.is_empty() {
        return Err("the condition is empty".into());
    }
    let terms = tokens.iter().filter(|t| matches!(t, Token::Term(_))).count();
    if terms > MAX_TERMS {
        return Err(format!(
            "the condition joins {terms} terms; at most {MAX_TERMS} (split it into several trips)"
        ));
    }
    let mut p = Parser {
        tokens,
        pos: 0,
        depth: 0,
        tags,
        slots,
    };
    let c = p.or()?;
    if p.pos < p.tokens.len() {
        return Err(match &p.tokens[p.pos] {
            Token::Close => "unexpected ')'".into(),
            _ => "conditions must be joined with 'and' or 'or'".into(),
        });
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tag::{DriverId, TagDef, TagId};

    fn dir() -> TagDirectory {
        let mk = |i: u32, name: &str, kind| TagDef {
            id: TagId(i),
            name: name.into(),
            description: String::new(),
            description_es: String::new(),
            label: Default::default(),
            unit: String::new(),
            kind,
            range: None,
            decimals: 0,
            driver: DriverId(0),
            address: name.into(),
            stale_after: Duration::from_secs(10),
            writable: false,
            history: Default::default(),
        };
        TagDirectory::new(vec![
            mk(0, "brand/or", ValueKind::F64),
            mk(1, "land/and", ValueKind::F64),
            mk(2, "w/phase", ValueKind::String),
        ])
    }

    fn shape(c: &Cond) -> String {
        match c {
            Cond::Cmp(c) => format!("t{}", c.tag.0),
            Cond::Rate { tag, slot, .. } => format!("r{}@{slot}", tag.0),
            Cond::All(v) => format!("all({})", v.iter().map(shape).collect::<Vec<_>>().join(",")),
            Cond::Any(v) => format!("any({})", v.iter().map(shape).collect::<Vec<_>>().join(",")),
        }
    }

    #[test]
    fn conditions_parse_with_precedence_groups_rates_and_awkward_names() {
        let d = dir();
        let cases = [
            ("brand/or > 1", "t0"),
            ("brand/or > 1 and land/and < 2", "all(t0,t1)"),
            (
                "brand/or > 1 or land/and < 2 and w/phase == \"POOH and RIH\"",
                "any(t0,all(t1,t2))",
            ),
            (
                "(brand/or > 1 or land/and < 2) and w/phase != \"x or y\"",
                "all(any(t0,t1),t2)",
            ),
            ("rate(brand/or) > 600 or rate( land/and ) <= -5", "any(r0@0,r1@1)"),
        ];
        for (text, want) in cases {
            let mut slots = Vec::new();
            let c = parse_condition(text, &d, &mut slots).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(shape(&c), want, "{text}");
        }
        for (text, why) in [
            ("", "empty"),
            ("brand/or > 1 and", "missing at the end"),
            ("and brand/or > 1", "needs a condition on each side"),
            ("(brand/or > 1", "not closed"),
            ("brand/or > 1)", "unexpected ')'"),
            ("w/phase == \"open", "not closed"),
            ("rate(w/phase) > 1", "numeric"),
            ("rate(brand/or) == 1", "must be compared with > >= < <="),
        ] {
            let e = parse_condition(text, &d, &mut Vec::new()).unwrap_err();
            assert!(e.contains(why), "{text}: {e}");
        }
    }

    #[test]
    fn depth_length_terms_and_non_finite_numbers_are_bounded() {
        let d = dir();
        let nest = |n: usize| format!("{}brand/or > 1{}", "(".repeat(n), ")".repeat(n));
        let mut slots = Vec::new();
        assert!(parse_condition(&nest(MAX_NESTING), &d, &mut slots).is_ok());
        let deep = |n: usize| {
            // Each level a real node (alternating and/or), not only redundant parentheses.
            let mut s = String::from("brand/or > 1");
            for i in 0..n {
                let op = if i % 2 == 0 { "and" } else { "or" };
                s = format!("land/and < 2 {op} ({s})");
            }
            s
        };
        assert!(parse_condition(&deep(20), &d, &mut Vec::new()).is_ok());
        for (text, why) in [
            (nest(MAX_NESTING + 1), "nest more than 32 deep"),
            (nest(15_000), "bytes long; at most 4096"),
            (deep(200), "nest more than 32 deep"),
            (deep(300), "bytes long"),
            (nest(1_500), "nest more than 32 deep"),
            (vec!["brand/or > 1"; 300].join(" or "), "bytes long"),
            (vec!["brand/or>1"; 260].join(" or "), "joins 260 terms; at most 256"),
            ("brand/or > NaN".to_owned(), "is not a finite number"),
            ("brand/or > inf".to_owned(), "is not a finite number"),
            ("brand/or < -infinity".to_owned(), "is not a finite number"),
            ("brand/or > 1e400".to_owned(), "is not a finite number"),
            ("rate(brand/or) > NaN".to_owned(), "is not a number"),
        ] {
            let e = parse_condition(&text, &d, &mut Vec::new()).unwrap_err();
            assert!(e.contains(why), "{}: {e}", clip(&text));
        }
        assert!(clip(&nest(15_000)).chars().count() <= 61);
    }
}
