//! The annunciator: a distinct tone per priority that repeats until the operator silences or
//! acknowledges the alarm, on this console's sound device.
//!
//! Split in two so the logic is tested without hardware: `Annunciator` (pure: which priority should
//! sound, silence bookkeeping) and `Horn` (a thread that owns the audio device and plays rendered tones).
//! The console drives the first every frame and hands its answer to the second through an atomic, so
//! the UI never waits on audio. No audio device means a log line and `HornState::Unavailable`, never a crash.

use super::def::{Priority, SoundProfile};
use super::state::{AlarmRow, AlarmState};
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// One beep: frequency, sound time, silence after it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Beep {
    pub hz: f32,
    pub on: Duration,
    pub off: Duration,
}

const fn beep(hz: f32, on_ms: u64, off_ms: u64) -> Beep {
    Beep {
        hz,
        on: Duration::from_millis(on_ms),
        off: Duration::from_millis(off_ms),
    }
}

/// The sound of one priority: its beeps, played again and again while it is wanted.
/// Distinct by pitch, rhythm and repetition rate so they are told apart without looking (IEC 60601-1-8
/// uses the same three cues): critical is a fast two-tone yelp with no pause, diagnostic a single low chime.
pub fn pattern(p: Priority) -> &'static [Beep] {
    const CRITICAL: [Beep; 2] = [beep(1_050.0, 180, 0), beep(780.0, 180, 0)];
    const HIGH: [Beep; 3] = [beep(880.0, 150, 100), beep(880.0, 150, 100), beep(880.0, 150, 750)];
    const MEDIUM: [Beep; 2] = [beep(660.0, 250, 150), beep(660.0, 250, 1_850)];
    const LOW: [Beep; 1] = [beep(523.0, 400, 4_600)];
    const DIAGNOSTIC: [Beep; 1] = [beep(392.0, 300, 14_700)];
    match p {
        Priority::Critical => &CRITICAL,
        Priority::High => &HIGH,
        Priority::Medium => &MEDIUM,
        Priority::Low => &LOW,
        Priority::Diagnostic => &DIAGNOSTIC,
    }
}

pub const SAMPLE_RATE: u32 = 48_000;

/// One cycle of a priority's pattern as mono samples (fade in/out of 5 ms so beeps do not click).
pub fn render(p: Priority, volume: f32) -> Vec<f32> {
    let rate = SAMPLE_RATE as f32;
    let mut out = Vec::new();
    let fade = (0.005 * rate) as usize;
    for b in pattern(p) {
        let n = (b.on.as_secs_f32() * rate) as usize;
        for i in 0..n {
            let env = (i.min(n - 1 - i) as f32 / fade as f32).min(1.0);
            out.push(volume * 0.5 * env * (std::f32::consts::TAU * b.hz * i as f32 / rate).sin());
        }
        out.extend(std::iter::repeat_n(0.0, (b.off.as_secs_f32() * rate) as usize));
    }
    out
}

/// Which priority should sound now, and what the operator has silenced.
#[derive(Debug, Clone)]
pub struct Annunciator {
    profile: SoundProfile,
    /// Activations the operator silenced: they stay quiet until acknowledged; a new one sounds again.
    silenced: HashSet<u64>,
}

impl Annunciator {
    pub fn new(profile: SoundProfile) -> Self {
        Self {
            profile,
            silenced: HashSet::new(),
        }
    }

    pub fn profile(&self) -> &SoundProfile {
        &self.profile
    }

    fn sounding<'a>(&'a self, rows: &'a [AlarmRow]) -> impl Iterator<Item = &'a AlarmRow> + 'a {
        rows.iter().filter(move |r| {
            r.state == AlarmState::ActiveUnacked
                && r.def.priority <= self.profile.min_priority
                && !self.silenced.contains(&r.activation)
        })
    }

    /// The most urgent priority among unacknowledged, unsilenced active alarms this console sounds.
    pub fn wanted(&mut self, rows: &[AlarmRow]) -> Option<Priority> {
        // Forget silenced activations that are no longer waiting: the set stays as small as the banner.
        let waiting: HashSet<u64> = rows
            .iter()
            .filter(|r| r.state == AlarmState::ActiveUnacked)
            .map(|r| r.activation)
            .collect();
        self.silenced.retain(|a| waiting.contains(a));
        self.sounding(rows).map(|r| r.def.priority).min()
    }

    /// Silences everything sounding now. Returns whether anything was sounding.
    pub fn silence(&mut self, rows: &[AlarmRow]) -> bool {
        let now: Vec<u64> = self.sounding(rows).map(|r| r.activation).collect();
        self.silenced.extend(now.iter().copied());
        !now.is_empty()
    }
}

/// What the horn can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HornState {
    Starting,
    Ready,
    /// No audio device (or it failed): alarms are visual only, and the console says so.
    Unavailable,
}

const NONE: u8 = u8::MAX;

/// The thread that owns the audio device.
pub struct Horn {
    wanted: Arc<AtomicU8>,
    state: Arc<AtomicU8>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Horn {
    /// Starts the horn thread; it opens the default output device itself.
    pub fn start(volume: f32) -> Self {
        let wanted = Arc::new(AtomicU8::new(NONE));
        let state = Arc::new(AtomicU8::new(HornState::Starting as u8));
        let stop = Arc::new(AtomicBool::new(false));
        let (w, s, st) = (wanted.clone(), state.clone(), stop.clone());
        let thread = std::thread::Builder::new()
            .name("annunciator".into())
            .spawn(move || horn_loop(&w, &s, &st, volume))
            .map_err(|e| {
                tracing::error!(error = %e, "could not start the annunciator thread: alarms are visual only");
                state.store(HornState::Unavailable as u8, Ordering::Relaxed);
            })
            .ok();
        Self {
            wanted,
            state,
            stop,
            thread,
        }
    }

    /// Never blocks: the horn thread picks it up within 50 ms.
    pub fn sound(&self, p: Option<Priority>) {
        self.wanted
            .store(p.map_or(NONE, |p| p.index() as u8), Ordering::Relaxed);
    }

    pub fn state(&self) -> HornState {
        match self.state.load(Ordering::Relaxed) {
            x if x == HornState::Ready as u8 => HornState::Ready,
            x if x == HornState::Starting as u8 => HornState::Starting,
            _ => HornState::Unavailable,
        }
    }
}

impl Drop for Horn {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn horn_loop(wanted: &AtomicU8, state: &AtomicU8, stop: &AtomicBool, volume: f32) {
    let mut sink = match rodio::DeviceSinkBuilder::open_default_sink() {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, "no audio output device: alarms are visual only (SOUND UNAVAILABLE)");
            state.store(HornState::Unavailable as u8, Ordering::Relaxed);
            return;
        }
    };
    sink.log_on_drop(false);
    state.store(HornState::Ready as u8, Ordering::Relaxed);
    let (Some(channels), Some(rate)) = (std::num::NonZero::new(1u16), std::num::NonZero::new(SAMPLE_RATE)) else {
        return;
    };
    let cycles: Vec<(Duration, Vec<f32>)> = Priority::ALL
        .iter()
        .map(|p| {
            let samples = render(*p, volume);
            (
                Duration::from_secs_f64(samples.len() as f64 / SAMPLE_RATE as f64),
                samples,
            )
        })
        .collect();
    let mut playing: Option<(u8, Instant, rodio::Player)> = None;
    while !stop.load(Ordering::Relaxed) {
        let w = wanted.load(Ordering::Relaxed);
        let restart = match &playing {
            None => w != NONE,
            Some((p, started, _)) => *p != w || started.elapsed() >= cycles[*p as usize].0,
        };
        if restart {
            if let Some((_, _, player)) = playing.take() {
                player.stop();
            }
            if let Some((_, samples)) = cycles.get(w as usize) {
                let player = rodio::Player::connect_new(sink.mixer());
                let data: Vec<rodio::Sample> = samples.iter().map(|&x| x as rodio::Sample).collect();
                player.append(rodio::buffer::SamplesBuffer::new(channels, rate, data));
                playing = Some((w, Instant::now(), player));
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    if let Some((_, _, player)) = playing.take() {
        player.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alarm::def::{AlarmDef, AlarmKind, Side};
    use crate::lang::Text;
    use crate::tag::{TagId, Timestamp};

    fn row(id: &str, p: Priority, state: AlarmState, activation: u64) -> AlarmRow {
        AlarmRow {
            def: Arc::new(AlarmDef {
                id: id.into(),
                tag: TagId(0),
                tag_name: "t".into(),
                unit: "".into(),
                decimals: 0,
                kind: AlarmKind::Limit {
                    code: "HI",
                    side: Side::High,
                    limit: 1.0,
                },
                priority: p,
                deadband: 0.0,
                on_delay: Duration::ZERO,
                off_delay: Duration::ZERO,
                latching: false,
                message: Text::new("m", "m"),
                consequence: Text::default(),
                response: Text::default(),
                area: "a".into(),
                asset: "a".into(),
                suppression: None,
                shelvable: true,
                max_shelve: Duration::from_secs(3600),
            }),
            state,
            since: Timestamp(0),
            value: None,
            alarm_value: None,
            first_out: false,
            shelf: None,
            out_of_service: None,
            activation,
        }
    }

    #[test]
    fn sounds_the_most_urgent_until_silenced_and_a_new_alarm_sounds_again() {
        let mut a = Annunciator::new(SoundProfile::default_for("control-room"));
        let mut rows = vec![
            row("x", Priority::Medium, AlarmState::ActiveUnacked, 1),
            row("y", Priority::High, AlarmState::ActiveUnacked, 2),
            row("z", Priority::Critical, AlarmState::ActiveAcked, 3),
            row("w", Priority::Critical, AlarmState::ReturnedUnacked, 4),
        ];
        assert_eq!(
            a.wanted(&rows),
            Some(Priority::High),
            "acked and returned alarms do not sound"
        );
        // It keeps sounding (repeat) frame after frame until something is done.
        assert_eq!(a.wanted(&rows), Some(Priority::High));
        assert!(a.silence(&rows));
        assert_eq!(a.wanted(&rows), None);
        rows.push(row("v", Priority::Low, AlarmState::ActiveUnacked, 5));
        assert_eq!(
            a.wanted(&rows),
            Some(Priority::Low),
            "a new alarm after a silence sounds"
        );
        // Acknowledging removes it from the sounding set.
        rows[4].state = AlarmState::ActiveAcked;
        assert_eq!(a.wanted(&rows), None);
        assert!(!a.silence(&rows));
        // The same alarm activating again is a new activation and sounds.
        rows[1].activation = 6;
        assert_eq!(a.wanted(&rows), Some(Priority::High));
    }

    #[test]
    fn profile_sets_the_least_urgent_priority_that_sounds() {
        let mut cab = SoundProfile::default_for("cab");
        cab.min_priority = Priority::High;
        let mut a = Annunciator::new(cab);
        let rows = vec![row("x", Priority::Medium, AlarmState::ActiveUnacked, 1)];
        assert_eq!(a.wanted(&rows), None);
        let rows = vec![row("x", Priority::Critical, AlarmState::ActiveUnacked, 1)];
        assert_eq!(a.wanted(&rows), Some(Priority::Critical));
    }

    /// Dominant frequency of a stretch of samples by zero crossings.
    fn pitch(s: &[f32]) -> f32 {
        let crossings = s.windows(2).filter(|w| w[0] <= 0.0 && w[1] > 0.0).count();
        crossings as f32 * SAMPLE_RATE as f32 / s.len() as f32
    }

    #[test]
    fn every_priority_has_its_own_tone() {
        let mut seen = Vec::new();
        for p in Priority::ALL {
            let s = render(p, 1.0);
            let first = pattern(p)[0];
            let n = (first.on.as_secs_f32() * SAMPLE_RATE as f32) as usize;
            let hz = pitch(&s[..n]);
            assert!((hz - first.hz).abs() < 15.0, "{p:?}: {hz} Hz, expected {}", first.hz);
            assert!(s.iter().all(|x| x.abs() <= 0.5), "{p:?} clips");
            let cycle = s.len() as f32 / SAMPLE_RATE as f32;
            seen.push((first.hz as u32, pattern(p).len(), (cycle * 10.0) as u32));
        }
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 5, "tones must differ: {seen:?}");
        // The more urgent, the faster it repeats.
        let cycles: Vec<usize> = Priority::ALL.iter().map(|p| render(*p, 1.0).len()).collect();
        assert!(cycles.windows(2).all(|w| w[0] < w[1]), "{cycles:?}");
    }

    /// The horn's real audio path (rodio → cpal → ALSA) on ALSA's null device: it opens, plays every
    /// priority's tone and switches between them without blocking the caller.
    #[test]
    fn the_horn_plays_on_a_null_audio_device() {
        let dir = tempfile::tempdir().unwrap();
        let conf = dir.path().join("asound.conf");
        std::fs::write(&conf, "pcm.!default { type null }\nctl.!default { type hw card 0 }\n").unwrap();
        // SAFETY: no other test in this binary touches ALSA or reads this variable.
        unsafe { std::env::set_var("ALSA_CONFIG_PATH", &conf) };
        let horn = Horn::start(0.5);
        let deadline = Instant::now() + Duration::from_secs(20);
        while horn.state() == HornState::Starting {
            assert!(Instant::now() < deadline, "the horn never opened or gave up");
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(horn.state(), HornState::Ready);
        for p in Priority::ALL {
            horn.sound(Some(p));
            std::thread::sleep(Duration::from_millis(120));
        }
        horn.sound(None);
        std::thread::sleep(Duration::from_millis(100));
        drop(horn);
    }
}
