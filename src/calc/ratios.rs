//! Production ratios of a well test (ENGINEERING.md §5): GOR, WOR, water cut, GLR and BS&W.
//!
//! Owns the arithmetic only: the well-test room averages the separator's rates and calls these. Invariant: a
//! ratio whose denominator is 0 (no oil for GOR and WOR, no liquid for water cut and GLR) is `None`, meaning
//! "undefined", never infinity or NaN, so a screen shows it as undefined and a field table sorts it apart.
//! Must not touch units conversion beyond the Mscf → scf factor below, or read live data.

use super::error::{CalcError, non_negative, positive};
use serde::{Deserialize, Serialize};

/// scf per Mscf: gas rates are metered in Mscf/d, gas ratios quoted in scf per barrel.
const SCF_PER_MSCF: f64 = 1_000.0;

/// The ratios of one set of rates.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Ratios {
    /// scf/STB; None when the oil rate is 0 (undefined, not infinity).
    pub gor_scf_stb: Option<f64>,
    /// bbl/bbl; None when the oil rate is 0.
    pub wor: Option<f64>,
    /// fraction 0..1 of the liquid; None when there is no liquid.
    pub water_cut: Option<f64>,
    /// scf/bbl of liquid; None when there is no liquid.
    pub glr_scf_bbl: Option<f64>,
}

/// GOR = q_g/q_o, WOR = q_w/q_o, water cut = q_w/(q_o + q_w), GLR = q_g/(q_o + q_w), from oil STB/d,
/// water bbl/d and gas Mscf/d (all finite, 0 or more).
pub fn ratios(oil_stb_d: f64, water_bbl_d: f64, gas_mscf_d: f64) -> Result<Ratios, CalcError> {
    let oil = non_negative("oil_stb_d", oil_stb_d)?;
    let water = non_negative("water_bbl_d", water_bbl_d)?;
    let gas_scf_d = non_negative("gas_mscf_d", gas_mscf_d)? * SCF_PER_MSCF;
    let liquid = oil + water;
    Ok(Ratios {
        gor_scf_stb: ratio(gas_scf_d, oil),
        wor: ratio(water, oil),
        water_cut: ratio(water, liquid),
        glr_scf_bbl: ratio(gas_scf_d, liquid),
    })
}

/// `num/den`, or None (undefined) when `den` is 0: rates are checked 0 or more, so 0 is the only bad case.
fn ratio(num: f64, den: f64) -> Option<f64> {
    if den > 0.0 { Some(num / den) } else { None }
}

/// BS&W = (water + sediment)/total sample volume, as a fraction. Any one volume unit (mL of a centrifuge tube,
/// bbl); total > 0, the parts 0 or more and together not more than the total.
pub fn bsw(water: f64, sediment: f64, total: f64) -> Result<f64, CalcError> {
    let water = non_negative("water", water)?;
    let sediment = non_negative("sediment", sediment)?;
    let total = positive("total", total)?;
    let parts = water + sediment;
    if parts > total {
        return Err(CalcError::Inconsistent {
            field: "total",
            reason: format!(
                "water {water} + sediment {sediment} is more than the sample volume {total}: the volumes are \
                 in different units or misread"
            ),
        });
    }
    Ok(parts / total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: Option<f64>, b: Option<f64>) -> bool {
        match (a, b) {
            (Some(a), Some(b)) => (a - b).abs() <= 1e-12 * b.abs().max(1.0),
            (None, None) => true,
            _ => false,
        }
    }

    #[test]
    fn ratios_of_rates() {
        // (oil STB/d, water bbl/d, gas Mscf/d) → (GOR, WOR, water cut, GLR)
        let cases = [
            ((500.0, 500.0, 400.0), (Some(800.0), Some(1.0), Some(0.5), Some(400.0))),
            ((800.0, 200.0, 0.0), (Some(0.0), Some(0.25), Some(0.2), Some(0.0))),
            ((250.0, 0.0, 100.0), (Some(400.0), Some(0.0), Some(0.0), Some(400.0))),
            // no oil: GOR and WOR undefined (not infinity), the liquid ratios still defined
            ((0.0, 100.0, 10.0), (None, None, Some(1.0), Some(100.0))),
            // a shut-in well: nothing is defined
            ((0.0, 0.0, 0.0), (None, None, None, None)),
        ];
        for ((oil, water, gas), (gor, wor, wc, glr)) in cases {
            let r = ratios(oil, water, gas).unwrap();
            assert!(close(r.gor_scf_stb, gor), "GOR of {oil}/{water}/{gas}: {r:?}");
            assert!(close(r.wor, wor), "WOR of {oil}/{water}/{gas}: {r:?}");
            assert!(close(r.water_cut, wc), "water cut of {oil}/{water}/{gas}: {r:?}");
            assert!(close(r.glr_scf_bbl, glr), "GLR of {oil}/{water}/{gas}: {r:?}");
        }
    }

    #[test]
    fn invalid_rates_name_their_field() {
        let cases = [
            ((-1.0, 0.0, 0.0), "oil_stb_d"),
            ((1.0, f64::NAN, 0.0), "water_bbl_d"),
            ((1.0, 0.0, f64::INFINITY), "gas_mscf_d"),
            ((1.0, 0.0, -0.5), "gas_mscf_d"),
        ];
        for ((oil, water, gas), field) in cases {
            assert_eq!(ratios(oil, water, gas).unwrap_err().field(), field);
        }
    }

    #[test]
    fn bsw_of_a_sample() {
        assert!((bsw(2.0, 0.5, 100.0).unwrap() - 0.025).abs() < 1e-15);
        assert_eq!(bsw(0.0, 0.0, 100.0), Ok(0.0));
        assert_eq!(bsw(99.0, 1.0, 100.0), Ok(1.0));
        assert_eq!(bsw(1.0, 0.0, 0.0).unwrap_err().field(), "total");
        assert_eq!(bsw(-1.0, 0.0, 10.0).unwrap_err().field(), "water");
        assert_eq!(bsw(1.0, f64::NAN, 10.0).unwrap_err().field(), "sediment");
        let e = bsw(8.0, 3.0, 10.0).unwrap_err();
        assert!(matches!(e, CalcError::Inconsistent { field: "total", .. }), "{e:?}");
    }
}
