use super::*;
use crate::driver::mqtt::sparkplug::value::datatype::*;
use crate::tag::Quality;

const G: &str = "wellsite";
const N: &str = "edge1";

fn path(device: Option<&str>, metric: &str) -> MetricPath {
    MetricPath {
        group: G.into(),
        node: N.into(),
        device: device.map(Into::into),
        metric: metric.into(),
    }
}

fn host() -> Host {
    let t = |id: u32, device: Option<&str>, metric: &str, kind: ValueKind, writable: bool| SparkplugTag {
        tag: TagId(id),
        path: path(device, metric),
        kind,
        scaling: Scaling::default(),
        writable,
    };
    Host::new(&[
        t(0, None, "Site/Power", ValueKind::F64, false),
        t(1, Some("esp01"), "Motor/Temp", ValueKind::F64, false),
        t(2, Some("esp01"), "Running", ValueKind::Bool, false),
        t(3, Some("esp01"), "Frequency SP", ValueKind::F64, true),
        t(4, Some("esp02"), "Motor/Temp", ValueKind::F64, false),
    ])
}

fn m(name: Option<&str>, alias: u64, dt: u32, v: metric::Value) -> Metric {
    Metric {
        name: name.map(Into::into),
        alias: Some(alias),
        datatype: Some(dt),
        value: Some(v),
        ..Metric::default()
    }
}

fn payload(seq: u64, metrics: Vec<Metric>) -> Vec<u8> {
    Payload {
        timestamp: Some(1_700_000_000_000),
        seq: Some(seq),
        metrics,
        ..Payload::default()
    }
    .encode_to_vec()
}

fn topic(kind: &str, device: Option<&str>) -> String {
    match device {
        Some(d) => format!("spBv1.0/{G}/{kind}/{N}/{d}"),
        None => format!("spBv1.0/{G}/{kind}/{N}"),
    }
}

struct Run {
    host: Host,
    out: Vec<Sample>,
    actions: Vec<HostAction>,
    now: Timestamp,
}

impl Run {
    fn new() -> Self {
        Run {
            host: host(),
            out: Vec::new(),
            actions: Vec::new(),
            now: Timestamp(1_700_000_000_000_000),
        }
    }

    fn send(&mut self, kind: &str, device: Option<&str>, body: Vec<u8>) {
        self.out.clear();
        self.actions.clear();
        self.host
            .handle(&topic(kind, device), &body, self.now, &mut self.out, &mut self.actions)
            .unwrap();
    }

    fn births(&mut self) {
        self.send(
            "NBIRTH",
            None,
            payload(
                0,
                vec![
                    m(Some(BD_SEQ), 0, INT64, metric::Value::LongValue(3)),
                    m(Some("Site/Power"), 1, FLOAT, metric::Value::FloatValue(410.5)),
                    m(Some(REBIRTH), 2, BOOLEAN, metric::Value::BooleanValue(false)),
                ],
            ),
        );
        self.send(
            "DBIRTH",
            Some("esp01"),
            payload(
                1,
                vec![
                    m(Some("Motor/Temp"), 10, DOUBLE, metric::Value::DoubleValue(180.0)),
                    m(Some("Running"), 11, BOOLEAN, metric::Value::BooleanValue(true)),
                    m(Some("Frequency SP"), 12, FLOAT, metric::Value::FloatValue(52.0)),
                    m(Some("Unbound/Thing"), 13, INT32, metric::Value::IntValue(7)),
                ],
            ),
        );
    }

    fn values(&self) -> Vec<(u32, Option<Value>, Quality)> {
        self.out.iter().map(|s| (s.tag.0, s.value.clone(), s.quality)).collect()
    }
}

#[test]
fn births_then_aliased_data() {
    let mut r = Run::new();
    r.births();
    assert_eq!(
        r.values(),
        vec![
            (1, Some(Value::F64(180.0)), Quality::Good),
            (2, Some(Value::Bool(true)), Quality::Good),
            (3, Some(Value::F64(52.0)), Quality::Good)
        ]
    );
    // DDATA with aliases only, as edge nodes publish after birth.
    let data = Payload {
        timestamp: Some(1_700_000_000_500),
        seq: Some(2),
        metrics: vec![
            Metric {
                alias: Some(10),
                timestamp: Some(1_700_000_000_400),
                value: Some(metric::Value::DoubleValue(185.25)),
                ..Metric::default()
            },
            Metric {
                alias: Some(13),
                value: Some(metric::Value::IntValue(8)),
                ..Metric::default()
            },
        ],
        ..Payload::default()
    };
    r.send("DDATA", Some("esp01"), data.encode_to_vec());
    assert_eq!(r.values(), vec![(1, Some(Value::F64(185.25)), Quality::Good)]);
    assert_eq!(r.out[0].source_ts, Timestamp(1_700_000_000_400_000));
    assert!(r.actions.is_empty());
    assert_eq!(r.host.counters.seq_gaps, 0);
}

#[test]
fn sequence_gap_requests_one_rebirth_per_holdoff() {
    let mut r = Run::new();
    r.births();
    let data = |seq| payload(seq, vec![m(None, 10, DOUBLE, metric::Value::DoubleValue(1.0))]);
    r.send("DDATA", Some("esp01"), data(5));
    assert_eq!(
        r.actions,
        vec![HostAction::Rebirth {
            group: G.into(),
            node: N.into()
        }]
    );
    assert_eq!(r.out.len(), 1, "values are still applied");
    r.send("DDATA", Some("esp01"), data(9));
    assert!(r.actions.is_empty(), "held off");
    r.now = r.now.plus(REBIRTH_HOLDOFF);
    r.send("DDATA", Some("esp01"), data(20));
    assert_eq!(r.actions.len(), 1);
    assert_eq!(r.host.counters.seq_gaps, 3);
    // Sequence wraps 255 → 0 without a gap.
    r.births();
    for s in 2..=255 {
        r.send("DDATA", Some("esp01"), data(s));
    }
    r.send("DDATA", Some("esp01"), data(0));
    assert_eq!(r.host.counters.seq_gaps, 3);
}

#[test]
fn data_before_birth_and_unknown_alias_ask_for_rebirth() {
    let mut r = Run::new();
    r.send(
        "DDATA",
        Some("esp01"),
        payload(4, vec![m(None, 10, DOUBLE, metric::Value::DoubleValue(1.0))]),
    );
    assert!(r.out.is_empty());
    assert_eq!(r.actions.len(), 1);
    assert_eq!(r.host.counters.before_birth, 1);

    let mut r = Run::new();
    r.births();
    r.send(
        "DDATA",
        Some("esp01"),
        payload(2, vec![m(None, 99, DOUBLE, metric::Value::DoubleValue(1.0))]),
    );
    assert_eq!((r.host.counters.unknown_alias, r.actions.len()), (1, 1));
    // A device that never sent DBIRTH.
    r.now = r.now.plus(REBIRTH_HOLDOFF);
    r.send(
        "DDATA",
        Some("esp02"),
        payload(3, vec![m(None, 10, DOUBLE, metric::Value::DoubleValue(1.0))]),
    );
    assert!(r.out.is_empty());
    assert_eq!(r.actions.len(), 1);
}

#[test]
fn deaths_turn_tags_commfail_and_stale_wills_are_ignored() {
    let mut r = Run::new();
    r.births();
    r.send("DDEATH", Some("esp01"), payload(2, vec![]));
    let mut tags: Vec<_> = r.values();
    tags.sort_by_key(|t| t.0);
    assert_eq!(
        tags,
        vec![
            (1, None, Quality::Bad(BadReason::CommFail)),
            (2, None, Quality::Bad(BadReason::CommFail)),
            (3, None, Quality::Bad(BadReason::CommFail)),
        ]
    );
    // NDEATH from an older session (bdSeq 2, node is on 3): ignored.
    r.send(
        "NDEATH",
        None,
        payload(0, vec![m(Some(BD_SEQ), 0, INT64, metric::Value::LongValue(2))]),
    );
    assert!(r.out.is_empty());
    assert!(r.host.node_online(G, N));
    r.send(
        "NDEATH",
        None,
        payload(0, vec![m(Some(BD_SEQ), 0, INT64, metric::Value::LongValue(3))]),
    );
    assert_eq!(r.out.len(), 5, "every tag of the node, devices included");
    assert!(r.out.iter().all(|s| s.quality == Quality::Bad(BadReason::CommFail)));
    assert!(!r.host.node_online(G, N));
}

#[test]
fn commands_are_typed_by_the_birth_certificate() {
    let mut r = Run::new();
    assert!(matches!(
        r.host.command(TagId(3), &Value::F64(55.0), r.now),
        Err(CommandError::Offline(_))
    ));
    r.births();
    assert_eq!(
        r.host.command(TagId(1), &Value::F64(1.0), r.now),
        Err(CommandError::NotWritable)
    );
    let (topic, body) = r.host.command(TagId(3), &Value::F64(55.5), r.now).unwrap();
    assert_eq!(topic, "spBv1.0/wellsite/DCMD/edge1/esp01");
    let p = Payload::decode(body.as_slice()).unwrap();
    assert_eq!(p.metrics[0].name.as_deref(), Some("Frequency SP"));
    assert_eq!(p.metrics[0].datatype, Some(FLOAT));
    assert_eq!(p.metrics[0].value, Some(metric::Value::FloatValue(55.5)));
    let (topic, body) = HostAction::Rebirth {
        group: G.into(),
        node: N.into(),
    }
    .encode(r.now);
    assert_eq!(topic, "spBv1.0/wellsite/NCMD/edge1");
    let p = Payload::decode(body.as_slice()).unwrap();
    assert_eq!(p.metrics[0].name.as_deref(), Some(REBIRTH));
    assert_eq!(p.metrics[0].value, Some(metric::Value::BooleanValue(true)));
}

#[test]
fn garbage_is_counted_not_fatal() {
    let mut r = Run::new();
    let mut out = Vec::new();
    let mut actions = Vec::new();
    assert!(
        r.host
            .handle(
                &topic("NDATA", None),
                &[0xff, 0xff, 0xff],
                r.now,
                &mut out,
                &mut actions
            )
            .is_err()
    );
    assert!(
        r.host
            .handle("spBv1.0/x/YDATA/n", &[], r.now, &mut out, &mut actions)
            .is_err()
    );
    assert_eq!(r.host.counters.malformed, 2);
    // Commands and STATE from other hosts are not data.
    r.host
        .handle("spBv1.0/STATE/other", b"{}", r.now, &mut out, &mut actions)
        .unwrap();
    r.host
        .handle(&topic("NCMD", None), b"", r.now, &mut out, &mut actions)
        .unwrap();
    assert!(out.is_empty());
}

proptest::proptest! {
    #[test]
    fn any_bytes_on_any_message_type_never_panic(
        kind in proptest::sample::select(vec!["NBIRTH", "NDATA", "NDEATH", "DBIRTH", "DDATA", "DDEATH"]),
        body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200),
    ) {
        let mut r = Run::new();
        r.births();
        let device = kind.starts_with('D').then_some("esp01");
        let _ = r.host.handle(&topic(kind, device), &body, r.now, &mut r.out, &mut r.actions);
    }
}
