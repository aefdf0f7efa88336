//! The string's records under the fatigue map: cutting pipe off an end, importing fatigue from a CSV and
//! exporting the string as CSV, each behind a dialog that says what it will do and asks for a reason.
//!
//! Everyone sees the row; only a person whose role may `Action::EditStringRecord` can use it (the others
//! are told who may). A cut or an import goes to the string service as the console's user
//! (`CtCommand`, through `Console::send`); the service checks the role again, applies it and audits it, and
//! the page shows the outcome it publishes (`CtStringView::last_record`). The page never waits on a file:
//! the import's file is read, and the export's written, on a short-lived thread of its own, polled each
//! frame. An import file is bounded (`MAX_CSV_BYTES`); an export never overwrites a file. An export is
//! recorded in the audit trail (through the hub) once written. Owns only the open dialog and the file job.

use super::qty;
use crate::auth::audit::AuditEntry;
use crate::auth::{Action, Actor};
use crate::ctstring::command::{CtCommand, MAX_CSV_BYTES};
use crate::ctstring::layout::StringEnd;
use crate::ctstring::view::{CtStringView, StringExport};
use crate::hub::HubCommand;
use crate::lang::Lang;
use crate::locale::Locale;
use crate::tag::Timestamp;
use crate::ui::context::Console;
use crate::ui::theme;
use crossbeam_channel::{Receiver, TryRecvError, bounded};
use egui::{RichText, Ui};
use std::sync::Arc;
use std::time::Duration;

/// The dialog open over the page, for the unit it was opened on.
#[derive(Debug, Clone, PartialEq)]
enum Dialog {
    Cut {
        unit: String,
        end: StringEnd,
        /// As typed, in the console's units.
        length: String,
        reason: String,
    },
    Import {
        unit: String,
        path: String,
        reason: String,
    },
    Export {
        unit: String,
        path: String,
    },
}

impl Dialog {
    fn unit(&self) -> &str {
        match self {
            Dialog::Cut { unit, .. } | Dialog::Import { unit, .. } | Dialog::Export { unit, .. } => unit,
        }
    }
}

/// Why a file could not be read or written, worded in the console's language when shown.
#[derive(Debug, Clone, PartialEq)]
enum FileError {
    /// The operating system's own words.
    Io(String),
    TooLarge,
    NotText,
    Exists,
    /// The thread ended without an answer.
    Lost,
}

impl FileError {
    fn words(&self, lang: Lang) -> String {
        match self {
            FileError::Io(e) => e.clone(),
            FileError::TooLarge => match lang {
                Lang::En => format!(
                    "the file is larger than {} MiB, too large for a string CSV",
                    MAX_CSV_BYTES >> 20
                ),
                Lang::Es => format!(
                    "el archivo supera los {} MiB: demasiado grande para un CSV de sarta",
                    MAX_CSV_BYTES >> 20
                ),
            },
            FileError::NotText => lang
                .pick("the file is not text (UTF-8)", "el archivo no es texto (UTF-8)")
                .to_owned(),
            FileError::Exists => lang
                .pick(
                    "a file of that name exists already: give a new name",
                    "ya existe un archivo con ese nombre: dé un nombre nuevo",
                )
                .to_owned(),
            FileError::Lost => lang
                .pick(
                    "the file's thread stopped before it answered",
                    "el hilo del archivo se detuvo antes de responder",
                )
                .to_owned(),
        }
    }
}

/// A file being read or written off the UI thread, with what its answer is for.
enum FileJob {
    /// An import's CSV, to be sent with its reason once read.
    Reading {
        unit: String,
        by: Actor,
        path: String,
        reason: String,
        answer: Receiver<Result<Arc<str>, FileError>>,
    },
    /// An export: the cells written.
    Writing {
        unit: String,
        reel_id: String,
        by: Actor,
        path: String,
        answer: Receiver<Result<usize, FileError>>,
    },
}

/// The row's state: the open dialog, the file job, and what the last file job came to.
#[derive(Default)]
pub struct RecordsState {
    dialog: Option<Dialog>,
    job: Option<FileJob>,
    /// The last file outcome, for the unit it was for: (unit, text, ok).
    said: Option<(String, String, bool)>,
}

/// The row under the what-if: the three actions, the last record change, and the open dialog.
pub fn records_ui(ui: &mut Ui, st: &mut RecordsState, v: &CtStringView, console: &mut Console) {
    let lang = console.lang();
    let may = console.may(Action::EditStringRecord);
    let refusal = crate::ui::alarm_pages::role_refusal(console, Action::EditStringRecord).unwrap_or_default();
    let free = st.job.is_none();
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new(lang.pick("String records:", "Registros de la sarta:")).strong());
        let cut = ui
            .add_enabled(may, egui::Button::new(lang.pick("Cut pipe…", "Cortar tubería…")))
            .on_disabled_hover_text(refusal.as_str());
        if cut.clicked() {
            st.dialog = Some(Dialog::Cut {
                unit: v.unit.clone(),
                end: StringEnd::Downhole,
                length: String::new(),
                reason: String::new(),
            });
        }
        let import = ui
            .add_enabled(
                may && free,
                egui::Button::new(lang.pick("Import CSV…", "Importar CSV…")),
            )
            .on_disabled_hover_text(refusal.as_str());
        if import.clicked() {
            st.dialog = Some(Dialog::Import {
                unit: v.unit.clone(),
                path: String::new(),
                reason: String::new(),
            });
        }
        let export = ui
            .add_enabled(
                may && free && v.export.is_some(),
                egui::Button::new(lang.pick("Export CSV…", "Exportar CSV…")),
            )
            .on_disabled_hover_text(refusal.as_str());
        if export.clicked() {
            st.dialog = Some(Dialog::Export {
                unit: v.unit.clone(),
                path: format!("{}-string.csv", v.reel_id),
            });
        }
        if !free {
            ui.spinner();
            let working = lang.pick("working on the file…", "trabajando con el archivo…");
            ui.label(RichText::new(working).color(theme::text_dim()));
        }
    });
    notes_ui(ui, st, v, lang, &refusal);
    if st.dialog.as_ref().is_some_and(|d| d.unit() != v.unit) {
        // Opened on another unit's string: what it was about is not on the screen now.
        st.dialog = None;
    }
    dialog_ui(ui, st, v, console);
}

/// The last change the service made or refused, the last file outcome, and why this user may not act.
fn notes_ui(ui: &mut Ui, st: &RecordsState, v: &CtStringView, lang: Lang, refusal: &str) {
    if let Some(n) = &v.last_record {
        let ink = if n.done { theme::text() } else { theme::QUALITY_BAD };
        let head = if n.done {
            lang.pick("Last record change", "Último cambio del registro")
        } else {
            lang.pick("Last record change REFUSED", "Último cambio del registro RECHAZADO")
        };
        ui.label(RichText::new(format!("{head} {} {}: {}", n.at.to_local_hms(), n.user, n.text)).color(ink));
    }
    if let Some((unit, text, ok)) = &st.said
        && *unit == v.unit
    {
        let ink = if *ok { theme::text() } else { theme::QUALITY_BAD };
        ui.label(RichText::new(text).color(ink));
    }
    if !refusal.is_empty() {
        ui.label(RichText::new(refusal).color(theme::text_dim()).size(theme::TEXT_SMALL));
    }
}

impl RecordsState {
    /// The file job's answer, when it has come: an import's text goes to the string service, an export is
    /// recorded; either failure is said. Called every frame the page is shown, whatever its section.
    pub fn poll(&mut self, console: &mut Console, ctx: &egui::Context, now: Timestamp) {
        let Some(job) = self.job.take() else { return };
        let lang = console.lang();
        match job {
            FileJob::Reading {
                unit,
                by,
                path,
                reason,
                answer,
            } => match answer_of(&answer) {
                None => {
                    self.job = Some(FileJob::Reading {
                        unit,
                        by,
                        path,
                        reason,
                        answer,
                    });
                    ctx.request_repaint_after(Duration::from_millis(100));
                }
                Some(Ok(csv_text)) => {
                    let done = match lang {
                        Lang::En => format!("CSV import of {path} sent for {unit}"),
                        Lang::Es => format!("importación del CSV {path} enviada para {unit}"),
                    };
                    let cmd = CtCommand::Import {
                        unit: unit.clone(),
                        csv_text,
                        reason,
                        by,
                    };
                    if console.send(HubCommand::Service(cmd.into()), done.clone()) {
                        self.said = Some((unit, done, true));
                    }
                }
                Some(Err(e)) => {
                    let text = match lang {
                        Lang::En => format!("NOT SENT: could not read {path}: {}", e.words(lang)),
                        Lang::Es => format!("NO ENVIADO: no se pudo leer {path}: {}", e.words(lang)),
                    };
                    console.notices.say(text.clone());
                    self.said = Some((unit, text, false));
                }
            },
            FileJob::Writing {
                unit,
                reel_id,
                by,
                path,
                answer,
            } => match answer_of(&answer) {
                None => {
                    self.job = Some(FileJob::Writing {
                        unit,
                        reel_id,
                        by,
                        path,
                        answer,
                    });
                    ctx.request_repaint_after(Duration::from_millis(100));
                }
                Some(Ok(cells)) => {
                    let detail = format!("reel {reel_id}: {cells} cells written to {path}");
                    let entry = AuditEntry::by(now, &by, "CT string export", unit.as_str(), detail, true);
                    if console.record(entry).is_err() {
                        console.notices.say(lang.pick(
                            "NOT SENT: the export's audit record (the command queue is full)",
                            "NO ENVIADO: el registro de auditoría de la exportación (cola de comandos llena)",
                        ));
                    }
                    let text = match lang {
                        Lang::En => format!("{cells} cells of reel {reel_id} written to {path}"),
                        Lang::Es => format!("{cells} celdas del carrete {reel_id} escritas en {path}"),
                    };
                    console.notices.say(text.clone());
                    self.said = Some((unit, text, true));
                }
                Some(Err(e)) => {
                    let text = match lang {
                        Lang::En => format!("CSV NOT WRITTEN to {path}: {}", e.words(lang)),
                        Lang::Es => format!("CSV NO ESCRITO en {path}: {}", e.words(lang)),
                    };
                    console.notices.say(text.clone());
                    self.said = Some((unit, text, false));
                }
            },
        }
    }

    /// Starts reading the import's file; a thread that cannot start is said at once.
    fn start_import(&mut self, console: &mut Console, unit: String, path: String, reason: String) {
        let from = path.clone();
        match on_thread("ct-csv-read", move || read_csv(&from)) {
            Ok(answer) => {
                self.job = Some(FileJob::Reading {
                    unit,
                    by: console.actor.clone(),
                    path,
                    reason: reason.trim().to_owned(),
                    answer,
                });
            }
            Err(e) => self.file_failed(console, unit, &path, &e),
        }
    }

    /// Starts writing `export` to a new file at `path`.
    fn start_export(&mut self, console: &mut Console, v: &CtStringView, export: Arc<dyn StringExport>, path: String) {
        let to = path.clone();
        match on_thread("ct-csv-write", move || write_csv(&to, export.as_ref())) {
            Ok(answer) => {
                self.job = Some(FileJob::Writing {
                    unit: v.unit.clone(),
                    reel_id: v.reel_id.clone(),
                    by: console.actor.clone(),
                    path,
                    answer,
                });
            }
            Err(e) => self.file_failed(console, v.unit.clone(), &path, &e),
        }
    }

    fn file_failed(&mut self, console: &mut Console, unit: String, path: &str, e: &FileError) {
        let lang = console.lang();
        let text = match lang {
            Lang::En => format!("NOT SENT: {path}: {}", e.words(lang)),
            Lang::Es => format!("NO ENVIADO: {path}: {}", e.words(lang)),
        };
        console.notices.say(text.clone());
        self.said = Some((unit, text, false));
    }
}

/// The answer on `rx`: `None` while the thread works, `Lost` if it ended without one.
fn answer_of<T>(rx: &Receiver<Result<T, FileError>>) -> Option<Result<T, FileError>> {
    match rx.try_recv() {
        Ok(a) => Some(a),
        Err(TryRecvError::Empty) => None,
        Err(TryRecvError::Disconnected) => Some(Err(FileError::Lost)),
    }
}

/// Runs `work` on a short-lived thread; its one answer arrives on the receiver.
fn on_thread<T: Send + 'static>(
    name: &str,
    work: impl FnOnce() -> Result<T, FileError> + Send + 'static,
) -> Result<Receiver<Result<T, FileError>>, FileError> {
    let (tx, rx) = bounded(1);
    let spawned = std::thread::Builder::new().name(name.to_owned()).spawn(move || {
        // The page may be gone by now: nobody left to tell is not a failure.
        let _ = tx.send(work());
    });
    match spawned {
        Ok(_) => Ok(rx),
        Err(e) => Err(FileError::Io(e.to_string())),
    }
}

/// An import's text: at most `MAX_CSV_BYTES` are read, so a wrong file (a log, an image) cannot fill memory.
fn read_csv(path: &str) -> Result<Arc<str>, FileError> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| FileError::Io(e.to_string()))?;
    let mut bytes = Vec::new();
    file.take(MAX_CSV_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| FileError::Io(e.to_string()))?;
    if bytes.len() > MAX_CSV_BYTES {
        return Err(FileError::TooLarge);
    }
    let text = String::from_utf8(bytes).map_err(|_| FileError::NotText)?;
    Ok(Arc::from(text))
}

/// Writes the string's CSV to a new file at `path` (never over an existing one): the cells written.
fn write_csv(path: &str, export: &dyn StringExport) -> Result<usize, FileError> {
    use std::io::Write;
    let text = export.csv();
    let cells = text.lines().filter(|l| !l.starts_with('#')).count().saturating_sub(1);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => FileError::Exists,
            _ => FileError::Io(e.to_string()),
        })?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| FileError::Io(e.to_string()))?;
    Ok(cells)
}

/// A length typed in the console's units, in ft: `None` unless it is a number. In Spanish a lone decimal
/// comma is the point ("12,5"), as `Locale::parse_write` reads it; a thousands separator is not a number.
fn typed_ft(text: &str, loc: Locale) -> Option<f64> {
    let t = text.trim();
    let decimal = if loc.lang == Lang::Es && !t.contains('.') && t.matches(',').count() == 1 {
        t.replace(',', ".")
    } else {
        t.to_owned()
    };
    let shown = decimal.parse::<f64>().ok().filter(|x| x.is_finite())?;
    Some(loc.units.shown("ft").kept(shown))
}

/// The open dialog, if any; Confirm sends or starts its job, Cancel closes it.
fn dialog_ui(ui: &mut Ui, st: &mut RecordsState, v: &CtStringView, console: &mut Console) {
    let Some(mut d) = st.dialog.take() else { return };
    let loc = console.locale();
    let lang = loc.lang;
    let (mut keep, mut confirm) = (true, false);
    egui::Modal::new(egui::Id::unique("ct_string_records_dialog")).show(ui.ctx(), |ui| {
        ui.set_width(520.0);
        match &mut d {
            Dialog::Cut {
                end, length, reason, ..
            } => {
                let ready = cut_form_ui(ui, v, loc, end, length, reason);
                confirm_row(
                    ui,
                    ready,
                    lang.pick("Confirm cut", "Confirmar corte"),
                    &mut confirm,
                    &mut keep,
                    lang,
                );
            }
            Dialog::Import { path, reason, .. } => {
                ui.heading(match lang {
                    Lang::En => format!("Import fatigue onto the string of {}", v.unit_label),
                    Lang::Es => format!("Importar fatiga a la sarta de {}", v.unit_label),
                });
                ui.label(lang.pick(
                    "The CSV replaces the fatigue of every cell of the string, and its running feet when the file \
                     gives them. A file of another reel is refused. It needs the columns position_ft and \
                     fatigue_pct, as the export writes them.",
                    "El CSV reemplaza la fatiga de cada celda de la sarta, y su recorrido cuando el archivo lo trae. \
                     Se rechaza un archivo de otro carrete. Necesita las columnas position_ft y fatigue_pct, como \
                     las escribe la exportación.",
                ));
                path_ui(ui, lang.pick("File to import:", "Archivo a importar:"), path);
                reason_ui(ui, reason, lang);
                let ready = !path.trim().is_empty() && !reason.trim().is_empty();
                confirm_row(
                    ui,
                    ready,
                    lang.pick("Import", "Importar"),
                    &mut confirm,
                    &mut keep,
                    lang,
                );
            }
            Dialog::Export { path, .. } => {
                ui.heading(match lang {
                    Lang::En => format!("Export the string of {} as CSV", v.unit_label),
                    Lang::Es => format!("Exportar la sarta de {} como CSV", v.unit_label),
                });
                ui.label(lang.pick(
                    "One row per cell from the tip, with its fatigue. A new file is written; an existing one is \
                     never replaced.",
                    "Una fila por celda desde la punta, con su fatiga. Se escribe un archivo nuevo; nunca se \
                     reemplaza uno existente.",
                ));
                path_ui(ui, lang.pick("File to write:", "Archivo a escribir:"), path);
                let ready = !path.trim().is_empty();
                confirm_row(
                    ui,
                    ready,
                    lang.pick("Export", "Exportar"),
                    &mut confirm,
                    &mut keep,
                    lang,
                );
            }
        }
    });
    if !confirm {
        if keep {
            st.dialog = Some(d);
        }
        return;
    }
    match d {
        Dialog::Cut {
            unit,
            end,
            length,
            reason,
        } => {
            let Some(length_ft) = typed_ft(&length, loc) else {
                return;
            };
            let (shown, of) = (qty(loc, "ft", length_ft, 1), &v.unit_label);
            let done = match (lang, end) {
                (Lang::En, StringEnd::Downhole) => format!("cut of {shown} off the downhole end of {of} sent"),
                (Lang::En, StringEnd::Core) => format!("cut of {shown} off the core end of {of} sent"),
                (Lang::Es, StringEnd::Downhole) => format!("corte de {shown} del extremo de fondo de {of} enviado"),
                (Lang::Es, StringEnd::Core) => format!("corte de {shown} del extremo del núcleo de {of} enviado"),
            };
            let cmd = CtCommand::Cut {
                unit,
                end,
                length_ft,
                reason: reason.trim().to_owned(),
                by: console.actor.clone(),
            };
            console.send(HubCommand::Service(cmd.into()), done);
        }
        Dialog::Import { unit, path, reason } => st.start_import(console, unit, path.trim().to_owned(), reason),
        Dialog::Export { path, .. } => match v.export.clone() {
            Some(export) => st.start_export(console, v, export, path.trim().to_owned()),
            None => st.dialog = None,
        },
    }
}

/// The cut's end, length and reason, and the string as it will be: true when it may be confirmed (a length
/// within the string, a reason).
fn cut_form_ui(
    ui: &mut Ui,
    v: &CtStringView,
    loc: Locale,
    end: &mut StringEnd,
    length: &mut String,
    reason: &mut String,
) -> bool {
    let lang = loc.lang;
    ui.heading(match lang {
        Lang::En => format!("Cut pipe off the string of {}", v.unit_label),
        Lang::Es => format!("Cortar tubería de la sarta de {}", v.unit_label),
    });
    ui.label(match lang {
        Lang::En => format!(
            "Reel {}, now {} long. Positions are counted from the tip: a cut at the downhole end moves every \
             position by the length cut, a cut at the core end leaves them as they are. The fatigue of the pipe \
             cut off leaves the record.",
            v.reel_id,
            qty(loc, "ft", v.string_length_ft, 1)
        ),
        Lang::Es => format!(
            "Carrete {}, ahora de {}. Las posiciones se cuentan desde la punta: un corte en el extremo de fondo \
             mueve cada posición en la longitud cortada, un corte en el extremo del núcleo las deja como están. \
             La fatiga de la tubería cortada sale del registro.",
            v.reel_id,
            qty(loc, "ft", v.string_length_ft, 1)
        ),
    });
    ui.horizontal_wrapped(|ui| {
        ui.label(lang.pick("End:", "Extremo:"));
        ui.selectable_value(
            end,
            StringEnd::Downhole,
            lang.pick("Downhole end (tip)", "Extremo de fondo (punta)"),
        );
        ui.selectable_value(end, StringEnd::Core, lang.pick("Core end", "Extremo del núcleo"));
    });
    let unit = loc.units.shown("ft").unit;
    let l = ui.label(match lang {
        Lang::En => format!("Length to cut ({unit}):"),
        Lang::Es => format!("Longitud a cortar ({unit}):"),
    });
    ui.add(egui::TextEdit::singleline(length).desired_width(160.0))
        .labelled_by(l.id);
    let length_ft = typed_ft(length, loc).filter(|x| *x > 0.0 && *x < v.string_length_ft);
    match length_ft {
        Some(x) => {
            ui.label(
                RichText::new(format!(
                    "{} {}",
                    lang.pick("New string length:", "Nueva longitud de la sarta:"),
                    qty(loc, "ft", v.string_length_ft - x, 1)
                ))
                .strong(),
            );
        }
        None if length.trim().is_empty() => {}
        None => {
            ui.label(
                RichText::new(match lang {
                    Lang::En => format!(
                        "Give a length more than 0 and less than the string's {}",
                        qty(loc, "ft", v.string_length_ft, 1)
                    ),
                    Lang::Es => format!(
                        "Indique una longitud mayor que 0 y menor que la de la sarta, {}",
                        qty(loc, "ft", v.string_length_ft, 1)
                    ),
                })
                .color(theme::QUALITY_BAD),
            );
        }
    }
    reason_ui(ui, reason, lang);
    length_ft.is_some() && !reason.trim().is_empty()
}

fn path_ui(ui: &mut Ui, label: &str, path: &mut String) {
    let l = ui.label(label);
    ui.add(egui::TextEdit::singleline(path).desired_width(500.0))
        .labelled_by(l.id);
}

fn reason_ui(ui: &mut Ui, reason: &mut String, lang: Lang) {
    let l = ui.label(lang.pick("Reason (required):", "Motivo (obligatorio):"));
    ui.add(egui::TextEdit::singleline(reason).desired_width(500.0))
        .labelled_by(l.id);
}

fn confirm_row(ui: &mut Ui, ready: bool, label: &str, confirm: &mut bool, keep: &mut bool, lang: Lang) {
    ui.add_space(8.0);
    ui.horizontal(|ui| {
        if ui
            .add_enabled(ready, egui::Button::new(RichText::new(label).strong()))
            .clicked()
        {
            *confirm = true;
        }
        if ui.button(lang.pick("Cancel", "Cancelar")).clicked() {
            *keep = false;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::UnitSystem;

    #[test]
    fn a_typed_length_is_read_in_the_consoles_units_and_language() {
        let en = Locale::default();
        let es = Locale {
            lang: Lang::Es,
            units: UnitSystem::Oilfield,
        };
        let si = Locale {
            lang: Lang::En,
            units: UnitSystem::Si,
        };
        assert_eq!(typed_ft(" 100 ", en), Some(100.0));
        assert_eq!(typed_ft("12,5", es), Some(12.5));
        // A thousands separator is not read as a decimal mark in English: a cut is never 1 ft by mistake.
        assert_eq!(typed_ft("1,000", en), None);
        assert_eq!(typed_ft("abc", en), None);
        assert_eq!(typed_ft("inf", en), None);
        let m = typed_ft("30.48", si).unwrap();
        assert!((m - 100.0).abs() < 1e-9, "{m}");
    }

    #[test]
    fn an_import_file_is_bounded_and_an_export_never_replaces_a_file() {
        #[derive(Debug)]
        struct Fixed;
        impl StringExport for Fixed {
            fn csv(&self) -> String {
                "# reel,R-1\nposition_ft,fatigue_pct\n0,1\n1,2\n".to_owned()
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("string.csv");
        let p = path.to_str().unwrap();
        assert_eq!(write_csv(p, &Fixed), Ok(2));
        assert_eq!(write_csv(p, &Fixed), Err(FileError::Exists));
        assert_eq!(read_csv(p).unwrap().as_ref(), Fixed.csv());
        let big = dir.path().join("big.csv");
        std::fs::write(&big, vec![b'0'; MAX_CSV_BYTES + 1]).unwrap();
        assert_eq!(read_csv(big.to_str().unwrap()), Err(FileError::TooLarge));
        let binary = dir.path().join("image.png");
        std::fs::write(&binary, b"\xff\xfe\x00\x89").unwrap();
        assert_eq!(read_csv(binary.to_str().unwrap()), Err(FileError::NotText));
        assert!(matches!(
            read_csv(dir.path().join("none.csv").to_str().unwrap()),
            Err(FileError::Io(_))
        ));
    }
}
