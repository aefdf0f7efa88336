//! Shared by the UI tests and the render bench: the console over a fixed snapshot of the demo project,
//! with a fixed clock, so frames are reproducible.
#![allow(dead_code)] // each includer uses a different part

pub mod pg;

use arc_swap::ArcSwap;
use std::sync::Arc;
use wellconsole::auth::{Actor, Role};
use wellconsole::driver::DriverState;
use wellconsole::hub::{CommandLanes, DriverStatus, Snapshot, command_lanes};
use wellconsole::project::Project;
use wellconsole::runtime::AlarmHandle;
use wellconsole::runtime::Service;
use wellconsole::tag::{BadReason, DriverId, Quality, Timestamp, Value};
use wellconsole::ui::{ConsoleApp, ConsoleInputs, ConsoleSettings, MeasureOptions, SimulatorInfo};

/// 2026-11-18 11:06:40 UTC, fixed so frames are reproducible.
pub const NOW: Timestamp = Timestamp(1_795_000_000_000_000);

/// A snapshot of the demo project where every tag has a value, one link is down and one tag is stale.
pub fn demo_snapshot() -> Snapshot {
    let project = Project::demo().expect("demo project is valid");
    let dir = project.site.tags.clone();
    let driver = DriverStatus {
        name: "sim".into(),
        kind: "sim",
        state: DriverState::Running,
        samples_in: 123_456,
        samples_coalesced: 0,
        events_lost: 0,
        rate_per_sec: 750.0,
        requests: None,
        requests_per_sec: None,
        errors: 0,
        exceptions: 0,
        last_rtt_ms: None,
        last_error: None,
        detail: None,
        waiting_for_birth: Default::default(),
    };
    let mut snap = Snapshot::empty(dir.clone(), vec![driver]);
    for def in dir.iter() {
        let s = &mut snap.tags[def.id.index()];
        s.value = Some(match def.kind {
            wellconsole::tag::ValueKind::F64 => Value::F64(def.range.map_or(1.0, |(lo, hi)| lo + 0.37 * (hi - lo))),
            wellconsole::tag::ValueKind::I64 => Value::I64(3),
            wellconsole::tag::ValueKind::Bool => Value::Bool(true),
            wellconsole::tag::ValueKind::String => Value::str("RIH"),
        });
        s.quality = if def.device() == "esp03" {
            Quality::Bad(BadReason::CommFail)
        } else if def.name == "ct01/wellhead_pressure" {
            Quality::Bad(BadReason::Stale)
        } else {
            Quality::Good
        };
        s.source_ts = Timestamp(NOW.0 - 300_000);
        s.receive_ts = Timestamp(NOW.0 - 200_000);
        s.updates = 10;
    }
    snap.events.push(wellconsole::hub::EventRecord {
        at: Timestamp(NOW.0 - 5_000_000),
        source: "rtu1".into(),
        ok: false,
        text: "write of 90 to esp02/frequency_setpoint failed: the device refused the write: IllegalDataValue".into(),
    });
    snap.seq = 7;
    snap.taken_at = Timestamp(NOW.0 - 50_000);
    snap
}

pub fn console() -> (ConsoleApp, CommandLanes<Service>) {
    console_with_history(None)
}

/// The console over the demo snapshot, reading trends from the history database at `history`.
pub fn console_with_history(history: Option<std::path::PathBuf>) -> (ConsoleApp, CommandLanes<Service>) {
    console_with(history, None)
}

/// The console over the demo snapshot, with a history database and the historian's counters.
pub fn console_with(
    history: Option<std::path::PathBuf>,
    history_stats: Option<Arc<wellconsole::historian::HistorianStats>>,
) -> (ConsoleApp, CommandLanes<Service>) {
    console_full(history, history_stats, None, demo_snapshot(), test_settings())
}

/// The settings every test console uses: a named operator, English, the control-room sound profile.
pub fn test_settings() -> ConsoleSettings {
    ConsoleSettings {
        actor: Actor::new("ana", Role::Operator),
        ..ConsoleSettings::default()
    }
}

/// The console over `snap` with an alarm system (its view cell and journal), if given.
pub fn console_full(
    history: Option<std::path::PathBuf>,
    history_stats: Option<Arc<wellconsole::historian::HistorianStats>>,
    alarms: Option<AlarmHandle>,
    snap: Snapshot,
    settings: ConsoleSettings,
) -> (ConsoleApp, CommandLanes<Service>) {
    console_with_trips(history, history_stats, alarms, None, Arc::new(|| NOW), snap, settings)
}

/// The console with every input chosen: trips and a clock the test moves (idle logout).
pub fn console_with_trips(
    history: Option<std::path::PathBuf>,
    history_stats: Option<Arc<wellconsole::historian::HistorianStats>>,
    alarms: Option<AlarmHandle>,
    trips: Option<wellconsole::trip::TripViewCell>,
    clock: Arc<dyn Fn() -> wellconsole::tag::Timestamp + Send + Sync>,
    snap: Snapshot,
    settings: ConsoleSettings,
) -> (ConsoleApp, CommandLanes<Service>) {
    let devices = snap.directory.devices().into_iter().map(str::to_owned).collect();
    let signals = snap.directory.iter().map(|d| d.address.clone()).collect();
    let (tx, rx) = command_lanes(16, 16);
    let inputs = ConsoleInputs {
        site_name: "Campo Escuela (demo)".into(),
        snapshot: Arc::new(ArcSwap::from_pointee(snap)),
        commands: tx,
        simulator: Some(SimulatorInfo {
            driver: DriverId(0),
            devices,
            signals,
        }),
        clock,
        history,
        history_stats,
        forward: None,
        central: None,
        api: None,
        share: None,
        alarms,
        trips,
        ct_strings: None,
        jobs: None,
        production: None,
        production_cfg: None,
        decline: None,
        screens: Arc::new(ArcSwap::new(Project::demo().expect("demo project is valid").screens)),
        screen_problems: None,
        project_root: None,
        settings,
    };
    (ConsoleApp::new(inputs, MeasureOptions::default()), rx)
}

/// A console's inputs over the demo snapshot with no services (no simulator, history, alarms, trips or
/// site records) and `screens`; the caller sets what its test needs.
pub fn bare_inputs(
    commands: wellconsole::runtime::Commands,
    screens: Arc<wellconsole::screen::ScreenSet>,
    settings: ConsoleSettings,
) -> ConsoleInputs {
    ConsoleInputs {
        site_name: "Campo Escuela (demo)".into(),
        snapshot: Arc::new(ArcSwap::from_pointee(demo_snapshot())),
        commands,
        simulator: None,
        clock: Arc::new(|| NOW),
        history: None,
        history_stats: None,
        forward: None,
        central: None,
        api: None,
        share: None,
        alarms: None,
        trips: None,
        ct_strings: None,
        jobs: None,
        production: None,
        production_cfg: None,
        decline: None,
        screens: Arc::new(ArcSwap::new(screens)),
        screen_problems: None,
        project_root: None,
        settings,
    }
}

/// The console over the demo snapshot with its screens read from the project at `root` (a copy of the
/// demo written to a directory), where the screen editor writes.
pub fn console_for_project(root: &std::path::Path, settings: ConsoleSettings) -> (ConsoleApp, CommandLanes<Service>) {
    let project = Project::load(wellconsole::project::ProjectFiles::from_dir(root).expect("a project directory"))
        .expect("the project loads");
    let (tx, rx) = command_lanes(16, 16);
    let inputs = ConsoleInputs {
        project_root: Some(root.to_path_buf()),
        ..bare_inputs(tx, project.screens.clone(), settings)
    };
    (ConsoleApp::new(inputs, MeasureOptions::default()), rx)
}

/// The console over the demo snapshot while the screen files on disk have `problems` (the demo's screens
/// stay on display, as after a failed reload).
pub fn console_with_screen_problems(problems: Vec<String>) -> (ConsoleApp, CommandLanes<Service>) {
    let (tx, rx) = command_lanes(16, 16);
    let screens = Project::demo().expect("demo project is valid").screens;
    let inputs = ConsoleInputs {
        screen_problems: Some(Arc::new(ArcSwap::from_pointee(problems))),
        ..bare_inputs(tx, screens, test_settings())
    };
    (ConsoleApp::new(inputs, MeasureOptions::default()), rx)
}

/// A free TCP port on 127.0.0.1 for a peer to listen on.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits (generously: tests check behaviour, not speed) until `cond` holds on the runtime's snapshot.
pub fn wait_for(rt: &wellconsole::runtime::Runtime, what: &str, cond: impl Fn(&Snapshot) -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !cond(&rt.snapshot.load()) {
        if std::time::Instant::now() >= deadline {
            // What the operator would see: the recent events and each driver's state, so a failure on a
            // loaded runner says why and not only what.
            let s = rt.snapshot.load();
            let events: Vec<String> = s
                .events
                .iter()
                .map(|e| format!("{} ok={} {}", e.source, e.ok, e.text))
                .collect();
            let drivers: Vec<String> = s
                .drivers
                .iter()
                .map(|d| format!("{} {:?} last_error={:?}", d.name, d.state, d.last_error))
                .collect();
            panic!("timed out waiting for: {what}\nevents: {events:#?}\ndrivers: {drivers:#?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// A child process (peer server, Xvfb, socat) that is killed and reaped when the test lets go of it,
/// pass or fail.
pub struct KillOnDrop(pub std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits until something accepts TCP connections on `addr` (a peer server starting up).
pub fn wait_until_listening(addr: std::net::SocketAddr, what: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::net::TcpStream::connect(addr).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "{what} did not start listening on {addr}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Whether the peer tests must run (scripts/test sets WELLCONSOLE_REQUIRE_PEERS=1) rather than skip.
pub fn peers_required() -> bool {
    std::env::var("WELLCONSOLE_REQUIRE_PEERS").is_ok_and(|v| v == "1")
}

/// The Python of the peers' venv (pymodbus, pysparkplug): WELLCONSOLE_PEERS_PYTHON or .venv-peers.
pub fn peers_python() -> Option<std::path::PathBuf> {
    if let Ok(p) = std::env::var("WELLCONSOLE_PEERS_PYTHON") {
        return Some(std::path::PathBuf::from(p));
    }
    let venv = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv-peers/bin/python");
    venv.exists().then_some(venv)
}

/// The Mosquitto broker binary (Debian installs it in /usr/sbin, often not on a user's PATH).
pub fn mosquitto_bin() -> Option<std::path::PathBuf> {
    ["/usr/sbin/mosquitto", "/usr/bin/mosquitto"]
        .into_iter()
        .map(std::path::PathBuf::from)
        .find(|p| p.exists())
}

/// The Mosquitto binary for a test that needs a broker; `None` (said on stderr) to skip, where skipping
/// is allowed (not under scripts/test).
pub fn mosquitto_or_skip() -> Option<std::path::PathBuf> {
    let bin = mosquitto_bin();
    if bin.is_none() {
        assert!(
            !peers_required(),
            "mosquitto is required here (WELLCONSOLE_REQUIRE_PEERS=1)"
        );
        eprintln!("skipped: no mosquitto (scripts/test installs it)");
    }
    bin
}

/// A Mosquitto broker on 127.0.0.1:`port`, anonymous, no persistence, with its config in `dir`.
pub fn start_mosquitto(bin: &std::path::Path, dir: &std::path::Path, port: u16) -> KillOnDrop {
    let conf = dir.join(format!("mosquitto-{port}.conf"));
    std::fs::write(
        &conf,
        format!("listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 100000\n"),
    )
    .unwrap();
    let child = std::process::Command::new(bin)
        .arg("-c")
        .arg(&conf)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("mosquitto starts");
    let broker = KillOnDrop(child);
    wait_until_listening(([127, 0, 0, 1], port).into(), "mosquitto");
    broker
}

/// Opens a page as a person does: its tab where the tabs fit, else through the page menu (touch mode on a
/// narrow window).
pub fn open_page(h: &mut egui_kittest::Harness<'static, ConsoleApp>, page: &str) {
    open_page_in(h, page, "Pages: ");
}

/// `open_page` on a console whose page menu is named `menu` (its language's "Pages: ").
pub fn open_page_in(h: &mut egui_kittest::Harness<'static, ConsoleApp>, page: &str, menu: &str) {
    use egui_kittest::kittest::Queryable;
    if let Some(tab) = h.query_by_label(page) {
        tab.click();
    } else {
        h.get_by_label_contains(menu).click();
        h.run();
        h.get_by_label(page).click();
    }
    h.run();
}

/// A person allowed to write setpoints: driver tests write through the hub as people do.
pub fn engineer() -> Actor {
    Actor::new("test-engineer", Role::Engineer)
}

/// `scans` scans (10 Hz) of the demo plant's signals stored in a historian at `path`, every sample kept,
/// from 2026-11-18 (`NOW`) on; forwarding on or off. Returns the samples written.
pub fn demo_history(path: &std::path::Path, scans: i64, forward: bool) -> u64 {
    use wellconsole::historian::codec::StoredQuality;
    use wellconsole::historian::filter::HistSample;
    use wellconsole::historian::{Historian, HistorianConfig, WriterTag};
    let project = Project::demo().unwrap();
    let cfg = project
        .site
        .drivers
        .iter()
        .find_map(|d| d.kind.as_sim())
        .unwrap()
        .plant
        .clone();
    let mut plant = wellconsole::sim::DemoPlant::new(cfg);
    let specs: Vec<WriterTag> = plant
        .specs()
        .iter()
        .map(|s| WriterTag {
            name: s.address.clone(),
            kind: s.kind,
            unit: s.unit.into(),
            mode: Default::default(),
        })
        .collect();
    let hcfg = HistorianConfig {
        forward,
        ..HistorianConfig::new(path)
    };
    let (h, _feed) = Historian::start(hcfg, specs).unwrap();
    let good = StoredQuality {
        quality: Quality::Good,
        has_value: true,
    };
    let mut n = 0;
    for k in 0..scans {
        plant.step(0.1);
        let ts = NOW.0 + k * 100_000;
        let batch: Vec<(u32, HistSample)> = plant
            .read()
            .iter()
            .enumerate()
            .map(|(i, v)| {
                (
                    i as u32,
                    HistSample {
                        ts,
                        value: Some(v.clone()),
                        quality: good,
                    },
                )
            })
            .collect();
        n += batch.len() as u64;
        h.write_blocking(batch);
    }
    h.stop();
    n
}

/// A throw-away CA (`ca.pem`) and a server certificate for 127.0.0.1 (`server.pem`, `server.key`) in `dir`,
/// made with the openssl command-line tool.
pub fn server_certificate(dir: &std::path::Path) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=wellconsole test CA",
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=127.0.0.1",
        ],
    );
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
        ],
    );
}

fn openssl(dir: &std::path::Path, args: &[&str]) {
    let st = std::process::Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap_or_else(|e| panic!("openssl: {e}"));
    assert!(st.success(), "openssl {args:?} failed");
}

/// A copy of the demo project in `dir` (its screens, symbols, alarms, data and reels), with `extra` added
/// to its site.toml.
pub fn copy_demo(dir: &std::path::Path, extra: &str) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for d in ["screens", "symbols", "alarms", "data", "reels"] {
        copy_dir(&root.join(d), &dir.join(d));
    }
    let mut site = std::fs::read_to_string(root.join("site.toml")).unwrap();
    site.push_str(extra);
    std::fs::write(dir.join("site.toml"), site).unwrap();
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}
