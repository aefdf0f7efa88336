//! `wellconsole calc fatigue|forces|broomstick|hydraulics|limits|ipr|decline|esp`: the calc room's functions on
//! JSON, for an engineer who scripts a job design, fits a well's inflow or decline, or checks a number without
//! the console.
//!
//! Owns the JSON shapes no calc type already is (the two fatigue modes, one soft-string run, the limits'
//! envelope request, an IPR fit with the rates asked for, a decline fit with its forecast, and their
//! results), the dispatch from a `CalcKind` to the same functions the console runs, and the tables printed
//! with `--table`. Invariants: input is bounded (`MAX_INPUT_BYTES`) and read whole before anything is
//! computed; every input type refuses unknown fields; an invalid input is reported once, naming its field
//! (serde's message with line and column, or `<field>: ...` from a `CalcError`), and exits 1, while an input
//! that cannot be read or a result that cannot be written exits 2. Computes no engineering number itself:
//! every one comes from `calc` or `ctstring`. Must not import `ui`.

use crate::calc::CalcError;
use crate::calc::broomstick::{self, Broomstick, BroomstickInput, ReachLimit};
use crate::calc::decline::{self, DeclineFit, DeclineKind, FitOptions, Forecast};
use crate::calc::error::check;
use crate::calc::esp::{self, EspInput, EspPerformance, PumpZone};
use crate::calc::fatigue::{self, Grade, PressureFactor, WeldType};
use crate::calc::hydraulics::{self, Circuit, CircuitResult, FlowRegime};
use crate::calc::ipr::{self, FitMethod, IprModel, TestPoint};
use crate::calc::limits::{self, PipeLimits, PipeLoad, Wall};
use crate::calc::reel::ReelGeometry;
use crate::calc::softstring::{self, DragResult, Motion, StringInHole};
use crate::calc::survey::{Station, Survey};
use crate::calc::tubular::Tubular;
use crate::cli::{CalcArgs, CalcKind};
use crate::ctstring::layout::{SectionSpec, StringLayout, SurfacePath, WeldSpec};
use crate::ctstring::tracker::FatigueTracker;
use crate::ctstring::whatif::{self, JobPlan};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::io::{IsTerminal, Read, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

/// The most JSON one calculation reads: a survey of 100,000 stations is a few MiB; more is not an input.
pub const MAX_INPUT_BYTES: u64 = 16 * 1024 * 1024;
/// Roughly one broomstick table row per this much depth, ft.
const ROW_EVERY_FT: f64 = 500.0;
/// Retirement at 40 % peak fatigue (NOV's "40/400" rule, ENGINEERING.md §1).
const RETIREMENT_FATIGUE: f64 = 0.40;
const EVENTS_MEANING: &str = "damage and fatigue_pct are Miner's sum over every event listed, each taken count \
    times; trips_to_40_pct reads the list as one trip and says how many such trips take the pipe to 40 % \
    fatigue (the 40/400 retirement rule)";

fn default_element_ft() -> f64 {
    10.0
}

fn default_cell_ft() -> f64 {
    1.0
}

/// The console's what-if step: crossings are counted exactly at any step, the pressure is taken per step.
fn default_step_ft() -> f64 {
    5.0
}

fn default_profile_every_ft() -> f64 {
    100.0
}

/// Enough to see the curve's shape in a plot or a table.
fn default_curve_points() -> usize {
    20
}

/// A hyperbolic fit's b at most 1 unless a terminal decline is given (ENGINEERING.md §5: b > 1, infinite EUR).
fn default_b_max() -> f64 {
    1.0
}

/// The most rates one decline fit takes: over 270 years of daily rates; more is not one well's history.
const MAX_DECLINE_POINTS: usize = 100_000;

/// Why `wellconsole calc` did not answer.
#[derive(Debug)]
pub enum CalcCliError {
    /// The input file or standard input could not be read (exit 2: nothing is wrong with the JSON yet).
    Read {
        input: String,
        error: std::io::Error,
    },
    TooLarge {
        input: String,
    },
    /// Not JSON, or not the kind's shape: serde's message names the field with its line and column.
    Json {
        input: String,
        error: serde_json::Error,
    },
    /// The calculation refused an input; `at` says which list entry when the field alone is ambiguous.
    Calc {
        at: Option<String>,
        error: CalcError,
    },
    /// The result could not be written (exit 2).
    Write(std::io::Error),
}

impl CalcCliError {
    /// 1 for an invalid input (the person must change it), 2 when reading or writing failed.
    pub fn exit_code(&self) -> u8 {
        match self {
            CalcCliError::Read { .. } | CalcCliError::Write(_) => 2,
            CalcCliError::TooLarge { .. } | CalcCliError::Json { .. } | CalcCliError::Calc { .. } => 1,
        }
    }
}

impl fmt::Display for CalcCliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CalcCliError::Read { input, error } => write!(f, "reading {input}: {error}"),
            CalcCliError::TooLarge { input } => write!(
                f,
                "{input}: more than {} MiB of JSON, which is not a calculation's input",
                MAX_INPUT_BYTES / (1024 * 1024)
            ),
            CalcCliError::Json { input, error } => write!(f, "{input}: {error}"),
            CalcCliError::Calc { at, error } => {
                if let Some(at) = at {
                    write!(f, "{at}: ")?;
                }
                // The field first, as the JSON spells it: what the person has to change.
                match error {
                    CalcError::Invalid { field, value, rule } => write!(f, "{field}: {rule} (got {value})"),
                    CalcError::Inconsistent { .. } => write!(f, "{error}"),
                }
            }
            CalcCliError::Write(error) => write!(f, "writing the result: {error}"),
        }
    }
}

impl std::error::Error for CalcCliError {}

impl From<CalcError> for CalcCliError {
    fn from(error: CalcError) -> Self {
        CalcCliError::Calc { at: None, error }
    }
}

/// Runs `wellconsole calc`: reads the input, prints the result to standard output, and reports a problem
/// once on standard error as `error: ...`.
pub fn run(args: &CalcArgs) -> ExitCode {
    match read_and_answer(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

fn read_and_answer(args: &CalcArgs) -> Result<(), CalcCliError> {
    let (input, json) = match args.input.as_deref().filter(|p| *p != Path::new("-")) {
        Some(path) => {
            let input = path.display().to_string();
            let file = std::fs::File::open(path).map_err(|error| CalcCliError::Read {
                input: input.clone(),
                error,
            })?;
            let json = read_bounded(file, &input)?;
            (input, json)
        }
        None => {
            let stdin = std::io::stdin();
            if stdin.is_terminal() {
                eprintln!("reading JSON from standard input (end it with Ctrl-D)");
            }
            let input = "standard input".to_owned();
            let json = read_bounded(stdin.lock(), &input)?;
            (input, json)
        }
    };
    let text = calc(args.kind, &input, &json, args.table)?;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(CalcCliError::Write)
}

/// All of `reader`, refused past `MAX_INPUT_BYTES` without reading further.
fn read_bounded(reader: impl Read, input: &str) -> Result<Vec<u8>, CalcCliError> {
    let mut json = Vec::new();
    reader
        .take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut json)
        .map_err(|error| CalcCliError::Read {
            input: input.to_owned(),
            error,
        })?;
    if json.len() as u64 > MAX_INPUT_BYTES {
        return Err(CalcCliError::TooLarge {
            input: input.to_owned(),
        });
    }
    Ok(json)
}

/// One calculation on JSON `json` (read from `input`, named in errors): the result as pretty JSON, or as
/// tables for people with `table`.
pub fn calc(kind: CalcKind, input: &str, json: &[u8], table: bool) -> Result<String, CalcCliError> {
    match kind {
        CalcKind::Hydraulics => {
            let circuit: Circuit = parse(input, json)?;
            present(&hydraulics::circulate(&circuit)?, table, hydraulics_table)
        }
        CalcKind::Limits => {
            let request: LimitsInput = parse(input, json)?;
            present(&pipe_limits(&request)?, table, limits_table)
        }
        CalcKind::Broomstick => {
            let request: BroomstickInput = parse(input, json)?;
            present(&broomstick::broomstick(&request)?, table, broomstick_table)
        }
        CalcKind::Forces => {
            let request: ForcesInput = parse(input, json)?;
            present(&forces(&request)?, table, forces_table)
        }
        CalcKind::Fatigue => {
            let request: FatigueInput = parse(input, json)?;
            let result = match &request {
                FatigueInput::Events(events) => FatigueOutput::Events(events_fatigue(events)?),
                FatigueInput::StringRun(string_run) => FatigueOutput::StringRun(string_fatigue(string_run)?),
            };
            present(&result, table, fatigue_table)
        }
        CalcKind::Ipr => {
            let request: IprInput = parse(input, json)?;
            present(&inflow(&request)?, table, ipr_table)
        }
        CalcKind::Decline => {
            let request: DeclineInput = parse(input, json)?;
            present(&decline_forecast(&request)?, table, decline_table)
        }
        CalcKind::Esp => {
            let request: EspInput = parse(input, json)?;
            present(&esp::performance(&request)?, table, esp_table)
        }
    }
}

fn parse<T: DeserializeOwned>(input: &str, json: &[u8]) -> Result<T, CalcCliError> {
    serde_json::from_slice(json).map_err(|error| CalcCliError::Json {
        input: input.to_owned(),
        error,
    })
}

fn present<T: Serialize>(result: &T, table: bool, to_table: fn(&T) -> String) -> Result<String, CalcCliError> {
    if table {
        return Ok(to_table(result));
    }
    let mut text = serde_json::to_string_pretty(result).map_err(|e| CalcCliError::Write(e.into()))?;
    text.push('\n');
    Ok(text)
}

// ---- limits ----

/// A `PipeLoad` with, optionally, the von Mises envelope to draw it on.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsInput {
    #[serde(flatten)]
    pub load: PipeLoad,
    /// Vertices of the envelope at 100 % of yield (8 to 100,000); 0: no envelope.
    #[serde(default)]
    pub envelope_points: usize,
    /// A second envelope at this fraction of yield (an alarm line), with `envelope_points`.
    #[serde(default)]
    pub alarm_fraction: Option<f64>,
}

/// `PipeLimits` (its fields at the top level) and the envelope when asked for.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LimitsOutput {
    #[serde(flatten)]
    pub limits: PipeLimits,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub envelope: Option<Envelope>,
}

/// Closed polygons in the (true axial force lbf, p_in − p_out psi) plane at the load's outside pressure:
/// inside one, the larger von Mises stress of the two walls is under that fraction of yield.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Envelope {
    pub outside_pressure_psi: f64,
    pub yield_curve: Vec<[f64; 2]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alarm_fraction: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alarm_curve: Option<Vec<[f64; 2]>>,
}

fn pipe_limits(input: &LimitsInput) -> Result<LimitsOutput, CalcError> {
    let stresses = limits::pipe_limits(&input.load)?;
    let alarm = input
        .alarm_fraction
        .map(|f| {
            check(
                "alarm_fraction",
                f,
                |f| f > 0.0 && f <= 1.0,
                "must be over 0 and at most 1 (0.8 = 80 % of yield)",
            )
        })
        .transpose()?;
    if input.envelope_points == 0 {
        if alarm.is_some() {
            return Err(CalcError::Inconsistent {
                field: "alarm_fraction",
                reason: "an alarm curve is drawn with the envelope: give envelope_points (8 to 100,000) too".to_owned(),
            });
        }
        return Ok(LimitsOutput {
            limits: stresses,
            envelope: None,
        });
    }
    // Checked here under the JSON's name (vme_envelope calls it `points`).
    check(
        "envelope_points",
        input.envelope_points as f64,
        |n| (8.0..=100_000.0).contains(&n),
        "must be 0 (no envelope) or 8 to 100,000",
    )?;
    let l = &input.load;
    let curve = |fraction: f64| {
        limits::vme_envelope(
            l.od_in,
            l.wall_in,
            l.yield_psi,
            fraction,
            l.outside_pressure_psi,
            input.envelope_points,
        )
    };
    let yield_curve = curve(1.0)?;
    let alarm_curve = alarm.map(curve).transpose()?;
    Ok(LimitsOutput {
        limits: stresses,
        envelope: Some(Envelope {
            outside_pressure_psi: l.outside_pressure_psi,
            yield_curve,
            alarm_fraction: alarm,
            alarm_curve,
        }),
    })
}

// ---- forces ----

/// One soft-string run: a CT string in a surveyed hole, its tip at `tip_md_ft`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForcesInput {
    /// Survey stations from MD 0.
    pub survey: Vec<Station>,
    pub od_in: f64,
    pub wall_in: f64,
    pub fluid_inside_ppg: f64,
    pub fluid_outside_ppg: f64,
    pub hole_id_in: f64,
    /// Wall friction factor μ, 0 to 1.
    pub friction_factor: f64,
    #[serde(default = "default_element_ft")]
    pub element_ft: f64,
    pub tip_md_ft: f64,
    /// Force at the tip, lbf: positive a hanging weight, negative set down.
    #[serde(default)]
    pub tip_force_lbf: f64,
    pub motion: Motion,
}

/// The drag result with the buckling onsets at the tip's inclination and the buoyed weight.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Forces {
    pub drag: DragResult,
    pub locked_up: bool,
    pub buoyed_weight_lb_ft: f64,
    pub tip_inclination_deg: f64,
    /// Dawson–Paslay (vertical limit near 0°).
    pub sinusoidal_onset_lbf: f64,
    /// Chen–Lin–Cheatham, the onset the drag model uses.
    pub helical_onset_chen_lbf: f64,
    /// Wu & Juvkam-Wold, loading.
    pub helical_onset_wu_lbf: f64,
}

fn forces(input: &ForcesInput) -> Result<Forces, CalcError> {
    let survey = Survey::new(input.survey.clone()).map_err(|e| CalcError::Inconsistent {
        field: "survey",
        reason: e.to_string(),
    })?;
    let tubular = Tubular::new(input.od_in, input.wall_in)?;
    let mu = check(
        "friction_factor",
        input.friction_factor,
        |m| (0.0..=1.0).contains(&m),
        "must be between 0 and 1",
    )?;
    let pipe = StringInHole::for_tubular(
        &tubular,
        input.hole_id_in,
        input.fluid_inside_ppg,
        input.fluid_outside_ppg,
        mu,
        input.element_ft,
    )?;
    let drag = softstring::drag(&survey, &pipe, input.tip_md_ft, input.tip_force_lbf, input.motion)?;
    let (tip_inclination_deg, _) = survey.attitude_at(input.tip_md_ft);
    let inc = tip_inclination_deg.to_radians();
    let (ei, w, r) = (pipe.ei_lbf_in2(), pipe.buoyed_weight_lb_ft(), pipe.clearance_in());
    Ok(Forces {
        drag,
        locked_up: drag.is_locked_up(),
        buoyed_weight_lb_ft: w,
        tip_inclination_deg,
        sinusoidal_onset_lbf: softstring::sinusoidal_buckling_lbf(ei, w, inc, r)?,
        helical_onset_chen_lbf: softstring::helical_buckling_lbf(ei, w, inc, r)?,
        helical_onset_wu_lbf: softstring::helical_buckling_wu_lbf(ei, w, inc, r)?,
    })
}

// ---- fatigue ----

/// `"mode": "events"` (bending events on one pipe) or `"mode": "string"` (a reel's string through a plan).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum FatigueInput {
    Events(EventsInput),
    #[serde(rename = "string")]
    StringRun(StringRunInput),
}

/// Bending events on one pipe: each at a radius and internal pressure, `count` times.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventsInput {
    pub od_in: f64,
    pub wall_in: f64,
    pub grade: Grade,
    /// K_p table; the UNCALIBRATED default when absent.
    #[serde(default)]
    pub pressure_factor: PressureFactor,
    pub events: Vec<BendingEvent>,
}

#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BendingEvent {
    /// Bending radius to the pipe centreline, in (a reel layer's, the guide arch's).
    pub radius_in: f64,
    pub pressure_psi: f64,
    /// How many such events (reversals, half cycles).
    pub count: u32,
    /// A weld at the pipe, derating its life; plain pipe when absent.
    #[serde(default)]
    pub weld: Option<WeldType>,
}

/// A reel's string (as a reel record gives it) run through a planned job from new.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StringRunInput {
    pub reel: ReelInput,
    #[serde(default = "default_cell_ft")]
    pub cell_ft: f64,
    pub plan: JobPlan,
    /// Depth step of the prediction, ft (the pressure is taken per step; crossings are exact at any step).
    #[serde(default = "default_step_ft")]
    pub step_ft: f64,
    /// Length of string per profile entry, ft (each entry: its worst cell).
    #[serde(default = "default_profile_every_ft")]
    pub profile_every_ft: f64,
}

/// The parts of a reel record the fatigue needs, in JSON.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReelInput {
    pub core_diameter_in: f64,
    pub width_in: f64,
    pub guide_arch_radius_in: f64,
    pub path: SurfacePath,
    /// From the core out.
    pub sections: Vec<SectionSpec>,
    #[serde(default)]
    pub welds: Vec<WeldSpec>,
    #[serde(default)]
    pub pressure_factor: PressureFactor,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum FatigueOutput {
    Events(EventsFatigue),
    #[serde(rename = "string")]
    StringRun(StringFatigue),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventFatigue {
    pub radius_in: f64,
    pub pressure_psi: f64,
    pub count: u32,
    pub weld: Option<WeldType>,
    /// Bending strain OD/(2R), a fraction.
    pub strain: f64,
    /// N_f; `None` for an elastic bend (strain under the yield strain), which does no low-cycle damage.
    pub cycles_to_failure: Option<f64>,
    /// Miner's damage of one event (a reversal, half a cycle), a fraction of life.
    pub damage_per_event: f64,
    /// count × damage_per_event.
    pub damage: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventsFatigue {
    pub yield_strain: f64,
    pub events: Vec<EventFatigue>,
    /// Σ damage, a fraction of life, and the same in %.
    pub damage: f64,
    pub fatigue_pct: f64,
    /// 0.40 / damage; `None` when the events do no damage.
    pub trips_to_40_pct: Option<f64>,
    /// K_p is the placeholder: figures at pressure are not yet life.
    pub uncalibrated_pressure_factor: bool,
    /// What the sums mean.
    pub meaning: &'static str,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StringFatigue {
    pub length_ft: f64,
    pub cell_ft: f64,
    pub cells: usize,
    /// The worst cell after the plan, % of life, and its centre, ft from the tip.
    pub max_fatigue_pct: f64,
    pub max_at_ft: f64,
    pub profile_every_ft: f64,
    /// From the tip: the worst cell of each `profile_every_ft` of string.
    pub profile: Vec<ProfileStretch>,
    /// Each weld, nearest the tip first, with the fatigue of the cell holding it.
    pub welds: Vec<WeldFatigue>,
    pub uncalibrated_pressure_factor: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ProfileStretch {
    pub from_ft: f64,
    pub to_ft: f64,
    pub max_fatigue_pct: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct WeldFatigue {
    /// ft from the tip.
    pub at_ft: f64,
    pub kind: WeldType,
    pub fatigue_pct: f64,
}

fn events_fatigue(input: &EventsInput) -> Result<EventsFatigue, CalcCliError> {
    let pipe = Tubular::new(input.od_in, input.wall_in)?;
    input.grade.validate()?;
    if input.events.is_empty() {
        return Err(CalcError::Inconsistent {
            field: "events",
            reason: "list at least one bending event".to_owned(),
        }
        .into());
    }
    let mut events = Vec::with_capacity(input.events.len());
    for (i, e) in input.events.iter().enumerate() {
        let one = event_fatigue(&pipe, input, e).map_err(|error| CalcCliError::Calc {
            at: Some(format!("events[{i}]")),
            error,
        })?;
        events.push(one);
    }
    let damage: f64 = events.iter().map(|e| e.damage).sum();
    Ok(EventsFatigue {
        yield_strain: input.grade.yield_strain(),
        events,
        damage,
        fatigue_pct: 100.0 * damage,
        trips_to_40_pct: (damage > 0.0).then_some(RETIREMENT_FATIGUE / damage),
        uncalibrated_pressure_factor: input.pressure_factor == PressureFactor::uncalibrated_default(),
        meaning: EVENTS_MEANING,
    })
}

fn event_fatigue(pipe: &Tubular, input: &EventsInput, e: &BendingEvent) -> Result<EventFatigue, CalcError> {
    let (od, wall) = (pipe.od_in(), pipe.wall_in());
    let (grade, pf) = (&input.grade, &input.pressure_factor);
    let strain = fatigue::bending_strain(od, e.radius_in)?;
    let weld_factor = e.weld.map_or(1.0, WeldType::life_factor);
    let damage_per_event = fatigue::damage_per_event(strain, e.pressure_psi, od, wall, grade, pf, weld_factor)?;
    // The same rule as `damage_per_event`: an elastic bend has no low-cycle life to report.
    let cycles_to_failure = if strain < grade.yield_strain() {
        None
    } else {
        Some(fatigue::cycles_to_failure(
            strain,
            e.pressure_psi,
            od,
            wall,
            grade,
            pf,
            weld_factor,
        )?)
    };
    Ok(EventFatigue {
        radius_in: e.radius_in,
        pressure_psi: e.pressure_psi,
        count: e.count,
        weld: e.weld,
        strain,
        cycles_to_failure,
        damage_per_event,
        damage: f64::from(e.count) * damage_per_event,
    })
}

/// The string laid out and tracked as the console does (`StringLayout::new`, `FatigueTracker::new`), the
/// plan run through `whatif::predict`, and the answer summarised along the string.
fn string_fatigue(input: &StringRunInput) -> Result<StringFatigue, CalcError> {
    let reel = &input.reel;
    let od_in = reel
        .sections
        .first()
        .map(|s| s.od_in)
        .ok_or_else(|| CalcError::Inconsistent {
            field: "sections",
            reason: "a string needs at least one section".to_owned(),
        })?;
    let geometry = ReelGeometry::new(reel.core_diameter_in, reel.width_in, od_in)?;
    let layout = Arc::new(StringLayout::new(
        &reel.sections,
        &reel.welds,
        geometry,
        reel.guide_arch_radius_in,
        reel.path,
        reel.pressure_factor.clone(),
        input.cell_ft,
    )?);
    let every = check(
        "profile_every_ft",
        input.profile_every_ft,
        |e| e >= layout.cell_ft(),
        "must be at least cell_ft",
    )?;
    let tracker = FatigueTracker::new(Arc::clone(&layout), Vec::new(), 0.0)?;
    let pct: Vec<f64> = whatif::predict(&tracker, &input.plan, input.step_ft)?
        .into_iter()
        .map(f64::from)
        .collect();
    let (max_cell, max_fatigue_pct) = pct
        .iter()
        .enumerate()
        .fold((0, 0.0), |best, (i, &p)| if p > best.1 { (i, p) } else { best });
    let length_ft = layout.length_ft();
    let stretches = (length_ft / every).ceil().max(1.0) as usize;
    let mut worst = vec![0.0_f64; stretches];
    for (i, &p) in pct.iter().enumerate() {
        let k = ((layout.centre_ft(i) / every).floor() as usize).min(stretches - 1);
        worst[k] = worst[k].max(p);
    }
    let profile = worst
        .iter()
        .enumerate()
        .map(|(k, &max_fatigue_pct)| ProfileStretch {
            from_ft: k as f64 * every,
            to_ft: ((k + 1) as f64 * every).min(length_ft),
            max_fatigue_pct,
        })
        .collect();
    let last_cell = pct.len().saturating_sub(1);
    let welds = layout
        .welds_from_tip()
        .into_iter()
        .map(|(at_ft, kind)| WeldFatigue {
            at_ft,
            kind,
            // A weld at the core end sits in the last cell.
            fatigue_pct: pct
                .get(((at_ft / layout.cell_ft()).floor() as usize).min(last_cell))
                .copied()
                .unwrap_or(0.0),
        })
        .collect();
    Ok(StringFatigue {
        length_ft,
        cell_ft: layout.cell_ft(),
        cells: pct.len(),
        max_fatigue_pct,
        max_at_ft: layout.centre_ft(max_cell),
        profile_every_ft: every,
        profile,
        welds,
        uncalibrated_pressure_factor: reel.pressure_factor == PressureFactor::uncalibrated_default(),
    })
}

// ---- ipr ----

/// A well's tests and the model to fit them with, and the flowing pressures to read rates at.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IprInput {
    pub model: IprModel,
    /// Average reservoir pressure p̄, psi.
    pub p_res_psi: f64,
    /// Bubble point, psi: needed by the composite model only.
    #[serde(default)]
    pub p_b_psi: Option<f64>,
    /// Stabilised tests: one → the one-point method; several → least squares.
    pub tests: Vec<TestPoint>,
    /// Flowing bottomhole pressures to answer the rate at, psi.
    #[serde(default)]
    pub at_p_wf_psi: Vec<f64>,
    /// Intervals of the curve from p̄ down to 0 (1 to 1,000).
    #[serde(default = "default_curve_points")]
    pub curve_points: usize,
}

/// The fitted inflow: its parameters, the rate at each pressure asked for, and the curve for a plot.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IprOutput {
    pub model: IprModel,
    pub method: FitMethod,
    /// Tests used.
    pub points: usize,
    pub j_stb_d_psi: f64,
    pub aof_stb_d: f64,
    /// J·p_b/1.8: the Vogel q_max of the part below the bubble point.
    pub vogel_qmax_stb_d: f64,
    pub p_res_psi: f64,
    /// The bubble point the model used (0 for linear, p̄ for Vogel).
    pub p_b_psi: f64,
    /// RMS of test rate − fitted rate (0 for one test).
    pub rms_residual_stb_d: f64,
    pub at: Vec<IprAt>,
    /// (q STB/d, p_wf psi) from p_wf = p̄ down to 0.
    pub curve: Vec<[f64; 2]>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct IprAt {
    pub p_wf_psi: f64,
    pub q_stb_d: f64,
}

fn inflow(input: &IprInput) -> Result<IprOutput, CalcCliError> {
    check(
        "curve_points",
        input.curve_points as f64,
        |n| (1.0..=1_000.0).contains(&n),
        "must be 1 to 1,000",
    )?;
    let fitted = ipr::fit(input.model, input.p_res_psi, input.p_b_psi, &input.tests)?;
    let well = &fitted.ipr;
    let at = input
        .at_p_wf_psi
        .iter()
        .enumerate()
        .map(|(i, &p_wf_psi)| {
            well.rate(p_wf_psi)
                .map(|q_stb_d| IprAt { p_wf_psi, q_stb_d })
                .map_err(|error| CalcCliError::Calc {
                    at: Some(format!("at_p_wf_psi[{i}]")),
                    error,
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(IprOutput {
        model: fitted.model,
        method: fitted.method,
        points: fitted.points,
        j_stb_d_psi: well.j_stb_d_psi,
        aof_stb_d: well.aof_stb_d(),
        vogel_qmax_stb_d: well.vogel_qmax_stb_d(),
        p_res_psi: well.p_res_psi,
        p_b_psi: well.p_b_psi,
        rms_residual_stb_d: fitted.rms_residual_stb_d,
        at,
        curve: well.curve(input.curve_points),
    })
}

// ---- decline ----

/// A well's rates in time (any one volume unit per day) and the fit and forecast wanted.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeclineInput {
    /// Days, non-decreasing (up to `MAX_DECLINE_POINTS`).
    pub t_days: Vec<f64>,
    /// The rate at each time, volume unit per day; 0 or less is left out of the fit.
    pub q_rate: Vec<f64>,
    /// `true` leaves that point out (an outlier); empty: none left out, else one per point.
    #[serde(default)]
    pub excluded: Vec<bool>,
    pub kind: DeclineKind,
    /// Upper bound for b in a hyperbolic fit; above 1 needs `d_min_per_year`.
    #[serde(default = "default_b_max")]
    pub b_max: f64,
    /// Terminal decline, nominal per year (e.g. 0.06).
    #[serde(default)]
    pub d_min_per_year: Option<f64>,
    /// The economic limit, in the rates' unit.
    pub q_el: f64,
    /// The day "now" is; default: the last time given.
    #[serde(default)]
    pub t_now_days: Option<f64>,
    /// Measured cumulative to now, when known (else the fit's): remaining = EUR − it.
    #[serde(default)]
    pub produced_to_now: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeclineOutput {
    pub fit: DeclineFit,
    pub forecast: Forecast,
}

fn decline_forecast(input: &DeclineInput) -> Result<DeclineOutput, CalcError> {
    check(
        "t_days",
        input.t_days.len() as f64,
        |n| n <= MAX_DECLINE_POINTS as f64,
        "at most 100,000 points (ten years of daily rates is 3,653)",
    )?;
    let none_excluded;
    let excluded = if input.excluded.is_empty() {
        none_excluded = vec![false; input.t_days.len()];
        &none_excluded
    } else {
        &input.excluded
    };
    let opts = FitOptions {
        kind: input.kind,
        b_max: input.b_max,
        d_min_per_year: input.d_min_per_year,
    };
    let fit = decline::fit(&input.t_days, &input.q_rate, excluded, &opts)?;
    let t_now_days = input
        .t_now_days
        .or_else(|| input.t_days.last().copied())
        .unwrap_or(fit.t0_days);
    let forecast = decline::forecast(&fit, t_now_days, input.q_el, input.produced_to_now)?;
    Ok(DeclineOutput { fit, forecast })
}

// ---- tables ----

/// Columns for people: a header, a rule, then the rows. Columns of numbers (after the first, which holds
/// labels) are right-aligned so their digits line up; text columns are left-aligned.
struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    fn new(header: &[&str]) -> Self {
        Self::with_header(header.iter().map(|h| (*h).to_owned()).collect())
    }

    fn with_header(header: Vec<String>) -> Self {
        Self {
            header,
            rows: Vec::new(),
        }
    }

    fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    fn render(&self) -> String {
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let right: Vec<bool> = (0..widths.len())
            .map(|c| c > 0 && self.rows.iter().all(|r| r.get(c).is_none_or(|cell| is_number(cell))))
            .collect();
        let rule: Vec<String> = widths.iter().map(|&w| "-".repeat(w)).collect();
        let mut out = String::new();
        for line in std::iter::once(&self.header)
            .chain(std::iter::once(&rule))
            .chain(&self.rows)
        {
            let cells: Vec<String> = line
                .iter()
                .zip(&widths)
                .zip(&right)
                .map(|((cell, &w), &is_right)| {
                    if is_right {
                        format!("{cell:>w$}")
                    } else {
                        format!("{cell:<w$}")
                    }
                })
                .collect();
            out.push_str(cells.join("  ").trim_end());
            out.push('\n');
        }
        out
    }
}

/// A cell that reads as a number ("-" is a number that has no value).
fn is_number(cell: &str) -> bool {
    cell == "-" || cell.parse::<f64>().is_ok()
}

/// A two-column table of labelled quantities, the unit in each label.
fn quantities(title: &str, rows: &[(&str, String)]) -> String {
    let mut t = Table::new(&[title, "Value"]);
    for (label, value) in rows {
        t.row(vec![(*label).to_owned(), value.clone()]);
    }
    t.render()
}

/// About four significant figures, without an exponent down to a millionth: a quantity of any size.
fn sig(v: f64) -> String {
    if v == 0.0 {
        return "0".to_owned();
    }
    if !v.is_finite() {
        return "-".to_owned();
    }
    let magnitude = v.abs().log10().floor();
    if magnitude < -6.0 {
        return format!("{v:.3e}");
    }
    let decimals = (3.0 - magnitude).clamp(0.0, 9.0) as usize;
    format!("{v:.decimals$}")
}

/// A number to `decimals` places (the same in a whole column, so the points line up).
fn fixed(v: f64, decimals: usize) -> String {
    if v.is_finite() {
        format!("{v:.decimals$}")
    } else {
        "-".to_owned()
    }
}

fn opt(v: Option<f64>, decimals: usize) -> String {
    v.map_or_else(|| "-".to_owned(), |v| fixed(v, decimals))
}

fn yes_no(b: bool) -> String {
    let word = if b { "yes" } else { "no" };
    word.to_owned()
}

fn regime_word(r: FlowRegime) -> &'static str {
    match r {
        FlowRegime::Laminar => "laminar",
        FlowRegime::Transition => "transition",
        FlowRegime::Turbulent => "turbulent",
    }
}

fn hydraulics_table(r: &CircuitResult) -> String {
    let mut pressures = Table::new(&["Pressure", "psi"]);
    for (label, psi) in [
        ("Reel (pipe on the reel)", r.reel_psi),
        ("CT (surface run and well)", r.ct_in_well_psi),
        ("Nozzles", r.nozzle_psi),
        ("Annulus", r.annulus_psi),
        ("Pump pressure", r.pump_pressure_psi),
        ("Bottomhole circulating", r.bottomhole_circulating_psi),
    ] {
        pressures.row(vec![label.to_owned(), fixed(psi, 1)]);
    }
    let mut flows = Table::new(&["Flow", "Velocity ft/s", "Reynolds", "Regime", "Gradient psi/ft"]);
    for (label, f) in [("CT (straight)", &r.pipe), ("Annulus", &r.annulus)] {
        flows.row(vec![
            label.to_owned(),
            fixed(f.velocity_fps, 2),
            fixed(f.reynolds, 0),
            regime_word(f.regime).to_owned(),
            fixed(f.gradient_psi_ft, 4),
        ]);
    }
    let returns = quantities(
        "Returns",
        &[
            ("Annular velocity, ft/min", fixed(r.annular_velocity_fpm, 1)),
            ("Below the cleaning velocity", yes_no(r.below_min_cleaning)),
            ("ECD, ppg", fixed(r.ecd_ppg, 2)),
        ],
    );
    [pressures.render(), flows.render(), returns].join("\n")
}

fn limits_table(o: &LimitsOutput) -> String {
    let l = &o.limits;
    let mut walls = Table::new(&["Wall", "Radial psi", "Hoop psi", "Axial psi", "VME psi"]);
    for (wall, radial, hoop, vme) in [
        ("inner", l.radial_inner_psi, l.hoop_inner_psi, l.vme_inner_psi),
        ("outer", l.radial_outer_psi, l.hoop_outer_psi, l.vme_outer_psi),
    ] {
        walls.row(vec![
            wall.to_owned(),
            fixed(radial, 0),
            fixed(hoop, 0),
            fixed(l.axial_psi, 0),
            fixed(vme, 0),
        ]);
    }
    let governing = match l.governing_wall {
        Wall::Inner => "inner",
        Wall::Outer => "outer",
    };
    let summary = quantities(
        "Section and ratings",
        &[
            ("Area, in²", sig(l.area_in2)),
            ("Polar moment J, in⁴", sig(l.polar_moment_in4)),
            ("Torsional shear (outer wall), psi", fixed(l.shear_psi, 0)),
            ("Max von Mises, psi", fixed(l.vme_max_psi, 0)),
            ("Governing wall", governing.to_owned()),
            ("Of yield, %", fixed(l.pct_of_yield, 1)),
            ("Safety factor (yield / VME)", opt(l.safety_factor, 2)),
            ("Burst rating, psi", fixed(l.burst_psi, 0)),
            ("Collapse rating, psi", fixed(l.collapse_psi, 0)),
        ],
    );
    let mut parts = vec![walls.render(), summary];
    if let Some(env) = &o.envelope {
        parts.push(envelope_table("Von Mises envelope at 100 % of yield", &env.yield_curve));
        if let (Some(fraction), Some(curve)) = (env.alarm_fraction, &env.alarm_curve) {
            let title = format!("Von Mises envelope at {} % of yield", sig(100.0 * fraction));
            parts.push(envelope_table(&title, curve));
        }
    }
    parts.join("\n")
}

fn envelope_table(title: &str, curve: &[[f64; 2]]) -> String {
    let mut t = Table::new(&["Axial lbf", "p_in - p_out psi"]);
    for &[axial, dp] in curve {
        t.row(vec![fixed(axial, 0), fixed(dp, 0)]);
    }
    format!("{title}\n{}", t.render())
}

fn forces_table(f: &Forces) -> String {
    let d = &f.drag;
    quantities(
        "Soft-string run",
        &[
            ("Surface force (effective), lbf", fixed(d.surface_force_lbf, 0)),
            ("Surface torque, ft·lbf", fixed(d.surface_torque_ft_lbf, 0)),
            ("Bit transfer", fixed(d.bit_transfer, 3)),
            ("Locked up (transfer under 1 %)", yes_no(f.locked_up)),
            ("Max compression, lbf", fixed(d.max_compression_lbf, 0)),
            ("Sinusoidally buckled, ft", fixed(d.sinusoidal_ft, 0)),
            ("Helically buckled, ft", fixed(d.helical_ft, 0)),
            ("Buoyed weight, lb/ft", fixed(f.buoyed_weight_lb_ft, 3)),
            ("Tip inclination, °", fixed(f.tip_inclination_deg, 1)),
            (
                "Sinusoidal onset (Dawson–Paslay), lbf",
                fixed(f.sinusoidal_onset_lbf, 0),
            ),
            ("Helical onset (Chen), lbf", fixed(f.helical_onset_chen_lbf, 0)),
            (
                "Helical onset (Wu & Juvkam-Wold), lbf",
                fixed(f.helical_onset_wu_lbf, 0),
            ),
        ],
    )
}

/// The first depth at or past each multiple of `every_ft`, and the last: about one row per `every_ft`
/// whatever the step.
fn rows_every(depths_ft: &[f64], every_ft: f64) -> Vec<usize> {
    let mut rows = Vec::new();
    let mut next = 0.0;
    for (i, &d) in depths_ft.iter().enumerate() {
        if d >= next || i + 1 == depths_ft.len() {
            rows.push(i);
            next = ((d / every_ft).floor() + 1.0) * every_ft;
        }
    }
    rows
}

fn broomstick_table(b: &Broomstick) -> String {
    let mut header = vec!["Depth ft".to_owned(), "Free lbf".to_owned()];
    for c in &b.curves {
        header.push(format!("PU μ={} lbf", c.mu));
        header.push(format!("SO μ={} lbf", c.mu));
    }
    let mut weights = Table::with_header(header);
    for i in rows_every(&b.depths_ft, ROW_EVERY_FT) {
        let mut row = vec![
            opt(b.depths_ft.get(i).copied(), 0),
            opt(b.free_hanging_lbf.get(i).copied(), 0),
        ];
        for c in &b.curves {
            row.push(opt(c.pick_up_lbf.get(i).copied().flatten(), 0));
            row.push(opt(c.slack_off_lbf.get(i).copied().flatten(), 0));
        }
        weights.row(row);
    }
    let mut reach = Table::new(&["μ", "Lockup ft", "Max reach ft", "Stopped by", "Pull limit ft"]);
    for c in &b.curves {
        let stopped_by = match c.reach_limit {
            ReachLimit::MaxDepth => "max depth",
            ReachLimit::Lockup => "lockup",
            ReachLimit::SnubCapacity => "snub capacity",
        };
        reach.row(vec![
            c.mu.to_string(),
            opt(c.lockup_depth_ft, 0),
            fixed(c.max_reach_ft, 0),
            stopped_by.to_owned(),
            opt(c.pull_limit_depth_ft, 0),
        ]);
    }
    format!(
        "Weight indicator (PU pick-up, SO slack-off; - where no finite force moves the pipe)\n{}\n{}",
        weights.render(),
        reach.render()
    )
}

fn fatigue_table(o: &FatigueOutput) -> String {
    match o {
        FatigueOutput::Events(e) => events_table(e),
        FatigueOutput::StringRun(s) => string_table(s),
    }
}

fn events_table(e: &EventsFatigue) -> String {
    let mut t = Table::new(&[
        "Event",
        "Radius in",
        "Pressure psi",
        "Weld",
        "Count",
        "Strain %",
        "N_f cycles",
        "Damage/event %",
        "Damage %",
    ]);
    for (k, ev) in e.events.iter().enumerate() {
        t.row(vec![
            (k + 1).to_string(),
            sig(ev.radius_in),
            fixed(ev.pressure_psi, 0),
            ev.weld.map_or("plain pipe", WeldType::label).to_owned(),
            ev.count.to_string(),
            fixed(100.0 * ev.strain, 3),
            opt(ev.cycles_to_failure, 0),
            sig(100.0 * ev.damage_per_event),
            sig(100.0 * ev.damage),
        ]);
    }
    let summary = quantities(
        "Miner's rule",
        &[
            ("Damage of the events listed, %", sig(e.fatigue_pct)),
            ("Trips to 40 % (the list as one trip)", opt(e.trips_to_40_pct, 1)),
        ],
    );
    let mut notes = format!(
        "N_f - : an elastic bend (strain under the yield strain, {} %) does no low-cycle damage.\n",
        fixed(100.0 * e.yield_strain, 3)
    );
    if e.uncalibrated_pressure_factor && e.events.iter().any(|ev| ev.pressure_psi > 0.0) {
        notes.push_str(
            "K_p is the UNCALIBRATED default: fit it to the pipe maker's life-vs-pressure curves before using \
             figures at pressure.\n",
        );
    }
    format!("{}\n{summary}\n{notes}", t.render())
}

fn string_table(s: &StringFatigue) -> String {
    let summary = quantities(
        "String after the plan",
        &[
            ("Length, ft", fixed(s.length_ft, 0)),
            ("Cells", s.cells.to_string()),
            ("Cell, ft", sig(s.cell_ft)),
            ("Max fatigue, %", fixed(s.max_fatigue_pct, 3)),
            ("At, ft from the tip", fixed(s.max_at_ft, 1)),
        ],
    );
    let mut profile = Table::new(&["From ft", "To ft", "Max fatigue %"]);
    for p in &s.profile {
        profile.row(vec![
            fixed(p.from_ft, 0),
            fixed(p.to_ft, 0),
            fixed(p.max_fatigue_pct, 3),
        ]);
    }
    let mut parts = vec![summary, profile.render()];
    if !s.welds.is_empty() {
        let mut welds = Table::new(&["At ft from tip", "Weld", "Fatigue %"]);
        for w in &s.welds {
            welds.row(vec![
                fixed(w.at_ft, 1),
                w.kind.label().to_owned(),
                fixed(w.fatigue_pct, 3),
            ]);
        }
        parts.push(welds.render());
    }
    if s.uncalibrated_pressure_factor {
        parts.push("K_p is the UNCALIBRATED default: figures at pressure are not yet life.\n".to_owned());
    }
    parts.join("\n")
}

fn ipr_model_words(m: IprModel) -> &'static str {
    match m {
        IprModel::Linear => "linear (constant PI)",
        IprModel::Vogel => "Vogel",
        IprModel::Composite => "composite (PI above p_b, Vogel below)",
    }
}

fn ipr_table(o: &IprOutput) -> String {
    let method = match o.method {
        FitMethod::OnePoint => "one point",
        FitMethod::LeastSquares => "least squares",
    };
    let summary = quantities(
        "Inflow (IPR)",
        &[
            ("Model", ipr_model_words(o.model).to_owned()),
            ("Fit", method.to_owned()),
            ("Tests used", o.points.to_string()),
            ("Reservoir pressure p̄, psi", fixed(o.p_res_psi, 0)),
            ("Bubble point p_b, psi", fixed(o.p_b_psi, 0)),
            ("Productivity index J, STB/d/psi", sig(o.j_stb_d_psi)),
            ("AOF, STB/d", fixed(o.aof_stb_d, 1)),
            ("Vogel q_max below p_b, STB/d", fixed(o.vogel_qmax_stb_d, 1)),
            ("RMS residual of the tests, STB/d", sig(o.rms_residual_stb_d)),
        ],
    );
    let mut parts = vec![summary];
    if !o.at.is_empty() {
        let mut at = Table::new(&["p_wf psi", "q STB/d"]);
        for a in &o.at {
            at.row(vec![fixed(a.p_wf_psi, 0), fixed(a.q_stb_d, 1)]);
        }
        parts.push(format!("Rates asked for\n{}", at.render()));
    }
    let mut curve = Table::new(&["q STB/d", "p_wf psi"]);
    for &[q, p_wf] in &o.curve {
        curve.row(vec![fixed(q, 1), fixed(p_wf, 0)]);
    }
    parts.push(format!("Curve\n{}", curve.render()));
    parts.join("\n")
}

/// About this many rows of a forecast curve in a table (the JSON has every point).
const FORECAST_ROWS: f64 = 20.0;

fn decline_table(o: &DeclineOutput) -> String {
    let (arps, f) = (&o.fit.arps, &o.forecast);
    let kind = match arps.kind() {
        DeclineKind::Exponential => "exponential",
        DeclineKind::Harmonic => "harmonic",
        DeclineKind::Hyperbolic => "hyperbolic",
    };
    let fit = quantities(
        "Arps fit (rates in the input's unit per day)",
        &[
            ("Decline", kind.to_owned()),
            ("b", sig(arps.b)),
            ("Initial rate q_i", sig(arps.qi)),
            ("Initial decline D_i, nominal 1/day", sig(arps.di_per_day)),
            (
                "Terminal decline, nominal 1/day",
                arps.d_min_per_day.map_or_else(|| "-".to_owned(), sig),
            ),
            ("Fit starts (t = 0), day", sig(o.fit.t0_days)),
            ("Points used", o.fit.used.to_string()),
            ("Points left out", o.fit.excluded.to_string()),
            ("R² of ln q", fixed(o.fit.r2_log, 4)),
            ("RMS residual, rate", sig(o.fit.rms_residual)),
        ],
    );
    let forecast = quantities(
        "Forecast",
        &[
            ("Rate now", sig(f.q_now)),
            ("Days to the economic limit", fixed(f.days_to_limit, 0)),
            ("Cumulative by the fit to now, rate·day", sig(f.np_fit_to_now)),
            ("EUR, rate·day", sig(f.eur)),
            ("Remaining, rate·day", sig(f.remaining)),
            ("Nominal decline at t0, %/year", fixed(100.0 * f.d_nom_per_year, 2)),
            (
                "Secant-effective decline at t0, %/year",
                fixed(100.0 * f.d_sec_per_year, 2),
            ),
        ],
    );
    let days: Vec<f64> = f.curve.iter().map(|p| p[0]).collect();
    let span = match (days.first(), days.last()) {
        (Some(first), Some(last)) => last - first,
        _ => 0.0,
    };
    let rows = if span > 0.0 {
        rows_every(&days, span / FORECAST_ROWS)
    } else {
        (0..days.len()).collect()
    };
    let mut curve = Table::new(&["Day", "Rate"]);
    for i in rows {
        if let Some(&[t, q]) = f.curve.get(i) {
            curve.row(vec![fixed(t, 0), sig(q)]);
        }
    }
    [
        fit,
        forecast,
        format!("Forecast to the economic limit\n{}", curve.render()),
    ]
    .join("\n")
}

fn esp_table(p: &EspPerformance) -> String {
    let zone = p.zone.map_or("-", |z| match z {
        PumpZone::Downthrust => "down-thrust (below the range)",
        PumpZone::Recommended => "in the recommended range",
        PumpZone::Upthrust => "up-thrust (above the range)",
    });
    let range = p.range_bpd.map_or_else(
        || "-".to_owned(),
        |(lo, hi)| format!("{} to {}", fixed(lo, 0), fixed(hi, 0)),
    );
    quantities(
        "ESP at the live point",
        &[
            ("Total dynamic head, ft", fixed(p.tdh_ft, 1)),
            ("Hydraulic power, hp", fixed(p.hhp, 2)),
            ("Brake power (motor output), hp", opt(p.bhp, 2)),
            ("Pump efficiency, %", opt(p.efficiency.map(|e| 100.0 * e), 1)),
            ("Motor load, %", opt(p.motor_load.map(|l| 100.0 * l), 1)),
            ("Catalogue head at this point, ft", opt(p.catalog_head_ft, 1)),
            ("Measured / catalogue head", opt(p.head_ratio, 3)),
            ("Operating zone", zone.to_owned()),
            ("Recommended range at this frequency, bpd", range),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(a: f64, b: f64) -> f64 {
        (a - b).abs() / b.abs()
    }

    fn run_json(kind: CalcKind, json: &str) -> serde_json::Value {
        let text = calc(kind, "test", json.as_bytes(), false).unwrap();
        serde_json::from_str(&text).unwrap()
    }

    #[test]
    fn a_table_aligns_labels_left_and_numbers_right_under_a_rule() {
        let mut t = Table::new(&["Depth ft", "PU lbf", "Regime"]);
        t.row(vec!["0".into(), "12".into(), "laminar".into()]);
        t.row(vec!["500".into(), "-".into(), "turbulent".into()]);
        t.row(vec!["1000".into(), "1234.5".into(), "-".into()]);
        let expected = "\
Depth ft  PU lbf  Regime
--------  ------  ---------
0             12  laminar
500            -  turbulent
1000      1234.5  -
";
        assert_eq!(t.render(), expected);
    }

    #[test]
    fn a_table_measures_characters_not_bytes() {
        let mut t = Table::new(&["μ", "Area, in²"]);
        t.row(vec!["0.1".into(), "0.7812".into()]);
        let out = t.render();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines, ["μ    Area, in²", "---  ---------", "0.1     0.7812"]);
    }

    #[test]
    fn numbers_keep_about_four_figures_and_no_exponent_above_a_millionth() {
        assert_eq!(sig(212_202.67), "212203");
        assert_eq!(sig(0.481_77), "0.4818");
        assert_eq!(sig(0.781_24), "0.7812");
        assert_eq!(sig(54.101), "54.10");
        assert_eq!(sig(-5_000.0), "-5000");
        assert_eq!(sig(1.0), "1.000");
        assert_eq!(sig(0.0), "0");
        assert_eq!(sig(0.000_031_45), "0.00003145");
        assert_eq!(sig(1.1e-9), "1.100e-9");
        assert_eq!(sig(f64::NAN), "-");
        assert_eq!(fixed(1234.567, 1), "1234.6");
        assert_eq!(fixed(f64::INFINITY, 1), "-");
        assert_eq!(opt(None, 0), "-");
        assert_eq!(opt(Some(351.6), 0), "352");
    }

    #[test]
    fn broomstick_rows_fall_about_every_500_ft_and_end_at_the_last_depth() {
        let depths: Vec<f64> = (0..8).map(|i| f64::from(i) * 200.0).collect();
        assert_eq!(rows_every(&depths, 500.0), vec![0, 3, 5, 7]);
        let fine: Vec<f64> = (0..=100).map(|i| f64::from(i) * 10.0).collect();
        assert_eq!(rows_every(&fine, 500.0), vec![0, 50, 100]);
        assert_eq!(rows_every(&[0.0, 800.0, 1600.0], 500.0), vec![0, 1, 2]);
    }

    const EVENTS: &str = r#"{"mode": "events", "od_in": 1.5, "wall_in": 0.125,
        "grade": {"name": "CT80", "yield_psi": 80000, "tensile_psi": 88000, "reduction_of_area": 0.6},
        "events": [{"radius_in": 48, "pressure_psi": 0, "count": 2},
                   {"radius_in": 72, "pressure_psi": 0, "count": 4},
                   {"radius_in": 400, "pressure_psi": 0, "count": 1, "weld": "bias"}]}"#;

    /// ENGINEERING.md §1 worked example [D]: 2 reel + 4 arch events are 0.114 % per trip, 351 trips to 40 %.
    #[test]
    fn fatigue_events_sum_miners_rule_over_the_list() {
        let v = run_json(CalcKind::Fatigue, EVENTS);
        assert_eq!(v["mode"], "events");
        assert!(rel(v["fatigue_pct"].as_f64().unwrap(), 0.114) < 0.005, "{v}");
        assert_eq!(v["trips_to_40_pct"].as_f64().unwrap().floor(), 351.0);
        assert!(rel(v["events"][0]["cycles_to_failure"].as_f64().unwrap(), 1_590.0) < 0.005);
        // A 400 in bend of 1.5 in pipe is elastic: no life, no damage.
        assert!(v["events"][2]["cycles_to_failure"].is_null());
        assert_eq!(v["events"][2]["damage"].as_f64(), Some(0.0));
        assert!(v["meaning"].as_str().unwrap().contains("one trip"));
        let table = calc(CalcKind::Fatigue, "test", EVENTS.as_bytes(), true).unwrap();
        assert!(
            table.contains("Damage/event %") && table.contains("Bias weld"),
            "{table}"
        );
    }

    #[test]
    fn a_bad_event_is_named_with_its_place_in_the_list() {
        let json = EVENTS.replace("\"radius_in\": 72", "\"radius_in\": 0.5");
        let e = calc(CalcKind::Fatigue, "test", json.as_bytes(), false).unwrap_err();
        assert_eq!(e.exit_code(), 1);
        assert!(e.to_string().starts_with("events[1]: radius_in: "), "{e}");
        let json = EVENTS.replace("\"wall_in\": 0.125", "\"wall_in\": 0.75");
        let e = calc(CalcKind::Fatigue, "test", json.as_bytes(), false).unwrap_err();
        assert!(e.to_string().starts_with("wall_in: "), "{e}");
        let json = EVENTS.replace("\"mode\": \"events\"", "\"mode\": \"trips\"");
        let e = calc(CalcKind::Fatigue, "test", json.as_bytes(), false).unwrap_err();
        assert!(e.to_string().contains("trips"), "{e}");
    }

    const STRING: &str = r#"{"mode": "string",
        "reel": {"core_diameter_in": 96, "width_in": 64, "guide_arch_radius_in": 72,
                 "path": {"arch_exit_offset_ft": 12, "arch_length_ft": 9.4, "surface_run_ft": 40},
                 "sections": [
                   {"od_in": 1.5, "wall_in": 0.156, "length_ft": 1000,
                    "grade": {"name": "CT80", "yield_psi": 80000, "tensile_psi": 88000}},
                   {"od_in": 1.5, "wall_in": 0.125, "length_ft": 2000,
                    "grade": {"name": "CT80", "yield_psi": 80000, "tensile_psi": 88000}}],
                 "welds": [{"from_core_ft": 1000, "kind": "tapered_bias"}]},
        "plan": {"waypoints": [{"depth_ft": 0, "pressure_psi": 0}, {"depth_ft": 1500, "pressure_psi": 0},
                               {"depth_ft": 0, "pressure_psi": 0}], "repeat": 2}}"#;

    #[test]
    fn a_string_run_profiles_fatigue_along_the_string() {
        let v = run_json(CalcKind::Fatigue, STRING);
        assert_eq!(v["mode"], "string");
        assert_eq!(v["cells"].as_u64(), Some(3_000));
        let profile = v["profile"].as_array().unwrap();
        assert_eq!(profile.len(), 30);
        // Pipe that went through the arch has damage; pipe that never left the reel has none.
        assert!(profile[5]["max_fatigue_pct"].as_f64().unwrap() > 0.0);
        assert_eq!(profile[29]["max_fatigue_pct"].as_f64(), Some(0.0));
        let max = v["max_fatigue_pct"].as_f64().unwrap();
        let at = v["max_at_ft"].as_f64().unwrap();
        assert!(max > 0.0 && at < 1_600.0, "{max} at {at}");
        let profile_max = profile
            .iter()
            .map(|p| p["max_fatigue_pct"].as_f64().unwrap())
            .fold(0.0, f64::max);
        assert_eq!(profile_max, max);
        // The weld 1,000 ft from the core is 2,000 ft from the tip: beyond the 1,540 ft that left the reel.
        assert_eq!(v["welds"][0]["at_ft"].as_f64(), Some(2_000.0));
        assert_eq!(v["welds"][0]["kind"], "tapered_bias");
        let table = calc(CalcKind::Fatigue, "test", STRING.as_bytes(), true).unwrap();
        assert!(
            table.contains("Max fatigue %") && table.contains("Tapered bias weld"),
            "{table}"
        );
        let bad = STRING.replace("\"repeat\": 2", "\"repeat\": 2, \"trips\": 1");
        let e = calc(CalcKind::Fatigue, "test", bad.as_bytes(), false).unwrap_err();
        assert!(e.to_string().contains("unknown field `trips`"), "{e}");
    }

    const FORCES: &str = r#"{
        "survey": [{"md_ft": 0, "inc_deg": 0, "azi_deg": 0}, {"md_ft": 1000, "inc_deg": 0, "azi_deg": 0},
                   {"md_ft": 3000, "inc_deg": 60, "azi_deg": 0}],
        "od_in": 1.75, "wall_in": 0.156, "fluid_inside_ppg": 8.33, "fluid_outside_ppg": 8.33,
        "hole_id_in": 4.0, "friction_factor": 0.3, "tip_md_ft": 3000, "motion": "pulling_out"}"#;

    #[test]
    fn forces_are_the_drag_run_with_the_onsets_at_the_tip() {
        let v = run_json(CalcKind::Forces, FORCES);
        let w = v["buoyed_weight_lb_ft"].as_f64().unwrap();
        assert!(rel(w, 2.320) < 2e-3, "{v}");
        assert!(rel(v["tip_inclination_deg"].as_f64().unwrap(), 60.0) < 1e-9);
        let pulled = v["drag"]["surface_force_lbf"].as_f64().unwrap();
        let running = run_json(CalcKind::Forces, &FORCES.replace("pulling_out", "running_in"));
        assert!(pulled > running["drag"]["surface_force_lbf"].as_f64().unwrap());
        let (s, chen, wu) = (
            v["sinusoidal_onset_lbf"].as_f64().unwrap(),
            v["helical_onset_chen_lbf"].as_f64().unwrap(),
            v["helical_onset_wu_lbf"].as_f64().unwrap(),
        );
        // Chen is √2 × Dawson–Paslay, Wu ≈ 1.83 × (ENGINEERING.md §2).
        assert!(rel(chen / s, std::f64::consts::SQRT_2) < 1e-9 && rel(wu / s, 2.0 * 2f64.sqrt() - 1.0) < 1e-9);
        assert_eq!(v["locked_up"], false);
        let e = calc(CalcKind::Forces, "test", FORCES.replace("0.3", "1.3").as_bytes(), false).unwrap_err();
        assert!(e.to_string().starts_with("friction_factor: "), "{e}");
        let e = calc(CalcKind::Forces, "test", FORCES.replace("4.0", "1.5").as_bytes(), false).unwrap_err();
        assert!(e.to_string().starts_with("hole_id_in: "), "{e}");
    }

    const LOAD: &str = r#"{"od_in": 1.75, "wall_in": 0.156, "yield_psi": 80000, "inside_pressure_psi": 5000,
        "outside_pressure_psi": 0, "axial_true_lbf": 20000, "torque_ft_lbf": 1000"#;

    #[test]
    fn limits_answer_pipe_limits_and_the_envelope_when_asked() {
        let v = run_json(CalcKind::Limits, &format!("{LOAD}}}"));
        assert!(rel(v["area_in2"].as_f64().unwrap(), 0.7812) < 1e-4, "{v}");
        assert!(v.get("envelope").is_none());
        let v = run_json(
            CalcKind::Limits,
            &format!("{LOAD}, \"envelope_points\": 40, \"alarm_fraction\": 0.8}}"),
        );
        let env = &v["envelope"];
        let curve = env["yield_curve"].as_array().unwrap();
        assert!(curve.len() > 8 && curve.first() == curve.last(), "{env}");
        assert!(env["alarm_curve"].as_array().is_some_and(|c| c.len() > 8));
        let e = calc(
            CalcKind::Limits,
            "test",
            format!("{LOAD}, \"envelope_points\": 3}}").as_bytes(),
            false,
        )
        .unwrap_err();
        assert!(e.to_string().starts_with("envelope_points: "), "{e}");
        let e = calc(
            CalcKind::Limits,
            "test",
            format!("{LOAD}, \"alarm_fraction\": 0.8}}").as_bytes(),
            false,
        )
        .unwrap_err();
        assert!(e.to_string().starts_with("alarm_fraction: "), "{e}");
        let e = calc(
            CalcKind::Limits,
            "test",
            format!("{LOAD}, \"ovality_pct\": 2}}").as_bytes(),
            false,
        )
        .unwrap_err();
        assert!(e.to_string().contains("unknown field `ovality_pct`"), "{e}");
        let table = calc(CalcKind::Limits, "test", format!("{LOAD}}}").as_bytes(), true).unwrap();
        assert!(
            table.contains("Area, in²") && table.contains("0.7812") && table.contains("0.5010"),
            "{table}"
        );
    }

    #[test]
    fn json_errors_name_the_input_and_the_position() {
        let e = calc(CalcKind::Hydraulics, "job.json", b"{\"rate_gpm\": 84}", false).unwrap_err();
        let words = e.to_string();
        assert!(words.starts_with("job.json: missing field `"), "{words}");
        assert!(words.contains("line 1 column"), "{words}");
        assert_eq!(e.exit_code(), 1);
        let e = calc(CalcKind::Hydraulics, "job.json", b"not json", false).unwrap_err();
        assert_eq!(e.exit_code(), 1);
    }

    #[test]
    fn input_past_the_bound_is_refused_without_reading_it_all() {
        let big = std::io::repeat(b' ').take(MAX_INPUT_BYTES + 10);
        let e = read_bounded(big, "standard input").unwrap_err();
        assert!(matches!(e, CalcCliError::TooLarge { .. }));
        assert_eq!(e.exit_code(), 1);
        assert!(e.to_string().contains("16 MiB"), "{e}");
        let exact = std::io::repeat(b' ').take(1_000);
        assert_eq!(read_bounded(exact, "x").unwrap().len(), 1_000);
    }

    /// ENGINEERING.md §5: 65 B/D at 1,500 psi, p̄ 2,000 psi → q_max 162.5 B/D, q(500 psi) 146.25.
    const VOGEL: &str = r#"{"model": "vogel", "p_res_psi": 2000, "tests": [{"q_stb_d": 65, "p_wf_psi": 1500}],
        "at_p_wf_psi": [500, 0]}"#;

    #[test]
    fn ipr_fits_the_vogel_example_and_names_a_pressure_asked_for_by_its_place() {
        let v = run_json(CalcKind::Ipr, VOGEL);
        assert!(rel(v["aof_stb_d"].as_f64().unwrap(), 162.5) < 1e-9, "{v}");
        assert!(rel(v["at"][0]["q_stb_d"].as_f64().unwrap(), 146.25) < 1e-9, "{v}");
        assert!(rel(v["at"][1]["q_stb_d"].as_f64().unwrap(), 162.5) < 1e-9, "{v}");
        assert_eq!(v["method"], "one_point");
        assert_eq!(v["model"], "vogel");
        assert_eq!(v["curve"].as_array().map(Vec::len), Some(21), "{v}");
        let json = VOGEL.replace("[500, 0]", "[500, 2500]");
        let e = calc(CalcKind::Ipr, "test", json.as_bytes(), false).unwrap_err();
        assert_eq!(e.exit_code(), 1);
        assert!(e.to_string().starts_with("at_p_wf_psi[1]: p_wf_psi: "), "{e}");
        let json = VOGEL.replace("\"at_p_wf_psi\"", "\"curve_points\": 0, \"at_p_wf_psi\"");
        let e = calc(CalcKind::Ipr, "test", json.as_bytes(), false).unwrap_err();
        assert!(e.to_string().starts_with("curve_points: "), "{e}");
        let table = calc(CalcKind::Ipr, "test", VOGEL.as_bytes(), true).unwrap();
        assert!(
            table.contains("AOF, STB/d") && table.contains("162.5") && table.contains("p_wf psi"),
            "{table}"
        );
    }

    #[test]
    fn a_decline_is_bounded_in_points_and_names_the_rates_when_too_few() {
        let zeros = vec!["0"; MAX_DECLINE_POINTS + 1].join(",");
        let json = format!(r#"{{"t_days": [{zeros}], "q_rate": [{zeros}], "kind": "exponential", "q_el": 1}}"#);
        let e = calc(CalcKind::Decline, "test", json.as_bytes(), false).unwrap_err();
        assert!(e.to_string().starts_with("t_days: "), "{e}");
        let two = r#"{"t_days": [0, 1], "q_rate": [100, 90], "kind": "exponential", "q_el": 1}"#;
        let e = calc(CalcKind::Decline, "test", two.as_bytes(), false).unwrap_err();
        assert_eq!(e.exit_code(), 1);
        assert!(e.to_string().starts_with("q_rate: "), "{e}");
        let misspelt = two.replace("q_rate", "q_stb_d");
        let e = calc(CalcKind::Decline, "test", misspelt.as_bytes(), false).unwrap_err();
        assert!(e.to_string().contains("unknown field `q_stb_d`"), "{e}");
    }

    /// ENGINEERING.md §5: 200 gpm (6,857.14 bpd) against 100 ft of water → 5.05 hhp.
    const ESP: &str = r#"{"q_bpd": 6857.14, "p_intake_psi": 1000, "p_discharge_psi": 1043.2900432900433,
        "sg": 1, "frequency_hz": 60}"#;

    #[test]
    fn esp_gives_the_hydraulic_power_example_and_refuses_a_discharge_below_the_intake() {
        let v = run_json(CalcKind::Esp, ESP);
        assert!(rel(v["tdh_ft"].as_f64().unwrap(), 100.0) < 1e-6, "{v}");
        assert!(rel(v["hhp"].as_f64().unwrap(), 5.05) < 5e-3, "{v}");
        assert!(v["bhp"].is_null() && v["zone"].is_null(), "no motor or pump given: {v}");
        let table = calc(CalcKind::Esp, "test", ESP.as_bytes(), true).unwrap();
        assert!(
            table.contains("Hydraulic power, hp") && table.contains("5.05"),
            "{table}"
        );
        let json = ESP.replace("1043.2900432900433", "990");
        let e = calc(CalcKind::Esp, "test", json.as_bytes(), false).unwrap_err();
        assert_eq!(e.exit_code(), 1);
        assert!(e.to_string().starts_with("p_discharge_psi: "), "{e}");
    }
}
