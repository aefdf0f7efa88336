//! `wellconsole production tests|show|sign|approve|reject|export`: the office's side of the well tests, on the
//! site's `production.db` beside the other records.
//!
//! Owns the command line's shapes only: the table a person reads, the text of one test, the JSON and CSV the
//! exports write. Every change goes through `production::command::apply`, the console's own path:
//! role-checked, then the store, then one audit record (written to the trail before this returns). A
//! certificate goes through `production::export`, the console writer's own code (not by a viewer, a new
//! `.pdf` file only, never in the records' folder), audited the same way; a certificate whose audit record
//! could not be written is removed. Who acts is settled by the binary (a login on a site with users, as
//! `wellconsole write` does) and handed in. Reads need no login and open the records read-only. Must not
//! import `ui`. A running console sees a change within a second (its writer watches the store).

use crate::auth::Actor;
use crate::auth::audit::{self, AuditError, AuditSink};
use crate::calc::ipr::{FitMethod, IprFit, IprModel};
use crate::cli::{ProductionCommand, ProductionExportArgs};
use crate::production::certificate::content_sha256;
use crate::production::command::{self, ProductionRequest};
use crate::production::config::ProductionConfig;
use crate::production::export::{self, CertificateSources};
use crate::production::model::{ProductionError, WellTest};
use crate::production::perf;
use crate::production::store::{ProductionStore, TestFilter};
use crate::project::Project;
use crate::records::Records;
use crate::tag::Timestamp;
use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Every test the file may hold (`store::MAX_TESTS`): what an export of all of them reads at most.
const ALL: usize = 100_000;
/// Points of the inflow curve `show` gives (from the reservoir pressure down to 0 psi).
const CURVE_STEPS: usize = 10;
/// What a place that needs the site's production configuration says without it.
const NO_CONFIGURATION: &str = "the site has no production configuration ([production] in site.toml)";

/// The site the command line works on.
pub struct Office<'a> {
    pub project: &'a Project,
    pub records: &'a Records,
    /// The history database the certificate's charts are read from (used only when the file exists).
    pub history: PathBuf,
}

impl Office<'_> {
    fn production(&self) -> Option<&ProductionConfig> {
        self.project.site.production.as_deref()
    }
}

/// Why `wellconsole production` did not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum ProductionCliError {
    /// Refused (role, state, a rule), invalid input, or the records could not be read or written.
    #[error(transparent)]
    Production(#[from] ProductionError),
    /// An argument that is not what it must be.
    #[error("{0}")]
    Usage(String),
    #[error("{path}: {source}")]
    Json { path: String, source: serde_json::Error },
    #[error(transparent)]
    Audit(#[from] AuditError),
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
}

impl ProductionCliError {
    /// The person must change the request (exit 1), rather than the records or a file failing (exit 2).
    pub fn refused(&self) -> bool {
        match self {
            ProductionCliError::Production(e) => !matches!(e, ProductionError::Store(_) | ProductionError::Busy),
            ProductionCliError::Usage(_) => true,
            ProductionCliError::Json { .. } | ProductionCliError::Audit(_) | ProductionCliError::Io { .. } => false,
        }
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ProductionCliError + '_ {
    move |source| ProductionCliError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Runs one `wellconsole production` command; `by` is who acts (required for a change and for a
/// certificate, see `ProductionCommand::login`).
pub fn run(office: &Office, command: ProductionCommand, by: Option<&Actor>) -> Result<(), ProductionCliError> {
    let req = match command {
        ProductionCommand::Tests {
            well,
            status,
            limit,
            json,
        } => {
            let filter = TestFilter {
                well,
                status,
                limit: usize::try_from(limit).unwrap_or(ALL).min(ALL),
            };
            return list_tests(&reader(office)?, &filter, json);
        }
        ProductionCommand::Show { id, json } => return show(office, &reader(office)?, id, json),
        ProductionCommand::Export(args) => return export(office, &args, by),
        ProductionCommand::Sign(a) => ProductionRequest::SignTester { id: a.id },
        ProductionCommand::Approve(a) => ProductionRequest::Approve {
            id: a.id,
            note: a.note.unwrap_or_default(),
        },
        ProductionCommand::Reject(a) => ProductionRequest::Reject {
            id: a.id,
            reason: a.reason,
        },
    };
    let Some(by) = by else {
        return Err(ProductionCliError::Usage(
            "a change to the well tests needs the person who makes it".into(),
        ));
    };
    let message = act(office, by, &req)?;
    say(&format!("{message}\n"))
}

/// The well tests for reading: the file read-only, or an empty store where the site has none yet (no test
/// was ever recorded here).
fn reader(office: &Office) -> Result<ProductionStore, ProductionError> {
    let path = office.records.production();
    if path.exists() {
        ProductionStore::open_read_only(&path)
    } else {
        ProductionStore::open_in_memory()
    }
}

/// Applies a change as `by` and writes its audit record to the trail (opened first: a change that could
/// not be recorded is not made). The message for the person, or why it was refused.
fn act(office: &Office, by: &Actor, req: &ProductionRequest) -> Result<String, ProductionCliError> {
    let trail = office.project.audit_trail(office.records);
    let mut audit_db = audit::open(&trail)?;
    let mut store = ProductionStore::open(&office.records.production())?;
    // One request makes one record; the channel holds it until it is chained below.
    let (sink, audited) = AuditSink::channel(4);
    let answer = command::apply(&mut store, by, req, Timestamp::now(), Some(&sink));
    for entry in audited.try_iter() {
        audit::append(&mut audit_db, &trail, &entry)?;
    }
    Ok(answer?)
}

/// Writes to standard output (a closed pipe is an error to report, not a panic).
fn say(text: &str) -> Result<(), ProductionCliError> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(io(Path::new("standard output")))
}

fn json_text<T: Serialize + ?Sized>(value: &T) -> Result<String, ProductionCliError> {
    serde_json::to_string_pretty(value)
        .map(|s| s + "\n")
        .map_err(|source| ProductionCliError::Json {
            path: "the JSON written".into(),
            source,
        })
}

/// A test's end as the table shows it: UTC to the minute.
fn minute_utc(t: Timestamp) -> String {
    chrono::DateTime::from_timestamp_micros(t.0)
        .map_or_else(|| t.to_rfc3339(), |d| d.format("%Y-%m-%d %H:%M").to_string())
}

fn time(t: Option<Timestamp>) -> String {
    t.map_or_else(|| "-".to_owned(), Timestamp::to_rfc3339)
}

/// A measured figure, or "-" where it was not measured.
fn num(v: Option<f64>, decimals: usize) -> String {
    v.map_or_else(|| "-".to_owned(), |v| format!("{v:.decimals$}"))
}

/// A ratio, or "undefined" where it has none (no oil, or no liquid): never infinity.
fn ratio(v: Option<f64>, decimals: usize) -> String {
    v.filter(|x| x.is_finite())
        .map_or_else(|| "undefined".to_owned(), |v| format!("{v:.decimals$}"))
}

fn text(v: Option<&str>) -> String {
    v.map_or_else(|| "-".to_owned(), str::to_owned)
}

/// Rows under a header, each column as wide as its widest cell; figures (`right`) align right.
fn aligned(header: &[(&str, bool)], rows: &[Vec<String>]) -> String {
    let mut width: Vec<usize> = header.iter().map(|(h, _)| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in width.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = aligned_line(header, &width, header.iter().map(|(h, _)| *h));
    for row in rows {
        out.push_str(&aligned_line(header, &width, row.iter().map(String::as_str)));
    }
    out
}

/// One line of `aligned`, without trailing spaces.
fn aligned_line<'a>(header: &[(&str, bool)], width: &[usize], cells: impl Iterator<Item = &'a str>) -> String {
    let mut s = String::new();
    for (i, (cell, (w, (_, right)))) in cells.zip(width.iter().zip(header)).enumerate() {
        if i > 0 {
            s.push_str("  ");
        }
        let w = *w;
        if *right {
            s.push_str(&format!("{cell:>w$}"));
        } else {
            s.push_str(&format!("{cell:<w$}"));
        }
    }
    format!("{}\n", s.trim_end())
}

fn list_tests(store: &ProductionStore, filter: &TestFilter, json: bool) -> Result<(), ProductionCliError> {
    let list = store.list(filter)?;
    if json {
        return say(&json_text(&list)?);
    }
    let header = [
        ("id", true),
        ("well", false),
        ("end (UTC)", false),
        ("hours", true),
        ("oil STB/d", true),
        ("water bbl/d", true),
        ("gas Mscf/d", true),
        ("GOR scf/STB", true),
        ("WC %", true),
        ("p_wf psi", true),
        ("status", false),
        ("tester", false),
        ("decided by", false),
    ];
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|t| {
            let m = &t.m;
            vec![
                t.id.to_string(),
                m.well.clone(),
                minute_utc(m.end),
                format!("{:.2}", m.duration_h()),
                format!("{:.1}", m.oil_stb_d),
                format!("{:.1}", m.water_bbl_d),
                format!("{:.1}", m.gas_mscf_d),
                ratio(m.gor_scf_stb, 0),
                ratio(m.water_cut.map(|w| w * 100.0), 1),
                num(m.pwf_psi, 0),
                t.status.code().to_owned(),
                text(t.tested_by.as_deref()),
                text(t.decided_by.as_deref()),
            ]
        })
        .collect();
    let mut s = aligned(&header, &rows);
    if list.is_empty() {
        s.push_str("(no well tests)\n");
    } else if list.len() >= filter.limit {
        s.push_str(&format!(
            "(the newest {}; --limit N shows more, up to {ALL})\n",
            list.len()
        ));
    }
    say(&s)
}

/// A well's inflow curve as of one test, as `show` gives it.
#[derive(Debug, Serialize)]
struct Inflow {
    /// Why there is no curve: no production configuration, a well it does not name, no approved test with a
    /// flowing pressure up to this one, or a test the model refuses.
    problem: Option<String>,
    fit: Option<IprFit>,
    aof_stb_d: Option<f64>,
    /// The approved tests the curve is fitted to (ids), oldest first.
    tests_used: Vec<i64>,
    /// (liquid rate STB/d, flowing bottomhole pressure psi), from the reservoir pressure down to 0 psi.
    curve: Vec<[f64; 2]>,
}

impl Inflow {
    fn none(problem: String) -> Self {
        Self {
            problem: Some(problem),
            fit: None,
            aof_stb_d: None,
            tests_used: Vec::new(),
            curve: Vec::new(),
        }
    }
}

/// One test as `show --json` writes it.
#[derive(Serialize)]
struct TestRecord<'a> {
    test: &'a WellTest,
    /// The well's name as people know it (its id where the configuration does not name it).
    well_label: String,
    /// The SHA-256 of the measured record, as the certificate prints it.
    content_sha256: String,
    inflow: Inflow,
}

fn inflow(office: &Office, store: &ProductionStore, t: &WellTest) -> Result<Inflow, ProductionError> {
    let Some(p) = office.production() else {
        return Ok(Inflow::none(NO_CONFIGURATION.to_owned()));
    };
    let Some(w) = p.well(&t.m.well) else {
        return Ok(Inflow::none(format!(
            "the site's production configuration has no well '{}' ([[production.well]])",
            t.m.well
        )));
    };
    let ipr = perf::well_ipr(w, &export::approved_up_to(store, t)?);
    Ok(Inflow {
        problem: ipr.problem,
        aof_stb_d: ipr.current.map(|f| f.ipr.aof_stb_d()),
        curve: ipr.current.map_or_else(Vec::new, |f| f.ipr.curve(CURVE_STEPS)),
        fit: ipr.current,
        tests_used: ipr.tests_used,
    })
}

fn show(office: &Office, store: &ProductionStore, id: i64, json: bool) -> Result<(), ProductionCliError> {
    let t = store.get(id)?;
    let record = TestRecord {
        well_label: office
            .production()
            .and_then(|p| p.well(&t.m.well))
            .map_or_else(|| t.m.well.clone(), |w| w.label.clone()),
        content_sha256: content_sha256(&t.m),
        inflow: inflow(office, store, &t)?,
        test: &t,
    };
    if json {
        return say(&json_text(&record)?);
    }
    let mut s = test_text(&record);
    s.push_str(&inflow_text(&record.inflow));
    say(&s)
}

fn test_text(r: &TestRecord) -> String {
    let (t, m) = (r.test, &r.test.m);
    let well = if r.well_label == m.well {
        m.well.clone()
    } else {
        format!("{} ({})", r.well_label, m.well)
    };
    let mut s = format!("Well test {}: {well}, {}\n", t.id, t.status.code());
    let yes_no = |b: bool, yes: &str, no: &str| if b { yes.to_owned() } else { no.to_owned() };
    let decided = match (&t.decided_by, t.decided_at) {
        (Some(by), at) => format!("{} by {by} at {}", t.status.code(), time(at)),
        (None, _) => "pending (not decided)".to_owned(),
    };
    let lines = [
        ("separator", m.separator.clone()),
        ("routed", m.routed_at.to_rfc3339()),
        ("stable", m.stable_at.to_rfc3339()),
        (
            "test period",
            format!(
                "{} to {} ({:.2} h)",
                m.start.to_rfc3339(),
                m.end.to_rfc3339(),
                m.duration_h()
            ),
        ),
        ("oil", format!("{:.1} STB/d", m.oil_stb_d)),
        ("water", format!("{:.1} bbl/d", m.water_bbl_d)),
        ("gas", format!("{:.1} Mscf/d", m.gas_mscf_d)),
        ("GOR", format!("{} scf/STB", ratio(m.gor_scf_stb, 0))),
        ("WOR", format!("{} bbl/bbl", ratio(m.wor, 3))),
        ("water cut", format!("{} %", ratio(m.water_cut.map(|w| w * 100.0), 1))),
        ("BS&W", format!("{} %", num(m.bsw.map(|b| b * 100.0), 1))),
        (
            "separator at",
            format!("{:.0} psi, {} °F", m.separator_psi, num(m.separator_temp_f, 0)),
        ),
        ("wellhead", format!("{} psi", num(m.whp_psi, 0))),
        ("p_wf", format!("{} psi", num(m.pwf_psi, 0))),
        ("ESP", format!("{} Hz", num(m.esp_hz, 1))),
        (
            "factors",
            format!(
                "meter oil {:.4}, water {:.4}, gas {:.4}; shrinkage {:.4}",
                m.meter_factors[0], m.meter_factors[1], m.meter_factors[2], m.shrinkage
            ),
        ),
        (
            "volumes",
            format!(
                "{}; {}",
                yes_no(m.totalized, "from the totalizers", "from the rates integrated"),
                yes_no(
                    m.level_compensated,
                    "the vessel's levels counted",
                    "the vessel's levels not counted"
                )
            ),
        ),
        ("bad input", format!("{:.0} s of the test period", m.bad_input_s)),
        (
            "tester",
            match &t.tested_by {
                Some(by) => format!("{by} at {}", time(t.tested_at)),
                None => "not signed".to_owned(),
            },
        ),
        ("decided", decided),
        ("reason", t.reason.clone()),
        ("note", t.note.replace('\n', " / ")),
        ("sha256", r.content_sha256.clone()),
    ];
    for (name, value) in lines {
        s.push_str(&format!("  {name:<13} {value}\n"));
    }
    s
}

fn model_name(m: IprModel) -> &'static str {
    match m {
        IprModel::Linear => "linear (PI)",
        IprModel::Vogel => "Vogel",
        IprModel::Composite => "composite",
    }
}

fn method_name(m: FitMethod) -> &'static str {
    match m {
        FitMethod::OnePoint => "one-point",
        FitMethod::LeastSquares => "least squares",
    }
}

fn inflow_text(inflow: &Inflow) -> String {
    let mut s = String::from("\nInflow as of this test\n");
    let Some(fit) = &inflow.fit else {
        let why = inflow.problem.as_deref().unwrap_or("no curve");
        s.push_str(&format!("  none: {why}\n"));
        return s;
    };
    let ids: Vec<String> = inflow.tests_used.iter().map(i64::to_string).collect();
    let ipr = &fit.ipr;
    s.push_str(&format!(
        "  {} IPR, {} fit to {} approved test(s) ({}), RMS residual {:.1} STB/d\n",
        model_name(fit.model),
        method_name(fit.method),
        fit.points,
        ids.join(", "),
        fit.rms_residual_stb_d
    ));
    s.push_str(&format!(
        "  reservoir {:.0} psi, bubble point {:.0} psi, J {:.4} bbl/d/psi, AOF {:.1} bbl/d (liquid)\n",
        ipr.p_res_psi,
        ipr.p_b_psi,
        ipr.j_stb_d_psi,
        ipr.aof_stb_d()
    ));
    let rows: Vec<Vec<String>> = inflow
        .curve
        .iter()
        .map(|[q, p]| vec![format!("{p:.0}"), format!("{q:.1}")])
        .collect();
    for line in aligned(&[("p_wf psi", true), ("liquid STB/d", true)], &rows).lines() {
        s.push_str(&format!("  {line}\n"));
    }
    s
}

/// `export`: the certificate (--pdf), or the tests as JSON or CSV.
fn export(office: &Office, a: &ProductionExportArgs, by: Option<&Actor>) -> Result<(), ProductionCliError> {
    let store = reader(office)?;
    if let Some(pdf) = &a.pdf {
        return certificate(office, &store, a, pdf, by);
    }
    if a.login.given() {
        return Err(ProductionCliError::Usage(
            "--user, --role and --password-env are for --pdf: exporting JSON or CSV only reads the tests".into(),
        ));
    }
    let tests = match a.id {
        Some(id) => vec![store.get(id)?],
        None => store.list(&TestFilter {
            well: a.well.clone(),
            status: None,
            limit: ALL,
        })?,
    };
    let (body, out) = match (&a.json, &a.csv) {
        (Some(out), _) => (json_text(&tests)?, out),
        (None, Some(out)) => (csv(&tests), out),
        (None, None) => {
            return Err(ProductionCliError::Usage(
                "say what to export: --pdf FILE, --json [FILE] or --csv [FILE]".into(),
            ));
        }
    };
    if out.as_path() == Path::new("-") {
        return say(&body);
    }
    if inside_records(out, office.records) {
        return Err(ProductionCliError::Usage(format!(
            "{}: the records' folder holds only the site's records: write the export elsewhere",
            out.display()
        )));
    }
    crate::records::replace_file(out, body.as_bytes()).map_err(io(out))?;
    eprintln!("{}: {} well test(s)", out.display(), tests.len());
    Ok(())
}

/// Whether `path` would be in the site's records folder (where an export must never land: a typed name
/// could be one of the record databases).
fn inside_records(path: &Path, records: &Records) -> bool {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    match (dir.canonicalize(), records.dir.canonicalize()) {
        (Ok(a), Ok(b)) => a.starts_with(b),
        _ => false,
    }
}

/// Writes one test's certificate as `by` (`export::write_pdf`, the console writer's code) and records the
/// act, done or refused, in the audit trail; a certificate whose record could not be written is removed.
fn certificate(
    office: &Office,
    store: &ProductionStore,
    a: &ProductionExportArgs,
    pdf: &Path,
    by: Option<&Actor>,
) -> Result<(), ProductionCliError> {
    let Some(by) = by else {
        return Err(ProductionCliError::Usage(
            "a certificate written to a file needs the person who writes it".into(),
        ));
    };
    let Some(id) = a.id else {
        return Err(ProductionCliError::Usage("--pdf needs the test's number".into()));
    };
    let trail = office.project.audit_trail(office.records);
    let mut audit_db = audit::open(&trail)?;
    let history = office.history.is_file().then_some(office.history.as_path());
    let src = CertificateSources {
        site: &office.project.site.name,
        production: office.production(),
        history: history.map(|h| (h, &*office.project.site.tags)),
    };
    let (lang, units) = (a.lang.unwrap_or_default(), a.units.unwrap_or_default());
    let records_db = office.records.production();
    let answer = export::write_pdf(store, &records_db, &src, by, id, pdf, lang, units);
    let entry = export::audit_entry(store, by, id, pdf, &answer, Timestamp::now());
    if let Err(e) = audit::append(&mut audit_db, &trail, &entry) {
        if answer.is_ok() {
            // Not recorded, so not made: the file this run wrote goes.
            let _ = std::fs::remove_file(pdf);
        }
        return Err(e.into());
    }
    let message = answer?;
    if office.production().is_none() {
        eprintln!("note: {NO_CONFIGURATION}: the certificate names the well by its id, without a curve or charts");
    }
    say(&format!("{message}\n"))
}

/// A field as RFC 4180 has it: quoted when it holds a comma, a quote or a line break (quotes doubled).
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// Text a person typed (a name, a reason, a note): a spreadsheet would run one starting with = + - @ as a
/// formula, so such text is kept behind an apostrophe.
fn csv_text(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        csv_field(&format!("'{s}"))
    } else {
        csv_field(s)
    }
}

/// The CSV header: each figure's unit in its name; times are UTC (RFC 3339); fractions are 0 to 1.
const CSV_HEADER: &str = "id,well,separator,status,routed_utc,stable_utc,start_utc,end_utc,duration_h,oil_stb_d,\
water_bbl_d,gas_mscf_d,gor_scf_stb,wor_bbl_bbl,water_cut_fraction,bsw_fraction,separator_psi,separator_temp_f,\
whp_psi,pwf_psi,esp_hz,oil_meter_factor,water_meter_factor,gas_meter_factor,shrinkage,totalized,\
level_compensated,bad_input_s,tested_by,tested_utc,decided_by,decided_utc,reason,note,content_sha256";

/// One row per test (RFC 4180: CRLF line ends); a figure not measured or undefined is an empty field.
fn csv(tests: &[WellTest]) -> String {
    let opt = |v: Option<f64>| v.filter(|x| x.is_finite()).map_or_else(String::new, |v| v.to_string());
    let when = |t: Option<Timestamp>| t.map_or_else(String::new, Timestamp::to_rfc3339);
    let mut s = format!("{CSV_HEADER}\r\n");
    for t in tests {
        let m = &t.m;
        let fields = [
            t.id.to_string(),
            csv_text(&m.well),
            csv_text(&m.separator),
            t.status.code().to_owned(),
            m.routed_at.to_rfc3339(),
            m.stable_at.to_rfc3339(),
            m.start.to_rfc3339(),
            m.end.to_rfc3339(),
            m.duration_h().to_string(),
            m.oil_stb_d.to_string(),
            m.water_bbl_d.to_string(),
            m.gas_mscf_d.to_string(),
            opt(m.gor_scf_stb),
            opt(m.wor),
            opt(m.water_cut),
            opt(m.bsw),
            m.separator_psi.to_string(),
            opt(m.separator_temp_f),
            opt(m.whp_psi),
            opt(m.pwf_psi),
            opt(m.esp_hz),
            m.meter_factors[0].to_string(),
            m.meter_factors[1].to_string(),
            m.meter_factors[2].to_string(),
            m.shrinkage.to_string(),
            m.totalized.to_string(),
            m.level_compensated.to_string(),
            m.bad_input_s.to_string(),
            csv_text(t.tested_by.as_deref().unwrap_or("")),
            when(t.tested_at),
            csv_text(t.decided_by.as_deref().unwrap_or("")),
            when(t.decided_at),
            csv_text(&t.reason),
            csv_text(&t.note),
            content_sha256(m),
        ];
        s.push_str(&fields.join(","));
        s.push_str("\r\n");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_as_rfc_4180_says_and_formulas_are_defused() {
        let cases = [
            ("esp01", "esp01"),
            ("a,b", "\"a,b\""),
            ("say \"hi\"", "\"say \"\"hi\"\"\""),
            ("two\nlines", "\"two\nlines\""),
            ("=HYPERLINK(1)", "'=HYPERLINK(1)"),
            ("-1+1", "'-1+1"),
            ("@sum, x", "\"'@sum, x\""),
            ("", ""),
        ];
        for (text, want) in cases {
            assert_eq!(csv_text(text), want, "{text}");
        }
        assert_eq!(CSV_HEADER.split(',').count(), 35);
    }

    #[test]
    fn columns_align_and_figures_align_right() {
        let rows = vec![
            vec!["1".to_owned(), "esp01".to_owned(), "420.0".to_owned()],
            vec!["12".to_owned(), "pozo-ñandú".to_owned(), "5.5".to_owned()],
        ];
        let t = aligned(&[("id", true), ("well", false), ("oil", true)], &rows);
        assert_eq!(
            t,
            "id  well          oil\n 1  esp01       420.0\n12  pozo-ñandú    5.5\n"
        );
    }

    #[test]
    fn undefined_ratios_read_undefined_and_missing_figures_a_dash() {
        assert_eq!(ratio(None, 0), "undefined");
        assert_eq!(ratio(Some(f64::INFINITY), 0), "undefined");
        assert_eq!(ratio(Some(499.6), 0), "500");
        assert_eq!(num(None, 0), "-");
        assert_eq!(minute_utc(Timestamp(1_795_000_000_123_456)), "2026-11-18 11:06");
    }
}
