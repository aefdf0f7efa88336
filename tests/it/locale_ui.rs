//! Language and units as a console's people switch them: the shell, the screens and the pages in Spanish,
//! values in SI, both switched back at runtime, and a snapshot image of the CT screen in Spanish and SI.

use crate::console_ui::{harness, mask_frame_time};
use crate::support::console;
use egui_kittest::kittest::Queryable;
use wellconsole::ui::Page;

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
