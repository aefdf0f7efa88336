use super::*;
use crate::driver::{DriverStats, SampleSender, sample_channel};
use crate::tag::{BadReason, Quality, Sample, TagDef, ValueKind};
use crossbeam_channel::bounded;

/// A service command type for the hub under test: an urgent one.
#[derive(Debug, Clone, PartialEq)]
enum Service {
    Estop,
}

impl ServiceCommand for Service {
    fn urgent(&self) -> bool {
        *self == Service::Estop
    }
}

/// Command lanes for a hub under test.
fn lanes() -> (CommandSender<Service>, CommandLanes<Service>) {
    command_lanes(4, 4)
}
use std::collections::HashMap;
use std::sync::Mutex;

fn directory(n: u32, stale_ms: u64) -> Arc<TagDirectory> {
    Arc::new(TagDirectory::new(
        (0..n)
            .map(|i| TagDef {
                id: TagId(i),
                name: format!("dev{}/t{}", i % 4, i),
                description: String::new(),
                description_es: String::new(),
                label: Default::default(),
                unit: String::new(),
                kind: ValueKind::F64,
                range: None,
                decimals: 1,
                driver: DriverId((i % 4) as u16),
                address: format!("a{i}"),
                stale_after: Duration::from_millis(stale_ms),
                writable: i % 2 == 1,
                history: Default::default(),
            })
            .collect(),
    ))
}

struct Ports {
    senders: Vec<SampleSender>,
    cmd_rx: Vec<Receiver<DriverCommand>>,
    ports: Vec<DriverPort>,
}

fn ports(n: usize, capacity: usize) -> Ports {
    let mut p = Ports {
        senders: Vec::new(),
        cmd_rx: Vec::new(),
        ports: Vec::new(),
    };
    for i in 0..n {
        let (ctx, crx) = bounded(4);
        let stats = Arc::new(DriverStats::default());
        let (tx, rx) = sample_channel(DriverId(i as u16), capacity, stats.clone());
        p.senders.push(tx);
        p.cmd_rx.push(crx);
        p.ports.push(DriverPort {
            name: format!("d{i}"),
            kind: "test",
            samples: rx,
            commands: ctx,
            events: bounded(1).1,
            stats,
        });
    }
    p
}

/// Records every update the hub fans out.
struct Recorder(Arc<Mutex<Vec<(TagId, f64)>>>);

impl<C> Subscriber<C> for Recorder {
    fn name(&self) -> &str {
        "recorder"
    }
    fn on_updates(&mut self, updates: &[TagUpdate], _: &TagTable) {
        let mut v = self.0.lock().unwrap();
        v.extend(
            updates
                .iter()
                .filter_map(|u| Some((u.tag, u.state.value.as_ref()?.as_f64()?))),
        );
    }
}

#[test]
fn per_tag_order_is_kept_across_four_producers() {
    let dir = directory(64, 60_000);
    let p = ports(4, 64);
    let (_cmd_tx, cmd_rx) = lanes();
    let mut hub = Hub::new(dir.clone(), p.ports, cmd_rx);
    let log = Arc::new(Mutex::new(Vec::new()));
    hub.subscribe(Box::new(Recorder(log.clone())));
    let cell = hub.snapshot_cell();
    let shutdown = Arc::new(AtomicBool::new(false));
    let hub_thread = {
        let s = shutdown.clone();
        std::thread::spawn(move || hub.run(s))
    };
    const ROUNDS: u64 = 2_000;
    let producers: Vec<_> = p
        .senders
        .into_iter()
        .enumerate()
        .map(|(d, tx)| {
            std::thread::spawn(move || {
                for k in 0..ROUNDS {
                    let batch: Vec<Sample> = (0..64u32)
                        .filter(|t| t % 4 == d as u32)
                        .map(|t| Sample::good(TagId(t), Value::F64(k as f64), Timestamp(k as i64)))
                        .collect();
                    // No retry: whatever the hub cannot take is coalesced, newest value per tag, and counted.
                    tx.send(batch).unwrap();
                }
            })
        })
        .collect();
    for t in producers {
        t.join().unwrap();
    }
    let expected = ROUNDS * 64;
    let deadline = Instant::now() + Duration::from_secs(60);
    let accounted = |c: &HubCounters| c.samples_in + c.samples_coalesced;
    while accounted(&cell.load().counters) < expected && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    shutdown.store(true, Ordering::Relaxed);
    hub_thread.join().unwrap();

    let snap = cell.load();
    assert_eq!(
        accounted(&snap.counters),
        expected,
        "every sample is applied or counted as coalesced"
    );
    for t in 0..64 {
        assert_eq!(
            snap.tags[t].value,
            Some(Value::F64((ROUNDS - 1) as f64)),
            "tag {t} ends on its last value"
        );
    }
    let mut last: HashMap<TagId, f64> = HashMap::new();
    for (tag, v) in log.lock().unwrap().iter() {
        if let Some(prev) = last.insert(*tag, *v) {
            assert!(*v > prev, "tag {tag:?}: {v} after {prev}");
        }
    }
}

#[test]
fn snapshots_never_show_half_a_batch() {
    let dir = directory(2, 60_000);
    let p = ports(1, 1024);
    let (_cmd_tx, cmd_rx) = lanes();
    let hub = Hub::new(dir, p.ports, cmd_rx).with_timing(HubTiming {
        min_publish_interval: Duration::ZERO,
        ..HubTiming::default()
    });
    let cell = hub.snapshot_cell();
    let shutdown = Arc::new(AtomicBool::new(false));
    let s = shutdown.clone();
    let hub_thread = std::thread::spawn(move || hub.run(s));
    let reader = {
        let cell = cell.clone();
        let stop = shutdown.clone();
        std::thread::spawn(move || {
            let mut seen = 0;
            let mut last_seq = 0;
            while !stop.load(Ordering::Relaxed) {
                let snap = cell.load();
                assert!(snap.seq >= last_seq, "snapshots go forward");
                last_seq = snap.seq;
                assert_eq!(
                    snap.tags[0].value, snap.tags[1].value,
                    "both tags of one batch, always together"
                );
                seen += 1;
            }
            seen
        })
    };
    let tx = &p.senders[0];
    for k in 0..20_000 {
        let v = Value::F64(k as f64);
        let _ = tx.send(vec![
            Sample::good(TagId(0), v.clone(), Timestamp(k)),
            Sample::good(TagId(1), v, Timestamp(k)),
        ]);
    }
    std::thread::sleep(Duration::from_millis(200));
    shutdown.store(true, Ordering::Relaxed);
    hub_thread.join().unwrap();
    assert!(reader.join().unwrap() > 0);
}

#[test]
fn a_full_channel_coalesces_and_counts() {
    let p = ports(1, 1);
    let tx: &SampleSender = &p.senders[0];
    let s = || vec![Sample::good(TagId(0), Value::F64(1.0), Timestamp(0)); 3];
    tx.send(s()).unwrap();
    tx.send(s()).unwrap();
    assert_eq!(tx.stats().samples_sent(), 6);
    assert_eq!(
        tx.stats().samples_coalesced(),
        2,
        "the second batch is held as tag 0's newest sample"
    );
    drop(p.ports);
    assert!(tx.send(s()).is_err(), "a gone hub is reported to the driver");
}

#[test]
fn writes_are_routed_to_the_tags_driver_and_refused_for_read_only_tags() {
    let dir = directory(8, 60_000); // odd tags are writable
    let p = ports(4, 4);
    let (_cmd_tx, cmd_rx) = lanes();
    let mut hub = Hub::new(dir, p.ports, cmd_rx);
    // A person allowed to write: what is refused here is refused by the tag or the driver's queue.
    let ana = Actor::new("ana", crate::auth::Role::Operator);
    hub.handle_command(HubCommand::OperatorWrite {
        tag: TagId(7),
        value: Value::F64(55.0),
        by: ana.clone(),
    });
    assert_eq!(
        p.cmd_rx[3].try_recv().unwrap(),
        DriverCommand::Write {
            tag: TagId(7),
            address: "a7".into(),
            value: Value::F64(55.0)
        }
    );
    hub.handle_command(HubCommand::OperatorWrite {
        tag: TagId(6),
        value: Value::F64(1.0),
        by: ana.clone(),
    });
    assert!(
        p.cmd_rx[2].try_recv().is_err(),
        "a read-only tag's write never reaches the driver"
    );
    hub.handle_command(HubCommand::OperatorWrite {
        tag: TagId(99),
        value: Value::F64(1.0),
        by: ana.clone(),
    });
    for _ in 0..10 {
        hub.handle_command(HubCommand::OperatorWrite {
            tag: TagId(1),
            value: Value::F64(1.0),
            by: ana.clone(),
        });
    }
    let snap = hub.build_snapshot(Timestamp::ZERO);
    assert_eq!(snap.counters.commands_in, 13);
    assert_eq!(
        snap.counters.commands_failed,
        1 + 1 + 6,
        "read-only + unknown tag + 6 over the queue capacity of 4"
    );
    assert_eq!(snap.events.len(), 1);
    assert!(
        !snap.events[0].ok && snap.events[0].text.contains("not writable"),
        "{:?}",
        snap.events
    );
}

#[test]
fn command_outcomes_from_drivers_become_events() {
    let dir = directory(8, 60_000);
    let (etx, erx) = bounded(4);
    let mut p = ports(1, 4);
    p.ports[0].events = erx;
    let (_cmd_tx, cmd_rx) = lanes();
    let mut hub = Hub::new(dir, p.ports, cmd_rx);
    etx.send(crate::driver::DriverEvent::WriteConfirmed {
        tag: TagId(1),
        value: Value::F64(3.0),
    })
    .unwrap();
    etx.send(crate::driver::DriverEvent::WriteFailed {
        tag: TagId(3),
        value: Value::F64(4.0),
        reason: "device busy".into(),
    })
    .unwrap();
    hub.drain_events();
    let snap = hub.build_snapshot(Timestamp::ZERO);
    assert_eq!(snap.events.len(), 2);
    assert!(
        snap.events[0].ok && snap.events[0].text.contains("dev1/t1 = 3.000 written and confirmed"),
        "{:?}",
        snap.events[0]
    );
    assert!(!snap.events[1].ok && snap.events[1].text.contains("device busy"));
    assert_eq!(snap.counters.commands_failed, 1);
}

#[test]
fn a_stopped_driver_does_not_make_the_hub_spin() {
    let dir = directory(4, 60_000);
    let p = ports(1, 4);
    drop(p.senders); // the driver is gone: its channels are closed
    let (cmd_tx, cmd_rx) = lanes();
    drop(cmd_tx);
    let hub = Hub::new(dir, p.ports, cmd_rx).with_timing(HubTiming {
        housekeeping: Duration::from_millis(50),
        ..HubTiming::default()
    });
    let cell = hub.snapshot_cell();
    let shutdown = Arc::new(AtomicBool::new(false));
    let s = shutdown.clone();
    let t = std::thread::spawn(move || hub.run(s));
    std::thread::sleep(Duration::from_millis(500));
    // A spinning loop would publish far more often than once per housekeeping tick.
    let seq = cell.load().seq;
    shutdown.store(true, Ordering::Relaxed);
    t.join().unwrap();
    assert!(seq < 30, "{seq} publications in 0.5 s");
}

#[test]
fn requests_are_shown_for_polling_drivers_only() {
    let mut p = ports(2, 4);
    p.ports[1].stats = Arc::new(DriverStats::polling());
    p.ports[1].stats.record_request(Duration::from_millis(2));
    p.ports[1].stats.record_request(Duration::from_millis(2));
    let (_cmd_tx, cmd_rx) = lanes();
    let mut hub = Hub::new(directory(2, 500), p.ports, cmd_rx);
    hub.update_rates(2.0);
    let s = hub.build_snapshot(Timestamp(10_000_000));
    // a subscription driver is sent its data: its traffic is its samples, not requests
    assert_eq!(s.drivers[0].requests, None);
    assert_eq!(s.drivers[0].requests_per_sec, None);
    assert_eq!(s.drivers[1].requests, Some(2));
    assert_eq!(s.drivers[1].requests_per_sec, Some(1.0));
}

#[test]
fn silent_tags_turn_stale_in_housekeeping() {
    let dir = directory(2, 500);
    let p = ports(4, 4);
    let (_cmd_tx, cmd_rx) = lanes();
    let mut hub = Hub::new(dir, p.ports, cmd_rx);
    let t0 = Timestamp(10_000_000);
    hub.apply_batch(
        SampleBatch::new(DriverId(0), vec![Sample::good(TagId(0), Value::F64(1.0), t0)]),
        t0,
    );
    hub.flush_updates();
    hub.housekeeping(t0.plus(Duration::from_millis(400)));
    assert_eq!(hub.table().get(TagId(0)).unwrap().quality, Quality::Good);
    hub.housekeeping(t0.plus(Duration::from_millis(600)));
    assert_eq!(
        hub.table().get(TagId(0)).unwrap().quality,
        Quality::Bad(BadReason::Stale)
    );
    assert_eq!(
        hub.table().get(TagId(1)).unwrap().quality,
        Quality::Bad(BadReason::WaitingForData)
    );
}

#[test]
fn operator_writes_are_checked_against_the_role_and_audited() {
    use crate::auth::{Actor, Role};
    let dir = directory(8, 60_000);
    let p = ports(4, 4);
    let (_cmd_tx, cmd_rx) = lanes();
    let (audit_tx, audit_rx) = crate::auth::audit::AuditSink::channel(16);
    let mut hub = Hub::new(dir, p.ports, cmd_rx);
    hub.set_audit(audit_tx);
    hub.handle_command(HubCommand::OperatorWrite {
        tag: TagId(7),
        value: Value::F64(55.0),
        by: Actor::new("visitor", Role::Viewer),
    });
    assert!(
        p.cmd_rx[3].try_recv().is_err(),
        "a viewer's write never reaches the driver"
    );
    hub.handle_command(HubCommand::OperatorWrite {
        tag: TagId(7),
        value: Value::F64(56.0),
        by: Actor::new("ana", Role::Operator),
    });
    assert!(matches!(
        p.cmd_rx[3].try_recv().unwrap(),
        DriverCommand::Write { value: Value::F64(v), .. } if v == 56.0
    ));
    let audited: Vec<(String, String, bool)> = audit_rx.try_iter().map(|e| (e.user, e.target, e.allowed)).collect();
    assert_eq!(
        audited,
        vec![
            ("visitor".to_owned(), "dev3/t7".to_owned(), false),
            ("ana".to_owned(), "dev3/t7".to_owned(), true)
        ]
    );
    let snap = hub.build_snapshot(Timestamp::ZERO);
    assert!(
        snap.events[0]
            .text
            .contains("visitor (viewer) may not write a setpoint")
    );
}

#[test]
fn a_persons_write_is_kept_with_its_outcome_until_the_driver_answers() {
    use crate::auth::{Actor, Role};
    use crate::driver::DriverEvent;
    let dir = directory(8, 60_000); // odd tags are writable; tags 3 and 7 are driver 3's
    let (etx, erx) = bounded(4);
    let mut p = ports(4, 4);
    p.ports[3].events = erx;
    let (_cmd_tx, cmd_rx) = lanes();
    let mut hub = Hub::new(dir, p.ports, cmd_rx);
    let write = |tag: u32, v: f64, by: &Actor| HubCommand::OperatorWrite {
        tag: TagId(tag),
        value: Value::F64(v),
        by: by.clone(),
    };
    let ana = Actor::new("ana", Role::Operator);
    hub.handle_command(write(7, 52.3, &ana));
    hub.handle_command(write(7, 40.0, &Actor::new("visitor", Role::Viewer)));
    hub.handle_command(write(6, 1.0, &ana));
    hub.handle_command(write(3, 2.0, &ana));
    let outcomes = |hub: &Hub<Service>| -> Vec<(u64, String, String, WriteOutcome)> {
        let snap = hub.build_snapshot(Timestamp::ZERO);
        snap.writes
            .iter()
            .map(|w| (w.seq, w.tag_name.clone(), w.by.user.clone(), w.outcome.clone()))
            .collect()
    };
    let refused = |why: &str| WriteOutcome::Refused(why.to_owned());
    assert_eq!(
        outcomes(&hub),
        vec![
            (1, "dev3/t7".to_owned(), "ana".to_owned(), WriteOutcome::Sent),
            (
                2,
                "dev3/t7".to_owned(),
                "visitor".to_owned(),
                refused("visitor (viewer) may not write a setpoint")
            ),
            (
                3,
                "dev2/t6".to_owned(),
                "ana".to_owned(),
                refused("the tag is not writable")
            ),
            (4, "dev3/t3".to_owned(), "ana".to_owned(), WriteOutcome::Sent),
        ]
    );
    // A trip's write to the same tag answers nothing of the person's; the device's read-back of 52.3 as a
    // 32-bit float does.
    for e in [
        DriverEvent::WriteConfirmed {
            tag: TagId(7),
            value: Value::F64(0.0),
        },
        DriverEvent::WriteConfirmed {
            tag: TagId(7),
            value: Value::F64(f64::from(52.3f32)),
        },
        DriverEvent::WriteFailed {
            tag: TagId(3),
            value: Value::F64(2.0),
            reason: "device busy".into(),
        },
    ] {
        etx.send(e).unwrap();
    }
    hub.drain_events();
    let settled: Vec<WriteOutcome> = outcomes(&hub).into_iter().map(|w| w.3).collect();
    assert_eq!(
        settled,
        vec![
            WriteOutcome::Confirmed,
            refused("visitor (viewer) may not write a setpoint"),
            refused("the tag is not writable"),
            WriteOutcome::Failed("device busy".into()),
        ]
    );
}

/// Sees service commands, and how many writes had reached driver 1's queue when each came.
struct Order {
    writes: Receiver<DriverCommand>,
    seen: Arc<Mutex<Vec<(String, usize)>>>,
}

impl Subscriber<Service> for Order {
    fn name(&self) -> &str {
        "order"
    }
    fn on_updates(&mut self, _: &[TagUpdate], _: &TagTable) {}
    fn on_command(&mut self, cmd: &Service, _: Timestamp, _: &TagTable) {
        let what = match cmd {
            Service::Estop => "estop",
        };
        self.seen.lock().unwrap().push((what.to_owned(), self.writes.len()));
    }
}

#[test]
fn an_estop_gets_through_when_people_filled_the_command_queue_and_goes_first() {
    let dir = directory(8, 60_000); // odd tags are writable
    let mut p = ports(4, 4);
    // Room for every write at the driver, so the order the hub handled them in can be seen there.
    let (ctx, crx) = bounded(64);
    p.ports[1].commands = ctx;
    let (tx, lanes) = command_lanes::<Service>(8, 2);
    let ana = Actor::new("ana", crate::auth::Role::Operator);
    let write = || HubCommand::OperatorWrite {
        tag: TagId(1),
        value: Value::F64(1.0),
        by: ana.clone(),
    };
    while tx.try_send(write()).is_ok() {}
    assert_eq!(
        tx.try_send(write()),
        Err(NotSent::Full),
        "routine traffic filled its queue"
    );
    tx.service(Service::Estop)
        .expect("an E-stop is never refused because people's commands filled the queue");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut hub = Hub::new(dir, p.ports, lanes);
    hub.subscribe(Box::new(Order {
        writes: crx.clone(),
        seen: seen.clone(),
    }));
    hub.drain_commands();
    assert_eq!(
        *seen.lock().unwrap(),
        vec![("estop".to_owned(), 0)],
        "the E-stop is handled before any of the writes queued ahead of it"
    );
    assert_eq!(crx.len(), 8, "and the writes still go, after it");
}
