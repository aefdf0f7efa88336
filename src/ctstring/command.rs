//! What people ask of a CT string's record: cut pipe off an end, or replace its fatigue from a CSV. Each
//! is an operator action: the string service checks the person's role (`Action::EditStringRecord`), the
//! reason and the input, applies it on the hub thread and writes the outcome, done or refused, to the audit
//! trail; a refused one changes nothing.
//!
//! The string service is a `Deriver`, and derivers get no commands, so `CtCommandPort` (a `Subscriber`
//! that does nothing else) hands the console's `CtCommand`s to it through a bounded channel, which the
//! service drains at the start of each `derive` and `tick`. The port never waits: a full channel refuses
//! the command, counts it and says so in the audit trail ("refused: busy"), never silently.
//!
//! Also here: the pure steps of applying (the checks, the cut, the tracker an import makes), tested with
//! the service below. Owns no state of the string; must not touch the store, the tag table or the UI.

use super::csv;
use super::layout::StringEnd;
use super::tracker::FatigueTracker;
use crate::auth::audit::{AuditEntry, AuditSink};
use crate::auth::{Action, Actor};
use crate::hub::{Carries, Subscriber};
use crate::tag::{TagTable, TagUpdate, Timestamp};
use crossbeam_channel::{Receiver, Sender, TrySendError, bounded};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Commands waiting for the service: people ask one at a time, and the service takes them every 100 ms.
pub const INBOX: usize = 16;
/// The largest CSV an import takes. The import is parsed on the hub thread (between two scans), so it is
/// bounded to what parses in a few milliseconds: 2 MiB holds a 40,000-ft string's export in 1-ft cells (the
/// longest strings run about 30,000 ft); a longer, finer one is imported with fewer rows (the importer
/// interpolates between rows).
pub const MAX_CSV_BYTES: usize = 2 * 1024 * 1024;
/// A reason is a sentence or two for the audit trail, not a document.
pub const MAX_REASON_CHARS: usize = 500;

/// A change to a CT string's record, asked by a person.
#[derive(Debug, Clone, PartialEq)]
pub enum CtCommand {
    /// Pipe cut off one end of `unit`'s string (the tag prefix, e.g. `ct01`). A downhole cut moves every
    /// position from the tip by `length_ft`.
    Cut {
        unit: String,
        end: StringEnd,
        length_ft: f64,
        reason: String,
        by: Actor,
    },
    /// The string's fatigue (and running feet, when the file gives them) replaced by a CSV's
    /// (`ctstring::csv`). Shared text: the hub hands every subscriber the same command, and the port keeps
    /// its own handle to it without copying megabytes on the hub thread.
    Import {
        unit: String,
        csv_text: Arc<str>,
        reason: String,
        by: Actor,
    },
}

impl CtCommand {
    pub fn unit(&self) -> &str {
        match self {
            CtCommand::Cut { unit, .. } | CtCommand::Import { unit, .. } => unit,
        }
    }

    pub fn by(&self) -> &Actor {
        match self {
            CtCommand::Cut { by, .. } | CtCommand::Import { by, .. } => by,
        }
    }

    pub fn reason(&self) -> &str {
        match self {
            CtCommand::Cut { reason, .. } | CtCommand::Import { reason, .. } => reason,
        }
    }

    /// The action as the audit trail names it.
    pub fn audit_action(&self) -> &'static str {
        match self {
            CtCommand::Cut { .. } => "CT string cut",
            CtCommand::Import { .. } => "CT string import",
        }
    }

    /// What was asked, in the audit trail's words: "cut 100 ft off the downhole end".
    pub fn asked(&self) -> String {
        match self {
            CtCommand::Cut { end, length_ft, .. } => format!("cut {length_ft} ft off the {} end", end_words(*end)),
            CtCommand::Import { csv_text, .. } => format!("import a CSV of {} bytes", csv_text.len()),
        }
    }
}

fn end_words(end: StringEnd) -> &'static str {
    match end {
        StringEnd::Downhole => "downhole",
        StringEnd::Core => "core",
    }
}

/// The console's commands for the string service, in from the hub. Subscribed beside the service.
pub struct CtCommandPort {
    tx: Sender<(Timestamp, CtCommand)>,
    audit: Option<AuditSink>,
    busy: Arc<AtomicU64>,
}

/// The service's end of the port: commands with the time the hub handed them over, oldest first.
pub struct CtCommandInbox {
    rx: Receiver<(Timestamp, CtCommand)>,
    busy: Arc<AtomicU64>,
}

/// A port and its inbox, joined by a channel of `INBOX` commands.
pub fn command_port() -> (CtCommandPort, CtCommandInbox) {
    let (tx, rx) = bounded(INBOX);
    let busy = Arc::new(AtomicU64::new(0));
    (
        CtCommandPort {
            tx,
            audit: None,
            busy: busy.clone(),
        },
        CtCommandInbox { rx, busy },
    )
}

impl CtCommandPort {
    /// A command refused for want of room is recorded in the audit trail, as the service records its own.
    pub fn with_audit(mut self, audit: AuditSink) -> Self {
        self.audit = Some(audit);
        self
    }

    /// Hands `cmd` to the service without waiting; a full (or closed) inbox refuses it, counted and audited.
    pub fn offer(&self, cmd: &CtCommand, now: Timestamp) {
        let why = match self.tx.try_send((now, cmd.clone())) {
            Ok(()) => return,
            Err(TrySendError::Full(_)) => format!("busy: {INBOX} string record commands are already waiting"),
            Err(TrySendError::Disconnected(_)) => "the CT string service has stopped".to_owned(),
        };
        self.busy.fetch_add(1, Ordering::Relaxed);
        let by = cmd.by();
        tracing::warn!(user = %by.user, unit = cmd.unit(), "{} refused: {why}", cmd.audit_action());
        if let Some(a) = &self.audit {
            let detail = format!(
                "refused: {why}; asked: {}; reason: {}",
                cmd.asked(),
                cmd.reason().trim()
            );
            a.record(AuditEntry::by(now, by, cmd.audit_action(), cmd.unit(), detail, false));
        }
    }

    /// Commands refused because the inbox was full or closed.
    pub fn refused_busy(&self) -> u64 {
        self.busy.load(Ordering::Relaxed)
    }
}

impl<C: Carries<CtCommand>> Subscriber<C> for CtCommandPort {
    fn name(&self) -> &str {
        "ctstring-commands"
    }

    fn on_updates(&mut self, _updates: &[TagUpdate], _table: &TagTable) {}

    fn on_command(&mut self, cmd: &C, now: Timestamp, _table: &TagTable) {
        if let Some(c) = cmd.carried() {
            self.offer(c, now);
        }
    }
}

impl CtCommandInbox {
    /// The waiting commands, oldest first (at most `INBOX`: what came in while this runs waits for the next).
    pub fn take(&self) -> Vec<(Timestamp, CtCommand)> {
        self.rx.try_iter().take(INBOX).collect()
    }

    /// Commands the port refused because the inbox was full or closed.
    pub fn refused_busy(&self) -> u64 {
        self.busy.load(Ordering::Relaxed)
    }
}

/// Why `cmd` is refused before it touches the string: the person's role, a missing or overlong reason, an
/// oversize CSV. `None`: go on.
pub(super) fn refusal(cmd: &CtCommand) -> Option<String> {
    let by = cmd.by();
    if !by.role.may(Action::EditStringRecord) {
        return Some(format!(
            "{} ({}) may not {}",
            by.user,
            by.role,
            Action::EditStringRecord.label()
        ));
    }
    let reason = cmd.reason().trim();
    if reason.is_empty() {
        return Some("a reason is required".to_owned());
    }
    if reason.chars().count() > MAX_REASON_CHARS {
        return Some(format!("the reason is longer than {MAX_REASON_CHARS} characters"));
    }
    if let CtCommand::Import { csv_text, .. } = cmd
        && csv_text.len() > MAX_CSV_BYTES
    {
        return Some(format!(
            "the CSV is {} bytes, more than the {MAX_CSV_BYTES} a string CSV may have",
            csv_text.len()
        ));
    }
    None
}

/// Cuts `length_ft` off `end` of the tracker's string: what was done, in the audit trail's words, or why
/// not (the string is then unchanged).
pub(super) fn cut(tracker: &mut FatigueTracker, end: StringEnd, length_ft: f64) -> Result<String, String> {
    let before = tracker.layout().length_ft();
    if !(length_ft.is_finite() && length_ft > 0.0 && length_ft < before) {
        return Err(format!(
            "a cut of {length_ft} ft: give a length more than 0 and less than the string's {before:.1} ft"
        ));
    }
    tracker.cut(end, length_ft).map_err(|e| e.to_string())?;
    Ok(format!(
        "cut {length_ft} ft off the {} end: the string is {:.1} ft (was {before:.1} ft)",
        end_words(end),
        tracker.layout().length_ft()
    ))
}

/// The tracker an import of `text` makes of `tracker`'s string (same layout, the CSV's fatigue, the CSV's
/// running feet or else the string's), and what was done; or why not. A CSV naming another reel is refused.
pub(super) fn imported(
    tracker: &FatigueTracker,
    reel_id: &str,
    text: &str,
) -> Result<(FatigueTracker, String), String> {
    let layout = Arc::clone(tracker.layout());
    let got = csv::import(text, &layout).map_err(|e| format!("the CSV at {e}"))?;
    // Into a running string only a CSV that says whose it is: another reel's fatigue would retire the wrong
    // pipe, or keep fatigued pipe in service.
    match &got.reel_id {
        Some(id) if id != reel_id => return Err(format!("the CSV is the string of reel {id}, not of reel {reel_id}")),
        Some(_) => {}
        None => {
            return Err(format!(
                "the CSV does not say which reel it is: add a line '# reel,{reel_id}'"
            ));
        }
    }
    let was_ft = tracker.running_ft();
    let running_ft = got.running_ft.unwrap_or(was_ft);
    let cells = got.damage.len();
    let new = FatigueTracker::new(layout, got.damage, running_ft).map_err(|e| e.to_string())?;
    let (max_pct, max_at) = new.max_fatigue();
    Ok((
        new,
        format!(
            "imported {cells} cells: max fatigue {max_pct:.2} % at {max_at:.1} ft; running {running_ft:.0} ft (was \
             {was_ft:.0} ft)"
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Role;
    use crate::ctstring::config::CtUnitConfig;
    use crate::ctstring::service::CtStringService;
    use crate::ctstring::store::{self, StoreSender, StringStore};
    use crate::ctstring::view::CtStringView;
    use crate::driver::{DriverLink, DriverStats, sample_channel};
    use crate::hub::Deriver;
    use crate::tag::DriverId;
    use std::sync::atomic::AtomicBool;
    use std::time::{Duration, Instant};

    const T0: Timestamp = Timestamp(1_795_000_000_000_000);

    /// The console's command type in miniature: what the hub hands every subscriber.
    struct Carried(CtCommand);

    impl Carries<CtCommand> for Carried {
        fn carried(&self) -> Option<&CtCommand> {
            Some(&self.0)
        }
    }

    fn eva() -> Actor {
        Actor::new("eva", Role::Engineer)
    }

    fn cut(by: Actor, end: StringEnd, length_ft: f64, reason: &str) -> CtCommand {
        CtCommand::Cut {
            unit: "ct01".into(),
            end,
            length_ft,
            reason: reason.into(),
            by,
        }
    }

    fn import(by: Actor, text: &str) -> CtCommand {
        CtCommand::Import {
            unit: "ct01".into(),
            csv_text: Arc::from(text),
            reason: "fatigue from the office model".into(),
            by,
        }
    }

    fn link() -> DriverLink {
        let id = DriverId(0);
        let stats = Arc::new(DriverStats::default());
        let (samples, _) = sample_channel(id, 4, stats.clone());
        let (_, commands) = bounded(1);
        let (events, _) = bounded(1);
        DriverLink {
            id,
            name: "ctstring".into(),
            samples,
            commands,
            events,
            stats,
            shutdown: Arc::new(AtomicBool::new(false)),
            tags: Vec::new(),
        }
    }

    /// The demo's CT unit (reel CT-4471: 14,000 ft in 1-ft cells, 1,000 running feet) with `damage` on its
    /// cells, its service fed by a port as the hub feeds it, and what both record for the audit trail.
    struct Rig {
        service: CtStringService,
        port: CtCommandPort,
        audit: Receiver<AuditEntry>,
        table: TagTable,
        cfg: Arc<CtUnitConfig>,
    }

    fn rig(damage: &[(usize, f64)], store: Option<StoreSender>) -> Rig {
        let project = crate::project::Project::demo().unwrap();
        let cfg = Arc::new(project.site.ct_units[0].clone());
        let layout = Arc::new(cfg.reel.layout(cfg.cell_ft).unwrap());
        let mut cells = vec![0.0; layout.cells().len()];
        for &(i, d) in damage {
            cells[i] = d;
        }
        let tracker = FatigueTracker::new(layout, cells, 1_000.0).unwrap();
        let (sink, audit) = AuditSink::channel(64);
        let (port, inbox) = command_port();
        let service = CtStringService::new(vec![(cfg.clone(), tracker)], link(), store)
            .with_commands(inbox)
            .with_audit(sink.clone());
        let mut rig = Rig {
            service,
            port: port.with_audit(sink),
            audit,
            table: TagTable::new(project.site.tags.clone()),
            cfg,
        };
        rig.tick();
        rig
    }

    impl Rig {
        fn tick(&mut self) {
            self.service.tick(T0, &self.table, &mut Vec::new());
        }

        /// `cmd` as the hub delivers it, then the service's next housekeeping tick.
        fn ask(&mut self, cmd: CtCommand) {
            Subscriber::<Carried>::on_command(&mut self.port, &Carried(cmd), T0, &self.table);
            self.tick();
        }

        fn view(&self) -> Arc<CtStringView> {
            let views = self.service.view_cell().load_full();
            views.units[0].clone()
        }

        fn audited(&self) -> Vec<AuditEntry> {
            self.audit.try_iter().collect()
        }
    }

    #[test]
    fn a_cut_from_the_console_moves_every_position_by_the_length_cut_and_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ct.db");
        let (writer, sender) = StringStore::open(&path).unwrap();
        let mut r = rig(&[(500, 0.30), (9_000, 0.55)], Some(sender));
        let before = r.view();
        assert_eq!(before.string_length_ft, 14_000.0);
        assert!((before.fatigue_pct[500] - 30.0).abs() < 1e-4);
        r.ask(cut(eva(), StringEnd::Downhole, 100.0, "tip worn after milling"));
        let after = r.view();
        assert_eq!(after.string_length_ft, 13_900.0);
        assert_eq!(after.fatigue_pct.len(), 13_900);
        // The 30 % foot was 500 ft from the tip; with 100 ft of the tip gone it is 400 ft from it now.
        assert!((after.fatigue_pct[400] - 30.0).abs() < 1e-4);
        assert!((after.fatigue_pct[8_900] - 55.0).abs() < 1e-4);
        assert_eq!(after.fatigue_pct[500], 0.0);
        assert_eq!(after.running_ft, 1_000.0);
        let note = after.last_record.as_ref().unwrap();
        assert!(note.done && note.user == "eva", "{note:?}");
        let a = r.audited();
        assert_eq!(a.len(), 1, "{a:?}");
        assert!(a[0].allowed);
        assert_eq!(
            (
                a[0].user.as_str(),
                a[0].role.as_str(),
                a[0].action.as_str(),
                a[0].target.as_str()
            ),
            ("eva", "engineer", "CT string cut", "ct01")
        );
        assert!(
            a[0].detail
                .contains("cut 100 ft off the downhole end: the string is 13900.0 ft (was 14000.0 ft)")
                && a[0].detail.ends_with("reason: tip worn after milling"),
            "{}",
            a[0].detail
        );
        // Kept: the records hold the string as cut, and the cut in its history.
        drop(r);
        writer.shutdown(Instant::now() + Duration::from_secs(5)).unwrap();
        let saved = store::load(&path, "CT-4471").unwrap().unwrap();
        assert_eq!(saved.damage.len(), 13_900);
        assert_eq!(saved.damage[400], 0.30);
        assert_eq!(saved.damage[8_900], 0.55);
        let length: f64 = saved.sections.iter().map(|s| s.length_ft).sum();
        assert!((length - 13_900.0).abs() < 1e-9, "{length}");
        assert_eq!(saved.cuts.len(), 1);
        let c = &saved.cuts[0];
        assert_eq!(
            (c.end, c.length_ft, c.user.as_str(), c.reason.as_str(), c.at),
            (StringEnd::Downhole, 100.0, "eva", "tip worn after milling", T0)
        );
    }

    #[test]
    fn a_cut_by_someone_whose_role_may_not_changes_nothing_and_is_audited_as_refused() {
        let mut r = rig(&[(500, 0.30)], None);
        r.ask(cut(
            Actor::new("ana", Role::Operator),
            StringEnd::Downhole,
            100.0,
            "tip worn",
        ));
        let v = r.view();
        assert_eq!(v.string_length_ft, 14_000.0);
        assert!((v.fatigue_pct[500] - 30.0).abs() < 1e-4);
        assert!(!v.last_record.as_ref().unwrap().done);
        let a = r.audited();
        assert_eq!(a.len(), 1, "{a:?}");
        assert!(!a[0].allowed);
        assert_eq!(
            (a[0].user.as_str(), a[0].role.as_str(), a[0].action.as_str()),
            ("ana", "operator", "CT string cut")
        );
        assert!(
            a[0].detail
                .starts_with("refused: ana (operator) may not edit CT string records"),
            "{}",
            a[0].detail
        );
        // Someone who may, with no reason, more pipe than there is or no number: refused all the same.
        r.ask(cut(eva(), StringEnd::Downhole, 100.0, "  "));
        r.ask(cut(eva(), StringEnd::Core, 14_000.0, "the whole string"));
        r.ask(cut(eva(), StringEnd::Core, f64::NAN, "a typo"));
        assert_eq!(r.view().string_length_ft, 14_000.0);
        let a = r.audited();
        assert_eq!(a.len(), 3, "{a:?}");
        assert!(
            a.iter().all(|e| !e.allowed && e.detail.starts_with("refused: ")),
            "{a:?}"
        );
        assert!(a[0].detail.contains("a reason is required"), "{}", a[0].detail);
        // The control: the same person with a reason cuts; a core cut leaves positions from the tip alone.
        r.ask(cut(eva(), StringEnd::Core, 1_000.0, "kinked at the core"));
        let v = r.view();
        assert_eq!(v.string_length_ft, 13_000.0);
        assert!((v.fatigue_pct[500] - 30.0).abs() < 1e-4);
    }

    #[test]
    fn an_import_replaces_the_strings_fatigue_and_running_feet() {
        let mut r = rig(&[(500, 0.30)], None);
        let text = "# reel,CT-4471\n# running_ft,250000\nposition_ft,fatigue_pct\n0,12.5\n13999,12.5\n";
        r.ask(import(eva(), text));
        let v = r.view();
        assert_eq!(v.fatigue_pct.len(), 14_000);
        assert!(v.fatigue_pct.iter().all(|p| (p - 12.5).abs() < 1e-4));
        assert_eq!(v.running_ft, 250_000.0);
        let a = r.audited();
        assert_eq!(a.len(), 1, "{a:?}");
        assert!(a[0].allowed && a[0].action == "CT string import", "{a:?}");
        assert!(a[0].detail.contains("imported 14000 cells"), "{}", a[0].detail);
        // The page's export writes the string as imported: read back, the same cells.
        let csv_text = v.export.as_ref().unwrap().csv();
        let layout = r.cfg.reel.layout(r.cfg.cell_ft).unwrap();
        let back = csv::import(&csv_text, &layout).unwrap();
        assert_eq!(back.reel_id.as_deref(), Some("CT-4471"));
        assert_eq!(back.running_ft, Some(250_000.0));
        assert!(back.damage.iter().all(|d| (d - 0.125).abs() < 1e-12));
    }

    #[test]
    fn an_import_of_another_reels_string_is_refused_and_changes_nothing() {
        let mut r = rig(&[(500, 0.30)], None);
        r.ask(import(eva(), "# reel,CT-9001\nposition_ft,fatigue_pct\n0,80\n"));
        let v = r.view();
        assert!((v.fatigue_pct[500] - 30.0).abs() < 1e-4);
        assert_eq!(v.fatigue_pct[0], 0.0);
        assert_eq!(v.running_ft, 1_000.0);
        let a = r.audited();
        assert_eq!(a.len(), 1, "{a:?}");
        assert!(!a[0].allowed);
        assert!(
            a[0].detail
                .contains("the CSV is the string of reel CT-9001, not of reel CT-4471"),
            "{}",
            a[0].detail
        );
        // A file that is not a string CSV (said with its line), and one too large to take: refused too.
        r.ask(import(eva(), "# reel,CT-4471\nposition_ft,fatigue_pct\n0,abc\n"));
        r.ask(import(eva(), &"x".repeat(MAX_CSV_BYTES + 1)));
        let a = r.audited();
        assert_eq!(a.len(), 2, "{a:?}");
        assert!(a.iter().all(|e| !e.allowed), "{a:?}");
        assert!(a[0].detail.contains("the CSV at line 3"), "{}", a[0].detail);
        assert!(a[1].detail.contains("more than the"), "{}", a[1].detail);
        assert_eq!(r.view().fatigue_pct[0], 0.0);
    }

    #[test]
    fn records_that_were_not_saved_are_said_on_the_page() {
        let mut r = rig(&[], None);
        assert_eq!(r.view().records_problem, None, "all saved");
        let stats = Arc::new(super::super::store::StoreStats::default());
        let service = std::mem::replace(&mut r.service, rig(&[], None).service);
        r.service = service.with_store_stats(stats.clone());
        stats.commit_errors.fetch_add(2, std::sync::atomic::Ordering::Relaxed);
        // The next view (the rig's clock stands still: a view is due when a command came or at start).
        r.ask(cut(eva(), StringEnd::Downhole, 10.0, "worn end"));
        let problem = r.view().records_problem.clone().expect("said");
        assert!(problem.contains("2 failed or refused"), "{problem}");
    }

    #[test]
    fn a_full_inbox_refuses_at_once_counted_and_audited_never_waiting() {
        let (sink, audit) = AuditSink::channel(64);
        let (port, inbox) = command_port();
        let mut port = port.with_audit(sink);
        let table = TagTable::new(crate::project::Project::demo().unwrap().site.tags.clone());
        let offer = |port: &mut CtCommandPort, length_ft: f64| {
            let c = Carried(cut(eva(), StringEnd::Downhole, length_ft, "trim"));
            Subscriber::<Carried>::on_command(port, &c, T0, &table);
        };
        // Nobody drains the inbox: a port that waited for room would never come back from the 17th offer.
        for k in 0..INBOX + 3 {
            offer(&mut port, 1.0 + k as f64);
        }
        assert_eq!((port.refused_busy(), inbox.refused_busy()), (3, 3));
        let refused: Vec<AuditEntry> = audit.try_iter().collect();
        assert_eq!(refused.len(), 3, "{refused:?}");
        assert!(
            refused
                .iter()
                .all(|e| !e.allowed && e.user == "eva" && e.detail.starts_with("refused: busy")),
            "{refused:?}"
        );
        // The first INBOX wait in order; once taken there is room again.
        let waiting = inbox.take();
        assert_eq!(waiting.len(), INBOX);
        assert!(matches!(&waiting[0].1, CtCommand::Cut { length_ft, .. } if *length_ft == 1.0));
        offer(&mut port, 99.0);
        assert_eq!(inbox.take().len(), 1);
        assert_eq!(port.refused_busy(), 3);
        // A stopped service: refused and said, never waited on.
        drop(inbox);
        offer(&mut port, 2.0);
        assert_eq!(port.refused_busy(), 4);
        assert!(
            audit
                .try_iter()
                .any(|e| e.detail.contains("the CT string service has stopped"))
        );
    }
}
