//! Who is acting and what their role allows: roles and the permission table (checked by every room that
//! takes an operator action), the local user store (`users`), the hash-chained audit trail (`audit`), and
//! user changes and logins made from the command line, recorded in that trail (`admin`).
//!
//! Pure: no I/O, no clocks. Every room that accepts an operator action asks `Role::may` before acting and
//! records a refusal as an event, so a refused action is as visible as a performed one.

pub mod admin;
pub mod audit;
pub mod policy;
pub mod users;

use serde::{Deserialize, Serialize};
use std::fmt;

/// Roles, from most to least privileged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Supervisor,
    Engineer,
    Operator,
    Viewer,
}

/// Actions that need a permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Acknowledge,
    Shelve,
    OutOfService,
    WriteSetpoint,
    CommandEquipment,
    TripReset,
    Bypass,
    EditConfiguration,
    /// Changing what a CT string's record says: cutting pipe off an end, importing fatigue from a CSV,
    /// exporting the string as CSV (the record leaves the console).
    EditStringRecord,
    /// Creating, editing, planning, cancelling or deleting a CT job (the office's plan).
    PlanJob,
    /// Approving a planned job for the crew to run.
    ApproveJob,
    /// Running a job from the cab: start and complete it, its operations log, fluid stages, BHA and NPT.
    RunJob,
    /// Issuing a job's ticket for signatures and signing it (the signature's capacity is checked apart).
    SignTicket,
    /// Signing a well test as its tester (the one who witnessed it on the separator).
    SignWellTest,
    /// Approving or rejecting a well test: only approved tests make a well's inflow curve.
    ApproveWellTest,
    ManageUsers,
    /// Reading the audit trail from outside the console (the HTTP API): who did what is for those who
    /// answer for it.
    ReadAuditTrail,
}

impl Action {
    pub fn label(self) -> &'static str {
        match self {
            Action::Acknowledge => "acknowledge",
            Action::Shelve => "shelve",
            Action::OutOfService => "take out of service",
            Action::WriteSetpoint => "write a setpoint",
            Action::CommandEquipment => "command equipment",
            Action::TripReset => "reset a trip",
            Action::Bypass => "bypass a trip",
            Action::EditConfiguration => "edit screens or alarms",
            Action::EditStringRecord => "edit CT string records (cut pipe, import or export a string)",
            Action::PlanJob => "plan CT jobs",
            Action::ApproveJob => "approve CT jobs",
            Action::RunJob => "run CT jobs (start, complete, operations, fluids, BHA, NPT)",
            Action::SignTicket => "sign job tickets",
            Action::SignWellTest => "sign well tests as the tester",
            Action::ApproveWellTest => "approve or reject well tests",
            Action::ManageUsers => "manage users",
            Action::ReadAuditTrail => "read the audit trail",
        }
    }

    /// The label in the console's language ("may not …").
    pub fn label_in(self, lang: crate::lang::Lang) -> &'static str {
        match self {
            Action::Acknowledge => lang.pick("acknowledge", "reconocer"),
            Action::Shelve => lang.pick("shelve", "archivar"),
            Action::OutOfService => lang.pick("take out of service", "sacar de servicio"),
            Action::WriteSetpoint => lang.pick("write a setpoint", "escribir una consigna"),
            Action::CommandEquipment => lang.pick("command equipment", "comandar equipos"),
            Action::TripReset => lang.pick("reset a trip", "restablecer un disparo"),
            Action::Bypass => lang.pick("bypass a trip", "puentear un disparo"),
            Action::EditConfiguration => lang.pick("edit screens or alarms", "editar pantallas o alarmas"),
            Action::EditStringRecord => lang.pick(
                "edit CT string records (cut pipe, import or export a string)",
                "editar los registros de la sarta de TF (cortar tubería, importar o exportar una sarta)",
            ),
            Action::PlanJob => lang.pick("plan CT jobs", "planificar trabajos de TF"),
            Action::ApproveJob => lang.pick("approve CT jobs", "aprobar trabajos de TF"),
            Action::RunJob => lang.pick(
                "run CT jobs (start, complete, operations, fluids, BHA, NPT)",
                "ejecutar trabajos de TF (iniciar, completar, operaciones, fluidos, BHA, TNP)",
            ),
            Action::SignTicket => lang.pick("sign job tickets", "firmar boletas de trabajo"),
            Action::SignWellTest => lang.pick("sign well tests as the tester", "firmar pruebas de pozo como probador"),
            Action::ApproveWellTest => lang.pick("approve or reject well tests", "aprobar o rechazar pruebas de pozo"),
            Action::ManageUsers => lang.pick("manage users", "administrar usuarios"),
            Action::ReadAuditTrail => lang.pick("read the audit trail", "leer el registro de auditoría"),
        }
    }
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::Supervisor,
        Role::Engineer,
        Role::Operator,
        Role::Viewer,
    ];

    /// The permission table. Out-of-service removes an alarm from the operator's protection for an
    /// unbounded time (ISA-18.2 §16), so it needs a supervisor or an engineer, not the operator on shift.
    /// A CT string's record (its cuts and fatigue) decides when pipe is retired: the crew cuts the pipe,
    /// the supervisor or engineer who answers for the string records it.
    pub fn may(self, action: Action) -> bool {
        use Action::*;
        use Role::*;
        match action {
            Acknowledge | Shelve | WriteSetpoint | CommandEquipment | RunJob | SignWellTest => self != Viewer,
            TripReset | Bypass | OutOfService | EditStringRecord | PlanJob | ApproveJob | ApproveWellTest => {
                matches!(self, Admin | Supervisor | Engineer)
            }
            // A client's representative signs with an account of their own, usually a viewer's: which
            // capacity a user may sign in is checked by the ticket (`job::workflow::may_sign_as`).
            SignTicket => true,
            EditConfiguration => matches!(self, Admin | Engineer),
            ManageUsers => self == Admin,
            ReadAuditTrail => matches!(self, Admin | Supervisor),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Supervisor => "supervisor",
            Role::Engineer => "engineer",
            Role::Operator => "operator",
            Role::Viewer => "viewer",
        }
    }

    /// The role as people read it (files, the user store and the audit trail keep `name`).
    pub fn label(self, lang: crate::lang::Lang) -> &'static str {
        match self {
            Role::Admin => lang.pick("admin", "administrador"),
            Role::Supervisor => lang.pick("supervisor", "supervisor"),
            Role::Engineer => lang.pick("engineer", "ingeniero"),
            Role::Operator => lang.pick("operator", "operador"),
            Role::Viewer => lang.pick("viewer", "observador"),
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.name() == s)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::parse(s).ok_or_else(|| format!("unknown role '{s}' (admin, supervisor, engineer, operator, viewer)"))
    }
}

/// The person behind an action, as recorded in journals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub user: String,
    pub role: Role,
}

impl Actor {
    pub fn new(user: impl Into<String>, role: Role) -> Self {
        Self {
            user: user.into(),
            role,
        }
    }

    /// The console's user before logins exist: the OS account, as an operator.
    pub fn from_os(role: Role) -> Self {
        let user = std::env::var("USER")
            .or_else(|_| std::env::var("USERNAME"))
            .unwrap_or_else(|_| "operator".to_owned());
        Self { user, role }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permission_table() {
        let table = [
            (Role::Viewer, Action::Acknowledge, false),
            (Role::Viewer, Action::Shelve, false),
            (Role::Operator, Action::Acknowledge, true),
            (Role::Operator, Action::Shelve, true),
            (Role::Operator, Action::OutOfService, false),
            (Role::Operator, Action::EditConfiguration, false),
            (Role::Supervisor, Action::OutOfService, true),
            (Role::Engineer, Action::OutOfService, true),
            (Role::Engineer, Action::EditConfiguration, true),
            (Role::Operator, Action::EditStringRecord, false),
            (Role::Viewer, Action::EditStringRecord, false),
            (Role::Supervisor, Action::EditStringRecord, true),
            (Role::Engineer, Action::EditStringRecord, true),
            (Role::Supervisor, Action::ManageUsers, false),
            (Role::Admin, Action::ManageUsers, true),
        ];
        for (role, action, allowed) in table {
            assert_eq!(role.may(action), allowed, "{role} may {}", action.label());
        }
        for r in Role::ALL {
            assert_eq!(r.name().parse::<Role>(), Ok(r));
        }
    }
}
