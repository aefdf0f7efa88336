//! Trips and E-stops on the console: the trip strip under the alarm banner (on every page, with the E-STOP
//! buttons), the two-step E-stop and reset confirmations, and the Trips page (reset, bypass, outputs, recent
//! events), which lists what acted first on top.
//!
//! Reads the published `TripView`; its actions go out through the console's context (`Console::trip`),
//! without waiting, as the console's user; the trip engine on the hub thread decides, checks roles and
//! records. Owns only view state (which dialog is open, and in which window).

use super::context::Console;
use super::page::{FrameInputs, PageView, ShellAction};
use super::theme;
use crate::auth::Action;
use crate::lang::Lang;
use crate::tag::Timestamp;
use crate::trip::{Cause, OutputStatus, TripCommand, TripRow, TripStatus, TripView, TripViewCell};
use crate::units::UnitSystem;
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
    /// Step two of a reset: the dialog says what is cleared and that nothing is written; only Confirm sends.
    ConfirmReset {
        id: Arc<str>,
        /// An E-stop's latch rather than a trip rule's.
        estop: bool,
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
    pub dialog: Option<TripDialog>,
    /// The window an E-STOP was pressed in: its confirmation opens there, in front of the person.
    pub estop_in: egui::ViewportId,
}

impl TripDesk {
    pub fn new(view: Option<TripViewCell>) -> Self {
        let current = view.as_ref().map_or_else(Default::default, |v| v.load_full());
        Self {
            view,
            current,
            dialog: None,
            estop_in: egui::ViewportId::ROOT,
        }
    }

    pub fn begin_frame(&mut self) {
        if let Some(v) = &self.view {
            self.current = v.load_full();
        }
    }

    /// The window the open dialog belongs in (an E-stop's: where it was pressed; the others: the main one).
    pub fn dialog_viewport(&self) -> egui::ViewportId {
        match self.dialog {
            Some(TripDialog::ConfirmEstop { .. }) => self.estop_in,
            _ => egui::ViewportId::ROOT,
        }
    }

    pub fn has_any(&self) -> bool {
        !(self.current.trips.is_empty() && self.current.estops.is_empty())
    }
}

/// E-stop `id`, as the console's user (urgent: the sender puts it in a lane routine traffic cannot fill).
pub fn estop(console: &mut Console, id: Arc<str>) {
    let by = console.actor.clone();
    let sent = console.lang().pick("sent", "enviado");
    console.trip(TripCommand::Estop { id: id.clone(), by }, format!("E-STOP {id} {sent}"));
}

fn reset_sent(id: &str, lang: Lang) -> String {
    match lang {
        Lang::En => format!("reset of {id} sent"),
        Lang::Es => format!("restablecimiento de {id} enviado"),
    }
}

/// Resets trip rule `id`'s latch (the engine refuses while its condition holds).
pub fn reset(console: &mut Console, id: Arc<str>) {
    let by = console.actor.clone();
    let done = reset_sent(&id, console.lang());
    console.trip(TripCommand::Reset { id, by }, done);
}

/// Resets E-stop `id`'s latch.
pub fn reset_estop(console: &mut Console, id: Arc<str>) {
    let by = console.actor.clone();
    let done = reset_sent(&id, console.lang());
    console.trip(TripCommand::ResetEstop { id, by }, done);
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

/// What the strip asks of the shell.
pub enum StripAction {
    None,
    OpenTrips,
}

/// The trip and E-stop state as chips (active E-stops, tripped rules with first-out, unconfirmed outputs,
/// pending, input-bad and bypassed counts), drawn in the top bar's status line on every page. The E-STOP
/// buttons are not here: they have a column of their own (`estop_column_ui`).
pub fn strip_ui(ui: &mut Ui, desk: &mut TripDesk, lang: Lang) -> StripAction {
    let mut action = StripAction::None;
    let view = desk.current.clone();
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
    for status in [TripStatus::Pending, TripStatus::InputBad, TripStatus::Bypassed] {
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
    action
}

/// The E-STOP column's width (one column of buttons; two when they would be shorter than a target).
pub fn estop_column_width(style: &egui::Style, desk: &TripDesk, height: f32) -> f32 {
    let one = if theme::is_touch(style) { 200.0 } else { 180.0 };
    match desk.current.estops.len() {
        0 => 0.0,
        n if estop_columns(style, n, height) > 1 => 2.0 * one + style.spacing.item_spacing.x,
        _ => one,
    }
}

fn estop_columns(style: &egui::Style, n: usize, height: f32) -> usize {
    let min = style.spacing.interact_size.y.max(ESTOP_SIZE.y);
    let sp = style.spacing.item_spacing.y;
    let per = (height - (n.saturating_sub(1)) as f32 * sp) / n as f32;
    if per >= min { 1 } else { 2 }
}

/// The E-STOP buttons, filling `rect`: the same place and size on every page and in every window, in a
/// rectangle nothing else uses, on a layer above every dialog, so nothing covers them or takes their touch.
/// A press opens the confirmation in the window where it was pressed, in place of any other trip dialog.
pub fn estop_column_ui(ui: &mut Ui, rect: egui::Rect, desk: &mut TripDesk, lang: Lang) {
    let view = desk.current.clone();
    let estops = &view.estops;
    let n = estops.len();
    if n == 0 {
        return;
    }
    let sp = ui.spacing().item_spacing;
    let cols = estop_columns(ui.style(), n, rect.height());
    let rows = n.div_ceil(cols);
    let w = (rect.width() - (cols - 1) as f32 * sp.x) / cols as f32;
    let h = (rect.height() - (rows - 1) as f32 * sp.y) / rows as f32;
    for (i, e) in estops.iter().enumerate() {
        let (c, r) = (i / rows, i % rows);
        let at = egui::pos2(rect.left() + c as f32 * (w + sp.x), rect.top() + r as f32 * (h + sp.y));
        let label = RichText::new(e.def.label.get(lang))
            .strong()
            .size(theme::TEXT_HEADING)
            .color(Color32::WHITE);
        let b = egui::Button::new(label)
            .fill(theme::ESTOP)
            .stroke(egui::Stroke::new(3.0, theme::ESTOP_RING))
            .wrap_mode(egui::TextWrapMode::Wrap);
        if ui
            .put(egui::Rect::from_min_size(at, egui::vec2(w, h)), b)
            .on_hover_text(lang.pick(
                "Press, then confirm: stops the equipment",
                "Presione y confirme: detiene el equipo",
            ))
            .clicked()
        {
            desk.dialog = Some(TripDialog::ConfirmEstop { id: e.def.id.clone() });
            desk.estop_in = ui.ctx().viewport_id();
        }
    }
}

/// The open trip dialog, if any (the E-stop confirmation is shown over every page).
pub fn dialog_ui(ctx: &egui::Context, desk: &mut TripDesk, console: &mut Console) {
    let lang = console.lang();
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
            TripDialog::ConfirmReset { id, estop } => {
                let (id, estop) = (id.clone(), *estop);
                let trip = desk.current.trips.iter().find(|t| !estop && t.def.id == id);
                let stop = desk.current.estops.iter().find(|e| estop && e.def.id == id);
                let subject = match (trip, stop) {
                    (Some(t), _) => t.latch.as_ref().map(|l| (t.def.name.get(lang), l)),
                    (_, Some(e)) => e.latch.as_ref().map(|l| (e.def.label.get(lang), l)),
                    (None, None) => None,
                };
                // Reset meanwhile (another console) or gone with a reload: nothing left to confirm.
                let Some((name, latch)) = subject else {
                    keep = false;
                    return;
                };
                ui.heading(match lang {
                    Lang::En => format!("Reset {name}?"),
                    Lang::Es => format!("¿Restablecer {name}?"),
                });
                ui.label(lang.pick(
                    "The reset only clears the latch. It writes nothing to the plant: the outputs stay as they were left until the unit is restarted.",
                    "El restablecimiento solo borra el enclavamiento. No escribe nada en la planta: las salidas quedan como estaban hasta que se reinicie la unidad.",
                ));
                for o in &latch.outputs {
                    let text = match lang {
                        Lang::En => format!("{} stays {}", o.tag_name, o.value),
                        Lang::Es => format!("{} queda en {}", o.tag_name, o.value),
                    };
                    ui.label(RichText::new(text).monospace());
                }
                // The engine refuses a reset while the condition holds or cannot be judged: said before, not after.
                let refused = trip.and_then(|t| match t.condition {
                    Some(false) => None,
                    Some(true) => Some(match lang {
                        Lang::En => format!(
                            "The condition is present now ({}): the reset will be refused.",
                            t.def.source
                        ),
                        Lang::Es => format!(
                            "La condición está presente ahora ({}): el restablecimiento será rechazado.",
                            t.def.source
                        ),
                    }),
                    None => Some(
                        lang.pick(
                            "An input is bad or stale: the reset will be refused.",
                            "Una entrada está mala u obsoleta: el restablecimiento será rechazado.",
                        )
                        .to_owned(),
                    ),
                });
                if let Some(why) = refused {
                    ui.label(RichText::new(why).strong());
                }
                ui.add_space(8.0);
                ui.horizontal(|ui| {
                    let label = RichText::new(lang.pick("Confirm reset", "Confirmar restablecimiento")).strong();
                    if ui.add(egui::Button::new(label).min_size(egui::vec2(100.0, 40.0))).clicked() {
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
            TripDialog::ConfirmEstop { id } => estop(console, id),
            TripDialog::ConfirmReset { id, estop: false } => reset(console, id),
            TripDialog::ConfirmReset { id, estop: true } => reset_estop(console, id),
            TripDialog::Bypass { id, reason, minutes } => {
                let cmd = TripCommand::Bypass {
                    id: id.clone(),
                    by: console.actor.clone(),
                    reason,
                    duration: Duration::from_secs(minutes * 60),
                };
                let done = match lang {
                    Lang::En => format!("bypass of {id} sent"),
                    Lang::Es => format!("puente de {id} enviado"),
                };
                console.trip(cmd, done);
            }
        }
    } else if keep {
        desk.dialog = Some(d);
    }
}

/// The Trips page is the desk's view.
impl PageView for TripDesk {
    fn ui(&mut self, ui: &mut Ui, console: &mut Console, frame: &FrameInputs<'_>) -> Option<ShellAction> {
        trips_ui(ui, self, console, &frame.snap.directory, frame.now);
        None
    }
}

/// The Trips page: every rule with its state, outputs and actions; E-stops; recent events.
fn trips_ui(
    ui: &mut Ui,
    desk: &mut TripDesk,
    console: &mut Console,
    directory: &crate::tag::TagDirectory,
    now: Timestamp,
) {
    let lang = console.lang();
    let view = desk.current.clone();
    let may_reset = console.may(Action::TripReset);
    let may_bypass = console.may(Action::Bypass);
    let actor = &console.actor;
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
                        desk.dialog = Some(TripDialog::ConfirmReset {
                            id: e.def.id.clone(),
                            estop: true,
                        });
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
        let mut rules: Vec<&TripRow> = view.trips.iter().collect();
        // Stable: the file's order within each rank.
        rules.sort_by_key(|t| page_rank(t));
        for t in rules {
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
                    trip_row_ui(ui, desk, console, t, directory, now, may_reset, may_bypass);
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

/// Where a rule sits on the Trips page: what acted first on its asset (the first-out, where the cause
/// is), the other trips, then what needs watching (bypassed, bad input, pending), then the healthy rules.
fn page_rank(t: &TripRow) -> u8 {
    match t.status {
        TripStatus::Tripped if t.latch.as_ref().is_some_and(|l| l.first_out) => 0,
        TripStatus::Tripped => 1,
        TripStatus::Bypassed | TripStatus::InputBad | TripStatus::Pending => 2,
        TripStatus::Normal => 3,
    }
}

#[allow(clippy::too_many_arguments)]
fn trip_row_ui(
    ui: &mut Ui,
    desk: &mut TripDesk,
    console: &mut Console,
    t: &TripRow,
    directory: &crate::tag::TagDirectory,
    now: Timestamp,
    may_reset: bool,
    may_bypass: bool,
) {
    let loc = console.locale();
    let lang = loc.lang;
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
                        by: console.actor.clone(),
                    };
                    let done = match lang {
                        Lang::En => format!("bypass of {} removed", t.def.id),
                        Lang::Es => format!("puente de {} retirado", t.def.id),
                    };
                    console.trip(cmd, done);
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
                desk.dialog = Some(TripDialog::ConfirmReset {
                    id: t.def.id.clone(),
                    estop: false,
                });
            }
        });
    });
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new(condition_text(&t.def, directory, loc.units)).monospace());
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
