//! The Job page: the site's CT jobs (a list filtered by status, and a New job form), then one job at a time
//! under tabs: its fields and workflow (with its frozen statistics once completed), the operations log and
//! the crew's corrections, the fluid stages, the BHA and its schematic, non-productive time, and the ticket
//! with its signatures and PDF. Also the job marks the Trends page and the CT string page draw (`marks`).
//!
//! Reads the job writer's published `JobsView` once a frame (a lock-free load) and sends people's requests
//! through the `JobPort` as the console's user; the writer checks the role again, applies and audits each,
//! and answers by id in `JobsView::results`, which the page shows (done in green, refused in red) and says
//! as a notice. A control the user's role may not use is disabled and says who may. The page never touches
//! the job store or a file: a signature's password goes to the writer thread with its request and is
//! cleared from the dialog as it is sent; a ticket's PDF is written by the writer. Owns only view state:
//! the filter, the job shown, the tab, the open dialogs with what is typed in them, and the requests
//! awaiting their answers.

mod bha;
mod detail;
mod fluids;
pub(super) mod form;
mod list;
pub mod marks;
mod npt;
mod ops;
mod ticket;

use super::context::Console;
use super::page::{FrameInputs, PageView, ShellAction};
use super::theme;
use crate::auth::Action;
use crate::job::command::JobRequest;
use crate::job::model::SignRole;
use crate::job::view::JobsView;
use crate::job::writer::JobPort;
use crate::lang::Lang;
use crate::locale::Locale;
use crate::tag::Timestamp;
use egui::{RichText, Ui};
use std::collections::VecDeque;
use std::path::PathBuf;

/// A request with no answer after this long is said to have none (the writer answers within milliseconds,
/// and keeps only its last 20 answers).
const ANSWER_WAIT_S: f64 = 60.0;
/// Answers shown at the top of the page, newest first.
const ANSWERS_SHOWN: usize = 3;
/// Requests awaiting an answer, at most (the oldest is forgotten first).
const MAX_SENT: usize = 20;
/// How often a job asked for and not yet in the view is asked for again.
const RESELECT_S: f64 = 2.0;

/// The part of a job shown under its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Tab {
    #[default]
    Job,
    Operations,
    Fluids,
    Bha,
    Npt,
    Ticket,
}

impl Tab {
    const ALL: [Tab; 6] = [Tab::Job, Tab::Operations, Tab::Fluids, Tab::Bha, Tab::Npt, Tab::Ticket];

    fn label(self, lang: Lang) -> &'static str {
        match self {
            Tab::Job => lang.pick("Job", "Trabajo"),
            Tab::Operations => lang.pick("Operations", "Operaciones"),
            Tab::Fluids => lang.pick("Fluids", "Fluidos"),
            Tab::Bha => "BHA",
            Tab::Npt => lang.pick("NPT", "TNP"),
            Tab::Ticket => lang.pick("Ticket", "Boleta"),
        }
    }
}

/// A request sent and not answered yet: its id, what it asked (in the console's words), when.
struct Sent {
    id: u64,
    what: String,
    at: Timestamp,
}

/// An answer as the page shows it.
struct Answer {
    text: String,
    ok: bool,
}

/// The Job page's view state.
pub struct JobPage {
    port: Option<JobPort>,
    filter: Option<crate::job::model::JobStatus>,
    /// The job shown (its number); `None`: the list.
    selected: Option<String>,
    /// When the selection was last sent to the writer.
    selected_at: Timestamp,
    tab: Tab,
    sent: Vec<Sent>,
    answers: VecDeque<Answer>,
    new_job: Option<list::NewJob>,
    edit: Option<detail::EditState>,
    confirm: Option<detail::Confirm>,
    ops: ops::OpsState,
    fluids: fluids::FluidsState,
    bha: bha::BhaState,
    npt: npt::NptState,
    ticket: ticket::TicketTab,
}

impl JobPage {
    /// The page over the job writer's `port` (`None`: no job records on this console).
    pub fn new(port: Option<JobPort>) -> Self {
        Self {
            port,
            filter: None,
            selected: None,
            selected_at: Timestamp::ZERO,
            tab: Tab::default(),
            sent: Vec::new(),
            answers: VecDeque::new(),
            new_job: None,
            edit: None,
            confirm: None,
            ops: ops::OpsState::default(),
            fluids: fluids::FluidsState::default(),
            bha: bha::BhaState::default(),
            npt: npt::NptState::default(),
            ticket: ticket::TicketTab::default(),
        }
    }

    /// Shows `number` (asking the writer for its details) or, with `None`, the list. Dialogs about the
    /// job shown before close: what they were about is no longer on the screen.
    fn select(&mut self, number: Option<String>, desk: &Desk<'_>) {
        desk.port.select(number.clone());
        self.selected = number;
        self.selected_at = desk.now;
        self.tab = Tab::default();
        self.edit = None;
        self.confirm = None;
        self.ops = ops::OpsState::default();
        self.fluids = fluids::FluidsState::default();
        self.bha = bha::BhaState::default();
        self.npt = npt::NptState::default();
        self.ticket = ticket::TicketTab::default();
    }

    fn page_ui(&mut self, ui: &mut Ui, desk: &mut Desk<'_>) {
        let view = desk.port.view.load_full();
        self.take_answers(&view, desk);
        let lang = desk.lang();
        if let Some(problem) = &view.problem {
            ui.label(
                RichText::new(format!(
                    "{}: {problem}",
                    lang.pick("JOB RECORDS NOT WORKING", "REGISTROS DE TRABAJOS CON FALLA")
                ))
                .strong()
                .color(theme::JOB_REFUSED),
            );
        }
        for a in &self.answers {
            let ink = if a.ok { theme::JOB_DONE } else { theme::JOB_REFUSED };
            ui.label(RichText::new(&a.text).color(ink));
        }
        match self.selected.clone() {
            None => {
                if let Some(number) = list::list_ui(ui, &view, &mut self.filter, &mut self.new_job, desk) {
                    self.select(Some(number), desk);
                }
                list::new_job_ui(ui.ctx(), &mut self.new_job, desk);
            }
            Some(number) => self.job_ui(ui, &view, &number, desk),
        }
    }

    /// One job: the way back, its header and workflow, the tabs, the tab shown.
    fn job_ui(&mut self, ui: &mut Ui, view: &JobsView, number: &str, desk: &mut Desk<'_>) {
        let lang = desk.lang();
        let d = view.details.iter().find(|d| d.job.number == number).cloned();
        // On a cab panel (touch, 1280 × 800) the way back shares the job's title row and the workflow its
        // tabs' row, so the tab's content keeps the height it needs under the banner and the touch keys.
        let compact = desk.touch() && d.is_some();
        let back = if compact {
            ui.horizontal_wrapped(|ui| {
                let back = ui.button(lang.pick("< All jobs", "< Todos los trabajos")).clicked();
                if let Some(d) = &d {
                    detail::title_ui(ui, d, desk.loc());
                }
                back
            })
            .inner
        } else {
            ui.button(lang.pick("< All jobs", "< Todos los trabajos")).clicked()
        };
        if back {
            self.select(None, desk);
            return;
        }
        let Some(d) = d else {
            if view.jobs.iter().any(|j| j.number == number) {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label(format!("{} {number}…", lang.pick("Loading job", "Cargando el trabajo")));
                });
                if desk.now.as_secs_f64() - self.selected_at.as_secs_f64() > RESELECT_S {
                    desk.port.select(Some(number.to_owned()));
                    self.selected_at = desk.now;
                }
            } else {
                ui.label(match lang {
                    Lang::En => format!("Job {number} is not in the job records (deleted?)."),
                    Lang::Es => format!("El trabajo {number} no está en los registros (¿eliminado?)."),
                });
            }
            return;
        };
        if compact {
            detail::facts_ui(ui, &d, desk.loc());
        } else {
            detail::header_ui(ui, &d, desk.loc());
            detail::workflow_ui(ui, &d.job, desk, &mut self.confirm);
        }
        ui.horizontal_wrapped(|ui| {
            for t in Tab::ALL {
                if ui.selectable_label(self.tab == t, t.label(lang)).clicked() {
                    self.tab = t;
                }
            }
            if compact {
                ui.separator();
                detail::workflow_ui(ui, &d.job, desk, &mut self.confirm);
            }
        });
        ui.separator();
        egui::ScrollArea::vertical()
            .id_salt("job_tab")
            .auto_shrink([false, false])
            .show(ui, |ui| match self.tab {
                Tab::Job => {
                    if let Some(s) = &d.job.stats {
                        detail::stats_ui(ui, s, desk.loc());
                        ui.separator();
                    }
                    detail::fields_ui(ui, &d, &mut self.edit, desk);
                }
                Tab::Operations => ops::ops_ui(ui, &d, &mut self.ops, desk),
                Tab::Fluids => fluids::fluids_ui(ui, &d, &mut self.fluids, desk),
                Tab::Bha => bha::bha_ui(ui, &d, &mut self.bha, desk),
                Tab::Npt => npt::npt_ui(ui, &d, &mut self.npt, desk),
                Tab::Ticket => ticket::ticket_ui(ui, &d, &mut self.ticket, desk),
            });
        if detail::confirm_ui(ui.ctx(), &mut self.confirm, desk) {
            // A draft deleted: back to the list (its answer is shown there).
            self.select(None, desk);
        }
    }

    /// The answers to this page's requests that have come, shown and said; a request unanswered for too
    /// long is said to have none.
    fn take_answers(&mut self, view: &JobsView, desk: &mut Desk<'_>) {
        let lang = desk.lang();
        let now = desk.now.as_secs_f64();
        let mut i = 0;
        while i < desk.sent.len() {
            let s = &desk.sent[i];
            let answer = if let Some(r) = view.results.iter().find(|r| r.id == s.id) {
                let text = match (r.ok, r.message.trim().is_empty()) {
                    (true, true) => s.what.clone(),
                    (true, false) => r.message.clone(),
                    (false, _) => format!("{}: {} — {}", lang.pick("REFUSED", "RECHAZADO"), s.what, r.message),
                };
                Answer { text, ok: r.ok }
            } else if now - s.at.as_secs_f64() > ANSWER_WAIT_S {
                let none = lang.pick(
                    "no answer from the job records",
                    "sin respuesta de los registros de trabajos",
                );
                Answer {
                    text: format!("{}: {none}", s.what),
                    ok: false,
                }
            } else {
                i += 1;
                continue;
            };
            desk.sent.remove(i);
            desk.console.notices.say(answer.text.clone());
            self.answers.push_front(answer);
            self.answers.truncate(ANSWERS_SHOWN);
        }
    }
}

impl PageView for JobPage {
    fn ui(&mut self, ui: &mut Ui, console: &mut Console, frame: &FrameInputs<'_>) -> Option<ShellAction> {
        let Some(port) = self.port.take() else {
            off_ui(ui, console.lang());
            return None;
        };
        let mut sent = std::mem::take(&mut self.sent);
        let mut desk = Desk {
            port: &port,
            console,
            sent: &mut sent,
            now: frame.now,
        };
        self.page_ui(ui, &mut desk);
        self.sent = sent;
        self.port = Some(port);
        None
    }
}

/// No job records on this console: why, and how to have them.
fn off_ui(ui: &mut Ui, lang: Lang) {
    ui.heading(lang.pick("No job records", "Sin registros de trabajos"));
    ui.label(lang.pick(
        "CT jobs are kept beside the console's other records (jobs.db) for a site with a CT unit: a [ct.<unit>] \
         table in site.toml, and records kept (the console started with its records directory).",
        "Los trabajos de TF se guardan junto a los demás registros de la consola (jobs.db) en un sitio con una \
         unidad de TF: una tabla [ct.<unidad>] en site.toml, y registros guardados (la consola iniciada con su \
         directorio de registros).",
    ));
}

/// What the page's parts act through in one frame: the port to the job writer, the console (who acts,
/// language and units, touch, notices), the requests awaiting answers, and the frame's clock.
pub(super) struct Desk<'a> {
    port: &'a JobPort,
    pub console: &'a mut Console,
    sent: &'a mut Vec<Sent>,
    pub now: Timestamp,
}

impl Desk<'_> {
    pub fn lang(&self) -> Lang {
        self.console.lang()
    }

    pub fn loc(&self) -> Locale {
        self.console.locale()
    }

    pub fn touch(&self) -> bool {
        self.console.touch
    }

    pub fn may(&self, action: Action) -> bool {
        self.console.may(action)
    }

    /// Why this user may not do `action`, for a disabled control's hover text (empty when they may).
    pub fn refusal(&self, action: Action) -> String {
        crate::ui::alarm_pages::role_refusal(&*self.console, action).unwrap_or_default()
    }

    /// A form's context: language and units, touch, the clock.
    pub fn form(&self) -> form::FormCx {
        form::FormCx {
            loc: self.loc(),
            touch: self.touch(),
            now: self.now,
        }
    }

    /// Sends a person's request as this console's user; `what` names it in the answer. True when it went
    /// out (a full queue is said at once).
    pub fn request(&mut self, req: JobRequest, what: String) -> bool {
        let id = self.port.request(self.console.actor.clone(), req);
        self.track(id, what)
    }

    /// A signature: the password goes to the writer thread, which checks it before signing.
    pub fn sign(&mut self, user: String, password: String, role: SignRole, name: String, number: String) -> bool {
        let what = match self.lang() {
            Lang::En => format!("signature of {number} as {}", role.label(Lang::En)),
            Lang::Es => format!("firma de {number} como {}", role.label(Lang::Es)),
        };
        let id = self.port.sign(user, password, role, name, number);
        self.track(id, what)
    }

    /// The ticket's PDF written by the writer to `path`, in this console's language and units.
    pub fn export_pdf(&mut self, number: String, path: PathBuf) -> bool {
        let loc = self.loc();
        let what = match loc.lang {
            Lang::En => format!("ticket PDF of {number} to {}", path.display()),
            Lang::Es => format!("PDF de la boleta de {number} en {}", path.display()),
        };
        let id = self
            .port
            .export_pdf(self.console.actor.clone(), number, path, loc.lang, loc.units);
        self.track(id, what)
    }

    fn track(&mut self, id: Option<u64>, what: String) -> bool {
        match id {
            Some(id) => {
                if self.sent.len() >= MAX_SENT {
                    self.sent.remove(0);
                }
                self.sent.push(Sent { id, what, at: self.now });
                true
            }
            None => {
                let full = self.lang().pick(
                    "NOT SENT: the job queue is full; try again",
                    "NO ENVIADO: la cola de trabajos está llena; intente de nuevo",
                );
                self.console.notices.say(format!("{full} ({what})"));
                false
            }
        }
    }
}

/// A row of buttons' worth of width in touch mode (gloved fingers), else what the text needs.
fn wide(desk: &Desk<'_>) -> egui::Vec2 {
    if desk.touch() {
        egui::vec2(140.0, theme::TOUCH_TARGET)
    } else {
        egui::vec2(0.0, 0.0)
    }
}
