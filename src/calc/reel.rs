//! Where CT sits on its reel: layer (wrap) geometry of a string of one OD spooled on a core of a given width.
//!
//! Owns the layer arithmetic only: which layer a length of pipe lies in, each layer's centreline diameter and
//! length, and the layers a given length on the reel fills. Layers count from 1 = the layer on the core; the
//! centreline diameter of layer n is core + (2n − 1)·OD, so its radius is R_core + (n − 0.5)·OD (ENGINEERING.md
//! §1). Invariants: a `ReelGeometry` is valid by construction (core > 0, OD > 0, width ≥ OD, so at least one
//! wrap per layer); no reel holds more than `MAX_LAYERS` layers, and asking for more is an error, never a
//! silently capped answer. Idealised level wind: every layer is full before the next starts, wraps touch, no
//! crossover or pipe ovality. Must not touch fatigue or hydraulics: those rooms ask this one for radii.

use super::error::{CalcError, check, positive};
use serde::{Deserialize, Serialize};
use std::f64::consts::PI;

/// The most layers any reel is taken to hold: far beyond a real reel (200 layers of 1.75-in pipe would make a
/// reel over 60 ft across), so it only stops runaway input such as a length in inches read as feet.
pub const MAX_LAYERS: u32 = 200;

/// A reel's core, its width between the flanges and the OD of the pipe spooled on it, in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReelGeometry {
    core_diameter_in: f64,
    width_in: f64,
    od_in: f64,
}

/// A 96-in core, 64-in wide reel spooled with 1.75-in CT: the demo CT unit's reel. A constant needs no check
/// at run time; the test `the_demo_reel_is_valid` builds it through `new`.
pub const REEL_96_X_64_FOR_1_75: ReelGeometry = ReelGeometry {
    core_diameter_in: 96.0,
    width_in: 64.0,
    od_in: 1.75,
};

/// One layer of pipe on the reel: its number from the core (1 = on the core), centreline diameter (in) and
/// the length of pipe in it (ft; the outermost layer of a string is usually partial).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReelLayer {
    pub layer: u32,
    pub diameter_in: f64,
    pub length_ft: f64,
}

impl ReelGeometry {
    pub fn new(core_diameter_in: f64, width_in: f64, od_in: f64) -> Result<Self, CalcError> {
        positive("core_diameter_in", core_diameter_in)?;
        positive("od_in", od_in)?;
        check(
            "width_in",
            width_in,
            |w| w >= od_in,
            "must be at least the pipe OD: the reel must hold one wrap per layer",
        )?;
        Ok(Self {
            core_diameter_in,
            width_in,
            od_in,
        })
    }

    pub fn core_diameter_in(&self) -> f64 {
        self.core_diameter_in
    }

    pub fn width_in(&self) -> f64 {
        self.width_in
    }

    pub fn od_in(&self) -> f64 {
        self.od_in
    }

    /// Wraps side by side across the reel: floor(width/OD), at least 1 by construction.
    pub fn wraps_per_layer(&self) -> u32 {
        // width ≥ OD, so the quotient is ≥ 1; a reel wider than 4 billion wraps does not exist.
        (self.width_in / self.od_in).floor() as u32
    }

    /// Centreline diameter of a layer, in: core + (2·layer − 1)·OD.
    pub fn layer_diameter_in(&self, layer: u32) -> Result<f64, CalcError> {
        let n = f64::from(valid_layer(layer)?);
        Ok(self.core_diameter_in + (2.0 * n - 1.0) * self.od_in)
    }

    /// Centreline bending radius of a layer, in: R_core + (layer − 0.5)·OD.
    pub fn layer_radius_in(&self, layer: u32) -> Result<f64, CalcError> {
        Ok(self.layer_diameter_in(layer)? / 2.0)
    }

    /// Pipe length a full layer holds, ft: wraps × π × centreline diameter.
    pub fn layer_length_ft(&self, layer: u32) -> Result<f64, CalcError> {
        Ok(self.wraps_per_layer_f64() * PI * self.layer_diameter_in(layer)? / 12.0)
    }

    /// The layer holding the pipe `from_core_ft` out from the string's core end: layer n holds
    /// [end of layer n − 1, end of layer n), so a position exactly at a layer's end is the next layer's first foot.
    pub fn layer_at(&self, from_core_ft: f64) -> Result<u32, CalcError> {
        check(
            "from_core_ft",
            from_core_ft,
            |s| s >= 0.0,
            "must be a finite distance from the core end, 0 ft or more",
        )?;
        self.capped(self.raw_layer_at(from_core_ft), "from_core_ft", from_core_ft)
    }

    /// Distance from the string's core end to the end of a layer, ft: the length layers 1..=layer hold. The
    /// boundaries `layer_at` and `outer_layer` use.
    pub fn layer_end_ft(&self, layer: u32) -> Result<f64, CalcError> {
        Ok(self.cumulative_ft(valid_layer(layer)?))
    }

    /// The layers `on_reel_ft` of pipe fills, from the core out; every layer full but the last. Empty when
    /// nothing is on the reel. The lengths add up to `on_reel_ft`.
    pub fn layers(&self, on_reel_ft: f64) -> Result<Vec<ReelLayer>, CalcError> {
        let outer = self.outer_layer(on_reel_ft)?;
        if outer.length_ft <= 0.0 {
            return Ok(Vec::new());
        }
        let mut out = Vec::with_capacity(outer.layer as usize);
        for layer in 1..outer.layer {
            out.push(ReelLayer {
                layer,
                diameter_in: self.layer_diameter_in(layer)?,
                length_ft: self.layer_length_ft(layer)?,
            });
        }
        out.push(outer);
        Ok(out)
    }

    /// The outermost layer `on_reel_ft` of pipe reaches, with the length in it (layer 1 and 0 ft when the reel
    /// is empty). A length that exactly fills a layer ends in that layer.
    pub fn outer_layer(&self, on_reel_ft: f64) -> Result<ReelLayer, CalcError> {
        check(
            "on_reel_ft",
            on_reel_ft,
            |s| s >= 0.0,
            "must be a finite length of pipe on the reel, 0 ft or more",
        )?;
        let mut layer = self.raw_layer_at(on_reel_ft).max(1);
        if layer > 1 && self.cumulative_ft(layer - 1) >= on_reel_ft {
            layer -= 1;
        }
        let layer = self.capped(layer, "on_reel_ft", on_reel_ft)?;
        Ok(ReelLayer {
            layer,
            diameter_in: self.layer_diameter_in(layer)?,
            length_ft: on_reel_ft - self.cumulative_ft(layer - 1),
        })
    }

    fn wraps_per_layer_f64(&self) -> f64 {
        f64::from(self.wraps_per_layer())
    }

    /// Length held by layers 1..=n, ft: wraps·π/12 · Σ(core + (2k − 1)·OD) = wraps·π/12 · (n·core + n²·OD).
    fn cumulative_ft(&self, n: u32) -> f64 {
        let n = f64::from(n);
        self.wraps_per_layer_f64() * PI / 12.0 * (n * self.core_diameter_in + n * n * self.od_in)
    }

    /// Layer holding position `s` (valid, ≥ 0) with no cap: the quadratic's root, then nudged so that the
    /// answer agrees exactly with `cumulative_ft` at the boundaries (a root can land an ulp on either side).
    fn raw_layer_at(&self, s: f64) -> u32 {
        let scaled = s * 12.0 / (self.wraps_per_layer_f64() * PI);
        let (core, od) = (self.core_diameter_in, self.od_in);
        let root = (-core + (core * core + 4.0 * od * scaled).sqrt()) / (2.0 * od);
        // Beyond u32 the cap rejects it anyway; the float-to-int cast saturates.
        let mut n = (root.floor() as u32).saturating_add(1).min(MAX_LAYERS + 2);
        while n > 1 && self.cumulative_ft(n - 1) > s {
            n -= 1;
        }
        while n <= MAX_LAYERS && self.cumulative_ft(n) <= s {
            n += 1;
        }
        n
    }

    fn capped(&self, layer: u32, field: &'static str, length_ft: f64) -> Result<u32, CalcError> {
        if layer > MAX_LAYERS {
            return Err(CalcError::Inconsistent {
                field,
                reason: format!(
                    "{length_ft} ft is more than {MAX_LAYERS} layers of {} in pipe on a {} in core, {} in wide reel \
                     hold ({:.0} ft)",
                    self.od_in,
                    self.core_diameter_in,
                    self.width_in,
                    self.cumulative_ft(MAX_LAYERS)
                ),
            });
        }
        Ok(layer)
    }
}

fn valid_layer(layer: u32) -> Result<u32, CalcError> {
    if (1..=MAX_LAYERS).contains(&layer) {
        Ok(layer)
    } else {
        Err(CalcError::Invalid {
            field: "layer",
            value: f64::from(layer),
            rule: "layers count from 1 (the layer on the core) to 200",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reel() -> ReelGeometry {
        ReelGeometry::new(96.0, 64.0, 1.75).unwrap()
    }

    #[test]
    fn the_demo_reel_is_valid() {
        assert_eq!(reel(), REEL_96_X_64_FOR_1_75);
    }

    #[test]
    fn layer_one_sits_on_the_core() {
        let r = reel();
        assert_eq!(r.wraps_per_layer(), 36);
        assert_eq!(r.layer_diameter_in(1).unwrap(), 97.75);
        assert_eq!(r.layer_radius_in(1).unwrap(), 48.875, "R_core + 0.5·OD");
        assert_eq!(r.layer_radius_in(3).unwrap(), 48.0 + 2.5 * 1.75);
        let len1 = r.layer_length_ft(1).unwrap();
        assert!((len1 - 36.0 * PI * 97.75 / 12.0).abs() < 1e-9, "{len1}");
        assert_eq!(r.layer_diameter_in(0).unwrap_err().field(), "layer");
        assert!(r.layer_diameter_in(MAX_LAYERS + 1).is_err());
    }

    #[test]
    fn layer_at_changes_layer_exactly_at_a_layer_end() {
        let r = reel();
        let end1 = r.layer_end_ft(1).unwrap();
        let end2 = r.layer_end_ft(2).unwrap();
        assert!((end1 - r.layer_length_ft(1).unwrap()).abs() < 1e-9);
        assert!((end2 - end1 - r.layer_length_ft(2).unwrap()).abs() < 1e-9);
        assert_eq!(r.layer_at(0.0).unwrap(), 1);
        assert_eq!(r.layer_at(end1 - 1e-6).unwrap(), 1);
        assert_eq!(r.layer_at(end1).unwrap(), 2);
        assert_eq!(r.layer_at(end2 - 1e-6).unwrap(), 2);
        assert_eq!(r.layer_at(end2).unwrap(), 3);
        // the outer layer of a length that exactly fills layer 1 is layer 1, full
        let full = r.outer_layer(end1).unwrap();
        assert_eq!((full.layer, full.length_ft), (1, end1));
        assert_eq!(r.outer_layer(0.0).unwrap().layer, 1);
        assert_eq!(r.layer_at(-1.0).unwrap_err().field(), "from_core_ft");
        assert!(r.layer_at(f64::NAN).is_err());
    }

    #[test]
    fn layers_fill_from_the_core_and_add_up() {
        let r = reel();
        let on_reel = 4_321.0;
        let layers = r.layers(on_reel).unwrap();
        let total: f64 = layers.iter().map(|l| l.length_ft).sum();
        assert!((total - on_reel).abs() < 1e-9, "{total}");
        for (i, l) in layers.iter().enumerate() {
            assert_eq!(l.layer as usize, i + 1);
            assert_eq!(l.diameter_in, r.layer_diameter_in(l.layer).unwrap());
        }
        let outer = *layers.last().unwrap();
        assert_eq!(outer, r.outer_layer(on_reel).unwrap());
        assert!(outer.length_ft > 0.0 && outer.length_ft <= r.layer_length_ft(outer.layer).unwrap());
        assert_eq!(r.layer_at(on_reel - 1e-6).unwrap(), outer.layer);
        assert!(r.layers(0.0).unwrap().is_empty());
    }

    #[test]
    fn more_pipe_than_any_reel_holds_is_an_error_not_a_cap() {
        let r = reel();
        let e = r.layers(1.0e9).unwrap_err();
        assert_eq!(e.field(), "on_reel_ft");
        assert_eq!(r.layer_at(1.0e9).unwrap_err().field(), "from_core_ft");
        let last = r.layer_end_ft(MAX_LAYERS).unwrap();
        assert_eq!(
            r.outer_layer(last).unwrap().layer,
            MAX_LAYERS,
            "a full last layer is still on the reel"
        );
        assert!(r.layer_at(last).is_err(), "the foot after it is not");
    }

    #[test]
    fn invalid_reels_name_the_field() {
        assert_eq!(
            ReelGeometry::new(0.0, 64.0, 1.75).unwrap_err().field(),
            "core_diameter_in"
        );
        assert_eq!(ReelGeometry::new(96.0, 1.5, 1.75).unwrap_err().field(), "width_in");
        assert_eq!(ReelGeometry::new(96.0, 64.0, -1.0).unwrap_err().field(), "od_in");
    }
}
