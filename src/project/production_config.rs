//! What a site says of its production (`[production]` in site.toml): the test separator and the tags it
//! reads, how a test is run (purge, stabilization window and tolerance, test length, meter factors,
//! shrinkage), the producing wells (reservoir and bubble-point pressure, where the flowing bottomhole
//! pressure comes from, their ESP) and the catalogue of pump curves.
//!
//! Plain validated data, in the project room because the project reads it (`site::production` parses and
//! checks it); the production room's services read it (as `production::config`). Holds no state and
//! starts nothing.

use crate::calc::esp::PumpCurve;
use crate::calc::ipr::IprModel;
use crate::tag::{DriverId, TagId};

/// The name of the production service's implicit driver.
pub const PRODUCTION_DRIVER: &str = "production";

#[derive(Debug, Clone)]
pub struct ProductionConfig {
    pub separator: SeparatorConfig,
    pub test: TestSettings,
    pub wells: Vec<ProducerConfig>,
    /// The pump catalogue (`[[production.pump]]`), checked.
    pub pumps: Vec<PumpCurve>,
    /// A well whose last approved test is older than this is overdue (field table), days.
    pub overdue_days: f64,
    /// Economic limit for decline forecasts, STB/d of oil.
    pub economic_limit_stb_d: f64,
    /// The implicit driver the service's tags belong to.
    pub driver: DriverId,
    pub tags: ServiceTags,
}

impl ProductionConfig {
    pub fn well(&self, id: &str) -> Option<&ProducerConfig> {
        self.wells.iter().find(|w| w.id == id)
    }
}

/// The test separator and the tags the well test reads.
#[derive(Debug, Clone)]
pub struct SeparatorConfig {
    /// Its name, the prefix of the service's test tags (`sep01`).
    pub name: String,
    /// A string tag naming the well routed to it (the manifold's position).
    pub well_on_test: TagId,
    /// Metered rates: oil bbl/d, water bbl/d, gas Mscf/d.
    pub oil_rate: TagId,
    pub water_rate: TagId,
    pub gas_rate: TagId,
    /// The flow computer's totalizers (bbl, bbl, Mscf): volumes come from them when given (exact over any
    /// dump cycle), else from the rates integrated.
    pub oil_total: Option<TagId>,
    pub water_total: Option<TagId>,
    pub gas_total: Option<TagId>,
    /// Vessel pressure, psi, and temperature, °F.
    pub pressure: TagId,
    pub temperature: Option<TagId>,
    /// Oil (total liquid) and water (interface) levels, in: with `bbl_per_inch` the liquid held up in the
    /// vessel is counted, so a dump cycle's timing does not bias a test.
    pub oil_level: Option<TagId>,
    pub water_level: Option<TagId>,
    pub bbl_per_inch: Option<f64>,
    /// BS&W from the sampler or the grind-out, %.
    pub bsw: Option<TagId>,
    pub oil_meter_factor: f64,
    pub water_meter_factor: f64,
    pub gas_meter_factor: f64,
    /// Stock-tank barrels per barrel of separator oil (shrinkage factor, ≤ 1).
    pub shrinkage: f64,
}

/// How a test runs, in seconds of plant time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TestSettings {
    /// After a well is routed to the separator, its previous contents are flushed for this long.
    pub purge_s: f64,
    /// Stabilization compares the rates of the two halves of this window.
    pub window_s: f64,
    /// Each phase's rate may differ this much between the halves, % of their mean.
    pub tolerance_pct: f64,
    /// The pressures may differ this much between the halves, psi.
    pub pressure_tolerance_psi: f64,
    /// The test period, once stable.
    pub test_s: f64,
    /// Stabilization gives up after this long (the test is then recorded as not stabilized only if the
    /// engineer starts it by hand; the runner waits for the next routing).
    pub max_stabilization_s: f64,
}

impl Default for TestSettings {
    fn default() -> Self {
        Self {
            purge_s: 15.0 * 60.0,
            window_s: 20.0 * 60.0,
            tolerance_pct: 5.0,
            pressure_tolerance_psi: 10.0,
            test_s: 4.0 * 3600.0,
            max_stabilization_s: 6.0 * 3600.0,
        }
    }
}

/// Where a well's flowing bottomhole pressure comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum PwfSource {
    /// A downhole gauge (the ESP's intake sensor) at `gauge_tvd_ft`, corrected to the perforations with the
    /// fluid gradient: p_wf = p_gauge + gradient · (perf − gauge).
    Gauge {
        tag: TagId,
        gauge_tvd_ft: f64,
        perf_tvd_ft: f64,
        gradient_psi_ft: f64,
    },
    /// No gauge: the engineer's figure, psi.
    Fixed(f64),
}

impl PwfSource {
    /// p_wf now: the gauge's good reading (from `read`) corrected to the perforations, or the fixed figure.
    pub fn pwf_psi(&self, read: impl FnOnce(TagId) -> Option<f64>) -> Option<f64> {
        match self {
            PwfSource::Gauge {
                tag,
                gauge_tvd_ft,
                perf_tvd_ft,
                gradient_psi_ft,
            } => read(*tag).map(|gauge_psi| gauge_psi + gradient_psi_ft * (perf_tvd_ft - gauge_tvd_ft)),
            PwfSource::Fixed(p) => Some(*p),
        }
    }
}

/// A producing well (`[[production.well]]`).
#[derive(Debug, Clone)]
pub struct ProducerConfig {
    /// As the routing tag names it (`esp01`).
    pub id: String,
    pub label: String,
    pub reservoir_psi: f64,
    pub bubble_point_psi: Option<f64>,
    pub ipr: IprModel,
    pub pwf: PwfSource,
    /// Wellhead (tubing) pressure, psi.
    pub whp: Option<TagId>,
    /// The well's own liquid rate meter (bbl/d), for the live operating point and decline.
    pub rate: Option<TagId>,
    pub esp: Option<EspConfig>,
    /// Daily allocated rates from before the console (`history_csv`: a `date,oil,water,gas` CSV), for decline.
    pub history: std::sync::Arc<Vec<super::production_csv::DailyRate>>,
}

/// A well's ESP: its pump (from the catalogue), stages, motor and the tags that measure it.
#[derive(Debug, Clone)]
pub struct EspConfig {
    /// Index into `ProductionConfig::pumps`.
    pub pump: usize,
    pub stages: f64,
    pub frequency: TagId,
    pub intake: TagId,
    pub discharge: TagId,
    pub current: Option<TagId>,
    /// Mixture specific gravity of the pumped fluid.
    pub sg: f64,
    pub motor_volts: f64,
    pub motor_rated_hp: f64,
    pub motor_rated_amps: f64,
    pub power_factor: f64,
    pub motor_eff: f64,
    /// The out-of-range tag turns on after the pump has run outside its range this long, s.
    pub out_of_range_s: f64,
    pub tags: EspTags,
}

/// The tags the service makes for one ESP (`<well>/tdh`, …).
#[derive(Debug, Clone, Copy)]
pub struct EspTags {
    pub tdh: TagId,
    pub efficiency: TagId,
    pub motor_load: TagId,
    pub head_ratio: TagId,
    pub zone: TagId,
    pub out_of_range: TagId,
}

/// The tags the service makes for the separator's test (`<sep>/test_state`, …).
#[derive(Debug, Clone, Copy)]
pub struct ServiceTags {
    pub state: TagId,
    pub well: TagId,
    pub elapsed_min: TagId,
    pub stability_pct: TagId,
}
