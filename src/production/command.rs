//! Every person's act on a well test, the same code for the console (on the production writer thread) and
//! the command line: the permission first (`Role::may`), then the store, then one audit record with the
//! outcome, done or refused (a refused act is as visible as a performed one).
//!
//! Who may: anyone but a viewer signs a test as its tester and writes its note; a supervisor, an engineer
//! or an admin approves or rejects it. The approver may be the tester: the certificate names both.
//!
//! Invariants: nothing reaches the store before the permission passes; every request is audited exactly
//! once, with `test <id> <well>` as its target. Owns no data rule (the store does). Must not import `ui`.

use super::model::{ProductionError, TestStatus};
use super::store::ProductionStore;
use crate::auth::audit::{AuditEntry, AuditSink};
use crate::auth::{Action, Actor};
use crate::tag::Timestamp;

/// What a person asks of a well test.
#[derive(Debug, Clone, PartialEq)]
pub enum ProductionRequest {
    /// The tester, who witnessed the test on the separator, signs it.
    SignTester { id: i64 },
    /// It counts for the well's inflow curve from now on; a non-empty note replaces the test's note.
    Approve { id: i64, note: String },
    /// Pending, or approved and found wrong later: never counted (again). The reason is required.
    Reject { id: i64, reason: String },
    /// The test's note (empty clears it).
    Note { id: i64, note: String },
}

impl ProductionRequest {
    /// The test it is about.
    pub fn id(&self) -> i64 {
        match self {
            ProductionRequest::SignTester { id }
            | ProductionRequest::Approve { id, .. }
            | ProductionRequest::Reject { id, .. }
            | ProductionRequest::Note { id, .. } => *id,
        }
    }
}

/// An act done: what to tell the person, and what the audit trail records as its detail.
struct Done {
    message: String,
    detail: String,
}

/// Applies one request by `actor` at `now`: permission, then the store; audits it done or refused
/// (target `test <id> <well>`); returns what to tell the person (what changed), or the error.
pub fn apply(
    store: &mut ProductionStore,
    actor: &Actor,
    req: &ProductionRequest,
    now: Timestamp,
    audit: Option<&AuditSink>,
) -> Result<String, ProductionError> {
    let subject = target(store, req.id());
    let outcome = permit(actor, action_for(req)).and_then(|()| run(store, actor, req, now));
    let (allowed, detail, answer) = match outcome {
        Ok(done) => (true, done.detail, Ok(done.message)),
        Err(e) => (false, refused_detail(req, &e), Err(e)),
    };
    if let Some(sink) = audit {
        sink.record(AuditEntry::by(now, actor, audit_action(req), subject, detail, allowed));
    }
    answer
}

/// The permission a request needs.
pub fn action_for(req: &ProductionRequest) -> Action {
    match req {
        ProductionRequest::SignTester { .. } | ProductionRequest::Note { .. } => Action::SignWellTest,
        ProductionRequest::Approve { .. } | ProductionRequest::Reject { .. } => Action::ApproveWellTest,
    }
}

fn permit(actor: &Actor, action: Action) -> Result<(), ProductionError> {
    if actor.role.may(action) {
        Ok(())
    } else {
        Err(ProductionError::NotPermitted {
            user: actor.user.clone(),
            role: actor.role.name().to_owned(),
            action: action.label().to_owned(),
        })
    }
}

/// The audit trail's name for a request.
pub fn audit_action(req: &ProductionRequest) -> &'static str {
    match req {
        ProductionRequest::SignTester { .. } => "well_test.sign",
        ProductionRequest::Approve { .. } => "well_test.approve",
        ProductionRequest::Reject { .. } => "well_test.reject",
        ProductionRequest::Note { .. } => "well_test.note",
    }
}

/// What an audit record names when the store is not at hand (a request refused before it reached the
/// writer): `test <id>`.
pub fn target_hint(req: &ProductionRequest) -> String {
    format!("test {}", req.id())
}

/// An audit record's target: `test <id> <well>`, or `test <id>` for a test that does not exist (the store
/// refuses the request in its own words).
pub fn target(store: &ProductionStore, id: i64) -> String {
    match store.get(id) {
        Ok(t) => format!("test {id} {}", t.m.well),
        Err(_) => format!("test {id}"),
    }
}

/// A refused request's audit detail: what it asked (the reason or note typed), then why it was refused.
/// Text too long to be a note (refused for that) is cut to the note's bound in the record.
pub fn refused_detail(req: &ProductionRequest, e: &ProductionError) -> String {
    let bounded = |s: &str| s.trim().chars().take(super::model::MAX_TEXT).collect::<String>();
    match req {
        ProductionRequest::Reject { reason, .. } => format!("reason '{}': refused: {e}", bounded(reason)),
        ProductionRequest::Approve { note, .. } | ProductionRequest::Note { note, .. } if !note.trim().is_empty() => {
            format!("note '{}': refused: {e}", bounded(note))
        }
        _ => format!("refused: {e}"),
    }
}

fn run(
    store: &mut ProductionStore,
    actor: &Actor,
    req: &ProductionRequest,
    now: Timestamp,
) -> Result<Done, ProductionError> {
    let who = &actor.user;
    match req {
        ProductionRequest::SignTester { id } => {
            let t = store.sign_tester(*id, who, now)?;
            Ok(Done {
                message: format!("Well test {id} ({}) signed by {who} as its tester.", t.m.well),
                detail: format!("signed as the tester of the test from {}", t.m.start.to_rfc3339()),
            })
        }
        ProductionRequest::Approve { id, note } => {
            let t = store.approve(*id, who, now, note)?;
            let mut detail = format!(
                "pending → approved; oil {:.1} STB/d, water {:.1} bbl/d, gas {:.1} Mscf/d; tester {}",
                t.m.oil_stb_d,
                t.m.water_bbl_d,
                t.m.gas_mscf_d,
                t.tested_by.as_deref().unwrap_or("none")
            );
            if !note.trim().is_empty() {
                detail.push_str(&format!("; note '{}'", t.note));
            }
            Ok(Done {
                message: format!(
                    "Well test {id} ({}) approved: it counts for the well's inflow curve.",
                    t.m.well
                ),
                detail,
            })
        }
        ProductionRequest::Reject { id, reason } => {
            let before = store.get(*id)?;
            let t = store.reject(*id, who, now, reason)?;
            let detail = match (before.status, &before.decided_by, before.decided_at) {
                (TestStatus::Approved, Some(by), Some(at)) => format!(
                    "approved → rejected (it was approved by {by} at {}): {}",
                    at.to_rfc3339(),
                    t.reason
                ),
                (status, ..) => format!("{status} → rejected: {}", t.reason),
            };
            Ok(Done {
                message: format!("Well test {id} ({}) rejected: it is kept, never counted.", t.m.well),
                detail,
            })
        }
        ProductionRequest::Note { id, note } => {
            let before = store.get(*id)?;
            let t = store.set_note(*id, note)?;
            let detail = match (before.note.is_empty(), t.note.is_empty()) {
                (true, true) => "no note, as before".to_owned(),
                (false, true) => format!("note '{}' cleared", before.note),
                (true, false) => format!("note '{}'", t.note),
                (false, false) => format!("note '{}' (was '{}')", t.note, before.note),
            };
            Ok(Done {
                message: format!("Note of well test {id} ({}) saved.", t.m.well),
                detail,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Role;
    use crate::production::store::sample;

    struct Bench {
        store: ProductionStore,
        sink: AuditSink,
        audited: crossbeam_channel::Receiver<AuditEntry>,
        id: i64,
    }

    fn bench() -> Bench {
        let (sink, audited) = AuditSink::channel(256);
        let mut store = ProductionStore::open_in_memory().unwrap();
        let id = store.insert_measured(&sample("esp01", 0)).unwrap();
        Bench {
            store,
            sink,
            audited,
            id,
        }
    }

    const NOW: Timestamp = Timestamp(1_800_000_100_000_000);

    impl Bench {
        fn apply(&mut self, who: &str, role: Role, req: ProductionRequest) -> Result<String, ProductionError> {
            apply(&mut self.store, &Actor::new(who, role), &req, NOW, Some(&self.sink))
        }

        fn last_audit(&self) -> AuditEntry {
            self.audited.try_iter().last().unwrap()
        }

        fn sign(&self) -> ProductionRequest {
            ProductionRequest::SignTester { id: self.id }
        }

        fn approve(&self) -> ProductionRequest {
            ProductionRequest::Approve {
                id: self.id,
                note: String::new(),
            }
        }

        fn reject(&self, reason: &str) -> ProductionRequest {
            ProductionRequest::Reject {
                id: self.id,
                reason: reason.into(),
            }
        }

        fn note(&self, note: &str) -> ProductionRequest {
            ProductionRequest::Note {
                id: self.id,
                note: note.into(),
            }
        }
    }

    #[test]
    fn who_may_sign_note_approve_and_reject() {
        use crate::auth::Role::{Admin, Engineer, Operator, Supervisor, Viewer};
        // (role, sign, note, approve, reject): each on a fresh pending test.
        let table = [
            (Viewer, false, false, false, false),
            (Operator, true, true, false, false),
            (Engineer, true, true, true, true),
            (Supervisor, true, true, true, true),
            (Admin, true, true, true, true),
        ];
        for (role, sign, note, approve, reject) in table {
            let mut b = bench();
            let cases = [
                (b.sign(), sign, "well_test.sign"),
                (b.note("choke 32/64"), note, "well_test.note"),
                (b.approve(), approve, "well_test.approve"),
            ];
            for (req, may, action) in cases {
                let r = b.apply("pat", role, req);
                assert_eq!(r.is_ok(), may, "{role:?} {action}: {r:?}");
                if !may {
                    assert!(matches!(r, Err(ProductionError::NotPermitted { .. })), "{r:?}");
                }
                let a = b.last_audit();
                assert_eq!(
                    (a.action.as_str(), a.target.as_str(), a.allowed, a.user.as_str()),
                    (action, "test 1 esp01", may, "pat")
                );
            }
            let mut b = bench();
            let r = b.apply("pat", role, b.reject("slugging"));
            assert_eq!(r.is_ok(), reject, "{role:?} reject: {r:?}");
            assert_eq!(b.last_audit().allowed, reject);
            let status = b.store.get(b.id).unwrap().status;
            assert_eq!(
                status == TestStatus::Rejected,
                reject,
                "a refused request changes nothing"
            );
        }
    }

    #[test]
    fn an_operator_signs_and_an_engineer_approves_each_audited() {
        let mut b = bench();
        let msg = b.apply("otto", Role::Operator, b.sign()).unwrap();
        assert_eq!(msg, "Well test 1 (esp01) signed by otto as its tester.");
        let e = b.apply("otto", Role::Operator, b.approve()).unwrap_err();
        assert!(matches!(e, ProductionError::NotPermitted { .. }), "{e}");
        let a = b.last_audit();
        assert_eq!((a.action.as_str(), a.allowed), ("well_test.approve", false));
        assert!(a.detail.starts_with("refused: otto (operator) may not"), "{}", a.detail);

        let approve = ProductionRequest::Approve {
            id: b.id,
            note: "good test".into(),
        };
        b.apply("eve", Role::Engineer, approve).unwrap();
        let a = b.last_audit();
        assert_eq!(
            (a.action.as_str(), a.user.as_str(), a.allowed),
            ("well_test.approve", "eve", true)
        );
        assert!(
            a.detail.starts_with("pending → approved; oil 420.0 STB/d"),
            "{}",
            a.detail
        );
        assert!(
            a.detail.contains("tester otto") && a.detail.ends_with("note 'good test'"),
            "{}",
            a.detail
        );
        let t = b.store.get(b.id).unwrap();
        assert_eq!(
            (t.tested_by.as_deref(), t.decided_by.as_deref()),
            (Some("otto"), Some("eve"))
        );

        // Approved twice: refused by the store, audited as refused.
        let e = b.apply("eve", Role::Engineer, b.approve()).unwrap_err();
        assert!(matches!(e, ProductionError::WrongState { .. }), "{e}");
        let a = b.last_audit();
        assert!(!a.allowed && a.detail.contains("approved already"), "{}", a.detail);
    }

    #[test]
    fn a_rejection_is_audited_with_its_reason_and_the_approval_it_undoes() {
        let mut b = bench();
        let e = b.apply("eve", Role::Engineer, b.reject("  ")).unwrap_err();
        assert!(matches!(e, ProductionError::Invalid { field: "reason", .. }), "{e}");
        let a = b.last_audit();
        assert_eq!((a.action.as_str(), a.allowed), ("well_test.reject", false));
        assert!(a.detail.starts_with("reason '': refused: reason:"), "{}", a.detail);

        b.apply("eve", Role::Engineer, b.approve()).unwrap();
        b.apply("sara", Role::Supervisor, b.reject("oil meter drifted"))
            .unwrap();
        let a = b.last_audit();
        assert_eq!(
            (a.action.as_str(), a.user.as_str(), a.allowed),
            ("well_test.reject", "sara", true)
        );
        assert!(
            a.detail.starts_with("approved → rejected (it was approved by eve at ")
                && a.detail.ends_with("): oil meter drifted"),
            "{}",
            a.detail
        );
        let e = b.apply("sara", Role::Supervisor, b.reject("again")).unwrap_err();
        assert!(matches!(e, ProductionError::WrongState { .. }), "{e}");
        assert_eq!(b.last_audit().detail, format!("reason 'again': refused: {e}"));
    }

    #[test]
    fn notes_and_missing_tests_are_audited() {
        let mut b = bench();
        b.apply("otto", Role::Operator, b.note("choke 32/64")).unwrap();
        assert_eq!(b.last_audit().detail, "note 'choke 32/64'");
        b.apply("otto", Role::Operator, b.note("choke 40/64")).unwrap();
        assert_eq!(b.last_audit().detail, "note 'choke 40/64' (was 'choke 32/64')");
        b.apply("otto", Role::Operator, b.note("")).unwrap();
        assert_eq!(b.last_audit().detail, "note 'choke 40/64' cleared");

        let missing = ProductionRequest::SignTester { id: 42 };
        let e = b.apply("otto", Role::Operator, missing).unwrap_err();
        assert_eq!(e, ProductionError::NoSuchTest(42));
        let a = b.last_audit();
        assert_eq!((a.target.as_str(), a.allowed), ("test 42", false));
    }

    #[test]
    fn without_an_audit_sink_the_act_is_still_done() {
        let mut b = bench();
        let req = b.sign();
        apply(&mut b.store, &Actor::new("otto", Role::Operator), &req, NOW, None).unwrap();
        assert_eq!(b.store.get(b.id).unwrap().tested_by.as_deref(), Some("otto"));
        assert!(b.audited.try_recv().is_err());
    }
}
