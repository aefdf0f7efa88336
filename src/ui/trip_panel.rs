//! Trips and E-stops on the console: the trip strip under the alarm banner (on every page, with the E-STOP
//! buttons), the two-step E-stop confirmation, and the Trips page (reset, bypass, outputs, recent events).
//!
//! Reads the published `TripView` and sends `HubCommand::Trip` without waiting; the trip engine on the hub
//! thread decides, checks roles and records. Owns only view state (which dialog is open).

use super::theme;
use crate::auth::{Action, Actor};
use crate::hub::HubCommand;
use crate::lang::{Lang, Locale};
use crate::tag::Timestamp;
use crate::trip::{Cause, OutputStatus, TripCommand, TripStatus, TripView, TripViewCell};
use crate::units::UnitSystem;
use crossbeam_channel::Sender;
use egui::{Color32, RichText, Ui};
use std::sync::Arc;
use std::time::Duration;

/// The E-stop button's face: big enough for a gloved thumb on a cab panel.
const ESTOP_SIZE: egui::Vec2 = egui::vec2(170.0, 40.0);
const BYPASS_CHOICES_MIN: [u64; 6] = [15, 30, 60, 120, 240, 480];

#[derive(Debug, Clone, PartialEq)]
pub enum TripDialog {
    /// Step two of an E-stop: the operator confirms.
    ConfirmEstop {
        id: Arc<str>,
    },
    Bypass {
        id: Arc<str>,
        reason: String,
        minutes: u64,
    },
}

pub struct TripDesk {
    view: Option<TripViewCell>,
    pub current: Arc<TripView>,
    commands: Sender<HubCommand>,
    pub dialog: Option<TripDialog>,
    pub notice: Option<String>,
    /// The console's language and units, set by the shell each frame (notices are worded in it).
    pub loc: Locale,
}

impl TripDesk {
    pub fn new(view: Option<TripViewCell>, commands: Sender<HubCommand>) -> Self {
        let current = view.as_ref().map_or_else(Default::default, |v| v.load_full());
        Self {
            view,
            current,
            commands,
            dialog: None,
            notice: None,
            loc: Locale::default(),
        }
    }

    pub fn begin_frame(&mut self) {
        if let Some(v) = &self.view {
            self.current = v.load_full();
        }
    }

    pub fn has_any(&self) -> bool {
        !(self.current.trips.is_empty() && self.current.estops.is_empty())
    }

    fn send(&mut self, cmd: TripCommand, done: String) {
        self.notice = Some(match self.commands.try_send(HubCommand::Trip(cmd)) {
            Ok(()) => done,
            Err(_) => self
                .loc
                .pick(
                    "NOT SENT: the console's command queue is full; try again",
                    "NO ENVIADO: la cola de comandos de la consola está llena; intente de nuevo",
                )
                .to_owned(),
        });
    }

    pub fn estop(&mut self, id: Arc<str>, by: &Actor) {
        let by = by.clone();
        let sent = self.loc.pick("sent", "enviado");
        self.send(TripCommand::Estop { id: id.clone(), by }, format!("E-STOP {id} {sent}"));
    }

    fn reset_sent(&self, id: &str) -> String {
        match self.loc.lang {
            Lang::En => format!("reset of {id} sent"),
            Lang::Es => format!("restablecimiento de {id} enviado"),
        }
    }

    pub fn reset(&mut self, id: Arc<str>, by: &Actor) {
        let by = by.clone();
        let done = self.reset_sent(&id);
        self.send(TripCommand::Reset { id, by }, done);
    }

    pub fn reset_estop(&mut self, id: Arc<str>, by: &Actor) {
        let by = by.clone();
        let done = self.reset_sent(&id);
        self.send(TripCommand::ResetEstop { id, by }, done);
    }
}

fn status_colour(s: TripStatus, lang: Lang) -> (Color32, &'static str) {
    match s {
        TripStatus::Tripped => (theme::ALARM_CRITICAL, lang.pick("TRIPPED", "DISPARADO")),
        TripStatus::Pending => (theme::ALARM_HIGH, lang.pick("PENDING", "PENDIENTE")),
        TripStatus::InputBad => (theme::QUALITY_BAD, lang.pick("INPUT BAD", "ENTRADA MALA")),
        TripStatus::Bypassed => (theme::ALARM_MEDIUM, lang.pick("BYPASSED", "PUENTEADO")),
        TripStatus::Normal => (theme::STATE_OK, "normal"),
    }
}

/// A rule's condition as the operator reads it: as written on an oilfield console (the file's own
/// words), rebuilt with converted limits where the console's units differ from a tag's.
pub fn condition_text(def: &crate::trip::TripDef, directory: &crate::tag::TagDirectory, units: UnitSystem) -> String {
    use crate::trip::def::Cond;
    fn needs(c: &Cond, d: &crate::tag::TagDirectory, units: UnitSystem) -> bool {
        let converted = |t| d.get(t).is_some_and(|def| !units.shown(&def.unit).is_identity());
        match c {
            Cond::Cmp(c) => converted(c.tag),
            Cond::Rate { tag, .. } => converted(*tag),
            Cond::All(v) | Cond::Any(v) => v.iter().any(|c| needs(c, d, units)),
        }
    }
    fn text(c: &Cond, d: &crate::tag::TagDirectory, units: UnitSystem, nested: bool) -> String {
        let name = |t| d.get(t).map_or("?", |def| def.name.as_str());
        let shown = |t| units.shown(d.get(t).map_or("", |def| def.unit.as_str()));
        let decimals = |t| d.get(t).map_or(0, |def| def.decimals);
        match c {
            Cond::Cmp(c) => {
                let s = shown(c.tag);
                let value = match c.value.as_f64() {
                    Some(x) if !s.is_identity() => {
                        format!("{:.d$} {}", s.value(x), s.unit, d = s.decimals(decimals(c.tag)))
                    }
                    _ => c.value.to_string(),
                };
                format!("{} {} {value}", name(c.tag), c.op.symbol())
            }
            Cond::Rate { tag, op, per_min, .. } => {
                let s = shown(*tag);
                let d = s.decimals(decimals(*tag));
                format!(
                    "rate({}) {} {:.d$} {}/min",
                    name(*tag),
                    op.symbol(),
                    s.delta(*per_min),
                    s.unit
                )
            }
            Cond::All(v) | Cond::Any(v) => {
                let join = if matches!(c, Cond::All(_)) { " and " } else { " or " };
                let inner: Vec<String> = v.iter().map(|c| text(c, d, units, true)).collect();
                let s = inner.join(join);
                if nested { format!("({s})") } else { s }
            }
        }
    }
    if needs(&def.cond, directory, units) {
        text(&def.cond, directory, units, false)
    } else {
        def.source.to_string()
    }
}

fn chip(ui: &mut Ui, text: &str, fill: Color32) -> egui::Response {
    let on = if fill == theme::ALARM_MEDIUM {
        theme::text()
    } else {
        theme::ON_CHIP
    };
    egui::Frame::default()
        .fill(fill)
        .corner_radius(3.0)
        .inner_margin(egui::Margin::symmetric(6, 2))
        .show(ui, |ui| ui.label(RichText::new(text).color(on).strong()))
        .response
}

/// Height of the trip strip (0 when the site has no trips or E-stops).
pub fn strip_height(desk: &TripDesk) -> f32 {
    if desk.has_any() { 48.0 } else { 0.0 }
}

/// What the strip asks of the shell.
pub enum StripAction {
    None,
    OpenTrips,
}

/// The strip: trip and E-stop state, and the E-STOP buttons. Drawn on every page.
pub fn strip_ui(ui: &mut Ui, desk: &mut TripDesk, lang: Lang) -> StripAction {
    let mut action = StripAction::None;
    let view = desk.current.clone();
    ui.horizontal_centered(|ui| {
        let estops: Vec<_> = view.active_estops().collect();
        let tripped: Vec<_> = view.tripped().collect();
        for e in &estops {
            let who = e
                .latch
                .as_ref()
                .and_then(|l| l.by.as_ref())
                .map_or("", |a| a.user.as_str());
            if chip(
                ui,
                &format!(
                    "{}: {} ({who})",
                    lang.pick("E-STOP ACTIVE", "PARO DE EMERGENCIA ACTIVO"),
                    e.def.label.get(lang)
                ),
                theme::ALARM_CRITICAL,
            )
            .interact(egui::Sense::click())
            .clicked()
            {
                action = StripAction::OpenTrips;
            }
        }
        for t in tripped.iter().take(3) {
            let first = t.latch.as_ref().is_some_and(|l| l.first_out);
            let text = format!(
                "{}: {}{}",
                lang.pick("TRIPPED", "DISPARADO"),
                t.def.name.get(lang),
                if first { lang.pick("  1ST OUT", "  PRIMERO") } else { "" }
            );
            if chip(ui, &text, theme::ALARM_CRITICAL)
                .interact(egui::Sense::click())
                .clicked()
            {
                action = StripAction::OpenTrips;
            }
        }
        if tripped.len() > 3 {
            ui.label(RichText::new(format!("+{} {}", tripped.len() - 3, lang.pick("more", "más"))).strong());
        }
        let unconfirmed = view.unconfirmed_outputs();
        if unconfirmed > 0 {
            chip(
                ui,
                &format!(
                    "{unconfirmed} {}",
                    lang.pick("TRIP OUTPUT(S) NOT CONFIRMED", "SALIDA(S) DE DISPARO SIN CONFIRMAR")
                ),
                theme::QUALITY_BAD,
            );
        }
        for (status, _) in [
            (TripStatus::Pending, ()),
            (TripStatus::InputBad, ()),
            (TripStatus::Bypassed, ()),
        ] {
            let n = view.count(status);
            if n > 0 {
                let (c, label) = status_colour(status, lang);
                chip(ui, &format!("{n} {label}"), c);
            }
        }
        if estops.is_empty() && tripped.is_empty() && unconfirmed == 0 {
            ui.label(
                RichText::new(match lang {
                    Lang::En => format!("Trips: {} rules healthy", view.count(TripStatus::Normal)),
                    Lang::Es => format!("Disparos: {} reglas sanas", view.count(TripStatus::Normal)),
                })
                .color(theme::text_dim()),
            );
        }
        if ui.button(lang.pick("Trips…", "Disparos…")).clicked() {
            action = StripAction::OpenTrips;
        }
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            for e in view.estops.iter().rev() {
                let label = RichText::new(e.def.label.get(lang))
                    .strong()
                    .size(theme::TEXT_HEADING)
                    .color(Color32::WHITE);
                let b = egui::Button::new(label)
                    .fill(theme::ESTOP)
                    .stroke(egui::Stroke::new(2.0, theme::ESTOP_RING))
                    .min_size(ESTOP_SIZE);
                if ui
                    .add(b)
                    .on_hover_text(lang.pick(
                        "Press, then confirm: stops the equipment",
                        "Presione y confirme: detiene el equipo",
                    ))
                    .clicked()
                {
                    desk.dialog = Some(TripDialog::ConfirmEstop { id: e.def.id.clone() });
                }
            }
        });
    });
    action
}

/// The open trip dialog, if any (the E-stop confirmation is shown over every page).
pub fn dialog_ui(ctx: &egui::Context, desk: &mut TripDesk, actor: &Actor, lang: Lang) {
    let Some(mut d) = desk.dialog.take() else { return };
    let mut keep = true;
    let mut confirm = false;
    egui::Modal::new(egui::Id::unique("trip_dialog")).show(ctx, |ui| {
        ui.set_width(480.0);
        match &mut d {
            TripDialog::ConfirmEstop { id } => {
                let Some(e) = desk.current.estops.iter().find(|e| e.def.id == *id) else {
                    keep = false;
                    return;
                };
                ui.heading(
                    RichText::new(format!("{} {}", lang.pick("Confirm", "Confirmar"), e.def.label.get(lang)))
                        .color(theme::ALARM_CRITICAL),
                );
                ui.label(lang.pick(
                    "This stops the equipment now. It stays stopped until a supervisor resets the E-stop and the unit is restarted.",
                    "Esto detiene el equipo ahora. Queda detenido hasta que un supervisor restablezca el paro y se reinicie la unidad.",
                ));
                let writes = lang.pick("writes", "escribe");
                for o in &e.def.outputs {
                    ui.label(RichText::new(format!("{writes} {} = {}", o.tag_name, o.value)).monospace());
                }
                ui.add_space(8.0);
                ui.horizontal(|ui| {
                    let b = egui::Button::new(RichText::new(lang.pick("CONFIRM E-STOP", "CONFIRMAR PARO")).strong().size(theme::TEXT_HEADING).color(Color32::WHITE))
                        .fill(theme::ESTOP)
                        .min_size(ESTOP_SIZE);
                    if ui.add(b).clicked() {
                        confirm = true;
                    }
                    if ui
                        .add(egui::Button::new(lang.pick("Cancel", "Cancelar")).min_size(egui::vec2(100.0, 40.0)))
                        .clicked()
                    {
                        keep = false;
                    }
                });
            }
            TripDialog::Bypass { id, reason, minutes } => {
                let max_min = desk
                    .current
                    .trips
                    .iter()
                    .find(|t| t.def.id == *id)
                    .map_or(0, |t| t.def.bypass_max.as_secs() / 60);
                ui.heading(format!("{} {id}", lang.pick("Bypass trip", "Puentear disparo")));
                ui.label(lang.pick(
                    "While bypassed the trip does not act. The bypass ends by itself when the time is over.",
                    "Mientras está puenteado el disparo no actúa. El puente termina solo cuando se cumple el tiempo.",
                ));
                ui.horizontal_wrapped(|ui| {
                    for m in BYPASS_CHOICES_MIN.iter().copied().filter(|m| *m <= max_min) {
                        let label = if m < 60 { format!("{m} min") } else { format!("{} h", m / 60) };
                        ui.selectable_value(minutes, m, label);
                    }
                });
                let l = ui.label(lang.pick("Reason (required):", "Motivo (obligatorio):"));
                ui.add(egui::TextEdit::singleline(reason).desired_width(460.0)).labelled_by(l.id);
                ui.horizontal(|ui| {
                    let ready = !reason.trim().is_empty() && *minutes <= max_min;
                    if ui.add_enabled(ready, egui::Button::new(RichText::new(lang.pick("Bypass", "Puentear")).strong())).clicked() {
                        confirm = true;
                    }
                    if ui.button(lang.pick("Cancel", "Cancelar")).clicked() {
                        keep = false;
                    }
                });
            }
        }
    });
    if confirm {
        match d {
            TripDialog::ConfirmEstop { id } => desk.estop(id, actor),
            TripDialog::Bypass { id, reason, minutes } => {
                let cmd = TripCommand::Bypass {
                    id: id.clone(),
                    by: actor.clone(),
                    reason,
                    duration: Duration::from_secs(minutes * 60),
                };
                let done = match lang {
                    Lang::En => format!("bypass of {id} sent"),
                    Lang::Es => format!("puente de {id} enviado"),
                };
                desk.send(cmd, done);
            }
        }
    } else if keep {
        desk.dialog = Some(d);
    }
}

/// The Trips page: every rule with its state, outputs and actions; E-stops; recent events.
pub fn trips_ui(ui: &mut Ui, desk: &mut TripDesk, actor: &Actor, directory: &crate::tag::TagDirectory, now: Timestamp) {
    let lang = desk.loc.lang;
    let view = desk.current.clone();
    let may_reset = actor.role.may(Action::TripReset);
    let may_bypass = actor.role.may(Action::Bypass);
    if let Some(n) = &desk.notice {
        ui.label(RichText::new(n).strong());
    }
    if !may_reset {
        ui.label(
            RichText::new(match lang {
                Lang::En => format!(
                    "{} ({}) may not reset or bypass trips: a supervisor, engineer or admin may.",
                    actor.user,
                    actor.role.label(lang)
                ),
                Lang::Es => format!(
                    "{} ({}) no puede restablecer ni puentear disparos: un supervisor, ingeniero o administrador sí.",
                    actor.user,
                    actor.role.label(lang)
                ),
            })
            .color(theme::text_dim()),
        );
    }
    egui::ScrollArea::vertical().show(ui, |ui| {
        ui.heading(lang.pick("E-stops", "Paros de emergencia"));
        for e in &view.estops {
            ui.horizontal(|ui| match &e.latch {
                Some(l) => {
                    chip(ui, lang.pick("ACTIVE", "ACTIVO"), theme::ALARM_CRITICAL);
                    let by = lang.pick("by", "por");
                    let who = l.by.as_ref().map_or(String::new(), |a| format!(" {by} {}", a.user));
                    let at = lang.pick("at", "a las");
                    ui.label(
                        RichText::new(format!("{}{who} {at} {}", e.def.label.get(lang), l.at.to_local_hms())).strong(),
                    );
                    outputs_ui(ui, &l.outputs, lang);
                    if ui
                        .add_enabled(
                            may_reset,
                            egui::Button::new(lang.pick("Reset E-stop", "Restablecer paro")),
                        )
                        .clicked()
                    {
                        desk.reset_estop(e.def.id.clone(), actor);
                    }
                }
                None => {
                    let ready = lang.pick("ready", "listo");
                    ui.label(RichText::new(format!("{} — {ready}", e.def.label.get(lang))));
                }
            });
        }
        ui.add_space(10.0);
        ui.heading(lang.pick("Trip rules", "Reglas de disparo"));
        for t in &view.trips {
            let fill = if t.status == TripStatus::Normal {
                theme::tile()
            } else {
                theme::input_bg()
            };
            egui::Frame::default()
                .fill(fill)
                .stroke(egui::Stroke::new(1.0, theme::tile_stroke()))
                .inner_margin(egui::Margin::symmetric(8, 4))
                .show(ui, |ui| {
                    ui.set_width(ui.available_width());
                    trip_row_ui(ui, desk, t, actor, directory, now, may_reset, may_bypass);
                });
            ui.add_space(3.0);
        }
        ui.add_space(10.0);
        ui.heading(lang.pick("Recent trip events", "Eventos de disparo recientes"));
        for e in view.recent.iter().take(20) {
            let who =
                e.by.as_ref()
                    .map_or(lang.pick("system", "sistema").to_owned(), |a| a.user.clone());
            ui.label(
                RichText::new(format!(
                    "{}  {:<22} {:<24} {who:<10} {}",
                    e.at.to_local_hms(),
                    e.kind.label_in(lang),
                    e.id,
                    e.detail
                ))
                .monospace()
                .size(theme::TEXT_SMALL),
            );
        }
    });
}

#[allow(clippy::too_many_arguments)]
fn trip_row_ui(
    ui: &mut Ui,
    desk: &mut TripDesk,
    t: &crate::trip::TripRow,
    actor: &Actor,
    directory: &crate::tag::TagDirectory,
    now: Timestamp,
    may_reset: bool,
    may_bypass: bool,
) {
    let lang = desk.loc.lang;
    ui.horizontal(|ui| {
        let (c, label) = status_colour(t.status, lang);
        if t.status == TripStatus::Normal {
            ui.label(RichText::new(label).color(theme::text_dim()));
        } else {
            chip(ui, label, c);
        }
        ui.label(RichText::new(t.def.name.get(lang)).strong());
        ui.label(
            RichText::new(&*t.def.id)
                .monospace()
                .size(theme::TEXT_SMALL)
                .color(theme::text_dim()),
        );
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if t.bypass.is_some() {
                if ui
                    .add_enabled(
                        may_bypass,
                        egui::Button::new(lang.pick("Remove bypass", "Quitar puente")),
                    )
                    .clicked()
                {
                    let cmd = TripCommand::RemoveBypass {
                        id: t.def.id.clone(),
                        by: actor.clone(),
                    };
                    let done = match lang {
                        Lang::En => format!("bypass of {} removed", t.def.id),
                        Lang::Es => format!("puente de {} retirado", t.def.id),
                    };
                    desk.send(cmd, done);
                }
            } else if !t.def.bypass_max.is_zero()
                && ui
                    .add_enabled(may_bypass, egui::Button::new(lang.pick("Bypass…", "Puentear…")))
                    .clicked()
            {
                desk.dialog = Some(TripDialog::Bypass {
                    id: t.def.id.clone(),
                    reason: String::new(),
                    minutes: 15,
                });
            }
            if t.latch.is_some()
                && ui
                    .add_enabled(may_reset, egui::Button::new(lang.pick("Reset", "Restablecer")))
                    .clicked()
            {
                desk.reset(t.def.id.clone(), actor);
            }
        });
    });
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new(condition_text(&t.def, directory, desk.loc.units)).monospace());
        let held = lang.pick("for", "durante");
        ui.label(RichText::new(format!("{held} {:.1} s", t.def.delay.as_secs_f64())).color(theme::text_dim()));
        ui.label(RichText::new(match t.condition {
            Some(true) => lang.pick("· condition present", "· condición presente"),
            Some(false) => lang.pick("· clear", "· despejada"),
            None => lang.pick(
                "· cannot decide: an input is bad",
                "· no se puede decidir: una entrada está mala",
            ),
        }));
    });
    ui.horizontal_wrapped(|ui| {
        if let Some(l) = &t.latch {
            let cause = match l.cause {
                Cause::Condition => lang.pick("condition", "condición"),
                Cause::InputBad => lang.pick("fail-safe on bad input", "seguro ante entrada mala"),
                Cause::Estop => lang.pick("E-stop", "paro de emergencia"),
            };
            let first = if l.first_out {
                lang.pick(", 1ST OUT", ", PRIMERO")
            } else {
                ""
            };
            let tripped = lang.pick("tripped", "disparó");
            ui.label(RichText::new(format!("{tripped} {} ({cause}{first}):", l.at.to_local_hms())).strong());
            outputs_ui(ui, &l.outputs, lang);
        } else {
            let outs: Vec<String> = t
                .def
                .outputs
                .iter()
                .map(|o| format!("{} = {}", o.tag_name, o.value))
                .collect();
            let action = lang.pick("action", "acción");
            ui.label(RichText::new(format!("{action}: {}", outs.join(", "))).color(theme::text_dim()));
        }
        if let Some(b) = &t.bypass {
            let left = b.until.saturating_since(now);
            let min = left.as_secs() / 60 + 1;
            ui.label(match lang {
                Lang::En => format!("bypassed by {} for {min} min more: {}", b.by.user, b.reason),
                Lang::Es => format!("puenteado por {} durante {min} min más: {}", b.by.user, b.reason),
            });
        }
    });
}

fn outputs_ui(ui: &mut Ui, outputs: &[crate::trip::engine::OutputState], lang: Lang) {
    for o in outputs {
        let (text, colour) = match &o.status {
            OutputStatus::Confirmed => (lang.pick("confirmed", "confirmada").to_owned(), theme::STATE_OK),
            OutputStatus::Sent { attempts } => (
                format!("{} ({attempts})", lang.pick("sent", "enviada")),
                theme::ALARM_HIGH,
            ),
            OutputStatus::Failed { reason, attempts } => (
                format!("{} ×{attempts}: {reason}", lang.pick("FAILED", "FALLÓ")),
                theme::QUALITY_BAD,
            ),
        };
        ui.label(
            RichText::new(format!("{} = {}  {text}", o.tag_name, o.value))
                .monospace()
                .color(colour),
        );
    }
}
