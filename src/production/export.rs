//! A well test's certificate written to a file, the same code for the console's production writer and the
//! command line (`wellconsole production export --pdf`): what the certificate prints besides the record
//! (`certificate_context`), who may write one and where (`write_pdf`), and the audit record of the act
//! (`audit_entry`).
//!
//! Invariants: a certificate is written only by someone who is not a viewer, only to a `.pdf` file outside
//! the records' folder, and only to a new file (an existing one is never replaced). Reads the store and the
//! historian, never changes either; the caller records the audit entry (the writer on its sink, the command
//! line in the trail before it answers). Must not import `ui`.

use super::certificate::{self, CertificateContext};
use super::command;
use super::config::ProductionConfig;
use super::model::{ProductionError, WellTest};
use super::store::ProductionStore;
use crate::auth::Actor;
use crate::auth::audit::AuditEntry;
use crate::lang::Lang;
use crate::tag::{TagDirectory, Timestamp};
use crate::units::UnitSystem;
use std::path::Path;

/// The audit trail's name for a certificate written to a file.
pub const EXPORT: &str = "well_test.export";

/// Where a certificate's context comes from besides the store.
#[derive(Clone, Copy)]
pub struct CertificateSources<'a> {
    /// The site's name, as the header prints it.
    pub site: &'a str,
    /// The site's production configuration: the well's label and inflow model (None: the site has none, and
    /// the certificate names the well by its id, without a curve or charts).
    pub production: Option<&'a ProductionConfig>,
    /// The history database (an existing file) and the tags it names, for the test window's charts.
    pub history: Option<(&'a Path, &'a TagDirectory)>,
}

/// The well's approved tests that ended by the end of `t`, oldest first: what its inflow curve was fitted
/// to as of that test.
pub fn approved_up_to(store: &ProductionStore, t: &WellTest) -> Result<Vec<WellTest>, ProductionError> {
    Ok(store
        .approved_for(&t.m.well)?
        .into_iter()
        .filter(|a| a.m.end.0 <= t.m.end.0)
        .collect())
}

/// The site, the well's label, its inflow curve as of this test (fitted to the approved tests up to it)
/// and the test window's history.
pub fn certificate_context(
    store: &ProductionStore,
    src: &CertificateSources<'_>,
    t: &WellTest,
) -> Result<CertificateContext, ProductionError> {
    let well = src.production.and_then(|p| p.well(&t.m.well));
    let well_label = well.map_or_else(|| t.m.well.clone(), |w| w.label.clone());
    let ipr = match well {
        Some(w) => super::perf::well_ipr(w, &approved_up_to(store, t)?).current,
        None => None,
    };
    let series = match (src.history, src.production) {
        (Some((history, tags)), Some(p)) => super::certificate_series::series(history, tags, p, t),
        _ => Vec::new(),
    };
    Ok(CertificateContext {
        site: src.site.to_owned(),
        well_label,
        ipr,
        series,
    })
}

/// Writes test `test`'s certificate as `by`, in `lang` and `units`, to the new file `path` (0600). Refused
/// to a viewer, to a name not ending in `.pdf`, into the folder of `records_db` (production.db) and over
/// an existing file. What to tell the person, or why it was refused.
#[allow(clippy::too_many_arguments)] // each is one thing the act needs; a struct would only rename them
pub fn write_pdf(
    store: &ProductionStore,
    records_db: &Path,
    src: &CertificateSources<'_>,
    by: &Actor,
    test: i64,
    path: &Path,
    lang: Lang,
    units: UnitSystem,
) -> Result<String, ProductionError> {
    // Who may sign a test may write its certificate (anyone but a viewer), as the Production page says.
    if !by.role.may(crate::auth::Action::SignWellTest) {
        return Err(ProductionError::NotPermitted {
            user: by.user.clone(),
            role: by.role.name().into(),
            action: "write a well test certificate PDF".into(),
        });
    }
    if let Some(reason) = crate::records::export_refusal(path, records_db) {
        return Err(ProductionError::Invalid {
            field: "PDF file",
            reason: format!("{}: {reason}", path.display()),
        });
    }
    // Said before the certificate is made (write_new refuses it too, should a file appear meanwhile).
    if path.symlink_metadata().is_ok() {
        return Err(not_replaced(path));
    }
    let t = store.get(test)?;
    let cx = certificate_context(store, src, &t)?;
    let bytes = certificate::render_pdf(&t, &cx, lang, units)?;
    crate::records::write_new(path, &bytes).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            not_replaced(path)
        } else {
            ProductionError::Store(format!("the certificate PDF {}: {e}", path.display()))
        }
    })?;
    Ok(format!(
        "Certificate of well test {test} ({}) written to {} ({} KiB).",
        t.m.well,
        path.display(),
        bytes.len().div_ceil(1024)
    ))
}

fn not_replaced(path: &Path) -> ProductionError {
    ProductionError::Invalid {
        field: "PDF file",
        reason: format!(
            "{}: a file is there already, and an export never replaces a file: choose another name",
            path.display()
        ),
    }
}

/// The audit record of a certificate written (or refused) to `path`: target `test <id> <well>`, detail
/// `to <path>` or `to <path>: refused: <why>`.
pub fn audit_entry(
    store: &ProductionStore,
    by: &Actor,
    test: i64,
    path: &Path,
    answer: &Result<String, ProductionError>,
    at: Timestamp,
) -> AuditEntry {
    let detail = match answer {
        Ok(_) => format!("to {}", path.display()),
        Err(e) => format!("to {}: refused: {e}", path.display()),
    };
    AuditEntry::by(at, by, EXPORT, command::target(store, test), detail, answer.is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Role;
    use crate::production::store::sample;

    fn bare() -> CertificateSources<'static> {
        CertificateSources {
            site: "Campo Norte",
            production: None,
            history: None,
        }
    }

    #[test]
    fn a_certificate_is_written_once_to_a_new_pdf_and_audited_either_way() {
        let dir = tempfile::tempdir().unwrap();
        let records_db = dir.path().join("records").join("production.db");
        let mut store = ProductionStore::open(&records_db).unwrap();
        let id = store.insert_measured(&sample("esp01", 0)).unwrap();
        let eve = Actor::new("eve", Role::Engineer);
        let path = dir.path().join("cert.pdf");
        let write =
            |by: &Actor, path: &Path| write_pdf(&store, &records_db, &bare(), by, id, path, Lang::Es, UnitSystem::Si);

        let done = write(&eve, &path);
        let said = done.as_ref().unwrap();
        assert!(
            said.starts_with("Certificate of well test 1 (esp01) written to"),
            "{said}"
        );
        assert!(std::fs::read(&path).unwrap().starts_with(b"%PDF-"));
        let a = audit_entry(&store, &eve, id, &path, &done, Timestamp(1));
        assert_eq!(
            (a.action.as_str(), a.target.as_str(), a.allowed),
            (EXPORT, "test 1 esp01", true)
        );
        assert_eq!(a.detail, format!("to {}", path.display()));

        let before = std::fs::read(&path).unwrap();
        let again = write(&eve, &path);
        let e = again.as_ref().unwrap_err();
        assert!(e.to_string().contains("never replaces a file"), "{e}");
        assert_eq!(std::fs::read(&path).unwrap(), before, "the first file stays");
        let a = audit_entry(&store, &eve, id, &path, &again, Timestamp(2));
        assert!(!a.allowed && a.detail.contains(": refused: "), "{}", a.detail);

        let cases = [
            (Actor::new("vic", Role::Viewer), dir.path().join("v.pdf"), "may not"),
            (eve.clone(), records_db.with_file_name("r.pdf"), "records' folder"),
            (eve.clone(), dir.path().join("cert.txt"), ".pdf"),
        ];
        for (by, path, why) in cases {
            let e = write(&by, &path).unwrap_err();
            assert!(e.to_string().contains(why), "{e}");
            assert!(!path.exists());
        }
        let missing = dir.path().join("n.pdf");
        let e = write_pdf(
            &store,
            &records_db,
            &bare(),
            &eve,
            9,
            &missing,
            Lang::En,
            UnitSystem::Oilfield,
        );
        assert_eq!(e, Err(ProductionError::NoSuchTest(9)));
    }

    #[test]
    fn without_a_production_configuration_the_well_is_named_by_its_id_without_a_curve() {
        let mut store = ProductionStore::open_in_memory().unwrap();
        let id = store.insert_measured(&sample("esp01", 0)).unwrap();
        store.approve(id, "eve", Timestamp(1), "").unwrap();
        let t = store.get(id).unwrap();
        let cx = certificate_context(&store, &bare(), &t).unwrap();
        assert_eq!(
            (cx.site.as_str(), cx.well_label.as_str(), cx.ipr, cx.series.len()),
            ("Campo Norte", "esp01", None, 0)
        );
        let later = store.insert_measured(&sample("esp01", 100_000)).unwrap();
        store.approve(later, "eve", Timestamp(2), "").unwrap();
        let ids: Vec<i64> = approved_up_to(&store, &t).unwrap().iter().map(|a| a.id).collect();
        assert_eq!(ids, [id], "a later test is not part of the curve as of this one");
    }
}
