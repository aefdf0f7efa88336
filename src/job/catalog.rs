//! What a site knows that a job refers to: its wells (site.toml `[[well]]`), its CT units (`[ct.<unit>]`) and
//! its reels (`reels/*.toml`), so a job is planned and started only on things that exist.
//!
//! Pure data, built by the wiring from the site's configuration; it reads no file and touches no store.

use super::model::{JobError, JobFields};

/// What a site knows that a job refers to: wells, CT units (with labels), reels (ids).
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub wells: Vec<WellInfo>,
    pub units: Vec<String>,
    pub reels: Vec<String>,
}

pub use crate::project::site::WellInfo;

impl Catalog {
    /// Unknown well, unit or reel → JobError::Unknown{what: "well"|"CT unit"|"reel", name}. Empty strings are
    /// not checked (a draft may leave them empty). A catalog with no wells at all checks no well.
    pub fn check(&self, f: &JobFields) -> Result<(), JobError> {
        // A site that lists no wells has not adopted the well list yet: any well name is taken as typed.
        if !f.well.is_empty() && !self.wells.is_empty() && self.well(&f.well).is_none() {
            return Err(unknown("well", &f.well));
        }
        if !f.unit.is_empty() && !self.units.contains(&f.unit) {
            return Err(unknown("CT unit", &f.unit));
        }
        if !f.reel.is_empty() && !self.reels.contains(&f.reel) {
            return Err(unknown("reel", &f.reel));
        }
        Ok(())
    }

    /// The well with this id, if the site lists it (its field and depth fill a new job's fields).
    pub fn well(&self, id: &str) -> Option<&WellInfo> {
        self.wells.iter().find(|w| w.id == id)
    }
}

fn unknown(what: &'static str, name: &str) -> JobError {
    JobError::Unknown {
        what,
        name: name.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> Catalog {
        Catalog {
            wells: vec![WellInfo {
                id: "W-1".into(),
                field: "North".into(),
                depth_ft: Some(12_000.0),
            }],
            units: vec!["ct1".into()],
            reels: vec!["R-100".into()],
        }
    }

    #[test]
    fn known_names_and_empty_ones_pass() {
        let f = JobFields {
            well: "W-1".into(),
            unit: "ct1".into(),
            reel: "R-100".into(),
            ..JobFields::default()
        };
        assert_eq!(catalog().check(&f), Ok(()));
        assert_eq!(catalog().check(&JobFields::default()), Ok(()));
    }

    #[test]
    fn unknown_names_are_refused_each_by_what_it_is() {
        let c = catalog();
        for (f, what) in [
            (
                JobFields {
                    well: "W-9".into(),
                    ..JobFields::default()
                },
                "well",
            ),
            (
                JobFields {
                    unit: "ct9".into(),
                    ..JobFields::default()
                },
                "CT unit",
            ),
            (
                JobFields {
                    reel: "R-9".into(),
                    ..JobFields::default()
                },
                "reel",
            ),
        ] {
            assert!(matches!(c.check(&f), Err(JobError::Unknown { what: w, .. }) if w == what));
        }
    }

    #[test]
    fn a_site_without_wells_takes_any_well() {
        let c = Catalog {
            wells: Vec::new(),
            ..catalog()
        };
        let f = JobFields {
            well: "anything".into(),
            ..JobFields::default()
        };
        assert_eq!(c.check(&f), Ok(()));
    }
}
