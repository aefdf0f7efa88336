//! Calculated tags on a controlled clock: dependency order, a chain settled in one call, emitting only
//! changes, quality through a chain, math errors, the once-a-second heartbeat of windows, cycles.

use super::*;
use crate::expr::compile_str;
use crate::tag::{
    BadReason, DriverId, Quality, Sample, TagDef, TagDirectory, TagTable, TagUpdate, Timestamp, Value, ValueKind,
};
use std::sync::Arc;
use std::time::Duration;

const GAS: TagId = TagId(0);
const OIL: TagId = TagId(1);
const WATER: TagId = TagId(2);
const GOR: TagId = TagId(3);
const WOR: TagId = TagId(4);
const GOR_X2: TagId = TagId(5);
const OIL_AVG: TagId = TagId(6);
const HIGH: TagId = TagId(7);

const T0: Timestamp = Timestamp(1_795_000_000_000_000);

fn at(secs: f64) -> Timestamp {
    T0.plus(Duration::from_secs_f64(secs))
}

/// Three measured tags and five calculated ones; `exprs` in the order given (not dependency order).
fn site() -> (Arc<TagDirectory>, Vec<(TagId, &'static str)>) {
    let mk = |i: u32, name: &str, kind, calc: bool| TagDef {
        id: TagId(i),
        name: name.into(),
        description: String::new(),
        description_es: String::new(),
        label: Default::default(),
        unit: String::new(),
        kind,
        range: None,
        decimals: 2,
        driver: DriverId(u16::from(calc)),
        address: name.into(),
        stale_after: if calc { Duration::MAX } else { Duration::from_secs(5) },
        writable: false,
        history: Default::default(),
    };
    let dir = Arc::new(TagDirectory::new(vec![
        mk(0, "sep01/gas_rate", ValueKind::F64, false),
        mk(1, "sep01/oil_rate", ValueKind::F64, false),
        mk(2, "sep01/water_rate", ValueKind::F64, false),
        mk(3, "sep01/gor", ValueKind::F64, true),
        mk(4, "sep01/wor", ValueKind::F64, true),
        mk(5, "sep01/gor_x2", ValueKind::F64, true),
        mk(6, "sep01/oil_avg", ValueKind::F64, true),
        mk(7, "sep01/high_gor", ValueKind::Bool, true),
    ]));
    let exprs = vec![
        (HIGH, "sep01/gor_x2 > 3"),
        (GOR_X2, "sep01/gor * 2"),
        (GOR, "sep01/gas_rate / sep01/oil_rate"),
        (WOR, "sep01/water_rate / sep01/oil_rate"),
        (OIL_AVG, "avg(sep01/oil_rate, 60s)"),
    ];
    (dir, exprs)
}

fn set_of(dir: &TagDirectory, exprs: &[(TagId, &str)]) -> Result<CalcSet, CalcSetError> {
    let calcs = exprs
        .iter()
        .map(|&(tag, text)| CalcTag {
            tag,
            expr: compile_str(text, dir).unwrap_or_else(|e| panic!("{text}: {e:?}")),
        })
        .collect();
    CalcSet::new(calcs, dir.len())
}

/// A site's table and engine, with the table kept as the hub keeps it: driver samples and the engine's
/// own samples applied.
struct Rig {
    table: TagTable,
    engine: CalcEngine,
}

impl Rig {
    fn new() -> Self {
        let (dir, exprs) = site();
        let set = set_of(&dir, &exprs).expect("no cycle");
        Self {
            table: TagTable::new(dir),
            engine: CalcEngine::new(Arc::new(set)),
        }
    }

    /// One scan: the samples applied, the engine run, its samples applied (and returned).
    fn scan(&mut self, samples: &[Sample], now: Timestamp) -> Vec<Sample> {
        let updates: Vec<TagUpdate> = samples.iter().filter_map(|s| self.table.apply(s, now)).collect();
        let mut out = Vec::new();
        self.engine.on_updates(&updates, &self.table, now, &mut out);
        self.settle(&out, now);
        out
    }

    fn tick(&mut self, now: Timestamp) -> Vec<Sample> {
        let mut out = Vec::new();
        self.engine.on_tick(now, &self.table, &mut out);
        self.settle(&out, now);
        out
    }

    /// The hub applies what the engine emitted; the engine is told, and must not compute anything again.
    fn settle(&mut self, out: &[Sample], now: Timestamp) {
        let updates: Vec<TagUpdate> = out.iter().filter_map(|s| self.table.apply(s, now)).collect();
        let mut again = Vec::new();
        self.engine.on_updates(&updates, &self.table, now, &mut again);
        assert!(again.is_empty(), "its own samples changed nothing: {again:?}");
    }

    fn quality(&self, tag: TagId) -> Quality {
        self.table.get(tag).expect("a tag").quality
    }

    fn value(&self, tag: TagId) -> Option<Value> {
        self.table.get(tag).expect("a tag").value.clone()
    }
}

fn good(tag: TagId, x: f64, secs: f64) -> Sample {
    Sample::good(tag, Value::F64(x), at(secs))
}

#[test]
fn the_set_is_in_dependency_order_with_an_index_of_readers() {
    let (dir, exprs) = site();
    let set = set_of(&dir, &exprs).unwrap();
    let order: Vec<TagId> = set.tags().iter().map(|c| c.tag).collect();
    assert_eq!(
        order,
        [GOR, GOR_X2, HIGH, WOR, OIL_AVG],
        "readers after what they read, else file order"
    );
    assert_eq!(set.calc_index(GOR), Some(0));
    assert_eq!(set.calc_index(OIL), None);
    assert_eq!(
        set.readers_of(OIL),
        [0, 3, 4],
        "gor, wor and the average read the oil rate"
    );
    assert_eq!(set.readers_of(GOR), [1]);
    assert_eq!(set.readers_of(TagId(99)), [] as [u32; 0]);
    assert_eq!(CalcSet::default().readers_of(OIL), [] as [u32; 0]);
}

#[test]
fn cycles_and_doubles_are_refused_with_the_tags_named() {
    let (dir, _) = site();
    let e = set_of(
        &dir,
        &[(GOR, "sep01/gor_x2 / 2"), (GOR_X2, "sep01/gor * 2"), (WOR, "1")],
    )
    .unwrap_err();
    assert_eq!(e, CalcSetError::Cycles(vec![vec![GOR, GOR_X2]]));
    let e = set_of(&dir, &[(GOR, "sep01/gor + 1")]).unwrap_err();
    assert_eq!(e, CalcSetError::Cycles(vec![vec![GOR]]), "a tag that reads itself");
    let e = set_of(&dir, &[(GOR, "1"), (GOR, "2")]).unwrap_err();
    assert_eq!(e, CalcSetError::Twice(GOR));
    let e = set_of(&dir, &[(TagId(42), "1")]).unwrap_err();
    assert_eq!(e, CalcSetError::UnknownTag(TagId(42)));
}

#[test]
fn a_chain_settles_in_one_call_and_only_changes_are_emitted() {
    let mut rig = Rig::new();
    let out = rig.scan(&[good(GAS, 1000.0, 1.0), good(OIL, 500.0, 2.0)], at(2.1));
    let got: Vec<(TagId, Option<Value>)> = out.iter().map(|s| (s.tag, s.value.clone())).collect();
    // The water rate has not come yet: WOR stays waiting, and says nothing new.
    assert_eq!(
        got,
        [
            (GOR, Some(Value::F64(2.0))),
            (GOR_X2, Some(Value::F64(4.0))),
            (HIGH, Some(Value::Bool(true)))
        ]
    );
    assert_eq!(out[0].source_ts, at(2.0), "dated by the newest input");
    assert_eq!(out[0].quality, Quality::Good);
    assert_eq!(rig.quality(WOR), Quality::Bad(BadReason::WaitingForData));
    // The same values again: nothing to say. A new oil rate: the whole chain again.
    assert!(rig.scan(&[good(GAS, 1000.0, 3.0)], at(3.1)).is_empty());
    let out = rig.scan(&[good(OIL, 1000.0, 4.0)], at(4.1));
    let tags: Vec<TagId> = out.iter().map(|s| s.tag).collect();
    assert_eq!(tags, [GOR, GOR_X2, HIGH]);
    assert_eq!(rig.value(HIGH), Some(Value::Bool(false)));
    let counters = rig.engine.counters();
    assert_eq!(counters[0].evaluations, 3, "gor: once per scan that changed an input");
    assert_eq!(counters[0].bad, 0);
}

#[test]
fn quality_runs_down_the_chain_and_math_errors_carry_no_number() {
    let mut rig = Rig::new();
    rig.scan(
        &[good(GAS, 1000.0, 1.0), good(OIL, 500.0, 1.0), good(WATER, 250.0, 1.0)],
        at(1.0),
    );
    assert_eq!(rig.value(WOR), Some(Value::F64(0.5)));
    // The oil meter goes stale: everything computed from it is stale, with its last value kept but marked.
    let out = rig.scan(&[Sample::bad(OIL, BadReason::Stale, at(8.0))], at(8.0));
    for tag in [GOR, GOR_X2, HIGH, WOR] {
        assert_eq!(rig.quality(tag), Quality::Bad(BadReason::Stale), "{tag:?}");
    }
    assert!(out.iter().all(|s| s.value.is_none()), "a bad result carries no value");
    // Back, but with no oil: the ratios have no value; HIGH reads a bad GOR and is bad too.
    rig.scan(&[good(OIL, 0.0, 9.0)], at(9.0));
    for tag in [GOR, GOR_X2, HIGH, WOR] {
        assert_eq!(rig.quality(tag), Quality::Bad(BadReason::MathError), "{tag:?}");
    }
    // Uncertain in, uncertain out.
    rig.scan(
        &[Sample {
            tag: OIL,
            value: Some(Value::F64(500.0)),
            quality: Quality::Uncertain,
            source_ts: at(10.0),
        }],
        at(10.0),
    );
    assert_eq!(rig.quality(GOR), Quality::Uncertain);
    assert_eq!(rig.value(GOR), Some(Value::F64(2.0)));
    assert!(rig.engine.counters()[0].bad >= 2);
}

#[test]
fn windows_are_computed_on_ticks_and_reported_once_a_second() {
    let mut rig = Rig::new();
    rig.scan(&[good(OIL, 100.0, 0.0)], at(0.0));
    let avg_samples = |out: &[Sample]| out.iter().filter(|s| s.tag == OIL_AVG).count();
    let mut reported = Vec::new();
    // Housekeeping every 100 ms for 40 s; the oil rate holds still (a meter repeating itself each second).
    for step in 1..=400u32 {
        let now = Timestamp(T0.0 + i64::from(step) * 100_000);
        let mut n = 0;
        if step % 10 == 0 {
            n += avg_samples(&rig.scan(&[Sample::good(OIL, Value::F64(100.0), now)], now));
        }
        n += avg_samples(&rig.tick(now));
        reported.extend(std::iter::repeat_n(step, n));
    }
    // Nothing while the window fills (half of 60 s), then the value, then once a second unchanged.
    assert!(reported.iter().all(|&s| s >= 300), "{reported:?}");
    assert!((9..=12).contains(&reported.len()), "{reported:?}");
    assert_eq!(rig.value(OIL_AVG), Some(Value::F64(100.0)));
    assert_eq!(rig.quality(OIL_AVG), Quality::Good);
}

#[test]
fn a_calculated_tag_without_inputs_is_computed_on_the_first_tick() {
    let (dir, _) = site();
    let set = set_of(&dir, &[(GOR, "2 * 21")]).unwrap();
    let mut engine = CalcEngine::new(Arc::new(set));
    let table = TagTable::new(dir);
    let mut out = Vec::new();
    engine.on_updates(&[], &table, at(0.0), &mut out);
    assert!(out.is_empty());
    engine.on_tick(at(0.1), &table, &mut out);
    assert_eq!(out, [Sample::good(GOR, Value::F64(42.0), at(0.1))]);
    out.clear();
    engine.on_tick(at(5.0), &table, &mut out);
    assert!(out.is_empty(), "computed once: it does not change with time");
}

#[test]
fn a_calculated_input_out_of_its_range_is_out_of_range_to_its_readers_too() {
    let (dir, exprs) = site();
    // GOR declared 0..10: the table shows 50 as OUT OF RANGE, and so must the tags that read it.
    let defs = dir
        .iter()
        .map(|d| {
            let mut d = d.clone();
            if d.id == GOR {
                d.range = Some((0.0, 10.0));
            }
            d
        })
        .collect();
    let dir = Arc::new(TagDirectory::new(defs));
    let set = set_of(&dir, &exprs).expect("no cycle");
    let mut r = Rig {
        table: TagTable::new(dir),
        engine: CalcEngine::new(Arc::new(set)),
    };
    r.scan(
        &[good(GAS, 50.0, 0.0), good(OIL, 1.0, 0.0), good(WATER, 1.0, 0.0)],
        at(0.0),
    );
    assert_eq!(r.quality(GOR), Quality::Bad(BadReason::OutOfRange));
    assert_eq!(r.quality(GOR_X2), Quality::Bad(BadReason::OutOfRange));
    assert_eq!(r.quality(HIGH), Quality::Bad(BadReason::OutOfRange));
    // Back in range: good again down the chain.
    r.scan(&[good(GAS, 5.0, 1.0)], at(1.0));
    assert_eq!(r.quality(GOR_X2), Quality::Good);
    assert_eq!(r.value(GOR_X2), Some(Value::F64(10.0)));
}
