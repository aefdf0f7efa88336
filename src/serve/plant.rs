//! The simulator loop behind `wellconsole sim`: steps the demo plant in plant time at its speed, injects
//! the scheduled faults, applies the writes clients make, writes a progress line every so often, and hands
//! each step to the servers it started (the Modbus register image, the MQTT edge's frames).
//! It owns the plant and the servers' threads. It must not touch the hub, the project files or the UI,
//! and it never ends the process: a server that stops is an error returned to the caller, and the command
//! line's words (flags, exit codes) stay with the binary.

use super::{PlantWrite, modbus, mqtt};
use crate::driver::sim::SimDriverConfig;
use crate::sim::{DemoPlant, Fault, FaultTargetError, ScheduledFault, SignalSpec, served_specs};
use crossbeam_channel::bounded;
use std::fmt;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// An MQTT broker's address, `HOST:PORT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broker {
    pub host: String,
    pub port: u16,
}

impl Broker {
    /// `HOST:PORT` (the port after the last colon, so `[::1]:1883` works); `None` without a valid port.
    pub fn parse(s: &str) -> Option<Broker> {
        let (host, port) = s.rsplit_once(':')?;
        Some(Broker {
            host: host.to_owned(),
            port: port.parse().ok()?,
        })
    }
}

impl fmt::Display for Broker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.host, self.port)
    }
}

/// How the simulator runs: its speed, its progress lines, for how long, the faults, what it serves.
#[derive(Debug, Clone)]
pub struct SimRun {
    /// Times real time; positive (the caller checks what a person typed).
    pub speed: f64,
    /// A progress line every this many plant seconds; positive.
    pub every_secs: f64,
    /// Plant seconds to run; `None`: until the process ends.
    pub for_secs: Option<f64>,
    pub faults: Vec<ScheduledFault>,
    /// Serve the plant as a Modbus TCP server on this address.
    pub modbus: Option<SocketAddr>,
    /// Publish the plant to this broker as a Sparkplug B edge node and as JSON.
    pub mqtt: Option<Broker>,
}

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// A scheduled fault names no part of the plant.
    #[error("fault {fault}")]
    Fault {
        fault: Fault,
        #[source]
        source: FaultTargetError,
    },
    /// The Modbus server stopped (it could not listen on its address, or its accept loop failed).
    #[error(transparent)]
    Modbus(#[from] modbus::ServeError),
    /// The MQTT edge node could not run.
    #[error(transparent)]
    Mqtt(#[from] mqtt::EdgeError),
    /// A server's thread could not be started.
    #[error(transparent)]
    Thread(std::io::Error),
    /// The progress lines or notices could not be written (the terminal or pipe went away).
    #[error("writing the simulator's output")]
    Output(#[source] std::io::Error),
}

/// The demo plant as the simulator serves it: the plant's signals plus the setpoints and metrics the
/// servers add, and the Modbus register map over them.
pub struct ServedPlant {
    plant: DemoPlant,
    /// Plant step (plant time).
    period: Duration,
    esp_wells: usize,
    specs: Vec<SignalSpec>,
    map: Vec<modbus::MapEntry>,
}

impl ServedPlant {
    pub fn new(cfg: SimDriverConfig) -> Self {
        let esp_wells = cfg.plant.esp_wells;
        let plant = DemoPlant::new(cfg.plant);
        // The servers offer setpoints through writable registers and metrics of their own.
        let specs = served_specs(plant.specs()).to_vec();
        let map = modbus::register_map(&specs);
        Self {
            plant,
            period: cfg.period,
            esp_wells,
            specs,
            map,
        }
    }

    /// The Modbus register map, as CSV.
    pub fn modbus_map_csv(&self) -> String {
        modbus::map_csv(&self.map, self.esp_wells)
    }

    /// A project (site.toml) that reads this plant from its Modbus server at `endpoint`.
    pub fn modbus_site_toml(&self, endpoint: &str) -> String {
        modbus::example_site_toml(&self.map, self.esp_wells, endpoint)
    }

    /// A project (site.toml) that reads this plant's MQTT publications via `broker`.
    pub fn mqtt_site_toml(&self, broker: &str) -> String {
        mqtt::example_site_toml(&self.specs, self.esp_wells, broker)
    }

    /// Starts the servers `run` asks for (saying so on `notices`), then runs the plant until `for_secs`
    /// of plant time have passed (for ever without it), with a progress line on `progress` every
    /// `every_secs` and one for each fault injected and each write a client made. A server that stops
    /// ends the run with its error.
    pub fn run(self, run: SimRun, progress: &mut dyn Write, notices: &mut dyn Write) -> Result<(), SimError> {
        let ServedPlant {
            mut plant,
            period,
            esp_wells,
            specs,
            map,
        } = self;
        // Writes from either server reach the plant through one queue; a server that stops says why on
        // another (one message per server at most, so its send never waits). The loop keeps a sender of
        // its own, so waiting on it is a sleep, never a spin.
        let (write_tx, writes) = bounded::<PlantWrite>(64);
        let (stopped_tx, stopped) = bounded::<SimError>(2);
        let image = match run.modbus {
            Some(addr) => {
                let image = Arc::new(RwLock::new(modbus::RegisterImage::new(&map, esp_wells)));
                let server_image = image.clone();
                let tx = write_tx.clone();
                let stopped_tx = stopped_tx.clone();
                std::thread::Builder::new()
                    .name("modbus-server".into())
                    .spawn(move || {
                        if let Err(e) = modbus::serve_blocking(addr, server_image, tx) {
                            let _ = stopped_tx.send(SimError::Modbus(e));
                        }
                    })
                    .map_err(SimError::Thread)?;
                writeln!(
                    notices,
                    "serving the demo plant on Modbus TCP {addr} (register map: wellconsole sim --modbus-map)"
                )
                .map_err(SimError::Output)?;
                Some(image)
            }
            None => None,
        };
        let frames = match &run.mqtt {
            Some(broker) => {
                let cfg = mqtt::EdgeConfig {
                    host: broker.host.clone(),
                    port: broker.port,
                    group: mqtt::DEFAULT_GROUP.into(),
                    node: mqtt::DEFAULT_NODE.into(),
                    json_prefix: mqtt::DEFAULT_JSON_PREFIX.into(),
                };
                let (ftx, frx) = bounded(8);
                let specs = specs.clone();
                let tx = write_tx.clone();
                let stopped_tx = stopped_tx.clone();
                std::thread::Builder::new()
                    .name("mqtt-edge".into())
                    .spawn(move || {
                        if let Err(e) = mqtt::publish_blocking(cfg, specs, esp_wells, frx, tx) {
                            let _ = stopped_tx.send(SimError::Mqtt(e));
                        }
                    })
                    .map_err(SimError::Thread)?;
                writeln!(
                    notices,
                    "publishing the demo plant to MQTT {broker}: Sparkplug B group '{}' node '{}', JSON under '{}/<device>'",
                    mqtt::DEFAULT_GROUP,
                    mqtt::DEFAULT_NODE,
                    mqtt::DEFAULT_JSON_PREFIX
                )
                .map_err(SimError::Output)?;
                Some(ftx)
            }
            None => None,
        };
        drop(write_tx);
        let dt = period.as_secs_f64();
        let mut faults = run.faults;
        faults.sort_by(|a, b| a.at_secs.total_cmp(&b.at_secs));
        let started = Instant::now();
        let mut next_print = 0.0;
        loop {
            if let Ok(e) = stopped.try_recv() {
                return Err(e);
            }
            while faults.first().is_some_and(|f| f.at_secs <= plant.time_s()) {
                let f = faults.remove(0);
                plant.inject(f.fault.clone()).map_err(|source| SimError::Fault {
                    fault: f.fault.clone(),
                    source,
                })?;
                writeln!(progress, "t={:>8.1}s  fault injected: {}", plant.time_s(), f.fault)
                    .map_err(SimError::Output)?;
            }
            if plant.time_s() >= next_print {
                let ct = plant.ct();
                let esp = plant.esp(0);
                writeln!(
                    progress,
                    "t={:>8.1}s  CT {:<10} depth {:>7.1} ft  speed {:>6.1} ft/min  weight {:>7.0} lbf  circ {:>5.0} psi  whp {:>5.0} psi | ESP01 {:>5.0} bbl/d {:>5.1} A {:>5.1} °F",
                    plant.time_s(),
                    ct.reported_phase().label(),
                    ct.depth_ft(),
                    ct.speed_fpm(),
                    ct.weight_lbf(),
                    ct.circ_pressure_psi(),
                    ct.wellhead_pressure_psi(),
                    esp.map_or(0.0, |w| w.rate_bpd()),
                    esp.map_or(0.0, |w| w.motor_current_a()),
                    esp.map_or(0.0, |w| w.motor_temp_f()),
                )
                .map_err(SimError::Output)?;
                next_print += run.every_secs;
            }
            if run.for_secs.is_some_and(|t| plant.time_s() >= t) {
                return Ok(());
            }
            plant.step(dt);
            // The Modbus server stores a written setpoint in the image and queues it for the plant under
            // the image's write lock, and a client reads it back at once to confirm. Taking that lock before
            // draining the queue means every write stored so far is applied before the image is refreshed,
            // so the refresh can never put back the setpoint a client has just written.
            let mut img = image.as_ref().and_then(|i| i.write().ok());
            let mut applied = Vec::new();
            while let Ok(PlantWrite::EspFrequency { index, hz }) = writes.try_recv() {
                plant.set_esp_frequency(index, hz);
                applied.push((index, hz));
            }
            let published = if img.is_some() || frames.is_some() {
                let setpoints: Vec<f64> = (0..esp_wells)
                    .filter_map(|i| plant.esp(i).map(|w| w.frequency_setpoint_hz()))
                    .collect();
                let readings = plant.read().to_vec();
                if let Some(img) = img.as_mut() {
                    img.update(&map, &readings, &setpoints);
                }
                Some((readings, setpoints))
            } else {
                None
            };
            drop(img);
            for (index, hz) in applied {
                writeln!(
                    progress,
                    "t={:>8.1}s  ESP{:02} frequency setpoint {hz:.1} Hz (written by a client)",
                    plant.time_s(),
                    index + 1
                )
                .map_err(SimError::Output)?;
            }
            if let Some((readings, setpoints)) = published
                && let Some(frames) = &frames
            {
                let frame = mqtt::Frame {
                    time_ms: u64::try_from(crate::tag::Timestamp::now().micros() / 1000).unwrap_or(0),
                    values: readings,
                    qualities: (0..plant.specs().len()).map(|i| plant.signal_quality(i)).collect(),
                    setpoints_hz: setpoints,
                };
                // The publisher keeps only the newest frame; a full queue means it is behind.
                let _ = frames.try_send(frame);
            }
            let due = Duration::from_secs_f64(plant.time_s() / run.speed);
            if let Some(wait) = due.checked_sub(started.elapsed())
                && let Ok(e) = stopped.recv_timeout(wait)
            {
                // A server stopped while the plant waited for real time to catch up.
                return Err(e);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::{SourceFile, survey_csv};
    use crate::sim::PlantConfig;

    fn demo() -> SimDriverConfig {
        let survey = survey_csv::parse(&SourceFile::new(
            "ct01_survey.csv",
            include_str!("../../data/ct01_survey.csv"),
        ))
        .unwrap();
        SimDriverConfig {
            plant: PlantConfig::demo(7, survey),
            speed: 1.0,
            period: Duration::from_millis(100),
        }
    }

    #[test]
    fn a_broker_is_host_and_the_port_after_the_last_colon() {
        let b = Broker::parse("[::1]:1883").unwrap();
        assert_eq!((b.host.as_str(), b.port), ("[::1]", 1883));
        assert_eq!(b.to_string(), "[::1]:1883");
        assert_eq!(Broker::parse("localhost"), None);
        assert_eq!(Broker::parse("localhost:mqtt"), None);
        assert_eq!(Broker::parse("localhost:70000"), None);
    }

    #[test]
    fn a_run_says_the_plant_every_so_often_and_each_fault_injected() {
        let run = SimRun {
            speed: 1e6,
            every_secs: 30.0,
            for_secs: Some(60.0),
            faults: vec!["stuck-pipe:ct01@10".parse().unwrap()],
            modbus: None,
            mqtt: None,
        };
        let (mut progress, mut notices) = (Vec::<u8>::new(), Vec::<u8>::new());
        ServedPlant::new(demo()).run(run, &mut progress, &mut notices).unwrap();
        let progress = String::from_utf8(progress).unwrap();
        let lines: Vec<&str> = progress.lines().collect();
        assert_eq!(lines.len(), 4, "{progress}");
        assert!(lines[0].starts_with("t=     0.0s  CT "), "{progress}");
        assert!(lines[1].contains("fault injected: stuck-pipe:ct01"), "{progress}");
        assert!(notices.is_empty(), "nothing served, nothing said");
    }

    #[test]
    fn a_fault_on_no_part_of_the_plant_ends_the_run_naming_it() {
        let run = SimRun {
            speed: 1e6,
            every_secs: 30.0,
            for_secs: Some(60.0),
            faults: vec!["comm-loss:esp99".parse().unwrap()],
            modbus: None,
            mqtt: None,
        };
        let e = ServedPlant::new(demo())
            .run(run, &mut Vec::<u8>::new(), &mut Vec::<u8>::new())
            .unwrap_err();
        assert!(matches!(&e, SimError::Fault { .. }), "{e:?}");
        assert_eq!(e.to_string(), "fault comm-loss:esp99");
    }
}
