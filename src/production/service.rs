//! The production service on the hub: runs the well test on the test separator (`welltest::TestRunner`)
//! from the separator's and the routed well's tags, hands each completed test to the production writer,
//! and computes every ESP's performance on its catalogue curve (TDH, efficiency, motor load, head against
//! the curve, operating zone and the out-of-range flag the alarm watches).
//!
//! Runs as a `Deriver` on the hub thread: O(1) per scan, nothing that waits. A completed test goes to the
//! writer through `ProductionPort`'s bounded queue and is sent again until the queue takes it; the service
//! never touches the store. Inputs with bad quality make bad outputs with the input's reason, never a
//! number computed from a stale or failed reading.

use super::config::{EspConfig, ProductionConfig};
use super::model::Measured;
use super::welltest::{Phase, RunnerEvent, RunnerSettings, TestReading, TestRunner};
use super::writer::ProductionPort;
use crate::calc::esp::{self, EspInput, PumpZone};
use crate::driver::{DriverLink, DriverState};
use crate::hub::Deriver;
use crate::tag::{BadReason, DriverId, Quality, Sample, TagId, TagTable, TagUpdate, Timestamp, Value};
use std::sync::Arc;

/// ESP figures are recomputed at most this often (plant seconds): a pump changes over seconds, not scans.
const ESP_EVERY_S: f64 = 1.0;
/// The test's elapsed-time and stability tags change at most this often (plant seconds).
const TEST_TAGS_EVERY_S: f64 = 5.0;
/// Below this drive frequency the pump is stopped: no zone, no efficiency.
pub const STOPPED_HZ: f64 = 10.0;
/// Completed tests waiting for room in the writer's queue, at most.
const MAX_PENDING: usize = 64;

struct EspState {
    well: usize,
    last_s: f64,
    /// Since when the pump runs outside its recommended range (plant seconds).
    outside_since: Option<f64>,
}

pub struct ProductionService {
    cfg: Arc<ProductionConfig>,
    driver: DriverId,
    _link: DriverLink,
    port: Option<ProductionPort>,
    runner: TestRunner,
    esps: Vec<EspState>,
    /// Every input tag of the test, to skip scans that changed none.
    test_inputs: Vec<TagId>,
    announced: bool,
    stability_sent: bool,
    sent_phase: Option<(Phase, Option<String>)>,
    last_test_tags_s: f64,
    pending: Vec<Measured>,
    /// Completed tests dropped because the writer's queue stayed full.
    pub dropped: u64,
    /// Plant seconds per second of the readings' timestamps: 1 for a real plant; a simulator run faster
    /// than real time stamps its readings at the wall time it reaches them, so its minutes pass quicker.
    time_scale: f64,
    /// The first reading's timestamp (s): plant time is counted from it.
    origin: Option<f64>,
    /// ESP inputs → the ESPs that read them, so a scan looks up each update once.
    esp_by_input: std::collections::HashMap<TagId, Vec<usize>>,
}

impl ProductionService {
    /// The service for `cfg`; `time_scale` is plant seconds per timestamp second (the simulator's speed when
    /// the separator is simulated, else 1).
    pub fn new(cfg: Arc<ProductionConfig>, link: DriverLink, port: Option<ProductionPort>, time_scale: f64) -> Self {
        link.stats.set_state(DriverState::Running);
        let s = &cfg.separator;
        let runner = TestRunner::new(RunnerSettings {
            test: cfg.test,
            bbl_per_inch: s.bbl_per_inch,
            meter_factors: [s.oil_meter_factor, s.water_meter_factor, s.gas_meter_factor],
            shrinkage: s.shrinkage,
            separator: s.name.clone(),
        });
        let mut test_inputs: Vec<TagId> = [s.well_on_test, s.oil_rate, s.water_rate, s.gas_rate, s.pressure]
            .into_iter()
            .chain(
                [
                    s.oil_total,
                    s.water_total,
                    s.gas_total,
                    s.temperature,
                    s.oil_level,
                    s.water_level,
                    s.bsw,
                ]
                .into_iter()
                .flatten(),
            )
            .collect();
        test_inputs.sort_unstable();
        test_inputs.dedup();
        let esps = cfg
            .wells
            .iter()
            .enumerate()
            .filter(|(_, w)| w.esp.is_some())
            .map(|(well, _)| EspState {
                well,
                last_s: f64::NEG_INFINITY,
                outside_since: None,
            })
            .collect::<Vec<EspState>>();
        let mut esp_by_input: std::collections::HashMap<TagId, Vec<usize>> = std::collections::HashMap::new();
        for (i, st) in esps.iter().enumerate() {
            let w = &cfg.wells[st.well];
            if let Some(e) = &w.esp {
                for id in Self::esp_inputs(e, w.rate) {
                    esp_by_input.entry(id).or_default().push(i);
                }
            }
        }
        Self {
            time_scale: if time_scale.is_finite() && time_scale > 0.0 {
                time_scale
            } else {
                1.0
            },
            origin: None,
            esp_by_input,
            driver: link.id,
            _link: link,
            port,
            runner,
            esps,
            test_inputs,
            announced: false,
            stability_sent: false,
            sent_phase: None,
            last_test_tags_s: f64::NEG_INFINITY,
            pending: Vec::new(),
            dropped: 0,
            cfg,
        }
    }

    /// The test's reading at this scan: the routed well's own tags come from its configuration.
    fn step_test(&mut self, table: &TagTable, now: Timestamp, out: &mut Vec<Sample>) {
        let cfg = self.cfg.clone();
        let s = &cfg.separator;
        let well_name = table
            .get(s.well_on_test)
            .filter(|v| v.quality == Quality::Good)
            .and_then(|v| v.value.as_ref())
            .and_then(|v| v.as_str().map(str::to_owned))
            .filter(|w| !w.is_empty());
        let well = well_name.as_deref().and_then(|w| self.cfg.well(w));
        let pwf_psi = well.and_then(|w| w.pwf.pwf_psi(|tag| good_f64(table, tag)));
        let esp_hz = well
            .and_then(|w| w.esp.as_ref())
            .and_then(|e| good_f64(table, e.frequency));
        let whp_psi = well.and_then(|w| w.whp).and_then(|id| good_f64(table, id));
        let opt = |id: Option<TagId>| id.and_then(|id| good_f64(table, id));
        // Plant time: the newest of the separator's readings (a simulator running faster than real time, a
        // replay), not the hub's clock.
        let t_s = self
            .test_inputs
            .iter()
            .filter_map(|&id| table.get(id).filter(|v| v.quality == Quality::Good))
            .map(|v| v.source_ts.as_secs_f64())
            .fold(f64::NEG_INFINITY, f64::max);
        let t_s = self.plant_s(t_s, now);
        let reading = TestReading {
            t_s,
            well: well_name.as_deref(),
            oil_bpd: good_f64(table, s.oil_rate),
            water_bpd: good_f64(table, s.water_rate),
            gas_mscfd: good_f64(table, s.gas_rate),
            oil_total: opt(s.oil_total),
            water_total: opt(s.water_total),
            gas_total: opt(s.gas_total),
            oil_level_in: opt(s.oil_level),
            water_level_in: opt(s.water_level),
            separator_psi: good_f64(table, s.pressure),
            separator_temp_f: opt(s.temperature),
            bsw_pct: opt(s.bsw),
            whp_psi,
            pwf_psi,
            esp_hz,
        };
        let resets = self.runner.totalizer_resets();
        // A scan may make two events (a test abandoned by the next well's routing): both are handled.
        let mut event = self.runner.step(&reading);
        while let Some(e) = event.take() {
            self.on_event(e);
            event = self.runner.next_event();
        }
        if self.runner.totalizer_resets() > resets {
            tracing::warn!(separator = %cfg.separator.name, "a totalizer went backwards (reset or rollover): counted on from its new value");
        }
        self.flush_pending();
        self.test_tags(now, out);
    }

    fn on_event(&mut self, event: RunnerEvent) {
        match event {
            RunnerEvent::Completed(mut m) => {
                // Back to the readings' clock: the records and their history window are on it.
                for t in [&mut m.routed_at, &mut m.stable_at, &mut m.start, &mut m.end] {
                    *t = Timestamp::from_secs_f64(self.stamp_s(t.as_secs_f64()));
                }
                tracing::info!(well = %m.well, oil = m.oil_stb_d, water = m.water_bbl_d, gas = m.gas_mscf_d, "well test completed");
                if self.pending.len() >= MAX_PENDING {
                    self.pending.remove(0);
                    self.dropped += 1;
                }
                self.pending.push(m);
            }
            RunnerEvent::Aborted { well, phase, why } => {
                tracing::info!(%well, phase = phase.code(), %why, "well test abandoned");
            }
            RunnerEvent::Routed { well } => tracing::info!(%well, "well routed to the test separator"),
            RunnerEvent::Stable { well } => tracing::info!(%well, "well test stable: test period starts"),
        }
    }

    /// Hands completed tests to the writer; what its queue cannot take waits for the next scan.
    fn flush_pending(&mut self) {
        let Some(port) = &self.port else {
            self.pending.clear();
            return;
        };
        while let Some(m) = self.pending.first() {
            if port.measured(m.clone()) {
                self.pending.remove(0);
            } else {
                break;
            }
        }
    }

    fn test_tags(&mut self, now: Timestamp, out: &mut Vec<Sample>) {
        let tags = self.cfg.tags;
        let phase = (self.runner.phase(), self.runner.well().map(str::to_owned));
        let t = now.as_secs_f64();
        if self.sent_phase.as_ref() != Some(&phase) {
            out.push(Sample::good(tags.state, Value::str(phase.0.code()), now));
            out.push(Sample::good(
                tags.well,
                Value::str(phase.1.as_deref().unwrap_or("")),
                now,
            ));
            self.sent_phase = Some(phase);
            self.last_test_tags_s = f64::NEG_INFINITY;
        }
        if t - self.last_test_tags_s >= TEST_TAGS_EVERY_S {
            self.last_test_tags_s = t;
            out.push(Sample::good(
                tags.elapsed_min,
                Value::F64(self.runner.elapsed_s() / 60.0),
                now,
            ));
            // Outside stabilization there is nothing to compare: the tag keeps its last figure (0 before the
            // first), rather than reading as a failed instrument on every overview for most of each test.
            let stability = self.runner.stability().map(|st| st.worst_rate_pct);
            if let Some(pct) = stability.or((!self.stability_sent).then_some(0.0)) {
                out.push(Sample::good(tags.stability_pct, Value::F64(pct), now));
                self.stability_sent = true;
            }
        }
    }

    fn step_esp(&mut self, i: usize, table: &TagTable, now: Timestamp, out: &mut Vec<Sample>) {
        let cfg = self.cfg.clone();
        let well = &cfg.wells[self.esps[i].well];
        let Some(e) = &well.esp else { return };
        // Plant time, as the test's: the newest of the pump's readings says when.
        let newest = Self::esp_inputs(e, well.rate)
            .filter_map(|id| table.get(id))
            .map(|v| v.source_ts.as_secs_f64())
            .fold(f64::NEG_INFINITY, f64::max);
        let t = self.plant_s(newest, now);
        let st = &mut self.esps[i];
        if t - st.last_s < ESP_EVERY_S {
            return;
        }
        st.last_s = t;
        let tags = e.tags;
        let all = [
            tags.tdh,
            tags.efficiency,
            tags.motor_load,
            tags.head_ratio,
            tags.zone,
            tags.out_of_range,
        ];
        let needed = [Some(e.frequency), Some(e.intake), Some(e.discharge), well.rate];
        if let Some(reason) = needed.into_iter().flatten().find_map(|id| bad_reason(table, id)) {
            st.outside_since = None;
            out.extend(all.iter().map(|&id| Sample::bad(id, reason, now)));
            return;
        }
        let num = |id: TagId| good_f64(table, id).unwrap_or(0.0);
        let hz = num(e.frequency);
        let input = EspInput {
            q_bpd: well.rate.map_or(0.0, num).max(0.0),
            p_intake_psi: num(e.intake),
            p_discharge_psi: num(e.discharge),
            sg: e.sg,
            frequency_hz: hz,
            stages: Some(e.stages),
            pump: None,
            volts: e.current.map(|_| e.motor_volts),
            amps: e.current.and_then(|id| good_f64(table, id)),
            power_factor: e.power_factor,
            motor_eff: e.motor_eff,
            motor_rated_hp: Some(e.motor_rated_hp),
            motor_rated_amps: Some(e.motor_rated_amps),
        };
        if hz < STOPPED_HZ {
            st.outside_since = None;
            out.push(Sample::good(tags.zone, Value::str("stopped"), now));
            out.push(Sample::good(tags.out_of_range, Value::Bool(false), now));
            for id in [tags.tdh, tags.efficiency, tags.motor_load, tags.head_ratio] {
                out.push(Sample::good(id, Value::F64(0.0), now));
            }
            return;
        }
        // The site's curve was checked when the site loaded.
        let perf = match esp::performance_on(&input, cfg.pumps.get(e.pump)) {
            Ok(p) => p,
            Err(err) => {
                // Discharge below intake, efficiency above 1: a gauge is wrong, not the pump.
                tracing::debug!(well = %well.id, %err, "ESP performance refused its inputs");
                st.outside_since = None;
                out.extend(all.iter().map(|&id| Sample::bad(id, BadReason::SensorFail, now)));
                return;
            }
        };
        out.push(Sample::good(tags.tdh, Value::F64(perf.tdh_ft), now));
        // Without the motor's current the efficiency and load are the current meter's fault (its own
        // reason), or the configuration's when the well names none.
        let motor = e
            .current
            .and_then(|id| bad_reason(table, id))
            .unwrap_or(BadReason::ConfigError);
        push_opt(out, tags.efficiency, perf.efficiency.map(|x| x * 100.0), motor, now);
        push_opt(out, tags.motor_load, perf.motor_load.map(|x| x * 100.0), motor, now);
        push_opt(
            out,
            tags.head_ratio,
            perf.head_ratio.map(|x| x * 100.0),
            BadReason::ConfigError,
            now,
        );
        let zone = perf.zone.unwrap_or(PumpZone::Recommended);
        out.push(Sample::good(tags.zone, Value::str(zone_code(zone)), now));
        let outside = zone != PumpZone::Recommended;
        st.outside_since = match (outside, st.outside_since) {
            (true, Some(since)) => Some(since),
            (true, None) => Some(t),
            (false, _) => None,
        };
        let flag = st.outside_since.is_some_and(|since| t - since >= e.out_of_range_s);
        out.push(Sample::good(tags.out_of_range, Value::Bool(flag), now));
    }

    /// Plant seconds of a reading stamped `stamp_s` (NEG_INFINITY: none; then the hub's clock). A stamp from
    /// a device clock running ahead is taken as the hub's time plus a minute at most, so one wrong clock
    /// cannot freeze the tests until real time catches up.
    fn plant_s(&mut self, stamp_s: f64, now: Timestamp) -> f64 {
        let now_s = now.as_secs_f64();
        let stamp = if stamp_s.is_finite() {
            stamp_s.min(now_s + 60.0)
        } else {
            now_s
        };
        let origin = *self.origin.get_or_insert(stamp);
        origin + (stamp - origin) * self.time_scale
    }

    /// The readings' clock of a plant time (the inverse of `plant_s`).
    fn stamp_s(&self, plant_s: f64) -> f64 {
        match self.origin {
            Some(origin) => origin + (plant_s - origin) / self.time_scale,
            None => plant_s,
        }
    }

    fn esp_inputs(e: &EspConfig, rate: Option<TagId>) -> impl Iterator<Item = TagId> {
        [Some(e.frequency), Some(e.intake), Some(e.discharge), e.current, rate]
            .into_iter()
            .flatten()
    }
}

/// The zone as its tag says it (alarms and screens compare these words).
pub fn zone_code(z: PumpZone) -> &'static str {
    match z {
        PumpZone::Downthrust => "downthrust",
        PumpZone::Recommended => "recommended",
        PumpZone::Upthrust => "upthrust",
    }
}

fn push_opt(out: &mut Vec<Sample>, id: TagId, v: Option<f64>, why: BadReason, now: Timestamp) {
    out.push(match v {
        Some(x) => Sample::good(id, Value::F64(x), now),
        None => Sample::bad(id, why, now),
    });
}

fn good_f64(table: &TagTable, id: TagId) -> Option<f64> {
    table.get(id)?.good_f64()
}

/// Why an input is not good (uncertain counts as good enough to compute from, as the trends do).
fn bad_reason(table: &TagTable, id: TagId) -> Option<BadReason> {
    match table.get(id).map(|s| s.quality) {
        Some(Quality::Bad(r)) => Some(r),
        None => Some(BadReason::WaitingForData),
        Some(_) => None,
    }
}

impl Deriver for ProductionService {
    fn name(&self) -> &str {
        "production"
    }

    fn driver(&self) -> DriverId {
        self.driver
    }

    fn derive(&mut self, updates: &[TagUpdate], table: &TagTable, now: Timestamp, out: &mut Vec<Sample>) {
        if updates.iter().any(|u| self.test_inputs.binary_search(&u.tag).is_ok()) {
            self.step_test(table, now, out);
        }
        let mut touched: Vec<usize> = updates
            .iter()
            .filter_map(|u| self.esp_by_input.get(&u.tag))
            .flatten()
            .copied()
            .collect();
        touched.sort_unstable();
        touched.dedup();
        for i in touched {
            self.step_esp(i, table, now, out);
        }
    }

    fn tick(&mut self, now: Timestamp, _table: &TagTable, out: &mut Vec<Sample>) {
        if !self.announced {
            // The test tags say "idle" before the separator's first reading, not "waiting for data" forever.
            self.announced = true;
            self.test_tags(now, out);
        }
        self.flush_pending();
    }

    fn stop(&mut self) {
        self.flush_pending();
        if !self.pending.is_empty() {
            tracing::warn!(
                tests = self.pending.len(),
                "completed well tests not handed to the production records at stop"
            );
        }
    }
}
