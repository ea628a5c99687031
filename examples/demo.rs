//! Run with `cargo run --example demo`.
//!
//! Placeholder until the fake data centre lands.
fn main() {}
