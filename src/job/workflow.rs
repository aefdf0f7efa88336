//! A job's workflow rules: which status may follow which, which permission each move needs, and who may
//! sign a ticket in which capacity.
//!
//! Pure rules, no I/O: the store enforces the transitions, `command` the permissions. Nothing here reads
//! or writes a job.

use super::model::{JobError, JobStatus, SignRole};
use crate::auth::{Action, Actor, Role};

/// The statuses a job may go to from `from`: the office's plan moves forward one step at a time, may step
/// back to be edited or re-approved, and may be cancelled until it is completed.
fn next_statuses(from: JobStatus) -> &'static [JobStatus] {
    use crate::job::model::JobStatus::*;
    match from {
        Draft => &[Planned, Cancelled],
        Planned => &[Approved, Draft, Cancelled],
        Approved => &[InProgress, Planned, Cancelled],
        InProgress => &[Completed, Cancelled],
        Completed | Cancelled => &[],
    }
}

/// May `from` go to `to`? DRAFT→PLANNED→APPROVED→IN_PROGRESS→COMPLETED; CANCELLED from DRAFT, PLANNED,
/// APPROVED, IN_PROGRESS; PLANNED→DRAFT (back to edit) allowed; APPROVED→PLANNED (unapprove) allowed.
pub fn check_transition(number: &str, from: JobStatus, to: JobStatus) -> Result<(), JobError> {
    let next = next_statuses(from);
    if next.contains(&to) {
        return Ok(());
    }
    let why = if from == to {
        format!("it is already {to}")
    } else if next.is_empty() {
        format!("it is closed and cannot go to {to}")
    } else {
        let names: Vec<&str> = next.iter().map(|s| s.name()).collect();
        format!("it may go to {} only, not to {to}", names.join(" or "))
    };
    Err(JobError::WrongState {
        number: number.to_owned(),
        status: from,
        why,
    })
}

/// The permission a transition needs: Planned/Draft/Cancelled → PlanJob; Approved → ApproveJob;
/// InProgress/Completed → RunJob.
pub fn action_for(to: JobStatus) -> Action {
    match to {
        JobStatus::Draft | JobStatus::Planned | JobStatus::Cancelled => Action::PlanJob,
        JobStatus::Approved => Action::ApproveJob,
        JobStatus::InProgress | JobStatus::Completed => Action::RunJob,
    }
}

/// May this actor sign in this capacity? Operator: any role but viewer; Supervisor: supervisor or admin
/// (or engineer); ClientRep: anyone (a viewer account is typical).
pub fn may_sign_as(actor: &Actor, role: SignRole) -> bool {
    match role {
        SignRole::Operator => actor.role != Role::Viewer,
        SignRole::Supervisor => matches!(actor.role, Role::Supervisor | Role::Admin | Role::Engineer),
        SignRole::ClientRep => true,
    }
}

/// Checks `actor.role.may(action)`, else JobError::NotPermitted{user, role, action: action.label()}.
pub fn permit(actor: &Actor, action: Action) -> Result<(), JobError> {
    if actor.role.may(action) {
        Ok(())
    } else {
        Err(JobError::NotPermitted {
            user: actor.user.clone(),
            role: actor.role.name().to_owned(),
            action: action.label().to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::model::JobStatus::*;

    #[test]
    fn the_allowed_moves_and_no_others() {
        let allowed = [
            (Draft, Planned),
            (Planned, Approved),
            (Approved, InProgress),
            (InProgress, Completed),
            (Draft, Cancelled),
            (Planned, Cancelled),
            (Approved, Cancelled),
            (InProgress, Cancelled),
            (Planned, Draft),
            (Approved, Planned),
        ];
        for from in JobStatus::ALL {
            for to in JobStatus::ALL {
                let ok = check_transition("J-1", from, to).is_ok();
                assert_eq!(ok, allowed.contains(&(from, to)), "{from} -> {to}");
            }
        }
    }

    #[test]
    fn a_refusal_says_where_the_job_may_go() {
        let e = check_transition("J-1", Draft, InProgress).unwrap_err().to_string();
        assert!(e.contains("PLANNED or CANCELLED"), "{e}");
        let e = check_transition("J-1", Completed, Draft).unwrap_err().to_string();
        assert!(e.contains("closed"), "{e}");
    }

    #[test]
    fn permissions_and_signing_capacities() {
        assert_eq!(action_for(Approved), Action::ApproveJob);
        assert_eq!(action_for(Cancelled), Action::PlanJob);
        assert_eq!(action_for(Completed), Action::RunJob);
        let viewer = Actor::new("client", Role::Viewer);
        let op = Actor::new("ana", Role::Operator);
        assert!(may_sign_as(&viewer, SignRole::ClientRep));
        assert!(!may_sign_as(&viewer, SignRole::Operator));
        assert!(may_sign_as(&op, SignRole::Operator));
        assert!(!may_sign_as(&op, SignRole::Supervisor));
        assert!(permit(&op, Action::RunJob).is_ok());
        assert!(matches!(
            permit(&op, Action::ApproveJob),
            Err(JobError::NotPermitted { .. })
        ));
    }
}
