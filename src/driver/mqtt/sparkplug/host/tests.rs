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

    /// Writes `hz` to Frequency SP (tag 3, a Float by its birth) as the driver does: the DCMD is built,
    /// published, and the host waits for the value to come back.
    fn write_sp(&mut self, hz: f64) {
        let c = self.host.command(TagId(3), &Value::F64(hz), self.now).unwrap();
        self.host.await_confirmation(c.pending, WRITE_TIMEOUT);
    }

    /// esp01 reports Frequency SP by alias in a DDATA, stamped `ms_after` the current time (negative: before).
    fn report_sp(&mut self, seq: u64, hz: f32, ms_after: i64) {
        let stamped = u64::try_from(self.now.micros() / 1000 + ms_after).unwrap();
        let body = Payload {
            timestamp: Some(stamped),
            seq: Some(seq),
            metrics: vec![Metric {
                alias: Some(12),
                timestamp: Some(stamped),
                value: Some(metric::Value::FloatValue(hz)),
                ..Metric::default()
            }],
            ..Payload::default()
        };
        self.send("DDATA", Some("esp01"), body.encode_to_vec());
    }

    /// Moves the clock on and lets the host fail the writes whose time is up.
    fn later(&mut self, ms: u64) {
        self.now = self.now.plus(Duration::from_millis(ms));
        self.host.expire_writes(self.now);
    }

    fn outcomes(&mut self) -> Vec<DriverEvent> {
        self.host.drain_outcomes().collect()
    }
}

/// The README's `timeout_ms`: longer than the trip engine's 2 s resend.
const WRITE_TIMEOUT: Duration = Duration::from_millis(3000);

/// The one outcome there is: a failed write of `hz` to tag 3; returns its reason.
fn failed_sp(outcomes: &[DriverEvent], hz: f64) -> String {
    match outcomes {
        [DriverEvent::WriteFailed { tag, value, reason }] if *tag == TagId(3) && *value == Value::F64(hz) => {
            reason.clone()
        }
        other => panic!("expected one failed write of {hz} to tag 3, got {other:?}"),
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
    let c = r.host.command(TagId(3), &Value::F64(55.5), r.now).unwrap();
    assert_eq!(c.topic, "spBv1.0/wellsite/DCMD/edge1/esp01");
    let p = Payload::decode(c.payload.as_slice()).unwrap();
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

#[test]
fn resending_a_write_never_extends_its_deadline() {
    let mut r = Run::new();
    r.births();
    r.write_sp(55.5);
    // The trip engine sends an unconfirmed output again every 2 s: the deadline still runs from the first send.
    r.later(2_000);
    r.write_sp(55.5);
    r.later(999);
    assert!(r.outcomes().is_empty(), "2.999 s after the first send");
    r.later(1);
    // Each send asked for an outcome and gets one (two people writing the same value both hear).
    let out = r.outcomes();
    assert_eq!(out.len(), 2, "{out:?}");
    assert_eq!(out[0], out[1]);
    let why = failed_sp(&out[..1], 55.5);
    assert!(why.contains("not reported back within 3000 ms"), "{why}");
    assert!(why.contains("no acknowledgement"), "{why}");
    // The next resend starts a new wait of its own, again not extended.
    r.later(1_000);
    r.write_sp(55.5);
    r.later(2_000);
    r.write_sp(55.5);
    r.later(999);
    assert!(r.outcomes().is_empty());
    r.later(1);
    failed_sp(&r.outcomes()[..1], 55.5);
    // A different value supersedes the waiting one, which fails at once.
    r.write_sp(50.0);
    r.later(10);
    r.write_sp(51.0);
    let why = failed_sp(&r.outcomes(), 50.0);
    assert!(why.contains("superseded by a write of 51.000"), "{why}");
}

#[test]
fn a_node_whose_clock_runs_behind_still_confirms_its_writes() {
    let mut r = Run::new();
    r.births();
    // The node's clock is 5 s behind this console's: its reports say so.
    r.later(100);
    r.report_sp(2, 52.0, -5_000);
    r.write_sp(55.5);
    r.later(100);
    r.report_sp(3, 55.5, -5_000);
    assert_eq!(
        r.outcomes(),
        vec![DriverEvent::WriteConfirmed {
            tag: TagId(3),
            value: Value::F64(55.5)
        }]
    );
    // A report stamped before the command, on the node's own clock, still confirms nothing.
    r.write_sp(50.0);
    r.later(100);
    r.report_sp(4, 50.0, -5_101);
    r.later(3_000);
    assert!(failed_sp(&r.outcomes(), 50.0).contains("stamped before the command was sent"));
}

/// A case: its name, the Hz written, what esp01 reports after (Hz, stamped ms from receipt), and None where
/// the write is confirmed, else why it failed.
type ConfirmCase<'a> = (&'a str, f64, &'a [(f32, i64)], Option<&'a str>);

/// What esp01 reports of Frequency SP after a write, 100 ms apart, and what becomes of the write by its deadline.
#[test]
fn only_the_written_value_reported_after_the_command_confirms_a_write() {
    let cases: [ConfirmCase; 5] = [
        ("read back", 55.5, &[(54.0, 0), (55.5, 0)], None),
        // 52.3 is no f32: the DCMD carried the nearest one, and that coming back is the written value.
        ("read back as the f32 the command carried", 52.3, &[(52.3, 0)], None),
        (
            "a ramp past the value, settling elsewhere",
            55.5,
            &[(54.0, 0), (55.499_99, 0), (55.500_01, 0), (57.0, 0)],
            Some("last reported 57.000"),
        ),
        (
            "the value published 1 ms before the command went out, received after it",
            55.5,
            &[(55.5, -101)],
            Some("stamped before the command was sent"),
        ),
        ("never reported", 55.5, &[], Some("not reported back within 3000 ms")),
    ];
    for (case, hz, reports, failure) in cases {
        let mut r = Run::new();
        r.births();
        r.write_sp(hz);
        for (seq, &(reported, stamped_ms)) in (2..).zip(reports) {
            r.later(100);
            r.report_sp(seq, reported, stamped_ms);
            assert_eq!(r.out.len(), 1, "{case}: values still flow");
        }
        r.later(3_000);
        let outcomes = r.outcomes();
        match failure {
            // The outcome names the value as asked, so whoever asked (the trip engine) recognises it; a confirmed
            // write does not also fail at its deadline.
            None => assert_eq!(
                outcomes,
                vec![DriverEvent::WriteConfirmed {
                    tag: TagId(3),
                    value: Value::F64(hz)
                }],
                "{case}"
            ),
            Some(why) => {
                let reason = failed_sp(&outcomes, hz);
                assert!(reason.contains(why), "{case}: {reason}");
            }
        }
    }
}

#[test]
fn nodes_not_yet_born_are_listed_with_the_rebirths_asked_of_them() {
    let waiting = |name: &str, rebirths_asked: u64| WaitingForBirth {
        node: name.into(),
        rebirths_asked,
    };
    let mut r = Run::new();
    assert_eq!(r.host.waiting_for_birth(), vec![waiting("wellsite/edge1", 0)]);
    // The host started after the edge node: its data arrives, its birth does not; one request per holdoff.
    for seq in 1..=3 {
        r.send(
            "NDATA",
            None,
            payload(seq, vec![m(None, 1, FLOAT, metric::Value::FloatValue(411.0))]),
        );
        assert_eq!(r.actions.len(), 1);
        r.now = r.now.plus(REBIRTH_HOLDOFF);
    }
    assert_eq!(r.host.waiting_for_birth(), vec![waiting("wellsite/edge1", 3)]);
    // Born: the node and esp01 are off the list; esp02, named by a tag, has sent no DBIRTH.
    r.births();
    assert_eq!(r.host.waiting_for_birth(), vec![waiting("wellsite/edge1/esp02", 0)]);
    r.send(
        "DDATA",
        Some("esp02"),
        payload(2, vec![m(None, 10, DOUBLE, metric::Value::DoubleValue(1.0))]),
    );
    assert_eq!(r.host.waiting_for_birth(), vec![waiting("wellsite/edge1/esp02", 1)]);
    r.send("DDEATH", Some("esp01"), payload(3, vec![]));
    assert_eq!(
        r.host.waiting_for_birth(),
        vec![waiting("wellsite/edge1/esp01", 1), waiting("wellsite/edge1/esp02", 1)]
    );
    // Dead: the node waits for its next birth, counting afresh.
    r.send(
        "NDEATH",
        None,
        payload(0, vec![m(Some(BD_SEQ), 0, INT64, metric::Value::LongValue(3))]),
    );
    assert_eq!(r.host.waiting_for_birth(), vec![waiting("wellsite/edge1", 0)]);
    r.births();
    r.host.reset();
    assert_eq!(r.host.waiting_for_birth(), vec![waiting("wellsite/edge1", 0)]);
}
