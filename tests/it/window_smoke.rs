//! The real console window under Xvfb: it opens, draws frames from live demo data, and closes cleanly.
//! Runs wherever Xvfb is installed; `scripts/test` sets WELLCONSOLE_REQUIRE_XVFB=1 so CI cannot skip it.

use crate::support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::KillOnDrop;

fn start_xvfb() -> Option<(KillOnDrop, String)> {
    for n in 90 + std::process::id() % 50..200 {
        if Path::new(&format!("/tmp/.X11-unix/X{n}")).exists() || Path::new(&format!("/tmp/.X{n}-lock")).exists() {
            continue;
        }
        let child = Command::new("Xvfb")
            .args([
                format!(":{n}").as_str(),
                "-screen",
                "0",
                "1600x1000x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let guard = KillOnDrop(child);
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if Path::new(&format!("/tmp/.X11-unix/X{n}")).exists() {
                return Some((guard, format!(":{n}")));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        return None;
    }
    None
}

#[test]
fn console_window_opens_and_draws_under_xvfb() {
    let required = std::env::var("WELLCONSOLE_REQUIRE_XVFB").is_ok_and(|v| v == "1");
    let Some((_xvfb, display)) = start_xvfb() else {
        assert!(
            !required,
            "Xvfb is required here (WELLCONSOLE_REQUIRE_XVFB=1) but could not be started"
        );
        eprintln!("skipped: Xvfb not available");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let stats = tmp.path().join("frames.json");
    // An audio configuration whose only device does not exist: the console must say so and run on.
    let no_sound = tmp.path().join("asound.conf");
    std::fs::write(
        &no_sound,
        "pcm.!default { type hw card 63 }\nctl.!default { type hw card 63 }\n",
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_wellconsole"))
        .args(["--exit-after", "8", "--frame-stats", stats.to_str().unwrap()])
        .env("DISPLAY", &display)
        .env_remove("WAYLAND_DISPLAY")
        // the demo keeps history in the user's data folder: here, the test's own
        .env("XDG_DATA_HOME", tmp.path())
        .env("RUST_LOG", "error,wellconsole::alarm=warn")
        .env("ALSA_CONFIG_PATH", &no_sound)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary starts");
    let deadline = Instant::now() + Duration::from_secs(180);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the console did not close after --exit-after");
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert!(status.success(), "console exited with {status}: {err}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&stats).expect("frame stats written")).unwrap();
    assert!(report["frames"].as_u64().unwrap() >= 5, "drew frames: {report}");
    assert!(report["cpu_ms_p50"].as_f64().unwrap() > 0.0);
    assert!(
        err.contains("no audio output device: alarms are visual only"),
        "a console without sound says so: {err}"
    );
}
