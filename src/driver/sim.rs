//! The simulator driver: runs the demo plant on its own thread and publishes its signals as tags.
//!
//! Paced against the wall clock: the plant advances `speed` × real time in fixed `period` steps, so a
//! slow machine catches up in bursts instead of drifting, and `--speed 100` runs a job in minutes.
//! Source timestamps are plant time, anchored at the driver's start.

use super::{DriverCommand, DriverEvent, DriverLink, DriverState};
use crate::sim::{DemoPlant, Fault, PlantConfig, ScheduledFault};
use crate::tag::{Sample, TagId, Timestamp};
use std::collections::HashMap;
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct SimDriverConfig {
    pub plant: PlantConfig,
    /// Times real time.
    pub speed: f64,
    /// Plant step and publish period (plant time).
    pub period: Duration,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SimCommand {
    Inject(Fault),
    Clear(Fault),
    ClearAll,
}

/// Most steps run in one wake-up when catching up, so a stall never turns into a flood.
const MAX_CATCH_UP_STEPS: u32 = 200;

pub struct SimDriver {
    cfg: SimDriverConfig,
    schedule: Vec<ScheduledFault>,
}

impl SimDriver {
    pub fn new(cfg: SimDriverConfig, mut schedule: Vec<ScheduledFault>) -> Self {
        schedule.sort_by(|a, b| a.at_secs.total_cmp(&b.at_secs));
        Self { cfg, schedule }
    }

    pub fn run(mut self, link: DriverLink) {
        let mut plant = DemoPlant::new(self.cfg.plant.clone());
        let index: HashMap<&str, usize> = plant
            .specs()
            .iter()
            .enumerate()
            .map(|(i, s)| (s.address.as_str(), i))
            .collect();
        // Addresses were checked at load time; a miss here is a config error kept visible, not a panic.
        let mapping: Vec<(TagId, Option<usize>)> = link
            .tags
            .iter()
            .map(|(tag, addr)| (*tag, index.get(addr.as_str()).copied()))
            .collect();
        drop(index);

        let dt = self.cfg.period.as_secs_f64();
        let start_wall = Instant::now();
        let epoch = Timestamp::now();
        let mut steps: u64 = 0;
        link.stats.set_state(DriverState::Running);
        while !link.should_stop() {
            self.handle_commands(&link, &mut plant);
            let due = (start_wall.elapsed().as_secs_f64() * self.cfg.speed / dt) as u64;
            let mut ran = 0;
            while steps < due && ran < MAX_CATCH_UP_STEPS {
                plant.step(dt);
                steps += 1;
                ran += 1;
                self.fire_schedule(&link, &mut plant);
                // Stamped when the plant reaches that state in wall time: a fast-forwarded plant never
                // sends samples from the future (history and staleness compare with real clocks).
                let ts = epoch.plus(Duration::from_secs_f64(plant.time_s() / self.cfg.speed));
                let readings = plant.read().to_vec();
                let batch = mapping
                    .iter()
                    .map(|&(tag, idx)| match idx {
                        Some(i) => {
                            let q = plant.signal_quality(i);
                            let value = if q.is_bad() { None } else { Some(readings[i].clone()) };
                            Sample {
                                tag,
                                value,
                                quality: q,
                                source_ts: ts,
                            }
                        }
                        None => Sample::bad(tag, crate::tag::BadReason::ConfigError, ts),
                    })
                    .collect();
                if link.samples.send(batch).is_err() {
                    link.stats.set_state(DriverState::Stopped);
                    return;
                }
            }
            if steps < due {
                // Fell behind by more than the catch-up budget: skip ahead rather than flood the hub.
                steps = due;
                link.stats
                    .set_last_error(Some("simulator fell behind real time; steps skipped".into()));
            }
            let next = Duration::from_secs_f64((steps + 1) as f64 * dt / self.cfg.speed);
            let sleep = next.saturating_sub(start_wall.elapsed()).min(Duration::from_millis(50));
            std::thread::sleep(sleep);
        }
        link.stats.set_state(DriverState::Stopped);
    }

    fn fire_schedule(&mut self, link: &DriverLink, plant: &mut DemoPlant) {
        while self.schedule.first().is_some_and(|f| f.at_secs <= plant.time_s()) {
            let f = self.schedule.remove(0);
            self.inject(link, plant, f.fault);
        }
    }

    fn handle_commands(&self, link: &DriverLink, plant: &mut DemoPlant) {
        while let Ok(cmd) = link.commands.try_recv() {
            match cmd {
                DriverCommand::Sim(SimCommand::Inject(f)) => self.inject(link, plant, f),
                DriverCommand::Sim(SimCommand::Clear(f)) => {
                    plant.clear(&f);
                    tracing::info!(driver = %link.name, fault = %f, "simulator fault cleared");
                }
                DriverCommand::Sim(SimCommand::ClearAll) => {
                    plant.clear_all();
                    tracing::info!(driver = %link.name, "all simulator faults cleared");
                }
                DriverCommand::Write { tag, address, value } => match plant.write(&address, &value) {
                    Ok(()) => {
                        tracing::info!(driver = %link.name, %address, %value, "simulator output written");
                        link.report(DriverEvent::WriteConfirmed { tag, value });
                    }
                    Err(reason) => {
                        link.stats.set_last_error(Some(format!("write refused: {reason}")));
                        link.report(DriverEvent::WriteFailed { tag, value, reason });
                    }
                },
            }
            publish_faults(link, plant);
        }
    }

    fn inject(&self, link: &DriverLink, plant: &mut DemoPlant, f: Fault) {
        match plant.inject(f.clone()) {
            Ok(()) => tracing::warn!(driver = %link.name, fault = %f, "simulator fault injected"),
            Err(e) => link.stats.set_last_error(Some(format!("fault {f} refused: {e}"))),
        }
        publish_faults(link, plant);
    }
}

/// How the driver's status detail starts while faults are active: `faults: stuck-pipe:ct01, gas-lock:esp02`.
/// The Drivers page shows it as is (a driver's own words); the Simulator page reads the list back.
const FAULTS_DETAIL: &str = "faults: ";

fn publish_faults(link: &DriverLink, plant: &DemoPlant) {
    let faults = plant.active_faults();
    link.stats.set_detail(if faults.is_empty() {
        None
    } else {
        Some(format!(
            "{FAULTS_DETAIL}{}",
            faults.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
        ))
    });
}

/// The faults a simulator's status detail names (`None`: a detail of some other kind).
pub fn active_faults(detail: &str) -> Option<Vec<Fault>> {
    let list = detail.strip_prefix(FAULTS_DETAIL)?;
    list.split(", ")
        .map(|f| f.parse::<ScheduledFault>().ok().map(|s| s.fault))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::FaultKind;

    #[test]
    fn the_fault_detail_reads_back_as_faults() {
        let fault = |kind, target: &str| Fault {
            kind,
            target: target.into(),
        };
        let faults = [
            fault(FaultKind::StuckPipe, "ct01"),
            fault(FaultKind::SensorFail, "ct01/weight"),
        ];
        let detail = format!(
            "{FAULTS_DETAIL}{}",
            faults.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
        );
        assert_eq!(active_faults(&detail), Some(faults.to_vec()));
        assert_eq!(active_faults("connected to 127.0.0.1:502"), None);
    }
}
