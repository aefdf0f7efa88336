//! Directional survey: stations (MD, inclination, azimuth) and minimum-curvature positions.

use std::f64::consts::PI;

#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Station {
    pub md_ft: f64,
    pub inc_deg: f64,
    pub azi_deg: f64,
}

/// A validated survey: MD strictly increasing from 0, inclination 0..=180°, azimuth 0..360°.
#[derive(Debug, Clone, PartialEq)]
pub struct Survey {
    stations: Vec<Station>,
    tvd_ft: Vec<f64>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SurveyError {
    #[error("a survey needs at least two stations")]
    TooShort,
    #[error("station {index}: the first station must be at MD 0 ft")]
    FirstNotAtSurface { index: usize },
    #[error("station {index}: MD {md_ft} ft does not increase over the previous station")]
    NotIncreasing { index: usize, md_ft: f64 },
    #[error("station {index}: inclination {inc_deg}° is outside 0–180°")]
    BadInclination { index: usize, inc_deg: f64 },
    #[error("station {index}: azimuth {azi_deg}° is outside 0–360°")]
    BadAzimuth { index: usize, azi_deg: f64 },
}

impl Survey {
    pub fn new(stations: Vec<Station>) -> Result<Self, SurveyError> {
        if stations.len() < 2 {
            return Err(SurveyError::TooShort);
        }
        if stations[0].md_ft != 0.0 {
            return Err(SurveyError::FirstNotAtSurface { index: 0 });
        }
        for (index, s) in stations.iter().enumerate() {
            if !(0.0..=180.0).contains(&s.inc_deg) {
                return Err(SurveyError::BadInclination {
                    index,
                    inc_deg: s.inc_deg,
                });
            }
            if !(0.0..360.0).contains(&s.azi_deg) {
                return Err(SurveyError::BadAzimuth {
                    index,
                    azi_deg: s.azi_deg,
                });
            }
            if index > 0 && s.md_ft.partial_cmp(&stations[index - 1].md_ft) != Some(std::cmp::Ordering::Greater) {
                return Err(SurveyError::NotIncreasing { index, md_ft: s.md_ft });
            }
        }
        let mut tvd_ft = vec![0.0; stations.len()];
        for i in 1..stations.len() {
            tvd_ft[i] = tvd_ft[i - 1] + min_curvature_dtvd(stations[i - 1], stations[i]);
        }
        Ok(Self { stations, tvd_ft })
    }

    pub fn stations(&self) -> &[Station] {
        &self.stations
    }

    pub fn total_md_ft(&self) -> f64 {
        self.stations.last().map_or(0.0, |s| s.md_ft)
    }

    /// Inclination and azimuth (degrees) at a measured depth, linear between stations.
    pub fn attitude_at(&self, md_ft: f64) -> (f64, f64) {
        let (a, b, f) = self.bracket(md_ft);
        let dazi = wrap_deg(b.azi_deg - a.azi_deg);
        (
            a.inc_deg + f * (b.inc_deg - a.inc_deg),
            (a.azi_deg + f * dazi).rem_euclid(360.0),
        )
    }

    /// True vertical depth at a measured depth (ft), interpolated along the minimum-curvature arc.
    pub fn tvd_at(&self, md_ft: f64) -> f64 {
        let i = self.segment_index(md_ft);
        let a = self.stations[i];
        let (inc, azi) = self.attitude_at(md_ft);
        let p = Station {
            md_ft: md_ft.max(a.md_ft),
            inc_deg: inc,
            azi_deg: azi,
        };
        self.tvd_ft[i]
            + if p.md_ft > a.md_ft {
                min_curvature_dtvd(a, p)
            } else {
                0.0
            }
    }

    fn segment_index(&self, md_ft: f64) -> usize {
        let n = self.stations.len();
        match self.stations.binary_search_by(|s| s.md_ft.total_cmp(&md_ft)) {
            Ok(i) => i.min(n - 2),
            Err(0) => 0,
            Err(i) => (i - 1).min(n - 2),
        }
    }

    fn bracket(&self, md_ft: f64) -> (Station, Station, f64) {
        let i = self.segment_index(md_ft);
        let (a, b) = (self.stations[i], self.stations[i + 1]);
        let f = ((md_ft - a.md_ft) / (b.md_ft - a.md_ft)).clamp(0.0, 1.0);
        (a, b, f)
    }
}

/// Wraps an azimuth step into (−180°, 180°] so a turn through north is not a 359° step.
pub fn wrap_deg(d: f64) -> f64 {
    let w = (d + 180.0).rem_euclid(360.0) - 180.0;
    if w == -180.0 { 180.0 } else { w }
}

/// Dogleg angle between two stations, radians.
pub fn dogleg_rad(a: Station, b: Station) -> f64 {
    let (i1, i2) = (a.inc_deg.to_radians(), b.inc_deg.to_radians());
    let da = (b.azi_deg - a.azi_deg).to_radians();
    let c = (i2 - i1).cos() - i1.sin() * i2.sin() * (1.0 - da.cos());
    c.clamp(-1.0, 1.0).acos()
}

/// Minimum curvature ΔTVD between two stations.
fn min_curvature_dtvd(a: Station, b: Station) -> f64 {
    let dl = dogleg_rad(a, b);
    let rf = if dl < 1e-9 { 1.0 } else { 2.0 / dl * (dl / 2.0).tan() };
    (b.md_ft - a.md_ft) / 2.0 * (a.inc_deg.to_radians().cos() + b.inc_deg.to_radians().cos()) * rf
}

/// Degrees per 100 ft, the dogleg severity the directional driller reports.
pub fn dogleg_severity_deg_per_100ft(a: Station, b: Station) -> f64 {
    dogleg_rad(a, b) * 180.0 / PI * 100.0 / (b.md_ft - a.md_ft)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(md: f64, inc: f64, azi: f64) -> Station {
        Station {
            md_ft: md,
            inc_deg: inc,
            azi_deg: azi,
        }
    }

    #[test]
    fn vertical_tvd_equals_md() {
        let s = Survey::new(vec![st(0.0, 0.0, 0.0), st(5000.0, 0.0, 0.0)]).unwrap();
        assert!((s.tvd_at(3210.0) - 3210.0).abs() < 1e-9);
    }

    #[test]
    fn constant_build_arc_matches_geometry() {
        // 0→90° over 1500 ft is a quarter circle of radius R = 1500/(π/2): ΔTVD = R.
        let s = Survey::new(vec![st(0.0, 0.0, 45.0), st(1500.0, 90.0, 45.0)]).unwrap();
        let r = 1500.0 / (PI / 2.0);
        assert!((s.tvd_at(1500.0) - r).abs() < 1e-6, "{}", s.tvd_at(1500.0));
        assert!((dogleg_severity_deg_per_100ft(s.stations()[0], s.stations()[1]) - 6.0).abs() < 1e-9);
    }

    #[test]
    fn rejects_bad_surveys() {
        assert_eq!(Survey::new(vec![st(0.0, 0.0, 0.0)]), Err(SurveyError::TooShort));
        assert!(matches!(
            Survey::new(vec![st(0.0, 0.0, 0.0), st(100.0, 0.0, 0.0), st(100.0, 1.0, 0.0)]),
            Err(SurveyError::NotIncreasing { index: 2, .. })
        ));
        assert!(matches!(
            Survey::new(vec![st(0.0, 0.0, 0.0), st(100.0, 190.0, 0.0)]),
            Err(SurveyError::BadInclination { index: 1, .. })
        ));
    }

    #[test]
    fn azimuth_steps_wrap_through_north() {
        assert_eq!(wrap_deg(350.0), -10.0);
        assert_eq!(wrap_deg(-350.0), 10.0);
        assert_eq!(wrap_deg(180.0), 180.0);
        assert_eq!(wrap_deg(-180.0), 180.0);
        let s = Survey::new(vec![st(0.0, 10.0, 350.0), st(100.0, 10.0, 10.0)]).unwrap();
        let (_, azi) = s.attitude_at(50.0);
        assert!((azi - 0.0).abs() < 1e-9 || (azi - 360.0).abs() < 1e-9, "{azi}");
    }
}
