//! Who is at the console: login, logout, idle auto-logout and operator hand-over.
//!
//! With a user store the console starts view-only until someone logs in. Passwords are checked on a
//! short-lived thread (Argon2 takes tens of milliseconds by design; the UI never waits on it) and every
//! login, failed login (with its real cause), lockout, logout and hand-over goes to the audit trail through
//! the hub. Failed logins in a row at this console make each further try wait longer before it is
//! answered (`backoff`), whatever the name typed; the store locks an account on its own count. Without a
//! user store the console acts as the one user given on the command line, as before logins existed.
//!
//! Who is acting is the console's (`Console::actor`): the session changes it on a login, a hand-over or a
//! logout and sends its audit records through the console's sender; it keeps no copy of either.

use super::context::Console;
use super::theme;
use crate::auth::audit::AuditEntry;
use crate::auth::users::{FailReason, UserError, UserStoreConfig};
use crate::auth::{Actor, Role};
use crate::lang::Lang;
use crate::tag::Timestamp;
use crossbeam_channel::{Receiver, TryRecvError};
use egui::{RichText, Ui};
use std::time::Duration;

/// How long the next login try at a console waits before its answer, after `failures` in a row: nothing
/// up to `after`, then 1 s, doubling, at most 30 s.
pub fn backoff(failures: u32, after: u32) -> Duration {
    match failures.checked_sub(after) {
        None => Duration::ZERO,
        Some(extra) => Duration::from_secs(1u64 << extra.min(5)).min(Duration::from_secs(30)),
    }
}

/// The user shown while nobody is logged in.
pub const VIEW_ONLY: &str = "view-only";

pub fn view_only() -> Actor {
    Actor::new(VIEW_ONLY, Role::Viewer)
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoginDialog {
    pub user: String,
    pub password: String,
    pub error: Option<String>,
}

pub struct Session {
    /// The user store; `None`: no logins (the command line's user acts).
    users: Option<UserStoreConfig>,
    idle_logout: Duration,
    /// Failed logins in a row at this console, and after how many each try waits.
    failures: u32,
    backoff_after: u32,
    pub dialog: Option<LoginDialog>,
    checking: Option<(String, Receiver<Result<Actor, UserError>>)>,
    last_activity: Timestamp,
}

/// An audit record of a session event, through the hub (the dialog's messages are worded in the console's
/// language; the audit trail keeps English).
fn record(console: &Console, by: &Actor, action: &str, detail: String, allowed: bool, now: Timestamp) {
    let entry = AuditEntry::by(now, by, action, "console", detail, allowed);
    if console.record(entry).is_err() {
        tracing::error!(user = %by.user, action, "command queue full: this session event is in the log only");
    }
}

impl Session {
    pub fn new(users: Option<UserStoreConfig>, idle_logout: Duration, backoff_after: u32) -> Self {
        Self {
            users,
            idle_logout,
            failures: 0,
            backoff_after,
            dialog: None,
            checking: None,
            last_activity: Timestamp::ZERO,
        }
    }

    pub fn logins(&self) -> bool {
        self.users.is_some()
    }

    pub fn checking(&self) -> bool {
        self.checking.is_some()
    }

    /// Logs the console's user out (recorded); the console goes view-only.
    pub fn logout(&self, console: &mut Console, why: &str, now: Timestamp) {
        if console.actor.user == VIEW_ONLY {
            return;
        }
        record(console, &console.actor, "logout", why.to_owned(), true, now);
        tracing::info!(user = %console.actor.user, "{why}");
        console.actor = view_only();
    }

    /// Starts checking the dialog's name and password off the UI thread (a failure to start is said in
    /// `lang`).
    fn submit(&mut self, lang: Lang) {
        let (Some(store), Some(d)) = (&self.users, &mut self.dialog) else {
            return;
        };
        let name = d.user.trim().to_owned();
        let password = std::mem::take(&mut d.password);
        let (tx, rx) = crossbeam_channel::bounded(1);
        let store = store.clone();
        let who = name.clone();
        // The answer comes no sooner than the back-off, whatever it is (and never at once: `check_login`).
        let wait = backoff(self.failures, self.backoff_after);
        let spawned = std::thread::Builder::new().name("login-check".into()).spawn(move || {
            let _ = tx.send(store.check_login(&who, &password, wait));
        });
        match spawned {
            Ok(_) => self.checking = Some((name, rx)),
            Err(e) => {
                let cannot = lang.pick("could not check the password", "no se pudo verificar la contraseña");
                d.error = Some(format!("{cannot}: {e}"));
            }
        }
    }

    /// Once per frame: idle logout, and the answer of a password check.
    pub fn tick(&mut self, ui: &Ui, console: &mut Console, now: Timestamp) {
        let active = ui.input(|i| !i.events.is_empty() || i.pointer.is_moving() || i.pointer.any_down());
        if active || self.last_activity == Timestamp::ZERO {
            self.last_activity = now;
        }
        if self.logins()
            && console.actor.user != VIEW_ONLY
            && !self.idle_logout.is_zero()
            && now.saturating_since(self.last_activity) >= self.idle_logout
        {
            let mins = self.idle_logout.as_secs() / 60;
            self.logout(console, &format!("no input for {mins} min: logged out"), now);
        }
        let Some((name, rx)) = &self.checking else { return };
        let lang = console.lang();
        let mut locked = None;
        let answer = match rx.try_recv() {
            Ok(Ok(a)) => Ok(a),
            // (audit detail in English with the real cause; the person reads the same words whatever it was)
            Ok(Err(UserError::LoginFailed(why))) => {
                if let FailReason::LockedNow { .. } = &why {
                    locked = Some(why.to_string());
                }
                Err((
                    why.to_string(),
                    lang.pick(
                        "wrong user name or password, or the account is disabled or locked",
                        "usuario o contraseña incorrectos, o la cuenta está deshabilitada o bloqueada",
                    )
                    .to_owned(),
                ))
            }
            Ok(Err(e)) => {
                let store = lang.pick(
                    "the user store cannot be read",
                    "no se puede leer el almacén de usuarios",
                );
                Err((e.to_string(), format!("{store}: {e}")))
            }
            Err(TryRecvError::Empty) => {
                ui.ctx().request_repaint_after(Duration::from_millis(50));
                return;
            }
            Err(TryRecvError::Disconnected) => Err((
                "the password check stopped".to_owned(),
                lang.pick(
                    "the password check stopped",
                    "la verificación de la contraseña se detuvo",
                )
                .to_owned(),
            )),
        };
        let name = name.clone();
        self.checking = None;
        match answer {
            Ok(new) => {
                self.failures = 0;
                if console.actor.user == VIEW_ONLY {
                    record(console, &new, "login", String::new(), true, now);
                } else {
                    // Hand-over: the outgoing user stays logged in until the incoming one is verified.
                    let detail = format!("from {} ({})", console.actor.user, console.actor.role);
                    record(console, &new, "hand-over", detail, true, now);
                }
                tracing::info!(user = %new.user, role = %new.role, "logged in");
                console.actor = new;
                self.dialog = None;
                self.last_activity = now;
            }
            Err((why, shown)) => {
                self.failures = self.failures.saturating_add(1);
                let attempted = Actor::new(name, Role::Viewer);
                record(console, &attempted, "login", why, false, now);
                if let Some(detail) = locked {
                    record(console, &attempted, "account locked", detail, true, now);
                }
                if let Some(d) = &mut self.dialog {
                    d.error = Some(shown);
                }
            }
        }
    }

    /// The user's corner of the navigation bar: who is logged in and the session buttons.
    pub fn corner_ui(&mut self, ui: &mut Ui, console: &mut Console, now: Timestamp) {
        let lang = console.lang();
        let who = format!("{} ({})", console.actor.user, console.actor.role.label(lang));
        if !self.logins() {
            ui.label(RichText::new(who).color(theme::text_dim()));
            return;
        }
        if console.actor.user == VIEW_ONLY {
            if ui
                .button(RichText::new(lang.pick("Log in…", "Iniciar sesión…")).strong())
                .clicked()
            {
                self.dialog = Some(LoginDialog::default());
            }
            ui.label(
                RichText::new(lang.pick("VIEW ONLY", "SOLO LECTURA"))
                    .strong()
                    .color(theme::text_dim()),
            );
        } else {
            if ui.button(lang.pick("Log out", "Cerrar sesión")).clicked() {
                self.logout(console, "logged out", now);
            }
            if ui
                .button(lang.pick("Hand over", "Relevo"))
                .on_hover_text(lang.pick(
                    "The next operator logs in; you stay logged in until they do",
                    "El siguiente operador inicia sesión; usted sigue conectado hasta que lo haga",
                ))
                .clicked()
            {
                self.dialog = Some(LoginDialog::default());
            }
            ui.label(RichText::new(who).strong());
        }
    }

    pub fn dialog_ui(&mut self, ctx: &egui::Context, console: &Console) {
        let (actor, lang) = (&console.actor, console.lang());
        let Some(mut d) = self.dialog.take() else { return };
        let mut keep = true;
        let mut submit = false;
        let busy = self.checking();
        egui::Modal::new(egui::Id::unique("login_dialog")).show(ctx, |ui| {
            ui.set_width(380.0);
            ui.heading(if actor.user == VIEW_ONLY {
                lang.pick("Log in to the console", "Iniciar sesión en la consola")
            } else {
                lang.pick("Hand over to the next user", "Relevo al siguiente usuario")
            });
            if actor.user != VIEW_ONLY {
                ui.label(match lang {
                    Lang::En => format!(
                        "{} stays logged in until the next user's password is accepted.",
                        actor.user
                    ),
                    Lang::Es => format!(
                        "{} sigue conectado hasta que se acepte la contraseña del siguiente usuario.",
                        actor.user
                    ),
                });
            }
            let l = ui.label(lang.pick("User name:", "Usuario:"));
            ui.add(egui::TextEdit::singleline(&mut d.user).desired_width(360.0))
                .labelled_by(l.id);
            let l = ui.label(lang.pick("Password:", "Contraseña:"));
            let pw = ui.add(
                egui::TextEdit::singleline(&mut d.password)
                    .password(true)
                    .desired_width(360.0),
            );
            let pw = pw.labelled_by(l.id);
            let enter = pw.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if let Some(e) = &d.error {
                ui.label(RichText::new(e).color(theme::ALARM_CRITICAL));
            }
            ui.horizontal(|ui| {
                let ready = !busy && !d.user.trim().is_empty() && !d.password.is_empty();
                if ui
                    .add_enabled(
                        ready,
                        egui::Button::new(RichText::new(lang.pick("Log in", "Entrar")).strong()),
                    )
                    .clicked()
                    || (ready && enter)
                {
                    submit = true;
                }
                if ui.button(lang.pick("Cancel", "Cancelar")).clicked() {
                    keep = false;
                }
                if busy {
                    ui.spinner();
                }
            });
        });
        if keep {
            d.error = if submit { None } else { d.error };
            self.dialog = Some(d);
            if submit {
                self.submit(lang);
            }
        }
    }
}
