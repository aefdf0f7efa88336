//! The console's context: what every page and desk of one console shares, handed to each page's `ui`
//! (egui's demo hands its views a `&mut Ui`; rerun hands its views a `ViewerContext`).
//!
//! It owns the console-wide settings a person switches at runtime (who is acting, language and units,
//! touch mode, the sunlight palette) and the one way this console's commands reach the hub: the sender,
//! with the notice that says what became of each command. Pages and desks borrow it while they draw and
//! keep no copy of a setting or a sender of their own, so a switched language, a login or touch mode is
//! seen by every page in the same frame, and every command is announced the same way.
//!
//! It never waits (`try_send`); a command that did not go out is said in a notice, never lost silently.
//! It knows no page's state and draws nothing but, through `Notices`, the toasts.

use super::notices::{Notices, WriteNotice};
use crate::alarm::AlarmCommand;
use crate::alarm::def::SoundProfile;
use crate::auth::audit::AuditEntry;
use crate::auth::{Action, Actor};
use crate::hub::{HubCommand, NotSent, Snapshot};
use crate::lang::Lang;
use crate::locale::Locale;
use crate::runtime::{Commands, Service};
use crate::tag::{TagId, Value};
use crate::trip::TripCommand;
use std::time::Duration;

/// A console nobody touches for this long goes back to view-only (a shift change left unattended).
pub const DEFAULT_IDLE_LOGOUT: Duration = Duration::from_secs(15 * 60);

/// How a console starts: who sits at it, how it speaks and sounds, and where it keeps its records. The
/// runtime-switchable parts become the `Console`; the rest is read once by the part that owns it (the
/// session, the alarm desk's horn, the Audit page, the screen windows).
#[derive(Debug, Clone)]
pub struct ConsoleSettings {
    pub actor: Actor,
    pub lang: Lang,
    pub sound: SoundProfile,
    /// Open the audio device (off in tests: no horn is shown as SOUND UNAVAILABLE).
    pub horn: bool,
    /// The user store: with one, the console starts view-only and people log in (`None`: `actor` acts).
    pub users: Option<crate::auth::users::UserStoreConfig>,
    /// A logged-in user with no input for this long is logged out (zero: never).
    pub idle_logout: Duration,
    /// The audit trail the Audit page reads (`None`: not kept).
    pub audit: Option<crate::auth::audit::AuditTrail>,
    /// Where this console remembers its screen windows (`None`: not remembered).
    pub layout: Option<std::path::PathBuf>,
    /// Failed logins in a row at this console after which each further try waits longer.
    pub backoff_after: u32,
    /// Touch mode (cab panels): large targets and the keypad's large keys. Switchable at runtime.
    pub touch: bool,
    /// The high-contrast sunlight palette. Switchable at runtime.
    pub sunlight: bool,
    /// Oilfield or SI units for what people read and type. Switchable at runtime.
    pub units: crate::units::UnitSystem,
}

impl Default for ConsoleSettings {
    fn default() -> Self {
        Self {
            actor: Actor::from_os(crate::auth::Role::Operator),
            lang: Lang::En,
            sound: SoundProfile::default_for("control-room"),
            horn: false,
            users: None,
            idle_logout: DEFAULT_IDLE_LOGOUT,
            audit: None,
            layout: None,
            backoff_after: 3,
            touch: false,
            sunlight: false,
            units: crate::units::UnitSystem::Oilfield,
        }
    }
}

/// A command that did not reach the hub's queue, as the console says it (English, Spanish). Notices in
/// capitals ("NOT SENT") are shown as failures (`Notices::say`).
type Wording = (&'static str, &'static str);

/// Writes and trip actions that did not go out.
const NOT_SENT: Wording = (
    "NOT SENT: the console's command queue is full; try again",
    "NO ENVIADO: la cola de comandos de la consola está llena; intente de nuevo",
);

/// Alarm actions that did not go out: their own words, as operators know them from the alarm pages.
const ALARM_NOT_SENT: Wording = (
    "COMMAND NOT SENT: the command queue is full or closed; try again",
    "COMANDO NO ENVIADO: la cola de comandos está llena o cerrada; intente de nuevo",
);

/// One console's settings, its sender and its notices (see the module's doc).
pub struct Console {
    /// Who acts at this console now (view-only while nobody is logged in, where there are logins).
    pub actor: Actor,
    /// Language and units.
    pub locale: Locale,
    /// Touch mode (cab panels): large targets and the keypad's large keys.
    pub touch: bool,
    /// The high-contrast sunlight palette.
    pub sunlight: bool,
    /// What became of this console's actions, shown as toasts.
    pub notices: Notices,
    commands: Commands,
}

impl Console {
    /// The console as `settings` start it, sending through `commands`.
    pub fn new(settings: &ConsoleSettings, commands: Commands) -> Self {
        Self {
            actor: settings.actor.clone(),
            locale: Locale {
                lang: settings.lang,
                units: settings.units,
            },
            touch: settings.touch,
            sunlight: settings.sunlight,
            notices: Notices::default(),
            commands,
        }
    }

    pub fn lang(&self) -> Lang {
        self.locale.lang
    }

    /// Language and units together.
    pub fn locale(&self) -> Locale {
        self.locale
    }

    /// Whether this console's user may do `action` (buttons are disabled when not).
    pub fn may(&self, action: Action) -> bool {
        self.actor.role.may(action)
    }

    /// Sends `cmd`; its notice says `done`, or that it did not go out. True when it went out.
    pub fn send(&mut self, cmd: HubCommand<Service>, done: impl Into<String>) -> bool {
        let sent = self.deliver(cmd, NOT_SENT);
        if sent {
            self.notices.say(done);
        }
        sent
    }

    /// The operator's write of `value` to `tag`, as this console's user: the hub checks the role and
    /// audits it. Its notice follows it ("sent", then the driver's outcome).
    pub fn write(&mut self, snap: &Snapshot, tag: TagId, value: Value) {
        let loc = self.locale;
        let def = snap.directory.get(tag);
        let name = def.map_or("?", |d| d.name.as_str()).to_owned();
        let shown = def.map_or_else(
            || value.to_string(),
            |d| loc.value_text(&d.unit, Some(&value), d.decimals),
        );
        let notice = WriteNotice {
            tag,
            value: value.clone(),
            name,
            shown,
        };
        let by = self.actor.clone();
        if self.deliver(HubCommand::OperatorWrite { tag, value, by }, NOT_SENT) {
            self.notices.write_sent(notice, loc.lang);
        }
    }

    /// An alarm action `done` says. One the role does not allow is still sent, so the engine journals the
    /// refusal, and the notice says it was refused rather than done.
    pub fn alarm(&mut self, cmd: AlarmCommand, action: Action, done: String) {
        let allowed = self.may(action);
        if !self.deliver(HubCommand::Service(cmd.into()), ALARM_NOT_SENT) {
            return;
        }
        let said = if allowed { done } else { self.refused_text(action) };
        self.notices.say(said);
    }

    /// What a refusal of `action` to this console's user says ("REFUSED: ana (operator) may not …").
    pub fn refused_text(&self, action: Action) -> String {
        let lang = self.lang();
        format!(
            "{}: {} ({}) {} {}",
            lang.pick("REFUSED", "RECHAZADO"),
            self.actor.user,
            self.actor.role.label(lang),
            lang.pick("may not", "no puede"),
            action.label_in(lang)
        )
    }

    /// A trip or E-stop action `done` says (the trip engine checks the role and records it).
    pub fn trip(&mut self, cmd: TripCommand, done: String) {
        self.send(HubCommand::Service(cmd.into()), done);
    }

    /// Sends `cmd` with no notice, for what the operator did not ask to be told about (a journal line, a
    /// driver command whose page says the outcome itself); the caller decides what a not-sent means.
    pub fn send_quietly(&self, cmd: HubCommand<Service>) -> Result<(), NotSent> {
        self.commands.try_send(cmd)
    }

    /// An entry for the audit trail, through the hub (the trail has one writer feed); no notice.
    pub fn record(&self, entry: AuditEntry) -> Result<(), NotSent> {
        self.send_quietly(HubCommand::Record(entry))
    }

    /// Sends `cmd`; a command that did not go out is said in `not_sent`. True when it went out.
    fn deliver(&mut self, cmd: HubCommand<Service>, not_sent: Wording) -> bool {
        match self.commands.try_send(cmd) {
            Ok(()) => true,
            Err(_) => {
                let (en, es) = not_sent;
                self.notices.say(self.locale.pick(en, es));
                false
            }
        }
    }
}
