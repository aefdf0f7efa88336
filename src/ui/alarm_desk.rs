//! The console's side of the alarm system: the view it shows this frame, the operator's selection, the
//! annunciator (which tone the horn plays), the alarm pages' own state, and the actions an operator takes.
//! It never waits: views are loaded from an `ArcSwap`, journal queries go to their own thread, and the
//! actions go out through the console's context (`Console::alarm`), which sends them, says what became of
//! them, and knows who is acting and in which language. The desk keeps no copy of either.

use super::context::Console;
use crate::alarm::annunciator::{Annunciator, Horn, HornState};
use crate::alarm::def::SoundProfile;
use crate::alarm::journal::{JournalQuery, JournalRow};
use crate::alarm::kpi::KpiReport;
use crate::alarm::reader::{JournalAnswer, JournalReader, JournalRequest};
use crate::alarm::{AlarmCommand, AlarmRow, AlarmView, AlarmViewCell};
use crate::auth::Action;
use crate::hub::HubCommand;
use crate::lang::Lang;
use crate::runtime::AlarmHandle;
use crate::tag::Timestamp;
use std::sync::Arc;
use std::time::Duration;

/// An open dialog on the alarm summary page.
#[derive(Debug, Clone, PartialEq)]
pub enum Dialog {
    Shelve { id: Arc<str>, reason: String, minutes: u64 },
    OutOfService { id: Arc<str>, reason: String },
}

/// Which alarms the summary page lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StateFilter {
    #[default]
    Annunciated,
    Unacked,
    Shelved,
    Suppressed,
    OutOfService,
    All,
}

impl StateFilter {
    pub const ALL: [StateFilter; 6] = [
        StateFilter::Annunciated,
        StateFilter::Unacked,
        StateFilter::Shelved,
        StateFilter::Suppressed,
        StateFilter::OutOfService,
        StateFilter::All,
    ];

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            StateFilter::Annunciated => lang.pick("Active and unacknowledged", "Activas y sin reconocer"),
            StateFilter::Unacked => lang.pick("Unacknowledged", "Sin reconocer"),
            StateFilter::Shelved => lang.pick("Shelved", "Archivadas"),
            StateFilter::Suppressed => lang.pick("Suppressed by design", "Suprimidas por diseño"),
            StateFilter::OutOfService => lang.pick("Out of service", "Fuera de servicio"),
            StateFilter::All => lang.pick("Everything not normal", "Todo lo que no está normal"),
        }
    }

    pub fn keeps(self, r: &AlarmRow) -> bool {
        use crate::alarm::AlarmState as S;
        match self {
            StateFilter::Annunciated => r.state.is_annunciated(),
            StateFilter::Unacked => r.state.is_unacked(),
            StateFilter::Shelved => r.state == S::Shelved,
            StateFilter::Suppressed => r.state == S::SuppressedByDesign,
            StateFilter::OutOfService => r.state == S::OutOfService,
            StateFilter::All => true,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    /// Banner order: unacknowledged, priority, newest.
    #[default]
    Banner,
    Time,
    Priority,
    Tag,
    State,
}

pub struct AlarmDesk {
    cell: Option<AlarmViewCell>,
    problems: Option<crate::project::ConfigProblems>,
    pub view: Arc<AlarmView>,
    pub config_problems: Arc<Vec<String>>,
    pub selected: Option<Arc<str>>,
    annunciator: Annunciator,
    horn: Option<Horn>,
    /// The comment typed in the detail panel, sent with its Acknowledge.
    pub ack_comment: String,
    pub filter_text: String,
    pub filter_state: StateFilter,
    pub sort: SortKey,
    pub dialog: Option<Dialog>,
    reader: Option<JournalReader>,
    /// Request numbers of the newest log and KPI questions (older answers are dropped).
    gen_log: u64,
    gen_kpi: u64,
    pub log_query: String,
    pub log_hours: u32,
    pub log: Option<Result<Vec<JournalRow>, String>>,
    pub kpi_hours: u32,
    pub kpi: Option<Result<KpiReport, String>>,
    asked_log: Option<(String, u32, u64)>,
    asked_kpi: Option<(u32, u64)>,
}

/// Journal rows the history page shows at most.
pub const LOG_LIMIT: usize = 2_000;

impl AlarmDesk {
    /// The desk of one console: its horn opened when `horn` (sounding as `sound` says).
    pub fn new(alarms: Option<&AlarmHandle>, sound: SoundProfile, horn: bool) -> Self {
        let reader = alarms.and_then(|a| a.journal.clone()).and_then(|p| {
            JournalReader::start(p)
                .map_err(|e| tracing::error!(error = %e, "alarm history unavailable"))
                .ok()
        });
        let horn = horn.then(|| Horn::start(sound.volume));
        Self {
            cell: alarms.map(|a| a.view.clone()),
            problems: alarms.map(|a| a.problems.clone()),
            view: Arc::new(AlarmView::default()),
            config_problems: Arc::new(Vec::new()),
            selected: None,
            annunciator: Annunciator::new(sound),
            horn,
            ack_comment: String::new(),
            filter_text: String::new(),
            filter_state: StateFilter::default(),
            sort: SortKey::default(),
            dialog: None,
            reader,
            gen_log: 0,
            gen_kpi: 0,
            log_query: String::new(),
            log_hours: 24,
            log: None,
            kpi_hours: 24,
            kpi: None,
            asked_log: None,
            asked_kpi: None,
        }
    }

    /// Loads this frame's view and tells the horn what to sound.
    pub fn begin_frame(&mut self) {
        if let Some(c) = &self.cell {
            self.view = c.load_full();
        }
        if let Some(p) = &self.problems {
            self.config_problems = p.load_full();
        }
        let want = self.annunciator.wanted(&self.view.rows);
        if let Some(h) = &self.horn {
            h.sound(want);
        }
        if let Some(r) = &self.reader {
            for (g, a) in r.poll() {
                match a {
                    JournalAnswer::Search(rows) if g == self.gen_log => self.log = Some(rows),
                    JournalAnswer::Kpi(k) if g == self.gen_kpi => self.kpi = Some(k),
                    _ => {}
                }
            }
        }
    }

    /// Whether the horn is sounding now (or would, where there is no device).
    pub fn wants_sound(&mut self) -> Option<crate::alarm::Priority> {
        self.annunciator.wanted(&self.view.rows)
    }

    pub fn horn_state(&self) -> HornState {
        self.horn.as_ref().map_or(HornState::Unavailable, Horn::state)
    }

    pub fn has_alarm_system(&self) -> bool {
        self.cell.is_some()
    }

    pub fn row(&self, id: &str) -> Option<&AlarmRow> {
        self.view.rows.iter().find(|r| &*r.def.id == id)
    }

    pub fn acknowledge(&mut self, console: &mut Console, ids: Vec<Arc<str>>) {
        self.acknowledge_with(console, ids, String::new());
    }

    /// Acknowledges with the operator's comment (journaled with the acknowledgement).
    pub fn acknowledge_with(&mut self, console: &mut Console, ids: Vec<Arc<str>>, comment: String) {
        if ids.is_empty() {
            return;
        }
        let done = match (console.lang(), ids.len()) {
            (Lang::En, 1) => format!("acknowledged {}", ids[0]),
            (Lang::En, n) => format!("acknowledged {n} alarms"),
            (Lang::Es, 1) => format!("{} reconocida", ids[0]),
            (Lang::Es, n) => format!("{n} alarmas reconocidas"),
        };
        let by = console.actor.clone();
        console.alarm(
            AlarmCommand::Acknowledge {
                ids,
                by,
                comment: comment.trim().to_owned(),
            },
            Action::Acknowledge,
            done,
        );
    }

    /// Silences the horn here at once; the silence is journaled when the queue takes it (the horn must
    /// stop whether or not it does).
    pub fn silence(&mut self, console: &mut Console) {
        if self.annunciator.silence(&self.view.rows) {
            let by = console.actor.clone();
            let cmd = AlarmCommand::Silenced { by };
            if console.send_quietly(HubCommand::Service(cmd.into())).is_err() {
                tracing::warn!("silence not journaled: the command queue is full");
            }
            let silenced = console.lang().pick("horn silenced", "bocina silenciada");
            console.notices.say(silenced);
            if let Some(h) = &self.horn {
                h.sound(None);
            }
        }
    }

    pub fn shelve(&mut self, console: &mut Console, id: Arc<str>, minutes: u64, reason: String) {
        let by = console.actor.clone();
        let done = format!(
            "{id} {} {minutes} min",
            console.lang().pick("shelved for", "archivada por")
        );
        console.alarm(
            AlarmCommand::Shelve {
                id,
                duration: Duration::from_secs(minutes * 60),
                reason,
                by,
            },
            Action::Shelve,
            done,
        );
    }

    pub fn unshelve(&mut self, console: &mut Console, id: Arc<str>) {
        let by = console.actor.clone();
        let done = format!("{id} {}", console.lang().pick("unshelved", "desarchivada"));
        console.alarm(AlarmCommand::Unshelve { id, by }, Action::Shelve, done);
    }

    pub fn remove_from_service(&mut self, console: &mut Console, id: Arc<str>, reason: String) {
        let by = console.actor.clone();
        let done = format!("{id} {}", console.lang().pick("out of service", "fuera de servicio"));
        console.alarm(
            AlarmCommand::RemoveFromService { id, reason, by },
            Action::OutOfService,
            done,
        );
    }

    pub fn return_to_service(&mut self, console: &mut Console, id: Arc<str>) {
        let by = console.actor.clone();
        let done = format!(
            "{id} {}",
            console.lang().pick("back in service", "de nuevo en servicio")
        );
        console.alarm(AlarmCommand::ReturnToService { id, by }, Action::OutOfService, done);
    }

    /// Asks for the journal page's rows when the question changed (or every 5 s, to follow new events);
    /// without a journal, the page says so in `lang`.
    pub fn ask_log(&mut self, now: Timestamp, lang: Lang) {
        let Some(r) = &self.reader else {
            self.log = Some(Err(no_journal(lang)));
            return;
        };
        let slot = (now.0 / 5_000_000) as u64;
        let key = (self.log_query.clone(), self.log_hours, slot);
        if self.asked_log.as_ref() == Some(&key) {
            return;
        }
        self.gen_log += 1;
        let q = JournalQuery {
            from: Timestamp(now.0 - i64::from(self.log_hours) * 3_600_000_000),
            to: Timestamp(now.0 + 60_000_000),
            text: self.log_query.clone(),
            limit: LOG_LIMIT,
        };
        if r.request(self.gen_log, JournalRequest::Search(q)) {
            self.asked_log = Some(key);
        }
    }

    /// Asks for the KPI page's report when its window changed (or every 30 s).
    pub fn ask_kpi(&mut self, now: Timestamp, lang: Lang) {
        let Some(r) = &self.reader else {
            self.kpi = Some(Err(no_journal(lang)));
            return;
        };
        let slot = (now.0 / 30_000_000) as u64;
        let key = (self.kpi_hours, slot);
        if self.asked_kpi == Some(key) {
            return;
        }
        self.gen_kpi += 1;
        let req = JournalRequest::Kpi {
            from: Timestamp(now.0 - i64::from(self.kpi_hours) * 3_600_000_000),
            to: now,
        };
        if r.request(self.gen_kpi, req) {
            self.asked_kpi = Some(key);
        }
    }
}

fn no_journal(lang: Lang) -> String {
    lang.pick(
        "no alarm journal in this console",
        "esta consola no tiene diario de alarmas",
    )
    .to_owned()
}
