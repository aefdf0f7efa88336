//! The historian end to end on a real SQLite file: hub updates in, the same samples out, across sealed
//! chunks, segments, restarts, rollups and retention.

use super::rollup::{Accumulator, Bucket, MINUTE_US, Resolution};
use super::writer::HistorianStats;
use super::*;
use crate::tag::{
    BadReason, DriverId, HistoryMode, Quality, Sample, TagDef, TagDirectory, TagId, TagTable, Timestamp, Value,
    ValueKind,
};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

const T0: i64 = 1_795_000_000_000_000;

fn directory() -> Arc<TagDirectory> {
    let mk = |i: u32, name: &str, kind, history| TagDef {
        id: TagId(i),
        name: name.into(),
        description: String::new(),
        description_es: String::new(),
        label: Default::default(),
        unit: "psi".into(),
        kind,
        range: None,
        decimals: 1,
        driver: DriverId(0),
        address: name.into(),
        stale_after: Duration::MAX,
        writable: false,
        history,
    };
    Arc::new(TagDirectory::new(vec![
        mk(0, "w/pressure", ValueKind::F64, HistoryMode::All),
        mk(1, "w/level", ValueKind::F64, HistoryMode::Change { deadband: 1.0 }),
        mk(2, "w/phase", ValueKind::String, HistoryMode::All),
        mk(3, "w/ignored", ValueKind::F64, HistoryMode::Off),
    ]))
}

fn config(dir: &tempfile::TempDir) -> HistorianConfig {
    HistorianConfig {
        seal_samples: 100,
        ..HistorianConfig::new(dir.path().join("h.db"))
    }
}

/// Feeds `samples` through a tag table into the historian, as the hub does, one scan per 10 samples.
fn feed(h: &mut HistorianFeed, table: &mut TagTable, samples: &[Sample]) {
    for scan in samples.chunks(10) {
        let updates: Vec<_> = scan.iter().filter_map(|s| table.apply(s, s.source_ts)).collect();
        h.on_updates(&updates, table);
    }
}

/// Runs a writer over `samples` as the hub would feed them, then stops it (final commit).
fn store_all(dir: &tempfile::TempDir, samples: &[Sample]) -> Arc<HistorianStats> {
    let dirs = directory();
    let (h, mut f) = Historian::start(config(dir), WriterTag::from_directory(&dirs)).unwrap();
    let stats = h.stats();
    let mut table = TagTable::new(dirs);
    feed(&mut f, &mut table, samples);
    h.stop();
    stats
}

/// The rollup of w/pressure's stored samples, computed afresh (closed buckets and the open one).
fn rollup_of_stored(q: &History, res: Resolution) -> Vec<Bucket> {
    let mut acc = Accumulator::new(res);
    let mut out = Vec::new();
    for s in q.raw("w/pressure", T0, T0 + 3_600_000_000).unwrap() {
        acc.push(s.ts, writer::rollup_value(s.value.as_ref(), s.quality), &mut out);
    }
    out.push(acc.open().unwrap().clone());
    out
}

fn pressure(i: i64) -> Sample {
    let t = Timestamp(T0 + i * 100_000);
    // one comm failure in the middle
    if (500..520).contains(&i) {
        Sample::bad(TagId(0), BadReason::CommFail, t)
    } else {
        Sample::good(TagId(0), Value::F64(((i * 37) % 1000) as f64 / 10.0), t)
    }
}

#[test]
fn samples_come_back_exactly_across_segments_sealed_chunks_and_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let dirs = directory();
    let all: Vec<Sample> = (0..1234).map(pressure).collect();
    for part in [&all[..617], &all[617..]] {
        let (h, mut f) = Historian::start(config(&dir), WriterTag::from_directory(&dirs)).unwrap();
        let mut table = TagTable::new(dirs.clone());
        // commit in several pieces so segments and sealing both happen
        for piece in part.chunks(77) {
            feed(&mut f, &mut table, piece);
            h.flush();
        }
        h.stop();
    }
    let q = History::open(&dir.path().join("h.db")).unwrap();
    let got = q.raw("w/pressure", T0, T0 + 10_000_000_000).unwrap();
    assert_eq!(got.len(), all.len());
    for (g, s) in got.iter().zip(&all) {
        assert_eq!(g.ts, s.source_ts.0);
        if s.quality.is_good() {
            assert_eq!(g.value, s.value, "at {}", g.ts);
            assert!(g.quality.plottable());
        } else {
            assert_eq!(g.quality.quality, Quality::Bad(BadReason::CommFail));
            assert!(g.value.is_none(), "a held value is not a reading");
        }
    }
    let st = q.stats().unwrap();
    let p = st.tags.iter().find(|t| t.name == "w/pressure").unwrap();
    assert_eq!(p.samples, 1234);
    assert!(p.chunks <= 16, "segments were sealed: {} chunks", p.chunks);
    assert_eq!(st.tags.iter().find(|t| t.name == "w/ignored").unwrap().samples, 0);
}

#[test]
fn a_query_window_returns_its_samples_and_the_value_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let all: Vec<Sample> = (0..1000).map(pressure).collect();
    store_all(&dir, &all);
    let q = History::open(&dir.path().join("h.db")).unwrap();
    // windows crossing chunk borders (100 samples = 10 s per chunk) at odd places
    for (a, b) in [(0, 999), (99, 101), (150, 350), (333, 334), (998, 5000)] {
        let from = T0 + a * 100_000 + 1;
        let to = T0 + b * 100_000;
        let got: Vec<i64> = q.raw("w/pressure", from, to).unwrap().iter().map(|s| s.ts).collect();
        let mut want: Vec<i64> = all
            .iter()
            .map(|s| s.source_ts.0)
            .filter(|&t| t >= from && t <= to)
            .collect();
        want.insert(0, T0 + a * 100_000);
        assert_eq!(got, want, "window {a}..{b}");
    }
    assert!(matches!(q.raw("nope", T0, T0), Err(QueryError::UnknownTag(_))));
}

#[test]
fn stored_rollups_equal_the_rollup_of_what_was_stored() {
    let dir = tempfile::tempdir().unwrap();
    // 5 minutes at 10 Hz, with a gap, over two runs of the writer
    let all: Vec<Sample> = (0..3000).map(pressure).collect();
    for part in [&all[..1700], &all[1700..]] {
        store_all(&dir, part);
    }
    let q = History::open(&dir.path().join("h.db")).unwrap();
    let want = rollup_of_stored(&q, Resolution::Minute);
    let got = q
        .buckets(Resolution::Minute, "w/pressure", T0, T0 + 3_600_000_000)
        .unwrap();
    assert_eq!(got.len(), 6);
    assert_eq!(got, want);
    assert_eq!(got[0].start % MINUTE_US, 0);
    let hour = q
        .buckets(Resolution::Hour, "w/pressure", T0, T0 + 3_600_000_000)
        .unwrap();
    assert_eq!(hour.iter().map(|b| b.count).sum::<u64>(), 3000 - 20);
}

#[test]
fn deadband_strings_and_quality_changes_are_stored_as_configured() {
    let dir = tempfile::tempdir().unwrap();
    let t = |i: i64| Timestamp(T0 + i * 1_000_000);
    let samples = vec![
        Sample::good(TagId(1), Value::F64(10.0), t(0)),
        Sample::good(TagId(1), Value::F64(10.5), t(1)),
        Sample::good(TagId(1), Value::F64(11.5), t(2)),
        Sample::bad(TagId(1), BadReason::SensorFail, t(3)),
        Sample::good(TagId(1), Value::F64(11.5), t(4)),
        Sample::good(TagId(2), Value::str("RIH"), t(0)),
        Sample::good(TagId(2), Value::str("POOH"), t(5)),
        Sample::good(TagId(3), Value::F64(1.0), t(0)),
        // older than what is stored: dropped and counted
        Sample::good(TagId(2), Value::str("RIH"), t(1)),
    ];
    let stats = store_all(&dir, &samples);
    assert_eq!(stats.out_of_order.load(Ordering::Relaxed), 1);
    let q = History::open(&dir.path().join("h.db")).unwrap();
    let level: Vec<(i64, Option<Value>)> = q
        .raw("w/level", T0, T0 + 10_000_000)
        .unwrap()
        .into_iter()
        .map(|s| ((s.ts - T0) / 1_000_000, s.value))
        .collect();
    assert_eq!(
        level,
        [
            (0, Some(Value::F64(10.0))),
            (2, Some(Value::F64(11.5))),
            (3, None),
            (4, Some(Value::F64(11.5)))
        ]
    );
    let phase: Vec<Option<Value>> = q
        .raw("w/phase", T0, T0 + 10_000_000)
        .unwrap()
        .into_iter()
        .map(|s| s.value)
        .collect();
    assert_eq!(phase, [Some(Value::str("RIH")), Some(Value::str("POOH"))]);
    assert!(q.raw("w/ignored", T0, T0 + 10_000_000).unwrap().is_empty());
}

#[test]
fn a_stale_tag_is_stored_when_the_hub_found_it_and_exports_that_way() {
    let dir = tempfile::tempdir().unwrap();
    // w/pressure turns stale 2 s after its last reading
    let defs: Vec<TagDef> = directory()
        .iter()
        .map(|d| TagDef {
            stale_after: Duration::from_secs(2),
            ..d.clone()
        })
        .collect();
    let dirs = Arc::new(TagDirectory::new(defs));
    let (h, mut f) = Historian::start(config(&dir), WriterTag::from_directory(&dirs)).unwrap();
    let mut table = TagTable::new(dirs);
    let at = |us: i64| Timestamp(T0 + us);
    // read at 0 s by the source's clock and received 1 ms later; the housekeeping tick at 2.5 s finds it
    let reading = table
        .apply(&Sample::good(TagId(0), Value::F64(500.0), at(0)), at(1_000))
        .unwrap();
    f.on_updates(&[reading], &table);
    let mut stale = Vec::new();
    table.mark_stale(at(2_500_000), &mut stale);
    assert_eq!(stale.len(), 1);
    f.on_updates(&stale, &table);
    h.stop();
    let q = History::open(&dir.path().join("h.db")).unwrap();
    let got: Vec<(i64, Option<Value>, Quality)> = q
        .raw("w/pressure", T0, T0 + 10_000_000)
        .unwrap()
        .into_iter()
        .map(|s| (s.ts - T0, s.value, s.quality.quality))
        .collect();
    assert_eq!(
        got,
        [
            (0, Some(Value::F64(500.0)), Quality::Good),
            (2_500_000, None, Quality::Bad(BadReason::Stale)),
        ],
        "STALE is stored at 2.5 s, not 1 ms after the reading"
    );
    let req = export::ExportRequest {
        tags: vec!["w/pressure".into()],
        from: T0,
        to: T0 + 10_000_000,
        resolution: Resolution::Raw,
    };
    let mut csv: Vec<u8> = Vec::new();
    export::export_csv(&q, &req, &mut csv, &mut |_: f64| {}).unwrap();
    assert_eq!(
        String::from_utf8(csv).unwrap(),
        format!(
            "time,tag,value,quality\n{},w/pressure,500,good\n{},w/pressure,,bad:stale\n",
            export::format_time(T0),
            export::format_time(T0 + 2_500_000)
        )
    );
    // the trend's line ends at the reading and the gap starts at the STALE record
    let t = q.trend("w/pressure", T0, T0 + 10_000_000, 100).unwrap();
    assert_eq!(t.segments, vec![vec![[T0 as f64 / 1e6, 500.0]]]);
}

#[test]
fn retention_removes_expired_raw_and_minute_data_in_slices_and_keeps_hours() {
    let dir = tempfile::tempdir().unwrap();
    let all: Vec<Sample> = (0..3000).map(pressure).collect();
    store_all(&dir, &all);
    let conn = store::open_writer(&dir.path().join("h.db")).unwrap();
    let r = retention::Retention::default();
    // the day after: nothing expires
    assert_eq!(r.apply_slice(&conn, T0 + 86_400_000_000, 10).unwrap(), 0);
    // 800 days later: raw and minute rows go, 10 at a time, hours stay
    let later = T0 + 800 * 86_400_000_000;
    let mut passes = 0;
    while r.apply_slice(&conn, later, 2).unwrap() > 0 {
        passes += 1;
    }
    assert!(passes > 1, "deleted in slices");
    let q = History::open(&dir.path().join("h.db")).unwrap();
    assert!(q.raw("w/pressure", T0, later).unwrap().is_empty());
    assert!(
        q.buckets(Resolution::Minute, "w/pressure", T0, later)
            .unwrap()
            .is_empty()
    );
    assert_eq!(q.buckets(Resolution::Hour, "w/pressure", T0, later).unwrap().len(), 1);
}

#[test]
fn a_trend_is_decimated_and_shows_the_comm_failure_as_a_gap() {
    let dir = tempfile::tempdir().unwrap();
    let all: Vec<Sample> = (0..3000).map(pressure).collect();
    store_all(&dir, &all);
    let q = History::open(&dir.path().join("h.db")).unwrap();
    let (from, to) = (T0, T0 + 300_000_000);
    let t = q.trend("w/pressure", from, to, 100).unwrap();
    assert_eq!(t.resolution, Resolution::Raw);
    assert_eq!(t.segments.len(), 2, "the comm failure splits the line");
    let points: usize = t.segments.iter().map(Vec::len).sum();
    assert!(points <= 4 * 101, "{points} points for 100 columns");
    let max = t.segments.iter().flatten().map(|p| p[1]).fold(f64::MIN, f64::max);
    assert_eq!(max, 99.9, "the extreme survives decimation");
    // a day on 100 px reads minute rollups
    assert_eq!(
        History::resolution_for(from, from + 86_400_000_000, 100),
        Resolution::Minute
    );
    assert_eq!(
        History::resolution_for(from, from + 400 * 86_400_000_000, 100),
        Resolution::Hour
    );
    let t = q.trend_at(Resolution::Minute, "w/pressure", from, to, 100).unwrap();
    assert_eq!(t.read, 6);
}

#[test]
fn rollups_lost_in_a_crash_are_rebuilt_from_raw_samples() {
    let dir = tempfile::tempdir().unwrap();
    let dirs = directory();
    let all: Vec<Sample> = (0..3000).map(pressure).collect();
    // First run: committed (segments every flush, rollup checkpoints only now and then), then it dies
    // without its final commit: the thread is left behind, as a killed process would leave the file.
    let (h, mut f) = Historian::start(config(&dir), WriterTag::from_directory(&dirs)).unwrap();
    let mut table = TagTable::new(dirs.clone());
    for piece in all[..1900].chunks(50) {
        feed(&mut f, &mut table, piece);
        h.flush();
    }
    std::mem::forget(h);
    std::mem::forget(f);
    let (h, mut f) = Historian::start(config(&dir), WriterTag::from_directory(&dirs)).unwrap();
    let mut table = TagTable::new(dirs.clone());
    feed(&mut f, &mut table, &all[1900..]);
    h.stop();
    let q = History::open(&dir.path().join("h.db")).unwrap();
    for res in Resolution::ROLLUPS {
        let want = rollup_of_stored(&q, res);
        let got = q.buckets(res, "w/pressure", T0, T0 + 3_600_000_000).unwrap();
        assert_eq!(got, want, "{res:?}");
    }
}

/// `n` good w/pressure samples from index `from`, as `write_blocking` takes them.
fn raw_batch(from: i64, n: i64) -> Vec<(u32, filter::HistSample)> {
    (from..from + n)
        .map(|i| {
            (
                0,
                filter::HistSample {
                    ts: T0 + i * 100_000,
                    value: Some(Value::F64(i as f64)),
                    quality: codec::StoredQuality {
                        quality: crate::tag::Quality::Good,
                        has_value: true,
                    },
                },
            )
        })
        .collect()
}

fn wait_for(what: &str, ok: impl Fn() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !ok() {
        assert!(std::time::Instant::now() < deadline, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn a_full_disk_keeps_a_bounded_backlog_counts_every_sample_not_stored_and_stops_in_time() {
    let dir = tempfile::tempdir().unwrap();
    let dirs = directory();
    let cfg = HistorianConfig {
        max_backlog: 500,
        commit_every: Duration::from_millis(20),
        // No sealing: a seal frees pages, and a full disk that keeps finding room is not full.
        seal_samples: 10_000_000,
        ..config(&dir)
    };
    let (mut h, _feed) = Historian::start(cfg, WriterTag::from_directory(&dirs)).unwrap();
    let stats = h.stats();
    let load = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed);
    let mut sent = 0;
    h.write_blocking(raw_batch(sent, 1_000));
    sent += 1_000;
    h.flush();
    assert_eq!(load(&stats.samples_stored), 1_000);
    // The disk is full: commits fail (pages freed earlier may take a few more first).
    h.limit_pages(Some(1));
    while !stats.failing() {
        h.write_blocking(raw_batch(sent, 50));
        sent += 50;
        h.flush();
        assert!(sent < 200_000, "commits never failed");
    }
    let stored_before = load(&stats.samples_stored);
    h.write_blocking(raw_batch(sent, 2_000));
    sent += 2_000;
    h.flush();
    assert!(stats.failing());
    assert!(
        load(&stats.backlog) <= 500,
        "memory is bounded: {}",
        load(&stats.backlog)
    );
    assert!(
        load(&stats.samples_lost) >= 1_500,
        "past the backlog, samples are counted as lost"
    );
    assert_eq!(
        load(&stats.samples_stored),
        stored_before,
        "nothing is counted as stored that was not"
    );
    // The disk has room again: the backlog is written, the state clears, the loss stays counted.
    h.limit_pages(None);
    wait_for("commits to work again", || {
        h.flush();
        !stats.failing()
    });
    assert_eq!(load(&stats.backlog), 0);
    assert_eq!(
        load(&stats.samples_stored) + stats.not_stored(),
        sent as u64,
        "every sample fed is stored or counted as not stored"
    );
    // Full again at stop: the stop gives up after its time and says what it could not save.
    h.limit_pages(Some(1));
    while !stats.failing() {
        h.write_blocking(raw_batch(sent, 50));
        sent += 50;
        h.flush();
    }
    h.write_blocking(raw_batch(sent, 100));
    sent += 100;
    let report = h.stop_within(Duration::from_millis(300));
    assert!(report.not_saved_at_stop > 0, "{report:?}");
    assert_eq!(report.samples_in, sent as u64);
    assert_eq!(
        report.samples_stored + report.samples_not_stored,
        report.samples_in,
        "{report:?}"
    );
    drop(h);
    let q = History::open(&dir.path().join("h.db")).unwrap();
    let rows = q.raw("w/pressure", T0, T0 + 1_000_000_000_000).unwrap().len() as u64;
    assert_eq!(
        rows, report.samples_stored,
        "what is counted as stored is in the database"
    );
}

/// Starts a writer with forwarding `on`, feeds `samples` in commits of 77, stops it.
fn store_forwarding(dir: &tempfile::TempDir, samples: &[Sample], on: bool) {
    let dirs = directory();
    // Commits only when asked (`flush`): one block per piece, however slow the machine.
    let cfg = HistorianConfig {
        forward: on,
        commit_every: Duration::from_secs(3600),
        ..config(dir)
    };
    let (h, mut f) = Historian::start(cfg, WriterTag::from_directory(&dirs)).unwrap();
    let mut table = TagTable::new(dirs);
    for piece in samples.chunks(77) {
        feed(&mut f, &mut table, piece);
        h.flush();
    }
    h.stop();
}

/// Everything the forwarder would send now (blocks and backfill chunks), marking it sent: (tag name, time).
fn forward_all(conn: &rusqlite::Connection, max: usize) -> Vec<(String, i64)> {
    let names: std::collections::HashMap<i64, String> = forward_log::tags(conn)
        .unwrap()
        .into_iter()
        .map(|t| (t.0, t.1))
        .collect();
    let mut out = Vec::new();
    loop {
        let b = forward_log::read_chunks(conn, max).unwrap();
        let done = forward_log::chunks_pending_from(conn).unwrap().is_none();
        out.extend(b.rows.iter().map(|r| (names[&r.tag].clone(), r.ts)));
        if !done {
            forward_log::chunks_sent(conn, b.next_pos).unwrap();
            continue;
        }
        let pos = forward_log::samples_pos(conn).unwrap().unwrap();
        let b = forward_log::read_samples(conn, max).unwrap();
        if b.next_pos == pos {
            return out;
        }
        out.extend(b.rows.iter().map(|r| (names[&r.tag].clone(), r.ts)));
        forward_log::samples_sent(conn, b.next_pos).unwrap();
    }
}

#[test]
fn forwarding_keeps_blocks_until_sent_and_reads_every_sample_once_in_commit_order() {
    let dir = tempfile::tempdir().unwrap();
    let all: Vec<Sample> = (0..1234).map(pressure).collect();
    store_forwarding(&dir, &all, true);
    let conn = store::open_writer(&dir.path().join("h.db")).unwrap();
    let blocks: i64 = conn.query_row("SELECT count(*) FROM blocks", [], |r| r.get(0)).unwrap();
    assert_eq!(blocks, 1234 / 77 + 1, "every commit's block is kept until it is sent");
    let backlog = forward_log::backlog(&conn).unwrap();
    assert_eq!(backlog.samples, 1234);
    assert_eq!(backlog.oldest_us, Some(T0));
    let sent = forward_all(&conn, 300);
    let want: Vec<(String, i64)> = all.iter().map(|s| ("w/pressure".to_owned(), s.source_ts.0)).collect();
    assert_eq!(sent, want, "each sample once, oldest first");
    assert_eq!(forward_log::backlog(&conn).unwrap().samples, 0);
    drop(conn);
    // The next run's commits delete what was sent (and sealed), and keep what was not.
    let more: Vec<Sample> = (1234..1300).map(pressure).collect();
    store_forwarding(&dir, &more, true);
    let conn = store::open_writer(&dir.path().join("h.db")).unwrap();
    let sealed_upto: i64 = conn
        .query_row("SELECT MAX(upto_block) FROM chunks", [], |r| r.get(0))
        .unwrap();
    let first_kept: i64 = conn.query_row("SELECT MIN(id) FROM blocks", [], |r| r.get(0)).unwrap();
    assert!(first_kept > sealed_upto.min(16), "sent and sealed blocks were deleted");
    assert_eq!(
        forward_log::backlog(&conn).unwrap().samples,
        66,
        "only the new commits wait"
    );
    assert_eq!(forward_all(&conn, 300).len(), 66);
}

#[test]
fn turning_forwarding_on_later_sends_the_sealed_history_from_its_chunks() {
    let dir = tempfile::tempdir().unwrap();
    let all: Vec<Sample> = (0..1234).map(pressure).collect();
    store_forwarding(&dir, &all[..1000], false);
    // Off, then on: what was sealed meanwhile (its blocks deleted) is sent from the chunks.
    store_forwarding(&dir, &all[1000..], true);
    let conn = store::open_writer(&dir.path().join("h.db")).unwrap();
    assert!(forward_log::chunks_pending_from(&conn).unwrap().is_some());
    assert_eq!(forward_log::backlog(&conn).unwrap().oldest_us, Some(T0));
    let sent: std::collections::BTreeSet<(String, i64)> = forward_all(&conn, 250).into_iter().collect();
    let want: std::collections::BTreeSet<(String, i64)> =
        all.iter().map(|s| ("w/pressure".to_owned(), s.source_ts.0)).collect();
    assert_eq!(
        sent, want,
        "every sample, none missing (overlaps are the central keys' business)"
    );
}

#[test]
fn retention_never_deletes_history_that_is_not_forwarded_and_says_how_much_it_holds() {
    let dir = tempfile::tempdir().unwrap();
    let all: Vec<Sample> = (0..1234).map(pressure).collect();
    store_forwarding(&dir, &all, true);
    let conn = store::open_writer(&dir.path().join("h.db")).unwrap();
    let r = retention::Retention::default();
    let later = T0 + 800 * 86_400_000_000;
    let keep = retention::Keep {
        blocks_after: forward_log::samples_pos(&conn).unwrap(),
        chunks_from: None,
        queued_rollups: true,
    };
    while r.apply_slice_keeping(&conn, later, 50, keep).unwrap() > 0 {}
    assert_eq!(
        r.held_back(&conn, later, keep).unwrap(),
        1234,
        "past retention, kept for the forwarder"
    );
    let minute_rows = |conn: &rusqlite::Connection| -> i64 {
        conn.query_row("SELECT count(*) FROM rollups WHERE res = 60", [], |r| r.get(0))
            .unwrap()
    };
    assert!(minute_rows(&conn) > 0, "queued rollup rows are kept too");
    assert_eq!(forward_all(&conn, 10_000).len(), 1234);
    let queued = forward_log::read_rollups(&conn, 100_000).unwrap();
    forward_log::rollups_sent(&conn, queued.next_pos).unwrap();
    let keep = retention::Keep {
        blocks_after: forward_log::samples_pos(&conn).unwrap(),
        chunks_from: None,
        queued_rollups: true,
    };
    while r.apply_slice_keeping(&conn, later, 50, keep).unwrap() > 0 {}
    assert_eq!(r.held_back(&conn, later, keep).unwrap(), 0);
    let blocks: i64 = conn.query_row("SELECT count(*) FROM blocks", [], |r| r.get(0)).unwrap();
    assert_eq!(blocks, 0, "sent, so retention could take it");
    assert_eq!(minute_rows(&conn), 0);
}

#[test]
fn every_rollup_row_written_is_queued_for_forwarding_once() {
    let dir = tempfile::tempdir().unwrap();
    let all: Vec<Sample> = (0..3000).map(pressure).collect();
    store_forwarding(&dir, &all, true);
    let conn = store::open_writer(&dir.path().join("h.db")).unwrap();
    let b = forward_log::read_rollups(&conn, 100_000).unwrap();
    let stored: i64 = conn
        .query_row("SELECT count(*) FROM rollups", [], |r| r.get(0))
        .unwrap();
    assert_eq!(b.rows.len() as i64, stored, "each row once, as it is now");
    assert!(b.rows.iter().any(|r| r.res == 60 && r.closed));
    forward_log::rollups_sent(&conn, b.next_pos).unwrap();
    assert!(forward_log::read_rollups(&conn, 100).unwrap().rows.is_empty());
    assert_eq!(forward_log::backlog(&conn).unwrap().rollups, 0);
}

#[test]
fn two_readings_at_one_time_are_both_stored_a_microsecond_apart() {
    let dir = tempfile::tempdir().unwrap();
    let t = Timestamp(T0);
    let samples = vec![
        Sample::good(TagId(0), Value::F64(1.0), t),
        Sample::good(TagId(0), Value::F64(2.0), t),
        Sample::good(TagId(0), Value::F64(3.0), t),
    ];
    store_all(&dir, &samples);
    let q = History::open(&dir.path().join("h.db")).unwrap();
    let got: Vec<(i64, Option<Value>)> = q
        .raw("w/pressure", T0, T0 + 1_000)
        .unwrap()
        .into_iter()
        .map(|s| (s.ts - T0, s.value))
        .collect();
    assert_eq!(
        got,
        [
            (0, Some(Value::F64(1.0))),
            (1, Some(Value::F64(2.0))),
            (2, Some(Value::F64(3.0)))
        ]
    );
}

/// The reader's next answer, or a failure after a generous minute (never a hang).
fn answer_within(r: &reader::TrendReader) -> reader::TrendAnswer {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(a) = r.poll() {
            return a;
        }
        assert!(std::time::Instant::now() < deadline, "no answer from the trend reader");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// An archive that answers every question with one flat segment over its span, and notes the questions.
struct FlatArchive(std::sync::Arc<std::sync::Mutex<Vec<(String, i64, i64)>>>);

impl reader::Archive for FlatArchive {
    fn trend(&mut self, tag: &str, from: i64, to: i64, _width: usize) -> Result<decimate::Segments, String> {
        self.0.lock().unwrap().push((tag.to_owned(), from, to));
        Ok(vec![vec![[from as f64 / 1e6, 1.0], [(to - 1) as f64 / 1e6, 1.0]]])
    }
}

#[test]
fn a_trend_reaching_back_past_local_history_reads_the_older_part_from_the_archive_and_marks_it() {
    let dir = tempfile::tempdir().unwrap();
    let all: Vec<Sample> = (0..1234).map(pressure).collect();
    store_all(&dir, &all);
    let asked = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let r =
        reader::TrendReader::start_with_archive(dir.path().join("h.db"), Some(Box::new(FlatArchive(asked.clone()))))
            .unwrap();
    let from = T0 - 3_600_000_000;
    let to = T0 + 60_000_000;
    r.request(reader::TrendRequest {
        generation: 1,
        query: reader::TrendQuery::Time {
            pens: vec!["w/pressure".into()],
            from,
            to,
            width: 400,
        },
    });
    let answer = answer_within(&r);
    assert_eq!(
        *asked.lock().unwrap(),
        [("w/pressure".to_owned(), from, T0)],
        "only what is older than T0"
    );
    let Ok(reader::PenData::Time { segments, archived, .. }) = &answer.pens[0] else {
        panic!("{:?}", answer.pens[0]);
    };
    assert_eq!(*archived, Some((from, T0)));
    assert_eq!(
        segments[0][0],
        [from as f64 / 1e6, 1.0],
        "the archive's part comes first"
    );
    assert!(segments.len() > 1, "then the local line");
    // A span the local history covers asks nothing of the archive.
    r.request(reader::TrendRequest {
        generation: 2,
        query: reader::TrendQuery::Time {
            pens: vec!["w/pressure".into()],
            from: T0 + 1_000_000,
            to,
            width: 400,
        },
    });
    let answer = answer_within(&r);
    assert!(matches!(
        &answer.pens[0],
        Ok(reader::PenData::Time { archived: None, .. })
    ));
    assert_eq!(asked.lock().unwrap().len(), 1);
}

#[test]
fn pages_of_raw_samples_and_rollups_join_into_the_whole_without_a_gap_or_a_repeat() {
    let dir = tempfile::tempdir().unwrap();
    let dirs = directory();
    let all: Vec<Sample> = (0..1234).map(pressure).collect();
    // Sealed chunks, then samples still in blocks (committed, not sealed): a page may span both.
    let (h, mut f) = Historian::start(config(&dir), WriterTag::from_directory(&dirs)).unwrap();
    let mut table = TagTable::new(dirs);
    for piece in all.chunks(77) {
        feed(&mut f, &mut table, piece);
        h.flush();
    }
    h.stop();
    let q = History::open(&dir.path().join("h.db")).unwrap();
    let (from, to) = (T0 + 10 * 100_000, T0 + 1_200 * 100_000);
    let whole = q.raw("w/pressure", from, to).unwrap();
    let whole: Vec<_> = whole.into_iter().filter(|s| s.ts >= from).collect();
    assert_eq!(whole.len(), 1_191);
    let mut paged = Vec::new();
    let mut at = from;
    let mut pages = 0;
    loop {
        let (page, next) = q.raw_page("w/pressure", at, to, 97).unwrap();
        assert!(page.len() <= 97);
        pages += 1;
        paged.extend(page);
        match next {
            Some(n) => {
                assert!(n > paged.last().unwrap().ts, "the next page starts after this one");
                at = n;
            }
            None => break,
        }
    }
    assert_eq!(pages, 13);
    assert_eq!(paged, whole);
    let (one, next) = q.raw_page("w/pressure", i64::MIN / 2, i64::MAX / 2, 1).unwrap();
    assert_eq!((one.len(), one[0].ts, next), (1, T0, Some(T0 + 100_000)));
    assert!(matches!(
        q.raw_page("no/such", from, to, 5),
        Err(QueryError::UnknownTag(_))
    ));

    let buckets = q.buckets(Resolution::Minute, "w/pressure", T0, to).unwrap();
    let (first, next) = q.buckets_page(Resolution::Minute, "w/pressure", T0, to, 1).unwrap();
    assert_eq!(first, buckets[..1]);
    assert_eq!(next, buckets.get(1).map(|b| b.start));
    let (rest, none) = q
        .buckets_page(Resolution::Minute, "w/pressure", next.unwrap(), to, 1_000)
        .unwrap();
    assert_eq!(rest, buckets[1..]);
    assert_eq!(none, None);
}
