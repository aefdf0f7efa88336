//! Replay: history recorded by a running console played back through the same hub path, the tags taking the
//! recorded values at the recorded times, and no write leaving while it plays.

use std::time::{Duration, Instant};
use wellconsole::auth::{Actor, Role};
use wellconsole::driver::replay::{ReplayCmd, ReplaySpec};
use wellconsole::historian::query::History;
use wellconsole::hub::HubCommand;
use wellconsole::hub::WriteOutcome;
use wellconsole::project::Project;
use wellconsole::runtime::{Runtime, RuntimeOptions};
use wellconsole::tag::{Timestamp, Value};

fn wait_until(what: &str, secs: u64, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_replay_plays_the_recorded_values_and_lets_no_write_out() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.db");
    // Record a little of the demo at speed.
    let rec = RuntimeOptions {
        speed: Some(20.0),
        history: Some(db.clone()),
        ..RuntimeOptions::default()
    };
    let rt = Runtime::start(Project::demo().unwrap(), rec, Vec::new(), None).unwrap();
    wait_until("depth readings recorded", 60, || {
        rt.snapshot.load().by_name("ct01/depth").is_some_and(|s| s.updates > 50)
    });
    std::thread::sleep(Duration::from_secs(3));
    rt.shutdown();

    let history = History::open(&db).unwrap();
    let depth = history.raw("ct01/depth", i64::MIN, i64::MAX).unwrap();
    assert!(depth.len() > 20, "history was recorded: {} samples", depth.len());
    let from = Timestamp(depth[0].ts);
    let to = Timestamp(depth[depth.len() - 1].ts);
    let mid = &depth[depth.len() / 2];

    let opts = RuntimeOptions {
        replay: Some(ReplaySpec {
            history: db.clone(),
            from,
            to,
            speed: 60.0,
        }),
        ..RuntimeOptions::default()
    };
    let rt = Runtime::start(Project::demo().unwrap(), opts, Vec::new(), None).unwrap();
    let replay = rt.replay.clone().expect("a replay runtime has its controls");
    replay.control.send(ReplayCmd::Pause).unwrap();
    replay.control.send(ReplayCmd::Seek(Timestamp(mid.ts))).unwrap();
    wait_until("the depth as recorded at the seek time", 30, || {
        rt.snapshot.load().by_name("ct01/depth").is_some_and(|s| {
            s.source_ts == Timestamp(mid.ts)
                && s.value.as_ref().and_then(Value::as_f64) == mid.value.as_ref().and_then(Value::as_f64)
        })
    });

    // A person's write while replaying: refused at the replay driver, nothing leaves.
    let tag = rt
        .project
        .site
        .tags
        .iter()
        .find(|t| t.name == "esp01/frequency_setpoint")
        .expect("a writable tag")
        .id;
    rt.commands
        .send_deadline(
            HubCommand::OperatorWrite {
                tag,
                value: Value::F64(55.0),
                by: Actor::new("oscar", Role::Operator),
            },
            Instant::now() + Duration::from_secs(5),
        )
        .unwrap();
    wait_until("the write refused by the replay", 30, || {
        rt.snapshot
            .load()
            .writes
            .iter()
            .any(|w| w.tag == tag && matches!(&w.outcome, WriteOutcome::Failed(why) if why.contains("replay")))
    });
    assert!(replay.status.writes_refused() >= 1);

    // Played on, it reaches the end of the window and stops there.
    replay.control.send(ReplayCmd::Resume).unwrap();
    wait_until("the end of the window", 60, || replay.status.finished());
    let last = depth[depth.len() - 1].value.as_ref().and_then(Value::as_f64);
    wait_until("the last recorded depth on screen", 30, || {
        rt.snapshot
            .load()
            .by_name("ct01/depth")
            .and_then(|s| s.value.as_ref().and_then(Value::as_f64))
            == last
    });
    rt.shutdown();
}
