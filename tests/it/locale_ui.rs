//! Language and units as a console's people switch them: the shell, the screens and the pages in Spanish,
//! values in SI, both switched back at runtime, and a snapshot image of the CT screen in Spanish and SI.

use crate::console_ui::{harness, mask_frame_time};
use crate::support::{self, console};
use egui_kittest::kittest::Queryable;
use std::sync::Arc;
use wellconsole::hub::HubCommand;
use wellconsole::lang::Lang;
use wellconsole::tag::Value;
use wellconsole::ui::{ConsoleSettings, Page};

#[test]
fn language_and_units_switch_at_runtime_everywhere() {
    let (app, _rx) = console();
    let mut h = harness(app);
    h.set_size(egui::vec2(1600.0, 960.0));
    h.run();
    h.get_by_label("Campo Escuela field overview");
    h.get_by_label("EN").click();
    h.run();
    for label in [
        "Pantallas",
        "Vista general",
        "Alarmas",
        "Tendencias",
        "Disparos",
        "Auditoría",
        "ALARMAS",
        "Campo Escuela: vista general",
    ] {
        h.get_by_label(label);
    }
    assert!(h.query_by_label("Displays").is_none(), "no English page name left");
    h.get_by_label("Petroleras").click();
    h.run();
    h.get_by_label("TF-01 tubería flexible").click();
    h.run();
    h.get_by_label("Unidad de tubería flexible TF-01");
    // 5,550 ft shown in metres, one more decimal than the foot reading had.
    h.get_by_label_contains("Profundidad: 1691.64 m");
    // The depth scale in round metres down to the TD (2,987 m), the meter's rate in m³/min, the phase in Spanish.
    h.get_by_label("Esquema del pozo con TF: escala 0, 500, 1000, 1500, 2000, 2500 m");
    h.get_by_label("Medidor de caudal: 0.294 m³/min");
    h.get_by_label("Fase: BAJANDO");
    // The stale wellhead pressure keeps its mark, in Spanish.
    assert!(h.query_all_by_label_contains("OBSOLETO").count() >= 1);
    mask_frame_time(&mut h);
    h.snapshot("screen_ct01_es_si");

    // The tag browser: Spanish headers, descriptions and quality, values in SI.
    h.get_by_label("Tags").click();
    h.run();
    assert_eq!(h.state().page(), Page::Tags);
    h.get_by_label("Calidad");
    h.get_by_label("Indicador de peso (celda de carga del inyector)");
    h.get_by_label_contains("kN");
    // Its trend: scale and unit in SI, the pen's values converted on the way to the plot.
    h.get_by_label("Tendencia ct01/weight").click();
    h.run();
    h.get_by_label("ct01/weight agregado a la tendencia");
    h.get_by_label("Tendencias").click();
    h.run();
    h.get_by_label("Escala");
    h.get_by_label("-89 … 267");
    h.get_by_label("kN");

    // Back to English and oilfield units, without a restart.
    h.get_by_label("SI").click();
    h.run();
    h.get_by_label("ES").click();
    h.run();
    h.get_by_label("Displays").click();
    h.run();
    h.get_by_label_contains("Depth: 5550.0 ft");
    assert!(h.query_by_label("Pantallas").is_none());
}

#[test]
fn a_spanish_console_names_signals_faults_and_decimals_in_spanish() {
    // The simulator reports a fault in its own (English) words.
    let mut snap = support::demo_snapshot();
    snap.drivers[0].detail = Some(Arc::new("faults: stuck-pipe:ct01".to_owned()));
    let settings = ConsoleSettings {
        lang: Lang::Es,
        ..support::test_settings()
    };
    let (app, rx) = support::console_full(None, None, None, snap, settings);
    let mut h = harness(app);
    h.set_size(egui::vec2(1600.0, 960.0));
    h.run();

    // Signals by their Spanish names, not their identifiers.
    h.get_by_label("Vista general").click();
    h.run();
    h.get_by_label("Presión en cabeza de pozo");
    assert_eq!(
        h.query_all_by_label("Temperatura del motor").count(),
        6,
        "one per ESP well"
    );
    assert!(h.query_by_label("wellhead pressure").is_none());

    // The simulator's fault, in Spanish.
    h.get_by_label("Simulador").click();
    h.run();
    h.get_by_label("Fallas activas en el simulador: tubería atascada en ct01");
    assert!(h.query_by_label_contains("faults:").is_none());

    // The keypad types and shows a decimal comma, and the written value is 52.5.
    h.get_by_label("Pantallas").click();
    h.run();
    h.get_by_label("Pozo ESP01").click();
    h.run();
    h.get_by_label("Ajustar Consigna de frecuencia").click();
    h.run();
    assert!(h.query_by_label(".").is_none(), "no decimal point key");
    for k in ["5", "2", ",", "5"] {
        h.get_by_label(k).click();
        h.run();
    }
    h.get_by_label("52,5 Hz");
    h.get_by_label("Aceptar").click();
    h.run();
    h.get_by_label("¿Escribir 52,5 Hz en esp01/frequency_setpoint?");
    h.get_by_label("Confirmar").click();
    h.run();
    let written = rx.try_iter().find_map(|c| match c {
        HubCommand::OperatorWrite { value, .. } => Some(value),
        _ => None,
    });
    assert_eq!(written, Some(Value::F64(52.5)));
}
