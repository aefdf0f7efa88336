#![allow(clippy::unwrap_used, clippy::expect_used)]
//! placeholder until the broomstick bench lands
fn main() {}
