#![allow(clippy::unwrap_used, clippy::expect_used)]
//! placeholder until the fatigue bench lands
fn main() {}
