//! Commands on a screen: command buttons (confirmed in a dialog naming the value and the tag) and
//! setpoints (typed on the keypad). Enabled only for a role that may command; a toggle reads the tag when
//! the operator confirms, and is not sent without a good value to toggle from.
//!
//! Nothing is sent from here: a confirmed command comes back as `ScreenAction::Write` for the shell to
//! send as the console's user.

use super::canvas::{Fit, fitted_font, input_value, text_width};
use super::instruments::value_ui;
use super::navigation::ScreenView;
use super::{DrawCtx, ScreenAction};
use crate::screen::def::{Boxed, CommandButton, CommandValue, Pt, ValueLabel};
use crate::tag::{TagDef, TagId, TagState, Value};
use crate::ui::keypad::{EntryOutcome, SetpointEntry, setpoint_dialog_ui};
use crate::ui::theme;
use egui::{Rect, RichText, Ui, pos2};

/// A command button pressed, awaiting the operator's confirmation.
#[derive(Debug, Clone)]
pub(super) struct PendingCommand {
    tag: TagId,
    value: CommandValue,
    question: String,
    label: String,
}

pub(super) fn command_ui(ui: &mut Ui, fit: &Fit, c: &CommandButton, view: &mut ScreenView, cx: &DrawCtx<'_>) {
    let label = c.label.get(cx.lang).to_owned();
    let r = fit.r(c.rect);
    let font = fitted_font(ui, fit, &label, 15.0, r.width());
    let b = egui::Button::new(egui::RichText::new(&label).font(font).strong()).wrap_mode(egui::TextWrapMode::Extend);
    let resp = ui
        .put(r, |ui: &mut Ui| ui.add_enabled(cx.may_command, b))
        .on_disabled_hover_text(cx.lang.pick(
            "Your role may not command equipment",
            "Su rol no permite comandar equipos",
        ));
    if resp.clicked() {
        view.pending = Some(PendingCommand {
            tag: c.tag,
            value: c.value.clone(),
            question: c.confirm.get(cx.lang).to_owned(),
            label,
        });
    }
}

/// A writable number: its value row with a Set button that opens keypad entry.
pub(super) fn setpoint_ui(
    ui: &mut Ui,
    painter: &egui::Painter,
    fit: &Fit,
    v: &ValueLabel,
    i: usize,
    view: &mut ScreenView,
    cx: &DrawCtx<'_>,
) {
    let r = fit.r(v.rect);
    // The button is as wide as its word ("Ajustar" is wider than "Set"); the value row takes the rest.
    let set = cx.lang.pick("Set", "Ajustar");
    let font = fit.font(14.0);
    let button_w = (text_width(ui, set, &font) + 2.0 * ui.spacing().button_padding.x)
        .max(r.height() * 2.2)
        .max(48.0);
    let row = Rect::from_min_max(r.min, pos2(r.max.x - button_w - 4.0, r.max.y));
    let row_box = Boxed::new(v.rect.at, Pt::new((row.width() / fit.k).max(1.0), v.rect.size.y));
    value_ui(
        ui,
        painter,
        fit,
        &ValueLabel {
            rect: row_box,
            ..v.clone()
        },
        i,
        cx,
    );
    let label = match (&v.label, cx.snap.directory.get(v.tag)) {
        (Some(l), _) => l.get(cx.lang).to_owned(),
        (None, Some(d)) => d.label_in(cx.lang).into_owned(),
        (None, None) => return,
    };
    let text = format!("{set} {label}");
    let b = egui::Button::new(RichText::new(set).font(font)).wrap_mode(egui::TextWrapMode::Extend);
    let resp = ui
        .put(
            Rect::from_min_max(pos2(r.max.x - button_w, r.min.y), r.max),
            |ui: &mut Ui| ui.add_enabled(cx.may_command, b),
        )
        .on_disabled_hover_text(cx.lang.pick(
            "Your role may not change setpoints",
            "Su rol no permite cambiar consignas",
        ));
    resp.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, cx.may_command, &text));
    if resp.clicked() {
        view.entry = Some(SetpointEntry::new(v.tag, label));
    }
}

pub(super) fn entry_ui(ui: &Ui, view: &mut ScreenView, cx: &DrawCtx<'_>) -> Option<ScreenAction> {
    let entry = view.entry.as_mut()?;
    let key = if cx.touch { theme::TOUCH_TARGET } else { 48.0 };
    match setpoint_dialog_ui(ui.ctx(), entry, cx.snap, cx.loc(), key) {
        EntryOutcome::Open => None,
        EntryOutcome::Cancelled => {
            view.entry = None;
            None
        }
        EntryOutcome::Write(tag, value) => {
            view.entry = None;
            cx.may_command.then_some(ScreenAction::Write { tag, value })
        }
    }
}

/// The value a confirmed command writes now (a toggle reads the tag at the moment of confirming).
fn command_value(v: &CommandValue, state: Option<&TagState>, def: Option<&TagDef>) -> Option<Value> {
    match v {
        CommandValue::Set(v) => Some(v.clone()),
        CommandValue::Toggle => {
            let on = input_value(state.filter(|s| s.quality.is_good()))? != 0.0;
            Some(match def.map(|d| d.kind) {
                Some(crate::tag::ValueKind::Bool) => Value::Bool(!on),
                Some(crate::tag::ValueKind::I64) => Value::I64(i64::from(!on)),
                _ => Value::F64(if on { 0.0 } else { 1.0 }),
            })
        }
    }
}

pub(super) fn confirm_ui(ui: &mut Ui, view: &mut ScreenView, cx: &DrawCtx<'_>) -> Option<ScreenAction> {
    let p = view.pending.clone()?;
    let mut out = None;
    let mut close = false;
    egui::Modal::new(egui::Id::unique("screen-command-confirm")).show(ui.ctx(), |ui| {
        ui.set_width(420.0);
        ui.heading(&p.label);
        ui.add_space(6.0);
        ui.label(&p.question);
        let def = cx.snap.directory.get(p.tag);
        let value = command_value(&p.value, cx.snap.get(p.tag), def);
        if let Some(d) = def {
            match &value {
                Some(v) => ui.label(
                    egui::RichText::new(format!(
                        "{} {} {} {}",
                        cx.lang.pick("writes", "escribe"),
                        cx.loc().value_text(&d.unit, Some(v), d.decimals),
                        cx.lang.pick("to", "en"),
                        d.name
                    ))
                    .color(theme::text_dim()),
                ),
                None => ui.label(
                    egui::RichText::new(format!(
                        "{} {}",
                        d.name,
                        cx.lang.pick(
                            "has no good value to toggle from: not sent",
                            "no tiene un valor bueno desde el cual alternar: no se envía",
                        )
                    ))
                    .color(theme::QUALITY_BAD),
                ),
            };
        }
        ui.add_space(10.0);
        ui.horizontal(|ui| {
            let ok = ui.add_enabled(
                value.is_some() && cx.may_command,
                egui::Button::new(cx.lang.pick("Confirm", "Confirmar")),
            );
            if ok.clicked() {
                out = value.clone().map(|value| ScreenAction::Write { tag: p.tag, value });
                close = true;
            }
            if ui.button(cx.lang.pick("Cancel", "Cancelar")).clicked() {
                close = true;
            }
        });
    });
    if close {
        view.pending = None;
    }
    out
}
