use super::*;
use proptest::prelude::*;

fn quality_strategy() -> impl Strategy<Value = Quality> {
    prop_oneof![
        6 => Just(Quality::Good),
        1 => Just(Quality::Uncertain),
        1 => Just(Quality::Bad(BadReason::CommFail)),
        1 => Just(Quality::Bad(BadReason::OutOfRange)),
        1 => Just(Quality::Bad(BadReason::Stale)),
        1 => Just(Quality::Bad(BadReason::MathError)),
    ]
}

fn build(kind: ValueKind, samples: &[(i64, Option<Value>, Quality)]) -> Chunk {
    let mut c = Chunk::new(kind);
    for (t, v, q) in samples {
        c.push(*t, v.as_ref(), *q);
    }
    c
}

fn assert_same(a: &Chunk, b: &Chunk) {
    assert_eq!(a.ts, b.ts);
    assert_eq!(a.runs, b.runs);
    match (&a.values, &b.values) {
        // bit-for-bit, NaN and -0.0 included
        (Column::F64(x), Column::F64(y)) => {
            assert_eq!(
                x.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                y.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
            )
        }
        (x, y) => assert_eq!(x, y),
    }
}

proptest! {
    #[test]
    fn any_f64_series_round_trips_bit_for_bit(
        samples in prop::collection::vec((any::<i64>(), prop_oneof![
            3 => (-1.0e6..1.0e6f64).prop_map(|x| Some(Value::F64((x * 10.0).round() / 10.0))),
            2 => any::<f64>().prop_map(|x| Some(Value::F64(x))),
            1 => Just(None),
        ], quality_strategy()), 0..300)
    ) {
        let c = build(ValueKind::F64, &samples);
        assert_same(&Chunk::decode(&c.encode()).unwrap(), &c);
    }

    #[test]
    fn ints_bools_and_strings_round_trip(
        ints in prop::collection::vec((0i64..1_000_000_000, any::<i64>(), quality_strategy()), 0..200),
        strs in prop::collection::vec((0i64..1_000_000, "[a-zñ ]{0,6}", quality_strategy()), 0..100),
    ) {
        let mut t = 1_700_000_000_000_000;
        let int_samples: Vec<_> = ints.iter().map(|&(dt, v, q)| { t += dt; (t, Some(Value::I64(v)), q) }).collect();
        let c = build(ValueKind::I64, &int_samples);
        assert_same(&Chunk::decode(&c.encode()).unwrap(), &c);
        let bool_samples: Vec<_> = ints.iter().map(|&(dt, v, q)| (dt, Some(Value::Bool(v % 3 == 0)), q)).collect();
        let c = build(ValueKind::Bool, &bool_samples);
        assert_same(&Chunk::decode(&c.encode()).unwrap(), &c);
        let str_samples: Vec<_> = strs.iter().map(|(dt, s, q)| (*dt, Some(Value::str(s)), *q)).collect();
        let c = build(ValueKind::String, &str_samples);
        assert_same(&Chunk::decode(&c.encode()).unwrap(), &c);
    }

    #[test]
    fn a_range_encodes_like_a_chunk_of_its_own(
        samples in prop::collection::vec((0i64..10_000, -100i64..100, quality_strategy()), 1..200),
        cut in 0usize..200,
    ) {
        let mut t = 0;
        let samples: Vec<_> = samples.into_iter().map(|(dt, v, q)| { t += dt; (t, Some(Value::F64(v as f64 / 4.0)), q) }).collect();
        let c = build(ValueKind::F64, &samples);
        let cut = cut.min(c.len());
        let tail = build(ValueKind::F64, &samples[cut..]);
        assert_same(&Chunk::decode(&c.encode_range(cut..c.len())).unwrap(), &tail);
        let mut drained = c.clone();
        drained.drain_front(cut);
        assert_same(&drained, &tail);
    }

    #[test]
    fn garbage_is_an_error_never_a_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = Chunk::decode(&bytes);
        let mut framed = vec![1u8, 0, 0, 0, 40];
        framed.extend(bytes);
        let _ = Chunk::decode(&framed);
    }
}

#[test]
fn a_steady_scan_of_a_decimal_signal_costs_a_byte_or_two_per_sample() {
    // 10 Hz, 0.1 psi resolution, ±3 psi noise: what a pressure transmitter on the demo plant sends.
    let mut c = Chunk::new(ValueKind::F64);
    let mut x: f64 = 3700.0;
    let mut seed = 12345u64;
    for i in 0..4096 {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        x += ((seed >> 33) % 61) as f64 / 10.0 - 3.0;
        let v = (x * 10.0).round() / 10.0;
        c.push(1_795_000_000_000_000 + i * 100_000, Some(&Value::F64(v)), Quality::Good);
    }
    let bytes = c.encode();
    let per_sample = bytes.len() as f64 / c.len() as f64;
    assert!(per_sample < 1.5, "{per_sample} bytes/sample");
    assert_same(&Chunk::decode(&bytes).unwrap(), &c);
}

#[test]
fn values_without_a_decimal_resolution_still_round_trip() {
    let mut c = Chunk::new(ValueKind::F64);
    for i in 0..100 {
        c.push(
            i,
            Some(&Value::F64((i as f64).sin() * std::f64::consts::PI)),
            Quality::Good,
        );
    }
    let bytes = c.encode();
    assert_eq!(bytes[5] >> 6, 0, "kind F64");
    assert_same(&Chunk::decode(&bytes).unwrap(), &c);
}

#[test]
fn quality_changes_are_kept_with_their_sample() {
    let mut c = Chunk::new(ValueKind::F64);
    c.push(0, Some(&Value::F64(1.0)), Quality::Good);
    c.push(1, None, Quality::Bad(BadReason::CommFail));
    c.push(2, None, Quality::Bad(BadReason::CommFail));
    c.push(3, Some(&Value::F64(2.0)), Quality::Good);
    let d = Chunk::decode(&c.encode()).unwrap();
    assert!(d.quality_at(0).plottable());
    assert_eq!(d.quality_at(2).quality, Quality::Bad(BadReason::CommFail));
    assert!(!d.quality_at(2).has_value);
    assert_eq!(d.values.f64_at(3), Some(2.0));
    assert_eq!(d.runs.len(), 3);
}
