//! A CT job as the office plans it and the crew runs it: the job's fields, its operations, fluid stages,
//! BHA, non-productive time, frozen statistics and the ticket's signatures, with the checks each must pass.
//!
//! Pure data and validation: no I/O, no clock, no database. The store keeps these, the service fills the
//! operations, the ticket prints them; none of those rules live here except what makes a record valid.

use crate::lang::Lang;
use crate::tag::Timestamp;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Bounds on what people type, so no record can grow without end.
pub const MAX_TEXT: usize = 200;
pub const MAX_LONG_TEXT: usize = 4_000;
pub const MAX_BHA: usize = 40;
pub const MAX_FLUIDS: usize = 40;
pub const MAX_NPT: usize = 200;

/// What a job is for (the service companies' codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum JobType {
    #[serde(rename = "CLN")]
    CleanOut,
    #[serde(rename = "N2L")]
    NitrogenLift,
    #[serde(rename = "ACT")]
    Acid,
    #[serde(rename = "MIL")]
    Milling,
    #[serde(rename = "FSH")]
    Fishing,
    #[serde(rename = "LOG")]
    Logging,
    #[serde(rename = "PER")]
    Perforating,
    #[serde(rename = "CTD")]
    CtDrilling,
}

impl JobType {
    pub const ALL: [JobType; 8] = [
        JobType::CleanOut,
        JobType::NitrogenLift,
        JobType::Acid,
        JobType::Milling,
        JobType::Fishing,
        JobType::Logging,
        JobType::Perforating,
        JobType::CtDrilling,
    ];

    pub fn code(self) -> &'static str {
        match self {
            JobType::CleanOut => "CLN",
            JobType::NitrogenLift => "N2L",
            JobType::Acid => "ACT",
            JobType::Milling => "MIL",
            JobType::Fishing => "FSH",
            JobType::Logging => "LOG",
            JobType::Perforating => "PER",
            JobType::CtDrilling => "CTD",
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            JobType::CleanOut => lang.pick("Clean-out", "Limpieza"),
            JobType::NitrogenLift => lang.pick("Nitrogen lift", "Inducción con nitrógeno"),
            JobType::Acid => lang.pick("Acid treatment", "Tratamiento ácido"),
            JobType::Milling => lang.pick("Milling", "Fresado"),
            JobType::Fishing => lang.pick("Fishing", "Pesca"),
            JobType::Logging => lang.pick("Logging", "Registro"),
            JobType::Perforating => lang.pick("Perforating", "Cañoneo"),
            JobType::CtDrilling => lang.pick("CT drilling", "Perforación con TF"),
        }
    }

    pub fn parse(s: &str) -> Option<JobType> {
        JobType::ALL
            .into_iter()
            .find(|t| t.code().eq_ignore_ascii_case(s.trim()))
    }
}

/// Where a job is in its life. DRAFT → PLANNED → APPROVED → IN_PROGRESS → COMPLETED, or CANCELLED from any
/// state before COMPLETED.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobStatus {
    Draft,
    Planned,
    Approved,
    InProgress,
    Completed,
    Cancelled,
}

impl JobStatus {
    pub const ALL: [JobStatus; 6] = [
        JobStatus::Draft,
        JobStatus::Planned,
        JobStatus::Approved,
        JobStatus::InProgress,
        JobStatus::Completed,
        JobStatus::Cancelled,
    ];

    pub fn name(self) -> &'static str {
        match self {
            JobStatus::Draft => "DRAFT",
            JobStatus::Planned => "PLANNED",
            JobStatus::Approved => "APPROVED",
            JobStatus::InProgress => "IN_PROGRESS",
            JobStatus::Completed => "COMPLETED",
            JobStatus::Cancelled => "CANCELLED",
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            JobStatus::Draft => lang.pick("Draft", "Borrador"),
            JobStatus::Planned => lang.pick("Planned", "Planificado"),
            JobStatus::Approved => lang.pick("Approved", "Aprobado"),
            JobStatus::InProgress => lang.pick("In progress", "En curso"),
            JobStatus::Completed => lang.pick("Completed", "Completado"),
            JobStatus::Cancelled => lang.pick("Cancelled", "Cancelado"),
        }
    }

    pub fn parse(s: &str) -> Option<JobStatus> {
        JobStatus::ALL
            .into_iter()
            .find(|t| t.name().eq_ignore_ascii_case(s.trim()))
    }

    /// The job's fields may still change (a running job's notes and NPT do, through their own actions).
    pub fn editable(self) -> bool {
        matches!(
            self,
            JobStatus::Draft | JobStatus::Planned | JobStatus::Approved | JobStatus::InProgress
        )
    }
}

impl fmt::Display for JobStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where a job's ticket is: DRAFT until the job is completed and the ticket issued, then PENDING_SIGNATURES
/// until the operator, the supervisor and the client's representative have signed, in that order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TicketState {
    Draft,
    PendingSignatures,
    Completed,
}

impl TicketState {
    pub fn name(self) -> &'static str {
        match self {
            TicketState::Draft => "DRAFT",
            TicketState::PendingSignatures => "PENDING_SIGNATURES",
            TicketState::Completed => "COMPLETED",
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            TicketState::Draft => lang.pick("Draft", "Borrador"),
            TicketState::PendingSignatures => lang.pick("Pending signatures", "Firmas pendientes"),
            TicketState::Completed => lang.pick("Signed", "Firmado"),
        }
    }

    pub fn parse(s: &str) -> Option<TicketState> {
        [
            TicketState::Draft,
            TicketState::PendingSignatures,
            TicketState::Completed,
        ]
        .into_iter()
        .find(|t| t.name() == s)
    }
}

/// Who signs a ticket, in signing order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignRole {
    Operator,
    Supervisor,
    ClientRep,
}

impl SignRole {
    pub const ORDER: [SignRole; 3] = [SignRole::Operator, SignRole::Supervisor, SignRole::ClientRep];

    pub fn name(self) -> &'static str {
        match self {
            SignRole::Operator => "operator",
            SignRole::Supervisor => "supervisor",
            SignRole::ClientRep => "client_rep",
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            SignRole::Operator => lang.pick("CT operator", "Operador de TF"),
            SignRole::Supervisor => lang.pick("Service supervisor", "Supervisor de servicio"),
            SignRole::ClientRep => lang.pick("Client representative", "Representante del cliente"),
        }
    }

    pub fn parse(s: &str) -> Option<SignRole> {
        SignRole::ORDER.into_iter().find(|r| r.name() == s)
    }
}

/// What the string was doing. The first eight are detected from the unit's tags; `Custom` is one the
/// operator typed (a pressure test, a BHA change).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OpType {
    Rih,
    Pooh,
    Tag,
    Circulate,
    Wash,
    Mill,
    Pump,
    Stationary,
    Custom(String),
}

impl OpType {
    pub const DETECTED: [OpType; 8] = [
        OpType::Rih,
        OpType::Pooh,
        OpType::Tag,
        OpType::Circulate,
        OpType::Wash,
        OpType::Mill,
        OpType::Pump,
        OpType::Stationary,
    ];

    /// The code the log, the store and the ticket use (`RIH`, `POOH`, …; a custom type as typed, upper case).
    pub fn code(&self) -> &str {
        match self {
            OpType::Rih => "RIH",
            OpType::Pooh => "POOH",
            OpType::Tag => "TAG",
            OpType::Circulate => "CIRCULATE",
            OpType::Wash => "WASH",
            OpType::Mill => "MILL",
            OpType::Pump => "PUMP",
            OpType::Stationary => "STATIONARY",
            OpType::Custom(s) => s,
        }
    }

    pub fn label(&self, lang: Lang) -> &str {
        match self {
            OpType::Rih => lang.pick("Run in hole", "Bajando"),
            OpType::Pooh => lang.pick("Pull out of hole", "Sacando"),
            OpType::Tag => lang.pick("Tag", "Toque"),
            OpType::Circulate => lang.pick("Circulate", "Circulando"),
            OpType::Wash => lang.pick("Wash", "Lavando"),
            OpType::Mill => lang.pick("Mill", "Fresando"),
            OpType::Pump => lang.pick("Pump", "Bombeando"),
            OpType::Stationary => lang.pick("Stationary", "Estacionario"),
            OpType::Custom(s) => s,
        }
    }

    /// A code back into a type: a detected one by its code, anything else (1–24 letters, digits, spaces,
    /// `-` or `_`) as custom, upper-cased.
    pub fn parse(s: &str) -> Result<OpType, JobError> {
        let s = s.trim();
        if let Some(t) = OpType::DETECTED.into_iter().find(|t| t.code().eq_ignore_ascii_case(s)) {
            return Ok(t);
        }
        let ok = !s.is_empty()
            && s.chars().count() <= 24
            && s.chars().all(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'));
        if ok {
            Ok(OpType::Custom(s.to_uppercase()))
        } else {
            Err(JobError::Invalid {
                field: "operation type",
                reason: format!("'{s}' is not an operation type (1-24 letters, digits, spaces, - or _)"),
            })
        }
    }
}

impl fmt::Display for OpType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Why time was lost (what the operator picks for non-productive time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NptReason {
    EquipmentFailure,
    WaitingOnWeather,
    WaitingOnClient,
    WaitingOnMaterials,
    StuckPipe,
    WellControl,
    Repair,
    Other,
}

impl NptReason {
    pub const ALL: [NptReason; 8] = [
        NptReason::EquipmentFailure,
        NptReason::WaitingOnWeather,
        NptReason::WaitingOnClient,
        NptReason::WaitingOnMaterials,
        NptReason::StuckPipe,
        NptReason::WellControl,
        NptReason::Repair,
        NptReason::Other,
    ];

    pub fn name(self) -> &'static str {
        match self {
            NptReason::EquipmentFailure => "equipment_failure",
            NptReason::WaitingOnWeather => "waiting_on_weather",
            NptReason::WaitingOnClient => "waiting_on_client",
            NptReason::WaitingOnMaterials => "waiting_on_materials",
            NptReason::StuckPipe => "stuck_pipe",
            NptReason::WellControl => "well_control",
            NptReason::Repair => "repair",
            NptReason::Other => "other",
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            NptReason::EquipmentFailure => lang.pick("Equipment failure", "Falla de equipo"),
            NptReason::WaitingOnWeather => lang.pick("Waiting on weather", "Espera por clima"),
            NptReason::WaitingOnClient => lang.pick("Waiting on client", "Espera por el cliente"),
            NptReason::WaitingOnMaterials => lang.pick("Waiting on materials", "Espera por materiales"),
            NptReason::StuckPipe => lang.pick("Stuck pipe", "Tubería atascada"),
            NptReason::WellControl => lang.pick("Well control", "Control de pozo"),
            NptReason::Repair => lang.pick("Repair", "Reparación"),
            NptReason::Other => lang.pick("Other", "Otro"),
        }
    }

    pub fn parse(s: &str) -> Option<NptReason> {
        NptReason::ALL.into_iter().find(|r| r.name() == s.trim())
    }
}

/// The fields of a job that people type (planning in the office, the crew's names in the cab). Numbers are
/// the console's kept units: feet, hours.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct JobFields {
    pub job_type: Option<JobType>,
    pub well: String,
    pub field: String,
    /// The CT unit (`[ct.<unit>]` in site.toml) the job runs on.
    pub unit: String,
    /// The reel record's id (`reels/*.toml`).
    pub reel: String,
    pub planned_start: Option<Timestamp>,
    pub planned_end: Option<Timestamp>,
    pub supervisor: String,
    pub operator: String,
    pub client: String,
    pub client_rep: String,
    pub objective: String,
    pub well_depth_ft: Option<f64>,
    pub target_depth_ft: Option<f64>,
    pub estimated_hours: Option<f64>,
    pub description: String,
    pub notes: String,
}

impl JobFields {
    /// What a job's fields must be to be saved at all (a draft may leave most of them empty).
    pub fn check(&self) -> Result<(), JobError> {
        for (field, v, max) in [
            ("well", &self.well, MAX_TEXT),
            ("field", &self.field, MAX_TEXT),
            ("unit", &self.unit, MAX_TEXT),
            ("reel", &self.reel, MAX_TEXT),
            ("supervisor", &self.supervisor, MAX_TEXT),
            ("operator", &self.operator, MAX_TEXT),
            ("client", &self.client, MAX_TEXT),
            ("client representative", &self.client_rep, MAX_TEXT),
            ("objective", &self.objective, MAX_LONG_TEXT),
            ("description", &self.description, MAX_LONG_TEXT),
            ("notes", &self.notes, MAX_LONG_TEXT),
        ] {
            text(field, v, max)?;
        }
        for (field, v, max) in [
            ("well depth", self.well_depth_ft, 60_000.0),
            ("target depth", self.target_depth_ft, 60_000.0),
            ("estimated hours", self.estimated_hours, 10_000.0),
        ] {
            if let Some(x) = v
                && !(x.is_finite() && x > 0.0 && x <= max)
            {
                return Err(JobError::Invalid {
                    field,
                    reason: format!("{x} is not a number greater than 0 and at most {max}"),
                });
            }
        }
        if let (Some(w), Some(t)) = (self.well_depth_ft, self.target_depth_ft)
            && t > w
        {
            return Err(JobError::Invalid {
                field: "target depth",
                reason: format!("{t} ft is below the well's depth of {w} ft"),
            });
        }
        if let (Some(a), Some(b)) = (self.planned_start, self.planned_end)
            && b <= a
        {
            return Err(JobError::Invalid {
                field: "planned end",
                reason: "the planned end is not after the planned start".into(),
            });
        }
        Ok(())
    }

    /// What a job must have before it is planned: a type, a well, a unit and a reel, a supervisor, a client.
    pub fn check_plannable(&self) -> Result<(), JobError> {
        self.check()?;
        if self.job_type.is_none() {
            return Err(missing("job type"));
        }
        for (field, v) in [
            ("well", &self.well),
            ("unit", &self.unit),
            ("reel", &self.reel),
            ("supervisor", &self.supervisor),
            ("client", &self.client),
        ] {
            if v.trim().is_empty() {
                return Err(missing(field));
            }
        }
        Ok(())
    }
}

fn missing(field: &'static str) -> JobError {
    JobError::Invalid {
        field,
        reason: "is required before the job is planned".into(),
    }
}

/// Text people typed: bounded, one line unless long text, no control characters that would break a log.
pub fn text(field: &'static str, v: &str, max: usize) -> Result<(), JobError> {
    if v.chars().count() > max {
        return Err(JobError::Invalid {
            field,
            reason: format!("is longer than {max} characters"),
        });
    }
    if v.chars()
        .any(|c| c.is_control() && c != '\n' && (max == MAX_TEXT || c != '\t'))
    {
        return Err(JobError::Invalid {
            field,
            reason: "holds control characters".into(),
        });
    }
    if max == MAX_TEXT && v.contains('\n') {
        return Err(JobError::Invalid {
            field,
            reason: "is one line".into(),
        });
    }
    Ok(())
}

/// A job as the store keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    /// The store's row id.
    pub id: i64,
    /// The job number people use (unique per site), e.g. `CT-2026-0142`.
    pub number: String,
    pub status: JobStatus,
    pub fields: JobFields,
    pub actual_start: Option<Timestamp>,
    pub actual_end: Option<Timestamp>,
    pub created_by: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub ticket: TicketState,
    /// Frozen at completion.
    pub stats: Option<JobStats>,
}

/// A job number: 1–32 letters, digits, `-`, `_`, `/` or `.`.
pub fn check_number(n: &str) -> Result<(), JobError> {
    let ok = !n.is_empty()
        && n.len() <= 32
        && n.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '/' | '.'));
    if ok {
        Ok(())
    } else {
        Err(JobError::Invalid {
            field: "job number",
            reason: format!("'{n}' is not a job number (1-32 letters, digits, - _ / .)"),
        })
    }
}

/// One operation of the log: detected, or typed/corrected by the operator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Operation {
    /// The store's row id (0 before it is stored).
    pub id: i64,
    pub job_id: i64,
    pub op_type: OpType,
    pub start: Timestamp,
    /// `None` while it runs.
    pub end: Option<Timestamp>,
    pub start_depth_ft: f64,
    pub end_depth_ft: f64,
    pub max_depth_ft: f64,
    pub max_weight_lbf: Option<f64>,
    pub min_weight_lbf: Option<f64>,
    pub max_circ_psi: Option<f64>,
    pub max_whp_psi: Option<f64>,
    pub avg_rate_bpm: Option<f64>,
    /// Fluid pumped during it (bbl), from the pump total where there is one, else the rate integrated.
    pub volume_bbl: f64,
    /// Feet of pipe run in or out during it.
    pub footage_ft: f64,
    /// The fluid stage pumping at its start (the stage's name), if any.
    pub fluid: Option<String>,
    /// True when the detector made it and nobody changed it.
    pub detected: bool,
    pub observations: String,
}

impl Operation {
    pub fn duration_s(&self, now: Timestamp) -> f64 {
        (self.end.unwrap_or(now).as_secs_f64() - self.start.as_secs_f64()).max(0.0)
    }
}

/// A kind of fluid pumped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FluidKind {
    Water,
    Brine,
    Nitrogen,
    Acid,
    Diesel,
    Gel,
    Solvent,
    Foam,
    Other,
}

impl FluidKind {
    pub const ALL: [FluidKind; 9] = [
        FluidKind::Water,
        FluidKind::Brine,
        FluidKind::Nitrogen,
        FluidKind::Acid,
        FluidKind::Diesel,
        FluidKind::Gel,
        FluidKind::Solvent,
        FluidKind::Foam,
        FluidKind::Other,
    ];

    pub fn name(self) -> &'static str {
        match self {
            FluidKind::Water => "water",
            FluidKind::Brine => "brine",
            FluidKind::Nitrogen => "n2",
            FluidKind::Acid => "acid",
            FluidKind::Diesel => "diesel",
            FluidKind::Gel => "gel",
            FluidKind::Solvent => "solvent",
            FluidKind::Foam => "foam",
            FluidKind::Other => "other",
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            FluidKind::Water => lang.pick("Water", "Agua"),
            FluidKind::Brine => lang.pick("Brine", "Salmuera"),
            FluidKind::Nitrogen => lang.pick("Nitrogen", "Nitrógeno"),
            FluidKind::Acid => lang.pick("Acid", "Ácido"),
            FluidKind::Diesel => lang.pick("Diesel", "Diésel"),
            FluidKind::Gel => lang.pick("Gel", "Gel"),
            FluidKind::Solvent => lang.pick("Solvent", "Solvente"),
            FluidKind::Foam => lang.pick("Foam", "Espuma"),
            FluidKind::Other => lang.pick("Other", "Otro"),
        }
    }

    pub fn parse(s: &str) -> Option<FluidKind> {
        FluidKind::ALL.into_iter().find(|k| k.name() == s.trim())
    }
}

/// A fluid stage: planned in the office, pumped in the cab (actual volume from the pump totals).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FluidStage {
    pub id: i64,
    pub job_id: i64,
    /// Order in the program, from 1.
    pub seq: u32,
    pub kind: FluidKind,
    pub name: String,
    pub density_ppg: Option<f64>,
    pub viscosity_cp: Option<f64>,
    pub planned_bbl: Option<f64>,
    /// Pumped so far (bbl; scf for nitrogen), counted live while the stage runs.
    pub actual_bbl: f64,
    pub avg_rate_bpm: Option<f64>,
    pub max_pressure_psi: Option<f64>,
    pub start: Option<Timestamp>,
    pub end: Option<Timestamp>,
}

impl FluidStage {
    pub fn check(&self) -> Result<(), JobError> {
        text("fluid name", &self.name, MAX_TEXT)?;
        if self.name.trim().is_empty() {
            return Err(JobError::Invalid {
                field: "fluid name",
                reason: "is required".into(),
            });
        }
        positive_opt("density", self.density_ppg, 30.0)?;
        positive_opt("viscosity", self.viscosity_cp, 100_000.0)?;
        positive_opt("planned volume", self.planned_bbl, 1.0e7)?;
        Ok(())
    }

    pub fn running(&self) -> bool {
        self.start.is_some() && self.end.is_none()
    }
}

/// A BHA component, listed from the bottom (the nozzle or bit) up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BhaComponent {
    pub id: i64,
    pub job_id: i64,
    /// Position from the bottom, from 1.
    pub seq: u32,
    /// What it is: nozzle, motor, jar, check valve, connector, disconnect, … (free text, the usual ones
    /// offered by the console).
    pub kind: String,
    pub manufacturer: String,
    pub model: String,
    pub serial: String,
    pub length_ft: f64,
    pub od_in: f64,
    pub id_in: f64,
    pub weight_lb: f64,
}

/// The usual BHA components, offered first (others may be typed).
pub const BHA_KINDS: [&str; 12] = [
    "nozzle",
    "jet wash tool",
    "mill",
    "motor",
    "jar",
    "accelerator",
    "check valve",
    "hydraulic disconnect",
    "circulating sub",
    "connector",
    "centralizer",
    "logging tool",
];

impl BhaComponent {
    pub fn check(&self) -> Result<(), JobError> {
        for (field, v) in [
            ("component", &self.kind),
            ("manufacturer", &self.manufacturer),
            ("model", &self.model),
            ("serial", &self.serial),
        ] {
            text(field, v, MAX_TEXT)?;
        }
        if self.kind.trim().is_empty() {
            return Err(JobError::Invalid {
                field: "component",
                reason: "is required".into(),
            });
        }
        positive("length", self.length_ft, 500.0)?;
        positive("OD", self.od_in, 20.0)?;
        positive("weight", self.weight_lb, 50_000.0)?;
        if !(self.id_in.is_finite() && self.id_in >= 0.0) {
            return Err(JobError::Invalid {
                field: "ID",
                reason: format!("{} is not a number of 0 or more", self.id_in),
            });
        }
        if self.id_in >= self.od_in {
            return Err(JobError::Invalid {
                field: "ID",
                reason: format!("{} in is not smaller than the OD of {} in", self.id_in, self.od_in),
            });
        }
        Ok(())
    }
}

/// The BHA's totals: length, weight, largest OD and smallest ID (the drift a ball or tool must pass).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct BhaTotals {
    pub length_ft: f64,
    pub weight_lb: f64,
    pub max_od_in: f64,
    pub min_id_in: f64,
}

pub fn bha_totals(components: &[BhaComponent]) -> BhaTotals {
    let mut t = BhaTotals {
        min_id_in: if components.is_empty() { 0.0 } else { f64::INFINITY },
        ..BhaTotals::default()
    };
    for c in components {
        t.length_ft += c.length_ft;
        t.weight_lb += c.weight_lb;
        t.max_od_in = t.max_od_in.max(c.od_in);
        t.min_id_in = t.min_id_in.min(c.id_in);
    }
    t
}

/// Time lost, with the reason the operator picked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Npt {
    pub id: i64,
    pub job_id: i64,
    pub start: Timestamp,
    pub end: Timestamp,
    pub reason: NptReason,
    pub note: String,
}

impl Npt {
    pub fn check(&self) -> Result<(), JobError> {
        text("NPT note", &self.note, MAX_TEXT)?;
        if self.end <= self.start {
            return Err(JobError::Invalid {
                field: "NPT end",
                reason: "is not after its start".into(),
            });
        }
        Ok(())
    }

    pub fn hours(&self) -> f64 {
        (self.end.as_secs_f64() - self.start.as_secs_f64()) / 3600.0
    }
}

/// A job's statistics, frozen when it is completed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct JobStats {
    pub duration_h: f64,
    pub max_depth_ft: f64,
    /// Feet of pipe run in plus feet pulled out.
    pub footage_ft: f64,
    /// Volume pumped per fluid (name, bbl), in the order first pumped; pumping with no stage running is
    /// counted under "unassigned".
    pub volume_by_fluid: Vec<(String, f64)>,
    pub total_volume_bbl: f64,
    /// Hours per operation type (code, hours), longest first.
    pub hours_by_op: Vec<(String, f64)>,
    pub npt_h: f64,
    /// NPT hours per reason (name, hours).
    pub npt_by_reason: Vec<(String, f64)>,
    /// Productive share of the job's time, 0–100 %.
    pub efficiency_pct: f64,
    pub max_weight_lbf: Option<f64>,
    pub min_weight_lbf: Option<f64>,
    pub max_circ_psi: Option<f64>,
    pub max_whp_psi: Option<f64>,
    pub operations: usize,
    pub alarms: usize,
    pub trips: usize,
}

/// A signature on a ticket: who, in which capacity, when, and the SHA-256 of the ticket content signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    pub role: SignRole,
    /// The console user who confirmed it with their password.
    pub user: String,
    /// The name printed on the ticket (the client's representative may sign on the crew's panel).
    pub name: String,
    pub at: Timestamp,
    pub content_sha256: String,
}

/// Bad input or a rule broken: each says what and why, and nothing was changed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum JobError {
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error("job {0} does not exist")]
    NoSuchJob(String),
    #[error("job number {0} is already used on this site")]
    DuplicateNumber(String),
    #[error("job {number} is {status}: {why}")]
    WrongState {
        number: String,
        status: JobStatus,
        why: String,
    },
    #[error("unit {unit} already has job {other} in progress")]
    UnitBusy { unit: String, other: String },
    #[error("reel {reel} is already on job {other}, in progress")]
    ReelBusy { reel: String, other: String },
    #[error("unknown {what} '{name}'")]
    Unknown { what: &'static str, name: String },
    #[error("{user} ({role}) may not {action}")]
    NotPermitted { user: String, role: String, action: String },
    #[error("the ticket is already signed as {0}")]
    AlreadySigned(String),
    #[error("the {0} signs after the {1}")]
    SignOrder(String, String),
    #[error("login failed: {0}")]
    Login(String),
    #[error("the signed ticket no longer matches its signatures: content hash {now}, signed {signed}")]
    Tampered { now: String, signed: String },
    #[error("job {number}: {why}: the ticket's records were changed outside the console")]
    TicketRecords { number: String, why: String },
    #[error("job records: {0}")]
    Store(String),
}

fn positive(field: &'static str, v: f64, max: f64) -> Result<(), JobError> {
    if v.is_finite() && v > 0.0 && v <= max {
        Ok(())
    } else {
        Err(JobError::Invalid {
            field,
            reason: format!("{v} is not a number greater than 0 and at most {max}"),
        })
    }
}

fn positive_opt(field: &'static str, v: Option<f64>, max: f64) -> Result<(), JobError> {
    v.map_or(Ok(()), |v| positive(field, v, max))
}
