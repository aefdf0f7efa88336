//! The Production page, for a site with producing wells (`[production]`): the test separator's strip on
//! top (the test's phase, the well on it, the time in the phase, the stability against its tolerance), then
//! the field table of every well (`field`), or one well under tabs: its well tests with the tester's
//! signature, the engineer's approval or rejection and the certificate PDF (`well_tests`), its inflow curve
//! (`ipr`), its ESP on the catalogue curve (`esp`) and the decline of its rates with a forecast
//! (`decline`, drawn by `decline_plot`).
//!
//! Reads the production writer's published `ProductionView` once a frame (a lock-free load) and the hub's
//! snapshot; sends people's requests on a test through the `ProductionPort` as the console's user and shows
//! the writer's answer by request id (done in green, refused in red), as the Jobs page does; a control the
//! user's role may not use is disabled and says who may. Decline fits are asked of the decline worker and
//! its answers taken every frame the page is drawn, whatever tab it shows. The page never touches the store,
//! the historian or a file: the certificate PDF is written by the writer. Owns only view state: the table's
//! query and rows, the well and tab shown, what is typed, the requests awaiting answers.

mod decline;
mod decline_plot;
mod esp;
mod field;
mod ipr;
mod separator;
mod well_tests;

use super::context::Console;
use super::job::form::{local_text, num, qty};
use super::page::{FrameInputs, PageView, ShellAction};
use super::theme;
use crate::auth::Action;
use crate::hub::Snapshot;
use crate::lang::Lang;
use crate::locale::Locale;
use crate::production::ProductionPort;
use crate::production::command::ProductionRequest;
use crate::production::config::ProductionConfig;
use crate::production::decline::DeclineWorker;
use crate::production::view::ProductionView;
use crate::tag::Timestamp;
use egui::{RichText, Ui};
use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;

/// A request with no answer after this long is said to have none (the writer answers within milliseconds
/// and keeps its last 32 answers).
const ANSWER_WAIT_S: f64 = 60.0;
/// Answers shown at the top of the page, newest first.
const ANSWERS_SHOWN: usize = 3;
/// Requests awaiting an answer, at most (the oldest is forgotten first).
const MAX_SENT: usize = 20;

/// The part of a well shown under its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Tab {
    #[default]
    Tests,
    Ipr,
    Esp,
    Decline,
}

impl Tab {
    const ALL: [Tab; 4] = [Tab::Tests, Tab::Ipr, Tab::Esp, Tab::Decline];

    fn label(self, lang: Lang) -> &'static str {
        match self {
            Tab::Tests => lang.pick("Tests", "Pruebas"),
            Tab::Ipr => "IPR",
            // Bombeo electrosumergible.
            Tab::Esp => lang.pick("ESP", "BES"),
            Tab::Decline => lang.pick("Decline", "Declinación"),
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

/// The Production page's view state.
pub struct ProductionPage {
    port: Option<ProductionPort>,
    cfg: Option<Arc<ProductionConfig>>,
    field: field::FieldState,
    /// The well shown (its id); `None`: the field table.
    well: Option<String>,
    tab: Tab,
    sent: Vec<Sent>,
    answers: VecDeque<Answer>,
    tests: well_tests::TestsState,
    decline: decline::DeclineDesk,
}

impl ProductionPage {
    /// The page over the production writer's `port` (`None`: no well test records on this console), the
    /// site's `cfg` (`None`: a site without producing wells) and the decline `worker` (`None`: no decline).
    pub fn new(
        port: Option<ProductionPort>,
        cfg: Option<Arc<ProductionConfig>>,
        worker: Option<Arc<DeclineWorker>>,
    ) -> Self {
        Self {
            port,
            cfg,
            field: field::FieldState::default(),
            well: None,
            tab: Tab::default(),
            sent: Vec::new(),
            answers: VecDeque::new(),
            tests: well_tests::TestsState::default(),
            decline: decline::DeclineDesk::new(worker),
        }
    }

    /// Shows well `id` (or, with `None`, the field table), on its first tab; what was typed about the well
    /// shown before is dropped.
    fn open(&mut self, id: Option<String>) {
        self.well = id;
        self.tab = Tab::default();
        self.tests = well_tests::TestsState::default();
    }

    fn page_ui(&mut self, ui: &mut Ui, desk: &mut Desk<'_>) {
        let view = desk
            .port
            .map_or_else(|| Arc::new(ProductionView::default()), |p| p.view.load_full());
        self.take_answers(&view, desk);
        let lang = desk.lang();
        if desk.port.is_none() {
            ui.label(
                RichText::new(lang.pick(
                    "No well test records on this console (production.db): tests cannot be approved here.",
                    "Sin registros de pruebas de pozo en esta consola (production.db): aquí no se pueden aprobar \
                     pruebas.",
                ))
                .color(theme::text_dim()),
            );
        }
        if let Some(problem) = &view.problem {
            ui.label(
                RichText::new(format!(
                    "{}: {problem}",
                    lang.pick("WELL TEST RECORDS NOT WORKING", "REGISTROS DE PRUEBAS CON FALLA")
                ))
                .strong()
                .color(theme::JOB_REFUSED),
            );
        }
        for a in &self.answers {
            let ink = if a.ok { theme::JOB_DONE } else { theme::JOB_REFUSED };
            ui.label(RichText::new(&a.text).color(ink));
        }
        separator::strip_ui(ui, desk.cfg, desk.snap, lang);
        ui.separator();
        match self.well.clone() {
            None => {
                if let Some(id) = self.field.table_ui(ui, &view, desk) {
                    self.open(Some(id));
                }
            }
            Some(id) => self.well_ui(ui, &view, &id, desk),
        }
    }

    /// One well: the way back, its name and last test, the tabs, the tab shown.
    fn well_ui(&mut self, ui: &mut Ui, view: &ProductionView, id: &str, desk: &mut Desk<'_>) {
        let lang = desk.lang();
        let cfg = desk.cfg;
        let Some(w) = cfg.well(id) else {
            // The site was edited under the page: the well is gone.
            self.open(None);
            return;
        };
        let summary = view.wells.iter().find(|s| s.well == w.id);
        let back = ui
            .horizontal_wrapped(|ui| {
                let back = ui.button(lang.pick("< All wells", "< Todos los pozos")).clicked();
                ui.heading(w.label.as_str());
                let last = summary.and_then(|s| s.last_test.as_ref()).map_or_else(
                    || lang.pick("never tested", "nunca probado").to_owned(),
                    |t| format!("{} {}", lang.pick("last test", "última prueba"), local_text(t.m.end)),
                );
                ui.label(RichText::new(last).color(theme::text_dim()));
                let pending = summary.map_or(0, |s| s.pending);
                if pending > 0 {
                    ui.label(
                        RichText::new(match lang {
                            Lang::En => format!("{pending} pending approval"),
                            Lang::Es => format!("{pending} por aprobar"),
                        })
                        .strong(),
                    );
                }
                back
            })
            .inner;
        if back {
            self.open(None);
            return;
        }
        ui.horizontal_wrapped(|ui| {
            for t in Tab::ALL {
                if ui.selectable_label(self.tab == t, t.label(lang)).clicked() {
                    self.tab = t;
                }
            }
        });
        ui.separator();
        let tab = self.tab;
        let (tests, decline) = (&mut self.tests, &mut self.decline);
        egui::ScrollArea::vertical()
            .id_salt("production_tab")
            .auto_shrink([false, false])
            .show(ui, |ui| match tab {
                Tab::Tests => well_tests::tests_ui(ui, view, w, tests, desk),
                Tab::Ipr => ipr::ipr_ui(ui, view, w, desk.snap, desk.loc()),
                Tab::Esp => esp::esp_ui(ui, w, cfg, desk.snap, desk.loc()),
                Tab::Decline => decline.decline_ui(ui, w, desk),
            });
    }

    /// The answers to this page's requests that have come, shown and said; a request unanswered for too
    /// long is said to have none.
    fn take_answers(&mut self, view: &ProductionView, desk: &mut Desk<'_>) {
        let lang = desk.lang();
        let now = desk.now.as_secs_f64();
        let mut i = 0;
        while i < desk.sent.len() {
            let s = &desk.sent[i];
            let answer = match view.result(s.id) {
                Some(Ok(message)) => Answer {
                    text: if message.trim().is_empty() {
                        s.what.clone()
                    } else {
                        message.clone()
                    },
                    ok: true,
                },
                Some(Err(why)) => Answer {
                    text: format!("{}: {} — {why}", lang.pick("REFUSED", "RECHAZADO"), s.what),
                    ok: false,
                },
                None if now - s.at.as_secs_f64() > ANSWER_WAIT_S => Answer {
                    text: format!(
                        "{}: {}",
                        s.what,
                        lang.pick(
                            "no answer from the well test records",
                            "sin respuesta de los registros de pruebas"
                        )
                    ),
                    ok: false,
                },
                None => {
                    i += 1;
                    continue;
                }
            };
            desk.sent.remove(i);
            desk.console.notices.say(answer.text.clone());
            self.answers.push_front(answer);
            self.answers.truncate(ANSWERS_SHOWN);
        }
    }
}

impl PageView for ProductionPage {
    fn ui(&mut self, ui: &mut Ui, console: &mut Console, frame: &FrameInputs<'_>) -> Option<ShellAction> {
        // The decline worker's answers are taken whatever tab is shown, so its answers never wait on a tab.
        self.decline.poll();
        let Some(cfg) = self.cfg.clone() else {
            off_ui(ui, console.lang());
            return None;
        };
        let port = self.port.clone();
        let mut sent = std::mem::take(&mut self.sent);
        let mut desk = Desk {
            port: port.as_ref(),
            console,
            sent: &mut sent,
            now: frame.now,
            cfg: &cfg,
            snap: frame.snap,
        };
        self.page_ui(ui, &mut desk);
        self.sent = sent;
        if !self.sent.is_empty() || self.decline.waiting() {
            // Answers come from other threads: look again soon (never an immediate repaint, which would spin).
            ui.ctx().request_repaint_after(std::time::Duration::from_millis(100));
        }
        None
    }
}

/// A site without producing wells: why the page is empty, and how to have it.
fn off_ui(ui: &mut Ui, lang: Lang) {
    ui.heading(lang.pick("No producing wells", "Sin pozos productores"));
    ui.label(lang.pick(
        "Well tests, inflow curves, ESP curves and decline are shown for a site with a [production] table in \
         site.toml (its test separator, its wells and their pumps).",
        "Las pruebas de pozo, las curvas de afluencia, las curvas de las BES y la declinación se muestran en un \
         sitio con una tabla [production] en site.toml (su separador de prueba, sus pozos y sus bombas).",
    ));
}

/// What the page's parts act through in one frame: the port to the production writer, the console (who
/// acts, language and units, notices), the requests awaiting answers, the frame's clock, the site's
/// production configuration and the hub's snapshot.
pub(super) struct Desk<'a> {
    port: Option<&'a ProductionPort>,
    pub console: &'a mut Console,
    sent: &'a mut Vec<Sent>,
    pub now: Timestamp,
    pub cfg: &'a ProductionConfig,
    pub snap: &'a Snapshot,
}

impl Desk<'_> {
    pub fn lang(&self) -> Lang {
        self.console.lang()
    }

    pub fn loc(&self) -> Locale {
        self.console.locale()
    }

    pub fn may(&self, action: Action) -> bool {
        self.console.may(action)
    }

    /// Why this user may not do `action`, for a disabled control's hover text (empty when they may).
    pub fn refusal(&self, action: Action) -> String {
        crate::ui::alarm_pages::role_refusal(&*self.console, action).unwrap_or_default()
    }

    /// Sends a person's request on a test as this console's user; `what` names it in the answer. True when
    /// it went out (a full queue, or no records, is said at once).
    pub fn request(&mut self, req: ProductionRequest, what: String) -> bool {
        let id = self.port.and_then(|p| p.request(self.console.actor.clone(), req));
        self.track(id, what)
    }

    /// Test `test`'s certificate PDF written by the writer to `path`, in this console's language and units.
    pub fn export_pdf(&mut self, test: i64, path: PathBuf) -> bool {
        let loc = self.loc();
        let what = match loc.lang {
            Lang::En => format!("certificate PDF of well test {test} to {}", path.display()),
            Lang::Es => format!("PDF del certificado de la prueba {test} en {}", path.display()),
        };
        let actor = self.console.actor.clone();
        let id = self
            .port
            .and_then(|p| p.export_pdf(actor, test, path, loc.lang, loc.units));
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
                let why = if self.port.is_some() {
                    self.lang().pick(
                        "NOT SENT: the well test records are busy; try again",
                        "NO ENVIADO: los registros de pruebas están ocupados; intente de nuevo",
                    )
                } else {
                    self.lang().pick(
                        "NOT SENT: no well test records on this console",
                        "NO ENVIADO: sin registros de pruebas en esta consola",
                    )
                };
                self.console.notices.say(format!("{why} ({what})"));
                false
            }
        }
    }
}

/// A ratio of a measured test (GOR, WOR, water cut): its divisor was zero when it is `None`, which is said
/// as "undefined", never infinity; "----" when there is no test at all (`measured` false). In a table's
/// cell (`with_unit` false) the unit is the header's.
fn ratio_text(loc: Locale, unit: &str, value: Option<f64>, decimals: usize, measured: bool) -> String {
    match value.filter(|v| v.is_finite()) {
        Some(_) => qty(loc, unit, value, decimals),
        None if measured => loc.lang.pick("undefined", "indefinido").to_owned(),
        None => "----".to_owned(),
    }
}

/// A fraction shown as a percentage ("37.5 %"), "undefined" or "----" as `ratio_text` says.
fn pct_text(lang: Lang, fraction: Option<f64>, measured: bool) -> String {
    match fraction.filter(|v| v.is_finite()) {
        Some(f) => format!("{:.1} %", 100.0 * f),
        None if measured => lang.pick("undefined", "indefinido").to_owned(),
        None => "----".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::UnitSystem;

    #[test]
    fn ratios_without_a_divisor_are_undefined_never_infinite() {
        let loc = Locale {
            lang: Lang::Es,
            units: UnitSystem::Oilfield,
        };
        // (value, a test was measured) → text
        let table = [
            (Some(850.0), true, "850 scf/STB"),
            (None, true, "indefinido"),
            (None, false, "----"),
            (Some(f64::INFINITY), true, "indefinido"),
        ];
        for (value, measured, text) in table {
            assert_eq!(
                ratio_text(loc, "scf/STB", value, 0, measured),
                text,
                "{value:?} {measured}"
            );
        }
        assert_eq!(pct_text(Lang::En, Some(0.375), true), "37.5 %");
        assert_eq!(pct_text(Lang::En, None, true), "undefined");
    }
}
