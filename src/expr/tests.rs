//! The language as an engineer writes it: precedence, tag names with '/', the spaces rule, every error
//! message at its place, the limits, quality propagation, math errors, `if` laziness and the windows of
//! `avg` and `rate` on a synthetic clock.

use super::*;
use crate::tag::{BadReason, DriverId, Quality, TagDef, TagDirectory, TagId, Timestamp, Value, ValueKind};
use std::time::Duration;

const GAS: TagId = TagId(0);
const OIL: TagId = TagId(1);
const RUNNING: TagId = TagId(3);
const PHASE: TagId = TagId(4);

/// 2026-11-18 11:06:40 UTC: whole seconds, so one-second buckets start on the second.
const T0: Timestamp = Timestamp(1_795_000_000_000_000);

fn at(secs: f64) -> Timestamp {
    T0.plus(Duration::from_secs_f64(secs))
}

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
        decimals: 2,
        driver: DriverId(0),
        address: name.into(),
        stale_after: Duration::from_secs(5),
        writable: false,
        history: Default::default(),
    };
    TagDirectory::new(vec![
        mk(0, "sep01/gas_rate", ValueKind::F64),
        mk(1, "sep01/oil_rate", ValueKind::F64),
        mk(2, "sep01/water_rate", ValueKind::F64),
        mk(3, "esp01/running", ValueKind::Bool),
        mk(4, "ct01/job_phase", ValueKind::String),
        mk(5, "ct01/layer", ValueKind::I64),
        mk(6, "1st/stage", ValueKind::F64),
        mk(7, "if", ValueKind::F64),
    ])
}

/// Inputs with every reading set by the test.
#[derive(Clone)]
struct Fake(Vec<(Option<Value>, Quality, Timestamp)>);

impl Fake {
    /// Every tag good, with a value of its kind, measured at T0.
    fn new() -> Self {
        Fake(vec![
            (Some(Value::F64(1000.0)), Quality::Good, T0),
            (Some(Value::F64(500.0)), Quality::Good, T0),
            (Some(Value::F64(250.0)), Quality::Good, T0),
            (Some(Value::Bool(true)), Quality::Good, T0),
            (Some(Value::str("RIH")), Quality::Good, T0),
            (Some(Value::I64(3)), Quality::Good, T0),
            (Some(Value::F64(7.0)), Quality::Good, T0),
            (Some(Value::F64(2.0)), Quality::Good, T0),
        ])
    }

    fn set(mut self, tag: TagId, value: Option<Value>, quality: Quality, ts: Timestamp) -> Self {
        self.0[tag.index()] = (value, quality, ts);
        self
    }

    fn value(self, tag: TagId, x: f64) -> Self {
        let (q, ts) = (self.0[tag.index()].1, self.0[tag.index()].2);
        self.set(tag, Some(Value::F64(x)), q, ts)
    }

    fn bad(self, tag: TagId, why: BadReason) -> Self {
        let (v, _, ts) = self.0[tag.index()].clone();
        self.set(tag, v, Quality::Bad(why), ts)
    }
}

impl Inputs for Fake {
    fn input(&self, tag: TagId) -> Option<Input<'_>> {
        self.0.get(tag.index()).map(|(v, q, ts)| Input {
            value: v.as_ref(),
            quality: *q,
            ts: *ts,
        })
    }
}

fn compiled(text: &str) -> Compiled {
    compile_str(text, &dir()).unwrap_or_else(|e| panic!("{text}: {e:?}"))
}

fn eval_in(text: &str, inputs: &Fake) -> Outcome {
    let c = compiled(text);
    c.eval(&mut c.new_state(), inputs, at(100.0))
}

fn num(text: &str) -> f64 {
    match eval_in(text, &Fake::new()).value {
        Ok(Value::F64(x)) => x,
        other => panic!("{text}: {other:?}"),
    }
}

fn errors(text: &str) -> Vec<ExprError> {
    compile_str(text, &dir()).expect_err(text)
}

#[test]
fn precedence_and_associativity_are_the_usual_ones() {
    for (text, want) in [
        ("1 + 2 * 3", 7.0),
        ("(1 + 2) * 3", 9.0),
        ("10 - 4 - 3", 3.0),
        ("2 ^ 3 ^ 2", 512.0),
        ("-2 ^ 2", -4.0),
        ("2 ^ -1", 0.5),
        ("- - 3", 3.0),
        ("7 % 4 * 2", 6.0),
        ("if 1 > 2 then 10 else 20 + 1", 21.0),
        ("1 + if true then 1 else 2", 2.0),
        ("min(3, 1, 2) + max(1, 5) + abs(-2) + sqrt(16)", 12.0),
        ("1.5e3 / .5", 3000.0),
    ] {
        assert_eq!(num(text), want, "{text}");
    }
    let truth = |text: &str| eval_in(text, &Fake::new()).value;
    for (text, want) in [
        ("1 + 2 > 2 and 3 < 4", true),
        ("not 1 > 2", true),
        ("true or false and false", true),
        ("(true or false) and false", false),
        ("not true == false", true),
        (
            "\"RIH\" == \"RIH\" and \"a\" != \"b\" and 2 >= 2 and (2 <= 1.5) == false",
            true,
        ),
    ] {
        assert_eq!(truth(text), Ok(Value::Bool(want)), "{text}");
    }
}

#[test]
fn names_with_slashes_are_tags_and_operators_need_spaces() {
    assert_eq!(num("sep01/gas_rate / sep01/oil_rate"), 2.0);
    assert_eq!(num("sep01/gas_rate * 1000 / sep01/oil_rate"), 2000.0);
    assert_eq!(num("{1st/stage} + {if} * ct01/layer"), 13.0);
    let c = compiled("sep01/gas_rate / sep01/oil_rate + sep01/gas_rate");
    assert_eq!(c.inputs(), [GAS, OIL]);
    assert_eq!(c.ty(), Type::Number);
    assert!(!c.uses_time());
    assert_eq!(
        parse("sep01/gas_rate / sep01/oil_rate")
            .unwrap()
            .tag_names()
            .iter()
            .map(|(n, s)| (*n, s.range()))
            .collect::<Vec<_>>(),
        [("sep01/gas_rate", 0..14), ("sep01/oil_rate", 17..31)]
    );
    // Without spaces it is one name, and the message says what to do.
    let e = &errors("sep01/gas_rate/sep01/oil_rate")[0];
    assert_eq!(
        e.to_string(),
        "unknown tag 'sep01/gas_rate/sep01/oil_rate' (to divide, put spaces around the operator: 'sep01/gas_rate / sep01/oil_rate')"
    );
    assert_eq!(e.span.range(), 0..29);
    let e = &errors("1 + sep01/oil_rate-1")[0];
    assert_eq!(
        e.to_string(),
        "unknown tag 'sep01/oil_rate-1' (to subtract, put spaces around the operator: 'sep01/oil_rate - 1')"
    );
    assert_eq!(e.span.range(), 4..20);
    // A typo in an ordinary name gets no arithmetic hint; braces never do.
    assert_eq!(errors("sep01/oil_rat")[0].to_string(), "unknown tag 'sep01/oil_rat'");
    assert_eq!(
        errors("{sep01/gas_rate/sep01/oil_rate}")[0].to_string(),
        "unknown tag 'sep01/gas_rate/sep01/oil_rate'"
    );
    assert!(
        errors("a-b/c/d")[0]
            .to_string()
            .contains("put spaces around the operator: 'a / b', 'a - b'")
    );
    // Every unknown tag is reported, in text order.
    let all = errors("sep01/a + sep01/b");
    assert_eq!(all.len(), 2);
    assert_eq!(all[1].span.range(), 10..17);
}

#[test]
fn every_problem_has_its_message_and_place() {
    // (expression, message start, byte where it points)
    let cases: &[(&str, &str, usize)] = &[
        ("", "the expression is empty", 0),
        ("   ", "the expression is empty", 0),
        ("1 +", "expected a value, found the end of the expression", 3),
        ("(1 + 2", "this '(' is not closed", 0),
        ("(1 2)", "expected ')' or an operator, found '2'", 3),
        (
            "1 + 2)",
            "expected an operator or the end of the expression, found ')'",
            5,
        ),
        (
            "sep01/gas_rate sep01/oil_rate",
            "expected an operator or the end of the expression, found 'sep01/oil_rate'",
            15,
        ),
        ("1 < 2 < 3", "comparisons cannot be chained", 6),
        ("1 = 2", "'=' alone is not an operator: compare with '=='", 2),
        ("!true", "'!' alone is not an operator", 0),
        (
            "true && false",
            "'&&' is not an operator here: join conditions with 'and' / 'or'",
            5,
        ),
        ("true || false", "'||' is not an operator here", 5),
        ("1 @ 2", "unexpected character '@'", 2),
        ("1 +\n ñ", "unexpected character 'ñ'", 5),
        ("ct01/job_phase == \"open", "a quoted string is not closed", 18),
        ("{sep01/gas_rate + 1", "a '{' is not closed", 0),
        ("{ } + 1", "'{}' names no tag", 0),
        ("1e400", "'1e400' is not a finite number", 0),
        (
            "01x/a + 1",
            "'01x/a' is not a number (a tag whose name starts with a digit goes in braces: {01x/a})",
            0,
        ),
        ("12abcd", "'12abcd' is not a number", 0),
        (
            "avg(sep01/oil_rate, 60sec)",
            "'60sec' is not a duration: a number followed by ms, s, min or h",
            20,
        ),
        (
            "avg(sep01/oil_rate, 60 s)",
            "expected ',' or ')' in the arguments, found 's'",
            23,
        ),
        (
            "foo(1)",
            "'foo' is not a function (functions: min, max, abs, sqrt, avg, rate)",
            0,
        ),
        (
            "if true then 1",
            "expected 'else' (an 'if' gives a value either way), found the end",
            14,
        ),
        (
            "if true 1 else 2",
            "expected 'then' after the condition of 'if', found '1'",
            8,
        ),
        ("1 + and", "expected a value, found 'and'", 4),
        (
            "60s + 1",
            "a duration such as 60s is only the window of avg() or rate()",
            0,
        ),
        (
            "avg(sep01/oil_rate)",
            "avg() takes a tag and a window: avg(TAG, 60s)",
            0,
        ),
        (
            "rate(sep01/oil_rate, 1s, 2s)",
            "rate() takes a tag and, if not 60s, a window",
            0,
        ),
        (
            "avg(sep01/oil_rate * 2, 60s)",
            "avg() needs a tag as its first argument",
            4,
        ),
        (
            "avg(sep01/oil_rate, 60)",
            "the window of avg() is a duration, e.g. 60s or 5min",
            20,
        ),
        ("avg(sep01/oil_rate, 50ms)", "a window must be from 100ms to 24h", 20),
        ("rate(sep01/oil_rate, 25h)", "a window must be from 100ms to 24h", 21),
        (
            "avg(ct01/job_phase, 60s)",
            "avg() needs a numeric tag; 'ct01/job_phase' holds text",
            4,
        ),
        ("rate(sep01/nosuch)", "unknown tag 'sep01/nosuch'", 5),
        ("min()", "min() takes at least one number", 0),
        ("abs(1, 2)", "abs() takes one number", 0),
        ("1 + \"x\"", "'+' needs numbers; this is text", 4),
        ("-esp01/running", "'-' needs a number; this is true/false", 1),
        ("not 1", "'not' needs true/false; this is a number", 4),
        (
            "1 and true",
            "'and' needs true/false on both sides; this is a number",
            0,
        ),
        ("true or 2", "'or' needs true/false on both sides; this is a number", 8),
        ("ct01/job_phase < \"x\"", "'<' compares numbers; this is text", 0),
        (
            "ct01/job_phase == 1",
            "'==' compares values of one type; this compares text with a number",
            0,
        ),
        (
            "if 1 then 2 else 3",
            "the condition of 'if' must be true/false; this is a number",
            3,
        ),
        (
            "if true then 1 else \"x\"",
            "both branches of 'if' must give the same type: 'then' gives a number, 'else' gives text",
            20,
        ),
        ("min(1, \"x\")", "min() takes numbers; this is text", 7),
        ("sqrt(true)", "sqrt() takes a number; this is true/false", 5),
    ];
    for &(text, want, place) in cases {
        let e = match compile_str(text, &dir()) {
            Ok(_) => panic!("{text:?} compiled"),
            Err(e) => e[0].clone(),
        };
        assert!(e.to_string().starts_with(want), "{text:?}: {e}");
        assert_eq!(e.span.start as usize, place, "{text:?}: {e}");
    }
}

#[test]
fn depth_length_terms_and_arguments_are_bounded() {
    let parens = |n: usize| format!("{}1{}", "(".repeat(n), ")".repeat(n));
    assert_eq!(num(&parens(MAX_NESTING)), 1.0);
    let sum = |n: usize| vec!["1"; n].join("+");
    assert_eq!(num(&sum(MAX_TERMS)), MAX_TERMS as f64, "a long chain evaluates");
    let args = |n: usize| format!("max({})", vec!["1"; n].join(", "));
    assert_eq!(num(&args(MAX_ARGS)), 1.0);
    for (text, want) in [
        (parens(MAX_NESTING + 1), "nests more than 32 deep"),
        (parens(2_000), "nests more than 32 deep"),
        (format!("{}1", "- ".repeat(2_000)), "nests more than 32 deep"),
        (format!("{}2", "2^".repeat(100)), "nests more than 32 deep"),
        (format!("{}true", "not ".repeat(1_000)), "nests more than 32 deep"),
        (format!("{}1", "abs(".repeat(100)), "nests more than 32 deep"),
        (
            format!("{}1", "if true then 1 else ".repeat(50)),
            "nests more than 32 deep",
        ),
        (parens(20_000), "the expression is 40001 bytes long; at most 4096"),
        (sum(MAX_TERMS + 1), "more than 256 terms"),
        (args(MAX_ARGS + 1), "max() takes at most 32 arguments"),
    ] {
        let e = parse(&text).expect_err("refused");
        assert!(e.to_string().contains(want), "{}…: {e}", &text[..20.min(text.len())]);
    }
}

#[test]
fn a_bad_input_that_is_needed_makes_the_result_bad_with_its_reason() {
    let ratio = "sep01/gas_rate / sep01/oil_rate";
    for why in [
        BadReason::CommFail,
        BadReason::Stale,
        BadReason::SensorFail,
        BadReason::OutOfRange,
    ] {
        let o = eval_in(ratio, &Fake::new().bad(OIL, why));
        assert_eq!(o.value, Err(why));
        assert_eq!(o.quality(), Quality::Bad(why));
        let s = o.to_sample(TagId(9));
        assert_eq!(
            (s.value, s.quality),
            (None, Quality::Bad(why)),
            "no number for a bad result"
        );
    }
    // No value yet: waiting for data, whatever the quality says.
    let none = Fake::new().set(OIL, None, Quality::Bad(BadReason::WaitingForData), T0);
    assert_eq!(eval_in(ratio, &none).value, Err(BadReason::WaitingForData));
    // The first bad input read is the one reported.
    let both = Fake::new().bad(OIL, BadReason::CommFail).bad(GAS, BadReason::Stale);
    assert_eq!(
        eval_in("sep01/oil_rate + sep01/gas_rate", &both).value,
        Err(BadReason::CommFail)
    );
    // Uncertain in, uncertain out.
    let unsure = Fake::new().set(OIL, Some(Value::F64(500.0)), Quality::Uncertain, T0);
    let o = eval_in(ratio, &unsure);
    assert_eq!(
        (o.value.clone(), o.quality()),
        (Ok(Value::F64(2.0)), Quality::Uncertain)
    );
    // The result is dated by its newest input; a constant by the evaluation's time.
    let dated = Fake::new()
        .set(GAS, Some(Value::F64(1000.0)), Quality::Good, at(10.0))
        .set(OIL, Some(Value::F64(500.0)), Quality::Good, at(20.0));
    assert_eq!(eval_in(ratio, &dated).ts, at(20.0));
    assert_eq!(eval_in("1 + 1", &dated).ts, at(100.0));
}

#[test]
fn if_reads_only_its_branch_and_and_or_are_three_valued() {
    let stopped = Fake::new()
        .set(RUNNING, Some(Value::Bool(false)), Quality::Good, at(5.0))
        .set(GAS, Some(Value::F64(1.0)), Quality::Bad(BadReason::CommFail), at(50.0));
    let o = eval_in("if esp01/running then sep01/gas_rate else 0", &stopped);
    assert_eq!(
        (o.value.clone(), o.quality(), o.ts),
        (Ok(Value::F64(0.0)), Quality::Good, at(5.0))
    );
    let running = stopped
        .clone()
        .set(RUNNING, Some(Value::Bool(true)), Quality::Good, at(5.0));
    assert_eq!(
        eval_in("if esp01/running then sep01/gas_rate else 0", &running).value,
        Err(BadReason::CommFail)
    );
    // false decides an 'and', true decides an 'or', whichever side the bad input is on.
    for (text, inputs, want) in [
        ("esp01/running and sep01/gas_rate > 1", &stopped, Ok(false)),
        ("sep01/gas_rate > 1 and esp01/running", &stopped, Ok(false)),
        (
            "sep01/gas_rate > 1 and esp01/running",
            &running,
            Err(BadReason::CommFail),
        ),
        ("sep01/gas_rate > 1 or esp01/running", &running, Ok(true)),
        (
            "sep01/gas_rate > 1 or esp01/running",
            &stopped,
            Err(BadReason::CommFail),
        ),
    ] {
        let o = eval_in(text, inputs);
        assert_eq!(o.value, want.map(Value::Bool), "{text}");
        if o.value.is_ok() {
            assert_eq!(o.ts, at(5.0), "{text}: the undecided side's time does not count");
        }
    }
    // Text in and out.
    let o = eval_in("if esp01/running then \"ON\" else ct01/job_phase", &stopped);
    assert_eq!(o.value, Ok(Value::str("RIH")));
    assert_eq!(
        compiled("if esp01/running then \"ON\" else ct01/job_phase").ty(),
        Type::Text
    );
    assert_eq!(compiled("ct01/job_phase == \"RIH\"").inputs(), [PHASE]);
}

#[test]
fn division_by_zero_and_nan_are_math_errors_never_numbers() {
    for text in [
        "1 / 0",
        "0 / 0",
        "5 % 0",
        "sqrt(-1)",
        "10 ^ 400",
        "(-8) ^ (1 / 3)",
        "-1e308 * 10",
    ] {
        let o = eval_in(text, &Fake::new());
        assert_eq!(o.value, Err(BadReason::MathError), "{text}");
        assert_eq!(o.quality().code(), "MATH ERROR");
    }
    let dry = Fake::new().value(OIL, 0.0);
    assert_eq!(
        eval_in("sep01/gas_rate / sep01/oil_rate", &dry).value,
        Err(BadReason::MathError),
        "GOR with no oil"
    );
    // A guard in the expression keeps the value.
    assert_eq!(
        eval_in(
            "if sep01/oil_rate > 0 then sep01/gas_rate / sep01/oil_rate else 0",
            &dry
        )
        .value,
        Ok(Value::F64(0.0))
    );
}

/// Evaluates `text` once a second from `from` to `to` (seconds after T0), the inputs at each second given
/// by `inputs(t)`; the outcome at each second.
fn run(text: &str, from: u32, to: u32, inputs: impl Fn(u32) -> Fake) -> Vec<(u32, Outcome)> {
    let c = compiled(text);
    let mut state = c.new_state();
    (from..=to)
        .map(|t| (t, c.eval(&mut state, &inputs(t), at(f64::from(t)))))
        .collect()
}

/// Whether `got` is `want` but for rounding.
fn close(got: Result<f64, BadReason>, want: f64) -> bool {
    got.is_ok_and(|x| (x - want).abs() <= 1e-9 * want.abs().max(1.0))
}

fn value_at(run: &[(u32, Outcome)], t: u32) -> Result<f64, BadReason> {
    let (_, o) = run.iter().find(|(s, _)| *s == t).expect("evaluated then");
    o.value.clone().map(|v| v.as_f64().expect("a number"))
}

#[test]
fn avg_is_time_weighted_over_its_window_and_waits_for_half_of_it() {
    assert!(compiled("avg(sep01/oil_rate, 60s)").uses_time());
    assert_eq!(compiled("avg(sep01/oil_rate, 60s) / 2").inputs(), [OIL]);
    // 100 for a minute, then 200; bad from 130 s to 170 s.
    let r = run("avg(sep01/oil_rate, 60s)", 0, 220, |t| {
        let f = Fake::new().value(OIL, if t < 60 { 100.0 } else { 200.0 });
        if (130..=170).contains(&t) {
            f.bad(OIL, BadReason::CommFail)
        } else {
            f
        }
    });
    assert_eq!(
        value_at(&r, 29),
        Err(BadReason::WaitingForData),
        "29 s of a 60 s window"
    );
    assert_eq!(value_at(&r, 31), Ok(100.0));
    // At 90 s the window holds 31..60 s of 100 (29 s) and 60..90 s of 200 (30 s).
    let v = value_at(&r, 90).unwrap();
    assert!((v - 8_900.0 / 59.0).abs() < 1e-9, "{v}");
    assert_eq!(value_at(&r, 125), Ok(200.0));
    assert_eq!(value_at(&r, 140), Err(BadReason::CommFail), "the tag is bad now");
    assert_eq!(
        value_at(&r, 171),
        Err(BadReason::WaitingForData),
        "18 s of good data in the window"
    );
    assert_eq!(
        value_at(&r, 200),
        Err(BadReason::WaitingForData),
        "29 s since it came back"
    );
    assert_eq!(value_at(&r, 210), Ok(200.0), "bad time does not count");

    // Each value counts for as long as it was held, not once per sample: 0 for 50 s, then 100 for 10 s.
    let c = compiled("avg(sep01/oil_rate, 60s)");
    let mut state = c.new_state();
    c.eval(&mut state, &Fake::new().value(OIL, 0.0), at(0.0));
    c.eval(&mut state, &Fake::new().value(OIL, 100.0), at(50.0));
    let o = c.eval(&mut state, &Fake::new().value(OIL, 100.0), at(60.0));
    let v = o.value.unwrap().as_f64().unwrap();
    assert!((v - 1_000.0 / 59.0).abs() < 1e-9, "{v}");
    assert_eq!(o.ts, at(60.0), "a window's result is as of now");
}

#[test]
fn rate_is_the_change_per_minute_over_its_window() {
    // 10 units a second: 600 a minute, rising, then falling at 5 a second after 120 s.
    let level = |t: u32| {
        if t <= 120 {
            10.0 * f64::from(t)
        } else {
            1200.0 - 5.0 * f64::from(t - 120)
        }
    };
    let r = run("rate(sep01/oil_rate)", 0, 240, |t| Fake::new().value(OIL, level(t)));
    assert_eq!(
        value_at(&r, 58),
        Err(BadReason::WaitingForData),
        "the window is still filling"
    );
    for (t, want) in [(59, 600.0), (120, 600.0), (240, -300.0)] {
        assert!(close(value_at(&r, t), want), "{t} s: {:?}", value_at(&r, t));
    }
    let r = run("rate(sep01/oil_rate, 10s)", 0, 30, |t| Fake::new().value(OIL, level(t)));
    assert!(close(value_at(&r, 30), 600.0), "{:?}", value_at(&r, 30));
    let r = run("rate(sep01/oil_rate, 10s)", 0, 30, |t| {
        let f = Fake::new().value(OIL, level(t));
        if t == 30 { f.bad(OIL, BadReason::Stale) } else { f }
    });
    assert_eq!(value_at(&r, 30), Err(BadReason::Stale), "stale in, stale out");
}

#[test]
fn a_window_keeps_watching_while_its_branch_is_not_taken() {
    // The pump starts at 60 s: the average is ready at once, because the window saw the rate all along.
    let r = run("if esp01/running then avg(sep01/oil_rate, 60s) else 0", 0, 60, |t| {
        Fake::new()
            .value(OIL, 100.0)
            .set(RUNNING, Some(Value::Bool(t >= 60)), Quality::Good, T0)
    });
    assert_eq!(value_at(&r, 59), Ok(0.0));
    assert_eq!(value_at(&r, 60), Ok(100.0));
}

#[test]
fn a_short_rate_window_on_a_steady_input_is_never_no_data_for_the_ticks_jitter() {
    // A steady input is evaluated only by the 1 s tick, which runs a little late each time (here 1.02 s).
    let c = compiled("rate(sep01/oil_rate, 10s)");
    let mut state = c.new_state();
    for k in 0..60u32 {
        let t = at(f64::from(k) * 1.02);
        let o = c.eval(&mut state, &Fake::new().value(OIL, 100.0), t);
        if k >= 12 {
            assert_eq!(o.value, Ok(Value::F64(0.0)), "evaluation {k}");
        }
    }
}
