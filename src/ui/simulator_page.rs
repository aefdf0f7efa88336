//! Fault injection for the demo plant: pick a fault and a target, inject it, clear it.
//! Sends commands to the simulator driver through the hub (the console's sender), and records who did it
//! in the audit trail; never touches the plant directly. What became of a command is said on the page.

use super::context::Console;
use super::page::{FrameInputs, PageView, ShellAction};
use super::theme;
use crate::driver::sim::{SimCommand, active_faults};
use crate::hub::HubCommand;
use crate::lang::Lang;
use crate::sim::{Fault, FaultKind};
use crate::tag::DriverId;
use egui::{RichText, Ui};

/// What the console knows about the simulator it can command.
#[derive(Debug, Clone)]
pub struct SimulatorInfo {
    pub driver: DriverId,
    pub devices: Vec<String>,
    pub signals: Vec<String>,
}

/// The Simulator page: what this console knows of the simulator, and the operator's choices.
pub struct SimulatorPage {
    info: Option<SimulatorInfo>,
    state: SimulatorPageState,
}

impl SimulatorPage {
    /// The page for the project's simulator (`None`: the project has none, and the page says so).
    pub fn new(info: Option<SimulatorInfo>) -> Self {
        Self {
            info,
            state: SimulatorPageState::default(),
        }
    }
}

impl PageView for SimulatorPage {
    fn ui(&mut self, ui: &mut Ui, console: &mut Console, frame: &FrameInputs<'_>) -> Option<ShellAction> {
        simulator_ui(ui, &mut self.state, self.info.as_ref(), console, frame.snap);
        None
    }
}

struct SimulatorPageState {
    kind: FaultKind,
    target: String,
    /// Faults this console injected and has not cleared.
    injected: Vec<Fault>,
    message: Option<(String, bool)>,
}

impl Default for SimulatorPageState {
    fn default() -> Self {
        Self {
            kind: FaultKind::StuckPipe,
            target: "ct01".into(),
            injected: Vec::new(),
            message: None,
        }
    }
}

fn targets(kind: FaultKind, info: &SimulatorInfo) -> Vec<String> {
    match kind {
        FaultKind::SensorFail => info.signals.clone(),
        FaultKind::CommLoss => info.devices.clone(),
        FaultKind::Overpressure => info
            .devices
            .iter()
            .filter(|d| d.starts_with("ct") || d.starts_with("sep"))
            .cloned()
            .collect(),
        FaultKind::StuckPipe => info.devices.iter().filter(|d| d.starts_with("ct")).cloned().collect(),
        FaultKind::GasLock => info.devices.iter().filter(|d| d.starts_with("esp")).cloned().collect(),
    }
}

/// A fault kind as the operator reads it: in English the command line's own spelling (`--fault stuck-pipe`).
fn kind_text(kind: FaultKind, lang: Lang) -> &'static str {
    match kind {
        FaultKind::SensorFail => lang.pick("sensor-fail", "falla de sensor"),
        FaultKind::Overpressure => lang.pick("overpressure", "sobrepresión"),
        FaultKind::CommLoss => lang.pick("comm-loss", "pérdida de comunicación"),
        FaultKind::StuckPipe => lang.pick("stuck-pipe", "tubería atascada"),
        FaultKind::GasLock => lang.pick("gas-lock", "bloqueo por gas"),
    }
}

/// A fault on its target: `stuck-pipe:ct01`, `tubería atascada en ct01`.
fn fault_text(f: &Fault, lang: Lang) -> String {
    match lang {
        Lang::En => f.to_string(),
        Lang::Es => format!("{} en {}", kind_text(f.kind, lang), f.target),
    }
}

fn simulator_ui(
    ui: &mut Ui,
    state: &mut SimulatorPageState,
    info: Option<&SimulatorInfo>,
    console: &Console,
    snap: &crate::hub::Snapshot,
) {
    let lang = console.lang();
    ui.heading(lang.pick("Simulator: fault injection", "Simulador: inyección de fallas"));
    let Some(info) = info else {
        ui.label(lang.pick(
            "This project has no simulator driver.",
            "Este proyecto no tiene driver de simulador.",
        ));
        return;
    };
    ui.label(
        RichText::new(lang.pick(
            "Faults act on the simulated plant exactly as the real fault would reach the console: through the driver.",
            "Las fallas actúan sobre la planta simulada tal como llegaría la falla real a la consola: a través del driver.",
        ))
        .color(theme::text_dim()),
    );
    ui.add_space(8.0);
    let send = |cmd: SimCommand, state: &mut SimulatorPageState| {
        let detail = match &cmd {
            SimCommand::Inject(f) => format!("inject {f}"),
            SimCommand::Clear(f) => format!("clear {f}"),
            SimCommand::ClearAll => "clear all faults".to_owned(),
        };
        let ok = console
            .send_quietly(HubCommand::ToDriver {
                driver: info.driver,
                command: crate::driver::DriverControl::Sim(cmd),
            })
            .is_ok();
        if ok {
            // A fault changes what every console shows: who injected it belongs in the record.
            let now = crate::tag::Timestamp::now();
            let entry =
                crate::auth::audit::AuditEntry::by(now, &console.actor, "simulator command", "sim", detail, true);
            if console.record(entry).is_err() {
                tracing::warn!("simulator command not recorded: the command queue is full");
            }
        } else {
            let full = lang.pick(
                "Command queue full: command not sent. Try again.",
                "Cola de comandos llena: comando no enviado. Intente de nuevo.",
            );
            state.message = Some((full.into(), false));
        }
        ok
    };
    ui.horizontal(|ui| {
        egui::ComboBox::from_label(lang.pick("Fault", "Falla"))
            .selected_text(kind_text(state.kind, lang))
            .show_ui(ui, |ui| {
                for k in FaultKind::ALL {
                    if ui.selectable_value(&mut state.kind, k, kind_text(k, lang)).changed() {
                        state.target = targets(k, info).into_iter().next().unwrap_or_default();
                    }
                }
            });
        let options = targets(state.kind, info);
        if !options.contains(&state.target) {
            state.target = options.first().cloned().unwrap_or_default();
        }
        egui::ComboBox::from_label(lang.pick("Target", "Objetivo"))
            .selected_text(state.target.as_str())
            .height(400.0)
            .show_ui(ui, |ui| {
                for t in &options {
                    ui.selectable_value(&mut state.target, t.clone(), t);
                }
            });
        if ui.button(lang.pick("Inject fault", "Inyectar falla")).clicked() && !state.target.is_empty() {
            let f = Fault {
                kind: state.kind,
                target: state.target.clone(),
            };
            if send(SimCommand::Inject(f.clone()), state) {
                let injected = lang.pick("Injected", "Inyectada");
                state.message = Some((format!("{injected} {}", fault_text(&f, lang)), true));
                if !state.injected.contains(&f) {
                    state.injected.push(f);
                }
            }
        }
        if ui
            .button(lang.pick("Clear all faults", "Borrar todas las fallas"))
            .clicked()
            && send(SimCommand::ClearAll, state)
        {
            state.injected.clear();
            let cleared = lang.pick("All faults cleared", "Todas las fallas borradas");
            state.message = Some((cleared.into(), true));
        }
    });
    if let Some((m, ok)) = &state.message {
        ui.label(RichText::new(m).color(if *ok { theme::text_dim() } else { theme::QUALITY_BAD }));
    }
    ui.add_space(8.0);
    ui.strong(lang.pick("Injected from this console", "Inyectadas desde esta consola"));
    let mut clear = None;
    for f in &state.injected {
        ui.horizontal(|ui| {
            ui.label(RichText::new(fault_text(f, lang)).monospace());
            if ui.small_button(lang.pick("Clear", "Borrar")).clicked() {
                clear = Some(f.clone());
            }
        });
    }
    if let Some(f) = clear
        && send(SimCommand::Clear(f.clone()), state)
    {
        state.injected.retain(|x| x != &f);
    }
    ui.add_space(8.0);
    // The driver reports its faults in its own (English) words: read back, they are shown in the console's.
    let detail = snap.drivers.get(info.driver.index()).and_then(|d| d.detail.clone());
    let active = match detail.as_deref().map(|d| (d, active_faults(d))) {
        None => lang.pick("none", "ninguna").to_owned(),
        Some((_, Some(faults))) => faults
            .iter()
            .map(|f| fault_text(f, lang))
            .collect::<Vec<_>>()
            .join(", "),
        Some((other, None)) => other.to_string(),
    };
    ui.label(format!(
        "{}: {active}",
        lang.pick("Faults active in the simulator", "Fallas activas en el simulador")
    ));
}
